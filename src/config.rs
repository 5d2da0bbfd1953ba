//! `site.toml`: the site's settings and its content kinds, read strictly.
//!
//! Every table is `deny_unknown_fields`, and an unknown key is reported with the closest valid
//! key, because a silently ignored typo (`titel = ...`) is the most common configuration bug of
//! static-site generators. After deserialising, [`SiteConfig::validate`] checks what serde
//! cannot: that references name declared kinds, that folders do not overlap, and so on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diag::{did_you_mean, Diagnostic, Diagnostics};

/// The name of the configuration file at the site root.
pub const CONFIG_FILE: &str = "site.toml";

/// The kind every page outside a declared kind's folder gets.
pub const PLAIN_KIND: &str = "page";

/// The whole of `site.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// The site's name, shown in the header and the page titles.
    pub title: String,
    /// One sentence about the site, for the home page and meta descriptions.
    #[serde(default)]
    pub description: String,
    /// The language of the content, as a BCP 47 tag (`en`, `en-GB`).
    #[serde(default = "default_language")]
    pub language: String,
    /// Where the site is published. Used only for canonical links, the sitemap and feeds: every
    /// link inside the site is relative, so the output works at any path without it.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The theme under `themes/`; `default` is built into Flywheel.
    #[serde(default = "default_theme")]
    pub theme: String,
    /// The repository that holds the site, for "edit this page" links.
    #[serde(default)]
    pub repository: Option<String>,
    /// The branch that "edit this page" links open.
    #[serde(default = "default_branch")]
    pub branch: String,
    /// Markdown and code highlighting settings.
    #[serde(default)]
    pub markdown: MarkdownConfig,
    /// The Atom feed, if the site has one.
    #[serde(default)]
    pub feed: Option<FeedConfig>,
    /// The content kinds, by name (`principle`, `case-study`, ...).
    #[serde(default)]
    pub kinds: BTreeMap<String, KindConfig>,
}

/// `[feed]`: an Atom feed (`atom.xml`) of the newest pages of some kinds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// The kinds whose pages the feed lists.
    pub kinds: Vec<String>,
    /// The feed's title; the site's title by default.
    #[serde(default)]
    pub title: Option<String>,
    /// How many entries, newest first.
    #[serde(default = "default_feed_limit")]
    pub limit: usize,
}

fn default_feed_limit() -> usize {
    30
}

fn default_language() -> String {
    "en".into()
}

fn default_theme() -> String {
    "default".into()
}

fn default_branch() -> String {
    "main".into()
}

/// `[markdown]`: how pages are turned into HTML.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MarkdownConfig {
    /// The syntect theme whose colours the light stylesheet for code uses.
    #[serde(default = "default_light_theme")]
    pub highlight_theme: String,
    /// The syntect theme for the dark colour scheme.
    #[serde(default = "default_dark_theme")]
    pub highlight_theme_dark: String,
    /// Pass raw HTML in content through as written. Off by default: content comes from many
    /// authors, so raw HTML is cleaned (no scripts, event handlers, svg, ...).
    #[serde(default)]
    pub trust_html: bool,
    /// The largest content file, in bytes; a larger one is an error.
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
}

fn default_max_file_bytes() -> u64 {
    2_000_000
}

impl Default for MarkdownConfig {
    fn default() -> Self {
        MarkdownConfig {
            highlight_theme: default_light_theme(),
            highlight_theme_dark: default_dark_theme(),
            trust_html: false,
            max_file_bytes: default_max_file_bytes(),
        }
    }
}

fn default_light_theme() -> String {
    "InspiredGitHub".into()
}

fn default_dark_theme() -> String {
    "base16-ocean.dark".into()
}

/// `[kinds.NAME]`: one kind of page, its folder, its template and its front matter schema.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KindConfig {
    /// How the kind is named to readers, in the singular ("Case study").
    #[serde(default)]
    pub label: Option<String>,
    /// The folder under `content/` whose pages are of this kind (`case-studies`).
    pub folder: String,
    /// The template for one page of the kind.
    #[serde(default)]
    pub template: Option<String>,
    /// The template for the folder's `_index.md` section page.
    #[serde(default)]
    pub section_template: Option<String>,
    /// The headings a new page of this kind starts with (used by `flywheel new`).
    #[serde(default)]
    pub headings: Vec<String>,
    /// Whether every page of the kind must have each of `headings` as a level-2 heading, so a
    /// PR/FAQ cannot leave out its internal FAQ.
    #[serde(default)]
    pub require_headings: bool,
    /// The front matter fields the kind adds to the built-in ones.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldConfig>,
}

