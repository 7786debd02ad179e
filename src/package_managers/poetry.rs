//! Installing an app's dependencies from poetry.lock with
//! `poetry sync --only main [--no-root] --no-interaction --no-ansi --compile`.
//!
//! Poetry installs into the buildpack's virtual environment (the active one, `VIRTUAL_ENV`, with
//! virtual environment creation off). Only the main group is installed. The project itself is
//! installed (editable, as Poetry does) only when it is packaged; see [`installs_root`].

use crate::layers::package_cache::PackageCache;
use crate::layers::tool::Tool;
use crate::layers::venv::DeselectedGroups;
use crate::package_managers::PackageManager;
use crate::package_managers::declaration::{
    Declaration, Groups, LockedManagerWords, MissingLock, ProjectSign, Recognised, RefusedSetting,
    lookup, table_keys,
};
use crate::package_managers::locked::{
    ChangedLocalPackages, Commands, EnvValue, LocalSource, LockedFailure, LockedInstallError,
    LockedPlan, ToolEnv, files_hashes, is_credential, read_files, settings, toml_local_sources,
    toml_lock_hashes,
};
use crate::project::Project;
use libcnb::Env;
use std::collections::HashMap;

/// Poetry settings that do not change what Poetry installs, or that the buildpack sets itself.
const NEUTRAL_SETTINGS: [&str; 7] = [
    "POETRY_CACHE_DIR",
    "POETRY_NO_INTERACTION",
    "POETRY_REQUESTS_TIMEOUT",
    "POETRY_REQUESTS_MAX_RETRIES",
    "POETRY_INSTALLER_MAX_WORKERS",
    "POETRY_INSTALLER_PARALLEL",
    "POETRY_KEYRING_ENABLED",
];

/// Its tool.
pub(crate) const TOOL: Tool = Tool {
    name: "Poetry",
    command: "poetry",
    requirements: include_str!("../../requirements/poetry.txt"),
    own_venv: true,
};

/// Poetry: `poetry.lock`; groups from `[tool.poetry.group.<name>]`, `[dependency-groups]` and
/// `dev-dependencies` (as `dev`).
pub(crate) const DECLARATION: Declaration = Declaration {
    name: "Poetry",
    marker_file: "poetry.lock",
    cache: PackageCache {
        layer: "poetry-cache",
        label: "Poetry",
    },
    refused_settings: &[RefusedSetting {
        pattern: "POETRY_VIRTUALENVS_*",
        breaks: "changes where, or whether, Poetry creates its virtual environment",
        harmless_when_off: false,
    }],
    groups: Groups {
        file: "pyproject.toml",
        described_as: "[tool.poetry.group.<name>] tables and [dependency-groups] of pyproject.toml",
        defined: |table| {
            let mut names = table_keys(table, &["dependency-groups"]);
            names.extend(table_keys(table, &["tool", "poetry", "group"]));
            if lookup(table, &["tool", "poetry", "dev-dependencies"]).is_some() {
                names.push("dev".to_string());
            }
            names
        },
    },
    missing_lock: MissingLock {
        create: "- poetry.lock: run `poetry lock`",
        suggestion_rank: 2,
        closest: None,
        recognised_by: Some(Recognised {
            sign: ProjectSign::Table(&["tool", "poetry"]),
            header: "Missing poetry.lock",
            explanation: "pyproject.toml has a [tool.poetry] table, so this looks like a Poetry project, but\n\
                          there is no poetry.lock to install the dependencies from. The buildpack needs one of\n\
                          these (create the one for the tool you use, and commit it):",
        }),
    },
    lock_words: Some(LockedManagerWords {
        lock: "poetry.lock",
        manifest: "pyproject.toml",
        lock_command: "poetry lock",
        upgrade_command: "poetry update --lock NAME",
        python_setting: "requires-python (or the python dependency)",
        index_settings: "the [[tool.poetry.source]] tables of pyproject.toml, and\n\
                         POETRY_HTTP_BASIC_<SOURCE>_USERNAME and\n\
                         POETRY_HTTP_BASIC_<SOURCE>_PASSWORD for credentials",
        ca_bundle: "REQUESTS_CA_BUNDLE",
        certificate_errors_recognised: false,
    }),
};

/// Whether `poetry sync` installs the project itself: when it is packaged, that is when
/// `[tool.poetry] package-mode` is not `false` and pyproject.toml has a `[build-system]` (so that
/// it can be built as a package at all). Apps that are not packages (no `[build-system]`, or
/// `package-mode = false`) get `--no-root`. pyproject.toml that cannot be read counts as not
/// packaged (Poetry then reports the problem itself).
pub(crate) fn installs_root(pyproject: Option<&toml::Table>) -> bool {
    let Some(table) = pyproject else {
        return false;
    };
    let package_mode = table
        .get("tool")
        .and_then(|tool| tool.get("poetry"))
        .and_then(|poetry| poetry.get("package-mode"))
        .and_then(toml::Value::as_bool)
        .unwrap_or(true);
    package_mode && table.contains_key("build-system")
}

/// The files that are inputs when they exist: the lock first, then its manifest and Poetry's
/// config.
const FILES: [&str; 3] = ["poetry.lock", "pyproject.toml", "poetry.toml"];

