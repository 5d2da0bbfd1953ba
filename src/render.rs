//! Stage 4, render: every page through its template, in parallel, each handed to the output
//! as soon as it is rendered.
//!
//! Templates come from the site's own `templates/` folder first, then from its theme; the
//! `default` theme is compiled into the binary so a folder with only `site.toml` and `content/`
//! builds. Templates see plain data: `site` (shared by every page and built once), `page`, and
//! `root`, the relative path back to the site root (`../../`), which templates put in front of
//! every URL so the output works at any path.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{include_dir, Dir};
use minijinja::{Environment, Value};
use rayon::prelude::*;
use serde::Serialize;

use crate::diag::{Diagnostic, Diagnostics};
use crate::output::{Output, Prepared};
use crate::resolve::{Page, PageIdx, Site};

/// The default theme, built into the binary.
static DEFAULT_THEME: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

/// Where a site's templates and static files come from.
#[derive(Clone)]
pub struct Theme {
    name: String,
    /// The theme folder on disk, or `None` for the built-in default theme.
    dir: Option<PathBuf>,
    /// The site's own `templates/`, which override the theme's file by file.
    overrides: PathBuf,
}

impl Theme {
    /// Finds the theme the site names: `themes/<name>/` under the site root, else the built-in
    /// default theme when the name is `default`.
    pub fn locate(root: &Path, name: &str) -> Result<Theme, Box<Diagnostic>> {
        let dir = root.join("themes").join(name);
        let overrides = root.join("templates");
        if dir.is_dir() {
            return Ok(Theme {
                name: name.to_string(),
                dir: Some(dir),
                overrides,
            });
        }
        if name == "default" {
            return Ok(Theme {
                name: name.to_string(),
                dir: None,
                overrides,
            });
        }
        Err(Box::new(
            Diagnostic::error(format!("theme `{name}` not found in themes/{name}/"))
                .in_file(crate::config::CONFIG_FILE)
                .with_hint("set `theme = \"default\"` to use the built-in theme"),
        ))
    }

    /// The text of a template, from the site's overrides or the theme.
    fn template(&self, name: &str) -> Option<String> {
        if name.split('/').any(|part| part == ".." || part.is_empty()) {
            return None;
        }
        if let Ok(text) = std::fs::read_to_string(self.overrides.join(name)) {
            return Some(text);
        }
        match &self.dir {
            Some(dir) => std::fs::read_to_string(dir.join("templates").join(name)).ok(),
            None => DEFAULT_THEME
                .get_file(format!("templates/{name}"))
                .and_then(|f| f.contents_utf8())
                .map(str::to_string),
        }
    }

    /// The theme's static files, as (path under `static/`, bytes), sorted by path.
    pub fn static_files(&self) -> std::io::Result<Vec<(String, Vec<u8>)>> {
        let mut files = Vec::new();
        match &self.dir {
            Some(dir) => {
                let base = dir.join("static");
                if base.is_dir() {
                    for entry in walkdir::WalkDir::new(&base).sort_by_file_name() {
                        let entry = entry.map_err(std::io::Error::other)?;
                        if entry.file_type().is_file() {
                            let rel = crate::diag::display_path(&base, entry.path());
                            files.push((rel, std::fs::read(entry.path())?));
                        }
                    }
                }
            }
            None => {
                if let Some(dir) = DEFAULT_THEME.get_dir("static") {
                    collect_embedded(dir, &mut files);
                }
            }
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(files)
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

fn collect_embedded(dir: &Dir<'static>, out: &mut Vec<(String, Vec<u8>)>) {
    for file in dir.files() {
        let rel = file.path().strip_prefix("static").unwrap_or(file.path());
        out.push((
            crate::diag::display_path(Path::new(""), rel),
            file.contents().to_vec(),
        ));
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
}

/// Declares a struct of template values whose keys are its fields' names, with `KEYS` (in
/// declaration order) and `get`, which finds a key by a `match`. Templates look keys up dozens
/// of times a page; a `match` is inlined and compares a key's bytes only with the names of the
/// same length, where a `BTreeMap` called `memcmp` for each name it passed and the map of a
/// serialised struct went through the template engine's dynamic calls.
macro_rules! keyed_values {
    ($(#[$meta:meta])* struct $name:ident { $($field:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        struct $name {
            $($field: Value,)+
        }

        impl $name {
            const KEYS: &'static [&'static str] = &[$(stringify!($field)),+];

            fn get(&self, key: &str) -> Option<&Value> {
                Some(match key {
                    $(stringify!($field) => &self.$field,)+
                    _ => return None,
                })
            }
        }
    };
}

/// Makes each of the [`keyed_values!`] structs named a template object of its own.
macro_rules! keyed_objects {
    ($($name:ident),+) => {$(
        impl minijinja::value::Object for $name {
            fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
                self.get(key.as_str()?).cloned()
            }

            fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
                self.get(key).cloned()
            }

            fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
                minijinja::value::Enumerator::Str(Self::KEYS)
            }
        }
    )+};
}

