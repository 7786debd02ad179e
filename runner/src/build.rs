//! One build: prepare the state, detect, restore, build, export.

use crate::buildpack::{Buildpack, Target};
use crate::env::Env;
use crate::export::{ExportedLayer, LayerKind};
use crate::fsutil::{self, Copied};
use crate::layers::read_layers;
use crate::output::{OutputMode, Sink, Timings};
use crate::state::State;
use crate::users::{RunAs, User};
use crate::{export, install, restore};
use anyhow::{Context, Result, bail};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Instant;

/// What to build and how.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    /// The app source. Never modified: the build runs in a copy (`<state>/workspace`).
    pub app_dir: PathBuf,
    /// See [`State`]; reuse the same one to rebuild with the cache and previous image.
    pub state_dir: PathBuf,
    /// User env, like `pack build --env K=V`: written to `<platform>/env/K`.
    pub env: Vec<(String, String)>,
    /// Like `pack build --clear-cache`: restore nothing from the cache.
    pub clear_cache: bool,
    /// Like a platform that keeps the layers directory on disk between builds (a reused build
    /// machine, a CI cache volume): nothing is restored or cleared, the build starts from
    /// `layers/` exactly as the previous build left it, whether that build succeeded, failed or
    /// was killed. The lifecycle never does this; buildpacks must still only trust complete
    /// layers.
    pub keep_layers: bool,
    /// Fault injection: kill the build's whole process group (the buildpack and everything it
    /// started) as soon as a line of its output contains this text. Captured output only.
    pub kill_when: Option<String>,
    /// `CNB_TARGET_*`; defaults to the host.
    pub target: Target,
    pub output: OutputMode,
    /// The user detect and build run as (`CNB_USER_ID:CNB_GROUP_ID`), which owns the layers
    /// and the workspace; [`User::DEFAULT_BUILD`] (Paketo's 1001:1000) by default. Only when
    /// the runner runs as root; otherwise everything runs as the calling user.
    pub build_user: User,
    /// The user launched processes run as (recorded with the image, so that `launch` uses the
    /// one of the build that made it); [`User::DEFAULT_LAUNCH`] (Paketo's 1002:1000) by
    /// default. Only when the runner runs as root.
    pub launch_user: User,
}

impl BuildConfig {
    /// Host target, captured output, no env, cache restored.
    pub fn new(app_dir: impl Into<PathBuf>, state_dir: impl Into<PathBuf>) -> Self {
        Self {
            app_dir: app_dir.into(),
            state_dir: state_dir.into(),
            env: Vec::new(),
            clear_cache: false,
            keep_layers: false,
            kill_when: None,
            target: Target::host(),
            output: OutputMode::Capture,
            build_user: User::DEFAULT_BUILD,
            launch_user: User::DEFAULT_LAUNCH,
        }
    }

    /// Adds a user env var.
    #[must_use]
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    #[must_use]
    pub fn clear_cache(mut self, clear_cache: bool) -> Self {
        self.clear_cache = clear_cache;
        self
    }

    #[must_use]
    pub fn keep_layers(mut self, keep_layers: bool) -> Self {
        self.keep_layers = keep_layers;
        self
    }

    #[must_use]
    pub fn kill_when(mut self, text: impl Into<String>) -> Self {
        self.kill_when = Some(text.into());
        self
    }

    /// The build and launch users (see [`BuildConfig::build_user`]).
    #[must_use]
    pub fn users(mut self, build: User, launch: User) -> Self {
        self.build_user = build;
        self.launch_user = launch;
        self
    }
}

/// A phase of a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Detect,
    Build,
    Export,
}

/// The result of a build that ran (detect failures and buildpack failures included).
#[derive(Debug, Clone)]
pub struct BuildOutput {
    /// Every buildpack passed detect and built, and the export succeeded.
    pub success: bool,
    pub detect_passed: bool,
    /// `Some(0)` on success; else the exit code of the failing detect or build process (`None`
    /// when it was killed by a signal, or when the export failed).
    pub exit_code: Option<i32>,
    /// The phase that failed, `None` on success.
    pub failed_phase: Option<Phase>,
    /// The runner's `===> PHASE` lines and the buildpacks' stdout+stderr in order, ANSI escapes
    /// removed. Detect output only appears when detection fails. With [`OutputMode::Stream`]
    /// only the runner's own lines.
    pub output: String,
    pub state: State,
    pub timings: Timings,
    /// The layers the export saved (launch layers, the app layer, then cache layers), and
    /// whether each one was reused as the lifecycle would have (same content as the previous
    /// image's or cache's). Empty when the build did not export.
    pub exported: Vec<ExportedLayer>,
}

