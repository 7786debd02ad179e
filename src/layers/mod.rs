//! One module per layer.

pub(crate) mod python;
