//! Fake shell-script buildpacks for the runner's tests.
//!
//! `test/one` (clear-env = false) records its arguments, environment and what was restored into
//! its layers dir (files in the workspace), then creates:
//! - `cached` (cache): `count` = number of successful-or-not builds seen through the cache;
//! - `launchonly` (launch): `bin/hello`, launch env files, an exec.d program and an SBOM; when
//!   the app has a `REUSE` file and the layer's toml was restored, only the toml is rewritten;
//! - `buildonly` (build): `bin/one-tool`, `env.build/`, `env/` files;
//! - `both` (launch + cache);
//! - `launch.toml` (`web` default, `worker`), `store.toml`.
//!
//! It fails detection when the app has `FAIL_DETECT`, and its build exits 7 when it has
//! `FAIL_BUILD`. `test/two` (clear-env = true) records its environment and overrides `worker`.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub(crate) const ONE_DETECT: &str = r#"#!/bin/sh
echo "one: detect $*"
env | sort > one-detect-env.txt
if [ -f FAIL_DETECT ]; then echo "one: no thanks"; exit 100; fi
exit 0
"#;

pub(crate) const ONE_BUILD: &str = r#"#!/bin/sh
set -eu
layers="$1"
echo "one: build"
echo "one: to stderr" >&2
echo "$0 $*" > one-build-args.txt
env | sort > one-build-env.txt
(cd "$layers" && find . | sort) > one-restored-files.txt
for f in "$layers"/*.toml; do
  if [ -f "$f" ]; then echo "== $(basename "$f")"; cat "$f"; fi
done > one-restored-tomls.txt

n=0
if [ -f "$layers/cached/count" ]; then n=$(cat "$layers/cached/count"); fi
n=$((n + 1))
mkdir -p "$layers/cached"
echo "$n" > "$layers/cached/count.tmp"
mv "$layers/cached/count.tmp" "$layers/cached/count"
printf '[types]\ncache = true\n\n[metadata]\ncount = %s\n' "$n" > "$layers/cached.toml"

if [ -f REUSE ] && [ -f "$layers/launchonly.toml" ]; then
  echo "one: keeping launchonly from the previous image"
else
  l="$layers/launchonly"
  mkdir -p "$l/bin" "$l/env" "$l/env.launch/web" "$l/exec.d"
  printf '#!/bin/sh\necho "hello from build %s"\n' "$n" > "$l/bin/hello"
  chmod +x "$l/bin/hello"
  printf 'one' > "$l/env.launch/ORDER"
  printf 'launch' > "$l/env.launch/ONLY_LAUNCH"
  printf 'web' > "$l/env.launch/web/WEB_ONLY"
  printf 'from-layer' > "$l/env/USER_WINS.default"
  printf 'from-layer' > "$l/env/LAYER_WINS.override"
  cat > "$l/exec.d/10-set" <<'EOF'
#!/bin/sh
echo "exec.d ran"
printf 'FROM_EXECD = "yes:%s"\n' "$ONLY_LAUNCH" >&3
EOF
  chmod +x "$l/exec.d/10-set"
  echo '{"bomFormat": "CycloneDX"}' > "$layers/launchonly.sbom.cdx.json"
fi
printf '[types]\nlaunch = true\n\n[metadata]\nversion = "1"\n' > "$layers/launchonly.toml"

b="$layers/buildonly"
mkdir -p "$b/bin" "$b/env.build" "$b/env"
printf '#!/bin/sh\necho one-tool\n' > "$b/bin/one-tool"
chmod +x "$b/bin/one-tool"
printf 'from-one' > "$b/env.build/BUILD_VAR"
printf 'x' > "$b/env/FLAGS.append"
printf ' ' > "$b/env/FLAGS.delim"
printf 'not-for-launch' > "$b/env/BUILD_ONLY_ENV"
printf '[types]\nbuild = true\n' > "$layers/buildonly.toml"

if [ -d "$layers/both" ]; then echo "one: both restored"; fi
mkdir -p "$layers/both"
echo "both" > "$layers/both/file"
printf '[types]\nlaunch = true\ncache = true\n\n[metadata]\nkind = "both"\n' > "$layers/both.toml"

cat > "$layers/launch.toml" <<'EOF'
[[processes]]
type = "web"
command = ["sh", "-c", "echo web $WEB_ONLY $FROM_EXECD; pwd"]
default = true

[[processes]]
type = "worker"
command = ["echo", "one-worker"]
args = ["a", "b"]
EOF
printf '[metadata]\nbuilds = %s\n' "$n" > "$layers/store.toml"
echo "built $n" > built-marker.txt
if [ -f FAIL_BUILD ]; then echo "one: failing" >&2; exit 7; fi
exit 0
"#;

pub(crate) const TWO_DETECT: &str = "#!/bin/sh\nexit 0\n";

pub(crate) const TWO_BUILD: &str = r#"#!/bin/sh
set -eu
layers="$1"
echo "two: build"
env | sort > two-build-env.txt
mkdir -p "$layers/twolayer/env.launch"
printf 'two' > "$layers/twolayer/env.launch/ORDER.append"
printf ',' > "$layers/twolayer/env.launch/ORDER.delim"
printf '[types]\nlaunch = true\n' > "$layers/twolayer.toml"
cat > "$layers/launch.toml" <<'EOF'
[[processes]]
type = "worker"
command = ["echo", "two-worker"]
args = ["c"]
EOF
exit 0
"#;

/// Writes a packaged shell buildpack to `dir`.
pub(crate) fn write_buildpack(
    dir: &Path,
    id: &str,
    clear_env: bool,
    detect: &str,
    build: &str,
) -> PathBuf {
    fs::create_dir_all(dir.join("bin")).unwrap();
    fs::write(
        dir.join("buildpack.toml"),
        format!("api = \"0.10\"\n\n[buildpack]\nid = \"{id}\"\nversion = \"0.0.1\"\nclear-env = {clear_env}\n"),
    )
    .unwrap();
    for (name, script) in [("detect", detect), ("build", build)] {
        let path = dir.join("bin").join(name);
        fs::write(&path, script).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir.to_path_buf()
}

/// A temporary directory with the two fake buildpacks, an app and a state dir path.
pub(crate) struct Fixture {
    pub(crate) tmp: tempfile::TempDir,
    pub(crate) one: PathBuf,
    pub(crate) two: PathBuf,
    pub(crate) app: PathBuf,
    pub(crate) state: PathBuf,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        // A root runner's build and launch users must reach the state, app and buildpacks.
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let one = write_buildpack(
            &tmp.path().join("bp-one"),
            "test/one",
            false,
            ONE_DETECT,
            ONE_BUILD,
        );
        let two = write_buildpack(
            &tmp.path().join("bp-two"),
            "test/two",
            true,
            TWO_DETECT,
            TWO_BUILD,
        );
        let app = tmp.path().join("app");
        fs::create_dir_all(&app).unwrap();
        fs::write(app.join("app.txt"), "app").unwrap();
        let state = tmp.path().join("state");
        Self {
            tmp,
            one,
            two,
            app,
            state,
        }
    }

    /// A file of the last build's workspace.
    pub(crate) fn workspace_file(&self, name: &str) -> String {
        fs::read_to_string(self.state.join("workspace").join(name))
            .unwrap_or_else(|e| panic!("reading workspace/{name}: {e}"))
    }

    pub(crate) fn layer_path(&self, bp: &str, rel: &str) -> PathBuf {
        self.state
            .join("layers")
            .join(bp.replace('/', "_"))
            .join(rel)
    }

    /// The app has `name` (used as a switch by the fake buildpacks) or not.
    pub(crate) fn app_flag(&self, name: &str, on: bool) {
        let path = self.app.join(name);
        if on {
            fs::write(path, "").unwrap();
        } else {
            let _ = fs::remove_file(path);
        }
    }
}

/// `NAME=value` lines of an `env | sort` dump, as pairs.
pub(crate) fn env_dump(content: &str) -> Vec<(String, String)> {
    content
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(crate) fn env_value(content: &str, name: &str) -> Option<String> {
    env_dump(content)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}
