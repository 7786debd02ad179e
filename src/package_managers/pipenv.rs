//! Installing an app's dependencies from Pipfile.lock with `pipenv install --deploy`.
//!
//! Pipenv installs into the buildpack's virtual environment (the active one, `VIRTUAL_ENV`).
//! `--deploy` fails when Pipfile.lock is out of date with the Pipfile (or the Pipfile's
//! `python_version` is not the Python in use) instead of locking again, and pip checks every
//! download against the lock's hashes. Only the `[packages]` (default) section is installed.
//! `pipenv install` never uninstalls, so an existing environment is then cleaned with
//! `pipenv clean`, which removes what Pipfile.lock no longer has.

use crate::layers::package_cache::PackageCache;
use crate::layers::tool::Tool;
use crate::layers::venv::DeselectedGroups;
use crate::package_managers::PackageManager;
use crate::package_managers::declaration::{
    Declaration, Groups, LockedManagerWords, MissingLock, ProjectSign, Recognised, RefusedSetting,
};
use crate::package_managers::local_sources;
use crate::package_managers::locked::{
    ChangedLocalPackages, Commands, EnvValue, LocalSource, LockedFailure, LockedInstallError,
    LockedPlan, ToolEnv, is_credential, normalize_name, read_files, settings,
};
use crate::package_managers::pip::output::{self, PipFailure};
use crate::project::Project;
use libcnb::Env;
use std::collections::HashMap;

/// Pipenv and pip settings that do not change what is installed, or that the buildpack sets.
const NEUTRAL_SETTINGS: [&str; 17] = [
    "PIPENV_CACHE_DIR",
    "PIPENV_VERBOSITY",
    "PIPENV_NOSPIN",
    "PIPENV_YES",
    "PIPENV_TIMEOUT",
    "PIPENV_INSTALL_TIMEOUT",
    "PIPENV_MAX_RETRIES",
    "PIPENV_HIDE_EMOJIS",
    "PIPENV_COLORBLIND",
    "PIPENV_QUIET",
    "PIPENV_VERBOSE",
    "PIP_CACHE_DIR",
    "PIP_NO_CACHE_DIR",
    "PIP_DEFAULT_TIMEOUT",
    "PIP_TIMEOUT",
    "PIP_RETRIES",
    "PIP_PROGRESS_BAR",
];

/// Settings that would make Pipenv leave the buildpack's virtual environment.
const UNSUPPORTED_SETTINGS: [&str; 3] = [
    "PIPENV_IGNORE_VIRTUALENVS",
    "PIPENV_ACTIVE",
    "PIPENV_SYSTEM",
];

/// Its tool.
pub(crate) const TOOL: Tool = Tool {
    name: "Pipenv",
    command: "pipenv",
    requirements: include_str!("../../requirements/pipenv.txt"),
    own_venv: true,
};

