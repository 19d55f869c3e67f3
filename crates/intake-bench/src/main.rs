//! `intake-bench`: times intake side by side with the reference tools (DESIGN.md §9).
//!
//! ```text
//! cargo run --release -p intake-bench -- validate [--rows 1000000] [--runs 3] [--warmup 1]
//!     [--json] [--no-build] [--regenerate] [--intake PATH] [--intake-arg ARG]... [--root DIR]
//! cargo run --release -p intake-bench -- import [the same options]
//! cargo run --release -p intake-bench -- postgres [the same options]
//! cargo run --release -p intake-bench -- links [the same options; --rows 100000 by default]
//! cargo run --release -p intake-bench -- serve [--uploads 20] [--upload-mb 50] [--imports 50]
//!     [--import-rows 2000] [--no-postgres] [--json] [--no-build] [--regenerate] [--intake PATH] [--root DIR]
//! ```
//!
//! `serve` loads the HTTP server on loopback: concurrent uploads (throughput, and the server's
//! memory before, during and after: uploads are streamed to disk), then two `intake worker`
//! processes draining queued imports from one PostgreSQL database, each exactly once (the
//! `serve` module).
//!
//! `links` times links resolved in batches, in the `crm` demo: `intake import contact` of
//! `--rows` contacts that create their `--rows / 10` accounts inline (`Account UUID` empty,
//! `Account Name` and the other account columns filled; each account created once) against the
//! same contacts with their accounts' UUIDs filled in, imported into a workspace that already
//! holds the accounts. The bar: the inline import takes at most 1.5 times the other, with
//! intake's peak RSS under 200 MB.
//!
//! See the `harness` module for what a suite does. Exit codes: 0 done, 2 the benchmark could
//! not run (a missing binary or schema, a case that failed).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use intake_bench::harness::{self, Suite};
use intake_bench::{measure, serve};

#[derive(Parser)]
#[command(
    name = "intake-bench",
    about = "Times intake side by side with reference tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Time `intake validate` against the bare CSV parse (csv crate record count)
    Validate(SuiteArgs),
    /// Time `intake import` into an empty database against `sqlite3 .import`, and a re-import
    /// of the same file against its dry run (`intake validate`); needs the sqlite3 shell
    Import(SuiteArgs),
    /// Time `intake import` into PostgreSQL against `psql \copy`, and an update of every row
    /// against `INSERT ... ON CONFLICT DO UPDATE` from a COPY-loaded staging table; needs psql
    /// and a server at INTAKE_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres)
    Postgres(SuiteArgs),
    /// Time `intake import contact` of contacts creating their accounts inline (one account per
    /// ten contacts) against the same contacts naming their accounts by UUID, in the `crm` demo
    Links(SuiteArgs),
    /// Load `intake serve` on loopback: concurrent uploads (time, MB/s, the server's RSS before,
    /// during and after), then two `intake worker` processes draining queued imports from one
    /// PostgreSQL database (INTAKE_BENCH_POSTGRES_URL), each exactly once
    Serve(ServeArgs),
    /// Run a command and print its wall time, peak RSS and exit code as JSON (used internally)
    #[command(hide = true)]
    Measure {
        /// The file the command reads on stdin (default: stdin closed)
        #[arg(long)]
        stdin: Option<PathBuf>,
        /// Where the command's stdout goes
        #[arg(long)]
        stdout: PathBuf,
        /// Where the command's stderr goes
        #[arg(long)]
        stderr: PathBuf,
        /// The command and its arguments
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<OsString>,
    },
}

