//! The installed distributions of a site-packages directory, read from their core metadata
//! (`*.dist-info/METADATA`, or `PKG-INFO` of a legacy `*.egg-info`).

use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// One installed distribution, as its metadata names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Distribution {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) license: Option<License>,
    /// Its `Requires-Dist:` lines (PEP 508 requirements, with markers), as written.
    pub(crate) requires: Vec<String>,
}

/// What a distribution says about its license, most precise first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum License {
    /// `License-Expression:` (PEP 639), an SPDX expression.
    Expression(String),
    /// A short `License:` value, or the names from `License ::` classifiers.
    Names(Vec<String>),
}

impl License {
    /// The CycloneDX `licenses` array.
    pub(crate) fn to_cyclonedx(&self) -> Value {
        match self {
            License::Expression(expression) => json!([{ "expression": expression }]),
            License::Names(names) => names
                .iter()
                .map(|name| json!({ "license": { "name": name } }))
                .collect(),
        }
    }
}

/// `License:` values longer than this are a license text, not a name.
const MAX_LICENSE_NAME: usize = 80;

/// The header fields of core metadata (RFC 822 style), in order: everything before the first
/// blank line, with continuation lines (starting with a space or tab) joined to their field by a
/// newline.
pub(crate) fn parse_headers(text: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    fields
}

/// The distribution described by a METADATA / PKG-INFO text; `None` without a name and version.
pub(crate) fn parse_distribution(text: &str) -> Option<Distribution> {
    let fields = parse_headers(text);
    let first = |wanted: &str| {
        fields
            .iter()
            .find(|(name, value)| name.eq_ignore_ascii_case(wanted) && !value.is_empty())
            .map(|(_, value)| value.clone())
    };
    let classifiers: Vec<&str> = fields
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Classifier"))
        .map(|(_, value)| value.as_str())
        .collect();
    Some(Distribution {
        name: first("Name")?,
        version: first("Version")?,
        license: license(
            first("License-Expression").as_deref(),
            first("License").as_deref(),
            &classifiers,
        ),
        requires: fields
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("Requires-Dist"))
            .map(|(_, value)| value.clone())
            .collect(),
    })
}

fn license(
    expression: Option<&str>,
    license: Option<&str>,
    classifiers: &[&str],
) -> Option<License> {
    if let Some(expression) = expression {
        return Some(License::Expression(expression.to_string()));
    }
    if let Some(name) = license
        && !name.contains('\n')
        && name.len() <= MAX_LICENSE_NAME
        && !name.eq_ignore_ascii_case("UNKNOWN")
    {
        return Some(License::Names(vec![name.to_string()]));
    }
    let mut names: Vec<String> = Vec::new();
    for classifier in classifiers {
        let parts: Vec<&str> = classifier.split("::").map(str::trim).collect();
        // `License :: OSI Approved :: MIT License` names MIT; `License :: OSI Approved` nothing.
        if parts.len() >= 2
            && parts[0] == "License"
            && parts[parts.len() - 1] != "OSI Approved"
            && let Some(name) = parts.last()
            && !names.iter().any(|known| known == name)
        {
            names.push((*name).to_string());
        }
    }
    (!names.is_empty()).then_some(License::Names(names))
}

/// Every `lib/python3.*/site-packages` of a virtual environment, sorted.
pub(crate) fn site_packages_dirs(venv_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let lib = venv_dir.join("lib");
    let mut dirs = Vec::new();
    for entry in read_dir_if_exists(&lib)? {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("python3") {
            let site_packages = entry.path().join("site-packages");
            if site_packages.is_dir() {
                dirs.push(site_packages);
            }
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// The names of the distributions installed in `site_packages`, from their `*.dist-info` and
/// `*.egg-info` entries' names (`Flask-3.1.3.dist-info` → `Flask`; a name's own `-` is written
/// `_` there), without reading their metadata.
pub(crate) fn installed_names(site_packages: &Path) -> std::io::Result<Vec<String>> {
    Ok(read_dir_if_exists(site_packages)?
        .into_iter()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().to_string();
            let stem = name
                .strip_suffix(".dist-info")
                .or_else(|| name.strip_suffix(".egg-info"))?;
            Some(stem.split('-').next().unwrap_or(stem).to_string())
        })
        .collect())
}

/// Every distribution installed in the virtual environment at `venv_dir` (in each of its
/// `site-packages`).
pub(crate) fn venv_distributions(venv_dir: &Path) -> Result<Vec<Distribution>, ReadError> {
    let mut distributions = Vec::new();
    for site_packages in site_packages_dirs(venv_dir).map_err(|error| ReadError {
        path: venv_dir.join("lib"),
        error,
    })? {
        distributions.extend(installed_distributions(&site_packages)?);
    }
    Ok(distributions)
}

/// A distribution whose metadata could not be read.
#[derive(Debug)]
pub(crate) struct ReadError {
    pub(crate) path: PathBuf,
    pub(crate) error: std::io::Error,
}

/// The distributions installed in `site_packages`: every `*.dist-info/METADATA` and
/// `*.egg-info/PKG-INFO` that names a distribution and its version.
pub(crate) fn installed_distributions(
    site_packages: &Path,
) -> Result<Vec<Distribution>, ReadError> {
    let with_path = |path: &Path| {
        let path = path.to_path_buf();
        move |error| ReadError { path, error }
    };
    let mut distributions = Vec::new();
    for entry in read_dir_if_exists(site_packages).map_err(with_path(site_packages))? {
        let name = entry.file_name().to_string_lossy().to_string();
        let metadata_file = if name.ends_with(".dist-info") {
            "METADATA"
        } else if name.ends_with(".egg-info") {
            "PKG-INFO"
        } else {
            continue;
        };
        // A single-file `.egg-info` is the metadata itself.
        let path = if entry.path().is_dir() {
            entry.path().join(metadata_file)
        } else {
            entry.path()
        };
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            // A leftover directory without metadata is not an installed distribution.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(with_path(&path)(error)),
        };
        distributions.extend(parse_distribution(&String::from_utf8_lossy(&bytes)));
    }
    Ok(distributions)
}

