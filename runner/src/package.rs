//! Packaging a libcnb.rs buildpack from source for the host, the way `cargo libcnb package` does
//! (binary at `bin/build`, `bin/detect` a symlink to it, other binaries in
//! `.libcnb-cargo/additional-bin/`), but with Cargo's output captured.

use anyhow::{Context, Result, anyhow, bail};
pub use libcnb_package::CargoProfile;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// Returns a runnable buildpack directory for `dir`: `dir` itself when it is already packaged
/// (has `bin/build`), else the result of [`package_buildpack_cached`] when it is a libcnb.rs
/// buildpack source (has `Cargo.toml` and `buildpack.toml`).
pub fn resolve_buildpack_dir(dir: &Path, profile: CargoProfile, verbose: bool) -> Result<PathBuf> {
    if dir.join("bin").join("build").is_file() {
        Ok(dir.to_path_buf())
    } else if dir.join("Cargo.toml").is_file() && dir.join("buildpack.toml").is_file() {
        package_buildpack_cached(dir, profile, verbose)
    } else {
        bail!(
            "{} is neither a packaged buildpack (bin/build) nor a libcnb.rs buildpack source \
             (Cargo.toml + buildpack.toml)",
            dir.display()
        )
    }
}

/// [`package_buildpack`], at most once per process for each source directory and profile.
/// Safe to call from concurrent threads and processes (see [`package_buildpack`]).
pub fn package_buildpack_cached(
    source_dir: &Path,
    profile: CargoProfile,
    verbose: bool,
) -> Result<PathBuf> {
    static PACKAGED: Mutex<BTreeMap<(PathBuf, bool), PathBuf>> = Mutex::new(BTreeMap::new());
    let source_dir = fs::canonicalize(source_dir)
        .with_context(|| format!("buildpack source {} not found", source_dir.display()))?;
    let key = (source_dir, profile == CargoProfile::Release);
    // Holding the lock while packaging makes concurrent callers wait for the first one.
    let mut packaged = PACKAGED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(dir) = packaged.get(&key) {
        return Ok(dir.clone());
    }
    let dir = package_buildpack(&key.0, profile, verbose)?;
    packaged.insert(key, dir.clone());
    Ok(dir)
}

