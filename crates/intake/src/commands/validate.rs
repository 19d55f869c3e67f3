//! `intake validate TYPE FILE`: every problem of a file, nothing written.

use std::io::{IsTerminal, Write};
use std::path::Path;

use intake_core::report::{Problem, ValidationReport, render};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use intake_engine::{
    EngineError, FileValidation, ImportError, ImportRequest, NoProgress, OnError, Outputs,
    Progress, UnknownValues,
};
use intake_formats::ReadError;
use intake_formats::{CsvWriter, CsvWriterOptions};
use intake_store::Counts;
use serde_json::json;

use crate::args::{Global, ValidateArgs};
use crate::progress::{CountedFile, ProgressLine};
use crate::render::{cell, count, plural, table};
use crate::{Outcome, options, workspace};

pub fn run(global: &Global, args: &ValidateArgs) -> anyhow::Result<Outcome> {
    let mut ws = workspace::load(&global.workspace)?;
    let store = ws.store(global.database.as_deref())?;
    let request = options::request(&ws.schema, &args.record_type, &args.options)?;
    if !args.file.exists() {
        anyhow::bail!("cannot read `{}`: no such file", args.file.display());
    }
    let size = fs_err::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    let read = Arc::new(AtomicU64::new(0));
    let line = if args.json {
        None
    } else {
        ProgressLine::new("validating", size, read.clone())
    };
    let progress: &dyn Progress = match &line {
        Some(l) => l,
        None => &NoProgress,
    };
    // A dry run of the import: every check against the database, nothing written.
    let import = ImportRequest {
        record_type: request.record_type,
        options: request.options,
        csv: request.csv,
        sheet: request.sheet.clone(),
        mapping: request.mapping,
        threads: request.threads,
        on_error: OnError::Abort,
        match_on: args.options.match_on.clone(),
        force: false,
        now: super::import::now(),
        fail_at: None,
        job: None,
        dry_run: true,
    };
    let result = intake_engine::import(
        &ws.schema,
        &store,
        &CountedFile {
            path: args.file.clone(),
            read: read.clone(),
        },
        &import,
        Outputs::default(),
        progress,
    );
    if let Some(l) = &line {
        l.finish();
    }
    let o = result.map_err(|e| match e {
        ImportError::Engine(e) => with_hint(e),
        other => anyhow::anyhow!(other),
    })?;
    let unknown = match ws.schema.record_type(&args.record_type) {
        Some(rt) => intake_engine::unknown_values(&ws.schema, rt, &o.mapping, &o.report),
        None => Vec::new(),
    };
    let v = Checked {
        unknown,
        file: FileValidation {
            detected: o.detected,
            workbook: o.workbook,
            header: o.header,
            header_row: o.header_row,
            mapping: o.mapping,
            report: o.report,
        },
        counts: o.counts,
        linked_created: o.linked_created,
        shared_updated: o.shared_updated,
    };
    if let Some(path) = &args.report {
        write_report(path, &v.file.report)?;
    }
    if args.json {
        print_json(&v)?;
    } else {
        print_human(args, &v);
    }
    Ok(if v.file.report.is_ok() {
        Outcome::Ok
    } else {
        Outcome::Problems
    })
}

/// A validated file and what an import of it would write.
struct Checked {
    file: FileValidation,
    /// Per lookup column, the values that match no option (to map with `[values."Header"]`).
    unknown: Vec<UnknownValues>,
    counts: Counts,
    /// Linked records an import would create inline, per type.
    linked_created: std::collections::BTreeMap<String, u64>,
    /// Linked records an import would update to keep shared fields equal.
    shared_updated: u64,
}

/// Adds the flag that would help to an error the user can fix from the command line.
fn with_hint(e: EngineError) -> anyhow::Error {
    let hint = match &e {
        EngineError::Read { error, .. } => match error {
            ReadError::CellTooLong { .. } => {
                "hint: if the cell is right, raise the limit with --max-cell-chars N"
            }
            ReadError::TooManyColumns { .. } => {
                "hint: if the columns are right, raise the limit with --max-columns N"
            }
            ReadError::TooManyRows { .. } => {
                "hint: raise the limit with --max-rows N, or split the file"
            }
            ReadError::TooLarge { .. } => {
                "hint: raise the limit with --max-file-mb N, or split the file"
            }
            ReadError::Utf16WithoutBom => {
                "hint: choose the encoding with --encoding (utf-8, utf-16le, utf-16be, windows-1252)"
            }
            _ => "",
        },
        _ => "",
    };
    if hint.is_empty() {
        e.into()
    } else {
        anyhow::anyhow!("{e}\n{hint}")
    }
}

