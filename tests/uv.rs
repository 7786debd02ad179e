//! What only uv does, end to end through the local platform runner: its errors (a locked version
//! that is gone, an sdist that fails to build, `requires-python`, a uv that cannot be
//! downloaded), private-index credentials from uv's settings, and switching from pip. The
//! scenarios all lock-based managers share are in `locked_managers.rs`.

mod support;

use std::path::Path;
use support::{TestApp, assert_contains, assert_failure, assert_not_contains, pinned_tool_version};

const SIX_VERSION: &str = "python -c 'import six; print(six.__version__)'";

#[test]
fn locked_version_that_is_gone_names_the_package() {
    let app = TestApp::new("uv_unavailable");
    let build = app.build_failing();
    assert_contains(&build.output, "Locked package not available: six==1.17.99");
    assert_contains(&build.output, "`uv lock --upgrade-package six`");
}

#[test]
fn sdist_that_fails_to_build_names_the_package() {
    let app = TestApp::new("uv_broken_sdist");
    let build = app.build_failing();
    assert_contains(&build.output, "brokenpkg cannot be built (on purpose)");
    assert_contains(&build.output, "Unable to build brokenpkg");
}

#[test]
fn python_that_requires_python_excludes_is_explained() {
    let app = TestApp::new("uv_basic");
    // A lock for Python >= 3.11 stays valid; the version file asks for 3.11 on a project that
    // now needs 3.12: uv refuses it.
    app.write(".python-version", "3.11\n");
    let pyproject = std::fs::read_to_string(app.path().join("pyproject.toml")).unwrap();
    app.write("pyproject.toml", pyproject.replace(">=3.11", ">=3.12"));
    let build = app.build_failing();
    assert_contains(&build.output, "does not match pyproject.toml");
}

#[test]
fn failing_uv_install_explains_the_index_and_hides_credentials() {
    let app = TestApp::new("uv_basic");
    app.build_ok();
    // A cache without uv (and without the environment, so that uv is needed), and an index
    // that cannot be reached: the buildpack cannot download uv.
    app.forget_cached_layers(&["uv", "venv"]);
    let build = app.build_with(&[(
        "PIP_INDEX_URL",
        "http://cnb-user:cnb-s3cr3t@127.0.0.1:9/simple/",
    )]);
    assert_failure(&build);
    assert_contains(
        &build.output,
        &format!("Unable to download uv {}", pinned_tool_version("uv")),
    );
    assert_contains(
        &build.output,
        "! http://***@127.0.0.1:9/simple/ (PIP_INDEX_URL)",
    );
    assert_contains(&build.output, "but reading the index failed");
    assert_not_contains(&build.output, "cnb-s3cr3t");
}

#[test]
fn private_index_credentials_from_uv_settings_are_used_and_never_shown() {
    const TOKEN: &str = "cnb-uv-s3cr3t-4b1e";
    let index = support::private_index::PrivateIndex::serve(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pip_private_index/index"),
        "cnb-user",
        TOKEN,
    );
    let app = TestApp::new("uv_private_index");
    let port = index.port.to_string();
    for file in ["pyproject.toml", "uv.lock"] {
        let text = std::fs::read_to_string(app.path().join(file)).unwrap();
        app.write(file, text.replace("@PORT@", &port));
    }
    let build = app.build_with(&[
        ("UV_INDEX_PRIVATE_USERNAME", "cnb-user"),
        ("UV_INDEX_PRIVATE_PASSWORD", TOKEN),
    ]);
    support::assert_success(&build);
    assert_eq!(
        app.run_ok("python -c 'import cnb_test_private_pkg as p; print(p.MESSAGE)'"),
        "installed from the private index"
    );
    assert!(
        index.requests().iter().any(|request| request.authorized
            && Path::new(&request.path)
                .extension()
                .is_some_and(|extension| extension.eq_ignore_ascii_case("whl"))),
        "the wheel was not downloaded with credentials: {:?}",
        index.requests()
    );
    assert_not_contains(&build.output, TOKEN);
    let metadata = std::fs::read_to_string(app.layer_dir("venv").with_extension("toml")).unwrap();
    assert_not_contains(&metadata, TOKEN);

    // Without the credentials uv gets 401s: the build fails, and says where credentials go.
    let app = TestApp::new("uv_private_index");
    for file in ["pyproject.toml", "uv.lock"] {
        let text = std::fs::read_to_string(app.path().join(file)).unwrap();
        app.write(file, text.replace("@PORT@", &port));
    }
    let build = app.build();
    assert_failure(&build);
    assert_contains(&build.output, "UV_INDEX_<NAME>_PASSWORD");
}

#[test]
fn switching_from_pip_to_uv_recreates_the_environment() {
    let app = TestApp::new("uv_basic");
    let lock = std::fs::read(app.path().join("uv.lock")).unwrap();
    app.remove("uv.lock");
    app.write("requirements.txt", "six==1.16.0\n");
    app.build_ok();
    assert_eq!(app.run_ok(SIX_VERSION), "1.16.0");

    app.remove("requirements.txt");
    app.write("uv.lock", lock);
    let build = app.build_ok();
    assert_contains(
        &build.output,
        "Recreating the virtual environment because the package manager changed (pip to uv)",
    );
    assert_eq!(app.run_ok(SIX_VERSION), "1.17.0");
}
