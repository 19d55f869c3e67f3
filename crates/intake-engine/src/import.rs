//! Import a file into the store: read, check, plan against stored records, write.
//!
//! One pass over the file. The calling thread reads batches and hands them to workers; each
//! worker checks its batch into typed rows, asks the store (through its own read session)
//! for the records, link targets and unique values the batch needs, and lets the pure
//! planner decide the writes. The calling thread takes the results back in file order,
//! applies what needs the whole file (duplicates within the file, two rows updating one
//! record) and writes through the one import transaction. Memory is bounded by the batches
//! in flight.
//!
//! All or nothing (`--on-error abort`, the default): once a row fails nothing more is
//! written, every row is still checked for the report, and the transaction is rolled back.
//! Partial (`--on-error skip`): rows with problems are left out and listed.
//!
//! Ambiguous date and number columns are judged on the whole file, which is known only at
//! the end. The import writes under the locale's reading; in the rare file where the whole
//! column says otherwise, the transaction is rolled back and the file imported again with
//! that reading made explicit.
//!
//! The response file (failing rows, in the user's layout, with an error column) and the
//! success file (written rows with their UUIDs) are written at the end, from a second read
//! of the file, so that rows found to conflict late are listed too. Each is CSV or XLSX
//! ([`OutputFile`]); in an XLSX response file every cell with a problem is filled and carries
//! its message as a note.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::{Mutex, mpsc};

use intake_core::RowNumber;
use intake_core::judge::Readings;
use intake_core::mapping::{ManualMapping, Mapping, Target};
use intake_core::plan::{
    Found, FoundLinkKeys, InlineValues, LinkKeys, Op, PlanOptions, Planner, TypedRow,
};
use intake_core::report::{Problem, ProblemCode, ValidationReport};
use intake_core::schema::{RecordType, Schema};
use intake_core::share::{SharedWrite, Sharing};
use intake_core::stored::{Stored, uuid_text};
use intake_core::validate::{BatchOutput, ValidateOptions, Validator};
use intake_formats::{
    ColumnKind, CsvOptions, CsvWriter, CsvWriterOptions, Detected, RecordBatch, RowSource,
    SheetOptions, Workbook, XlsxCell, XlsxColumn, XlsxWriter,
};
use intake_store::{
    Counts, NewImport, NewRecord, ReadSession, RecordUpdate, RefusedWrite, Stamp, Store, StoreError,
};
use rustc_hash::{FxHashMap, FxHashSet};
use uuid::Uuid;

use crate::progress::Progress;
use crate::validate::{EngineError, RecordRow, header_of, record_type};
use crate::workbook::OutputWriter;

/// Rows per batch of an import.
const BATCH_ROWS: usize = 2048;

/// The header of the column that response files add.
pub use intake_core::mapping::RESPONSE_ERRORS_HEADER;

/// A file that can be read more than once (the response and success files read it again).
pub trait Input: Sync {
    /// Opens the file from its start.
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>>;
    /// Its name, for the import record.
    fn name(&self) -> String;
    /// Its size in bytes, when known: the import sizes its tables from it.
    fn size(&self) -> Option<u64> {
        None
    }
}

/// A file on disk.
#[derive(Debug, Clone)]
pub struct FileInput(pub PathBuf);

impl Input for FileInput {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(fs_err::File::open(&self.0)?))
    }
    fn name(&self) -> String {
        self.0.file_name().map_or_else(
            || self.0.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }
    fn size(&self) -> Option<u64> {
        fs_err::metadata(&self.0).ok().map(|m| m.len())
    }
}

/// A file in memory.
#[derive(Debug, Clone)]
pub struct BytesInput {
    /// The name shown.
    pub name: String,
    /// The contents.
    pub bytes: Vec<u8>,
}

impl Input for BytesInput {
    fn open(&self) -> io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(self.bytes.as_slice()))
    }
    fn name(&self) -> String {
        self.name.clone()
    }
    fn size(&self) -> Option<u64> {
        Some(self.bytes.len() as u64)
    }
}

/// What to do with rows that have problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Nothing is written if any row fails (all or nothing).
    #[default]
    Abort,
    /// Valid rows are written; failing rows go to the response file.
    Skip,
}

/// Named points where a test can make an import fail, to check it is all or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// After the transaction began, before the first write.
    BeforeFirstWrite,
    /// After some rows of a batch were written.
    MidBatch,
    /// Everything written, just before the commit.
    BeforeCommit,
}

/// How a fail point fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailMode {
    /// Return an error (the transaction is dropped).
    Error,
    /// Kill the process on the spot, as a power cut or `kill -9` would.
    Abort,
}

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The record type's name.
    pub record_type: String,
    /// Cell-level options.
    pub options: ValidateOptions,
    /// How to read the CSV.
    pub csv: CsvOptions,
    /// Which sheet of a workbook to read, and whether hidden rows are left out.
    pub sheet: SheetOptions,
    /// The user's mapping file, if any.
    pub mapping: ManualMapping,
    /// Worker threads (0 = one per available core).
    pub threads: usize,
    /// All or nothing, or partial.
    pub on_error: OnError,
    /// Match rows to records by this natural key (field names or labels) instead of the UUID.
    pub match_on: Vec<String>,
    /// Update sheets: write even when the stored value changed since the export.
    pub force: bool,
    /// The time the import runs at (RFC 3339, UTC); records get it as created/updated time.
    pub now: String,
    /// A failure to inject (tests of all-or-nothing).
    pub fail_at: Option<(FailPoint, FailMode)>,

    /// Check everything against the store but write and record nothing (`intake validate`).
    pub dry_run: bool,
    /// The server job this import runs for: recorded with the import, and a second import
    /// for the same job cannot commit.
    pub job: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    /// What the CSV reader detected (`None` for a workbook).
    pub detected: Option<Detected>,
    /// The workbook and the sheet read (`None` for CSV).
    pub workbook: Option<Workbook>,
    /// The header as written.
    pub header: Vec<String>,
    /// The header's row (after leading blank lines).
    pub header_row: RowNumber,
    /// How the columns were mapped.
    pub mapping: Mapping,
    /// Every problem and warning.
    pub report: ValidationReport,
    /// What was written (for a dry run: what would be written).
    pub counts: Counts,
    /// The import's id in the store.
    pub import_id: i64,
    /// Whether anything was committed.
    pub committed: bool,
    /// Rows written to the response file.
    pub response_rows: u64,
    /// Rows written to the success file.
    pub success_rows: u64,
    /// Linked records created inline, per type (for a dry run: that would be created).
    pub linked_created: BTreeMap<String, u64>,
    /// Linked records updated so that they keep sharing the fields the rows set.
    pub shared_updated: u64,
}

/// Where the response and success files go.
#[derive(Default)]
pub struct Outputs<'a> {
    /// Failing rows, in the file's layout, with an error column.
    pub response: Option<OutputFile<'a>>,
    /// Written rows with their UUIDs.
    pub success: Option<OutputFile<'a>>,
}

/// A response or success file and its format.
pub enum OutputFile<'a> {
    /// CSV, with the uploaded CSV's delimiter.
    Csv(&'a mut dyn Write),
    /// XLSX: in a response file, each cell with a problem is filled and carries the problem
    /// as a note.
    Xlsx(&'a mut dyn OutputWriter),
    /// Like the uploaded file: XLSX for a workbook (XLSX, XLS, ODS), CSV otherwise.
    LikeInput(&'a mut dyn OutputWriter),
}

/// An output file being written.
enum Sink<'a> {
    Csv(Box<CsvWriter<&'a mut dyn Write>>),
    /// The workbook is begun once the header is known.
    Xlsx(&'a mut dyn OutputWriter, Option<Box<XlsxWriter>>),
}

impl<'a> Sink<'a> {
    fn new(
        file: OutputFile<'a>,
        workbook: bool,
        options: &CsvWriterOptions,
        what: &'static str,
    ) -> Result<Self, ImportError> {
        let csv = |w: &'a mut dyn Write| {
            CsvWriter::new(w, options)
                .map(|w| Sink::Csv(Box::new(w)))
                .map_err(|source| ImportError::Output { what, source })
        };
        match file {
            OutputFile::Csv(w) => csv(w),
            OutputFile::Xlsx(w) => Ok(Sink::Xlsx(w, None)),
            OutputFile::LikeInput(w) if workbook => Ok(Sink::Xlsx(w, None)),
            OutputFile::LikeInput(w) => csv(w),
        }
    }

    /// Writes the header row; `errors` is the response file's added column.
    fn header(&mut self, cells: &[&str], sheet: &str, errors: Option<usize>) -> io::Result<()> {
        match self {
            Sink::Csv(w) => w.write_record(cells),
            Sink::Xlsx(_, book) => {
                let columns: Vec<XlsxColumn> = cells
                    .iter()
                    .enumerate()
                    .map(|(i, h)| XlsxColumn {
                        header: (*h).to_string(),
                        kind: if Some(i) == errors {
                            ColumnKind::Text
                        } else {
                            ColumnKind::General
                        },
                        ..XlsxColumn::default()
                    })
                    .collect();
                *book = Some(Box::new(XlsxWriter::new(sheet, &columns)?));
                Ok(())
            }
        }
    }

    /// Writes a row of text as read (typed again in a workbook where that reads back the
    /// same), marking the cells of `marks`.
    fn row(&mut self, cells: &[&str], marks: &[(usize, String)]) -> io::Result<()> {
        match self {
            Sink::Csv(w) => w.write_record(cells),
            Sink::Xlsx(_, Some(book)) => {
                let typed: Vec<XlsxCell<'_>> =
                    cells.iter().map(|c| XlsxCell::from_read_text(c)).collect();
                book.write_row_marked(&typed, marks)
            }
            Sink::Xlsx(_, None) => Err(io::Error::other("a row before the header")),
        }
    }

    fn finish(self) -> io::Result<()> {
        match self {
            Sink::Csv(mut w) => w.flush(),
            Sink::Xlsx(out, book) => match book {
                Some(book) => book.finish(out),
                // An empty file: a workbook with an empty sheet.
                None => XlsxWriter::new("Rows", &[])?.finish(out),
            },
        }
    }
}

impl std::fmt::Debug for Outputs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outputs")
            .field("response", &self.response.is_some())
            .field("success", &self.success.is_some())
            .finish()
    }
}

