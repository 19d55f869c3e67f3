//! Workers: claim queued imports, run them through the engine, record what happened.
//!
//! A worker claims an import with a lease timed by the database clock and renews it with
//! its progress at least every second. A worker that dies stops renewing; once the lease
//! has run out, another worker claims the import again. Two guards keep its records from
//! being written twice: the engine asks before committing whether the lease is still this
//! worker's ([`Progress::may_commit`]), and the workspace's store refuses a second import
//! for the same job in the same transaction as the records (a unique job key), so even a
//! worker that lost its lease between that question and its commit cannot write twice. A
//! worker that claims an import another worker already committed records that outcome
//! instead of running it again.

use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use intake_engine::import::{ImportError, Input, OutputFile, Outputs, import};
use intake_engine::progress::Progress;
use intake_store::ImportRecord;

use crate::control::ImportRow;
use crate::db::Val;
use crate::model::{
    CountsView, ImportOptions, MappingInput, ProblemView, Status, ValidationSummary, engine_request,
};
use crate::state::{App, ServerError};

/// Wakes idle workers of this process when an import is queued.
#[derive(Debug, Default)]
pub struct Wake {
    queued: Mutex<bool>,
    cv: Condvar,
}

impl Wake {
    /// Tells a waiting worker there is work.
    pub fn notify(&self) {
        *self
            .queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        self.cv.notify_all();
    }

    /// Waits until notified or `timeout` passes.
    fn wait(&self, timeout: Duration) {
        let guard = self
            .queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (mut guard, _) = self
            .cv
            .wait_timeout_while(guard, timeout, |q| !*q)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard = false;
    }
}

/// An uploaded file, read as many times as the engine needs, under the name the user gave.
#[derive(Debug)]
pub struct UploadInput {
    /// Where it is stored.
    pub path: PathBuf,
    /// The name the user gave.
    pub name: String,
}

impl Input for UploadInput {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(io::BufReader::new(fs_err::File::open(
            &self.path,
        )?)))
    }
    fn name(&self) -> String {
        self.name.clone()
    }
    fn size(&self) -> Option<u64> {
        std::fs::metadata(&self.path).ok().map(|m| m.len())
    }
}

/// A worker's identity: the process id and a random part (the audit's `started` entries name
/// it, so which process ran an import can be told afterwards).
pub fn worker_id() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// What [`run_one`] did.
#[derive(Debug)]
pub enum Ran {
    /// No import was waiting.
    Nothing,
    /// It ran one; its notifications are being sent on this thread, if any.
    Import(Option<std::thread::JoinHandle<()>>),
}

/// Claims one queued import and runs it.
pub fn run_one(app: &Arc<App>, worker: &str, stop: &AtomicBool) -> Result<Ran, ServerError> {
    let lease_ms = app.config.lease_ms();
    match app.control.claim(worker, lease_ms)? {
        Some(job) => {
            let span = tracing::info_span!("import", id = %job.id, workspace = %job.workspace, attempt = job.attempts);
            let _enter = span.enter();
            Ok(Ran::Import(run(app, worker, &job, stop)))
        }
        None => Ok(Ran::Nothing),
    }
}

/// Runs imports until `stop` is set: claims one, runs it, claims the next; waits (up to a
/// second, or until woken) when none is queued.
pub fn work(app: &Arc<App>, stop: &AtomicBool, wake: &Wake) {
    let worker = worker_id();
    tracing::info!(worker, "worker started");
    while !stop.load(Ordering::SeqCst) {
        match run_one(app, &worker, stop) {
            Ok(Ran::Import(_)) => {}
            Ok(Ran::Nothing) => wake.wait(Duration::from_secs(1)),
            Err(e) => {
                tracing::error!(error = %e, "cannot claim imports");
                wake.wait(Duration::from_secs(1));
            }
        }
    }
    tracing::info!(worker, "worker stopped");
}

