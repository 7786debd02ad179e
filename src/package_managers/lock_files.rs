//! Reading what the package managers write: lock files (artifact hashes and local sources of
//! every `[[package]]` of a TOML lock) and the package names in their error output.

use crate::package_managers::local_sources::{self, LocalSource};
use crate::package_name::normalize_name;
use std::collections::HashMap;

/// Packages named in backquotes after `prefix`: uv's ``Failed to download `six==1.17.99` ``.
pub(crate) fn quoted_after(output: &str, prefix: &str) -> Vec<String> {
    let mut packages: Vec<String> = Vec::new();
    for line in output.lines() {
        let Some((_, rest)) = line.split_once(prefix) else {
            continue;
        };
        let Some(quoted) = rest.trim_start().strip_prefix('`') else {
            continue;
        };
        if let Some((package, _)) = quoted.split_once('`')
            && !packages.iter().any(|p| p == package)
        {
            packages.push(package.to_string());
        }
    }
    packages
}

/// The artifact hashes of every `[[package]]` of a TOML lock (uv.lock, poetry.lock) for the SBOM,
/// keyed by normalized name; `artifact_hashes` reads one package's hashes. An unreadable lock
/// gives none (the install itself reports it).
pub(crate) fn toml_lock_hashes(
    lock: &str,
    artifact_hashes: impl Fn(&toml::Value) -> Vec<String>,
) -> HashMap<String, Vec<String>> {
    let Ok(lock) = toml::from_str::<toml::Table>(lock) else {
        return HashMap::new();
    };
    let mut hashes: HashMap<String, Vec<String>> = HashMap::new();
    for package in lock
        .get("package")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = package.get("name").and_then(toml::Value::as_str) else {
            continue;
        };
        let found = artifact_hashes(package);
        if !found.is_empty() {
            hashes
                .entry(normalize_name(name))
                .or_default()
                .extend(found);
        }
    }
    hashes
}

/// The `hash` of each `files = [{file, hash}]` entry of a package (poetry.lock, pdm.lock).
pub(crate) fn files_hashes(package: &toml::Value) -> Vec<String> {
    package
        .get("files")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|file| file.get("hash").and_then(toml::Value::as_str))
        .map(String::from)
        .collect()
}

/// The local sources of every `[[package]]` of a TOML lock (uv.lock, poetry.lock):
/// `path_and_editable` reads one package's path (if it is local) and whether it is editable.
pub(crate) fn toml_local_sources(
    lock: &str,
    path_and_editable: impl Fn(&toml::Value) -> Option<(String, bool)>,
) -> Vec<LocalSource> {
    let Ok(lock) = toml::from_str::<toml::Table>(lock) else {
        return Vec::new();
    };
    lock.get("package")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|package| {
            let name = package.get("name")?.as_str()?.to_string();
            let (path, editable) = path_and_editable(package)?;
            local_sources::is_local_path(&path).then_some(LocalSource {
                name,
                path,
                editable,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_packages_are_collected_once() {
        let output = "error: Failed to download `six==1.17.99`\n  cause: x\n\
                      error: Failed to download `six==1.17.99`\nFailed to build `a @ file:///w/a`";
        assert_eq!(quoted_after(output, "Failed to download"), ["six==1.17.99"]);
        assert_eq!(quoted_after(output, "Failed to build"), ["a @ file:///w/a"]);
    }

    #[test]
    fn names_are_normalized() {
        assert_eq!(normalize_name("Typing_Extensions"), "typing-extensions");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
    }
}
