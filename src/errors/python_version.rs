//! Messages about where the Python version comes from: version files, hints, and the notices
//! printed while choosing.

use super::Message;
use crate::python_version::{PythonVersionFileError, PythonVersionRequest};
use crate::python_version_source::files::{PipfileLockError, PyprojectError};
use crate::python_version_source::{VersionNotice, VersionSource, VersionSourceError};
use bullet_stream::style;
use indoc::formatdoc;

/// Where the user should write a version, given where the current one came from.
pub(super) fn where_to_pin(source: &VersionSource) -> String {
    match source {
        VersionSource::Env => "BP_PYTHON_VERSION".to_string(),
        VersionSource::PipfileLock(_) => {
            "the Pipfile's [requires] section (then run `pipenv lock`)".to_string()
        }
        VersionSource::RequiresPython(_) => {
            "requires-python in pyproject.toml, or a .python-version file".to_string()
        }
        VersionSource::PoetryPython(_) => {
            "python in [tool.poetry.dependencies], or a .python-version file".to_string()
        }
        VersionSource::PythonVersionFile => ".python-version".to_string(),
        VersionSource::RuntimeTxt => "a .python-version file (replacing runtime.txt)".to_string(),
        VersionSource::PreviousBuild | VersionSource::Default => {
            "a .python-version file".to_string()
        }
    }
}

/// `<source> asks for Python <request>`, phrased for sources that are not files.
pub(super) fn asks_for(source: &VersionSource, request: &PythonVersionRequest) -> String {
    match source {
        VersionSource::PreviousBuild => format!(
            "No Python version is pinned, so the buildpack keeps Python {request}, the version of the previous build"
        ),
        VersionSource::Default => format!("The buildpack default is Python {request}"),
        other => format!(
            "{} asks for Python {request}",
            style::value(other.to_string())
        ),
    }
}

