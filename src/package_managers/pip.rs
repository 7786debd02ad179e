//! Installing an app's dependencies from requirements.txt into the virtual environment, with pip
//! or with uv's pip interface (`BP_PYTHON_INSTALLER=uv`, pip's settings translated by
//! [`uv_settings`]). Changed requirements update the environment in place: uv's exact install
//! removes what they no longer need; after pip, which never removes anything, the buildpack
//! does (`prune`, from what `crate::installed` reads of the installed packages).

pub(crate) mod output;
pub(crate) mod requirements;
pub(crate) mod settings;
pub(crate) mod uv_settings;

use crate::BuildpackError;
use crate::PythonBuildpack;
use crate::command::CommandError;
use crate::config::DependencyCheck;
use crate::installed::{self, Unnamed};
use crate::layers::installer::{Installed, Installer, Pip, Uv};
use crate::layers::package_cache::{PackageCache, prepare_package_cache_layer};
use crate::layers::venv::{
    ChangedSettings, DeselectedGroups, InstallMode, Policy, Venv, VenvLayerMetadata, VenvRequest,
    install_venv_layer, not_reusable_reason,
};
use crate::layers::venv_settings::{fingerprints, restore_venv_settings_layer};
use crate::package_managers::declaration::{
    Declaration, Groups, MissingLock, RefusedSetting, table_keys,
};
use crate::project::Project;
use crate::redact::redact_urls;
use crate::runtime::PythonRuntime;
use bullet_stream::global::print;
use libcnb::Env;
use libcnb::build::BuildContext;
use output::PipFailure;
use requirements::REQUIREMENTS_TXT;
use settings::{pip_env, pip_settings, without_unsupported_pip_settings};
use uv_settings::{RefusedPipSetting, UvSettings};

use crate::package_managers::local_sources::LocalSource;
use sha2::Digest;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;
use std::path::PathBuf;

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
    lock_words: None,
};

#[derive(Debug)]
pub(crate) enum PipInstallError {
    Failed {
        /// `pip` or `uv`.
        installer: &'static str,
        failure: PipFailure,
        status: Option<i32>,
    },
    /// A pip setting that uv cannot honour (`BP_PYTHON_INSTALLER=uv`).
    RefusedSetting(RefusedPipSetting),
    /// After an in-place update, what the environment no longer needs could not be told apart.
    Prune(String),
}

/// Its download and build cache: pip's, or the one uv apps use.
fn cache_of(installer: Installer) -> PackageCache {
    match installer {
        Installer::Pip => DECLARATION.cache,
        Installer::Uv => crate::package_managers::uv::DECLARATION.cache,
    }
}

/// How the requirements are installed: with pip, or with uv's pip interface and pip's settings
/// translated.
enum Run<'a> {
    Pip(&'a Pip),
    Uv(UvRun<'a>),
}

/// How requirements files are installed: made by [`plan`] from the app, the installer the build
/// installed, the dependency groups and the build env (reading the requirements files and pip's
/// config files as pip would), and carried out by [`install`].
pub(crate) struct RequirementsPlan<'a> {
    run: Run<'a>,
    /// The files installed from → SHA-256: the requirements files and those they include,
    /// `pyproject.toml` for dependency groups, and uv's config files with uv.
    files: BTreeMap<String, String>,
    /// The variables that are settings (their values are fingerprinted).
    settings: BTreeSet<String>,
    /// The settings and the `${VAR}`s the requirements use, recorded by name.
    env_names: Vec<String>,
    /// What else counts as a setting, by what it is called → its contents.
    other_settings: Vec<(String, Vec<u8>)>,
    /// The local folders of `PIP_FIND_LINKS`, whose contents are settings too (fingerprinted when
    /// the plan is carried out).
    find_links: Vec<LocalSource>,
    groups: Vec<String>,
    policy: Policy,
    /// The requirements an in-place update with pip follows to remove what they no longer need.
    top_level: Vec<pep508_rs::Requirement<pep508_rs::VerbatimUrl>>,
    /// No requirement and no group: nothing to run.
    nothing_to_install: bool,
}

