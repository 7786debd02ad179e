//! Snapshots of the messages about the Python version: where it comes from (version files,
//! requires-python, Pipfile.lock), whether a build exists, end of life, and the notices and
//! warnings printed while choosing it.

use super::{
    BuildpackError, check, check_error, check_errors, io_error, request, strings, version,
};
use crate::message::Message;
use crate::python_version::{PythonVersionFileError, RuntimeTxtError};
use crate::python_version_source::files::{PipfileLockError, PipfileLockKey, PyprojectError};
use crate::python_version_source::specifiers::SpecifierError;
use crate::python_version_source::{VersionNotice, VersionSource, VersionSourceError};
use crate::runtime::eol::YearMonth;
use crate::runtime::manifest::{Arch, ResolveError};
use crate::runtime::select::ChoiceNote;

/// Every source, named for the snapshots: the messages phrase each differently.
fn sources() -> [(&'static str, VersionSource); 8] {
    [
        ("env", VersionSource::Env),
        ("python_version_file", VersionSource::PythonVersionFile),
        ("runtime_txt", VersionSource::RuntimeTxt),
        (
            "pipfile_lock",
            VersionSource::PipfileLock(PipfileLockKey::PythonFullVersion),
        ),
        (
            "requires_python",
            VersionSource::RequiresPython(">=3.8".to_string()),
        ),
        (
            "poetry_python",
            VersionSource::PoetryPython("^3.8".to_string()),
        ),
        ("previous_build", VersionSource::PreviousBuild),
        ("default", VersionSource::Default),
    ]
}

fn month(month: &str) -> YearMonth {
    month.parse().unwrap()
}

#[test]
fn version_files() {
    let cases = [
        (
            "read",
            VersionSourceError::Read {
                file: ".python-version",
                error: io_error("Is a directory (os error 21)"),
            },
        ),
        (
            "not_utf8",
            VersionSourceError::NotUtf8 {
                file: ".python-version",
            },
        ),
        (
            "misspelled_python_version",
            VersionSourceError::MisspelledFile {
                found: ".python_version".to_string(),
                expected: ".python-version",
            },
        ),
        (
            "misspelled_runtime_txt",
            VersionSourceError::MisspelledFile {
                found: "runtime.text".to_string(),
                expected: "runtime.txt",
            },
        ),
        (
            "python_version_file_empty",
            VersionSourceError::PythonVersionFile(PythonVersionFileError::Empty),
        ),
        (
            "python_version_file_multiple",
            VersionSourceError::PythonVersionFile(PythonVersionFileError::MultipleVersions(
                strings(&["3.12", "3.13"]),
            )),
        ),
        (
            "python_version_file_invalid",
            VersionSourceError::PythonVersionFile(PythonVersionFileError::InvalidVersion(
                "3.x".to_string(),
            )),
        ),
        (
            "runtime_txt_empty",
            VersionSourceError::RuntimeTxt(RuntimeTxtError::Empty),
        ),
        (
            "runtime_txt_invalid",
            VersionSourceError::RuntimeTxt(RuntimeTxtError::InvalidVersion(
                "python-3.x".to_string(),
            )),
        ),
    ];
    check_errors("version_source_", cases, BuildpackError::VersionSource);
}

#[test]
fn version_settings() {
    let cases = [
        (
            "pipfile_lock_invalid_json",
            VersionSourceError::PipfileLock(PipfileLockError::InvalidJson(
                "expected value at line 1 column 1".to_string(),
            )),
        ),
        (
            "pipfile_lock_invalid_version",
            VersionSourceError::PipfileLock(PipfileLockError::InvalidVersion {
                key: PipfileLockKey::PythonVersion,
                value: "3.x".to_string(),
            }),
        ),
        (
            "pyproject_invalid_toml",
            VersionSourceError::Pyproject(PyprojectError::InvalidToml(
                "TOML parse error at line 2, column 1\n  |\n2 | [project\n  | ^\ninvalid table header"
                    .to_string(),
            )),
        ),
        (
            "pyproject_requires_python_not_a_string",
            VersionSourceError::Pyproject(PyprojectError::RequiresPythonNotAString(
                "3.12".to_string(),
            )),
        ),
        (
            "invalid_requires_python",
            VersionSourceError::InvalidRequiresPython {
                specifiers: ">=3.11,<3.x".to_string(),
                error: SpecifierError::InvalidVersion("3.x".to_string()),
            },
        ),
        (
            "invalid_requires_python_poetry_caret",
            VersionSourceError::InvalidRequiresPython {
                specifiers: "^3.12".to_string(),
                error: SpecifierError::MissingOperator("^3.12".to_string()),
            },
        ),
        (
            "no_version_satisfies",
            VersionSourceError::NoVersionSatisfies {
                specifiers: "<3.9".to_string(),
                available: vec![(3, 14), (3, 13), (3, 12), (3, 11), (3, 10)],
            },
        ),
        (
            "no_version_satisfies_none_available",
            VersionSourceError::NoVersionSatisfies {
                specifiers: "<3.9".to_string(),
                available: Vec::new(),
            },
        ),
    ];
    check_errors("version_source_", cases, BuildpackError::VersionSource);
}

#[test]
fn resolve() {
    let cases = [
        (
            "unreleased_minor",
            ResolveError::UnreleasedMinor {
                requested: request("3.15"),
                newest_stable: Some((3, 14)),
            },
        ),
        (
            "unreleased_minor_nothing_stable",
            ResolveError::UnreleasedMinor {
                requested: request("3.15"),
                newest_stable: None,
            },
        ),
        (
            "unknown_minor",
            ResolveError::UnknownMinor {
                requested: request("3.7"),
                known_minors: vec![(3, 14), (3, 13), (3, 12)],
            },
        ),
        (
            "only_pre_releases",
            ResolveError::OnlyPreReleases {
                requested: request("3.15"),
                pre_releases: vec![version("3.15.0rc1"), version("3.15.0b4")],
            },
        ),
        (
            "no_build_for_variant",
            ResolveError::NoBuildForVariant {
                requested: request("3.12t"),
                minors_with_variant: vec![(3, 14), (3, 13)],
            },
        ),
        (
            "unknown_patch",
            ResolveError::UnknownPatch {
                requested: request("3.13.99"),
                available_patches: vec![version("3.13.5"), version("3.13.4")],
            },
        ),
        (
            "no_build_for_arch",
            ResolveError::NoBuildForArch {
                requested: request("3.13.5"),
                arch: Arch::Aarch64,
                available_arches: vec![Arch::X86_64],
            },
        ),
    ];
    for (name, error) in cases {
        check_error(
            &format!("resolve_{name}"),
            BuildpackError::Resolve {
                error,
                source: VersionSource::PythonVersionFile,
            },
        );
    }
    for (name, source) in sources() {
        check_error(
            &format!("resolve_unknown_minor_from_{name}"),
            BuildpackError::Resolve {
                error: ResolveError::UnknownMinor {
                    requested: request("3.7"),
                    known_minors: vec![(3, 14), (3, 13)],
                },
                source,
            },
        );
    }
}

#[test]
fn end_of_life() {
    for (name, source) in sources() {
        check_error(
            &format!("end_of_life_from_{name}"),
            BuildpackError::EndOfLife {
                request: request("3.8"),
                source,
                eol: Some(month("2024-10")),
                newest_minor: Some((3, 14)),
            },
        );
    }
    check_error(
        "end_of_life_long_ago_without_newest",
        BuildpackError::EndOfLife {
            request: request("3.6"),
            source: VersionSource::Default,
            eol: None,
            newest_minor: None,
        },
    );
}

#[test]
fn warnings() {
    for (name, source) in sources() {
        check(
            &format!("warning_end_of_life_from_{name}"),
            &Message::from(&ChoiceNote::EndOfLife {
                request: &request("3.9"),
                source: &source,
                eol: month("2025-10"),
                refused_from: month("2026-10"),
                newest_minor: Some((3, 14)),
            }),
        );
        check(
            &format!("warning_outdated_patch_from_{name}"),
            &Message::from(&ChoiceNote::OutdatedPatch {
                installed: &version("3.13.4"),
                newest: &version("3.13.5"),
                request: &request("3.13.4"),
                source: &source,
            }),
        );
    }
    check(
        "warning_end_of_life_without_newest",
        &Message::from(&ChoiceNote::EndOfLife {
            request: &request("3.9"),
            source: &VersionSource::Env,
            eol: month("2025-10"),
            refused_from: month("2026-10"),
            newest_minor: None,
        }),
    );
    check(
        "warning_outdated_patch_free_threaded",
        &Message::from(&ChoiceNote::OutdatedPatch {
            installed: &version("3.14.0"),
            newest: &version("3.14.2"),
            request: &request("3.14.0t"),
            source: &VersionSource::PythonVersionFile,
        }),
    );
    check(
        "warning_requires_python_conflict",
        &Message::from(&ChoiceNote::RequiresPythonConflict {
            installed: &version("3.12.11"),
            specifiers: ">=3.13",
            source: &VersionSource::Env,
        }),
    );
}

#[test]
fn notices() {
    let file = VersionSource::PythonVersionFile;
    let cases = [
        (
            "utf16",
            VersionNotice::Utf16 {
                file: ".python-version",
            },
            file.clone(),
        ),
        (
            "runtime_txt_deprecated",
            VersionNotice::RuntimeTxtDeprecated,
            VersionSource::RuntimeTxt,
        ),
        (
            "overridden",
            VersionNotice::Overridden {
                file: "runtime.txt",
            },
            file.clone(),
        ),
        (
            "misspelled_ignored",
            VersionNotice::MisspelledIgnored {
                found: ".python_version".to_string(),
                expected: ".python-version",
            },
            VersionSource::Env,
        ),
        (
            "requires_python_picked",
            VersionNotice::RequiresPythonPicked,
            VersionSource::RequiresPython(">=3.12".to_string()),
        ),
        (
            "previous_build_kept",
            VersionNotice::PreviousBuildKept,
            VersionSource::PreviousBuild,
        ),
    ];
    for (name, notice, source) in cases {
        check(
            &format!("notice_{name}"),
            &Message::from(&ChoiceNote::Version {
                notice: &notice,
                request: &request("3.12"),
                source: &source,
            }),
        );
    }
    check(
        "notice_runtime_txt_deprecated_free_threaded",
        &Message::from(&ChoiceNote::Version {
            notice: &VersionNotice::RuntimeTxtDeprecated,
            request: &request("3.14.1t"),
            source: &VersionSource::RuntimeTxt,
        }),
    );
}
