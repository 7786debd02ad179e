//! Shaping an unpacked python-build-standalone tree into the runtime layer: what of the archive
//! is kept (not its own pip, and bytecode at one optimization level only), and the interpreter's
//! names.

use crate::python_version::{PythonVariant, PythonVersion};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::path::Path;

/// The optimization level the app's Python runs with (`PYTHONOPTIMIZE`): which of the standard
/// library's three compiled files per module (`.pyc`, `.opt-1.pyc`, `.opt-2.pyc`) the runtime
/// keeps. Python only ever reads the one of its level, so the others are dead weight in the image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum BytecodeLevel {
    /// No `-O`: `.pyc`.
    #[default]
    Plain,
    /// `-O` (`PYTHONOPTIMIZE=1`): `.opt-1.pyc`.
    Optimized,
    /// `-OO` (`PYTHONOPTIMIZE=2` or more): `.opt-2.pyc`.
    OptimizedWithoutDocstrings,
}

impl BytecodeLevel {
    /// As Python reads `PYTHONOPTIMIZE`: unset or empty is 0, an integer is that many `-O`, any
    /// other text is one `-O`.
    pub(crate) fn from_pythonoptimize(value: Option<&str>) -> Self {
        let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
            return Self::Plain;
        };
        match value.parse::<i64>() {
            Ok(level) if level <= 0 => Self::Plain,
            Ok(1) | Err(_) => Self::Optimized,
            Ok(_) => Self::OptimizedWithoutDocstrings,
        }
    }

    pub(crate) fn as_number(self) -> u8 {
        match self {
            Self::Plain => 0,
            Self::Optimized => 1,
            Self::OptimizedWithoutDocstrings => 2,
        }
    }

    /// The suffix of this level's compiled files.
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Self::Plain => ".pyc",
            Self::Optimized => ".opt-1.pyc",
            Self::OptimizedWithoutDocstrings => ".opt-2.pyc",
        }
    }
}

/// In layer metadata, the level's number (`0`, `1`, `2`), read back as an integer or, as the
/// lifecycle restores it, a float (see `crate::layers::whole_number`).
impl Serialize for BytecodeLevel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.as_number())
    }
}

impl<'de> Deserialize<'de> for BytecodeLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match crate::layers::whole_number::deserialize::<D, u8>(deserializer)? {
            0 => Ok(Self::Plain),
            1 => Ok(Self::Optimized),
            2 => Ok(Self::OptimizedWithoutDocstrings),
            other => Err(serde::de::Error::custom(format!(
                "no bytecode optimization level {other}"
            ))),
        }
    }
}

impl fmt::Display for BytecodeLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.as_number(), self.suffix())
    }
}

/// The level of a compiled file (`x.cpython-313.opt-1.pyc`), `None` for any other file.
fn bytecode_level_of(name: &str) -> Option<BytecodeLevel> {
    let stem = name.strip_suffix(".pyc")?;
    Some(if stem.ends_with(".opt-1") {
        BytecodeLevel::Optimized
    } else if stem.ends_with(".opt-2") {
        BytecodeLevel::OptimizedWithoutDocstrings
    } else {
        BytecodeLevel::Plain
    })
}

