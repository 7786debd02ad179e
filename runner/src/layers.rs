//! Layer bookkeeping between builds, as the lifecycle's restorer and exporter do it.
//!
//! Restore (before a build), per buildpack of the group, into a fresh `layers/<bp>/`:
//! - `cache = true` layers of the last successful build (unless the cache is cleared): contents
//!   and SBOM files from `cache/`, `<name>.toml` with only `[metadata]`;
//! - `launch = true, cache = false, build = false` layers of the image: `<name>.toml` with only
//!   `[metadata]`, no directory;
//! - nothing else (`build = true, cache = false`, or all false); `store.toml` from the image.
//!
//! Export (after every buildpack built successfully) writes a new `image/` (launch layers, their
//! tomls and SBOMs, `launch.toml`, `store.toml`, the workspace) and a new `cache/` (cache layers),
//! then swaps them in. A launch layer left as a toml without a directory gets the previous
//! image's contents back ("Reusing layer"). A failed build never gets here, so the previous image
//! and cache stay as they were.

use crate::buildpack::Buildpack;
use crate::fsutil::{self, FileMode};
use crate::state::State;
use anyhow::{Context, Result, bail};
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
    metadata: Option<toml::Table>,
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

fn write_metadata_only(path: &Path, metadata: Option<&toml::Table>) -> Result<()> {
    #[derive(Serialize)]
    struct MetadataOnly<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        metadata: Option<&'a toml::Table>,
    }
    let content = toml::to_string(&MetadataOnly { metadata })
        .with_context(|| format!("serialising metadata for {}", path.display()))?;
    fs::write(path, content).with_context(|| format!("writing {}", path.display()))
}

/// The SBOM files of a layer (`<name>.sbom.<ext>`) in `bp_dir`.
fn sbom_files(bp_dir: &Path, name: &str) -> Result<Vec<PathBuf>> {
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

/// Links `name`'s directory (if any), toml and SBOM files from `from` to `to`.
fn link_layer(from: &Path, to: &Path, name: &str, with_toml: bool) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut paths = sbom_files(from, name)?;
    if fsutil::exists(&from.join(name)) {
        paths.push(from.join(name));
    }
    if with_toml {
        paths.push(from.join(format!("{name}.toml")));
    }
    for path in paths {
        let target = to.join(path.file_name().expect("layer paths have file names"));
        if !fsutil::exists(&target) {
            fsutil::copy_tree(&path, &target, FileMode::HardLink, &[])?;
        }
    }
    Ok(())
}

