//! Installing an app's dependencies from uv.lock with `uv sync --locked --no-default-groups`.
//!
//! uv syncs into the buildpack's virtual environment (`UV_PROJECT_ENVIRONMENT`) with the
//! buildpack's Python only: it never downloads one. It installs the project itself (editable)
//! when uv considers it a package (a `[build-system]`, or `tool.uv.package = true`), as
//! `uv sync` does anywhere. Its cache is a cached layer on the same file system as the
//! environment, so packages are hard-linked from it.

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
    LockedPlan, ToolEnv, is_credential, quoted_after, read_files, settings, toml_local_sources,
    toml_lock_hashes,
};
use crate::project::Project;
use libcnb::Env;
use std::collections::HashMap;

/// uv settings that do not change what uv installs, or that the buildpack sets itself.
const NEUTRAL_SETTINGS: [&str; 15] = [
    "UV_CACHE_DIR",
    "UV_NO_CACHE",
    "UV_NO_PROGRESS",
    "UV_HTTP_TIMEOUT",
    "UV_REQUEST_TIMEOUT",
    "UV_HTTP_RETRIES",
    "UV_CONCURRENT_DOWNLOADS",
    "UV_CONCURRENT_BUILDS",
    "UV_CONCURRENT_INSTALLS",
    "UV_NATIVE_TLS",
    "UV_SYSTEM_CERTS",
    "UV_LINK_MODE",
    "UV_COMPILE_BYTECODE",
    "UV_COLOR",
    "UV_LOG_CONTEXT",
];

/// Its tool.
pub(crate) const TOOL: Tool = Tool {
    name: "uv",
    command: "uv",
    requirements: include_str!("../../requirements/uv.txt"),
    own_venv: false,
};

/// uv: `uv.lock`; groups from `[dependency-groups]` (and `[tool.uv] dev-dependencies` as `dev`).
pub(crate) const DECLARATION: Declaration = Declaration {
    name: "uv",
    marker_file: "uv.lock",
    cache: PackageCache {
        layer: "uv-cache",
        label: "uv",
    },
    refused_settings: &[
        RefusedSetting {
            pattern: "UV_PROJECT_ENVIRONMENT",
            breaks: "makes uv sync into a directory other than the buildpack's virtual environment",
            harmless_when_off: false,
        },
        RefusedSetting {
            pattern: "UV_PYTHON*",
            breaks: "makes uv choose (or download) a Python other than the one the buildpack installs",
            harmless_when_off: false,
        },
        RefusedSetting {
            pattern: "UV_SYSTEM_PYTHON",
            breaks: "makes uv choose (or download) a Python other than the one the buildpack installs",
            harmless_when_off: true,
        },
    ],
    groups: Groups {
        file: "pyproject.toml",
        described_as: "[dependency-groups] of pyproject.toml ([tool.uv] dev-dependencies is `dev`)",
        defined: |table| {
            let mut names = table_keys(table, &["dependency-groups"]);
            if lookup(table, &["tool", "uv", "dev-dependencies"]).is_some() {
                names.push("dev".to_string());
            }
            names
        },
    },
    missing_lock: MissingLock {
        create: "- uv.lock: run `uv lock`",
        suggestion_rank: 0,
        closest: None,
        recognised_by: Some(Recognised {
            sign: ProjectSign::GenericTables(&[&["project"], &["tool", "uv"]]),
            header: "No lock file for the project",
            explanation: "pyproject.toml describes the project ([project] or [tool.uv]), but the buildpack\n\
                          installs from a lock file or a requirements file, and the app has none. Create the\n\
                          one for the tool you use, and commit it:",
        }),
    },
    lock_words: Some(LockedManagerWords {
        lock: "uv.lock",
        manifest: "pyproject.toml",
        lock_command: "uv lock",
        upgrade_command: "uv lock --upgrade-package NAME",
        python_setting: "requires-python",
        index_settings: "the indexes in pyproject.toml or uv.toml, UV_INDEX_URL,\n\
                         UV_EXTRA_INDEX_URL, and UV_INDEX_<NAME>_USERNAME and\n\
                         UV_INDEX_<NAME>_PASSWORD for credentials",
        ca_bundle: "SSL_CERT_FILE",
        certificate_errors_recognised: true,
    }),
};

/// Whether a variable is a uv setting that can change what uv installs (not a credential, and
/// not one of the neutral ones).
pub(crate) fn is_setting(name: &str) -> bool {
    name.strip_prefix("UV_")
        .is_some_and(|rest| !is_credential(rest))
        && !NEUTRAL_SETTINGS.contains(&name)
}

/// The files that are inputs when they exist: the lock first, then its manifest and uv's config.
const FILES: [&str; 3] = ["uv.lock", "pyproject.toml", "uv.toml"];

