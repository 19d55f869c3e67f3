//! The CSV state machine: RFC 4180 plus reality, over decoded text, with no I/O.
//!
//! Why not the `csv` crate: it merges the rest of the file into one cell on an unclosed quote
//! (C4), silently returns `abcdef` for `12,"abc"def` (C5) and skips blank lines without
//! counting them, which shifts every row number after them. This tokenizer reports all three
//! and numbers rows as a spreadsheet does. On well-formed input it yields exactly the records
//! `csv::Reader` yields (a differential property test holds it to that).
//!
//! It is fed `&str` chunks of any size and can stop and resume at any byte, so a cell or a
//! `\r\n` may straddle two chunks. Cell text goes straight into a [`RecordBatch`] buffer: one
//! `push_str` per cell in the common case, no allocation per cell. Every byte it stops at is
//! ASCII (delimiter, quote, CR, LF, NUL), and ASCII bytes never occur inside a UTF-8
//! multi-byte sequence, so every slice it takes falls on a character boundary.

use intake_core::RowNumber;

use crate::batch::{CellIssue, CellIssueKind, RecordBatch};
use crate::error::ReadError;
use crate::limits::Limits;

/// Where in the grammar the tokenizer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a line: nothing of a record read yet.
    RecordStart,
    /// Just after a `\r` that ended a line: a `\n` here belongs to the same line ending.
    AfterCr,
    /// At the start of a cell inside a record.
    FieldStart,
    /// Inside a cell that did not start with a quote.
    Unquoted,
    /// Inside a quoted cell.
    Quoted,
    /// Just after a quote inside a quoted cell: a second quote is a literal one, anything else
    /// follows the closing quote.
    QuoteInQuoted,
}

/// Why [`Tokenizer::feed`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fed {
    /// The whole chunk was consumed.
    NeedInput,
    /// The batch holds `max_records` records; the rest of the chunk is for the next batch.
    BatchFull,
}

/// How many line endings of each kind ended a line outside quotes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LineEndingCounts {
    pub(crate) lf: u64,
    pub(crate) crlf: u64,
    pub(crate) cr: u64,
}

/// The CSV state machine; see the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct Tokenizer {
    delimiter: u8,
    /// The bytes that end a run of ordinary cell text outside quotes.
    special: [bool; 256],
    max_rows: u64,
    max_columns: usize,
    max_cell_chars: usize,
    /// A cell longer than this in bytes is certainly longer than `max_cell_chars` characters.
    max_cell_bytes: usize,
    state: State,
    /// The row number the next line will get.
    next_row: u64,
    /// The row number of the record being read.
    record_row: u64,
    /// The number of cells of the current record ended so far = the current column index.
    field: usize,
    /// Where the current cell's text begins in the batch.
    cell_start: usize,
    /// Records ended so far.
    records: u64,
    pub(crate) line_endings: LineEndingCounts,
}

impl Tokenizer {
    /// A tokenizer splitting cells at `delimiter`, which must be ASCII and neither a quote nor
    /// a line break (the reader checks).
    pub(crate) fn new(delimiter: u8, limits: &Limits) -> Self {
        debug_assert!(delimiter.is_ascii() && !matches!(delimiter, b'"' | b'\r' | b'\n'));
        let mut special = [false; 256];
        for b in [delimiter, b'"', b'\r', b'\n', 0] {
            special[usize::from(b)] = true;
        }
        Self {
            delimiter,
            special,
            max_rows: limits.max_rows,
            max_columns: limits.max_columns,
            max_cell_chars: limits.max_cell_chars,
            max_cell_bytes: limits.max_cell_chars.saturating_mul(4),
            state: State::RecordStart,
            next_row: 1,
            record_row: 1,
            field: 0,
            cell_start: 0,
            records: 0,
            line_endings: LineEndingCounts::default(),
        }
    }

    /// Records ended so far (blank lines are not records).
    pub(crate) fn records(&self) -> u64 {
        self.records
    }

    /// The row and 0-based column of the next byte to be read, for errors about it.
    pub(crate) fn position(&self) -> (RowNumber, usize) {
        match self.state {
            State::RecordStart | State::AfterCr => (RowNumber::new(self.next_row), 0),
            _ => (RowNumber::new(self.record_row), self.field),
        }
    }

