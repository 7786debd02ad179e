//! The messages of failed pip installs, end to end: each test triggers one failure and checks the
//! headline, the key text of the message and that pip's own output was shown.

mod support;

use support::{TestApp, assert_contains, assert_failure, assert_not_contains, assert_success};

#[test]
fn package_not_found_is_named_and_a_fixed_rebuild_succeeds() {
    let app = TestApp::new("pip_not_found");
    let failed = app.build();
    assert_failure(&failed);
    // pip's output...
    assert_contains(
        &failed.output,
        "ERROR: No matching distribution found for cnb-test-package-that-does-not-exist==1.0.0",
    );
    // ...then the buildpack's message.
    assert_contains(
        &failed.output,
        "! Package not found: cnb-test-package-that-does-not-exist==1.0.0",
    );
    assert_contains(
        &failed.output,
        "pip could not find a version of this package that can be installed here.",
    );
    assert_contains(
        &failed.output,
        "!     cnb-test-package-that-does-not-exist==1.0.0",
    );
    assert_not_contains(&failed.output, "rejected the credentials");

    // Fixed: the next build installs into a fresh venv (the failed one is not reused).
    app.write("requirements.txt", "six==1.16.0\n");
    let fixed = app.build();
    assert_success(&fixed);
    assert_contains(&fixed.output, "Creating the virtual environment");
    assert_not_contains(&fixed.output, "Reusing the virtual environment");
    assert_contains(&fixed.output, "Successfully installed six-1.16.0");
    assert_eq!(
        app.run_ok("python -c 'import six; print(six.__version__)'"),
        "1.16.0"
    );
}

#[test]
fn conflicting_pins_are_explained() {
    let app = TestApp::new("pip_conflict");
    let failed = app.build();
    assert_failure(&failed);
    assert_contains(
        &failed.output,
        "ERROR: Cannot install six==1.15.0 and six==1.16.0 because these package versions have conflicting dependencies.",
    );
    assert_contains(
        &failed.output,
        "! Conflicting dependencies in requirements.txt",
    );
    assert_contains(&failed.output, "(ResolutionImpossible)");
    assert_contains(
        &failed.output,
        "! The conflict is caused by:\n! - The user requested six==1.16.0\n! - The user requested six==1.15.0\n",
    );
    assert_contains(&failed.output, "loosen or update the pin");
}

#[test]
fn broken_local_package_is_named_and_its_build_error_shown() {
    let app = TestApp::new("pip_broken_sdist");
    let failed = app.build();
    assert_failure(&failed);
    // The package's own error, from pip's output.
    assert_contains(
        &failed.output,
        "RuntimeError: brokenpkg cannot be built (on purpose)",
    );
    assert_contains(&failed.output, "! Unable to build ./brokenpkg\n");
    assert_contains(
        &failed.output,
        "pip had to build this from source (an sdist or a local path), and the build",
    );
    assert_contains(&failed.output, "try `pip install <path>` locally");
}

#[test]
fn invalid_requirement_line_is_located() {
    let app = TestApp::new("pip_invalid_line");
    let failed = app.build();
    assert_failure(&failed);
    assert_contains(
        &failed.output,
        "ERROR: Invalid requirement: 'this is not a valid requirement!'",
    );
    assert_contains(&failed.output, "! Invalid requirement in requirements.txt");
    assert_contains(
        &failed.output,
        "! Line 2 of requirements.txt is not a valid requirement:\n!\n!     this is not a valid requirement!\n",
    );
    assert_contains(
        &failed.output,
        "https://pip.pypa.io/en/stable/reference/requirements-file-format/",
    );
}

#[test]
fn requirements_files_must_be_utf8_with_or_without_a_bom() {
    // UTF-8 with a byte order mark, as the pip_utf8_bom fixture has it, is fine.
    let app = TestApp::new("pip_utf8_bom");
    let bom = app.build();
    assert_success(&bom);
    assert_contains(&bom.output, "Successfully installed six-1.16.0");
    assert_eq!(
        app.run_ok("python -c 'import six; print(six.__version__)'"),
        "1.16.0"
    );

    let latin1 = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/pip_not_utf8/requirements.txt"),
    )
    .unwrap();
    assert!(std::str::from_utf8(&latin1).is_err());
    app.write("requirements.txt", latin1);
    let failed = app.build();
    assert_failure(&failed);
    assert_contains(
        &failed.output,
        "! Unable to read requirements.txt: not UTF-8",
    );
    assert_contains(
        &failed.output,
        "`requirements.txt` is not UTF-8 text: line 1 has bytes that are not valid UTF-8",
    );
    // Read before pip runs.
    assert_not_contains(&failed.output, "Running `pip install");

    // `pip freeze > requirements.txt` in Windows PowerShell.
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("six==1.16.0\r\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    app.write("requirements.txt", utf16);
    let failed = app.build();
    assert_failure(&failed);
    assert_contains(
        &failed.output,
        "! Unable to read requirements.txt: UTF-16 text",
    );
    assert_contains(
        &failed.output,
        "`pip freeze | Out-File -Encoding utf8 requirements.txt`",
    );
}

#[test]
fn missing_included_file_names_the_including_line() {
    let app = TestApp::new("pip_pinned");
    app.write(
        "requirements.txt",
        "six==1.16.0\n-r requirements/missing.txt\n",
    );
    let failed = app.build();
    assert_failure(&failed);
    assert_contains(&failed.output, "! Unable to read requirements/missing.txt");
    assert_contains(
        &failed.output,
        "Line 2 of `requirements.txt` includes this file (with -r or -c), but it could",
    );
    assert_not_contains(&failed.output, "Running `pip install");
}

