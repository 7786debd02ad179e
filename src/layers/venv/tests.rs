use super::*;
use crate::layers::venv_settings::SettingsChange;
use crate::runtime::layout::BytecodeLevel;
use libcnb::generic::GenericMetadata;
use libcnb::layer::InvalidMetadataAction;
use metadata::{LAYER_FORMAT, migrate_or_discard};
use std::collections::BTreeMap;

/// What a lock-based package manager that removes deselected groups does, settings unchanged.
fn choose_locked_action(old: &VenvLayerMetadata, new: &VenvLayerMetadata) -> VenvAction {
    choose_action(
        old,
        new,
        &SettingsChange::Unchanged,
        &locked(DeselectedGroups::RemovedInPlace),
    )
}

/// A lock-based package manager's policy.
fn locked(deselected_groups: DeselectedGroups) -> Policy {
    Policy {
        changed_settings: ChangedSettings::UpdateInPlace,
        deselected_groups,
        not_reusable: None,
        not_updatable: None,
    }
}

fn metadata() -> VenvLayerMetadata {
    VenvLayerMetadata {
        layer_format: LAYER_FORMAT,
        package_manager: "uv".to_string(),
        installer: None,
        tool_version: "0.13.9".to_string(),
        python_version: "3.13.5".to_string(),
        bytecode_level: BytecodeLevel::Plain,
        distro_name: "ubuntu".to_string(),
        distro_version: "24.04".to_string(),
        files: BTreeMap::from([
            ("pyproject.toml".to_string(), "a".repeat(64)),
            ("uv.lock".to_string(), "b".repeat(64)),
        ]),
        env_names: vec!["UV_INDEX_URL".to_string()],
        local_sources: BTreeMap::from([("mylib".to_string(), "e".repeat(64))]),
        dependency_groups: Vec::new(),
    }
}

#[test]
fn metadata_survives_the_lifecycles_restore() {
    let restored = crate::test_support::lifecycle_round_trip(&metadata()).unwrap();
    assert_eq!(restored, metadata());
}

#[test]
fn a_group_change_updates_in_place_except_pipenv_losing_one() {
    let mut with_dev = metadata();
    with_dev.dependency_groups = vec!["dev".to_string()];
    let reason = "the dependency groups changed (none to dev, from BP_PYTHON_DEPENDENCY_GROUPS)";
    assert_eq!(
        choose_locked_action(&metadata(), &with_dev),
        VenvAction::Update {
            reasons: vec![reason.to_string()],
            reinstall: Vec::new()
        }
    );
    assert!(matches!(
        choose_locked_action(&with_dev, &metadata()),
        VenvAction::Update { .. }
    ));
    let pipenv = |groups: &[&str]| VenvLayerMetadata {
        package_manager: "Pipenv".to_string(),
        dependency_groups: groups.iter().map(ToString::to_string).collect(),
        ..metadata()
    };
    assert!(matches!(
        choose_action(
            &pipenv(&[]),
            &pipenv(&["dev"]),
            &SettingsChange::Unchanged,
            &locked(DeselectedGroups::KeptByTheTool)
        ),
        VenvAction::Update { .. }
    ));
    assert_eq!(
        choose_action(
            &pipenv(&["dev"]),
            &pipenv(&[]),
            &SettingsChange::Unchanged,
            &locked(DeselectedGroups::KeptByTheTool)
        ),
        VenvAction::Recreate(vec![
            "the dependency groups changed (dev to none, from BP_PYTHON_DEPENDENCY_GROUPS)"
                .to_string()
        ])
    );
}

#[test]
fn nothing_changed_is_reused() {
    assert_eq!(
        choose_locked_action(&metadata(), &metadata()),
        VenvAction::Reuse
    );
    assert_eq!(
        unchanged_inputs(&metadata()),
        "pyproject.toml, uv.lock, Python 3.13.5 and uv 0.13.9"
    );
}

#[test]
fn changed_lock_manifest_or_settings_update_in_place() {
    let mut new = metadata();
    new.files.insert("uv.lock".to_string(), "d".repeat(64));
    assert_eq!(
        choose_locked_action(&metadata(), &new),
        VenvAction::Update {
            reasons: vec!["uv.lock changed".to_string()],
            reinstall: vec![]
        }
    );
    new.files
        .insert("pyproject.toml".to_string(), "e".repeat(64));
    new.files.insert("uv.toml".to_string(), "f".repeat(64));
    new.env_names = vec!["UV_EXTRA_INDEX_URL".to_string()];
    assert_eq!(
        choose_action(
            &metadata(),
            &new,
            &SettingsChange::Changed(vec!["UV_EXTRA_INDEX_URL".to_string()]),
            &locked(DeselectedGroups::RemovedInPlace),
        ),
        VenvAction::Update {
            reasons: vec![
                "pyproject.toml, uv.lock and uv.toml changed".to_string(),
                "the settings of uv changed (UV_EXTRA_INDEX_URL)".to_string(),
            ],
            reinstall: vec![]
        }
    );
}

