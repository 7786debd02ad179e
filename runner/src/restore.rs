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
//! Everything the build gets belongs to the build user (`users.rs`), and the entries of the
//! cache layers it gets carry the time of the restore, as the lifecycle's extractor leaves them
//! (`times.rs`); the image's layers waiting in `parked/` keep the export's time.

use crate::backup::Checked;
use crate::buildpack::{Buildpack, escape_id};
use crate::fsutil;
use crate::layers::{
    self, Layer, read_file_list, read_group, read_layers, read_store_metadata,
    write_restored_metadata,
};
use crate::manifest::{self, Entry};
use crate::state::State;
use crate::times::{LayerTimes, Stamp};
use crate::users::RunAs;
use anyhow::{Context, Result, bail};
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Parks the image's workspace (a failed build must not lose it) and copies the app to a fresh
/// `workspace/` owned by the build user, leaving out `skip` (the state directory when it is
/// inside the app); returns the copied files.
pub(crate) fn prepare_workspace(
    state: &State,
    app_dir: &Path,
    skip: &[PathBuf],
    run_as: &RunAs,
) -> Result<Vec<fsutil::Copied>> {
    park(
        &state.workspace_dir(),
        &state.parked_workspace(),
        state.has_image(),
    )?;
    let owner = run_as.switch.then_some(run_as.build);
    fsutil::copy_app(app_dir, &state.workspace_dir(), skip, owner)
        .with_context(|| format!("copying the app {} to the workspace", app_dir.display()))
}

/// Moves `live` to `parked` (when `keep`) unless something is parked there already: then
/// `live` is a failed build's, and is removed.
fn park(live: &Path, parked: &Path, keep: bool) -> Result<()> {
    if fsutil::exists(parked) || !keep || !fsutil::exists(live) {
        return fsutil::remove_all(live);
    }
    let parent = parked.parent().context("parked paths have parents")?;
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

/// A saved layer whose live directory is as its file list says (checked or known to be).
struct Saved {
    /// The file list, as saved (files with the export's time).
    entries: Vec<Entry>,
    /// Entries were put back (by the runner, so not owned by the build user).
    repaired: bool,
}

/// Checks a saved layer's live directory against the file list in `index_bp`, its files
/// expected to carry the time `stamp`, repairing it; `Err(why)` when it cannot be put back.
/// Not checked when `layers/` is known to be as exported.
fn check(
    state: &State,
    index_bp: &Path,
    live: &Path,
    name: &str,
    as_exported: bool,
    stamp: Stamp,
) -> Result<Result<Saved, String>> {
    let Some(entries) = read_file_list(index_bp, name)? else {
        return Ok(Err(format!(
            "'{name}' has no file list (saved by an older cnb-runner)"
        )));
    };
    if as_exported {
        return Ok(Ok(Saved {
            entries,
            repaired: false,
        }));
    }
    let expected = manifest::with_mtime(&entries, stamp);
    Ok(match state.backup().check_and_repair(live, &expected)? {
        Checked::Intact => Ok(Saved {
            entries,
            repaired: false,
        }),
        Checked::Repaired => Ok(Saved {
            entries,
            repaired: true,
        }),
        Checked::Changed(path) => Err(format!(
            "'{name}' was changed after it was saved ({} has other bytes, in place, or its saved copy is gone)",
            path.display()
        )),
    })
}

/// Gives the entries of a saved layer (as it is now, matching its file list) the time `to`,
/// and the build user when `chown`, and records that time.
fn restamp(
    live: &Path,
    saved: &Saved,
    to: Stamp,
    chown: bool,
    run_as: &RunAs,
    times: &mut LayerTimes,
    (escaped_bp, name): (&str, &str),
) -> Result<()> {
    let owner = (chown && run_as.switch).then_some(run_as.build);
    manifest::restamp(live, &saved.entries, to, owner)?;
    times.set(escaped_bp, name, to);
    Ok(())
}

/// Recreates `layers/` for a build; returns lifecycle-style log lines. `as_exported`: `layers/`
/// is exactly as the last successful export left it (see [`State::layers_as_exported`]), so the
/// saved layers need no checking.
pub(crate) fn restore(
    state: &State,
    buildpacks: &[Buildpack],
    clear_cache: bool,
    as_exported: bool,
    run_as: &RunAs,
) -> Result<Vec<String>> {
    let mut log = Vec::new();
    let mut times = LayerTimes::read(&state.layer_times())?;
    let handed = if clear_cache {
        Vec::new()
    } else {
        hand_cache(state, buildpacks, as_exported, run_as, &mut times, &mut log)?
    };
    let kept: HashSet<(String, &str)> = handed
        .iter()
        .map(|(bp, layer)| (bp.escaped_id(), layer.name.as_str()))
        .collect();
    park_image_layers(state, &kept, as_exported, run_as, &mut times)?;
    times.write(&state.layer_times())?;
    clear_layers(state, buildpacks, &kept, run_as)?;
    state.clear_launched()?;
    write_restored_files(state, buildpacks, &handed, run_as, &mut log)?;
    Ok(log)
}

/// The cache layers the build gets (all or none), checked, left in place and given the time of
/// the restore (and the build user, when it changed or the runner repaired them).
fn hand_cache<'a>(
    state: &State,
    buildpacks: &'a [Buildpack],
    as_exported: bool,
    run_as: &RunAs,
    times: &mut LayerTimes,
    log: &mut Vec<String>,
) -> Result<Vec<(&'a Buildpack, Layer)>> {
    let mut handed = Vec::new();
    for bp in buildpacks {
        let index = state.cache_dir().join("layers").join(bp.escaped_id());
        for layer in read_layers(&index)?.into_iter().filter(|l| l.types.cache) {
            handed.push((bp, layer));
        }
    }
    let mut checked = Vec::new();
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
        let stamp = times.get(&bp.escaped_id(), &layer.name);
        match check(state, &index, &live, &layer.name, as_exported, stamp)? {
            Ok(saved) => checked.push(saved),
            Err(why) => {
                log.push(format!("Not restoring the cache: layer {why}"));
                fsutil::remove_all(&state.cache_dir())?;
                return Ok(Vec::new());
            }
        }
    }
    // Layers saved by another build user change owner.
    let owner_changed = run_as.switch
        && RunAs::read_record(&state.users_record())?.map(|(build, _)| build) != Some(run_as.build);
    // What the lifecycle's extractor leaves: entries with the time of the restore.
    let restored_at = Stamp::now();
    for ((bp, layer), saved) in handed.iter().zip(&checked) {
        let escaped = bp.escaped_id();
        let live = state.layers_dir().join(&escaped).join(&layer.name);
        let chown = owner_changed || saved.repaired;
        let key = (escaped.as_str(), layer.name.as_str());
        restamp(&live, saved, restored_at, chown, run_as, times, key)?;
    }
    Ok(handed)
}

