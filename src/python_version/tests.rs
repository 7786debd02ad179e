use super::*;

fn version(s: &str) -> PythonVersion {
    s.parse().unwrap()
}

fn request(s: &str) -> PythonVersionRequest {
    s.parse().unwrap()
}

#[test]
fn parses_and_displays_versions() {
    for s in [
        "3.13.5",
        "3.9.0",
        "3.15.0rc1",
        "3.14.0a3",
        "3.14.0b4",
        "3.14.5rc1",
    ] {
        assert_eq!(version(s).to_string(), s);
    }
    assert_eq!(
        version("3.13.5"),
        PythonVersion {
            major: 3,
            minor: 13,
            patch: 5,
            pre: None
        }
    );
    assert_eq!(
        version("3.15.0rc1").pre,
        Some(PreRelease {
            kind: PreReleaseKind::ReleaseCandidate,
            number: 1
        })
    );
    assert!(version("3.13.5").is_stable());
    assert!(!version("3.15.0b2").is_stable());
    assert_eq!(version("3.13.5").minor_version(), (3, 13));
}

#[test]
fn rejects_invalid_versions() {
    assert_eq!(
        "".parse::<PythonVersion>(),
        Err(ParsePythonVersionError::Empty)
    );
    for s in [
        "3.13",
        "3.13.5.1",
        "3.13.x",
        "3..5",
        "+3.13.5",
        "3.13.5rc",
        "3.13.5c1",
        "3.13.5t",
        " 3.13.5",
        "3.13.-1",
        "3.13.70000",
        "3.13.5rc1b2",
    ] {
        assert_eq!(
            s.parse::<PythonVersion>(),
            Err(ParsePythonVersionError::Invalid(s.to_string())),
            "{s}"
        );
    }
}

#[test]
fn orders_versions_numerically_with_pre_releases_first() {
    let mut versions: Vec<PythonVersion> = [
        "3.15.0",
        "3.9.25",
        "3.15.0rc1",
        "3.10.0",
        "3.15.0a8",
        "3.15.0b1",
        "3.15.0a10",
        "3.14.7",
    ]
    .into_iter()
    .map(version)
    .collect();
    versions.sort();
    let sorted: Vec<String> = versions.iter().map(ToString::to_string).collect();
    assert_eq!(
        sorted,
        [
            "3.9.25",
            "3.10.0",
            "3.14.7",
            "3.15.0a8",
            "3.15.0a10",
            "3.15.0b1",
            "3.15.0rc1",
            "3.15.0"
        ]
    );
}

