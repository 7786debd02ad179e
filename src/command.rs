//! The one way the buildpack runs a program: [`Command`] is a program, its arguments, exactly the
//! env it is given (nothing inherited from the buildpack's own process) and an optional working
//! folder. It runs either streamed ([`Command::stream`]: a `Running` line, then the program's
//! output live through bullet_stream's global writer, which redacts URLs with credentials, and
//! captured too, so that a failure can be classified) or captured only ([`Command::capture`],
//! quiet). The command line shown to the user and in errors is rendered, redacted, by
//! [`Command::shown`]; every failure is a [`CommandError`] that names it.

use crate::BuildpackError;
use bullet_stream::global::print;
use bullet_stream::style;
use libcnb::Env;
use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::{process, thread};

/// A program to run, with exactly the env it is given.
#[derive(Clone, Debug)]
pub(crate) struct Command {
    program: OsString,
    args: Vec<OsString>,
    env: Env,
    current_dir: Option<PathBuf>,
    /// What the user sees instead of the program and its arguments.
    shown_as: Option<String>,
}

/// What a command wrote, read as UTF-8 (lossily).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Output {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Output {
    /// stdout, then stderr on the next line: the text failures are classified from.
    pub(crate) fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    fn from_bytes(stdout: &[u8], stderr: &[u8]) -> Self {
        Self {
            stdout: String::from_utf8_lossy(stdout).into_owned(),
            stderr: String::from_utf8_lossy(stderr).into_owned(),
        }
    }
}

/// A command that could not be started, or that failed.
#[derive(Debug)]
pub(crate) struct CommandError {
    /// The command as shown to the user (redacted).
    pub(crate) command: String,
    pub(crate) kind: CommandErrorKind,
}

#[derive(Debug)]
pub(crate) enum CommandErrorKind {
    /// The program could not be started (missing, not executable, ...).
    Spawn(io::Error),
    /// It ran and exited unsuccessfully (`status` is `None` when a signal ended it).
    Failed { status: Option<i32>, output: Output },
}

/// A program that could not be started: the one failure of a command that is not the caller's
/// to read ([`BuildpackError::Command`]).
#[derive(Debug)]
pub(crate) struct SpawnError {
    /// The command as shown to the user (redacted).
    pub(crate) command: String,
    pub(crate) error: io::Error,
}

impl CommandError {
    /// The buildpack error for this failure: `on_failure`'s (from the exit status and the
    /// captured output) when the command ran and failed, [`BuildpackError::Command`] when it could
    /// not be started.
    pub(crate) fn into_buildpack_error(
        self,
        on_failure: impl FnOnce(Option<i32>, Output) -> BuildpackError,
    ) -> BuildpackError {
        match self.kind {
            CommandErrorKind::Failed { status, output } => on_failure(status, output),
            CommandErrorKind::Spawn(error) => BuildpackError::Command(SpawnError {
                command: self.command,
                error,
            }),
        }
    }
}

impl Command {
    /// `program`, run with exactly `env` (an empty env but for it).
    pub(crate) fn new(program: impl AsRef<OsStr>, env: &Env) -> Self {
        Self {
            program: program.as_ref().to_os_string(),
            args: Vec::new(),
            env: env.clone(),
            current_dir: None,
            shown_as: None,
        }
    }

