//! Test-only helpers shared by intake's crates. Never a dependency of shipped code.
//!
//! - [`replay_fuzz_inputs`]: runs a fuzz target's driver on its stored seeds and on every
//!   input that once made it fail, so a fixed crash stays fixed without a fuzzer.
//! - [`postgres`]: a fresh PostgreSQL database per test ([`postgres::postgres_or_skip`]).
//! - [`webhook_receiver`] and [`smtp_sink`]: a webhook receiver and an SMTP sink on
//!   127.0.0.1, each a few lines of the protocol on a thread, for notification tests.

#![allow(clippy::expect_used, clippy::panic)]

pub mod postgres;
pub mod smtp_sink;
pub mod webhook_receiver;

use std::panic::catch_unwind;
use std::path::{Path, PathBuf};

/// The files of `fuzz/<kind>/<target>` in the repository, sorted.
fn stored_inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(kind)
        .join(target);
    let mut files: Vec<PathBuf> = fs_err::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs `run` on every seed (`fuzz/seeds/<target>`) and regression input
/// (`fuzz/regressions/<target>`) of a fuzz target, and fails naming every input that panics.
pub fn replay_fuzz_inputs(target: &str, run: fn(&[u8])) {
    let seeds = stored_inputs("seeds", target);
    assert!(!seeds.is_empty(), "no seeds for fuzz target `{target}`");
    let mut failed = Vec::new();
    for path in seeds.iter().chain(&stored_inputs("regressions", target)) {
        let data = fs_err::read(path).unwrap_or_else(|e| panic!("{e}"));
        if catch_unwind(|| run(&data)).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(failed.is_empty(), "these inputs panic: {failed:#?}");
}
