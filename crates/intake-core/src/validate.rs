//! Validation of rows against a record type.
//!
//! Split in two so that rows can be checked on several threads:
//! - [`Validator`] is immutable and `Sync`. It checks one row at a time into a
//!   [`BatchOutput`]: cell problems, plus what needs the whole file (unique values,
//!   judgement tallies and cells whose verdict waits for the judgement).
//! - [`Validation`] is the sequential part. Batches are merged into it in file order; it finds
//!   duplicates across the file, settles the judged columns and sorts the report.
//!
//! Validation never stops at the first problem.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::RowNumber;
use crate::cell::{self, CellError, CellFormats, LinkRef, NumberFormat, Value};
use crate::judge::{Fit, Readings, Tally};
use crate::locale::{DateFormat, DateTimeFormat, Locale};
use crate::mapping::{Mapping, Target, ValueChoice, values_of};
use crate::plan::{Action, CellValue, TypedRow};
use crate::report::{Column, Judgement, Problem, ProblemCode, Reading, ValidationReport, Warning};
use crate::schema::{Field, FieldType, LookupList, RecordType, Schema};
use crate::stored::{Stored, to_stored};

/// A reader's remark about one cell, passed in by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellFlag {
    /// Text followed the closing quote of a quoted cell (`"abc"def`).
    TextAfterQuote,
    /// The cell contains a NUL byte.
    Nul,
    /// A spreadsheet cell holds an error value (`#N/A`, `#DIV/0!`): the cell text is the error.
    SpreadsheetError,
}

/// One row of text cells, as a reader gives it.
pub trait Row {
    /// The row number as the spreadsheet shows it.
    fn row(&self) -> RowNumber;
    /// Number of cells in the row.
    fn len(&self) -> usize;
    /// Whether the row has no cells.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The text of cell `i`.
    fn cell(&self, i: usize) -> Option<&str>;
    /// The reader's remark about cell `i`, if any.
    fn flag(&self, _i: usize) -> Option<CellFlag> {
        None
    }
}

/// Options of validation (the import options that matter before the database is involved).
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// Workspace defaults.
    pub locale: Locale,
    /// A date format the user gave explicitly (no judgement then).
    pub date_format: Option<DateFormat>,
    /// A date-time format the user gave explicitly.
    pub datetime_format: Option<DateTimeFormat>,
    /// Number separators the user gave explicitly (no judgement then).
    pub number_format: Option<NumberFormat>,
    /// New records may have required fields empty.
    pub ignore_required: bool,
    /// Whether rows may create records, update them, or both.
    pub mode: Mode,
    /// Fields of the natural key that rows are matched on instead of the UUID (`--match-on`).
    pub match_on: Vec<usize>,
    /// An empty cell clears the stored value instead of keeping it (`--clear-empty`).
    pub clear_empty: bool,
    /// Unknown select and multiselect values become new options instead of problems.
    pub create_missing_options: bool,
    /// Rows may delete or deactivate records through the action column (the server allows
    /// it to managers only); otherwise such rows fail with `action_not_allowed`.
    pub removals_allowed: bool,
    /// Produce the typed values of each row (imports), not only the problems (validation).
    pub typed: bool,
}

/// Whether an import creates records, updates them, or both (DESIGN: modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// An empty UUID creates, a filled one updates.
    #[default]
    Upsert,
    /// Every row creates a record; a filled UUID is an error.
    Create,
    /// Every row updates a record; an empty UUID is an error.
    Update,
}

impl Mode {
    /// The action of a row without an action cell.
    pub fn action(self) -> Action {
        match self {
            Mode::Upsert => Action::Upsert,
            Mode::Create => Action::Create,
            Mode::Update => Action::Update,
        }
    }
}

impl ValidateOptions {
    /// Options with the workspace defaults and nothing explicit.
    pub fn new(locale: Locale) -> Self {
        Self {
            locale,
            date_format: None,
            datetime_format: None,
            number_format: None,
            ignore_required: false,
            mode: Mode::Upsert,
            match_on: Vec::new(),
            clear_empty: false,
            create_missing_options: false,
            removals_allowed: true,
            typed: false,
        }
    }
}

#[derive(Debug)]
enum Judged {
    /// One reading, no judgement.
    No,
    /// Tried under both readings; `slot` indexes the judged columns.
    Yes { slot: usize, readings: Readings },
}

#[derive(Debug)]
struct ColumnPlan<'s> {
    column: Column,
    field_index: usize,
    field: &'s Field,
    list: Option<&'s LookupList>,
    judged: Judged,
    /// Index into the row's unique-key scratch, when the field takes part in a unique slot.
    key_slot: Option<usize>,
    /// For subdivisions: the plan index of the row's country column.
    country_plan: Option<usize>,
    /// Value mappings of a lookup column, by [`LookupList::value_key`].
    values: FxHashMap<String, Choice<'s>>,
}

/// A value mapping resolved against the field's list.
#[derive(Debug, Clone, Copy)]
enum Choice<'s> {
    /// The option with this code.
    Option(&'s str),
    /// The value becomes a new option.
    Create,
}

#[derive(Debug)]
struct UniqueSlot {
    /// Positions in the row's key scratch, one per component field.
    parts: Vec<usize>,
    /// Labels of the component fields.
    labels: Vec<String>,
    /// The file column reported (the last component's).
    column: Column,
    /// The field reported.
    field: String,
}

