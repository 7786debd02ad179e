//! The same scenarios as the runner-based e2e tests, through `pack` and a real builder image.
//! They need Docker and `pack`, so they are ignored by default:
//! `cargo test --test pack_integration -- --ignored`.

use libcnb_test::{
    BuildConfig, ContainerConfig, PackResult, TestRunner, assert_contains, assert_empty,
};
use std::io::{Read, Write};

const BUILDER: &str = "heroku/builder:24";

fn config(fixture: &str) -> BuildConfig {
    BuildConfig::new(BUILDER, format!("tests/fixtures/{fixture}"))
}

#[test]
#[ignore = "integration test"]
fn python_version_file_selects_runtime_and_rebuild_reuses_it() {
    TestRunner::default().build(config("python_3_13"), |context| {
        assert_empty!(context.pack_stderr);
        assert_contains!(
            context.pack_stdout,
            "Requested Python 3.13 (from .python-version)"
        );
        let version = context.run_shell_command("python -c 'import sys; print(sys.version)'");
        assert_contains!(version.stdout, "3.13.");

        let config = context.config.clone();
        context.rebuild(config, |context| {
            assert_contains!(context.pack_stdout, "Reusing cached Python 3.13.");
        });
    });
}

#[test]
#[ignore = "integration test"]
fn changed_python_version_replaces_runtime() {
    TestRunner::default().build(config("python_3_13"), |context| {
        let mut config = context.config.clone();
        config.app_dir_preprocessor(|dir| {
            std::fs::write(dir.join(".python-version"), "3.11\n").unwrap();
        });
        context.rebuild(config, |context| {
            assert_contains!(
                context.pack_stdout,
                "Discarding the cached Python because the Python version changed"
            );
            let version = context.run_shell_command("python -c 'import sys; print(sys.version)'");
            assert_contains!(version.stdout, "3.11.");
        });
    });
}

#[test]
#[ignore = "integration test"]
fn checksum_mismatch_fails_the_build() {
    let mut config = config("python_3_13");
    config
        .app_dir_preprocessor(|dir| {
            let builtin = include_str!("../data/python-runtimes.jsonl");
            let tampered: String = builtin
                .lines()
                .filter(|line| line.contains("\"3.13."))
                .map(|line| {
                    let value: serde_json::Value = serde_json::from_str(line).unwrap();
                    let sha = value["sha256"].as_str().unwrap();
                    line.replace(sha, &"0".repeat(64)) + "\n"
                })
                .collect();
            std::fs::write(dir.join("tampered.jsonl"), tampered).unwrap();
        })
        .env("BP_PYTHON_RUNTIME_MANIFEST", "tampered.jsonl")
        .expected_pack_result(PackResult::Failure);
    TestRunner::default().build(config, |context| {
        assert_contains!(context.pack_stdout, "Python download failed its checksum");
        assert_contains!(context.pack_stdout, &"0".repeat(64));
    });
}

#[test]
#[ignore = "integration test"]
fn app_without_python_files_fails_detect() {
    let mut config = config("no_python_files");
    config.expected_pack_result(PackResult::Failure);
    TestRunner::default().build(config, |context| {
        assert_contains!(context.pack_stdout, "No Python project files found");
    });
}

#[test]
#[ignore = "integration test"]
fn pip_app_imports_its_dependencies_and_rebuild_reuses_the_venv() {
    TestRunner::default().build(config("pip_pinned"), |context| {
        assert_contains!(
            context.pack_stdout,
            "Running `pip install -r requirements.txt`"
        );
        let imported = context.run_shell_command("python -c 'import six; print(six.__file__)'");
        assert_contains!(imported.stdout, "/layers/heroku_python/venv/");

        let config = context.config.clone();
        context.rebuild(config, |context| {
            assert_contains!(context.pack_stdout, "Reusing the virtual environment");
        });
    });
}

#[test]
#[ignore = "integration test"]
fn uv_app_imports_its_locked_dependencies() {
    TestRunner::default().build(config("uv_basic"), |context| {
        assert_contains!(context.pack_stdout, "uv sync --locked --no-default-groups");
        let imported = context.run_shell_command("python -c 'import six; print(six.__file__)'");
        assert_contains!(imported.stdout, "/layers/heroku_python/venv/");
    });
}

/// The image starts its default `web` process with `docker run`: gunicorn on the default port,
/// with the worker count the `exec.d` program computed from the container's limits.
#[test]
#[ignore = "integration test"]
fn default_web_process_answers_http() {
    TestRunner::default().build(config("web_django"), |context| {
        assert_contains!(
            context.pack_stdout,
            "Web process: `gunicorn --bind 0.0.0.0:$PORT mysite.wsgi:application`"
        );
        context.start_container(ContainerConfig::new().expose_port(8080), |container| {
            let address = container.address_for_port(8080);
            let mut body = String::new();
            for _ in 0..60 {
                if let Ok(mut stream) = std::net::TcpStream::connect(address) {
                    let request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
                    if stream.write_all(request.as_bytes()).is_ok()
                        && stream.read_to_string(&mut body).is_ok()
                        && !body.is_empty()
                    {
                        break;
                    }
                }
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
            assert_contains!(body, "200 OK");
            assert_contains!(body, "Hello from Django");
            let logs = container.logs_now();
            assert_contains!(logs.stderr, "Booting worker");
        });
    });
}
