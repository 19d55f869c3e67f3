//! Suites of benchmark cases, timed side by side in the same run: alternating, best-of-N and
//! median, peak RSS of every child process, ratios against a reference case and ratios with a
//! bar to meet.
//!
//! ```text
//! cargo run --release -p intake-bench -- validate [--rows 1000000] [--runs 3] [--warmup 1]
//!     [--json] [--no-build] [--regenerate] [--intake PATH] [--intake-arg ARG]... [--root DIR]
//! cargo run --release -p intake-bench -- import [same options]
//! cargo run --release -p intake-bench -- links [same options; --rows 100000 by default]
//! ```
//!
//! The `validate` suite:
//! 1. builds `csv-count` and `intake` in release mode (`cargo build --release ...`; skipped
//!    with `--no-build`; with `--intake PATH` that binary is used and not built);
//! 2. generates `target/bench-data/contacts_<rows>.csv` (1% errors, default kinds, seed 42)
//!    and its manifest `contacts_<rows>.errors.csv` when missing (or with `--regenerate`);
//! 3. lays out a fresh workspace `target/bench-data/workspace/` holding a copy of
//!    `crates/intake-bench/data/intake.toml`, the benchmark schema;
//! 4. runs every case `--warmup` times untimed (page cache, first-run set-up), then `--runs`
//!    rounds, each running every case once, starting from a different case each round;
//! 5. prints a table (or, with `--json`, JSON on stdout and the table on stderr).
//!
//! The cases: the bare parse reference in this process and as the `csv-count` child process,
//! and `intake validate contacts FILE --workspace DIR --report target/bench-data/out/report.csv`
//! (plus any `--intake-arg`). Each child's stdout and stderr are kept in `target/bench-data/out/`.
//! The ratio is taken against `csv-count`, the child process, so that process start-up and
//! output are on both sides. `intake` may exit 0 or 1 (the file has problems); any other exit
//! aborts the benchmark with its stderr.
//!
//! The `import` suite times writing the file into a database, on a file without errors
//! (`target/bench-data/contacts_<rows>_valid.csv`, the same rows with the error rate 0), with
//! its state under `target/bench-data/import/`:
//! - `sqlite3-import`, the reference: `sqlite3 DB < import.sql`, the shell's `.import` into a
//!   new database file with a table like intake's (what it does and does not do: the
//!   [`crate::sqlite3`] module); untimed before each run: the database files are deleted;
//! - `intake-create`: `intake --workspace create import contacts FILE --json` into an empty
//!   database; untimed before each run: a new workspace `create/` with the benchmark schema
//!   and its database created (`intake imports list`);
//! - `intake-reimport`: the same import with `--match-on email` into the workspace
//!   `imported/`, which holds the file (imported once, untimed, before the first round);
//! - `intake-validate`: `intake validate contacts FILE --match-on email --json` against
//!   `imported/`, the re-import as a dry run.
//!
//! Every run is checked: sqlite3 exits 0 with nothing on stderr and its table then holds the
//! rows; intake exits 0 and its JSON says every row was created (`intake-create`) or is
//! unchanged (the other two), so `imported/` is the same before every run. The ratios with a
//! bar: intake-create / sqlite3-import <= 1.0 and intake-reimport / intake-validate <= 2.0,
//! and intake's peak RSS under 200 MB. `--intake-arg` goes to every intake command line.
//! Before the first round the harness checks that the reference's columns and unique indexes
//! still match the table intake creates.
//!
//! The `links` suite times links resolved in batches, in the `crm` demo (`intake init --demo
//! crm DIR`), on the [`crate::links`] data set: `target/bench-data/links_<rows>_accounts.csv`
//! (`rows / 10` accounts, `Company 00001`...) and `links_<rows>_inline.csv` (the contacts,
//! `Account UUID` empty and their account's columns filled), generated when missing; state
//! under `target/bench-data/links/`. Once, untimed: the accounts imported into `accounts/`,
//! exported (`intake export account -o accounts-export.csv`) and the same contacts written with
//! their accounts' UUIDs instead of their columns (`contacts-by-uuid.csv`). The cases:
//! - `intake-links-uuid`, the reference: `intake --workspace uuid import contact
//!   contacts-by-uuid.csv --json`; untimed before each run: `uuid/` made a copy of `accounts/`;
//! - `intake-links-inline`: `intake --workspace inline import contact links_<rows>_inline.csv
//!   --json`, which also creates the accounts; untimed before each run: `inline/` a new `crm`
//!   workspace.
//!
//! Both must exit 0 with every contact created; the inline case with exactly `rows / 10`
//! `account` records created inline, the uuid case with none; and after each (untimed)
//! `intake export contact --filter 'account is empty'` must find no contact. The bar:
//! intake-links-inline / intake-links-uuid <= 1.5, and intake's peak RSS under 200 MB.
//!
//! Adding a case (say `psql \copy` beside `intake import`): a [`Case`] variant, its name, its
//! arms in `Bench::prepare` (its untimed state before each run) and `Bench::run_case`, its
//! build or availability check in `run` and one-off state in `Bench::setup`, and a [`Suite`]
//! that lists it with its reference (and its ratios with a bar, if any).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::generator;
use crate::links;
use crate::measure::{self, Measurement};
use crate::reference;
use crate::sqlite3;
use crate::stats;

/// One thing to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// The `csv` crate counting records inside the harness process (DESIGN.md §9's reference).
    CsvCountInProcess,
    /// The same count as the `csv-count` child process.
    CsvCount,
    /// `intake validate contacts FILE --workspace DIR --report FILE`, a child process.
    IntakeValidate,
    /// `sqlite3 DB < import.sql`: `.import` into a new database (the [`crate::sqlite3`] module).
    Sqlite3Import,
    /// `intake --workspace DIR import contacts FILE --json` into an empty database.
    IntakeCreate,
    /// The same import with `--match-on email` into a workspace that holds the file already.
    IntakeReimport,
    /// `intake --workspace DIR validate contacts FILE --match-on email --json` against a
    /// workspace that holds the file: the re-import as a dry run.
    IntakeValidateImported,
    /// `psql -c "\copy ..."` of the file into a new typed table with intake's unique
    /// indexes (the [`crate::postgres`] module).
    PsqlCopy,
    /// `intake --database postgres://... import contacts FILE --json` into an empty schema.
    PgIntakeCreate,
    /// `psql -f upsert.sql`: COPY of the second file into a staging table and one
    /// `INSERT ... ON CONFLICT DO UPDATE` of every row into a table holding the first.
    PgUpsertFromStaging,
    /// `intake --database postgres://... import contacts SECOND --match-on email --json`
    /// into a schema holding the first file: every row updated.
    PgIntakeUpdate,
    /// `intake --workspace DIR import contact INLINE --json` into a new `crm` workspace: every
    /// contact created, and its account created inline from the row's account columns (once
    /// per account name).
    IntakeLinksInline,
    /// `intake --workspace DIR import contact BY_UUID --json` into a `crm` workspace that
    /// holds the accounts: every contact created, linked to its account by UUID.
    IntakeLinksUuid,
}

impl Case {
    /// The name shown in the table and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Case::CsvCountInProcess => "csv-count (in-process)",
            Case::CsvCount => "csv-count",
            Case::IntakeValidate => "intake validate",
            Case::Sqlite3Import => "sqlite3-import",
            Case::IntakeCreate => "intake-create",
            Case::IntakeReimport => "intake-reimport",
            Case::IntakeValidateImported => "intake-validate",
            Case::PsqlCopy => "psql-copy",
            Case::PgIntakeCreate => "intake-create-pg",
            Case::PgUpsertFromStaging => "psql-upsert",
            Case::PgIntakeUpdate => "intake-update-pg",
            Case::IntakeLinksInline => "intake-links-inline",
            Case::IntakeLinksUuid => "intake-links-uuid",
        }
    }

    /// Whether the case runs as a child process (and so has a peak RSS of its own).
    pub fn is_child(self) -> bool {
        !matches!(self, Case::CsvCountInProcess)
    }

    /// Whether the case runs intake (and so is held to the suite's peak RSS bar).
    pub fn is_intake(self) -> bool {
        matches!(
            self,
            Case::IntakeValidate
                | Case::IntakeCreate
                | Case::IntakeReimport
                | Case::IntakeValidateImported
                | Case::PgIntakeCreate
                | Case::PgIntakeUpdate
                | Case::IntakeLinksInline
                | Case::IntakeLinksUuid
        )
    }
}

/// The data file of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSet {
    /// 1% of the rows with one injected error (`contacts_<rows>.csv`).
    OnePercentErrors,
    /// The same rows without errors (`contacts_<rows>_valid.csv`), for imports that must
    /// write every row.
    Valid,
    /// The `crm` demo's contacts with their accounts inline (`links_<rows>_inline.csv`),
    /// beside their accounts (`links_<rows>_accounts.csv`): the [`crate::links`] data set.
    Links,
}

impl DataSet {
    /// The generator's error rate.
    pub fn error_rate(self) -> f64 {
        match self {
            DataSet::OnePercentErrors => 0.01,
            DataSet::Valid | DataSet::Links => 0.0,
        }
    }

