use super::*;

#[test]
fn settings_are_uv_variables_but_not_credentials_or_neutral_ones() {
    assert!(Uv::is_setting("UV_INDEX_URL"));
    assert!(Uv::is_setting("UV_EXTRA_INDEX_URL"));
    assert!(Uv::is_setting("UV_NO_BINARY"));
    assert!(!Uv::is_setting("UV_INDEX_PRIVATE_USERNAME"));
    assert!(!Uv::is_setting("UV_INDEX_PRIVATE_PASSWORD"));
    assert!(!Uv::is_setting("UV_CACHE_DIR"));
    assert!(!Uv::is_setting("UV_HTTP_TIMEOUT"));
    assert!(!Uv::is_setting("SSL_CERT_FILE"));
    assert!(!Uv::is_setting("PIP_INDEX_URL"));
}

#[test]
fn sync_is_locked_and_without_dev_groups() {
    assert_eq!(
        Uv::commands(Path::new("/workspace"), InstallMode::Existing, &[], &[]),
        vec![vec!["sync", "--locked", "--no-default-groups"]]
    );
}

#[test]
fn out_of_date_lock() {
    let output = "Resolved 3 packages in 130ms\nerror: The lockfile at `uv.lock` needs to be \
                  updated, but `--locked` was provided.\n\nhint: To update the lockfile, run \
                  `uv lock`.\n";
    assert_eq!(Uv::classify(output), LockedFailure::LockOutdated);
}

#[test]
fn python_that_the_project_does_not_allow() {
    let output = "Using CPython 3.11.2 interpreter at: /layers/python/bin/python3\nerror: The \
                  requested interpreter resolved to Python 3.11.2, which is incompatible with \
                  the project's Python requirement: `>=3.12` (from `project.requires-python`)\n";
    assert_eq!(
        Uv::classify(output),
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
        Uv::classify(output),
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
        Uv::classify(certificate),
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
        Uv::classify(refused),
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
        Uv::classify(output),
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
        Uv::classify(output),
        LockedFailure::HashMismatch {
            packages: vec!["six==1.17.0".to_string()]
        }
    );
}

#[test]
fn anything_else() {
    assert_eq!(Uv::classify("error: something new\n"), LockedFailure::Other);
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
    let hashes = Uv::lock_hashes(lock);
    assert_eq!(
        hashes.get("typing-extensions"),
        Some(&vec!["sha256:aa".to_string(), "sha256:bb".to_string()])
    );
    assert!(!hashes.contains_key("uv-app"));
    assert!(Uv::lock_hashes("not toml [").is_empty());
}

#[test]
fn rejected_credentials() {
    let output = "error: Failed to download `cnb-test-private-pkg==1.0.0`\n  cause: HTTP status \
                  client error (401 Unauthorized) for url (http://127.0.0.1:4000/simple/x.whl)\n";
    assert_eq!(
        Uv::classify(output),
        LockedFailure::CredentialsRejected {
            packages: vec!["cnb-test-private-pkg==1.0.0".to_string()]
        }
    );
}

#[test]
fn changed_local_packages_are_reinstalled() {
    assert_eq!(
        Uv::commands(
            Path::new("/workspace"),
            InstallMode::Existing,
            &["mylib".to_string()],
            &["dev".to_string()]
        ),
        vec![vec![
            "sync",
            "--locked",
            "--no-default-groups",
            "--group",
            "dev",
            "--reinstall-package",
            "mylib"
        ]]
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
        Uv::local_sources(lock),
        vec![
            local("app", ".", true),
            local("mylib", "mylib", false),
            local("member", "packages/member", true),
            local("vendored", "wheels/vendored-1.0-py3-none-any.whl", false),
        ]
    );
    assert_eq!(Uv::local_sources("not toml"), []);
}
