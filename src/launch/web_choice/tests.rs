use super::*;

fn found(file: &str, object: &str, framework: Option<Framework>) -> Found {
    let interface = framework.map_or(Interface::Wsgi, Framework::interface);
    Found {
        file: file.to_string(),
        target: Target {
            dir: None,
            python_path: None,
            module: file.trim_end_matches(".py").replace('/', "."),
            object: object.to_string(),
            factory: false,
            interface,
        },
        framework,
    }
}

fn facts(objects: Vec<Found>) -> Facts {
    Facts {
        django: None,
        objects,
        streamlit_scripts: Vec::new(),
        project_scripts: Vec::new(),
    }
}

fn command(decision: &Decision) -> String {
    match decision {
        Decision::Process { command, .. } => command.display(),
        other => panic!("no process: {other:?}"),
    }
}

fn django(asgi_configured: bool) -> DjangoApp {
    let target = |module: &str, interface| Target {
        dir: Some("backend".to_string()),
        python_path: None,
        module: module.to_string(),
        object: "application".to_string(),
        factory: false,
        interface,
    };
    DjangoApp {
        settings: "mysite.settings".to_string(),
        wsgi: Some(target("mysite.wsgi", Interface::Wsgi)),
        asgi: Some(target("mysite.asgi", Interface::Asgi)),
        asgi_configured,
    }
}

#[test]
fn django_is_served_by_gunicorn_unless_asgi_is_configured() {
    let installed = Installed::new(["Django", "gunicorn", "uvicorn"]);
    let mut with_django = facts(vec![]);
    with_django.django = Some(django(false));
    assert_eq!(
        command(&choose_web_process(&installed, with_django)),
        "cd backend && gunicorn --bind 0.0.0.0:$PORT mysite.wsgi:application"
    );
    let mut channels = facts(vec![]);
    channels.django = Some(django(true));
    assert_eq!(
        command(&choose_web_process(
            &Installed::new(["django", "gunicorn", "daphne"]),
            channels
        )),
        "cd backend && daphne -b 0.0.0.0 -p $PORT mysite.asgi:application"
    );
    let mut asgi_only = facts(vec![]);
    asgi_only.django = Some(django(false));
    assert_eq!(
        command(&choose_web_process(
            &Installed::new(["django", "uvicorn"]),
            asgi_only
        )),
        "cd backend && uvicorn mysite.asgi:application --host 0.0.0.0 --port $PORT"
    );
}

#[test]
fn django_without_a_server_says_to_add_gunicorn() {
    let mut no_server = facts(vec![]);
    no_server.django = Some(django(false));
    assert!(matches!(
        choose_web_process(&Installed::new(["django"]), no_server),
        Decision::NoServer {
            add: "gunicorn",
            ..
        }
    ));
    let mut nothing = facts(vec![]);
    nothing.django = Some(DjangoApp {
        wsgi: None,
        asgi: None,
        ..django(false)
    });
    assert!(matches!(
        choose_web_process(&Installed::new(["django", "gunicorn"]), nothing),
        Decision::DjangoWithoutApplication { .. }
    ));
}

#[test]
fn fastapi_prefers_fastapi_run_then_uvicorn() {
    let app = || facts(vec![found("app/main.py", "app", Some(Framework::FastApi))]);
    assert_eq!(
        command(&choose_web_process(
            &Installed::new(["fastapi", "fastapi-cli", "uvicorn"]),
            app()
        )),
        "fastapi run app/main.py --app app --host 0.0.0.0 --port $PORT"
    );
    assert_eq!(
        command(&choose_web_process(
            &Installed::new(["fastapi", "uvicorn"]),
            app()
        )),
        "uvicorn app.main:app --host 0.0.0.0 --port $PORT"
    );
    assert!(matches!(
        choose_web_process(&Installed::new(["fastapi"]), app()),
        Decision::NoServer {
            add: "fastapi[standard]",
            ..
        }
    ));
}

#[test]
fn flask_needs_a_wsgi_server() {
    let app = || facts(vec![found("app.py", "app", Some(Framework::Flask))]);
    assert_eq!(
        command(&choose_web_process(
            &Installed::new(["flask", "gunicorn"]),
            app()
        )),
        "gunicorn --bind 0.0.0.0:$PORT app:app"
    );
    // uvicorn serves ASGI, not Flask.
    assert!(matches!(
        choose_web_process(&Installed::new(["flask", "uvicorn"]), app()),
        Decision::NoServer {
            add: "gunicorn",
            ..
        }
    ));
}

#[test]
fn several_apps_prefer_the_entry_point_or_the_usual_name() {
    let installed = Installed::new(["flask", "gunicorn"]);
    let with_wsgi = facts(vec![
        found("app.py", "app", Some(Framework::Flask)),
        found("wsgi.py", "application", None),
    ]);
    assert_eq!(
        command(&choose_web_process(&installed, with_wsgi)),
        "gunicorn --bind 0.0.0.0:$PORT wsgi:application"
    );
    let named = facts(vec![
        found("app.py", "app", Some(Framework::Flask)),
        found("admin.py", "admin", Some(Framework::Flask)),
    ]);
    assert_eq!(
        command(&choose_web_process(&installed, named)),
        "gunicorn --bind 0.0.0.0:$PORT app:app"
    );
    let two = facts(vec![
        found("one.py", "app", Some(Framework::Flask)),
        found("two.py", "app", Some(Framework::Flask)),
    ]);
    assert!(
        matches!(choose_web_process(&installed, two), Decision::Ambiguous(found) if found.len() == 2)
    );
}

#[test]
fn streamlit_runs_its_script() {
    let mut app = facts(vec![]);
    app.streamlit_scripts = vec!["dashboard.py".to_string()];
    assert_eq!(
        command(&choose_web_process(&Installed::new(["streamlit"]), app)),
        "streamlit run dashboard.py --server.port $PORT --server.address 0.0.0.0 --server.headless true"
    );
    let mut not_installed = facts(vec![]);
    not_installed.streamlit_scripts = vec!["dashboard.py".to_string()];
    assert_eq!(
        choose_web_process(&Installed::new(["flask"]), not_installed),
        Decision::Nothing
    );
}

#[test]
fn a_single_project_script_is_the_last_resort() {
    let mut one = facts(vec![]);
    one.project_scripts = vec!["serve".to_string()];
    assert_eq!(
        command(&choose_web_process(&Installed::default(), one)),
        "serve"
    );
    let mut two = facts(vec![]);
    two.project_scripts = vec!["serve".to_string(), "migrate".to_string()];
    assert_eq!(
        choose_web_process(&Installed::default(), two),
        Decision::Nothing
    );
    let mut with_app = facts(vec![found("app.py", "app", Some(Framework::Flask))]);
    with_app.project_scripts = vec!["serve".to_string()];
    assert_eq!(
        command(&choose_web_process(
            &Installed::new(["flask", "gunicorn"]),
            with_app
        )),
        "gunicorn --bind 0.0.0.0:$PORT app:app"
    );
}