/// Why an import could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file could not be read, or the request is invalid.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The store failed; nothing of the import was kept.
    #[error("{0}; nothing was written")]
    Store(#[from] StoreError),
    /// `--match-on` names no field.
    #[error("--match-on `{name}` is not a field of `{record_type}`; fields: {fields}")]
    UnknownMatchField {
        /// The name given.
        name: String,
        /// The record type.
        record_type: String,
        /// Its fields.
        fields: String,
    },
    /// The response or success file could not be written.
    #[error("cannot write the {what} file: {source}")]
    Output {
        /// `response` or `success`.
        what: &'static str,
        /// The cause.
        source: io::Error,
    },
    /// A fail point was hit (tests).
    #[error("injected failure at {0:?}")]
    Injected(FailPoint),
    /// The caller cancelled the import ([`Progress::cancelled`]); nothing was written.
    #[error("the import was cancelled; nothing was written")]
    Cancelled,
    /// The caller refused the commit ([`Progress::may_commit`]); nothing was written.
    #[error("{0}; nothing was written")]
    CommitRefused(String),
}

fn fail(request: &ImportRequest, at: FailPoint) -> Result<(), ImportError> {
    match request.fail_at {
        Some((p, FailMode::Error)) if p == at => Err(ImportError::Injected(at)),
        Some((p, FailMode::Abort)) if p == at => std::process::abort(),
        _ => Ok(()),
    }
}

