//! Progress reporting: the engine tells, the caller shows (a terminal bar, a job row).

/// Receives progress as batches finish. Implementations must be cheap: called once per batch.
pub trait Progress: Sync {
    /// `rows` data rows are done so far, `bytes` of the input consumed so far (if known).
    fn on_batch_done(&self, rows: u64, bytes: Option<u64>);

    /// Whether the import should stop: asked after each batch and before the commit. A
    /// cancelled import writes nothing ([`crate::import::ImportError::Cancelled`]).
    fn cancelled(&self) -> bool {
        false
    }

    /// Asked just before the commit: `Err(why)` drops the transaction instead (a job runner
    /// that lost its lease to another worker must not commit).
    fn may_commit(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn on_batch_done(&self, _rows: u64, _bytes: Option<u64>) {}
}
