//! Django's `manage.py collectstatic` after the dependencies are installed, end to end.

mod support;

use support::{TestApp, assert_contains, assert_failure, assert_not_contains};

const SETTINGS: &str = "mysite/settings.py";

/// The fixture's settings, changed by `edit`.
fn edit_settings(app: &TestApp, edit: impl FnOnce(String) -> String) {
    let settings = std::fs::read_to_string(app.path().join(SETTINGS)).unwrap();
    app.write(SETTINGS, edit(settings));
}

fn has_static_files(app: &TestApp) -> bool {
    app.run("test -e staticfiles").code() == Some(0)
}

#[test]
fn collectstatic_puts_the_static_files_into_the_app() {
    let app = TestApp::new("django_pip");
    let build = app.build_ok();
    assert_contains(&build.output, "Django static files");
    assert_contains(
        &build.output,
        "Running `python manage.py collectstatic --noinput`",
    );
    // Into STATIC_ROOT in the app dir (the runner's workspace; `/workspace` under a lifecycle).
    let static_root = app.state_dir().join("workspace/staticfiles");
    assert_contains(
        &build.output,
        &format!("1 static file copied to '{}'", static_root.display()),
    );
    assert_eq!(
        app.run_ok("cat staticfiles/css/site.css"),
        "body { font-family: sans-serif; }"
    );

    // The workspace is the app source again on every build: with the virtual environment
    // reused, collectstatic still runs.
    let rebuild = app.build_ok();
    assert_contains(&rebuild.output, "Reusing the virtual environment");
    assert_contains(&rebuild.output, "1 static file copied");
    assert!(has_static_files(&app));
}

#[test]
fn collectstatic_is_skipped_when_disabled_or_without_staticfiles() {
    let app = TestApp::new("django_pip");
    let disabled = app.build_with(&[("DISABLE_COLLECTSTATIC", "1")]);
    support::assert_success(&disabled);
    assert_contains(
        &disabled.output,
        "Skipping `python manage.py collectstatic --noinput` since `DISABLE_COLLECTSTATIC` is set",
    );
    assert_not_contains(&disabled.output, "static file copied");
    assert!(!has_static_files(&app));

    edit_settings(&app, |s| {
        s.replace("    \"django.contrib.staticfiles\",\n", "")
    });
    let without = app.build_ok();
    assert_contains(
        &without.output,
        "Skipping `python manage.py collectstatic --noinput`: the `django.contrib.staticfiles` app is not in INSTALLED_APPS",
    );
    assert_not_contains(&without.output, "Running `python manage.py collectstatic");
    assert!(!has_static_files(&app));
}

#[test]
fn failures_show_djangos_error_and_how_to_skip() {
    let app = TestApp::new("django_pip");
    let fixture = std::fs::read_to_string(app.path().join(SETTINGS)).unwrap();

    // Settings that cannot be imported: the check fails with Django's (Python's) own error.
    app.write(SETTINGS, format!("import does_not_exist\n{fixture}"));
    let broken = app.build();
    assert_failure(&broken);
    assert_contains(
        &broken.output,
        "Unable to set up Django to generate static files",
    );
    assert_contains(
        &broken.output,
        "ModuleNotFoundError: No module named 'does_not_exist'",
    );
    assert_contains(
        &broken.output,
        "The settings module cannot be imported at build time",
    );
    assert_contains(&broken.output, "`pack build --env DISABLE_COLLECTSTATIC=1`");

    // DISABLE_COLLECTSTATIC gets such an app built.
    let skipped = app.build_with(&[("DISABLE_COLLECTSTATIC", "1")]);
    support::assert_success(&skipped);

    // No STATIC_ROOT: collectstatic itself fails, and Django's error is quoted.
    app.write(
        SETTINGS,
        fixture.replace("STATIC_ROOT = BASE_DIR / \"staticfiles\"\n", ""),
    );
    let no_root = app.build();
    assert_failure(&no_root);
    assert_contains(&no_root.output, "Unable to generate Django static files");
    assert_contains(
        &no_root.output,
        "`python manage.py collectstatic --noinput` failed (exit status 1); its output is above.",
    );
    assert_contains(
        &no_root.output,
        "django.core.exceptions.ImproperlyConfigured: You're using the staticfiles app without having set the STATIC_ROOT setting to a filesystem path.",
    );
    assert_contains(&no_root.output, "STATIC_ROOT is not set");
}

#[test]
fn collectstatic_runs_for_lock_based_package_managers_too() {
    let app = TestApp::new("django_uv");
    let build = app.build_ok();
    assert_contains(&build.output, "uv sync --locked --no-default-groups");
    assert_contains(
        &build.output,
        "Running `python manage.py collectstatic --noinput`",
    );
    assert_eq!(
        app.run_ok("cat staticfiles/css/site.css"),
        "body { font-family: sans-serif; }"
    );
}
