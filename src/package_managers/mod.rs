//! Which package manager an app uses, and installing its dependencies with it.

pub(crate) mod local_sources;
pub(crate) mod lock_files;
pub(crate) mod locked;
pub(crate) mod pdm;
pub(crate) mod pip;
pub(crate) mod pipenv;
pub(crate) mod poetry;
pub(crate) mod uv;

use crate::PythonBuildpack;
use crate::errors::BuildpackError;
use crate::layers::installer::{InstalledInstaller, Installer};
use crate::layers::venv::Venv;
use crate::runtime::PythonRuntime;
use libcnb::build::BuildContext;
use std::fmt;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PackageManager {
    Pip,
    Poetry,
    Uv,
    Pipenv,
    Pdm,
}

impl PackageManager {
    pub(crate) const ALL: [PackageManager; 5] = [
        PackageManager::Pip,
        PackageManager::Poetry,
        PackageManager::Uv,
        PackageManager::Pipenv,
        PackageManager::Pdm,
    ];

    /// The file whose presence selects this package manager.
    pub(crate) fn marker_file(self) -> &'static str {
        match self {
            PackageManager::Pip => "requirements.txt",
            PackageManager::Poetry => "poetry.lock",
            PackageManager::Uv => "uv.lock",
            PackageManager::Pipenv => "Pipfile.lock",
            PackageManager::Pdm => "pdm.lock",
        }
    }
}

impl fmt::Display for PackageManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PackageManager::Pip => "pip",
            PackageManager::Poetry => "Poetry",
            PackageManager::Uv => "uv",
            PackageManager::Pipenv => "Pipenv",
            PackageManager::Pdm => "PDM",
        })
    }
}

/// Exactly one package manager's file must be present.
pub(crate) fn determine(app_dir: &Path) -> Result<PackageManager, BuildpackError> {
    let mut found = Vec::new();
    for package_manager in PackageManager::ALL {
        if app_dir
            .join(package_manager.marker_file())
            .try_exists()
            .map_err(BuildpackError::Detect)?
        {
            found.push(package_manager);
        }
    }
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(BuildpackError::NoPackageManager {
            python_files: crate::detect::python_signals(app_dir).map_err(BuildpackError::Detect)?,
            hint: crate::app_files::missing_lock_hint(app_dir).map_err(BuildpackError::Detect)?,
        }),
        _ => Err(BuildpackError::MultiplePackageManagers(found)),
    }
}

impl PackageManager {
    /// What installs the app's dependencies (pip), or installs the package manager and runs the
    /// install (uv, for itself and for Poetry and Pipenv).
    pub(crate) fn installer(self) -> Installer {
        match self {
            PackageManager::Pip => Installer::Pip,
            PackageManager::Uv
            | PackageManager::Poetry
            | PackageManager::Pipenv
            | PackageManager::Pdm => Installer::Uv,
        }
    }
}

/// Installs the app's dependencies with `installer` (from [`PackageManager::installer`]) into the
/// virtual environment.
pub(crate) fn install_dependencies(
    context: &BuildContext<PythonBuildpack>,
    package_manager: PackageManager,
    groups: &[String],
    runtime: &PythonRuntime,
    installer: &InstalledInstaller,
) -> libcnb::Result<Venv, BuildpackError> {
    let venv = match (package_manager, installer) {
        (PackageManager::Pip, InstalledInstaller::Pip(pip)) => {
            pip::install(context, runtime, pip, groups)?
        }
        (PackageManager::Uv, InstalledInstaller::Uv(uv)) => {
            locked::install::<uv::Uv>(context, runtime, uv, groups)?
        }
        (PackageManager::Poetry, InstalledInstaller::Uv(uv)) => {
            locked::install::<poetry::Poetry>(context, runtime, uv, groups)?
        }
        (PackageManager::Pdm, InstalledInstaller::Uv(uv)) => {
            locked::install::<pdm::Pdm>(context, runtime, uv, groups)?
        }
        (PackageManager::Pipenv, InstalledInstaller::Uv(uv)) => {
            locked::install::<pipenv::Pipenv>(context, runtime, uv, groups)?
        }
        _ => unreachable!("the installer comes from PackageManager::installer"),
    };
    Ok(venv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            std::fs::write(dir.path().join(file), "").unwrap();
        }
        dir
    }

    #[test]
    fn one_marker_file_selects_its_package_manager() {
        assert_eq!(
            determine(app(&["requirements.txt"]).path()).unwrap(),
            PackageManager::Pip
        );
        assert_eq!(
            determine(app(&["uv.lock", "pyproject.toml"]).path()).unwrap(),
            PackageManager::Uv
        );
    }

    #[test]
    fn several_marker_files_are_an_error() {
        let error = determine(app(&["requirements.txt", "poetry.lock"]).path()).unwrap_err();
        assert!(matches!(
            error,
            BuildpackError::MultiplePackageManagers(ref found)
                if found == &[PackageManager::Pip, PackageManager::Poetry]
        ));
    }

    #[test]
    fn no_marker_file_lists_what_was_found() {
        let error = determine(app(&["pyproject.toml"]).path()).unwrap_err();
        assert!(matches!(
            error,
            BuildpackError::NoPackageManager { ref python_files, hint: crate::app_files::MissingLockHint::None }
                if python_files == &["pyproject.toml"]
        ));
    }
}
