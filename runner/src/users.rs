//! Who runs what, as in a build and a run image. When the runner runs as root, detect and build
//! run as the build user (`CNB_USER_ID:CNB_GROUP_ID`, Paketo's 1001:1000 by default), which
//! owns the layers and the workspace, and launched processes run as a different launch user
//! (Paketo's run image user, 1002:1000), which can read them but not write them. The runner
//! gives the build user everything it creates for the build (`lchown`), makes the state
//! directory reachable, and refuses a state directory under a directory those users cannot
//! search. Not as root, everything runs as the calling user and nothing changes owner.

use anyhow::{Context, Result, anyhow, bail};
use std::fmt;
use std::fs::{self, Metadata};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

/// A user id and its (primary) group id; supplementary groups are dropped when switching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
}

impl User {
    /// The build user of Paketo's build images (`CNB_USER_ID=1001`, `CNB_GROUP_ID=1000`).
    pub const DEFAULT_BUILD: Self = Self {
        uid: 1001,
        gid: 1000,
    };
    /// The user of Paketo's run images: another user, in the same group.
    pub const DEFAULT_LAUNCH: Self = Self {
        uid: 1002,
        gid: 1000,
    };

    /// The user this process runs as (effective ids).
    #[must_use]
    pub fn current() -> Self {
        // SAFETY: geteuid and getegid cannot fail and touch no memory.
        unsafe {
            Self {
                uid: libc::geteuid(),
                gid: libc::getegid(),
            }
        }
    }
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uid, self.gid)
    }
}

impl FromStr for User {
    type Err = anyhow::Error;

    /// `UID:GID`, both numbers.
    fn from_str(text: &str) -> Result<Self> {
        let (uid, gid) = text
            .split_once(':')
            .ok_or_else(|| anyhow!("expected UID:GID, got {text:?}"))?;
        Ok(Self {
            uid: uid
                .parse()
                .with_context(|| format!("bad user id in {text:?}"))?,
            gid: gid
                .parse()
                .with_context(|| format!("bad group id in {text:?}"))?,
        })
    }
}

/// Whether this process runs as root (and so can run others as other users).
#[must_use]
pub(crate) fn is_root() -> bool {
    User::current().uid == 0
}

/// The users of a build or launch: the configured ones when the runner is root, else the
/// calling user for both (and no switching, no owner changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RunAs {
    pub(crate) build: User,
    pub(crate) launch: User,
    /// Processes switch users and the runner changes owners (the runner is root).
    pub(crate) switch: bool,
}

impl RunAs {
    pub(crate) fn new(build: User, launch: User) -> Self {
        if is_root() {
            Self {
                build,
                launch,
                switch: true,
            }
        } else {
            let me = User::current();
            Self {
                build: me,
                launch: me,
                switch: false,
            }
        }
    }

    /// The users written to (and read from) `image/users.toml`.
    pub(crate) fn record(&self) -> String {
        format!("build = \"{}\"\nlaunch = \"{}\"\n", self.build, self.launch)
    }

    /// The users recorded by [`RunAs::record`] in `path`; `None` when there is no record.
    pub(crate) fn read_record(path: &Path) -> Result<Option<(User, User)>> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let table: toml::Table =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let user = |key: &str| -> Result<User> {
            table
                .get(key)
                .and_then(toml::Value::as_str)
                .ok_or_else(|| anyhow!("{} has no {key}", path.display()))?
                .parse()
        };
        Ok(Some((user("build")?, user("launch")?)))
    }

    /// Makes `cmd` run as the build user.
    pub(crate) fn as_build(&self, cmd: &mut Command) {
        if self.switch {
            cmd.uid(self.build.uid).gid(self.build.gid);
        }
    }

    /// Makes `cmd` run as the launch user.
    pub(crate) fn as_launch(&self, cmd: &mut Command) {
        if self.switch {
            cmd.uid(self.launch.uid).gid(self.launch.gid);
        }
    }

    /// Gives `path` (not following a symlink) to the build user.
    pub(crate) fn give_to_build(&self, path: &Path) -> Result<()> {
        self.give(path, self.build)
    }

    /// Gives `path` (not following a symlink) to the launch user.
    pub(crate) fn give_to_launch(&self, path: &Path) -> Result<()> {
        self.give(path, self.launch)
    }

    fn give(&self, path: &Path, user: User) -> Result<()> {
        if self.switch {
            lchown(path, user)?;
        }
        Ok(())
    }

    /// Creates the directory `path` (its parent must exist; an existing one is kept) with mode
    /// 0755, owned by the build user.
    pub(crate) fn build_dir(&self, path: &Path) -> Result<()> {
        create_dir(path)?;
        self.give_to_build(path)
    }

    /// Like [`RunAs::build_dir`], for the launch user.
    pub(crate) fn launch_dir(&self, path: &Path) -> Result<()> {
        create_dir(path)?;
        self.give_to_launch(path)
    }

    /// Makes the state directory `root` reachable by the build and launch users: searchable
    /// itself (a `mktemp -d` is 0700), and under directories they can search.
    pub(crate) fn make_reachable(&self, root: &Path) -> Result<()> {
        if !self.switch {
            return Ok(());
        }
        let meta = fs::metadata(root).with_context(|| format!("inspecting {}", root.display()))?;
        let mode = meta.permissions().mode();
        if mode & 0o011 != 0o011 {
            fs::set_permissions(root, fs::Permissions::from_mode(mode | 0o011))
                .with_context(|| format!("making {} searchable", root.display()))?;
        }
        for (user, what) in [(self.build, "build"), (self.launch, "launch")] {
            if let Some(dir) = unsearchable_ancestor(root, user)? {
                bail!(
                    "the state directory {} cannot be reached by the {what} user {user}: {} \
                     (mode {:o}) cannot be searched by it. Use a state directory elsewhere \
                     (--state-dir), or make that directory searchable (chmod o+x)",
                    root.display(),
                    dir.display(),
                    fs::metadata(&dir).map_or(0, |m| m.permissions().mode() & 0o7777)
                );
            }
        }
        Ok(())
    }
}

