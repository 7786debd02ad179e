//! pip's settings from the build environment: the ones left out of pip's env (they would install
//! outside the virtual environment), the ones that do not change what pip installs, and the
//! inputs of the `venv-settings` fingerprint (the rest of the `PIP_*` variables, the pip config
//! files pip would read, and the contents of local `PIP_FIND_LINKS` folders, fingerprinted when
//! the plan is carried out).

use crate::package_managers::local_sources::{self, LocalSource};
use crate::redact::redact_urls;
use libcnb::Env;
use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

/// pip settings that would install outside the virtual environment, or refuse to run outside
/// one (pip itself runs with the runtime's Python). Removed from pip's env.
const UNSUPPORTED_PIP_SETTINGS: [&str; 6] = [
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_ROOT",
    "PIP_USER",
    "PIP_PYTHON",
    "PIP_REQUIRE_VIRTUALENV",
];

/// pip settings that change how pip runs, but not what it installs: changing them does not
/// recreate the virtual environment. Every other `PIP_*` variable does (index URLs, find-links,
/// `--pre`, binary/source choices, constraints, config files...).
const NEUTRAL_PIP_SETTINGS: [&str; 18] = [
    "PIP_CACHE_DIR",
    "PIP_NO_CACHE_DIR",
    "PIP_CERT",
    "PIP_CLIENT_CERT",
    "PIP_PROXY",
    "PIP_TIMEOUT",
    "PIP_DEFAULT_TIMEOUT",
    "PIP_RETRIES",
    "PIP_RESUME_RETRIES",
    "PIP_KEYRING_PROVIDER",
    "PIP_NO_INPUT",
    "PIP_PROGRESS_BAR",
    "PIP_NO_COLOR",
    "PIP_VERBOSE",
    "PIP_QUIET",
    "PIP_LOG",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_ROOT_USER_ACTION",
];

/// `env` without the pip settings that would install outside the target environment.
pub(crate) fn without_unsupported_pip_settings(env: &Env) -> Env {
    let mut kept = Env::new();
    for (name, value) in env {
        if !UNSUPPORTED_PIP_SETTINGS
            .iter()
            .any(|unsupported| name == unsupported)
        {
            kept.insert(name, value);
        }
    }
    kept
}

/// The env pip runs with: the build env (with the user's index, certificate and proxy settings),
/// the cache layer as `PIP_CACHE_DIR`, and without settings that would install elsewhere.
pub(crate) fn pip_env(build_env: &Env, cache_dir: &Path) -> Env {
    let mut env = without_unsupported_pip_settings(build_env);
    env.insert("PIP_CACHE_DIR", cache_dir);
    if !env.contains_key("PIP_ROOT_USER_ACTION") {
        // Builds may run as root (locally); a venv is exactly what pip's warning asks for.
        env.insert("PIP_ROOT_USER_ACTION", "ignore");
    }
    env
}

/// The `PIP_*` variables of `env` that can change what pip installs.
pub(crate) fn pip_settings(env: &Env) -> BTreeSet<String> {
    env.iter()
        .map(|(name, _)| name.to_string_lossy().to_string())
        .filter(|name| name.starts_with("PIP_") && !NEUTRAL_PIP_SETTINGS.contains(&name.as_str()))
        .collect()
}

/// The pip config files pip would read (see [`config_files`]) that `read` finds, with their
/// contents.
pub(crate) fn read_config_files(
    env: &Env,
    app_dir: &Path,
    read: &mut dyn FnMut(&Path) -> io::Result<Vec<u8>>,
) -> Vec<(PathBuf, Vec<u8>)> {
    config_files(env, app_dir)
        .into_iter()
        .filter_map(|file| read(&file).ok().map(|contents| (file, contents)))
        .collect()
}

