//! How an entry found in a layer directory compares with its entry in the layer's file list
//! (`manifest.rs`), for `backup.rs`: the same, a directory whose mode changed, a saved file
//! rewritten in place (same inode; then its bytes decide, and if they are the saved ones its
//! time and mode are set back), or something else to replace.

use crate::manifest::{self, FileId, Kind};
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// An entry found on disk.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found {
    Dir { mode: u32 },
    File(FileId),
    Symlink { target: PathBuf },
    Other,
}

impl Found {
    pub(crate) fn of(path: &Path, meta: &fs::Metadata) -> io::Result<Self> {
        Ok(if meta.is_dir() {
            Self::Dir {
                mode: meta.permissions().mode() & 0o7777,
            }
        } else if meta.is_symlink() {
            Self::Symlink {
                target: fs::read_link(path)?,
            }
        } else if meta.is_file() {
            Self::File(FileId::of(meta))
        } else {
            Self::Other
        })
    }
}

/// How an entry found on disk compares with its file list entry.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Same,
    /// A directory whose mode differs.
    Mode,
    /// The saved file itself was written to or its mode changed (same inode, different size,
    /// time or mode): its bytes decide.
    Rewritten,
    /// Something else is there: remove it and put the saved entry back.
    Replace,
}

pub(crate) fn verdict(expected: &Kind, found: &Found) -> Verdict {
    match (expected, found) {
        (Kind::Dir { mode }, Found::Dir { mode: found }) => {
            if mode == found {
                Verdict::Same
            } else {
                Verdict::Mode
            }
        }
        (Kind::File { id, .. }, Found::File(found)) if id.ino == found.ino => {
            if id == found {
                Verdict::Same
            } else {
                Verdict::Rewritten
            }
        }
        (Kind::Symlink { target }, Found::Symlink { target: found }) if target == found => {
            Verdict::Same
        }
        _ => Verdict::Replace,
    }
}

/// Whether a saved file whose time or mode changed still has its saved bytes; if so, its time
/// and mode are set back.
pub(crate) fn restore_if_same_bytes(path: &Path, id: &FileId, digest: u64) -> io::Result<bool> {
    let size = fs::symlink_metadata(path)?.len();
    if size != id.size || manifest::digest(path)? != digest {
        return Ok(false);
    }
    let nanos = u32::try_from(id.mtime_nsec).unwrap_or(0);
    let since_epoch = std::time::Duration::new(id.mtime.unsigned_abs(), nanos);
    let mtime = if id.mtime >= 0 {
        std::time::UNIX_EPOCH + since_epoch
    } else {
        std::time::UNIX_EPOCH - since_epoch
    };
    fs::File::open(path)?.set_modified(mtime)?;
    fs::set_permissions(path, fs::Permissions::from_mode(id.mode))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        let id = |ino, size| FileId {
            ino,
            size,
            mtime: 1,
            mtime_nsec: 2,
            mode: 0o644,
        };
        let file = |ino, size| Kind::File {
            id: id(ino, size),
            digest: 0,
        };
        let found = |ino, size| Found::File(id(ino, size));
        assert_eq!(verdict(&file(1, 5), &found(1, 5)), Verdict::Same);
        assert_eq!(verdict(&file(1, 5), &found(1, 6)), Verdict::Rewritten);
        assert_eq!(verdict(&file(1, 5), &found(2, 5)), Verdict::Replace);
        assert_eq!(verdict(&file(1, 5), &Found::Other), Verdict::Replace);
        let dir = Kind::Dir { mode: 0o755 };
        assert_eq!(verdict(&dir, &Found::Dir { mode: 0o700 }), Verdict::Mode);
        assert_eq!(verdict(&dir, &found(1, 5)), Verdict::Replace);
        let link = Kind::Symlink { target: "a".into() };
        let found_link = |t: &str| Found::Symlink { target: t.into() };
        assert_eq!(verdict(&link, &found_link("a")), Verdict::Same);
        assert_eq!(verdict(&link, &found_link("b")), Verdict::Replace);
    }
}
