//! Installing poetry.lock with Poetry into the `venv` layer, end to end through the local
//! platform runner: what ends up in the app image, when the environment is reused, updated in
//! place or recreated, whether the project itself is installed, and the errors of Poetry installs.
//! (The fixtures lock against an explicit simple-index source: see tests/fixtures/poetry_basic.)

mod support;

use python_buildpack_runner::BuildOutput;
use support::{
    TestApp, assert_contains, assert_failure, assert_not_contains, expected_version,
    pinned_tool_version,
};

const SIX_VERSION: &str = "python -c 'import six; print(six.__version__)'";
const SYNC: &str =
    "Running `poetry sync --only main --no-root --no-interaction --no-ansi --compile`";

fn edit(app: &TestApp, file: &str, change: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(app.path().join(file)).unwrap();
    app.write(file, change(text));
}

#[test]
fn installs_the_locked_main_group_with_poetry() {
    let app = TestApp::new("poetry_basic");
    let build = app.build_ok();
    assert_contains(&build.output, "- Dependencies (Poetry)");
    assert_contains(&build.output, "Creating the virtual environment");
    assert_contains(
        &build.output,
        &format!("Installing Poetry {}", pinned_tool_version("poetry")),
    );
    assert_contains(&build.output, SYNC);
    assert_contains(&build.output, "Installing six (1.17.0)");

    assert_eq!(app.run_ok(SIX_VERSION), "1.17.0");
    // The dev group is not installed, and neither is Poetry.
    assert!(!app.imports("typing_extensions"));
    assert!(!app.imports("poetry"));
    assert_ne!(app.run("command -v poetry").code(), Some(0));
    let image_layers = app.state_dir().join("image/layers/heroku_python");
    for layer in ["poetry", "poetry-cache"] {
        assert!(
            !image_layers.join(layer).exists(),
            "{layer} is in the image"
        );
    }
}

#[test]
fn rebuild_without_changes_reuses_the_environment_without_running_poetry() {
    let app = TestApp::new("poetry_basic");
    app.build_ok();
    let build = app.build_ok();
    assert_contains(
        &build.output,
        &format!(
            "Reusing the virtual environment: poetry.lock, pyproject.toml, Python {} and Poetry {} unchanged",
            expected_version("3.13"),
            pinned_tool_version("poetry")
        ),
    );
    assert_not_contains(&build.output, "Running `poetry");
    assert_eq!(app.run_ok(SIX_VERSION), "1.17.0");
}

#[test]
fn changed_lock_updates_the_environment_in_place_and_removes_dropped_packages() {
    let app = TestApp::new("poetry_basic");
    app.build_ok();
    app.copy_from("poetry_updated", &["pyproject.toml", "poetry.lock"]);
    let build = app.build_ok();
    assert_contains(
        &build.output,
        "Updating the virtual environment because poetry.lock and pyproject.toml changed",
    );
    assert_contains(
        &build.output,
        &format!("Using cached Poetry {}", pinned_tool_version("poetry")),
    );
    assert_contains(&build.output, "Removing six (1.17.0)");
    assert!(!app.imports("six"));
    assert!(app.imports("typing_extensions"));
}

#[test]
fn python_version_change_recreates_the_environment() {
    let app = TestApp::new("poetry_basic");
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

#[test]
fn packaged_project_is_installed_itself() {
    let app = TestApp::new("poetry_basic");
    edit(&app, "pyproject.toml", |text| {
        text.replace("package-mode = false\n", "")
            + "\n[build-system]\nrequires = [\"poetry-core>=2.0.0,<3.0.0\"]\n\
               build-backend = \"poetry.core.masonry.api\"\n"
    });
    app.write("poetry_app/__init__.py", "MESSAGE = 'the project itself'\n");
    let build = app.build_ok();
    assert_contains(
        &build.output,
        "Running `poetry sync --only main --no-interaction --no-ansi --compile`",
    );
    assert_eq!(
        app.run_ok("cd / && python -c 'import poetry_app; print(poetry_app.MESSAGE)'"),
        "the project itself"
    );
}

fn build_failure(app: &TestApp) -> BuildOutput {
    let build = app.build();
    assert_failure(&build);
    build
}

#[test]
fn out_of_date_lock_names_poetry_lock() {
    let app = TestApp::new("poetry_basic");
    edit(&app, "pyproject.toml", |text| {
        text.replace("six==1.17.0", "six==1.16.0")
    });
    let build = build_failure(&app);
    assert_contains(&build.output, "poetry.lock is out of date");
    assert_contains(
        &build.output,
        "Run `poetry lock`, commit the updated poetry.lock",
    );
}

#[test]
fn locked_version_that_is_gone_names_the_package() {
    let app = TestApp::new("poetry_unavailable");
    let build = build_failure(&app);
    assert_contains(&build.output, "Locked package not available: six (1.17.99)");
    assert_contains(&build.output, "`poetry update --lock six`");
}

#[test]
fn project_without_its_package_explains_package_mode() {
    let app = TestApp::new("poetry_basic");
    edit(&app, "pyproject.toml", |text| {
        text.replace("package-mode = false\n", "")
            + "\n[build-system]\nrequires = [\"poetry-core>=2.0.0,<3.0.0\"]\n\
               build-backend = \"poetry.core.masonry.api\"\n"
    });
    let build = build_failure(&app);
    assert_contains(&build.output, "Unable to install the project itself");
    assert_contains(&build.output, "set `package-mode = false`");
}

#[test]
fn failing_poetry_install_explains_the_index_and_hides_credentials() {
    let app = TestApp::new("poetry_basic");
    app.build_ok();
    // A cache without Poetry (and without the environment, so that Poetry is needed), and an
    // index that cannot be reached: uv, cached, cannot download Poetry.
    app.forget_cached_layers(&["poetry", "venv"]);
    let build = app.build_with(&[(
        "PIP_INDEX_URL",
        "http://cnb-user:cnb-s3cr3t@127.0.0.1:9/simple/",
    )]);
    assert_failure(&build);
    assert_contains(
        &build.output,
        &format!("Unable to install Poetry {}", pinned_tool_version("poetry")),
    );
    assert_contains(
        &build.output,
        "Downloading Poetry failed: the package index",
    );
    assert_contains(&build.output, "could not be reached");
    assert_not_contains(&build.output, "cnb-s3cr3t");
}
