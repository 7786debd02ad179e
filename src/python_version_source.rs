//! Which Python version the app asks for, and where that request came from.
//!
//! Sources, first match wins: `BP_PYTHON_VERSION`, `.python-version`, `runtime.txt` (deprecated),
//! `Pipfile.lock`, `requires-python` in `pyproject.toml`, the previous build's major.minor, and
//! finally the buildpack default (decided by the caller, from the manifest).
//! [`read_inputs`] does the file system reads; [`requested_version`] is pure.

pub(crate) mod files;
pub(crate) mod specifiers;
#[cfg(test)]
mod tests;

use crate::project::Project;
use crate::python_version::{
    PythonVersion, PythonVersionFileError, PythonVersionRequest, RuntimeTxtError,
    parse_python_version_file, parse_runtime_txt,
};
use files::{
    PYTHON_VERSION_FILE, PipfileLockError, PipfileLockKey, PyprojectError, RUNTIME_TXT,
    TextEncoding, decode_text, misspelling_of,
};
use specifiers::{SpecifierError, Specifiers};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VersionSource {
    /// `BP_PYTHON_VERSION` in the platform env.
    Env,
    PythonVersionFile,
    /// Deprecated, still honoured with a warning.
    RuntimeTxt,
    PipfileLock(PipfileLockKey),
    /// The newest supported version that `requires-python` (as written) allows.
    RequiresPython(String),
    /// The newest supported version that Poetry's `tool.poetry.dependencies.python` (as written)
    /// allows, for Poetry projects without `requires-python`.
    PoetryPython(String),
    /// The major.minor of the previous build, so that an unpinned app keeps its minor version.
    PreviousBuild,
    /// Nothing pinned: the newest stable minor of the manifest in use.
    Default,
}

impl fmt::Display for VersionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSource::Env => f.write_str("BP_PYTHON_VERSION"),
            VersionSource::PythonVersionFile => f.write_str(PYTHON_VERSION_FILE),
            VersionSource::RuntimeTxt => f.write_str(RUNTIME_TXT),
            VersionSource::PipfileLock(key) => write!(f, "{} in Pipfile.lock", key.as_str()),
            VersionSource::RequiresPython(specifiers) => {
                write!(f, "requires-python in pyproject.toml: {specifiers}")
            }
            VersionSource::PoetryPython(constraint) => write!(
                f,
                "python in [tool.poetry.dependencies] of pyproject.toml: {constraint}"
            ),
            VersionSource::PreviousBuild => f.write_str("the previous build"),
            VersionSource::Default => f.write_str("the buildpack default"),
        }
    }
}

#[derive(Debug)]
pub(crate) enum VersionSourceError {
    /// The file exists but could not be read (permissions, a directory, ...).
    Read {
        file: &'static str,
        error: std::io::Error,
    },
    /// Neither UTF-8 nor UTF-16 with a byte order mark.
    NotUtf8 {
        file: &'static str,
    },
    /// `found` is probably a misspelling of `expected`, which does not exist.
    MisspelledFile {
        found: String,
        expected: &'static str,
    },
    PythonVersionFile(PythonVersionFileError),
    RuntimeTxt(RuntimeTxtError),
    PipfileLock(PipfileLockError),
    Pyproject(PyprojectError),
    InvalidRequiresPython {
        specifiers: String,
        error: SpecifierError,
    },
    /// No supported version satisfies `requires-python`.
    NoVersionSatisfies {
        specifiers: String,
        /// Supported minor versions, newest first.
        available: Vec<(u16, u16)>,
    },
}

/// What to tell the user about how the version was chosen; the text is in `crate::errors`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VersionNotice {
    /// The file was UTF-16 (decoded, but other tools may not read it).
    Utf16 {
        file: &'static str,
    },
    RuntimeTxtDeprecated,
    /// A version file that a higher-priority source overrides.
    Overridden {
        file: &'static str,
    },
    /// A misspelled version file that is not used because another source sets the version.
    MisspelledIgnored {
        found: String,
        expected: &'static str,
    },
    /// `requires-python` allows several versions: the newest supported one was picked.
    RequiresPythonPicked,
    /// Nothing is pinned: the previous build's minor version is kept.
    PreviousBuildKept,
}

