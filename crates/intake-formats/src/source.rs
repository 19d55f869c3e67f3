//! The interface every reader offers, so that the engine reads CSV and spreadsheets alike.

use crate::batch::RecordBatch;
use crate::csv::Detected;
use crate::error::ReadError;
use crate::sheet::Workbook;
use intake_core::report::Warning;

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

    /// The workbook and the sheet read; `None` for CSV.
    fn workbook(&self) -> Option<&Workbook> {
        None
    }

    /// Takes what the reader found worth a warning so far (hidden rows, merged cells, values
    /// right of the header, ...). Call it again after the last batch: some are known only then.
    fn take_warnings(&mut self) -> Vec<Warning> {
        Vec::new()
    }
}
