//! The message of a program the buildpack runs (pip, uv, Poetry, Pipenv, PDM, the runtime's
//! Python, Django's `manage.py`) that could not be started: one wording for all of them.

use super::Message;
use crate::command::SpawnError;
use bullet_stream::style;
use indoc::formatdoc;

pub(super) fn command_message(SpawnError { command, error }: &SpawnError) -> Message {
    Message::bug(formatdoc! {"
        Unable to run {command}

        Starting {shown} failed: {error}

        This is a problem with the build environment, not your app. Retry the build; if it
        happens again, open an issue with the build output.
    ", shown = style::command(command)})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Command;

    #[test]
    fn a_program_that_cannot_start_is_named() {
        let mut command = Command::new("/nonexistent/uv", &libcnb::Env::new());
        command.args(["pip", "install"]);
        let crate::errors::BuildpackError::Command(error) = command
            .capture()
            .unwrap_err()
            .into_buildpack_error(|_, _| unreachable!("it did not start"))
        else {
            panic!("not a spawn failure");
        };
        let message = bullet_stream::strip_ansi(command_message(&error).to_string());
        assert!(
            message.starts_with(
                "Unable to run /nonexistent/uv pip install\n\nStarting `/nonexistent/uv pip install` failed: No such file or directory"
            ),
            "{message}"
        );
        assert!(message.contains("not your app"), "{message}");
    }
}
