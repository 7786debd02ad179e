//! CPython runtime layer, end to end through the local platform runner.

mod support;

use python_buildpack_runner::{BuildConfig, Runner};
use std::path::PathBuf;
use support::runtime_server::{ManifestRow, RuntimeSource, runtime_source, to_jsonl};
use support::{
    TestApp, assert_contains, assert_failure, assert_not_contains, assert_success, expected_version,
};

const PRINT_VERSION: &str = "python -c 'import sys; print(sys.version.split()[0])'";

#[test]
fn python_version_file_selects_the_runtime() {
    let app = TestApp::new("python_3_13");
    let version = expected_version("3.13");
    let build = app.build_ok();
    assert_contains(
        &build.output,
        "Requested Python 3.13 (from .python-version)",
    );
    assert_contains(&build.output, &format!("Resolved to Python {version}"));
    assert_contains(&build.output, &format!("Installed Python {version}"));

    assert_eq!(app.run_ok(PRINT_VERSION), version);
    // The interpreter on PATH is the one in the runtime layer, not the host's.
    let prefix = app.run_ok("python -c 'import sys; print(sys.base_prefix)'");
    assert_eq!(PathBuf::from(prefix), app.layer_dir("python"));
    assert_eq!(app.run_ok("echo $PYTHONUNBUFFERED"), "1");
    // The runtime's own (unpinned) pip is not shipped in the image.
    let layers = app.layer_dir("python").parent().unwrap().to_path_buf();
    let pips = app.run_ok("type -ap pip pip3 || true");
    assert!(
        pips.lines()
            .all(|pip| !pip.starts_with(layers.to_str().unwrap())),
        "pip in the image: {pips}"
    );
    assert_ne!(app.run("python -c 'import pip'").code(), Some(0));

    let metadata = app.layer_toml("python");
    assert_eq!(
        metadata["metadata"]["python_version"].as_str(),
        Some(version.as_str())
    );
    assert_eq!(metadata["types"]["launch"].as_bool(), Some(true));
    assert_eq!(metadata["types"]["cache"].as_bool(), Some(true));
}

#[test]
fn rebuild_reuses_the_runtime_and_a_version_change_replaces_it() {
    let app = TestApp::new("python_3_13");
    app.build_ok();

    let rebuild = app.build_ok();
    assert_contains(
        &rebuild.output,
        &format!("Reusing cached Python {}", expected_version("3.13")),
    );
    assert_not_contains(&rebuild.output, "Downloading");

    app.write(".python-version", "3.11\n");
    let changed = app.build_ok();
    assert_contains(
        &changed.output,
        &format!(
            "Discarding the cached Python because the Python version changed ({} to {})",
            expected_version("3.13"),
            expected_version("3.11")
        ),
    );
    assert_contains(&changed.output, "Installed Python");
    assert_eq!(app.run_ok(PRINT_VERSION), expected_version("3.11"));
}

/// A manifest like the one in use, every checksum replaced, written into the app as
/// `tampered.jsonl` (a path relative to the app root).
fn write_tampered_manifest(app: &TestApp) -> String {
    let bad = "0".repeat(64);
    let manifest = to_jsonl(
        runtime_source()
            .manifest_rows()
            .into_iter()
            .map(|row| ManifestRow {
                sha256: bad.clone(),
                ..row
            }),
    );
    app.write("tampered.jsonl", manifest);
    bad
}

#[test]
fn checksum_mismatch_fails_and_leaves_nothing_trusted() {
    let app = TestApp::new("python_3_13");
    let bad = write_tampered_manifest(&app);
    let version = expected_version("3.13");
    let row = runtime_source()
        .manifest_rows()
        .into_iter()
        .find(|row| {
            row.version == version
                && row.arch == support::runtime_server::host_arch()
                && row.variant == "default"
        })
        .unwrap();

    // On a platform that keeps layers on disk: what the failed build leaves is there next time.
    let tampered = [("BP_PYTHON_RUNTIME_MANIFEST", "tampered.jsonl")];
    let failed = app.build_keeping_layers(&tampered);
    assert_failure(&failed);
    assert_contains(&failed.output, "Python download failed its checksum");
    assert_contains(&failed.output, &row.url);
    assert_contains(
        &failed.output,
        &format!("the runtime manifest expects {bad}"),
    );
    assert_contains(&failed.output, &format!("has SHA-256 {}", row.sha256));

    // Nothing of the download is left, and nothing claims to be that runtime: the same build
    // again downloads again (and fails again), it does not take the leftovers for Python.
    let python_layer = app.layer_dir("python");
    assert!(std::fs::read_dir(&python_layer).unwrap().next().is_none());
    assert!(app.layer_toml("python").get("metadata").is_none());
    let again = app.build_keeping_layers(&tampered);
    assert_failure(&again);
    assert_not_contains(&again.output, "Reusing cached Python");
    assert_contains(&again.output, "Python download failed its checksum");

    // With the right checksums the runtime is downloaded and works.
    let next = app.build_keeping_layers(&[]);
    assert_success(&next);
    assert_contains(&next.output, "Installed Python");
    assert_eq!(app.run_ok(PRINT_VERSION), version);
}

