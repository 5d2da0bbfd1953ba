//! The `flywheel` binary: parse the arguments, run the library, exit with its code.

use clap::Parser;

/// A build allocates and frees millions of small strings across threads. mimalloc's per-thread
/// heaps cost about a sixth less CPU than the system allocator here; without transparent huge
/// pages (`no_thp`), the kernel zeroes only the memory actually touched, which keeps the peak
/// lower too (docs/performance.md has the measurements).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    flywheel::cli::run(flywheel::cli::Cli::parse())
}
