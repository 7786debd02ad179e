//! Generates the buildpack's built-in runtime manifest, `data/python-runtimes.jsonl`, from
//! python-build-standalone release data (one JSON object a line with `version`, `arch`,
//! `variant`, `build`, `url`, `sha256`). Regenerate it from the workspace root with:
//!
//! ```text
//! cargo run -p gen-runtime-manifest -- ../shared/data/python-build-standalone.jsonl data/python-runtimes.jsonl
//! ```
//!
//! Every row is validated; rows whose archive is not an `install_only` gzip tarball (the older
//! `full` `.tar.zst` distributions) are left out, because the buildpack unpacks `.tar.gz` archives
//! with a top-level `python/` folder. The output has exactly the fields `version`, `arch`,
//! `variant`, `url`, `sha256`, sorted by version (newest first), then arch, then variant.

use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::HashMap;
use std::fmt;

#[cfg(test)]
mod tests;

/// Archive flavours the buildpack can install (gzip tarball, top-level `python/` folder).
const INSTALLABLE_SUFFIXES: [&str; 2] = ["-install_only_stripped.tar.gz", "-install_only.tar.gz"];

/// An input row; other fields (such as `build`) are ignored.
#[derive(Deserialize)]
struct Row {
    version: String,
    arch: String,
    variant: String,
    url: String,
    sha256: String,
}

/// An output line; field order is the serialized order.
#[derive(Serialize)]
struct Entry<'a> {
    version: &'a str,
    arch: &'a str,
    variant: &'a str,
    url: &'a str,
    sha256: &'a str,
}

#[derive(Debug)]
pub struct Generated {
    /// The manifest text, one JSON object per line, newline-terminated.
    pub manifest: String,
    pub entries: usize,
    /// 1-based input lines left out because their archive is not installable.
    pub skipped_lines: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// 1-based input line.
    pub line: usize,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Json(String),
    InvalidVersion(String),
    UnknownArch(String),
    UnknownVariant(String),
    InvalidUrl(String),
    /// The archive name does not name the row's version, arch and variant.
    UrlMismatch(String),
    InvalidSha256(String),
    Duplicate {
        first_line: usize,
    },
    /// Only blank lines (reported with line 0).
    NoRows,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.problem == Problem::NoRows {
            return f.write_str("the input has no rows");
        }
        write!(f, "line {}: ", self.line)?;
        match &self.problem {
            Problem::Json(e) => write!(f, "not a valid row: {e}"),
            Problem::InvalidVersion(v) => write!(f, "invalid version `{v}`"),
            Problem::UnknownArch(a) => write!(f, "unknown arch `{a}` (x86_64 or aarch64)"),
            Problem::UnknownVariant(v) => {
                write!(f, "unknown variant `{v}` (default or freethreaded)")
            }
            Problem::InvalidUrl(u) => write!(f, "`{u}` is not an https:// URL of a file"),
            Problem::UrlMismatch(u) => {
                write!(
                    f,
                    "`{u}` does not name this row's version, arch and variant"
                )
            }
            Problem::InvalidSha256(s) => write!(f, "`{s}` is not 64 lowercase hex characters"),
            Problem::Duplicate { first_line } => write!(
                f,
                "duplicate (version, arch, variant), first on line {first_line}"
            ),
            Problem::NoRows => Ok(()),
        }
    }
}

impl std::error::Error for Error {}

/// A Python version as a sort key: `(major, minor, patch, pre kind, pre number)`, with
/// a < b < rc < final so that `3.15.0rc1 < 3.15.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Version(u16, u16, u16, u8, u16);

const FINAL: u8 = 3;

/// Strict `X.Y.Z[aN|bN|rcN]`, without leading zeros so the output spelling is canonical.
fn parse_version(s: &str) -> Option<Version> {
    let mut parts = s.split('.');
    let (major, minor, rest) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (patch, suffix) = rest.split_at(digits_end);
    let (kind, number) = if suffix.is_empty() {
        (FINAL, 0)
    } else if let Some(n) = suffix.strip_prefix("rc") {
        (2, parse_number(n)?)
    } else if let Some(n) = suffix.strip_prefix('b') {
        (1, parse_number(n)?)
    } else {
        (0, parse_number(suffix.strip_prefix('a')?)?)
    };
    Some(Version(
        parse_number(major)?,
        parse_number(minor)?,
        parse_number(patch)?,
        kind,
        number,
    ))
}

