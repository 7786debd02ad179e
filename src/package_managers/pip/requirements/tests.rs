use super::lines::{Item, Requirement, expand_variables, logical_lines};
use super::specifier::classify_requirement;
use super::*;
use crate::package_name::normalize_name;
use std::collections::HashMap;

fn no_env(_: &str) -> Option<String> {
    None
}

fn kind(requirement: &str) -> RequirementKind {
    classify_requirement(requirement, false)
}

fn named(name: &str, pinned: bool) -> RequirementKind {
    RequirementKind::Named {
        name: name.to_string(),
        pinned,
    }
}

/// Scans an app made of `files` (path relative to /app → contents).
fn scan_files(
    files: &[(&str, &str)],
    env: &[(&str, &str)],
) -> Result<RequirementsScan, RequirementsFileError> {
    let files: HashMap<PathBuf, Vec<u8>> = files
        .iter()
        .map(|(path, text)| (Path::new("/app").join(path), text.as_bytes().to_vec()))
        .collect();
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    let lookup = |name: &str| env.get(name).cloned();
    scan(
        Path::new("/app"),
        env.get("PIP_CONSTRAINT").map(String::as_str),
        &lookup,
        &mut |path: &Path| {
            files
                .get(path)
                .cloned()
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
        },
    )
}

#[test]
fn pinned_requirements() {
    assert_eq!(kind("six==1.16.0"), named("six", true));
    assert_eq!(
        kind("Typing_Extensions == 4.12.2"),
        named("typing-extensions", true)
    );
    assert_eq!(
        kind("requests[socks,security]==2.32.3"),
        named("requests", true)
    );
    assert_eq!(kind("legacy===1.0-custom"), named("legacy", true));
    assert_eq!(kind("old (==1.0)"), named("old", true));
    assert_eq!(
        kind("tomli==2.0.1; python_version < \"3.11\""),
        named("tomli", true)
    );
}

#[test]
fn unpinned_requirements() {
    assert_eq!(kind("flask"), named("flask", false));
    assert_eq!(kind("flask>=2"), named("flask", false));
    assert_eq!(kind("flask~=3.0"), named("flask", false));
    assert_eq!(kind("flask==3.*"), named("flask", false));
    assert_eq!(kind("flask!=3.0.0"), named("flask", false));
    assert_eq!(kind("flask[async]"), named("flask", false));
}

#[test]
fn urls_paths_and_vcs() {
    let wheel = "https://files.example/pkg-1.0-py3-none-any.whl";
    assert_eq!(kind(wheel), RequirementKind::DirectUrl { hashed: false });
    assert_eq!(
        classify_requirement(wheel, true),
        RequirementKind::DirectUrl { hashed: true }
    );
    assert_eq!(
        kind(&format!(
            "pkg @ {wheel}#sha256=abc ; python_version > \"3\""
        )),
        RequirementKind::DirectUrl { hashed: true }
    );
    assert_eq!(
        kind("pkg@git+https://github.com/o/r@v1"),
        RequirementKind::Vcs
    );
    assert_eq!(
        kind("git+ssh://git@github.com/o/r.git#egg=r"),
        RequirementKind::Vcs
    );
    assert_eq!(kind("."), RequirementKind::LocalPath);
    assert_eq!(kind("./packages/mypkg"), RequirementKind::LocalPath);
    assert_eq!(
        kind("wheels/pkg-1.0-py3-none-any.whl"),
        RequirementKind::LocalPath
    );
    assert_eq!(kind("pkg-1.0.tar.gz"), RequirementKind::LocalPath);
    assert_eq!(kind("pkg @ file:///src/pkg"), RequirementKind::LocalPath);
}

#[test]
fn lines_are_joined_and_comments_removed() {
    let text = "# header\nsix==1.16.0  # pinned\n\nflask \\\n  >=2\nurl#frag\n  # indented comment \\\nlast\n";
    assert_eq!(
        logical_lines(text),
        vec![
            (2, "six==1.16.0".to_string()),
            (4, "flask   >=2".to_string()),
            (6, "url#frag".to_string()),
            (8, "last".to_string()),
        ]
    );
}

#[test]
fn options_and_includes_are_parsed() {
    let text = "-r base.txt\n--constraint=constraints.txt\n-rother.txt\n-e .\n--editable ./lib\n\
                -f ./wheels\n--index-url https://u:p@idx.example/simple\npkg==1 --hash=sha256:ab\n";
    let items: Vec<Item> = parse(text, &no_env, &mut BTreeMap::new())
        .into_iter()
        .map(|(_, item)| item)
        .collect();
    assert_eq!(
        items,
        vec![
            Item::Include {
                constraint: false,
                target: "base.txt".to_string()
            },
            Item::Include {
                constraint: true,
                target: "constraints.txt".to_string()
            },
            Item::Include {
                constraint: false,
                target: "other.txt".to_string()
            },
            Item::Requirement(Requirement {
                display: "-e .".to_string(),
                spec: ".".to_string(),
                kind: RequirementKind::Editable,
                hashed: false,
            }),
            Item::Requirement(Requirement {
                display: "-e ./lib".to_string(),
                spec: "./lib".to_string(),
                kind: RequirementKind::Editable,
                hashed: false,
            }),
            Item::SourceOption("-f ./wheels".to_string()),
            Item::FindLinks("./wheels".to_string()),
            Item::SourceOption("--index-url https://***@idx.example/simple".to_string()),
            Item::Requirement(Requirement {
                display: "pkg==1".to_string(),
                spec: "pkg==1".to_string(),
                kind: named("pkg", true),
                hashed: true,
            }),
        ]
    );
}

