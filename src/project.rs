//! The app model: the app root read once, at the start of build (detect only lists it). It
//! holds which entries the root has, the bytes of the project files the buildpack reads (the
//! package managers' manifests, locks and config files, the version files, `manage.py`), the
//! parsed `pyproject.toml` and `Pipfile`, and the virtual environments committed with the app.
//! Every step takes what it needs from it instead of opening the app's files again. What those
//! files name is read by the module that knows the format: the files a requirements file
//! includes (`crate::package_managers::pip::requirements`), the sources of local packages
//! (`crate::package_managers::local_sources`), the app's code (`crate::launch`,
//! `crate::bytecode`).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

/// Django's command-line entry point.
const MANAGE_PY: &str = "manage.py";

/// The project files the buildpack reads, when the app root has them.
const PROJECT_FILES: [&str; 13] = [
    "requirements.txt",
    "pyproject.toml",
    "uv.lock",
    "uv.toml",
    "poetry.lock",
    "poetry.toml",
    "Pipfile",
    "Pipfile.lock",
    "pdm.lock",
    "pdm.toml",
    ".python-version",
    "runtime.txt",
    MANAGE_PY,
];

/// The project files that are TOML, parsed once.
const TOML_FILES: [&str; 2] = ["pyproject.toml", "Pipfile"];

/// The app root, read.
#[derive(Debug, Default)]
pub(crate) struct Project {
    dir: PathBuf,
    /// The root's files (symbolic links followed; dangling ones are not there).
    files: BTreeSet<String>,
    /// The root's folders.
    folders: BTreeSet<String>,
    /// The contents of the [`PROJECT_FILES`] the root has.
    contents: BTreeMap<&'static str, Vec<u8>>,
    /// The [`PROJECT_FILES`] the root has that could not be read (a folder, no permission): the
    /// steps that need them say so.
    unreadable: BTreeMap<&'static str, io::Error>,
    /// Those of the [`TOML_FILES`] that parse.
    tables: BTreeMap<&'static str, toml::Table>,
    committed_venvs: Vec<String>,
    manage_py: Option<ManagePy>,
}

/// The app's root `manage.py`, followed through symlinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ManagePy {
    pub(crate) resolved: PathBuf,
    /// The resolved file's folder relative to the app; `None` at the root (or outside the app).
    pub(crate) dir: Option<String>,
    /// Its source (invalid UTF-8 replaced).
    pub(crate) source: String,
}

impl Project {
    /// Reads the app root at `dir`: its entries, then the project files it has.
    pub(crate) fn read(dir: &Path) -> io::Result<Self> {
        let mut project = Self::read_root(dir)?;
        for name in PROJECT_FILES {
            if project.has(name) {
                match std::fs::read(dir.join(name)) {
                    Ok(bytes) => {
                        project.contents.insert(name, bytes);
                    }
                    Err(error) => {
                        project.unreadable.insert(name, error);
                    }
                }
            }
        }
        if let Some(source) = project.text(MANAGE_PY) {
            let app_dir = dir.canonicalize()?;
            let resolved = app_dir.join(MANAGE_PY).canonicalize()?;
            let dir = resolved
                .parent()
                .and_then(|parent| parent.strip_prefix(&app_dir).ok())
                .map(|relative| relative.to_string_lossy().into_owned())
                .filter(|relative| !relative.is_empty());
            project.manage_py = Some(ManagePy {
                resolved,
                dir,
                source,
            });
        }
        for name in TOML_FILES {
            if let Some(table) = project
                .text(name)
                .and_then(|text| toml::from_str::<toml::Table>(&text).ok())
            {
                project.tables.insert(name, table);
            }
        }
        Ok(project)
    }