keyed_values! {
    /// A page as other pages' templates see it: enough for lists, links and cards.
    struct Summary {
        title,
        url,
        id,
        kind,
        kind_label,
        is_section,
        description,
        summary,
        date,
        updated,
        order,
        reading_time,
        word_count,
        fields,
    }
}

keyed_values! {
    /// The site as templates see it, the same for every page.
    struct SiteValues {
        title,
        description,
        language,
        base_url,
        repository,
        nav,
        kinds,
        tags,
        home,
        search_index,
        has_feed,
    }
}

keyed_values! {
    /// What a template is rendered with: `page` and `tag` are none where they do not apply.
    struct RootValues {
        site,
        page,
        tag,
        root,
    }
}

keyed_objects!(Summary, SiteValues, RootValues);

impl Summary {
    fn new(site: &Site, page: &Page) -> Summary {
        let updated = page
            .front
            .updated
            .as_deref()
            .or(page.source.as_ref().and_then(|s| s.last_commit.as_deref()));
        Summary {
            title: Value::from(page.front.title.as_str()),
            url: Value::from(page.url.as_str()),
            id: Value::from(page.id.as_str()),
            kind: Value::from(page.kind.as_str()),
            kind_label: Value::from(site.config.kind_label(&page.kind)),
            is_section: Value::from(page.is_section),
            description: Value::from(page.front.description.as_deref()),
            summary: Value::from(page.body.summary.as_str()),
            date: Value::from(page.front.date.as_deref()),
            updated: Value::from(updated),
            order: Value::from(page.front.order),
            reading_time: Value::from(page.body.reading_time),
            word_count: Value::from(page.body.word_count),
            fields: Value::from_serialize(&page.front.fields),
        }
    }
}

/// What every render shares: the site data and each page's summary, built once (and kept by
/// the dev server between quick rebuilds, when no summary has changed).
pub struct RenderData {
    site: Value,
    summaries: Vec<Value>,
    /// Links point at `index.html` files (`--portable`).
    portable: bool,
}

impl RenderData {
    /// Renders links that work from disk (`--portable`).
    pub fn portable(mut self, portable: bool) -> Self {
        self.portable = portable;
        self
    }
}

/// Which pages to render, and where their HTML comes from.
pub enum Pages<'a> {
    /// Every page, with the pages' HTML taken out of the site ([`Site::take_html`], in page
    /// order), each page's freed as soon as it is rendered: a build.
    AllTakingHtml(Vec<String>),
    /// Every page (`None`) or some, their HTML left in the site for later renders: the dev
    /// server.
    KeepingHtml(Option<&'a std::collections::HashSet<PageIdx>>),
}

