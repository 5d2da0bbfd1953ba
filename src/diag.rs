//! Diagnostics: every problem Flywheel finds in content, configuration or templates.
//!
//! Stages never stop at the first problem. They push [`Diagnostic`]s into a list and carry on
//! where they safely can, so a contributor sees every mistake in one run. Low layers produce a
//! message; the caller that knows the file attaches the location with [`Diagnostic::at`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// How bad a problem is: errors fail the build, warnings are reported and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A place in a source file, resolved to human coordinates (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    /// The whole offending line, without its line ending.
    pub source_line: String,
    /// How many characters the caret underline covers (at least one).
    pub width: usize,
}

/// One problem, with where it is and, when we can guess, how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// Path relative to the site root, with `/` separators.
    pub file: Option<String>,
    pub location: Option<Location>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Severity::Error, message.into())
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, message.into())
    }

    fn new(severity: Severity, message: String) -> Self {
        Diagnostic {
            severity,
            message,
            file: None,
            location: None,
            hint: None,
        }
    }

    /// Names the file the problem is in, without a position (a whole-file problem).
    pub fn in_file(mut self, file: &str) -> Self {
        self.file = Some(file.to_string());
        self
    }

    /// Points at a byte range of `source`, the full text of `file`.
    pub fn at(mut self, file: &str, source: &str, span: std::ops::Range<usize>) -> Self {
        self.file = Some(file.to_string());
        self.location = Some(locate(source, span));
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The human format: a headline, `--> file:line:col`, the line and a caret, then the hint.
    pub fn render_human(&self) -> String {
        let mut out = String::new();
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{label}: {}", self.message);
        match (&self.file, &self.location) {
            (Some(file), Some(loc)) => {
                let gutter = loc.line.to_string().len();
                let pad = " ".repeat(gutter);
                let _ = writeln!(out, "{pad}--> {file}:{}:{}", loc.line, loc.column);
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{} | {}", loc.line, loc.source_line);
                let indent: String = loc
                    .source_line
                    .chars()
                    .take(loc.column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let _ = writeln!(out, "{pad} | {indent}{}", "^".repeat(loc.width));
            }
            (Some(file), None) => {
                let _ = writeln!(out, " --> {file}");
            }
            _ => {}
        }
        if let Some(hint) = &self.hint {
            let gutter = self
                .location
                .as_ref()
                .map_or(1, |l| l.line.to_string().len());
            let _ = writeln!(out, "{} = help: {hint}", " ".repeat(gutter));
        }
        out
    }

    /// One GitHub Actions workflow command, so the problem shows on the pull request's line.
    pub fn render_github(&self) -> String {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = Vec::new();
        if let Some(file) = &self.file {
            props.push(format!("file={}", escape_github_property(file)));
        }
        if let Some(loc) = &self.location {
            props.push(format!("line={}", loc.line));
            props.push(format!("col={}", loc.column));
        }
        let mut message = self.message.clone();
        if let Some(hint) = &self.hint {
            message.push_str("\nhelp: ");
            message.push_str(hint);
        }
        format!(
            "::{level} {}::{}",
            props.join(","),
            escape_github_data(&message)
        )
    }
}

fn escape_github_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_github_property(s: &str) -> String {
    escape_github_data(s)
        .replace(':', "%3A")
        .replace(',', "%2C")
}

/// Turns a byte span into a line, a column (in characters) and the text of the line.
///
/// Line endings may be `\n` or `\r\n`; the `\r` is never shown nor counted. A span past the end
/// (an error "at end of input") points just after the last character.
pub fn locate(source: &str, span: std::ops::Range<usize>) -> Location {
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let line_text = source[line_start..line_end].trim_end_matches('\r');
    let line = source[..line_start].matches('\n').count() + 1;
    let column = source[line_start..start].chars().count() + 1;
    let end = floor_char_boundary(source, span.end.clamp(start, line_end));
    let width = source[start..end]
        .trim_end_matches('\r')
        .chars()
        .count()
        .max(1);
    Location {
        line,
        column,
        source_line: line_text.to_string(),
        width,
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The list of problems a run has found so far.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Sorts by file, then position, so the report reads top to bottom whatever the thread order.
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            let pos = |d: &Diagnostic| d.location.as_ref().map(|l| (l.line, l.column));
            (a.file.is_none(), &a.file, pos(a), a.severity, &a.message).cmp(&(
                b.file.is_none(),
                &b.file,
                pos(b),
                b.severity,
                &b.message,
            ))
        });
        self.items.dedup();
        self.items
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// The closest candidate to a misspelt name, if one is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(wrong, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// A site-relative display path with `/` separators, whatever the platform.
pub fn display_path(root: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_counts_lines_and_characters() {
        let src = "first\r\nsecönd line\r\nthird";
        let at = src.find("line").unwrap();
        let loc = locate(src, at..at + 4);
        assert_eq!((loc.line, loc.column, loc.width), (2, 8, 4));
        assert_eq!(loc.source_line, "secönd line");
    }

    #[test]
    fn locate_past_the_end_points_after_the_last_character() {
        let loc = locate("abc", 10..12);
        assert_eq!((loc.line, loc.column, loc.width), (1, 4, 1));
    }

    #[test]
    fn human_format_shows_the_line_and_a_caret() {
        let src = "+++\ntitel = \"x\"\n+++\n";
        let d = Diagnostic::error("unknown field `titel`")
            .at("content/a.md", src, 4..9)
            .with_hint("did you mean `title`?");
        assert_eq!(
            d.render_human(),
            "error: unknown field `titel`\n --> content/a.md:2:1\n  |\n2 | titel = \"x\"\n  | ^^^^^\n  = help: did you mean `title`?\n"
        );
    }

    #[test]
    fn github_format_escapes_newlines_and_separators() {
        let d = Diagnostic::warning("a\nb").at("x,y.md", "z", 0..1);
        assert_eq!(
            d.render_github(),
            "::warning file=x%2Cy.md,line=1,col=1::a%0Ab"
        );
    }

    #[test]
    fn did_you_mean_finds_close_names_only() {
        let names = ["ownership", "think-big", "frugality"];
        assert_eq!(did_you_mean("ownershp", names), Some("ownership"));
        assert_eq!(did_you_mean("zzz", names), None);
    }
}
