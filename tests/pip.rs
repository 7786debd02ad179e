//! Installing requirements.txt with pip into the `venv` layer, end to end through the local
//! platform runner: what ends up in the app image, when a cached virtual environment is reused or
//! recreated, the requirements file syntax pip supports, and private index credentials. The
//! error messages are in `pip_errors.rs`.

mod support;

use std::path::{Path, PathBuf};
use support::private_index::PrivateIndex;
use support::{TestApp, assert_contains, assert_failure, assert_not_contains, expected_version};

const IMPORT_BOTH: &str = "python -c 'import six, typing_extensions; print(six.__file__)'";
const SIX_VERSION: &str = "python -c 'import six; print(six.__version__)'";
const PYTHON_VERSION: &str = "python -c 'import sys; print(sys.version.split()[0])'";

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let file_type = entry.file_type().unwrap();
            if file_type.is_dir() {
                stack.push(entry.path());
            } else if file_type.is_file() {
                let bytes = std::fs::read(entry.path()).unwrap();
                if bytes
                    .windows(needle.len())
                    .any(|window| window == needle.as_bytes())
                {
                    found.push(entry.path());
                }
            }
        }
    }
    found
}

#[test]
fn pinned_requirements_install_into_the_venv_and_a_rebuild_reuses_it() {
    let app = TestApp::new("pip_pinned");
    let build = app.build_ok();
    assert_contains(&build.output, "- Dependencies (pip)");
    assert_contains(&build.output, "Creating the virtual environment");
    assert_contains(&build.output, "Installed pip 26.3");
    assert_contains(&build.output, "Running `pip install -r requirements.txt`");
    assert_contains(
        &build.output,
        "Successfully installed six-1.16.0 typing-extensions-4.12.2",
    );

    // The packages come from the venv layer, run by the runtime's Python.
    let venv = app.layer_dir("venv");
    let six_file = PathBuf::from(app.run_ok(IMPORT_BOTH));
    assert!(
        six_file.starts_with(&venv),
        "six imported from {}, not from the venv layer {}",
        six_file.display(),
        venv.display()
    );
    assert_eq!(
        PathBuf::from(app.run_ok("python -c 'import sys; print(sys.base_prefix)'")),
        app.layer_dir("python")
    );
    assert_eq!(
        PathBuf::from(app.run_ok("python -c 'import sys; print(sys.prefix)'")),
        venv
    );
    assert_eq!(PathBuf::from(app.run_ok("echo $VIRTUAL_ENV")), venv);
    assert_eq!(
        PathBuf::from(app.run_ok("command -v python")),
        venv.join("bin/python")
    );

    // pip only installs: it is in neither the app's Python nor the image's PATH. (The launch
    // PATH of the local runner ends with the system directories, which may have a pip of the
    // host's, so only the layers' dirs are checked.)
    let no_pip = app.run("python -c 'import pip'");
    assert_ne!(no_pip.code(), Some(0), "pip is importable at launch");
    assert_contains(&no_pip.stderr, "No module named 'pip'");
    let runtime_python = app.layer_dir("python").join("bin/python3");
    let runtime_pip = app.run(&format!("{} -c 'import pip'", runtime_python.display()));
    assert_ne!(
        runtime_pip.code(),
        Some(0),
        "the runtime's own Python has pip in the image"
    );
    let layers = app.state_dir().join("layers");
    let pips = app.run_ok("type -ap pip pip3 pip3.13 || true");
    for pip in pips.lines() {
        assert!(
            !Path::new(pip).starts_with(&layers),
            "a pip executable is on PATH at launch: {pip} (all found: {pips})"
        );
    }
    // pip's layer is for this buildpack only: not in the image, nor in later buildpacks' env.
    let pip_layer = app.layer_toml("pip");
    assert_eq!(pip_layer["types"]["launch"].as_bool(), Some(false));
    assert_eq!(pip_layer["types"]["build"].as_bool(), Some(false));
    assert_eq!(pip_layer["types"]["cache"].as_bool(), Some(true));

    let venv_layer = app.layer_toml("venv");
    assert_eq!(venv_layer["types"]["launch"].as_bool(), Some(true));
    assert_eq!(
        venv_layer["metadata"]["python_version"].as_str(),
        Some(expected_version("3.13").as_str())
    );
    // The same metadata fields as every package manager's environment.
    assert_eq!(
        venv_layer["metadata"]["package_manager"].as_str(),
        Some("pip")
    );
    assert_eq!(
        venv_layer["metadata"]["tool_version"].as_str(),
        Some("26.3")
    );

    // Every compiled file in the image and the cache is valid after the export; the app starts
    // without compiling anything.
    app.assert_bytecode_valid(500);
    app.assert_boot_writes_nothing(&["six", "typing_extensions"]);

    // Nothing changed: reused as it is, without running pip.
    let rebuild = app.build_ok();
    assert_contains(
        &rebuild.output,
        "Reusing the virtual environment: requirements and Python unchanged",
    );
    assert_not_contains(&rebuild.output, "Running `pip install");
    assert_not_contains(&rebuild.output, "Installed pip");
    assert_contains(&rebuild.output, "Using cached pip 26.3");
    assert_eq!(PathBuf::from(app.run_ok(IMPORT_BOTH)), six_file);
    support::assert_every_layer_reused(&rebuild, &["python", "venv", "pip", "pip-cache"]);
}

