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
use crate::layers::venv::DeselectedGroups;
use crate::package_managers::PackageManager;
use crate::package_managers::declaration::{
    Declaration, Groups, LockedManagerWords, MissingLock, ProjectSign, Recognised, table_keys,
};
use crate::package_managers::locked::{
    ChangedLocalPackages, Commands, EnvValue, LocalSource, LockedFailure, LockedInstallError,
    LockedPlan, ToolEnv, files_hashes, is_credential, read_files, settings, toml_local_sources,
    toml_lock_hashes,
};
use crate::project::Project;
use libcnb::Env;
use std::collections::HashMap;

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

/// Its tool.
pub(crate) const TOOL: Tool = Tool {
    name: "PDM",
    command: "pdm",
    requirements: include_str!("../../requirements/pdm.txt"),
    own_venv: true,
};

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
    lock_words: Some(LockedManagerWords {
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
    }),
};

/// The files that are inputs when they exist: the lock first, then its manifest and PDM's
/// config.
const FILES: [&str; 3] = ["pdm.lock", "pyproject.toml", "pdm.toml"];

fn is_setting(name: &str) -> bool {
    name.strip_prefix("PDM_")
        .is_some_and(|rest| !is_credential(rest) && !NEUTRAL_SETTINGS.contains(&name))
}

/// `pdm lock --check`, then `pdm sync --prod|-G G… --no-editable --clean-unselected
/// --fail-fast`, into the active virtual environment.
pub(crate) fn plan(
    project: &Project,
    groups: &[String],
    env: &Env,
) -> Result<LockedPlan, LockedInstallError> {
    let (files, lock) = read_files(project, &FILES)?;
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
    Ok(LockedPlan {
        package_manager: PackageManager::Pdm,
        tool: TOOL,
        files,
        settings: settings(env, is_setting),
        local_sources: local_sources(&lock),
        groups: groups.to_vec(),
        // `pdm sync --clean-unselected` removes what the selected groups do not have.
        deselected_groups: DeselectedGroups::RemovedInPlace,
        commands: Commands {
            install: vec![vec!["lock".to_string(), "--check".to_string()], sync],
            then_in_existing: Vec::new(),
            // `pdm sync` keeps an installed local package whose name and version are
            // unchanged: a changed one is uninstalled first.
            changed_local_packages: ChangedLocalPackages::UninstalledFirst,
        },
        env: ToolEnv {
            removed: UNSUPPORTED_SETTINGS.to_vec(),
            // The build env has `VIRTUAL_ENV`: PDM installs into the active virtual environment.
            set: vec![
                ("PDM_CACHE_DIR", EnvValue::CacheDir),
                ("PDM_IGNORE_SAVED_PYTHON", EnvValue::Text("1")),
                ("PDM_CHECK_UPDATE", EnvValue::Text("false")),
                ("PDM_NON_INTERACTIVE", EnvValue::Text("1")),
                ("NO_COLOR", EnvValue::Text("1")),
            ],
        },
        classify,
        lock_hashes: lock_hashes(&lock),
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package_managers::locked::test_support;

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
    fn the_plan_checks_the_lock_then_syncs_it_exactly() {
        let project = test_support::project(&[("pdm.lock", LOCK), ("pyproject.toml", "")]);
        let env = crate::test_support::env(&[("PDM_USE_VENV", "0"), ("PDM_PYPI_URL", "x")]);
        let plan = plan(&project, &[], &env).unwrap();
        assert_eq!(plan.settings, ["PDM_PYPI_URL", "PDM_USE_VENV"]);
        let (new, existing) = test_support::commands(&plan, &["mylib"]);
        let sync = [
            "sync",
            "--prod",
            "--no-editable",
            "--clean-unselected",
            "--fail-fast",
        ];
        assert_eq!(new, [vec!["lock", "--check"], sync.to_vec()]);
        assert_eq!(existing, new);
        assert_eq!(
            plan.commands.changed_local_packages,
            ChangedLocalPackages::UninstalledFirst
        );
        let plan = super::plan(&project, &["dev".to_string()], &env).unwrap();
        assert_eq!(
            test_support::commands(&plan, &[]).0[1],
            [
                "sync",
                "-G",
                "dev",
                "--no-editable",
                "--clean-unselected",
                "--fail-fast"
            ]
        );
        let env = test_support::tool_env(&plan, &env);
        assert!(!env.contains_key("PDM_USE_VENV"));
        assert_eq!(
            env.get_string_lossy("PDM_IGNORE_SAVED_PYTHON").as_deref(),
            Some("1")
        );
    }

    #[test]
    fn settings_are_pdm_variables_but_not_credentials() {
        assert!(is_setting("PDM_PYPI_URL"));
        assert!(!is_setting("PDM_PYPI_PASSWORD"));
        assert!(!is_setting("PDM_CACHE_DIR"));
        assert!(!is_setting("PIP_INDEX_URL"));
    }

    #[test]
    fn lock_hashes_and_local_packages() {
        assert_eq!(
            lock_hashes(LOCK).get("six"),
            Some(&vec!["sha256:aa".to_string(), "sha256:bb".to_string()])
        );
        let sources = local_sources(LOCK);
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
            classify(
                "WARNING: Lockfile doesn't satisfy the project requirements, packages may be outdated\n"
            ),
            LockedFailure::LockOutdated
        );
        assert_eq!(classify("boom"), LockedFailure::Other);
    }
}