#[test]
fn changed_local_sources_update_in_place_and_are_reinstalled() {
    let mut new = metadata();
    new.local_sources
        .insert("mylib".to_string(), "f".repeat(64));
    // A new local package is installed by the update its lock change causes anyway.
    new.local_sources
        .insert("other".to_string(), "0".repeat(64));
    assert_eq!(
        choose_locked_action(&metadata(), &new),
        VenvAction::Update {
            reasons: vec!["the local package mylib changed".to_string()],
            reinstall: vec!["mylib".to_string()]
        }
    );
}

#[test]
fn python_tool_or_distro_changes_recreate() {
    let mut new = VenvLayerMetadata {
        python_version: "3.11.2".to_string(),
        tool_version: "0.14.0".to_string(),
        ..metadata()
    };
    // Together with a lock change: recreating covers it.
    new.files.insert("uv.lock".to_string(), "d".repeat(64));
    assert_eq!(
        choose_locked_action(&metadata(), &new),
        VenvAction::Recreate(vec![
            "the Python version changed (3.13.5 to 3.11.2)".to_string(),
            "the uv version changed (0.13.9 to 0.14.0)".to_string(),
        ])
    );
    let new = VenvLayerMetadata {
        distro_version: "22.04".to_string(),
        ..metadata()
    };
    assert_eq!(
        choose_locked_action(&metadata(), &new),
        VenvAction::Recreate(vec![
            "the base image changed (ubuntu 24.04 to ubuntu 22.04)".to_string()
        ])
    );
}

#[test]
fn another_package_manager_recreates() {
    let new = VenvLayerMetadata {
        package_manager: "Poetry".to_string(),
        tool_version: "2.5.1".to_string(),
        files: BTreeMap::from([("poetry.lock".to_string(), "d".repeat(64))]),
        ..metadata()
    };
    assert_eq!(
        choose_locked_action(&metadata(), &new),
        VenvAction::Recreate(vec![
            "the package manager changed (uv to Poetry)".to_string()
        ])
    );
    let interrupted: GenericMetadata = Some(toml::toml! { update_in_progress = true });
    assert!(matches!(
        migrate_or_discard(&interrupted),
        (InvalidMetadataAction::DeleteLayer, reason)
            if reason == "an earlier build stopped while updating it"
    ));
    assert!(matches!(
        migrate_or_discard(&None),
        (InvalidMetadataAction::DeleteLayer, reason)
            if reason == "it is from an unknown or incomplete build"
    ));
}

/// pip's metadata before every package manager shared one format.
fn pip_metadata_v2() -> toml::Table {
    toml::toml! {
        layer_format = 2
        python_version = "3.13.5"
        bytecode_level = 0
        pip_version = "26.3"
        distro_name = "ubuntu"
        distro_version = "24.04"
        env_names = ["PIP_INDEX_URL"]
        [requirements_files]
        "requirements.txt" = "aaaa"
    }
}

fn pip() -> VenvLayerMetadata {
    VenvLayerMetadata {
        package_manager: "pip".to_string(),
        tool_version: "26.3".to_string(),
        files: BTreeMap::from([("requirements.txt".to_string(), "aaaa".to_string())]),
        env_names: vec!["PIP_INDEX_URL".to_string()],
        local_sources: BTreeMap::new(),
        ..metadata()
    }
}

fn pip_policy(not_reusable: &[String]) -> Policy {
    Policy {
        changed_settings: ChangedSettings::Recreate,
        deselected_groups: DeselectedGroups::RemovedInPlace,
        not_reusable: not_reusable_reason(not_reusable),
        not_updatable: None,
    }
}

#[test]
fn pips_earlier_metadata_is_migrated_after_the_lifecycles_restore_too() {
    // As a real platform restores it: every number a float.
    let mut restored = pip_metadata_v2();
    restored.insert("layer_format".to_string(), toml::Value::Float(2.0));
    restored.insert("bytecode_level".to_string(), toml::Value::Float(0.0));
    let (InvalidMetadataAction::ReplaceMetadata(migrated), _) = migrate_or_discard(&Some(restored))
    else {
        panic!("not migrated");
    };
    assert_eq!(migrated, pip());
}

#[test]
fn pips_earlier_metadata_is_migrated_and_then_compared_as_usual() {
    let (InvalidMetadataAction::ReplaceMetadata(migrated), _) =
        migrate_or_discard(&Some(pip_metadata_v2()))
    else {
        panic!("not migrated");
    };
    assert_eq!(migrated, pip());
    // The same inputs reuse the environment; another package manager recreates it.
    assert_eq!(
        choose_action(
            &migrated,
            &pip(),
            &SettingsChange::Unchanged,
            &pip_policy(&[])
        ),
        VenvAction::Reuse
    );
    assert_eq!(
        choose_locked_action(&migrated, &metadata()),
        VenvAction::Recreate(vec!["the package manager changed (pip to uv)".to_string()])
    );
}