#[test]
fn removing_a_requirement_removes_it_in_place() {
    let app = TestApp::new("pip_pinned");
    app.build_ok();
    assert!(app.imports("typing_extensions"));

    app.write("requirements.txt", "six==1.16.0\n");
    let rebuild = app.build_ok();
    assert_contains(
        &rebuild.output,
        "Updating the virtual environment because requirements.txt changed",
    );
    assert_contains(&rebuild.output, "Using cached pip 26.3");
    assert_contains(
        &rebuild.output,
        "Requirement already satisfied: six==1.16.0",
    );
    assert_contains(
        &rebuild.output,
        "Removing what the requirements no longer need: typing_extensions",
    );
    assert!(app.imports("six"));
    assert!(
        !app.imports("typing_extensions"),
        "the removed package is still installed"
    );
    // pip ran again from its restored layer: what it compiled then is valid too.
    app.assert_bytecode_valid(500);
}

#[test]
fn python_version_change_recreates_the_venv_for_the_new_python() {
    let app = TestApp::new("pip_pinned");
    app.build_ok();

    app.write(".python-version", "3.11\n");
    let rebuild = app.build_ok();
    assert_contains(
        &rebuild.output,
        &format!(
            "Recreating the virtual environment because the Python version changed ({} to {})",
            expected_version("3.13"),
            expected_version("3.11")
        ),
    );
    // pip's own layer does not depend on the Python version: it stays.
    assert_contains(&rebuild.output, "Using cached pip 26.3");
    assert_contains(&rebuild.output, "Running `pip install -r requirements.txt`");
    assert_eq!(app.run_ok(PYTHON_VERSION), expected_version("3.11"));
    let six_file = PathBuf::from(app.run_ok(IMPORT_BOTH));
    assert!(
        six_file.starts_with(app.layer_dir("venv").join("lib/python3.11/site-packages")),
        "six imported from {}",
        six_file.display()
    );
}

#[test]
fn unpinned_requirements_recreate_the_venv_on_every_build() {
    let app = TestApp::new("pip_unpinned");
    let build = app.build_ok();
    assert_contains(&build.output, "Creating the virtual environment");
    assert!(app.imports("six"));

    for _ in 0..2 {
        let rebuild = app.build_ok();
        assert_contains(
            &rebuild.output,
            "Recreating the virtual environment because requirements are not all pinned (six>=1.15)",
        );
        assert_contains(&rebuild.output, "Running `pip install -r requirements.txt`");
        assert_not_contains(&rebuild.output, "Reusing the virtual environment");
        assert_ne!(app.run_ok(IMPORT_BOTH), "");
    }
}

