//! Shaping an unpacked python-build-standalone tree into the runtime layer.

use crate::python_version::{PythonVariant, PythonVersion};
use std::path::Path;

/// Checks the interpreter is there, adds the usual links, and removes the runtime's own pip.
pub(crate) fn prepare_unpacked_runtime(
    layer_dir: &Path,
    version: &PythonVersion,
    variant: PythonVariant,
) -> Result<(), String> {
    ensure_interpreter_links(&layer_dir.join("bin"), version, variant)?;
    remove_bundled_pip(layer_dir, version, variant)
        .map_err(|error| format!("removing the bundled pip: {error}"))
}

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

/// The archives ship pip installed in the runtime's site-packages. The app's dependencies are
/// installed with the buildpack's own pinned pip (a build-only layer), so this copy would only put
/// an unpinned pip on the app's `PATH` in the image. `ensurepip`'s bundled wheel stays: it is what
/// bootstraps the pinned pip.
fn remove_bundled_pip(
    layer_dir: &Path,
    version: &PythonVersion,
    variant: PythonVariant,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(layer_dir.join("bin"))? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "pip" || name.starts_with("pip3") {
            std::fs::remove_file(entry.path())?;
        }
    }
    let site_packages = layer_dir
        .join("lib")
        .join(interpreter_name(version, variant))
        .join("site-packages");
    let Ok(entries) = std::fs::read_dir(&site_packages) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "pip" || (name.starts_with("pip-") && name.ends_with(".dist-info")) {
            std::fs::remove_dir_all(entry.path())?;
        }
    }
    Ok(())
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
    fn bundled_pip_is_removed_but_ensurepip_stays() {
        let layer = tempfile::tempdir().unwrap();
        let version: PythonVersion = "3.13.5".parse().unwrap();
        let bin = layer.path().join("bin");
        let lib = layer.path().join("lib/python3.13");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(lib.join("site-packages/pip")).unwrap();
        std::fs::create_dir_all(lib.join("site-packages/pip-25.1.1.dist-info")).unwrap();
        std::fs::create_dir_all(lib.join("site-packages/pipx_other")).unwrap();
        std::fs::create_dir_all(lib.join("ensurepip/_bundled")).unwrap();
        for name in ["python3.13", "pip3", "pip3.13", "pipx-not-ours"] {
            std::fs::write(bin.join(name), "").unwrap();
        }
        std::os::unix::fs::symlink("python3.13", bin.join("python3")).unwrap();
        prepare_unpacked_runtime(layer.path(), &version, PythonVariant::Default).unwrap();
        assert!(!bin.join("pip3").exists());
        assert!(!bin.join("pip3.13").exists());
        assert!(bin.join("pipx-not-ours").exists());
        assert!(!lib.join("site-packages/pip").exists());
        assert!(!lib.join("site-packages/pip-25.1.1.dist-info").exists());
        assert!(lib.join("site-packages/pipx_other").exists());
        assert!(lib.join("ensurepip/_bundled").exists());
        assert!(bin.join("python").exists());
    }
}
