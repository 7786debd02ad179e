//! Compiled Python files (`.pyc`) that stay valid in the image and in the cache. Python's usual
//! `.pyc` records its source's modification time and size, and is thrown away (the module is
//! compiled again, at every start when the image is read-only) as soon as the time differs. A
//! real platform changes every time: the lifecycle exports every file with mtime 1980-01-01 and
//! restores cached files with the time of the restore. So the buildpack turns every `.pyc` it
//! ships into a hash-based one (PEP 552), which records a hash of its source instead:
//! - *unchecked* in the layers nothing changes in place (the runtime, the tools): Python uses
//!   them without reading the source, as it would a valid timestamp-based file;
//! - *checked* where sources can change (the app, its virtual environment): Python compares the
//!   hash with the source's when it imports the module.
//!
//! Converting is rewriting the 16-byte header: the compiled code is the same. A timestamp-based
//! file is converted when it matches its source (time and size), which holds for every file
//! Python wrote during this build; anything else is stale and removed (Python would ignore it).
//! The runtime's archive is the exception ([`Origin::Archive`]): its files and their sources come
//! from one verified build of CPython, but the archive's times do not match (the test fixtures
//! store sources at time 0, python-build-standalone's go stale at the first export), so there
//! the size is checked and the time is not.

use siphasher::sip::{SipHasher13, SipHasher24};
use std::fs;
use std::hash::Hasher;
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// How Python checks a converted file against its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Validation {
    /// Never: for layers whose sources only change when the whole layer is replaced.
    Unchecked,
    /// On every import: for sources that can change (the app, its virtual environment).
    Checked,
}

/// Where the compiled files of a tree come from, which says how far their headers are trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Unpacked from a verified runtime archive, compiled from the very sources beside them:
    /// converted when the recorded size matches, whatever the times.
    Archive,
    /// Written by Python during the build (or left by an earlier one): converted when they match
    /// their source's time and size, as Python itself would check them.
    Build,
}

/// What was done to a tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sealed {
    /// Timestamp-based files rewritten as hash-based ones.
    pub(crate) converted: usize,
    /// Stale timestamp-based files removed.
    pub(crate) removed: usize,
}

/// A file that could not be read or written.
#[derive(Debug)]
pub(crate) struct SealError {
    pub(crate) path: PathBuf,
    pub(crate) error: io::Error,
}

/// Folders of an app that hold no code of the app's (besides hidden ones: version control, editor
/// settings): front-end packages, compiled files.
const NOT_APP_CODE: [&str; 3] = ["node_modules", "__pycache__", "__pypackages__"];

/// Whether the app folder at `relative` holds code of the app's: not a hidden folder, one of
/// [`NOT_APP_CODE`], or one of the virtual environments committed with it (`committed`, at the
/// top).
fn is_app_code(relative: &Path, committed: &[String]) -> bool {
    let name = relative.file_name().unwrap_or_default().to_string_lossy();
    !(name.starts_with('.')
        || NOT_APP_CODE.contains(&name.as_ref())
        || (relative.parent() == Some(Path::new("")) && committed.iter().any(|c| *c == name)))
}

/// Compiles the app's Python sources ahead, into checked hash-based files, so that the image
/// starts without compiling them (the image is read-only for the app's user, and a writable one
/// would only keep them until the container stops), and makes the ones Python already wrote
/// during the build (collectstatic's imports) hash-based too. `python` is the app's. Nothing to
/// do, and no Python started, for an app without Python sources.
pub(crate) fn compile_app(
    app_dir: &Path,
    python: &Path,
    env: &libcnb::Env,
    suffix: &str,
    committed_venvs: &[String],
) {
    let sources = match uncompiled(app_dir, suffix, &|dir| is_app_code(dir, committed_venvs)) {
        Ok(sources) => sources,
        Err(error) => {
            return warn(&SealError {
                path: app_dir.to_path_buf(),
                error,
            });
        }
    };
    if !sources.is_empty() {
        bullet_stream::global::print::bullet("App bytecode");
        compile(app_dir, &sources, python, env, "the app's");
    }
    seal_or_warn(app_dir, Validation::Checked, Origin::Build);
}

