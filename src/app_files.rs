//! Facts about the app's files that explain what is missing or out of place: which lock file an
//! app without one probably needs, and virtual environments committed with the app.

use crate::package_managers::PackageManager;
use crate::package_managers::declaration::{ProjectSign, Recognised, lookup};
use std::io;
use std::path::Path;

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
pub(crate) fn missing_lock_hint(app_dir: &Path) -> io::Result<MissingLockHint> {
    let exists = |name: &str| app_dir.join(name).try_exists();
    let pyproject = match std::fs::read_to_string(app_dir.join("pyproject.toml")) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        // Not UTF-8: nothing can be learned from it.
        Err(error) if error.kind() == io::ErrorKind::InvalidData => None,
        Err(error) => return Err(error),
    };
    let mut files = Vec::new();
    for package_manager in PackageManager::ALL {
        if let Some(Recognised {
            sign: ProjectSign::File(file),
            ..
        }) = package_manager.declaration().missing_lock.recognised_by
            && exists(file)?
        {
            files.push(file);
        }
    }
    Ok(lock_hint(
        &files,
        pyproject.as_deref(),
        exists("setup.py")? || exists("setup.cfg")?,
    ))
}

/// The hint for an app root with these sign `files` (of the package managers' declarations)
/// and this `pyproject.toml`. The most specific sign wins (a file, then a tool's own table, then
/// a generic table), then the package managers' order.
fn lock_hint(files: &[&str], pyproject: Option<&str>, has_setup: bool) -> MissingLockHint {
    let table: Option<toml::Table> = pyproject.and_then(|text| toml::from_str(text).ok());
    let has = |path: &[&str]| table.as_ref().is_some_and(|t| lookup(t, path).is_some());
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

/// Top-level folders that are virtual environments: `venv/`, `.venv/`, or any with a
/// `pyvenv.cfg`. Sorted.
pub(crate) fn committed_venvs(app_dir: &Path) -> io::Result<Vec<String>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(app_dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let dir = entry.path();
        let named_like_one = matches!(name.as_str(), "venv" | ".venv")
            && (dir.join("bin/activate").try_exists()? || dir.join("bin/python").try_exists()?);
        if named_like_one || dir.join("pyvenv.cfg").try_exists()? {
            found.push(name);
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_follow_the_project_files() {
        let poetry = "[tool.poetry]\nname = \"app\"\n[project]\nname = \"app\"\n";
        assert_eq!(
            lock_hint(&["Pipfile"], Some(poetry), true),
            MissingLockHint::Lock(PackageManager::Pipenv)
        );
        assert_eq!(
            lock_hint(&[], Some(poetry), false),
            MissingLockHint::Lock(PackageManager::Poetry)
        );
        assert_eq!(
            lock_hint(&[], Some("[project]\nname = \"app\"\n"), false),
            MissingLockHint::Lock(PackageManager::Uv)
        );
        assert_eq!(
            lock_hint(&[], Some("[project]\nname = \"app\"\n[tool.pdm]\n"), false),
            MissingLockHint::Lock(PackageManager::Pdm)
        );
        assert_eq!(
            lock_hint(&[], Some("[tool.uv]\ndev-dependencies = []\n"), false),
            MissingLockHint::Lock(PackageManager::Uv)
        );
        assert_eq!(
            lock_hint(&[], Some("[tool.black]\nline-length = 99\n"), true),
            MissingLockHint::InstallProject
        );
        assert_eq!(
            lock_hint(
                &[],
                Some("[build-system]\nrequires = [\"hatchling\"]\n"),
                false
            ),
            MissingLockHint::InstallProject
        );
        assert_eq!(
            lock_hint(&[], Some("[tool.black]\n"), false),
            MissingLockHint::None
        );
        assert_eq!(
            lock_hint(&[], Some("not toml ["), false),
            MissingLockHint::None
        );
        assert_eq!(lock_hint(&[], None, false), MissingLockHint::None);
    }

    #[test]
    fn reads_the_hint_from_the_app() {
        let app = tempfile::tempdir().unwrap();
        std::fs::write(app.path().join("setup.py"), "").unwrap();
        assert_eq!(
            missing_lock_hint(app.path()).unwrap(),
            MissingLockHint::InstallProject
        );
        std::fs::write(app.path().join("pyproject.toml"), "[tool.poetry]\n").unwrap();
        assert_eq!(
            missing_lock_hint(app.path()).unwrap(),
            MissingLockHint::Lock(PackageManager::Poetry)
        );
        std::fs::write(app.path().join("Pipfile"), "").unwrap();
        assert_eq!(
            missing_lock_hint(app.path()).unwrap(),
            MissingLockHint::Lock(PackageManager::Pipenv)
        );
    }

    #[test]
    fn finds_committed_virtual_environments() {
        let app = tempfile::tempdir().unwrap();
        let dir = |path: &str| std::fs::create_dir_all(app.path().join(path)).unwrap();
        let file = |path: &str| std::fs::write(app.path().join(path), "").unwrap();
        assert_eq!(committed_venvs(app.path()).unwrap(), [""; 0]);
        dir(".venv/bin");
        file(".venv/bin/activate");
        dir("env");
        file("env/pyvenv.cfg");
        // A folder named venv that is not one, and a file named like one.
        dir("venv/docs");
        file("pyvenv.cfg");
        dir("src");
        assert_eq!(committed_venvs(app.path()).unwrap(), [".venv", "env"]);
    }
}