/// Renders with data built earlier (see [`RenderData`]).
pub fn render_pages_with(
    site: &Site,
    theme: &Theme,
    assets: &BTreeMap<String, String>,
    shared: &RenderData,
    pages: Pages<'_>,
    output: &mut Output,
    diags: &mut Diagnostics,
) {
    let env = environment(theme, assets);
    let mut jobs = render_jobs(site);
    match pages {
        Pages::AllTakingHtml(mut html) => {
            for job in &mut jobs {
                job.html = job.page.and_then(|p| html.get_mut(p)).map(std::mem::take);
            }
        }
        Pages::KeepingHtml(Some(only)) => {
            jobs.retain(|job| job.page.is_some_and(|p| only.contains(&p)));
        }
        Pages::KeepingHtml(None) => {}
    }
    // Each thread hands its page to the output as soon as it is rendered: a staged output
    // writes it there and then, so rendered pages are never all in memory at once.
    let results: Vec<(String, Result<Prepared, TemplateFailure>)> = jobs
        .into_par_iter()
        .map(|job| {
            let rendered = PAGE_BUFFER.with_borrow_mut(|buffer| {
                buffer.clear();
                render_job(&env, site, shared, &job, buffer)?;
                Ok(if shared.portable {
                    // Templates write text, so the buffer is UTF-8.
                    let html = crate::site_files::portable_links(&String::from_utf8_lossy(buffer));
                    output.prepare(&job.output, html.into_bytes())
                } else {
                    output.prepare(&job.output, buffer.as_slice())
                })
            });
            (job.output.clone(), rendered)
        })
        .collect();
    let mut failures: BTreeMap<String, (TemplateFailure, Vec<String>)> = BTreeMap::new();
    for (path, result) in results {
        match result {
            Ok(prepared) => output.commit(path, prepared, diags),
            Err(failure) => {
                failures
                    .entry(failure.key())
                    .or_insert_with(|| (failure, Vec::new()))
                    .1
                    .push(path);
            }
        }
    }
    for (_, (failure, paths)) in failures {
        diags.push(failure.into_diagnostic(&paths));
    }
}

/// One file to render: which template, for which page (if any), at which depth.
struct Job {
    template: String,
    output: String,
    page: Option<PageIdx>,
    tag: Option<usize>,
    /// The relative path from the file to the site root.
    root: String,
    /// The page's HTML when it was taken out of the site ([`Pages::AllTakingHtml`]).
    html: Option<String>,
}

fn render_jobs(site: &Site) -> Vec<Job> {
    let mut jobs: Vec<Job> = site
        .pages
        .iter()
        .enumerate()
        .map(|(i, page)| Job {
            template: template_for(site, i, page),
            output: page.output.clone(),
            page: Some(i),
            tag: None,
            root: root_for(page.depth()),
            html: None,
        })
        .collect();
    if !site.tags.is_empty() {
        jobs.push(Job {
            template: "tags.html".into(),
            output: "tags/index.html".into(),
            page: None,
            tag: None,
            root: root_for(1),
            html: None,
        });
        for (t, tag) in site.tags.iter().enumerate() {
            jobs.push(Job {
                template: "tag.html".into(),
                output: format!("{}index.html", tag.url()),
                page: None,
                tag: Some(t),
                root: root_for(2),
                html: None,
            });
        }
    }
    // The 404 page is served at whatever path was asked for, so a relative root cannot work:
    // it uses the path of `base_url`, or `/`.
    jobs.push(Job {
        template: "404.html".into(),
        output: "404.html".into(),
        page: None,
        tag: None,
        root: site.config.base_path(),
        html: None,
    });
    jobs
}

fn template_for(site: &Site, idx: PageIdx, page: &Page) -> String {
    if let Some(template) = page.front.fields.get("template").and_then(|t| t.as_str()) {
        return template.to_string();
    }
    if idx == site.home {
        return "index.html".into();
    }
    let kind = site.config.kinds.get(&page.kind);
    let chosen = if page.is_section {
        kind.and_then(|k| k.section_template.clone())
    } else {
        kind.and_then(|k| k.template.clone())
    };
    chosen.unwrap_or_else(|| {
        if page.is_section {
            "section.html"
        } else {
            "page.html"
        }
        .into()
    })
}

/// `../` once per folder of depth, or `./` at the root.
pub fn root_for(depth: usize) -> String {
    if depth == 0 {
        "./".into()
    } else {
        "../".repeat(depth)
    }
}

