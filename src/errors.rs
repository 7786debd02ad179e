//! Every user-facing error message of the buildpack lives here.

use crate::config::ConfigError;
use crate::detect::{OTHER_PYTHON_FILES, PACKAGE_MANAGER_FILES};
use crate::http::HttpError;
use crate::package_managers::PackageManager;
use crate::python_version::PythonVersionFileError;
use crate::python_version_source::{VersionSource, VersionSourceError};
use crate::redact::{redact_url, redact_urls};
use crate::runtime::ManifestLoadError;
use crate::runtime::download::DownloadError;
use crate::runtime::manifest::{Arch, ResolveError};
use bullet_stream::global::print;
use bullet_stream::style;
use indoc::formatdoc;

#[derive(Debug)]
pub(crate) enum BuildpackError {
    Detect(std::io::Error),
    Config(ConfigError),
    ManifestLoad(ManifestLoadError),
    UnsupportedArch {
        arch: String,
    },
    EmptyManifest {
        arch: Arch,
    },
    VersionSource(VersionSourceError),
    Resolve {
        error: ResolveError,
        source: VersionSource,
    },
    Download(DownloadError),
    NoPackageManager {
        python_files: Vec<&'static str>,
    },
    MultiplePackageManagers(Vec<PackageManager>),
    PackageManagerNotSupported(PackageManager),
}

impl From<BuildpackError> for libcnb::Error<BuildpackError> {
    fn from(error: BuildpackError) -> Self {
        libcnb::Error::BuildpackError(error)
    }
}

impl From<ConfigError> for BuildpackError {
    fn from(error: ConfigError) -> Self {
        BuildpackError::Config(error)
    }
}

impl From<ManifestLoadError> for BuildpackError {
    fn from(error: ManifestLoadError) -> Self {
        BuildpackError::ManifestLoad(error)
    }
}

pub(crate) fn detect_fail_message() -> String {
    format!(
        "No Python project files found in the app root (looked for {} and {}).",
        PACKAGE_MANAGER_FILES.join(", "),
        OTHER_PYTHON_FILES.join(", ")
    )
}

