//! After every buildpack built successfully: the new image and cache, as the lifecycle's
//! exporter makes them, without copying layers.
//!
//! The layers stay in `layers/`; the export writes new indexes (`image.new/`, `cache.new/`:
//! `<name>.toml`, SBOMs and the file list of each exported layer, `launch.toml`, `store.toml`,
//! `group.toml`, `users.toml`), links the files it has not seen before into `backup/`, and
//! renames the indexes into place. A launch layer left as a toml without a directory gets the
//! previous image's contents back: moved back from `parked/`. Then what only the previous image
//! needed (its parked layers and workspace, backup files no index lists) is removed. A failed
//! build never gets here, so the previous image and cache stay as they were.
//!
//! As it lists each saved layer and the workspace, the export leaves them as the lifecycle's
//! tar writer would put them in the image and the cache (`manifest::scan_for_export`): every
//! entry with the time 1980-01-01T00:00:01Z and the build user as owner, and every hard-linked
//! file a file of its own. And as the lifecycle digests every layer it exports and reuses the
//! previous one only when the digest is unchanged, the export compares each layer's content
//! fingerprint (from its file list, which keeps a digest of every file) with the previous
//! image's or cache's, and says `Reusing` or `Adding` ([`ExportedLayer`]).

use crate::buildpack::Buildpack;
use crate::fsutil;
use crate::fsutil::Copied;
use crate::layers::{self, Group, GroupEntry, Layer, read_file_list, read_layers, sbom_files};
use crate::manifest::{self, Entry, FileId, Kind, Normalize};
use crate::state::State;
use crate::times::LayerTimes;
use crate::users::RunAs;
use anyhow::{Context, Result, bail};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The name of the digests of the app's files in the image's index (`image/app-sources.files`).
const APP_SOURCES: &str = "app-sources";

/// What kind of image or cache layer an [`ExportedLayer`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerKind {
    /// A `launch = true` layer of the app image.
    Launch,
    /// A `cache = true` layer of the cache.
    Cache,
    /// The app image's app layer: the workspace.
    App,
}

/// A layer the export saved, and whether the lifecycle would have reused the previous image's
/// (or cache's) layer for it: the same content (paths, types, modes, sizes, bytes, symlink
/// targets; not times, inodes or owners, which the lifecycle's tar writer normalises).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedLayer {
    /// The buildpack's id; empty for the app layer.
    pub buildpack: String,
    /// The layer's name; `app` for the app layer.
    pub name: String,
    pub kind: LayerKind,
    /// The previous image (for [`LayerKind::Launch`] and [`LayerKind::App`]) or cache (for
    /// [`LayerKind::Cache`]) had this layer with the same content.
    pub reused: bool,
    /// The size of its regular files, in bytes.
    pub size: u64,
}

/// What an export did: its log lines and the layers it saved.
#[derive(Debug, Default)]
pub(crate) struct Exported {
    pub(crate) log: Vec<String>,
    pub(crate) layers: Vec<ExportedLayer>,
}

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

