//! Messages about the requested Python version itself: whether a build exists, end of life, and
//! newer patch releases.

use super::Message;
use super::python_version::{asks_for, where_to_pin};
use crate::python_version::{PythonVersion, PythonVersionRequest};
use crate::python_version_source::VersionSource;
use crate::runtime::eol::{GRACE_MONTHS, YearMonth};
use crate::runtime::manifest::ResolveError;
use indoc::formatdoc;

fn minors(minors: &[(u16, u16)]) -> String {
    minors
        .iter()
        .map(|(major, minor)| format!("{major}.{minor}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn versions(versions: &[PythonVersion]) -> String {
    versions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn resolve_message(error: &ResolveError, source: &VersionSource) -> Message {
    let (requested, problem, fix) = match error {
        ResolveError::UnreleasedMinor {
            requested,
            newest_stable,
        } => return unreleased_message(requested, *newest_stable, source),
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
    Message::user_error(formatdoc! {"
        Requested Python version not available

        {asks}. {problem}

        {fix}
    ", asks = asks_for(source, requested)})
}

fn unreleased_message(
    requested: &PythonVersionRequest,
    newest_stable: Option<(u16, u16)>,
    source: &VersionSource,
) -> Message {
    let (newest, until_then) = match newest_stable {
        Some((major, minor)) => (
            format!(" (the newest stable one is {major}.{minor})"),
            format!("\n\nUntil then, use Python {major}.{minor}."),
        ),
        None => (String::new(), String::new()),
    };
    Message::user_error(formatdoc! {"
        Python {minor} is not available yet

        {asks}, which is newer than any Python version this buildpack knows{newest}.
        Either Python {minor} has not been released yet, or it was released after this
        version of the buildpack: update the buildpack (or the builder that includes it)
        to get it.{until_then}
    ",
        asks = asks_for(source, requested),
        minor = format_args!("{}.{}", requested.major, requested.minor),
    })
}

/// The fix for an old version: the newest minor, written where it belongs.
fn upgrade_hint(newest_minor: Option<(u16, u16)>, source: &VersionSource) -> String {
    match newest_minor {
        Some((major, minor)) => format!(
            "Upgrade the app to a newer Python version, ideally the newest, Python {major}.{minor}:\nput {major}.{minor} in {}.",
            where_to_pin(source)
        ),
        None => format!(
            "Upgrade the app to a newer Python version: set it in {}.",
            where_to_pin(source)
        ),
    }
}

/// The build fails: `request` is more than [`GRACE_MONTHS`] past its end of life.
pub(super) fn end_of_life_message(
    request: &PythonVersionRequest,
    source: &VersionSource,
    eol: Option<YearMonth>,
    newest_minor: Option<(u16, u16)>,
) -> Message {
    let when = eol.map_or_else(|| "long ago".to_string(), |eol| format!("in {eol}"));
    Message::user_error(formatdoc! {"
        Python {major}.{minor} is no longer supported

        {asks}.
        Python {major}.{minor} reached its end of life {when} and no longer gets security fixes.
        The buildpack does not install Python versions more than {GRACE_MONTHS} months past
        their end of life.

        {fix}
    ",
        asks = asks_for(source, request),
        major = request.major,
        minor = request.minor,
        fix = upgrade_hint(newest_minor, source),
    })
}

pub(crate) fn end_of_life_warning(
    request: &PythonVersionRequest,
    source: &VersionSource,
    eol: YearMonth,
    refused_from: YearMonth,
    newest_minor: Option<(u16, u16)>,
) -> Message {
    Message::warning(formatdoc! {"
        Python {major}.{minor} has reached its end of life

        {asks}.
        Python {major}.{minor} reached its end of life in {eol} and no longer gets security fixes.
        From {refused_from} on, the buildpack will refuse to install it.

        {fix}
    ",
        asks = asks_for(source, request),
        major = request.major,
        minor = request.minor,
        fix = upgrade_hint(newest_minor, source),
    })
}

pub(crate) fn outdated_patch_warning(
    installed: &PythonVersion,
    newest: &PythonVersion,
    request: &PythonVersionRequest,
    source: &VersionSource,
) -> Message {
    let minor = PythonVersionRequest {
        patch: None,
        ..*request
    };
    Message::warning(formatdoc! {"
        Python {installed} is not the newest {minor} release ({newest})

        {asks} exactly,
        but Python {newest} has been released since, with security and bug fixes that
        {installed} lacks.

        Use {minor} instead, to get the newest {minor} release on every build: put {minor}
        in {place}.
    ",
        asks = asks_for(source, request),
        place = where_to_pin(source),
    })
}

pub(crate) fn requires_python_conflict_warning(
    installed: &PythonVersion,
    specifiers: &str,
    source: &VersionSource,
) -> Message {
    Message::warning(formatdoc! {"
        Python {installed} does not satisfy requires-python

        The version from {source} is Python {installed}, but requires-python = \"{specifiers}\"
        in pyproject.toml does not allow it. Installing the project, or syncing it with uv,
        is likely to fail.

        Change the version in {source}, or requires-python, so that they agree.
    "})
}
