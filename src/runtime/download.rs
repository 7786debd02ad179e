//! Streams a runtime archive: downloads, hashes, decompresses and unpacks in one pass.

use crate::http::{self, HttpError};
use crate::runtime::manifest::Sha256Digest;
use sha2::{Digest, Sha256};
use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;
use url::Url;

#[derive(Debug)]
pub(crate) enum DownloadError {
    Http(HttpError),
    ChecksumMismatch {
        url: Url,
        expected: Sha256Digest,
        actual: String,
    },
    /// The archive could not be decompressed or unpacked.
    Unpack {
        url: Url,
        message: String,
    },
    /// Clearing the destination before a retry failed.
    Io(io::Error),
}

impl DownloadError {
    fn is_transient(&self) -> bool {
        match self {
            DownloadError::Http(error) => error.is_transient(),
            // A truncated or corrupted transfer shows up as a bad archive or a bad checksum.
            DownloadError::ChecksumMismatch { .. }
            | DownloadError::Unpack { .. }
            | DownloadError::Io(_) => false,
        }
    }
}

/// Downloads the `.tar.gz` at `url` into `dest`, dropping the archive's top-level folder
/// (`python/`) and every entry for which `keep` (given the path below that folder) is false:
/// those are never written. The SHA-256 of the compressed bytes must equal `expected`. On error
/// `dest` may hold a partial tree: the caller must discard it.
pub(crate) fn download_and_unpack(
    url: &Url,
    expected: &Sha256Digest,
    dest: &Path,
    keep: impl Fn(&Path) -> bool,
    on_retry: impl FnMut(&DownloadError, u32),
) -> Result<(), DownloadError> {
    download_and_unpack_with_backoff(url, expected, dest, &keep, Duration::from_secs(2), on_retry)
}

fn download_and_unpack_with_backoff(
    url: &Url,
    expected: &Sha256Digest,
    dest: &Path,
    keep: &dyn Fn(&Path) -> bool,
    backoff: Duration,
    on_retry: impl FnMut(&DownloadError, u32),
) -> Result<(), DownloadError> {
    let agent = http::agent();
    http::retry(
        backoff,
        || {
            crate::fsutil::empty_dir(dest).map_err(DownloadError::Io)?;
            let body = http::get(&agent, url).map_err(DownloadError::Http)?;
            unpack_verified(body, url, expected, dest, keep)
        },
        DownloadError::is_transient,
        on_retry,
    )
}

fn unpack_verified(
    body: impl Read,
    url: &Url,
    expected: &Sha256Digest,
    dest: &Path,
    keep: &dyn Fn(&Path) -> bool,
) -> Result<(), DownloadError> {
    let mut hashing = HashingReader::new(body);
    let unpack_result = unpack_tar_gz(&mut hashing, dest, keep);
    // Hash to the very end even when unpacking stopped early, so that a checksum mismatch
    // (the more useful diagnosis) wins over a tar error caused by a corrupted download.
    let drain_result = io::copy(&mut hashing, &mut io::sink());
    let actual = hex::encode(hashing.hasher.finalize());
    if let Some(error) = hashing.read_error {
        return Err(DownloadError::Http(http::network_error(url, &error)));
    }
    if actual != expected.to_string() {
        return Err(DownloadError::ChecksumMismatch {
            url: url.clone(),
            expected: expected.clone(),
            actual,
        });
    }
    unpack_result
        .and(drain_result.map(|_| ()))
        .map_err(|error| DownloadError::Unpack {
            url: url.clone(),
            message: error.to_string(),
        })
}

/// Unpacks with tar's own path checks (no entry or link may escape the staging folder), skipping
/// the entries that `keep` refuses, then moves the contents of the single top-level folder
/// (`python/`) up into `dest`. Directory entries come last, as in `tar::Archive::unpack`, so that
/// their permissions do not get in the way of their contents.
fn unpack_tar_gz(reader: impl Read, dest: &Path, keep: &dyn Fn(&Path) -> bool) -> io::Result<()> {
    let staging = dest.join(".unpack");
    std::fs::create_dir_all(&staging)?;
    let staging = staging.canonicalize()?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    archive.set_preserve_permissions(true);
    let mut directories = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let below_top: std::path::PathBuf = path.components().skip(1).collect();
        if !below_top.as_os_str().is_empty() && !keep(&below_top) {
            continue;
        }
        if entry.header().entry_type() == tar::EntryType::Directory {
            directories.push(entry);
        } else {
            entry.unpack_in(&staging)?;
        }
    }
    directories.sort_by(|a, b| b.path_bytes().cmp(&a.path_bytes()));
    for mut directory in directories {
        directory.unpack_in(&staging)?;
    }
    let top_folder = single_top_folder(&staging)?;
    for child in std::fs::read_dir(&top_folder)? {
        let child = child?;
        std::fs::rename(child.path(), dest.join(child.file_name()))?;
    }
    std::fs::remove_dir_all(&staging)
}

fn single_top_folder(dir: &Path) -> io::Result<std::path::PathBuf> {
    let children = std::fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
    match children.as_slice() {
        [only] if only.file_type()?.is_dir() => Ok(only.path()),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "expected the archive to hold a single top-level folder (python/)",
        )),
    }
}

/// Hashes every byte read through it. A read error is remembered so that it is reported as a
/// network failure rather than as a corrupt archive.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    read_error: Option<io::Error>,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            read_error: None,
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read_error.is_some() {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Ok(n) => {
                self.hasher.update(&buf[..n]);
                Ok(n)
            }
            Err(error) => {
                let copy = io::Error::new(error.kind(), error.to_string());
                self.read_error = Some(error);
                Err(copy)
            }
        }
    }
}

#[cfg(test)]
mod tests;
