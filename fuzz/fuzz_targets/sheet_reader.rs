#![no_main]

// The checks live in drivers/sheet_reader.rs, which the crates' regression tests include too,
// so that a stored input replays through exactly the code the fuzzer ran.
mod driver {
    include!("../drivers/sheet_reader.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| driver::run(data));
