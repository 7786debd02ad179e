//! The `venv` layer as the package managers that install from a lock file (uv, Poetry, Pipenv)
//! use it: the same layer, env and layout as pip's (`crate::layers::venv`), with metadata of its
//! own. Switching between pip and a lock-based package manager, or between two of them, creates
//! the environment afresh.
//!
//! A cached environment is reused as it is, without running the package manager, while the lock
//! file, its manifest, the Python and tool versions and the package manager's settings are
//! unchanged. When only the lock, the manifest or the settings changed it is updated in place:
//! the package managers install what changed and remove what the lock no longer has. A new
//! Python, tool version, base image or package manager creates it afresh.

use crate::PythonBuildpack;
use crate::build_env;
use crate::errors::BuildpackError;
use crate::layers::venv::{Venv, create_venv, venv_layer_env};
use crate::runtime::PythonRuntime;
use bullet_stream::global::print;
use libcnb::Env;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::generic::GenericMetadata;
use libcnb::layer::{
    CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerState, RestoredLayerAction,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Bump to recreate every cached lock-based virtual environment.
pub(crate) const LAYER_FORMAT: u32 = 1;

/// Everything the installed packages depend on. Environment values are only in a hash: they can
/// hold passwords.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct LockedVenvMetadata {
    pub(crate) layer_format: u32,
    /// As shown: `uv`, `Poetry`, `Pipenv`.
    pub(crate) package_manager: String,
    pub(crate) tool_version: String,
    pub(crate) python_version: String,
    pub(crate) distro_name: String,
    pub(crate) distro_version: String,
    /// The lock file, its manifest and the tool's config files that exist → SHA-256.
    pub(crate) files: BTreeMap<String, String>,
    /// The settings variables of the package manager that are set.
    pub(crate) env_names: Vec<String>,
    /// SHA-256 of those variables' names and values.
    pub(crate) env_sha256: String,
}

/// What to do with a cached environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VenvAction {
    Reuse,
    /// Run the package manager in it, for these reasons.
    Update(Vec<String>),
    /// Delete it and start afresh, for these reasons.
    Recreate(Vec<String>),
}

/// How the install step finds the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InstallMode {
    /// Just created, empty.
    New,
    /// From an earlier build, to be brought in line with the lock.
    Existing,
}