/// A problem as `--json` and JSON reports give it.
#[derive(serde::Serialize)]
struct ProblemJson<'a> {
    row: intake_core::RowNumber,
    column: Option<&'a str>,
    field: Option<&'a str>,
    value: &'a str,
    code: intake_core::report::ProblemCode,
    message: &'a str,
}

/// A report's problems as a JSON array, written one problem at a time: a million problems
/// are not first copied into a JSON tree.
pub struct ProblemsJson<'a>(pub &'a [Problem]);

impl serde::Serialize for ProblemsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|p| ProblemJson {
            row: p.row,
            column: p.column.as_ref().map(|c| c.header.as_str()),
            field: p.field.as_deref(),
            value: &p.value,
            code: p.code,
            message: &p.message,
        }))
    }
}

fn print_json(c: &Checked) -> anyhow::Result<()> {
    let v = &c.file;
    let r = &v.report;
    /// `--json`: the problems are written one at a time, the rest is small.
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        rows: u64,
        created: u64,
        updated: u64,
        unchanged: u64,
        deleted: u64,
        failed: u64,
        problems: ProblemsJson<'a>,
        warnings: serde_json::Value,
        judgements: &'a [intake_core::report::Judgement],
        unknown_values: serde_json::Value,
        detected: serde_json::Value,
    }
    let doc = Doc {
        rows: r.rows,
        created: c.counts.created,
        updated: c.counts.updated,
        unchanged: c.counts.unchanged,
        deleted: c.counts.deleted,
        failed: r.failed_rows,
        problems: ProblemsJson(&r.problems),
        warnings: r
            .warnings
            .iter()
            .map(|w| {
                json!({
                    "row": w.row,
                    "column": w.column.as_ref().map(|c| c.header.as_str()),
                    "code": w.code,
                    "message": w.message,
                })
            })
            .collect(),
        judgements: &r.judgements,
        unknown_values: c
            .unknown
            .iter()
            .map(|u| {
                json!({
                    "column": u.column.header,
                    "field": u.field,
                    "values": u.values,
                    "truncated": u.truncated,
                })
            })
            .collect(),
        detected: match (&v.detected, &v.workbook) {
            (Some(d), _) => json!({
                "format": "csv",
                "encoding": d.encoding.name().to_ascii_lowercase(),
                "delimiter": (d.delimiter as char).to_string(),
                "header_row": v.header_row,
            }),
            (None, w) => json!({
                "format": w.as_ref().map(|w| w.format.name()),
                "sheet": w.as_ref().map(|w| w.sheet.as_str()),
                "header_row": v.header_row,
            }),
        },
    };
    crate::render::print_json(&doc)
}

