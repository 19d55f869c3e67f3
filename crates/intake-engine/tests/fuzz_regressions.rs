//! Replays the stored inputs of the `validate` fuzz target: the hand-written seeds
//! (`fuzz/seeds/validate`) and every input that once made it fail
//! (`fuzz/regressions/validate`), through the fuzz target's own driver, so that a fixed crash
//! stays fixed without a fuzzer. See `fuzz/README.md`.

mod validate {
    include!("../../../fuzz/drivers/validate.rs");
}

#[test]
fn validate_fuzz_inputs_replay() {
    intake_testkit::replay_fuzz_inputs("validate", validate::run);
}
