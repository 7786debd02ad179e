//! Software bills of materials (CycloneDX 1.5 JSON) for the layers the app runs with: the CPython
//! of the `python` layer and the distributions installed in the `venv` layer.
//!
//! The documents are reproducible: no timestamp, components in a fixed order, and a serial
//! number derived from the content (an RFC 9562 version 8 UUID made of its SHA-256), so an
//! unchanged layer gets a byte-identical SBOM.

#[cfg(test)]
mod tests;

use crate::BuildpackError;
use crate::PythonBuildpack;
pub(crate) use crate::installed::dist_metadata::ReadError;
use crate::installed::dist_metadata::{Distribution, venv_distributions};
use crate::package_name::normalize_name;
use crate::redact::redact_url;
use crate::runtime::manifest::RuntimeEntry;
use libcnb::data::sbom::SbomFormat;
use libcnb::layer::LayerRef;
use libcnb::sbom::Sbom;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// Who made the SBOMs, in `metadata.tools`.
const TOOL_NAME: &str = "heroku/python";
const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The SBOM of the runtime layer: one component, the CPython build from `entry`.
///
/// Its package URL is `pkg:generic/python@<version>` with the archive's `checksum` and
/// `download_url` qualifiers (and a CPE for `python:python`), the identifiers that vulnerability
/// scanners match CPython by; `name` is `cpython`, the implementation.
pub(crate) fn runtime_sbom(entry: &RuntimeEntry) -> Sbom {
    let version = entry.version.to_string();
    let sha256 = entry.sha256.to_string();
    let url = redact_url(entry.url.as_str());
    let purl = format!(
        "pkg:generic/python@{}?checksum=sha256:{sha256}&download_url={}",
        purl_encode(&version),
        purl_encode(&url)
    );
    let cpe_version = format!(
        "{}.{}.{}",
        entry.version.major, entry.version.minor, entry.version.patch
    );
    let cpe_update = entry
        .version
        .pre
        .map_or_else(|| "*".to_string(), |pre| pre.to_string());
    let component = json!({
        "type": "application",
        "name": "cpython",
        "version": version,
        "description": format!(
            "CPython {version} ({} build for {}) from python-build-standalone",
            entry.variant, entry.arch
        ),
        "purl": purl,
        "cpe": format!("cpe:2.3:a:python:python:{cpe_version}:{cpe_update}:*:*:*:*:*:*"),
        "hashes": [{ "alg": "SHA-256", "content": sha256 }],
        "licenses": [{ "license": { "id": "PSF-2.0" } }],
        "externalReferences": [
            { "type": "distribution", "url": url },
            { "type": "website", "url": "https://www.python.org/" },
        ],
        "properties": [
            { "name": "heroku:python:arch", "value": entry.arch.as_str() },
            { "name": "heroku:python:variant", "value": entry.variant.as_str() },
        ],
    });
    Sbom::from_bytes(SbomFormat::CycloneDxJson, bom(&[component]))
}

/// The SBOM of a virtual environment: every distribution installed in its
/// `lib/python3.*/site-packages`, sorted by name. `lock_hashes` are the artifact hashes the
/// lock file or requirements pin, by PEP 503 normalized name (`sha256:<hex>`, or bare hex for
/// SHA-256); it may be empty.
pub(crate) fn venv_sbom(
    venv_dir: &Path,
    lock_hashes: &HashMap<String, Vec<String>>,
) -> Result<Sbom, ReadError> {
    Ok(Sbom::from_bytes(
        SbomFormat::CycloneDxJson,
        bom(&distribution_components(
            venv_distributions(venv_dir)?,
            lock_hashes,
        )),
    ))
}

/// Writes the SBOM of the virtual environment in `layer` (replacing any older one). Call it on
/// every build, after installing and when reusing the layer.
pub(crate) fn write_venv_sbom<MAC, RAC>(
    layer: &LayerRef<PythonBuildpack, MAC, RAC>,
    lock_hashes: &HashMap<String, Vec<String>>,
) -> libcnb::Result<(), BuildpackError> {
    let sbom = venv_sbom(&layer.path(), lock_hashes).map_err(BuildpackError::VenvSbom)?;
    layer.write_sboms(&[sbom])
}

fn distribution_components(
    mut distributions: Vec<Distribution>,
    lock_hashes: &HashMap<String, Vec<String>>,
) -> Vec<Value> {
    distributions.sort_by(|a, b| {
        (normalize_name(&a.name), &a.version).cmp(&(normalize_name(&b.name), &b.version))
    });
    distributions.dedup_by(|a, b| {
        normalize_name(&a.name) == normalize_name(&b.name) && a.version == b.version
    });
    distributions
        .into_iter()
        .map(|distribution| {
            let normalized = normalize_name(&distribution.name);
            let mut component = json!({
                "type": "library",
                "name": distribution.name,
                "version": distribution.version,
                "purl": format!(
                    "pkg:pypi/{}@{}",
                    purl_encode(&normalized),
                    purl_encode(&distribution.version)
                ),
            });
            let hashes = lock_hashes
                .get(&normalized)
                .map(|hashes| cyclonedx_hashes(hashes))
                .unwrap_or_default();
            if !hashes.is_empty() {
                component["hashes"] = Value::Array(hashes);
            }
            if let Some(license) = &distribution.license {
                component["licenses"] = license.to_cyclonedx();
            }
            component
        })
        .collect()
}

/// `sha256:<hex>` (pip's `--hash` spelling) or bare SHA-256 hex as CycloneDX hashes, sorted and
/// without duplicates; anything else is left out.
fn cyclonedx_hashes(hashes: &[String]) -> Vec<Value> {
    let mut parsed: Vec<(&'static str, String)> = hashes
        .iter()
        .filter_map(|hash| {
            let (alg, hex) = hash
                .split_once([':', '='])
                .unwrap_or(("sha256", hash.as_str()));
            let (alg, len) = match alg.to_ascii_lowercase().as_str() {
                "md5" => ("MD5", 32),
                "sha1" => ("SHA-1", 40),
                "sha256" => ("SHA-256", 64),
                "sha384" => ("SHA-384", 96),
                "sha512" => ("SHA-512", 128),
                _ => return None,
            };
            (hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| (alg, hex.to_ascii_lowercase()))
        })
        .collect();
    parsed.sort();
    parsed.dedup();
    parsed
        .into_iter()
        .map(|(alg, content)| json!({ "alg": alg, "content": content }))
        .collect()
}

/// The whole document around `components`, as pretty-printed JSON.
fn bom(components: &[Value]) -> Vec<u8> {
    let mut document = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "tools": {
                "components": [{
                    "type": "application",
                    "name": TOOL_NAME,
                    "version": TOOL_VERSION,
                }],
            },
        },
        "components": components,
    });
    let content = serde_json::to_vec(&document).expect("a JSON value serializes");
    document["serialNumber"] = Value::String(serial_number(&content));
    serde_json::to_vec_pretty(&document).expect("a JSON value serializes")
}

/// `urn:uuid:` and an RFC 9562 version 8 (custom) UUID made of the first 16 bytes of the
/// content's SHA-256, so the same content always gets the same serial number.
fn serial_number(content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC variant
    let hex = hex::encode(bytes);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for package URL parts and
/// qualifier values.
fn purl_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}