fn environment(theme: &Theme, assets: &BTreeMap<String, String>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_debug(true);
    let theme = theme.clone();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    // minijinja's HTML escaping also escapes `/`, which makes every URL unreadable in the
    // output; double-quoted attributes and text need only `&`, `<`, `>` and `"` escaped. The
    // escaped text goes straight into the output, not through a string of its own per value.
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) if state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() => {
            pulldown_cmark_escape::escape_html(pulldown_cmark_escape::FmtWriter(out), text)
                .map_err(minijinja::Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    env.set_loader(move |name| Ok(theme.template(name)));
    env.add_function("partial", PartialCache::default().into_function());
    let assets = Arc::new(assets.clone());
    env.add_function(
        "asset",
        move |name: &str| -> Result<String, minijinja::Error> {
            assets.get(name).cloned().ok_or_else(|| {
                minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("no static file `{name}` in the theme"),
                )
            })
        },
    );
    env
}

/// `partial(name, key=value, ...)`: renders the template `name` with `site` and the given
/// variables only, once per distinct set of values, and hands the same HTML to every later call.
///
/// This is what makes a theme's chrome cheap: the header and footer of every page differ only in
/// `root` and the current section, so they are rendered a few dozen times for a whole site
/// instead of once a page (a fifth of the render stage on a large site). Because the partial
/// sees nothing but its arguments (and `site`, fixed for the build), the cached HTML cannot be
/// wrong for a page: what it varies on is exactly its cache key. Each build starts empty.
#[derive(Default)]
struct PartialCache {
    /// By a hash of the name and variables; a hit is confirmed by comparing them, so a
    /// collision costs a render, never a wrong page.
    rendered: std::sync::Mutex<rustc_hash::FxHashMap<u64, Vec<RenderedPartial>>>,
}

struct RenderedPartial {
    name: String,
    vars: Vec<(String, Value)>,
    html: Value,
}

impl RenderedPartial {
    fn is_for(&self, name: &str, vars: &[(&str, Value)]) -> bool {
        self.name == name
            && self.vars.len() == vars.len()
            && self
                .vars
                .iter()
                .zip(vars)
                .all(|((k1, v1), (k2, v2))| k1 == k2 && v1 == v2)
    }
}

impl PartialCache {
    fn into_function(
        self,
    ) -> impl Fn(&minijinja::State, &str, minijinja::value::Kwargs) -> Result<Value, minijinja::Error>
           + Send
           + Sync
           + 'static {
        // Every page calls this a few times and nearly every call is a hit: a hit is looked
        // up without copying the name or the variables (copying both into a map for the key
        // cost about 5,000 instructions a call).
        move |state, name, kwargs| {
            let vars: Vec<(&str, Value)> = kwargs
                .args()
                .map(|key| Ok((key, kwargs.peek::<Value>(key)?)))
                .collect::<Result<_, minijinja::Error>>()?;
            let hash = {
                let mut hasher = rustc_hash::FxHasher::default();
                (name, &vars).hash(&mut hasher);
                hasher.finish()
            };
            let remembered = self.rendered().get(&hash).and_then(|same_hash| {
                same_hash
                    .iter()
                    .find(|partial| partial.is_for(name, &vars))
                    .map(|partial| partial.html.clone())
            });
            if let Some(html) = remembered {
                return Ok(html);
            }
            let given: BTreeMap<&str, Value> = vars.iter().cloned().collect();
            let context = minijinja::context! {
                site => state.lookup("site"),
                ..Value::from(given)
            };
            let html = Value::from_safe_string(state.env().get_template(name)?.render(context)?);
            self.rendered()
                .entry(hash)
                .or_default()
                .push(RenderedPartial {
                    name: name.to_string(),
                    vars: vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                    html: html.clone(),
                });
            Ok(html)
        }
    }

    /// The remembered partials. The lock is held only to look up or insert, never while
    /// rendering, so a partial may call `partial()` itself.
    fn rendered(
        &self,
    ) -> std::sync::MutexGuard<'_, rustc_hash::FxHashMap<u64, Vec<RenderedPartial>>> {
        self.rendered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Builds the data every page's render shares.