/// Resolves `--match-on` names to field indexes.
pub fn match_fields(rt: &RecordType, names: &[String]) -> Result<Vec<usize>, ImportError> {
    names
        .iter()
        .map(|n| {
            rt.fields
                .iter()
                .position(|f| f.name.as_str() == n || f.label.eq_ignore_ascii_case(n))
                .ok_or_else(|| ImportError::UnknownMatchField {
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
        .collect()
}

/// Imports a file. Problems in the file are `Ok` with a report (and, in all-or-nothing
/// mode, nothing written); `Err` means the import could not run and wrote nothing.
pub fn import(
    schema: &Schema,
    store: &dyn Store,
    input: &dyn Input,
    request: &ImportRequest,
    outputs: Outputs<'_>,
    progress: &dyn Progress,
) -> Result<ImportOutcome, ImportError> {
    let rt = record_type(schema, &request.record_type)?;
    let match_on = match_fields(rt, &request.match_on)?;
    let mut request = request.clone();
    request.options.match_on.clone_from(&match_on);
    request.options.typed = true;
    let keep = outputs.success.is_some();
    let mut pass = run(schema, rt, store, input, &request, progress, keep)?;
    // The whole file read a judged column the other way: import again with that reading.
    if !pass.report.second_readings.is_empty() {
        drop(pass.tx.take());
        for r in &pass.report.second_readings {
            match r {
                Readings::Date(_, b) => request.options.date_format = Some(b.clone()),
                Readings::Number(_, b) => request.options.number_format = Some(*b),
            }
        }
        let settled = pass.report.judgements.clone();
        let warnings: Vec<_> = pass
            .report
            .warnings
            .iter()
            .filter(|w| w.code == ProblemCode::AmbiguousColumn)
            .cloned()
            .collect();
        pass = run(schema, rt, store, input, &request, progress, keep)?;
        pass.report.judgements = settled;
        pass.report.warnings.extend(warnings);
    }
    finish(rt, store, input, &request, pass, outputs, progress)
}

/// One pass of an import, not yet committed.
struct Pass<'st> {
    detected: Option<Detected>,
    workbook: Option<Workbook>,
    header: Vec<String>,
    header_row: RowNumber,
    mapping: Mapping,
    report: ValidationReport,
    counts: Counts,
    tx: Option<Box<dyn intake_store::ImportTransaction + 'st>>,
    /// Rows with problems found outside the validator's report rows (none today; kept with the report).
    written: Vec<(u64, Uuid)>,
    /// Records written by a row that a later row contradicts: undone before commit.
    undo: Vec<Uuid>,
    /// Records the database refused to write (partial imports): their rows failed.
    refused: Vec<Uuid>,
    new_options: BTreeMap<String, Vec<String>>,
    import: NewImport,
    /// Linked records created inline, per type.
    linked_created: BTreeMap<String, u64>,
    /// For the success file: (row, link field, the linked record) of rows written with an
    /// inline link (created or found).
    written_links: Vec<(u64, usize, Uuid)>,
    /// The inline link fields, and the file column of each, if any.
    inline_fields: Vec<(usize, Option<usize>)>,
    /// Linked records updated to keep shared fields equal.
    shared_updated: u64,
}

/// What a worker sends back for a batch.
struct Checked {
    seq: usize,
    batch: RecordBatch,
    out: BatchOutput,
    ops: Vec<Op>,
    problems: Vec<Problem>,
    /// When the records the batch updates were last changed, as looked up.
    stamps: FxHashMap<Uuid, Stamp>,
}

fn run<'st>(
    schema: &Schema,
    rt: &RecordType,
    store: &'st dyn Store,
    input: &dyn Input,
    request: &ImportRequest,
    progress: &dyn Progress,
    keep_uuids: bool,
) -> Result<Pass<'st>, ImportError> {
    let file = input
        .open()
        .map_err(|e| EngineError::read(intake_formats::ReadError::Io(e), None))?;
    let mut csv = request.csv;
    if csv.delimiter.is_none() {
        csv.delimiter = request.options.locale.delimiter;
    }
    let mut reader = intake_formats::open(
        file,
        &csv,
        &crate::validate::sheet_options(&request.sheet, &request.options.locale),
    )
    .map_err(|e| EngineError::read(e, None))?;
    let (header, header_row, mut mapped, warnings) = header_of(&mut reader, rt, &request.mapping)?;
    request
        .mapping
        .check(schema, rt, &mapped.mapping)
        .map_err(EngineError::from)?;
    let detected = reader.detected().copied();
    let workbook = reader.workbook().cloned();
    // Columns an update-only import does not need are not missing.
    if request.options.mode == intake_core::validate::Mode::Update
        || !request.options.match_on.is_empty()
    {
        mapped.problems.retain(|p| {
            p.code != ProblemCode::MissingColumn
                || request.options.mode != intake_core::validate::Mode::Update
        });
    }
    let inline_links = inline_links(schema, rt, &header, &mut mapped.mapping);
    let validator = Validator::new(schema, rt, &mapped.mapping, &request.options)
        .with_values(&request.mapping.values);
    // Cells of the linked records' columns are checked by the rules of their own type.
    let inline_options = ValidateOptions {
        match_on: Vec::new(),
        mode: intake_core::validate::Mode::Upsert,
        ignore_required: true,
        clear_empty: false,
        ..request.options.clone()
    };
    let inline_validators: Vec<(usize, Option<usize>, Vec<usize>, Validator<'_>)> = inline_links
        .iter()
        .map(|(field, target, mapping)| {
            let link_column = mapped.mapping.column_of(*field).map(|c| c.column.index);
            let columns = mapping
                .columns
                .iter()
                .filter(|c| {
                    matches!(c.target, Target::Field(_)) && Some(c.column.index) != link_column
                })
                .map(|c| c.column.index)
                .collect();
            (
                *field,
                link_column,
                columns,
                Validator::new(schema, target, mapping, &inline_options),
            )
        })
        .collect();
    // The mapping's warnings about columns that feed a linked record no longer apply.
    let claimed: Vec<usize> = inline_validators
        .iter()
        .flat_map(|v| v.2.iter().copied())
        .collect();
    let mut warnings: Vec<_> = warnings
        .into_iter()
        .filter(|w| {
            !w.column
                .as_ref()
                .is_some_and(|c| claimed.contains(&c.index))
        })
        .collect();
    let columns: Vec<_> = (0..rt.fields.len())
        .map(|f| mapped.mapping.column_of(f).map(|c| c.column.clone()))
        .collect();
    let sharings = Sharing::of(rt, &columns);
    let uuid_column = mapped
        .mapping
        .uuid_column()
        .and_then(|i| mapped.mapping.columns.get(i).map(|c| c.column.clone()));
    let planner = Planner::new(
        rt,
        columns,
        uuid_column,
        PlanOptions {
            match_on: request.options.match_on.clone(),
            ignore_required: request.options.ignore_required,
            force: request.force,
        },
    );
    let planner = inline_links.iter().fold(planner, |p, (field, target, _)| {
        p.with_inline(*field, target)
    });
    let planner = with_link_rules(schema, rt, planner);

    let import = NewImport {
        record_type: rt.name.clone(),
        file_name: input.name(),
        options: options_json(request),
        started_at: request.now.clone(),
        job: request.job.clone(),
    };
    let mut tx = if request.dry_run {
        None
    } else {
        Some(store.begin_import(schema, &import)?)
    };
    // Lookups see the store as it was when the import began (no one else can write now).
    let empty = store.read()?.count(rt)? == 0;
    if empty && let Some(tx) = tx.as_mut() {
        tx.bulk_load(rt)?;
    }
    // A partial import: a row the database refuses at write time (a unique value another
    // writer took after the lookups, F4) fails alone.
    let partial = request.on_error == OnError::Skip;
    if partial && let Some(tx) = tx.as_mut() {
        tx.partial()?;
    }
    fail(request, FailPoint::BeforeFirstWrite)?;

    let threads = if request.threads == 0 {
        std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
    } else {
        request.threads
    }
    .max(1);

    let mut validation = validator.start();
    // The first batch tells how many rows the file holds, about: the tables that grow with
    // the file are sized once, instead of doubling (and briefly holding both sizes) as it
    // is read.
    let mut first = RecordBatch::new();
    let more = reader
        .read_batch(&mut first, BATCH_ROWS)
        .map_err(|e| EngineError::read(e, Some(&header)))?;
    let estimate = input.size().and_then(|size| estimate_rows(&first, size));
    if let Some(rows) = estimate {
        validation.reserve(rows);
    }
    let mut first = more.then_some(first);
    let mut counts = Counts::default();
    let mut failed_any = !mapped.problems.is_empty();
    let mut written: Vec<(u64, Uuid)> = Vec::new();
    let mut undo: Vec<Uuid> = Vec::new();
    let mut new_options: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Records touched so far, by UUID.
    let mut touched: FxHashMap<Uuid, Touch> = FxHashMap::default();
    let mut late_problems: Vec<Problem> = Vec::new();
    // Linked records created inline so far: (type, key) -> UUID, and how many per type.
    let mut inline_created: FxHashMap<String, FxHashMap<Vec<Stored>, Uuid>> = FxHashMap::default();
    let mut linked_created: BTreeMap<String, u64> = BTreeMap::new();
    let mut written_links: Vec<(u64, usize, Uuid)> = Vec::new();
    let inline_fields: Vec<(usize, Option<usize>)> =
        inline_validators.iter().map(|v| (v.0, v.1)).collect();
    let mut store_error: Option<ImportError> = None;
    // Links of the type to itself by key: the records earlier rows of the file created, by
    // (key field, key), and the UUIDs given to them before they are written.
    let self_links = planner.self_links();
    let mut same_file: FxHashMap<(usize, Stored), Uuid> = FxHashMap::default();
    let mut preset: FxHashMap<RowNumber, Uuid> = FxHashMap::default();
    let stopped = std::cell::Cell::new(false);
    // What rows wrote to records that share fields through a link, per sharing.
    let mut shared: Vec<Vec<(SharedWrite, Counted)>> = vec![Vec::new(); sharings.len()];
    // UUIDs of written records are needed for sharing too.
    let keep_uuids = keep_uuids || !sharings.is_empty();

    let (work_tx, work_rx) = mpsc::sync_channel::<(usize, RecordBatch)>(threads);
    let work_rx = Mutex::new(work_rx);
    let read_result: Result<(), EngineError> = std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<Result<Checked, StoreError>>();
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let work_rx = &work_rx;
            let validator = &validator;
            let planner = &planner;
            let inline_validators = &inline_validators;
            scope.spawn(move || {
                let mut session = match store.read() {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = done_tx.send(Err(e));
                        return;
                    }
                };
                loop {
                    let next = work_rx.lock().map_or(None, |rx| rx.recv().ok());
                    let Some((seq, batch)) = next else { break };
                    let mut out = BatchOutput::default();
                    let mut inline_out = BatchOutput::default();
                    for rec in batch.iter() {
                        validator.check_row(&RecordRow(rec), &mut out);
                        check_inline(inline_validators, rec, &mut out, &mut inline_out);
                    }
                    let result = resolve_links(schema, planner, session.as_mut(), &mut out.typed)
                        .and_then(|mut problems| {
                            let found = lookup(planner, session.as_mut(), &out.typed, empty)?;
                            let plan = planner.plan(&out.typed, &found);
                            problems.extend(plan.problems);
                            let stamps = stamps_of(&plan.ops, &found.records);
                            Ok(Checked {
                                seq,
                                batch,
                                out,
                                ops: plan.ops,
                                problems,
                                stamps,
                            })
                        });
                    if done_tx.send(result).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);

        let mut waiting: BTreeMap<usize, Checked> = BTreeMap::new();
        let mut next = 0usize;
        let mut rows = 0u64;
        let mut receive = |spare: &mut Vec<RecordBatch>| -> bool {
            let checked = match done_rx.recv() {
                Ok(Ok(c)) => c,
                Ok(Err(e)) => {
                    store_error.get_or_insert(ImportError::Store(e));
                    stopped.set(true);
                    return false;
                }
                Err(_) => return false,
            };
            rows += checked.out.rows();
            progress.on_batch_done(rows, None);
            if progress.cancelled() {
                store_error.get_or_insert(ImportError::Cancelled);
                stopped.set(true);
                return false;
            }
            waiting.insert(checked.seq, checked);
            while let Some(mut c) = waiting.remove(&next) {
                next += 1;
                // Records the file touches: as many as the first batch suggests.
                if c.seq == 0
                    && let Some(rows) = estimate
                {
                    let targets = c.ops.iter().filter(|o| o.target().is_some()).count();
                    let per = c.out.rows().max(1);
                    touched
                        .reserve(usize::try_from(rows as u64 * targets as u64 / per).unwrap_or(0));
                }
                // Rows that fail: their own problems, duplicates within the file, the planner's.
                let mut failed: FxHashSet<RowNumber> = c
                    .out
                    .typed
                    .iter()
                    .filter(|t| t.failed)
                    .map(|t| t.row)
                    .collect();
                let before = validation.problem_count();
                validation.merge(&mut c.out);
                failed.extend(validation.problem_rows_since(before));
                failed.extend(c.problems.iter().map(|p| p.row));
                validation.add_problems(std::mem::take(&mut c.problems));
                for (list, code) in c.out.new_options.drain(..) {
                    let codes = new_options.entry(list).or_default();
                    if !codes.contains(&code) {
                        codes.push(code);
                    }
                }
                let mut ops = Vec::with_capacity(c.ops.len());
                for op in c.ops.drain(..) {
                    if failed.contains(&op.row()) {
                        continue;
                    }
                    // Two rows of the file touching one record must agree.
                    if let Some(target) = op.target() {
                        let print = fingerprint(&op, &c.out.typed);
                        match touched.get(&target).copied() {
                            Some(t) if t.print() != print & PRINT_BITS || t.conflict() => {
                                let first = t.row();
                                let message = format!(
                                    "rows {first} and {} both change the {} `{}` but differently; keep one row per record (or make them agree)",
                                    op.row(),
                                    rt.label,
                                    uuid_text(&target)
                                );
                                // The first row is reported once, with the first conflict.
                                let rows = if t.conflict() {
                                    vec![op.row()]
                                } else {
                                    vec![first, op.row()]
                                };
                                for row in rows {
                                    late_problems.push(Problem {
                                        row,
                                        column: None,
                                        field: None,
                                        value: uuid_text(&target),
                                        code: ProblemCode::ConflictingUpdate,
                                        message: message.clone(),
                                    });
                                }
                                // Neither change is kept: the first row's write is taken
                                // back, or not made when it is still in this batch.
                                if !t.conflict() {
                                    match t.written() {
                                        Some(counted) => {
                                            undo.push(target);
                                            let n = counted.count(&mut counts);
                                            *n = n.saturating_sub(1);
                                        }
                                        None => ops.retain(|o: &Op| o.row() != first),
                                    }
                                }
                                touched.insert(target, t.with_conflict());
                                failed.insert(first);
                                failed.insert(op.row());
                                failed_any = true;
                                continue;
                            }
                            Some(_) => {
                                // The same change again: nothing more to write.
                                ops.push(Op::Unchanged {
                                    row: op.row(),
                                    uuid: target,
                                });
                                continue;
                            }
                            None => {
                                touched.insert(target, Touch::new(op.row(), print));
                            }
                        }
                    }
                    ops.push(op);
                }
                if !self_links.is_empty() {
                    ops = link_same_file(
                        rt,
                        &planner,
                        &self_links,
                        ops,
                        &mut c.out.typed,
                        &mut same_file,
                        tx.is_some().then_some(&mut preset),
                        &mut late_problems,
                        &mut failed,
                    );
                }
                if !failed.is_empty() {
                    failed_any = true;
                }
                // Linked records created inline: the first row with a key creates the
                // record, later rows (of any batch) link to it.
                let mut linked: Vec<(String, NewRecord)> = Vec::new();
                for op in &mut ops {
                    if !matches!(op, Op::Create { .. } | Op::Update { .. }) {
                        continue;
                    }
                    let row = op.row();
                    let Some(typed) = typed_row_mut(&mut c.out.typed, row) else {
                        continue;
                    };
                    let first_new = linked.len();
                    for ic in std::mem::take(&mut typed.creates) {
                        let made = inline_created.entry(ic.target.clone()).or_default();
                        let uuid = match made.get(&ic.key) {
                            Some(u) => *u,
                            None => {
                                let u = Uuid::now_v7();
                                made.insert(ic.key, u);
                                linked.push((
                                    ic.target,
                                    NewRecord {
                                        uuid: u,
                                        values: ic.values,
                                    },
                                ));
                                u
                            }
                        };
                        set_link(op, ic.field, &uuid);
                    }
                    // Records one row creates link to each other (a lead's new contact
                    // belongs to its new account), and to what the row links to.
                    for (t, record) in linked.iter_mut().skip(first_new) {
                        link_created(schema, rt, op, t, record);
                    }
                }
                let write_now = request.on_error == OnError::Skip || !failed_any;
                if let Some(tx) = tx.as_mut().filter(|_| write_now && store_error.is_none()) {
                    let linked_written = write_linked(schema, tx.as_mut(), &linked, &request.now);
                    if let Err(e) = linked_written {
                        store_error.get_or_insert(e);
                        stopped.set(true);
                    }
                    for (t, _) in &linked {
                        *linked_created.entry(t.clone()).or_default() += 1;
                    }
                    if keep_uuids {
                        for op in &ops {
                            for &(f, _) in &inline_fields {
                                if let Some(u) = link_of(op, f) {
                                    written_links.push((op.row().get(), f, u));
                                }
                            }
                        }
                    }
                    let start = written.len();
                    match write(
                        rt,
                        tx.as_mut(),
                        &ops,
                        &request.now,
                        request,
                        &mut counts,
                        (keep_uuids || partial).then_some(&mut written),
                        &mut touched,
                        &mut preset,
                        &c.stamps,
                    ) {
                        Ok(_) => {}
                        Err(e) => {
                            store_error.get_or_insert(e);
                            stopped.set(true);
                        }
                    }
                    if !sharings.is_empty() {
                        let uuids = if keep_uuids {
                            written.get(start..).unwrap_or_default()
                        } else {
                            &[]
                        };
                        collect_shared(
                            &sharings,
                            &ops,
                            |i, _| uuids.get(i).map(|w| w.1),
                            &c.out.typed,
                            &mut shared,
                        );
                    }
                } else if request.dry_run {
                    tally(&ops, &mut counts);
                    if !sharings.is_empty() {
                        collect_shared(
                            &sharings,
                            &ops,
                            |_, op| Some(op.target().unwrap_or_else(Uuid::now_v7)),
                            &c.out.typed,
                            &mut shared,
                        );
                    }
                    for (t, _) in &linked {
                        *linked_created.entry(t.clone()).or_default() += 1;
                    }
                }
                spare.push(c.batch);
            }
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
            if stopped.get() {
                break;
            }
            let (batch, read) = match first.take() {
                Some(b) => (b, Ok(true)),
                None => {
                    let mut b = spare.pop().unwrap_or_default();
                    let read = reader.read_batch(&mut b, BATCH_ROWS);
                    (b, read)
                }
            };
            match read {
                Ok(true) => {
                    if work_tx.send((sent, batch)).is_err() {
                        break;
                    }
                    sent += 1;
                }
                Ok(false) => break,
                Err(e) => {
                    result = Err(EngineError::read(e, Some(&header)));
                    break;
                }
            }
        }
        drop(work_tx);
        while received < sent && receive(&mut spare) {
            received += 1;
        }
        result
    });
    read_result?;
    if let Some(e) = store_error {
        return Err(e);
    }
    let mut refused: Vec<Uuid> = Vec::new();
    if partial && let Some(tx) = tx.as_mut() {
        let rejected = tx.rejected()?;
        if !rejected.is_empty() {
            refused = refuse(
                rt,
                &mapped.mapping,
                rejected,
                &written,
                &undo,
                &mut counts,
                &mut late_problems,
            )?;
            failed_any = true;
            let gone: FxHashSet<Uuid> = refused.iter().copied().collect();
            for writes in &mut shared {
                writes.retain(|(w, _)| !gone.contains(&w.uuid));
            }
        }
    }
    let mut shared_updated = 0;
    for (sharing, writes) in sharings.iter().zip(shared) {
        shared_updated += share(
            store,
            rt,
            sharing,
            writes,
            tx.as_mut(),
            request,
            failed_any,
            &mut late_problems,
            &mut undo,
            &mut counts,
        )?;
    }
    // Updates of linked records that keep shared fields equal are not taken back one by one.
    if partial
        && let Some(tx) = tx.as_mut()
        && let Some(r) = tx.rejected()?.into_iter().next()
    {
        return Err(ImportError::Store(StoreError::Conflict(r.detail)));
    }
    validation.add_problems(late_problems);
    warnings.extend(reader.take_warnings());
    let report = validation.finish(header_row, mapped.problems.clone(), warnings);
    counts.rows = report.rows;
    counts.failed = report.failed_rows;
    Ok(Pass {
        detected,
        workbook,
        header,
        header_row,
        mapping: mapped.mapping,
        report,
        counts,
        tx,
        written,
        undo,
        refused,
        new_options,
        import,
        linked_created,
        written_links,
        inline_fields,
        shared_updated,
    })
}

/// Keeps what the rows of a batch wrote to records that share fields. `uuid_of(i, op)` is
/// the record the `i`th op wrote.
fn collect_shared(
    sharings: &[Sharing<'_>],
    ops: &[Op],
    uuid_of: impl Fn(usize, &Op) -> Option<Uuid>,
    typed: &[TypedRow],
    shared: &mut [Vec<(SharedWrite, Counted)>],
) {
    for (i, op) in ops.iter().enumerate() {
        let Some(uuid) = uuid_of(i, op) else { continue };
        let Some(t) = typed_row(typed, op.row()) else {
            continue;
        };
        for (sharing, out) in sharings.iter().zip(shared.iter_mut()) {
            if let Some(w) = sharing.write_of(op, &t.values, uuid) {
                out.push((w, Counted::of(op)));
            }
        }
    }
}

/// What a row whose record the database refused is told (F4).
pub const REFUSED_MESSAGE: &str =
    "another record took this value while the import ran; import the row again";

/// Turns the records the database refused in a partial import into problems of the rows
/// that wrote them, taking their counts back. `written` is (row, record) of every row
/// written, in file order. Returns the refused records. A refused record the rows did not
/// write themselves (a linked record created inline) fails the import, as in an
/// all-or-nothing import: the rows linking to it cannot be told apart here. Records in
/// `undo` (rows of the file contradicted each other about them) already failed, their
/// counts taken back.
#[allow(clippy::too_many_arguments)]
fn refuse(
    rt: &RecordType,
    mapping: &Mapping,
    rejected: Vec<intake_store::Rejected>,
    written: &[(u64, Uuid)],
    undo: &[Uuid],
    counts: &mut Counts,
    problems: &mut Vec<Problem>,
) -> Result<Vec<Uuid>, ImportError> {
    let by_uuid: FxHashMap<Uuid, &intake_store::Rejected> =
        rejected.iter().map(|r| (r.uuid, r)).collect();
    let undone: FxHashSet<Uuid> = undo.iter().copied().collect();
    let mut rows: FxHashMap<Uuid, u32> = FxHashMap::default();
    for &(row, uuid) in written {
        let Some(r) = by_uuid.get(&uuid) else {
            continue;
        };
        let seen = rows.entry(uuid).or_default();
        if undone.contains(&uuid) {
            continue;
        }
        // The first row wrote the record; later rows repeating its change were counted
        // unchanged.
        let n = match (*seen, r.write) {
            (0, RefusedWrite::Create) => &mut counts.created,
            (0, RefusedWrite::Update) => &mut counts.updated,
            _ => &mut counts.unchanged,
        };
        *n = n.saturating_sub(1);
        *seen += 1;
        let field = r.fields.first().copied();
        problems.push(Problem {
            row: RowNumber::new(row),
            column: field.and_then(|f| mapping.column_of(f).map(|c| c.column.clone())),
            field: field
                .and_then(|f| rt.fields.get(f))
                .map(|f| f.name.to_string()),
            value: Problem::clip(&r.value),
            code: ProblemCode::WriteFailed,
            message: REFUSED_MESSAGE.to_string(),
        });
    }
    if let Some(r) = rejected
        .iter()
        .find(|r| r.record_type != rt.name || !rows.contains_key(&r.uuid))
    {
        return Err(ImportError::Store(StoreError::Conflict(r.detail.clone())));
    }
    Ok(rejected.into_iter().map(|r| r.uuid).collect())
}

/// When the records that `ops` update were last changed, from the records looked up for them.
fn stamps_of(ops: &[Op], records: &[intake_core::plan::StoredRecord]) -> FxHashMap<Uuid, Stamp> {
    let updated: FxHashSet<Uuid> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Update { uuid, .. } => Some(*uuid),
            _ => None,
        })
        .collect();
    records
        .iter()
        .filter(|r| updated.contains(&r.uuid))
        .map(|r| {
            (
                r.uuid,
                Stamp {
                    updated_at: r.updated_at.clone(),
                    updated_by_import: r.updated_by_import,
                },
            )
        })
        .collect()
}

