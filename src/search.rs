//! Stage 4b, search: the client-side search index, built after rendering (pages point at its
//! fixed [`MANIFEST`]), once the pages' HTML is freed.
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
//! [`DOCS_PER_CHUNK`], loaded only for the results shown, which the client picks with a small
//! table of each page's sections and kind ([`pages_body`]). Every file is a script that hands its
//! data to `window.flywheelSearch`, so the index loads over HTTP and from `file://` alike.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustc_hash::FxHashMap;

use elasticlunr::lang::English;
use elasticlunr::Language as _;
use rayon::prelude::*;
use serde::Serialize;

use crate::ascii;
use crate::diag::Diagnostics;
use crate::output::{Output, Prepared};
use crate::resolve::Site;

/// Up to this many documents, the whole index is one shard: fewer requests, still small.
pub const SINGLE_SHARD_DOCS: usize = 1000;
/// Past that, shards are split until none is larger than about this many bytes.
pub const SHARD_BYTES: usize = 150_000;
/// Documents per details chunk. The results of a query come from all over the site, nearly one
/// chunk each, so a chunk's size is what a result costs to show: 32 documents (about 6 KB
/// compressed) rather than 64 took the files a 10,000-page query loads from 648 to 410 KB
/// compressed, for twice the files in the build and a longer manifest.
pub const DOCS_PER_CHUNK: usize = 32;
/// Characters of a section's text kept for the result snippet.
const SNIPPET_SOURCE_CHARS: usize = 400;
/// Longer tokens (hashes, URLs) are left out of the index; the client drops them too.
pub const MAX_TOKEN_BYTES: usize = 60;
/// Field boosts: a match in the title counts most, then in the heading path, then in the text.
const BOOST_TITLE: f64 = 10.0;
const BOOST_HEADINGS: f64 = 5.0;
const BOOST_BODY: f64 = 1.0;
/// Weights are stored as integers: the score times this.
const WEIGHT_SCALE: f64 = 100.0;

/// The folder of the index files in the output.
const DIR: &str = "search";

/// One searchable section of a page, borrowing its text from the page.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc<'a> {
    pub title: &'a str,
    /// The headings above the section, outermost first (empty for a page's introduction).
    pub headings: Vec<&'a str>,
    pub kind: &'a str,
    /// The page's URL, relative to the site root.
    pub page_url: &'a str,
    /// The section's heading id, the URL's `#anchor` (empty for a page's introduction).
    pub anchor: &'a str,
    /// Plain text, whitespace collapsed.
    pub text: &'a str,
}

impl SearchDoc<'_> {
    /// The URL a result links to: the page's, with the section's `#anchor`. ([`docs_body`]
    /// prints the same two parts straight into a details chunk.)
    pub fn url(&self) -> String {
        if self.anchor.is_empty() {
            self.page_url.to_string()
        } else {
            format!("{}#{}", self.page_url, self.anchor)
        }
    }
}

/// Collects the search documents of every page, in reading order.
pub fn documents(site: &Site) -> Vec<SearchDoc<'_>> {
    site.reading_order()
        .par_iter()
        .flat_map_iter(|&idx| page_documents(&site.pages[idx]))
        .collect()
}

fn page_documents(page: &crate::resolve::Page) -> Vec<SearchDoc<'_>> {
    let mut docs = Vec::new();
    if page.source.is_none() {
        return docs;
    }
    let mut path: Vec<(u8, &str)> = Vec::new();
    for section in &page.body.sections {
        let (anchor, headings) = match section.heading {
            Some(h) => {
                let heading = &page.body.headings[h];
                path.retain(|(level, _)| *level < heading.level);
                path.push((heading.level, &heading.text));
                (heading.id.as_str(), path.iter().map(|(_, t)| *t).collect())
            }
            None => ("", Vec::new()),
        };
        docs.push(SearchDoc {
            title: &page.front.title,
            headings,
            kind: &page.kind,
            page_url: &page.url,
            anchor,
            text: section.text.trim(),
        });
    }
    docs
}

/// Runs elasticlunr's English pipeline: the same steps the client runs on a query.
///
/// A site repeats the same words endlessly, so each distinct raw token goes through the
/// pipeline once and the outcome is remembered; the split into raw tokens is elasticlunr's own
/// `tokenize_whitespace`, written out so hits need no allocation.
pub struct Analyzer {
    language: English,
    /// Raw tokens of up to 16 bytes (nearly all of them), keyed by their bytes packed into one
    /// number ([`packed`]): found with no string hashing, no key comparison through a pointer.
    short_cache: PackedTokens,
    /// Longer raw tokens, and every token of a text with a NUL byte (which would make packing
    /// ambiguous). Both caches hold a term id, or [`NO_TERM`].
    cache: FxHashMap<String, u32>,
    vocabulary: Vocabulary,
}

/// The term id of a raw token not packed, or packed but new ([`NO_TERM`] for none). Out of
/// line and marked cold, so that the lookup of a token seen before, nearly every token, is
/// small enough to be inlined into the scan that splits the text.
#[cold]
#[inline(never)]
fn look_up_slowly(
    short_cache: &mut PackedTokens,
    cache: &mut FxHashMap<String, u32>,
    vocabulary: &mut Vocabulary,
    key: Option<u128>,
    raw: &str,
) -> u32 {
    let analyse = || vocabulary.analyse(raw).unwrap_or(NO_TERM);
    match key {
        Some(key) => short_cache.get_or_insert_with(key, analyse),
        // Looked up before the entry is made, so that a hit copies no key.
        None => match cache.get(raw) {
            Some(&id) => id,
            None => *cache.entry(raw.to_string()).or_insert_with(analyse),
        },
    }
}

/// What a raw token becomes: the pipeline, and the terms it has made so far, numbered in the
/// order they first came up. Apart from the caches, so a cache can be filled while borrowed.
struct Vocabulary {
    pipeline: elasticlunr::Pipeline,
    terms: Vec<String>,
    ids: FxHashMap<String, u32>,
}

impl Default for Analyzer {
    fn default() -> Self {
        let language = English::new();
        let pipeline = language.make_pipeline();
        Analyzer {
            language,
            short_cache: PackedTokens::default(),
            cache: FxHashMap::default(),
            vocabulary: Vocabulary {
                pipeline,
                terms: Vec::new(),
                ids: FxHashMap::default(),
            },
        }
    }
}

