//! The lock-based package managers (uv, Poetry, Pipenv, PDM): what their install is, as data
//! ([`LockedPlan`], made by each one's `plan` from the app, the dependency groups and the build
//! env, without side effects), and the one executor that carries any of them out ([`install`]):
//! the tool in its own cached build-only layer, its cache in another, and the app's locked
//! dependencies in the `venv` layer, which is reused, updated in place or created afresh (see
//! `crate::layers::venv`).

use crate::BuildpackError;
use crate::PythonBuildpack;
use crate::command::{Command, CommandError, Output};
use crate::config::DependencyCheck;
use crate::layers::installer::Uv;
use crate::layers::package_cache::prepare_package_cache_layer;
use crate::layers::tool::{Tool, restore_tool_layer};
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
use crate::project::Project;
use crate::runtime::PythonRuntime;
use bullet_stream::global::print;
use libcnb::Env;
use libcnb::build::BuildContext;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::Path;

pub(crate) mod failure;

pub(crate) use failure::LockedFailure;

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

/// How a lock-based package manager installs an app's dependencies.
#[derive(Debug, Clone)]
pub(crate) struct LockedPlan {
    pub(crate) package_manager: PackageManager,
    /// What runs the commands.
    pub(crate) tool: Tool,
    /// The inputs that decide whether the environment is reused: the lock, its manifest and the
    /// tool's config files the app has, by name → SHA-256.
    pub(crate) files: BTreeMap<String, String>,
    /// The variables of the build env that are the tool's settings (their values are
    /// fingerprinted, never recorded).
    pub(crate) settings: Vec<String>,
    /// The local packages (folders and files in the app) that the lock refers to, fingerprinted
    /// when the plan is carried out.
    pub(crate) local_sources: Vec<LocalSource>,
    /// The dependency groups installed besides the production dependencies (checked to exist).
    pub(crate) groups: Vec<String>,
    /// What the commands do with the packages of a group that is no longer selected.
    pub(crate) deselected_groups: DeselectedGroups,
    pub(crate) commands: Commands,
    /// What the commands run with besides the build env with the virtual environment applied.
    pub(crate) env: ToolEnv,
    /// Reads the (captured) output of a failed command.
    pub(crate) classify: fn(&str) -> LockedFailure,
    /// The artifact hashes the lock pins, by normalized package name, for the SBOM.
    pub(crate) lock_hashes: HashMap<String, Vec<String>>,
}

/// The commands of a plan, as the arguments of the tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Commands {
    /// Run in order, in a new environment and in an existing one.
    pub(crate) install: Vec<Vec<String>>,
    /// Run after them in an existing environment: what removes what the lock no longer has.
    pub(crate) then_in_existing: Vec<Vec<String>>,
    /// How an existing environment gets the changed sources of its local packages.
    pub(crate) changed_local_packages: ChangedLocalPackages,
}

/// How the tool installs the changed sources of a local package whose name and version are
/// unchanged (which it would otherwise keep).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangedLocalPackages {
    /// Told to: this option and the package's name are added to the last install command.
    ReinstallOption(&'static str),
    /// Uninstalled (with uv) before the commands run, so that the tool installs them afresh.
    UninstalledFirst,
}

impl Commands {
    /// The commands for an environment in `mode`, in which the local packages `reinstall`
    /// changed.
    pub(crate) fn to_run(&self, mode: InstallMode, reinstall: &[String]) -> Vec<Vec<String>> {
        let mut commands = self.install.clone();
        if let (ChangedLocalPackages::ReinstallOption(option), Some(last)) =
            (self.changed_local_packages, commands.last_mut())
        {
            for name in reinstall {
                last.extend([option.to_string(), name.clone()]);
            }
        }
        if mode == InstallMode::Existing {
            commands.extend(self.then_in_existing.iter().cloned());
        }
        commands
    }
}

/// The variables a tool runs with, besides the build env with the virtual environment applied
/// (which has `VIRTUAL_ENV`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ToolEnv {
    /// Left out: they would make the tool skip the install, or leave the environment.
    pub(crate) removed: Vec<&'static str>,
    pub(crate) set: Vec<(&'static str, EnvValue)>,
}

/// The value of a variable a tool runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EnvValue {
    Text(&'static str),
    /// The `venv` layer.
    VenvDir,
    /// The package manager's cache layer.
    CacheDir,
    /// The runtime's `python`.
    Python,
}

