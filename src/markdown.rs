//! Stage 2, parse: a page's markdown body becomes HTML, its headings, and its links.
//!
//! Links between pages are written by contributors as relative paths to source files
//! (`../principles/ownership.md#in-practice`), which also work in a repository browser. The
//! parser cannot turn them into URLs yet (it does not know every page), so it leaves a
//! placeholder, `\0N\0`, in the HTML and records link `N`. The resolve stage checks each link and
//! the render stage swaps the placeholders for relative URLs. NUL cannot occur in the HTML
//! otherwise: the load stage replaces it in every source file.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::ops::{ControlFlow, Range};

use pulldown_cmark::{
    BlockQuoteKind, CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag,
    TagEnd,
};
use pulldown_cmark_escape::{escape_href, escape_html, escape_html_body_text};

use crate::ascii;
use crate::diag::Diagnostic;
use crate::highlight::{highlight, Highlighted};

/// Words per minute for the reading time estimate.
const READING_SPEED: usize = 220;

/// Longest summary, in characters, taken from the first paragraph.
const SUMMARY_LENGTH: usize = 240;

/// A heading of the page, with its unique id.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    /// The heading's text, without markup.
    pub text: String,
}

/// Where a link in the body points, as the contributor wrote it.
#[derive(Debug, Clone)]
pub struct LinkRef {
    /// The target file under `content/` (`principles/ownership.md`), or `None` for `#anchor` links
    /// within the same page.
    pub target: Option<String>,
    pub fragment: Option<String>,
    /// Where the link is in the file's bytes.
    pub span: Range<usize>,
    /// Whether the target is a page (`.md`) or a file copied as is (an image).
    pub is_page: bool,
}

/// What the parse stage knows about one page body.
#[derive(Debug, Clone, Default)]
pub struct ParsedBody {
    /// The HTML, with a `\0N\0` placeholder for each link of `links`.
    pub html: String,
    pub links: Vec<LinkRef>,
    pub headings: Vec<Heading>,
    pub word_count: usize,
    /// Minutes, at least one.
    pub reading_time: usize,
    /// The first paragraph as plain text, shortened.
    pub summary: String,
    /// The plain text of the body, split at each heading, for the search index.
    pub sections: Vec<TextSection>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The plain text under one heading (or before the first one).
#[derive(Debug, Clone, Default)]
pub struct TextSection {
    /// The index of the heading in [`ParsedBody::headings`]; `None` before the first heading.
    pub heading: Option<usize>,
    pub text: String,
}

/// Collects a body's search text, section by section. The section being written grows in the
/// thread's buffer and is copied out at its size when the next heading ends it: each section
/// grown in a string of its own was copied as it doubled and once more to give back the slack.
struct SectionTexts {
    done: Vec<TextSection>,
    heading: Option<usize>,
    current: String,
}

thread_local! {
    /// Each thread's buffer for the section being collected, kept from page to page.
    static SECTION_BUFFER: RefCell<String> = const { RefCell::new(String::new()) };
}

impl SectionTexts {
    fn new() -> Self {
        let mut current = SECTION_BUFFER.take();
        current.clear();
        SectionTexts {
            done: Vec::new(),
            heading: None,
            current,
        }
    }

    /// Appends text to the current section, collapsing runs of whitespace to one space, so the
    /// search index can use the text as it is; returns the number of words in `text`.
    fn add(&mut self, text: &str) -> usize {
        if let Some(words) = append_single_spaced(&mut self.current, text) {
            return words;
        }
        // Most of the rest is ASCII too: then it is copied in runs, without decoding characters.
        if text.is_ascii() {
            append_collapsed_ascii(&mut self.current, text)
        } else {
            let spaces = text.char_indices().map(|(i, c)| (i, c.is_whitespace()));
            append_collapsed(&mut self.current, text, spaces)
        }
    }

    /// Ends the current section and starts one under the heading at index `heading`.
    fn start(&mut self, heading: usize) {
        self.end_current();
        self.heading = Some(heading);
    }

    /// The sections, without an empty one before the first heading; the buffer goes back to
    /// the thread.
    fn finish(mut self) -> Vec<TextSection> {
        self.end_current();
        SECTION_BUFFER.set(self.current);
        self.done
    }