impl Analyzer {
    /// Tokenises, trims, drops stop words and stems: elasticlunr's pipeline, run directly.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut terms = self.vocabulary.pipeline.run(self.language.tokenize(text));
        terms.retain(|t| !t.is_empty() && t.len() <= MAX_TOKEN_BYTES);
        terms
    }

    /// The same terms as [`Analyzer::terms`], as ids into this analyzer's term table.
    pub fn term_ids(&mut self, text: &str, out: &mut Vec<u32>) {
        out.clear();
        self.append_term_ids(text, out);
    }

    /// [`Analyzer::term_ids`] appended to `out`.
    fn append_term_ids(&mut self, text: &str, out: &mut Vec<u32>) {
        let Analyzer {
            short_cache,
            cache,
            vocabulary,
            ..
        } = self;
        let packable = memchr::memchr(0, text.as_bytes()).is_none();
        for_each_raw_token(text, |raw| {
            let key = packable.then(|| packed_in(text.as_bytes(), raw)).flatten();
            let id = match key.and_then(|key| short_cache.get(key)) {
                Some(id) => id,
                None => look_up_slowly(short_cache, cache, vocabulary, key, raw),
            };
            if id != NO_TERM {
                out.push(id);
            }
        });
    }

    /// How many terms the analyzer has numbered.
    fn term_count(&self) -> usize {
        self.vocabulary.terms.len()
    }

    /// The terms, indexed by id.
    fn into_terms(self) -> Vec<String> {
        self.vocabulary.terms
    }

    /// The term an id stands for.
    pub fn term(&self, id: u32) -> &str {
        &self.vocabulary.terms[id as usize]
    }
}

impl Vocabulary {
    /// The id of the term `raw` becomes, numbering it if it is new; `None` for a stop word or a
    /// token with nothing left after trimming.
    fn analyse(&mut self, raw: &str) -> Option<u32> {
        let trimmed = raw.trim();
        let lowered = if trimmed.is_ascii() {
            trimmed.to_ascii_lowercase()
        } else {
            trimmed.to_lowercase()
        };
        // `Pipeline::run` for one token, without the lists it takes and returns.
        let term =
            (self.pipeline.queue.iter()).try_fold(lowered, |token, step| step.filter(token))?;
        if term.is_empty() || term.len() > MAX_TOKEN_BYTES {
            return None;
        }
        if let Some(id) = self.ids.get(&term) {
            return Some(*id);
        }
        let id = self.terms.len() as u32;
        self.ids.insert(term.clone(), id);
        self.terms.push(term);
        Some(id)
    }
}

/// The bytes of a token of 1 to 16 bytes as one number, zero-padded, or `None` for other
/// lengths. For a token without NUL bytes this is one-to-one: the padding cannot be mistaken
/// for a byte of the token. It is built from two loads of a fixed size, the first and the last
/// `k` bytes, which overlap in the middle and are OR'd together (the overlapping bytes are the
/// same), so there is no copy of a variable length.
fn packed(token: &[u8]) -> Option<u128> {
    let len = token.len();
    let (first, last, k) = match len {
        1 => return Some(u128::from(token[0])),
        2..=3 => (
            u128::from(u16::from_le_bytes([token[0], token[1]])),
            u128::from(u16::from_le_bytes([token[len - 2], token[len - 1]])),
            2,
        ),
        4..=7 => (
            u128::from(u32::from_le_bytes(token[..4].try_into().ok()?)),
            u128::from(u32::from_le_bytes(token[len - 4..].try_into().ok()?)),
            4,
        ),
        8..=16 => (
            u128::from(u64::from_le_bytes(token[..8].try_into().ok()?)),
            u128::from(u64::from_le_bytes(token[len - 8..].try_into().ok()?)),
            8,
        ),
        _ => return None,
    };
    Some(first | last << ((len - k) * 8))
}

/// Raw tokens packed by [`packed`], and what each became: an open-addressed table with linear
/// probing, kept at most half full. Nearly every token of a site is one seen before, so a
/// lookup is nearly always a hit, and a hit here is one slot read and one compare, most often
/// in the first slot tried; `hashbrown` reads a group of control bytes first, then the slot,
/// and the table took 4% fewer of the search stage's instructions this way (callgrind, 1,000
/// pages).
struct PackedTokens {
    /// A power of two of them; a key of zero marks an empty slot, which no token packs to
    /// (tokens are not empty, and packed tokens have no NUL bytes).
    slots: Vec<PackedSlot>,
    len: usize,
}

/// A packed token and its term id ([`NO_TERM`] for none), aligned so that a slot never spans
/// two cache lines.
#[derive(Clone, Copy, Default)]
#[repr(align(32))]
struct PackedSlot {
    key: u128,
    id: u32,
}

/// The id of a token that makes no term (a stop word).
const NO_TERM: u32 = u32::MAX;

impl Default for PackedTokens {
    fn default() -> Self {
        PackedTokens {
            slots: vec![PackedSlot::default(); 1 << 12],
            len: 0,
        }
    }
}

impl PackedTokens {
    /// The slot where the search for `key` starts: Fibonacci hashing of the key's two halves,
    /// taking the product's top bits.
    fn home(&self, key: u128) -> usize {
        let mixed = ((key as u64) ^ ((key >> 64) as u64).rotate_left(32))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (mixed >> (64 - self.slots.len().trailing_zeros())) as usize
    }