#[test]
fn pip_recreates_for_a_new_python_or_pip() {
    let mut new = VenvLayerMetadata {
        python_version: "3.13.6".to_string(),
        bytecode_level: BytecodeLevel::Optimized,
        tool_version: "26.4".to_string(),
        dependency_groups: vec!["dev".to_string()],
        ..pip()
    };
    new.files
        .insert("requirements.txt".to_string(), "d".repeat(64));
    assert_eq!(
        choose_action(&pip(), &new, &SettingsChange::Unchanged, &pip_policy(&[])),
        VenvAction::Recreate(vec![
            "the Python version changed (3.13.5 to 3.13.6)".to_string(),
            "the bytecode optimization level changed (0 to 1, from PYTHONOPTIMIZE)".to_string(),
            "the pip version changed (26.3 to 26.4)".to_string(),
        ])
    );
}

#[test]
fn pip_updates_in_place_for_changed_requirements_and_groups() {
    let mut new = VenvLayerMetadata {
        dependency_groups: vec!["dev".to_string()],
        ..pip()
    };
    new.files.insert("base.txt".to_string(), "b".repeat(64));
    new.files
        .insert("requirements.txt".to_string(), "d".repeat(64));
    assert_eq!(
        choose_action(&pip(), &new, &SettingsChange::Unchanged, &pip_policy(&[])),
        VenvAction::Update {
            reasons: vec![
                "the dependency groups changed (none to dev, from BP_PYTHON_DEPENDENCY_GROUPS)"
                    .to_string(),
                "base.txt and requirements.txt changed".to_string(),
            ],
            reinstall: Vec::new(),
        }
    );
    // A dropped group too: the buildpack removes its packages after pip.
    assert!(matches!(
        choose_action(&new, &pip(), &SettingsChange::Unchanged, &pip_policy(&[])),
        VenvAction::Update { .. }
    ));
    // Unless what is no longer needed cannot be told apart.
    let policy = Policy {
        not_updatable: Some("a requirement has no package name (https://x/p.tgz)".to_string()),
        ..pip_policy(&[])
    };
    assert_eq!(
        choose_action(&pip(), &new, &SettingsChange::Unchanged, &policy),
        VenvAction::Recreate(vec![
            "the dependency groups changed (none to dev, from BP_PYTHON_DEPENDENCY_GROUPS)"
                .to_string(),
            "base.txt and requirements.txt changed".to_string(),
            "a requirement has no package name (https://x/p.tgz)".to_string(),
        ])
    );
    assert_eq!(
        choose_action(&pip(), &pip(), &SettingsChange::Unchanged, &policy),
        VenvAction::Reuse
    );
}

#[test]
fn pip_recreates_for_changed_settings_and_unpinned_requirements() {
    assert_eq!(
        choose_action(
            &pip(),
            &pip(),
            &SettingsChange::Changed(vec!["PIP_INDEX_URL".to_string()]),
            &pip_policy(&["flask>=2".to_string()])
        ),
        VenvAction::Recreate(vec![
            "the settings of pip changed (PIP_INDEX_URL)".to_string()
        ])
    );
    assert_eq!(
        choose_action(
            &pip(),
            &pip(),
            &SettingsChange::Unchanged,
            &pip_policy(&["flask>=2".to_string()])
        ),
        VenvAction::Recreate(vec![
            "requirements are not all pinned (flask>=2)".to_string()
        ])
    );
}

#[test]
fn switching_the_installer_recreates_without_comparing_versions() {
    let with_uv = VenvLayerMetadata {
        installer: Some("uv".to_string()),
        tool_version: "0.13.9".to_string(),
        ..pip()
    };
    // Metadata without an installer is pip's (earlier versions).
    assert_eq!(
        choose_action(
            &pip(),
            &with_uv,
            &SettingsChange::Unchanged,
            &pip_policy(&[])
        ),
        VenvAction::Recreate(vec![
            "the installer changed (pip to uv, from BP_PYTHON_INSTALLER)".to_string()
        ])
    );
    let with_pip = VenvLayerMetadata {
        installer: Some("pip".to_string()),
        ..pip()
    };
    assert_eq!(
        choose_action(
            &pip(),
            &with_pip,
            &SettingsChange::Unchanged,
            &pip_policy(&[])
        ),
        VenvAction::Reuse
    );
    assert_eq!(
        choose_action(
            &with_uv,
            &with_uv,
            &SettingsChange::Changed(vec!["UV_INDEX".to_string()]),
            &pip_policy(&[])
        ),
        VenvAction::Recreate(vec!["the settings of uv changed (UV_INDEX)".to_string()])
    );
    let round_trip = crate::test_support::lifecycle_round_trip(&with_uv).unwrap();
    assert_eq!(round_trip, with_uv);
}

#[test]
fn unpinned_requirements_are_listed() {
    assert_eq!(not_reusable_reason(&[]), None);
    assert_eq!(
        not_reusable_reason(&["flask>=2".to_string(), "-e .".to_string()]).as_deref(),
        Some("requirements are not all pinned (flask>=2, -e .)")
    );
    let many: Vec<String> = (1..=7).map(|i| format!("p{i}")).collect();
    assert_eq!(
        not_reusable_reason(&many).as_deref(),
        Some("requirements are not all pinned (p1, p2, p3, p4, p5 and 2 more)")
    );
}
