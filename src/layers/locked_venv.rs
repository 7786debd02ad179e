//! The `venv` layer as the package managers that install from a lock file (uv, Poetry, Pipenv, PDM)
//! use it: the same layer, env and layout as pip's (`crate::layers::venv`), with metadata of its
//! own. Switching between pip and a lock-based package manager, or between two of them, creates the
//! environment afresh.
//!
//! A cached environment is reused as it is, without running the package manager, while the lock
//! file, its manifest, the Python and tool versions and the package manager's settings are
//! unchanged. When only the lock, the manifest or the settings changed it is updated in place: the
//! package managers install what changed and remove what the lock no longer has. A new Python, tool
//! version, base image or package manager creates it afresh.

use crate::PythonBuildpack;
use crate::build_env;
use crate::dependency_groups;
use crate::errors::BuildpackError;
use crate::layers::venv::{Venv, bytecode_level_reason, create_venv, venv_layer_env};
use crate::layers::venv_settings::{self, SettingsChange, VenvSettingsLayer};
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
pub(crate) const LAYER_FORMAT: u32 = 2;

/// Everything the installed packages depend on. The environment variables are named only: their
/// values (which can hold passwords) are fingerprinted in the cache-only `venv-settings` layer.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct LockedVenvMetadata {
    pub(crate) layer_format: u32,
    /// As shown: `uv`, `Poetry`, `Pipenv`.
    pub(crate) package_manager: String,
    pub(crate) tool_version: String,
    pub(crate) python_version: String,
    /// The optimization level its bytecode is compiled at (`PYTHONOPTIMIZE`).
    pub(crate) bytecode_level: u8,
    pub(crate) distro_name: String,
    pub(crate) distro_version: String,
    /// The lock file, its manifest and the tool's config files that exist → SHA-256.
    pub(crate) files: BTreeMap<String, String>,
    /// The settings variables of the package manager that are set.
    pub(crate) env_names: Vec<String>,
    /// The local packages the lock refers to → fingerprint of their sources (see
    /// `crate::package_managers::local_sources`).
    pub(crate) local_sources: BTreeMap<String, String>,
    /// The dependency groups installed besides the production dependencies (absent in the
    /// metadata of earlier versions, which installed none).
    #[serde(default)]
    pub(crate) dependency_groups: Vec<String>,
}

/// What a package manager's install does with the packages of a dependency group that is no
/// longer selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeselectedGroups {
    /// Removes them (an exact sync): the environment is updated in place.
    RemovedInPlace,
    /// Keeps them: the environment is created afresh when a group is dropped.
    KeptByTheTool,
}

/// What to do with a cached environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VenvAction {
    Reuse,
    /// Run the package manager in it, for these reasons, reinstalling these local packages.
    Update {
        reasons: Vec<String>,
        reinstall: Vec<String>,
    },
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