    /// Where `key` is stored, or else the empty slot where it would go. Always inlined: left
    /// to the compiler, the lookup of every token went through a call and a `Result`, 2% more
    /// of a prose build's instructions.
    #[inline(always)]
    fn find(&self, key: u128) -> Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            match self.slots[i].key {
                stored if stored == key => return Ok(i),
                0 => return Err(i),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// The term id stored for `key` ([`NO_TERM`] for none), if `key` is stored.
    #[inline(always)]
    fn get(&self, key: u128) -> Option<u32> {
        self.find(key).ok().map(|i| self.slots[i].id)
    }

    /// The term id stored for `key`, or the one `analyse` gives, stored from now on (either
    /// may be [`NO_TERM`]).
    fn get_or_insert_with(&mut self, key: u128, analyse: impl FnOnce() -> u32) -> u32 {
        debug_assert_ne!(key, 0, "zero marks an empty slot");
        let empty = match self.find(key) {
            Ok(i) => return self.slots[i].id,
            Err(empty) => empty,
        };
        let id = analyse();
        self.slots[empty] = PackedSlot { key, id };
        self.len += 1;
        if self.len * 2 > self.slots.len() {
            self.grow();
        }
        id
    }

    /// Doubles the slots and puts every entry back in its new place.
    fn grow(&mut self) {
        let doubled = vec![PackedSlot::default(); self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        for slot in old.into_iter().filter(|slot| slot.key != 0) {
            // Keys are distinct, so each finds an empty slot.
            if let Err(empty) = self.find(slot.key) {
                self.slots[empty] = slot;
            }
        }
    }
}

/// [`packed`] for `token`, a slice of `text`: while sixteen bytes of `text` are left from the
/// token's start, one load of those bytes and a mask for the token's length. Token lengths
/// follow no pattern, so the branches `packed` takes on the length mispredict often.
fn packed_in(text: &[u8], token: &str) -> Option<u128> {
    let len = token.len();
    let start = (token.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    let window = text.get(start..start.wrapping_add(16));
    match (
        window.and_then(|w| <[u8; 16]>::try_from(w).ok()),
        PACKED_MASKS.get(len),
    ) {
        (Some(bytes), Some(&mask)) if len > 0 => Some(u128::from_le_bytes(bytes) & mask),
        _ => packed(token.as_bytes()),
    }
}

/// The mask that keeps the first `n` bytes of a little-endian `u128`, by `n`.
const PACKED_MASKS: [u128; 17] = {
    let mut masks = [0; 17];
    let mut n = 1;
    while n <= 16 {
        masks[n] = u128::MAX >> ((16 - n) * 8);
        n += 1;
    }
    masks
};

/// Calls `f` with each raw token of `text`: the non-empty runs between whitespace and hyphens,
/// as elasticlunr's `tokenize_whitespace` splits them. ASCII text (most of it) is scanned eight
/// bytes at a time ([`crate::ascii`]): that halves the scan. A text without control characters
/// (section texts have their whitespace collapsed to spaces) has only spaces for whitespace,
/// and is scanned for those and hyphens alone, with half the operations.
fn for_each_raw_token(text: &str, f: impl FnMut(&str)) {
    if !text.is_ascii() {
        text.split(|c: char| c.is_whitespace() || c == '-')
            .filter(|raw| !raw.is_empty())
            .for_each(f);
        return;
    }
    // A fold rather than `any`: no early exit, so the compiler tests many bytes at once.
    if text
        .bytes()
        .fold(false, |controls, b| controls | (b < 0x20))
    {
        split_ascii(
            text,
            |word| ascii::space_lanes(word) | ascii::lanes_equal(word, b'-'),
            f,
        );
    } else {
        let spaces_and_hyphens =
            |word| ascii::lanes_equal(word, b' ') | ascii::lanes_equal(word, b'-');
        split_ascii(text, spaces_and_hyphens, f);
    }
}

/// [`for_each_raw_token`] for ASCII text, with `delimiters` marking a word's delimiter lanes.
fn split_ascii(text: &str, delimiters: impl Fn(u64) -> u64, mut f: impl FnMut(&str)) {
    let mut start = 0;
    // The padding after the last byte is not a delimiter, so it never ends a token.
    ascii::for_each_word(text.as_bytes(), b'a', |offset, word| {
        for lane in ascii::marked_lanes(delimiters(word)) {
            let end = offset + lane;
            if start < end {
                f(&text[start..end]);
            }
            start = end + 1;
        }
    });
    if start < text.len() {
        f(&text[start..]);
    }
}

/// The manifest's path. It is the one file of the index without a content hash in its name:
/// pages point at it, and they are rendered first, so each page's HTML can be freed before the
/// index is built. It is small and revalidated (see `netlify.toml`); every file it names carries
/// its content hash and is cached for good.
pub const MANIFEST: &str = "search/index.js";

/// Builds the index and adds its files to `out`; the manifest is at [`MANIFEST`].
pub fn build_index(site: &Site, out: &mut Output, diags: &mut Diagnostics) {
    let docs = documents(site);
    let analysis = analyse(&docs);
    let terms = postings(&analysis);
    let limit = if docs.len() <= SINGLE_SHARD_DOCS {
        usize::MAX
    } else {
        SHARD_BYTES
    };
    let shards = split_into_shards(&terms, limit);
    // Each file is handed to the output by the thread that made it (a staged build writes it
    // there and then), so the index is never held in memory whole.
    let shard_files: Vec<(String, String, Prepared)> = shards
        .par_iter()
        .map(|(key, range)| {
            let body = shard_body(key, &terms[range.clone()]);
            let name = if key.is_empty() {
                "all".to_string()
            } else {
                hex(key)
            };
            let path = fingerprinted(&format!("t-{name}"), &body);
            let prepared = out.prepare(&path, body);
            (key.clone(), path, prepared)
        })
        .collect();
    let kinds: Vec<&str> = docs
        .iter()
        .map(|d| d.kind)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let chunk_files: Vec<(String, Prepared)> = docs
        .par_chunks(DOCS_PER_CHUNK)
        .enumerate()
        .map(|(n, chunk)| {
            let body = docs_body(n, chunk);
            let path = fingerprinted(&format!("d-{n}"), &body);
            let prepared = out.prepare(&path, body);
            (path, prepared)
        })
        .collect();
    let pages = pages_body(&docs, &kinds);
    let pages_path = fingerprinted("p", &pages);
    out.add(pages_path.clone(), pages, diags);
    let labels: Vec<(String, String)> = kinds
        .iter()
        .map(|k| (k.to_string(), site.config.kind_label(k)))
        .collect();
    let manifest = Manifest {
        v: 2,
        docs: docs.len(),
        chunk: DOCS_PER_CHUNK,
        max_token: MAX_TOKEN_BYTES,
        kinds: labels,
        terms: shard_files
            .iter()
            .map(|(k, p, _)| (k.clone(), p.clone()))
            .collect(),
        chunks: chunk_files.iter().map(|(p, _)| p.clone()).collect(),
        pages: pages_path,
    };
    for (_, path, prepared) in shard_files {
        out.commit(path, prepared, diags);
    }
    for (path, prepared) in chunk_files {
        out.commit(path, prepared, diags);
    }
    let body = format!("flywheelSearch.manifest({});\n", json(&manifest));
    out.add(MANIFEST.to_string(), body.into_bytes(), diags);
}

/// Groups sorted terms into shards whose keys are term prefixes: one shard (key `""`) when
/// everything fits in `limit` bytes, else one per first character, and a shard still too big is
/// split again by the next character (up to four). Terms as short as a key stay in that key's
/// shard, so a term's shard is the one with the longest key the term starts with.
fn split_into_shards(
    terms: &[TermPostings],
    limit: usize,
) -> Vec<(String, std::ops::Range<usize>)> {
    fn size(terms: &[TermPostings]) -> usize {
        terms.iter().map(|t| t.term.len() + 8 + t.pairs() * 3).sum()
    }
    fn split(
        terms: &[TermPostings],
        offset: usize,
        key: String,
        limit: usize,
        out: &mut Vec<(String, std::ops::Range<usize>)>,
    ) {
        let depth = key.chars().count();
        if size(terms) <= limit || depth >= 4 {
            out.push((key, offset..offset + terms.len()));
            return;
        }
        // Terms no longer than the key itself stay under the key.
        let short = terms
            .iter()
            .take_while(|t| t.term.chars().count() <= depth)
            .count();
        if short > 0 {
            out.push((key.clone(), offset..offset + short));
        }
        let mut start = short;
        while start < terms.len() {
            let next: String = terms[start].term.chars().take(depth + 1).collect();
            let end = start
                + terms[start..]
                    .iter()
                    .take_while(|t| t.term.starts_with(next.as_str()))
                    .count();
            split(&terms[start..end], offset + start, next, limit, out);
            start = end;
        }
    }
    let mut out = Vec::new();
    split(terms, 0, String::new(), limit, &mut out);
    out
}

#[derive(Serialize)]
struct Manifest {
    v: u32,
    docs: usize,
    chunk: usize,
    max_token: usize,
    /// `[name, label]` for each kind; the page table refers to kinds by position.
    kinds: Vec<(String, String)>,
    /// Shard key (a term prefix; a term belongs to the longest key it starts with) to file.
    terms: BTreeMap<String, String>,
    chunks: Vec<String>,
    /// The page table ([`pages_body`]).
    pages: String,
}

/// The page table: `flywheelSearch.pages([sections, ...],[kind, ...]);`, for each page in
/// document order, how many documents (sections) it has and the index of its kind. Documents
/// are numbered page by page, so from this the client knows each document's page and kind
/// without its details chunk: it picks the results to show (of one kind, at most two sections
/// of a page) from the ranks alone, then loads the chunks of just those, all at once, rather
/// than a dozen candidates' chunks at a time until enough are picked.
fn pages_body(docs: &[SearchDoc], kinds: &[&str]) -> Vec<u8> {
    let mut sections = Vec::new();
    let mut page_kinds = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 && docs[i - 1].page_url == doc.page_url {
            if let Some(last) = sections.last_mut() {
                *last += 1;
            }
        } else {
            sections.push(1);
            page_kinds.push(kinds.iter().position(|&k| k == doc.kind).unwrap_or(0));
        }
    }
    format!(
        "flywheelSearch.pages({},{});\n",
        json(&sections),
        json(&page_kinds)
    )
    .into_bytes()
}

/// A details chunk: `flywheelSearch.docs(N,[row, ...]);`, each row `[title, heading path, url,
/// text]` (arrays keep the chunks small), printed straight into the file's bytes. A document's
/// kind is its page's, in the page table ([`pages_body`]).
fn docs_body(n: usize, docs: &[SearchDoc]) -> Vec<u8> {
    let text: usize = docs
        .iter()
        .map(|d| d.title.len() + d.page_url.len() + d.anchor.len() + SNIPPET_SOURCE_CHARS + 32)
        .sum();
    let mut body = Vec::with_capacity(text + 64);
    body.extend_from_slice(b"flywheelSearch.docs(");
    body.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    body.extend_from_slice(b",[");
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.push(b'[');
        write_json_string(&mut body, doc.title);
        body.extend_from_slice(b",[");
        for (h, heading) in doc.headings.iter().enumerate() {
            if h > 0 {
                body.push(b',');
            }
            write_json_string(&mut body, heading);
        }
        body.extend_from_slice(b"],\"");
        write_json_contents(&mut body, doc.page_url);
        if !doc.anchor.is_empty() {
            body.push(b'#');
            write_json_contents(&mut body, doc.anchor);
        }
        body.extend_from_slice(b"\",");
        write_json_string(&mut body, snippet_source(doc.text));
        body.push(b']');
    }
    body.extend_from_slice(b"]);\n");
    body
}

/// One term and where it occurs: lists in document order, one per chunk of documents that has
/// the term, borrowed from the chunks' [`ChunkIndex`]es. They are written out as they are,
/// never merged into one list.
#[derive(Debug)]
struct TermPostings<'a> {
    term: &'a str,
    lists: Vec<PostingList<'a>>,
}