pub fn render_data(site: &Site) -> RenderData {
    let summaries: Vec<Value> = site
        .pages
        .par_iter()
        .map(|page| Value::from_object(Summary::new(site, page)))
        .collect();
    let list = |idxs: &mut dyn Iterator<Item = PageIdx>| -> Value {
        Value::from(idxs.map(|i| summaries[i].clone()).collect::<Vec<_>>())
    };
    let home = &site.pages[site.home];
    let nav = list(&mut home.subsections.iter().copied());
    let kinds: BTreeMap<&str, Value> = site
        .config
        .kinds
        .keys()
        .map(|name| {
            let pages = list(&mut site.pages_of_kind(name));
            let info =
                minijinja::context! { label => site.config.kind_label(name), pages => pages };
            (name.as_str(), info)
        })
        .collect();
    let tags: Vec<Value> = site
        .tags
        .iter()
        .map(|t| minijinja::context! { name => t.name, url => t.url(), count => t.pages.len() })
        .collect();
    let config = &site.config;
    let site_value = Value::from_object(SiteValues {
        title: Value::from(config.title.as_str()),
        description: Value::from_serialize(&config.description),
        language: Value::from(config.language.as_str()),
        base_url: Value::from_serialize(&config.base_url),
        repository: Value::from_serialize(&config.repository),
        nav,
        kinds: Value::from_serialize(&kinds),
        tags: Value::from(tags),
        home: summaries[site.home].clone(),
        search_index: Value::from(crate::search::MANIFEST),
        has_feed: Value::from(config.feed.is_some()),
    });
    RenderData {
        site: site_value,
        summaries,
        portable: false,
    }
}

