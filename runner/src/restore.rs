//! Before a build: the workspace and the layers directory, as the lifecycle's restorer leaves
//! them; and, for launch, the image put back after a build that did not export.
//!
//! The saved layers' contents are already in `layers/` (the last successful build left them
//! there, see `state.rs`), so restoring moves directories instead of copying files:
//! - `cache = true` layers of the last successful build (unless the cache is cleared) stay
//!   where they are, checked against their file lists and repaired from `backup/` when a
//!   failed build or a launched process changed them; `<name>.toml` with only `[metadata]`, and
//!   their SBOM files, come from `cache/`. If any of them cannot be repaired (a saved file was
//!   written in place), the build gets no cache at all: exactly the last export, or nothing.
//! - The image's launch layers that the build does not get are parked (renamed out of
//!   `layers/`), so that a failed build cannot touch them; `launch = true, cache = false,
//!   build = false` ones come back as `<name>.toml` with only `[metadata]`, and their SBOM
//!   files.
//! - Nothing else: everything else in `layers/` is removed. `store.toml` comes from the image.
//!
//! Every `<name>.toml` and `store.toml` is written back as the lifecycle writes it: `[metadata]`
//! only, after a round trip through JSON (numbers as floats, dates as strings: `metadata.rs`).

use crate::backup::Checked;
use crate::buildpack::{Buildpack, escape_id};
use crate::fsutil::{self, FileMode};
use crate::layers::{
    self, Layer, read_file_list, read_group, read_layers, read_store_metadata,
    write_restored_metadata,
};
use crate::state::State;
use anyhow::{Context, Result, bail};
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Parks the image's workspace (a failed build must not lose it) and copies the app to a fresh
/// `workspace/`, leaving out `skip` (the state directory when it is inside the app).
pub(crate) fn prepare_workspace(state: &State, app_dir: &Path, skip: &[PathBuf]) -> Result<()> {
    park(
        &state.workspace_dir(),
        &state.parked_workspace(),
        state.has_image(),
    )?;
    fsutil::copy_tree(app_dir, &state.workspace_dir(), FileMode::Copy, skip)
        .with_context(|| format!("copying the app {} to the workspace", app_dir.display()))
}

/// Moves `live` to `parked` (when `keep`) unless something is parked there already: then
/// `live` is a failed build's, and is removed.
fn park(live: &Path, parked: &Path, keep: bool) -> Result<()> {
    if fsutil::exists(parked) || !keep || !fsutil::exists(live) {
        return fsutil::remove_all(live);
    }
    let parent = parked.parent().expect("parked paths have parents");
    fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    fs::rename(live, parked)
        .with_context(|| format!("moving {} to {}", live.display(), parked.display()))
}

/// A launch layer of the image: its buildpack's escaped id and the layer.
struct ImageLayer {
    escaped_bp: String,
    layer: Layer,
}

/// The launch layers of the image (none without one).
fn image_layers(state: &State) -> Result<Vec<ImageLayer>> {
    if !state.has_image() {
        return Ok(Vec::new());
    }
    let mut all = Vec::new();
    for bp in read_group(&state.image_dir())?.buildpacks {
        let escaped_bp = escape_id(&bp.id);
        let index = state.image_dir().join("layers").join(&escaped_bp);
        for layer in read_layers(&index)?.into_iter().filter(|l| l.types.launch) {
            all.push(ImageLayer {
                escaped_bp: escaped_bp.clone(),
                layer,
            });
        }
    }
    Ok(all)
}

