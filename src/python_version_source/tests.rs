use super::*;
use crate::layers::python::previous_build_request;
use crate::python_version::PythonVariant;

fn versions(versions: &[&str]) -> Vec<PythonVersion> {
    versions.iter().map(|v| v.parse().unwrap()).collect()
}

fn candidates() -> Vec<PythonVersion> {
    versions(&[
        "3.10.19", "3.11.2", "3.11.14", "3.12.13", "3.12.14", "3.13.15", "3.14.6", "3.14.7",
    ])
}

fn request(s: &str) -> PythonVersionRequest {
    s.parse().unwrap()
}

#[allow(clippy::unnecessary_wraps, reason = "fills an Option field")]
fn utf8(text: &str) -> Option<(String, TextEncoding)> {
    Some((text.to_string(), TextEncoding::Utf8))
}

fn chosen(inputs: &VersionInputs) -> (String, VersionSource) {
    let choice = requested_version(inputs, &candidates()).unwrap().unwrap();
    (choice.request.to_string(), choice.source)
}

#[allow(clippy::unnecessary_wraps, reason = "fills an Option field")]
fn pyproject(specifiers: &str) -> Option<String> {
    Some(format!(
        "[project]\nname = \"app\"\nrequires-python = \"{specifiers}\"\n"
    ))
}

#[test]
fn nothing_pinned_is_none() {
    assert_eq!(
        requested_version(&VersionInputs::default(), &candidates()).unwrap(),
        None
    );
}

