//! The scenarios every lock-based package manager (uv, Poetry, Pipenv, PDM) shares, one row per
//! manager: a fresh install (importable at launch, the tool left out of the image), a no-op
//! rebuild that reuses the environment, an in-place update after the lock changes, a Python
//! change that recreates the environment, then an out-of-date lock and a missing lock failing
//! with that manager's fix. The steps build on each other in one test per manager, so that each
//! costs one build. Manager-specific behaviour stays in `uv.rs`, `poetry.rs` and `pipenv.rs`.

mod support;

use support::{
    TestApp, assert_contains, assert_not_contains, expected_version, pinned_tool_version,
};

/// One lock-based package manager. Its `fixture` has six in production and typing-extensions in
/// a `dev` group; `updated` drops six and has typing-extensions in production.
struct Manager {
    /// As the output names it.
    name: &'static str,
    /// Its command, Python module, layer and `requirements/<tool>.txt`.
    tool: &'static str,
    fixture: &'static str,
    updated: &'static str,
    manifest: &'static str,
    lock: &'static str,
    /// How the output announces a fresh install of the tool: "Installed" or "Installing".
    installs_tool: &'static str,
    /// Output of a fresh install besides the shared lines.
    installs: &'static [&'static str],
    /// What a fresh install does not print.
    not_on_fresh_install: &'static [&'static str],
    /// Output of the in-place update besides the shared lines.
    updates: &'static [&'static str],
    /// Whether the tool layer is reused when the Python version changes.
    tool_outlives_python: bool,
    /// Whether a fresh install leaves downloads in the `<tool>-cache` layer.
    fills_cache: bool,
    /// The headline of the missing-lock error, and the fixes it lists, in this order.
    missing_lock: (&'static str, &'static [&'static str]),
}

const UV: Manager = Manager {
    name: "uv",
    tool: "uv",
    fixture: "uv_basic",
    updated: "uv_updated",
    manifest: "pyproject.toml",
    lock: "uv.lock",
    installs_tool: "Installed",
    installs: &[
        "Running `uv sync --locked --no-default-groups`",
        "+ six==1.17.0",
    ],
    // uv used the buildpack's Python, and did not look for or download another.
    not_on_fresh_install: &["Downloading cpython"],
    updates: &["- six==1.17.0", "+ typing-extensions==4.12.2"],
    // uv is one static binary: it does not depend on the Python version.
    tool_outlives_python: true,
    fills_cache: true,
    missing_lock: (
        "No lock file for the project",
        &[
            "- uv.lock: run `uv lock`",
            "- requirements.txt: run `pip freeze > requirements.txt` in the app's virtual environment, or list the dependencies in it",
            "- poetry.lock: run `poetry lock`",
            "- Pipfile.lock: run `pipenv lock` (with a Pipfile)",
            "- pdm.lock: run `pdm lock`",
        ],
    ),
};

const POETRY: Manager = Manager {
    name: "Poetry",
    tool: "poetry",
    fixture: "poetry_basic",
    updated: "poetry_updated",
    manifest: "pyproject.toml",
    lock: "poetry.lock",
    installs_tool: "Installing",
    installs: &[
        "Running `poetry sync --only main --no-root --no-interaction --no-ansi --compile`",
        "Installing six (1.17.0)",
    ],
    not_on_fresh_install: &[],
    updates: &["Removing six (1.17.0)"],
    tool_outlives_python: false,
    fills_cache: true,
    missing_lock: (
        "Missing poetry.lock",
        &[
            "- poetry.lock: run `poetry lock`",
            "- uv.lock: run `uv lock`",
            "- requirements.txt: run `pip freeze > requirements.txt`",
        ],
    ),
};

const PIPENV: Manager = Manager {
    name: "Pipenv",
    tool: "pipenv",
    fixture: "pipenv_basic",
    updated: "pipenv_updated",
    manifest: "Pipfile",
    lock: "Pipfile.lock",
    installs_tool: "Installing",
    installs: &["Running `pipenv install --deploy`"],
    // A new environment has nothing to clean.
    not_on_fresh_install: &["pipenv clean"],
    updates: &["Running `pipenv clean`", "Uninstalling six"],
    tool_outlives_python: false,
    // Pipenv fetches a lock's wheels itself, in parallel, into a temporary `--find-links` folder
    // that its pip installs from: nothing reaches PIPENV_CACHE_DIR.
    fills_cache: false,
    missing_lock: (
        "Missing Pipfile.lock",
        &[
            "- Pipfile.lock: run `pipenv lock` (with a Pipfile)",
            "- requirements.txt",
        ],
    ),
};

const PDM: Manager = Manager {
    name: "PDM",
    tool: "pdm",
    fixture: "pdm_basic",
    updated: "pdm_updated",
    manifest: "pyproject.toml",
    lock: "pdm.lock",
    installs_tool: "Installing",
    installs: &[
        "Running `pdm lock --check`",
        "Running `pdm sync --prod --no-editable --clean-unselected --fail-fast`",
    ],
    not_on_fresh_install: &[],
    updates: &[],
    tool_outlives_python: false,
    fills_cache: true,
    missing_lock: (
        "Missing pdm.lock",
        &["- pdm.lock: run `pdm lock`", "- uv.lock: run `uv lock`"],
    ),
};

#[test]
fn uv() {
    lock_lifecycle(&UV);
}

#[test]
fn poetry() {
    lock_lifecycle(&POETRY);
}

#[test]
fn pipenv() {
    lock_lifecycle(&PIPENV);
}

#[test]
fn pdm() {
    lock_lifecycle(&PDM);
}

/// Every shared scenario, in the order where each starts from what the previous one left.
fn lock_lifecycle(manager: &Manager) {
    let app = TestApp::new(manager.fixture);
    let version = pinned_tool_version(manager.tool);
    fresh_install(&app, manager, &version);
    no_op_rebuild(&app, manager, &version);
    in_place_update(&app, manager, &version);
    python_change(&app, manager, &version);
    out_of_date_lock(&app, manager);
    missing_lock(&app, manager);
}

const SIX_VERSION: &str = "python -c 'import six; print(six.__version__)'";

/// The manifest and the lock, in the order the output lists them.
fn files(manager: &Manager) -> [&'static str; 2] {
    let mut files = [manager.manifest, manager.lock];
    files.sort_unstable();
    files
}

fn fresh_install(app: &TestApp, manager: &Manager, version: &str) {
    let build = app.build_ok();
    assert_contains(&build.output, &format!("- Dependencies ({})", manager.name));
    assert_contains(&build.output, "Creating the virtual environment");
    assert_contains(
        &build.output,
        &format!("{} {} {version}", manager.installs_tool, manager.name),
    );
    for line in manager.installs {
        assert_contains(&build.output, line);
    }
    for line in manager.not_on_fresh_install {
        assert_not_contains(&build.output, line);
    }

    assert_eq!(app.run_ok(SIX_VERSION), "1.17.0");
    // Every compiled file in the image and the cache (the tool's included) is valid after the
    // export; the app starts without compiling anything.
    app.assert_bytecode_valid(500);
    app.assert_boot_writes_nothing(&["six"]);
    // The dev group is not installed.
    assert!(!app.imports("typing_extensions"));
    // Bytecode is compiled at build time.
    let site_packages = app.layer_dir("venv").join(format!(
        "lib/python{}/site-packages",
        &expected_version("3.13")[..4]
    ));
    assert!(
        std::fs::read_dir(site_packages.join("__pycache__"))
            .unwrap()
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("six.")),
        "no bytecode for six"
    );
    // The SBOM of the environment has the artifact hashes that the lock pins.
    let sbom = std::fs::read_to_string(app.layer_dir("venv").with_file_name("venv.sbom.cdx.json"))
        .unwrap();
    assert_contains(&sbom, "pkg:pypi/six@1.17.0");
    assert_contains(
        &sbom,
        "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274",
    );
    // The tool used the buildpack's virtual environment, not one of its own in the app.
    assert_ne!(app.run("test -e .venv").code(), Some(0));
    // The tool is in neither the app image nor the app's environment.
    assert_ne!(
        app.run(&format!("command -v {}", manager.tool)).code(),
        Some(0)
    );
    assert!(!app.imports(manager.tool));
    let image_layers = app.state_dir().join("image/layers/heroku_python");
    let cache = format!("{}-cache", manager.tool);
    for layer in [manager.tool, &cache] {
        assert!(
            !image_layers.join(layer).exists(),
            "{layer} is in the image"
        );
    }
    if manager.fills_cache {
        assert!(
            std::fs::read_dir(app.layer_dir(&cache))
                .unwrap()
                .next()
                .is_some(),
            "{cache} is empty"
        );
    }
}

