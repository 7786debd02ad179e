use super::*;

const PREFIX: &str = "https://github.com/astral-sh/python-build-standalone/releases/download";
const SHA: &str = "56a06a5b50ef3fb4dd45707c94dcf5762d61bd2da382e5cb481bfe54ad90bba1";

fn row(version: &str, arch: &str, variant: &str) -> String {
    let flavour = if variant == "freethreaded" {
        "-freethreaded"
    } else {
        ""
    };
    format!(
        r#"{{"version": "{version}", "arch": "{arch}", "variant": "{variant}", "build": "20260814", "url": "{PREFIX}/20260814/cpython-{version}%2B20260814-{arch}-unknown-linux-gnu{flavour}-install_only_stripped.tar.gz", "sha256": "{SHA}"}}"#
    )
}

fn problem(input: &str) -> (usize, Problem) {
    let error = generate(input).unwrap_err();
    (error.line, error.problem)
}

#[test]
fn sorts_newest_first_then_arch_then_variant_and_drops_extra_fields() {
    let input = [
        row("3.9.25", "x86_64", "default"),
        row("3.15.0rc1", "x86_64", "default"),
        row("3.14.7", "x86_64", "freethreaded"),
        String::new(),
        row("3.14.7", "x86_64", "default"),
        row("3.14.7", "aarch64", "default"),
        row("3.10.2", "x86_64", "default"),
        row("3.15.0b4", "x86_64", "default"),
    ]
    .join("\n");
    let generated = generate(&input).unwrap();
    assert_eq!(generated.entries, 7);
    let order: Vec<String> = generated
        .manifest
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let object = value.as_object().unwrap();
            let keys: Vec<&str> = object.keys().map(String::as_str).collect();
            assert_eq!(keys.len(), 5, "{line}");
            assert!(!object.contains_key("build"));
            format!(
                "{} {} {}",
                value["version"], value["arch"], value["variant"]
            )
            .replace('"', "")
        })
        .collect();
    assert_eq!(
        order,
        [
            "3.15.0rc1 x86_64 default",
            "3.15.0b4 x86_64 default",
            "3.14.7 aarch64 default",
            "3.14.7 x86_64 default",
            "3.14.7 x86_64 freethreaded",
            "3.10.2 x86_64 default",
            "3.9.25 x86_64 default",
        ]
    );
    assert!(generated.manifest.starts_with(
        r#"{"version":"3.15.0rc1","arch":"x86_64","variant":"default","url":"https://"#
    ));
    assert!(generated.manifest.ends_with("\"}\n"));
}

#[test]
fn leaves_out_archives_the_buildpack_cannot_install() {
    let full = format!(
        r#"{{"version": "3.9.7", "arch": "x86_64", "variant": "default", "url": "{PREFIX}/20211017/cpython-3.9.7-x86_64-unknown-linux-gnu-pgo%2Blto-20211017T1616.tar.zst", "sha256": "{SHA}"}}"#
    );
    let generated = generate(&format!("{}\n{full}\n", row("3.9.25", "x86_64", "default"))).unwrap();
    assert_eq!(generated.entries, 1);
    assert_eq!(generated.skipped_lines, [2]);
}

#[test]
fn reports_invalid_rows_with_their_line() {
    let good = row("3.13.5", "x86_64", "default");
    let with = |from: &str, to: &str| format!("{good}\n\n{}", good.replace(from, to));
    assert_eq!(
        problem(&with("\"3.13.5\"", "\"3.13\"")),
        (3, Problem::InvalidVersion("3.13".into()))
    );
    assert!(matches!(
        problem(&with("3.13.5", "3.13.05")),
        (3, Problem::InvalidVersion(_))
    ));
    assert!(matches!(
        problem(&with("3.13.5", "3.13.5c1")),
        (3, Problem::InvalidVersion(_))
    ));
    assert_eq!(
        problem(&with("\"x86_64\"", "\"amd64\"")),
        (3, Problem::UnknownArch("amd64".into()))
    );
    assert_eq!(
        problem(&with("\"default\"", "\"debug\"")),
        (3, Problem::UnknownVariant("debug".into()))
    );
    assert!(matches!(
        problem(&with("https://", "http://")),
        (3, Problem::InvalidUrl(_))
    ));
    assert!(matches!(
        problem(&with(".tar.gz", ".tar.gz ")),
        (3, Problem::InvalidUrl(_))
    ));
    assert!(matches!(
        problem(&with("\"default\"", "\"freethreaded\"")),
        (3, Problem::UrlMismatch(_))
    ));
    assert!(matches!(
        problem(&with("-x86_64-", "-aarch64-")),
        (3, Problem::UrlMismatch(_))
    ));
    assert_eq!(
        problem(&with(SHA, &SHA.to_uppercase())),
        (3, Problem::InvalidSha256(SHA.to_uppercase()))
    );
    assert_eq!(
        problem(&with(SHA, &SHA[1..])),
        (3, Problem::InvalidSha256(SHA[1..].to_string()))
    );
    assert!(matches!(
        problem(&with("\"sha256\"", "\"sha\"")),
        (3, Problem::Json(_))
    ));
    assert!(matches!(
        problem(&format!("{good}\nnot json")),
        (2, Problem::Json(_))
    ));
}

#[test]
fn rejects_duplicates_and_empty_input() {
    let good = row("3.13.5", "x86_64", "default");
    let error = generate(&format!(
        "{good}\n{}\n{good}",
        row("3.13.5", "aarch64", "default")
    ))
    .unwrap_err();
    assert_eq!(
        error,
        Error {
            line: 3,
            problem: Problem::Duplicate { first_line: 1 }
        }
    );
    assert_eq!(
        error.to_string(),
        "line 3: duplicate (version, arch, variant), first on line 1"
    );
    assert_eq!(problem("\n \n"), (0, Problem::NoRows));
}

#[test]
fn compares_versions_properly() {
    let v = |s: &str| parse_version(s).unwrap();
    assert!(v("3.10.0") > v("3.9.25"));
    assert!(v("3.15.0") > v("3.15.0rc1"));
    assert!(v("3.15.0rc1") > v("3.15.0b4"));
    assert!(v("3.15.0b1") > v("3.15.0a10"));
    assert!(v("3.15.0a10") > v("3.15.0a8"));
    assert!(v("3.15.0a1") > v("3.14.7"));
    for bad in [
        "3.13", "3.13.5.1", "03.13.5", "3.13.5rc", "3.13.5t", "+3.13.5", "3.13.5-1",
    ] {
        assert_eq!(parse_version(bad), None, "{bad}");
    }
}
