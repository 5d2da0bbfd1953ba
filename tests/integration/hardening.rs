//! Broken or hostile content: a clear message at the file and line, or a safe site; never a
//! panic, a read outside the site, a write outside the output, or script in a reader's browser.

use std::time::{Duration, Instant};

use flywheel::markdown::{parse_body, BodySource};

use crate::harness::{leftovers, snapshot_tree, TestSite};

#[test]
fn a_byte_order_mark_is_ignored() {
    let run = TestSite::basic()
        .bytes(
            "content/bom.md",
            b"\xEF\xBB\xBF+++\ntitle = \"With BOM\"\n+++\nText.\n",
        )
        .build()
        .success();
    assert!(run.output("bom/index.html").contains("<h1>With BOM</h1>"));
}

#[test]
fn files_over_the_size_limit_are_errors() {
    let site = TestSite::basic()
        .file("site.toml", &with_markdown_setting("max_file_bytes = 1000"))
        .file(
            "content/big.md",
            &format!("+++\ntitle = \"Big\"\n+++\n{}", "word ".repeat(400)),
        );
    let stderr = site.build().failure(1).stderr;
    assert!(
        stderr.contains("error: file is 2022 bytes, over the limit of 1000"),
        "{stderr}"
    );
    assert!(stderr.contains("--> content/big.md"), "{stderr}");
}

#[test]
fn unusable_file_names_are_errors_with_a_suggestion() {
    let site = TestSite::basic()
        .file("content/con.md", "+++\ntitle = \"Con\"\n+++\n")
        .file("content/Fire Phone.md", "+++\ntitle = \"Fire\"\n+++\n");
    insta::assert_snapshot!(site.build().failure(1).stderr);
}

