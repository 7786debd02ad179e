//! Detect and build with fake shell buildpacks: invocation, environment, output.

mod support;

use python_buildpack_runner::{BuildConfig, Phase, Runner};
use support::{Fixture, env_dump, env_value};

#[test]
fn builds_with_positional_args_cnb_env_and_combined_output() {
    let f = Fixture::new();
    let runner = Runner::new([&f.one, &f.two]).unwrap();
    let out = runner.build(&BuildConfig::new(&f.app, &f.state)).unwrap();
    assert!(out.success, "{}", out.output);
    assert_eq!((out.exit_code, out.failed_phase), (Some(0), None));
    assert!(
        out.output.contains(
            "===> DETECTING\n2 of 2 buildpacks participating\ntest/one 0.0.1\ntest/two 0.0.1\n"
        ),
        "{}",
        out.output
    );
    assert!(
        out.output
            .contains("===> BUILDING\none: build\none: to stderr\ntwo: build\n===> EXPORTING\n"),
        "{}",
        out.output
    );
    // Passing detect output is not shown.
    assert!(!out.output.contains("one: detect"), "{}", out.output);

    let layers = f.state.join("layers").join("test_one");
    let platform = f.state.join("platform");
    let plan_dir = f.state.join("tmp").join("test_one");
    assert_eq!(
        f.workspace_file("one-build-args.txt").trim(),
        format!(
            "{} {} {} {}",
            f.one.canonicalize().unwrap().join("bin/build").display(),
            layers.display(),
            platform.display(),
            plan_dir.join("buildpack-plan.toml").display()
        )
    );
    let env = f.workspace_file("one-build-env.txt");
    let value = |name| env_value(&env, name).unwrap_or_else(|| panic!("{name} not set:\n{env}"));
    assert_eq!(value("CNB_LAYERS_DIR"), layers.display().to_string());
    assert_eq!(value("CNB_PLATFORM_DIR"), platform.display().to_string());
    assert_eq!(
        value("CNB_BUILDPACK_DIR"),
        f.one.canonicalize().unwrap().display().to_string()
    );
    assert_eq!(
        value("CNB_BP_PLAN_PATH"),
        plan_dir.join("buildpack-plan.toml").display().to_string()
    );
    assert_eq!(value("CNB_TARGET_OS"), "linux");
    assert!(["amd64", "arm64"].contains(&value("CNB_TARGET_ARCH").as_str()));
    assert!(env_value(&env, "CNB_TARGET_DISTRO_NAME").is_some());
    assert!(env_value(&env, "CNB_TARGET_DISTRO_VERSION").is_some());
    assert_eq!(
        value("PWD"),
        f.state.join("workspace").display().to_string()
    );

    let detect_env = f.workspace_file("one-detect-env.txt");
    assert_eq!(
        env_value(&detect_env, "CNB_BUILD_PLAN_PATH").unwrap(),
        plan_dir.join("plan.toml").display().to_string()
    );
    assert_eq!(env_value(&detect_env, "CNB_LAYERS_DIR"), None);
}

#[test]
fn only_allowlisted_runner_env_reaches_buildpacks() {
    let f = Fixture::new();
    // Variables of the test process (e.g. CARGO_*, RUST_*) must not leak in.
    assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
    let runner = Runner::new([&f.one]).unwrap();
    let out = runner.build(&BuildConfig::new(&f.app, &f.state)).unwrap();
    assert!(out.success, "{}", out.output);
    let allowed = [
        "PATH",
        "HOME",
        "HOSTNAME",
        "LD_LIBRARY_PATH",
        "LIBRARY_PATH",
        "CPATH",
        "PKG_CONFIG_PATH",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "CNB_STACK_ID",
    ];
    // Set by sh itself.
    let shell = ["PWD", "SHLVL", "OLDPWD", "_"];
    for (name, _) in env_dump(&f.workspace_file("one-build-env.txt")) {
        assert!(
            name.starts_with("CNB_")
                || allowed.contains(&name.as_str())
                || shell.contains(&name.as_str()),
            "{name} leaked into the build env"
        );
    }
}

