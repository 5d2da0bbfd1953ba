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
}

/// The exit code for content problems.
pub const EXIT_CONTENT: u8 = 1;
/// The exit code for fatal problems.
pub const EXIT_FATAL: u8 = 2;

/// Carries out a parsed command and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Build(args) => run_build(&args),
    }
}

fn run_build(args: &BuildArgs) -> ExitCode {
    let options = BuildOptions {
        root: args.root.clone(),
        output: args.output.clone(),
        drafts: args.drafts,
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
