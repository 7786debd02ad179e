//! What uv, Poetry, Pipenv and PDM installs have in common: the tool in its own cached build-only
//! layer, its cache in another, and the app's locked dependencies in the `venv` layer, which is
//! reused, updated in place or created afresh (see `crate::layers::venv`). Each package
//! manager says which files and settings are inputs, which commands to run and how to read their
//! output.

use crate::BuildpackError;
use crate::PythonBuildpack;
use crate::command::{Command, CommandError, Output};
use crate::config::DependencyCheck;
use crate::layers::installer::Uv;
use crate::layers::package_cache::prepare_package_cache_layer;
use crate::layers::tool::restore_tool_layer;
use crate::layers::venv::{
    ChangedSettings, DeselectedGroups, InstallMode, Policy, Venv, VenvLayerMetadata, VenvRequest,
    install_venv_layer, unchanged_inputs,
};
use crate::layers::venv_settings::{fingerprints, restore_venv_settings_layer};
use crate::package_managers::PackageManager;
use crate::package_managers::local_sources;
pub(crate) use crate::package_managers::local_sources::LocalSource;
pub(crate) use crate::package_managers::lock_files::{
    files_hashes, quoted_after, toml_local_sources, toml_lock_hashes,
};
pub(crate) use crate::package_name::normalize_name;
use crate::runtime::PythonRuntime;
use bullet_stream::global::print;
use libcnb::Env;
use libcnb::build::BuildContext;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::Path;

pub(crate) use crate::layers::tool::LockedFailure;

#[derive(Debug)]
pub(crate) enum LockedInstallError {
    ReadFile {
        file: String,
        error: io::Error,
    },
    Failed {
        package_manager: PackageManager,
        command: String,
        failure: LockedFailure,
        status: Option<i32>,
    },
}

/// A package manager that installs from a lock file.
pub(crate) trait LockedManager {
    const PACKAGE_MANAGER: PackageManager;
    /// The lock file first, then its manifest and the tool's config files: inputs when they exist.
    const FILES: &'static [&'static str];

    /// Whether a variable of the build env is a setting that can change what the tool installs
    /// (and is not a credential, which does not: the lock pins versions and hashes).
    fn is_setting(name: &str) -> bool;

    /// The env the tool runs with: `env` (the build env with the virtual environment applied)
    /// plus the buildpack's settings for this tool.
    fn tool_env(env: &Env, runtime: &PythonRuntime, venv_dir: &Path, cache_dir: &Path) -> Env;

    /// What [`LockedManager::commands`] do with the packages of a dependency group that is no
    /// longer selected, in an existing environment.
    const DESELECTED_GROUPS: DeselectedGroups;

    /// Whether [`LockedManager::commands`] reinstall the local packages they are told to. When
    /// they do not, those are uninstalled (with uv) before the commands run, so that the tool
    /// installs them afresh.
    const REINSTALLS_LOCAL_PACKAGES: bool;

    /// The arguments of each command to run, in order. `reinstall` names the local packages whose
    /// sources changed (in an existing environment); `groups` are the dependency groups to
    /// install besides the production dependencies (checked to exist).
    fn commands(
        app_dir: &Path,
        mode: InstallMode,
        reinstall: &[String],
        groups: &[String],
    ) -> Vec<Vec<String>>;

    /// The local packages (folders and files in the app) that the lock refers to.
    fn local_sources(lock: &str) -> Vec<LocalSource>;

    /// Reads the (captured) output of a failed command.
    fn classify(output: &str) -> LockedFailure;

    /// The artifact hashes the lock pins, by normalized package name, for the SBOM.
    fn lock_hashes(lock: &str) -> HashMap<String, Vec<String>>;
}

