//! What the export leaves, as the lifecycle's tar writer and extractor would: modification
//! times (1980-01-01T00:00:01Z in the image and cache, the time of the restore in restored cache
//! layers), hard links (a file of its own per path), and which layers are reused (the same
//! content as the previous image's or cache's).

mod support;

use python_buildpack_runner::{BuildConfig, BuildOutput, LayerKind, Runner, launch};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use support::Fixture;

/// The time the lifecycle's tar writer gives every entry: 1980-01-01T00:00:01Z.
const EXPORT_MTIME: i64 = 315_532_801;

fn buildpack(f: &Fixture, id: &str, build: &str) -> Runner {
    let dir = f.tmp.path().join(format!("bp-{}", id.replace('/', "_")));
    Runner::new([support::write_buildpack(
        &dir,
        id,
        false,
        support::TWO_DETECT,
        build,
    )])
    .unwrap()
}

fn build(f: &Fixture, runner: &Runner, env: &[(&str, &str)]) -> BuildOutput {
    let mut config = BuildConfig::new(&f.app, &f.state);
    for (name, value) in env {
        config = config.env(*name, *value);
    }
    runner.build(&config).unwrap()
}

/// Every entry under `dir` (itself included), with its own (not a symlink target's) mtime.
fn mtimes(dir: &Path) -> Vec<(String, i64)> {
    let mut all = vec![(
        dir.display().to_string(),
        fs::symlink_metadata(dir).unwrap().mtime(),
    )];
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            all.extend(mtimes(&path));
        } else {
            all.push((path.display().to_string(), meta.mtime()));
        }
    }
    all
}

/// `test/times`: a cache layer `cache` (a file `data`, its mtime when written in `data.mtime`,
/// a directory, a symlink), a launch + cache layer `both` and a launch layer `venv`, each kept
/// when restored; in the workspace, a file, a directory and a symlink. It says whether `data`
/// still has the time it recorded, and fails when `FAIL` is set.
const TIMES_BUILD: &str = r#"#!/bin/sh
set -eu
layers="$1"
if [ -f "$layers/cache/data" ]; then
  stat -c %Y "$layers/cache/data" > restored-mtime.txt
  if [ "$(cat "$layers/cache/data.mtime")" = "$(stat -c %.9Y "$layers/cache/data")" ]; then
    echo "times: data is fresh"
  else
    echo "times: data is stale"
  fi
else
  mkdir -p "$layers/cache/sub"
  echo data > "$layers/cache/data"
  stat -c %.9Y "$layers/cache/data" > "$layers/cache/data.mtime"
  ln -s data "$layers/cache/link"
fi
printf '[types]\ncache = true\n' > "$layers/cache.toml"
if [ ! -d "$layers/both" ]; then mkdir -p "$layers/both/sub"; echo both > "$layers/both/sub/file"; fi
printf '[types]\nlaunch = true\ncache = true\n' > "$layers/both.toml"
mkdir -p "$layers/venv/lib"
echo venv > "$layers/venv/lib/mod.py"
ln -sf lib/mod.py "$layers/venv/mod"
printf '[types]\nlaunch = true\n' > "$layers/venv.toml"
mkdir -p built/sub
echo built > built/sub/file
ln -sf sub/file built/link
if [ -n "${FAIL:-}" ]; then exit 1; fi
"#;

#[test]
fn exported_layers_and_the_workspace_carry_the_export_time_and_restored_caches_the_restore_time() {
    let f = Fixture::new();
    let runner = buildpack(&f, "test/times", TIMES_BUILD);
    let out = build(&f, &runner, &[]);
    assert!(out.success, "{}", out.output);
    let layers = f.state.join("layers/test_times");
    for dir in [
        layers.join("cache"),
        layers.join("both"),
        layers.join("venv"),
        f.state.join("workspace"),
    ] {
        let all = mtimes(&dir);
        assert!(all.len() >= 3, "{all:?}");
        for (path, mtime) in all {
            assert_eq!(mtime, EXPORT_MTIME, "{path}");
        }
    }

    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let out = build(&f, &runner, &[]);
    assert!(out.success, "{}", out.output);
    // As with the lifecycle, whose extractor sets no times: the time of the restore, so a
    // file whose time the build recorded is stale.
    let restored: u64 = f
        .workspace_file("restored-mtime.txt")
        .trim()
        .parse()
        .unwrap();
    assert!(restored >= before, "{restored} < {before}");
    assert!(
        out.output.contains("times: data is stale"),
        "{}",
        out.output
    );
}

