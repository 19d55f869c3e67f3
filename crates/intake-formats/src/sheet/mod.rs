//! Workbooks (XLSX, XLS, ODS) read as rows of text cells, behind the same [`RowSource`] as CSV.
//!
//! Before calamine opens a zipped workbook, [`zipcheck`] inflates every part once into
//! nothing, counting (zip bombs, ratios, encryption, DTDs), and [`extras`] reads what
//! calamine does not expose (hidden rows and columns, filters, merged cells). XLSX sheets are
//! then streamed cell by cell (calamine's `worksheet_cells_reader`: the declared dimension is
//! never used to size anything); XLS and ODS sheets are read whole by calamine, after the
//! checks bound what they can hold.
//!
//! calamine runs on a thread of its own that owns the workbook and sends batches of records
//! through a bounded channel, so memory is bounded by two batches; a panic inside it is
//! caught there and becomes [`ReadError::ReaderFailed`] (F12).
//!
//! Rows are numbered as the spreadsheet shows them; rows without values are not records
//! but count. Every record has as many cells as the header (the first record); values to
//! the right of the header are reported as a warning and left out (S17).

mod cfbcheck;
mod extras;
pub(crate) mod value;
mod zipcheck;

use std::fmt;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use calamine::{Ods, Reader, SheetType, SheetVisible, Xls, Xlsx};
use intake_core::RowNumber;
use intake_core::report::{ProblemCode, Warning, column_letter, thousands};

use crate::batch::{CellIssue, CellIssueKind, RecordBatch};
use crate::error::ReadError;
use crate::limits::Limits;
use crate::source::RowSource;

use self::extras::Extras;
use self::value::Kind;

/// Records per batch sent by the reading thread.
const CHUNK_ROWS: usize = 1024;

/// The format of a file, found from its content (never from its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Text with delimiters.
    Csv,
    /// Office Open XML workbook (Excel 2007 and later).
    Xlsx,
    /// Binary Excel 97-2003 workbook (BIFF8).
    Xls,
    /// OpenDocument spreadsheet (LibreOffice).
    Ods,
}

impl Format {
    /// `csv`, `xlsx`, `xls` or `ods`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Xls => "xls",
            Self::Ods => "ods",
        }
    }
}

/// Whether a sheet shows in the spreadsheet program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Shown.
    Visible,
    /// Hidden; the user can unhide it.
    Hidden,
    /// Hidden so that only a macro can show it again.
    VeryHidden,
}

impl Visibility {
    /// `visible`, `hidden` or `very hidden`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Visible => "visible",
            Self::Hidden => "hidden",
            Self::VeryHidden => "very hidden",
        }
    }
}

/// One sheet of a workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetInfo {
    /// The sheet's name as its tab shows it.
    pub name: String,
    /// Whether it is shown.
    pub visibility: Visibility,
}

/// What a workbook holds and which sheet is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workbook {
    /// XLSX, XLS or ODS.
    pub format: Format,
    /// The worksheets in tab order (chart sheets and macro sheets left out).
    pub sheets: Vec<SheetInfo>,
    /// The sheet read.
    pub sheet: String,
    /// Whether the workbook counts dates from 1904 (old Mac Excel) instead of 1900.
    pub date_1904: bool,
}

impl Workbook {
    fn listing(sheets: &[SheetInfo]) -> String {
        sheets
            .iter()
            .map(|s| match s.visibility {
                Visibility::Visible => format!("`{}`", s.name),
                v => format!("`{}` ({})", s.name, v.name()),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// How to read a workbook; the default reads the first visible sheet, hidden rows included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetOptions {
    /// The sheet to read, by name; `None` for the first visible worksheet.
    pub sheet: Option<String>,
    /// Leave out hidden rows and columns and rows hidden by a filter (they are read, with a
    /// warning, by default).
    pub skip_hidden: bool,
    /// The decimal separator number cells are written with (`None`: `.`): the one the
    /// workspace's locale reads numbers with.
    pub decimal_separator: Option<char>,
}

/// What the reading thread sends.
enum Message {
    Batch(RecordBatch),
    Warning(Warning),
    Error(ReadError),
}

/// A workbook's sheet read as batches of records; see the module documentation.
pub struct SheetReader {
    workbook: Workbook,
    warnings: Vec<Warning>,
    rx: Receiver<Message>,
    pending: RecordBatch,
    pending_pos: usize,
    done: bool,
    records: u64,
}

impl fmt::Debug for SheetReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SheetReader")
            .field("workbook", &self.workbook)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// Which workbook format the bytes are, from their content; `None` when they are no workbook
/// container at all (then they may be CSV).
pub(crate) fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(Format::Xlsx) // refined by the zip's parts
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some(Format::Xls)
    } else {
        None
    }
}

/// A 0-based row index as a [`RowNumber`].
pub(crate) fn row_number(row: u64) -> RowNumber {
    RowNumber::new(row.saturating_add(1))
}

/// A 0-based column index as letters.
pub(crate) fn column_name(column: u64) -> String {
    column_letter(usize::try_from(column).unwrap_or(usize::MAX))
}

fn caught<T>(format: Format, f: impl FnOnce() -> Result<T, ReadError>) -> Result<T, ReadError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(ReadError::ReaderFailed {
        format: format.name(),
    }))
}