/// `uv sync --locked --no-default-groups [--group G]…`, into the buildpack's virtual environment
/// (`UV_PROJECT_ENVIRONMENT`) with the buildpack's Python.
pub(crate) fn plan(
    project: &Project,
    groups: &[String],
    env: &Env,
) -> Result<LockedPlan, LockedInstallError> {
    let (files, lock) = read_files(project, &FILES)?;
    let mut sync: Vec<String> = ["sync", "--locked", "--no-default-groups"]
        .map(String::from)
        .to_vec();
    for group in groups {
        sync.extend(["--group".to_string(), group.clone()]);
    }
    Ok(LockedPlan {
        package_manager: PackageManager::Uv,
        tool: TOOL,
        files,
        settings: settings(env, is_setting),
        local_sources: local_sources(&lock),
        groups: groups.to_vec(),
        // `uv sync` is exact: it removes what the selected groups do not have.
        deselected_groups: DeselectedGroups::RemovedInPlace,
        commands: Commands {
            // It installs what the lock has and removes what it does not, in a new environment
            // or an existing one alike.
            install: vec![sync],
            then_in_existing: Vec::new(),
            // It keeps a local package whose name, version and path are unchanged (its cache
            // keys are the package's `pyproject.toml`/`setup.*` only): `--reinstall-package`
            // makes it build and install the changed sources.
            changed_local_packages: ChangedLocalPackages::ReinstallOption("--reinstall-package"),
        },
        env: ToolEnv {
            // Would skip the sync, or the lock check, that this build is about.
            removed: vec!["UV_NO_SYNC", "UV_FROZEN"],
            set: vec![
                ("UV_PROJECT_ENVIRONMENT", EnvValue::VenvDir),
                // The buildpack's Python, and never one that uv would download or find elsewhere.
                ("UV_PYTHON", EnvValue::Python),
                ("UV_PYTHON_DOWNLOADS", EnvValue::Text("never")),
                ("UV_PYTHON_PREFERENCE", EnvValue::Text("only-system")),
                ("UV_COMPILE_BYTECODE", EnvValue::Text("1")),
                ("UV_CACHE_DIR", EnvValue::CacheDir),
                ("UV_LINK_MODE", EnvValue::Text("hardlink")),
                ("UV_NO_PROGRESS", EnvValue::Text("1")),
            ],
        },
        classify,
        lock_hashes: lock_hashes(&lock),
    })
}

/// `source = { directory = ... }` or `{ path = ... }` (a folder or a file, not editable) and
/// `{ editable = ... }` (the project itself, workspace members, editable path dependencies).
/// `{ virtual = ... }` projects are not installed.
fn local_sources(lock: &str) -> Vec<LocalSource> {
    toml_local_sources(lock, |package| {
        let source = package.get("source")?;
        let (path, editable) = [("directory", false), ("path", false), ("editable", true)]
            .into_iter()
            .find_map(|(key, editable)| Some((source.get(key)?.as_str()?.to_string(), editable)))?;
        Some((path, editable))
    })
}

pub(crate) fn classify(output: &str) -> LockedFailure {
    if output.contains("needs to be updated, but `--locked` was provided") {
        return LockedFailure::LockOutdated;
    }
    if let Some(line) = output
        .lines()
        .find(|line| line.contains("incompatible with the project's Python requirement"))
    {
        return LockedFailure::PythonMismatch {
            detail: line.trim().trim_start_matches("error: ").to_string(),
        };
    }
    let names = |prefix: &str| -> Vec<String> {
        quoted_after(output, prefix)
            .into_iter()
            .map(|package| match package.split_once(" @ ") {
                Some((name, _)) => name.to_string(),
                None => package,
            })
            .collect()
    };
    let packages = names("Hash mismatch for");
    if !packages.is_empty() {
        return LockedFailure::HashMismatch { packages };
    }
    let packages = names("Failed to build");
    if !packages.is_empty() {
        return LockedFailure::BuildFailed { packages };
    }
    let certificate = ["invalid peer certificate", "certificate verify failed"]
        .iter()
        .any(|needle| output.contains(needle));
    let unreachable = certificate
        || [
            "error sending request",
            "Connection refused",
            "dns error",
            "tcp connect error",
        ]
        .iter()
        .any(|needle| output.contains(needle));
    let packages = names("Failed to download");
    if unreachable {
        LockedFailure::IndexUnreachable { certificate }
    } else if ["401 Unauthorized", "403 Forbidden"]
        .iter()
        .any(|status| output.contains(status))
    {
        LockedFailure::CredentialsRejected { packages }
    } else if packages.is_empty() {
        LockedFailure::Other
    } else {
        LockedFailure::Unavailable { packages }
    }
}

fn lock_hashes(lock: &str) -> HashMap<String, Vec<String>> {
    toml_lock_hashes(lock, |package| {
        let artifacts = package.get("sdist").into_iter().chain(
            package
                .get("wheels")
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten(),
        );
        artifacts
            .filter_map(|artifact| artifact.get("hash").and_then(toml::Value::as_str))
            .map(String::from)
            .collect()
    })
}

#[cfg(test)]
mod tests;
