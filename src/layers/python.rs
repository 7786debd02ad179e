//! The runtime layer: a python-build-standalone CPython, reused until what it was built from
//! changes.

use crate::BuildpackError;
use crate::PythonBuildpack;
use crate::build_env;
use crate::bytecode::{self, Origin, Validation};
use crate::layers::cache_diff::{Diff, base_image, keep_or_delete};
use crate::layers::venv::bytecode_level_reason;
use crate::layers::whole_number::LayerFormat;
use crate::parallel::Download;
use crate::python_version::{PythonVariant, PythonVersion, PythonVersionRequest};
use crate::redact::redact_url;
use crate::runtime::PythonRuntime;
use crate::runtime::download::{DownloadError, download_and_unpack};
use crate::runtime::layout::{self, BytecodeLevel};
use crate::runtime::manifest::RuntimeEntry;
use bullet_stream::global::print;
use libcnb::Env;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{
    CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerRef, LayerState,
};
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Bump to discard every cached runtime layer, e.g. when the layout or env of the layer changes.
/// 3: the standard library's compiled files are hash-based.
const LAYER_FORMAT: LayerFormat = LayerFormat(3);

/// Everything that makes a cached runtime valid. The download URL is not in it: the same
/// archive (by checksum) from a mirror is the same runtime.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PythonLayerMetadata {
    pub(crate) layer_format: LayerFormat,
    pub(crate) python_version: String,
    pub(crate) variant: String,
    pub(crate) arch: String,
    pub(crate) sha256: String,
    pub(crate) distro_name: String,
    pub(crate) distro_version: String,
    /// The optimization level whose compiled files of the standard library were kept.
    pub(crate) bytecode_level: BytecodeLevel,
}

/// Why a cached layer cannot be reused, one reason per changed field.
pub(crate) fn reasons_to_discard(
    old: &PythonLayerMetadata,
    new: &PythonLayerMetadata,
) -> Vec<String> {
    Diff::new(old, new)
        .changed_because(
            |m| m.layer_format,
            "the buildpack's runtime layer format changed",
        )
        .version_or_pin(
            "Python version",
            |m| describe(&m.python_version, &m.variant),
            |m| &m.sha256,
            |old, new| format!("the runtime archive changed (SHA-256 {old} to {new})"),
        )
        .field("architecture", |m| &m.arch)
        .field("base image", |m| {
            base_image(&m.distro_name, &m.distro_version)
        })
        .field_with(|m| m.bytecode_level, bytecode_level_reason)
        .reasons()
}

fn describe(version: &str, variant: &str) -> String {
    if variant == "freethreaded" {
        format!("{version} freethreaded")
    } else {
        version.to_string()
    }
}

/// The runtime layer, restored from the cache when it still matches.
pub(crate) struct PythonLayer<'e> {
    entry: &'e RuntimeEntry,
    level: BytecodeLevel,
    layer: LayerRef<PythonBuildpack, Vec<String>, Vec<String>>,
    metadata: PythonLayerMetadata,
}

/// Restores the runtime layer, saying whether the cached Python is used or why not. `level` is
/// the optimization level whose compiled standard library it keeps (from `PYTHONOPTIMIZE`).
pub(crate) fn restore_python_layer<'e>(
    context: &BuildContext<PythonBuildpack>,
    entry: &'e RuntimeEntry,
    level: BytecodeLevel,
) -> libcnb::Result<PythonLayer<'e>, BuildpackError> {
    let metadata = PythonLayerMetadata {
        layer_format: LAYER_FORMAT,
        python_version: entry.version.to_string(),
        variant: entry.variant.to_string(),
        arch: entry.arch.to_string(),
        sha256: entry.sha256.to_string(),
        distro_name: context.target.distro_name.clone(),
        distro_version: context.target.distro_version.clone(),
        bytecode_level: level,
    };
    if level != BytecodeLevel::Plain {
        print::sub_bullet(format!(
            "Keeping the bytecode of optimization level {level} for PYTHONOPTIMIZE, which the \
             app also runs with"
        ));
    }
    let layer = context.cached_layer(
        layer_name!("python"),
        CachedLayerDefinition {
            build: true,
            launch: true,
            invalid_metadata_action: &|_| {
                (
                    InvalidMetadataAction::DeleteLayer,
                    vec!["its metadata is from an unknown or incomplete build".to_string()],
                )
            },
            restored_layer_action: &|old: &PythonLayerMetadata, _| {
                keep_or_delete(reasons_to_discard(old, &metadata))
            },
        },
    )?;
    match &layer.state {
        LayerState::Restored { .. } => {
            print::sub_bullet(format!("Reusing cached Python {}", entry.version));
        }
        LayerState::Empty {
            cause:
                EmptyLayerCause::InvalidMetadataAction { cause: reasons }
                | EmptyLayerCause::RestoredLayerAction { cause: reasons },
        } => {
            print::sub_bullet(format!(
                "Discarding the cached Python because {}",
                reasons.join(", and ")
            ));
        }
        LayerState::Empty { .. } => {}
    }
    Ok(PythonLayer {
        entry,
        level,
        layer,
        metadata,
    })
}

