//! Serves CPython archives on 127.0.0.1 so that e2e tests exercise the buildpack's real
#![allow(dead_code, unreachable_pub)]
//! download, checksum and unpack path without reaching GitHub.

use super::http_request::Request;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where CPython for the tests comes from.
pub enum RuntimeSource {
    /// `$PYTHON_BUILDPACK_SHARED_DIR/python-runtimes`, served from a local HTTP server.
    LocalMirror { base_url: String, dir: PathBuf },
    /// No fixtures: the built-in manifest and the real downloads.
    Builtin,
}

/// One manifest line, as in `data/python-runtimes.jsonl`.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct ManifestRow {
    pub version: String,
    pub arch: String,
    pub variant: String,
    pub url: String,
    pub sha256: String,
}

pub fn runtime_source() -> &'static RuntimeSource {
    static SOURCE: OnceLock<RuntimeSource> = OnceLock::new();
    SOURCE.get_or_init(|| match std::env::var_os("PYTHON_BUILDPACK_SHARED_DIR") {
        Some(shared) => {
            let dir = PathBuf::from(shared).join("python-runtimes");
            assert!(
                dir.join("runtimes.jsonl").is_file(),
                "PYTHON_BUILDPACK_SHARED_DIR is set but {} has no runtimes.jsonl",
                dir.display()
            );
            let base_url = serve_dir(dir.clone());
            RuntimeSource::LocalMirror { base_url, dir }
        }
        None => RuntimeSource::Builtin,
    })
}

impl RuntimeSource {
    /// Platform env that points the buildpack at this source (none for the built-in one).
    pub fn build_env(&self) -> Vec<(String, String)> {
        match self {
            RuntimeSource::LocalMirror { base_url, .. } => vec![(
                "BP_PYTHON_RUNTIME_MANIFEST".to_string(),
                format!("{base_url}/runtimes.jsonl"),
            )],
            RuntimeSource::Builtin => Vec::new(),
        }
    }

    /// The rows of the manifest in use, with absolute URLs.
    pub fn manifest_rows(&self) -> Vec<ManifestRow> {
        let (text, base) = match self {
            RuntimeSource::LocalMirror { base_url, dir } => (
                std::fs::read_to_string(dir.join("runtimes.jsonl")).unwrap(),
                Some(base_url.as_str()),
            ),
            RuntimeSource::Builtin => (
                include_str!("../../data/python-runtimes.jsonl").to_string(),
                None,
            ),
        };
        text.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let mut row: ManifestRow = serde_json::from_str(line).unwrap();
                if let Some(base) = base
                    && !row.url.contains("://")
                {
                    row.url = format!("{base}/{}", row.url);
                }
                row
            })
            .collect()
    }

    /// The exact version the buildpack should pick for `X.Y` on this machine.
    pub fn expected_version(&self, minor: &str) -> String {
        let arch = host_arch();
        let prefix = format!("{minor}.");
        self.manifest_rows()
            .into_iter()
            .filter(|row| row.arch == arch && row.variant == "default")
            .filter(|row| row.version.starts_with(&prefix))
            .filter(|row| row.version.chars().all(|c| c.is_ascii_digit() || c == '.'))
            .map(|row| row.version)
            .max_by_key(|v| {
                v.split('.')
                    .map(|p| p.parse::<u32>().unwrap())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_else(|| panic!("no Python {minor} for {arch} in the manifest in use"))
    }
}

/// Rows as a JSON-lines manifest, the shape `BP_PYTHON_RUNTIME_MANIFEST` takes.
pub fn to_jsonl(rows: impl IntoIterator<Item = ManifestRow>) -> String {
    rows.into_iter()
        .map(|row| serde_json::to_string(&row).unwrap() + "\n")
        .collect()
}

pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x86_64",
        "aarch64" => "aarch64",
        other => panic!("unsupported test host arch {other}"),
    }
}

/// A minimal static file server: GET only, one thread per connection.
fn serve_dir(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let _ = handle(stream, &dir);
            });
        }
    });
    format!("http://{address}")
}

fn handle(mut stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    let request = Request::read(&stream)?;
    let path = request.path();
    // Any folder prefix is accepted, so the same server also acts as a mirror
    // (`<base>/<release>/<file>`); `%2B` is how release URLs spell `+`.
    let name = path
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .replace("%2B", "+");
    let file = (!name.contains("..") && !name.is_empty())
        .then(|| dir.join(name))
        .filter(|file| file.is_file());
    match file {
        Some(file) => {
            let bytes = std::fs::read(file)?;
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            )?;
            stream.write_all(&bytes)
        }
        None => write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    }
}

/// A manifest for tests that need versions the runtime source does not have (end-of-life minors,
/// newer patches): one row per `versions` entry for this machine's arch (`t` suffix: free-threaded),
/// all pointing at the archive of the newest 3.11 the source has. Only tests that fail before the
/// download, or that assert just the version selection output, should install from it.
pub fn manifest_with_versions(versions: &[&str]) -> String {
    let template_version = runtime_source().expected_version("3.11");
    let template = runtime_source()
        .manifest_rows()
        .into_iter()
        .find(|row| {
            row.version == template_version && row.arch == host_arch() && row.variant == "default"
        })
        .expect("a 3.11 row for this arch");
    to_jsonl(versions.iter().map(|version| {
        let (version, variant) = match version.strip_suffix('t') {
            Some(version) => (version, "freethreaded"),
            None => (*version, "default"),
        };
        ManifestRow {
            version: version.to_string(),
            variant: variant.to_string(),
            ..template.clone()
        }
    }))
}