impl ToolEnv {
    /// `env` with these variables removed and set.
    pub(crate) fn apply(
        &self,
        env: &Env,
        runtime: &PythonRuntime,
        venv_dir: &Path,
        cache_dir: &Path,
    ) -> Env {
        let mut env = without(env, &self.removed);
        for (name, value) in &self.set {
            match value {
                EnvValue::Text(text) => env.insert(name, text),
                EnvValue::VenvDir => env.insert(name, venv_dir),
                EnvValue::CacheDir => env.insert(name, cache_dir),
                EnvValue::Python => env.insert(name, runtime.python()),
            };
        }
        env
    }
}

/// The plan's inputs from the app: `files` (the lock first) that the app has, by name →
/// SHA-256, and the lock's text.
pub(crate) fn read_files(
    project: &Project,
    files: &[&'static str],
) -> Result<(BTreeMap<String, String>, String), LockedInstallError> {
    let mut hashes = BTreeMap::new();
    for file in files {
        let contents = project
            .file(file)
            .map_err(|error| LockedInstallError::ReadFile {
                file: (*file).to_string(),
                error,
            })?;
        if let Some(bytes) = contents {
            hashes.insert((*file).to_string(), hex::encode(Sha256::digest(bytes)));
        }
    }
    let lock = files
        .first()
        .and_then(|lock| project.text(lock))
        .unwrap_or_default();
    Ok((hashes, lock))
}

/// Carries out `plan`: installs the app's locked dependencies into the `venv` layer, or reuses
/// it. `uv` is the package manager (for uv apps) or what installs it (Poetry, Pipenv, PDM).
pub(crate) fn install(
    context: &BuildContext<PythonBuildpack>,
    runtime: &PythonRuntime,
    uv: &Uv,
    plan: &LockedPlan,
    check: DependencyCheck,
) -> libcnb::Result<Venv, BuildpackError> {
    let declaration = plan.package_manager.declaration();
    let tool = plan.tool;
    let cache_dir = prepare_package_cache_layer(context, declaration.cache)?;
    let tool_layer = if tool.has_own_venv() {
        Some(restore_tool_layer(context, runtime, tool)?)
    } else {
        None
    };
    let settings_layer = restore_venv_settings_layer(
        context,
        fingerprints(&runtime.build_env, &plan.settings, []),
    )?;
    let metadata = VenvLayerMetadata {
        files: plan.files.clone(),
        env_names: plan.settings.clone(),
        local_sources: local_sources::fingerprints(&context.app_dir, &plan.local_sources),
        dependency_groups: plan.groups.clone(),
        ..VenvLayerMetadata::for_build(context, runtime, declaration.name, tool.version())
    };
    let request = VenvRequest {
        unchanged: unchanged_inputs(&metadata),
        metadata,
        policy: Policy {
            changed_settings: ChangedSettings::UpdateInPlace,
            deselected_groups: plan.deselected_groups,
            not_reusable: None,
            not_updatable: None,
        },
        settings: &settings_layer,
        base_env: &runtime.build_env,
        lock_hashes: &plan.lock_hashes,
        check,
    };
    install_venv_layer(
        context,
        runtime,
        &request,
        |venv_dir, venv_env, mode, reinstall| {
            let tool_path = match &tool_layer {
                Some(tool_layer) => tool_layer.install(
                    runtime,
                    uv,
                    &runtime.build_env,
                    crate::package_managers::uv::classify,
                )?,
                None => uv.binary.clone(),
            };
            if !reinstall.is_empty()
                && plan.commands.changed_local_packages == ChangedLocalPackages::UninstalledFirst
            {
                uninstall(plan, uv, venv_dir, reinstall, &runtime.build_env)?;
            }
            let env = plan.env.apply(venv_env, runtime, venv_dir, &cache_dir);
            let result = plan
                .commands
                .to_run(mode, reinstall)
                .iter()
                .try_for_each(|args| run(plan, &tool_path, args, &context.app_dir, &env));
            if let Some(tool_layer) = &tool_layer {
                tool_layer.seal_bytecode();
            }
            result
        },
    )
}

/// Uninstalls the local packages `names` from the environment with uv, so that a tool that would
/// keep them (same name, version and path) installs their changed sources afresh.
fn uninstall(
    plan: &LockedPlan,
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
        .map_err(|error| failed(plan, error, |_| LockedFailure::Other).into())
}

/// Runs the plan's tool (at `tool`), streamed with credentials redacted; a failure is classified
/// from its output.
fn run(
    plan: &LockedPlan,
    tool: &Path,
    args: &[String],
    app_dir: &Path,
    env: &Env,
) -> libcnb::Result<(), BuildpackError> {
    Command::new(tool, env)
        .args(args)
        .current_dir(app_dir)
        .shown_as(format!("{} {}", plan.tool.command_name(), args.join(" ")))
        .stream()
        .map(drop)
        .map_err(|error| failed(plan, error, |output| (plan.classify)(&output.combined())).into())
}

/// The error of a command that the plan's install ran: what `classify` reads in its output when
/// it failed.
fn failed(
    plan: &LockedPlan,
    error: CommandError,
    classify: impl FnOnce(&Output) -> LockedFailure,
) -> BuildpackError {
    let command = error.command.clone();
    error.into_buildpack_error(|status, output| {
        BuildpackError::LockedInstall(LockedInstallError::Failed {
            package_manager: plan.package_manager,
            command,
            failure: classify(&output),
            status,
        })
    })
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

/// What plans are tested with.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// An app with `files`, in `/workspace`.
    pub(crate) fn project(files: &[(&'static str, &str)]) -> Project {
        Project::from_files(Path::new("/workspace"), files)
    }

    /// The commands of `plan` for a new environment, and for an existing one in which the local
    /// packages `reinstall` changed.
    pub(crate) fn commands(
        plan: &LockedPlan,
        reinstall: &[&str],
    ) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
        let reinstall: Vec<String> = reinstall.iter().map(ToString::to_string).collect();
        (
            plan.commands.to_run(InstallMode::New, &[]),
            plan.commands.to_run(InstallMode::Existing, &reinstall),
        )
    }

    /// The env the plan's tool runs with, from `env`, with the layers at `/layers/<name>`.
    pub(crate) fn tool_env(plan: &LockedPlan, env: &Env) -> Env {
        let runtime = PythonRuntime {
            version: crate::python_version::PythonVersion {
                major: 3,
                minor: 13,
                patch: 5,
                pre: None,
            },
            variant: crate::python_version::PythonVariant::Default,
            layer_dir: "/layers/python".into(),
            bytecode_level: crate::runtime::layout::BytecodeLevel::Plain,
            build_env: Env::new(),
        };
        plan.env.apply(
            env,
            &runtime,
            Path::new("/layers/venv"),
            Path::new("/layers/cache"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::env;

    #[test]
    fn a_plan_reads_the_files_the_app_has_and_reports_the_unreadable() {
        let project = test_support::project(&[("uv.lock", "version = 1\n")]);
        let (files, lock) = read_files(&project, &["uv.lock", "pyproject.toml"]).unwrap();
        assert_eq!(files.keys().collect::<Vec<_>>(), ["uv.lock"]);
        assert_eq!(
            files["uv.lock"],
            hex::encode(Sha256::digest("version = 1\n"))
        );
        assert_eq!(lock, "version = 1\n");

        let app = tempfile::tempdir().unwrap();
        std::fs::create_dir(app.path().join("uv.lock")).unwrap();
        let error = read_files(&Project::read(app.path()).unwrap(), &["uv.lock"]).unwrap_err();
        assert!(
            matches!(error, LockedInstallError::ReadFile { ref file, .. } if file == "uv.lock")
        );
    }

    #[test]
    fn commands_add_the_reinstall_option_to_the_last_and_cleanup_only_in_existing_ones() {
        let commands = |changed_local_packages| Commands {
            install: vec![vec!["lock".to_string()], vec!["sync".to_string()]],
            then_in_existing: vec![vec!["clean".to_string()]],
            changed_local_packages,
        };
        let reinstall = ["a".to_string(), "b".to_string()];
        assert_eq!(
            commands(ChangedLocalPackages::ReinstallOption("--re"))
                .to_run(InstallMode::Existing, &reinstall),
            [
                vec!["lock"],
                vec!["sync", "--re", "a", "--re", "b"],
                vec!["clean"]
            ]
        );
        assert_eq!(
            commands(ChangedLocalPackages::UninstalledFirst).to_run(InstallMode::New, &reinstall),
            [vec!["lock"], vec!["sync"]]
        );
    }

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
}
