//! Writing XLSX: templates, exports, response and success files.
//!
//! One sheet of records, written row by row in constant memory (each row goes to a temporary
//! file once the next begins, so a 100,000-row export holds one row at a time). Its header row
//! is bold, filled and frozen; required columns have a fill of their own; every header may carry
//! a note saying what the column expects. Typed columns get a cell format (dates as
//! `yyyy-mm-dd`, decimals with their places), and columns with a short list of values get a
//! dropdown whose options sit on a hidden `Lists` sheet, referenced by range: Excel refuses an
//! inline list longer than 255 characters, a range has no such limit. A workbook may end with
//! a second visible sheet of rows (a template's `Fields`).
//!
//! Text is always written as a string cell, never as a formula: `=1+1` stays text. A string
//! starting with `'` gets one more in front, because the importer strips one guard from cells
//! (see [`crate::unneutralise`]); so what is written reads back exactly.

use std::borrow::Cow;
use std::io::{self, Seek, Write};

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, ExcelDateTime, Format, FormatBorder, Formula,
    Note, Workbook, Worksheet, XlsxError,
};

use crate::sheet::value::number;

/// The name of the hidden sheet holding the dropdowns' options.
pub const LISTS_SHEET: &str = "Lists";

/// Excel's last row index (0-based).
const LAST_ROW: u32 = 1_048_575;

/// The fill of header cells.
const HEADER_FILL: u32 = 0xD9E1F2;
/// The fill of the header cells of required columns.
const REQUIRED_FILL: u32 = 0xF8CBAD;
/// The fill of cells with a problem (response files).
const PROBLEM_FILL: u32 = 0xFFC7CE;

/// What a column holds, for its cell format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColumnKind {
    /// Text (cell format `@`, so a typed `007` keeps its zeros).
    #[default]
    Text,
    /// Whole numbers (`0`).
    Integer,
    /// Numbers with this many decimal places (`0.00`).
    Decimal {
        /// Decimal places.
        scale: u32,
    },
    /// Dates (`yyyy-mm-dd`).
    Date,
    /// Dates and times (`yyyy-mm-dd hh:mm:ss`).
    DateTime,
    /// No cell format: a response or success file keeps what the user wrote.
    General,
}

/// One column of the records sheet.
#[derive(Debug, Clone, Default)]
pub struct XlsxColumn {
    /// The header, as written.
    pub header: String,
    /// The cell format of its cells.
    pub kind: ColumnKind,
    /// Whether the header is marked as required.
    pub required: bool,
    /// A note on the header cell (empty: none).
    pub note: String,
    /// The options of a dropdown (empty: no dropdown). Other values stay possible, after a
    /// warning: the importer accepts codes and other spellings too.
    pub options: Vec<String>,
}

/// One cell of a record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum XlsxCell<'a> {
    /// Nothing written.
    Empty,
    /// A string cell.
    Text(&'a str),
    /// A number cell.
    Number(f64),
    /// A date cell (year, month, day).
    Date(u16, u8, u8),
    /// A date-and-time cell (year, month, day, hour, minute, second).
    DateTime(u16, u8, u8, u8, u8, u8),
}

impl<'a> XlsxCell<'a> {
    /// The cell for text read from a file (a response or success file): a number cell when the
    /// text is a number as the workbook reader writes one (`12.5`, not `012.5` or `1e3`), a date
    /// cell for an ISO date (`2024-03-01`), otherwise a string. Read back by intake, each gives
    /// the same text.
    pub fn from_read_text(text: &'a str) -> Self {
        if text.is_empty() {
            return XlsxCell::Empty;
        }
        if let Some((y, m, d)) = iso_date(text) {
            return XlsxCell::Date(y, m, d);
        }
        if text.len() <= 17
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
            && let Ok(f) = text.parse::<f64>()
        {
            let mut again = String::new();
            number(f, &mut again);
            if again == text {
                return XlsxCell::Number(f);
            }
        }
        XlsxCell::Text(text)
    }
}

/// `YYYY-MM-DD` with a year Excel's 1900 date system shows without its 1900 leap-year bug.
pub fn iso_date(text: &str) -> Option<(u16, u8, u8)> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: u16 = text.get(..4)?.parse().ok()?;
    let m: u8 = text.get(5..7)?.parse().ok()?;
    let d: u8 = text.get(8..10)?.parse().ok()?;
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    ((1901..=9999).contains(&y) && (1..=days).contains(&d)).then_some((y, m, d))
}

