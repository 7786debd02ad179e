//! Which Python version the app asks for, and where that request came from.

use crate::python_version::{
    PythonVersionFileError, PythonVersionRequest, RuntimeTxtError, parse_python_version_file,
    parse_runtime_txt,
};
use std::fmt;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VersionSource {
    PythonVersionFile,
    /// Deprecated, still honoured with a warning.
    RuntimeTxt,
    /// Nothing pinned: the newest stable minor of the manifest in use.
    Default,
}

impl fmt::Display for VersionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VersionSource::PythonVersionFile => ".python-version",
            VersionSource::RuntimeTxt => "runtime.txt",
            VersionSource::Default => "the buildpack default",
        })
    }
}

#[derive(Debug)]
pub(crate) enum VersionSourceError {
    /// The file exists but could not be read (permissions, not UTF-8, ...).
    Read {
        file: &'static str,
        error: std::io::Error,
    },
    PythonVersionFile(PythonVersionFileError),
    RuntimeTxt(RuntimeTxtError),
}

/// The app's explicit request, if it makes one. Sources are tried in priority order.
pub(crate) fn explicit_request(
    app_dir: &Path,
) -> Result<Option<(PythonVersionRequest, VersionSource)>, VersionSourceError> {
    if let Some(contents) = read_optional(app_dir, ".python-version")? {
        return parse_python_version_file(&contents)
            .map(|request| Some((request, VersionSource::PythonVersionFile)))
            .map_err(VersionSourceError::PythonVersionFile);
    }
    if let Some(contents) = read_optional(app_dir, "runtime.txt")? {
        return parse_runtime_txt(&contents)
            .map(|request| Some((request, VersionSource::RuntimeTxt)))
            .map_err(VersionSourceError::RuntimeTxt);
    }
    Ok(None)
}

fn read_optional(app_dir: &Path, file: &'static str) -> Result<Option<String>, VersionSourceError> {
    match std::fs::read_to_string(app_dir.join(file)) {
        Ok(contents) => Ok(Some(contents)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(VersionSourceError::Read { file, error }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_python_version_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(explicit_request(dir.path()).unwrap().is_none());
        std::fs::write(dir.path().join(".python-version"), "3.13\n").unwrap();
        let (request, source) = explicit_request(dir.path()).unwrap().unwrap();
        assert_eq!(request.to_string(), "3.13");
        assert_eq!(source, VersionSource::PythonVersionFile);
    }

    #[test]
    fn python_version_file_wins_over_runtime_txt() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("runtime.txt"), "python-3.11.2\n").unwrap();
        let (request, source) = explicit_request(dir.path()).unwrap().unwrap();
        assert_eq!(request.to_string(), "3.11.2");
        assert_eq!(source, VersionSource::RuntimeTxt);
        std::fs::write(dir.path().join(".python-version"), "3.13\n").unwrap();
        let (request, source) = explicit_request(dir.path()).unwrap().unwrap();
        assert_eq!(request.to_string(), "3.13");
        assert_eq!(source, VersionSource::PythonVersionFile);
    }

    #[test]
    fn non_utf8_file_is_a_read_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".python-version"), [0xff, 0xfe, 0x33, 0x00]).unwrap();
        assert!(matches!(
            explicit_request(dir.path()),
            Err(VersionSourceError::Read { .. })
        ));
    }
}
