//! The catalogue: every user-facing message of the buildpack is worded here, as a [`Message`]:
//! its kind (the user's error, a failure worth retrying, a bug, a warning or a notice), header
//! and body. Modules own their errors, warnings and notices as types and never word them; the
//! catalogue turns each into a `Message` with `From` (errors in one place,
//! [`buildpack_error_message`]), so that it imports those types and nothing imports it (a unit
//! test keeps it so). `tests` snapshots each message.

mod collectstatic;
mod command;
mod dependencies;
mod locked;
mod pip;
mod project;
mod python_version;
mod runtime_choice;
mod sbom;
mod tools;
mod web_process;

#[cfg(test)]
mod tests;

use dependencies::{dependency_check_failed_warning, dependency_conflicts_warning};
use project::{bytecode_warning, committed_venv_warning, neutralised_env_warning};
use python_version::version_notice;
use runtime_choice::{
    end_of_life_warning, outdated_patch_warning, requires_python_conflict_warning,
};
use tools::describe_wheel_fetch_error;
use web_process::{ambiguous_warning, django_without_application_warning, no_server_warning};

use crate::BuildpackError;
use crate::app_files::CommittedVenvs;
use crate::bytecode::SealError;
use crate::config::ConfigError;
use crate::detect::{NoPythonFiles, OTHER_PYTHON_FILES, PACKAGE_MANAGER_FILES};
use crate::env_safety::Neutralised;
use crate::http::HttpError;
use crate::launch::NoWebProcess;
use crate::layers::venv::DependencyCheckWarning;
use crate::message::{Message, MessageKind};
use crate::redact::{redact_url, redact_urls};
use crate::runtime::ManifestLoadError;
use crate::runtime::download::DownloadError;
use crate::runtime::select::ChoiceNote;
use crate::wheels::WheelFetchError;
use bullet_stream::style;
use indoc::formatdoc;
use std::fmt;

/// Any error of a build, as `on_error` prints it: credentials in its URLs are redacted.
impl From<&libcnb::Error<BuildpackError>> for Message {
    fn from(error: &libcnb::Error<BuildpackError>) -> Self {
        let message = error_message(error);
        Message {
            header: redact_urls(&message.header),
            body: redact_urls(&message.body),
            ..message
        }
    }
}

impl From<&NoPythonFiles> for Message {
    fn from(_: &NoPythonFiles) -> Self {
        Message::notice(format!(
            "No Python project files found in the app root (looked for {} and {}).",
            PACKAGE_MANAGER_FILES.join(", "),
            OTHER_PYTHON_FILES.join(", ")
        ))
    }
}

impl From<&Neutralised<'_>> for Message {
    fn from(Neutralised(variables): &Neutralised<'_>) -> Self {
        neutralised_env_warning(variables)
    }
}

impl From<&CommittedVenvs<'_>> for Message {
    fn from(CommittedVenvs(dirs): &CommittedVenvs<'_>) -> Self {
        committed_venv_warning(dirs)
    }
}

impl From<&SealError> for Message {
    fn from(SealError { path, error }: &SealError) -> Self {
        bytecode_warning(path, error)
    }
}

impl From<&ChoiceNote<'_>> for Message {
    fn from(note: &ChoiceNote<'_>) -> Self {
        match *note {
            ChoiceNote::Version {
                notice,
                request,
                source,
            } => version_notice(notice, request, source),
            ChoiceNote::EndOfLife {
                request,
                source,
                eol,
                refused_from,
                newest_minor,
            } => end_of_life_warning(request, source, eol, refused_from, newest_minor),
            ChoiceNote::OutdatedPatch {
                installed,
                newest,
                request,
                source,
            } => outdated_patch_warning(installed, newest, request, source),
            ChoiceNote::RequiresPythonConflict {
                installed,
                specifiers,
                source,
            } => requires_python_conflict_warning(installed, specifiers, source),
        }
    }
}

impl From<&DependencyCheckWarning> for Message {
    fn from(warning: &DependencyCheckWarning) -> Self {
        match warning {
            DependencyCheckWarning::Conflicts(conflicts) => dependency_conflicts_warning(conflicts),
            DependencyCheckWarning::CouldNotRun(error) => dependency_check_failed_warning(error),
        }
    }
}

impl From<&NoWebProcess<'_>> for Message {
    fn from(warning: &NoWebProcess<'_>) -> Self {
        match *warning {
            NoWebProcess::NoServer {
                found,
                servers,
                add,
            } => no_server_warning(found, servers, add),
            NoWebProcess::Ambiguous(found) => ambiguous_warning(found),
            NoWebProcess::DjangoWithoutApplication { settings } => {
                django_without_application_warning(settings)
            }
        }
    }
}

/// In one line, for the notes of a download that is retried.
impl fmt::Display for WheelFetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe_wheel_fetch_error(self))
    }
}

/// In one line, for the notes of a download that is retried.
impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&describe_download_error(self))
    }
}

