//! The web servers the buildpack knows how to start, and the `web` process command for an app
//! target served by one of them: bound to `0.0.0.0:$PORT` (8080 when `PORT` is unset), through
//! `/bin/sh -c` so that `$PORT` is read at launch (Buildpack API 0.9+ processes have no shell).

use std::fmt;

/// A WSGI or ASGI application object, as `module:object` importable from `dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// Folder of the app (relative to its root) the server runs in; `None` for the root.
    pub(crate) dir: Option<String>,
    /// Folder (relative to `dir`, or the app) to put on `sys.path`: `src` for a src layout.
    pub(crate) python_path: Option<String>,
    pub(crate) module: String,
    pub(crate) object: String,
    /// `object` is a function returning the app (`create_app()`), not the app.
    pub(crate) factory: bool,
    pub(crate) interface: Interface,
}

impl Target {
    fn import_string(&self) -> String {
        format!("{}:{}", self.module, self.object)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interface {
    Wsgi,
    Asgi,
}

/// Production web servers, by their distribution's (normalised) name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Server {
    Gunicorn,
    Uvicorn,
    /// `fastapi run`, from `fastapi-cli` (`fastapi[standard]`): uvicorn with FastAPI's defaults.
    FastapiCli,
    Hypercorn,
    Granian,
    Daphne,
    Waitress,
}

impl Server {
    pub(crate) fn distribution(self) -> &'static str {
        match self {
            Server::Gunicorn => "gunicorn",
            Server::Uvicorn => "uvicorn",
            Server::FastapiCli => "fastapi-cli",
            Server::Hypercorn => "hypercorn",
            Server::Granian => "granian",
            Server::Daphne => "daphne",
            Server::Waitress => "waitress",
        }
    }

    /// The servers that can serve `interface`, most usual first. `fastapi run` only serves
    /// FastAPI apps, so it is not among them: the FastAPI rule adds it.
    pub(crate) fn for_interface(interface: Interface) -> &'static [Server] {
        match interface {
            Interface::Wsgi => &[Server::Gunicorn, Server::Granian, Server::Waitress],
            Interface::Asgi => &[
                Server::Uvicorn,
                Server::Hypercorn,
                Server::Granian,
                Server::Daphne,
            ],
        }
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Server::FastapiCli => "fastapi run",
            other => other.distribution(),
        })
    }
}

/// A `web` process: the words of the command, `$PORT` and `$WEB_CONCURRENCY` left for the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WebCommand {
    /// Folder to `cd` into first, relative to the app.
    pub(crate) dir: Option<String>,
    /// Folder to put first on `PYTHONPATH`.
    pub(crate) python_path: Option<String>,
    pub(crate) words: Vec<String>,
}

impl WebCommand {
    /// `target` served by `server`. `file` is the target's source file (for `fastapi run`).
    pub(crate) fn serve(server: Server, target: &Target, file: &str) -> Self {
        let app = target.import_string();
        let interface = match target.interface {
            Interface::Wsgi => "wsgi",
            Interface::Asgi => "asgi",
        };
        let words: Vec<String> = match server {
            // gunicorn reads WEB_CONCURRENCY itself.
            Server::Gunicorn => {
                let app = if target.factory {
                    format!("{app}()")
                } else {
                    app
                };
                vec!["gunicorn", "--bind", "0.0.0.0:$PORT", &app]
                    .into_iter()
                    .map(String::from)
                    .collect()
            }
            // uvicorn (and `fastapi run`, which runs it) read WEB_CONCURRENCY too.
            Server::Uvicorn => {
                let mut words = strings(&["uvicorn", &app, "--host", "0.0.0.0", "--port", "$PORT"]);
                if target.factory {
                    words.push("--factory".to_string());
                }
                words
            }
            Server::FastapiCli => strings(&[
                "fastapi",
                "run",
                file,
                "--app",
                &target.object,
                "--host",
                "0.0.0.0",
                "--port",
                "$PORT",
            ]),
            Server::Hypercorn => {
                let app = if target.factory {
                    format!("{app}()")
                } else {
                    app
                };
                strings(&[
                    "hypercorn",
                    "--bind",
                    "0.0.0.0:$PORT",
                    "--workers",
                    "$WEB_CONCURRENCY",
                    &app,
                ])
            }
            Server::Granian => {
                let mut words = strings(&[
                    "granian",
                    "--interface",
                    interface,
                    "--host",
                    "0.0.0.0",
                    "--port",
                    "$PORT",
                    "--workers",
                    "$WEB_CONCURRENCY",
                ]);
                if target.factory {
                    words.push("--factory".to_string());
                }
                words.push(app);
                words
            }
            Server::Daphne => strings(&["daphne", "-b", "0.0.0.0", "-p", "$PORT", &app]),
            Server::Waitress => {
                let mut words = strings(&["waitress-serve", "--listen=0.0.0.0:$PORT"]);
                if target.factory {
                    words.push("--call".to_string());
                }
                words.push(app);
                words
            }
        };
        Self {
            dir: target.dir.clone(),
            python_path: target.python_path.clone(),
            words,
        }
    }

    /// A program of the virtual environment, run as it is (`streamlit run`, a project script).
    pub(crate) fn program(words: &[&str]) -> Self {
        Self {
            dir: None,
            python_path: None,
            words: strings(words),
        }
    }

    /// How the output shows it: `cd backend && gunicorn --bind 0.0.0.0:$PORT mysite.wsgi:application`.
    pub(crate) fn display(&self) -> String {
        let mut command = self.words.join(" ");
        if let Some(path) = &self.python_path {
            command = format!("PYTHONPATH={path} {command}");
        }
        match &self.dir {
            Some(dir) => format!("cd {dir} && {command}"),
            None => command,
        }
    }