    /// Reads `text[*pos..]` into `batch`, advancing `*pos`, until the chunk is consumed or the
    /// batch holds `max_records` records. A record that straddles the chunk end stays open
    /// (its cells so far in `batch`) until the next chunk ends it. After an error `*pos` is
    /// left as it was: an error ends the reading.
    pub(crate) fn feed(
        &mut self,
        text: &str,
        pos: &mut usize,
        batch: &mut RecordBatch,
        max_records: usize,
    ) -> Result<Fed, ReadError> {
        let bytes = text.as_bytes();
        let special = self.special;
        let mut i = *pos;
        loop {
            let Some(&b) = bytes.get(i) else {
                *pos = i;
                return Ok(Fed::NeedInput);
            };
            match self.state {
                State::RecordStart => {
                    if batch.len() >= max_records {
                        *pos = i;
                        return Ok(Fed::BatchFull);
                    }
                    if b == b'\n' {
                        // A blank line: never a record, but a row all the same.
                        self.next_row += 1;
                        self.line_endings.lf += 1;
                        i += 1;
                    } else if b == b'\r' {
                        self.next_row += 1;
                        self.state = State::AfterCr;
                        i += 1;
                    } else {
                        self.begin_record()?;
                        self.state = State::FieldStart;
                    }
                }
                State::AfterCr => {
                    if b == b'\n' {
                        self.line_endings.crlf += 1;
                        i += 1;
                    } else {
                        self.line_endings.cr += 1;
                    }
                    self.state = State::RecordStart;
                }
                State::FieldStart => {
                    self.cell_start = batch.text.len();
                    if b == b'"' {
                        self.state = State::Quoted;
                        i += 1;
                    } else {
                        self.state = State::Unquoted;
                    }
                }
                State::Unquoted => i = self.unquoted_cells(text, i, batch, &special)?,
                State::Quoted => match memchr::memchr2(b'"', 0, &bytes[i..]) {
                    None => {
                        self.append(batch, &text[i..])?;
                        i = bytes.len();
                    }
                    Some(n) => {
                        self.append(batch, &text[i..i + n])?;
                        i += n;
                        if bytes[i] == b'"' {
                            self.state = State::QuoteInQuoted;
                        } else {
                            self.push_issue(batch, CellIssueKind::Nul);
                            self.append(batch, "\0")?;
                        }
                        i += 1;
                    }
                },
                State::QuoteInQuoted => {
                    if b == b'"' {
                        // `""` inside quotes is one literal quote.
                        self.append(batch, "\"")?;
                        self.state = State::Quoted;
                        i += 1;
                    } else if b == self.delimiter || b == b'\n' || b == b'\r' {
                        i += 1;
                        self.end_cell_at(b, batch)?;
                    } else {
                        // `"abc"def`: keep the text, as other readers do, but say so.
                        self.push_issue(batch, CellIssueKind::TextAfterClosingQuote);
                        self.state = State::Unquoted;
                    }
                }
            }
        }
    }

    /// Reads unquoted cells from `i` on, one after the other, for as long as they come: the
    /// hot loop. Returns where it stopped, with `state` set for what comes next.
    #[inline(always)]
    fn unquoted_cells(
        &mut self,
        text: &str,
        mut i: usize,
        batch: &mut RecordBatch,
        special: &[bool; 256],
    ) -> Result<usize, ReadError> {
        let bytes = text.as_bytes();
        loop {
            let start = i;
            // The end of a run of ordinary text, with a table lookup per byte (cells are short,
            // so memchr's set-up would not pay off).
            let stop = loop {
                match bytes[i..].iter().position(|&c| special[usize::from(c)]) {
                    None => {
                        i = bytes.len();
                        break None;
                    }
                    Some(k) => {
                        i += k;
                        let c = bytes[i];
                        if c == self.delimiter || c == b'\n' || c == b'\r' {
                            break Some(c);
                        }
                        let kind = if c == b'"' {
                            CellIssueKind::QuoteInUnquotedField
                        } else {
                            CellIssueKind::Nul
                        };
                        self.push_issue(batch, kind);
                        i += 1;
                    }
                }
            };
            self.append(batch, &text[start..i])?;
            let Some(c) = stop else {
                return Ok(i); // the cell goes on in the next chunk
            };
            i += 1;
            self.end_cell_at(c, batch)?;
            if c != self.delimiter {
                return Ok(i);
            }
            // The next cell, without a trip through the state dispatch.
            self.cell_start = batch.text.len();
            match bytes.get(i) {
                Some(b'"') => {
                    self.state = State::Quoted;
                    return Ok(i + 1);
                }
                Some(_) => self.state = State::Unquoted,
                None => return Ok(i), // `FieldStart`, set by `end_cell_at`
            }
        }
    }

    /// Ends the input: ends an open record, or reports the quote that never closed.
    pub(crate) fn finish(&mut self, batch: &mut RecordBatch) -> Result<(), ReadError> {
        match self.state {
            State::RecordStart => Ok(()),
            State::AfterCr => {
                self.line_endings.cr += 1;
                self.state = State::RecordStart;
                Ok(())
            }
            State::FieldStart | State::Unquoted | State::QuoteInQuoted => {
                self.end_field(batch)?;
                self.end_record(batch)?;
                self.state = State::RecordStart;
                Ok(())
            }
            State::Quoted => Err(ReadError::UnclosedQuote {
                row: RowNumber::new(self.record_row),
                column: self.field,
            }),
        }
    }

