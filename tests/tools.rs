//! The buildpack's own tools (pip, uv, Poetry, Pipenv) on a fresh build: fetched from the package
//! index the build names, checked against the hashes the buildpack pins, and never trusted when
//! half-installed.

mod support;

use support::pypi_mirror::{Fault, PypiMirror};
use support::{
    TestApp, assert_contains, assert_failure, assert_not_contains, assert_success,
    pinned_tool_version,
};

/// The wheel file `requirements/<tool>.txt` pins for this machine's architecture.
fn pinned_wheel(tool: &str) -> (String, String) {
    let requirements = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("requirements/{tool}.txt")),
    )
    .unwrap();
    let arch = std::env::consts::ARCH;
    requirements
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix("# wheel ")?;
            let (wheel_arch, rest) = rest.split_once(": ")?;
            if wheel_arch != arch && wheel_arch != "any" {
                return None;
            }
            let (file, hash) = rest.split_once(" --hash=sha256:")?;
            Some((file.to_string(), hash.to_string()))
        })
        .unwrap()
}

#[test]
fn pip_and_the_apps_packages_come_from_the_index_in_pip_index_url() {
    let mirror = PypiMirror::start(Fault::None);
    let app = TestApp::new("pip_pinned");
    let build = app.build_with(&[("PIP_INDEX_URL", &mirror.index_url())]);
    assert_success(&build);
    assert_contains(
        &build.output,
        &format!("pip 26.3 from {} (PIP_INDEX_URL)", mirror.index_url()),
    );
    assert_contains(&build.output, "Installed pip 26.3");
    let (pip_wheel, _) = pinned_wheel("pip");
    assert!(mirror.served_file(&pip_wheel), "{:?}", mirror.requests());
    assert!(mirror.served_file("six-1.16.0"), "{:?}", mirror.requests());
    assert!(app.imports("six"));
}

#[test]
fn uv_and_poetry_come_from_the_index_in_pip_index_url() {
    let mirror = PypiMirror::start(Fault::None);
    let app = TestApp::new("poetry_basic");
    let build = app.build_with(&[("PIP_INDEX_URL", &mirror.index_url())]);
    assert_success(&build);
    let uv = pinned_tool_version("uv");
    let poetry = pinned_tool_version("poetry");
    assert_contains(
        &build.output,
        &format!("uv {uv} from {} (PIP_INDEX_URL)", mirror.index_url()),
    );
    assert_contains(
        &build.output,
        &format!("Installing Poetry {poetry} with uv"),
    );
    let (uv_wheel, _) = pinned_wheel("uv");
    let requests = mirror.requests();
    assert!(mirror.served_file(&uv_wheel), "{requests:?}");
    assert!(
        mirror.served_file(&format!("poetry-{poetry}-")),
        "{requests:?}"
    );
    // Poetry's own dependencies too.
    assert!(mirror.served_file("poetry_core-"), "{requests:?}");
    assert_eq!(
        app.run_ok("python -c 'import six; print(six.__version__)'"),
        "1.17.0"
    );
}

#[test]
fn a_tool_wheel_that_fails_its_pinned_hash_fails_the_build_and_leaves_nothing_trusted() {
    let (uv_wheel, pinned_sha256) = pinned_wheel("uv");
    let mirror = PypiMirror::start(Fault::Tampered(uv_wheel.clone()));
    let app = TestApp::new("uv_basic");
    // On a platform that keeps layers on disk, so that anything the failed build left behind is
    // there for the next one.
    let failed = app.build_keeping_layers(&[("PIP_INDEX_URL", &mirror.index_url())]);
    assert_failure(&failed);
    let uv = pinned_tool_version("uv");
    assert_contains(
        &failed.output,
        &format!("! uv {uv} download failed its checksum"),
    );
    assert_contains(&failed.output, &format!("! The file {uv_wheel}"));
    assert_contains(
        &failed.output,
        &format!("(package index {} (PIP_INDEX_URL))", mirror.index_url()),
    );
    assert_contains(
        &failed.output,
        &format!("but the buildpack pins {pinned_sha256}"),
    );
    let actual = failed
        .output
        .split("has SHA-256 ")
        .nth(1)
        .and_then(|rest| rest.get(..64))
        .expect("the actual digest is shown");
    assert!(
        actual.chars().all(|c| c.is_ascii_hexdigit()) && actual != pinned_sha256,
        "{actual}"
    );
    assert_not_contains(&failed.output, "Running `uv sync");
    // Nothing of the download is left, and nothing claims to be uv.
    let uv_layer = app.layer_dir("uv");
    assert!(
        std::fs::read_dir(&uv_layer).unwrap().next().is_none(),
        "the uv layer is not empty"
    );
    assert!(app.layer_toml("uv").get("metadata").is_none());

    // The next build (PyPI's file) does not take the leftovers for uv: it downloads it again.
    let next = app.build_keeping_layers(&[]);
    assert_success(&next);
    assert_not_contains(&next.output, "Using cached uv");
    assert_contains(&next.output, &format!("Installed uv {uv}"));
    assert_eq!(
        app.run_ok("python -c 'import six; print(six.__version__)'"),
        "1.17.0"
    );
}

#[test]
fn a_mirror_without_the_tool_wheel_fails_naming_the_file_and_the_index() {
    let (uv_wheel, _) = pinned_wheel("uv");
    let mirror = PypiMirror::start(Fault::Missing(uv_wheel.clone()));
    let app = TestApp::new("uv_basic");
    let failed = app.build_with(&[("PIP_INDEX_URL", &mirror.index_url())]);
    assert_failure(&failed);
    let uv = pinned_tool_version("uv");
    assert_contains(
        &failed.output,
        &format!("! Unable to find uv {uv} on the package index"),
    );
    assert_contains(&failed.output, &format!("as the file {uv_wheel}"));
    assert_contains(
        &failed.output,
        &format!("! {} (PIP_INDEX_URL)", mirror.index_url()),
    );
    assert_contains(&failed.output, &format!("! {}uv/", mirror.index_url()));
    assert_contains(
        &failed.output,
        "unset PIP_INDEX_URL, UV_DEFAULT_INDEX, UV_INDEX_URL",
    );
}
