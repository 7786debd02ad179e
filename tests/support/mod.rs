//! Shared e2e harness: builds fixture apps with this buildpack through the local platform runner
//! (`runner/`), and launches processes from the result.
#![allow(dead_code, unreachable_pub)]

pub mod bytecode;
pub mod cyclonedx;
pub mod http_request;
pub mod private_index;
pub mod pypi_mirror;
pub mod runtime_server;
pub mod web_server;

use python_buildpack_runner::{BuildConfig, BuildOutput, LaunchOutput, Runner, launch};
use runtime_server::runtime_source;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub const BUILDPACK_ID: &str = "heroku/python";

/// Platform env forwarded from the test environment, the way a user behind a TLS-intercepting
/// proxy passes its CA to `pack build --env`.
const FORWARDED_ENV: [&str; 3] = ["SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE"];

pub fn runner() -> &'static Runner {
    static RUNNER: OnceLock<Runner> = OnceLock::new();
    RUNNER.get_or_init(|| {
        Runner::new(vec![PathBuf::from(env!("CARGO_MANIFEST_DIR"))])
            .expect("packaging the buildpack for the runner")
    })
}

/// A copy of a fixture app (tests may edit it) with its own runner state (cache, layers).
pub struct TestApp {
    app: tempfile::TempDir,
    state: tempfile::TempDir,
}

impl TestApp {
    pub fn new(fixture: &str) -> Self {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(fixture);
        assert!(source.is_dir(), "no fixture {}", source.display());
        let app = tempfile::Builder::new()
            .prefix(&format!("app-{fixture}-"))
            .tempdir()
            .unwrap();
        copy_tree(&source, app.path());
        let state = tempfile::Builder::new().prefix("state-").tempdir().unwrap();
        Self { app, state }
    }

    pub fn path(&self) -> &Path {
        self.app.path()
    }

    pub fn state_dir(&self) -> &Path {
        self.state.path()
    }

    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) {
        let path = self.app.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    pub fn remove(&self, relative: &str) {
        std::fs::remove_file(self.app.path().join(relative)).unwrap();
    }

    /// A build with the test runtime source and forwarded CA env, plus `env`.
    pub fn config(&self, env: &[(&str, &str)]) -> BuildConfig {
        let mut config = BuildConfig::new(self.app.path(), self.state.path());
        config.env = default_env();
        for (key, value) in env {
            config.env.retain(|(k, _)| k != key);
            config.env.push(((*key).to_string(), (*value).to_string()));
        }
        config
    }

    /// Builds with the test runtime source and forwarded CA env, plus `env`.
    pub fn build_with(&self, env: &[(&str, &str)]) -> BuildOutput {
        run_build(&self.config(env))
    }

    /// Builds from the layers as the previous build left them (failed or not), like a platform
    /// that keeps layers on disk.
    pub fn build_keeping_layers(&self, env: &[(&str, &str)]) -> BuildOutput {
        run_build(&self.config(env).keep_layers(true))
    }

    pub fn build(&self) -> BuildOutput {
        self.build_with(&[])
    }

    /// Builds and panics with the whole output unless the build succeeded.
    pub fn build_ok(&self) -> BuildOutput {
        let output = self.build();
        assert_success(&output);
        output
    }

    /// Builds and panics with the whole output unless the build failed.
    pub fn build_failing(&self) -> BuildOutput {
        let output = self.build();
        assert_failure(&output);
        output
    }

    /// Runs `script` with bash in the launch environment of the last successful build.
    pub fn run(&self, script: &str) -> LaunchOutput {
        launch(
            self.state.path(),
            None,
            &["bash".to_string(), "-c".to_string(), script.to_string()],
            &[],
        )
        .expect("launching failed")
    }

    /// Like [`TestApp::run`], asserting exit code 0 and returning trimmed stdout.
    pub fn run_ok(&self, script: &str) -> String {
        let output = self.run(script);
        assert_eq!(
            output.code(),
            Some(0),
            "`{script}` failed\nstdout:\n{}\nstderr:\n{}",
            output.stdout,
            output.stderr
        );
        output.stdout.trim().to_string()
    }

    pub fn layer_dir(&self, layer: &str) -> PathBuf {
        self.state
            .path()
            .join("layers")
            .join(BUILDPACK_ID.replace('/', "_"))
            .join(layer)
    }

    /// Whether `module` can be imported by the launched app's `python`.
    pub fn imports(&self, module: &str) -> bool {
        self.run(&format!("python -c 'import {module}'")).code() == Some(0)
    }

    /// Replaces the app's `files` with those of the fixture `fixture`.
    pub fn copy_from(&self, fixture: &str, files: &[&str]) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(fixture);
        for file in files {
            self.write(file, std::fs::read(dir.join(file)).unwrap());
        }
    }

    /// Drops layers from the runner's saved cache, as if an earlier build had never made them.
    pub fn forget_cached_layers(&self, layers: &[&str]) {
        let state = python_buildpack_runner::State::new(self.state.path()).unwrap();
        for layer in layers {
            state.forget_cached_layer(BUILDPACK_ID, layer).unwrap();
        }
    }

    pub fn layer_toml(&self, layer: &str) -> toml::Table {
        let path = self.layer_dir(layer).with_extension("toml");
        toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }
}

