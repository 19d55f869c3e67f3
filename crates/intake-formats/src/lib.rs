//! File formats of intake: files in, streaming rows of text cells out; CSV out, safe to open
//! in a spreadsheet; XLSX out.
//!
//! Readers take any [`std::io::Read`] (a file, an upload stream, a test slice), never a path.
//! They return records in [`RecordBatch`]es numbered as a spreadsheet numbers rows (header =
//! row 1, blank lines counted), stop with a [`ReadError`] that names the row and column when
//! the file cannot be read, and note lesser oddities per cell as [`CellIssue`]s. Cell text is
//! kept exactly as in the file: never trimmed, `NA` and `=1+2` are text like any other.
//!
//! - [`csv`]: [`CsvReader`] (RFC 4180 plus BOMs, UTF-16, Windows-1252, sniffed delimiters,
//!   any line endings) and [`CsvWriter`] (formula neutralisation, see [`neutralise`]).
//! - [`sheet`]: [`SheetReader`] for workbooks (XLSX, XLS, ODS): checked before they are
//!   opened (zip bombs, entities, encryption), streamed, hidden rows and merged cells told.
//! - [`open`]: the format chosen from the content, behind one [`RowSource`].
//! - [`xlsx`]: [`XlsxWriter`] for templates, exports, response and success files: typed
//!   cells, a styled frozen header, dropdowns from a hidden sheet, problem cells with notes;
//!   written row by row in constant memory.

pub mod batch;
pub mod csv;
pub mod error;
pub mod file;
pub mod limits;
pub mod sheet;
pub mod source;
pub mod xlsx;

pub use crate::batch::{CellIssue, CellIssueKind, RecordBatch, RecordRef};
pub use crate::csv::{
    CsvOptions, CsvReader, CsvWriter, CsvWriterOptions, Detected, LineEnding, Source, neutralise,
    unneutralise,
};
pub use crate::error::ReadError;
pub use crate::file::{FileReader, open};
pub use crate::limits::Limits;
pub use crate::sheet::{Format, SheetInfo, SheetOptions, SheetReader, Visibility, Workbook};
pub use crate::source::RowSource;
pub use crate::xlsx::{ColumnKind, XlsxCell, XlsxColumn, XlsxWriter};
