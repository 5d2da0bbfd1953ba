//! Stage 3, resolve: pages learn their place in the site.
//!
//! Here every page gets its URL; sections collect and sort their pages; reference fields are
//! checked and turned into backlinks; links between pages and their `#anchors` are checked; tags
//! are gathered. The result, [`Site`], is immutable and shared by every render thread.

use std::collections::BTreeMap;

use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::config::{humanize, SiteConfig};
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::front_matter::FrontMatter;
use crate::load::{AssetFile, SourceFile, SECTION_FILE};
use crate::markdown::{slugify, ParsedBody};
use crate::parse::ParsedPage;

/// An index into [`Site::pages`].
pub type PageIdx = usize;

/// A page in its place: a content page, a section page, or a section with no `_index.md`.
#[derive(Debug)]
pub struct Page {
    /// `None` for a section that has no `_index.md` (its title comes from the folder name).
    pub source: Option<SourceFile>,
    /// The content path of the page's source (`principles/ownership.md`, `principles/_index.md`).
    pub rel_path: String,
    pub kind: String,
    pub is_section: bool,
    pub id: String,
    pub front: FrontMatter,
    pub body: ParsedBody,
    /// The URL path relative to the site root, `""` for the home page, else ending in `/`.
    pub url: String,
    /// The file written for the page (`principles/ownership/index.html`).
    pub output: String,
    pub parent: Option<PageIdx>,
    /// For sections: the pages directly inside, in reading order.
    pub pages: Vec<PageIdx>,
    /// For sections: the sections directly inside, in reading order.
    pub subsections: Vec<PageIdx>,
    pub prev: Option<PageIdx>,
    pub next: Option<PageIdx>,
    /// Pages whose reference fields name this page, with the field's name.
    pub backlinks: Vec<(PageIdx, String)>,
    /// This page's reference fields, resolved, in field order.
    pub references: Vec<(String, Vec<PageIdx>)>,
    /// For each link placeholder in the HTML: the target URL relative to the site root, with its
    /// fragment (`principles/ownership/#in-practice`), or a bare `#fragment` within the page.
    pub link_urls: Vec<String>,
    /// Indexes into [`Site::tags`].
    pub tags: Vec<usize>,
    /// Old URL paths of the page (`principles/owner/`), each to get a redirect.
    pub aliases: Vec<String>,
}

impl Page {
    /// How many folders deep the page's URL is, which is how many `../` lead to the site root.
    pub fn depth(&self) -> usize {
        self.url.matches('/').count()
    }
}

/// A tag and the pages that carry it.
#[derive(Debug)]
pub struct Tag {
    pub name: String,
    pub slug: String,
    pub pages: Vec<PageIdx>,
}

impl Tag {
    pub fn url(&self) -> String {
        format!("tags/{}/", self.slug)
    }
}

/// The whole site, resolved.
#[derive(Debug)]
pub struct Site {
    pub config: SiteConfig,
    pub pages: Vec<Page>,
    pub tags: Vec<Tag>,
    pub assets: Vec<AssetFile>,
    /// The home page (the root section).
    pub home: PageIdx,
}

impl Site {
    /// Frees what only the checks needed (the source text of every page) once they have passed;
    /// a one-off build needs the memory for rendering. (The dev server keeps it.)
    pub fn release_source_text(&mut self) {
        for page in &mut self.pages {
            if let Some(source) = &mut page.source {
                source.text = String::new();
            }
        }
    }

    /// Takes every page's HTML out of the site, in page order, so rendering can free each one
    /// as soon as its page is written (see [`crate::render::Pages`]).
    pub fn take_html(&mut self) -> Vec<String> {
        self.pages
            .iter_mut()
            .map(|page| std::mem::take(&mut page.body.html))
            .collect()
    }

