//! File tree helpers: walking, copying the app into the workspace, removing trees.

use crate::manifest::FileId;
use crate::times::{Stamp, set_mtime};
use crate::users::User;
use anyhow::{Context, Result};
use std::fs::{self, Metadata};
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};

/// Walker callback: gets the relative path and metadata, returns whether to descend (directories).
pub(crate) type WalkFn<'a> = dyn FnMut(&Path, &Metadata) -> io::Result<bool> + 'a;

/// Calls `f(relative path, metadata)` for every entry below `root` (not following symlinks),
/// parents before children, in no particular order otherwise.
pub(crate) fn walk(root: &Path, f: &mut WalkFn<'_>) -> Result<()> {
    fn inner(root: &Path, rel: &Path, f: &mut WalkFn<'_>) -> Result<()> {
        let dir = root.join(rel);
        for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
            let rel = rel.join(entry.file_name());
            let meta = entry
                .metadata()
                .with_context(|| format!("inspecting {}", root.join(&rel).display()))?;
            let descend = f(&rel, &meta)
                .with_context(|| format!("processing {}", root.join(&rel).display()))?;
            if descend && meta.is_dir() {
                inner(root, &rel, f)?;
            }
        }
        Ok(())
    }
    inner(root, Path::new(""), f)
}

/// Copies the app `src` (a directory) to `dst`, which must not exist, as `pack` copies it into
/// the build's `/workspace`: files, directories and symlinks with their modes and modification
/// times, all owned by `owner` (when given); `dst` itself gets mode 0755 (not `src`'s, which may
/// be a 0700 temporary directory: the launch user must be able to enter it). Entries whose
/// absolute path is in `skip` are left out; sockets and FIFOs are ignored. Returns what each
/// regular file was and what its copy is (for `export.rs`, which digests only what changed).
pub(crate) fn copy_app(
    src: &Path,
    dst: &Path,
    skip: &[PathBuf],
    owner: Option<User>,
) -> Result<Vec<Copied>> {
    let meta =
        fs::symlink_metadata(src).with_context(|| format!("inspecting {}", src.display()))?;
    if !meta.is_dir() {
        anyhow::bail!("{} is not a directory", src.display());
    }
    fs::create_dir(dst).with_context(|| format!("creating {}", dst.display()))?;
    let mut dirs = vec![(PathBuf::new(), 0o755, Stamp::of(&meta))];
    let mut copied = Vec::new();
    walk(src, &mut |rel, meta| {
        let (from, to) = (src.join(rel), dst.join(rel));
        if skip.contains(&from) {
            return Ok(false);
        }
        if meta.is_dir() {
            fs::create_dir(&to)?;
            // Writable while being filled; the final mode is set afterwards.
            fs::set_permissions(&to, fs::Permissions::from_mode(meta.mode() | 0o700))?;
            dirs.push((rel.to_path_buf(), meta.mode(), Stamp::of(meta)));
        } else if meta.is_symlink() {
            symlink(fs::read_link(&from)?, &to)?;
            set_mtime(&to, Stamp::of(meta))?;
        } else if meta.is_file() {
            fs::copy(&from, &to)?;
            set_mtime(&to, Stamp::of(meta))?;
            copied.push(Copied {
                path: rel.to_path_buf(),
                source: FileId::of(meta),
                copy: FileId::of(&fs::symlink_metadata(&to)?),
            });
        } else {
            return Ok(false);
        }
        if let Some(owner) = owner {
            std::os::unix::fs::lchown(&to, Some(owner.uid), Some(owner.gid))?;
        }
        Ok(true)
    })
    .with_context(|| format!("copying {} to {}", src.display(), dst.display()))?;
    // Directory modes and times last: filling a directory changes its time.
    for (rel, mode, stamp) in dirs.iter().rev() {
        let path = dst.join(rel);
        fs::set_permissions(&path, fs::Permissions::from_mode(*mode))
            .with_context(|| format!("setting permissions of {}", path.display()))?;
        crate::times::set_mtime_of(&path, *stamp)?;
    }
    if let Some(owner) = owner {
        crate::users::lchown(dst, owner)?;
    }
    Ok(copied)
}

/// A regular file of the app copied into the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Copied {
    /// Relative to the app (and the workspace).
    pub(crate) path: PathBuf,
    /// The app's file when it was copied.
    pub(crate) source: FileId,
    /// Its copy in the workspace, as made.
    pub(crate) copy: FileId,
}

/// Removes a file, symlink or directory tree; missing is fine. Read-only directories are made
/// writable first.
pub(crate) fn remove_all(path: &Path) -> Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("inspecting {}", path.display())),
    };
    if !meta.is_dir() {
        return fs::remove_file(path).with_context(|| format!("removing {}", path.display()));
    }
    if fs::remove_dir_all(path).is_ok() {
        return Ok(());
    }
    // Possibly read-only directories inside: make everything writable and retry.
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o755));
    walk(path, &mut |rel, meta| {
        if meta.is_dir() {
            fs::set_permissions(path.join(rel), fs::Permissions::from_mode(0o755))?;
        }
        Ok(true)
    })?;
    fs::remove_dir_all(path).with_context(|| format!("removing {}", path.display()))
}

/// Whether `path` exists (without following a final symlink).
pub(crate) fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_copy_keeps_modes_times_and_symlinks_and_skips() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir_all(src.join("a/b")).unwrap();
        fs::write(src.join("a/b/f"), "x").unwrap();
        fs::set_permissions(src.join("a/b/f"), fs::Permissions::from_mode(0o751)).unwrap();
        symlink("b/f", src.join("a/link")).unwrap();
        fs::create_dir_all(src.join("skip/me")).unwrap();
        fs::set_permissions(&src, fs::Permissions::from_mode(0o700)).unwrap();
        let old = Stamp {
            sec: 1_000_000,
            nsec: 5,
        };
        for path in [src.join("a/b/f"), src.join("a/link"), src.join("a")] {
            set_mtime(&path, old).unwrap();
        }
        let dst = tmp.path().join("dst");
        let copied = copy_app(&src, &dst, &[src.join("skip")], None).unwrap();
        assert_eq!(copied.len(), 1);
        assert_eq!(copied[0].path, Path::new("a/b/f"));
        assert_eq!(
            copied[0].copy,
            FileId::of(&fs::metadata(dst.join("a/b/f")).unwrap())
        );
        assert_eq!(fs::read_to_string(dst.join("a/link")).unwrap(), "x");
        assert_eq!(fs::read_link(dst.join("a/link")).unwrap(), Path::new("b/f"));
        let meta = |p: &Path| fs::symlink_metadata(p).unwrap();
        assert_ne!(
            meta(&src.join("a/b/f")).ino(),
            meta(&dst.join("a/b/f")).ino()
        );
        assert_eq!(meta(&dst.join("a/b/f")).mode() & 0o7777, 0o751);
        assert_eq!(meta(&dst).mode() & 0o7777, 0o755);
        for rel in ["a/b/f", "a/link", "a"] {
            assert_eq!(Stamp::of(&meta(&dst.join(rel))), old, "{rel}");
        }
        assert!(!dst.join("skip").exists());
    }

    #[test]
    fn remove_all_handles_read_only_dirs_and_missing_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d");
        fs::create_dir_all(dir.join("ro")).unwrap();
        fs::write(dir.join("ro/f"), "x").unwrap();
        fs::set_permissions(dir.join("ro"), fs::Permissions::from_mode(0o555)).unwrap();
        remove_all(&dir).unwrap();
        assert!(!exists(&dir));
        remove_all(&dir).unwrap();
    }
}