    fn end_current(&mut self) {
        if self.heading.is_some() || !self.current.trim().is_empty() {
            self.done.push(TextSection {
                heading: self.heading,
                text: self.current.as_str().to_owned(),
            });
        }
        self.current.clear();
    }
}

/// Appends a space to `to`, unless it is empty or already ends with one.
fn push_separator(to: &mut String) {
    if !to.is_empty() && !to.ends_with(' ') {
        to.push(' ');
    }
}

/// [`append_collapsed`] for text that needs nothing collapsed, which is most of it: ASCII words
/// joined by single spaces, perhaps with one space at either end where it meets inline markup
/// (`text *emphasis* text`). Such text is copied as it is, after one scan; other text is left
/// alone (`None`). (Without the ends, all text after a link or emphasis took the slow path.)
fn append_single_spaced(to: &mut String, text: &str) -> Option<usize> {
    let leading = text.starts_with(' ');
    let inner = &text[usize::from(leading)..];
    let trailing = inner.ends_with(' ');
    let inner = &inner[..inner.len() - usize::from(trailing)];
    let words = single_spaced_words(inner.as_bytes()).filter(|_| !inner.is_empty())?;
    if leading {
        push_separator(to);
    }
    to.push_str(inner);
    if trailing {
        to.push(' ');
    }
    Some(words)
}

/// [`append_collapsed`] for ASCII text, byte by byte, copying the runs of words joined by single
/// spaces in between.
fn append_collapsed_ascii(to: &mut String, text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut words = 0;
    let mut i = 0;
    to.reserve(text.len());
    while i < bytes.len() {
        let run_start = i;
        while i < bytes.len() && ascii::is_space(bytes[i]) {
            i += 1;
        }
        if i > run_start {
            push_separator(to);
        }
        if i == bytes.len() {
            break;
        }
        // A run of words joined by single spaces: each space before a non-space starts a word.
        let start = i;
        words += 1;
        while i < bytes.len() {
            if !ascii::is_space(bytes[i]) {
                i += 1;
            } else if bytes[i] == b' ' && bytes.get(i + 1).is_some_and(|&b| !ascii::is_space(b)) {
                words += 1;
                i += 2;
            } else {
                break;
            }
        }
        to.push_str(&text[start..i]);
    }
    words
}

/// The number of words in `bytes` when they are ASCII words joined by single spaces: no
/// whitespace but the space, none at either end, never two spaces in a row. `None` for other
/// text, and for text with any control character or non-ASCII byte, whitespace or not: that
/// takes a slower path, which is exact for every character, and testing for all of them costs
/// less than testing for the whitespace among them. Scanned eight bytes at a time, so it also
/// stands in for a separate check that the text is ASCII.
fn single_spaced_words(bytes: &[u8]) -> Option<usize> {
    if bytes.last().is_some_and(|&b| ascii::is_space(b)) {
        return None;
    }
    let mut words = 0;
    // The lane-0 mark when the byte before the current word is a space; the text's start counts
    // as one, so that a leading space is two in a row.
    let mut space_before = 0x80;
    // The padding after the last byte is a letter: it continues the last word.
    let scan = ascii::try_for_each_word(bytes, b'a', |_, word| {
        let spaces = ascii::lanes_equal(word, b' ');
        let after_space = (spaces << 8) | space_before;
        let unusual = (word & ascii::ALL_LANES) | ascii::control_lanes(word);
        if unusual != 0 || spaces & after_space != 0 {
            return ControlFlow::Break(());
        }
        words += ascii::count_marked(!spaces & ascii::ALL_LANES & after_space);
        space_before = (spaces >> 56) & 0x80;
        ControlFlow::Continue(())
    });
    scan.is_continue().then_some(words)
}

/// Appends the words of `text` to `to`, a single space for each run of whitespace (none at the
/// start of `to`, never two in a row), given each character's offset and whether it is a space.
/// Returns the number of words.
fn append_collapsed(
    to: &mut String,
    text: &str,
    spaces: impl Iterator<Item = (usize, bool)>,
) -> usize {
    let mut words = 0;
    let mut word_start = None;
    for (i, space) in spaces {
        if !space {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = word_start.take() {
            to.push_str(&text[start..i]);
            words += 1;
        }
        push_separator(to);
    }
    if let Some(start) = word_start {
        to.push_str(&text[start..]);
        words += 1;
    }
    words
}

/// The markdown extensions Flywheel turns on.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_DEFINITION_LIST
}

/// Where the body sits, so positions can be reported against the whole file.
pub struct BodySource<'a> {
    /// The whole file, for diagnostics.
    pub file_text: &'a str,
    pub display_path: &'a str,
    /// Where the body starts in `file_text`.
    pub body_start: usize,
    /// The folder of the file under `content/`, for resolving relative links.
    pub dir: &'a str,
    /// Pass raw HTML through as written (`trust_html` in `[markdown]`); else it is cleaned.
    pub trust_html: bool,
}

