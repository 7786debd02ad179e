//! Which package manager an app uses, and installing its dependencies with it: each lock-based
//! one's plan carried out by `locked`, requirements files by `pip`. The build picks which in one
//! `match`, in `main.rs`.

pub(crate) mod declaration;
pub(crate) mod local_sources;
pub(crate) mod lock_files;
pub(crate) mod locked;
pub(crate) mod pdm;
pub(crate) mod pip;
pub(crate) mod pipenv;
pub(crate) mod poetry;
pub(crate) mod uv;

use crate::BuildpackError;
use crate::PythonBuildpack;
use crate::bootstrap;
use crate::config::{BuildConfig, RequirementsInstaller};
use crate::layers::installer::Installer;
use crate::layers::venv::Venv;
use crate::project::Project;
use crate::runtime::PythonRuntime;
use crate::runtime::manifest::RuntimeEntry;
use bullet_stream::global::print;
use declaration::Declaration;
use libcnb::Env;
use libcnb::build::BuildContext;
use locked::LockedPlan;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PackageManager {
    Pip,
    Poetry,
    Uv,
    Pipenv,
    Pdm,
}

impl PackageManager {
    /// In the order the output lists them.
    pub(crate) const ALL: [PackageManager; 5] = [
        PackageManager::Pip,
        PackageManager::Poetry,
        PackageManager::Uv,
        PackageManager::Pipenv,
        PackageManager::Pdm,
    ];

    /// Everything the buildpack knows about it.
    pub(crate) const fn declaration(self) -> &'static Declaration {
        match self {
            PackageManager::Pip => &pip::DECLARATION,
            PackageManager::Poetry => &poetry::DECLARATION,
            PackageManager::Uv => &uv::DECLARATION,
            PackageManager::Pipenv => &pipenv::DECLARATION,
            PackageManager::Pdm => &pdm::DECLARATION,
        }
    }

    /// The file whose presence selects this package manager.
    pub(crate) const fn marker_file(self) -> &'static str {
        self.declaration().marker_file
    }
}

impl fmt::Display for PackageManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.declaration().name)
    }
}

/// Exactly one package manager's file must be present.
pub(crate) fn determine(project: &Project) -> Result<PackageManager, BuildpackError> {
    let found: Vec<PackageManager> = PackageManager::ALL
        .into_iter()
        .filter(|package_manager| project.has(package_manager.marker_file()))
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(BuildpackError::NoPackageManager {
            python_files: crate::detect::python_signals(project),
            hint: crate::app_files::missing_lock_hint(project),
        }),
        _ => Err(BuildpackError::MultiplePackageManagers(found)),
    }
}

/// What a lock-based package manager's `plan` is: the plan of the install for the app, the
/// dependency groups and the build env, or why the app's files do not make one.
pub(crate) type PlanLocked =
    fn(&Project, &[String], &Env) -> Result<LockedPlan, locked::LockedInstallError>;

/// Installs the runtime and uv, then the app's dependencies with `package_manager`, as its
/// `plan` says.
pub(crate) fn install_locked(
    context: &BuildContext<PythonBuildpack>,
    config: &BuildConfig,
    project: &Project,
    entry: &RuntimeEntry,
    package_manager: PackageManager,
    plan: PlanLocked,
) -> libcnb::Result<(PythonRuntime, Venv), BuildpackError> {
    let (runtime, uv) = bootstrap::install_runtime_and_uv(context, config, entry)?;
    let groups = &config.dependency_groups;
    print::bullet(format!("Dependencies ({package_manager})"));
    crate::dependency_groups::announce(groups);
    let plan = plan(project, groups, &runtime.build_env).map_err(BuildpackError::LockedInstall)?;
    let venv = locked::install(context, &runtime, &uv, &plan, config.dependency_check)?;
    Ok((runtime, venv))
}