impl RequirementsPlan<'_> {
    fn installer(&self) -> Installer {
        self.run.installer()
    }
}

impl Run<'_> {
    fn installer(&self) -> Installer {
        match self {
            Run::Pip(_) => Installer::Pip,
            Run::Uv(_) => Installer::Uv,
        }
    }
}

/// Plans installing the app's requirements.txt (and the selected groups) with `installed`.
/// `read` reads the files the plan follows as pip would (those the requirements files include,
/// pip's config files): [`read_file`] in a build.
pub(crate) fn plan<'a>(
    project: &Project,
    installed: &'a Installed,
    groups: &[String],
    build_env: &Env,
    read: &mut dyn FnMut(&Path) -> io::Result<Vec<u8>>,
) -> Result<RequirementsPlan<'a>, BuildpackError> {
    let env = without_unsupported_pip_settings(build_env);
    let mut inputs = read_inputs(project, &env, groups, read)?;
    let config_files = settings::read_config_files(&env, project.dir(), read);
    let mut settings = pip_settings(&env);
    let run = match installed {
        Installed::Pip(pip) => Run::Pip(pip),
        Installed::Uv(uv) => {
            // uv reads its own settings and config files too: inputs as well.
            settings.extend(crate::package_managers::locked::settings(
                &env,
                crate::package_managers::uv::is_setting,
            ));
            for file in [UV_TOML, PYPROJECT_TOML] {
                if let Some(bytes) = project.bytes(file) {
                    inputs
                        .files
                        .insert(file.to_string(), hex::encode(sha2::Sha256::digest(bytes)));
                }
            }
            let config_files: Vec<_> = config_files
                .iter()
                .map(|(file, bytes)| (file.clone(), String::from_utf8_lossy(bytes).into_owned()))
                .collect();
            Run::Uv(UvRun {
                uv,
                settings: uv_settings::translate(&env, &config_files)
                    .map_err(PipInstallError::RefusedSetting)
                    .map_err(BuildpackError::PipInstall)?,
                hashed: inputs.scan.hashed,
            })
        }
    };
    let other_settings = other_settings(&config_files, &inputs.scan);
    let (top_level, not_updatable) = what_an_update_follows(&run, &inputs.top_level);
    Ok(RequirementsPlan {
        env_names: settings.union(&inputs.scan.variables).cloned().collect(),
        settings,
        other_settings,
        find_links: settings::find_links_folders(&env),
        groups: groups.to_vec(),
        // pip and uv keep what is installed when it meets the requirements: a changed setting
        // (an index, binaries or sources) would not apply to it, so it starts afresh.
        policy: Policy {
            changed_settings: ChangedSettings::Recreate,
            deselected_groups: DeselectedGroups::RemovedInPlace,
            not_reusable: not_reusable_reason(&inputs.not_reusable),
            not_updatable,
        },
        top_level,
        nothing_to_install: inputs.scan.requirement_count == 0 && groups.is_empty(),
        files: inputs.files,
        run,
    })
}

/// Reads a file the plan follows: a project file from the app model (requirements.txt is read
/// once), anything else from disk.
pub(crate) fn read_file(project: &Project, path: &Path) -> io::Result<Vec<u8>> {
    let project_file = path
        .strip_prefix(project.dir())
        .ok()
        .and_then(Path::to_str)
        .and_then(|name| project.file(name).transpose());
    match project_file {
        Some(file) => file.map(<[u8]>::to_vec),
        None => std::fs::read(path),
    }
}

/// What the output calls an install by `installer`.
pub(crate) fn described(installer: Installer) -> &'static str {
    match installer {
        Installer::Pip => "pip",
        Installer::Uv => "uv pip, from BP_PYTHON_INSTALLER",
    }
}

