//! Installing an app's dependencies from pdm.lock with PDM.
//!
//! `pdm lock --check` first fails when pdm.lock no longer satisfies pyproject.toml (`pdm sync`
//! alone would install the stale lock); then `pdm sync --clean-unselected` installs exactly the
//! lock's production group (`--prod`), or the default group and the requested dependency groups
//! (`-G`), into the buildpack's virtual environment (the active one, `VIRTUAL_ENV`), removing
//! whatever else is installed. The project itself is installed non-editable when it is a
//! distribution. PDM's saved interpreter (`.pdm-python`) is ignored.

use crate::layers::package_cache::PackageCache;
use crate::layers::tool::Tool;
use crate::layers::venv::{DeselectedGroups, InstallMode};
use crate::package_managers::PackageManager;
use crate::package_managers::declaration::{
    Declaration, Groups, Installs, Locked, LockedManagerWords, MissingLock, ProjectSign,
    Recognised, table_keys,
};
use crate::package_managers::locked::{
    LocalSource, LockedFailure, LockedManager, files_hashes, is_credential, toml_local_sources,
    toml_lock_hashes, without,
};
use crate::runtime::PythonRuntime;
use libcnb::Env;
use std::collections::HashMap;
use std::path::Path;

/// PDM settings that do not change what is installed, or that the buildpack sets.
const NEUTRAL_SETTINGS: [&str; 7] = [
    "PDM_CACHE_DIR",
    "PDM_CHECK_UPDATE",
    "PDM_IGNORE_SAVED_PYTHON",
    "PDM_NON_INTERACTIVE",
    "PDM_VERBOSE",
    "PDM_REQUEST_TIMEOUT",
    "PDM_HOME",
];

/// Settings that would make PDM leave the buildpack's virtual environment or Python.
const UNSUPPORTED_SETTINGS: [&str; 3] = ["PDM_IGNORE_ACTIVE_VENV", "PDM_PYTHON", "PDM_USE_VENV"];

/// PDM: `pdm.lock`; groups from `[dependency-groups]`, `[tool.pdm.dev-dependencies]` and
/// `[project.optional-dependencies]`.
pub(crate) const DECLARATION: Declaration = Declaration {
    name: "PDM",
    marker_file: "pdm.lock",
    cache: PackageCache {
        layer: "pdm-cache",
        label: "PDM",
    },
    // PDM_PYTHON, PDM_USE_VENV and PDM_IGNORE_ACTIVE_VENV are left out of its env instead.
    refused_settings: &[],
    groups: Groups {
        file: "pyproject.toml",
        described_as: "[dependency-groups], [tool.pdm.dev-dependencies] and [project.optional-dependencies] of pyproject.toml",
        defined: |table| {
            let mut names = table_keys(table, &["dependency-groups"]);
            names.extend(table_keys(table, &["tool", "pdm", "dev-dependencies"]));
            names.extend(table_keys(table, &["project", "optional-dependencies"]));
            names
        },
    },
    missing_lock: MissingLock {
        create: "- pdm.lock: run `pdm lock`",
        suggestion_rank: 4,
        closest: None,
        recognised_by: Some(Recognised {
            sign: ProjectSign::Table(&["tool", "pdm"]),
            header: "Missing pdm.lock",
            explanation: "pyproject.toml has a [tool.pdm] table, so this looks like a PDM project, but there\n\
                          is no pdm.lock to install the dependencies from. The buildpack needs one of these\n\
                          (create the one for the tool you use, and commit it):",
        }),
    },
    installs: Installs::Locked(Locked {
        tool: Tool {
            name: "PDM",
            command: "pdm",
            requirements: include_str!("../../requirements/pdm.txt"),
            own_venv: true,
        },
        words: LockedManagerWords {
            lock: "pdm.lock",
            manifest: "pyproject.toml",
            lock_command: "pdm lock",
            upgrade_command: "pdm update NAME",
            python_setting: "requires-python",
            index_settings: "the [[tool.pdm.source]] tables of pyproject.toml (credentials\n\
                             as ${env:VARIABLE} from the build env), or PDM_PYPI_URL,\n\
                             PDM_PYPI_USERNAME and PDM_PYPI_PASSWORD",
            ca_bundle: "SSL_CERT_FILE",
            certificate_errors_recognised: true,
        },
        install: crate::package_managers::locked::install::<Pdm>,
    }),
};

pub(crate) struct Pdm;