    /// The file name without extension.
    pub fn stem(self, rows: u64) -> String {
        match self {
            DataSet::OnePercentErrors => format!("contacts_{rows}"),
            DataSet::Valid => format!("contacts_{rows}_valid"),
            DataSet::Links => format!("links_{rows}_inline"),
        }
    }
}

/// A ratio of two cases' times that must stay at or under a bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioBar {
    pub numerator: Case,
    pub denominator: Case,
    /// The largest acceptable ratio.
    pub at_most: f64,
}

/// Cases measured together, and the one the ratios are taken against.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The subcommand that runs it.
    pub name: &'static str,
    /// In the order they run in the first round.
    pub cases: Vec<Case>,
    /// The denominator of the ratios.
    pub reference: Case,
    /// The data file the cases read.
    pub data: DataSet,
    /// Ratios reported with a bar, besides each case's ratio to the reference.
    pub ratios: Vec<RatioBar>,
    /// The peak RSS in MB that intake's cases must stay under, if any.
    pub intake_rss_bar_mb: Option<f64>,
    /// `--rows` when it is not given.
    pub default_rows: u64,
}

impl Suite {
    /// `intake validate` against the bare parse.
    pub fn validate() -> Self {
        Self {
            name: "validate",
            cases: vec![
                Case::CsvCountInProcess,
                Case::CsvCount,
                Case::IntakeValidate,
            ],
            reference: Case::CsvCount,
            data: DataSet::OnePercentErrors,
            ratios: Vec::new(),
            intake_rss_bar_mb: None,
            default_rows: 1_000_000,
        }
    }

    /// `intake import` into an empty database against `sqlite3 .import`, and a re-import of
    /// the same file against its dry run.
    pub fn import() -> Self {
        Self {
            name: "import",
            cases: vec![
                Case::Sqlite3Import,
                Case::IntakeCreate,
                Case::IntakeReimport,
                Case::IntakeValidateImported,
            ],
            reference: Case::Sqlite3Import,
            data: DataSet::Valid,
            ratios: vec![
                RatioBar {
                    numerator: Case::IntakeCreate,
                    denominator: Case::Sqlite3Import,
                    at_most: 1.0,
                },
                RatioBar {
                    numerator: Case::IntakeReimport,
                    denominator: Case::IntakeValidateImported,
                    at_most: 2.0,
                },
            ],
            intake_rss_bar_mb: Some(200.0),
            default_rows: 1_000_000,
        }
    }

    /// `intake import` into an empty PostgreSQL schema against `psql \copy`, and an update
    /// of every row against `INSERT ... ON CONFLICT DO UPDATE` from a COPY-loaded staging
    /// table.
    pub fn postgres() -> Self {
        Self {
            name: "postgres",
            cases: vec![
                Case::PsqlCopy,
                Case::PgIntakeCreate,
                Case::PgUpsertFromStaging,
                Case::PgIntakeUpdate,
            ],
            reference: Case::PsqlCopy,
            data: DataSet::Valid,
            ratios: vec![
                RatioBar {
                    numerator: Case::PgIntakeCreate,
                    denominator: Case::PsqlCopy,
                    at_most: 1.2,
                },
                RatioBar {
                    numerator: Case::PgIntakeUpdate,
                    denominator: Case::PgUpsertFromStaging,
                    at_most: 1.0,
                },
            ],
            intake_rss_bar_mb: Some(200.0),
            default_rows: 1_000_000,
        }
    }

    /// Contacts that create their accounts inline against the same contacts naming their
    /// accounts by UUID, in the `crm` demo: links are resolved in batches, so the inline
    /// import (which also creates the `rows / 10` accounts) stays within 1.5 times the other.
    pub fn links() -> Self {
        Self {
            name: "links",
            cases: vec![Case::IntakeLinksInline, Case::IntakeLinksUuid],
            reference: Case::IntakeLinksUuid,
            data: DataSet::Links,
            ratios: vec![RatioBar {
                numerator: Case::IntakeLinksInline,
                denominator: Case::IntakeLinksUuid,
                at_most: 1.5,
            }],
            intake_rss_bar_mb: Some(200.0),
            default_rows: 100_000,
        }
    }

    fn has(&self, case: Case) -> bool {
        self.cases.contains(&case)
    }
}

/// How to run a suite.
#[derive(Debug, Clone)]
pub struct Options {
    /// Data rows of the generated file.
    pub rows: u64,
    /// Timed rounds.
    pub runs: usize,
    /// Untimed rounds first.
    pub warmup: usize,
    /// Run `cargo build --release` for the binaries first.
    pub build: bool,
    /// Regenerate the data file even when it exists.
    pub regenerate: bool,
    /// The repository root (holds `Cargo.toml` and `target/`).
    pub root: PathBuf,
    /// The `intake` binary to use instead of `target/release/intake` (not built).
    pub intake: Option<PathBuf>,
    /// Extra arguments appended to the `intake` command line (e.g. `--mode create`).
    pub intake_args: Vec<OsString>,
}

impl Options {
    /// The repository root this crate was built in.
    pub fn default_root() -> PathBuf {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        manifest_dir
            .parent()
            .and_then(Path::parent)
            .unwrap_or(manifest_dir)
            .to_path_buf()
    }
}

/// Where everything is.
#[derive(Debug, Clone)]
pub struct Paths {
    pub root: PathBuf,
    pub data_dir: PathBuf,
    pub csv: PathBuf,
    pub manifest: PathBuf,
    pub schema: PathBuf,
    pub workspace: PathBuf,
    pub out_dir: PathBuf,
    pub intake: PathBuf,
    pub csv_count: PathBuf,
    /// The import suite's state.
    pub import_dir: PathBuf,
    /// The reference's database and script.
    pub sqlite_db: PathBuf,
    pub sqlite_script: PathBuf,
    /// The workspace `intake-create` imports into, new for every run.
    pub create_workspace: PathBuf,
    /// The workspace that holds the file, for `intake-reimport` and `intake-validate`.
    pub imported_workspace: PathBuf,
    /// The postgres suite: the second file (every row changed) and the workspace folder.
    pub update_csv: PathBuf,
    pub pg_workspace: PathBuf,
    pub pg_upsert_script: PathBuf,
    /// The links suite: the accounts file (the contacts with their accounts inline are `csv`).
    pub links_accounts_csv: PathBuf,
    /// The links suite's state: the workspaces and the contacts naming accounts by UUID.
    pub links_dir: PathBuf,
    /// The workspace holding the accounts, imported once; copied before each uuid run.
    pub links_accounts_workspace: PathBuf,
    /// `intake export account` of it.
    pub links_accounts_export: PathBuf,
    /// The contacts with their accounts' UUIDs (written from that export).
    pub links_uuid_csv: PathBuf,
    /// The workspace of `intake-links-inline`, new for every run.
    pub links_inline_workspace: PathBuf,
    /// The workspace of `intake-links-uuid`, a copy of the accounts workspace for every run.
    pub links_uuid_workspace: PathBuf,
}

impl Paths {
    /// The layout under `target/` (or `$CARGO_TARGET_DIR`).
    pub fn new(options: &Options, data: DataSet) -> Self {
        let root = options.root.clone();
        let target = target_dir(&root);
        let release = target.join("release");
        let data_dir = target.join("bench-data");
        let stem = data.stem(options.rows);
        let import_dir = data_dir.join("import");
        let links_dir = data_dir.join("links");
        Self {
            csv: data_dir.join(format!("{stem}.csv")),
            manifest: data_dir.join(format!("{stem}.errors.csv")),
            schema: root.join("crates/intake-bench/data/intake.toml"),
            workspace: data_dir.join("workspace"),
            out_dir: data_dir.join("out"),
            intake: options
                .intake
                .clone()
                .unwrap_or_else(|| release.join(exe("intake"))),
            csv_count: release.join(exe("csv-count")),
            sqlite_db: import_dir.join("sqlite3").join("contacts.db"),
            sqlite_script: import_dir.join("sqlite3").join("import.sql"),
            create_workspace: import_dir.join("create"),
            imported_workspace: import_dir.join("imported"),
            update_csv: data_dir.join(format!("{stem}_changed.csv")),
            pg_workspace: import_dir.join("postgres"),
            pg_upsert_script: import_dir.join("postgres-upsert.sql"),
            links_accounts_csv: data_dir.join(format!("links_{}_accounts.csv", options.rows)),
            links_accounts_workspace: links_dir.join("accounts"),
            links_accounts_export: links_dir.join("accounts-export.csv"),
            links_uuid_csv: links_dir.join("contacts-by-uuid.csv"),
            links_inline_workspace: links_dir.join("inline"),
            links_uuid_workspace: links_dir.join("uuid"),
            links_dir,
            import_dir,
            data_dir,
            root,
        }
    }
}

/// `target/` under `root`, or `$CARGO_TARGET_DIR`.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

pub(crate) fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// One timed run of a case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Peak RSS in KiB, for child processes.
    pub max_rss_kib: Option<u64>,
    /// Exit code, for child processes.
    pub exit_code: Option<i32>,
}

impl From<Measurement> for Sample {
    fn from(m: Measurement) -> Self {
        Self {
            seconds: m.seconds,
            max_rss_kib: Some(m.max_rss_kib),
            exit_code: m.exit_code,
        }
    }
}

