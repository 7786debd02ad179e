//! A second name for every file of the saved layers, so that a later build cannot lose them.
//!
//! Saved layers stay where the build made them (`layers/`), one copy: the next build works on
//! them in place. `backup/` holds one hard link per saved file, named by its inode number (a flat
//! directory: creating thousands of directories is what made copies slow). A build that deletes
//! or replaces files, or a whole layer, leaves the saved inodes alive here, and
//! [`Backup::check_and_repair`] puts a layer's directory back to its file list (`manifest.rs`):
//! extra entries removed, missing or replaced ones linked back. A file written *in place*
//! changes the saved inode itself: when its bytes are still the saved ones (its digest), its
//! time and mode are set back; otherwise that is reported as [`Checked::Changed`], and the
//! caller then treats the layer as lost.

use crate::compare::{Found, Verdict, restore_if_same_bytes, verdict};
use crate::manifest::{Entry, FileId, Kind};
use anyhow::{Context, Result};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

/// The result of checking a layer directory against its file list.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Checked {
    /// It matched.
    Intact,
    /// It matches again: entries were removed, re-linked or re-created.
    Repaired,
    /// A saved file (at this path, relative to the layer) was changed in place or its saved
    /// copy is gone: the layer cannot be put back.
    Changed(PathBuf),
}

/// The `backup/` directory of a state.
#[derive(Debug, Clone)]
pub(crate) struct Backup {
    dir: PathBuf,
}

impl Backup {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn file(&self, ino: u64) -> PathBuf {
        self.dir.join(ino.to_string())
    }

    /// The inode numbers the backup holds.
    pub(crate) fn inodes(&self) -> Result<HashSet<u64>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HashSet::new()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.dir.display())),
        };
        let mut inodes = HashSet::new();
        for entry in entries {
            let entry = entry.with_context(|| format!("reading {}", self.dir.display()))?;
            if let Some(ino) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
                inodes.insert(ino);
            }
        }
        Ok(inodes)
    }

    /// Links the files of `entries` (the file list of `layer_dir`) that are not in `held` (the
    /// backup's inodes, updated).
    pub(crate) fn add(
        &self,
        layer_dir: &Path,
        entries: &[Entry],
        held: &mut HashSet<u64>,
    ) -> Result<()> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        for entry in entries {
            let Kind::File { id, .. } = &entry.kind else {
                continue;
            };
            if held.insert(id.ino) {
                let from = layer_dir.join(&entry.path);
                fs::hard_link(&from, self.file(id.ino)).with_context(|| {
                    format!(
                        "linking {} into {} (the state directory must be on one file system \
                         with hard links)",
                        from.display(),
                        self.dir.display()
                    )
                })?;
            }
        }
        Ok(())
    }

    /// Removes the files of inodes that are not in `keep`.
    pub(crate) fn retain(&self, keep: &HashSet<u64>) -> Result<()> {
        for ino in self.inodes()?.difference(keep) {
            let path = self.file(*ino);
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
        Ok(())
    }

    /// Makes `dir` match its file list `entries` again, when the saved files allow it (see
    /// [`Checked`]). Cheap when nothing changed: one `lstat` per entry.
    pub(crate) fn check_and_repair(&self, dir: &Path, entries: &[Entry]) -> Result<Checked> {
        let expected: HashMap<&Path, &Kind> = entries
            .iter()
            .map(|e| (e.path.as_path(), &e.kind))
            .collect();
        let mut present: HashSet<PathBuf> = HashSet::new();
        let mut repaired = false;
        let mut changed = None;
        match fs::symlink_metadata(dir) {
            Ok(meta) if meta.is_dir() => {
                present.insert(PathBuf::new());
            }
            Ok(meta) => {
                remove_entry(dir, &meta).with_context(|| format!("removing {}", dir.display()))?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("inspecting {}", dir.display())),
        }
        if present.contains(Path::new("")) {
            crate::fsutil::walk(dir, &mut |rel, meta| {
                let path = dir.join(rel);
                let Some(kind) = expected.get(rel) else {
                    repaired = true;
                    return remove_entry(&path, meta).map(|()| false);
                };
                let verdict = verdict(kind, &Found::of(&path, meta)?);
                match verdict {
                    Verdict::Same | Verdict::Mode => {
                        repaired |= verdict == Verdict::Mode;
                        present.insert(rel.to_path_buf());
                        Ok(changed.is_none())
                    }
                    Verdict::Rewritten => {
                        let Kind::File { id, digest } = kind else {
                            unreachable!("only files are rewritten")
                        };
                        if restore_if_same_bytes(&path, id, *digest)? {
                            repaired = true;
                            present.insert(rel.to_path_buf());
                        } else {
                            changed.get_or_insert_with(|| rel.to_path_buf());
                        }
                        Ok(false)
                    }
                    Verdict::Replace => {
                        repaired = true;
                        remove_entry(&path, meta).map(|()| false)
                    }
                }
            })?;
        }
        if let Some(path) = changed {
            return Ok(Checked::Changed(path));
        }
        for entry in entries.iter().filter(|e| !present.contains(&e.path)) {
            repaired = true;
            if let Some(path) = self.create(dir, entry)? {
                return Ok(Checked::Changed(path));
            }
        }
        if !repaired {
            return Ok(Checked::Intact);
        }
        // Directory modes last (children first), so that read-only directories could be filled.
        for entry in entries.iter().rev() {
            if let Kind::Dir { mode } = entry.kind {
                let path = dir.join(&entry.path);
                fs::set_permissions(&path, fs::Permissions::from_mode(mode))
                    .with_context(|| format!("setting the mode of {}", path.display()))?;
            }
        }
        Ok(Checked::Repaired)
    }

    /// Puts a missing entry back; `Some(path)` when its saved file is gone or was changed.
    fn create(&self, dir: &Path, entry: &Entry) -> Result<Option<PathBuf>> {
        let path = dir.join(&entry.path);
        if let Some(parent) = path.parent().filter(|_| !entry.path.as_os_str().is_empty()) {
            let mode = fs::metadata(parent)
                .with_context(|| format!("inspecting {}", parent.display()))?
                .permissions()
                .mode();
            if mode & 0o300 != 0o300 {
                fs::set_permissions(parent, fs::Permissions::from_mode(mode | 0o700))
                    .with_context(|| format!("making {} writable", parent.display()))?;
            }
        }
        let result = match &entry.kind {
            Kind::Dir { mode } => fs::create_dir_all(&path).and_then(|()| {
                fs::set_permissions(&path, fs::Permissions::from_mode(mode | 0o700))
            }),
            Kind::Symlink { target } => symlink(target, &path),
            Kind::File { id, digest } => {
                let saved = self.file(id.ino);
                let intact = match fs::symlink_metadata(&saved) {
                    Ok(meta) if FileId::of(&meta) == *id => Ok(true),
                    Ok(_) => restore_if_same_bytes(&saved, id, *digest),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(e),
                }
                .with_context(|| format!("checking {}", saved.display()))?;
                if !intact {
                    return Ok(Some(entry.path.clone()));
                }
                fs::hard_link(&saved, &path)
            }
        };
        result.with_context(|| format!("restoring {}", path.display()))?;
        Ok(None)
    }
}

