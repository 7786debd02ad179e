//! Shaping an unpacked python-build-standalone tree into the runtime layer.

use crate::python_version::{PythonVariant, PythonVersion};
use std::path::Path;

/// The versioned interpreter: `python3.13`, or `python3.13t` for a free-threaded build.
pub(crate) fn interpreter_name(version: &PythonVersion, variant: PythonVariant) -> String {
    let suffix = match variant {
        PythonVariant::Default => "",
        PythonVariant::Freethreaded => "t",
    };
    format!("python{}.{}{suffix}", version.major, version.minor)
}

/// Checks that the unpacked runtime has the interpreter [`PythonRuntime::python`] runs
/// (`python3`, or `python3.13t` for a free-threaded build), and adds the `python3` and `python`
/// links to it where the archive lacks them, so that both names work for every build.
pub(crate) fn ensure_interpreter_links(
    bin_dir: &std::path::Path,
    version: &PythonVersion,
    variant: PythonVariant,
) -> Result<(), String> {
    let interpreter = match variant {
        PythonVariant::Default => "python3".to_string(),
        PythonVariant::Freethreaded => interpreter_name(version, variant),
    };
    if !bin_dir.join(&interpreter).is_file() {
        return Err(format!("the archive has no python/bin/{interpreter}"));
    }
    for link in ["python3", "python"] {
        let path = bin_dir.join(link);
        if link != interpreter && path.symlink_metadata().is_err() {
            std::os::unix::fs::symlink(&interpreter, &path)
                .map_err(|error| format!("creating bin/{link}: {error}"))?;
        }
    }
    Ok(())
}

/// Whether an archive entry (its path below the archive's `python/` folder) belongs in the
/// runtime layer. The archives ship pip installed in the runtime's site-packages (with `bin/pip*`
/// scripts): the app's dependencies are installed with the buildpack's own pinned pip (a
/// build-only layer), so this copy would only put an unpinned pip on the app's `PATH` in the
/// image. It is skipped while unpacking, never written. `ensurepip` stays, for apps that create
/// virtual environments of their own.
pub(crate) fn keep_in_runtime(
    path: &Path,
    version: &PythonVersion,
    variant: PythonVariant,
) -> bool {
    let mut components = path.components().map(|c| c.as_os_str().to_string_lossy());
    match (components.next().as_deref(), components.next()) {
        (Some("bin"), Some(name)) => !(name == "pip" || name.starts_with("pip3")),
        (Some("lib"), Some(lib)) if lib == interpreter_name(version, variant) => {
            match (components.next().as_deref(), components.next()) {
                (Some("site-packages"), Some(name)) => {
                    !(name == "pip" || (name.starts_with("pip-") && name.ends_with(".dist-info")))
                }
                _ => true,
            }
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreter_links_are_added_where_missing() {
        let bin = tempfile::tempdir().unwrap();
        let version: PythonVersion = "3.13.12".parse().unwrap();
        assert_eq!(
            ensure_interpreter_links(bin.path(), &version, PythonVariant::Freethreaded),
            Err("the archive has no python/bin/python3.13t".to_string())
        );
        std::fs::write(bin.path().join("python3.13t"), "").unwrap();
        std::os::unix::fs::symlink("python3.13t", bin.path().join("python3")).unwrap();
        ensure_interpreter_links(bin.path(), &version, PythonVariant::Freethreaded).unwrap();
        for link in ["python3", "python"] {
            assert_eq!(
                std::fs::read_link(bin.path().join(link)).unwrap(),
                std::path::Path::new("python3.13t")
            );
        }
        assert_eq!(
            interpreter_name(&version, PythonVariant::Default),
            "python3.13"
        );

        let default = tempfile::tempdir().unwrap();
        std::fs::write(default.path().join("python3.13"), "").unwrap();
        assert!(
            ensure_interpreter_links(default.path(), &version, PythonVariant::Default).is_err()
        );
        std::os::unix::fs::symlink("python3.13", default.path().join("python3")).unwrap();
        ensure_interpreter_links(default.path(), &version, PythonVariant::Default).unwrap();
        assert_eq!(
            std::fs::read_link(default.path().join("python")).unwrap(),
            std::path::Path::new("python3")
        );
    }

    #[test]
    fn bundled_pip_is_left_out_but_ensurepip_stays() {
        let version: PythonVersion = "3.13.5".parse().unwrap();
        let keep = |path: &str, variant| keep_in_runtime(Path::new(path), &version, variant);
        for dropped in [
            "bin/pip",
            "bin/pip3",
            "bin/pip3.13",
            "lib/python3.13/site-packages/pip",
            "lib/python3.13/site-packages/pip/__init__.py",
            "lib/python3.13/site-packages/pip-25.1.1.dist-info/RECORD",
        ] {
            assert!(!keep(dropped, PythonVariant::Default), "{dropped}");
        }
        assert!(!keep(
            "lib/python3.13t/site-packages/pip/__init__.py",
            PythonVariant::Freethreaded
        ));
        for kept in [
            "bin",
            "bin/python3.13",
            "bin/pipx-not-ours",
            "lib/python3.13/site-packages",
            "lib/python3.13/site-packages/pipx_other/__init__.py",
            "lib/python3.13/site-packages/README.txt",
            "lib/python3.13/ensurepip/_bundled/pip-25.1.1-py3-none-any.whl",
            "lib/libpython3.13.so.1.0",
            // Another interpreter's folder is not this runtime's site-packages.
            "lib/python3.13t/site-packages/pip/__init__.py",
        ] {
            assert!(keep(kept, PythonVariant::Default), "{kept}");
        }
    }
}