/// Saves the image and cache of a successful build; returns lifecycle-style log lines and the
/// saved layers. On error the previous image and cache stay.
pub(crate) fn export(
    state: &State,
    buildpacks: &[Buildpack],
    run_as: &RunAs,
    copied: &[Copied],
) -> Result<Exported> {
    let new_image = state.root().join("image.new");
    let new_cache = state.root().join("cache.new");
    fsutil::remove_all(&new_image)?;
    fsutil::remove_all(&new_cache)?;
    let plans = plan(state, buildpacks)?;
    let mut saver = Saver {
        state,
        held: state.backup().inodes()?,
        keep: HashSet::new(),
        times: LayerTimes::read(&state.layer_times())?,
        owner: run_as.switch.then_some(run_as.build),
        launch_log: Vec::new(),
        cache_log: Vec::new(),
        layers: Vec::new(),
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
    saver.app(&new_image, copied)?;
    write_group(&new_image, buildpacks)?;
    let users = new_image.join("users.toml");
    fs::write(&users, run_as.record()).with_context(|| format!("writing {}", users.display()))?;
    for (new, current) in [
        (new_image, state.image_dir()),
        (new_cache, state.cache_dir()),
    ] {
        replace_dir(&new, &current)?;
    }
    // Every saved layer now has the export's time.
    LayerTimes::default().write(&state.layer_times())?;
    state.backup().retain(&saver.keep)?;
    fsutil::remove_all(&state.parked_dir())?;
    let home = state.launch_home();
    fsutil::remove_all(&home)?;
    run_as.launch_dir(&home)?;
    let mut log = saver.launch_log;
    log.extend(saver.cache_log);
    Ok(Exported {
        log,
        layers: saver.layers,
    })
}

/// `12.3 MiB`: a size as the export's log lines show it.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    #[allow(clippy::cast_precision_loss)] // one decimal shown
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Saves layers into the new indexes and the backup.
struct Saver<'a> {
    state: &'a State,
    /// Inodes in `backup/`.
    held: HashSet<u64>,
    /// Inodes the new indexes list.
    keep: HashSet<u64>,
    /// The time the entries of saved layers carry (before the export gives them its own).
    times: LayerTimes,
    /// The owner of every exported entry (the build user, when the runner is root).
    owner: Option<crate::users::User>,
    /// Lines about the image's layers, then the cache's (the lifecycle's export, then cache).
    launch_log: Vec<String>,
    cache_log: Vec<String>,
    layers: Vec<ExportedLayer>,
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
            Some(Contents::Parked) => {
                let parked = self.state.parked_layer(&plan.bp.escaped_id(), &layer.name);
                fs::rename(&parked, &dir)
                    .with_context(|| format!("moving {} back", parked.display()))?;
            }
            Some(Contents::FromBackup) => {
                let stamp = self.times.get(&plan.bp.escaped_id(), &layer.name);
                reuse_from_backup(self.state, &plan.old_image_bp, &dir, &id, stamp)?;
            }
            Some(Contents::Added) | None => {}
        }
        if matches!(contents, Some(Contents::Parked | Contents::FromBackup)) {
            // The previous image's SBOM files come back with the contents, unless rewritten.
            for sbom in sbom_files(&plan.old_image_bp, &layer.name)? {
                let name = sbom.file_name().context("files have names")?;
                let target = plan.live.join(name);
                if !fsutil::exists(&target) {
                    fs::copy(&sbom, &target)
                        .with_context(|| format!("restoring {}", sbom.display()))?;
                }
            }
        }
        let cached = layer.types.cache && dir.is_dir();
        if layer.types.cache && !cached {
            self.cache_log.push(format!(
                "Warning: Failed to cache layer '{id}' because it has no contents"
            ));
        }
        if !layer.types.launch && !cached {
            return Ok(());
        }
        let old_cache = read_file_list(&self.old_cache_bp(plan), &layer.name)?;
        let old_image = read_file_list(&plan.old_image_bp, &layer.name)?;
        let previous = old_cache.as_ref().or(old_image.as_ref());
        let stamp = self.times.get(&plan.bp.escaped_id(), &layer.name);
        let previous = previous.map_or_else(Vec::new, |p| manifest::with_mtime(p, stamp));
        let normalize = Normalize {
            owner: self.owner,
            held: &self.held,
        };
        let entries = manifest::scan_for_export(&dir, &previous, &normalize)?;
        self.state.backup().add(&dir, &entries, &mut self.held)?;
        self.keep
            .extend(entries.iter().filter_map(|e| match e.kind {
                Kind::File { id, .. } => Some(id.ino),
                _ => None,
            }));
        let list = manifest::encode(&entries);
        let fingerprint = manifest::fingerprint(&entries);
        let size = manifest::size(&entries);
        let same_as = |old: Option<&Vec<Entry>>| {
            old.is_some_and(|old| manifest::fingerprint(old) == fingerprint)
        };
        if cached {
            save_layer(&plan.live, cache_bp, layer, &list)?;
            let reused = same_as(old_cache.as_ref());
            self.record(plan, layer, LayerKind::Cache, reused, size);
        }
        if layer.types.launch {
            save_layer(&plan.live, image_bp, layer, &list)?;
            let target = Path::new("../../../layers")
                .join(plan.bp.escaped_id())
                .join(&layer.name);
            let link = image_bp.join(&layer.name);
            std::os::unix::fs::symlink(&target, &link)
                .with_context(|| format!("linking {}", link.display()))?;
            let reused = same_as(old_image.as_ref());
            self.record(plan, layer, LayerKind::Launch, reused, size);
        }
        Ok(())
    }

    /// Logs and records a saved layer.
    fn record(&mut self, plan: &Plan<'_>, layer: &Layer, kind: LayerKind, reused: bool, size: u64) {
        let id = format!("{}:{}", plan.bp.id, layer.name);
        let verb = if reused { "Reusing" } else { "Adding" };
        let (log, what) = match kind {
            LayerKind::Cache => (&mut self.cache_log, "cache layer"),
            _ => (&mut self.launch_log, "layer"),
        };
        log.push(format!("{verb} {what} '{id}' ({})", human_size(size)));
        self.layers.push(ExportedLayer {
            buildpack: plan.bp.id.clone(),
            name: layer.name.clone(),
            kind,
            reused,
            size,
        });
    }

    /// The app layer: the workspace, normalised like the layers, its fingerprint compared with
    /// the previous image's (kept in `image/app.fingerprint`). Its files are fresh copies of
    /// the app's (`copied`), so their digests are looked up by what the app's files were:
    /// `image/app-sources.files` lists, per app file, what it was when copied and the digest of
    /// the copy, for the copies the build left as they were.
    fn app(&mut self, new_image: &Path, copied: &[Copied]) -> Result<()> {
        let workspace = self.state.workspace_dir();
        let normalize = Normalize {
            owner: self.owner,
            held: &HashSet::new(),
        };
        let sources = read_file_list(&self.state.image_dir(), APP_SOURCES)?.unwrap_or_default();
        let known: HashMap<(&Path, FileId), u64> = sources
            .iter()
            .filter_map(|e| match e.kind {
                Kind::File { id, digest } => Some(((e.path.as_path(), id), digest)),
                _ => None,
            })
            .collect();
        // The copies, as made, with the digests of the app's files they were made from.
        let previous: Vec<Entry> = copied
            .iter()
            .filter_map(|c| {
                let digest = *known.get(&(c.path.as_path(), c.source))?;
                Some(Entry {
                    path: c.path.clone(),
                    kind: Kind::File { id: c.copy, digest },
                })
            })
            .collect();
        let (entries, before) =
            manifest::scan_for_export_with_before(&workspace, &previous, &normalize)?;
        let digests: HashMap<&Path, u64> = entries
            .iter()
            .filter_map(|e| match e.kind {
                Kind::File { digest, .. } => Some((e.path.as_path(), digest)),
                _ => None,
            })
            .collect();
        let sources: Vec<Entry> = copied
            .iter()
            .filter(|c| before.get(&c.path) == Some(&c.copy))
            .filter_map(|c| {
                Some(Entry {
                    path: c.path.clone(),
                    kind: Kind::File {
                        id: c.source,
                        digest: *digests.get(c.path.as_path())?,
                    },
                })
            })
            .collect();
        let path = layers::file_list_path(new_image, APP_SOURCES);
        fs::write(&path, manifest::encode(&sources))
            .with_context(|| format!("writing {}", path.display()))?;
        let fingerprint = format!("{:016x}\n", manifest::fingerprint(&entries));
        let old = fs::read_to_string(self.state.image_dir().join("app.fingerprint")).ok();
        let reused = old.as_deref() == Some(fingerprint.as_str());
        let size = manifest::size(&entries);
        let path = new_image.join("app.fingerprint");
        fs::write(&path, &fingerprint).with_context(|| format!("writing {}", path.display()))?;
        let verb = if reused { "Reusing" } else { "Adding" };
        self.launch_log
            .push(format!("{verb} 1/1 app layer(s) ({})", human_size(size)));
        self.layers.push(ExportedLayer {
            buildpack: String::new(),
            name: "app".to_string(),
            kind: LayerKind::App,
            reused,
            size,
        });
        Ok(())
    }
}

/// Puts a launch layer of the previous image back from `backup/` (its files carrying the time
/// `stamp`).
fn reuse_from_backup(
    state: &State,
    old_image_bp: &Path,
    dir: &Path,
    id: &str,
    stamp: crate::times::Stamp,
) -> Result<()> {
    let name = dir
        .file_name()
        .context("layer dirs have names")?
        .to_string_lossy();
    let entries = read_file_list(old_image_bp, &name)?
        .with_context(|| format!("the previous image has no file list for '{id}'"))?;
    let entries = manifest::with_mtime(&entries, stamp);
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
        let target = image_bp.join(path.file_name().context("files have names")?);
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
