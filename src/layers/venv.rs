//! The `venv` layer: the virtual environment the app's dependencies are installed into, on `PATH`
//! with `VIRTUAL_ENV` set at build and launch, the same layer for every package manager. A
//! cached one is reused as it is, updated in place, or created afresh, as [`choose_action`] says from its
//! metadata ([`VenvLayerMetadata`]) and the package manager's [`Policy`]. After every install,
//! the dependency check reads what is installed (`crate::installed`). Whatever happens, the
//! metadata describes what is on disk: an update first marks the layer as being updated, a
//! failed install empties it, and the real metadata is written last.

mod action;
mod metadata;

pub(crate) use action::{
    ChangedSettings, DeselectedGroups, InstallMode, Policy, bytecode_level_reason,
    not_reusable_reason, unchanged_inputs,
};
use action::{VenvAction, choose_action};
pub(crate) use metadata::VenvLayerMetadata;

use crate::BuildpackError;
use crate::PythonBuildpack;
use crate::build_env;
use crate::command::Command;
use crate::config::DependencyCheck;
use crate::layers::fill_layer;
use crate::layers::venv_settings::VenvSettingsLayer;
use crate::message::show;
use crate::runtime::PythonRuntime;
use bullet_stream::global::print;
use libcnb::Env;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{CachedLayerDefinition, EmptyLayerCause, LayerState, RestoredLayerAction};
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use metadata::{UpdateInProgress, migrate_or_discard};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The virtual environment, and the env that later build steps run with.
#[allow(dead_code, reason = "for the build steps after the dependency install")]
pub(crate) struct Venv {
    pub(crate) dir: PathBuf,
    /// The runtime's build env with the virtual environment applied (`PATH`, `VIRTUAL_ENV`).
    pub(crate) build_env: Env,
}

/// What the dependency check after an install warns about.
pub(crate) enum DependencyCheckWarning {
    /// Requirements of installed packages that the environment does not meet.
    Conflicts(Vec<crate::installed::Conflict>),
    /// The check could not read the environment, for this reason.
    CouldNotRun(String),
}

#[derive(Debug)]
pub(crate) enum VenvError {
    Create { output: String },
}

/// What a package manager asks of the `venv` layer.
pub(crate) struct VenvRequest<'a> {
    /// This build's inputs.
    pub(crate) metadata: VenvLayerMetadata,
    pub(crate) policy: Policy,
    /// The fingerprints of the settings, recorded once the install succeeded.
    pub(crate) settings: &'a VenvSettingsLayer,
    /// What the runtime's `python -m venv` and the install run with (the virtual environment is
    /// applied to it for the install).
    pub(crate) base_env: &'a Env,
    /// What a reused environment is, for the output: `requirements and Python`.
    pub(crate) unchanged: String,
    /// The artifact hashes a lock pins, for the SBOM.
    pub(crate) lock_hashes: &'a HashMap<String, Vec<String>>,
    /// What the dependency check after an install does (`BP_PYTHON_CHECK_DEPENDENCIES`).
    pub(crate) check: DependencyCheck,
}