/// Parses a markdown body into HTML with link placeholders, headings and page statistics.
pub fn parse_body(src: &BodySource<'_>) -> ParsedBody {
    let body = &src.file_text[src.body_start..];
    let mut out = ParsedBody::default();
    let mut ids = HeadingIds::default();
    // About one event per 20-30 bytes of markdown: sized for that, the list is rarely grown.
    let mut events: Vec<Event<'_>> = Vec::with_capacity(body.len() / 16);
    let mut parser = Parser::new_ext(body, options()).into_offset_iter();
    let mut first_paragraph: Option<String> = None;
    let mut in_paragraph = 0usize;
    let mut paragraph_text = String::new();
    let mut image: Option<PendingImage> = None;
    let mut raw_html = false;
    let mut texts = SectionTexts::new();

    while let Some((event, range)) = parser.next() {
        let span = src.body_start + range.start..src.body_start + range.end;
        match event {
            Event::Start(Tag::Heading {
                level, id, classes, ..
            }) => {
                let inner = collect_until_end(&mut parser);
                let text = plain_text(&inner);
                let id = ids.unique(id.as_deref().map_or_else(|| slugify(&text), str::to_string));
                let class = if classes.is_empty() {
                    String::new()
                } else {
                    format!(" class=\"{}\"", escape_attr(&classes.join(" ")))
                };
                let tag = heading_tag(level);
                // Joined rather than formatted: a heading's two tags took 1% of a prose
                // build's instructions through `format!`, a fifth of that this way.
                let escaped_id = escape_attr(&id);
                events.push(Event::Html(
                    ["<", tag, " id=\"", &escaped_id, "\"", &class, ">"]
                        .concat()
                        .into(),
                ));
                for (inner_event, inner_range) in inner {
                    if let (Event::Text(t), None) = (&inner_event, &image) {
                        out.word_count += count_words(t);
                    }
                    let inner_span =
                        src.body_start + inner_range.start..src.body_start + inner_range.end;
                    push_inline(
                        src,
                        inner_event,
                        inner_span,
                        &mut out,
                        &mut events,
                        &mut image,
                    );
                }
                let anchor = [
                    " <a class=\"heading-anchor\" href=\"#",
                    &escaped_id,
                    "\" aria-label=\"Link to this section\">#</a></",
                    tag,
                    ">\n",
                ];
                events.push(Event::Html(anchor.concat().into()));
                out.headings.push(Heading {
                    level: level as u8,
                    id,
                    text,
                });
                texts.start(out.headings.len() - 1);
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match &kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split([' ', ',', '{']).next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                let mut code = String::new();
                for (inner, _) in parser.by_ref() {
                    match inner {
                        Event::Text(t) => code.push_str(&t),
                        Event::End(TagEnd::CodeBlock) => break,
                        _ => {}
                    }
                }
                out.word_count += texts.add(&code);
                texts.add(" ");
                events.push(Event::Html(
                    render_code(src, &code, &lang, span, &mut out).into(),
                ));
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                let (class, title) = alert(kind);
                events.push(Event::Html(
                    format!("<div class=\"alert alert-{class}\" role=\"note\"><p class=\"alert-title\">{title}</p>\n").into(),
                ));
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => events.push(Event::Html("</div>\n".into())),
            Event::Html(ref raw) | Event::InlineHtml(ref raw) if !src.trust_html => {
                raw_html = true;
                if let Some(removed) = crate::sanitize::removed_from_fragment(raw) {
                    out.diagnostics.push(
                        Diagnostic::warning(format!("raw HTML: removed {removed} (not allowed in content)"))
                            .at(src.display_path, src.file_text, span.clone())
                            .with_hint("write it in markdown; scripts, event handlers, svg and the like never reach readers"),
                    );
                }
                events.push(event);
            }
            Event::Start(Tag::Paragraph) => {
                in_paragraph += 1;
                events.push(Event::Start(Tag::Paragraph));
            }
            Event::End(TagEnd::Paragraph) => {
                texts.add(" ");
                in_paragraph = in_paragraph.saturating_sub(1);
                if first_paragraph.is_none() && !paragraph_text.trim().is_empty() {
                    first_paragraph = Some(std::mem::take(&mut paragraph_text));
                }
                events.push(Event::End(TagEnd::Paragraph));
            }
            other => {
                if in_paragraph > 0 && first_paragraph.is_none() {
                    if let Event::Text(t) | Event::Code(t) = &other {
                        paragraph_text.push_str(t);
                    } else if matches!(other, Event::SoftBreak | Event::HardBreak) {
                        paragraph_text.push(' ');
                    }
                }
                match &other {
                    // Words are counted here, once, as the text goes into the search text.
                    Event::Text(t) if image.is_none() => out.word_count += texts.add(t),
                    Event::Code(t) if image.is_none() => _ = texts.add(t),
                    Event::SoftBreak | Event::HardBreak => _ = texts.add(" "),
                    Event::End(end) if !is_inline(end) => _ = texts.add(" "),
                    _ => {}
                }
                push_inline(src, other, span, &mut out, &mut events, &mut image);
            }
        }
    }
    out.sections = texts.finish();
    out.html = align_with_classes(html_of(events));
    // Thousands of pages stay in memory until they are rendered: give back what rewriting the
    // tables' HTML over-allocated.
    out.html = compact(std::mem::take(&mut out.html));
    if raw_html {
        out.html = clean_keeping_links(&out.html, body);
    }
    out.reading_time = out.word_count.div_ceil(READING_SPEED).max(1);
    out.summary = shorten(first_paragraph.unwrap_or_default().trim(), SUMMARY_LENGTH);
    out
}

type Spanned<'a> = (Event<'a>, Range<usize>);

