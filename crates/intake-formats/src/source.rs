//! The interface every reader offers, so that the engine reads CSV and spreadsheets alike.

use crate::batch::RecordBatch;
use crate::csv::Detected;
use crate::error::ReadError;

/// A file read as rows of text cells, batch by batch.
pub trait RowSource {
    /// What was detected about a text file; `None` for formats without encodings and
    /// delimiters.
    fn detected(&self) -> Option<&Detected> {
        None
    }

    /// Clears `batch` and fills it with up to `max_rows` records; `Ok(false)` at the end of
    /// the input with nothing read.
    fn read_batch(&mut self, batch: &mut RecordBatch, max_rows: usize) -> Result<bool, ReadError>;
}