/// Reuses, updates or creates the virtual environment, as [`choose_action`] says. `install(venv_dir,
/// env, mode, reinstall)` runs the package manager, with `env` = the request's base env plus the
/// virtual environment, reinstalling the local packages `reinstall`.
pub(crate) fn install_venv_layer(
    context: &BuildContext<PythonBuildpack>,
    runtime: &PythonRuntime,
    request: &VenvRequest<'_>,
    install: impl FnOnce(&Path, &Env, InstallMode, &[String]) -> libcnb::Result<(), BuildpackError>,
) -> libcnb::Result<Venv, BuildpackError> {
    let metadata = &request.metadata;
    let layer = context.cached_layer(
        layer_name!("venv"),
        CachedLayerDefinition {
            build: true,
            launch: true,
            invalid_metadata_action: &migrate_or_discard,
            restored_layer_action: &|old: &VenvLayerMetadata, _| {
                let action =
                    choose_action(old, metadata, &request.settings.change(), &request.policy);
                if matches!(action, VenvAction::Recreate(_)) {
                    (RestoredLayerAction::DeleteLayer, action)
                } else {
                    (RestoredLayerAction::KeepLayer, action)
                }
            },
        },
    )?;
    let dir = layer.path();
    let fill = match &layer.state {
        LayerState::Empty { cause } => {
            let reasons = match cause {
                EmptyLayerCause::NewlyCreated => None,
                EmptyLayerCause::InvalidMetadataAction { cause: reason } => Some(reason.clone()),
                EmptyLayerCause::RestoredLayerAction { cause: action } => match action {
                    VenvAction::Recreate(reasons) | VenvAction::Update { reasons, .. } => {
                        Some(reasons.join(", and "))
                    }
                    VenvAction::Reuse => Some(String::new()),
                },
            };
            match reasons {
                None => print::sub_bullet("Creating the virtual environment"),
                Some(reasons) => print::sub_bullet(format!(
                    "Recreating the virtual environment because {reasons}"
                )),
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
                request.unchanged
            ));
            None
        }
    };
    if let Some((mode, reinstall)) = fill {
        fill_layer(&layer, metadata, || {
            match mode {
                InstallMode::New => {
                    create_venv(runtime, &dir, request.base_env).map_err(libcnb::Error::from)
                }
                // From here until the new metadata is written, the environment is neither the old
                // one nor the new one.
                InstallMode::Existing => layer.write_metadata(UpdateInProgress {
                    update_in_progress: true,
                }),
            }?;
            layer.write_env(venv_layer_env(&dir))?;
            let env = build_env::with_layer(request.base_env, &layer.read_env()?);
            install(&dir, &env, mode, &reinstall)?;
            // What the installer left uncompiled is compiled, and anything Python wrote while it
            // ran made hash-based, as the installers' own files are (`SOURCE_DATE_EPOCH`).
            crate::bytecode::complete_venv(
                &dir,
                &dir.join("bin/python"),
                &env,
                &runtime.compiled_suffix(),
            );
            check_dependencies(&dir, runtime, request.check)?;
            request.settings.record()
        })?;
    }
    // On every build, installed or reused.
    crate::sbom::write_venv_sbom(&layer, request.lock_hashes)?;
    Ok(Venv {
        build_env: build_env::with_layer(&runtime.build_env, &layer.read_env()?),
        dir,
    })
}

/// The dependency check after an install: requirements of installed packages that the
/// environment does not meet are a warning, or fail the build with `strict`. A check that cannot
/// run is a warning.
fn check_dependencies(
    venv_dir: &Path,
    runtime: &PythonRuntime,
    check: DependencyCheck,
) -> Result<(), BuildpackError> {
    if check == DependencyCheck::Off {
        return Ok(());
    }
    let conflicts = crate::installed::marker_environment(&runtime.python(), &runtime.build_env)
        .map_err(|error| error.0)
        .and_then(|env| {
            crate::installed::read(venv_dir)
                .map(|set| crate::installed::conflicts(&set, &env))
                .map_err(|error| format!("{}: {}", error.path.display(), error.error))
        });
    match conflicts {
        Ok(conflicts) if conflicts.is_empty() => Ok(()),
        Ok(conflicts) if check == DependencyCheck::Strict => {
            Err(BuildpackError::DependencyConflicts(conflicts))
        }
        Ok(conflicts) => {
            show(&DependencyCheckWarning::Conflicts(conflicts));
            Ok(())
        }
        Err(error) => {
            show(&DependencyCheckWarning::CouldNotRun(error));
            Ok(())
        }
    }
}

impl Venv {
    /// The environment's `python`.
    pub(crate) fn python(&self) -> PathBuf {
        self.dir.join("bin/python")
    }
}

/// `python -m venv --without-pip`: pip runs from its own build-only layer instead.
pub(crate) fn create_venv(
    runtime: &PythonRuntime,
    dir: &Path,
    env: &Env,
) -> Result<(), BuildpackError> {
    Command::new(runtime.python(), env)
        .args(["-m", "venv", "--without-pip"])
        .arg(dir)
        .capture()
        .map(drop)
        .map_err(|error| {
            error.into_buildpack_error(|_, output| {
                BuildpackError::Venv(VenvError::Create {
                    output: format!("{}{}", output.stdout, output.stderr),
                })
            })
        })
}

/// `bin` goes on `PATH` by itself (the lifecycle and libcnb add a layer's `bin`).
pub(crate) fn venv_layer_env(dir: &Path) -> LayerEnv {
    LayerEnv::new().chainable_insert(
        Scope::All,
        ModificationBehavior::Override,
        "VIRTUAL_ENV",
        dir,
    )
}

#[cfg(test)]
mod tests;
