use super::*;
use crate::test_support::tree;

fn everything(_: &str) -> bool {
    true
}

fn objects(file: &str, source: &str) -> Vec<(String, String, bool, Option<Framework>)> {
    objects_in(file, source, &everything)
        .into_iter()
        .map(|found| {
            (
                found.target.module,
                found.target.object,
                found.target.factory,
                found.framework,
            )
        })
        .collect()
}

#[test]
fn module_level_app_objects() {
    let source = "from fastapi import FastAPI\nimport os\n\napp = FastAPI(title=\"x\")\n\n@app.get(\"/\")\ndef root():\n    inner = FastAPI()\n    return {}\n";
    assert_eq!(
        objects("app/main.py", source),
        [(
            "app.main".into(),
            "app".into(),
            false,
            Some(Framework::FastApi)
        )]
    );
    assert_eq!(
        objects(
            "server.py",
            "import flask\nserver: flask.Flask = flask.Flask(__name__)\n"
        ),
        [(
            "server".into(),
            "server".into(),
            false,
            Some(Framework::Flask)
        )]
    );
    assert_eq!(
        objects(
            "main.py",
            "from starlette.applications import Starlette\napi = Starlette(routes=[])\n"
        ),
        [(
            "main".into(),
            "api".into(),
            false,
            Some(Framework::Starlette)
        )]
    );
}

#[test]
fn comparisons_and_other_calls_are_not_apps() {
    assert_eq!(
        objects(
            "main.py",
            "if app == FastAPI():\n    pass\nrouter = APIRouter()\nx = make(FastAPI)\n"
        ),
        []
    );
}

#[test]
fn frameworks_that_are_not_installed_do_not_count() {
    let found = objects_in("app.py", "app = Flask(__name__)\n", &|name| name != "flask");
    assert_eq!(found, []);
}

#[test]
fn flask_application_factory() {
    let source = "from flask import Flask\n\ndef create_app(config=None):\n    app = Flask(__name__)\n    return app\n";
    assert_eq!(
        objects("myapp/__init__.py", source),
        [(
            "myapp".into(),
            "create_app".into(),
            true,
            Some(Framework::Flask)
        )]
    );
}

#[test]
fn wsgi_py_is_the_entry_point() {
    let found = objects_in(
        "wsgi.py",
        "from app import app as application\napp = Flask(__name__)\n",
        &everything,
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].target.object, "application");
    assert_eq!(found[0].framework, None);
    assert_eq!(found[0].target.interface, Interface::Wsgi);
}

#[test]
fn src_layout_modules() {
    assert_eq!(
        module_of("src/shop/main.py"),
        (Some("src".into()), "shop.main".into())
    );
    assert_eq!(module_of("shop/__init__.py"), (None, "shop".into()));
    assert_eq!(module_of("main.py"), (None, "main".into()));
}

#[test]
fn the_usual_places_are_read() {
    let dir = tree(&[
        ("main.py", ""),
        ("manage.py", ""),
        ("test_main.py", ""),
        ("app/__init__.py", ""),
        ("app/main.py", ""),
        ("app/models.py", ""),
        ("tests/__init__.py", ""),
        ("tests/main.py", ""),
        ("notapackage/main.py", ""),
        ("src/shop/__init__.py", ""),
        ("src/shop/api.py", ""),
    ]);
    assert_eq!(
        candidate_files(dir.path()),
        [
            "main.py",
            "app/__init__.py",
            "app/main.py",
            "src/shop/__init__.py",
            "src/shop/api.py"
        ]
    );
}

#[test]
fn streamlit_scripts_at_the_root() {
    let dir = tree(&[
        ("dashboard.py", "import streamlit as st\n"),
        ("helpers.py", "import pandas\n"),
    ]);
    assert_eq!(streamlit_scripts(&sources(dir.path())), ["dashboard.py"]);
    let dir = tree(&[
        ("streamlit_app.py", "import streamlit as st\n"),
        ("other.py", "from streamlit import title\n"),
    ]);
    assert_eq!(
        streamlit_scripts(&sources(dir.path())),
        ["streamlit_app.py"]
    );
}