/// Everything that can name a version, as read from the app, the platform env and the cache.
#[derive(Debug, Default)]
pub(crate) struct VersionInputs {
    pub(crate) env: Option<PythonVersionRequest>,
    pub(crate) python_version_file: Option<(String, TextEncoding)>,
    pub(crate) runtime_txt: Option<(String, TextEncoding)>,
    /// `(found, expected)` file names, sorted.
    pub(crate) misspelled: Vec<(String, &'static str)>,
    pub(crate) pipfile_lock: Option<String>,
    pub(crate) pyproject_toml: Option<String>,
    pub(crate) previous_build: Option<PythonVersionRequest>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Choice {
    pub(crate) request: PythonVersionRequest,
    pub(crate) source: VersionSource,
    pub(crate) notices: Vec<VersionNotice>,
    /// `requires-python` when another source chose the version: the version should satisfy it.
    pub(crate) requires_python: Option<(String, Specifiers)>,
}

/// Reads the version sources. `env` is the parsed `BP_PYTHON_VERSION`; `layers_dir` is this
/// buildpack's layers dir, read before the runtime layer is handled.
pub(crate) fn read_inputs(
    project: &Project,
    env: Option<PythonVersionRequest>,
    previous_build: Option<PythonVersionRequest>,
) -> Result<VersionInputs, VersionSourceError> {
    let read_version_file = |file: &'static str| -> Result<_, VersionSourceError> {
        match project.file(file) {
            Ok(Some(bytes)) => decode_text(bytes)
                .map(Some)
                .ok_or(VersionSourceError::NotUtf8 { file }),
            Ok(None) => Ok(None),
            Err(error) => Err(VersionSourceError::Read { file, error }),
        }
    };
    let mut misspelled: Vec<(String, &'static str)> = project
        .file_names()
        .filter_map(|name| Some((name.to_string(), misspelling_of(name)?)))
        .collect();
    misspelled.sort();
    Ok(VersionInputs {
        env,
        python_version_file: read_version_file(PYTHON_VERSION_FILE)?,
        runtime_txt: read_version_file(RUNTIME_TXT)?,
        misspelled,
        // Only read when consulted, and then parsed strictly: lossy is fine here.
        pipfile_lock: project.text("Pipfile.lock"),
        pyproject_toml: project.text("pyproject.toml"),
        previous_build,
    })
}

/// The app's request and its source, or `None` when nothing names a version (the caller then
/// uses the default). `candidates` are the stable versions the buildpack would install for this
/// architecture, supported minors only: `requires-python` picks the newest of them it allows.
pub(crate) fn requested_version(
    inputs: &VersionInputs,
    candidates: &[PythonVersion],
) -> Result<Option<Choice>, VersionSourceError> {
    let mut notices = Vec::new();
    let misspelling = |expected: &str| {
        inputs
            .misspelled
            .iter()
            .find(|(_, e)| *e == expected)
            .map(|(found, expected)| VersionSourceError::MisspelledFile {
                found: found.clone(),
                expected,
            })
    };
    let mut encoding_notice = |file, encoding| {
        if encoding == TextEncoding::Utf16 {
            notices.push(VersionNotice::Utf16 { file });
        }
    };

    let (request, source) = if let Some(request) = inputs.env {
        (request, VersionSource::Env)
    } else if let Some((text, encoding)) = &inputs.python_version_file {
        encoding_notice(PYTHON_VERSION_FILE, *encoding);
        let request =
            parse_python_version_file(text).map_err(VersionSourceError::PythonVersionFile)?;
        (request, VersionSource::PythonVersionFile)
    } else if let Some(error) = misspelling(PYTHON_VERSION_FILE) {
        return Err(error);
    } else if let Some((text, encoding)) = &inputs.runtime_txt {
        encoding_notice(RUNTIME_TXT, *encoding);
        let request = parse_runtime_txt(text).map_err(VersionSourceError::RuntimeTxt)?;
        (request, VersionSource::RuntimeTxt)
    } else if let Some(error) = misspelling(RUNTIME_TXT) {
        return Err(error);
    } else if let Some((request, source)) = hint(inputs, candidates)? {
        (request, source)
    } else if let Some(request) = inputs.previous_build {
        (request, VersionSource::PreviousBuild)
    } else {
        return Ok(None);
    };

    match source {
        VersionSource::Env => {
            for (file, present) in [
                (PYTHON_VERSION_FILE, inputs.python_version_file.is_some()),
                (RUNTIME_TXT, inputs.runtime_txt.is_some()),
            ] {
                if present {
                    notices.push(VersionNotice::Overridden { file });
                }
            }
        }
        VersionSource::PythonVersionFile if inputs.runtime_txt.is_some() => {
            notices.push(VersionNotice::Overridden { file: RUNTIME_TXT });
        }
        VersionSource::RuntimeTxt => notices.push(VersionNotice::RuntimeTxtDeprecated),
        VersionSource::RequiresPython(_) | VersionSource::PoetryPython(_) => {
            notices.push(VersionNotice::RequiresPythonPicked);
        }
        VersionSource::PreviousBuild => notices.push(VersionNotice::PreviousBuildKept),
        _ => {}
    }
    // Any misspelled file left is of a source that a higher-priority one overrides.
    notices.extend(inputs.misspelled.iter().map(|(found, expected)| {
        VersionNotice::MisspelledIgnored {
            found: found.clone(),
            expected,
        }
    }));
    let requires_python = match source {
        VersionSource::RequiresPython(_) => None,
        _ => inputs
            .pyproject_toml
            .as_deref()
            .and_then(|text| files::requires_python(text).ok().flatten())
            .and_then(|text| text.parse().ok().map(|specifiers| (text, specifiers))),
    };
    Ok(Some(Choice {
        request,
        source,
        notices,
        requires_python,
    }))
}

/// The lock-world hints: `Pipfile.lock`, then `requires-python`.
fn hint(
    inputs: &VersionInputs,
    candidates: &[PythonVersion],
) -> Result<Option<(PythonVersionRequest, VersionSource)>, VersionSourceError> {
    if let Some(lock) = &inputs.pipfile_lock
        && let Some((request, key)) =
            files::pipfile_lock_request(lock).map_err(VersionSourceError::PipfileLock)?
    {
        return Ok(Some((request, VersionSource::PipfileLock(key))));
    }
    let Some(text) = inputs
        .pyproject_toml
        .as_deref()
        .map(files::requires_python)
        .transpose()
        .map_err(VersionSourceError::Pyproject)?
        .flatten()
    else {
        return Ok(poetry_hint(inputs, candidates));
    };
    let specifiers: Specifiers =
        text.parse()
            .map_err(|error| VersionSourceError::InvalidRequiresPython {
                specifiers: text.clone(),
                error,
            })?;
    let request = newest_allowed(&specifiers, candidates).ok_or_else(|| {
        let mut available: Vec<(u16, u16)> = candidates
            .iter()
            .map(PythonVersion::minor_version)
            .collect();
        available.sort_unstable_by(|a, b| b.cmp(a));
        available.dedup();
        VersionSourceError::NoVersionSatisfies {
            specifiers: text.clone(),
            available,
        }
    })?;
    Ok(Some((request, VersionSource::RequiresPython(text))))
}

/// Poetry's own Python constraint (`^3.11`, `~3.12`, `>=3.11,<3.14`), translated to PEP 440. Only
/// a hint: a constraint it cannot translate is left to Poetry, which checks it against the lock.
fn poetry_hint(
    inputs: &VersionInputs,
    candidates: &[PythonVersion],
) -> Option<(PythonVersionRequest, VersionSource)> {
    let constraint = files::poetry_python(inputs.pyproject_toml.as_deref()?)?;
    let specifiers: Specifiers = files::poetry_constraint_to_pep440(&constraint)?
        .parse()
        .ok()?;
    let request = newest_allowed(&specifiers, candidates)?;
    Some((request, VersionSource::PoetryPython(constraint)))
}

/// The newest candidate `specifiers` allow, as `X.Y` when that resolves to it (the newest patch
/// of its minor), else as the exact `X.Y.Z` (e.g. for `<3.12.5`).
fn newest_allowed(
    specifiers: &Specifiers,
    candidates: &[PythonVersion],
) -> Option<PythonVersionRequest> {
    let newest = candidates
        .iter()
        .filter(|version| version.is_stable() && specifiers.contains(version))
        .max()?;
    let newest_of_minor = candidates
        .iter()
        .filter(|version| version.is_stable() && version.minor_version() == newest.minor_version())
        .max()?;
    Some(PythonVersionRequest {
        major: newest.major,
        minor: newest.minor,
        patch: (newest != newest_of_minor).then_some(newest.patch),
        variant: crate::python_version::PythonVariant::Default,
    })
}