/// A string as written to a string cell: with one more `'` in front when it starts with one,
/// so that the importer, which strips one guard, reads back the same text.
///
/// ```
/// use intake_formats::xlsx::sheet_text;
/// assert_eq!(sheet_text("=1+1"), "=1+1");
/// assert_eq!(sheet_text("'=x"), "''=x");
/// assert_eq!(intake_formats::unneutralise(&sheet_text("'quoted")), "'quoted");
/// ```
pub fn sheet_text(text: &str) -> Cow<'_, str> {
    if text.starts_with('\'') {
        crate::neutralise(text)
    } else {
        Cow::Borrowed(text)
    }
}

fn io_err(e: XlsxError) -> io::Error {
    io::Error::other(e)
}

/// The cell formats of one column: plain, and with a problem's fill.
#[derive(Debug, Clone)]
struct ColumnFormats {
    kind: ColumnKind,
    plain: Format,
    problem: Format,
}

impl ColumnFormats {
    fn new(kind: ColumnKind) -> Self {
        let plain = match number_format(kind) {
            Some(f) => Format::new().set_num_format(f),
            None => Format::new(),
        };
        let problem = plain.clone().set_background_color(Color::RGB(PROBLEM_FILL));
        Self {
            kind,
            plain,
            problem,
        }
    }

    fn get(&self, marked: bool) -> &Format {
        if marked { &self.problem } else { &self.plain }
    }
}

/// The formats cells are written with.
#[derive(Debug, Clone)]
struct Formats {
    columns: Vec<ColumnFormats>,
    general: ColumnFormats,
    date: ColumnFormats,
    datetime: ColumnFormats,
}

impl Formats {
    /// The format of a cell of column `i`: the column's, unless the cell is a date in a
    /// column of another kind.
    fn of(&self, i: usize, cell: &XlsxCell<'_>, marked: bool) -> &Format {
        let column = self.columns.get(i).unwrap_or(&self.general);
        let f = match cell {
            XlsxCell::Date(..) if column.kind != ColumnKind::Date => &self.date,
            XlsxCell::DateTime(..) if column.kind != ColumnKind::DateTime => &self.datetime,
            _ => column,
        };
        f.get(marked)
    }
}

fn number_format(kind: ColumnKind) -> Option<String> {
    match kind {
        ColumnKind::Text => Some("@".into()),
        ColumnKind::Integer => Some("0".into()),
        ColumnKind::Decimal { scale: 0 } => Some("0".into()),
        ColumnKind::Decimal { scale } => Some(format!("0.{}", "0".repeat(scale.min(30) as usize))),
        ColumnKind::Date => Some("yyyy-mm-dd".into()),
        ColumnKind::DateTime => Some("yyyy-mm-dd hh:mm:ss".into()),
        ColumnKind::General => None,
    }
}

/// A workbook of records, written row by row.
pub struct XlsxWriter {
    workbook: Workbook,
    formats: Formats,
    /// The next row to write (0-based; the header is row 0).
    row: u32,
    /// The header and dropdown options of each column that has some.
    lists: Vec<(String, Vec<String>)>,
    /// A second sheet: its name, header and rows.
    extra: Option<(String, Vec<String>, Vec<Vec<String>>)>,
    header_format: Format,
}

impl std::fmt::Debug for XlsxWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxWriter")
            .field("row", &self.row)
            .finish_non_exhaustive()
    }
}