fn no_op_rebuild(app: &TestApp, manager: &Manager, version: &str) {
    let start = std::time::Instant::now();
    let build = app.build_ok();
    let elapsed = start.elapsed();
    let [first, second] = files(manager);
    assert_contains(
        &build.output,
        &format!(
            "Reusing the virtual environment: {first}, {second}, Python {} and {} {version} unchanged",
            expected_version("3.13"),
            manager.name
        ),
    );
    assert_not_contains(&build.output, &format!("Running `{}", manager.tool));
    assert_not_contains(
        &build.output,
        &format!("{} {}", manager.installs_tool, manager.name),
    );
    assert_eq!(app.run_ok(SIX_VERSION), "1.17.0");
    // What the lifecycle exports is what the previous build exported: nothing to upload.
    let cache = format!("{}-cache", manager.tool);
    support::assert_every_layer_reused(&build, &["python", "venv", manager.tool, &cache]);
    eprintln!("{}: no-op rebuild took {elapsed:?}", manager.name);
}

/// six is dropped from the lock, typing-extensions added.
fn in_place_update(app: &TestApp, manager: &Manager, version: &str) {
    app.copy_from(manager.updated, &[manager.manifest, manager.lock]);
    let build = app.build_ok();
    let [first, second] = files(manager);
    assert_contains(
        &build.output,
        &format!("Updating the virtual environment because {first} and {second} changed"),
    );
    assert_contains(
        &build.output,
        &format!("Using cached {} {version}", manager.name),
    );
    for line in manager.updates {
        assert_contains(&build.output, line);
    }
    assert!(!app.imports("six"));
    assert!(app.imports("typing_extensions"));
    // The tool ran again from its restored layer: what it compiled then is valid too.
    app.assert_bytecode_valid(500);
}

