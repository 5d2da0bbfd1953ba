//! The search index: documents per section, anchors that resolve, plain text, and a query
//! pipeline that matches the JavaScript client's word for word.

use flywheel::search::{documents, Analyzer};
use flywheel::BuildOptions;

use crate::harness::TestSite;

const WORDS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/search-words.txt"
);
const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/search-terms.json"
);

/// The terms of each line of the word list, as JSON. The browser tests run the JavaScript
/// pipeline over the same lines and compare with the same file, so the two must agree.
#[test]
fn rust_pipeline_matches_the_golden_terms() {
    let text = std::fs::read_to_string(WORDS).expect("word list");
    let lines: Vec<&str> = text
        .strip_suffix('\n')
        .unwrap_or(&text)
        .split('\n')
        .collect();
    assert!(lines.len() > 300, "a few hundred words");
    let analyzer = Analyzer::default();
    let terms: Vec<Vec<String>> = lines.iter().map(|line| analyzer.terms(line)).collect();
    let json = serde_json::to_string_pretty(&terms).expect("json") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &json).expect("write golden file");
    }
    let golden = std::fs::read_to_string(GOLDEN).expect("golden file (run with UPDATE_GOLDEN=1)");
    assert!(
        golden == json,
        "the pipeline changed: rerun with UPDATE_GOLDEN=1 and check the diff"
    );
}

fn bundled() -> flywheel::resolve::Site {
    let options = BuildOptions {
        root: env!("CARGO_MANIFEST_DIR").into(),
        output: "public".into(),
        drafts: false,
        ..Default::default()
    };
    flywheel::load_site(&options)
        .ok()
        .expect("bundled site")
        .site
}

#[test]
fn one_document_per_section_with_its_anchor() {
    let site = bundled();
    let docs = documents(&site);
    let fire: Vec<_> = docs
        .iter()
        .filter(|d| d.page_url == "case-studies/fire-phone/")
        .collect();
    let urls: Vec<String> = fire.iter().map(|d| d.url()).collect();
    assert_eq!(
        urls,
        [
            "case-studies/fire-phone/#context",
            "case-studies/fire-phone/#timeline",
            "case-studies/fire-phone/#key-decisions",
            "case-studies/fire-phone/#outcome",
            "case-studies/fire-phone/#what-it-shows",
            "case-studies/fire-phone/#lessons-for-your-team",
        ]
    );
    assert!(fire
        .iter()
        .all(|d| d.title == "Fire phone" && d.kind == "case-study"));
    assert_eq!(fire[1].headings, ["Timeline"]);
    assert!(fire[3].text.contains("$170 million"), "{}", fire[3].text);
}

#[test]
fn every_anchor_resolves_to_a_heading_of_its_page() {
    let site = bundled();
    for doc in documents(&site) {
        let page = site
            .pages
            .iter()
            .find(|p| p.url == doc.page_url)
            .expect("page of the document");
        if !doc.anchor.is_empty() {
            assert!(
                page.body.headings.iter().any(|h| h.id == doc.anchor),
                "{}",
                doc.url()
            );
        }
    }
}

#[test]
fn index_text_has_no_markup() {
    let site = TestSite::empty()
        .file("site.toml", "title = \"T\"\n")
        .file(
            "content/a.md",
            "+++\ntitle = \"<b>Bold</b> title\"\n+++\nSome *emphasis*, `code`, <span>raw</span> and [a link](https://example.org).\n\n## Next *part*\n\nMore.\n",
        );
    let resolved = flywheel::load_site(&BuildOptions {
        root: site.root().to_path_buf(),
        output: "public".into(),
        drafts: false,
        ..Default::default()
    })
    .ok()
    .expect("site");
    let docs = documents(&resolved.site);
    assert_eq!(docs[0].text, "Some emphasis, code, raw and a link.");
    assert_eq!(docs[1].headings, ["Next part"]);
    assert!(docs
        .iter()
        .all(|d| !d.text.contains('<') && !d.text.contains('*')));
}

#[test]
fn the_build_writes_an_index_that_pages_point_at() {
    let run = TestSite::basic().build().success();
    let home = run.output("index.html");
    assert!(
        home.contains("data-index=\"./search/index.js\""),
        "pages point at the manifest"
    );
    let manifest = run.output("search/index.js");
    assert!(
        manifest.starts_with("flywheelSearch.manifest({"),
        "{manifest}"
    );
    assert!(
        manifest.contains("\"terms\":{\"\":"),
        "a small site has one shard"
    );
    let pages = manifest
        .split("\"pages\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the manifest names the page table");
    assert!(pages.starts_with("search/p."), "{pages}");
    assert!(
        run.output(pages).starts_with("flywheelSearch.pages(["),
        "the page table is written where the manifest says"
    );
}

#[test]
fn large_sites_shard_the_terms_by_prefix() {
    let mut site = TestSite::empty().file("site.toml", "title = \"T\"\n");
    for n in 0..120 {
        let body: String = (0..10)
            .map(|s| {
                let words: Vec<String> = (0..40).map(|k| format!("w{n}x{s}y{k}")).collect();
                format!("## Part {s} of {n}\n\n{}.\n\n", words.join(" "))
            })
            .collect();
        site = site.file(
            &format!("content/p{n}.md"),
            &format!("+++\ntitle = \"Page {n}\"\n+++\n{body}"),
        );
    }
    let run = site.build().success();
    let files: Vec<String> = std::fs::read_dir(site.root().join("public/search"))
        .expect("search folder")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert!(
        files.iter().filter(|f| f.starts_with("t-")).count() > 5,
        "{files:?}"
    );
    assert!(
        files.iter().filter(|f| f.starts_with("d-")).count() >= 4,
        "{files:?}"
    );
    let _ = run;
}
