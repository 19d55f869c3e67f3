//! Progress reporting: the engine tells, the caller shows (a terminal bar, a job row).

/// Receives progress as batches finish. Implementations must be cheap: called once per batch.
pub trait Progress: Sync {
    /// `rows` data rows are done so far, `bytes` of the input consumed so far (if known).
    fn on_batch_done(&self, rows: u64, bytes: Option<u64>);
}

/// Shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn on_batch_done(&self, _rows: u64, _bytes: Option<u64>) {}
}
