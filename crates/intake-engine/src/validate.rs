//! Validate a file against a record type: read, map, check every cell, report.
//!
//! The reader runs on the calling thread and hands batches of rows to worker threads, which
//! check them with the immutable [`Validator`]; results are merged back in file order by the
//! calling thread. Memory is bounded by the number of batches in flight, not by the file.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::sync::{Mutex, mpsc};

use intake_core::RowNumber;
use intake_core::mapping::{ManualMapping, MapOptions, Mapping, MappingOutcome, auto_map};
use intake_core::report::{
    ProblemCode, ValidationReport, Warning, column_letter, display_header, thousands,
};
use intake_core::schema::{RecordType, Schema};
use intake_core::validate::{BatchOutput, CellFlag, Row, ValidateOptions, Validation, Validator};
use intake_formats::{
    CellIssueKind, CsvOptions, Detected, ReadError, RecordBatch, RecordRef, RowSource,
    SheetOptions, Source, Workbook,
};

use crate::progress::Progress;

/// Rows per batch: large enough to amortise the hand-over between threads, small enough to
/// keep memory flat.
const BATCH_ROWS: usize = 4096;

/// What to validate and how.
#[derive(Debug, Clone)]
pub struct ValidateRequest {
    /// The record type's name.
    pub record_type: String,
    /// Cell-level options (locale, explicit formats, ignore-required).
    pub options: ValidateOptions,
    /// How to read the CSV (delimiter, encoding, limits; the limits apply to workbooks too).
    pub csv: CsvOptions,
    /// Which sheet of a workbook to read, and whether hidden rows are left out.
    pub sheet: SheetOptions,
    /// The user's mapping file, if any.
    pub mapping: ManualMapping,
    /// Worker threads (0 = one per available core).
    pub threads: usize,
}

/// The result of validating one file.
#[derive(Debug, Clone)]
pub struct FileValidation {
    /// What the CSV reader detected (`None` for a workbook).
    pub detected: Option<Detected>,
    /// The workbook and the sheet read (`None` for CSV).
    pub workbook: Option<Workbook>,
    /// The header row as written, and its row number.
    pub header: Vec<String>,
    /// The header's row (after leading blank lines).
    pub header_row: RowNumber,
    /// How the columns were mapped.
    pub mapping: Mapping,
    /// Every problem and warning.
    pub report: ValidationReport,
}

/// Why validation could not run (as opposed to the file having problems, which is a report).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The schema has no such record type.
    #[error("there is no record type `{name}`; the workspace has: {available}")]
    UnknownType {
        /// The name asked for.
        name: String,
        /// The names it has.
        available: String,
    },
    /// The mapping file names fields that do not exist.
    #[error(transparent)]
    Mapping(#[from] intake_core::mapping::ManualMappingError),
    /// The file could not be read.
    #[error("{}", ReadErrorDisplay { error, header })]
    Read {
        /// What the reader said.
        error: ReadError,
        /// The header, when the error came after it (to name columns).
        header: Option<Vec<String>>,
    },
}

impl EngineError {
    pub(crate) fn read(error: ReadError, header: Option<&[String]>) -> Self {
        EngineError::Read {
            error,
            header: header.map(<[String]>::to_vec),
        }
    }
}

struct ReadErrorDisplay<'a> {
    error: &'a ReadError,
    header: &'a Option<Vec<String>>,
}

impl fmt::Display for ReadErrorDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let col = |c: usize| match self.header.as_ref().and_then(|h| h.get(c)) {
            Some(h) if !h.trim().is_empty() => {
                format!("column `{}` ({})", display_header(h), column_letter(c))
            }
            _ => format!("column {}", column_letter(c)),
        };
        match self.error {
            ReadError::UnclosedQuote { row, column } => write!(
                f,
                "unclosed quote starting at row {row}, {}: the quoted cell never ends, so the rest of the file would be read into it; close the quote (and double any quote inside the cell)",
                col(*column)
            ),
            ReadError::CellTooLong {
                row,
                column,
                limit,
                open_quote,
            } => {
                write!(
                    f,
                    "the cell at row {row}, {} is longer than the limit ({} characters)",
                    col(*column),
                    thousands(*limit as u64)
                )?;
                if *open_quote {
                    write!(f, "; it starts with a quote that may never be closed")?;
                }
                Ok(())
            }
            ReadError::InvalidEncoding {
                row,
                column,
                byte_offset,
                encoding,
            } => write!(
                f,
                "the bytes at row {row}, {} (byte offset {byte_offset}) are not valid {}; choose the file's encoding with --encoding (for example windows-1252)",
                col(*column),
                encoding.name()
            ),
            other => write!(f, "{other}"),
        }
    }
}

