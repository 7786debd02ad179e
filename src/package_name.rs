//! Python distribution names.

/// PEP 503 name normalization: lower case, runs of `-`, `_` and `.` become one `-`. How lock
/// files, requirements and installed metadata are matched against each other.
pub(crate) fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize_name;

    #[test]
    fn normalizes_case_and_separator_runs() {
        assert_eq!(normalize_name("Typing_Extensions"), "typing-extensions");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_name("a-_.b"), "a-b");
        assert_eq!(normalize_name("six"), "six");
    }
}
