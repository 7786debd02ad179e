//! requirements.txt apps rebuilt after their requirements changed, end to end through the local
//! platform runner: pip updates the cached virtual environment in place and the buildpack then
//! removes what the requirements no longer need (console scripts too), so that the image has
//! exactly what a clean build has; and the dependency check after every install.

mod support;

use support::{TestApp, assert_contains, assert_failure, assert_not_contains, assert_success};

/// Every installed distribution (`name==version`), as the app image runs.
const INSTALLED: &str = "python -c '
import importlib.metadata as m
print(sorted(f\"{d.metadata[\"Name\"].lower()}=={d.version}\" for d in m.distributions()))'";

fn clean_build(fixture: &str) -> String {
    let app = TestApp::new(fixture);
    app.build_ok();
    app.run_ok(INSTALLED)
}

#[test]
fn changed_requirements_update_the_environment_in_place_to_what_a_clean_build_has() {
    let app = TestApp::new("pip_update");
    app.build_ok();
    let venv = app.layer_dir("venv");
    assert!(venv.join("bin/pyflakes").is_file());
    assert!(app.imports("dateutil"));

    app.copy_from("pip_update_changed", &["requirements.txt"]);
    let update = app.build_ok();
    assert_contains(
        &update.output,
        "Updating the virtual environment because requirements.txt changed",
    );
    assert_not_contains(&update.output, "Creating the virtual environment");
    assert_contains(&update.output, "Running `pip install -r requirements.txt`");
    assert_contains(
        &update.output,
        "Removing what the requirements no longer need: idna, pyflakes, python-dateutil",
    );
    // The removed packages and their console script are gone; the changed pin is at its new
    // version; the added package imports.
    assert!(!app.imports("dateutil"));
    assert!(!app.imports("idna"));
    assert!(!app.imports("pyflakes"));
    assert!(
        !venv.join("bin/pyflakes").exists(),
        "the console script of a removed package is left"
    );
    assert_eq!(
        app.run_ok("python -c 'import six; print(six.__version__)'"),
        "1.16.0"
    );
    assert!(app.imports("packaging"));
    assert_eq!(app.run_ok(INSTALLED), clean_build("pip_update_changed"));
    app.assert_bytecode_valid(50);

    // Nothing changed since: reused.
    let rebuild = app.build_ok();
    assert_contains(&rebuild.output, "Reusing the virtual environment");

    // Back to the first requirements, in place again.
    app.copy_from("pip_update", &["requirements.txt"]);
    let back = app.build_ok();
    assert_contains(&back.output, "Updating the virtual environment");
    assert_contains(
        &back.output,
        "Removing what the requirements no longer need: packaging",
    );
    assert_eq!(app.run_ok(INSTALLED), clean_build("pip_update"));
    assert!(venv.join("bin/pyflakes").is_file());
}

#[test]
fn a_changed_index_still_recreates_the_environment() {
    let app = TestApp::new("pip_update");
    app.build_ok();
    app.copy_from("pip_update_changed", &["requirements.txt"]);
    let build = app.build_with(&[("PIP_INDEX_URL", "https://pypi.org/simple")]);
    assert_success(&build);
    assert_contains(
        &build.output,
        "Recreating the virtual environment because the settings of pip changed (PIP_INDEX_URL)",
    );
    assert_eq!(app.run_ok(INSTALLED), clean_build("pip_update_changed"));

    // An index option in the file is a setting too.
    let requirements = std::fs::read_to_string(app.path().join("requirements.txt")).unwrap();
    app.write(
        "requirements.txt",
        format!("--extra-index-url https://pypi.org/simple/\n{requirements}"),
    );
    let build = app.build_with(&[("PIP_INDEX_URL", "https://pypi.org/simple")]);
    assert_success(&build);
    assert_contains(
        &build.output,
        "Recreating the virtual environment because the settings of pip changed (the index options of the requirements files)",
    );
}

#[test]
fn a_dropped_dependency_group_is_removed_in_place() {
    let app = TestApp::new("pip_groups");
    let groups = std::fs::read_to_string(app.path().join("pyproject.toml")).unwrap();
    assert!(groups.contains("[dependency-groups]"), "{groups}");
    let with_group = app.build_with(&[("BP_PYTHON_DEPENDENCY_GROUPS", "dev")]);
    assert_success(&with_group);
    let installed_with = app.run_ok(INSTALLED);
    let without = app.build_ok();
    assert_contains(
        &without.output,
        "Updating the virtual environment because the dependency groups changed (dev to none",
    );
    let installed_without = app.run_ok(INSTALLED);
    assert_ne!(installed_with, installed_without);
    assert_eq!(installed_without, clean_build("pip_groups"));
}

/// Flask without its dependencies (`PIP_NO_DEPS`), next to a Werkzeug it does not allow.
fn inconsistent_app() -> TestApp {
    let app = TestApp::new("pip_pinned");
    app.write("requirements.txt", "flask==3.0.3\nwerkzeug==2.0.3\n");
    app
}

#[test]
fn an_inconsistent_set_warns_and_fails_with_strict() {
    let app = inconsistent_app();
    let build = app.build_with(&[("PIP_NO_DEPS", "1")]);
    assert_success(&build);
    assert_contains(&build.output, "Installed packages with unmet requirements");
    assert_contains(
        &build.output,
        "- `Flask 3.0.3` requires `werkzeug>=3.0.0`, but 2.0.3 is installed",
    );
    assert_contains(
        &build.output,
        "- `Flask 3.0.3` requires `blinker>=1.6.2`, which is not installed",
    );
    // A consistent set has nothing to say.
    app.write("requirements.txt", "six==1.16.0\n");
    let fine = app.build_ok();
    assert_not_contains(&fine.output, "unmet requirements");

    let strict = inconsistent_app().build_with(&[
        ("PIP_NO_DEPS", "1"),
        ("BP_PYTHON_CHECK_DEPENDENCIES", "strict"),
    ]);
    assert_failure(&strict);
    assert_contains(
        &strict.output,
        "Installed packages with unmet requirements (BP_PYTHON_CHECK_DEPENDENCIES=strict)",
    );

    let off = inconsistent_app().build_with(&[
        ("PIP_NO_DEPS", "1"),
        ("BP_PYTHON_CHECK_DEPENDENCIES", "off"),
    ]);
    assert_success(&off);
    assert_not_contains(&off.output, "unmet requirements");
}

#[test]
fn the_check_runs_for_lock_based_package_managers_too() {
    let app = TestApp::new("uv_basic");
    let build = app.build_with(&[("BP_PYTHON_CHECK_DEPENDENCIES", "strict")]);
    assert_success(&build);
    assert_not_contains(&build.output, "unmet requirements");
    // An installed package whose requirement is broken by hand: uv's exact sync keeps its
    // files, and the check of the next install sees the conflict.
    let venv = app.layer_dir("venv");
    let site = std::fs::read_dir(venv.join("lib"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path()
        .join("site-packages");
    let metadata = std::fs::read_dir(&site)
        .unwrap()
        .flatten()
        .find(|entry| entry.file_name().to_string_lossy().starts_with("six-"))
        .unwrap()
        .path()
        .join("METADATA");
    let mut text = std::fs::read_to_string(&metadata).unwrap();
    text = text.replacen("\n\n", "\nRequires-Dist: not-installed-anywhere>=1\n\n", 1);
    std::fs::write(&metadata, text).unwrap();
    app.write("pyproject.toml", {
        let mut pyproject = std::fs::read_to_string(app.path().join("pyproject.toml")).unwrap();
        pyproject.push_str("\n# changed\n");
        pyproject
    });
    let update = app.build_keeping_layers(&[]);
    assert_success(&update);
    assert_contains(&update.output, "Updating the virtual environment");
    assert_contains(
        &update.output,
        "requires `not-installed-anywhere>=1`, which is not installed",
    );
}
