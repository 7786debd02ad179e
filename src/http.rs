//! HTTP downloads with timeouts and retries on transient failures.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;
use ureq::tls::{RootCerts, TlsConfig};
use url::Url;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// A stalled connection (no bytes for this long) counts as a failure and is retried.
const READ_TIMEOUT: Duration = Duration::from_mins(1);
pub(crate) const MAX_ATTEMPTS: u32 = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HttpError {
    /// The server answered 404 or 410: retrying will not help.
    NotFound { url: Url },
    /// Any other unsuccessful HTTP status.
    Status { url: Url, code: u16 },
    /// Connection, TLS, timeout or read failures.
    Network { url: Url, message: String },
}

impl HttpError {
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            HttpError::NotFound { .. } => false,
            HttpError::Status { code, .. } => *code == 429 || *code >= 500,
            HttpError::Network { .. } => true,
        }
    }
}

pub(crate) fn agent() -> ureq::Agent {
    // Platform certificates so that corporate TLS proxies and private mirrors work (honours
    // SSL_CERT_FILE / SSL_CERT_DIR of the buildpack's own environment).
    agent_with_roots(RootCerts::PlatformVerifier)
}

/// An agent that trusts exactly the certificates of the PEM bundle `ca_bundle` (as pip's
/// `--cert` and uv's `SSL_CERT_FILE` do), or the platform's when there is none.
pub(crate) fn agent_trusting(ca_bundle: Option<&Path>) -> Result<ureq::Agent, CaBundleError> {
    let Some(path) = ca_bundle else {
        return Ok(agent());
    };
    let error = |message: String| CaBundleError {
        path: path.to_path_buf(),
        message,
    };
    let pem = std::fs::read(path).map_err(|e| error(e.to_string()))?;
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let ureq::tls::PemItem::Certificate(certificate) =
            item.map_err(|e| error(e.to_string()))?
        {
            certificates.push(certificate);
        }
    }
    if certificates.is_empty() {
        return Err(error("it holds no PEM certificates".to_string()));
    }
    Ok(agent_with_roots(RootCerts::new_with_certs(&certificates)))
}

/// A CA bundle named by the build env that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CaBundleError {
    pub(crate) path: PathBuf,
    pub(crate) message: String,
}

fn agent_with_roots(roots: RootCerts) -> ureq::Agent {
    ureq::Agent::config_builder()
        .tls_config(TlsConfig::builder().root_certs(roots).build())
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_recv_response(Some(READ_TIMEOUT))
        .timeout_recv_body(None)
        .timeout_per_read(Some(READ_TIMEOUT))
        .http_status_as_error(false)
        .user_agent(concat!(
            "heroku-python-buildpack/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .new_agent()
}

/// Starts a GET and returns the body reader, mapping failures to [`HttpError`].
/// `file://` URLs (a manifest on a local path with archives beside it) are read from disk.
pub(crate) fn get(agent: &ureq::Agent, url: &Url) -> Result<Box<dyn Read>, HttpError> {
    get_accepting(agent, url, "*/*").map(|response| response.body)
}

/// A response to [`get_accepting`].
pub(crate) struct Response {
    pub(crate) body: Box<dyn Read>,
    /// The `Content-Type` header, empty when there is none (and for files).
    pub(crate) content_type: String,
    /// Where the body came from after redirects: the URL that relative links resolve against.
    /// The requested URL (with its credentials) when there was no redirect.
    pub(crate) url: Url,
}

/// A GET with an `Accept` header. A `file://` URL of a directory reads its `index.html`, or
/// lists its files as links when it has none (a local "simple" package index).
pub(crate) fn get_accepting(
    agent: &ureq::Agent,
    url: &Url,
    accept: &str,
) -> Result<Response, HttpError> {
    if url.scheme() == "file" {
        return read_file_url(url).map(|body| Response {
            body,
            content_type: String::new(),
            url: url.clone(),
        });
    }
    let response = agent
        .get(url.as_str())
        .header("Accept", accept)
        .call()
        .map_err(|error| network_error(url, &error))?;
    let code = response.status().as_u16();
    match code {
        200..=299 => {}
        404 | 410 => return Err(HttpError::NotFound { url: url.clone() }),
        _ => {
            return Err(HttpError::Status {
                url: url.clone(),
                code,
            });
        }
    }
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let final_url = Url::parse(&ureq::ResponseExt::get_uri(&response).to_string())
        .ok()
        .filter(|final_url| !same_resource(final_url, url))
        .unwrap_or_else(|| url.clone());
    Ok(Response {
        body: Box::new(response.into_body().into_reader()),
        content_type,
        url: final_url,
    })
}

/// Whether two URLs differ at most in their credentials.
fn same_resource(a: &Url, b: &Url) -> bool {
    let strip = |url: &Url| {
        let mut url = url.clone();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url
    };
    strip(a) == strip(b)
}

fn read_file_url(url: &Url) -> Result<Box<dyn Read>, HttpError> {
    let path = url
        .to_file_path()
        .map_err(|()| HttpError::NotFound { url: url.clone() })?;
    if path.is_dir() {
        let index = path.join("index.html");
        if !index.is_file() {
            return directory_listing(&path)
                .map(|html| Box::new(std::io::Cursor::new(html)) as Box<dyn Read>)
                .map_err(|error| network_error(url, &error));
        }
        return read_file_url(&Url::from_file_path(index).expect("an absolute path"));
    }
    match std::fs::File::open(&path) {
        Ok(file) => Ok(Box::new(std::io::BufReader::new(file))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Err(HttpError::NotFound { url: url.clone() })
        }
        Err(error) => Err(network_error(url, &error)),
    }
}

/// A directory's files as an HTML page of links, the way pip reads a `file://` index.
fn directory_listing(dir: &Path) -> std::io::Result<Vec<u8>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|entry| entry.file_name().to_string_lossy().to_string()))
        .collect::<Result<_, _>>()?;
    names.sort();
    let mut html = String::from("<html><body>\n");
    for name in &names {
        let _ = writeln!(html, "<a href=\"{name}\">{name}</a>");
    }
    html.push_str("</body></html>\n");
    Ok(html.into_bytes())
}

