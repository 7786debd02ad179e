//! Buildpacks where the build user can run them. A packaged buildpack may sit where the build
//! user of a root runner cannot read it (CI clones into `mktemp -d`, mode 0700, and packages
//! into its `target/`); then it is installed under the state directory, `<state>/buildpacks/<id
//! with / as _>`, as the lifecycle has its buildpacks in `/cnb/buildpacks`: hard links when on
//! the same file system and the file itself is readable by the build user, else copies made
//! readable (and executable where the owner could execute). The installed copy is refreshed
//! only when the source changed (a listing of the source's entries is kept next to it).

use crate::buildpack::Buildpack;
use crate::fsutil;
use crate::state::State;
use crate::users::{RunAs, User, allowed, unsearchable_ancestor};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;

/// `buildpacks`, with each one the build user cannot read and run replaced by its installed
/// copy under the state directory.
pub(crate) fn runnable(
    state: &State,
    buildpacks: &[Buildpack],
    run_as: &RunAs,
) -> Result<Vec<Buildpack>> {
    buildpacks
        .iter()
        .map(|bp| {
            if !run_as.switch || runnable_by(&bp.dir, run_as.build)? {
                return Ok(bp.clone());
            }
            let dir = state.root().join("buildpacks").join(bp.escaped_id());
            install(&bp.dir, &dir).with_context(|| {
                format!("installing {} into {}", bp.dir.display(), dir.display())
            })?;
            Ok(Buildpack { dir, ..bp.clone() })
        })
        .collect()
}

/// Whether `user` can reach `dir`, read everything in it and run what its owner could run.
fn runnable_by(dir: &Path, user: User) -> Result<bool> {
    if unsearchable_ancestor(dir, user)?.is_some() {
        return Ok(false);
    }
    let meta = fs::metadata(dir).with_context(|| format!("inspecting {}", dir.display()))?;
    let mut ok = allowed(&meta, user, 0o5);
    if ok {
        fsutil::walk(dir, &mut |_, meta| {
            ok &= if meta.is_dir() {
                allowed(meta, user, 0o5)
            } else if meta.is_file() {
                allowed(meta, user, 0o4) && (meta.mode() & 0o100 == 0 || allowed(meta, user, 0o1))
            } else {
                true
            };
            Ok(ok)
        })?;
    }
    Ok(ok)
}

/// Installs `source` into `dir` unless `dir` is already an install of it as it is now.
fn install(source: &Path, dir: &Path) -> Result<()> {
    let listing = listing(source)?;
    let stamp = dir.with_extension("source");
    if fs::read_to_string(&stamp).is_ok_and(|text| text == listing) && dir.is_dir() {
        return Ok(());
    }
    fsutil::remove_all(dir)?;
    fsutil::remove_all(&stamp)?;
    let parent = dir.parent().context("installed buildpacks have a parent")?;
    fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    fs::set_permissions(parent, fs::Permissions::from_mode(0o755))
        .with_context(|| format!("setting the mode of {}", parent.display()))?;
    let others = User {
        uid: u32::MAX - 1,
        gid: u32::MAX - 1,
    };
    fs::create_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
        .with_context(|| format!("setting the mode of {}", dir.display()))?;
    fsutil::walk(source, &mut |rel, meta| {
        let (from, to) = (source.join(rel), dir.join(rel));
        if meta.is_dir() {
            fs::create_dir(&to)?;
            fs::set_permissions(&to, fs::Permissions::from_mode(0o755))?;
        } else if meta.is_symlink() {
            symlink(fs::read_link(&from)?, &to)?;
        } else if meta.is_file() {
            let executable = meta.mode() & 0o100 != 0;
            let readable =
                allowed(meta, others, 0o4) && (!executable || allowed(meta, others, 0o1));
            if !(readable && fs::hard_link(&from, &to).is_ok()) {
                fs::copy(&from, &to)?;
                let mode = meta.mode() & 0o777 | 0o444 | if executable { 0o111 } else { 0 };
                fs::set_permissions(&to, fs::Permissions::from_mode(mode))?;
            }
        }
        Ok(true)
    })?;
    fs::write(&stamp, listing).with_context(|| format!("writing {}", stamp.display()))
}

/// What identifies the entries of `dir` as they are now: path, kind, inode, size, time, mode
/// and symlink target, sorted.
fn listing(dir: &Path) -> Result<String> {
    let mut lines = Vec::new();
    fsutil::walk(dir, &mut |rel, meta| {
        let target = if meta.is_symlink() {
            fs::read_link(dir.join(rel))?.display().to_string()
        } else {
            String::new()
        };
        lines.push(format!(
            "{:?} {:o} {} {} {}.{} {target:?}",
            rel.display().to_string(),
            meta.mode(),
            meta.ino(),
            meta.size(),
            meta.mtime(),
            meta.mtime_nsec()
        ));
        Ok(true)
    })?;
    lines.sort();
    let mut text = format!("{}\n", dir.display());
    for line in lines {
        let _ = writeln!(text, "{line}");
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_once_and_again_when_the_source_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let source = tmp.path().join("bp");
        fs::create_dir_all(source.join("bin")).unwrap();
        fs::write(source.join("bin/build"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(source.join("bin/build"), fs::Permissions::from_mode(0o700)).unwrap();
        symlink("build", source.join("bin/detect")).unwrap();
        fs::write(source.join("buildpack.toml"), "x").unwrap();
        let dir = tmp.path().join("state/buildpacks/bp");
        install(&source, &dir).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().mode() & 0o777;
        // Not readable by others: copied, made readable and executable.
        assert_eq!(mode(&dir.join("bin/build")), 0o755);
        assert_eq!(
            fs::read_link(dir.join("bin/detect")).unwrap(),
            Path::new("build")
        );
        let ino = |p: &Path| fs::metadata(p).unwrap().ino();
        // Readable: a hard link.
        assert_eq!(
            ino(&dir.join("buildpack.toml")),
            ino(&source.join("buildpack.toml"))
        );
        let installed = ino(&dir.join("bin/build"));
        install(&source, &dir).unwrap();
        assert_eq!(
            ino(&dir.join("bin/build")),
            installed,
            "reinstalled unchanged"
        );
        fs::remove_file(source.join("bin/build")).unwrap();
        fs::write(source.join("bin/build"), "#!/bin/sh\necho 2\n").unwrap();
        install(&source, &dir).unwrap();
        assert_eq!(
            fs::read_to_string(dir.join("bin/build")).unwrap(),
            "#!/bin/sh\necho 2\n"
        );
    }
}