/// The type of a front matter field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// A single-line string.
    String,
    /// A string that may hold several lines or paragraphs.
    Text,
    Integer,
    /// A TOML date (`2014-11-06`) or a string in that form.
    Date,
    Bool,
    /// An array; `of` says the type of its items.
    List,
    /// A string from a fixed set of `values`.
    Enum,
    /// An inline table (`{ title = "...", url = "..." }`).
    Table,
}

impl FieldType {
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Text => "text",
            FieldType::Integer => "integer",
            FieldType::Date => "date",
            FieldType::Bool => "bool",
            FieldType::List => "list",
            FieldType::Enum => "enum",
            FieldType::Table => "table",
        }
    }
}

/// One declared front matter field.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FieldConfig {
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub required: bool,
    /// For lists: the type of each item (default `string`).
    #[serde(default)]
    pub of: Option<FieldType>,
    /// For lists: the fewest items allowed.
    #[serde(default)]
    pub min: Option<usize>,
    /// For lists: the most items allowed.
    #[serde(default)]
    pub max: Option<usize>,
    /// For enums: the allowed values.
    #[serde(default)]
    pub values: Vec<String>,
    /// For strings and lists of strings: the kind whose page ids the values must be.
    #[serde(default)]
    pub references: Option<String>,
    /// What the field is for, shown in the editor schema and the contributor guide.
    #[serde(default)]
    pub description: Option<String>,
}

impl FieldConfig {
    /// A built-in field: optional, of the given type.
    fn builtin(kind: FieldType, of: Option<FieldType>, description: &str) -> Self {
        FieldConfig {
            kind,
            required: false,
            of,
            min: None,
            max: None,
            values: Vec::new(),
            references: None,
            description: Some(description.to_string()),
        }
    }

    /// The type of one item of a list field.
    pub fn item_type(&self) -> FieldType {
        self.of.unwrap_or(FieldType::String)
    }
}

/// The fields every page may carry whatever its kind. A kind may re-declare one to make it
/// required (a principle's `order`), but not change its type.
pub fn builtin_fields() -> BTreeMap<&'static str, FieldConfig> {
    use FieldType::*;
    let mut fields = BTreeMap::new();
    let mut title = FieldConfig::builtin(String, None, "The page title.");
    title.required = true;
    fields.insert("title", title);
    fields.insert(
        "description",
        FieldConfig::builtin(
            Text,
            None,
            "One or two sentences for lists and search engines.",
        ),
    );
    fields.insert(
        "id",
        FieldConfig::builtin(
            String,
            None,
            "The id other pages use to reference this one; the file name by default.",
        ),
    );
    fields.insert(
        "draft",
        FieldConfig::builtin(
            Bool,
            None,
            "Left out of the build unless `--drafts` is given.",
        ),
    );
    fields.insert(
        "order",
        FieldConfig::builtin(Integer, None, "Position within the section (lowest first)."),
    );
    fields.insert(
        "date",
        FieldConfig::builtin(Date, None, "When the page was written."),
    );
    fields.insert(
        "updated",
        FieldConfig::builtin(
            Date,
            None,
            "When the page last changed; taken from git when absent.",
        ),
    );
    fields.insert(
        "tags",
        FieldConfig::builtin(List, Some(String), "Free-form topics."),
    );
    fields.insert(
        "aliases",
        FieldConfig::builtin(
            List,
            Some(String),
            "Old paths of this page (`principles/owner/`): each gets a redirect to the page.",
        ),
    );
    fields.insert(
        "template",
        FieldConfig::builtin(
            String,
            None,
            "A template for this page alone, instead of its kind's (`matrix.html`).",
        ),
    );
    fields.insert(
        "sources",
        FieldConfig::builtin(
            List,
            Some(Table),
            "Where the facts come from: { title, publisher, year, url }.",
        ),
    );
    fields
}