/// Reports progress to the import's row and renews the lease; answers the engine's
/// questions (stop? commit?).
struct JobProgress<'a> {
    app: &'a App,
    id: &'a str,
    worker: &'a str,
    lease_ms: i64,
    stop: &'a AtomicBool,
    rows: AtomicU64,
    lost: AtomicBool,
    cancel: AtomicBool,
    /// `INTAKE_TEST_HOLD_AFTER_BATCH`, read once (see [`hold_for_tests`]).
    hold: Option<std::ffi::OsString>,
}

impl JobProgress<'_> {
    fn renew(&self) {
        let rows = i64::try_from(self.rows.load(Ordering::SeqCst)).unwrap_or(i64::MAX);
        match self
            .app
            .control
            .renew(self.id, self.worker, self.lease_ms, rows)
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("the lease passed to another worker; stopping");
                self.lost.store(true, Ordering::SeqCst);
            }
            Err(e) => tracing::warn!(error = %e, "cannot renew the lease"),
        }
        if self.app.control.cancel_requested(self.id).unwrap_or(false) {
            self.cancel.store(true, Ordering::SeqCst);
        }
    }
}

impl Progress for JobProgress<'_> {
    fn on_batch_done(&self, rows: u64, _bytes: Option<u64>) {
        // The heartbeat records it (and renews the lease) every half second.
        self.rows.store(rows, Ordering::SeqCst);
        // Rows past the first batch: the first batch has been written in the transaction.
        if let Some(path) = self.hold.as_ref().filter(|_| rows > 4096) {
            hold_for_tests(path, self.id);
        }
    }

    fn cancelled(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
            || self.lost.load(Ordering::SeqCst)
            || self.cancel.load(Ordering::SeqCst)
    }

    fn may_commit(&self) -> Result<(), String> {
        self.renew();
        if self.lost.load(Ordering::SeqCst) {
            return Err("the import passed to another worker (its lease ran out)".into());
        }
        Ok(())
    }
}

/// Tests that kill a worker mid-import set `INTAKE_TEST_HOLD_AFTER_BATCH` to a file path:
/// once its first batch is written (uncommitted), the worker creates the file and waits
/// there to be killed.
fn hold_for_tests(path: &std::ffi::OsStr, id: &str) -> ! {
    let _ = fs_err::write(path, id);
    loop {
        std::thread::park();
    }
}

fn stored_files(dir: &Path, response_rows: u64, success_rows: u64) -> serde_json::Value {
    let mut files = serde_json::Map::new();
    files.insert("report".into(), "report.jsonl".into());
    for (name, rows) in [("response", response_rows), ("success", success_rows)] {
        let raw = dir.join(name);
        if rows == 0 {
            let _ = std::fs::remove_file(&raw);
            continue;
        }
        // A workbook input gives workbook outputs: zip's magic bytes.
        let mut magic = [0u8; 2];
        let xlsx = fs_err::File::open(&raw)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok()
            && &magic == b"PK";
        let file = format!("{name}.{}", if xlsx { "xlsx" } else { "csv" });
        if std::fs::rename(&raw, dir.join(&file)).is_ok() {
            files.insert(name.into(), file.into());
        }
    }
    serde_json::Value::Object(files)
}

/// Writes problems as JSON lines.
pub fn write_report(path: &Path, problems: &[intake_core::report::Problem]) -> io::Result<()> {
    let mut w = BufWriter::new(fs_err::File::create(path)?);
    for p in problems {
        serde_json::to_writer(&mut w, &ProblemView::from(p))?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

fn run(
    app: &Arc<App>,
    worker: &str,
    job: &ImportRow,
    stop: &AtomicBool,
) -> Option<std::thread::JoinHandle<()>> {
    let _ = app.control.audit(
        &job.id,
        None,
        "started",
        Some(&format!("attempt {} by worker {worker}", job.attempts)),
    );
    let outcome = run_inner(app, worker, job, stop);
    let final_status = match outcome {
        Ok(Some(status)) => Some(status),
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "import failed");
            let message = e.to_string();
            let done = app
                .control
                .finish(
                    &job.id,
                    worker,
                    Status::Failed.as_str(),
                    &[("message", message.clone().into())],
                )
                .unwrap_or(false);
            if done {
                let _ = app.control.audit(&job.id, None, "failed", Some(&message));
                Some(Status::Failed)
            } else {
                None
            }
        }
    };
    let status = final_status?;
    tracing::info!(status = status.as_str(), "import ended");
    crate::notify::import_ended(app, &job.id)
}