fn is_setting(name: &str) -> bool {
    name.strip_prefix("POETRY_")
        .is_some_and(|rest| !is_credential(rest) && !rest.starts_with("PYPI_TOKEN_"))
        && !NEUTRAL_SETTINGS.contains(&name)
}

/// `poetry sync --only main[,G…] [--no-root] --no-interaction --no-ansi --compile`, into the
/// active virtual environment.
pub(crate) fn plan(
    project: &Project,
    groups: &[String],
    env: &Env,
) -> Result<LockedPlan, LockedInstallError> {
    let (files, lock) = read_files(project, &FILES)?;
    let only = std::iter::once("main")
        .chain(groups.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(",");
    let mut sync = vec!["sync", "--only", &only];
    if !installs_root(project.pyproject()) {
        sync.push("--no-root");
    }
    sync.extend(["--no-interaction", "--no-ansi", "--compile"]);
    let mut set = vec![
        // The build env has `VIRTUAL_ENV`: Poetry installs into the active virtual environment.
        ("POETRY_VIRTUALENVS_CREATE", EnvValue::Text("false")),
        ("POETRY_CACHE_DIR", EnvValue::CacheDir),
        ("POETRY_NO_INTERACTION", EnvValue::Text("1")),
    ];
    if !env.contains_key("PYTHON_KEYRING_BACKEND") {
        // No desktop keyring (D-Bus) in a build: keyring lookups would only stall or warn.
        set.push((
            "PYTHON_KEYRING_BACKEND",
            EnvValue::Text("keyring.backends.null.Keyring"),
        ));
    }
    Ok(LockedPlan {
        package_manager: PackageManager::Poetry,
        tool: TOOL,
        files,
        settings: settings(env, is_setting),
        local_sources: local_sources(&lock),
        groups: groups.to_vec(),
        // `poetry sync` removes what the selected groups do not have.
        deselected_groups: DeselectedGroups::RemovedInPlace,
        commands: Commands {
            install: vec![sync.into_iter().map(String::from).collect()],
            then_in_existing: Vec::new(),
            // It skips a path dependency whose name, version and path are unchanged ("Already
            // installed"): a changed one is uninstalled first, so that it is installed again.
            changed_local_packages: ChangedLocalPackages::UninstalledFirst,
        },
        env: ToolEnv {
            removed: Vec::new(),
            set,
        },
        classify,
        lock_hashes: lock_hashes(&lock),
    })
}

fn classify(output: &str) -> LockedFailure {
    if output.contains("changed significantly since poetry.lock was last generated") {
        return LockedFailure::LockOutdated;
    }
    if let Some(line) = output
        .lines()
        .find(|line| line.contains("is not allowed by the project"))
    {
        return LockedFailure::PythonMismatch {
            detail: line.trim().to_string(),
        };
    }
    if output.contains("The current project could not be installed") {
        return LockedFailure::RootNotInstallable;
    }
    let after = |marker: &str, end: &str| -> Vec<String> {
        let mut packages: Vec<String> = Vec::new();
        for line in output.lines() {
            if let Some((_, rest)) = line.split_once(marker) {
                let package = rest.split(end).next().unwrap_or(rest).trim();
                if !package.is_empty() && !packages.iter().any(|p| p == package) {
                    packages.push(package.to_string());
                }
            }
        }
        packages
    };
    let packages = after("Downloaded distributions for ", " did not match");
    if !packages.is_empty() {
        return LockedFailure::HashMismatch { packages };
    }
    if output.contains("PEP517 build of a dependency failed") {
        return LockedFailure::BuildFailed {
            packages: after("one of the following issues with ", "\n"),
        };
    }
    let packages = after("Unable to find installation candidates for ", "\n");
    if !packages.is_empty() {
        return LockedFailure::Unavailable { packages };
    }
    if ["401 Client Error", "403 Client Error"]
        .iter()
        .any(|status| output.contains(status))
    {
        return LockedFailure::CredentialsRejected {
            packages: after("- Installing ", "\n"),
        };
    }
    let certificate = output.contains("CERTIFICATE_VERIFY_FAILED");
    if certificate
        || [
            "All attempts to connect to",
            "Max retries exceeded",
            "Connection refused",
            "ProxyError",
        ]
        .iter()
        .any(|needle| output.contains(needle))
    {
        return LockedFailure::IndexUnreachable { certificate };
    }
    LockedFailure::Other
}

/// `[package.source] type = "directory"` (editable with `develop = true`) or `"file"`.
fn local_sources(lock: &str) -> Vec<LocalSource> {
    toml_local_sources(lock, |package| {
        let source = package.get("source")?;
        let path = source.get("url")?.as_str()?.to_string();
        match source.get("type")?.as_str()? {
            "directory" => {
                let develop = package.get("develop").and_then(toml::Value::as_bool);
                Some((path, develop.unwrap_or(false)))
            }
            "file" => Some((path, false)),
            _ => None,
        }
    })
}

fn lock_hashes(lock: &str) -> HashMap<String, Vec<String>> {
    toml_lock_hashes(lock, files_hashes)
}

#[cfg(test)]
mod tests;