pub(crate) fn network_error(url: &Url, error: &dyn std::fmt::Display) -> HttpError {
    HttpError::Network {
        url: url.clone(),
        message: error.to_string(),
    }
}

/// Runs `attempt` until it succeeds, fails permanently, or runs out of attempts, waiting
/// longer between each try. `on_retry` is told about each failure that will be retried.
pub(crate) fn retry<T, E>(
    backoff: Duration,
    mut attempt: impl FnMut() -> Result<T, E>,
    is_transient: impl Fn(&E) -> bool,
    mut on_retry: impl FnMut(&E, u32),
) -> Result<T, E> {
    let mut delay = backoff;
    for attempt_number in 1.. {
        match attempt() {
            Ok(value) => return Ok(value),
            Err(error) if attempt_number < MAX_ATTEMPTS && is_transient(&error) => {
                on_retry(&error, attempt_number);
                std::thread::sleep(delay);
                delay *= 2;
            }
            Err(error) => return Err(error),
        }
    }
    unreachable!("the loop only ends by returning")
}

/// Fetches a small text document (a manifest), with retries.
pub(crate) fn get_text(url: &Url) -> Result<String, HttpError> {
    let agent = agent();
    retry(
        Duration::from_secs(1),
        || {
            let mut body = String::new();
            get(&agent, url)?
                .read_to_string(&mut body)
                .map_err(|error| network_error(url, &error))?;
            Ok(body)
        },
        HttpError::is_transient,
        |_, _| {},
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn url() -> Url {
        Url::parse("http://127.0.0.1/x").unwrap()
    }

    #[test]
    fn retries_transient_failures_then_succeeds() {
        let calls = Cell::new(0);
        let result = retry(
            Duration::ZERO,
            || {
                calls.set(calls.get() + 1);
                if calls.get() < 3 {
                    Err(HttpError::Status {
                        url: url(),
                        code: 503,
                    })
                } else {
                    Ok("body")
                }
            },
            HttpError::is_transient,
            |_, _| {},
        );
        assert_eq!(result, Ok("body"));
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn does_not_retry_not_found() {
        let calls = Cell::new(0);
        let result: Result<(), _> = retry(
            Duration::ZERO,
            || {
                calls.set(calls.get() + 1);
                Err(HttpError::NotFound { url: url() })
            },
            HttpError::is_transient,
            |_, _| {},
        );
        assert_eq!(result, Err(HttpError::NotFound { url: url() }));
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let calls = Cell::new(0);
        let result: Result<(), _> = retry(
            Duration::ZERO,
            || {
                calls.set(calls.get() + 1);
                Err(HttpError::Network {
                    url: url(),
                    message: "reset".into(),
                })
            },
            HttpError::is_transient,
            |_, _| {},
        );
        assert!(result.is_err());
        assert_eq!(calls.get(), MAX_ATTEMPTS);
    }

    #[test]
    fn file_urls_are_read_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("m.jsonl"), "contents").unwrap();
        let url = Url::from_file_path(dir.path().join("m.jsonl")).unwrap();
        let mut body = String::new();
        get(&agent(), &url)
            .unwrap()
            .read_to_string(&mut body)
            .unwrap();
        assert_eq!(body, "contents");
        let missing = Url::from_file_path(dir.path().join("missing")).unwrap();
        assert!(matches!(
            get(&agent(), &missing).err().unwrap(),
            HttpError::NotFound { .. }
        ));
    }

    #[test]
    fn unreachable_server_is_a_network_error() {
        // Port 9 (discard) on loopback is closed in test environments.
        let error = get(&agent(), &Url::parse("http://127.0.0.1:9/x").unwrap())
            .err()
            .unwrap();
        assert!(matches!(error, HttpError::Network { .. }), "{error:?}");
    }
}
