//! The image's default `web` process and `WEB_CONCURRENCY`, end to end: each web fixture is
//! built, its default process launched through the runner with `PORT` set, and asked over HTTP.

mod support;

use python_buildpack_runner::launch;
use std::time::Duration;
use support::web_server::WebServer;
use support::{TestApp, assert_contains, assert_not_contains, assert_success};

const STARTUP: Duration = Duration::from_mins(1);

fn has_default_process(app: &TestApp) -> bool {
    launch(app.state_dir(), None, &[], &[]).is_ok()
}

#[test]
fn django_is_served_by_gunicorn() {
    let app = TestApp::new("web_django");
    let build = app.build_ok();
    assert_contains(
        &build.output,
        "Found the Django project's WSGI application `mysite.wsgi:application` (settings `mysite.settings`)",
    );
    assert_contains(
        &build.output,
        "Web process: `gunicorn --bind 0.0.0.0:$PORT mysite.wsgi:application`",
    );
    let mut server = WebServer::start(&app, &[]);
    let response = server.get("/", STARTUP);
    assert_eq!(response.status, 200, "{response:?}");
    assert_contains(&response.body, "Hello from Django");
}

/// A monorepo whose root `manage.py` is a symlink into `backend/`: Django's commands run as
/// `python manage.py` runs them, and the server starts in `backend/`.
#[test]
fn django_in_a_subfolder_with_a_symlinked_manage_py() {
    let app = TestApp::new("web_django");
    let backend = app.path().join("backend");
    std::fs::create_dir(&backend).unwrap();
    for entry in ["manage.py", "mysite", "static"] {
        std::fs::rename(app.path().join(entry), backend.join(entry)).unwrap();
    }
    std::os::unix::fs::symlink("backend/manage.py", app.path().join("manage.py")).unwrap();

    let build = app.build_ok();
    assert_contains(
        &build.output,
        "Using `manage.py`, which is `backend/manage.py`",
    );
    assert_contains(&build.output, "1 static file copied");
    assert_contains(
        &build.output,
        "Web process: `cd backend && gunicorn --bind 0.0.0.0:$PORT mysite.wsgi:application`",
    );
    assert_eq!(
        app.run_ok("cat backend/staticfiles/css/site.css"),
        "body { font-family: sans-serif; }"
    );
    let mut server = WebServer::start(&app, &[]);
    let response = server.get("/", STARTUP);
    assert_eq!(response.status, 200, "{response:?}");
    assert_contains(&response.body, "Hello from Django");
}

#[test]
fn fastapi_is_served_by_uvicorn_and_a_missing_server_is_named() {
    let app = TestApp::new("web_fastapi");
    let build = app.build_ok();
    assert_contains(&build.output, "Found the FastAPI app `app` in app/main.py");
    assert_contains(
        &build.output,
        "Web process: `uvicorn app.main:app --host 0.0.0.0 --port $PORT`",
    );
    {
        let mut server = WebServer::start(&app, &[]);
        let response = server.get("/", STARTUP);
        assert_eq!(response.status, 200, "{response:?}");
        assert_contains(&response.body, r#"{"hello":"from FastAPI"}"#);
    }

    // Without uvicorn: the build works, says what to add, and the image has no default process.
    let requirements = std::fs::read_to_string(app.path().join("requirements.txt")).unwrap();
    app.write(
        "requirements.txt",
        requirements
            .replace("uvicorn==0.54.0\n", "")
            .replace("h11==0.16.0\n", "")
            .replace("click==8.5.1\n", ""),
    );
    let without = app.build();
    assert_success(&without);
    assert_contains(&without.output, "No web server installed");
    assert_contains(
        &without.output,
        "The buildpack found the FastAPI app `app` in app/main.py",
    );
    assert_contains(
        &without.output,
        "Add `fastapi[standard]` to the app's dependencies",
    );
    assert_not_contains(&without.output, "Web process:");
    assert!(!has_default_process(&app));
}

/// A uv app; the server's workers follow `WEB_CONCURRENCY`, which the `web` layer sets at launch
/// unless the user does. A Procfile or `BP_PYTHON_WEB_PROCESS=false` leaves the processes alone.
#[test]
fn flask_with_web_concurrency_and_procfile() {
    let app = TestApp::new("web_flask");
    let build = app.build_ok();
    assert_contains(
        &build.output,
        "Web process: `gunicorn --bind 0.0.0.0:$PORT app:app`",
    );

    let computed: u32 = app
        .run_ok("echo $WEB_CONCURRENCY")
        .parse()
        .expect("WEB_CONCURRENCY is a number");
    assert!((1..=32).contains(&computed), "{computed}");
    assert_eq!(app.run_ok("echo $WEB_CONCURRENCY_SET_BY"), "heroku/python");
    {
        let mut server = WebServer::start(&app, &[]);
        let response = server.get("/", STARTUP);
        assert_eq!(response.status, 200, "{response:?}");
        assert_eq!(
            response.body,
            format!("Hello from Flask, {computed} workers")
        );
        // gunicorn starts that many workers (the first may answer before the others are up).
        let deadline = std::time::Instant::now() + STARTUP;
        while server.log().matches("Booting worker").count() < computed as usize {
            assert!(
                std::time::Instant::now() < deadline,
                "fewer than {computed} workers:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    {
        let mut server = WebServer::start(&app, &[("WEB_CONCURRENCY", "2")]);
        let response = server.get("/", STARTUP);
        assert_eq!(response.body, "Hello from Flask, 2 workers");
    }
    let user_set = launch(
        app.state_dir(),
        None,
        &[
            "bash".into(),
            "-c".into(),
            "echo $WEB_CONCURRENCY ${WEB_CONCURRENCY_SET_BY:-user}".into(),
        ],
        &[("WEB_CONCURRENCY".into(), "7".into())],
    )
    .unwrap();
    assert_eq!(user_set.stdout.trim(), "7 user");
    // PORT has a default at launch.
    assert_eq!(app.run_ok("echo $PORT"), "8080");

    app.write("Procfile", "web: gunicorn app:app\n");
    let with_procfile = app.build_ok();
    assert_contains(
        &with_procfile.output,
        "Skipping: the app has a `Procfile` (a Procfile buildpack, such as `heroku/procfile` on Heroku's builder, makes its processes the image's)",
    );
    assert!(!has_default_process(&app));
    // WEB_CONCURRENCY is still set for the Procfile's gunicorn.
    assert_eq!(app.run_ok("echo $WEB_CONCURRENCY_SET_BY"), "heroku/python");

    app.remove("Procfile");
    let disabled = app.build_with(&[("BP_PYTHON_WEB_PROCESS", "false")]);
    assert_success(&disabled);
    assert_contains(
        &disabled.output,
        "Skipping: `BP_PYTHON_WEB_PROCESS` is set to false",
    );
    assert!(!has_default_process(&app));
}

#[test]
fn streamlit_runs_its_script() {
    let app = TestApp::new("web_streamlit");
    let build = app.build_ok();
    assert_contains(&build.output, "Found the Streamlit app `dashboard.py`");
    let mut server = WebServer::start(&app, &[]);
    let health = server.get("/_stcore/health", STARTUP);
    assert_eq!(
        (health.status, health.body.as_str()),
        (200, "ok"),
        "{health:?}"
    );
    let page = server.get("/", STARTUP);
    assert_eq!(page.status, 200, "{page:?}");
}

#[test]
fn an_app_without_a_web_framework_gets_no_process() {
    let app = TestApp::new("python_3_13");
    let build = app.build_ok();
    assert_contains(&build.output, "No web app found");
    assert!(!has_default_process(&app));
}
