//! File system helpers shared by the layers.

use std::io;
use std::path::Path;

/// Empties `dir`, creating it if needed: what a failed or interrupted fill of a layer left must
/// not be taken for its contents by the next attempt or build.
pub(crate) fn empty_dir(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    std::fs::create_dir_all(dir)
}

/// Runs `fill`, which writes into `dir`; if it fails, empties `dir` (so that nothing half-written
/// is taken for its contents) and returns the error.
pub(crate) fn fill_or_empty<T, E>(dir: &Path, fill: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let result = fill();
    if result.is_err() {
        let _ = empty_dir(dir);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empties_or_creates() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("layer");
        empty_dir(&dir).unwrap();
        assert!(dir.is_dir());
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join("a/b/c"), "c").unwrap();
        empty_dir(&dir).unwrap();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn a_failed_fill_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("layer");
        let failed: Result<(), &str> = fill_or_empty(&dir, || {
            std::fs::create_dir_all(dir.join("bin")).unwrap();
            std::fs::write(dir.join("bin/python"), "half").unwrap();
            Err("download failed")
        });
        assert_eq!(failed, Err("download failed"));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        let filled: Result<u8, &str> = fill_or_empty(&dir, || {
            std::fs::write(dir.join("done"), "").unwrap();
            Ok(1)
        });
        assert_eq!(filled, Ok(1));
        assert!(dir.join("done").exists());
    }
}
