//! `cnb-runner`: build and launch apps with Cloud Native Buildpacks on the host.

// Doc comments here are clap's help text, shown verbatim.
#![allow(clippy::doc_markdown)]

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use python_buildpack_runner::{
    BuildConfig, CargoProfile, OutputMode, Phase, Runner, State, Target, User, launch_command,
    package_buildpack,
};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "cnb-runner",
    version,
    about = "Build and launch apps with Cloud Native Buildpacks on the host, without Docker"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Detect, build and export APP_DIR (exit codes: 20 detect failed, 51 build failed,
    /// 62 export failed, 1 runner error).
    Build(BuildArgs),
    /// Run a process of the last successful build with the launch environment.
    Launch(LaunchArgs),
    /// Print the default state directory of APP_DIR.
    StateDir { app_dir: PathBuf },
    /// Package a libcnb.rs buildpack for the host and print the packaged directory.
    Package {
        #[arg(default_value = ".")]
        source_dir: PathBuf,
        /// Package with the dev profile (default: release).
        #[arg(long)]
        debug: bool,
        /// Show Cargo's output.
        #[arg(long, short)]
        verbose: bool,
    },
}

#[derive(Args)]
#[allow(clippy::struct_excessive_bools)] // command line flags
struct BuildArgs {
    /// A packaged buildpack (has bin/build) or a libcnb.rs buildpack source (Cargo.toml +
    /// buildpack.toml). Repeat for a group, in order.
    #[arg(long = "buildpack", short = 'b', value_name = "DIR", required = true)]
    buildpacks: Vec<PathBuf>,
    /// User env like `pack build --env`: K=V, or K to take the value from this environment.
    #[arg(long, short = 'e', value_name = "K[=V]")]
    env: Vec<String>,
    /// State directory (default: see `cnb-runner state-dir APP_DIR`).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Do not restore cached layers.
    #[arg(long)]
    clear_cache: bool,
    /// Start from the layers directory exactly as the previous build left it (even a failed
    /// one), like a platform that keeps layers on disk, instead of restoring the cache.
    #[arg(long, conflicts_with = "clear_cache")]
    keep_layers: bool,
    /// Package buildpack sources with the release profile (the default).
    #[arg(long, conflicts_with = "debug")]
    release: bool,
    /// Package buildpack sources with the dev profile.
    #[arg(long)]
    debug: bool,
    /// Override CNB_TARGET_DISTRO_NAME/VERSION (default: /etc/os-release ID and VERSION_ID).
    #[arg(long, value_name = "NAME/VERSION")]
    target_distro: Option<String>,
    /// Show Cargo's output while packaging.
    #[arg(long, short)]
    verbose: bool,
    /// When run as root: the user detect and build run as, which owns the layers and the
    /// workspace (CNB_USER_ID:CNB_GROUP_ID). Not as root, everything runs as the calling user.
    #[arg(long, value_name = "UID:GID", default_value_t = User::DEFAULT_BUILD)]
    build_user: User,
    /// When run as root: the user launched processes run as (recorded with the image).
    #[arg(long, value_name = "UID:GID", default_value_t = User::DEFAULT_LAUNCH)]
    launch_user: User,
    app_dir: PathBuf,
}

#[derive(Args)]
struct LaunchArgs {
    /// State directory (default: the default state directory of APP_DIR).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Process type to run; `-- ARGS...` then replace its args.
    #[arg(long, short, value_name = "TYPE")]
    process: Option<String>,
    /// Env var for the process, like `docker run -e`: K=V, or K to take it from this environment.
    #[arg(long, short = 'e', value_name = "K[=V]")]
    env: Vec<String>,
    /// The app whose default state directory to use (default: the current directory).
    app_dir: Option<PathBuf>,
    /// A command to run instead of the default process (after `--`).
    #[arg(last = true, value_name = "CMD")]
    command: Vec<String>,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cnb-runner: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Cmd::Build(args) => build(args),
        Cmd::Launch(args) => launch(args),
        Cmd::StateDir { app_dir } => {
            println!("{}", State::default_for_app(&app_dir)?.root().display());
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Package {
            source_dir,
            debug,
            verbose,
        } => {
            let profile = if debug {
                CargoProfile::Dev
            } else {
                CargoProfile::Release
            };
            println!(
                "{}",
                package_buildpack(&source_dir, profile, verbose)?.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn build(args: BuildArgs) -> Result<ExitCode> {
    let profile = if args.debug {
        CargoProfile::Dev
    } else {
        CargoProfile::Release
    };
    let packaging_start = Instant::now();
    let runner = Runner::with_profile(args.buildpacks, profile, args.verbose)?;
    let packaging = packaging_start.elapsed();
    let state_dir = state_dir(args.state_dir, &args.app_dir)?;
    let mut target = Target::host();
    if let Some(distro) = args.target_distro {
        let (name, version) = distro
            .split_once('/')
            .ok_or_else(|| anyhow!("--target-distro must be NAME/VERSION, got {distro:?}"))?;
        target.distro_name = name.to_string();
        target.distro_version = version.to_string();
    }
    let config = BuildConfig {
        env: parse_env(&args.env)?,
        clear_cache: args.clear_cache,
        keep_layers: args.keep_layers,
        target,
        output: OutputMode::Stream,
        build_user: args.build_user,
        launch_user: args.launch_user,
        ..BuildConfig::new(&args.app_dir, &state_dir)
    };
    let output = runner.build(&config)?;
    let t = output.timings;
    let seconds = |d: Duration| format!("{:.2} s", d.as_secs_f64());
    let times = format!(
        "buildpacks {} (detect {}, build {}), runner {}, packaging {}",
        seconds(t.detect + t.build),
        seconds(t.detect),
        seconds(t.build),
        seconds(t.runner()),
        seconds(packaging)
    );
    Ok(match output.failed_phase {
        None => {
            eprintln!(
                "cnb-runner: built {} (state: {}): {times}",
                args.app_dir.display(),
                state_dir.display()
            );
            ExitCode::SUCCESS
        }
        Some(Phase::Detect) => ExitCode::from(20),
        Some(Phase::Build) => ExitCode::from(51),
        Some(Phase::Export) => ExitCode::from(62),
    })
}

fn launch(args: LaunchArgs) -> Result<ExitCode> {
    let app_dir = args.app_dir.unwrap_or_else(|| PathBuf::from("."));
    let state_dir = state_dir(args.state_dir, &app_dir)?;
    let env = parse_env(&args.env)?;
    let mut cmd = launch_command(&state_dir, args.process.as_deref(), &args.command, &env)?;
    let err = cmd.exec();
    Err(err).with_context(|| format!("running {}", cmd.get_program().to_string_lossy()))
}

fn state_dir(explicit: Option<PathBuf>, app_dir: &Path) -> Result<PathBuf> {
    match explicit {
        Some(dir) => Ok(dir),
        None => Ok(State::default_for_app(app_dir)?.root().to_path_buf()),
    }
}

/// `K=V` pairs, or `K` with the value from this process's environment.
fn parse_env(specs: &[String]) -> Result<Vec<(String, String)>> {
    specs
        .iter()
        .map(|spec| match spec.split_once('=') {
            Some((name, value)) => Ok((name.to_string(), value.to_string())),
            None => match std::env::var(spec) {
                Ok(value) => Ok((spec.clone(), value)),
                Err(_) => bail!("--env {spec}: {spec} is not set in this environment"),
            },
        })
        .collect()
}
