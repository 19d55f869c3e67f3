//! Replays the stored inputs of the `csv_reader` fuzz target: the hand-written seeds
//! (`fuzz/seeds/csv_reader`) and every input that once made it fail
//! (`fuzz/regressions/csv_reader`), through the fuzz target's own driver, so that a fixed crash
//! stays fixed without a fuzzer. See `fuzz/README.md`.

mod csv_reader {
    include!("../../../fuzz/drivers/csv_reader.rs");
}

#[test]
fn csv_reader_fuzz_inputs_replay() {
    intake_testkit::replay_fuzz_inputs("csv_reader", csv_reader::run);
}

mod sheet_reader {
    include!("../../../fuzz/drivers/sheet_reader.rs");
}

#[test]
fn sheet_reader_fuzz_inputs_replay() {
    intake_testkit::replay_fuzz_inputs("sheet_reader", sheet_reader::run);
}
