//! A quick speed check of the CSV reader against the bare `csv` crate (not a test: speed lives
//! in the benchmark harness). Reads a file from memory with each, several times, and prints
//! the best times and their ratio.
//!
//! ```text
//! python3 shared/bench/gen_contacts.py 1000000 /tmp/contacts_1m.csv
//! cargo run --release -p intake-formats --example csv_speed -- /tmp/contacts_1m.csv
//! ```
//!
//! On a busy machine wall times are noisy; `csv_speed FILE ROUNDS csv` and `... intake` run
//! one side only, so `time` can compare their user CPU times.

use std::time::{Duration, Instant};

use intake_formats::{CsvOptions, CsvReader, RecordBatch};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1) else {
        return Err("usage: csv_speed FILE.csv [ROUNDS]".into());
    };
    let rounds: usize = match std::env::args().nth(2) {
        Some(n) => n.parse()?,
        None => 5,
    };
    let only = std::env::args().nth(3);
    let run_csv = only.as_deref() != Some("intake");
    let run_ours = only.as_deref() != Some("csv");
    // Both read from memory, so the disk is out of the comparison.
    let bytes = fs_err::read(&path)?;

    let mut csv_best = Duration::MAX;
    let mut ours_best = Duration::MAX;
    let (mut csv_records, mut our_records, mut our_cells) = (0usize, 0usize, 0usize);
    for _ in 0..rounds {
        if run_csv {
            let start = Instant::now();
            csv_records = ::csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(&bytes[..])
                .byte_records()
                .count();
            csv_best = csv_best.min(start.elapsed());
        }
        if !run_ours {
            continue;
        }

        let start = Instant::now();
        let mut reader = CsvReader::new(&bytes[..], &CsvOptions::default())?;
        let mut batch = RecordBatch::new();
        our_records = 0;
        our_cells = 0;
        while reader.read_batch(&mut batch, 1024)? {
            our_records += batch.len();
            our_cells += batch.iter().map(|r| r.len()).sum::<usize>();
        }
        ours_best = ours_best.min(start.elapsed());
    }
    println!(
        "{} MB, best of {rounds}: csv byte_records().count() {:.3} s ({csv_records} records); \
         intake CsvReader {:.3} s ({our_records} records, {our_cells} cells); ratio {:.2}x",
        bytes.len() / 1_000_000,
        csv_best.as_secs_f64(),
        ours_best.as_secs_f64(),
        ours_best.as_secs_f64() / csv_best.as_secs_f64()
    );
    Ok(())
}
