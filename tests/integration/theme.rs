//! The default theme's layouts, checked on the bundled site's output.

use std::path::{Path, PathBuf};

use flywheel::BuildOptions;

/// Builds the bundled site once per test into a temporary folder.
struct Bundled {
    _dir: tempfile::TempDir,
    out: PathBuf,
}

impl Bundled {
    fn build() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let out = dir.path().join("site");
        let options = BuildOptions {
            root: env!("CARGO_MANIFEST_DIR").into(),
            output: out.clone(),
            drafts: false,
            ..Default::default()
        };
        if flywheel::build(&options).is_err() {
            panic!("the bundled site does not build: run `cargo run -- check`");
        }
        Bundled { _dir: dir, out }
    }

    fn page(&self, path: &str) -> String {
        std::fs::read_to_string(self.out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn files(&self) -> Vec<PathBuf> {
        walkdir::WalkDir::new(&self.out)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect()
    }
}

fn rel(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn matrix_cells_match_the_case_studies_references() {
    let site = Bundled::build();
    let matrix = site.page("matrix/index.html");
    let site_data = flywheel::load_site(&BuildOptions {
        root: env!("CARGO_MANIFEST_DIR").into(),
        output: "public".into(),
        drafts: false,
        ..Default::default()
    })
    .ok()
    .expect("bundled site")
    .site;
    for i in site_data.pages_of_kind("case-study") {
        let case = &site_data.pages[i];
        let named = case
            .references
            .iter()
            .find(|(f, _)| f == "principles")
            .map_or(0, |(_, l)| l.len());
        let cells = matrix
            .matches(&format!("href=\"../{}#what-it-shows\"", case.url))
            .count();
        assert_eq!(
            cells, named,
            "{}: {named} principles, {cells} filled cells",
            case.url
        );
    }
    let rows = matrix.matches("<th scope=\"row\">").count();
    assert_eq!(rows, 16);
}

#[test]
fn principle_pages_list_the_stories_that_show_them() {
    let site = Bundled::build();
    let page = site.page("principles/customer-obsession/index.html");
    assert!(page.contains("Where this principle shows up"));
    for case in ["prime", "echo", "sagemaker-data-wrangler"] {
        assert!(
            page.contains(&format!("href=\"../../case-studies/{case}/\"")),
            "missing {case}"
        );
    }
    assert!(page.contains("Related principles"));
    assert!(page.contains("rel=\"next\" href=\"../../principles/ownership/\""));
}

#[test]
fn prfaqs_set_the_press_release_apart_from_the_faqs() {
    let site = Bundled::build();
    let page = site.page("prfaqs/instant-refunds/index.html");
    assert_eq!(page.matches("<section class=\"press-release\"").count(), 1);
    assert_eq!(page.matches("<section class=\"faq\"").count(), 2);
    let release = page.find("press-release").unwrap_or(0);
    let customer = page.find("id=\"customer-faq\"").expect("customer FAQ");
    let internal = page.find("id=\"internal-faq\"").expect("internal FAQ");
    assert!(
        release < customer && customer < internal,
        "release, then customer FAQ, then internal FAQ"
    );
    assert!(
        page.contains("<h3 id=\"is-this-a-one-way-door\">"),
        "each question is linkable"
    );
}

#[test]
fn no_inline_script_event_handler_or_style_attribute_anywhere() {
    let site = Bundled::build();
    for file in site
        .files()
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "html"))
    {
        let html = std::fs::read_to_string(file).expect("html");
        let name = rel(&site.out, file);
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..html[i..].find('>').map_or(html.len(), |e| i + e)];
            assert!(tag.contains(" src="), "{name}: inline script {tag}");
        }
        let lower = html.to_lowercase();
        assert!(!lower.contains(" style="), "{name}: style attribute");
        for (i, _) in lower.match_indices(" on") {
            let rest = &lower[i + 3..];
            let word: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            let is_handler = !word.is_empty() && rest[word.len()..].starts_with('=');
            assert!(!is_handler, "{name}: event handler attribute on{word}=");
        }
    }
}

#[test]
fn assets_are_fingerprinted_and_light() {
    let site = Bundled::build();
    let mut total = 0;
    for file in site.files() {
        let name = rel(&site.out, &file);
        // The search manifest keeps one name, so pages can point at it before it is built.
        if name == "search/index.js" {
            continue;
        }
        if name.ends_with(".css") || name.ends_with(".js") {
            let parts: Vec<&str> = name.split('.').collect();
            assert_eq!(parts.len(), 3, "{name} carries a content hash");
            assert!(
                name.starts_with("assets/") || name.starts_with("search/"),
                "{name}"
            );
            if !name.starts_with("search/") {
                total += gzipped_size(&std::fs::read(&file).expect("asset"));
            }
        }
    }
    // The search index (under search/) is loaded only when a reader searches, and is not counted.
    assert!(total < 50_000, "CSS and JS weigh {total} bytes compressed");
}

fn gzipped_size(bytes: &[u8]) -> u64 {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("compress");
    encoder.finish().expect("compress").len() as u64
}

#[test]
fn pages_show_edit_links_and_last_updated_dates() {
    let site = Bundled::build();
    let page = site.page("case-studies/echo/index.html");
    assert!(
        page.contains("/edit/main/content/case-studies/echo.md\">Edit this page</a>"),
        "edit link"
    );
    assert!(page.contains("<title>Echo and Alexa · Leadership Principles Library</title>"));
}
