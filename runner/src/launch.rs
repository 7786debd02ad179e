//! Launching a process of the last successfully built image, like the CNB launcher: with the
//! launch environment, in the workspace, as the launch user of the build that made the image
//! (when the runner is root), which can read the layers and the workspace but not write them.

use crate::buildpack::escape_id;
use crate::env::{Env, LAUNCH_ROOT_DIRS};
use crate::layers::{read_group, read_layers};
use crate::state::State;
use crate::users::{RunAs, User};
use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

/// A process type from `launch.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Process {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "command_list")]
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub default: bool,
    #[serde(default, rename = "working-dir")]
    pub working_dir: Option<PathBuf>,
}

fn command_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Command {
        List(Vec<String>),
        Single(String),
    }
    Ok(match Command::deserialize(d)? {
        Command::List(list) => list,
        Command::Single(single) => vec![single],
    })
}

#[derive(Deserialize)]
struct LaunchToml {
    #[serde(default)]
    processes: Vec<Process>,
}

/// The processes of a buildpack's `launch.toml` in `bp_layers_dir` (none when it has none).
pub(crate) fn read_processes(bp_layers_dir: &Path) -> Result<Vec<Process>> {
    let path = bp_layers_dir.join("launch.toml");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let content =
        fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let parsed: LaunchToml =
        toml::from_str(&content).with_context(|| format!("parsing {}", path.display()))?;
    if let Some(p) = parsed.processes.iter().find(|p| p.command.is_empty()) {
        bail!(
            "process type '{}' in {} has an empty command",
            p.kind,
            path.display()
        );
    }
    Ok(parsed.processes)
}

/// What to run: a process type (`kind`) or a direct command (`kind` = `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub kind: Option<String>,
    pub argv: Vec<String>,
    pub working_dir: Option<PathBuf>,
}

/// Fails, as the lifecycle's builder does, when one buildpack's `launch.toml` has more than one
/// `default = true` process.
pub(crate) fn check_one_default(processes: &[Process]) -> Result<()> {
    if processes.iter().filter(|p| p.default).count() > 1 {
        bail!("multiple default process types aren't allowed");
    }
    Ok(())
}

/// Picks what to run from the processes of all buildpacks (in buildpack order; a later
/// buildpack's process replaces an earlier one of the same type):
/// - `process` given: that type; a non-empty `command` replaces its `args`;
/// - else a non-empty `command`: run it directly;
/// - else the default process, as the lifecycle's builder decides it: the type of the last
///   process with `default = true`, unless a later buildpack redefined that type without
///   `default = true`.
pub fn select_process(
    processes_by_buildpack: &[Vec<Process>],
    process: Option<&str>,
    command: &[String],
) -> Result<Selected> {
    let mut merged: Vec<Process> = Vec::new();
    let mut default_type: Option<&str> = None;
    for p in processes_by_buildpack.iter().flatten() {
        if p.default {
            default_type = Some(&p.kind);
        } else if default_type == Some(p.kind.as_str()) {
            default_type = None;
        }
        merged.retain(|m| m.kind != p.kind);
        merged.push(p.clone());
    }
    let chosen = match process {
        Some(kind) => merged.iter().find(|p| p.kind == kind).ok_or_else(|| {
            anyhow!(
                "process type '{kind}' not found; the image has: {}",
                types(&merged)
            )
        })?,
        None if !command.is_empty() => {
            return Ok(Selected {
                kind: None,
                argv: command.to_vec(),
                working_dir: None,
            });
        }
        None => merged
            .iter()
            .find(|p| Some(p.kind.as_str()) == default_type)
            .ok_or_else(|| {
                anyhow!(
                    "the image has no default process; pass a process type ({}) or a command",
                    types(&merged)
                )
            })?,
    };
    let args = if command.is_empty() {
        &chosen.args
    } else {
        command
    };
    Ok(Selected {
        kind: Some(chosen.kind.clone()),
        argv: chosen.command.iter().chain(args).cloned().collect(),
        working_dir: chosen.working_dir.clone(),
    })
}