/// Rows per lookup when reading the records around shared writes.
const SHARE_LOOKUP: usize = 1000;

/// Makes linked records agree on the fields they share, once every row is written: rows
/// that contradict each other fail (in a partial import their writes are undone), linked
/// records take the values the rows set. Returns how many linked records it updated.
#[allow(clippy::too_many_arguments)]
fn share(
    store: &dyn Store,
    rt: &RecordType,
    sharing: &Sharing<'_>,
    writes: Vec<(SharedWrite, Counted)>,
    tx: Option<&mut Box<dyn intake_store::ImportTransaction + '_>>,
    request: &ImportRequest,
    failed_any: bool,
    problems: &mut Vec<Problem>,
    undo: &mut Vec<Uuid>,
    counts: &mut Counts,
) -> Result<u64, ImportError> {
    if writes.is_empty() {
        return Ok(0);
    }
    let (writes, counted): (Vec<SharedWrite>, Vec<Counted>) = writes.into_iter().unzip();
    let mut session = store.read()?;
    let mut stored: FxHashMap<Uuid, intake_core::plan::StoredRecord> = FxHashMap::default();
    for chunk in Sharing::updated(&writes).chunks(SHARE_LOOKUP) {
        for r in session.by_uuid(rt, chunk)? {
            stored.insert(r.uuid, r);
        }
    }
    let keys: Vec<Vec<Stored>> = writes
        .iter()
        .map(|w| vec![Stored::Text(uuid_text(&w.uuid))])
        .collect();
    for chunk in keys.chunks(SHARE_LOOKUP) {
        for r in session.by_key(rt, &[sharing.link()], chunk)? {
            stored.insert(r.uuid, r);
        }
    }
    for chunk in sharing.targets(&writes, &stored).chunks(SHARE_LOOKUP) {
        for r in session.by_uuid(rt, chunk)? {
            stored.insert(r.uuid, r);
        }
    }
    drop(session);
    let out = sharing.reconcile(&writes, &stored);
    let conflicts = !out.failed.is_empty();
    problems.extend(out.problems);
    let partial = request.on_error == OnError::Skip;
    if partial && tx.is_some() {
        let index: FxHashMap<Uuid, usize> = writes
            .iter()
            .enumerate()
            .map(|(i, w)| (w.uuid, i))
            .collect();
        for (_, uuid) in &out.failed {
            if let Some(c) = index.get(uuid).and_then(|i| counted.get(*i)) {
                let n = c.count(counts);
                *n = n.saturating_sub(1);
            }
            undo.push(*uuid);
        }
    }
    // An all-or-nothing import with problems writes nothing more.
    if !partial && (failed_any || conflicts) {
        return Ok(0);
    }
    let n = out.updates.len() as u64;
    if let Some(tx) = tx {
        let updates: Vec<RecordUpdate> = out
            .updates
            .into_iter()
            .filter_map(|op| match op {
                Op::Update {
                    uuid, set, before, ..
                } => Some(RecordUpdate {
                    uuid,
                    set,
                    before,
                    // Records may have been written earlier in this import, after they were
                    // read: the store reads them again.
                    stamp: None,
                }),
                _ => None,
            })
            .collect();
        tx.update(rt, &updates, &request.now)?;
    }
    Ok(n)
}

