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
fn user_info_may_hold_any_character() {
    for (url, redacted) in [
        (
            "https://user:pa/ss@host.example/simple/",
            "https://***@host.example/simple/",
        ),
        (
            "https://user:p?a#s@s@127.0.0.1:8000/simple/",
            "https://***@127.0.0.1:8000/simple/",
        ),
        (
            "https://aws:eyJ/ab+c==@repo.example/pypi/simple/",
            "https://***@repo.example/pypi/simple/",
        ),
        (
            "http://tok/en@localhost:3141/root/",
            "http://***@localhost:3141/root/",
        ),
        (
            "https://me@corp.example:p/w@mirror.example",
            "https://***@mirror.example",
        ),
    ] {
        assert_eq!(redact_url(url), redacted, "{url}");
    }
}

#[test]
fn credential_query_parameters_are_redacted() {
    assert_eq!(
        redact_url(
            "https://bucket.s3.example/p.tar.gz?X-Amz-Date=20261201&X-Amz-Signature=abc123&X-Amz-Credential=AKIA%2F1"
        ),
        "https://bucket.s3.example/p.tar.gz?X-Amz-Date=20261201&X-Amz-Signature=***&X-Amz-Credential=***"
    );
    assert_eq!(
        redact_url("https://gitlab.example/api/v4/pypi/simple/?private_token=glpat-x#frag"),
        "https://gitlab.example/api/v4/pypi/simple/?private_token=***#frag"
    );
    assert_eq!(
        redact_url("https://x.example/f?access_token=a&sig=b&token=c&page=2"),
        "https://x.example/f?access_token=***&sig=***&token=***&page=2"
    );
}

#[test]
fn leaves_plain_urls_vcs_references_and_text_alone() {
    for text in [
        "Looking in indexes: https://pypi.org/simple, mail me@example.com",
        "git+https://github.com/org/repo@v1.0#egg=x",
        "git+https://github.com/org/repo@main",
        "https://x.example/pkg@1.0 and more",
        "https://x.example/search?q=python&page=2",
    ] {
        assert_eq!(redact_urls(text), text);
    }
}

#[test]
fn redacts_every_url_in_a_line() {
    assert_eq!(
        redact_urls("Looking in indexes: https://a:b@x.example/simple, http://c:d@y.example/s"),
        "Looking in indexes: https://***@x.example/simple, http://***@y.example/s"
    );
    assert_eq!(
        redact_urls("'https://a:b@x.example/simple' \"http://c:d@y.example/s\""),
        "'https://***@x.example/simple' \"http://***@y.example/s\""
    );
}

/// A small deterministic generator (xorshift), so that the property test needs no crate and
/// always checks the same cases.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn string(&mut self, alphabet: &str, min: usize, max: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        let len = min + self.below(max - min + 1);
        (0..len).map(|_| chars[self.below(chars.len())]).collect()
    }
}

/// Characters a user, password or token can have in a URL someone writes: unreserved,
/// sub-delimiters, `:` and `%`, and the ones that make user-info look like a path or query.
const USERINFO: &str =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:%/?#@";
/// What a query parameter's value can hold unencoded.
const QUERY_VALUE: &str =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$'()*+,;:%/?@";

#[test]
fn no_planted_secret_survives_in_any_url_position() {
    let mut random = Random(0x5eed_cafe_f00d_1234);
    let hosts = [
        "host.example",
        "127.0.0.1:8000",
        "localhost",
        "mirror.internal:8443",
        "[::1]:3141",
        "pypi.org",
    ];
    let paths = [
        "/simple/",
        "/simple/uv/",
        "/pbs/20260814/cpython-3.13.5.tar.gz",
        "/runtimes.jsonl",
        "/root/pypi/+simple/",
    ];
    let parameters = [
        "token",
        "access_token",
        "private_token",
        "password",
        "secret",
        "sig",
        "signature",
        "X-Amz-Signature",
        "X-Goog-Signature",
        "X-Amz-Security-Token",
    ];
    let contexts = [
        "{}",
        "Looking in indexes: {}",
        "Downloading Python 3.13.5 from {}",
        "(from {})",
        "'{}'",
        "\"{}\"",
        "error: Failed to fetch: {}, retrying",
        "<a href=\"{}\">",
    ];
    for case in 0..20_000 {
        let secret = format!("S3{}", random.string(USERINFO, 6, 24));
        let host = random.pick(&hosts);
        let path = random.pick(&paths);
        let scheme = random.pick(&["https", "http", "file"]);
        let url = match case % 4 {
            0 => format!(
                "{scheme}://{}:{secret}@{host}{path}",
                random.string(USERINFO, 1, 12)
            ),
            1 => format!("{scheme}://{secret}@{host}{path}"),
            2 => format!("{scheme}://{secret}:x@{host}{path}"),
            _ => {
                let secret = format!("S3{}", random.string(QUERY_VALUE, 6, 24));
                let parameter = random.pick(&parameters);
                let url = format!("{scheme}://{host}{path}?a=1&{parameter}={secret}&b=2");
                let text = random.pick(&contexts).replace("{}", &url);
                let redacted = redact_urls(&text);
                assert!(!redacted.contains(&secret), "{text}\n→ {redacted}");
                continue;
            }
        };
        let text = random.pick(&contexts).replace("{}", &url);
        let redacted = redact_urls(&text);
        assert!(!redacted.contains(&secret), "{text}\n→ {redacted}");
        assert!(
            redacted.contains(&format!("***@{host}{path}")),
            "{text}\n→ {redacted}"
        );
    }
}

#[test]
fn the_writer_redacts_urls_split_across_writes() {
    let mut out = Vec::new();
    {
        let mut writer = RedactingWriter::new(&mut out);
        writer.write_all(b"Looking in https://user:s3").unwrap();
        writer.flush().unwrap();
        writer.write_all(b"cret@host.example/simple/ .").unwrap();
        writer.flush().unwrap();
        writer
            .write_all(b".\nnext line https://a:b@c.example/")
            .unwrap();
    }
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "Looking in https://***@host.example/simple/ ..\nnext line https://***@c.example/"
    );
}

#[test]
fn the_writer_shows_progress_up_to_the_last_space_on_flush() {
    let mut writer = RedactingWriter::new(Vec::new());
    writer.write_all(b"Installing . .").unwrap();
    writer.flush().unwrap();
    assert_eq!(writer.inner, b"Installing . ");
}