/// Installs the app's locked dependencies into the `venv` layer, or reuses it. `uv` is the
/// package manager (for uv apps) or what installs it (Poetry, Pipenv).
pub(crate) fn install<M: LockedManager>(
    context: &BuildContext<PythonBuildpack>,
    runtime: &PythonRuntime,
    uv: &Uv,
    groups: &[String],
    check: DependencyCheck,
) -> libcnb::Result<Venv, BuildpackError> {
    let declaration = M::PACKAGE_MANAGER.declaration();
    let tool = declaration
        .locked()
        .expect("a LockedManager's declaration is lock-based")
        .tool;
    print::bullet(format!("Dependencies ({})", M::PACKAGE_MANAGER));
    crate::dependency_groups::announce(groups);
    let cache_dir = prepare_package_cache_layer(context, declaration.cache)?;
    let tool_layer = if tool.has_own_venv() {
        Some(restore_tool_layer(context, runtime, tool)?)
    } else {
        None
    };
    let contents = read_files(&context.app_dir, M::FILES)
        .map_err(|(file, error)| LockedInstallError::ReadFile { file, error })
        .map_err(BuildpackError::LockedInstall)?;
    let env_names = settings(&runtime.build_env, M::is_setting);
    let settings_layer =
        restore_venv_settings_layer(context, fingerprints(&runtime.build_env, &env_names, []))?;
    let lock = contents
        .get(M::FILES[0])
        .map(|lock| String::from_utf8_lossy(lock).to_string())
        .unwrap_or_default();
    let metadata = VenvLayerMetadata {
        files: contents
            .iter()
            .map(|(file, bytes)| (file.clone(), hex::encode(Sha256::digest(bytes))))
            .collect(),
        env_names,
        local_sources: local_sources::fingerprints(&context.app_dir, &M::local_sources(&lock)),
        dependency_groups: groups.to_vec(),
        ..VenvLayerMetadata::for_build(context, runtime, declaration.name, tool.version())
    };
    let lock_hashes = M::lock_hashes(&lock);

    let request = VenvRequest {
        unchanged: unchanged_inputs(&metadata),
        metadata,
        policy: Policy {
            changed_settings: ChangedSettings::UpdateInPlace,
            deselected_groups: M::DESELECTED_GROUPS,
            not_reusable: None,
            not_updatable: None,
        },
        settings: &settings_layer,
        base_env: &runtime.build_env,
        lock_hashes: &lock_hashes,
        check,
    };
    let command_name = tool.command_name();
    install_venv_layer(
        context,
        runtime,
        &request,
        |venv_dir, venv_env, mode, reinstall| {
            let tool = match &tool_layer {
                Some(tool_layer) => tool_layer.install(
                    runtime,
                    uv,
                    &runtime.build_env,
                    crate::package_managers::uv::Uv::classify,
                )?,
                None => uv.binary.clone(),
            };
            if !reinstall.is_empty() && !M::REINSTALLS_LOCAL_PACKAGES {
                uninstall::<M>(uv, venv_dir, reinstall, &runtime.build_env)?;
            }
            let env = M::tool_env(venv_env, runtime, venv_dir, &cache_dir);
            let result = M::commands(&context.app_dir, mode, reinstall, groups)
                .iter()
                .try_for_each(|args| run::<M>(command_name, &tool, args, &context.app_dir, &env));
            if let Some(tool_layer) = &tool_layer {
                tool_layer.seal_bytecode();
            }
            result
        },
    )
}

/// Uninstalls the local packages `names` from the environment with uv, so that a tool that would
/// keep them (same name, version and path) installs their changed sources afresh.
fn uninstall<M: LockedManager>(
    uv: &Uv,
    venv_dir: &Path,
    names: &[String],
    env: &Env,
) -> libcnb::Result<(), BuildpackError> {
    let shown = format!("uv pip uninstall {}", names.join(" "));
    print::sub_bullet(format!(
        "Removing the local {} {}, to install {} sources afresh",
        if names.len() == 1 {
            "package"
        } else {
            "packages"
        },
        names.join(", "),
        if names.len() == 1 {
            "its changed"
        } else {
            "their changed"
        },
    ));
    uv.command(&crate::layers::tool::uv_env(env))
        .args(["pip", "uninstall", "--no-config", "--python"])
        .arg(venv_dir.join("bin/python"))
        .args(names)
        .shown_as(shown)
        .capture()
        .map(drop)
        .map_err(|error| failed::<M>(error, |_| LockedFailure::Other).into())
}