/// Carries out `plan`: installs the app's requirements into the `venv` layer (or reuses it).
/// Returns the virtual environment and the build env with it applied, for the build steps that
/// follow.
pub(crate) fn install(
    context: &BuildContext<PythonBuildpack>,
    runtime: &PythonRuntime,
    plan: &RequirementsPlan<'_>,
    check: DependencyCheck,
) -> libcnb::Result<Venv, BuildpackError> {
    let cache_dir = prepare_package_cache_layer(context, cache_of(plan.installer()))?;
    let env = pip_env(&runtime.build_env, &cache_dir);
    let find_links = settings::find_links_settings(&context.app_dir, &plan.find_links);
    let settings_layer = restore_venv_settings_layer(
        context,
        fingerprints(
            &env,
            &plan.settings,
            plan.other_settings.iter().cloned().chain(find_links),
        ),
    )?;
    let metadata = VenvLayerMetadata {
        files: plan.files.clone(),
        env_names: plan.env_names.clone(),
        dependency_groups: plan.groups.clone(),
        installer: Some(plan.installer().project().to_string()),
        ..VenvLayerMetadata::for_build(
            context,
            runtime,
            DECLARATION.name,
            plan.installer().version(),
        )
    };
    let request = VenvRequest {
        metadata,
        policy: plan.policy.clone(),
        settings: &settings_layer,
        base_env: &env,
        unchanged: "requirements and Python".to_string(),
        lock_hashes: &std::collections::HashMap::new(),
        check,
    };
    let groups = &plan.groups;
    install_venv_layer(context, runtime, &request, |venv_dir, venv_env, mode, _| {
        if plan.nothing_to_install {
            print::sub_bullet(format!(
                "No packages in {REQUIREMENTS_TXT}, so nothing to install"
            ));
        } else {
            match &plan.run {
                Run::Pip(pip) => {
                    let result =
                        run_pip_install(pip, runtime, &context.app_dir, venv_dir, venv_env, groups);
                    pip.seal_bytecode();
                    result?;
                }
                // An exact install: it removes what the requirements no longer need.
                Run::Uv(uv_run) => {
                    return uv_run.install(
                        &context.app_dir,
                        venv_dir,
                        venv_env,
                        &cache_dir,
                        groups,
                    );
                }
            }
        }
        match mode {
            InstallMode::New => Ok(()),
            InstallMode::Existing => prune(&plan.run, runtime, venv_dir, venv_env, &plan.top_level),
        }
    })
}

/// What counts as a setting besides pip's variables: each `${VAR}` by the lines it is
/// substituted into (credentials redacted), pip config files and local find-links folders by
/// their contents, and the index options of the requirements files (which do not apply to what
/// an update keeps).
fn other_settings(
    config_files: &[(PathBuf, Vec<u8>)],
    scan: &requirements::RequirementsScan,
) -> Vec<(String, Vec<u8>)> {
    let variables = scan
        .variable_lines
        .iter()
        .map(|(name, lines)| (name.clone(), lines.join("\n").into_bytes()));
    let source_options = (!scan.source_options.is_empty()).then(|| {
        (
            SOURCE_OPTIONS.to_string(),
            scan.source_options.join("\n").into_bytes(),
        )
    });
    settings::config_file_settings(config_files)
        .into_iter()
        .chain(variables)
        .chain(source_options)
        .collect()
}

/// What the requirements files and the selected dependency groups say.
struct Inputs {
    scan: requirements::RequirementsScan,
    /// The files installed from → SHA-256.
    files: std::collections::BTreeMap<String, String>,
    /// The requirements that can install something else from the same files.
    not_reusable: Vec<String>,
    /// Every requirement (the groups' too), as pip reads it.
    top_level: Vec<String>,
}

