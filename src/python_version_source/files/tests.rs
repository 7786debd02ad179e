use super::*;

#[test]
fn decodes_utf8_with_and_without_bom() {
    assert_eq!(
        decode_text(b"3.13\n"),
        Some(("3.13\n".to_string(), TextEncoding::Utf8))
    );
    assert_eq!(
        decode_text(b"\xef\xbb\xbf3.13\n"),
        Some(("3.13\n".to_string(), TextEncoding::Utf8))
    );
}

#[test]
fn decodes_utf16_with_bom() {
    let le: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain("3.13\r\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert_eq!(
        decode_text(&le),
        Some(("3.13\r\n".to_string(), TextEncoding::Utf16))
    );
    let be: Vec<u8> = [0xfe, 0xff]
        .into_iter()
        .chain("3.12".encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    assert_eq!(
        decode_text(&be),
        Some(("3.12".to_string(), TextEncoding::Utf16))
    );
}

#[test]
fn rejects_other_encodings() {
    // Latin-1, UTF-16 without a BOM, odd-length UTF-16, an unpaired surrogate.
    assert_eq!(decode_text(b"3.13 \xe9"), None);
    assert_eq!(decode_text(b"3\x00.\x001\x003\x00"), None);
    assert_eq!(decode_text(b"\xff\xfe3\x00."), None);
    assert_eq!(decode_text(b"\xff\xfe\x00\xd8"), None);
}

#[test]
fn recognizes_misspelled_version_files() {
    for name in [
        ".python_version",
        "python-version",
        "python_version",
        ".python-version.txt",
        ".python-versions",
        ".Python-Version",
        ".pythonversion",
        "python-version.txt",
    ] {
        assert_eq!(misspelling_of(name), Some(".python-version"), "{name}");
    }
    for name in [
        "runtime.text",
        "runtime.txt.txt",
        "Runtime.txt",
        "RUNTIME.TXT",
        ".runtime.txt",
        "runtimes.txt",
    ] {
        assert_eq!(misspelling_of(name), Some("runtime.txt"), "{name}");
    }
}

#[test]
fn ignores_right_and_unrelated_names() {
    for name in [
        ".python-version",
        "runtime.txt",
        "runtime",
        "runtime.py",
        "runtime.ts",
        "requirements.txt",
        "python",
        "version.txt",
        "pyproject.toml",
    ] {
        assert_eq!(misspelling_of(name), None, "{name}");
    }
}

#[test]
fn reads_the_pipfile_lock_version() {
    let lock =
        |requires: &str| format!(r#"{{"_meta": {{"requires": {requires}}}, "default": {{}}}}"#);
    let (request, key) = pipfile_lock_request(&lock(r#"{"python_version": "3.12"}"#))
        .unwrap()
        .unwrap();
    assert_eq!(
        (request.to_string(), key),
        ("3.12".to_string(), PipfileLockKey::PythonVersion)
    );
    let (request, key) = pipfile_lock_request(&lock(
        r#"{"python_version": "3.12", "python_full_version": "3.12.4"}"#,
    ))
    .unwrap()
    .unwrap();
    assert_eq!(
        (request.to_string(), key),
        ("3.12.4".to_string(), PipfileLockKey::PythonFullVersion)
    );
    assert_eq!(pipfile_lock_request(&lock("{}")).unwrap(), None);
    assert_eq!(pipfile_lock_request("{}").unwrap(), None);
    assert_eq!(
        pipfile_lock_request(&lock(r#"{"python_version": "3"}"#)),
        Err(PipfileLockError::InvalidVersion {
            key: PipfileLockKey::PythonVersion,
            value: "3".to_string()
        })
    );
    assert!(matches!(
        pipfile_lock_request("{not json"),
        Err(PipfileLockError::InvalidJson(_))
    ));
}

#[test]
fn reads_requires_python() {
    assert_eq!(
        requires_python("[project]\nname = \"app\"\nrequires-python = \" >=3.11,<3.13 \"\n")
            .unwrap(),
        Some(">=3.11,<3.13".to_string())
    );
    assert_eq!(
        requires_python("[project]\nname = \"app\"\n").unwrap(),
        None
    );
    assert_eq!(
        requires_python("[tool.poetry]\nname = \"app\"\n").unwrap(),
        None
    );
    assert_eq!(
        requires_python("[project]\nrequires-python = \"\"\n").unwrap(),
        None
    );
    assert_eq!(
        requires_python("[project]\nrequires-python = 3.11\n"),
        Err(PyprojectError::RequiresPythonNotAString("3.11".to_string()))
    );
    assert!(matches!(
        requires_python("[project\n"),
        Err(PyprojectError::InvalidToml(_))
    ));
}

#[test]
fn poetry_python_constraints_translate_to_pep440() {
    let cases = [
        ("^3.11", Some(">=3.11,<4.0")),
        ("~3.12", Some(">=3.12,<3.13")),
        ("~3.12.1", Some(">=3.12.1,<3.13")),
        ("3.11", Some("==3.11.*")),
        ("3.11.4", Some("==3.11.4")),
        ("3.11.*", Some("==3.11.*")),
        (">=3.10,<3.14", Some(">=3.10,<3.14")),
        (">=3.10 <3.14", Some(">=3.10,<3.14")),
        ("~=3.11", Some("~=3.11")),
        ("^3.8 || ^3.11", None),
        ("^three", None),
    ];
    for (poetry, expected) in cases {
        assert_eq!(
            super::poetry_constraint_to_pep440(poetry).as_deref(),
            expected,
            "{poetry}"
        );
    }
}

#[test]
fn poetry_python_is_read_from_tool_poetry_dependencies() {
    let pyproject = "[tool.poetry.dependencies]\npython = \"^3.11\"\nsix = \"*\"\n";
    assert_eq!(super::poetry_python(pyproject).as_deref(), Some("^3.11"));
    assert_eq!(
        super::poetry_python("[tool.poetry.dependencies]\npython = \"*\"\n"),
        None
    );
    assert_eq!(super::poetry_python("[project]\nname = \"x\"\n"), None);
}
