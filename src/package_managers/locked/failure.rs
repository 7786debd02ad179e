//! What a lock-based package manager's tool failed at, as each package manager reads it from its
//! tool's output. A leaf: the tool layers (`crate::layers::tool`) and the executor both use it.

/// What the output of a failed run of a lock-based package manager's tool says went wrong (each
/// package manager reads its own tool's output: its `classify`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LockedFailure {
    /// The lock file does not match its manifest any more.
    LockOutdated,
    /// The project does not allow the Python the buildpack installed: the tool's words.
    PythonMismatch {
        detail: String,
    },
    /// Locked versions or files that the index does not have (any more).
    Unavailable {
        packages: Vec<String>,
    },
    /// The index answered 401 or 403: missing or wrong credentials.
    CredentialsRejected {
        packages: Vec<String>,
    },
    /// Downloads whose hash is not one of those in the lock.
    HashMismatch {
        packages: Vec<String>,
    },
    /// Building a package from source failed.
    BuildFailed {
        packages: Vec<String>,
    },
    /// Poetry could not install the project itself (no package folder, for example).
    RootNotInstallable,
    /// The index could not be reached at all (TLS, proxy, DNS).
    IndexUnreachable {
        certificate: bool,
    },
    Other,
}