    /// All pages of a kind, sections excluded, in reading order.
    pub fn pages_of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = PageIdx> + 'a {
        self.reading_order()
            .into_iter()
            .filter(move |&i| !self.pages[i].is_section && self.pages[i].kind == kind)
    }

    /// Every page, in the order a reader following the sections would meet them.
    pub fn reading_order(&self) -> Vec<PageIdx> {
        let mut order = Vec::with_capacity(self.pages.len());
        let mut stack = vec![self.home];
        while let Some(section) = stack.pop() {
            order.push(section);
            order.extend(&self.pages[section].pages);
            stack.extend(self.pages[section].subsections.iter().rev());
        }
        order
    }
}

/// Resolves parsed pages into a site, reporting every broken reference and link.
pub fn resolve(
    config: SiteConfig,
    parsed: Vec<ParsedPage>,
    assets: Vec<AssetFile>,
    diags: &mut Diagnostics,
) -> Site {
    let mut pages: Vec<Page> = parsed.into_iter().map(Page::from_parsed).collect();
    add_missing_sections(&mut pages);
    pages.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    check_index_beside_section(&pages, diags);
    check_unique(&pages, diags);
    resolve_aliases(&mut pages, diags);
    let by_path: HashMap<&str, PageIdx> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.rel_path.as_str(), i))
        .collect();
    // The reading order within sections, which the tree, tags and backlinks all sort by.
    let rank = sort_keys(&pages);
    let tree = build_tree(&pages, &by_path, &rank);
    let links = resolve_links(&pages, &by_path, &assets, diags);
    let references = resolve_references(&pages, diags);
    drop(by_path);
    let tags = collect_tags(&pages, &rank);
    let home = tree.home;
    for (i, page) in pages.iter_mut().enumerate() {
        page.parent = tree.parent[i];
        page.pages = tree.pages[i].clone();
        page.subsections = tree.subsections[i].clone();
        page.link_urls = links[i].clone();
        page.references = references[i].clone();
    }
    for (i, refs) in references.iter().enumerate() {
        for (field, targets) in refs {
            for &t in targets {
                pages[t].backlinks.push((i, field.clone()));
            }
        }
    }
    for page in &mut pages {
        page.backlinks.sort_by_key(|(i, _)| rank[*i]);
        page.backlinks.dedup_by_key(|(i, _)| *i);
    }
    for section in 0..pages.len() {
        let members = pages[section].pages.clone();
        for (pos, &p) in members.iter().enumerate() {
            pages[p].prev = pos.checked_sub(1).map(|q| members[q]);
            pages[p].next = members.get(pos + 1).copied();
        }
    }
    for (t, tag) in tags.iter().enumerate() {
        for &p in &tag.pages {
            pages[p].tags.push(t);
        }
    }
    Site {
        config,
        pages,
        tags,
        assets,
        home,
    }
}

impl Page {
    fn from_parsed(parsed: ParsedPage) -> Page {
        let id = parsed.id();
        let rel_path = parsed.source.rel_path.clone();
        let is_section = parsed.source.is_section();
        let url = url_for(&rel_path);
        Page {
            output: format!("{url}index.html"),
            url,
            source: Some(parsed.source),
            rel_path,
            kind: parsed.kind,
            is_section,
            id,
            front: parsed.front,
            body: parsed.body,
            parent: None,
            pages: Vec::new(),
            subsections: Vec::new(),
            prev: None,
            next: None,
            backlinks: Vec::new(),
            references: Vec::new(),
            link_urls: Vec::new(),
            tags: Vec::new(),
            aliases: Vec::new(),
        }
    }
}

/// `principles/ownership.md` -> `principles/ownership/`; `principles/_index.md` ->
/// `principles/`; `guide/index.md` -> `guide/`; `_index.md` -> `` (the home page).
pub fn url_for(rel_path: &str) -> String {
    let (dir, name) = rel_path.rsplit_once('/').unwrap_or(("", rel_path));
    let stem = name.strip_suffix(".md").unwrap_or(name);
    let mut url = String::new();
    if !dir.is_empty() {
        url.push_str(dir);
        url.push('/');
    }
    if stem != "_index" && stem != "index" {
        url.push_str(stem);
        url.push('/');
    }
    url
}