/// The result of a suite, as printed with `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub suite: String,
    pub rows: u64,
    pub file: String,
    pub file_bytes: u64,
    pub injected_errors: u64,
    pub runs: usize,
    pub reference: String,
    pub cases: Vec<CaseReport>,
    /// Records in intake's `--report` file after the last run (header excluded), if readable.
    pub intake_report_records: Option<u64>,
    /// The suite's ratios with a bar.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ratios: Vec<RatioReport>,
}

/// A ratio of two cases with its bar, on the best times and on the medians.
#[derive(Debug, Clone, Serialize)]
pub struct RatioReport {
    /// `numerator / denominator`.
    pub name: String,
    pub numerator: String,
    pub denominator: String,
    /// Best time over best time.
    pub best: f64,
    /// Median over median.
    pub median: f64,
    /// The largest acceptable ratio.
    pub at_most: f64,
    /// Whether the best ratio is at or under the bar.
    pub within_bar: bool,
}

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    pub case: String,
    pub best_s: f64,
    pub median_s: f64,
    /// Rows per second at the best time.
    pub rows_per_s: f64,
    /// The largest peak RSS over the runs, in MB (10^6 bytes); `null` in-process.
    pub peak_rss_mb: Option<f64>,
    /// Best time over the reference's best time.
    pub ratio: f64,
    /// Median time over the reference's median time.
    pub ratio_median: f64,
    pub samples_s: Vec<f64>,
    pub exit_codes: Vec<Option<i32>>,
    /// The peak RSS this case must stay under, in MB, if the suite sets one for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_bar_mb: Option<f64>,
    /// Whether the peak RSS stayed under it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_within_bar: Option<bool>,
}

/// Runs `suite` as `options` say and returns its report. Progress goes to stderr.
pub fn run(suite: &Suite, options: &Options) -> Result<Report> {
    if options.runs == 0 {
        bail!("--runs must be at least 1");
    }
    if cfg!(debug_assertions) && suite.has(Case::CsvCountInProcess) {
        eprintln!(
            "warning: the harness is a debug build, so the in-process case is slow\nhint: cargo run --release -p intake-bench -- {}",
            suite.name
        );
    }
    let pg_url = if suite.has(Case::PsqlCopy) {
        Some(crate::postgres::url())
    } else {
        None
    };
    let psql = if suite.has(Case::PsqlCopy) {
        Some(crate::postgres::find_psql()?)
    } else {
        None
    };
    if std::env::var_os("INTAKE_DATABASE_URL").is_some() {
        bail!(
            "INTAKE_DATABASE_URL is set, so every intake case would use that database\nhint: unset it; the benchmark uses each workspace's own intake.db"
        );
    }
    // Before anything slow: a missing sqlite3 is said at once.
    let sqlite3 = if suite.has(Case::Sqlite3Import) {
        Some(find_sqlite3()?)
    } else {
        None
    };
    let paths = Paths::new(options, suite.data);
    if options.build {
        build(&paths, options, suite)?;
    }
    check_binaries(&paths, suite)?;
    // The links suite uses the `crm` demo, which intake carries.
    if suite.data != DataSet::Links && !paths.schema.is_file() {
        bail!(
            "the benchmark schema `{}` is missing\nhint: it declares the `contacts` record type of shared/bench/contacts.schema.json",
            paths.schema.display()
        );
    }
    let injected_errors = ensure_data(&paths, options.rows, suite.data, options.regenerate)?;
    reset_out_dir(&paths)?;
    let file_bytes = fs_err::metadata(&paths.csv)?.len();

    let bench = Bench {
        paths: &paths,
        rows: options.rows,
        intake_args: &options.intake_args,
        wrapper: std::env::current_exe().context("cannot find the harness's own executable")?,
        sqlite3,
        pg_url,
        psql,
    };
    bench.setup(suite)?;
    for round in 0..options.warmup {
        eprintln!("warm-up {}/{}", round + 1, options.warmup);
        for &case in &suite.cases {
            bench.prepare(case)?;
            bench.run_case(case)?;
        }
    }
    let n = suite.cases.len();
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); n];
    for round in 0..options.runs {
        for k in 0..n {
            // Rotate the starting case so that no case always follows the same one.
            let idx = (round + k) % n;
            let case = suite.cases[idx];
            bench.prepare(case)?;
            let sample = bench.run_case(case)?;
            eprintln!(
                "run {}/{}: {:<24} {:>8.3} s{}",
                round + 1,
                options.runs,
                case.name(),
                sample.seconds,
                sample
                    .max_rss_kib
                    .map(|k| format!("  {:.1} MB", mb(k)))
                    .unwrap_or_default()
            );
            samples[idx].push(sample);
        }
    }
    let measured: Vec<(Case, Vec<Sample>)> = suite.cases.iter().copied().zip(samples).collect();
    let mut report = summarize(suite, options.rows, &measured)?;
    report.file = paths.csv.display().to_string();
    report.file_bytes = file_bytes;
    report.injected_errors = injected_errors;
    if suite.cases.contains(&Case::IntakeValidate) {
        report.intake_report_records = fs_err::File::open(bench.report_path())
            .ok()
            .and_then(|f| reference::count_records(f).ok());
    }
    Ok(report)
}

/// Best, median, rows/s, peak RSS and ratios of the samples of each case.
pub fn summarize(suite: &Suite, rows: u64, measured: &[(Case, Vec<Sample>)]) -> Result<Report> {
    let times = |samples: &[Sample]| -> Vec<f64> { samples.iter().map(|s| s.seconds).collect() };
    let reference = measured
        .iter()
        .find(|(case, _)| *case == suite.reference)
        .ok_or_else(|| {
            anyhow!(
                "the reference case `{}` was not measured",
                suite.reference.name()
            )
        })?;
    let ref_times = times(&reference.1);
    let (ref_best, ref_median) = match (stats::best(&ref_times), stats::median(&ref_times)) {
        (Some(b), Some(m)) => (b, m),
        _ => bail!("the reference case has no samples"),
    };
    let mut cases = Vec::with_capacity(measured.len());
    let mut summaries: Vec<(Case, f64, f64)> = Vec::with_capacity(measured.len());
    for (case, samples) in measured {
        let t = times(samples);
        let (Some(best), Some(median)) = (stats::best(&t), stats::median(&t)) else {
            bail!("case `{}` has no samples", case.name());
        };
        summaries.push((*case, best, median));
        let peak_rss_mb = samples.iter().filter_map(|s| s.max_rss_kib).max().map(mb);
        let peak_rss_bar_mb = suite.intake_rss_bar_mb.filter(|_| case.is_intake());
        cases.push(CaseReport {
            case: case.name().to_string(),
            best_s: best,
            median_s: median,
            rows_per_s: rows as f64 / best,
            peak_rss_mb,
            ratio: best / ref_best,
            ratio_median: median / ref_median,
            samples_s: t,
            exit_codes: samples.iter().map(|s| s.exit_code).collect(),
            peak_rss_bar_mb,
            peak_rss_within_bar: peak_rss_bar_mb.and_then(|bar| peak_rss_mb.map(|peak| peak < bar)),
        });
    }
    let mut ratios = Vec::with_capacity(suite.ratios.len());
    for bar in &suite.ratios {
        let find = |case: Case| {
            summaries
                .iter()
                .find(|(c, _, _)| *c == case)
                .map(|&(_, best, median)| (best, median))
                .ok_or_else(|| anyhow!("the case `{}` was not measured", case.name()))
        };
        ratios.push(ratio_report(
            bar,
            find(bar.numerator)?,
            find(bar.denominator)?,
        ));
    }
    Ok(Report {
        suite: suite.name.to_string(),
        rows,
        file: String::new(),
        file_bytes: 0,
        injected_errors: 0,
        runs: measured.first().map_or(0, |(_, s)| s.len()),
        reference: suite.reference.name().to_string(),
        cases,
        intake_report_records: None,
        ratios,
    })
}

/// The ratio of two cases' (best, median) times, against its bar.
pub fn ratio_report(bar: &RatioBar, numerator: (f64, f64), denominator: (f64, f64)) -> RatioReport {
    let best = numerator.0 / denominator.0;
    RatioReport {
        name: format!("{} / {}", bar.numerator.name(), bar.denominator.name()),
        numerator: bar.numerator.name().to_string(),
        denominator: bar.denominator.name().to_string(),
        best,
        median: numerator.1 / denominator.1,
        at_most: bar.at_most,
        // A NaN (a zero time) never meets the bar.
        within_bar: best <= bar.at_most,
    }
}