/// After an install into the virtual environment `venv_dir`: compiles the importable sources
/// (under `lib/`) that have no compiled file `<module><suffix>` (PDM's installer compiles
/// nothing; pip, uv, Poetry and Pipenv compile everything, and then nothing runs), and makes
/// everything hash-based, checked, as the installers' own files are (`SOURCE_DATE_EPOCH`).
pub(crate) fn complete_venv(venv_dir: &Path, python: &Path, env: &libcnb::Env, suffix: &str) {
    let lib = venv_dir.join("lib");
    match uncompiled(&lib, suffix, &|_| true) {
        Ok(sources) if !sources.is_empty() => {
            compile(&lib, &sources, python, env, "the environment's uncompiled");
        }
        Ok(_) => {}
        Err(error) => warn(&SealError { path: lib, error }),
    }
    seal_or_warn(venv_dir, Validation::Checked, Origin::Build);
}

/// The Python sources under `root` (relative to it, sorted) without a compiled file named
/// `<module><suffix>` (`.cpython-313.pyc`) in their `__pycache__`, in the folders (by their path
/// relative to `root`) that `include` accepts. Symbolic links to folders are not followed.
pub(crate) fn uncompiled(
    root: &Path,
    suffix: &str,
    include: &dyn Fn(&Path) -> bool,
) -> io::Result<Vec<PathBuf>> {
    fn walk(
        root: &Path,
        relative: &Path,
        suffix: &str,
        include: &dyn Fn(&Path) -> bool,
        found: &mut Vec<PathBuf>,
    ) -> io::Result<()> {
        let dir = root.join(relative);
        let compiled: std::collections::HashSet<std::ffi::OsString> =
            match fs::read_dir(dir.join("__pycache__")) {
                Ok(entries) => entries
                    .filter_map(|e| e.ok().map(|e| e.file_name()))
                    .collect(),
                Err(e) if e.kind() == io::ErrorKind::NotFound => std::collections::HashSet::new(),
                Err(e) => return Err(e),
            };
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                let path = relative.join(&name);
                if name != "__pycache__" && include(&path) {
                    walk(root, &path, suffix, include, found)?;
                }
            } else if let Some(module) = name.to_str().and_then(|n| n.strip_suffix(".py"))
                && !compiled.contains(std::ffi::OsStr::new(&format!("{module}{suffix}")))
            {
                found.push(relative.join(&name));
            }
        }
        Ok(())
    }
    let mut found = Vec::new();
    if root.is_dir() {
        walk(root, Path::new(""), suffix, include, &mut found)?;
    }
    found.sort();
    Ok(found)
}

/// Compiles `sources` (relative to `dir`) with `python -m compileall` into checked hash-based
/// files, under a timer line naming `what` files they are. Files that do not compile (a syntax
/// error, an old Python 2 script, a template) are left as they are: importing them fails the same
/// way with or without this.
fn compile(dir: &Path, sources: &[PathBuf], python: &Path, env: &libcnb::Env, what: &str) {
    let timer = bullet_stream::global::print::sub_start_timer(format!(
        "Compiling {what} {} Python {}",
        sources.len(),
        if sources.len() == 1 { "file" } else { "files" }
    ));
    let list =
        std::env::temp_dir().join(format!("python-buildpack-sources-{}", std::process::id()));
    let lines: Vec<String> = sources
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Err(error) = fs::write(&list, lines.join("\n") + "\n") {
        timer.cancel("failed");
        return warn(&SealError { path: list, error });
    }
    let mut command = crate::command::Command::new(python, env);
    command
        .args([
            "-m",
            "compileall",
            "-qq",
            "--invalidation-mode",
            "checked-hash",
            "-i",
        ])
        .arg(&list)
        .current_dir(dir);
    if sources.len() >= PARALLEL_FROM {
        command.args(["-j", "0"]);
    }
    // Its status only says whether every file compiled: see above.
    let _ = command.capture();
    let _ = fs::remove_file(&list);
    timer.done();
}

/// From how many files `compile` compiles in parallel (below, starting the workers costs more
/// than it saves).
const PARALLEL_FROM: usize = 100;

/// Makes the compiled files Python wrote while a build tool ran from `dir` (pip's, Poetry's,
/// Pipenv's, PDM's layer) hash-based, unchecked: a tool's files change only with its whole layer.
pub(crate) fn seal_tool(dir: &Path) {
    seal_or_warn(dir, Validation::Unchecked, Origin::Build);
}

/// [`seal`], and a warning instead of an error: the image works without it, only its start is
/// slower. Returns what was done.
pub(crate) fn seal_or_warn(root: &Path, validation: Validation, origin: Origin) -> Sealed {
    seal(root, validation, origin).unwrap_or_else(|error| {
        warn(&error);
        Sealed::default()
    })
}

