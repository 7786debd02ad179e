use super::*;
use crate::package_managers::locked::test_support;

const SOURCE: &str = "[[tool.poetry.source]]\nname = \"pypi-simple\"\n";
const BUILD_SYSTEM: &str = "[build-system]\nrequires = [\"poetry-core>=2\"]\n\
                            build-backend = \"poetry.core.masonry.api\"\n";

#[test]
fn the_project_is_installed_only_when_packaged() {
    let app = "[project]\nname = \"app\"\n";
    let installs = |pyproject: &str| installs_root(toml::from_str(pyproject).ok().as_ref());
    assert!(!installs(&format!("{app}{SOURCE}")));
    assert!(installs(&format!("{app}{BUILD_SYSTEM}")));
    let not_a_package = format!("{app}[tool.poetry]\npackage-mode = false\n{BUILD_SYSTEM}");
    assert!(!installs(&not_a_package));
    let explicit = format!("{app}[tool.poetry]\npackage-mode = true\n{BUILD_SYSTEM}");
    assert!(installs(&explicit));
    assert!(!installs("not toml ["));
    assert!(!installs_root(None));
}

#[test]
fn the_plan_syncs_only_main_without_the_project_unless_packaged() {
    let pyproject = "[tool.poetry]\npackage-mode = false\n";
    let project = test_support::project(&[("poetry.lock", ""), ("pyproject.toml", pyproject)]);
    let plan = plan(&project, &[], &Env::new()).unwrap();
    let (new, existing) = test_support::commands(&plan, &["mylib"]);
    let sync = [
        "sync",
        "--only",
        "main",
        "--no-root",
        "--no-interaction",
        "--no-ansi",
        "--compile",
    ];
    assert_eq!(new, [sync]);
    // A changed local package is uninstalled first, not named to Poetry.
    assert_eq!(existing, [sync]);
    assert_eq!(
        plan.files.keys().collect::<Vec<_>>(),
        ["poetry.lock", "pyproject.toml"]
    );

    let plan = super::plan(&project, &["dev".to_string()], &Env::new()).unwrap();
    assert_eq!(
        test_support::commands(&plan, &[]).0[0][..3],
        ["sync", "--only", "main,dev"]
    );
    let packaged = test_support::project(&[("pyproject.toml", BUILD_SYSTEM)]);
    let plan = super::plan(&packaged, &[], &Env::new()).unwrap();
    assert!(!test_support::commands(&plan, &[]).0[0].contains(&"--no-root".to_string()));
}

#[test]
fn the_env_turns_off_poetrys_own_environments_and_keyring() {
    let plan = plan(&test_support::project(&[]), &[], &Env::new()).unwrap();
    let env = test_support::tool_env(&plan, &Env::new());
    for (name, value) in [
        ("POETRY_VIRTUALENVS_CREATE", "false"),
        ("POETRY_CACHE_DIR", "/layers/cache"),
        ("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring"),
    ] {
        assert_eq!(env.get_string_lossy(name).as_deref(), Some(value), "{name}");
    }
    // A keyring the user chose is kept.
    let chosen = crate::test_support::env(&[("PYTHON_KEYRING_BACKEND", "mine")]);
    let plan = super::plan(&test_support::project(&[]), &[], &chosen).unwrap();
    assert_eq!(
        test_support::tool_env(&plan, &chosen)
            .get_string_lossy("PYTHON_KEYRING_BACKEND")
            .as_deref(),
        Some("mine")
    );
}

#[test]
fn settings_are_poetry_variables_but_not_credentials() {
    assert!(is_setting("POETRY_REPOSITORIES_PRIVATE_URL"));
    assert!(is_setting("POETRY_INSTALLER_NO_BINARY"));
    assert!(!is_setting("POETRY_HTTP_BASIC_PRIVATE_USERNAME"));
    assert!(!is_setting("POETRY_HTTP_BASIC_PRIVATE_PASSWORD"));
    assert!(!is_setting("POETRY_PYPI_TOKEN_PRIVATE"));
    assert!(!is_setting("POETRY_CERTIFICATES_PRIVATE_CERT"));
    assert!(!is_setting("POETRY_CACHE_DIR"));
    assert!(!is_setting("REQUESTS_CA_BUNDLE"));
}

