//! The first half of a build: CPython, and the installer of the app's package manager (pip, or
//! uv), installed at the same time. Neither needs the other: the installer's wheel is fetched
//! and unpacked in Rust (`crate::wheels`), so nothing that can run before Python is installed
//! waits for it. Each is a cached layer, reused when it still matches.

use crate::BuildpackError;
use crate::PythonBuildpack;
use crate::config::BuildConfig;
use crate::layers::installer::{
    Installed, Installer, Uv, check_pip_supports, restore_installer_layer,
};
use crate::layers::python::restore_python_layer;
use crate::runtime::PythonRuntime;
use crate::runtime::layout::BytecodeLevel;
use crate::runtime::manifest::RuntimeEntry;
use crate::wheels::index::{PackageIndex, ca_bundle};
use crate::{build_env, http, parallel};
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use std::path::PathBuf;

/// Installs (or reuses) the runtime `entry` and uv, for a lock-based package manager.
pub(crate) fn install_runtime_and_uv(
    context: &BuildContext<PythonBuildpack>,
    config: &BuildConfig,
    entry: &RuntimeEntry,
) -> libcnb::Result<(PythonRuntime, Uv), BuildpackError> {
    let (runtime, dir) = install_runtime_and(context, config, entry, Installer::Uv)?;
    Ok((runtime, Uv::in_layer(&dir)))
}

/// Installs (or reuses) the runtime `entry` and `installer`, for requirements files.
pub(crate) fn install_runtime_and_installer(
    context: &BuildContext<PythonBuildpack>,
    config: &BuildConfig,
    entry: &RuntimeEntry,
    installer: Installer,
) -> libcnb::Result<(PythonRuntime, Installed), BuildpackError> {
    let (runtime, dir) = install_runtime_and(context, config, entry, installer)?;
    Ok((runtime, Installed::in_layer(installer, &dir)))
}

/// Installs (or reuses) the runtime `entry` and `installer`: the runtime, and the installer's
/// layer.
fn install_runtime_and(
    context: &BuildContext<PythonBuildpack>,
    config: &BuildConfig,
    entry: &RuntimeEntry,
    installer: Installer,
) -> libcnb::Result<(PythonRuntime, PathBuf), BuildpackError> {
    if installer == Installer::Pip {
        // Before anything is downloaded for nothing.
        check_pip_supports(&entry.version)?;
    }
    let base_env = build_env::base_env(&config.platform_env);
    print::bullet(format!("Python and {installer}"));
    let level =
        BytecodeLevel::from_pythonoptimize(base_env.get_string_lossy("PYTHONOPTIMIZE").as_deref());
    let python_layer = restore_python_layer(context, entry, level)?;
    let installer_layer = restore_installer_layer(context, installer, entry.arch)?;

    // The index and the CA bundle only matter, and are only checked, when there is a download.
    let source = if installer_layer.needs_download() {
        let index = PackageIndex::from_env(&base_env).map_err(BuildpackError::InvalidIndexUrl)?;
        let agent = http::agent_trusting(ca_bundle(&base_env).as_deref())
            .map_err(BuildpackError::CaBundle)?;
        Some((index, agent))
    } else {
        None
    };
    let mut downloads = Vec::new();
    downloads.extend(python_layer.download());
    if let Some((index, agent)) = &source {
        downloads.extend(installer_layer.download(agent, index));
    }
    parallel::run_all(downloads)?;

    let runtime = python_layer.finish(&base_env)?;
    Ok((runtime, installer_layer.finish()?))
}
