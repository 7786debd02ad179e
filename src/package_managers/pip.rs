//! Installing an app's dependencies from requirements.txt with pip, into a virtual environment.

pub(crate) mod output;
pub(crate) mod requirements;
pub(crate) mod settings;

use crate::PythonBuildpack;
use crate::errors::BuildpackError;
use crate::layers::installer::{Pip, pinned_pip_version};
use crate::layers::package_cache::{PackageCache, prepare_package_cache_layer};
use crate::layers::venv::{
    DeselectedGroups, Policy, Venv, VenvLayerMetadata, VenvRequest, install_venv_layer,
    not_reusable_reason,
};
use crate::layers::venv_settings::{fingerprints, restore_venv_settings_layer};
use crate::package_managers::declaration::{
    Declaration, Groups, Installs, MissingLock, RefusedSetting, table_keys,
};
use crate::runtime::PythonRuntime;
use bullet_stream::global::print;
use libcnb::Env;
use libcnb::build::BuildContext;
use output::PipFailure;
use requirements::REQUIREMENTS_TXT;
use settings::{pip_env, pip_settings};

use sha2::Digest;
use std::path::Path;

/// What pip's install-location settings break.
const INSTALLS_ELSEWHERE: &str =
    "makes pip install packages outside the virtual environment, where the app does not find them";

/// pip: `requirements.txt`; groups from the PEP 735 `[dependency-groups]` of `pyproject.toml`.
pub(crate) const DECLARATION: Declaration = Declaration {
    name: "pip",
    marker_file: "requirements.txt",
    cache: PackageCache {
        layer: "pip-cache",
        label: "pip",
    },
    refused_settings: &[
        RefusedSetting {
            pattern: "PIP_TARGET",
            breaks: INSTALLS_ELSEWHERE,
            harmless_when_off: false,
        },
        RefusedSetting {
            pattern: "PIP_PREFIX",
            breaks: INSTALLS_ELSEWHERE,
            harmless_when_off: false,
        },
        RefusedSetting {
            pattern: "PIP_ROOT",
            breaks: INSTALLS_ELSEWHERE,
            harmless_when_off: false,
        },
        RefusedSetting {
            pattern: "PIP_USER",
            breaks: INSTALLS_ELSEWHERE,
            harmless_when_off: true,
        },
    ],
    groups: Groups {
        file: "pyproject.toml",
        described_as: "[dependency-groups] of pyproject.toml (PEP 735)",
        defined: |table| table_keys(table, &["dependency-groups"]),
    },
    missing_lock: MissingLock {
        create: "- requirements.txt: run `pip freeze > requirements.txt` in the app's virtual environment, or list the dependencies in it",
        suggestion_rank: 1,
        closest: None,
        recognised_by: None,
    },
    installs: Installs::Requirements,
};

#[derive(Debug)]
pub(crate) enum PipInstallError {
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
    groups: &[String],
) -> libcnb::Result<Venv, BuildpackError> {
    print::bullet("Dependencies (pip)");
    crate::dependency_groups::announce(groups);
    let cache_dir = prepare_package_cache_layer(context, DECLARATION.cache)?;
    let env = pip_env(&runtime.build_env, &cache_dir);

    let lookup = |name: &str| env.get_string_lossy(name);
    let scan = requirements::scan(
        &context.app_dir,
        env.get_string_lossy("PIP_CONSTRAINT").as_deref(),
        &lookup,
        &mut |path: &Path| std::fs::read(path),
    )
    .map_err(BuildpackError::RequirementsFile)?;
    let mut requirements_files = scan.files.clone();
    let mut not_reusable = scan.not_reusable.clone();
    if !groups.is_empty() {
        // The groups' requirements are in pyproject.toml: an input, pinned or not.
        let pyproject = std::fs::read(context.app_dir.join(PYPROJECT_TOML)).unwrap_or_default();
        requirements_files.insert(
            PYPROJECT_TOML.to_string(),
            hex::encode(sha2::Sha256::digest(&pyproject)),
        );
        not_reusable.extend(unpinned_group_requirements(
            &String::from_utf8_lossy(&pyproject),
            groups,
        ));
    }
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
        files: requirements_files,
        env_names: settings.union(&scan.variables).cloned().collect(),
        dependency_groups: groups.to_vec(),
        ..VenvLayerMetadata::for_build(context, runtime, DECLARATION.name, pinned_pip_version())
    };
    let request = VenvRequest {
        metadata,
        // pip installs what it is given and removes nothing: any change starts afresh.
        policy: Policy {
            updates_in_place: false,
            deselected_groups: DeselectedGroups::KeptByTheTool,
            not_reusable: not_reusable_reason(&not_reusable),
        },
        settings: &settings_layer,
        base_env: &env,
        unchanged: "requirements and Python".to_string(),
        lock_hashes: &std::collections::HashMap::new(),
    };
    install_venv_layer(context, runtime, &request, |venv_dir, venv_env, _, _| {
        if scan.requirement_count == 0 && groups.is_empty() {
            print::sub_bullet(format!(
                "No packages in {REQUIREMENTS_TXT}, so nothing to install"
            ));
            return Ok(());
        }
        let result = run_pip_install(pip, runtime, &context.app_dir, venv_dir, venv_env, groups);
        pip.seal_bytecode();
        result
    })
}

