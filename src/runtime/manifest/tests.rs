use super::*;

const SHA: &str = "56a06a5b50ef3fb4dd45707c94dcf5762d61bd2da382e5cb481bfe54ad90bba1";

fn line(version: &str, arch: &str, variant: &str, url: &str) -> String {
    format!(
        r#"{{"version": "{version}", "arch": "{arch}", "variant": "{variant}", "build": "x", "url": "{url}", "sha256": "{SHA}"}}"#
    )
}

fn pbs_line(version: &str, arch: &str, variant: &str) -> String {
    let url = format!("{PBS_DOWNLOAD_PREFIX}20260814/cpython-{version}%2B20260814-{arch}.tar.gz");
    line(version, arch, variant, &url)
}

fn request(s: &str) -> PythonVersionRequest {
    s.parse().unwrap()
}

fn version(s: &str) -> PythonVersion {
    s.parse().unwrap()
}

fn parse_error(jsonl: &str, base: Option<&Url>) -> (usize, ManifestLineProblem) {
    match RuntimeManifest::parse(jsonl, base) {
        Err(ManifestParseError::InvalidLine { line, problem }) => (line, problem),
        other => panic!("expected a line error, got {other:?}"),
    }
}

#[test]
fn maps_cnb_target_arches() {
    assert_eq!(Arch::from_cnb_target_arch("amd64"), Some(Arch::X86_64));
    assert_eq!(Arch::from_cnb_target_arch("arm64"), Some(Arch::Aarch64));
    assert_eq!(Arch::from_cnb_target_arch("x86_64"), None);
    assert_eq!(Arch::from_cnb_target_arch("386"), None);
    assert_eq!(Arch::X86_64.to_string(), "x86_64");
    assert_eq!(Arch::Aarch64.to_string(), "aarch64");
    assert_eq!(serde_json::to_string(&Arch::X86_64).unwrap(), r#""x86_64""#);
}

#[test]
fn validates_sha256_digests() {
    let digest: Sha256Digest = SHA.parse().unwrap();
    assert_eq!(digest.to_string(), SHA);
    for bad in [
        &SHA.to_uppercase(),
        &SHA[1..],
        &format!("{SHA}0"),
        "",
        &SHA.replace('5', "g"),
    ] {
        assert_eq!(
            bad.parse::<Sha256Digest>(),
            Err(InvalidSha256Digest(bad.to_string()))
        );
    }
    let json = serde_json::to_string(&digest).unwrap();
    assert_eq!(serde_json::from_str::<Sha256Digest>(&json).unwrap(), digest);
    assert!(serde_json::from_str::<Sha256Digest>(r#""abc""#).is_err());
}

#[test]
fn builtin_manifest_parses() {
    let manifest = RuntimeManifest::builtin();
    assert_eq!(manifest.entries().len(), 268);
    assert!(manifest.entries().iter().all(|e| e.url.scheme() == "https"));
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let newest = |r: &str| {
            manifest
                .resolve(&request(r), arch)
                .unwrap()
                .version
                .to_string()
        };
        assert_eq!(newest("3.14"), "3.14.7");
        assert_eq!(newest("3.14t"), "3.14.7");
        assert_eq!(newest("3.13"), "3.13.15");
        assert_eq!(newest("3.13t"), "3.13.15");
        assert_eq!(newest("3.12"), "3.12.14");
        assert_eq!(newest("3.11"), "3.11.16");
        assert_eq!(newest("3.10"), "3.10.21");
        assert_eq!(newest("3.9"), "3.9.25");
        assert_eq!(newest("3.13.5"), "3.13.5");
        for variant in [PythonVariant::Default, PythonVariant::Freethreaded] {
            // 3.15 has only release candidates, which are never the default.
            assert_eq!(manifest.newest_stable_minor(arch, variant), Some((3, 14)));
        }
    }
    let entry = manifest.resolve(&request("3.14t"), Arch::Aarch64).unwrap();
    assert_eq!(
        (entry.arch, entry.variant),
        (Arch::Aarch64, PythonVariant::Freethreaded)
    );
    assert!(entry.url.as_str().ends_with(
        "cpython-3.14.7%2B20260814-aarch64-unknown-linux-gnu-freethreaded-install_only_stripped.tar.gz"
    ));
}

#[test]
fn builtin_resolution_errors() {
    let manifest = RuntimeManifest::builtin();
    let resolve = |r: &str| manifest.resolve(&request(r), Arch::X86_64).unwrap_err();
    assert!(matches!(
        resolve("3.15"),
        ResolveError::OnlyPreReleases { pre_releases, .. } if pre_releases[0] == version("3.15.0rc1")
    ));
    assert!(matches!(
        resolve("3.8"),
        ResolveError::UnknownMinor { known_minors, .. }
            if known_minors == [(3, 14), (3, 13), (3, 12), (3, 11), (3, 10), (3, 9)]
    ));
    // Newer than anything in the manifest, pre-releases included.
    assert_eq!(
        resolve("3.16"),
        ResolveError::UnreleasedMinor {
            requested: request("3.16"),
            newest_stable: Some((3, 14)),
        }
    );
    assert!(matches!(
        resolve("4.0t"),
        ResolveError::UnreleasedMinor {
            newest_stable: Some((3, 14)),
            ..
        }
    ));
    assert!(matches!(
        resolve("3.12t"),
        ResolveError::NoBuildForVariant { minors_with_variant, .. }
            if minors_with_variant == [(3, 14), (3, 13)]
    ));
    // Only install_only builds are built in, and free-threaded ones start at 3.13.12.
    assert!(matches!(
        resolve("3.13.5t"),
        ResolveError::UnknownPatch { available_patches, .. }
            if available_patches.last() == Some(&version("3.13.12"))
    ));
}

#[test]
fn resolves_newest_stable_patch_per_arch_and_variant() {
    let jsonl = [
        pbs_line("3.13.4", "x86_64", "default"),
        pbs_line("3.13.5", "x86_64", "default"),
        pbs_line("3.13.6rc1", "x86_64", "default"),
        pbs_line("3.13.10", "x86_64", "freethreaded"),
        pbs_line("3.13.4", "aarch64", "default"),
        pbs_line("3.12.9", "x86_64", "default"),
        pbs_line("3.12.9", "aarch64", "default"),
        pbs_line("3.15.0rc1", "x86_64", "default"),
    ]
    .join("\n");
    let manifest = RuntimeManifest::parse(&jsonl, None).unwrap();
    let resolve = |r: &str, arch| manifest.resolve(&request(r), arch).map(|e| e.version);

    assert_eq!(resolve("3.13", Arch::X86_64), Ok(version("3.13.5")));
    assert_eq!(resolve("3.13", Arch::Aarch64), Ok(version("3.13.4")));
    assert_eq!(resolve("3.13.4", Arch::X86_64), Ok(version("3.13.4")));
    assert_eq!(resolve("3.13t", Arch::X86_64), Ok(version("3.13.10")));
    assert_eq!(
        resolve("3.13.6", Arch::X86_64),
        Err(ResolveError::UnknownPatch {
            requested: request("3.13.6"),
            available_patches: vec![version("3.13.5"), version("3.13.4")],
        })
    );
    assert_eq!(
        resolve("3.13.5", Arch::Aarch64),
        Err(ResolveError::NoBuildForArch {
            requested: request("3.13.5"),
            arch: Arch::Aarch64,
            available_arches: vec![Arch::X86_64],
        })
    );
    assert_eq!(
        resolve("3.13t", Arch::Aarch64),
        Err(ResolveError::NoBuildForArch {
            requested: request("3.13t"),
            arch: Arch::Aarch64,
            available_arches: vec![Arch::X86_64],
        })
    );
    assert_eq!(
        resolve("3.12t", Arch::X86_64),
        Err(ResolveError::NoBuildForVariant {
            requested: request("3.12t"),
            minors_with_variant: vec![(3, 13)],
        })
    );
    assert_eq!(
        resolve("3.15.0", Arch::X86_64),
        Err(ResolveError::OnlyPreReleases {
            requested: request("3.15.0"),
            pre_releases: vec![version("3.15.0rc1")],
        })
    );
    assert_eq!(
        resolve("3.11", Arch::Aarch64),
        Err(ResolveError::UnknownMinor {
            requested: request("3.11"),
            known_minors: vec![(3, 13), (3, 12)],
        })
    );
    let newest = |arch, variant| manifest.newest_stable_minor(arch, variant);
    assert_eq!(newest(Arch::X86_64, PythonVariant::Default), Some((3, 13)));
    assert_eq!(newest(Arch::Aarch64, PythonVariant::Freethreaded), None);
}

#[test]
fn resolves_relative_urls_against_the_manifest_location() {
    let jsonl = line(
        "3.13.5",
        "x86_64",
        "default",
        "cpython-3.13.5%2B1-x86_64.tar.gz",
    );
    let base = Url::parse("file:///work/shared/python-runtimes/runtimes.jsonl").unwrap();
    let manifest = RuntimeManifest::parse(&jsonl, Some(&base)).unwrap();
    assert_eq!(
        manifest.entries()[0].url.as_str(),
        "file:///work/shared/python-runtimes/cpython-3.13.5%2B1-x86_64.tar.gz"
    );
    let https = Url::parse("https://example.com/pbs/manifest.jsonl").unwrap();
    let manifest = RuntimeManifest::parse(&jsonl, Some(&https)).unwrap();
    assert_eq!(
        manifest.entries()[0].url.as_str(),
        "https://example.com/pbs/cpython-3.13.5%2B1-x86_64.tar.gz"
    );
    // Absolute URLs ignore the base.
    let absolute = pbs_line("3.13.5", "x86_64", "default");
    let manifest = RuntimeManifest::parse(&absolute, Some(&base)).unwrap();
    assert!(
        manifest.entries()[0]
            .url
            .as_str()
            .starts_with(PBS_DOWNLOAD_PREFIX)
    );

    assert_eq!(
        parse_error(&format!("\n{jsonl}"), None),
        (
            2,
            ManifestLineProblem::RelativeUrlWithoutBase("cpython-3.13.5%2B1-x86_64.tar.gz".into())
        )
    );
}

#[test]
fn reports_bad_lines_with_their_number() {
    use ManifestLineProblem as P;
    let good = pbs_line("3.13.5", "x86_64", "default");
    let bad =
        |from: &str, to: &str| parse_error(&format!("{good}\n\n{}", good.replace(from, to)), None);
    assert_eq!(
        bad("\"3.13.5\"", "\"3.13\""),
        (3, P::InvalidVersion("3.13".into()))
    );
    assert_eq!(
        bad("\"x86_64\"", "\"amd64\""),
        (3, P::UnknownArch("amd64".into()))
    );
    assert_eq!(
        bad("\"default\"", "\"debug\""),
        (3, P::UnknownVariant("debug".into()))
    );
    assert_eq!(bad(SHA, "abc"), (3, P::InvalidSha256("abc".into())));
    assert!(matches!(
        bad("https://github.com", "https://[::1"),
        (3, P::InvalidUrl { .. })
    ));
    assert!(matches!(
        bad("https://", "htps://"),
        (3, P::UnsupportedUrlScheme(_))
    ));
    assert!(matches!(bad("\"sha256\"", "\"sha\""), (3, P::Json(_))));
    assert!(matches!(bad("{", "["), (3, P::Json(_))));

    let other_arch = pbs_line("3.13.5", "aarch64", "default");
    let duplicate = parse_error(&format!("{good}\n{other_arch}\n{good}\n"), None);
    assert_eq!(
        duplicate,
        (
            3,
            P::Duplicate {
                version: version("3.13.5"),
                arch: Arch::X86_64,
                variant: PythonVariant::Default,
                first_line: 1,
            }
        )
    );
    let error = RuntimeManifest::parse(&format!("{good}\n{good}"), None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "line 2: duplicate entry for 3.13.5 x86_64 default (first on line 1)"
    );
    assert_eq!(
        RuntimeManifest::parse("\n  \n", None),
        Err(ManifestParseError::NoEntries)
    );
}

#[test]
fn mirror_replaces_only_the_release_download_prefix() {
    let other = "https://example.com/custom/cpython-3.12.9.tar.gz";
    let jsonl = format!(
        "{}\n{}",
        pbs_line("3.13.5", "x86_64", "default"),
        line("3.12.9", "x86_64", "default", other)
    );
    let manifest = RuntimeManifest::parse(&jsonl, None).unwrap();
    let expected = "https://mirror.example/pbs/20260814/cpython-3.13.5%2B20260814-x86_64.tar.gz";
    for mirror in ["https://mirror.example/pbs", "https://mirror.example/pbs/"] {
        let mirrored = manifest.clone().with_mirror(&Url::parse(mirror).unwrap());
        assert_eq!(mirrored.entries()[0].url.as_str(), expected, "{mirror}");
        assert_eq!(mirrored.entries()[0].sha256, manifest.entries()[0].sha256);
        assert_eq!(mirrored.entries()[1], manifest.entries()[1]);
    }
    let root = manifest
        .clone()
        .with_mirror(&Url::parse("http://10.0.0.1:8080").unwrap());
    assert_eq!(
        root.entries()[0].url.as_str(),
        "http://10.0.0.1:8080/20260814/cpython-3.13.5%2B20260814-x86_64.tar.gz"
    );
    let local = manifest.with_mirror(&Url::parse("file:///srv/pbs/").unwrap());
    assert_eq!(
        local.entries()[0].url.to_file_path().unwrap(),
        std::path::Path::new("/srv/pbs/20260814/cpython-3.13.5+20260814-x86_64.tar.gz")
    );
}

#[test]
fn newest_stable_patch_and_versions() {
    let manifest = RuntimeManifest::builtin();
    assert_eq!(
        manifest.newest_stable_patch((3, 13), Arch::X86_64, PythonVariant::Default),
        Some(version("3.13.15"))
    );
    assert_eq!(
        manifest.newest_stable_patch((3, 14), Arch::X86_64, PythonVariant::Freethreaded),
        Some(version("3.14.7"))
    );
    assert_eq!(
        manifest.newest_stable_patch((3, 15), Arch::X86_64, PythonVariant::Default),
        None
    );
    let stable = manifest.stable_versions(Arch::Aarch64, PythonVariant::Freethreaded);
    assert!(stable.contains(&version("3.13.12")));
    assert!(stable.iter().all(PythonVersion::is_stable));
}
