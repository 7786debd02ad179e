//! Finds the app's web application objects by reading its Python files, without importing them:
//! module-level `app = FastAPI(...)`, `app = Flask(__name__)`, a `create_app()` factory, or the
//! `application` of a `wsgi.py`/`asgi.py`; and the script of a Streamlit app. Only the usual
//! places are read: `*.py` at the root, and the entry-point files of the root's packages and of
//! `src/<package>/`.

use super::process::{Interface, Target};
use std::path::Path;

/// Web frameworks whose app objects are recognised, by the class that creates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framework {
    FastApi,
    Starlette,
    Litestar,
    Quart,
    Flask,
}

impl Framework {
    const ALL: [Framework; 5] = [
        Framework::FastApi,
        Framework::Starlette,
        Framework::Litestar,
        Framework::Quart,
        Framework::Flask,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Framework::FastApi => "FastAPI",
            Framework::Starlette => "Starlette",
            Framework::Litestar => "Litestar",
            Framework::Quart => "Quart",
            Framework::Flask => "Flask",
        }
    }

    /// The distribution that provides it (it must be installed for an object to count).
    pub(crate) fn distribution(self) -> &'static str {
        match self {
            Framework::FastApi => "fastapi",
            Framework::Starlette => "starlette",
            Framework::Litestar => "litestar",
            Framework::Quart => "quart",
            Framework::Flask => "flask",
        }
    }

    fn module(self) -> &'static str {
        match self {
            Framework::FastApi => "fastapi",
            Framework::Starlette => "starlette.applications",
            Framework::Litestar => "litestar",
            Framework::Quart => "quart",
            Framework::Flask => "flask",
        }
    }

    pub(crate) fn interface(self) -> Interface {
        match self {
            Framework::Flask => Interface::Wsgi,
            _ => Interface::Asgi,
        }
    }

    /// `FastAPI(`, `fastapi.FastAPI(`, `starlette.applications.Starlette(`, ...
    fn creates(self, expression: &str) -> bool {
        let class = self.name();
        let expression = expression
            .strip_prefix(self.module())
            .and_then(|rest| rest.strip_prefix('.'))
            .or_else(|| {
                let top = self.module().split('.').next().unwrap_or_default();
                expression
                    .strip_prefix(top)
                    .and_then(|r| r.strip_prefix('.'))
            })
            .unwrap_or(expression);
        expression
            .strip_prefix(class)
            .is_some_and(|rest| rest.trim_start().starts_with('('))
    }
}

/// An application object found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// The file, relative to the app, with `/`.
    pub(crate) file: String,
    pub(crate) target: Target,
    /// `None` for the `application` of a `wsgi.py`/`asgi.py`.
    pub(crate) framework: Option<Framework>,
}

/// Names of package files that hold an app's entry point.
const ENTRY_FILES: [&str; 9] = [
    "__init__.py",
    "main.py",
    "app.py",
    "api.py",
    "server.py",
    "application.py",
    "web.py",
    "wsgi.py",
    "asgi.py",
];
/// Root files that are not the app.
const NOT_APP_FILES: [&str; 4] = ["manage.py", "setup.py", "conftest.py", "noxfile.py"];
const NOT_APP_DIRS: [&str; 8] = [
    "tests",
    "test",
    "docs",
    "migrations",
    "scripts",
    "venv",
    "node_modules",
    "build",
];
/// Files larger than this are not read (generated code, vendored libraries).
const MAX_FILE_BYTES: u64 = 512 * 1024;

/// The files to read, relative to the app, sorted.
pub(crate) fn candidate_files(app_dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = list(app_dir)
        .into_iter()
        .filter(|name| {
            is_python_file(name)
                && app_dir.join(name).is_file()
                && !NOT_APP_FILES.contains(&name.as_str())
                && !name.starts_with("test_")
                && !name.ends_with("_test.py")
        })
        .collect();
    let mut package_roots = vec![String::new()];
    if app_dir.join("src").is_dir() {
        package_roots.push("src/".to_string());
    }
    for root in package_roots {
        for package in list(&app_dir.join(&root)) {
            let dir = app_dir.join(&root).join(&package);
            if package.starts_with('.')
                || NOT_APP_DIRS.contains(&package.as_str())
                || !dir.join("__init__.py").is_file()
            {
                continue;
            }
            for entry in ENTRY_FILES {
                if dir.join(entry).is_file() {
                    files.push(format!("{root}{package}/{entry}"));
                }
            }
        }
    }
    files
}

/// Python imports `.py` files only (lower case).
#[allow(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "Python only imports lower-case .py files"
)]
fn is_python_file(name: &str) -> bool {
    name.ends_with(".py")
}

/// The `.py` files directly in `dir` (relative to the app: `relative_dir`), sorted.
pub(crate) fn python_files_in(app_dir: &Path, relative_dir: &str) -> Vec<String> {
    list(&app_dir.join(relative_dir))
        .into_iter()
        .filter(|name| is_python_file(name))
        .map(|name| {
            if relative_dir.is_empty() {
                name
            } else {
                format!("{relative_dir}/{name}")
            }
        })
        .collect()
}

fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The candidate files and their contents, each read once (see [`read_source`]).
pub(crate) fn sources(app_dir: &Path) -> Vec<(String, String)> {
    candidate_files(app_dir)
        .into_iter()
        .filter_map(|file| read_source(app_dir, &file).map(|source| (file, source)))
        .collect()
}