/// The report as a plain-text table.
pub fn render_table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} rows, {:.1} MB, {} injected errors ({}), best of {} and median",
        report.suite,
        group(report.rows),
        report.file_bytes as f64 / 1e6,
        group(report.injected_errors),
        report.file,
        report.runs,
    );
    let _ = writeln!(
        out,
        "{:<24} {:>9} {:>9} {:>11} {:>12} {:>7} {:>8}",
        "case", "best s", "median s", "rows/s", "peak RSS MB", "ratio", "ratio md"
    );
    for c in &report.cases {
        let rss = c
            .peak_rss_mb
            .map_or_else(|| "-".to_string(), |m| format!("{m:.1}"));
        let _ = writeln!(
            out,
            "{:<24} {:>9.3} {:>9.3} {:>11} {:>12} {:>7.2} {:>8.2}",
            c.case,
            c.best_s,
            c.median_s,
            group(c.rows_per_s.round() as u64),
            rss,
            c.ratio,
            c.ratio_median,
        );
    }
    let _ = writeln!(
        out,
        "ratio: best time over the best time of `{}`; ratio md: the same with medians",
        report.reference
    );
    if let Some(n) = report.intake_report_records {
        let _ = writeln!(out, "intake's report has {} records", group(n));
    }
    let rss_bars: Vec<&CaseReport> = report
        .cases
        .iter()
        .filter(|c| c.peak_rss_bar_mb.is_some())
        .collect();
    if !report.ratios.is_empty() || !rss_bars.is_empty() {
        let _ = writeln!(out, "bars (met on the best times; medians alongside):");
    }
    let verdict = |ok: bool| if ok { "ok" } else { "NOT MET" };
    for r in &report.ratios {
        let _ = writeln!(
            out,
            "  {:<40} {:>6.2}  median {:>6.2}  bar <= {:.2}  {}",
            r.name,
            r.best,
            r.median,
            r.at_most,
            verdict(r.within_bar)
        );
    }
    for c in rss_bars {
        let (Some(bar), Some(peak)) = (c.peak_rss_bar_mb, c.peak_rss_mb) else {
            continue;
        };
        let _ = writeln!(
            out,
            "  {:<40} {:>6.1} MB{:>12}  bar < {:.0} MB  {}",
            format!("peak RSS of {}", c.case),
            peak,
            "",
            bar,
            verdict(c.peak_rss_within_bar == Some(true))
        );
    }
    out
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

/// `1234567` -> `1,234,567`.
pub(crate) fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, ch) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

pub(crate) fn cargo(root: &Path, args: &[&str]) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let status = Command::new(&cargo)
        .current_dir(root)
        .args(args)
        .status()
        .with_context(|| format!("could not run `{}`", cargo.to_string_lossy()))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn build(paths: &Paths, options: &Options, suite: &Suite) -> Result<()> {
    if suite.has(Case::CsvCount) {
        eprintln!("building csv-count (release)");
        cargo(
            &paths.root,
            &[
                "build",
                "--release",
                "-p",
                "intake-bench",
                "--bin",
                "csv-count",
            ],
        )?;
    }
    if options.intake.is_none() && suite.cases.iter().any(|c| c.is_intake()) {
        eprintln!("building intake (release)");
        cargo(&paths.root, &["build", "--release", "-p", "intake", "--bin", "intake"]).map_err(
            |e| {
                anyhow!(
                    "could not build the `intake` binary: {e}\nhint: the `intake` crate may not exist yet; \
                     pass --intake PATH to use another build, or --no-build to use `{}` as it is",
                    paths.intake.display()
                )
            },
        )?;
    }
    Ok(())
}

fn check_binaries(paths: &Paths, suite: &Suite) -> Result<()> {
    if suite.has(Case::CsvCount) && !paths.csv_count.is_file() {
        bail!(
            "no csv-count binary at `{}`\nhint: cargo build --release -p intake-bench --bin csv-count",
            paths.csv_count.display()
        );
    }
    if suite.cases.iter().any(|c| c.is_intake()) && !paths.intake.is_file() {
        bail!(
            "no intake binary at `{}`\nhint: cargo build --release -p intake (or pass --intake PATH)",
            paths.intake.display()
        );
    }
    Ok(())
}

/// Generates the data file and its manifest unless both exist; returns the number of
/// injected errors. Files are written under a temporary name and renamed, the CSV last, so an
/// interrupted run never leaves a file that looks complete.
fn ensure_data(paths: &Paths, rows: u64, data: DataSet, regenerate: bool) -> Result<u64> {
    if data == DataSet::Links {
        ensure_links_data(paths, rows, regenerate)?;
        return Ok(0);
    }
    if !regenerate && paths.csv.is_file() && paths.manifest.is_file() {
        let errors = generator::read_manifest(fs_err::File::open(&paths.manifest)?)?;
        return Ok(errors.len() as u64);
    }
    fs_err::create_dir_all(&paths.data_dir)?;
    let options = generator::Options {
        rows,
        error_rate: data.error_rate(),
        ..generator::Options::default()
    };
    eprintln!(
        "generating {} rows into `{}`",
        group(rows),
        paths.csv.display()
    );
    let start = Instant::now();
    let csv_tmp = paths.csv.with_extension("csv.tmp");
    let manifest_tmp = paths.manifest.with_extension("csv.tmp");
    let errors = generator::write_csv(&options, fs_err::File::create(&csv_tmp)?)?;
    generator::write_manifest(&errors, fs_err::File::create(&manifest_tmp)?)?;
    fs_err::rename(&manifest_tmp, &paths.manifest)?;
    fs_err::rename(&csv_tmp, &paths.csv)?;
    eprintln!(
        "generated in {:.2} s, {} injected errors listed in `{}`",
        start.elapsed().as_secs_f64(),
        group(errors.len() as u64),
        paths.manifest.display()
    );
    Ok(errors.len() as u64)
}

/// Generates the links suite's accounts file and its contacts with their accounts inline,
/// unless both exist; each under a temporary name and renamed, the contacts last.
fn ensure_links_data(paths: &Paths, rows: u64, regenerate: bool) -> Result<()> {
    if !regenerate && paths.csv.is_file() && paths.links_accounts_csv.is_file() {
        return Ok(());
    }
    fs_err::create_dir_all(&paths.data_dir)?;
    eprintln!(
        "generating {} contacts of {} accounts into `{}` and `{}`",
        group(rows),
        group(links::account_count(rows)),
        paths.csv.display(),
        paths.links_accounts_csv.display()
    );
    let start = Instant::now();
    let accounts_tmp = paths.links_accounts_csv.with_extension("csv.tmp");
    let contacts_tmp = paths.csv.with_extension("csv.tmp");
    // The CSV writer buffers.
    links::write_accounts(rows, fs_err::File::create(&accounts_tmp)?)?;
    links::write_contacts(rows, None, fs_err::File::create(&contacts_tmp)?)?;
    fs_err::rename(&accounts_tmp, &paths.links_accounts_csv)?;
    fs_err::rename(&contacts_tmp, &paths.csv)?;
    eprintln!("generated in {:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}

/// A fresh workspace at `dir` holding only the benchmark schema (no database yet).
fn new_workspace(paths: &Paths, dir: &Path) -> Result<()> {
    if dir.exists() {
        fs_err::remove_dir_all(dir)?;
    }
    fs_err::create_dir_all(dir)?;
    fs_err::copy(&paths.schema, dir.join("intake.toml"))?;
    Ok(())
}

/// Replaces `to` with a copy of the folder `from` (files and folders; a closed SQLite
/// database with any WAL file beside it copies whole).
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        fs_err::remove_dir_all(to)?;
    }
    fs_err::create_dir_all(to)?;
    for entry in fs_err::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs_err::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// An empty output folder (so a report left by an earlier run is never taken for this run's).
fn reset_out_dir(paths: &Paths) -> Result<()> {
    if paths.out_dir.exists() {
        fs_err::remove_dir_all(&paths.out_dir)?;
    }
    fs_err::create_dir_all(&paths.out_dir)?;
    Ok(())
}

/// Removes a SQLite database and its WAL and shared-memory files, where they exist.
fn remove_database(db: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        if path.exists() {
            fs_err::remove_file(&path)?;
        }
    }
    Ok(())
}

/// The counts in intake's `--json` output (`import` and `validate` alike).
#[derive(Debug, Clone, Deserialize)]
pub struct IntakeCounts {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
    /// `import` only: whether the import was written.
    #[serde(default)]
    pub committed: Option<bool>,
    #[serde(default)]
    pub problems: Vec<serde_json::Value>,
    /// Linked records created inline, by record type.
    #[serde(default)]
    pub linked_created: BTreeMap<String, u64>,
}

impl IntakeCounts {
    /// The linked records created, without the types of which none were.
    fn linked(&self) -> BTreeMap<&str, u64> {
        self.linked_created
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(t, n)| (t.as_str(), *n))
            .collect()
    }
}

/// What an intake run must have done with every row of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Every row created (an import into an empty database).
    AllCreated,
    /// Every row unchanged (the file again, matched on e-mail).
    AllUnchanged,
    /// Every row updated (the changed file, matched on e-mail).
    AllUpdated,
    /// Every row created, and `count` records of `record_type` created inline from the rows'
    /// link columns (the other `Expect`s allow no linked record created).
    AllCreatedWithLinked {
        record_type: &'static str,
        count: u64,
    },
}

