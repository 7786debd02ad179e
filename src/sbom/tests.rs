use super::*;
use crate::python_version::PythonVariant;
use crate::runtime::manifest::Arch;

#[allow(dead_code, unreachable_pub)]
#[path = "../../tests/support/cyclonedx.rs"]
mod cyclonedx;
use cyclonedx::{assert_valid_cyclonedx, cyclonedx_errors};

fn entry(url: &str) -> RuntimeEntry {
    RuntimeEntry {
        version: "3.13.5".parse().unwrap(),
        arch: Arch::X86_64,
        variant: PythonVariant::Default,
        url: url::Url::parse(url).unwrap(),
        sha256: "ab".repeat(32).parse().unwrap(),
    }
}

fn json(sbom: &Sbom) -> Value {
    assert_eq!(sbom.format, SbomFormat::CycloneDxJson);
    serde_json::from_slice(&sbom.data).unwrap()
}

const PBS_URL: &str = "https://github.com/astral-sh/python-build-standalone/releases/download/20250612/cpython-3.13.5%2B20250612-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz";

#[test]
fn runtime_sbom_is_valid_and_describes_the_build() {
    let document = json(&runtime_sbom(&entry(PBS_URL)));
    assert_valid_cyclonedx(&document);
    assert_eq!(document["bomFormat"], "CycloneDX");
    assert_eq!(document["version"], 1);
    assert!(document["metadata"].get("timestamp").is_none());
    assert_eq!(
        document["metadata"]["tools"]["components"][0]["name"],
        "heroku/python"
    );
    let components = document["components"].as_array().unwrap();
    assert_eq!(components.len(), 1);
    let cpython = &components[0];
    assert_eq!(cpython["name"], "cpython");
    assert_eq!(cpython["version"], "3.13.5");
    assert_eq!(cpython["hashes"][0]["alg"], "SHA-256");
    assert_eq!(cpython["hashes"][0]["content"], "ab".repeat(32));
    assert_eq!(cpython["licenses"][0]["license"]["id"], "PSF-2.0");
    assert_eq!(cpython["externalReferences"][0]["type"], "distribution");
    assert_eq!(cpython["externalReferences"][0]["url"], PBS_URL);
    assert_eq!(
        cpython["cpe"],
        "cpe:2.3:a:python:python:3.13.5:*:*:*:*:*:*:*"
    );
    let purl = cpython["purl"].as_str().unwrap();
    assert!(
        purl.starts_with(&format!(
            "pkg:generic/python@3.13.5?checksum=sha256:{}&download_url=https%3A%2F%2Fgithub.com%2F",
            "ab".repeat(32)
        )),
        "{purl}"
    );
    assert!(purl.ends_with(
        "cpython-3.13.5%252B20250612-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
    ));
}

#[test]
fn runtime_sbom_has_no_credentials() {
    let sbom = runtime_sbom(&entry(
        "https://user:s3cret@mirror.example/pbs/cpython.tar.gz",
    ));
    let text = String::from_utf8(sbom.data.clone()).unwrap();
    assert!(!text.contains("s3cret"), "{text}");
    assert!(!text.contains("user"), "{text}");
    let document = json(&sbom);
    assert_valid_cyclonedx(&document);
    assert_eq!(
        document["components"][0]["externalReferences"][0]["url"],
        "https://***@mirror.example/pbs/cpython.tar.gz"
    );
}

#[test]
fn pre_releases_and_freethreaded_builds() {
    let mut entry = entry(PBS_URL);
    entry.version = "3.15.0rc1".parse().unwrap();
    entry.variant = PythonVariant::Freethreaded;
    entry.arch = Arch::Aarch64;
    let document = json(&runtime_sbom(&entry));
    assert_valid_cyclonedx(&document);
    let cpython = &document["components"][0];
    assert_eq!(cpython["version"], "3.15.0rc1");
    assert_eq!(
        cpython["cpe"],
        "cpe:2.3:a:python:python:3.15.0:rc1:*:*:*:*:*:*"
    );
    assert_eq!(
        cpython["properties"],
        serde_json::json!([
            { "name": "heroku:python:arch", "value": "aarch64" },
            { "name": "heroku:python:variant", "value": "freethreaded" },
        ])
    );
}

#[test]
fn serial_numbers_are_reproducible_uuids() {
    let a = runtime_sbom(&entry(PBS_URL));
    let b = runtime_sbom(&entry(PBS_URL));
    assert_eq!(a.data, b.data);
    let other = runtime_sbom(&entry("https://mirror.example/cpython.tar.gz"));
    let serial = |sbom: &Sbom| json(sbom)["serialNumber"].as_str().unwrap().to_string();
    assert_ne!(serial(&a), serial(&other));
    let serial = serial(&a);
    let uuid = serial.strip_prefix("urn:uuid:").unwrap();
    assert_eq!(uuid.len(), 36);
    assert_eq!(&uuid[14..15], "8", "version 8: {uuid}");
    assert!(
        matches!(&uuid[19..20], "8" | "9" | "a" | "b"),
        "RFC variant: {uuid}"
    );
}

fn write_dist(site: &Path, dir: &str, metadata: &str) {
    std::fs::create_dir_all(site.join(dir)).unwrap();
    std::fs::write(site.join(dir).join("METADATA"), metadata).unwrap();
}