impl TermPostings<'_> {
    /// How many documents have the term.
    fn pairs(&self) -> usize {
        self.lists.iter().map(|list| list.postings.len()).sum()
    }
}

/// A document's number counted from the first of its chunk, and the term's weight in it. Four
/// bytes rather than two full numbers: the postings are the largest thing the analysis holds
/// (six million of them at 10,000 pages), and they are written to their terms' places in a
/// counting sort, one scattered write each, so half the bytes is half the memory that sort
/// touches. Chunks hold at most [`MAX_CHUNK_DOCS`] documents, and a weight is at most
/// `(BOOST_TITLE + BOOST_HEADINGS + BOOST_BODY) * WEIGHT_SCALE`, so both fit.
type Posting = (u16, u16);

/// The most documents in one chunk of the analysis, so that a [`Posting`] can number them.
const MAX_CHUNK_DOCS: usize = 1 << 16;

/// One chunk's postings of one term.
#[derive(Debug, Clone, Copy)]
struct PostingList<'a> {
    /// The number of the chunk's first document.
    first: u32,
    postings: &'a [Posting],
}

impl PostingList<'_> {
    /// (document, weight) pairs, in document order.
    fn pairs(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let first = self.first;
        (self.postings.iter())
            .map(move |&(doc, weight)| (first + u32::from(doc), u32::from(weight)))
    }
}

/// The postings of one chunk of documents: term `id`'s postings are
/// `postings[starts[id]..starts[id + 1]]`, in document order, where ids are those of the
/// [`Analyzer`] of the worker that built the chunk ([`Analysis::vocabularies`]). `starts` are
/// 32-bit like term ids: a chunk has at most one posting per token of its text, so it would
/// need gigabytes of text to pass four billion.
struct ChunkIndex {
    worker: usize,
    first: u32,
    starts: Vec<u32>,
    postings: Vec<Posting>,
}

