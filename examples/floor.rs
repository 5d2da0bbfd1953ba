//! The benchmark's floor: the least any generator must do with the corpus. Read every page,
//! render its markdown with pulldown-cmark (every extension), highlight its fenced code with
//! syntect into CSS classes, and write one `index.html` per page, in parallel. No templates,
//! no links, no search index. `bench/bench.py` times it beside Flywheel.
//!
//!     cargo run --release --example floor -- CONTENT_DIR OUTPUT_DIR

use std::path::Path;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use rayon::prelude::*;
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(content), Some(output)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: floor CONTENT_DIR OUTPUT_DIR");
        std::process::exit(2);
    };
    let files: Vec<_> = walkdir::WalkDir::new(content)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    let syntaxes = two_face::syntax::extra_newlines();
    files.par_iter().for_each(|path| {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let html = render(&text, &syntaxes);
        let rel = path
            .strip_prefix(content)
            .unwrap_or(path)
            .with_extension("");
        let dir = Path::new(output).join(rel);
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("index.html"), html);
    });
}

fn render(text: &str, syntaxes: &SyntaxSet) -> String {
    let mut events = Vec::new();
    let mut code: Option<(String, String)> = None;
    for event in Parser::new_ext(text, Options::all()) {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
            }
            Event::Text(t) if code.is_some() => {
                if let Some((_, body)) = code.as_mut() {
                    body.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((lang, body)) = code.take() {
                    let syntax = syntaxes
                        .find_syntax_by_token(&lang)
                        .unwrap_or_else(|| syntaxes.find_syntax_plain_text());
                    let mut generator = ClassedHTMLGenerator::new_with_class_style(
                        syntax,
                        syntaxes,
                        ClassStyle::SpacedPrefixed { prefix: "hl-" },
                    );
                    for line in LinesWithEndings::from(&body) {
                        let _ = generator.parse_html_for_line_which_includes_newline(line);
                    }
                    events.push(Event::Html(
                        format!("<pre><code>{}</code></pre>", generator.finalize()).into(),
                    ));
                }
            }
            other => events.push(other),
        }
    }
    let mut html = String::with_capacity(text.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    html
}
