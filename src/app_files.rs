//! Facts about the app's files that explain what is missing or out of place: which lock file an
//! app without one probably needs, and virtual environments committed with the app (found by
//! `crate::project`).

use crate::package_managers::PackageManager;
use crate::package_managers::declaration::{ProjectSign, Recognised, lookup};
use crate::project::Project;

/// What an app without any package manager file most likely needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MissingLockHint {
    /// The project of this package manager, recognised by a sign its declaration names (a
    /// `Pipfile`, a `[tool.poetry]` table), without its lock file.
    Lock(PackageManager),
    /// An installable package (`setup.py`, `setup.cfg` or a `[build-system]`) without a
    /// requirements file: a requirements.txt containing `-e .`.
    InstallProject,
    /// Nothing specific.
    None,
}

/// Inspects the app root for [`MissingLockHint`].
pub(crate) fn missing_lock_hint(project: &Project) -> MissingLockHint {
    let mut files = Vec::new();
    for package_manager in PackageManager::ALL {
        if let Some(Recognised {
            sign: ProjectSign::File(file),
            ..
        }) = package_manager.declaration().missing_lock.recognised_by
            && project.has(file)
        {
            files.push(file);
        }
    }
    lock_hint(
        &files,
        project.pyproject(),
        project.has("setup.py") || project.has("setup.cfg"),
    )
}

/// The hint for an app root with these sign `files` (of the package managers' declarations)
/// and this `pyproject.toml`. The most specific sign wins (a file, then a tool's own table, then
/// a generic table), then the package managers' order.
fn lock_hint(files: &[&str], pyproject: Option<&toml::Table>, has_setup: bool) -> MissingLockHint {
    let has = |path: &[&str]| pyproject.is_some_and(|t| lookup(t, path).is_some());
    let specificity = |sign: ProjectSign| match sign {
        ProjectSign::File(file) => files.contains(&file).then_some(0),
        ProjectSign::Table(path) => has(path).then_some(1),
        ProjectSign::GenericTables(paths) => paths.iter().any(|path| has(path)).then_some(2),
    };
    let recognised = PackageManager::ALL
        .into_iter()
        .filter_map(|package_manager| {
            let sign = package_manager
                .declaration()
                .missing_lock
                .recognised_by
                .as_ref()?
                .sign;
            Some((specificity(sign)?, package_manager))
        })
        .min_by_key(|(specificity, _)| *specificity);
    if let Some((_, package_manager)) = recognised {
        MissingLockHint::Lock(package_manager)
    } else if has_setup || has(&["build-system"]) {
        MissingLockHint::InstallProject
    } else {
        MissingLockHint::None
    }
}

/// Virtual environments committed with the app (top-level folders): a warning.
pub(crate) struct CommittedVenvs<'a>(pub(crate) &'a [String]);

#[cfg(test)]
mod tests {
    use super::*;

    /// [`lock_hint`] for `pyproject.toml` as written.
    fn hint(files: &[&str], pyproject: Option<&str>, has_setup: bool) -> MissingLockHint {
        let table: Option<toml::Table> = pyproject.and_then(|text| toml::from_str(text).ok());
        lock_hint(files, table.as_ref(), has_setup)
    }

    #[test]
    fn hints_follow_the_project_files() {
        let poetry = "[tool.poetry]\nname = \"app\"\n[project]\nname = \"app\"\n";
        assert_eq!(
            hint(&["Pipfile"], Some(poetry), true),
            MissingLockHint::Lock(PackageManager::Pipenv)
        );
        assert_eq!(
            hint(&[], Some(poetry), false),
            MissingLockHint::Lock(PackageManager::Poetry)
        );
        assert_eq!(
            hint(&[], Some("[project]\nname = \"app\"\n"), false),
            MissingLockHint::Lock(PackageManager::Uv)
        );
        assert_eq!(
            hint(&[], Some("[project]\nname = \"app\"\n[tool.pdm]\n"), false),
            MissingLockHint::Lock(PackageManager::Pdm)
        );
        assert_eq!(
            hint(&[], Some("[tool.uv]\ndev-dependencies = []\n"), false),
            MissingLockHint::Lock(PackageManager::Uv)
        );
        assert_eq!(
            hint(&[], Some("[tool.black]\nline-length = 99\n"), true),
            MissingLockHint::InstallProject
        );
        assert_eq!(
            hint(
                &[],
                Some("[build-system]\nrequires = [\"hatchling\"]\n"),
                false
            ),
            MissingLockHint::InstallProject
        );
        assert_eq!(
            hint(&[], Some("[tool.black]\n"), false),
            MissingLockHint::None
        );
        assert_eq!(hint(&[], Some("not toml ["), false), MissingLockHint::None);
        assert_eq!(hint(&[], None, false), MissingLockHint::None);
    }

    #[test]
    fn reads_the_hint_from_the_app() {
        let app = tempfile::tempdir().unwrap();
        std::fs::write(app.path().join("setup.py"), "").unwrap();
        assert_eq!(
            missing_lock_hint(&Project::read(app.path()).unwrap()),
            MissingLockHint::InstallProject
        );
        std::fs::write(app.path().join("pyproject.toml"), "[tool.poetry]\n").unwrap();
        assert_eq!(
            missing_lock_hint(&Project::read(app.path()).unwrap()),
            MissingLockHint::Lock(PackageManager::Poetry)
        );
        std::fs::write(app.path().join("Pipfile"), "").unwrap();
        assert_eq!(
            missing_lock_hint(&Project::read(app.path()).unwrap()),
            MissingLockHint::Lock(PackageManager::Pipenv)
        );
    }
}
