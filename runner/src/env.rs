//! Environment variables as the lifecycle computes them: the platform allowlist, user env from
//! `<platform>/env/`, layer root directories (`bin`, `lib`, ...) and layer env files
//! (`env/`, `env.build/`, `env.launch/`, `env.launch/<process>/`).
//!
//! Semantics follow the lifecycle's `env` package: a file name is `NAME[.ACTION]`, where no action
//! or `override` replaces, `default` sets only when unset or empty, `append`/`prepend` join with
//! the content of `NAME.delim` (empty when there is none). As in the lifecycle, the delimiter is
//! left out when the previous value is empty. Files are applied in file-name order;
//! subdirectories and unknown actions are ignored.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

/// Variables that layer root directories are prepended to during a build, and that user env
/// (`<platform>/env/`) is prepended to instead of replacing them.
pub(crate) const BUILD_ROOT_DIRS: [(&str, &[&str]); 4] = [
    ("bin", &["PATH"]),
    ("lib", &["LD_LIBRARY_PATH", "LIBRARY_PATH"]),
    ("include", &["CPATH"]),
    ("pkgconfig", &["PKG_CONFIG_PATH"]),
];

/// Layer root directories prepended at launch.
pub(crate) const LAUNCH_ROOT_DIRS: [(&str, &[&str]); 2] =
    [("bin", &["PATH"]), ("lib", &["LD_LIBRARY_PATH"])];

/// The variables a buildpack or launched process inherits from the runner's own environment.
pub(crate) const ALLOWLIST: [&str; 14] = [
    "PATH",
    "HOME",
    "HOSTNAME",
    "LD_LIBRARY_PATH",
    "LIBRARY_PATH",
    "CPATH",
    "PKG_CONFIG_PATH",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "CNB_STACK_ID",
];

/// `PATH` of a build and of a launched process before the layers' `bin` directories: the
/// standard system directories, as in a build or run image that sets no `PATH` of its own (the
/// Paketo and Heroku images set exactly this).
pub(crate) const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Allowlisted variables that hold the host's paths: neither a build nor a launched process gets
/// them (an image does not have the host's directories).
const HOST_PATHS: [&str; 6] = [
    "PATH",
    "HOME",
    "LD_LIBRARY_PATH",
    "LIBRARY_PATH",
    "CPATH",
    "PKG_CONFIG_PATH",
];

/// An ordered set of environment variables (no implicit inheritance from the process env).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Env(BTreeMap<OsString, OsString>);

impl Env {
    #[must_use]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The allowlisted variables ([`ALLOWLIST`]) that `get` (the environment) has.
    #[must_use]
    pub(crate) fn from_allowlist(get: impl Fn(&str) -> Option<OsString>) -> Self {
        let mut env = Self::new();
        for name in ALLOWLIST {
            if let Some(value) = get(name) {
                env.set(name, value);
            }
        }
        env
    }

    /// A build's base environment, like a build image's: the allowlist of `get` without the
    /// host's paths ([`HOST_PATHS`]), `PATH` = [`SYSTEM_PATH`], and `HOME` an empty directory
    /// of the build's own (no host config files apply, as in a container).
    #[must_use]
    pub(crate) fn for_build(get: impl Fn(&str) -> Option<OsString>, home: &Path) -> Self {
        Self::image(get, home)
    }

    /// A launched process's base environment, like a run image's: the same as a build's
    /// ([`Env::for_build`]), with `HOME` = `home`.
    #[must_use]
    pub(crate) fn for_launch(get: impl Fn(&str) -> Option<OsString>, home: &Path) -> Self {
        Self::image(get, home)
    }

    fn image(get: impl Fn(&str) -> Option<OsString>, home: &Path) -> Self {
        let mut env =
            Self::from_allowlist(|name| get(name).filter(|_| !HOST_PATHS.contains(&name)));
        env.set("PATH", SYSTEM_PATH);
        env.set("HOME", home);
        env
    }

    pub(crate) fn set(&mut self, name: impl Into<OsString>, value: impl Into<OsString>) {
        self.0.insert(name.into(), value.into());
    }

    #[must_use]
    pub(crate) fn get(&self, name: impl AsRef<OsStr>) -> Option<&OsStr> {
        self.0.get(name.as_ref()).map(OsString::as_os_str)
    }

