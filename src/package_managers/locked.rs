//! What uv, Poetry and Pipenv installs have in common: the tool in its own cached build-only layer,
//! its cache in another, and the app's locked dependencies in the `venv` layer, which is reused,
//! updated in place or created afresh (see `crate::layers::locked_venv`). Each package manager
//! says which files and settings are inputs, which commands to run and how to read their output.

use crate::PythonBuildpack;
use crate::errors::BuildpackError;
use crate::layers::installer::Uv;
use crate::layers::locked_venv::{
    InstallMode, LAYER_FORMAT, LockedVenvMetadata, install_locked_venv,
};
use crate::layers::package_cache::{PackageCache, prepare_package_cache_layer};
use crate::layers::tool::{Tool, ToolSource, restore_tool_layer};
use crate::layers::venv::Venv;
use crate::package_managers::PackageManager;
use crate::package_managers::pip::output::RedactingLineWriter;
pub(crate) use crate::package_name::normalize_name;
use crate::runtime::PythonRuntime;
use crate::wheels::index::{PackageIndex, ca_bundle};
use bullet_stream::global::print;
use bullet_stream::style;
use fun_run::{CmdError, CommandWithName};
use libcnb::Env;
use libcnb::build::BuildContext;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::Path;
use std::process::Command;

/// What a failed package manager run's output says went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LockedFailure {
    /// The lock file does not match its manifest any more.
    LockOutdated,
    /// The project does not allow the Python the buildpack installed: the tool's words.
    PythonMismatch {
        detail: String,
    },
    /// Locked versions or files that the index does not have (any more).
    Unavailable {
        packages: Vec<String>,
    },
    /// The index answered 401 or 403: missing or wrong credentials.
    CredentialsRejected {
        packages: Vec<String>,
    },
    /// Downloads whose hash is not one of those in the lock.
    HashMismatch {
        packages: Vec<String>,
    },
    /// Building a package from source failed.
    BuildFailed {
        packages: Vec<String>,
    },
    /// Poetry could not install the project itself (no package folder, for example).
    RootNotInstallable,
    /// The index could not be reached at all (TLS, proxy, DNS).
    IndexUnreachable {
        certificate: bool,
    },
    Other,
}

#[derive(Debug)]
pub(crate) enum LockedInstallError {
    ReadFile {
        file: String,
        error: io::Error,
    },
    Spawn {
        command: String,
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
    const TOOL: Tool;
    /// The lock file first, then its manifest and the tool's config files: inputs when they exist.
    const FILES: &'static [&'static str];

    /// Whether a variable of the build env is a setting that can change what the tool installs
    /// (and is not a credential, which does not: the lock pins versions and hashes).
    fn is_setting(name: &str) -> bool;

    /// The env the tool runs with: `env` (the build env with the virtual environment applied)
    /// plus the buildpack's settings for this tool.
    fn tool_env(env: &Env, runtime: &PythonRuntime, venv_dir: &Path, cache_dir: &Path) -> Env;

    /// The arguments of each command to run, in order.
    fn commands(app_dir: &Path, mode: InstallMode) -> Vec<Vec<String>>;

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
) -> libcnb::Result<Venv, BuildpackError> {
    print::bullet(format!("Dependencies ({})", M::PACKAGE_MANAGER));
    let cache_dir = prepare_package_cache_layer(context, PackageCache::Tool(M::TOOL))?;
    let tool_layer = if M::TOOL.has_own_venv() {
        Some(restore_tool_layer(context, runtime, M::TOOL)?)
    } else {
        None
    };
    let contents = read_files(&context.app_dir, M::FILES)
        .map_err(|(file, error)| LockedInstallError::ReadFile { file, error })
        .map_err(BuildpackError::LockedInstall)?;
    let (env_names, env_sha256) = fingerprint(&runtime.build_env, M::is_setting);
    let metadata = LockedVenvMetadata {
        layer_format: LAYER_FORMAT,
        package_manager: M::PACKAGE_MANAGER.to_string(),
        tool_version: M::TOOL.version().to_string(),
        python_version: runtime.version.to_string(),
        distro_name: context.target.distro_name.clone(),
        distro_version: context.target.distro_version.clone(),
        files: contents
            .iter()
            .map(|(file, bytes)| (file.clone(), hex::encode(Sha256::digest(bytes))))
            .collect(),
        env_names,
        env_sha256,
    };
    let lock_hashes = contents
        .get(M::FILES[0])
        .map(|lock| M::lock_hashes(&String::from_utf8_lossy(lock)))
        .unwrap_or_default();

    install_locked_venv(
        context,
        runtime,
        &metadata,
        &runtime.build_env,
        &lock_hashes,
        |venv_dir, venv_env, mode| {
            let tool = match &tool_layer {
                Some(tool_layer) => {
                    let index = PackageIndex::from_env(&runtime.build_env)
                        .map_err(BuildpackError::InvalidIndexUrl)?;
                    let ca_bundle = ca_bundle(&runtime.build_env);
                    let source = ToolSource {
                        index: &index,
                        ca_bundle: ca_bundle.as_deref(),
                    };
                    tool_layer.install(runtime, uv, &source, &runtime.build_env)?
                }
                None => uv.binary.clone(),
            };
            let env = M::tool_env(venv_env, runtime, venv_dir, &cache_dir);
            for args in M::commands(&context.app_dir, mode) {
                run::<M>(&tool, &args, &context.app_dir, &env)?;
            }
            Ok(())
        },
    )
}

