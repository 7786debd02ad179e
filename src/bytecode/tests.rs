use super::*;

/// The magic numbers of CPython 3.11 and 3.13 (`importlib.util.MAGIC_NUMBER`).
const MAGIC_3_11: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];
const MAGIC_3_13: [u8; 4] = [0xf3, 0x0d, 0x0d, 0x0a];

fn timestamp_header(magic: [u8; 4], mtime: u32, size: u32) -> [u8; 16] {
    let mut header = [0_u8; 16];
    header[..4].copy_from_slice(&magic);
    header[8..12].copy_from_slice(&mtime.to_le_bytes());
    header[12..].copy_from_slice(&size.to_le_bytes());
    header
}

#[test]
fn source_hashes_are_cpythons() {
    // `importlib.util.source_hash(b"print('hello')\n")` and of b"", printed by CPython itself.
    let hex = |bytes: [u8; 8]| hex::encode(bytes);
    assert_eq!(
        hex(source_hash(MAGIC_3_11, b"print('hello')\n")),
        "de8f2668cdc2c7b5"
    );
    assert_eq!(hex(source_hash(MAGIC_3_11, b"")), "738d9cd5d5e87f73");
    assert_eq!(
        hex(source_hash(MAGIC_3_13, b"print('hello')\n")),
        "07a048f7d2d8e9d3"
    );
    assert_eq!(hex(source_hash(MAGIC_3_13, b"")), "27ec6d312f93b814");
}

#[test]
fn hash_based_headers_carry_the_flags_and_the_hash() {
    let unchecked = hash_based_header(MAGIC_3_13, b"", Validation::Unchecked);
    assert_eq!(&unchecked[..4], &MAGIC_3_13);
    assert_eq!(&unchecked[4..8], &[1, 0, 0, 0]);
    assert_eq!(hex::encode(&unchecked[8..]), "27ec6d312f93b814");
    let checked = hash_based_header(MAGIC_3_13, b"", Validation::Checked);
    assert_eq!(&checked[4..8], &[3, 0, 0, 0]);
    assert_eq!(
        Header::parse(&checked).kind,
        HeaderKind::HashBased,
        "a converted file is hash-based"
    );
}

#[test]
fn compiled_files_name_their_source() {
    let source = |pyc: &str| source_of(Path::new(pyc));
    assert_eq!(
        source("lib/__pycache__/os.cpython-313.pyc"),
        Some(PathBuf::from("lib/os.py"))
    );
    assert_eq!(
        source("lib/__pycache__/os.cpython-313.opt-2.pyc"),
        Some(PathBuf::from("lib/os.py"))
    );
    assert_eq!(
        source("lib/__pycache__/a.b.cpython-313t.opt-1.pyc"),
        Some(PathBuf::from("lib/a.b.py"))
    );
    assert_eq!(source("lib/__pycache__/os.py"), None);
    assert_eq!(source("lib/__pycache__/nodots.pyc"), None);
}

