//! pip's requirements file syntax: line continuations, comments, `${VAR}` substitution, and
//! the options that include other files or name requirements.

use super::specifier::{RequirementKind, classify_requirement};
use crate::redact::redact_urls;
use std::collections::{BTreeMap, BTreeSet};

/// One thing a requirements file line asks for, as far as this module cares.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Item {
    /// `-r file` (`constraint: false`) or `-c file`.
    Include {
        constraint: bool,
        target: String,
    },
    Requirement(Requirement),
    /// `-f`/`--find-links`: a local directory's wheels can change under the same file.
    FindLinks(String),
    /// A line with an option that changes where packages come from or in what form (an index,
    /// find-links, binaries or pre-releases), as pip reads it, credentials redacted.
    SourceOption(String),
}

#[derive(Debug, PartialEq, Eq)]
pub(super) struct Requirement {
    /// As written in the file (before `${VAR}` substitution, credentials redacted).
    pub(super) display: String,
    /// As pip reads it: substituted, without options, credentials kept (never shown).
    pub(super) spec: String,
    pub(super) kind: RequirementKind,
    /// Whether it has `--hash` options (pip's hash-checking mode).
    pub(super) hashed: bool,
}

/// The items of a requirements file with their (first) line numbers, after pip's line joining,
/// comment removal and `${VAR}` substitution; the names of the variables used go to `variables`,
/// with the lines they are used in as pip reads them (substituted), credentials redacted.
pub(super) fn parse(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    variables: &mut BTreeMap<String, Vec<String>>,
) -> Vec<(usize, Item)> {
    let mut items = Vec::new();
    for (line_number, raw) in logical_lines(text) {
        let mut used = BTreeSet::new();
        let expanded = expand_variables(&raw, lookup, &mut used);
        for name in used {
            variables
                .entry(name)
                .or_default()
                .push(redact_urls(&expanded));
        }
        let (args, options) = break_args_options(&expanded);
        if !args.is_empty() {
            let hashed = options
                .split(' ')
                .any(|option| option.starts_with("--hash"));
            let display = redact_urls(&break_args_options(&raw).0);
            let kind = classify_requirement(&args, hashed);
            items.push((
                line_number,
                Item::Requirement(Requirement {
                    display,
                    spec: args,
                    kind,
                    hashed,
                }),
            ));
            continue;
        }
        let tokens = shell_split(&options);
        if tokens.iter().any(|token| is_source_option(token)) {
            items.push((line_number, Item::SourceOption(redact_urls(&expanded))));
        }
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
                "-r" => Item::Include {
                    constraint: false,
                    target: value,
                },
                "-c" => Item::Include {
                    constraint: true,
                    target: value,
                },
                "-f" => Item::FindLinks(value),
                _ => Item::Requirement(Requirement {
                    display: format!("-e {}", redact_urls(&value)),
                    spec: value,
                    kind: RequirementKind::Editable,
                    hashed: false,
                }),
            };
            items.push((line_number, item));
        }
    }
    items
}

/// For the options this module follows, the short name and an attached value (`-rfile`,
/// `--requirement=file`).
/// Whether `token` is one of pip's options that change where packages come from or in what form.
fn is_source_option(token: &str) -> bool {
    const LONG: [&str; 9] = [
        "--index-url",
        "--extra-index-url",
        "--no-index",
        "--find-links",
        "--trusted-host",
        "--no-binary",
        "--only-binary",
        "--prefer-binary",
        "--pre",
    ];
    LONG.iter().any(|option| {
        token == *option
            || token
                .strip_prefix(option)
                .is_some_and(|rest| rest.starts_with('='))
    }) || token.starts_with("-i")
        || token.starts_with("-f")
}

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
            token
                .strip_prefix(short)
                .filter(|v| !v.is_empty())
                .map(|v| (*short, Some(v)))
        } else {
            None
        }
    })
}

/// pip's `join_lines` and `ignore_comments`: `\` continues a line, `#` at the start or after
/// whitespace starts a comment. Returns non-empty lines with their first line number.
pub(super) fn logical_lines(text: &str) -> Vec<(usize, String)> {
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
        let line = if is_comment {
            format!(" {line}")
        } else {
            line.to_string()
        };
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
pub(super) fn expand_variables(
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
    let split = tokens
        .iter()
        .position(|t| t.starts_with('-'))
        .unwrap_or(tokens.len());
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
            (None, '\'' | '"') => {
                quote = Some(c);
                current.get_or_insert_default();
            }
            (None, c) if c.is_whitespace() => tokens.extend(current.take()),
            (_, c) => current.get_or_insert_default().push(c),
        }
    }
    tokens.extend(current);
    tokens
}
