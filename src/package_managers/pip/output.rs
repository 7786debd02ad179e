//! pip's output: streamed with credentials redacted, and read to say what went wrong.

/// What a failed pip run's output says went wrong, most specific first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PipFailure {
    /// `ERROR: Invalid requirement: '…'`, with pip's `line N of FILE` when it gives one.
    InvalidRequirement {
        requirement: String,
        location: Option<String>,
    },
    /// Missing or mismatching `--hash`es.
    Hashes {
        mismatch: bool,
    },
    /// Building a package from source failed.
    BuildFailed {
        packages: Vec<String>,
    },
    /// `ResolutionImpossible`: the lines under "The conflict is caused by:".
    Conflict {
        causes: Vec<String>,
    },
    /// The index could not be reached at all (TLS, proxy, DNS).
    IndexUnreachable {
        certificate: bool,
    },
    /// `No matching distribution found for X`; `credentials_rejected` when an index answered
    /// 401 or 403.
    NotFound {
        requirements: Vec<String>,
        credentials_rejected: bool,
    },
    Other,
}

/// Classifies the (captured) output of a failed pip run.
pub(crate) fn classify(output: &str) -> PipFailure {
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    if let Some(failure) = invalid_requirement(&lines) {
        return failure;
    }
    if output.contains("THESE PACKAGES DO NOT MATCH THE HASHES") {
        return PipFailure::Hashes { mismatch: true };
    }
    if output.contains("Hashes are required in --require-hashes mode")
        || output
            .contains("In --require-hashes mode, all requirements must have their versions pinned")
    {
        return PipFailure::Hashes { mismatch: false };
    }
    let packages = failed_builds(&lines);
    if !packages.is_empty() {
        return PipFailure::BuildFailed { packages };
    }
    if output.contains("ResolutionImpossible") || output.contains("conflicting dependencies") {
        let causes = lines
            .iter()
            .skip_while(|line| !line.starts_with("The conflict is caused by:"))
            .skip(1)
            .take_while(|line| !line.is_empty())
            .map(|line| (*line).to_string())
            .collect();
        return PipFailure::Conflict { causes };
    }
    let requirements: Vec<String> = lines
        .iter()
        .filter_map(|line| line.split_once("No matching distribution found for "))
        .map(|(_, requirement)| requirement.trim().to_string())
        .collect();
    let certificate = output.contains("CERTIFICATE_VERIFY_FAILED");
    let unreachable = certificate
        || [
            "ProxyError",
            "NewConnectionError",
            "Failed to establish a new connection",
            "NameResolutionError",
        ]
        .iter()
        .any(|needle| output.contains(needle));
    if unreachable && (requirements.is_empty() || output.contains("(from versions: none)")) {
        return PipFailure::IndexUnreachable { certificate };
    }
    if requirements.is_empty() {
        PipFailure::Other
    } else {
        let credentials_rejected = [
            "401 Error",
            "403 Error",
            "401 Client Error",
            "403 Client Error",
        ]
        .iter()
        .any(|needle| output.contains(needle));
        PipFailure::NotFound {
            requirements,
            credentials_rejected,
        }
    }
}

