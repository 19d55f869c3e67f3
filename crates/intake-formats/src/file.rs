//! Any file intake reads, by its content: a workbook (XLSX, XLS, ODS) or CSV.
//!
//! The first bytes decide, never the file's name: a zip or compound-document signature is a
//! workbook (a PNG renamed `.xlsx` is read as what it is, and refused as not text), anything
//! else goes to the CSV reader with those bytes put back in front.

use std::io::{Chain, Cursor, Read};

use intake_core::report::Warning;

use crate::batch::RecordBatch;
use crate::csv::{CsvOptions, CsvReader, Detected};
use crate::error::ReadError;
use crate::sheet::{Format, SheetOptions, SheetReader, Workbook, sniff};
use crate::source::RowSource;

/// How many bytes decide the format.
const MAGIC_BYTES: usize = 8;

/// A file being read: CSV or a workbook's sheet.
#[derive(Debug)]
// The CSV reader is the common case; boxing it would cost a pointer chase per batch for nothing.
#[allow(clippy::large_enum_variant)]
pub enum FileReader<R: Read> {
    /// A CSV file (the bytes read to sniff the format are put back in front).
    Csv(CsvReader<Chain<Cursor<Vec<u8>>, R>>),
    /// A workbook's sheet.
    Sheet(SheetReader),
}

impl<R: Read> FileReader<R> {
    /// The file's format.
    pub fn format(&self) -> Format {
        match self {
            Self::Csv(_) => Format::Csv,
            Self::Sheet(s) => s.workbook().format,
        }
    }
}

/// Opens `input` as what its content is: see the module documentation. `csv` applies to CSV
/// files (its limits to every format), `sheet` to workbooks.
pub fn open<R: Read>(
    mut input: R,
    csv: &CsvOptions,
    sheet: &SheetOptions,
) -> Result<FileReader<R>, ReadError> {
    let mut magic = Vec::with_capacity(MAGIC_BYTES);
    (&mut input)
        .take(MAGIC_BYTES as u64)
        .read_to_end(&mut magic)?;
    if sniff(&magic).is_none() {
        if sheet.sheet.is_some() {
            return Err(ReadError::SheetOfCsv);
        }
        return CsvReader::new(Cursor::new(magic).chain(input), csv).map(FileReader::Csv);
    }
    let limit = csv.limits.max_file_bytes;
    let mut bytes = magic;
    input
        .take(limit.saturating_sub(bytes.len() as u64).saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    SheetReader::new(bytes, sheet, &csv.limits).map(FileReader::Sheet)
}

impl<R: Read> RowSource for FileReader<R> {
    fn detected(&self) -> Option<&Detected> {
        match self {
            Self::Csv(c) => Some(c.detected()),
            Self::Sheet(_) => None,
        }
    }

    fn read_batch(&mut self, batch: &mut RecordBatch, max_rows: usize) -> Result<bool, ReadError> {
        match self {
            Self::Csv(c) => c.read_batch(batch, max_rows),
            Self::Sheet(s) => s.read_batch(batch, max_rows),
        }
    }

    fn workbook(&self) -> Option<&Workbook> {
        match self {
            Self::Csv(_) => None,
            Self::Sheet(s) => Some(s.workbook()),
        }
    }

    fn take_warnings(&mut self) -> Vec<Warning> {
        match self {
            Self::Csv(_) => Vec::new(),
            Self::Sheet(s) => s.take_warnings(),
        }
    }
}