/// Parses intake's `--json` output and checks it against `expect` for a file of `rows` rows;
/// the error says what intake reported instead.
pub fn check_intake_json(json: &str, rows: u64, expect: Expect) -> Result<IntakeCounts> {
    let counts: IntakeCounts = serde_json::from_str(json.trim()).with_context(|| {
        let start: String = json.chars().take(200).collect();
        format!("intake's --json output is not the expected document: `{start}`")
    })?;
    let (created, unchanged, updated) = match expect {
        Expect::AllCreated | Expect::AllCreatedWithLinked { .. } => (rows, 0, 0),
        Expect::AllUnchanged => (0, rows, 0),
        Expect::AllUpdated => (0, 0, rows),
    };
    let linked: BTreeMap<&str, u64> = match expect {
        Expect::AllCreatedWithLinked { record_type, count } if count > 0 => {
            BTreeMap::from([(record_type, count)])
        }
        _ => BTreeMap::new(),
    };
    let ok = counts.rows == rows
        && counts.created == created
        && counts.unchanged == unchanged
        && counts.updated == updated
        && counts.linked() == linked
        && counts.failed == 0
        && counts.problems.is_empty()
        && counts.committed != Some(false);
    if !ok {
        bail!(
            "expected {} rows: {} created, {} updated, {} unchanged{}, 0 failed, no problems; intake reported {} rows: {} created, {} updated, {} unchanged{}, {} failed, {} problems{}",
            group(rows),
            group(created),
            group(updated),
            group(unchanged),
            linked_text(&linked),
            group(counts.rows),
            group(counts.created),
            group(counts.updated),
            group(counts.unchanged),
            linked_text(&counts.linked()),
            group(counts.failed),
            group(counts.problems.len() as u64),
            if counts.committed == Some(false) {
                ", nothing written"
            } else {
                ""
            }
        );
    }
    Ok(counts)
}

/// `, 1,000 linked `account` created` for each type with records created inline.
fn linked_text(linked: &BTreeMap<&str, u64>) -> String {
    linked
        .iter()
        .map(|(t, n)| format!(", {} linked `{t}` created", group(*n)))
        .collect()
}

