//! Snapshots of the messages of lock-based installs: every failure read from the output of uv,
//! Poetry, Pipenv and PDM, for each of them (their words differ), and reading the lock file or
//! starting the tool.

use super::{BuildpackError, check_error, io_error, strings};
use crate::package_managers::PackageManager;
use crate::package_managers::locked::{LockedFailure, LockedInstallError};

/// Each manager, its snapshot name, the command it runs and how it shows a locked package.
const MANAGERS: [(PackageManager, &str, &str, &str); 4] = [
    (
        PackageManager::Uv,
        "uv",
        "uv sync --locked --no-dev",
        "six==1.17.99",
    ),
    (
        PackageManager::Poetry,
        "poetry",
        "poetry sync --only main",
        "six (1.17.99)",
    ),
    (
        PackageManager::Pipenv,
        "pipenv",
        "pipenv install --deploy",
        "six==1.17.99",
    ),
    (
        PackageManager::Pdm,
        "pdm",
        "pdm sync --prod",
        "six==1.17.99",
    ),
];

fn failures(package: &str) -> Vec<(&'static str, LockedFailure)> {
    let packages = strings(&[package, "brokenpkg"]);
    vec![
        ("lock_outdated", LockedFailure::LockOutdated),
        (
            "python_mismatch",
            LockedFailure::PythonMismatch {
                detail: "The current Python version (3.12.11) is not allowed by the project's Python requirement (>=3.13)".to_string(),
            },
        ),
        (
            "unavailable",
            LockedFailure::Unavailable {
                packages: packages.clone(),
            },
        ),
        (
            "unavailable_unnamed",
            LockedFailure::Unavailable {
                packages: Vec::new(),
            },
        ),
        (
            "credentials_rejected",
            LockedFailure::CredentialsRejected {
                packages: packages.clone(),
            },
        ),
        (
            "credentials_rejected_unnamed",
            LockedFailure::CredentialsRejected {
                packages: Vec::new(),
            },
        ),
        (
            "hash_mismatch",
            LockedFailure::HashMismatch {
                packages: packages.clone(),
            },
        ),
        ("build_failed", LockedFailure::BuildFailed { packages }),
        (
            "build_failed_unnamed",
            LockedFailure::BuildFailed {
                packages: Vec::new(),
            },
        ),
        ("root_not_installable", LockedFailure::RootNotInstallable),
        (
            "index_unreachable_certificate",
            LockedFailure::IndexUnreachable { certificate: true },
        ),
        (
            "index_unreachable",
            LockedFailure::IndexUnreachable { certificate: false },
        ),
        ("other", LockedFailure::Other),
    ]
}

#[test]
fn every_failure_of_every_manager() {
    for (package_manager, name, command, package) in MANAGERS {
        for (failure_name, failure) in failures(package) {
            check_error(
                &format!("locked_{name}_{failure_name}"),
                BuildpackError::LockedInstall(LockedInstallError::Failed {
                    package_manager,
                    command: command.to_string(),
                    failure,
                    status: Some(2),
                }),
            );
        }
    }
}

#[test]
fn reading_and_running() {
    check_error(
        "locked_other_without_status",
        BuildpackError::LockedInstall(LockedInstallError::Failed {
            package_manager: PackageManager::Uv,
            command: "uv sync --locked".to_string(),
            failure: LockedFailure::Other,
            status: None,
        }),
    );
    check_error(
        "locked_read_file",
        BuildpackError::LockedInstall(LockedInstallError::ReadFile {
            file: "poetry.lock".to_string(),
            error: io_error("Permission denied (os error 13)"),
        }),
    );
}
