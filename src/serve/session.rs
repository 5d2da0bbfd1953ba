//! The dev server's builds: the first one complete, later ones doing only what a change needs.
//!
//! A rebuild re-reads the content, parses only the files whose text changed (the parse cache),
//! resolves the whole site (so every reference and link is checked again), and renders only the
//! pages a change can affect. Other pages see a page only through its summary (title, URL,
//! fields, order, ...): when an edit leaves every summary as it was, only the edited pages are
//! rendered again and every other file is carried over from the last build. A new or deleted
//! page, a changed summary, or any change to the configuration, templates or static files renders
//! everything. A failed rebuild keeps the last good build.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::config::SiteConfig;
use crate::diag::{Diagnostic, Diagnostics};
use crate::output::Output;
use crate::parse::ParseCache;
use crate::resolve::{Page, Site};
use crate::{load, render, resolve, search, site_files, BuildOptions};

/// What kind of files changed, which decides how much to rebuild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Only markdown under `content/`.
    Content,
    /// Only stylesheets of the theme or `static/`: pages stay, styles are swapped in place.
    Styles,
    /// Anything else: configuration, templates, other static files.
    Everything,
}

/// The outcome of a successful build, for the server and the browser.
pub struct Rebuilt {
    pub output: Arc<Output>,
    /// The output paths rendered afresh (`None`: all of them).
    pub pages: Option<Vec<String>>,
    /// Theme asset names to their fingerprinted paths (for swapping stylesheets).
    pub assets: BTreeMap<String, String>,
    pub warnings: Diagnostics,
    pub page_count: usize,
    pub millis: u128,
}

/// The state kept between builds.
pub struct Session {
    options: BuildOptions,
    cache: ParseCache,
    config_text: String,
    last: Option<Last>,
    /// The last good build's site, kept for quick rebuilds and the search index.
    site: Option<Site>,
    /// What the quick path needs to render one page again.
    render: Option<(render::Theme, BTreeMap<String, String>, render::RenderData)>,
    /// Whether the search index lags behind the site.
    search_stale: bool,
}

/// What the last good build left behind.
struct Last {
    output: Arc<Output>,
    summaries: HashMap<String, u64>,
}

impl Session {
    pub fn new(options: BuildOptions) -> Self {
        Session {
            options,
            cache: ParseCache::default(),
            config_text: String::new(),
            last: None,
            site: None,
            render: None,
            search_stale: false,
        }
    }

    /// The last good build's files, if there has been one.
    pub fn output(&self) -> Option<Arc<Output>> {
        self.last.as_ref().map(|l| l.output.clone())
    }

    /// Builds the site again after `change` to `paths`. On errors the last good build stays.
    pub fn rebuild(
        &mut self,
        change: Change,
        paths: &[std::path::PathBuf],
    ) -> Result<Rebuilt, Diagnostics> {
        let started = Instant::now();
        if change == Change::Content {
            if let Some(rebuilt) = self.quick_rebuild(paths, started)? {
                return Ok(rebuilt);
            }
        }
        self.full_rebuild(change, started)
    }

    /// Edited pages whose outline others rely on is unchanged: read, parse, check and render
    /// just those pages. `Ok(None)` when the change needs a full rebuild.
    fn quick_rebuild(
        &mut self,
        paths: &[std::path::PathBuf],
        started: Instant,
    ) -> Result<Option<Rebuilt>, Diagnostics> {
        let content = self.options.root.join(crate::load::CONTENT_DIR);
        let (Some(site), Some(last), Some((theme, assets, data))) =
            (&mut self.site, &self.last, &self.render)
        else {
            return Ok(None);
        };
        let mut rels: Vec<String> = Vec::new();
        for path in paths {
            let Some(rel) = path.strip_prefix(&content).ok().and_then(|r| r.to_str()) else {
                return Ok(None);
            };
            let rel = rel.replace('\\', "/");
            let known = site
                .pages
                .iter()
                .any(|p| p.rel_path == rel && p.source.is_some());
            if !rel.ends_with(".md") || !known || !path.is_file() {
                return Ok(None);
            }
            if !rels.contains(&rel) {
                rels.push(rel);
            }
        }
        if rels.is_empty() {
            return Ok(None);
        }
        let mut diags = Diagnostics::default();
        let mut changed = HashSet::new();
        for rel in &rels {
            let old_commit = site
                .pages
                .iter()
                .find(|p| &p.rel_path == rel)
                .and_then(|p| p.source.as_ref().and_then(|s| s.last_commit.clone()));
            let Some(mut source) = load::read_one(
                &self.options.root,
                rel,
                site.config.markdown.max_file_bytes,
                &mut diags,
            ) else {
                return Err(diags);
            };
            source.last_commit = old_commit;
            let (parsed, page_diags) = crate::parse::parse_single(&site.config, source);
            diags.extend(page_diags);
            if diags.has_errors() {
                return Err(diags);
            }
            if parsed.front.draft && !self.options.drafts {
                return Ok(None);
            }
            match resolve::replace_body(site, parsed)? {
                Some(idx) => {
                    changed.insert(idx);
                }
                None => return Ok(None),
            }
        }
        let mut fresh = Output::default();
        render::render_pages_with(
            site,
            theme,
            assets,
            data,
            render::Pages::KeepingHtml(Some(&changed)),
            &mut fresh,
            &mut diags,
        );
        if diags.has_errors() {
            return Err(diags);
        }
        let mut out = (*last.output).clone();
        let pages: Vec<String> = fresh.paths().map(str::to_string).collect();
        for path in &pages {
            out.remove(path);
            out.keep(path, &fresh);
        }
        let output = Arc::new(out);
        if let Some(last) = self.last.as_mut() {
            last.output = output.clone();
        }
        self.search_stale = true;
        Ok(Some(Rebuilt {
            output,
            pages: Some(pages),
            assets: assets.clone(),
            warnings: diags,
            page_count: site.pages.len(),
            millis: started.elapsed().as_millis(),
        }))
    }

