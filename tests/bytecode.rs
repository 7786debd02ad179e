//! Compiled Python files (`.pyc`) stay valid after a real platform's export, which gives every
//! file of the image and the cache a new time (`src/bytecode.rs`): checked from inside the
//! launched app, through the runner, which resets times as the lifecycle does. The per-manager
//! checks (tools' layers, the virtual environment, rebuilds) are rows of `locked_managers.rs`
//! and `pip.rs`.

mod support;

use support::{TestApp, assert_contains, expected_version};

/// The runtime's standard library: its compiled files are hash-based, and their code is exactly
/// what compiling their sources gives (they were converted from the archive's stale
/// timestamp-based files without being compiled again).
fn the_runtime_is_valid_and_its_code_matches_its_sources(fixture: &str) {
    let app = TestApp::new(fixture);
    app.build_ok();
    let report = app.check_bytecode(true);
    let first = |files: &[String]| files.iter().take(5).cloned().collect::<Vec<_>>();
    assert!(
        report.stale.is_empty() && report.wrong_hash.is_empty() && report.deep_mismatch.is_empty(),
        "{} stale, {} with another source's hash, {} with other code than their source's, e.g. \
         {:?} {:?} {:?}",
        report.stale.len(),
        report.wrong_hash.len(),
        report.deep_mismatch.len(),
        first(&report.stale),
        first(&report.wrong_hash),
        first(&report.deep_mismatch)
    );
    // Every module of the standard library has one compiled file (at the build's level).
    assert!(
        report.deep_checked > 500,
        "only {} compared",
        report.deep_checked
    );
}

#[test]
fn python_3_13_runtime() {
    the_runtime_is_valid_and_its_code_matches_its_sources("python_3_13");
}

#[test]
fn python_3_11_runtime() {
    the_runtime_is_valid_and_its_code_matches_its_sources("python_3_11");
}

/// collectstatic imports the app's modules: their compiled files go into the image checked
/// (the sources can change), so that the web process starts without compiling them.
#[test]
fn the_django_app_boots_without_compiling_or_writing() {
    let app = TestApp::new("django_pip");
    let build = app.build_ok();
    assert_contains(&build.output, "1 static file copied");
    let report = app.assert_bytecode_valid(500);
    assert_eq!(report.hash_based, report.checked, "{report:?}");
    let settings = app.state_dir().join(format!(
        "workspace/mysite/__pycache__/settings.cpython-{}.pyc",
        expected_version("3.13")[..4].replace('.', "")
    ));
    let header = std::fs::read(&settings).unwrap();
    assert_eq!(
        header[4], 0b11,
        "the app's compiled file is checked hash-based"
    );
    app.assert_boot_writes_nothing(&[
        "mysite.settings",
        "mysite.urls",
        "django.core.handlers.wsgi",
    ]);

    // Nothing changed: the app's compiled files are the same bytes, so the app layer, like every
    // other, is reused.
    let rebuild = app.build_ok();
    support::assert_every_layer_reused(&rebuild, &["python", "venv"]);
    assert!(
        rebuild.output.contains("Reusing 1/1 app layer"),
        "{}",
        rebuild.output
    );

    // A rebuild restores the cache with new times, and changes the app: still valid.
    app.write("mysite/extra.py", "VALUE = 1\n");
    app.build_ok();
    app.assert_bytecode_valid(500);
}