/// Builds the libcnb.rs buildpack crate at `source_dir` for the host target triple and assembles
/// it into `<cargo target dir>/cnb-runner/<dev|release>/<buildpack id, / replaced by _>`, which is
/// returned.
///
/// Cargo is the one running this program (`$CARGO`, else `cargo` from `PATH`) and honours
/// `CARGO_TARGET_DIR`. Its output is shown only when it fails, or live when `verbose`.
/// Concurrent packaging (threads or processes) is serialised by a lock file next to the
/// destination; the result is assembled in a temporary directory and renamed into place, and an
/// identical existing result is left untouched.
pub fn package_buildpack(
    source_dir: &Path,
    profile: CargoProfile,
    verbose: bool,
) -> Result<PathBuf> {
    let source_dir = fs::canonicalize(source_dir)
        .with_context(|| format!("buildpack source {} not found", source_dir.display()))?;
    let descriptor_path = source_dir.join("buildpack.toml");
    let buildpack_id = read_buildpack_id(&descriptor_path)?;
    let metadata = cargo_metadata(&source_dir)?;
    let package = metadata
        .packages
        .iter()
        .find(|p| p.manifest_path == source_dir.join("Cargo.toml"))
        .ok_or_else(|| anyhow!("cargo metadata has no package for {}", source_dir.display()))?;
    let bins: Vec<&str> = package
        .targets
        .iter()
        .filter(|t| t.kind.iter().any(|k| k == "bin"))
        .map(|t| t.name.as_str())
        .collect();
    let main_bin = match bins.as_slice() {
        [] => bail!("package {} has no binary target", package.name),
        [only] => *only,
        _ if bins.contains(&package.name.as_str()) => package.name.as_str(),
        _ => bail!(
            "package {} has several binary targets and none is named after the package",
            package.name
        ),
    };

    let profile_dir = match profile {
        CargoProfile::Dev => "dev",
        CargoProfile::Release => "release",
    };
    let out_root = metadata
        .target_directory
        .join("cnb-runner")
        .join(profile_dir);
    fs::create_dir_all(&out_root).with_context(|| format!("creating {}", out_root.display()))?;
    let dir_name = buildpack_id.replace('/', "_");
    let destination = out_root.join(&dir_name);
    let lock_path = out_root.join(format!("{dir_name}.lock"));
    let lock =
        File::create(&lock_path).with_context(|| format!("creating {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("locking {}", lock_path.display()))?;

    let triple = host_triple()?;
    cargo_build(&source_dir, &package.name, profile, triple, verbose)?;
    let bin_dir = metadata.target_directory.join(triple).join(match profile {
        CargoProfile::Dev => "debug",
        CargoProfile::Release => "release",
    });

    let staging = out_root.join(format!("{dir_name}.tmp-{}", std::process::id()));
    remove_if_exists(&staging)?;
    assemble(&staging, &descriptor_path, &bin_dir, main_bin, &bins)
        .with_context(|| format!("assembling buildpack in {}", staging.display()))?;
    if destination.exists() && same_tree(&staging, &destination)? {
        remove_if_exists(&staging)?;
    } else {
        let old = out_root.join(format!("{dir_name}.old-{}", std::process::id()));
        if destination.exists() {
            fs::rename(&destination, &old)
                .with_context(|| format!("moving away {}", destination.display()))?;
        }
        fs::rename(&staging, &destination)
            .with_context(|| format!("renaming {} into place", staging.display()))?;
        remove_if_exists(&old)?;
    }
    drop(lock);
    Ok(destination)
}

/// The host target triple, from the `host:` line of `rustc -vV` (`$RUSTC`, else `rustc`).
pub fn host_triple() -> Result<&'static str> {
    static TRIPLE: OnceLock<String> = OnceLock::new();
    if let Some(triple) = TRIPLE.get() {
        return Ok(triple);
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let output = Command::new(&rustc)
        .arg("-vV")
        .output()
        .with_context(|| format!("running {} -vV", rustc.to_string_lossy()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let triple = stdout
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .ok_or_else(|| anyhow!("no `host:` line in the output of rustc -vV:\n{stdout}"))?;
    Ok(TRIPLE.get_or_init(|| triple.trim().to_string()))
}

fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    target_directory: PathBuf,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<CargoTarget>,
}

#[derive(Deserialize)]
struct CargoTarget {
    name: String,
    kind: Vec<String>,
}

fn cargo_metadata(source_dir: &Path) -> Result<Metadata> {
    let output = Command::new(cargo())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(source_dir.join("Cargo.toml"))
        .current_dir(source_dir)
        .stdin(Stdio::null())
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata for {} failed ({}):\n{}",
            source_dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("parsing the output of cargo metadata")
}

fn cargo_build(
    source_dir: &Path,
    package: &str,
    profile: CargoProfile,
    triple: &str,
    verbose: bool,
) -> Result<()> {
    let mut command = Command::new(cargo());
    command
        .args([
            "build",
            "--bins",
            "--package",
            package,
            "--target",
            triple,
            "--manifest-path",
        ])
        .arg(source_dir.join("Cargo.toml"))
        .current_dir(source_dir)
        .stdin(Stdio::null());
    // The same settings as libcnb-package, so that the artifacts are shared with it.
    match profile {
        CargoProfile::Dev => {
            command.env("CARGO_PROFILE_DEV_DEBUG", "false");
            command.env("CARGO_PROFILE_DEV_STRIP", "true");
        }
        CargoProfile::Release => {
            command.arg("--release");
            command.env("CARGO_PROFILE_RELEASE_STRIP", "true");
        }
    }
    let description = format!(
        "cargo build of buildpack {} for {triple}",
        source_dir.display()
    );
    if verbose {
        let status = command
            .status()
            .with_context(|| format!("running {description}"))?;
        if !status.success() {
            bail!("{description} failed ({status})");
        }
    } else {
        let output = command
            .output()
            .with_context(|| format!("running {description}"))?;
        if !output.status.success() {
            bail!(
                "{description} failed ({}):\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    Ok(())
}

fn read_buildpack_id(descriptor_path: &Path) -> Result<String> {
    let content = fs::read_to_string(descriptor_path)
        .with_context(|| format!("reading {}", descriptor_path.display()))?;
    let value: toml::Table = toml::from_str(&content)
        .with_context(|| format!("parsing {}", descriptor_path.display()))?;
    value
        .get("buildpack")
        .and_then(|b| b.get("id"))
        .and_then(toml::Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| anyhow!("{} has no buildpack.id", descriptor_path.display()))
}

fn assemble(
    destination: &Path,
    descriptor_path: &Path,
    bin_dir: &Path,
    main_bin: &str,
    bins: &[&str],
) -> Result<()> {
    let bin = destination.join("bin");
    fs::create_dir_all(&bin)?;
    fs::copy(descriptor_path, destination.join("buildpack.toml"))?;
    fs::copy(bin_dir.join(main_bin), bin.join("build"))
        .with_context(|| format!("copying {}", bin_dir.join(main_bin).display()))?;
    std::os::unix::fs::symlink("build", bin.join("detect"))?;
    let additional: Vec<_> = bins.iter().filter(|b| **b != main_bin).collect();
    if !additional.is_empty() {
        let dir = destination.join(".libcnb-cargo").join("additional-bin");
        fs::create_dir_all(&dir)?;
        for name in additional {
            fs::copy(bin_dir.join(name), dir.join(name))
                .with_context(|| format!("copying {}", bin_dir.join(name).display()))?;
        }
    }
    fs::write(
        destination.join("package.toml"),
        "[buildpack]\nuri = \".\"\n",
    )?;
    Ok(())
}

/// Whether two directory trees have the same entries and file contents.
fn same_tree(a: &Path, b: &Path) -> Result<bool> {
    let list = |dir: &Path| -> Result<Vec<(PathBuf, Vec<u8>)>> {
        let mut out = Vec::new();
        crate::fsutil::walk(dir, &mut |rel, meta| {
            let content = if meta.is_file() {
                fs::read(dir.join(rel))?
            } else if meta.is_symlink() {
                fs::read_link(dir.join(rel))?
                    .into_os_string()
                    .into_encoded_bytes()
            } else {
                Vec::new()
            };
            out.push((rel.to_path_buf(), content));
            Ok(true)
        })?;
        out.sort();
        Ok(out)
    };
    Ok(list(a)? == list(b)?)
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}
