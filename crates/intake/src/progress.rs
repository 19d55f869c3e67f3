//! A progress line on the terminal: rows, rows per second, share of the file and time left.
//! Shown on stderr only when it is a terminal; pipes and files get nothing.

use std::io::{IsTerminal, Read, Write};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use intake_engine::Progress;

use crate::render::count;

/// Counts the bytes read through it, for the share of the file done.
pub struct CountingReader<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> CountingReader<R> {
    /// Wraps `inner`; `read` receives the running total.
    pub fn new(inner: R, read: Arc<AtomicU64>) -> Self {
        Self { inner, read }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A file whose reads are counted, for the progress line.
pub struct CountedFile {
    /// The file.
    pub path: std::path::PathBuf,
    /// Bytes read so far by the current pass.
    pub read: Arc<AtomicU64>,
}

impl intake_engine::Input for CountedFile {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        self.read.store(0, Ordering::Relaxed);
        let f = fs_err::File::open(&self.path)?;
        Ok(Box::new(std::io::BufReader::with_capacity(
            1 << 20,
            CountingReader::new(f, self.read.clone()),
        )))
    }
    fn name(&self) -> String {
        intake_engine::FileInput(self.path.clone()).name()
    }
    fn size(&self) -> Option<u64> {
        fs_err::metadata(&self.path).ok().map(|m| m.len())
    }
}

/// The progress line.
pub struct ProgressLine {
    verb: &'static str,
    total_bytes: u64,
    read: Arc<AtomicU64>,
    start: Instant,
    last: Mutex<Option<Instant>>,
    shown: AtomicU64,
}

impl ProgressLine {
    /// A line for `verb`ing a file of `total_bytes`; `None` when stderr is not a terminal.
    pub fn new(verb: &'static str, total_bytes: u64, read: Arc<AtomicU64>) -> Option<Self> {
        std::io::stderr().is_terminal().then(|| Self {
            verb,
            total_bytes,
            read,
            start: Instant::now(),
            last: Mutex::new(None),
            shown: AtomicU64::new(0),
        })
    }

    /// Removes the line.
    pub fn finish(&self) {
        if self.shown.load(Ordering::Relaxed) > 0 {
            eprint!("\r\x1b[2K");
        }
    }
}

impl Progress for ProgressLine {
    fn on_batch_done(&self, rows: u64, _bytes: Option<u64>) {
        let now = Instant::now();
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        // Not for quick files, and at most ten times a second.
        if now.duration_since(self.start) < Duration::from_millis(500)
            || last.is_some_and(|l| now.duration_since(l) < Duration::from_millis(100))
        {
            return;
        }
        *last = Some(now);
        let secs = now.duration_since(self.start).as_secs_f64();
        let done = self.read.load(Ordering::Relaxed).min(self.total_bytes);
        let share = if self.total_bytes > 0 {
            done as f64 / self.total_bytes as f64
        } else {
            0.0
        };
        let rate = rows as f64 / secs.max(0.001);
        let left = if share > 0.0 {
            secs / share - secs
        } else {
            0.0
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K{} {} rows, {} rows/s, {:.0}%, about {:.0} s left",
            self.verb,
            count(rows),
            count(rate as u64),
            share * 100.0,
            left.ceil()
        );
        let _ = err.flush();
        self.shown.fetch_add(1, Ordering::Relaxed);
    }
}