fn python_change(app: &TestApp, manager: &Manager, version: &str) {
    app.write(".python-version", "3.11\n");
    let build = app.build_ok();
    let (old, new) = (expected_version("3.13"), expected_version("3.11"));
    assert_contains(
        &build.output,
        &format!(
            "Recreating the virtual environment because the Python version changed ({old} to {new})"
        ),
    );
    if manager.tool_outlives_python {
        assert_contains(
            &build.output,
            &format!("Using cached {} {version}", manager.name),
        );
    }
    assert_eq!(
        app.run_ok("python -c 'import sys, typing_extensions; print(sys.version.split()[0])'"),
        new
    );
}

/// The manifest asks for another version than the lock has.
fn out_of_date_lock(app: &TestApp, manager: &Manager) {
    let manifest = std::fs::read_to_string(app.path().join(manager.manifest)).unwrap();
    assert!(manifest.contains("==4.12.2"), "{}", manager.manifest);
    app.write(manager.manifest, manifest.replace("==4.12.2", "==4.12.1"));
    let build = app.build_failing();
    let lock = manager.lock;
    assert_contains(&build.output, &format!("{lock} is out of date"));
    assert_contains(
        &build.output,
        &format!("Run `{} lock`, commit the updated {lock}", manager.tool),
    );
}

/// The manifest without a lock: the error names the command that creates one.
fn missing_lock(app: &TestApp, manager: &Manager) {
    app.remove(manager.lock);
    let build = app.build_failing();
    let (headline, fixes) = manager.missing_lock;
    assert_contains(&build.output, headline);
    // In this order, each on its own line.
    let mut from = 0;
    for line in fixes {
        assert_contains(&build.output, line);
        let at = build.output[from..]
            .find(line)
            .unwrap_or_else(|| panic!("`{line}` is out of order in:\n{}", build.output));
        from += at + line.len();
    }
}
