//! The `pip` and `uv` layers: the installer that puts an app's dependencies into its virtual
//! environment (pip for requirements.txt; uv for uv.lock, and for installing Poetry and Pipenv).
//! Each is one wheel pinned in `requirements/<installer>.txt`, fetched and unpacked in Rust
//! while CPython downloads (see `crate::wheels`): pip's whole package into `packages/`, uv's
//! binary into `bin/`. Build only, so neither ends up in the app image; cached and reused while
//! the pinned file stays the same. Neither depends on the Python version: pip's bytecode is
//! written on first use, per Python version, by Python itself.

use crate::BuildpackError;
use crate::PythonBuildpack;
use crate::command::Command;
use crate::fsutil::{empty_dir, fill_or_empty};
use crate::layers::cache_diff::{Diff, keep_or_delete};
use crate::layers::whole_number::LayerFormat;
use crate::parallel::Download;
use crate::python_version::PythonVersion;
use crate::runtime::manifest::Arch;
use crate::wheels::index::PackageIndex;
use crate::wheels::{PinnedWheel, WheelFetchError, fetch, unpack_wheel};
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer::LayerName;
use libcnb::data::layer_name;
use libcnb::layer::{
    CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerRef, LayerState,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// Bump to discard every cached installer layer, e.g. when the layout of the layers changes.
const LAYER_FORMAT: LayerFormat = LayerFormat(2);

/// pip's package inside its layer: not `bin` or `lib`, which would land on `PATH` and
/// `LD_LIBRARY_PATH` of later build steps.
const PIP_PACKAGES_DIR: &str = "packages";

/// The oldest Python the pinned pip supports (its `Requires-Python`).
pub(crate) const PIP_MINIMUM_PYTHON: (u16, u16) = (3, 10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Installer {
    Pip,
    Uv,
}

impl Installer {
    /// The project name on the package index, which is also its command and layer name.
    pub(crate) fn project(self) -> &'static str {
        match self {
            Installer::Pip => "pip",
            Installer::Uv => "uv",
        }
    }

    /// `requirements/<installer>.txt`: the version and the wheel per architecture.
    pub(crate) fn requirements(self) -> &'static str {
        match self {
            Installer::Pip => include_str!("../../requirements/pip.txt"),
            Installer::Uv => include_str!("../../requirements/uv.txt"),
        }
    }

    /// The version pinned in `requirements/<installer>.txt`.
    pub(crate) fn version(self) -> &'static str {
        crate::layers::tool::pinned_version(self.requirements(), self.project())
            .expect("requirements/<installer>.txt pins it with == (unit tested)")
    }

    fn layer_name(self) -> LayerName {
        match self {
            Installer::Pip => layer_name!("pip"),
            Installer::Uv => layer_name!("uv"),
        }
    }

    /// Where a wheel entry goes in the layer, if anywhere: pip's package and metadata under
    /// `packages/`; uv's binary as `bin/uv` (its Python shim package is not needed).
    fn place(self, entry: &Path) -> Option<PathBuf> {
        match self {
            Installer::Pip => Some(Path::new(PIP_PACKAGES_DIR).join(entry)),
            Installer::Uv => {
                let binary = Path::new(&format!("uv-{}.data", self.version())).join("scripts/uv");
                (entry == binary).then(|| PathBuf::from("bin/uv"))
            }
        }
    }

    /// What a complete layer has, checked after unpacking.
    fn entry_point(self) -> &'static str {
        match self {
            Installer::Pip => "packages/pip/__main__.py",
            Installer::Uv => "bin/uv",
        }
    }
}

impl fmt::Display for Installer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.project())
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstallerLayerMetadata {
    pub(crate) layer_format: LayerFormat,
    pub(crate) version: String,
    /// Of the wheel the layer was unpacked from: another file for the same version (another
    /// architecture, or a re-pinned build) replaces the layer.
    pub(crate) wheel_sha256: String,
}

