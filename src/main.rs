//! A Cloud Native Buildpack for Python apps: installs CPython from python-build-standalone into a
//! cached layer, then the app's dependencies into a virtual environment layer.

mod app_files;
#[cfg(test)]
mod architecture_tests;
mod bootstrap;
mod build_env;
mod bytecode;
mod collectstatic;
mod command;
mod config;
mod dependency_groups;
mod detect;
mod env_safety;
mod errors;
mod fsutil;
mod http;
mod installed;
mod launch;
mod layers;
mod message;
mod package_managers;
mod package_name;
mod parallel;
mod project;
mod python_version;
mod python_version_source;
mod redact;
mod runtime;
mod sbom;
#[cfg(test)]
mod test_support;
mod wheels;

use crate::app_files::MissingLockHint;
use crate::collectstatic::DjangoError;
use crate::command::SpawnError;
use crate::config::{BuildConfig, ConfigError};
use crate::env_safety::EnvVarProblem;
use crate::http::CaBundleError;
use crate::layers::installer::Installer;
use crate::layers::tool::{Tool, ToolInstallError};
use crate::layers::venv::VenvError;
use crate::message::Message;
use crate::package_managers::locked::LockedInstallError;
use crate::package_managers::pip::PipInstallError;
use crate::package_managers::pip::requirements::RequirementsFileError;
use crate::package_managers::{
    PackageManager, PlanLocked, install_locked, install_requirements, pdm, pipenv, poetry, uv,
};
use crate::project::Project;
use crate::python_version::{PythonVersion, PythonVersionRequest};
use crate::python_version_source::{VersionSource, VersionSourceError};
use crate::runtime::ManifestLoadError;
use crate::runtime::download::DownloadError;
use crate::runtime::eol::YearMonth;
use crate::runtime::manifest::{Arch, ResolveError};
use crate::wheels::WheelFetchError;
use crate::wheels::index::InvalidIndexUrl;
use bullet_stream::global::print;
use libcnb::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb::generic::{GenericMetadata, GenericPlatform};
use libcnb::{Buildpack, Platform, buildpack_main};

pub(crate) struct PythonBuildpack;

impl Buildpack for PythonBuildpack {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = BuildpackError;

    fn detect(&self, context: DetectContext<Self>) -> libcnb::Result<DetectResult, Self::Error> {
        let project = Project::read_root(&context.app_dir).map_err(BuildpackError::Detect)?;
        if detect::python_signals(&project).is_empty() {
            println!("{}", Message::from(&detect::NoPythonFiles));
            DetectResultBuilder::fail().build()
        } else {
            DetectResultBuilder::pass().build()
        }
    }

    fn build(&self, context: BuildContext<Self>) -> libcnb::Result<BuildResult, Self::Error> {
        // Everything the build prints, its errors and its tools' output included, is redacted.
        bullet_stream::global::set_writer(redact::RedactingWriter::new(std::io::stdout()));
        let started = print::buildpack("Python");
        // Before anything else runs with the user's env.
        let env_check = env_safety::check_build_env(context.platform.env());
        if !env_check.refused.is_empty() {
            return Err(BuildpackError::UnsafeEnv(env_check.refused).into());
        }
        if !env_check.neutralised.is_empty() {
            message::show(&env_safety::Neutralised(&env_check.neutralised));
        }
        let config = BuildConfig::from_platform_env(context.platform.env())?;
        let project = Project::read(&context.app_dir).map_err(BuildpackError::Detect)?;
        if !project.committed_venvs().is_empty() {
            message::show(&app_files::CommittedVenvs(project.committed_venvs()));
        }
        let package_manager = package_managers::determine(&project)?;
        dependency_groups::check_defined(&project, package_manager, &config.dependency_groups)
            .map_err(BuildpackError::UnknownDependencyGroups)?;

        let entry = runtime::resolve_runtime(&context, &config, &project)?;
        // The runtime, the installer, and the app's dependencies: the one place the build forks
        // on the package manager.
        let locked = |plan: PlanLocked| {
            install_locked(&context, &config, &project, &entry, package_manager, plan)
        };
        let (runtime, venv) = match package_manager {
            PackageManager::Pip => install_requirements(&context, &config, &project, &entry)?,
            PackageManager::Uv => locked(uv::plan)?,
            PackageManager::Poetry => locked(poetry::plan)?,
            PackageManager::Pipenv => locked(pipenv::plan)?,
            PackageManager::Pdm => locked(pdm::plan)?,
        };
        collectstatic::run(&project, &venv.build_env, &config.platform_env)?;
        bytecode::compile_app(
            &context.app_dir,
            &venv.python(),
            &venv.build_env,
            &runtime.compiled_suffix(),
            project.committed_venvs(),
        );
        let launch = launch::configure(&context, &config, &project, &venv)?;

        print::all_done(&Some(started));
        let result = BuildResultBuilder::new();
        match launch {
            Some(launch) => result.launch(launch).build(),
            None => result.build(),
        }
    }