impl BuildOutput {
    /// `<state>/layers/<buildpack id, / replaced by _>`.
    #[must_use]
    pub fn buildpack_layers_dir(&self, buildpack_id: &str) -> PathBuf {
        self.state
            .layers_dir()
            .join(crate::buildpack::escape_id(buildpack_id))
    }

    /// The live directory of a layer.
    #[must_use]
    pub fn layer_dir(&self, buildpack_id: &str, layer: &str) -> PathBuf {
        self.buildpack_layers_dir(buildpack_id).join(layer)
    }

    /// The saved layer `name` of `buildpack_id` of this `kind` (`""` and `"app"` for the app
    /// layer), if the export saved it.
    #[must_use]
    pub fn exported_layer(
        &self,
        buildpack_id: &str,
        name: &str,
        kind: LayerKind,
    ) -> Option<&ExportedLayer> {
        self.exported
            .iter()
            .find(|l| l.buildpack == buildpack_id && l.name == name && l.kind == kind)
    }

    /// The saved layers that the lifecycle would not have reused (new or changed content).
    #[must_use]
    pub fn added_layers(&self) -> Vec<&ExportedLayer> {
        self.exported.iter().filter(|l| !l.reused).collect()
    }

    /// The live `<layer>.toml` of a layer.
    #[must_use]
    pub fn layer_toml(&self, buildpack_id: &str, layer: &str) -> PathBuf {
        self.buildpack_layers_dir(buildpack_id)
            .join(format!("{layer}.toml"))
    }
}

pub(crate) fn build(buildpacks: &[Buildpack], config: &BuildConfig) -> Result<BuildOutput> {
    let start = Instant::now();
    let app_dir = fs::canonicalize(&config.app_dir)
        .with_context(|| format!("app directory {} not found", config.app_dir.display()))?;
    if !app_dir.is_dir() {
        bail!("app path {} is not a directory", app_dir.display());
    }
    let state = State::new(&config.state_dir)?;
    let _lock = state.lock()?;
    let run_as = RunAs::new(config.build_user, config.launch_user);
    run_as.make_reachable(state.root())?;
    let buildpacks = &install::runnable(&state, buildpacks, &run_as)?;
    let as_exported = state.layers_as_exported();
    state.mark_dirty()?;
    let mut sink = Sink::new(config.output);
    let copied = prepare(&state, &app_dir, &config.env, &run_as)?;
    let mut timings = Timings::default();
    let ctx = Phases {
        state: &state,
        target: &config.target,
        base_env: Env::for_build(|name| std::env::var_os(name), &state.build_home()),
        run_as,
    };
    let output = |sink: Sink, failed_phase: Option<Phase>, exit_code, timings| BuildOutput {
        success: failed_phase.is_none(),
        detect_passed: failed_phase != Some(Phase::Detect),
        exit_code,
        failed_phase,
        output: sink.into_string(),
        state: state.clone(),
        timings: Timings {
            total: start.elapsed(),
            ..timings
        },
        exported: Vec::new(),
    };

    sink.line("===> DETECTING");
    let detect_start = Instant::now();
    let detected = ctx.detect(buildpacks, &mut sink)?;
    timings.detect = detect_start.elapsed();
    if let Detected::Failed(code) = detected {
        return Ok(output(sink, Some(Phase::Detect), code, timings));
    }
    sink.line("===> RESTORING");
    if config.keep_layers {
        sink.line("Keeping the layers directory as the previous build left it");
        run_as.build_dir(&state.layers_dir())?;
    } else {
        for line in restore::restore(&state, buildpacks, config.clear_cache, as_exported, &run_as)?
        {
            sink.line(&line);
        }
    }
    sink.line("===> BUILDING");
    let mut build_env = ctx.base_env.clone();
    for bp in buildpacks {
        let build_start = Instant::now();
        let status = ctx.run_build(bp, &build_env, config.kill_when.as_deref(), &mut sink)?;
        timings.build += build_start.elapsed();
        if !status.success() {
            sink.line(&format!(
                "ERROR: failed to build: buildpack {}@{} {}",
                bp.id,
                bp.version,
                describe(status)
            ));
            return Ok(output(sink, Some(Phase::Build), status.code(), timings));
        }
        if let Err(e) = ctx.after_build(bp, &mut build_env)? {
            sink.line(&format!(
                "ERROR: failed to build: buildpack {}@{}: {e:#}",
                bp.id, bp.version
            ));
            return Ok(output(sink, Some(Phase::Build), None, timings));
        }
    }
    sink.line("===> EXPORTING");
    let exported = match export::export(&state, buildpacks, &run_as, &copied) {
        Ok(exported) => exported,
        Err(e) => {
            sink.line(&format!("ERROR: failed to export: {e:#}"));
            return Ok(output(sink, Some(Phase::Export), None, timings));
        }
    };
    for line in &exported.log {
        sink.line(line);
    }
    state.mark_clean()?;
    Ok(BuildOutput {
        exported: exported.layers,
        ..output(sink, None, Some(0), timings)
    })
}

