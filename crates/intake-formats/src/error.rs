//! Why a reader stopped.
//!
//! Bad cells are not errors (see [`crate::CellIssue`]); these are the failures that end the
//! reading of a file. Each carries its position as fields, so a caller that knows the header
//! can name the column instead of numbering it. Column fields are 0-based indexes like
//! everywhere in this crate; messages show them 1-based, as spreadsheets do.

use encoding_rs::Encoding;
use intake_core::RowNumber;
use intake_core::report::thousands;

/// Why reading a file failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// Reading the input itself failed.
    #[error("could not read the file")]
    Io(#[from] std::io::Error),

    /// The input has no bytes, or only blank lines (C1).
    #[error("the file is empty - no header row")]
    Empty,

    /// The content is not text: a known binary format, or bytes that look binary (C22).
    #[error("the file is not a text file: it looks like {what}")]
    NotText {
        /// What the content looks like, e.g. `a PNG image`.
        what: &'static str,
    },

    /// NUL bytes in a UTF-16 pattern, but the content does not decode as UTF-16 (C10).
    #[error("the file looks like UTF-16 text without a byte-order mark; choose the encoding")]
    Utf16WithoutBom,

    /// Bytes that are not valid in the file's encoding (C12).
    #[error(
        "the bytes at row {row}, column {} (byte offset {byte_offset}) are not valid {}; choose the file's encoding",
        column + 1,
        encoding.name()
    )]
    InvalidEncoding {
        /// The row of the record holding the bytes.
        row: RowNumber,
        /// The 0-based column of the cell holding the bytes.
        column: usize,
        /// The offset of the first invalid byte from the start of the file (BOM included).
        byte_offset: u64,
        /// The encoding the file was read as.
        encoding: &'static Encoding,
    },

    /// A quoted cell is still open at the end of the input (C4).
    #[error(
        "unclosed quote starting at row {row}, column {}: the quoted cell never ends, so the rest of the file would be read into it",
        column + 1
    )]
    UnclosedQuote {
        /// The row where the record with the quote began.
        row: RowNumber,
        /// The 0-based column of the quoted cell.
        column: usize,
    },

    /// A cell is longer than [`crate::Limits::max_cell_chars`] (C14).
    #[error("{}", cell_too_long(*row, *column, *limit, *open_quote))]
    CellTooLong {
        /// The row of the record holding the cell.
        row: RowNumber,
        /// The 0-based column of the cell.
        column: usize,
        /// The limit in characters.
        limit: usize,
        /// The cell starts with a quote that was still open when the limit was passed: the
        /// likely cause is a quote that is never closed (C4 in a large file).
        open_quote: bool,
    },

    /// A record has more cells than [`crate::Limits::max_columns`] (C15).
    #[error(
        "row {row} has {} columns, more than the limit ({})",
        thousands(*found as u64),
        thousands(*limit as u64)
    )]
    TooManyColumns {
        /// The row of the record.
        row: RowNumber,
        /// How many cells the record has.
        found: usize,
        /// The limit.
        limit: usize,
    },

    /// A record's row number is above [`crate::Limits::max_rows`] (C15).
    #[error("the file has more rows than the limit ({})", thousands(*limit))]
    TooManyRows {
        /// The limit.
        limit: u64,
    },

    /// The input is larger than [`crate::Limits::max_file_bytes`].
    #[error("the file is larger than the limit ({} bytes)", thousands(*limit))]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },

    /// The delimiter asked for cannot separate cells.
    #[error(
        "`{}` cannot be the delimiter: choose one ASCII character other than a quote or a line break",
        delimiter.escape_ascii()
    )]
    InvalidDelimiter {
        /// The byte asked for.
        delimiter: u8,
    },

    /// A workbook format or variant intake does not read (S18): `.xlsb`, macro-enabled, a zip
    /// archive that is no workbook.
    #[error("the file is {what}, which intake does not read; save it as XLSX, ODS or CSV")]
    NotSupported {
        /// What the file is, e.g. `a binary Excel workbook (.xlsb)`.
        what: &'static str,
    },

    /// The workbook is password-protected (S8).
    #[error("the workbook is encrypted; save it without a password and try again")]
    Encrypted,

    /// A part of the workbook decompresses to more than [`crate::Limits::max_unzipped_bytes`] (S1).
    #[error(
        "the workbook's part `{part}` decompresses to more than the limit ({} bytes for the whole workbook); the file may be a zip bomb; raise --max-unzipped-mb if it is genuine",
        thousands(*limit)
    )]
    Unzipped {
        /// The zip entry.
        part: String,
        /// The limit in bytes.
        limit: u64,
    },

    /// A part of the workbook is compressed more than [`crate::Limits::max_zip_ratio`] (S2).
    #[error(
        "the workbook's part `{part}` is compressed {ratio} to 1, more than the limit ({limit} to 1); the file may be a zip bomb; raise --max-zip-ratio if it is genuine"
    )]
    ZipRatio {
        /// The zip entry.
        part: String,
        /// Its ratio, decompressed to compressed.
        ratio: u64,
        /// The limit.
        limit: u64,
    },

    /// An XML part declares a DTD or entities (S5): never expanded, never fetched.
    #[error(
        "the workbook's part `{part}` declares a DTD or entities; XML with DTD/entities is not allowed (a workbook saved by a spreadsheet program never has them)"
    )]
    XmlEntities {
        /// The zip entry.
        part: String,
    },

    /// The workbook is damaged: a broken zip, a missing part, bad XML (S7).
    #[error(
        "the workbook is damaged: {detail}; open it in a spreadsheet program and save it again"
    )]
    Damaged {
        /// What the reader found.
        detail: String,
    },

    /// The sheet asked for is not in the workbook.
    #[error("the workbook has no sheet `{name}`; its sheets: {available}")]
    NoSuchSheet {
        /// The name asked for.
        name: String,
        /// The sheets, with their visibility.
        available: String,
    },

    /// The workbook has no visible worksheet to read by default (S10).
    #[error(
        "the workbook has no visible worksheet; choose one with --sheet; its sheets: {available}"
    )]
    NoVisibleSheet {
        /// The sheets, with their visibility.
        available: String,
    },

    /// The sheet read has no cells (S10).
    #[error("the sheet `{name}` is empty - no header row; the workbook's sheets: {available}")]
    EmptySheet {
        /// The sheet read.
        name: String,
        /// The sheets, with their visibility.
        available: String,
    },

    /// `--sheet` was given for a CSV file.
    #[error("--sheet applies to workbooks (XLSX, XLS, ODS), and this file is CSV")]
    SheetOfCsv,

    /// The spreadsheet reader failed inside (a panic caught at the reader boundary, F12).
    #[error(
        "the {format} reader failed on this file, which is probably damaged; it could not be read"
    )]
    ReaderFailed {
        /// `xlsx`, `xls` or `ods`.
        format: &'static str,
    },
}

