//! Reading the files that can name a Python version: text decoding, misspelled file names, and
//! the version hints in `Pipfile.lock`, `pyproject.toml` and the previous build's runtime layer.

use crate::python_version::PythonVersionRequest;

#[cfg(test)]
mod tests;

/// How a version file was encoded. Anything but UTF-8 is decoded, but earns a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    Utf8,
    /// With a byte order mark, as Windows PowerShell 5 writes `echo 3.13 > .python-version`.
    Utf16,
}

/// Decodes UTF-8 (with or without a BOM) or UTF-16 with a BOM. `None` for anything else,
/// including text with NUL characters (UTF-16 without a BOM passes as UTF-8 otherwise).
pub(crate) fn decode_text(bytes: &[u8]) -> Option<(String, TextEncoding)> {
    decode(bytes).filter(|(text, _)| !text.contains('\0'))
}

fn decode(bytes: &[u8]) -> Option<(String, TextEncoding)> {
    let utf16 = |bytes: &[u8], from: fn([u8; 2]) -> u16| {
        let (pairs, []) = bytes.as_chunks::<2>() else {
            return None;
        };
        let units = pairs.iter().map(|pair| from(*pair));
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .ok()
            .map(|text| (text, TextEncoding::Utf16))
    };
    if let Some(rest) = bytes.strip_prefix(&[0xff, 0xfe]) {
        utf16(rest, u16::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        utf16(rest, u16::from_be_bytes)
    } else {
        let bytes = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(bytes);
        String::from_utf8(bytes.to_vec())
            .ok()
            .map(|text| (text, TextEncoding::Utf8))
    }
}

pub(crate) const PYTHON_VERSION_FILE: &str = ".python-version";
pub(crate) const RUNTIME_TXT: &str = "runtime.txt";

/// The version file that `name` (a file in the app root) is probably a misspelling of:
/// `.python_version`, `python-version`, `.python-version.txt`, `.python-versions`,
/// `runtime.text`, `runtime.txt.txt`, `Runtime.txt`, ... The right names themselves are not.
pub(crate) fn misspelling_of(name: &str) -> Option<&'static str> {
    if name == PYTHON_VERSION_FILE || name == RUNTIME_TXT {
        return None;
    }
    let lower = name.to_lowercase();
    let bare = lower.trim_start_matches('.');
    let without_extensions = strip_text_extensions(bare);

    let normalized: String = without_extensions
        .chars()
        .map(|c| if matches!(c, '_' | ' ') { '-' } else { c })
        .collect();
    let normalized = normalized.strip_suffix('s').unwrap_or(&normalized);
    if matches!(normalized, "python-version" | "pythonversion") {
        return Some(PYTHON_VERSION_FILE);
    }
    // `runtime` without any extension could be anything (a script, a binary): not a typo.
    let has_extension = without_extensions.len() < bare.len();
    let runtime = without_extensions
        .strip_suffix('s')
        .unwrap_or(without_extensions);
    if has_extension && runtime == "runtime" {
        return Some(RUNTIME_TXT);
    }
    None
}

/// `runtime.txt.txt` -> `runtime`, `python-version.txt` -> `python-version`.
fn strip_text_extensions(mut name: &str) -> &str {
    loop {
        match name
            .strip_suffix(".txt")
            .or_else(|| name.strip_suffix(".text"))
        {
            Some(rest) => name = rest,
            None => return name,
        }
    }
}

/// Which key of `Pipfile.lock` named the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PipfileLockKey {
    PythonFullVersion,
    PythonVersion,
}

