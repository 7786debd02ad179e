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

/// A temporary folder holding `files` (relative path, contents), folders created as needed.
pub(crate) fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, contents) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    dir
}
