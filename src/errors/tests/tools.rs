//! Snapshots of the messages of the buildpack's own tools: fetching pip's and uv's pinned wheels,
//! installing uv, Poetry, Pipenv and PDM, the index and CA bundle settings, and pip's minimum
//! Python. The pinned versions are replaced by placeholders, so that bumping a pin changes no
//! snapshot.

use super::{
    BuildpackError, check_error, check_kind_and_text, check_text, io_error, strings, url, version,
};
use crate::http::{CaBundleError, HttpError};
use crate::layers::installer::Installer;
use crate::layers::tool::{Tool, ToolInstallError};
use crate::message::Message;
use crate::package_managers::PackageManager;
use crate::package_managers::locked::LockedFailure;
use crate::wheels::WheelFetchError;
use crate::wheels::index::InvalidIndexUrl;
use std::path::PathBuf;

/// The tool of a lock-based package manager.
fn tool(package_manager: PackageManager) -> Tool {
    use crate::package_managers::{pdm, pipenv, poetry, uv};
    match package_manager {
        PackageManager::Uv => uv::TOOL,
        PackageManager::Poetry => poetry::TOOL,
        PackageManager::Pipenv => pipenv::TOOL,
        PackageManager::Pdm => pdm::TOOL,
        PackageManager::Pip => unreachable!("pip has no lock-based tool"),
    }
}

/// `text` with every pinned tool version replaced by `<tool version>`, longest first.
fn without_versions(text: &str) -> String {
    let mut pins = [
        ("pip", Installer::Pip.version()),
        ("uv", Installer::Uv.version()),
        ("uv", tool(PackageManager::Uv).version()),
        ("poetry", tool(PackageManager::Poetry).version()),
        ("pipenv", tool(PackageManager::Pipenv).version()),
        ("pdm", tool(PackageManager::Pdm).version()),
    ];
    pins.sort_by_key(|(_, version)| std::cmp::Reverse(version.len()));
    pins.iter().fold(text.to_string(), |text, (name, version)| {
        text.replace(version, &format!("<{name} version>"))
    })
}

fn check_tool_error(name: &str, error: BuildpackError) {
    let error = libcnb::Error::BuildpackError(error);
    let message = Message::from(&error);
    check_kind_and_text(name, message.kind, without_versions(&message.to_string()));
}

const INDEX: &str = "https://***@pypi.example.com/simple/ (PIP_INDEX_URL)";

fn wheel(installer: Installer) -> String {
    format!("{installer}-{}-py3-none-any.whl", installer.version())
}

fn fetch_errors(installer: Installer) -> Vec<(&'static str, WheelFetchError)> {
    let file = wheel(installer);
    let page = url(&format!(
        "https://user:secret@pypi.example.com/simple/{installer}/"
    ));
    let file_url = url(&format!(
        "https://user:secret@pypi.example.com/files/{file}"
    ));
    let not_on_index = |error| WheelFetchError::NotOnIndex {
        file: file.clone(),
        index: INDEX.to_string(),
        page: page.clone(),
        error,
    };
    vec![
        ("not_on_index", not_on_index(None)),
        (
            "index_untrusted_certificate",
            not_on_index(Some(HttpError::Network {
                url: page.clone(),
                message: "invalid peer certificate: UnknownIssuer".to_string(),
            })),
        ),
        (
            "index_refused",
            not_on_index(Some(HttpError::Status {
                url: page.clone(),
                code: 401,
            })),
        ),
        (
            "index_unreachable",
            not_on_index(Some(HttpError::Network {
                url: page.clone(),
                message: "Connection refused (os error 111)".to_string(),
            })),
        ),
        (
            "download",
            WheelFetchError::Download {
                file: file.clone(),
                error: HttpError::Status {
                    url: file_url.clone(),
                    code: 503,
                },
            },
        ),
        (
            "checksum_mismatch",
            WheelFetchError::ChecksumMismatch {
                file: file.clone(),
                url: file_url.clone(),
                index: INDEX.to_string(),
                expected: "a".repeat(64).parse().unwrap(),
                actual: "b".repeat(64),
            },
        ),
        (
            "too_large",
            WheelFetchError::TooLarge {
                file: file.clone(),
                url: file_url,
            },
        ),
        (
            "bad_wheel",
            WheelFetchError::BadWheel {
                file: file.clone(),
                message: "invalid Zip archive: Could not find EOCD".to_string(),
            },
        ),
        (
            "write",
            WheelFetchError::Write {
                path: PathBuf::from(format!("/layers/python/{installer}/{file}")),
                error: io_error("No space left on device (os error 28)"),
            },
        ),
    ]
}