thread_local! {
    /// Each thread's buffer for the page it renders, kept from page to page: a page is written
    /// out as soon as it is rendered, so its bytes need no allocation of their own.
    static PAGE_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Renders one job's template into `out`.
fn render_job(
    env: &Environment<'_>,
    site: &Site,
    shared: &RenderData,
    job: &Job,
    out: &mut Vec<u8>,
) -> Result<(), TemplateFailure> {
    let fail = |err: minijinja::Error| TemplateFailure::new(&job.template, err);
    let template = env.get_template(&job.template).map_err(fail)?;
    let page = job
        .page
        .map(|i| page_value(site, shared, i, &job.root, job.html.as_deref()));
    let tag = job.tag.map(|t| {
        let tag = &site.tags[t];
        let pages: Vec<Value> = tag
            .pages
            .iter()
            .map(|&i| shared.summaries[i].clone())
            .collect();
        minijinja::context! { name => tag.name, url => tag.url(), pages => pages }
    });
    template
        .render_captured_to(
            Value::from_object(RootValues {
                site: shared.site.clone(),
                page: Value::from(page),
                tag: Value::from(tag),
                root: Value::from(job.root.as_str()),
            }),
            out,
        )
        .map(drop)
        .map_err(fail)
}

/// The page as its template sees it. `html` is the page's HTML if it was taken out of the site.
fn page_value(
    site: &Site,
    shared: &RenderData,
    idx: PageIdx,
    root: &str,
    html: Option<&str>,
) -> Value {
    let page = &site.pages[idx];
    let s = &shared.summaries;
    let pick =
        |list: &[PageIdx]| Value::from(list.iter().map(|&i| s[i].clone()).collect::<Vec<_>>());
    let mut ancestors = Vec::new();
    let mut parent = page.parent;
    while let Some(p) = parent {
        ancestors.push(p);
        parent = site.pages[p].parent;
    }
    ancestors.reverse();
    let mut backlinks: BTreeMap<&str, Vec<PageIdx>> = BTreeMap::new();
    for (from, _) in &page.backlinks {
        backlinks
            .entry(&site.pages[*from].kind)
            .or_default()
            .push(*from);
    }
    let backlinks: Vec<Value> = backlinks
        .into_iter()
        .map(|(kind, list)| minijinja::context! { kind => kind, label => site.config.kind_label(kind), pages => pick(&list) })
        .collect();
    let references: BTreeMap<&str, Value> = page
        .references
        .iter()
        .map(|(field, list)| (field.as_str(), pick(list)))
        .collect();
    let content = page
        .source
        .as_ref()
        .map(|_| fill_links(html.unwrap_or(&page.body.html), &page.link_urls, root))
        .unwrap_or_default();
    let edit_url = match (&site.config.repository, &page.source) {
        (Some(repo), Some(_)) => Some(format!(
            "{}/edit/{}/content/{}",
            repo.trim_end_matches('/'),
            site.config.branch,
            page.rel_path
        )),
        _ => None,
    };
    let tags: Vec<Value> = page
        .tags
        .iter()
        .map(|&t| minijinja::context! { name => site.tags[t].name, url => site.tags[t].url() })
        .collect();
    let fields = PageFields {
        headings: Value::from_serialize(&page.body.headings),
        toc: Value::from_serialize(toc(&page.body.headings)),
        ancestors: pick(&ancestors),
        pages: pick(&page.pages),
        subsections: pick(&page.subsections),
        prev: Value::from(page.prev.map(|i| s[i].clone())),
        next: Value::from(page.next.map(|i| s[i].clone())),
        backlinks: Value::from(backlinks),
        references: Value::from_serialize(&references),
        tags: Value::from(tags),
        edit_url: Value::from(edit_url),
        source_path: Value::from(page.source.as_ref().map(|src| src.display_path.clone())),
    };
    Value::from_object(PageObject {
        summary: s[idx].clone(),
        fields,
        content: Value::from_safe_string(content),
    })
}

/// A page as templates see it: its own fields, its summary's (looked up there, not copied: a
/// merged map would be enumerated and deduplicated whenever a template tests it), and its
/// content. `intro` and `sections` (the content split at its level-2 headings) are cut out of
/// the content only when a template asks for them: most layouts never do, and copying every
/// page's HTML twice more cost a twentieth of the render stage.
#[derive(Debug)]
struct PageObject {
    /// The page's [`Summary`], whose keys the page has too.
    summary: Value,
    fields: PageFields,
    content: Value,
}

keyed_values! {
    /// What a page has besides its summary and content.
    struct PageFields {
        headings,
        toc,
        ancestors,
        pages,
        subsections,
        prev,
        next,
        backlinks,
        references,
        tags,
        edit_url,
        source_path,
    }
}

impl PageObject {
    /// The keys templates see, besides `fields` and the summary's.
    const CONTENT_KEYS: [&'static str; 3] = ["content", "intro", "sections"];

    fn summary(&self) -> Option<&Summary> {
        self.summary.downcast_object_ref::<Summary>()
    }

    /// Every key a page has, sorted: its fields', its content's and its summary's. Made once.
    fn keys() -> &'static [&'static str] {
        static KEYS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
            let mut keys = PageFields::KEYS.to_vec();
            keys.extend(PageObject::CONTENT_KEYS);
            keys.extend(Summary::KEYS);
            keys.sort_unstable();
            keys
        });
        KEYS.as_slice()
    }

    /// The content's intro and sections, split at the level-2 headings of `headings`.
    fn split(&self) -> (&str, Vec<Value>) {
        let h2 = self
            .fields
            .headings
            .try_iter()
            .into_iter()
            .flatten()
            .filter(|h| {
                h.get_attr("level")
                    .is_ok_and(|level| level == Value::from(2))
            });
        split_sections(self.content.as_str().unwrap_or_default(), h2)
    }
}

impl minijinja::value::Object for PageObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        match key {
            "content" => Some(self.content.clone()),
            "intro" => Some(Value::from_safe_string(self.split().0.to_string())),
            "sections" => Some(Value::from(self.split().1)),
            _ => self
                .fields
                .get(key)
                .or_else(|| self.summary()?.get(key))
                .cloned(),
        }
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Str(PageObject::keys())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(PageObject::keys().len())
    }
}

