//! The `venv-settings` layer: a fingerprint of the settings the `venv` layer was installed with
//! (the package manager's environment variables, such as index URLs, and the `${VAR}`s of
//! requirements files). Settings can hold credentials, so their fingerprint never goes into the
//! image: this layer is cache-only (its metadata is not in the app image), while the `venv`
//! layer's metadata, which the image carries, only names the variables. Credentials are taken out
//! of the values before they are hashed, so a rotated token does not reinstall anything either.

use crate::PythonBuildpack;
use crate::errors::BuildpackError;
use crate::redact::redact_urls;
use libcnb::Env;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{
    CachedLayerDefinition, InvalidMetadataAction, LayerRef, LayerState, RestoredLayerAction,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct VenvSettingsMetadata {
    settings_sha256: String,
}

/// How this build's settings compare with those the cached environment was installed with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SettingsChange {
    Unchanged,
    Changed,
    /// No fingerprint from an earlier build (a cache from before this layer existed, or lost).
    Unknown,
}

/// The settings layer: the fingerprint of the last successful install, and this build's.
pub(crate) struct VenvSettingsLayer {
    layer: LayerRef<PythonBuildpack, (), String>,
    settings_sha256: String,
}

/// Restores the settings layer, to compare `settings_sha256` (from [`fingerprint`]) with the
/// fingerprint it holds.
pub(crate) fn restore_venv_settings_layer(
    context: &BuildContext<PythonBuildpack>,
    settings_sha256: String,
) -> libcnb::Result<VenvSettingsLayer, BuildpackError> {
    let layer = context.cached_layer(
        layer_name!("venv-settings"),
        CachedLayerDefinition {
            build: false,
            launch: false,
            invalid_metadata_action: &|_| InvalidMetadataAction::DeleteLayer,
            restored_layer_action: &|old: &VenvSettingsMetadata, _| {
                (RestoredLayerAction::KeepLayer, old.settings_sha256.clone())
            },
        },
    )?;
    Ok(VenvSettingsLayer {
        layer,
        settings_sha256,
    })
}

impl VenvSettingsLayer {
    pub(crate) fn change(&self) -> SettingsChange {
        match &self.layer.state {
            LayerState::Restored { cause: previous } if *previous == self.settings_sha256 => {
                SettingsChange::Unchanged
            }
            LayerState::Restored { .. } => SettingsChange::Changed,
            LayerState::Empty { .. } => SettingsChange::Unknown,
        }
    }

    /// Records this build's settings, once the environment has been installed with them.
    pub(crate) fn record(&self) -> libcnb::Result<(), BuildpackError> {
        self.layer.write_metadata(VenvSettingsMetadata {
            settings_sha256: self.settings_sha256.clone(),
        })
    }
}

/// SHA-256 of the variables `names` of `env` (name and value, with credentials taken out of URLs
/// in values; an unset variable differs from an empty one) and of `extra` inputs.
pub(crate) fn fingerprint<'a>(
    env: &Env,
    names: impl IntoIterator<Item = &'a String>,
    extra: &[&[u8]],
) -> String {
    let mut hasher = Sha256::new();
    for name in names {
        hasher.update(name.as_bytes());
        match env.get(name) {
            Some(value) => {
                hasher.update(b"=");
                hasher.update(redact_urls(&value.to_string_lossy()).as_bytes());
            }
            None => hasher.update(b" unset"),
        }
        hasher.update(b"\0");
    }
    for input in extra {
        hasher.update(input.len().to_le_bytes());
        hasher.update(input);
    }
    hex::encode(hasher.finalize())
}

/// Why a change of settings updates or recreates an environment: `environment variables that pip
/// uses changed (PIP_INDEX_URL)`.
pub(crate) fn reason(change: &SettingsChange, tool: &str, names: &[&str]) -> Option<String> {
    match change {
        SettingsChange::Unchanged => None,
        SettingsChange::Changed => Some(format!(
            "environment variables that {tool} uses changed ({})",
            names.join(", ")
        )),
        SettingsChange::Unknown => Some(format!(
            "the settings of {tool} in the previous build are not known"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::env;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn values_count_but_credentials_in_them_do_not() {
        let index = names(&["PIP_INDEX_URL"]);
        let with = |value| fingerprint(&env(&[("PIP_INDEX_URL", value)]), &index, &[]);
        let base = with("https://u:secret@i.example/simple/");
        assert_eq!(base.len(), 64);
        assert_eq!(base, with("https://u:rotated@i.example/simple/"));
        assert_eq!(base, with("https://***@i.example/simple/"));
        assert_ne!(base, with("https://u:secret@other.example/simple/"));
        assert_eq!(
            with("https://i.example/simple/?token=a"),
            with("https://i.example/simple/?token=b")
        );
    }

    #[test]
    fn unset_differs_from_empty_and_extra_inputs_count() {
        let token = names(&["TOKEN"]);
        assert_ne!(
            fingerprint(&Env::new(), &token, &[]),
            fingerprint(&env(&[("TOKEN", "")]), &token, &[])
        );
        assert_ne!(
            fingerprint(&Env::new(), &token, &[b"a"]),
            fingerprint(&Env::new(), &token, &[b"b"])
        );
    }

    #[test]
    fn reasons() {
        assert_eq!(reason(&SettingsChange::Unchanged, "pip", &["A"]), None);
        assert_eq!(
            reason(&SettingsChange::Changed, "uv", &["UV_INDEX_URL"]).as_deref(),
            Some("environment variables that uv uses changed (UV_INDEX_URL)")
        );
        assert_eq!(
            reason(&SettingsChange::Unknown, "pip", &[]).as_deref(),
            Some("the settings of pip in the previous build are not known")
        );
    }
}
