//! Launching processes of a build made with fake shell buildpacks.

mod support;

use python_buildpack_runner::{BuildConfig, Runner, launch, launch_command};
use support::Fixture;

fn built() -> Fixture {
    let f = Fixture::new();
    let runner = Runner::new([&f.one, &f.two]).unwrap();
    let out = runner
        .build(&BuildConfig::new(&f.app, &f.state).env("BUILD_TIME_ONLY", "x"))
        .unwrap();
    assert!(out.success, "{}", out.output);
    f
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(ToString::to_string).collect()
}

#[test]
fn default_process_gets_launch_env_exec_d_and_runs_in_the_workspace() {
    let f = built();
    let out = launch(&f.state, None, &[], &[]).unwrap();
    assert_eq!(out.code(), Some(0), "{out:?}");
    let workspace = f.state.join("workspace");
    assert_eq!(
        out.stdout,
        format!("exec.d ran\nweb web yes:launch\n{}\n", workspace.display())
    );
}

#[test]
fn process_types_args_and_later_buildpack_overrides() {
    let f = built();
    let worker = launch(&f.state, Some("worker"), &[], &[]).unwrap();
    assert_eq!(worker.stdout, "exec.d ran\ntwo-worker c\n");
    let with_args = launch(&f.state, Some("worker"), &strings(&["x", "y"]), &[]).unwrap();
    assert_eq!(with_args.stdout, "exec.d ran\ntwo-worker x y\n");
    let err = launch(&f.state, Some("nope"), &[], &[]).unwrap_err();
    assert!(format!("{err:#}").contains("'nope' not found"), "{err:#}");
}

#[test]
fn direct_command_sees_layer_env_in_buildpack_and_layer_order() {
    let f = built();
    let script = "echo \"$ORDER|$ONLY_LAUNCH|${WEB_ONLY:-unset}|${BUILD_ONLY_ENV:-unset}|${BUILD_TIME_ONLY:-unset}|$FROM_EXECD\"; hello";
    let out = launch(&f.state, None, &strings(&["sh", "-c", script]), &[]).unwrap();
    assert_eq!(out.code(), Some(0), "{out:?}");
    // ORDER: test/one sets it, test/two appends with its delimiter. WEB_ONLY is only for `web`.
    // BUILD_ONLY_ENV is in a build-only layer; BUILD_TIME_ONLY was user build env.
    assert_eq!(
        out.stdout,
        "exec.d ran\none,two|launch|unset|unset|unset|yes:launch\nhello from build 1\n"
    );
}

#[test]
fn launch_env_is_set_before_layer_env_like_docker_run_e() {
    let f = built();
    let env = [
        ("USER_WINS".to_string(), "user".to_string()),
        ("LAYER_WINS".to_string(), "user".to_string()),
    ];
    let out = launch(
        &f.state,
        None,
        &strings(&["sh", "-c", "echo $USER_WINS $LAYER_WINS"]),
        &env,
    )
    .unwrap();
    assert_eq!(out.stdout, "exec.d ran\nuser from-layer\n");
}

#[test]
fn exit_codes_and_stderr_are_passed_through() {
    let f = built();
    let out = launch(
        &f.state,
        None,
        &strings(&["sh", "-c", "echo oops >&2; exit 3"]),
        &[],
    )
    .unwrap();
    assert_eq!(out.code(), Some(3));
    assert_eq!(out.stderr, "oops\n");
}

#[test]
fn launch_command_can_be_spawned_by_the_caller() {
    let f = built();
    let mut cmd = launch_command(&f.state, None, &strings(&["cat", "app.txt"]), &[]).unwrap();
    let out = cmd.output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "app");
}

#[test]
fn after_a_failed_build_launch_uses_the_previous_image() {
    let f = built();
    f.app_flag("FAIL_BUILD", true);
    std::fs::write(f.app.join("app.txt"), "changed").unwrap();
    let runner = Runner::new([&f.one, &f.two]).unwrap();
    let failed = runner.build(&BuildConfig::new(&f.app, &f.state)).unwrap();
    assert!(!failed.success);
    let out = launch(
        &f.state,
        None,
        &strings(&["sh", "-c", "cat app.txt; hello; ls"]),
        &[],
    )
    .unwrap();
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(
        out.stdout
            .starts_with("exec.d ran\napphello from build 1\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("FAIL_BUILD"), "{}", out.stdout);
}

#[test]
fn launch_without_a_successful_build_is_an_error() {
    let f = Fixture::new();
    let err = launch(&f.state, None, &[], &[]).unwrap_err();
    assert!(
        format!("{err:#}").contains("no successfully built image"),
        "{err:#}"
    );
}

#[test]
fn launch_path_is_the_layers_then_the_system_dirs_and_home_is_not_the_hosts() {
    let f = built();
    let out = launch(
        &f.state,
        None,
        &strings(&["sh", "-c", "echo $PATH; echo $HOME"]),
        &[],
    )
    .unwrap();
    let lines: Vec<&str> = out.stdout.lines().collect();
    let bin = f.layer_path("test/one", "launchonly/bin");
    assert_eq!(
        lines[1],
        format!(
            "{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            bin.display()
        )
    );
    assert_eq!(lines[2], f.state.join("home").display().to_string());
    // `docker run -e` style env still wins.
    let out = launch(
        &f.state,
        None,
        &strings(&["sh", "-c", "echo $HOME"]),
        &[("HOME".to_string(), "/elsewhere".to_string())],
    )
    .unwrap();
    assert_eq!(out.stdout, "exec.d ran\n/elsewhere\n");
}
