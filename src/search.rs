//! Stage 4a, search: the client-side search index, built before rendering so every page can
//! point at it.
//!
//! One search document per section of each page (the text under a heading), with the page
//! title, the heading path, the kind and the URL with its `#anchor`. Text goes through
//! elasticlunr-rs's English pipeline (its tokenizer, trimmer, stop-word filter and Porter
//! stemmer), and terms are weighted the way elasticlunr scores them: the square root of the term
//! count, divided by the square root of the field's length, times the field's boost
//! (title > headings > body). The client in `themes/default/static/search.js` runs the same
//! pipeline on queries.
//!
//! elasticlunr's own serialised index is one JSON trie of every term, with every document's
//! text: that monolith is what grows to hundreds of megabytes on large sites. Flywheel writes the
//! postings instead, and splits them into shards by the first two characters of each term once
//! the site has more than [`SINGLE_SHARD_DOCS`] documents, so a query loads only the shards of its
//! own words. Document details (title, URL, a stretch of text for the snippet) sit in chunks of
//! [`DOCS_PER_CHUNK`], loaded only for the results shown. Every file is a script that hands its
//! data to `window.flywheelSearch`, so the index loads over HTTP and from `file://` alike.

use std::collections::{BTreeMap, HashMap};

use elasticlunr::lang::English;
use elasticlunr::Language as _;
use rayon::prelude::*;
use serde::Serialize;

use crate::diag::Diagnostics;
use crate::output::Output;
use crate::resolve::Site;

/// Up to this many documents, the whole index is one shard: fewer requests, still small.
pub const SINGLE_SHARD_DOCS: usize = 1000;
/// Documents per details chunk.
pub const DOCS_PER_CHUNK: usize = 256;
/// Characters of a section's text kept for the result snippet.
const SNIPPET_SOURCE_CHARS: usize = 600;
/// Longer tokens (hashes, URLs) are left out of the index; the client drops them too.
pub const MAX_TOKEN_BYTES: usize = 60;
/// Field boosts: a match in the title counts most, then in the heading path, then in the text.
const BOOST_TITLE: f64 = 10.0;
const BOOST_HEADINGS: f64 = 5.0;
const BOOST_BODY: f64 = 1.0;
/// Weights are stored as integers: the score times this.
const WEIGHT_SCALE: f64 = 1000.0;

/// The folder of the index files in the output.
const DIR: &str = "search";

/// One searchable section of a page.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    pub title: String,
    /// The headings above the section, outermost first (empty for a page's introduction).
    pub headings: Vec<String>,
    pub kind: String,
    /// Relative to the site root, with the section's `#anchor`.
    pub url: String,
    /// Plain text, whitespace collapsed.
    pub text: String,
}

/// Collects the search documents of every page, in reading order.
pub fn documents(site: &Site) -> Vec<SearchDoc> {
    let mut docs = Vec::new();
    for idx in site.reading_order() {
        let page = &site.pages[idx];
        if page.source.is_none() {
            continue;
        }
        let mut path: Vec<(u8, String)> = Vec::new();
        for section in &page.body.sections {
            let (url, headings) = match section.heading {
                Some(h) => {
                    let heading = &page.body.headings[h];
                    path.retain(|(level, _)| *level < heading.level);
                    path.push((heading.level, heading.text.clone()));
                    (
                        format!("{}#{}", page.url, heading.id),
                        path.iter().map(|(_, t)| t.clone()).collect(),
                    )
                }
                None => (page.url.clone(), Vec::new()),
            };
            docs.push(SearchDoc {
                title: page.front.title.clone(),
                headings,
                kind: page.kind.clone(),
                url,
                text: section
                    .text
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            });
        }
    }
    docs
}

/// Runs elasticlunr's English pipeline: the same steps the client runs on a query.
pub struct Analyzer {
    language: English,
    pipeline: elasticlunr::Pipeline,
}

impl Default for Analyzer {
    fn default() -> Self {
        let language = English::new();
        let pipeline = language.make_pipeline();
        Analyzer { language, pipeline }
    }
}

impl Analyzer {
    /// Tokenises, trims, drops stop words and stems.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut terms = self.pipeline.run(self.language.tokenize(text));
        terms.retain(|t| !t.is_empty() && t.len() <= MAX_TOKEN_BYTES);
        terms
    }
}

type Postings = HashMap<String, Vec<(u32, u32)>>;

/// Builds the index, adds its files to `out`, and returns the manifest's path for templates.
pub fn build_index(site: &Site, out: &mut Output, diags: &mut Diagnostics) -> String {
    let docs = documents(site);
    let postings = postings(&docs);
    let prefix = if docs.len() <= SINGLE_SHARD_DOCS {
        0
    } else {
        2
    };
    let mut shards: BTreeMap<String, BTreeMap<&str, Vec<u32>>> = BTreeMap::new();
    for (term, list) in &postings {
        let key: String = term.chars().take(prefix).collect();
        shards
            .entry(key)
            .or_default()
            .insert(term, delta_encode(list));
    }
    let mut shard_files = BTreeMap::new();
    for (key, terms) in &shards {
        let body = format!("flywheelSearch.terms({},{});\n", json(key), json(terms));
        let name = if key.is_empty() {
            "all".to_string()
        } else {
            hex(key)
        };
        let path = fingerprinted(&format!("t-{name}"), &body);
        shard_files.insert(key.clone(), path.clone());
        out.add(path, body.into_bytes(), diags);
    }
    let kinds: Vec<String> = {
        let mut k: Vec<String> = docs.iter().map(|d| d.kind.clone()).collect();
        k.sort();
        k.dedup();
        k
    };
    let mut chunk_files = Vec::new();
    for (n, chunk) in docs.chunks(DOCS_PER_CHUNK).enumerate() {
        let rows: Vec<DocRow<'_>> = chunk
            .iter()
            .map(|d| {
                DocRow(
                    &d.title,
                    &d.headings,
                    kinds.iter().position(|k| *k == d.kind).unwrap_or(0),
                    &d.url,
                    snippet_source(&d.text),
                )
            })
            .collect();
        let body = format!("flywheelSearch.docs({n},{});\n", json(&rows));
        let path = fingerprinted(&format!("d-{n}"), &body);
        chunk_files.push(path.clone());
        out.add(path, body.into_bytes(), diags);
    }
    let labels: Vec<(String, String)> = kinds
        .iter()
        .map(|k| (k.clone(), site.config.kind_label(k)))
        .collect();
    let manifest = Manifest {
        v: 1,
        docs: docs.len(),
        chunk: DOCS_PER_CHUNK,
        prefix,
        max_token: MAX_TOKEN_BYTES,
        kinds: labels,
        terms: shard_files,
        chunks: chunk_files,
    };
    let body = format!("flywheelSearch.manifest({});\n", json(&manifest));
    let path = fingerprinted("index", &body);
    out.add(path.clone(), body.into_bytes(), diags);
    path
}