    /// The value as a (lossy) string, `None` when unset.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn get_str(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| v.to_string_lossy().into_owned())
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.0.iter().map(|(k, v)| (k.as_os_str(), v.as_os_str()))
    }

    /// Sets `name` to `value` + `delim` + old value (no delimiter when the old value is empty).
    pub(crate) fn prepend(&mut self, name: &OsStr, value: &OsStr, delim: &OsStr) {
        let mut new = value.to_os_string();
        if let Some(old) = self.get(name).filter(|old| !old.is_empty()) {
            new.push(delim);
            new.push(old);
        }
        self.set(name, new);
    }

    /// Sets `name` to old value + `delim` + `value` (no delimiter when the old value is empty).
    pub(crate) fn append(&mut self, name: &OsStr, value: &OsStr, delim: &OsStr) {
        let mut new = self
            .get(name)
            .filter(|old| !old.is_empty())
            .map(|old| {
                let mut s = old.to_os_string();
                s.push(delim);
                s
            })
            .unwrap_or_default();
        new.push(value);
        self.set(name, new);
    }

    /// Prepends each existing `<layer>/<dir>` to its variables, delimited by `:`.
    pub(crate) fn add_root_dirs(&mut self, layer_dir: &Path, root_dirs: &[(&str, &[&str])]) {
        for (dir, names) in root_dirs {
            let path = layer_dir.join(dir);
            if path.is_dir() {
                for name in *names {
                    self.prepend(OsStr::new(name), path.as_os_str(), OsStr::new(":"));
                }
            }
        }
    }

    /// Applies an env directory (`<layer>/env`, `env.build`, ...). A missing directory is a no-op.
    pub(crate) fn apply_env_dir(&mut self, dir: &Path) -> Result<()> {
        for (file_name, value) in read_env_files(dir)? {
            let file_name = file_name.as_bytes();
            let (name, action) = match file_name.iter().position(|b| *b == b'.') {
                Some(i) => (&file_name[..i], &file_name[i + 1..]),
                None => (file_name, &b""[..]),
            };
            let name = OsStr::from_bytes(name);
            match action {
                b"" | b"override" => self.set(name, value),
                b"default" if self.get(name).is_none_or(OsStr::is_empty) => self.set(name, value),
                b"prepend" => self.prepend(name, &value, &delimiter(dir, name)?),
                b"append" => self.append(name, &value, &delimiter(dir, name)?),
                _ => {}
            }
        }
        Ok(())
    }

    /// Applies user env files (`<platform>/env/NAME`): the path-like variables of
    /// [`BUILD_ROOT_DIRS`] get the user value prepended with `:`, all others are replaced.
    pub(crate) fn apply_platform_env(&mut self, platform_env_dir: &Path) -> Result<()> {
        for (name, value) in read_env_files(platform_env_dir)? {
            let path_like = BUILD_ROOT_DIRS
                .iter()
                .flat_map(|(_, names)| names.iter())
                .any(|n| OsStr::new(n) == name);
            if path_like {
                self.prepend(&name, &value, OsStr::new(":"));
            } else {
                self.set(name, value);
            }
        }
        Ok(())
    }
}

impl<K: Into<OsString>, V: Into<OsString>> FromIterator<(K, V)> for Env {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// `(file name, verbatim content)` of the regular files in `dir`, sorted by name. Missing
/// directory: empty.
fn read_env_files(dir: &Path) -> Result<Vec<(OsString, OsString)>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading env dir {}", dir.display())),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("reading env dir {}", dir.display()))?;
        let path = entry.path();
        if path.is_dir() {
            continue;
        }
        let value =
            fs::read(&path).with_context(|| format!("reading env file {}", path.display()))?;
        files.push((entry.file_name(), OsString::from_vec(value)));
    }
    files.sort();
    Ok(files)
}

