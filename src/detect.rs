//! Which files make an app a Python app.

use crate::package_managers::PackageManager;
use crate::project::Project;

/// No file says this is a Python app: detection fails, with a notice naming what was looked for.
pub(crate) struct NoPythonFiles;

/// Files that name a package manager (each one's marker file, in [`PackageManager::ALL`]'s
/// order): an app with one of these can be built as it is.
pub(crate) const PACKAGE_MANAGER_FILES: [&str; PackageManager::ALL.len()] = {
    let mut files = [""; PackageManager::ALL.len()];
    let mut i = 0;
    while i < files.len() {
        files[i] = PackageManager::ALL[i].marker_file();
        i += 1;
    }
    files
};

/// Other clear signs of a Python app. Detect passes on these too, so that build can say what is
/// missing (for example a lock file) instead of the app silently failing detection.
pub(crate) const OTHER_PYTHON_FILES: [&str; 10] = [
    ".python-version",
    "pyproject.toml",
    "Pipfile",
    "setup.py",
    "setup.cfg",
    "runtime.txt",
    "requirements.in",
    "manage.py",
    "main.py",
    "app.py",
];

/// The files from both lists that the app root has.
pub(crate) fn python_signals(project: &Project) -> Vec<&'static str> {
    PACKAGE_MANAGER_FILES
        .iter()
        .chain(&OTHER_PYTHON_FILES)
        .filter(|name| project.has(name))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_package_manager_and_other_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            python_signals(&Project::read_root(dir.path()).unwrap()),
            [""; 0]
        );
        std::fs::write(dir.path().join("pyproject.toml"), "").unwrap();
        std::fs::write(dir.path().join("uv.lock"), "").unwrap();
        assert_eq!(
            python_signals(&Project::read_root(dir.path()).unwrap()),
            vec!["uv.lock", "pyproject.toml"]
        );
    }

    #[test]
    fn ignores_unrelated_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), "{}").unwrap();
        std::fs::write(dir.path().join("README.md"), "").unwrap();
        assert_eq!(
            python_signals(&Project::read_root(dir.path()).unwrap()),
            [""; 0]
        );
    }
}