fn parse_number(s: &str) -> Option<u16> {
    let canonical = s == "0" || (!s.starts_with('0') && !s.is_empty());
    if !canonical || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The archive's file name, if `url` is a plausible `https://host/.../file` URL.
fn file_name(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/')?;
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#');
    if host.is_empty() || url.contains(bad_char) {
        return None;
    }
    path.rsplit('/').next().filter(|name| !name.is_empty())
}

/// Guards against rows whose URL was copied from a neighbouring row.
fn names_row(file_name: &str, row: &Row) -> bool {
    let after_version = file_name
        .strip_prefix("cpython-")
        .and_then(|name| name.strip_prefix(row.version.as_str()));
    let version_ok = after_version.is_some_and(|rest| {
        rest.starts_with("%2B") || rest.starts_with('+') || rest.starts_with('-')
    });
    let arch_ok = file_name.contains(&format!("-{}-", row.arch));
    let freethreaded = file_name.contains("freethreaded");
    version_ok && arch_ok && freethreaded == (row.variant == "freethreaded")
}

struct Valid {
    row: Row,
    version: Version,
    installable: bool,
}

fn validate(text: &str) -> Result<Valid, Problem> {
    let row: Row = serde_json::from_str(text).map_err(|e| Problem::Json(e.to_string()))?;
    let version =
        parse_version(&row.version).ok_or_else(|| Problem::InvalidVersion(row.version.clone()))?;
    if !matches!(row.arch.as_str(), "x86_64" | "aarch64") {
        return Err(Problem::UnknownArch(row.arch));
    }
    if !matches!(row.variant.as_str(), "default" | "freethreaded") {
        return Err(Problem::UnknownVariant(row.variant));
    }
    let name = file_name(&row.url).ok_or_else(|| Problem::InvalidUrl(row.url.clone()))?;
    if !names_row(name, &row) {
        return Err(Problem::UrlMismatch(row.url));
    }
    if !is_sha256(&row.sha256) {
        return Err(Problem::InvalidSha256(row.sha256));
    }
    let installable = INSTALLABLE_SUFFIXES.iter().any(|s| name.ends_with(s));
    Ok(Valid {
        row,
        version,
        installable,
    })
}

/// Validates every non-blank line of `input` and renders the manifest.
pub fn generate(input: &str) -> Result<Generated, Error> {
    let mut kept = Vec::new();
    let mut skipped_lines = Vec::new();
    let mut first_lines = HashMap::new();
    for (index, text) in input.lines().enumerate() {
        let line = index + 1;
        if text.trim().is_empty() {
            continue;
        }
        let valid = validate(text).map_err(|problem| Error { line, problem })?;
        let key = (
            valid.version,
            valid.row.arch.clone(),
            valid.row.variant.clone(),
        );
        if let Some(&first_line) = first_lines.get(&key) {
            return Err(Error {
                line,
                problem: Problem::Duplicate { first_line },
            });
        }
        first_lines.insert(key, line);
        if valid.installable {
            kept.push(valid);
        } else {
            skipped_lines.push(line);
        }
    }
    if first_lines.is_empty() {
        return Err(Error {
            line: 0,
            problem: Problem::NoRows,
        });
    }
    // (version, arch, variant) is unique, so this order is total and the output deterministic.
    kept.sort_by(|a, b| {
        (Reverse(a.version), &a.row.arch, &a.row.variant).cmp(&(
            Reverse(b.version),
            &b.row.arch,
            &b.row.variant,
        ))
    });
    let mut manifest = String::new();
    for Valid { row, .. } in &kept {
        let entry = Entry {
            version: &row.version,
            arch: &row.arch,
            variant: &row.variant,
            url: &row.url,
            sha256: &row.sha256,
        };
        manifest.push_str(&serde_json::to_string(&entry).expect("string fields always serialize"));
        manifest.push('\n');
    }
    Ok(Generated {
        manifest,
        entries: kept.len(),
        skipped_lines,
    })
}
