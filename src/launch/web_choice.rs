//! Which `web` process the image gets, from what is installed and what the app's files define:
//! a Django project, else the app objects of ASGI/WSGI frameworks or a Streamlit script, else an
//! unambiguous `[project.scripts]` entry. A process is only chosen when exactly one candidate
//! fits and a server for it is installed; otherwise the decision says what is missing.

use super::django::DjangoApp;
use super::process::{Interface, Server, Target, WebCommand};
use super::scan::{Found, Framework};
use std::collections::BTreeSet;

/// Installed distributions, by normalised name (`Flask` → `flask`, `fastapi_cli` → `fastapi-cli`).
#[derive(Debug, Default)]
pub(crate) struct Installed(BTreeSet<String>);

impl Installed {
    pub(crate) fn new(names: impl IntoIterator<Item = impl AsRef<str>>) -> Self {
        Self(
            names
                .into_iter()
                .map(|name| crate::package_name::normalize_name(name.as_ref()))
                .collect(),
        )
    }

    pub(crate) fn has(&self, distribution: &str) -> bool {
        self.0.contains(distribution)
    }

    fn first(&self, servers: &[Server]) -> Option<Server> {
        servers
            .iter()
            .copied()
            .find(|server| self.has(server.distribution()))
    }
}

/// What the buildpack found, to say so in the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// "the Django project's WSGI application `mysite.wsgi:application`"
    pub(crate) description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Process {
        found: Candidate,
        command: WebCommand,
    },
    /// A web app, but no server for it: `add` is the package to add.
    NoServer {
        found: Candidate,
        servers: Vec<Server>,
        add: &'static str,
    },
    /// Several candidates; none is preferred.
    Ambiguous(Vec<Candidate>),
    /// A Django project whose application could not be found in its files.
    DjangoWithoutApplication {
        settings: String,
    },
    Nothing,
}

/// The inputs, gathered by the caller from the app and the virtual environment.
pub(crate) struct Facts {
    pub(crate) django: Option<DjangoApp>,
    pub(crate) objects: Vec<Found>,
    pub(crate) streamlit_scripts: Vec<String>,
    /// `[project.scripts]` (or Poetry's) entries whose program the virtual environment has.
    pub(crate) project_scripts: Vec<String>,
}

pub(crate) fn choose_web_process(installed: &Installed, facts: Facts) -> Decision {
    if let Some(django) = facts.django {
        return django_decision(installed, django);
    }
    let objects = preferred(facts.objects);
    let streamlit = if installed.has("streamlit") {
        facts.streamlit_scripts
    } else {
        Vec::new()
    };
    match (objects.as_slice(), streamlit.as_slice()) {
        ([one], []) => return serve(installed, one),
        ([], [script]) => {
            return Decision::Process {
                found: Candidate {
                    description: format!("the Streamlit app `{script}`"),
                },
                command: WebCommand::program(&[
                    "streamlit",
                    "run",
                    script,
                    "--server.port",
                    "$PORT",
                    "--server.address",
                    "0.0.0.0",
                    "--server.headless",
                    "true",
                ]),
            };
        }
        ([], []) => {}
        (objects, scripts) => {
            return Decision::Ambiguous(
                objects
                    .iter()
                    .map(describe)
                    .chain(scripts.iter().map(|script| Candidate {
                        description: format!("the Streamlit app `{script}`"),
                    }))
                    .collect(),
            );
        }
    }
    match facts.project_scripts.as_slice() {
        [script] => Decision::Process {
            found: Candidate {
                description: format!("the project's only script, `{script}` ([project.scripts])"),
            },
            command: WebCommand::program(&[script]),
        },
        _ => Decision::Nothing,
    }
}

/// Among several objects: the `wsgi.py`/`asgi.py` entry points, else those named like an app.
fn preferred(objects: Vec<Found>) -> Vec<Found> {
    if objects.len() <= 1 {
        return objects;
    }
    let plain: Vec<Found> = objects
        .iter()
        .filter(|found| found.framework.is_none())
        .cloned()
        .collect();
    if plain.len() == 1 {
        return plain;
    }
    let named: Vec<Found> = objects
        .iter()
        .filter(|found| ["app", "application", "api"].contains(&found.target.object.as_str()))
        .cloned()
        .collect();
    if named.len() == 1 { named } else { objects }
}

fn describe(found: &Found) -> Candidate {
    let kind = match (found.framework, found.target.interface) {
        (Some(framework), _) => format!("{} app", framework.name()),
        (None, Interface::Wsgi) => "WSGI application".to_string(),
        (None, Interface::Asgi) => "ASGI application".to_string(),
    };
    let call = if found.target.factory { "()" } else { "" };
    Candidate {
        description: format!(
            "the {kind} `{}{call}` in {}",
            found.target.object, found.file
        ),
    }
}

fn serve(installed: &Installed, found: &Found) -> Decision {
    let interface = found.target.interface;
    let server = if found.framework == Some(Framework::FastApi)
        && installed.has("fastapi-cli")
        && installed.has("uvicorn")
    {
        Some(Server::FastapiCli)
    } else {
        installed.first(Server::for_interface(interface))
    };
    match server {
        Some(server) => Decision::Process {
            found: describe(found),
            command: WebCommand::serve(server, &found.target, &found.file),
        },
        None => Decision::NoServer {
            found: describe(found),
            servers: Server::for_interface(interface).to_vec(),
            add: match (found.framework, interface) {
                (Some(Framework::FastApi), _) => "fastapi[standard]",
                (_, Interface::Asgi) => "uvicorn",
                (_, Interface::Wsgi) => "gunicorn",
            },
        },
    }
}

fn django_decision(installed: &Installed, django: DjangoApp) -> Decision {
    let describe = |target: &Target, kind: &str| Candidate {
        description: format!(
            "the Django project's {kind} application `{}:{}` (settings `{}`)",
            target.module, target.object, django.settings
        ),
    };
    let asgi_server = installed.first(Server::for_interface(Interface::Asgi));
    let wsgi_server = installed.first(Server::for_interface(Interface::Wsgi));
    let asgi = django.asgi.as_ref().zip(asgi_server);
    let wsgi = django.wsgi.as_ref().zip(wsgi_server);
    // A project that configures ASGI_APPLICATION (Channels) is served as ASGI when it can be;
    // otherwise gunicorn (the usual Django deployment) serves WSGI when installed.
    let chosen = match (asgi, wsgi) {
        (Some(asgi), _) if django.asgi_configured => Some((asgi, "ASGI")),
        (_, Some(wsgi)) if wsgi.1 == Server::Gunicorn => Some((wsgi, "WSGI")),
        (Some(asgi), _) => Some((asgi, "ASGI")),
        (None, Some(wsgi)) => Some((wsgi, "WSGI")),
        (None, None) => None,
    };
    if let Some(((target, server), kind)) = chosen {
        return Decision::Process {
            found: describe(target, kind),
            command: WebCommand::serve(server, target, ""),
        };
    }
    match (&django.wsgi, &django.asgi) {
        (Some(target), _) => Decision::NoServer {
            found: describe(target, "WSGI"),
            servers: Server::for_interface(Interface::Wsgi).to_vec(),
            add: "gunicorn",
        },
        (None, Some(target)) => Decision::NoServer {
            found: describe(target, "ASGI"),
            servers: Server::for_interface(Interface::Asgi).to_vec(),
            add: "uvicorn",
        },
        (None, None) => Decision::DjangoWithoutApplication {
            settings: django.settings,
        },
    }
}

#[cfg(test)]
mod tests;