    fn begin_record(&mut self) -> Result<(), ReadError> {
        self.record_row = self.next_row;
        self.next_row += 1;
        self.field = 0;
        if self.record_row > self.max_rows {
            return Err(ReadError::TooManyRows {
                limit: self.max_rows,
            });
        }
        Ok(())
    }

    /// Ends the current cell at `c`, a delimiter, `\n` or `\r` just consumed.
    #[inline(always)]
    fn end_cell_at(&mut self, c: u8, batch: &mut RecordBatch) -> Result<(), ReadError> {
        self.end_field(batch)?;
        if c == self.delimiter {
            self.state = State::FieldStart;
        } else {
            self.end_record(batch)?;
            if c == b'\n' {
                self.line_endings.lf += 1;
                self.state = State::RecordStart;
            } else {
                self.state = State::AfterCr;
            }
        }
        Ok(())
    }

    /// Appends text to the current cell, failing before the buffer grows past what the cell
    /// length limit allows.
    #[inline(always)]
    fn append(&self, batch: &mut RecordBatch, s: &str) -> Result<(), ReadError> {
        let len = batch.text.len() - self.cell_start + s.len();
        if len > self.max_cell_bytes {
            return Err(self.cell_too_long());
        }
        batch.text.push_str(s);
        Ok(())
    }

    #[inline(always)]
    fn end_field(&mut self, batch: &mut RecordBatch) -> Result<(), ReadError> {
        let len = batch.text.len() - self.cell_start;
        // Counting characters only when the bytes could be too many keeps this off the hot path.
        if len > self.max_cell_chars
            && batch
                .text
                .get(self.cell_start..)
                .is_some_and(|cell| cell.chars().count() > self.max_cell_chars)
        {
            return Err(self.cell_too_long());
        }
        if self.field < self.max_columns {
            batch.cell_ends.push(batch.text.len());
        } else {
            // Past the column limit: count the cells (for the error) but keep nothing, so a
            // line of a million delimiters cannot grow memory.
            batch.text.truncate(self.cell_start);
        }
        self.field += 1;
        Ok(())
    }

    #[inline(always)]
    fn end_record(&mut self, batch: &mut RecordBatch) -> Result<(), ReadError> {
        if self.field > self.max_columns {
            return Err(ReadError::TooManyColumns {
                row: RowNumber::new(self.record_row),
                found: self.field,
                limit: self.max_columns,
            });
        }
        batch.push_record(RowNumber::new(self.record_row));
        self.records += 1;
        Ok(())
    }

    fn cell_too_long(&self) -> ReadError {
        ReadError::CellTooLong {
            row: RowNumber::new(self.record_row),
            column: self.field,
            limit: self.max_cell_chars,
            open_quote: self.state == State::Quoted,
        }
    }

