//! Failure isolation: whatever a failed or killed build did to the layers it was given, the
//! next build gets exactly what the last successful build exported, or nothing (never a mix),
//! and launch runs the last successful build's image or refuses.

mod support;

use python_buildpack_runner::{BuildConfig, BuildOutput, Runner, launch};
use std::fs;
use support::Fixture;

/// `test/iso`: one launch + cache layer `data` (`value` = the app's `VALUE` file, and
/// `bin/show-value`) and a cache-only layer `notes`. It records what it was given in
/// `restored-value.txt` and `restored-files.txt`, then, per the app's `MODE` file: `in-place`
/// rewrites `data/value` in place and fails; `replace` recreates `data` (with an extra file)
/// and fails; `kill` recreates it and waits to be killed.
const ISO_BUILD: &str = r#"#!/bin/sh
set -eu
layers="$1"
cat "$layers/data/value" > restored-value.txt 2>/dev/null || echo none > restored-value.txt
(cd "$layers" && find . | sort) > restored-files.txt
case "$(cat MODE 2>/dev/null || true)" in
  in-place)
    printf 'written in place by a failed build\n' > "$layers/data/value"
    exit 1 ;;
  replace|kill)
    rm -rf "$layers/data"
    mkdir -p "$layers/data"
    echo "from a failed build" > "$layers/data/value"
    echo junk > "$layers/data/extra"
    echo "half way"
    [ "$(cat MODE)" = kill ] && sleep 60
    exit 1 ;;
esac
if [ "$(cat "$layers/data/value" 2>/dev/null || true)" != "$(cat VALUE)" ]; then
  rm -rf "$layers/data"
  mkdir -p "$layers/data/bin"
  cat VALUE > "$layers/data/value"
  printf '#!/bin/sh\ncat %s\n' "$layers/data/value" > "$layers/data/bin/show-value"
  chmod +x "$layers/data/bin/show-value"
fi
printf '[types]\nlaunch = true\ncache = true\n' > "$layers/data.toml"
mkdir -p "$layers/notes"
date +%s%N > "$layers/notes/written"
printf '[types]\ncache = true\n' > "$layers/notes.toml"
"#;

fn setup() -> (Fixture, Runner) {
    let f = Fixture::new();
    let bp = support::write_buildpack(
        &f.tmp.path().join("bp-iso"),
        "test/iso",
        false,
        support::TWO_DETECT,
        ISO_BUILD,
    );
    (f, Runner::new([bp]).unwrap())
}

fn build(f: &Fixture, runner: &Runner, value: &str, mode: Option<&str>) -> BuildOutput {
    fs::write(f.app.join("VALUE"), format!("{value}\n")).unwrap();
    match mode {
        Some(mode) => fs::write(f.app.join("MODE"), mode).unwrap(),
        None => f.app_flag("MODE", false),
    }
    let mut config = BuildConfig::new(&f.app, &f.state);
    if mode == Some("kill") {
        config = config.kill_when("half way");
    }
    runner.build(&config).unwrap()
}

fn shown_value(f: &Fixture) -> Result<String, String> {
    launch(&f.state, None, &["show-value".into()], &[])
        .map(|out| out.stdout)
        .map_err(|e| format!("{e:#}"))
}

/// `next` succeeded and its buildpack found exactly the first (`v1`) build's saved layers.
fn assert_restored_first_build(f: &Fixture, next: &BuildOutput) {
    assert!(next.success, "{}", next.output);
    assert_eq!(f.workspace_file("restored-value.txt"), "v1\n");
    let files = f.workspace_file("restored-files.txt");
    assert!(
        files.contains("./notes/written") && !files.contains("extra"),
        "{files}"
    );
}

#[test]
fn a_build_that_writes_a_saved_file_in_place_and_fails_leaves_no_cache_and_no_image() {
    let (f, runner) = setup();
    assert!(build(&f, &runner, "v1", None).success);
    assert_eq!(shown_value(&f).unwrap(), "v1\n");

    let failed = build(&f, &runner, "v1", Some("in-place"));
    assert!(!failed.success, "{}", failed.output);
    assert_eq!(f.workspace_file("restored-value.txt"), "v1\n");
    // The image shared that file: it is not the last successful build's any more.
    let err = shown_value(&f).unwrap_err();
    assert!(
        err.contains("cannot be launched") && err.contains("'data'"),
        "{err}"
    );

    // Nothing of the cache comes back: not the failed build's bytes, and not the other layer.
    let next = build(&f, &runner, "v3", None);
    assert!(next.success, "{}", next.output);
    assert!(
        next.output
            .contains("Not restoring the cache: layer 'data' was changed"),
        "{}",
        next.output
    );
    assert_eq!(f.workspace_file("restored-value.txt"), "none\n");
    assert!(!f.workspace_file("restored-files.txt").contains("notes"));
    assert_eq!(shown_value(&f).unwrap(), "v3\n");
}

#[test]
fn a_build_that_replaces_a_saved_layer_and_fails_changes_nothing_saved() {
    let (f, runner) = setup();
    assert!(build(&f, &runner, "v1", None).success);
    let failed = build(&f, &runner, "v1", Some("replace"));
    assert!(!failed.success, "{}", failed.output);
    assert_eq!(f.workspace_file("restored-value.txt"), "v1\n");
    // Launch puts the last successful build's layer back, without the failed build's file.
    assert_eq!(shown_value(&f).unwrap(), "v1\n");
    assert!(!f.layer_path("test/iso", "data/extra").exists());

    let next = build(&f, &runner, "v1", None);
    assert_restored_first_build(&f, &next);
}

#[test]
fn a_killed_build_changes_nothing_saved() {
    let (f, runner) = setup();
    assert!(build(&f, &runner, "v1", None).success);
    let killed = build(&f, &runner, "v1", Some("kill"));
    assert!(!killed.success, "{}", killed.output);
    assert!(killed.output.contains("half way"), "{}", killed.output);

    // Without a launch in between: the next build repairs the layers itself.
    let next = build(&f, &runner, "v1", None);
    assert_restored_first_build(&f, &next);
    assert_eq!(shown_value(&f).unwrap(), "v1\n");
}

#[test]
fn a_failed_build_without_the_cache_leaves_the_cache_for_the_next_one() {
    let (f, runner) = setup();
    assert!(build(&f, &runner, "v1", None).success);
    fs::write(f.app.join("MODE"), "replace").unwrap();
    let config = BuildConfig::new(&f.app, &f.state).clear_cache(true);
    let failed = runner.build(&config).unwrap();
    assert!(!failed.success, "{}", failed.output);
    assert_eq!(f.workspace_file("restored-value.txt"), "none\n");

    let next = build(&f, &runner, "v1", None);
    assert_restored_first_build(&f, &next);
    assert_eq!(shown_value(&f).unwrap(), "v1\n");
}
