//! Shared fields: a link declared with `shares = [...]` makes a record and the record it
//! links to hold equal values of those fields (a docking station and its laptop stand in
//! one room). Only directly linked records share: a record's own link and the records
//! that link to it.
//!
//! After an import has written its rows, the engine hands over what each row wrote
//! ([`SharedWrite`]) and the stored records around them; [`Sharing::reconcile`] says which
//! rows contradict each other (two linked records set to different values; two records
//! linked to one record asking it for different values) and which linked records must be
//! updated so that the fields stay equal. Pure: no store, no I/O.

use rustc_hash::{FxHashMap, FxHashSet};
use uuid::Uuid;

use crate::RowNumber;
use crate::plan::{CellValue, Op, StoredRecord};
use crate::report::{Column, Problem, ProblemCode};
use crate::schema::{FieldType, RecordType};
use crate::stored::{Stored, uuid_text};

/// The shared fields of one link of a record type.
#[derive(Debug, Clone)]
pub struct Sharing<'s> {
    record_type: &'s RecordType,
    /// The link field.
    link: usize,
    /// The fields it shares.
    fields: Vec<usize>,
    /// The file column of each field, for problems.
    columns: Vec<Option<Column>>,
}

/// What one row of an import wrote to a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedWrite {
    /// The record.
    pub uuid: Uuid,
    /// The row that wrote it.
    pub row: RowNumber,
    /// The row created the record.
    pub created: bool,
    /// The link after the row: `Some(target)` when the row sets the link (`Some(None)`
    /// clears it, or a new record has none); `None` when the stored link stays.
    pub link: Option<Option<Uuid>>,
    /// The shared fields the row sets, with their values (`Stored::Null` clears).
    pub set: Vec<(usize, Stored)>,
}

/// What [`Sharing::reconcile`] decided.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// One per row that contradicts another.
    pub problems: Vec<Problem>,
    /// The rows that failed, with the record each wrote: nothing of them is kept.
    pub failed: Vec<(RowNumber, Uuid)>,
    /// Updates of linked records ([`Op::Update`], with the row that caused each).
    pub updates: Vec<Op>,
}

/// The record's state after the import, as far as sharing is concerned.
struct After<'a> {
    writes: &'a FxHashMap<Uuid, &'a SharedWrite>,
    stored: &'a FxHashMap<Uuid, StoredRecord>,
    link: usize,
}

impl After<'_> {
    fn link(&self, u: &Uuid) -> Option<Uuid> {
        if let Some(w) = self.writes.get(u) {
            if let Some(l) = w.link {
                return l;
            }
            if w.created {
                return None;
            }
        }
        self.stored
            .get(u)
            .and_then(|r| r.values.get(self.link))
            .and_then(Stored::as_text)
            .and_then(|t| Uuid::try_parse(t).ok())
    }

    /// The value the row set explicitly, if it did.
    fn explicit(&self, u: &Uuid, field: usize) -> Option<(&Stored, RowNumber)> {
        let w = self.writes.get(u)?;
        w.set
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| (v, w.row))
    }

    /// The value after the rows (before propagation).
    fn value(&self, u: &Uuid, field: usize) -> Stored {
        if let Some((v, _)) = self.explicit(u, field) {
            return v.clone();
        }
        if self.writes.get(u).is_some_and(|w| w.created) {
            return Stored::Null;
        }
        self.stored
            .get(u)
            .and_then(|r| r.values.get(field))
            .cloned()
            .unwrap_or(Stored::Null)
    }

    fn exists(&self, u: &Uuid) -> bool {
        self.writes.contains_key(u) || self.stored.contains_key(u)
    }
}