/// Reads requirements.txt, the files it includes, and the groups' requirements from
/// pyproject.toml (`${VAR}`s from `env`).
fn read_inputs(
    project: &Project,
    env: &Env,
    groups: &[String],
    read: &mut dyn FnMut(&Path) -> io::Result<Vec<u8>>,
) -> Result<Inputs, BuildpackError> {
    let lookup = |name: &str| env.get_string_lossy(name);
    let scan = requirements::scan(
        project.dir(),
        env.get_string_lossy("PIP_CONSTRAINT").as_deref(),
        &lookup,
        read,
    )
    .map_err(BuildpackError::RequirementsFile)?;
    let mut inputs = Inputs {
        files: scan.files.clone(),
        not_reusable: scan.not_reusable.clone(),
        top_level: scan.top_level.clone(),
        scan,
    };
    if !groups.is_empty() {
        // The groups' requirements are in pyproject.toml: an input, pinned or not.
        let pyproject = project.bytes(PYPROJECT_TOML).unwrap_or_default();
        inputs.files.insert(
            PYPROJECT_TOML.to_string(),
            hex::encode(sha2::Sha256::digest(pyproject)),
        );
        let group_requirements = group_requirements(project.pyproject(), groups);
        inputs.not_reusable.extend(
            group_requirements
                .iter()
                .filter(|requirement| !requirement.contains("=="))
                .cloned(),
        );
        inputs.top_level.extend(group_requirements);
    }
    Ok(inputs)
}

/// The requirements an in-place update with pip follows to remove what they no longer need (pip
/// removes nothing by itself), or why it cannot: a requirement without a package name. uv's
/// exact install needs neither.
fn what_an_update_follows(
    run: &Run<'_>,
    top_level: &[String],
) -> (
    Vec<pep508_rs::Requirement<pep508_rs::VerbatimUrl>>,
    Option<String>,
) {
    match run {
        Run::Uv(_) => (Vec::new(), None),
        Run::Pip(_) => match installed::parse_requirements(top_level) {
            Ok(top_level) => (top_level, None),
            Err(Unnamed(requirement)) => (
                Vec::new(),
                Some(format!(
                    "a requirement has no package name ({}), so what it no longer needs cannot \
                     be told apart",
                    redact_urls(&requirement)
                )),
            ),
        },
    }
}

/// After an in-place update: uninstalls what a clean install of `top_level` would not have
/// (pip never removes anything by itself), console scripts and all.
fn prune(
    run: &Run<'_>,
    runtime: &PythonRuntime,
    venv_dir: &Path,
    env: &Env,
    top_level: &[pep508_rs::Requirement<pep508_rs::VerbatimUrl>],
) -> libcnb::Result<(), BuildpackError> {
    let failed = |error: String| BuildpackError::PipInstall(PipInstallError::Prune(error));
    let markers = installed::marker_environment(&runtime.python(), &runtime.build_env)
        .map_err(|error| failed(error.0))?;
    let set = installed::read(venv_dir)
        .map_err(|error| failed(format!("{}: {}", error.path.display(), error.error)))?;
    let extraneous = installed::extraneous(&set, top_level, &markers);
    if extraneous.is_empty() {
        return Ok(());
    }
    print::sub_bullet(format!(
        "Removing what the requirements no longer need: {}",
        extraneous.join(", ")
    ));
    let python = venv_dir.join("bin/python");
    let mut command = match run {
        Run::Pip(pip) => {
            let mut command = pip.command(&runtime.python(), env);
            command.arg("--python").arg(&python).args([
                "uninstall",
                "--yes",
                "--disable-pip-version-check",
            ]);
            command
        }
        Run::Uv(UvRun { uv, .. }) => {
            let mut command = uv.command(&crate::layers::tool::uv_env(env));
            command
                .args(["pip", "uninstall", "--no-config", "--python"])
                .arg(&python);
            command
        }
    };
    let result = command
        .args(&extraneous)
        .shown_as(format!(
            "{} uninstall {}",
            run.installer(),
            extraneous.join(" ")
        ))
        .capture()
        .map(drop)
        .map_err(failed_with(run.installer(), output::classify));
    if let Run::Pip(pip) = run {
        pip.seal_bytecode();
    }
    result
}

/// `uv pip install --exact -r requirements.txt` into the virtual environment, with pip's
/// settings translated.
struct UvRun<'a> {
    uv: &'a Uv,
    settings: UvSettings,
    /// Whether requirements have hashes: pip's hash-checking mode for every requirement.
    hashed: bool,
}