impl LockedManager for Pdm {
    const PACKAGE_MANAGER: PackageManager = PackageManager::Pdm;
    const FILES: &'static [&'static str] = &["pdm.lock", "pyproject.toml", "pdm.toml"];

    fn is_setting(name: &str) -> bool {
        name.strip_prefix("PDM_")
            .is_some_and(|rest| !is_credential(rest) && !NEUTRAL_SETTINGS.contains(&name))
    }

    fn tool_env(env: &Env, _runtime: &PythonRuntime, _venv_dir: &Path, cache_dir: &Path) -> Env {
        // `env` has `VIRTUAL_ENV`: PDM installs into the active virtual environment.
        let mut env = without(env, &UNSUPPORTED_SETTINGS);
        env.insert("PDM_CACHE_DIR", cache_dir);
        env.insert("PDM_IGNORE_SAVED_PYTHON", "1");
        env.insert("PDM_CHECK_UPDATE", "false");
        env.insert("PDM_NON_INTERACTIVE", "1");
        env.insert("NO_COLOR", "1");
        env
    }

    /// `pdm sync --clean-unselected` removes what the selected groups do not have.
    const DESELECTED_GROUPS: DeselectedGroups = DeselectedGroups::RemovedInPlace;

    /// `pdm sync` keeps an installed local package whose name and version are unchanged: a
    /// changed one is uninstalled first.
    const REINSTALLS_LOCAL_PACKAGES: bool = false;

    fn commands(
        _app_dir: &Path,
        _mode: InstallMode,
        _reinstall: &[String],
        groups: &[String],
    ) -> Vec<Vec<String>> {
        let mut sync: Vec<String> = vec!["sync".to_string()];
        if groups.is_empty() {
            sync.push("--prod".to_string());
        } else {
            // `--prod` refuses dev groups: naming the groups selects them besides the default.
            for group in groups {
                sync.extend(["-G".to_string(), group.clone()]);
            }
        }
        sync.extend(
            ["--no-editable", "--clean-unselected", "--fail-fast"]
                .into_iter()
                .map(String::from),
        );
        vec![vec!["lock".to_string(), "--check".to_string()], sync]
    }

    fn classify(output: &str) -> LockedFailure {
        if output.contains("Lockfile doesn't satisfy the project requirements")
            || output.contains("Lockfile hash doesn't match")
            || output.contains("Lockfile is not up to date")
        {
            return LockedFailure::LockOutdated;
        }
        if output.contains("CERTIFICATE_VERIFY_FAILED") {
            return LockedFailure::IndexUnreachable { certificate: true };
        }
        if output.contains("ConnectError") || output.contains("Name or service not known") {
            return LockedFailure::IndexUnreachable { certificate: false };
        }
        LockedFailure::Other
    }

    /// `path = "..."` packages, with `editable = true` for editable ones.
    fn local_sources(lock: &str) -> Vec<LocalSource> {
        toml_local_sources(lock, |package| {
            let path = package.get("path")?.as_str()?.to_string();
            let editable = package
                .get("editable")
                .and_then(toml::Value::as_bool)
                .unwrap_or(false);
            Some((path, editable))
        })
    }

    fn lock_hashes(lock: &str) -> HashMap<String, Vec<String>> {
        toml_lock_hashes(lock, files_hashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
[metadata]
groups = ["default", "dev"]

[[package]]
name = "six"
version = "1.17.0"
groups = ["default"]
files = [
    {file = "six-1.17.0-py2.py3-none-any.whl", hash = "sha256:aa"},
    {file = "six-1.17.0.tar.gz", hash = "sha256:bb"},
]

[[package]]
name = "mylib"
version = "0.1.0"
path = "./mylib"
groups = ["default"]

[[package]]
name = "devlib"
version = "0.1.0"
path = "./devlib"
editable = true
groups = ["default"]
"#;

    #[test]
    fn the_lock_is_checked_then_synced() {
        let app = Path::new("/workspace");
        assert_eq!(
            Pdm::commands(app, InstallMode::New, &[], &[]),
            vec![
                vec!["lock", "--check"],
                vec![
                    "sync",
                    "--prod",
                    "--no-editable",
                    "--clean-unselected",
                    "--fail-fast"
                ]
            ]
        );
        assert_eq!(
            Pdm::commands(app, InstallMode::Existing, &[], &["dev".to_string()])[1],
            [
                "sync",
                "-G",
                "dev",
                "--no-editable",
                "--clean-unselected",
                "--fail-fast"
            ]
        );
    }

    #[test]
    fn settings_are_pdm_variables_but_not_credentials() {
        assert!(Pdm::is_setting("PDM_PYPI_URL"));
        assert!(!Pdm::is_setting("PDM_PYPI_PASSWORD"));
        assert!(!Pdm::is_setting("PDM_CACHE_DIR"));
        assert!(!Pdm::is_setting("PIP_INDEX_URL"));
    }

    #[test]
    fn lock_hashes_and_local_packages() {
        assert_eq!(
            Pdm::lock_hashes(LOCK).get("six"),
            Some(&vec!["sha256:aa".to_string(), "sha256:bb".to_string()])
        );
        let sources = Pdm::local_sources(LOCK);
        assert_eq!(
            sources
                .iter()
                .map(|s| (s.name.as_str(), s.path.as_str(), s.editable))
                .collect::<Vec<_>>(),
            [("mylib", "./mylib", false), ("devlib", "./devlib", true)]
        );
    }

    #[test]
    fn an_outdated_lock_is_recognised() {
        assert_eq!(
            Pdm::classify(
                "WARNING: Lockfile doesn't satisfy the project requirements, packages may be outdated\n"
            ),
            LockedFailure::LockOutdated
        );
        assert_eq!(Pdm::classify("boom"), LockedFailure::Other);
    }
}