/// Runs the tool (`command_name` at `tool`), streamed with credentials redacted; a failure is
/// classified from its output.
fn run<M: LockedManager>(
    command_name: &str,
    tool: &Path,
    args: &[String],
    app_dir: &Path,
    env: &Env,
) -> libcnb::Result<(), BuildpackError> {
    Command::new(tool, env)
        .args(args)
        .current_dir(app_dir)
        .shown_as(format!("{command_name} {}", args.join(" ")))
        .stream()
        .map(drop)
        .map_err(|error| failed::<M>(error, |output| M::classify(&output.combined())).into())
}

/// The error of a command that `M`'s install ran: what `classify` reads in its output when it
/// failed.
fn failed<M: LockedManager>(
    error: CommandError,
    classify: impl FnOnce(&Output) -> LockedFailure,
) -> BuildpackError {
    let command = error.command.clone();
    error.into_buildpack_error(|status, output| {
        BuildpackError::LockedInstall(LockedInstallError::Failed {
            package_manager: M::PACKAGE_MANAGER,
            command,
            failure: classify(&output),
            status,
        })
    })
}

/// The contents of those of `files` that exist in the app root.
fn read_files(
    app_dir: &Path,
    files: &[&str],
) -> Result<BTreeMap<String, Vec<u8>>, (String, io::Error)> {
    let mut contents = BTreeMap::new();
    for file in files {
        match std::fs::read(app_dir.join(file)) {
            Ok(bytes) => {
                contents.insert((*file).to_string(), bytes);
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(((*file).to_string(), error)),
        }
    }
    Ok(contents)
}

/// The names of the variables of `env` that `is_setting` (their values are fingerprinted in the
/// `venv-settings` layer).
pub(crate) fn settings(env: &Env, is_setting: fn(&str) -> bool) -> Vec<String> {
    let names: BTreeSet<String> = env
        .iter()
        .map(|(name, _)| name.to_string_lossy().to_string())
        .filter(|name| is_setting(name))
        .collect();
    names.into_iter().collect()
}

/// `env` without the variables `names`.
pub(crate) fn without(env: &Env, names: &[&str]) -> Env {
    let mut kept = Env::new();
    for (name, value) in env {
        if !names.iter().any(|n| name == n) {
            kept.insert(name, value);
        }
    }
    kept
}

/// Whether a variable holds a credential (the part of a name after the tool's prefix).
pub(crate) fn is_credential(name: &str) -> bool {
    [
        "USERNAME",
        "PASSWORD",
        "TOKEN",
        "CREDENTIALS",
        "AUTH",
        "HTTP_BASIC",
        "CERT",
    ]
    .iter()
    .any(|part| name.contains(part))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::env;

    fn is_uv_setting(name: &str) -> bool {
        name.starts_with("UV_") && !is_credential(name)
    }

    #[test]
    fn settings_are_named_and_credentials_are_not_settings() {
        let names = settings(
            &env(&[
                ("UV_INDEX_URL", "https://u:secret@i/simple"),
                ("UV_INDEX_PRIVATE_PASSWORD", "secret"),
                ("HOME", "/home"),
            ]),
            is_uv_setting,
        );
        assert_eq!(names, ["UV_INDEX_URL"]);
    }

    #[test]
    fn reads_only_existing_files() {
        let app = tempfile::tempdir().unwrap();
        std::fs::write(app.path().join("uv.lock"), "lock").unwrap();
        let contents = read_files(app.path(), &["uv.lock", "uv.toml"]).unwrap();
        assert_eq!(contents.keys().collect::<Vec<_>>(), ["uv.lock"]);
    }
}
