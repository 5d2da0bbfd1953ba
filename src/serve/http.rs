//! The dev server's HTTP side: the last good build, served from memory.
//!
//! Only what the build produced is served, from its in-memory map: no request path ever touches
//! the file system, so `..`, encoded dots and drive prefixes have nothing to escape into. Only GET
//! and HEAD are answered. HTML pages get one extra `<script>` for live reload; build events reach
//! the browser as Server-Sent Events on `/__flywheel/events`.

use std::io::Write;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tiny_http::{Header, Method, Request, Response, StatusCode};

use crate::output::Output;

const LIVE_JS: &str = include_str!("live.js");
const LIVE_CSS: &str = include_str!("live.css");
const EVENTS: &str = "/__flywheel/events";

/// What the request handlers share with the rebuild loop.
#[derive(Default)]
pub struct Shared {
    pub output: RwLock<Arc<Output>>,
    /// The current build error, shown to browsers that connect while it lasts.
    pub error: RwLock<Option<String>>,
    clients: Mutex<Vec<Sender<String>>>,
    /// Answer only requests addressed to a loopback name, so a web page cannot reach the server
    /// through a DNS name rebound to 127.0.0.1.
    pub loopback_only: bool,
}

impl Shared {
    pub fn new(loopback_only: bool) -> Self {
        Shared {
            loopback_only,
            ..Shared::default()
        }
    }

    /// Sends one Server-Sent Event to every connected browser, forgetting closed ones.
    pub fn broadcast(&self, event: &str, data: &str) {
        let message = format!("event: {event}\ndata: {data}\n\n");
        if let Ok(mut clients) = self.clients.lock() {
            clients.retain(|client| client.send(message.clone()).is_ok());
        }
    }
}

/// Answers one request.
pub fn handle(request: Request, shared: &Arc<Shared>) {
    let method = request.method().clone();
    if method != Method::Get && method != Method::Head {
        let _ = request.respond(
            Response::from_string("only GET and HEAD\n")
                .with_status_code(405)
                .with_header(header("Allow", "GET, HEAD")),
        );
        return;
    }
    if shared.loopback_only && !host_is_loopback(&request) {
        let _ = request.respond(Response::from_string("unknown host\n").with_status_code(403));
        return;
    }
    let url = request.url().to_string();
    let path = url.split(['?', '#']).next().unwrap_or("");
    match path {
        EVENTS => return stream_events(request, shared),
        "/__flywheel/live.js" => {
            return respond(
                request,
                &method,
                200,
                "text/javascript; charset=utf-8",
                LIVE_JS.as_bytes().to_vec(),
            )
        }
        "/__flywheel/live.css" => {
            return respond(
                request,
                &method,
                200,
                "text/css; charset=utf-8",
                LIVE_CSS.as_bytes().to_vec(),
            )
        }
        _ => {}
    }
    let output = shared.output.read().map(|o| o.clone()).unwrap_or_default();
    match lookup(&output, path) {
        Lookup::File(key) => {
            let bytes = output.get(&key).unwrap_or_default().to_vec();
            let kind = content_type(&key);
            let body = if kind.starts_with("text/html") {
                with_live_reload(bytes)
            } else {
                bytes
            };
            respond(request, &method, 200, kind, body);
        }
        Lookup::Redirect(location) => {
            let _ = request.respond(
                Response::empty(StatusCode(301)).with_header(header("Location", &location)),
            );
        }
        Lookup::NotFound => {
            let body = output
                .get("404.html")
                .map_or_else(|| b"not found\n".to_vec(), |b| with_live_reload(b.to_vec()));
            respond(request, &method, 404, "text/html; charset=utf-8", body);
        }
    }
}