#[test]
fn names_that_collide_by_case_or_unicode_form_are_errors() {
    let site = TestSite::basic()
        .file("content/Trust.md", "+++\ntitle = \"A\"\n+++\n")
        .file("content/trust.md", "+++\ntitle = \"B\"\n+++\n")
        .file("content/caf\u{e9}.md", "+++\ntitle = \"C\"\n+++\n")
        .file("content/cafe\u{301}.md", "+++\ntitle = \"D\"\n+++\n");
    let stderr = site.build().failure(1).stderr;
    assert_eq!(
        stderr.matches("two pages would be written to").count(),
        2,
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_never_lead_outside_the_site() {
    let outside = tempfile::tempdir().expect("outside");
    std::fs::write(
        outside.path().join("secret.md"),
        "+++\ntitle = \"Secret\"\n+++\nsecret text\n",
    )
    .expect("secret");
    let site = TestSite::basic();
    std::os::unix::fs::symlink(
        outside.path().join("secret.md"),
        site.root().join("content/leak.md"),
    )
    .expect("symlink");
    std::os::unix::fs::symlink(
        site.root().join("content"),
        site.root().join("content/principles/loop"),
    )
    .expect("loop");
    let run = site.build().failure(1);
    assert!(
        run.stderr
            .contains("error: symbolic link points outside the site folder\n --> content/leak.md"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("warning: symbolic link to a folder: not followed"),
        "{}",
        run.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_an_error() {
    use std::os::unix::ffi::OsStrExt;
    let site = TestSite::basic();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.md");
    std::fs::write(
        site.root().join("content").join(name),
        "+++\ntitle = \"x\"\n+++\n",
    )
    .expect("write");
    let stderr = site.build().failure(1).stderr;
    assert!(
        stderr.contains("error: file name is not valid UTF-8"),
        "{stderr}"
    );
}

#[test]
fn raw_html_is_cleaned_and_reported_unless_trusted() {
    let page = "+++\ntitle = \"Raw\"\n+++\nHello <b>bold</b>.\n\n<img src=\"x.png\" onerror=\"alert(1)\">\n\n<script>alert(2)</script>\n\n<svg onload=\"alert(3)\"><circle/></svg>\n";
    let site = TestSite::basic()
        .file("content/x.png", "png")
        .file("content/raw.md", page);
    let run = site.build().success();
    let html = run.output("raw/index.html");
    for bad in ["onerror", "<script>alert(2)", "<svg", "onload"] {
        assert!(!html.contains(bad), "{bad} survived:\n{html}");
    }
    assert!(html.contains("<b>bold</b>"));
    insta::assert_snapshot!(run.stderr);
    let trusted = TestSite::basic()
        .file("site.toml", &with_markdown_setting("trust_html = true"))
        .file("content/raw.md", page);
    let run = trusted.build().success();
    assert!(run
        .output("raw/index.html")
        .contains("<script>alert(2)</script>"));
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn dangerous_link_schemes_are_errors_even_when_encoded() {
    let site = TestSite::basic().file(
        "content/links.md",
        "+++\ntitle = \"Links\"\n+++\n[a](javascript:alert(1)) [b](&#106;avascript:alert(2)) [c](JAVASCRIPT:x)\n\n![d](data:text/html,<b>x</b>) [e](vbscript:x) [f](file:///etc/passwd)\n",
    );
    insta::assert_snapshot!(site.build().failure(1).stderr);
}

#[test]
fn template_syntax_in_content_stays_literal() {
    let site = TestSite::basic().file(
        "content/tpl.md",
        "+++\ntitle = \"{{ site.title }}\"\n+++\nShow {{ site.title }} and {% if true %}x{% endif %}.\n\n```text\n{{ page.content }}\n```\n",
    );
    let html = site.build().success().output("tpl/index.html");
    assert!(html.contains("<h1>{{ site.title }}</h1>"), "{html}");
    assert!(
        html.contains("Show {{ site.title }} and {% if true %}x{% endif %}."),
        "{html}"
    );
    assert!(html.contains("{{ page.content }}"), "{html}");
}

#[test]
fn quotes_and_angle_brackets_are_escaped_in_every_attribute() {
    let site = TestSite::basic()
        .file("content/q.png", "png")
        .file(
            "content/quotes.md",
            "+++\ntitle = \"A \\\"quoted\\\" <b>title</b> & 'more'\"\ndescription = \"\\\"><script>alert(1)</script>\"\n+++\n![alt \" onerror=\"x](q.png \"ti\\\"tle\") [l](https://e.org \"t\\\"x\")\n",
        );
    let html = site.build().success().output("quotes/index.html");
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(!html.contains("<b>title</b>"), "{html}");
    assert!(html.contains("<title>A &quot;quoted&quot; &lt;b&gt;title&lt;/b&gt; &amp; &#39;more&#39; · Test site</title>"), "{html}");
    // Smart punctuation curls the quotes of the alt text; either way the attribute stays closed.
    assert!(html.contains("alt=\"alt “ onerror=“x\""), "{html}");
    assert!(html.contains("title=\"ti&quot;tle\""), "{html}");
}

#[test]
fn output_folders_that_hold_other_things_are_never_replaced() {
    let site = TestSite::basic();
    for output in [".", "content"] {
        let run = site.run(&["build", "--output", output]).failure(2);
        assert!(
            run.stderr.contains("refusing to replace"),
            "{output}: {}",
            run.stderr
        );
    }
    assert!(site
        .root()
        .join("content/principles/ownership.md")
        .is_file());
    assert!(site.root().join("site.toml").is_file());
}

#[test]
fn an_output_folder_that_cannot_be_written_is_fatal_and_harmless() {
    let site = TestSite::basic().file("blocker", "a file where a folder should be");
    let run = site
        .run(&["build", "--output", "blocker/public"])
        .failure(2);
    assert!(
        run.stderr.contains("error: cannot create"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(site.root().join("blocker")).expect("file"),
        "a file where a folder should be"
    );
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the simulated full disk exists only in debug builds"
)]
fn a_full_disk_leaves_the_previous_site_untouched() {
    let site = TestSite::basic();
    site.build().success();
    let before = snapshot_tree(&site.root().join("public"));
    let site = site.file("content/new.md", "+++\ntitle = \"New\"\n+++\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .arg("build")
        .current_dir(site.root())
        .env("FLYWHEEL_FAIL_AFTER_WRITES", "5")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: could not write the site ("),
        "{stderr}"
    );
    assert!(
        stderr.contains("No space left on device (simulated)); the previous output"),
        "{stderr}"
    );
    assert_eq!(before, snapshot_tree(&site.root().join("public")));
    assert_eq!(leftovers(site.root()), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the pause before the swap exists only in debug builds"
)]
fn a_build_killed_midway_leaves_the_previous_site_and_is_cleaned_up_next_time() {
    let site = TestSite::basic();
    site.build().success();
    let before = snapshot_tree(&site.root().join("public"));
    let site = site.file("content/new.md", "+++\ntitle = \"New\"\n+++\n");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .arg("build")
        .current_dir(site.root())
        .env("FLYWHEEL_PAUSE_BEFORE_SWAP_MS", "5000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    while leftovers(site.root()).is_empty() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    child.kill().expect("kill");
    let _ = child.wait();
    assert_eq!(
        before,
        snapshot_tree(&site.root().join("public")),
        "the previous site is intact"
    );
    assert!(
        !leftovers(site.root()).is_empty(),
        "the killed build left its staging folder"
    );
    let run = site.build().success();
    assert!(run.has_output("new/index.html"));
    assert_eq!(
        leftovers(site.root()),
        Vec::<String>::new(),
        "the next build cleaned up"
    );
}

/// The basic configuration with one setting under `[markdown]`.
fn with_markdown_setting(setting: &str) -> String {
    crate::harness::BASIC_CONFIG.replacen(
        "[kinds.principle]\n",
        &format!("[markdown]\n{setting}\n\n[kinds.principle]\n"),
        1,
    )
}

/// Parses `body` and returns how long it took, the best of three.
fn parse_time(body: &str) -> Duration {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            let _ = parse_body(&BodySource {
                file_text: body,
                display_path: "content/p.md",
                body_start: 0,
                dir: "",
                trust_html: false,
            });
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Each pathological pattern at n and 4n: linear work makes the ratio about 4, quadratic 16.
#[test]
fn pathological_markdown_takes_linear_time() {
    let patterns: [(&str, &str); 6] = [
        ("nested quotes", ">"),
        ("unclosed link destinations", "[a](<b"),
        ("brackets", "[ (]("),
        ("comments", "!-- <"),
        ("footnote starts", "[^\n"),
        ("emphasis runs", "*a_"),
    ];
    for (name, unit) in patterns {
        let small = parse_time(&unit.repeat(5_000));
        let large = parse_time(&unit.repeat(20_000));
        let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
        assert!(
            ratio < 9.0,
            "{name}: {small:?} for n, {large:?} for 4n (ratio {ratio:.1})"
        );
    }
}
