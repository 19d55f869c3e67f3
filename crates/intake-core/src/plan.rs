//! The import planner: typed rows plus what the store holds -> writes and problems.
//!
//! The planner does no I/O (ARCHITECTURE.md). For a batch of typed rows it says which
//! records it needs ([`Needs`]: by UUID, by natural key, link targets, unique values); the
//! engine fetches them in one query per kind and batch and hands them back as [`Found`]; the
//! planner then decides, row by row, what to write ([`Op`]) and what is wrong ([`Problem`]).
//!
//! Lookups are made against the store as it was when the import started. Rows of the same
//! file that touch the same record are the engine's business (it sees the whole file in
//! order); the planner judges each row on its own against that snapshot.

use rustc_hash::{FxHashMap, FxHashSet};
use uuid::Uuid;

use crate::RowNumber;
use crate::report::{Column, Problem, ProblemCode};
use crate::schema::{FieldType, RecordType};
use crate::stored::{Stored, uuid_text};

/// What a row asks for: the import's mode, or the row's action column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create when the record does not exist, else update it.
    Upsert,
    /// Create a new record; an existing one is an error.
    Create,
    /// Update an existing record; a missing one is an error.
    Update,
    /// Delete the record.
    Delete,
    /// Mark the record inactive (it stays, with `deactivated_at` set).
    Deactivate,
}

impl Action {
    /// Reads an action cell (any case).
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "upsert" => Action::Upsert,
            "create" => Action::Create,
            "update" => Action::Update,
            "delete" => Action::Delete,
            "deactivate" => Action::Deactivate,
            _ => return None,
        })
    }

    /// The action's name.
    pub fn name(self) -> &'static str {
        match self {
            Action::Upsert => "upsert",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Deactivate => "deactivate",
        }
    }
}

/// What a row says about one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellValue {
    /// The file has no column for the field, or the cell is empty and stored values are kept.
    Keep,
    /// Set the field to this value (`Stored::Null` clears it).
    Set(Stored),
}

/// One row of the file, parsed and checked on its own.
#[derive(Debug, Clone)]
pub struct TypedRow {
    /// The row as the user numbers it.
    pub row: RowNumber,
    /// What the row asks for.
    pub action: Action,
    /// The record's UUID, when the row gives one.
    pub uuid: Option<Uuid>,
    /// The natural key the import matches on, when the row has it (and no UUID).
    pub key: Option<Vec<Stored>>,
    /// The row has problems of its own: nothing of it is written.
    pub failed: bool,
    /// One entry per field of the record type.
    pub values: Vec<CellValue>,
    /// Update sheets: the `[old]` values, (field, value at export time).
    pub old: Vec<(usize, Stored)>,
    /// Required fields left empty: a problem if the row turns out to create a record.
    pub blank_required: Vec<usize>,
    /// Link cells that name their target by a natural key instead of a UUID: (field, the
    /// key as written). The field's value is [`CellValue::Keep`] until
    /// [`Planner::resolve_links`] puts the found record's UUID there.
    pub link_keys: Vec<(usize, String)>,
    /// Inline creation: the target's values a row carries for its inline links.
    pub inline: Vec<InlineValues>,
    /// The linked records the row creates ([`Planner::resolve_links`] decides): their link
    /// fields hold an empty text until the engine puts the new records' UUIDs there.
    pub creates: Vec<InlineCreate>,
    /// Links to the row's own type whose key names no stored record: (field, the key as
    /// written). An earlier row of the file may create that record; the engine looks the key
    /// up among the records the import created so far and puts its UUID in the field (which
    /// holds an empty text until then), or reports the link as unknown.
    pub pending_links: Vec<(usize, String)>,
}

/// The linked record's own columns in a row (e.g. `Account Name` in a contact file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineValues {
    /// The link field of the row's type.
    pub field: usize,
    /// One per field of the target type.
    pub values: Vec<CellValue>,
}

/// A linked record that a row creates, unless an earlier row of the file created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineCreate {
    /// The link field of the row's type that will hold the new record's UUID.
    pub field: usize,
    /// The target type.
    pub target: String,
    /// Its natural key, as compared: rows with the same key link to one new record.
    pub key: Vec<Stored>,
    /// Its values, one per field of the target type.
    pub values: Vec<Stored>,
}

/// Options of planning.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Fields of the natural key rows are matched on (`--match-on`); empty = by UUID.
    pub match_on: Vec<usize>,
    /// New records may leave required fields empty.
    pub ignore_required: bool,
    /// Update sheets: write even when the stored value no longer equals `[old]`.
    pub force: bool,
}

/// A record as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// The record's UUID.
    pub uuid: Uuid,
    /// One value per field of the record type.
    pub values: Vec<Stored>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was last changed (RFC 3339).
    pub updated_at: String,
    /// The import that last wrote it, if any.
    pub updated_by_import: Option<i64>,
    /// When it was deactivated, if it is inactive.
    pub deactivated_at: Option<String>,
}

/// What the planner needs from the store for a batch.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    /// Records by UUID.
    pub uuids: Vec<Uuid>,
    /// Records by the natural key of [`PlanOptions::match_on`].
    pub keys: Vec<Vec<Stored>>,
    /// Link targets by type: UUIDs that must exist.
    pub links: Vec<(String, Vec<Uuid>)>,
}

/// Keys of one target type to find by the fields a link names them by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkKeys {
    /// The target record type.
    pub target: String,
    /// The target's fields tried in order (names; `uuid` left out).
    pub by: Vec<String>,
    /// The keys as written in the file, sorted and once each.
    pub keys: Vec<String>,
}

