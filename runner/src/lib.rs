//! A local Cloud Native Buildpacks platform: packages libcnb.rs buildpacks for the host, runs
//! detect and build on the host (no Docker, `pack` or lifecycle), keeps cache and "image" layers
//! between builds the way the lifecycle does, and launches processes with the launch env.
//!
//! See `runner/README.md` for the state layout and the differences from the real lifecycle.
//!
//! ```no_run
//! use python_buildpack_runner::{BuildConfig, Runner, launch};
//!
//! # fn main() -> anyhow::Result<()> {
//! // A buildpack source dir is packaged once per process (and safely across processes).
//! let runner = Runner::new([env!("CARGO_MANIFEST_DIR")])?;
//! let state = tempfile::tempdir()?;
//! let config = BuildConfig::new("tests/fixtures/app", state.path()).env("FOO", "bar");
//! let build = runner.build(&config)?;
//! assert!(build.success, "{}", build.output);
//! let venv = build.layer_dir("heroku/python", "venv");
//! let out = launch(state.path(), None, &["python".into(), "-V".into()], &[])?;
//! assert_eq!(out.code(), Some(0));
//! let rebuild = runner.build(&config)?; // same state dir: cache and previous image restored
//! # Ok(()) }
//! ```
//!
//! What the lifecycle does to files, metadata and users, the runner does too: restored metadata
//! comes back as after the lifecycle's JSON round trip, exported layers and the app carry the
//! time 1980-01-01T00:00:01Z and restored caches the time of the restore, hard links become
//! files of their own, layers are reported reused only when their content is unchanged
//! ([`BuildOutput::exported`]), and as root, builds run as a build user and launched processes
//! as a launch user that cannot write the layers or the app ([`User`]).
//!
//! Layers are never copied: the last successful build's layers stay in the state's `layers/`
//! and are both its image's and its cache's contents; restore and export move directories and
//! write small indexes. A build that fails does not change what a later build or launch gets:
//! what it deleted or replaced is put back from hard links kept aside, and if it wrote a saved
//! file in place, the next build gets no cache (and that image cannot be launched) rather than a
//! mix.

mod backup;
mod build;
mod buildpack;
mod compare;
mod env;
mod execd;
mod export;
mod fsutil;
mod install;
mod launch;
mod layers;
mod manifest;
mod metadata;
mod output;
mod package;
mod restore;
mod state;
mod times;
mod users;

pub use build::{BuildConfig, BuildOutput, Phase, default_state_dir};
pub use buildpack::{Buildpack, Target};
pub use export::{ExportedLayer, LayerKind};
pub use launch::{LaunchOutput, Process, Selected, launch, launch_command, select_process};
pub use output::{OutputMode, Timings, strip_ansi};
pub use package::{
    CargoProfile, host_triple, package_buildpack, package_buildpack_cached, resolve_buildpack_dir,
};
pub use state::State;
pub use users::User;

use anyhow::Result;
use std::path::Path;

/// A group of buildpacks (all must pass detection) that can build apps.
#[derive(Debug, Clone)]
pub struct Runner {
    buildpacks: Vec<Buildpack>,
}

impl Runner {
    /// From buildpack directories, each packaged (`bin/build`) or a libcnb.rs buildpack source
    /// (packaged with the dev profile, once per process: see [`package_buildpack_cached`]).
    pub fn new(buildpack_dirs: impl IntoIterator<Item = impl AsRef<Path>>) -> Result<Self> {
        Self::with_profile(buildpack_dirs, CargoProfile::Dev, false)
    }

    /// Like [`Runner::new`], with the Cargo profile for packaging sources; `verbose` shows
    /// Cargo's output live.
    pub fn with_profile(
        buildpack_dirs: impl IntoIterator<Item = impl AsRef<Path>>,
        profile: CargoProfile,
        verbose: bool,
    ) -> Result<Self> {
        let buildpacks: Vec<Buildpack> = buildpack_dirs
            .into_iter()
            .map(|dir| Buildpack::load(&resolve_buildpack_dir(dir.as_ref(), profile, verbose)?))
            .collect::<Result<_>>()?;
        if buildpacks.is_empty() {
            anyhow::bail!("no buildpacks given");
        }
        Ok(Self { buildpacks })
    }

    #[must_use]
    pub fn buildpacks(&self) -> &[Buildpack] {
        &self.buildpacks
    }

    /// Builds `config.app_dir` into `config.state_dir`. `Err` only when the runner itself fails
    /// (I/O on the state dir, a buildpack that cannot be started, ...); a failing detect, build
    /// or export is an `Ok` with `success == false`.
    pub fn build(&self, config: &BuildConfig) -> Result<BuildOutput> {
        build::build(&self.buildpacks, config)
    }
}
