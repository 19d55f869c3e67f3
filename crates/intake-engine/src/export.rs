//! Export records in template layout, for bulk editing and re-import, as CSV or XLSX.
//!
//! The UUID column comes first, then the fields in template order. Cells are written in a
//! form the same field parses back to the same stored value (`stored::to_cell`), and every
//! cell is guarded against formula injection by the CSV writer; so export, then re-import
//! unchanged, changes nothing. The XLSX export writes the same values as typed cells (see
//! [`crate::workbook`]).
//!
//! An update sheet (`--update-sheet FIELD,...`) has two columns for each chosen field:
//! `[old] Label` holds the value at export time, `[new] Label` the value to write. On import
//! only `[new]` is written, and a record whose stored value no longer equals `[old]` is a
//! conflict.

use std::io::Write;

use intake_core::cell::{CellFormats, NumberFormat, phone_region};
use intake_core::describe::template_fields;
use intake_core::filter::{Filter, parse_filter};
use intake_core::schema::{Field, RecordType, Schema};
use intake_core::stored::{to_cell, uuid_text};
use intake_formats::{CsvWriter, CsvWriterOptions, XlsxCell, XlsxColumn, XlsxWriter};
use intake_store::{Store, StoreError};

use crate::validate::{EngineError, record_type};
use crate::workbook::{OutputWriter, column_kind, dropdown, export_cell, sheet_name};

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportRequest {
    /// The record type.
    pub record_type: String,
    /// A filter expression (see docs/filters.md); empty exports every record.
    pub filter: String,
    /// Fields exported as `[old]`/`[new]` pairs.
    pub update_sheet: Vec<String>,
}