/// Builds with `config` (see [`TestApp::config`]).
pub fn run_build(config: &BuildConfig) -> BuildOutput {
    runner().build(config).expect("the runner itself failed")
}

/// The month the end-of-life rules are applied at in the tests, so that no test depends on
/// today's date: then 3.9 is refused, 3.10 warns, and 3.11 and 3.13 (the fixture runtimes) are
/// supported.
pub const EOL_DATE: &str = "2026-12";

pub fn default_env() -> Vec<(String, String)> {
    let mut env = runtime_source().build_env();
    env.push(("BP_PYTHON_EOL_DATE".to_string(), EOL_DATE.to_string()));
    for name in FORWARDED_ENV {
        if let Ok(value) = std::env::var(name) {
            env.push((name.to_string(), value));
        }
    }
    env
}

/// The version the buildpack pins for `tool` in `requirements/<tool>.txt`.
pub fn pinned_tool_version(tool: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("requirements/{tool}.txt"));
    let prefix = format!("{tool}==");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .find_map(|line| line.trim().strip_prefix(&prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_string()
}

/// The exact version the buildpack should pick for `X.Y` with the runtime source in use.
pub fn expected_version(minor: &str) -> String {
    runtime_source().expected_version(minor)
}

#[track_caller]
pub fn assert_success(output: &BuildOutput) {
    assert!(output.success, "build failed:\n{}", output.output);
}

#[track_caller]
pub fn assert_failure(output: &BuildOutput) {
    assert!(
        !output.success,
        "build unexpectedly succeeded:\n{}",
        output.output
    );
}

/// Asserts that the export reused every launch, cache and app layer (a real platform uploads
/// nothing), and that it saved the `layers` named (so that the check saw them at all).
#[track_caller]
pub fn assert_every_layer_reused(build: &BuildOutput, layers: &[&str]) {
    let added: Vec<String> = build
        .added_layers()
        .iter()
        .map(|layer| format!("{}:{} ({:?})", layer.buildpack, layer.name, layer.kind))
        .collect();
    assert!(
        added.is_empty(),
        "layers not reused: {added:?}\n{}",
        build.output
    );
    for layer in layers {
        assert!(
            build.exported.iter().any(|saved| saved.name == *layer),
            "layer {layer} was not saved: {:?}",
            build.exported
        );
    }
}

#[track_caller]
pub fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected to find:\n{needle}\n\nin:\n{haystack}"
    );
}

#[track_caller]
pub fn assert_not_contains(haystack: &str, needle: &str) {
    assert!(
        !haystack.contains(needle),
        "expected NOT to find:\n{needle}\n\nin:\n{haystack}"
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
