//! `intake inspect FILE`: what intake reads, before any schema is involved. The first thing
//! to run on a file that surprises you.
//!
//! `--json` streams the rows as they are read, so a file of any size is inspected in the
//! memory of one batch.

use std::io::Write;

use intake_core::report::column_letter;
use intake_formats::csv::delimiter_name;
use intake_formats::{ReadError, RecordBatch, RowSource, Workbook};
use serde_json::{Value, json};

use crate::Outcome;
use crate::args::{Global, InspectArgs};
use crate::options::{csv_options, sheet_options};
use crate::render::{cell, count, table};

/// Rows shown on a terminal unless `--rows` says otherwise.
const DEFAULT_ROWS: usize = 20;
/// Warnings kept; the rest are counted.
const MAX_WARNINGS: usize = 10_000;

/// What was read, besides the rows themselves.
struct Seen {
    header_row: u64,
    header: Vec<String>,
    total: u64,
    warnings: Vec<Value>,
    more_warnings: u64,
    error: Option<ReadError>,
}

impl Seen {
    fn warn(&mut self, w: Value) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(w);
        } else {
            self.more_warnings += 1;
        }
    }
}

/// What [`read_all`] hands out as it reads.
enum Event<'a> {
    /// The header row: its number and cells (empty if the file has none).
    Header(u64, &'a [String]),
    /// A data row: its number and cells.
    Row(u64, &'a intake_formats::RecordRef<'a>),
}

/// Reads the whole file, calling `on` for the header and each data row.
fn read_all(
    reader: &mut dyn RowSource,
    mut on: impl FnMut(Event<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<Seen> {
    let mut seen = Seen {
        header_row: 1,
        header: Vec::new(),
        total: 0,
        warnings: Vec::new(),
        more_warnings: 0,
        error: None,
    };
    let mut batch = RecordBatch::new();
    let mut have_header = false;
    loop {
        match reader.read_batch(&mut batch, 4096) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                seen.error = Some(e);
                break;
            }
        }
        for rec in batch.iter() {
            let row = rec.row().get();
            if !have_header {
                have_header = true;
                seen.header_row = row;
                seen.header = rec.to_vec();
                on(Event::Header(row, &seen.header))?;
            } else {
                seen.total += 1;
                if rec.len() != seen.header.len() {
                    let message = format!(
                        "the row has {} cells but the header has {}",
                        rec.len(),
                        seen.header.len()
                    );
                    seen.warn(json!({ "row": row, "column": null, "code": "wrong_field_count", "message": message }));
                }
                on(Event::Row(row, &rec))?;
            }
            for issue in rec.issues() {
                let column = seen.header.get(issue.column).cloned().unwrap_or_default();
                seen.warn(json!({
                    "row": row,
                    "column": column,
                    "column_letter": column_letter(issue.column),
                    "code": issue.kind.code(),
                    "message": issue.kind.message(),
                }));
            }
        }
    }
    if !have_header {
        on(Event::Header(1, &[]))?;
    }
    for w in reader.take_warnings() {
        seen.warn(json!({
            "row": w.row.map(|r| r.get()),
            "column": w.column.map(|c| c.header),
            "code": w.code.as_str(),
            "message": w.message,
        }));
    }
    Ok(seen)
}

fn error_json(e: &ReadError) -> Value {
    json!({ "row": e.row().map(|r| r.get()), "code": e.code(), "message": e.to_string() })
}

pub fn run(_global: &Global, args: &InspectArgs) -> anyhow::Result<Outcome> {
    let options = csv_options(&args.read)?;
    let file = fs_err::File::open(&args.file)?;
    let mut reader = intake_formats::open(
        std::io::BufReader::with_capacity(1 << 16, file),
        &options,
        &sheet_options(&args.read),
    )?;
    let seen = if args.json {
        json_out(&mut reader, args.rows.unwrap_or(usize::MAX))?
    } else {
        human_out(&mut reader, args)?
    };
    Ok(if seen.error.is_some() {
        Outcome::Problems
    } else {
        Outcome::Ok
    })
}

fn sheets_json(workbook: Option<&Workbook>) -> Value {
    workbook.map_or_else(
        || json!([]),
        |w| {
            w.sheets
                .iter()
                .map(|s| {
                    json!({
                        "name": s.name,
                        "visible": s.visibility == intake_formats::Visibility::Visible,
                        "visibility": s.visibility.name(),
                    })
                })
                .collect()
        },
    )
}

