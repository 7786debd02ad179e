//! Modification times as the lifecycle leaves them. Its exporter's tar writer gives every
//! entry of every launch and cache layer, and of the app directory, the time 1980-01-01T00:00:01Z
//! ([`Stamp::EXPORT`]); its extractor sets no times, so the cache layers a build is given carry
//! the time they were restored. The runner keeps the layers in place, so it sets those times
//! itself (at export, and at restore for the layers a build gets), and `layers.times` in the
//! state records, per saved layer whose files do not carry [`Stamp::EXPORT`] (the cache layers
//! handed to a build that has not exported yet), the time they do carry: what a later check of
//! the layer against its file list must expect (`manifest.rs`, `backup.rs`).

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::fmt::Write as _;
use std::fs::{self, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// A modification time: seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Stamp {
    pub(crate) sec: i64,
    pub(crate) nsec: i64,
}

impl Stamp {
    /// 1980-01-01T00:00:01Z: every entry of an exported layer and app directory.
    pub(crate) const EXPORT: Self = Self {
        sec: 315_532_801,
        nsec: 0,
    };

    /// The current time.
    pub(crate) fn now() -> Self {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            sec: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            nsec: i64::from(since.subsec_nanos()),
        }
    }

    /// The modification time of `meta`.
    pub(crate) fn of(meta: &Metadata) -> Self {
        Self {
            sec: meta.mtime(),
            nsec: meta.mtime_nsec(),
        }
    }
}

/// Sets the modification time of `path` itself (a symlink's own, not its target's:
/// `utimensat(AT_SYMLINK_NOFOLLOW)`), leaving the access time.
pub(crate) fn set_mtime(path: &Path, stamp: Stamp) -> io::Result<()> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path with a NUL byte"))?;
    let times = [
        libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_OMIT,
        },
        libc::timespec {
            tv_sec: stamp.sec,
            tv_nsec: stamp.nsec,
        },
    ];
    // SAFETY: a NUL-terminated path and two timespecs, both alive for the call.
    let rc = unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c_path.as_ptr(),
            times.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// [`set_mtime`] with the path in the error.
pub(crate) fn set_mtime_of(path: &Path, stamp: Stamp) -> Result<()> {
    set_mtime(path, stamp).with_context(|| format!("setting the time of {}", path.display()))
}

/// `layers.times`: per saved layer (`<escaped bp>/<name>`), the time its entries carry when it
/// is not [`Stamp::EXPORT`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct LayerTimes(BTreeMap<(String, String), Stamp>);

impl LayerTimes {
    /// Reads the record at `path` (empty when there is none).
    pub(crate) fn read(path: &Path) -> Result<Self> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let mut times = BTreeMap::new();
        for line in text.lines().filter(|l| !l.is_empty()) {
            let fields: Vec<&str> = line.splitn(4, ' ').collect();
            let [sec, nsec, bp, name] = fields.as_slice() else {
                bail!("{}: bad line {line:?}", path.display());
            };
            let stamp = Stamp {
                sec: sec
                    .parse()
                    .with_context(|| format!("{}: {line:?}", path.display()))?,
                nsec: nsec
                    .parse()
                    .with_context(|| format!("{}: {line:?}", path.display()))?,
            };
            times.insert(((*bp).to_string(), (*name).to_string()), stamp);
        }
        Ok(Self(times))
    }

    /// Writes the record to `path` (removes it when empty).
    pub(crate) fn write(&self, path: &Path) -> Result<()> {
        if self.0.is_empty() {
            return crate::fsutil::remove_all(path);
        }
        let mut text = String::new();
        for ((bp, name), stamp) in &self.0 {
            let _ = writeln!(text, "{} {} {bp} {name}", stamp.sec, stamp.nsec);
        }
        fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// The time the entries of a saved layer carry.
    pub(crate) fn get(&self, escaped_bp: &str, name: &str) -> Stamp {
        self.0
            .get(&(escaped_bp.to_string(), name.to_string()))
            .copied()
            .unwrap_or(Stamp::EXPORT)
    }

    pub(crate) fn set(&mut self, escaped_bp: &str, name: &str, stamp: Stamp) {
        let key = (escaped_bp.to_string(), name.to_string());
        if stamp == Stamp::EXPORT {
            self.0.remove(&key);
        } else {
            self.0.insert(key, stamp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn sets_the_time_of_files_directories_and_symlinks_themselves() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        fs::write(&file, "x").unwrap();
        let link = tmp.path().join("link");
        symlink("file", &link).unwrap();
        let before = Stamp::of(&fs::metadata(&file).unwrap());
        set_mtime(&link, Stamp::EXPORT).unwrap();
        assert_eq!(
            Stamp::of(&fs::symlink_metadata(&link).unwrap()),
            Stamp::EXPORT
        );
        assert_eq!(Stamp::of(&fs::metadata(&file).unwrap()), before);
        for path in [&file, &tmp.path().to_path_buf()] {
            set_mtime(path, Stamp { sec: 5, nsec: 7 }).unwrap();
            assert_eq!(
                Stamp::of(&fs::symlink_metadata(path).unwrap()),
                Stamp { sec: 5, nsec: 7 }
            );
        }
    }

    #[test]
    fn layer_times_round_trip_and_default_to_the_export_time() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("layers.times");
        let mut times = LayerTimes::read(&path).unwrap();
        assert_eq!(times.get("bp", "a"), Stamp::EXPORT);
        times.set("bp", "a b", Stamp { sec: 9, nsec: 1 });
        times.write(&path).unwrap();
        let read = LayerTimes::read(&path).unwrap();
        assert_eq!(read.get("bp", "a b"), Stamp { sec: 9, nsec: 1 });
        times.set("bp", "a b", Stamp::EXPORT);
        times.write(&path).unwrap();
        assert!(!path.exists());
    }
}
