//! Helpers for the unit tests.

use libcnb::Env;

/// An `Env` holding exactly `vars`.
pub(crate) fn env(vars: &[(&str, &str)]) -> Env {
    let mut env = Env::new();
    for (name, value) in vars {
        env.insert(name, value);
    }
    env
}
