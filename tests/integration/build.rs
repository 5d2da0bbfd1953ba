//! Builds that succeed: what the output holds.

use crate::harness::{leftovers, snapshot_tree, TestSite};

#[test]
fn builds_pages_sections_and_site_files() {
    let run = TestSite::basic().build().success();
    assert!(
        run.stdout
            .starts_with("Built 6 pages (1 case-study, 2 principle, 3 section) in "),
        "{}",
        run.stdout
    );
    for path in [
        "index.html",
        "principles/index.html",
        "principles/ownership/index.html",
        "case-studies/index.html",
        "case-studies/echo/index.html",
        "tags/index.html",
        "tags/long-term/index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        ".flywheel-output",
    ] {
        assert!(run.has_output(path), "missing {path}");
    }
}

#[test]
fn links_to_source_files_become_relative_urls() {
    let run = TestSite::basic().build().success();
    let echo = run.output("case-studies/echo/index.html");
    assert!(
        echo.contains("<a href=\"../../principles/ownership/#in-practice\">ownership</a>"),
        "{echo}"
    );
    let home = run.output("index.html");
    assert!(
        home.contains("href=\"./principles/ownership/#in-practice\""),
        "{home}"
    );
    assert!(
        home.contains("href=\"./assets/style."),
        "stylesheet is relative: {home}"
    );
}

#[test]
fn every_internal_url_is_relative() {
    let run = TestSite::basic().build().success();
    for page in [
        "index.html",
        "principles/ownership/index.html",
        "case-studies/echo/index.html",
        "tags/long-term/index.html",
    ] {
        let html = run.output(page);
        for attr in ["href=\"/", "src=\"/"] {
            assert!(
                !html.contains(attr),
                "{page} has a root-absolute URL:\n{html}"
            );
        }
    }
}

#[test]
fn principles_know_the_case_studies_that_reference_them() {
    let run = TestSite::basic().build().success();
    let page = run.output("principles/customer-obsession/index.html");
    assert!(page.contains("Where this principle shows up"), "{page}");
    assert!(
        page.contains("<a href=\"../../case-studies/echo/\">Echo</a>"),
        "{page}"
    );
}

#[test]
fn sections_order_pages_and_link_previous_and_next() {
    let run = TestSite::basic().build().success();
    let list = run.output("principles/index.html");
    let first = list.find("Customer Obsession").expect("first listed");
    let second = list.find("Ownership").expect("second listed");
    assert!(first < second, "ordered by `order`");
    let page = run.output("principles/ownership/index.html");
    assert!(
        page.contains("rel=\"prev\" href=\"../../principles/customer-obsession/\""),
        "{page}"
    );
}

#[test]
fn code_is_highlighted_with_classes() {
    let run = TestSite::basic().build().success();
    let page = run.output("case-studies/echo/index.html");
    assert!(
        page.contains("<pre class=\"code\" data-lang=\"rust\"><code><span class=\"hl-"),
        "{page}"
    );
    assert!(!page.contains(" style="), "no inline styles");
}

#[test]
fn tags_group_names_that_differ_only_in_case() {
    let run = TestSite::basic().build().success();
    let tag = run.output("tags/long-term/index.html");
    assert!(tag.contains("Ownership") && tag.contains("Echo"), "{tag}");
}

#[test]
fn sitemap_uses_base_url_and_robots_points_at_it() {
    let run = TestSite::basic().build().success();
    let sitemap = run.output("sitemap.xml");
    assert!(
        sitemap.contains("<loc>https://example.org/kb/principles/ownership/</loc>"),
        "{sitemap}"
    );
    assert!(run
        .output("robots.txt")
        .contains("Sitemap: https://example.org/kb/sitemap.xml"));
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let site = TestSite::basic().file(
        "content/notes.md",
        "+++\ntitle = \"Notes\"\ndraft = true\n+++\nSoon.\n",
    );
    let run = site.build().success();
    assert!(!run.has_output("notes/index.html"));
    let run = site.run(&["build", "--drafts"]).success();
    assert!(run.has_output("notes/index.html"));
}

#[test]
fn two_builds_give_identical_bytes() {
    let site = TestSite::basic();
    site.build().success();
    let first = snapshot_tree(&site.root().join("public"));
    site.build().success();
    let second = snapshot_tree(&site.root().join("public"));
    assert_eq!(first, second);
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let site = TestSite::basic();
    site.build().success();
    let before = snapshot_tree(&site.root().join("public"));
    let site = site.file("content/principles/ownership.md", "+++\ntitle = 3\n+++\n");
    let run = site.build().failure(1);
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert_eq!(before, snapshot_tree(&site.root().join("public")));
}

