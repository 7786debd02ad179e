//! The package managers that install an app's locked dependencies (uv, Poetry, Pipenv, PDM), and
//! the `poetry`, `pipenv` and `pdm` layers: those three are Python programs, pinned with the hashes
//! of every dependency in `requirements/<tool>.txt`, each in a virtual environment of its own
//! (never the app's). uv installs them there (`uv pip install --require-hashes`), from the build's
//! package index. Cached, but build only and kept out of the env of later buildpacks: the tool is
//! in neither their build nor the app image. Reused while the pins and the Python version stay the
//! same. (uv itself is one binary, in the `uv` layer: see `crate::layers::installer`.)

use crate::BuildpackError;
use crate::PythonBuildpack;
use crate::command::Command;
use crate::command::tail;
use crate::layers::cache_diff::{Diff, keep_or_delete};
use crate::layers::fill_layer;
use crate::layers::installer::Uv;
use crate::layers::whole_number::LayerFormat;
use crate::package_managers::locked::failure::LockedFailure;
use crate::runtime::PythonRuntime;
use crate::wheels::index::{PackageIndex, ca_bundle};
use bullet_stream::global::print;
use libcnb::Env;
use libcnb::build::BuildContext;
use libcnb::data::layer::LayerName;
use libcnb::layer::{
    CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerRef, LayerState,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// Bump to discard every cached tool layer, e.g. when the layout of the layers changes.
const LAYER_FORMAT: LayerFormat = LayerFormat(1);

/// The tool's virtual environment inside its layer: not the layer's own `bin`, which would land on
/// `PATH`.
const VENV_DIR: &str = "venv";

/// The command-line tool of a package manager that installs from a lock file, as its
/// declaration (`crate::package_managers::declaration`) describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tool {
    /// As shown: `uv`, `Poetry`.
    pub(crate) name: &'static str,
    /// The project name on PyPI, which is also the name of its command and of its layer.
    pub(crate) command: &'static str,
    /// `requirements/<tool>.txt`: `name==version --hash=…` lines for the tool and every
    /// dependency.
    pub(crate) requirements: &'static str,
    /// Whether the tool runs from a virtual environment of its own, in a layer of its own
    /// (Poetry, Pipenv, PDM), or is the `uv` layer's binary (uv).
    pub(crate) own_venv: bool,
}

impl Tool {
    /// The project name on PyPI, which is also the name of its command.
    pub(crate) fn command_name(self) -> &'static str {
        self.command
    }

    /// `name==version --hash=…` lines for the tool and every dependency.
    pub(crate) fn requirements(self) -> &'static str {
        self.requirements
    }

    /// Whether the tool runs from a virtual environment of its own, in a layer of its own.
    pub(crate) fn has_own_venv(self) -> bool {
        self.own_venv
    }

    /// The version pinned in `requirements/<tool>.txt`.
    pub(crate) fn version(self) -> &'static str {
        pinned_version(self.requirements(), self.command_name())
            .expect("requirements/<tool>.txt pins the tool with == (unit tested)")
    }

    fn layer_name(self) -> LayerName {
        self.command
            .parse()
            .expect("a tool's command is a valid layer name (unit tested)")
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// The version of the `name==version` line (a universal compile may have several lines for a
/// dependency, but the tool itself is pinned once).
pub(crate) fn pinned_version<'a>(requirements: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}==");
    requirements
        .lines()
        .map(str::trim)
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|rest| {
            rest.split(|c: char| c.is_whitespace() || c == ';' || c == '\\')
                .next()
        })
        .filter(|version| !version.is_empty())
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToolLayerMetadata {
    pub(crate) layer_format: LayerFormat,
    pub(crate) tool_version: String,
    /// Of `requirements/<tool>.txt`: any change to the pins reinstalls.
    pub(crate) requirements_sha256: String,
    /// The tool's virtual environment runs this Python.
    pub(crate) python_version: String,
}

