//! Local packages of uv, Poetry and Pipenv apps (path dependencies that are not editable): lock
//! files do not hash their contents, so the buildpack does. A change inside one reinstalls it on
//! the next build; an unchanged one lets the environment be reused without running the tool.

mod support;

use support::{TestApp, assert_contains, assert_not_contains};

const MESSAGE: &str = "python -c 'import mylib; print(mylib.MESSAGE)'";

fn a_changed_local_package_is_reinstalled(fixture: &str, tool_command: &str) {
    let app = TestApp::new(fixture);
    app.build_ok();
    assert_eq!(app.run_ok(MESSAGE), "v1");
    assert_eq!(
        app.run_ok("python -c 'import six; print(six.__version__)'"),
        "1.17.0"
    );

    // Unchanged, also with bytecode and build leftovers in the package's folder: reused.
    app.write("mylib/mylib/__pycache__/__init__.cpython-313.pyc", "stale");
    app.write(
        "mylib/build/lib/mylib/__init__.py",
        "MESSAGE = 'old build'\n",
    );
    let reused = app.build_ok();
    assert_contains(&reused.output, "Reusing the virtual environment");
    assert_not_contains(&reused.output, &format!("Running `{tool_command}"));

    // Code inside the package changes, the lock does not: the package is reinstalled.
    app.write("mylib/mylib/__init__.py", "MESSAGE = \"v2\"\n");
    let updated = app.build_ok();
    assert_contains(
        &updated.output,
        "Updating the virtual environment because the local package mylib changed",
    );
    assert_contains(&updated.output, &format!("Running `{tool_command}"));
    assert_eq!(app.run_ok(MESSAGE), "v2");
    // Nothing else was touched.
    assert_eq!(
        app.run_ok("python -c 'import six; print(six.__version__)'"),
        "1.17.0"
    );

    // And that state is reused again.
    let again = app.build_ok();
    assert_contains(&again.output, "Reusing the virtual environment");
    assert_eq!(app.run_ok(MESSAGE), "v2");
}

#[test]
fn uv_reinstalls_a_changed_local_package() {
    a_changed_local_package_is_reinstalled("uv_local", "uv sync");
}

#[test]
fn uv_names_the_package_to_reinstall() {
    let app = TestApp::new("uv_local");
    app.build_ok();
    app.write("mylib/mylib/extra.py", "X = 1\n");
    let updated = app.build_ok();
    assert_contains(
        &updated.output,
        "Running `uv sync --locked --no-default-groups --reinstall-package mylib`",
    );
    assert_eq!(
        app.run_ok("python -c 'import mylib.extra; print(mylib.extra.X)'"),
        "1"
    );
}

#[test]
fn poetry_reinstalls_a_changed_local_package() {
    a_changed_local_package_is_reinstalled("poetry_local", "poetry sync");
}

#[test]
fn pipenv_reinstalls_a_changed_local_package() {
    a_changed_local_package_is_reinstalled("pipenv_local", "pipenv install");
}
