//! Restore and export between builds with fake shell buildpacks.

mod support;

use python_buildpack_runner::{BuildConfig, Runner};
use std::fs;
use support::Fixture;

fn build(f: &Fixture, runner: &Runner) -> python_buildpack_runner::BuildOutput {
    runner.build(&BuildConfig::new(&f.app, &f.state)).unwrap()
}

#[test]
fn rebuild_restores_cache_contents_and_launch_metadata_without_types() {
    let f = Fixture::new();
    let runner = Runner::new([&f.one, &f.two]).unwrap();
    let first = build(&f, &runner);
    assert!(first.success, "{}", first.output);
    assert_eq!(f.workspace_file("one-restored-files.txt"), ".\n");

    let second = build(&f, &runner);
    assert!(second.success, "{}", second.output);
    assert!(
        second.output.contains("one: both restored"),
        "{}",
        second.output
    );
    // What test/one found in its layers dir when its build started.
    let files = f.workspace_file("one-restored-files.txt");
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [
            ".",
            "./both",
            "./both.toml",
            "./both/file",
            "./cached",
            "./cached.toml",
            "./cached/count",
            "./launchonly.sbom.cdx.json",
            "./launchonly.toml",
            "./store.toml",
        ],
        "{files}"
    );
    let tomls = f.workspace_file("one-restored-tomls.txt");
    assert!(!tomls.contains("[types]"), "{tomls}");
    assert!(
        tomls.contains("== cached.toml\n[metadata]\ncount = 1.0\n"),
        "{tomls}"
    );
    assert!(
        tomls.contains("== launchonly.toml\n[metadata]\nversion = \"1\"\n"),
        "{tomls}"
    );
    assert!(
        tomls.contains("== both.toml\n[metadata]\nkind = \"both\"\n"),
        "{tomls}"
    );
    assert!(
        tomls.contains("== store.toml\n[metadata]\nbuilds = 1.0\n"),
        "{tomls}"
    );
    assert_eq!(
        fs::read_to_string(f.layer_path("test/one", "cached/count")).unwrap(),
        "2\n"
    );
    assert!(
        second
            .output
            .contains("Restoring data for \"test/one:cached\" from cache"),
        "{}",
        second.output
    );
    assert!(
        second
            .output
            .contains("Restoring metadata for \"test/one:launchonly\" from app image"),
        "{}",
        second.output
    );
}

#[test]
fn clear_cache_restores_launch_metadata_but_no_cache() {
    let f = Fixture::new();
    let runner = Runner::new([&f.one]).unwrap();
    assert!(build(&f, &runner).success);
    let out = runner
        .build(&BuildConfig::new(&f.app, &f.state).clear_cache(true))
        .unwrap();
    assert!(out.success, "{}", out.output);
    let files = f.workspace_file("one-restored-files.txt");
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [
            ".",
            "./launchonly.sbom.cdx.json",
            "./launchonly.toml",
            "./store.toml"
        ],
        "{files}"
    );
    assert_eq!(
        fs::read_to_string(f.layer_path("test/one", "cached/count")).unwrap(),
        "1\n"
    );
}

#[test]
fn failed_build_exports_nothing_and_the_next_build_restores_the_old_cache() {
    let f = Fixture::new();
    let runner = Runner::new([&f.one]).unwrap();
    assert!(build(&f, &runner).success);
    let image_before =
        fs::read_to_string(f.state.join("image/layers/test_one/store.toml")).unwrap();

    f.app_flag("FAIL_BUILD", true);
    let failed = build(&f, &runner);
    assert!(!failed.success);
    // The failed build saw count 1 and wrote 2, but that must not be saved.
    assert_eq!(
        fs::read_to_string(f.layer_path("test/one", "cached/count")).unwrap(),
        "2\n"
    );
    // The saved cache still describes build 1 (its contents are what the next build gets,
    // checked below; layers are saved in place, so there is no second copy to read here).
    assert!(
        fs::read_to_string(f.state.join("cache/layers/test_one/cached.toml"))
            .unwrap()
            .contains("count = 1\n")
    );
    assert_eq!(
        fs::read_to_string(f.state.join("image/layers/test_one/store.toml")).unwrap(),
        image_before
    );

    // A failed detect does not export either.
    f.app_flag("FAIL_BUILD", false);
    f.app_flag("FAIL_DETECT", true);
    assert!(!build(&f, &runner).detect_passed);

    f.app_flag("FAIL_DETECT", false);
    let next = build(&f, &runner);
    assert!(next.success, "{}", next.output);
    let tomls = f.workspace_file("one-restored-tomls.txt");
    assert!(
        tomls.contains("== cached.toml\n[metadata]\ncount = 1.0\n"),
        "{tomls}"
    );
    assert_eq!(
        fs::read_to_string(f.layer_path("test/one", "cached/count")).unwrap(),
        "2\n"
    );
}

