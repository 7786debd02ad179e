use super::*;
use crate::package_managers::locked::test_support;

/// A lock with a local folder and an editable one.
const LOCAL_LOCK: &str = r#"
version = 1
[[package]]
name = "mylib"
version = "0.1.0"
source = { directory = "mylib" }

[[package]]
name = "devlib"
version = "0.1.0"
source = { editable = "devlib" }
"#;

#[test]
fn settings_are_uv_variables_but_not_credentials_or_neutral_ones() {
    assert!(is_setting("UV_INDEX_URL"));
    assert!(is_setting("UV_EXTRA_INDEX_URL"));
    assert!(is_setting("UV_NO_BINARY"));
    assert!(!is_setting("UV_INDEX_PRIVATE_USERNAME"));
    assert!(!is_setting("UV_INDEX_PRIVATE_PASSWORD"));
    assert!(!is_setting("UV_CACHE_DIR"));
    assert!(!is_setting("UV_HTTP_TIMEOUT"));
    assert!(!is_setting("SSL_CERT_FILE"));
    assert!(!is_setting("PIP_INDEX_URL"));
}

#[test]
fn the_plan_syncs_the_lock_exactly_with_the_buildpacks_python() {
    let project = test_support::project(&[
        ("uv.lock", LOCAL_LOCK),
        ("pyproject.toml", "[project]\nname = \"app\"\n"),
        ("requirements.txt", "six\n"),
    ]);
    let env = crate::test_support::env(&[
        ("UV_INDEX_URL", "https://pypi.example.com/simple"),
        ("UV_INDEX_PRIVATE_PASSWORD", "secret"),
        ("UV_FROZEN", "1"),
        ("VIRTUAL_ENV", "/layers/venv"),
    ]);
    let plan = plan(&project, &[], &env).unwrap();
    assert_eq!(plan.package_manager, PackageManager::Uv);
    assert_eq!(plan.tool, TOOL);
    assert_eq!(
        plan.files.keys().collect::<Vec<_>>(),
        ["pyproject.toml", "uv.lock"]
    );
    assert_eq!(plan.settings, ["UV_FROZEN", "UV_INDEX_URL"]);
    assert_eq!(plan.deselected_groups, DeselectedGroups::RemovedInPlace);
    assert_eq!(
        plan.local_sources
            .iter()
            .map(|s| &s.name)
            .collect::<Vec<_>>(),
        ["mylib", "devlib"]
    );
    let (new, existing) = test_support::commands(&plan, &["mylib"]);
    assert_eq!(new, [["sync", "--locked", "--no-default-groups"]]);
    assert_eq!(
        existing,
        [[
            "sync",
            "--locked",
            "--no-default-groups",
            "--reinstall-package",
            "mylib"
        ]]
    );
    let env = test_support::tool_env(&plan, &env);
    assert!(!env.contains_key("UV_FROZEN"));
    for (name, value) in [
        ("UV_PROJECT_ENVIRONMENT", "/layers/venv"),
        ("UV_PYTHON", "/layers/python/bin/python3"),
        ("UV_PYTHON_DOWNLOADS", "never"),
        ("UV_CACHE_DIR", "/layers/cache"),
        ("UV_INDEX_URL", "https://pypi.example.com/simple"),
    ] {
        assert_eq!(env.get_string_lossy(name).as_deref(), Some(value), "{name}");
    }
}

#[test]
fn the_plan_installs_the_selected_groups() {
    let project = test_support::project(&[("uv.lock", "")]);
    let groups = ["dev".to_string(), "docs".to_string()];
    let plan = plan(&project, &groups, &Env::new()).unwrap();
    assert_eq!(
        test_support::commands(&plan, &[]).0,
        [[
            "sync",
            "--locked",
            "--no-default-groups",
            "--group",
            "dev",
            "--group",
            "docs"
        ]]
    );
    assert_eq!(plan.groups, groups);
}

#[test]
fn out_of_date_lock() {
    let output = "Resolved 3 packages in 130ms\nerror: The lockfile at `uv.lock` needs to be \
                  updated, but `--locked` was provided.\n\nhint: To update the lockfile, run \
                  `uv lock`.\n";
    assert_eq!(classify(output), LockedFailure::LockOutdated);
}

#[test]
fn python_that_the_project_does_not_allow() {
    let output = "Using CPython 3.11.2 interpreter at: /layers/python/bin/python3\nerror: The \
                  requested interpreter resolved to Python 3.11.2, which is incompatible with \
                  the project's Python requirement: `>=3.12` (from `project.requires-python`)\n";
    assert_eq!(
        classify(output),
        LockedFailure::PythonMismatch {
            detail: "The requested interpreter resolved to Python 3.11.2, which is incompatible \
                     with the project's Python requirement: `>=3.12` (from \
                     `project.requires-python`)"
                .to_string()
        }
    );
}

