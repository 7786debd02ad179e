//! Validates CycloneDX 1.5 JSON against the vendored schemas in `tests/schemas/` (no network:
//! the schema's `$ref`s to the SPDX and JSF schemas are answered from the same folder). Shared by
//! the unit tests of `src/sbom/` and the e2e tests.

use jsonschema::{Retrieve, Uri, Validator};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;

fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/schemas")
}

fn read_schema(file: &str) -> Value {
    let path = schema_dir().join(file);
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// Answers `http://cyclonedx.org/schema/<file>` with `tests/schemas/<file>`.
struct VendoredSchemas;

impl Retrieve for VendoredSchemas {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let file = uri.as_str().rsplit('/').next().unwrap_or_default();
        if schema_dir().join(file).is_file() {
            Ok(read_schema(file))
        } else {
            Err(format!("{uri} is not a vendored schema").into())
        }
    }
}

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::options()
            .with_retriever(VendoredSchemas)
            .should_validate_formats(true)
            .build(&read_schema("bom-1.5.SNAPSHOT.schema.json"))
            .expect("the vendored CycloneDX schema compiles")
    })
}

/// Every schema error of `document` (none for a valid CycloneDX 1.5 BOM).
pub fn cyclonedx_errors(document: &Value) -> Vec<String> {
    validator()
        .iter_errors(document)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

/// Panics with every schema error unless `document` is a valid CycloneDX 1.5 BOM.
#[track_caller]
pub fn assert_valid_cyclonedx(document: &Value) {
    let errors = cyclonedx_errors(document);
    assert!(
        errors.is_empty(),
        "invalid CycloneDX 1.5:\n{}\n\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(document).unwrap()
    );
    assert_eq!(document["specVersion"], "1.5");
}
