//! Layer bookkeeping shared by restore, export and launch: `<layer>.toml` files (`[types]` and
//! `[metadata]`), SBOM files, the saved indexes' file lists, and the image's `group.toml`.

use crate::manifest::{self, Entry};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};
/// `[types]` of a `<layer>.toml`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub(crate) struct LayerTypes {
    pub(crate) launch: bool,
    pub(crate) build: bool,
    pub(crate) cache: bool,
}

#[derive(Debug, Default, Deserialize)]
struct LayerToml {
    #[serde(default)]
    types: LayerTypes,
    metadata: Option<toml::Table>,
}

/// A layer found in a buildpack's layers dir.
#[derive(Debug)]
pub(crate) struct Layer {
    pub(crate) name: String,
    pub(crate) types: LayerTypes,
    pub(crate) metadata: Option<toml::Table>,
}

/// Files in a buildpack's layers dir that are not layer tomls.
const RESERVED_TOMLS: [&str; 3] = ["launch", "build", "store"];

/// The layers (`<name>.toml` files) in `bp_dir`, sorted by name. A missing dir has none.
pub(crate) fn read_layers(bp_dir: &Path) -> Result<Vec<Layer>> {
    let entries = match fs::read_dir(bp_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", bp_dir.display())),
    };
    let mut layers = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("reading {}", bp_dir.display()))?
            .path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".toml"))
        else {
            continue;
        };
        if RESERVED_TOMLS.contains(&name) || !path.is_file() {
            continue;
        }
        let content =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let parsed: LayerToml =
            toml::from_str(&content).with_context(|| format!("parsing {}", path.display()))?;
        layers.push(Layer {
            name: name.to_string(),
            types: parsed.types,
            metadata: parsed.metadata,
        });
    }
    layers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(layers)
}

/// Writes a `<layer>.toml` or `store.toml` the way the lifecycle restores it: only `[metadata]`
/// (no `[types]`, nothing else), after its round trip through JSON (see `metadata.rs`).
pub(crate) fn write_restored_metadata(path: &Path, metadata: Option<&toml::Table>) -> Result<()> {
    #[derive(Serialize)]
    struct MetadataOnly {
        #[serde(skip_serializing_if = "Option::is_none")]
        metadata: Option<toml::Table>,
    }
    let metadata = metadata.map(crate::metadata::round_trip);
    let content = toml::to_string(&MetadataOnly { metadata })
        .with_context(|| format!("serialising metadata for {}", path.display()))?;
    fs::write(path, content).with_context(|| format!("writing {}", path.display()))
}

/// The `[metadata]` table of a `store.toml` (`None` when it has none); an error when it does
/// not parse.
pub(crate) fn read_store_metadata(path: &Path) -> Result<Option<toml::Table>> {
    let content =
        fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut store: toml::Table =
        toml::from_str(&content).with_context(|| format!("parsing {}", path.display()))?;
    match store.remove("metadata") {
        None => Ok(None),
        Some(toml::Value::Table(table)) => Ok(Some(table)),
        Some(_) => anyhow::bail!("{}: `metadata` is not a table", path.display()),
    }
}

/// The SBOM files of a layer (`<name>.sbom.<ext>`) in `bp_dir`.
pub(crate) fn sbom_files(bp_dir: &Path, name: &str) -> Result<Vec<PathBuf>> {
    let prefix = format!("{name}.sbom.");
    let mut files = Vec::new();
    if bp_dir.is_dir() {
        for entry in
            fs::read_dir(bp_dir).with_context(|| format!("reading {}", bp_dir.display()))?
        {
            let entry = entry.with_context(|| format!("reading {}", bp_dir.display()))?;
            if entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix))
            {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Copies `name`'s SBOM files, and its `<name>.toml` when `with_toml`, from `from` to `to`;
/// returns the copies.
pub(crate) fn copy_layer_files(
    from: &Path,
    to: &Path,
    name: &str,
    with_toml: bool,
) -> Result<Vec<PathBuf>> {
    let mut paths = sbom_files(from, name)?;
    if with_toml {
        paths.push(from.join(format!("{name}.toml")));
    }
    let mut copies = Vec::new();
    for path in paths {
        let file_name = path.file_name().context("layer paths have file names")?;
        let target = to.join(file_name);
        fs::copy(&path, &target)
            .with_context(|| format!("copying {} to {}", path.display(), target.display()))?;
        copies.push(target);
    }
    Ok(copies)
}

/// Where the file list of layer `name` is kept in a saved index (`image/layers/<bp>` or
/// `cache/layers/<bp>`).
pub(crate) fn file_list_path(index_bp: &Path, name: &str) -> PathBuf {
    index_bp.join(format!("{name}.files"))
}

/// The file list of layer `name` in a saved index; `None` when there is none.
pub(crate) fn read_file_list(index_bp: &Path, name: &str) -> Result<Option<Vec<Entry>>> {
    let path = file_list_path(index_bp, name);
    match fs::read(&path) {
        Ok(text) => manifest::decode(&text)
            .map(Some)
            .with_context(|| format!("parsing {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Group {
    pub(crate) buildpacks: Vec<GroupEntry>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct GroupEntry {
    pub(crate) id: String,
    pub(crate) version: String,
}

/// The buildpacks of the image in `image_dir`.
pub(crate) fn read_group(image_dir: &Path) -> Result<Group> {
    let path = image_dir.join("group.toml");
    let content = fs::read_to_string(&path)
        .with_context(|| format!("reading {} (has a build succeeded yet?)", path.display()))?;
    toml::from_str(&content).with_context(|| format!("parsing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_layer_types_and_writes_restored_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let bp = dir.path();
        fs::write(
            bp.join("b.toml"),
            "[types]\nlaunch = true\n[metadata]\nv = \"1\"\n",
        )
        .unwrap();
        fs::write(bp.join("a.toml"), "[types]\ncache = true\nbuild = true\n").unwrap();
        for reserved in ["launch.toml", "build.toml", "store.toml"] {
            fs::write(bp.join(reserved), "").unwrap();
        }
        fs::write(bp.join("b.sbom.cdx.json"), "{}").unwrap();
        fs::create_dir(bp.join("dir-without-toml")).unwrap();
        let layers = read_layers(bp).unwrap();
        let names: Vec<_> = layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let types = LayerTypes {
            launch: false,
            build: true,
            cache: true,
        };
        assert_eq!(layers[0].types, types);
        assert_eq!(sbom_files(bp, "b").unwrap(), [bp.join("b.sbom.cdx.json")]);

        write_restored_metadata(&bp.join("out.toml"), layers[1].metadata.as_ref()).unwrap();
        assert_eq!(
            fs::read_to_string(bp.join("out.toml")).unwrap(),
            "[metadata]\nv = \"1\"\n"
        );
        fs::write(
            bp.join("b.toml"),
            "[types]\nlaunch = true\n[metadata]\nv = 1\n",
        )
        .unwrap();
        let layers = read_layers(bp).unwrap();
        write_restored_metadata(&bp.join("out.toml"), layers[1].metadata.as_ref()).unwrap();
        assert_eq!(
            fs::read_to_string(bp.join("out.toml")).unwrap(),
            "[metadata]\nv = 1.0\n"
        );
        write_restored_metadata(&bp.join("empty.toml"), None).unwrap();
        assert_eq!(fs::read_to_string(bp.join("empty.toml")).unwrap(), "");
        assert_eq!(read_layers(&bp.join("missing")).unwrap().len(), 0);
    }
}
