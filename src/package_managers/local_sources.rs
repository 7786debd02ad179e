//! The local packages a lock file refers to: a folder or a file in the app (a path dependency, a
//! wheel in the repository, a workspace member). Lock files pin their path, not their contents,
//! so a change inside them leaves the lock unchanged: the buildpack fingerprints them itself, so
//! that a changed one is reinstalled and an unchanged one lets the environment be reused.
//!
//! - A non-editable folder counts by its contents: a sorted walk of its files (names, modes and
//!   bytes; symlinks by their targets), without VCS folders, `__pycache__`, virtual
//!   environments, build outputs and tool caches.
//! - A file (a wheel or an sdist) counts by its bytes.
//! - An editable folder is live already (its code is imported from the app), so only what its
//!   install is made from counts: `pyproject.toml`, `setup.py` and `setup.cfg`.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path};

/// Folders never part of a package's source.
const SKIPPED_DIRS: [&str; 14] = [
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".venv",
    "venv",
    "node_modules",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "build",
    "dist",
];

/// What an editable install is made from.
const EDITABLE_INPUTS: [&str; 3] = ["pyproject.toml", "setup.py", "setup.cfg"];

/// A local package of a lock file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LocalSource {
    /// As in the lock (not normalized): what the tool is told to reinstall.
    pub(crate) name: String,
    /// Relative to the app root (or absolute), as in the lock.
    pub(crate) path: String,
    pub(crate) editable: bool,
}

/// `name → SHA-256` of every local source, for the `venv` layer's metadata. A source that cannot
/// be read (missing, outside the app) gets a fingerprint saying so: the tool reports the problem.
pub(crate) fn fingerprints(app_dir: &Path, sources: &[LocalSource]) -> BTreeMap<String, String> {
    sources
        .iter()
        .map(|source| {
            let fingerprint = fingerprint(app_dir, source)
                .unwrap_or_else(|error| format!("unreadable: {}", error.kind()));
            (source.name.clone(), fingerprint)
        })
        .collect()
}

fn fingerprint(app_dir: &Path, source: &LocalSource) -> io::Result<String> {
    let path = app_dir.join(&source.path);
    let mut hasher = Sha256::new();
    hasher.update(if source.editable {
        b"editable\0"
    } else {
        b"contents\0"
    });
    let metadata = std::fs::metadata(&path)?;
    if !metadata.is_dir() {
        hash_file(&mut hasher, Path::new(""), &path)?;
    } else if source.editable {
        for name in EDITABLE_INPUTS {
            let file = path.join(name);
            if file.is_file() {
                hash_file(&mut hasher, Path::new(name), &file)?;
            }
        }
    } else {
        hash_tree(&mut hasher, &path, Path::new(""))?;
    }
    Ok(hex::encode(hasher.finalize()))
}

