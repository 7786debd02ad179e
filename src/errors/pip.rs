//! The messages of pip installs: requirements files, pip itself, the virtual environment and
//! `pip install`. Headlines are plain text (no styling), so that they are easy to search for.

use super::Message;
use crate::layers::venv::VenvError;
use crate::package_managers::pip::PipInstallError;
use crate::package_managers::pip::output::PipFailure;
use crate::package_managers::pip::requirements::{Origin, RequirementsFileError};
use bullet_stream::style;
use indoc::formatdoc;

const REQUIREMENTS_FORMAT_URL: &str =
    "https://pip.pypa.io/en/stable/reference/requirements-file-format/";

pub(super) fn requirements_file_message(error: &RequirementsFileError) -> Message {
    match error {
        RequirementsFileError::NotUtf8 {
            file, utf16: true, ..
        } => Message::user_error(formatdoc! {"
            Unable to read {file}: UTF-16 text

            {shown} is encoded as UTF-16 (it starts with a UTF-16 byte order mark), which is
            what Windows PowerShell writes for `pip freeze > {file}`. The buildpack reads
            requirements files as UTF-8.

            Save {shown} as UTF-8, for example with
            `pip freeze | Out-File -Encoding utf8 {file}`, and build again.
        ", shown = style::value(file)}),
        RequirementsFileError::NotUtf8 { file, line, .. } => Message::user_error(formatdoc! {"
            Unable to read {file}: not UTF-8

            {shown} is not UTF-8 text: line {line} has bytes that are not valid UTF-8 (for
            example an accented letter saved as Latin-1 or Windows-1252). The buildpack reads
            requirements files as UTF-8.

            Save {shown} with the UTF-8 encoding (a UTF-8 byte order mark is fine) and build
            again.
        ", shown = style::value(file)}),
        RequirementsFileError::Read {
            file,
            origin,
            error,
        } => {
            let shown = style::value(file);
            match origin {
                Origin::Root => Message::user_error(formatdoc! {"
                    Unable to read {file}

                    {shown} exists but could not be read: {error}
                "}),
                Origin::Included { file: parent, line } => Message::user_error(formatdoc! {"
                    Unable to read {file}

                    Line {line} of {parent} includes this file (with -r or -c), but it could
                    not be read: {error}

                    Check the path after -r/-c: it is relative to the folder of the file that
                    has the line. Make sure the file is part of the app source (not left out by
                    .gitignore or similar), or remove the line.
                ", parent = style::value(parent)}),
                Origin::EnvVar(variable) => Message::user_error(formatdoc! {"
                    Unable to read {file}

                    {variable} names {shown}, which could not be read: {error}

                    Set {variable} to the path of a file in the app (relative to the app root),
                    or unset it.
                "}),
            }
        }
    }
}

pub(super) fn venv_message(error: &VenvError) -> Message {
    let detail = match error {
        VenvError::Create { output } => {
            format!("`python -m venv` failed:\n\n{}", output.trim_end())
        }
    };
    Message::bug(formatdoc! {"
        Unable to create the virtual environment

        {detail}

        This is a problem with the Python runtime or the build environment rather than the
        app. Retry the build; if it happens again, open an issue with the build output.
    "})
}

pub(super) fn pip_install_message(error: &PipInstallError) -> Message {
    match error {
        PipInstallError::Failed {
            installer,
            failure,
            status,
        } => install_failed_message(installer, failure, *status),
        PipInstallError::RefusedSetting(refused) => Message::user_error(formatdoc! {"
            Unable to install with uv: {setting}

            BP_PYTHON_INSTALLER=uv installs requirements.txt with uv, which reads pip's
            settings as the buildpack translates them. This one it cannot honour as pip
            would: {setting_shown}

            {instead}.
        ", setting = refused.setting, setting_shown = style::value(&refused.setting),
        instead = wrap(&refused.instead)}),
        PipInstallError::Prune(detail) => Message::bug(formatdoc! {"
            Unable to update the virtual environment

            pip installed the changed requirements, but the buildpack could not tell which
            installed packages they no longer need:
            {detail}

            The environment is discarded, so the next build creates it afresh. Retry the
            build; if it happens again, open an issue with the build output.
        "}),
    }
}

fn install_failed_message(installer: &str, failure: &PipFailure, status: Option<i32>) -> Message {
    let requirements = style::value("requirements.txt");
    let command = match installer {
        "pip" => "pip install -r requirements.txt",
        _ => "uv pip install -r requirements.txt",
    };
    match failure {
        PipFailure::NotFound {
            requirements: missing,
            credentials_rejected,
        } => {
            let credentials = if *credentials_rejected {
                "\nA package index rejected the credentials (HTTP 401/403, see pip's output above):\n\
                 check the user name and password or token in its URL, or in the environment\n\
                 variables that the URL uses.\n"
            } else {
                ""
            };
            Message::user_error(formatdoc! {"
                Package not found: {missing}

                {installer} could not find a version of this package that can be installed here. It is
                asked for by {requirements} (or a file it includes):

                    {shown}
                {credentials}
                Check the package name and version for typos, and that this version exists on
                the package index and supports the app's Python version on Linux. If the
                package comes from a private index, set PIP_INDEX_URL or PIP_EXTRA_INDEX_URL (or
                use --extra-index-url in {requirements}).
            ", missing = missing.join(", "), shown = missing.join("\n    ")})
        }
        PipFailure::Conflict { causes } => conflict_message(installer, command, causes),
        PipFailure::BuildFailed { packages } => Message::user_error(formatdoc! {"
            Unable to build {packages}

            {installer} had to build this from source (an sdist or a local path), and the build
            failed; its output is above.

            Common causes are a missing system library or build tool, or a package version
            that does not support the app's Python version. Use a version of the package that
            publishes wheels for this Python and Linux, or fix the package's build (for a
            local path, try `{installer} install <path>` locally).
        ", packages = packages.join(", ")}),
        PipFailure::InvalidRequirement {
            requirement,
            location,
        } => invalid_requirement_message(requirement, location.as_deref()),
        PipFailure::Hashes { mismatch: true } => Message::user_error(formatdoc! {"
            Package hashes do not match requirements.txt

            A downloaded package does not have any of the hashes given for it in
            {requirements} (the details are in {installer}'s output above).

            If you changed a version, update its hashes too (for example with
            `pip-compile --generate-hashes`). If the versions did not change, check the
            index or mirror the packages come from.
        "}),
        PipFailure::Hashes { mismatch: false } => Message::user_error(formatdoc! {"
            Missing hashes in requirements.txt

            {requirements} uses hashes (hash-checking mode), so every requirement, including
            dependencies, needs a == version and a --hash ({installer}'s output above lists the ones
            that do not).

            Regenerate the file with all hashes, for example with
            `pip-compile --generate-hashes`, or remove the hashes.
        "}),
        PipFailure::IndexUnreachable { certificate } => {
            let hint = if *certificate {
                "The index's TLS certificate is not trusted (CERTIFICATE_VERIFY_FAILED). If the \
                 build reaches it through a TLS-intercepting proxy, or the index has its own \
                 certificate authority, pass that CA bundle to the build as PIP_CERT."
            } else {
                "Check the network and proxy settings of the build (HTTPS_PROXY), and the \
                 index URLs in PIP_INDEX_URL, PIP_EXTRA_INDEX_URL or requirements.txt."
            };
            Message::retry(formatdoc! {"
                Unable to reach the package index

                {installer} could not download packages for {requirements}: the index could not be
                reached.

                {hint}
            "})
        }
        PipFailure::Other => Message::user_error(formatdoc! {"
            Unable to install dependencies with {installer}

            `{command}` failed (exit status {status}); its output is
            above.
        ", status = status.map_or_else(|| "unknown".to_string(), |code| code.to_string())}),
    }
}

fn conflict_message(installer: &str, command: &str, causes: &[String]) -> Message {
    let requirements = style::value("requirements.txt");
    let causes = if causes.is_empty() {
        String::new()
    } else {
        format!("\nThe conflict is caused by:\n{}\n", bullets(causes))
    };
    Message::user_error(formatdoc! {"
        Conflicting dependencies in requirements.txt

        {installer} could not find versions of the packages in {requirements} that satisfy all of
        their requirements together (ResolutionImpossible).
        {causes}
        Change the versions in {requirements} so that they agree: loosen or update the pin
        of one of the packages above, then build again. Running
        `{command}` locally shows the same conflict.
    "})
}

/// `location` is pip's `line 2 of requirements.txt`, when it gave one.
fn invalid_requirement_message(requirement: &str, location: Option<&str>) -> Message {
    let file = location
        .and_then(|location| location.split(" of ").nth(1))
        .unwrap_or("requirements.txt");
    let place = match location {
        Some(location) => format!("L{}", location.trim_start_matches('l')),
        None => format!("A line of {file}"),
    };
    Message::user_error(formatdoc! {"
        Invalid requirement in {file}

        {place} is not a valid requirement:

            {requirement}

        Each line must be a package with an optional version (flask==3.1.0), a URL, a path,
        or an option such as -r other.txt; comments start with #. See
        {REQUIREMENTS_FORMAT_URL}
    "})
}

/// `text` in lines of at most 88 characters.
fn wrap(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= 88 => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines.join("\n")
}

fn bullets(lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| format!("- {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}
