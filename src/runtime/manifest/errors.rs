//! Why a manifest does not parse, and why no build matches a request.

use super::{Arch, InvalidSha256Digest};
use crate::python_version::{PythonVariant, PythonVersion, PythonVersionRequest};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ManifestParseError {
    /// `line` is 1-based.
    InvalidLine {
        line: usize,
        problem: ManifestLineProblem,
    },
    /// Only blank lines.
    NoEntries,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ManifestLineProblem {
    /// Not a JSON object with the string fields `version`, `arch`, `variant`, `url`, `sha256`.
    Json(String),
    InvalidVersion(String),
    UnknownArch(String),
    UnknownVariant(String),
    InvalidUrl {
        url: String,
        reason: String,
    },
    RelativeUrlWithoutBase(String),
    UnsupportedUrlScheme(String),
    InvalidSha256(String),
    Duplicate {
        version: PythonVersion,
        arch: Arch,
        variant: PythonVariant,
        first_line: usize,
    },
}

impl fmt::Display for ManifestParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidLine { line, problem } => write!(f, "line {line}: {problem}"),
            Self::NoEntries => f.write_str("the manifest has no entries"),
        }
    }
}

impl std::error::Error for ManifestParseError {}

impl fmt::Display for ManifestLineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(error) => write!(f, "not a valid manifest entry: {error}"),
            Self::InvalidVersion(v) => write!(f, "invalid version `{v}` (expected e.g. 3.13.5)"),
            Self::UnknownArch(a) => write!(f, "unknown arch `{a}` (expected x86_64 or aarch64)"),
            Self::UnknownVariant(v) => {
                write!(
                    f,
                    "unknown variant `{v}` (expected default or freethreaded)"
                )
            }
            Self::InvalidUrl { url, reason } => write!(f, "invalid url `{url}`: {reason}"),
            Self::RelativeUrlWithoutBase(url) => {
                write!(
                    f,
                    "relative url `{url}`, but the manifest has no location to resolve it against"
                )
            }
            Self::UnsupportedUrlScheme(url) => {
                write!(f, "url `{url}` is not https://, http:// or file://")
            }
            Self::InvalidSha256(digest) => write!(f, "{}", InvalidSha256Digest(digest.clone())),
            Self::Duplicate {
                version,
                arch,
                variant,
                first_line,
            } => write!(
                f,
                "duplicate entry for {version} {arch} {variant} (first on line {first_line})"
            ),
        }
    }
}

/// Why no build matches a request; each variant carries what a helpful message needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResolveError {
    /// No stable build of the requested minor version exists at all.
    UnknownMinor {
        requested: PythonVersionRequest,
        /// Minors with a stable build for the requested arch and variant, newest first.
        known_minors: Vec<(u16, u16)>,
    },
    /// The minor version is newer than any in the manifest: not released yet, or the buildpack
    /// (and its manifest) is older than the release.
    UnreleasedMinor {
        requested: PythonVersionRequest,
        /// The newest stable minor for the arch (in the requested variant if it has any).
        newest_stable: Option<(u16, u16)>,
    },
    /// The minor version has only pre-releases (e.g. 3.15.0rc1), which are never chosen.
    OnlyPreReleases {
        requested: PythonVersionRequest,
        /// Of the requested variant (any arch), newest first.
        pre_releases: Vec<PythonVersion>,
    },
    /// The minor version exists, but not in the requested variant (e.g. 3.12t).
    NoBuildForVariant {
        requested: PythonVersionRequest,
        /// Minors with a stable build of the requested variant for the arch, newest first.
        minors_with_variant: Vec<(u16, u16)>,
    },
    /// `X.Y.Z` was requested but that patch has no stable build in the requested variant.
    UnknownPatch {
        requested: PythonVersionRequest,
        /// Stable versions of the requested minor and variant (any arch), newest first.
        available_patches: Vec<PythonVersion>,
    },
    /// Matching builds exist, but none for this architecture.
    NoBuildForArch {
        requested: PythonVersionRequest,
        arch: Arch,
        available_arches: Vec<Arch>,
    },
}
