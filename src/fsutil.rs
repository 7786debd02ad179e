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
}