fn delimiter(dir: &Path, name: &OsStr) -> Result<OsString> {
    let mut file_name = name.to_os_string();
    file_name.push(".delim");
    let path = dir.join(file_name);
    match fs::read(&path) {
        Ok(bytes) => Ok(OsString::from_vec(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(OsString::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            fs::write(dir.path().join(name), content).unwrap();
        }
        dir
    }

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs.iter().map(|(k, v)| (*k, *v)).collect()
    }

    #[test]
    fn no_suffix_and_override_replace() {
        let dir = env_dir(&[("A", "new-a"), ("B.override", "new-b")]);
        let mut e = env(&[("A", "old"), ("B", "old")]);
        e.apply_env_dir(dir.path()).unwrap();
        assert_eq!(e, env(&[("A", "new-a"), ("B", "new-b")]));
    }

    #[test]
    fn default_only_sets_unset_or_empty() {
        let dir = env_dir(&[("A.default", "d"), ("B.default", "d"), ("C.default", "d")]);
        let mut e = env(&[("A", "kept"), ("B", "")]);
        e.apply_env_dir(dir.path()).unwrap();
        assert_eq!(e, env(&[("A", "kept"), ("B", "d"), ("C", "d")]));
    }

    #[test]
    fn append_and_prepend_use_delim_file_or_nothing() {
        let dir = env_dir(&[
            ("PATH.prepend", "/x/bin"),
            ("FLAGS.append", "-b"),
            ("FLAGS.delim", " "),
            ("NEW.append", "v"),
            ("NEW.delim", ","),
        ]);
        let mut e = env(&[("PATH", "/usr/bin"), ("FLAGS", "-a")]);
        e.apply_env_dir(dir.path()).unwrap();
        // No PATH.delim: the delimiter is empty, even for PATH.
        assert_eq!(e.get_str("PATH").unwrap(), "/x/bin/usr/bin");
        assert_eq!(e.get_str("FLAGS").unwrap(), "-a -b");
        // No previous value: no delimiter.
        assert_eq!(e.get_str("NEW").unwrap(), "v");
    }

    #[test]
    fn files_apply_in_name_order_and_ignore_dirs_and_unknown_suffixes() {
        let dir = env_dir(&[
            ("X.append", "2"),
            ("X.override", "1"),
            ("Y.weird", "no"),
            ("Z.delim", ":"),
        ]);
        fs::create_dir(dir.path().join("W")).unwrap();
        fs::write(dir.path().join("W").join("V"), "nested").unwrap();
        let mut e = Env::new();
        e.apply_env_dir(dir.path()).unwrap();
        // "X.append" sorts before "X.override": append to unset, then override.
        assert_eq!(e, env(&[("X", "1")]));
    }

    #[test]
    fn content_is_verbatim() {
        let dir = env_dir(&[("A", " spaced\n")]);
        let mut e = Env::new();
        e.apply_env_dir(dir.path()).unwrap();
        assert_eq!(e.get_str("A").unwrap(), " spaced\n");
    }

    #[test]
    fn missing_dir_is_a_no_op() {
        let mut e = env(&[("A", "1")]);
        e.apply_env_dir(Path::new("/nonexistent/env")).unwrap();
        assert_eq!(e, env(&[("A", "1")]));
    }

    #[test]
    fn root_dirs_prepend_existing_dirs_only() {
        let layer = tempfile::tempdir().unwrap();
        fs::create_dir(layer.path().join("bin")).unwrap();
        fs::create_dir(layer.path().join("lib")).unwrap();
        let mut e = env(&[("PATH", "/usr/bin")]);
        e.add_root_dirs(layer.path(), &BUILD_ROOT_DIRS);
        let bin = layer.path().join("bin");
        let lib = layer.path().join("lib");
        assert_eq!(
            e.get_str("PATH").unwrap(),
            format!("{}:/usr/bin", bin.display())
        );
        assert_eq!(
            e.get_str("LD_LIBRARY_PATH").unwrap(),
            lib.display().to_string()
        );
        assert_eq!(
            e.get_str("LIBRARY_PATH").unwrap(),
            lib.display().to_string()
        );
        assert_eq!(e.get("CPATH"), None);

        let mut e = Env::new();
        e.add_root_dirs(layer.path(), &LAUNCH_ROOT_DIRS);
        assert_eq!(e.get("LIBRARY_PATH"), None);
        assert!(e.get("LD_LIBRARY_PATH").is_some());
    }

    #[test]
    fn builds_and_launches_get_no_host_paths_and_a_home_of_their_own() {
        let host = |name: &str| -> Option<OsString> {
            match name {
                "PATH" => Some("/host/bin:/usr/bin".into()),
                "HOME" => Some("/root".into()),
                "LD_LIBRARY_PATH" => Some("/host/lib".into()),
                "HTTPS_PROXY" => Some("http://proxy".into()),
                "SECRET" => Some("no".into()),
                _ => None,
            }
        };
        let build = Env::for_build(host, Path::new("/state/tmp/home"));
        assert_eq!(
            build,
            env(&[
                ("HOME", "/state/tmp/home"),
                ("HTTPS_PROXY", "http://proxy"),
                ("PATH", SYSTEM_PATH),
            ])
        );
        let launch = Env::for_launch(host, Path::new("/state/home"));
        assert_eq!(
            launch,
            env(&[
                ("HOME", "/state/home"),
                ("HTTPS_PROXY", "http://proxy"),
                ("PATH", SYSTEM_PATH),
            ])
        );
    }

    #[test]
    fn platform_env_prepends_path_like_and_replaces_others() {
        let dir = env_dir(&[("PATH", "/user/bin"), ("CPATH", "/inc"), ("FOO", "bar")]);
        let mut e = env(&[("PATH", "/usr/bin"), ("FOO", "old")]);
        e.apply_platform_env(dir.path()).unwrap();
        assert_eq!(e.get_str("PATH").unwrap(), "/user/bin:/usr/bin");
        assert_eq!(e.get_str("CPATH").unwrap(), "/inc");
        assert_eq!(e.get_str("FOO").unwrap(), "bar");
    }
}