#[test]
fn a_template_error_while_pages_are_written_leaves_the_previous_output_untouched() {
    // Pages are written to the staging folder as they render, so by the time one template
    // fails, others are on disk: they must go, and the published site must not change.
    let site = TestSite::basic();
    site.build().success();
    let before = snapshot_tree(&site.root().join("public"));
    let site = site.file(
        "templates/principle.html",
        "{% extends \"base.html\" %}\n{% block main %}{{ page.title | no_such_filter }}{% endblock %}\n",
    );
    let run = site.build().failure(1);
    assert!(run.stderr.contains("no_such_filter"), "{}", run.stderr);
    assert_eq!(before, snapshot_tree(&site.root().join("public")));
    assert_eq!(leftovers(site.root()), Vec::<String>::new());
}

#[test]
fn files_of_earlier_builds_do_not_survive() {
    let site = TestSite::basic().file("content/old.md", "+++\ntitle = \"Old\"\n+++\n");
    site.build().success();
    let run = site.remove("content/old.md").build().success();
    assert!(!run.has_output("old/index.html"));
}

#[test]
fn refuses_to_replace_a_folder_it_did_not_make() {
    let site = TestSite::basic().file("public/precious.txt", "keep me");
    let run = site.build().failure(2);
    assert!(run.stderr.contains("refusing to replace"), "{}", run.stderr);
    assert_eq!(run.output("precious.txt"), "keep me");
}

#[test]
fn site_templates_override_the_theme_one_file_at_a_time() {
    let site = TestSite::basic().file(
        "templates/principle.html",
        "{% extends \"base.html\" %}{% block main %}<p class=\"custom\">{{ page.title }}: {{ page.fields.summary }}</p>{% endblock %}",
    );
    let run = site.build().success();
    let page = run.output("principles/ownership/index.html");
    assert!(
        page.contains("<p class=\"custom\">Ownership: Act for the long term.</p>"),
        "{page}"
    );
    assert!(
        page.contains("<header class=\"site-header\">"),
        "base.html still comes from the theme"
    );
}

#[test]
fn templates_can_list_a_pages_headings() {
    let site = TestSite::basic().file(
        "templates/principle.html",
        "{% extends \"base.html\" %}{% block main %}{% for h in page.headings %}<i>{{ h.level }} {{ h.id }} {{ h.text }}</i>{% endfor %}{% endblock %}",
    );
    let run = site.build().success();
    let page = run.output("principles/ownership/index.html");
    assert!(page.contains("<i>2 in-practice In practice</i>"), "{page}");
}

#[test]
fn the_navigation_marks_the_current_section() {
    let run = TestSite::basic().build().success();
    let nav = |path: &str| {
        let page = run.output(path);
        let start = page.find("<nav class=\"site-nav\"").expect("navigation");
        let end = start + page[start..].find("</nav>").expect("end of navigation");
        page[start..end].to_string()
    };
    let inside = nav("principles/ownership/index.html");
    assert!(
        inside.contains("<a href=\"../../principles/\" aria-current=\"true\">"),
        "{inside}"
    );
    assert!(
        inside.contains("<a href=\"../../case-studies/\">"),
        "{inside}"
    );
    let section = nav("principles/index.html");
    assert!(
        section.contains("<a href=\"../principles/\" aria-current=\"page\">"),
        "{section}"
    );
    assert!(!nav("index.html").contains("aria-current"));
    assert!(!nav("tags/index.html").contains("aria-current"));
}

#[test]
fn a_partial_sees_only_site_and_its_arguments() {
    let site = TestSite::basic()
        .file(
            "templates/partials/hello.html",
            "[{{ site.title }}|{{ who }}|{{ page.title if page else \"no page\" }}]",
        )
        .file(
            "templates/principle.html",
            "{% extends \"base.html\" %}{% block main %}{{ partial(\"partials/hello.html\", who=page.title) }}{{ partial(\"partials/hello.html\", who=\"<b>\") }}{% endblock %}",
        );
    let run = site.build().success();
    let ownership = run.output("principles/ownership/index.html");
    assert!(
        ownership.contains("[Test site|Ownership|no page][Test site|&lt;b&gt;|no page]"),
        "{ownership}"
    );
    // The second call is remembered from the first page; the first call differs per page.
    let first = run.output("principles/customer-obsession/index.html");
    assert!(
        first.contains("[Test site|Customer Obsession|no page][Test site|&lt;b&gt;|no page]"),
        "{first}"
    );
}

