//! A pull-through mirror of PyPI on 127.0.0.1, like the ones platforms run for air-gapped builds
//! (devpi, Artifactory, Nexus): `/simple/<project>/` is PyPI's page for the project with its file
//! links pointing at the mirror's own `/files/...`, which serves PyPI's file. Every request is
//! recorded, and one file can be served with a changed byte (a mirror serving the wrong file) or
//! left out of its project's page (a mirror without it).
#![allow(dead_code, unreachable_pub)]

use super::http_request::Request;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};

const PYPI_SIMPLE: &str = "https://pypi.org/simple/";
const PYPI_FILES: &str = "https://files.pythonhosted.org/";

/// What the mirror does wrong, if anything.
#[derive(Clone, Debug)]
pub enum Fault {
    None,
    /// Serves the file of this name with its last byte changed.
    Tampered(String),
    /// Leaves the file of this name out of its project's page.
    Missing(String),
}

/// A running mirror; the server thread lives as long as the test process.
pub struct PypiMirror {
    pub port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl PypiMirror {
    /// Serves PyPI, with `fault`.
    pub fn start(fault: Fault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, fault) = (Arc::clone(&log), fault.clone());
                std::thread::spawn(move || {
                    let _ = handle(stream, port, &fault, &log);
                });
            }
        });
        Self { port, requests }
    }

    /// The index URL to give a build (`PIP_INDEX_URL`).
    pub fn index_url(&self) -> String {
        format!("http://127.0.0.1:{}/simple/", self.port)
    }

    /// The paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Whether a file whose name starts with `prefix` was downloaded through the mirror.
    pub fn served_file(&self, prefix: &str) -> bool {
        self.requests().iter().any(|path| {
            path.starts_with("/files/")
                && path
                    .rsplit('/')
                    .next()
                    .is_some_and(|name| name.starts_with(prefix))
        })
    }
}

fn handle(
    mut stream: TcpStream,
    port: u16,
    fault: &Fault,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let request = Request::read(&stream)?;
    log.lock().unwrap().push(request.target.clone());
    // A query (an index URL with `?token=...`, which pip extends past the query) is not PyPI's.
    let path = request.path();
    let response = if let Some(project) = path.strip_prefix("/simple/").filter(|p| !p.is_empty()) {
        upstream(&format!("{PYPI_SIMPLE}{project}")).map(|page| {
            let mut page = String::from_utf8_lossy(&page)
                .replace(PYPI_FILES, &format!("http://127.0.0.1:{port}/files/"));
            if let Fault::Missing(name) = fault {
                page = page
                    .lines()
                    .filter(|line| !line.contains(name.as_str()))
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            ("text/html", page.into_bytes())
        })
    } else if let Some(file) = path.strip_prefix("/files/") {
        upstream(&format!("{PYPI_FILES}{file}")).map(|mut bytes| {
            if let Fault::Tampered(name) = fault
                && file.ends_with(&format!("/{name}"))
                && let Some(last) = bytes.last_mut()
            {
                *last ^= 0xff;
            }
            ("application/octet-stream", bytes)
        })
    } else {
        None
    };
    let (status, content_type, body) = match response {
        Some((content_type, body)) => ("200 OK", content_type, body),
        None => ("404 Not Found", "text/plain", b"not found\n".to_vec()),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)
}

/// PyPI's response (HTML for index pages), cached for the test process; `None` if it failed.
fn upstream(url: &str) -> Option<Vec<u8>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(bytes) = cache.lock().unwrap().get(url) {
        return Some(bytes.clone());
    }
    let agent = ureq::Agent::config_builder()
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
        )
        .http_status_as_error(false)
        .build()
        .new_agent();
    // A few tries: a test's build fails for a mirror that drops a request.
    for attempt in 1..=4 {
        let fetched = agent
            .get(url)
            .header("Accept", "text/html")
            .call()
            .map_err(|error| error.to_string())
            .and_then(|mut response| {
                if response.status() == 404 {
                    return Ok(None);
                }
                if response.status() != 200 {
                    return Err(format!("HTTP {}", response.status()));
                }
                let mut bytes = Vec::new();
                response
                    .body_mut()
                    .as_reader()
                    .read_to_end(&mut bytes)
                    .map_err(|error| error.to_string())?;
                Ok(Some(bytes))
            });
        match fetched {
            Ok(Some(bytes)) => {
                cache.lock().unwrap().insert(url.to_string(), bytes.clone());
                return Some(bytes);
            }
            Ok(None) => return None,
            Err(error) => {
                eprintln!("pypi mirror: {url}: attempt {attempt}: {error}");
                std::thread::sleep(std::time::Duration::from_millis(200 * attempt));
            }
        }
    }
    None
}