#[test]
fn launch_after_a_failed_build_shows_the_image_with_the_export_time_again() {
    let f = Fixture::new();
    let runner = buildpack(&f, "test/times", TIMES_BUILD);
    assert!(build(&f, &runner, &[]).success);
    let failed = build(&f, &runner, &[("FAIL", "1")]);
    assert!(!failed.success, "{}", failed.output);
    let both = f.layer_path("test/times", "both/sub/file");
    // The failed build got `both` with the time of the restore...
    assert_ne!(fs::metadata(&both).unwrap().mtime(), EXPORT_MTIME);
    let out = launch(&f.state, None, &["true".into()], &[]).unwrap();
    assert_eq!(out.code(), Some(0), "{out:?}");
    // ...and the image has its own back.
    for dir in [
        f.layer_path("test/times", "both"),
        f.layer_path("test/times", "venv"),
        f.state.join("workspace"),
    ] {
        for (path, mtime) in mtimes(&dir) {
            assert_eq!(mtime, EXPORT_MTIME, "{path}");
        }
    }
    // And the next build gets the cache, restored at its own time.
    let out = build(&f, &runner, &[]);
    assert!(out.success, "{}", out.output);
    assert!(
        out.output.contains("times: data is stale"),
        "{}",
        out.output
    );
    assert!(
        !out.output.contains("Not restoring the cache"),
        "{}",
        out.output
    );
}

/// `test/links`: hard-links a file of its cache layer `cache` into its launch layer `venv`
/// (as uv links its cache into a virtual environment), and into the workspace.
const LINKS_BUILD: &str = r#"#!/bin/sh
set -eu
layers="$1"
mkdir -p "$layers/cache" "$layers/venv/lib"
echo "package" > "$layers/cache/pkg.py"
chmod 640 "$layers/cache/pkg.py"
ln -f "$layers/cache/pkg.py" "$layers/venv/lib/pkg.py"
ln -f "$layers/cache/pkg.py" "$layers/venv/lib/again.py"
ln -f "$layers/cache/pkg.py" linked.py
printf '[types]\ncache = true\n' > "$layers/cache.toml"
printf '[types]\nlaunch = true\n' > "$layers/venv.toml"
"#;

#[test]
fn a_file_hard_linked_between_layers_is_a_file_of_its_own_in_each() {
    let f = Fixture::new();
    let runner = buildpack(&f, "test/links", LINKS_BUILD);
    let out = build(&f, &runner, &[]);
    assert!(out.success, "{}", out.output);
    let paths = [
        f.layer_path("test/links", "cache/pkg.py"),
        f.layer_path("test/links", "venv/lib/pkg.py"),
        f.layer_path("test/links", "venv/lib/again.py"),
        f.state.join("workspace/linked.py"),
    ];
    let metas: Vec<fs::Metadata> = paths.iter().map(|p| fs::metadata(p).unwrap()).collect();
    let mut inodes: Vec<u64> = metas.iter().map(MetadataExt::ino).collect();
    inodes.dedup();
    assert_eq!(inodes.len(), 4, "{paths:?} share inodes");
    for (path, meta) in paths.iter().zip(&metas) {
        assert_eq!(fs::read_to_string(path).unwrap(), "package\n");
        assert_eq!(meta.mode() & 0o777, 0o640, "{}", path.display());
    }
    // The layers' files have one name besides the runner's own backup link; the workspace's
    // has one.
    assert_eq!(
        metas.iter().map(MetadataExt::nlink).collect::<Vec<_>>(),
        [2, 2, 2, 1]
    );
    // What the build wrote is still what the next one gets.
    let out = build(&f, &runner, &[]);
    assert!(out.success, "{}", out.output);
}

