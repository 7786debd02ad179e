//! Starts an image's default process (a web server) through the runner with `PORT` set, and
//! talks HTTP to it: a bounded wait for the first answer, and the whole process group stopped
//! when the test is done (gunicorn and uvicorn run worker processes).
#![allow(dead_code, unreachable_pub)]

use super::TestApp;
use python_buildpack_runner::launch_command;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct WebServer {
    child: Child,
    pub port: u16,
    log: tempfile::NamedTempFile,
}

/// An HTTP response's status code and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl WebServer {
    /// Launches `app`'s default process with `PORT` (a free port) and `env`.
    pub fn start(app: &TestApp, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut launch_env = vec![("PORT".to_string(), port.to_string())];
        launch_env.extend(
            env.iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string())),
        );
        let mut command =
            launch_command(app.state_dir(), None, &[], &launch_env).expect("preparing the launch");
        let log = tempfile::NamedTempFile::new().unwrap();
        command
            .stdin(Stdio::null())
            .stdout(log.reopen().unwrap())
            .stderr(log.reopen().unwrap())
            .process_group(0);
        let child = command.spawn().expect("starting the default process");
        Self { child, port, log }
    }

    /// What the server printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// GETs `path`, retrying until the server answers or `timeout` passes (then panics with
    /// the server's output).
    pub fn get(&mut self, path: &str, timeout: Duration) -> Response {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "the server exited ({status}) before answering:\n{}",
                    self.log()
                );
            }
            if let Some(response) = get(self.port, path) {
                return response;
            }
            assert!(
                Instant::now() < deadline,
                "no HTTP answer on port {} within {timeout:?}:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-TERM", "--", &group])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One GET; `None` while nothing listens or the answer is incomplete.
fn get(port: u16, path: &str) -> Option<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some(Response {
        status,
        body: body.to_string(),
    })
}
