//! Choosing the CPython build: the app's request and its source, the end-of-life policy, the
//! manifest entry, and the hints that follow from them.

use super::eol::{self, EolStatus};
use super::manifest::{Arch, ResolveError, RuntimeEntry, RuntimeManifest};
use crate::PythonBuildpack;
use crate::config::BuildConfig;
use crate::errors::{self, BuildpackError, Message, MessageKind};
use crate::python_version::{PythonVariant, PythonVersion, PythonVersionRequest};
use crate::python_version_source::{self, Choice, VersionSource};
use bullet_stream::global::print;
use libcnb::build::BuildContext;

pub(crate) fn select_runtime<'m>(
    context: &BuildContext<PythonBuildpack>,
    config: &BuildConfig,
    manifest: &'m RuntimeManifest,
    arch: Arch,
) -> Result<&'m RuntimeEntry, BuildpackError> {
    let today = config.eol_date.unwrap_or_else(eol::this_month);
    // Read before the runtime layer is handled: it holds the previous build's version.
    let inputs = python_version_source::read_inputs(
        &context.app_dir,
        config.python_version,
        &context.layers_dir,
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
        print_notice(&errors::version_notice(notice, &request, &source));
    }

    match eol::status(request.minor_version(), today) {
        EolStatus::Supported => {}
        EolStatus::EndOfLife { eol, refused_from } => print::warning(
            errors::end_of_life_warning(&request, &source, eol, refused_from, newest_minor)
                .to_string(),
        ),
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

    if request.patch.is_some()
        && let Some(newest) =
            manifest.newest_stable_patch(request.minor_version(), arch, request.variant)
        && newest > entry.version
    {
        print::warning(
            errors::outdated_patch_warning(&entry.version, &newest, &request, &source).to_string(),
        );
    }
    if let Some((text, specifiers)) = &requires_python
        && !specifiers.contains(&entry.version)
    {
        print::warning(
            errors::requires_python_conflict_warning(&entry.version, text, &source).to_string(),
        );
    }
    Ok(entry)
}

fn print_notice(notice: &Message) {
    if notice.kind == MessageKind::Notice {
        print::sub_bullet(notice.to_string());
    } else {
        print::warning(notice.to_string());
    }
}