impl ChunkIndex {
    /// Analyses and weighs `docs`, the first of which is document number `first`.
    ///
    /// Each document's weights are appended to one flat list, then moved to their terms' places
    /// in a counting sort. Pushing to a list per term instead touches a different list, far
    /// from the last one, for nearly every pair: that cost a fifth of the analysis.
    fn build(worker: &mut Worker, docs: &[SearchDoc], first: usize) -> ChunkIndex {
        debug_assert!(docs.len() <= MAX_CHUNK_DOCS);
        let mut weights = std::mem::take(&mut worker.weights);
        weights.clear();
        let mut doc_ends = Vec::with_capacity(docs.len());
        for doc in docs {
            worker
                .weigher
                .weigh(&mut worker.analyzer, doc, &mut weights);
            doc_ends.push(weights.len());
        }
        let mut starts: Vec<u32> = vec![0; worker.analyzer.term_count() + 1];
        for &(id, _) in &weights {
            starts[id as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut postings = vec![(0, 0); weights.len()];
        let mut doc_start = 0;
        for (n, &doc_end) in doc_ends.iter().enumerate() {
            let doc = n as u16;
            for &(id, weight) in &weights[doc_start..doc_end] {
                let slot = &mut next[id as usize];
                postings[*slot as usize] = (doc, weight);
                *slot += 1;
            }
            doc_start = doc_end;
        }
        worker.weights = weights;
        ChunkIndex {
            worker: worker.number,
            first: first as u32,
            starts,
            postings,
        }
    }

    /// The pairs of the term with id `id` (in the chunk's worker's vocabulary), if the chunk
    /// has it.
    fn list(&self, id: u32) -> Option<PostingList<'_>> {
        let id = id as usize;
        let (&start, &end) = (self.starts.get(id)?, self.starts.get(id + 1)?);
        (start < end).then(|| PostingList {
            first: self.first,
            postings: &self.postings[start as usize..end as usize],
        })
    }
}

/// What one thread analyses with: elasticlunr's pipeline is not thread-safe, so each worker has
/// its own, and keeps it (with its cache of analysed words) for every chunk it takes.
struct Worker {
    number: usize,
    analyzer: Analyzer,
    weigher: Weigher,
    /// The flat list of a chunk's weights, kept for the next chunk: growing a new one for
    /// each chunk touched fresh memory each time.
    weights: Vec<(u32, u16)>,
}

impl Worker {
    fn new(number: usize) -> Worker {
        Worker {
            number,
            analyzer: Analyzer::default(),
            weigher: Weigher::default(),
            weights: Vec::new(),
        }
    }
}

/// Every chunk's postings, in document order, and each worker's vocabulary.
struct Analysis {
    chunks: Vec<ChunkIndex>,
    vocabularies: Vec<Vec<String>>,
}

/// Analyses every document, in parallel: one worker per thread takes chunks of documents from
/// a shared counter until none is left, so the work stays balanced while each worker's word
/// cache warms once per build rather than once per chunk. See [`chunk_bounds`] for their sizes.
fn analyse(docs: &[SearchDoc]) -> Analysis {
    let threads = rayon::current_num_threads();
    let chunks = chunk_bounds(docs.len(), threads);
    let taken = AtomicUsize::new(0);
    let finished: Vec<Finished> = (0..threads.min(chunks.len()))
        .into_par_iter()
        .map(|number| {
            let mut worker = Worker::new(number);
            let mut built = Vec::new();
            loop {
                let c = taken.fetch_add(1, Ordering::Relaxed);
                let Some(range) = chunks.get(c) else { break };
                let chunk = &docs[range.clone()];
                built.push((c, ChunkIndex::build(&mut worker, chunk, range.start)));
            }
            Finished {
                vocabulary: worker.analyzer.into_terms(),
                built,
            }
        })
        .collect();
    let mut numbered = Vec::with_capacity(chunks.len());
    let mut vocabularies = Vec::with_capacity(finished.len());
    for Finished { vocabulary, built } in finished {
        vocabularies.push(vocabulary);
        numbered.extend(built);
    }
    numbered.sort_by_key(|(c, _)| *c);
    Analysis {
        chunks: numbered.into_iter().map(|(_, chunk)| chunk).collect(),
        vocabularies,
    }
}

/// Where the analysis's chunks of documents begin and end. A chunk is at most a quarter of a
/// thread's share, which keeps the lists it holds while it sorts them small; once less than
/// half the documents are left, chunks shrink with what is left (down to a sixteenth of a
/// share), so the workers finish close together instead of one waiting out another's last
/// large chunk. Every chunk has at least 512 documents (each one costs a merge), and at most
/// [`MAX_CHUNK_DOCS`].
fn chunk_bounds(len: usize, threads: usize) -> Vec<Range<usize>> {
    let largest = len.div_ceil(threads * 4).clamp(512, MAX_CHUNK_DOCS);
    let smallest = len.div_ceil(threads * 16).clamp(512, MAX_CHUNK_DOCS);
    let mut bounds = Vec::new();
    let mut start = 0;
    while start < len {
        let remaining = len - start;
        let size = (remaining / (threads * 2))
            .clamp(smallest, largest)
            .min(remaining);
        bounds.push(start..start + size);
        start += size;
    }
    bounds
}

/// What a worker leaves: its vocabulary and the chunks it built, each with its number.
struct Finished {
    vocabulary: Vec<String>,
    built: Vec<(usize, ChunkIndex)>,
}

/// Every term with its postings, sorted by term.
fn postings(analysis: &Analysis) -> Vec<TermPostings<'_>> {
    // Workers number their terms apart, so a term is matched across workers by its text. Each
    // vocabulary is sorted once and the sorted vocabularies merged: sorting every chunk's
    // (term, list) pairs by text instead compared strings for each chunk a term occurs in.
    let sorted: Vec<Vec<u32>> = analysis
        .vocabularies
        .par_iter()
        .map(|vocabulary| {
            let mut ids: Vec<u32> = (0..vocabulary.len() as u32).collect();
            ids.par_sort_unstable_by(|&a, &b| vocabulary[a as usize].cmp(&vocabulary[b as usize]));
            ids
        })
        .collect();
    let merged = merge_vocabularies(&analysis.vocabularies, &sorted);
    // A term's lists, one per chunk that has it, in chunk (so document) order.
    merged
        .par_chunk_by(|a, b| a.0 == b.0)
        .map(|same_term| TermPostings {
            term: same_term[0].0,
            lists: analysis
                .chunks
                .iter()
                .filter_map(|chunk| {
                    let &(_, _, id) = same_term.iter().find(|t| t.1 == chunk.worker)?;
                    chunk.list(id)
                })
                .collect(),
        })
        // Every term a worker names occurs in one of its chunks; this only keeps an empty
        // entry out of the index if that ever stops being so.
        .filter(|term| !term.lists.is_empty())
        .collect()
}

/// Every worker's terms as `(text, worker, id)`, in text order, the same text from different
/// workers side by side: a merge of the vocabularies sorted by text (`sorted[w]` lists worker
/// `w`'s term ids in text order).
fn merge_vocabularies<'a>(
    vocabularies: &'a [Vec<String>],
    sorted: &[Vec<u32>],
) -> Vec<(&'a str, usize, u32)> {
    let mut merged = Vec::with_capacity(sorted.iter().map(Vec::len).sum());
    let mut next = vec![0; sorted.len()];
    loop {
        let smallest = (0..sorted.len())
            .filter_map(|w| {
                let id = *sorted[w].get(next[w])?;
                Some((vocabularies[w][id as usize].as_str(), w, id))
            })
            .min();
        let Some(term) = smallest else { break };
        next[term.1] += 1;
        merged.push(term);
    }
    merged
}

/// Reusable buffers for weighing documents one after another. Counts and scores are dense
/// arrays indexed by term id (an analyzer's vocabulary is tens of thousands of terms), so
/// weighing is linear in a document's length: no sorting, no hashing.
#[derive(Default)]
struct Weigher {
    ids: Vec<u32>,
    /// Occurrences of each term in the field being weighed; zero again after each field.
    counts: Vec<u32>,
    /// Each term's score summed over the fields so far; zero again after each document.
    scores: Vec<f64>,
    /// The terms of the current field, then of the whole document, in first-seen order.
    field_terms: Vec<u32>,
    doc_terms: Vec<u32>,
}

impl Weigher {
    /// The weight of each term of one document, summed over its fields: the square root of the
    /// term's count over the square root of the field's length, times the field's boost.
    /// Appends `(term id, weight)` for each of the document's terms to `out`.
    fn weigh(&mut self, analyzer: &mut Analyzer, doc: &SearchDoc, out: &mut Vec<(u32, u16)>) {
        self.doc_terms.clear();
        // The heading path is analysed heading by heading: tokens never span two headings, so
        // that is what analysing them joined by spaces gives, without joining them.
        let fields: [(&[&str], f64); 3] = [
            (std::slice::from_ref(&doc.title), BOOST_TITLE),
            (&doc.headings, BOOST_HEADINGS),
            (std::slice::from_ref(&doc.text), BOOST_BODY),
        ];
        for (texts, boost) in fields {
            self.ids.clear();
            for text in texts {
                analyzer.append_term_ids(text, &mut self.ids);
            }
            if self.ids.is_empty() {
                continue;
            }
            let vocabulary = analyzer.term_count();
            if self.counts.len() < vocabulary {
                self.counts.resize(vocabulary, 0);
                self.scores.resize(vocabulary, 0.0);
            }
            self.field_terms.clear();
            for &id in &self.ids {
                let count = &mut self.counts[id as usize];
                if *count == 0 {
                    self.field_terms.push(id);
                }
                *count += 1;
            }
            let norm = 1.0 / (self.ids.len() as f64).sqrt();
            for &id in &self.field_terms {
                let count = std::mem::take(&mut self.counts[id as usize]) as f64;
                let score = &mut self.scores[id as usize];
                // Every field adds a positive score, so zero means "not seen in this document".
                if *score == 0.0 {
                    self.doc_terms.push(id);
                }
                *score += boost * count.sqrt() * norm;
            }
        }
        out.extend(self.doc_terms.iter().map(|&id| {
            let score = std::mem::take(&mut self.scores[id as usize]);
            // At most (10 + 5 + 1) * 100 = 1,600: see [`Posting`].
            let weight = round_to_u32(score * WEIGHT_SCALE).clamp(1, u16::MAX.into());
            (id, weight as u16)
        }));
    }
}

