//! Limits on what a reader accepts, so that a hostile or broken file is a clear error instead
//! of exhausted memory.

/// Limits on what a reader accepts; exceeding one is an error naming the limit.
///
/// The defaults are generous for real data (a spreadsheet has at most 1,048,576 rows and 16,384
/// columns; Excel cells hold at most 32,767 characters) and bound memory for hostile files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes read from the input (2 GiB by default).
    pub max_file_bytes: u64,
    /// The highest row number of a record, counting the header and blank lines as a
    /// spreadsheet does (10,000,000 by default).
    pub max_rows: u64,
    /// The most cells in one record (2,000 by default).
    pub max_columns: usize,
    /// The most characters (Unicode scalar values) in one cell (32,767 by default, Excel's limit).
    pub max_cell_chars: usize,
    /// The most bytes the parts of a workbook (XLSX, ODS) may decompress to, all parts
    /// together (1 GiB by default): a zip bomb is refused before it is inflated.
    pub max_unzipped_bytes: u64,
    /// The highest compression ratio accepted for a workbook part larger than 1 MiB once
    /// decompressed (100 by default; real sheets compress 5 to 20 times).
    pub max_zip_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 2 * 1024 * 1024 * 1024,
            max_rows: 10_000_000,
            max_columns: 2_000,
            max_cell_chars: 32_767,
            max_unzipped_bytes: 1024 * 1024 * 1024,
            max_zip_ratio: 100,
        }
    }
}
