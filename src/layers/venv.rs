//! The `venv` layer: the virtual environment the app's dependencies are installed into, on `PATH`
//! with `VIRTUAL_ENV` set at build and launch. A cached one is reused as it is while everything
//! the install depends on is unchanged and pinned; otherwise it is created afresh (from the warm
//! pip cache), so that removed packages are gone.

use crate::PythonBuildpack;
use crate::build_env;
use crate::command::Command;
use crate::errors::BuildpackError;
use crate::layers::venv_settings::{self, VenvSettingsLayer};
use crate::runtime::PythonRuntime;
use bullet_stream::global::print;
use libcnb::Env;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{
    CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerState, RestoredLayerAction,
};
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bump to recreate every cached virtual environment, e.g. when the layer's layout or env changes.
pub(crate) const LAYER_FORMAT: u32 = 2;

/// Everything the installed packages depend on. The environment variables are named only: their
/// values (which can hold passwords) are fingerprinted in the cache-only `venv-settings` layer.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct VenvLayerMetadata {
    pub(crate) layer_format: u32,
    pub(crate) python_version: String,
    /// The optimization level its bytecode is compiled at (`PYTHONOPTIMIZE`).
    pub(crate) bytecode_level: u8,
    pub(crate) pip_version: String,
    pub(crate) distro_name: String,
    pub(crate) distro_version: String,
    /// requirements.txt and every file it includes → SHA-256 of its contents.
    pub(crate) requirements_files: BTreeMap<String, String>,
    /// The pip settings variables and `${VAR}`s of the requirements files that are inputs.
    pub(crate) env_names: Vec<String>,
    /// The PEP 735 dependency groups of pyproject.toml installed too (absent in the metadata of
    /// earlier versions, which installed none).
    #[serde(default)]
    pub(crate) dependency_groups: Vec<String>,
}

/// The virtual environment, and the env that later build steps run with.
#[allow(dead_code, reason = "for the build steps after the dependency install")]
pub(crate) struct Venv {
    pub(crate) dir: PathBuf,
    /// The runtime's build env with the virtual environment applied (`PATH`, `VIRTUAL_ENV`).
    pub(crate) build_env: Env,
}

#[derive(Debug)]
pub(crate) enum VenvError {
    Create { output: String },
}

/// Why a cached virtual environment does not match, one reason per changed input.
pub(crate) fn reasons_to_recreate(old: &VenvLayerMetadata, new: &VenvLayerMetadata) -> Vec<String> {
    let mut reasons = Vec::new();
    if old.layer_format != new.layer_format {
        reasons.push("the buildpack's virtual environment format changed".to_string());
    }
    if old.python_version != new.python_version {
        reasons.push(format!(
            "the Python version changed ({} to {})",
            old.python_version, new.python_version
        ));
    }
    if old.bytecode_level != new.bytecode_level {
        reasons.push(bytecode_level_reason(
            old.bytecode_level,
            new.bytecode_level,
        ));
    }
    if old.pip_version != new.pip_version {
        reasons.push(format!(
            "the pip version changed ({} to {})",
            old.pip_version, new.pip_version
        ));
    }
    if (&old.distro_name, &old.distro_version) != (&new.distro_name, &new.distro_version) {
        reasons.push(format!(
            "the base image changed ({} {} to {} {})",
            old.distro_name, old.distro_version, new.distro_name, new.distro_version
        ));
    }
    reasons.extend(crate::dependency_groups::change_reason(
        &old.dependency_groups,
        &new.dependency_groups,
    ));
    let changed_files: BTreeSet<&String> = old
        .requirements_files
        .iter()
        .chain(&new.requirements_files)
        .filter(|(file, sha256)| {
            old.requirements_files.get(*file) != Some(*sha256)
                || new.requirements_files.get(*file) != Some(*sha256)
        })
        .map(|(file, _)| file)
        .collect();
    if !changed_files.is_empty() {
        let files: Vec<&str> = changed_files.iter().map(|f| f.as_str()).collect();
        reasons.push(format!("{} changed", join_and(&files)));
    }
    reasons
}

/// Why an environment compiled at another optimization level is recreated.
pub(crate) fn bytecode_level_reason(old: u8, new: u8) -> String {
    format!("the bytecode optimization level changed ({old} to {new}, from PYTHONOPTIMIZE)")
}

