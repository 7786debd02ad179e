//! The package index the buildpack's own tools come from (the one the user configured for the
//! build, else PyPI), and finding a file on it through its "simple" repository API: a project
//! page in PEP 503 HTML or PEP 691 JSON, whose links are resolved against the page.

use crate::package_name::normalize_name;
use crate::redact::redact_url;
use libcnb::Env;
use std::path::PathBuf;
use url::Url;

/// PyPI's simple API, when the build env names no index.
pub(crate) const PYPI_SIMPLE: &str = "https://pypi.org/simple/";

/// The settings that name the index, in the order they are read: pip's, then uv's (current and
/// older name). The first one set wins.
pub(crate) const INDEX_SETTINGS: [&str; 3] = ["PIP_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL"];

/// What a project page request accepts: PEP 691 JSON first, then PEP 503 HTML.
pub(crate) const PAGE_ACCEPT: &str = "application/vnd.pypi.simple.v1+json, \
     application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1";

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PackageIndex {
    /// Ends with `/`, so that project pages resolve beneath it. May hold credentials: show it
    /// with [`PackageIndex::describe`] only.
    pub(crate) url: Url,
    /// The variable it came from, `None` for PyPI.
    pub(crate) setting: Option<&'static str>,
}

/// A variable of [`INDEX_SETTINGS`] whose value is not an http(s) or file URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InvalidIndexUrl {
    pub(crate) setting: &'static str,
    pub(crate) value: String,
}

impl PackageIndex {
    pub(crate) fn pypi() -> Self {
        Self {
            url: Url::parse(PYPI_SIMPLE).expect("a valid URL"),
            setting: None,
        }
    }

    /// The index named by the first of [`INDEX_SETTINGS`] that is set (and not empty) in `env`,
    /// else PyPI.
    pub(crate) fn from_env(env: &Env) -> Result<Self, InvalidIndexUrl> {
        for setting in INDEX_SETTINGS {
            let Some(value) = env
                .get_string_lossy(setting)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
            else {
                continue;
            };
            let invalid = || InvalidIndexUrl {
                setting,
                value: value.clone(),
            };
            let mut url = Url::parse(&value).map_err(|_| invalid())?;
            if !matches!(url.scheme(), "http" | "https" | "file") || url.cannot_be_a_base() {
                return Err(invalid());
            }
            if !url.path().ends_with('/') {
                url.set_path(&format!("{}/", url.path()));
            }
            return Ok(Self {
                url,
                setting: Some(setting),
            });
        }
        Ok(Self::pypi())
    }

    /// `<index>/<normalized project name>/`.
    pub(crate) fn project_page(&self, project: &str) -> Url {
        self.url
            .join(&format!("{}/", normalize_name(project)))
            .expect("a normalized project name is a valid relative URL")
    }

    /// The URL with credentials redacted, and where it came from:
    /// `https://***@mirror.example/simple/ (PIP_INDEX_URL)`, `https://pypi.org/simple/ (PyPI)`.
    pub(crate) fn describe(&self) -> String {
        format!(
            "{} ({})",
            redact_url(self.url.as_str()),
            self.setting.unwrap_or("PyPI")
        )
    }
}

/// The CA bundle the build env names for package indexes: `PIP_CERT` (what pip used for the
/// buildpack's tools before), else `SSL_CERT_FILE` (uv's). `None`: the platform's certificates.
pub(crate) fn ca_bundle(env: &Env) -> Option<PathBuf> {
    ["PIP_CERT", "SSL_CERT_FILE"].iter().find_map(|name| {
        env.get(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    })
}

/// The URL of `file_name` among the files a project page lists, resolved against `page_url`.
/// `content_type` says whether `body` is PEP 691 JSON or PEP 503 HTML.
pub(crate) fn find_file(
    page_url: &Url,
    content_type: &str,
    body: &str,
    file_name: &str,
) -> Option<Url> {
    let links = if content_type.contains("json") {
        json_links(body)
    } else {
        html_links(body)
    };
    links
        .into_iter()
        .filter_map(|href| page_url.join(&href).ok())
        .find(|url| file_name_of(url).as_deref() == Some(file_name))
}

/// The last path segment, percent-decoded: what PEP 503 says the anchor text must match.
fn file_name_of(url: &Url) -> Option<String> {
    let segment = url.path_segments()?.next_back()?;
    Some(percent_decode(segment).unwrap_or_else(|| segment.to_string()))
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `files[].url` of a PEP 691 project page.
fn json_links(body: &str) -> Vec<String> {
    let Ok(page) = serde_json::from_str::<serde_json::Value>(body) else {
        return Vec::new();
    };
    page.get("files")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|file| file.get("url").and_then(serde_json::Value::as_str))
        .map(str::to_string)
        .collect()
}

/// The `href` of every `<a>` of a PEP 503 page, with HTML character references decoded.
fn html_links(body: &str) -> Vec<String> {
    let lower = body.to_ascii_lowercase();
    let mut links = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<a").map(|i| from + i) {
        let end = lower[start..].find('>').map_or(lower.len(), |i| start + i);
        let tag = &body[start..end];
        from = end;
        if !tag[2..].starts_with(|c: char| c.is_ascii_whitespace()) {
            continue;
        }
        if let Some(href) = attribute(tag, "href") {
            links.push(unescape_html(&href));
        }
    }
    links
}

