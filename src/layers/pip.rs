//! The `pip` layer: the pip pinned in requirements/pip.txt, which installs the app's dependencies.
//! Build only, so pip never ends up in the app image. It is bootstrapped with the pip wheel that
//! CPython bundles for `ensurepip`, and reused while the pip and Python versions stay the same.

use crate::PythonBuildpack;
use crate::errors::BuildpackError;
use crate::layers::tool::pinned_version;
use crate::package_managers::pip::output::{self, PipFailure};
use crate::python_version::PythonVersion;
use crate::runtime::PythonRuntime;
use bullet_stream::global::print;
use libcnb::Env;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{
    CachedLayerDefinition, InvalidMetadataAction, LayerRef, LayerState, RestoredLayerAction,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `pip==X --hash=…`, installed with `--require-hashes`.
pub(crate) const PIP_REQUIREMENTS: &str = include_str!("../../requirements/pip.txt");

/// The oldest Python the pinned pip supports (its `Requires-Python`).
pub(crate) const PIP_MINIMUM_PYTHON: (u16, u16) = (3, 10);

/// Bump to discard every cached pip layer, e.g. when the layout of the layer changes.
const LAYER_FORMAT: u32 = 1;

/// Where pip's package goes inside the layer: not `bin` or `lib`, which would land on `PATH` and
/// `LD_LIBRARY_PATH` of later build steps.
const PACKAGES_DIR: &str = "packages";

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PipLayerMetadata {
    pub(crate) layer_format: u32,
    pub(crate) pip_version: String,
    /// Its bytecode is compiled for this Python.
    pub(crate) python_version: String,
}

#[derive(Debug)]
pub(crate) enum PipBootstrapError {
    UnsupportedPython {
        python_version: PythonVersion,
        pip_version: String,
    },
    NoBundledPip {
        searched: PathBuf,
    },
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    Spawn(std::io::Error),
    Failed {
        failure: PipFailure,
        output: String,
    },
}

/// The installed pip.
pub(crate) struct Pip {
    package_dir: PathBuf,
}

impl Pip {
    /// `python <layer>/packages/pip`: the pip in the layer, run by `python` (which does not need
    /// to have pip, or to find it on `sys.path`).
    pub(crate) fn command(&self, python: &Path) -> Command {
        let mut command = Command::new(python);
        command.arg(self.package_dir.join("pip"));
        command
    }
}

/// The pip version pinned in requirements/pip.txt.
pub(crate) fn pinned_pip_version() -> &'static str {
    pinned_version(PIP_REQUIREMENTS, "pip")
        .expect("requirements/pip.txt pins pip with == (unit tested)")
}

/// Why a cached pip layer cannot be reused, one reason per changed field.
pub(crate) fn reasons_to_discard(old: &PipLayerMetadata, new: &PipLayerMetadata) -> Vec<String> {
    let mut reasons = Vec::new();
    if old.layer_format != new.layer_format {
        reasons.push("the buildpack's pip layer format changed".to_string());
    }
    if old.pip_version != new.pip_version {
        reasons.push(format!(
            "the pip version changed ({} to {})",
            old.pip_version, new.pip_version
        ));
    }
    if old.python_version != new.python_version {
        reasons.push(format!(
            "the Python version changed ({} to {})",
            old.python_version, new.python_version
        ));
    }
    reasons
}

/// The pip layer, restored from the cache when its pip and Python versions still match.
pub(crate) struct PipLayer {
    layer: LayerRef<PythonBuildpack, (), ()>,
    metadata: PipLayerMetadata,
}

/// Restores the pip layer. Called on every build that installs packages, even when pip ends up
/// not running: a cached layer that a build does not touch is dropped from the cache.
pub(crate) fn restore_pip_layer(
    context: &BuildContext<PythonBuildpack>,
    runtime: &PythonRuntime,
) -> libcnb::Result<PipLayer, BuildpackError> {
    let metadata = PipLayerMetadata {
        layer_format: LAYER_FORMAT,
        pip_version: pinned_pip_version().to_string(),
        python_version: runtime.version.to_string(),
    };
    let layer = context.cached_layer(
        layer_name!("pip"),
        CachedLayerDefinition {
            build: true,
            launch: false,
            invalid_metadata_action: &|_| InvalidMetadataAction::DeleteLayer,
            restored_layer_action: &|old: &PipLayerMetadata, _| {
                if reasons_to_discard(old, &metadata).is_empty() {
                    RestoredLayerAction::KeepLayer
                } else {
                    RestoredLayerAction::DeleteLayer
                }
            },
        },
    )?;
    Ok(PipLayer { layer, metadata })
}

impl PipLayer {
    /// The pinned pip: the cached one, or installed now. `env` is the env pip runs with: it
    /// brings the user's index, certificate and proxy settings.
    pub(crate) fn install(
        &self,
        runtime: &PythonRuntime,
        env: &Env,
    ) -> libcnb::Result<Pip, BuildpackError> {
        let version = &self.metadata.pip_version;
        let pip = Pip {
            package_dir: self.layer.path().join(PACKAGES_DIR),
        };
        if let LayerState::Restored { .. } = self.layer.state {
            print::sub_bullet(format!("Using cached pip {version}"));
            return Ok(pip);
        }
        let requirements_file = self.layer.path().join("pip-requirements.txt");
        std::fs::write(&requirements_file, PIP_REQUIREMENTS).map_err(|error| {
            BuildpackError::PipBootstrap(PipBootstrapError::Io {
                path: requirements_file.clone(),
                error,
            })
        })?;
        let timer = print::sub_start_timer(format!("Installing pip {version}"));
        match bootstrap(runtime, &requirements_file, &pip.package_dir, env) {
            Ok(()) => timer.done(),
            Err(error) => {
                timer.cancel("failed");
                let _ = std::fs::remove_dir_all(&pip.package_dir);
                return Err(BuildpackError::PipBootstrap(error).into());
            }
        }
        // Console scripts whose shebang would need pip on `sys.path`: `Pip::command` is the way.
        let _ = std::fs::remove_dir_all(pip.package_dir.join("bin"));
        // Written last: only a complete install carries metadata that a later build trusts.
        self.layer.write_metadata(self.metadata.clone())?;
        Ok(pip)
    }
}

