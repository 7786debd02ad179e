//! The per-app state directory and its layout.
//!
//! ```text
//! <state>/
//!   lock            exclusive lock held by a build, and by a launch while it prepares
//!   layers/         the live layers dir (CNB_LAYERS_DIR), always at this path; after a
//!                   successful build it holds that build's layers, which are also the contents
//!                   of the image's and the cache's layers (one copy, moved, never duplicated)
//!   workspace/      fresh copy of the app for each build; builds and launches run here
//!   platform/env/   user env files (`--env`)
//!   tmp/            detect build plans, buildpack plans, and `home/`, the build's `HOME`
//!   home/           `HOME` of launched processes (the launch user's), emptied by each
//!                   successful build
//!   buildpacks/     copies of buildpacks the build user cannot read where they are
//!                   (`install.rs`)
//!   image/          the "app image" of the last successful build:
//!     group.toml    buildpacks that built it, in order
//!     users.toml    the build and launch users of its build (`users.rs`)
//!     app.fingerprint, app-sources.files  the app layer's content fingerprint, and the
//!                   digests of the app's files by what they were when copied (`export.rs`)
//!     layers/<bp>/  launch.toml, store.toml, and per launch=true layer: <name>.toml, SBOMs,
//!                   <name>.files (file list) and <name> -> ../../../layers/<bp>/<name>
//!     broken        why the image cannot be launched, if one of its layers was lost
//!   cache/layers/<bp>/  per cache=true layer of the last successful build: <name>.toml, SBOMs,
//!                   <name>.files
//!   backup/<inode>  a hard link to every file of the saved layers (see `backup.rs`)
//!   parked/         while a build runs: the image's workspace and the image's launch layers
//!                   that the build does not get (`parked/layers/<bp>/<name>`)
//!   layers.dirty    present while `layers/` and `workspace/` may not be the image's (a build
//!                   started and has not exported)
//!   layers.launched present when processes were launched since the last restore (they may
//!                   have written to `layers/`)
//!   layers.times    per saved layer whose files do not carry the export's time, the time
//!                   they carry (`times.rs`)
//! ```

use crate::backup::Backup;
use crate::fsutil;
use anyhow::{Context, Result, anyhow};
use std::fs::{self, File};
use std::path::{Path, PathBuf};