/// Checks rows of one file against one record type. Immutable and `Sync`.
#[derive(Debug)]
pub struct Validator<'s> {
    record_type: &'s RecordType,
    plans: Vec<ColumnPlan<'s>>,
    uuid_column: Option<Column>,
    width: usize,
    headers: Vec<Column>,
    empty_headers: Vec<usize>,
    unique_slots: Vec<UniqueSlot>,
    key_count: usize,
    judged_columns: Vec<(Column, String, Readings)>,
    number: NumberFormat,
    date: DateFormat,
    datetime: DateTimeFormat,
    phone_region: Option<phonenumber::country::Id>,
    clear_token: String,
    ignore_required: bool,
    mode: Mode,
    match_on: Vec<usize>,
    clear_empty: bool,
    create_missing_options: bool,
    removals_allowed: bool,
    typed: bool,
    action_column: Option<Column>,
    /// `[old]` columns of update sheets: (column, field index).
    old_columns: Vec<(Column, usize)>,
}

/// What checking a batch of rows produced.
#[derive(Debug, Default)]
pub struct BatchOutput {
    rows: u64,
    empty_rows: u64,
    new_rows: u64,
    existing_rows: u64,
    problems: Vec<Problem>,
    /// (slot, row, hash, start, end) into `text`, and the record the row names (see
    /// [`record_tag`]).
    unique: Vec<(u32, RowNumber, u128, u32, u32, u32)>,
    tallies: Vec<Tally>,
    /// (judge slot, plan index, row, fit, start, end) into `text`.
    pending: Vec<(u32, u32, RowNumber, Fit, u32, u32)>,
    /// (empty-header column, first row with data).
    header_less: Vec<(usize, RowNumber)>,
    /// Rows that update an existing record (UUID filled).
    existing: Vec<RowNumber>,
    text: String,
    keys: Vec<String>,
    has_key: Vec<bool>,
    /// Typed rows, when the validator produces them (imports).
    pub typed: Vec<TypedRow>,
    /// Options to add to lookup lists (`--create-missing-options`): (list, value).
    pub new_options: Vec<(String, String)>,
}

impl BatchOutput {
    /// Data rows checked.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Clears the output for reuse.
    pub fn clear(&mut self) {
        self.rows = 0;
        self.empty_rows = 0;
        self.new_rows = 0;
        self.existing_rows = 0;
        self.problems.clear();
        self.unique.clear();
        self.tallies.clear();
        self.pending.clear();
        self.header_less.clear();
        self.existing.clear();
        self.text.clear();
        self.typed.clear();
        self.new_options.clear();
    }

    /// Moves this output's problems to the end of `other`'s; whether there were any.
    pub fn move_problems_to(&mut self, other: &mut BatchOutput) -> bool {
        let any = !self.problems.is_empty();
        other.problems.append(&mut self.problems);
        any
    }

    /// Problems found so far in this batch.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Rows whose verdict waits for the judgement of a column and that do not fit its first
    /// reading (the one an import assumes while it writes).
    pub fn unsettled_rows(&self) -> impl Iterator<Item = RowNumber> + '_ {
        self.pending
            .iter()
            .filter(|p| p.3 != Fit::First)
            .map(|p| p.2)
    }

    fn stash(&mut self, s: &str) -> (u32, u32) {
        let start = self.text.len();
        self.text.push_str(s);
        (
            u32::try_from(start).unwrap_or(u32::MAX),
            u32::try_from(self.text.len()).unwrap_or(u32::MAX),
        )
    }
}

fn problem(row: RowNumber, column: &Column, field: &Field, value: &str, e: CellError) -> Problem {
    Problem {
        row,
        column: Some(column.clone()),
        field: Some(field.name.to_string()),
        value: Problem::clip(value),
        code: e.code,
        message: e.message,
    }
}