impl ReadError {
    /// A stable snake_case code for the API and reports.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io(_) => "io",
            Self::Empty => "empty_file",
            Self::NotText { .. } => "not_text",
            Self::Utf16WithoutBom => "utf16_without_bom",
            Self::InvalidEncoding { .. } => "invalid_encoding",
            Self::UnclosedQuote { .. } => "unclosed_quote",
            Self::CellTooLong { .. } => "cell_too_long",
            Self::TooManyColumns { .. } => "too_many_columns",
            Self::TooManyRows { .. } => "too_many_rows",
            Self::TooLarge { .. } => "file_too_large",
            Self::InvalidDelimiter { .. } => "invalid_delimiter",
            Self::NotSupported { .. } => "format_not_supported",
            Self::Encrypted => "encrypted_workbook",
            Self::Unzipped { .. } => "unzipped_too_large",
            Self::ZipRatio { .. } => "zip_ratio",
            Self::XmlEntities { .. } => "xml_entities",
            Self::Damaged { .. } => "damaged_workbook",
            Self::NoSuchSheet { .. } => "no_such_sheet",
            Self::NoVisibleSheet { .. } => "no_visible_sheet",
            Self::EmptySheet { .. } => "empty_sheet",
            Self::SheetOfCsv => "sheet_of_csv",
            Self::ReaderFailed { .. } => "reader_failed",
        }
    }

    /// The row the error is about, if it is about one.
    pub fn row(&self) -> Option<RowNumber> {
        match self {
            Self::InvalidEncoding { row, .. }
            | Self::UnclosedQuote { row, .. }
            | Self::CellTooLong { row, .. }
            | Self::TooManyColumns { row, .. } => Some(*row),
            _ => None,
        }
    }
}

fn cell_too_long(row: RowNumber, column: usize, limit: usize, open_quote: bool) -> String {
    let mut message = format!(
        "cell at row {row}, column {} is longer than the limit ({} characters)",
        column + 1,
        thousands(limit as u64)
    );
    if open_quote {
        message.push_str(&format!(
            "; it starts with a quote at row {row} that may never be closed"
        ));
    }
    message
}