#[test]
fn launch_layer_left_as_metadata_only_reuses_the_previous_image_layer() {
    let f = Fixture::new();
    let runner = Runner::new([&f.one]).unwrap();
    assert!(build(&f, &runner).success);
    f.app_flag("REUSE", true);
    // Build 2 keeps `launchonly` as a toml only: its contents come from build 1's image.
    let out = build(&f, &runner);
    assert!(out.success, "{}", out.output);
    assert!(
        out.output
            .contains("one: keeping launchonly from the previous image"),
        "{}",
        out.output
    );
    assert!(
        out.output.contains("Reusing layer 'test/one:launchonly'"),
        "{}",
        out.output
    );
    // `both` has the same contents as in build 1: the lifecycle reuses it.
    assert!(
        out.output.contains("Reusing layer 'test/one:both' (5 B)"),
        "{}",
        out.output
    );
    assert!(
        out.output
            .contains("Adding cache layer 'test/one:cached' (2 B)"),
        "{}",
        out.output
    );
    let hello = f.layer_path("test/one", "launchonly/bin/hello");
    assert!(
        fs::read_to_string(&hello)
            .unwrap()
            .contains("hello from build 1")
    );
    assert!(
        f.layer_path("test/one", "launchonly.sbom.cdx.json")
            .is_file()
    );
    assert!(
        f.state
            .join("image/layers/test_one/launchonly/bin/hello")
            .is_file()
    );
    assert!(
        f.state
            .join("image/layers/test_one/launchonly.sbom.cdx.json")
            .is_file()
    );
    // A build-only layer is in neither the image nor the cache.
    assert!(!f.state.join("image/layers/test_one/buildonly").exists());
    assert!(!f.state.join("cache/layers/test_one/buildonly").exists());
    assert!(!f.state.join("image/layers/test_one/cached").exists());
}

#[test]
fn launch_layer_without_contents_and_nothing_to_reuse_fails_the_export() {
    let f = Fixture::new();
    let bp = support::write_buildpack(
        &f.tmp.path().join("bp-bad"),
        "test/bad",
        false,
        support::TWO_DETECT,
        "#!/bin/sh\nprintf '[types]\\nlaunch = true\\n' > \"$1/ghost.toml\"\n",
    );
    let runner = Runner::new([&bp]).unwrap();
    let out = build(&f, &runner);
    assert!(!out.success);
    assert_eq!(
        out.failed_phase,
        Some(python_buildpack_runner::Phase::Export)
    );
    assert!(
        out.output
            .contains("ERROR: failed to export: cannot reuse 'test/bad:ghost'"),
        "{}",
        out.output
    );
    assert!(!f.state.join("image").exists());
}

/// `test/meta`: copies the tomls it was given to `restored-<name>` in the workspace, then writes
/// metadata with integers, a float, datetimes and nested tables and arrays for a cache layer
/// (`data`), a launch-only layer (`shown`) and `store.toml`.
const META_BUILD: &str = r#"#!/bin/sh
set -eu
layers="$1"
for name in data shown store; do
  if [ -f "$layers/$name.toml" ]; then cp "$layers/$name.toml" "restored-$name.toml"; fi
done
metadata='count = 1
float = 1.5
name = "x"
yes = true
when = 1979-05-27T07:32:00Z
offset = 1979-05-27T00:32:00.5-07:00
day = 1979-05-27