/// Pipenv: `Pipfile.lock`; groups are the Pipfile's package categories (`dev-packages` as `dev`).
pub(crate) const DECLARATION: Declaration = Declaration {
    name: "Pipenv",
    marker_file: "Pipfile.lock",
    cache: PackageCache {
        layer: "pipenv-cache",
        label: "Pipenv",
    },
    refused_settings: &[
        RefusedSetting {
            pattern: "PIPENV_VENV_IN_PROJECT",
            breaks: "makes Pipenv create .venv in the app instead of using the buildpack's virtual environment",
            harmless_when_off: false,
        },
        RefusedSetting {
            pattern: "PIPENV_PYTHON",
            breaks: "makes Pipenv use a Python other than the one the buildpack installs",
            harmless_when_off: false,
        },
        RefusedSetting {
            pattern: "PIPENV_DEFAULT_PYTHON_VERSION",
            breaks: "makes Pipenv use a Python other than the one the buildpack installs",
            harmless_when_off: false,
        },
    ],
    groups: Groups {
        file: "Pipfile",
        described_as: "Pipfile categories ([dev-packages] is `dev`)",
        defined: |table| {
            table
                .iter()
                .filter(|(_, value)| value.is_table())
                .map(|(name, _)| name.as_str())
                .filter(|name| {
                    !["packages", "source", "requires", "pipenv", "scripts"].contains(name)
                })
                .map(|name| if name == "dev-packages" { "dev" } else { name }.to_string())
                .collect()
        },
    },
    missing_lock: MissingLock {
        create: "- Pipfile.lock: run `pipenv lock` (with a Pipfile)",
        suggestion_rank: 3,
        // A Pipfile lists requirements much as requirements.txt does.
        closest: Some(crate::package_managers::PackageManager::Pip),
        recognised_by: Some(Recognised {
            sign: ProjectSign::File("Pipfile"),
            header: "Missing Pipfile.lock",
            explanation: "The app has a Pipfile but no Pipfile.lock. The buildpack installs the exact\n\
                          versions of a lock file or a requirements file, so it needs one of these (create\n\
                          the one for the tool you use, and commit it):",
        }),
    },
    lock_words: Some(LockedManagerWords {
        lock: "Pipfile.lock",
        manifest: "Pipfile",
        lock_command: "pipenv lock",
        upgrade_command: "pipenv upgrade NAME",
        python_setting: "python_version under [requires]",
        index_settings: "the [[source]] URLs of the Pipfile, with ${VARIABLES}\n\
                         from the build env for credentials",
        ca_bundle: "PIP_CERT",
        certificate_errors_recognised: true,
    }),
};

/// The files that are inputs when they exist: the lock first, then its manifest.
const FILES: [&str; 2] = ["Pipfile.lock", "Pipfile"];

fn is_setting(name: &str) -> bool {
    let rest = name
        .strip_prefix("PIPENV_")
        .or_else(|| name.strip_prefix("PIP_"));
    rest.is_some_and(|rest| !is_credential(rest)) && !NEUTRAL_SETTINGS.contains(&name)
}

/// `pipenv install --deploy [--categories "packages G…"]`, then `pipenv clean` in an existing
/// environment, into the active virtual environment.
pub(crate) fn plan(
    project: &Project,
    groups: &[String],
    env: &Env,
) -> Result<LockedPlan, LockedInstallError> {
    let (files, lock) = read_files(project, &FILES)?;
    let mut install = vec!["install".to_string(), "--deploy".to_string()];
    if !groups.is_empty() {
        // Categories by their Pipfile names: `dev` is `dev-packages`.
        let categories = std::iter::once("packages")
            .chain(groups.iter().map(|group| match group.as_str() {
                "dev" => "dev-packages",
                other => other,
            }))
            .collect::<Vec<_>>()
            .join(" ");
        install.extend(["--categories".to_string(), categories]);
    }
    Ok(LockedPlan {
        package_manager: PackageManager::Pipenv,
        tool: TOOL,
        files,
        settings: settings(env, is_setting),
        local_sources: local_sources(&lock),
        groups: groups.to_vec(),
        // `pipenv clean` keeps every package of the lock, deselected categories included.
        deselected_groups: DeselectedGroups::KeptByTheTool,
        commands: Commands {
            install: vec![install],
            // `pipenv install` never uninstalls.
            then_in_existing: vec![vec!["clean".to_string()]],
            // It installs what is not installed yet, and may keep a path dependency whose name
            // and version are unchanged: a changed one is uninstalled first.
            changed_local_packages: ChangedLocalPackages::UninstalledFirst,
        },
        env: ToolEnv {
            removed: UNSUPPORTED_SETTINGS.to_vec(),
            // The build env has `VIRTUAL_ENV`: Pipenv installs into the active virtual
            // environment.
            set: vec![
                ("PIPENV_CACHE_DIR", EnvValue::CacheDir),
                // Without the notice that Pipenv found itself in a virtual environment: it is
                // meant to.
                ("PIPENV_VERBOSITY", EnvValue::Text("-1")),
                ("PIPENV_NOSPIN", EnvValue::Text("1")),
                ("PIPENV_YES", EnvValue::Text("1")),
                // Pipenv wraps its messages at the terminal width (80 without a terminal).
                ("COLUMNS", EnvValue::Text("200")),
            ],
        },
        classify,
        lock_hashes: lock_hashes(&lock),
    })
}

