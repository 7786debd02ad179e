use super::*;

const INSTALLERS: [Installer; 2] = [Installer::Pip, Installer::Uv];

#[test]
fn every_installer_pins_a_wheel_for_every_architecture() {
    assert_eq!(pinned_pip_version(), "26.3");
    for installer in INSTALLERS {
        for arch in [Arch::X86_64, Arch::Aarch64] {
            let wheel = pinned_wheel(installer, arch);
            assert_eq!(wheel.version, installer.version());
        }
    }
}

#[test]
fn uv_keeps_only_its_binary_and_pip_its_whole_package() {
    let version = Installer::Uv.version();
    assert_eq!(
        Installer::Uv.place(Path::new(&format!("uv-{version}.data/scripts/uv"))),
        Some(PathBuf::from("bin/uv"))
    );
    assert_eq!(
        Installer::Uv.place(Path::new(&format!("uv-{version}.data/scripts/uvx"))),
        None
    );
    assert_eq!(Installer::Uv.place(Path::new("uv/__init__.py")), None);
    assert_eq!(
        Installer::Pip.place(Path::new("pip/__main__.py")),
        Some(PathBuf::from("packages/pip/__main__.py"))
    );
}

#[test]
fn metadata_survives_the_lifecycles_restore() {
    let metadata = InstallerLayerMetadata {
        layer_format: LAYER_FORMAT,
        version: "26.3".to_string(),
        wheel_sha256: "a".repeat(64),
    };
    let restored = crate::test_support::lifecycle_round_trip(&metadata).unwrap();
    assert_eq!(restored, metadata);
}

#[test]
fn reasons_name_what_changed() {
    let old = InstallerLayerMetadata {
        layer_format: LAYER_FORMAT,
        version: "0.13.8".to_string(),
        wheel_sha256: "a".repeat(64),
    };
    assert_eq!(reasons_to_discard(Installer::Uv, &old, &old), [""; 0]);
    let new = InstallerLayerMetadata {
        version: "0.13.9".to_string(),
        wheel_sha256: "b".repeat(64),
        ..old.clone()
    };
    assert_eq!(
        reasons_to_discard(Installer::Uv, &old, &new),
        vec!["the uv version changed (0.13.8 to 0.13.9)"]
    );
    let other_file = InstallerLayerMetadata {
        wheel_sha256: "b".repeat(64),
        ..old.clone()
    };
    assert_eq!(
        reasons_to_discard(Installer::Pip, &old, &other_file),
        vec!["the pinned pip wheel changed"]
    );
}

fn version(major: u16, minor: u16) -> PythonVersion {
    PythonVersion {
        major,
        minor,
        patch: 0,
        pre: None,
    }
}

#[test]
fn python_3_9_is_too_old_for_pip() {
    assert!(check_pip_supports(&version(3, 9)).is_err());
    assert!(check_pip_supports(&version(3, 10)).is_ok());
}
