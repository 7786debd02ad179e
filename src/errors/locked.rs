//! The messages of lock-based installs (uv, Poetry, Pipenv, PDM): installing the locked
//! dependencies with the tool. Headlines are plain text, easy to search for.

use super::Message;
use crate::package_managers::PackageManager;
use crate::package_managers::declaration::LockedManagerWords;
use crate::package_managers::locked::{LockedFailure, LockedInstallError};
use bullet_stream::style;
use indoc::formatdoc;

/// What differs between the package managers in the messages: the tool's name and the words of
/// its declaration.
fn words(package_manager: PackageManager) -> (&'static str, &'static LockedManagerWords) {
    let declaration = package_manager.declaration();
    let words = declaration
        .lock_words
        .as_ref()
        .expect("only lock-based package managers fail a locked install");
    (declaration.name, words)
}

/// The name of a package as the tools show it: `six==1.17.99`, `six (1.17.99)`.
fn package_name(package: &str) -> &str {
    package
        .split(['=', ' ', '(', '<', '>', '!', '~', '@'])
        .next()
        .unwrap_or(package)
}

fn indented(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("    {item}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn locked_install_message(error: &LockedInstallError) -> Message {
    let (package_manager, command, failure, status) = match error {
        LockedInstallError::ReadFile { file, error } => {
            return Message::user_error(formatdoc! {"
                Unable to read {file}

                {shown} exists but could not be read: {error}
            ", shown = style::value(file)});
        }
        LockedInstallError::Failed {
            package_manager,
            command,
            failure,
            status,
        } => (*package_manager, command, failure, status),
    };
    let (
        tool,
        LockedManagerWords {
            lock,
            manifest,
            lock_command,
            upgrade_command,
            python_setting,
            index_settings,
            ..
        },
    ) = words(package_manager);
    match failure {
        LockedFailure::LockOutdated => Message::user_error(formatdoc! {"
            {lock} is out of date

            {shown_lock} does not match {manifest}: {manifest} changed after the lock file
            was last written. The buildpack installs exactly what {lock} says, and never
            updates it during the build.

            Run `{lock_command}`, commit the updated {lock}, and build again.
        ", shown_lock = style::value(lock)}),
        LockedFailure::PythonMismatch { detail } => Message::user_error(formatdoc! {"
            The app's Python version does not match {manifest}

            {tool} refused the Python version that the buildpack installed:

                {detail}

            Ask for a Python version that {manifest} allows in .python-version (for example
            3.13), or change {python_setting} in {manifest} and run `{lock_command}`.
        "}),
        LockedFailure::Unavailable { packages } => Message::user_error(formatdoc! {"
            Locked package not available: {joined}

            {shown_lock} pins a version or file that {tool} could not download:

            {list}

            It may have been deleted from the package index, or come from a private index that
            the build cannot use. Lock versions that exist, for example with
            `{upgrade}`, and commit {lock}.

            For a private index, pass its settings to the build:
            {index_settings}.
        ",
            joined = packages.join(", "),
            shown_lock = style::value(lock),
            list = indented(packages),
            upgrade = upgrade_command.replace("NAME", packages.first().map_or("NAME", |p| package_name(p))),
        }),
        LockedFailure::CredentialsRejected { packages } => {
            credentials_message(tool, index_settings, packages)
        }
        LockedFailure::HashMismatch { packages } => Message::user_error(formatdoc! {"
            Package hashes do not match {lock}

            A downloaded file does not have any of the hashes that {shown_lock} has for it
            (the details are in {tool}'s output above):

            {list}

            The file on the index is not the one that was locked. If the versions did not
            change, check the index or mirror the packages come from. If the package was
            published again on purpose, run `{lock_command}` again and commit {lock}.
        ", shown_lock = style::value(lock), list = indented(packages)}),
        LockedFailure::BuildFailed { packages } => Message::user_error(formatdoc! {"
            Unable to build {joined}

            {tool} had to build this from source (an sdist or a local path), and the build
            failed; its output is above.

            Common causes are a missing system library or build tool, or a package version
            that does not support the app's Python version. Lock a version of the package that
            publishes wheels for this Python and Linux, or fix the package's build.
        ", joined = if packages.is_empty() { "a package".to_string() } else { packages.join(", ") }}),
        LockedFailure::RootNotInstallable => Message::user_error(formatdoc! {"
            Unable to install the project itself

            pyproject.toml has a [build-system], so the buildpack lets Poetry install the
            project as a package (as `poetry sync` does), but Poetry could not; its output is
            above.

            If the app is not meant to be installed as a package, set `package-mode = false`
            under [tool.poetry] in pyproject.toml. Otherwise tell Poetry where the package is,
            for example with `packages` under [tool.poetry].
        "}),
        LockedFailure::IndexUnreachable { certificate } => {
            unreachable_message(package_manager, *certificate)
        }
        LockedFailure::Other => Message::user_error(formatdoc! {"
            Unable to install dependencies with {tool}

            `{command}` failed (exit status {status}); its output is above.
        ", status = status.map_or_else(|| "unknown".to_string(), |code| code.to_string())}),
    }
}

fn credentials_message(tool: &str, index_settings: &str, packages: &[String]) -> Message {
    Message::user_error(formatdoc! {"
        Package index credentials rejected

        The package index answered 401 or 403 (see {tool}'s output above){what}

        Pass the index's credentials to the build, and check that they are current and
        allow reading these packages:
        {index_settings}.
    ", what = if packages.is_empty() {
        ".".to_string()
    } else {
        format!(" for:\n\n{}\n", indented(packages))
    }})
}

fn unreachable_message(package_manager: PackageManager, certificate: bool) -> Message {
    let (
        tool,
        LockedManagerWords {
            lock,
            index_settings,
            ca_bundle,
            certificate_errors_recognised,
            ..
        },
    ) = words(package_manager);
    let certificate_hint = formatdoc! {"
        If the build reaches the index through a TLS-intercepting proxy, or the index
        has its own certificate authority, pass that CA bundle to the build as
        {ca_bundle}, for example `--env {ca_bundle}=/etc/ssl/certs/ca-certificates.crt`.
    "};
    let network_hint = formatdoc! {"
        Check the network and proxy settings of the build (HTTPS_PROXY) and the index
        settings:
        {index_settings}.
    "};
    let hint = if certificate {
        certificate_hint
    } else if !certificate_errors_recognised {
        format!("{network_hint}\n{certificate_hint}")
    } else {
        network_hint
    };
    Message::retry(formatdoc! {"
        Unable to reach the package index

        {tool} could not download the packages in {lock}: the index could not be
        reached.

        {hint}"})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(package_manager: PackageManager, failure: LockedFailure) -> String {
        locked_install_message(&LockedInstallError::Failed {
            package_manager,
            command: "uv sync --locked".to_string(),
            failure,
            status: Some(1),
        })
        .to_string()
    }

    #[test]
    fn out_of_date_locks_name_the_command_that_fixes_them() {
        for (package_manager, fix) in [
            (PackageManager::Uv, "Run `uv lock`"),
            (PackageManager::Poetry, "Run `poetry lock`"),
            (PackageManager::Pipenv, "Run `pipenv lock`"),
            (PackageManager::Pdm, "Run `pdm lock`"),
        ] {
            let message = failed(package_manager, LockedFailure::LockOutdated);
            assert!(message.contains(fix), "{message}");
        }
    }

    #[test]
    fn unavailable_packages_get_an_upgrade_command_for_the_first_one() {
        let message = failed(
            PackageManager::Poetry,
            LockedFailure::Unavailable {
                packages: vec!["six (1.17.99)".to_string()],
            },
        );
        assert!(message.starts_with("Locked package not available: six (1.17.99)"));
        assert!(message.contains("`poetry update --lock six`"), "{message}");
    }

    #[test]
    fn package_names_are_cut_at_the_version() {
        assert_eq!(package_name("six==1.17.99"), "six");
        assert_eq!(package_name("six (1.17.99)"), "six");
        assert_eq!(package_name("brokenpkg"), "brokenpkg");
    }

    #[test]
    fn poetry_unreachable_mentions_the_ca_bundle_too() {
        let message = failed(
            PackageManager::Poetry,
            LockedFailure::IndexUnreachable { certificate: false },
        );
        assert!(message.contains("REQUESTS_CA_BUNDLE"), "{message}");
        let message = failed(
            PackageManager::Uv,
            LockedFailure::IndexUnreachable { certificate: false },
        );
        assert!(!message.contains("SSL_CERT_FILE"), "{message}");
    }
}
