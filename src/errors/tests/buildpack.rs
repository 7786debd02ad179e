//! Snapshots of the errors about the build itself: the app directory, the buildpack's settings,
//! the runtime manifest and download, the package manager choice, libcnb's own errors, and the
//! detect-fail message.

use super::{
    BuildpackError, check, check_error, check_errors, check_libcnb_error, check_text, io_error, url,
};
use crate::config::ConfigError;
use crate::http::HttpError;
use crate::message::Message;
use crate::package_managers::PackageManager;
use crate::python_version::ParsePythonVersionError;
use crate::runtime::ManifestLoadError;
use crate::runtime::download::DownloadError;
use crate::runtime::manifest::{Arch, ManifestLineProblem, ManifestParseError};
use std::path::PathBuf;

#[test]
fn the_build_itself() {
    check_error(
        "detect",
        BuildpackError::Detect(io_error("Permission denied (os error 13)")),
    );
    check_error(
        "unsupported_arch",
        BuildpackError::UnsupportedArch {
            arch: "riscv64".to_string(),
        },
    );
    check_error(
        "empty_manifest",
        BuildpackError::EmptyManifest {
            arch: Arch::Aarch64,
        },
    );
    check_error(
        "multiple_package_managers",
        BuildpackError::MultiplePackageManagers(vec![
            PackageManager::Pip,
            PackageManager::Poetry,
            PackageManager::Uv,
        ]),
    );
    check_libcnb_error(
        "internal",
        &libcnb::Error::CannotWriteBuildSbom(io_error("No space left on device (os error 28)")),
    );
    check("detect_fail", &Message::from(&crate::detect::NoPythonFiles));
}

#[test]
fn config() {
    let cases = [
        (
            "config_invalid_mirror_url",
            ConfigError::InvalidMirrorUrl {
                value: "ftp://user:secret@mirror.example.com/pbs".to_string(),
            },
        ),
        (
            "config_invalid_manifest_location",
            ConfigError::InvalidManifestLocation {
                value: "ftp://mirror.example.com/runtimes.jsonl".to_string(),
            },
        ),
        (
            "config_invalid_eol_date",
            ConfigError::InvalidEolDate {
                value: "next year".to_string(),
            },
        ),
        (
            "config_invalid_web_process",
            ConfigError::InvalidWebProcess {
                value: "no".to_string(),
            },
        ),
        (
            "config_invalid_installer",
            ConfigError::InvalidInstaller {
                value: "poetry".to_string(),
            },
        ),
        (
            "config_invalid_dependency_check",
            ConfigError::InvalidDependencyCheck {
                value: "yes".to_string(),
            },
        ),
        (
            "config_invalid_python_version",
            ConfigError::InvalidPythonVersion {
                value: "3".to_string(),
                error: ParsePythonVersionError::MissingMinor("3".to_string()),
            },
        ),
    ];
    check_errors("", cases, BuildpackError::Config);
}

#[test]
fn manifest_load() {
    check_error(
        "manifest_read",
        BuildpackError::ManifestLoad(ManifestLoadError::Read {
            path: PathBuf::from("/workspace/runtimes.jsonl"),
            error: io_error("No such file or directory (os error 2)"),
        }),
    );
    check_error(
        "manifest_fetch",
        BuildpackError::ManifestLoad(ManifestLoadError::Fetch(HttpError::Status {
            url: url("https://user:secret@mirror.example.com/runtimes.jsonl"),
            code: 503,
        })),
    );
    check_error(
        "manifest_parse",
        BuildpackError::ManifestLoad(ManifestLoadError::Parse {
            location: "runtimes.jsonl".to_string(),
            error: ManifestParseError::InvalidLine {
                line: 3,
                problem: ManifestLineProblem::UnknownArch("riscv64".to_string()),
            },
        }),
    );
}

const ARCHIVE: &str = "https://user:secret@mirror.example.com/pbs/20250712/cpython-3.13.5%2B20250712-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz";

fn http_errors() -> [(&'static str, HttpError); 3] {
    [
        ("not_found", HttpError::NotFound { url: url(ARCHIVE) }),
        (
            "status",
            HttpError::Status {
                url: url(ARCHIVE),
                code: 502,
            },
        ),
        (
            "network",
            HttpError::Network {
                url: url(ARCHIVE),
                message: "Connection refused (os error 111)".to_string(),
            },
        ),
    ]
}

#[test]
fn download() {
    check_error(
        "download_checksum_mismatch",
        BuildpackError::Download(DownloadError::ChecksumMismatch {
            url: url(ARCHIVE),
            expected: "a".repeat(64).parse().unwrap(),
            actual: "b".repeat(64),
        }),
    );
    for (name, error) in http_errors() {
        check_error(
            &format!("download_http_{name}"),
            BuildpackError::Download(DownloadError::Http(error)),
        );
    }
    check_error(
        "download_unpack",
        BuildpackError::Download(DownloadError::Unpack {
            url: url(ARCHIVE),
            message: "invalid gzip header".to_string(),
        }),
    );
    check_error(
        "download_io",
        BuildpackError::Download(DownloadError::Io(io_error(
            "Directory not empty (os error 39)",
        ))),
    );
}

/// The one-line descriptions of the retry notices.
#[test]
fn descriptions() {
    let mut lines = Vec::new();
    for (name, error) in http_errors() {
        lines.push(format!(
            "{name}: {}",
            super::super::describe_http_error(&error)
        ));
        let error = DownloadError::Http(error);
        lines.push(format!("download {name}: {error}"));
    }
    for error in [
        DownloadError::ChecksumMismatch {
            url: url(ARCHIVE),
            expected: "a".repeat(64).parse().unwrap(),
            actual: "b".repeat(64),
        },
        DownloadError::Unpack {
            url: url(ARCHIVE),
            message: "invalid gzip header".to_string(),
        },
        DownloadError::Io(io_error("Directory not empty (os error 39)")),
    ] {
        lines.push(format!("download: {error}"));
    }
    check_text("describe_download_errors", &lines.join("\n"));
}