/// `x.round() as u32`, without the call: on the baseline x86-64 target `f64::round` is a
/// library function (the rounding instruction needs SSE4.1), called for every weight in the
/// index (1.2% of a prose build's instructions). Truncating is one instruction, and `x - t` is
/// exact for `t = trunc(x)`, so the half-away-from-zero rule is a comparison. Equal to
/// `x.round() as u32` for every `f64`, NaN and out-of-range values included.
fn round_to_u32(x: f64) -> u32 {
    let truncated = x as u32;
    truncated.saturating_add(u32::from(x - f64::from(truncated) >= 0.5))
}

/// A shard file: `flywheelSearch.terms(KEY,{"term":"postings",...});`, the terms in the order
/// given (sorted), each with [`write_postings`]. Written by hand rather than through a map: the
/// postings are most of the index's bytes.
fn shard_body(key: &str, terms: &[TermPostings]) -> Vec<u8> {
    let pairs: usize = terms.iter().map(TermPostings::pairs).sum();
    let mut body = Vec::with_capacity(pairs * 4 + terms.len() * 16 + 64);
    body.extend_from_slice(b"flywheelSearch.terms(");
    write_json_string(&mut body, key);
    body.extend_from_slice(b",{");
    for (i, t) in terms.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        write_json_string(&mut body, t.term);
        body.push(b':');
        write_postings(&mut body, t);
    }
    body.extend_from_slice(b"});\n");
    body
}

/// `text` as a JSON string, byte for byte as serde_json writes it.
fn write_json_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    write_json_contents(out, text);
    out.push(b'"');
}

/// `text` escaped for a JSON string, without the quotes. Most text has nothing to escape: it
/// is checked 64 bytes at a time, with a test of every byte that the compiler turns into vector
/// instructions, and a block without escapes is copied whole. (serde_json looks each byte up in
/// a table, and took 1.37 times the instructions to print the details chunks; checking eight
/// bytes at a time with bit operations took 2.1 times those of this.)
fn write_json_contents(out: &mut Vec<u8>, text: &str) {
    const BLOCK: usize = 64;
    let bytes = text.as_bytes();
    out.reserve(bytes.len());
    let blocks = bytes.chunks_exact(BLOCK);
    let rest = blocks.remainder();
    for block in blocks.chain([rest]) {
        // A fold rather than `any`: no early exit, so the whole block is tested in one go.
        if block.iter().fold(false, |any, &b| any | json_escaped(b)) {
            write_json_escaped(out, block);
        } else {
            out.extend_from_slice(block);
        }
    }
}

/// Whether a JSON string must escape `byte`: control characters, `"` and `\`.
fn json_escaped(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// `bytes` escaped for a JSON string, byte by byte.
fn write_json_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &byte in bytes {
        if json_escaped(byte) {
            write_json_escape(out, byte);
        } else {
            out.push(byte);
        }
    }
}