fn warn(error: &SealError) {
    crate::message::show(error);
}

/// Makes every compiled file under `root` (in `__pycache__` folders) hash-based, with
/// `validation`, or removes it when it is stale. Hash-based files, files without a source and
/// files of Pythons older than 3.7 are left as they are. Symbolic links are not followed. A
/// missing `root` has nothing to do.
pub(crate) fn seal(
    root: &Path,
    validation: Validation,
    origin: Origin,
) -> Result<Sealed, SealError> {
    let mut sealed = Sealed::default();
    if root.is_dir() {
        seal_dir(root, validation, origin, &mut sealed)?;
    }
    Ok(sealed)
}

/// The error of an I/O operation on `path`.
fn at(path: &Path) -> impl FnOnce(io::Error) -> SealError {
    let path = path.to_path_buf();
    move |error| SealError { path, error }
}

fn seal_dir(
    dir: &Path,
    validation: Validation,
    origin: Origin,
    sealed: &mut Sealed,
) -> Result<(), SealError> {
    for entry in fs::read_dir(dir).map_err(at(dir))? {
        let entry = entry.map_err(at(dir))?;
        let path = entry.path();
        if !entry.file_type().map_err(at(&path))?.is_dir() {
            continue;
        }
        if entry.file_name() == "__pycache__" {
            seal_cache_dir(&path, validation, origin, sealed)?;
        } else {
            seal_dir(&path, validation, origin, sealed)?;
        }
    }
    Ok(())
}

fn seal_cache_dir(
    dir: &Path,
    validation: Validation,
    origin: Origin,
    sealed: &mut Sealed,
) -> Result<(), SealError> {
    for entry in fs::read_dir(dir).map_err(at(dir))? {
        let entry = entry.map_err(at(dir))?;
        let pyc = entry.path();
        let Some(source) = source_of(&pyc) else {
            continue;
        };
        if !entry.file_type().map_err(at(&pyc))?.is_file() {
            continue;
        }
        let Some(header) = read_header(&pyc).map_err(at(&pyc))? else {
            continue;
        };
        let source_meta = match fs::metadata(&source) {
            Ok(meta) if meta.is_file() => meta,
            // No source: Python never reads a `__pycache__` file without one.
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(at(&source)(e)),
        };
        let found = SourceStat {
            mtime: source_meta.mtime(),
            size: source_meta.size(),
        };
        match verdict(&header, found, origin) {
            Verdict::Keep => {}
            Verdict::Remove => {
                fs::remove_file(&pyc).map_err(at(&pyc))?;
                sealed.removed += 1;
            }
            Verdict::Convert => {
                let source_bytes = fs::read(&source).map_err(at(&source))?;
                let new_header = hash_based_header(header.magic, &source_bytes, validation);
                rewrite(&pyc, &new_header).map_err(at(&pyc))?;
                sealed.converted += 1;
            }
        }
    }
    Ok(())
}

/// The source of `<dir>/__pycache__/<name>.<tag>[.opt-N].pyc`: `<dir>/<name>.py`.
fn source_of(pyc: &Path) -> Option<PathBuf> {
    let name = pyc.file_name()?.to_str()?.strip_suffix(".pyc")?;
    let name = name
        .strip_suffix(".opt-1")
        .or_else(|| name.strip_suffix(".opt-2"))
        .unwrap_or(name);
    let (module, _tag) = name.rsplit_once('.')?;
    let dir = pyc.parent()?.parent()?;
    (!module.is_empty()).then(|| dir.join(format!("{module}.py")))
}

/// A `.pyc` header (PEP 552): the magic number, then flags, then either the source's time and
/// size or its hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Header {
    magic: [u8; 4],
    kind: HeaderKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HeaderKind {
    Timestamp {
        mtime: u32,
        size: u32,
    },
    HashBased,
    /// Flags this code does not know: left alone.
    Unknown,
}

/// The first magic number with hash-based files (Python 3.7a1).
const FIRST_HASH_BASED_MAGIC: u16 = 3390;
/// The first magic number whose source hash is SipHash-1-3 (Python 3.11a1); earlier ones use
/// SipHash-2-4 (CPython's `_Py_KeyedHash`).
const FIRST_SIPHASH13_MAGIC: u16 = 3450;