/// The value of attribute `name` in a tag's text (`<a href="..." ...`), quoted or not.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(name).map(|i| from + i) {
        from = at + name.len();
        let before_ok = lower[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_whitespace());
        let rest = tag[from..].trim_start();
        let Some(rest) = rest.strip_prefix('=').filter(|_| before_ok) else {
            continue;
        };
        let rest = rest.trim_start();
        let value = match rest.chars().next() {
            Some(quote @ ('"' | '\'')) => rest[1..].split(quote).next().unwrap_or(""),
            _ => rest
                .split(|c: char| c.is_ascii_whitespace() || c == '>')
                .next()
                .unwrap_or(""),
        };
        return Some(value.to_string());
    }
    None
}

fn unescape_html(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::env;

    #[test]
    fn the_first_index_setting_wins_and_pypi_is_the_default() {
        assert_eq!(PackageIndex::from_env(&env(&[])), Ok(PackageIndex::pypi()));
        let index = PackageIndex::from_env(&env(&[
            ("UV_INDEX_URL", "https://uv.example/simple"),
            ("PIP_INDEX_URL", "https://u:p@pip.example/root/pypi/+simple"),
        ]))
        .unwrap();
        assert_eq!(index.setting, Some("PIP_INDEX_URL"));
        assert_eq!(
            index.url.as_str(),
            "https://u:p@pip.example/root/pypi/+simple/"
        );
        assert_eq!(
            index.describe(),
            "https://***@pip.example/root/pypi/+simple/ (PIP_INDEX_URL)"
        );
        let index = PackageIndex::from_env(&env(&[("UV_INDEX_URL", "http://127.0.0.1:9/simple/")]))
            .unwrap();
        assert_eq!(index.setting, Some("UV_INDEX_URL"));
        assert_eq!(
            index.project_page("Typing_Extensions").as_str(),
            "http://127.0.0.1:9/simple/typing-extensions/"
        );
        assert_eq!(
            PackageIndex::pypi().describe(),
            "https://pypi.org/simple/ (PyPI)"
        );
    }

    #[test]
    fn empty_settings_are_unset_and_bad_ones_are_errors() {
        assert_eq!(
            PackageIndex::from_env(&env(&[("PIP_INDEX_URL", " ")])),
            Ok(PackageIndex::pypi())
        );
        assert_eq!(
            PackageIndex::from_env(&env(&[("UV_DEFAULT_INDEX", "mirror.example/simple")])),
            Err(InvalidIndexUrl {
                setting: "UV_DEFAULT_INDEX",
                value: "mirror.example/simple".to_string()
            })
        );
    }

    const FILE: &str = "uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";

    #[test]
    fn finds_a_file_on_an_html_page() {
        let page = Url::parse("https://u:p@mirror.example/simple/uv/").unwrap();
        let body = format!(
            "<!DOCTYPE html><html><body>\n\
             <a href=\"../../files/uv-0.13.9.tar.gz#sha256=00\">uv-0.13.9.tar.gz</a><br/>\n\
             <A data-requires-python=\"&gt;=3.8\" HREF='../../files/{FILE}#sha256=ab&amp;x=1'>{FILE}</A>\n\
             </body></html>"
        );
        let url = find_file(&page, "text/html", &body, FILE).unwrap();
        // Relative links keep the index's host and credentials, as pip does.
        assert_eq!(
            url.as_str(),
            format!("https://u:p@mirror.example/files/{FILE}#sha256=ab&x=1")
        );
        assert_eq!(find_file(&page, "text/html", &body, "uv-9.whl"), None);
    }

    #[test]
    fn finds_a_file_on_a_json_page_with_absolute_and_encoded_urls() {
        let page = Url::parse("https://pypi.org/simple/uv/").unwrap();
        let encoded = FILE.replace('_', "%5F");
        let body = format!(
            r#"{{"meta": {{"api-version": "1.1"}}, "name": "uv", "files": [
                {{"filename": "{FILE}", "url": "https://files.example/packages/ab/{encoded}", "hashes": {{}}}}
            ]}}"#
        );
        let url = find_file(&page, "application/vnd.pypi.simple.v1+json", &body, FILE).unwrap();
        assert_eq!(url.host_str(), Some("files.example"));
        assert_eq!(find_file(&page, "application/json", "not json", FILE), None);
    }

    #[test]
    fn attributes_and_tags_are_matched_exactly() {
        // `<abbr>` is not a link; `data-href` is not `href`; unquoted values end at a space.
        let body =
            "<abbr href=\"x/a.whl\">a.whl</abbr><a data-href=\"y/a.whl\" href=z/a.whl >a</a>";
        assert_eq!(html_links(body), ["z/a.whl"]);
    }
}
