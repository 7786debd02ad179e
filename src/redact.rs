//! Keeps credentials out of build output: the user-info of URLs (whatever characters it holds)
//! and the values of query parameters that carry credentials (tokens, passwords, signatures of
//! signed URLs). [`RedactingWriter`] is the buildpack's output writer, so every line it prints
//! (messages, errors, and the output of the tools it runs) goes through [`redact_urls`].

use std::io::{self, Write};

/// Query parameters whose values are credentials, compared in lower case. Names that contain
/// `token`, `secret`, `password` or `signature` are credentials too.
const SECRET_PARAMETERS: [&str; 14] = [
    "sig",
    "key",
    "apikey",
    "api_key",
    "access_key",
    "auth",
    "pwd",
    "passwd",
    "credential",
    "credentials",
    "x-amz-credential",
    "x-goog-credential",
    "code",
    "session",
];

fn is_secret_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMETERS.contains(&name.as_str())
        || ["token", "secret", "password", "signature"]
            .iter()
            .any(|part| name.contains(part))
}

/// Replaces the user-info of every `scheme://user:password@host/...` in `text` with `***`, and
/// the value of every credential query parameter (`?token=...`, `&X-Amz-Signature=...`) with
/// `***`, so that URLs with credentials can be shown (also inside a tool's own output).
pub(crate) fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let (before, after) = rest.split_at(scheme_end + 3);
        out.push_str(before);
        let url_end = after
            .find(|c: char| {
                c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '`')
            })
            .unwrap_or(after.len());
        let (url, remainder) = after.split_at(url_end);
        out.push_str(&redact_one(url));
        rest = remainder;
    }
    out.push_str(rest);
    out
}

/// One URL; the same rules as [`redact_urls`].
pub(crate) fn redact_url(url: &str) -> String {
    redact_urls(url)
}

/// `url` is what follows `scheme://`, up to the first whitespace or quote.
fn redact_one(url: &str) -> String {
    let (authority_and_path, at) = match userinfo_end(url) {
        Some(at) => (&url[at..], true),
        None => (url, false),
    };
    let mut out = String::with_capacity(url.len());
    if at {
        out.push_str("***");
    }
    // The query is what follows the first `?` after the host; the fragment ends it.
    match authority_and_path.split_once('?') {
        None => out.push_str(authority_and_path),
        Some((before, query)) => {
            out.push_str(before);
            out.push('?');
            let (query, fragment) = match query.split_once('#') {
                Some((query, fragment)) => (query, Some(fragment)),
                None => (query, None),
            };
            let parameters: Vec<String> = query
                .split('&')
                .map(|parameter| match parameter.split_once('=') {
                    Some((name, value)) if is_secret_parameter(name) && !value.is_empty() => {
                        format!("{name}=***")
                    }
                    _ => parameter.to_string(),
                })
                .collect();
            out.push_str(&parameters.join("&"));
            if let Some(fragment) = fragment {
                out.push('#');
                out.push_str(fragment);
            }
        }
    }
    out
}

/// Where the user-info of `url` (what follows `scheme://`) ends: the position of its last `@`,
/// if there is user-info. User-info may hold any character, also `/`, `?`, `#` and `@`, which
/// makes `host/path@ref` (a VCS reference) look alike: that is user-info only when what follows
/// the `@` is a host with a port, `localhost`, or a dotted host followed by a path.
fn userinfo_end(url: &str) -> Option<usize> {
    let at = url.rfind('@')?;
    let candidate = &url[..at];
    let after = &url[at + 1..];
    let host_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let host = &after[..host_end];
    if host.is_empty() || !host.chars().all(is_authority_char) {
        return None;
    }
    let Some(delimiter) = candidate.find(['/', '?', '#']) else {
        return Some(at);
    };
    if !looks_like_authority(&candidate[..delimiter]) {
        // `user:pa/ss@host`, `tok/en@host`: not `host/path`, so all of it is user-info.
        return Some(at);
    }
    let followed_by_path = after[host_end..].starts_with('/');
    let is_host = host.contains(':')
        || host.eq_ignore_ascii_case("localhost")
        || (host.contains('.') && followed_by_path);
    is_host.then_some(at)
}

fn is_authority_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':' | '[' | ']' | '%' | '~')
}

/// `host.example`, `localhost:8080`, `10.0.0.1`, `[::1]:80`: a host (with a dot, or
/// `localhost`, or an IP literal) and an optional numeric port.
fn looks_like_authority(text: &str) -> bool {
    let (host, port) = if text.starts_with('[') {
        match text.split_once(']') {
            Some((_, port)) => return port.is_empty() || is_port(port),
            None => return false,
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        && (host.contains('.') || host.eq_ignore_ascii_case("localhost"));
    host_ok && port.is_none_or(|port| is_port(&format!(":{port}")))
}

fn is_port(text: &str) -> bool {
    text.strip_prefix(':')
        .is_some_and(|port| !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()))
}

/// A writer that redacts what passes through it (see [`redact_urls`]): whole lines, and on
/// `flush` everything up to the last whitespace, so that a URL is never split between two
/// redactions while progress output (a timer's dots) still shows as it happens.
pub(crate) struct RedactingWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        Self {
            inner,
            pending: Vec::new(),
        }
    }

    fn emit(&mut self, end: usize) -> io::Result<()> {
        let chunk: Vec<u8> = self.pending.drain(..end).collect();
        self.inner
            .write_all(redact_urls(&String::from_utf8_lossy(&chunk)).as_bytes())
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        if let Some(newline) = self.pending.iter().rposition(|b| *b == b'\n') {
            self.emit(newline + 1)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(space) = self.pending.iter().rposition(u8::is_ascii_whitespace) {
            self.emit(space + 1)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let end = self.pending.len();
        let _ = self.emit(end);
        let _ = self.inner.flush();
    }
}

#[cfg(test)]
mod tests;
