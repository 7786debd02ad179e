//! Rebuilds after upgrading the buildpack: layers that an earlier version cached in a format of
//! its own are migrated when they say the same thing, so that the upgrade costs no reinstall.

mod support;

use support::{TestApp, assert_contains, assert_not_contains};

/// The `venv` metadata pip's environments had before every package manager shared one format.
fn as_earlier_pip_metadata(current: &toml::Table) -> toml::Table {
    let mut old = current.clone();
    assert_eq!(old.remove("package_manager").unwrap().as_str(), Some("pip"));
    let pip_version = old.remove("tool_version").unwrap();
    old.insert("pip_version".to_string(), pip_version);
    let files = old.remove("files").unwrap();
    old.insert("requirements_files".to_string(), files);
    old.remove("local_sources");
    // Recorded since `BP_PYTHON_INSTALLER`; pip's environments had pip.
    assert_eq!(old.remove("installer").unwrap().as_str(), Some("pip"));
    old
}

/// Builds `pip_pinned`, then rewrites the cached `venv` layer's metadata with `earlier`, as an
/// earlier version of the buildpack would have left it.
fn pip_app_with_earlier_metadata(earlier: impl FnOnce(&toml::Table) -> toml::Table) -> TestApp {
    let app = TestApp::new("pip_pinned");
    app.build_ok();
    let mut venv_toml = app.layer_toml("venv");
    let metadata = earlier(venv_toml["metadata"].as_table().unwrap());
    venv_toml.insert("metadata".to_string(), toml::Value::Table(metadata));
    let path = app.layer_dir("venv").with_extension("toml");
    std::fs::write(&path, toml::to_string(&venv_toml).unwrap()).unwrap();
    app
}

#[test]
fn a_pip_environment_cached_by_an_earlier_version_is_migrated_and_reused() {
    let app = pip_app_with_earlier_metadata(as_earlier_pip_metadata);

    let rebuild = app.build_keeping_layers(&[]);
    support::assert_success(&rebuild);
    assert_contains(
        &rebuild.output,
        "Reusing the virtual environment: requirements and Python unchanged",
    );
    assert_not_contains(&rebuild.output, "Running `pip install");
    // The packages are there, and the metadata is in the current format.
    assert!(app.imports("six"));
    assert_eq!(
        app.layer_toml("venv")["metadata"]["package_manager"].as_str(),
        Some("pip")
    );
}

#[test]
fn a_pip_environment_cached_before_the_installer_was_recorded_is_reused() {
    let app = pip_app_with_earlier_metadata(|current| {
        let mut metadata = current.clone();
        assert_eq!(metadata.remove("installer").unwrap().as_str(), Some("pip"));
        metadata
    });

    let rebuild = app.build_keeping_layers(&[]);
    support::assert_success(&rebuild);
    assert_contains(
        &rebuild.output,
        "Reusing the virtual environment: requirements and Python unchanged",
    );
    // Switching to uv from there recreates it, naming pip as the installer it had.
    let uv = app.build_with(&[("BP_PYTHON_INSTALLER", "uv")]);
    support::assert_success(&uv);
    assert_contains(
        &uv.output,
        "Recreating the virtual environment because the installer changed (pip to uv, from BP_PYTHON_INSTALLER)",
    );
}
