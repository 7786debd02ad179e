//! Snapshots of the messages about the app's setup: the build environment, missing lock files
//! per package manager, unknown dependency groups per package manager, committed virtual
//! environments, the web process, Django's collectstatic and the SBOM.

use super::{BuildpackError, check, check_error, io_error, strings};
use crate::app_files::CommittedVenvs;
use crate::app_files::MissingLockHint;
use crate::bytecode::SealError;
use crate::collectstatic::DjangoError;
use crate::dependency_groups::{UnknownGroups, groups_file};
use crate::env_safety::EnvVarProblem;
use crate::env_safety::Neutralised;
use crate::launch::NoWebProcess;
use crate::launch::process::Server;
use crate::launch::web_choice::Candidate;
use crate::message::Message;
use crate::package_managers::PackageManager;
use std::path::PathBuf;

/// One variable per hazard, as the build env check (and the package managers' declarations)
/// describe them, in this order.
fn every_hazard() -> Vec<EnvVarProblem> {
    let names = [
        "PYTHONHOME",
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "PIP_TARGET",
        "UV_PROJECT_ENVIRONMENT",
        "UV_PYTHON",
        "POETRY_VIRTUALENVS_CREATE",
        "PIPENV_VENV_IN_PROJECT",
        "PIPENV_PYTHON",
        "PYTHONPATH",
        "PIP_REQUIRE_VIRTUALENV",
    ];
    let env: Vec<(&str, &str)> = names.iter().map(|name| (*name, "1")).collect();
    let checked = crate::env_safety::check_build_env(&crate::test_support::env(&env));
    let all: Vec<EnvVarProblem> = checked
        .refused
        .into_iter()
        .chain(checked.neutralised)
        .collect();
    names
        .iter()
        .map(|name| {
            all.iter()
                .find(|problem| problem.name == *name)
                .unwrap_or_else(|| panic!("{name} is not refused or neutralised"))
                .clone()
        })
        .collect()
}

#[test]
fn environment() {
    check_error("unsafe_env", BuildpackError::UnsafeEnv(every_hazard()));
    check(
        "warning_neutralised_env",
        &Message::from(&Neutralised(&every_hazard()[9..])),
    );
}

#[test]
fn missing_package_manager_files() {
    let cases = [
        (
            "pipenv_lock",
            MissingLockHint::Lock(PackageManager::Pipenv),
            vec!["Pipfile"],
        ),
        (
            "poetry_lock",
            MissingLockHint::Lock(PackageManager::Poetry),
            vec!["pyproject.toml"],
        ),
        (
            "pdm_lock",
            MissingLockHint::Lock(PackageManager::Pdm),
            vec!["pyproject.toml"],
        ),
        (
            "uv_lock",
            MissingLockHint::Lock(PackageManager::Uv),
            vec!["pyproject.toml"],
        ),
        (
            "install_project",
            MissingLockHint::InstallProject,
            vec!["pyproject.toml", "setup.py"],
        ),
        (
            "none",
            MissingLockHint::None,
            vec!["main.py", "runtime.txt"],
        ),
    ];
    for (name, hint, python_files) in cases {
        check_error(
            &format!("no_package_manager_{name}"),
            BuildpackError::NoPackageManager { python_files, hint },
        );
    }
}

#[test]
fn unknown_dependency_groups() {
    for package_manager in PackageManager::ALL {
        check_error(
            &format!(
                "unknown_dependency_groups_{}",
                package_manager.to_string().to_lowercase()
            ),
            BuildpackError::UnknownDependencyGroups(UnknownGroups {
                package_manager,
                file: groups_file(package_manager),
                unknown: strings(&["tests", "docs"]),
                defined: strings(&["dev", "lint"]),
            }),
        );
    }
    check_error(
        "unknown_dependency_groups_none_defined",
        BuildpackError::UnknownDependencyGroups(UnknownGroups {
            package_manager: PackageManager::Uv,
            file: "pyproject.toml",
            unknown: strings(&["dev"]),
            defined: Vec::new(),
        }),
    );
}

#[test]
fn committed_venv() {
    check(
        "warning_committed_venv",
        &Message::from(&CommittedVenvs(&strings(&[".venv"]))),
    );
    check(
        "warning_committed_venvs",
        &Message::from(&CommittedVenvs(&strings(&["venv", "backend/.venv"]))),
    );
}

#[test]
fn bytecode() {
    check(
        "warning_bytecode",
        &Message::from(&SealError {
            path: PathBuf::from("/workspace/app/__pycache__/views.cpython-313.pyc"),
            error: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        }),
    );
}

#[test]
fn web_process() {
    let flask = Candidate {
        description: "the Flask app `app:app` in app.py".to_string(),
    };
    let django = Candidate {
        description: "the Django project's WSGI application `mysite.wsgi:application`".to_string(),
    };
    check(
        "warning_no_server",
        &Message::from(&NoWebProcess::NoServer {
            found: &flask,
            servers: &[Server::Gunicorn, Server::Waitress],
            add: "gunicorn",
        }),
    );
    check(
        "warning_ambiguous",
        &Message::from(&NoWebProcess::Ambiguous(&[flask, django])),
    );
    check(
        "warning_django_without_application",
        &Message::from(&NoWebProcess::DjangoWithoutApplication {
            settings: "mysite/settings.py",
        }),
    );
}

#[test]
fn django() {
    let output = "Traceback (most recent call last):\n  File \"/workspace/manage.py\", line 22, in <module>\n    main()\ndjango.core.exceptions.ImproperlyConfigured: You're using the staticfiles app without having set the required STATIC_URL setting.\n";
    check_error(
        "django_check",
        BuildpackError::Django(DjangoError::Check {
            status: Some(1),
            output: output.to_string(),
        }),
    );
    check_error(
        "django_collectstatic",
        BuildpackError::Django(DjangoError::Collectstatic {
            status: Some(1),
            output: output.to_string(),
        }),
    );
    check_error(
        "django_collectstatic_killed_without_summary",
        BuildpackError::Django(DjangoError::Collectstatic {
            status: None,
            output: String::new(),
        }),
    );
}

#[test]
fn sbom() {
    check_error(
        "venv_sbom",
        BuildpackError::VenvSbom(crate::sbom::ReadError {
            path: PathBuf::from(
                "/layers/python/venv/lib/python3.13/site-packages/six-1.17.0.dist-info/METADATA",
            ),
            error: io_error("Permission denied (os error 13)"),
        }),
    );
}