/// Checks a saved layer's live directory against the file list in `index_bp`, repairing it;
/// `Err(why)` when it cannot be put back. Skipped (`Ok`) when `layers/` is known to be as
/// exported.
fn check(
    state: &State,
    index_bp: &Path,
    live: &Path,
    name: &str,
    as_exported: bool,
) -> Result<Result<(), String>> {
    if as_exported {
        return Ok(Ok(()));
    }
    let Some(entries) = read_file_list(index_bp, name)? else {
        return Ok(Err(format!(
            "'{name}' has no file list (saved by an older cnb-runner)"
        )));
    };
    Ok(match state.backup().check_and_repair(live, &entries)? {
        Checked::Intact | Checked::Repaired => Ok(()),
        Checked::Changed(path) => Err(format!(
            "'{name}' was changed after it was saved ({} has other bytes, in place, or its saved copy is gone)",
            path.display()
        )),
    })
}

/// Recreates `layers/` for a build; returns lifecycle-style log lines. `as_exported`: `layers/`
/// is exactly as the last successful export left it (see [`State::layers_as_exported`]), so the
/// saved layers need no checking.
pub(crate) fn restore(
    state: &State,
    buildpacks: &[Buildpack],
    clear_cache: bool,
    as_exported: bool,
) -> Result<Vec<String>> {
    let mut log = Vec::new();
    // The cache layers the build gets, in place.
    let mut handed: Vec<(&Buildpack, Layer)> = Vec::new();
    if !clear_cache {
        for bp in buildpacks {
            let index = state.cache_dir().join("layers").join(bp.escaped_id());
            for layer in read_layers(&index)?.into_iter().filter(|l| l.types.cache) {
                handed.push((bp, layer));
            }
        }
    }
    for (bp, layer) in &handed {
        let index = state.cache_dir().join("layers").join(bp.escaped_id());
        let live = state.layers_dir().join(bp.escaped_id()).join(&layer.name);
        let parked = state.parked_layer(&bp.escaped_id(), &layer.name);
        if fsutil::exists(&parked) {
            // Parked by an earlier build that did not get it (`--clear-cache`): untouched.
            fsutil::remove_all(&live)?;
            fs::rename(&parked, &live)
                .with_context(|| format!("moving {} back", parked.display()))?;
        }
        if let Err(why) = check(state, &index, &live, &layer.name, as_exported)? {
            log.push(format!("Not restoring the cache: layer {why}"));
            fsutil::remove_all(&state.cache_dir())?;
            handed.clear();
            break;
        }
    }
    let kept: HashSet<(String, &str)> = handed
        .iter()
        .map(|(bp, layer)| (bp.escaped_id(), layer.name.as_str()))
        .collect();
    // The image's other launch layers wait outside `layers/`.
    let mut broken = Vec::new();
    for ImageLayer { escaped_bp, layer } in image_layers(state)? {
        if kept.contains(&(escaped_bp.clone(), layer.name.as_str())) {
            continue;
        }
        let live = state.layers_dir().join(&escaped_bp).join(&layer.name);
        let parked = state.parked_layer(&escaped_bp, &layer.name);
        if !fsutil::exists(&parked) {
            let index = state.image_dir().join("layers").join(&escaped_bp);
            if let Err(why) = check(state, &index, &live, &layer.name, as_exported)? {
                broken.push(format!("layer {why}"));
                fsutil::remove_all(&live)?;
                continue;
            }
        }
        park(&live, &parked, true)?;
    }
    if !broken.is_empty() {
        state.mark_image_broken(&broken)?;
    }
    clear_layers(state, buildpacks, &kept)?;
    state.clear_launched()?;
    for bp in buildpacks {
        let live = state.layers_dir().join(bp.escaped_id());
        let image_bp = state.image_dir().join("layers").join(bp.escaped_id());
        let cache_bp = state.cache_dir().join("layers").join(bp.escaped_id());
        for layer in read_layers(&image_bp)? {
            if layer.types.launch && !layer.types.build && !layer.types.cache {
                log.push(format!(
                    "Restoring metadata for \"{}:{}\" from app image",
                    bp.id, layer.name
                ));
                write_restored_metadata(
                    &live.join(format!("{}.toml", layer.name)),
                    layer.metadata.as_ref(),
                )?;
                // The lifecycle restores launch layers' SBOMs from the image's SBOM layer.
                layers::copy_layer_files(&image_bp, &live, &layer.name, false)?;
            }
        }
        for (_, layer) in handed.iter().filter(|(b, _)| b.id == bp.id) {
            log.push(format!(
                "Restoring data for \"{}:{}\" from cache",
                bp.id, layer.name
            ));
            layers::copy_layer_files(&cache_bp, &live, &layer.name, false)?;
            write_restored_metadata(
                &live.join(format!("{}.toml", layer.name)),
                layer.metadata.as_ref(),
            )?;
        }
        let store = image_bp.join("store.toml");
        if store.is_file() {
            write_restored_metadata(
                &live.join("store.toml"),
                read_store_metadata(&store)?.as_ref(),
            )?;
        }
    }
    Ok(log)
}