/// Every folder that holds a page gets a section, even without an `_index.md`; so does the root.
fn add_missing_sections(pages: &mut Vec<Page>) {
    let have: HashSet<String> = pages.iter().map(|p| p.rel_path.clone()).collect();
    let mut needed: BTreeMap<String, ()> = BTreeMap::new();
    needed.insert(String::new(), ());
    for page in pages.iter() {
        let mut dir = parent_dir(&page.rel_path);
        while let Some(d) = dir {
            needed.insert(d.to_string(), ());
            dir = parent_dir_of_dir(d);
        }
    }
    for dir in needed.into_keys() {
        let rel_path = section_path(&dir);
        if have.contains(&rel_path) {
            continue;
        }
        let name = dir.rsplit('/').next().unwrap_or("");
        let front = FrontMatter {
            title: if dir.is_empty() {
                String::new()
            } else {
                humanize(name)
            },
            ..FrontMatter::default()
        };
        let url = url_for(&rel_path);
        pages.push(Page {
            source: None,
            output: format!("{url}index.html"),
            url,
            rel_path,
            kind: String::new(),
            is_section: true,
            id: if dir.is_empty() {
                "_index".into()
            } else {
                name.to_string()
            },
            front,
            body: ParsedBody::default(),
            parent: None,
            pages: Vec::new(),
            subsections: Vec::new(),
            prev: None,
            next: None,
            backlinks: Vec::new(),
            references: Vec::new(),
            link_urls: Vec::new(),
            tags: Vec::new(),
            aliases: Vec::new(),
        });
    }
}

fn section_path(dir: &str) -> String {
    if dir.is_empty() {
        SECTION_FILE.to_string()
    } else {
        format!("{dir}/{SECTION_FILE}")
    }
}

/// The folder holding a file (`a/b.md` -> `a`, `b.md` -> ``).
fn parent_dir(rel_path: &str) -> Option<&str> {
    Some(rel_path.rsplit_once('/').map_or("", |(d, _)| d))
}

/// The folder holding a folder, `None` above the root.
fn parent_dir_of_dir(dir: &str) -> Option<&str> {
    if dir.is_empty() {
        None
    } else {
        Some(dir.rsplit_once('/').map_or("", |(d, _)| d))
    }
}

fn check_index_beside_section(pages: &[Page], diags: &mut Diagnostics) {
    let sections: HashSet<&str> = pages
        .iter()
        .filter(|p| p.is_section && p.source.is_some())
        .map(|p| p.rel_path.as_str())
        .collect();
    for page in pages {
        let Some(source) = &page.source else { continue };
        if source.stem() == "index" {
            let section = section_path(source.dir());
            if sections.contains(section.as_str()) {
                diags.push(
                    Diagnostic::error(format!(
                        "`index.md` and `_index.md` are both in content/{}",
                        source.dir()
                    ))
                    .in_file(&source.display_path)
                    .with_hint("a folder is either a section (`_index.md`) or one page (`index.md`): rename or merge one of them"),
                );
            }
        }
    }
}

/// Windows cannot create files with these names, whatever the extension.
const RESERVED_NAMES: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Why a file or folder name cannot become part of a URL, if it cannot.
pub fn unusable_name(name: &str) -> Option<&'static str> {
    let base = name.split('.').next().unwrap_or(name).to_ascii_lowercase();
    if name.is_empty() || name == "." || name == ".." {
        Some("it is empty or a dot path")
    } else if RESERVED_NAMES.contains(&base.as_str()) {
        Some("Windows reserves that name, so the site could not be checked out or copied there")
    } else if name.ends_with('.') || name.ends_with(' ') {
        Some("it ends with a dot or a space")
    } else if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Some("URLs should use only letters, digits, `-`, `_` and `.`")
    } else {
        None
    }
}