impl<'s> Validator<'s> {
    /// Prepares the checks of a file whose header and mapping are known.
    pub fn new(
        schema: &'s Schema,
        record_type: &'s RecordType,
        mapping: &Mapping,
        options: &ValidateOptions,
    ) -> Self {
        let locale = &options.locale;
        let number = options.number_format.unwrap_or(NumberFormat {
            decimal: locale.decimal_separator,
            thousands: locale.thousands_separator,
        });
        let date = options
            .date_format
            .clone()
            .unwrap_or_else(|| locale.date_format.clone());
        let datetime = options
            .datetime_format
            .clone()
            .unwrap_or_else(|| locale.datetime_format.clone());
        let headers: Vec<Column> = mapping.columns.iter().map(|c| c.column.clone()).collect();
        let empty_headers = headers
            .iter()
            .filter(|c| c.header.trim().is_empty())
            .map(|c| c.index)
            .collect();

        let mut plans = Vec::new();
        let mut judged_columns = Vec::new();
        for cm in &mapping.columns {
            let Target::Field(fi) = cm.target else {
                continue;
            };
            let field = &record_type.fields[fi];
            let list = field.field_type.list().and_then(|l| schema.list(l));
            let readings = match &field.field_type {
                FieldType::Date if options.date_format.is_none() => {
                    date.twin().map(|t| Readings::Date(date.clone(), t))
                }
                FieldType::Integer { .. } | FieldType::Decimal { .. }
                    if options.number_format.is_none() =>
                {
                    number.swapped().map(|s| Readings::Number(number, s))
                }
                _ => None,
            };
            let judged = match readings {
                Some(readings) => {
                    judged_columns.push((
                        cm.column.clone(),
                        field.name.to_string(),
                        readings.clone(),
                    ));
                    Judged::Yes {
                        slot: judged_columns.len() - 1,
                        readings,
                    }
                }
                None => Judged::No,
            };
            plans.push(ColumnPlan {
                column: cm.column.clone(),
                field_index: fi,
                field,
                list,
                judged,
                key_slot: None,
                country_plan: None,
                values: FxHashMap::default(),
            });
        }
        // Country columns first, so subdivisions can be qualified by the row's country.
        plans.sort_by_key(|p| !matches!(p.field.field_type, FieldType::Country));
        for i in 0..plans.len() {
            if let FieldType::Subdivision {
                country_field: Some(cf),
            } = &plans[i].field.field_type
            {
                plans[i].country_plan = plans.iter().position(|p| p.field.name == *cf);
            }
        }

        // Unique slots: unique fields, unique-within pairs and natural keys, each once.
        let slot_fields = record_type.unique_slots();
        let mut key_count = 0;
        let mut unique_slots = Vec::new();
        for fields in slot_fields {
            // A slot is checked only when every component has a column in the file.
            let plan_idx: Option<Vec<usize>> = fields
                .iter()
                .map(|fi| plans.iter().position(|p| p.field_index == *fi))
                .collect();
            let Some(plan_idx) = plan_idx else { continue };
            let mut parts = Vec::new();
            for &pi in &plan_idx {
                let ks = *plans[pi].key_slot.get_or_insert_with(|| {
                    key_count += 1;
                    key_count - 1
                });
                parts.push(ks);
            }
            let last = &plans[plan_idx[plan_idx.len() - 1]];
            unique_slots.push(UniqueSlot {
                parts,
                labels: plan_idx
                    .iter()
                    .map(|&pi| plans[pi].field.label.clone())
                    .collect(),
                column: last.column.clone(),
                field: last.field.name.to_string(),
            });
        }

        let phone_region = locale.phone_region.as_deref().and_then(cell::phone_region);
        Validator {
            record_type,
            width: headers.len(),
            uuid_column: mapping.uuid_column().and_then(|i| headers.get(i).cloned()),
            headers,
            empty_headers,
            plans,
            unique_slots,
            key_count,
            judged_columns,
            number,
            date,
            datetime,
            phone_region,
            clear_token: locale.clear_token.clone(),
            ignore_required: options.ignore_required,
            mode: options.mode,
            match_on: options.match_on.clone(),
            clear_empty: options.clear_empty,
            create_missing_options: options.create_missing_options,
            removals_allowed: options.removals_allowed,
            typed: options.typed,
            action_column: mapping
                .action_column()
                .and_then(|i| mapping.columns.get(i).map(|c| c.column.clone())),
            old_columns: mapping
                .columns
                .iter()
                .filter_map(|c| match c.target {
                    Target::Old(f) => Some((c.column.clone(), f)),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Applies the value mappings of a mapping file (header as written -> value -> choice) to
    /// the select and multiselect columns: a mapped value reads as its option, or becomes a
    /// new option (`Create`, as `--create-missing-options` does, but for that value only and
    /// never in a closed list). Mappings naming no option of the list are left out
    /// ([`ManualMapping::check`](crate::mapping::ManualMapping::check) refuses them first).
    #[must_use]
    pub fn with_values(mut self, values: &BTreeMap<String, BTreeMap<String, ValueChoice>>) -> Self {
        for plan in &mut self.plans {
            let Some(list) = plan.list else { continue };
            if !matches!(
                plan.field.field_type,
                FieldType::Select { .. } | FieldType::MultiSelect { .. }
            ) {
                continue;
            }
            let Some(mapped) = values_of(values, &plan.column.header) else {
                continue;
            };
            for (value, choice) in mapped {
                let choice = match choice {
                    ValueChoice::Option(o) => match list.find(o.trim()) {
                        Some(o) => Choice::Option(o.code.as_str()),
                        None => continue,
                    },
                    ValueChoice::Create if list.closed => continue,
                    ValueChoice::Create => Choice::Create,
                };
                plan.values
                    .entry(list.value_key(value).into_owned())
                    .or_insert(choice);
            }
        }
        self
    }

    /// The record type checked.
    pub fn record_type(&self) -> &'s RecordType {
        self.record_type
    }

    /// Checks one row into `out`.
    pub fn check_row<R: Row + ?Sized>(&self, row: &R, out: &mut BatchOutput) {
        let r = row.row();
        // A row of empty cells (`,,,,`: a formatted but empty spreadsheet row) is no record.
        if (0..row.len()).all(|i| row.cell(i).is_none_or(|c| c.trim().is_empty())) {
            out.empty_rows += 1;
            return;
        }
        out.rows += 1;
        if out.tallies.len() < self.judged_columns.len() {
            out.tallies
                .resize(self.judged_columns.len(), Tally::default());
        }
        if row.len() != self.width {
            let found = row.len();
            let extra = if found > self.width {
                let beyond: Vec<String> = (self.width..found)
                    .filter_map(|i| {
                        row.cell(i)
                            .filter(|c| !c.is_empty())
                            .map(|c| format!("`{}`", Problem::clip(c)))
                    })
                    .take(3)
                    .collect();
                if beyond.is_empty() {
                    " (the extra cells are empty: remove the trailing delimiters)".to_string()
                } else {
                    format!(" (beyond the last header: {})", beyond.join(", "))
                }
            } else {
                String::new()
            };
            out.problems.push(Problem {
                row: r,
                column: None,
                field: None,
                value: String::new(),
                code: ProblemCode::WrongFieldCount,
                message: format!(
                    "the row has {found} cell{} but the header has {}{extra}; a delimiter or quote is probably missing or extra in this row",
                    if found == 1 { "" } else { "s" },
                    self.width
                ),
            });
            return;
        }
        for &i in &self.empty_headers {
            if row.cell(i).is_some_and(|c| !c.trim().is_empty()) {
                out.header_less.push((i, r));
            }
        }

        let problems_before = out.problems.len();
        let pending_before = out.pending.len();

        // The action column, else the import's mode.
        let mut action = self.mode.action();
        if let Some(col) = &self.action_column {
            let raw = row.cell(col.index).unwrap_or_default();
            if !raw.trim().is_empty() {
                match Action::parse(raw) {
                    Some(a @ (Action::Delete | Action::Deactivate)) if !self.removals_allowed => {
                        out.problems.push(Problem {
                            row: r,
                            column: Some(col.clone()),
                            field: None,
                            value: Problem::clip(raw),
                            code: ProblemCode::ActionNotAllowed,
                            message: format!(
                                "`{}` is not allowed here: deleting and deactivating records needs the manager role; leave the row out, or ask a manager to submit the file",
                                a.name()
                            ),
                        });
                        action = a;
                    }
                    Some(a) => action = a,
                    None => out.problems.push(Problem {
                        row: r,
                        column: Some(col.clone()),
                        field: None,
                        value: Problem::clip(raw),
                        code: ProblemCode::InvalidAction,
                        message: format!(
                            "`{}` is not an action; use one of create, update, upsert, delete, deactivate (or leave it empty for the import's mode)",
                            Problem::clip(raw.trim())
                        ),
                    }),
                }
            }
        }

        // The record's UUID decides whether the row creates or updates.
        let mut is_new = true;
        let mut uuid = None;
        if let Some(col) = &self.uuid_column {
            let raw = row.cell(col.index).unwrap_or_default();
            if !raw.trim().is_empty() {
                is_new = false;
                match cell::parse_uuid(raw) {
                    Ok(u) => uuid = Some(u),
                    Err(e) => out.problems.push(Problem {
                        row: r,
                        column: Some(col.clone()),
                        field: Some("uuid".into()),
                        value: Problem::clip(raw),
                        code: e.code,
                        message: format!(
                            "{}; leave it empty to create a new {}",
                            e.message, self.record_type.label
                        ),
                    }),
                }
            }
        }
        // Matching on a natural key: a row without a UUID finds its record by the key, so
        // whether it creates is known only once the store has answered.
        let by_key = is_new && !self.match_on.is_empty();
        match (action, is_new, &self.uuid_column) {
            (Action::Create, false, Some(col)) if self.match_on.is_empty() => {
                out.problems.push(Problem {
                    row: r,
                    column: Some(col.clone()),
                    field: Some("uuid".into()),
                    value: Problem::clip(row.cell(col.index).unwrap_or_default()),
                    code: ProblemCode::ModeMismatch,
                    message: format!(
                        "in create mode every row creates a new {}; leave `{}` empty (or import in upsert mode to update this record)",
                        self.record_type.label, col.header
                    ),
                });
            }
            (Action::Update | Action::Delete | Action::Deactivate, true, _) if !by_key => {
                let what = match action {
                    Action::Update => "in update mode every row updates".to_string(),
                    a => format!("`{}` needs", a.name()),
                };
                out.problems.push(Problem {
                    row: r,
                    column: self.uuid_column.clone(),
                    field: Some("uuid".into()),
                    value: String::new(),
                    code: ProblemCode::ModeMismatch,
                    message: format!(
                        "{what} an existing {}; fill in its `{}` (or import in upsert mode to create it)",
                        self.record_type.label,
                        self.record_type.uuid_header()
                    ),
                });
            }
            _ => {}
        }
        if is_new && !by_key {
            out.new_rows += 1;
        } else {
            out.existing_rows += 1;
            out.existing.push(r);
        }
        let removes = matches!(action, Action::Delete | Action::Deactivate);
        // Required fields are checked here only for rows that surely create a record;
        // rows matched by key have theirs checked by the planner once the store has answered.
        let is_new = is_new && !by_key && !matches!(action, Action::Update) && !removes;
        let mut values: Vec<CellValue> = if self.typed {
            vec![CellValue::Keep; self.record_type.fields.len()]
        } else {
            Vec::new()
        };
        let mut blank_required = Vec::new();
        let mut link_keys: Vec<(usize, String)> = Vec::new();

        // Scratch for the row's unique keys, reused across rows of the batch.
        let mut keys = std::mem::take(&mut out.keys);
        keys.resize_with(self.key_count, String::new);
        let mut has_key = std::mem::take(&mut out.has_key);
        has_key.clear();
        has_key.resize(self.key_count, false);
        // Countries parsed so far in this row, by plan index (country plans come first).
        let mut countries: [Option<&'static str>; 8] = [None; 8];
        for (pi, plan) in self.plans.iter().enumerate() {
            // A row that deletes or deactivates reads only the fields that find its record.
            if removes && !self.match_on.contains(&plan.field_index) {
                continue;
            }
            let raw = row.cell(plan.column.index).unwrap_or_default();
            match row.flag(plan.column.index) {
                Some(CellFlag::Nul) => {
                    out.problems.push(problem(r, &plan.column, plan.field, &raw.replace('\0', "\\0"), CellError {
                        code: ProblemCode::NulCharacter,
                        message: "the cell contains a NUL byte (an invisible character that databases refuse); remove it".into(),
                    }));
                    continue;
                }
                Some(CellFlag::SpreadsheetError) => {
                    out.problems.push(problem(r, &plan.column, plan.field, raw, CellError {
                        code: ProblemCode::SpreadsheetError,
                        message: format!("the cell holds the spreadsheet error `{raw}`, not a value; correct the formula or type the value"),
                    }));
                    continue;
                }
                Some(CellFlag::TextAfterQuote) => {
                    out.problems.push(problem(r, &plan.column, plan.field, raw, CellError {
                        code: ProblemCode::TextAfterQuote,
                        message: "text follows the closing quote of this quoted cell; quote the whole cell and double any quote inside it (`\"say \"\"hi\"\"\"`)".into(),
                    }));
                    continue;
                }
                None => {}
            }
            let blank = raw.is_empty() || (starts_or_ends_blank(raw) && raw.trim().is_empty());
            if blank || raw == self.clear_token {
                let clearing = !blank;
                if self.typed && (clearing || self.clear_empty || is_new) {
                    values[plan.field_index] = CellValue::Set(Stored::Null);
                }
                if by_key && blank && plan.field.required && !clearing {
                    blank_required.push(plan.field_index);
                }
                if plan.field.required
                    && ((is_new && !self.ignore_required)
                        || (!is_new && (clearing || (self.clear_empty && !by_key))))
                {
                    let message = if !is_new {
                        format!(
                            "{} clears the field, but `{}` is required and cannot be cleared",
                            if clearing {
                                format!("`{}`", self.clear_token)
                            } else {
                                "an empty cell with --clear-empty".to_string()
                            },
                            plan.field.label
                        )
                    } else {
                        format!(
                            "`{}` is required for a new {}; fill it in (or import with --ignore-required to create records without it)",
                            plan.field.label, self.record_type.label
                        )
                    };
                    out.problems.push(problem(
                        r,
                        &plan.column,
                        plan.field,
                        raw,
                        CellError {
                            code: ProblemCode::Required,
                            message,
                        },
                    ));
                }
                continue;
            }
            let country = plan
                .country_plan
                .and_then(|c| countries.get(c).copied().flatten());
            let lookup = match (&plan.field.field_type, plan.list) {
                (FieldType::Select { .. }, Some(list)) => {
                    Some(self.select(plan, list, raw, r, out))
                }
                (FieldType::MultiSelect { separator, .. }, Some(list)) => {
                    Some(self.multiselect(plan, list, *separator, raw, r, out))
                }
                _ => None,
            };
            let parsed = match (lookup, &plan.judged) {
                (Some(Some(v)), _) => Ok(v),
                // Each unknown item is already reported.
                (Some(None), _) => continue,
                (None, Judged::No) => cell::parse(
                    plan.field,
                    plan.list,
                    raw,
                    &self.cell_formats(self.number, &self.date),
                    country,
                ),
                (None, Judged::Yes { slot, readings }) => {
                    let (fa, fb) = match readings {
                        Readings::Date(a, b) => (
                            self.cell_formats(self.number, a),
                            self.cell_formats(self.number, b),
                        ),
                        Readings::Number(a, b) => (
                            self.cell_formats(*a, &self.date),
                            self.cell_formats(*b, &self.date),
                        ),
                    };
                    let va = cell::judged_value(plan.field, raw, &fa);
                    // Cells without separators (`42`, `2024-03-01`) read alike both ways.
                    let vb = if reads_alike(raw, readings) {
                        va
                    } else {
                        cell::judged_value(plan.field, raw, &fb)
                    };
                    let fit = match (&va, &vb) {
                        (Some(a), Some(b)) if a == b => Fit::Same,
                        _ => Fit::from(va.is_some(), vb.is_some()),
                    };
                    out.tallies[*slot].add(fit);
                    if !matches!(fit, Fit::Both | Fit::Same) {
                        let (s, e) = out.stash(raw);
                        out.pending.push((*slot as u32, pi as u32, r, fit, s, e));
                        // An import writes under the first reading (settled at the end).
                        if !(self.typed && fit == Fit::First) {
                            continue;
                        }
                    }
                    if plan.key_slot.is_none() && !self.typed {
                        continue;
                    }
                    cell::parse(plan.field, plan.list, raw, &fa, country)
                }
            };
            match parsed {
                Ok(v) => {
                    if let Value::Country(c) = v {
                        // Country plans come first, so `pi` is small here.
                        if let Some(slot) = countries.get_mut(pi) {
                            *slot = Some(c);
                        }
                    }
                    if let Some(k) = plan.key_slot {
                        keys[k].clear();
                        v.unique_key(&mut keys[k]);
                        has_key[k] = true;
                    }
                    if self.typed {
                        if let Value::Link(LinkRef::Key(k)) = &v {
                            link_keys.push((plan.field_index, (*k).to_string()));
                        } else if let Some(stored) = to_stored(&v, plan.field, plan.list) {
                            values[plan.field_index] = CellValue::Set(stored);
                        }
                    }
                }
                Err(e) => out
                    .problems
                    .push(problem(r, &plan.column, plan.field, raw, e)),
            }
        }
        if self.typed {
            let mut old = Vec::new();
            for (col, f) in &self.old_columns {
                let field = &self.record_type.fields[*f];
                let list = self
                    .plans
                    .iter()
                    .find(|p| p.field_index == *f)
                    .and_then(|p| p.list);
                let raw = row.cell(col.index).unwrap_or_default();
                if raw.trim().is_empty() {
                    old.push((*f, Stored::Null));
                    continue;
                }
                match cell::parse(
                    field,
                    list,
                    raw,
                    &self.cell_formats(self.number, &self.date),
                    None,
                ) {
                    Ok(v) => {
                        if let Some(st) = to_stored(&v, field, list) {
                            old.push((*f, st));
                        }
                    }
                    Err(e) => out.problems.push(problem(r, col, field, raw, e)),
                }
            }
            let key = if by_key {
                self.match_on
                    .iter()
                    .map(|&f| match &values[f] {
                        CellValue::Set(v) if !v.is_null() => Some(v.clone()),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
            } else {
                None
            };
            let failed = out.problems.len() > problems_before
                || out.pending[pending_before..]
                    .iter()
                    .any(|p| p.3 != Fit::First);
            out.typed.push(TypedRow {
                row: r,
                action,
                uuid,
                key,
                failed,
                values,
                old,
                blank_required,
                link_keys,
                inline: Vec::new(),
                creates: Vec::new(),
                pending_links: Vec::new(),
            });
        }
        for (si, slot) in self.unique_slots.iter().enumerate() {
            if !slot.parts.iter().all(|&p| has_key[p]) {
                continue;
            }
            let start = out.text.len();
            for (n, &p) in slot.parts.iter().enumerate() {
                if n > 0 {
                    out.text.push('\u{1f}');
                }
                out.text.push_str(&keys[p]);
            }
            let key = out.text.get(start..).unwrap_or_default();
            let h = xxhash_rust::xxh3::xxh3_128(key.as_bytes());
            let (s, e) = (
                u32::try_from(start).unwrap_or(u32::MAX),
                u32::try_from(out.text.len()).unwrap_or(u32::MAX),
            );
            out.unique.push((si as u32, r, h, s, e, record_tag(uuid)));
        }
        out.keys = keys;
        out.has_key = has_key;
    }

    /// What one value of a lookup cell reads as: its value mapping first, then the list;
    /// an unknown value becomes a new option when the mapping or `--create-missing-options`
    /// says so (never in a closed list). `None`: unknown.
    fn lookup_value<'r>(
        &self,
        plan: &ColumnPlan<'s>,
        list: &'s LookupList,
        value: &'r str,
        out: &mut BatchOutput,
    ) -> Option<&'r str>
    where
        's: 'r,
    {
        let choice = if plan.values.is_empty() {
            None
        } else {
            plan.values.get(list.value_key(value).as_ref()).copied()
        };
        if let Some(Choice::Option(code)) = choice {
            return Some(code);
        }
        if let Some(o) = list.find(value) {
            return Some(o.code.as_str());
        }
        let create = matches!(choice, Some(Choice::Create)) || self.create_missing_options;
        if create && !list.closed {
            out.new_options.push((list.name.clone(), value.to_string()));
            return Some(value);
        }
        None
    }

    /// A select cell, or `None` once its problem is reported.
    fn select<'r>(
        &self,
        plan: &ColumnPlan<'s>,
        list: &'s LookupList,
        raw: &'r str,
        row: RowNumber,
        out: &mut BatchOutput,
    ) -> Option<Value<'r>>
    where
        's: 'r,
    {
        let v = raw.trim();
        if let Some(code) = self.lookup_value(plan, list, v, out) {
            return Some(Value::Select(code));
        }
        if let Err(e) = cell::parse_select(v, list) {
            out.problems
                .push(problem(row, &plan.column, plan.field, raw, e));
        }
        None
    }

    /// A multiselect cell, each item read on its own; `None` once every unknown item is
    /// reported, each as its own problem whose value is the item (so unknown values can be
    /// listed exactly).
    fn multiselect<'r>(
        &self,
        plan: &ColumnPlan<'s>,
        list: &'s LookupList,
        separator: char,
        raw: &'r str,
        row: RowNumber,
        out: &mut BatchOutput,
    ) -> Option<Value<'r>>
    where
        's: 'r,
    {
        let mut codes = Vec::new();
        let mut unknown = false;
        for part in raw
            .split(separator)
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match self.lookup_value(plan, list, part, out) {
                Some(code) if !codes.contains(&code) => codes.push(code),
                Some(_) => {}
                None => {
                    unknown = true;
                    out.problems.push(problem(
                        row,
                        &plan.column,
                        plan.field,
                        part,
                        cell::unknown_item(part, list, separator),
                    ));
                }
            }
        }
        (!unknown).then_some(Value::MultiSelect(codes))
    }

    fn cell_formats<'a>(&'a self, number: NumberFormat, date: &'a DateFormat) -> CellFormats<'a> {
        CellFormats {
            number,
            date,
            datetime: &self.datetime,
            phone_region: self.phone_region,
        }
    }

    /// Starts the sequential part of a validation.
    pub fn start(&self) -> Validation<'_, 's> {
        Validation {
            validator: self,
            seen: (0..self.unique_slots.len())
                .map(|_| FxHashMap::default())
                .collect(),
            tags: Vec::new(),
            tallies: vec![Tally::default(); self.judged_columns.len()],
            pending: vec![Pending::default(); self.judged_columns.len()],
            header_less: FxHashMap::default(),
            existing: Vec::new(),
            empty_rows: 0,
            report: ValidationReport::default(),
        }
    }
}

/// Whether both readings of a judged column must give a cell the same meaning: a number
/// without any separator, or an ISO date.
fn reads_alike(raw: &str, readings: &Readings) -> bool {
    match readings {
        Readings::Number(..) => !raw
            .bytes()
            .any(|b| matches!(b, b'.' | b',' | b' ' | b'\'') || b >= 0x80),
        Readings::Date(..) => crate::locale::parse_iso_date(raw.trim()).is_some(),
    }
}

/// The record a row names by UUID, as 32 bits (0: none, a new record or one found by key).
/// Two rows with the same tag update the same record (the odds that two UUIDs share one are
/// one in four billion, and the store's unique index still stops that pair).
fn record_tag(uuid: Option<uuid::Uuid>) -> u32 {
    uuid.map_or(0, |u| {
        (xxhash_rust::xxh3::xxh3_64(u.as_bytes()) as u32).max(1)
    })
}

/// Whether a cell begins or ends with white space (only then can it be blank).
fn starts_or_ends_blank(s: &str) -> bool {
    let b = s.as_bytes();
    let ws = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_whitespace() || *c >= 0x80);
    ws(b.first()) || ws(b.last())
}

/// Cells of one judged column whose verdict waits for the judgement.
#[derive(Debug, Clone, Default)]
struct Pending {
    /// (plan, row, fit, value), kept while the memory cap allows.
    cells: Vec<(u32, RowNumber, Fit, Box<str>)>,
    /// Cells that fit only the first reading were dropped to save memory (only the counts remain).
    dropped_first: bool,
    /// Same for the second reading.
    dropped_second: bool,
}

/// Cells of one reading kept before that reading, if it is winning ten to one, stops being
/// kept.
const PENDING_KEEP: u64 = 1000;

/// The sequential part of a validation: merge batches in file order, then [`Validation::finish`].
#[derive(Debug)]
pub struct Validation<'v, 's> {
    validator: &'v Validator<'s>,
    /// Per unique slot: a value's 64-bit hash (as two halves, so that an entry takes 12
    /// bytes) -> the first row that holds it.
    seen: Vec<FxHashMap<[u32; 2], u32>>,
    /// (row, record tag) of the rows that name a record by UUID, in file order.
    tags: Vec<(u32, u32)>,
    tallies: Vec<Tally>,
    pending: Vec<Pending>,
    header_less: FxHashMap<usize, (RowNumber, u64)>,
    /// Bit per row number: the row updates an existing record.
    existing: Vec<u64>,
    /// Rows whose cells are all empty, skipped.
    empty_rows: u64,
    report: ValidationReport,
}

impl Validation<'_, '_> {
    /// Problems collected so far (before [`Validation::finish`] sorts them).
    pub fn problem_count(&self) -> usize {
        self.report.problems.len()
    }

