//! The validation report: problems, warnings and column judgements.
//!
//! Bad data is data: a bad cell is a [`Problem`] in a [`ValidationReport`], never an `Err`.
//! Every problem has a stable snake_case [`ProblemCode`] from one table, used by the CLI, the
//! JSON output, the response files and the docs.

use std::fmt;

use serde::Serialize;

use crate::RowNumber;

macro_rules! codes {
    ($($variant:ident => $code:literal, $doc:literal;)*) => {
        /// Stable codes of problems and warnings. Never renamed: scripts depend on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ProblemCode {
            $(#[doc = $doc] $variant,)*
        }

        impl ProblemCode {
            /// Every code, in table order.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant,)*];

            /// The snake_case code.
            pub fn as_str(self) -> &'static str {
                match self { $(ProblemCode::$variant => $code,)* }
            }

            /// What the code means, for the docs.
            pub fn summary(self) -> &'static str {
                match self { $(ProblemCode::$variant => $doc,)* }
            }

            /// The code with this snake_case name.
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($code => Some(ProblemCode::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    Required => "required", "a required field is empty in a row that creates a record";
    TooLong => "too_long", "text is longer than the field allows";
    TooShort => "too_short", "text is shorter than the field requires";
    PatternMismatch => "pattern_mismatch", "text does not have the required form";
    CharsetViolation => "charset_violation", "text has characters outside the allowed set";
    ForbiddenCharacter => "forbidden_character", "text contains a character the field forbids";
    ControlCharacter => "control_character", "text contains an invisible control character";
    NulCharacter => "nul_character", "a cell contains a NUL byte";
    InvalidInteger => "invalid_integer", "not a whole number";
    IntegerHasDecimals => "integer_has_decimals", "a whole number was expected but the value has decimals";
    InvalidDecimal => "invalid_decimal", "not a number";
    TooManyDecimals => "too_many_decimals", "the number has more decimal places than the field keeps";
    OutOfRange => "out_of_range", "the number is below the minimum or above the maximum";
    InvalidDate => "invalid_date", "not a date in an accepted format";
    InvalidDatetime => "invalid_datetime", "not a date and time in an accepted format";
    InvalidBoolean => "invalid_boolean", "not one of true/false, t/f, yes/no, 1/0";
    InvalidEmail => "invalid_email", "not an e-mail address";
    InvalidPhone => "invalid_phone", "not a phone number";
    InvalidUrl => "invalid_url", "not an http(s) URL";
    UnknownCountry => "unknown_country", "not an ISO 3166-1 alpha-2 country code";
    UnknownSubdivision => "unknown_subdivision", "not an ISO 3166-2 subdivision code";
    UnknownCurrency => "unknown_currency", "not an ISO 4217 currency code";
    UnknownOption => "unknown_option", "not an option of the field's list";
    UnknownPath => "unknown_path", "not a path of the field's list";
    InvalidUuid => "invalid_uuid", "not a UUID";
    ModeMismatch => "mode_mismatch", "the row creates in update mode, or updates in create mode";
    InvalidLink => "invalid_link", "a link cell that cannot identify a record";
    DuplicateInFile => "duplicate_in_file", "a unique value appears in more than one row of the file";
    WrongFieldCount => "wrong_field_count", "the row has more or fewer cells than the header";
    TextAfterQuote => "text_after_quote", "text follows the closing quote of a quoted cell";
    MissingColumn => "missing_column", "the file has no column for a required field";
    DuplicateColumn => "duplicate_column", "two columns have the same header and feed the same field";
    EmptyHeader => "empty_header", "a column has data but no header";
    UnmappedColumn => "unmapped_column", "a column matches no field and is ignored";
    FuzzyMatch => "fuzzy_match", "a header was matched to a field by similarity; check it";
    ValuesBeyondHeader => "values_beyond_header", "cells to the right of the last header";
    AmbiguousColumn => "ambiguous_column", "a date or number column can be read in more than one way";
    AssumedEncoding => "assumed_encoding", "the file's encoding was guessed";
    NoDataRows => "no_data_rows", "the file has a header but no data rows";
    EmptyRows => "empty_rows", "rows whose cells are all empty were skipped";
    BlankRowsBeforeHeader => "blank_rows_before_header", "blank rows come before the header row";
    UnknownUuid => "unknown_uuid", "a filled UUID names no stored record";
    NotFound => "not_found", "the row updates, deletes or deactivates a record that does not exist";
    AlreadyExists => "already_exists", "in create mode, a record with the row's key exists already";
    UnknownLink => "unknown_link", "a link names a record that does not exist";
    DuplicateInStore => "duplicate_in_store", "a unique value is already used by another stored record";
    ConflictingUpdate => "conflicting_update", "two rows update the same record with different values";
    SharedFieldConflict => "shared_field_conflict", "rows set a field that linked records share to different values";
    ChangedSinceExport => "changed_since_export", "update sheet: the stored value is no longer the exported `[old]` value";
    InvalidAction => "invalid_action", "the action column holds something other than create, update, upsert, delete or deactivate";
    WriteFailed => "write_failed", "the database refused the row";
    ActionNotAllowed => "action_not_allowed", "the row deletes or deactivates a record, which this import may not do (it needs the manager role)";
    SpreadsheetError => "spreadsheet_error", "a spreadsheet cell holds an error value such as `#N/A` or `#DIV/0!`";
    HiddenRows => "hidden_rows", "the sheet has hidden rows (read unless --skip-hidden)";
    HiddenColumns => "hidden_columns", "the sheet has hidden columns (read unless --skip-hidden)";
    FilteredRows => "filtered_rows", "an active filter hides rows of the sheet (read unless --skip-hidden)";
    MergedCells => "merged_cells", "merged cells: the value is in the top-left cell only";
    SheetChosen => "sheet_chosen", "which sheet of the workbook was read";
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ProblemCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A file column as the user sees it: its position and its header as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// 0-based position in the file.
    pub index: usize,
    /// The header cell exactly as written.
    pub header: String,
}

impl Column {
    /// The spreadsheet letter of the column: A, B, ..., Z, AA, ...
    pub fn letter(&self) -> String {
        column_letter(self.index)
    }
}

/// A count as people read it: `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The spreadsheet letter of a 0-based column index.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + u8::try_from(rem).unwrap_or(0));
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// One problem: a cell, a row or the file that cannot be imported as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The row as the spreadsheet numbers it (header = 1).
    pub row: RowNumber,
    /// The column, when the problem is in one.
    pub column: Option<Column>,
    /// The field the column feeds, when known.
    pub field: Option<String>,
    /// The offending value as written (may be shortened for very long cells).
    pub value: String,
    /// Stable code.
    pub code: ProblemCode,
    /// What is wrong and what would be accepted, in words.
    pub message: String,
}

impl Problem {
    /// The longest value kept in a problem; longer values are cut with `...`.
    pub const MAX_VALUE_CHARS: usize = 200;

    /// Shortens a value for display in a report.
    pub fn clip(value: &str) -> String {
        if value.len() <= Self::MAX_VALUE_CHARS {
            return value.to_string();
        }
        let mut out: String = value.chars().take(Self::MAX_VALUE_CHARS).collect();
        if out.len() < value.len() {
            out.push_str("...");
        }
        out
    }
}

/// Something the user should know that does not stop the import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The row, when the warning is about one (header = 1).
    pub row: Option<RowNumber>,
    /// The column, when the warning is about one.
    pub column: Option<Column>,
    /// Stable code.
    pub code: ProblemCode,
    /// In words.
    pub message: String,
}