/// File and folder names become URLs: each must be usable as one, on every host.
fn check_names(pages: &[Page], diags: &mut Diagnostics) {
    for page in pages {
        let Some(source) = &page.source else { continue };
        let path = source
            .rel_path
            .strip_suffix(".md")
            .unwrap_or(&source.rel_path);
        for part in path.split('/') {
            if let Some(why) = unusable_name(part) {
                let suggestion = crate::markdown::slugify(part);
                diags.push(
                    Diagnostic::error(format!("`{part}` cannot be part of a URL: {why}"))
                        .in_file(&source.display_path)
                        .with_hint(
                            if suggestion.is_empty()
                                || RESERVED_NAMES.contains(&suggestion.as_str())
                            {
                                "rename it".to_string()
                            } else {
                                format!("rename it to `{suggestion}`")
                            },
                        ),
                );
            }
        }
    }
}

/// The form of an output path in which two paths collide on some host: case folded, and in
/// Unicode normalisation form C (macOS and git may store either form).
fn collision_key(path: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    if path.is_ascii() {
        // ASCII is already in every normal form.
        return path.to_ascii_lowercase();
    }
    path.nfc().collect::<String>().to_lowercase()
}

/// Ids are unique within a kind, and output paths within the site.
fn check_unique(pages: &[Page], diags: &mut Diagnostics) {
    check_names(pages, diags);
    let mut ids: HashMap<(&str, &str), &Page> = HashMap::default();
    let mut outputs: HashMap<String, &Page> = HashMap::default();
    for page in pages {
        let Some(source) = &page.source else { continue };
        if !page.is_section {
            if let Some(first) = ids.insert((&page.kind, &page.id), page) {
                diags.push(
                    Diagnostic::error(format!("duplicate id `{}` for a {}", page.id, page.kind))
                        .in_file(&source.display_path)
                        .with_hint(format!(
                            "content/{} has the same id; set a different `id` in one of them",
                            first.rel_path
                        )),
                );
            }
        }
        let key = collision_key(&page.output);
        if let Some(first) = outputs.insert(key, page) {
            diags.push(
                Diagnostic::error(format!("two pages would be written to `{}`", page.output))
                    .in_file(&source.display_path)
                    .with_hint(format!(
                        "content/{} makes the same URL (names differing only in case or Unicode form collide on many hosts); rename one",
                        first.rel_path
                    )),
            );
        }
    }
}

/// Normalises every page's `aliases` into URL paths, reporting unusable ones and aliases that
/// collide with a page or with each other.
fn resolve_aliases(pages: &mut [Page], diags: &mut Diagnostics) {
    let mut taken: HashMap<String, String> = pages
        .iter()
        .map(|p| (collision_key(&p.url), p.rel_path.clone()))
        .collect();
    for page in pages.iter_mut() {
        let Some(source) = &page.source else { continue };
        let mut resolved = Vec::new();
        for alias in &page.front.aliases {
            let at = source
                .text
                .find(alias.as_str())
                .map_or(0..3, |i| i..i + alias.len());
            let here = |d: Diagnostic| d.at(&source.display_path, &source.text, at.clone());
            let Some(url) = alias_url(alias) else {
                diags.push(here(Diagnostic::error(format!("unusable alias `{alias}`"))).with_hint(
                    "write a path inside the site, such as `principles/owner/` (no `..`, no scheme)",
                ));
                continue;
            };
            if let Some(owner) = taken.insert(collision_key(&url), page.rel_path.clone()) {
                diags.push(here(Diagnostic::error(format!(
                    "alias `{alias}` is already the URL of content/{owner}"
                ))));
                continue;
            }
            resolved.push(url);
        }
        page.aliases = resolved;
    }
}

/// `/principles/owner` -> `principles/owner/`; `old.html` stays a file. `None` for paths that
/// leave the site or name nothing.
pub fn alias_url(alias: &str) -> Option<String> {
    if alias.contains("://") || alias.contains(['\\', '?', '#', '\0']) {
        return None;
    }
    let parts: Vec<&str> = alias.split('/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() || parts.iter().any(|p| *p == "." || *p == "..") {
        return None;
    }
    let joined = parts.join("/");
    Some(if joined.ends_with(".html") {
        joined
    } else {
        format!("{joined}/")
    })
}

