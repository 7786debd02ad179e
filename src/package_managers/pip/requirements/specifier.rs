//! What a requirement specifier asks for: a pinned or unpinned package name, a URL, a VCS
//! checkout or a local path.

use crate::package_name::normalize_name;
use std::collections::HashSet;

#[derive(Debug, PartialEq, Eq)]
pub(super) enum RequirementKind {
    /// `name[extras] <specifiers>`; `pinned` when it allows exactly one version (`==`, `===`).
    Named { name: String, pinned: bool },
    /// `name @ https://…` or a bare archive URL; `hashed` when pip checks a hash of it.
    DirectUrl { hashed: bool },
    /// `git+https://…` and other version control URLs.
    Vcs,
    /// A local directory or archive (`.`, `./pkg`, `file:` URLs).
    LocalPath,
    /// `-e <path or VCS URL>`.
    Editable,
}

impl RequirementKind {
    /// Whether the same line always installs the same thing (given the constraint files' pins).
    pub(super) fn reusable(&self, constrained: &HashSet<String>) -> bool {
        match self {
            RequirementKind::Named { name, pinned } => *pinned || constrained.contains(name),
            RequirementKind::DirectUrl { hashed } => *hashed,
            RequirementKind::Vcs | RequirementKind::LocalPath | RequirementKind::Editable => false,
        }
    }
}

/// What kind of requirement a requirement specifier (without options) is.
pub(super) fn classify_requirement(requirement: &str, hashed: bool) -> RequirementKind {
    // As in pip: URL requirements need whitespace after the `;` that starts the markers.
    let marker_separator = if has_url_scheme(requirement) {
        "; "
    } else {
        ";"
    };
    let requirement = requirement
        .split(marker_separator)
        .next()
        .unwrap_or_default()
        .trim();
    if let Some((name, url)) = requirement.split_once('@')
        && is_name_with_extras(name.trim())
        && has_url_scheme(url.trim())
    {
        return url_kind(url.trim(), hashed);
    }
    if has_url_scheme(requirement) {
        return url_kind(requirement, hashed);
    }
    if looks_like_path(requirement) {
        return RequirementKind::LocalPath;
    }
    let name_len = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(requirement.len());
    let mut specifiers = requirement[name_len..].trim_start();
    if specifiers.starts_with('[') {
        specifiers = specifiers.split_once(']').map_or("", |(_, rest)| rest);
    }
    let specifiers = specifiers
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')');
    let pinned = specifiers.split(',').map(str::trim).any(|specifier| {
        specifier.starts_with("===") || (specifier.starts_with("==") && !specifier.contains('*'))
    });
    RequirementKind::Named {
        name: normalize_name(&requirement[..name_len]),
        pinned,
    }
}

fn url_kind(url: &str, hashed: bool) -> RequirementKind {
    let scheme = url
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let vcs = scheme.split('+').next().unwrap_or_default();
    if matches!(vcs, "git" | "hg" | "svn" | "bzr") {
        RequirementKind::Vcs
    } else if scheme == "file" {
        RequirementKind::LocalPath
    } else {
        let fragment_hash = url.split_once('#').is_some_and(|(_, fragment)| {
            ["sha1=", "sha224=", "sha256=", "sha384=", "sha512=", "md5="]
                .iter()
                .any(|name| fragment.contains(name))
        });
        RequirementKind::DirectUrl {
            hashed: hashed || fragment_hash,
        }
    }
}

pub(super) fn has_url_scheme(text: &str) -> bool {
    text.starts_with("file:")
        || text.split_once("://").is_some_and(|(scheme, _)| {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        })
}

fn is_name_with_extras(text: &str) -> bool {
    let name = text.split_once('[').map_or(text, |(name, _)| name).trim();
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn looks_like_path(requirement: &str) -> bool {
    const ARCHIVES: [&str; 9] = [
        ".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar",
    ];
    requirement.contains('/')
        || requirement.starts_with('.')
        || ARCHIVES
            .iter()
            .any(|ext| requirement.to_ascii_lowercase().ends_with(ext))
}