#[test]
fn locked_file_that_is_gone() {
    let output = "\
Resolved 2 packages in 1ms
error: Failed to download `six==1.17.99`
  cause: Failed to fetch: https://files.pythonhosted.org/packages/b7/ce/x/six-1.17.99-py2.py3-none-any.whl
  cause: HTTP status client error (404 Not Found) for url (https://files.pythonhosted.org/packages/b7/ce/x/six-1.17.99-py2.py3-none-any.whl)

hint: `six` (v1.17.99) was included because `uv-app` (v0.0.0) depends on `six`
";
    assert_eq!(
        classify(output),
        LockedFailure::Unavailable {
            packages: vec!["six==1.17.99".to_string()]
        }
    );
}

#[test]
fn untrusted_certificate_and_refused_connection() {
    let certificate = "\
error: Failed to download `six==1.17.0`
  cause: Failed to fetch: https://files.pythonhosted.org/packages/six-1.17.0-py2.py3-none-any.whl
  cause: error sending request for url (https://files.pythonhosted.org/packages/six-1.17.0-py2.py3-none-any.whl)
  cause: client error (Connect)
  cause: invalid peer certificate: UnknownIssuer
";
    assert_eq!(
        classify(certificate),
        LockedFailure::IndexUnreachable { certificate: true }
    );
    let refused = "\
error: Failed to download `six==1.17.0`
  cause: Request failed after 3 retries in 4.2s
  cause: tunnel error: failed to create underlying connection
  cause: tcp connect error
  cause: Connection refused (os error 111)
";
    assert_eq!(
        classify(refused),
        LockedFailure::IndexUnreachable { certificate: false }
    );
}

#[test]
fn sdist_that_fails_to_build() {
    let output = "\
   Building brokenpkg @ file:///workspace/brokenpkg
error: Failed to build `brokenpkg @ file:///workspace/brokenpkg`
  cause: The build backend returned an error
  cause: Call to `setuptools.build_meta.get_requires_for_build_wheel` failed (exit status: 1)
         RuntimeError: brokenpkg cannot be built (on purpose)
";
    assert_eq!(
        classify(output),
        LockedFailure::BuildFailed {
            packages: vec!["brokenpkg".to_string()]
        }
    );
}

#[test]
fn hash_mismatch() {
    let output = "error: Failed to download `six==1.17.0`\n  cause: Hash mismatch for \
                  `six==1.17.0`\n\nExpected:\n  sha256:00\n\nComputed:\n  sha256:11\n";
    assert_eq!(
        classify(output),
        LockedFailure::HashMismatch {
            packages: vec!["six==1.17.0".to_string()]
        }
    );
}

#[test]
fn anything_else() {
    assert_eq!(classify("error: something new\n"), LockedFailure::Other);
}

#[test]
fn lock_hashes_cover_sdists_and_wheels() {
    let lock = r#"
version = 1
[[package]]
name = "Typing_Extensions"
version = "4.12.2"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://x/typing_extensions-4.12.2.tar.gz", hash = "sha256:aa" }
wheels = [
    { url = "https://x/typing_extensions-4.12.2-py3-none-any.whl", hash = "sha256:bb" },
]

[[package]]
name = "uv-app"
version = "0.0.0"
source = { virtual = "." }
"#;
    let hashes = lock_hashes(lock);
    assert_eq!(
        hashes.get("typing-extensions"),
        Some(&vec!["sha256:aa".to_string(), "sha256:bb".to_string()])
    );
    assert!(!hashes.contains_key("uv-app"));
    assert!(lock_hashes("not toml [").is_empty());
}

#[test]
fn rejected_credentials() {
    let output = "error: Failed to download `cnb-test-private-pkg==1.0.0`\n  cause: HTTP status \
                  client error (401 Unauthorized) for url (http://127.0.0.1:4000/simple/x.whl)\n";
    assert_eq!(
        classify(output),
        LockedFailure::CredentialsRejected {
            packages: vec!["cnb-test-private-pkg==1.0.0".to_string()]
        }
    );
}

#[test]
fn local_sources_are_read_from_the_lock() {
    let lock = r#"
version = 1
[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "app-root"
version = "0.1.0"
source = { virtual = "." }

[[package]]
name = "mylib"
version = "0.1.0"
source = { directory = "mylib" }

[[package]]
name = "member"
version = "0.1.0"
source = { editable = "packages/member" }

[[package]]
name = "vendored"
version = "1.0"
source = { path = "wheels/vendored-1.0-py3-none-any.whl" }

[[package]]
name = "six"
version = "1.17.0"
source = { registry = "https://pypi.org/simple" }
"#;
    let local = |name: &str, path: &str, editable| LocalSource {
        name: name.to_string(),
        path: path.to_string(),
        editable,
    };
    assert_eq!(
        local_sources(lock),
        vec![
            local("app", ".", true),
            local("mylib", "mylib", false),
            local("member", "packages/member", true),
            local("vendored", "wheels/vendored-1.0-py3-none-any.whl", false),
        ]
    );
    assert_eq!(local_sources("not toml"), []);
}