#[derive(Debug)]
pub(crate) enum ToolInstallError {
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// `uv venv` or `uv pip install` failed; its output, read as uv's failures are.
    Failed {
        failure: LockedFailure,
        output: String,
        /// The index the tool was looked for on (credentials redacted).
        index: String,
    },
}

/// Why a cached tool layer cannot be reused, one reason per changed field.
pub(crate) fn reasons_to_discard(
    tool: Tool,
    old: &ToolLayerMetadata,
    new: &ToolLayerMetadata,
) -> Vec<String> {
    Diff::new(old, new)
        .changed_because(
            |m| m.layer_format,
            &format!("the buildpack's {tool} layer format changed"),
        )
        .version_or_pin(
            &format!("{tool} version"),
            |m| &m.tool_version,
            |m| &m.requirements_sha256,
            |_, _| format!("the pinned dependencies of {tool} changed"),
        )
        .field("Python version", |m| &m.python_version)
        .reasons()
}

/// The tool layer, restored from the cache when it still matches.
pub(crate) struct ToolLayer {
    tool: Tool,
    layer: LayerRef<PythonBuildpack, (), Vec<String>>,
    metadata: ToolLayerMetadata,
}

/// Restores the tool layer of Poetry or Pipenv. Called on every build, even when the tool ends up
/// not running: a cached layer that a build does not touch is dropped from the cache.
pub(crate) fn restore_tool_layer(
    context: &BuildContext<PythonBuildpack>,
    runtime: &PythonRuntime,
    tool: Tool,
) -> libcnb::Result<ToolLayer, BuildpackError> {
    assert!(tool.has_own_venv(), "uv is the uv layer's binary");
    let metadata = ToolLayerMetadata {
        layer_format: LAYER_FORMAT,
        tool_version: tool.version().to_string(),
        requirements_sha256: hex::encode(Sha256::digest(tool.requirements())),
        python_version: runtime.version.to_string(),
    };
    let layer = context.cached_layer(
        tool.layer_name(),
        CachedLayerDefinition {
            build: false,
            launch: false,
            invalid_metadata_action: &|_| InvalidMetadataAction::DeleteLayer,
            restored_layer_action: &|old: &ToolLayerMetadata, _| {
                keep_or_delete(reasons_to_discard(tool, old, &metadata))
            },
        },
    )?;
    Ok(ToolLayer {
        tool,
        layer,
        metadata,
    })
}