thread_local! {
    /// Each thread's buffer for the HTML of the page it parses, kept from page to page.
    static HTML_BUFFER: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The HTML of `events`, in an allocation of its own size. It is written into the thread's
/// buffer first: growing a new string for each page, by doubling, was most of the parse
/// stage's page faults.
fn html_of<'a>(events: Vec<Event<'a>>) -> String {
    HTML_BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        pulldown_cmark::html::push_html(buffer, events.into_iter());
        buffer.as_str().to_owned()
    })
}

/// The same text in an allocation of its own size. (`shrink_to_fit` is not enough: mimalloc
/// keeps a block in place when it shrinks by less than half.)
fn compact(text: String) -> String {
    if text.capacity() - text.len() > text.len() / 8 {
        text.as_str().to_owned()
    } else {
        text
    }
}

/// pulldown-cmark aligns table cells with `style` attributes, which a strict
/// Content-Security-Policy ignores; classes do the same job (the theme styles `.align-*`).
fn align_with_classes(html: String) -> String {
    if memchr::memmem::find(html.as_bytes(), b" style=\"text-align: ").is_none() {
        return html;
    }
    html.replace(" style=\"text-align: left\"", " class=\"align-left\"")
        .replace(" style=\"text-align: center\"", " class=\"align-center\"")
        .replace(" style=\"text-align: right\"", " class=\"align-right\"")
}

/// Cleans a page that holds raw HTML. The link placeholders (`\0N\0`) would not survive the HTML
/// parser, so they travel as fragment links carrying a nonce derived from the page (which no
/// author can predict) and are put back afterwards.
fn clean_keeping_links(html: &str, body: &str) -> String {
    let nonce = &blake3::hash(body.as_bytes()).to_hex()[..12];
    let mut marked = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('\0') {
        let Some(len) = rest[start + 1..].find('\0') else {
            break;
        };
        marked.push_str(&rest[..start]);
        marked.push_str(&format!("#fw{nonce}-{}", &rest[start + 1..start + 1 + len]));
        rest = &rest[start + len + 2..];
    }
    marked.push_str(rest);
    let cleaned = crate::sanitize::clean_page(&marked);
    let prefix = format!("#fw{nonce}-");
    let mut restored = String::with_capacity(cleaned.len());
    let mut rest = cleaned.as_str();
    while let Some(start) = rest.find(&prefix) {
        restored.push_str(&rest[..start]);
        let after = &rest[start + prefix.len()..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        restored.push('\0');
        restored.push_str(&after[..digits]);
        restored.push('\0');
        rest = &after[digits..];
    }
    restored.push_str(rest);
    restored
}

/// Whether a tag lives inside a line of text (so its end does not separate words).
fn is_inline(end: &TagEnd) -> bool {
    matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Link
            | TagEnd::Image
            | TagEnd::Superscript
            | TagEnd::Subscript
    )
}

/// Takes the events up to the end of the current tag (used for headings).
fn collect_until_end<'a>(parser: &mut impl Iterator<Item = Spanned<'a>>) -> Vec<Spanned<'a>> {
    let mut depth = 0usize;
    let mut inner = Vec::new();
    for (event, range) in parser.by_ref() {
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) if depth == 0 => break,
            Event::End(_) => depth -= 1,
            _ => {}
        }
        inner.push((event, range));
    }
    inner
}

