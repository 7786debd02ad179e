//! Django static files: `manage.py collectstatic` after the dependencies are installed, when the
//! app is a Django project that uses `django.contrib.staticfiles`. Django's commands run exactly
//! as `python manage.py ...` would, so a root `manage.py` that is a symlink into the project's
//! folder (a monorepo's `backend/`) works: Python puts the resolved script's folder on `sys.path`.

use crate::BuildpackError;
use crate::command::Command;
use crate::project::Project;
use bullet_stream::global::print;
use bullet_stream::style;
use libcnb::Env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

pub(crate) const MANAGE_PY: &str = "manage.py";
pub(crate) const DISABLE_COLLECTSTATIC: &str = "DISABLE_COLLECTSTATIC";
const COLLECTSTATIC: &str = "python manage.py collectstatic --noinput";
const PROBE_MARKER: &str = "python-buildpack-django-probe:";

/// Asks the app's own Django whether `django.contrib.staticfiles` is installed: `manage.py` runs
/// as usual (so that it sets `DJANGO_SETTINGS_MODULE` its way), but instead of running a command
/// Django is set up and asked. Nothing is guessed from the app's files.
const PROBE: &str = r#"
import importlib.util, os, runpy, sys
MARKER = "python-buildpack-django-probe:"
if importlib.util.find_spec("django") is None:
    print(MARKER, "no-django")
    sys.exit(0)
from django.core import management

def probe(self):
    import django
    django.setup()
    from django.apps import apps
    installed = apps.is_installed("django.contrib.staticfiles")
    print(MARKER, "staticfiles" if installed else "no-staticfiles", flush=True)
    sys.exit(0)

management.ManagementUtility.execute = probe
# As `python manage.py` does: the resolved script's folder first on sys.path, not the cwd.
script = os.path.realpath("manage.py")
sys.path[0] = os.path.dirname(script)
sys.argv = ["manage.py"]
runpy.run_path(script, run_name="__main__")
print(MARKER, "not-reached")
"#;

#[derive(Debug)]
pub(crate) enum DjangoError {
    /// Setting Django up to ask about `django.contrib.staticfiles` failed.
    Check { status: Option<i32>, output: String },
    /// `manage.py collectstatic` failed; its output was streamed.
    Collectstatic { status: Option<i32>, output: String },
}

/// What the probe found out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probe {
    NoDjango,
    Staticfiles(bool),
    /// `manage.py` did not hand over to Django's `ManagementUtility`: let Django answer by
    /// running collectstatic.
    NotReached,
}

/// Reads the probe's answer from its stdout (`manage.py` may print other things too).
pub(crate) fn parse_probe(stdout: &str) -> Probe {
    let answer = stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix(PROBE_MARKER).map(str::trim));
    match answer {
        Some("no-django") => Probe::NoDjango,
        Some("staticfiles") => Probe::Staticfiles(true),
        Some("no-staticfiles") => Probe::Staticfiles(false),
        _ => Probe::NotReached,
    }
}

/// `DISABLE_COLLECTSTATIC` disables it with any value but empty, `0` and `false`.
pub(crate) fn is_disabled(value: Option<&OsStr>) -> bool {
    value.is_some_and(|value| {
        let value = value.to_string_lossy();
        let value = value.trim();
        !(value.is_empty() || value == "0" || value.eq_ignore_ascii_case("false"))
    })
}

/// The last line of Django's output that says what went wrong (usually the exception).
pub(crate) fn error_summary(output: &str) -> Option<String> {
    output
        .lines()
        .map(str::trim)
        .rev()
        .find(|line| !line.is_empty())
        .map(crate::redact::redact_urls)
}

/// Runs `manage.py collectstatic` for a Django app that uses `django.contrib.staticfiles`.
/// `build_env` is the build env with the virtual environment applied; `platform_env` is the
/// user's (for `DISABLE_COLLECTSTATIC`).
pub(crate) fn run(
    project: &Project,
    build_env: &Env,
    platform_env: &Env,
) -> Result<(), BuildpackError> {
    let app_dir = project.dir();
    let Some(manage_py) = project.manage_py() else {
        return Ok(());
    };
    print::bullet("Django static files");
    if let Some(dir) = &manage_py.dir {
        print::sub_bullet(format!(
            "Using {}, which is {}",
            style::value(MANAGE_PY),
            style::value(format!("{dir}/{MANAGE_PY}"))
        ));
    }
    if is_disabled(
        platform_env
            .get(DISABLE_COLLECTSTATIC)
            .map(std::ffi::OsString::as_os_str),
    ) {
        print::sub_bullet(format!(
            "Skipping {} since {} is set",
            style::command(COLLECTSTATIC),
            style::value(DISABLE_COLLECTSTATIC)
        ));
        return Ok(());
    }
    let python = python(build_env);
    let result = probe_and_collect(&python, app_dir, build_env);
    seal_bytecode(build_env);
    result
}

