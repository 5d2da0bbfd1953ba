//! Flywheel turns a tree of markdown pages into a themed static site.
//!
//! The build is a pipeline of plain stages, each a module with one job, and data flows one way:
//!
//! 1. [`load`]: walk `content/`, read each file, split off its front matter.
//! 2. [`parse`]: check front matter against the page's kind ([`front_matter`]) and turn markdown
//!    into HTML, headings and links ([`markdown`], [`highlight`]); in parallel.
//! 3. [`resolve`]: URLs, sections and their order, references and backlinks, link and anchor
//!    checks, tags.
//! 4. The theme's and the site's static files ([`site_files`]); [`render`]: every page through
//!    its template, in parallel, each handed to the output the moment it is rendered, plus the
//!    site-wide files; then [`search`]: the client-side search index, sharded.
//! 5. [`output`]: a staging folder that receives the files as they come (or memory, for the dev
//!    server and `check`), swapped in whole once everything is written.
//!
//! Every stage reports problems as [`diag::Diagnostic`]s and carries on, so one run lists them all.
//! Nothing is written unless the whole site built without errors.

pub mod ascii;
pub mod cli;
pub mod config;
pub mod diag;
pub mod front_matter;
pub mod highlight;
pub mod load;
pub mod markdown;
pub mod output;
pub mod parse;
pub mod render;
pub mod resolve;
pub mod sanitize;
pub mod scaffold;
pub mod schema;
pub mod search;
pub mod serve;
pub mod site_files;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use config::SiteConfig;
use diag::{Diagnostic, Diagnostics};
use output::Output;

/// What `flywheel build` was asked to do, after argument parsing.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The site folder, holding `site.toml` and `content/`.
    pub root: PathBuf,
    /// Where the site is written; relative paths are taken from `root`.
    pub output: PathBuf,
    /// Include pages marked `draft = true`.
    pub drafts: bool,
    /// Replaces `base_url` from `site.toml` (deploy previews build with their own URL).
    pub base_url: Option<String>,
    /// Make every link point at an `index.html` file, so the site works opened from disk.
    pub portable: bool,
}

/// A site built in memory, with what was found along the way.
pub struct Built {
    pub output: Output,
    pub diagnostics: Diagnostics,
    /// Pages per kind, for the summary line (`principle` -> 16).
    pub page_counts: Vec<(String, usize)>,
    pub elapsed: Duration,
    /// How long each stage took, in pipeline order (`--timings`).
    pub timings: Vec<StageTiming>,
}

/// Why a build produced no site.
pub enum BuildError {
    /// Problems in content, configuration or templates, all of them.
    Content(Diagnostics),
    /// Something outside the content went wrong (no site here, the disk).
    Fatal(String),
}

/// Runs every stage up to and including rendering; writes nothing.
pub fn build_in_memory(options: &BuildOptions) -> Result<Built, BuildError> {
    build_into(options, || Ok(Output::default()))
}

/// Runs every stage into the output that `open_output` makes once the content has been
/// checked: in memory, or staged on disk (see [`output`]).
fn build_into(
    options: &BuildOptions,
    open_output: impl FnOnce() -> Result<Output, String>,
) -> Result<Built, BuildError> {
    let started = Instant::now();
    let mut clock = StageClock::new(started);
    let Resolved {
        mut site,
        theme,
        mut diagnostics,
    } = resolve_site(options, &mut clock)?;
    site.release_source_text();
    let mut out = open_output().map_err(BuildError::Fatal)?;
    let assets =
        site_files::add_static_files(&options.root, &theme, &site, &mut out, &mut diagnostics)
            .map_err(BuildError::Fatal)?;
    clock.lap("assets");
    let render_data = render::render_data(&site).portable(options.portable);
    // Each page's HTML is freed once its page is written, before the index is built: the two
    // largest things a build holds are never in memory together.
    let pages = render::Pages::AllTakingHtml(site.take_html());
    render::render_pages_with(
        &site,
        &theme,
        &assets,
        &render_data,
        pages,
        &mut out,
        &mut diagnostics,
    );
    site_files::add_site_wide(&site, &mut out, &mut diagnostics);
    clock.lap("render");
    search::build_index(&site, &mut out, &mut diagnostics);
    clock.lap("search");
    if options.portable {
        site_files::make_portable(&mut out);
    }
    if diagnostics.has_errors() {
        return Err(BuildError::Content(diagnostics));
    }
    let page_counts = page_counts(&site);
    // Freeing every page's text takes tens of milliseconds at 10,000 pages, and nothing has to
    // wait for it: the swap into place goes ahead meanwhile. If no thread can be started, the
    // closure, and the data with it, is dropped here instead.
    let finished = (site, render_data);
    let _ = std::thread::Builder::new()
        .name("free-site".into())
        .spawn(move || drop(finished));
    Ok(Built {
        output: out,
        diagnostics,
        page_counts,
        elapsed: started.elapsed(),
        timings: clock.laps,
    })
}

/// A site after the resolve stage, ready to render.
pub struct Resolved {
    pub site: resolve::Site,
    pub theme: render::Theme,
    /// Warnings so far (a site with errors is never returned).
    pub diagnostics: Diagnostics,
}

/// Runs the stages up to and including resolve: everything about the content is known and
/// checked, nothing is rendered. Tests and tools that inspect the site start here.
pub fn load_site(options: &BuildOptions) -> Result<Resolved, BuildError> {
    resolve_site(options, &mut StageClock::new(Instant::now()))
}