    fn full_rebuild(&mut self, change: Change, started: Instant) -> Result<Rebuilt, Diagnostics> {
        let root = self.options.root.clone();
        let config_text = std::fs::read_to_string(root.join(crate::config::CONFIG_FILE))
            .map_err(|e| one(format!("cannot read site.toml: {e}")))?;
        let config = SiteConfig::parse(&config_text)?;
        if config_text != self.config_text {
            self.cache = ParseCache::default();
        }
        let theme = render::Theme::locate(&root, &config.theme).map_err(|d| {
            let mut diags = Diagnostics::default();
            diags.push(*d);
            diags
        })?;
        let mut diags = Diagnostics::default();
        let loaded = load::load_content(&root, config.markdown.max_file_bytes, &mut diags);
        let (parsed, cache, fresh) = crate::parse::parse_cached(
            &config,
            loaded.sources,
            self.options.drafts,
            &self.cache,
            &mut diags,
        );
        let site = resolve::resolve(config, parsed, loaded.assets, &mut diags);
        if diags.has_errors() {
            return Err(diags);
        }
        let summaries = summary_fingerprints(&site);
        let only = match (&self.last, change) {
            (Some(last), Change::Content) => {
                unchanged_neighbourhood(&site, &summaries, last, &fresh)
            }
            _ => None,
        };
        let mut out = Output::default();
        let assets = site_files::add_static_files(&root, &theme, &site, &mut out, &mut diags)
            .map_err(one)?;
        // The search index is rebuilt after the browser has its new page (`finish_search`).
        let data = render::render_data(&site);
        render::render_pages_with(
            &site,
            &theme,
            &assets,
            &data,
            render::Pages::KeepingHtml(only.as_ref()),
            &mut out,
            &mut diags,
        );
        site_files::add_site_wide(&site, &mut out, &mut diags);
        if diags.has_errors() {
            return Err(diags);
        }
        let pages = only.as_ref().map(|only| {
            let last = self
                .last
                .as_ref()
                .map(|l| l.output.clone())
                .unwrap_or_default();
            for page in &site.pages {
                if !out.contains(&page.output) {
                    out.keep(&page.output, &last);
                }
            }
            for path in ["404.html", "tags/index.html"] {
                out.keep(path, &last);
            }
            for tag in &site.tags {
                out.keep(&format!("{}index.html", tag.url()), &last);
            }
            for path in last.paths().filter(|p| p.starts_with("search/")) {
                out.keep(path, &last);
            }
            only.iter().map(|&i| site.pages[i].output.clone()).collect()
        });
        let pages = if change == Change::Styles {
            Some(Vec::new())
        } else {
            pages
        };
        let output = Arc::new(out);
        self.cache = cache;
        self.config_text = config_text;
        self.last = Some(Last {
            output: output.clone(),
            summaries,
        });
        let page_count = site.pages.len();
        self.site = Some(site);
        self.render = Some((theme, assets.clone(), data));
        self.search_stale = true;
        Ok(Rebuilt {
            output,
            pages,
            assets,
            warnings: diags,
            page_count,
            millis: started.elapsed().as_millis(),
        })
    }

    /// Rebuilds the search index of the last build and returns the build with it, or `None` if
    /// there is nothing to do. Called after the browser has been told to reload.
    pub fn finish_search(&mut self) -> Option<Arc<Output>> {
        if !self.search_stale {
            return None;
        }
        self.search_stale = false;
        let site = self.site.as_ref()?;
        let last = self.last.as_mut()?;
        let mut out = (*last.output).clone();
        let mut diags = Diagnostics::default();
        let mut index = Output::default();
        search::build_index(site, &mut index, &mut diags);
        for path in index.paths() {
            out.remove(path);
            out.keep(path, &index);
        }
        let output = Arc::new(out);
        last.output = output.clone();
        Some(output)
    }
}