#[test]
fn versions_serialize_as_strings() {
    let json = serde_json::to_string(&version("3.15.0rc1")).unwrap();
    assert_eq!(json, r#""3.15.0rc1""#);
    assert_eq!(
        serde_json::from_str::<PythonVersion>(&json).unwrap(),
        version("3.15.0rc1")
    );
    assert!(serde_json::from_str::<PythonVersion>(r#""3.13""#).is_err());
    assert_eq!(
        serde_json::to_string(&PythonVariant::Freethreaded).unwrap(),
        r#""freethreaded""#
    );
    assert_eq!(
        serde_json::from_str::<PythonVariant>(r#""default""#).unwrap(),
        PythonVariant::Default
    );
}

#[test]
fn parses_and_displays_requests() {
    assert_eq!(
        request("3.13"),
        PythonVersionRequest {
            major: 3,
            minor: 13,
            patch: None,
            variant: PythonVariant::Default
        }
    );
    assert_eq!(
        request(" 3.13.5t\n"),
        PythonVersionRequest {
            major: 3,
            minor: 13,
            patch: Some(5),
            variant: PythonVariant::Freethreaded
        }
    );
    for s in ["3.13", "3.13.5", "3.14t", "3.13.5t", "3.9.0"] {
        assert_eq!(request(s).to_string(), s);
    }
    assert_eq!(request("3.09").to_string(), "3.9");
}

#[test]
fn rejects_invalid_requests() {
    use ParsePythonVersionError::{Empty, Invalid, MissingMinor, PreRelease};
    let parse = |s: &str| s.parse::<PythonVersionRequest>();
    assert_eq!(parse(""), Err(Empty));
    assert_eq!(parse("  \n"), Err(Empty));
    assert_eq!(parse("3"), Err(MissingMinor("3".into())));
    assert_eq!(parse("3t"), Err(MissingMinor("3t".into())));
    assert_eq!(parse("3.15.0rc1"), Err(PreRelease("3.15.0rc1".into())));
    assert_eq!(parse("3.15.0rc1t"), Err(PreRelease("3.15.0rc1t".into())));
    for s in [
        "t",
        "3.",
        ".13",
        "3.13.",
        "3.13.5.1",
        "3.13tt",
        "3.13T",
        "python-3.13",
        "system",
        "pypy3.10",
        "3.13-dev",
        "3.x",
        "+3.13",
        "3.13 3.12",
        "3.13.5/envs/app",
        "latest",
    ] {
        assert_eq!(parse(s), Err(Invalid(s.to_string())), "{s}");
    }
}

#[test]
fn request_matches_stable_versions_of_its_variant() {
    let default = PythonVariant::Default;
    let freethreaded = PythonVariant::Freethreaded;
    assert!(request("3.13").matches(&version("3.13.5"), default));
    assert!(request("3.13").matches(&version("3.13.0"), default));
    assert!(!request("3.13").matches(&version("3.13.5"), freethreaded));
    assert!(!request("3.13").matches(&version("3.12.5"), default));
    assert!(!request("3.13").matches(&version("4.13.5"), default));
    assert!(!request("3.13").matches(&version("3.13.0rc3"), default));
    assert!(request("3.13.5").matches(&version("3.13.5"), default));
    assert!(!request("3.13.5").matches(&version("3.13.6"), default));
    assert!(!request("3.14.5").matches(&version("3.14.5rc1"), default));
    assert!(request("3.14t").matches(&version("3.14.7"), freethreaded));
    assert!(!request("3.14t").matches(&version("3.14.7"), default));
}

#[test]
fn parses_python_version_files() {
    assert_eq!(parse_python_version_file("3.13\n"), Ok(request("3.13")));
    assert_eq!(
        parse_python_version_file("\u{feff}# pinned for prod\n\n  3.13.5t  # free-threaded\r\n\n"),
        Ok(request("3.13.5t"))
    );
    assert_eq!(parse_python_version_file("3.12"), Ok(request("3.12")));
}

#[test]
fn rejects_bad_python_version_files() {
    use PythonVersionFileError::{Empty, InvalidVersion, MultipleVersions};
    assert_eq!(parse_python_version_file(""), Err(Empty));
    assert_eq!(
        parse_python_version_file("\u{feff}\n  \n# 3.13\n"),
        Err(Empty)
    );
    assert_eq!(
        parse_python_version_file("3.13\n3.12\n"),
        Err(MultipleVersions(vec!["3.13".into(), "3.12".into()]))
    );
    assert_eq!(
        parse_python_version_file("3.13 3.12"),
        Err(MultipleVersions(vec!["3.13".into(), "3.12".into()]))
    );
    assert_eq!(
        parse_python_version_file("python-3.13\n"),
        Err(InvalidVersion("python-3.13".into()))
    );
    assert_eq!(
        parse_python_version_file("3\n"),
        Err(InvalidVersion("3".into()))
    );
}

#[test]
fn parses_runtime_txt() {
    assert_eq!(parse_runtime_txt("python-3.13.5\n"), Ok(request("3.13.5")));
    assert_eq!(
        parse_runtime_txt("\u{feff} python-3.12 "),
        Ok(request("3.12"))
    );
    assert_eq!(parse_runtime_txt("\n"), Err(RuntimeTxtError::Empty));
    for contents in [
        "3.13.5",
        "python3.13",
        "python-",
        "python-3",
        "python-3.15.0rc1",
    ] {
        assert_eq!(
            parse_runtime_txt(contents),
            Err(RuntimeTxtError::InvalidVersion(contents.to_string()))
        );
    }
}