/// The config files as settings, for the `venv-settings` fingerprints (setting as shown →
/// contents), with the credentials in them redacted.
pub(crate) fn config_file_settings(files: &[(PathBuf, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    files
        .iter()
        .map(|(file, contents)| {
            (
                format!("the pip config file {}", file.display()),
                redact_urls(&String::from_utf8_lossy(contents)).into_bytes(),
            )
        })
        .collect()
}

/// The local folders of `PIP_FIND_LINKS`: their contents are settings too.
pub(crate) fn find_links_folders(env: &Env) -> Vec<LocalSource> {
    let find_links = env.get_string_lossy("PIP_FIND_LINKS").unwrap_or_default();
    find_links
        .split_whitespace()
        .filter(|target| local_sources::is_local_path(target) || target.starts_with("file://"))
        .map(|target| LocalSource {
            name: target.to_string(),
            path: target.trim_start_matches("file://").to_string(),
            editable: false,
        })
        .collect()
}

/// The `folders` of `PIP_FIND_LINKS` as settings, by their contents.
pub(crate) fn find_links_settings(
    app_dir: &Path,
    folders: &[LocalSource],
) -> Vec<(String, Vec<u8>)> {
    local_sources::fingerprints(app_dir, folders)
        .into_iter()
        .map(|(folder, fingerprint)| {
            (
                format!("the PIP_FIND_LINKS folder {folder}"),
                fingerprint.into_bytes(),
            )
        })
        .collect()
}

/// The config files pip reads, in its order: site-wide (`XDG_CONFIG_DIRS`, `/etc`), per user
/// (`~/.pip`, `XDG_CONFIG_HOME` or `~/.config`), then `PIP_CONFIG_FILE`.
pub(crate) fn config_files(env: &Env, app_dir: &Path) -> Vec<PathBuf> {
    let var = |name: &str| env.get_string_lossy(name).filter(|value| !value.is_empty());
    let mut files = Vec::new();
    let xdg_dirs = var("XDG_CONFIG_DIRS").unwrap_or_else(|| "/etc/xdg".to_string());
    for dir in xdg_dirs.split(':').filter(|dir| !dir.is_empty()) {
        files.push(Path::new(dir).join("pip/pip.conf"));
    }
    files.push(PathBuf::from("/etc/pip.conf"));
    if let Some(home) = var("HOME") {
        files.push(Path::new(&home).join(".pip/pip.conf"));
    }
    let config_home =
        var("XDG_CONFIG_HOME").or_else(|| var("HOME").map(|home| format!("{home}/.config")));
    if let Some(config_home) = config_home {
        files.push(Path::new(&config_home).join("pip/pip.conf"));
    }
    if let Some(file) = var("PIP_CONFIG_FILE") {
        files.push(app_dir.join(file));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::env;

    #[test]
    fn pip_env_sets_the_cache_and_drops_settings_that_install_elsewhere() {
        let env = pip_env(
            &env(&[
                ("PIP_TARGET", "/tmp/t"),
                ("PIP_USER", "1"),
                ("PIP_INDEX_URL", "https://i/simple"),
            ]),
            Path::new("/layers/pip-cache"),
        );
        assert_eq!(
            env.get_string_lossy("PIP_CACHE_DIR").as_deref(),
            Some("/layers/pip-cache")
        );
        assert_eq!(
            env.get_string_lossy("PIP_ROOT_USER_ACTION").as_deref(),
            Some("ignore")
        );
        assert_eq!(
            env.get_string_lossy("PIP_INDEX_URL").as_deref(),
            Some("https://i/simple")
        );
        assert!(!env.contains_key("PIP_TARGET"));
        assert!(!env.contains_key("PIP_USER"));
    }

    #[test]
    fn settings_are_the_pip_variables_that_change_what_is_installed() {
        let settings = pip_settings(&env(&[
            ("PIP_INDEX_URL", "https://u:secret@i/simple"),
            ("PIP_CERT", "/ca.pem"),
            ("PIP_DEFAULT_TIMEOUT", "60"),
            ("TOKEN", "t0k"),
            ("HOME", "/home"),
        ]));
        assert_eq!(settings, BTreeSet::from(["PIP_INDEX_URL".to_string()]));
    }

    #[test]
    fn config_files_and_find_links_folders_are_inputs_without_credentials() {
        let home = tempfile::tempdir().unwrap();
        let app = tempfile::tempdir().unwrap();
        let vars = |extra: &[(&str, &str)]| {
            let mut vars = vec![
                ("HOME", home.path().to_str().unwrap()),
                ("XDG_CONFIG_DIRS", "/nonexistent"),
            ];
            vars.extend_from_slice(extra);
            env(&vars)
        };
        let settings_inputs = |env: &Env, app_dir: &Path| {
            let files = read_config_files(env, app_dir, &mut |path| std::fs::read(path));
            let mut inputs = config_file_settings(&files);
            inputs.extend(find_links_settings(app_dir, &find_links_folders(env)));
            inputs
        };
        let before = settings_inputs(&vars(&[]), app.path());
        std::fs::create_dir_all(home.path().join(".config/pip")).unwrap();
        let conf = home.path().join(".config/pip/pip.conf");
        std::fs::write(
            &conf,
            "[global]\nindex-url = https://u:pw-first@i.example/simple\n",
        )
        .unwrap();
        let with_config = settings_inputs(&vars(&[]), app.path());
        assert_ne!(before, with_config);
        // A rotated password is not a change; another index is.
        std::fs::write(
            &conf,
            "[global]\nindex-url = https://u:pw-second@i.example/simple\n",
        )
        .unwrap();
        assert_eq!(with_config, settings_inputs(&vars(&[]), app.path()));
        std::fs::write(
            &conf,
            "[global]\nindex-url = https://other.example/simple\n",
        )
        .unwrap();
        assert_ne!(with_config, settings_inputs(&vars(&[]), app.path()));
        let label = format!("the pip config file {}", conf.display());
        let (_, contents) = with_config
            .iter()
            .find(|(setting, _)| *setting == label)
            .unwrap();
        assert!(!String::from_utf8_lossy(contents).contains("pw-first"));

        std::fs::create_dir_all(app.path().join("wheels")).unwrap();
        std::fs::write(app.path().join("wheels/a-1.0-py3-none-any.whl"), "a").unwrap();
        let find_links = [("PIP_FIND_LINKS", "wheels https://x.example/links")];
        let with_folder = settings_inputs(&vars(&find_links), app.path());
        std::fs::write(app.path().join("wheels/a-1.0-py3-none-any.whl"), "b").unwrap();
        assert_ne!(with_folder, settings_inputs(&vars(&find_links), app.path()));
    }
}
