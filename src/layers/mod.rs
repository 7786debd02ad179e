//! One module per layer.

pub(crate) mod pip;
pub(crate) mod pip_cache;
pub(crate) mod python;
pub(crate) mod venv;
