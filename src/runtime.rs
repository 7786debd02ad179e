//! CPython: which build to use, and installing it into the runtime layer.

pub(crate) mod download;
pub(crate) mod eol;
pub(crate) mod layout;
pub(crate) mod manifest;
pub(crate) mod select;

use crate::BuildpackError;
use crate::config::{BuildConfig, ManifestLocation};
use crate::project::Project;
use crate::python_version::{PythonVariant, PythonVersion};
use crate::{PythonBuildpack, http};
use bullet_stream::global::print;
use libcnb::Env;
use libcnb::build::BuildContext;
use manifest::{Arch, RuntimeEntry, RuntimeManifest};
use std::path::{Path, PathBuf};
use url::Url;

/// The installed interpreter, and the environment that later build steps run with.
pub(crate) struct PythonRuntime {
    pub(crate) version: PythonVersion,
    pub(crate) variant: PythonVariant,
    pub(crate) layer_dir: PathBuf,
    /// The optimization level it runs at, whose bytecode it keeps (the package managers compile
    /// the app's dependencies at it too).
    pub(crate) bytecode_level: layout::BytecodeLevel,
    /// Base env + user env + this layer's build env.
    pub(crate) build_env: Env,
}

impl PythonRuntime {
    /// `bin/python3`, or `bin/python3.13t` for a free-threaded build (whose `python3` is also
    /// free-threaded, but the versioned name is the one every free-threaded install has).
    pub(crate) fn python(&self) -> PathBuf {
        let name = match self.variant {
            PythonVariant::Default => "python3".to_string(),
            PythonVariant::Freethreaded => {
                layout::interpreter_name(&self.version, PythonVariant::Freethreaded)
            }
        };
        self.layer_dir.join("bin").join(name)
    }

    /// The end of the name of a module's compiled file at the level it runs at:
    /// `.cpython-313.pyc`, `.cpython-313t.opt-1.pyc`.
    pub(crate) fn compiled_suffix(&self) -> String {
        format!(
            ".cpython-{}{}{}{}",
            self.version.major,
            self.version.minor,
            self.variant.suffix(),
            self.bytecode_level.suffix()
        )
    }
}

#[derive(Debug)]
pub(crate) enum ManifestLoadError {
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    Fetch(http::HttpError),
    Parse {
        location: String,
        error: manifest::ManifestParseError,
    },
}

/// Which CPython build the app gets: the manifest in use, and the version the app asks for,
/// resolved in it (with the build output saying what was asked for, where, and what it became).
pub(crate) fn resolve_runtime(
    context: &BuildContext<PythonBuildpack>,
    config: &BuildConfig,
    project: &Project,
) -> Result<RuntimeEntry, BuildpackError> {
    print::bullet("Python version");
    let arch = Arch::from_cnb_target_arch(&context.target.arch).ok_or_else(|| {
        BuildpackError::UnsupportedArch {
            arch: context.target.arch.clone(),
        }
    })?;
    let manifest = load_manifest(config, &context.app_dir)?;
    select::select_runtime(context, config, project, &manifest, arch).cloned()
}

fn load_manifest(config: &BuildConfig, app_dir: &Path) -> Result<RuntimeManifest, BuildpackError> {
    let manifest = match &config.runtime_manifest {
        None => RuntimeManifest::builtin(),
        Some(location) => {
            let (text, base, shown) = match location {
                ManifestLocation::Path(path) => {
                    let path = app_dir.join(path);
                    let text = std::fs::read_to_string(&path).map_err(|error| {
                        ManifestLoadError::Read {
                            path: path.clone(),
                            error,
                        }
                    })?;
                    let base = Url::from_file_path(&path).ok();
                    (text, base, path.display().to_string())
                }
                ManifestLocation::Url(url) => {
                    let text = http::get_text(url).map_err(ManifestLoadError::Fetch)?;
                    (text, Some(url.clone()), url.to_string())
                }
            };
            print::sub_bullet(format!(
                "Using the runtime manifest from BP_PYTHON_RUNTIME_MANIFEST ({shown})"
            ));
            RuntimeManifest::parse(&text, base.as_ref()).map_err(|error| {
                ManifestLoadError::Parse {
                    location: shown,
                    error,
                }
            })?
        }
    };
    Ok(match &config.runtime_mirror {
        Some(mirror) => {
            print::sub_bullet(format!(
                "Downloading from the mirror in BP_PYTHON_RUNTIME_MIRROR ({mirror})"
            ));
            manifest.with_mirror(mirror)
        }
        None => manifest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use layout::BytecodeLevel;

    fn runtime(version: &str, variant: PythonVariant, level: BytecodeLevel) -> PythonRuntime {
        PythonRuntime {
            version: version.parse().unwrap(),
            variant,
            layer_dir: PathBuf::from("/layers/python"),
            bytecode_level: level,
            build_env: Env::new(),
        }
    }

    #[test]
    fn compiled_files_are_named_as_python_names_them() {
        let plain = runtime("3.13.5", PythonVariant::Default, BytecodeLevel::Plain);
        assert_eq!(plain.compiled_suffix(), ".cpython-313.pyc");
        let optimized = runtime(
            "3.14.0",
            PythonVariant::Freethreaded,
            BytecodeLevel::OptimizedWithoutDocstrings,
        );
        assert_eq!(optimized.compiled_suffix(), ".cpython-314t.opt-2.pyc");
    }
}