pub(super) fn version_source_message(error: &VersionSourceError) -> Message {
    match error {
        VersionSourceError::Read { file, error } => Message::user_error(formatdoc! {"
            Unable to read {file}

            {file} could not be read: {error}
        ", file = style::value(*file)}),
        VersionSourceError::NotUtf8 { file } => Message::user_error(formatdoc! {"
            Unable to read {file}

            {file} is not UTF-8 text (nor UTF-16 with a byte order mark), so the Python version
            in it cannot be read.

            Save it as plain UTF-8 text holding just the version, for example: 3.13
        ", file = style::value(*file)}),
        VersionSourceError::MisspelledFile { found, expected } => {
            let fix = if *expected == "runtime.txt" {
                "runtime.txt is deprecated, so rather than renaming it, replace it with a\n\
                 .python-version file holding just the version, for example: 3.13"
                    .to_string()
            } else {
                format!("Rename {found} to {expected}.")
            };
            Message::user_error(formatdoc! {"
                Misspelled Python version file: {found}

                The app has a file named {found_value}, which looks like a misspelling of
                {expected_value}. The buildpack only reads {expected_value}, so the Python
                version in it would be ignored.

                {fix}
            ", found_value = style::value(found), expected_value = style::value(*expected)})
        }
        VersionSourceError::PythonVersionFile(error) => python_version_file_message(error),
        VersionSourceError::RuntimeTxt(error) => Message::user_error(formatdoc! {"
            Invalid Python version in runtime.txt

            {error}.

            runtime.txt is deprecated: replace it with a .python-version file holding the
            version, for example 3.13
        "}),
        VersionSourceError::PipfileLock(error) => pipfile_lock_message(error),
        VersionSourceError::Pyproject(error) => pyproject_message(error),
        VersionSourceError::InvalidRequiresPython { specifiers, error } => {
            let poetry = if specifiers.contains('^') {
                "\n\n(Poetry's ^ constraints are for [tool.poetry.dependencies], not for\nrequires-python.)"
            } else {
                ""
            };
            Message::user_error(formatdoc! {"
                Unsupported requires-python in pyproject.toml

                The buildpack picks the Python version from requires-python = {value} in
                pyproject.toml, but cannot read it: {error}.

                Write it as version specifiers, for example \">=3.12\", \">=3.11,<3.14\" or
                \"~=3.12\", or pin the version in a .python-version file, which takes
                precedence.{poetry}
            ", value = style::value(format!("\"{specifiers}\""))})
        }
        VersionSourceError::NoVersionSatisfies {
            specifiers,
            available,
        } => {
            let minors: Vec<String> = available
                .iter()
                .map(|(major, minor)| format!("{major}.{minor}"))
                .collect();
            let example = minors.first().map_or_else(String::new, |newest| {
                format!(", for example to \">={newest}\"")
            });
            Message::user_error(formatdoc! {"
                No supported Python version satisfies requires-python

                requires-python = {value} in pyproject.toml allows none of the Python versions
                this buildpack supports: {minors}.

                Change requires-python to allow one of them{example}, or pin a version in a
                .python-version file.
            ", value = style::value(format!("\"{specifiers}\"")), minors = minors.join(", ")})
        }
    }
}

fn python_version_file_message(error: &PythonVersionFileError) -> Message {
    let file = style::value(".python-version");
    match error {
        PythonVersionFileError::Empty => Message::user_error(formatdoc! {"
            Invalid Python version in .python-version

            {file} has no version in it (only blank lines or comments).

            Write the major and minor version you want, for example 3.13
        "}),
        PythonVersionFileError::MultipleVersions(versions) => Message::user_error(formatdoc! {"
            Invalid Python version in .python-version

            {file} lists several versions ({}), but the app can only use one.

            Keep a single version line, for example 3.13
        ", versions.join(", ")}),
        PythonVersionFileError::InvalidVersion(version) => {
            let reason = version
                .parse::<PythonVersionRequest>()
                .err()
                .map_or_else(String::new, |error| format!(" ({error})"));
            Message::user_error(formatdoc! {"
                Invalid Python version in .python-version

                {file} asks for {value}, which is not a Python version this buildpack
                understands{reason}.

                Use major.minor (3.13) to get the newest patch release, or an exact
                version (3.13.5). Append t for a free-threaded build (3.14t).
            ", value = style::value(version)})
        }
    }
}

fn pipfile_lock_message(error: &PipfileLockError) -> Message {
    match error {
        PipfileLockError::InvalidJson(error) => Message::user_error(formatdoc! {"
            Invalid Pipfile.lock

            Pipfile.lock is not valid JSON, so the Python version in it cannot be read:
            {error}

            Recreate it with `pipenv lock`.
        "}),
        PipfileLockError::InvalidVersion { key, value } => Message::user_error(formatdoc! {"
            Invalid Python version in Pipfile.lock

            Pipfile.lock asks for Python {value} in _meta.requires.{key}, which is not a
            Python version this buildpack understands.

            Set python_version (for example \"3.13\") in the [requires] section of the
            Pipfile and run `pipenv lock`, or pin the version in a .python-version file.
        ", value = style::value(value), key = key.as_str()}),
    }
}

fn pyproject_message(error: &PyprojectError) -> Message {
    match error {
        PyprojectError::InvalidToml(error) => Message::user_error(formatdoc! {"
            Invalid pyproject.toml

            pyproject.toml is not valid TOML, so its requires-python cannot be read:
            {error}

            Fix the syntax error, or pin the Python version in a .python-version file, which
            takes precedence.
        "}),
        PyprojectError::RequiresPythonNotAString(value) => Message::user_error(formatdoc! {"
            Invalid requires-python in pyproject.toml

            requires-python in the [project] table of pyproject.toml is {value}, but it must
            be a string of version specifiers, for example requires-python = \">=3.12\".
        ", value = style::value(value)}),
    }
}

/// What to print for a notice from choosing the version: a [`MessageKind::Notice`] (a sub-bullet
/// under the current step) or a warning.
///
/// [`MessageKind::Notice`]: super::MessageKind::Notice
pub(crate) fn version_notice(
    notice: &VersionNotice,
    request: &PythonVersionRequest,
    source: &VersionSource,
) -> Message {
    match notice {
        VersionNotice::Utf16 { file } => Message::warning(formatdoc! {"
            {file} is saved as UTF-16

            {file_value} is UTF-16 text, as Windows PowerShell 5 writes it (for example with
            `echo 3.13 > {file}`). The buildpack read it, but other tools such as pyenv and uv
            may not.

            Save it as UTF-8, for example with `Set-Content {file} 3.13 -Encoding utf8` or
            your editor's encoding setting.
        ", file_value = style::value(*file)}),
        VersionNotice::RuntimeTxtDeprecated => runtime_txt_deprecated_warning(request),
        VersionNotice::Overridden { file } => Message::notice(format!(
            "Ignoring {file}: {source} takes precedence over it"
        )),
        VersionNotice::MisspelledIgnored { found, expected } => Message::warning(formatdoc! {"
            Misspelled Python version file {found} is ignored

            {found_value} looks like a misspelling of {expected_value}. The version comes from
            {source} instead, so {found_value} is not used.

            Delete {found}, so that nobody takes it for the app's Python version.
        ", found_value = style::value(found), expected_value = style::value(*expected)}),
        VersionNotice::RequiresPythonPicked => Message::notice(
            "Picked the newest supported Python that requires-python allows (pin a version in .python-version to choose when to upgrade)"
                .to_string(),
        ),
        VersionNotice::PreviousBuildKept => Message::warning(formatdoc! {"
            No Python version pinned

            The app does not say which Python version it needs, so the buildpack keeps
            Python {request}, the version of the previous build, rather than moving to a
            newer minor version on its own (which can break apps).

            Pin the version: create a .python-version file containing {request} (or a newer
            version, to upgrade).
        "}),
    }
}

pub(crate) fn runtime_txt_deprecated_warning(request: &PythonVersionRequest) -> Message {
    Message::warning(formatdoc! {"
        runtime.txt is deprecated

        The Python version was read from runtime.txt, which will stop being supported. Create
        a .python-version file with this content instead, and delete runtime.txt:

        {major}.{minor}{t}

        (major.minor gets the newest patch release on every build, with its security fixes.)
    ",
        major = request.major,
        minor = request.minor,
        t = request.variant.suffix(),
    })
}
