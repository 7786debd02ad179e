//! Where the Python version comes from, end to end: each source, its priority, and its notices.

mod support;

use support::runtime_server::manifest_with_versions;
use support::{
    TestApp, assert_contains, assert_failure, assert_not_contains, assert_success, expected_version,
};

const PRINT_VERSION: &str = "python -c 'import sys; print(sys.version.split()[0])'";

#[test]
fn bp_python_version_overrides_the_version_file() {
    let app = TestApp::new("python_3_13");
    let build = app.build_with(&[("BP_PYTHON_VERSION", "3.11")]);
    assert_success(&build);
    assert_contains(
        &build.output,
        "Requested Python 3.11 (from BP_PYTHON_VERSION)",
    );
    assert_contains(
        &build.output,
        "Ignoring .python-version: BP_PYTHON_VERSION takes precedence over it",
    );
    assert_eq!(app.run_ok(PRINT_VERSION), expected_version("3.11"));
}

#[test]
fn version_file_allows_comments_blank_lines_and_whitespace() {
    let app = TestApp::new("python_3_13");
    app.write(
        ".python-version",
        "# The app's Python version\n\n   3.11   # pinned for now\n\n",
    );
    let build = app.build_ok();
    assert_contains(
        &build.output,
        "Requested Python 3.11 (from .python-version)",
    );
}

#[test]
fn utf16_version_file_is_read_with_a_warning() {
    let app = TestApp::new("python_3_13");
    // What Windows PowerShell 5 writes for `echo 3.11 > .python-version`.
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain("3.11\r\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    app.write(".python-version", utf16);
    let build = app.build_ok();
    assert_contains(
        &build.output,
        "Requested Python 3.11 (from .python-version)",
    );
    assert_contains(&build.output, ".python-version is saved as UTF-16");
}

#[test]
fn runtime_txt_works_with_a_deprecation_warning() {
    let app = TestApp::new("python_3_13");
    app.remove(".python-version");
    app.write("runtime.txt", "python-3.11.2\n");
    let build = app.build();
    assert_contains(&build.output, "Requested Python 3.11.2 (from runtime.txt)");
    assert_contains(&build.output, "runtime.txt is deprecated");
}

#[test]
fn requires_python_picks_the_newest_allowed_version() {
    let app = TestApp::new("python_3_13");
    app.remove(".python-version");
    app.write(
        "pyproject.toml",
        "[project]\nname = \"app\"\nversion = \"1\"\nrequires-python = \">=3.11,<3.13\"\n",
    );
    app.write(
        "versions.jsonl",
        manifest_with_versions(&["3.10.19", "3.11.2", "3.12.0"]),
    );
    let build = app.build_with(&[("BP_PYTHON_RUNTIME_MANIFEST", "versions.jsonl")]);
    assert_contains(
        &build.output,
        "Requested Python 3.12 (from requires-python in pyproject.toml: >=3.11,<3.13)",
    );
    assert_contains(
        &build.output,
        "Picked the newest supported Python that requires-python allows",
    );
    assert_contains(&build.output, "Resolved to Python 3.12.0");
}

#[test]
fn poetry_python_constraint_is_a_hint_without_requires_python() {
    let app = TestApp::new("python_3_13");
    app.remove(".python-version");
    app.write(
        "pyproject.toml",
        "[tool.poetry]\npackage-mode = false\n\n[tool.poetry.dependencies]\npython = \"~3.11\"\n",
    );
    app.write(
        "versions.jsonl",
        manifest_with_versions(&["3.11.2", "3.12.0", "3.13.5"]),
    );
    let build = app.build_with(&[("BP_PYTHON_RUNTIME_MANIFEST", "versions.jsonl")]);
    assert_contains(
        &build.output,
        "Requested Python 3.11 (from python in [tool.poetry.dependencies] of pyproject.toml: ~3.11)",
    );
    assert_contains(&build.output, "Resolved to Python 3.11.2");
}

#[test]
fn version_file_that_requires_python_does_not_allow_is_a_warning() {
    let app = TestApp::new("python_3_13");
    app.write(".python-version", "3.11\n");
    app.write(
        "pyproject.toml",
        "[project]\nname = \"app\"\nversion = \"1\"\nrequires-python = \">=3.12\"\n",
    );
    let build = app.build_ok();
    assert_contains(
        &build.output,
        &format!(
            "Python {} does not satisfy requires-python",
            expected_version("3.11")
        ),
    );
}

#[test]
fn unpinned_app_keeps_the_minor_version_of_the_previous_build() {
    let app = TestApp::new("python_3_11");
    app.build_ok();
    app.remove(".python-version");
    let build = app.build_ok();
    assert_contains(
        &build.output,
        "Requested Python 3.11 (from the previous build)",
    );
    assert_contains(&build.output, "No Python version pinned");
    assert_contains(
        &build.output,
        &format!("Reusing cached Python {}", expected_version("3.11")),
    );
    assert_eq!(app.run_ok(PRINT_VERSION), expected_version("3.11"));

    // Without a previous build, the default applies.
    let fresh = TestApp::new("python_3_11");
    fresh.remove(".python-version");
    let build = fresh.build();
    assert_contains(&build.output, "(from the buildpack default)");
    assert_not_contains(&build.output, "No Python version pinned");
}

#[test]
fn failed_version_selection_keeps_the_previous_runtime_trusted() {
    let app = TestApp::new("python_3_13");
    app.build_ok();
    app.write(".python-version", "3.13\n3.11\n");
    let failed = app.build();
    assert_failure(&failed);
    assert_contains(&failed.output, "lists several versions (3.13, 3.11)");

    app.write(".python-version", "3.13\n");
    let fixed = app.build_ok();
    assert_contains(
        &fixed.output,
        &format!("Reusing cached Python {}", expected_version("3.13")),
    );
    assert_not_contains(&fixed.output, "Downloading");
}

#[test]
fn exact_patch_older_than_the_newest_gets_a_hint() {
    let app = TestApp::new("python_3_13");
    app.write(".python-version", "3.11.2\n");
    app.write(
        "versions.jsonl",
        manifest_with_versions(&["3.11.2", "3.11.14"]),
    );
    let build = app.build_with(&[("BP_PYTHON_RUNTIME_MANIFEST", "versions.jsonl")]);
    assert_contains(&build.output, "Resolved to Python 3.11.2");
    assert_contains(
        &build.output,
        "Python 3.11.2 is not the newest 3.11 release (3.11.14)",
    );
    assert_contains(&build.output, "Use 3.11 instead");
}

#[test]
fn free_threaded_request_selects_the_free_threaded_build() {
    let app = TestApp::new("python_3_13");
    app.write(".python-version", "3.13t\n");
    app.write(
        "versions.jsonl",
        manifest_with_versions(&["3.13.5", "3.13.12t"]),
    );
    let build = app.build_with(&[("BP_PYTHON_RUNTIME_MANIFEST", "versions.jsonl")]);
    assert_contains(
        &build.output,
        "Requested Python 3.13t (from .python-version)",
    );
    assert_contains(&build.output, "Resolved to Python 3.13.12");
    // The fixture archive is a default build: the free-threaded interpreter is checked for.
    assert_failure(&build);
    assert_contains(&build.output, "the archive has no python/bin/python3.13t");
}