/// Moves the image's launch layers that the build does not get (not in `kept`) out of
/// `layers/`, with the export's time; marks the image broken when one cannot be put back.
fn park_image_layers(
    state: &State,
    kept: &HashSet<(String, &str)>,
    as_exported: bool,
    run_as: &RunAs,
    times: &mut LayerTimes,
) -> Result<()> {
    let mut broken = Vec::new();
    for ImageLayer { escaped_bp, layer } in image_layers(state)? {
        if kept.contains(&(escaped_bp.clone(), layer.name.as_str())) {
            continue;
        }
        let live = state.layers_dir().join(&escaped_bp).join(&layer.name);
        let parked = state.parked_layer(&escaped_bp, &layer.name);
        if !fsutil::exists(&parked) {
            let index = state.image_dir().join("layers").join(&escaped_bp);
            let stamp = times.get(&escaped_bp, &layer.name);
            match check(state, &index, &live, &layer.name, as_exported, stamp)? {
                Err(why) => {
                    broken.push(format!("layer {why}"));
                    fsutil::remove_all(&live)?;
                    continue;
                }
                Ok(saved) if stamp != Stamp::EXPORT || saved.repaired => {
                    let key = (escaped_bp.as_str(), layer.name.as_str());
                    restamp(&live, &saved, Stamp::EXPORT, true, run_as, times, key)?;
                }
                Ok(_) => {}
            }
        }
        park(&live, &parked, true)?;
    }
    if !broken.is_empty() {
        state.mark_image_broken(&broken)?;
    }
    Ok(())
}