struct Tree {
    home: PageIdx,
    parent: Vec<Option<PageIdx>>,
    pages: Vec<Vec<PageIdx>>,
    subsections: Vec<Vec<PageIdx>>,
}

fn build_tree(pages: &[Page], by_path: &HashMap<&str, PageIdx>, rank: &[usize]) -> Tree {
    let n = pages.len();
    let mut tree = Tree {
        home: by_path.get(SECTION_FILE).copied().unwrap_or(0),
        parent: vec![None; n],
        pages: vec![Vec::new(); n],
        subsections: vec![Vec::new(); n],
    };
    for (i, page) in pages.iter().enumerate() {
        let dir = page.rel_path.rsplit_once('/').map_or("", |(d, _)| d);
        let parent_dir = if page.is_section {
            parent_dir_of_dir(dir)
        } else {
            Some(dir)
        };
        let Some(parent_dir) = parent_dir else {
            continue;
        };
        let Some(&parent) = by_path.get(section_path(parent_dir).as_str()) else {
            continue;
        };
        tree.parent[i] = Some(parent);
        if page.is_section {
            tree.subsections[parent].push(i);
        } else {
            tree.pages[parent].push(i);
        }
    }
    for list in tree.pages.iter_mut().chain(tree.subsections.iter_mut()) {
        list.sort_by_key(|&i| rank[i]);
    }
    tree
}

/// The reading order of pages within a section: by `order`, then date, then title.
fn sort_keys(pages: &[Page]) -> Vec<usize> {
    let mut idx: Vec<PageIdx> = (0..pages.len()).collect();
    // Each key once per page, not once per comparison (it allocates a lowercased title).
    idx.sort_by_cached_key(|&i| {
        let p = &pages[i];
        (
            p.front.order.unwrap_or(i64::MAX),
            p.front.date.is_none(),
            p.front.date.clone(),
            p.front.title.to_lowercase(),
            p.rel_path.clone(),
        )
    });
    let mut rank = vec![0; pages.len()];
    for (r, i) in idx.into_iter().enumerate() {
        rank[i] = r;
    }
    rank
}

fn resolve_links(
    pages: &[Page],
    by_path: &HashMap<&str, PageIdx>,
    assets: &[AssetFile],
    diags: &mut Diagnostics,
) -> Vec<Vec<String>> {
    let asset_paths: HashSet<&str> = assets.iter().map(|a| a.rel_path.as_str()).collect();
    // Pages are checked in parallel, each into its own list of problems, reported in page order.
    let checked: Vec<(Vec<String>, Diagnostics)> = pages
        .par_iter()
        .map(|page| {
            let mut problems = Diagnostics::default();
            let links = page_links(page, pages, by_path, &asset_paths, &mut problems);
            (links, problems)
        })
        .collect();
    checked
        .into_iter()
        .map(|(links, problems)| {
            diags.extend(problems);
            links
        })
        .collect()
}