impl UvRun<'_> {
    fn install(
        &self,
        app_dir: &Path,
        venv_dir: &Path,
        venv_env: &Env,
        cache_dir: &Path,
        groups: &[String],
    ) -> libcnb::Result<(), BuildpackError> {
        let mut env = venv_env.clone();
        for (name, value) in &self.settings.env {
            env.insert(name, value);
        }
        env.insert("UV_CACHE_DIR", cache_dir);
        env.insert("UV_PYTHON_DOWNLOADS", "never");
        env.insert("UV_COMPILE_BYTECODE", "1");
        env.insert("UV_LINK_MODE", "hardlink");
        env.insert("UV_NO_PROGRESS", "1");
        self.uv
            .command(&env)
            .args(["pip", "install", "--exact", "--python"])
            .arg(venv_dir.join("bin/python"))
            .args(["--requirement", REQUIREMENTS_TXT])
            .args(groups.iter().flat_map(|group| ["--group", group.as_str()]))
            .args(self.hashed.then_some("--require-hashes"))
            .args(&self.settings.args)
            .current_dir(app_dir)
            .shown_as(shown_install("uv pip", groups))
            .stream()
            .map(drop)
            .map_err(failed_with(Installer::Uv, |output| {
                relative_to_app(output::classify_uv(output), app_dir)
            }))
    }
}

