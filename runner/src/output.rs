//! Where build output goes: live to the terminal (CLI) or captured (library), ANSI stripping,
//! and where a build's time went.

use anyhow::{Context, Result};
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

/// How a build's output is handled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputMode {
    /// Captured into [`crate::BuildOutput::output`]; also echoed to stderr as it happens when the
    /// environment variable `CNB_RUNNER_ECHO=1` is set.
    #[default]
    Capture,
    /// Buildpack processes inherit the runner's stdout/stderr (live, colours intact); only the
    /// runner's own messages end up in [`crate::BuildOutput::output`].
    Stream,
}

/// Where a build's time went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// In the buildpacks' `bin/detect` processes.
    pub detect: Duration,
    /// In the buildpacks' `bin/build` processes.
    pub build: Duration,
    /// The whole build, from the call to its result.
    pub total: Duration,
}

impl Timings {
    /// The runner's own time: `total` outside `detect` and `build` (the workspace, restore and
    /// export).
    #[must_use]
    pub fn runner(&self) -> Duration {
        self.total.saturating_sub(self.detect + self.build)
    }
}

pub(crate) struct Sink {
    mode: OutputMode,
    echo: bool,
    buf: Vec<u8>,
}

impl Sink {
    pub(crate) fn new(mode: OutputMode) -> Self {
        let echo = mode == OutputMode::Capture
            && std::env::var_os("CNB_RUNNER_ECHO").is_some_and(|v| v == "1");
        Self {
            mode,
            echo,
            buf: Vec::new(),
        }
    }

    /// A line of the runner's own.
    pub(crate) fn line(&mut self, line: &str) {
        self.raw(format!("{line}\n").as_bytes());
    }

    /// Output that is kept, and shown live when streaming or echoing.
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.mode == OutputMode::Stream {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(bytes);
            let _ = stdout.flush();
        } else if self.echo {
            let _ = std::io::stderr().write_all(bytes);
        }
    }

    /// Runs `cmd` (stdin closed) with its stdout and stderr going to the sink, in order.
    pub(crate) fn run(&mut self, cmd: Command) -> Result<ExitStatus> {
        self.run_with(cmd, None)
    }

    /// Like [`Sink::run`], in a process group of its own, which is killed (`SIGKILL`) as soon as
    /// a line of the output contains `text`: a build that dies at that moment.
    pub(crate) fn run_killing_when(&mut self, mut cmd: Command, text: &str) -> Result<ExitStatus> {
        cmd.process_group(0);
        self.run_with(cmd, Some(text))
    }

    fn run_with(&mut self, mut cmd: Command, kill_when: Option<&str>) -> Result<ExitStatus> {
        cmd.stdin(Stdio::null());
        let program = cmd.get_program().to_string_lossy().into_owned();
        if self.mode == OutputMode::Stream {
            if kill_when.is_some() {
                anyhow::bail!("killing a build on its output needs captured output");
            }
            return cmd.status().with_context(|| format!("running {program}"));
        }
        let (mut reader, writer) = std::io::pipe().context("creating an output pipe")?;
        cmd.stdout(writer.try_clone().context("duplicating an output pipe")?)
            .stderr(writer);
        let mut child = cmd.spawn().with_context(|| format!("running {program}"))?;
        // The command holds the pipe's write ends; without dropping it, reading never ends.
        drop(cmd);
        let mut chunk = [0_u8; 8192];
        let mut line = Vec::new();
        let mut killed = false;
        loop {
            let n = reader
                .read(&mut chunk)
                .with_context(|| format!("reading output of {program}"))?;
            if n == 0 {
                break;
            }
            self.raw(&chunk[..n]);
            let Some(text) = kill_when.filter(|_| !killed) else {
                continue;
            };
            for &byte in &chunk[..n] {
                line.push(byte);
                if byte == b'\n' || line.len() > 64 * 1024 {
                    if String::from_utf8_lossy(&strip_ansi(&line)).contains(text) {
                        kill_group(child.id());
                        killed = true;
                        self.line(&format!("cnb-runner: killed the build on output {text:?}"));
                        break;
                    }
                    line.clear();
                }
            }
        }
        child
            .wait()
            .with_context(|| format!("waiting for {program}"))
    }

    /// Runs `cmd` with its combined output returned instead of shown.
    pub(crate) fn run_quiet(cmd: Command) -> Result<(ExitStatus, Vec<u8>)> {
        let mut sink = Self {
            mode: OutputMode::Capture,
            echo: false,
            buf: Vec::new(),
        };
        let status = sink.run(cmd)?;
        Ok((status, sink.buf))
    }

    /// Everything kept, ANSI escape sequences removed, lossily decoded.
    pub(crate) fn into_string(self) -> String {
        String::from_utf8_lossy(&strip_ansi(&self.buf)).into_owned()
    }
}