/// The message of any error of the build, through [`buildpack_error_message`] for the
/// buildpack's own.
fn error_message(error: &libcnb::Error<BuildpackError>) -> Message {
    match error {
        libcnb::Error::BuildpackError(error) => buildpack_error_message(error),
        other => Message::bug(formatdoc! {"
            Internal buildpack error

            {other}

            This is a problem with the buildpack, not your app. Retry the build; if it happens
            again, open an issue with the build output.
        "}),
    }
}

/// The message of each error: the one place that maps them.
fn buildpack_error_message(error: &BuildpackError) -> Message {
    match error {
        BuildpackError::Detect(error) => Message::bug(formatdoc! {"
            Unable to read the app directory

            Reading the files in the app root failed: {error}
        "}),
        BuildpackError::UnsafeEnv(refused) => project::unsafe_env_message(refused),
        BuildpackError::Config(error) => config_message(error),
        BuildpackError::ManifestLoad(error) => manifest_load_message(error),
        BuildpackError::UnsupportedArch { arch } => Message::user_error(formatdoc! {"
            Unsupported architecture: {arch}

            Python builds are available for amd64 (x86_64) and arm64 (aarch64) only.
        "}),
        BuildpackError::EmptyManifest { arch } => Message::user_error(formatdoc! {"
            No Python builds for {arch} in the runtime manifest

            The runtime manifest in use has no stable CPython build for {arch}, so there is no
            default version. Add builds for this architecture to the manifest set in
            BP_PYTHON_RUNTIME_MANIFEST, or unset it to use the built-in manifest.
        "}),
        BuildpackError::VersionSource(error) => python_version::version_source_message(error),
        BuildpackError::Resolve { error, source } => runtime_choice::resolve_message(error, source),
        BuildpackError::EndOfLife {
            request,
            source,
            eol,
            newest_minor,
        } => runtime_choice::end_of_life_message(request, source, *eol, *newest_minor),
        BuildpackError::Download(error) => download_message(error),
        BuildpackError::NoPackageManager { python_files, hint } => {
            project::no_package_manager_message(python_files, *hint)
        }
        BuildpackError::UnknownDependencyGroups(error) => project::unknown_groups_message(error),
        BuildpackError::MultiplePackageManagers(found) => {
            let files = found
                .iter()
                .map(|pm| format!("- {} ({pm})", pm.marker_file()))
                .collect::<Vec<_>>()
                .join("\n");
            Message::user_error(formatdoc! {"
                Multiple package manager files found

                Exactly one package manager must be used, but the app root has files for
                several:
                {files}

                Delete the files of the package managers you do not use, so that only one of
                them remains.
            "})
        }
        BuildpackError::RequirementsFile(error) => pip::requirements_file_message(error),
        BuildpackError::PipTooNew {
            python_version,
            pip_version,
        } => tools::pip_too_new_message(python_version, pip_version),
        BuildpackError::InstallerFetch { installer, error } => {
            tools::installer_fetch_message(*installer, error)
        }
        BuildpackError::InvalidIndexUrl(error) => tools::invalid_index_url_message(error),
        BuildpackError::CaBundle(error) => tools::ca_bundle_message(error),
        BuildpackError::Venv(error) => pip::venv_message(error),
        BuildpackError::PipInstall(error) => pip::pip_install_message(error),
        BuildpackError::ToolInstall { tool, error } => tools::tool_install_message(*tool, error),
        BuildpackError::LockedInstall(error) => locked::locked_install_message(error),
        BuildpackError::VenvSbom(error) => sbom::venv_sbom_message(error),
        BuildpackError::DependencyConflicts(conflicts) => {
            dependencies::dependency_conflicts_error(conflicts)
        }
        BuildpackError::Django(error) => collectstatic::django_message(error),
        BuildpackError::Command(error) => command::command_message(error),
    }
}

fn config_message(error: &ConfigError) -> Message {
    match error {
        ConfigError::InvalidMirrorUrl { value } => Message::user_error(formatdoc! {"
            Invalid BP_PYTHON_RUNTIME_MIRROR

            {value} is not an http(s) URL. Set BP_PYTHON_RUNTIME_MIRROR to the base URL of a
            mirror of the python-build-standalone releases, for example
            https://mirror.example.com/python-build-standalone
        ", value = style::value(redact_url(value))}),
        ConfigError::InvalidManifestLocation { value } => Message::user_error(formatdoc! {"
            Invalid BP_PYTHON_RUNTIME_MANIFEST

            {value} is neither an http(s) URL nor a file path. Set it to the path (relative
            to the app root) or the URL of a JSON-lines runtime manifest.
        ", value = style::value(redact_url(value))}),
        ConfigError::InvalidEolDate { value } => Message::user_error(formatdoc! {"
            Invalid BP_PYTHON_EOL_DATE

            BP_PYTHON_EOL_DATE is set to {shown}, which is not a month. Set it to the month
            (2026-12) or date (2026-12-01) the Python end-of-life rules apply at, or unset it
            to use the current month.
        ", shown = style::value(value)}),
        ConfigError::InvalidWebProcess { value } => Message::user_error(formatdoc! {"
            Invalid BP_PYTHON_WEB_PROCESS

            BP_PYTHON_WEB_PROCESS is set to {shown}. Set it to `false` to build the image without
            the default web process the buildpack would add, or unset it.
        ", shown = style::value(value)}),
        ConfigError::InvalidInstaller { value } => Message::user_error(formatdoc! {"
            Invalid BP_PYTHON_INSTALLER

            BP_PYTHON_INSTALLER is set to {shown}. Set it to `uv` to install requirements.txt
            with uv's pip interface, or to `pip` (the default), or unset it. Apps with a lock
            file (uv.lock, poetry.lock, Pipfile.lock, pdm.lock) always use their own tool.
        ", shown = style::value(value)}),
        ConfigError::InvalidDependencyCheck { value } => Message::user_error(formatdoc! {"
            Invalid BP_PYTHON_CHECK_DEPENDENCIES

            BP_PYTHON_CHECK_DEPENDENCIES is set to {shown}. Set it to `warn` (the default: a
            warning names requirements the installed packages do not meet), `strict` (the
            build fails instead) or `off` (no check), or unset it.
        ", shown = style::value(value)}),
        ConfigError::InvalidPythonVersion { value, error } => Message::user_error(formatdoc! {"
            Invalid BP_PYTHON_VERSION

            BP_PYTHON_VERSION is set to {shown}, which is not a Python version this buildpack
            understands: {error}.

            Set it to major.minor (3.13) to get the newest patch release, or to an exact
            version (3.13.5). Append t for a free-threaded build (3.14t).
        ", shown = style::value(value)}),
    }
}

fn manifest_load_message(error: &ManifestLoadError) -> Message {
    match error {
        ManifestLoadError::Read { path, error } => Message::user_error(formatdoc! {"
            Unable to read the runtime manifest

            BP_PYTHON_RUNTIME_MANIFEST names {path}, which could not be read: {error}
        ", path = style::value(path.display().to_string())}),
        ManifestLoadError::Fetch(error) => Message::retry(formatdoc! {"
            Unable to download the runtime manifest

            {}

            Check that BP_PYTHON_RUNTIME_MANIFEST is right and the server is reachable from
            the build.
        ", describe_http_error(error)}),
        ManifestLoadError::Parse { location, error } => Message::user_error(formatdoc! {"
            Invalid runtime manifest

            The runtime manifest at {location} is not valid: {error}

            Each line must be a JSON object with version, arch, variant, url and sha256, as
            in the built-in manifest (see the README).
        ", location = style::value(location)}),
    }
}

fn download_message(error: &DownloadError) -> Message {
    match error {
        DownloadError::ChecksumMismatch {
            url,
            expected,
            actual,
        } => Message::user_error(formatdoc! {"
            Python download failed its checksum

            The runtime archive downloaded from:
            {url}
            has SHA-256 {actual}, but the runtime manifest expects {expected}.

            The file on the server is not the one the manifest describes. If you use
            BP_PYTHON_RUNTIME_MIRROR or BP_PYTHON_RUNTIME_MANIFEST, check that the mirror
            holds the same files and the manifest has their right checksums. Nothing from
            this download was kept.
        ", url = redact_url(url.as_str())}),
        DownloadError::Http(HttpError::NotFound { url }) => Message::user_error(formatdoc! {"
            Python download not found

            The runtime archive at {url} does not exist (HTTP 404).

            If you use BP_PYTHON_RUNTIME_MIRROR, check that the mirror has this release; if you
            use BP_PYTHON_RUNTIME_MANIFEST, check the url in it.
        ", url = redact_url(url.as_str())}),
        DownloadError::Http(error) => Message::retry(formatdoc! {"
            Python download failed

            {}

            This is usually a temporary network or server problem: retry the build. If it
            persists, check proxy settings (HTTPS_PROXY) and any BP_PYTHON_RUNTIME_MIRROR.
        ", describe_http_error(error)}),
        DownloadError::Unpack { url, message } => Message::bug(formatdoc! {"
            Unable to unpack the Python download

            The archive from {url} matched its checksum but could not be unpacked: {message}
        ", url = redact_url(url.as_str())}),
        DownloadError::Io(error) => Message::bug(formatdoc! {"
            Unable to prepare the Python layer

            Clearing the layer before the download failed: {error}
        "}),
    }
}

/// A one-line description, for retry notices.
fn describe_download_error(error: &DownloadError) -> String {
    match error {
        DownloadError::Http(error) => describe_http_error(error),
        DownloadError::ChecksumMismatch { .. } => "checksum mismatch".to_string(),
        DownloadError::Unpack { message, .. } => message.clone(),
        DownloadError::Io(error) => error.to_string(),
    }
}

pub(crate) fn describe_http_error(error: &HttpError) -> String {
    match error {
        HttpError::NotFound { url } => {
            format!("{} was not found (HTTP 404)", redact_url(url.as_str()))
        }
        HttpError::Status { url, code } => {
            format!(
                "{} answered with HTTP status {code}",
                redact_url(url.as_str())
            )
        }
        HttpError::Network { url, message } => {
            format!("Downloading {} failed: {message}", redact_url(url.as_str()))
        }
    }
}
