//! The buildpack's own tools that come as a single wheel (pip, uv): the file that
//! `requirements/<tool>.txt` pins for the build's architecture, found on the package index the
//! user configured (see [`index`]), downloaded and checked against its pinned SHA-256 in Rust,
//! then unpacked from memory. No Python runs, so this happens while CPython downloads, and
//! nothing unverified is ever written to a layer.

pub(crate) mod index;
mod unpack;

use crate::http::{self, HttpError};
use crate::runtime::manifest::{Arch, Sha256Digest};
use index::{PAGE_ACCEPT, PackageIndex};
use sha2::{Digest, Sha256};
use std::io::{self, Read};
use std::path::PathBuf;
use std::time::Duration;
pub(crate) use unpack::unpack_wheel;
use url::Url;

/// Larger wheels than this are refused: no tool wheel comes near it (uv's is about 20 MB), and
/// the download is held in memory until its checksum is known.
const MAX_WHEEL_BYTES: u64 = 256 * 1024 * 1024;

/// One wheel file, pinned by name and SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PinnedWheel {
    /// The project name on the index: `uv`, `pip`.
    pub(crate) project: &'static str,
    pub(crate) version: &'static str,
    pub(crate) file_name: &'static str,
    pub(crate) sha256: Sha256Digest,
}

impl PinnedWheel {
    /// The wheel pinned for `arch` in a requirements file, by its
    /// `# wheel <arch or any>: <file name> --hash=sha256:<hex>` line. The file name starts with
    /// the project and version (`uv-0.13.9-...`), which the `<project>==<version>` line pins.
    pub(crate) fn from_requirements(
        requirements: &'static str,
        project: &'static str,
        arch: Arch,
    ) -> Option<Self> {
        let version = crate::layers::tool::pinned_version(requirements, project)?;
        requirements.lines().find_map(|line| {
            let rest = line.trim().strip_prefix("# wheel ")?;
            let (wheel_arch, rest) = rest.split_once(':')?;
            if wheel_arch != "any" && wheel_arch != arch.as_str() {
                return None;
            }
            let (file_name, hash) = rest.trim().split_once(' ')?;
            let sha256 = hash.trim().strip_prefix("--hash=sha256:")?.parse().ok()?;
            let expected_prefix = format!("{project}-{version}-");
            file_name.starts_with(&expected_prefix).then_some(Self {
                project,
                version,
                file_name,
                sha256,
            })
        })
    }
}

#[derive(Debug)]
pub(crate) enum WheelFetchError {
    /// The index's project page could not be fetched, or does not list the file.
    NotOnIndex {
        file: String,
        index: String,
        page: Url,
        /// Why, when the page itself failed (`None`: the page does not list the file).
        error: Option<HttpError>,
    },
    Download {
        file: String,
        error: HttpError,
    },
    ChecksumMismatch {
        file: String,
        url: Url,
        index: String,
        expected: Sha256Digest,
        actual: String,
    },
    TooLarge {
        file: String,
        url: Url,
    },
    /// The verified file is not a wheel the buildpack can use.
    BadWheel {
        file: String,
        message: String,
    },
    Write {
        path: PathBuf,
        error: io::Error,
    },
}

impl WheelFetchError {
    fn is_transient(&self) -> bool {
        match self {
            WheelFetchError::NotOnIndex {
                error: Some(error), ..
            }
            | WheelFetchError::Download { error, .. } => error.is_transient(),
            _ => false,
        }
    }
}

/// Downloads `wheel` from `index` and checks its SHA-256; returns its bytes. Transient failures
/// are retried (each one is told to `on_retry`).
pub(crate) fn fetch(
    agent: &ureq::Agent,
    index: &PackageIndex,
    wheel: &PinnedWheel,
    on_retry: impl FnMut(&WheelFetchError, u32),
) -> Result<Vec<u8>, WheelFetchError> {
    fetch_with_backoff(agent, index, wheel, Duration::from_secs(1), on_retry)
}

fn fetch_with_backoff(
    agent: &ureq::Agent,
    index: &PackageIndex,
    wheel: &PinnedWheel,
    backoff: Duration,
    on_retry: impl FnMut(&WheelFetchError, u32),
) -> Result<Vec<u8>, WheelFetchError> {
    http::retry(
        backoff,
        || {
            let url = find_on_index(agent, index, wheel)?;
            download_verified(agent, index, wheel, &url)
        },
        WheelFetchError::is_transient,
        on_retry,
    )
}

/// The file's URL, from the project page of the index.
fn find_on_index(
    agent: &ureq::Agent,
    index: &PackageIndex,
    wheel: &PinnedWheel,
) -> Result<Url, WheelFetchError> {
    let page = index.project_page(wheel.project);
    let not_on_index = |error| WheelFetchError::NotOnIndex {
        file: wheel.file_name.to_string(),
        index: index.describe(),
        page: page.clone(),
        error,
    };
    let response =
        http::get_accepting(agent, &page, PAGE_ACCEPT).map_err(|e| not_on_index(Some(e)))?;
    let mut body = String::new();
    response
        .body
        .take(MAX_WHEEL_BYTES)
        .read_to_string(&mut body)
        .map_err(|error| not_on_index(Some(http::network_error(&page, &error))))?;
    index::find_file(
        &response.url,
        &response.content_type,
        &body,
        wheel.file_name,
    )
    .ok_or_else(|| not_on_index(None))
}

fn download_verified(
    agent: &ureq::Agent,
    index: &PackageIndex,
    wheel: &PinnedWheel,
    url: &Url,
) -> Result<Vec<u8>, WheelFetchError> {
    let file = wheel.file_name.to_string();
    let failed = |error| WheelFetchError::Download {
        file: file.clone(),
        error,
    };
    let body = http::get(agent, url).map_err(failed)?;
    let mut bytes = Vec::new();
    body.take(MAX_WHEEL_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| failed(http::network_error(url, &error)))?;
    if bytes.len() as u64 > MAX_WHEEL_BYTES {
        return Err(WheelFetchError::TooLarge {
            file,
            url: url.clone(),
        });
    }
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual != wheel.sha256.to_string() {
        return Err(WheelFetchError::ChecksumMismatch {
            file,
            url: url.clone(),
            index: index.describe(),
            expected: wheel.sha256.clone(),
            actual,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests;