/// What the store answered.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// Records found by UUID or by key.
    pub records: Vec<StoredRecord>,
    /// Link targets that exist, by type.
    pub links: FxHashMap<String, FxHashSet<Uuid>>,
    /// Per unique slot (same order as [`Planner::unique_slots`]): value -> UUID of the
    /// record holding it.
    pub unique: Vec<FxHashMap<Vec<Stored>, Uuid>>,
}

/// Link targets found by key: per target type, key as written -> the record.
#[derive(Debug, Clone, Default)]
pub struct FoundLinkKeys(FxHashMap<String, FxHashMap<String, Uuid>>);

impl FoundLinkKeys {
    /// Records that `key` names the `target` record `uuid`.
    pub fn insert(&mut self, target: &str, key: String, uuid: Uuid) {
        match self.0.get_mut(target) {
            Some(m) => {
                m.insert(key, uuid);
            }
            None => {
                let mut m = FxHashMap::default();
                m.insert(key, uuid);
                self.0.insert(target.to_string(), m);
            }
        }
    }

    /// The `target` record `key` names, if found.
    pub fn get(&self, target: &str, key: &str) -> Option<Uuid> {
        self.0.get(target).and_then(|m| m.get(key)).copied()
    }
}

/// A write the planner decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Create a record with these values (one per field).
    Create {
        /// The row.
        row: RowNumber,
        /// The new record's values.
        values: Vec<Stored>,
    },
    /// Change some fields of a record.
    Update {
        /// The row.
        row: RowNumber,
        /// The record.
        uuid: Uuid,
        /// (field, new value) of the fields that change.
        set: Vec<(usize, Stored)>,
        /// (field, stored value) of the same fields, for the changeset.
        before: Vec<(usize, Stored)>,
    },
    /// The row matches the stored record exactly.
    Unchanged {
        /// The row.
        row: RowNumber,
        /// The record.
        uuid: Uuid,
    },
    /// Delete a record.
    Delete {
        /// The row.
        row: RowNumber,
        /// The record as it was (for the changeset).
        record: StoredRecord,
    },
    /// Deactivate a record.
    Deactivate {
        /// The row.
        row: RowNumber,
        /// The record.
        uuid: Uuid,
    },
}

impl Op {
    /// The row the write comes from.
    pub fn row(&self) -> RowNumber {
        match self {
            Op::Create { row, .. }
            | Op::Update { row, .. }
            | Op::Unchanged { row, .. }
            | Op::Delete { row, .. }
            | Op::Deactivate { row, .. } => *row,
        }
    }

    /// The record the write touches, when it exists already.
    pub fn target(&self) -> Option<Uuid> {
        match self {
            Op::Create { .. } => None,
            Op::Update { uuid, .. } | Op::Unchanged { uuid, .. } | Op::Deactivate { uuid, .. } => {
                Some(*uuid)
            }
            Op::Delete { record, .. } => Some(record.uuid),
        }
    }
}

/// The plan of one batch.
#[derive(Debug, Default)]
pub struct BatchPlan {
    /// Writes, in row order, for rows without problems.
    pub ops: Vec<Op>,
    /// Problems found against the store.
    pub problems: Vec<Problem>,
}

