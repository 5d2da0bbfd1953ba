//! Publishing anywhere: every internal URL resolves from the page's own location (so any subpath
//! works), the portable build links to files, moved pages redirect, the feed and the sitemap
//! parse.

use std::path::{Path, PathBuf};

use crate::harness::TestSite;

/// Builds the bundled site with extra arguments into a temporary folder.
fn bundled(args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("site");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .args([
            "build",
            "--quiet",
            "--root",
            env!("CARGO_MANIFEST_DIR"),
            "--output",
        ])
        .arg(&out)
        .args(args)
        .output()
        .expect("run flywheel");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    (dir, out)
}

/// Every `href`, `src` and `data-index` value of an HTML file.
fn urls(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["href=\"", "src=\"", "data-index=\""] {
        for (at, _) in html.match_indices(attr) {
            let rest = &html[at + attr.len()..];
            if let Some(end) = rest.find('"') {
                found.push(rest[..end].replace("&amp;", "&"));
            }
        }
    }
    found
}

/// Resolves `url` from the folder of `page` inside `out`; `None` for external URLs.
fn target(out: &Path, page: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['#', '?']).next().unwrap_or("");
    if url.starts_with('#')
        || url.contains("://")
        || url.starts_with("mailto:")
        || path.is_empty() && url.starts_with('#')
    {
        return None;
    }
    let mut resolved = if let Some(absolute) = path.strip_prefix('/') {
        out.join(absolute)
    } else {
        page.parent().expect("folder").join(path)
    };
    if path.is_empty() {
        resolved = page.to_path_buf();
    } else if path.ends_with('/') {
        resolved = resolved.join("index.html");
    }
    Some(resolved)
}

fn html_files(out: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| e.into_path())
        .collect()
}

fn assert_every_internal_url_resolves(out: &Path) -> usize {
    let mut checked = 0;
    for page in html_files(out) {
        let html = std::fs::read_to_string(&page).expect("html");
        for url in urls(&html) {
            let Some(file) = target(out, &page, &url) else {
                continue;
            };
            let normal = normalize(&file);
            assert!(
                normal.starts_with(out),
                "{}: {url} leaves the site",
                page.display()
            );
            assert!(
                normal.is_file(),
                "{}: {url} -> {} is missing",
                page.display(),
                normal.display()
            );
            checked += 1;
        }
    }
    checked
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn every_internal_url_resolves_from_its_page() {
    let (_dir, out) = bundled(&[]);
    let checked = assert_every_internal_url_resolves(&out);
    assert!(checked > 1000, "checked {checked} URLs");
    let text = std::fs::read_to_string(out.join("search/index.js")).expect("manifest");
    for file in text.split('"').filter(|s| s.starts_with("search/")) {
        assert!(out.join(file).is_file(), "the manifest names {file}");
    }
}

#[test]
fn the_portable_build_links_to_files() {
    let (_dir, out) = bundled(&["--portable"]);
    assert_every_internal_url_resolves(&out);
    for page in html_files(&out) {
        let html = std::fs::read_to_string(&page).expect("html");
        for url in urls(&html) {
            let path = url.split('#').next().unwrap_or("");
            let internal = !url.contains("://") && !url.starts_with('#') && !url.starts_with('/');
            assert!(
                !(internal && path.ends_with('/')),
                "{}: {url} is a folder",
                page.display()
            );
        }
    }
}

#[test]
fn base_url_can_be_replaced_for_deploy_previews() {
    let (_dir, out) = bundled(&["--base-url", "https://deploy-preview-42.example.org/"]);
    let page = std::fs::read_to_string(out.join("principles/ownership/index.html")).expect("page");
    assert!(page.contains("<link rel=\"canonical\" href=\"https://deploy-preview-42.example.org/principles/ownership/\">"));
    let sitemap = std::fs::read_to_string(out.join("sitemap.xml")).expect("sitemap");
    assert!(sitemap.contains("<loc>https://deploy-preview-42.example.org/</loc>"));
}

#[test]
fn feed_and_sitemap_are_valid_xml_with_absolute_urls() {
    let (_dir, out) = bundled(&[]);
    let feed = std::fs::read_to_string(out.join("atom.xml")).expect("feed");
    let doc = roxmltree::Document::parse(&feed).expect("the feed parses");
    let root = doc.root_element();
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2005/Atom")
    );
    let entries: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("entry"))
        .collect();
    assert_eq!(entries.len(), 9, "five case studies and four PR/FAQs");
    for entry in &entries {
        let link = entry
            .children()
            .find(|n| n.has_tag_name("link"))
            .and_then(|n| n.attribute("href"));
        assert!(link.is_some_and(|l| l.starts_with("https://")), "{link:?}");
        let term = entry
            .children()
            .find(|n| n.has_tag_name("category"))
            .and_then(|n| n.attribute("term"));
        assert!(matches!(term, Some("case-study" | "prfaq")), "{term:?}");
    }
    let sitemap = std::fs::read_to_string(out.join("sitemap.xml")).expect("sitemap");
    let doc = roxmltree::Document::parse(&sitemap).expect("the sitemap parses");
    let locs: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("loc"))
        .filter_map(|n| n.text())
        .collect();
    assert!(locs.len() > 40);
    assert!(locs
        .iter()
        .all(|l| l.starts_with("https://flywheel-kb.netlify.app/")));
    let robots = std::fs::read_to_string(out.join("robots.txt")).expect("robots");
    assert!(robots.contains("Sitemap: https://flywheel-kb.netlify.app/sitemap.xml"));
}

