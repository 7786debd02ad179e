//! HTTP downloads with timeouts and retries on transient failures.

use std::io::Read;
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
    ureq::Agent::config_builder()
        // Platform certificates so that corporate TLS proxies and private mirrors work
        // (honours SSL_CERT_FILE / SSL_CERT_DIR).
        .tls_config(
            TlsConfig::builder()
                .root_certs(RootCerts::PlatformVerifier)
                .build(),
        )
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
    if url.scheme() == "file" {
        let path = url
            .to_file_path()
            .map_err(|()| HttpError::NotFound { url: url.clone() })?;
        return match std::fs::File::open(&path) {
            Ok(file) => Ok(Box::new(std::io::BufReader::new(file))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Err(HttpError::NotFound { url: url.clone() })
            }
            Err(error) => Err(network_error(url, &error)),
        };
    }
    let response = agent
        .get(url.as_str())
        .call()
        .map_err(|error| network_error(url, &error))?;
    let code = response.status().as_u16();
    match code {
        200..=299 => Ok(Box::new(response.into_body().into_reader())),
        404 | 410 => Err(HttpError::NotFound { url: url.clone() }),
        _ => Err(HttpError::Status {
            url: url.clone(),
            code,
        }),
    }
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
