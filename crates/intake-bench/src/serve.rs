//! The `serve` suite: `intake serve` and `intake worker` under load, on loopback.
//!
//! ```text
//! cargo run --release -p intake-bench -- serve [--uploads 20] [--upload-mb 50] [--imports 50]
//!     [--import-rows 2000] [--no-postgres] [--json] [--no-build] [--regenerate] [--intake PATH] [--root DIR]
//! ```
//!
//! Two parts, each checked before its figures are reported:
//!
//! 1. **Concurrent uploads.** `intake serve` on a new workspace (`target/bench-data/serve/uploads/`,
//!    SQLite, the `crm` demo), a user with an API token made by `intake users add` and `intake
//!    users token`; then `--uploads` threads send the same `--upload-mb` MB contacts file
//!    (`target/bench-data/serve_upload_<mb>mb.csv`, the contacts generator's rows, generated when
//!    missing) at once as `POST /api/v1/workspaces/{ws}/uploads`. Every answer must be 201 with
//!    the file's size, and every stored file (`.intake/files/uploads/{id}`) that size. The
//!    server's resident memory is read from `/proc/PID/status`: `VmRSS` before, sampled every
//!    20 ms during, and after; `VmHWM` (the process's peak) at the end. Uploads are streamed to
//!    disk, so the peak must stay far below the bytes in flight: the bar is
//!    [`UPLOAD_RSS_BAR_MB`]. The stored uploads are deleted afterwards.
//! 2. **Two workers drain one queue.** A new PostgreSQL database at `INTAKE_BENCH_POSTGRES_URL`
//!    (default [`crate::postgres::DEFAULT_URL`], its database part replaced), dropped at the
//!    end; `intake serve --workers 0 --database ...` on the workspace folder
//!    `target/bench-data/serve/drain/serve_drain/` (so its PostgreSQL schema is `serve_drain`);
//!    `--imports` contacts files of `--import-rows` rows each, every e-mail distinct across all,
//!    each uploaded, made an import of `contact` and submitted (the workspace needs no
//!    approval, so each is queued). Then two `intake worker --workers 1` processes on the same
//!    folder and database start, and the clock runs from their start until the server lists
//!    every import `completed` (polled every 50 ms). Checked afterwards: each import's audit
//!    holds exactly one `completed` entry and its counts say every row was created; the
//!    `contact` table holds imports x rows records; `_intake_imports` holds one row per import,
//!    its `job` values exactly the imports' ids. The audit's `started` entries name the worker
//!    (`attempt 1 by worker PID-...`), which gives the split between the two processes.
//!
//! `--no-postgres` runs the first part alone (the second needs `psql` and a server).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::Value;

use crate::generator::pools::{FIRST_ASCII, LAST_ASCII, TITLES};
use crate::generator::{self, ascii_slug};
use crate::harness::{cargo, exe, group, target_dir};

/// The peak RSS (VmHWM) the server must stay under while taking the uploads, in MB.
pub const UPLOAD_RSS_BAR_MB: f64 = 200.0;

/// The workspace folder of the drain part, hence its workspace and PostgreSQL schema name.
const DRAIN_WORKSPACE: &str = "serve_drain";

/// The header of the drain part's contacts files (labels of the `crm` demo's `contact`).
const DRAIN_COLUMNS: [&str; 5] = ["First Name", "Last Name", "Email", "Phone", "Job Title"];

/// How long the drain may take before the suite gives up.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(900);

/// How to run the suite.
#[derive(Debug, Clone)]
pub struct Options {
    /// Concurrent uploads.
    pub uploads: usize,
    /// Size of the uploaded file, in MB (10^6 bytes).
    pub upload_mb: u64,
    /// Imports queued for the workers.
    pub imports: usize,
    /// Rows of each queued import's file.
    pub import_rows: u64,
    /// Run the drain part (needs PostgreSQL).
    pub postgres: bool,
    /// Run `cargo build --release -p intake --bin intake` first.
    pub build: bool,
    /// Regenerate the upload file even when it exists.
    pub regenerate: bool,
    /// The repository root.
    pub root: PathBuf,
    /// The `intake` binary instead of `target/release/intake` (not built).
    pub intake: Option<PathBuf>,
}