#[test]
fn missing_archive_is_a_clear_404() {
    let app = TestApp::new("python_3_13");
    let manifest = to_jsonl(
        runtime_source()
            .manifest_rows()
            .into_iter()
            .map(|row| ManifestRow {
                url: format!("{}-missing.tar.gz", row.url),
                ..row
            }),
    );
    app.write("missing.jsonl", manifest);
    let failed = app.build_with(&[("BP_PYTHON_RUNTIME_MANIFEST", "missing.jsonl")]);
    assert_failure(&failed);
    assert_contains(&failed.output, "Python download not found");
    assert_contains(&failed.output, "-missing.tar.gz does not exist (HTTP 404)");
}

#[test]
fn mirror_replaces_the_download_prefix_and_keeps_checksums() {
    let RuntimeSource::LocalMirror { base_url, .. } = runtime_source() else {
        eprintln!("skipped: needs PYTHON_BUILDPACK_SHARED_DIR (a local mirror)");
        return;
    };
    let app = TestApp::new("python_3_13");
    // A manifest in the built-in shape (python-build-standalone URLs) for the fixture runtimes.
    let manifest = to_jsonl(runtime_source().manifest_rows().into_iter().map(|row| {
        let file = row.url.rsplit('/').next().unwrap().to_string();
        ManifestRow {
            url: format!("https://github.com/astral-sh/python-build-standalone/releases/download/20990101/{file}"),
            ..row
        }
    }));
    app.write("pbs.jsonl", manifest);
    let mirror = format!("{base_url}/pbs-mirror/");
    let build = app.build_with(&[
        ("BP_PYTHON_RUNTIME_MANIFEST", "pbs.jsonl"),
        ("BP_PYTHON_RUNTIME_MIRROR", &mirror),
    ]);
    assert_success(&build);
    assert_contains(
        &build.output,
        &format!("from {base_url}/pbs-mirror/20990101/cpython-"),
    );
    assert_eq!(app.run_ok(PRINT_VERSION), expected_version("3.13"));
}

#[test]
fn invalid_manifest_names_the_line() {
    let app = TestApp::new("python_3_13");
    app.write("broken.jsonl", "{\"version\": \"3.13.5\"}\n");
    let failed = app.build_with(&[("BP_PYTHON_RUNTIME_MANIFEST", "broken.jsonl")]);
    assert_failure(&failed);
    assert_contains(&failed.output, "Invalid runtime manifest");
    assert_contains(&failed.output, "line 1");
}

#[test]
fn unknown_version_lists_the_available_ones() {
    let app = TestApp::new("python_3_13");
    app.write(".python-version", "3.12\n");
    let newest_3_11 = expected_version("3.11");
    app.write(
        "versions.jsonl",
        support::runtime_server::manifest_with_versions(&[&newest_3_11, "3.13.5"]),
    );
    let failed = app.build_with(&[("BP_PYTHON_RUNTIME_MANIFEST", "versions.jsonl")]);
    assert_failure(&failed);
    assert_contains(&failed.output, "Requested Python version not available");
    assert_contains(&failed.output, "`.python-version` asks for Python 3.12");
    assert_contains(&failed.output, "Available Python versions: 3.13, 3.11.");
}

#[test]
fn app_without_python_files_fails_detect() {
    let app = TestApp::new("no_python_files");
    let output = app.build();
    assert_failure(&output);
    assert!(!output.detect_passed);
    assert_contains(
        &output.output,
        "No Python project files found in the app root (looked for requirements.txt, poetry.lock, uv.lock, Pipfile.lock, pdm.lock and",
    );
}

