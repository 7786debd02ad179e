//! Tests of the code's shape, which the compiler does not check: the error catalogue
//! (`crate::errors`) is imported by no module, so that it can import every type it words without
//! an import circle (modules reach it only through `From<&T> for Message`); and the app's files
//! are opened by the app model (`crate::project`) and by the few modules that read what the
//! project files name or the app's code, each for its reason.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// Modules that open files in the app besides the app model, and why.
const READ_THE_APP: [(&str, &str); 8] = [
    ("project.rs", "the app model: the project files, once"),
    ("bytecode.rs", "compiles the app's code"),
    ("launch/scan.rs", "looks for web apps in the app's code"),
    (
        "launch/django.rs",
        "reads the Django project's settings modules",
    ),
    (
        "launch.rs",
        "checks the virtual environment's scripts (not the app)",
    ),
    (
        "package_managers/local_sources.rs",
        "fingerprints the sources of the local packages a lock names",
    ),
    (
        "package_managers/pip.rs",
        "reads what pip reads besides the project files (`read_file`): the files the \
         requirements include and pip's config files",
    ),
    (
        "runtime.rs",
        "the runtime manifest that BP_PYTHON_RUNTIME_MANIFEST names",
    ),
];

#[test]
fn only_the_app_model_reads_the_project_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let reads = [
        "fs::read",
        "read_to_string",
        "read_dir",
        "try_exists",
        "is_file()",
        "is_dir()",
        ".exists()",
        "File::open",
        "fs::metadata",
    ];
    let mut readers = Vec::new();
    for file in rust_files(&src) {
        let name = file.strip_prefix(&src).unwrap().display().to_string();
        if name.ends_with("tests.rs") || name.contains("/tests/") || name == "test_support.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // The code, without its unit tests.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let has_the_app = code.contains("app_dir") || code.contains(".dir()");
        if has_the_app && reads.iter().any(|read| code.contains(read)) {
            readers.push(name);
        }
    }
    readers.sort();
    let mut allowed: Vec<String> = READ_THE_APP
        .iter()
        .map(|(name, _)| (*name).to_string())
        .collect();
    allowed.sort();
    assert_eq!(readers, allowed);
}

#[test]
fn no_module_imports_the_error_catalogue() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let catalogue = src.join("errors");
    let mut importers = Vec::new();
    for file in rust_files(&src) {
        if file.starts_with(&catalogue)
            || file == src.join("errors.rs")
            || file == src.join("architecture_tests.rs")
        {
            continue;
        }
        // Code, not the comments that point readers to the catalogue.
        let text: String = std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        // In the crate root, `errors::` is the catalogue too (elsewhere it can be a child module).
        let root_path = file == src.join("main.rs") && text.contains("errors::");
        if text.contains("crate::errors") || root_path {
            importers.push(file.strip_prefix(&src).unwrap().display().to_string());
        }
    }
    assert_eq!(importers, Vec::<String>::new());
}