/// `pip install -r requirements.txt --group dev`, as the output shows an install by `tool`.
fn shown_install(tool: &str, groups: &[String]) -> String {
    std::iter::once(format!("{tool} install -r {REQUIREMENTS_TXT}"))
        .chain(groups.iter().map(|group| format!("--group {group}")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The error of a failed command of `installer`, whose captured output `read` classifies.
fn failed_with(
    installer: Installer,
    read: impl FnOnce(&str) -> PipFailure,
) -> impl FnOnce(CommandError) -> libcnb::Error<BuildpackError> {
    move |error| {
        error
            .into_buildpack_error(|status, output| {
                BuildpackError::PipInstall(PipInstallError::Failed {
                    installer: installer.project(),
                    failure: read(&output.combined()),
                    status,
                })
            })
            .into()
    }
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
        .shown_as(shown_install("pip", groups))
        .stream()
        .map(drop)
        .map_err(failed_with(Installer::Pip, |output| {
            relative_to_app(output::classify(output), app_dir)
        }))
}

const UV_TOML: &str = "uv.toml";

/// How the index options of the requirements files are named as a setting.
const SOURCE_OPTIONS: &str = "the index options of the requirements files";
const PYPROJECT_TOML: &str = "pyproject.toml";

/// The requirements of `groups` (and the groups they include) in pyproject.toml's
/// `[dependency-groups]`, as written.
fn group_requirements(pyproject: Option<&toml::Table>, groups: &[String]) -> Vec<String> {
    let Some(defined) = pyproject
        .and_then(|table| table.get("dependency-groups"))
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
    let mut requirements = Vec::new();
    let mut pending: Vec<String> = groups.to_vec();
    let mut seen = std::collections::BTreeSet::new();
    while let Some(group) = pending.pop() {
        if !seen.insert(group.clone()) {
            continue;
        }
        for entry in by_name(&group).into_iter().flatten() {
            match entry {
                toml::Value::String(requirement) => requirements.push(requirement.clone()),
                toml::Value::Table(include) => {
                    if let Some(name) = include.get("include-group").and_then(toml::Value::as_str) {
                        pending.push(crate::package_name::normalize_name(name));
                    }
                }
                _ => {}
            }
        }
    }
    requirements
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
    use crate::test_support::env;
    use requirements::RequirementsFileError;
    use std::collections::HashMap;

    const REQUIREMENTS: &str = "-r requirements/base.txt\nflask==3.0.3\n";

    /// An app in `/workspace` with `project_files` (read by the app model) and `other_files`
    /// (read by the plan), in memory.
    struct App {
        project: Project,
        other_files: HashMap<PathBuf, Vec<u8>>,
    }

    impl App {
        fn new(project_files: &[(&'static str, &str)], other_files: &[(&str, &str)]) -> Self {
            let dir = Path::new("/workspace");
            App {
                project: Project::from_files(dir, project_files),
                other_files: other_files
                    .iter()
                    .map(|(path, text)| (dir.join(path), text.as_bytes().to_vec()))
                    .collect(),
            }
        }

        fn plan<'a>(
            &self,
            installed: &'a Installed,
            groups: &[String],
            env: &Env,
        ) -> Result<RequirementsPlan<'a>, BuildpackError> {
            plan(&self.project, installed, groups, env, &mut |path| {
                let in_project = path
                    .strip_prefix(self.project.dir())
                    .ok()
                    .and_then(Path::to_str)
                    .and_then(|name| self.project.bytes(name));
                in_project
                    .map(<[u8]>::to_vec)
                    .or_else(|| self.other_files.get(path).cloned())
                    .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
            })
        }
    }

    fn app() -> App {
        App::new(
            &[
                ("requirements.txt", REQUIREMENTS),
                (
                    "pyproject.toml",
                    "[dependency-groups]\ndev = [\"pytest\"]\n[tool.uv]\n",
                ),
                ("uv.toml", "native-tls = true\n"),
            ],
            &[
                (
                    "requirements/base.txt",
                    "six==1.17.0 ; python_version >= '3'\n",
                ),
                ("/etc/pip.conf", "[global]\nno-binary = :all:\n"),
            ],
        )
    }

    fn pip() -> Installed {
        Installed::Pip(Pip::in_layer(Path::new("/layers/pip")))
    }

    fn names(plan: &RequirementsPlan<'_>) -> Vec<String> {
        plan.top_level.iter().map(|r| r.name.to_string()).collect()
    }

    #[test]
    fn the_plan_follows_includes_and_groups_and_recreates_on_settings() {
        let app = app();
        let pip = pip();
        let env = env(&[
            ("PIP_INDEX_URL", "https://pypi.example.com/simple"),
            ("PIP_CACHE_DIR", "/elsewhere"),
            ("PIP_TARGET", "/elsewhere"),
            ("PIP_FIND_LINKS", "wheels https://links.example.com"),
        ]);
        let plan = app.plan(&pip, &["dev".to_string()], &env).unwrap();
        assert_eq!(plan.installer(), Installer::Pip);
        assert_eq!(
            plan.files.keys().collect::<Vec<_>>(),
            [
                "pyproject.toml",
                "requirements.txt",
                "requirements/base.txt"
            ]
        );
        // Neutral and unsupported settings are not settings.
        assert_eq!(
            plan.settings.iter().collect::<Vec<_>>(),
            ["PIP_FIND_LINKS", "PIP_INDEX_URL"]
        );
        // pip's config files count as settings, and so do local find-links folders.
        assert_eq!(
            plan.other_settings
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>(),
            ["the pip config file /etc/pip.conf"]
        );
        assert_eq!(
            plan.find_links.iter().map(|f| &f.path).collect::<Vec<_>>(),
            ["wheels"]
        );
        assert_eq!(plan.policy.changed_settings, ChangedSettings::Recreate);
        assert_eq!(
            plan.policy.not_reusable.as_deref(),
            Some("requirements are not all pinned (pytest)")
        );
        assert_eq!(plan.policy.not_updatable, None);
        assert_eq!(names(&plan), ["flask", "six", "pytest"]);
        assert!(!plan.nothing_to_install);

        let plan = app.plan(&pip, &[], &Env::new()).unwrap();
        assert_eq!(plan.policy.not_reusable, None);
        assert_eq!(
            plan.files.keys().collect::<Vec<_>>(),
            ["requirements.txt", "requirements/base.txt"]
        );
    }

    #[test]
    fn with_uv_the_plan_translates_pips_settings_and_counts_uvs_config() {
        let app = app();
        let uv = Installed::Uv(Uv::in_layer(Path::new("/layers/uv")));
        let env = env(&[
            ("PIP_EXTRA_INDEX_URL", "https://pypi.example.com/simple"),
            ("UV_NATIVE_TLS", "1"),
            ("UV_NO_BINARY", "1"),
        ]);
        let plan = app.plan(&uv, &[], &env).unwrap();
        assert_eq!(plan.installer(), Installer::Uv);
        assert_eq!(
            plan.files.keys().collect::<Vec<_>>(),
            [
                "pyproject.toml",
                "requirements.txt",
                "requirements/base.txt",
                "uv.toml"
            ]
        );
        assert_eq!(
            plan.settings.iter().collect::<Vec<_>>(),
            ["PIP_EXTRA_INDEX_URL", "UV_NO_BINARY"]
        );
        let Run::Uv(run) = &plan.run else {
            panic!("a uv run");
        };
        assert_eq!(
            run.settings.env.get("UV_INDEX").map(String::as_str),
            Some("https://pypi.example.com/simple")
        );
        // From /etc/pip.conf.
        assert_eq!(run.settings.args, ["--no-binary", ":all:"]);
        // uv's exact install removes what is no longer needed by itself.
        assert_eq!(names(&plan), [""; 0]);

        let refused = crate::test_support::env(&[("PIP_NO_BUILD_ISOLATION", "0")]);
        assert!(matches!(
            app.plan(&uv, &[], &refused),
            Err(BuildpackError::PipInstall(PipInstallError::RefusedSetting(
                _
            )))
        ));
    }

    #[test]
    fn a_requirement_without_a_name_cannot_be_updated_in_place() {
        let app = App::new(
            &[("requirements.txt", "https://example.com/pkg-1.0.tar.gz\n")],
            &[],
        );
        let pip = pip();
        let plan = app.plan(&pip, &[], &Env::new()).unwrap();
        assert!(
            plan.policy
                .not_updatable
                .as_deref()
                .is_some_and(|reason| reason.starts_with("a requirement has no package name"))
        );
    }

    #[test]
    fn an_empty_requirements_file_has_nothing_to_install() {
        let app = App::new(&[("requirements.txt", "# nothing\n")], &[]);
        let pip = pip();
        assert!(app.plan(&pip, &[], &Env::new()).unwrap().nothing_to_install);
        let with_group = app.plan(&pip, &["dev".to_string()], &Env::new()).unwrap();
        assert!(!with_group.nothing_to_install);
    }

    #[test]
    fn a_missing_include_is_an_error_naming_it() {
        let app = App::new(&[("requirements.txt", "-r missing.txt\n")], &[]);
        assert!(matches!(
            app.plan(&pip(), &[], &Env::new()),
            Err(BuildpackError::RequirementsFile(RequirementsFileError::Read { ref file, .. }))
                if file == "missing.txt"
        ));
    }

    #[test]
    fn in_a_build_project_files_come_from_the_app_model() {
        let app = crate::test_support::tree(&[("requirements.txt", "six==1.17.0\n")]);
        let project = Project::read(app.path()).unwrap();
        std::fs::write(app.path().join("requirements.txt"), "changed since").unwrap();
        std::fs::write(app.path().join("base.txt"), "flask\n").unwrap();
        assert_eq!(
            read_file(&project, &app.path().join("requirements.txt")).unwrap(),
            b"six==1.17.0\n"
        );
        assert_eq!(
            read_file(&project, &app.path().join("base.txt")).unwrap(),
            b"flask\n"
        );
    }

    #[test]
    fn group_requirements_follow_included_groups() {
        let pyproject: toml::Table = toml::from_str("[dependency-groups]\ndev = [\"pytest==8.0.0\", {include-group = \"Lint\"}]\nlint = [\"ruff>=0.5\"]\ndocs = [\"sphinx\"]\n").unwrap();
        assert_eq!(
            group_requirements(Some(&pyproject), &["dev".to_string()]),
            ["pytest==8.0.0", "ruff>=0.5"]
        );
        assert_eq!(group_requirements(Some(&pyproject), &[]), [""; 0]);
        assert_eq!(group_requirements(None, &["dev".to_string()]), [""; 0]);
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
