//! Warnings about the image's start command: a web app was found but nothing can serve it, or
//! several were found and none is preferred, or a Django project's application was not found.

use super::Message;
use crate::launch::process::Server;
use crate::launch::web_choice::Candidate;
use bullet_stream::style;
use indoc::formatdoc;

const OVERRIDE: &str = "A Procfile at the app's root (a `web:` line) or `[[io.buildpacks.processes]]` in project.toml sets the start command yourself.";

pub(crate) fn no_server_warning(found: &Candidate, servers: &[Server], add: &str) -> Message {
    let servers = servers
        .iter()
        .map(|server| style::value(server.distribution()))
        .collect::<Vec<_>>()
        .join(", ");
    Message::warning(formatdoc! {"
        No web server installed

        The buildpack found {found}, but none of the servers that can run it is installed
        ({servers}), so the image has no default web process.

        Add {add} to the app's dependencies (and lock file) to get one. {OVERRIDE}
    ", found = found.description, add = style::value(add)})
}

pub(crate) fn ambiguous_warning(found: &[Candidate]) -> Message {
    let list = found
        .iter()
        .map(|candidate| format!("- {}", candidate.description))
        .collect::<Vec<_>>()
        .join("\n");
    Message::warning(formatdoc! {"
        Several web apps found

        The buildpack cannot tell which of these is the app to start, so the image has no
        default web process:
        {list}

        {OVERRIDE}
    "})
}

pub(crate) fn django_without_application_warning(settings: &str) -> Message {
    Message::warning(formatdoc! {"
        Django application not found

        This is a Django project (settings {settings}), but neither WSGI_APPLICATION nor
        ASGI_APPLICATION is set in its settings, and there is no wsgi.py or asgi.py beside them,
        so the image has no default web process.

        Set WSGI_APPLICATION in the settings (`startproject` sets it to
        \"<project>.wsgi.application\"). {OVERRIDE}
    ", settings = style::value(settings)})
}