/// Runs the tool, streamed with credentials redacted; a failure is classified from its output.
fn run<M: LockedManager>(
    tool: &Path,
    args: &[String],
    app_dir: &Path,
    env: &Env,
) -> libcnb::Result<(), BuildpackError> {
    let shown = format!("{} {}", M::TOOL.command_name(), args.join(" "));
    let mut command = Command::new(tool);
    command
        .args(args)
        .current_dir(app_dir)
        .env_clear()
        .envs(env);
    let result = print::sub_stream_with(
        format!("Running {}", style::command(&shown)),
        |stdout, stderr| {
            command.named(&shown).stream_output(
                RedactingLineWriter::new(stdout),
                RedactingLineWriter::new(stderr),
            )
        },
    );
    let error = match result {
        Ok(_) => return Ok(()),
        Err(CmdError::SystemError(_, error)) => LockedInstallError::Spawn {
            command: shown,
            error,
        },
        Err(
            CmdError::NonZeroExitNotStreamed(output) | CmdError::NonZeroExitAlreadyStreamed(output),
        ) => LockedInstallError::Failed {
            package_manager: M::PACKAGE_MANAGER,
            command: shown,
            failure: M::classify(&format!(
                "{}\n{}",
                output.stdout_lossy(),
                output.stderr_lossy()
            )),
            status: output.status().code(),
        },
    };
    Err(BuildpackError::LockedInstall(error).into())
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

/// The names of the variables of `env` that `is_setting`, and a SHA-256 of their names and
/// values. Only the hash is kept: values can hold passwords.
pub(crate) fn fingerprint(env: &Env, is_setting: fn(&str) -> bool) -> (Vec<String>, String) {
    let names: BTreeSet<String> = env
        .iter()
        .map(|(name, _)| name.to_string_lossy().to_string())
        .filter(|name| is_setting(name))
        .collect();
    let mut hasher = Sha256::new();
    for name in &names {
        hasher.update(name.as_bytes());
        hasher.update(b"=");
        if let Some(value) = env.get(name) {
            hasher.update(value.as_encoded_bytes());
        }
        hasher.update(b"\0");
    }
    (names.into_iter().collect(), hex::encode(hasher.finalize()))
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

/// Packages named in backquotes after `prefix`: uv's ``Failed to download `six==1.17.99` ``.
pub(crate) fn quoted_after(output: &str, prefix: &str) -> Vec<String> {
    let mut packages: Vec<String> = Vec::new();
    for line in output.lines() {
        let Some((_, rest)) = line.split_once(prefix) else {
            continue;
        };
        let Some(quoted) = rest.trim_start().strip_prefix('`') else {
            continue;
        };
        if let Some((package, _)) = quoted.split_once('`')
            && !packages.iter().any(|p| p == package)
        {
            packages.push(package.to_string());
        }
    }
    packages
}

/// The artifact hashes of every `[[package]]` of a TOML lock (uv.lock, poetry.lock) for the SBOM,
/// keyed by normalized name; `artifact_hashes` reads one package's hashes. An unreadable lock
/// gives none (the install itself reports it).
pub(crate) fn toml_lock_hashes(
    lock: &str,
    artifact_hashes: impl Fn(&toml::Value) -> Vec<String>,
) -> HashMap<String, Vec<String>> {
    let Ok(lock) = toml::from_str::<toml::Table>(lock) else {
        return HashMap::new();
    };
    let mut hashes: HashMap<String, Vec<String>> = HashMap::new();
    for package in lock
        .get("package")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = package.get("name").and_then(toml::Value::as_str) else {
            continue;
        };
        let found = artifact_hashes(package);
        if !found.is_empty() {
            hashes
                .entry(normalize_name(name))
                .or_default()
                .extend(found);
        }
    }
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Env {
        let mut env = Env::new();
        for (name, value) in vars {
            env.insert(name, value);
        }
        env
    }

    fn is_uv_setting(name: &str) -> bool {
        name.starts_with("UV_") && !is_credential(name)
    }

    #[test]
    fn fingerprint_names_settings_and_hides_values() {
        let (names, sha256) = fingerprint(
            &env(&[
                ("UV_INDEX_URL", "https://u:secret@i/simple"),
                ("UV_INDEX_PRIVATE_PASSWORD", "secret"),
                ("HOME", "/home"),
            ]),
            is_uv_setting,
        );
        assert_eq!(names, ["UV_INDEX_URL"]);
        assert_eq!(sha256.len(), 64);
        let (_, other) = fingerprint(&env(&[("UV_INDEX_URL", "https://b/simple")]), is_uv_setting);
        assert_ne!(sha256, other);
        // A rotated credential is not a change.
        let (_, rotated) = fingerprint(
            &env(&[
                ("UV_INDEX_URL", "https://u:secret@i/simple"),
                ("UV_INDEX_PRIVATE_PASSWORD", "rotated"),
            ]),
            is_uv_setting,
        );
        assert_eq!(sha256, rotated);
    }

    #[test]
    fn reads_only_existing_files() {
        let app = tempfile::tempdir().unwrap();
        std::fs::write(app.path().join("uv.lock"), "lock").unwrap();
        let contents = read_files(app.path(), &["uv.lock", "uv.toml"]).unwrap();
        assert_eq!(contents.keys().collect::<Vec<_>>(), ["uv.lock"]);
    }

    #[test]
    fn quoted_packages_are_collected_once() {
        let output = "error: Failed to download `six==1.17.99`\n  cause: x\n\
                      error: Failed to download `six==1.17.99`\nFailed to build `a @ file:///w/a`";
        assert_eq!(quoted_after(output, "Failed to download"), ["six==1.17.99"]);
        assert_eq!(quoted_after(output, "Failed to build"), ["a @ file:///w/a"]);
    }

    #[test]
    fn names_are_normalized() {
        assert_eq!(normalize_name("Typing_Extensions"), "typing-extensions");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
    }
}