/// Checks one page's links and turns them into URLs relative to the site root.
fn page_links(
    page: &Page,
    pages: &[Page],
    by_path: &HashMap<&str, PageIdx>,
    asset_paths: &HashSet<&str>,
    diags: &mut Diagnostics,
) -> Vec<String> {
    let Some(source) = &page.source else {
        return Vec::new();
    };
    page.body
        .links
        .iter()
        .map(|link| {
            let here = |d: Diagnostic| d.at(&source.display_path, &source.text, link.span.clone());
            let fragment = link.fragment.as_deref().filter(|f| !f.is_empty());
            let (target, target_url) = match &link.target {
                None => (Some(page), String::new()),
                Some(path) if link.is_page => match by_path.get(path.as_str()) {
                    Some(&t) => (Some(&pages[t]), pages[t].url.clone()),
                    None => {
                        diags.push(
                            here(Diagnostic::error(format!(
                                "link to a missing page `{path}`"
                            )))
                            .with_hint_opt(
                                closest_path(path, by_path.keys().copied()).map(|s| {
                                    format!("did you mean `{s}`? (paths are relative to this file)")
                                }),
                            ),
                        );
                        return String::from("#");
                    }
                },
                Some(path) => {
                    if !asset_paths.contains(path.as_str()) {
                        diags.push(here(Diagnostic::error(format!(
                            "link to a missing file `content/{path}`"
                        ))));
                    }
                    return path.clone();
                }
            };
            let Some(fragment) = fragment else {
                return target_url;
            };
            if let Some(target) = target {
                if !target.body.headings.iter().any(|h| h.id == fragment) {
                    let ids = target.body.headings.iter().map(|h| h.id.as_str());
                    let hint = did_you_mean(fragment, ids).map(|s| format!("did you mean `#{s}`?"));
                    diags.push(
                        here(Diagnostic::error(format!(
                            "no heading `#{fragment}` in content/{}",
                            target.rel_path
                        )))
                        .with_hint_opt(hint),
                    );
                }
            }
            format!("{target_url}#{fragment}")
        })
        .collect()
}

/// Puts a re-parsed page in place of its earlier version, for the dev server's quick rebuilds.
///
/// Only when nothing other pages see of it has changed: the same kind, id and front matter
/// (so references, order, tags and aliases stand), the same headings (so links to its anchors
/// stand), and the same summary and reading time (what lists show). Its own links are checked
/// again. Returns the page's index, `Ok(None)` when the change is too wide for this (a full
/// rebuild is needed), or the problems found.
pub fn replace_body(site: &mut Site, parsed: ParsedPage) -> Result<Option<PageIdx>, Diagnostics> {
    let Some(idx) = site
        .pages
        .iter()
        .position(|p| p.rel_path == parsed.source.rel_path)
    else {
        return Ok(None);
    };
    let old = &site.pages[idx];
    let same_outline = old.kind == parsed.kind
        && old.id == parsed.id()
        && old.front.fields == parsed.front.fields
        && old.body.summary == parsed.body.summary
        && old.body.reading_time == parsed.body.reading_time
        && old.body.headings.len() == parsed.body.headings.len()
        && old
            .body
            .headings
            .iter()
            .zip(&parsed.body.headings)
            .all(|(a, b)| a.id == b.id && a.text == b.text && a.level == b.level);
    if !same_outline {
        return Ok(None);
    }
    let mut diags = Diagnostics::default();
    let mut page = Page::from_parsed(parsed);
    let by_path: HashMap<&str, PageIdx> = site
        .pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.rel_path.as_str(), i))
        .collect();
    let asset_paths: HashSet<&str> = site.assets.iter().map(|a| a.rel_path.as_str()).collect();
    let links = page_links(&page, &site.pages, &by_path, &asset_paths, &mut diags);
    drop(by_path);
    if diags.has_errors() {
        return Err(diags);
    }
    let old = &mut site.pages[idx];
    page.link_urls = links;
    old.body = page.body;
    old.source = page.source;
    old.link_urls = page.link_urls;
    Ok(Some(idx))
}

/// The existing page path whose file name is closest to the missing one's: comparing whole
/// paths would rate any two files of one folder as close, because they share the folder.
fn closest_path<'a>(missing: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    fn name(p: &str) -> &str {
        p.rsplit('/').next().unwrap_or(p)
    }
    let known: Vec<&str> = known.collect();
    let best = did_you_mean(name(missing), known.iter().map(|p| name(p)))?;
    let same_dir =
        |p: &&str| p.rsplit_once('/').map(|(d, _)| d) == missing.rsplit_once('/').map(|(d, _)| d);
    known
        .iter()
        .filter(|p| name(p) == best)
        .max_by_key(|p| same_dir(p))
        .copied()
}

type ResolvedRefs = Vec<(String, Vec<PageIdx>)>;

