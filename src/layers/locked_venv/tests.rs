use super::*;

fn metadata() -> LockedVenvMetadata {
    LockedVenvMetadata {
        layer_format: LAYER_FORMAT,
        package_manager: "uv".to_string(),
        tool_version: "0.13.9".to_string(),
        python_version: "3.13.5".to_string(),
        bytecode_level: 0,
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
fn a_group_change_updates_in_place_except_pipenv_losing_one() {
    let mut with_dev = metadata();
    with_dev.dependency_groups = vec!["dev".to_string()];
    let reason = "the dependency groups changed (none to dev, from BP_PYTHON_DEPENDENCY_GROUPS)";
    assert_eq!(
        decide(
            &metadata(),
            &with_dev,
            &SettingsChange::Unchanged,
            DeselectedGroups::RemovedInPlace
        ),
        VenvAction::Update {
            reasons: vec![reason.to_string()],
            reinstall: Vec::new()
        }
    );
    assert!(matches!(
        decide(
            &with_dev,
            &metadata(),
            &SettingsChange::Unchanged,
            DeselectedGroups::RemovedInPlace
        ),
        VenvAction::Update { .. }
    ));
    let pipenv = |groups: &[&str]| LockedVenvMetadata {
        package_manager: "Pipenv".to_string(),
        dependency_groups: groups.iter().map(ToString::to_string).collect(),
        ..metadata()
    };
    assert!(matches!(
        decide(
            &pipenv(&[]),
            &pipenv(&["dev"]),
            &SettingsChange::Unchanged,
            DeselectedGroups::KeptByTheTool
        ),
        VenvAction::Update { .. }
    ));
    assert_eq!(
        decide(
            &pipenv(&["dev"]),
            &pipenv(&[]),
            &SettingsChange::Unchanged,
            DeselectedGroups::KeptByTheTool
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
        decide(
            &metadata(),
            &metadata(),
            &SettingsChange::Unchanged,
            DeselectedGroups::RemovedInPlace
        ),
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
        decide(
            &metadata(),
            &new,
            &SettingsChange::Unchanged,
            DeselectedGroups::RemovedInPlace
        ),
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
        decide(
            &metadata(),
            &new,
            &SettingsChange::Changed(vec!["UV_EXTRA_INDEX_URL".to_string()]),
            DeselectedGroups::RemovedInPlace,
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
        decide(
            &metadata(),
            &new,
            &SettingsChange::Unchanged,
            DeselectedGroups::RemovedInPlace
        ),
        VenvAction::Update {
            reasons: vec!["the local package mylib changed".to_string()],
            reinstall: vec!["mylib".to_string()]
        }
    );
}

#[test]
fn python_tool_or_distro_changes_recreate() {
    let mut new = LockedVenvMetadata {
        python_version: "3.11.2".to_string(),
        tool_version: "0.14.0".to_string(),
        ..metadata()
    };
    // Together with a lock change: recreating covers it.
    new.files.insert("uv.lock".to_string(), "d".repeat(64));
    assert_eq!(
        decide(
            &metadata(),
            &new,
            &SettingsChange::Unchanged,
            DeselectedGroups::RemovedInPlace
        ),
        VenvAction::Recreate(vec![
            "the Python version changed (3.13.5 to 3.11.2)".to_string(),
            "the uv version changed (0.13.9 to 0.14.0)".to_string(),
        ])
    );
    let new = LockedVenvMetadata {
        distro_version: "22.04".to_string(),
        ..metadata()
    };
    assert_eq!(
        decide(
            &metadata(),
            &new,
            &SettingsChange::Unchanged,
            DeselectedGroups::RemovedInPlace
        ),
        VenvAction::Recreate(vec![
            "the base image changed (ubuntu 24.04 to ubuntu 22.04)".to_string()
        ])
    );
}

#[test]
fn another_package_manager_recreates() {
    let new = LockedVenvMetadata {
        package_manager: "Poetry".to_string(),
        tool_version: "2.5.1".to_string(),
        files: BTreeMap::from([("poetry.lock".to_string(), "d".repeat(64))]),
        ..metadata()
    };
    assert_eq!(
        decide(
            &metadata(),
            &new,
            &SettingsChange::Unchanged,
            DeselectedGroups::RemovedInPlace
        ),
        VenvAction::Recreate(vec![
            "the package manager changed (uv to Poetry)".to_string()
        ])
    );
    let pips: GenericMetadata = Some(toml::toml! { pip_version = "26.3" });
    assert_eq!(
        invalid_metadata_reason(&pips, "uv"),
        "the package manager changed (pip to uv)"
    );
    assert_eq!(
        invalid_metadata_reason(&None, "uv"),
        "it is from an unknown or incomplete build"
    );
    let interrupted: GenericMetadata = Some(toml::toml! { update_in_progress = true });
    assert_eq!(
        invalid_metadata_reason(&interrupted, "uv"),
        "an earlier build stopped while updating it"
    );
}
