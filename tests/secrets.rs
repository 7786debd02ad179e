//! Credentials in every setting that takes a URL (runtime manifest, runtime mirror, package
//! index) never show in the build output, and nothing derived from them is in the app image.

mod support;

use support::pypi_mirror::{Fault, PypiMirror};
use support::runtime_server::{RuntimeSource, runtime_source};
use support::{TestApp, assert_contains, assert_not_contains, assert_success};

/// Secrets that are easy to find in output: each is a distinct word.
const SECRETS: [&str; 6] = [
    "s3cretUserInfo",
    "s3cretWithSlash",
    "s3cretQueryToken",
    "s3cretSignature",
    "s3cretIndexPassword",
    "s3cretExtraToken",
];

#[test]
fn credentials_in_any_url_setting_never_show_in_the_output() {
    let RuntimeSource::LocalMirror { base_url, .. } = runtime_source() else {
        eprintln!("skipped: needs PYTHON_BUILDPACK_SHARED_DIR (a runtime server on 127.0.0.1)");
        return;
    };
    let mirror = PypiMirror::start(Fault::None);
    let with_credentials =
        |url: &str, userinfo: &str| url.replacen("://", &format!("://{userinfo}@"), 1);
    let manifest = format!(
        "{}/runtimes.jsonl?private_token={}&x=1",
        with_credentials(base_url, &format!("user:{}", SECRETS[0])),
        SECRETS[2]
    );
    let app = TestApp::new("pip_pinned");
    let build = app.build_with(&[
        ("BP_PYTHON_RUNTIME_MANIFEST", &manifest),
        // Unused by this manifest's relative URLs, but shown.
        (
            "BP_PYTHON_RUNTIME_MIRROR",
            &format!(
                "https://user:pa%2Fss{}%23@mirror.example/pbs?X-Amz-Signature={}",
                SECRETS[1], SECRETS[3]
            ),
        ),
        (
            "PIP_INDEX_URL",
            &with_credentials(&mirror.index_url(), &format!("__token__:{}", SECRETS[4])),
        ),
        (
            "PIP_EXTRA_INDEX_URL",
            &format!("{}?access_token={}", mirror.index_url(), SECRETS[5]),
        ),
    ]);
    assert_success(&build);
    for secret in SECRETS {
        assert_not_contains(&build.output, secret);
    }
    // What is shown instead.
    assert_contains(&build.output, "(http://***@127.0.0.1:");
    assert_contains(
        &build.output,
        "https://***@mirror.example/pbs?X-Amz-Signature=***",
    );
    assert_contains(&build.output, "private_token=***");
    assert!(app.imports("six"));
}

#[test]
fn a_changed_password_changes_nothing_in_the_image_and_reinstalls_nothing() {
    let mirror = PypiMirror::start(Fault::None);
    let index = |password: &str| {
        mirror
            .index_url()
            .replacen("://", &format!("://user:{password}@"), 1)
    };
    let image_metadata = |app: &TestApp| {
        let image = app.state_dir().join("image/layers/heroku_python");
        ["python.toml", "venv.toml"].map(|file| std::fs::read_to_string(image.join(file)).unwrap())
    };
    let first = TestApp::new("pip_pinned");
    let build = first.build_with(&[("PIP_INDEX_URL", &index("password-one"))]);
    assert_success(&build);
    let second = TestApp::new("pip_pinned");
    let build = second.build_with(&[("PIP_INDEX_URL", &index("password-two"))]);
    assert_success(&build);
    let metadata = image_metadata(&first);
    assert_eq!(metadata, image_metadata(&second));
    for text in &metadata {
        assert_not_contains(text, "password");
    }
    // The index is an input: its name is recorded (not its value).
    assert_contains(&metadata[1], "PIP_INDEX_URL");

    // A rotated password is not a change: the environment is reused. Another index is.
    let rotated = first.build_with(&[("PIP_INDEX_URL", &index("password-three"))]);
    assert_success(&rotated);
    assert_contains(&rotated.output, "Reusing the virtual environment");
    let other = first.build_with(&[(
        "PIP_INDEX_URL",
        &mirror.index_url().replace("127.0.0.1", "localhost"),
    )]);
    assert_success(&other);
    assert_contains(
        &other.output,
        "because the settings of pip changed (PIP_INDEX_URL)",
    );
}
