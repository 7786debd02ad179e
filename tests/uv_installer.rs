//! requirements.txt apps installed with uv's pip interface (`BP_PYTHON_INSTALLER=uv`), end to
//! end through the local platform runner: the same packages as pip installs, pip's settings
//! translated (a private index through `PIP_EXTRA_INDEX_URL`, hash-checking mode, includes and
//! constraints, editable local packages, `${VAR}`s), a pip setting uv cannot honour refused by
//! name, and switching installer recreating the environment.

mod support;

use support::private_index::PrivateIndex;
use support::{
    TestApp, assert_contains, assert_failure, assert_not_contains, assert_success,
    pinned_tool_version,
};

const UV: (&str, &str) = ("BP_PYTHON_INSTALLER", "uv");

/// Every installed distribution (`name==version`), as the app image runs.
const INSTALLED: &str = "python -c '
import importlib.metadata as m
print(sorted(f\"{d.metadata[\"Name\"].lower()}=={d.version}\" for d in m.distributions()))'";

/// What pip installs for `fixture` in a clean build.
fn installed_by_pip(fixture: &str) -> String {
    let app = TestApp::new(fixture);
    app.build_ok();
    app.run_ok(INSTALLED)
}

#[test]
fn uv_installs_requirements_and_updates_them_in_place() {
    let app = TestApp::new("pip_update");
    let build = app.build_with(&[UV]);
    assert_success(&build);
    let uv = pinned_tool_version("uv");
    assert_contains(&build.output, "- Python and uv");
    assert_contains(
        &build.output,
        "- Dependencies (uv pip, from BP_PYTHON_INSTALLER)",
    );
    assert_contains(
        &build.output,
        "Running `uv pip install -r requirements.txt`",
    );
    assert_not_contains(&build.output, "Installed pip");
    assert_eq!(app.run_ok(INSTALLED), installed_by_pip("pip_update"));
    let metadata = app.layer_toml("venv");
    assert_eq!(metadata["metadata"]["installer"].as_str(), Some("uv"));
    assert_eq!(
        metadata["metadata"]["tool_version"].as_str(),
        Some(uv.as_str())
    );
    // uv's cache is the layer uv apps use; uv itself is not in the image.
    assert_eq!(
        app.layer_toml("uv-cache")["types"]["launch"].as_bool(),
        Some(false)
    );
    assert_eq!(
        app.layer_toml("uv")["types"]["launch"].as_bool(),
        Some(false)
    );
    app.assert_bytecode_valid(50);

    let rebuild = app.build_with(&[UV]);
    assert_success(&rebuild);
    assert_contains(&rebuild.output, "Reusing the virtual environment");
    support::assert_every_layer_reused(&rebuild, &["python", "venv", "uv", "uv-cache"]);

    // uv's exact install removes what the requirements no longer need, console scripts too.
    app.copy_from("pip_update_changed", &["requirements.txt"]);
    let update = app.build_with(&[UV]);
    assert_success(&update);
    assert_contains(
        &update.output,
        "Updating the virtual environment because requirements.txt changed",
    );
    assert!(!app.layer_dir("venv").join("bin/pyflakes").exists());
    assert_eq!(
        app.run_ok(INSTALLED),
        installed_by_pip("pip_update_changed")
    );

    // Back to pip: another installer, a new environment.
    let pip = app.build();
    assert_success(&pip);
    assert_contains(
        &pip.output,
        "Recreating the virtual environment because the installer changed (uv to pip, from BP_PYTHON_INSTALLER)",
    );
    assert_contains(&pip.output, "Running `pip install -r requirements.txt`");
    assert_eq!(
        app.run_ok(INSTALLED),
        installed_by_pip("pip_update_changed")
    );
}

#[test]
fn includes_constraints_editables_and_hashes_install_as_with_pip() {
    for fixture in ["pip_editable", "pip_hashes"] {
        let app = TestApp::new(fixture);
        let build = app.build_with(&[UV]);
        assert_success(&build);
        assert_eq!(
            app.run_ok(INSTALLED),
            installed_by_pip(fixture),
            "{fixture}:\n{}",
            build.output
        );
    }
    // The editable package is imported from the app's source.
    let app = TestApp::new("pip_editable");
    assert_success(&app.build_with(&[UV]));
    assert_eq!(
        app.run_ok("python -c 'import localpkg, os; print(os.path.relpath(localpkg.__file__))'"),
        "localpkg/src/localpkg/__init__.py"
    );
    // Hash-checking mode as pip has it: a requirement without a hash fails.
    let hashed = TestApp::new("pip_hashes");
    let requirements = std::fs::read_to_string(hashed.path().join("requirements.txt")).unwrap();
    hashed.write("requirements.txt", format!("{requirements}\nidna==3.10\n"));
    let missing = hashed.build_with(&[UV]);
    assert_failure(&missing);
    assert_contains(&missing.output, "Missing hashes in requirements.txt");
}

#[test]
fn dependency_groups_install_and_are_removed_in_place() {
    let app = TestApp::new("pip_groups");
    assert_success(&app.build_with(&[UV, ("BP_PYTHON_DEPENDENCY_GROUPS", "dev")]));
    assert!(app.imports("typing_extensions"));
    let without = app.build_with(&[UV]);
    assert_success(&without);
    assert_contains(&without.output, "Updating the virtual environment");
    assert!(!app.imports("typing_extensions"));
}

const PRIVATE_TOKEN: &str = "cnb-uv-s3cr3t-4a9c1e";

fn private_index() -> PrivateIndex {
    PrivateIndex::fixture(PRIVATE_TOKEN)
}

#[test]
fn a_private_index_from_pip_extra_index_url_or_variables() {
    let index = private_index();
    let port = index.port.to_string();

    // `${VAR}`s in requirements.txt (its --extra-index-url line).
    let app = TestApp::new("pip_private_index");
    let build = app.build_with(&[
        UV,
        ("PRIVATE_INDEX_TOKEN", PRIVATE_TOKEN),
        ("PRIVATE_INDEX_PORT", &port),
    ]);
    assert_success(&build);
    assert_eq!(
        app.run_ok("python -c 'import cnb_test_private_pkg as p; print(p.MESSAGE)'"),
        "installed from the private index"
    );
    assert_not_contains(&build.output, PRIVATE_TOKEN);

    // PIP_EXTRA_INDEX_URL, as users set it for pip.
    let app = TestApp::new("pip_private_index");
    app.write(
        "requirements.txt",
        "cnb-test-private-pkg==1.0.0\nsix==1.16.0\n",
    );
    let url = format!("http://cnb-user:{PRIVATE_TOKEN}@127.0.0.1:{port}/simple/");
    let build = app.build_with(&[UV, ("PIP_EXTRA_INDEX_URL", &url)]);
    assert_success(&build);
    assert!(app.imports("cnb_test_private_pkg"));
    assert!(app.imports("six"));
    assert_not_contains(&build.output, PRIVATE_TOKEN);
    assert!(
        index.requests().iter().any(|request| request.authorized
            && request.status == 200
            && request
                .path
                .ends_with("cnb_test_private_pkg-1.0.0-py3-none-any.whl")),
        "{:?}",
        index.requests()
    );
}

#[test]
fn a_pip_setting_uv_cannot_honour_fails_with_its_name() {
    let app = TestApp::new("pip_pinned");
    let build = app.build_with(&[UV, ("PIP_NO_BUILD_ISOLATION", "0")]);
    assert_failure(&build);
    assert_contains(
        &build.output,
        "Unable to install with uv: PIP_NO_BUILD_ISOLATION",
    );
    assert_contains(&build.output, "Set UV_NO_BUILD_ISOLATION=1 instead");
    let config = app.build_with(&[UV, ("PIP_UPGRADE_STRATEGY", "eager")]);
    assert_failure(&config);
    assert_contains(
        &config.output,
        "Unable to install with uv: PIP_UPGRADE_STRATEGY",
    );

    let invalid = app.build_with(&[("BP_PYTHON_INSTALLER", "conda")]);
    assert_failure(&invalid);
    assert_contains(&invalid.output, "Invalid BP_PYTHON_INSTALLER");
}

#[test]
fn lock_based_apps_ignore_the_installer_setting() {
    let app = TestApp::new("uv_basic");
    let build = app.build_with(&[("BP_PYTHON_INSTALLER", "pip")]);
    assert_success(&build);
    assert_contains(&build.output, "Running `uv sync");
}