/// Classifies the (captured) output of a failed `uv pip install`, in pip's terms: the messages
/// are about requirements.txt either way.
pub(crate) fn classify_uv(output: &str) -> PipFailure {
    use crate::package_managers::locked::LockedFailure;
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    if let Some(index) = lines
        .iter()
        .position(|line| line.contains("Couldn't parse requirement in"))
    {
        // `cause: Expected …`, then the line as written, then a caret under the problem.
        let requirement = lines
            .get(index + 2)
            .copied()
            .unwrap_or_default()
            .to_string();
        return PipFailure::InvalidRequirement {
            requirement,
            location: None,
        };
    }
    if output.contains("all requirements must have a hash") {
        return PipFailure::Hashes { mismatch: false };
    }
    if output.contains("No solution found when resolving dependencies") {
        let missing: Vec<String> = lines
            .iter()
            .filter_map(|line| {
                line.split_once(" was not found in the package registry")
                    .and_then(|(before, _)| before.rsplit(' ').next())
                    .or_else(|| {
                        line.split_once("there is no version of ")
                            .and_then(|(_, after)| after.split([' ', ',']).next())
                    })
            })
            .map(str::to_string)
            .collect();
        if !missing.is_empty() {
            return PipFailure::NotFound {
                requirements: missing,
                credentials_rejected: false,
            };
        }
        let causes = lines
            .iter()
            .skip_while(|line| !line.contains("No solution found"))
            .skip(1)
            .take_while(|line| !line.is_empty())
            .map(|line| line.trim_start_matches("cause: ").to_string())
            .collect();
        return PipFailure::Conflict { causes };
    }
    match crate::package_managers::uv::classify(output) {
        LockedFailure::HashMismatch { .. } => PipFailure::Hashes { mismatch: true },
        LockedFailure::BuildFailed { packages } => PipFailure::BuildFailed {
            packages: packages
                .into_iter()
                .map(|package| package.trim_start_matches("file://").to_string())
                .collect(),
        },
        LockedFailure::IndexUnreachable { certificate } => {
            PipFailure::IndexUnreachable { certificate }
        }
        LockedFailure::CredentialsRejected { packages } => PipFailure::NotFound {
            requirements: packages,
            credentials_rejected: true,
        },
        LockedFailure::Unavailable { packages } => PipFailure::NotFound {
            requirements: packages,
            credentials_rejected: false,
        },
        _ => PipFailure::Other,
    }
}

/// `ERROR: Invalid requirement: 'x y': Expected …` and, on that line or one of the next few,
/// pip's `(from line N of FILE)`.
fn invalid_requirement(lines: &[&str]) -> Option<PipFailure> {
    let index = lines
        .iter()
        .position(|line| line.contains("Invalid requirement: "))?;
    let rest = lines[index].split_once("Invalid requirement: ")?.1;
    let requirement = match rest.strip_prefix('\'') {
        Some(quoted) => quoted.split_once("': ").map_or_else(
            || quoted.trim_end_matches('\''),
            |(requirement, _)| requirement,
        ),
        None => rest
            .split_once(": ")
            .map_or(rest, |(requirement, _)| requirement),
    };
    Some(PipFailure::InvalidRequirement {
        requirement: requirement.to_string(),
        location: lines[index..].iter().take(4).find_map(|line| locate(line)),
    })
}

/// `line 2 of requirements.txt` from `… (from line 2 of requirements.txt)`.
pub(crate) fn locate(text: &str) -> Option<String> {
    let start = text.rfind("(from line ")? + "(from ".len();
    let end = start + text[start..].find(')')?;
    Some(text[start..end].to_string())
}

/// The packages whose build failed, from the several ways pip reports that.
fn failed_builds(lines: &[&str]) -> Vec<String> {
    let mut packages: Vec<String> = Vec::new();
    let mut add = |package: &str| {
        let package = package
            .trim()
            .trim_matches('\'')
            .trim_start_matches("file://");
        if !package.is_empty() && !packages.iter().any(|p| p == package) {
            packages.push(package.to_string());
        }
    };
    let mut last_collected = None;
    for line in lines {
        if let Some(rest) = line
            .strip_prefix("Collecting ")
            .or_else(|| line.strip_prefix("Processing "))
        {
            last_collected = rest.split(" (from ").next();
        }
        if let Some(rest) = line.strip_prefix("ERROR: Failed to build ") {
            // `'file:///app/pkg' when getting requirements to build wheel`
            add(rest.split(" when ").next().unwrap_or(rest));
        } else if let Some(rest) = line.strip_prefix("ERROR: Failed building wheel for ") {
            add(rest);
        } else if let Some(rest) = line.strip_prefix("Failed to build ") {
            rest.split_whitespace().for_each(&mut add);
        } else if let Some(rest) = line.strip_prefix("ERROR: Could not build wheels for ") {
            rest.split(',')
                .map(|p| p.split(" which ").next().unwrap_or(p))
                .for_each(&mut add);
        } else if (line.contains("metadata-generation-failed")
            || line.starts_with("× Encountered error while generating package metadata"))
            && let Some(package) = last_collected
        {
            add(package);
        }
    }
    packages
}

#[cfg(test)]
mod tests;