/// Reads a candidate file (`None`: too big, unreadable or not UTF-8).
pub(crate) fn read_source(app_dir: &Path, file: &str) -> Option<String> {
    let path = app_dir.join(file);
    let size = path.metadata().ok()?.len();
    (size <= MAX_FILE_BYTES)
        .then(|| std::fs::read_to_string(path).ok())
        .flatten()
}

/// The Python module of a file (`app/main.py` → `app.main`, `app/__init__.py` → `app`), and the
/// folder that must be on `sys.path` for it (`src` for `src/<package>/...`).
pub(crate) fn module_of(file: &str) -> (Option<String>, String) {
    let (path_dir, file) = match file.strip_prefix("src/") {
        Some(rest) => (Some("src".to_string()), rest),
        None => (None, file),
    };
    let without = file.strip_suffix(".py").unwrap_or(file);
    let without = without.strip_suffix("/__init__").unwrap_or(without);
    (path_dir, without.replace('/', "."))
}

/// Module-level definitions: `name = expression`, `name: Type = expression`, `def name(`, and
/// names bound by `import`/`from ... import` (the expression is then empty).
pub(crate) fn definitions(source: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for line in source.lines() {
        if line.starts_with(char::is_whitespace) {
            continue;
        }
        if let Some(rest) = line
            .strip_prefix("def ")
            .or_else(|| line.strip_prefix("async def "))
        {
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            if !name.is_empty() {
                found.push((name, "def".to_string()));
            }
        } else if line.starts_with("from ") || line.starts_with("import ") {
            let imported = line.rsplit(" import ").next().unwrap_or_default();
            let imported = if line.starts_with("import ") && !line.contains(" as ") {
                ""
            } else {
                imported
            };
            for item in imported.trim_matches(|c| c == '(' || c == ')').split(',') {
                let name = item.rsplit(" as ").next().unwrap_or_default().trim();
                if !name.is_empty() && name.chars().all(is_ident) {
                    found.push((name.to_string(), String::new()));
                }
            }
        } else if let Some((left, right)) = line.split_once('=')
            && !right.starts_with('=')
            && !left.ends_with(['!', '<', '>'])
        {
            let name = left.split(':').next().unwrap_or_default().trim();
            if !name.is_empty() && name.chars().all(is_ident) {
                found.push((name.to_string(), right.trim().to_string()));
            }
        }
    }
    found
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The application objects of one file. `installed` says whether a distribution is installed.
pub(crate) fn objects_in(file: &str, source: &str, installed: &dyn Fn(&str) -> bool) -> Vec<Found> {
    let definitions = definitions(source);
    let (dir, module) = module_of(file);
    let target = |object: &str, factory: bool, interface: Interface| Target {
        dir: None,
        python_path: dir.clone(),
        module: module.clone(),
        object: object.to_string(),
        factory,
        interface,
    };
    let base = file.rsplit('/').next().unwrap_or(file);
    // A wsgi.py/asgi.py is the deployer's own entry point.
    let plain = match base {
        "wsgi.py" => Some(Interface::Wsgi),
        "asgi.py" => Some(Interface::Asgi),
        _ => None,
    };
    if let Some(interface) = plain
        && let Some(object) = ["application", "app"]
            .into_iter()
            .find(|name| definitions.iter().any(|(defined, _)| defined == name))
    {
        return vec![Found {
            file: file.to_string(),
            target: target(object, false, interface),
            framework: None,
        }];
    }
    let mut found = Vec::new();
    for framework in Framework::ALL {
        if !installed(framework.distribution()) {
            continue;
        }
        for (name, expression) in &definitions {
            if framework.creates(expression) {
                found.push(Found {
                    file: file.to_string(),
                    target: target(name, false, framework.interface()),
                    framework: Some(framework),
                });
            }
        }
    }
    // An application factory, for a file that uses Flask but creates no app at module level.
    if found.is_empty()
        && installed(Framework::Flask.distribution())
        && source.contains("Flask(")
        && let Some((name, _)) = definitions
            .iter()
            .find(|(name, kind)| kind == "def" && (name == "create_app" || name == "make_app"))
    {
        found.push(Found {
            file: file.to_string(),
            target: target(name, true, Interface::Wsgi),
            framework: Some(Framework::Flask),
        });
    }
    found
}

/// Root scripts of a Streamlit app: the `*.py` files at the root that import `streamlit`, with
/// `streamlit_app.py` (Streamlit's own default) alone when it is one of them.
/// `sources` are the candidate files and their contents ([`sources`]).
pub(crate) fn streamlit_scripts(sources: &[(String, String)]) -> Vec<String> {
    let scripts: Vec<String> = sources
        .iter()
        .filter(|(file, source)| {
            !file.contains('/')
                && source.lines().any(|line| {
                    let line = line.trim_start();
                    line.starts_with("import streamlit") || line.starts_with("from streamlit")
                })
        })
        .map(|(file, _)| file.clone())
        .collect();
    if scripts.iter().any(|file| file == "streamlit_app.py") {
        vec!["streamlit_app.py".to_string()]
    } else {
        scripts
    }
}

#[cfg(test)]
mod tests;