impl XlsxWriter {
    /// A workbook whose first sheet, `sheet`, has these columns; the header row is written.
    /// A sheet name Excel refuses (too long, `[]:*?/\`, `History`) or `Lists` becomes
    /// `Records`.
    pub fn new(sheet: &str, columns: &[XlsxColumn]) -> io::Result<Self> {
        let mut workbook = Workbook::new();
        let header_format = Format::new()
            .set_bold()
            .set_background_color(Color::RGB(HEADER_FILL))
            .set_border_bottom(FormatBorder::Thin);
        let required_format = header_format
            .clone()
            .set_background_color(Color::RGB(REQUIRED_FILL));
        let formats = Formats {
            columns: columns.iter().map(|c| ColumnFormats::new(c.kind)).collect(),
            general: ColumnFormats::new(ColumnKind::General),
            date: ColumnFormats::new(ColumnKind::Date),
            datetime: ColumnFormats::new(ColumnKind::DateTime),
        };
        let mut lists = Vec::new();
        {
            let ws = workbook.add_worksheet_with_constant_memory();
            // Excel reserves `History` for change tracking.
            let taken = [LISTS_SHEET, "History"]
                .iter()
                .any(|t| sheet.eq_ignore_ascii_case(t));
            if taken || ws.set_name(sheet).is_err() {
                ws.set_name("Records").map_err(io_err)?;
            }
            for (i, c) in columns.iter().enumerate() {
                let col = col_num(i)?;
                let width = (c.header.chars().count() as f64 + 4.0).clamp(10.0, 50.0);
                ws.set_column_width(col, width).map_err(io_err)?;
                if c.kind != ColumnKind::General {
                    ws.set_column_format(col, formats.of(i, &XlsxCell::Empty, false))
                        .map_err(io_err)?;
                }
                let format = if c.required {
                    &required_format
                } else {
                    &header_format
                };
                ws.write_string_with_format(0, col, sheet_text(&c.header), format)
                    .map_err(io_err)?;
                if !c.note.is_empty() {
                    let note = Note::new(&c.note)
                        .add_author_prefix(false)
                        .set_width(320)
                        .set_height(120);
                    ws.insert_note(0, col, &note).map_err(io_err)?;
                }
                if !c.options.is_empty() {
                    let n = lists.len();
                    let range = format!(
                        "='{LISTS_SHEET}'!${col}$2:${col}${last}",
                        col = rust_xlsxwriter::utility::column_number_to_name(col_num(n)?),
                        last = c.options.len() + 1
                    );
                    let validation = DataValidation::new()
                        .allow_list_formula(Formula::new(range))
                        .set_error_style(DataValidationErrorStyle::Warning)
                        .set_error_title("Not in the list")
                        .map_err(io_err)?
                        .set_error_message(
                            "This value is not one of the listed options. intake also accepts codes and other spellings; it checks the value when the file is imported.",
                        )
                        .map_err(io_err)?;
                    ws.add_data_validation(1, col, LAST_ROW, col, &validation)
                        .map_err(io_err)?;
                    lists.push((c.header.clone(), c.options.clone()));
                }
            }
            if !columns.is_empty() {
                ws.set_freeze_panes(1, 0).map_err(io_err)?;
            }
        }
        Ok(Self {
            workbook,
            formats,
            row: 1,
            lists,
            extra: None,
            header_format,
        })
    }