/// Runs a command untimed and returns its stdout; fails with its stderr unless it exits 0.
fn run_untimed(program: &Path, args: &[OsString]) -> Result<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("could not run `{}`", program.display()))?;
    if !output.status.success() {
        bail!(
            "`{} {}` failed ({}): {}",
            program.display(),
            args.iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            describe_exit(output.status.code()),
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The `sqlite3` shell, checked to be new enough for `.import --skip`.
fn find_sqlite3() -> Result<PathBuf> {
    let Some(path) = sqlite3::find() else {
        bail!(
            "the import suite needs the `sqlite3` command-line shell, and there is none on PATH\nhint: install it: the Debian and Ubuntu package `sqlite3` (`apt-get install sqlite3`), or `brew install sqlite` on macOS"
        );
    };
    let text = run_untimed(&path, &["--version".into()])?;
    let (a, b, c) = sqlite3::MIN_VERSION;
    match sqlite3::parse_version(&text) {
        Some(v) if v >= sqlite3::MIN_VERSION => Ok(path),
        Some((x, y, z)) => bail!(
            "`{}` is sqlite3 {x}.{y}.{z}; the import suite needs {a}.{b}.{c} or newer (`.import --skip`)\nhint: install a newer sqlite3",
            path.display()
        ),
        None => bail!(
            "`{} --version` printed `{}`, not a version",
            path.display(),
            text.trim()
        ),
    }
}

/// Runs the cases.
struct Bench<'a> {
    paths: &'a Paths,
    rows: u64,
    intake_args: &'a [OsString],
    wrapper: PathBuf,
    /// The `sqlite3` shell, when the suite has the sqlite3 case.
    sqlite3: Option<PathBuf>,
    /// The PostgreSQL server and `psql`, for the postgres suite.
    pg_url: Option<String>,
    psql: Option<PathBuf>,
}

impl Bench<'_> {
    fn report_path(&self) -> PathBuf {
        self.paths.out_dir.join("report.csv")
    }

    fn child(
        &self,
        case: Case,
        program: &Path,
        args: &[OsString],
    ) -> Result<(Sample, PathBuf, PathBuf)> {
        self.child_with_stdin(case, program, args, None)
    }

    fn child_with_stdin(
        &self,
        case: Case,
        program: &Path,
        args: &[OsString],
        stdin: Option<&Path>,
    ) -> Result<(Sample, PathBuf, PathBuf)> {
        let stem = case.name().replace([' ', '(', ')'], "");
        let stdout = self.paths.out_dir.join(format!("{stem}.stdout"));
        let stderr = self.paths.out_dir.join(format!("{stem}.stderr"));
        let m = measure::measure_child(&self.wrapper, program, args, stdin, &stdout, &stderr)?;
        Ok((m.into(), stdout, stderr))
    }

    /// What the suite's cases need once, before the first round, untimed.
    fn setup(&self, suite: &Suite) -> Result<()> {
        let paths = self.paths;
        if suite.has(Case::IntakeValidate) {
            new_workspace(paths, &paths.workspace)?;
        }
        if suite.has(Case::Sqlite3Import) {
            let dir = paths.sqlite_db.parent().unwrap_or(&paths.import_dir);
            fs_err::create_dir_all(dir)?;
            fs_err::write(&paths.sqlite_script, sqlite3::script(&paths.csv)?)?;
            self.check_reference_table()?;
        }
        if suite.has(Case::PsqlCopy) {
            new_workspace(paths, &paths.pg_workspace)?;
            eprintln!(
                "writing `{}`: every row of the file with its notes changed",
                paths.update_csv.display()
            );
            crate::postgres::write_changed(&paths.csv, &paths.update_csv)?;
            // The reference's table: the columns of the table intake creates, fields only.
            self.pg_reset(crate::postgres::MODEL_SCHEMA)?;
            run_untimed(
                &paths.intake,
                &self.pg_intake(crate::postgres::MODEL_SCHEMA, &["imports", "list"]),
            )?;
            fs_err::write(
                &paths.pg_upsert_script,
                crate::postgres::upsert_script(&paths.update_csv)?,
            )?;
        }
        if suite.has(Case::IntakeReimport) || suite.has(Case::IntakeValidateImported) {
            let ws = &paths.imported_workspace;
            eprintln!(
                "importing `{}` into `{}` (untimed, once)",
                paths.csv.display(),
                ws.display()
            );
            self.init_intake_workspace(ws)?;
            let out = run_untimed(&paths.intake, &self.intake_command(ws, "import", false))?;
            check_intake_json(&out, self.rows, Expect::AllCreated)
                .context("the untimed import that fills the workspace")?;
        }
        if suite.data == DataSet::Links {
            self.links_setup()?;
        }
        Ok(())
    }

    /// The links suite's one-off state: the accounts imported into a new `crm` workspace,
    /// exported to learn their UUIDs, and the contacts file naming them by UUID.
    fn links_setup(&self) -> Result<()> {
        let paths = self.paths;
        let accounts = links::account_count(self.rows);
        let ws = &paths.links_accounts_workspace;
        eprintln!(
            "importing the {} accounts of `{}` into `{}` (untimed, once)",
            group(accounts),
            paths.links_accounts_csv.display(),
            ws.display()
        );
        fs_err::create_dir_all(&paths.links_dir)?;
        self.init_crm_workspace(ws)?;
        let out = run_untimed(
            &paths.intake,
            &self.links_import(ws, "account", &paths.links_accounts_csv),
        )?;
        check_intake_json(&out, accounts, Expect::AllCreated)
            .context("the untimed import of the accounts")?;
        run_untimed(
            &paths.intake,
            &[
                "--workspace".into(),
                ws.into(),
                "export".into(),
                "account".into(),
                "-o".into(),
                paths.links_accounts_export.clone().into(),
            ],
        )?;
        let uuids = links::read_export_uuids(fs_err::File::open(&paths.links_accounts_export)?)
            .with_context(|| format!("reading `{}`", paths.links_accounts_export.display()))?;
        if uuids.len() as u64 != accounts {
            bail!(
                "`intake export account` wrote {} accounts, {} were imported",
                group(uuids.len() as u64),
                group(accounts)
            );
        }
        eprintln!(
            "writing `{}`: the contacts with their accounts' UUIDs",
            paths.links_uuid_csv.display()
        );
        let tmp = paths.links_uuid_csv.with_extension("csv.tmp");
        links::write_contacts(self.rows, Some(&uuids), fs_err::File::create(&tmp)?)?;
        fs_err::rename(&tmp, &paths.links_uuid_csv)?;
        Ok(())
    }

    /// A new workspace at `dir` with the `crm` demo schema and its (empty) database:
    /// `intake init --demo crm DIR`.
    fn init_crm_workspace(&self, dir: &Path) -> Result<()> {
        if dir.exists() {
            fs_err::remove_dir_all(dir)?;
        }
        run_untimed(
            &self.paths.intake,
            &["init".into(), "--demo".into(), "crm".into(), dir.into()],
        )?;
        if !dir.join("intake.db").is_file() {
            bail!(
                "`intake init --demo crm {}` created no intake.db",
                dir.display()
            );
        }
        Ok(())
    }

    /// `intake --workspace DIR import TYPE FILE --json`, and the `--intake-arg`s.
    fn links_import(&self, workspace: &Path, record_type: &str, file: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "--workspace".into(),
            workspace.into(),
            "import".into(),
            record_type.into(),
            file.into(),
            "--json".into(),
        ];
        args.extend(self.intake_args.iter().cloned());
        args
    }

    /// Fails unless every contact in `workspace` has an account (checked untimed with
    /// `intake export contact --filter 'account is empty'`), so that a link column read as
    /// nothing cannot pass for a fast import.
    fn check_every_contact_linked(&self, case: Case, workspace: &Path) -> Result<()> {
        let out = run_untimed(
            &self.paths.intake,
            &[
                "--workspace".into(),
                workspace.into(),
                "export".into(),
                "contact".into(),
                "--filter".into(),
                "account is empty".into(),
            ],
        )?;
        let n = reference::count_records(out.as_bytes())?;
        if n != 0 {
            bail!(
                "{}: {} contacts have no account after the import",
                case.name(),
                group(n)
            );
        }
        Ok(())
    }

    /// A new workspace at `dir` with the benchmark schema and its (empty) database, created by
    /// `intake imports list`, which opens the store.
    fn init_intake_workspace(&self, dir: &Path) -> Result<()> {
        new_workspace(self.paths, dir)?;
        run_untimed(
            &self.paths.intake,
            &[
                "--workspace".into(),
                dir.into(),
                "imports".into(),
                "list".into(),
            ],
        )?;
        if !dir.join("intake.db").is_file() {
            bail!(
                "`intake --workspace {} imports list` created no intake.db",
                dir.display()
            );
        }
        Ok(())
    }

    /// Fails when the reference's table no longer matches the one intake creates for
    /// `contacts` (column types, unique indexes).
    fn check_reference_table(&self) -> Result<()> {
        let ws = &self.paths.create_workspace;
        self.init_intake_workspace(ws)?;
        let db: OsString = ws.join("intake.db").into();
        let sqlite3 = self.sqlite3_path()?;
        let columns = run_untimed(
            sqlite3,
            &[
                db.clone(),
                format!(
                    "SELECT name || '|' || type FROM pragma_table_info('{}');",
                    sqlite3::TABLE
                )
                .into(),
            ],
        )?;
        let columns: Vec<(String, String)> = columns
            .lines()
            .filter_map(|l| l.split_once('|'))
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let indexes = run_untimed(
            sqlite3,
            &[
                db,
                format!(
                    "SELECT replace(replace(sql, char(10), ' '), char(13), ' ') FROM sqlite_master \
                     WHERE type = 'index' AND tbl_name = '{}' AND sql IS NOT NULL;",
                    sqlite3::TABLE
                )
                .into(),
            ],
        )?;
        let indexes: Vec<String> = indexes.lines().map(str::to_string).collect();
        sqlite3::compare_with_intake(&columns, &indexes).map_err(|e| {
            anyhow!(
                "the sqlite3 reference no longer matches the table intake creates:\n{e}\nhint: update COLUMNS and INDEXES in crates/intake-bench/src/sqlite3.rs"
            )
        })
    }

    fn psql_args(&self, extra: &[OsString]) -> Result<(PathBuf, Vec<OsString>)> {
        let psql = self
            .psql
            .clone()
            .ok_or_else(|| anyhow!("psql was not looked for"))?;
        let url = self
            .pg_url
            .clone()
            .ok_or_else(|| anyhow!("no PostgreSQL URL"))?;
        let mut args: Vec<OsString> = vec![
            "-X".into(),
            "-q".into(),
            "-v".into(),
            "ON_ERROR_STOP=1".into(),
            "-d".into(),
            url.into(),
        ];
        args.extend(extra.iter().cloned());
        Ok((psql, args))
    }

    /// Runs SQL with psql, untimed.
    fn psql(&self, sql: &str) -> Result<String> {
        let (psql, args) = self.psql_args(&["-Atc".into(), sql.into()])?;
        run_untimed(&psql, &args)
    }

    /// Drops a schema of the postgres suite.
    fn pg_reset(&self, schema: &str) -> Result<()> {
        self.psql(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .map(|_| ())
    }

    /// `intake --database URL?schema=SCHEMA --workspace DIR ARGS...`
    fn pg_intake(&self, schema: &str, args: &[&str]) -> Vec<OsString> {
        let url = self.pg_url.clone().unwrap_or_default();
        let sep = if url.contains('?') { '&' } else { '?' };
        let mut out: Vec<OsString> = vec![
            "--database".into(),
            format!("{url}{sep}schema={schema}").into(),
            "--workspace".into(),
            self.paths.pg_workspace.clone().into(),
        ];
        out.extend(args.iter().map(OsString::from));
        out.extend(self.intake_args.iter().cloned());
        out
    }

    /// The reference table: intake's field columns, the unique indexes, no rows.
    fn pg_reference_table(&self, schema: &str) -> Result<()> {
        self.pg_reset(schema)?;
        let columns = self.psql(&crate::postgres::model_columns_sql())?;
        self.psql(&crate::postgres::create_table_sql(schema, columns.trim()))?;
        Ok(())
    }

    fn sqlite3_path(&self) -> Result<&Path> {
        self.sqlite3
            .as_deref()
            .ok_or_else(|| anyhow!("sqlite3 was not looked for"))
    }

    /// `intake --workspace DIR import|validate contacts FILE [--match-on email] --json`, and
    /// the `--intake-arg`s.
    fn intake_command(&self, workspace: &Path, command: &str, match_on: bool) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "--workspace".into(),
            workspace.into(),
            command.into(),
            "contacts".into(),
            self.paths.csv.clone().into(),
        ];
        if match_on {
            args.extend(["--match-on".into(), "email".into()]);
        }
        args.push("--json".into());
        args.extend(self.intake_args.iter().cloned());
        args
    }

    /// The state a case starts from, prepared untimed before each of its runs. A case of the
    /// postgres suite starts after a `CHECKPOINT`, so that no case pays for writing out what
    /// the one before it (or its own preparation) left in the server's buffers.
    fn prepare(&self, case: Case) -> Result<()> {
        self.prepare_state(case)?;
        if matches!(
            case,
            Case::PsqlCopy
                | Case::PgIntakeCreate
                | Case::PgUpsertFromStaging
                | Case::PgIntakeUpdate
        ) {
            self.psql("CHECKPOINT")?;
        }
        Ok(())
    }

    fn prepare_state(&self, case: Case) -> Result<()> {
        match case {
            Case::IntakeLinksInline => self.init_crm_workspace(&self.paths.links_inline_workspace),
            // A copy of the workspace that holds the accounts, so the UUIDs of the file hold.
            Case::IntakeLinksUuid => copy_dir(
                &self.paths.links_accounts_workspace,
                &self.paths.links_uuid_workspace,
            ),
            Case::Sqlite3Import => remove_database(&self.paths.sqlite_db),
            Case::IntakeCreate => self.init_intake_workspace(&self.paths.create_workspace),
            // `imported/` is the same before every run: the runs that use it change nothing
            // (checked after each).
            Case::IntakeReimport
            | Case::IntakeValidateImported
            | Case::CsvCountInProcess
            | Case::CsvCount
            | Case::IntakeValidate => Ok(()),
            Case::PsqlCopy => self.pg_reference_table(crate::postgres::COPY_SCHEMA),
            Case::PgIntakeCreate => {
                self.pg_reset(crate::postgres::CREATE_SCHEMA)?;
                run_untimed(
                    &self.paths.intake,
                    &self.pg_intake(crate::postgres::CREATE_SCHEMA, &["imports", "list"]),
                )
                .map(|_| ())
            }
            Case::PgUpsertFromStaging => {
                self.pg_reference_table(crate::postgres::UPSERT_SCHEMA)?;
                self.psql(&crate::postgres::copy_command(
                    crate::postgres::UPSERT_SCHEMA,
                    &self.paths.csv,
                )?)
                .map(|_| ())
            }
            Case::PgIntakeUpdate => {
                self.pg_reset(crate::postgres::UPDATE_SCHEMA)?;
                let csv = self.paths.csv.to_string_lossy().into_owned();
                let out = run_untimed(
                    &self.paths.intake,
                    &self.pg_intake(
                        crate::postgres::UPDATE_SCHEMA,
                        &["import", "contacts", &csv, "--json"],
                    ),
                )?;
                check_intake_json(&out, self.rows, Expect::AllCreated)
                    .context("the untimed import before intake-update-pg")
                    .map(|_| ())
            }
        }
    }

    /// Runs an intake case, which must exit 0 and do `expect` to every row.
    fn run_intake(&self, case: Case, args: &[OsString], expect: Expect) -> Result<Sample> {
        let (sample, stdout, stderr) = self.child(case, &self.paths.intake, args)?;
        if sample.exit_code != Some(0) {
            bail!(
                "{} failed ({}); its stderr:\n{}\nits stdout (start):\n{}",
                case.name(),
                describe_exit(sample.exit_code),
                read_lossy(&stderr).trim_end(),
                read_lossy(&stdout).chars().take(2000).collect::<String>()
            );
        }
        check_intake_json(&read_lossy(&stdout), self.rows, expect)
            .with_context(|| format!("{}: wrong counts", case.name()))?;
        Ok(sample)
    }

    fn run_case(&self, case: Case) -> Result<Sample> {
        let file = &self.paths.csv;
        match case {
            Case::CsvCountInProcess => {
                let start = Instant::now();
                let n = reference::count_records(fs_err::File::open(file)?)?;
                let seconds = start.elapsed().as_secs_f64();
                self.check_count(case, n)?;
                Ok(Sample {
                    seconds,
                    max_rss_kib: None,
                    exit_code: None,
                })
            }
            Case::CsvCount => {
                let (sample, stdout, stderr) =
                    self.child(case, &self.paths.csv_count, &[file.into()])?;
                if sample.exit_code != Some(0) {
                    bail!(
                        "csv-count failed ({}): {}",
                        describe_exit(sample.exit_code),
                        read_lossy(&stderr).trim_end()
                    );
                }
                let text = read_lossy(&stdout);
                let n = text
                    .trim()
                    .parse()
                    .with_context(|| format!("csv-count printed `{}`, not a count", text.trim()))?;
                self.check_count(case, n)?;
                Ok(sample)
            }
            Case::IntakeValidate => {
                let mut args: Vec<OsString> = vec![
                    "validate".into(),
                    "contacts".into(),
                    file.into(),
                    "--workspace".into(),
                    self.paths.workspace.clone().into(),
                    "--report".into(),
                    self.report_path().into(),
                ];
                args.extend(self.intake_args.iter().cloned());
                let (sample, _, stderr) = self.child(case, &self.paths.intake, &args)?;
                // 1 is expected (the file has problems); 2 is intake failing.
                if !matches!(sample.exit_code, Some(0 | 1)) {
                    bail!(
                        "`{} validate contacts ...` failed ({}); its stderr:\n{}",
                        self.paths.intake.display(),
                        describe_exit(sample.exit_code),
                        read_lossy(&stderr).trim_end()
                    );
                }
                Ok(sample)
            }
            Case::Sqlite3Import => {
                let sqlite3 = self.sqlite3_path()?;
                let db = &self.paths.sqlite_db;
                let (sample, _, stderr) = self.child_with_stdin(
                    case,
                    sqlite3,
                    &[db.into()],
                    Some(&self.paths.sqlite_script),
                )?;
                let errors = read_lossy(&stderr);
                if sample.exit_code != Some(0) || !errors.trim().is_empty() {
                    let first: Vec<&str> = errors.lines().take(10).collect();
                    bail!(
                        "`{} {} < {}` failed ({}); its stderr begins:\n{}",
                        sqlite3.display(),
                        db.display(),
                        self.paths.sqlite_script.display(),
                        describe_exit(sample.exit_code),
                        first.join("\n")
                    );
                }
                let text = run_untimed(
                    sqlite3,
                    &[
                        db.into(),
                        format!("SELECT count(*) FROM \"{}\";", sqlite3::TABLE).into(),
                    ],
                )?;
                let n = text
                    .trim()
                    .parse()
                    .with_context(|| format!("sqlite3 printed `{}`, not a count", text.trim()))?;
                self.check_count(case, n)?;
                Ok(sample)
            }
            Case::IntakeCreate => self.run_intake(
                case,
                &self.intake_command(&self.paths.create_workspace, "import", false),
                Expect::AllCreated,
            ),
            Case::IntakeReimport => self.run_intake(
                case,
                &self.intake_command(&self.paths.imported_workspace, "import", true),
                Expect::AllUnchanged,
            ),
            Case::IntakeValidateImported => self.run_intake(
                case,
                &self.intake_command(&self.paths.imported_workspace, "validate", true),
                Expect::AllUnchanged,
            ),
            Case::PsqlCopy => {
                let (psql, args) = self.psql_args(&[
                    "-c".into(),
                    crate::postgres::copy_command(crate::postgres::COPY_SCHEMA, file)?.into(),
                ])?;
                let (sample, _, stderr) = self.child(case, &psql, &args)?;
                if sample.exit_code != Some(0) {
                    bail!("psql \\copy failed: {}", read_lossy(&stderr).trim_end());
                }
                let n = self.psql(&format!(
                    "SELECT count(*) FROM \"{}\".contacts",
                    crate::postgres::COPY_SCHEMA
                ))?;
                self.check_count(case, n.trim().parse().unwrap_or(0))?;
                Ok(sample)
            }
            Case::PgIntakeCreate => {
                let csv = file.to_string_lossy().into_owned();
                self.run_intake(
                    case,
                    &self.pg_intake(
                        crate::postgres::CREATE_SCHEMA,
                        &["import", "contacts", &csv, "--json"],
                    ),
                    Expect::AllCreated,
                )
            }
            Case::PgUpsertFromStaging => {
                let (psql, args) =
                    self.psql_args(&["-f".into(), self.paths.pg_upsert_script.clone().into()])?;
                let (sample, _, stderr) = self.child(case, &psql, &args)?;
                if sample.exit_code != Some(0) {
                    bail!("psql upsert failed: {}", read_lossy(&stderr).trim_end());
                }
                Ok(sample)
            }
            Case::PgIntakeUpdate => {
                let csv = self.paths.update_csv.to_string_lossy().into_owned();
                self.run_intake(
                    case,
                    &self.pg_intake(
                        crate::postgres::UPDATE_SCHEMA,
                        &["import", "contacts", &csv, "--match-on", "email", "--json"],
                    ),
                    Expect::AllUpdated,
                )
            }
            Case::IntakeLinksInline => {
                let ws = &self.paths.links_inline_workspace;
                let sample = self.run_intake(
                    case,
                    &self.links_import(ws, "contact", file),
                    Expect::AllCreatedWithLinked {
                        record_type: "account",
                        count: links::account_count(self.rows),
                    },
                )?;
                self.check_every_contact_linked(case, ws)?;
                Ok(sample)
            }
            Case::IntakeLinksUuid => {
                let ws = &self.paths.links_uuid_workspace;
                let sample = self.run_intake(
                    case,
                    &self.links_import(ws, "contact", &self.paths.links_uuid_csv),
                    Expect::AllCreated,
                )?;
                self.check_every_contact_linked(case, ws)?;
                Ok(sample)
            }
        }
    }

    fn check_count(&self, case: Case, n: u64) -> Result<()> {
        if n != self.rows {
            bail!(
                "{} counted {n} records in `{}`, expected {}",
                case.name(),
                self.paths.csv.display(),
                self.rows
            );
        }
        Ok(())
    }
}

