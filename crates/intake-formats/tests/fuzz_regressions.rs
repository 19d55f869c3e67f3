//! Replays the stored inputs of the `csv_reader` fuzz target: the hand-written seeds
//! (`fuzz/seeds/csv_reader`) and every input that once made it fail
//! (`fuzz/regressions/csv_reader`), through the fuzz target's own driver, so that a fixed crash
//! stays fixed without a fuzzer. See `fuzz/README.md`.

use std::panic::catch_unwind;
use std::path::{Path, PathBuf};

mod csv_reader {
    include!("../../../fuzz/drivers/csv_reader.rs");
}

/// The files of `fuzz/<kind>/<target>`, sorted.
fn stored_inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(kind)
        .join(target);
    let mut files: Vec<PathBuf> = fs_err::read_dir(&dir)
        .map(|entries| {
            entries
                .map(|e| e.expect("a directory entry").path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs `run` on every stored input of `target` and names every input that panics.
fn replay(target: &str, run: fn(&[u8])) {
    let seeds = stored_inputs("seeds", target);
    assert!(!seeds.is_empty(), "no seeds for `{target}`");
    let mut failed = Vec::new();
    for path in seeds.iter().chain(&stored_inputs("regressions", target)) {
        let data = fs_err::read(path).expect("a readable input");
        if catch_unwind(|| run(&data)).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(failed.is_empty(), "these inputs panic: {failed:#?}");
}

#[test]
fn csv_reader_fuzz_inputs_replay() {
    replay("csv_reader", csv_reader::run);
}