/// Installs the runtime and the installer `BP_PYTHON_INSTALLER` names (pip by default), then the
/// app's requirements files.
pub(crate) fn install_requirements(
    context: &BuildContext<PythonBuildpack>,
    config: &BuildConfig,
    project: &Project,
    entry: &RuntimeEntry,
) -> libcnb::Result<(PythonRuntime, Venv), BuildpackError> {
    let requested = match config.requirements_installer {
        RequirementsInstaller::Pip => Installer::Pip,
        RequirementsInstaller::Uv => Installer::Uv,
    };
    let (runtime, installer) =
        bootstrap::install_runtime_and_installer(context, config, entry, requested)?;
    let groups = &config.dependency_groups;
    print::bullet(format!("Dependencies ({})", pip::described(requested)));
    crate::dependency_groups::announce(groups);
    let plan = pip::plan(
        project,
        &installer,
        groups,
        &runtime.build_env,
        &mut |path| pip::read_file(project, path),
    )?;
    let venv = pip::install(context, &runtime, &plan, config.dependency_check)?;
    Ok((runtime, venv))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(files: &[&'static str]) -> Project {
        let files: Vec<_> = files.iter().map(|file| (*file, "")).collect();
        Project::from_files(std::path::Path::new("/app"), &files)
    }

    #[test]
    fn one_marker_file_selects_its_package_manager() {
        assert_eq!(
            determine(&app(&["requirements.txt"])).unwrap(),
            PackageManager::Pip
        );
        assert_eq!(
            determine(&app(&["uv.lock", "pyproject.toml"])).unwrap(),
            PackageManager::Uv
        );
    }

    #[test]
    fn several_marker_files_are_an_error() {
        let error = determine(&app(&["requirements.txt", "poetry.lock"])).unwrap_err();
        assert!(matches!(
            error,
            BuildpackError::MultiplePackageManagers(ref found)
                if found == &[PackageManager::Pip, PackageManager::Poetry]
        ));
    }

    #[test]
    fn no_marker_file_lists_what_was_found() {
        let error = determine(&app(&["pyproject.toml"])).unwrap_err();
        assert!(matches!(
            error,
            BuildpackError::NoPackageManager { ref python_files, hint: crate::app_files::MissingLockHint::None }
                if python_files == &["pyproject.toml"]
        ));
    }

    #[test]
    fn every_package_manager_has_its_own_files_and_layers() {
        let unique = |names: Vec<&str>| {
            let mut sorted = names.clone();
            sorted.sort_unstable();
            sorted.dedup();
            sorted.len() == names.len()
        };
        let declarations = PackageManager::ALL.map(PackageManager::declaration);
        assert!(unique(declarations.iter().map(|d| d.marker_file).collect()));
        assert!(unique(declarations.iter().map(|d| d.name).collect()));
        assert!(unique(declarations.iter().map(|d| d.cache.layer).collect()));
        assert!(unique(
            declarations.iter().map(|d| d.missing_lock.create).collect()
        ));
        let mut ranks: Vec<u8> = declarations
            .iter()
            .map(|d| d.missing_lock.suggestion_rank)
            .collect();
        ranks.sort_unstable();
        assert_eq!(ranks, [0, 1, 2, 3, 4]);
        for declaration in declarations {
            assert!(
                declaration
                    .cache
                    .layer
                    .parse::<libcnb::data::layer::LayerName>()
                    .is_ok()
            );
            assert!(declaration.cache.layer.ends_with("-cache"));
            assert_eq!(declaration.cache.label, declaration.name);
        }
    }

    #[test]
    fn every_lock_based_tool_is_pinned_with_hashes_in_a_layer_of_its_own() {
        let tools = [uv::TOOL, poetry::TOOL, pipenv::TOOL, pdm::TOOL];
        for tool in tools {
            let version = tool.version();
            assert!(
                version.chars().next().is_some_and(|c| c.is_ascii_digit()),
                "{tool}: {version}"
            );
            assert!(tool.requirements().contains("--hash=sha256:"), "{tool}");
            assert!(
                tool.command_name()
                    .parse::<libcnb::data::layer::LayerName>()
                    .is_ok()
            );
            // Every requirement line is pinned, and followed by hashes.
            for line in tool.requirements().lines() {
                if line.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                    assert!(line.contains("=="), "{tool}: {line}");
                    assert!(line.ends_with('\\'), "{tool}: no hashes for {line}");
                }
            }
        }
    }
}
