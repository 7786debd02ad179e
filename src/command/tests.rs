use super::*;
use crate::redact::RedactingWriter;
use crate::test_support::env;
use std::sync::{Arc, Mutex};

/// A writer whose bytes can be read after it was handed over (to the global writer).
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn sh(script: &str, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new("/bin/sh", &env(vars));
    command.args(["-c", script]);
    command
}

#[test]
fn the_env_is_exactly_the_one_given() {
    // The test process has PATH and HOME; the command sees only what it is given.
    let output = Command::new("/usr/bin/env", &env(&[("ONLY", "this")]))
        .capture()
        .unwrap();
    assert_eq!(output.stdout, "ONLY=this\n");
    let output = Command::new("/usr/bin/env", &Env::new()).capture().unwrap();
    assert_eq!(output, Output::default());
}

#[test]
fn the_working_folder_is_the_one_given() {
    let dir = tempfile::tempdir().unwrap();
    let output = sh("pwd -P", &[]).current_dir(dir.path()).capture().unwrap();
    assert_eq!(
        output.stdout.trim_end(),
        dir.path().canonicalize().unwrap().to_string_lossy()
    );
}

#[test]
fn a_failing_command_has_its_status_and_captured_output() {
    let error = sh("echo out; echo err >&2; exit 3", &[])
        .capture()
        .unwrap_err();
    assert_eq!(error.command, "/bin/sh -c 'echo out; echo err >&2; exit 3'");
    let CommandErrorKind::Failed { status, output } = error.kind else {
        panic!("not a failure: {error:?}");
    };
    assert_eq!(status, Some(3));
    assert_eq!(output.stdout, "out\n");
    assert_eq!(output.stderr, "err\n");
    assert_eq!(output.combined(), "out\n\nerr\n");
}

#[test]
fn a_signal_has_no_status() {
    let error = sh("kill -9 $$", &[]).capture().unwrap_err();
    assert!(matches!(
        error.kind,
        CommandErrorKind::Failed { status: None, .. }
    ));
}

#[test]
fn a_missing_program_is_a_spawn_failure_that_names_the_command() {
    let mut command = Command::new("/nonexistent/tool", &Env::new());
    command.args(["install", "--flag"]);
    for error in [
        command.capture().unwrap_err(),
        command.stream().unwrap_err(),
    ] {
        assert_eq!(error.command, "/nonexistent/tool install --flag");
        let CommandErrorKind::Spawn(io_error) = &error.kind else {
            panic!("not a spawn failure: {error:?}");
        };
        assert_eq!(io_error.kind(), io::ErrorKind::NotFound);
        let error = error.into_buildpack_error(|_, _| unreachable!("it did not run"));
        assert!(matches!(error, BuildpackError::Command(_)), "{error:?}");
    }
}

#[test]
fn a_failure_becomes_the_callers_error() {
    let error = sh("echo no; exit 1", &[]).capture().unwrap_err();
    let error = error.into_buildpack_error(|status, output| {
        assert_eq!((status, output.stdout.as_str()), (Some(1), "no\n"));
        BuildpackError::Detect(io::Error::other("classified"))
    });
    assert!(matches!(error, BuildpackError::Detect(_)), "{error:?}");
}

#[test]
fn the_shown_command_is_quoted_elided_and_redacted() {
    let mut command = Command::new("/venv/bin/python", &Env::new());
    command.args(["-c", "import sys\nprint(sys.path)", "a b", ""]);
    assert_eq!(command.shown(), "/venv/bin/python -c … 'a b' ''");
    command.args(["--index-url", "https://user:s3cret@pypi.example/simple/"]);
    assert!(
        command
            .shown()
            .ends_with(" --index-url https://***@pypi.example/simple/")
    );
    command.shown_as("pip install --index-url https://token@pypi.example/simple/");
    assert_eq!(
        command.shown(),
        "pip install --index-url https://***@pypi.example/simple/"
    );
}

#[test]
fn streamed_output_is_shown_redacted_and_captured_as_it_is() {
    let url = "https://user:s3cret@pypi.example/simple/";
    let mut command = sh(
        r#"echo "Looking in $URL"; echo "warning: $URL" >&2"#,
        &[("URL", url)],
    );
    command.shown_as(format!("pip install --index-url {url}"));
    let shared = Shared::default();
    let mut result = None;
    drop(bullet_stream::global::with_locked_writer(
        RedactingWriter::new(shared.clone()),
        || result = Some(command.stream()),
    ));
    let shown = bullet_stream::strip_ansi(String::from_utf8_lossy(&shared.0.lock().unwrap()));
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(
        shown.contains("Running `pip install --index-url https://***@pypi.example/simple/`"),
        "{shown}"
    );
    assert!(
        shown.contains("Looking in https://***@pypi.example/simple/"),
        "{shown}"
    );
    assert!(
        shown.contains("warning: https://***@pypi.example/simple/"),
        "{shown}"
    );
    let output = result.unwrap().unwrap();
    assert_eq!(output.stdout, format!("Looking in {url}\n"));
    assert_eq!(output.stderr, format!("warning: {url}\n"));
}

#[test]
fn tail_keeps_the_last_lines_redacted() {
    assert_eq!(
        tail("a\nb\nhttps://u:p@x.example/c\n", 2),
        "b\nhttps://***@x.example/c"
    );
}