/// A record that rows of the file touched. There is one per record a file updates, so it
/// is kept to 8 bytes: the first row that touched it, and a word that packs 28 bits of what
/// that row set ([`fingerprint`]), the count its write added to once made (3 bits), and
/// whether rows disagreed about the record (1 bit).
#[derive(Clone, Copy)]
struct Touch {
    row: u32,
    word: u32,
}

const PRINT_BITS: u32 = 0x0fff_ffff;

impl Touch {
    fn new(row: RowNumber, print: u32) -> Self {
        Touch {
            row: u32::try_from(row.get()).unwrap_or(u32::MAX),
            word: print & PRINT_BITS,
        }
    }

    /// The first row that touched the record.
    fn row(self) -> RowNumber {
        RowNumber::new(u64::from(self.row))
    }

    /// What that row set.
    fn print(self) -> u32 {
        self.word & PRINT_BITS
    }

    /// Once the first row's write is made: the count it added to.
    fn written(self) -> Option<Counted> {
        Counted::ALL
            .get(((self.word >> 28) & 7) as usize)
            .copied()
            .flatten()
    }

    fn with_written(self, c: Counted) -> Self {
        let code = Counted::ALL.iter().position(|x| *x == Some(c)).unwrap_or(0) as u32;
        Touch {
            word: (self.word & !(7 << 28)) | (code << 28),
            ..self
        }
    }

    /// Rows disagreed about the record: every later row touching it is a conflict too.
    fn conflict(self) -> bool {
        self.word >> 31 != 0
    }

    fn with_conflict(self) -> Self {
        Touch {
            word: self.word | 1 << 31,
            ..self
        }
    }
}

/// The count a write added to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Counted {
    Created,
    Updated,
    Unchanged,
    Deleted,
    Deactivated,
}

impl Counted {
    /// By the code [`Touch`] keeps (0: not written yet).
    const ALL: [Option<Counted>; 6] = [
        None,
        Some(Counted::Created),
        Some(Counted::Updated),
        Some(Counted::Unchanged),
        Some(Counted::Deleted),
        Some(Counted::Deactivated),
    ];

    fn of(op: &Op) -> Counted {
        match op {
            Op::Create { .. } => Counted::Created,
            Op::Update { .. } => Counted::Updated,
            Op::Unchanged { .. } => Counted::Unchanged,
            Op::Delete { .. } => Counted::Deleted,
            Op::Deactivate { .. } => Counted::Deactivated,
        }
    }

    fn count(self, c: &mut Counts) -> &mut u64 {
        match self {
            Counted::Created => &mut c.created,
            Counted::Updated => &mut c.updated,
            Counted::Unchanged => &mut c.unchanged,
            Counted::Deleted => &mut c.deleted,
            Counted::Deactivated => &mut c.deactivated,
        }
    }
}

/// The typed row of a row number in a batch's rows (in row order).
fn typed_row(typed: &[TypedRow], row: RowNumber) -> Option<&TypedRow> {
    let i = typed.binary_search_by_key(&row, |t| t.row).ok()?;
    typed.get(i)
}

fn typed_row_mut(typed: &mut [TypedRow], row: RowNumber) -> Option<&mut TypedRow> {
    let i = typed.binary_search_by_key(&row, |t| t.row).ok()?;
    typed.get_mut(i)
}

/// What a row set, as a number: two rows touching one record must set the same. `typed` is
/// the batch's rows, in row order.
fn fingerprint(op: &Op, typed: &[TypedRow]) -> u32 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    std::mem::discriminant(op).hash(&mut h);
    if let Some(t) = typed_row(typed, op.row()) {
        for v in &t.values {
            match v {
                intake_core::plan::CellValue::Keep => 0u8.hash(&mut h),
                intake_core::plan::CellValue::Set(s) => s.hash(&mut h),
            }
        }
    }
    let h = h.finish();
    (h >> 32) as u32 ^ h as u32
}

/// About how many rows a file of `size` bytes holds, from its first batch (none when the
/// batch is the whole file, or near enough).
fn estimate_rows(batch: &RecordBatch, size: u64) -> Option<usize> {
    let rows = batch.len() as u64;
    // Cells, plus a delimiter or line end each; quotes are not counted, which errs towards
    // more rows.
    let bytes: u64 = batch
        .iter()
        .map(|r| r.iter().map(|c| c.len() as u64 + 1).sum::<u64>())
        .sum();
    if rows == 0 || bytes == 0 {
        return None;
    }
    let estimate = size.saturating_mul(rows) / bytes;
    (estimate > rows * 2).then(|| usize::try_from(estimate).unwrap_or(usize::MAX))
}

