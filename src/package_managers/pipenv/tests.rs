use super::*;
use crate::package_managers::locked::test_support;

#[test]
fn the_plan_installs_the_lock_then_cleans_an_existing_environment() {
    let project = test_support::project(&[
        (
            "Pipfile.lock",
            r#"{"default": {"mylib": {"path": "./mylib"}}}"#,
        ),
        ("Pipfile", "[packages]\n"),
    ]);
    let plan = plan(&project, &[], &Env::new()).unwrap();
    assert_eq!(
        plan.files.keys().collect::<Vec<_>>(),
        ["Pipfile", "Pipfile.lock"]
    );
    assert_eq!(plan.deselected_groups, DeselectedGroups::KeptByTheTool);
    let (new, existing) = test_support::commands(&plan, &["mylib"]);
    assert_eq!(new, [vec!["install", "--deploy"]]);
    // A changed local package is uninstalled first, not named to Pipenv.
    assert_eq!(existing, [vec!["install", "--deploy"], vec!["clean"]]);
    assert_eq!(
        plan.commands.changed_local_packages,
        ChangedLocalPackages::UninstalledFirst
    );
}

#[test]
fn groups_are_pipfile_categories() {
    let groups = ["dev".to_string(), "docs".to_string()];
    let plan = plan(&test_support::project(&[]), &groups, &Env::new()).unwrap();
    assert_eq!(
        test_support::commands(&plan, &[]).0,
        vec![vec![
            "install",
            "--deploy",
            "--categories",
            "packages dev-packages docs"
        ]]
    );
}

#[test]
fn settings_are_pipenv_and_pip_variables_but_not_credentials() {
    assert!(is_setting("PIPENV_PYPI_MIRROR"));
    assert!(is_setting("PIP_NO_BINARY"));
    assert!(!is_setting("PIP_CERT"));
    assert!(!is_setting("PIPENV_CACHE_DIR"));
    assert!(!is_setting("PIP_DEFAULT_TIMEOUT"));
    assert!(!is_setting("PRIVATE_INDEX_TOKEN"));
}

#[test]
fn the_env_keeps_pipenv_in_the_virtual_environment() {
    let mut env = Env::new();
    env.insert("PIPENV_IGNORE_VIRTUALENVS", "1");
    env.insert("VIRTUAL_ENV", "/layers/venv");
    let plan = plan(&test_support::project(&[]), &[], &env).unwrap();
    let env = test_support::tool_env(&plan, &env);
    assert!(!env.contains_key("PIPENV_IGNORE_VIRTUALENVS"));
    assert_eq!(
        env.get_string_lossy("PIPENV_CACHE_DIR").as_deref(),
        Some("/layers/cache")
    );
    assert_eq!(
        env.get_string_lossy("VIRTUAL_ENV").as_deref(),
        Some("/layers/venv")
    );
}

#[test]
fn out_of_date_lock_even_when_wrapped() {
    let output = "Your Pipfile.lock \n(634f3bda76420f3f03bd5ea07f4d86be0037c1c122f505d4462ecce290d5a782) is out of \
                  \ndate. Expected: \n(535e595b).\n";
    assert_eq!(classify(output), LockedFailure::LockOutdated);
    let output =
        "Your Pipfile.lock (634f3b) is out of date. Expected: (535e59).\nERROR:: Aborting deploy\n";
    assert_eq!(classify(output), LockedFailure::LockOutdated);
}

#[test]
fn python_that_the_pipfile_does_not_allow() {
    let output = "Warning: Your Pipfile requires \"python_version\" 3.12, but you are using \
                  3.13.5 from /layers/heroku_python/venv/bin/python.\n";
    assert_eq!(
        classify(output),
        LockedFailure::PythonMismatch {
            detail: "Your Pipfile requires python_version 3.12, but you are using 3.13.5"
                .to_string()
        }
    );
}

#[test]
fn locked_version_that_is_gone() {
    let output = "\
ERROR: Could not find a version that satisfies the requirement six==1.17.99 (from versions: 1.16.0, 1.17.0)
ERROR: No matching distribution found for six==1.17.99
ERROR: Couldn't install package(s): six==1.17.99
Package installation failed...
";
    assert_eq!(
        classify(output),
        LockedFailure::Unavailable {
            packages: vec!["six==1.17.99".to_string()]
        }
    );
}

#[test]
fn hash_mismatch_names_the_package() {
    let output = "\
Collecting typing-extensions==4.12.2 (from -r /tmp/pipenv-reqs.txt (line 1))
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.
    typing-extensions==4.12.2 from https://files.pythonhosted.org/packages/26/9f/x/typing_extensions-4.12.2-py3-none-any.whl (from -r /tmp/pipenv-reqs.txt (line 1)):
        Expected sha256 04e5
             Got        04e6
";
    assert_eq!(
        classify(output),
        LockedFailure::HashMismatch {
            packages: vec!["typing-extensions==4.12.2".to_string()]
        }
    );
}

#[test]
fn anything_else() {
    assert_eq!(classify("Traceback\nKeyError: 'x'\n"), LockedFailure::Other);
}

#[test]
fn lock_hashes_are_those_of_the_default_packages() {
    let lock = r#"{
        "_meta": {"hash": {"sha256": "55f2"}},
        "default": {"Six": {"hashes": ["sha256:aa", "sha256:bb"], "version": "==1.17.0"}},
        "develop": {"typing-extensions": {"hashes": ["sha256:cc"], "version": "==4.12.2"}}
    }"#;
    let hashes = lock_hashes(lock);
    assert_eq!(
        hashes.get("six"),
        Some(&vec!["sha256:aa".to_string(), "sha256:bb".to_string()])
    );
    assert!(!hashes.contains_key("typing-extensions"));
    assert!(lock_hashes("{").is_empty());
}

#[test]
fn local_sources_are_read_from_the_lock() {
    let lock = r#"{
        "_meta": {},
        "default": {
            "mylib": {"path": "./mylib"},
            "editable-lib": {"editable": true, "path": "./editable-lib"},
            "vendored": {"file": "wheels/vendored-1.0-py3-none-any.whl"},
            "remote": {"file": "https://example.com/remote-1.0.tar.gz"},
            "six": {"hashes": ["sha256:00"], "version": "==1.17.0"}
        },
        "develop": {"devlib": {"path": "./devlib"}}
    }"#;
    let sources = local_sources(lock);
    let summary: Vec<(&str, &str, bool)> = sources
        .iter()
        .map(|s| (s.name.as_str(), s.path.as_str(), s.editable))
        .collect();
    assert_eq!(
        summary,
        [
            ("editable-lib", "./editable-lib", true),
            ("mylib", "./mylib", false),
            ("vendored", "wheels/vendored-1.0-py3-none-any.whl", false),
        ]
    );
}
