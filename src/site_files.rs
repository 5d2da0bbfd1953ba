//! Site-wide files that are not pages: the theme's and the site's static files (theme CSS and
//! JavaScript fingerprinted by content hash), the code stylesheet, `sitemap.xml`, `robots.txt`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::diag::{Diagnostic, Diagnostics};
use crate::output::Output;
use crate::render::Theme;
use crate::resolve::Site;

/// Copies static files into `out` and returns the map from each theme asset's name to its
/// fingerprinted path (`style.css` -> `style.1a2b3c4d.css`), for the `asset()` template function.
pub fn add_static_files(
    root: &Path,
    theme: &Theme,
    site: &Site,
    out: &mut Output,
    diags: &mut Diagnostics,
) -> Result<BTreeMap<String, String>, String> {
    let mut assets = BTreeMap::new();
    let mut theme_files = theme.static_files().map_err(|e| {
        format!(
            "cannot read the static files of theme `{}`: {e}",
            theme.name()
        )
    })?;
    let markdown = &site.config.markdown;
    match crate::highlight::stylesheet(&markdown.highlight_theme, &markdown.highlight_theme_dark) {
        Ok(css) => theme_files.push(("highlight.css".into(), css.into_bytes())),
        Err(message) => diags.push(Diagnostic::error(message).in_file(crate::config::CONFIG_FILE)),
    }
    let site_static = read_site_static(root)?;
    let overridden: std::collections::HashSet<&str> =
        site_static.iter().map(|(p, _)| p.as_str()).collect();
    for (path, bytes) in &theme_files {
        if overridden.contains(path.as_str()) {
            continue;
        }
        let published = fingerprint(path, bytes);
        assets.insert(path.clone(), published.clone());
        out.add(published, bytes.clone(), diags);
    }
    for (path, bytes) in site_static {
        assets.entry(path.clone()).or_insert_with(|| path.clone());
        out.add(path, bytes, diags);
    }
    let mut ids = crate::schema::KnownIds::new();
    for page in site
        .pages
        .iter()
        .filter(|p| !p.is_section && !p.kind.is_empty())
    {
        ids.entry(page.kind.clone())
            .or_default()
            .push(page.id.clone());
    }
    for list in ids.values_mut() {
        list.sort();
    }
    for (path, text) in crate::schema::all_schemas(&site.config, &ids) {
        out.add(path, text.into_bytes(), diags);
    }
    for asset in &site.assets {
        let bytes = std::fs::read(&asset.path)
            .map_err(|e| format!("cannot read {}: {e}", asset.path.display()))?;
        out.add(asset.rel_path.clone(), bytes, diags);
    }
    Ok(assets)
}

fn read_site_static(root: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let base = root.join("static");
    let mut files = Vec::new();
    if !base.is_dir() {
        return Ok(files);
    }
    for entry in walkdir::WalkDir::new(&base).sort_by_file_name() {
        let entry = entry.map_err(|e| format!("cannot read static/: {e}"))?;
        if entry.file_type().is_file() {
            let rel = crate::diag::display_path(&base, entry.path());
            let bytes = std::fs::read(entry.path())
                .map_err(|e| format!("cannot read {}: {e}", entry.path().display()))?;
            files.push((rel, bytes));
        }
    }
    Ok(files)
}

/// CSS and JavaScript get their content hash in the name (`assets/style.1a2b3c4d5e.css`), so
/// hosts can cache them forever.
fn fingerprint(path: &str, bytes: &[u8]) -> String {
    let Some((stem, ext)) = path.rsplit_once('.') else {
        return path.to_string();
    };
    if ext != "css" && ext != "js" {
        return path.to_string();
    }
    // Under assets/, so a host can cache the whole folder forever with one rule.
    format!("assets/{stem}.{}.{ext}", crate::output::content_hash(bytes))
}

/// Every site-wide file that is not a page or an asset: sitemap, robots.txt, redirects, feed.
/// The build and the dev server both call this, so neither can forget one.
pub fn add_site_wide(site: &Site, out: &mut Output, diags: &mut Diagnostics) {
    add_sitemap_and_robots(site, out, diags);
    add_redirects(site, out, diags);
    add_feed(site, out, diags);
}

