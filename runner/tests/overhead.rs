//! The runner's own time (outside `bin/detect` and `bin/build`) on a big layer set, like the
//! bench Django app's: about 10,500 files in 3,000 directories, 120 MiB, in a launch + cache
//! layer and a cache-only one. Ignored by default; run it optimised, for figures:
//!
//! ```sh
//! cargo test --release -p python-buildpack-runner --test overhead -- --ignored --nocapture
//! ```

mod support;

use python_buildpack_runner::{BuildConfig, BuildOutput, Runner};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

/// `test/big`: copies `$TEMPLATE/venv` (launch + cache) and `$TEMPLATE/tool` (cache) into its
/// layers unless they were restored, and keeps them otherwise (a no-op rebuild).
const BIG_BUILD: &str = r#"#!/bin/sh
set -eu
layers="$1"
for name in venv tool; do
  if [ ! -d "$layers/$name" ]; then cp -R "$TEMPLATE/$name" "$layers/$name"; fi
done
printf '[types]\nlaunch = true\ncache = true\n\n[metadata]\nversion = "1"\n' > "$layers/venv.toml"
printf '[types]\ncache = true\n\n[metadata]\nversion = "1"\n' > "$layers/tool.toml"
printf '[[processes]]\ntype = "web"\ncommand = ["true"]\ndefault = true\n' > "$layers/launch.toml"
"#;

/// Writes `dirs` directories of `files_per_dir` files (sizes 500 to 23,500 bytes) under `root`;
/// returns the number of bytes.
fn write_tree(root: &Path, dirs: usize, files_per_dir: usize, seed: usize) -> u64 {
    let noise: Vec<u8> = (0..24_000_u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
        .collect();
    let mut total = 0;
    for d in 0..dirs {
        let dir = root
            .join(format!("pkg{:02}", d % 40))
            .join(format!("mod{d}"));
        fs::create_dir_all(&dir).unwrap();
        for f in 0..files_per_dir {
            let n = seed + d * files_per_dir + f;
            let size = 500 + (n * 7919) % 23_000;
            fs::write(
                dir.join(format!("file{f}.py")),
                &noise[n % 500..n % 500 + size],
            )
            .unwrap();
            total += size as u64;
        }
    }
    total
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

#[test]
#[ignore = "a benchmark: run with --release --ignored --nocapture"]
fn runner_overhead_on_a_big_layer_set() {
    let f = support::Fixture::new();
    fs::set_permissions(f.tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let template = f.tmp.path().join("template");
    let bytes = write_tree(&template.join("venv"), 2_600, 3, 0)
        + write_tree(&template.join("tool"), 400, 6, 50_000);
    let bp = support::write_buildpack(
        &f.tmp.path().join("bp-big"),
        "test/big",
        false,
        support::TWO_DETECT,
        BIG_BUILD,
    );
    let runner = Runner::new([bp]).unwrap();
    let config = BuildConfig::new(&f.app, &f.state).env("TEMPLATE", template.to_str().unwrap());
    let build = |what: &str| -> BuildOutput {
        let out = runner.build(&config).unwrap();
        assert!(out.success, "{what}: {}", out.output);
        out
    };
    let fresh = build("fresh");
    let mut noop = Vec::new();
    let mut noop_total = Vec::new();
    for _ in 0..5 {
        let out = build("no-op");
        noop.push(out.timings.runner());
        noop_total.push(out.timings.total);
    }
    eprintln!(
        "{} MiB in 10,200 files: fresh build: runner {} (total {}); no-op rebuild (median of 5): \
         runner {} (total {}), all: {:?}",
        bytes >> 20,
        secs(fresh.timings.runner()),
        secs(fresh.timings.total),
        secs(median(noop.clone())),
        secs(median(noop_total)),
        noop.iter().map(|d| secs(*d)).collect::<Vec<_>>()
    );
}
