use super::*;

/// A tool as a package manager's declaration describes one.
const POETRY: Tool = Tool {
    name: "Poetry",
    command: "poetry",
    requirements: "poetry==2.5.1 \\\n    --hash=sha256:00\n",
    own_venv: true,
};

#[test]
fn the_tools_facts_come_from_its_declaration() {
    assert_eq!(POETRY.to_string(), "Poetry");
    assert_eq!(POETRY.version(), "2.5.1");
    assert_eq!(POETRY.layer_name().to_string(), "poetry");
}

#[test]
fn pinned_version_reads_the_tools_own_line() {
    let requirements = "# c\npoetry-core==2.5.0 \\\n    --hash=sha256:00\npoetry==2.5.1 \\\n";
    assert_eq!(pinned_version(requirements, "poetry"), Some("2.5.1"));
    assert_eq!(
        pinned_version("uv==0.13.9 ; python_version >= '3.8'", "uv"),
        Some("0.13.9")
    );
    assert_eq!(pinned_version("uv>=0.13", "uv"), None);
}

fn metadata() -> ToolLayerMetadata {
    ToolLayerMetadata {
        layer_format: LAYER_FORMAT,
        tool_version: "2.5.1".to_string(),
        requirements_sha256: "a".repeat(64),
        python_version: "3.13.5".to_string(),
    }
}

#[test]
fn metadata_survives_the_lifecycles_restore() {
    let restored = crate::test_support::lifecycle_round_trip(&metadata()).unwrap();
    assert_eq!(restored, metadata());
}

#[test]
fn reasons_name_what_changed() {
    assert_eq!(
        reasons_to_discard(POETRY, &metadata(), &metadata()),
        [""; 0]
    );
    let new = ToolLayerMetadata {
        tool_version: "2.6.0".to_string(),
        requirements_sha256: "b".repeat(64),
        python_version: "3.11.2".to_string(),
        ..metadata()
    };
    assert_eq!(
        reasons_to_discard(POETRY, &metadata(), &new),
        vec![
            "the Poetry version changed (2.5.1 to 2.6.0)",
            "the Python version changed (3.13.5 to 3.11.2)"
        ]
    );
    let repinned = ToolLayerMetadata {
        requirements_sha256: "b".repeat(64),
        ..metadata()
    };
    assert_eq!(
        reasons_to_discard(POETRY, &metadata(), &repinned),
        vec!["the pinned dependencies of Poetry changed"]
    );
}

#[test]
fn uv_gets_only_path_home_and_proxies_of_the_build_env() {
    let mut env = Env::new();
    for (name, value) in [
        ("PATH", "/bin"),
        ("https_proxy", "http://proxy:3128"),
        ("UV_INDEX_URL", "https://u:p@i/simple"),
        ("PIP_TARGET", "/t"),
    ] {
        env.insert(name, value);
    }
    let uv_env = uv_env(&env);
    assert_eq!(uv_env.get_string_lossy("PATH").as_deref(), Some("/bin"));
    assert!(uv_env.contains_key("https_proxy"));
    assert!(!uv_env.contains_key("UV_INDEX_URL"));
    assert!(!uv_env.contains_key("PIP_TARGET"));
    assert_eq!(
        uv_env.get_string_lossy("UV_PYTHON_DOWNLOADS").as_deref(),
        Some("never")
    );
}