/// The reason to recreate a venv whose inputs did not change: requirements that can install
/// something else from the same files.
pub(crate) fn not_reusable_reason(not_reusable: &[String]) -> Option<String> {
    const SHOWN: usize = 5;
    if not_reusable.is_empty() {
        return None;
    }
    let shown = not_reusable
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let more = match not_reusable.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => format!(" and {more} more"),
        _ => String::new(),
    };
    Some(format!("requirements are not all pinned ({shown}{more})"))
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Reuses the cached virtual environment when `metadata` matches and nothing is in
/// `not_reusable`; otherwise creates a fresh one and runs `install(venv_dir, env)` in it, where
/// `env` is `base_env` with the virtual environment applied. `base_env` is what the runtime's
/// `python -m venv` runs with.
pub(crate) fn install_venv_layer(
    context: &BuildContext<PythonBuildpack>,
    runtime: &PythonRuntime,
    metadata: &VenvLayerMetadata,
    settings: &VenvSettingsLayer,
    not_reusable: &[String],
    base_env: &Env,
    install: impl FnOnce(&Path, &Env) -> libcnb::Result<(), BuildpackError>,
) -> libcnb::Result<Venv, BuildpackError> {
    let not_reusable = not_reusable_reason(not_reusable);
    let layer = context.cached_layer(
        layer_name!("venv"),
        CachedLayerDefinition {
            build: true,
            launch: true,
            invalid_metadata_action: &|_| {
                (
                    InvalidMetadataAction::DeleteLayer,
                    vec!["it is from an unknown or incomplete build".to_string()],
                )
            },
            restored_layer_action: &|old: &VenvLayerMetadata, _| {
                let mut reasons = reasons_to_recreate(old, metadata);
                reasons.extend(venv_settings::reason(&settings.change(), "pip"));
                reasons.extend(not_reusable.clone());
                if reasons.is_empty() {
                    (RestoredLayerAction::KeepLayer, reasons)
                } else {
                    (RestoredLayerAction::DeleteLayer, reasons)
                }
            },
        },
    )?;

    if let LayerState::Empty { cause } = &layer.state {
        match cause {
            EmptyLayerCause::NewlyCreated => print::sub_bullet("Creating the virtual environment"),
            EmptyLayerCause::InvalidMetadataAction { cause: reasons }
            | EmptyLayerCause::RestoredLayerAction { cause: reasons } => {
                print::sub_bullet(format!(
                    "Recreating the virtual environment because {}",
                    reasons.join(", and ")
                ));
            }
        }
        let result = create_venv(runtime, &layer.path(), base_env)
            .map_err(libcnb::Error::from)
            .and_then(|()| layer.write_env(venv_layer_env(&layer.path())))
            .and_then(|()| layer.read_env())
            .and_then(|layer_env| {
                install(&layer.path(), &build_env::with_layer(base_env, &layer_env))
            });
        if let Err(error) = result {
            // Leave nothing that a later build could take for a complete environment.
            let _ = crate::fsutil::empty_dir(&layer.path());
            return Err(error);
        }
        // Written last: only a complete install carries metadata that a later build trusts.
        settings.record()?;
        layer.write_metadata(metadata.clone())?;
    } else {
        print::sub_bullet("Reusing the virtual environment: requirements and Python unchanged");
    }
    // On every build, installed or reused. (Lock file hashes: none passed yet.)
    crate::sbom::write_venv_sbom(&layer, &std::collections::HashMap::new())?;

    Ok(Venv {
        dir: layer.path(),
        build_env: build_env::with_layer(&runtime.build_env, &layer.read_env()?),
    })
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
mod tests {
    use super::*;

    fn metadata() -> VenvLayerMetadata {
        VenvLayerMetadata {
            layer_format: LAYER_FORMAT,
            python_version: "3.13.5".to_string(),
            bytecode_level: 0,
            pip_version: "26.3".to_string(),
            distro_name: "ubuntu".to_string(),
            distro_version: "24.04".to_string(),
            requirements_files: BTreeMap::from([
                ("requirements.txt".to_string(), "a".repeat(64)),
                ("base.txt".to_string(), "b".repeat(64)),
            ]),
            env_names: vec!["PIP_INDEX_URL".to_string()],
            dependency_groups: Vec::new(),
        }
    }

    #[test]
    fn unchanged_inputs_are_reused() {
        assert!(reasons_to_recreate(&metadata(), &metadata()).is_empty());
    }

    #[test]
    fn changed_included_and_removed_files_are_named() {
        let mut new = metadata();
        new.requirements_files
            .insert("requirements.txt".to_string(), "d".repeat(64));
        assert_eq!(
            reasons_to_recreate(&metadata(), &new),
            vec!["requirements.txt changed"]
        );
        new.requirements_files.remove("base.txt");
        new.requirements_files
            .insert("constraints.txt".to_string(), "e".repeat(64));
        assert_eq!(
            reasons_to_recreate(&metadata(), &new),
            vec!["base.txt, constraints.txt and requirements.txt changed"]
        );
    }

    #[test]
    fn python_and_pip_changes_are_explained() {
        let new = VenvLayerMetadata {
            python_version: "3.13.6".to_string(),
            bytecode_level: 1,
            pip_version: "26.4".to_string(),
            env_names: vec![
                "PIP_EXTRA_INDEX_URL".to_string(),
                "PIP_INDEX_URL".to_string(),
            ],
            ..metadata()
        };
        assert_eq!(
            reasons_to_recreate(&metadata(), &new),
            vec![
                "the Python version changed (3.13.5 to 3.13.6)",
                "the bytecode optimization level changed (0 to 1, from PYTHONOPTIMIZE)",
                "the pip version changed (26.3 to 26.4)",
            ]
        );
    }

    #[test]
    fn unpinned_requirements_are_listed() {
        assert_eq!(not_reusable_reason(&[]), None);
        assert_eq!(
            not_reusable_reason(&["flask>=2".to_string(), "-e .".to_string()]).as_deref(),
            Some("requirements are not all pinned (flask>=2, -e .)")
        );
        let many: Vec<String> = (1..=7).map(|i| format!("p{i}")).collect();
        assert_eq!(
            not_reusable_reason(&many).as_deref(),
            Some("requirements are not all pinned (p1, p2, p3, p4, p5 and 2 more)")
        );
    }
}