/// Recreates `layers/` from the saved image and cache; returns lifecycle-style log lines.
pub(crate) fn restore(
    state: &State,
    buildpacks: &[Buildpack],
    clear_cache: bool,
) -> Result<Vec<String>> {
    let layers_dir = state.layers_dir();
    fsutil::remove_all(&layers_dir)?;
    fs::create_dir_all(&layers_dir)
        .with_context(|| format!("creating {}", layers_dir.display()))?;
    let mut log = Vec::new();
    for bp in buildpacks {
        let live = layers_dir.join(bp.escaped_id());
        fs::create_dir_all(&live).with_context(|| format!("creating {}", live.display()))?;
        let image_bp = state.image_dir().join("layers").join(bp.escaped_id());
        let cache_bp = state.cache_dir().join("layers").join(bp.escaped_id());
        for layer in read_layers(&image_bp)? {
            if layer.types.launch && !layer.types.build && !layer.types.cache {
                log.push(format!(
                    "Restoring metadata for \"{}:{}\" from app image",
                    bp.id, layer.name
                ));
                write_metadata_only(
                    &live.join(format!("{}.toml", layer.name)),
                    layer.metadata.as_ref(),
                )?;
            }
        }
        if !clear_cache {
            for layer in read_layers(&cache_bp)?
                .into_iter()
                .filter(|l| l.types.cache)
            {
                log.push(format!(
                    "Restoring data for \"{}:{}\" from cache",
                    bp.id, layer.name
                ));
                link_layer(&cache_bp, &live, &layer.name, false)?;
                write_metadata_only(
                    &live.join(format!("{}.toml", layer.name)),
                    layer.metadata.as_ref(),
                )?;
            }
        }
        let store = image_bp.join("store.toml");
        if store.is_file() {
            fs::copy(&store, live.join("store.toml"))
                .with_context(|| format!("restoring {}", store.display()))?;
        }
    }
    Ok(log)
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

pub(crate) fn read_group(image_dir: &Path) -> Result<Group> {
    let path = image_dir.join("group.toml");
    let content = fs::read_to_string(&path)
        .with_context(|| format!("reading {} (has a build succeeded yet?)", path.display()))?;
    toml::from_str(&content).with_context(|| format!("parsing {}", path.display()))
}

/// Saves the image and cache of a successful build; returns lifecycle-style log lines. On error
/// nothing is swapped in (the previous image and cache stay).
pub(crate) fn export(state: &State, buildpacks: &[Buildpack]) -> Result<Vec<String>> {
    let new_image = state.root().join("image.new");
    let new_cache = state.root().join("cache.new");
    fsutil::remove_all(&new_image)?;
    fsutil::remove_all(&new_cache)?;
    let mut log = Vec::new();
    for bp in buildpacks {
        let live = state.layers_dir().join(bp.escaped_id());
        let old_image_bp = state.image_dir().join("layers").join(bp.escaped_id());
        let image_bp = new_image.join("layers").join(bp.escaped_id());
        let cache_bp = new_cache.join("layers").join(bp.escaped_id());
        fs::create_dir_all(&image_bp)
            .with_context(|| format!("creating {}", image_bp.display()))?;
        for layer in read_layers(&live)? {
            let id = format!("{}:{}", bp.id, layer.name);
            if layer.types.launch {
                if live.join(&layer.name).is_dir() {
                    log.push(format!("Adding layer '{id}'"));
                } else if old_image_bp.join(&layer.name).is_dir() {
                    log.push(format!("Reusing layer '{id}'"));
                    link_layer(&old_image_bp, &live, &layer.name, false)?;
                } else {
                    bail!(
                        "layer '{id}' is launch=true but has no contents, and the previous image has none to reuse"
                    );
                }
                link_layer(&live, &image_bp, &layer.name, true)?;
            }
            if layer.types.cache {
                if live.join(&layer.name).is_dir() {
                    log.push(format!("Adding cache layer '{id}'"));
                    link_layer(&live, &cache_bp, &layer.name, true)?;
                } else {
                    log.push(format!(
                        "Warning: not caching layer '{id}': cached layer must have contents"
                    ));
                }
            }
        }
        crate::launch::read_processes(&live)?; // fail the build on an invalid launch.toml
        for name in ["launch.toml", "store.toml"]
            .into_iter()
            .map(String::from)
            .chain(
                sbom_files(&live, "launch")?
                    .iter()
                    .filter_map(|p| p.file_name()?.to_str().map(String::from)),
            )
        {
            let path = live.join(&name);
            if path.is_file() {
                fs::copy(&path, image_bp.join(&name))
                    .with_context(|| format!("exporting {}", path.display()))?;
            }
        }
    }
    fsutil::copy_tree(
        &state.workspace_dir(),
        &new_image.join("workspace"),
        FileMode::HardLink,
        &[],
    )?;
    let group = Group {
        buildpacks: buildpacks
            .iter()
            .map(|bp| GroupEntry {
                id: bp.id.clone(),
                version: bp.version.clone(),
            })
            .collect(),
    };
    let group_path = new_image.join("group.toml");
    fs::write(&group_path, toml::to_string(&group)?)
        .with_context(|| format!("writing {}", group_path.display()))?;
    fs::create_dir_all(new_cache.join("layers"))?;
    for (new, current) in [
        (new_image, state.image_dir()),
        (new_cache, state.cache_dir()),
    ] {
        let old = current.with_extension("old");
        fsutil::remove_all(&old)?;
        if fsutil::exists(&current) {
            fs::rename(&current, &old)
                .with_context(|| format!("moving away {}", current.display()))?;
        }
        fs::rename(&new, &current)
            .with_context(|| format!("moving {} into place", new.display()))?;
        fsutil::remove_all(&old)?;
    }
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_layer_types_and_writes_metadata_only() {
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

        write_metadata_only(&bp.join("out.toml"), layers[1].metadata.as_ref()).unwrap();
        assert_eq!(
            fs::read_to_string(bp.join("out.toml")).unwrap(),
            "[metadata]\nv = \"1\"\n"
        );
        write_metadata_only(&bp.join("empty.toml"), None).unwrap();
        assert_eq!(fs::read_to_string(bp.join("empty.toml")).unwrap(), "");
        assert_eq!(read_layers(&bp.join("missing")).unwrap().len(), 0);
    }
}