    /// Notes an issue for the current cell, once per cell and kind.
    #[cold]
    fn push_issue(&self, batch: &mut RecordBatch, kind: CellIssueKind) {
        let column = self.field;
        let seen = batch
            .open_issues()
            .iter()
            .rev()
            .take_while(|issue| issue.column == column)
            .any(|issue| issue.kind == kind);
        if !seen {
            batch.issues.push(CellIssue { column, kind });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `chunks` one after the other and returns `(row, cells)` per record, or the error.
    fn parse_chunks(chunks: &[&str], limits: &Limits) -> Result<Vec<(u64, Vec<String>)>, String> {
        let mut tokenizer = Tokenizer::new(b',', limits);
        let mut batch = RecordBatch::new();
        for chunk in chunks {
            let mut pos = 0;
            let fed = tokenizer
                .feed(chunk, &mut pos, &mut batch, usize::MAX)
                .map_err(|e| e.to_string())?;
            assert_eq!(fed, Fed::NeedInput);
            assert_eq!(pos, chunk.len());
        }
        tokenizer.finish(&mut batch).map_err(|e| e.to_string())?;
        Ok(batch.iter().map(|r| (r.row().get(), r.to_vec())).collect())
    }

    fn parse(input: &str) -> Vec<(u64, Vec<String>)> {
        parse_chunks(&[input], &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn rec(row: u64, cells: &[&str]) -> (u64, Vec<String>) {
        (row, cells.iter().map(|c| (*c).to_owned()).collect())
    }

    #[test]
    fn simple_records() {
        assert_eq!(
            parse("a,b\n1,2\n"),
            vec![rec(1, &["a", "b"]), rec(2, &["1", "2"])]
        );
    }

    #[test]
    fn last_record_without_line_ending() {
        assert_eq!(
            parse("a,b\n1,"),
            vec![rec(1, &["a", "b"]), rec(2, &["1", ""])]
        );
    }

    #[test]
    fn blank_lines_count_as_rows() {
        assert_eq!(
            parse("\n\r\n\ra\n\nb\r\n"),
            vec![rec(4, &["a"]), rec(6, &["b"])]
        );
    }

    #[test]
    fn quoted_cells() {
        assert_eq!(
            parse("\"a,b\",\"say \"\"hi\"\"\",\"x\r\ny\"\nnext\n"),
            vec![rec(1, &["a,b", "say \"hi\"", "x\r\ny"]), rec(2, &["next"])]
        );
    }

    #[test]
    fn every_split_point_gives_the_same_records() {
        let input = "h1,\"h\r\n2\"\r\n\r\n\"a\"\"b\",c\rd,\"e\"f\n,\n";
        let whole = parse(input);
        for split in 0..=input.len() {
            let (a, b) = input.split_at(split);
            assert_eq!(
                parse_chunks(&[a, b], &Limits::default()),
                Ok(whole.clone()),
                "{split}"
            );
        }
    }

    #[test]
    fn batch_full_stops_at_record_boundaries() {
        let mut tokenizer = Tokenizer::new(b',', &Limits::default());
        let mut batch = RecordBatch::new();
        let text = "a\nb\nc\n";
        let mut pos = 0;
        let fed = tokenizer.feed(text, &mut pos, &mut batch, 2);
        assert_eq!(fed.ok(), Some(Fed::BatchFull));
        assert_eq!(batch.len(), 2);
        batch.clear();
        let fed = tokenizer.feed(text, &mut pos, &mut batch, 2);
        assert_eq!(fed.ok(), Some(Fed::NeedInput));
        assert_eq!(
            batch.get(0).map(|r| (r.row().get(), r.to_vec())),
            Some(rec(3, &["c"]))
        );
    }

    #[test]
    fn issues_once_per_cell_and_kind() {
        let mut tokenizer = Tokenizer::new(b',', &Limits::default());
        let mut batch = RecordBatch::new();
        let mut pos = 0;
        let text = "a\"b\"c,\"x\"y\"z,\0\0\n";
        let fed = tokenizer.feed(text, &mut pos, &mut batch, usize::MAX);
        assert_eq!(fed.ok(), Some(Fed::NeedInput));
        let record = batch.get(0).expect("one record");
        assert_eq!(record.to_vec(), vec!["a\"b\"c", "xy\"z", "\0\0"]);
        assert_eq!(
            record.issues(),
            &[
                CellIssue {
                    column: 0,
                    kind: CellIssueKind::QuoteInUnquotedField
                },
                CellIssue {
                    column: 1,
                    kind: CellIssueKind::TextAfterClosingQuote
                },
                CellIssue {
                    column: 1,
                    kind: CellIssueKind::QuoteInUnquotedField
                },
                CellIssue {
                    column: 2,
                    kind: CellIssueKind::Nul
                },
            ]
        );
    }

    #[test]
    fn unclosed_quote_names_the_row_where_it_opened() {
        let result = parse_chunks(&["a,b\n1,\"open\n3,4\n"], &Limits::default());
        assert_eq!(
            result,
            Err("unclosed quote starting at row 2, column 2: the quoted cell never ends, so the rest of the file would be read into it".to_owned())
        );
    }

    #[test]
    fn column_limit_counts_all_cells() {
        let limits = Limits {
            max_columns: 3,
            ..Limits::default()
        };
        assert_eq!(
            parse_chunks(&["a,b,c\n1,2,3,4,5\n"], &limits),
            Err("row 2 has 5 columns, more than the limit (3)".to_owned())
        );
    }

    #[test]
    fn cell_limit_is_in_characters() {
        let limits = Limits {
            max_cell_chars: 3,
            ..Limits::default()
        };
        assert_eq!(
            parse_chunks(&["ééé,abc\n"], &limits).map(|r| r.len()),
            Ok(1)
        );
        assert_eq!(
            parse_chunks(&["abc,éééé\n"], &limits),
            Err("cell at row 1, column 2 is longer than the limit (3 characters)".to_owned())
        );
    }

    #[test]
    fn row_limit_counts_blank_lines() {
        let limits = Limits {
            max_rows: 2,
            ..Limits::default()
        };
        assert_eq!(
            parse_chunks(&["a\nb\n\n\n"], &limits).map(|r| r.len()),
            Ok(2)
        );
        assert_eq!(
            parse_chunks(&["a\n\nb\n"], &limits),
            Err("the file has more rows than the limit (2)".to_owned())
        );
    }
}