impl PythonLayer<'_> {
    /// The download that fills the layer, or `None` when the cached runtime is reused.
    pub(crate) fn download(&self) -> Option<Download<'_>> {
        if let LayerState::Restored { .. } = self.layer.state {
            return None;
        }
        let entry = self.entry;
        let level = self.level;
        let dir = self.layer.path();
        Some(Download {
            what: format!("Python {}", entry.version),
            from: redact_url(entry.url.as_str()),
            work: Box::new(move |notes| {
                // Leaves nothing that looks like a runtime behind if it fails.
                crate::fsutil::fill_or_empty(&dir, || {
                    download_and_unpack(
                        &entry.url,
                        &entry.sha256,
                        &dir,
                        |path| layout::keep_in_runtime(path, &entry.version, entry.variant, level),
                        |error, attempt| {
                            notes.push(format!(
                                "attempt {attempt} to download Python failed ({error}), retrying"
                            ));
                        },
                    )
                    .and_then(|()| {
                        layout::ensure_interpreter_links(
                            &dir.join("bin"),
                            &entry.version,
                            entry.variant,
                        )
                        .and_then(|()| seal_standard_library(&dir))
                        .map_err(|message| DownloadError::Unpack {
                            url: entry.url.clone(),
                            message,
                        })
                    })
                })
                .map_err(BuildpackError::Download)
            }),
        })
    }

    /// The installed runtime. After a successful [`PythonLayer::download`], writes the layer's
    /// env and then its metadata: only a complete runtime carries metadata that a later build
    /// trusts. `base_env` is the env of the build's subprocesses before this layer.
    pub(crate) fn finish(self, base_env: &Env) -> libcnb::Result<PythonRuntime, BuildpackError> {
        let layer = &self.layer;
        if let LayerState::Empty { .. } = layer.state {
            layer.write_env(runtime_layer_env(&layer.path(), self.level))?;
            layer.write_metadata(self.metadata.clone())?;
        }
        // On every build, reused or not: the SBOM names this build's download URL.
        layer.write_sboms(&[crate::sbom::runtime_sbom(self.entry)])?;
        let layer_env = layer.read_env()?;
        Ok(PythonRuntime {
            version: self.entry.version,
            variant: self.entry.variant,
            layer_dir: layer.path(),
            bytecode_level: self.level,
            build_env: build_env::with_layer(base_env, &layer_env),
        })
    }
}

/// Makes the standard library's compiled files hash-based and unchecked: the archive's are
/// timestamp-based, and would be stale in the image (every file's time changes at export), so
/// that Python compiled the standard library again in every new container. The runtime never
/// changes in place (another archive replaces the layer), so they are never checked.
fn seal_standard_library(dir: &std::path::Path) -> Result<(), String> {
    bytecode::seal(dir, Validation::Unchecked, Origin::Archive)
        .map(drop)
        .map_err(|error| {
            format!(
                "making the compiled files hash-based failed at {}: {}",
                error.path.display(),
                error.error
            )
        })
}

fn runtime_layer_env(layer_dir: &std::path::Path, level: BytecodeLevel) -> LayerEnv {
    let env = LayerEnv::new()
        // Headers and pkg-config files for compiling extension modules. (CPATH comes from the
        // layer's include/ folder automatically.)
        .chainable_insert(
            Scope::Build,
            ModificationBehavior::Prepend,
            "PKG_CONFIG_PATH",
            layer_dir.join("lib/pkgconfig"),
        )
        .chainable_insert(
            Scope::Build,
            ModificationBehavior::Delimiter,
            "PKG_CONFIG_PATH",
            ":",
        )
        // Reproducible bytecode (.pyc) and wheels: timestamps are pinned to 1980-01-01, the
        // earliest a zip file can hold.
        .chainable_insert(
            Scope::Build,
            ModificationBehavior::Override,
            "SOURCE_DATE_EPOCH",
            "315532801",
        )
        // Logs reach the platform immediately instead of sitting in a buffer.
        .chainable_insert(
            Scope::All,
            ModificationBehavior::Override,
            "PYTHONUNBUFFERED",
            "1",
        )
        .chainable_insert(Scope::All, ModificationBehavior::Default, "LANG", "C.UTF-8");
    if level == BytecodeLevel::Plain {
        env
    } else {
        // The app runs at the level whose bytecode was kept (the build env has it already).
        env.chainable_insert(
            Scope::Launch,
            ModificationBehavior::Default,
            "PYTHONOPTIMIZE",
            level.as_number().to_string(),
        )
    }
}

