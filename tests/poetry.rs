//! What only Poetry does, end to end through the local platform runner: whether the project
//! itself is installed, and the errors of Poetry installs. The scenarios all lock-based managers
//! share are in `locked_managers.rs`. (The fixtures lock against an explicit simple-index source:
//! see tests/fixtures/poetry_basic.)

mod support;

use support::{TestApp, assert_contains, assert_failure, assert_not_contains, pinned_tool_version};

fn edit(app: &TestApp, file: &str, change: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(app.path().join(file)).unwrap();
    app.write(file, change(text));
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

#[test]
fn locked_version_that_is_gone_names_the_package() {
    let app = TestApp::new("poetry_unavailable");
    let build = app.build_failing();
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
    let build = app.build_failing();
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