/// How an ambiguous date or number column was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Judgement {
    /// The column judged.
    pub column: Column,
    /// The field it feeds.
    pub field: String,
    /// Each reading with the number of non-empty cells that fit only it.
    pub readings: Vec<Reading>,
    /// Cells that fit every reading.
    pub fit_all: u64,
    /// The reading chosen.
    pub chosen: String,
    /// Why it was chosen.
    pub reason: String,
}

/// One way to read a column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reading {
    /// E.g. `DD/MM/YYYY (day-first)`.
    pub name: String,
    /// Non-empty cells that fit this reading and not the others.
    pub only: u64,
}

/// Everything validation found in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationReport {
    /// Data rows read (blank rows excluded).
    pub rows: u64,
    /// Rows that would create a record (empty or absent UUID).
    pub new_rows: u64,
    /// Rows that would update a record (UUID filled).
    pub existing_rows: u64,
    /// Rows with at least one problem.
    pub failed_rows: u64,
    /// Of those, rows that would have created a record.
    pub failed_new_rows: u64,
    /// Every problem, by row then column.
    pub problems: Vec<Problem>,
    /// Warnings, by row.
    pub warnings: Vec<Warning>,
    /// How ambiguous columns were read.
    pub judgements: Vec<Judgement>,
    /// Judged columns read the other way than the locale's (an import that assumed the
    /// locale's reading while writing must run again with these).
    #[serde(skip)]
    pub second_readings: Vec<crate::judge::Readings>,
}