impl ToolLayer {
    /// The tool's command: the cached one, or installed now with `uv` from the build's package
    /// index, trusted with the build's CA bundle (see `crate::wheels::index`). `env` is the build
    /// env: only its `PATH`, `HOME` and proxy settings reach uv, whose failures `read_uv_failure`
    /// reads.
    pub(crate) fn install(
        &self,
        runtime: &PythonRuntime,
        uv: &Uv,
        env: &Env,
        read_uv_failure: fn(&str) -> LockedFailure,
    ) -> libcnb::Result<PathBuf, BuildpackError> {
        let tool = self.tool;
        let version = &self.metadata.tool_version;
        let venv_dir = self.layer.path().join(VENV_DIR);
        let command = venv_dir.join("bin").join(tool.command_name());
        match &self.layer.state {
            LayerState::Restored { .. } => {
                print::sub_bullet(format!("Using cached {tool} {version}"));
                return Ok(command);
            }
            LayerState::Empty {
                cause: EmptyLayerCause::RestoredLayerAction { cause: reasons },
            } => print::sub_bullet(format!(
                "Discarding the cached {tool} because {}",
                reasons.join(", and ")
            )),
            LayerState::Empty { .. } => {}
        }
        let failed = |error| BuildpackError::ToolInstall { tool, error };
        let index = PackageIndex::from_env(env).map_err(BuildpackError::InvalidIndexUrl)?;
        let ca_bundle = ca_bundle(env);
        let source = ToolSource {
            index: &index,
            ca_bundle: ca_bundle.as_deref(),
            read_uv_failure,
        };
        let requirements_file = self.layer.path().join("requirements.txt");
        std::fs::write(&requirements_file, tool.requirements()).map_err(|error| {
            failed(ToolInstallError::Io {
                path: requirements_file.clone(),
                error,
            })
        })?;
        let timer = print::sub_start_timer(format!("Installing {tool} {version} with uv"));
        let cache_dir = self.layer.path().join("uv-cache");
        let env = uv_env(env);
        let result = fill_layer(&self.layer, &self.metadata, || {
            let result = run_uv(
                tool,
                uv.command(&env)
                    .args(["venv", "--no-config", "--quiet", "--python"])
                    .arg(runtime.python())
                    .arg(&venv_dir),
                &source,
            )
            .and_then(|()| {
                let mut install = uv.command(&env);
                install
                    .args(["pip", "install", "--no-config", "--python"])
                    .arg(venv_dir.join("bin/python"))
                    .args(["--require-hashes", "--no-deps", "--only-binary", ":all:"])
                    .arg("--index-url")
                    .arg(source.index.url.as_str())
                    .arg("--cache-dir")
                    .arg(&cache_dir)
                    .args(["--link-mode", "hardlink", "--quiet", "--requirement"])
                    .arg(&requirements_file);
                match source.ca_bundle {
                    Some(bundle) => install.arg("--cert").arg(bundle),
                    None => install.arg("--system-certs"),
                };
                run_uv(tool, &install, &source)
            });
            // The packages are hard-linked into the venv: the cache is not needed any more.
            let _ = std::fs::remove_dir_all(&cache_dir);
            result.map_err(libcnb::Error::from)
        });
        match result {
            Ok(()) => timer.done(),
            Err(error) => {
                timer.cancel("failed");
                return Err(error);
            }
        }
        Ok(command)
    }
}

impl ToolLayer {
    /// Makes the compiled files Python wrote while the tool ran hash-based (unchecked: the
    /// tool's files change only with the whole layer), so that they stay valid in the cache.
    pub(crate) fn seal_bytecode(&self) {
        crate::bytecode::seal_tool(&self.layer.path());
    }
}

/// Where the tool's files come from: the build's package index, trusted with the build's CA
/// bundle (if any).
struct ToolSource<'a> {
    index: &'a PackageIndex,
    ca_bundle: Option<&'a Path>,
    read_uv_failure: fn(&str) -> LockedFailure,
}

/// The env of the uv commands the buildpack runs for itself (installing a tool, removing local
/// packages to reinstall): from the build env only what finds programs and reaches the network;
/// uv's own settings are the buildpack's (the user's `UV_*` are for the app's install).
pub(crate) fn uv_env(env: &Env) -> Env {
    let mut uv_env = Env::new();
    for (name, value) in env {
        let name_str = name.to_string_lossy();
        let keep = ["PATH", "HOME"].contains(&name_str.as_ref())
            || ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"]
                .iter()
                .any(|proxy| name_str.eq_ignore_ascii_case(proxy));
        if keep {
            uv_env.insert(name, value);
        }
    }
    uv_env.insert("UV_PYTHON_DOWNLOADS", "never");
    uv_env.insert("UV_PYTHON_PREFERENCE", "only-system");
    uv_env.insert("UV_NO_PROGRESS", "1");
    uv_env
}

/// Runs a uv command with its output captured; a failure is read the way uv's failures are.
fn run_uv(tool: Tool, command: &Command, source: &ToolSource<'_>) -> Result<(), BuildpackError> {
    command.capture().map(drop).map_err(|error| {
        error.into_buildpack_error(|_, output| {
            let text = output.combined();
            BuildpackError::ToolInstall {
                tool,
                error: ToolInstallError::Failed {
                    failure: (source.read_uv_failure)(&text),
                    output: tail(&text, 15),
                    index: source.index.describe(),
                },
            }
        })
    })
}

#[cfg(test)]
mod tests;
