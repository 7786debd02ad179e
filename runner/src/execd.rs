//! exec.d programs: run with the launch env, as the launch user, and file descriptor 3
//! connected to a pipe, on which they write a TOML table of environment variables to set.

use crate::env::Env;
use crate::users::RunAs;
use anyhow::{Context, Result, anyhow, bail};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs an exec.d program with `env`, file descriptor 3 connected to a pipe; applies the TOML
/// table it writes there to `env` (values override).
pub(crate) fn run(
    program: &Path,
    env: &mut Env,
    app_dir: &Path,
    capture: bool,
    run_as: &RunAs,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let (mut reader, writer) = std::io::pipe().context("creating a pipe for exec.d")?;
    let fd = writer.as_raw_fd();
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .envs(env.iter())
        .current_dir(app_dir)
        .stdin(Stdio::null());
    if capture {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    run_as.as_launch(&mut cmd);
    // SAFETY: only async-signal-safe libc calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if fd == 3 {
                let flags = libc::fcntl(3, libc::F_GETFD);
                if flags < 0 || libc::fcntl(3, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::dup2(fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd
        .spawn()
        .with_context(|| format!("running exec.d program {}", program.display()))?;
    drop(cmd);
    drop(writer);
    let reader_thread = std::thread::spawn(move || {
        let mut buf = String::new();
        reader.read_to_string(&mut buf).map(|_| buf)
    });
    let output = child
        .wait_with_output()
        .with_context(|| format!("waiting for exec.d program {}", program.display()))?;
    let written = reader_thread
        .join()
        .map_err(|_| anyhow!("exec.d reader thread panicked"))?
        .with_context(|| format!("reading the output of exec.d program {}", program.display()))?;
    if !output.status.success() {
        bail!(
            "exec.d program {} failed ({})",
            program.display(),
            output.status
        );
    }
    let table: toml::Table = toml::from_str(&written).with_context(|| {
        format!(
            "parsing the TOML exec.d program {} wrote",
            program.display()
        )
    })?;
    for (name, value) in table {
        let value = value.as_str().map(str::to_string).ok_or_else(|| {
            anyhow!(
                "exec.d program {} set {name} to a non-string value",
                program.display()
            )
        })?;
        env.set(name, value);
    }
    Ok((output.stdout, output.stderr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::User;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn program(dir: &Path, script: &str) -> std::path::PathBuf {
        let path = dir.join("prog");
        fs::write(&path, script).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn applies_toml_written_to_fd_3_as_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let prog = program(
            dir.path(),
            "#!/bin/sh\necho out\nprintf 'A = \"new-%s\"\\nB = \"b\"\\n' \"$A\" >&3\n",
        );
        let mut env: Env = [("A", "old")].into_iter().collect();
        let (out, _) = run(
            &prog,
            &mut env,
            dir.path(),
            true,
            &RunAs::new(User::current(), User::current()),
        )
        .unwrap();
        assert_eq!(out, b"out\n");
        let expected: Env = [("A", "new-old"), ("B", "b")].into_iter().collect();
        assert_eq!(env, expected);
    }

    #[test]
    fn failures_and_bad_toml_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = Env::new();
        let prog = program(dir.path(), "#!/bin/sh\nexit 2\n");
        assert!(
            run(
                &prog,
                &mut env,
                dir.path(),
                true,
                &RunAs::new(User::current(), User::current())
            )
            .is_err()
        );
        let prog = program(dir.path(), "#!/bin/sh\necho 'A = 1' >&3\n");
        let err = run(
            &prog,
            &mut env,
            dir.path(),
            true,
            &RunAs::new(User::current(), User::current()),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("non-string"), "{err:#}");
    }
}