fn host_is_loopback(request: &Request) -> bool {
    let Some(host) = request.headers().iter().find(|h| h.field.equiv("Host")) else {
        return true;
    };
    let host = host.value.as_str();
    let name = if host.starts_with('[') {
        host.split(']').next().map(|h| &h[1..]).unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn respond(request: Request, method: &Method, status: u16, kind: &str, body: Vec<u8>) {
    let body = if *method == Method::Head {
        Vec::new()
    } else {
        body
    };
    let response = Response::from_data(body)
        .with_status_code(status)
        .with_header(header("Content-Type", kind))
        .with_header(header("Cache-Control", "no-store"));
    let _ = request.respond(response);
}

fn header(name: &str, value: &str) -> Header {
    // Names and values here are ASCII constants or paths we produced; a failure would be a bug.
    Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap_or_else(|_| {
        Header::from_bytes(&b"X-Invalid"[..], &b"1"[..]).expect("a valid header")
    })
}

/// Where a request path leads in the build.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    File(String),
    Redirect(String),
    NotFound,
}

/// Maps a URL path to a file of the build. Any `.` or `..` segment, backslash, NUL or
/// undecodable escape is not found: the build never makes such paths.
pub fn lookup(output: &Output, path: &str) -> Lookup {
    let Some(decoded) = percent_decode(path) else {
        return Lookup::NotFound;
    };
    if !decoded.starts_with('/') || decoded.contains(['\\', '\0']) {
        return Lookup::NotFound;
    }
    let rel = &decoded[1..];
    if rel
        .split('/')
        .any(|segment| segment == ".." || segment == ".")
        || rel.contains("//")
    {
        return Lookup::NotFound;
    }
    if rel.is_empty() || rel.ends_with('/') {
        let key = format!("{rel}index.html");
        return if output.contains(&key) {
            Lookup::File(key)
        } else {
            Lookup::NotFound
        };
    }
    if output.contains(rel) {
        return Lookup::File(rel.to_string());
    }
    if output.contains(&format!("{rel}/index.html")) {
        return Lookup::Redirect(format!("{path}/"));
    }
    Lookup::NotFound
}

fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("xml") => "application/xml",
        Some("txt") => "text/plain; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Adds the live-reload script and its overlay styles to an HTML page.
fn with_live_reload(html: Vec<u8>) -> Vec<u8> {
    let tags = b"<link rel=\"stylesheet\" href=\"/__flywheel/live.css\"><script src=\"/__flywheel/live.js\" defer></script>";
    match html
        .windows(7)
        .position(|w| w.eq_ignore_ascii_case(b"</head>"))
    {
        Some(at) => [&html[..at], &tags[..], &html[at..]].concat(),
        None => [&html[..], &tags[..]].concat(),
    }
}

/// Keeps a Server-Sent Events stream open on its own thread until the browser goes away.
///
/// The response is written straight to the socket and flushed after every event (the body
/// simply runs until the connection closes), so no buffer holds an event back.
fn stream_events(request: Request, shared: &Arc<Shared>) {
    let (tx, rx) = channel::<String>();
    if let Some(error) = shared.error.read().ok().and_then(|e| e.clone()) {
        let _ = tx.send(format!("event: failed\ndata: {}\n\n", json_string(&error)));
    }
    if let Ok(mut clients) = shared.clients.lock() {
        clients.push(tx);
    }
    std::thread::spawn(move || {
        let mut socket = request.into_writer();
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n: connected\n\n";
        if socket
            .write_all(head.as_bytes())
            .and_then(|()| socket.flush())
            .is_err()
        {
            return;
        }
        loop {
            let message = match rx.recv_timeout(Duration::from_secs(15)) {
                Ok(message) => message,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => ": ping\n\n".to_string(),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
            };
            if socket
                .write_all(message.as_bytes())
                .and_then(|()| socket.flush())
                .is_err()
            {
                return;
            }
        }
    });
}

/// A string as a JSON literal, for event data.
pub fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostics;

    fn site() -> Output {
        let mut out = Output::default();
        let mut diags = Diagnostics::default();
        for path in ["index.html", "a/index.html", "a/b.css", "404.html"] {
            out.add(path.to_string(), b"x".to_vec(), &mut diags);
        }
        out
    }

    #[test]
    fn paths_map_to_built_files_only() {
        let out = site();
        assert_eq!(lookup(&out, "/"), Lookup::File("index.html".into()));
        assert_eq!(lookup(&out, "/a/"), Lookup::File("a/index.html".into()));
        assert_eq!(lookup(&out, "/a"), Lookup::Redirect("/a/".into()));
        assert_eq!(lookup(&out, "/a/b.css"), Lookup::File("a/b.css".into()));
        assert_eq!(lookup(&out, "/a/%62.css"), Lookup::File("a/b.css".into()));
    }

    #[test]
    fn traversal_attempts_are_not_found() {
        let out = site();
        for path in [
            "/../etc/passwd",
            "/a/../index.html",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/a/%2e%2e/index.html",
            "/..%5cwindows",
            "/./index.html",
            "//etc/passwd",
            "/a%00.css",
            "/%zz",
            "/c:/windows/win.ini",
            "/%ff%fe",
        ] {
            assert_eq!(lookup(&out, path), Lookup::NotFound, "{path}");
        }
    }

    #[test]
    fn live_reload_goes_before_the_end_of_head() {
        let html =
            with_live_reload(b"<html><head><title>x</title></head><body></body></html>".to_vec());
        let html = String::from_utf8(html).unwrap();
        assert!(
            html.contains("<script src=\"/__flywheel/live.js\" defer></script></head>"),
            "{html}"
        );
    }
}
