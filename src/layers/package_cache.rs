//! The package managers' download and build caches (`<tool>-cache`, named by each package
//! manager's declaration): kept between builds but in neither the build env of later buildpacks nor the
//! app image. Beside the `venv` layer on the same file system, so that uv can hard-link from it.

use crate::BuildpackError;
use crate::PythonBuildpack;
use crate::layers::cache_diff::{Diff, base_image, keep_or_delete};
use crate::layers::whole_number::LayerFormat;
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer::LayerName;
use libcnb::layer::{CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerState};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Bump to discard every cached package cache layer.
const LAYER_FORMAT: LayerFormat = LayerFormat(1);

/// A package manager's cache layer, as its declaration (`crate::package_managers::declaration`)
/// names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PackageCache {
    /// The layer's name: `pip-cache`, `uv-cache`.
    pub(crate) layer: &'static str,
    /// Whose cache it is, as shown: `pip`, `Poetry`.
    pub(crate) label: &'static str,
}

impl PackageCache {
    fn layer_name(self) -> LayerName {
        self.layer
            .parse()
            .expect("a cache layer's name is a valid layer name (unit tested)")
    }
}

/// Wheels built from source link against the base image's libraries, so a cache is only kept on
/// the same distro.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PackageCacheLayerMetadata {
    pub(crate) layer_format: LayerFormat,
    pub(crate) distro_name: String,
    pub(crate) distro_version: String,
}

/// Why the cache cannot be kept, one reason per changed field.
pub(crate) fn reasons_to_discard(
    old: &PackageCacheLayerMetadata,
    new: &PackageCacheLayerMetadata,
) -> Vec<String> {
    Diff::new(old, new)
        .changed_because(|m| m.layer_format, "the buildpack's cache format changed")
        .field("base image", |m| {
            base_image(&m.distro_name, &m.distro_version)
        })
        .reasons()
}

/// The cache directory, restored from the previous build when still valid. Called on every
/// build, even when the package manager does not run, so that the cache is kept.
pub(crate) fn prepare_package_cache_layer(
    context: &BuildContext<PythonBuildpack>,
    cache: PackageCache,
) -> libcnb::Result<PathBuf, BuildpackError> {
    let metadata = PackageCacheLayerMetadata {
        layer_format: LAYER_FORMAT,
        distro_name: context.target.distro_name.clone(),
        distro_version: context.target.distro_version.clone(),
    };
    let layer = context.cached_layer(
        cache.layer_name(),
        CachedLayerDefinition {
            build: false,
            launch: false,
            invalid_metadata_action: &|_| InvalidMetadataAction::DeleteLayer,
            restored_layer_action: &|old: &PackageCacheLayerMetadata, _| {
                keep_or_delete(reasons_to_discard(old, &metadata))
            },
        },
    )?;
    if let LayerState::Empty { cause } = &layer.state {
        if let EmptyLayerCause::RestoredLayerAction { cause: reasons } = cause {
            print::sub_bullet(format!(
                "Discarding the {} cache because {}",
                cache.label,
                reasons.join(", and ")
            ));
        }
        layer.write_metadata(metadata.clone())?;
    }
    Ok(layer.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> PackageCacheLayerMetadata {
        PackageCacheLayerMetadata {
            layer_format: LAYER_FORMAT,
            distro_name: "ubuntu".to_string(),
            distro_version: "24.04".to_string(),
        }
    }

    #[test]
    fn metadata_survives_the_lifecycles_restore() {
        let restored = crate::test_support::lifecycle_round_trip(&metadata()).unwrap();
        assert_eq!(restored, metadata());
    }

    #[test]
    fn kept_on_the_same_distro_and_discarded_on_another() {
        assert_eq!(reasons_to_discard(&metadata(), &metadata()), [""; 0]);
        let new = PackageCacheLayerMetadata {
            distro_version: "22.04".to_string(),
            ..metadata()
        };
        assert_eq!(
            reasons_to_discard(&metadata(), &new),
            ["the base image changed (ubuntu 24.04 to ubuntu 22.04)"]
        );
    }
}
