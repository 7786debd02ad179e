//! Snapshots of the messages of pip installs: requirements files, the virtual environment, and
//! every failure read from pip's output.

use super::{BuildpackError, check_error, check_errors, io_error, strings};
use crate::layers::venv::VenvError;
use crate::package_managers::pip::PipInstallError;
use crate::package_managers::pip::output::PipFailure;
use crate::package_managers::pip::requirements::{Origin, RequirementsFileError};

#[test]
fn requirements_files() {
    let read = |origin, file: &str| RequirementsFileError::Read {
        file: file.to_string(),
        origin,
        error: io_error("No such file or directory (os error 2)"),
    };
    let cases = [
        (
            "not_utf16",
            RequirementsFileError::NotUtf8 {
                file: "requirements.txt".to_string(),
                line: 1,
                utf16: true,
            },
        ),
        (
            "not_utf8",
            RequirementsFileError::NotUtf8 {
                file: "requirements/base.txt".to_string(),
                line: 7,
                utf16: false,
            },
        ),
        ("read_root", read(Origin::Root, "requirements.txt")),
        (
            "read_included",
            read(
                Origin::Included {
                    file: "requirements.txt".to_string(),
                    line: 3,
                },
                "requirements/prod.txt",
            ),
        ),
        (
            "read_env_var",
            read(Origin::EnvVar("PIP_CONSTRAINT"), "constraints.txt"),
        ),
    ];
    check_errors(
        "requirements_file_",
        cases,
        BuildpackError::RequirementsFile,
    );
}

#[test]
fn venv() {
    check_error(
        "venv_create",
        BuildpackError::Venv(VenvError::Create {
            output: "Error: [Errno 28] No space left on device: '/layers/python/venv'\n"
                .to_string(),
        }),
    );
}

fn failed(failure: PipFailure) -> BuildpackError {
    BuildpackError::PipInstall(PipInstallError::Failed {
        installer: "pip",
        failure,
        status: Some(1),
    })
}

#[test]
fn uv_pip_install() {
    let uv_failed = |failure| {
        BuildpackError::PipInstall(PipInstallError::Failed {
            installer: "uv",
            failure,
            status: Some(2),
        })
    };
    check_error(
        "uv_pip_conflict",
        uv_failed(PipFailure::Conflict {
            causes: vec![
                "Because flask==3.0.0 depends on werkzeug>=3.0.0 and you require flask==3.0.0, we can conclude that you require werkzeug>=3.0.0.".to_string(),
            ],
        }),
    );
    check_error(
        "uv_pip_not_found",
        uv_failed(PipFailure::NotFound {
            requirements: vec!["six==99.0".to_string()],
            credentials_rejected: false,
        }),
    );
    check_error("uv_pip_other", uv_failed(PipFailure::Other));
    check_error(
        "uv_pip_refused_setting",
        BuildpackError::PipInstall(PipInstallError::RefusedSetting(
            crate::package_managers::pip::uv_settings::translate(
                &crate::test_support::env(&[("PIP_NO_BUILD_ISOLATION", "0")]),
                &[],
            )
            .unwrap_err(),
        )),
    );
    check_error(
        "pip_prune_failed",
        BuildpackError::PipInstall(PipInstallError::Prune(
            "/layers/venv/lib: Permission denied (os error 13)".to_string(),
        )),
    );
}

#[test]
fn pip_install() {
    // A program that cannot be started: one message for every command the buildpack runs.
    let mut pip = crate::command::Command::new("/nonexistent/python", &libcnb::Env::new());
    pip.args(["-m", "pip", "install"])
        .shown_as("pip install -r requirements.txt".to_string());
    let error = pip.capture().unwrap_err();
    assert!(matches!(
        error.kind,
        crate::command::CommandErrorKind::Spawn(_)
    ));
    check_error(
        "command_spawn",
        error.into_buildpack_error(|_, _| unreachable!("it did not start")),
    );
    let user_errors = [
        (
            "not_found",
            PipFailure::NotFound {
                requirements: strings(&["flask==9.9.9", "requests==0.0.1"]),
                credentials_rejected: false,
            },
        ),
        (
            "not_found_credentials_rejected",
            PipFailure::NotFound {
                requirements: strings(&["private-lib==1.2.3"]),
                credentials_rejected: true,
            },
        ),
        (
            "conflict",
            PipFailure::Conflict {
                causes: strings(&[
                    "The user requested urllib3==1.26.0",
                    "requests 2.32.3 depends on urllib3<3 and >=1.21.1",
                ]),
            },
        ),
        (
            "conflict_without_causes",
            PipFailure::Conflict { causes: Vec::new() },
        ),
        (
            "build_failed",
            PipFailure::BuildFailed {
                packages: strings(&["psycopg2", "lxml"]),
            },
        ),
        (
            "invalid_requirement",
            PipFailure::InvalidRequirement {
                requirement: "flask=3.1.0".to_string(),
                location: Some("line 2 of requirements/base.txt".to_string()),
            },
        ),
        (
            "invalid_requirement_without_location",
            PipFailure::InvalidRequirement {
                requirement: "flask=3.1.0".to_string(),
                location: None,
            },
        ),
        ("hash_mismatch", PipFailure::Hashes { mismatch: true }),
        ("hashes_missing", PipFailure::Hashes { mismatch: false }),
        ("other", PipFailure::Other),
    ];
    for (name, failure) in user_errors {
        check_error(&format!("pip_{name}"), failed(failure));
    }
    for certificate in [true, false] {
        check_error(
            &format!("pip_index_unreachable_certificate_{certificate}"),
            failed(PipFailure::IndexUnreachable { certificate }),
        );
    }
    check_error(
        "pip_other_without_status",
        BuildpackError::PipInstall(PipInstallError::Failed {
            installer: "pip",
            failure: PipFailure::Other,
            status: None,
        }),
    );
}
