//! Installing uv.lock with uv into the `venv` layer, end to end through the local platform
//! runner: what ends up in the app image, when the environment is reused, updated in place or
//! recreated, and the errors of uv installs.

mod support;

use python_buildpack_runner::BuildOutput;
use std::path::Path;
use support::{
    TestApp, assert_contains, assert_failure, assert_not_contains, expected_version,
    pinned_tool_version,
};

const SIX_VERSION: &str = "python -c 'import six; print(six.__version__)'";

#[test]
fn installs_the_locked_main_dependencies_with_uv() {
    let app = TestApp::new("uv_basic");
    let build = app.build_ok();
    let uv = pinned_tool_version("uv");
    assert_contains(&build.output, "- Dependencies (uv)");
    assert_contains(&build.output, "Creating the virtual environment");
    assert_contains(&build.output, &format!("Installed uv {uv}"));
    assert_contains(
        &build.output,
        "Running `uv sync --locked --no-default-groups`",
    );
    assert_contains(&build.output, "+ six==1.17.0");
    // uv used the buildpack's Python, and did not look for or download another.
    assert_not_contains(&build.output, "Downloading cpython");

    assert_eq!(app.run_ok(SIX_VERSION), "1.17.0");
    // The dev group is not installed.
    assert!(!app.imports("typing_extensions"));
    // Bytecode is compiled at build time.
    let site_packages = app.layer_dir("venv").join(format!(
        "lib/python{}/site-packages",
        &expected_version("3.13")[..4]
    ));
    assert!(
        std::fs::read_dir(site_packages.join("__pycache__"))
            .unwrap()
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("six.")),
        "no bytecode for six"
    );
    // The SBOM of the environment has the artifact hashes that uv.lock pins.
    let sbom = std::fs::read_to_string(app.layer_dir("venv").with_file_name("venv.sbom.cdx.json"))
        .unwrap();
    assert_contains(&sbom, "pkg:pypi/six@1.17.0");
    assert_contains(
        &sbom,
        "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274",
    );
    // uv is in neither the app image nor the app's environment.
    assert_ne!(app.run("command -v uv").code(), Some(0));
    assert!(!app.imports("uv"));
    let image_layers = app.state_dir().join("image/layers/heroku_python");
    for layer in ["uv", "uv-cache"] {
        assert!(
            !image_layers.join(layer).exists(),
            "{layer} is in the image"
        );
    }
    assert!(
        std::fs::read_dir(app.layer_dir("uv-cache"))
            .unwrap()
            .next()
            .is_some(),
        "uv's cache is empty"
    );
}

#[test]
fn rebuild_without_changes_reuses_the_environment_without_running_uv() {
    let app = TestApp::new("uv_basic");
    app.build_ok();
    let start = std::time::Instant::now();
    let build = app.build_ok();
    let elapsed = start.elapsed();
    assert_contains(
        &build.output,
        &format!(
            "Reusing the virtual environment: pyproject.toml, uv.lock, Python {} and uv {} unchanged",
            expected_version("3.13"),
            pinned_tool_version("uv")
        ),
    );
    assert_not_contains(&build.output, "Running `uv");
    assert_not_contains(&build.output, "Installed uv");
    assert_eq!(app.run_ok(SIX_VERSION), "1.17.0");
    eprintln!("no-op rebuild took {elapsed:?}");
}

#[test]
fn changed_lock_updates_the_environment_in_place_and_removes_dropped_packages() {
    let app = TestApp::new("uv_basic");
    app.build_ok();
    // six is dropped, typing-extensions added.
    app.copy_from("uv_updated", &["pyproject.toml", "uv.lock"]);
    let build = app.build_ok();
    assert_contains(
        &build.output,
        "Updating the virtual environment because pyproject.toml and uv.lock changed",
    );
    assert_contains(
        &build.output,
        &format!("Using cached uv {}", pinned_tool_version("uv")),
    );
    assert_contains(&build.output, "- six==1.17.0");
    assert_contains(&build.output, "+ typing-extensions==4.12.2");
    assert!(!app.imports("six"));
    assert!(app.imports("typing_extensions"));
}

#[test]
fn python_version_change_recreates_the_environment() {
    let app = TestApp::new("uv_basic");
    app.build_ok();
    app.write(".python-version", "3.11\n");
    let build = app.build_ok();
    let (old, new) = (expected_version("3.13"), expected_version("3.11"));
    assert_contains(
        &build.output,
        &format!(
            "Recreating the virtual environment because the Python version changed ({old} to {new})"
        ),
    );
    // uv is one static binary: it does not depend on the Python version.
    assert_contains(
        &build.output,
        &format!("Using cached uv {}", pinned_tool_version("uv")),
    );
    assert_eq!(
        app.run_ok("python -c 'import sys, six; print(sys.version.split()[0])'"),
        new
    );
}

fn build_failure(app: &TestApp) -> BuildOutput {
    let build = app.build();
    assert_failure(&build);
    build
}

#[test]
fn out_of_date_lock_names_uv_lock() {
    let app = TestApp::new("uv_basic");
    let pyproject = std::fs::read_to_string(app.path().join("pyproject.toml")).unwrap();
    app.write(
        "pyproject.toml",
        pyproject.replace("six==1.17.0", "six==1.16.0"),
    );
    let build = build_failure(&app);
    assert_contains(&build.output, "uv.lock is out of date");
    assert_contains(&build.output, "Run `uv lock`, commit the updated uv.lock");
}

#[test]
fn locked_version_that_is_gone_names_the_package() {
    let app = TestApp::new("uv_unavailable");
    let build = build_failure(&app);
    assert_contains(&build.output, "Locked package not available: six==1.17.99");
    assert_contains(&build.output, "`uv lock --upgrade-package six`");
}

#[test]
fn sdist_that_fails_to_build_names_the_package() {
    let app = TestApp::new("uv_broken_sdist");
    let build = build_failure(&app);
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
    let build = build_failure(&app);
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
