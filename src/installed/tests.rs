use super::*;

fn env() -> MarkerEnvironment {
    parse_marker_environment(
        r##"{"implementation_name": "cpython", "implementation_version": "3.13.5",
            "os_name": "posix", "platform_machine": "x86_64",
            "platform_python_implementation": "CPython", "platform_release": "6.1.0",
            "platform_system": "Linux", "platform_version": "#1 SMP",
            "python_full_version": "3.13.5", "python_version": "3.13", "sys_platform": "linux"}"##,
    )
    .unwrap()
}

fn dist(name: &str, version: &str, requires: &[&str]) -> Distribution {
    Distribution {
        name: name.to_string(),
        version: version.to_string(),
        license: None,
        requires: requires.iter().map(ToString::to_string).collect(),
    }
}

fn requirements(lines: &[&str]) -> Vec<Requirement<pep508_rs::VerbatimUrl>> {
    parse_requirements(&lines.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap()
}

/// requests with its dependencies, one of them only for an extra, one for old Pythons.
fn requests_set(extra: &[Distribution]) -> InstalledSet {
    let mut distributions = vec![
        dist(
            "requests",
            "2.32.3",
            &[
                "charset-normalizer<4,>=2",
                "idna<4,>=2.5",
                "urllib3<3,>=1.21.1",
                "PySocks!=1.5.7,>=1.5.6; extra == \"socks\"",
                "importlib-metadata; python_version < \"3.8\"",
            ],
        ),
        dist("charset_normalizer", "3.4.0", &[]),
        dist("idna", "3.10", &[]),
        dist("urllib3", "2.2.3", &["brotli>=1.0.9; extra == \"brotli\""]),
    ];
    distributions.extend(extra.iter().cloned());
    InstalledSet::new(distributions)
}

#[test]
fn a_consistent_set_has_no_conflicts() {
    assert_eq!(conflicts(&requests_set(&[]), &env()), []);
}

#[test]
fn missing_and_disallowed_versions_are_conflicts() {
    let set = InstalledSet::new([
        dist(
            "Flask",
            "3.0.0",
            &["Werkzeug>=3.0.0", "click>=8.1.3", "blinker>=1.6.2"],
        ),
        dist("Werkzeug", "2.0.0", &[]),
        dist("click", "8.1.7", &[]),
    ]);
    assert_eq!(
        conflicts(&set, &env()),
        [
            Conflict {
                package: "Flask".to_string(),
                version: "3.0.0".to_string(),
                requirement: "werkzeug>=3.0.0".to_string(),
                installed: Some("2.0.0".to_string()),
            },
            Conflict {
                package: "Flask".to_string(),
                version: "3.0.0".to_string(),
                requirement: "blinker>=1.6.2".to_string(),
                installed: None,
            },
        ]
    );
}

#[test]
fn versions_that_are_not_pep_440_are_not_conflicts() {
    let set = InstalledSet::new([
        dist("app", "1.0", &["legacy>=2", "Prerelease>=1.0"]),
        dist("legacy", "2.0-custom_build", &[]),
        dist("prerelease", "1.1rc1", &[]),
    ]);
    assert_eq!(conflicts(&set, &env()), []);
}

#[test]
fn requirements_of_extras_and_other_pythons_are_not_checked() {
    // PySocks (extra) and importlib-metadata (Python < 3.8) are not installed: not conflicts.
    let set = requests_set(&[]);
    assert_eq!(conflicts(&set, &env()), []);
}

#[test]
fn nothing_is_extraneous_after_a_clean_install() {
    let set = requests_set(&[]);
    assert_eq!(
        extraneous(&set, &requirements(&["requests==2.32.3"]), &env()),
        [""; 0]
    );
}

#[test]
fn what_no_requirement_needs_any_more_is_extraneous() {
    // six was a requirement; typing-extensions came with a package that is gone.
    let set = requests_set(&[
        dist("six", "1.16.0", &[]),
        dist("typing_extensions", "4.12.2", &[]),
    ]);
    assert_eq!(
        extraneous(&set, &requirements(&["requests==2.32.3"]), &env()),
        ["six", "typing_extensions"]
    );
}

#[test]
fn extras_asked_for_keep_their_requirements() {
    let set = requests_set(&[dist("PySocks", "1.7.1", &[]), dist("Brotli", "1.1.0", &[])]);
    assert_eq!(
        extraneous(&set, &requirements(&["requests[socks]==2.32.3"]), &env()),
        ["Brotli"]
    );
    // An extra of a dependency, asked for by another requirement.
    assert_eq!(
        extraneous(
            &set,
            &requirements(&["requests[socks]==2.32.3", "urllib3[brotli]"]),
            &env()
        ),
        [""; 0]
    );
}

#[test]
fn requirements_whose_markers_are_false_are_not_needed() {
    let set = requests_set(&[dist("six", "1.16.0", &[])]);
    assert_eq!(
        extraneous(
            &set,
            &requirements(&["requests==2.32.3", "six==1.16.0; python_version < \"3\""]),
            &env()
        ),
        ["six"]
    );
}

#[test]
fn names_are_compared_normalized() {
    let set = InstalledSet::new([
        dist("Zope.Interface", "7.0", &["setuptools"]),
        dist("setuptools", "75.0", &[]),
    ]);
    assert_eq!(
        extraneous(&set, &requirements(&["zope-interface==7.0"]), &env()),
        [""; 0]
    );
}

#[test]
fn a_requirement_without_a_name_cannot_be_followed() {
    assert_eq!(
        parse_requirements(&["https://example.com/pkg-1.0.tar.gz".to_string()]),
        Err(Unnamed("https://example.com/pkg-1.0.tar.gz".to_string()))
    );
    assert!(parse_requirements(&["pkg @ https://example.com/pkg-1.0.tar.gz".to_string()]).is_ok());
}

#[test]
fn the_marker_environment_is_what_python_says() {
    let env = env();
    let requirement =
        &requirements(&["a; platform_machine == 'x86_64' and python_version >= '3.13'"])[0];
    assert!(requirement.marker.evaluate(&env, &[]));
    assert!(parse_marker_environment("not json").is_err());
}