#[test]
fn later_buildpacks_see_python_and_build_env() {
    let app = TestApp::new("python_3_13");
    let printer =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/buildpacks/env_printer");
    let runner = Runner::new(vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")), printer]).unwrap();
    let mut config = BuildConfig::new(app.path(), app.state_dir());
    config.env = support::default_env();
    let build = runner.build(&config).unwrap();
    assert_success(&build);
    let python_layer = app.layer_dir("python");
    assert_contains(
        &build.output,
        &format!(
            // The app's virtual environment comes first on PATH; its python is the runtime's.
            "later-buildpack: python={}/bin/python3 version={}",
            app.layer_dir("venv").display(),
            expected_version("3.13")
        ),
    );
    assert_contains(
        &build.output,
        &format!(
            "later-buildpack: VIRTUAL_ENV={}",
            app.layer_dir("venv").display()
        ),
    );
    assert_contains(
        &build.output,
        "later-buildpack: SOURCE_DATE_EPOCH=315532801",
    );
    let cpath = build
        .output
        .lines()
        .find_map(|line| line.strip_prefix("later-buildpack: CPATH="))
        .unwrap();
    let python_include = python_layer.join("include");
    assert!(
        cpath
            .split(':')
            .any(|dir| python_include == std::path::Path::new(dir)),
        "CPATH {cpath} lacks {}",
        python_include.display()
    );
    assert_contains(
        &build.output,
        &format!(
            "later-buildpack: PKG_CONFIG_PATH={}/lib/pkgconfig",
            python_layer.display()
        ),
    );
}

#[test]
fn manifest_on_a_local_path_reads_archives_beside_it() {
    let RuntimeSource::LocalMirror { dir, .. } = runtime_source() else {
        eprintln!("skipped: needs PYTHON_BUILDPACK_SHARED_DIR (local runtime archives)");
        return;
    };
    let app = TestApp::new("python_3_13");
    let manifest = dir.join("runtimes.jsonl");
    let build = app.build_with(&[("BP_PYTHON_RUNTIME_MANIFEST", manifest.to_str().unwrap())]);
    assert_success(&build);
    assert_contains(&build.output, "Installed Python");
    assert_contains(
        &build.output,
        &format!("from file://{}/cpython-", dir.display()),
    );
    assert_eq!(app.run_ok(PRINT_VERSION), expected_version("3.13"));
}

/// The files under `dir` whose names end with `suffix`.
fn count_files(dir: &std::path::Path, suffix: &str) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let file_type = entry.file_type().unwrap();
        if file_type.is_dir() {
            count += count_files(&entry.path(), suffix);
        } else if entry.file_name().to_string_lossy().ends_with(suffix) {
            count += 1;
        }
    }
    count
}

#[test]
fn the_runtime_keeps_the_bytecode_of_the_level_the_app_runs_with() {
    let app = TestApp::new("pip_pinned");
    app.build_ok();
    let python = app.layer_dir("python");
    let venv = app.layer_dir("venv");
    let minor = &expected_version("3.13")[..4];
    let tag = format!("cpython-{}", minor.replace('.', ""));
    let plain = format!(".{tag}.pyc");
    assert!(count_files(&python, &plain) > 100, "no plain bytecode");
    assert_eq!(count_files(&python, ".opt-1.pyc"), 0);
    assert_eq!(count_files(&python, ".opt-2.pyc"), 0);
    assert_eq!(
        app.run_ok("python -c 'import sys; print(sys.flags.optimize)'"),
        "0"
    );

    // PYTHONOPTIMIZE at build time: the layer is replaced, says why, and keeps `.opt-1.pyc`.
    let build = app.build_with(&[("PYTHONOPTIMIZE", "1")]);
    assert_success(&build);
    assert_contains(
        &build.output,
        "Discarding the cached Python because the bytecode optimization level changed (0 to 1, from PYTHONOPTIMIZE)",
    );
    assert_contains(
        &build.output,
        "Keeping the bytecode of optimization level 1",
    );
    assert!(count_files(&python, ".opt-1.pyc") > 100, "no .opt-1.pyc");
    assert_eq!(count_files(&python, &plain), 0);
    assert_eq!(count_files(&python, ".opt-2.pyc"), 0);
    // The app's dependencies are compiled at the same level, in a new environment.
    assert_contains(
        &build.output,
        "Recreating the virtual environment because the bytecode optimization level changed (0 to 1, from PYTHONOPTIMIZE)",
    );
    assert!(count_files(&venv, ".opt-1.pyc") > 0);
    assert_eq!(count_files(&venv, &plain), 0);
    let json_bytecode = python.join(format!(
        "lib/python{minor}/json/__pycache__/__init__.{tag}.opt-1.pyc"
    ));
    assert!(json_bytecode.is_file());
    // The app runs at that level, from those files.
    assert_eq!(
        app.run_ok("python -c 'import sys, json; print(sys.flags.optimize, json.__cached__)'"),
        format!("1 {}", json_bytecode.display())
    );

    // Back to the default: replaced again.
    let build = app.build_ok();
    assert_contains(
        &build.output,
        "the bytecode optimization level changed (1 to 0, from PYTHONOPTIMIZE)",
    );
    assert_eq!(count_files(&python, ".opt-1.pyc"), 0);
}
