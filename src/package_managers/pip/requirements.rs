//! Reading requirements.txt and every file it includes (`-r`/`-c`), the way pip reads them, to
//! decide whether a cached virtual environment still matches: which files and `${VAR}`s are
//! inputs of the install, and which requirements can install something different even though
//! the files stay the same.

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
    /// Requirements (and options) that can install something different from unchanged files,
    /// as written in the file (credentials redacted).
    pub(crate) not_reusable: Vec<String>,
    /// How many requirements there are (`-e` included); 0 means there is nothing to install.
    pub(crate) requirement_count: usize,
}

#[derive(Debug)]
pub(crate) enum RequirementsFileError {
    NotUtf8 { file: String, line: usize, utf16: bool },
    Read { file: String, origin: Origin, error: io::Error },
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

/// One thing a requirements file line asks for, as far as this module cares.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// `-r file` (`constraint: false`) or `-c file`.
    Include { constraint: bool, target: String },
    Requirement(Requirement),
    /// `-f`/`--find-links`: a local directory's wheels can change under the same file.
    FindLinks(String),
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Requirement {
    /// As written in the file (before `${VAR}` substitution, credentials redacted).
    pub(crate) display: String,
    pub(crate) kind: RequirementKind,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RequirementKind {
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
    fn reusable(&self, constrained: &HashSet<String>) -> bool {
        match self {
            RequirementKind::Named { name, pinned } => *pinned || constrained.contains(name),
            RequirementKind::DirectUrl { hashed } => *hashed,
            RequirementKind::Vcs | RequirementKind::LocalPath | RequirementKind::Editable => false,
        }
    }
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
            scan.not_reusable.push(format!("PIP_CONSTRAINT={} (a remote file)", redact_urls(target)));
        } else {
            roots.push((local_path(app_dir, target), true, Origin::EnvVar("PIP_CONSTRAINT")));
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
        scan.files.insert(file.clone(), hex::encode(Sha256::digest(&bytes)));
        let dir = path.parent().unwrap_or(app_dir).to_path_buf();
        let mut includes = Vec::new();
        for (line, item) in parse(text, lookup, &mut scan.variables) {
            match item {
                Item::Include { target, .. } if is_remote(&target) => {
                    scan.not_reusable.push(format!("-r {} (a remote file)", redact_urls(&target)));
                }
                Item::Include { constraint, target } => includes.push((
                    local_path(&dir, &target),
                    constraint,
                    Origin::Included { file: file.clone(), line },
                )),
                Item::FindLinks(target) if !is_remote(&target) => {
                    scan.not_reusable.push(format!("--find-links {target} (a local directory)"));
                }
                Item::FindLinks(_) => {}
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
    scan.requirement_count = requirements.len();
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
        let line = bytes[..error.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
        (line, false)
    })
}

/// The items of a requirements file with their (first) line numbers, after pip's line joining,
/// comment removal and `${VAR}` substitution; the names of the variables used go to `variables`.
pub(crate) fn parse(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    variables: &mut BTreeSet<String>,
) -> Vec<(usize, Item)> {
    let mut items = Vec::new();
    for (line_number, raw) in logical_lines(text) {
        let expanded = expand_variables(&raw, lookup, variables);
        let (args, options) = break_args_options(&expanded);
        if !args.is_empty() {
            let hashed = options.split(' ').any(|option| option.starts_with("--hash"));
            let display = redact_urls(&break_args_options(&raw).0);
            let kind = classify_requirement(&args, hashed);
            items.push((line_number, Item::Requirement(Requirement { display, kind })));
            continue;
        }
        let tokens = shell_split(&options);
        let mut index = 0;
        while index < tokens.len() {
            let token = tokens[index].as_str();
            index += 1;
            let Some((option, attached)) = option_value(token) else {
                continue;
            };
            let value = match attached {
                Some(value) => value.to_string(),
                None => match tokens.get(index) {
                    Some(value) => {
                        index += 1;
                        value.clone()
                    }
                    None => continue,
                },
            };
            let item = match option {
                "-r" => Item::Include { constraint: false, target: value },
                "-c" => Item::Include { constraint: true, target: value },
                "-f" => Item::FindLinks(value),
                _ => Item::Requirement(Requirement {
                    display: format!("-e {}", redact_urls(&value)),
                    kind: RequirementKind::Editable,
                }),
            };
            items.push((line_number, item));
        }
    }
    items
}

/// For the options this module follows, the short name and an attached value (`-rfile`,
/// `--requirement=file`).
fn option_value(token: &str) -> Option<(&'static str, Option<&str>)> {
    const OPTIONS: [(&str, &str); 4] = [
        ("-r", "--requirement"),
        ("-c", "--constraint"),
        ("-e", "--editable"),
        ("-f", "--find-links"),
    ];
    OPTIONS.iter().find_map(|(short, long)| {
        if token == *short || token == *long {
            Some((*short, None))
        } else if let Some(value) = token.strip_prefix(long).and_then(|v| v.strip_prefix('=')) {
            Some((*short, Some(value)))
        } else if !token.starts_with("--") {
            token.strip_prefix(short).filter(|v| !v.is_empty()).map(|v| (*short, Some(v)))
        } else {
            None
        }
    })
}

/// pip's `join_lines` and `ignore_comments`: `\` continues a line, `#` at the start or after
/// whitespace starts a comment. Returns non-empty lines with their first line number.
pub(crate) fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut joined = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        let is_comment = line.trim_start().starts_with('#');
        if line.ends_with('\\') && !is_comment {
            pending
                .get_or_insert_with(|| (index + 1, String::new()))
                .1
                .push_str(line.trim_matches('\\'));
            continue;
        }
        let line = if is_comment { format!(" {line}") } else { line.to_string() };
        match pending.take() {
            Some((first, mut text)) => {
                text.push_str(&line);
                joined.push((first, text));
            }
            None => joined.push((index + 1, line)),
        }
    }
    joined.extend(pending);
    joined
        .into_iter()
        .map(|(number, line)| (number, strip_comment(&line).trim().to_string()))
        .filter(|(_, line)| !line.is_empty())
        .collect()
}

fn strip_comment(line: &str) -> &str {
    let mut previous_is_space = true;
    for (index, c) in line.char_indices() {
        if c == '#' && previous_is_space {
            return &line[..index];
        }
        previous_is_space = c.is_whitespace();
    }
    line
}

/// pip's `${VAR}` substitution: upper-case names only, and only variables that are set and
/// non-empty (others stay as written).
fn expand_variables(
    line: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    variables: &mut BTreeSet<String>,
) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('}') {
            let name = &after[..name_len];
            variables.insert(name.to_string());
            match lookup(name).filter(|value| !value.is_empty()) {
                Some(value) => out.push_str(&value),
                None => out.push_str(&rest[start..start + 3 + name_len]),
            }
            rest = &after[name_len + 1..];
        } else {
            out.push_str("${");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// pip's `break_args_options`: the words before the first one starting with `-` are the
/// requirement, the rest are options.
fn break_args_options(line: &str) -> (String, String) {
    let tokens: Vec<&str> = line.split(' ').collect();
    let split = tokens.iter().position(|t| t.starts_with('-')).unwrap_or(tokens.len());
    (tokens[..split].join(" "), tokens[split..].join(" "))
}

/// Whitespace splitting with `'`/`"` quotes, enough for option values.
fn shell_split(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current: Option<String> = None;
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.get_or_insert_default().push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                current.get_or_insert_default();
            }
            (None, c) if c.is_whitespace() => tokens.extend(current.take()),
            (None, c) => current.get_or_insert_default().push(c),
        }
    }
    tokens.extend(current);
    tokens
}