/// Why a cached installer layer cannot be reused, one reason per changed field.
pub(crate) fn reasons_to_discard(
    installer: Installer,
    old: &InstallerLayerMetadata,
    new: &InstallerLayerMetadata,
) -> Vec<String> {
    Diff::new(old, new)
        .changed_because(
            |m| m.layer_format,
            &format!("the buildpack's {installer} layer format changed"),
        )
        .version_or_pin(
            &format!("{installer} version"),
            |m| &m.version,
            |m| &m.wheel_sha256,
            |_, _| format!("the pinned {installer} wheel changed"),
        )
        .reasons()
}

/// The installer's layer, restored from the cache when it still matches.
pub(crate) struct InstallerLayer {
    installer: Installer,
    layer: LayerRef<PythonBuildpack, String, Vec<String>>,
    wheel: PinnedWheel,
    metadata: InstallerLayerMetadata,
}

/// A pinned wheel is missing for an architecture (a packaging mistake, unit tested).
fn pinned_wheel(installer: Installer, arch: Arch) -> PinnedWheel {
    PinnedWheel::from_requirements(installer.requirements(), installer.project(), arch)
        .expect("requirements/<installer>.txt pins a wheel for every supported architecture")
}

/// Restores the installer's layer, saying whether the cached one is used. Called on every build
/// that uses the installer: a cached layer that a build does not touch is dropped from the cache.
pub(crate) fn restore_installer_layer(
    context: &BuildContext<PythonBuildpack>,
    installer: Installer,
    arch: Arch,
) -> libcnb::Result<InstallerLayer, BuildpackError> {
    let wheel = pinned_wheel(installer, arch);
    let metadata = InstallerLayerMetadata {
        layer_format: LAYER_FORMAT,
        version: installer.version().to_string(),
        wheel_sha256: wheel.sha256.to_string(),
    };
    let layer = context.cached_layer(
        installer.layer_name(),
        CachedLayerDefinition {
            build: false,
            launch: false,
            invalid_metadata_action: &|_| {
                (
                    InvalidMetadataAction::DeleteLayer,
                    "its metadata is from an older buildpack or an incomplete build".to_string(),
                )
            },
            restored_layer_action: &|old: &InstallerLayerMetadata, _| {
                keep_or_delete(reasons_to_discard(installer, old, &metadata))
            },
        },
    )?;
    let version = &metadata.version;
    match &layer.state {
        LayerState::Restored { .. } => {
            print::sub_bullet(format!("Using cached {installer} {version}"));
        }
        LayerState::Empty {
            cause: EmptyLayerCause::RestoredLayerAction { cause: reasons },
        } => print::sub_bullet(format!(
            "Discarding the cached {installer} because {}",
            reasons.join(", and ")
        )),
        LayerState::Empty { .. } => {}
    }
    Ok(InstallerLayer {
        installer,
        layer,
        wheel,
        metadata,
    })
}

impl InstallerLayer {
    /// Whether the layer is empty, to be filled by [`InstallerLayer::download`].
    pub(crate) fn needs_download(&self) -> bool {
        matches!(self.layer.state, LayerState::Empty { .. })
    }

    /// The download that fills the layer, or `None` when the cached one is reused. The wheel
    /// comes from `index`, over `agent` (which trusts the build's CA bundle).
    pub(crate) fn download<'a>(
        &'a self,
        agent: &'a ureq::Agent,
        index: &'a PackageIndex,
    ) -> Option<Download<'a>> {
        if !self.needs_download() {
            return None;
        }
        let dir = self.layer.path();
        let installer = self.installer;
        let wheel = &self.wheel;
        Some(Download {
            what: format!("{installer} {}", wheel.version),
            from: index.describe(),
            work: Box::new(move |notes| {
                // Leaves nothing that looks like an installer behind if it fails.
                fill_or_empty(&dir, || {
                    fetch(agent, index, wheel, |error, attempt| {
                        notes.push(format!(
                            "attempt {attempt} to download {installer} failed ({error}), retrying"
                        ));
                    })
                    .and_then(|bytes| fill(installer, wheel, &bytes, &dir))
                })
                .map_err(|error| BuildpackError::InstallerFetch { installer, error })
            }),
        })
    }

    /// The layer's directory, with the installer in it. After a successful
    /// [`InstallerLayer::download`], writes the metadata: only a complete layer carries metadata
    /// that a later build trusts.
    pub(crate) fn finish(self) -> libcnb::Result<PathBuf, BuildpackError> {
        if let LayerState::Empty { .. } = self.layer.state {
            self.layer.write_metadata(self.metadata.clone())?;
        }
        Ok(self.layer.path())
    }
}