#[test]
fn pages_carry_description_and_open_graph_tags() {
    let (_dir, out) = bundled(&[]);
    let page = std::fs::read_to_string(out.join("case-studies/echo/index.html")).expect("page");
    for tag in [
        "<meta name=\"description\" content=\"A voice-controlled device",
        "<meta property=\"og:title\" content=\"Echo and Alexa\">",
        "<meta property=\"og:type\" content=\"article\">",
        "<meta property=\"og:url\" content=\"https://flywheel-kb.netlify.app/case-studies/echo/\">",
        "<link rel=\"alternate\" type=\"application/atom+xml\"",
    ] {
        assert!(page.contains(tag), "missing {tag}");
    }
}

#[test]
fn aliases_redirect_on_every_host_and_on_netlify() {
    let site = TestSite::basic().file(
        "content/principles/ownership.md",
        "+++\ntitle = \"Ownership\"\norder = 2\nsummary = \"s\"\naliases = [\"/old/owner/\", \"owner.html\"]\n+++\n## In practice\n",
    );
    let run = site.build().success();
    let redirect = run.output("old/owner/index.html");
    assert!(
        redirect.contains(
            "<meta http-equiv=\"refresh\" content=\"0; url=../../principles/ownership/\">"
        ),
        "{redirect}"
    );
    assert!(run
        .output("owner.html")
        .contains("url=./principles/ownership/"));
    let netlify = run.output("_redirects");
    assert!(
        netlify.contains("/kb/old/owner/ /kb/principles/ownership/ 301"),
        "{netlify}"
    );
}

#[test]
fn an_alias_that_collides_or_escapes_is_an_error() {
    let site = TestSite::basic().file(
        "content/principles/ownership.md",
        "+++\ntitle = \"Ownership\"\norder = 2\nsummary = \"s\"\naliases = [\"principles/customer-obsession/\", \"../../etc\"]\n+++\n## In practice\n",
    );
    let stderr = site.build().failure(1).stderr;
    assert!(stderr.contains("alias `principles/customer-obsession/` is already the URL of content/principles/customer-obsession.md"), "{stderr}");
    assert!(stderr.contains("unusable alias `../../etc`"), "{stderr}");
}

/// The `Cache-Control` that `netlify.toml` gives a path. Netlify applies every `[[headers]]` rule
/// whose `for` matches (`*` at the end matches any rest), a later rule's value replacing an
/// earlier one's.
fn netlify_cache_control(config: &toml::Table, path: &str) -> String {
    let rules = config["headers"].as_array().expect("[[headers]]");
    let mut found = String::new();
    for rule in rules {
        let pattern = rule["for"].as_str().expect("for");
        let matches = match pattern.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == pattern,
        };
        if let Some(value) = rule["values"].get("Cache-Control").filter(|_| matches) {
            found = value.as_str().expect("a string").to_string();
        }
    }
    found
}

#[test]
fn netlify_caches_for_good_only_files_named_by_their_content() {
    let config: toml::Table =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("netlify.toml"))
            .expect("netlify.toml")
            .parse()
            .expect("valid TOML");
    let (_dir, out) = bundled(&[]);
    let mut immutable = Vec::new();
    for entry in walkdir::WalkDir::new(&out)
        .into_iter()
        .filter_map(Result::ok)
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(&out)
            .expect("inside")
            .to_string_lossy()
            .replace('\\', "/");
        let cache = netlify_cache_control(&config, &format!("/{rel}"));
        if cache.contains("immutable") {
            let parts: Vec<&str> = rel.rsplit('/').next().unwrap_or(&rel).split('.').collect();
            assert!(
                parts.len() == 3
                    && parts[1].len() == 10
                    && parts[1].bytes().all(|b| b.is_ascii_hexdigit()),
                "{rel} is cached for good but its name carries no content hash"
            );
            immutable.push(rel);
        } else {
            assert_eq!(cache, "public, max-age=0, must-revalidate", "{rel}");
        }
    }
    for folder in ["assets/", "search/"] {
        assert!(
            immutable.iter().any(|f| f.starts_with(folder)),
            "nothing in {folder} is cached for good: {immutable:?}"
        );
    }
    let manifest = netlify_cache_control(&config, "/search/index.js");
    assert!(manifest.contains("must-revalidate"), "{manifest}");
}
