//! Code highlighting with syntect, into CSS classes so the theme owns the colours.
//!
//! The syntax set is big and slow to load (tens of milliseconds), so it is loaded once, on first
//! use: a site with no code never pays for it. Syntaxes come from `two-face` (bat's set), which
//! adds TOML, TypeScript and others that a knowledge base about tools needs. Lines that repeat
//! are highlighted once per state and then copied ([`LineMemo`]): the output is syntect's, byte
//! for byte, in a fraction of the time on code that repeats itself.

use std::cell::RefCell;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};
use syntect::highlighting::ThemeSet;
use syntect::html::{css_for_theme_with_class_style, line_tokens_to_classed_spans, ClassStyle};
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Prefix of every class the highlighter emits, so theme classes never clash with it.
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

/// Fence languages that mean "no highlighting", without a warning.
const PLAIN_LANGUAGES: &[&str] = &["", "text", "txt", "plain", "plaintext", "console", "output"];

fn syntaxes() -> &'static SyntaxSet {
    static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();
    SYNTAXES.get_or_init(two_face::syntax::extra_newlines)
}

/// The outcome of highlighting one fenced block.
pub enum Highlighted {
    /// HTML spans with classes, ready to go inside `<code>`.
    Html(String),
    /// The language is plain text: escape and show as is.
    Plain,
    /// The language is unknown: shown plain, and the caller warns.
    UnknownLanguage,
}

/// Highlights `code` written in the fence language `lang`.
pub fn highlight(code: &str, lang: &str) -> Highlighted {
    let lang = lang.trim().to_ascii_lowercase();
    if PLAIN_LANGUAGES.contains(&lang.as_str()) {
        return Highlighted::Plain;
    }
    let set = syntaxes();
    let Some(syntax) = set
        .find_syntax_by_token(&lang)
        .or_else(|| set.find_syntax_by_token(alias(&lang)))
    else {
        return Highlighted::UnknownLanguage;
    };
    match highlight_lines(code, syntax, set) {
        Some(html) => Highlighted::Html(html),
        None => Highlighted::Plain,
    }
}

/// What syntect's `ClassedHTMLGenerator` does, one line at a time, but through [`LineMemo`]:
/// each line's spans come from memory when the same line was highlighted before from the same
/// state. `None` when syntect fails on a line.
fn highlight_lines(code: &str, syntax: &SyntaxReference, set: &SyntaxSet) -> Option<String> {
    let mut state = LineState {
        parse: ParseState::new(syntax),
        scopes: ScopeStack::new(),
    };
    let mut html = String::with_capacity(code.len() * 3);
    let mut open_spans: isize = 0;
    MEMO.with_borrow_mut(|memo| {
        for line in LinesWithEndings::from(code) {
            open_spans += memo.highlight_line(line, &mut state, set, &mut html)?;
        }
        Some(())
    })?;
    for _ in 0..open_spans {
        html.push_str("</span>");
    }
    Some(html)
}

/// Where the highlighter is between two lines: the parser's context stack and the scopes of
/// the spans left open.
#[derive(Clone, PartialEq, Eq)]
struct LineState {
    parse: ParseState,
    scopes: ScopeStack,
}

/// One line highlighted from one state: its spans and the state after it.
struct Remembered {
    before: LineState,
    html: Box<str>,
    open_spans: isize,
    after: LineState,
}

thread_local! {
    static MEMO: RefCell<LineMemo> = RefCell::new(LineMemo::default());
}

/// Highlighted lines, by their text, on each thread.
///
/// Highlighting a line is a pure function of the line and the state before it, and costs tens
/// of microseconds of regex matching, while code repeats lines all the time: closing braces,
/// blank lines, `return out`, the same import on every page. A line seen before in the same
/// state is copied instead (a hash of its text and a comparison of two small stacks).
///
/// Most lines occur once, so a line is only remembered the second time it is highlighted (the
/// first time, only a hash of its text is kept): the memo holds the lines that repeat, not
/// every line of the site. Both are emptied when full, so lines that keep coming back are soon
/// in them again and the memory stays bounded.
#[derive(Default)]
struct LineMemo {
    lines: FxHashMap<Box<str>, Vec<Remembered>>,
    remembered: usize,
    /// Hashes of the lines highlighted once.
    seen_once: FxHashSet<u64>,
}

impl LineMemo {
    /// Lines remembered with their spans and states (about a kilobyte each).
    const CAPACITY: usize = 10_000;
    /// Lines known only by their hash.
    const SEEN_CAPACITY: usize = 100_000;