/// Splits a page's HTML at its level-2 headings: the part before the first one, and each
/// section with its heading, so a layout can treat sections differently (a PR/FAQ sets its
/// press release apart from its FAQs). Headings are written by the parse stage as
/// `<h2 id="...">`, so the split points are exact.
fn split_sections(html: &str, mut h2: impl Iterator<Item = Value>) -> (&str, Vec<Value>) {
    let starts: Vec<usize> = memchr::memmem::find_iter(html.as_bytes(), b"<h2 id=\"").collect();
    let intro = &html[..starts.first().copied().unwrap_or(html.len())];
    let sections = starts
        .iter()
        .enumerate()
        .map(|(n, &start)| {
            let end = starts.get(n + 1).copied().unwrap_or(html.len());
            let heading = h2.next();
            let attr = |name| heading.as_ref().and_then(|h| h.get_attr(name).ok());
            minijinja::context! {
                id => attr("id"),
                title => attr("text"),
                html => Value::from_safe_string(html[start..end].to_string()),
            }
        })
        .collect();
    (intro, sections)
}

/// Swaps each `\0N\0` link placeholder for the link's URL relative to this page.
pub fn fill_links(html: &str, urls: &[String], root: &str) -> String {
    // Each placeholder becomes `root` and its URL: sized for that, the page is copied once.
    let links: usize = urls.iter().map(|url| root.len() + url.len()).sum();
    let mut out = String::with_capacity(html.len() + links);
    let mut rest = html;
    // `memchr` scans with vector instructions; `str::find` reads a word at a time, and the
    // scan covers every byte of every page.
    while let Some(start) = memchr::memchr(0, rest.as_bytes()) {
        let after = &rest[start + 1..];
        let Some(end) = memchr::memchr(0, after.as_bytes()) else {
            break;
        };
        out.push_str(&rest[..start]);
        let url = after[..end].parse::<usize>().ok().and_then(|n| urls.get(n));
        match url {
            Some(url) if url.starts_with('#') => out.push_str(&crate::markdown::escape_attr(url)),
            Some(url) => {
                out.push_str(root);
                out.push_str(&crate::markdown::escape_attr(url));
            }
            None => out.push('#'),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A table of contents entry: a heading and the headings one level below it.
#[derive(Serialize)]
struct TocEntry<'a> {
    id: &'a str,
    text: &'a str,
    level: u8,
    children: Vec<TocEntry<'a>>,
}

/// Nests the h2 and h3 headings of a page; h1 and h4-h6 are left out of the contents.
fn toc(headings: &[crate::markdown::Heading]) -> Vec<TocEntry<'_>> {
    let mut entries: Vec<TocEntry<'_>> = Vec::new();
    for h in headings.iter().filter(|h| h.level == 2 || h.level == 3) {
        let entry = TocEntry {
            id: &h.id,
            text: &h.text,
            level: h.level,
            children: Vec::new(),
        };
        match entries.last_mut() {
            Some(parent) if h.level == 3 => parent.children.push(entry),
            _ => entries.push(entry),
        }
    }
    entries
}

/// A template error, grouped with every output that hit the same one.
struct TemplateFailure {
    template: String,
    name: Option<String>,
    line: Option<usize>,
    message: String,
    source_line: Option<String>,
}

impl TemplateFailure {
    fn new(template: &str, err: minijinja::Error) -> Self {
        let name = err.name().map(str::to_string);
        let line = err.line();
        let source_line = err
            .template_source()
            .zip(line)
            .and_then(|(src, l)| src.lines().nth(l.saturating_sub(1)).map(str::to_string));
        let mut message = err
            .detail()
            .map_or_else(|| err.kind().to_string(), str::to_string);
        if let Some(cause) = std::error::Error::source(&err) {
            message.push_str(&format!(": {cause}"));
        }
        TemplateFailure {
            template: template.to_string(),
            name,
            line,
            message,
            source_line,
        }
    }

    fn key(&self) -> String {
        format!(
            "{:?}:{:?}:{}:{}",
            self.name, self.line, self.message, self.template
        )
    }

    fn into_diagnostic(self, outputs: &[String]) -> Diagnostic {
        let file = format!(
            "templates/{}",
            self.name.as_deref().unwrap_or(&self.template)
        );
        let first = outputs.first().map_or("", String::as_str);
        let more = match outputs.len() {
            0 | 1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        let message = format!(
            "template error: {} (while rendering {first}{more})",
            self.message
        );
        match (self.line, self.source_line) {
            (Some(line), Some(text)) => {
                let mut source = "\n".repeat(line - 1);
                let start = source.len();
                source.push_str(&text);
                let width = text.trim_start().len().max(1);
                let indent = text.len() - text.trim_start().len();
                Diagnostic::error(message).at(
                    &file,
                    &source,
                    start + indent..start + indent + width,
                )
            }
            _ => Diagnostic::error(message).in_file(&file),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_relative_urls() {
        let html = "<a href=\"\u{0}0\u{0}\">a</a> <a href=\"\u{0}1\u{0}\">b</a>";
        let urls = vec!["principles/ownership/#x".to_string(), "#local".to_string()];
        assert_eq!(
            fill_links(html, &urls, "../../"),
            "<a href=\"../../principles/ownership/#x\">a</a> <a href=\"#local\">b</a>"
        );
    }

    #[test]
    fn placeholders_around_other_text_unknown_or_unfinished() {
        let urls = vec!["a/".to_string()];
        assert_eq!(
            fill_links("é\u{0}0\u{0}ü\u{0}7\u{0}ß", &urls, "./"),
            "é./a/ü#ß"
        );
        assert_eq!(fill_links("x\u{0}0", &urls, "./"), "x\u{0}0");
        assert_eq!(fill_links("no links", &urls, "./"), "no links");
    }

    fn numbered(n: usize) -> Value {
        Value::from(n)
    }

    /// A summary whose values are the positions of their keys in [`Summary::KEYS`].
    fn numbered_summary() -> Summary {
        Summary {
            title: numbered(0),
            url: numbered(1),
            id: numbered(2),
            kind: numbered(3),
            kind_label: numbered(4),
            is_section: numbered(5),
            description: numbered(6),
            summary: numbered(7),
            date: numbered(8),
            updated: numbered(9),
            order: numbered(10),
            reading_time: numbered(11),
            word_count: numbered(12),
            fields: numbered(13),
        }
    }

    #[test]
    fn a_summary_finds_every_key_it_lists_and_no_other() {
        let summary = numbered_summary();
        for (n, key) in Summary::KEYS.iter().enumerate() {
            assert_eq!(summary.get(key), Some(&numbered(n)), "{key}");
        }
        assert_eq!(summary.get("content"), None);
    }

    #[test]
    fn page_fields_find_every_key_they_list_and_no_other() {
        let fields = PageFields {
            headings: numbered(0),
            toc: numbered(1),
            ancestors: numbered(2),
            pages: numbered(3),
            subsections: numbered(4),
            prev: numbered(5),
            next: numbered(6),
            backlinks: numbered(7),
            references: numbered(8),
            tags: numbered(9),
            edit_url: numbered(10),
            source_path: numbered(11),
        };
        for (n, key) in PageFields::KEYS.iter().enumerate() {
            assert_eq!(fields.get(key), Some(&numbered(n)), "{key}");
        }
        assert_eq!(fields.get("title"), None);
        // A template that lists the page's keys sees these, the content's and the summary's.
        let summary = Value::from_object(numbered_summary());
        let page = Value::from_object(PageObject {
            summary,
            fields,
            content: Value::from_safe_string("<p>x</p>".into()),
        });
        let env = Environment::new();
        let listed = env
            .render_str(
                "{{ page | list | join(',') }} {{ page | length }}",
                minijinja::context! { page },
            )
            .expect("renders");
        let mut keys: Vec<&str> = PageFields::KEYS.to_vec();
        keys.extend(PageObject::CONTENT_KEYS);
        keys.extend(Summary::KEYS);
        keys.sort_unstable();
        assert_eq!(listed, format!("{} {}", keys.join(","), keys.len()));
        let toc = env
            .render_str(
                "{{ page.toc }} {{ page.title }} {{ page.content }}",
                minijinja::context! { page },
            )
            .expect("renders");
        assert_eq!(toc, "1 0 <p>x</p>");
    }
}
