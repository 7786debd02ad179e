use super::*;

fn allows(specifiers: &str, version: &str) -> bool {
    let specifiers: Specifiers = specifiers.parse().unwrap();
    specifiers.contains(&version.parse().unwrap())
}

#[test]
fn comparison_operators() {
    assert!(allows(">=3.11", "3.11.0"));
    assert!(allows(">=3.11", "3.14.2"));
    assert!(!allows(">=3.11", "3.10.19"));
    assert!(allows(">3.11", "3.11.1"));
    assert!(!allows(">3.11", "3.11.0"));
    assert!(allows("<=3.12", "3.12.0"));
    assert!(!allows("<=3.12", "3.12.1"));
    assert!(allows("<3.13", "3.12.14"));
    assert!(!allows("<3.13", "3.13.0"));
}

#[test]
fn equality_pads_with_zeros_and_wildcards_match_prefixes() {
    // PEP 440: `==3.11` is 3.11.0 exactly, not any 3.11.
    assert!(allows("==3.11", "3.11.0"));
    assert!(!allows("==3.11", "3.11.5"));
    assert!(allows("==3.11.*", "3.11.5"));
    assert!(!allows("==3.11.*", "3.12.0"));
    assert!(allows("==3.*", "3.14.1"));
    assert!(allows("!=3.12.*", "3.13.5"));
    assert!(!allows("!=3.12.*", "3.12.3"));
    assert!(allows("!=3.12.1", "3.12.2"));
    assert!(!allows("!=3.12.1", "3.12.1"));
}

#[test]
fn compatible_release() {
    assert!(allows("~=3.11", "3.14.0"));
    assert!(!allows("~=3.11", "3.10.2"));
    assert!(allows("~=3.11.2", "3.11.9"));
    assert!(!allows("~=3.11.2", "3.11.1"));
    assert!(!allows("~=3.11.2", "3.12.0"));
}

#[test]
fn clauses_combine_and_whitespace_is_ignored() {
    let range = " >= 3.11 , < 3.13 ,";
    assert!(allows(range, "3.11.2"));
    assert!(allows(range, "3.12.14"));
    assert!(!allows(range, "3.13.0"));
    assert!(!allows(range, "3.10.0"));
    assert!(allows(">=3.10,!=3.11.*,<4", "3.12.1"));
    assert!(!allows(">=3.10,!=3.11.*,<4", "3.11.1"));
    assert!(allows("==v3.13.*", "3.13.2"));
}

#[test]
fn unsupported_specifiers_are_errors() {
    let error = |s: &str| s.parse::<Specifiers>().unwrap_err();
    assert_eq!(error(""), SpecifierError::Empty);
    assert_eq!(error(" , "), SpecifierError::Empty);
    assert_eq!(
        error("3.11"),
        SpecifierError::MissingOperator("3.11".to_string())
    );
    assert_eq!(
        error("=>3.11"),
        SpecifierError::MissingOperator("=>3.11".to_string())
    );
    assert_eq!(
        error("^3.11"),
        SpecifierError::MissingOperator("^3.11".to_string())
    );
    assert_eq!(
        error("===3.11"),
        SpecifierError::ArbitraryEquality("===3.11".to_string())
    );
    assert_eq!(
        error(">=3.11.0rc1"),
        SpecifierError::InvalidVersion(">=3.11.0rc1".to_string())
    );
    assert_eq!(
        error(">=3.x"),
        SpecifierError::InvalidVersion(">=3.x".to_string())
    );
    assert_eq!(
        error(">=3.11.*"),
        SpecifierError::MisplacedWildcard(">=3.11.*".to_string())
    );
    assert_eq!(
        error("~=3"),
        SpecifierError::CompatibleNeedsTwoSegments("~=3".to_string())
    );
    assert!(error(">=3.11, <").to_string().contains("`<`"));
}
