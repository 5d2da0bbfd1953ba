//! One fixture per kind of bad input, each with its full message pinned as a snapshot.

use crate::harness::{TestSite, BASIC_CONFIG};

/// Builds `site`, expects content errors (exit 1), and returns what was printed.
fn errors_of(site: TestSite) -> String {
    site.build().failure(1).stderr
}

fn with_page(path: &str, text: &str) -> TestSite {
    TestSite::basic().file(path, text)
}

#[test]
fn unknown_config_key() {
    let site = TestSite::basic().file("site.toml", "title = \"x\"\ndescripton = \"y\"\n");
    insta::assert_snapshot!(errors_of(site));
}

#[test]
fn unknown_key_in_a_kind_declaration() {
    let site = TestSite::basic().file(
        "site.toml",
        &BASIC_CONFIG.replace("[kinds.case-study.fields]", "[kinds.case-study.feilds]"),
    );
    insta::assert_snapshot!(errors_of(site));
}

#[test]
fn toml_syntax_error_in_front_matter() {
    insta::assert_snapshot!(errors_of(with_page(
        "content/principles/ownership.md",
        "+++\ntitle = \"Ownership\norder = 2\n+++\n## In practice\n"
    )));
}

#[test]
fn missing_required_field() {
    insta::assert_snapshot!(errors_of(with_page(
        "content/principles/ownership.md",
        "+++\ntitle = \"Ownership\"\norder = 2\n+++\n## In practice\n"
    )));
}

#[test]
fn wrong_type() {
    insta::assert_snapshot!(errors_of(with_page(
        "content/case-studies/echo.md",
        "+++\ntitle = \"Echo\"\nyear = \"2014\"\nprinciples = \"ownership\"\n+++\n"
    )));
}

#[test]
fn unknown_field_with_suggestion() {
    insta::assert_snapshot!(errors_of(with_page(
        "content/principles/ownership.md",
        "+++\ntitle = \"Ownership\"\norder = 2\nsumary = \"x\"\nsummary = \"y\"\n+++\n## In practice\n"
    )));
}

#[test]
fn enum_value_not_allowed() {
    insta::assert_snapshot!(errors_of(with_page(
        "content/case-studies/echo.md",
        "+++\ntitle = \"Echo\"\nyear = 2014\noutcome = \"sucess\"\nprinciples = [\"ownership\", \"customer-obsession\"]\n+++\n"
    )));
}

#[test]
fn too_few_references() {
    insta::assert_snapshot!(errors_of(with_page(
        "content/case-studies/echo.md",
        "+++\ntitle = \"Echo\"\nyear = 2014\nprinciples = [\"ownership\"]\n+++\n"
    )));
}

#[test]
fn unknown_reference_names_the_closest_id() {
    insta::assert_snapshot!(errors_of(with_page(
        "content/case-studies/echo.md",
        "+++\ntitle = \"Echo\"\nyear = 2014\nprinciples = [\"ownershp\", \"customer-obsession\"]\n+++\n"
    )));
}

#[test]
fn duplicate_ids() {
    insta::assert_snapshot!(errors_of(with_page(
        "content/principles/owning.md",
        "+++\ntitle = \"Owning\"\nid = \"ownership\"\norder = 3\nsummary = \"s\"\n+++\n"
    )));
}

#[test]
fn duplicate_output_paths() {
    insta::assert_snapshot!(errors_of(with_page(
        "content/principles/ownership/index.md",
        "+++\ntitle = \"Ownership again\"\nid = \"ownership-2\"\norder = 3\nsummary = \"s\"\n+++\n"
    )));
}

#[test]
fn index_beside_section_index() {
    insta::assert_snapshot!(errors_of(with_page(
        "content/principles/index.md",
        "+++\ntitle = \"Index\"\nid = \"index\"\norder = 3\nsummary = \"s\"\n+++\n"
    )));
}

#[test]
fn link_to_a_missing_page() {
    insta::assert_snapshot!(errors_of(with_page(
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\nSee [ownership](principles/ownershp.md) and [img](missing.png).\n"
    )));
}

#[test]
fn link_to_a_missing_anchor() {
    insta::assert_snapshot!(errors_of(with_page(
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\n## Here\n\nSee [it](principles/ownership.md#in-practise) and [here](#her).\n"
    )));
}

#[test]
fn template_error_names_template_line_and_page() {
    let site = TestSite::basic().file(
        "templates/principle.html",
        "{% extends \"base.html\" %}\n{% block main %}\n{{ page.title | no_such_filter }}\n{% endblock %}\n",
    );
    insta::assert_snapshot!(errors_of(site));
}

#[test]
fn missing_front_matter_and_non_utf8_files() {
    let site = TestSite::basic()
        .file("content/empty.md", "")
        .bytes("content/latin1.md", b"+++\ntitle = \"caf\xe9\"\n+++\n");
    insta::assert_snapshot!(errors_of(site));
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let site = TestSite::basic()
        .file("content/principles/ownership.md", "+++\ntitle = \"Ownership\"\norder = \"two\"\nsummary = \"s\"\n+++\n## In practice\n")
        .file("content/case-studies/echo.md", "+++\ntitle = \"Echo\"\nyear = 2014\nprinciples = [\"ownership\", \"nope\"]\n+++\n[x](gone.md)\n");
    let stderr = errors_of(site);
    assert_eq!(stderr.matches("error:").count(), 3, "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn crlf_files_report_the_right_line() {
    let site = with_page(
        "content/principles/ownership.md",
        "+++\r\ntitle = \"Ownership\"\r\norder = 2\r\nsummary = \"s\"\r\nwat = 1\r\n+++\r\n## In practice\r\n",
    );
    let stderr = errors_of(site);
    assert!(
        stderr.contains("--> content/principles/ownership.md:5:1"),
        "{stderr}"
    );
}

#[test]
fn unknown_code_language_is_a_warning() {
    let site = with_page(
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\n\n```klingon\nQapla'\n```\n",
    );
    let run = site.build().success();
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn no_site_here_is_fatal() {
    let run = TestSite::empty().build().failure(2);
    assert!(run.stderr.contains("site.toml"), "{}", run.stderr);
}

#[test]
fn missing_required_section() {
    let config = BASIC_CONFIG.replace(
        "[kinds.case-study]\nfolder = \"case-studies\"\n",
        "[kinds.case-study]\nfolder = \"case-studies\"\nheadings = [\"Context\", \"Outcome\"]\nrequire_headings = true\n",
    );
    let site = TestSite::basic().file("site.toml", &config);
    insta::assert_snapshot!(errors_of(site));
}