/// Runs one import; `Ok(None)` when the outcome is not this worker's to record (lost lease,
/// shutdown: the import goes back to the queue).
fn run_inner(
    app: &App,
    worker: &str,
    job: &ImportRow,
    stop: &AtomicBool,
) -> Result<Option<Status>, ServerError> {
    let ws = app
        .workspace(&job.workspace)?
        .ok_or_else(|| ServerError::Other(format!("workspace `{}` is gone", job.workspace)))?;
    // One key per submission: a failed import submitted again is a new run.
    let key = format!("{}@{}", job.id, job.queued_at.unwrap_or_default());
    // A worker before this one may have committed this run and died before recording it.
    if let Some(done) = ws.store.import_by_job(&key)? {
        tracing::info!(
            store_import = done.id,
            "already committed by an earlier run"
        );
        return record_committed(app, worker, job, &done);
    }
    let options: ImportOptions = serde_json::from_str(&job.options).unwrap_or_default();
    let mapping: MappingInput = serde_json::from_str(&job.mapping).unwrap_or_default();
    let mut request = engine_request(&ws.schema, &job.record_type, &options, &mapping)
        .map_err(|e| ServerError::Other(e.to_string()))?;
    request.job = Some(key);
    request.options.removals_allowed = job.removals_allowed;
    request.threads = app.config.threads;
    let upload = app.storage.upload(&job.upload_id)?;
    let input = UploadInput {
        path: upload.path().to_path_buf(),
        name: job.file_name.clone(),
    };
    let results = app.storage.results(&job.id)?;
    let dir = results.path();
    let mut response = fs_err::File::create(dir.join("response"))?;
    let mut success = fs_err::File::create(dir.join("success"))?;
    let progress = JobProgress {
        app,
        id: &job.id,
        worker,
        lease_ms: app.config.lease_ms(),
        hold: std::env::var_os("INTAKE_TEST_HOLD_AFTER_BATCH"),
        stop,
        rows: AtomicU64::new(0),
        lost: AtomicBool::new(false),
        cancel: AtomicBool::new(false),
    };
    // The heartbeat: progress and the lease every half second, whatever the engine is doing
    // (reading, writing, building indexes at the commit, writing the result files).
    let running = AtomicBool::new(true);
    let (gate, bell) = (Mutex::new(()), Condvar::new());
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut guard = gate
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            while running.load(Ordering::SeqCst) {
                guard = bell
                    .wait_timeout(guard, Duration::from_millis(500))
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
                if running.load(Ordering::SeqCst) {
                    progress.renew();
                }
            }
        });
        let result = import(
            &ws.schema,
            ws.store.as_ref(),
            &input,
            &request,
            Outputs {
                response: Some(OutputFile::LikeInput(&mut response)),
                success: Some(OutputFile::LikeInput(&mut success)),
            },
            &progress,
        );
        running.store(false, Ordering::SeqCst);
        let _lock = gate
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        bell.notify_all();
        result
    });
    drop((response, success));
    let outcome = match result {
        Ok(o) => o,
        Err(ImportError::Cancelled | ImportError::CommitRefused(_))
            if progress.lost.load(Ordering::SeqCst) =>
        {
            return Ok(None);
        }
        Err(ImportError::Cancelled) if progress.cancel.load(Ordering::SeqCst) => {
            let done = app.control.finish(
                &job.id,
                worker,
                Status::Cancelled.as_str(),
                &[(
                    "message",
                    "cancelled while running; nothing was written".into(),
                )],
            )?;
            if done {
                app.control
                    .audit(&job.id, None, "cancelled", Some("nothing was written"))?;
                return Ok(Some(Status::Cancelled));
            }
            return Ok(None);
        }
        Err(ImportError::Store(intake_store::StoreError::Busy)) => {
            // Another import of the workspace (a CLI import, another server's worker) holds
            // its store: nothing was written; the import goes back to the queue.
            app.control.release(&job.id, worker)?;
            app.control.audit(
                &job.id,
                None,
                "requeued",
                Some("the workspace was busy with another import; nothing was written"),
            )?;
            return Ok(None);
        }
        Err(ImportError::Cancelled) => {
            // Shutting down: the transaction was rolled back; another worker runs it.
            app.control.release(&job.id, worker)?;
            app.control.audit(
                &job.id,
                None,
                "requeued",
                Some("the worker shut down; nothing was written"),
            )?;
            return Ok(None);
        }
        Err(e) => return Err(ServerError::Other(e.to_string())),
    };
    drop(upload);
    write_report(&dir.join("report.jsonl"), &outcome.report.problems)?;
    let files = stored_files(dir, outcome.response_rows, outcome.success_rows);
    let names: Vec<&str> = files
        .as_object()
        .into_iter()
        .flat_map(|m| m.values().filter_map(|v| v.as_str()))
        .collect();
    app.storage.keep_results(&job.id, &results, &names)?;
    let counts = CountsView::from(outcome.counts);
    let summary = ValidationSummary::of(counts, &outcome.report.problems, &outcome.report.warnings);
    let status = if outcome.committed {
        Status::Completed
    } else {
        Status::Failed
    };
    let message = (!outcome.committed).then(|| {
        format!(
            "{} row{} with problems; nothing was written",
            counts.failed,
            if counts.failed == 1 { "" } else { "s" }
        )
    });
    let done = app.control.finish(
        &job.id,
        worker,
        status.as_str(),
        &[
            ("counts", json(&counts).into()),
            ("validation", json(&summary).into()),
            ("files", files.to_string().into()),
            ("store_import_id", Val::from(outcome.import_id)),
            (
                "rows_done",
                Val::from(i64::try_from(counts.rows).unwrap_or(i64::MAX)),
            ),
            (
                "rows_total",
                Val::from(i64::try_from(counts.rows).unwrap_or(i64::MAX)),
            ),
            ("message", message.clone().into()),
        ],
    )?;
    app.forget(&job.workspace);
    if !done {
        return Ok(None);
    }
    let detail = format!(
        "{} rows: {} created, {} updated, {} unchanged, {} deleted, {} failed",
        counts.rows,
        counts.created,
        counts.updated,
        counts.unchanged,
        counts.deleted,
        counts.failed
    );
    app.control
        .audit(&job.id, None, status.as_str(), Some(&detail))?;
    Ok(Some(status))
}

