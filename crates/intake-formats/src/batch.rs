//! Records of text cells, many to one reusable buffer.
//!
//! A reader fills a [`RecordBatch`]; the caller reads it through [`RecordRef`]s and hands the
//! batch back to be cleared and refilled. All cell text of a batch lives in one `String`, so
//! reading a million rows allocates a handful of times, not once per cell, and a batch is a
//! few plain vectors: cheap to send to another thread.

use intake_core::RowNumber;

/// Something about one cell worth telling the user that did not stop the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CellIssue {
    /// The cell's 0-based column index within its record.
    pub column: usize,
    /// What was found.
    pub kind: CellIssueKind,
}

/// The kinds of [`CellIssue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CellIssueKind {
    /// Text follows the closing quote of a quoted cell (`"abc"def`): the cell holds the quoted
    /// part followed by the rest (`abcdef`), as most CSV readers do, but it is probably not what
    /// the writer of the file meant.
    TextAfterClosingQuote,
    /// A quote in the middle of an unquoted cell (`37°36'37.8"N`), read literally; common in
    /// real data, informational only.
    QuoteInUnquotedField,
    /// The cell contains a NUL character, which databases cannot store; the text is kept as is.
    Nul,
    /// A spreadsheet cell holds an error value (`#N/A`, `#DIV/0!`, ...): the text is the error
    /// as the spreadsheet shows it, and it is not a value.
    SpreadsheetError,
}

impl CellIssueKind {
    /// A stable snake_case code for reports and the API.
    pub const fn code(self) -> &'static str {
        match self {
            Self::TextAfterClosingQuote => "text_after_closing_quote",
            Self::QuoteInUnquotedField => "quote_in_unquoted_cell",
            Self::Nul => "nul_character",
            Self::SpreadsheetError => "spreadsheet_error",
        }
    }

    /// What is wrong, for a user; lower case, no final period.
    pub const fn message(self) -> &'static str {
        match self {
            Self::TextAfterClosingQuote => {
                "text follows the closing quote of a quoted cell; the text after the quote was kept"
            }
            Self::QuoteInUnquotedField => "a quote inside a cell that does not start with one",
            Self::Nul => "the cell contains a NUL character, which cannot be stored",
            Self::SpreadsheetError => "the cell holds a spreadsheet error value, not a value",
        }
    }
}

/// Where one record sits in a batch's buffers.
#[derive(Debug, Clone, Copy)]
struct RecordMeta {
    row: RowNumber,
    /// Index in `cell_ends` of the record's first cell.
    first_cell: usize,
    /// Index in `issues` of the record's first issue.
    first_issue: usize,
}

/// Many records in one reusable buffer, cheap to send to another thread.
///
/// Records are in file order; blank lines are never records, but they do count in the row
/// numbers.
#[derive(Debug, Clone, Default)]
pub struct RecordBatch {
    /// The text of every cell, one after the other.
    pub(crate) text: String,
    /// The end offset in `text` of every cell; a cell starts where the one before it ends.
    pub(crate) cell_ends: Vec<usize>,
    records: Vec<RecordMeta>,
    pub(crate) issues: Vec<CellIssue>,
    /// Where the record being built begins, until it is pushed.
    open_cells: usize,
    open_issues: usize,
}

impl RecordBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Removes every record, keeping the allocated memory for the next batch.
    pub fn clear(&mut self) {
        self.text.clear();
        self.cell_ends.clear();
        self.records.clear();
        self.issues.clear();
        self.open_cells = 0;
        self.open_issues = 0;
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The `i`-th record (0-based within the batch).
    pub fn get(&self, i: usize) -> Option<RecordRef<'_>> {
        (i < self.len()).then(|| self.record(i))
    }

    /// The records in file order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = RecordRef<'_>> + '_ {
        (0..self.len()).map(|i| self.record(i))
    }

    /// The `i`-th record; `i` must be below `len()`.
    fn record(&self, i: usize) -> RecordRef<'_> {
        let meta = self.records[i];
        let (cells_end, issues_end) = match self.records.get(i + 1) {
            Some(next) => (next.first_cell, next.first_issue),
            None => (self.open_cells, self.open_issues),
        };
        let text_start = match meta.first_cell.checked_sub(1) {
            Some(prev) => self.cell_ends[prev],
            None => 0,
        };
        RecordRef {
            text: &self.text,
            text_start,
            cell_ends: &self.cell_ends[meta.first_cell..cells_end],
            issues: &self.issues[meta.first_issue..issues_end],
            row: meta.row,
        }
    }

    /// The row number of the last record, if any.
    pub fn last_row(&self) -> Option<RowNumber> {
        self.records.last().map(|m| m.row)
    }

    /// Ends the record whose cells and issues were pushed since the previous one.
    pub(crate) fn push_record(&mut self, row: RowNumber) {
        self.records.push(RecordMeta {
            row,
            first_cell: self.open_cells,
            first_issue: self.open_issues,
        });
        self.open_cells = self.cell_ends.len();
        self.open_issues = self.issues.len();
    }

    /// Drops the cells and issues of a record that was never finished (after an error), so
    /// the batch holds only whole records.
    pub(crate) fn drop_open_record(&mut self) {
        let text_end = match self.open_cells.checked_sub(1) {
            Some(prev) => self.cell_ends[prev],
            None => 0,
        };
        self.text.truncate(text_end);
        self.cell_ends.truncate(self.open_cells);
        self.issues.truncate(self.open_issues);
    }

    /// The issues of the record being built.
    pub(crate) fn open_issues(&self) -> &[CellIssue] {
        &self.issues[self.open_issues..]
    }

    /// Notes an issue about a cell of the record being built (before [`Self::push`]).
    pub(crate) fn push_issue(&mut self, issue: CellIssue) {
        self.issues.push(issue);
    }

    /// Appends a record from cells, for tests and readers that build records one by one.
    pub fn push<'s>(&mut self, row: RowNumber, cells: impl IntoIterator<Item = &'s str>) {
        for cell in cells {
            self.text.push_str(cell);
            self.cell_ends.push(self.text.len());
        }
        self.push_record(row);
    }
}

/// One record of a [`RecordBatch`]: its row number, its cells and their issues.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    text: &'a str,
    text_start: usize,
    cell_ends: &'a [usize],
    issues: &'a [CellIssue],
    row: RowNumber,
}

impl<'a> RecordRef<'a> {
    /// The row number as a spreadsheet shows it (header = 1, blank lines counted).
    pub fn row(&self) -> RowNumber {
        self.row
    }

    /// The number of cells; records may differ (ragged rows are the caller's to report).
    pub fn len(&self) -> usize {
        self.cell_ends.len()
    }

    /// Whether the record has no cells (never true for records from the CSV reader).
    pub fn is_empty(&self) -> bool {
        self.cell_ends.is_empty()
    }

    /// The text of the `i`-th cell (0-based), exactly as in the file: never trimmed.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let end = *self.cell_ends.get(i)?;
        let start = match i.checked_sub(1) {
            Some(prev) => self.cell_ends[prev],
            None => self.text_start,
        };
        self.text.get(start..end)
    }

    /// The cells in column order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let record = *self;
        (0..self.len()).map(move |i| record.get(i).unwrap_or_default())
    }

    /// The cells as owned strings, for tests and error messages.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }

    /// The issues of this record's cells, by column.
    pub fn issues(&self) -> &'a [CellIssue] {
        self.issues
    }
}