fn print_human(args: &ValidateArgs, c: &Checked) {
    let v = &c.file;
    let r = &v.report;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "read `{}`: {}; header in row {}",
        args.file.display(),
        match (&v.detected, &v.workbook) {
            (Some(d), _) => d.to_string(),
            (None, Some(w)) => format!(
                "{}, sheet `{}`",
                w.format.name().to_ascii_uppercase(),
                w.sheet
            ),
            (None, None) => String::new(),
        },
        v.header_row
    );
    const SHOWN_WARNINGS: usize = 20;
    for w in r.warnings.iter().take(SHOWN_WARNINGS) {
        // Column warnings name their column in the message already.
        let at = match (&w.row, &w.column) {
            (Some(row), None) if row.get() > 1 => format!("row {row}: "),
            _ => String::new(),
        };
        let _ = writeln!(err, "warning: {at}{}", w.message);
    }
    if r.warnings.len() > SHOWN_WARNINGS {
        let more = (r.warnings.len() - SHOWN_WARNINGS) as u64;
        let _ = writeln!(
            err,
            "warning: … and {} more warnings (--json lists them all)",
            count(more)
        );
    }
    let _ = err.flush();
    drop(err);

    let mut out = std::io::stdout().lock();
    let (created, updated) = (c.counts.created, c.counts.updated);
    if r.problems.is_empty() {
        let _ = writeln!(
            out,
            "{}: no problems in {}; an import would create {}, update {} and leave {} unchanged{}",
            args.file.display(),
            plural(r.rows, "row"),
            count(created),
            count(updated),
            count(c.counts.unchanged),
            c.linked_created
                .iter()
                .map(|(t, n)| format!(", and create {} linked `{t}`", count(*n)))
                .chain((c.shared_updated > 0).then(|| format!(
                    ", and update {} linked to keep shared fields equal",
                    plural(c.shared_updated, "record")
                )))
                .collect::<String>()
        );
        return;
    }
    let _ = writeln!(
        out,
        "{}: {} {} (as is, an import would write nothing)",
        args.file.display(),
        plural(r.problems.len() as u64, "problem"),
        if r.failed_rows == 0 {
            "with the file's columns".to_string()
        } else {
            format!(
                "in {} of {}",
                plural(r.failed_rows, "row"),
                plural(r.rows, "row")
            )
        }
    );
    let _ = writeln!(out);
    let counts: Vec<Vec<String>> = r
        .counts()
        .into_iter()
        .take(20)
        .map(|(col, code, n)| vec![count(n), cell(&col, 30), code.to_string()])
        .collect();
    let _ = write!(out, "{}", table(&["COUNT", "COLUMN", "CODE"], &counts));
    let _ = writeln!(out);
    let shown = args.limit.min(r.problems.len());
    let terminal = std::io::stdout().is_terminal();
    for p in r.problems.iter().take(shown) {
        let mut line = render(p);
        if terminal {
            line = cell(&line, 300);
        }
        let _ = writeln!(out, "{line}");
    }
    if shown < r.problems.len() {
        let more = (r.problems.len() - shown) as u64;
        let hint = match &args.report {
            Some(path) => format!("all are in `{}`", path.display()),
            None => "write them all with --report problems.csv".to_string(),
        };
        let _ = writeln!(
            out,
            "… and {} more (--limit N lists more); {hint}",
            count(more)
        );
    } else if let Some(path) = &args.report {
        let _ = writeln!(out, "the list is also in `{}`", path.display());
    }
    let _ = out.flush();
    drop(out);
    let mut err = std::io::stderr().lock();
    for u in &c.unknown {
        let Some(first) = u.values.first() else {
            continue;
        };
        let _ = writeln!(
            err,
            "hint: map the unknown values of `{}` in a mapping file (--mapping FILE): [values.\"{}\"] \"{}\" = \"an option\" (or {{ create = true }})",
            u.column.header.trim(),
            toml_key(u.column.header.trim()),
            toml_key(&first.value)
        );
    }
}

/// Text as the inside of a TOML basic string.
fn toml_key(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t")
}

/// Writes every problem: JSON when the file name ends in `.json`, else CSV.
fn write_report(path: &Path, r: &ValidationReport) -> anyhow::Result<()> {
    let file = fs_err::File::create(path)?;
    let mut w = std::io::BufWriter::new(file);
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        /// The report as JSON: the problems are written one at a time.
        #[derive(serde::Serialize)]
        struct Doc<'a> {
            rows: u64,
            failed: u64,
            problems: ProblemsJson<'a>,
            warnings: &'a [intake_core::report::Warning],
            judgements: &'a [intake_core::report::Judgement],
        }
        let doc = Doc {
            rows: r.rows,
            failed: r.failed_rows,
            problems: ProblemsJson(&r.problems),
            warnings: &r.warnings,
            judgements: &r.judgements,
        };
        serde_json::to_writer_pretty(&mut w, &doc)?;
        writeln!(w)?;
    } else {
        let mut csv = CsvWriter::new(
            &mut w,
            &CsvWriterOptions {
                bom: true,
                ..CsvWriterOptions::default()
            },
        )?;
        csv.write_record([
            "row",
            "column",
            "column_letter",
            "field",
            "value",
            "code",
            "message",
        ])?;
        for p in &r.problems {
            let row = p.row.to_string();
            let (header, letter) = p
                .column
                .as_ref()
                .map_or((String::new(), String::new()), |c| {
                    (c.header.clone(), c.letter())
                });
            csv.write_record([
                row.as_str(),
                header.as_str(),
                letter.as_str(),
                p.field.as_deref().unwrap_or_default(),
                p.value.as_str(),
                p.code.as_str(),
                p.message.as_str(),
            ])?;
        }
        csv.flush()?;
    }
    w.flush()?;
    Ok(())
}
