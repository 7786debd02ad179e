//! File tree helpers: walking, hard-link copies and real copies.

use anyhow::{Context, Result};
use std::fs::{self, Metadata};
use std::io;
use std::os::unix::fs::{PermissionsExt, symlink};
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

/// How [`copy_tree`] copies regular files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileMode {
    /// Hard links (falling back to a copy across file systems): fast, shares inodes.
    HardLink,
    /// Independent copies.
    Copy,
}

/// Recreates `src` (a directory, a file or a symlink) at `dst`, which must not exist: directories
/// are created (with `src`'s permissions), files linked or copied per `mode`, symlinks re-created.
/// Entries whose absolute path is in `skip` are left out; sockets and FIFOs are ignored.
pub(crate) fn copy_tree(src: &Path, dst: &Path, mode: FileMode, skip: &[PathBuf]) -> Result<()> {
    let meta =
        fs::symlink_metadata(src).with_context(|| format!("inspecting {}", src.display()))?;
    copy_entry(src, dst, &meta, mode)
        .with_context(|| format!("copying {} to {}", src.display(), dst.display()))?;
    if !meta.is_dir() {
        return Ok(());
    }
    let mut dirs = vec![(PathBuf::new(), meta)];
    walk(src, &mut |rel, meta| {
        let from = src.join(rel);
        if skip.contains(&from) {
            return Ok(false);
        }
        copy_entry(&from, &dst.join(rel), meta, mode)?;
        if meta.is_dir() {
            dirs.push((rel.to_path_buf(), meta.clone()));
        }
        Ok(true)
    })?;
    // Directory permissions last, so that read-only directories could be filled.
    for (rel, meta) in dirs.iter().rev() {
        let path = dst.join(rel);
        if path.is_dir() {
            fs::set_permissions(&path, fs::Permissions::from_mode(meta.permissions().mode()))
                .with_context(|| format!("setting permissions of {}", path.display()))?;
        }
    }
    Ok(())
}

fn copy_entry(from: &Path, to: &Path, meta: &Metadata, mode: FileMode) -> io::Result<()> {
    if meta.is_dir() {
        fs::create_dir(to)?;
        // Writable while being filled; the final mode is set afterwards.
        fs::set_permissions(
            to,
            fs::Permissions::from_mode(meta.permissions().mode() | 0o700),
        )
    } else if meta.is_symlink() {
        symlink(fs::read_link(from)?, to)
    } else if meta.is_file() {
        if mode == FileMode::HardLink && fs::hard_link(from, to).is_ok() {
            return Ok(());
        }
        fs::copy(from, to).map(|_| ())
    } else {
        Ok(())
    }
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
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn hard_link_copy_recreates_dirs_links_files_and_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        fs::create_dir_all(src.join("a/b")).unwrap();
        fs::write(src.join("a/b/f"), "x").unwrap();
        symlink("b/f", src.join("a/link")).unwrap();
        fs::create_dir_all(src.join("skip/me")).unwrap();
        fs::write(src.join("skip/me/g"), "y").unwrap();
        let dst = tmp.path().join("dst");
        copy_tree(&src, &dst, FileMode::HardLink, &[src.join("skip")]).unwrap();
        assert_eq!(fs::read_to_string(dst.join("a/link")).unwrap(), "x");
        assert_eq!(fs::read_link(dst.join("a/link")).unwrap(), Path::new("b/f"));
        let ino = |p: &Path| fs::metadata(p).unwrap().ino();
        assert_eq!(ino(&src.join("a/b/f")), ino(&dst.join("a/b/f")));
        assert_ne!(ino(&src.join("a/b")), ino(&dst.join("a/b")));
        assert!(!dst.join("skip").exists());

        let copy = tmp.path().join("copy");
        copy_tree(&src, &copy, FileMode::Copy, &[]).unwrap();
        assert_ne!(ino(&src.join("a/b/f")), ino(&copy.join("a/b/f")));
        assert_eq!(fs::read_to_string(copy.join("skip/me/g")).unwrap(), "y");
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
