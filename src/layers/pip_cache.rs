//! The `pip-cache` layer: pip's download and wheel cache (`PIP_CACHE_DIR`), kept between builds
//! but in neither the build env of later buildpacks nor the app image.

use crate::PythonBuildpack;
use crate::errors::BuildpackError;
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{
    CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerState, RestoredLayerAction,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Bump to discard every cached pip cache layer.
const LAYER_FORMAT: u32 = 1;

/// Wheels that pip built from source link against the base image's libraries, so the cache is
/// only kept on the same distro.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PipCacheLayerMetadata {
    pub(crate) layer_format: u32,
    pub(crate) distro_name: String,
    pub(crate) distro_version: String,
}

/// Why the cache cannot be kept, if it cannot.
pub(crate) fn reason_to_discard(
    old: &PipCacheLayerMetadata,
    new: &PipCacheLayerMetadata,
) -> Option<String> {
    if old.layer_format != new.layer_format {
        Some("the buildpack's pip cache format changed".to_string())
    } else if (&old.distro_name, &old.distro_version) != (&new.distro_name, &new.distro_version) {
        Some(format!(
            "the base image changed ({} {} to {} {})",
            old.distro_name, old.distro_version, new.distro_name, new.distro_version
        ))
    } else {
        None
    }
}

/// The pip cache directory, restored from the previous build when still valid.
pub(crate) fn prepare_pip_cache_layer(
    context: &BuildContext<PythonBuildpack>,
) -> libcnb::Result<PathBuf, BuildpackError> {
    let metadata = PipCacheLayerMetadata {
        layer_format: LAYER_FORMAT,
        distro_name: context.target.distro_name.clone(),
        distro_version: context.target.distro_version.clone(),
    };
    let layer = context.cached_layer(
        layer_name!("pip-cache"),
        CachedLayerDefinition {
            build: false,
            launch: false,
            invalid_metadata_action: &|_| InvalidMetadataAction::DeleteLayer,
            restored_layer_action: &|old: &PipCacheLayerMetadata, _| match reason_to_discard(
                old, &metadata,
            ) {
                None => (RestoredLayerAction::KeepLayer, None),
                Some(reason) => (RestoredLayerAction::DeleteLayer, Some(reason)),
            },
        },
    )?;
    match &layer.state {
        LayerState::Restored { .. } => {}
        LayerState::Empty { cause } => {
            if let EmptyLayerCause::RestoredLayerAction {
                cause: Some(reason),
            } = cause
            {
                print::sub_bullet(format!("Discarding the pip cache because {reason}"));
            }
            layer.write_metadata(metadata.clone())?;
        }
    }
    Ok(layer.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> PipCacheLayerMetadata {
        PipCacheLayerMetadata {
            layer_format: LAYER_FORMAT,
            distro_name: "ubuntu".to_string(),
            distro_version: "24.04".to_string(),
        }
    }

    #[test]
    fn kept_on_the_same_distro() {
        assert_eq!(reason_to_discard(&metadata(), &metadata()), None);
    }

    #[test]
    fn discarded_when_the_distro_changes() {
        let new = PipCacheLayerMetadata {
            distro_version: "22.04".to_string(),
            ..metadata()
        };
        assert_eq!(
            reason_to_discard(&metadata(), &new).as_deref(),
            Some("the base image changed (ubuntu 24.04 to ubuntu 22.04)")
        );
    }
}
