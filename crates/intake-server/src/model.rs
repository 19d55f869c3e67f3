//! What the API sends and receives, and how an import's options become the engine's request.

use std::collections::BTreeMap;

use intake_core::cell::NumberFormat;
use intake_core::locale::{DateFormat, parse_delimiter};
use intake_core::mapping::{ManualMapping, ValueChoice};
use intake_core::report::{Problem, Warning};
use intake_core::schema::Schema;
use intake_core::validate::{Mode, ValidateOptions};
use intake_engine::import::{ImportRequest, OnError};
use intake_formats::{CsvOptions, SheetOptions};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an import stands (DESIGN §4 step 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The mapping lacks the key or required columns.
    Incomplete,
    /// Mapped; can be validated and submitted.
    Ready,
    /// Submitted; waits for a manager's approval.
    WaitingForApproval,
    /// Waits for a worker.
    Queued,
    /// A worker runs it.
    InProgress,
    /// Written.
    Completed,
    /// Nothing written (problems in an all-or-nothing import, or an error); can be re-mapped
    /// and submitted again.
    Failed,
    /// Stopped before it was written.
    Cancelled,
    /// Undone as a whole.
    Reverted,
}

impl Status {
    /// The status's name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Incomplete => "incomplete",
            Status::Ready => "ready",
            Status::WaitingForApproval => "waiting_for_approval",
            Status::Queued => "queued",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Reverted => "reverted",
        }
    }

    /// Reads a stored status.
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "incomplete" => Status::Incomplete,
            "ready" => Status::Ready,
            "waiting_for_approval" => Status::WaitingForApproval,
            "queued" => Status::Queued,
            "in_progress" => Status::InProgress,
            "completed" => Status::Completed,
            "failed" => Status::Failed,
            "cancelled" => Status::Cancelled,
            "reverted" => Status::Reverted,
            _ => return None,
        })
    }
}

/// Whether rows create records, update them, or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModeOption {
    /// An empty UUID creates, a filled one updates.
    #[default]
    Upsert,
    /// Every row creates.
    Create,
    /// Every row updates.
    Update,
}

/// What to do with rows that have problems.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnErrorOption {
    /// All or nothing: one bad row and nothing is written.
    #[default]
    Abort,
    /// Partial: valid rows are written, failing rows go to the response file.
    Skip,
}

/// An import's options: the CLI's import options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ImportOptions {
    /// `upsert`, `create` or `update`.
    pub mode: ModeOption,
    /// Match rows to records by these fields (names or labels) instead of the UUID.
    pub match_on: Vec<String>,
    /// An empty cell clears the stored value.
    pub clear_empty: bool,
    /// New records may leave required fields empty.
    pub ignore_required: bool,
    /// Unknown select values become new options.
    pub create_missing_options: bool,
    /// `abort` (all or nothing) or `skip` (partial).
    pub on_error: Option<OnErrorOption>,
    /// Update sheets: write even where the stored value changed since the export.
    pub force: bool,
    /// The sheet of a workbook to read.
    pub sheet: Option<String>,
    /// CSV delimiter: `,` `;` `|` or `tab`.
    pub delimiter: Option<String>,
    /// CSV encoding, e.g. `utf-8`, `windows-1252`.
    pub encoding: Option<String>,
    /// `.` or `,`.
    #[schema(pattern = "^[.,]$")]
    pub decimal_separator: Option<String>,
    /// `,` `.` `space` `'` or `none`.
    #[schema(pattern = "^(.|space|none)?$")]
    pub thousands_separator: Option<String>,
    /// Dates as `DD/MM/YYYY`-style patterns or strftime.
    pub date_format: Option<String>,
    /// No webhook or mail when this import ends.
    pub mute_notifications: bool,
}

/// The user's corrections to the automatic mapping: columns (header as written -> field
/// name or label, `null` leaves the column out) and values of lookup columns (header ->
/// value as written -> an option's code or label, or `{"create": true}` to add it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MappingInput {
    /// Header -> field, or `null` to leave the column out.
    pub columns: BTreeMap<String, Option<String>>,
    /// Header -> value as written -> option (code or label) or `{"create": true}`.
    #[schema(value_type = Object, example = json!({"Stage": {"Prospect": "lead", "Partner": {"create": true}}}))]
    pub values: BTreeMap<String, BTreeMap<String, ValueChoice>>,
}