fn types(processes: &[Process]) -> String {
    if processes.is_empty() {
        return "no processes".to_string();
    }
    processes
        .iter()
        .map(|p| p.kind.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Output of a [`launch`]ed process.
#[derive(Debug, Clone)]
pub struct LaunchOutput {
    pub status: ExitStatus,
    /// Standard output (exec.d programs' output first), lossily decoded.
    pub stdout: String,
    pub stderr: String,
}

impl LaunchOutput {
    /// The exit code, `None` when killed by a signal.
    #[must_use]
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// Runs a process of the image in `state_dir` to completion with stdin closed and its output
/// captured. See [`launch_command`] for the arguments.
pub fn launch(
    state_dir: &Path,
    process: Option<&str>,
    command: &[String],
    env: &[(String, String)],
) -> Result<LaunchOutput> {
    let (mut cmd, mut stdout, mut stderr) = prepare(state_dir, process, command, env, true)?;
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", cmd.get_program().display()))?;
    stdout.extend_from_slice(&output.stdout);
    stderr.extend_from_slice(&output.stderr);
    Ok(LaunchOutput {
        status: output.status,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// A ready-to-spawn [`Command`] for a process of the image in `state_dir` (e.g. to start a web
/// server in the background): launch env, working directory and arguments set, stdio inherited.
///
/// `process`/`command` select what to run (see [`select_process`]). `env` is set before the
/// layers' env is applied, like `docker run -e`. exec.d programs run now, with inherited output.
/// After a failed build, `layers/` and `workspace/` are first put back to the image's state.
pub fn launch_command(
    state_dir: &Path,
    process: Option<&str>,
    command: &[String],
    env: &[(String, String)],
) -> Result<Command> {
    prepare(state_dir, process, command, env, false).map(|(cmd, _, _)| cmd)
}

fn prepare(
    state_dir: &Path,
    process: Option<&str>,
    command: &[String],
    user_env: &[(String, String)],
    capture_execd: bool,
) -> Result<(Command, Vec<u8>, Vec<u8>)> {
    let state = State::new(state_dir)?;
    if !state.has_image() {
        bail!(
            "{} has no successfully built image to launch",
            state.root().display()
        );
    }
    let lock = state.lock()?;
    // The users of the build that made the image (Paketo's, for an image made before they
    // were recorded).
    let (build_user, launch_user) = RunAs::read_record(&state.users_record())?
        .unwrap_or((User::DEFAULT_BUILD, User::DEFAULT_LAUNCH));
    let run_as = RunAs::new(build_user, launch_user);
    run_as.make_reachable(state.root())?;
    crate::restore::put_image_back(&state, &run_as)?;
    state.mark_launched()?;
    let home = state.launch_home();
    run_as.launch_dir(&home)?;
    drop(lock);

    let group = read_group(&state.image_dir())?;
    let image_layers = state.image_dir().join("layers");
    let mut processes = Vec::new();
    let mut layer_dirs = Vec::new();
    for bp in &group.buildpacks {
        let image_bp = image_layers.join(escape_id(&bp.id));
        processes.push(read_processes(&image_bp)?);
        let live_bp = state.layers_dir().join(escape_id(&bp.id));
        let layers = read_layers(&image_bp)?;
        layer_dirs.push(
            layers
                .iter()
                .map(|l| live_bp.join(&l.name))
                .collect::<Vec<_>>(),
        );
    }
    let selected = select_process(&processes, process, command)?;

    let mut env = Env::for_launch(|name| std::env::var_os(name), &home);
    for (name, value) in user_env {
        env.set(name, value);
    }
    for dirs in &layer_dirs {
        for dir in dirs {
            env.add_root_dirs(dir, &LAUNCH_ROOT_DIRS);
        }
        for dir in dirs {
            env.apply_env_dir(&dir.join("env"))?;
            env.apply_env_dir(&dir.join("env.launch"))?;
            if let Some(kind) = &selected.kind {
                env.apply_env_dir(&dir.join("env.launch").join(kind))?;
            }
        }
    }
    let app_dir = state.workspace_dir();
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    for dir in layer_dirs.iter().flatten() {
        let mut programs = executables(&dir.join("exec.d"))?;
        if let Some(kind) = &selected.kind {
            programs.extend(executables(&dir.join("exec.d").join(kind))?);
        }
        for program in programs {
            let (out, err) =
                crate::execd::run(&program, &mut env, &app_dir, capture_execd, &run_as)?;
            stdout.extend(out);
            stderr.extend(err);
        }
    }

    let (program, args) = selected
        .argv
        .split_first()
        .ok_or_else(|| anyhow!("empty command"))?;
    let mut cmd = Command::new(program);
    cmd.args(args).env_clear().envs(env.iter()).current_dir(
        selected
            .working_dir
            .map_or(app_dir.clone(), |w| app_dir.join(w)),
    );
    run_as.as_launch(&mut cmd);
    Ok((cmd, stdout, stderr))
}

/// Files (not directories) in `dir`, sorted; none when it does not exist.
fn executables(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        if !path.is_dir() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(kind: &str, command: &[&str], args: &[&str], default: bool) -> Process {
        Process {
            kind: kind.to_string(),
            command: command.iter().map(ToString::to_string).collect(),
            args: args.iter().map(ToString::to_string).collect(),
            default,
            working_dir: None,
        }
    }

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn later_buildpack_replaces_same_type_and_default_is_last_marked() {
        let bp1 = vec![
            process("web", &["a"], &["1"], true),
            process("worker", &["w"], &[], false),
        ];
        let bp2 = vec![
            process("web", &["b"], &["2"], false),
            process("cli", &["c"], &[], true),
        ];
        let all = [bp1, bp2];
        let web = select_process(&all, Some("web"), &[]).unwrap();
        assert_eq!(web.argv, strings(&["b", "2"]));
        assert_eq!(web.kind.as_deref(), Some("web"));
        let default = select_process(&all, None, &[]).unwrap();
        assert_eq!(default.argv, strings(&["c"]));
    }

    #[test]
    fn a_later_non_default_process_of_the_default_type_leaves_no_default() {
        let bp1 = vec![
            process("web", &["a"], &[], true),
            process("worker", &["w"], &[], false),
        ];
        let bp2 = vec![process("worker", &["w2"], &[], true)];
        let bp3 = vec![process("worker", &["w3"], &[], false)];
        // The lifecycle's builder: worker was the default, bp3 redefined it without default.
        let err = select_process(&[bp1.clone(), bp2.clone(), bp3], None, &[]).unwrap_err();
        assert!(err.to_string().contains("no default process"), "{err}");
        let default = select_process(&[bp1, bp2], None, &[]).unwrap();
        assert_eq!(default.argv, strings(&["w2"]));
        assert!(check_one_default(&[process("a", &["a"], &[], true)]).is_ok());
        let two = [
            process("a", &["a"], &[], true),
            process("b", &["b"], &[], true),
        ];
        assert_eq!(
            check_one_default(&two).unwrap_err().to_string(),
            "multiple default process types aren't allowed"
        );
    }

    #[test]
    fn user_args_replace_process_args_and_commands_run_directly() {
        let all = [vec![process(
            "web",
            &["gunicorn", "app"],
            &["--workers", "2"],
            true,
        )]];
        let web = select_process(&all, Some("web"), &strings(&["--workers", "4"])).unwrap();
        assert_eq!(web.argv, strings(&["gunicorn", "app", "--workers", "4"]));
        let direct = select_process(&all, None, &strings(&["python", "-V"])).unwrap();
        assert_eq!(
            direct,
            Selected {
                kind: None,
                argv: strings(&["python", "-V"]),
                working_dir: None
            }
        );
    }

    #[test]
    fn errors_name_the_available_types() {
        let all = [vec![process("web", &["x"], &[], false)]];
        let err = select_process(&all, None, &[]).unwrap_err().to_string();
        assert!(
            err.contains("no default process") && err.contains("web"),
            "{err}"
        );
        let err = select_process(&all, Some("nope"), &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("'nope' not found") && err.contains("web"),
            "{err}"
        );
    }

    #[test]
    fn parses_launch_toml_command_forms() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("launch.toml"),
            "[[processes]]\ntype = \"web\"\ncommand = [\"a\", \"b\"]\nargs = [\"c\"]\ndefault = true\n\
             working-dir = \"sub\"\n\n[[processes]]\ntype = \"old\"\ncommand = \"run\"\n",
        )
        .unwrap();
        let processes = read_processes(dir.path()).unwrap();
        assert_eq!(processes[0].command, strings(&["a", "b"]));
        assert_eq!(processes[0].working_dir.as_deref(), Some(Path::new("sub")));
        assert_eq!(processes[1].command, strings(&["run"]));
        assert_eq!(read_processes(&dir.path().join("none")).unwrap(), []);
    }
}