impl PipfileLockKey {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            PipfileLockKey::PythonFullVersion => "python_full_version",
            PipfileLockKey::PythonVersion => "python_version",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PipfileLockError {
    InvalidJson(String),
    InvalidVersion { key: PipfileLockKey, value: String },
}

/// `_meta.requires.python_full_version` (preferred) or `python_version` of a `Pipfile.lock`.
pub(crate) fn pipfile_lock_request(
    contents: &str,
) -> Result<Option<(PythonVersionRequest, PipfileLockKey)>, PipfileLockError> {
    let lock: serde_json::Value = serde_json::from_str(contents)
        .map_err(|error| PipfileLockError::InvalidJson(error.to_string()))?;
    let requires = &lock["_meta"]["requires"];
    for key in [
        PipfileLockKey::PythonFullVersion,
        PipfileLockKey::PythonVersion,
    ] {
        match &requires[key.as_str()] {
            serde_json::Value::Null => {}
            serde_json::Value::String(value) => {
                return value
                    .parse()
                    .map(|request| Some((request, key)))
                    .map_err(|_| PipfileLockError::InvalidVersion {
                        key,
                        value: value.clone(),
                    });
            }
            other => {
                return Err(PipfileLockError::InvalidVersion {
                    key,
                    value: other.to_string(),
                });
            }
        }
    }
    Ok(None)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PyprojectError {
    InvalidToml(String),
    /// `requires-python` is not a string.
    RequiresPythonNotAString(String),
}

/// `[project] requires-python` of a `pyproject.toml`; blank counts as absent.
pub(crate) fn requires_python(contents: &str) -> Result<Option<String>, PyprojectError> {
    let contents = contents.strip_prefix('\u{feff}').unwrap_or(contents);
    let table: toml::Table =
        toml::from_str(contents).map_err(|error| PyprojectError::InvalidToml(error.to_string()))?;
    match table
        .get("project")
        .and_then(|project| project.get("requires-python"))
    {
        None => Ok(None),
        Some(toml::Value::String(value)) if value.trim().is_empty() => Ok(None),
        Some(toml::Value::String(value)) => Ok(Some(value.trim().to_string())),
        Some(other) => Err(PyprojectError::RequiresPythonNotAString(other.to_string())),
    }
}

/// `tool.poetry.dependencies.python`, when it is a non-empty string other than `*`.
pub(crate) fn poetry_python(contents: &str) -> Option<String> {
    let contents = contents.strip_prefix('\u{feff}').unwrap_or(contents);
    let table: toml::Table = toml::from_str(contents).ok()?;
    let value = table
        .get("tool")?
        .get("poetry")?
        .get("dependencies")?
        .get("python")?
        .as_str()?
        .trim();
    (!value.is_empty() && value != "*").then(|| value.to_string())
}

/// Poetry's version constraint syntax as PEP 440 specifiers: `^3.11` is `>=3.11,<4.0`, `~3.11` is
/// `>=3.11,<3.12`, a bare `3.11` is `==3.11.*`; comparison operators pass through. `None` for
/// what it cannot express (`||` alternatives, malformed parts).
pub(crate) fn poetry_constraint_to_pep440(constraint: &str) -> Option<String> {
    if constraint.contains("||") || constraint.contains('|') {
        return None;
    }
    let mut out = Vec::new();
    for part in constraint
        .split([',', ' '])
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let numbers = |version: &str| -> Option<Vec<u16>> {
            version.split('.').map(|n| n.parse().ok()).collect()
        };
        if let Some(version) = part.strip_prefix('^') {
            let parts = numbers(version)?;
            let upper = match parts.as_slice() {
                [0, minor, ..] => format!("0.{}", minor + 1),
                [major, ..] => format!("{}.0", major + 1),
                [] => return None,
            };
            out.push(format!(">={version},<{upper}"));
        } else if let Some(version) = part.strip_prefix('~').filter(|v| !v.starts_with('=')) {
            let parts = numbers(version)?;
            let upper = match parts.as_slice() {
                [major] => format!("{}.0", major + 1),
                [major, minor, ..] => format!("{major}.{}", minor + 1),
                [] => return None,
            };
            out.push(format!(">={version},<{upper}"));
        } else if part.starts_with(['<', '>', '=', '!', '~']) {
            out.push(part.to_string());
        } else if part.ends_with(".*") {
            out.push(format!("=={part}"));
        } else {
            let parts = numbers(part)?;
            out.push(if parts.len() >= 3 {
                format!("=={part}")
            } else {
                format!("=={part}.*")
            });
        }
    }
    (!out.is_empty()).then(|| out.join(","))
}
