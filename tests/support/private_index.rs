//! A private PEP 503 "simple" package index on 127.0.0.1 that needs HTTP basic auth, for tests
//! of index credentials: it serves a fixture folder (`simple/index.html`,
//! `simple/<project>/index.html` and the files they link to) and answers 401 to any request
//! without the right `Authorization` header.
#![allow(dead_code, unreachable_pub)]

use super::http_request::Request;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One request the index received.
#[derive(Clone, Debug)]
pub struct IndexRequest {
    pub path: String,
    pub authorized: bool,
    pub status: u16,
}

/// A running index; the server thread lives as long as the test process.
pub struct PrivateIndex {
    pub port: u16,
    requests: Arc<Mutex<Vec<IndexRequest>>>,
}

impl PrivateIndex {
    /// Serves `root` on a free port of 127.0.0.1, for user `user` with password `password`.
    pub fn serve(root: PathBuf, user: &str, password: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let expected = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, expected, log) = (root.clone(), expected.clone(), Arc::clone(&log));
                std::thread::spawn(move || {
                    if let Ok(request) = handle(stream, &root, &expected) {
                        log.lock().unwrap().push(request);
                    }
                });
            }
        });
        Self { port, requests }
    }

    /// Serves the `pip_private_index` fixture's index for `cnb-user` with `password`.
    pub fn fixture(password: &str) -> Self {
        Self::serve(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pip_private_index/index"),
            "cnb-user",
            password,
        )
    }

    /// Every request so far, in the order they were answered.
    pub fn requests(&self) -> Vec<IndexRequest> {
        self.requests.lock().unwrap().clone()
    }
}

fn handle(mut stream: TcpStream, root: &Path, expected: &str) -> std::io::Result<IndexRequest> {
    let request = Request::read(&stream)?;
    let authorized = request.header("authorization") == Some(expected);
    let path = request.path().to_string();
    let (status, content_type, body) = if authorized {
        match file_for(root, &path) {
            Some(file) => {
                let content_type = if file.extension().is_some_and(|e| e == "html") {
                    "text/html"
                } else {
                    "application/octet-stream"
                };
                (200, content_type, std::fs::read(file)?)
            }
            None => (404, "text/plain", b"not found\n".to_vec()),
        }
    } else {
        (401, "text/plain", b"credentials required\n".to_vec())
    };
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        _ => "Not Found",
    };
    let challenge = if status == 401 {
        "WWW-Authenticate: Basic realm=\"private index\"\r\n"
    } else {
        ""
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n{challenge}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)?;
    Ok(IndexRequest {
        path,
        authorized,
        status,
    })
}

/// `/simple/` → `root/simple/index.html`; `/simple/x/file.whl` → `root/simple/x/file.whl`.
fn file_for(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = path.trim_start_matches('/');
    if relative.split('/').any(|part| part == "..") {
        return None;
    }
    let mut file = root.join(relative);
    if path.ends_with('/') {
        file = file.join("index.html");
    }
    file.is_file().then_some(file)
}

/// Standard base64 with padding (for the `Authorization: Basic` header).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