/// `sitemap.xml` (absolute URLs when `base_url` is set, else paths relative to the site root)
/// and `robots.txt`.
pub fn add_sitemap_and_robots(site: &Site, out: &mut Output, diags: &mut Diagnostics) {
    let base = site
        .config
        .base_url
        .as_deref()
        .map(|b| format!("{}/", b.trim_end_matches('/')));
    let prefix = base.clone().unwrap_or_default();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for idx in site.reading_order() {
        let page = &site.pages[idx];
        xml.push_str("  <url><loc>");
        xml.push_str(&xml_escape(&format!("{prefix}{}", page.url)));
        xml.push_str("</loc>");
        if let Some(date) = page.front.updated.as_ref().or(page.front.date.as_ref()) {
            xml.push_str(&format!("<lastmod>{date}</lastmod>"));
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    out.add("sitemap.xml".into(), xml.into_bytes(), diags);
    let mut robots = String::from("User-agent: *\nAllow: /\n");
    if let Some(base) = base {
        robots.push_str(&format!("Sitemap: {base}sitemap.xml\n"));
    }
    out.add("robots.txt".into(), robots.into_bytes(), diags);
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A redirect page at each alias (works on every host) and Netlify's `_redirects` lines.
pub fn add_redirects(site: &Site, out: &mut Output, diags: &mut Diagnostics) {
    let prefix = site.config.base_path();
    let mut lines = String::new();
    for page in &site.pages {
        for alias in &page.aliases {
            let file = if alias.ends_with('/') {
                format!("{alias}index.html")
            } else {
                alias.clone()
            };
            // `old/path/` lives two folders down; `old/page.html` one.
            let depth = alias.matches('/').count();
            let target = format!("{}{}", crate::render::root_for(depth), page.url);
            let title = crate::markdown::escape_attr(&page.front.title);
            let target_attr = crate::markdown::escape_attr(&target);
            let html = format!(
                "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>Moved: {title}</title>\n<meta http-equiv=\"refresh\" content=\"0; url={target_attr}\">\n<meta name=\"robots\" content=\"noindex\">\n</head>\n<body>\n<p>This page has moved to <a href=\"{target_attr}\">{title}</a>.</p>\n</body>\n</html>\n",
                crate::markdown::escape_attr(&site.config.language)
            );
            out.add(file, html.into_bytes(), diags);
            lines.push_str(&format!("{prefix}{alias} {prefix}{} 301\n", page.url));
        }
    }
    if !lines.is_empty() {
        out.add("_redirects".into(), lines.into_bytes(), diags);
    }
}

/// `atom.xml`: the newest pages of the kinds `[feed]` names, with absolute links when
/// `base_url` is known.
pub fn add_feed(site: &Site, out: &mut Output, diags: &mut Diagnostics) {
    let Some(feed) = &site.config.feed else {
        return;
    };
    let base = site
        .config
        .base_url
        .as_deref()
        .map_or_else(String::new, |b| format!("{}/", b.trim_end_matches('/')));
    let date_of = |p: &crate::resolve::Page| {
        p.front
            .updated
            .clone()
            .or_else(|| p.source.as_ref().and_then(|s| s.last_commit.clone()))
            .or_else(|| p.front.date.clone())
            .unwrap_or_else(|| "1970-01-01".into())
    };
    let mut entries: Vec<&crate::resolve::Page> = site
        .pages
        .iter()
        .filter(|p| !p.is_section && feed.kinds.contains(&p.kind))
        .collect();
    entries.sort_by(|a, b| date_of(b).cmp(&date_of(a)).then_with(|| a.url.cmp(&b.url)));
    entries.truncate(feed.limit);
    let updated = entries
        .iter()
        .map(|p| date_of(p))
        .max()
        .unwrap_or_else(|| "1970-01-01".into());
    let title = feed
        .title
        .clone()
        .unwrap_or_else(|| site.config.title.clone());
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    xml.push_str(&format!("  <title>{}</title>\n", xml_escape(&title)));
    xml.push_str(&format!(
        "  <id>{}</id>\n",
        xml_escape(&feed_id(&base, "", &site.config.title))
    ));
    xml.push_str(&format!("  <updated>{updated}T00:00:00Z</updated>\n"));
    if !base.is_empty() {
        xml.push_str(&format!(
            "  <link rel=\"self\" href=\"{}atom.xml\"/>\n",
            xml_escape(&base)
        ));
        xml.push_str(&format!("  <link href=\"{}\"/>\n", xml_escape(&base)));
    }
    xml.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        xml_escape(&site.config.title)
    ));
    for page in entries {
        let summary = page
            .front
            .fields
            .get("summary")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .or_else(|| page.front.description.clone())
            .unwrap_or_else(|| page.body.summary.clone());
        xml.push_str("  <entry>\n");
        xml.push_str(&format!(
            "    <title>{}</title>\n",
            xml_escape(&page.front.title)
        ));
        xml.push_str(&format!(
            "    <id>{}</id>\n",
            xml_escape(&feed_id(&base, &page.url, &site.config.title))
        ));
        xml.push_str(&format!(
            "    <link href=\"{}{}\"/>\n",
            xml_escape(&base),
            xml_escape(&page.url)
        ));
        xml.push_str(&format!(
            "    <updated>{}T00:00:00Z</updated>\n",
            date_of(page)
        ));
        xml.push_str(&format!(
            "    <category term=\"{}\"/>\n",
            xml_escape(&page.kind)
        ));
        xml.push_str(&format!(
            "    <summary>{}</summary>\n",
            xml_escape(&summary)
        ));
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    out.add("atom.xml".into(), xml.into_bytes(), diags);
}

/// An entry's permanent id: its absolute URL when the site's address is known, else a `tag:`
/// URI made from the site's title (Atom ids must be absolute IRIs).
fn feed_id(base: &str, url: &str, title: &str) -> String {
    if base.is_empty() {
        format!(
            "tag:flywheel,2026:{}/{url}",
            crate::markdown::slugify(title)
        )
    } else {
        format!("{base}{url}")
    }
}

/// Makes every relative link of every page held in memory point at an `index.html` file:
/// opened from disk, a folder is not a page. (Rendered pages are made portable as they are
/// rendered; this covers the site-wide files.)
pub fn make_portable(out: &mut Output) {
    let pages: Vec<String> = out
        .paths()
        .filter(|p| p.ends_with(".html"))
        .map(str::to_string)
        .collect();
    for path in pages {
        let Some(html) = out.get(&path).and_then(|b| std::str::from_utf8(b).ok()) else {
            continue;
        };
        let rewritten = portable_links(html);
        out.replace(&path, rewritten.into_bytes());
    }
}

/// Adds `index.html` to relative `href` values that end in a folder (`../x/`, `./`, `../x/#a`).
pub fn portable_links(html: &str) -> String {
    let mut result = String::with_capacity(html.len() + 256);
    let mut rest = html;
    while let Some(at) = rest.find("href=\"") {
        let (head, tail) = rest.split_at(at + 6);
        result.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        let value = &tail[..end];
        let (path, fragment) = value
            .split_once('#')
            .map_or((value, None), |(p, f)| (p, Some(f)));
        let relative = !value.starts_with('#')
            && !value.starts_with('/')
            && !crate::markdown::is_external(value);
        if relative
            && (path.ends_with('/')
                || path.is_empty() && fragment.is_none()
                || path == "."
                || path == "..")
        {
            result.push_str(path);
            if !path.ends_with('/') {
                result.push('/');
            }
            result.push_str("index.html");
            if let Some(f) = fragment {
                result.push('#');
                result.push_str(f);
            }
        } else {
            result.push_str(value);
        }
        rest = &tail[end..];
    }
    result.push_str(rest);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_links_point_at_files() {
        let html = r##"<a href="./">h</a><a href="../x/#y">x</a><a href="a.css">c</a><a href="https://e.org/">e</a><a href="#top">t</a>"##;
        assert_eq!(
            portable_links(html),
            r##"<a href="./index.html">h</a><a href="../x/index.html#y">x</a><a href="a.css">c</a><a href="https://e.org/">e</a><a href="#top">t</a>"##
        );
    }
}