#[test]
fn an_error_in_a_partial_names_the_partial() {
    let site = TestSite::basic()
        .file("templates/partials/broken.html", "{{ who | no_such_filter }}")
        .file(
            "templates/principle.html",
            "{% extends \"base.html\" %}{% block main %}{{ partial(\"partials/broken.html\", who=1) }}{% endblock %}",
        );
    let run = site.build().failure(1);
    assert!(run.stderr.contains("no_such_filter"), "{}", run.stderr);
    assert!(
        run.stderr.contains("partials/broken.html"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_folder_with_only_config_and_content_builds_with_the_built_in_theme() {
    let site = TestSite::empty()
        .file("site.toml", "title = \"Tiny\"\n")
        .file("content/hello.md", "+++\ntitle = \"Hello\"\n+++\nHi.\n");
    let run = site.build().success();
    assert!(run.output("hello/index.html").contains("<h1>Hello</h1>"));
    assert!(run.output("index.html").contains("Tiny"));
}

#[test]
fn markdown_extensions_render() {
    let body = "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~\n\n- [x] done\n\nNote[^1].\n\n[^1]: The note.\n\n> [!WARNING]\n> Careful.\n";
    let site = TestSite::empty().file("site.toml", "title = \"T\"\n").file(
        "content/md.md",
        &format!("+++\ntitle = \"Md\"\n+++\n{body}"),
    );
    let html = site.build().success().output("md/index.html");
    for needle in [
        "<table>",
        "<del>gone</del>",
        "type=\"checkbox\"",
        "footnote",
        "alert alert-warning",
    ] {
        assert!(html.contains(needle), "missing {needle}:\n{html}");
    }
}

#[test]
fn the_bundled_site_builds_without_warnings() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = tempfile::tempdir().expect("temporary folder");
    let dest = out.path().join("site");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .args(["build", "--root", root, "--output"])
        .arg(&dest)
        .output()
        .expect("run flywheel");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.is_empty(), "warnings:\n{stderr}");
    assert!(dest
        .join("principles/customer-obsession/index.html")
        .is_file());
}

#[test]
fn static_files_are_copied_and_theme_assets_fingerprinted() {
    let site = TestSite::basic()
        .file(
            "static/images/logo.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        )
        .file("content/principles/diagram.png", "not really a png");
    let run = site.build().success();
    assert_eq!(
        run.output("images/logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"
    );
    assert!(
        run.has_output("principles/diagram.png"),
        "files beside pages are copied"
    );
    let css: Vec<String> = std::fs::read_dir(site.root().join("public/assets"))
        .expect("output")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.starts_with("style.") && n.ends_with(".css"))
        .collect();
    assert_eq!(css.len(), 1, "{css:?}");
    assert_eq!(css[0].len(), "style.0123456789.css".len(), "{css:?}");
}

#[test]
fn timings_list_every_stage() {
    let run = TestSite::basic().run(&["build", "--timings"]).success();
    for stage in [
        "load", "parse", "resolve", "assets", "search", "render", "write",
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.trim_start().starts_with(stage)),
            "{stage}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn last_updated_comes_from_git_unless_front_matter_says_otherwise() {
    let site = TestSite::basic().file(
        "content/pinned.md",
        "+++\ntitle = \"Pinned\"\nupdated = 2020-02-02\n+++\nText.\n",
    );
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.org"])
            .args(args)
            .current_dir(site.root())
            .env("GIT_COMMITTER_DATE", "2024-05-06T12:00:00Z")
            .env("GIT_AUTHOR_DATE", "2024-05-06T12:00:00Z")
            .output()
            .expect("git");
        assert!(
            status.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "content"]);
    let run = site.build().success();
    let page = run.output("principles/ownership/index.html");
    assert!(
        page.contains("Last updated <time datetime=\"2024-05-06\">"),
        "{page}"
    );
    let pinned = run.output("pinned/index.html");
    assert!(
        pinned.contains("Last updated <time datetime=\"2020-02-02\">"),
        "{pinned}"
    );
}

#[test]
fn a_site_outside_git_still_builds_without_dates() {
    let run = TestSite::basic().build().success();
    assert!(!run
        .output("principles/ownership/index.html")
        .contains("Last updated"));
}