fn resolve_site(options: &BuildOptions, clock: &mut StageClock) -> Result<Resolved, BuildError> {
    let root = &options.root;
    let config_path = root.join(config::CONFIG_FILE);
    let config_text = std::fs::read_to_string(&config_path).map_err(|e| {
        BuildError::Fatal(format!(
            "cannot read {}: {e}; run flywheel in a site folder or pass --root",
            config_path.display()
        ))
    })?;
    let mut config = SiteConfig::parse(&config_text).map_err(BuildError::Content)?;
    if let Some(base_url) = &options.base_url {
        config.base_url = Some(base_url.clone());
    }
    let mut diags = Diagnostics::default();
    let theme = match render::Theme::locate(root, &config.theme) {
        Ok(theme) => theme,
        Err(d) => {
            diags.push(*d);
            return Err(BuildError::Content(diags));
        }
    };
    let loaded = load::load_content(root, config.markdown.max_file_bytes, &mut diags);
    clock.lap("load");
    let parsed = parse::parse_all(&config, loaded.sources, options.drafts, &mut diags);
    clock.lap("parse");
    let site = resolve::resolve(config, parsed, loaded.assets, &mut diags);
    clock.lap("resolve");
    if diags.has_errors() {
        return Err(BuildError::Content(diags));
    }
    Ok(Resolved {
        site,
        theme,
        diagnostics: diags,
    })
}

/// One stage of a build, as `--timings` shows it.
#[derive(Debug, Clone)]
pub struct StageTiming {
    pub stage: &'static str,
    pub wall: Duration,
    /// CPU time of all threads during the stage: `cpu / wall` says how well it used the cores.
    pub cpu: Option<Duration>,
    /// The process's resident memory after the stage, in MiB.
    pub resident_mib: Option<u64>,
}

/// Times the stages of a build, one lap each.
struct StageClock {
    last: Instant,
    last_cpu: Option<Duration>,
    laps: Vec<StageTiming>,
}

impl StageClock {
    fn new(started: Instant) -> Self {
        StageClock {
            last: started,
            last_cpu: process_cpu_time(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, stage: &'static str) {
        let now = Instant::now();
        let cpu = process_cpu_time();
        self.laps.push(StageTiming {
            stage,
            wall: now - self.last,
            cpu: cpu
                .zip(self.last_cpu)
                .map(|(now, then)| now.saturating_sub(then)),
            resident_mib: resident_mib(),
        });
        self.last = now;
        self.last_cpu = cpu;
    }
}

/// The process's resident memory in MiB (Linux only).
fn resident_mib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096 / (1024 * 1024))
}

/// User plus system CPU time of the whole process so far.
fn process_cpu_time() -> Option<Duration> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given and reads nothing else.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: getrusage returned 0, so the struct is initialised.
    let usage = unsafe { usage.assume_init() };
    let seconds = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Some(seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

/// Builds the site and writes it to the output folder: pages go to a staging folder as they
/// are rendered, and the staging folder replaces the output folder once everything is written.
pub fn build(options: &BuildOptions) -> Result<Built, BuildError> {
    let started = Instant::now();
    let dest = output_dir(options);
    let mut built = build_into(options, || Output::staged(&dest))?;
    let mut clock = StageClock::new(Instant::now());
    built
        .output
        .write_atomically(&dest)
        .map_err(BuildError::Fatal)?;
    clock.lap("write");
    built.timings.extend(clock.laps);
    built.elapsed = started.elapsed();
    Ok(built)
}

/// The `--timings` table: one line per stage.
pub fn timings_table(built: &Built) -> String {
    built
        .timings
        .iter()
        .map(|t| {
            let cpu = t.cpu.map_or_else(String::new, |cpu| {
                format!("   {:>8.1} ms CPU", cpu.as_secs_f64() * 1000.0)
            });
            let memory = t
                .resident_mib
                .map_or_else(String::new, |m| format!("   {m:>6} MiB resident"));
            format!(
                "  {:<8} {:>8.1} ms{cpu}{memory}\n",
                t.stage,
                t.wall.as_secs_f64() * 1000.0
            )
        })
        .collect()
}

/// The output folder, resolved against the site root.
pub fn output_dir(options: &BuildOptions) -> PathBuf {
    if options.output.is_absolute() {
        options.output.clone()
    } else {
        options.root.join(&options.output)
    }
}

fn page_counts(site: &resolve::Site) -> Vec<(String, usize)> {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for page in site.pages.iter().filter(|p| !p.is_section) {
        *counts.entry(page.kind.clone()).or_default() += 1;
    }
    let sections = site.pages.iter().filter(|p| p.is_section).count();
    let mut counts: Vec<(String, usize)> = counts.into_iter().collect();
    counts.push(("section".into(), sections));
    counts
}

/// The one-line summary: `Built 38 pages (16 principle, ...) in 85 ms with 0 warnings into public/`.
pub fn summary_line(built: &Built, dest: &Path) -> String {
    let total: usize = built.page_counts.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = built
        .page_counts
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    let warnings = built.diagnostics.warning_count();
    format!(
        "Built {total} pages ({}) in {} ms with {warnings} warning{} into {}",
        parts.join(", "),
        built.elapsed.as_millis(),
        if warnings == 1 { "" } else { "s" },
        dest.display()
    )
}

/// Prints diagnostics in the human format to standard error.
pub fn report(diagnostics: Diagnostics) {
    for d in diagnostics.sorted() {
        eprint!("{}", d.render_human());
        eprintln!();
    }
}

/// A fatal problem as a diagnostic, for uniform printing.
pub fn fatal(message: &str) -> Diagnostic {
    Diagnostic::error(message.to_string())
}
