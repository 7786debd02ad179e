//! Typed Python versions: what a runtime manifest offers (`PythonVersion`) and what an app asks for
//! (`PythonVersionRequest`, from `.python-version` or the deprecated `runtime.txt`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

#[cfg(test)]
mod tests;

/// Which build of Python: the default one, or the free-threaded (no-GIL, `python3.Xt`) one.
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PythonVariant {
    #[default]
    Default,
    Freethreaded,
}

impl PythonVariant {
    /// The manifest spelling: `default` or `freethreaded`.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            PythonVariant::Default => "default",
            PythonVariant::Freethreaded => "freethreaded",
        }
    }

    /// What follows the version in names of this variant: `t` (`python3.13t`, `cpython-313t`,
    /// `3.14t`), nothing for the default build.
    pub(crate) const fn suffix(self) -> &'static str {
        match self {
            PythonVariant::Default => "",
            PythonVariant::Freethreaded => "t",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "default" => Some(PythonVariant::Default),
            "freethreaded" => Some(PythonVariant::Freethreaded),
            _ => None,
        }
    }
}

impl fmt::Display for PythonVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Declaration order is release order: alpha < beta < release candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum PreReleaseKind {
    Alpha,
    Beta,
    ReleaseCandidate,
}

/// A pre-release suffix such as `a1`, `b2` or `rc1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct PreRelease {
    pub(crate) kind: PreReleaseKind,
    pub(crate) number: u16,
}

impl fmt::Display for PreRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            PreReleaseKind::Alpha => "a",
            PreReleaseKind::Beta => "b",
            PreReleaseKind::ReleaseCandidate => "rc",
        };
        write!(f, "{kind}{}", self.number)
    }
}

/// An exact Python release, e.g. `3.13.5` or `3.15.0rc1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PythonVersion {
    pub(crate) major: u16,
    pub(crate) minor: u16,
    pub(crate) patch: u16,
    pub(crate) pre: Option<PreRelease>,
}

impl PythonVersion {
    pub(crate) const fn is_stable(&self) -> bool {
        self.pre.is_none()
    }

    pub(crate) const fn minor_version(&self) -> (u16, u16) {
        (self.major, self.minor)
    }
}

impl Ord for PythonVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            // A pre-release comes before the final release of the same X.Y.Z.
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

impl PartialOrd for PythonVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        match &self.pre {
            Some(pre) => write!(f, "{pre}"),
            None => Ok(()),
        }
    }
}

impl FromStr for PythonVersion {
    type Err = ParsePythonVersionError;

    /// Strict `X.Y.Z` with an optional `aN`/`bN`/`rcN` suffix (no whitespace trimming).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(ParsePythonVersionError::Empty);
        }
        let invalid = || ParsePythonVersionError::Invalid(s.to_string());
        let [major, minor, rest] = split_dots(s).ok_or_else(invalid)?;
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (patch, suffix) = rest.split_at(digits_end);
        let pre = if suffix.is_empty() {
            None
        } else {
            Some(parse_pre_release(suffix).ok_or_else(invalid)?)
        };
        Ok(Self {
            major: parse_number(major).ok_or_else(invalid)?,
            minor: parse_number(minor).ok_or_else(invalid)?,
            patch: parse_number(patch).ok_or_else(invalid)?,
            pre,
        })
    }
}

impl Serialize for PythonVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PythonVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// What an app asks for: `3.13` (newest patch), `3.13.5` (exact), with a `t` suffix for the
/// free-threaded build. Pre-releases cannot be requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PythonVersionRequest {
    pub(crate) major: u16,
    pub(crate) minor: u16,
    pub(crate) patch: Option<u16>,
    pub(crate) variant: PythonVariant,
}

impl PythonVersionRequest {
    pub(crate) const fn minor_version(&self) -> (u16, u16) {
        (self.major, self.minor)
    }

    /// Whether `version` (of build `variant`) satisfies this request. Pre-releases never do.
    pub(crate) fn matches(&self, version: &PythonVersion, variant: PythonVariant) -> bool {
        version.is_stable()
            && variant == self.variant
            && version.minor_version() == self.minor_version()
            && self.patch.is_none_or(|patch| patch == version.patch)
    }
}

impl fmt::Display for PythonVersionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if let Some(patch) = self.patch {
            write!(f, ".{patch}")?;
        }
        f.write_str(self.variant.suffix())
    }
}

