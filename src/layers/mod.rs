//! One module per layer.

pub(crate) mod installer;
pub(crate) mod locked_venv;
pub(crate) mod package_cache;
pub(crate) mod python;
pub(crate) mod tool;
pub(crate) mod venv;
pub(crate) mod venv_settings;