/// Where root's default state directories are when its cache directory is not reachable by
/// the build and launch users.
const ROOT_STATE_DIRS: &str = "/var/tmp/cnb-runner";

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
    /// `${XDG_CACHE_HOME:-~/.cache}/cnb-runner/<sanitised absolute app path>-<hash>`; for root,
    /// when that is under a directory others cannot search (`/root` is 0700), where the build
    /// and launch users could not reach it: `/var/tmp/cnb-runner/<...>` instead.
    pub fn default_for_app(app_dir: &Path) -> Result<Self> {
        let app = fs::canonicalize(app_dir)
            .with_context(|| format!("app directory {} not found", app_dir.display()))?;
        let cache_home = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")));
        let root = default_root(
            cache_home.as_deref(),
            crate::users::is_root(),
            &state_dir_name(&app),
        )
        .ok_or_else(|| anyhow!("neither XDG_CACHE_HOME nor HOME is set; pass --state-dir"))?;
        Self::new(root)
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

    pub(crate) fn is_dirty(&self) -> bool {
        fsutil::exists(&self.dirty_marker())
    }

    fn launched_marker(&self) -> PathBuf {
        self.root.join("layers.launched")
    }

    /// Records that processes were launched in `layers/` since the last restore.
    pub(crate) fn mark_launched(&self) -> Result<()> {
        let path = self.launched_marker();
        fs::write(&path, "").with_context(|| format!("writing {}", path.display()))
    }

    /// Whether `layers/` is exactly as the last successful export left it: no build started
    /// since and nothing launched (checking it would find nothing to repair).
    pub(crate) fn layers_as_exported(&self) -> bool {
        !self.is_dirty() && !fsutil::exists(&self.launched_marker())
    }

    pub(crate) fn clear_launched(&self) -> Result<()> {
        fsutil::remove_all(&self.launched_marker())
    }

    /// `layers.times`: the time the entries of saved layers carry when it is not the export's
    /// (see `times.rs`).
    pub(crate) fn layer_times(&self) -> PathBuf {
        self.root.join("layers.times")
    }

    /// `image/users.toml`: the build and launch users of the image's build.
    pub(crate) fn users_record(&self) -> PathBuf {
        self.image_dir().join("users.toml")
    }

    pub(crate) fn backup(&self) -> Backup {
        Backup::new(self.root.join("backup"))
    }

    pub(crate) fn parked_dir(&self) -> PathBuf {
        self.root.join("parked")
    }

    /// Where a launch layer of the image waits while a build runs without it.
    pub(crate) fn parked_layer(&self, escaped_bp: &str, name: &str) -> PathBuf {
        self.parked_dir().join("layers").join(escaped_bp).join(name)
    }

    /// Where the image's workspace waits while a build runs.
    pub(crate) fn parked_workspace(&self) -> PathBuf {
        self.parked_dir().join("workspace")
    }

    /// `HOME` of the build (detect and build): an empty directory of each build's own.
    pub(crate) fn build_home(&self) -> PathBuf {
        self.tmp_dir().join("home")
    }

    /// `HOME` of launched processes.
    pub(crate) fn launch_home(&self) -> PathBuf {
        self.root.join("home")
    }

    fn broken_marker(&self) -> PathBuf {
        self.image_dir().join("broken")
    }

    /// Why the image cannot be launched, when one of its layers was lost.
    pub(crate) fn image_broken(&self) -> Option<String> {
        fs::read_to_string(self.broken_marker()).ok()
    }

    pub(crate) fn mark_image_broken(&self, reasons: &[String]) -> Result<()> {
        let path = self.broken_marker();
        fs::write(&path, reasons.join("\n")).with_context(|| format!("writing {}", path.display()))
    }

    /// Drops a layer from the saved cache, as if the last successful build had not cached it:
    /// the next build does not get it (its contents stay the image's, if it is a launch layer).
    /// An error when the cache has no such layer.
    pub fn forget_cached_layer(&self, buildpack_id: &str, layer: &str) -> Result<()> {
        let _lock = self.lock()?;
        let index = self
            .cache_dir()
            .join("layers")
            .join(crate::buildpack::escape_id(buildpack_id));
        if !index.join(format!("{layer}.toml")).is_file() {
            anyhow::bail!("the cache has no layer '{buildpack_id}:{layer}'");
        }
        let mut paths = crate::layers::sbom_files(&index, layer)?;
        paths.push(index.join(format!("{layer}.toml")));
        paths.push(crate::layers::file_list_path(&index, layer));
        for path in paths {
            fsutil::remove_all(&path)?;
        }
        Ok(())
    }
}

/// `<cache_home>/cnb-runner/<name>`, or for root (`as_root`), when a directory on the way is
/// not searchable by others, `/var/tmp/cnb-runner/<name>`.
fn default_root(cache_home: Option<&Path>, as_root: bool, name: &str) -> Option<PathBuf> {
    match cache_home.map(|dir| dir.join("cnb-runner").join(name)) {
        Some(dir) if !as_root || crate::users::reachable_by_others(&dir) => Some(dir),
        _ if as_root => Some(Path::new(ROOT_STATE_DIRS).join(name)),
        _ => None,
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
    fn roots_default_state_dirs_are_where_the_build_and_launch_users_reach_them() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        fs::set_permissions(home.path(), fs::Permissions::from_mode(0o700)).unwrap(); // as /root
        let cache = home.path().join(".cache");
        assert_eq!(
            default_root(Some(&cache), false, "app-1"),
            Some(cache.join("cnb-runner/app-1"))
        );
        assert_eq!(
            default_root(Some(&cache), true, "app-1"),
            Some(PathBuf::from("/var/tmp/cnb-runner/app-1"))
        );
        assert_eq!(
            default_root(None, true, "app-1"),
            Some(PathBuf::from("/var/tmp/cnb-runner/app-1"))
        );
        assert_eq!(default_root(None, false, "app-1"), None);
        fs::set_permissions(home.path(), fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            default_root(Some(&cache), true, "app-1"),
            Some(cache.join("cnb-runner/app-1"))
        );
    }

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
