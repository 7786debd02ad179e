mod support;
use support::TestApp;
fn dump(name: &str, app: &TestApp, env: &[(&str, &str)]) {
    let b = app.build_with(env);
    std::fs::write(
        format!("/tmp/probe/{name}.txt"),
        format!("success={}\n{}", b.success, b.output),
    )
    .unwrap();
}
#[test]
fn bootstrap() {
    dump(
        "bootstrap",
        &TestApp::new("pip_pinned"),
        &[("PIP_INDEX_URL", "http://127.0.0.1:9/simple")],
    );
}
#[test]
fn sdist() {
    dump("sdist", &TestApp::new("pip_broken_sdist"), &[]);
}
#[test]
fn notfound() {
    dump("notfound", &TestApp::new("pip_not_found"), &[]);
}
#[test]
fn conflict() {
    dump("conflict", &TestApp::new("pip_conflict"), &[]);
}
#[test]
fn invalid() {
    dump("invalid", &TestApp::new("pip_invalid_line"), &[]);
}
#[test]
fn notutf8() {
    dump("notutf8", &TestApp::new("pip_not_utf8"), &[]);
}
#[test]
fn py311() {
    dump("py311", &TestApp::new("pip_python_3_11"), &[]);
}
#[test]
fn py311nocert() {
    dump(
        "py311nocert",
        &TestApp::new("pip_python_3_11"),
        &[("PIP_CONFIG_FILE", "/dev/null"), ("PIP_CERT", "")],
    );
}
#[test]
fn editable() {
    let a = TestApp::new("pip_editable");
    dump("editable", &a, &[]);
    dump("editable2", &a, &[]);
}
#[test]
fn hashes() {
    let a = TestApp::new("pip_hashes");
    dump("hashes", &a, &[]);
    dump("hashes2", &a, &[]);
}
