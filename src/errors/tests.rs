//! Snapshot tests of every message of the buildpack: each error (as `on_error` prints it, URLs
//! redacted), warning and notice, with its kind, in `snapshots/`. A wording change shows up as a
//! snapshot diff: record with `INSTA_UPDATE=always cargo test --bin python-buildpack errors`,
//! review the `.snap` files, and commit them.

mod buildpack;
mod dependencies;
mod locked;
mod pip;
mod project;
mod tools;
mod version;

use super::{BuildpackError, Message, MessageKind};
use crate::python_version::{PythonVersion, PythonVersionRequest};
use std::fmt::Display;
use url::Url;

/// Records `message` under `name`, after its kind (its header must be one line). The end marker
/// keeps the trailing newlines, which insta would trim.
fn check(name: &str, message: &Message) {
    assert!(!message.header.contains('\n'), "{message}");
    check_kind_and_text(name, message.kind, message);
}

fn check_kind_and_text(name: &str, kind: MessageKind, text: impl Display) {
    insta::assert_snapshot!(name, format!("kind: {kind:?}\n\n{}[end]", visible(text)));
}

/// Records a fragment of a message (a one-line description), which has no kind.
fn check_text(name: &str, text: &str) {
    insta::assert_snapshot!(name, format!("{}[end]", visible(text)));
}

/// The text with its escape characters (of the colours of `style::value`) shown as `␛`.
fn visible(text: impl Display) -> String {
    text.to_string().replace('\u{1b}', "␛")
}

/// Records the text `on_error` prints for `error`, after the kind of its message.
fn check_error(name: &str, error: BuildpackError) {
    check_libcnb_error(name, &libcnb::Error::BuildpackError(error));
}

/// Records each of `cases` as `<prefix><name>`, wrapped into a [`BuildpackError`] by `wrap`.
fn check_errors<E>(
    prefix: &str,
    cases: impl IntoIterator<Item = (&'static str, E)>,
    wrap: fn(E) -> BuildpackError,
) {
    for (name, error) in cases {
        check_error(&format!("{prefix}{name}"), wrap(error));
    }
}

fn check_libcnb_error(name: &str, error: &libcnb::Error<BuildpackError>) {
    let message = Message::from(error);
    assert!(!message.header.contains('\n'), "{message}");
    check_kind_and_text(name, message.kind, message);
}

fn io_error(message: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::PermissionDenied, message)
}

fn url(url: &str) -> Url {
    Url::parse(url).unwrap()
}

fn request(request: &str) -> PythonVersionRequest {
    request.parse().unwrap()
}

fn version(version: &str) -> PythonVersion {
    version.parse().unwrap()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}
