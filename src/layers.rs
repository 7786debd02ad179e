//! One module per layer, and the one way every layer is filled ([`fill_layer`]).

pub(crate) mod cache_diff;
pub(crate) mod installer;
pub(crate) mod package_cache;
pub(crate) mod python;
pub(crate) mod tool;
pub(crate) mod venv;
pub(crate) mod venv_settings;
pub(crate) mod whole_number;

use crate::BuildpackError;
use crate::PythonBuildpack;
use libcnb::layer::LayerRef;
use serde::Serialize;

/// Fills a layer so that a later build can trust it: runs `fill`; if that fails, empties the
/// layer, so that nothing half-done is taken for its contents, and returns the error; if it
/// succeeds, writes `metadata`, last, so that only a complete layer carries metadata.
pub(crate) fn fill_layer<M: Serialize, MAC, RAC>(
    layer: &LayerRef<PythonBuildpack, MAC, RAC>,
    metadata: &M,
    fill: impl FnOnce() -> libcnb::Result<(), BuildpackError>,
) -> libcnb::Result<(), BuildpackError> {
    crate::fsutil::fill_or_empty(&layer.path(), fill)?;
    layer.write_metadata(metadata)
}
