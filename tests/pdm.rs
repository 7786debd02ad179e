//! Installing pdm.lock with PDM into the `venv` layer, end to end through the local platform
//! runner: what ends up in the app image, reuse, in-place updates, and an out-of-date lock.

mod support;

use support::{TestApp, assert_contains, assert_failure, pinned_tool_version};

const SIX_VERSION: &str = "python -c 'import six; print(six.__version__)'";

#[test]
fn installs_the_locked_production_dependencies_with_pdm() {
    let app = TestApp::new("pdm_basic");
    let build = app.build_ok();
    let pdm = pinned_tool_version("pdm");
    assert_contains(&build.output, "- Dependencies (PDM)");
    assert_contains(&build.output, "Running `pdm lock --check`");
    assert_contains(
        &build.output,
        "Running `pdm sync --prod --no-editable --clean-unselected --fail-fast`",
    );
    assert_eq!(app.run_ok(SIX_VERSION), "1.17.0");
    // The dev group is not installed, and PDM is in neither the image nor the environment.
    assert!(!app.imports("typing_extensions"));
    assert!(!app.imports("pdm"));
    assert_ne!(app.run("command -v pdm").code(), Some(0));
    // PDM used the buildpack's virtual environment, not one of its own in the app.
    assert_ne!(app.run("test -e .venv").code(), Some(0));
    let sbom = std::fs::read_to_string(app.layer_dir("venv").with_file_name("venv.sbom.cdx.json"))
        .unwrap();
    assert_contains(
        &sbom,
        "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274",
    );

    let rebuild = app.build_ok();
    assert_contains(
        &rebuild.output,
        "Reusing the virtual environment: pdm.lock, pyproject.toml, Python",
    );
    assert_contains(&rebuild.output, &format!("and PDM {pdm} unchanged"));
    assert!(!rebuild.output.contains("Running `pdm sync"));
}

#[test]
fn a_changed_lock_updates_the_environment_in_place() {
    let app = TestApp::new("pdm_basic");
    app.build_ok();
    app.copy_from("pdm_updated", &["pyproject.toml", "pdm.lock"]);
    let build = app.build_ok();
    assert_contains(&build.output, "Updating the virtual environment");
    assert_eq!(app.run_ok(SIX_VERSION), "1.16.0");
    assert!(app.imports("idna"));

    app.copy_from("pdm_basic", &["pyproject.toml", "pdm.lock"]);
    app.build_ok();
    assert_eq!(app.run_ok(SIX_VERSION), "1.17.0");
    // Removed from the lock, removed from the environment.
    assert!(!app.imports("idna"));
}

#[test]
fn an_out_of_date_lock_fails_with_the_command_that_fixes_it() {
    let app = TestApp::new("pdm_basic");
    let pyproject = std::fs::read_to_string(app.path().join("pyproject.toml")).unwrap();
    app.write(
        "pyproject.toml",
        pyproject.replace("\"six==1.17.0\"", "\"six==1.16.0\""),
    );
    let build = app.build();
    assert_failure(&build);
    assert_contains(&build.output, "Run `pdm lock`");
}