    fn on_error(&self, error: libcnb::Error<Self::Error>) {
        // Worded by the catalogue (`errors`), with the credentials in its URLs redacted.
        print::error(Message::from(&error).to_string());
    }
}

buildpack_main!(PythonBuildpack);

/// Every error of a build: one variant per module's own error type, or per failure of a step
/// that has no module of its own. The catalogue (`errors`) words each of them.
#[derive(Debug)]
pub(crate) enum BuildpackError {
    Detect(std::io::Error),
    /// Platform env that would break the build's isolation.
    UnsafeEnv(Vec<EnvVarProblem>),
    Config(ConfigError),
    ManifestLoad(ManifestLoadError),
    UnsupportedArch {
        arch: String,
    },
    EmptyManifest {
        arch: Arch,
    },
    VersionSource(VersionSourceError),
    Resolve {
        error: ResolveError,
        source: VersionSource,
    },
    /// The requested minor version is too long past its end of life.
    EndOfLife {
        request: PythonVersionRequest,
        source: VersionSource,
        eol: Option<YearMonth>,
        newest_minor: Option<(u16, u16)>,
    },
    Download(DownloadError),
    NoPackageManager {
        python_files: Vec<&'static str>,
        hint: MissingLockHint,
    },
    MultiplePackageManagers(Vec<PackageManager>),
    /// `BP_PYTHON_DEPENDENCY_GROUPS` names groups the app does not define.
    UnknownDependencyGroups(crate::dependency_groups::UnknownGroups),
    RequirementsFile(RequirementsFileError),
    /// The pinned pip does not support the app's Python.
    PipTooNew {
        python_version: PythonVersion,
        pip_version: String,
    },
    /// Fetching pip's or uv's pinned wheel into its layer.
    InstallerFetch {
        installer: Installer,
        error: WheelFetchError,
    },
    /// An index setting of the build env that is not a URL.
    InvalidIndexUrl(InvalidIndexUrl),
    /// The CA bundle named by the build env cannot be read.
    CaBundle(CaBundleError),
    Venv(VenvError),
    PipInstall(PipInstallError),
    /// Installing uv, Poetry or Pipenv into its layer.
    ToolInstall {
        tool: Tool,
        error: ToolInstallError,
    },
    /// Installing the locked dependencies with uv, Poetry or Pipenv.
    LockedInstall(LockedInstallError),
    VenvSbom(crate::sbom::ReadError),
    /// The dependency check found unmet requirements, with `BP_PYTHON_CHECK_DEPENDENCIES=strict`.
    DependencyConflicts(Vec<crate::installed::Conflict>),
    Django(DjangoError),
    /// A program the buildpack runs could not be started.
    Command(SpawnError),
}

impl From<BuildpackError> for libcnb::Error<BuildpackError> {
    fn from(error: BuildpackError) -> Self {
        libcnb::Error::BuildpackError(error)
    }
}

impl From<ConfigError> for BuildpackError {
    fn from(error: ConfigError) -> Self {
        BuildpackError::Config(error)
    }
}

impl From<ManifestLoadError> for BuildpackError {
    fn from(error: ManifestLoadError) -> Self {
        BuildpackError::ManifestLoad(error)
    }
}