#[test]
fn out_of_date_lock() {
    let output = "Installing dependencies from lock file\npyproject.toml changed significantly \
                  since poetry.lock was last generated. Run `poetry lock` to fix the lock file.\n";
    assert_eq!(classify(output), LockedFailure::LockOutdated);
}

#[test]
fn python_that_the_project_does_not_allow() {
    let output = "\nCurrent Python version (3.11.2) is not allowed by the project (>=3.12).\n\
                  Poetry cannot switch to a compatible Python version because virtualenv \
                  creation is disabled.\n";
    assert_eq!(
        classify(output),
        LockedFailure::PythonMismatch {
            detail: "Current Python version (3.11.2) is not allowed by the project (>=3.12)."
                .to_string()
        }
    );
}

#[test]
fn locked_version_that_is_gone() {
    let output = "\
  - Installing six (1.17.99)

    | Unable to find installation candidates for six (1.17.99)
    | 
    | This is likely not a Poetry issue.
";
    assert_eq!(
        classify(output),
        LockedFailure::Unavailable {
            packages: vec!["six (1.17.99)".to_string()]
        }
    );
}

#[test]
fn hash_mismatch() {
    let output = "  - Installing six (1.17.0)\n\n    | Downloaded distributions for six \
                  (1.17.0) did not match any known checksums in your lock file.\n";
    assert_eq!(
        classify(output),
        LockedFailure::HashMismatch {
            packages: vec!["six (1.17.0)".to_string()]
        }
    );
}

#[test]
fn build_failure() {
    let output = "    | PEP517 build of a dependency failed\n    | Backend subprocess exited\n\
                  Note: This error originates from the build backend, and is likely not a \
                  problem with poetry but one of the following issues with brokenpkg (0.1.0)\n";
    assert_eq!(
        classify(output),
        LockedFailure::BuildFailed {
            packages: vec!["brokenpkg (0.1.0)".to_string()]
        }
    );
}

#[test]
fn unreachable_index_and_missing_package_folder() {
    let output =
        "    | All attempts to connect to pypi.org failed.\n    | \n    | Probable Causes:\n";
    assert_eq!(
        classify(output),
        LockedFailure::IndexUnreachable { certificate: false }
    );
    let output = "Installing the current project: app (0.0.0)\nError: The current project \
                  could not be installed: No file/folder found for package app\n";
    assert_eq!(classify(output), LockedFailure::RootNotInstallable);
    assert_eq!(classify("Something else\n"), LockedFailure::Other);
}

#[test]
fn lock_hashes_are_the_files_hashes() {
    let lock = r#"
[[package]]
name = "six"
version = "1.17.0"
files = [
    {file = "six-1.17.0-py2.py3-none-any.whl", hash = "sha256:aa"},
    {file = "six-1.17.0.tar.gz", hash = "sha256:bb"},
]
"#;
    assert_eq!(
        lock_hashes(lock).get("six"),
        Some(&vec!["sha256:aa".to_string(), "sha256:bb".to_string()])
    );
}

#[test]
fn rejected_credentials() {
    let output = "Installing dependencies from lock file\n\n  - Installing private-pkg (1.0.0)\n\n\
                  HTTPError\n\n401 Client Error: Unauthorized for url: http://127.0.0.1/x.whl\n";
    assert_eq!(
        classify(output),
        LockedFailure::CredentialsRejected {
            packages: vec!["private-pkg (1.0.0)".to_string()]
        }
    );
}

#[test]
fn local_sources_are_read_from_the_lock() {
    let lock = r#"
[[package]]
name = "mylib"
version = "0.1.0"
develop = false

[package.source]
type = "directory"
url = "mylib"

[[package]]
name = "devlib"
version = "0.1.0"
develop = true

[package.source]
type = "directory"
url = "../devlib"

[[package]]
name = "vendored"
version = "1.0"

[package.source]
type = "file"
url = "wheels/vendored-1.0-py3-none-any.whl"

[[package]]
name = "six"
version = "1.17.0"

[package.source]
type = "legacy"
url = "https://pypi.org/simple"
reference = "pypi-simple"
"#;
    let sources = local_sources(lock);
    let summary: Vec<(&str, &str, bool)> = sources
        .iter()
        .map(|s| (s.name.as_str(), s.path.as_str(), s.editable))
        .collect();
    assert_eq!(
        summary,
        [
            ("mylib", "mylib", false),
            ("devlib", "../devlib", true),
            ("vendored", "wheels/vendored-1.0-py3-none-any.whl", false),
        ]
    );
}