/// Fetches what a batch needs from the store.
fn lookup(
    planner: &Planner<'_>,
    session: &mut dyn ReadSession,
    rows: &[TypedRow],
    empty: bool,
) -> Result<Found, StoreError> {
    let rt = planner.record_type();
    let needs = planner.needs(rows);
    let mut found = Found::default();
    if !empty {
        if !needs.uuids.is_empty() {
            found.records = session.by_uuid(rt, &needs.uuids)?;
        }
        if !needs.keys.is_empty() {
            let fields: Vec<usize> = planner.match_on().to_vec();
            found
                .records
                .extend(session.by_key(rt, &fields, &needs.keys)?);
        }
        // Unique values are asked for once the rows' own records are known: values a row's
        // record already holds are not asked for.
        for (slot, values) in planner.unique_needs(rows, &found.records) {
            let slot = slot.as_slice();
            let mut map = FxHashMap::default();
            if !values.is_empty() {
                for r in session.by_key(rt, slot, &values)? {
                    let v: Vec<Stored> = slot.iter().map(|&f| r.values[f].clone()).collect();
                    map.insert(planner.fold_slot(slot, &v), r.uuid);
                }
            }
            found.unique.push(map);
        }
    } else {
        found.unique = planner
            .unique_slots()
            .iter()
            .map(|_| FxHashMap::default())
            .collect();
    }
    for (target, uuids) in &needs.links {
        let exists = session.existing(target, uuids)?;
        found
            .links
            .insert(target.clone(), exists.into_iter().collect());
    }
    Ok(found)
}

/// Resolves the link cells of a batch that name their record by key (one lookup per target
/// and key field); the problems of keys that name no record.
fn resolve_links(
    schema: &Schema,
    planner: &Planner<'_>,
    session: &mut dyn ReadSession,
    rows: &mut [TypedRow],
) -> Result<Vec<Problem>, StoreError> {
    let needs = planner.link_key_needs(rows);
    let problems = if needs.is_empty() {
        Vec::new()
    } else {
        let mut found = FoundLinkKeys::default();
        for lk in &needs {
            find_link_keys(schema, session, lk, &mut found)?;
        }
        planner.resolve_links(rows, &found)
    };
    if planner.has_implied() {
        let mut held = FxHashMap::default();
        for (target, uuids) in planner.implied_needs(rows) {
            for r in session.by_uuid(target, &uuids)? {
                held.insert(r.uuid, r);
            }
        }
        planner.apply_implied(rows, &held);
    }
    Ok(problems)
}

/// The schema's rules of links between several links of a row: `implied_by` and
/// `inline_with`.
fn with_link_rules<'s>(
    schema: &'s Schema,
    rt: &'s RecordType,
    planner: Planner<'s>,
) -> Planner<'s> {
    use intake_core::schema::FieldType;
    let mut planner = planner;
    for (i, f) in rt.fields.iter().enumerate() {
        let FieldType::Link(l) = &f.field_type else {
            continue;
        };
        if let Some(via) = l
            .implied_by
            .as_ref()
            .and_then(|v| rt.field_index(v.as_str()))
            && let FieldType::Link(vl) = &rt.fields[via].field_type
            && let Some(via_target) = schema.record_type(&vl.target)
        {
            planner = planner.with_implied(i, via, via_target);
        }
        if let Some(with) = l
            .inline_with
            .as_ref()
            .and_then(|w| rt.field_index(w.as_str()))
        {
            planner = planner.with_inline_with(i, with);
        }
    }
    planner
}

/// Resolves the links of a batch's rows to records that earlier rows of the file created
/// (keys of the row's own type that no stored record has), and keeps the keys of the records
/// the batch creates for later rows. A key that no earlier row created fails its row.
#[allow(clippy::too_many_arguments)]
fn link_same_file(
    rt: &RecordType,
    planner: &Planner<'_>,
    self_links: &[(usize, Vec<usize>)],
    ops: Vec<Op>,
    typed: &mut [TypedRow],
    same_file: &mut FxHashMap<(usize, Stored), Uuid>,
    mut preset: Option<&mut FxHashMap<RowNumber, Uuid>>,
    problems: &mut Vec<Problem>,
    failed: &mut FxHashSet<RowNumber>,
) -> Vec<Op> {
    let mut kept = Vec::with_capacity(ops.len());
    for mut op in ops {
        let row = op.row();
        let pending = typed_row_mut(typed, row)
            .map(|t| std::mem::take(&mut t.pending_links))
            .unwrap_or_default();
        let mut ok = true;
        for (f, key) in pending {
            let found = self_links
                .iter()
                .find(|(lf, _)| *lf == f)
                .and_then(|(_, by)| {
                    by.iter().find_map(|&fi| {
                        key_value(rt, fi, &key).and_then(|k| same_file.get(&(fi, k)).copied())
                    })
                });
            match found {
                Some(u) => set_link(&mut op, f, &u),
                None => {
                    problems.push(planner.unknown_link(row, f, &key));
                    failed.insert(row);
                    ok = false;
                }
            }
        }
        if !ok {
            continue;
        }
        if let Op::Create { values, .. } = &op {
            let uuid = Uuid::now_v7();
            for (_, by) in self_links {
                for &fi in by {
                    if let Some(v) = values.get(fi).filter(|v| !v.is_null()) {
                        same_file
                            .entry((fi, intake_core::plan::fold(rt, fi, v)))
                            .or_insert(uuid);
                    }
                }
            }
            if let Some(p) = preset.as_mut() {
                p.insert(row, uuid);
            }
        }
        kept.push(op);
    }
    kept
}

/// A link key as the target's field `fi` stores it (e-mail addresses in lower case).
fn key_value(target: &RecordType, fi: usize, key: &str) -> Option<Stored> {
    let key = key.trim();
    match target.fields.get(fi)?.field_type {
        intake_core::schema::FieldType::Integer { .. } => {
            key.parse::<i64>().ok().map(Stored::Integer)
        }
        _ => Some(intake_core::plan::fold(
            target,
            fi,
            &Stored::Text(key.to_string()),
        )),
    }
}

/// Finds the records that link keys name, trying the link's key fields in order: a key
/// found by an earlier field is not looked for by the next.
fn find_link_keys(
    schema: &Schema,
    session: &mut dyn ReadSession,
    lk: &LinkKeys,
    out: &mut FoundLinkKeys,
) -> Result<(), StoreError> {
    let Some(target) = schema.record_type(&lk.target) else {
        return Ok(());
    };
    let mut left: Vec<&str> = lk.keys.iter().map(String::as_str).collect();
    for name in &lk.by {
        if left.is_empty() {
            break;
        }
        let Some(fi) = target.field_index(name) else {
            continue;
        };
        // The key as the field stores it (e-mail addresses compare in lower case).
        let typed = |k: &str| key_value(target, fi, k);
        let wanted: Vec<Vec<Stored>> = left
            .iter()
            .filter_map(|k| typed(k))
            .map(|v| vec![v])
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let mut held: FxHashMap<Stored, Uuid> = FxHashMap::default();
        for r in session.by_key(target, &[fi], &wanted)? {
            if let Some(v) = r.values.get(fi) {
                held.insert(intake_core::plan::fold(target, fi, v), r.uuid);
            }
        }
        left.retain(|k| match typed(k).and_then(|v| held.get(&v)) {
            Some(u) => {
                out.insert(&lk.target, (*k).to_string(), *u);
                false
            }
            None => true,
        });
    }
    Ok(())
}

/// The link fields that create their target inline and the target's columns in the file:
/// (link field, target type, the mapping of the file's columns to the target's fields). A
/// column feeds the target when the record type does not use it (or only guessed at it) and
/// its header is the target's label followed by one of its field labels (`Account
/// Industry`), a label of the target that begins with the target's label (`Account Name`),
/// or the label, name or an alias of a field of the target's first natural key (`Company`
/// for an account's name): a contact file's company is its account.
pub fn inline_links<'s>(
    schema: &'s Schema,
    rt: &RecordType,
    header: &[String],
    mapping: &mut Mapping,
) -> Vec<(usize, &'s RecordType, Mapping)> {
    use intake_core::mapping::{MatchKind, auto_map};
    let mut out = Vec::new();
    for (fi, f) in rt.fields.iter().enumerate() {
        let intake_core::schema::FieldType::Link(link) = &f.field_type else {
            continue;
        };
        if !link.inline {
            continue;
        }
        let Some(target) = schema.record_type(&link.target) else {
            continue;
        };
        let prefix = target.label.to_lowercase();
        let key: Vec<&intake_core::schema::Field> = target
            .natural_keys
            .first()
            .map(|k| k.iter().filter_map(|n| target.field(n.as_str())).collect())
            .unwrap_or_default();
        let names_key = |h: &str| {
            let n = intake_core::mapping::normalise(h);
            key.iter().any(|g| {
                intake_core::mapping::normalise(&g.label) == n
                    || intake_core::mapping::normalise(g.name.as_str()) == n
                    || g.aliases
                        .iter()
                        .any(|a| intake_core::mapping::normalise(a) == n)
            })
        };
        let offered: Vec<String> = mapping
            .columns
            .iter()
            .map(|c| {
                // Columns the record type does not use, or only guessed at.
                let free = c.target == Target::Ignored && c.how != MatchKind::Manual
                    || matches!(c.how, MatchKind::Fuzzy(_));
                if !free {
                    return String::new();
                }
                let h = c.column.header.trim();
                let lower = h.to_lowercase();
                if target
                    .fields
                    .iter()
                    .any(|g| g.label.eq_ignore_ascii_case(h))
                    && lower.starts_with(&prefix)
                {
                    h.to_string()
                } else if lower.starts_with(&format!("{prefix} ")) {
                    h.get(prefix.len() + 1..).unwrap_or_default().to_string()
                } else if names_key(h) {
                    h.to_string()
                } else {
                    String::new()
                }
            })
            .collect();
        if offered.iter().all(String::is_empty) {
            continue;
        }
        let mut m = auto_map(
            target,
            &offered,
            &ManualMapping::default(),
            &intake_core::mapping::MapOptions::default(),
        )
        .mapping;
        for c in &mut m.columns {
            let clear = !matches!(c.target, Target::Field(_))
                || !matches!(
                    c.how,
                    MatchKind::Exact | MatchKind::Normalised | MatchKind::Alias
                );
            if clear {
                c.target = Target::Ignored;
            }
            if let Some(h) = header.get(c.column.index) {
                c.column.header.clone_from(h);
            }
        }
        if !m
            .columns
            .iter()
            .any(|c| matches!(c.target, Target::Field(_)))
        {
            continue;
        }
        // A column that names a field of the linked type is not a guess at one of ours.
        for c in &m.columns {
            if matches!(c.target, Target::Field(_))
                && let Some(own) = mapping.columns.get_mut(c.column.index)
            {
                own.target = Target::Ignored;
                own.how = MatchKind::Unmatched;
            }
        }
        // A link cell that holds a key (a company ID) is that field of the new record: it is
        // checked by the field's rules too.
        let key_field = link
            .by
            .iter()
            .find(|b| *b != "uuid")
            .and_then(|b| target.field_index(b));
        let link_column = mapping.column_of(fi).map(|c| c.column.index);
        if let (Some(kf), Some(col)) = (key_field, link_column)
            && !m.columns.iter().any(|c| c.target == Target::Field(kf))
            && let Some(c) = m.columns.get_mut(col)
        {
            c.target = Target::Field(kf);
            c.how = MatchKind::Exact;
        }
        out.push((fi, target, m));
    }
    out
}

