//! The messages of Django's `manage.py collectstatic`.

use super::Message;
use crate::collectstatic::{DISABLE_COLLECTSTATIC, DjangoError, error_summary};
use crate::command::tail;
use bullet_stream::style;
use indoc::formatdoc;

const DJANGO_STATIC_FILES_URL: &str =
    "https://docs.djangoproject.com/en/stable/howto/static-files/deployment/";

/// The usual reasons; a missing `STATIC_ROOT` only matters to collectstatic itself.
fn causes(static_root: bool) -> String {
    let static_root = if static_root {
        "- STATIC_ROOT is not set: collectstatic needs the folder to collect the files into,\n  \
         for example STATIC_ROOT = BASE_DIR / \"staticfiles\".\n"
    } else {
        ""
    };
    formatdoc! {"
        Common causes:
        - The settings module cannot be imported at build time: a package missing from the
          app's dependencies, or DJANGO_SETTINGS_MODULE (set in manage.py) naming a module
          that does not exist.
        {static_root}- A setting that needs an environment variable that is not set during the build
          (SECRET_KEY, DATABASE_URL, ... read with os.environ[...]): give it a default for
          the build, or pass the variable to the build.

        To skip this step, set {disable} in the build environment (for example
        `pack build --env {DISABLE_COLLECTSTATIC}=1`), and collect the static files another
        way. See {DJANGO_STATIC_FILES_URL}
    ", disable = style::value(format!("{DISABLE_COLLECTSTATIC}=1"))}
}

fn status_text(status: Option<i32>) -> String {
    status.map_or_else(
        || "killed by a signal".to_string(),
        |code| format!("exit status {code}"),
    )
}

pub(super) fn django_message(error: &DjangoError) -> Message {
    match error {
        DjangoError::Check { status, output } => Message::user_error(formatdoc! {"
            Unable to set up Django to generate static files

            The buildpack sets Django up (through manage.py, with the app's settings) to find
            out whether django.contrib.staticfiles is in INSTALLED_APPS, and that failed
            ({status}). Django's output:

            {output}

            {causes}
        ", status = status_text(*status), output = tail(output, 20), causes = causes(false)}),
        DjangoError::Collectstatic { status, output } => {
            let summary = error_summary(output)
                .map(|line| format!("Django said:\n{line}\n\n"))
                .unwrap_or_default();
            Message::user_error(formatdoc! {"
                Unable to generate Django static files

                {command} failed ({status}); its output is above.

                {summary}{causes}
            ",
                command = style::command("python manage.py collectstatic --noinput"),
                status = status_text(*status),
                causes = causes(true),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_check_shows_djangos_error_without_the_static_root_hint() {
        let message = django_message(&DjangoError::Check {
            status: Some(1),
            output:
                "Traceback (most recent call last):\nModuleNotFoundError: No module named 'x'\n"
                    .to_string(),
        })
        .to_string();
        assert!(
            message.contains("(exit status 1). Django's output:"),
            "{message}"
        );
        assert!(
            message.contains("ModuleNotFoundError: No module named 'x'"),
            "{message}"
        );
        assert!(
            message.contains("- The settings module cannot be imported"),
            "{message}"
        );
        assert!(!message.contains("STATIC_ROOT"), "{message}");
        assert!(message.contains("DISABLE_COLLECTSTATIC=1"), "{message}");
    }

    #[test]
    fn a_failed_collectstatic_quotes_the_last_line() {
        let message = django_message(&DjangoError::Collectstatic {
            status: None,
            output: "Traceback\nImproperlyConfigured: no STATIC_ROOT\n\n".to_string(),
        })
        .to_string();
        assert!(message.contains("failed (killed by a signal)"), "{message}");
        assert!(
            message
                .contains("Django said:\nImproperlyConfigured: no STATIC_ROOT\n\nCommon causes:"),
            "{message}"
        );
        assert!(
            message.contains(
                "  that does not exist.\n- STATIC_ROOT is not set: collectstatic needs the folder to collect the files into,\n  for example"
            ),
            "{message}"
        );
    }
}
