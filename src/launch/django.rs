//! A Django project's WSGI and ASGI applications, read from its files the way Django finds them:
//! `manage.py` (followed through a symlink, as `python manage.py` does) names the settings
//! module, whose `WSGI_APPLICATION`/`ASGI_APPLICATION` name the application; without them, the
//! `wsgi.py`/`asgi.py` that `startproject` puts beside the settings.

use super::process::{Interface, Target};
use super::scan::{definitions, python_files_in, read_source};
use crate::project::ManagePy;
use std::path::Path;

/// What the Django project offers to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DjangoApp {
    pub(crate) settings: String,
    pub(crate) wsgi: Option<Target>,
    pub(crate) asgi: Option<Target>,
    /// The settings name `ASGI_APPLICATION` (Channels and other ASGI-first projects do).
    pub(crate) asgi_configured: bool,
}

/// Reads the project of `manage_py`. `settings_override` is `DJANGO_SETTINGS_MODULE` from the
/// build's environment, if set.
pub(crate) fn find(
    app_dir: &Path,
    manage_py: &ManagePy,
    settings_override: Option<&str>,
) -> Option<DjangoApp> {
    let base = manage_py.dir.as_deref();
    let base_path = base.map_or_else(|| app_dir.to_path_buf(), |dir| app_dir.join(dir));
    let settings = match settings_override {
        Some(settings) => settings.to_string(),
        None => settings_module(&manage_py.source)?,
    };
    let sources = settings_sources(&base_path, &settings);
    let target = |name: &str, interface: Interface| {
        let configured = sources
            .iter()
            .find_map(|source| string_setting(source, name))
            .and_then(|dotted| {
                let (module, object) = dotted.rsplit_once('.')?;
                Some((module.to_string(), object.to_string()))
            });
        let file = match interface {
            Interface::Wsgi => "wsgi",
            Interface::Asgi => "asgi",
        };
        let beside_settings = || {
            let package = settings.split('.').next()?;
            base_path
                .join(package)
                .join(format!("{file}.py"))
                .is_file()
                .then(|| (format!("{package}.{file}"), "application".to_string()))
        };
        let configured_here = configured.is_some();
        configured.or_else(beside_settings).map(|(module, object)| {
            (
                Target {
                    dir: manage_py.dir.clone(),
                    python_path: None,
                    module,
                    object,
                    factory: false,
                    interface,
                },
                configured_here,
            )
        })
    };
    let wsgi = target("WSGI_APPLICATION", Interface::Wsgi);
    let asgi = target("ASGI_APPLICATION", Interface::Asgi);
    Some(DjangoApp {
        settings,
        asgi_configured: asgi.as_ref().is_some_and(|(_, configured)| *configured),
        wsgi: wsgi.map(|(target, _)| target),
        asgi: asgi.map(|(target, _)| target),
    })
}

/// The default settings module `manage.py` sets:
/// `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")`.
pub(crate) fn settings_module(manage_py: &str) -> Option<String> {
    manage_py.lines().find_map(|line| {
        // After the name's own closing quote.
        let after = line.split_once("DJANGO_SETTINGS_MODULE")?.1;
        let after = after.strip_prefix(['"', '\'']).unwrap_or(after);
        let value = quoted_strings(after).into_iter().next()?;
        value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            .then_some(value)
    })
}

/// The settings module's source, then (for settings split over a package, or importing a
/// base module) the other modules of its package.
fn settings_sources(base: &Path, settings: &str) -> Vec<String> {
    let path = settings.replace('.', "/");
    let mut files = vec![format!("{path}.py"), format!("{path}/__init__.py")];
    // A settings module that imports a sibling (`from .base import *`), or a settings
    // package: the other modules beside it and in it.
    if let Some(dir) = Path::new(&path).parent() {
        files.extend(python_files_in(base, &dir.to_string_lossy()));
    }
    files.extend(python_files_in(base, &path));
    files
        .iter()
        .filter_map(|file| read_source(base, file))
        .collect()
}

/// `NAME = "dotted.path"` at module level.
fn string_setting(source: &str, name: &str) -> Option<String> {
    definitions(source)
        .into_iter()
        .find(|(defined, _)| defined == name)
        .and_then(|(_, expression)| quoted_strings(&expression).into_iter().next())
        .filter(|value| value.contains('.'))
}

