//! Workbooks intake writes: the XLSX template and what the XLSX export needs from the schema.
//!
//! A column's cell format and dropdown come from its field; the template also gets a header
//! note per column and a `Fields` sheet with the same words as `intake describe`. Typed cells
//! are chosen so that the workbook reader gives back text the field parses to the same stored
//! value; where a typed cell could not promise that (more than 15 significant digits, a
//! fraction of a second), the cell is the export's text instead. Number cells are read back
//! with the workspace's decimal separator, so decimals are typed cells in every locale.

use std::io::{self, Seek, Write};

use intake_core::describe::{describe, inline_columns, template_fields};
use intake_core::schema::{Field, FieldType, RecordType, Schema};
use intake_core::stored::{Stored, to_cell};
use intake_formats::xlsx::iso_date;
use intake_formats::{ColumnKind, XlsxCell, XlsxColumn, XlsxWriter};

/// The name of the template's sheet of field descriptions.
pub const FIELDS_SHEET: &str = "Fields";

/// A writer the XLSX files can go to: a file, or a buffer in a `Cursor`.
pub trait OutputWriter: Write + Seek + Send {}

impl<T: Write + Seek + Send> OutputWriter for T {}

/// The sheet name of a record type's records (Excel allows 31 characters, and no `[]:*?/\`).
pub fn sheet_name(rt: &RecordType) -> String {
    let name: String = rt
        .label
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    let name = name.trim_matches('\'').trim().to_string();
    if name.is_empty() || name.eq_ignore_ascii_case(FIELDS_SHEET) || name == "Lists" {
        "Records".into()
    } else {
        name
    }
}

/// The cell format of a field's column.
pub fn column_kind(field: &Field) -> ColumnKind {
    match &field.field_type {
        FieldType::Integer { .. } => ColumnKind::Integer,
        FieldType::Decimal { scale, .. } => ColumnKind::Decimal { scale: *scale },
        FieldType::Date => ColumnKind::Date,
        FieldType::DateTime => ColumnKind::DateTime,
        _ => ColumnKind::Text,
    }
}

