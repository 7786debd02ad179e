//! The messages of the buildpack's own tools: fetching pip's and uv's pinned wheels from the
//! package index, installing Poetry and Pipenv with uv, and the settings both read. Headlines are
//! plain text, easy to search for.

use super::{Message, MessageKind};
use crate::http::{CaBundleError, HttpError};
use crate::layers::installer::{Installer, PIP_MINIMUM_PYTHON};
use crate::layers::tool::{Tool, ToolInstallError};
use crate::package_managers::locked::LockedFailure;
use crate::python_version::PythonVersion;
use crate::redact::redact_url;
use crate::wheels::WheelFetchError;
use crate::wheels::index::{INDEX_SETTINGS, InvalidIndexUrl};
use bullet_stream::style;
use indoc::formatdoc;

/// Where the tools come from, for the hints: the settings, in order.
fn index_settings() -> String {
    INDEX_SETTINGS.join(", ")
}

pub(super) fn installer_fetch_message(installer: Installer, error: &WheelFetchError) -> Message {
    let version = installer.version();
    let pins = format!("requirements/{installer}.txt");
    match error {
        WheelFetchError::NotOnIndex {
            file,
            index,
            page,
            error: None,
        } => Message::user_error(formatdoc! {"
            Unable to find {installer} {version} on the package index

            The buildpack downloads {installer} as the file {file}
            from the package index of the build:
            {index}
            but the index's page for {installer} does not list that file:
            {page}

            If the index is a mirror, add this file to it (PyPI has it), or unset {settings}
            to download from PyPI.
        ", page = redact_url(page.as_str()), settings = index_settings()}),
        WheelFetchError::NotOnIndex {
            file,
            index,
            page: _,
            error: Some(error),
        } => Message::retry(formatdoc! {"
            Unable to download {installer} {version}

            The buildpack downloads {installer} as the file {file}
            from the package index of the build:
            {index}
            but reading the index failed: {reason}

            {hint}
        ", reason = describe_http_error(error), hint = network_hint(error)}),
        WheelFetchError::Download { file, error } => Message::retry(formatdoc! {"
            Unable to download {installer} {version}

            Downloading {file} failed: {reason}

            {hint}
        ", reason = describe_http_error(error), hint = network_hint(error)}),
        WheelFetchError::ChecksumMismatch {
            file,
            url,
            index,
            expected,
            actual,
        } => Message::user_error(formatdoc! {"
            {installer} {version} download failed its checksum

            The file {file}
            downloaded from {url}
            (package index {index}) has SHA-256 {actual},
            but the buildpack pins {expected} ({pins}).

            The index serves another file under this name. If it is a mirror, check that it
            serves PyPI's files unchanged. Nothing from this download was kept.
        ", url = redact_url(url.as_str())}),
        WheelFetchError::TooLarge { file, url } => Message::user_error(formatdoc! {"
            Unable to download {installer} {version}

            The file {file} from {url} is far larger than any {installer} wheel, so the
            buildpack stopped downloading it. Check that the package index serves PyPI's files.
        ", url = redact_url(url.as_str())}),
        WheelFetchError::BadWheel { file, message } => Message::bug(formatdoc! {"
            Unable to unpack {installer} {version}

            The file {file} matched its pinned checksum but could not be unpacked: {message}

            This is a problem with the buildpack: open an issue with the build output.
        "}),
        WheelFetchError::Write { path, error } => Message::bug(formatdoc! {"
            Unable to install {installer} {version}

            Writing {path} failed: {error}
        ", path = path.display()}),
    }
}

/// A one-line description, for retry notices.
pub(crate) fn describe_wheel_fetch_error(error: &WheelFetchError) -> String {
    match error {
        WheelFetchError::NotOnIndex {
            error: Some(error), ..
        }
        | WheelFetchError::Download { error, .. } => describe_http_error(error),
        WheelFetchError::NotOnIndex { file, .. } => format!("{file} is not on the index"),
        WheelFetchError::ChecksumMismatch { .. } => "checksum mismatch".to_string(),
        WheelFetchError::TooLarge { .. } => "file too large".to_string(),
        WheelFetchError::BadWheel { message, .. } => message.clone(),
        WheelFetchError::Write { error, .. } => error.to_string(),
    }
}

fn describe_http_error(error: &HttpError) -> String {
    super::describe_http_error(error)
}

fn network_hint(error: &HttpError) -> String {
    match error {
        HttpError::Network { message, .. }
            if message.contains("certificate") || message.contains("UnknownIssuer") =>
        {
            formatdoc! {"
                The index's TLS certificate is not trusted. If the build reaches it through a
                TLS-intercepting proxy, or the index has its own certificate authority, pass that
                CA bundle to the build as PIP_CERT (or SSL_CERT_FILE), for example
                `--env PIP_CERT=/etc/ssl/certs/ca-certificates.crt`."}
        }
        HttpError::Status {
            code: 401 | 403, ..
        } => formatdoc! {"
            The index refused the request: put its credentials in the index URL, as in
            https://USER:TOKEN@host/simple/, in {settings}.", settings = index_settings()},
        _ => formatdoc! {"
            This is often a temporary network or index problem: retry the build. If it
            persists, check the build's proxy settings (HTTPS_PROXY) and {settings}.", settings = index_settings()},
    }
}

pub(super) fn invalid_index_url_message(error: &InvalidIndexUrl) -> Message {
    Message::user_error(formatdoc! {"
        Invalid {setting}

        {setting} is set to {value}, which is not an http(s) or file URL of a package index.
        Set it to the URL of the index's simple API, for example
        https://pypi.example.com/simple/, or unset it to use PyPI.
    ", setting = error.setting, value = style::value(redact_url(&error.value))})
}

pub(super) fn ca_bundle_message(error: &CaBundleError) -> Message {
    Message::user_error(formatdoc! {"
        Unable to use the CA bundle {path}

        The build env names {path} as the certificate bundle for the package index (PIP_CERT,
        or else SSL_CERT_FILE), but it cannot be used: {message}.

        Set it to a PEM file of the certificate authorities to trust, that exists in the build
        environment, for example /etc/ssl/certs/ca-certificates.crt.
    ", path = style::value(error.path.display().to_string()), message = error.message})
}

pub(super) fn pip_too_new_message(python_version: &PythonVersion, pip_version: &str) -> Message {
    let (major, minor) = PIP_MINIMUM_PYTHON;
    Message::user_error(formatdoc! {"
        Python {python_version} is too old for pip {pip_version}

        This buildpack installs requirements.txt with pip {pip_version}, which needs
        Python {major}.{minor} or newer, but the app uses Python {python_version}.

        Use a newer Python: put a version such as 3.13 in .python-version.
    "})
}

pub(super) fn tool_install_message(tool: Tool, error: &ToolInstallError) -> Message {
    let version = tool.version();
    let pins = format!("requirements/{}.txt", tool.command_name());
    let (failure, output, index) = match error {
        ToolInstallError::Io { path, error } => {
            return Message::bug(formatdoc! {"
                Unable to install {tool} {version}

                Writing {path} failed: {error}
            ", path = path.display()});
        }
        ToolInstallError::Failed {
            failure,
            output,
            index,
        } => (failure, output, index),
    };
    let reason = match failure {
        LockedFailure::IndexUnreachable { certificate: true } => formatdoc! {"
            Downloading {tool} failed: the package index's TLS certificate is not trusted.

            If the build reaches the index through a TLS-intercepting proxy, or uses a private
            index with its own certificate authority, pass that CA bundle to the build as
            PIP_CERT (or SSL_CERT_FILE), for example
            `--env PIP_CERT=/etc/ssl/certs/ca-certificates.crt`.
        "},
        LockedFailure::IndexUnreachable { certificate: false } => formatdoc! {"
            Downloading {tool} failed: the package index {index} could not be reached.

            Check the network and proxy settings of the build (HTTPS_PROXY) and {settings}.
        ", settings = index_settings()},
        LockedFailure::Unavailable { packages } => formatdoc! {"
            The package index {index} has no {missing}.

            The buildpack installs {tool} {version} and the packages it depends on (pinned in
            its {pins}) from the build's package index: an index or mirror set in
            {settings} must also provide them.
        ", missing = packages.join(", "), settings = index_settings()},
        LockedFailure::HashMismatch { .. } => formatdoc! {"
            A file downloaded from {index} does not match the hashes pinned in the
            buildpack's {pins}. If the index is a mirror, check that it serves PyPI's files
            unchanged.
        "},
        _ => "This is often a temporary network or index problem: retry the build.\n".to_string(),
    };
    // A package missing from the index, or a changed file, needs the index fixed.
    let kind = match failure {
        LockedFailure::Unavailable { .. } | LockedFailure::HashMismatch { .. } => {
            MessageKind::UserError
        }
        _ => MessageKind::Retry,
    };
    Message::new(
        kind,
        formatdoc! {"
        Unable to install {tool} {version}

        {reason}
        uv's output ended with:

        {output}
    "},
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    #[test]
    fn a_checksum_mismatch_names_the_file_the_index_and_both_digests() {
        let message = installer_fetch_message(
            Installer::Uv,
            &WheelFetchError::ChecksumMismatch {
                file: "uv-0.13.9-py3-none-any.whl".to_string(),
                url: Url::parse("https://u:secret@mirror.example/files/uv-0.13.9-py3-none-any.whl")
                    .unwrap(),
                index: "https://***@mirror.example/simple/ (PIP_INDEX_URL)".to_string(),
                expected: "a".repeat(64).parse().unwrap(),
                actual: "b".repeat(64),
            },
        )
        .to_string();
        assert!(message.starts_with(&format!(
            "uv {} download failed its checksum",
            Installer::Uv.version()
        )));
        for needle in [
            "uv-0.13.9-py3-none-any.whl",
            "https://***@mirror.example/files/",
            "(PIP_INDEX_URL)",
            &"a".repeat(64),
            &"b".repeat(64),
            "requirements/uv.txt",
        ] {
            assert!(message.contains(needle), "{needle} not in:\n{message}");
        }
        assert!(!message.contains("secret"));
    }

    #[test]
    fn a_file_missing_from_the_index_says_how_to_fix_it() {
        let message = installer_fetch_message(
            Installer::Pip,
            &WheelFetchError::NotOnIndex {
                file: "pip-26.3-py3-none-any.whl".to_string(),
                index: "http://127.0.0.1:9/simple/ (UV_INDEX_URL)".to_string(),
                page: Url::parse("http://127.0.0.1:9/simple/pip/").unwrap(),
                error: None,
            },
        )
        .to_string();
        assert!(message.starts_with("Unable to find pip 26.3 on the package index"));
        assert!(message.contains("http://127.0.0.1:9/simple/pip/"));
        assert!(message.contains("unset PIP_INDEX_URL, UV_DEFAULT_INDEX, UV_INDEX_URL"));
    }
}
