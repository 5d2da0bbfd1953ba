//! `flywheel serve`: build, serve the site from memory on loopback, rebuild on every save, and
//! tell the open browsers (Server-Sent Events, a little synchronous HTTP server: no async
//! runtime needed for a tool that talks to one developer's browser).

pub mod http;
pub mod session;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use crate::BuildOptions;
use http::{json_string, Shared};
use session::{classify, combine, Change, Session};

/// Prints a line, ignoring a closed terminal: the server keeps serving when its output is gone.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! say_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
macro_rules! say_err_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

/// How long to wait for more changes after the first one, so an editor's burst of writes
/// (temporary file, rename, metadata) makes one rebuild.
const SETTLE: Duration = Duration::from_millis(30);

/// How long the writer must pause before the search index is rebuilt.
const SEARCH_IDLE: Duration = Duration::from_millis(400);

/// What `flywheel serve` was asked to do.
pub struct ServeOptions {
    pub build: BuildOptions,
    pub bind: IpAddr,
    pub port: u16,
}

/// Runs the server until the process is stopped. Returns only on a fatal error.
pub fn run(options: ServeOptions) -> Result<(), String> {
    let root = options.build.root.canonicalize().map_err(|e| {
        format!(
            "cannot open the site folder {}: {e}",
            options.build.root.display()
        )
    })?;
    let mut session = Session::new(BuildOptions {
        root: root.clone(),
        ..options.build
    });
    let shared = Arc::new(Shared::new(options.bind.is_loopback()));
    first_build(&mut session, &shared);

    let address = SocketAddr::new(options.bind, options.port);
    let server =
        tiny_http::Server::http(address).map_err(|e| format!("cannot listen on {address}: {e}"))?;
    let actual = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| "the server has no IP address".to_string())?;
    if !options.bind.is_loopback() {
        say_err!("warning: serving on {actual}, which other machines can reach; the dev server is for your own browser");
    }
    let (tx, rx) = channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Reads (our own builds open every file) and metadata updates are not changes.
        let Ok(event) = event else { return };
        let relevant = matches!(
            event.kind,
            notify::EventKind::Create(_)
                | notify::EventKind::Remove(_)
                | notify::EventKind::Modify(
                    notify::event::ModifyKind::Data(_)
                        | notify::event::ModifyKind::Name(_)
                        | notify::event::ModifyKind::Any
                )
        );
        if relevant {
            for path in event.paths {
                let _ = tx.send(path);
            }
        }
    })
    .map_err(|e| format!("cannot watch the site folder: {e}"))?;
    for name in ["content", "themes", "templates", "static"] {
        let dir = root.join(name);
        if dir.is_dir() {
            watcher
                .watch(&dir, RecursiveMode::Recursive)
                .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
        }
    }
    watcher
        .watch(&root, RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;

    // Announced only now, so a change saved right after the address appears is seen.
    say!(
        "Serving {} at http://{actual}/ (Ctrl-C to stop)",
        root.display()
    );

    let rebuild_shared = shared.clone();
    std::thread::spawn(move || {
        // The watcher lives as long as this loop.
        let _watcher = watcher;
        loop {
            // While the search index lags behind, wait only a moment for the next change; once
            // the writer pauses, bring the index up to date (it takes longest, and nobody is
            // waiting on it).
            let first = match rx.recv_timeout(SEARCH_IDLE) {
                Ok(path) => path,
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(output) = session.finish_search() {
                        publish(&rebuild_shared, output);
                    }
                    match rx.recv() {
                        Ok(path) => path,
                        Err(_) => return,
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut paths = vec![first];
            loop {
                match rx.recv_timeout(SETTLE) {
                    Ok(path) => paths.push(path),
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            if let Some(change) = combine(paths.iter().filter_map(|p| classify(&root, p))) {
                rebuild(&mut session, &rebuild_shared, change, &paths, &root);
            }
        }
    });

    for request in server.incoming_requests() {
        let shared = shared.clone();
        std::thread::spawn(move || http::handle(request, &shared));
    }
    Ok(())
}

fn first_build(session: &mut Session, shared: &Shared) {
    match session.rebuild(Change::Everything, &[]) {
        Ok(built) => {
            report(built.warnings);
            say!("Built {} pages in {} ms", built.page_count, built.millis);
            // The search index follows a moment later, from the rebuild loop.
            publish(shared, built.output);
        }
        Err(diags) => fail(shared, diags),
    }
}

fn publish(shared: &Shared, output: Arc<crate::output::Output>) {
    if let Ok(mut current) = shared.output.write() {
        *current = output;
    }
}

fn rebuild(session: &mut Session, shared: &Shared, change: Change, paths: &[PathBuf], root: &Path) {
    let names: Vec<String> = paths
        .iter()
        .filter(|p| classify(root, p).is_some())
        .filter_map(|p| p.strip_prefix(root).ok())
        .map(|p| p.display().to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let shown = match names.len() {
        0..=3 => names.join(", "),
        n => format!("{} and {} more", names[..3].join(", "), n - 3),
    };
    let relevant: Vec<PathBuf> = paths
        .iter()
        .filter(|p| classify(root, p).is_some())
        .cloned()
        .collect();
    match session.rebuild(change, &relevant) {
        Ok(built) => {
            let rendered = built.pages.as_ref().map_or(built.page_count, Vec::len);
            report(built.warnings);
            say!(
                "Rebuilt in {} ms ({} of {} pages rendered) after a change to {}",
                built.millis,
                rendered,
                built.page_count,
                shown
            );
            publish(shared, built.output);
            if let Ok(mut error) = shared.error.write() {
                *error = None;
            }
            match (change, built.pages) {
                (Change::Styles, _) => {
                    let assets = serde_json::to_string(&built.assets).unwrap_or_default();
                    shared.broadcast("css", &assets);
                }
                (_, Some(pages)) => {
                    shared.broadcast("ok", "{}");
                    shared.broadcast("reload", &serde_json::to_string(&pages).unwrap_or_default());
                }
                (_, None) => shared.broadcast("reload", "\"all\""),
            }
        }
        Err(diags) => fail(shared, diags),
    }
}

fn report(diags: crate::diag::Diagnostics) {
    for d in diags.sorted() {
        say_err!("{}", d.render_human());
    }
}

/// Reports a failed build in the terminal and in every open browser; the last good build stays.
fn fail(shared: &Shared, diags: crate::diag::Diagnostics) {
    let text: String = diags
        .sorted()
        .iter()
        .map(|d| d.render_human() + "\n")
        .collect();
    say_err_raw!("{text}");
    say_err!("Build failed; still serving the last good build.");
    if let Ok(mut error) = shared.error.write() {
        *error = Some(text.clone());
    }
    shared.broadcast("failed", &json_string(&text));
}