    /// Which files and folders the app root at `dir` has (and which are virtual environments),
    /// without reading any file: all that detect needs.
    pub(crate) fn read_root(dir: &Path) -> io::Result<Self> {
        let mut project = Project {
            dir: dir.to_path_buf(),
            ..Project::default()
        };
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            match std::fs::metadata(&path) {
                Ok(metadata) if metadata.is_dir() => {
                    if is_venv(&name, &path)? {
                        project.committed_venvs.push(name.clone());
                    }
                    project.folders.insert(name);
                }
                Ok(metadata) if metadata.is_file() => {
                    project.files.insert(name);
                }
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        project.committed_venvs.sort();
        Ok(project)
    }

    /// A project made of `files` (name, contents), in `dir`, for unit tests.
    #[cfg(test)]
    pub(crate) fn from_files(dir: &Path, files: &[(&'static str, &str)]) -> Self {
        let mut project = Project {
            dir: dir.to_path_buf(),
            ..Project::default()
        };
        for (name, text) in files {
            project.files.insert((*name).to_string());
            project.contents.insert(name, text.as_bytes().to_vec());
            if let (true, Ok(table)) = (TOML_FILES.contains(name), toml::from_str(text)) {
                project.tables.insert(name, table);
            }
        }
        project
    }

    /// The app directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the root has this file or folder.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.files.contains(name) || self.folders.contains(name)
    }

    /// Whether the root has this file.
    pub(crate) fn has_file(&self, name: &str) -> bool {
        self.files.contains(name)
    }

    /// The root's file names.
    pub(crate) fn file_names(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(String::as_str)
    }

    /// The contents of a project file ([`PROJECT_FILES`]) if the root has it, or why it could
    /// not be read.
    pub(crate) fn file(&self, name: &str) -> io::Result<Option<&[u8]>> {
        match self.unreadable.get(name) {
            Some(error) => Err(io::Error::new(error.kind(), error.to_string())),
            None => Ok(self.bytes(name)),
        }
    }

    /// The contents of a project file ([`PROJECT_FILES`]), if the root has it and it could be
    /// read.
    pub(crate) fn bytes(&self, name: &str) -> Option<&[u8]> {
        self.contents.get(name).map(Vec::as_slice)
    }

    /// A project file as text (invalid UTF-8 replaced), if the root has it.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.bytes(name)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
    }

    /// `pyproject.toml` or `Pipfile`, parsed, if the root has it and it is valid TOML.
    pub(crate) fn table(&self, name: &str) -> Option<&toml::Table> {
        self.tables.get(name)
    }

    /// `pyproject.toml`, parsed, if the root has it and it is valid TOML.
    pub(crate) fn pyproject(&self) -> Option<&toml::Table> {
        self.table("pyproject.toml")
    }

    /// The root's `manage.py`, if it has one.
    pub(crate) fn manage_py(&self) -> Option<&ManagePy> {
        self.manage_py.as_ref()
    }

    /// Top-level folders that are virtual environments: `venv/`, `.venv/`, or any with a
    /// `pyvenv.cfg`. Sorted.
    pub(crate) fn committed_venvs(&self) -> &[String] {
        &self.committed_venvs
    }
}

/// Whether the folder `name` at `path` is a virtual environment.
fn is_venv(name: &str, path: &Path) -> io::Result<bool> {
    let named_like_one = matches!(name, "venv" | ".venv")
        && (path.join("bin/activate").try_exists()? || path.join("bin/python").try_exists()?);
    Ok(named_like_one || path.join("pyvenv.cfg").try_exists()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_root_once() {
        let app = tempfile::tempdir().unwrap();
        let dir = app.path();
        std::fs::write(dir.join("pyproject.toml"), "[project]\nname = \"app\"\n").unwrap();
        std::fs::write(dir.join("Pipfile"), "not [ toml").unwrap();
        std::fs::write(dir.join("main.py"), "print()").unwrap();
        std::fs::create_dir_all(dir.join(".venv/bin")).unwrap();
        std::fs::write(dir.join(".venv/bin/python"), "").unwrap();
        std::fs::create_dir_all(dir.join("env")).unwrap();
        std::fs::write(dir.join("env/pyvenv.cfg"), "").unwrap();
        std::fs::create_dir_all(dir.join("venv")).unwrap();
        std::fs::create_dir_all(dir.join(".python-version")).unwrap();
        std::fs::write(dir.join("pyvenv.cfg"), "").unwrap();
        std::os::unix::fs::symlink(dir.join("missing"), dir.join("requirements.txt")).unwrap();

        let project = Project::read(dir).unwrap();
        assert!(project.has_file("main.py") && project.has("venv") && !project.has_file("venv"));
        // A dangling link is not a file.
        assert!(!project.has("requirements.txt"));
        assert_eq!(project.bytes("main.py"), None, "not a project file");
        assert_eq!(
            project.pyproject().unwrap()["project"]["name"].as_str(),
            Some("app")
        );
        assert_eq!(project.text("Pipfile").as_deref(), Some("not [ toml"));
        assert_eq!(project.table("Pipfile"), None);
        assert_eq!(project.committed_venvs(), [".venv", "env"]);
        // Detect lists the root and reads no file.
        let root = Project::read_root(dir).unwrap();
        assert!(root.has_file("pyproject.toml") && root.bytes("pyproject.toml").is_none());
        // A folder named like a project file is one that cannot be read.
        assert!(project.file(".python-version").is_err());
        assert_eq!(project.file("uv.lock").unwrap(), None);
    }

    #[test]
    fn manage_py_is_followed_through_a_symlink() {
        let app = tempfile::tempdir().unwrap();
        assert_eq!(
            Project::read(app.path()).unwrap().manage_py().cloned(),
            None
        );
        std::fs::create_dir(app.path().join("backend")).unwrap();
        std::fs::write(app.path().join("backend/manage.py"), "import os\n").unwrap();
        std::os::unix::fs::symlink("backend/manage.py", app.path().join(MANAGE_PY)).unwrap();
        let found = Project::read(app.path())
            .unwrap()
            .manage_py()
            .cloned()
            .unwrap();
        assert_eq!(found.dir.as_deref(), Some("backend"));
        assert!(found.resolved.ends_with("backend/manage.py"));
        assert_eq!(found.source, "import os\n");

        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join(MANAGE_PY), "").unwrap();
        assert_eq!(
            Project::read(root.path())
                .unwrap()
                .manage_py()
                .cloned()
                .unwrap()
                .dir,
            None
        );
    }

    #[test]
    fn a_missing_app_dir_is_an_error() {
        let app = tempfile::tempdir().unwrap();
        assert!(Project::read(&app.path().join("missing")).is_err());
    }
}
