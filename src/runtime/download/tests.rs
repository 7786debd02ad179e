use super::*;
use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn archive(files: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (path, contents) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o755);
        header.set_cksum();
        builder
            .append_data(&mut header, path, contents.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn keep_all(_: &Path) -> bool {
    true
}

fn sha256(bytes: &[u8]) -> Sha256Digest {
    hex::encode(Sha256::digest(bytes)).parse().unwrap()
}

/// Serves `responses` in order (status, body), one per connection, then 404s.
fn serve(responses: Vec<(u16, Vec<u8>)>) -> (Url, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = Url::parse(&format!(
        "http://{}/python.tar.gz",
        listener.local_addr().unwrap()
    ))
    .unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let served = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let n = served.fetch_add(1, Ordering::SeqCst);
            let (status, body) = responses.get(n).cloned().unwrap_or((404, Vec::new()));
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    (url, count)
}

#[test]
fn unpacks_verified_archive_without_top_folder() {
    let bytes = archive(&[
        ("python/bin/python3", "#!/bin/sh\n"),
        ("python/lib/x.txt", "x"),
    ]);
    let (url, _) = serve(vec![(200, bytes.clone())]);
    let dest = tempfile::tempdir().unwrap();
    download_and_unpack_with_backoff(
        &url,
        &sha256(&bytes),
        dest.path(),
        &keep_all,
        Duration::ZERO,
        |_, _| {},
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(dest.path().join("lib/x.txt")).unwrap(),
        "x"
    );
    assert!(dest.path().join("bin/python3").is_file());
    assert!(!dest.path().join(".unpack").exists());
}

#[test]
fn checksum_mismatch_names_both_digests() {
    let bytes = archive(&[("python/bin/python3", "x")]);
    let (url, _) = serve(vec![(200, bytes.clone())]);
    let wrong = sha256(b"something else");
    let dest = tempfile::tempdir().unwrap();
    let error = download_and_unpack_with_backoff(
        &url,
        &wrong,
        dest.path(),
        &keep_all,
        Duration::ZERO,
        |_, _| {},
    )
    .unwrap_err();
    match error {
        DownloadError::ChecksumMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, wrong);
            assert_eq!(actual, sha256(&bytes).to_string());
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn retries_server_errors() {
    let bytes = archive(&[("python/bin/python3", "x")]);
    let (url, count) = serve(vec![(503, Vec::new()), (200, bytes.clone())]);
    let dest = tempfile::tempdir().unwrap();
    let mut retries = 0;
    download_and_unpack_with_backoff(
        &url,
        &sha256(&bytes),
        dest.path(),
        &keep_all,
        Duration::ZERO,
        |_, _| {
            retries += 1;
        },
    )
    .unwrap();
    assert_eq!(retries, 1);
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[test]
fn not_found_is_not_retried() {
    let (url, count) = serve(vec![]);
    let dest = tempfile::tempdir().unwrap();
    let error = download_and_unpack_with_backoff(
        &url,
        &sha256(b""),
        dest.path(),
        &keep_all,
        Duration::ZERO,
        |_, _| {},
    )
    .unwrap_err();
    assert!(matches!(
        error,
        DownloadError::Http(HttpError::NotFound { .. })
    ));
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[test]
fn not_an_archive_with_right_checksum_is_an_unpack_error() {
    let bytes = b"not a tarball".to_vec();
    let (url, _) = serve(vec![(200, bytes.clone())]);
    let dest = tempfile::tempdir().unwrap();
    let error = download_and_unpack_with_backoff(
        &url,
        &sha256(&bytes),
        dest.path(),
        &keep_all,
        Duration::ZERO,
        |_, _| {},
    )
    .unwrap_err();
    assert!(matches!(error, DownloadError::Unpack { .. }), "{error:?}");
}

#[test]
fn refused_entries_are_never_written() {
    let bytes = archive(&[
        ("python/bin/python3", "#!/bin/sh\n"),
        ("python/bin/pip3", "pip"),
        ("python/lib/site-packages/pip/__init__.py", "pip"),
        ("python/lib/site-packages/other/__init__.py", "other"),
    ]);
    let (url, _) = serve(vec![(200, bytes.clone())]);
    let dest = tempfile::tempdir().unwrap();
    let seen = std::sync::Mutex::new(Vec::new());
    let keep = |path: &Path| {
        seen.lock().unwrap().push(path.to_path_buf());
        !path.starts_with("lib/site-packages/pip") && path != Path::new("bin/pip3")
    };
    download_and_unpack_with_backoff(
        &url,
        &sha256(&bytes),
        dest.path(),
        &keep,
        Duration::ZERO,
        |_, _| {},
    )
    .unwrap();
    assert!(dest.path().join("bin/python3").is_file());
    assert!(
        dest.path()
            .join("lib/site-packages/other/__init__.py")
            .is_file()
    );
    assert!(!dest.path().join("bin/pip3").exists());
    assert!(!dest.path().join("lib/site-packages/pip").exists());
    // Paths are given below the archive's top folder.
    assert!(
        seen.lock()
            .unwrap()
            .contains(&std::path::PathBuf::from("bin/python3"))
    );
}