    pub(crate) fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    pub(crate) fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_os_string()));
        self
    }

    pub(crate) fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.current_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Shows the command to the user as `shown` (what they would type) instead of the program's
    /// path and every argument.
    pub(crate) fn shown_as(&mut self, shown: impl Into<String>) -> &mut Self {
        self.shown_as = Some(shown.into());
        self
    }

    /// The command line as the user sees it, in the `Running` line and in errors, with URL
    /// credentials redacted: what [`Command::shown_as`] set, or else the program and its
    /// arguments (quoted when they hold whitespace; an argument of several lines, such as a
    /// script, as `…`).
    pub(crate) fn shown(&self) -> String {
        let shown = self.shown_as.clone().unwrap_or_else(|| {
            std::iter::once(&self.program)
                .chain(&self.args)
                .map(|part| shown_part(&part.to_string_lossy()))
                .collect::<Vec<_>>()
                .join(" ")
        });
        crate::redact::redact_urls(&shown)
    }

    /// Runs the command under a `Running` line, its output streamed through the global writer
    /// as it comes (stdin is inherited), and captured.
    pub(crate) fn stream(&self) -> Result<Output, CommandError> {
        print::sub_stream_with(
            format!("Running {}", style::command(self.shown())),
            |stdout, stderr| self.stream_to(stdout, stderr),
        )
    }

    /// Runs the command quietly, its output captured (stdin is empty).
    pub(crate) fn capture(&self) -> Result<Output, CommandError> {
        let output = self
            .std_command()
            .output()
            .map_err(|error| self.error(CommandErrorKind::Spawn(error)))?;
        self.checked(
            output.status,
            Output::from_bytes(&output.stdout, &output.stderr),
        )
    }

    /// Runs the command, copying its output to `stdout` and `stderr` as it comes, and capturing
    /// it.
    fn stream_to(
        &self,
        stdout: impl Write + Send,
        stderr: impl Write + Send,
    ) -> Result<Output, CommandError> {
        let spawn_error = |error| self.error(CommandErrorKind::Spawn(error));
        let mut child = self
            .std_command()
            .stdout(process::Stdio::piped())
            .stderr(process::Stdio::piped())
            .spawn()
            .map_err(spawn_error)?;
        let (mut stdout_buffer, mut stderr_buffer) = (Vec::new(), Vec::new());
        let mut stdout = Tee(&mut stdout_buffer, stdout);
        let mut stderr = Tee(&mut stderr_buffer, stderr);
        let status = thread::scope(|scope| {
            let copies = [
                child.stdout.take().map(|mut from| {
                    scope.spawn(move || io::copy(&mut from, &mut stdout).map(drop))
                }),
                child.stderr.take().map(|mut from| {
                    scope.spawn(move || io::copy(&mut from, &mut stderr).map(drop))
                }),
            ];
            for copy in copies.into_iter().flatten() {
                match copy.join() {
                    Ok(result) => result?,
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            child.wait()
        })
        .map_err(spawn_error)?;
        self.checked(status, Output::from_bytes(&stdout_buffer, &stderr_buffer))
    }

    fn std_command(&self) -> process::Command {
        let mut command = process::Command::new(&self.program);
        command.args(&self.args).env_clear().envs(&self.env);
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
        }
        command
    }

    fn checked(&self, status: process::ExitStatus, output: Output) -> Result<Output, CommandError> {
        if status.success() {
            Ok(output)
        } else {
            Err(self.error(CommandErrorKind::Failed {
                status: status.code(),
                output,
            }))
        }
    }

    fn error(&self, kind: CommandErrorKind) -> CommandError {
        CommandError {
            command: self.shown(),
            kind,
        }
    }
}

/// One word of a shown command line.
fn shown_part(part: &str) -> String {
    if part.contains('\n') {
        "…".to_string()
    } else if part.is_empty() || part.contains(char::is_whitespace) {
        format!("'{part}'")
    } else {
        part.to_string()
    }
}

/// Writes everything to both writers.
struct Tee<A, B>(A, B);

impl<A: Write, B: Write> Write for Tee<A, B> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.write_all(bytes)?;
        self.1.write_all(bytes)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()?;
        self.1.flush()
    }
}

/// The last `max` lines of `output`, redacted, for error messages about runs whose output was
/// not shown.
pub(crate) fn tail(output: &str, max: usize) -> String {
    let lines: Vec<&str> = output.lines().collect();
    crate::redact::redact_urls(&lines[lines.len().saturating_sub(max)..].join("\n"))
}

#[cfg(test)]
mod tests;
