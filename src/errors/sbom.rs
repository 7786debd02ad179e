//! The message of a software bill of materials that could not be made.

use super::Message;
use crate::sbom::ReadError;
use bullet_stream::style;
use indoc::formatdoc;

pub(super) fn venv_sbom_message(error: &ReadError) -> Message {
    let ReadError { path, error } = error;
    Message::bug(formatdoc! {"
        Unable to write the software bill of materials of the dependencies

        Listing the packages installed in the virtual environment failed: reading {path}
        failed: {error}

        The packages were installed, but the SBOM of the image could not be made. Retry the
        build; if it happens again, open an issue with the build output.
    ", path = style::value(path.display().to_string())})
}