impl SiteConfig {
    /// Parses `site.toml`, reporting every problem found with its position in `source`.
    pub fn parse(source: &str) -> Result<SiteConfig, Diagnostics> {
        let mut diags = Diagnostics::default();
        match toml::from_str::<SiteConfig>(source) {
            Ok(config) => {
                config.validate(source, &mut diags);
                if diags.has_errors() {
                    Err(diags)
                } else {
                    Ok(config)
                }
            }
            Err(err) => {
                diags.push(toml_error(&err, CONFIG_FILE, source, 0));
                Err(diags)
            }
        }
    }

    /// The declared kind whose folder holds `rel_dir` (a path under `content/`), if any.
    pub fn kind_for_folder(&self, rel_dir: &str) -> Option<&str> {
        self.kinds
            .iter()
            .filter(|(_, k)| rel_dir == k.folder || rel_dir.starts_with(&format!("{}/", k.folder)))
            .max_by_key(|(_, k)| k.folder.len())
            .map(|(name, _)| name.as_str())
    }

    /// The URL path the site is published under, from `base_url`, as `/` or `/kb/`. Only the
    /// 404 page (served at any path) and Netlify's `_redirects` need it.
    pub fn base_path(&self) -> String {
        let url = self.base_url.as_deref().unwrap_or("");
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path = after_scheme
            .find('/')
            .map_or("", |i| &after_scheme[i..])
            .trim_matches('/');
        if path.is_empty() {
            "/".to_string()
        } else {
            format!("/{path}/")
        }
    }

    /// The label readers see for a kind ("Case study"), derived from its name when not set.
    pub fn kind_label(&self, kind: &str) -> String {
        self.kinds
            .get(kind)
            .and_then(|k| k.label.clone())
            .unwrap_or_else(|| humanize(kind))
    }

    fn validate(&self, source: &str, diags: &mut Diagnostics) {
        let kind_names: Vec<&str> = self.kinds.keys().map(String::as_str).collect();
        for kind in self.feed.iter().flat_map(|f| &f.kinds) {
            if !self.kinds.contains_key(kind) {
                diags.push(
                    Diagnostic::error(format!("the feed lists the unknown kind `{kind}`"))
                        .at(CONFIG_FILE, source, span_of(source, &format!("\"{kind}\"")))
                        .with_hint_opt(
                            did_you_mean(kind, kind_names.iter().copied())
                                .map(|s| format!("did you mean `{s}`?")),
                        ),
                );
            }
        }
        let builtins = builtin_fields();
        let mut folders: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, kind) in &self.kinds {
            let here = |needle: &str| span_of(source, needle);
            let folder = kind.folder.trim_matches('/');
            if folder.is_empty() || folder.split('/').any(|p| p == ".." || p == ".") {
                diags.push(
                    Diagnostic::error(format!(
                        "kind `{name}` has folder `{}`, which is not a folder under content/",
                        kind.folder
                    ))
                    .at(CONFIG_FILE, source, here(&format!("[kinds.{name}]"))),
                );
            }
            if let Some(other) = folders.insert(folder, name) {
                diags.push(
                    Diagnostic::error(format!(
                        "kinds `{other}` and `{name}` share the folder `{folder}`"
                    ))
                    .at(CONFIG_FILE, source, here(&format!("[kinds.{name}]"))),
                );
            }
            for (field_name, field) in &kind.fields {
                let at = here(&format!("{field_name} ="));
                if let Some(builtin) = builtins.get(field_name.as_str()) {
                    if builtin.kind != field.kind {
                        diags.push(
                            Diagnostic::error(format!(
                                "kind `{name}` declares the built-in field `{field_name}` as {}, but it is always {}",
                                field.kind.name(),
                                builtin.kind.name()
                            ))
                            .at(CONFIG_FILE, source, at.clone()),
                        );
                    }
                }
                if let Some(target) = &field.references {
                    let item = if field.kind == FieldType::List {
                        field.item_type()
                    } else {
                        field.kind
                    };
                    if item != FieldType::String {
                        diags.push(
                            Diagnostic::error(format!(
                                "field `{field_name}` of kind `{name}` has `references`, so it must be a string or a list of strings"
                            ))
                            .at(CONFIG_FILE, source, at.clone()),
                        );
                    }
                    if !self.kinds.contains_key(target) {
                        diags.push(
                            Diagnostic::error(format!(
                                "field `{field_name}` of kind `{name}` references the unknown kind `{target}`"
                            ))
                            .at(CONFIG_FILE, source, at.clone())
                            .with_hint_opt(did_you_mean(target, kind_names.iter().copied()).map(|s| format!("did you mean `{s}`?"))),
                        );
                    }
                }
                if field.kind == FieldType::Enum && field.values.is_empty() {
                    diags.push(
                        Diagnostic::error(format!(
                            "enum field `{field_name}` of kind `{name}` lists no `values`"
                        ))
                        .at(CONFIG_FILE, source, at.clone()),
                    );
                }
                if field.kind != FieldType::List
                    && (field.of.is_some() || field.min.is_some() || field.max.is_some())
                {
                    diags.push(
                        Diagnostic::error(format!(
                            "field `{field_name}` of kind `{name}` is not a list, so `of`, `min` and `max` do not apply"
                        ))
                        .at(CONFIG_FILE, source, at),
                    );
                }
            }
        }
    }
}

