use super::*;
use indoc::indoc;

// Outputs below are from real pip 26.3 runs (some shortened).

#[test]
fn not_found() {
    let output = indoc! {"
        Collecting six==1.16.0 (from -r requirements.txt (line 1))
        ERROR: Could not find a version that satisfies the requirement this-does-not-exist==1.0 (from versions: none)
        ERROR: No matching distribution found for this-does-not-exist==1.0
    "};
    assert_eq!(
        classify(output),
        PipFailure::NotFound {
            requirements: vec!["this-does-not-exist==1.0".to_string()],
            credentials_rejected: false,
        }
    );
}

#[test]
fn not_found_with_rejected_credentials() {
    let output = indoc! {"
        WARNING: 401 Error, Credentials not correct for http://127.0.0.1:8766/simple/private-pkg/
        ERROR: Could not find a version that satisfies the requirement private-pkg==1.0.0 (from versions: none)
        ERROR: No matching distribution found for private-pkg==1.0.0
    "};
    assert_eq!(
        classify(output),
        PipFailure::NotFound {
            requirements: vec!["private-pkg==1.0.0".to_string()],
            credentials_rejected: true,
        }
    );
}

#[test]
fn conflict() {
    let output = indoc! {"
        ERROR: Cannot install -r requirements.txt (line 1) and werkzeug==2.0.0 because these package versions have conflicting dependencies.

        The conflict is caused by:
            The user requested werkzeug==2.0.0
            flask 3.0.0 depends on Werkzeug>=3.0.0

        To fix this you could try to:
        1. loosen the range of package versions you've specified

        ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
    "};
    assert_eq!(
        classify(output),
        PipFailure::Conflict {
            causes: vec![
                "The user requested werkzeug==2.0.0".to_string(),
                "flask 3.0.0 depends on Werkzeug>=3.0.0".to_string()
            ]
        }
    );
}

#[test]
fn invalid_requirement_with_location() {
    let output = indoc! {"
        ERROR: Invalid requirement: 'this is not valid!!': Expected semicolon (after name with no version specifier) or end
            this is not valid!!
                 ^ (from line 2 of requirements.txt)
    "};
    assert_eq!(
        classify(output),
        PipFailure::InvalidRequirement {
            requirement: "this is not valid!!".to_string(),
            location: Some("line 2 of requirements.txt".to_string())
        }
    );
}

#[test]
fn build_failure_while_building_the_wheel() {
    let output = indoc! {"
        Building wheels for collected packages: brokenpkg
          Building wheel for brokenpkg (pyproject.toml): finished with status 'error'
          error: subprocess-exited-with-error
          ERROR: Failed building wheel for brokenpkg
        Failed to build brokenpkg
        error: failed-wheel-build-for-install
    "};
    assert_eq!(
        classify(output),
        PipFailure::BuildFailed {
            packages: vec!["brokenpkg".to_string()]
        }
    );
}

#[test]
fn build_failure_while_getting_requirements() {
    let output = indoc! {"
        Processing ./brokenpkg
          Getting requirements to build wheel: finished with status 'error'
        ERROR: Failed to build 'file:///workspace/brokenpkg' when getting requirements to build wheel
    "};
    assert_eq!(
        classify(output),
        PipFailure::BuildFailed {
            packages: vec!["/workspace/brokenpkg".to_string()]
        }
    );
}

#[test]
fn build_failure_in_metadata_generation() {
    let output = indoc! {"
        Collecting oldpkg==0.1 (from -r requirements.txt (line 3))
          Preparing metadata (setup.py): finished with status 'error'
        error: metadata-generation-failed
    "};
    assert_eq!(
        classify(output),
        PipFailure::BuildFailed {
            packages: vec!["oldpkg==0.1".to_string()]
        }
    );
}

#[test]
fn hashes() {
    assert_eq!(
        classify("ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE."),
        PipFailure::Hashes { mismatch: true }
    );
    assert_eq!(
        classify(
            "ERROR: In --require-hashes mode, all requirements must have their versions pinned with ==. These do not:"
        ),
        PipFailure::Hashes { mismatch: false }
    );
}

#[test]
fn untrusted_certificate() {
    let output = indoc! {"
        WARNING: Retrying (Retry(total=0)) after connection broken by 'SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed'))': /simple/pip/
        ERROR: Could not find a version that satisfies the requirement pip==26.3 (from versions: none)
        ERROR: No matching distribution found for pip==26.3
    "};
    assert_eq!(
        classify(output),
        PipFailure::IndexUnreachable { certificate: true }
    );
}

#[test]
fn anything_else() {
    assert_eq!(classify("ERROR: something new\n"), PipFailure::Other);
}
