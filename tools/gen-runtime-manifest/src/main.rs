//! `gen-runtime-manifest <python-build-standalone.jsonl> [output]`: writes the buildpack's
//! built-in runtime manifest to `output` (default stdout). See the library docs for the rules.
//!
//! From the workspace root:
//! `cargo run -p gen-runtime-manifest -- ../shared/data/python-build-standalone.jsonl data/python-runtimes.jsonl`

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (input, output) = match args.as_slice() {
        [input] => (input, None),
        [input, output] => (input, Some(output)),
        _ => {
            eprintln!("usage: gen-runtime-manifest <python-build-standalone.jsonl> [output.jsonl]");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(input) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: cannot read {input}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let generated = match gen_runtime_manifest::generate(&text) {
        Ok(generated) => generated,
        Err(error) => {
            eprintln!("error: {input}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let written = match output {
        Some(path) => std::fs::write(path, &generated.manifest),
        None => std::io::stdout()
            .lock()
            .write_all(generated.manifest.as_bytes()),
    };
    if let Err(error) = written {
        let target = output.map_or("stdout", String::as_str);
        eprintln!("error: cannot write {target}: {error}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "{} entries; left out {} rows whose archive is not an install_only .tar.gz",
        generated.entries,
        generated.skipped_lines.len()
    );
    ExitCode::SUCCESS
}
