//! CPython: which build to use, and installing it into the runtime layer.

pub(crate) mod download;
pub(crate) mod manifest;

use crate::config::{BuildConfig, ManifestLocation};
use crate::errors::BuildpackError;
use crate::layers::python::install_python_layer;
use crate::python_version::{PythonVariant, PythonVersion, PythonVersionRequest};
use crate::python_version_source::{self, VersionSource};
use crate::{PythonBuildpack, http};
use bullet_stream::global::print;
use libcnb::Env;
use libcnb::build::BuildContext;
use manifest::{Arch, RuntimeManifest};
use std::path::{Path, PathBuf};
use url::Url;

/// The installed interpreter, and the environment that later build steps run with.
pub(crate) struct PythonRuntime {
    pub(crate) version: PythonVersion,
    pub(crate) layer_dir: PathBuf,
    /// Base env + user env + this layer's build env.
    pub(crate) build_env: Env,
}

impl PythonRuntime {
    pub(crate) fn python(&self) -> PathBuf {
        self.layer_dir.join("bin").join("python3")
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

pub(crate) fn install(
    context: &BuildContext<PythonBuildpack>,
    config: &BuildConfig,
) -> libcnb::Result<PythonRuntime, BuildpackError> {
    print::bullet("Python version");
    let arch = Arch::from_cnb_target_arch(&context.target.arch).ok_or_else(|| {
        BuildpackError::UnsupportedArch {
            arch: context.target.arch.clone(),
        }
    })?;
    let manifest = load_manifest(config, &context.app_dir)?;

    let explicit = python_version_source::explicit_request(&context.app_dir)
        .map_err(BuildpackError::VersionSource)?;
    let (request, source) = if let Some(explicit) = explicit {
        explicit
    } else {
        let (major, minor) = manifest
            .newest_stable_minor(arch, PythonVariant::Default)
            .ok_or(BuildpackError::EmptyManifest { arch })?;
        let request = PythonVersionRequest {
            major,
            minor,
            patch: None,
            variant: PythonVariant::Default,
        };
        (request, VersionSource::Default)
    };
    print::sub_bullet(format!("Requested Python {request} (from {source})"));
    if source == VersionSource::RuntimeTxt {
        print::warning(crate::errors::runtime_txt_deprecated_warning(&request));
    }
    let entry = manifest
        .resolve(&request, arch)
        .map_err(|error| BuildpackError::Resolve { error, source })?;
    print::sub_bullet(format!("Resolved to Python {}", entry.version));

    let base_env = crate::build_env::base_env(&config.platform_env);
    install_python_layer(context, entry, &base_env)
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