fn json_out(reader: &mut dyn RowSource, limit: usize) -> anyhow::Result<Seen> {
    let detected = reader.detected().copied();
    let workbook = reader.workbook().cloned();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut numbers: Vec<u64> = Vec::new();
    let mut shown = 0usize;
    let seen = read_all(reader, |event| {
        match event {
            Event::Header(header_row, header) => {
                let head = match (&detected, &workbook) {
                    (Some(detected), _) => json!({
                        "format": "csv",
                        "encoding": detected.encoding.name().to_ascii_lowercase(),
                        "encoding_source": detected.encoding_source.describe(),
                        "bom": detected.bom,
                        "delimiter": (detected.delimiter as char).to_string(),
                        "line_ending": detected.line_ending.name(),
                        "sheets": [],
                        "sheet": null,
                        "header_row": header_row,
                        "header": header,
                    }),
                    (None, w) => json!({
                        "format": w.as_ref().map_or("", |w| w.format.name()),
                        "encoding": null,
                        "delimiter": null,
                        "sheets": sheets_json(w.as_ref()),
                        "sheet": w.as_ref().map(|w| w.sheet.clone()),
                        "date_system": w.as_ref().map(|w| if w.date_1904 { "1904" } else { "1900" }),
                        "header_row": header_row,
                        "header": header,
                    }),
                };
                // Everything but the closing brace, then the rows as they come.
                let text = serde_json::to_string_pretty(&head)?;
                out.write_all(text.trim_end().trim_end_matches('}').trim_end().as_bytes())?;
                out.write_all(b",\n  \"rows\": [")?;
            }
            Event::Row(row, rec) => {
                if shown < limit {
                    out.write_all(if shown == 0 { b"\n    " } else { b",\n    " })?;
                    serde_json::to_writer(&mut out, &rec.iter().collect::<Vec<_>>())?;
                    numbers.push(row);
                    shown += 1;
                }
            }
        }
        Ok(())
    })?;
    out.write_all(if shown == 0 { b"]" } else { b"\n  ]" })?;
    let tail = json!({
        "row_numbers": numbers,
        "row_count": seen.total,
        "warnings": seen.warnings,
        "warnings_not_listed": seen.more_warnings,
        "errors": seen.error.iter().map(error_json).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&tail)?;
    let inner = text
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim_end();
    out.write_all(b",")?;
    out.write_all(inner.as_bytes())?;
    out.write_all(b"\n}\n")?;
    out.flush()?;
    Ok(seen)
}

fn human_out(reader: &mut dyn RowSource, args: &InspectArgs) -> anyhow::Result<Seen> {
    let detected = reader.detected().copied();
    let workbook = reader.workbook().cloned();
    let limit = args.rows.unwrap_or(DEFAULT_ROWS);
    let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
    let seen = read_all(reader, |event| {
        if let Event::Row(row, rec) = event
            && rows.len() < limit
        {
            rows.push((row, rec.to_vec()));
        }
        Ok(())
    })?;
    println!("file:      {}", args.file.display());
    if let Some(detected) = detected {
        println!("format:    CSV");
        println!(
            "encoding:  {} ({}){}",
            detected.encoding.name(),
            detected.encoding_source.describe(),
            if detected.bom {
                ", with a byte-order mark"
            } else {
                ""
            }
        );
        println!(
            "delimiter: {} ({})",
            delimiter_name(detected.delimiter),
            detected.delimiter_source.describe()
        );
        println!("lines end: {}", detected.line_ending.name());
    }
    if let Some(w) = &workbook {
        println!("format:    {}", w.format.name().to_ascii_uppercase());
        let sheets: Vec<String> = w
            .sheets
            .iter()
            .map(|s| match s.visibility {
                intake_formats::Visibility::Visible => s.name.clone(),
                v => format!("{} ({})", s.name, v.name()),
            })
            .collect();
        println!("sheets:    {}", sheets.join(", "));
        println!("sheet:     {}", w.sheet);
        if w.date_1904 {
            println!("dates:     1904 date system");
        }
    }
    println!(
        "header:    row {}, {} columns",
        seen.header_row,
        seen.header.len()
    );
    println!("data rows: {}", count(seen.total));
    println!();
    let mut head = vec!["ROW".to_string()];
    head.extend(
        seen.header
            .iter()
            .enumerate()
            .map(|(i, h)| format!("{} {}", column_letter(i), cell(h, 24))),
    );
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|(n, r)| {
            std::iter::once(n.to_string())
                .chain(r.iter().map(|c| cell(c, 24)))
                .collect()
        })
        .collect();
    let head_refs: Vec<&str> = head.iter().map(String::as_str).collect();
    print!("{}", table(&head_refs, &body));
    if (rows.len() as u64) < seen.total {
        println!(
            "… {} more rows (--rows N shows more, --json shows all)",
            count(seen.total - rows.len() as u64)
        );
    }
    for w in &seen.warnings {
        let col = w["column"]
            .as_str()
            .filter(|c| !c.is_empty())
            .map(|c| format!(", column `{c}`"))
            .unwrap_or_default();
        let row = w["row"]
            .as_u64()
            .map(|r| format!("row {r}{col}: "))
            .unwrap_or_default();
        eprintln!(
            "warning: {row}{}",
            w["message"].as_str().unwrap_or_default()
        );
    }
    if seen.more_warnings > 0 {
        eprintln!("warning: … and {} more warnings", count(seen.more_warnings));
    }
    if let Some(e) = &seen.error {
        eprintln!("error: {e}");
    }
    Ok(seen)
}
