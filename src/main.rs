//! The `flywheel` binary: parse the arguments, run the library, exit with its code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    flywheel::cli::run(flywheel::cli::Cli::parse())
}
