//! Tests of the code's shape, which the compiler does not check: the error catalogue
//! (`crate::errors`) is imported by no module, so that it can import every type it words without
//! an import circle (modules reach it only through `From<&T> for Message`).

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
