//! How the distributions installed in a virtual environment hang together, read from their
//! metadata (`Requires-Dist`, with PEP 508 markers evaluated for the build's Python): the
//! dependency check (requirements of installed packages that the installed set does not meet,
//! as `pip check` reports them, without pip's start-up cost) and what a clean install of the
//! app's requirements would not have (what an in-place pip update removes, since pip never
//! uninstalls on its own). Both are pure functions of the installed set; only [`read`] and
//! [`marker_environment`] look at the disk.

use crate::command::{Command, CommandErrorKind};
use crate::package_name::normalize_name;
pub(crate) mod dist_metadata;

use dist_metadata::{Distribution, ReadError, venv_distributions};
use libcnb::Env;
use pep508_rs::{
    ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, PackageName, Requirement, VersionOrUrl,
};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

/// The distributions of a virtual environment, by normalized name.
#[derive(Debug, Default)]
pub(crate) struct InstalledSet {
    by_name: BTreeMap<String, Distribution>,
}

impl InstalledSet {
    pub(crate) fn new(distributions: impl IntoIterator<Item = Distribution>) -> Self {
        InstalledSet {
            by_name: distributions
                .into_iter()
                .map(|distribution| (normalize_name(&distribution.name), distribution))
                .collect(),
        }
    }

    fn get(&self, name: &PackageName) -> Option<&Distribution> {
        self.by_name.get(&name.to_string())
    }
}

/// Reads every distribution installed in the virtual environment at `venv_dir`.
pub(crate) fn read(venv_dir: &Path) -> Result<InstalledSet, ReadError> {
    venv_distributions(venv_dir).map(InstalledSet::new)
}

/// A requirement of an installed package that the installed set does not meet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Conflict {
    /// The package that requires it, as its metadata names it.
    pub(crate) package: String,
    pub(crate) version: String,
    /// The requirement, without its markers: `werkzeug>=3.0.0`.
    pub(crate) requirement: String,
    /// The version installed, if any.
    pub(crate) installed: Option<String>,
}

/// The requirements of installed packages (their markers true for `env`, extras left out, as
/// `pip check` does) that are missing or installed at a version they do not allow. Requirement
/// lines that are not valid PEP 508 are not checked.
pub(crate) fn conflicts(set: &InstalledSet, env: &MarkerEnvironment) -> Vec<Conflict> {
    let mut found = Vec::new();
    for distribution in set.by_name.values() {
        for line in &distribution.requires {
            let Ok(requirement) = Requirement::<pep508_rs::VerbatimUrl>::from_str(line) else {
                continue;
            };
            if !requirement.marker.evaluate(env, &[]) {
                continue;
            }
            let installed = set.get(&requirement.name);
            let allowed = match (installed, &requirement.version_or_url) {
                (None, _) => false,
                // A version that is not PEP 440 (a legacy one) cannot be compared: not a conflict.
                (Some(installed), Some(VersionOrUrl::VersionSpecifier(specifiers))) => {
                    pep440_rs::Version::from_str(&installed.version)
                        .map_or(true, |version| specifiers.contains(&version))
                }
                (Some(_), _) => true,
            };
            if !allowed {
                found.push(Conflict {
                    package: distribution.name.clone(),
                    version: distribution.version.clone(),
                    requirement: without_marker(&requirement),
                    installed: installed.map(|installed| installed.version.clone()),
                });
            }
        }
    }
    found
}

/// `name[extras]<specifiers>`, as the requirement reads without its markers.
fn without_marker(requirement: &Requirement<pep508_rs::VerbatimUrl>) -> String {
    let extras = if requirement.extras.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = requirement.extras.iter().map(ToString::to_string).collect();
        format!("[{}]", names.join(","))
    };
    let version = match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers.to_string(),
        Some(VersionOrUrl::Url(url)) => format!(" @ {url}"),
        None => String::new(),
    };
    format!("{}{extras}{version}", requirement.name)
}

/// A top-level requirement of the app that is not a PEP 508 requirement with a package name.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unnamed(pub(crate) String);

/// Parses the app's top-level requirements (`name[extras] specifiers; markers`, or
/// `name @ url`).
pub(crate) fn parse_requirements(
    lines: &[String],
) -> Result<Vec<Requirement<pep508_rs::VerbatimUrl>>, Unnamed> {
    lines
        .iter()
        .map(|line| Requirement::from_str(line).map_err(|_| Unnamed(line.clone())))
        .collect()
}