#[derive(Args)]
struct SuiteArgs {
    /// Data rows of the generated file [default: 1000000; links: 100000]
    #[arg(long)]
    rows: Option<u64>,
    /// Timed rounds (each runs every case once)
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Untimed rounds before the timed ones
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Print the results as JSON on stdout (the table goes to stderr)
    #[arg(long)]
    json: bool,
    /// Do not run `cargo build --release` for the suite's binaries (csv-count, intake) first
    #[arg(long)]
    no_build: bool,
    /// Regenerate the data file even if it exists
    #[arg(long)]
    regenerate: bool,
    /// Use this intake binary instead of target/release/intake (it is not built)
    #[arg(long)]
    intake: Option<PathBuf>,
    /// An extra argument for every intake command line, e.g. `--intake-arg=--mode
    /// --intake-arg=create` (repeat it for several)
    #[arg(long = "intake-arg", allow_hyphen_values = true)]
    intake_args: Vec<OsString>,
    /// The repository root (default: where this crate was built)
    #[arg(long)]
    root: Option<PathBuf>,
}

#[derive(Args)]
struct ServeArgs {
    /// Uploads sent at once
    #[arg(long, default_value_t = 20)]
    uploads: usize,
    /// Size of each upload, in MB (10^6 bytes)
    #[arg(long, default_value_t = 50)]
    upload_mb: u64,
    /// Imports queued for the two workers
    #[arg(long, default_value_t = 50)]
    imports: usize,
    /// Contacts in each queued import's file
    #[arg(long, default_value_t = 2000)]
    import_rows: u64,
    /// Only the uploads: skip the workers draining the queue (which need psql and PostgreSQL)
    #[arg(long)]
    no_postgres: bool,
    /// Print the results as JSON on stdout (the table goes to stderr)
    #[arg(long)]
    json: bool,
    /// Do not run `cargo build --release -p intake` first
    #[arg(long)]
    no_build: bool,
    /// Regenerate the upload file even if it exists
    #[arg(long)]
    regenerate: bool,
    /// Use this intake binary instead of target/release/intake (it is not built)
    #[arg(long)]
    intake: Option<PathBuf>,
    /// The repository root (default: where this crate was built)
    #[arg(long)]
    root: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Validate(args) => run_suite(&Suite::validate(), args),
        Command::Import(args) => run_suite(&Suite::import(), args),
        Command::Postgres(args) => run_suite(&Suite::postgres(), args),
        Command::Links(args) => run_suite(&Suite::links(), args),
        Command::Serve(args) => run_serve(args),
        Command::Measure {
            stdin,
            stdout,
            stderr,
            command,
        } => {
            let (program, args) = command
                .split_first()
                .ok_or_else(|| anyhow::anyhow!("no command to measure"))?;
            let m = measure::run_and_measure(program, args, stdin.as_deref(), &stdout, &stderr)?;
            println!("{}", serde_json::to_string(&m)?);
            Ok(())
        }
    }
}

fn run_suite(suite: &Suite, args: SuiteArgs) -> Result<()> {
    let options = harness::Options {
        rows: args.rows.unwrap_or(suite.default_rows),
        runs: args.runs,
        warmup: args.warmup,
        build: !args.no_build,
        regenerate: args.regenerate,
        root: args.root.unwrap_or_else(harness::Options::default_root),
        intake: args.intake,
        intake_args: args.intake_args,
    };
    let report = harness::run(suite, &options)?;
    let table = harness::render_table(&report);
    if args.json {
        eprint!("{table}");
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{table}");
    }
    Ok(())
}

fn run_serve(args: ServeArgs) -> Result<()> {
    let options = serve::Options {
        uploads: args.uploads,
        upload_mb: args.upload_mb,
        imports: args.imports,
        import_rows: args.import_rows,
        postgres: !args.no_postgres,
        build: !args.no_build,
        regenerate: args.regenerate,
        root: args.root.unwrap_or_else(harness::Options::default_root),
        intake: args.intake,
    };
    let report = serve::run(&options)?;
    let table = serve::render(&report);
    if args.json {
        eprint!("{table}");
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{table}");
    }
    if report.drain.as_ref().is_some_and(|d| !d.exactly_once) {
        anyhow::bail!("the workers did not run every import exactly once (see above)");
    }
    Ok(())
}
