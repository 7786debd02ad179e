//! The messages of the dependency check after an install (`crate::installed::conflicts`):
//! requirements of installed packages that the environment does not meet.

use super::{Message, MessageKind};
use crate::installed::Conflict;
use bullet_stream::style;
use indoc::formatdoc;

/// `- Flask 3.0.0 requires werkzeug>=3.0.0, but 2.0.0 is installed`, one line per conflict.
fn conflict_lines(conflicts: &[Conflict]) -> String {
    conflicts
        .iter()
        .map(|conflict| {
            let package = style::value(format!("{} {}", conflict.package, conflict.version));
            let requirement = style::value(&conflict.requirement);
            match &conflict.installed {
                Some(installed) => {
                    format!("- {package} requires {requirement}, but {installed} is installed")
                }
                None => format!("- {package} requires {requirement}, which is not installed"),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn conflicts_message(kind: MessageKind, conflicts: &[Conflict]) -> Message {
    let (header, switch) = match kind {
        MessageKind::Warning => (
            "Installed packages with unmet requirements",
            "To fail the build instead, set BP_PYTHON_CHECK_DEPENDENCIES=strict; to skip the\n\
             check, set it to off.",
        ),
        _ => (
            "Installed packages with unmet requirements (BP_PYTHON_CHECK_DEPENDENCIES=strict)",
            "To build anyway with a warning, unset BP_PYTHON_CHECK_DEPENDENCIES (or set it to\n\
             warn).",
        ),
    };
    Message::new(
        kind,
        formatdoc! {"
            {header}

            The dependency check after the install found packages whose requirements the
            virtual environment does not meet:
            {lines}

            The app can fail where it uses them. Pin versions that work together (in
            requirements.txt, or update the lock file with the package manager), and check that
            nothing installs without its dependencies (PIP_NO_DEPS, --no-deps).

            {switch}
        ", lines = conflict_lines(conflicts)},
    )
}

/// The dependency check found conflicts; the build goes on.
pub(crate) fn dependency_conflicts_warning(conflicts: &[Conflict]) -> Message {
    conflicts_message(MessageKind::Warning, conflicts)
}

/// The dependency check found conflicts, and `BP_PYTHON_CHECK_DEPENDENCIES=strict` fails the
/// build.
pub(super) fn dependency_conflicts_error(conflicts: &[Conflict]) -> Message {
    conflicts_message(MessageKind::UserError, conflicts)
}

/// The dependency check could not read the environment; the build goes on.
pub(crate) fn dependency_check_failed_warning(error: &str) -> Message {
    Message::warning(formatdoc! {"
        Could not check the installed packages' requirements

        The dependency check after the install could not run: {error}

        The packages are installed; only the check is skipped. Set
        BP_PYTHON_CHECK_DEPENDENCIES=off to skip it on purpose.
    "})
}