/// The names (as their metadata has them) of the installed distributions that the `top_level`
/// requirements do not need, directly or through the requirements of what they need (with the
/// extras asked for, and markers evaluated for `env`): what a clean install of `top_level` would
/// not have.
pub(crate) fn extraneous(
    set: &InstalledSet,
    top_level: &[Requirement<pep508_rs::VerbatimUrl>],
    env: &MarkerEnvironment,
) -> Vec<String> {
    let mut needed: BTreeSet<String> = BTreeSet::new();
    // (package, extra): `None` stands for its own requirements.
    let mut walked: HashSet<(String, Option<ExtraName>)> = HashSet::new();
    let mut pending: Vec<(PackageName, Vec<ExtraName>)> = top_level
        .iter()
        .filter(|requirement| requirement.marker.evaluate(env, &[]))
        .map(|requirement| (requirement.name.clone(), requirement.extras.clone()))
        .collect();
    while let Some((name, extras)) = pending.pop() {
        needed.insert(name.to_string());
        let Some(distribution) = set.get(&name) else {
            continue;
        };
        let contexts: Vec<Option<ExtraName>> = std::iter::once(None)
            .chain(extras.into_iter().map(Some))
            .filter(|context| walked.insert((name.to_string(), context.clone())))
            .collect();
        if contexts.is_empty() {
            continue;
        }
        for line in &distribution.requires {
            let Ok(requirement) = Requirement::<pep508_rs::VerbatimUrl>::from_str(line) else {
                continue;
            };
            let applies = contexts.iter().any(|context| {
                let extras: Vec<ExtraName> = context.iter().cloned().collect();
                requirement.marker.evaluate(env, &extras)
            });
            if applies {
                pending.push((requirement.name.clone(), requirement.extras.clone()));
            }
        }
    }
    set.by_name
        .iter()
        .filter(|(name, _)| !needed.contains(*name))
        .map(|(_, distribution)| distribution.name.clone())
        .collect()
}

/// Why the marker environment of a Python could not be read.
#[derive(Debug)]
pub(crate) struct MarkerEnvironmentError(pub(crate) String);

/// What Python at `python` says about itself for environment markers (`python_version`,
/// `platform_machine`, ...), run with `env`. Asked once per build: the removal after a pip update
/// and the dependency check after it share the answer.
pub(crate) fn marker_environment(
    python: &Path,
    env: &Env,
) -> Result<MarkerEnvironment, MarkerEnvironmentError> {
    static ASKED: Mutex<Option<(PathBuf, MarkerEnvironment)>> = Mutex::new(None);
    let mut asked = ASKED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((asked_python, markers)) = asked.as_ref()
        && asked_python == python
    {
        return Ok(markers.clone());
    }
    let markers = ask_marker_environment(python, env)?;
    *asked = Some((python.to_path_buf(), markers.clone()));
    Ok(markers)
}

fn ask_marker_environment(
    python: &Path,
    env: &Env,
) -> Result<MarkerEnvironment, MarkerEnvironmentError> {
    const SCRIPT: &str = r#"import json, os, platform, sys
i = sys.implementation
v = i.version
iv = "%d.%d.%d" % (v.major, v.minor, v.micro)
if v.releaselevel != "final":
    iv += v.releaselevel[0] + str(v.serial)
print(json.dumps({
    "implementation_name": i.name,
    "implementation_version": iv,
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_python_implementation": platform.python_implementation(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}))"#;
    let output = Command::new(python, env)
        // Writes no bytecode: the runtime layer keeps only the level the app runs at (the env's
        // PYTHONOPTIMIZE, which `-I` would ignore).
        .args(["-B", "-s", "-c", SCRIPT])
        .capture()
        .map_err(|error| {
            let command = error.command;
            MarkerEnvironmentError(match error.kind {
                CommandErrorKind::Spawn(error) => format!("{command}: {error}"),
                CommandErrorKind::Failed { output, .. } => output.combined().trim().to_string(),
            })
        })?;
    parse_marker_environment(&output.stdout)
}

fn parse_marker_environment(json: &str) -> Result<MarkerEnvironment, MarkerEnvironmentError> {
    let values: BTreeMap<String, String> = serde_json::from_str(json.trim())
        .map_err(|error| MarkerEnvironmentError(error.to_string()))?;
    let get = |key: &str| values.get(key).map_or("", String::as_str);
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: get("implementation_name"),
        implementation_version: get("implementation_version"),
        os_name: get("os_name"),
        platform_machine: get("platform_machine"),
        platform_python_implementation: get("platform_python_implementation"),
        platform_release: get("platform_release"),
        platform_system: get("platform_system"),
        platform_version: get("platform_version"),
        python_full_version: get("python_full_version"),
        python_version: get("python_version"),
        sys_platform: get("sys_platform"),
    })
    .map_err(|error| MarkerEnvironmentError(error.to_string()))
}

#[cfg(test)]
mod tests;
