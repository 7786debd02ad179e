//! Installing Pipfile.lock with Pipenv into the `venv` layer, end to end through the local
//! platform runner: what ends up in the app image, when the environment is reused, updated in
//! place (and cleaned) or recreated, and the errors of Pipenv installs.

mod support;

use python_buildpack_runner::BuildOutput;
use support::{
    TestApp, assert_contains, assert_failure, assert_not_contains, expected_version,
    pinned_tool_version,
};

const SIX_VERSION: &str = "python -c 'import six; print(six.__version__)'";

#[test]
fn installs_the_locked_default_packages_with_pipenv() {
    let app = TestApp::new("pipenv_basic");
    let build = app.build_ok();
    assert_contains(&build.output, "- Dependencies (Pipenv)");
    assert_contains(&build.output, "Creating the virtual environment");
    assert_contains(
        &build.output,
        &format!("Installing Pipenv {}", pinned_tool_version("pipenv")),
    );
    assert_contains(&build.output, "Running `pipenv install --deploy`");
    // A new environment has nothing to clean.
    assert_not_contains(&build.output, "pipenv clean");

    assert_eq!(app.run_ok(SIX_VERSION), "1.17.0");
    // The dev packages are not installed, and neither is Pipenv.
    assert!(!app.imports("typing_extensions"));
    assert!(!app.imports("pipenv"));
    assert_ne!(app.run("command -v pipenv").code(), Some(0));
    let image_layers = app.state_dir().join("image/layers/heroku_python");
    for layer in ["pipenv", "pipenv-cache"] {
        assert!(
            !image_layers.join(layer).exists(),
            "{layer} is in the image"
        );
    }
}

#[test]
fn rebuild_without_changes_reuses_the_environment_without_running_pipenv() {
    let app = TestApp::new("pipenv_basic");
    app.build_ok();
    let build = app.build_ok();
    assert_contains(
        &build.output,
        &format!(
            "Reusing the virtual environment: Pipfile, Pipfile.lock, Python {} and Pipenv {} unchanged",
            expected_version("3.13"),
            pinned_tool_version("pipenv")
        ),
    );
    assert_not_contains(&build.output, "Running `pipenv");
    assert_eq!(app.run_ok(SIX_VERSION), "1.17.0");
}

#[test]
fn changed_lock_updates_the_environment_in_place_and_cleans_dropped_packages() {
    let app = TestApp::new("pipenv_basic");
    app.build_ok();
    app.copy_from("pipenv_updated", &["Pipfile", "Pipfile.lock"]);
    let build = app.build_ok();
    assert_contains(
        &build.output,
        "Updating the virtual environment because Pipfile and Pipfile.lock changed",
    );
    assert_contains(
        &build.output,
        &format!("Using cached Pipenv {}", pinned_tool_version("pipenv")),
    );
    assert_contains(&build.output, "Running `pipenv clean`");
    assert_contains(&build.output, "Uninstalling six");
    assert!(!app.imports("six"));
    assert!(app.imports("typing_extensions"));
}

#[test]
fn python_version_change_recreates_the_environment() {
    let app = TestApp::new("pipenv_basic");
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
fn out_of_date_lock_names_pipenv_lock() {
    let app = TestApp::new("pipenv_basic");
    let pipfile = std::fs::read_to_string(app.path().join("Pipfile")).unwrap();
    app.write("Pipfile", pipfile.replace("==1.17.0", "==1.16.0"));
    let build = build_failure(&app);
    assert_contains(&build.output, "Pipfile.lock is out of date");
    assert_contains(
        &build.output,
        "Run `pipenv lock`, commit the updated Pipfile.lock",
    );
}

#[test]
fn locked_version_that_is_gone_names_the_package() {
    let app = TestApp::new("pipenv_unavailable");
    let build = build_failure(&app);
    assert_contains(&build.output, "Locked package not available: six==1.17.99");
    assert_contains(&build.output, "`pipenv upgrade six`");
}

#[test]
fn failing_pipenv_install_explains_the_index_and_hides_credentials() {
    let app = TestApp::new("pipenv_basic");
    app.build_ok();
    // A cache without Pipenv (and without the environment, so that Pipenv is needed), and an
    // index that cannot be reached: uv, cached, cannot download Pipenv.
    app.forget_cached_layers(&["pipenv", "venv"]);
    let build = app.build_with(&[(
        "PIP_INDEX_URL",
        "http://cnb-user:cnb-s3cr3t@127.0.0.1:9/simple/",
    )]);
    assert_failure(&build);
    assert_contains(
        &build.output,
        &format!("Unable to install Pipenv {}", pinned_tool_version("pipenv")),
    );
    assert_contains(
        &build.output,
        "Downloading Pipenv failed: the package index",
    );
    assert_contains(&build.output, "could not be reached");
    assert_not_contains(&build.output, "cnb-s3cr3t");
}