/// The contents of the `'...'`/`"..."` strings in `text`, in order.
fn quoted_strings(text: &str) -> Vec<String> {
    let mut strings = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '#' {
            break;
        }
        if c == '"' || c == '\'' {
            let value: String = chars.by_ref().take_while(|&next| next != c).collect();
            strings.push(value);
        }
    }
    strings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::tree;

    const MANAGE_PY: &str = "import os\n\ndef main():\n    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n";

    fn at_root(dir: &Path) -> ManagePy {
        ManagePy {
            resolved: dir.join("manage.py"),
            dir: None,
            source: std::fs::read_to_string(dir.join("manage.py")).unwrap_or_default(),
        }
    }

    #[test]
    fn the_settings_module_comes_from_manage_py() {
        assert_eq!(
            settings_module(MANAGE_PY).as_deref(),
            Some("mysite.settings")
        );
        assert_eq!(
            settings_module(
                "os.environ[\"DJANGO_SETTINGS_MODULE\"] = \"config.settings.production\""
            )
            .as_deref(),
            Some("config.settings.production")
        );
        assert_eq!(settings_module("import os\n"), None);
    }

    #[test]
    fn wsgi_application_from_the_settings() {
        let dir = tree(&[
            ("manage.py", MANAGE_PY),
            (
                "mysite/settings.py",
                "WSGI_APPLICATION = 'mysite.wsgi.application'\n",
            ),
            ("mysite/wsgi.py", ""),
        ]);
        let found = find(dir.path(), &at_root(dir.path()), None).unwrap();
        let wsgi = found.wsgi.unwrap();
        assert_eq!(
            (wsgi.module.as_str(), wsgi.object.as_str()),
            ("mysite.wsgi", "application")
        );
        assert_eq!(found.asgi, None);
        assert!(!found.asgi_configured);
    }

    #[test]
    fn split_settings_and_channels() {
        let dir = tree(&[
            (
                "manage.py",
                "os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"config.settings.production\")",
            ),
            ("config/settings/__init__.py", ""),
            (
                "config/settings/production.py",
                "from .base import *\nDEBUG = False\n",
            ),
            (
                "config/settings/base.py",
                "WSGI_APPLICATION = \"config.wsgi.application\"\nASGI_APPLICATION = \"config.asgi.app\"\n",
            ),
        ]);
        let found = find(dir.path(), &at_root(dir.path()), None).unwrap();
        assert_eq!(found.settings, "config.settings.production");
        assert_eq!(found.wsgi.unwrap().module, "config.wsgi");
        let asgi = found.asgi.unwrap();
        assert_eq!(
            (asgi.module.as_str(), asgi.object.as_str()),
            ("config.asgi", "app")
        );
        assert!(found.asgi_configured);
    }

    #[test]
    fn wsgi_py_beside_the_settings_without_the_setting() {
        let dir = tree(&[
            ("backend/manage.py", MANAGE_PY),
            ("backend/mysite/settings.py", "DEBUG = True\n"),
            ("backend/mysite/wsgi.py", ""),
            ("backend/mysite/asgi.py", ""),
        ]);
        let manage_py = ManagePy {
            resolved: dir.path().join("backend/manage.py"),
            dir: Some("backend".to_string()),
            source: std::fs::read_to_string(dir.path().join("backend/manage.py")).unwrap(),
        };
        let found = find(dir.path(), &manage_py, None).unwrap();
        let wsgi = found.wsgi.unwrap();
        assert_eq!(wsgi.dir.as_deref(), Some("backend"));
        assert_eq!(wsgi.module, "mysite.wsgi");
        assert_eq!(found.asgi.unwrap().module, "mysite.asgi");
        assert!(!found.asgi_configured);
    }

    #[test]
    fn the_builds_settings_module_wins() {
        let dir = tree(&[
            ("manage.py", MANAGE_PY),
            (
                "other/settings.py",
                "WSGI_APPLICATION = 'other.wsgi.application'\n",
            ),
        ]);
        let found = find(dir.path(), &at_root(dir.path()), Some("other.settings")).unwrap();
        assert_eq!(found.wsgi.unwrap().module, "other.wsgi");
    }
}