/// `test/reuse`: the same layers every build (a launch layer recreated each time, a launch +
/// cache layer and a cache layer kept when restored), no files in the workspace; `CHANGE`
/// changes one byte of one file of the launch layer, `WRITE_APP` rewrites the app's `app.txt`
/// in place (same size).
const REUSE_BUILD: &str = r#"#!/bin/sh
set -eu
layers="$1"
rm -rf "$layers/venv"
mkdir -p "$layers/venv/lib"
printf 'version = 1\n' > "$layers/venv/lib/mod.py"
if [ -n "${CHANGE:-}" ]; then printf 'version = 2\n' > "$layers/venv/lib/mod.py"; fi
ln -s lib/mod.py "$layers/venv/mod"
printf '[types]\nlaunch = true\n' > "$layers/venv.toml"
if [ ! -d "$layers/both" ]; then mkdir -p "$layers/both"; head -c 3000 /dev/zero > "$layers/both/file"; fi
printf '[types]\nlaunch = true\ncache = true\n' > "$layers/both.toml"
if [ ! -d "$layers/deps" ]; then mkdir -p "$layers/deps"; echo deps > "$layers/deps/file"; fi
printf '[types]\ncache = true\n' > "$layers/deps.toml"
if [ -n "${WRITE_APP:-}" ]; then printf 'xyz' > app.txt; fi
"#;

#[test]
fn a_no_op_rebuild_reuses_every_layer_and_a_changed_byte_adds_its_layer() {
    let f = Fixture::new();
    let runner = buildpack(&f, "test/reuse", REUSE_BUILD);
    let first = build(&f, &runner, &[]);
    assert!(first.success, "{}", first.output);
    assert_eq!(first.exported.len(), 5, "{:?}", first.exported);
    assert!(
        first.exported.iter().all(|l| !l.reused),
        "{:?}",
        first.exported
    );
    assert!(
        first.output.contains(
            "Adding layer 'test/reuse:both' (2.9 KiB)\nAdding layer 'test/reuse:venv' (12 B)\n\
             Adding 1/1 app layer(s) (3 B)\nAdding cache layer 'test/reuse:both' (2.9 KiB)\n\
             Adding cache layer 'test/reuse:deps' (5 B)\n"
        ),
        "{}",
        first.output
    );

    let noop = build(&f, &runner, &[]);
    assert!(noop.success, "{}", noop.output);
    assert!(noop.added_layers().is_empty(), "{:?}", noop.exported);
    assert!(
        noop.output.contains(
            "Reusing layer 'test/reuse:both' (2.9 KiB)\nReusing layer 'test/reuse:venv' (12 B)\n\
             Reusing 1/1 app layer(s) (3 B)\nReusing cache layer 'test/reuse:both' (2.9 KiB)\n\
             Reusing cache layer 'test/reuse:deps' (5 B)\n"
        ),
        "{}",
        noop.output
    );

    let changed = build(&f, &runner, &[("CHANGE", "1")]);
    assert!(changed.success, "{}", changed.output);
    let added: Vec<_> = changed
        .added_layers()
        .iter()
        .map(|l| (l.name.as_str(), l.kind))
        .collect();
    assert_eq!(added, [("venv", LayerKind::Launch)], "{}", changed.output);
    assert!(
        changed
            .output
            .contains("Adding layer 'test/reuse:venv' (12 B)"),
        "{}",
        changed.output
    );
    let app = changed.exported_layer("", "app", LayerKind::App).unwrap();
    assert!(app.reused && app.size == 3, "{app:?}");

    // The app layer: one byte of an app file, or a file the build rewrote.
    let app_added = |out: &BuildOutput| {
        assert!(out.success, "{}", out.output);
        let added: Vec<_> = out.added_layers().iter().map(|l| l.kind).collect();
        added == [LayerKind::App]
    };
    fs::write(f.app.join("app.txt"), "apq").unwrap();
    assert!(app_added(&build(&f, &runner, &[("CHANGE", "1")])));
    assert!(!app_added(&build(&f, &runner, &[("CHANGE", "1")])));
    assert!(app_added(&build(
        &f,
        &runner,
        &[("CHANGE", "1"), ("WRITE_APP", "1")]
    )));
    assert!(app_added(&build(&f, &runner, &[("CHANGE", "1")])));
    let again = build(&f, &runner, &[("CHANGE", "1")]);
    assert!(again.added_layers().is_empty(), "{}", again.output);
}