#[test]
fn user_env_is_written_to_platform_and_applied_unless_clear_env() {
    let f = Fixture::new();
    let runner = Runner::new([&f.one, &f.two]).unwrap();
    let config = BuildConfig::new(&f.app, &f.state)
        .env("MY_VAR", "my value\n")
        .env("PATH", "/user/bin")
        .env("BUILD_VAR", "user");
    let out = runner.build(&config).unwrap();
    assert!(out.success, "{}", out.output);
    assert_eq!(
        std::fs::read_to_string(f.state.join("platform/env/MY_VAR")).unwrap(),
        "my value\n"
    );

    // test/one: clear-env = false, user env applied (path-like vars prepended with `:`).
    let one = f.workspace_file("one-build-env.txt");
    assert_eq!(env_value(&one, "MY_VAR").as_deref(), Some("my value"));
    let path = env_value(&one, "PATH").unwrap();
    assert!(path.starts_with("/user/bin:"), "{path}");

    // test/two: clear-env = true, no user env; but test/one's build layer env is applied.
    let two = f.workspace_file("two-build-env.txt");
    assert_eq!(env_value(&two, "MY_VAR"), None);
    let path = env_value(&two, "PATH").unwrap();
    let tool_bin = f.layer_path("test/one", "buildonly/bin");
    assert!(
        path.starts_with(&format!("{}:", tool_bin.display())),
        "{path}"
    );
    assert!(!path.contains("/user/bin"), "{path}");
    assert_eq!(env_value(&two, "BUILD_VAR").as_deref(), Some("from-one"));
    assert_eq!(env_value(&two, "FLAGS").as_deref(), Some("x"));
    // Launch-only layers do not contribute to the build env.
    assert_eq!(env_value(&two, "ONLY_LAUNCH"), None);
}

#[test]
fn user_env_overrides_layer_build_env_for_later_buildpacks() {
    let f = Fixture::new();
    let three = support::write_buildpack(
        &f.tmp.path().join("bp-three"),
        "test/three",
        false,
        support::TWO_DETECT,
        "#!/bin/sh\nenv | sort > three-build-env.txt\n",
    );
    let runner = Runner::new([&f.one, &three]).unwrap();
    let out = runner
        .build(&BuildConfig::new(&f.app, &f.state).env("BUILD_VAR", "user"))
        .unwrap();
    assert!(out.success, "{}", out.output);
    let three = f.workspace_file("three-build-env.txt");
    assert_eq!(env_value(&three, "BUILD_VAR").as_deref(), Some("user"));
}

#[test]
fn detect_failure_shows_detect_output_and_builds_nothing() {
    let f = Fixture::new();
    f.app_flag("FAIL_DETECT", true);
    let runner = Runner::new([&f.one, &f.two]).unwrap();
    let out = runner.build(&BuildConfig::new(&f.app, &f.state)).unwrap();
    assert!(!out.success && !out.detect_passed);
    assert_eq!(
        (out.exit_code, out.failed_phase),
        (Some(100), Some(Phase::Detect))
    );
    assert!(
        out.output
            .contains("======== Output: test/one@0.0.1 ========\none: detect"),
        "{}",
        out.output
    );
    assert!(out.output.contains("one: no thanks\n"), "{}", out.output);
    assert!(
        out.output
            .contains("fail: test/one@0.0.1\npass: test/two@0.0.1\n"),
        "{}",
        out.output
    );
    assert!(
        out.output
            .contains("ERROR: No buildpack groups passed detection."),
        "{}",
        out.output
    );
    assert!(!out.output.contains("===> BUILDING"), "{}", out.output);
}

#[test]
fn build_failure_reports_exit_code() {
    let f = Fixture::new();
    f.app_flag("FAIL_BUILD", true);
    let runner = Runner::new([&f.one, &f.two]).unwrap();
    let out = runner.build(&BuildConfig::new(&f.app, &f.state)).unwrap();
    assert!(!out.success && out.detect_passed);
    assert_eq!(
        (out.exit_code, out.failed_phase),
        (Some(7), Some(Phase::Build))
    );
    assert!(
        out.output.contains(
            "one: failing\nERROR: failed to build: buildpack test/one@0.0.1 exited with status 7"
        ),
        "{}",
        out.output
    );
    assert!(!out.output.contains("two: build"), "{}", out.output);
}