#[test]
fn sources_in_priority_order() {
    let mut inputs = VersionInputs {
        previous_build: Some(request("3.10")),
        ..VersionInputs::default()
    };
    assert_eq!(
        chosen(&inputs),
        ("3.10".to_string(), VersionSource::PreviousBuild)
    );
    inputs.pyproject_toml = pyproject(">=3.11,<3.13");
    assert_eq!(
        chosen(&inputs),
        (
            "3.12".to_string(),
            VersionSource::RequiresPython(">=3.11,<3.13".to_string())
        )
    );
    inputs.pipfile_lock = Some(r#"{"_meta": {"requires": {"python_version": "3.11"}}}"#.into());
    assert_eq!(
        chosen(&inputs),
        (
            "3.11".to_string(),
            VersionSource::PipfileLock(PipfileLockKey::PythonVersion)
        )
    );
    inputs.runtime_txt = utf8("python-3.11.2\n");
    assert_eq!(
        chosen(&inputs),
        ("3.11.2".to_string(), VersionSource::RuntimeTxt)
    );
    inputs.python_version_file = utf8("3.13\n");
    assert_eq!(
        chosen(&inputs),
        ("3.13".to_string(), VersionSource::PythonVersionFile)
    );
    inputs.env = Some(request("3.14t"));
    assert_eq!(chosen(&inputs), ("3.14t".to_string(), VersionSource::Env));
}

#[test]
fn notices_say_what_was_overridden_or_deprecated() {
    let mut inputs = VersionInputs {
        runtime_txt: utf8("python-3.12"),
        ..VersionInputs::default()
    };
    let notices = |inputs: &VersionInputs| {
        requested_version(inputs, &candidates())
            .unwrap()
            .unwrap()
            .notices
    };
    assert_eq!(notices(&inputs), vec![VersionNotice::RuntimeTxtDeprecated]);
    inputs.python_version_file = Some(("3.13".to_string(), TextEncoding::Utf16));
    assert_eq!(
        notices(&inputs),
        vec![
            VersionNotice::Utf16 {
                file: ".python-version"
            },
            VersionNotice::Overridden {
                file: "runtime.txt"
            }
        ]
    );
    inputs.env = Some(request("3.12"));
    assert_eq!(
        notices(&inputs),
        vec![
            VersionNotice::Overridden {
                file: ".python-version"
            },
            VersionNotice::Overridden {
                file: "runtime.txt"
            }
        ]
    );
    let previous = VersionInputs {
        previous_build: Some(request("3.11")),
        ..VersionInputs::default()
    };
    assert_eq!(notices(&previous), vec![VersionNotice::PreviousBuildKept]);
}

#[test]
fn misspelled_files_are_errors_unless_overridden() {
    let mut inputs = VersionInputs {
        misspelled: vec![(".python_version".to_string(), ".python-version")],
        runtime_txt: utf8("python-3.12"),
        ..VersionInputs::default()
    };
    assert!(matches!(
        requested_version(&inputs, &candidates()),
        Err(VersionSourceError::MisspelledFile { ref found, expected: ".python-version" })
            if found == ".python_version"
    ));
    inputs.python_version_file = utf8("3.13");
    let choice = requested_version(&inputs, &candidates()).unwrap().unwrap();
    assert_eq!(choice.request.to_string(), "3.13");
    assert!(choice.notices.contains(&VersionNotice::MisspelledIgnored {
        found: ".python_version".to_string(),
        expected: ".python-version"
    }));

    let runtime = VersionInputs {
        misspelled: vec![("runtime.text".to_string(), "runtime.txt")],
        pyproject_toml: pyproject(">=3.11"),
        ..VersionInputs::default()
    };
    assert!(matches!(
        requested_version(&runtime, &candidates()),
        Err(VersionSourceError::MisspelledFile {
            expected: "runtime.txt",
            ..
        })
    ));
}

#[test]
fn version_file_errors_are_reported() {
    let inputs = VersionInputs {
        python_version_file: utf8("3.13\n3.12\n"),
        ..VersionInputs::default()
    };
    assert!(matches!(
        requested_version(&inputs, &candidates()),
        Err(VersionSourceError::PythonVersionFile(
            PythonVersionFileError::MultipleVersions(_)
        ))
    ));
    let inputs = VersionInputs {
        runtime_txt: utf8("3.13"),
        ..VersionInputs::default()
    };
    assert!(matches!(
        requested_version(&inputs, &candidates()),
        Err(VersionSourceError::RuntimeTxt(
            RuntimeTxtError::InvalidVersion(_)
        ))
    ));
}

#[test]
fn requires_python_picks_the_newest_allowed_version() {
    let pick = |specifiers: &str| {
        let inputs = VersionInputs {
            pyproject_toml: pyproject(specifiers),
            ..VersionInputs::default()
        };
        requested_version(&inputs, &candidates()).map(|choice| choice.unwrap().request.to_string())
    };
    assert_eq!(pick(">=3.10").unwrap(), "3.14");
    assert_eq!(pick(">=3.11,<3.13").unwrap(), "3.12");
    assert_eq!(pick("~=3.11.0").unwrap(), "3.11");
    assert_eq!(pick("==3.13.*").unwrap(), "3.13");
    assert_eq!(pick(">=3.11,!=3.14.*").unwrap(), "3.13");
    // The newest allowed is not the newest of its minor: ask for it exactly.
    assert_eq!(pick("<3.12.14").unwrap(), "3.12.13");
    assert_eq!(pick("==3.11.2").unwrap(), "3.11.2");
    assert!(matches!(
        pick("<3.10"),
        Err(VersionSourceError::NoVersionSatisfies { ref available, .. })
            if available[0] == (3, 14) && available.len() == 5
    ));
    assert!(matches!(
        pick("^3.11"),
        Err(VersionSourceError::InvalidRequiresPython { .. })
    ));
}

#[test]
fn requires_python_is_checked_against_other_sources() {
    let inputs = VersionInputs {
        python_version_file: utf8("3.12"),
        pyproject_toml: pyproject(">=3.13"),
        ..VersionInputs::default()
    };
    let choice = requested_version(&inputs, &candidates()).unwrap().unwrap();
    let (text, specifiers) = choice.requires_python.unwrap();
    assert_eq!(text, ">=3.13");
    assert!(!specifiers.contains(&"3.12.14".parse().unwrap()));
}

#[test]
fn broken_hint_files_are_errors_only_when_consulted() {
    let broken = VersionInputs {
        pyproject_toml: Some("[project\n".to_string()),
        ..VersionInputs::default()
    };
    assert!(matches!(
        requested_version(&broken, &candidates()),
        Err(VersionSourceError::Pyproject(PyprojectError::InvalidToml(
            _
        )))
    ));
    let overridden = VersionInputs {
        python_version_file: utf8("3.13"),
        ..broken
    };
    assert!(requested_version(&overridden, &candidates()).is_ok());
}

#[test]
fn reads_inputs_from_the_app_and_the_previous_layer() {
    let app = tempfile::tempdir().unwrap();
    let layers = tempfile::tempdir().unwrap();
    let inputs = read_inputs(
        &Project::read(app.path()).unwrap(),
        None,
        previous_build_request(layers.path()),
    )
    .unwrap();
    assert!(inputs.python_version_file.is_none() && inputs.previous_build.is_none());

    std::fs::write(app.path().join(".python-version"), "3.13\n").unwrap();
    std::fs::write(app.path().join("Runtime.txt"), "python-3.12\n").unwrap();
    std::fs::create_dir(app.path().join("python-version")).unwrap();
    std::fs::write(
        layers.path().join("python.toml"),
        "[metadata]\npython_version = \"3.11.2\"\nvariant = \"default\"\n",
    )
    .unwrap();
    let inputs = read_inputs(
        &Project::read(app.path()).unwrap(),
        Some(request("3.12")),
        previous_build_request(layers.path()),
    )
    .unwrap();
    assert_eq!(inputs.python_version_file, utf8("3.13\n"));
    // Folders are not misspelled files.
    assert_eq!(
        inputs.misspelled,
        vec![("Runtime.txt".to_string(), "runtime.txt")]
    );
    assert_eq!(
        inputs.previous_build,
        Some(PythonVersionRequest {
            major: 3,
            minor: 11,
            patch: None,
            variant: PythonVariant::Default
        })
    );
}

#[test]
fn undecodable_version_file_is_an_error() {
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join(".python-version"), [0x33, 0x2e, 0xff]).unwrap();
    assert!(matches!(
        read_inputs(
            &Project::read(app.path()).unwrap(),
            None,
            previous_build_request(app.path())
        ),
        Err(VersionSourceError::NotUtf8 {
            file: ".python-version"
        })
    ));
    // UTF-16 with a BOM, as PowerShell writes it, is decoded.
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain("3.13\r\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(app.path().join(".python-version"), utf16).unwrap();
    let inputs = read_inputs(
        &Project::read(app.path()).unwrap(),
        None,
        previous_build_request(app.path()),
    )
    .unwrap();
    assert_eq!(
        inputs.python_version_file,
        Some(("3.13\r\n".to_string(), TextEncoding::Utf16))
    );
}