fn plain_text(events: &[Spanned<'_>]) -> String {
    let mut text = String::new();
    for (event, _) in events {
        if let Event::Text(t) | Event::Code(t) = event {
            text.push_str(t);
        }
    }
    text.trim().to_string()
}

/// Handles links and images (rewritten to placeholders) and passes everything else through.
///
/// An image's alt text arrives as the events between its start and end; they are gathered as
/// plain text into `Pending image` and the whole `<img>` is emitted at the end.
fn push_inline<'a>(
    src: &BodySource<'_>,
    event: Event<'a>,
    span: Range<usize>,
    out: &mut ParsedBody,
    events: &mut Vec<Event<'a>>,
    image: &mut Option<PendingImage>,
) {
    if let Some(pending) = image {
        match event {
            Event::Text(t) | Event::Code(t) => pending.alt.push_str(&t),
            Event::End(TagEnd::Image) => {
                let title = if pending.title.is_empty() {
                    String::new()
                } else {
                    format!(" title=\"{}\"", escape_attr(&pending.title))
                };
                events.push(Event::Html(
                    format!(
                        "<img src=\"{}\" alt=\"{}\"{title}>",
                        pending.src,
                        escape_attr(pending.alt.trim())
                    )
                    .into(),
                ));
                *image = None;
            }
            _ => {}
        }
        return;
    }
    match event {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            ..
        }) => {
            let href = link_href(src, &dest_url, link_type, span, true, out);
            let title = if title.is_empty() {
                String::new()
            } else {
                format!(" title=\"{}\"", escape_attr(&title))
            };
            events.push(Event::Html(
                ["<a href=\"", &href, "\"", &title, ">"].concat().into(),
            ));
        }
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            ..
        }) => {
            *image = Some(PendingImage {
                src: link_href(src, &dest_url, link_type, span, false, out),
                title: title.to_string(),
                alt: String::new(),
            });
        }
        other => events.push(other),
    }
}

/// An image whose alt text is still being read.
struct PendingImage {
    src: String,
    title: String,
    alt: String,
}

/// Returns the `href`/`src` attribute value: the escaped URL for external links, or a
/// placeholder for links into the site that the resolve stage must check.
fn link_href(
    src: &BodySource<'_>,
    dest: &CowStr<'_>,
    link_type: LinkType,
    span: Range<usize>,
    is_link: bool,
    out: &mut ParsedBody,
) -> String {
    let dest = dest.as_ref();
    if !crate::sanitize::allowed_url(dest) {
        let scheme = crate::sanitize::scheme(dest).unwrap_or_default();
        out.diagnostics.push(
            Diagnostic::error(format!(
                "{} to a `{scheme}:` URL is not allowed",
                if is_link { "link" } else { "image" }
            ))
            .at(src.display_path, src.file_text, span)
            .with_hint("links and images may be http, https, mailto or relative"),
        );
        return String::from("#");
    }
    if !is_link && is_external(dest) && !dest.starts_with("mailto:") {
        out.diagnostics.push(
            Diagnostic::warning("image from another host: the site's Content-Security-Policy (img-src 'self') blocks it")
                .at(src.display_path, src.file_text, span.clone())
                .with_hint("save the image beside the page (or in static/) and link to it by a relative path"),
        );
    }
    if matches!(link_type, LinkType::Email) {
        let mut escaped = String::from("mailto:");
        let _ = escape_href(&mut escaped, dest);
        return escaped;
    }
    if is_external(dest) || matches!(link_type, LinkType::Autolink) {
        let mut escaped = String::new();
        let _ = escape_href(&mut escaped, dest);
        return escaped;
    }
    let (path, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f.to_string())),
        None => (dest, None),
    };
    if path.is_empty() {
        out.links.push(LinkRef {
            target: None,
            fragment,
            span,
            is_page: true,
        });
        return placeholder(out.links.len() - 1);
    }
    if path.starts_with('/') {
        out.diagnostics.push(
            Diagnostic::warning(format!("link `{dest}` starts with `/`, so it breaks when the site is served under a subpath"))
                .at(src.display_path, src.file_text, span)
                .with_hint("link to the source file by a relative path, such as `../principles/ownership.md`"),
        );
        let mut escaped = String::new();
        let _ = escape_href(&mut escaped, dest);
        return escaped;
    }
    let decoded = percent_decode(path);
    match join_relative(src.dir, &decoded) {
        Some(target) => {
            let is_page = target.ends_with(".md");
            if is_link && !is_page && !target.contains('.') {
                // A link to a folder or a URL path: leave it as written.
                let mut escaped = String::new();
                let _ = escape_href(&mut escaped, dest);
                return escaped;
            }
            out.links.push(LinkRef {
                target: Some(target),
                fragment,
                span,
                is_page,
            });
            placeholder(out.links.len() - 1)
        }
        None => {
            out.diagnostics.push(
                Diagnostic::error(format!("link `{dest}` points outside content/")).at(
                    src.display_path,
                    src.file_text,
                    span,
                ),
            );
            String::from("#")
        }
    }
}

fn placeholder(index: usize) -> String {
    ["\0", itoa::Buffer::new().format(index), "\0"].concat()
}