impl Header {
    fn parse(bytes: &[u8; 16]) -> Self {
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let kind = match word(4) {
            0 => HeaderKind::Timestamp {
                mtime: word(8),
                size: word(12),
            },
            0b01 | 0b11 => HeaderKind::HashBased,
            _ => HeaderKind::Unknown,
        };
        Header {
            magic: [bytes[0], bytes[1], bytes[2], bytes[3]],
            kind,
        }
    }

    /// The release's magic number (the first two bytes; the other two are `\r\n`).
    fn magic_number(&self) -> u16 {
        u16::from_le_bytes([self.magic[0], self.magic[1]])
    }
}

/// The source's time (whole seconds) and size, as Python compares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SourceStat {
    mtime: i64,
    size: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Keep,
    Convert,
    Remove,
}

/// What to do with a compiled file whose header is `header` and whose source is `source`.
fn verdict(header: &Header, source: SourceStat, origin: Origin) -> Verdict {
    let HeaderKind::Timestamp { mtime, size } = header.kind else {
        return Verdict::Keep;
    };
    if header.magic[2..] != *b"\r\n" || header.magic_number() < FIRST_HASH_BASED_MAGIC {
        return Verdict::Keep;
    }
    // Python keeps the low 32 bits of both.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (source_mtime, source_size) = (source.mtime as u32, source.size as u32);
    let matches = match origin {
        Origin::Archive => size == source_size,
        Origin::Build => size == source_size && mtime == source_mtime,
    };
    if matches {
        Verdict::Convert
    } else {
        Verdict::Remove
    }
}

/// `importlib.util.source_hash(source)` of the Python release whose magic number is `magic`.
fn source_hash(magic: [u8; 4], source: &[u8]) -> [u8; 8] {
    let key = u64::from(u32::from_le_bytes(magic));
    let magic_number = u16::from_le_bytes([magic[0], magic[1]]);
    let hash = if magic_number >= FIRST_SIPHASH13_MAGIC {
        let mut hasher = SipHasher13::new_with_keys(key, 0);
        hasher.write(source);
        hasher.finish()
    } else {
        let mut hasher = SipHasher24::new_with_keys(key, 0);
        hasher.write(source);
        hasher.finish()
    };
    hash.to_le_bytes()
}

/// The header of a hash-based file of `source` (`importlib._bootstrap_external._code_to_hash_pyc`).
fn hash_based_header(magic: [u8; 4], source: &[u8], validation: Validation) -> [u8; 16] {
    let flags: u32 = match validation {
        Validation::Unchecked => 0b01,
        Validation::Checked => 0b11,
    };
    let mut header = [0_u8; 16];
    header[..4].copy_from_slice(&magic);
    header[4..8].copy_from_slice(&flags.to_le_bytes());
    header[8..].copy_from_slice(&source_hash(magic, source));
    header
}

/// The header of a compiled file; `None` when it is too short to be one.
fn read_header(path: &Path) -> io::Result<Option<Header>> {
    let mut bytes = [0_u8; 16];
    let mut file = fs::File::open(path)?;
    let mut filled = 0;
    while filled < bytes.len() {
        match file.read(&mut bytes[filled..])? {
            0 => return Ok(None),
            n => filled += n,
        }
    }
    Ok(Some(Header::parse(&bytes)))
}

/// Replaces the file's header with `header`. A file with one name is written in place (16 bytes;
/// whatever part of them a crash leaves, Python either uses the unchanged code or compiles the
/// source again). A file that shares its inode with another path (a hard link from a package
/// cache) is never changed in place: a new file is renamed over it, as Python writes them.
fn rewrite(path: &Path, header: &[u8; 16]) -> io::Result<()> {
    let meta = fs::metadata(path)?;
    if meta.nlink() == 1 {
        use std::os::unix::fs::FileExt;
        return fs::File::options()
            .write(true)
            .open(path)?
            .write_all_at(header, 0);
    }
    let mut bytes = fs::read(path)?;
    bytes[..16].copy_from_slice(header);
    let mode = meta.permissions().mode();
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    fs::write(&temporary, &bytes)?;
    fs::set_permissions(&temporary, fs::Permissions::from_mode(mode))
        .and_then(|()| fs::rename(&temporary, path))
        .inspect_err(|_| {
            let _ = fs::remove_file(&temporary);
        })
}

#[cfg(test)]
mod tests;