fn read_dir_if_exists(dir: &Path) -> std::io::Result<Vec<std::fs::DirEntry>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package_name::normalize_name;

    #[test]
    fn names_are_normalized_as_pep_503_says() {
        assert_eq!(normalize_name("Django"), "django");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_name("Foo__Bar-.baz"), "foo-bar-baz");
    }

    #[test]
    fn installed_names_come_from_the_metadata_folders() {
        let site_packages = crate::test_support::tree(&[
            ("Flask-3.1.3.dist-info/METADATA", ""),
            ("fastapi_cli-0.0.34.dist-info/METADATA", ""),
            ("legacy-1.0-py3.13.egg-info", ""),
            ("flask/__init__.py", ""),
        ]);
        let mut names = installed_names(site_packages.path()).unwrap();
        names.sort();
        assert_eq!(names, ["Flask", "fastapi_cli", "legacy"]);
    }

    #[test]
    fn headers_stop_at_the_body_and_join_continuation_lines() {
        let text = "Metadata-Version: 2.1\nName: pkg\nLicense: Line one\n        line two\n\tline three\nVersion: 1.0\n\nName: not-a-header\n";
        assert_eq!(
            parse_headers(text),
            vec![
                ("Metadata-Version".to_string(), "2.1".to_string()),
                ("Name".to_string(), "pkg".to_string()),
                (
                    "License".to_string(),
                    "Line one\nline two\nline three".to_string()
                ),
                ("Version".to_string(), "1.0".to_string()),
            ]
        );
    }

    #[test]
    fn license_expression_wins() {
        let text = "Name: a\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense: BSD\nClassifier: License :: OSI Approved :: BSD License\n";
        assert_eq!(
            parse_distribution(text).unwrap().license,
            Some(License::Expression("MIT OR Apache-2.0".to_string()))
        );
    }

    #[test]
    fn a_short_license_field_is_a_name() {
        let text = "Name: a\nVersion: 1\nLicense: BSD-3-Clause\n";
        assert_eq!(
            parse_distribution(text).unwrap().license,
            Some(License::Names(vec!["BSD-3-Clause".to_string()]))
        );
    }

    #[test]
    fn license_texts_and_unknown_fall_back_to_classifiers() {
        let text = "Name: a\nVersion: 1\nLicense: Copyright (c) 2024\n        Permission is hereby granted\nClassifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved\nClassifier: Programming Language :: Python\n";
        assert_eq!(
            parse_distribution(text).unwrap().license,
            Some(License::Names(vec!["MIT License".to_string()]))
        );
        let unknown = "Name: a\nVersion: 1\nLicense: UNKNOWN\n";
        assert_eq!(parse_distribution(unknown).unwrap().license, None);
        let long = format!("Name: a\nVersion: 1\nLicense: {}\n", "x".repeat(200));
        assert_eq!(parse_distribution(&long).unwrap().license, None);
    }

    #[test]
    fn metadata_without_a_name_or_version_is_no_distribution() {
        assert_eq!(parse_distribution("Version: 1\n"), None);
        assert_eq!(parse_distribution("Name: a\nVersion:\n"), None);
    }

    #[test]
    fn licenses_become_cyclonedx_choices() {
        assert_eq!(
            License::Expression("MIT".to_string()).to_cyclonedx(),
            json!([{ "expression": "MIT" }])
        );
        assert_eq!(
            License::Names(vec!["BSD License".to_string()]).to_cyclonedx(),
            json!([{ "license": { "name": "BSD License" } }])
        );
    }

    #[test]
    fn distributions_are_read_from_dist_info_and_egg_info() {
        let venv = tempfile::tempdir().unwrap();
        let site = venv.path().join("lib/python3.13/site-packages");
        std::fs::create_dir_all(site.join("Django-5.2.8.dist-info")).unwrap();
        std::fs::write(
            site.join("Django-5.2.8.dist-info/METADATA"),
            "Name: Django\nVersion: 5.2.8\nLicense-Expression: BSD-3-Clause\n\nbody",
        )
        .unwrap();
        std::fs::create_dir_all(site.join("old.egg-info")).unwrap();
        std::fs::write(
            site.join("old.egg-info/PKG-INFO"),
            "Name: old\nVersion: 0.1\n",
        )
        .unwrap();
        std::fs::write(site.join("single.egg-info"), "Name: single\nVersion: 2\n").unwrap();
        // Not distributions: a dist-info without METADATA, a package dir.
        std::fs::create_dir_all(site.join("broken-1.0.dist-info")).unwrap();
        std::fs::create_dir_all(site.join("django")).unwrap();

        assert_eq!(site_packages_dirs(venv.path()).unwrap(), vec![site.clone()]);
        let mut names: Vec<(String, String)> = installed_distributions(&site)
            .unwrap()
            .into_iter()
            .map(|d| (d.name, d.version))
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                ("Django".to_string(), "5.2.8".to_string()),
                ("old".to_string(), "0.1".to_string()),
                ("single".to_string(), "2".to_string()),
            ]
        );
    }

    #[test]
    fn a_missing_venv_has_no_site_packages() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            site_packages_dirs(&dir.path().join("nope")).unwrap(),
            Vec::<PathBuf>::new()
        );
    }
}
