//! Unpacking a verified wheel (a zip file) from memory into a layer, entry by entry, so that only
//! what the layer needs is written.

use super::WheelFetchError;
use std::io::{self, Cursor};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Writes the entries of the wheel `bytes` (the file `file_name`) for which `place` gives a
/// relative path to that path under `dest`; returns how many files were written. Entry names that
/// would leave the wheel's own tree are refused. Scripts (`*.data/scripts/`) and entries with an
/// executable mode are made executable.
pub(crate) fn unpack_wheel(
    bytes: &[u8],
    file_name: &str,
    dest: &Path,
    place: impl Fn(&Path) -> Option<PathBuf>,
) -> Result<usize, WheelFetchError> {
    let bad_wheel = |message: String| WheelFetchError::BadWheel {
        file: file_name.to_string(),
        message,
    };
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|error| bad_wheel(error.to_string()))?;
    let mut written = 0;
    for position in 0..archive.len() {
        let mut entry = archive
            .by_index(position)
            .map_err(|error| bad_wheel(error.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.enclosed_name().ok_or_else(|| {
            bad_wheel(format!(
                "the entry {} leaves the wheel",
                String::from_utf8_lossy(entry.name_raw())
            ))
        })?;
        let Some(relative) = place(&name) else {
            continue;
        };
        let path = dest.join(&relative);
        let write_error = |error| WheelFetchError::Write {
            path: path.clone(),
            error,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(write_error)?;
        }
        let mut out = std::fs::File::create(&path).map_err(write_error)?;
        io::copy(&mut entry, &mut out).map_err(|error| {
            // A corrupt entry (bad CRC, truncated data) fails the read, not the write.
            if error.kind() == io::ErrorKind::InvalidData {
                bad_wheel(format!("{}: {error}", name.display()))
            } else {
                write_error(error)
            }
        })?;
        let is_script = name
            .components()
            .nth(1)
            .is_some_and(|part| part.as_os_str() == "scripts")
            && name
                .components()
                .next()
                .is_some_and(|part| part.as_os_str().to_string_lossy().ends_with(".data"));
        let executable = is_script || entry.unix_mode().is_some_and(|mode| mode & 0o111 != 0);
        let mode = if executable { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(write_error)?;
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn wheel(entries: &[(&str, &[u8], u32)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, contents, mode) in entries {
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .unix_permissions(*mode);
            zip.start_file(*name, options).unwrap();
            zip.write_all(contents).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn unpacks_only_the_placed_entries_and_marks_scripts_executable() {
        let bytes = wheel(&[
            ("uv/__init__.py", b"", 0o644),
            ("uv-0.13.9.data/scripts/uv", b"ELF", 0o644),
            ("uv-0.13.9.data/scripts/uvx", b"ELF", 0o755),
            ("uv-0.13.9.dist-info/RECORD", b"", 0o644),
        ]);
        let dest = tempfile::tempdir().unwrap();
        let written = unpack_wheel(&bytes, "uv.whl", dest.path(), |name| {
            (name == Path::new("uv-0.13.9.data/scripts/uv")).then(|| PathBuf::from("bin/uv"))
        })
        .unwrap();
        assert_eq!(written, 1);
        let uv = dest.path().join("bin/uv");
        assert_eq!(std::fs::read(&uv).unwrap(), b"ELF");
        assert_eq!(
            std::fs::metadata(&uv).unwrap().permissions().mode() & 0o777,
            0o755
        );
        assert!(!dest.path().join("uv").exists());
    }

    #[test]
    fn unpacks_a_whole_tree() {
        let bytes = wheel(&[
            ("pip/__main__.py", b"main", 0o644),
            ("pip/_internal/cli.py", b"cli", 0o644),
            ("pip-26.3.dist-info/METADATA", b"Name: pip", 0o644),
        ]);
        let dest = tempfile::tempdir().unwrap();
        let written = unpack_wheel(&bytes, "pip.whl", dest.path(), |name| {
            Some(name.to_path_buf())
        })
        .unwrap();
        assert_eq!(written, 3);
        assert_eq!(
            std::fs::read(dest.path().join("pip/_internal/cli.py")).unwrap(),
            b"cli"
        );
        let mode = std::fs::metadata(dest.path().join("pip/__main__.py"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn refuses_entries_outside_the_tree_and_non_zips() {
        let bytes = wheel(&[("../escape", b"x", 0o644)]);
        let dest = tempfile::tempdir().unwrap();
        let error = unpack_wheel(&bytes, "evil.whl", &dest.path().join("d"), |name| {
            Some(name.to_path_buf())
        })
        .unwrap_err();
        assert!(
            matches!(&error, WheelFetchError::BadWheel { message, .. } if message.contains("leaves the wheel")),
            "{error:?}"
        );
        assert!(!dest.path().join("escape").exists());
        assert!(matches!(
            unpack_wheel(b"not a zip", "x.whl", dest.path(), |_| None),
            Err(WheelFetchError::BadWheel { .. })
        ));
    }
}