fn venv_with_packages() -> tempfile::TempDir {
    let venv = tempfile::tempdir().unwrap();
    let site = venv.path().join("lib/python3.13/site-packages");
    write_dist(
        &site,
        "sqlparse-0.5.3.dist-info",
        "Metadata-Version: 2.4\nName: sqlparse\nVersion: 0.5.3\nLicense-Expression: BSD-3-Clause\n",
    );
    write_dist(
        &site,
        "Django-5.2.8.dist-info",
        "Metadata-Version: 2.1\nName: Django\nVersion: 5.2.8\nLicense: BSD-3-Clause\n",
    );
    write_dist(
        &site,
        "asgiref-3.9.1.dist-info",
        "Metadata-Version: 2.1\nName: asgiref\nVersion: 3.9.1\nClassifier: License :: OSI Approved :: BSD License\n",
    );
    write_dist(
        &site,
        "torch-2.7.0+cpu.dist-info",
        "Metadata-Version: 2.1\nName: torch\nVersion: 2.7.0+cpu\nLicense: UNKNOWN\n",
    );
    venv
}

#[test]
fn venv_sbom_lists_every_distribution_sorted_and_valid() {
    let venv = venv_with_packages();
    let document = json(&venv_sbom(venv.path(), &HashMap::new()).unwrap());
    assert_valid_cyclonedx(&document);
    let components = document["components"].as_array().unwrap();
    let listed: Vec<(&str, &str, &str)> = components
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap(),
                c["purl"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("asgiref", "3.9.1", "pkg:pypi/asgiref@3.9.1"),
            ("Django", "5.2.8", "pkg:pypi/django@5.2.8"),
            ("sqlparse", "0.5.3", "pkg:pypi/sqlparse@0.5.3"),
            ("torch", "2.7.0+cpu", "pkg:pypi/torch@2.7.0%2Bcpu"),
        ]
    );
    assert!(components.iter().all(|c| c["type"] == "library"));
    assert_eq!(
        components[0]["licenses"],
        serde_json::json!([{ "license": { "name": "BSD License" } }])
    );
    assert_eq!(
        components[1]["licenses"],
        serde_json::json!([{ "license": { "name": "BSD-3-Clause" } }])
    );
    assert_eq!(
        components[2]["licenses"],
        serde_json::json!([{ "expression": "BSD-3-Clause" }])
    );
    assert!(components[3].get("licenses").is_none());
    assert!(components.iter().all(|c| c.get("hashes").is_none()));
}

#[test]
fn venv_sbom_takes_hashes_by_normalized_name() {
    let venv = venv_with_packages();
    let sha = "0123456789abcdef".repeat(4);
    let hashes = HashMap::from([
        (
            "django".to_string(),
            vec![
                format!("sha256:{sha}"),
                format!("sha256:{}", sha.to_uppercase()),
                "sha256:tooshort".to_string(),
                format!("blake9:{sha}"),
            ],
        ),
        ("sqlparse".to_string(), vec![sha.clone()]),
    ]);
    let document = json(&venv_sbom(venv.path(), &hashes).unwrap());
    assert_valid_cyclonedx(&document);
    let expected = serde_json::json!([{ "alg": "SHA-256", "content": sha }]);
    assert_eq!(document["components"][1]["hashes"], expected);
    assert_eq!(document["components"][2]["hashes"], expected);
}

#[test]
fn an_empty_venv_has_an_empty_but_valid_sbom() {
    let venv = tempfile::tempdir().unwrap();
    let document = json(&venv_sbom(venv.path(), &HashMap::new()).unwrap());
    assert_valid_cyclonedx(&document);
    assert_eq!(document["components"], serde_json::json!([]));
}

#[test]
fn the_tool_version_is_the_buildpack_version() {
    let descriptor: toml::Table = toml::from_str(include_str!("../../buildpack.toml")).unwrap();
    assert_eq!(
        descriptor["buildpack"]["version"].as_str(),
        Some(TOOL_VERSION),
        "buildpack.toml and Cargo.toml versions differ"
    );
}

#[test]
fn purl_parts_are_percent_encoded() {
    assert_eq!(purl_encode("a-b.c_d~e"), "a-b.c_d~e");
    assert_eq!(purl_encode("1.0+local"), "1.0%2Blocal");
    assert_eq!(
        purl_encode("https://x/y?z=1"),
        "https%3A%2F%2Fx%2Fy%3Fz%3D1"
    );
}

#[test]
fn the_vendored_schema_is_enforced_with_its_spdx_references() {
    let valid = json(&runtime_sbom(&entry(PBS_URL)));
    assert_eq!(cyclonedx_errors(&valid), [""; 0]);
    let broken = |path: &str, value: Value| {
        let mut document = valid.clone();
        *document.pointer_mut(path).unwrap() = value;
        assert!(!cyclonedx_errors(&document).is_empty(), "{path} accepted");
    };
    // An id that is not in the SPDX list (the referenced spdx schema), a hash algorithm and a
    // serial number that are not allowed, and a missing component name.
    broken(
        "/components/0/licenses/0/license/id",
        Value::from("Not-A-License"),
    );
    broken("/components/0/hashes/0/alg", Value::from("SHA-999"));
    broken("/serialNumber", Value::from("urn:uuid:not-a-uuid"));
    broken("/components/0/name", Value::Null);
}