/// Creates a directory with mode 0755 whatever the umask; an existing one is kept as it is.
fn create_dir(path: &Path) -> Result<()> {
    match fs::create_dir(path) {
        Ok(()) => fs::set_permissions(path, fs::Permissions::from_mode(0o755))
            .with_context(|| format!("setting the mode of {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

/// `lchown(2)`: gives `path` itself (a symlink, not its target) to `user`.
pub(crate) fn lchown(path: &Path, user: User) -> Result<()> {
    std::os::unix::fs::lchown(path, Some(user.uid), Some(user.gid))
        .with_context(|| format!("giving {} to {user}", path.display()))
}

/// Whether `user` may do what `bits` (`0o4` read, `0o2` write, `0o1` search or execute) asks of
/// an entry with `meta`, by its mode bits (owner, else group, else others; no ACLs).
#[must_use]
pub(crate) fn allowed(meta: &Metadata, user: User, bits: u32) -> bool {
    let mode = meta.mode();
    let granted = if meta.uid() == user.uid {
        mode >> 6
    } else if meta.gid() == user.gid {
        mode >> 3
    } else {
        mode
    };
    granted & bits == bits
}

/// The first directory above `path` (from `/` down) that `user` cannot search, if any.
/// `path` must exist.
pub(crate) fn unsearchable_ancestor(path: &Path, user: User) -> Result<Option<PathBuf>> {
    let path = fs::canonicalize(path).with_context(|| format!("resolving {}", path.display()))?;
    let mut ancestors: Vec<&Path> = path.ancestors().skip(1).collect();
    ancestors.reverse();
    for dir in ancestors {
        let meta = fs::metadata(dir).with_context(|| format!("inspecting {}", dir.display()))?;
        if !allowed(&meta, user, 0o1) {
            return Ok(Some(dir.to_path_buf()));
        }
    }
    Ok(None)
}

/// Whether every existing directory on the way to `path` (which may not exist yet) is
/// searchable by others: what a state directory needs so that the build and launch users of
/// a root runner reach it.
#[must_use]
pub(crate) fn reachable_by_others(path: &Path) -> bool {
    let others = User {
        uid: u32::MAX - 1,
        gid: u32::MAX - 1,
    };
    path.ancestors()
        .skip(1)
        .filter_map(|dir| fs::metadata(dir).ok())
        .all(|meta| allowed(&meta, others, 0o1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_parse_and_print_as_uid_colon_gid() {
        let user: User = "1001:1000".parse().unwrap();
        assert_eq!(user, User::DEFAULT_BUILD);
        assert_eq!(user.to_string(), "1001:1000");
        assert!("1001".parse::<User>().is_err());
        assert!("a:1".parse::<User>().is_err());
    }

    #[test]
    fn records_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let run_as = RunAs {
            build: User::DEFAULT_BUILD,
            launch: User::DEFAULT_LAUNCH,
            switch: true,
        };
        let path = dir.path().join("users.toml");
        assert_eq!(RunAs::read_record(&path).unwrap(), None);
        fs::write(&path, run_as.record()).unwrap();
        assert_eq!(
            RunAs::read_record(&path).unwrap(),
            Some((User::DEFAULT_BUILD, User::DEFAULT_LAUNCH))
        );
    }

    #[test]
    fn permissions_by_owner_group_or_others() {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o750)).unwrap();
        let meta = fs::metadata(dir.path()).unwrap();
        let owner = User {
            uid: meta.uid(),
            gid: u32::MAX - 1,
        };
        let group = User {
            uid: u32::MAX - 1,
            gid: meta.gid(),
        };
        let other = User {
            uid: u32::MAX - 1,
            gid: u32::MAX - 1,
        };
        assert!(allowed(&meta, owner, 0o7));
        assert!(allowed(&meta, group, 0o5) && !allowed(&meta, group, 0o2));
        assert!(!allowed(&meta, other, 0o1));
        let inside = dir.path().join("inside");
        fs::create_dir(&inside).unwrap();
        assert_eq!(
            unsearchable_ancestor(&inside, other).unwrap(),
            Some(fs::canonicalize(dir.path()).unwrap())
        );
        assert_eq!(unsearchable_ancestor(&inside, owner).unwrap(), None);
        assert!(!reachable_by_others(&inside.join("state")));
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o751)).unwrap();
        assert!(reachable_by_others(&inside.join("state")));
    }
}