#[test]
fn installer_fetch() {
    let mut descriptions = Vec::new();
    for installer in [Installer::Pip, Installer::Uv] {
        for (name, error) in fetch_errors(installer) {
            descriptions.push(format!("{installer} {name}: {error}"));
            check_tool_error(
                &format!("installer_fetch_{installer}_{name}"),
                BuildpackError::InstallerFetch { installer, error },
            );
        }
    }
    check_text(
        "describe_wheel_fetch_errors",
        &without_versions(&descriptions.join("\n")),
    );
}

#[test]
fn settings() {
    check_error(
        "invalid_index_url",
        BuildpackError::InvalidIndexUrl(InvalidIndexUrl {
            setting: "PIP_INDEX_URL",
            value: "pypi.example.com/simple".to_string(),
        }),
    );
    check_error(
        "invalid_index_url_with_credentials",
        BuildpackError::InvalidIndexUrl(InvalidIndexUrl {
            setting: "UV_INDEX_URL",
            value: "ftp://user:secret@pypi.example.com/simple".to_string(),
        }),
    );
    check_error(
        "ca_bundle",
        BuildpackError::CaBundle(CaBundleError {
            path: PathBuf::from("/etc/ssl/certs/corporate.pem"),
            message: "No such file or directory (os error 2)".to_string(),
        }),
    );
    check_tool_error(
        "pip_too_new",
        BuildpackError::PipTooNew {
            python_version: version("3.9.23"),
            pip_version: Installer::Pip.version().to_string(),
        },
    );
}

fn install_errors(tool: Tool) -> Vec<(&'static str, ToolInstallError)> {
    let index = "https://pypi.org/simple/";
    let output = "error: Failed to fetch: `https://pypi.org/simple/virtualenv/`\n  Caused by: Request failed after 3 retries".to_string();
    let failed = |failure| ToolInstallError::Failed {
        failure,
        output: output.clone(),
        index: index.to_string(),
    };
    vec![
        (
            "io",
            ToolInstallError::Io {
                path: PathBuf::from(format!("/layers/python/{}", tool.command_name())),
                error: io_error("No space left on device (os error 28)"),
            },
        ),
        (
            "index_unreachable_certificate",
            failed(LockedFailure::IndexUnreachable { certificate: true }),
        ),
        (
            "index_unreachable",
            failed(LockedFailure::IndexUnreachable { certificate: false }),
        ),
        (
            "unavailable",
            failed(LockedFailure::Unavailable {
                packages: strings(&["virtualenv==21.15.11", "distlib==0.4.4"]),
            }),
        ),
        (
            "hash_mismatch",
            failed(LockedFailure::HashMismatch {
                packages: strings(&["virtualenv==21.15.11"]),
            }),
        ),
        ("other", failed(LockedFailure::Other)),
    ]
}

#[test]
fn tool_install() {
    for tool in [
        PackageManager::Uv,
        PackageManager::Poetry,
        PackageManager::Pipenv,
        PackageManager::Pdm,
    ]
    .map(tool)
    {
        for (name, error) in install_errors(tool) {
            check_tool_error(
                &format!("tool_install_{}_{name}", tool.command_name()),
                BuildpackError::ToolInstall { tool, error },
            );
        }
    }
}