impl MappingInput {
    /// The engine's form.
    pub fn manual(&self) -> ManualMapping {
        ManualMapping {
            columns: self.columns.clone(),
            values: self.values.clone(),
        }
    }
}

/// Why options cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OptionError(pub String);

fn one_char(name: &str, v: &str) -> Result<char, OptionError> {
    let v = if v == "space" { " " } else { v };
    let mut it = v.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(OptionError(format!("{name} `{v}` must be one character"))),
    }
}

/// How to read the file: CSV delimiter and encoding, the sheet of a workbook.
pub fn read_options(options: &ImportOptions) -> Result<(CsvOptions, SheetOptions), OptionError> {
    let mut csv = CsvOptions::default();
    if let Some(d) = &options.delimiter {
        csv.delimiter = Some(parse_delimiter(d).ok_or_else(|| {
            OptionError(format!(
                "delimiter `{d}` is not supported; use `,` `;` `|` or `tab`"
            ))
        })?);
    }
    if let Some(e) = &options.encoding {
        csv.encoding = Some(
            encoding_rs::Encoding::for_label(e.trim().as_bytes()).ok_or_else(|| {
                OptionError(format!(
                    "encoding `{e}` is not known; use utf-8, utf-16le, utf-16be or windows-1252"
                ))
            })?,
        );
    }
    let sheet = SheetOptions {
        sheet: options.sheet.clone(),
        skip_hidden: false,
        decimal_separator: None,
    };
    Ok((csv, sheet))
}

/// The engine request for an import with these options and mapping.
pub fn engine_request(
    schema: &Schema,
    record_type: &str,
    options: &ImportOptions,
    mapping: &MappingInput,
) -> Result<ImportRequest, OptionError> {
    let mut v = ValidateOptions::new(schema.locale.clone());
    v.ignore_required = options.ignore_required;
    v.clear_empty = options.clear_empty;
    v.create_missing_options = options.create_missing_options;
    v.mode = match options.mode {
        ModeOption::Upsert => Mode::Upsert,
        ModeOption::Create => Mode::Create,
        ModeOption::Update => Mode::Update,
    };
    if options.decimal_separator.is_some() || options.thousands_separator.is_some() {
        let decimal = match &options.decimal_separator {
            Some(d) => one_char("decimal_separator", d)?,
            None => schema.locale.decimal_separator,
        };
        if !matches!(decimal, '.' | ',') {
            return Err(OptionError(format!(
                "decimal_separator `{decimal}` is not supported; use `.` or `,`"
            )));
        }
        let thousands = match options.thousands_separator.as_deref() {
            Some("none" | "") => None,
            Some(t) => Some(one_char("thousands_separator", t)?),
            None => schema.locale.thousands_separator.filter(|t| *t != decimal),
        };
        if thousands == Some(decimal) {
            return Err(OptionError(format!(
                "the decimal and thousands separators must differ (both are `{decimal}`)"
            )));
        }
        v.number_format = Some(NumberFormat { decimal, thousands });
    }
    if let Some(f) = &options.date_format {
        v.date_format =
            Some(DateFormat::parse(f).map_err(|e| OptionError(format!("date_format: {e}")))?);
    }
    let (csv, sheet) = read_options(options)?;
    let manual = mapping.manual();
    Ok(ImportRequest {
        record_type: record_type.to_string(),
        options: v,
        csv,
        sheet,
        mapping: manual,
        threads: 0,
        on_error: match options.on_error {
            Some(OnErrorOption::Abort) => OnError::Abort,
            Some(OnErrorOption::Skip) => OnError::Skip,
            None if schema.import_defaults.skip_failing_rows => OnError::Skip,
            None => OnError::Abort,
        },
        match_on: options.match_on.clone(),
        force: options.force,
        now: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        fail_at: None,
        dry_run: false,
        job: None,
    })
}

/// Counts of what an import did (or, validated, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CountsView {
    /// Data rows read.
    pub rows: u64,
    /// Records created.
    pub created: u64,
    /// Records updated.
    pub updated: u64,
    /// Rows that matched their record exactly.
    pub unchanged: u64,
    /// Records deleted.
    pub deleted: u64,
    /// Records deactivated.
    pub deactivated: u64,
    /// Rows not written (problems).
    pub skipped: u64,
    /// Rows with problems.
    pub failed: u64,
}

