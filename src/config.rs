//! Buildpack configuration read from the platform environment (`pack build --env`).

use crate::BuildpackError;
use crate::python_version::{ParsePythonVersionError, PythonVersionRequest};
use crate::runtime::eol::YearMonth;
use libcnb::Env;
use std::path::PathBuf;
use url::Url;

/// Where a user-supplied runtime manifest lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ManifestLocation {
    Path(PathBuf),
    Url(Url),
}

#[derive(Debug)]
pub(crate) struct BuildConfig {
    /// `BP_PYTHON_RUNTIME_MANIFEST`: replaces the built-in manifest.
    pub(crate) runtime_manifest: Option<ManifestLocation>,
    /// `BP_PYTHON_RUNTIME_MIRROR`: replaces the python-build-standalone download prefix.
    pub(crate) runtime_mirror: Option<Url>,
    /// `BP_PYTHON_VERSION`: overrides every version file of the app.
    pub(crate) python_version: Option<PythonVersionRequest>,
    /// `BP_PYTHON_EOL_DATE`: the month the end-of-life rules are applied at, instead of the
    /// current one.
    pub(crate) eol_date: Option<YearMonth>,
    /// `BP_PYTHON_WEB_PROCESS`: whether the buildpack may give the image a default `web`
    /// process (`true` unless set to `false`).
    pub(crate) web_process: bool,
    /// `BP_PYTHON_DEPENDENCY_GROUPS`: groups to install besides the production dependencies.
    pub(crate) dependency_groups: Vec<String>,
    /// `BP_PYTHON_INSTALLER`: what installs a requirements.txt app's dependencies.
    pub(crate) requirements_installer: RequirementsInstaller,
    /// `BP_PYTHON_CHECK_DEPENDENCIES`: what an inconsistent set of installed packages does.
    pub(crate) dependency_check: DependencyCheck,
    /// The user's platform env, as given to `pack build --env`.
    pub(crate) platform_env: Env,
}

/// What installs the dependencies of a requirements.txt app (`BP_PYTHON_INSTALLER`); the
/// lock-based package managers are not affected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum RequirementsInstaller {
    #[default]
    Pip,
    /// uv's pip interface (`uv pip install`).
    Uv,
}

/// What the dependency check after an install does with requirements that the installed
/// packages do not meet (`BP_PYTHON_CHECK_DEPENDENCIES`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum DependencyCheck {
    /// Prints a warning.
    #[default]
    Warn,
    /// Fails the build.
    Strict,
    /// Skips the check.
    Off,
}

#[derive(Debug, PartialEq, Eq)]
#[allow(
    clippy::enum_variant_names,
    reason = "each names the setting that is invalid"
)]
pub(crate) enum ConfigError {
    InvalidMirrorUrl {
        value: String,
    },
    InvalidManifestLocation {
        value: String,
    },
    InvalidPythonVersion {
        value: String,
        error: ParsePythonVersionError,
    },
    InvalidEolDate {
        value: String,
    },
    InvalidWebProcess {
        value: String,
    },
    InvalidInstaller {
        value: String,
    },
    InvalidDependencyCheck {
        value: String,
    },
}

impl BuildConfig {
    pub(crate) fn from_platform_env(env: &Env) -> Result<Self, BuildpackError> {
        let value = |name: &str| {
            env.get_string_lossy(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let runtime_mirror = value("BP_PYTHON_RUNTIME_MIRROR")
            .map(|v| parse_mirror(&v))
            .transpose()?;
        let runtime_manifest = value("BP_PYTHON_RUNTIME_MANIFEST")
            .map(|v| parse_manifest_location(&v))
            .transpose()?;
        let python_version = value("BP_PYTHON_VERSION")
            .map(|v| {
                v.parse()
                    .map_err(|error| ConfigError::InvalidPythonVersion { value: v, error })
            })
            .transpose()?;
        let eol_date = value("BP_PYTHON_EOL_DATE")
            .map(|v| {
                v.parse()
                    .map_err(|()| ConfigError::InvalidEolDate { value: v })
            })
            .transpose()?;
        let web_process = value("BP_PYTHON_WEB_PROCESS")
            .map(|v| parse_bool(&v).ok_or(ConfigError::InvalidWebProcess { value: v }))
            .transpose()?
            .unwrap_or(true);
        let requirements_installer = value("BP_PYTHON_INSTALLER")
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "pip" => Ok(RequirementsInstaller::Pip),
                "uv" => Ok(RequirementsInstaller::Uv),
                _ => Err(ConfigError::InvalidInstaller { value: v }),
            })
            .transpose()?
            .unwrap_or_default();
        let dependency_check = value("BP_PYTHON_CHECK_DEPENDENCIES")
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "warn" => Ok(DependencyCheck::Warn),
                "strict" => Ok(DependencyCheck::Strict),
                "off" => Ok(DependencyCheck::Off),
                _ => Err(ConfigError::InvalidDependencyCheck { value: v }),
            })
            .transpose()?
            .unwrap_or_default();
        Ok(Self {
            requirements_installer,
            dependency_check,
            runtime_manifest,
            runtime_mirror,
            python_version,
            eol_date,
            web_process,
            dependency_groups: value(crate::dependency_groups::VARIABLE)
                .map(|v| crate::dependency_groups::parse(&v))
                .unwrap_or_default(),
            platform_env: env.clone(),
        })
    }
}

