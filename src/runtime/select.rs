//! Choosing the CPython build: the app's request and its source, the end-of-life policy, the
//! manifest entry, and the hints that follow from them.

use super::eol::{self, EolStatus};
use super::manifest::{Arch, ResolveError, RuntimeEntry, RuntimeManifest};
use crate::BuildpackError;
use crate::PythonBuildpack;
use crate::config::BuildConfig;
use crate::layers::python::previous_build_request;
use crate::message::show;
use crate::project::Project;
use crate::python_version::{PythonVariant, PythonVersion, PythonVersionRequest};
use crate::python_version_source::{self, Choice, VersionNotice, VersionSource};
use crate::runtime::eol::YearMonth;
use bullet_stream::global::print;
use libcnb::build::BuildContext;

pub(crate) fn select_runtime<'m>(
    context: &BuildContext<PythonBuildpack>,
    config: &BuildConfig,
    project: &Project,
    manifest: &'m RuntimeManifest,
    arch: Arch,
) -> Result<&'m RuntimeEntry, BuildpackError> {
    let today = config.eol_date.unwrap_or_else(eol::this_month);
    // Read before the runtime layer is handled: it holds the previous build's version.
    let inputs = python_version_source::read_inputs(
        project,
        config.python_version,
        previous_build_request(&context.layers_dir),
    )
    .map_err(BuildpackError::VersionSource)?;
    let candidates: Vec<PythonVersion> = manifest
        .stable_versions(arch, PythonVariant::Default)
        .into_iter()
        .filter(|version| {
            !matches!(
                eol::status(version.minor_version(), today),
                EolStatus::Unsupported { .. }
            )
        })
        .collect();
    let newest_minor = manifest.newest_stable_minor(arch, PythonVariant::Default);
    let chosen = python_version_source::requested_version(&inputs, &candidates)
        .map_err(BuildpackError::VersionSource)?;
    let choice = if let Some(choice) = chosen {
        choice
    } else {
        let (major, minor) = newest_minor.ok_or(BuildpackError::EmptyManifest { arch })?;
        Choice {
            request: PythonVersionRequest {
                major,
                minor,
                patch: None,
                variant: PythonVariant::Default,
            },
            source: VersionSource::Default,
            notices: Vec::new(),
            requires_python: None,
        }
    };
    let Choice {
        request,
        source,
        notices,
        requires_python,
    } = choice;

    print::sub_bullet(format!("Requested Python {request} (from {source})"));
    for notice in &notices {
        show(&ChoiceNote::Version {
            notice,
            request: &request,
            source: &source,
        });
    }

    match eol::status(request.minor_version(), today) {
        EolStatus::Supported => {}
        EolStatus::EndOfLife { eol, refused_from } => show(&ChoiceNote::EndOfLife {
            request: &request,
            source: &source,
            eol,
            refused_from,
            newest_minor,
        }),
        EolStatus::Unsupported { eol } => {
            return Err(BuildpackError::EndOfLife {
                request,
                source,
                eol,
                newest_minor,
            });
        }
    }

    let entry = manifest.resolve(&request, arch).map_err(|mut error| {
        // Only suggest versions the buildpack would install.
        if let ResolveError::UnknownMinor { known_minors, .. } = &mut error {
            known_minors.retain(|minor| {
                !matches!(eol::status(*minor, today), EolStatus::Unsupported { .. })
            });
        }
        BuildpackError::Resolve {
            error,
            source: source.clone(),
        }
    })?;
    print::sub_bullet(format!("Resolved to Python {}", entry.version));
    let newest_patch = manifest.newest_stable_patch(request.minor_version(), arch, request.variant);
    warn_about_resolved(
        entry,
        newest_patch,
        &request,
        &source,
        requires_python.as_ref(),
    );
    Ok(entry)
}

/// Warns when an exact version was asked for and a newer patch release exists, and when the
/// version does not meet the project's `requires-python`.
fn warn_about_resolved(
    entry: &RuntimeEntry,
    newest_patch: Option<PythonVersion>,
    request: &PythonVersionRequest,
    source: &VersionSource,
    requires_python: Option<&(String, crate::python_version_source::specifiers::Specifiers)>,
) {
    if request.patch.is_some()
        && let Some(newest) = newest_patch
        && newest > entry.version
    {
        show(&ChoiceNote::OutdatedPatch {
            installed: &entry.version,
            newest: &newest,
            request,
            source,
        });
    }
    if let Some((text, specifiers)) = requires_python
        && !specifiers.contains(&entry.version)
    {
        show(&ChoiceNote::RequiresPythonConflict {
            installed: &entry.version,
            specifiers: text,
            source,
        });
    }
}

/// What the build says about the chosen version as it goes on: a notice, or a warning.
pub(crate) enum ChoiceNote<'a> {
    /// About the file or setting the version came from.
    Version {
        notice: &'a VersionNotice,
        request: &'a PythonVersionRequest,
        source: &'a VersionSource,
    },
    /// The version is past its end of life, and will be refused from `refused_from`.
    EndOfLife {
        request: &'a PythonVersionRequest,
        source: &'a VersionSource,
        eol: YearMonth,
        refused_from: YearMonth,
        newest_minor: Option<(u16, u16)>,
    },
    /// An exact version was asked for, and a newer patch release exists.
    OutdatedPatch {
        installed: &'a PythonVersion,
        newest: &'a PythonVersion,
        request: &'a PythonVersionRequest,
        source: &'a VersionSource,
    },
    /// The version does not meet the project's `requires-python`.
    RequiresPythonConflict {
        installed: &'a PythonVersion,
        specifiers: &'a str,
        source: &'a VersionSource,
    },
}
