//! Whether a cached virtual environment is reused, updated in place or created afresh, and why:
//! one policy for every package manager, told apart by what the package manager can do in an
//! existing environment ([`Policy`]). A new Python, bytecode level, installer, tool version, base
//! image or package manager always recreates it; changed input files, local packages or
//! dependency groups update it in place (the package manager, or the buildpack after pip,
//! removes what is no longer wanted); changed settings update it or recreate it, as the policy
//! says.

use super::metadata::VenvLayerMetadata;
use crate::layers::cache_diff::{Diff, base_image};
use crate::layers::venv_settings::{self, SettingsChange};
use crate::runtime::layout::BytecodeLevel;
use std::collections::BTreeSet;

/// What a package manager's install does with the packages of a dependency group that is no
/// longer selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeselectedGroups {
    /// Removes them (an exact sync): the environment is updated in place.
    RemovedInPlace,
    /// Keeps them: the environment is created afresh when a group is dropped.
    KeptByTheTool,
}

/// What a changed setting of the package manager does to an existing environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChangedSettings {
    /// The tool applies it in place (the lock-based ones: an exact sync with the new settings).
    UpdateInPlace,
    /// The environment is created afresh: the installer keeps what is installed when it meets
    /// the requirements (pip, uv's pip interface), so a new index, source or binary choice
    /// would not apply to it.
    Recreate,
}

/// What the package manager can do in an existing environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Policy {
    pub(crate) changed_settings: ChangedSettings,
    pub(crate) deselected_groups: DeselectedGroups,
    /// Why the environment cannot be reused even with unchanged inputs (requirements that are
    /// not pinned can install something else from the same files): it is created afresh.
    pub(crate) not_reusable: Option<String>,
    /// Why changed inputs cannot be applied in place (what the environment no longer needs
    /// cannot be told apart): it is created afresh when they change.
    pub(crate) not_updatable: Option<String>,
}

/// What to do with a cached environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VenvAction {
    Reuse,
    /// Run the package manager in it, for these reasons, reinstalling these local packages.
    Update {
        reasons: Vec<String>,
        reinstall: Vec<String>,
    },
    /// Delete it and start afresh, for these reasons.
    Recreate(Vec<String>),
}

/// How the install step finds the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InstallMode {
    /// Just created, empty.
    New,
    /// From an earlier build, to be brought in line with the inputs.
    Existing,
}

/// Compares a cached environment's metadata with this build's, and the settings it was installed
/// with with this build's.
pub(crate) fn choose_action(
    old: &VenvLayerMetadata,
    new: &VenvLayerMetadata,
    settings: &SettingsChange,
    policy: &Policy,
) -> VenvAction {
    let mut recreate = recreate_reasons(old, new);
    let group_removed = old
        .dependency_groups
        .iter()
        .any(|group| !new.dependency_groups.contains(group));
    let mut update = Vec::new();
    match groups_change_reason(&old.dependency_groups, &new.dependency_groups) {
        Some(reason)
            if group_removed && policy.deselected_groups == DeselectedGroups::KeptByTheTool =>
        {
            recreate.push(reason);
        }
        Some(reason) => update.push(reason),
        None => {}
    }
    let settings_reason =
        venv_settings::reason(settings, new.installer().unwrap_or(&new.package_manager));
    if policy.changed_settings == ChangedSettings::Recreate {
        recreate.extend(settings_reason.clone());
    }
    if !recreate.is_empty() {
        return VenvAction::Recreate(recreate);
    }
    let changed: BTreeSet<&str> = old
        .files
        .keys()
        .chain(new.files.keys())
        .filter(|file| old.files.get(*file) != new.files.get(*file))
        .map(String::as_str)
        .collect();
    if !changed.is_empty() {
        let changed: Vec<&str> = changed.into_iter().collect();
        update.push(format!("{} changed", join_and(&changed)));
    }
    if policy.changed_settings == ChangedSettings::UpdateInPlace {
        update.extend(settings_reason);
    }
    // Local packages whose sources changed (new ones are installed anyway, being new in the lock).
    let reinstall: Vec<String> = new
        .local_sources
        .iter()
        .filter(|(name, fingerprint)| {
            old.local_sources
                .get(*name)
                .is_some_and(|old| old != *fingerprint)
        })
        .map(|(name, _)| name.clone())
        .collect();
    if !reinstall.is_empty() {
        let names: Vec<&str> = reinstall.iter().map(String::as_str).collect();
        let what = if names.len() == 1 {
            "package"
        } else {
            "packages"
        };
        update.push(format!("the local {what} {} changed", join_and(&names)));
    }
    if let Some(not_reusable) = &policy.not_reusable {
        update.push(not_reusable.clone());
        return VenvAction::Recreate(update);
    }
    if update.is_empty() {
        return VenvAction::Reuse;
    }
    if let Some(not_updatable) = &policy.not_updatable {
        update.push(not_updatable.clone());
        return VenvAction::Recreate(update);
    }
    VenvAction::Update {
        reasons: update,
        reinstall,
    }
}

