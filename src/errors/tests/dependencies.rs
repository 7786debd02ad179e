use super::{check, check_error};
use crate::BuildpackError;
use crate::installed::Conflict;
use crate::layers::venv::DependencyCheckWarning;
use crate::message::Message;

fn conflicts() -> Vec<Conflict> {
    vec![
        Conflict {
            package: "Flask".to_string(),
            version: "3.0.0".to_string(),
            requirement: "werkzeug>=3.0.0".to_string(),
            installed: Some("2.0.0".to_string()),
        },
        Conflict {
            package: "Flask".to_string(),
            version: "3.0.0".to_string(),
            requirement: "blinker>=1.6.2".to_string(),
            installed: None,
        },
    ]
}

#[test]
fn dependency_check() {
    check(
        "warning_dependency_conflicts",
        &Message::from(&DependencyCheckWarning::Conflicts(conflicts())),
    );
    check_error(
        "dependency_conflicts_strict",
        BuildpackError::DependencyConflicts(conflicts()),
    );
    check(
        "warning_dependency_check_failed",
        &Message::from(&DependencyCheckWarning::CouldNotRun(
            "/layers/venv/lib: Permission denied (os error 13)".to_string(),
        )),
    );
}
