//! The subset of PEP 440 version specifiers that `requires-python` uses in practice: release
//! versions (`3`, `3.11`, `3.11.2`) with `>=`, `>`, `<=`, `<`, `==`, `!=` and `~=`, and `X.Y.*`
//! wildcards after `==` and `!=`. Pre-, post- and dev-release versions, local versions and `===`
//! are rejected with a clear error rather than guessed at.

use crate::python_version::PythonVersion;
use std::fmt;
use std::str::FromStr;

#[cfg(test)]
mod tests;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    /// `~=`
    Compatible,
    Equal,
    NotEqual,
    LessEqual,
    GreaterEqual,
    Less,
    Greater,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Specifier {
    operator: Operator,
    release: Vec<u64>,
    /// `==X.Y.*` / `!=X.Y.*`
    wildcard: bool,
}

/// A comma-separated list of specifiers; a version must satisfy all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Specifiers(Vec<Specifier>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SpecifierError {
    /// No specifier at all (only whitespace or commas).
    Empty,
    /// A clause without a known operator, e.g. `3.11` or `=>3.11`.
    MissingOperator(String),
    /// `===`, which compares strings and cannot select a Python release.
    ArbitraryEquality(String),
    /// The version after the operator is not a release version (`3.11.0rc1`, `3.x`, `3.11+local`).
    InvalidVersion(String),
    /// `.*` after an operator other than `==` and `!=`.
    MisplacedWildcard(String),
    /// `~=` needs at least two release segments (`~=3.11`, not `~=3`).
    CompatibleNeedsTwoSegments(String),
}

impl fmt::Display for SpecifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("it has no version specifier"),
            Self::MissingOperator(clause) => write!(
                f,
                "`{clause}` has no comparison operator (one of >=, >, <=, <, ==, !=, ~=)"
            ),
            Self::ArbitraryEquality(clause) => {
                write!(f, "`{clause}` uses ===, which is not supported")
            }
            Self::InvalidVersion(clause) => write!(
                f,
                "`{clause}` does not compare with a release version such as 3.11 or 3.11.2"
            ),
            Self::MisplacedWildcard(clause) => {
                write!(f, "`{clause}` uses .* , which only works after == and !=")
            }
            Self::CompatibleNeedsTwoSegments(clause) => {
                write!(f, "`{clause}` needs at least major.minor after ~=")
            }
        }
    }
}

impl std::error::Error for SpecifierError {}

impl FromStr for Specifiers {
    type Err = SpecifierError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let specifiers = s
            .split(',')
            .map(str::trim)
            .filter(|clause| !clause.is_empty())
            .map(parse_clause)
            .collect::<Result<Vec<_>, _>>()?;
        if specifiers.is_empty() {
            return Err(SpecifierError::Empty);
        }
        Ok(Self(specifiers))
    }
}

fn parse_clause(clause: &str) -> Result<Specifier, SpecifierError> {
    if clause.starts_with("===") {
        return Err(SpecifierError::ArbitraryEquality(clause.to_string()));
    }
    // Two-character operators first, so that `<=` is not read as `<` followed by `=3.11`.
    let operators = [
        ("~=", Operator::Compatible),
        ("==", Operator::Equal),
        ("!=", Operator::NotEqual),
        ("<=", Operator::LessEqual),
        (">=", Operator::GreaterEqual),
        ("<", Operator::Less),
        (">", Operator::Greater),
    ];
    let (operator, version) = operators
        .iter()
        .find_map(|(prefix, operator)| clause.strip_prefix(prefix).map(|rest| (*operator, rest)))
        .ok_or_else(|| SpecifierError::MissingOperator(clause.to_string()))?;
    let version = version.trim();
    let (version, wildcard) = match version.strip_suffix(".*") {
        Some(prefix) => (prefix, true),
        None => (version, false),
    };
    if wildcard && !matches!(operator, Operator::Equal | Operator::NotEqual) {
        return Err(SpecifierError::MisplacedWildcard(clause.to_string()));
    }
    // PEP 440 allows a leading `v`; nothing else but dot-separated numbers is supported.
    let version = version.strip_prefix('v').unwrap_or(version);
    let release = version
        .split('.')
        .map(|part| {
            (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u64>().ok())
                .flatten()
        })
        .collect::<Option<Vec<u64>>>()
        .ok_or_else(|| SpecifierError::InvalidVersion(clause.to_string()))?;
    if operator == Operator::Compatible && release.len() < 2 {
        return Err(SpecifierError::CompatibleNeedsTwoSegments(
            clause.to_string(),
        ));
    }
    Ok(Specifier {
        operator,
        release,
        wildcard,
    })
}

impl Specifiers {
    /// Whether a stable `version` satisfies every specifier.
    pub(crate) fn contains(&self, version: &PythonVersion) -> bool {
        let release = [
            u64::from(version.major),
            u64::from(version.minor),
            u64::from(version.patch),
        ];
        self.0.iter().all(|specifier| specifier.contains(&release))
    }
}

impl Specifier {
    fn contains(&self, version: &[u64]) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let ordering = compare(version, &self.release);
        let prefix_matches = || {
            self.release
                .iter()
                .enumerate()
                .all(|(i, segment)| version.get(i).copied().unwrap_or(0) == *segment)
        };
        match self.operator {
            Operator::Equal if self.wildcard => prefix_matches(),
            Operator::NotEqual if self.wildcard => !prefix_matches(),
            Operator::Equal => ordering == Equal,
            Operator::NotEqual => ordering != Equal,
            Operator::LessEqual => ordering != Greater,
            Operator::GreaterEqual => ordering != Less,
            Operator::Less => ordering == Less,
            Operator::Greater => ordering == Greater,
            Operator::Compatible => {
                // `~=X.Y.Z` is `>=X.Y.Z, ==X.Y.*`.
                let prefix = &self.release[..self.release.len() - 1];
                ordering != Less
                    && prefix
                        .iter()
                        .enumerate()
                        .all(|(i, segment)| version.get(i).copied().unwrap_or(0) == *segment)
            }
        }
    }
}

/// Release versions compare segment by segment, the shorter padded with zeros (3.11 == 3.11.0).
fn compare(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    let len = a.len().max(b.len());
    (0..len)
        .map(|i| {
            a.get(i)
                .copied()
                .unwrap_or(0)
                .cmp(&b.get(i).copied().unwrap_or(0))
        })
        .find(|ordering| ordering.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}