/// The worksheets of a workbook with their visibility.
fn sheets_of(meta: &[calamine::Sheet]) -> Vec<SheetInfo> {
    meta.iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| SheetInfo {
            name: s.name.clone(),
            visibility: match s.visible {
                SheetVisible::Visible => Visibility::Visible,
                SheetVisible::Hidden => Visibility::Hidden,
                SheetVisible::VeryHidden => Visibility::VeryHidden,
            },
        })
        .collect()
}

/// The sheet to read: the one asked for, or the first visible worksheet (S10).
fn choose(sheets: &[SheetInfo], options: &SheetOptions) -> Result<String, ReadError> {
    let available = Workbook::listing(sheets);
    match &options.sheet {
        Some(name) => sheets
            .iter()
            .find(|s| &s.name == name)
            .or_else(|| {
                sheets
                    .iter()
                    .find(|s| s.name.trim().eq_ignore_ascii_case(name.trim()))
            })
            .map(|s| s.name.clone())
            .ok_or_else(|| ReadError::NoSuchSheet {
                name: name.clone(),
                available,
            }),
        None => sheets
            .iter()
            .find(|s| s.visibility == Visibility::Visible)
            .map(|s| s.name.clone())
            .ok_or(ReadError::NoVisibleSheet { available }),
    }
}

fn calamine_error(format: Format, e: impl fmt::Display) -> ReadError {
    let text = e.to_string();
    if text.contains("password") || text.contains("encrypt") {
        ReadError::Encrypted
    } else {
        ReadError::Damaged {
            detail: format!("the {} reader says: {text}", format.name()),
        }
    }
}

/// The owned workbook the reading thread works on.
enum Book {
    Xlsx(Box<Xlsx<Cursor<Shared>>>),
    Xls(Box<Xls<Cursor<Shared>>>),
    Ods(Box<Ods<Cursor<Shared>>>),
}

/// The file's bytes, shared by calamine and the checks that read the same zip.
type Shared = Arc<[u8]>;

impl SheetReader {
    /// Checks and opens a workbook held in memory (`bytes` is the whole file, within
    /// [`Limits::max_file_bytes`]), chooses the sheet and starts reading it.
    pub fn new(bytes: Vec<u8>, options: &SheetOptions, limits: &Limits) -> Result<Self, ReadError> {
        let Some(container) = sniff(&bytes) else {
            return Err(ReadError::NotSupported {
                what: "not a workbook",
            });
        };
        let format = if container == Format::Xls {
            if memchr::memmem::find(&bytes, &utf16("EncryptedPackage")).is_some() {
                return Err(ReadError::Encrypted);
            }
            cfbcheck::check(&bytes)?;
            Format::Xls
        } else {
            let parts = zipcheck::check(&bytes, limits)?;
            if parts.has("xl/workbook.bin") {
                return Err(ReadError::NotSupported {
                    what: "a binary Excel workbook (.xlsb)",
                });
            }
            if parts.has("xl/vbaProject.bin") {
                return Err(ReadError::NotSupported {
                    what: "a macro-enabled workbook (.xlsm)",
                });
            }
            if parts.has("xl/workbook.xml") {
                Format::Xlsx
            } else if parts.has("content.xml") && parts.has("mimetype") {
                Format::Ods
            } else {
                return Err(ReadError::NotSupported {
                    what: "a zip archive that holds no spreadsheet",
                });
            }
        };

        // What calamine does not expose, read before calamine opens the file.
        let (book, sheets, sheet, extras, date_1904) =
            caught(format, || open_book(format, bytes, options, limits))?;
        let workbook = Workbook {
            format,
            sheets,
            sheet,
            date_1904,
        };
        let warnings = describe(&workbook, &extras, options);
        let (tx, rx) = sync_channel(2);
        let name = workbook.sheet.clone();
        let limits = *limits;
        let skip_hidden = options.skip_hidden;
        let decimal = options.decimal_separator.unwrap_or('.');
        let spawned = std::thread::Builder::new()
            .name("intake-sheet".into())
            .spawn(move || {
                let error_tx = tx.clone();
                let result = caught(format, || {
                    let mut builder = Builder::new(tx, limits, extras, skip_hidden);
                    read_sheet(book, &name, date_1904, decimal, &mut builder)?;
                    builder.finish()
                });
                if let Err(e) = result {
                    let _ = error_tx.send(Message::Error(e));
                }
            });
        if let Err(e) = spawned {
            return Err(ReadError::Io(e));
        }
        Ok(Self {
            workbook,
            warnings,
            rx,
            pending: RecordBatch::new(),
            pending_pos: 0,
            done: false,
            records: 0,
        })
    }