/// The escape serde_json writes for `byte`: a short one where JSON has it, else `\u00XX`.
fn write_json_escape(out: &mut Vec<u8>, byte: u8) {
    let short = match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

/// A term's postings as one JSON string of [`write_varint`] numbers: how many documents have
/// the term, then for each, in document order, its distance from the previous one (from 0 for
/// the first) and its weight. Most distances are under 32 and most weights under 1,024, so a
/// posting takes about three characters, where the same numbers as a JSON array of decimals
/// took about five and a half: the shards are half the size, a sixth smaller compressed, and
/// quicker to write. The client decodes them in `search.js` (`eachPosting`).
fn write_postings(out: &mut Vec<u8>, term: &TermPostings) {
    out.push(b'"');
    write_varint(out, u32::try_from(term.pairs()).unwrap_or(u32::MAX));
    let mut previous = 0;
    for (doc, weight) in term.lists.iter().flat_map(PostingList::pairs) {
        write_varint(out, doc - previous);
        write_varint(out, weight);
        previous = doc;
    }
    out.push(b'"');
}

/// The characters of [`write_varint`]: the first 32 end a number, the last 32 continue it. None
/// needs escaping in a JSON string.
const VARINT_DIGITS: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `n` in base 32, least significant digit first: every digit but the last from the
/// continuing half of [`VARINT_DIGITS`], the last from the ending half.
fn write_varint(out: &mut Vec<u8>, mut n: u32) {
    while n >= 32 {
        out.push(VARINT_DIGITS[32 + (n & 31) as usize]);
        n >>= 5;
    }
    out.push(VARINT_DIGITS[n as usize]);
}

fn snippet_source(text: &str) -> &str {
    if text.len() <= SNIPPET_SOURCE_CHARS {
        return text;
    }
    // An ASCII prefix is cut by bytes, without counting characters one by one.
    if text.as_bytes()[..SNIPPET_SOURCE_CHARS].is_ascii() {
        return &text[..SNIPPET_SOURCE_CHARS];
    }
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

fn fingerprinted(stem: &str, body: &[u8]) -> String {
    format!("{DIR}/{stem}.{}.js", crate::output::content_hash(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_tokens_are_their_bytes_zero_padded() {
        for token in [
            "a",
            "ab",
            "abc",
            "abcd",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "0123456789abcdef",
        ] {
            let mut padded = [0u8; 16];
            padded[..token.len()].copy_from_slice(token.as_bytes());
            assert_eq!(
                packed(token.as_bytes()),
                Some(u128::from_le_bytes(padded)),
                "{token}"
            );
        }
        assert_eq!(packed(b""), None);
        assert_eq!(packed(b"0123456789abcdefg"), None);
    }

    #[test]
    fn chunks_cover_the_documents_and_shrink_toward_the_end() {
        for (len, threads) in [(0, 2), (100, 2), (5_000, 2), (70_000, 2), (70_000, 8)] {
            let bounds = chunk_bounds(len, threads);
            let mut next = 0;
            for range in &bounds {
                assert_eq!(range.start, next, "{len} documents, {threads} threads");
                assert!(!range.is_empty());
                assert!(range.len() <= len.div_ceil(threads * 4).max(512));
                next = range.end;
            }
            assert_eq!(next, len);
        }
        let sizes: Vec<usize> = chunk_bounds(70_000, 2).iter().map(Range::len).collect();
        assert_eq!(sizes[0], 8_750);
        assert!(sizes.windows(2).all(|pair| pair[1] <= pair[0]), "{sizes:?}");
        assert!(sizes.last() < sizes.first(), "{sizes:?}");
    }

    #[test]
    fn rounding_at_the_edges() {
        let edges = [
            0.5,
            2.5,
            0.499_999_999_999_999_94,
            4_294_967_295.5,
            -0.6,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in edges {
            assert_eq!(round_to_u32(x), x.round() as u32, "{x}");
        }
    }

    #[test]
    fn packed_tokens_keep_every_id_as_they_grow() {
        let mut table = PackedTokens::default();
        let keys: Vec<u128> = (1..=20_000u128).map(|n| (n << 64) | n).collect();
        let id_of = |n: usize| if n % 3 == 0 { NO_TERM } else { n as u32 };
        for (n, &key) in keys.iter().enumerate() {
            assert_eq!(table.get_or_insert_with(key, || id_of(n)), id_of(n));
        }
        assert!(table.slots.len() >= 2 * keys.len());
        for (n, &key) in keys.iter().enumerate() {
            let stored = table.get_or_insert_with(key, || panic!("{key} was stored"));
            assert_eq!(stored, id_of(n));
        }
    }

    proptest::proptest! {
        #[test]
        fn packed_tokens_agree_with_a_hash_map(
            keys in proptest::collection::vec(1u128..5_000, 0..3_000),
        ) {
            let mut table = PackedTokens::default();
            let mut model = std::collections::HashMap::new();
            for (n, key) in keys.into_iter().enumerate() {
                let id = if n % 5 == 0 { NO_TERM } else { n as u32 };
                let expected = *model.entry(key).or_insert(id);
                proptest::prop_assert_eq!(table.get_or_insert_with(key, || id), expected);
            }
        }

        #[test]
        fn packing_is_padding(token in proptest::collection::vec(proptest::num::u8::ANY, 1..=16)) {
            let mut padded = [0u8; 16];
            padded[..token.len()].copy_from_slice(&token);
            proptest::prop_assert_eq!(packed(&token), Some(u128::from_le_bytes(padded)));
        }

        #[test]
        fn packing_in_place_is_packing(
            text in "[a-z \\-\u{e9}]{0,40}",
            start in 0usize..40,
            len in 0usize..20,
        ) {
            let start = start.min(text.len());
            let end = (start + len).min(text.len());
            if let Some(token) = text.get(start..end) {
                proptest::prop_assert_eq!(
                    packed_in(text.as_bytes(), token),
                    packed(token.as_bytes())
                );
            }
        }

        #[test]
        fn rounding_matches_the_standard_library(x in proptest::num::f64::ANY) {
            proptest::prop_assert_eq!(round_to_u32(x), x.round() as u32);
        }

        #[test]
        fn json_strings_are_written_as_serde_json_writes_them(text in "(\\PC|[\\x00-\\x1f\"\\\\\u{7f}])*") {
            let mut ours = Vec::new();
            write_json_string(&mut ours, &text);
            let theirs = serde_json::to_string(&text).unwrap_or_default();
            proptest::prop_assert_eq!(String::from_utf8_lossy(&ours), theirs);
        }
    }

    /// Every ASCII byte, and characters whose UTF-8 bytes fall in 0x80-0x9F (the range a
    /// first version of the eight-byte check took for control characters).
    #[test]
    fn every_escape_is_serde_jsons() {
        let text: String = (0u8..0x80)
            .map(char::from)
            .chain("é—🙂\u{cca}".chars())
            .collect();
        let mut ours = Vec::new();
        write_json_string(&mut ours, &text);
        assert_eq!(
            String::from_utf8_lossy(&ours),
            serde_json::to_string(&text).unwrap_or_default()
        );
    }

    /// Text longer than one block of the check, with one escape at every position: in a block,
    /// at its edges, in the short last block.
    #[test]
    fn escapes_anywhere_in_long_text_are_serde_jsons() {
        for escape in ["\"", "\n", "\\", "\u{1}"] {
            for at in 0..150 {
                let mut text = "é plain words ".repeat(10);
                text.insert_str(text.char_indices().nth(at).map_or(0, |(i, _)| i), escape);
                let mut ours = Vec::new();
                write_json_string(&mut ours, &text);
                let theirs = serde_json::to_string(&text).unwrap_or_default();
                assert_eq!(String::from_utf8_lossy(&ours), theirs, "{escape:?} at {at}");
            }
        }
    }

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
    fn ascii_and_unicode_token_splits_agree() {
        let split = |text: &str| {
            let mut tokens = Vec::new();
            for_each_raw_token(text, |t| tokens.push(t.to_string()));
            tokens
        };
        for text in [
            "",
            "one",
            "  two-way\tdoors\r\n\x0bend- ",
            "--",
            "café two-way\u{a0}doors",
        ] {
            let expected: Vec<String> = text
                .split(|c: char| c.is_whitespace() || c == '-')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect();
            assert_eq!(split(text), expected, "{text:?}");
        }
    }

    #[test]
    fn word_at_a_time_scan_finds_every_delimiter() {
        let every_ascii: String = (0u8..128).map(char::from).collect();
        let no_controls: String = (0x20u8..128).map(char::from).collect();
        let texts = [
            every_ascii.repeat(3),
            no_controls.repeat(3),
            "a-b c\td\ne\x0bf\x0cg\rh".repeat(5),
            "two-way  doors -- and  words ".repeat(5),
        ];
        for text in texts {
            for start in 0..9 {
                let text = &text[start..];
                let mut tokens = Vec::new();
                for_each_raw_token(text, |t| tokens.push(t.to_string()));
                let expected: Vec<&str> = text
                    .split(|c: char| c.is_whitespace() || c == '-')
                    .filter(|t| !t.is_empty())
                    .collect();
                assert_eq!(tokens, expected, "{text:?}");
            }
        }
    }

    #[test]
    fn title_outweighs_headings_and_body() {
        let mut analyzer = Analyzer::default();
        let mut weigher = Weigher::default();
        let doc = |title: &'static str, heading: &'static str, body: &'static str| SearchDoc {
            title,
            headings: vec![heading],
            kind: "page",
            page_url: "",
            anchor: "",
            text: body,
        };
        let mut weight = |d: SearchDoc| {
            let mut weights = Vec::new();
            weigher.weigh(&mut analyzer, &d, &mut weights);
            let id = weights
                .iter()
                .find(|(id, _)| analyzer.term(*id) == "frugal")
                .expect("term");
            id.1
        };
        let in_title = weight(doc("Frugality", "x", "y"));
        let in_heading = weight(doc("x", "Frugality", "y"));
        let in_body = weight(doc("x", "y", "Frugality"));
        assert!(in_title > in_heading && in_heading > in_body);
        // The heaviest a term can be: the whole of every field. A posting holds it.
        let everywhere = weight(doc("Frugality", "Frugality", "Frugality"));
        let heaviest = (BOOST_TITLE + BOOST_HEADINGS + BOOST_BODY) * WEIGHT_SCALE;
        assert_eq!(f64::from(everywhere), heaviest);
        assert!(heaviest <= f64::from(u16::MAX));
    }

    #[test]
    fn chunk_postings_follow_each_term_in_document_order() {
        let doc = |text| SearchDoc {
            title: "",
            headings: Vec::new(),
            kind: "page",
            page_url: "",
            anchor: "",
            text,
        };
        let docs = [doc("doors doors"), doc("way"), doc("door way")];
        // One worker builds the first chunk, another the second, with vocabularies of their own.
        let mut workers = [0, 1].map(Worker::new);
        let chunks = vec![
            ChunkIndex::build(&mut workers[1], &docs[..2], 0),
            ChunkIndex::build(&mut workers[0], &docs[2..], 2),
        ];
        let analysis = Analysis {
            chunks,
            vocabularies: workers.map(|w| w.analyzer.into_terms()).to_vec(),
        };
        let terms: Vec<(&str, Vec<Vec<u32>>)> = postings(&analysis)
            .iter()
            .map(|t| {
                let docs = t.lists.iter().map(|l| l.pairs().map(|p| p.0).collect());
                (t.term, docs.collect())
            })
            .collect();
        assert_eq!(
            terms,
            [
                ("door", vec![vec![0], vec![2]]),
                ("way", vec![vec![1], vec![2]])
            ]
        );
    }

    #[test]
    fn cached_term_ids_match_the_pipeline() {
        let mut analyzer = Analyzer::default();
        // Short and long tokens, and a text with a NUL byte, whose tokens are not packed.
        for text in [
            "The customers' two-way doors! Customers, doors; the DOORS café naïve",
            "internationalisation internationalisations customer-obsessed obsessed",
            "doors\0 doors door\0s customers",
        ] {
            let mut ids = Vec::new();
            analyzer.term_ids(text, &mut ids);
            analyzer.term_ids(text, &mut ids);
            let via_ids: Vec<&str> = ids.iter().map(|&id| analyzer.term(id)).collect();
            assert_eq!(via_ids, analyzer.terms(text), "{text:?}");
        }
    }

    #[test]
    fn shards_split_until_small_enough() {
        let postings = [(0, 0); 5];
        let terms: Vec<TermPostings> = ["a", "ab", "abc", "abd", "b", "ba", "bb"]
            .into_iter()
            .map(|term| TermPostings {
                term,
                lists: vec![PostingList {
                    first: 0,
                    postings: &postings,
                }],
            })
            .collect();
        let one = split_into_shards(&terms, usize::MAX);
        assert_eq!(one, [(String::new(), 0..7)]);
        // Each term counts its length, 8, and 3 a posting: "a" 24, "ab" 25, "abc" 26.
        let keys: Vec<String> = split_into_shards(&terms, 50)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["a", "ab", "abc", "abd", "b", "ba", "bb"]);
        let keys: Vec<String> = split_into_shards(&terms, 80)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["a", "ab", "b"]);
    }

    #[test]
    fn snippets_keep_the_first_characters() {
        let ascii = "a".repeat(SNIPPET_SOURCE_CHARS + 10);
        assert_eq!(snippet_source(&ascii).len(), SNIPPET_SOURCE_CHARS);
        let accented = "é".repeat(SNIPPET_SOURCE_CHARS + 10);
        assert_eq!(
            snippet_source(&accented).chars().count(),
            SNIPPET_SOURCE_CHARS
        );
        assert_eq!(snippet_source("short"), "short");
    }

    #[test]
    fn postings_are_a_count_then_gaps_and_weights() {
        let mut out = Vec::new();
        let lists = vec![
            PostingList {
                first: 0,
                postings: &[(3, 10), (7, 20)],
            },
            // Document 40: the second chunk starts at document 32.
            PostingList {
                first: 32,
                postings: &[(8, 1000)],
            },
        ];
        write_postings(&mut out, &TermPostings { term: "a", lists });
        // 3 pairs; gap 3, weight 10; gap 4, weight 20; gap 33 = 1 + 1 * 32 (a continuing 1,
        // then an ending 1), weight 1000 = 8 + 31 * 32.
        assert_eq!(String::from_utf8_lossy(&out), "\"DDKEUhBof\"");
        // The same numbers the client's test decodes (tests/browser/ranking.test.mjs).
        let mut golden = Vec::new();
        let postings = [(0, 1), (31, 32), (1_100, 33_000)];
        let lists = vec![PostingList {
            first: 0,
            postings: &postings,
        }];
        write_postings(&mut golden, &TermPostings { term: "a", lists });
        assert_eq!(String::from_utf8_lossy(&golden), "\"DABfgBthBongB\"");
    }

    #[test]
    fn varints_read_back_digit_by_digit() {
        for n in [0, 1, 31, 32, 33, 1023, 1024, 12_345, u32::MAX - 1, u32::MAX] {
            let mut out = Vec::new();
            write_varint(&mut out, n);
            let digit = |c: &u8| VARINT_DIGITS.iter().position(|d| d == c).expect("a digit");
            let (last, more) = out.split_last().expect("at least one digit");
            assert!(
                digit(last) < 32 && more.iter().all(|c| digit(c) >= 32),
                "{n}"
            );
            let value = more.iter().rev().fold(digit(last) as u64, |high, c| {
                high * 32 + (digit(c) - 32) as u64
            });
            assert_eq!(value, u64::from(n), "{:?}", String::from_utf8_lossy(&out));
        }
    }

    #[test]
    fn the_page_table_counts_each_pages_sections_and_names_its_kind() {
        let doc = |page_url, kind, anchor| SearchDoc {
            title: "T",
            headings: Vec::new(),
            kind,
            page_url,
            anchor,
            text: "x",
        };
        let docs = [
            doc("", "page", ""),
            doc("a/", "mechanism", ""),
            doc("a/", "mechanism", "one"),
            doc("a/", "mechanism", "two"),
            doc("b/", "page", ""),
            doc("c/", "principle", "only"),
        ];
        let body = pages_body(&docs, &["mechanism", "page", "principle"]);
        assert_eq!(
            String::from_utf8_lossy(&body),
            "flywheelSearch.pages([1,3,1,1],[1,0,1,2]);\n"
        );
        assert_eq!(
            String::from_utf8_lossy(&pages_body(&[], &[])),
            "flywheelSearch.pages([],[]);\n"
        );
    }

    #[test]
    fn a_details_row_is_title_headings_url_and_text() {
        let doc = SearchDoc {
            title: "Fire \"phone\"",
            headings: vec!["Lessons", "Write-down"],
            kind: "case-study",
            page_url: "case-studies/fire-phone/",
            anchor: "write-down",
            text: "The write-down.",
        };
        assert_eq!(
            String::from_utf8_lossy(&docs_body(3, &[doc])),
            "flywheelSearch.docs(3,[[\"Fire \\\"phone\\\"\",[\"Lessons\",\"Write-down\"],\
             \"case-studies/fire-phone/#write-down\",\"The write-down.\"]]);\n"
        );
    }

    #[test]
    fn a_shard_is_a_script_of_sorted_terms() {
        let body = shard_body(
            "a\"",
            &[
                TermPostings {
                    term: "a\"b",
                    lists: vec![PostingList {
                        first: 0,
                        postings: &[(1, 2)],
                    }],
                },
                TermPostings {
                    term: "ab",
                    lists: vec![
                        PostingList {
                            first: 0,
                            postings: &[(0, 1)],
                        },
                        PostingList {
                            first: 4,
                            postings: &[(1, 3)],
                        },
                    ],
                },
            ],
        );
        assert_eq!(
            String::from_utf8_lossy(&body),
            "flywheelSearch.terms(\"a\\\"\",{\"a\\\"b\":\"BBC\",\"ab\":\"CABFD\"});\n"
        );
    }
}