/// Parks the image's workspace and copies the app, writes the user env to `platform/env/`
/// (readable by the build user) and makes a fresh `tmp/` with an empty `HOME`, both the build
/// user's. Returns the app's files copied into the workspace.
fn prepare(
    state: &State,
    app_dir: &Path,
    env: &[(String, String)],
    run_as: &RunAs,
) -> Result<Vec<Copied>> {
    let state_root = fs::canonicalize(state.root())
        .with_context(|| format!("resolving {}", state.root().display()))?;
    let copied = restore::prepare_workspace(state, app_dir, &[state_root], run_as)?;
    let platform = state.platform_dir();
    fsutil::remove_all(&platform)?;
    for dir in [&platform, &platform.join("env")] {
        fs::create_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("setting the mode of {}", dir.display()))?;
    }
    for (name, value) in env {
        if name.is_empty() || name.contains(['/', '=', '\0']) {
            bail!("invalid environment variable name {name:?}");
        }
        let path = platform.join("env").join(name);
        fs::write(&path, value).with_context(|| format!("writing {}", path.display()))?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644))
            .with_context(|| format!("setting the mode of {}", path.display()))?;
    }
    let tmp = state.tmp_dir();
    fsutil::remove_all(&tmp)?;
    run_as.build_dir(&tmp)?;
    run_as.build_dir(&state.build_home())?;
    Ok(copied)
}

fn describe(status: ExitStatus) -> String {
    status.code().map_or_else(
        || format!("was killed ({status})"),
        |c| format!("exited with status {c}"),
    )
}

enum Detected {
    Passed,
    /// With the exit code of the first buildpack that did not pass.
    Failed(Option<i32>),
}

struct Phases<'a> {
    state: &'a State,
    target: &'a Target,
    base_env: Env,
    run_as: RunAs,
}

