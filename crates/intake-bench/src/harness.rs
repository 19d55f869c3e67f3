//! Suites of benchmark cases, timed side by side in the same run: alternating, best-of-N and
//! median, peak RSS of every child process, ratios against a reference case.
//!
//! ```text
//! cargo run --release -p intake-bench -- validate [--rows 1000000] [--runs 3] [--warmup 1]
//!     [--json] [--no-build] [--regenerate] [--intake PATH] [--intake-arg ARG]... [--root DIR]
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
//! Adding a case (say `sqlite3 .import` or `psql \copy` beside `intake import`): a [`Case`]
//! variant, its name, its arm in `Bench::run_case` (and its build or availability check), and
//! a [`Suite`] that lists it with its reference.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;

use crate::generator;
use crate::measure::{self, Measurement};
use crate::reference;
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
}

impl Case {
    /// The name shown in the table and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Case::CsvCountInProcess => "csv-count (in-process)",
            Case::CsvCount => "csv-count",
            Case::IntakeValidate => "intake validate",
        }
    }

    /// Whether the case runs as a child process (and so has a peak RSS of its own).
    pub fn is_child(self) -> bool {
        !matches!(self, Case::CsvCountInProcess)
    }
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
        }
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
}

impl Paths {
    /// The layout under `target/` (or `$CARGO_TARGET_DIR`).
    pub fn new(options: &Options) -> Self {
        let root = options.root.clone();
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => root.join(dir),
            None => root.join("target"),
        };
        let release = target.join("release");
        let data_dir = target.join("bench-data");
        let rows = options.rows;
        Self {
            csv: data_dir.join(format!("contacts_{rows}.csv")),
            manifest: data_dir.join(format!("contacts_{rows}.errors.csv")),
            schema: root.join("crates/intake-bench/data/intake.toml"),
            workspace: data_dir.join("workspace"),
            out_dir: data_dir.join("out"),
            intake: options
                .intake
                .clone()
                .unwrap_or_else(|| release.join(exe("intake"))),
            csv_count: release.join(exe("csv-count")),
            data_dir,
            root,
        }
    }
}

fn exe(name: &str) -> String {
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
}

/// Runs `suite` as `options` say and returns its report. Progress goes to stderr.
pub fn run(suite: &Suite, options: &Options) -> Result<Report> {
    if options.runs == 0 {
        bail!("--runs must be at least 1");
    }
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: the harness is a debug build, so the in-process case is slow\nhint: cargo run --release -p intake-bench -- {}",
            suite.name
        );
    }
    let paths = Paths::new(options);
    if options.build {
        build(&paths, options)?;
    }
    check_binaries(&paths)?;
    if !paths.schema.is_file() {
        bail!(
            "the benchmark schema `{}` is missing\nhint: it declares the `contacts` record type of shared/bench/contacts.schema.json",
            paths.schema.display()
        );
    }
    let injected_errors = ensure_data(&paths, options.rows, options.regenerate)?;
    setup_workspace(&paths)?;
    let file_bytes = fs_err::metadata(&paths.csv)?.len();

    let bench = Bench {
        paths: &paths,
        rows: options.rows,
        intake_args: &options.intake_args,
        wrapper: std::env::current_exe().context("cannot find the harness's own executable")?,
    };
    for round in 0..options.warmup {
        eprintln!("warm-up {}/{}", round + 1, options.warmup);
        for &case in &suite.cases {
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
    for (case, samples) in measured {
        let t = times(samples);
        let (Some(best), Some(median)) = (stats::best(&t), stats::median(&t)) else {
            bail!("case `{}` has no samples", case.name());
        };
        cases.push(CaseReport {
            case: case.name().to_string(),
            best_s: best,
            median_s: median,
            rows_per_s: rows as f64 / best,
            peak_rss_mb: samples.iter().filter_map(|s| s.max_rss_kib).max().map(mb),
            ratio: best / ref_best,
            ratio_median: median / ref_median,
            samples_s: t,
            exit_codes: samples.iter().map(|s| s.exit_code).collect(),
        });
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
    })
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
    out
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

/// `1234567` -> `1,234,567`.
fn group(n: u64) -> String {
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

fn cargo(root: &Path, args: &[&str]) -> Result<()> {
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

fn build(paths: &Paths, options: &Options) -> Result<()> {
    eprintln!("building csv-count and intake (release)");
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
    if options.intake.is_none() {
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

fn check_binaries(paths: &Paths) -> Result<()> {
    if !paths.csv_count.is_file() {
        bail!(
            "no csv-count binary at `{}`\nhint: cargo build --release -p intake-bench --bin csv-count",
            paths.csv_count.display()
        );
    }
    if !paths.intake.is_file() {
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
fn ensure_data(paths: &Paths, rows: u64, regenerate: bool) -> Result<u64> {
    if !regenerate && paths.csv.is_file() && paths.manifest.is_file() {
        let errors = generator::read_manifest(fs_err::File::open(&paths.manifest)?)?;
        return Ok(errors.len() as u64);
    }
    fs_err::create_dir_all(&paths.data_dir)?;
    let options = generator::Options {
        rows,
        error_rate: 0.01,
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

/// A fresh workspace holding only the benchmark schema, and an empty output folder (so a
/// report left by an earlier run is never taken for this run's).
fn setup_workspace(paths: &Paths) -> Result<()> {
    if paths.workspace.exists() {
        fs_err::remove_dir_all(&paths.workspace)?;
    }
    fs_err::create_dir_all(&paths.workspace)?;
    fs_err::copy(&paths.schema, paths.workspace.join("intake.toml"))?;
    if paths.out_dir.exists() {
        fs_err::remove_dir_all(&paths.out_dir)?;
    }
    fs_err::create_dir_all(&paths.out_dir)?;
    Ok(())
}

/// Runs the cases.
struct Bench<'a> {
    paths: &'a Paths,
    rows: u64,
    intake_args: &'a [OsString],
    wrapper: PathBuf,
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
        let stem = case.name().replace([' ', '(', ')'], "");
        let stdout = self.paths.out_dir.join(format!("{stem}.stdout"));
        let stderr = self.paths.out_dir.join(format!("{stem}.stderr"));
        let m = measure::measure_child(&self.wrapper, program, args, &stdout, &stderr)?;
        Ok((m.into(), stdout, stderr))
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