fn classify(output: &str) -> LockedFailure {
    // Pipenv wraps long lines.
    let joined = output.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.contains("is out of date. Expected:") {
        return LockedFailure::LockOutdated;
    }
    if let Some(line) = output
        .lines()
        .find(|line| line.contains("Your Pipfile requires"))
    {
        let line = line.trim().trim_start_matches("Warning: ");
        return LockedFailure::PythonMismatch {
            detail: line.split(" from ").next().unwrap_or(line).replace('"', ""),
        };
    }
    // Pipenv installs with pip: the rest is pip's output.
    match output::classify(output) {
        PipFailure::NotFound {
            requirements,
            credentials_rejected: true,
        } => LockedFailure::CredentialsRejected {
            packages: requirements,
        },
        PipFailure::NotFound { requirements, .. } => LockedFailure::Unavailable {
            packages: requirements,
        },
        PipFailure::Hashes { mismatch: true } => LockedFailure::HashMismatch {
            packages: hash_mismatches(output),
        },
        PipFailure::BuildFailed { packages } => LockedFailure::BuildFailed { packages },
        PipFailure::IndexUnreachable { certificate } => {
            LockedFailure::IndexUnreachable { certificate }
        }
        _ => LockedFailure::Other,
    }
}

/// `"path": "./mylib"` (with `"editable": true` for an editable one) or `"file": "..."` that
/// is not a URL, in the `default` packages (the ones installed).
fn local_sources(lock: &str) -> Vec<LocalSource> {
    let Ok(lock) = serde_json::from_str::<serde_json::Value>(lock) else {
        return Vec::new();
    };
    let Some(packages) = lock.get("default").and_then(serde_json::Value::as_object) else {
        return Vec::new();
    };
    packages
        .iter()
        .filter_map(|(name, package)| {
            let path = ["path", "file"]
                .iter()
                .find_map(|key| package.get(*key)?.as_str())
                .filter(|path| local_sources::is_local_path(path))?;
            let editable = package
                .get("editable")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            Some(LocalSource {
                name: name.clone(),
                path: path.to_string(),
                editable,
            })
        })
        .collect()
}

fn lock_hashes(lock: &str) -> HashMap<String, Vec<String>> {
    let Ok(lock) = serde_json::from_str::<serde_json::Value>(lock) else {
        return HashMap::new();
    };
    let Some(packages) = lock.get("default").and_then(serde_json::Value::as_object) else {
        return HashMap::new();
    };
    packages
        .iter()
        .filter_map(|(name, package)| {
            let hashes: Vec<String> = package
                .get("hashes")?
                .as_array()?
                .iter()
                .filter_map(serde_json::Value::as_str)
                .map(String::from)
                .collect();
            (!hashes.is_empty()).then(|| (normalize_name(name), hashes))
        })
        .collect()
}

/// `typing-extensions==4.12.2` from pip's lines under "THESE PACKAGES DO NOT MATCH THE HASHES":
/// `    typing-extensions==4.12.2 from https://… (from -r …):`.
fn hash_mismatches(output: &str) -> Vec<String> {
    let mut packages: Vec<String> = Vec::new();
    for line in output
        .lines()
        .skip_while(|line| !line.contains("DO NOT MATCH THE HASHES"))
        .skip(1)
    {
        let line = line.trim();
        if let Some((package, _)) = line.split_once(" from ")
            && package.contains("==")
            && !package.contains(' ')
            && !packages.iter().any(|p| p == package)
        {
            packages.push(package.to_string());
        }
    }
    packages
}

#[cfg(test)]
mod tests;
