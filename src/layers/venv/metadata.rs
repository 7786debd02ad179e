//! What the `venv` layer's metadata records: everything the installed packages depend on, the
//! same fields for every package manager. The environment variables are named only: their values
//! (which can hold passwords) are fingerprinted in the cache-only `venv-settings` layer. Metadata
//! of an earlier format is migrated when it says the same thing, or discarded with a reason.

use crate::PythonBuildpack;
use crate::layers::whole_number::LayerFormat;
use crate::runtime::PythonRuntime;
use crate::runtime::layout::BytecodeLevel;
use libcnb::build::BuildContext;
use libcnb::generic::GenericMetadata;
use libcnb::layer::InvalidMetadataAction;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bump to recreate every cached virtual environment, e.g. when the layer's layout or env
/// changes.
pub(crate) const LAYER_FORMAT: LayerFormat = LayerFormat(2);

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct VenvLayerMetadata {
    pub(crate) layer_format: LayerFormat,
    /// As shown: `pip`, `uv`, `Poetry`.
    pub(crate) package_manager: String,
    /// What installed a requirements.txt app's packages: `pip` or `uv` (`BP_PYTHON_INSTALLER`);
    /// none for the lock-based package managers, whose tool is the package manager. Absent in
    /// the metadata of earlier versions, whose pip environments pip installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) installer: Option<String>,
    /// The version of the installer (pip, or uv's for `installer = "uv"`), or of the lock-based
    /// package manager's tool.
    pub(crate) tool_version: String,
    pub(crate) python_version: String,
    /// The optimization level its bytecode is compiled at (`PYTHONOPTIMIZE`).
    pub(crate) bytecode_level: BytecodeLevel,
    pub(crate) distro_name: String,
    pub(crate) distro_version: String,
    /// The files installed from that exist → SHA-256: requirements.txt and every file it
    /// includes, or the lock file, its manifest and the tool's config files.
    pub(crate) files: BTreeMap<String, String>,
    /// The settings variables of the package manager that are set (and, for pip, the
    /// `${VAR}`s of the requirements files).
    pub(crate) env_names: Vec<String>,
    /// The local packages a lock refers to → fingerprint of their sources (see
    /// `crate::package_managers::local_sources`); none for pip.
    #[serde(default)]
    pub(crate) local_sources: BTreeMap<String, String>,
    /// The dependency groups installed besides the production dependencies (absent in the
    /// metadata of earlier versions, which installed none).
    #[serde(default)]
    pub(crate) dependency_groups: Vec<String>,
}

impl VenvLayerMetadata {
    /// This build's metadata for `package_manager` at `tool_version`: the Python, its bytecode
    /// level and the base image, and no inputs yet (the package manager adds its own).
    pub(crate) fn for_build(
        context: &BuildContext<PythonBuildpack>,
        runtime: &PythonRuntime,
        package_manager: &str,
        tool_version: &str,
    ) -> Self {
        VenvLayerMetadata {
            layer_format: LAYER_FORMAT,
            package_manager: package_manager.to_string(),
            installer: None,
            tool_version: tool_version.to_string(),
            python_version: runtime.version.to_string(),
            bytecode_level: runtime.bytecode_level,
            distro_name: context.target.distro_name.clone(),
            distro_version: context.target.distro_version.clone(),
            files: BTreeMap::new(),
            env_names: Vec::new(),
            local_sources: BTreeMap::new(),
            dependency_groups: Vec::new(),
        }
    }
}

impl VenvLayerMetadata {
    /// What installed the packages of a requirements.txt app: `pip` when the metadata of an
    /// earlier version does not say.
    pub(crate) fn installer(&self) -> Option<&str> {
        self.installer
            .as_deref()
            .or((self.package_manager == "pip").then_some("pip"))
    }
}

/// The metadata pip's environments had before every package manager shared one format.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PipMetadataV2 {
    layer_format: LayerFormat,
    python_version: String,
    bytecode_level: BytecodeLevel,
    pip_version: String,
    distro_name: String,
    distro_version: String,
    requirements_files: BTreeMap<String, String>,
    env_names: Vec<String>,
    #[serde(default)]
    dependency_groups: Vec<String>,
}

impl From<PipMetadataV2> for VenvLayerMetadata {
    fn from(old: PipMetadataV2) -> Self {
        VenvLayerMetadata {
            layer_format: old.layer_format,
            package_manager: "pip".to_string(),
            installer: None,
            tool_version: old.pip_version,
            python_version: old.python_version,
            bytecode_level: old.bytecode_level,
            distro_name: old.distro_name,
            distro_version: old.distro_version,
            files: old.requirements_files,
            env_names: old.env_names,
            local_sources: BTreeMap::new(),
            dependency_groups: old.dependency_groups,
        }
    }
}

/// What the layer's metadata says while the environment is being updated in place: a build that
/// dies before the update ends leaves this, not the metadata of the environment before it, so
/// that no later build takes a half-updated environment for either.
#[derive(Serialize)]
pub(crate) struct UpdateInProgress {
    pub(crate) update_in_progress: bool,
}

/// What to do with metadata that is not in the current format: migrate pip's earlier format
/// (then compared as usual), or discard the environment, saying why.
pub(crate) fn migrate_or_discard(
    metadata: &GenericMetadata,
) -> (InvalidMetadataAction<VenvLayerMetadata>, String) {
    let table = metadata.clone().unwrap_or_default();
    if table.contains_key("update_in_progress") {
        return (
            InvalidMetadataAction::DeleteLayer,
            "an earlier build stopped while updating it".to_string(),
        );
    }
    match toml::Value::Table(table).try_into::<PipMetadataV2>() {
        Ok(old) => (
            InvalidMetadataAction::ReplaceMetadata(old.into()),
            String::new(),
        ),
        Err(_) => (
            InvalidMetadataAction::DeleteLayer,
            "it is from an unknown or incomplete build".to_string(),
        ),
    }
}