    /// The shell script `/bin/sh -c` runs: defaults for `PORT` and `WEB_CONCURRENCY` (which the
    /// `web` layer sets at launch anyway), then `exec` of the server so that it gets the
    /// container's signals.
    pub(crate) fn script(&self) -> String {
        let words = self
            .words
            .iter()
            .map(|word| quote(word))
            .collect::<Vec<_>>();
        let cd = self
            .dir
            .as_deref()
            .map(|dir| format!("cd {} && ", quote(dir)))
            .unwrap_or_default();
        let path = self
            .python_path
            .as_deref()
            .map(|path| {
                format!(
                    "export PYTHONPATH={}\"${{PYTHONPATH:+:$PYTHONPATH}}\" && ",
                    quote(path)
                )
            })
            .unwrap_or_default();
        format!("{cd}{path}exec {}", words.join(" "))
    }

    /// The `launch.toml` command: `/bin/sh -c <script>`.
    pub(crate) fn argv(&self) -> Vec<String> {
        vec!["/bin/sh".to_string(), "-c".to_string(), self.script()]
    }
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(ToString::to_string).collect()
}

/// Quotes a word for `sh`, leaving `$PORT`/`$WEB_CONCURRENCY` to be expanded (with defaults).
fn quote(word: &str) -> String {
    let expanded = word
        .replace("$PORT", "${PORT:-8080}")
        .replace("$WEB_CONCURRENCY", "${WEB_CONCURRENCY:-1}");
    if expanded != word {
        return format!("\"{expanded}\"");
    }
    let plain = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-.:/=,@+%".contains(c));
    if plain && !word.is_empty() {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(dir: Option<&str>, module: &str, object: &str, interface: Interface) -> Target {
        Target {
            dir: dir.map(String::from),
            python_path: None,
            module: module.to_string(),
            object: object.to_string(),
            factory: false,
            interface,
        }
    }

    #[test]
    fn gunicorn_binds_port_and_reads_web_concurrency_itself() {
        let command = WebCommand::serve(
            Server::Gunicorn,
            &target(None, "mysite.wsgi", "application", Interface::Wsgi),
            "mysite/wsgi.py",
        );
        assert_eq!(
            command.display(),
            "gunicorn --bind 0.0.0.0:$PORT mysite.wsgi:application"
        );
        assert_eq!(
            command.argv(),
            [
                "/bin/sh",
                "-c",
                "exec gunicorn --bind \"0.0.0.0:${PORT:-8080}\" mysite.wsgi:application"
            ]
        );
    }

    #[test]
    fn a_subfolder_is_entered_first() {
        let command = WebCommand::serve(
            Server::Uvicorn,
            &target(
                Some("backend"),
                "config.asgi",
                "application",
                Interface::Asgi,
            ),
            "backend/config/asgi.py",
        );
        assert_eq!(
            command.display(),
            "cd backend && uvicorn config.asgi:application --host 0.0.0.0 --port $PORT"
        );
        assert_eq!(
            command.script(),
            "cd backend && exec uvicorn config.asgi:application --host 0.0.0.0 --port \"${PORT:-8080}\""
        );
    }

    #[test]
    fn factories() {
        let mut flask = target(None, "app", "create_app", Interface::Wsgi);
        flask.factory = true;
        assert_eq!(
            WebCommand::serve(Server::Gunicorn, &flask, "app.py").script(),
            "exec gunicorn --bind \"0.0.0.0:${PORT:-8080}\" 'app:create_app()'"
        );
        assert_eq!(
            WebCommand::serve(Server::Waitress, &flask, "app.py").display(),
            "waitress-serve --listen=0.0.0.0:$PORT --call app:create_app"
        );
    }

    #[test]
    fn fastapi_run_names_the_file_and_the_object() {
        let command = WebCommand::serve(
            Server::FastapiCli,
            &target(None, "app.main", "api", Interface::Asgi),
            "app/main.py",
        );
        assert_eq!(
            command.display(),
            "fastapi run app/main.py --app api --host 0.0.0.0 --port $PORT"
        );
    }

    #[test]
    fn servers_without_web_concurrency_support_get_it_as_an_option() {
        let command = WebCommand::serve(
            Server::Granian,
            &target(None, "main", "app", Interface::Asgi),
            "main.py",
        );
        assert_eq!(
            command.script(),
            "exec granian --interface asgi --host 0.0.0.0 --port \"${PORT:-8080}\" --workers \"${WEB_CONCURRENCY:-1}\" main:app"
        );
    }

    #[test]
    fn a_src_layout_goes_on_the_python_path() {
        let mut app = target(None, "shop.main", "app", Interface::Asgi);
        app.python_path = Some("src".to_string());
        let command = WebCommand::serve(Server::Uvicorn, &app, "src/shop/main.py");
        assert_eq!(
            command.display(),
            "PYTHONPATH=src uvicorn shop.main:app --host 0.0.0.0 --port $PORT"
        );
        assert_eq!(
            command.script(),
            "export PYTHONPATH=src\"${PYTHONPATH:+:$PYTHONPATH}\" && exec uvicorn shop.main:app --host 0.0.0.0 --port \"${PORT:-8080}\""
        );
    }

    #[test]
    fn odd_words_are_quoted() {
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("streamlit_app.py"), "streamlit_app.py");
        assert_eq!(
            quote("--server.port=$PORT"),
            "\"--server.port=${PORT:-8080}\""
        );
    }
}