/// Runs the runtime's bundled pip wheel to install requirements/pip.txt into `target`.
fn bootstrap(
    runtime: &PythonRuntime,
    requirements_file: &Path,
    target: &Path,
    env: &Env,
) -> Result<(), PipBootstrapError> {
    let wheel = bundled_pip_wheel(&runtime.layer_dir)?;
    let output = Command::new(runtime.python())
        .arg(wheel.join("pip"))
        .args(["install", "--require-hashes", "--no-deps"])
        .args([
            "--only-binary",
            ":all:",
            "--no-input",
            "--progress-bar",
            "off",
        ])
        .args(["--disable-pip-version-check", "--no-warn-script-location"])
        .arg("--target")
        .arg(target)
        .arg("--requirement")
        .arg(requirements_file)
        .env_clear()
        // The app's constraints are for the app's packages, not for pip.
        .envs(env.iter().filter(|(name, _)| *name != "PIP_CONSTRAINT"))
        .output()
        .map_err(PipBootstrapError::Spawn)?;
    if output.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Err(PipBootstrapError::Failed {
        failure: output::classify(&text),
        output: output::tail(&text, 15),
    })
}

/// Checks that the pinned pip supports the runtime's Python.
pub(crate) fn check_python_supported(version: &PythonVersion) -> Result<(), BuildpackError> {
    if version.minor_version() < PIP_MINIMUM_PYTHON {
        Err(BuildpackError::PipBootstrap(
            PipBootstrapError::UnsupportedPython {
                python_version: *version,
                pip_version: pinned_pip_version().to_string(),
            },
        ))
    } else {
        Ok(())
    }
}

/// The `pip-*.whl` in `lib/python3.X/ensurepip/_bundled/` of a runtime (pythonX.Yt for
/// free-threaded builds). A wheel is a zip file that Python can run pip from directly.
fn bundled_pip_wheel(runtime_dir: &Path) -> Result<PathBuf, PipBootstrapError> {
    let lib_dir = runtime_dir.join("lib");
    let not_found = || PipBootstrapError::NoBundledPip {
        searched: lib_dir.join("python3.*/ensurepip/_bundled"),
    };
    let mut wheels = Vec::new();
    for entry in std::fs::read_dir(&lib_dir)
        .map_err(|_| not_found())?
        .flatten()
    {
        if !entry.file_name().to_string_lossy().starts_with("python3") {
            continue;
        }
        let bundled = entry.path().join("ensurepip/_bundled");
        for wheel in std::fs::read_dir(&bundled).into_iter().flatten().flatten() {
            let name = wheel.file_name().to_string_lossy().to_string();
            let is_wheel = Path::new(&name)
                .extension()
                .is_some_and(|extension| extension.eq_ignore_ascii_case("whl"));
            if name.starts_with("pip-") && is_wheel {
                wheels.push(wheel.path());
            }
        }
    }
    wheels.sort();
    wheels.pop().ok_or_else(not_found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_version_is_read_from_requirements_pip_txt() {
        assert_eq!(pinned_pip_version(), "26.3");
        assert_eq!(
            pinned_version("# c\npip==1.2.3 --hash=sha256:00\n", "pip"),
            Some("1.2.3")
        );
        assert_eq!(pinned_version("pip>=1\n", "pip"), None);
    }

    #[test]
    fn requirements_pip_txt_is_hashed() {
        assert!(PIP_REQUIREMENTS.contains("--hash=sha256:"));
    }

    #[test]
    fn reasons_name_what_changed() {
        let old = PipLayerMetadata {
            layer_format: LAYER_FORMAT,
            pip_version: "26.2".to_string(),
            python_version: "3.13.5".to_string(),
        };
        assert!(reasons_to_discard(&old, &old).is_empty());
        let new = PipLayerMetadata {
            pip_version: "26.3".to_string(),
            ..old.clone()
        };
        assert_eq!(
            reasons_to_discard(&old, &new),
            vec!["the pip version changed (26.2 to 26.3)"]
        );
    }

    fn version(major: u16, minor: u16) -> PythonVersion {
        PythonVersion {
            major,
            minor,
            patch: 0,
            pre: None,
        }
    }

    #[test]
    fn python_3_9_is_not_supported() {
        assert!(check_python_supported(&version(3, 9)).is_err());
        assert!(check_python_supported(&version(3, 10)).is_ok());
    }

    #[test]
    fn finds_the_bundled_wheel() {
        let dir = tempfile::tempdir().unwrap();
        let bundled = dir.path().join("lib/python3.13/ensurepip/_bundled");
        std::fs::create_dir_all(&bundled).unwrap();
        assert!(bundled_pip_wheel(dir.path()).is_err());
        std::fs::write(bundled.join("pip-25.1.1-py3-none-any.whl"), "").unwrap();
        std::fs::write(bundled.join("setuptools-65.5.0-py3-none-any.whl"), "").unwrap();
        assert_eq!(
            bundled_pip_wheel(dir.path()).unwrap(),
            bundled.join("pip-25.1.1-py3-none-any.whl")
        );
    }
}