/// Writes what the lifecycle's restorer writes besides layer contents, all the build user's:
/// the tomls (`[metadata]` only) and SBOM files of the handed cache layers and of the image's
/// launch-only layers, and `store.toml`.
fn write_restored_files(
    state: &State,
    buildpacks: &[Buildpack],
    handed: &[(&Buildpack, Layer)],
    run_as: &RunAs,
    log: &mut Vec<String>,
) -> Result<()> {
    for bp in buildpacks {
        let live = state.layers_dir().join(bp.escaped_id());
        let image_bp = state.image_dir().join("layers").join(bp.escaped_id());
        let cache_bp = state.cache_dir().join("layers").join(bp.escaped_id());
        let mut written = Vec::new();
        for layer in read_layers(&image_bp)? {
            if layer.types.launch && !layer.types.build && !layer.types.cache {
                log.push(format!(
                    "Restoring metadata for \"{}:{}\" from app image",
                    bp.id, layer.name
                ));
                let toml = live.join(format!("{}.toml", layer.name));
                write_restored_metadata(&toml, layer.metadata.as_ref())?;
                written.push(toml);
                // The lifecycle restores launch layers' SBOMs from the image's SBOM layer.
                written.extend(layers::copy_layer_files(
                    &image_bp,
                    &live,
                    &layer.name,
                    false,
                )?);
            }
        }
        for (_, layer) in handed.iter().filter(|(b, _)| b.id == bp.id) {
            log.push(format!(
                "Restoring data for \"{}:{}\" from cache",
                bp.id, layer.name
            ));
            written.extend(layers::copy_layer_files(
                &cache_bp,
                &live,
                &layer.name,
                false,
            )?);
            let toml = live.join(format!("{}.toml", layer.name));
            write_restored_metadata(&toml, layer.metadata.as_ref())?;
            written.push(toml);
        }
        let store = image_bp.join("store.toml");
        if store.is_file() {
            let restored = live.join("store.toml");
            write_restored_metadata(&restored, read_store_metadata(&store)?.as_ref())?;
            written.push(restored);
        }
        for path in written {
            run_as.give_to_build(&path)?;
        }
    }
    Ok(())
}

/// Empties `layers/` except the directories of the `kept` layers (`(escaped bp, name)`), and
/// creates a directory for every buildpack of the group: all the build user's.
fn clear_layers(
    state: &State,
    buildpacks: &[Buildpack],
    kept: &HashSet<(String, &str)>,
    run_as: &RunAs,
) -> Result<()> {
    let layers_dir = state.layers_dir();
    run_as.build_dir(&layers_dir)?;
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
        run_as.build_dir(&layers_dir.join(bp.escaped_id()))?;
    }
    Ok(())
}

fn read_dir(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    fs::read_dir(dir)
        .and_then(Iterator::collect)
        .with_context(|| format!("reading {}", dir.display()))
}

/// Puts the image back into `layers/` and `workspace/` after a build that did not export (a
/// no-op otherwise): parked layers and workspace move back, the others are checked, repaired
/// and given the export's time again. Fails when a layer of the image was lost. Caller holds
/// the lock.
pub(crate) fn put_image_back(state: &State, run_as: &RunAs) -> Result<()> {
    if !state.is_dirty() {
        return Ok(());
    }
    if let Some(why) = state.image_broken() {
        bail!(
            "the image of the last successful build cannot be launched: {why}; a later build \
             changed it before failing. Build again"
        );
    }
    let mut times = LayerTimes::read(&state.layer_times())?;
    for ImageLayer { escaped_bp, layer } in image_layers(state)? {
        let live = state.layers_dir().join(&escaped_bp).join(&layer.name);
        let parked = state.parked_layer(&escaped_bp, &layer.name);
        if fsutil::exists(&parked) {
            fsutil::remove_all(&live)?;
            let parent = live.parent().context("layer paths have parents")?;
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            fs::rename(&parked, &live)
                .with_context(|| format!("moving {} back", parked.display()))?;
        } else {
            let index = state.image_dir().join("layers").join(&escaped_bp);
            let stamp = times.get(&escaped_bp, &layer.name);
            match check(state, &index, &live, &layer.name, false, stamp)? {
                Err(why) => {
                    let why = format!("layer {why}");
                    state.mark_image_broken(std::slice::from_ref(&why))?;
                    times.write(&state.layer_times())?;
                    bail!(
                        "the image of the last successful build cannot be launched: {why}; build again"
                    );
                }
                Ok(saved) => {
                    let key = (escaped_bp.as_str(), layer.name.as_str());
                    restamp(
                        &live,
                        &saved,
                        Stamp::EXPORT,
                        saved.repaired,
                        run_as,
                        &mut times,
                        key,
                    )?;
                }
            }
        }
    }
    times.write(&state.layer_times())?;
    if fsutil::exists(&state.parked_workspace()) {
        fsutil::remove_all(&state.workspace_dir())?;
        fs::rename(state.parked_workspace(), state.workspace_dir())
            .with_context(|| format!("moving {} back", state.parked_workspace().display()))?;
    }
    fsutil::remove_all(&state.parked_dir())?;
    state.mark_clean()
}