/// Compares a cached environment's metadata with this build's, and the settings it was installed
/// with with this build's.
pub(crate) fn decide(
    old: &LockedVenvMetadata,
    new: &LockedVenvMetadata,
    settings: &SettingsChange,
    deselected_groups: DeselectedGroups,
) -> VenvAction {
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
    if old.bytecode_level != new.bytecode_level {
        recreate.push(bytecode_level_reason(
            old.bytecode_level,
            new.bytecode_level,
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
    let groups_reason =
        dependency_groups::change_reason(&old.dependency_groups, &new.dependency_groups);
    let group_removed = old
        .dependency_groups
        .iter()
        .any(|group| !new.dependency_groups.contains(group));
    let mut update = Vec::new();
    match groups_reason {
        Some(reason) if group_removed && deselected_groups == DeselectedGroups::KeptByTheTool => {
            recreate.push(reason);
        }
        Some(reason) => update.push(reason),
        None => {}
    }
    if !recreate.is_empty() {
        return VenvAction::Recreate(recreate);
    }
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
    update.extend(venv_settings::reason(settings, &new.package_manager));
    // Local packages whose sources changed (new ones are installed anyway, being new in the lock).
    let reinstall: Vec<String> = new
        .local_sources
        .iter()
        .filter(|(name, fingerprint)| {
            old.local_sources
                .get(*name)
                .is_some_and(|old| old != *fingerprint)
        })
        .map(|(name, _)| name.clone())
        .collect();
    if !reinstall.is_empty() {
        let names: Vec<&str> = reinstall.iter().map(String::as_str).collect();
        let what = if names.len() == 1 {
            "package"
        } else {
            "packages"
        };
        update.push(format!("the local {what} {} changed", join_and(&names)));
    }
    if update.is_empty() {
        VenvAction::Reuse
    } else {
        VenvAction::Update {
            reasons: update,
            reinstall,
        }
    }
}

/// What the layer's metadata says while the environment is being updated in place: a build that
/// dies before the update ends leaves this, not the metadata of the environment before it, so
/// that no later build takes a half-updated environment for either.
#[derive(Serialize)]
struct UpdateInProgress {
    update_in_progress: bool,
}

/// Why metadata that is not ours means a new environment.
fn invalid_metadata_reason(metadata: &GenericMetadata, package_manager: &str) -> String {
    let has = |key| {
        metadata
            .as_ref()
            .is_some_and(|table| table.contains_key(key))
    };
    if has("update_in_progress") {
        "an earlier build stopped while updating it".to_string()
    } else if has("pip_version") {
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
/// env, mode)` runs the package manager, with `env` = the runtime's build env plus the virtual
/// environment. `lock_hashes` go into the SBOM; `deselected_groups` is what the package
/// manager does with the packages of a dropped dependency group.
pub(crate) fn install_locked_venv(
    context: &BuildContext<PythonBuildpack>,
    runtime: &PythonRuntime,
    metadata: &LockedVenvMetadata,
    settings: &VenvSettingsLayer,
    lock_hashes: &HashMap<String, Vec<String>>,
    deselected_groups: DeselectedGroups,
    install: impl FnOnce(&Path, &Env, InstallMode, &[String]) -> libcnb::Result<(), BuildpackError>,
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
                let action = decide(old, metadata, &settings.change(), deselected_groups);
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
                        VenvAction::Recreate(reasons) | VenvAction::Update { reasons, .. } => {
                            reasons.join(", and ")
                        }
                        VenvAction::Reuse => String::new(),
                    };
                    print::sub_bullet(format!(
                        "Recreating the virtual environment because {reasons}"
                    ));
                }
            }
            Some((InstallMode::New, Vec::new()))
        }
        LayerState::Restored {
            cause: VenvAction::Update { reasons, reinstall },
        } => {
            print::sub_bullet(format!(
                "Updating the virtual environment because {}",
                reasons.join(", and ")
            ));
            Some((InstallMode::Existing, reinstall.clone()))
        }
        LayerState::Restored { .. } => {
            print::sub_bullet(format!(
                "Reusing the virtual environment: {} unchanged",
                unchanged_inputs(metadata)
            ));
            None
        }
    };
    if let Some((mode, reinstall)) = mode {
        let result = match mode {
            InstallMode::New => {
                create_venv(runtime, &dir, &runtime.build_env).map_err(libcnb::Error::from)
            }
            // From here until the new metadata is written, the environment is neither the old
            // one nor the new one.
            InstallMode::Existing => layer.write_metadata(UpdateInProgress {
                update_in_progress: true,
            }),
        }
        .and_then(|()| layer.write_env(venv_layer_env(&dir)))
        .and_then(|()| layer.read_env())
        .and_then(|layer_env| {
            let env = build_env::with_layer(&runtime.build_env, &layer_env);
            install(&dir, &env, mode, &reinstall)
        });
        if let Err(error) = result {
            // Leave nothing that a later build could take for a complete environment.
            let _ = crate::fsutil::empty_dir(&dir);
            return Err(error);
        }
        // Written last: only a complete install carries metadata that a later build trusts.
        settings.record()?;
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
mod tests;