/// Empties `layers/` except the directories of the `kept` layers (`(escaped bp, name)`), and
/// creates a directory for every buildpack of the group.
fn clear_layers(
    state: &State,
    buildpacks: &[Buildpack],
    kept: &HashSet<(String, &str)>,
) -> Result<()> {
    let layers_dir = state.layers_dir();
    fs::create_dir_all(&layers_dir)
        .with_context(|| format!("creating {}", layers_dir.display()))?;
    for bp_entry in read_dir(&layers_dir)? {
        let bp_dir = bp_entry.path();
        let escaped = bp_entry.file_name().to_string_lossy().into_owned();
        if !bp_dir.is_dir() || bp_dir.is_symlink() || !kept.iter().any(|(b, _)| *b == escaped) {
            fsutil::remove_all(&bp_dir)?;
            continue;
        }
        for entry in read_dir(&bp_dir)? {
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if !(is_dir && kept.contains(&(escaped.clone(), name.as_str()))) {
                fsutil::remove_all(&entry.path())?;
            }
        }
    }
    for bp in buildpacks {
        let dir = layers_dir.join(bp.escaped_id());
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}

fn read_dir(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    fs::read_dir(dir)
        .and_then(Iterator::collect)
        .with_context(|| format!("reading {}", dir.display()))
}

/// Puts the image back into `layers/` and `workspace/` after a build that did not export (a
/// no-op otherwise): parked layers and workspace move back, the others are checked and
/// repaired. Fails when a layer of the image was lost. Caller holds the lock.
pub(crate) fn put_image_back(state: &State) -> Result<()> {
    if !state.is_dirty() {
        return Ok(());
    }
    if let Some(why) = state.image_broken() {
        bail!(
            "the image of the last successful build cannot be launched: {why}; a later build \
             changed it before failing. Build again"
        );
    }
    for ImageLayer { escaped_bp, layer } in image_layers(state)? {
        let live = state.layers_dir().join(&escaped_bp).join(&layer.name);
        let parked = state.parked_layer(&escaped_bp, &layer.name);
        if fsutil::exists(&parked) {
            fsutil::remove_all(&live)?;
            let parent = live.parent().expect("layer paths have parents");
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            fs::rename(&parked, &live)
                .with_context(|| format!("moving {} back", parked.display()))?;
        } else {
            let index = state.image_dir().join("layers").join(&escaped_bp);
            if let Err(why) = check(state, &index, &live, &layer.name, false)? {
                let why = format!("layer {why}");
                state.mark_image_broken(std::slice::from_ref(&why))?;
                bail!(
                    "the image of the last successful build cannot be launched: {why}; build again"
                );
            }
        }
    }
    if fsutil::exists(&state.parked_workspace()) {
        fsutil::remove_all(&state.workspace_dir())?;
        fs::rename(state.parked_workspace(), state.workspace_dir())
            .with_context(|| format!("moving {} back", state.parked_workspace().display()))?;
    }
    fsutil::remove_all(&state.parked_dir())?;
    state.mark_clean()
}