/// Compares a cached environment's metadata with this build's.
pub(crate) fn decide(old: &LockedVenvMetadata, new: &LockedVenvMetadata) -> VenvAction {
    let mut recreate = Vec::new();
    if old.layer_format != new.layer_format {
        recreate.push("the buildpack's virtual environment format changed".to_string());
    }
    if old.package_manager != new.package_manager {
        recreate.push(format!(
            "the package manager changed ({} to {})",
            old.package_manager, new.package_manager
        ));
    }
    if old.python_version != new.python_version {
        recreate.push(format!(
            "the Python version changed ({} to {})",
            old.python_version, new.python_version
        ));
    }
    if old.package_manager == new.package_manager && old.tool_version != new.tool_version {
        recreate.push(format!(
            "the {} version changed ({} to {})",
            new.package_manager, old.tool_version, new.tool_version
        ));
    }
    if (&old.distro_name, &old.distro_version) != (&new.distro_name, &new.distro_version) {
        recreate.push(format!(
            "the base image changed ({} {} to {} {})",
            old.distro_name, old.distro_version, new.distro_name, new.distro_version
        ));
    }
    if !recreate.is_empty() {
        return VenvAction::Recreate(recreate);
    }
    let mut update = Vec::new();
    let changed: BTreeSet<&str> = old
        .files
        .keys()
        .chain(new.files.keys())
        .filter(|file| old.files.get(*file) != new.files.get(*file))
        .map(String::as_str)
        .collect();
    if !changed.is_empty() {
        let changed: Vec<&str> = changed.into_iter().collect();
        update.push(format!("{} changed", join_and(&changed)));
    }
    if old.env_sha256 != new.env_sha256 {
        let names: BTreeSet<&str> = old
            .env_names
            .iter()
            .chain(&new.env_names)
            .map(String::as_str)
            .collect();
        update.push(format!(
            "environment variables that {} uses changed ({})",
            new.package_manager,
            names.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if update.is_empty() {
        VenvAction::Reuse
    } else {
        VenvAction::Update(update)
    }
}

/// Why metadata that is not ours means a new environment.
fn invalid_metadata_reason(metadata: &GenericMetadata, package_manager: &str) -> String {
    let is_pips = metadata
        .as_ref()
        .is_some_and(|table| table.contains_key("pip_version"));
    if is_pips {
        format!("the package manager changed (pip to {package_manager})")
    } else {
        "it is from an unknown or incomplete build".to_string()
    }
}

/// What a reused environment is: `uv.lock, pyproject.toml, Python 3.13.5 and uv 0.13.9`.
fn unchanged_inputs(metadata: &LockedVenvMetadata) -> String {
    let mut items: Vec<String> = metadata.files.keys().cloned().collect();
    items.push(format!("Python {}", metadata.python_version));
    items.push(format!(
        "{} {}",
        metadata.package_manager, metadata.tool_version
    ));
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    join_and(&items)
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Reuses, updates or creates the virtual environment, as [`decide`] says. `install(venv_dir,
/// env, mode)` runs the package manager, with `env` = `base_env` plus the virtual environment.
/// `lock_hashes` go into the SBOM.
pub(crate) fn install_locked_venv(
    context: &BuildContext<PythonBuildpack>,
    runtime: &PythonRuntime,
    metadata: &LockedVenvMetadata,
    base_env: &Env,
    lock_hashes: &HashMap<String, Vec<String>>,
    install: impl FnOnce(&Path, &Env, InstallMode) -> libcnb::Result<(), BuildpackError>,
) -> libcnb::Result<Venv, BuildpackError> {
    let layer = context.cached_layer(
        layer_name!("venv"),
        CachedLayerDefinition {
            build: true,
            launch: true,
            invalid_metadata_action: &|old| {
                (
                    InvalidMetadataAction::DeleteLayer,
                    invalid_metadata_reason(old, &metadata.package_manager),
                )
            },
            restored_layer_action: &|old: &LockedVenvMetadata, _| {
                let action = decide(old, metadata);
                if matches!(action, VenvAction::Recreate(_)) {
                    (RestoredLayerAction::DeleteLayer, action)
                } else {
                    (RestoredLayerAction::KeepLayer, action)
                }
            },
        },
    )?;
    let dir = layer.path();
    let mode = match &layer.state {
        LayerState::Empty { cause } => {
            match cause {
                EmptyLayerCause::NewlyCreated => {
                    print::sub_bullet("Creating the virtual environment");
                }
                EmptyLayerCause::InvalidMetadataAction { cause: reason } => print::sub_bullet(
                    format!("Recreating the virtual environment because {reason}"),
                ),
                EmptyLayerCause::RestoredLayerAction { cause: action } => {
                    let reasons = match action {
                        VenvAction::Recreate(reasons) | VenvAction::Update(reasons) => {
                            reasons.join(", and ")
                        }
                        VenvAction::Reuse => String::new(),
                    };
                    print::sub_bullet(format!(
                        "Recreating the virtual environment because {reasons}"
                    ));
                }
            }
            Some(InstallMode::New)
        }
        LayerState::Restored {
            cause: VenvAction::Update(reasons),
        } => {
            print::sub_bullet(format!(
                "Updating the virtual environment because {}",
                reasons.join(", and ")
            ));
            Some(InstallMode::Existing)
        }
        LayerState::Restored { .. } => {
            print::sub_bullet(format!(
                "Reusing the virtual environment: {} unchanged",
                unchanged_inputs(metadata)
            ));
            None
        }
    };
    if let Some(mode) = mode {
        let result = match mode {
            InstallMode::New => create_venv(runtime, &dir, base_env)
                .map_err(BuildpackError::Venv)
                .map_err(libcnb::Error::from),
            InstallMode::Existing => Ok(()),
        }
        .and_then(|()| layer.write_env(venv_layer_env(&dir)))
        .and_then(|()| layer.read_env())
        .and_then(|layer_env| install(&dir, &build_env::with_layer(base_env, &layer_env), mode));
        if let Err(error) = result {
            // Leave nothing that a later build could take for a complete environment.
            let _ = std::fs::remove_dir_all(&dir);
            let _ = std::fs::create_dir_all(&dir);
            return Err(error);
        }
        // Written last: only a complete install carries metadata that a later build trusts.
        layer.write_metadata(metadata.clone())?;
    }
    // On every build, installed or reused.
    crate::sbom::write_venv_sbom(&layer, lock_hashes)?;

    Ok(Venv {
        build_env: build_env::with_layer(&runtime.build_env, &layer.read_env()?),
        dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> LockedVenvMetadata {
        LockedVenvMetadata {
            layer_format: LAYER_FORMAT,
            package_manager: "uv".to_string(),
            tool_version: "0.13.9".to_string(),
            python_version: "3.13.5".to_string(),
            distro_name: "ubuntu".to_string(),
            distro_version: "24.04".to_string(),
            files: BTreeMap::from([
                ("pyproject.toml".to_string(), "a".repeat(64)),
                ("uv.lock".to_string(), "b".repeat(64)),
            ]),
            env_names: vec!["UV_INDEX_URL".to_string()],
            env_sha256: "c".repeat(64),
        }
    }

    #[test]
    fn nothing_changed_is_reused() {
        assert_eq!(decide(&metadata(), &metadata()), VenvAction::Reuse);
        assert_eq!(
            unchanged_inputs(&metadata()),
            "pyproject.toml, uv.lock, Python 3.13.5 and uv 0.13.9"
        );
    }

    #[test]
    fn changed_lock_manifest_or_settings_update_in_place() {
        let mut new = metadata();
        new.files.insert("uv.lock".to_string(), "d".repeat(64));
        assert_eq!(
            decide(&metadata(), &new),
            VenvAction::Update(vec!["uv.lock changed".to_string()])
        );
        new.files
            .insert("pyproject.toml".to_string(), "e".repeat(64));
        new.files.insert("uv.toml".to_string(), "f".repeat(64));
        new.env_names = vec!["UV_EXTRA_INDEX_URL".to_string()];
        new.env_sha256 = "0".repeat(64);
        assert_eq!(
            decide(&metadata(), &new),
            VenvAction::Update(vec![
                "pyproject.toml, uv.lock and uv.toml changed".to_string(),
                "environment variables that uv uses changed (UV_EXTRA_INDEX_URL, UV_INDEX_URL)"
                    .to_string(),
            ])
        );
    }

    #[test]
    fn python_tool_or_distro_changes_recreate() {
        let mut new = LockedVenvMetadata {
            python_version: "3.11.2".to_string(),
            tool_version: "0.14.0".to_string(),
            ..metadata()
        };
        // Together with a lock change: recreating covers it.
        new.files.insert("uv.lock".to_string(), "d".repeat(64));
        assert_eq!(
            decide(&metadata(), &new),
            VenvAction::Recreate(vec![
                "the Python version changed (3.13.5 to 3.11.2)".to_string(),
                "the uv version changed (0.13.9 to 0.14.0)".to_string(),
            ])
        );
        let new = LockedVenvMetadata {
            distro_version: "22.04".to_string(),
            ..metadata()
        };
        assert_eq!(
            decide(&metadata(), &new),
            VenvAction::Recreate(vec![
                "the base image changed (ubuntu 24.04 to ubuntu 22.04)".to_string()
            ])
        );
    }

    #[test]
    fn another_package_manager_recreates() {
        let new = LockedVenvMetadata {
            package_manager: "Poetry".to_string(),
            tool_version: "2.5.1".to_string(),
            files: BTreeMap::from([("poetry.lock".to_string(), "d".repeat(64))]),
            ..metadata()
        };
        assert_eq!(
            decide(&metadata(), &new),
            VenvAction::Recreate(vec![
                "the package manager changed (uv to Poetry)".to_string()
            ])
        );
        let pips: GenericMetadata = Some(toml::toml! { pip_version = "26.3" });
        assert_eq!(
            invalid_metadata_reason(&pips, "uv"),
            "the package manager changed (pip to uv)"
        );
        assert_eq!(
            invalid_metadata_reason(&None, "uv"),
            "it is from an unknown or incomplete build"
        );
    }
}