/// The suite's figures, as printed with `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub suite: String,
    pub uploads: UploadReport,
    pub drain: Option<DrainReport>,
}

/// The concurrent uploads.
#[derive(Debug, Clone, Serialize)]
pub struct UploadReport {
    pub uploads: usize,
    pub file_bytes: u64,
    /// From the moment every thread is released to the last answer.
    pub seconds: f64,
    /// Bytes uploaded per second, in MB (10^6 bytes).
    pub mb_per_s: f64,
    /// The slowest and fastest single upload.
    pub slowest_s: f64,
    pub fastest_s: f64,
    /// The server's VmRSS before the uploads, in MB.
    pub rss_before_mb: f64,
    /// The largest VmRSS sampled during the uploads.
    pub rss_during_max_mb: f64,
    /// VmRSS once every upload was answered.
    pub rss_after_mb: f64,
    /// VmHWM (peak RSS over the server's life) at the end.
    pub peak_rss_mb: f64,
    /// VmRSS samples taken during the uploads.
    pub rss_samples: usize,
    pub peak_rss_bar_mb: f64,
    pub peak_rss_within_bar: bool,
}

/// Two workers draining the queue.
#[derive(Debug, Clone, Serialize)]
pub struct DrainReport {
    pub imports: usize,
    pub rows_per_import: u64,
    pub rows: u64,
    /// From the workers' start until every import is listed `completed`.
    pub seconds: f64,
    pub imports_per_s: f64,
    pub rows_per_s: f64,
    /// Imports each worker process ran (by the audit's `started` entries of the runs that
    /// completed), keyed `worker N (pid P)`.
    pub per_worker: BTreeMap<String, u64>,
    /// Runs started over all imports (equals `imports` when none was taken over).
    pub runs_started: u64,
    /// `completed` audit entries over all imports.
    pub completed_entries: u64,
    /// Records in the workspace's `contact` table.
    pub records: u64,
    /// Rows of `_intake_imports`, and their distinct `job` values.
    pub store_imports: u64,
    pub store_distinct_jobs: u64,
    /// Every import completed once, every row stored once, one store import per job.
    pub exactly_once: bool,
    /// The worker processes' peak RSS (VmHWM), in MB.
    pub worker_peak_rss_mb: Vec<f64>,
}

/// Runs the suite. Progress goes to stderr.
pub fn run(options: &Options) -> Result<Report> {
    if !Path::new("/proc/self/status").is_file() {
        bail!(
            "the serve suite reads the server's memory from /proc/PID/status, which this system lacks (Linux only)"
        );
    }
    if options.uploads == 0 || options.imports == 0 || options.import_rows == 0 {
        bail!("--uploads, --imports and --import-rows must be at least 1");
    }
    for var in ["INTAKE_DATABASE_URL", "INTAKE_WORKSPACE", "INTAKE_FILES"] {
        if std::env::var_os(var).is_some() {
            bail!("{var} is set, so every intake process would use it\nhint: unset it");
        }
    }
    let psql = if options.postgres {
        Some(crate::postgres::find_psql()?)
    } else {
        None
    };
    let target = target_dir(&options.root);
    let intake = match &options.intake {
        Some(p) => p.clone(),
        None => {
            if options.build {
                eprintln!("building intake (release)");
                cargo(
                    &options.root,
                    &["build", "--release", "-p", "intake", "--bin", "intake"],
                )?;
            }
            target.join("release").join(exe("intake"))
        }
    };
    if !intake.is_file() {
        bail!(
            "no intake binary at `{}`\nhint: cargo build --release -p intake (or pass --intake PATH)",
            intake.display()
        );
    }
    let data_dir = target.join("bench-data");
    let dir = data_dir.join("serve");
    if dir.exists() {
        fs_err::remove_dir_all(&dir)?;
    }
    fs_err::create_dir_all(dir.join("logs"))?;
    let upload_file = data_dir.join(format!("serve_upload_{}mb.csv", options.upload_mb));
    ensure_upload_file(&upload_file, options.upload_mb, options.regenerate)?;
    let uploads = run_uploads(&intake, &dir, &upload_file, options)?;
    let drain = match &psql {
        Some(psql) => Some(run_drain(&intake, psql, &dir, options)?),
        None => None,
    };
    Ok(Report {
        suite: "serve".into(),
        uploads,
        drain,
    })
}

