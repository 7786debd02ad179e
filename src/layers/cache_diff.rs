//! The one way a layer compares its cached metadata with this build's: a [`Diff`] lists the
//! fields that count, each with the words that explain its change, and yields one reason per
//! changed field (`the Python version changed (3.13.5 to 3.13.6)`); [`keep_or_delete`] turns the
//! reasons into the layer's action. The output then says exactly why a cache was not used.

use libcnb::layer::RestoredLayerAction;
use std::fmt::Display;

/// The reasons why cached metadata `old` does not match this build's `new`.
pub(crate) struct Diff<'a, M> {
    old: &'a M,
    new: &'a M,
    reasons: Vec<String>,
}

impl<'a, M> Diff<'a, M> {
    pub(crate) fn new(old: &'a M, new: &'a M) -> Self {
        Diff {
            old,
            new,
            reasons: Vec::new(),
        }
    }

    /// When the value `field` reads differs: `the {what} changed ({old} to {new})`.
    #[must_use]
    pub(crate) fn field<T: PartialEq + Display>(
        self,
        what: &str,
        field: impl Fn(&'a M) -> T,
    ) -> Self {
        self.field_with(field, |old, new| {
            format!("the {what} changed ({old} to {new})")
        })
    }

    /// When the value `field` reads differs: `reason(old, new)`.
    #[must_use]
    pub(crate) fn field_with<T: PartialEq>(
        mut self,
        field: impl Fn(&'a M) -> T,
        reason: impl FnOnce(T, T) -> String,
    ) -> Self {
        let (old, new) = (field(self.old), field(self.new));
        if old != new {
            self.reasons.push(reason(old, new));
        }
        self
    }

    /// When the value `field` reads differs: `reason`, which needs no values (`the buildpack's
    /// layer format changed`).
    #[must_use]
    pub(crate) fn changed_because<T: PartialEq>(
        self,
        field: impl Fn(&'a M) -> T,
        reason: &str,
    ) -> Self {
        self.field_with(field, |_, _| reason.to_string())
    }

    /// A version and what pins it (a file's SHA-256): `the {what} changed ({old} to {new})` when
    /// the version changed, else `pin_reason(old pin, new pin)` when only the pin did.
    #[must_use]
    pub(crate) fn version_or_pin<V: PartialEq + Display, P: PartialEq>(
        self,
        what: &str,
        version: impl Fn(&'a M) -> V,
        pin: impl Fn(&'a M) -> P,
        pin_reason: impl FnOnce(P, P) -> String,
    ) -> Self {
        self.field_with(
            |m| (version(m), pin(m)),
            |(old_version, old_pin), (new_version, new_pin)| {
                if old_version == new_version {
                    pin_reason(old_pin, new_pin)
                } else {
                    format!("the {what} changed ({old_version} to {new_version})")
                }
            },
        )
    }

    /// One reason per changed field, in the order they were listed; empty when nothing changed.
    pub(crate) fn reasons(self) -> Vec<String> {
        self.reasons
    }
}

/// `name version` of a base image, as the reasons show it.
pub(crate) fn base_image(name: &str, version: &str) -> String {
    format!("{name} {version}")
}

/// A cached layer is kept when there is no reason not to, and deleted with the reasons otherwise.
pub(crate) fn keep_or_delete(reasons: Vec<String>) -> (RestoredLayerAction, Vec<String>) {
    if reasons.is_empty() {
        (RestoredLayerAction::KeepLayer, reasons)
    } else {
        (RestoredLayerAction::DeleteLayer, reasons)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::whole_number::LayerFormat;

    struct Metadata {
        version: &'static str,
        format: LayerFormat,
    }

    fn diff(old: &Metadata, new: &Metadata) -> Vec<String> {
        Diff::new(old, new)
            .field_with(|m| m.format, |_, _| "the layer format changed".to_string())
            .field("version", |m| m.version)
            .reasons()
    }

    #[test]
    fn a_version_or_else_its_pin_and_a_fixed_reason() {
        let diff = |old: &(u32, &str, &str), new: &(u32, &str, &str)| {
            Diff::new(old, new)
                .changed_because(|m| m.0, "the layer format changed")
                .version_or_pin(
                    "tool version",
                    |m| m.1,
                    |m| m.2,
                    |old, new| format!("the pinned file changed ({old} to {new})"),
                )
                .reasons()
        };
        let old = (1, "1.0", "aa");
        assert_eq!(diff(&old, &old), [""; 0]);
        assert_eq!(
            diff(&old, &(1, "1.0", "bb")),
            ["the pinned file changed (aa to bb)"]
        );
        assert_eq!(
            diff(&old, &(2, "1.1", "bb")),
            [
                "the layer format changed",
                "the tool version changed (1.0 to 1.1)"
            ]
        );
    }

    #[test]
    fn one_reason_per_changed_field_in_order() {
        let old = Metadata {
            version: "1.0",
            format: LayerFormat(1),
        };
        assert_eq!(diff(&old, &old), [""; 0]);
        let new = Metadata {
            version: "1.1",
            format: LayerFormat(2),
        };
        assert_eq!(
            diff(&old, &new),
            [
                "the layer format changed",
                "the version changed (1.0 to 1.1)"
            ]
        );
        assert!(matches!(
            keep_or_delete(diff(&old, &new)).0,
            RestoredLayerAction::DeleteLayer
        ));
        assert!(matches!(
            keep_or_delete(Vec::new()).0,
            RestoredLayerAction::KeepLayer
        ));
    }
}
