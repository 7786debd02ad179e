//! `BP_PYTHON_DEPENDENCY_GROUPS`, the same scenario for every package manager: a group installs
//! its packages besides the production ones, dropping it removes them on the next build, and an
//! unknown group fails naming the groups the app defines.

mod support;

use support::{TestApp, assert_contains, assert_failure, assert_success};

/// Each fixture has six in production and typing-extensions in a `dev` group.
const FIXTURES: [(&str, &str); 5] = [
    (
        "pip_groups",
        "[dependency-groups] of pyproject.toml (PEP 735)",
    ),
    ("uv_basic", "[dependency-groups] of pyproject.toml"),
    ("poetry_basic", "[tool.poetry.group.<name>] tables"),
    ("pdm_basic", "[tool.pdm.dev-dependencies]"),
    (
        "pipenv_basic",
        "Pipfile categories ([dev-packages] is `dev`)",
    ),
];

const GROUPS: &str = "BP_PYTHON_DEPENDENCY_GROUPS";

/// A group installs its packages besides the production ones; dropping it removes them.
fn groups_are_installed_when_asked_for_and_removed_when_not(fixture: &str) {
    let app = TestApp::new(fixture);
    let with_dev = app.build_with(&[(GROUPS, "dev")]);
    assert_success(&with_dev);
    assert_contains(
        &with_dev.output,
        "Installing the dependency groups `dev` too (`BP_PYTHON_DEPENDENCY_GROUPS`)",
    );
    assert!(app.imports("six"), "{fixture}: six");
    assert!(
        app.imports("typing_extensions"),
        "{fixture}: typing_extensions with dev"
    );

    let without = app.build();
    assert_success(&without);
    assert_contains(
        &without.output,
        "the dependency groups changed (dev to none, from BP_PYTHON_DEPENDENCY_GROUPS)",
    );
    assert!(app.imports("six"), "{fixture}: six");
    assert!(
        !app.imports("typing_extensions"),
        "{fixture}: typing_extensions without dev"
    );
}

// One test per package manager, so that they run in parallel and a failure names it.
#[test]
fn pip_groups() {
    groups_are_installed_when_asked_for_and_removed_when_not(FIXTURES[0].0);
}

#[test]
fn uv_groups() {
    groups_are_installed_when_asked_for_and_removed_when_not(FIXTURES[1].0);
}

#[test]
fn poetry_groups() {
    groups_are_installed_when_asked_for_and_removed_when_not(FIXTURES[2].0);
}

#[test]
fn pdm_groups() {
    groups_are_installed_when_asked_for_and_removed_when_not(FIXTURES[3].0);
}

#[test]
fn pipenv_groups() {
    groups_are_installed_when_asked_for_and_removed_when_not(FIXTURES[4].0);
}

#[test]
fn an_unknown_group_names_the_defined_ones() {
    for (fixture, where_) in FIXTURES {
        let app = TestApp::new(fixture);
        let build = app.build_with(&[(GROUPS, "dev, docs")]);
        assert_failure(&build);
        assert_contains(&build.output, "Unknown dependency group");
        assert_contains(&build.output, "BP_PYTHON_DEPENDENCY_GROUPS asks for `docs`");
        assert_contains(&build.output, where_);
        assert_contains(&build.output, "`dev`.");
    }
}
