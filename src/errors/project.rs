//! Messages about the app's setup rather than Python itself: the build environment, missing lock
//! files and committed virtual environments.

use super::{Message, MessageKind};
use crate::app_files::MissingLockHint;
use crate::dependency_groups::UnknownGroups;
use crate::detect::PACKAGE_MANAGER_FILES;
use crate::env_safety::{EnvHazard, EnvVarProblem};
use crate::package_managers::PackageManager;
use bullet_stream::style;
use indoc::formatdoc;

fn hazard(hazard: EnvHazard) -> &'static str {
    match hazard {
        EnvHazard::PythonHome => {
            "makes Python look for its standard library outside the Python the buildpack installs"
        }
        EnvHazard::VirtualEnv => {
            "points pip, uv, Poetry and Pipenv at a virtual environment other than the buildpack's"
        }
        EnvHazard::Conda => "refers to a conda environment, which this buildpack does not use",
        EnvHazard::PackageManagerSetting(breaks) => breaks,
        EnvHazard::PythonPath => {
            "would let modules from outside the virtual environment shadow the installed packages"
        }
        EnvHazard::PipRequireVirtualenv => {
            "would stop the buildpack from installing pip itself, which happens outside any virtual environment"
        }
    }
}

fn list(problems: &[EnvVarProblem]) -> String {
    problems
        .iter()
        .map(|problem| format!("- {}: {}", problem.name, hazard(problem.hazard)))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn unsafe_env_message(refused: &[EnvVarProblem]) -> Message {
    Message::user_error(formatdoc! {"
        Unsupported environment variables for the build

        The build's environment sets variables that would put Python, the package manager or
        the installed packages somewhere other than where the buildpack puts them:
        {list}

        Remove them from the build's environment (`pack build --env`, the
        [[io.buildpacks.build.env]] tables of project.toml, or your platform's config). The
        buildpack sets up Python, the virtual environment and the package manager itself.
    ", list = list(refused)})
}

pub(crate) fn neutralised_env_warning(neutralised: &[EnvVarProblem]) -> Message {
    Message::warning(formatdoc! {"
        Ignoring environment variables during the build

        These variables from the build's environment are left out of every command the
        buildpack runs:
        {list}

        Build-time variables (`pack build --env`) do not reach the running app either. If the
        app needs one at runtime, set it in the app's launch configuration instead.
    ", list = list(neutralised)})
}

pub(super) fn no_package_manager_message(
    python_files: &[&'static str],
    hint: MissingLockHint,
) -> Message {
    let found = style::value(python_files.join(", "));
    match hint {
        MissingLockHint::Lock(package_manager) => {
            let recognised = package_manager
                .declaration()
                .missing_lock
                .recognised_by
                .as_ref()
                .expect("a hint names a package manager recognised by a sign");
            Message {
                kind: MessageKind::UserError,
                header: recognised.header.to_string(),
                body: format!(
                    "{}\n{}\n",
                    recognised.explanation,
                    lock_options(Some(package_manager))
                ),
            }
        }
        MissingLockHint::InstallProject => Message::user_error(formatdoc! {"
            No requirements.txt for this package

            The app is an installable Python package ({found}), but the buildpack installs
            dependencies from a requirements file or a lock file, and there is none.

            Add a requirements.txt containing the line `-e .`: pip then installs the app
            and its dependencies.
        "}),
        MissingLockHint::None => Message::user_error(formatdoc! {"
            No package manager files found

            This looks like a Python app ({found}), but it has none of the files that say how
            to install its dependencies: {files}.

            Add one of them, for example a requirements.txt listing your dependencies (it may
            be empty), or a lock file created with `uv lock`, `poetry lock` or `pipenv lock`.
        ", files = PACKAGE_MANAGER_FILES.join(", ")}),
    }
}

pub(super) fn unknown_groups_message(error: &UnknownGroups) -> Message {
    let list = |names: &[String]| {
        if names.is_empty() {
            "none".to_string()
        } else {
            names
                .iter()
                .map(style::value)
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let where_ = error.package_manager.declaration().groups.described_as;
    Message::user_error(formatdoc! {"
        Unknown dependency group

        BP_PYTHON_DEPENDENCY_GROUPS asks for {unknown}, which {file} does not define. The
        groups it defines ({where_}): {defined}.

        Set BP_PYTHON_DEPENDENCY_GROUPS to some of those (comma or space separated), define the
        group, or unset the variable to install the production dependencies only.
    ", unknown = list(&error.unknown), file = error.file, defined = list(&error.defined)})
}

/// Every file the buildpack installs from and the command that creates it, likeliest first:
/// the recognised package manager and the one closest to it, then the others by their
/// declarations' rank.
fn lock_options(recognised: Option<PackageManager>) -> String {
    let closest = recognised.and_then(|r| r.declaration().missing_lock.closest);
    let mut order: Vec<PackageManager> = PackageManager::ALL.to_vec();
    order.sort_by_key(|package_manager| {
        let rank = package_manager.declaration().missing_lock.suggestion_rank;
        if Some(*package_manager) == recognised {
            (0, rank)
        } else if Some(*package_manager) == closest {
            (1, rank)
        } else {
            (2, rank)
        }
    });
    order
        .iter()
        .map(|package_manager| package_manager.declaration().missing_lock.create)
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn committed_venv_warning(dirs: &[String]) -> Message {
    let shown = dirs
        .iter()
        .map(|dir| style::value(format!("{dir}/")))
        .collect::<Vec<_>>()
        .join(", ");
    let first = dirs.first().map_or(".venv", String::as_str);
    Message::warning(formatdoc! {"
        Virtual environment committed with the app

        The app contains a virtual environment: {shown}. The buildpack ignores it and installs
        the dependencies into a virtual environment of its own; a copied one would not work in
        the image anyway, as it points at the Python of the machine that created it. It only
        makes the app bigger.

        Add it to .gitignore and remove it from the repository (`git rm -r --cached {first}`),
        or exclude it from the build in project.toml ([io.buildpacks] exclude).
    "})
}

/// A compiled file that could not be made hash-based (`crate::bytecode`): the build goes on.
pub(crate) fn bytecode_warning(path: &std::path::Path, error: &std::io::Error) -> Message {
    Message::warning(formatdoc! {"
        Could not make compiled Python files valid for the image

        The buildpack turns the compiled files (.pyc) of the app, its virtual environment and
        the Python installation into hash-based ones, which stay valid when the platform resets
        file times as it exports the image. It could not do so here:
        {path}: {error}

        The app works the same, but Python compiles the affected modules again whenever it
        imports them in a new container, which slows down its start. Check the file's
        permissions and the free disk space.
        ",
        path = style::value(path.display().to_string()),
    })
}