#[test]
fn includes_constraints_and_editable_local_packages_install() {
    let app = TestApp::new("pip_editable");
    let build = app.build_ok();
    assert_contains(&build.output, "Obtaining file://");
    assert_contains(
        &build.output,
        "Successfully installed localpkg-0.1.0 six-1.16.0 typing-extensions-4.12.2",
    );
    assert_eq!(
        app.run_ok("python -c 'import localpkg; print(localpkg.GREETING)'"),
        "hello from localpkg"
    );
    // Editable: imported from the app's source, not copied into the venv.
    assert_eq!(
        app.run_ok("python -c 'import localpkg, os; print(os.path.relpath(localpkg.__file__))'"),
        "localpkg/src/localpkg/__init__.py"
    );
    // six is unpinned in requirements/base.txt but pinned by constraints.txt (`-c`).
    assert_eq!(app.run_ok(SIX_VERSION), "1.16.0");

    // A change to an included file is seen; only the editable package counts as unpinned.
    app.write("requirements/base.txt", "six\n");
    let rebuild = app.build_ok();
    assert_contains(
        &rebuild.output,
        "Recreating the virtual environment because requirements/base.txt changed, and requirements are not all pinned (-e ./localpkg)",
    );
    assert!(app.imports("localpkg"));
    assert!(
        !app.imports("typing_extensions"),
        "typing-extensions was removed from requirements/base.txt"
    );
}

#[test]
fn variables_in_requirements_come_from_the_build_env() {
    let app = TestApp::new("pip_pinned");
    app.write(
        "requirements.txt",
        "six==${SIX_VERSION}\ntyping-extensions==4.12.2\n",
    );
    support::assert_success(&app.build_with(&[("SIX_VERSION", "1.16.0")]));
    assert_eq!(app.run_ok(SIX_VERSION), "1.16.0");
    let metadata = app.layer_toml("venv");
    let names = metadata["metadata"]["env_names"].as_array().unwrap();
    assert!(
        names
            .iter()
            .any(|name| name.as_str() == Some("SIX_VERSION")),
        "SIX_VERSION is not an input of the venv: {names:?}"
    );

    // The same value: still pinned, reused.
    let same = app.build_with(&[("SIX_VERSION", "1.16.0")]);
    support::assert_success(&same);
    assert_contains(&same.output, "Reusing the virtual environment");

    let changed = app.build_with(&[("SIX_VERSION", "1.15.0")]);
    support::assert_success(&changed);
    assert_contains(
        &changed.output,
        "Recreating the virtual environment because the settings of pip changed (SIX_VERSION)",
    );
    assert_contains(&changed.output, "Successfully installed six-1.15.0");
    assert_eq!(app.run_ok(SIX_VERSION), "1.15.0");
}

#[test]
fn hashes_and_direct_urls_install_and_are_reused() {
    let app = TestApp::new("pip_hashes");
    let requirements = std::fs::read_to_string(app.path().join("requirements.txt")).unwrap();
    app.write(
        "requirements.txt",
        format!("--require-hashes\n{requirements}"),
    );
    let build = app.build_ok();
    assert_contains(
        &build.output,
        "Collecting typing-extensions @ https://files.pythonhosted.org/packages/",
    );
    assert_contains(
        &build.output,
        "Successfully installed six-1.16.0 typing-extensions-4.12.2",
    );
    assert_eq!(app.run_ok(SIX_VERSION), "1.16.0");
    assert_eq!(
        app.run_ok("python -c 'import typing_extensions, importlib.metadata as m; print(m.version(\"typing-extensions\"))'"),
        "4.12.2"
    );

    // A hashed direct URL to a wheel installs the same thing every time: reused.
    let rebuild = app.build_ok();
    assert_contains(&rebuild.output, "Reusing the virtual environment");
    assert_not_contains(&rebuild.output, "Running `pip install");
}

const PRIVATE_TOKEN: &str = "cnb-s3cr3t-token-8d1f05";

