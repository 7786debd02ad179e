//! The typed form of every message the buildpack prints: its kind (what the user should do
//! about it), its header and its body. Rendering gives exactly the text the buildpack always
//! printed: the header, a blank line, then the body.
//!
//! A module that has something to say defines what it is as a type of its own (an error, a
//! warning, a notice) and never words it: the catalogue (`crate::errors`) turns each such type
//! into a `Message` with `From`, so that nothing imports the catalogue and the catalogue imports
//! only the types it words. [`show`] prints a warning or a notice as the build goes on.

use bullet_stream::global::print;
use std::fmt;

/// Who has to act on a message, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MessageKind {
    /// Something in the app or the build's settings is wrong: the user fixes it.
    UserError,
    /// A network, package index or other transient failure: retrying the build can help.
    Retry,
    /// A failure of the buildpack or of the build environment, not of the app.
    Bug,
    /// Printed during a build that goes on.
    Warning,
    /// A one-line note under the current step.
    Notice,
}

/// A message: its header (one line), and its body, which follows a blank line under the header
/// and keeps its final newline. One-line messages have an empty body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Message {
    pub(crate) kind: MessageKind,
    pub(crate) header: String,
    pub(crate) body: String,
}

impl Message {
    /// Splits `text` at its first blank line into the header and the body (every message has
    /// text after that line), so that rendering gives `text` back.
    pub(crate) fn new(kind: MessageKind, mut text: String) -> Self {
        let body = match text.find("\n\n") {
            Some(end) => text.split_off(end)[2..].to_string(),
            None => String::new(),
        };
        Self {
            kind,
            header: text,
            body,
        }
    }

    pub(crate) fn user_error(text: String) -> Self {
        Self::new(MessageKind::UserError, text)
    }

    pub(crate) fn retry(text: String) -> Self {
        Self::new(MessageKind::Retry, text)
    }

    pub(crate) fn bug(text: String) -> Self {
        Self::new(MessageKind::Bug, text)
    }

    pub(crate) fn warning(text: String) -> Self {
        Self::new(MessageKind::Warning, text)
    }

    pub(crate) fn notice(text: String) -> Self {
        Self::new(MessageKind::Notice, text)
    }
}

/// Prints `item`, worded by the catalogue, while the build goes on: a notice as a line under the
/// current step, anything else as a warning.
pub(crate) fn show<T: ?Sized>(item: &T)
where
    for<'a> Message: From<&'a T>,
{
    let message = Message::from(item);
    if message.kind == MessageKind::Notice {
        print::sub_bullet(message.to_string());
    } else {
        print::warning(message.to_string());
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)?;
        if !self.body.is_empty() {
            write!(f, "\n\n{}", self.body)?;
        }
        Ok(())
    }
}
