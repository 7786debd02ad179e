//! The user-facing error and warning catalogue, end to end: each test triggers one message and
//! checks its headline and the fix it names.

mod support;

use support::runtime_server::manifest_with_versions;
use support::{TestApp, assert_contains, assert_failure, assert_not_contains, assert_success};

/// Builds `app` with `versions` as the runtime manifest.
fn build_with_versions(app: &TestApp, versions: &[&str]) -> python_buildpack_runner::BuildOutput {
    app.write("versions.jsonl", manifest_with_versions(versions));
    app.build_with(&[("BP_PYTHON_RUNTIME_MANIFEST", "versions.jsonl")])
}

#[test]
fn several_versions_in_the_version_file() {
    let app = TestApp::new("python_3_13");
    app.write(".python-version", "3.13\n3.12\n");
    let build = app.build();
    assert_failure(&build);
    assert_contains(&build.output, "Invalid Python version in .python-version");
    assert_contains(&build.output, "lists several versions (3.13, 3.12)");
    assert_contains(&build.output, "Keep a single version line");
}

#[test]
fn unparseable_version() {
    let app = TestApp::new("python_3_13");
    app.write(".python-version", "3.x\n");
    let build = app.build();
    assert_failure(&build);
    assert_contains(&build.output, "Invalid Python version in .python-version");
    assert_contains(
        &build.output,
        "which is not a Python version this buildpack",
    );
    assert_contains(&build.output, "Use major.minor (3.13)");
}

#[test]
fn version_file_that_is_not_text() {
    let app = TestApp::new("python_3_13");
    app.write(".python-version", b"3.13 \xe9t\xe9\n");
    let build = app.build();
    assert_failure(&build);
    assert_contains(&build.output, "Unable to read `.python-version`");
    assert_contains(&build.output, "is not UTF-8 text");
    assert_contains(&build.output, "Save it as plain UTF-8 text");
}

#[test]
fn misspelled_version_files() {
    for (name, right) in [
        (".python_version", ".python-version"),
        ("python-version", ".python-version"),
        (".python-version.txt", ".python-version"),
        (".python-versions", ".python-version"),
        ("runtime.text", "runtime.txt"),
        ("runtime.txt.txt", "runtime.txt"),
        ("Runtime.txt", "runtime.txt"),
    ] {
        let app = TestApp::new("python_3_13");
        app.remove(".python-version");
        app.write(name, "3.13\n");
        let build = app.build();
        assert_failure(&build);
        assert_contains(
            &build.output,
            &format!("Misspelled Python version file: {name}"),
        );
        assert_contains(
            &build.output,
            &format!("`{name}`, which looks like a misspelling of"),
        );
        assert_contains(
            &build.output,
            &format!("The buildpack only reads `{right}`"),
        );
    }
}

#[test]
fn patch_release_that_does_not_exist() {
    let app = TestApp::new("python_3_13");
    app.write(".python-version", "3.11.99\n");
    let build = build_with_versions(&app, &["3.11.2", "3.11.14"]);
    assert_failure(&build);
    assert_contains(&build.output, "Requested Python version not available");
    assert_contains(
        &build.output,
        "Python 3.11.99 does not exist or is not available.",
    );
    assert_contains(&build.output, "Available patch releases: 3.11.14, 3.11.2.");
}

#[test]
fn minor_version_that_does_not_exist() {
    let app = TestApp::new("python_3_13");
    app.write(".python-version", "3.12\n");
    let build = build_with_versions(&app, &["3.9.25", "3.11.2", "3.13.5"]);
    assert_failure(&build);
    assert_contains(&build.output, "There is no stable release of Python 3.12.");
    // End-of-life versions the buildpack refuses are not suggested.
    assert_contains(&build.output, "Available Python versions: 3.13, 3.11.\n");
}

#[test]
fn minor_version_newer_than_any_known() {
    let app = TestApp::new("python_3_13");
    app.write(".python-version", "3.16\n");
    let build = app.build();
    assert_failure(&build);
    assert_contains(&build.output, "Python 3.16 is not available yet");
    assert_contains(&build.output, "has not been released yet");
    assert_contains(&build.output, "update the buildpack");
}

#[test]
fn end_of_life_version_is_refused() {
    let app = TestApp::new("python_3_13");
    app.write(".python-version", "3.9\n");
    let build = build_with_versions(&app, &["3.9.25", "3.11.2"]);
    assert_failure(&build);
    assert_contains(&build.output, "Python 3.9 is no longer supported");
    assert_contains(&build.output, "reached its end of life in 2025-10");
    assert_contains(&build.output, "put 3.11 in .python-version");
}

#[test]
fn recently_end_of_life_version_warns() {
    let app = TestApp::new("python_3_13");
    app.write(".python-version", "3.10\n");
    let build = build_with_versions(&app, &["3.10.19", "3.11.2"]);
    assert_contains(&build.output, "Python 3.10 has reached its end of life");
    assert_contains(&build.output, "reached its end of life in 2026-10");
    assert_contains(&build.output, "From 2027-10 on, the buildpack will refuse");
    assert_contains(&build.output, "Resolved to Python 3.10.19");
}