// ---------------------------------------------------------------------------------------------
// Part 1: concurrent uploads

fn run_uploads(intake: &Path, dir: &Path, file: &Path, options: &Options) -> Result<UploadReport> {
    let ws_dir = dir.join("uploads");
    fs_err::create_dir_all(&ws_dir)?;
    let global = workspace_args(&ws_dir, None);
    let token = make_token(intake, &global)?;
    let mut server = Process::serve(intake, &global, 1, &dir.join("logs"), "serve-uploads")?;
    let api = Api::new(&server.base_url()?, &token);
    let ws = api.workspace()?;
    let pid = server.pid();
    let file_bytes = fs_err::metadata(file)?.len();
    let rss_before = status_kib(pid, "VmRSS")?;

    eprintln!(
        "uploading {} x {:.1} MB at once to {}",
        options.uploads,
        file_bytes as f64 / 1e6,
        api.base
    );
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut max, mut n) = (0u64, 0usize);
            while !stop.load(Ordering::SeqCst) {
                if let Ok(kib) = status_kib(pid, "VmRSS") {
                    max = max.max(kib);
                    n += 1;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            (max, n)
        })
    };
    let barrier = Arc::new(Barrier::new(options.uploads + 1));
    let mut threads = Vec::with_capacity(options.uploads);
    for k in 0..options.uploads {
        let (api, ws, file, barrier) =
            (api.clone(), ws.clone(), file.to_path_buf(), barrier.clone());
        threads.push(std::thread::spawn(move || -> Result<(f64, Value)> {
            barrier.wait();
            let start = Instant::now();
            let body = api.upload(&ws, &format!("contacts-{:02}.csv", k + 1), &file)?;
            Ok((start.elapsed().as_secs_f64(), body))
        }));
    }
    barrier.wait();
    let start = Instant::now();
    let mut answers = Vec::with_capacity(options.uploads);
    for t in threads {
        answers.push(t.join().map_err(|_| anyhow!("an upload thread panicked"))?);
    }
    let seconds = start.elapsed().as_secs_f64();
    let rss_after = status_kib(pid, "VmRSS")?;
    stop.store(true, Ordering::SeqCst);
    let (rss_during, samples) = sampler
        .join()
        .map_err(|_| anyhow!("the memory sampler panicked"))?;
    let peak = status_kib(pid, "VmHWM")?;

    let mut times = Vec::with_capacity(answers.len());
    for answer in answers {
        let (t, body) = answer?;
        let size = body.get("size").and_then(Value::as_u64);
        let id = body
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("an upload's answer has no id: {body}"))?;
        if size != Some(file_bytes) {
            bail!("upload {id} answered size {size:?}, the file has {file_bytes} bytes");
        }
        let stored = ws_dir.join(".intake/files/uploads").join(id);
        let on_disk = fs_err::metadata(&stored)?.len();
        if on_disk != file_bytes {
            bail!(
                "upload {id} is stored with {on_disk} bytes (`{}`), the file has {file_bytes}",
                stored.display()
            );
        }
        times.push(t);
    }
    server.stop();
    // A gigabyte of uploads is of no further use.
    fs_err::remove_dir_all(ws_dir.join(".intake/files/uploads"))?;
    let peak_mb = mb(peak);
    Ok(UploadReport {
        uploads: options.uploads,
        file_bytes,
        seconds,
        mb_per_s: (file_bytes as f64 * options.uploads as f64) / 1e6 / seconds,
        slowest_s: times.iter().copied().fold(0.0, f64::max),
        fastest_s: times.iter().copied().fold(f64::INFINITY, f64::min),
        rss_before_mb: mb(rss_before),
        rss_during_max_mb: mb(rss_during),
        rss_after_mb: mb(rss_after),
        peak_rss_mb: peak_mb,
        rss_samples: samples,
        peak_rss_bar_mb: UPLOAD_RSS_BAR_MB,
        peak_rss_within_bar: peak_mb < UPLOAD_RSS_BAR_MB,
    })
}

