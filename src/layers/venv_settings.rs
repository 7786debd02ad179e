//! The `venv-settings` layer: fingerprints of the settings the `venv` layer was installed with
//! (each of the package manager's environment variables, such as index URLs, the `${VAR}`s of
//! requirements files, pip's config files). Settings can hold credentials, so their fingerprints
//! never go into the image: this layer is cache-only (its metadata is not in the app image),
//! while the `venv` layer's metadata, which the image carries, only names the variables.
//! Credentials are taken out of the values before they are hashed, so a rotated token does not
//! reinstall anything either. One fingerprint per setting, so that the build says which changed.

use crate::BuildpackError;
use crate::PythonBuildpack;
use crate::redact::redact_urls;
use libcnb::Env;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{
    CachedLayerDefinition, InvalidMetadataAction, LayerRef, LayerState, RestoredLayerAction,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// A setting (as shown: `PIP_INDEX_URL`, `the pip config file /etc/pip.conf`) → SHA-256 of its
/// value, credentials taken out.
pub(crate) type Fingerprints = BTreeMap<String, String>;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct VenvSettingsMetadata {
    settings: Fingerprints,
}

/// How this build's settings compare with those the cached environment was installed with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SettingsChange {
    Unchanged,
    /// These settings changed, appeared or went away.
    Changed(Vec<String>),
    /// No fingerprints from an earlier build (a cache from before this layer existed, or lost).
    Unknown,
}

/// The settings layer: the fingerprints of the last successful install, and this build's.
pub(crate) struct VenvSettingsLayer {
    layer: LayerRef<PythonBuildpack, (), Fingerprints>,
    settings: Fingerprints,
}

/// Restores the settings layer, to compare `settings` (see [`fingerprints`]) with the ones it
/// holds.
pub(crate) fn restore_venv_settings_layer(
    context: &BuildContext<PythonBuildpack>,
    settings: Fingerprints,
) -> libcnb::Result<VenvSettingsLayer, BuildpackError> {
    let layer = context.cached_layer(
        layer_name!("venv-settings"),
        CachedLayerDefinition {
            build: false,
            launch: false,
            invalid_metadata_action: &|_| InvalidMetadataAction::DeleteLayer,
            restored_layer_action: &|old: &VenvSettingsMetadata, _| {
                (RestoredLayerAction::KeepLayer, old.settings.clone())
            },
        },
    )?;
    Ok(VenvSettingsLayer { layer, settings })
}

impl VenvSettingsLayer {
    pub(crate) fn change(&self) -> SettingsChange {
        match &self.layer.state {
            LayerState::Restored { cause: previous } => compare(previous, &self.settings),
            LayerState::Empty { .. } => SettingsChange::Unknown,
        }
    }

    /// Records this build's settings, once the environment has been installed with them.
    pub(crate) fn record(&self) -> libcnb::Result<(), BuildpackError> {
        self.layer.write_metadata(VenvSettingsMetadata {
            settings: self.settings.clone(),
        })
    }
}

fn compare(old: &Fingerprints, new: &Fingerprints) -> SettingsChange {
    let changed: BTreeSet<&String> = old
        .keys()
        .chain(new.keys())
        .filter(|setting| old.get(*setting) != new.get(*setting))
        .collect();
    if changed.is_empty() {
        SettingsChange::Unchanged
    } else {
        SettingsChange::Changed(changed.into_iter().cloned().collect())
    }
}

/// A fingerprint per variable of `names` that `env` sets (its value with credentials taken out
/// of URLs), and one per `(setting, contents)` of `others` (given as they are: the caller
/// takes credentials out).
pub(crate) fn fingerprints<'a>(
    env: &Env,
    names: impl IntoIterator<Item = &'a String>,
    others: impl IntoIterator<Item = (String, Vec<u8>)>,
) -> Fingerprints {
    let sha256 = |bytes: &[u8]| hex::encode(Sha256::digest(bytes));
    let mut fingerprints: Fingerprints = names
        .into_iter()
        .filter_map(|name| {
            let value = env.get(name)?;
            Some((
                name.clone(),
                sha256(redact_urls(&value.to_string_lossy()).as_bytes()),
            ))
        })
        .collect();
    fingerprints.extend(
        others
            .into_iter()
            .map(|(setting, contents)| (setting, sha256(&contents))),
    );
    fingerprints
}

/// Why a change of settings updates or recreates an environment:
/// `the settings of pip changed (PIP_INDEX_URL)`.
pub(crate) fn reason(change: &SettingsChange, tool: &str) -> Option<String> {
    match change {
        SettingsChange::Unchanged => None,
        SettingsChange::Changed(settings) => Some(format!(
            "the settings of {tool} changed ({})",
            settings.join(", ")
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
        let with = |value| fingerprints(&env(&[("PIP_INDEX_URL", value)]), &index, []);
        let base = with("https://u:secret@i.example/simple/");
        assert_eq!(base["PIP_INDEX_URL"].len(), 64);
        assert_eq!(base, with("https://u:rotated@i.example/simple/"));
        assert_eq!(base, with("https://***@i.example/simple/"));
        assert_ne!(base, with("https://u:secret@other.example/simple/"));
        assert_eq!(
            with("https://i.example/simple/?token=a"),
            with("https://i.example/simple/?token=b")
        );
    }

    #[test]
    fn changes_are_named_setting_by_setting() {
        let settings = names(&["UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_NO_BINARY"]);
        let old = fingerprints(
            &env(&[("UV_INDEX_URL", "https://a/simple"), ("UV_NO_BINARY", "1")]),
            &settings,
            [(
                "the pip config file /etc/pip.conf".to_string(),
                b"x".to_vec(),
            )],
        );
        assert_eq!(compare(&old, &old), SettingsChange::Unchanged);
        let new = fingerprints(
            &env(&[
                ("UV_INDEX_URL", "https://a/simple"),
                ("UV_EXTRA_INDEX_URL", "https://b/simple"),
            ]),
            &settings,
            [(
                "the pip config file /etc/pip.conf".to_string(),
                b"y".to_vec(),
            )],
        );
        assert_eq!(
            compare(&old, &new),
            SettingsChange::Changed(names(&[
                "UV_EXTRA_INDEX_URL",
                "UV_NO_BINARY",
                "the pip config file /etc/pip.conf"
            ]))
        );
    }

    #[test]
    fn reasons() {
        assert_eq!(reason(&SettingsChange::Unchanged, "pip"), None);
        assert_eq!(
            reason(&SettingsChange::Changed(names(&["UV_INDEX_URL"])), "uv").as_deref(),
            Some("the settings of uv changed (UV_INDEX_URL)")
        );
        assert_eq!(
            reason(&SettingsChange::Unknown, "pip").as_deref(),
            Some("the settings of pip in the previous build are not known")
        );
    }
}