/// Plans the writes of a record type.
#[derive(Debug)]
pub struct Planner<'s> {
    record_type: &'s RecordType,
    /// The file column of each field (for problems), if mapped.
    columns: Vec<Option<Column>>,
    uuid_column: Option<Column>,
    options: PlanOptions,
    /// Unique slots checked against the store: field indexes.
    slots: Vec<Vec<usize>>,
    links: Vec<(usize, String)>,
    /// Per link (same order as `links`): the target's fields a key names it by.
    link_by: Vec<Vec<String>>,
    /// Links that create their target inline: (link field, target type, the target's field
    /// that tells rows apart: its natural key, when that is one field).
    inline: Vec<(usize, &'s RecordType, Option<usize>)>,
    /// Implied links: (link field, the link field it is implied by, that link's target, the
    /// target's field holding the implied record).
    implied: Vec<(usize, usize, &'s RecordType, usize)>,
    /// Inline links created only with another: (link field, the other inline link field).
    inline_with: Vec<(usize, usize)>,
}

impl<'s> Planner<'s> {
    /// A planner for a record type; `columns[f]` is the file column of field `f`.
    pub fn new(
        record_type: &'s RecordType,
        columns: Vec<Option<Column>>,
        uuid_column: Option<Column>,
        options: PlanOptions,
    ) -> Self {
        let slots = record_type.unique_slots();
        let mut links = Vec::new();
        let mut link_by = Vec::new();
        for (i, f) in record_type.fields.iter().enumerate() {
            if let FieldType::Link(l) = &f.field_type {
                links.push((i, l.target.clone()));
                link_by.push(l.by.iter().filter(|b| *b != "uuid").cloned().collect());
            }
        }
        Planner {
            record_type,
            columns,
            uuid_column,
            options,
            slots,
            links,
            link_by,
            inline: Vec::new(),
            implied: Vec::new(),
            inline_with: Vec::new(),
        }
    }

    /// Lets an empty cell of link `field` take the record that the target of link `via`
    /// links to (the schema's `implied_by`): `via_target` is that link's target type.
    #[must_use]
    pub fn with_implied(mut self, field: usize, via: usize, via_target: &'s RecordType) -> Self {
        let target = match &self.record_type.fields[field].field_type {
            FieldType::Link(l) => l.target.as_str(),
            _ => return self,
        };
        if let Some(g) = via_target
            .fields
            .iter()
            .position(|g| matches!(&g.field_type, FieldType::Link(l) if l.target == target))
        {
            self.implied.push((field, via, via_target, g));
        }
        self
    }

    /// Lets the inline link `field` create its target only when the row creates the target
    /// of the inline link `with` too (the schema's `inline_with`).
    #[must_use]
    pub fn with_inline_with(mut self, field: usize, with: usize) -> Self {
        self.inline_with.push((field, with));
        self
    }

    /// Whether [`Planner::apply_implied`] has anything to do.
    pub fn has_implied(&self) -> bool {
        !self.implied.is_empty() || !self.inline_with.is_empty()
    }

    /// For implied links: the records to read, per type (the rows' existing targets of the
    /// links they are implied by), for rows that leave the implied link empty.
    pub fn implied_needs(&self, rows: &[TypedRow]) -> Vec<(&'s RecordType, Vec<Uuid>)> {
        let mut out: Vec<(&'s RecordType, Vec<Uuid>)> = Vec::new();
        for &(field, via, via_target, _) in &self.implied {
            let mut uuids: Vec<Uuid> = rows
                .iter()
                .filter(|r| !r.failed && Self::implied_open(r, field))
                .filter_map(|r| Self::linked(r, via))
                .collect();
            uuids.sort_unstable();
            uuids.dedup();
            if uuids.is_empty() {
                continue;
            }
            match out.iter_mut().find(|(t, _)| t.name == via_target.name) {
                Some((_, u)) => {
                    u.extend(uuids);
                    u.sort_unstable();
                    u.dedup();
                }
                None => out.push((via_target, uuids)),
            }
        }
        out
    }

    /// The implied link's cell is empty, or holds only the inline creation's placeholder.
    fn implied_open(r: &TypedRow, field: usize) -> bool {
        match &r.values[field] {
            CellValue::Keep | CellValue::Set(Stored::Null) => true,
            CellValue::Set(Stored::Text(t)) => t.is_empty(),
            CellValue::Set(_) => false,
        }
    }

    /// The stored record a link of the row names (not one the row creates).
    fn linked(r: &TypedRow, field: usize) -> Option<Uuid> {
        if r.creates.iter().any(|c| c.field == field) {
            return None;
        }
        match &r.values[field] {
            CellValue::Set(Stored::Text(t)) => Uuid::try_parse(t).ok(),
            _ => None,
        }
    }

    /// Fills implied links from `held` (the records [`Planner::implied_needs`] asked for),
    /// instead of creating their targets inline; then drops the inline creations that
    /// `inline_with` allows only together with another.
    pub fn apply_implied(&self, rows: &mut [TypedRow], held: &FxHashMap<Uuid, StoredRecord>) {
        for r in rows.iter_mut().filter(|r| !r.failed) {
            for &(field, via, _, g) in &self.implied {
                if !Self::implied_open(r, field) {
                    continue;
                }
                let Some(target) = Self::linked(r, via)
                    .and_then(|u| held.get(&u))
                    .and_then(|rec| rec.values.get(g))
                    .filter(|v| !v.is_null())
                else {
                    continue;
                };
                r.values[field] = CellValue::Set(target.clone());
                r.creates.retain(|c| c.field != field);
            }
            for &(field, with) in &self.inline_with {
                if r.creates.iter().any(|c| c.field == field)
                    && !r.creates.iter().any(|c| c.field == with)
                {
                    r.creates.retain(|c| c.field != field);
                    r.values[field] = CellValue::Keep;
                }
            }
        }
    }

    /// Lets the link `field` create its target inline (the schema's `inline = true`).
    #[must_use]
    pub fn with_inline(mut self, field: usize, target: &'s RecordType) -> Self {
        let key = Self::inline_key(target);
        let one = match key.as_slice() {
            [k] => Some(*k),
            _ => None,
        };
        self.inline.push((field, target, one));
        self
    }

    /// The natural key fields of an inline link's target (its first natural key).
    fn inline_key(target: &RecordType) -> Vec<usize> {
        target
            .natural_keys
            .first()
            .map(|k| {
                k.iter()
                    .filter_map(|n| target.field_index(n.as_str()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The record type planned for.
    pub fn record_type(&self) -> &RecordType {
        self.record_type
    }

    /// The fields rows are matched on (`--match-on`), empty when by UUID.
    pub fn match_on(&self) -> &[usize] {
        &self.options.match_on
    }

    /// The unique slots (fields) checked against stored records.
    pub fn unique_slots(&self) -> &[Vec<usize>] {
        &self.slots
    }

    /// What the batch needs from the store.
    pub fn needs(&self, rows: &[TypedRow]) -> Needs {
        let mut needs = Needs::default();
        let mut links: Vec<FxHashSet<Uuid>> = vec![FxHashSet::default(); self.links.len()];
        for r in rows.iter().filter(|r| !r.failed) {
            if let Some(u) = r.uuid {
                needs.uuids.push(u);
            } else if let Some(k) = &r.key {
                needs.keys.push(k.clone());
            }
            for (li, (fi, _)) in self.links.iter().enumerate() {
                // A link found by key is known to exist.
                if r.link_keys.iter().any(|(f, _)| f == fi) {
                    continue;
                }
                if let CellValue::Set(Stored::Text(t)) = &r.values[*fi]
                    && let Ok(u) = Uuid::try_parse(t)
                {
                    links[li].insert(u);
                }
            }
        }
        let mut by_target: FxHashMap<String, FxHashSet<Uuid>> = FxHashMap::default();
        for (li, (_, target)) in self.links.iter().enumerate() {
            by_target
                .entry(target.clone())
                .or_default()
                .extend(links[li].iter().copied());
        }
        let mut targets: Vec<_> = by_target.into_iter().collect();
        targets.sort_by(|a, b| a.0.cmp(&b.0));
        needs.links = targets
            .into_iter()
            .filter(|(_, s)| !s.is_empty())
            .map(|(t, s)| {
                let mut v: Vec<Uuid> = s.into_iter().collect();
                v.sort_unstable();
                (t, v)
            })
            .collect();
        needs
    }

    /// The unique values of a batch to look for among stored records, once the records the
    /// rows name are known ([`Found::records`]): per unique slot (same order as
    /// [`Planner::unique_slots`]), the fields of the slot and the values. A value the row's own
    /// record already holds cannot clash, so a file that changes nothing asks for nothing.
    pub fn unique_needs(
        &self,
        rows: &[TypedRow],
        records: &[StoredRecord],
    ) -> Vec<(Vec<usize>, Vec<Vec<Stored>>)> {
        let named = Named::new(self, records);
        let mut unique: Vec<FxHashSet<Vec<Stored>>> = vec![FxHashSet::default(); self.slots.len()];
        for r in rows.iter().filter(|r| !r.failed) {
            let existing = named.of(self, r);
            if matches!(r.action, Action::Delete | Action::Deactivate) && existing.is_some() {
                continue;
            }
            for (si, slot) in self.slots.iter().enumerate() {
                let Some(v) = slot_value(slot, &r.values, existing) else {
                    continue;
                };
                let held = existing.is_some_and(|e| {
                    let now: Vec<Stored> = slot.iter().map(|&f| e.values[f].clone()).collect();
                    self.fold_slot(slot, &now) == self.fold_slot(slot, &v)
                });
                if !held {
                    unique[si].insert(v);
                }
            }
        }
        self.slots
            .iter()
            .zip(unique)
            .map(|(slot, set)| {
                let mut v: Vec<Vec<Stored>> = set.into_iter().collect();
                v.sort_unstable();
                (slot.clone(), v)
            })
            .collect()
    }

    /// Decides the writes of a batch from what the store answered.
    pub fn plan(&self, rows: &[TypedRow], found: &Found) -> BatchPlan {
        let named = Named::new(self, &found.records);
        let mut plan = BatchPlan::default();
        for r in rows.iter().filter(|r| !r.failed) {
            let before = plan.problems.len();
            let existing = named.of(self, r);
            let op = self.plan_row(r, existing, found, &mut plan.problems);
            if plan.problems.len() == before
                && let Some(op) = op
            {
                plan.ops.push(op);
            }
        }
        plan
    }

    /// The linked records a row creates: its inline links whose cell is empty (the key comes
    /// from the target's columns) or holds a key nothing has (the key is that cell).
    fn inline_creates(&self, r: &TypedRow, problems: &mut Vec<Problem>) -> Vec<InlineCreate> {
        let mut out = Vec::new();
        for iv in &r.inline {
            let Some(&(_, target, _)) = self.inline.iter().find(|(f, _, _)| *f == iv.field) else {
                continue;
            };
            let mut values: Vec<Stored> = iv
                .values
                .iter()
                .map(|v| match v {
                    CellValue::Set(s) => s.clone(),
                    CellValue::Keep => Stored::Null,
                })
                .collect();
            let key_fields = Self::inline_key(target);
            let link_key = r
                .link_keys
                .iter()
                .find(|(f, k)| *f == iv.field && !k.is_empty())
                .map(|(_, k)| k.clone());
            let empty_cell = matches!(
                r.values.get(iv.field),
                Some(CellValue::Keep | CellValue::Set(Stored::Null))
            );
            if let Some(k) = &link_key {
                // The cell's key names the new record.
                let li = self.links.iter().position(|(fi, _)| *fi == iv.field);
                let by = li.and_then(|li| self.link_by[li].first());
                if let Some(kf) = by.and_then(|b| target.field_index(b))
                    && values[kf].is_null()
                {
                    values[kf] = Stored::Text(k.clone());
                }
            } else if !empty_cell {
                // A filled UUID only links.
                continue;
            }
            let link_label = &self.record_type.fields[iv.field].label;
            let missing: Vec<String> = target
                .fields
                .iter()
                .enumerate()
                .filter(|(i, f)| f.required && values[*i].is_null())
                .map(|(_, f)| crate::describe::inline_header(target, f))
                .collect();
            if !missing.is_empty() {
                let names: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
                let why = match &link_key {
                    Some(k) => format!("no {} has `{k}` yet", target.label),
                    None => format!("`{link_label}` is empty"),
                };
                problems.push(self.problem(
                    r.row,
                    Some(iv.field),
                    link_key.as_deref().unwrap_or_default(),
                    ProblemCode::Required,
                    format!(
                        "{why}, so this row creates a new {}, which needs {}; fill {} (or name an existing {} in `{link_label}`)",
                        target.label,
                        or_list(&names).replace(" or ", " and "),
                        if missing.len() == 1 { "it" } else { "them" },
                        target.label
                    ),
                ));
                continue;
            }
            let key: Vec<Stored> = key_fields
                .iter()
                .map(|&f| fold(target, f, &values[f]))
                .collect();
            out.push(InlineCreate {
                field: iv.field,
                target: target.name.clone(),
                key,
                values,
            });
        }
        out
    }

    /// A key as compared: e-mail addresses ignore case.
    fn key_of(&self, k: &[Stored]) -> Vec<Stored> {
        k.iter()
            .zip(&self.options.match_on)
            .map(|(v, &f)| fold(self.record_type, f, v))
            .collect()
    }

    fn problem(
        &self,
        row: RowNumber,
        field: Option<usize>,
        value: &str,
        code: ProblemCode,
        message: String,
    ) -> Problem {
        let (column, name) = match field {
            Some(f) => (
                self.columns.get(f).cloned().flatten(),
                Some(self.record_type.fields[f].name.to_string()),
            ),
            None => (self.uuid_column.clone(), Some("uuid".to_string())),
        };
        Problem {
            row,
            column,
            field: name,
            value: Problem::clip(value),
            code,
            message,
        }
    }

    fn key_column(&self) -> Option<usize> {
        self.options.match_on.last().copied()
    }

    fn describe_key(&self, r: &TypedRow) -> String {
        match (&r.uuid, &r.key) {
            (Some(u), _) => uuid_text(u),
            (None, Some(k)) => k.iter().map(shown).collect::<Vec<_>>().join(" / "),
            (None, None) => String::new(),
        }
    }

    fn plan_row(
        &self,
        r: &TypedRow,
        existing: Option<&StoredRecord>,
        found: &Found,
        problems: &mut Vec<Problem>,
    ) -> Option<Op> {
        let rt = self.record_type;
        let by_key = r.uuid.is_none() && r.key.is_some();
        let key_field = if by_key { self.key_column() } else { None };
        let shown_key = self.describe_key(r);
        let Some(existing) = existing else {
            // No stored record: the row must create one.
            match r.action {
                Action::Update | Action::Delete | Action::Deactivate => {
                    let message = if r.uuid.is_some() || by_key {
                        format!(
                            "no {} has {} `{shown_key}`; {} needs an existing record (check the value, or leave it empty to create a new record in upsert mode)",
                            rt.label,
                            self.key_words(by_key),
                            self.action_words(r.action)
                        )
                    } else {
                        format!(
                            "{} needs an existing {}: fill in its `{}`",
                            self.action_words(r.action),
                            rt.label,
                            rt.uuid_header()
                        )
                    };
                    problems.push(self.problem(
                        r.row,
                        key_field,
                        &shown_key,
                        ProblemCode::NotFound,
                        message,
                    ));
                    return None;
                }
                Action::Upsert | Action::Create => {}
            }
            if let Some(u) = r.uuid {
                problems.push(self.problem(
                    r.row,
                    None,
                    &uuid_text(&u),
                    ProblemCode::UnknownUuid,
                    format!(
                        "no {} has the UUID `{}`; a filled UUID only updates an existing record (leave it empty to create a new one)",
                        rt.label,
                        uuid_text(&u)
                    ),
                ));
                return None;
            }
            if !self.options.ignore_required {
                for &f in &r.blank_required {
                    let field = &rt.fields[f];
                    problems.push(self.problem(
                        r.row,
                        Some(f),
                        "",
                        ProblemCode::Required,
                        format!(
                            "`{}` is required for a new {}; fill it in (or import with --ignore-required to create records without it)",
                            field.label, rt.label
                        ),
                    ));
                }
            }
            let mut values: Vec<Stored> = r
                .values
                .iter()
                .map(|v| match v {
                    CellValue::Set(s) => s.clone(),
                    CellValue::Keep => Stored::Null,
                })
                .collect();
            for (f, field) in rt.fields.iter().enumerate() {
                if values[f].is_null()
                    && let Some(v) = self.derived(field, &values)
                {
                    values[f] = v;
                }
            }
            self.check_links(r, found, problems);
            self.check_unique(r, None, found, problems);
            return Some(Op::Create { row: r.row, values });
        };

        match r.action {
            Action::Create => {
                problems.push(self.problem(
                    r.row,
                    key_field,
                    &shown_key,
                    ProblemCode::AlreadyExists,
                    format!(
                        "a {} with {} `{shown_key}` already exists ({}); in create mode every row makes a new record (import in upsert mode to update it)",
                        rt.label,
                        self.key_words(by_key),
                        uuid_text(&existing.uuid)
                    ),
                ));
                return None;
            }
            Action::Delete => {
                return Some(Op::Delete {
                    row: r.row,
                    record: existing.clone(),
                });
            }
            Action::Deactivate => {
                return Some(if existing.deactivated_at.is_some() {
                    Op::Unchanged {
                        row: r.row,
                        uuid: existing.uuid,
                    }
                } else {
                    Op::Deactivate {
                        row: r.row,
                        uuid: existing.uuid,
                    }
                });
            }
            Action::Upsert | Action::Update => {}
        }

        // Update sheets: the stored value must still be what was exported.
        if !self.options.force {
            for (f, old) in &r.old {
                let now = &existing.values[*f];
                if fold(rt, *f, now) != fold(rt, *f, old) {
                    let field = &rt.fields[*f];
                    problems.push(self.problem(
                        r.row,
                        Some(*f),
                        &shown(old),
                        ProblemCode::ChangedSinceExport,
                        format!(
                            "`{}` was `{}` when exported but is now `{}`: someone changed it since; check the record and export again, or import with --force to overwrite it",
                            field.label,
                            shown(old),
                            shown(now)
                        ),
                    ));
                }
            }
        }
        // A row matched by key is known to update only now: with --clear-empty, its empty
        // required cells would clear fields that cannot be cleared.
        for &f in &r.blank_required {
            if r.values[f] == CellValue::Set(Stored::Null) {
                problems.push(self.problem(
                    r.row,
                    Some(f),
                    "",
                    ProblemCode::Required,
                    format!(
                        "an empty cell with --clear-empty clears the field, but `{}` is required and cannot be cleared",
                        rt.fields[f].label
                    ),
                ));
            }
        }
        let mut set = Vec::new();
        let mut before = Vec::new();
        // Derived values follow the links a row changes, unless the row gives the value.
        let mut derived = Vec::new();
        for (f, field) in rt.fields.iter().enumerate() {
            let sets_a_rule_link = field.derive.iter().any(|d| {
                d.link
                    .as_ref()
                    .and_then(|l| rt.field_index(l.as_str()))
                    .is_some_and(|l| matches!(r.values[l], CellValue::Set(_)))
            });
            if r.values[f] != CellValue::Keep || !sets_a_rule_link {
                continue;
            }
            let merged: Vec<Stored> = r
                .values
                .iter()
                .zip(&existing.values)
                .map(|(v, now)| match v {
                    CellValue::Set(s) => s.clone(),
                    CellValue::Keep => now.clone(),
                })
                .collect();
            if let Some(v) = self.derived(field, &merged) {
                derived.push((f, v));
            }
        }
        for (f, v) in derived {
            if existing.values[f] != v {
                set.push((f, v));
                before.push((f, existing.values[f].clone()));
            }
        }
        for (f, v) in r.values.iter().enumerate() {
            let CellValue::Set(v) = v else { continue };
            // Links set on creation only are left as they are.
            if matches!(&rt.fields[f].field_type, FieldType::Link(l) if l.fixed) {
                continue;
            }
            let now = &existing.values[f];
            if v != now {
                set.push((f, v.clone()));
                before.push((f, now.clone()));
            }
        }
        if set.is_empty() {
            return Some(Op::Unchanged {
                row: r.row,
                uuid: existing.uuid,
            });
        }
        self.check_links(r, found, problems);
        self.check_unique(r, Some(existing), found, problems);
        Some(Op::Update {
            row: r.row,
            uuid: existing.uuid,
            set,
            before,
        })
    }

    /// A select field's value derived from the links a record has (`derive` in the schema).
    fn derived(&self, field: &crate::schema::Field, values: &[Stored]) -> Option<Stored> {
        field.derive.iter().find_map(|d| {
            let applies = match &d.link {
                None => true,
                Some(l) => self
                    .record_type
                    .field_index(l.as_str())
                    .is_some_and(|i| values.get(i).is_some_and(|v| !v.is_null())),
            };
            applies.then(|| Stored::Text(d.value.clone()))
        })
    }

    fn key_words(&self, by_key: bool) -> String {
        if by_key {
            let labels: Vec<String> = self
                .options
                .match_on
                .iter()
                .map(|&f| format!("`{}`", self.record_type.fields[f].label))
                .collect();
            labels.join(" and ")
        } else {
            "the UUID".to_string()
        }
    }

    fn action_words(&self, a: Action) -> &'static str {
        match a {
            Action::Update => "update mode",
            Action::Delete => "`delete`",
            Action::Deactivate => "`deactivate`",
            Action::Create => "create mode",
            Action::Upsert => "upsert",
        }
    }

    /// The link keys of a batch to find in the store, per target type and key fields: the
    /// first step of planning a batch whose link cells name records by key.
    pub fn link_key_needs(&self, rows: &[TypedRow]) -> Vec<LinkKeys> {
        let mut out: Vec<LinkKeys> = Vec::new();
        for r in rows.iter().filter(|r| !r.failed) {
            for (f, k) in &r.link_keys {
                let Some(li) = self.links.iter().position(|(fi, _)| fi == f) else {
                    continue;
                };
                let (target, by) = (&self.links[li].1, &self.link_by[li]);
                match out.iter_mut().find(|e| &e.target == target && &e.by == by) {
                    Some(e) => e.keys.push(k.clone()),
                    None => out.push(LinkKeys {
                        target: target.clone(),
                        by: by.clone(),
                        keys: vec![k.clone()],
                    }),
                }
            }
        }
        // Inline links with an empty cell: the target found by its natural key.
        let mut inline: Vec<(&RecordType, usize, FxHashSet<&str>)> = Vec::new();
        for r in rows.iter().filter(|r| !r.failed) {
            for iv in &r.inline {
                let Some((target, kf, key)) = self.inline_lookup(r, iv) else {
                    continue;
                };
                match inline
                    .iter_mut()
                    .find(|(t, f, _)| t.name == target.name && *f == kf)
                {
                    Some((_, _, keys)) => {
                        keys.insert(key);
                    }
                    None => inline.push((target, kf, std::iter::once(key).collect())),
                }
            }
        }
        for (target, kf, keys) in inline {
            out.push(LinkKeys {
                target: target.name.clone(),
                by: vec![target.fields[kf].name.to_string()],
                keys: keys.into_iter().map(str::to_string).collect(),
            });
        }
        for e in &mut out {
            e.keys.sort_unstable();
            e.keys.dedup();
        }
        out
    }

    /// For a row's inline values whose link cell is empty: the target, and (key field, key
    /// text) to find it by.
    fn inline_lookup<'r>(
        &self,
        r: &TypedRow,
        iv: &'r InlineValues,
    ) -> Option<(&'s RecordType, usize, &'r str)> {
        let &(_, target, kf) = self.inline.iter().find(|(f, _, _)| *f == iv.field)?;
        if r.link_keys.iter().any(|(f, _)| *f == iv.field)
            || !matches!(
                r.values.get(iv.field),
                Some(CellValue::Keep | CellValue::Set(Stored::Null))
            )
        {
            return None;
        }
        let kf = kf?;
        match iv.values.get(kf) {
            Some(CellValue::Set(Stored::Text(t))) if !t.is_empty() => Some((target, kf, t)),
            _ => None,
        }
    }

    /// In create mode, a row that carries an inline link's columns (besides its key) asks
    /// for the linked record to be created: one that exists already is an error.
    fn creates_existing(&self, r: &TypedRow, field: usize) -> bool {
        if r.action != Action::Create {
            return false;
        }
        let Some(&(_, _, kf)) = self.inline.iter().find(|(f, _, _)| *f == field) else {
            return false;
        };
        r.inline.iter().filter(|iv| iv.field == field).any(|iv| {
            iv.values
                .iter()
                .enumerate()
                .any(|(i, v)| Some(i) != kf && matches!(v, CellValue::Set(v) if !v.is_null()))
        })
    }

    /// The problem of a row that would create a linked record that exists already.
    fn inline_exists(&self, row: RowNumber, f: usize, key: &str, existing: &Uuid) -> Problem {
        let target = self
            .inline
            .iter()
            .find(|(lf, _, _)| *lf == f)
            .map(|(_, t, kf)| (t.label.as_str(), kf.map(|k| t.fields[k].label.as_str())));
        let (label, key_label) = target.unwrap_or(("record", None));
        self.problem(
            row,
            Some(f),
            key,
            ProblemCode::AlreadyExists,
            format!(
                "a {label} with {} `{key}` already exists ({}); in create mode a row with the {label} columns creates the {label}: leave those columns empty to link to it, or import in upsert mode",
                key_label.unwrap_or("the key"),
                uuid_text(existing),
            ),
        )
    }

    /// The problem of a link key that names no record.
    pub fn unknown_link(&self, row: RowNumber, f: usize, key: &str) -> Problem {
        let field = &self.record_type.fields[f];
        let li = self.links.iter().position(|(fi, _)| *fi == f);
        let target = li.map_or("", |li| self.links[li].1.as_str());
        let by: Vec<String> = li
            .map(|li| self.link_by[li].iter().map(|b| format!("`{b}`")).collect())
            .unwrap_or_default();
        self.problem(
            row,
            Some(f),
            key,
            ProblemCode::UnknownLink,
            format!(
                "no `{target}` record has {} `{key}`; `{}` must name an existing record by its UUID or {}",
                or_list(&by),
                field.label,
                or_list(&by)
            ),
        )
    }

    /// For the links of the type to itself: (link field, the fields of the type a key names
    /// a record by, in order).
    pub fn self_links(&self) -> Vec<(usize, Vec<usize>)> {
        self.links
            .iter()
            .zip(&self.link_by)
            .filter(|((_, target), _)| *target == self.record_type.name)
            .map(|((f, _), by)| {
                (
                    *f,
                    by.iter()
                        .filter_map(|b| self.record_type.field_index(b))
                        .collect(),
                )
            })
            .filter(|(_, by): &(usize, Vec<usize>)| !by.is_empty())
            .collect()
    }

    /// Puts the UUIDs of the records that link keys name into the rows (and into the keys
    /// rows are matched on); a key that names no record fails its row with a problem.
    pub fn resolve_links(&self, rows: &mut [TypedRow], found: &FoundLinkKeys) -> Vec<Problem> {
        let mut problems = Vec::new();
        for r in rows
            .iter_mut()
            .filter(|r| !r.failed && (!r.link_keys.is_empty() || !r.inline.is_empty()))
        {
            // Inline links with an empty cell: link to the record the key finds; else the
            // planner creates it.
            let mut inline_found = Vec::new();
            let mut exists = Vec::new();
            for iv in &r.inline {
                if let Some((target, _, key)) = self.inline_lookup(r, iv)
                    && let Some(u) = found.get(&target.name, key)
                {
                    if self.creates_existing(r, iv.field) {
                        exists.push((iv.field, key.to_string(), u));
                    } else {
                        inline_found.push((iv.field, u));
                    }
                }
            }
            for (f, key, u) in exists {
                problems.push(self.inline_exists(r.row, f, &key, &u));
                r.failed = true;
            }
            if r.failed {
                continue;
            }
            for (f, u) in inline_found {
                r.values[f] = CellValue::Set(Stored::Text(uuid_text(&u)));
                r.inline.retain(|iv| iv.field != f);
                r.link_keys.push((f, String::new()));
            }
            let mut resolved = Vec::new();
            let mut pending = Vec::new();
            for (f, key) in &r.link_keys {
                let Some(li) = self.links.iter().position(|(fi, _)| fi == f) else {
                    continue;
                };
                if key.is_empty() {
                    continue;
                }
                let target = &self.links[li].1;
                match found.get(target, key) {
                    Some(u) if self.creates_existing(r, *f) => {
                        problems.push(self.inline_exists(r.row, *f, key, &u));
                        r.failed = true;
                    }
                    Some(u) => {
                        r.values[*f] = CellValue::Set(Stored::Text(uuid_text(&u)));
                        resolved.push(*f);
                    }
                    // A key nothing has, on a row that carries the target's columns: the
                    // target is created with that key.
                    None if r.inline.iter().any(|iv| iv.field == *f) => {}
                    // A key of the row's own type: an earlier row of the file may create it.
                    None if *target == self.record_type.name => {
                        r.values[*f] = CellValue::Set(Stored::Text(String::new()));
                        pending.push((*f, key.clone()));
                    }
                    None => {
                        problems.push(self.unknown_link(r.row, *f, key));
                        r.failed = true;
                    }
                }
            }
            r.pending_links.extend(pending);
            r.inline.retain(|iv| !resolved.contains(&iv.field));
            if !r.failed && !r.inline.is_empty() {
                let before = problems.len();
                let creates = self.inline_creates(r, &mut problems);
                if problems.len() > before {
                    r.failed = true;
                } else {
                    for c in &creates {
                        r.values[c.field] = CellValue::Set(Stored::Text(String::new()));
                    }
                    r.creates = creates;
                }
            }
            if r.uuid.is_none() && !self.options.match_on.is_empty() {
                r.key = self
                    .options
                    .match_on
                    .iter()
                    .map(|&f| match &r.values[f] {
                        CellValue::Set(v) if !v.is_null() => Some(v.clone()),
                        _ => None,
                    })
                    .collect();
            }
        }
        problems
    }

    fn check_links(&self, r: &TypedRow, found: &Found, problems: &mut Vec<Problem>) {
        for (fi, target) in &self.links {
            let CellValue::Set(Stored::Text(t)) = &r.values[*fi] else {
                continue;
            };
            // Found by key: known to exist.
            if r.link_keys.iter().any(|(f, _)| f == fi) {
                continue;
            }
            let Ok(u) = Uuid::try_parse(t) else { continue };
            if !found.links.get(target).is_some_and(|s| s.contains(&u)) {
                let field = &self.record_type.fields[*fi];
                problems.push(self.problem(
                    r.row,
                    Some(*fi),
                    t,
                    ProblemCode::UnknownLink,
                    format!(
                        "no `{target}` record has the UUID `{t}`; `{}` must name an existing record (copy its UUID from an export of `{target}`)",
                        field.label
                    ),
                ));
            }
        }
    }

    fn check_unique(
        &self,
        r: &TypedRow,
        existing: Option<&StoredRecord>,
        found: &Found,
        problems: &mut Vec<Problem>,
    ) {
        for (si, slot) in self.slots.iter().enumerate() {
            let Some(value) = slot_value(slot, &r.values, existing) else {
                continue;
            };
            let Some(holder) = found
                .unique
                .get(si)
                .and_then(|m| m.get(&self.fold_slot(slot, &value)))
            else {
                continue;
            };
            if existing.is_some_and(|e| e.uuid == *holder) {
                continue;
            }
            let Some(&last) = slot.last() else { continue };
            let labels: Vec<String> = slot
                .iter()
                .map(|&f| format!("`{}`", self.record_type.fields[f].label))
                .collect();
            let shown_value = value.iter().map(shown).collect::<Vec<_>>().join(" / ");
            problems.push(self.problem(
                r.row,
                Some(last),
                &shown_value,
                ProblemCode::DuplicateInStore,
                format!(
                    "`{shown_value}` is already used by another {} ({}); {} must be unique",
                    self.record_type.label,
                    uuid_text(holder),
                    labels.join(" and ")
                ),
            ));
        }
    }

    /// A slot's value as compared (e-mail addresses ignore case).
    pub fn fold_slot(&self, slot: &[usize], value: &[Stored]) -> Vec<Stored> {
        slot.iter()
            .zip(value)
            .map(|(&f, v)| fold(self.record_type, f, v))
            .collect()
    }
}

/// Stored records by UUID and by the natural key rows are matched on.
struct Named<'a> {
    by_uuid: FxHashMap<Uuid, &'a StoredRecord>,
    by_key: FxHashMap<Vec<Stored>, &'a StoredRecord>,
}

impl<'a> Named<'a> {
    fn new(planner: &Planner<'_>, records: &'a [StoredRecord]) -> Self {
        let match_on = &planner.options.match_on;
        Named {
            by_uuid: records.iter().map(|r| (r.uuid, r)).collect(),
            by_key: if match_on.is_empty() {
                FxHashMap::default()
            } else {
                records
                    .iter()
                    .map(|r| {
                        let k: Vec<Stored> =
                            match_on.iter().map(|&f| r.values[f].clone()).collect();
                        (planner.key_of(&k), r)
                    })
                    .collect()
            },
        }
    }

    /// The stored record a row names, by UUID or by key.
    fn of(&self, planner: &Planner<'_>, r: &TypedRow) -> Option<&'a StoredRecord> {
        match (&r.uuid, &r.key) {
            (Some(u), _) => self.by_uuid.get(u).copied(),
            (None, Some(k)) => self.by_key.get(&planner.key_of(k)).copied(),
            (None, None) => None,
        }
    }
}

/// A slot's values once a row is written, when all of them are set and not empty: the
/// row's cells, and for the fields it keeps, its record's stored values (a row that changes
/// only the code of a code-unique-within-account pair still makes a pair).
fn slot_value(
    slot: &[usize],
    values: &[CellValue],
    existing: Option<&StoredRecord>,
) -> Option<Vec<Stored>> {
    slot.iter()
        .map(|&f| {
            let v = match values.get(f) {
                Some(CellValue::Set(v)) => v,
                _ => existing?.values.get(f)?,
            };
            (!v.is_null()).then(|| v.clone())
        })
        .collect()
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A value as compared for keys and uniqueness: e-mail addresses ignore case.
pub fn fold(rt: &RecordType, field: usize, v: &Stored) -> Stored {
    match (v, rt.fields.get(field).map(|f| &f.field_type)) {
        (Stored::Text(s), Some(FieldType::Email)) => Stored::Text(s.to_lowercase()),
        _ => v.clone(),
    }
}

/// A stored value for messages.
pub fn shown(v: &Stored) -> String {
    match v {
        Stored::Null => String::new(),
        Stored::Integer(i) => i.to_string(),
        Stored::Text(s) => s.clone(),
    }
}

#[cfg(test)]
mod tests;
