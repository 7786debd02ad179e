//! After every buildpack built successfully: the new image and cache, as the lifecycle's
//! exporter makes them, without copying layers.
//!
//! The layers stay in `layers/`; the export writes new indexes (`image.new/`, `cache.new/`:
//! `<name>.toml`, SBOMs and the file list of each exported layer, `launch.toml`, `store.toml`,
//! `group.toml`), links the files it has not seen before into `backup/`, and renames the indexes
//! into place. A launch layer left as a toml without a directory gets the previous image's
//! contents back ("Reusing layer"): moved back from `parked/`. Then what only the previous image
//! needed (its parked layers and workspace, backup files no index lists) is removed. A failed
//! build never gets here, so the previous image and cache stay as they were.

use crate::buildpack::Buildpack;
use crate::fsutil;
use crate::layers::{self, Group, GroupEntry, Layer, read_file_list, read_layers, sbom_files};
use crate::manifest::{self, Kind};
use crate::state::State;
use anyhow::{Context, Result, bail};
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// What the export does with a launch layer's contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contents {
    /// The build left them in `layers/`.
    Added,
    /// The previous image's, parked while the build ran.
    Parked,
    /// The previous image's, to be put back from `backup/` (a `--keep-layers` build that
    /// deleted the directory but kept the toml).
    FromBackup,
}

/// Where a launch layer's contents come from (`None`: nowhere, the export fails).
fn launch_contents(live: bool, parked: bool, saved_in_image: bool) -> Option<Contents> {
    if live {
        Some(Contents::Added)
    } else if parked {
        Some(Contents::Parked)
    } else if saved_in_image {
        Some(Contents::FromBackup)
    } else {
        None
    }
}

/// A buildpack's layers as the build left them, and where launch layers' contents come from.
struct Plan<'a> {
    bp: &'a Buildpack,
    live: PathBuf,
    old_image_bp: PathBuf,
    layers: Vec<(Layer, Option<Contents>)>,
}

/// Checks everything the export needs before anything moves.
fn plan<'a>(state: &State, buildpacks: &'a [Buildpack]) -> Result<Vec<Plan<'a>>> {
    let mut plans = Vec::new();
    for bp in buildpacks {
        let live = state.layers_dir().join(bp.escaped_id());
        let old_image_bp = state.image_dir().join("layers").join(bp.escaped_id());
        let mut layers = Vec::new();
        for layer in read_layers(&live)? {
            let id = format!("{}:{}", bp.id, layer.name);
            let has_dir = live.join(&layer.name).is_dir();
            if layer.types.launch && layer.types.cache && !has_dir {
                // The lifecycle's exporter, even when the previous image has the layer.
                bail!("layer '{id}' is cache=true but has no contents");
            }
            let contents = if layer.types.launch {
                let found = launch_contents(
                    has_dir,
                    state.parked_layer(&bp.escaped_id(), &layer.name).is_dir(),
                    layers::file_list_path(&old_image_bp, &layer.name).is_file(),
                );
                if found.is_none() {
                    bail!(
                        "cannot reuse '{id}', previous image has no metadata for layer '{id}' \
                         (it is launch=true without contents)"
                    );
                }
                found
            } else {
                None
            };
            layers.push((layer, contents));
        }
        let store = live.join("store.toml");
        if store.is_file() {
            layers::read_store_metadata(&store)?; // as the lifecycle's exporter reads it
        }
        plans.push(Plan {
            bp,
            live,
            old_image_bp,
            layers,
        });
    }
    Ok(plans)
}

/// Saves the image and cache of a successful build; returns lifecycle-style log lines. On error
/// the previous image and cache stay.
pub(crate) fn export(state: &State, buildpacks: &[Buildpack]) -> Result<Vec<String>> {
    let new_image = state.root().join("image.new");
    let new_cache = state.root().join("cache.new");
    fsutil::remove_all(&new_image)?;
    fsutil::remove_all(&new_cache)?;
    let plans = plan(state, buildpacks)?;
    let mut saver = Saver {
        state,
        held: state.backup().inodes()?,
        keep: HashSet::new(),
        log: Vec::new(),
    };
    for plan in &plans {
        let image_bp = new_image.join("layers").join(plan.bp.escaped_id());
        let cache_bp = new_cache.join("layers").join(plan.bp.escaped_id());
        for dir in [&image_bp, &cache_bp] {
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        for (layer, contents) in &plan.layers {
            saver.layer(plan, layer, *contents, &image_bp, &cache_bp)?;
        }
        copy_launch_files(&plan.live, &image_bp)?;
    }
    write_group(&new_image, buildpacks)?;
    for (new, current) in [
        (new_image, state.image_dir()),
        (new_cache, state.cache_dir()),
    ] {
        replace_dir(&new, &current)?;
    }
    state.backup().retain(&saver.keep)?;
    fsutil::remove_all(&state.parked_dir())?;
    let home = state.launch_home();
    fsutil::remove_all(&home)?;
    fs::create_dir_all(&home).with_context(|| format!("creating {}", home.display()))?;
    Ok(saver.log)
}

/// Saves layers into the new indexes and the backup.
struct Saver<'a> {
    state: &'a State,
    /// Inodes in `backup/`.
    held: HashSet<u64>,
    /// Inodes the new indexes list.
    keep: HashSet<u64>,
    log: Vec<String>,
}