#[derive(Serialize)]
struct Manifest {
    v: u32,
    docs: usize,
    chunk: usize,
    prefix: usize,
    max_token: usize,
    /// `[name, label]` for each kind; documents refer to kinds by position.
    kinds: Vec<(String, String)>,
    /// Shard key (the first `prefix` characters of a term) to file.
    terms: BTreeMap<String, String>,
    chunks: Vec<String>,
}

/// `[title, heading path, kind index, url, text]`: arrays keep the chunks small.
#[derive(Serialize)]
struct DocRow<'a>(&'a str, &'a [String], usize, &'a str, &'a str);

/// Term -> (document, weight) for every document, built in parallel.
fn postings(docs: &[SearchDoc]) -> Postings {
    // elasticlunr's pipeline is not thread-safe, so each chunk of documents gets its own.
    const CHUNK: usize = 512;
    let mut merged = docs
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, chunk)| {
            let analyzer = Analyzer::default();
            let mut acc = Postings::new();
            for (i, doc) in chunk.iter().enumerate() {
                let n = (c * CHUNK + i) as u32;
                for (term, weight) in weigh(&analyzer, doc) {
                    acc.entry(term).or_default().push((n, weight));
                }
            }
            acc
        })
        .reduce(Postings::new, |mut a, b| {
            for (term, list) in b {
                a.entry(term).or_default().extend(list);
            }
            a
        });
    for list in merged.values_mut() {
        list.sort_unstable();
    }
    merged
}

/// The weight of each term of one document, summed over its fields.
fn weigh(analyzer: &Analyzer, doc: &SearchDoc) -> BTreeMap<String, u32> {
    let mut scores: BTreeMap<String, f64> = BTreeMap::new();
    let fields = [
        (doc.title.as_str().into(), BOOST_TITLE),
        (doc.headings.join(" ").into(), BOOST_HEADINGS),
        (std::borrow::Cow::Borrowed(doc.text.as_str()), BOOST_BODY),
    ];
    for (text, boost) in fields {
        let terms = analyzer.terms(&text);
        if terms.is_empty() {
            continue;
        }
        let norm = 1.0 / (terms.len() as f64).sqrt();
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        for term in terms {
            *counts.entry(term).or_default() += 1;
        }
        for (term, count) in counts {
            *scores.entry(term).or_default() += boost * f64::from(count).sqrt() * norm;
        }
    }
    scores
        .into_iter()
        .map(|(term, score)| (term, ((score * WEIGHT_SCALE).round() as u32).max(1)))
        .collect()
}

/// `[doc, weight, doc - previous doc, weight, ...]`: small gaps print shorter than ids.
fn delta_encode(list: &[(u32, u32)]) -> Vec<u32> {
    let mut flat = Vec::with_capacity(list.len() * 2);
    let mut previous = 0;
    for &(doc, weight) in list {
        flat.push(doc - previous);
        flat.push(weight);
        previous = doc;
    }
    flat
}

fn snippet_source(text: &str) -> &str {
    match text.char_indices().nth(SNIPPET_SOURCE_CHARS) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    // Serialising plain maps, strings and numbers cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

fn hex(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

fn fingerprinted(stem: &str, body: &str) -> String {
    let hash = blake3::hash(body.as_bytes()).to_hex();
    format!("{DIR}/{stem}.{}.js", &hash[..10])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pipeline_stems_and_drops_stop_words() {
        let analyzer = Analyzer::default();
        assert_eq!(
            analyzer.terms("The customers' two-way doors!"),
            ["custom", "two", "way", "door"]
        );
        assert_eq!(
            analyzer.terms("Invent and Simplify"),
            ["invent", "simplifi"]
        );
    }

    #[test]
    fn title_outweighs_headings_and_body() {
        let analyzer = Analyzer::default();
        let doc = |title: &str, heading: &str, body: &str| SearchDoc {
            title: title.into(),
            headings: vec![heading.into()],
            kind: "page".into(),
            url: String::new(),
            text: body.into(),
        };
        let in_title = weigh(&analyzer, &doc("Frugality", "x", "y"))["frugal"];
        let in_heading = weigh(&analyzer, &doc("x", "Frugality", "y"))["frugal"];
        let in_body = weigh(&analyzer, &doc("x", "y", "Frugality"))["frugal"];
        assert!(in_title > in_heading && in_heading > in_body);
    }

    #[test]
    fn postings_are_delta_encoded() {
        assert_eq!(
            delta_encode(&[(3, 10), (7, 20), (8, 5)]),
            [3, 10, 4, 20, 1, 5]
        );
    }
}