/// A record of the reader as a row of the validator.
pub(crate) struct RecordRow<'a>(pub(crate) RecordRef<'a>);

impl Row for RecordRow<'_> {
    fn row(&self) -> RowNumber {
        self.0.row()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn cell(&self, i: usize) -> Option<&str> {
        // Cells intake itself guarded against formula injection come back as they were.
        self.0.get(i).map(intake_formats::unneutralise)
    }
    fn flag(&self, i: usize) -> Option<CellFlag> {
        self.0
            .issues()
            .iter()
            .find(|x| x.column == i)
            .and_then(|x| match x.kind {
                CellIssueKind::Nul => Some(CellFlag::Nul),
                CellIssueKind::TextAfterClosingQuote => Some(CellFlag::TextAfterQuote),
                CellIssueKind::SpreadsheetError => Some(CellFlag::SpreadsheetError),
                _ => None,
            })
    }
}

/// Maps a header to a record type (no file involved).
pub fn map_header(
    record_type: &RecordType,
    header: &[String],
    manual: &ManualMapping,
) -> MappingOutcome {
    auto_map(
        record_type,
        header,
        manual,
        &MapOptions {
            require_required: true,
        },
    )
}

/// Finds a record type or says which exist.
pub fn record_type<'s>(schema: &'s Schema, name: &str) -> Result<&'s RecordType, EngineError> {
    schema
        .record_type(name)
        .ok_or_else(|| EngineError::UnknownType {
            name: name.to_string(),
            available: schema
                .types
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Reads the header row and maps it; returns the header, its row, the mapping and the
/// warnings about the file as a whole.
pub(crate) fn header_of(
    reader: &mut dyn RowSource,
    rt: &RecordType,
    manual: &ManualMapping,
) -> Result<(Vec<String>, RowNumber, MappingOutcome, Vec<Warning>), EngineError> {
    let detected = reader.detected().copied();
    let mut batch = RecordBatch::new();
    if !reader
        .read_batch(&mut batch, 1)
        .map_err(|e| EngineError::read(e, None))?
    {
        return Err(EngineError::read(ReadError::Empty, None));
    }
    let Some(first) = batch.get(0) else {
        return Err(EngineError::read(ReadError::Empty, None));
    };
    let header: Vec<String> = first.to_vec();
    let header_row = first.row();
    let mut mapped = map_header(rt, &header, manual);
    // Header problems are about the header's own row, which blank lines may have moved.
    for p in &mut mapped.problems {
        p.row = header_row;
    }
    for w in &mut mapped.warnings {
        w.row = w.row.map(|_| header_row);
    }
    let mut warnings = reader.take_warnings();
    warnings.extend(mapped.warnings.iter().cloned());
    if let Some(detected) = detected
        && detected.encoding_source == Source::Guessed
    {
        warnings.insert(0, Warning {
            row: None,
            column: None,
            code: ProblemCode::AssumedEncoding,
            message: format!(
                "the file is not UTF-8; assumed {}; if letters look wrong, choose the encoding with --encoding",
                detected.encoding.name()
            ),
        });
    }
    if header_row.get() > 1 {
        warnings.insert(
            0,
            Warning {
                row: Some(header_row),
                column: None,
                code: ProblemCode::BlankRowsBeforeHeader,
                message: if header_row.get() == 2 {
                    "the first row is blank; the header was read from row 2".to_string()
                } else {
                    format!(
                        "the first {} rows are blank; the header was read from row {header_row}",
                        header_row.get() - 1
                    )
                },
            },
        );
    }

    Ok((header, header_row, mapped, warnings))
}

/// Validates a CSV file. A file with problems is `Ok` with problems in the report; `Err`
/// means the file could not be read at all.
pub fn validate<R: Read>(
    schema: &Schema,
    input: R,
    request: &ValidateRequest,
    progress: &dyn Progress,
) -> Result<FileValidation, EngineError> {
    let rt = record_type(schema, &request.record_type)?;
    let mut csv = request.csv;
    if csv.delimiter.is_none() {
        csv.delimiter = request.options.locale.delimiter;
    }
    let sheet = sheet_options(&request.sheet, &request.options.locale);
    let mut reader =
        intake_formats::open(input, &csv, &sheet).map_err(|e| EngineError::read(e, None))?;
    let (header, header_row, mapped, mut warnings) = header_of(&mut reader, rt, &request.mapping)?;
    request.mapping.check(schema, rt, &mapped.mapping)?;
    let detected = reader.detected().copied();
    let workbook = reader.workbook().cloned();
    let validator = Validator::new(schema, rt, &mapped.mapping, &request.options)
        .with_values(&request.mapping.values);

    let threads = if request.threads == 0 {
        std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
    } else {
        request.threads
    };
    let mut validation = validator.start();
    run_pipeline(
        &validator,
        &mut validation,
        &mut reader,
        threads,
        progress,
        &header,
    )?;
    warnings.extend(reader.take_warnings());
    let report = validation.finish(header_row, mapped.problems.clone(), warnings);
    Ok(FileValidation {
        detected,
        workbook,
        header,
        header_row,
        mapping: mapped.mapping,
        report,
    })
}

/// Reads batches, checks them on `threads` workers and merges the outputs in file order.
///
/// Workers take batches from one shared queue, so a slow batch never holds up an idle
/// worker. Batch buffers are handed back for reuse and at most `2 x threads` batches are in
/// flight, so memory stays flat whatever the file size.
fn run_pipeline(
    validator: &Validator<'_>,
    validation: &mut Validation<'_, '_>,
    reader: &mut dyn RowSource,
    threads: usize,
    progress: &dyn Progress,
    header: &[String],
) -> Result<(), EngineError> {
    let threads = threads.max(1);
    let (work_tx, work_rx) = mpsc::sync_channel::<(usize, RecordBatch)>(threads);
    let work_rx = Mutex::new(work_rx);
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<(usize, RecordBatch, BatchOutput)>();
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            scope.spawn(move || {
                loop {
                    // The lock is held only to take the next batch.
                    let next = work_rx.lock().map_or(None, |rx| rx.recv().ok());
                    let Some((seq, batch)) = next else { break };
                    let mut out = BatchOutput::default();
                    for rec in batch.iter() {
                        validator.check_row(&RecordRow(rec), &mut out);
                    }
                    if done_tx.send((seq, batch, out)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);

        // Outputs that arrived before their predecessors wait here to be merged in order.
        let mut waiting: BTreeMap<usize, BatchOutput> = BTreeMap::new();
        let mut next = 0usize;
        let mut rows = 0u64;
        let mut receive = |spare: &mut Vec<RecordBatch>| -> bool {
            let Ok((seq, batch, out)) = done_rx.recv() else {
                return false;
            };
            rows += out.rows();
            progress.on_batch_done(rows, None);
            waiting.insert(seq, out);
            while let Some(mut out) = waiting.remove(&next) {
                validation.merge(&mut out);
                next += 1;
            }
            spare.push(batch);
            true
        };

        let mut spare: Vec<RecordBatch> = Vec::new();
        let (mut sent, mut received) = (0usize, 0usize);
        let mut result = Ok(());
        loop {
            while sent - received >= threads * 2 {
                if !receive(&mut spare) {
                    break;
                }
                received += 1;
            }
            let mut batch = spare.pop().unwrap_or_default();
            match reader.read_batch(&mut batch, BATCH_ROWS) {
                Ok(true) => {
                    if work_tx.send((sent, batch)).is_err() {
                        break;
                    }
                    sent += 1;
                }
                Ok(false) => break,
                Err(e) => {
                    result = Err(EngineError::read(e, Some(header)));
                    break;
                }
            }
        }
        drop(work_tx);
        while received < sent && receive(&mut spare) {
            received += 1;
        }
        result
    })
}

#[cfg(test)]
mod tests;

/// How to read a workbook for a workspace: number cells written with the decimal separator
/// the locale reads numbers with, unless the request says otherwise.
pub(crate) fn sheet_options(
    sheet: &intake_formats::SheetOptions,
    locale: &intake_core::locale::Locale,
) -> intake_formats::SheetOptions {
    let mut sheet = sheet.clone();
    if sheet.decimal_separator.is_none() {
        sheet.decimal_separator = Some(locale.decimal_separator);
    }
    sheet
}