/// The dropdown of a field's column: the values an export writes (option labels, or codes
/// where a label does not name its option alone; `true`/`false`).
pub fn dropdown(schema: &Schema, field: &Field) -> Vec<String> {
    match &field.field_type {
        FieldType::Boolean => vec!["true".into(), "false".into()],
        FieldType::Select { list } => schema
            .list(list)
            .map(|l| {
                l.options
                    .iter()
                    .map(|o| {
                        to_cell(
                            &Stored::Text(o.code.clone()),
                            field,
                            Some(l),
                            &schema.locale,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The cell an export writes for a stored value; `text` is the CSV export's text of it.
pub fn export_cell<'a>(stored: &'a Stored, field: &Field, text: &'a str) -> XlsxCell<'a> {
    match (stored, &field.field_type) {
        (Stored::Null, _) => XlsxCell::Empty,
        (Stored::Integer(_), FieldType::Boolean) => XlsxCell::Text(text),
        (Stored::Integer(i), _) if i.unsigned_abs() < 1_000_000_000_000_000 => {
            XlsxCell::Number(*i as f64)
        }
        (Stored::Text(s), FieldType::Decimal { .. })
            if s.bytes().filter(u8::is_ascii_digit).count() <= 15 =>
        {
            s.parse::<f64>()
                .map_or(XlsxCell::Text(text), XlsxCell::Number)
        }
        (Stored::Text(s), FieldType::Date) => match iso_date(s) {
            Some((y, m, d)) => XlsxCell::Date(y, m, d),
            None => XlsxCell::Text(text),
        },
        (Stored::Text(s), FieldType::DateTime) => match utc_seconds(s) {
            Some((y, m, d, h, mi, sec)) if (h, mi, sec) != (0, 0, 0) => {
                XlsxCell::DateTime(y, m, d, h, mi, sec)
            }
            // Midnight reads back as a date alone, which a date-time column does not take.
            _ => XlsxCell::Text(text),
        },
        _ => XlsxCell::Text(text),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` (whole seconds, UTC) in parts.
fn utc_seconds(s: &str) -> Option<(u16, u8, u8, u8, u8, u8)> {
    if s.len() != 20 || !s.ends_with('Z') || s.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    let (y, m, d) = iso_date(s.get(..10)?)?;
    let t = s.get(11..19)?.as_bytes();
    if t[2] != b':' || t[5] != b':' {
        return None;
    }
    let part = |i: usize| -> Option<u8> { s.get(11 + i..13 + i)?.parse().ok() };
    let (h, mi, sec) = (part(0)?, part(3)?, part(6)?);
    (h < 24 && mi < 60 && sec < 60).then_some((y, m, d, h, mi, sec))
}

/// Writes a record type's template: the header of the CSV template (UUID, links, the columns
/// of linked records created inline, fields), styled and frozen, required columns marked,
/// notes, cell formats and dropdowns; then the `Fields` sheet. Returns the headers.
pub fn template_xlsx(
    schema: &Schema,
    rt: &RecordType,
    out: &mut dyn OutputWriter,
) -> io::Result<Vec<String>> {
    let fields = template_fields(rt);
    let links = fields
        .iter()
        .take_while(|f| matches!(f.field_type, FieldType::Link(_)))
        .count();
    // The same order as `describe` and `template_headers_with_inline`.
    let mut sources: Vec<Option<&Field>> = vec![None];
    sources.extend(fields[..links].iter().map(|f| Some(*f)));
    sources.extend(
        inline_columns(schema, rt)
            .into_iter()
            .map(|c| Some(c.field)),
    );
    sources.extend(fields[links..].iter().map(|f| Some(*f)));
    let descriptions = describe(schema, rt);
    let columns: Vec<XlsxColumn> = descriptions
        .iter()
        .zip(&sources)
        .map(|(d, field)| {
            let mut note = String::new();
            if d.required {
                note.push_str("Required for new records.\n");
            }
            note.push_str(&d.format);
            if !d.unique.is_empty() {
                note.push_str(&format!("; {}", d.unique));
            }
            if !d.help.is_empty() {
                note.push_str(&format!("\n{}", d.help));
            }
            XlsxColumn {
                header: d.header.clone(),
                kind: field.map_or(ColumnKind::Text, column_kind),
                required: d.required,
                note,
                options: field.map(|f| dropdown(schema, f)).unwrap_or_default(),
            }
        })
        .collect();
    let mut w = XlsxWriter::new(&sheet_name(rt), &columns)?;
    let rows = descriptions
        .iter()
        .map(|d| {
            vec![
                d.header.clone(),
                d.type_name.clone(),
                if d.required { "yes" } else { "no" }.to_string(),
                d.unique.clone(),
                d.format.clone(),
                d.allowed.join("\n"),
                d.help.clone(),
            ]
        })
        .collect();
    w.add_sheet(
        FIELDS_SHEET,
        [
            "Column",
            "Type",
            "Required",
            "Unique",
            "Format",
            "Allowed values",
            "Description",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    );
    w.finish(out)?;
    Ok(descriptions.into_iter().map(|d| d.header).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use intake_core::demo::demo;

    #[test]
    fn typed_cells_only_where_they_read_back_exactly() {
        let schema = demo("crm")
            .and_then(|d| d.schema().ok())
            .expect("the crm demo loads");
        let account = schema.record_type("account").expect("account");
        let revenue = account.field("annual_revenue").expect("a decimal field");
        let s = Stored::Text("1234.50".into());
        assert_eq!(
            export_cell(&s, revenue, "1234.50"),
            XlsxCell::Number(1234.5)
        );
        let long = Stored::Text("1234567890123456.50".into());
        assert_eq!(export_cell(&long, revenue, "x"), XlsxCell::Text("x"));
        let contact = schema.record_type("contact").expect("contact");
        let birth = contact.field("birth_date").expect("a date field");
        let d = Stored::Text("2024-03-01".into());
        assert_eq!(
            export_cell(&d, birth, "2024-03-01"),
            XlsxCell::Date(2024, 3, 1)
        );
        assert_eq!(
            utc_seconds("2024-03-01T14:30:05Z"),
            Some((2024, 3, 1, 14, 30, 5))
        );
        assert_eq!(utc_seconds("2024-03-01T14:30:05.5Z"), None);
    }
}