    /// The workbook and the sheet read.
    pub fn workbook(&self) -> &Workbook {
        &self.workbook
    }

    /// Clears `batch` and fills it with up to `max_rows` records; `Ok(false)` at the end.
    pub fn read_batch(
        &mut self,
        batch: &mut RecordBatch,
        max_rows: usize,
    ) -> Result<bool, ReadError> {
        batch.clear();
        let max_rows = max_rows.max(1);
        while !self.done && batch.len() < max_rows {
            if self.pending_pos < self.pending.len() {
                if let Some(rec) = self.pending.get(self.pending_pos) {
                    for issue in rec.issues() {
                        batch.push_issue(*issue);
                    }
                    batch.push(rec.row(), rec.iter());
                }
                self.pending_pos += 1;
                continue;
            }
            match self.rx.recv() {
                Ok(Message::Batch(b)) => {
                    self.pending = b;
                    self.pending_pos = 0;
                }
                Ok(Message::Warning(w)) => self.warnings.push(w),
                Ok(Message::Error(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true,
            }
        }
        self.records += batch.len() as u64;
        if self.done && self.records == 0 {
            return Err(ReadError::EmptySheet {
                name: self.workbook.sheet.clone(),
                available: Workbook::listing(&self.workbook.sheets),
            });
        }
        Ok(!batch.is_empty())
    }

    /// Takes the warnings about the workbook found so far: which sheet was read, hidden
    /// rows and columns, filters, merged cells, values beyond the header.
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        std::mem::take(&mut self.warnings)
    }
}

impl RowSource for SheetReader {
    fn read_batch(&mut self, batch: &mut RecordBatch, max_rows: usize) -> Result<bool, ReadError> {
        SheetReader::read_batch(self, batch, max_rows)
    }

    fn workbook(&self) -> Option<&Workbook> {
        Some(&self.workbook)
    }