/// The versioned interpreter: `python3.13`, or `python3.13t` for a free-threaded build.
pub(crate) fn interpreter_name(version: &PythonVersion, variant: PythonVariant) -> String {
    format!(
        "python{}.{}{}",
        version.major,
        version.minor,
        variant.suffix()
    )
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

/// Programs of the standard library for a desktop, not libraries: the IDLE editor and the turtle
/// demos (the `tkinter` and `turtle` modules stay).
const DESKTOP_APPLICATIONS: [&str; 2] = ["idlelib", "turtledemo"];

/// Whether an archive entry (its path below the archive's `python/` folder) belongs in the
/// runtime layer; what does not is skipped while unpacking, never written:
/// - compiled files of another optimization level than `level`;
/// - desktop programs: IDLE (`idlelib`, `bin/idle3*`) and the turtle demos (`turtledemo`);
/// - the pip the archives ship installed in the runtime's site-packages (with `bin/pip*`
///   scripts): the app's dependencies are installed with the buildpack's own pinned pip (a
///   build-only layer), so this copy would only put an unpinned pip on the app's `PATH` in the
///   image. `ensurepip` stays, for apps that create virtual environments of their own.
pub(crate) fn keep_in_runtime(
    path: &Path,
    version: &PythonVersion,
    variant: PythonVariant,
    level: BytecodeLevel,
) -> bool {
    let file_name = path.file_name().map(|name| name.to_string_lossy());
    if file_name
        .as_deref()
        .and_then(bytecode_level_of)
        .is_some_and(|file_level| file_level != level)
    {
        return false;
    }
    let mut components = path.components().map(|c| c.as_os_str().to_string_lossy());
    match (components.next().as_deref(), components.next()) {
        (Some("bin"), Some(name)) => {
            !(name == "pip" || name.starts_with("pip3") || name.starts_with("idle3"))
        }
        (Some("lib"), Some(lib)) if lib == interpreter_name(version, variant) => {
            match (components.next().as_deref(), components.next()) {
                (Some("site-packages"), Some(name)) => {
                    !(name == "pip" || (name.starts_with("pip-") && name.ends_with(".dist-info")))
                }
                (Some(application), _) => !DESKTOP_APPLICATIONS.contains(&application),
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
    fn only_the_bytecode_of_one_level_is_kept() {
        let version: PythonVersion = "3.13.5".parse().unwrap();
        let files = [
            "lib/python3.13/__pycache__/os.cpython-313.pyc",
            "lib/python3.13/__pycache__/os.cpython-313.opt-1.pyc",
            "lib/python3.13/__pycache__/os.cpython-313.opt-2.pyc",
        ];
        for (level, kept) in [
            (BytecodeLevel::Plain, files[0]),
            (BytecodeLevel::Optimized, files[1]),
            (BytecodeLevel::OptimizedWithoutDocstrings, files[2]),
        ] {
            for file in files {
                let keep =
                    keep_in_runtime(Path::new(file), &version, PythonVariant::Default, level);
                assert_eq!(keep, file == kept, "{level}: {file}");
            }
            // Sources and everything else are kept at every level.
            assert!(keep_in_runtime(
                Path::new("lib/python3.13/os.py"),
                &version,
                PythonVariant::Default,
                level
            ));
        }
    }

    #[test]
    fn the_level_is_read_as_python_reads_pythonoptimize() {
        for (value, level) in [
            (None, 0),
            (Some(""), 0),
            (Some("0"), 0),
            (Some("1"), 1),
            (Some(" 2 "), 2),
            (Some("5"), 2),
            (Some("yes"), 1),
            (Some("-1"), 0),
        ] {
            assert_eq!(
                BytecodeLevel::from_pythonoptimize(value).as_number(),
                level,
                "{value:?}"
            );
        }
    }

    #[test]
    fn bundled_pip_is_left_out_but_ensurepip_stays() {
        let version: PythonVersion = "3.13.5".parse().unwrap();
        let keep = |path: &str, variant| {
            keep_in_runtime(Path::new(path), &version, variant, BytecodeLevel::Plain)
        };
        for dropped in [
            "bin/pip",
            "bin/pip3",
            "bin/pip3.13",
            "lib/python3.13/site-packages/pip",
            "lib/python3.13/site-packages/pip/__init__.py",
            "lib/python3.13/site-packages/pip-25.1.1.dist-info/RECORD",
            "bin/idle3",
            "bin/idle3.13",
            "lib/python3.13/idlelib/__init__.py",
            "lib/python3.13/turtledemo",
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
            "lib/python3.13/tkinter/__init__.py",
            "lib/python3.13/turtle.py",
            "lib/libpython3.13.so.1.0",
            // Another interpreter's folder is not this runtime's site-packages.
            "lib/python3.13t/site-packages/pip/__init__.py",
        ] {
            assert!(keep(kept, PythonVariant::Default), "{kept}");
        }
    }
}
