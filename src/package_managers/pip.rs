//! Installing an app's dependencies from requirements.txt with pip, into a virtual environment.

pub(crate) mod output;
pub(crate) mod requirements;
pub(crate) mod settings;

use crate::PythonBuildpack;
use crate::errors::BuildpackError;
use crate::layers::installer::{Pip, pinned_pip_version};
use crate::layers::package_cache::{PackageCache, prepare_package_cache_layer};
use crate::layers::venv::{
    LAYER_FORMAT as VENV_LAYER_FORMAT, Venv, VenvLayerMetadata, install_venv_layer,
};
use crate::layers::venv_settings::{fingerprints, restore_venv_settings_layer};
use crate::runtime::PythonRuntime;
use bullet_stream::global::print;
use bullet_stream::style;
use fun_run::{CmdError, CommandWithName};
use libcnb::Env;
use libcnb::build::BuildContext;
use output::PipFailure;
use requirements::REQUIREMENTS_TXT;
use settings::{pip_env, pip_settings};

use std::path::Path;

#[derive(Debug)]
pub(crate) enum PipInstallError {
    Spawn(std::io::Error),
    Failed {
        failure: PipFailure,
        status: Option<i32>,
    },
}

/// Installs the app's requirements.txt into the `venv` layer with `pip` (or reuses it). Returns
/// the virtual environment and the build env with it applied, for the build steps that follow.
pub(crate) fn install(
    context: &BuildContext<PythonBuildpack>,
    runtime: &PythonRuntime,
    pip: &Pip,
) -> libcnb::Result<Venv, BuildpackError> {
    print::bullet("Dependencies (pip)");
    let cache_dir = prepare_package_cache_layer(context, PackageCache::Pip)?;
    let env = pip_env(&runtime.build_env, &cache_dir);

    let lookup = |name: &str| env.get_string_lossy(name);
    let scan = requirements::scan(
        &context.app_dir,
        env.get_string_lossy("PIP_CONSTRAINT").as_deref(),
        &lookup,
        &mut |path: &Path| std::fs::read(path),
    )
    .map_err(BuildpackError::RequirementsFile)?;
    let settings = pip_settings(&env);
    // Each `${VAR}` counts by the lines it is substituted into (credentials redacted); pip config
    // files and local find-links folders by their contents.
    let variables = scan
        .variable_lines
        .iter()
        .map(|(name, lines)| (name.clone(), lines.join("\n").into_bytes()));
    let others = settings::settings_inputs(&env, &context.app_dir)
        .into_iter()
        .chain(variables);
    let settings_layer =
        restore_venv_settings_layer(context, fingerprints(&env, &settings, others))?;
    let metadata = VenvLayerMetadata {
        layer_format: VENV_LAYER_FORMAT,
        python_version: runtime.version.to_string(),
        bytecode_level: runtime.bytecode_level.as_number(),
        pip_version: pinned_pip_version().to_string(),
        distro_name: context.target.distro_name.clone(),
        distro_version: context.target.distro_version.clone(),
        requirements_files: scan.files.clone(),
        env_names: settings.union(&scan.variables).cloned().collect(),
    };

    install_venv_layer(
        context,
        runtime,
        &metadata,
        &settings_layer,
        &scan.not_reusable,
        &env,
        |venv_dir, venv_env| {
            if scan.requirement_count == 0 {
                print::sub_bullet(format!(
                    "No packages in {REQUIREMENTS_TXT}, so nothing to install"
                ));
                return Ok(());
            }
            run_pip_install(pip, runtime, &context.app_dir, venv_dir, venv_env)
        },
    )
}

/// `pip install -r requirements.txt` into the virtual environment, streamed with credentials
/// redacted.
fn run_pip_install(
    pip: &Pip,
    runtime: &PythonRuntime,
    app_dir: &Path,
    venv_dir: &Path,
    env: &Env,
) -> libcnb::Result<(), BuildpackError> {
    let mut command = pip.command(&runtime.python());
    command
        .arg("--python")
        .arg(venv_dir.join("bin").join("python"))
        .args(["install", "--requirement", REQUIREMENTS_TXT])
        .args([
            "--no-input",
            "--progress-bar",
            "off",
            "--disable-pip-version-check",
        ])
        .arg("--no-warn-script-location")
        .current_dir(app_dir)
        .env_clear()
        .envs(env);
    let shown = format!("pip install -r {REQUIREMENTS_TXT}");
    let result = print::sub_stream_with(
        format!("Running {}", style::command(&shown)),
        |stdout, stderr| command.named(&shown).stream_output(stdout, stderr),
    );
    match result {
        Ok(_) => Ok(()),
        Err(CmdError::SystemError(_, error)) => {
            Err(BuildpackError::PipInstall(PipInstallError::Spawn(error)).into())
        }
        Err(
            CmdError::NonZeroExitNotStreamed(output) | CmdError::NonZeroExitAlreadyStreamed(output),
        ) => {
            let text = format!("{}\n{}", output.stdout_lossy(), output.stderr_lossy());
            let failure = relative_to_app(output::classify(&text), app_dir);
            Err(BuildpackError::PipInstall(PipInstallError::Failed {
                failure,
                status: output.status().code(),
            })
            .into())
        }
    }
}

/// Shows paths in the app dir relative to it: packages built from it as `./path`, and files in
/// pip's `line N of FILE` as `FILE`.
fn relative_to_app(failure: PipFailure, app_dir: &Path) -> PipFailure {
    match failure {
        PipFailure::InvalidRequirement {
            requirement,
            location,
        } => PipFailure::InvalidRequirement {
            requirement,
            location: location
                .map(|location| location.replace(&format!("{}/", app_dir.display()), "")),
        },
        PipFailure::BuildFailed { packages } => PipFailure::BuildFailed {
            packages: packages
                .into_iter()
                .map(|package| match Path::new(&package).strip_prefix(app_dir) {
                    Ok(relative) if relative.as_os_str().is_empty() => ".".to_string(),
                    Ok(relative) => format!("./{}", relative.display()),
                    Err(_) => package,
                })
                .collect(),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_requirement_locations_are_relative_to_the_app() {
        let failure = PipFailure::InvalidRequirement {
            requirement: "x y".to_string(),
            location: Some("line 3 of /workspace/requirements/base.txt".to_string()),
        };
        assert_eq!(
            relative_to_app(failure, Path::new("/workspace")),
            PipFailure::InvalidRequirement {
                requirement: "x y".to_string(),
                location: Some("line 3 of requirements/base.txt".to_string()),
            }
        );
    }

    #[test]
    fn local_build_failures_are_shown_relative_to_the_app() {
        let failure = PipFailure::BuildFailed {
            packages: vec![
                "/workspace/brokenpkg".to_string(),
                "/workspace".to_string(),
                "numpy".to_string(),
            ],
        };
        assert_eq!(
            relative_to_app(failure, Path::new("/workspace")),
            PipFailure::BuildFailed {
                packages: vec![
                    "./brokenpkg".to_string(),
                    ".".to_string(),
                    "numpy".to_string()
                ]
            }
        );
    }
}