#[test]
fn verdicts_follow_what_python_would_check() {
    let source = SourceStat {
        mtime: 1_700_000_000,
        size: 42,
    };
    let header = |mtime, size| Header::parse(&timestamp_header(MAGIC_3_13, mtime, size));
    assert_eq!(
        verdict(&header(1_700_000_000, 42), source, Origin::Build),
        Verdict::Convert
    );
    // Stale: another time, or another size.
    assert_eq!(
        verdict(&header(1_600_000_000, 42), source, Origin::Build),
        Verdict::Remove
    );
    assert_eq!(
        verdict(&header(1_700_000_000, 41), source, Origin::Build),
        Verdict::Remove
    );
    // From a verified archive, only the size counts.
    assert_eq!(
        verdict(&header(1_600_000_000, 42), source, Origin::Archive),
        Verdict::Convert
    );
    assert_eq!(
        verdict(&header(1_600_000_000, 41), source, Origin::Archive),
        Verdict::Remove
    );
    // Python keeps the low 32 bits of the time and size.
    let big = SourceStat {
        mtime: (1 << 32) + 5,
        size: (1 << 32) + 7,
    };
    assert_eq!(verdict(&header(5, 7), big, Origin::Build), Verdict::Convert);
    // Hash-based files, unknown flags and Pythons before 3.7 are left alone.
    let hash_based = Header::parse(&hash_based_header(MAGIC_3_13, b"", Validation::Checked));
    assert_eq!(verdict(&hash_based, source, Origin::Build), Verdict::Keep);
    let mut unknown = timestamp_header(MAGIC_3_13, 0, 0);
    unknown[4] = 4;
    assert_eq!(
        verdict(&Header::parse(&unknown), source, Origin::Build),
        Verdict::Keep
    );
    let python_3_6 = Header::parse(&timestamp_header([0x33, 0x0d, 0x0d, 0x0a], 0, 42));
    assert_eq!(verdict(&python_3_6, source, Origin::Build), Verdict::Keep);
}

/// A source file with the given time, and its compiled file with `header` and a body.
fn compiled(dir: &Path, module: &str, source: &[u8], mtime: i64, header: [u8; 16]) -> PathBuf {
    let source_path = dir.join(format!("{module}.py"));
    fs::write(&source_path, source).unwrap();
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime.unsigned_abs());
    fs::File::options()
        .write(true)
        .open(&source_path)
        .unwrap()
        .set_modified(time)
        .unwrap();
    let cache = dir.join("__pycache__");
    fs::create_dir_all(&cache).unwrap();
    let pyc = cache.join(format!("{module}.cpython-313.pyc"));
    let mut bytes = header.to_vec();
    bytes.extend_from_slice(b"compiled code");
    fs::write(&pyc, bytes).unwrap();
    pyc
}

