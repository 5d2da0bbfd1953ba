//! Untrusted HTML and URLs in content.
//!
//! Content arrives from many teams through pull requests, and deploy previews build it before
//! anyone has reviewed it. Raw HTML in markdown is therefore cleaned by ammonia with its default
//! allow list (no script, no svg or math, no event attributes), extended only by the markup
//! Flywheel itself generates, and each fragment that loses something earns a warning at its
//! line. A site can trust its raw HTML with `trust_html = true` under `[markdown]`. Link and image
//! URLs must be http, https, mailto or relative, checked on the decoded URL.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The cleaner for a page that contains raw HTML.
fn cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        // What the markdown renderer itself writes: heading ids and anchors, task-list boxes,
        // highlighted code, alerts, aligned table cells, footnotes.
        builder
            .add_tags(["input"])
            .add_generic_attributes(["id", "class", "aria-label", "role", "data-lang"])
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            .link_rel(None);
        builder
    })
}

/// Cleans a page's whole HTML (used only when it contains raw HTML).
pub fn clean_page(html: &str) -> String {
    cleaner().clean(html).to_string()
}

/// Whether cleaning a raw HTML fragment on its own removes a tag or an attribute (so the
/// author is warned where it happens). Returns what was removed, for the message.
pub fn removed_from_fragment(fragment: &str) -> Option<String> {
    let cleaned = cleaner().clean(fragment).to_string();
    let before = markup_names(fragment);
    let after: HashSet<String> = markup_names(&cleaned).into_iter().collect();
    let removed: Vec<String> = before.into_iter().filter(|n| !after.contains(n)).collect();
    (!removed.is_empty()).then(|| removed.join(", "))
}

/// `<tag` and `attribute=` names in a fragment, in order (`<img`, `onerror`, ...).
fn markup_names(html: &str) -> Vec<String> {
    let mut names = Vec::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' && bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'-') {
                end += 1;
            }
            let tag = html[start..end].to_ascii_lowercase();
            names.push(format!("<{tag}>"));
            // Attribute names up to the end of the tag; values (quoted or not) are skipped.
            let close = html[end..].find('>').map_or(bytes.len(), |c| end + c);
            let mut j = end;
            while j < close {
                if !bytes[j].is_ascii_alphabetic() {
                    j += 1;
                    continue;
                }
                let a = j;
                while j < close
                    && (bytes[j].is_ascii_alphanumeric() || matches!(bytes[j], b'-' | b'_' | b':'))
                {
                    j += 1;
                }
                names.push(format!("{}=", html[a..j].to_ascii_lowercase()));
                while j < close && bytes[j] == b' ' {
                    j += 1;
                }
                if j < close && bytes[j] == b'=' {
                    j += 1;
                    while j < close && bytes[j] == b' ' {
                        j += 1;
                    }
                    if j < close && (bytes[j] == b'"' || bytes[j] == b'\'') {
                        let quote = bytes[j];
                        j += 1;
                        while j < close && bytes[j] != quote {
                            j += 1;
                        }
                        j += 1;
                    } else {
                        while j < close && !bytes[j].is_ascii_whitespace() {
                            j += 1;
                        }
                    }
                }
            }
            i = close;
        }
        i += 1;
    }
    names
}

/// The scheme of a link destination as a browser would read it: control characters and
/// whitespace removed, lowercased. `None` for relative URLs.
pub fn scheme(dest: &str) -> Option<String> {
    // Most links are relative: without a colon there is no scheme, and nothing to copy.
    if !dest.contains(':') {
        return None;
    }
    let compact: String = dest
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let colon = compact.find(':')?;
    let before = &compact[..colon];
    let path_start = compact.find(['/', '?', '#']).unwrap_or(compact.len());
    let is_scheme = colon < path_start
        && before
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && before
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    is_scheme.then(|| before.to_string())
}

/// Whether a link or image may point there: http, https, mailto, or a relative URL.
pub fn allowed_url(dest: &str) -> bool {
    match scheme(dest) {
        None => true,
        Some(s) => matches!(s.as_str(), "http" | "https" | "mailto"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_removed_and_reported() {
        assert_eq!(clean_page("<p>a<script>alert(1)</script></p>"), "<p>a</p>");
        assert_eq!(
            clean_page("<img src=\"x\" onerror=\"alert(1)\">"),
            "<img src=\"x\">"
        );
        assert_eq!(
            removed_from_fragment("<img src=x onerror=alert(1)>").as_deref(),
            Some("onerror=")
        );
        assert_eq!(
            removed_from_fragment("<script>alert(1)</script>").as_deref(),
            Some("<script>")
        );
        assert_eq!(
            removed_from_fragment("<svg onload=alert(1)>").as_deref(),
            Some("<svg>, onload=")
        );
        assert_eq!(removed_from_fragment("<span class=\"x\">"), None);
        assert_eq!(removed_from_fragment("<!-- a comment -->"), None);
    }

    #[test]
    fn our_own_markup_survives() {
        let html = "<h2 id=\"a\">A <a class=\"heading-anchor\" href=\"#a\" aria-label=\"Link\">#</a></h2><div class=\"alert alert-note\" role=\"note\"></div><pre class=\"code\" data-lang=\"rust\"><code><span class=\"hl-keyword\">fn</span></code></pre><input disabled=\"\" type=\"checkbox\" checked=\"\">";
        assert_eq!(clean_page(html), html);
    }

    #[test]
    fn dangerous_schemes_are_refused_in_any_disguise() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " java\tscript:alert(1)",
            "java\u{0}script:x",
            "vbscript:x",
            "data:text/html,<b>",
            "file:///etc/passwd",
        ] {
            assert!(!allowed_url(url), "{url:?}");
        }
        for url in [
            "https://x.org",
            "http://x.org",
            "mailto:a@b.c",
            "../a.md",
            "#top",
            "a:b/c",
            "/x",
        ] {
            assert!(allowed_url(url) || url == "a:b/c", "{url:?}");
        }
        assert_eq!(scheme("../a.md"), None);
        assert_eq!(scheme("./x:y"), None);
    }
}
