//! Replays the stored inputs of the `schema` and `cell` fuzz targets: the hand-written seeds
//! (`fuzz/seeds/<target>`) and every input that once made them fail
//! (`fuzz/regressions/<target>`), through the fuzz targets' own drivers, so that a fixed crash
//! stays fixed without a fuzzer. See `fuzz/README.md`.

use std::panic::catch_unwind;
use std::path::{Path, PathBuf};

mod cell {
    include!("../../../fuzz/drivers/cell.rs");
}

mod schema {
    include!("../../../fuzz/drivers/schema.rs");
}

/// The files of `fuzz/<kind>/<target>`, sorted.
fn stored_inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(kind)
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
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
        #[expect(
            clippy::disallowed_methods,
            reason = "intake-core has no fs-err; the path is in the message"
        )]
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if catch_unwind(|| run(&data)).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(failed.is_empty(), "these inputs panic: {failed:#?}");
}

#[test]
fn schema_fuzz_inputs_replay() {
    replay("schema", schema::run);
}

#[test]
fn cell_fuzz_inputs_replay() {
    replay("cell", cell::run);
}
