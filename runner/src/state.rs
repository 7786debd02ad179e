//! The per-app state directory and its layout.
//!
//! ```text
//! <state>/
//!   lock            exclusive lock held by a build, and by a launch while it prepares
//!   layers/         the live layers dir (CNB_LAYERS_DIR), always at this path
//!   workspace/      fresh copy of the app for each build; builds and launches run here
//!   platform/env/   user env files (`--env`)
//!   tmp/            detect build plans and buildpack plans
//!   cache/layers/   cache=true layers of the last successful build
//!   image/          the "app image" of the last successful build:
//!     group.toml    buildpacks that built it, in order
//!     layers/       launch=true layers (+ <name>.toml, SBOMs), launch.toml, store.toml
//!     workspace/    the workspace as the build left it
//!   layers.dirty    present while `layers/` and `workspace/` may differ from `image/`
//! ```
//! Saved trees (`cache/`, `image/`) share files with `layers/` and `workspace/` through hard
//! links; see the crate docs for what that means for failed builds.

use crate::fsutil::{self, FileMode};
use anyhow::{Context, Result, anyhow};
use std::fs::{self, File};
use std::path::{Path, PathBuf};

/// Paths of a state directory (see the module docs for the layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    root: PathBuf,
}

impl State {
    /// A state directory at `root` (created on first build). A relative path is made absolute
    /// against the current directory.
    pub fn new(root: impl AsRef<Path>) -> Result<Self> {
        let root = std::path::absolute(root.as_ref())
            .with_context(|| format!("making {} absolute", root.as_ref().display()))?;
        Ok(Self { root })
    }

    /// The default state directory of an app:
    /// `${XDG_CACHE_HOME:-~/.cache}/cnb-runner/<sanitised absolute app path>-<hash>`.
    pub fn default_for_app(app_dir: &Path) -> Result<Self> {
        let app = fs::canonicalize(app_dir)
            .with_context(|| format!("app directory {} not found", app_dir.display()))?;
        let cache_home = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .ok_or_else(|| anyhow!("neither XDG_CACHE_HOME nor HOME is set; pass --state-dir"))?;
        Self::new(cache_home.join("cnb-runner").join(state_dir_name(&app)))
    }

    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The live layers dir; a buildpack's layers are in `layers_dir()/<id with / as _>`.
    #[must_use]
    pub fn layers_dir(&self) -> PathBuf {
        self.root.join("layers")
    }

    /// Where builds and launched processes run (a copy of the app).
    #[must_use]
    pub fn workspace_dir(&self) -> PathBuf {
        self.root.join("workspace")
    }

    #[must_use]
    pub fn platform_dir(&self) -> PathBuf {
        self.root.join("platform")
    }

    #[must_use]
    pub fn cache_dir(&self) -> PathBuf {
        self.root.join("cache")
    }

    #[must_use]
    pub fn image_dir(&self) -> PathBuf {
        self.root.join("image")
    }

    pub(crate) fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Whether a build has succeeded (there is an image to launch).
    #[must_use]
    pub fn has_image(&self) -> bool {
        self.image_dir().join("group.toml").is_file()
    }

    /// Takes the state's exclusive lock (blocking), creating the state directory if needed.
    pub(crate) fn lock(&self) -> Result<File> {
        fs::create_dir_all(&self.root)
            .with_context(|| format!("creating state directory {}", self.root.display()))?;
        let path = self.root.join("lock");
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
        Ok(file)
    }

    fn dirty_marker(&self) -> PathBuf {
        self.root.join("layers.dirty")
    }

    pub(crate) fn mark_dirty(&self) -> Result<()> {
        let path = self.dirty_marker();
        fs::write(&path, "").with_context(|| format!("writing {}", path.display()))
    }

    pub(crate) fn mark_clean(&self) -> Result<()> {
        fsutil::remove_all(&self.dirty_marker())
    }

    /// Makes `layers/` and `workspace/` match the image again after a failed build (a no-op when
    /// they already do). Caller holds the lock.
    pub(crate) fn ensure_live_matches_image(&self) -> Result<()> {
        if !fsutil::exists(&self.dirty_marker()) {
            return Ok(());
        }
        for (saved, live) in [
            (self.image_dir().join("layers"), self.layers_dir()),
            (self.image_dir().join("workspace"), self.workspace_dir()),
        ] {
            fsutil::remove_all(&live)?;
            fsutil::copy_tree(&saved, &live, FileMode::HardLink, &[])?;
        }
        self.mark_clean()
    }
}

/// `<absolute path with every character outside [A-Za-z0-9._-] as _>-<hash>`, the path part
/// limited to its last 80 characters.
fn state_dir_name(app: &Path) -> String {
    let text = app.to_string_lossy();
    let sanitised: String = text
        .trim_start_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let tail: String = {
        let chars: Vec<char> = sanitised.chars().collect();
        chars[chars.len().saturating_sub(80)..].iter().collect()
    };
    // FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
    let hash = app
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("{tail}-{:08x}", hash & 0xffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_dir_names_are_sanitised_and_distinct() {
        let a = state_dir_name(Path::new("/home/me/my app/x_y"));
        let b = state_dir_name(Path::new("/home/me/my app/x/y"));
        assert!(a.starts_with("home_me_my_app_x_y-"), "{a}");
        assert!(b.starts_with("home_me_my_app_x_y-"), "{b}");
        assert_ne!(a, b);
        let long = state_dir_name(&Path::new("/").join("d".repeat(300)));
        assert_eq!(long.len(), 80 + 1 + 8);
    }
}
