//! One module per layer.

pub(crate) mod locked_venv;
pub(crate) mod pip;
pub(crate) mod pip_cache;
pub(crate) mod python;
pub(crate) mod tool;
pub(crate) mod tool_cache;
pub(crate) mod venv;
