//! Which package manager an app uses, and installing its dependencies with it.

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
use crate::config::{BuildConfig, RequirementsInstaller};
use crate::layers::installer::{InstalledInstaller, Installer};
use crate::layers::venv::Venv;
use crate::runtime::PythonRuntime;
use declaration::{Declaration, Installs};
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

    /// What installs the app's dependencies (pip, or uv when `BP_PYTHON_INSTALLER` asks for it),
    /// or installs the package manager and runs the install (uv, for itself and for the other
    /// lock-based ones, whatever `requested` says).
    pub(crate) fn installer(self, requested: RequirementsInstaller) -> Installer {
        match (&self.declaration().installs, requested) {
            (Installs::Requirements, RequirementsInstaller::Pip) => Installer::Pip,
            (Installs::Requirements, RequirementsInstaller::Uv) | (Installs::Locked(_), _) => {
                Installer::Uv
            }
        }
    }
}

impl fmt::Display for PackageManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.declaration().name)
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

/// Installs the app's dependencies with `installer` (from [`PackageManager::installer`]) into the
/// virtual environment.
pub(crate) fn install_dependencies(
    context: &BuildContext<PythonBuildpack>,
    config: &BuildConfig,
    package_manager: PackageManager,
    runtime: &PythonRuntime,
    installer: &InstalledInstaller,
) -> libcnb::Result<Venv, BuildpackError> {
    let groups = &config.dependency_groups;
    let check = config.dependency_check;
    match (&package_manager.declaration().installs, installer) {
        (Installs::Requirements, _) => pip::install(context, runtime, installer, groups, check),
        (Installs::Locked(locked), InstalledInstaller::Uv(uv)) => {
            (locked.install)(context, runtime, uv, groups, check)
        }
        (Installs::Locked(_), InstalledInstaller::Pip(_)) => {
            unreachable!("the installer comes from PackageManager::installer")
        }
    }
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
        let tools: Vec<_> = PackageManager::ALL
            .into_iter()
            .filter_map(|pm| pm.declaration().locked().map(|locked| locked.tool))
            .collect();
        assert_eq!(tools.len(), 4);
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