#[test]
fn end_of_life_rules_apply_at_the_month_of_bp_python_eol_date() {
    // 3.11's end of life is 2027-10: a year later it is refused.
    let app = TestApp::new("python_3_11");
    let build = app.build_with(&[("BP_PYTHON_EOL_DATE", "2028-10")]);
    assert_failure(&build);
    assert_contains(&build.output, "Python 3.11 is no longer supported");
    assert_contains(&build.output, "reached its end of life in 2027-10");
    // A month earlier it builds, with a warning.
    let build = app.build_with(&[("BP_PYTHON_EOL_DATE", "2028-09-30")]);
    assert_success(&build);
    assert_contains(&build.output, "Python 3.11 has reached its end of life");
    let build = app.build_with(&[("BP_PYTHON_EOL_DATE", "soon")]);
    assert_failure(&build);
    assert_contains(&build.output, "Invalid BP_PYTHON_EOL_DATE");
}

#[test]
fn invalid_bp_python_version() {
    let app = TestApp::new("python_3_13");
    let build = app.build_with(&[("BP_PYTHON_VERSION", "python-3.13")]);
    assert_failure(&build);
    assert_contains(&build.output, "Invalid BP_PYTHON_VERSION");
    assert_contains(&build.output, "Set it to major.minor (3.13)");
}

#[test]
fn requires_python_that_no_supported_version_satisfies() {
    let app = TestApp::new("python_3_13");
    app.remove(".python-version");
    app.write(
        "pyproject.toml",
        "[project]\nname = \"app\"\nrequires-python = \"<3.10\"\n",
    );
    let build = app.build();
    assert_failure(&build);
    assert_contains(
        &build.output,
        "No supported Python version satisfies requires-python",
    );
    assert_contains(&build.output, "Change requires-python to allow one of them");
}

#[test]
fn unsafe_environment_variables_are_refused() {
    let app = TestApp::new("python_3_13");
    let build = app.build_with(&[("PYTHONHOME", "/usr"), ("UV_PYTHON", "3.12")]);
    assert_failure(&build);
    assert_contains(
        &build.output,
        "Unsupported environment variables for the build",
    );
    assert_contains(
        &build.output,
        "- PYTHONHOME: makes Python look for its standard library outside the Python the buildpack installs",
    );
    assert_contains(&build.output, "- UV_PYTHON: makes uv choose");
    assert_contains(&build.output, "Remove them from the build's environment");
}

#[test]
fn pythonpath_is_left_out_of_the_build_with_a_warning() {
    let app = TestApp::new("python_3_13");
    let build = app.build_with(&[("PYTHONPATH", "/nonexistent")]);
    assert_success(&build);
    assert_contains(
        &build.output,
        "Ignoring environment variables during the build",
    );
    assert_contains(&build.output, "- PYTHONPATH: would let modules");
}

#[test]
fn installable_package_without_requirements_names_the_fix() {
    // The missing locks of uv, Poetry, Pipenv and PDM are in locked_managers.rs.
    let app = TestApp::new("python_3_13");
    app.remove("requirements.txt");
    app.write("setup.py", "from setuptools import setup\nsetup()\n");
    let build = app.build_failing();
    assert_contains(&build.output, "No requirements.txt for this package");
    assert_contains(&build.output, "containing the line `-e .`");
}

#[test]
fn committed_virtual_environment_warns() {
    let app = TestApp::new("python_3_13");
    app.write(".venv/pyvenv.cfg", "home = /usr/bin\n");
    app.write(".venv/bin/activate", "");
    let build = app.build_ok();
    assert_contains(&build.output, "Virtual environment committed with the app");
    assert_contains(&build.output, "git rm -r --cached .venv");
}

#[test]
fn several_package_managers_are_named() {
    let app = TestApp::new("python_3_13");
    app.write("poetry.lock", "# placeholder\n");
    app.write("uv.lock", "version = 1\n");
    let build = app.build();
    assert_failure(&build);
    assert_contains(&build.output, "Multiple package manager files found");
    assert_contains(&build.output, "- requirements.txt (pip)");
    assert_contains(&build.output, "- poetry.lock (Poetry)");
    assert_contains(&build.output, "- uv.lock (uv)");
    // Found before anything is downloaded.
    assert_not_contains(&build.output, "Downloading");
}

#[test]
fn python_files_without_a_package_manager_say_what_is_missing() {
    let app = TestApp::new("python_3_13");
    app.remove("requirements.txt");
    app.write("main.py", "print('hello')\n");
    let build = app.build();
    assert!(build.detect_passed, "{}", build.output);
    assert_failure(&build);
    assert_contains(&build.output, "No package manager files found");
    assert_contains(
        &build.output,
        "requirements.txt, poetry.lock, uv.lock, Pipfile.lock",
    );
}