/// Unpacks the verified wheel into the (empty) layer directory.
fn fill(
    installer: Installer,
    wheel: &PinnedWheel,
    bytes: &[u8],
    dir: &Path,
) -> Result<(), WheelFetchError> {
    empty_dir(dir).map_err(|error| WheelFetchError::Write {
        path: dir.to_path_buf(),
        error,
    })?;
    unpack_wheel(bytes, wheel.file_name, dir, |entry| installer.place(entry))?;
    if dir.join(installer.entry_point()).is_file() {
        Ok(())
    } else {
        Err(WheelFetchError::BadWheel {
            file: wheel.file_name.to_string(),
            message: format!("it has no {}", installer.entry_point()),
        })
    }
}

/// What installs an app's requirements: pip, or uv (`BP_PYTHON_INSTALLER=uv`), installed.
pub(crate) enum Installed {
    Pip(Pip),
    Uv(Uv),
}

impl Installed {
    /// `installer`, in its layer at `dir` (from [`InstallerLayer::finish`]).
    pub(crate) fn in_layer(installer: Installer, dir: &Path) -> Self {
        match installer {
            Installer::Pip => Installed::Pip(Pip::in_layer(dir)),
            Installer::Uv => Installed::Uv(Uv::in_layer(dir)),
        }
    }
}

/// The installed pip.
pub(crate) struct Pip {
    package_dir: PathBuf,
}

impl Pip {
    /// pip, in its layer at `dir`.
    pub(crate) fn in_layer(dir: &Path) -> Self {
        Pip {
            package_dir: dir.join(PIP_PACKAGES_DIR),
        }
    }

    /// `python <layer>/packages/pip`: the pip in the layer, run by `python` (which does not need
    /// to have pip, or to find it on `sys.path`) with exactly `env`.
    pub(crate) fn command(&self, python: &Path, env: &libcnb::Env) -> Command {
        let mut command = Command::new(python, env);
        command.arg(self.package_dir.join("pip"));
        command
    }

    /// Makes the compiled files Python wrote while pip ran hash-based (unchecked: pip's files
    /// change only with the whole layer), so that they stay valid in the cache.
    pub(crate) fn seal_bytecode(&self) {
        crate::bytecode::seal_tool(&self.package_dir);
    }
}

/// The installed uv binary.
pub(crate) struct Uv {
    pub(crate) binary: PathBuf,
}

impl Uv {
    /// uv, in its layer at `dir`.
    pub(crate) fn in_layer(dir: &Path) -> Self {
        Uv {
            binary: dir.join(Installer::Uv.entry_point()),
        }
    }

    /// `uv`, run with exactly `env`.
    pub(crate) fn command(&self, env: &libcnb::Env) -> Command {
        Command::new(&self.binary, env)
    }
}

/// The pip version pinned in requirements/pip.txt.
pub(crate) fn pinned_pip_version() -> &'static str {
    Installer::Pip.version()
}

/// Checks that the pinned pip supports the Python version, before anything is downloaded.
pub(crate) fn check_pip_supports(version: &PythonVersion) -> Result<(), BuildpackError> {
    if version.minor_version() < PIP_MINIMUM_PYTHON {
        Err(BuildpackError::PipTooNew {
            python_version: *version,
            pip_version: pinned_pip_version().to_string(),
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
