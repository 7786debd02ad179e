//! What only Pipenv does, end to end through the local platform runner: the errors of Pipenv
//! installs (a locked version that is gone, a Pipenv that cannot be installed). The scenarios
//! all lock-based managers share, the cleaning after an update included, are in
//! `locked_managers.rs`.

mod support;

use support::{TestApp, assert_contains, assert_failure, assert_not_contains, pinned_tool_version};

#[test]
fn locked_version_that_is_gone_names_the_package() {
    let app = TestApp::new("pipenv_unavailable");
    let build = app.build_failing();
    assert_contains(&build.output, "Locked package not available: six==1.17.99");
    assert_contains(&build.output, "`pipenv upgrade six`");
}

#[test]
fn failing_pipenv_install_explains_the_index_and_hides_credentials() {
    let app = TestApp::new("pipenv_basic");
    app.build_ok();
    // A cache without Pipenv (and without the environment, so that Pipenv is needed), and an
    // index that cannot be reached: uv, cached, cannot download Pipenv.
    app.forget_cached_layers(&["pipenv", "venv"]);
    let build = app.build_with(&[(
        "PIP_INDEX_URL",
        "http://cnb-user:cnb-s3cr3t@127.0.0.1:9/simple/",
    )]);
    assert_failure(&build);
    assert_contains(
        &build.output,
        &format!("Unable to install Pipenv {}", pinned_tool_version("pipenv")),
    );
    assert_contains(
        &build.output,
        "Downloading Pipenv failed: the package index",
    );
    assert_contains(&build.output, "could not be reached");
    assert_not_contains(&build.output, "cnb-s3cr3t");
}