/// Records the outcome an earlier run committed.
fn record_committed(
    app: &App,
    worker: &str,
    job: &ImportRow,
    done: &ImportRecord,
) -> Result<Option<Status>, ServerError> {
    let counts = CountsView::from(done.counts);
    let status = match done.status {
        intake_store::ImportStatus::Completed => Status::Completed,
        intake_store::ImportStatus::Reverted => Status::Reverted,
        intake_store::ImportStatus::Failed => Status::Failed,
    };
    let ok = app.control.finish(
        &job.id,
        worker,
        status.as_str(),
        &[
            ("counts", json(&counts).into()),
            ("store_import_id", Val::from(done.id)),
            ("message", done.message.clone().into()),
        ],
    )?;
    if !ok {
        return Ok(None);
    }
    app.control.audit(
        &job.id,
        None,
        status.as_str(),
        Some("recorded from the run that committed before its worker stopped; its response and success files were not kept"),
    )?;
    Ok(Some(status))
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Starts `n` worker threads on `app`; they stop when `stop` is set.
pub fn spawn_workers(
    app: &Arc<App>,
    n: usize,
    stop: &Arc<AtomicBool>,
    wake: &Arc<Wake>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..n)
        .map(|i| {
            let (app, stop, wake) = (app.clone(), stop.clone(), wake.clone());
            std::thread::Builder::new()
                .name(format!("intake-worker-{i}"))
                .spawn(move || work(&app, &stop, &wake))
        })
        .filter_map(Result::ok)
        .collect()
}