    /// Appends the spans of `line` to `html` and moves `state` past it; returns the change in
    /// the number of open spans, or `None` when syntect fails.
    fn highlight_line(
        &mut self,
        line: &str,
        state: &mut LineState,
        set: &SyntaxSet,
        html: &mut String,
    ) -> Option<isize> {
        if let Some(seen) = self
            .lines
            .get(line)
            .and_then(|seen| seen.iter().find(|r| r.before == *state))
        {
            html.push_str(&seen.html);
            state.clone_from(&seen.after);
            return Some(seen.open_spans);
        }
        let before = self.seen_before(line).then(|| state.clone());
        let ops = state.parse.parse_line(line, set).ok()?;
        let (spans, open_spans) =
            line_tokens_to_classed_spans(line, &ops, CLASS_STYLE, &mut state.scopes).ok()?;
        html.push_str(&spans);
        let Some(before) = before else {
            return Some(open_spans);
        };
        if self.remembered >= Self::CAPACITY {
            self.lines.clear();
            self.remembered = 0;
        }
        self.remembered += 1;
        self.lines.entry(line.into()).or_default().push(Remembered {
            before,
            html: spans.into_boxed_str(),
            open_spans,
            after: state.clone(),
        });
        Some(open_spans)
    }

    /// Whether `line` was highlighted before; notes that it now has been.
    fn seen_before(&mut self, line: &str) -> bool {
        if self.seen_once.len() >= Self::SEEN_CAPACITY {
            self.seen_once.clear();
        }
        let hash = rustc_hash::FxBuildHasher.hash_one(line);
        !self.seen_once.insert(hash)
    }
}

/// Common fence names that syntect knows under another token.
fn alias(lang: &str) -> &str {
    match lang {
        "shell" | "sh" | "zsh" => "bash",
        "js" | "node" => "javascript",
        "ts" => "typescript",
        "py" => "python",
        "rs" => "rust",
        "yml" => "yaml",
        other => other,
    }
}

/// The stylesheet for code: the light theme, and the dark one scoped to the dark colour scheme
/// (chosen by the system, or forced by `data-theme` on the root element).
pub fn stylesheet(light: &str, dark: &str) -> Result<String, String> {
    let themes = ThemeSet::load_defaults();
    let find = |name: &str| {
        themes.themes.get(name).cloned().ok_or_else(|| {
            let known: Vec<&str> = themes.themes.keys().map(String::as_str).collect();
            format!(
                "unknown highlight theme `{name}`; known themes: {}",
                known.join(", ")
            )
        })
    };
    let css = |name: &str| {
        css_for_theme_with_class_style(&find(name)?, CLASS_STYLE).map_err(|e| e.to_string())
    };
    let light_css = css(light)?;
    let dark_css = css(dark)?;
    Ok(format!(
        "/* Code colours, generated by Flywheel from the `{light}` and `{dark}` themes. */\n{light_css}\n\
         [data-theme=\"dark\"] {{\n{dark_css}\n}}\n\
         @media (prefers-color-scheme: dark) {{\n:root:not([data-theme=\"light\"]) {{\n{dark_css}\n}}\n}}\n",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_language_gets_classes_not_styles() {
        let Highlighted::Html(html) = highlight("fn main() {}\n", "rust") else {
            panic!("rust should highlight");
        };
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(!html.contains("style="), "{html}");
    }

    #[test]
    fn toml_and_aliases_are_known() {
        assert!(matches!(highlight("a = 1\n", "toml"), Highlighted::Html(_)));
        assert!(matches!(highlight("ls\n", "sh"), Highlighted::Html(_)));
    }

    #[test]
    fn unknown_and_plain_languages() {
        assert!(matches!(
            highlight("x", "klingon"),
            Highlighted::UnknownLanguage
        ));
        assert!(matches!(highlight("x", "text"), Highlighted::Plain));
    }

    /// syntect's own generator, which the memoised one must match byte for byte.
    fn reference(code: &str, lang: &str) -> String {
        let set = syntaxes();
        let syntax = set.find_syntax_by_token(lang).expect("known language");
        let mut generator =
            syntect::html::ClassedHTMLGenerator::new_with_class_style(syntax, set, CLASS_STYLE);
        for line in LinesWithEndings::from(code) {
            generator
                .parse_html_for_line_which_includes_newline(line)
                .expect("highlights");
        }
        generator.finalize()
    }

    #[test]
    fn remembered_lines_match_syntect_in_every_state() {
        // The same line as code, inside a block comment and inside a string, each seen often
        // enough to be remembered: a memo that ignored the state would colour them alike.
        let rust = "let a = 1;\n/*\nlet a = 1;\n*/\nlet a = 1;\nlet s = \"\nlet a = 1;\n\";\n";
        let python = "x = 1\n\"\"\"\nx = 1\n\"\"\"\nx = 1\n";
        for _ in 0..3 {
            for (code, lang) in [(rust, "rust"), (python, "python")] {
                let Highlighted::Html(html) = highlight(code, lang) else {
                    panic!("{lang} should highlight");
                };
                assert_eq!(html, reference(code, lang), "{lang}");
            }
        }
        let comment = reference("/*\nlet a = 1;\n*/\n", "rust");
        assert!(comment.contains("hl-comment"), "{comment}");
    }

    #[test]
    fn stylesheet_nests_the_dark_theme() {
        let css = stylesheet("InspiredGitHub", "base16-ocean.dark").unwrap();
        assert!(css.contains("[data-theme=\"dark\"]"));
        assert!(stylesheet("nope", "base16-ocean.dark")
            .unwrap_err()
            .contains("unknown highlight theme `nope`"));
    }
}
