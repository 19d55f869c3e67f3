//! `gen-contacts`: writes the contacts benchmark data set (a port of
//! `shared/bench/gen_contacts.py`; see the `generator` module for what it holds).
//!
//! ```text
//! cargo run --release -p intake-bench --bin gen-contacts -- 1000000 contacts_1m.csv
//! cargo run --release -p intake-bench --bin gen-contacts -- 100000 bad.csv \
//!     --error-rate 0.01 --error-kinds all --errors-out bad.errors.csv
//! cargo run --release -p intake-bench --bin gen-contacts -- 1000 - --crlf --bom | head
//! ```
//!
//! The same ROWS and `--seed` always give the same bytes; the valid rows do not depend on
//! `--error-rate`. The manifest (`--errors-out`) is CSV `data_row,column,kind,value`, with
//! data_row 1-based and header excluded, and the full injected value.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::Parser;
use intake_bench::generator::{self, ErrorKind};

#[derive(Parser)]
#[command(
    name = "gen-contacts",
    about = "Writes a realistic 20-column contacts CSV for import benchmarks"
)]
struct Args {
    /// Data rows to write (the header is not counted)
    rows: u64,
    /// Output CSV path, `-` for stdout
    out: PathBuf,
    /// Seed of the random streams
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Fraction of rows with one invalid cell, in 0..=1
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Comma list of error kinds, or `all`: bad_email, bad_country, bad_date, too_long,
    /// missing_required, bad_lookup, bad_integer, bad_boolean
    #[arg(
        long,
        default_value = "bad_email,bad_country,bad_date,too_long,missing_required"
    )]
    error_kinds: String,
    /// Write the manifest of injected errors (CSV data_row,column,kind,value) here
    #[arg(long)]
    errors_out: Option<PathBuf>,
    /// CRLF line endings (Excel style)
    #[arg(long)]
    crlf: bool,
    /// Prefix a UTF-8 byte order mark (Excel style)
    #[arg(long)]
    bom: bool,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<()> {
    let options = generator::Options {
        rows: args.rows,
        seed: args.seed,
        error_rate: args.error_rate,
        error_kinds: ErrorKind::parse_list(&args.error_kinds)?,
        crlf: args.crlf,
        bom: args.bom,
    };
    // Checked before the output file is created.
    generator::Generator::new(&options)?;
    let start = Instant::now();
    let errors = if args.out.as_os_str() == "-" {
        let mut stdout = std::io::stdout().lock();
        let errors = generator::write_csv(&options, &mut stdout)?;
        stdout.flush()?;
        errors
    } else {
        generator::write_csv(&options, fs_err::File::create(&args.out)?)?
    };
    if let Some(path) = &args.errors_out {
        generator::write_manifest(&errors, fs_err::File::create(path)?)?;
    }
    let seconds = start.elapsed().as_secs_f64();
    if options.error_rate > 0.0 {
        eprintln!(
            "{} rows, {} with an injected error ({seconds:.2} s)",
            options.rows,
            errors.len()
        );
    } else {
        eprintln!("{} rows ({seconds:.2} s)", options.rows);
    }
    Ok(())
}