#[test]
fn a_tree_is_sealed_valid_files_converted_and_stale_ones_removed() {
    let tree = tempfile::tempdir().unwrap();
    let package = tree.path().join("site-packages/pkg");
    fs::create_dir_all(&package).unwrap();
    let source = b"x = 1\n";
    let valid = compiled(
        &package,
        "valid",
        source,
        1_700_000_000,
        timestamp_header(MAGIC_3_13, 1_700_000_000, 6),
    );
    let stale = compiled(
        &package,
        "stale",
        source,
        1_700_000_000,
        timestamp_header(MAGIC_3_13, 315_532_801, 6),
    );
    let already = compiled(
        &package,
        "already",
        source,
        1_700_000_000,
        hash_based_header(MAGIC_3_13, b"other", Validation::Checked),
    );
    // Without a source, a compiled file is not Python's concern.
    fs::write(
        package.join("__pycache__/orphan.cpython-313.pyc"),
        [0_u8; 20],
    )
    .unwrap();
    fs::set_permissions(&valid, fs::Permissions::from_mode(0o640)).unwrap();

    let sealed = seal(tree.path(), Validation::Checked, Origin::Build).unwrap();
    assert_eq!(
        sealed,
        Sealed {
            converted: 1,
            removed: 1
        }
    );
    let bytes = fs::read(&valid).unwrap();
    assert_eq!(
        &bytes[..16],
        &hash_based_header(MAGIC_3_13, source, Validation::Checked)
    );
    assert_eq!(&bytes[16..], b"compiled code");
    assert_eq!(
        fs::metadata(&valid).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert!(!stale.exists());
    assert_eq!(
        &fs::read(&already).unwrap()[..16],
        &hash_based_header(MAGIC_3_13, b"other", Validation::Checked)
    );
    assert!(package.join("__pycache__/orphan.cpython-313.pyc").exists());
    // Nothing is left behind, and a second pass has nothing to do.
    assert_eq!(
        fs::read_dir(package.join("__pycache__")).unwrap().count(),
        3
    );
    assert_eq!(
        seal(tree.path(), Validation::Checked, Origin::Build).unwrap(),
        Sealed::default()
    );
}

#[test]
fn an_archive_is_trusted_on_size_and_a_missing_tree_is_fine() {
    let tree = tempfile::tempdir().unwrap();
    let pyc = compiled(
        tree.path(),
        "os",
        b"import sys\n",
        0,
        timestamp_header(MAGIC_3_11, 1_600_000_000, 11),
    );
    let sealed = seal(tree.path(), Validation::Unchecked, Origin::Archive).unwrap();
    assert_eq!(sealed.converted, 1);
    assert_eq!(
        &fs::read(&pyc).unwrap()[..16],
        &hash_based_header(MAGIC_3_11, b"import sys\n", Validation::Unchecked)
    );
    assert_eq!(
        seal(
            &tree.path().join("missing"),
            Validation::Unchecked,
            Origin::Build
        )
        .unwrap(),
        Sealed::default()
    );
}

#[test]
fn hard_links_are_not_changed_in_place() {
    let tree = tempfile::tempdir().unwrap();
    let pyc = compiled(
        tree.path(),
        "m",
        b"",
        1_700_000_000,
        timestamp_header(MAGIC_3_13, 1_700_000_000, 0),
    );
    let elsewhere = tree.path().join("cache-copy.pyc");
    fs::hard_link(&pyc, &elsewhere).unwrap();
    seal(tree.path(), Validation::Unchecked, Origin::Build).unwrap();
    assert_eq!(
        &fs::read(&elsewhere).unwrap()[..16],
        &timestamp_header(MAGIC_3_13, 1_700_000_000, 0)
    );
}

#[test]
fn the_apps_sources_leave_out_what_is_not_its_code() {
    let app = crate::test_support::tree(&[
        ("manage.py", ""),
        ("mysite/settings.py", ""),
        ("mysite/templates/page.html", ""),
        (".git/hooks/pre-commit.py", ""),
        ("node_modules/pkg/build.py", ""),
        ("venv/lib/python3.13/site-packages/six.py", ""),
        ("backend/venv/helper.py", ""),
        ("mysite/__pycache__/settings.py", ""),
    ]);
    let committed = ["venv".to_string()];
    let app_code = |dir: &Path| is_app_code(dir, &committed);
    assert_eq!(
        uncompiled(app.path(), ".cpython-313.pyc", &app_code).unwrap(),
        [
            PathBuf::from("backend/venv/helper.py"),
            PathBuf::from("manage.py"),
            PathBuf::from("mysite/settings.py"),
        ]
    );
    let no_code = crate::test_support::tree(&[("README.md", "")]);
    assert_eq!(
        uncompiled(no_code.path(), ".pyc", &app_code).unwrap(),
        Vec::<PathBuf>::new()
    );
}

#[test]
fn uncompiled_sources_are_those_without_a_compiled_file_at_the_level() {
    let lib = crate::test_support::tree(&[
        ("site-packages/six.py", ""),
        ("site-packages/__pycache__/six.cpython-313.pyc", ""),
        ("site-packages/pkg/__init__.py", ""),
        ("site-packages/pkg/__pycache__/__init__.cpython-311.pyc", ""),
        (
            "site-packages/pkg/__pycache__/__init__.cpython-313.opt-1.pyc",
            "",
        ),
        ("site-packages/pkg/data.txt", ""),
    ]);
    assert_eq!(
        uncompiled(lib.path(), ".cpython-313.pyc", &|_| true).unwrap(),
        [PathBuf::from("site-packages/pkg/__init__.py")]
    );
    assert!(
        uncompiled(lib.path(), ".cpython-313.opt-1.pyc", &|_| true)
            .unwrap()
            .contains(&PathBuf::from("site-packages/six.py"))
    );
    assert_eq!(
        uncompiled(&lib.path().join("missing"), ".pyc", &|_| true).unwrap(),
        Vec::<PathBuf>::new()
    );
}