impl Saver<'_> {
    fn old_cache_bp(&self, plan: &Plan<'_>) -> PathBuf {
        self.state
            .cache_dir()
            .join("layers")
            .join(plan.bp.escaped_id())
    }

    fn layer(
        &mut self,
        plan: &Plan<'_>,
        layer: &Layer,
        contents: Option<Contents>,
        image_bp: &Path,
        cache_bp: &Path,
    ) -> Result<()> {
        let id = format!("{}:{}", plan.bp.id, layer.name);
        let dir = plan.live.join(&layer.name);
        match contents {
            Some(Contents::Added) => self.log.push(format!("Adding layer '{id}'")),
            Some(Contents::Parked) => {
                self.log.push(format!("Reusing layer '{id}'"));
                let parked = self.state.parked_layer(&plan.bp.escaped_id(), &layer.name);
                fs::rename(&parked, &dir)
                    .with_context(|| format!("moving {} back", parked.display()))?;
            }
            Some(Contents::FromBackup) => {
                self.log.push(format!("Reusing layer '{id}'"));
                reuse_from_backup(self.state, &plan.old_image_bp, &dir, &id)?;
            }
            None => {}
        }
        if matches!(contents, Some(Contents::Parked | Contents::FromBackup)) {
            // The previous image's SBOM files come back with the contents, unless rewritten.
            for sbom in sbom_files(&plan.old_image_bp, &layer.name)? {
                let target = plan.live.join(sbom.file_name().expect("files have names"));
                if !fsutil::exists(&target) {
                    fs::copy(&sbom, &target)
                        .with_context(|| format!("restoring {}", sbom.display()))?;
                }
            }
        }
        let cached = layer.types.cache && dir.is_dir();
        if layer.types.cache {
            self.log.push(if cached {
                format!("Adding cache layer '{id}'")
            } else {
                format!("Warning: Failed to cache layer '{id}' because it has no contents")
            });
        }
        if !layer.types.launch && !cached {
            return Ok(());
        }
        let previous = match read_file_list(&self.old_cache_bp(plan), &layer.name)? {
            Some(list) => list,
            None => read_file_list(&plan.old_image_bp, &layer.name)?.unwrap_or_default(),
        };
        let entries = manifest::scan(&dir, &previous)?;
        self.state.backup().add(&dir, &entries, &mut self.held)?;
        self.keep
            .extend(entries.iter().filter_map(|e| match e.kind {
                Kind::File { id, .. } => Some(id.ino),
                _ => None,
            }));
        let list = manifest::encode(&entries);
        if cached {
            save_layer(&plan.live, cache_bp, layer, &list)?;
        }
        if layer.types.launch {
            save_layer(&plan.live, image_bp, layer, &list)?;
            let target = Path::new("../../../layers")
                .join(plan.bp.escaped_id())
                .join(&layer.name);
            let link = image_bp.join(&layer.name);
            std::os::unix::fs::symlink(&target, &link)
                .with_context(|| format!("linking {}", link.display()))?;
        }
        Ok(())
    }
}

/// Puts a launch layer of the previous image back from `backup/`.
fn reuse_from_backup(state: &State, old_image_bp: &Path, dir: &Path, id: &str) -> Result<()> {
    let name = dir
        .file_name()
        .expect("layer dirs have names")
        .to_string_lossy();
    let entries = read_file_list(old_image_bp, &name)?.expect("checked before");
    match state.backup().check_and_repair(dir, &entries)? {
        crate::backup::Checked::Changed(path) => bail!(
            "layer '{id}' is launch=true but has no contents, and the previous image's were \
             changed ({} has other bytes, in place, or its saved copy is gone)",
            path.display()
        ),
        _ => Ok(()),
    }
}

/// Writes a layer's toml (as the build left it), SBOM files and file list into an index.
fn save_layer(live: &Path, index: &Path, layer: &Layer, list: &[u8]) -> Result<()> {
    layers::copy_layer_files(live, index, &layer.name, true)?;
    let path = layers::file_list_path(index, &layer.name);
    fs::write(&path, list).with_context(|| format!("writing {}", path.display()))
}

/// `launch.toml`, `store.toml` and the `launch.sbom.*` files of a buildpack.
fn copy_launch_files(live: &Path, image_bp: &Path) -> Result<()> {
    let mut paths: Vec<PathBuf> = ["launch.toml", "store.toml"]
        .iter()
        .map(|n| live.join(n))
        .collect();
    paths.extend(sbom_files(live, "launch")?);
    for path in paths.into_iter().filter(|p| p.is_file()) {
        let target = image_bp.join(path.file_name().expect("files have names"));
        fs::copy(&path, &target).with_context(|| format!("exporting {}", path.display()))?;
    }
    Ok(())
}

fn write_group(image: &Path, buildpacks: &[Buildpack]) -> Result<()> {
    let group = Group {
        buildpacks: buildpacks
            .iter()
            .map(|bp| GroupEntry {
                id: bp.id.clone(),
                version: bp.version.clone(),
            })
            .collect(),
    };
    let path = image.join("group.toml");
    fs::write(&path, toml::to_string(&group)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// Renames `new` to `current`, replacing it.
fn replace_dir(new: &Path, current: &Path) -> Result<()> {
    let old = current.with_extension("old");
    fsutil::remove_all(&old)?;
    if fsutil::exists(current) {
        fs::rename(current, &old).with_context(|| format!("moving away {}", current.display()))?;
    }
    fs::rename(new, current).with_context(|| format!("moving {} into place", new.display()))?;
    fsutil::remove_all(&old)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launch_contents_prefer_the_build_then_the_parked_then_the_backup() {
        assert_eq!(launch_contents(true, true, true), Some(Contents::Added));
        assert_eq!(launch_contents(false, true, true), Some(Contents::Parked));
        assert_eq!(
            launch_contents(false, false, true),
            Some(Contents::FromBackup)
        );
        assert_eq!(launch_contents(false, false, false), None);
    }
}