fn resolve_references(pages: &[Page], diags: &mut Diagnostics) -> Vec<ResolvedRefs> {
    let mut by_id: HashMap<(&str, &str), PageIdx> = HashMap::default();
    let mut ids_of_kind: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (i, page) in pages.iter().enumerate().filter(|(_, p)| !p.is_section) {
        by_id.entry((&page.kind, &page.id)).or_insert(i);
        ids_of_kind.entry(&page.kind).or_default().push(&page.id);
    }
    pages
        .iter()
        .map(|page| {
            let mut resolved: ResolvedRefs = Vec::new();
            let Some(source) = &page.source else {
                return resolved;
            };
            for reference in &page.front.references {
                let target = by_id.get(&(reference.kind.as_str(), reference.id.as_str()));
                if resolved.last().is_none_or(|(f, _)| *f != reference.field) {
                    resolved.push((reference.field.clone(), Vec::new()));
                }
                match target {
                    Some(&t) => {
                        if let Some((_, list)) = resolved.last_mut() {
                            list.push(t);
                        }
                    }
                    None => {
                        let known = ids_of_kind
                            .get(reference.kind.as_str())
                            .cloned()
                            .unwrap_or_default();
                        let hint = did_you_mean(&reference.id, known.iter().copied())
                            .map(|s| format!("did you mean `{s}`?"))
                            .or_else(|| {
                                let mut sample: Vec<&str> = known.clone();
                                sample.truncate(8);
                                (!sample.is_empty()).then(|| {
                                    format!("known {} ids: {}", reference.kind, sample.join(", "))
                                })
                            });
                        diags.push(
                            Diagnostic::error(format!(
                                "unknown {} `{}` in `{}`",
                                reference.kind, reference.id, reference.field
                            ))
                            .at(&source.display_path, &source.text, reference.span.clone())
                            .with_hint_opt(hint),
                        );
                    }
                }
            }
            resolved
        })
        .collect()
}

fn collect_tags(pages: &[Page], rank: &[usize]) -> Vec<Tag> {
    let mut tags: BTreeMap<String, Tag> = BTreeMap::new();
    for (i, page) in pages.iter().enumerate() {
        for name in &page.front.tags {
            let slug = slugify(name);
            if slug.is_empty() {
                continue;
            }
            tags.entry(slug.clone())
                .or_insert_with(|| Tag {
                    name: name.clone(),
                    slug,
                    pages: Vec::new(),
                })
                .pages
                .push(i);
        }
    }
    let mut tags: Vec<Tag> = tags.into_values().collect();
    for tag in &mut tags {
        tag.pages.sort_by_key(|&i| rank[i]);
        tag.pages.dedup();
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_pretty_and_relative() {
        assert_eq!(url_for("_index.md"), "");
        assert_eq!(url_for("principles/_index.md"), "principles/");
        assert_eq!(url_for("principles/ownership.md"), "principles/ownership/");
        assert_eq!(url_for("guide/index.md"), "guide/");
        assert_eq!(url_for("about.md"), "about/");
    }

    #[test]
    fn unusable_names() {
        assert!(unusable_name("con").is_some());
        assert!(unusable_name("CON.backup").is_some());
        assert!(unusable_name("fire phone").is_some());
        assert!(unusable_name("a?b").is_some());
        assert!(unusable_name("trailing.").is_some());
        assert!(unusable_name("día-1").is_none());
        assert!(unusable_name("sagemaker-data-wrangler").is_none());
        assert!(unusable_name("_index").is_none());
        assert_eq!(collision_key("Cafe\u{301}/"), collision_key("café/"));
    }

    #[test]
    fn aliases_are_paths_inside_the_site() {
        assert_eq!(
            alias_url("/principles/owner").as_deref(),
            Some("principles/owner/")
        );
        assert_eq!(alias_url("old.html").as_deref(), Some("old.html"));
        assert_eq!(alias_url("../../etc"), None);
        assert_eq!(alias_url("https://x.org/a"), None);
        assert_eq!(alias_url("/"), None);
    }
}
