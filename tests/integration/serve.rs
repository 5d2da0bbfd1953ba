//! `flywheel serve` over real sockets: only GET and HEAD, only built files, loopback names only.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::harness::TestSite;

/// A running `flywheel serve`, stopped when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(site: &TestSite) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flywheel"))
        .args(["serve", "--port", "0"])
        .current_dir(site.root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start flywheel serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines.next().expect("a line").expect("utf-8");
        if let Some(rest) = line.split("http://").nth(1) {
            break rest
                .trim_end_matches(|c: char| c != '/')
                .trim_end_matches('/')
                .to_string();
        }
    };
    // Keep reading, as a terminal would, so the server's messages have somewhere to go.
    std::thread::spawn(move || lines.for_each(drop));
    Server { child, address }
}

/// Sends one raw request (the path exactly as given, no normalisation) and returns the status
/// line and the body.
fn raw(server: &Server, request: &str) -> (String, String) {
    let mut stream = TcpStream::connect(&server.address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.lines().next().unwrap_or("").to_string();
    let body = text
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}

fn get(server: &Server, path: &str) -> (String, String) {
    raw(
        server,
        &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
    )
}

#[test]
fn serves_the_build_with_live_reload() {
    let site = TestSite::basic();
    let server = serve(&site);
    let (status, body) = get(&server, "/principles/ownership/");
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("<h1>Ownership</h1>"));
    assert!(
        body.contains("/__flywheel/live.js"),
        "live reload script injected"
    );
    let (status, _) = get(&server, "/principles/ownership");
    assert!(status.contains("301"), "{status}");
    assert!(
        body.contains("data-index=\"../../search/index.js\""),
        "a stable index name while serving"
    );
    assert!(
        wait_for(&server, "/search/index.js", "flywheelSearch.manifest("),
        "the search index follows the first build"
    );
    assert!(
        !site.root().join("public").exists(),
        "serve writes nothing to disk"
    );
}

#[test]
fn answers_only_get_and_head() {
    let site = TestSite::basic();
    let server = serve(&site);
    let (status, body) = raw(
        &server,
        "HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert!(status.contains("200") && body.is_empty(), "{status}");
    for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let (status, _) = raw(
            &server,
            &format!("{method} / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        );
        assert!(status.contains("405"), "{method}: {status}");
    }
}

#[test]
fn paths_outside_the_build_are_not_found() {
    let site = TestSite::basic().file("secret.txt", "site root file, never served");
    let server = serve(&site);
    for path in [
        "/../secret.txt",
        "/../../etc/passwd",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/principles/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "/site.toml",
        "/content/principles/ownership.md",
        "/%00",
    ] {
        let (status, body) = get(&server, path);
        assert!(status.contains("404"), "{path}: {status}");
        assert!(
            !body.contains("never served") && !body.contains("root:"),
            "{path}"
        );
    }
}

#[test]
fn other_host_names_are_refused() {
    let site = TestSite::basic();
    let server = serve(&site);
    let (status, _) = raw(
        &server,
        "GET / HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n",
    );
    assert!(status.contains("403"), "{status}");
    let (status, _) = raw(
        &server,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:1\r\nConnection: close\r\n\r\n",
    );
    assert!(status.contains("200"), "{status}");
}

#[test]
fn a_change_is_rebuilt_and_a_mistake_keeps_the_last_good_build() {
    let site = TestSite::basic();
    let server = serve(&site);
    let page = site.root().join("content/principles/ownership.md");
    let original = std::fs::read_to_string(&page).expect("page");
    std::fs::write(&page, original.replace("Own it.", "Own it, really.")).expect("edit");
    let updated = wait_for(&server, "/principles/ownership/", "Own it, really.");
    assert!(updated, "the edit shows up");
    std::fs::write(&page, original.replace("order = 2", "order = \"two\"")).expect("break");
    std::thread::sleep(Duration::from_millis(500));
    let (status, body) = get(&server, "/principles/ownership/");
    assert!(
        status.contains("200") && body.contains("Own it, really."),
        "the last good build is served"
    );
}

fn wait_for(server: &Server, path: &str, text: &str) -> bool {
    (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        get(server, path).1.contains(text)
    })
}

#[test]
fn a_quick_rebuild_still_checks_the_edited_pages_links() {
    let site = TestSite::basic();
    let server = serve(&site);
    let page = site.root().join("content/principles/ownership.md");
    let original = std::fs::read_to_string(&page).expect("page");
    std::fs::write(&page, format!("{original}\nSee [gone](gone.md).\n")).expect("break a link");
    std::thread::sleep(Duration::from_millis(600));
    let (_, body) = get(&server, "/principles/ownership/");
    assert!(!body.contains("gone"), "the broken edit is not served");
    std::fs::write(
        &page,
        format!("{original}\nSee [the first](customer-obsession.md) again.\n"),
    )
    .expect("fix");
    assert!(
        wait_for(&server, "/principles/ownership/", "again."),
        "the fixed edit is served"
    );
    let (_, body) = get(&server, "/principles/ownership/");
    assert!(
        body.contains("href=\"../../principles/customer-obsession/\">the first</a> again."),
        "{body}"
    );
}