/// The major.minor (and variant) of the runtime layer of the previous build, from its
/// `<layers>/python.toml` in `layers_dir`, read before the layer is handled. Read loosely, not as
/// [`PythonLayerMetadata`], so that an older buildpack's layer counts too; anything unexpected
/// means "no previous build".
pub(crate) fn previous_build_request(layers_dir: &Path) -> Option<PythonVersionRequest> {
    let text = std::fs::read_to_string(layers_dir.join("python.toml")).ok()?;
    previous_request(&text)
}

fn previous_request(layer_toml: &str) -> Option<PythonVersionRequest> {
    let table: toml::Table = toml::from_str(layer_toml).ok()?;
    let metadata = table.get("metadata")?;
    let version: PythonVersion = metadata.get("python_version")?.as_str()?.parse().ok()?;
    let variant = match metadata.get("variant") {
        Some(variant) => PythonVariant::from_name(variant.as_str()?)?,
        None => PythonVariant::Default,
    };
    version.is_stable().then_some(PythonVersionRequest {
        major: version.major,
        minor: version.minor,
        patch: None,
        variant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_previous_build_version() {
        let toml = |version: &str, variant: &str| {
            format!(
                "[types]\ncache = true\n[metadata]\npython_version = \"{version}\"\nvariant = \"{variant}\"\n"
            )
        };
        assert_eq!(
            previous_request(&toml("3.11.2", "default")).map(|r| r.to_string()),
            Some("3.11".to_string())
        );
        assert_eq!(
            previous_request(&toml("3.13.12", "freethreaded")).map(|r| r.to_string()),
            Some("3.13t".to_string())
        );
        assert_eq!(previous_request(&toml("3.15.0rc1", "default")), None);
        assert_eq!(previous_request(&toml("3.13.5", "weird")), None);
        assert_eq!(previous_request("[types]\ncache = true\n"), None);
        assert_eq!(previous_request(""), None);
        assert_eq!(previous_request("not toml ["), None);
    }

    fn metadata() -> PythonLayerMetadata {
        PythonLayerMetadata {
            layer_format: LAYER_FORMAT,
            python_version: "3.13.5".to_string(),
            variant: "default".to_string(),
            arch: "x86_64".to_string(),
            sha256: "a".repeat(64),
            distro_name: "ubuntu".to_string(),
            distro_version: "24.04".to_string(),
            bytecode_level: BytecodeLevel::Plain,
        }
    }

    #[test]
    fn metadata_survives_the_lifecycles_restore() {
        let restored = crate::test_support::lifecycle_round_trip(&metadata()).unwrap();
        assert_eq!(restored, metadata());
    }

    #[test]
    fn same_metadata_is_reused() {
        assert_eq!(reasons_to_discard(&metadata(), &metadata()), [""; 0]);
    }

    #[test]
    fn version_change_is_explained() {
        let new = PythonLayerMetadata {
            python_version: "3.11.2".to_string(),
            sha256: "b".repeat(64),
            ..metadata()
        };
        assert_eq!(
            reasons_to_discard(&metadata(), &new),
            vec!["the Python version changed (3.13.5 to 3.11.2)"]
        );
    }

    #[test]
    fn a_bytecode_level_change_is_explained() {
        let new = PythonLayerMetadata {
            bytecode_level: BytecodeLevel::Optimized,
            ..metadata()
        };
        assert_eq!(
            reasons_to_discard(&metadata(), &new),
            vec!["the bytecode optimization level changed (0 to 1, from PYTHONOPTIMIZE)"]
        );
    }

    #[test]
    fn checksum_and_distro_changes_are_explained() {
        let new = PythonLayerMetadata {
            sha256: "b".repeat(64),
            distro_version: "22.04".to_string(),
            ..metadata()
        };
        let reasons = reasons_to_discard(&metadata(), &new);
        assert_eq!(reasons.len(), 2);
        assert!(reasons[0].starts_with("the runtime archive changed"));
        assert_eq!(
            reasons[1],
            "the base image changed (ubuntu 24.04 to ubuntu 22.04)"
        );
    }
}
