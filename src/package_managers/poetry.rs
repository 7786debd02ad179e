//! Installing an app's dependencies from poetry.lock with
//! `poetry sync --only main [--no-root] --no-interaction --no-ansi --compile`.
//!
//! Poetry installs into the buildpack's virtual environment (the active one, `VIRTUAL_ENV`, with
//! virtual environment creation off). Only the main group is installed. The project itself is
//! installed (editable, as Poetry does) only when it is packaged; see [`installs_root`].

use crate::layers::package_cache::PackageCache;
use crate::layers::tool::Tool;
use crate::layers::venv::{DeselectedGroups, InstallMode};
use crate::package_managers::PackageManager;
use crate::package_managers::declaration::{
    Declaration, Groups, Installs, Locked, LockedManagerWords, MissingLock, ProjectSign,
    Recognised, RefusedSetting, lookup, table_keys,
};
use crate::package_managers::locked::{
    LocalSource, LockedFailure, LockedManager, files_hashes, is_credential, toml_local_sources,
    toml_lock_hashes,
};
use crate::runtime::PythonRuntime;
use libcnb::Env;
use std::collections::HashMap;
use std::path::Path;

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
    installs: Installs::Locked(Locked {
        tool: Tool {
            name: "Poetry",
            command: "poetry",
            requirements: include_str!("../../requirements/poetry.txt"),
            own_venv: true,
        },
        words: LockedManagerWords {
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
        },
        install: crate::package_managers::locked::install::<Poetry>,
    }),
};

pub(crate) struct Poetry;

/// Whether `poetry sync` installs the project itself: when it is packaged, that is when
/// `[tool.poetry] package-mode` is not `false` and pyproject.toml has a `[build-system]` (so that
/// it can be built as a package at all). Apps that are not packages (no `[build-system]`, or
/// `package-mode = false`) get `--no-root`. pyproject.toml that cannot be read counts as not
/// packaged (Poetry then reports the problem itself).
pub(crate) fn installs_root(pyproject: Option<&str>) -> bool {
    let Some(table) = pyproject.and_then(|text| toml::from_str::<toml::Table>(text).ok()) else {
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

impl LockedManager for Poetry {
    const PACKAGE_MANAGER: PackageManager = PackageManager::Poetry;
    const FILES: &'static [&'static str] = &["poetry.lock", "pyproject.toml", "poetry.toml"];

    fn is_setting(name: &str) -> bool {
        name.strip_prefix("POETRY_")
            .is_some_and(|rest| !is_credential(rest) && !rest.starts_with("PYPI_TOKEN_"))
            && !NEUTRAL_SETTINGS.contains(&name)
    }

    fn tool_env(env: &Env, _runtime: &PythonRuntime, _venv_dir: &Path, cache_dir: &Path) -> Env {
        // `env` has `VIRTUAL_ENV`: Poetry installs into the active virtual environment.
        let mut env = env.clone();
        env.insert("POETRY_VIRTUALENVS_CREATE", "false");
        env.insert("POETRY_CACHE_DIR", cache_dir);
        env.insert("POETRY_NO_INTERACTION", "1");
        if !env.contains_key("PYTHON_KEYRING_BACKEND") {
            // No desktop keyring (D-Bus) in a build: keyring lookups would only stall or warn.
            env.insert("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring");
        }
        env
    }

    /// `poetry sync` removes what the selected groups do not have.
    const DESELECTED_GROUPS: DeselectedGroups = DeselectedGroups::RemovedInPlace;

    /// `poetry sync` skips a path dependency whose name, version and path are unchanged
    /// ("Already installed"): a changed one is uninstalled first, so that it is installed again.
    const REINSTALLS_LOCAL_PACKAGES: bool = false;

    fn commands(
        app_dir: &Path,
        _mode: InstallMode,
        _reinstall: &[String],
        groups: &[String],
    ) -> Vec<Vec<String>> {
        let pyproject = std::fs::read_to_string(app_dir.join("pyproject.toml")).ok();
        let only = std::iter::once("main")
            .chain(groups.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(",");
        let mut args = vec!["sync", "--only", &only];
        if !installs_root(pyproject.as_deref()) {
            args.push("--no-root");
        }
        args.extend(["--no-interaction", "--no-ansi", "--compile"]);
        vec![args.into_iter().map(String::from).collect()]
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
}

#[cfg(test)]
mod tests;