/// `true`/`false` in the usual spellings.
fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_mirror(value: &str) -> Result<Url, ConfigError> {
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https" | "file") => Ok(url),
        _ => Err(ConfigError::InvalidMirrorUrl {
            value: value.to_string(),
        }),
    }
}

fn parse_manifest_location(value: &str) -> Result<ManifestLocation, ConfigError> {
    if value.starts_with("http://") || value.starts_with("https://") {
        return Url::parse(value).map(ManifestLocation::Url).map_err(|_| {
            ConfigError::InvalidManifestLocation {
                value: value.to_string(),
            }
        });
    }
    if let Some(path) = value.strip_prefix("file://") {
        return Ok(ManifestLocation::Path(PathBuf::from(path)));
    }
    if value.contains("://") {
        return Err(ConfigError::InvalidManifestLocation {
            value: value.to_string(),
        });
    }
    Ok(ManifestLocation::Path(PathBuf::from(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_process_switch() {
        let config = |value: Option<&str>| {
            let mut env = Env::new();
            if let Some(value) = value {
                env.insert("BP_PYTHON_WEB_PROCESS", value);
            }
            BuildConfig::from_platform_env(&env)
        };
        assert!(config(None).unwrap().web_process);
        assert!(config(Some("true")).unwrap().web_process);
        assert!(!config(Some("false")).unwrap().web_process);
        assert!(!config(Some(" 0 ")).unwrap().web_process);
        assert!(matches!(
            config(Some("maybe")),
            Err(BuildpackError::Config(ConfigError::InvalidWebProcess { value })) if value == "maybe"
        ));
    }

    #[test]
    fn installer_and_dependency_check_switches() {
        let config = |name: &str, value: &str| {
            let mut env = Env::new();
            env.insert(name, value);
            BuildConfig::from_platform_env(&env)
        };
        let default = BuildConfig::from_platform_env(&Env::new()).unwrap();
        assert_eq!(default.requirements_installer, RequirementsInstaller::Pip);
        assert_eq!(default.dependency_check, DependencyCheck::Warn);
        assert_eq!(
            config("BP_PYTHON_INSTALLER", " UV ")
                .unwrap()
                .requirements_installer,
            RequirementsInstaller::Uv
        );
        assert!(matches!(
            config("BP_PYTHON_INSTALLER", "poetry"),
            Err(BuildpackError::Config(ConfigError::InvalidInstaller { value })) if value == "poetry"
        ));
        assert_eq!(
            config("BP_PYTHON_CHECK_DEPENDENCIES", "strict")
                .unwrap()
                .dependency_check,
            DependencyCheck::Strict
        );
        assert_eq!(
            config("BP_PYTHON_CHECK_DEPENDENCIES", "off")
                .unwrap()
                .dependency_check,
            DependencyCheck::Off
        );
        assert!(matches!(
            config("BP_PYTHON_CHECK_DEPENDENCIES", "yes"),
            Err(BuildpackError::Config(
                ConfigError::InvalidDependencyCheck { .. }
            ))
        ));
    }

    #[test]
    fn mirror_must_be_a_url() {
        assert!(parse_mirror("https://mirror.example/pbs").is_ok());
        assert_eq!(
            parse_mirror("mirror.example/pbs"),
            Err(ConfigError::InvalidMirrorUrl {
                value: "mirror.example/pbs".to_string()
            })
        );
    }

    #[test]
    fn manifest_location_is_a_url_or_a_path() {
        assert_eq!(
            parse_manifest_location("https://x.example/m.jsonl"),
            Ok(ManifestLocation::Url(
                Url::parse("https://x.example/m.jsonl").unwrap()
            ))
        );
        assert_eq!(
            parse_manifest_location("/etc/m.jsonl"),
            Ok(ManifestLocation::Path(PathBuf::from("/etc/m.jsonl")))
        );
        assert_eq!(
            parse_manifest_location("file:///etc/m.jsonl"),
            Ok(ManifestLocation::Path(PathBuf::from("/etc/m.jsonl")))
        );
        assert!(parse_manifest_location("ftp://x/m.jsonl").is_err());
    }

    #[test]
    fn blank_values_are_ignored() {
        let mut env = Env::new();
        env.insert("BP_PYTHON_RUNTIME_MIRROR", "  ");
        let config = BuildConfig::from_platform_env(&env).unwrap();
        assert_eq!(config.runtime_mirror, None);
    }

    #[test]
    fn the_end_of_life_date_is_a_month() {
        let mut env = Env::new();
        env.insert("BP_PYTHON_EOL_DATE", "2029-01");
        let config = BuildConfig::from_platform_env(&env).unwrap();
        assert_eq!(config.eol_date.unwrap().to_string(), "2029-01");
        env.insert("BP_PYTHON_EOL_DATE", "next year");
        assert!(matches!(
            BuildConfig::from_platform_env(&env),
            Err(BuildpackError::Config(ConfigError::InvalidEolDate { .. }))
        ));
    }

    #[test]
    fn python_version_is_parsed() {
        let mut env = Env::new();
        env.insert("BP_PYTHON_VERSION", " 3.13t\n");
        let config = BuildConfig::from_platform_env(&env).unwrap();
        assert_eq!(config.python_version.unwrap().to_string(), "3.13t");
        env.insert("BP_PYTHON_VERSION", "python-3.13");
        assert!(matches!(
            BuildConfig::from_platform_env(&env),
            Err(BuildpackError::Config(ConfigError::InvalidPythonVersion { ref value, .. }))
                if value == "python-3.13"
        ));
    }
}