#[test]
fn the_app_dir_is_never_modified() {
    let f = Fixture::new();
    let runner = Runner::new([&f.one]).unwrap();
    let out = runner.build(&BuildConfig::new(&f.app, &f.state)).unwrap();
    assert!(out.success, "{}", out.output);
    let names: Vec<_> = std::fs::read_dir(&f.app)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["app.txt"]);
    assert_eq!(f.workspace_file("app.txt"), "app");
    assert!(f.state.join("workspace/built-marker.txt").is_file());
}

#[test]
fn state_dir_inside_the_app_is_not_copied_into_the_workspace() {
    let f = Fixture::new();
    let state = f.app.join(".state");
    let runner = Runner::new([&f.one]).unwrap();
    let out = runner.build(&BuildConfig::new(&f.app, &state)).unwrap();
    assert!(out.success, "{}", out.output);
    assert!(!state.join("workspace/.state").exists());
}

#[test]
fn builds_get_an_empty_home_of_their_own_not_the_hosts() {
    let f = Fixture::new();
    let home_check = support::write_buildpack(
        &f.tmp.path().join("bp-home"),
        "test/home",
        true,
        "#!/bin/sh\necho \"$HOME\" > detect-home.txt\n",
        "#!/bin/sh\necho \"$HOME\" > home.txt\nls -A \"$HOME\" > home-contents.txt\n\
         mkdir -p \"$HOME/.config/pip\"\necho '[global]' > \"$HOME/.config/pip/pip.conf\"\n",
    );
    let runner = Runner::new([&home_check]).unwrap();
    for _ in 0..2 {
        let out = runner.build(&BuildConfig::new(&f.app, &f.state)).unwrap();
        assert!(out.success, "{}", out.output);
        let home = f.workspace_file("home.txt");
        let home = std::path::Path::new(home.trim());
        assert!(home.starts_with(&f.state), "{}", home.display());
        assert_ne!(Some(home.as_os_str()), std::env::var_os("HOME").as_deref());
        assert_eq!(
            f.workspace_file("detect-home.txt").trim(),
            home.to_str().unwrap()
        );
        // Empty, even after the previous build wrote a config file there.
        assert_eq!(f.workspace_file("home-contents.txt"), "");
    }
}

#[test]
fn builds_get_the_build_images_path_and_no_empty_target_variables() {
    let f = Fixture::new();
    let runner = Runner::new([&f.one]).unwrap();
    let mut config = BuildConfig::new(&f.app, &f.state);
    config.target.distro_version = String::new();
    config.target.arch_variant = Some(String::new());
    let out = runner.build(&config).unwrap();
    assert!(out.success, "{}", out.output);
    for file in ["one-detect-env.txt", "one-build-env.txt"] {
        let env = f.workspace_file(file);
        // Not the host's PATH (with its pyenv shims, cargo, ...): a build image's.
        assert_eq!(
            env_value(&env, "PATH").as_deref(),
            Some("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            "{file}"
        );
        assert_eq!(env_value(&env, "CNB_TARGET_DISTRO_VERSION"), None, "{env}");
        assert_eq!(env_value(&env, "CNB_TARGET_ARCH_VARIANT"), None, "{env}");
        assert!(env_value(&env, "CNB_TARGET_DISTRO_NAME").is_some(), "{env}");
    }
}

#[test]
fn two_default_processes_in_one_launch_toml_fail_the_build() {
    let f = Fixture::new();
    let bp = support::write_buildpack(
        &f.tmp.path().join("bp-defaults"),
        "test/defaults",
        false,
        support::TWO_DETECT,
        "#!/bin/sh\nprintf '[[processes]]\\ntype = \"a\"\\ncommand = [\"a\"]\\ndefault = true\\n\\n\
         [[processes]]\\ntype = \"b\"\\ncommand = [\"b\"]\\ndefault = true\\n' > \"$1/launch.toml\"\n",
    );
    let runner = Runner::new([&bp, &f.two]).unwrap();
    let out = runner.build(&BuildConfig::new(&f.app, &f.state)).unwrap();
    assert_eq!(out.failed_phase, Some(Phase::Build), "{}", out.output);
    assert!(
        out.output.contains(
            "ERROR: failed to build: buildpack test/defaults@0.0.1: multiple default process \
             types aren't allowed"
        ),
        "{}",
        out.output
    );
    assert!(!out.output.contains("two: build"), "{}", out.output);
}
