//! The `uv-cache`, `poetry-cache` and `pipenv-cache` layers: the package manager's download and
//! build cache, kept between builds but in neither the build env of later buildpacks nor the app
//! image. On the same file system as the `venv` layer, so that uv can hard-link from it.

use crate::PythonBuildpack;
use crate::errors::BuildpackError;
use crate::layers::tool::Tool;
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer::LayerName;
use libcnb::data::layer_name;
use libcnb::layer::{
    CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerState, RestoredLayerAction,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Bump to discard every cached tool cache layer.
const LAYER_FORMAT: u32 = 1;

/// Wheels that the tool built from source link against the base image's libraries, so the cache
/// is only kept on the same distro.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToolCacheLayerMetadata {
    pub(crate) layer_format: u32,
    pub(crate) distro_name: String,
    pub(crate) distro_version: String,
}

/// Why the cache cannot be kept, if it cannot.
pub(crate) fn reason_to_discard(
    old: &ToolCacheLayerMetadata,
    new: &ToolCacheLayerMetadata,
) -> Option<String> {
    if old.layer_format != new.layer_format {
        Some("the buildpack's cache format changed".to_string())
    } else if (&old.distro_name, &old.distro_version) != (&new.distro_name, &new.distro_version) {
        Some(format!(
            "the base image changed ({} {} to {} {})",
            old.distro_name, old.distro_version, new.distro_name, new.distro_version
        ))
    } else {
        None
    }
}

fn layer_name(tool: Tool) -> LayerName {
    match tool {
        Tool::Uv => layer_name!("uv-cache"),
        Tool::Poetry => layer_name!("poetry-cache"),
        Tool::Pipenv => layer_name!("pipenv-cache"),
    }
}

/// The tool's cache directory, restored from the previous build when still valid. Called on
/// every build, even when the tool does not run, so that the cache is kept.
pub(crate) fn prepare_tool_cache_layer(
    context: &BuildContext<PythonBuildpack>,
    tool: Tool,
) -> libcnb::Result<PathBuf, BuildpackError> {
    let metadata = ToolCacheLayerMetadata {
        layer_format: LAYER_FORMAT,
        distro_name: context.target.distro_name.clone(),
        distro_version: context.target.distro_version.clone(),
    };
    let layer = context.cached_layer(
        layer_name(tool),
        CachedLayerDefinition {
            build: false,
            launch: false,
            invalid_metadata_action: &|_| InvalidMetadataAction::DeleteLayer,
            restored_layer_action: &|old: &ToolCacheLayerMetadata, _| match reason_to_discard(
                old, &metadata,
            ) {
                None => (RestoredLayerAction::KeepLayer, None),
                Some(reason) => (RestoredLayerAction::DeleteLayer, Some(reason)),
            },
        },
    )?;
    if let LayerState::Empty { cause } = &layer.state {
        if let EmptyLayerCause::RestoredLayerAction {
            cause: Some(reason),
        } = cause
        {
            print::sub_bullet(format!("Discarding the {tool} cache because {reason}"));
        }
        layer.write_metadata(metadata.clone())?;
    }
    Ok(layer.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> ToolCacheLayerMetadata {
        ToolCacheLayerMetadata {
            layer_format: LAYER_FORMAT,
            distro_name: "ubuntu".to_string(),
            distro_version: "24.04".to_string(),
        }
    }

    #[test]
    fn kept_on_the_same_distro_and_discarded_on_another() {
        assert_eq!(reason_to_discard(&metadata(), &metadata()), None);
        let new = ToolCacheLayerMetadata {
            distro_version: "22.04".to_string(),
            ..metadata()
        };
        assert_eq!(
            reason_to_discard(&metadata(), &new).as_deref(),
            Some("the base image changed (ubuntu 24.04 to ubuntu 22.04)")
        );
    }

    #[test]
    fn every_tool_has_its_own_cache_layer() {
        let names: Vec<String> = [Tool::Uv, Tool::Poetry, Tool::Pipenv]
            .into_iter()
            .map(|tool| layer_name(tool).to_string())
            .collect();
        assert_eq!(names, ["uv-cache", "poetry-cache", "pipenv-cache"]);
    }
}
