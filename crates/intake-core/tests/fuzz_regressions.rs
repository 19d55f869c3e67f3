//! Replays the stored inputs of the `schema` and `cell` fuzz targets: the hand-written seeds
//! (`fuzz/seeds/<target>`) and every input that once made them fail
//! (`fuzz/regressions/<target>`), through the fuzz targets' own drivers, so that a fixed crash
//! stays fixed without a fuzzer. See `fuzz/README.md`.

mod cell {
    include!("../../../fuzz/drivers/cell.rs");
}

mod schema {
    include!("../../../fuzz/drivers/schema.rs");
}

#[test]
fn schema_fuzz_inputs_replay() {
    intake_testkit::replay_fuzz_inputs("schema", schema::run);
}

#[test]
fn cell_fuzz_inputs_replay() {
    intake_testkit::replay_fuzz_inputs("cell", cell::run);
}
