//! pip's settings, as users already set them for requirements.txt apps (`PIP_*` variables and
//! pip config files), translated into uv's with the same meaning for `BP_PYTHON_INSTALLER=uv`,
//! or refused with the setting's name and what to use instead. Pure: the caller reads the env
//! and the config files.
//!
//! Several indexes keep pip's meaning: pip merges every index and takes the best version of a
//! package from any of them, so with an extra index uv runs with `unsafe-best-match` (unless the
//! build sets `UV_INDEX_STRATEGY` itself, `first-index` being uv's safer default).

use libcnb::Env;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// uv's settings for the install: variables for its env, and arguments for `uv pip install`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct UvSettings {
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) args: Vec<String>,
}

/// A pip setting that uv cannot honour as pip would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RefusedPipSetting {
    /// `PIP_NO_BUILD_ISOLATION`, or `no-build-isolation in /etc/pip.conf`.
    pub(crate) setting: String,
    /// What to do instead.
    pub(crate) instead: String,
}

/// Where a pip setting comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Source {
    Env(String),
    ConfigFile(PathBuf),
}

impl Source {
    fn describe(&self, option: &str) -> String {
        match self {
            Source::Env(name) => name.clone(),
            Source::ConfigFile(file) => {
                format!("{option} in the pip config file {}", file.display())
            }
        }
    }
}

/// pip options that change nothing uv does, or that uv does by itself (its cache, output,
/// timeouts, retries).
const NEUTRAL: [&str; 17] = [
    "cache-dir",
    "no-cache-dir",
    "timeout",
    "default-timeout",
    "retries",
    "resume-retries",
    "no-input",
    "progress-bar",
    "no-color",
    "verbose",
    "quiet",
    "log",
    "disable-pip-version-check",
    "root-user-action",
    "no-warn-script-location",
    "python",
    "require-virtualenv",
];

/// The pip settings of `env` and of the `config_files` (path, contents; in pip's order, later
/// ones winning) as uv settings. `env` names uv settings the build sets itself too, which win
/// over translated ones.
pub(crate) fn translate(
    env: &Env,
    config_files: &[(PathBuf, String)],
) -> Result<UvSettings, RefusedPipSetting> {
    let mut options: BTreeMap<String, (String, Source)> = BTreeMap::new();
    for (file, contents) in config_files {
        for (option, value) in config_file_options(contents) {
            options.insert(option, (value, Source::ConfigFile(file.clone())));
        }
    }
    for (name, value) in env {
        let name = name.to_string_lossy();
        if let Some(option) = name.strip_prefix("PIP_") {
            let option = option.to_ascii_lowercase().replace('_', "-");
            let value = value.to_string_lossy().to_string();
            options.insert(option, (value, Source::Env(name.to_string())));
        }
    }
    let mut settings = UvSettings::default();
    let user_set = |name: &str| env.get(name).is_some();
    for (option, (value, from)) in &options {
        let refuse = |instead: &str| RefusedPipSetting {
            setting: from.describe(option),
            instead: instead.to_string(),
        };
        let words = || value.split_whitespace().map(str::to_string);
        let mut set = |name: &str, value: String| {
            if !user_set(name) {
                settings.env.insert(name.to_string(), value);
            }
        };
        match option.as_str() {
            "index-url" | "i" => set("UV_DEFAULT_INDEX", value.trim().to_string()),
            "extra-index-url" => {
                set("UV_INDEX", words().collect::<Vec<_>>().join(" "));
                set("UV_INDEX_STRATEGY", "unsafe-best-match".to_string());
            }
            "find-links" | "f" => set("UV_FIND_LINKS", words().collect::<Vec<_>>().join(",")),
            "trusted-host" => set("UV_INSECURE_HOST", words().collect::<Vec<_>>().join(" ")),
            "constraint" | "c" => set("UV_CONSTRAINT", words().collect::<Vec<_>>().join(" ")),
            "cert" => set("SSL_CERT_FILE", value.trim().to_string()),
            "client-cert" => set("SSL_CLIENT_CERT", value.trim().to_string()),
            "proxy" => {
                set("HTTPS_PROXY", value.trim().to_string());
                set("HTTP_PROXY", value.trim().to_string());
            }
            "no-index" | "pre" | "require-hashes" | "no-deps" => match switch(value) {
                Some(false) => {}
                Some(true) => match option.as_str() {
                    "no-index" => set("UV_NO_INDEX", "1".to_string()),
                    "pre" => set("UV_PRERELEASE", "allow".to_string()),
                    "require-hashes" => set("UV_REQUIRE_HASHES", "1".to_string()),
                    _ => settings.args.push("--no-deps".to_string()),
                },
                None => {
                    return Err(refuse(&format!(
                        "Set it to 1 (on) or 0 (off): {value:?} is neither"
                    )));
                }
            },
            "no-binary" | "only-binary" => {
                for item in value
                    .split([',', ' ', '\n'])
                    .filter(|item| !item.is_empty())
                {
                    settings.args.push(format!("--{option}"));
                    settings.args.push(item.to_string());
                }
            }
            "keyring-provider" => match value.trim() {
                "disabled" | "subprocess" => set("UV_KEYRING_PROVIDER", value.trim().to_string()),
                _ => {
                    return Err(refuse(
                        "uv runs keyring only as a command: set it to `subprocess` (with \
                         the keyring command on PATH) or `disabled`",
                    ));
                }
            },
            "no-build-isolation" => {
                return Err(refuse(
                    "Set UV_NO_BUILD_ISOLATION=1 instead (pip reads this setting inverted, so \
                     the buildpack does not guess what it means)",
                ));
            }
            "config-file" => {}
            neutral if NEUTRAL.contains(&neutral) => {}
            _ => {
                return Err(refuse(
                    "uv has no setting with the same meaning that the buildpack knows of: unset \
                     it, use uv's own setting (UV_*), or install with pip (unset \
                     BP_PYTHON_INSTALLER)",
                ));
            }
        }
    }
    Ok(settings)
}