impl From<intake_store::Counts> for CountsView {
    fn from(c: intake_store::Counts) -> Self {
        CountsView {
            rows: c.rows,
            created: c.created,
            updated: c.updated,
            unchanged: c.unchanged,
            deleted: c.deleted,
            deactivated: c.deactivated,
            skipped: c.skipped,
            failed: c.failed,
        }
    }
}

/// One problem of a report: the row as the spreadsheet numbers it, the column as written,
/// the value, a stable code and what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProblemView {
    /// Row (header = 1).
    pub row: u64,
    /// Column header as written, when the problem is in one.
    pub column: Option<String>,
    /// Spreadsheet letter of the column.
    pub column_letter: Option<String>,
    /// Field fed by the column.
    pub field: Option<String>,
    /// The value as written.
    pub value: String,
    /// Stable code.
    pub code: String,
    /// What is wrong and what would be accepted.
    pub message: String,
}

impl From<&Problem> for ProblemView {
    fn from(p: &Problem) -> Self {
        ProblemView {
            row: p.row.get(),
            column: p.column.as_ref().map(|c| c.header.clone()),
            column_letter: p.column.as_ref().map(|c| c.letter()),
            field: p.field.clone(),
            value: p.value.clone(),
            code: p.code.as_str().to_string(),
            message: p.message.clone(),
        }
    }
}

/// A warning: something the user should know that does not stop the import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WarningView {
    /// Row, when about one.
    pub row: Option<u64>,
    /// Column header as written, when about one.
    pub column: Option<String>,
    /// Stable code.
    pub code: String,
    /// In words.
    pub message: String,
}

impl From<&Warning> for WarningView {
    fn from(w: &Warning) -> Self {
        WarningView {
            row: w.row.map(|r| r.get()),
            column: w.column.as_ref().map(|c| c.header.clone()),
            code: w.code.as_str().to_string(),
            message: w.message.clone(),
        }
    }
}

/// What the last validation (or run) found, kept with the import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ValidationSummary {
    /// What would be (or was) done.
    pub counts: CountsView,
    /// Problems in all.
    pub problems: u64,
    /// Problems per code.
    pub by_code: BTreeMap<String, u64>,
    /// Problems per column (as written; `""` for row-level problems).
    pub by_column: BTreeMap<String, u64>,
    /// Warnings.
    pub warnings: Vec<WarningView>,
    /// Per lookup column, the distinct values that match no option: map each to an option
    /// or ask to create it with the mapping's `values`.
    #[serde(default)]
    pub unknown_values: Vec<UnknownValuesView>,
    /// When (RFC 3339).
    pub at: String,
}

/// The values of a lookup column that match no option.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UnknownValuesView {
    /// The column, as written.
    pub column: String,
    /// The field it feeds.
    pub field: String,
    /// Each distinct value: as written, how many rows hold it, the first of them.
    pub values: Vec<UnknownValueView>,
    /// More distinct values than listed.
    pub truncated: bool,
}

/// One value that matches no option.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UnknownValueView {
    /// The value as written.
    pub value: String,
    /// Rows holding it.
    pub rows: u64,
    /// The first row holding it.
    pub first_row: u64,
}

impl From<&intake_engine::UnknownValues> for UnknownValuesView {
    fn from(u: &intake_engine::UnknownValues) -> Self {
        UnknownValuesView {
            column: u.column.header.clone(),
            field: u.field.clone(),
            values: u
                .values
                .iter()
                .map(|v| UnknownValueView {
                    value: v.value.clone(),
                    rows: v.rows,
                    first_row: v.first_row.get(),
                })
                .collect(),
            truncated: u.truncated,
        }
    }
}

impl ValidationSummary {
    /// The summary of a report.
    pub fn of(counts: CountsView, problems: &[Problem], warnings: &[Warning]) -> Self {
        let mut by_code: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_column: BTreeMap<String, u64> = BTreeMap::new();
        for p in problems {
            *by_code.entry(p.code.as_str().to_string()).or_default() += 1;
            *by_column
                .entry(
                    p.column
                        .as_ref()
                        .map(|c| c.header.clone())
                        .unwrap_or_default(),
                )
                .or_default() += 1;
        }
        ValidationSummary {
            counts,
            problems: problems.len() as u64,
            by_code,
            by_column,
            warnings: warnings.iter().map(WarningView::from).collect(),
            unknown_values: Vec::new(),
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}