impl<'s> Sharing<'s> {
    /// The sharing of each link of the type that shares fields.
    pub fn of(record_type: &'s RecordType, columns: &[Option<Column>]) -> Vec<Sharing<'s>> {
        record_type
            .fields
            .iter()
            .enumerate()
            .filter_map(|(i, f)| match &f.field_type {
                FieldType::Link(l) if !l.shares.is_empty() => Some(Sharing {
                    record_type,
                    link: i,
                    fields: l
                        .shares
                        .iter()
                        .filter_map(|s| record_type.field_index(s.as_str()))
                        .collect(),
                    columns: columns.to_vec(),
                }),
                _ => None,
            })
            .collect()
    }

    /// The link field.
    pub fn link(&self) -> usize {
        self.link
    }

    /// The shared fields.
    pub fn fields(&self) -> &[usize] {
        &self.fields
    }

    /// What a row of the import wrote, as far as this sharing is concerned: `None` when the
    /// row neither sets a shared field nor the link.
    pub fn write_of(&self, op: &Op, values: &[CellValue], uuid: Uuid) -> Option<SharedWrite> {
        let (row, created, link) = match op {
            Op::Create { row, values } => (*row, true, Some(link_value(values.get(self.link)))),
            Op::Update { row, set, .. } => (
                *row,
                false,
                set.iter()
                    .find(|(f, _)| *f == self.link)
                    .map(|(_, v)| link_value(Some(v))),
            ),
            Op::Unchanged { row, .. } => (*row, false, None),
            Op::Delete { .. } | Op::Deactivate { .. } => return None,
        };
        let set: Vec<(usize, Stored)> = self
            .fields
            .iter()
            .filter_map(|&f| match values.get(f) {
                // An empty cell of a new record sets nothing: the record takes the value of
                // the record it links to.
                Some(CellValue::Set(v)) if !(created && v.is_null()) => Some((f, v.clone())),
                _ => None,
            })
            .collect();
        if set.is_empty() && link.is_none() && !created {
            return None;
        }
        Some(SharedWrite {
            uuid,
            row,
            created,
            link,
            set,
        })
    }

    /// The stored records to read before reconciling, in two rounds: first the records the
    /// rows updated and those that link to them (`linking`: look them up by the link field),
    /// then the records they link to ([`Sharing::targets`]).
    pub fn updated(writes: &[SharedWrite]) -> Vec<Uuid> {
        writes
            .iter()
            .filter(|w| !w.created)
            .map(|w| w.uuid)
            .collect()
    }

    /// The records the written records link to after the import, not yet in `stored`.
    pub fn targets(
        &self,
        writes: &[SharedWrite],
        stored: &FxHashMap<Uuid, StoredRecord>,
    ) -> Vec<Uuid> {
        let by_uuid: FxHashMap<Uuid, &SharedWrite> = writes.iter().map(|w| (w.uuid, w)).collect();
        let after = After {
            writes: &by_uuid,
            stored,
            link: self.link,
        };
        let mut out: Vec<Uuid> = writes
            .iter()
            .filter_map(|w| after.link(&w.uuid))
            .filter(|t| !after.exists(t))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Decides conflicts and updates. `stored` holds the stored records of
    /// [`Sharing::updated`], of those linking to any written record, and of
    /// [`Sharing::targets`].
    pub fn reconcile(
        &self,
        writes: &[SharedWrite],
        stored: &FxHashMap<Uuid, StoredRecord>,
    ) -> Reconciled {
        let mut out = Reconciled::default();
        let by_uuid: FxHashMap<Uuid, &SharedWrite> = writes.iter().map(|w| (w.uuid, w)).collect();
        let mut failed: FxHashSet<Uuid> = FxHashSet::default();
        // First round: rows that contradict each other.
        {
            let after = After {
                writes: &by_uuid,
                stored,
                link: self.link,
            };
            let graph = self.graph(&after, writes.iter());
            for &f in &self.fields {
                self.conflicts(&after, &graph, f, &mut failed, &mut out.problems);
            }
        }
        let mut failed_rows: Vec<(RowNumber, Uuid)> = writes
            .iter()
            .filter(|w| failed.contains(&w.uuid))
            .map(|w| (w.row, w.uuid))
            .collect();
        failed_rows.sort_unstable();
        out.failed = failed_rows;
        // Second round, without the failed rows: what the linked records must take.
        let kept: FxHashMap<Uuid, &SharedWrite> = by_uuid
            .iter()
            .filter(|(u, _)| !failed.contains(u))
            .map(|(u, w)| (*u, *w))
            .collect();
        let after = After {
            writes: &kept,
            stored,
            link: self.link,
        };
        let kept_writes: Vec<&SharedWrite> = writes
            .iter()
            .filter(|w| !failed.contains(&w.uuid))
            .collect();
        let graph = self.graph(&after, kept_writes.iter().copied());
        // (record) -> (row that caused it, (field, new value, value before)).
        let mut updates: FxHashMap<Uuid, Pending> = FxHashMap::default();
        for &f in &self.fields {
            // Values the explicit rows push onto their neighbours.
            let mut demand: FxHashMap<Uuid, Option<(Stored, RowNumber)>> = FxHashMap::default();
            for w in &kept_writes {
                let Some((v, row)) = after.explicit(&w.uuid, f) else {
                    continue;
                };
                for n in graph.get(&w.uuid).into_iter().flatten() {
                    if after.explicit(n, f).is_some() {
                        continue;
                    }
                    match demand.get(n) {
                        None => {
                            demand.insert(*n, Some((v.clone(), row)));
                        }
                        Some(Some((d, _))) if d != v => {
                            demand.insert(*n, None);
                        }
                        Some(_) => {}
                    }
                }
            }
            for (n, d) in &demand {
                let Some((v, row)) = d else { continue };
                let now = after.value(n, f);
                if &now != v {
                    let e = updates.entry(*n).or_insert_with(|| (*row, Vec::new()));
                    e.0 = e.0.min(*row);
                    e.1.push((f, v.clone(), now));
                }
            }
            // A record the row creates or links anew, and whose row does not set the field,
            // takes the value of the record it links to.
            for w in &kept_writes {
                let linked_anew = w.created || w.link.is_some_and(|l| l.is_some());
                if !linked_anew
                    || after.explicit(&w.uuid, f).is_some()
                    || demand.contains_key(&w.uuid)
                {
                    continue;
                }
                let Some(target) = after.link(&w.uuid) else {
                    continue;
                };
                let value = match demand.get(&target) {
                    Some(Some((v, _))) => v.clone(),
                    Some(None) => continue,
                    None => after.value(&target, f),
                };
                let before = after.value(&w.uuid, f);
                if !value.is_null() && value != before {
                    let e = updates.entry(w.uuid).or_insert_with(|| (w.row, Vec::new()));
                    e.1.push((f, value, before));
                }
            }
        }
        let mut updates: Vec<(Uuid, Pending)> = updates.into_iter().collect();
        updates.sort_unstable_by_key(|(u, (row, _))| (*row, *u));
        out.updates = updates
            .into_iter()
            .map(|(uuid, (row, mut changes))| {
                changes.sort_unstable_by_key(|c| c.0);
                Op::Update {
                    row,
                    uuid,
                    set: changes.iter().map(|(f, v, _)| (*f, v.clone())).collect(),
                    before: changes.into_iter().map(|(f, _, b)| (f, b)).collect(),
                }
            })
            .collect();
        out
    }

    /// Direct links around the written records, both ways, after the import.
    fn graph<'w>(
        &self,
        after: &After<'_>,
        writes: impl Iterator<Item = &'w SharedWrite>,
    ) -> FxHashMap<Uuid, Vec<Uuid>> {
        let mut edges: Vec<(Uuid, Uuid)> = Vec::new();
        for w in writes {
            if let Some(t) = after.link(&w.uuid)
                && t != w.uuid
            {
                edges.push((w.uuid, t));
            }
        }
        // Stored records that link to a written record and were not written themselves.
        for (u, r) in after.stored {
            if after.writes.contains_key(u) {
                continue;
            }
            if let Some(t) = r
                .values
                .get(self.link)
                .and_then(Stored::as_text)
                .and_then(|t| Uuid::try_parse(t).ok())
                && t != *u
                && after.writes.contains_key(&t)
            {
                edges.push((*u, t));
            }
        }
        let mut graph: FxHashMap<Uuid, Vec<Uuid>> = FxHashMap::default();
        for (a, b) in edges {
            graph.entry(a).or_default().push(b);
            graph.entry(b).or_default().push(a);
        }
        for v in graph.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        graph
    }

    /// Rows that set field `f` of directly linked records differently, and rows whose
    /// records link to one record and would set it differently.
    fn conflicts(
        &self,
        after: &After<'_>,
        graph: &FxHashMap<Uuid, Vec<Uuid>>,
        f: usize,
        failed: &mut FxHashSet<Uuid>,
        problems: &mut Vec<Problem>,
    ) {
        let mut nodes: Vec<&Uuid> = graph.keys().collect();
        nodes.sort_unstable();
        let mut reported: FxHashSet<(RowNumber, RowNumber)> = FxHashSet::default();
        for n in nodes {
            let neighbours = &graph[n];
            let mine = after.explicit(n, f);
            // Explicit values around `n`, its own first.
            let mut around: Vec<(&Stored, RowNumber, Uuid)> = Vec::new();
            for m in neighbours {
                if let Some((v, row)) = after.explicit(m, f) {
                    around.push((v, row, *m));
                }
            }
            around.sort_unstable_by_key(|a| a.1);
            if let Some((v, row)) = mine {
                for (w, other, m) in &around {
                    if *w != v && reported.insert(ordered(row, *other)) {
                        self.report(f, (row, v, *n), (*other, w, *m), None, problems);
                        failed.insert(*n);
                        failed.insert(*m);
                    }
                }
            } else if let Some((first, rest)) = around.split_first() {
                for (w, other, m) in rest {
                    if *w != first.0 && reported.insert(ordered(first.1, *other)) {
                        self.report(
                            f,
                            (first.1, first.0, first.2),
                            (*other, w, *m),
                            Some(n),
                            problems,
                        );
                        failed.insert(first.2);
                        failed.insert(*m);
                    }
                }
            }
        }
    }

    fn report(
        &self,
        f: usize,
        a: (RowNumber, &Stored, Uuid),
        b: (RowNumber, &Stored, Uuid),
        via: Option<&Uuid>,
        problems: &mut Vec<Problem>,
    ) {
        let field = &self.record_type.fields[f];
        let label = &field.label;
        let kind = self.record_type.label.to_lowercase();
        let link = &self.record_type.fields[self.link].label;
        let shown = |v: &Stored| match v {
            Stored::Null => "(empty)".to_string(),
            Stored::Integer(i) => i.to_string(),
            Stored::Text(t) => t.clone(),
        };
        let how = match via {
            None => format!("on two {kind}s linked by `{link}`"),
            Some(u) => format!("on two {kind}s linked to the {kind} `{}`", uuid_text(u)),
        };
        let message = format!(
            "rows {} and {} set `{label}` to `{}` and `{}` {how}; linked {kind}s share `{label}`, so give both rows the same value",
            a.0.min(b.0),
            a.0.max(b.0),
            shown(if a.0 <= b.0 { a.1 } else { b.1 }),
            shown(if a.0 <= b.0 { b.1 } else { a.1 }),
        );
        for (row, v, _) in [a, b] {
            problems.push(Problem {
                row,
                column: self.columns.get(f).cloned().flatten(),
                field: Some(field.name.to_string()),
                value: Problem::clip(&shown(v)),
                code: ProblemCode::SharedFieldConflict,
                message: message.clone(),
            });
        }
    }
}

/// An update of a linked record being gathered: the first row that causes it, and
/// (field, new value, value before) per field.
type Pending = (RowNumber, Vec<(usize, Stored, Stored)>);

fn ordered(a: RowNumber, b: RowNumber) -> (RowNumber, RowNumber) {
    (a.min(b), a.max(b))
}

fn link_value(v: Option<&Stored>) -> Option<Uuid> {
    v.and_then(Stored::as_text)
        .and_then(|t| Uuid::try_parse(t).ok())
}

#[cfg(test)]
mod tests;
