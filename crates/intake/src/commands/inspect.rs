//! `intake inspect FILE`: what intake reads, before any schema is involved. The first thing
//! to run on a file that surprises you.

use intake_core::report::column_letter;
use intake_formats::csv::delimiter_name;
use intake_formats::{CsvReader, RecordBatch};
use serde_json::json;

use crate::Outcome;
use crate::args::{Global, InspectArgs};
use crate::options::csv_options;
use crate::render::{cell, count, table};

/// Rows shown on a terminal unless `--rows` says otherwise.
const DEFAULT_ROWS: usize = 20;

pub fn run(_global: &Global, args: &InspectArgs) -> anyhow::Result<Outcome> {
    let options = csv_options(&args.read)?;
    let file = fs_err::File::open(&args.file)?;
    let mut reader = CsvReader::new(std::io::BufReader::with_capacity(1 << 16, file), &options)?;
    let detected = *reader.detected();
    let limit = args
        .rows
        .unwrap_or(if args.json { usize::MAX } else { DEFAULT_ROWS });

    let mut batch = RecordBatch::new();
    let mut header: Option<(u64, Vec<String>)> = None;
    let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
    let mut total = 0u64;
    let mut warnings = Vec::new();
    let mut error = None;
    loop {
        match reader.read_batch(&mut batch, 4096) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                error = Some(e);
                break;
            }
        }
        for rec in batch.iter() {
            let row = rec.row().get();
            for issue in rec.issues() {
                let column = header
                    .as_ref()
                    .and_then(|h| h.1.get(issue.column).cloned())
                    .unwrap_or_default();
                warnings.push(json!({
                    "row": row,
                    "column": column,
                    "column_letter": column_letter(issue.column),
                    "code": issue.kind.code(),
                    "message": issue.kind.message(),
                }));
            }
            match &header {
                None => header = Some((row, rec.to_vec())),
                Some((_, h)) => {
                    total += 1;
                    if rec.len() != h.len() {
                        warnings.push(json!({
                            "row": row,
                            "column": null,
                            "code": "wrong_field_count",
                            "message": format!("the row has {} cells but the header has {}", rec.len(), h.len()),
                        }));
                    }
                    if rows.len() < limit {
                        rows.push((row, rec.to_vec()));
                    }
                }
            }
        }
    }
    let (header_row, header) = header.unwrap_or((1, Vec::new()));
    let delimiter = (detected.delimiter as char).to_string();
    let errors: Vec<_> = error
        .iter()
        .map(|e| json!({ "row": e.row().map(|r| r.get()), "code": e.code(), "message": e.to_string() }))
        .collect();

    if args.json {
        let doc = json!({
            "format": "csv",
            "encoding": detected.encoding.name().to_ascii_lowercase(),
            "encoding_source": detected.encoding_source.describe(),
            "bom": detected.bom,
            "delimiter": delimiter,
            "line_ending": detected.line_ending.name(),
            "sheets": [],
            "sheet": null,
            "header_row": header_row,
            "header": header,
            "row_count": total,
            "rows": rows.iter().map(|(_, r)| r).collect::<Vec<_>>(),
            "row_numbers": rows.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            "warnings": warnings,
            "errors": errors,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!("file:      {}", args.file.display());
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
        println!("header:    row {header_row}, {} columns", header.len());
        println!("data rows: {}", count(total));
        println!();
        let mut head = vec!["ROW".to_string()];
        head.extend(
            header
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
        if (rows.len() as u64) < total {
            println!(
                "… {} more rows (--rows N shows more, --json shows all)",
                count(total - rows.len() as u64)
            );
        }
        for w in &warnings {
            let col = w["column"]
                .as_str()
                .filter(|c| !c.is_empty())
                .map(|c| format!(", column `{c}`"))
                .unwrap_or_default();
            eprintln!(
                "warning: row {}{col}: {}",
                w["row"],
                w["message"].as_str().unwrap_or_default()
            );
        }
        for e in &errors {
            eprintln!("error: {}", e["message"].as_str().unwrap_or_default());
        }
    }
    Ok(if error.is_some() {
        Outcome::Problems
    } else {
        Outcome::Ok
    })
}