    /// Rows of the problems collected since `n` problems were counted.
    pub fn problem_rows_since(&self, n: usize) -> impl Iterator<Item = RowNumber> + '_ {
        self.report
            .problems
            .get(n..)
            .unwrap_or_default()
            .iter()
            .map(|p| p.row)
    }

    /// Makes room for the unique values of about `rows` rows, so that the tables that
    /// find duplicates need not grow (and briefly hold two sizes) late in a large file.
    pub fn reserve(&mut self, rows: usize) {
        for m in &mut self.seen {
            m.reserve(rows.saturating_sub(m.len()));
        }
    }

    /// The record tag of a row that names a record by UUID.
    fn tag_of(&self, row: u32) -> Option<u32> {
        self.tags
            .binary_search_by_key(&row, |&(r, _)| r)
            .ok()
            .and_then(|i| self.tags.get(i))
            .map(|&(_, t)| t)
    }

    /// Adds problems found outside the validator (against the store, across rows).
    pub fn add_problems(&mut self, problems: impl IntoIterator<Item = Problem>) {
        self.report.problems.extend(problems);
    }

    /// Adds the results of one batch (batches must come in file order). Its problems are
    /// moved out, not copied; the rest of the output is only read.
    pub fn merge(&mut self, out: &mut BatchOutput) {
        let v = self.validator;
        self.report.rows += out.rows;
        self.empty_rows += out.empty_rows;
        self.report.new_rows += out.new_rows;
        self.report.existing_rows += out.existing_rows;
        self.report.problems.append(&mut out.problems);
        for &(slot, row, h, s, e, tag) in &out.unique {
            // A 64-bit fingerprint per value and the first row that holds it: 12 bytes per
            // row, never the text. Two different values share a fingerprint about once in
            // 10^7 files of a million rows.
            let key = [(h >> 96) as u32, (h >> 64) as u32];
            let row32 = u32::try_from(row.get()).unwrap_or(u32::MAX);
            if tag != 0 && self.tags.last().is_none_or(|&(r, _)| r != row32) {
                self.tags.push((row32, tag));
            }
            match self.seen[slot as usize].get(&key).copied() {
                // Rows that name the same record (by UUID) may repeat its values: whether
                // they agree is judged against the store, not here.
                Some(first) if tag != 0 && self.tag_of(first) == Some(tag) => {}
                Some(first) => {
                    let first = RowNumber::new(u64::from(first));
                    let us = &v.unique_slots[slot as usize];
                    let text = out.text.get(s as usize..e as usize).unwrap_or_default();
                    let (value, message) = if us.parts.len() == 1 {
                        (
                            text.to_string(),
                            format!(
                                "`{}` is already in row {first}; `{}` must be unique",
                                Problem::clip(text),
                                us.labels[0]
                            ),
                        )
                    } else {
                        let shown = text.replace('\u{1f}', " / ");
                        (
                            shown.clone(),
                            format!(
                                "the combination `{}` of {} is already in row {first}; it must be unique",
                                Problem::clip(&shown),
                                us.labels
                                    .iter()
                                    .map(|l| format!("`{l}`"))
                                    .collect::<Vec<_>>()
                                    .join(" and ")
                            ),
                        )
                    };
                    self.report.problems.push(Problem {
                        row,
                        column: Some(us.column.clone()),
                        field: Some(us.field.clone()),
                        value: Problem::clip(&value),
                        code: ProblemCode::DuplicateInFile,
                        message,
                    });
                }
                None => {
                    self.seen[slot as usize].insert(key, row32);
                }
            }
        }
        for (i, t) in out.tallies.iter().enumerate() {
            self.tallies[i].merge(t);
        }
        for &(slot, plan, row, fit, s, e) in &out.pending {
            let p = &mut self.pending[slot as usize];
            let t = &self.tallies[slot as usize];
            let text = out.text.get(s as usize..e as usize).unwrap_or_default();
            // Cells that fit only the reading that is clearly winning will not be reported:
            // drop them (and stop keeping them) so memory stays flat on large files.
            let clearly =
                |mine: u64, other: u64| mine >= PENDING_KEEP && mine > other.saturating_mul(10);
            match fit {
                Fit::First if p.dropped_first || clearly(t.first, t.second) => {
                    if !p.dropped_first {
                        p.dropped_first = true;
                        p.cells.retain(|c| c.2 != Fit::First);
                    }
                    continue;
                }
                Fit::Second if p.dropped_second || clearly(t.second, t.first) => {
                    if !p.dropped_second {
                        p.dropped_second = true;
                        p.cells.retain(|c| c.2 != Fit::Second);
                    }
                    continue;
                }
                _ => {}
            }
            p.cells.push((plan, row, fit, text.into()));
        }
        for &row in &out.existing {
            let i = usize::try_from(row.get()).unwrap_or(usize::MAX);
            if i / 64 >= self.existing.len() {
                self.existing.resize(i / 64 + 1, 0);
            }
            self.existing[i / 64] |= 1 << (i % 64);
        }
        for &(col, row) in &out.header_less {
            let e = self.header_less.entry(col).or_insert((row, 0));
            e.1 += 1;
        }
    }