/// `pip install -r requirements.txt` into the virtual environment, streamed with credentials
/// redacted.
fn run_pip_install(
    pip: &Pip,
    runtime: &PythonRuntime,
    app_dir: &Path,
    venv_dir: &Path,
    env: &Env,
    groups: &[String],
) -> libcnb::Result<(), BuildpackError> {
    let shown = std::iter::once(format!("pip install -r {REQUIREMENTS_TXT}"))
        .chain(groups.iter().map(|group| format!("--group {group}")))
        .collect::<Vec<_>>()
        .join(" ");
    pip.command(&runtime.python(), env)
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
        .args(groups.iter().flat_map(|group| ["--group", group.as_str()]))
        .current_dir(app_dir)
        .shown_as(shown)
        .stream()
        .map(drop)
        .map_err(|error| {
            error
                .into_buildpack_error(|status, captured| {
                    let failure = relative_to_app(output::classify(&captured.combined()), app_dir);
                    BuildpackError::PipInstall(PipInstallError::Failed { failure, status })
                })
                .into()
        })
}

const PYPROJECT_TOML: &str = "pyproject.toml";

/// The requirements of `groups` (and the groups they include) in pyproject.toml's
/// `[dependency-groups]` that are not pinned with `==`: a venv installed from them is not reused.
fn unpinned_group_requirements(pyproject: &str, groups: &[String]) -> Vec<String> {
    let table: toml::Table = toml::from_str(pyproject).unwrap_or_default();
    let Some(defined) = table
        .get("dependency-groups")
        .and_then(toml::Value::as_table)
    else {
        return Vec::new();
    };
    let by_name = |wanted: &str| {
        defined
            .iter()
            .find(|(name, _)| crate::package_name::normalize_name(name) == wanted)
            .and_then(|(_, value)| value.as_array())
    };
    let mut unpinned = Vec::new();
    let mut pending: Vec<String> = groups.to_vec();
    let mut seen = std::collections::BTreeSet::new();
    while let Some(group) = pending.pop() {
        if !seen.insert(group.clone()) {
            continue;
        }
        for entry in by_name(&group).into_iter().flatten() {
            match entry {
                toml::Value::String(requirement) if !requirement.contains("==") => {
                    unpinned.push(requirement.clone());
                }
                toml::Value::Table(include) => {
                    if let Some(name) = include.get("include-group").and_then(toml::Value::as_str) {
                        pending.push(crate::package_name::normalize_name(name));
                    }
                }
                _ => {}
            }
        }
    }
    unpinned
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
    fn unpinned_group_requirements_make_the_venv_not_reusable() {
        let pyproject = "[dependency-groups]\ndev = [\"pytest==8.0.0\", {include-group = \"Lint\"}]\nlint = [\"ruff>=0.5\"]\ndocs = [\"sphinx\"]\n";
        assert_eq!(
            unpinned_group_requirements(pyproject, &["dev".to_string()]),
            ["ruff>=0.5"]
        );
        assert!(unpinned_group_requirements(pyproject, &[]).is_empty());
        assert!(unpinned_group_requirements("", &["dev".to_string()]).is_empty());
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
