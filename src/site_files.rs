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

/// CSS and JavaScript get their content hash in the name, so hosts can cache them forever.
fn fingerprint(path: &str, bytes: &[u8]) -> String {
    let Some((stem, ext)) = path.rsplit_once('.') else {
        return path.to_string();
    };
    if ext != "css" && ext != "js" {
        return path.to_string();
    }
    let hash = blake3::hash(bytes).to_hex();
    format!("{stem}.{}.{ext}", &hash[..10])
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
