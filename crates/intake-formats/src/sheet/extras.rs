//! What calamine does not expose, read from the workbook's XML: hidden rows and columns,
//! the autofilter and the rows it hides, merged ranges (S11, S12); for ODS also the extent
//! of the cells, checked before calamine materialises the sheet.
//!
//! Only parts that passed [`super::zipcheck::check`] are parsed here (no DTD, bounded size).

use std::io::{BufReader, Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use crate::error::ReadError;
use crate::limits::Limits;

/// What a sheet hides or merges. Rows and columns are 0-based.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extras {
    /// Hidden rows, ascending (capped at the row limit).
    pub(crate) hidden_rows: Vec<u32>,
    /// Hidden columns as inclusive ranges.
    pub(crate) hidden_columns: Vec<(u32, u32)>,
    /// The autofilter's range, when the sheet has one with a condition set.
    pub(crate) active_filter: Option<String>,
    /// Rows hidden by the filter (ODS says so; for XLSX, hidden rows inside the filter range).
    pub(crate) filtered_rows: Vec<u32>,
    /// Merged ranges as written (`A1:B2`).
    pub(crate) merged: Vec<String>,
}

impl Extras {
    pub(crate) fn row_hidden(&self, row: u32) -> bool {
        self.hidden_rows.binary_search(&row).is_ok()
            || self.filtered_rows.binary_search(&row).is_ok()
    }

    pub(crate) fn column_hidden(&self, column: u32) -> bool {
        self.hidden_columns
            .iter()
            .any(|&(a, b)| (a..=b).contains(&column))
    }
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find_map(|a| (a.key.local_name().as_ref() == name).then(|| a.value.as_ref().to_owned()))
}

fn damaged(part: &str, e: impl std::fmt::Display) -> ReadError {
    ReadError::Damaged {
        detail: format!("part `{part}` is not valid XML ({e})"),
    }
}

fn part<'z>(
    zip: &'z mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<Reader<BufReader<impl Read + 'z>>, ReadError> {
    let f = zip.by_name(name).map_err(|_| ReadError::Damaged {
        detail: format!("the part `{name}` is missing"),
    })?;
    let mut reader = Reader::from_reader(BufReader::new(f));
    reader.config_mut().check_end_names = false;
    Ok(reader)
}