/// pip's reading of a boolean setting.
fn switch(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The options of the `[global]` and `[install]` sections of a pip config file (`install`
/// winning), names as pip's long options without dashes (`index_url` → `index-url`), values
/// with continuation lines joined by newlines.
fn config_file_options(contents: &str) -> BTreeMap<String, String> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut section = String::new();
    let mut last: Option<String> = None;
    for line in contents.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(option) = &last
                && let Some(value) = sections
                    .get_mut(&section)
                    .and_then(|options| options.get_mut(option))
            {
                value.push('\n');
                value.push_str(trimmed);
            }
            continue;
        }
        if let Some(name) = trimmed
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            section = name.trim().to_ascii_lowercase();
            last = None;
            continue;
        }
        if let Some((option, value)) = trimmed.split_once(['=', ':']) {
            let option = option.trim().to_ascii_lowercase().replace('_', "-");
            sections
                .entry(section.clone())
                .or_default()
                .insert(option.clone(), value.trim().to_string());
            last = Some(option);
        }
    }
    let mut options = sections.remove("global").unwrap_or_default();
    options.extend(sections.remove("install").unwrap_or_default());
    options
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::env;

    fn uv(vars: &[(&str, &str)]) -> Result<UvSettings, RefusedPipSetting> {
        translate(&env(vars), &[])
    }

    #[test]
    fn indexes_keep_pips_meaning() {
        let settings = uv(&[
            ("PIP_INDEX_URL", "https://u:p@mirror.example/simple"),
            (
                "PIP_EXTRA_INDEX_URL",
                "https://a.example/simple https://b.example/simple",
            ),
        ])
        .unwrap();
        assert_eq!(
            settings.env,
            BTreeMap::from([
                (
                    "UV_DEFAULT_INDEX".to_string(),
                    "https://u:p@mirror.example/simple".to_string()
                ),
                (
                    "UV_INDEX".to_string(),
                    "https://a.example/simple https://b.example/simple".to_string()
                ),
                (
                    "UV_INDEX_STRATEGY".to_string(),
                    "unsafe-best-match".to_string()
                ),
            ])
        );
        // The build's own uv setting wins.
        let own = uv(&[
            ("PIP_EXTRA_INDEX_URL", "https://a.example/simple"),
            ("UV_INDEX_STRATEGY", "first-index"),
        ])
        .unwrap();
        assert!(!own.env.contains_key("UV_INDEX_STRATEGY"));
    }

    #[test]
    fn sources_binaries_and_switches() {
        let settings = uv(&[
            ("PIP_FIND_LINKS", "./wheels https://x.example/links"),
            ("PIP_TRUSTED_HOST", "a.example b.example"),
            ("PIP_CONSTRAINT", "constraints.txt"),
            ("PIP_CERT", "/ca.pem"),
            ("PIP_NO_BINARY", "lxml,pillow"),
            ("PIP_ONLY_BINARY", ":all:"),
            ("PIP_PRE", "1"),
            ("PIP_NO_DEPS", "yes"),
            ("PIP_REQUIRE_HASHES", "off"),
            ("PIP_DEFAULT_TIMEOUT", "60"),
        ])
        .unwrap();
        let get = |name: &str| settings.env.get(name).map(String::as_str);
        assert_eq!(
            get("UV_FIND_LINKS"),
            Some("./wheels,https://x.example/links")
        );
        assert_eq!(get("UV_INSECURE_HOST"), Some("a.example b.example"));
        assert_eq!(get("UV_CONSTRAINT"), Some("constraints.txt"));
        assert_eq!(get("SSL_CERT_FILE"), Some("/ca.pem"));
        assert_eq!(get("UV_PRERELEASE"), Some("allow"));
        assert_eq!(get("UV_REQUIRE_HASHES"), None);
        assert_eq!(
            settings.args,
            [
                "--no-binary",
                "lxml",
                "--no-binary",
                "pillow",
                "--no-deps",
                "--only-binary",
                ":all:"
            ]
        );
    }

    #[test]
    fn settings_without_a_uv_meaning_are_refused_by_name() {
        let refused = uv(&[("PIP_NO_BUILD_ISOLATION", "0")]).unwrap_err();
        assert_eq!(refused.setting, "PIP_NO_BUILD_ISOLATION");
        assert!(refused.instead.contains("UV_NO_BUILD_ISOLATION=1"));
        let unknown = uv(&[("PIP_UPGRADE_STRATEGY", "eager")]).unwrap_err();
        assert_eq!(unknown.setting, "PIP_UPGRADE_STRATEGY");
        assert!(uv(&[("PIP_PRE", "maybe")]).is_err());
        assert!(uv(&[("PIP_KEYRING_PROVIDER", "import")]).is_err());
    }

    #[test]
    fn config_files_count_with_the_environment_winning() {
        let file = PathBuf::from("/etc/pip.conf");
        let contents = "[global]\nindex-url = https://global.example/simple\ntimeout = 60\n\
                        extra_index_url =\n    https://a.example/simple\n    https://b.example/simple\n\
                        [install]\nindex-url = https://install.example/simple\n\
                        [freeze]\nbogus = 1\n";
        let settings = translate(&env(&[]), &[(file.clone(), contents.to_string())]).unwrap();
        assert_eq!(
            settings.env.get("UV_DEFAULT_INDEX").map(String::as_str),
            Some("https://install.example/simple")
        );
        assert_eq!(
            settings.env.get("UV_INDEX").map(String::as_str),
            Some("https://a.example/simple https://b.example/simple")
        );
        let from_env = translate(
            &env(&[("PIP_INDEX_URL", "https://env.example/simple")]),
            &[(file.clone(), contents.to_string())],
        )
        .unwrap();
        assert_eq!(
            from_env.env.get("UV_DEFAULT_INDEX").map(String::as_str),
            Some("https://env.example/simple")
        );
        let refused = translate(
            &env(&[]),
            &[(file, "[global]\nupgrade-strategy = eager\n".to_string())],
        )
        .unwrap_err();
        assert_eq!(
            refused.setting,
            "upgrade-strategy in the pip config file /etc/pip.conf"
        );
    }
}
