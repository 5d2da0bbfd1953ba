//! `flywheel check` and `flywheel new`: the contributor's commands.

use crate::harness::TestSite;

/// A site with problems in two files: a wrong type, an unknown reference, a broken link.
fn broken_site() -> TestSite {
    TestSite::basic()
        .file(
            "content/principles/ownership.md",
            "+++\ntitle = \"Ownership\"\norder = \"2\"\nsummary = \"s\"\n+++\n## In practice\n",
        )
        .file(
            "content/case-studies/echo.md",
            "+++\ntitle = \"Echo\"\nyear = 2014\nprinciples = [\"ownership\", \"customer-obsesion\"]\n+++\nSee [this](../principles/owner.md).\n",
        )
}

#[test]
fn check_human_format() {
    let run = broken_site().run(&["check"]).failure(1);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn check_json_format() {
    let run = broken_site().run(&["check", "--format", "json"]).failure(1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(report["errors"], 3);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn check_github_format() {
    let run = broken_site()
        .run(&["check", "--format", "github"])
        .failure(1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn check_github_paths_start_at_the_repository_root() {
    let site = broken_site();
    let run = site
        .run(&["check", "--format", "github", "--root", "."])
        .failure(1);
    assert!(
        run.stdout.contains("file=content/principles/ownership.md"),
        "{}",
        run.stdout
    );
    let parent = site.root().parent().expect("parent").to_path_buf();
    let name = site
        .root()
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .args(["check", "--format", "github", "--root", &name])
        .current_dir(parent)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("file={name}/content/principles/ownership.md")),
        "{stdout}"
    );
}

#[test]
fn check_writes_nothing_and_passes_a_good_site() {
    let site = TestSite::basic();
    let run = site.run(&["check"]).success();
    assert!(
        run.stderr
            .contains("Check passed: 6 pages, 0 errors, 0 warnings."),
        "{}",
        run.stderr
    );
    assert!(!site.root().join("public").exists());
}

#[test]
fn warnings_fail_the_check_only_when_denied() {
    let site = TestSite::basic().file(
        "content/about.md",
        "+++\ntitle = \"About\"\n+++\n```klingon\nx\n```\n",
    );
    site.run(&["check"]).success();
    let run = site
        .run(&["check", "--deny-warnings", "--format", "github"])
        .failure(1);
    assert!(
        run.stdout
            .starts_with("::error file=content/about.md,line=4,col=1::unknown language"),
        "{}",
        run.stdout
    );
}

#[test]
fn check_outside_a_site_is_fatal() {
    TestSite::empty().run(&["check"]).failure(2);
}

/// Removes the `# ` from every commented-out field line, as a contributor filling in would.
fn fill_in(text: &str) -> String {
    text.lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest)
                if rest
                    .split_once(" = ")
                    .is_some_and(|(k, _)| !k.contains(' ')) =>
            {
                rest.to_string()
            }
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn new_pages_of_every_kind_pass_the_check_once_filled_in() {
    let site = TestSite::basic();
    for (kind, title, path) in [
        ("case-study", "Kindle", "content/case-studies/kindle.md"),
        (
            "principle",
            "Bias for Action",
            "content/principles/bias-for-action.md",
        ),
        ("page", "About us", "content/about-us.md"),
    ] {
        let run = site.run(&["new", kind, title]).success();
        assert_eq!(run.stdout.trim(), path);
        let file = site.root().join(path);
        let text = std::fs::read_to_string(&file).expect("new page");
        if kind != "page" {
            let stderr = site.run(&["check"]).failure(1).stderr;
            assert!(stderr.contains("missing required field"), "{stderr}");
        }
        std::fs::write(&file, fill_in(&text)).expect("fill in");
        let run = site.run(&["check"]);
        assert_eq!(run.code, 0, "{kind}:\n{}\n{}", fill_in(&text), run.stderr);
    }
}

#[test]
fn new_case_study_scaffold() {
    let site = TestSite::basic();
    site.run(&["new", "case-study", "Kindle: the \"first\" reader"])
        .success();
    let text = std::fs::read_to_string(
        site.root()
            .join("content/case-studies/kindle-the-first-reader.md"),
    )
    .expect("page");
    insta::assert_snapshot!(text);
}

#[test]
fn new_refuses_to_overwrite_and_names_unknown_kinds() {
    let site = TestSite::basic();
    let before =
        std::fs::read_to_string(site.root().join("content/case-studies/echo.md")).expect("echo");
    let run = site.run(&["new", "case-study", "Echo"]).failure(1);
    assert!(
        run.stderr
            .contains("content/case-studies/echo.md already exists"),
        "{}",
        run.stderr
    );
    assert_eq!(
        before,
        std::fs::read_to_string(site.root().join("content/case-studies/echo.md")).expect("echo")
    );
    let run = site.run(&["new", "case-studdy", "X"]).failure(1);
    assert!(
        run.stderr.contains("did you mean `case-study`?"),
        "{}",
        run.stderr
    );
}