/// Whether a link destination has a scheme (`https:`, `mailto:`) or is protocol-relative.
pub fn is_external(dest: &str) -> bool {
    if dest.starts_with("//") {
        return true;
    }
    let scheme_end = dest.find(':');
    let path_end = dest.find(['/', '?', '#']).unwrap_or(dest.len());
    matches!(scheme_end, Some(i) if i > 0 && i < path_end
        && dest[..i].chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
}

/// Joins a relative path to a folder under `content/`; `None` if it climbs out.
pub fn join_relative(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Decodes `%XX` escapes in a link's path. A `%` not followed by two hex digits stays as it is,
/// and so does the whole path if what it decodes to is not UTF-8.
fn percent_decode(s: &str) -> Cow<'_, str> {
    // Most links have no escapes at all: then there is nothing to copy.
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some(&[b'%', high, low]) => hex_value(high).zip(hex_value(low)),
            _ => None,
        };
        if let Some((high, low)) = escaped {
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_or(Cow::Borrowed(s), Cow::Owned)
}

fn hex_value(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|value| value as u8)
}

fn render_code(
    src: &BodySource<'_>,
    code: &str,
    lang: &str,
    span: Range<usize>,
    out: &mut ParsedBody,
) -> String {
    let mut html = String::with_capacity(code.len() * 2);
    let lang_attr = if lang.is_empty() {
        String::new()
    } else {
        format!(" data-lang=\"{}\"", escape_attr(lang))
    };
    html.push_str(&format!("<pre class=\"code\"{lang_attr}><code>"));
    match highlight(code, lang) {
        Highlighted::Html(spans) => html.push_str(&spans),
        Highlighted::Plain => {
            let _ = escape_html_body_text(&mut html, code);
        }
        Highlighted::UnknownLanguage => {
            let fence_line = src.file_text[span.clone()]
                .lines()
                .next()
                .unwrap_or("")
                .len();
            out.diagnostics.push(
                Diagnostic::warning(format!(
                    "unknown language `{lang}` in a code fence; it is shown without highlighting"
                ))
                .at(
                    src.display_path,
                    src.file_text,
                    span.start..span.start + fence_line,
                )
                .with_hint("use a language name such as `rust`, `python`, `toml` or `text`"),
            );
            let _ = escape_html_body_text(&mut html, code);
        }
    }
    html.push_str("</code></pre>\n");
    html
}

fn alert(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

fn heading_tag(level: HeadingLevel) -> &'static str {
    match level {
        HeadingLevel::H1 => "h1",
        HeadingLevel::H2 => "h2",
        HeadingLevel::H3 => "h3",
        HeadingLevel::H4 => "h4",
        HeadingLevel::H5 => "h5",
        HeadingLevel::H6 => "h6",
    }
}

/// Escapes text for a double-quoted attribute value.
pub fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let _ = escape_html(&mut out, s);
    out
}

fn count_words(text: &str) -> usize {
    if !text.is_ascii() {
        return text.split_whitespace().count();
    }
    // Most text is ASCII: count the starts of words byte by byte, without decoding characters.
    let mut words = 0;
    let mut in_word = false;
    for byte in text.bytes() {
        let space = ascii::is_space(byte);
        words += usize::from(!space && !in_word);
        in_word = !space;
    }
    words
}

fn shorten(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.']))
}

/// Turns heading text into a URL fragment: lowercase words joined by `-`.
pub fn slugify(text: &str) -> String {
    // ASCII text (most headings) is lower-cased byte by byte: going through Unicode's tables
    // for each character cost two thousand instructions a heading.
    if text.is_ascii() {
        slug_of(
            text.bytes().map(|b| char::from(b.to_ascii_lowercase())),
            text.len(),
        )
    } else {
        slug_of(text.chars().flat_map(char::to_lowercase), text.len())
    }
}

/// The slug of lower-cased characters: alphanumeric runs joined by one `-` wherever spaces or
/// `-_/.` came between them; anything else is dropped.
fn slug_of(lowercase: impl Iterator<Item = char>, len: usize) -> String {
    let mut slug = String::with_capacity(len);
    let mut dash = false;
    for c in lowercase {
        if c.is_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.push(c);
        } else if c.is_whitespace() || matches!(c, '-' | '_' | '/' | '.') {
            dash = true;
        }
    }
    slug
}

/// Hands out heading ids that are unique within a page, in document order.
#[derive(Default)]
struct HeadingIds {
    used: HashSet<String>,
}

