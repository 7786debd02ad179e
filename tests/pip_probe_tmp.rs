mod support;
use support::TestApp;
#[test]
fn probe() {
    let app = TestApp::new("pip_pinned");
    let b = app.build();
    println!("{}", b.output);
    println!("RUN: {:?}", app.run("python -c 'import six,sys; print(six.__file__, sys.base_prefix)'; echo $VIRTUAL_ENV; command -v pip pip3; python -c 'import pip'; echo $PATH"));
    println!("venv: {}", app.layer_dir("venv").display());
    println!(
        "{}",
        std::fs::read_to_string(app.layer_dir("venv").with_extension("toml")).unwrap()
    );
}
