//! Reading requirements.txt and every file it includes (`-r`/`-c`), the way pip reads them, to
//! decide whether a cached virtual environment still matches: which files and `${VAR}`s are
//! inputs of the install, and which requirements can install something different even though
//! the files stay the same.

mod lines;
mod specifier;

use lines::{Item, parse};
use specifier::{RequirementKind, has_url_scheme};

use crate::redact::redact_urls;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io;
use std::path::{Component, Path, PathBuf};

pub(crate) const REQUIREMENTS_TXT: &str = "requirements.txt";

/// What the requirements files say, as far as reusing a virtual environment is concerned.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RequirementsScan {
    /// Every file read (path relative to the app dir when inside it) → SHA-256 of its bytes.
    pub(crate) files: BTreeMap<String, String>,
    /// The `${VAR}`s the files use: pip substitutes them, so their values are inputs too.
    pub(crate) variables: BTreeSet<String>,
    /// Each `${VAR}` → the lines it is used in as pip reads them (substituted), credentials
    /// redacted: how its value is an input, without a rotated token counting as a change.
    pub(crate) variable_lines: BTreeMap<String, Vec<String>>,
    /// Requirements (and options) that can install something different from unchanged files,
    /// as written in the file (credentials redacted).
    pub(crate) not_reusable: Vec<String>,
    /// How many requirements there are (`-e` included); 0 means there is nothing to install.
    pub(crate) requirement_count: usize,
    /// The requirements (not the constraints) as pip reads them, `${VAR}`s substituted: the
    /// top of what a clean install has. Credentials are kept: never shown.
    pub(crate) top_level: Vec<String>,
    /// Whether a requirement has `--hash` options, which turns on pip's hash-checking mode for
    /// every requirement.
    pub(crate) hashed: bool,
    /// The lines that set where packages come from or in what form (`--index-url`,
    /// `--find-links`, `--no-binary`...), as `FILE: LINE`, credentials redacted: settings, like
    /// pip's variables, rather than requirements.
    pub(crate) source_options: Vec<String>,
}

#[derive(Debug)]
pub(crate) enum RequirementsFileError {
    NotUtf8 {
        file: String,
        line: usize,
        utf16: bool,
    },
    Read {
        file: String,
        origin: Origin,
        error: io::Error,
    },
}

/// Why a requirements file is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// requirements.txt itself.
    Root,
    /// A `-r`/`-c` line of another file.
    Included { file: String, line: usize },
    /// A file named in an environment variable (`PIP_CONSTRAINT`).
    EnvVar(&'static str),
}

/// Reads requirements.txt (in `app_dir`), the constraint files named in `pip_constraint` (the
/// value of `PIP_CONSTRAINT`) and, recursively, every file they include. `lookup` gives the
/// build env's variables for `${VAR}` substitution; `read` reads a file.
pub(crate) fn scan(
    app_dir: &Path,
    pip_constraint: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
    read: &mut dyn FnMut(&Path) -> io::Result<Vec<u8>>,
) -> Result<RequirementsScan, RequirementsFileError> {
    let mut scan = RequirementsScan::default();
    let mut requirements = Vec::new();
    let mut constrained = HashSet::new();
    let mut visited = HashSet::new();
    let mut roots = vec![(app_dir.join(REQUIREMENTS_TXT), false, Origin::Root)];
    for target in pip_constraint.unwrap_or_default().split_whitespace() {
        if is_remote(target) {
            scan.not_reusable.push(format!(
                "PIP_CONSTRAINT={} (a remote file)",
                redact_urls(target)
            ));
        } else {
            roots.push((
                local_path(app_dir, target),
                true,
                Origin::EnvVar("PIP_CONSTRAINT"),
            ));
        }
    }
    // A stack, so that files are read depth first in the order they are named.
    let mut stack: Vec<_> = roots.into_iter().rev().collect();
    while let Some((path, constraint, origin)) = stack.pop() {
        let path = normalize(&path);
        if !visited.insert((path.clone(), constraint)) {
            continue;
        }
        let file = display_path(app_dir, &path);
        let bytes = read(&path).map_err(|error| RequirementsFileError::Read {
            file: file.clone(),
            origin,
            error,
        })?;
        let text = decode(&bytes).map_err(|(line, utf16)| RequirementsFileError::NotUtf8 {
            file: file.clone(),
            line,
            utf16,
        })?;
        scan.files
            .insert(file.clone(), hex::encode(Sha256::digest(&bytes)));
        let dir = path.parent().unwrap_or(app_dir).to_path_buf();
        let mut includes = Vec::new();
        for (line, item) in parse(text, lookup, &mut scan.variable_lines) {
            match item {
                Item::Include { target, .. } if is_remote(&target) => {
                    scan.not_reusable
                        .push(format!("-r {} (a remote file)", redact_urls(&target)));
                }
                Item::Include { constraint, target } => includes.push((
                    local_path(&dir, &target),
                    constraint,
                    Origin::Included {
                        file: file.clone(),
                        line,
                    },
                )),
                Item::FindLinks(target) if !is_remote(&target) => {
                    scan.not_reusable
                        .push(format!("--find-links {target} (a local directory)"));
                }
                Item::FindLinks(_) => {}
                Item::SourceOption(line) => scan.source_options.push(format!("{file}: {line}")),
                Item::Requirement(requirement) if constraint => {
                    if let RequirementKind::Named { name, pinned: true } = requirement.kind {
                        constrained.insert(name);
                    }
                }
                Item::Requirement(requirement) => requirements.push(requirement),
            }
        }
        stack.extend(includes.into_iter().rev());
    }
    scan.variables = scan.variable_lines.keys().cloned().collect();
    scan.requirement_count = requirements.len();
    scan.hashed = requirements.iter().any(|requirement| requirement.hashed);
    scan.top_level = requirements
        .iter()
        .map(|requirement| requirement.spec.clone())
        .collect();
    scan.not_reusable.extend(
        requirements
            .into_iter()
            .filter(|requirement| !requirement.kind.reusable(&constrained))
            .map(|requirement| requirement.display),
    );
    Ok(scan)
}

/// The file's text: UTF-8, with or without a byte order mark. Otherwise the line of the first
/// invalid byte, and whether the file is UTF-16 (by its byte order mark).
pub(crate) fn decode(bytes: &[u8]) -> Result<&str, (usize, bool)> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err((1, true));
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|error| {
        let line = bytes[..error.valid_up_to()].split(|b| *b == b'\n').count();
        (line, false)
    })
}

fn is_remote(target: &str) -> bool {
    has_url_scheme(target) && !target.starts_with("file:")
}

/// A `-r`/`-c` target: relative to the including file's directory, as pip resolves it.
fn local_path(dir: &Path, target: &str) -> PathBuf {
    let target = target.strip_prefix("file://").unwrap_or(target);
    dir.join(target)
}

/// `a/./b/../c` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn display_path(app_dir: &Path, path: &Path) -> String {
    path.strip_prefix(normalize(app_dir))
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests;