/// Asks Django whether the app uses `django.contrib.staticfiles`, and if so collects them.
fn probe_and_collect(python: &Path, app_dir: &Path, build_env: &Env) -> Result<(), BuildpackError> {
    match run_probe(python, app_dir, build_env)? {
        Probe::NoDjango => {
            print::sub_bullet(format!(
                "Skipping {}: {MANAGE_PY} found, but Django is not installed",
                style::command(COLLECTSTATIC)
            ));
            return Ok(());
        }
        Probe::Staticfiles(false) => {
            print::sub_bullet(format!(
                "Skipping {}: the {} app is not in INSTALLED_APPS",
                style::command(COLLECTSTATIC),
                style::value("django.contrib.staticfiles")
            ));
            return Ok(());
        }
        Probe::Staticfiles(true) | Probe::NotReached => {}
    }
    run_collectstatic(python, app_dir, build_env)
}

/// Python compiled any module of the virtual environment that had no compiled file as Django
/// imported it: those files go into the image, so they are made hash-based, checked, as in the
/// rest of the environment. (The app's own are compiled afterwards: `crate::bytecode::compile_app`.)
fn seal_bytecode(build_env: &Env) {
    use crate::bytecode::{Origin, Validation, seal_or_warn};
    if let Some(venv) = build_env.get("VIRTUAL_ENV") {
        seal_or_warn(Path::new(venv), Validation::Checked, Origin::Build);
    }
}

/// The virtual environment's Python (`python` on `PATH` without one).
fn python(build_env: &Env) -> PathBuf {
    build_env.get("VIRTUAL_ENV").map_or_else(
        || PathBuf::from("python"),
        |venv| Path::new(venv).join("bin/python"),
    )
}

fn run_probe(python: &Path, app_dir: &Path, env: &Env) -> Result<Probe, BuildpackError> {
    Command::new(python, env)
        .args(["-c", PROBE])
        .current_dir(app_dir)
        .capture()
        .map(|output| parse_probe(&output.stdout))
        .map_err(|error| {
            error.into_buildpack_error(|status, output| {
                BuildpackError::Django(DjangoError::Check {
                    status,
                    output: format!("{}{}", output.stdout, output.stderr),
                })
            })
        })
}

fn run_collectstatic(python: &Path, app_dir: &Path, env: &Env) -> Result<(), BuildpackError> {
    Command::new(python, env)
        .args([MANAGE_PY, "collectstatic", "--noinput"])
        .current_dir(app_dir)
        .shown_as(COLLECTSTATIC)
        .stream()
        .map(drop)
        .map_err(|error| {
            error.into_buildpack_error(|status, output| {
                BuildpackError::Django(DjangoError::Collectstatic {
                    status,
                    output: output.combined(),
                })
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_answer_is_found_among_other_output() {
        assert_eq!(
            parse_probe("loading settings\npython-buildpack-django-probe: staticfiles\n"),
            Probe::Staticfiles(true)
        );
        assert_eq!(
            parse_probe("python-buildpack-django-probe: no-staticfiles\n"),
            Probe::Staticfiles(false)
        );
        assert_eq!(
            parse_probe("python-buildpack-django-probe: no-django\n"),
            Probe::NoDjango
        );
        assert_eq!(
            parse_probe("Type 'manage.py help'\npython-buildpack-django-probe: not-reached\n"),
            Probe::NotReached
        );
        assert_eq!(parse_probe(""), Probe::NotReached);
    }

    #[test]
    fn disable_collectstatic_values() {
        let disabled = |value: Option<&str>| is_disabled(value.map(OsStr::new));
        assert!(!disabled(None));
        assert!(!disabled(Some("")));
        assert!(!disabled(Some("0")));
        assert!(!disabled(Some("false")));
        assert!(disabled(Some("1")));
        assert!(disabled(Some("true")));
        assert!(disabled(Some("yes")));
    }

    #[test]
    fn the_summary_is_the_last_line() {
        let output = "Traceback (most recent call last):\n  File \"x\"\ndjango.core.exceptions.ImproperlyConfigured: You're using the staticfiles app without having set the STATIC_ROOT setting to a filesystem path.\n\n";
        assert_eq!(
            error_summary(output).as_deref(),
            Some(
                "django.core.exceptions.ImproperlyConfigured: You're using the staticfiles app without having set the STATIC_ROOT setting to a filesystem path."
            )
        );
        assert_eq!(error_summary("\n \n"), None);
    }

    #[test]
    fn python_is_the_virtual_environments() {
        let mut env = Env::new();
        assert_eq!(python(&env), PathBuf::from("python"));
        env.insert("VIRTUAL_ENV", "/layers/heroku_python/venv");
        assert_eq!(
            python(&env),
            PathBuf::from("/layers/heroku_python/venv/bin/python")
        );
    }
}
