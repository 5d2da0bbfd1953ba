//! One content file (front matter and body) through the whole page pipeline: front matter
//! checked against a kind with every field type, markdown parsed, links collected, raw HTML
//! cleaned. Any panic, hang or runaway allocation is a bug.
#![no_main]

use std::sync::OnceLock;

use flywheel::config::SiteConfig;
use flywheel::diag::Diagnostics;
use flywheel::front_matter::{parse, schema_for};
use flywheel::load::{split_front_matter, SourceFile};
use flywheel::markdown::{parse_body, BodySource};
use libfuzzer_sys::fuzz_target;

const CONFIG: &str = r#"title = "Fuzz"
[kinds.case-study]
folder = "case-studies"
[kinds.case-study.fields]
year = { type = "integer", required = true }
when = { type = "date" }
ok = { type = "bool" }
outcome = { type = "enum", values = ["success", "failure"] }
principles = { type = "list", references = "principle", min = 2 }
sources = { type = "list", of = "table" }
meta = { type = "table" }
[kinds.principle]
folder = "principles"
"#;

fn config() -> &'static SiteConfig {
    static CONFIG_CELL: OnceLock<SiteConfig> = OnceLock::new();
    CONFIG_CELL.get_or_init(|| SiteConfig::parse(CONFIG).ok().expect("fuzz config"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let text = text.replace('\0', "\u{fffd}");
    let config = config();
    let mut diags = Diagnostics::default();
    let (front_matter, body_start) = match split_front_matter(&text) {
        Ok(split) => split,
        Err(_) => (0..0, 0),
    };
    let source = SourceFile {
        rel_path: "case-studies/fuzz.md".into(),
        display_path: "content/case-studies/fuzz.md".into(),
        text: text.clone(),
        front_matter,
        body_start,
        last_commit: None,
    };
    let schema = schema_for(config.kinds.get("case-study"));
    let _ = parse(&source, "case study", &schema, &mut diags);
    let body = parse_body(&BodySource {
        file_text: &text,
        display_path: "content/case-studies/fuzz.md",
        body_start,
        dir: "case-studies",
        trust_html: false,
    });
    for d in body.diagnostics.iter().chain(diags.iter()) {
        let _ = d.render_human();
    }
});