#[test]
fn hash_checking_failures_are_explained() {
    let app = TestApp::new("pip_hashes");
    let requirements = std::fs::read_to_string(app.path().join("requirements.txt")).unwrap();
    let wrong = "0".repeat(64);
    let tampered = requirements
        .replace(
            "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254",
            &wrong,
        )
        .replace(
            "1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926",
            &wrong,
        );
    assert_ne!(tampered, requirements);
    app.write("requirements.txt", tampered);
    let mismatch = app.build();
    assert_failure(&mismatch);
    assert_contains(&mismatch.output, "THESE PACKAGES DO NOT MATCH THE HASHES");
    assert_contains(
        &mismatch.output,
        "! Package hashes do not match requirements.txt",
    );
    assert_contains(
        &mismatch.output,
        "If you changed a version, update its hashes too",
    );

    // Hash-checking mode with a requirement that has no hash.
    app.write("requirements.txt", format!("{requirements}idna==3.10\n"));
    let missing = app.build();
    assert_failure(&missing);
    assert_contains(
        &missing.output,
        "Hashes are required in --require-hashes mode",
    );
    assert_contains(&missing.output, "! Missing hashes in requirements.txt");
    assert_contains(
        &missing.output,
        "needs a == version and a --hash (pip's output above lists the ones",
    );
}

#[test]
fn pip_that_cannot_be_downloaded_fails_the_build_naming_the_index() {
    let app = TestApp::new("pip_pinned");
    // Nothing listens on port 9: pip itself cannot be downloaded.
    let failed = app.build_with(&[("PIP_INDEX_URL", "http://127.0.0.1:9/simple")]);
    assert_failure(&failed);
    assert_contains(&failed.output, "! Unable to download pip 26.3");
    assert_contains(
        &failed.output,
        "! http://127.0.0.1:9/simple/ (PIP_INDEX_URL)",
    );
    assert_contains(&failed.output, "Connection refused");
    // Retried, and said so.
    assert_contains(&failed.output, "attempt 1 to download pip failed");
    assert_not_contains(&failed.output, "Running `pip install");
    assert_not_contains(&failed.output, "Installed pip");
}

/// A self-signed CA (EC P-256, valid until 2126) that signs no server's certificate.
const UNTRUSTED_CA: &str = "\
-----BEGIN CERTIFICATE-----
MIIBmDCCAT2gAwIBAgIUMGkAixH3yF7Fy+U+Rv//tLfTK80wCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVY25iLXRlc3QgdW50cnVzdGVkIENBMCAXDTI2MTEyNDA2Mjgy
OFoYDzIxMjYxMDMxMDYyODI4WjAgMR4wHAYDVQQDDBVjbmItdGVzdCB1bnRydXN0
ZWQgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASJfUKH4wescGshh95el0ns
8iOHlrDpiRdTbMC3pQfucvaU8Tmukx/l7ly7fObwz6jqik8wmTaTArro/DQyEROF
o1MwUTAdBgNVHQ4EFgQUSbTjE/IevEb42ATGVovdK5y7RzwwHwYDVR0jBBgwFoAU
SbTjE/IevEb42ATGVovdK5y7RzwwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD
AgNJADBGAiEA1FVA8F4cdP6D2bWj/oKer6epJ74tDoYyi50WMoHOGygCIQC0rsKP
yGzFWDFnUrQ7/3DfuRMyphDcRsIxm+mAXqwUpg==
-----END CERTIFICATE-----
";

#[test]
fn untrusted_index_certificate_fails_with_a_pip_cert_hint() {
    // PIP_CERT replaces the trusted CAs, for the buildpack's download of pip as for pip itself:
    // with a CA that signed nothing, PyPI's certificate (or a TLS proxy's) is not trusted.
    let app = TestApp::new("pip_pinned");
    app.write("untrusted-ca.pem", UNTRUSTED_CA);
    let ca = app.path().join("untrusted-ca.pem");
    let failed = app.build_with(&[("PIP_CERT", ca.to_str().unwrap())]);
    assert_failure(&failed);
    assert_contains(&failed.output, "! Unable to download pip 26.3");
    assert_contains(&failed.output, "invalid peer certificate");
    assert_contains(
        &failed.output,
        "! The index's TLS certificate is not trusted.",
    );
    assert_contains(
        &failed.output,
        "CA bundle to the build as PIP_CERT (or SSL_CERT_FILE)",
    );
    assert_not_contains(&failed.output, "Running `pip install");
}

#[test]
fn unreachable_index_fails_the_app_install_and_the_last_good_venv_stays() {
    let app = TestApp::new("pip_pinned");
    app.build_ok();

    // pip is cached; the app's packages cannot be downloaded.
    let failed = app.build_with(&[
        ("PIP_INDEX_URL", "http://127.0.0.1:9/simple"),
        ("PIP_RETRIES", "1"),
    ]);
    assert_failure(&failed);
    assert_contains(&failed.output, "Using cached pip 26.3");
    assert_contains(
        &failed.output,
        "Looking in indexes: http://127.0.0.1:9/simple",
    );
    assert_contains(&failed.output, "Connection refused");
    assert_contains(&failed.output, "! Unable to reach the package index");
    assert_contains(
        &failed.output,
        "pip could not download packages for `requirements.txt`: the index could not be",
    );
    // The image of the last successful build is still what launches...
    assert_eq!(
        app.run_ok("python -c 'import six; print(six.__version__)'"),
        "1.16.0"
    );
    // ...and its virtual environment, whose inputs match again, is what the next build reuses.
    let next = app.build();
    assert_success(&next);
    assert_contains(&next.output, "Reusing the virtual environment");
    assert_eq!(
        app.run_ok("python -c 'import six; print(six.__version__)'"),
        "1.16.0"
    );
}