fn remove_entry(path: &Path, meta: &fs::Metadata) -> io::Result<()> {
    if meta.is_dir() {
        crate::fsutil::remove_all(path).map_err(io::Error::other)
    } else {
        fs::remove_file(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{scan, with_mtime};
    use crate::times::Stamp;
    use std::os::unix::fs::MetadataExt;

    /// A saved layer `layer` (bin/tool, lib/data, a symlink) with its file list in a backup.
    fn saved_layer() -> (tempfile::TempDir, PathBuf, Backup, Vec<Entry>) {
        let tmp = tempfile::tempdir().unwrap();
        let layer = tmp.path().join("layer");
        fs::create_dir_all(layer.join("bin")).unwrap();
        fs::create_dir_all(layer.join("lib")).unwrap();
        fs::write(layer.join("bin/tool"), "tool v1").unwrap();
        fs::write(layer.join("lib/data"), "data v1").unwrap();
        symlink("lib", layer.join("lib64")).unwrap();
        let backup = Backup::new(tmp.path().join("backup"));
        let entries = scan(&layer, &[]).unwrap();
        let mut held = backup.inodes().unwrap();
        backup.add(&layer, &entries, &mut held).unwrap();
        (tmp, layer, backup, entries)
    }

    #[test]
    fn an_untouched_layer_is_intact_and_the_backup_shares_its_inodes() {
        let (_tmp, layer, backup, entries) = saved_layer();
        assert_eq!(
            backup.check_and_repair(&layer, &entries).unwrap(),
            Checked::Intact
        );
        let ino = fs::metadata(layer.join("bin/tool")).unwrap().ino();
        assert!(backup.inodes().unwrap().contains(&ino));
        backup.retain(&HashSet::new()).unwrap();
        assert!(backup.inodes().unwrap().is_empty());
    }

    #[test]
    fn deleted_replaced_and_added_entries_are_repaired() {
        let (_tmp, layer, backup, entries) = saved_layer();
        // As a build that recreates the layer would: everything deleted, other files written.
        fs::remove_dir_all(&layer).unwrap();
        fs::create_dir_all(layer.join("bin")).unwrap();
        fs::write(layer.join("bin/tool"), "tool v2").unwrap();
        fs::write(layer.join("new"), "new").unwrap();
        fs::create_dir(layer.join("lib64")).unwrap();
        assert_eq!(
            backup.check_and_repair(&layer, &entries).unwrap(),
            Checked::Repaired
        );
        assert_eq!(
            fs::read_to_string(layer.join("bin/tool")).unwrap(),
            "tool v1"
        );
        assert_eq!(
            fs::read_to_string(layer.join("lib64/data")).unwrap(),
            "data v1"
        );
        assert!(!layer.join("new").exists());
        assert_eq!(
            backup.check_and_repair(&layer, &entries).unwrap(),
            Checked::Intact
        );

        fs::remove_dir_all(&layer).unwrap();
        assert_eq!(
            backup.check_and_repair(&layer, &entries).unwrap(),
            Checked::Repaired
        );
        assert_eq!(scan(&layer, &[]).unwrap().len(), entries.len());
    }

    #[test]
    fn a_file_rewritten_in_place_with_the_same_bytes_is_set_back() {
        let (_tmp, layer, backup, entries) = saved_layer();
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(layer.join("lib/data"), "data v1").unwrap(); // same bytes, new time
        fs::set_permissions(layer.join("lib/data"), fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            backup.check_and_repair(&layer, &entries).unwrap(),
            Checked::Repaired
        );
        assert_eq!(
            backup.check_and_repair(&layer, &entries).unwrap(),
            Checked::Intact
        );
    }

    #[test]
    fn a_file_written_in_place_is_reported_even_once_deleted() {
        let (_tmp, layer, backup, entries) = saved_layer();
        fs::write(layer.join("lib/data"), "data v2, longer").unwrap(); // truncates in place
        assert_eq!(
            backup.check_and_repair(&layer, &entries).unwrap(),
            Checked::Changed(PathBuf::from("lib/data"))
        );
        fs::remove_file(layer.join("lib/data")).unwrap();
        assert_eq!(
            backup.check_and_repair(&layer, &entries).unwrap(),
            Checked::Changed(PathBuf::from("lib/data"))
        );
    }

    #[test]
    fn a_layer_given_another_time_is_intact_against_its_list_at_that_time() {
        let (_tmp, layer, backup, entries) = saved_layer();
        let restored_at = Stamp {
            sec: 1_700_000_000,
            nsec: 123,
        };
        crate::manifest::restamp(&layer, &entries, restored_at, None).unwrap();
        let expected = with_mtime(&entries, restored_at);
        // Nothing to digest or repair: every file is as expected at its new time.
        assert_eq!(
            backup.check_and_repair(&layer, &expected).unwrap(),
            Checked::Intact
        );
        // A write in place (same size) is still told apart.
        fs::write(layer.join("lib/data"), "data v2").unwrap();
        assert_eq!(
            backup.check_and_repair(&layer, &expected).unwrap(),
            Checked::Changed(PathBuf::from("lib/data"))
        );
    }

    #[test]
    fn read_only_directories_are_refilled_and_keep_their_mode() {
        let (_tmp, layer, backup, _) = saved_layer();
        fs::set_permissions(layer.join("lib"), fs::Permissions::from_mode(0o555)).unwrap();
        let entries = scan(&layer, &[]).unwrap();
        fs::set_permissions(layer.join("lib"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::remove_file(layer.join("lib/data")).unwrap();
        fs::set_permissions(layer.join("lib"), fs::Permissions::from_mode(0o555)).unwrap();
        assert_eq!(
            backup.check_and_repair(&layer, &entries).unwrap(),
            Checked::Repaired
        );
        assert!(layer.join("lib/data").is_file());
        let mode = fs::metadata(layer.join("lib"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o555);
        fs::set_permissions(layer.join("lib"), fs::Permissions::from_mode(0o755)).unwrap();
    }
}