/// The pages to render again after a content change, or `None` to render everything: only the
/// edited pages, when the set of pages and every page's summary are as they were.
fn unchanged_neighbourhood(
    site: &Site,
    summaries: &HashMap<String, u64>,
    last: &Last,
    fresh: &[String],
) -> Option<HashSet<usize>> {
    if summaries != &last.summaries {
        return None;
    }
    let fresh: HashSet<&str> = fresh.iter().map(String::as_str).collect();
    Some(
        site.pages
            .iter()
            .enumerate()
            .filter(|(_, p)| fresh.contains(p.rel_path.as_str()))
            .map(|(i, _)| i)
            .collect(),
    )
}

/// A hash of everything other pages can see of each page.
fn summary_fingerprints(site: &Site) -> HashMap<String, u64> {
    site.pages
        .iter()
        .map(|page| (page.rel_path.clone(), fingerprint(page)))
        .collect()
}

fn fingerprint(page: &Page) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    page.url.hash(&mut h);
    page.kind.hash(&mut h);
    page.id.hash(&mut h);
    page.front.title.hash(&mut h);
    page.front.description.hash(&mut h);
    page.front.order.hash(&mut h);
    page.front.date.hash(&mut h);
    page.front.updated.hash(&mut h);
    page.front.tags.hash(&mut h);
    page.body.summary.hash(&mut h);
    page.body.reading_time.hash(&mut h);
    serde_json::to_string(&page.front.fields)
        .unwrap_or_default()
        .hash(&mut h);
    page.source
        .as_ref()
        .and_then(|s| s.last_commit.as_ref())
        .hash(&mut h);
    h.finish()
}

fn one(message: String) -> Diagnostics {
    let mut diags = Diagnostics::default();
    diags.push(Diagnostic::error(message));
    diags
}

/// Sorts a changed path into the kind of rebuild it needs; editors' temporary files need none.
pub fn classify(root: &Path, path: &Path) -> Option<Change> {
    if is_editor_temp(path) {
        return None;
    }
    let rel = path.strip_prefix(root).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let is_css = path.extension().is_some_and(|e| e == "css");
    match first {
        "content" => Some(if path.extension().is_some_and(|e| e == "md") {
            Change::Content
        } else {
            Change::Everything
        }),
        "static" | "themes" if is_css => Some(Change::Styles),
        "static" | "themes" | "templates" => Some(Change::Everything),
        crate::config::CONFIG_FILE => Some(Change::Everything),
        _ => None,
    }
}

/// Swap files, backups and the scratch files of `sed -i` and friends.
fn is_editor_temp(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name == "4913"
        || matches!(ext, "swp" | "swx" | "tmp" | "bak")
        || (ext.is_empty() && name.starts_with("sed") && !path.exists())
}

/// The rebuild a batch of changes needs: the widest of them.
pub fn combine(changes: impl IntoIterator<Item = Change>) -> Option<Change> {
    changes.into_iter().fold(None, |acc, c| match (acc, c) {
        (None, c) => Some(c),
        (Some(Change::Everything), _) | (_, Change::Everything) => Some(Change::Everything),
        (Some(a), b) if a == b => Some(a),
        _ => Some(Change::Everything),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_classified_by_where_they_are() {
        let root = Path::new("/site");
        assert_eq!(
            classify(root, Path::new("/site/content/a.md")),
            Some(Change::Content)
        );
        assert_eq!(
            classify(root, Path::new("/site/content/a.png")),
            Some(Change::Everything)
        );
        assert_eq!(
            classify(root, Path::new("/site/themes/x/static/s.css")),
            Some(Change::Styles)
        );
        assert_eq!(
            classify(root, Path::new("/site/templates/page.html")),
            Some(Change::Everything)
        );
        assert_eq!(
            classify(root, Path::new("/site/site.toml")),
            Some(Change::Everything)
        );
        assert_eq!(classify(root, Path::new("/site/public/index.html")), None);
        assert_eq!(classify(root, Path::new("/site/content/.a.md.swp")), None);
        assert_eq!(classify(root, Path::new("/site/content/a.md~")), None);
        assert_eq!(classify(root, Path::new("/site/content/sedX1y2Z3")), None);
        assert_eq!(
            combine([Change::Content, Change::Content]),
            Some(Change::Content)
        );
        assert_eq!(
            combine([Change::Content, Change::Styles]),
            Some(Change::Everything)
        );
        assert_eq!(combine([]), None);
    }
}