impl Phases<'_> {
    /// Runs every buildpack's detect.
    fn detect(&self, buildpacks: &[Buildpack], sink: &mut Sink) -> Result<Detected> {
        let mut results = Vec::new();
        for bp in buildpacks {
            let plan = self.plan_dir(bp)?.join("plan.toml");
            let mut cmd = self.command(bp, "detect", &self.base_env)?;
            cmd.arg(self.state.platform_dir()).arg(&plan);
            cmd.env("CNB_BUILD_PLAN_PATH", &plan);
            let (status, out) = Sink::run_quiet(cmd)?;
            results.push((bp, status, out));
        }
        let failed = results.iter().find(|(_, status, _)| !status.success());
        let Some((_, first_failed, _)) = failed else {
            sink.line(&format!(
                "{} of {} buildpacks participating",
                buildpacks.len(),
                buildpacks.len()
            ));
            for bp in buildpacks {
                sink.line(&format!("{} {}", bp.id, bp.version));
            }
            return Ok(Detected::Passed);
        };
        for (bp, _, out) in &results {
            if !out.is_empty() {
                sink.line(&format!(
                    "======== Output: {}@{} ========",
                    bp.id, bp.version
                ));
                sink.raw(out);
            }
        }
        sink.line("======== Results ========");
        for (bp, status, _) in &results {
            let word = match status.code() {
                Some(0) => "pass".to_string(),
                Some(100) => "fail".to_string(),
                _ => format!("err ({})", describe(*status)),
            };
            sink.line(&format!("{word}: {}@{}", bp.id, bp.version));
        }
        sink.line("ERROR: No buildpack groups passed detection.");
        Ok(Detected::Failed(first_failed.code()))
    }

    /// What the lifecycle does after a buildpack's build: reads its `launch.toml` (`Ok(Err)`:
    /// it fails the build) and adds its `build = true` layers to the build env of the next.
    fn after_build(&self, bp: &Buildpack, build_env: &mut Env) -> Result<Result<()>> {
        let bp_layers = self.state.layers_dir().join(bp.escaped_id());
        if let Err(e) = crate::launch::read_processes(&bp_layers)
            .and_then(|processes| crate::launch::check_one_default(&processes))
        {
            return Ok(Err(e));
        }
        for layer in read_layers(&bp_layers)? {
            if layer.types.build {
                let dir = bp_layers.join(&layer.name);
                build_env.add_root_dirs(&dir, &crate::env::BUILD_ROOT_DIRS);
                build_env.apply_env_dir(&dir.join("env"))?;
                build_env.apply_env_dir(&dir.join("env.build"))?;
            }
        }
        Ok(Ok(()))
    }

    fn run_build(
        &self,
        bp: &Buildpack,
        build_env: &Env,
        kill_when: Option<&str>,
        sink: &mut Sink,
    ) -> Result<ExitStatus> {
        let layers = self.state.layers_dir().join(bp.escaped_id());
        self.run_as.build_dir(&layers)?;
        let bp_plan = self.plan_dir(bp)?.join("buildpack-plan.toml");
        fs::write(&bp_plan, "").with_context(|| format!("writing {}", bp_plan.display()))?;
        self.run_as.give_to_build(&bp_plan)?;
        let mut cmd = self.command(bp, "build", build_env)?;
        cmd.arg(&layers)
            .arg(self.state.platform_dir())
            .arg(&bp_plan);
        cmd.env("CNB_LAYERS_DIR", &layers)
            .env("CNB_BP_PLAN_PATH", &bp_plan);
        match kill_when {
            Some(text) => sink.run_killing_when(cmd, text),
            None => sink.run(cmd),
        }
    }

    /// `tmp/<bp>/`, the build user's: where detect writes its build plan.
    fn plan_dir(&self, bp: &Buildpack) -> Result<PathBuf> {
        let dir = self.state.tmp_dir().join(bp.escaped_id());
        self.run_as.build_dir(&dir)?;
        Ok(dir)
    }

    /// `<bp>/bin/<phase>` in the workspace with `env` (+ user env unless `clear-env`) and the
    /// common `CNB_*` variables, as the build user (`CNB_USER_ID`/`CNB_GROUP_ID`, which a
    /// build image sets in the environment too).
    fn command(&self, bp: &Buildpack, phase: &str, env: &Env) -> Result<Command> {
        let mut env = env.clone();
        if !bp.clear_env {
            env.apply_platform_env(&self.state.platform_dir().join("env"))?;
        }
        let mut cmd = Command::new(bp.dir.join("bin").join(phase));
        cmd.env_clear()
            .envs(env.iter())
            .envs(self.target.env_vars())
            .env("CNB_BUILDPACK_DIR", &bp.dir)
            .env("CNB_PLATFORM_DIR", self.state.platform_dir())
            .env("CNB_USER_ID", self.run_as.build.uid.to_string())
            .env("CNB_GROUP_ID", self.run_as.build.gid.to_string())
            .current_dir(self.state.workspace_dir());
        self.run_as.as_build(&mut cmd);
        Ok(cmd)
    }
}

/// The state directory a build of `app_dir` uses by default.
pub fn default_state_dir(app_dir: &Path) -> Result<PathBuf> {
    State::default_for_app(app_dir).map(|s| s.root().to_path_buf())
}
