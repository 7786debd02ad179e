//! Software bills of materials of the `python` and `venv` layers, end to end.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use support::cyclonedx::assert_valid_cyclonedx;
use support::runtime_server::{host_arch, runtime_source};
use support::{TestApp, expected_version};

/// `<layers>/heroku_python/<layer>.sbom.cdx.json`, next to the layer's directory.
fn sbom_path(layer_dir: &Path) -> PathBuf {
    let name = layer_dir.file_name().unwrap().to_string_lossy();
    layer_dir.with_file_name(format!("{name}.sbom.cdx.json"))
}

/// The same layer's SBOM in the exported app image of the last successful build.
fn image_sbom_path(app: &TestApp, layer: &str) -> PathBuf {
    app.state_dir()
        .join("image/layers")
        .join(support::BUILDPACK_ID.replace('/', "_"))
        .join(format!("{layer}.sbom.cdx.json"))
}

#[track_caller]
fn read_sbom(path: &Path) -> Value {
    let bytes =
        std::fs::read(path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
    let document: Value = serde_json::from_slice(&bytes).unwrap();
    assert_valid_cyclonedx(&document);
    document
}

#[test]
fn python_layer_sbom_names_the_runtime_and_survives_a_rebuild() {
    let app = TestApp::new("python_3_13");
    app.build_ok();
    let version = expected_version("3.13");
    let row = runtime_source()
        .manifest_rows()
        .into_iter()
        .find(|row| row.version == version && row.arch == host_arch() && row.variant == "default")
        .unwrap();

    let path = sbom_path(&app.layer_dir("python"));
    let document = read_sbom(&path);
    let components = document["components"].as_array().unwrap();
    assert_eq!(components.len(), 1, "{document:#}");
    let cpython = &components[0];
    assert_eq!(cpython["name"], "cpython");
    assert_eq!(cpython["version"], version.as_str());
    assert_eq!(
        cpython["hashes"],
        serde_json::json!([{ "alg": "SHA-256", "content": row.sha256 }])
    );
    assert_eq!(cpython["externalReferences"][0]["url"], row.url.as_str());
    assert_eq!(cpython["licenses"][0]["license"]["id"], "PSF-2.0");
    assert!(cpython["purl"].as_str().unwrap().starts_with(&format!(
        "pkg:generic/python@{version}?checksum=sha256:{}",
        row.sha256
    )));
    let first = std::fs::read(&path).unwrap();
    assert_eq!(
        std::fs::read(image_sbom_path(&app, "python")).unwrap(),
        first
    );

    // A rebuild reuses the layer: its SBOM is there, unchanged, in the layers and the image.
    let rebuild = app.build_ok();
    support::assert_contains(&rebuild.output, "Reusing cached Python");
    assert_eq!(std::fs::read(&path).unwrap(), first);
    assert_eq!(
        std::fs::read(image_sbom_path(&app, "python")).unwrap(),
        first
    );
}

/// `name==version` of every distribution the app's Python sees at launch.
fn installed_at_launch(app: &TestApp) -> BTreeSet<String> {
    app.run_ok(
        "python -c \"import importlib.metadata as m; [print(d.metadata['Name'] + '==' + d.version) for d in m.distributions()]\"",
    )
    .lines()
    .map(str::to_string)
    .collect()
}

fn listed(document: &Value) -> BTreeSet<String> {
    document["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}=={}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn venv_sbom_lists_every_installed_package() {
    let app = TestApp::new("pip_pinned");
    app.build_ok();
    let path = sbom_path(&app.layer_dir("venv"));
    let document = read_sbom(&path);
    let installed = installed_at_launch(&app);
    assert!(installed.contains("six==1.16.0"), "{installed:?}");
    assert!(
        installed.contains("typing_extensions==4.12.2")
            || installed.contains("typing-extensions==4.12.2"),
        "{installed:?}"
    );
    assert_eq!(listed(&document), installed);
    let purls: BTreeSet<&str> = document["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["purl"].as_str().unwrap())
        .collect();
    assert!(purls.contains("pkg:pypi/six@1.16.0"), "{purls:?}");
    assert!(
        purls.contains("pkg:pypi/typing-extensions@4.12.2"),
        "{purls:?}"
    );

    // Reused venv: the SBOM is written again, the same.
    let first = std::fs::read(&path).unwrap();
    let rebuild = app.build_ok();
    support::assert_contains(&rebuild.output, "Reusing the virtual environment");
    assert_eq!(std::fs::read(&path).unwrap(), first);
    assert_eq!(std::fs::read(image_sbom_path(&app, "venv")).unwrap(), first);

    // A changed requirement changes the SBOM.
    app.write("requirements.txt", "six==1.16.0\n");
    app.build_ok();
    let document = read_sbom(&path);
    assert_eq!(listed(&document), installed_at_launch(&app));
    assert_eq!(
        listed(&document),
        BTreeSet::from(["six==1.16.0".to_string()])
    );
}
