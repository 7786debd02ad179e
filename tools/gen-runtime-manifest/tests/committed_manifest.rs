//! The committed `data/python-runtimes.jsonl` must be exactly what the generator produces from the
//! shared release data. Runs only when `PYTHON_BUILDPACK_SHARED_DIR` points at that shared folder.

use std::path::PathBuf;

#[test]
fn committed_manifest_is_up_to_date() {
    let Some(shared_dir) = std::env::var_os("PYTHON_BUILDPACK_SHARED_DIR") else {
        println!("skipped: set PYTHON_BUILDPACK_SHARED_DIR (e.g. /work/shared) to run this test");
        return;
    };
    let source = PathBuf::from(shared_dir).join("data/python-build-standalone.jsonl");
    let input = std::fs::read_to_string(&source)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", source.display()));
    let generated = gen_runtime_manifest::generate(&input).expect("the shared data is valid");

    let committed_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/python-runtimes.jsonl");
    let committed = std::fs::read_to_string(&committed_path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", committed_path.display()));
    assert!(
        generated.manifest == committed,
        "data/python-runtimes.jsonl is stale; regenerate it with `cargo run -p \
         gen-runtime-manifest -- ../shared/data/python-build-standalone.jsonl \
         data/python-runtimes.jsonl`"
    );
}