/// Writes the contacts generator's rows (no errors, seed 42) to `path` until it holds at
/// least `megabytes` MB, unless it exists.
fn ensure_upload_file(path: &Path, megabytes: u64, regenerate: bool) -> Result<()> {
    if path.is_file() && !regenerate {
        return Ok(());
    }
    eprintln!("generating {} ({megabytes} MB)", path.display());
    let target = megabytes.saturating_mul(1_000_000);
    // As many rows as it takes: the loop stops at the size.
    let mut rows = generator::Generator::new(&generator::Options {
        rows: u64::MAX / 2,
        ..generator::Options::default()
    })?;
    let tmp = path.with_extension("csv.tmp");
    let mut out = std::io::BufWriter::new(fs_err::File::create(&tmp)?);
    let mut buf: Vec<u8> = Vec::with_capacity(2 << 20);
    let mut written = 0u64;
    let mut header = true;
    while written < target {
        // Rows go into `buf` (flushed after each, so its length is exact) until it holds a
        // MiB or the file its size; then `buf` goes to the file.
        {
            let mut w = csv::Writer::from_writer(&mut buf);
            if header {
                w.write_record(generator::COLUMNS)?;
                header = false;
            }
            loop {
                let row = rows
                    .next_row()
                    .ok_or_else(|| anyhow!("the generator ran out of rows"))?;
                w.write_record(row.cells)?;
                w.flush()?;
                let len = w.get_ref().len() as u64;
                if written + len >= target || len >= 1 << 20 {
                    break;
                }
            }
        }
        out.write_all(&buf)?;
        written += buf.len() as u64;
        buf.clear();
    }
    out.flush()?;
    drop(out);
    fs_err::rename(&tmp, path)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Part 2: two workers drain one queue

fn run_drain(intake: &Path, psql: &Path, dir: &Path, options: &Options) -> Result<DrainReport> {
    let base = crate::postgres::url();
    let db_name = format!("intake_bench_serve_{}", std::process::id());
    let db = Database::create(psql, &base, &db_name)?;
    let ws_dir = dir.join("drain").join(DRAIN_WORKSPACE);
    let files = dir.join("drain").join("files");
    fs_err::create_dir_all(&ws_dir)?;
    fs_err::create_dir_all(&files)?;
    let logs = dir.join("logs");
    let global = workspace_args(&ws_dir, Some(&db.url));
    let token = make_token(intake, &global)?;
    let server = Process::serve(intake, &global, 0, &logs, "serve-drain")?;
    let api = Api::new(&server.base_url()?, &token);
    let ws = api.workspace()?;

    eprintln!(
        "queueing {} imports of {} contacts each (PostgreSQL database `{db_name}`)",
        options.imports, options.import_rows
    );
    let mut ids = Vec::with_capacity(options.imports);
    for k in 0..options.imports {
        let path = files.join(format!("contacts-{:03}.csv", k + 1));
        write_drain_contacts(
            k as u64,
            options.import_rows,
            std::io::BufWriter::new(fs_err::File::create(&path)?),
        )?;
        let upload = api.upload(&ws, &format!("contacts-{:03}.csv", k + 1), &path)?;
        let upload_id = str_field(&upload, "id")?;
        let import = api.send_json(
            "POST",
            &format!("/workspaces/{ws}/imports"),
            &serde_json::json!({"upload_id": upload_id, "record_type": "contact"}),
            201,
        )?;
        let id = str_field(&import, "id")?;
        if str_field(&import, "status")? != "ready" {
            bail!("import {id} is not ready to submit: {import}");
        }
        let submitted = api.send_json(
            "POST",
            &format!("/workspaces/{ws}/imports/{id}/submit"),
            &Value::Null,
            200,
        )?;
        if str_field(&submitted, "status")? != "queued" {
            bail!("import {id} was not queued: {submitted}");
        }
        ids.push(id);
    }

    eprintln!("starting two workers");
    let start = Instant::now();
    let mut workers = Vec::new();
    for n in 1..=2 {
        workers.push(Process::worker(
            intake,
            &global,
            &logs,
            &format!("worker-{n}"),
        )?);
    }
    let deadline = start + DRAIN_TIMEOUT;
    loop {
        let completed = api.count(&ws, "completed")?;
        if completed == options.imports as u64 {
            break;
        }
        let failed = api.count(&ws, "failed")?;
        if failed > 0 {
            bail!(
                "{failed} imports failed; see the workers' logs in `{}`",
                logs.display()
            );
        }
        for w in &mut workers {
            w.check_running()?;
        }
        if Instant::now() > deadline {
            bail!(
                "only {completed} of {} imports completed in {} s",
                options.imports,
                DRAIN_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let seconds = start.elapsed().as_secs_f64();
    let mut worker_peak_rss_mb = Vec::new();
    for w in &workers {
        worker_peak_rss_mb.push(mb(status_kib(w.pid(), "VmHWM")?));
    }
    let labels: Vec<(String, String)> = workers
        .iter()
        .enumerate()
        .map(|(k, w)| {
            (
                format!("{}-", w.pid()),
                format!("worker {} (pid {})", k + 1, w.pid()),
            )
        })
        .collect();
    eprintln!(
        "all {} completed in {seconds:.2} s; checking",
        options.imports
    );

    // Exactly once, as the server saw it.
    let mut per_worker: BTreeMap<String, u64> =
        labels.iter().map(|(_, l)| (l.clone(), 0)).collect();
    let (mut runs_started, mut completed_entries) = (0u64, 0u64);
    let mut problems = Vec::new();
    for id in &ids {
        let import = api.get(&format!("/workspaces/{ws}/imports/{id}"))?;
        let created = import
            .pointer("/counts/created")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if created != options.import_rows {
            problems.push(format!(
                "import {id} created {created} records, not {}",
                options.import_rows
            ));
        }
        let audit = api.get(&format!("/workspaces/{ws}/imports/{id}/audit"))?;
        let entries = audit.as_array().cloned().unwrap_or_default();
        let action = |e: &Value| e.get("action").and_then(Value::as_str).map(str::to_string);
        let started: Vec<String> = entries
            .iter()
            .filter(|e| action(e).as_deref() == Some("started"))
            .filter_map(|e| e.get("detail").and_then(Value::as_str).map(str::to_string))
            .collect();
        let completed = entries
            .iter()
            .filter(|e| action(e).as_deref() == Some("completed"))
            .count() as u64;
        runs_started += started.len() as u64;
        completed_entries += completed;
        if completed != 1 {
            problems.push(format!("import {id} completed {completed} times"));
        }
        // The run that completed is the last one started.
        let worker = started
            .last()
            .and_then(|d| d.split("by worker ").nth(1))
            .unwrap_or("");
        let label = labels
            .iter()
            .find(|(prefix, _)| worker.starts_with(prefix.as_str()))
            .map_or_else(|| format!("unknown ({worker})"), |(_, l)| l.clone());
        *per_worker.entry(label).or_default() += 1;
    }
    for mut w in workers {
        w.stop();
    }
    drop(server);

    // Exactly once, as the workspace's database holds it.
    let schema = format!("\"{ws}\"");
    let records = db.count(&format!("SELECT count(*) FROM {schema}.contact"))?;
    let store_imports = db.count(&format!("SELECT count(*) FROM {schema}._intake_imports"))?;
    let store_distinct_jobs = db.count(&format!(
        "SELECT count(DISTINCT job) FROM {schema}._intake_imports"
    ))?;
    let jobs: BTreeSet<String> = db
        .query(&format!(
            "SELECT job FROM {schema}._intake_imports WHERE job IS NOT NULL"
        ))?
        .lines()
        .map(str::to_string)
        .collect();
    let rows = options.import_rows * options.imports as u64;
    if records != rows {
        problems.push(format!(
            "the contact table holds {records} records, not {rows}"
        ));
    }
    if store_imports != options.imports as u64 || store_distinct_jobs != store_imports {
        problems.push(format!(
            "_intake_imports holds {store_imports} rows with {store_distinct_jobs} distinct jobs, not {}",
            options.imports
        ));
    }
    let expected: BTreeSet<String> = ids.iter().cloned().collect();
    if jobs != expected {
        problems.push(format!(
            "the jobs in _intake_imports are not the imports' ids ({} of {} match)",
            jobs.intersection(&expected).count(),
            expected.len()
        ));
    }
    db.drop_now()?;
    for p in &problems {
        eprintln!("exactly-once check failed: {p}");
    }
    Ok(DrainReport {
        imports: options.imports,
        rows_per_import: options.import_rows,
        rows,
        seconds,
        imports_per_s: options.imports as f64 / seconds,
        rows_per_s: rows as f64 / seconds,
        per_worker,
        runs_started,
        completed_entries,
        records,
        store_imports,
        store_distinct_jobs,
        exactly_once: problems.is_empty(),
        worker_peak_rss_mb,
    })
}

/// Writes the drain part's contacts file number `file` (0-based): `rows` contacts of the
/// `crm` demo without an account, their e-mails distinct across every file.
pub fn write_drain_contacts<W: Write>(file: u64, rows: u64, out: W) -> Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(42 + file);
    let mut w = csv::Writer::from_writer(out);
    w.write_record(DRAIN_COLUMNS)?;
    for row in 1..=rows {
        let first = FIRST_ASCII[rng.random_range(0..FIRST_ASCII.len())];
        let last = LAST_ASCII[rng.random_range(0..LAST_ASCII.len())];
        let title = TITLES[rng.random_range(0..TITLES.len())];
        let email = format!(
            "{}.{}.{}.{row}@example.com",
            ascii_slug(first),
            ascii_slug(last),
            file + 1
        );
        // 020 7946 0000 to 0999: London numbers set aside for drama, valid for the GB region.
        let phone = format!("+44 20 7946 0{:03}", rng.random_range(0..1000u32));
        w.write_record([first, last, email.as_str(), phone.as_str(), title])?;
    }
    w.flush()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Processes, HTTP, PostgreSQL

/// `--workspace DIR [--database URL]`.
fn workspace_args(dir: &Path, database: Option<&str>) -> Vec<OsString> {
    let mut args = vec![OsString::from("--workspace"), dir.as_os_str().to_owned()];
    if let Some(url) = database {
        args.push("--database".into());
        args.push(url.into());
    }
    args
}

/// A user `bench`, admin of the workspace, and a new API token of it.
fn make_token(intake: &Path, global: &[OsString]) -> Result<String> {
    let run = |args: &[&str]| -> Result<String> {
        let output = Command::new(intake)
            .args(global)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("could not run `{}`", intake.display()))?;
        if !output.status.success() {
            bail!(
                "`intake {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim_end()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    run(&["users", "add", "bench", "--role", "admin"])?;
    let token = run(&["users", "token", "bench"])?;
    if token.is_empty() {
        bail!("`intake users token bench` printed no token");
    }
    Ok(token)
}

/// An intake process the suite started; stopped (SIGTERM, then killed after 20 s) when
/// dropped.
struct Process {
    name: String,
    child: Child,
    stderr: PathBuf,
    stopped: bool,
}

impl Process {
    fn spawn(intake: &Path, args: &[OsString], logs: &Path, name: &str) -> Result<Self> {
        let stderr = logs.join(format!("{name}.stderr"));
        let child = Command::new(intake)
            .args(args)
            .stdin(Stdio::null())
            .stdout(
                fs_err::File::create(logs.join(format!("{name}.stdout")))?
                    .into_parts()
                    .0,
            )
            .stderr(fs_err::File::create(&stderr)?.into_parts().0)
            .spawn()
            .with_context(|| format!("could not start `{}`", intake.display()))?;
        Ok(Self {
            name: name.to_string(),
            child,
            stderr,
            stopped: false,
        })
    }

    /// `intake serve --addr 127.0.0.1:0 --workers N`, waited for until it listens.
    fn serve(
        intake: &Path,
        global: &[OsString],
        workers: usize,
        logs: &Path,
        name: &str,
    ) -> Result<Self> {
        let mut args = global.to_vec();
        args.extend(
            [
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--workers",
                &workers.to_string(),
            ]
            .map(OsString::from),
        );
        let mut p = Self::spawn(intake, &args, logs, name)?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while p.listening()?.is_none() {
            p.check_running()?;
            if Instant::now() > deadline {
                bail!(
                    "`intake serve` did not listen within 60 s; see `{}`",
                    p.stderr.display()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(p)
    }

    /// `intake worker --workers 1`.
    fn worker(intake: &Path, global: &[OsString], logs: &Path, name: &str) -> Result<Self> {
        let mut args = global.to_vec();
        args.extend(["worker", "--workers", "1"].map(OsString::from));
        Self::spawn(intake, &args, logs, name)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The address from the server's `intake serves workspace ... at http://ADDR` line.
    fn listening(&self) -> Result<Option<String>> {
        let text = fs_err::read_to_string(&self.stderr)?;
        Ok(text
            .split_once(" at http://")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .map(|addr| format!("http://{addr}")))
    }

    fn base_url(&self) -> Result<String> {
        self.listening()?
            .ok_or_else(|| anyhow!("`intake serve` has not said where it listens"))
    }

    fn check_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "`{}` exited ({status}): {}",
                self.name,
                fs_err::read_to_string(&self.stderr)
                    .unwrap_or_default()
                    .trim_end()
            );
        }
        Ok(())
    }

    fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap_or(0));
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!(
            "`{}` did not stop within 20 s of SIGTERM; killing it",
            self.name
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The server's API with a token.
#[derive(Clone)]
struct Api {
    agent: ureq::Agent,
    base: String,
    bearer: String,
}

impl Api {
    fn new(base: &str, token: &str) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .into();
        Self {
            agent,
            base: format!("{base}/api/v1"),
            bearer: format!("Bearer {token}"),
        }
    }

    fn answer(what: &str, want: u16, response: ureq::http::Response<ureq::Body>) -> Result<Value> {
        let status = response.status().as_u16();
        let text = response
            .into_body()
            .read_to_string()
            .with_context(|| format!("{what}: the answer could not be read"))?;
        if status != want {
            bail!("{what} answered {status}, not {want}: {text}");
        }
        serde_json::from_str(&text).with_context(|| format!("{what} answered `{text}`, not JSON"))
    }

    fn get(&self, path: &str) -> Result<Value> {
        let what = format!("GET {path}");
        let response = self
            .agent
            .get(format!("{}{path}", self.base))
            .header("authorization", &self.bearer)
            .call()
            .with_context(|| what.clone())?;
        Self::answer(&what, 200, response)
    }

    /// `POST path` with `body` as JSON (no body for `null`).
    fn send_json(&self, method: &str, path: &str, body: &Value, want: u16) -> Result<Value> {
        let what = format!("{method} {path}");
        let request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("authorization", &self.bearer);
        let response = if body.is_null() {
            request.send_empty()
        } else {
            request
                .header("content-type", "application/json")
                .send(body.to_string())
        }
        .with_context(|| what.clone())?;
        Self::answer(&what, want, response)
    }

    /// `POST /workspaces/{ws}/uploads?name=NAME` with the file as the body; must answer 201.
    fn upload(&self, ws: &str, name: &str, file: &Path) -> Result<Value> {
        let what = format!("POST /workspaces/{ws}/uploads?name={name}");
        let body = fs_err::File::open(file)?.into_parts().0;
        let response = self
            .agent
            .post(format!("{}/workspaces/{ws}/uploads", self.base))
            .query("name", name)
            .header("authorization", &self.bearer)
            .header("content-type", "application/octet-stream")
            .send(body)
            .with_context(|| what.clone())?;
        Self::answer(&what, 201, response)
    }

    /// The server's one workspace.
    fn workspace(&self) -> Result<String> {
        let list = self.get("/workspaces")?;
        let first = list
            .as_array()
            .and_then(|a| a.first())
            .ok_or_else(|| anyhow!("GET /workspaces listed none: {list}"))?;
        str_field(first, "name")
    }

    /// The imports of `ws` with `status`.
    fn count(&self, ws: &str, status: &str) -> Result<u64> {
        let page = self.get(&format!("/workspaces/{ws}/imports?status={status}&limit=1"))?;
        page.get("total")
            .and_then(Value::as_u64)
            .ok_or_else(|| anyhow!("the imports list has no total: {page}"))
    }
}

fn str_field(v: &Value, name: &str) -> Result<String> {
    v.get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| anyhow!("the answer has no `{name}`: {v}"))
}

/// A PostgreSQL database made for the run; dropped when done (or dropped with the value).
struct Database {
    psql: PathBuf,
    /// The server's maintenance database, to create and drop from.
    admin_url: String,
    name: String,
    url: String,
    dropped: bool,
}

impl Database {
    fn create(psql: &Path, base: &str, name: &str) -> Result<Self> {
        let (server, _) = base
            .rsplit_once('/')
            .ok_or_else(|| anyhow!("INTAKE_BENCH_POSTGRES_URL `{base}` has no database part"))?;
        run_psql(psql, base, &format!("DROP DATABASE IF EXISTS \"{name}\""))?;
        run_psql(psql, base, &format!("CREATE DATABASE \"{name}\""))?;
        Ok(Self {
            psql: psql.to_path_buf(),
            admin_url: base.to_string(),
            name: name.to_string(),
            url: format!("{server}/{name}"),
            dropped: false,
        })
    }

    fn query(&self, sql: &str) -> Result<String> {
        run_psql(&self.psql, &self.url, sql)
    }

    fn count(&self, sql: &str) -> Result<u64> {
        let out = self.query(sql)?;
        out.trim()
            .parse()
            .with_context(|| format!("`{sql}` printed `{}`, not a count", out.trim()))
    }

    fn drop_now(mut self) -> Result<()> {
        self.dropped = true;
        run_psql(
            &self.psql,
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
        )?;
        Ok(())
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if !self.dropped {
            let _ = run_psql(
                &self.psql,
                &self.admin_url,
                &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
            );
        }
    }
}

/// `psql URL -XAtq -v ON_ERROR_STOP=1 -c SQL`; its stdout.
fn run_psql(psql: &Path, url: &str, sql: &str) -> Result<String> {
    let output = Command::new(psql)
        .args([url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not run `{}`", psql.display()))?;
    if !output.status.success() {
        bail!(
            "psql `{sql}` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A `kB` line of `/proc/PID/status`, in KiB.
fn status_kib(pid: u32, key: &str) -> Result<u64> {
    let text = fs_err::read_to_string(format!("/proc/{pid}/status"))?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix(key)?
                .strip_prefix(':')?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .ok_or_else(|| anyhow!("/proc/{pid}/status has no {key}"))
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

/// The report as a table.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let u = &report.uploads;
    let _ = writeln!(
        out,
        "serve: {} concurrent uploads of {:.1} MB ({} bytes each)",
        u.uploads,
        u.file_bytes as f64 / 1e6,
        group(u.file_bytes)
    );
    let _ = writeln!(
        out,
        "  time {:.2} s  throughput {:.1} MB/s  single upload {:.2}..{:.2} s",
        u.seconds, u.mb_per_s, u.fastest_s, u.slowest_s
    );
    let _ = writeln!(
        out,
        "  server RSS before {:.1} MB  during (max of {} samples) {:.1} MB  after {:.1} MB  peak (VmHWM) {:.1} MB  bar < {:.0} MB: {}",
        u.rss_before_mb,
        u.rss_samples,
        u.rss_during_max_mb,
        u.rss_after_mb,
        u.peak_rss_mb,
        u.peak_rss_bar_mb,
        if u.peak_rss_within_bar {
            "ok"
        } else {
            "MISSED"
        }
    );
    match &report.drain {
        None => {
            let _ = writeln!(out, "serve: drain by two workers not run (--no-postgres)");
        }
        Some(d) => {
            let _ = writeln!(
                out,
                "serve: two workers drain {} queued imports of {} rows ({} rows) on PostgreSQL",
                d.imports,
                group(d.rows_per_import),
                group(d.rows)
            );
            let _ = writeln!(
                out,
                "  time {:.2} s  {:.2} imports/s  {} rows/s",
                d.seconds,
                d.imports_per_s,
                group(d.rows_per_s as u64)
            );
            let split: Vec<String> = d
                .per_worker
                .iter()
                .map(|(w, n)| format!("{w}: {n}"))
                .collect();
            let _ = writeln!(out, "  split  {}", split.join("  "));
            let rss: Vec<String> = d
                .worker_peak_rss_mb
                .iter()
                .map(|m| format!("{m:.1} MB"))
                .collect();
            let _ = writeln!(out, "  worker peak RSS  {}", rss.join("  "));
            let _ = writeln!(
                out,
                "  exactly once: {}  (runs started {}, completed {}, contact records {}, _intake_imports {} rows / {} distinct jobs)",
                if d.exactly_once { "yes" } else { "NO" },
                d.runs_started,
                d.completed_entries,
                group(d.records),
                d.store_imports,
                d.store_distinct_jobs
            );
        }
    }
    out
}
