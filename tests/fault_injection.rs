//! Builds killed at several moments (the buildpack's whole process group, as an OOM kill or a
//! time limit would), on a platform that keeps layers on disk between builds: the next build
//! must not trust anything half-done, and must give exactly what a clean build gives (the same
//! Python and the same installed distributions).

mod support;

use support::{TestApp, assert_contains, assert_failure, assert_success, run_build};

/// Python's version and every installed distribution (`name==version`), as the app image runs.
const IMAGE_CONTENTS: &str = "python -c '
import sys, importlib.metadata as m
print(sys.version.split()[0])
print(sorted(f\"{d.metadata[\"Name\"].lower()}=={d.version}\" for d in m.distributions()))'";

fn clean_build(fixture: &str) -> String {
    let app = TestApp::new(fixture);
    app.build_ok();
    app.run_ok(IMAGE_CONTENTS)
}

/// Kills a fresh build of `fixture` when each of `moments` is printed, then builds again (layers
/// kept) and compares the image with a clean build's.
fn killed_fresh_builds_recover(fixture: &str, moments: &[&str]) {
    let clean = clean_build(fixture);
    for moment in moments {
        let app = TestApp::new(fixture);
        let killed = run_build(&app.config(&[]).keep_layers(true).kill_when(*moment));
        assert_failure(&killed);
        assert_contains(&killed.output, "killed the build on output");
        let next = app.build_keeping_layers(&[]);
        assert_success(&next);
        assert_eq!(
            app.run_ok(IMAGE_CONTENTS),
            clean,
            "after a kill at {moment:?}:\n{}",
            next.output
        );
    }
}

/// Builds `fixture`, then `files` from `other` (killed at `moment`), then `fixture`'s again: the
/// image must be a clean build of `fixture`.
fn killed_update_recovers(fixture: &str, other: &str, files: &[&str], moment: &str) -> String {
    let clean = clean_build(fixture);
    let app = TestApp::new(fixture);
    app.build_keeping_layers(&[]);
    app.copy_from(other, files);
    let killed = run_build(&app.config(&[]).keep_layers(true).kill_when(moment));
    assert_failure(&killed);
    app.copy_from(fixture, files);
    let next = app.build_keeping_layers(&[]);
    assert_success(&next);
    assert_eq!(app.run_ok(IMAGE_CONTENTS), clean, "{}", next.output);
    next.output
}

#[test]
fn uv_builds_killed_at_any_moment_leave_nothing_trusted() {
    killed_fresh_builds_recover(
        "uv_basic",
        &[
            "Downloading in parallel",
            "Installed Python",
            "Creating the virtual environment",
            "Running `uv sync",
            "+ six==1.17.0",
        ],
    );
}

#[test]
fn a_uv_update_killed_midway_is_not_reused() {
    // Killed once uv has installed the new lock's packages, before the build records it: the
    // environment holds the new lock's packages, and the old lock comes back.
    let output = killed_update_recovers(
        "uv_basic",
        "uv_updated",
        &["pyproject.toml", "uv.lock"],
        "+ typing-extensions==4.12.2",
    );
    assert_contains(
        &output,
        "Recreating the virtual environment because an earlier build stopped while updating it",
    );
}

#[test]
fn pip_builds_killed_at_any_moment_leave_nothing_trusted() {
    killed_fresh_builds_recover(
        "pip_pinned",
        &[
            "Downloading in parallel",
            "Installed Python",
            "Creating the virtual environment",
            "Running `pip install",
            "Successfully installed",
        ],
    );
}

#[test]
fn a_pip_update_killed_midway_is_not_reused() {
    // Changed requirements update the environment in place: killed once pip has installed the
    // new ones, and once the buildpack is removing what they no longer need. Either way the
    // environment is neither the old one nor the new one, and the old requirements come back.
    for moment in [
        "Successfully installed",
        "Removing what the requirements no longer need",
    ] {
        let output = killed_update_recovers(
            "pip_update",
            "pip_update_changed",
            &["requirements.txt"],
            moment,
        );
        assert_contains(
            &output,
            "Recreating the virtual environment because an earlier build stopped while updating it",
        );
    }
}
