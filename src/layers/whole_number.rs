//! Whole numbers in layer metadata that survive a real platform. The lifecycle keeps a layer's
//! `[metadata]` as JSON between builds (an image label, the cache's metadata) and writes it back
//! with a Go TOML encoder, so every number comes back as a float: `layer_format = 2` is restored
//! as `2.0` (lifecycle#884, libcnb.rs#473). A plain `u32` field rejects that, libcnb then discards
//! the layer, and every rebuild starts from nothing. [`LayerFormat`] and the bytecode level read
//! either form, and are written as integers, as earlier releases wrote them.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;

/// The version of a layer's layout, bumped to discard every cached layer of that kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub(crate) struct LayerFormat(pub(crate) u32);

impl<'de> Deserialize<'de> for LayerFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize(deserializer).map(LayerFormat)
    }
}

/// Reads a whole number of type `T` written as an integer (`2`) or, as the lifecycle restores
/// it, a float with nothing after the point (`2.0`); anything else is an error.
pub(crate) fn deserialize<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    deserializer.deserialize_any(WholeNumber(PhantomData))
}

struct WholeNumber<T>(PhantomData<T>);

impl<T: TryFrom<u64>> Visitor<'_> for WholeNumber<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole number (an integer, or a float such as 2.0)")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        T::try_from(value).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(value), &self))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        u64::try_from(value)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(value), &self))
            .and_then(|value| self.visit_u64(value))
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn visit_f64<E: de::Error>(self, value: f64) -> Result<T, E> {
        // Every whole number up to 2^53 is exact in an f64, far beyond what these fields hold.
        if value.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&value) {
            self.visit_u64(value as u64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(value), &self))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::runtime::layout::BytecodeLevel;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Metadata {
        format: LayerFormat,
        level: BytecodeLevel,
    }

    fn parse(text: &str) -> Result<Metadata, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn integers_and_whole_floats_are_read_and_integers_written() {
        let expected = Metadata {
            format: LayerFormat(2),
            level: BytecodeLevel::Optimized,
        };
        assert_eq!(parse("format = 2\nlevel = 1").unwrap(), expected);
        assert_eq!(parse("format = 2.0\nlevel = 1.0").unwrap(), expected);
        assert_eq!(
            toml::to_string(&expected).unwrap(),
            "format = 2\nlevel = 1\n"
        );
    }

    #[test]
    fn fractions_negatives_out_of_range_and_text_are_refused() {
        for text in [
            "format = 2.5\nlevel = 1",
            "format = -1\nlevel = 1",
            "format = -1.0\nlevel = 1",
            "format = 2\nlevel = 3",
            "format = 2\nlevel = 256.0",
            "format = \"2\"\nlevel = 1",
            "format = nan\nlevel = 1",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
    }
}