/// Sends `SIGKILL` to the process group `pgid` (a child started with `process_group(0)`).
fn kill_group(pgid: u32) {
    let pgid = libc::pid_t::try_from(pgid).expect("process ids fit pid_t");
    // SAFETY: kill(2) with a negative pid signals that process group; no memory is involved.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// Removes ANSI escape sequences: CSI (`ESC [ ... final`), OSC (`ESC ] ... BEL` or `ESC \`), and
/// other `ESC intermediates* final` sequences.
#[must_use]
pub fn strip_ansi(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != 0x1b {
            out.push(input[i]);
            i += 1;
            continue;
        }
        match input.get(i + 1) {
            Some(b'[') => {
                i += 2;
                while i < input.len() && !(0x40..=0x7e).contains(&input[i]) {
                    i += 1;
                }
                i += 1;
            }
            Some(b']') => {
                i += 2;
                while i < input.len() {
                    if input[i] == 0x07 {
                        i += 1;
                        break;
                    }
                    if input[i] == 0x1b && input.get(i + 1) == Some(&b'\\') {
                        i += 2;
                        break;
                    }
                    i += 1;
                }
            }
            Some(_) => {
                // `ESC intermediates* final`, e.g. `ESC ( B`.
                i += 1;
                while i < input.len() && (0x20..=0x2f).contains(&input[i]) {
                    i += 1;
                }
                i += 1;
            }
            None => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_csi_osc_and_short_escapes() {
        let input =
            b"\x1b[1;31mred\x1b[0m plain \x1b]8;;http://x\x07link\x1b]8;;\x1b\\ \x1b(Bend\x1b";
        assert_eq!(strip_ansi(input), b"red plain link end");
    }

    #[test]
    fn captures_stdout_and_stderr_in_order() {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "echo out1; echo err1 >&2; echo out2; printf '\\033[32mgreen\\033[0m\\n' >&2",
        ]);
        let mut sink = Sink::new(OutputMode::Capture);
        sink.line("before");
        let status = sink.run(cmd).unwrap();
        assert!(status.success());
        assert_eq!(sink.into_string(), "before\nout1\nerr1\nout2\ngreen\n");
    }

    #[test]
    fn kills_the_whole_process_group_on_a_line() {
        let marker = tempfile::tempdir().unwrap();
        let late = marker.path().join("late");
        let mut cmd = Command::new("sh");
        // The background child would write `late` after the kill if it survived it.
        cmd.arg("-c").arg(format!(
            "(sleep 1; touch {late}) & echo one; printf 'kill \\033[1mhere\\033[0m\\n'; sleep 5; echo never",
            late = late.display()
        ));
        let mut sink = Sink::new(OutputMode::Capture);
        let started = std::time::Instant::now();
        let status = sink.run_killing_when(cmd, "kill here").unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(4));
        assert_eq!(status.code(), None, "{status}");
        std::thread::sleep(std::time::Duration::from_millis(1500));
        assert!(!late.exists(), "a process of the group survived the kill");
        let output = sink.into_string();
        assert!(output.contains("kill here"), "{output}");
        assert!(!output.contains("never"), "{output}");
    }

    #[test]
    fn the_runners_time_is_what_the_buildpacks_did_not_take() {
        let secs = Duration::from_secs;
        let t = Timings {
            detect: secs(1),
            build: secs(2),
            total: secs(5),
        };
        assert_eq!(t.runner(), secs(2));
        assert_eq!(
            Timings {
                total: secs(1),
                ..t
            }
            .runner(),
            Duration::ZERO
        );
    }
}