    /// Writes the next record.
    pub fn write_row(&mut self, cells: &[XlsxCell<'_>]) -> io::Result<()> {
        self.write_row_marked(cells, &[])
    }

    /// Writes the next record; the cells of `marks` (column index, message) are filled and
    /// carry the message as a note. Messages of one column are joined.
    pub fn write_row_marked(
        &mut self,
        cells: &[XlsxCell<'_>],
        marks: &[(usize, String)],
    ) -> io::Result<()> {
        let row = self.row;
        if row > LAST_ROW {
            return Err(io::Error::other(
                "more rows than a worksheet holds (1,048,576)",
            ));
        }
        self.row += 1;
        let ws = self.workbook.worksheet_from_index(0).map_err(io_err)?;
        write_marked(ws, &self.formats, row, cells, marks)
    }

    /// Adds a second visible sheet after the records: a bold header and rows of text.
    pub fn add_sheet(&mut self, name: &str, header: Vec<String>, rows: Vec<Vec<String>>) {
        self.extra = Some((name.to_string(), header, rows));
    }

    /// Writes the workbook to `out`.
    pub fn finish<W: Write + Seek + Send>(mut self, out: W) -> io::Result<()> {
        if let Some((name, header, rows)) = self.extra.take() {
            let ws = self.workbook.add_worksheet();
            ws.set_name(&name).map_err(io_err)?;
            let wrap = Format::new().set_text_wrap();
            for (i, h) in header.iter().enumerate() {
                let col = col_num(i)?;
                ws.write_string_with_format(0, col, sheet_text(h), &self.header_format)
                    .map_err(io_err)?;
                let widest = rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|c| c.chars().count())
                    .chain(std::iter::once(h.chars().count()))
                    .max()
                    .unwrap_or(10);
                ws.set_column_width(col, (widest as f64 + 2.0).clamp(10.0, 60.0))
                    .map_err(io_err)?;
            }
            for (r, cells) in rows.iter().enumerate() {
                let row = u32::try_from(r + 1).map_err(io::Error::other)?;
                for (i, c) in cells.iter().enumerate() {
                    if !c.is_empty() {
                        ws.write_string_with_format(row, col_num(i)?, sheet_text(c), &wrap)
                            .map_err(io_err)?;
                    }
                }
            }
            ws.set_freeze_panes(1, 0).map_err(io_err)?;
        }
        if !self.lists.is_empty() {
            let lists = std::mem::take(&mut self.lists);
            let ws = self.workbook.add_worksheet();
            ws.set_name(LISTS_SHEET).map_err(io_err)?;
            for (n, (header, options)) in lists.iter().enumerate() {
                let col = col_num(n)?;
                ws.write_string(0, col, sheet_text(header))
                    .map_err(io_err)?;
                for (r, o) in options.iter().enumerate() {
                    let row = u32::try_from(r + 1).map_err(io::Error::other)?;
                    ws.write_string(row, col, sheet_text(o)).map_err(io_err)?;
                }
            }
            ws.set_hidden(true);
        }
        self.workbook.save_to_writer(out).map_err(io_err)
    }
}

fn write_marked(
    ws: &mut Worksheet,
    formats: &Formats,
    row: u32,
    cells: &[XlsxCell<'_>],
    marks: &[(usize, String)],
) -> io::Result<()> {
    for (i, cell) in cells.iter().enumerate() {
        let marked = marks.iter().any(|(c, _)| *c == i);
        if *cell == XlsxCell::Empty && !marked {
            continue;
        }
        write_cell(ws, row, col_num(i)?, cell, formats.of(i, cell, marked))?;
    }
    let mut done: Vec<usize> = Vec::new();
    for (c, _) in marks {
        if done.contains(c) {
            continue;
        }
        done.push(*c);
        let mut text = marks
            .iter()
            .filter(|(o, _)| o == c)
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        if text.chars().count() > 30_000 {
            text = text.chars().take(30_000).collect();
        }
        if *c >= cells.len() {
            // A problem beyond the record's cells: mark an empty cell there.
            ws.write_blank(row, col_num(*c)?, formats.of(*c, &XlsxCell::Empty, true))
                .map_err(io_err)?;
        }
        let note = Note::new(text)
            .add_author_prefix(false)
            .set_width(320)
            .set_height(100);
        ws.insert_note(row, col_num(*c)?, &note).map_err(io_err)?;
    }
    Ok(())
}

fn col_num(i: usize) -> io::Result<u16> {
    u16::try_from(i)
        .ok()
        .filter(|c| *c < 16_384)
        .ok_or_else(|| io::Error::other("more columns than a worksheet holds (16,384)"))
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &XlsxCell<'_>,
    format: &Format,
) -> io::Result<()> {
    match *cell {
        XlsxCell::Empty => {
            ws.write_blank(row, col, format).map_err(io_err)?;
        }
        XlsxCell::Text(s) => {
            ws.write_string_with_format(row, col, sheet_text(s), format)
                .map_err(io_err)?;
        }
        XlsxCell::Number(n) => {
            ws.write_number_with_format(row, col, n, format)
                .map_err(io_err)?;
        }
        XlsxCell::Date(y, m, d) => {
            let dt = ExcelDateTime::from_ymd(y, m, d).map_err(io_err)?;
            ws.write_datetime_with_format(row, col, dt, format)
                .map_err(io_err)?;
        }
        XlsxCell::DateTime(y, m, d, h, mi, s) => {
            let dt = ExcelDateTime::from_ymd(y, m, d)
                .and_then(|dt| dt.and_hms(u16::from(h), mi, s))
                .map_err(io_err)?;
            ws.write_datetime_with_format(row, col, dt, format)
                .map_err(io_err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_text_becomes_typed_only_when_it_reads_back_the_same() {
        assert_eq!(XlsxCell::from_read_text("12.5"), XlsxCell::Number(12.5));
        assert_eq!(XlsxCell::from_read_text("-3"), XlsxCell::Number(-3.0));
        assert_eq!(XlsxCell::from_read_text("007"), XlsxCell::Text("007"));
        assert_eq!(XlsxCell::from_read_text("1.50"), XlsxCell::Text("1.50"));
        assert_eq!(XlsxCell::from_read_text("1e3"), XlsxCell::Text("1e3"));
        assert_eq!(
            XlsxCell::from_read_text("12345678901234567"),
            XlsxCell::Text("12345678901234567")
        );
        assert_eq!(
            XlsxCell::from_read_text("2024-02-29"),
            XlsxCell::Date(2024, 2, 29)
        );
        assert_eq!(
            XlsxCell::from_read_text("2023-02-29"),
            XlsxCell::Text("2023-02-29")
        );
        assert_eq!(XlsxCell::from_read_text(""), XlsxCell::Empty);
    }

    #[test]
    fn a_sheet_name_excel_refuses_becomes_records() {
        let columns = [XlsxColumn {
            header: "a".into(),
            options: vec!["x".into()],
            ..XlsxColumn::default()
        }];
        for name in [
            "Lists",
            "a/b",
            "History",
            "a name longer than thirty-one characters",
        ] {
            let w = XlsxWriter::new(name, &columns).expect("a workbook");
            let mut out = std::io::Cursor::new(Vec::new());
            w.finish(&mut out).expect("saved");
            let bytes = out.into_inner();
            let reader = crate::open(
                bytes.as_slice(),
                &crate::CsvOptions::default(),
                &crate::SheetOptions::default(),
            )
            .expect("readable");
            let book = crate::RowSource::workbook(&reader).expect("a workbook");
            let names: Vec<&str> = book.sheets.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(names, ["Records", "Lists"], "{name}");
        }
    }
}