/// What kind of requirement a requirement specifier (without options) is.
pub(crate) fn classify_requirement(requirement: &str, hashed: bool) -> RequirementKind {
    // As in pip: URL requirements need whitespace after the `;` that starts the markers.
    let marker_separator = if has_url_scheme(requirement) { "; " } else { ";" };
    let requirement = requirement.split(marker_separator).next().unwrap_or_default().trim();
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
    let specifiers = specifiers.trim().trim_start_matches('(').trim_end_matches(')');
    let pinned = specifiers.split(',').map(str::trim).any(|specifier| {
        specifier.starts_with("===") || (specifier.starts_with("==") && !specifier.contains('*'))
    });
    RequirementKind::Named {
        name: normalize_name(&requirement[..name_len]),
        pinned,
    }
}

fn url_kind(url: &str, hashed: bool) -> RequirementKind {
    let scheme = url.split(':').next().unwrap_or_default().to_ascii_lowercase();
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
        RequirementKind::DirectUrl { hashed: hashed || fragment_hash }
    }
}

fn has_url_scheme(text: &str) -> bool {
    text.starts_with("file:")
        || text.split_once("://").is_some_and(|(scheme, _)| {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        })
}

fn is_name_with_extras(text: &str) -> bool {
    let name = text.split_once('[').map_or(text, |(name, _)| name).trim();
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn looks_like_path(requirement: &str) -> bool {
    const ARCHIVES: [&str; 9] =
        [".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar"];
    requirement.contains('/')
        || requirement.starts_with('.')
        || ARCHIVES.iter().any(|ext| requirement.to_ascii_lowercase().ends_with(ext))
}

/// PEP 503 name normalization: lower case, runs of `-`, `_` and `.` become one `-`.
pub(crate) fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
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