pub(crate) fn on_error(error: libcnb::Error<BuildpackError>) {
    let message = match error {
        libcnb::Error::BuildpackError(error) => buildpack_error_message(&error),
        other => formatdoc! {"
            Internal buildpack error

            {other}

            This is a problem with the buildpack, not your app. Retry the build; if it happens
            again, open an issue with the build output.
        "},
    };
    print::error(redact_urls(&message));
}

fn buildpack_error_message(error: &BuildpackError) -> String {
    match error {
        BuildpackError::Detect(error) => formatdoc! {"
            Unable to read the app directory

            Reading the files in the app root failed: {error}
        "},
        BuildpackError::Config(error) => config_message(error),
        BuildpackError::ManifestLoad(error) => manifest_load_message(error),
        BuildpackError::UnsupportedArch { arch } => formatdoc! {"
            Unsupported architecture: {arch}

            Python builds are available for amd64 (x86_64) and arm64 (aarch64) only.
        "},
        BuildpackError::EmptyManifest { arch } => formatdoc! {"
            No Python builds for {arch} in the runtime manifest

            The runtime manifest in use has no stable CPython build for {arch}, so there is no
            default version. Add builds for this architecture to the manifest set in
            BP_PYTHON_RUNTIME_MANIFEST, or unset it to use the built-in manifest.
        "},
        BuildpackError::VersionSource(error) => version_source_message(error),
        BuildpackError::Resolve { error, source } => resolve_message(error, *source),
        BuildpackError::Download(error) => download_message(error),
        BuildpackError::NoPackageManager { python_files } => formatdoc! {"
            No package manager files found

            This looks like a Python app ({found}), but it has none of the files that say how
            to install its dependencies: {files}.

            Add one of them, for example a requirements.txt listing your dependencies (it may
            be empty), or a lock file created with `uv lock`, `poetry lock` or `pipenv lock`.
        ",
            found = style::value(python_files.join(", ")),
            files = PACKAGE_MANAGER_FILES.join(", "),
        },
        BuildpackError::MultiplePackageManagers(found) => {
            let files = found
                .iter()
                .map(|pm| format!("- {} ({pm})", pm.marker_file()))
                .collect::<Vec<_>>()
                .join("\n");
            formatdoc! {"
                Multiple package manager files found

                Exactly one package manager must be used, but the app root has files for
                several:
                {files}

                Delete the files of the package managers you do not use, so that only one of
                them remains.
            "}
        }
        BuildpackError::PackageManagerNotSupported(pm) => formatdoc! {"
            {pm} is not supported yet

            This version of the buildpack cannot install dependencies from {file} yet. Use
            requirements.txt (pip) for now.
        ", file = pm.marker_file()},
    }
}

fn config_message(error: &ConfigError) -> String {
    match error {
        ConfigError::InvalidMirrorUrl { value } => formatdoc! {"
            Invalid BP_PYTHON_RUNTIME_MIRROR

            {value} is not an http(s) URL. Set BP_PYTHON_RUNTIME_MIRROR to the base URL of a
            mirror of the python-build-standalone releases, for example
            https://mirror.example.com/python-build-standalone
        ", value = style::value(redact_url(value))},
        ConfigError::InvalidManifestLocation { value } => formatdoc! {"
            Invalid BP_PYTHON_RUNTIME_MANIFEST

            {value} is neither an http(s) URL nor a file path. Set it to the path (relative
            to the app root) or the URL of a JSON-lines runtime manifest.
        ", value = style::value(redact_url(value))},
    }
}

fn manifest_load_message(error: &ManifestLoadError) -> String {
    match error {
        ManifestLoadError::Read { path, error } => formatdoc! {"
            Unable to read the runtime manifest

            BP_PYTHON_RUNTIME_MANIFEST names {path}, which could not be read: {error}
        ", path = style::value(path.display().to_string())},
        ManifestLoadError::Fetch(error) => formatdoc! {"
            Unable to download the runtime manifest

            {}

            Check that BP_PYTHON_RUNTIME_MANIFEST is right and the server is reachable from
            the build.
        ", describe_http_error(error)},
        ManifestLoadError::Parse { location, error } => formatdoc! {"
            Invalid runtime manifest

            The runtime manifest at {location} is not valid: {error}

            Each line must be a JSON object with version, arch, variant, url and sha256, as
            in the built-in manifest (see the README).
        ", location = style::value(location)},
    }
}

fn version_source_message(error: &VersionSourceError) -> String {
    match error {
        VersionSourceError::Read { file, error } => formatdoc! {"
            Unable to read {file}

            {file} could not be read as UTF-8 text: {error}

            Save it as plain UTF-8 text holding just the version, for example: 3.13
        ", file = style::value(*file)},
        VersionSourceError::PythonVersionFile(error) => {
            let file = style::value(".python-version");
            match error {
                PythonVersionFileError::Empty => formatdoc! {"
                    Invalid Python version in .python-version

                    {file} has no version in it (only blank lines or comments).

                    Write the major and minor version you want, for example 3.13
                "},
                PythonVersionFileError::MultipleVersions(versions) => formatdoc! {"
                    Invalid Python version in .python-version

                    {file} lists several versions ({}), but the app can only use one.

                    Keep a single version line, for example 3.13
                ", versions.join(", ")},
                PythonVersionFileError::InvalidVersion(version) => formatdoc! {"
                    Invalid Python version in .python-version

                    {file} asks for {version}, which is not a Python version this buildpack
                    understands.

                    Use major.minor (3.13) to get the newest patch release, or an exact
                    version (3.13.5). Append t for a free-threaded build (3.14t).
                ", version = style::value(version)},
            }
        }
        VersionSourceError::RuntimeTxt(error) => formatdoc! {"
            Invalid Python version in runtime.txt

            {error}.

            runtime.txt is deprecated: replace it with a .python-version file holding the
            version, for example 3.13
        "},
    }
}

pub(crate) fn runtime_txt_deprecated_warning(
    request: &crate::python_version::PythonVersionRequest,
) -> String {
    formatdoc! {"
        runtime.txt is deprecated

        The Python version was read from runtime.txt, which will stop being supported. Create
        a .python-version file with this content instead, and delete runtime.txt:

        {major}.{minor}

        (major.minor gets the newest patch release on every build, with its security fixes.)
    ", major = request.major, minor = request.minor}
}

fn resolve_message(error: &ResolveError, source: VersionSource) -> String {
    let minors = |minors: &[(u16, u16)]| {
        minors
            .iter()
            .map(|(major, minor)| format!("{major}.{minor}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let versions = |versions: &[crate::python_version::PythonVersion]| {
        versions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (requested, problem, fix) = match error {
        ResolveError::UnknownMinor {
            requested,
            known_minors,
        } => (
            requested,
            format!("There is no stable release of Python {requested}."),
            format!("Available Python versions: {}.", minors(known_minors)),
        ),
        ResolveError::OnlyPreReleases {
            requested,
            pre_releases,
        } => (
            requested,
            format!(
                "Python {requested} has only pre-releases so far ({}), and the buildpack installs stable releases only.",
                versions(pre_releases)
            ),
            "Use a stable version until it is released.".to_string(),
        ),
        ResolveError::NoBuildForVariant {
            requested,
            minors_with_variant,
        } => (
            requested,
            format!("There is no build of Python {requested} in that variant."),
            format!(
                "Versions available in that variant: {}.",
                minors(minors_with_variant)
            ),
        ),
        ResolveError::UnknownPatch {
            requested,
            available_patches,
        } => (
            requested,
            format!("Python {requested} does not exist or is not available."),
            format!(
                "Available patch releases: {}. Or request just the major.minor version to always get the newest patch.",
                versions(available_patches)
            ),
        ),
        ResolveError::NoBuildForArch {
            requested,
            arch,
            available_arches,
        } => (
            requested,
            format!("Python {requested} has no build for {arch}."),
            format!(
                "It is available for: {}.",
                available_arches
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    };
    formatdoc! {"
        Requested Python version not available

        {source_text} asks for Python {requested}. {problem}

        {fix}
    ", source_text = style::value(source.to_string())}
}

fn download_message(error: &DownloadError) -> String {
    match error {
        DownloadError::ChecksumMismatch {
            url,
            expected,
            actual,
        } => formatdoc! {"
            Python download failed its checksum

            The runtime archive downloaded from:
            {url}
            has SHA-256 {actual}, but the runtime manifest expects {expected}.

            The file on the server is not the one the manifest describes. If you use
            BP_PYTHON_RUNTIME_MIRROR or BP_PYTHON_RUNTIME_MANIFEST, check that the mirror
            holds the same files and the manifest has their right checksums. Nothing from
            this download was kept.
        ", url = redact_url(url.as_str())},
        DownloadError::Http(HttpError::NotFound { url }) => formatdoc! {"
            Python download not found

            The runtime archive at {url} does not exist (HTTP 404).

            If you use BP_PYTHON_RUNTIME_MIRROR, check that the mirror has this release; if you
            use BP_PYTHON_RUNTIME_MANIFEST, check the url in it.
        ", url = redact_url(url.as_str())},
        DownloadError::Http(error) => formatdoc! {"
            Python download failed

            {}

            This is usually a temporary network or server problem: retry the build. If it
            persists, check proxy settings (HTTPS_PROXY) and any BP_PYTHON_RUNTIME_MIRROR.
        ", describe_http_error(error)},
        DownloadError::Unpack { url, message } => formatdoc! {"
            Unable to unpack the Python download

            The archive from {url} matched its checksum but could not be unpacked: {message}
        ", url = redact_url(url.as_str())},
        DownloadError::Io(error) => formatdoc! {"
            Unable to prepare the Python layer

            Clearing the layer before the download failed: {error}
        "},
    }
}

/// A one-line description, for retry notices.
pub(crate) fn describe_download_error(error: &DownloadError) -> String {
    match error {
        DownloadError::Http(error) => describe_http_error(error),
        DownloadError::ChecksumMismatch { .. } => "checksum mismatch".to_string(),
        DownloadError::Unpack { message, .. } => message.clone(),
        DownloadError::Io(error) => error.to_string(),
    }
}

fn describe_http_error(error: &HttpError) -> String {
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