/// Checks a row's cells of its inline links by the rules of the linked type, when the link
/// cell is not a UUID and any of those cells is filled; their values go to the typed row.
fn check_inline(
    validators: &[(usize, Option<usize>, Vec<usize>, Validator<'_>)],
    rec: intake_formats::RecordRef<'_>,
    out: &mut BatchOutput,
    scratch: &mut BatchOutput,
) {
    for (field, link_column, columns, validator) in validators {
        let cell = |i: usize| rec.get(i).map(str::trim).unwrap_or_default();
        if link_column.is_some_and(|i| Uuid::try_parse(cell(i)).is_ok()) {
            continue;
        }
        if columns.iter().all(|&i| cell(i).is_empty()) {
            continue;
        }
        validator.check_row(&RecordRow(rec), scratch);
        let Some(typed) = scratch.typed.pop() else {
            continue;
        };
        let failed = scratch.move_problems_to(out);
        scratch.clear();
        if let Some(row) = out.typed.last_mut() {
            row.failed |= failed;
            row.inline.push(InlineValues {
                field: *field,
                values: typed.values,
            });
        }
    }
}

/// The record a write links to through `field`, when the write sets it.
fn link_of(op: &Op, field: usize) -> Option<Uuid> {
    let v = match op {
        Op::Create { values, .. } => values.get(field),
        Op::Update { set, .. } => set.iter().find(|(f, _)| *f == field).map(|(_, v)| v),
        _ => None,
    };
    match v {
        Some(Stored::Text(t)) => Uuid::try_parse(t).ok(),
        _ => None,
    }
}

/// Puts a new linked record's UUID into the link field of a write.
fn set_link(op: &mut Op, field: usize, uuid: &Uuid) {
    let text = Stored::Text(uuid_text(uuid));
    match op {
        Op::Create { values, .. } => {
            if let Some(v) = values.get_mut(field) {
                *v = text;
            }
        }
        Op::Update { set, .. } => {
            for (f, v) in set.iter_mut() {
                if *f == field {
                    *v = text.clone();
                }
            }
        }
        _ => {}
    }
}

/// Fills the empty links of a record a row creates inline with the records the row links to
/// of the same type (the contact a lead row creates belongs to the account the row names or
/// creates).
fn link_created(schema: &Schema, rt: &RecordType, op: &Op, target: &str, record: &mut NewRecord) {
    use intake_core::schema::FieldType;
    let Some(tt) = schema.record_type(target) else {
        return;
    };
    for (g, field) in tt.fields.iter().enumerate() {
        let FieldType::Link(l) = &field.field_type else {
            continue;
        };
        if !record.values.get(g).is_some_and(Stored::is_null) {
            continue;
        }
        let from_row = rt
            .fields
            .iter()
            .enumerate()
            .find_map(|(f, rf)| match &rf.field_type {
                FieldType::Link(rl) if rl.target == l.target => link_of(op, f),
                _ => None,
            });
        if let (Some(u), Some(v)) = (from_row, record.values.get_mut(g)) {
            *v = Stored::Text(uuid_text(&u));
        }
    }
}

/// Writes the linked records a batch creates inline, before the batch's own records.
fn write_linked(
    schema: &Schema,
    tx: &mut dyn intake_store::ImportTransaction,
    linked: &[(String, NewRecord)],
    now: &str,
) -> Result<(), ImportError> {
    let mut by_type: BTreeMap<&str, Vec<NewRecord>> = BTreeMap::new();
    for (t, r) in linked {
        by_type.entry(t.as_str()).or_default().push(r.clone());
    }
    for (t, records) in by_type {
        if let Some(target) = schema.record_type(t) {
            tx.insert(target, &records, now)?;
        }
    }
    Ok(())
}

/// Counts what the ops would write (dry runs).
fn tally(ops: &[Op], counts: &mut Counts) {
    for op in ops {
        match op {
            Op::Create { .. } => counts.created += 1,
            Op::Update { .. } => counts.updated += 1,
            Op::Unchanged { .. } => counts.unchanged += 1,
            Op::Delete { .. } => counts.deleted += 1,
            Op::Deactivate { .. } => counts.deactivated += 1,
        }
    }
}

/// Writes the ops of a batch. Returns the number of writes.
#[allow(clippy::too_many_arguments)]
fn write(
    rt: &RecordType,
    tx: &mut dyn intake_store::ImportTransaction,
    ops: &[Op],
    now: &str,
    request: &ImportRequest,
    counts: &mut Counts,
    mut written: Option<&mut Vec<(u64, Uuid)>>,
    touched: &mut FxHashMap<Uuid, Touch>,
    preset: &mut FxHashMap<RowNumber, Uuid>,
    stamps: &FxHashMap<Uuid, Stamp>,
) -> Result<usize, ImportError> {
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    let mut deletes = Vec::new();
    let mut deactivates = Vec::new();
    for op in ops {
        match op {
            Op::Create { row, values } => {
                let uuid = preset.remove(row).unwrap_or_else(Uuid::now_v7);
                if let Some(w) = written.as_mut() {
                    w.push((row.get(), uuid));
                }
                creates.push(NewRecord {
                    uuid,
                    values: values.clone(),
                });
            }
            Op::Update {
                row,
                uuid,
                set,
                before,
            } => {
                if let Some(w) = written.as_mut() {
                    w.push((row.get(), *uuid));
                }
                updates.push(RecordUpdate {
                    uuid: *uuid,
                    set: set.clone(),
                    before: before.clone(),
                    stamp: stamps.get(uuid).cloned(),
                });
            }
            Op::Unchanged { row, uuid } => {
                if let Some(w) = written.as_mut() {
                    w.push((row.get(), *uuid));
                }
                counts.unchanged += 1;
            }
            Op::Delete { row, record } => {
                if let Some(w) = written.as_mut() {
                    w.push((row.get(), record.uuid));
                }
                deletes.push(record.clone());
            }
            Op::Deactivate { row, uuid } => {
                if let Some(w) = written.as_mut() {
                    w.push((row.get(), *uuid));
                }
                deactivates.push(*uuid);
            }
        }
        if let Some(t) = op.target()
            && let Some(e) = touched.get_mut(&t)
            && e.written().is_none()
        {
            *e = e.with_written(Counted::of(op));
        }
    }
    // One write per batch (in a partial import, one savepoint); in two halves only when a
    // test fails the import between them.
    let half = if matches!(request.fail_at, Some((FailPoint::MidBatch, _))) {
        creates.len() / 2
    } else {
        0
    };
    tx.insert(rt, &creates[..half], now)?;
    if !creates.is_empty() {
        fail(request, FailPoint::MidBatch)?;
    }
    tx.insert(rt, &creates[half..], now)?;
    tx.update(rt, &updates, now)?;
    tx.delete(rt, &deletes)?;
    tx.deactivate(rt, &deactivates, now)?;
    counts.created += creates.len() as u64;
    counts.updated += updates.len() as u64;
    counts.deleted += deletes.len() as u64;
    counts.deactivated += deactivates.len() as u64;
    Ok(creates.len() + updates.len() + deletes.len() + deactivates.len())
}

fn options_json(r: &ImportRequest) -> serde_json::Value {
    serde_json::json!({
        "mode": format!("{:?}", r.options.mode).to_lowercase(),
        "on_error": r.on_error,
        "match_on": r.match_on,
        "clear_empty": r.options.clear_empty,
        "ignore_required": r.options.ignore_required,
        "create_missing_options": r.options.create_missing_options,
        "force": r.force,
    })
}

fn finish(
    rt: &RecordType,
    store: &dyn Store,
    input: &dyn Input,
    request: &ImportRequest,
    mut pass: Pass<'_>,
    outputs: Outputs<'_>,
    progress: &dyn Progress,
) -> Result<ImportOutcome, ImportError> {
    let has_problems = !pass.report.problems.is_empty();
    let abort = request.on_error == OnError::Abort && has_problems;
    let mut counts = pass.counts;
    let tx = pass.tx.take();
    let (import_id, committed) = if let Some(mut tx) = tx.filter(|_| !abort && !request.dry_run) {
        // Rows that a later row contradicted are undone (their counts were taken back).
        for u in &pass.undo {
            tx.undo(rt, *u)?;
        }
        for (list, codes) in &pass.new_options {
            tx.add_options(list, codes)?;
        }
        fail(request, FailPoint::BeforeCommit)?;
        if progress.cancelled() {
            return Err(ImportError::Cancelled);
        }
        progress.may_commit().map_err(ImportError::CommitRefused)?;
        let id = tx.commit(&counts, &request.now)?;
        (id, true)
    } else if request.dry_run {
        counts.skipped = 0;
        (0, false)
    } else {
        // The transaction, if any, was dropped above: nothing of the import is kept.
        counts.skipped = counts.rows.saturating_sub(counts.failed);
        counts.created = 0;
        counts.updated = 0;
        counts.unchanged = 0;
        counts.deleted = 0;
        counts.deactivated = 0;
        let message = format!(
            "{} row{} with problems; nothing was written",
            counts.failed,
            if counts.failed == 1 { "" } else { "s" }
        );
        let id = store.record_failed_import(&pass.import, &counts, &message, &request.now)?;
        (id, false)
    };

    let mut response_rows = 0;
    let mut success_rows = 0;
    if outputs.response.is_some() || outputs.success.is_some() {
        let undone: FxHashSet<Uuid> = pass.undo.iter().chain(&pass.refused).copied().collect();
        let written: FxHashMap<u64, Uuid> = pass
            .written
            .iter()
            .filter(|(_, u)| !undone.contains(u))
            .copied()
            .collect();
        // The cells of each failing row that have a problem, for an XLSX response file.
        let mut marks: FxHashMap<u64, Vec<(usize, String)>> = FxHashMap::default();
        let failed_rows: FxHashMap<u64, String> = {
            let mut m: FxHashMap<u64, String> = FxHashMap::default();
            for p in &pass.report.problems {
                if let Some(c) = &p.column {
                    marks
                        .entry(p.row.get())
                        .or_default()
                        .push((c.index, p.message.clone()));
                }
                let e = m.entry(p.row.get()).or_default();
                if !e.is_empty() {
                    e.push_str("; ");
                }
                if let Some(c) = &p.column {
                    e.push_str(&format!("{}: ", c.header.trim()));
                }
                e.push_str(&p.message);
            }
            m
        };
        let uuid_index = pass.mapping.uuid_column();
        let (r, s) = write_outputs(
            input,
            request,
            &pass,
            &failed_rows,
            &marks,
            if committed { Some(&written) } else { None },
            uuid_index,
            rt,
            outputs,
        )?;
        response_rows = r;
        success_rows = s;
    }
    Ok(ImportOutcome {
        detected: pass.detected,
        workbook: pass.workbook.clone(),
        header: std::mem::take(&mut pass.header),
        header_row: pass.header_row,
        mapping: pass.mapping,
        report: pass.report,
        counts,
        import_id,
        committed,
        response_rows,
        success_rows,
        linked_created: if committed || request.dry_run {
            std::mem::take(&mut pass.linked_created)
        } else {
            BTreeMap::new()
        },
        shared_updated: if committed || request.dry_run {
            pass.shared_updated
        } else {
            0
        },
    })
}

#[allow(clippy::too_many_arguments)]
fn write_outputs(
    input: &dyn Input,
    request: &ImportRequest,
    pass: &Pass<'_>,
    failed: &FxHashMap<u64, String>,
    marks: &FxHashMap<u64, Vec<(usize, String)>>,
    written: Option<&FxHashMap<u64, Uuid>>,
    uuid_index: Option<usize>,
    rt: &RecordType,
    outputs: Outputs<'_>,
) -> Result<(u64, u64), ImportError> {
    let out_err =
        |what: &'static str| move |source: io::Error| ImportError::Output { what, source };
    let delimiter = pass.detected.map_or(b',', |d| d.delimiter);
    let options = CsvWriterOptions {
        delimiter,
        bom: true,
    };
    let workbook = pass.workbook.is_some();
    let sheet = pass
        .workbook
        .as_ref()
        .map_or_else(|| crate::workbook::sheet_name(rt), |w| w.sheet.clone());
    let mut response = match outputs.response {
        Some(w) => Some(Sink::new(w, workbook, &options, "response")?),
        None => None,
    };
    let mut success = match outputs.success {
        Some(w) => Some(Sink::new(w, workbook, &options, "success")?),
        None => None,
    };
    let file = input.open().map_err(out_err("response"))?;
    let mut csv = request.csv;
    if let Some(d) = pass.detected {
        csv.delimiter = Some(d.delimiter);
        csv.encoding = Some(d.encoding);
    }
    let mut reader = intake_formats::open(
        file,
        &csv,
        &crate::validate::sheet_options(&request.sheet, &request.options.locale),
    )
    .map_err(|e| EngineError::read(e, None))?;
    let mut batch = RecordBatch::new();
    let mut header_done = false;
    let (mut nr, mut ns) = (0u64, 0u64);
    let mut links: FxHashMap<u64, Vec<(usize, Uuid)>> = FxHashMap::default();
    if written.is_some() {
        for &(row, f, u) in &pass.written_links {
            links.entry(row).or_default().push((f, u));
        }
    }
    let uuid_header = rt.uuid_header();
    while reader
        .read_batch(&mut batch, BATCH_ROWS)
        .map_err(|e| EngineError::read(e, Some(&pass.header)))?
    {
        for rec in batch.iter() {
            // The cells as read (a cell intake guarded comes back unguarded); the writer
            // guards them again, so the user's text is written back as it was.
            let cells: Vec<&str> = (0..rec.len())
                .map(|i| {
                    rec.get(i)
                        .map(intake_formats::unneutralise)
                        .unwrap_or_default()
                })
                .collect();
            if !header_done {
                header_done = true;
                if let Some(w) = response.as_mut() {
                    let mut h: Vec<&str> = cells.clone();
                    h.push(RESPONSE_ERRORS_HEADER);
                    w.header(&h, &sheet, Some(cells.len()))
                        .map_err(out_err("response"))?;
                }
                if let Some(w) = success.as_mut() {
                    let mut h: Vec<&str> = cells.clone();
                    if uuid_index.is_none() {
                        h.insert(0, &uuid_header);
                    }
                    // Inline links the file has no column for get one, after the others.
                    for (f, column) in &pass.inline_fields {
                        if column.is_none() {
                            h.push(rt.fields[*f].label.as_str());
                        }
                    }
                    w.header(&h, &sheet, None).map_err(out_err("success"))?;
                }
                continue;
            }
            let row = rec.row().get();
            if let Some(msg) = failed.get(&row) {
                if let Some(w) = response.as_mut() {
                    let mut c = cells.clone();
                    // A response file keeps the user's cells; only the errors are added.
                    c.push(msg);
                    let none = Vec::new();
                    w.row(&c, marks.get(&row).unwrap_or(&none))
                        .map_err(out_err("response"))?;
                    nr += 1;
                }
            } else if let (Some(w), Some(u)) = (success.as_mut(), written.and_then(|m| m.get(&row)))
            {
                let text = uuid_text(u);
                let links: Vec<(usize, Option<usize>, String)> = pass
                    .inline_fields
                    .iter()
                    .map(|(f, column)| {
                        let linked = links.get(&row).and_then(|l| {
                            l.iter().find(|(lf, _)| lf == f).map(|(_, u)| uuid_text(u))
                        });
                        (*f, *column, linked.unwrap_or_default())
                    })
                    .collect();
                let mut c: Vec<&str> = cells.clone();
                for (_, column, linked) in &links {
                    match column {
                        Some(i) if *i < c.len() && !linked.is_empty() => c[*i] = linked,
                        Some(_) => {}
                        None => c.push(linked),
                    }
                }
                match uuid_index {
                    Some(i) if i < c.len() => c[i] = &text,
                    _ => c.insert(0, &text),
                }
                w.row(&c, &[]).map_err(out_err("success"))?;
                ns += 1;
            }
        }
    }
    if let Some(w) = response {
        w.finish().map_err(out_err("response"))?;
    }
    if let Some(w) = success {
        w.finish().map_err(out_err("success"))?;
    }
    Ok((nr, ns))
}