impl FromStr for PythonVersionRequest {
    type Err = ParsePythonVersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ParsePythonVersionError::Empty);
        }
        let invalid = || ParsePythonVersionError::Invalid(s.to_string());
        let (body, variant) = match s.strip_suffix('t') {
            Some(body) => (body, PythonVariant::Freethreaded),
            None => (s, PythonVariant::Default),
        };
        let parts: Vec<&str> = body.split('.').collect();
        let (major, minor, patch) = match parts.as_slice() {
            [major] if parse_number(major).is_some() => {
                return Err(ParsePythonVersionError::MissingMinor(s.to_string()));
            }
            [major, minor] => (major, minor, None),
            [major, minor, patch] => match parse_number(patch) {
                Some(patch) => (major, minor, Some(patch)),
                // Give pre-releases a clearer error than "invalid".
                None if body.parse::<PythonVersion>().is_ok() => {
                    return Err(ParsePythonVersionError::PreRelease(s.to_string()));
                }
                None => return Err(invalid()),
            },
            _ => return Err(invalid()),
        };
        Ok(Self {
            major: parse_number(major).ok_or_else(invalid)?,
            minor: parse_number(minor).ok_or_else(invalid)?,
            patch,
            variant,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParsePythonVersionError {
    Empty,
    /// Only a major version, e.g. `3`.
    MissingMinor(String),
    /// A pre-release such as `3.15.0rc1`, which cannot be requested.
    PreRelease(String),
    Invalid(String),
}

impl fmt::Display for ParsePythonVersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the version is empty"),
            Self::MissingMinor(s) => write!(f, "`{s}` lacks a minor version (e.g. `3.13`)"),
            Self::PreRelease(s) => write!(f, "`{s}` is a pre-release, which cannot be requested"),
            Self::Invalid(s) => write!(f, "`{s}` is not a valid Python version"),
        }
    }
}

impl std::error::Error for ParsePythonVersionError {}

/// Parses a `.python-version` file (pyenv syntax): exactly one version, ignoring blank lines,
/// `#` comments, surrounding whitespace and a UTF-8 BOM.
pub(crate) fn parse_python_version_file(
    contents: &str,
) -> Result<PythonVersionRequest, PythonVersionFileError> {
    let contents = contents.strip_prefix('\u{feff}').unwrap_or(contents);
    // Whitespace-separated words count separately, so `3.13 3.12` is two versions, not garbage.
    let versions: Vec<&str> = contents
        .lines()
        .map(|line| line.split_once('#').map_or(line, |(before, _)| before))
        .flat_map(str::split_whitespace)
        .collect();
    match versions.as_slice() {
        [] => Err(PythonVersionFileError::Empty),
        [version] => version
            .parse()
            .map_err(|_| PythonVersionFileError::InvalidVersion((*version).to_string())),
        _ => Err(PythonVersionFileError::MultipleVersions(
            versions.iter().map(ToString::to_string).collect(),
        )),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PythonVersionFileError {
    Empty,
    MultipleVersions(Vec<String>),
    InvalidVersion(String),
}

impl fmt::Display for PythonVersionFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str(".python-version contains no version"),
            Self::MultipleVersions(versions) => write!(
                f,
                ".python-version contains more than one version: {}",
                versions.join(", ")
            ),
            Self::InvalidVersion(version) => {
                write!(
                    f,
                    ".python-version contains an invalid version: `{version}`"
                )
            }
        }
    }
}

impl std::error::Error for PythonVersionFileError {}

/// Parses the deprecated `runtime.txt`: `python-3.13` or `python-3.13.5`.
pub(crate) fn parse_runtime_txt(contents: &str) -> Result<PythonVersionRequest, RuntimeTxtError> {
    let contents = contents.strip_prefix('\u{feff}').unwrap_or(contents).trim();
    if contents.is_empty() {
        return Err(RuntimeTxtError::Empty);
    }
    contents
        .strip_prefix("python-")
        .and_then(|version| version.parse().ok())
        .ok_or_else(|| RuntimeTxtError::InvalidVersion(contents.to_string()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RuntimeTxtError {
    Empty,
    InvalidVersion(String),
}

impl fmt::Display for RuntimeTxtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("runtime.txt is empty"),
            Self::InvalidVersion(contents) => write!(
                f,
                "runtime.txt contains `{contents}`, expected e.g. `python-3.13` or `python-3.13.5`"
            ),
        }
    }
}

impl std::error::Error for RuntimeTxtError {}

/// `X.Y.Z` split into exactly three dot-separated parts.
fn split_dots(s: &str) -> Option<[&str; 3]> {
    let mut parts = s.split('.');
    let result = [parts.next()?, parts.next()?, parts.next()?];
    parts.next().is_none().then_some(result)
}

/// ASCII digits only: `u16::from_str` would also accept a leading `+`.
fn parse_number(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_pre_release(s: &str) -> Option<PreRelease> {
    let (kind, number) = if let Some(number) = s.strip_prefix("rc") {
        (PreReleaseKind::ReleaseCandidate, number)
    } else if let Some(number) = s.strip_prefix('a') {
        (PreReleaseKind::Alpha, number)
    } else {
        (PreReleaseKind::Beta, s.strip_prefix('b')?)
    };
    Some(PreRelease {
        kind,
        number: parse_number(number)?,
    })
}