/// Why the environment is created afresh whatever its inputs: another buildpack format, package
/// manager, installer, Python, bytecode level, tool version or base image.
fn recreate_reasons(old: &VenvLayerMetadata, new: &VenvLayerMetadata) -> Vec<String> {
    let mut recreate = Diff::new(old, new)
        .changed_because(
            |m| m.layer_format,
            "the buildpack's virtual environment format changed",
        )
        .field("package manager", |m| &m.package_manager)
        .reasons();
    if old.package_manager == new.package_manager {
        recreate.extend(
            Diff::new(old, new)
                .field_with(VenvLayerMetadata::installer, installer_reason)
                .reasons(),
        );
    }
    recreate.extend(
        Diff::new(old, new)
            .field("Python version", |m| &m.python_version)
            .field_with(|m| m.bytecode_level, bytecode_level_reason)
            .reasons(),
    );
    if old.package_manager == new.package_manager && old.installer() == new.installer() {
        let tool = new.installer().unwrap_or(&new.package_manager);
        recreate.extend(
            Diff::new(old, new)
                .field(&format!("{tool} version"), |m| &m.tool_version)
                .reasons(),
        );
    }
    recreate.extend(
        Diff::new(old, new)
            .field("base image", |m| {
                base_image(&m.distro_name, &m.distro_version)
            })
            .reasons(),
    );
    recreate
}

/// Why an environment installed by another installer (`BP_PYTHON_INSTALLER`) is recreated.
fn installer_reason(old: Option<&str>, new: Option<&str>) -> String {
    format!(
        "the installer changed ({} to {}, from BP_PYTHON_INSTALLER)",
        old.unwrap_or("none"),
        new.unwrap_or("none")
    )
}

/// Why an environment compiled at another optimization level is recreated.
pub(crate) fn bytecode_level_reason(old: BytecodeLevel, new: BytecodeLevel) -> String {
    format!(
        "the bytecode optimization level changed ({} to {}, from PYTHONOPTIMIZE)",
        old.as_number(),
        new.as_number()
    )
}

/// Why a cached environment installed with `old` groups does not match `new` ones.
pub(crate) fn groups_change_reason(old: &[String], new: &[String]) -> Option<String> {
    let list = |groups: &[String]| {
        if groups.is_empty() {
            "none".to_string()
        } else {
            groups.join(", ")
        }
    };
    (old != new).then(|| {
        format!(
            "the dependency groups changed ({} to {}, from {})",
            list(old),
            list(new),
            crate::dependency_groups::VARIABLE
        )
    })
}

/// The reason never to reuse an environment installed from `not_reusable` requirements, which can
/// install something else from the same files.
pub(crate) fn not_reusable_reason(not_reusable: &[String]) -> Option<String> {
    const SHOWN: usize = 5;
    if not_reusable.is_empty() {
        return None;
    }
    let shown = not_reusable
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let more = match not_reusable.len().checked_sub(SHOWN) {
        Some(more) if more > 0 => format!(" and {more} more"),
        _ => String::new(),
    };
    Some(format!("requirements are not all pinned ({shown}{more})"))
}

/// What a reused environment is: `uv.lock, pyproject.toml, Python 3.13.5 and uv 0.13.9`.
pub(crate) fn unchanged_inputs(metadata: &VenvLayerMetadata) -> String {
    let mut items: Vec<String> = metadata.files.keys().cloned().collect();
    items.push(format!("Python {}", metadata.python_version));
    items.push(format!(
        "{} {}",
        metadata.package_manager, metadata.tool_version
    ));
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    join_and(&items)
}

fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
