//! `csv-count FILE`: prints the number of CSV records in FILE, header excluded.
//!
//! The bare parse reference of DESIGN.md §9 (`csv` crate defaults, `byte_records()` counted)
//! as its own process, so the harness compares it with `intake` process against process:
//!
//! ```text
//! cargo build --release -p intake-bench --bin csv-count
//! target/release/csv-count target/bench-data/contacts_1000000.csv
//! ```

use std::process::ExitCode;

use intake_bench::reference::count_records;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: csv-count FILE");
        return ExitCode::from(2);
    };
    let counted = fs_err::File::open(&path)
        .map_err(csv::Error::from)
        .and_then(count_records);
    match counted {
        Ok(n) => {
            println!("{n}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