    /// Settles judged columns and duplicates, sorts the problems and returns the report.
    pub fn finish(
        mut self,
        header_row: RowNumber,
        header_problems: Vec<Problem>,
        header_warnings: Vec<Warning>,
    ) -> ValidationReport {
        let v = self.validator;
        let mut report = std::mem::take(&mut self.report);
        // Problems of the file as a whole (header, judgement) come first and fail no row.
        let mut file_problems = header_problems;
        report.warnings.splice(0..0, header_warnings);

        for (slot, (column, field, readings)) in v.judged_columns.iter().enumerate() {
            let tally = self.tallies[slot];
            let second = tally.choose_second();
            if second {
                report.second_readings.push(readings.clone());
            }
            let names = readings.names();
            let chosen = names[usize::from(second)].clone();
            let reason = tally.reason(&names);
            if tally.worth_reporting() {
                report.warnings.push(Warning {
                    row: None,
                    column: Some(column.clone()),
                    code: ProblemCode::AmbiguousColumn,
                    message: format!("column `{}` was read as {chosen}: {reason}", column.header),
                });
                report.judgements.push(Judgement {
                    column: column.clone(),
                    field: field.clone(),
                    readings: vec![
                        Reading {
                            name: names[0].clone(),
                            only: tally.first,
                        },
                        Reading {
                            name: names[1].clone(),
                            only: tally.second,
                        },
                    ],
                    fit_all: tally.both,
                    chosen: chosen.clone(),
                    reason: reason.clone(),
                });
            }
            let pending = std::mem::take(&mut self.pending[slot]);
            let lost = if second {
                pending.dropped_first
            } else {
                pending.dropped_second
            };
            for (plan, row, fit, raw) in pending.cells {
                let fits_chosen =
                    matches!((fit, second), (Fit::First, false) | (Fit::Second, true));
                let plan = &v.plans[plan as usize];
                let formats = match readings {
                    Readings::Date(a, b) => v.cell_formats(v.number, if second { b } else { a }),
                    Readings::Number(a, b) => v.cell_formats(if second { *b } else { *a }, &v.date),
                };
                if fits_chosen {
                    continue;
                }
                // Subdivisions are never judged, so no country is needed here.
                if let Err(mut e) = cell::parse(plan.field, plan.list, &raw, &formats, None) {
                    if fit != Fit::Neither {
                        e.message =
                            format!("{} (this column is read as {chosen}: {reason})", e.message);
                    }
                    report
                        .problems
                        .push(problem(row, &plan.column, plan.field, &raw, e));
                }
            }
            if lost {
                let n = if second { tally.first } else { tally.second };
                file_problems.push(Problem {
                    row: header_row,
                    column: Some(column.clone()),
                    field: Some(field.clone()),
                    value: String::new(),
                    code: ProblemCode::AmbiguousColumn,
                    message: format!(
                        "{n} rows of this column do not fit the reading chosen ({chosen}: {reason}); there are too many to list: give the format explicitly (--date-format, --decimal-separator)"
                    ),
                });
            }
        }
        let silent: Vec<String> = v
            .empty_headers
            .iter()
            .filter(|c| !self.header_less.contains_key(c))
            .map(|&c| crate::report::column_letter(c))
            .collect();
        if !silent.is_empty() && report.rows > 0 {
            let (what, verb) = if silent.len() == 1 {
                ("column", "has")
            } else {
                ("columns", "have")
            };
            report.warnings.push(Warning {
                row: None,
                column: None,
                code: ProblemCode::EmptyHeader,
                message: format!(
                    "{what} {} {verb} no header and no data; ignored",
                    silent.join(", ")
                ),
            });
        }
        for (&col, &(first, count)) in &self.header_less {
            let column = v.headers.get(col).cloned().unwrap_or(Column {
                index: col,
                header: String::new(),
            });
            report.problems.push(Problem {
                row: first,
                column: Some(column.clone()),
                field: None,
                value: String::new(),
                code: ProblemCode::EmptyHeader,
                message: format!(
                    "column {} has no header but holds data in {count} row{} (first in row {first}); give it a header or delete the column",
                    column.letter(),
                    if count == 1 { "" } else { "s" }
                ),
            });
        }
        report.problems.sort_by(|a, b| {
            a.row.cmp(&b.row).then_with(|| {
                let ai = a.column.as_ref().map_or(usize::MAX, |c| c.index);
                let bi = b.column.as_ref().map_or(usize::MAX, |c| c.index);
                ai.cmp(&bi)
            })
        });
        let mut failed = 0;
        let mut failed_new = 0;
        let mut last = None;
        for p in &report.problems {
            if last != Some(p.row) {
                failed += 1;
                let i = usize::try_from(p.row.get()).unwrap_or(usize::MAX);
                let existing = self
                    .existing
                    .get(i / 64)
                    .is_some_and(|w| w & (1 << (i % 64)) != 0);
                if !existing {
                    failed_new += 1;
                }
                last = Some(p.row);
            }
        }
        report.failed_rows = failed;
        report.failed_new_rows = failed_new;
        report.problems.splice(0..0, file_problems);
        if self.empty_rows > 0 {
            let n = self.empty_rows;
            report.warnings.push(Warning {
                row: None,
                column: None,
                code: ProblemCode::EmptyRows,
                message: format!(
                    "{n} row{} only empty cells (formatted but empty spreadsheet rows?) and {} skipped",
                    if n == 1 { " has" } else { "s have" },
                    if n == 1 { "is" } else { "are" }
                ),
            });
        }
        if report.rows == 0 {
            report.warnings.push(Warning {
                row: None,
                column: None,
                code: ProblemCode::NoDataRows,
                message: "the file has a header but no data rows; nothing would be imported".into(),
            });
        }
        report
    }
}

#[cfg(test)]
mod tests;
