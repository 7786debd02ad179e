//! Packaged buildpacks (`buildpack.toml` + `bin/detect` + `bin/build`) and the host target.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::fs;
use std::path::{Path, PathBuf};

/// A packaged (runnable) component buildpack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buildpack {
    /// Absolute path of the packaged buildpack directory.
    pub dir: PathBuf,
    pub id: String,
    pub version: String,
    /// `clear-env = true`: user env (`<platform>/env`) is not applied to the process env.
    pub clear_env: bool,
}

#[derive(Deserialize)]
struct Descriptor {
    buildpack: DescriptorBuildpack,
    #[serde(default)]
    order: Vec<toml::Value>,
}

#[derive(Deserialize)]
struct DescriptorBuildpack {
    id: String,
    version: String,
    #[serde(default, rename = "clear-env")]
    clear_env: bool,
}

impl Buildpack {
    /// Reads a packaged buildpack directory (must have `buildpack.toml` and `bin/build`).
    pub fn load(dir: &Path) -> Result<Self> {
        let dir = fs::canonicalize(dir)
            .with_context(|| format!("buildpack directory {} not found", dir.display()))?;
        let descriptor_path = dir.join("buildpack.toml");
        let descriptor: Descriptor = toml::from_str(
            &fs::read_to_string(&descriptor_path)
                .with_context(|| format!("reading {}", descriptor_path.display()))?,
        )
        .with_context(|| format!("parsing {}", descriptor_path.display()))?;
        if !descriptor.order.is_empty() {
            bail!(
                "{} is a composite buildpack; pass its component buildpacks in order instead",
                descriptor_path.display()
            );
        }
        for bin in ["detect", "build"] {
            if !dir.join("bin").join(bin).is_file() {
                bail!(
                    "{} has no bin/{bin}: not a packaged buildpack",
                    dir.display()
                );
            }
        }
        Ok(Self {
            dir,
            id: descriptor.buildpack.id,
            version: descriptor.buildpack.version,
            clear_env: descriptor.buildpack.clear_env,
        })
    }

    /// The buildpack id with `/` replaced by `_`: its directory name under the layers dir.
    #[must_use]
    pub fn escaped_id(&self) -> String {
        escape_id(&self.id)
    }
}

/// A buildpack id with `/` replaced by `_`, as used for directory names.
#[must_use]
pub(crate) fn escape_id(id: &str) -> String {
    id.replace('/', "_")
}

/// The target (`CNB_TARGET_*`) buildpacks are run for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub os: String,
    /// GOARCH naming: `amd64`, `arm64`, ...
    pub arch: String,
    pub arch_variant: Option<String>,
    pub distro_name: String,
    pub distro_version: String,
}

impl Target {
    /// The host: OS and arch of this build of the runner, distro from `/etc/os-release`.
    #[must_use]
    pub fn host() -> Self {
        let (arch, arch_variant) = match std::env::consts::ARCH {
            "x86_64" => ("amd64", None),
            "aarch64" => ("arm64", None),
            "arm" => ("arm", Some("v7")),
            "x86" => ("386", None),
            "powerpc64" => ("ppc64", None),
            "s390x" => ("s390x", None),
            other => (other, None),
        };
        let os_release = fs::read_to_string("/etc/os-release")
            .or_else(|_| fs::read_to_string("/usr/lib/os-release"))
            .unwrap_or_default();
        Self {
            os: std::env::consts::OS.to_string(),
            arch: arch.to_string(),
            arch_variant: arch_variant.map(str::to_string),
            distro_name: os_release_field(&os_release, "ID").unwrap_or_default(),
            distro_version: os_release_field(&os_release, "VERSION_ID").unwrap_or_default(),
        }
    }

    /// The `CNB_TARGET_*` variables; as in the lifecycle, those whose value is empty are left
    /// out (unset, not set to "").
    #[must_use]
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        [
            ("CNB_TARGET_OS", Some(&self.os)),
            ("CNB_TARGET_ARCH", Some(&self.arch)),
            ("CNB_TARGET_ARCH_VARIANT", self.arch_variant.as_ref()),
            ("CNB_TARGET_DISTRO_NAME", Some(&self.distro_name)),
            ("CNB_TARGET_DISTRO_VERSION", Some(&self.distro_version)),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.filter(|v| !v.is_empty())?.clone())))
        .collect()
    }
}

fn os_release_field(content: &str, key: &str) -> Option<String> {
    content.lines().find_map(|line| {
        let (k, v) = line.trim().split_once('=')?;
        (k == key).then(|| v.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_os_release() {
        let content =
            "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\nVERSION_ID=\"13\"\n";
        assert_eq!(os_release_field(content, "ID").as_deref(), Some("debian"));
        assert_eq!(
            os_release_field(content, "VERSION_ID").as_deref(),
            Some("13")
        );
        assert_eq!(os_release_field(content, "NAME"), None);
    }

    #[test]
    fn host_target_uses_goarch_names() {
        let target = Target::host();
        assert_eq!(target.os, "linux");
        assert!(["amd64", "arm64"].contains(&target.arch.as_str()) || !target.arch.is_empty());
        assert_ne!(target.arch, "x86_64");
    }

    #[test]
    fn loads_packaged_buildpack() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("buildpack.toml"),
            "api = \"0.10\"\n[buildpack]\nid = \"acme/x\"\nversion = \"1.2.3\"\nclear-env = true\n",
        )
        .unwrap();
        assert!(Buildpack::load(dir.path()).is_err());
        fs::create_dir(dir.path().join("bin")).unwrap();
        fs::write(dir.path().join("bin/build"), "").unwrap();
        fs::write(dir.path().join("bin/detect"), "").unwrap();
        let bp = Buildpack::load(dir.path()).unwrap();
        assert_eq!((bp.id.as_str(), bp.version.as_str()), ("acme/x", "1.2.3"));
        assert!(bp.clear_env);
        assert_eq!(bp.escaped_id(), "acme_x");
    }
}