#[test]
fn variables_are_substituted_and_recorded() {
    let lookup = |name: &str| (name == "TOKEN").then(|| "s3cret".to_string());
    let mut variables = BTreeMap::new();
    let items = parse(
        "pkg @ https://${TOKEN}@git.example/pkg.whl\nother==${UNSET}\n${lower}\n",
        &lookup,
        &mut variables,
    );
    // Each variable with the lines it is used in as pip reads them, credentials redacted: the
    // token is substituted, then hidden.
    assert_eq!(
        variables,
        BTreeMap::from([
            (
                "TOKEN".to_string(),
                vec!["pkg @ https://***@git.example/pkg.whl".to_string()]
            ),
            ("UNSET".to_string(), vec!["other==${UNSET}".to_string()]),
        ])
    );
    // Shown as written, never with the value.
    assert_eq!(
        items[0].1,
        Item::Requirement(Requirement {
            display: "pkg @ https://***@git.example/pkg.whl".to_string(),
            spec: "pkg @ https://s3cret@git.example/pkg.whl".to_string(),
            kind: RequirementKind::DirectUrl { hashed: false },
            hashed: false,
        })
    );
    assert_eq!(
        expand_variables("a${TOKEN}b", &lookup, &mut BTreeSet::new()),
        "as3cretb"
    );
    assert_eq!(
        expand_variables("${UNSET}", &lookup, &mut BTreeSet::new()),
        "${UNSET}"
    );
}

#[test]
fn includes_are_followed_relative_to_the_including_file() {
    let scan = scan_files(
        &[
            (
                "requirements.txt",
                "-r requirements/prod.txt\nsix==1.16.0\n",
            ),
            (
                "requirements/prod.txt",
                "-r ../shared/base.txt\n-c constraints.txt\nflask\n",
            ),
            (
                "requirements/constraints.txt",
                "flask==3.0.3\nwerkzeug>=3\n",
            ),
            (
                "shared/base.txt",
                "typing-extensions==4.12.2\n-r ../requirements.txt\n",
            ),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(
        scan.files.keys().collect::<Vec<_>>(),
        vec![
            "requirements.txt",
            "requirements/constraints.txt",
            "requirements/prod.txt",
            "shared/base.txt"
        ]
    );
    assert_eq!(scan.requirement_count, 3);
    // flask is unpinned in prod.txt but pinned by the constraints file.
    assert!(scan.not_reusable.is_empty(), "{:?}", scan.not_reusable);
}

#[test]
fn not_reusable_requirements_are_listed_in_order() {
    let scan = scan_files(
        &[(
            "requirements.txt",
            "flask>=2\n-e .\nsix==1.16.0\npkg @ git+https://github.com/o/r\n-f wheels\n\
             https://x.example/a.whl --hash=sha256:00\n",
        )],
        &[],
    )
    .unwrap();
    assert_eq!(
        scan.not_reusable,
        vec![
            "--find-links wheels (a local directory)",
            "flask>=2",
            "-e .",
            "pkg @ git+https://github.com/o/r"
        ]
    );
    assert_eq!(scan.requirement_count, 5);
}

#[test]
fn pip_constraint_files_are_read() {
    let scan = scan_files(
        &[("requirements.txt", "flask\n"), ("c.txt", "flask==3.0.3\n")],
        &[("PIP_CONSTRAINT", "c.txt")],
    )
    .unwrap();
    assert!(scan.files.contains_key("c.txt"));
    assert_eq!(scan.not_reusable, [""; 0]);
}

#[test]
fn missing_include_names_the_including_line() {
    let error = scan_files(
        &[("requirements.txt", "six==1.16.0\n-r missing.txt\n")],
        &[],
    )
    .unwrap_err();
    match error {
        RequirementsFileError::Read { file, origin, .. } => {
            assert_eq!(file, "missing.txt");
            assert_eq!(
                origin,
                Origin::Included {
                    file: "requirements.txt".to_string(),
                    line: 2
                }
            );
        }
        RequirementsFileError::NotUtf8 { .. } => panic!("unexpected {error:?}"),
    }
}

#[test]
fn include_cycles_end() {
    let scan = scan_files(
        &[
            ("requirements.txt", "-r a.txt\n"),
            ("a.txt", "-r requirements.txt\nsix==1.16.0\n"),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(scan.requirement_count, 1);
}

#[test]
fn utf8_with_or_without_bom_decodes() {
    assert_eq!(decode(b"six==1.16.0\n"), Ok("six==1.16.0\n"));
    assert_eq!(decode(b"\xEF\xBB\xBFsix==1.16.0\n"), Ok("six==1.16.0\n"));
}

#[test]
fn other_encodings_are_rejected_with_the_line() {
    assert_eq!(decode(b"six==1.16.0\n# caf\xE9\n"), Err((2, false)));
    assert_eq!(decode(b"\xFF\xFEs\x00i\x00x\x00"), Err((1, true)));
}

#[test]
fn names_are_normalized() {
    assert_eq!(
        normalize_name("Typing__Extensions.x"),
        "typing-extensions-x"
    );
}

#[test]
fn index_binary_and_pre_release_options_are_settings() {
    let files = [
        (
            "requirements.txt",
            "-r base.txt\n--extra-index-url https://u:pw@private.example/simple\nsix==1.16.0\n",
        ),
        (
            "base.txt",
            "--only-binary=:all:\n--pre\nidna==3.10\n--hash-like-name==1\n",
        ),
    ];
    let scan = scan_files(&files, &[]).unwrap();
    assert_eq!(
        scan.source_options,
        [
            "requirements.txt: --extra-index-url https://***@private.example/simple",
            "base.txt: --only-binary=:all:",
            "base.txt: --pre",
        ]
    );
}
