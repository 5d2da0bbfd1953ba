//! Stage 2, parse: each source file becomes a [`ParsedPage`]: its kind, its checked front
//! matter, and its body as HTML with headings and links. Pages are independent here, so this
//! stage runs in parallel; each page's problems are gathered and merged in file order.

use rayon::prelude::*;

use crate::config::{SiteConfig, PLAIN_KIND};
use crate::diag::{Diagnostic, Diagnostics};
use crate::front_matter::{self, FrontMatter, Schema};
use crate::load::SourceFile;
use crate::markdown::{parse_body, BodySource, ParsedBody};

/// A page after parsing, before it knows its place in the site.
#[derive(Debug, Clone)]
pub struct ParsedPage {
    pub source: SourceFile,
    /// The kind's name (`principle`), or `page` outside every kind's folder.
    pub kind: String,
    pub front: FrontMatter,
    pub body: ParsedBody,
}

impl ParsedPage {
    /// The id other pages reference this one by: front matter `id`, else the file name.
    pub fn id(&self) -> String {
        self.front
            .id
            .clone()
            .unwrap_or_else(|| self.source.stem().to_string())
    }
}

/// Parses every source in parallel. Drafts are dropped unless `drafts` is set.
pub fn parse_all(
    config: &SiteConfig,
    sources: Vec<SourceFile>,
    drafts: bool,
    diags: &mut Diagnostics,
) -> Vec<ParsedPage> {
    parse_sources(
        config,
        sources,
        drafts,
        &ParseCache::default(),
        false,
        diags,
    )
    .0
}

/// Earlier parse results by content path, so a rebuild parses only the files that changed.
#[derive(Debug, Default, Clone)]
pub struct ParseCache {
    entries: std::collections::HashMap<String, (ParsedPage, Vec<Diagnostic>)>,
}

impl ParseCache {
    fn get(&self, source: &SourceFile) -> Option<&(ParsedPage, Vec<Diagnostic>)> {
        self.entries.get(&source.rel_path).filter(|(page, _)| {
            page.source.text == source.text && page.source.last_commit == source.last_commit
        })
    }
}

/// Like [`parse_all`], reusing `cache` for files whose text has not changed. Returns the pages,
/// the new cache, and the content paths that were parsed afresh.
pub fn parse_cached(
    config: &SiteConfig,
    sources: Vec<SourceFile>,
    drafts: bool,
    cache: &ParseCache,
    diags: &mut Diagnostics,
) -> (Vec<ParsedPage>, ParseCache, Vec<String>) {
    parse_sources(config, sources, drafts, cache, true, diags)
}

/// Parses, reusing `cache`; fills a new cache only when `keep` (a one-off build has no use for
/// a second copy of every page).
fn parse_sources(
    config: &SiteConfig,
    sources: Vec<SourceFile>,
    drafts: bool,
    cache: &ParseCache,
    keep: bool,
    diags: &mut Diagnostics,
) -> (Vec<ParsedPage>, ParseCache, Vec<String>) {
    let schemas = Schemas::new(config);
    let results: Vec<(ParsedPage, Vec<Diagnostic>, bool)> = sources
        .into_par_iter()
        .map(|source| match cache.get(&source) {
            Some((page, page_diags)) => (page.clone(), page_diags.clone(), false),
            None => {
                let (page, page_diags) = parse_one(config, &schemas, source);
                (page, page_diags, true)
            }
        })
        .collect();
    let mut pages = Vec::with_capacity(results.len());
    let mut next = ParseCache::default();
    let mut fresh = Vec::new();
    for (page, page_diags, parsed) in results {
        diags.extend(page_diags.iter().cloned());
        if parsed {
            fresh.push(page.source.rel_path.clone());
        }
        if keep {
            next.entries
                .insert(page.source.rel_path.clone(), (page.clone(), page_diags));
        }
        if drafts || !page.front.draft {
            pages.push(page);
        }
    }
    (pages, next, fresh)
}

/// The front matter schema of every kind, built once.
struct Schemas {
    plain: Schema,
    kinds: std::collections::BTreeMap<String, Schema>,
}

impl Schemas {
    fn new(config: &SiteConfig) -> Self {
        Schemas {
            plain: front_matter::schema_for(None),
            kinds: config
                .kinds
                .iter()
                .map(|(name, kind)| (name.clone(), front_matter::schema_for(Some(kind))))
                .collect(),
        }
    }
}

/// Parses one source file (the dev server re-parsing a saved page).
pub fn parse_single(config: &SiteConfig, source: SourceFile) -> (ParsedPage, Vec<Diagnostic>) {
    parse_one(config, &Schemas::new(config), source)
}

/// Reports each of the kind's required headings that the page lacks.
fn check_headings(
    source: &SourceFile,
    body: &ParsedBody,
    kind: &crate::config::KindConfig,
    label: &str,
    diags: &mut Diagnostics,
) {
    for wanted in &kind.headings {
        let present = body
            .headings
            .iter()
            .any(|h| h.level == 2 && h.text.eq_ignore_ascii_case(wanted));
        if !present {
            let end = source.text.trim_end().len();
            diags.push(
                Diagnostic::error(format!("a {label} needs a `## {wanted}` section"))
                    .at(&source.display_path, &source.text, end..end)
                    .with_hint(format!(
                        "sections of a {label}, in order: {}",
                        kind.headings.join(", ")
                    )),
            );
        }
    }
}

fn parse_one(
    config: &SiteConfig,
    schemas: &Schemas,
    source: SourceFile,
) -> (ParsedPage, Vec<Diagnostic>) {
    let mut diags = Diagnostics::default();
    let kind = config
        .kind_for_folder(source.dir())
        .unwrap_or(PLAIN_KIND)
        .to_string();
    // Section pages (`_index.md`) introduce a folder; only the built-in fields apply to them.
    let (schema, label) = match schemas.kinds.get(&kind) {
        Some(schema) if !source.is_section() => (schema, config.kind_label(&kind).to_lowercase()),
        _ if source.is_section() => (&schemas.plain, "section page".to_string()),
        _ => (&schemas.plain, "page".to_string()),
    };
    let front = front_matter::parse(&source, &label, schema, &mut diags);
    let body = parse_body(&BodySource {
        file_text: &source.text,
        display_path: &source.display_path,
        body_start: source.body_start,
        dir: source.dir(),
        trust_html: config.markdown.trust_html,
    });
    let mut body = body;
    diags.extend(std::mem::take(&mut body.diagnostics));
    if let Some(kind_config) = config.kinds.get(&kind).filter(|k| k.require_headings) {
        if !source.is_section() {
            check_headings(&source, &body, kind_config, &label, &mut diags);
        }
    }
    let page = ParsedPage {
        source,
        kind,
        front,
        body,
    };
    (page, diags.into_iter().collect())
}
