//! The command line: clap parses it into [`Command`], and [`run`] carries it out.
//!
//! Exit codes, documented in the README: 0 success, 1 problems in the content (configuration,
//! pages or templates), 2 a fatal problem (no site here, the disk).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::{build, output_dir, report, summary_line, BuildError, BuildOptions};

/// Flywheel: a static-site generator for a leadership-principles knowledge base.
#[derive(Debug, Parser)]
#[command(name = "flywheel", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into the output folder.
    Build(BuildArgs),
    /// Run every check the build runs, write nothing, and report.
    Check(CheckArgs),
    /// Create a new page of a kind, with every field the kind declares.
    New(NewArgs),
    /// Build, serve on 127.0.0.1, and rebuild and refresh the browser on every save.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The site folder, holding site.toml and content/.
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// The port to listen on (0 picks a free one).
    #[arg(long, short, default_value_t = 1111)]
    pub port: u16,
    /// The address to listen on. Anything but a loopback address lets other machines in.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Include pages marked `draft = true`.
    #[arg(long)]
    pub drafts: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The site folder, holding site.toml and content/.
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Check pages marked `draft = true` too.
    #[arg(long)]
    pub drafts: bool,
    /// How to print problems: `human` (with the line and a caret), `json`, or `github`
    /// (workflow annotations, so each problem shows on its line of a pull request).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// The output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The kind of page, as declared in site.toml (`case-study`), or `page` for a plain page.
    pub kind: String,
    /// The page title; the file name is made from it.
    pub title: String,
    /// The site folder, holding site.toml and content/.
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The site folder, holding site.toml and content/.
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Where to write the site (relative paths are taken from the site folder).
    #[arg(long, short, default_value = "public")]
    pub output: PathBuf,
    /// Include pages marked `draft = true`.
    #[arg(long)]
    pub drafts: bool,
    /// Print nothing but problems.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print how long each stage of the build took.
    #[arg(long)]
    pub timings: bool,
    /// The address the site is published at, replacing `base_url` in site.toml (canonical
    /// links, sitemap and feed only; deploy previews pass their own URL).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Point every link at an `index.html` file, so the site works opened from disk.
    #[arg(long)]
    pub portable: bool,
}

/// The exit code for content problems.
pub const EXIT_CONTENT: u8 = 1;
/// The exit code for fatal problems.
pub const EXIT_FATAL: u8 = 2;

/// Carries out a parsed command and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Build(args) => run_build(&args),
        Command::Check(args) => run_check(&args),
        Command::New(args) => run_new(&args),
        Command::Serve(args) => run_serve(args),
    }
}

fn run_serve(args: ServeArgs) -> ExitCode {
    let options = crate::serve::ServeOptions {
        build: BuildOptions {
            root: args.root,
            output: PathBuf::from("public"),
            drafts: args.drafts,
            ..Default::default()
        },
        bind: args.bind,
        port: args.port,
    };
    match crate::serve::run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_FATAL)
        }
    }
}

fn run_check(args: &CheckArgs) -> ExitCode {
    let options = BuildOptions {
        root: args.root.clone(),
        output: PathBuf::from("public"),
        drafts: args.drafts,
        ..Default::default()
    };
    let (diagnostics, pages) = match crate::build_in_memory(&options) {
        Ok(built) => {
            let pages = built.page_counts.iter().map(|(_, n)| n).sum::<usize>();
            (built.diagnostics, Some(pages))
        }
        Err(BuildError::Content(diags)) => (diags, None),
        Err(BuildError::Fatal(message)) => {
            eprintln!("error: {message}");
            return ExitCode::from(EXIT_FATAL);
        }
    };
    let (errors, warnings) = (diagnostics.error_count(), diagnostics.warning_count());
    let failed = errors > 0 || (args.deny_warnings && warnings > 0);
    let sorted = diagnostics.sorted();
    match args.format {
        Format::Human => {
            for d in &sorted {
                eprintln!("{}", d.render_human());
            }
            let checked = pages.map_or_else(String::new, |n| format!("{n} pages, "));
            let verdict = if failed { "failed" } else { "passed" };
            eprintln!(
                "Check {verdict}: {checked}{errors} error{}, {warnings} warning{}.",
                plural(errors),
                plural(warnings)
            );
        }
        Format::Json => {
            let report = serde_json::json!({
                "ok": !failed,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": sorted,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
        }
        Format::Github => {
            let prefix = github_prefix(&args.root);
            for d in &sorted {
                let mut d = d.clone();
                if args.deny_warnings {
                    d.severity = crate::diag::Severity::Error;
                }
                d.file = d.file.map(|f| format!("{prefix}{f}"));
                println!("{}", d.render_github());
            }
        }
    }
    if failed {
        ExitCode::from(EXIT_CONTENT)
    } else {
        ExitCode::SUCCESS
    }
}

/// Annotations name files from the repository root, where workflows run: a site in a subfolder
/// (`--root site`) puts that folder in front of every path.
fn github_prefix(root: &std::path::Path) -> String {
    let shown = root.to_string_lossy().replace('\\', "/");
    let shown = shown.trim_start_matches("./").trim_end_matches('/');
    if shown.is_empty() || shown == "." || root.is_absolute() {
        String::new()
    } else {
        format!("{shown}/")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn run_new(args: &NewArgs) -> ExitCode {
    let config_path = args.root.join(crate::config::CONFIG_FILE);
    let Ok(text) = std::fs::read_to_string(&config_path) else {
        eprintln!(
            "error: cannot read {}; run flywheel in a site folder or pass --root",
            config_path.display()
        );
        return ExitCode::from(EXIT_FATAL);
    };
    let config = match crate::config::SiteConfig::parse(&text) {
        Ok(config) => config,
        Err(diags) => {
            report(diags);
            return ExitCode::from(EXIT_CONTENT);
        }
    };
    match crate::scaffold::new_page(&args.root, &config, &args.kind, &args.title) {
        Ok(path) => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_CONTENT)
        }
    }
}

fn run_build(args: &BuildArgs) -> ExitCode {
    let options = BuildOptions {
        root: args.root.clone(),
        output: args.output.clone(),
        drafts: args.drafts,
        base_url: args.base_url.clone().filter(|u| !u.is_empty()),
        portable: args.portable,
    };
    match build(&options) {
        Ok(built) => {
            let dest = output_dir(&options);
            let summary = summary_line(&built, &dest);
            if args.timings {
                print!("{}", crate::timings_table(&built));
            }
            report(built.diagnostics);
            if !args.quiet {
                println!("{summary}");
            }
            ExitCode::SUCCESS
        }
        Err(BuildError::Content(diags)) => {
            let (errors, warnings) = (diags.error_count(), diags.warning_count());
            report(diags);
            eprintln!(
                "Build failed: {errors} error{}, {warnings} warning{}; nothing was written.",
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" }
            );
            ExitCode::from(EXIT_CONTENT)
        }
        Err(BuildError::Fatal(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_FATAL)
        }
    }
}
