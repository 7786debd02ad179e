//! Checks, from inside the launched app, that the compiled Python files (`.pyc`) the image and the
//! cache hold are valid after the platform's export: no timestamp-based file that no longer
//! matches its source, no hash-based file whose hash is not its source's, and, for the modules a
//! launched app imports, nothing that Python would have to compile again (and write, where it
//! can). The checks run with the app's own `python`, as the launch user, so they see the image as
//! the app does.

use super::{BUILDPACK_ID, TestApp};
use python_buildpack_runner::launch;
use std::path::PathBuf;

/// Walks the trees given as arguments; prints one JSON object.
const CHECK_TREES: &str = r#"
import importlib.util, json, marshal, os, struct, sys
MAGIC = importlib.util.MAGIC_NUMBER
deep_root = os.environ.get("DEEP_ROOT") or None
report = {"checked": 0, "hash_based": 0, "stale": [], "wrong_hash": [], "deep_checked": 0, "deep_mismatch": []}
for root in sys.argv[1:]:
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.basename(dirpath) != "__pycache__":
            continue
        for name in filenames:
            if not name.endswith(".pyc"):
                continue
            stem, level = name[:-4], 0
            for opt, opt_level in ((".opt-1", 1), (".opt-2", 2)):
                if stem.endswith(opt):
                    stem, level = stem[: -len(opt)], opt_level
            if "." not in stem:
                continue
            source = os.path.join(os.path.dirname(dirpath), stem.rsplit(".", 1)[0] + ".py")
            if not os.path.isfile(source):
                continue
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                data = f.read()
            report["checked"] += 1
            flags = struct.unpack("<I", data[4:8])[0]
            if flags == 0:
                mtime, size = struct.unpack("<II", data[8:16])
                st = os.stat(source)
                if mtime != int(st.st_mtime) & 0xFFFFFFFF or size != st.st_size & 0xFFFFFFFF:
                    report["stale"].append(path)
                continue
            report["hash_based"] += 1
            if data[:4] != MAGIC:
                continue  # another Python's file: this one cannot hash for it
            with open(source, "rb") as f:
                source_bytes = f.read()
            if data[8:16] != importlib.util.source_hash(source_bytes):
                report["wrong_hash"].append(path)
            if deep_root and path.startswith(deep_root):
                report["deep_checked"] += 1
                code = compile(source_bytes, source, "exec", dont_inherit=True, optimize=level)
                if marshal.loads(data[16:]) != code:
                    report["deep_mismatch"].append(path)
print(json.dumps(report))
"#;

/// Imports the modules in `$IMPORT` (comma-separated); prints one JSON object: the files under
/// the trees given as arguments that changed, and the imported modules from those trees whose
/// compiled file Python could not use (it compiled them in memory instead).
const CHECK_BOOT: &str = r#"
import importlib, importlib.util, json, os, struct, sys
roots = [os.path.realpath(r) for r in sys.argv[1:]]
def snapshot():
    files = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                files[path] = (st.st_mtime_ns, st.st_size, st.st_mode)
    return files
def usable(source, cached):
    try:
        with open(cached, "rb") as f:
            data = f.read(16)
    except OSError:
        return False
    if data[:4] != importlib.util.MAGIC_NUMBER:
        return False
    flags = struct.unpack("<I", data[4:8])[0]
    if flags == 0:
        st = os.stat(source)
        return struct.unpack("<II", data[8:16]) == (int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF)
    if flags == 0b01:
        return True
    with open(source, "rb") as f:
        return data[8:16] == importlib.util.source_hash(f.read())
before = snapshot()
for module in os.environ["IMPORT"].split(","):
    importlib.import_module(module)
after = snapshot()
compiled_again = []
in_trees = 0
for name, module in sorted(sys.modules.items()):
    path = getattr(module, "__file__", None)
    if not path or not path.endswith(".py"):
        continue
    path = os.path.realpath(path)
    if not any(path.startswith(root + os.sep) for root in roots):
        continue
    in_trees += 1
    if not usable(path, importlib.util.cache_from_source(path)):
        compiled_again.append(name)
changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
print(json.dumps({"imported_from_trees": in_trees, "compiled_again": compiled_again, "changed": changed[:50]}))
"#;

/// What [`TestApp::check_bytecode`] found.
#[derive(Debug, serde::Deserialize)]
pub struct BytecodeReport {
    /// Compiled files with a source.
    pub checked: usize,
    pub hash_based: usize,
    pub stale: Vec<String>,
    pub wrong_hash: Vec<String>,
    /// Files under the runtime whose code was compared with a fresh compile of the source.
    pub deep_checked: usize,
    pub deep_mismatch: Vec<String>,
}

/// What [`TestApp::check_boot`] found.
#[derive(Debug, serde::Deserialize)]
pub struct BootReport {
    pub imported_from_trees: usize,
    pub compiled_again: Vec<String>,
    pub changed: Vec<String>,
}

impl TestApp {
    /// The layers of the buildpack and the app directory, as the launched app sees them.
    fn trees(&self) -> Vec<String> {
        let layers: PathBuf = self
            .state_dir()
            .join("layers")
            .join(BUILDPACK_ID.replace('/', "_"));
        let workspace = self.state_dir().join("workspace");
        [layers, workspace]
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    fn launch_python(&self, script: &str, env: &[(String, String)]) -> String {
        let mut command = vec!["python".to_string(), "-c".to_string(), script.to_string()];
        command.extend(self.trees());
        let output = launch(self.state_dir(), None, &command, env).expect("launching failed");
        assert_eq!(
            output.code(),
            Some(0),
            "the check failed\nstdout:\n{}\nstderr:\n{}",
            output.stdout,
            output.stderr
        );
        output.stdout.lines().last().unwrap_or_default().to_string()
    }

    /// Checks every compiled file under the layers and the app directory; with `deep`, also
    /// compares the code of the runtime's files with a fresh compile of their sources.
    pub fn check_bytecode(&self, deep: bool) -> BytecodeReport {
        let env = if deep {
            vec![(
                "DEEP_ROOT".to_string(),
                self.layer_dir("python").to_string_lossy().into_owned(),
            )]
        } else {
            Vec::new()
        };
        serde_json::from_str(&self.launch_python(CHECK_TREES, &env)).unwrap()
    }

    /// Asserts that no compiled file under the layers and the app directory is stale or has
    /// another source's hash, and that there are at least `at_least` of them (so that the check
    /// saw the build's files at all).
    #[track_caller]
    pub fn assert_bytecode_valid(&self, at_least: usize) -> BytecodeReport {
        let report = self.check_bytecode(false);
        assert!(
            report.stale.is_empty() && report.wrong_hash.is_empty(),
            "{} stale and {} wrong-hash compiled files, e.g. {:?} {:?}",
            report.stale.len(),
            report.wrong_hash.len(),
            report.stale.iter().take(5).collect::<Vec<_>>(),
            report.wrong_hash.iter().take(5).collect::<Vec<_>>()
        );
        assert!(
            report.checked >= at_least,
            "only {} compiled files found",
            report.checked
        );
        report
    }

    /// Imports `modules` in the launched app (as the launch user, with bytecode writes on).
    pub fn check_boot(&self, modules: &[&str]) -> BootReport {
        let env = vec![("IMPORT".to_string(), modules.join(","))];
        serde_json::from_str(&self.launch_python(CHECK_BOOT, &env)).unwrap()
    }

    /// Asserts that importing `modules` at launch finds a usable compiled file for every module
    /// from the layers and the app, and changes no file there.
    #[track_caller]
    pub fn assert_boot_writes_nothing(&self, modules: &[&str]) {
        let report = self.check_boot(modules);
        assert!(
            report.compiled_again.is_empty() && report.changed.is_empty(),
            "at launch, Python compiled {:?} again and changed {:?}",
            report.compiled_again,
            report.changed
        );
        assert!(
            report.imported_from_trees > 0,
            "nothing was imported from the layers or the app"
        );
    }
}