/// The zip path of each XLSX sheet by name, from `xl/workbook.xml` and its relationships.
pub(crate) fn xlsx_sheet_path(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    sheet: &str,
) -> Result<Option<String>, ReadError> {
    let mut rid = None;
    {
        let name = "xl/workbook.xml";
        let mut r = part(zip, name)?;
        let mut buf = Vec::new();
        loop {
            match r.read_event_into(&mut buf).map_err(|e| damaged(name, e))? {
                Event::Start(e) | Event::Empty(e)
                    if e.local_name().as_ref() == "sheet"
                        && attr(&e, "name").as_deref() == Some(sheet) =>
                {
                    rid = attr(&e, "id");
                    break;
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
    }
    let Some(rid) = rid else { return Ok(None) };
    let name = "xl/_rels/workbook.xml.rels";
    let mut r = part(zip, name)?;
    let mut buf = Vec::new();
    loop {
        match r.read_event_into(&mut buf).map_err(|e| damaged(name, e))? {
            Event::Start(e) | Event::Empty(e)
                if e.local_name().as_ref() == "Relationship"
                    && attr(&e, "Id").as_deref() == Some(rid.as_str()) =>
            {
                return Ok(attr(&e, "Target").map(|t| match t.strip_prefix('/') {
                    Some(abs) => abs.to_owned(),
                    None => format!("xl/{t}"),
                }));
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
        buf.clear();
    }
}

/// Hidden rows and columns, the autofilter and merged ranges of an XLSX sheet.
pub(crate) fn xlsx_extras(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    path: &str,
    limits: &Limits,
) -> Result<Extras, ReadError> {
    let mut x = Extras::default();
    let mut r = part(zip, path)?;
    let mut buf = Vec::new();
    let mut filter_ref = None;
    let mut filter_active = false;
    let mut next_row = 0u32;
    loop {
        match r.read_event_into(&mut buf).map_err(|e| damaged(path, e))? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "row" => {
                    let row = attr(&e, "r")
                        .and_then(|r| r.parse::<u32>().ok())
                        .map_or(next_row, |r| r.saturating_sub(1));
                    next_row = row.saturating_add(1);
                    if matches!(attr(&e, "hidden").as_deref(), Some("1" | "true"))
                        && u64::from(row) < limits.max_rows
                    {
                        x.hidden_rows.push(row);
                    }
                }
                "col" => {
                    if matches!(attr(&e, "hidden").as_deref(), Some("1" | "true")) {
                        let n = |k: &str| attr(&e, k).and_then(|v| v.parse::<u32>().ok());
                        if let (Some(a), Some(b)) = (n("min"), n("max")) {
                            x.hidden_columns
                                .push((a.saturating_sub(1), b.saturating_sub(1)));
                        }
                    }
                }
                "autoFilter" => filter_ref = attr(&e, "ref"),
                "filterColumn" => filter_active = true,
                "mergeCell" => {
                    if let Some(r) = attr(&e, "ref")
                        && x.merged.len() < 10_000
                    {
                        x.merged.push(r);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    x.hidden_rows.sort_unstable();
    x.hidden_rows.dedup();
    if let Some(range) = filter_ref.filter(|_| filter_active) {
        // Rows an active filter hides are marked hidden like any other: they are the
        // hidden rows within the filter's range.
        if let Some((first, last)) = row_span(&range) {
            let (inside, outside): (Vec<u32>, Vec<u32>) =
                x.hidden_rows.iter().partition(|&&r| r > first && r <= last);
            x.filtered_rows = inside;
            x.hidden_rows = outside;
        }
        x.active_filter = Some(range);
    }
    Ok(x)
}

/// The 0-based first and last rows of a range such as `A1:C10`.
fn row_span(range: &str) -> Option<(u32, u32)> {
    let row = |cell: &str| -> Option<u32> {
        let digits: String = cell.chars().filter(char::is_ascii_digit).collect();
        digits.parse::<u32>().ok().map(|r| r.saturating_sub(1))
    };
    let mut parts = range.split(':');
    let first = row(parts.next()?)?;
    let last = parts.next().map_or(Some(first), row)?;
    Some((first, last))
}

/// Hidden and filtered rows, hidden columns and merged ranges of one ODS table, and a check
/// that the cells holding values fit the limits (repeated rows and cells counted), made
/// before calamine materialises every table of `content.xml`.
pub(crate) fn ods_extras(
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    table: &str,
    limits: &Limits,
) -> Result<Extras, ReadError> {
    let name = "content.xml";
    let mut r = part(zip, name)?;
    let mut buf = Vec::new();
    let mut x = Extras::default();
    let mut in_table = false;
    let mut this_table = false;
    let (mut row, mut col) = (0u64, 0u64);
    let mut row_repeat = 1u64;
    let mut column_index = 0u64;
    // The cells of a table times its repeats: calamine expands repeats of cells with values.
    let mut cells: u64 = 0;
    let max_cells = limits
        .max_rows
        .saturating_mul(limits.max_columns as u64)
        .min(50_000_000);
    loop {
        let event = r.read_event_into(&mut buf).map_err(|e| damaged(name, e))?;
        let (e, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            Event::End(e) => {
                match e.local_name().as_ref() {
                    "table" => in_table = false,
                    "table-row" => {
                        row = row.saturating_add(row_repeat);
                    }
                    _ => {}
                }
                (None, false)
            }
            Event::Eof => break,
            _ => (None, false),
        };
        if let Some(e) = e {
            let num = |k: &str| {
                attr(&e, k)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(1)
                    .max(1)
            };
            match e.local_name().as_ref() {
                "table" => {
                    in_table = true;
                    this_table = attr(&e, "name").as_deref() == Some(table);
                    row = 0;
                    column_index = 0;
                    cells = 0;
                }
                "table-column" if in_table => {
                    let n = num("number-columns-repeated");
                    if this_table && attr(&e, "visibility").is_some_and(|v| v != "visible") {
                        let a = u32::try_from(column_index).unwrap_or(u32::MAX);
                        let b = u32::try_from(column_index + n - 1).unwrap_or(u32::MAX);
                        x.hidden_columns.push((a, b));
                    }
                    column_index = column_index.saturating_add(n);
                }
                "table-row" if in_table => {
                    row_repeat = num("number-rows-repeated");
                    col = 0;
                    if this_table && let Some(v) = attr(&e, "visibility") {
                        let list = match v.as_str() {
                            "collapse" => Some(&mut x.hidden_rows),
                            "filter" => Some(&mut x.filtered_rows),
                            _ => None,
                        };
                        if let Some(list) = list {
                            let end = row.saturating_add(row_repeat).min(limits.max_rows);
                            for r in row..end {
                                list.push(u32::try_from(r).unwrap_or(u32::MAX));
                            }
                        }
                    }
                    if empty {
                        row = row.saturating_add(row_repeat);
                    }
                }
                "table-cell" | "covered-table-cell" if in_table => {
                    let n = num("number-columns-repeated");
                    let valued = attr(&e, "value-type").is_some() || !empty;
                    if valued {
                        let last_col = col.saturating_add(n);
                        let last_row = row.saturating_add(row_repeat);
                        cells = cells.saturating_add(n.saturating_mul(row_repeat));
                        if last_col > limits.max_columns as u64 || cells > max_cells {
                            return Err(ReadError::TooManyColumns {
                                row: crate::sheet::row_number(row),
                                found: usize::try_from(last_col).unwrap_or(usize::MAX),
                                limit: limits.max_columns,
                            });
                        }
                        if last_row > limits.max_rows {
                            return Err(ReadError::TooManyRows {
                                limit: limits.max_rows,
                            });
                        }
                    }
                    if this_table {
                        let span = |k: &str| num(k);
                        let (cs, rs) =
                            (span("number-columns-spanned"), span("number-rows-spanned"));
                        if (cs > 1 || rs > 1) && x.merged.len() < 10_000 {
                            x.merged.push(format!(
                                "{}{}:{}{}",
                                crate::sheet::column_name(col),
                                row + 1,
                                crate::sheet::column_name(col + cs - 1),
                                row + rs
                            ));
                        }
                    }
                    col = col.saturating_add(n);
                }
                "filter" if this_table => {
                    x.active_filter.get_or_insert_with(String::new);
                }
                _ => {}
            }
        }
        buf.clear();
    }
    x.hidden_rows.sort_unstable();
    x.filtered_rows.sort_unstable();
    Ok(x)
}
