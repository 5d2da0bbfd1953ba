//! The bundled knowledge base has the shape the content brief asks for.

use std::collections::BTreeSet;

use flywheel::resolve::Site;
use flywheel::BuildOptions;

const PRINCIPLES: [&str; 16] = [
    "Customer Obsession",
    "Ownership",
    "Invent and Simplify",
    "Are Right, A Lot",
    "Learn and Be Curious",
    "Hire and Develop the Best",
    "Insist on the Highest Standards",
    "Think Big",
    "Bias for Action",
    "Frugality",
    "Earn Trust",
    "Dive Deep",
    "Have Backbone; Disagree and Commit",
    "Deliver Results",
    "Strive to be Earth's Best Employer",
    "Success and Scale Bring Broad Responsibility",
];

fn bundled() -> Site {
    let options = BuildOptions {
        root: env!("CARGO_MANIFEST_DIR").into(),
        output: "public".into(),
        drafts: false,
        ..Default::default()
    };
    match flywheel::load_site(&options) {
        Ok(resolved) => {
            assert!(
                resolved.diagnostics.is_empty(),
                "warnings in the bundled site"
            );
            resolved.site
        }
        Err(_) => panic!("the bundled site has errors: run `cargo run -- check`"),
    }
}

fn titles_of(site: &Site, kind: &str) -> Vec<String> {
    site.pages_of_kind(kind)
        .map(|i| site.pages[i].front.title.clone())
        .collect()
}

#[test]
fn all_sixteen_principles_in_published_order() {
    let site = bundled();
    assert_eq!(titles_of(&site, "principle"), PRINCIPLES);
    let orders: Vec<i64> = site
        .pages_of_kind("principle")
        .filter_map(|i| site.pages[i].front.order)
        .collect();
    assert_eq!(orders, (1..=16).collect::<Vec<i64>>());
}

#[test]
fn the_five_named_case_studies() {
    let site = bundled();
    let ids: BTreeSet<String> = site
        .pages_of_kind("case-study")
        .map(|i| site.pages[i].id.clone())
        .collect();
    let expected: BTreeSet<String> = [
        "prime",
        "echo",
        "fire-phone",
        "sagemaker-data-wrangler",
        "ec2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(ids, expected);
}

#[test]
fn at_least_three_illustrative_prfaqs_and_a_template() {
    let site = bundled();
    let prfaqs: Vec<_> = site
        .pages_of_kind("prfaq")
        .map(|i| &site.pages[i])
        .collect();
    assert!(prfaqs
        .iter()
        .all(|p| p.front.fields["illustrative"] == true));
    let examples = prfaqs.iter().filter(|p| p.id != "template").count();
    assert!(examples >= 3, "{examples} example PR/FAQs");
    assert!(prfaqs.iter().any(|p| p.id == "template"));
}

#[test]
fn every_principle_is_shown_by_a_case_study_or_mechanism() {
    let site = bundled();
    for i in site.pages_of_kind("principle") {
        let page = &site.pages[i];
        let shown = page
            .backlinks
            .iter()
            .any(|(from, _)| matches!(site.pages[*from].kind.as_str(), "case-study" | "mechanism"));
        assert!(
            shown,
            "{} is referenced by no case study or mechanism",
            page.front.title
        );
    }
}

#[test]
fn every_page_cites_sources() {
    let site = bundled();
    for page in site
        .pages
        .iter()
        .filter(|p| p.source.is_some() && !p.is_section)
    {
        let sources = page.front.fields.get("sources").and_then(|s| s.as_array());
        assert!(
            sources.is_some_and(|s| !s.is_empty()),
            "{} cites no sources",
            page.rel_path
        );
    }
}

#[test]
fn the_reading_path_visits_every_principle_in_five_days() {
    let site = bundled();
    let path = site
        .pages
        .iter()
        .find(|p| p.kind == "reading-path" && !p.is_section)
        .expect("a reading path");
    let days: Vec<_> = path
        .body
        .headings
        .iter()
        .filter(|h| h.level == 2)
        .map(|h| h.text.as_str())
        .collect();
    assert_eq!(days, ["Day 1", "Day 2", "Day 3", "Day 4", "Day 5"]);
    for i in site.pages_of_kind("principle") {
        let url = &site.pages[i].url;
        assert!(
            path.link_urls.iter().any(|u| u == url),
            "the path skips {url}"
        );
    }
}

/// CONTRIBUTING.md's field tables are generated from site.toml; this keeps them in step.
#[test]
fn contributing_lists_the_declared_fields() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/CONTRIBUTING.md");
    let text = std::fs::read_to_string(path).expect("CONTRIBUTING.md");
    let (head, rest) = text
        .split_once("<!-- fields:start -->\n")
        .expect("start marker");
    let (_, tail) = rest.split_once("<!-- fields:end -->").expect("end marker");
    let generated = flywheel::schema::fields_markdown(&bundled().config);
    let expected = format!("{head}<!-- fields:start -->\n{generated}<!-- fields:end -->{tail}");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &expected).expect("write CONTRIBUTING.md");
    }
    let current = std::fs::read_to_string(path).expect("CONTRIBUTING.md");
    assert!(
        current == expected,
        "CONTRIBUTING.md is out of date: run the tests with UPDATE_GOLDEN=1"
    );
}