    fn take_warnings(&mut self) -> Vec<Warning> {
        SheetReader::take_warnings(self)
    }
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

type Opened = (Book, Vec<SheetInfo>, String, Extras, bool);

fn open_book(
    format: Format,
    bytes: Vec<u8>,
    options: &SheetOptions,
    limits: &Limits,
) -> Result<Opened, ReadError> {
    match format {
        Format::Xlsx => {
            let bytes: Shared = bytes.into();
            let wb: Xlsx<_> = Xlsx::new(Cursor::new(Arc::clone(&bytes)))
                .map_err(|e| calamine_error(format, e))?;
            let sheets = sheets_of(wb.sheets_metadata());
            let sheet = choose(&sheets, options)?;
            let extras = {
                let mut zip = zipcheck::archive(&bytes)?;
                match extras::xlsx_sheet_path(&mut zip, &sheet)? {
                    Some(path) => extras::xlsx_extras(&mut zip, &path, limits)?,
                    None => Extras::default(),
                }
            };
            let date_1904 = wb.has_1904_epoch();
            Ok((Book::Xlsx(Box::new(wb)), sheets, sheet, extras, date_1904))
        }
        Format::Ods => {
            // The sheet's name is needed before calamine reads content.xml: the tables are
            // listed first from the XML, and their extent checked.
            let names = ods_tables(&bytes)?;
            let pre: Vec<SheetInfo> = names
                .iter()
                .map(|n| SheetInfo {
                    name: n.clone(),
                    visibility: Visibility::Visible,
                })
                .collect();
            let first = match &options.sheet {
                Some(_) => choose(&pre, options)?,
                None => names.first().cloned().unwrap_or_default(),
            };
            // One pass checks the extent of every table and reads this one's extras.
            let mut checked = extras::ods_extras(&mut zipcheck::archive(&bytes)?, &first, limits)?;
            let bytes: Shared = bytes.into();
            let wb: Ods<_> =
                Ods::new(Cursor::new(Arc::clone(&bytes))).map_err(|e| calamine_error(format, e))?;
            let sheets = sheets_of(wb.sheets_metadata());
            let sheet = choose(&sheets, options)?;
            if sheet != first {
                checked = extras::ods_extras(&mut zipcheck::archive(&bytes)?, &sheet, limits)?;
            }
            Ok((Book::Ods(Box::new(wb)), sheets, sheet, checked, false))
        }
        _ => {
            let bytes: Shared = bytes.into();
            let wb: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(|e| calamine_error(format, e))?;
            let sheets = sheets_of(wb.sheets_metadata());
            let sheet = choose(&sheets, options)?;
            let merged = wb
                .merge_cells_by_sheet_name(&sheet)
                .unwrap_or_default()
                .iter()
                .take(10_000)
                .map(|d| {
                    format!(
                        "{}{}:{}{}",
                        column_name(u64::from(d.start.1)),
                        d.start.0 + 1,
                        column_name(u64::from(d.end.1)),
                        d.end.0 + 1
                    )
                })
                .collect();
            let date_1904 = wb.has_1904_epoch();
            Ok((
                Book::Xls(Box::new(wb)),
                sheets,
                sheet,
                Extras {
                    merged,
                    ..Extras::default()
                },
                date_1904,
            ))
        }
    }
}

/// The names of the tables of an ODS `content.xml`, in order.
fn ods_tables(bytes: &[u8]) -> Result<Vec<String>, ReadError> {
    use quick_xml::events::Event;
    let mut zip = zipcheck::archive(bytes)?;
    let f = zip.by_name("content.xml").map_err(|_| ReadError::Damaged {
        detail: "the part `content.xml` is missing".into(),
    })?;
    let mut r = quick_xml::Reader::from_reader(std::io::BufReader::new(f));
    let mut buf = Vec::new();
    let mut names = Vec::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "table" => {
                if let Some(n) = e.attributes().flatten().find_map(|a| {
                    (a.key.local_name().as_ref() == "name").then(|| a.value.as_ref().to_owned())
                }) {
                    names.push(n);
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => {
                return Err(ReadError::Damaged {
                    detail: format!("part `content.xml` is not valid XML ({e})"),
                });
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(names)
}

/// Streams the chosen sheet's cells into the builder.
fn read_sheet(
    book: Book,
    name: &str,
    date_1904: bool,
    decimal: char,
    builder: &mut Builder,
) -> Result<(), ReadError> {
    let mut text = String::new();
    match book {
        Book::Xlsx(mut wb) => {
            let format = Format::Xlsx;
            let mut cells = wb
                .worksheet_cells_reader(name)
                .map_err(|e| calamine_error(format, e))?;
            while let Some(cell) = cells.next_cell().map_err(|e| calamine_error(format, e))? {
                let (r, c) = cell.get_position();
                let kind = value::data_ref(cell.get_value(), date_1904, decimal, &mut text);
                builder.cell(r, c, kind, &text)?;
            }
        }
        Book::Xls(mut wb) => {
            let range = wb
                .worksheet_range(name)
                .map_err(|e| calamine_error(Format::Xls, e))?;
            cells_of_range(&range, date_1904, decimal, builder, &mut text)?;
        }
        Book::Ods(mut wb) => {
            let range = wb
                .worksheet_range(name)
                .map_err(|e| calamine_error(Format::Ods, e))?;
            cells_of_range(&range, date_1904, decimal, builder, &mut text)?;
        }
    }
    Ok(())
}

fn cells_of_range(
    range: &calamine::Range<calamine::Data>,
    date_1904: bool,
    decimal: char,
    builder: &mut Builder,
    text: &mut String,
) -> Result<(), ReadError> {
    let (r0, c0) = range.start().unwrap_or((0, 0));
    for (r, c, v) in range.used_cells() {
        let kind = value::data(v, date_1904, decimal, text);
        let (r, c) = (
            r0.saturating_add(u32::try_from(r).unwrap_or(u32::MAX)),
            c0.saturating_add(u32::try_from(c).unwrap_or(u32::MAX)),
        );
        builder.cell(r, c, kind, text)?;
    }
    Ok(())
}

/// The warnings known before reading: the sheet chosen, hidden rows and columns, the
/// filter, merged cells.
fn describe(workbook: &Workbook, x: &Extras, options: &SheetOptions) -> Vec<Warning> {
    let mut out = Vec::new();
    let warn = |code, message: String| Warning {
        row: None,
        column: None,
        code,
        message,
    };
    // Worth saying when the workbook has another sheet the user sees, or a hidden one before
    // the sheet read (which then is not the first); not for the hidden sheet after it that
    // holds a template's or an export's dropdown options.
    let chosen = workbook
        .sheets
        .iter()
        .position(|s| s.name == workbook.sheet)
        .unwrap_or(0);
    let others = workbook
        .sheets
        .iter()
        .enumerate()
        .any(|(i, s)| i != chosen && (s.visibility == Visibility::Visible || i < chosen));
    if others || options.sheet.is_some() {
        out.push(warn(
            ProblemCode::SheetChosen,
            format!(
                "read the sheet `{}` of {}; the workbook's sheets: {}{}",
                workbook.sheet,
                workbook.sheets.len(),
                Workbook::listing(&workbook.sheets),
                if options.sheet.is_none() {
                    "; choose another with --sheet"
                } else {
                    ""
                }
            ),
        ));
    }
    let fate = if options.skip_hidden {
        "left out, as --skip-hidden asks"
    } else {
        "read like the others; --skip-hidden leaves them out"
    };
    if !x.hidden_rows.is_empty() {
        out.push(warn(
            ProblemCode::HiddenRows,
            format!(
                "{} hidden row{} ({}): {fate}",
                thousands(x.hidden_rows.len() as u64),
                plural(x.hidden_rows.len()),
                spans(&x.hidden_rows)
            ),
        ));
    }
    if !x.hidden_columns.is_empty() {
        let list: Vec<String> = x
            .hidden_columns
            .iter()
            .take(20)
            .map(|&(a, b)| {
                if a == b {
                    column_name(u64::from(a))
                } else {
                    format!(
                        "{}-{}",
                        column_name(u64::from(a)),
                        column_name(u64::from(b))
                    )
                }
            })
            .collect();
        out.push(warn(
            ProblemCode::HiddenColumns,
            format!("hidden columns ({}): {fate}", list.join(", ")),
        ));
    }
    if let Some(range) = &x.active_filter {
        let on = if range.is_empty() {
            String::new()
        } else {
            format!(" on {range}")
        };
        out.push(warn(
            ProblemCode::FilteredRows,
            if x.filtered_rows.is_empty() {
                format!("an active filter{on} is set on the sheet; it hides no row")
            } else {
                format!(
                    "an active filter{on} hides {} row{} ({}): {fate}",
                    thousands(x.filtered_rows.len() as u64),
                    plural(x.filtered_rows.len()),
                    spans(&x.filtered_rows)
                )
            },
        ));
    }
    if !x.merged.is_empty() {
        let list: Vec<&str> = x.merged.iter().take(20).map(String::as_str).collect();
        out.push(warn(
            ProblemCode::MergedCells,
            format!(
                "merged cells ({}{}): the value is read in the top-left cell only, the other cells are empty",
                list.join(", "),
                if x.merged.len() > 20 { ", ..." } else { "" }
            ),
        ));
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// 0-based rows as row numbers in spans: `3, 5-9, 12`.
fn spans(rows: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < rows.len() && out.len() < 20 {
        let start = rows[i];
        let mut end = start;
        while i + 1 < rows.len() && rows[i + 1] == end + 1 {
            end += 1;
            i += 1;
        }
        out.push(if start == end {
            format!("{}", start + 1)
        } else {
            format!("{}-{}", start + 1, end + 1)
        });
        i += 1;
    }
    if i < rows.len() {
        out.push("...".into());
    }
    out.join(", ")
}

/// Turns cells in stream order into records of the header's width.
struct Builder {
    tx: SyncSender<Message>,
    limits: Limits,
    extras: Extras,
    skip_hidden: bool,
    batch: RecordBatch,
    /// The row being built, its cells (reused buffers) and how many are set.
    row: Option<u32>,
    cells: Vec<String>,
    len: usize,
    issues: Vec<CellIssue>,
    /// The header's width, once the header is read.
    width: Option<usize>,
    /// Values right of the header: count and the first few cells.
    beyond: (u64, Vec<String>),
}

impl Builder {
    fn new(tx: SyncSender<Message>, limits: Limits, extras: Extras, skip_hidden: bool) -> Self {
        Self {
            tx,
            limits,
            extras,
            skip_hidden,
            batch: RecordBatch::new(),
            row: None,
            cells: Vec::new(),
            len: 0,
            issues: Vec::new(),
            width: None,
            beyond: (0, Vec::new()),
        }
    }

    fn cell(&mut self, row: u32, column: u32, kind: Kind, text: &str) -> Result<(), ReadError> {
        if kind == Kind::Empty {
            return Ok(());
        }
        if u64::from(row) >= self.limits.max_rows {
            return Err(ReadError::TooManyRows {
                limit: self.limits.max_rows,
            });
        }
        match self.row {
            Some(r) if r == row => {}
            Some(r) if r > row => {
                return Err(ReadError::Damaged {
                    detail: format!("row {} comes after row {}", row + 1, r + 1),
                });
            }
            _ => {
                self.end_row()?;
                self.row = Some(row);
            }
        }
        if self.skip_hidden && (self.extras.row_hidden(row) || self.extras.column_hidden(column)) {
            return Ok(());
        }
        let mut col = column as usize;
        if self.skip_hidden {
            // Hidden columns are left out: the columns after them move left.
            col -= self
                .extras
                .hidden_columns
                .iter()
                .map(|&(a, b)| if b < column { (b - a + 1) as usize } else { 0 })
                .sum::<usize>()
                .min(col);
        }
        if col >= self.limits.max_columns {
            return Err(ReadError::TooManyColumns {
                row: row_number(u64::from(row)),
                found: col + 1,
                limit: self.limits.max_columns,
            });
        }
        if let Some(width) = self.width
            && col >= width
        {
            self.beyond.0 += 1;
            if self.beyond.1.len() < 5 {
                self.beyond
                    .1
                    .push(format!("{}{}", column_name(col as u64), row + 1));
            }
            return Ok(());
        }
        if text.chars().count() > self.limits.max_cell_chars {
            return Err(ReadError::CellTooLong {
                row: row_number(u64::from(row)),
                column: col,
                limit: self.limits.max_cell_chars,
                open_quote: false,
            });
        }
        while self.cells.len() <= col {
            self.cells.push(String::new());
        }
        for c in &mut self.cells[self.len.min(col)..col] {
            c.clear();
        }
        self.cells[col].clear();
        self.cells[col].push_str(text);
        self.len = self.len.max(col + 1);
        if kind == Kind::Error {
            self.issues.push(CellIssue {
                column: col,
                kind: CellIssueKind::SpreadsheetError,
            });
        }
        Ok(())
    }

    fn end_row(&mut self) -> Result<(), ReadError> {
        let Some(row) = self.row.take() else {
            return Ok(());
        };
        if self.len == 0 {
            return Ok(());
        }
        let width = *self.width.get_or_insert(self.len);
        let start = self.len.min(self.cells.len());
        for c in &mut self.cells[start..] {
            c.clear();
        }
        while self.cells.len() < width {
            self.cells.push(String::new());
        }
        for issue in self.issues.drain(..) {
            self.batch.push_issue(issue);
        }
        self.batch.push(
            row_number(u64::from(row)),
            self.cells[..width].iter().map(String::as_str),
        );
        self.len = 0;
        if self.batch.len() >= CHUNK_ROWS {
            let full = std::mem::take(&mut self.batch);
            if self.tx.send(Message::Batch(full)).is_err() {
                return Err(ReadError::Io(std::io::Error::other(
                    "the reader was closed",
                )));
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), ReadError> {
        self.end_row()?;
        if !self.batch.is_empty() {
            let _ = self
                .tx
                .send(Message::Batch(std::mem::take(&mut self.batch)));
        }
        let (n, first) = &self.beyond;
        if *n > 0 {
            let _ = self.tx.send(Message::Warning(Warning {
                row: None,
                column: None,
                code: ProblemCode::ValuesBeyondHeader,
                message: format!(
                    "{} cell{} right of the last header hold{} values ({}{}) and {} not read; give {} a header to read {}",
                    thousands(*n),
                    if *n == 1 { "" } else { "s" },
                    if *n == 1 { "s" } else { "" },
                    first.join(", "),
                    if *n > 5 { ", ..." } else { "" },
                    if *n == 1 { "is" } else { "are" },
                    if *n == 1 { "its column" } else { "their columns" },
                    if *n == 1 { "it" } else { "them" },
                ),
            }));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_group_consecutive_rows() {
        assert_eq!(spans(&[2, 4, 5, 6, 9]), "3, 5-7, 10");
    }
}