fn describe_exit(code: Option<i32>) -> String {
    code.map_or_else(
        || "killed by a signal".to_string(),
        |c| format!("exit code {c}"),
    )
}

fn read_lossy(path: &Path) -> String {
    fs_err::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| format!("(cannot read: {e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(seconds: f64, kib: Option<u64>) -> Sample {
        Sample {
            seconds,
            max_rss_kib: kib,
            exit_code: kib.map(|_| 0),
        }
    }

    #[test]
    fn summary_takes_ratios_against_the_reference() {
        let suite = Suite::validate();
        let measured = vec![
            (
                Case::CsvCountInProcess,
                vec![sample(0.5, None), sample(0.4, None), sample(0.6, None)],
            ),
            (
                Case::CsvCount,
                vec![
                    sample(0.5, Some(2000)),
                    sample(0.5, Some(3000)),
                    sample(0.6, Some(2500)),
                ],
            ),
            (
                Case::IntakeValidate,
                vec![
                    sample(1.5, Some(50_000)),
                    sample(1.0, Some(60_000)),
                    sample(2.0, Some(1)),
                ],
            ),
        ];
        let report = summarize(&suite, 1000, &measured).expect("summary");
        let intake = &report.cases[2];
        assert_eq!(intake.case, "intake validate");
        assert_eq!(intake.best_s, 1.0);
        assert_eq!(intake.median_s, 1.5);
        assert_eq!(intake.ratio, 2.0);
        assert_eq!(intake.ratio_median, 3.0);
        assert_eq!(intake.rows_per_s, 1000.0);
        assert_eq!(intake.peak_rss_mb, Some(60_000.0 * 1024.0 / 1e6));
        assert_eq!(report.cases[0].peak_rss_mb, None);
        assert_eq!(report.cases[1].ratio, 1.0);
        assert_eq!(report.runs, 3);
        let table = render_table(&report);
        assert!(table.contains("intake validate"), "{table}");
        assert!(table.contains("ratio"), "{table}");
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["cases"][2]["ratio"], 2.0);
    }

    #[test]
    fn import_suite_reports_its_ratios_and_memory_bars() {
        let suite = Suite::import();
        let measured = vec![
            (
                Case::Sqlite3Import,
                vec![sample(4.0, Some(40_000)), sample(5.0, Some(41_000))],
            ),
            (
                Case::IntakeCreate,
                vec![sample(3.0, Some(150_000)), sample(6.0, Some(120_000))],
            ),
            (
                Case::IntakeReimport,
                vec![sample(5.0, Some(200_000)), sample(4.0, Some(190_000))],
            ),
            (
                Case::IntakeValidateImported,
                vec![sample(1.5, Some(100_000)), sample(2.5, Some(90_000))],
            ),
        ];
        let report = summarize(&suite, 1000, &measured).expect("summary");
        assert_eq!(report.reference, "sqlite3-import");
        let create = &report.ratios[0];
        assert_eq!(create.name, "intake-create / sqlite3-import");
        assert_eq!(create.best, 0.75);
        assert_eq!(create.median, 1.0);
        assert_eq!(create.at_most, 1.0);
        assert!(create.within_bar);
        let reimport = &report.ratios[1];
        assert_eq!(reimport.name, "intake-reimport / intake-validate");
        assert_eq!(reimport.best, 4.0 / 1.5);
        assert_eq!(reimport.median, 4.5 / 2.0);
        assert!(!reimport.within_bar);
        // The memory bar holds intake's cases only: 150,000 KiB is 153.6 MB, 200,000 KiB 204.8 MB.
        assert_eq!(report.cases[0].peak_rss_bar_mb, None);
        assert_eq!(report.cases[1].peak_rss_within_bar, Some(true));
        assert_eq!(report.cases[2].peak_rss_bar_mb, Some(200.0));
        assert_eq!(report.cases[2].peak_rss_within_bar, Some(false));
        let table = render_table(&report);
        assert!(
            table.contains(
                "  intake-create / sqlite3-import             0.75  median   1.00  bar <= 1.00  ok\n"
            ),
            "{table}"
        );
        assert!(
            table.contains(
                "  intake-reimport / intake-validate          2.67  median   2.25  bar <= 2.00  NOT MET\n"
            ),
            "{table}"
        );
        assert!(
            table.contains(
                "  peak RSS of intake-reimport               204.8 MB              bar < 200 MB  NOT MET\n"
            ),
            "{table}"
        );
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["ratios"][0]["best"], 0.75);
        assert_eq!(json["ratios"][1]["within_bar"], false);
        assert_eq!(json["cases"][1]["peak_rss_bar_mb"], 200.0);
        assert!(json["cases"][0].get("peak_rss_bar_mb").is_none());
    }

    #[test]
    fn validate_suite_has_no_bars() {
        let suite = Suite::validate();
        let measured: Vec<(Case, Vec<Sample>)> = suite
            .cases
            .iter()
            .map(|&c| (c, vec![sample(1.0, c.is_child().then_some(1000))]))
            .collect();
        let report = summarize(&suite, 10, &measured).expect("summary");
        assert!(report.ratios.is_empty());
        assert!(!render_table(&report).contains("bar"));
        let json = serde_json::to_value(&report).expect("json");
        assert!(json.get("ratios").is_none());
        assert!(json["cases"][2].get("peak_rss_bar_mb").is_none());
    }

    #[test]
    fn a_ratio_of_a_zero_time_does_not_meet_its_bar() {
        let bar = RatioBar {
            numerator: Case::IntakeCreate,
            denominator: Case::Sqlite3Import,
            at_most: 1.0,
        };
        assert!(!ratio_report(&bar, (0.0, 0.0), (0.0, 0.0)).within_bar);
        assert!(ratio_report(&bar, (1.0, 1.0), (1.0, 2.0)).within_bar);
    }

    const IMPORT_JSON: &str = r#"{
  "import": 1, "committed": true, "rows": 5, "created": 5, "updated": 0, "unchanged": 0,
  "deleted": 0, "deactivated": 0, "skipped": 0, "failed": 0, "problems": [], "warnings": []
}"#;

    const VALIDATE_JSON: &str = r#"{
  "rows": 5, "created": 0, "updated": 0, "unchanged": 5, "deleted": 0, "failed": 0,
  "problems": [], "warnings": [], "judgements": [],
  "detected": {"encoding": "utf-8", "delimiter": ",", "header_row": 1}
}"#;

    #[test]
    fn intake_counts_are_checked() {
        let counts = check_intake_json(IMPORT_JSON, 5, Expect::AllCreated).expect("created");
        assert_eq!(counts.committed, Some(true));
        let counts = check_intake_json(VALIDATE_JSON, 5, Expect::AllUnchanged).expect("dry run");
        assert_eq!(counts.committed, None);

        let err = check_intake_json(IMPORT_JSON, 5, Expect::AllUnchanged).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected 5 rows: 0 created, 0 updated, 5 unchanged, 0 failed, no problems; intake reported 5 rows: 5 created, 0 updated, 0 unchanged, 0 failed, 0 problems"
        );
        assert!(check_intake_json(IMPORT_JSON, 6, Expect::AllCreated).is_err());
        let aborted = IMPORT_JSON
            .replace("\"committed\": true", "\"committed\": false")
            .replace("\"problems\": []", "\"problems\": [{\"code\": \"x\"}]");
        let err = check_intake_json(&aborted, 5, Expect::AllCreated).unwrap_err();
        assert!(
            err.to_string().ends_with("1 problems, nothing written"),
            "{err}"
        );
        let err = check_intake_json("error: no", 5, Expect::AllCreated).unwrap_err();
        assert!(
            err.to_string().contains("not the expected document"),
            "{err}"
        );
    }

    #[test]
    fn linked_records_created_are_checked() {
        let linked = IMPORT_JSON.replace(
            "\"failed\": 0,",
            "\"failed\": 0, \"linked_created\": {\"account\": 2},",
        );
        let two_accounts = Expect::AllCreatedWithLinked {
            record_type: "account",
            count: 2,
        };
        let counts = check_intake_json(&linked, 5, two_accounts).expect("created inline");
        assert_eq!(counts.linked_created.get("account"), Some(&2));
        let err = check_intake_json(&linked, 5, Expect::AllCreated).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected 5 rows: 5 created, 0 updated, 0 unchanged, 0 failed, no problems; intake reported 5 rows: 5 created, 0 updated, 0 unchanged, 2 linked `account` created, 0 failed, 0 problems"
        );
        let three = Expect::AllCreatedWithLinked {
            record_type: "account",
            count: 3,
        };
        assert!(check_intake_json(&linked, 5, three).is_err());
        // None created inline where some should have been.
        let err = check_intake_json(IMPORT_JSON, 5, two_accounts).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("expected 5 rows: 5 created, 0 updated, 0 unchanged, 2 linked `account` created, 0 failed"),
            "{err}"
        );
        // A type with none created counts as none.
        let zero = IMPORT_JSON.replace(
            "\"failed\": 0,",
            "\"failed\": 0, \"linked_created\": {\"account\": 0},",
        );
        assert!(check_intake_json(&zero, 5, Expect::AllCreated).is_ok());
    }

    #[test]
    fn links_suite_holds_inline_within_one_and_a_half_times_uuid() {
        let suite = Suite::links();
        assert_eq!(suite.default_rows, 100_000);
        assert_eq!(suite.reference, Case::IntakeLinksUuid);
        let measured = vec![
            (
                Case::IntakeLinksInline,
                vec![sample(1.4, Some(90_000)), sample(1.6, Some(95_000))],
            ),
            (
                Case::IntakeLinksUuid,
                vec![sample(1.0, Some(80_000)), sample(1.2, Some(85_000))],
            ),
        ];
        let report = summarize(&suite, 100_000, &measured).expect("summary");
        let r = &report.ratios[0];
        assert_eq!(r.name, "intake-links-inline / intake-links-uuid");
        assert_eq!(r.at_most, 1.5);
        assert!(r.within_bar);
        assert_eq!(report.cases[0].peak_rss_within_bar, Some(true));
        assert_eq!(report.cases[1].ratio, 1.0);
        let slow = vec![
            (Case::IntakeLinksInline, vec![sample(1.6, Some(90_000))]),
            (Case::IntakeLinksUuid, vec![sample(1.0, Some(80_000))]),
        ];
        let report = summarize(&suite, 100_000, &slow).expect("summary");
        assert!(!report.ratios[0].within_bar);
    }

    #[test]
    fn data_sets_have_their_own_files() {
        let options = Options {
            rows: 20_000,
            runs: 1,
            warmup: 0,
            build: false,
            regenerate: false,
            root: PathBuf::from("/repo"),
            intake: None,
            intake_args: Vec::new(),
        };
        let errors = Paths::new(&options, DataSet::OnePercentErrors);
        let valid = Paths::new(&options, DataSet::Valid);
        assert!(errors.csv.ends_with("bench-data/contacts_20000.csv"));
        assert!(valid.csv.ends_with("bench-data/contacts_20000_valid.csv"));
        assert!(valid.manifest.ends_with("contacts_20000_valid.errors.csv"));
        assert_eq!(DataSet::Valid.error_rate(), 0.0);
        assert_eq!(DataSet::OnePercentErrors.error_rate(), 0.01);
        assert!(valid.sqlite_db.starts_with(&valid.import_dir));
        assert_ne!(valid.create_workspace, valid.imported_workspace);
        let links = Paths::new(&options, DataSet::Links);
        assert!(links.csv.ends_with("bench-data/links_20000_inline.csv"));
        assert!(
            links
                .links_accounts_csv
                .ends_with("bench-data/links_20000_accounts.csv")
        );
        assert!(links.links_uuid_csv.starts_with(&links.links_dir));
        assert_ne!(links.links_inline_workspace, links.links_uuid_workspace);
        assert_eq!(DataSet::Links.error_rate(), 0.0);
    }

    #[test]
    fn thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1_234_567), "1,234,567");
    }

    #[test]
    fn default_root_holds_the_workspace_manifest() {
        assert!(Options::default_root().join("Cargo.toml").is_file());
    }
}
