//! Installing an app's dependencies from requirements.txt with pip, into a virtual environment.

pub(crate) mod output;
pub(crate) mod requirements;

use crate::PythonBuildpack;
use crate::errors::BuildpackError;
use crate::layers::installer::{Pip, pinned_pip_version};
use crate::layers::package_cache::{PackageCache, prepare_package_cache_layer};
use crate::layers::venv::{
    LAYER_FORMAT as VENV_LAYER_FORMAT, Venv, VenvLayerMetadata, install_venv_layer,
};
use crate::runtime::PythonRuntime;
use bullet_stream::global::print;
use bullet_stream::style;
use fun_run::{CmdError, CommandWithName};
use libcnb::Env;
use libcnb::build::BuildContext;
use output::{PipFailure, RedactingLineWriter};
use requirements::REQUIREMENTS_TXT;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::Path;

/// pip settings that would install outside the virtual environment, or refuse to run outside
/// one (pip itself runs with the runtime's Python). Removed from pip's env.
const UNSUPPORTED_PIP_SETTINGS: [&str; 6] = [
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_ROOT",
    "PIP_USER",
    "PIP_PYTHON",
    "PIP_REQUIRE_VIRTUALENV",
];

/// pip settings that change how pip runs, but not what it installs: changing them does not
/// recreate the virtual environment. Every other `PIP_*` variable does (index URLs, find-links,
/// `--pre`, binary/source choices, constraints, config files...).
const NEUTRAL_PIP_SETTINGS: [&str; 18] = [
    "PIP_CACHE_DIR",
    "PIP_NO_CACHE_DIR",
    "PIP_CERT",
    "PIP_CLIENT_CERT",
    "PIP_PROXY",
    "PIP_TIMEOUT",
    "PIP_DEFAULT_TIMEOUT",
    "PIP_RETRIES",
    "PIP_RESUME_RETRIES",
    "PIP_KEYRING_PROVIDER",
    "PIP_NO_INPUT",
    "PIP_PROGRESS_BAR",
    "PIP_NO_COLOR",
    "PIP_VERBOSE",
    "PIP_QUIET",
    "PIP_LOG",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_ROOT_USER_ACTION",
];

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
    // A pip config file named in the env is an input too (pip resolves it from the app dir).
    let config_file = env
        .get("PIP_CONFIG_FILE")
        .and_then(|path| std::fs::read(context.app_dir.join(path)).ok());
    let (env_names, env_sha256) =
        settings_fingerprint(&env, &scan.variables, config_file.as_deref());
    let metadata = VenvLayerMetadata {
        layer_format: VENV_LAYER_FORMAT,
        python_version: runtime.version.to_string(),
        pip_version: pinned_pip_version().to_string(),
        distro_name: context.target.distro_name.clone(),
        distro_version: context.target.distro_version.clone(),
        requirements_files: scan.files.clone(),
        env_names,
        env_sha256,
    };

    install_venv_layer(
        context,
        runtime,
        &metadata,
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
        |stdout, stderr| {
            command.named(&shown).stream_output(
                RedactingLineWriter::new(stdout),
                RedactingLineWriter::new(stderr),
            )
        },
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

/// `env` without the pip settings that would install outside the target environment.
pub(crate) fn without_unsupported_pip_settings(env: &Env) -> Env {
    let mut kept = Env::new();
    for (name, value) in env {
        if !UNSUPPORTED_PIP_SETTINGS
            .iter()
            .any(|unsupported| name == unsupported)
        {
            kept.insert(name, value);
        }
    }
    kept
}

/// The env pip runs with: the build env (with the user's index, certificate and proxy settings),
/// the cache layer as `PIP_CACHE_DIR`, and without settings that would install elsewhere.
pub(crate) fn pip_env(build_env: &Env, cache_dir: &Path) -> Env {
    let mut env = without_unsupported_pip_settings(build_env);
    env.insert("PIP_CACHE_DIR", cache_dir);
    if !env.contains_key("PIP_ROOT_USER_ACTION") {
        // Builds may run as root (locally); a venv is exactly what pip's warning asks for.
        env.insert("PIP_ROOT_USER_ACTION", "ignore");
    }
    env
}

/// The names of the env variables that can change what pip installs (`PIP_*` settings and the
/// `${VAR}`s of the requirements files), and a SHA-256 of their names and values (and of the
/// `PIP_CONFIG_FILE`'s contents). Only the hash is kept: values can hold passwords.
pub(crate) fn settings_fingerprint(
    env: &Env,
    variables: &BTreeSet<String>,
    config_file: Option<&[u8]>,
) -> (Vec<String>, String) {
    let mut names: BTreeSet<String> = env
        .iter()
        .map(|(name, _)| name.to_string_lossy().to_string())
        .filter(|name| name.starts_with("PIP_") && !NEUTRAL_PIP_SETTINGS.contains(&name.as_str()))
        .collect();
    names.extend(variables.iter().cloned());
    let mut hasher = Sha256::new();
    for name in &names {
        hasher.update(name.as_bytes());
        match env.get(name) {
            Some(value) => {
                hasher.update(b"=");
                hasher.update(value.as_encoded_bytes());
            }
            None => hasher.update(b" unset"),
        }
        hasher.update(b"\0");
    }
    if let Some(contents) = config_file {
        hasher.update(b"PIP_CONFIG_FILE contents\0");
        hasher.update(contents);
    }
    (names.into_iter().collect(), hex::encode(hasher.finalize()))
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

    #[test]
    fn pip_env_sets_the_cache_and_drops_settings_that_install_elsewhere() {
        let env = pip_env(
            &env(&[
                ("PIP_TARGET", "/tmp/t"),
                ("PIP_USER", "1"),
                ("PIP_INDEX_URL", "https://i/simple"),
            ]),
            Path::new("/layers/pip-cache"),
        );
        assert_eq!(
            env.get_string_lossy("PIP_CACHE_DIR").as_deref(),
            Some("/layers/pip-cache")
        );
        assert_eq!(
            env.get_string_lossy("PIP_ROOT_USER_ACTION").as_deref(),
            Some("ignore")
        );
        assert_eq!(
            env.get_string_lossy("PIP_INDEX_URL").as_deref(),
            Some("https://i/simple")
        );
        assert!(!env.contains_key("PIP_TARGET"));
        assert!(!env.contains_key("PIP_USER"));
    }

    #[test]
    fn fingerprint_names_relevant_variables_and_hides_values() {
        let vars = BTreeSet::from(["TOKEN".to_string()]);
        let (names, sha256) = settings_fingerprint(
            &env(&[
                ("PIP_INDEX_URL", "https://u:secret@i/simple"),
                ("PIP_CERT", "/ca.pem"),
                ("TOKEN", "t0k"),
                ("HOME", "/home"),
            ]),
            &vars,
            None,
        );
        assert_eq!(names, vec!["PIP_INDEX_URL", "TOKEN"]);
        assert_eq!(sha256.len(), 64);
        assert!(!sha256.contains("secret"));
    }

    #[test]
    fn fingerprint_changes_with_values_but_not_neutral_settings() {
        let none = BTreeSet::new();
        let base =
            settings_fingerprint(&env(&[("PIP_INDEX_URL", "https://a/simple")]), &none, None);
        let other_index =
            settings_fingerprint(&env(&[("PIP_INDEX_URL", "https://b/simple")]), &none, None);
        let with_timeout = settings_fingerprint(
            &env(&[
                ("PIP_INDEX_URL", "https://a/simple"),
                ("PIP_DEFAULT_TIMEOUT", "60"),
            ]),
            &none,
            None,
        );
        let with_config = settings_fingerprint(
            &env(&[("PIP_INDEX_URL", "https://a/simple")]),
            &none,
            Some(b"x"),
        );
        assert_ne!(base, other_index);
        assert_eq!(base, with_timeout);
        assert_ne!(base, with_config);
    }

    #[test]
    fn an_unset_variable_differs_from_an_empty_one() {
        let vars = BTreeSet::from(["TOKEN".to_string()]);
        assert_ne!(
            settings_fingerprint(&Env::new(), &vars, None),
            settings_fingerprint(&env(&[("TOKEN", "")]), &vars, None)
        );
    }

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
