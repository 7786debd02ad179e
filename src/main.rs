//! A Cloud Native Buildpack for Python apps: installs CPython from python-build-standalone into a
//! cached layer, then the app's dependencies into a virtual environment layer.

mod app_files;
mod bootstrap;
mod build_env;
mod bytecode;
mod command;
mod config;
mod dependency_groups;
mod detect;
mod django;
mod env_safety;
mod errors;
mod fsutil;
mod http;
mod installed;
mod launch;
mod layers;
mod package_managers;
mod package_name;
mod parallel;
mod python_version;
mod python_version_source;
mod redact;
mod runtime;
mod sbom;
#[cfg(test)]
mod test_support;
mod wheels;

use crate::config::BuildConfig;
use crate::errors::BuildpackError;
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
        let signals = detect::python_signals(&context.app_dir).map_err(BuildpackError::Detect)?;
        if signals.is_empty() {
            println!("{}", errors::detect_fail_message());
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
            print::warning(errors::neutralised_env_warning(&env_check.neutralised).to_string());
        }
        let config = BuildConfig::from_platform_env(context.platform.env())?;
        let venvs = app_files::committed_venvs(&context.app_dir).map_err(BuildpackError::Detect)?;
        if !venvs.is_empty() {
            print::warning(errors::committed_venv_warning(&venvs).to_string());
        }
        let package_manager = package_managers::determine(&context.app_dir)?;
        dependency_groups::check_defined(
            &context.app_dir,
            package_manager,
            &config.dependency_groups,
        )
        .map_err(BuildpackError::UnknownDependencyGroups)?;

        let runtime_entry = runtime::resolve_runtime(&context, &config)?;
        let (runtime, installer) = bootstrap::install_runtime_and_installer(
            &context,
            &config,
            &runtime_entry,
            package_manager,
        )?;
        let venv = package_managers::install_dependencies(
            &context,
            &config,
            package_manager,
            &runtime,
            &installer,
        )?;
        django::collectstatic(&context.app_dir, &venv.build_env, &config.platform_env)?;
        bytecode::compile_app(
            &context.app_dir,
            &venv.python(),
            &venv.build_env,
            &runtime.compiled_suffix(),
            &venvs,
        );
        let launch = launch::configure(&context, &config, &venv)?;

        print::all_done(&Some(started));
        let result = BuildResultBuilder::new();
        match launch {
            Some(launch) => result.launch(launch).build(),
            None => result.build(),
        }
    }

    fn on_error(&self, error: libcnb::Error<Self::Error>) {
        errors::on_error(&error);
    }
}

buildpack_main!(PythonBuildpack);