impl HeadingIds {
    fn unique(&mut self, base: String) -> String {
        let base = if base.is_empty() {
            "section".to_string()
        } else {
            base
        };
        if self.used.insert(base.clone()) {
            return base;
        }
        (1..)
            .map(|n| format!("{base}-{n}"))
            .find(|candidate| self.used.insert(candidate.clone()))
            .unwrap_or(base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> ParsedBody {
        parse_body(&BodySource {
            file_text: body,
            display_path: "content/a/b.md",
            body_start: 0,
            dir: "a",
            trust_html: false,
        })
    }

    #[test]
    fn headings_get_unique_ids_and_anchor_links() {
        let out = parse("## In practice\n\n## In practice\n\n### Ask *yourself* {#ask}\n");
        let ids: Vec<_> = out.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["in-practice", "in-practice-1", "ask"]);
        assert!(
            out.html.contains(
                "<h3 id=\"ask\">Ask <em>yourself</em> <a class=\"heading-anchor\" href=\"#ask\""
            ),
            "{}",
            out.html
        );
    }

    #[test]
    fn relative_page_links_become_placeholders() {
        let out = parse(
            "See [ownership](../principles/ownership.md#in-practice) and [x](https://example.com).",
        );
        assert_eq!(out.links.len(), 1);
        assert_eq!(
            out.links[0].target.as_deref(),
            Some("principles/ownership.md")
        );
        assert_eq!(out.links[0].fragment.as_deref(), Some("in-practice"));
        assert!(
            out.html.contains("<a href=\"\u{0}0\u{0}\">ownership</a>"),
            "{:?}",
            out.html
        );
        assert!(out.html.contains("href=\"https://example.com\""));
    }

    #[test]
    fn links_that_climb_out_of_content_are_errors() {
        let out = parse("[x](../../../etc/passwd.md)");
        assert_eq!(
            out.diagnostics[0].message,
            "link `../../../etc/passwd.md` points outside content/"
        );
    }

    #[test]
    fn images_keep_escaped_alt_text() {
        let out = parse("![a & b *word*](pic.png)");
        assert_eq!(out.links[0].target.as_deref(), Some("a/pic.png"));
        assert!(out.html.contains("alt=\"a &amp; b word\">"), "{}", out.html);
    }

    #[test]
    fn alerts_and_unknown_fences() {
        let out = parse("> [!NOTE]\n> Read this.\n\n```klingon\nx\n```\n");
        assert!(
            out.html.contains(
                "<div class=\"alert alert-note\" role=\"note\"><p class=\"alert-title\">Note</p>"
            ),
            "{}",
            out.html
        );
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(out.diagnostics[0].location.as_ref().unwrap().line, 4);
    }

    #[test]
    fn summary_word_count_and_reading_time() {
        let out = parse("# T\n\nFirst *para* here.\n\nSecond.");
        assert_eq!(out.summary, "First para here.");
        assert_eq!(out.word_count, 5);
        assert_eq!(out.reading_time, 1);
    }

    #[test]
    fn raw_html_is_cleaned_with_a_warning_and_links_survive() {
        let out = parse("See [o](../principles/ownership.md).\n\n<img src=x onerror=alert(1)>\n\n<script>alert(2)</script>\n\n| a |\n|:-:|\n| b |\n");
        assert!(
            !out.html.contains("onerror") && !out.html.contains("<script"),
            "{}",
            out.html
        );
        assert!(
            out.html.contains("<a href=\"\u{0}0\u{0}\">o</a>"),
            "{}",
            out.html
        );
        assert!(out.html.contains("class=\"align-center\""), "{}", out.html);
        let warnings: Vec<_> = out
            .diagnostics
            .iter()
            .map(|d| (d.message.as_str(), d.location.as_ref().map(|l| l.line)))
            .collect();
        assert_eq!(
            warnings,
            [
                (
                    "raw HTML: removed onerror= (not allowed in content)",
                    Some(3)
                ),
                (
                    "raw HTML: removed <script> (not allowed in content)",
                    Some(5)
                ),
            ]
        );
    }

    #[test]
    fn dangerous_link_schemes_are_errors() {
        let out =
            parse("[a](javascript:alert(1)) ![i](&#106;avascript:alert(4)) [b](<java\tscript:x>)");
        let messages: Vec<_> = out.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "link to a `javascript:` URL is not allowed",
                "image to a `javascript:` URL is not allowed",
                "link to a `javascript:` URL is not allowed",
            ]
        );
        assert!(!out.html.contains("javascript"), "{}", out.html);
    }

    #[test]
    fn word_counts_agree_with_split_whitespace() {
        for text in [
            "",
            "   ",
            "one",
            " two  words ",
            "tab\tand\nnewline\r\nend",
            "vertical\x0btab\x0cfeed",
            "naïve café — done",
            "no\u{a0}break space",
        ] {
            assert_eq!(
                count_words(text),
                text.split_whitespace().count(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn search_text_collapses_whitespace() {
        let mut texts = SectionTexts::new();
        for piece in ["  lead", "ing\n\nand ", " trailing\u{a0}", "x", "  "] {
            texts.add(piece);
        }
        texts.start(0);
        let sections = texts.finish();
        assert_eq!(sections[0].text, "leading and trailing x ");
        assert_eq!(sections[1].heading, Some(0));
        assert_eq!(sections[1].text, "");
    }

    proptest::proptest! {
        #[test]
        fn ascii_slugs_are_the_general_ones(text in "[ -~\t\n]{0,40}") {
            // A bullet makes the text non-ASCII, and slugify drops it without a trace.
            let general = slugify(&format!("{text}\u{2022}"));
            proptest::prop_assert_eq!(slugify(&text), general);
        }

        #[test]
        fn ascii_collapsing_matches_the_general_path(
            start in "(|x|x )",
            text in "[ ab\t\n\r\x0b\x0c]{0,40}",
        ) {
            let mut ascii = start.clone();
            let ascii_words = append_collapsed_ascii(&mut ascii, &text);
            let mut general = start.clone();
            let spaces = text.char_indices().map(|(i, c)| (i, c.is_whitespace()));
            let general_words = append_collapsed(&mut general, &text, spaces);
            proptest::prop_assert_eq!(&ascii, &general);
            proptest::prop_assert_eq!(ascii_words, general_words);
            proptest::prop_assert_eq!(ascii_words, text.split_whitespace().count());
            // The copy of text that needs nothing collapsed, where it applies, is the same.
            let mut fast = start.clone();
            if let Some(fast_words) = append_single_spaced(&mut fast, &text) {
                proptest::prop_assert_eq!(fast, general);
                proptest::prop_assert_eq!(fast_words, general_words);
            }
        }

        #[test]
        fn single_spaced_text_is_recognised_and_counted(
            text in "( ?)([ab]{1,9} ){0,6}[ab]{0,9}( ?)",
        ) {
            let regular = !text.starts_with(' ') && !text.ends_with(' ') && !text.contains("  ");
            let counted = single_spaced_words(text.as_bytes());
            let expected = regular.then(|| text.split_whitespace().count());
            proptest::prop_assert_eq!(counted, expected);
        }
    }

    #[test]
    fn headings_and_links_carry_their_attributes() {
        let body = parse(
            "## One & two\n\n### Custom {#my-id .wide .tall}\n\n[a](https://example.com \"Ti\\\"tle\")\n",
        );
        assert!(
            body.html.contains(concat!(
                "<h2 id=\"one-two\">One &amp; two <a class=\"heading-anchor\" ",
                "href=\"#one-two\" aria-label=\"Link to this section\">#</a></h2>\n"
            )),
            "{}",
            body.html
        );
        assert!(
            body.html.contains(concat!(
                "<h3 id=\"my-id\" class=\"wide tall\">Custom <a class=\"heading-anchor\" ",
                "href=\"#my-id\" aria-label=\"Link to this section\">#</a></h3>"
            )),
            "{}",
            body.html
        );
        assert!(
            body.html
                .contains("<a href=\"https://example.com\" title=\"Ti&quot;tle\">a</a>"),
            "{}",
            body.html
        );
    }

    #[test]
    fn only_plain_ascii_is_copied_without_collapsing() {
        assert_eq!(single_spaced_words(b"one two three"), Some(3));
        // Non-ASCII text, and text with a control character, take the exact paths, whitespace
        // or not: a no-break space is whitespace, an accent and a bell are not.
        for text in ["one\u{a0}two", "caf\u{e9} noir", "one\x07two", "one\ttwo"] {
            assert_eq!(single_spaced_words(text.as_bytes()), None, "{text:?}");
        }
        let mut texts = SectionTexts::new();
        assert_eq!(texts.add(" one\u{a0}two  caf\u{e9}\x07 "), 3);
        assert_eq!(texts.current, "one two caf\u{e9}\x07 ");
    }

    #[test]
    fn percent_escapes_in_link_paths() {
        assert_eq!(percent_decode("plain/page.md"), "plain/page.md");
        assert_eq!(percent_decode("a%20b.md"), "a b.md");
        assert_eq!(percent_decode("caf%C3%a9.md"), "caf\u{e9}.md");
        // Not an escape: a `%` without two hex digits after it (a sign is not a digit).
        for kept in ["100%", "%zz.md", "%+5.md", "%2"] {
            assert_eq!(percent_decode(kept), kept);
        }
        // Escapes that decode to something other than UTF-8 leave the path as written.
        assert_eq!(percent_decode("%FF.md"), "%FF.md");
    }

    #[test]
    fn external_detection() {
        assert!(is_external("https://a.b/c"));
        assert!(is_external("mailto:x@y"));
        assert!(!is_external("../a.md"));
        assert!(!is_external("a.md#x:y"));
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("Have Backbone; Disagree and Commit"),
            "have-backbone-disagree-and-commit"
        );
        assert_eq!(slugify("Are Right, A Lot"), "are-right-a-lot");
        assert_eq!(slugify("Día 1"), "día-1");
    }
}
