//! What the buildpack knows about one package manager, declared once beside its plan (`pip.rs`,
//! `uv.rs`, `poetry.rs`, `pipenv.rs`, `pdm.rs`): the files that select it, its tool and layers,
//! where its dependency groups are defined, how to recognise its project without a lock, and the
//! facts its messages need. Detection, the cache and tool layers, the dependency-group check and
//! the error catalogue read these declarations instead of matching on the package manager.

use crate::layers::package_cache::PackageCache;
use crate::package_managers::PackageManager;

/// One package manager.
pub(crate) struct Declaration {
    /// As shown in the output: `pip`, `Poetry`.
    pub(crate) name: &'static str,
    /// The file whose presence in the app root selects it.
    pub(crate) marker_file: &'static str,
    /// Its download and build cache layer.
    pub(crate) cache: PackageCache,
    /// Its settings that would make it install somewhere else or with another Python: a build
    /// whose env sets one is refused (`crate::env_safety`).
    pub(crate) refused_settings: &'static [RefusedSetting],
    pub(crate) groups: Groups,
    /// How an app that uses it without its lock file looks, and how to create the lock.
    pub(crate) missing_lock: MissingLock,
    /// What its messages say about its lock file and tool, for a package manager that installs
    /// from a lock file (all but pip).
    pub(crate) lock_words: Option<LockedManagerWords>,
}

/// A setting of the build env that the build refuses.
pub(crate) struct RefusedSetting {
    /// The variable's name, or a prefix ending with `*`.
    pub(crate) pattern: &'static str,
    /// What it would break, as the error lists it.
    pub(crate) breaks: &'static str,
    /// Whether `0`, `false`, `no` or `off` make it harmless (a switch).
    pub(crate) harmless_when_off: bool,
}

/// Where a package manager's dependency groups are defined.
pub(crate) struct Groups {
    /// The file that defines them: `pyproject.toml`, `Pipfile`.
    pub(crate) file: &'static str,
    /// Which parts of that file, as the unknown-group error names them.
    pub(crate) described_as: &'static str,
    /// The group names the parsed file defines, as written (normalised by the caller).
    pub(crate) defined: fn(&toml::Table) -> Vec<String>,
}

/// What to say about this package manager when an app has none of the package managers' files.
pub(crate) struct MissingLock {
    /// The suggestion line naming its file and the command that creates it.
    pub(crate) create: &'static str,
    /// Where the suggestion comes in the list when no package manager is recognised (0: first).
    pub(crate) suggestion_rank: u8,
    /// The package manager suggested right after this one when this one is recognised.
    pub(crate) closest: Option<PackageManager>,
    /// How its project is recognised without its file, if it can be.
    pub(crate) recognised_by: Option<Recognised>,
}

/// A package manager's project recognised although its lock file is missing.
pub(crate) struct Recognised {
    pub(crate) sign: ProjectSign,
    /// The error's header, and its explanation, which the suggestion lines follow.
    pub(crate) header: &'static str,
    pub(crate) explanation: &'static str,
}

/// A sign of a package manager's project in the app root. The most specific sign found wins:
/// a file of its own, then a table of its own in `pyproject.toml`, then a generic one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProjectSign {
    /// A file only this package manager uses (`Pipfile`).
    File(&'static str),
    /// A `pyproject.toml` table only this package manager uses (`[tool.poetry]`).
    Table(&'static [&'static str]),
    /// Any of these `pyproject.toml` tables, which other tools use too (`[project]`).
    GenericTables(&'static [&'static [&'static str]]),
}

/// What differs between the lock-based package managers in their error messages.
pub(crate) struct LockedManagerWords {
    pub(crate) lock: &'static str,
    pub(crate) manifest: &'static str,
    pub(crate) lock_command: &'static str,
    /// With `NAME` for the package.
    pub(crate) upgrade_command: &'static str,
    /// Where the manifest says which Python versions the project supports.
    pub(crate) python_setting: &'static str,
    /// How a private index and its credentials reach the tool.
    pub(crate) index_settings: &'static str,
    /// The variable that gives the tool a CA bundle.
    pub(crate) ca_bundle: &'static str,
    /// Whether the tool's output tells an untrusted certificate from other connection errors
    /// (Poetry's does not: its unreachable-index error then mentions the CA bundle too).
    pub(crate) certificate_errors_recognised: bool,
}

/// The keys of the table at `path` of a parsed TOML file (none if it is not there).
pub(crate) fn table_keys(table: &toml::Table, path: &[&str]) -> Vec<String> {
    lookup(table, path)
        .and_then(toml::Value::as_table)
        .map(|table| table.keys().cloned().collect())
        .unwrap_or_default()
}

/// The value at `path` of a parsed TOML file.
pub(crate) fn lookup<'a>(table: &'a toml::Table, path: &[&str]) -> Option<&'a toml::Value> {
    let (first, rest) = path.split_first()?;
    rest.iter()
        .try_fold(table.get(*first)?, |value, key| value.get(key))
}
