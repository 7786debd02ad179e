//! Keeps credentials out of build output.

/// Replaces the user-info of every `scheme://user:password@host` in `text` with `***`, so that
/// index URLs with tokens can be shown (also inside a tool's own output).
pub(crate) fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let (before, after) = rest.split_at(scheme_end + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\''
            })
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

/// One URL; the same rule as [`redact_urls`].
pub(crate) fn redact_url(url: &str) -> String {
    redact_urls(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_user_and_password() {
        assert_eq!(
            redact_url("https://user:s3cret@pypi.example/simple/"),
            "https://***@pypi.example/simple/"
        );
        assert_eq!(
            redact_url("https://tok3n@pypi.example/simple/"),
            "https://***@pypi.example/simple/"
        );
    }

    #[test]
    fn leaves_plain_urls_and_text_alone() {
        let text = "Looking in indexes: https://pypi.org/simple, mail me@example.com";
        assert_eq!(redact_urls(text), text);
    }

    #[test]
    fn redacts_every_url_in_a_line() {
        assert_eq!(
            redact_urls("Looking in indexes: https://a:b@x.example/simple, http://c:d@y.example/s"),
            "Looking in indexes: https://***@x.example/simple, http://***@y.example/s"
        );
    }

    #[test]
    fn at_sign_in_the_path_is_not_userinfo() {
        assert_eq!(
            redact_urls("https://x.example/pkg@1.0 and https://u:p@h/"),
            "https://x.example/pkg@1.0 and https://***@h/"
        );
    }
}