/// "case-study" -> "Case study".
pub fn humanize(name: &str) -> String {
    let spaced = name.replace(['-', '_'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The span of the first occurrence of `needle`, or the start of the file.
fn span_of(source: &str, needle: &str) -> std::ops::Range<usize> {
    source
        .find(needle)
        .map_or(0..1, |start| start..start + needle.len())
}

/// Turns a TOML parse or schema error into a diagnostic at its place in the file.
///
/// `offset` is where the TOML starts inside `source` (front matter sits after a `+++` line).
/// serde's "unknown field `x`, expected one of `a`, `b`" becomes a did-you-mean hint.
pub fn toml_error(err: &toml::de::Error, file: &str, source: &str, offset: usize) -> Diagnostic {
    let message = err.message().trim().to_string();
    let span = err
        .span()
        .map_or(offset..offset + 1, |s| offset + s.start..offset + s.end);
    let (message, hint) = match unknown_field(&message) {
        Some((field, expected)) => {
            let hint = did_you_mean(&field, expected.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"))
                .or_else(|| Some(format!("valid keys here: {}", expected.join(", "))));
            (format!("unknown key `{field}`"), hint)
        }
        None => (message, None),
    };
    Diagnostic::error(message)
        .at(file, source, span)
        .with_hint_opt(hint)
}

/// Reads serde's unknown-field message back into the field and the valid names.
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((field.to_string(), expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_top_level_key_names_the_closest_key() {
        let err = SiteConfig::parse("title = \"x\"\ndescriptoin = \"y\"\n").unwrap_err();
        let d = err.sorted().remove(0);
        assert_eq!(d.message, "unknown key `descriptoin`");
        assert_eq!(d.hint.as_deref(), Some("did you mean `description`?"));
        assert_eq!(d.location.unwrap().line, 2);
    }

    #[test]
    fn references_to_an_unknown_kind_are_errors() {
        let src = "title = \"x\"\n[kinds.case-study]\nfolder = \"cs\"\n[kinds.case-study.fields]\nprinciples = { type = \"list\", references = \"principl\" }\n[kinds.principle]\nfolder = \"p\"\n";
        let d = SiteConfig::parse(src).unwrap_err().sorted().remove(0);
        assert!(
            d.message.contains("unknown kind `principl`"),
            "{}",
            d.message
        );
        assert_eq!(d.hint.as_deref(), Some("did you mean `principle`?"));
    }

    #[test]
    fn base_paths() {
        let with = |url: Option<&str>| SiteConfig {
            base_url: url.map(str::to_string),
            ..SiteConfig::parse("title = \"x\"").expect("config")
        };
        assert_eq!(with(None).base_path(), "/");
        assert_eq!(with(Some("https://x.org")).base_path(), "/");
        assert_eq!(with(Some("https://x.org/kb/")).base_path(), "/kb/");
        assert_eq!(with(Some("https://x.org/a/b")).base_path(), "/a/b/");
    }

    #[test]
    fn the_deepest_folder_wins() {
        let src = "title = \"x\"\n[kinds.a]\nfolder = \"a\"\n[kinds.b]\nfolder = \"a/b\"\n";
        let config = SiteConfig::parse(src).unwrap();
        assert_eq!(config.kind_for_folder("a/b/c"), Some("b"));
        assert_eq!(config.kind_for_folder("a"), Some("a"));
        assert_eq!(config.kind_for_folder("ab"), None);
    }
}