impl ValidationReport {
    /// Whether nothing stops the import.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// Rows that would create a record: new rows without problems.
    pub fn would_create(&self) -> u64 {
        self.new_rows.saturating_sub(self.failed_new_rows)
    }

    /// Rows that would update a record: existing rows without problems.
    pub fn would_update(&self) -> u64 {
        let failed_existing = self.failed_rows.saturating_sub(self.failed_new_rows);
        self.existing_rows.saturating_sub(failed_existing)
    }

    /// Problem counts per (column header, code), most frequent first.
    pub fn counts(&self) -> Vec<(String, ProblemCode, u64)> {
        let mut map: std::collections::BTreeMap<(String, ProblemCode), u64> = Default::default();
        for p in &self.problems {
            let col = p
                .column
                .as_ref()
                .map_or_else(|| "(row)".to_string(), |c| c.header.clone());
            *map.entry((col, p.code)).or_default() += 1;
        }
        let mut v: Vec<_> = map.into_iter().map(|((c, k), n)| (c, k, n)).collect();
        v.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

/// Renders a problem as one sentence: `row 12, column `Email` (D): ...`.
pub fn render(p: &Problem) -> String {
    let mut out = format!("row {}", p.row);
    if let Some(c) = &p.column {
        out.push_str(&format!(
            ", column `{}` ({})",
            display_header(&c.header),
            c.letter()
        ));
    }
    out.push_str(": ");
    out.push_str(&p.message);
    out
}

/// A header as it can be shown on one line (newlines and tabs made visible).
pub fn display_header(h: &str) -> String {
    h.replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_follow_spreadsheets() {
        let l = |i| column_letter(i);
        assert_eq!(
            [
                l(0),
                l(1),
                l(25),
                l(26),
                l(27),
                l(51),
                l(52),
                l(701),
                l(702)
            ],
            ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]
        );
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234), "1,234");
        assert_eq!(thousands(32_767), "32,767");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(2_147_483_648), "2,147,483,648");
    }

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in ProblemCode::ALL {
            let s = c.as_str();
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{s}");
            assert!(seen.insert(s), "{s} twice");
            assert_eq!(ProblemCode::from_name(s), Some(*c));
        }
    }

    #[test]
    fn problems_render_as_one_sentence() {
        let p = Problem {
            row: RowNumber::new(12),
            column: Some(Column {
                index: 3,
                header: "E-mail\naddress".into(),
            }),
            field: Some("email".into()),
            value: "a@b".into(),
            code: ProblemCode::InvalidEmail,
            message: "`a@b` is not an e-mail address: the domain needs a dot".into(),
        };
        insta::assert_snapshot!(render(&p), @"row 12, column `E-mail\\naddress` (D): `a@b` is not an e-mail address: the domain needs a dot");
    }

    #[test]
    fn long_values_are_clipped() {
        let v = "x".repeat(1000);
        let c = Problem::clip(&v);
        assert_eq!(c.len(), Problem::MAX_VALUE_CHARS + 3);
        assert_eq!(Problem::clip("short"), "short");
    }
}
