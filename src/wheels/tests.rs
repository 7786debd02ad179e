use super::*;
use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

const UV_TXT: &str = include_str!("../../requirements/uv.txt");
const PIP_TXT: &str = include_str!("../../requirements/pip.txt");

fn sha256(bytes: &[u8]) -> Sha256Digest {
    hex::encode(Sha256::digest(bytes)).parse().unwrap()
}

fn wheel(file_name: &'static str, bytes: &[u8]) -> PinnedWheel {
    PinnedWheel {
        project: "uv",
        version: "0.13.9",
        file_name,
        sha256: sha256(bytes),
    }
}

const FILE: &str = "uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";

#[test]
fn the_pinned_wheels_are_read_per_architecture() {
    let x86 = PinnedWheel::from_requirements(UV_TXT, "uv", Arch::X86_64).unwrap();
    let arm = PinnedWheel::from_requirements(UV_TXT, "uv", Arch::Aarch64).unwrap();
    assert!(x86.file_name.contains("_x86_64") && x86.file_name.contains("manylinux"));
    assert!(arm.file_name.contains("_aarch64") && arm.file_name.contains("manylinux"));
    let pip = PinnedWheel::from_requirements(PIP_TXT, "pip", Arch::Aarch64).unwrap();
    assert!(pip.file_name.ends_with("-py3-none-any.whl"));
    // Each file's hash is also one of the `--hash`es of the requirement line, so that the file
    // still works as a pip requirements file and the two cannot drift apart.
    for (requirements, wheel) in [(UV_TXT, &x86), (UV_TXT, &arm), (PIP_TXT, &pip)] {
        assert!(
            requirements.contains(&format!("--hash=sha256:{} ", wheel.sha256))
                || requirements.contains(&format!("--hash=sha256:{} \\", wheel.sha256))
                || requirements.contains(&format!("--hash=sha256:{}\n", wheel.sha256))
        );
    }
}

#[test]
fn a_wheel_line_must_match_the_pinned_version() {
    let requirements = "uv==0.13.9 --hash=sha256:00\n\
        # wheel x86_64: uv-0.13.8-py3-none-any.whl --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000\n";
    assert_eq!(
        PinnedWheel::from_requirements(requirements, "uv", Arch::X86_64),
        None
    );
    let requirements = "uv==0.13.9 --hash=sha256:00\n\
        # wheel aarch64: uv-0.13.9-py3-none-any.whl --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000\n";
    assert_eq!(
        PinnedWheel::from_requirements(requirements, "uv", Arch::X86_64),
        None
    );
    assert!(PinnedWheel::from_requirements(requirements, "uv", Arch::Aarch64).is_some());
}

/// Serves fixed responses by path (status, content type, body) and records every path asked for.
struct Server {
    base: Url,
    requests: Arc<Mutex<Vec<String>>>,
}

/// Status, content type, body.
type Reply = (u16, &'static str, Vec<u8>);

fn serve(routes: Vec<(&'static str, Vec<Reply>)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&requests);
    let mut routes: HashMap<&str, Vec<Reply>> = routes.into_iter().collect();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut request = [0u8; 4096];
            let n = stream.read(&mut request).unwrap_or(0);
            let text = String::from_utf8_lossy(&request[..n]).to_string();
            let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
            log.lock().unwrap().push(path.clone());
            let (status, content_type, body) = match routes.get_mut(path.as_str()) {
                Some(responses) if responses.len() > 1 => responses.remove(0),
                Some(responses) => responses[0].clone(),
                None => (404, "text/plain", Vec::new()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    Server { base, requests }
}

fn index_at(url: &Url) -> PackageIndex {
    PackageIndex {
        url: url.join("simple/").unwrap(),
        setting: Some("PIP_INDEX_URL"),
    }
}

fn page(file: &str) -> Vec<u8> {
    format!("<html><body><a href=\"../../files/{file}#sha256=ignored\">{file}</a></body></html>")
        .into_bytes()
}

#[test]
fn fetches_the_file_the_project_page_links_to() {
    let bytes = b"the wheel".to_vec();
    let server = serve(vec![
        ("/simple/uv/", vec![(200, "text/html", page(FILE))]),
        (
            "/files/uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            vec![(200, "application/octet-stream", bytes.clone())],
        ),
    ]);
    let fetched = fetch_with_backoff(
        &http::agent(),
        &index_at(&server.base),
        &wheel(FILE, &bytes),
        Duration::ZERO,
        |_, _| {},
    )
    .unwrap();
    assert_eq!(fetched, bytes);
    assert_eq!(
        *server.requests.lock().unwrap(),
        ["/simple/uv/", &format!("/files/{FILE}")]
    );
}

#[test]
fn a_different_file_fails_its_checksum_without_retrying() {
    let server = serve(vec![
        ("/simple/uv/", vec![(200, "text/html", page(FILE))]),
        (
            "/files/uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            vec![(200, "application/octet-stream", b"tampered".to_vec())],
        ),
    ]);
    let pinned = wheel(FILE, b"the wheel");
    let mut retries = 0;
    let error = fetch_with_backoff(
        &http::agent(),
        &index_at(&server.base),
        &pinned,
        Duration::ZERO,
        |_, _| retries += 1,
    )
    .unwrap_err();
    let WheelFetchError::ChecksumMismatch {
        file,
        expected,
        actual,
        index,
        ..
    } = error
    else {
        panic!("{error:?}")
    };
    assert_eq!(file, FILE);
    assert_eq!(expected, pinned.sha256);
    assert_eq!(actual, sha256(b"tampered").to_string());
    assert!(index.ends_with("(PIP_INDEX_URL)"), "{index}");
    assert_eq!(retries, 0);
}

#[test]
fn a_page_without_the_file_is_not_on_index_and_server_errors_are_retried() {
    let server = serve(vec![(
        "/simple/uv/",
        vec![
            (503, "text/plain", Vec::new()),
            (200, "text/html", page("uv-0.13.8-py3-none-any.whl")),
        ],
    )]);
    let mut retries = 0;
    let error = fetch_with_backoff(
        &http::agent(),
        &index_at(&server.base),
        &wheel(FILE, b"x"),
        Duration::ZERO,
        |_, _| retries += 1,
    )
    .unwrap_err();
    assert_eq!(retries, 1);
    assert!(
        matches!(&error, WheelFetchError::NotOnIndex { error: None, page, .. }
            if page.path() == "/simple/uv/"),
        "{error:?}"
    );
    let missing = serve(vec![]);
    let error = fetch_with_backoff(
        &http::agent(),
        &index_at(&missing.base),
        &wheel(FILE, b"x"),
        Duration::ZERO,
        |_, _| {},
    )
    .unwrap_err();
    assert!(
        matches!(
            error,
            WheelFetchError::NotOnIndex {
                error: Some(HttpError::NotFound { .. }),
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn a_local_directory_is_an_index_too() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("simple/uv");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join(FILE), b"local wheel").unwrap();
    let index = PackageIndex {
        url: Url::from_directory_path(root.path().join("simple")).unwrap(),
        setting: Some("PIP_INDEX_URL"),
    };
    let fetched = fetch_with_backoff(
        &http::agent(),
        &index,
        &wheel(FILE, b"local wheel"),
        Duration::ZERO,
        |_, _| {},
    )
    .unwrap();
    assert_eq!(fetched, b"local wheel");
}
