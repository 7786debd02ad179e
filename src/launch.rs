//! Starting the app: the `web` layer that every image gets (a launch-time default of
//! `PORT=8080`, and the `exec.d` program that sets `WEB_CONCURRENCY` from the container's
//! limits), and the default `web` process, found from the app's files and the installed
//! packages unless the app has a Procfile or `BP_PYTHON_WEB_PROCESS=false`.

mod django;
pub(crate) mod process;
mod scan;
pub(crate) mod web_choice;

use crate::BuildpackError;
use crate::PythonBuildpack;
use crate::config::BuildConfig;
use crate::installed::dist_metadata::{installed_names, site_packages_dirs};
use crate::layers::venv::Venv;
use crate::message::show;
use crate::project::Project;
use bullet_stream::global::print;
use bullet_stream::style;
use libcnb::additional_buildpack_binary_path;
use libcnb::build::BuildContext;
use libcnb::data::launch::{Launch, LaunchBuilder, ProcessBuilder};
use libcnb::data::{layer_name, process_type};
use libcnb::layer::UncachedLayerDefinition;
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use process::Server;
use web_choice::Candidate;
use web_choice::{Decision, Facts, Installed};

pub(crate) const PROCFILE: &str = "Procfile";
const DEFAULT_PORT: &str = "8080";

/// Writes the `web` layer and returns the image's processes (`None`: the buildpack adds none).
/// Why the image gets no default web process although the app looks like a web app: a warning.
pub(crate) enum NoWebProcess<'a> {
    /// A web app, but no server for it: `add` is the package to add.
    NoServer {
        found: &'a Candidate,
        servers: &'a [Server],
        add: &'a str,
    },
    /// Several web apps, none preferred.
    Ambiguous(&'a [Candidate]),
    /// A Django project whose application could not be found from its settings.
    DjangoWithoutApplication { settings: &'a str },
}

pub(crate) fn configure(
    context: &BuildContext<PythonBuildpack>,
    config: &BuildConfig,
    project: &Project,
    venv: &Venv,
) -> libcnb::Result<Option<Launch>, BuildpackError> {
    let layer = context.uncached_layer(
        layer_name!("web"),
        UncachedLayerDefinition {
            build: false,
            launch: true,
        },
    )?;
    layer.write_env(LayerEnv::new().chainable_insert(
        Scope::Launch,
        ModificationBehavior::Default,
        "PORT",
        DEFAULT_PORT,
    ))?;
    layer.write_exec_d_programs([(
        "web_concurrency",
        additional_buildpack_binary_path!("web_concurrency"),
    )])?;

    print::bullet("Default web process");
    if project.has_file(PROCFILE) {
        print::sub_bullet(format!(
            "Skipping: the app has a {} (a Procfile buildpack, such as {} on Heroku's builder, makes its processes the image's)",
            style::value(PROCFILE),
            style::value("heroku/procfile")
        ));
        return Ok(None);
    }
    if !config.web_process {
        print::sub_bullet(format!(
            "Skipping: {} is set to false",
            style::value("BP_PYTHON_WEB_PROCESS")
        ));
        return Ok(None);
    }
    let (installed, facts) = gather(project, config, venv).map_err(BuildpackError::Detect)?;
    Ok(report(web_choice::choose_web_process(&installed, facts)))
}

/// Reads what the decision needs: the installed distributions and the app's candidate files.
fn gather(
    project: &Project,
    config: &BuildConfig,
    venv: &Venv,
) -> std::io::Result<(Installed, Facts)> {
    let mut names = Vec::new();
    for site_packages in site_packages_dirs(&venv.dir)? {
        names.extend(installed_names(&site_packages)?);
    }
    let installed = Installed::new(names);
    let django = if installed.has("django") {
        let settings = config
            .platform_env
            .get_string_lossy("DJANGO_SETTINGS_MODULE")
            .filter(|value| !value.trim().is_empty());
        project
            .manage_py()
            .and_then(|manage_py| django::find(project.dir(), manage_py, settings.as_deref()))
    } else {
        None
    };
    let sources = scan::sources(project.dir());
    let objects = sources
        .iter()
        .flat_map(|(file, source)| scan::objects_in(file, source, &|name| installed.has(name)))
        .collect();
    let project_scripts = project_scripts(project)
        .into_iter()
        .filter(|script| venv.dir.join("bin").join(script).is_file())
        .collect();
    let facts = Facts {
        django,
        objects,
        streamlit_scripts: scan::streamlit_scripts(&sources),
        project_scripts,
    };
    Ok((installed, facts))
}

/// `[project.scripts]` and `[tool.poetry.scripts]` of `pyproject.toml`.
fn project_scripts(project: &Project) -> Vec<String> {
    let Some(table) = project.pyproject() else {
        return Vec::new();
    };
    let scripts = table
        .get("project")
        .and_then(|project| project.get("scripts"))
        .or_else(|| {
            table
                .get("tool")
                .and_then(|tool| tool.get("poetry"))
                .and_then(|poetry| poetry.get("scripts"))
        })
        .and_then(toml::Value::as_table);
    scripts.map_or_else(Vec::new, |scripts| scripts.keys().cloned().collect())
}

/// Says what was decided, and turns it into the image's processes.
fn report(decision: Decision) -> Option<Launch> {
    match decision {
        Decision::Process { found, command } => {
            print::sub_bullet(format!("Found {}", found.description));
            print::sub_bullet(format!(
                "Web process: {}",
                style::command(command.display())
            ));
            print::sub_bullet(format!(
                "A {} with a {} line replaces it; {} turns this off",
                style::value(PROCFILE),
                style::value("web:"),
                style::value("BP_PYTHON_WEB_PROCESS=false")
            ));
            Some(
                LaunchBuilder::new()
                    .process(
                        ProcessBuilder::new(process_type!("web"), command.argv())
                            .default(true)
                            .build(),
                    )
                    .build(),
            )
        }
        Decision::NoServer {
            found,
            servers,
            add,
        } => {
            show(&NoWebProcess::NoServer {
                found: &found,
                servers: &servers,
                add,
            });
            None
        }
        Decision::Ambiguous(found) => {
            show(&NoWebProcess::Ambiguous(&found));
            None
        }
        Decision::DjangoWithoutApplication { settings } => {
            show(&NoWebProcess::DjangoWithoutApplication {
                settings: &settings,
            });
            None
        }
        Decision::Nothing => {
            print::sub_bullet(format!(
                "No web app found (Django, FastAPI, Starlette, Litestar, Quart, Flask, a WSGI or ASGI application, Streamlit): the image has no default process. Add a {} with a {} line to give it one",
                style::value(PROCFILE),
                style::value("web:")
            ));
            None
        }
    }
}
