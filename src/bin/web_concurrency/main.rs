//! `exec.d` program of the `web` layer: at launch, before the app's process starts, sets
//! `WEB_CONCURRENCY` (the worker count gunicorn, uvicorn and `fastapi run` read) from the CPU and
//! memory the container may use, unless the user has set it. The formula lives in
//! [`limits::web_concurrency`]; the limits come from cgroup v2, then cgroup v1, then the host.

mod limits;

use libcnb::data::exec_d::ExecDProgramOutput;
use libcnb::data::exec_d_program_output_key;
use libcnb::exec_d::write_exec_d_program_output;
use std::collections::HashMap;

/// Names us in `WEB_CONCURRENCY_SET_BY`, so that the value can be traced back.
const SET_BY: &str = "heroku/python";

fn main() {
    let already_set = std::env::var_os("WEB_CONCURRENCY").is_some_and(|value| !value.is_empty());
    let output = if already_set {
        HashMap::new()
    } else {
        let workers = limits::web_concurrency(&limits::Limits::read());
        HashMap::from([
            (
                exec_d_program_output_key!("WEB_CONCURRENCY"),
                workers.to_string(),
            ),
            (
                exec_d_program_output_key!("WEB_CONCURRENCY_SET_BY"),
                SET_BY.to_string(),
            ),
        ])
    };
    write_exec_d_program_output(ExecDProgramOutput::new(output));
}