/// Why an export could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The record type is unknown.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The filter cannot be read.
    #[error("the filter cannot be read: {0}")]
    Filter(#[from] intake_core::filter::FilterError),
    /// An update-sheet field is unknown.
    #[error("--update-sheet `{name}` is not a field of `{record_type}`; fields: {fields}")]
    UnknownField {
        /// The name given.
        name: String,
        /// The record type.
        record_type: String,
        /// Its fields.
        fields: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The output could not be written.
    #[error("cannot write the export: {0}")]
    Output(#[from] std::io::Error),
}

/// What an export writes, worked out from the request.
struct Layout<'s> {
    rt: &'s RecordType,
    filter: Filter,
    /// Fields written as `[old]`/`[new]` pairs (indexes in the record type).
    pairs: Vec<usize>,
    /// The fields in template order, with their index.
    fields: Vec<(usize, &'s Field)>,
    header: Vec<String>,
}

fn layout<'s>(schema: &'s Schema, request: &ExportRequest) -> Result<Layout<'s>, ExportError> {
    let rt = record_type(schema, &request.record_type)?;
    let filter = filter(schema, rt, &request.filter)?;
    let pairs: Vec<usize> = request
        .update_sheet
        .iter()
        .map(|n| {
            rt.fields
                .iter()
                .position(|f| f.name.as_str() == n || f.label.eq_ignore_ascii_case(n))
                .ok_or_else(|| ExportError::UnknownField {
                    name: n.clone(),
                    record_type: rt.name.clone(),
                    fields: rt
                        .fields
                        .iter()
                        .map(|f| f.name.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
        })
        .collect::<Result<_, _>>()?;
    let fields: Vec<(usize, &Field)> = template_fields(rt)
        .into_iter()
        .filter_map(|f| rt.field_index(f.name.as_str()).map(|i| (i, f)))
        .collect();
    let mut header = vec![rt.uuid_header()];
    for (i, f) in &fields {
        if pairs.contains(i) {
            header.push(format!("[old] {}", f.label));
            header.push(format!("[new] {}", f.label));
        } else {
            header.push(f.label.clone());
        }
    }
    Ok(Layout {
        rt,
        filter,
        pairs,
        fields,
        header,
    })
}

/// Reads a filter expression on the records of `rt`, values in the workspace's locale; an
/// empty expression matches every record.
pub fn filter(
    schema: &Schema,
    rt: &RecordType,
    expr: &str,
) -> Result<Filter, intake_core::filter::FilterError> {
    let locale = &schema.locale;
    if expr.trim().is_empty() {
        return Ok(Filter::All);
    }
    let formats = CellFormats {
        number: NumberFormat {
            decimal: locale.decimal_separator,
            thousands: locale.thousands_separator,
        },
        date: &locale.date_format,
        datetime: &locale.datetime_format,
        phone_region: locale.phone_region.as_deref().and_then(phone_region),
    };
    parse_filter(expr, schema, rt, &formats)
}

/// Writes the matching records as CSV; returns how many.
pub fn export(
    schema: &Schema,
    store: &dyn Store,
    request: &ExportRequest,
    out: &mut dyn Write,
) -> Result<u64, ExportError> {
    let Layout {
        rt,
        filter,
        pairs,
        fields,
        header,
    } = layout(schema, request)?;
    let locale = &schema.locale;
    let mut w = CsvWriter::new(
        out,
        &CsvWriterOptions {
            delimiter: locale.delimiter.unwrap_or(b','),
            bom: false,
        },
    )?;
    w.write_record(&header)?;
    let mut n = 0u64;
    let mut session = store.read()?;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    session.scan(rt, &filter, &mut |rec| {
        row.clear();
        row.push(uuid_text(&rec.uuid));
        for (i, f) in &fields {
            let list = f.field_type.list().and_then(|l| schema.list(l));
            let text = to_cell(&rec.values[*i], f, list, locale);
            if pairs.contains(i) {
                row.push(text.clone());
            }
            row.push(text);
        }
        w.write_record(&row)
            .map_err(|e| StoreError::Backend(format!("cannot write the export: {e}")))?;
        n += 1;
        Ok(())
    })?;
    w.flush()?;
    Ok(n)
}

/// Writes the matching records as an XLSX workbook, row by row in constant memory; returns
/// how many. Cells are typed (numbers, dates), booleans and options are the CSV export's text,
/// and text is always a string cell, never a formula; read back, every cell gives the CSV
/// export's value, so an export re-imported unchanged changes nothing.
pub fn export_xlsx(
    schema: &Schema,
    store: &dyn Store,
    request: &ExportRequest,
    out: &mut dyn OutputWriter,
) -> Result<u64, ExportError> {
    let Layout {
        rt,
        filter,
        pairs,
        fields,
        header,
    } = layout(schema, request)?;
    let locale = &schema.locale;
    let mut columns = vec![XlsxColumn {
        header: header[0].clone(),
        note: format!(
            "Leave empty to create a new {label}; keep the UUID to update that {label}.",
            label = rt.label
        ),
        ..XlsxColumn::default()
    }];
    for (i, f) in &fields {
        let column = XlsxColumn {
            header: String::new(),
            kind: column_kind(f),
            required: false,
            note: String::new(),
            options: dropdown(schema, f),
        };
        if pairs.contains(i) {
            columns.push(XlsxColumn {
                header: format!("[old] {}", f.label),
                note: "The value at export time: leave it as it is. intake writes the [new] column and reports a conflict if the record changed since.".into(),
                options: Vec::new(),
                ..column.clone()
            });
            columns.push(XlsxColumn {
                header: format!("[new] {}", f.label),
                ..column
            });
        } else {
            columns.push(XlsxColumn {
                header: f.label.clone(),
                ..column
            });
        }
    }
    debug_assert_eq!(columns.len(), header.len());
    let mut w = XlsxWriter::new(&sheet_name(rt), &columns)?;
    let mut n = 0u64;
    let mut session = store.read()?;
    let mut texts: Vec<String> = Vec::with_capacity(fields.len());
    session.scan(rt, &filter, &mut |rec| {
        let uuid = uuid_text(&rec.uuid);
        texts.clear();
        for (i, f) in &fields {
            let list = f.field_type.list().and_then(|l| schema.list(l));
            texts.push(to_cell(&rec.values[*i], f, list, locale));
        }
        let mut cells = Vec::with_capacity(columns.len());
        cells.push(XlsxCell::Text(&uuid));
        for ((i, f), text) in fields.iter().zip(&texts) {
            let cell = export_cell(&rec.values[*i], f, text);
            if pairs.contains(i) {
                cells.push(cell);
            }
            cells.push(cell);
        }
        w.write_row(&cells)
            .map_err(|e| StoreError::Backend(format!("cannot write the export: {e}")))?;
        n += 1;
        Ok(())
    })?;
    w.finish(out)?;
    Ok(n)
}