fn hash_tree(hasher: &mut Sha256, root: &Path, relative: &Path) -> io::Result<()> {
    let dir = root.join(relative);
    if dir.join("pyvenv.cfg").is_file() {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(&dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name();
        let path = relative.join(&name);
        let file_type = entry.file_type()?;
        if file_type.is_symlink() {
            hasher.update(b"link\0");
            hasher.update(path.as_os_str().as_encoded_bytes());
            hasher.update(b"\0");
            hasher.update(
                std::fs::read_link(entry.path())?
                    .as_os_str()
                    .as_encoded_bytes(),
            );
            hasher.update(b"\0");
        } else if file_type.is_dir() {
            let name = name.to_string_lossy();
            if !SKIPPED_DIRS.contains(&name.as_ref()) && !name.ends_with(".egg-info") {
                hash_tree(hasher, root, &path)?;
            }
        } else if file_type.is_file() {
            hash_file(hasher, &path, &entry.path())?;
        }
    }
    Ok(())
}

fn hash_file(hasher: &mut Sha256, relative: &Path, file: &Path) -> io::Result<()> {
    let bytes = std::fs::read(file)?;
    let executable = std::fs::metadata(file)?.permissions().mode() & 0o111 != 0;
    hasher.update(b"file\0");
    hasher.update(relative.as_os_str().as_encoded_bytes());
    hasher.update(if executable { b"\0x\0" } else { b"\0-\0" });
    hasher.update(bytes.len().to_le_bytes());
    hasher.update(&bytes);
    Ok(())
}

/// Whether a lock's path is a local one (not a URL), for the lock readers.
pub(crate) fn is_local_path(path: &str) -> bool {
    !path.contains("://")
        && !Path::new(path)
            .components()
            .any(|component| matches!(component, Component::Prefix(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(path: &str, editable: bool) -> LocalSource {
        LocalSource {
            name: "mylib".to_string(),
            path: path.to_string(),
            editable,
        }
    }

    fn fingerprint_of(app: &Path, path: &str, editable: bool) -> String {
        fingerprint(app, &source(path, editable)).unwrap()
    }

    #[test]
    fn a_folder_counts_by_its_source_files_only() {
        let app = tempfile::tempdir().unwrap();
        let lib = app.path().join("mylib");
        std::fs::create_dir_all(lib.join("mylib")).unwrap();
        std::fs::write(lib.join("pyproject.toml"), "[project]\nname = 'mylib'\n").unwrap();
        std::fs::write(lib.join("mylib/__init__.py"), "MESSAGE = 'v1'\n").unwrap();
        let before = fingerprint_of(app.path(), "mylib", false);
        assert_eq!(before, fingerprint_of(app.path(), "mylib", false));

        // Build outputs, bytecode, VCS folders and virtual environments do not count.
        for dir in [
            "mylib/__pycache__",
            ".git",
            "build/lib",
            "dist",
            "mylib.egg-info",
            "env",
        ] {
            std::fs::create_dir_all(lib.join(dir)).unwrap();
            std::fs::write(lib.join(dir).join("x"), "x").unwrap();
        }
        std::fs::write(lib.join("env/pyvenv.cfg"), "home = /x\n").unwrap();
        assert_eq!(before, fingerprint_of(app.path(), "mylib", false));

        // A change of code, a new file or a file that became executable does.
        std::fs::write(lib.join("mylib/__init__.py"), "MESSAGE = 'v2'\n").unwrap();
        let changed = fingerprint_of(app.path(), "mylib", false);
        assert_ne!(before, changed);
        std::fs::write(lib.join("mylib/extra.py"), "").unwrap();
        let added = fingerprint_of(app.path(), "mylib", false);
        assert_ne!(changed, added);
        let extra = lib.join("mylib/extra.py");
        std::fs::set_permissions(&extra, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_ne!(added, fingerprint_of(app.path(), "mylib", false));
    }

    #[test]
    fn an_editable_folder_counts_by_its_packaging_files() {
        let app = tempfile::tempdir().unwrap();
        let lib = app.path().join("mylib");
        std::fs::create_dir_all(lib.join("mylib")).unwrap();
        std::fs::write(lib.join("pyproject.toml"), "[project]\nname = 'mylib'\n").unwrap();
        std::fs::write(lib.join("mylib/__init__.py"), "MESSAGE = 'v1'\n").unwrap();
        let before = fingerprint_of(app.path(), "mylib", true);
        std::fs::write(lib.join("mylib/__init__.py"), "MESSAGE = 'v2'\n").unwrap();
        assert_eq!(before, fingerprint_of(app.path(), "mylib", true));
        std::fs::write(lib.join("setup.cfg"), "[metadata]\n").unwrap();
        assert_ne!(before, fingerprint_of(app.path(), "mylib", true));
        // The same folder, installed the other way, is another input.
        assert_ne!(
            fingerprint_of(app.path(), "mylib", true),
            fingerprint_of(app.path(), "mylib", false)
        );
    }

    #[test]
    fn a_file_counts_by_its_bytes_and_a_missing_one_is_marked() {
        let app = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(app.path().join("wheels")).unwrap();
        let wheel = app.path().join("wheels/mylib-0.1.0-py3-none-any.whl");
        std::fs::write(&wheel, "one").unwrap();
        let path = "wheels/mylib-0.1.0-py3-none-any.whl";
        let before = fingerprint_of(app.path(), path, false);
        std::fs::write(&wheel, "two").unwrap();
        assert_ne!(before, fingerprint_of(app.path(), path, false));
        let all = fingerprints(app.path(), &[source("missing", false)]);
        assert_eq!(all["mylib"], "unreadable: entity not found");
    }

    #[test]
    fn urls_are_not_local_paths() {
        assert!(is_local_path("mylib"));
        assert!(is_local_path("./wheels/a.whl"));
        assert!(!is_local_path("https://x.example/a.whl"));
        assert!(!is_local_path("file:///a.whl"));
    }
}
