//! Flywheel's integration tests: one binary (link time matters on small machines), with a
//! module per area. Each test writes a small site, runs the real `flywheel` binary on it and
//! checks what it printed and wrote.

mod build;
mod check;
mod content;
mod errors;
mod hardening;
mod harness;
mod properties;
mod publish;
mod search;
mod serve;
mod theme;