fn private_index() -> PrivateIndex {
    PrivateIndex::fixture(PRIVATE_TOKEN)
}

#[test]
fn private_index_credentials_are_used_and_never_shown() {
    let index = private_index();
    let app = TestApp::new("pip_private_index");
    let port = index.port.to_string();
    let build = app.build_with(&[
        ("PRIVATE_INDEX_TOKEN", PRIVATE_TOKEN),
        ("PRIVATE_INDEX_PORT", &port),
    ]);
    support::assert_success(&build);
    assert_eq!(
        app.run_ok("python -c 'import cnb_test_private_pkg as p; print(p.MESSAGE)'"),
        "installed from the private index"
    );
    assert!(
        index.requests().iter().any(|request| request.authorized
            && request.status == 200
            && request
                .path
                .ends_with("cnb_test_private_pkg-1.0.0-py3-none-any.whl")),
        "the wheel was not downloaded from the private index with credentials: {:?}",
        index.requests()
    );

    // pip's own output (`Looking in indexes: …`) included: only the redacted URL is shown.
    assert_not_contains(&build.output, PRIVATE_TOKEN);
    assert_contains(
        &build.output,
        &format!(
            "Looking in indexes: https://pypi.org/simple, http://***@127.0.0.1:{port}/simple/"
        ),
    );
    let metadata = std::fs::read_to_string(app.layer_dir("venv").with_extension("toml")).unwrap();
    assert_not_contains(&metadata, PRIVATE_TOKEN);
    assert_eq!(
        files_containing(&app.layer_dir("venv"), PRIVATE_TOKEN),
        Vec::<PathBuf>::new(),
        "the token is in files of the app image's venv layer"
    );
}

#[test]
fn private_index_rejecting_the_token_fails_with_a_credentials_hint() {
    let index = private_index();
    let app = TestApp::new("pip_private_index");
    let wrong = "cnb-wrong-token-77c2e9";
    let port = index.port.to_string();
    let build = app.build_with(&[
        ("PRIVATE_INDEX_TOKEN", wrong),
        ("PRIVATE_INDEX_PORT", &port),
    ]);
    assert_failure(&build);
    assert_contains(
        &build.output,
        "Package not found: cnb-test-private-pkg==1.0.0",
    );
    assert_contains(
        &build.output,
        "A package index rejected the credentials (HTTP 401/403, see pip's output above)",
    );
    // pip's own output, shown, with the URL redacted.
    assert_contains(
        &build.output,
        &format!(
            "Looking in indexes: https://pypi.org/simple, http://***@127.0.0.1:{port}/simple/"
        ),
    );
    assert_contains(
        &build.output,
        &format!(
            "401 Error, Credentials not correct for http://127.0.0.1:{port}/simple/cnb-test-private-pkg/"
        ),
    );
    assert_not_contains(&build.output, wrong);
    assert!(
        index
            .requests()
            .iter()
            .all(|request| !request.authorized && request.status == 401),
        "{:?}",
        index.requests()
    );
}

#[test]
fn python_3_11_apps_install_with_the_pinned_pip() {
    let app = TestApp::new("pip_python_3_11");
    // The host's pip config plays no part.
    let build = app.build_with(&[("PIP_CONFIG_FILE", "/dev/null")]);
    support::assert_success(&build);
    assert_contains(&build.output, "Installed pip 26.3");
    assert!(
        app.layer_dir("pip")
            .join("packages/pip-26.3.dist-info")
            .is_dir(),
        "pip 26.3 is not in the pip layer"
    );
    // pip compiled its own modules for the Python that ran it, in its layer.
    assert!(
        app.layer_dir("pip")
            .join("packages/pip/__pycache__/__init__.cpython-311.pyc")
            .is_file(),
        "pip's bytecode for Python 3.11 is not in the pip layer"
    );
    assert_eq!(app.run_ok(PYTHON_VERSION), expected_version("3.11"));
    assert_ne!(app.run_ok(IMPORT_BOTH), "");
}