[metadata.nested]
list = [1, [2, "two"]]

[[metadata.nested.entries]]
n = 3'
mkdir -p "$layers/data" "$layers/shown"
echo data > "$layers/data/file"
echo shown > "$layers/shown/file"
printf '[types]\ncache = true\n\n[metadata]\n%s\n' "$metadata" > "$layers/data.toml"
printf '[types]\nlaunch = true\n\n[metadata]\n%s\n' "$metadata" > "$layers/shown.toml"
printf '[metadata]\n%s\n' "$metadata" > "$layers/store.toml"
"#;

#[test]
fn restored_metadata_has_every_number_as_a_float_and_datetimes_as_strings() {
    let f = Fixture::new();
    let bp = support::write_buildpack(
        &f.tmp.path().join("bp-meta"),
        "test/meta",
        false,
        support::TWO_DETECT,
        META_BUILD,
    );
    let runner = Runner::new([bp]).unwrap();
    assert!(build(&f, &runner).success);
    let out = build(&f, &runner);
    assert!(out.success, "{}", out.output);
    let expected: toml::Table = toml::from_str(
        r#"
        [metadata]
        count = 1.0
        float = 1.5
        name = "x"
        yes = true
        when = "1979-05-27T07:32:00Z"
        offset = "1979-05-27T00:32:00.5-07:00"
        day = "1979-05-27T00:00:00Z"

        [metadata.nested]
        list = [1.0, [2.0, "two"]]

        [[metadata.nested.entries]]
        n = 3.0
        "#,
    )
    .unwrap();
    for name in ["data", "shown", "store"] {
        let text = f.workspace_file(&format!("restored-{name}.toml"));
        let restored: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(restored, expected, "{name}.toml:\n{text}");
        assert!(text.contains("count = 1.0\n"), "{name}.toml:\n{text}");
    }
}

/// `test/strict`: per the app's `MODE` file, `empty-both` declares a launch + cache layer
/// `both` without its directory (after a build that made it), `empty-cache` a cache-only layer
/// `notes` without its directory.
const STRICT_BUILD: &str = r#"#!/bin/sh
set -eu
layers="$1"
mode="$(cat MODE 2>/dev/null || true)"
rm -rf "$layers/both" "$layers/notes"
if [ "$mode" != empty-both ]; then mkdir -p "$layers/both"; echo both > "$layers/both/file"; fi
printf '[types]\nlaunch = true\ncache = true\n' > "$layers/both.toml"
if [ "$mode" != empty-cache ]; then mkdir -p "$layers/notes"; echo notes > "$layers/notes/file"; fi
printf '[types]\ncache = true\n' > "$layers/notes.toml"
"#;

#[test]
fn layers_declared_cache_true_without_contents_fail_the_export_or_are_not_cached() {
    let f = Fixture::new();
    let bp = support::write_buildpack(
        &f.tmp.path().join("bp-strict"),
        "test/strict",
        false,
        support::TWO_DETECT,
        STRICT_BUILD,
    );
    let runner = Runner::new([bp]).unwrap();
    assert!(build(&f, &runner).success);

    fs::write(f.app.join("MODE"), "empty-cache").unwrap();
    let out = build(&f, &runner);
    assert!(out.success, "{}", out.output);
    assert!(
        out.output.contains(
            "Warning: Failed to cache layer 'test/strict:notes' because it has no contents"
        ),
        "{}",
        out.output
    );
    assert!(!f.state.join("cache/layers/test_strict/notes.toml").exists());

    // Even though the previous image has `both`, the lifecycle does not reuse a cache=true
    // layer: the export fails.
    fs::write(f.app.join("MODE"), "empty-both").unwrap();
    let out = build(&f, &runner);
    assert_eq!(
        out.failed_phase,
        Some(python_buildpack_runner::Phase::Export),
        "{}",
        out.output
    );
    assert!(
        out.output.contains(
            "ERROR: failed to export: layer 'test/strict:both' is cache=true but has no contents"
        ),
        "{}",
        out.output
    );
}
