#![no_main]

// The checks live in drivers/sheet_reader.rs, which the crates' regression tests include too,
// so that a stored input replays through exactly the code the fuzzer ran.
mod driver {
    include!("../drivers/sheet_reader.rs");
}

libfuzzer_sys::fuzz_target!(
    init: {
        // libfuzzer-sys aborts on every panic, even one that is caught. The sheet reader runs
        // calamine under `catch_unwind` and turns its panics into `ReadError::ReaderFailed`
        // (checked by the driver), so only those are let through; any other panic aborts.
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_calamine = info
                .location()
                .is_some_and(|l| l.file().contains("/calamine-"));
            if !in_calamine {
                abort(info);
            }
        }));
    },
    |data: &[u8]| driver::run(data)
);
