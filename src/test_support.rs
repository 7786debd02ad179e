//! Helpers for the unit tests.

use libcnb::Env;

/// An `Env` holding exactly `vars`.
pub(crate) fn env(vars: &[(&str, &str)]) -> Env {
    let mut env = Env::new();
    for (name, value) in vars {
        env.insert(name, value);
    }
    env
}

/// A temporary folder holding `files` (relative path, contents), folders created as needed.
pub(crate) fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, contents) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
    dir
}

/// `metadata` as a layer's `[metadata]` comes back from the lifecycle on a real platform: kept as
/// JSON and written back by a Go TOML encoder, so every integer is a float and every date a
/// string (see `crate::layers::whole_number`), then read as libcnb reads it.
pub(crate) fn lifecycle_round_trip<M: serde::Serialize + serde::de::DeserializeOwned>(
    metadata: &M,
) -> Result<M, toml::de::Error> {
    fn as_restored(value: toml::Value) -> toml::Value {
        match value {
            #[allow(clippy::cast_precision_loss)]
            toml::Value::Integer(number) => toml::Value::Float(number as f64),
            toml::Value::Datetime(date) => toml::Value::String(date.to_string()),
            toml::Value::Array(items) => {
                toml::Value::Array(items.into_iter().map(as_restored).collect())
            }
            toml::Value::Table(table) => toml::Value::Table(
                table
                    .into_iter()
                    .map(|(key, value)| (key, as_restored(value)))
                    .collect(),
            ),
            other => other,
        }
    }
    let written = toml::Value::try_from(metadata).expect("layer metadata serialises to TOML");
    as_restored(written).try_into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_round_trip_turns_integers_into_floats() {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct Plain {
            number: u32,
        }
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct Tolerant {
            number: crate::layers::whole_number::LayerFormat,
        }
        assert!(lifecycle_round_trip(&Plain { number: 2 }).is_err());
        let tolerant = Tolerant {
            number: crate::layers::whole_number::LayerFormat(2),
        };
        assert_eq!(lifecycle_round_trip(&tolerant).unwrap(), tolerant);
    }
}
