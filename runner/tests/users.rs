//! Users, as in a build and a run image: when the runner is root, detect and build run as the
//! build user (1001:1000), which owns the layers and the workspace, and launched processes as
//! the launch user (1002:1000), which can read them but not write them. These tests need root
//! (they pass trivially otherwise, saying so).

mod support;

use python_buildpack_runner::{BuildConfig, Runner, User, launch};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use support::{Fixture, env_value};

fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `test/users`: records its ids and environment in detect and build, and the owners of what
/// it was given, makes a launch + cache layer `data` (a file, a directory, a symlink) and a
/// launch-only layer `tool` with an exec.d program that reports its user. With `BREAK`, it
/// removes `data/dir` and fails.
const USERS_DETECT: &str = "#!/bin/sh\necho \"$(id -u) $(id -g) $(id -G)\" > detect-ids.txt\n";
const USERS_BUILD: &str = r#"#!/bin/sh
set -eu
layers="$1"
echo "$(id -u) $(id -g) $(id -G)" > build-ids.txt
env | sort > build-env.txt
for f in "$layers"/*.toml; do
  if [ -f "$f" ]; then stat -c '%u:%g %n' "$f"; fi
done > restored-owners.txt
if [ -d "$layers/data" ]; then
  stat -c '%u:%g %n' "$layers/data/file" "$layers/data/dir" >> restored-owners.txt
fi
if [ -n "${BREAK:-}" ]; then rm -rf "$layers/data/dir"; exit 1; fi
mkdir -p "$layers/data/dir" "$layers/tool/exec.d"
echo data > "$layers/data/file"
ln -sf file "$layers/data/link"
printf '[types]\nlaunch = true\ncache = true\n\n[metadata]\nv = 1\n' > "$layers/data.toml"
printf '#!/bin/sh\nprintf "EXECD_IDS = \\"%%s\\"\\n" "$(id -u)" >&3\n' > "$layers/tool/exec.d/ids"
chmod +x "$layers/tool/exec.d/ids"
printf '[types]\nlaunch = true\n' > "$layers/tool.toml"
printf '[metadata]\nbuilds = 1\n' > "$layers/store.toml"
echo built > built.txt
"#;

fn users_buildpack(f: &Fixture) -> std::path::PathBuf {
    support::write_buildpack(
        &f.tmp.path().join("bp-users"),
        "test/users",
        false,
        USERS_DETECT,
        USERS_BUILD,
    )
}

fn owner(path: &Path) -> String {
    let meta = fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format!("{}:{}", meta.uid(), meta.gid())
}

fn sh(state: &Path, script: &str) -> python_buildpack_runner::LaunchOutput {
    launch(state, None, &["sh".into(), "-c".into(), script.into()], &[]).unwrap()
}

#[test]
fn detect_and_build_run_as_the_build_user_which_owns_the_layers_and_the_workspace() {
    if !is_root() {
        eprintln!("not root: everything runs as the calling user");
        return;
    }
    let f = Fixture::new();
    let runner = Runner::new([users_buildpack(&f)]).unwrap();
    let config = BuildConfig::new(&f.app, &f.state);
    let out = runner.build(&config).unwrap();
    assert!(out.success, "{}", out.output);
    // Only the primary group: supplementary groups (root's) are dropped.
    assert_eq!(f.workspace_file("detect-ids.txt"), "1001 1000 1000\n");
    assert_eq!(f.workspace_file("build-ids.txt"), "1001 1000 1000\n");
    let env = f.workspace_file("build-env.txt");
    assert_eq!(env_value(&env, "CNB_USER_ID").as_deref(), Some("1001"));
    assert_eq!(env_value(&env, "CNB_GROUP_ID").as_deref(), Some("1000"));

    let build_user = "1001:1000";
    let layers = f.state.join("layers");
    for path in [
        f.state.join("workspace"),
        f.state.join("workspace/app.txt"),
        f.state.join("workspace/built.txt"),
        layers.clone(),
        layers.join("test_users"),
        layers.join("test_users/data/file"),
        layers.join("test_users/data/link"),
        f.state.join("tmp"),
        f.state.join("tmp/home"),
        f.state.join("tmp/test_users"),
    ] {
        assert_eq!(owner(&path), build_user, "{}", path.display());
    }
    assert_eq!(owner(&f.state.join("home")), "1002:1000");
    // The state root (a 0700 temporary directory would be) is searchable.
    assert_eq!(fs::metadata(&f.state).unwrap().mode() & 0o011, 0o011);

    // What the restore writes, and what it puts back after a failed build, is the build
    // user's too.
    let failed = runner.build(&config.clone().env("BREAK", "1")).unwrap();
    assert!(!failed.success, "{}", failed.output);
    let out = runner.build(&config).unwrap();
    assert!(out.success, "{}", out.output);
    let owners = f.workspace_file("restored-owners.txt");
    // data.toml, store.toml, tool.toml, data/file, data/dir (put back by the runner).
    assert_eq!(owners.lines().count(), 5, "{owners}");
    for line in owners.lines() {
        assert!(line.starts_with("1001:1000 "), "{owners}");
    }
}

#[test]
fn launched_processes_run_as_the_launch_user_and_cannot_write_the_layers_or_the_workspace() {
    if !is_root() {
        eprintln!("not root: everything runs as the calling user");
        return;
    }
    let f = Fixture::new();
    let runner = Runner::new([users_buildpack(&f)]).unwrap();
    let out = runner.build(&BuildConfig::new(&f.app, &f.state)).unwrap();
    assert!(out.success, "{}", out.output);
    let data = f.layer_path("test/users", "data");
    let out = sh(
        &f.state,
        "echo \"$(id -u) $(id -g) $(id -G) $EXECD_IDS\"; touch \"$HOME/ok\"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "1002 1000 1000 1002\n");
    for target in [
        f.state.join("workspace/new-file"),
        f.state.join("workspace/app.txt"),
        data.join("new-file"),
        data.join("file"),
        data.join("dir/new-file"),
    ] {
        let out = sh(&f.state, &format!("touch '{}'", target.display()));
        assert_ne!(out.code(), Some(0), "{} was writable", target.display());
        assert!(out.stderr.contains("Permission denied"), "{out:?}");
    }
    let out = sh(
        &f.state,
        &format!("cat '{}' built.txt", data.join("file").display()),
    );
    assert_eq!(out.stdout, "data\nbuilt\n", "{out:?}");
}

#[test]
fn the_users_are_configurable_and_launch_uses_the_ones_of_the_build() {
    if !is_root() {
        eprintln!("not root: everything runs as the calling user");
        return;
    }
    let f = Fixture::new();
    let runner = Runner::new([users_buildpack(&f)]).unwrap();
    let build = User {
        uid: 2001,
        gid: 2000,
    };
    let launch_user = User {
        uid: 2002,
        gid: 2003,
    };
    let out = runner
        .build(&BuildConfig::new(&f.app, &f.state).users(build, launch_user))
        .unwrap();
    assert!(out.success, "{}", out.output);
    assert_eq!(f.workspace_file("build-ids.txt"), "2001 2000 2000\n");
    assert_eq!(owner(&f.layer_path("test/users", "data/file")), "2001:2000");
    assert_eq!(sh(&f.state, "id -u; id -g").stdout, "2002\n2003\n");

    // Another build user gets the restored layers.
    let out = runner.build(&BuildConfig::new(&f.app, &f.state)).unwrap();
    assert!(out.success, "{}", out.output);
    let owners = f.workspace_file("restored-owners.txt");
    assert!(
        owners.contains(&format!(
            "1001:1000 {}",
            f.layer_path("test/users", "data/file").display()
        )),
        "{owners}"
    );
    assert_eq!(sh(&f.state, "id -u").stdout, "1002\n");
}

#[test]
fn a_state_dir_the_users_cannot_reach_is_refused_naming_the_directory() {
    if !is_root() {
        eprintln!("not root: everything runs as the calling user");
        return;
    }
    let f = Fixture::new();
    let private = f.tmp.path().join("private");
    fs::create_dir(&private).unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).unwrap();
    let runner = Runner::new([users_buildpack(&f)]).unwrap();
    let err = runner
        .build(&BuildConfig::new(&f.app, private.join("state")))
        .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("cannot be reached by the build user 1001:1000")
            && message.contains(&format!("{} (mode 700)", private.display())),
        "{message}"
    );

    // A 0700 state directory itself (a temporary directory) is fine: it is made searchable.
    let state = tempfile::tempdir().unwrap();
    fs::set_permissions(state.path(), fs::Permissions::from_mode(0o700)).unwrap();
    let out = runner
        .build(&BuildConfig::new(&f.app, state.path()))
        .unwrap();
    assert!(out.success, "{}", out.output);
    assert_eq!(sh(state.path(), "cat built.txt").stdout, "built\n");
}

#[test]
fn a_buildpack_the_build_user_cannot_read_is_run_from_a_copy_in_the_state_dir() {
    if !is_root() {
        eprintln!("not root: everything runs as the calling user");
        return;
    }
    let f = Fixture::new();
    // As CI has it: a clone in `mktemp -d` (0700).
    let clone = f.tmp.path().join("clone");
    fs::create_dir(&clone).unwrap();
    fs::set_permissions(&clone, fs::Permissions::from_mode(0o700)).unwrap();
    let bp = support::write_buildpack(
        &clone.join("bp"),
        "test/hidden",
        false,
        support::TWO_DETECT,
        "#!/bin/sh\necho \"$CNB_BUILDPACK_DIR\" > bp-dir.txt\nid -u >> bp-dir.txt\n",
    );
    let runner = Runner::new([&bp]).unwrap();
    let out = runner.build(&BuildConfig::new(&f.app, &f.state)).unwrap();
    assert!(out.success, "{}", out.output);
    let installed = f.state.join("buildpacks/test_hidden");
    assert_eq!(
        f.workspace_file("bp-dir.txt"),
        format!("{}\n1001\n", installed.display())
    );
    let ino = |p: &Path| fs::metadata(p).unwrap().ino();
    let first = ino(&installed.join("bin/build"));
    let out = runner.build(&BuildConfig::new(&f.app, &f.state)).unwrap();
    assert!(out.success, "{}", out.output);
    assert_eq!(ino(&installed.join("bin/build")), first, "reinstalled");
}
