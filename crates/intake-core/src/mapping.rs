//! Mapping: which file column feeds which field.
//!
//! Headers are matched in rounds, each only among fields not yet taken: the exact label, then
//! the normalised label or name (case, spaces, `_` and `-` ignored), then the field's aliases,
//! then a fuzzy match restricted to one clearly best candidate. A user's mapping file wins over
//! all of them. A template's own headers always match in the first round.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::RowNumber;
use crate::report::{Column, Problem, ProblemCode, Warning, display_header};
use crate::schema::{FieldType, RecordType, Schema};

/// Normalises a header for matching: lower case, words separated by one space, punctuation
/// other than letters and digits treated as a separator.
pub fn normalise(h: &str) -> String {
    let mut out = String::with_capacity(h.len());
    let mut pending_space = false;
    for c in h.chars() {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// The column a response file adds: why the row failed. Ignored when the file comes back.
pub const RESPONSE_ERRORS_HEADER: &str = "Import errors";

/// What a file column feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "field")]
pub enum Target {
    /// The record's own UUID (empty = create, filled = update).
    RecordUuid,
    /// The field at this index of the record type.
    Field(usize),
    /// The `[old] Label` column of an update sheet: the value of field `usize` at export time.
    Old(usize),
    /// The action column: `create`, `update`, `upsert`, `delete` or `deactivate` per row.
    Action,
    /// Nothing: the column is not imported.
    Ignored,
}

/// How a column was matched.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The header is the field's label.
    Exact,
    /// The header equals the label or name once case, spaces and punctuation are ignored.
    Normalised,
    /// The header is one of the field's aliases.
    Alias,
    /// The header resembles the label (score 0 to 1).
    Fuzzy(f64),
    /// The user's mapping file said so.
    Manual,
    /// No field matched.
    Unmatched,
}

impl MatchKind {
    /// Confidence from 0 to 1.
    pub fn confidence(self) -> f64 {
        match self {
            MatchKind::Exact | MatchKind::Manual => 1.0,
            MatchKind::Normalised => 0.95,
            MatchKind::Alias => 0.9,
            MatchKind::Fuzzy(s) => s * 0.8,
            MatchKind::Unmatched => 0.0,
        }
    }
}

/// One file column and what it feeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnMapping {
    /// The column in the file.
    pub column: Column,
    /// What it feeds.
    pub target: Target,
    /// How it was matched.
    pub how: MatchKind,
}

/// The mapping of every column of a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mapping {
    /// One entry per file column, in file order.
    pub columns: Vec<ColumnMapping>,
}

impl Mapping {
    /// The column feeding the record's UUID.
    pub fn uuid_column(&self) -> Option<usize> {
        self.columns
            .iter()
            .find(|c| c.target == Target::RecordUuid)
            .map(|c| c.column.index)
    }

    /// The action column, if any.
    pub fn action_column(&self) -> Option<usize> {
        self.columns
            .iter()
            .find(|c| c.target == Target::Action)
            .map(|c| c.column.index)
    }

    /// The column feeding field `i`, if any.
    pub fn column_of(&self, field: usize) -> Option<&ColumnMapping> {
        self.columns
            .iter()
            .find(|c| c.target == Target::Field(field))
    }
}

/// A mapping given by the user: which field each column feeds, and what some values of
/// lookup columns mean.
///
/// Serialised (JSON) as `{"columns": {"Header": "field" | null}, "values": {"Header":
/// {"Value": "option" | {"create": true}}}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualMapping {
    /// Header -> field (by name or label), or `None` to ignore the column.
    #[serde(default)]
    pub columns: BTreeMap<String, Option<String>>,
    /// Header as written -> value as written -> what the value means. Only for columns
    /// feeding a select or multiselect field.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, ValueChoice>>,
}

/// What one value of a lookup column means (a value mapping).
///
/// Written `"gold"` (an option's code or label) or `{ create = true }` in a mapping file, and
/// likewise `"gold"` or `{"create": true}` in JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueChoice {
    /// The option with this code or label.
    Option(String),
    /// The value becomes a new option of the list, as with `--create-missing-options`.
    Create,
}

impl Serialize for ValueChoice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            ValueChoice::Option(o) => s.serialize_str(o),
            ValueChoice::Create => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("create", &true)?;
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for ValueChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ValueChoice;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an option's code or label, or `{ create = true }`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ValueChoice, E> {
                let v = v.trim();
                if v.is_empty() {
                    return Err(E::custom(
                        "an empty option; write an option's code or label, or `{ create = true }`",
                    ));
                }
                Ok(ValueChoice::Option(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ValueChoice, A::Error> {
                let mut create = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "create" {
                        return Err(serde::de::Error::custom(format!(
                            "unknown key `{key}`; write an option's code or label, or `{{ create = true }}`"
                        )));
                    }
                    create = Some(map.next_value::<bool>()?);
                }
                match create {
                    Some(true) => Ok(ValueChoice::Create),
                    _ => Err(serde::de::Error::custom(
                        "expected `{ create = true }`; to map the value to an option, write the option's code or label",
                    )),
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A mapping file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManualMappingError {
    /// The file is not the expected TOML.
    #[error("the mapping file is not valid: {0}")]
    Syntax(String),
    /// A header is mapped to a field the record type does not have.
    #[error(
        "the mapping file maps `{header}` to `{field}`, which is not a field of `{record_type}`; fields are: {fields}"
    )]
    UnknownField {
        /// Header as written in the mapping file.
        header: String,
        /// The unknown field.
        field: String,
        /// The record type.
        record_type: String,
        /// The fields it has.
        fields: String,
    },
    /// Values are mapped for a column of the file that feeds no field.
    #[error(
        "the mapping file maps values of `{header}`, but that column is not imported into a field of `{record_type}`; map the column under [columns] first"
    )]
    ValuesOfUnmappedColumn {
        /// Header as written.
        header: String,
        /// The record type.
        record_type: String,
    },
    /// Values are mapped for a column whose field has no list of options.
    #[error(
        "the mapping file maps values of `{header}`, but it feeds `{field}` ({field_type}), which has no options; value mappings are for select and multiselect fields"
    )]
    ValuesOfNonLookup {
        /// Header as written.
        header: String,
        /// The field the column feeds.
        field: String,
        /// Its type.
        field_type: String,
    },
    /// A value is mapped to something that is not an option of the field's list.
    #[error(
        "the mapping file maps `{value}` of `{header}` to `{target}`, which is not an option of `{field}`; expected one of {options}, or `{{ create = true }}`"
    )]
    UnknownOption {
        /// Header as written.
        header: String,
        /// The value as written.
        value: String,
        /// The option asked for.
        target: String,
        /// The field.
        field: String,
        /// The options it has (a preview).
        options: String,
    },
    /// A value is to be created in a list that never grows.
    #[error(
        "the mapping file asks to create `{value}` of `{header}`, but the options of `{field}` are a closed list; map it to one of {options}"
    )]
    CreateInClosedList {
        /// Header as written.
        header: String,
        /// The value as written.
        value: String,
        /// The field.
        field: String,
        /// The options it has (a preview).
        options: String,
    },
}

impl ManualMapping {
    /// Reads a mapping file: a `[columns]` table of `"Header" = "field"` (`""` ignores a
    /// column) and `[values."Header"]` tables of `"Value" = "option"` or
    /// `"Value" = { create = true }`.
    pub fn from_toml(source: &str) -> Result<Self, ManualMappingError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            columns: BTreeMap<String, String>,
            #[serde(default)]
            values: BTreeMap<String, BTreeMap<String, ValueChoice>>,
        }
        let f: File = toml::from_str(source).map_err(|e| {
            let line = e
                .span()
                .and_then(|s| source.get(..s.start))
                .map(|before| before.matches('\n').count() + 1);
            ManualMappingError::Syntax(match line {
                Some(line) => format!("line {line}: {}", e.message()),
                None => e.message().to_string(),
            })
        })?;
        Ok(Self {
            columns: f
                .columns
                .into_iter()
                .map(|(h, f)| {
                    let f = f.trim().to_string();
                    (
                        h,
                        if f.is_empty() || f == "-" {
                            None
                        } else {
                            Some(f)
                        },
                    )
                })
                .collect(),
            values: f.values,
        })
    }

    /// Checks that every named field exists and, for the columns of this file (`mapping`),
    /// that value mappings name options of select and multiselect fields. Value mappings of
    /// headers the file does not have are ignored, as are column mappings.
    pub fn check(
        &self,
        schema: &Schema,
        rt: &RecordType,
        mapping: &Mapping,
    ) -> Result<(), ManualMappingError> {
        for (header, field) in &self.columns {
            if let Some(f) = field
                && resolve_manual(rt, f).is_none()
            {
                return Err(ManualMappingError::UnknownField {
                    header: header.clone(),
                    field: f.clone(),
                    record_type: rt.name.clone(),
                    fields: rt
                        .fields
                        .iter()
                        .map(|f| f.name.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        for (header, values) in &self.values {
            let Some(column) = value_column(mapping, header) else {
                continue;
            };
            let Target::Field(fi) = column.target else {
                return Err(ManualMappingError::ValuesOfUnmappedColumn {
                    header: header.clone(),
                    record_type: rt.name.clone(),
                });
            };
            let field = &rt.fields[fi];
            let list = match &field.field_type {
                FieldType::Select { list } | FieldType::MultiSelect { list, .. } => {
                    schema.list(list)
                }
                other => {
                    return Err(ManualMappingError::ValuesOfNonLookup {
                        header: header.clone(),
                        field: field.label.clone(),
                        field_type: other.name().to_string(),
                    });
                }
            };
            // A list the schema lacks is reported by the schema; nothing to check against.
            let Some(list) = list else { continue };
            for (value, choice) in values {
                match choice {
                    ValueChoice::Option(target) if list.find(target.trim()).is_none() => {
                        return Err(ManualMappingError::UnknownOption {
                            header: header.clone(),
                            value: value.clone(),
                            target: target.clone(),
                            field: field.label.clone(),
                            options: crate::cell::list_preview(list),
                        });
                    }
                    ValueChoice::Create if list.closed => {
                        return Err(ManualMappingError::CreateInClosedList {
                            header: header.clone(),
                            value: value.clone(),
                            field: field.label.clone(),
                            options: crate::cell::list_preview(list),
                        });
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

/// The file column a value mapping's header names: as written, else trimmed (as for
/// column mappings).
fn value_column<'m>(mapping: &'m Mapping, header: &str) -> Option<&'m ColumnMapping> {
    mapping
        .columns
        .iter()
        .find(|c| c.column.header == header)
        .or_else(|| {
            mapping
                .columns
                .iter()
                .find(|c| c.column.header.trim() == header.trim())
        })
}

/// The value mappings of one file column, if the mapping has any for its header.
pub fn values_of<'v>(
    values: &'v BTreeMap<String, BTreeMap<String, ValueChoice>>,
    header: &str,
) -> Option<&'v BTreeMap<String, ValueChoice>> {
    values.get(header).or_else(|| {
        values
            .iter()
            .find(|(h, _)| h.trim() == header.trim())
            .map(|(_, v)| v)
    })
}

fn resolve_manual(rt: &RecordType, name: &str) -> Option<Target> {
    if name == "uuid" || normalise(name) == normalise(&rt.uuid_header()) {
        return Some(Target::RecordUuid);
    }
    rt.fields
        .iter()
        .position(|f| {
            f.name.as_str() == name || f.label == name || normalise(&f.label) == normalise(name)
        })
        .map(Target::Field)
}

/// The rest of a header after a tag such as `[old]`, matched ignoring case.
fn strip_tag<'h>(h: &'h str, tag: &str) -> Option<&'h str> {
    let head = h.get(..tag.len())?;
    head.eq_ignore_ascii_case(tag)
        .then(|| h.get(tag.len()..).unwrap_or_default().trim())
}

/// The mapping with what the user must know about it.
#[derive(Debug, Clone)]
pub struct MappingOutcome {
    /// The mapping.
    pub mapping: Mapping,
    /// Problems that stop an import (duplicate columns feeding one field, missing required columns).
    pub problems: Vec<Problem>,
    /// Warnings (unmapped columns, fuzzy matches).
    pub warnings: Vec<Warning>,
}

/// Options of automatic mapping.
#[derive(Debug, Clone, Default)]
pub struct MapOptions {
    /// Required fields are checked (new records can be created).
    pub require_required: bool,
}

/// Matches the headers of a file to the fields of a record type.
pub fn auto_map(
    rt: &RecordType,
    headers: &[String],
    manual: &ManualMapping,
    options: &MapOptions,
) -> MappingOutcome {
    let n = headers.len();
    let mut targets: Vec<Option<(Target, MatchKind)>> = vec![None; n];
    let mut taken = vec![false; rt.fields.len()];
    let mut uuid_taken = false;
    let mut problems = Vec::new();
    let mut warnings = Vec::new();

    // Update sheets: `[new] Label` feeds the field, `[old] Label` holds its exported value.
    let mut targets_old: Vec<Option<usize>> = vec![None; n];
    let stripped: Vec<String> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let t = h.trim();
            if let Some(rest) = strip_tag(t, "[new]") {
                return rest.to_string();
            }
            if let Some(rest) = strip_tag(t, "[old]") {
                targets_old[i] = resolve_manual(rt, rest).and_then(|t| match t {
                    Target::Field(f) => Some(f),
                    _ => None,
                });
            }
            h.clone()
        })
        .collect();
    let headers_as_written = headers;
    let headers = &stripped;
    for (i, old) in targets_old.iter().enumerate() {
        if let Some(f) = old {
            targets[i] = Some((Target::Old(*f), MatchKind::Exact));
        }
    }
    for (i, h) in headers.iter().enumerate() {
        if h.trim() == RESPONSE_ERRORS_HEADER && !manual.columns.contains_key(h) {
            targets[i] = Some((Target::Ignored, MatchKind::Exact));
        }
    }
    let action_taken = rt
        .fields
        .iter()
        .any(|f| normalise(&f.label) == "action" || f.name.as_str() == "action");
    if !action_taken
        && let Some(i) = headers
            .iter()
            .position(|h| normalise(h) == "action" && !manual.columns.contains_key(h))
    {
        targets[i] = Some((Target::Action, MatchKind::Exact));
    }

    let take = |t: Target, taken: &mut Vec<bool>, uuid_taken: &mut bool| -> bool {
        match t {
            Target::RecordUuid if !*uuid_taken => {
                *uuid_taken = true;
                true
            }
            Target::Field(i) if !taken[i] => {
                taken[i] = true;
                true
            }
            Target::Ignored => true,
            _ => false,
        }
    };

    // Round 0: the user's mapping.
    for (i, h) in headers.iter().enumerate() {
        if let Some(entry) = manual
            .columns
            .get(h)
            .or_else(|| manual.columns.get(h.trim()))
        {
            let t = match entry {
                None => Target::Ignored,
                Some(f) => resolve_manual(rt, f).unwrap_or(Target::Ignored),
            };
            if take(t, &mut taken, &mut uuid_taken) {
                targets[i] = Some((t, MatchKind::Manual));
            }
        }
    }

    let uuid_header = rt.uuid_header();
    let uuid_norms = [
        normalise(&uuid_header),
        "uuid".to_string(),
        normalise(&format!("{} id", rt.label)),
    ];
    // Rounds 1-3: exact, normalised, alias. A column matched in an earlier round is never
    // reconsidered; within a round, the first column with a header wins the field.
    for round in 0..3 {
        for (i, h) in headers.iter().enumerate() {
            if targets[i].is_some() || h.trim().is_empty() {
                continue;
            }
            let hn = normalise(h);
            let is_uuid = match round {
                0 => *h == uuid_header,
                1 => uuid_norms[..2].contains(&hn),
                _ => uuid_norms[2] == hn,
            };
            if is_uuid && !uuid_taken {
                uuid_taken = true;
                let how = if round == 0 {
                    MatchKind::Exact
                } else {
                    MatchKind::Normalised
                };
                targets[i] = Some((Target::RecordUuid, how));
                continue;
            }
            let found = rt.fields.iter().enumerate().find(|(fi, f)| {
                !taken[*fi]
                    && match round {
                        0 => *h == f.label,
                        1 => hn == normalise(&f.label) || hn == normalise(f.name.as_str()),
                        _ => f.aliases.iter().any(|a| normalise(a) == hn),
                    }
            });
            if let Some((fi, _)) = found {
                taken[fi] = true;
                let how = [MatchKind::Exact, MatchKind::Normalised, MatchKind::Alias][round];
                targets[i] = Some((Target::Field(fi), how));
            }
        }
    }

    // Round 4: fuzzy, only a clear winner among untaken fields.
    for (i, h) in headers.iter().enumerate() {
        if targets[i].is_some() || h.trim().is_empty() {
            continue;
        }
        let hn = normalise(h);
        let mut scored: Vec<(f64, usize)> = rt
            .fields
            .iter()
            .enumerate()
            .filter(|(fi, _)| !taken[*fi])
            .map(|(fi, f)| {
                let s = std::iter::once(normalise(&f.label))
                    .chain(std::iter::once(normalise(f.name.as_str())))
                    .chain(f.aliases.iter().map(|a| normalise(a)))
                    .map(|c| {
                        strsim::normalized_damerau_levenshtein(&hn, &c)
                            .max(strsim::jaro_winkler(&hn, &c) - 0.1)
                    })
                    .fold(0.0, f64::max);
                (s, fi)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let best = scored.first().copied();
        let second = scored.get(1).map_or(0.0, |s| s.0);
        if let Some((score, fi)) = best
            && score >= 0.8
            && score - second >= 0.1
        {
            taken[fi] = true;
            targets[i] = Some((Target::Field(fi), MatchKind::Fuzzy(score)));
        }
    }

    let columns: Vec<ColumnMapping> = headers_as_written
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let (target, how) = targets[i].unwrap_or((Target::Ignored, MatchKind::Unmatched));
            ColumnMapping {
                column: Column {
                    index: i,
                    header: h.clone(),
                },
                target,
                how,
            }
        })
        .collect();

    // Duplicate headers: an error when the duplicate would feed a field, else a warning.
    let mut by_norm: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, h) in headers.iter().enumerate() {
        if !h.trim().is_empty() {
            by_norm.entry(h.trim().to_string()).or_default().push(i);
        }
    }
    for (h, idx) in by_norm.iter().filter(|(_, v)| v.len() > 1) {
        let letters: Vec<String> = idx
            .iter()
            .map(|&i| crate::report::column_letter(i))
            .collect();
        let feeds = idx.iter().find_map(|&i| match columns[i].target {
            Target::Field(f) => Some(rt.fields[f].label.clone()),
            Target::RecordUuid => Some(uuid_header.clone()),
            Target::Old(f) => Some(format!("[old] {}", rt.fields[f].label)),
            Target::Action => Some("Action".to_string()),
            Target::Ignored => None,
        });
        let first = &columns[idx[0]].column;
        match feeds {
            Some(label) => problems.push(Problem {
                row: RowNumber::new(1),
                column: Some(first.clone()),
                field: None,
                value: h.clone(),
                code: ProblemCode::DuplicateColumn,
                message: format!(
                    "the header `{}` appears in columns {}; only column {} feeds `{label}`, so the others would be lost; rename or delete the extra columns",
                    display_header(h),
                    letters.join(", "),
                    letters[0]
                ),
            }),
            None => warnings.push(Warning {
                row: Some(RowNumber::new(1)),
                column: Some(first.clone()),
                code: ProblemCode::DuplicateColumn,
                message: format!("the header `{}` appears in columns {}; none is imported", display_header(h), letters.join(", ")),
            }),
        }
    }

    for c in &columns {
        match c.how {
            MatchKind::Unmatched
                if !c.column.header.trim().is_empty()
                    && by_norm
                        .get(c.column.header.trim())
                        .is_none_or(|v| v.len() <= 1) =>
            {
                warnings.push(Warning {
                    row: Some(RowNumber::new(1)),
                    column: Some(c.column.clone()),
                    code: ProblemCode::UnmappedColumn,
                    message: format!(
                        "column `{}` matches no field of `{}` and is not imported; rename it to a field label or map it with --mapping",
                        display_header(&c.column.header),
                        rt.name
                    ),
                });
            }
            MatchKind::Fuzzy(score) => {
                if let Target::Field(f) = c.target {
                    warnings.push(Warning {
                        row: Some(RowNumber::new(1)),
                        column: Some(c.column.clone()),
                        code: ProblemCode::FuzzyMatch,
                        message: format!(
                            "column `{}` was matched to `{}` by resemblance ({:.0}%); check it, or map it with --mapping",
                            display_header(&c.column.header),
                            rt.fields[f].label,
                            score * 100.0
                        ),
                    });
                }
            }
            _ => {}
        }
    }

    if options.require_required {
        for (fi, f) in rt.fields.iter().enumerate() {
            if f.required && !taken[fi] {
                problems.push(Problem {
                    row: RowNumber::new(1),
                    column: None,
                    field: Some(f.name.to_string()),
                    value: String::new(),
                    code: ProblemCode::MissingColumn,
                    message: format!(
                        "the file has no column for the required field `{}`; add a column headed `{}`",
                        f.name, f.label
                    ),
                });
            }
        }
    }

    MappingOutcome {
        mapping: Mapping { columns },
        problems,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;

    fn schema() -> Schema {
        Schema::from_toml(
            "test.toml",
            r#"
            [lists.tier]
            options = [{ code = "gold", label = "Gold" }, { code = "silver", label = "Silver" }]
            [lists.state]
            closed = true
            options = ["Open", "Closed"]
            [types.contact]
            label = "Contact"
            [[types.contact.fields]]
            name = "email"
            label = "Email"
            type = "email"
            required = true
            aliases = ["E-mail address", "mail"]
            [[types.contact.fields]]
            name = "first_name"
            label = "First Name"
            type = "text"
            [[types.contact.fields]]
            name = "last_name"
            label = "Last Name"
            type = "text"
            [[types.contact.fields]]
            name = "phone_number"
            label = "Phone Number"
            type = "text"
            [[types.contact.fields]]
            name = "tier"
            label = "Tier"
            type = "multiselect"
            list = "tier"
            [[types.contact.fields]]
            name = "state"
            label = "State"
            type = "select"
            list = "state"
            "#,
        )
        .unwrap()
    }

    fn contact() -> RecordType {
        schema().types[0].clone()
    }

    fn map(headers: &[&str]) -> Vec<(String, String)> {
        let rt = contact();
        let h: Vec<String> = headers.iter().map(|s| (*s).to_string()).collect();
        let out = auto_map(
            &rt,
            &h,
            &ManualMapping::default(),
            &MapOptions {
                require_required: true,
            },
        );
        out.mapping
            .columns
            .iter()
            .map(|c| {
                let t = match c.target {
                    Target::RecordUuid => "uuid".to_string(),
                    Target::Field(i) => rt.fields[i].name.to_string(),
                    Target::Old(i) => format!("old {}", rt.fields[i].name),
                    Target::Action => "action".to_string(),
                    Target::Ignored => "-".to_string(),
                };
                let how = match c.how {
                    MatchKind::Fuzzy(_) => "fuzzy".to_string(),
                    other => format!("{other:?}").to_lowercase(),
                };
                (t, how)
            })
            .collect()
    }

    #[test]
    fn update_sheet_and_action_columns_are_recognised() {
        let m = map(&[
            "Contact UUID",
            "[old] First Name",
            "[new] First Name",
            "Action",
            "Email",
        ]);
        let targets: Vec<&str> = m.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            targets,
            ["uuid", "old first_name", "first_name", "action", "email"]
        );
    }

    #[test]
    fn normalising_ignores_case_spaces_and_punctuation() {
        assert_eq!(normalise("\t start \n end "), "start end");
        assert_eq!(normalise("First_Name"), "first name");
        assert_eq!(normalise("E-Mail"), "e mail");
        assert_eq!(normalise("Straße"), "straße");
    }

    #[test]
    fn template_headers_match_exactly() {
        let m = map(&["Contact UUID", "Email", "First Name", "Last Name"]);
        assert!(m.iter().all(|(_, how)| how == "exact"), "{m:?}");
    }

    #[test]
    fn rounds_in_order() {
        let m = map(&[
            "uuid",
            "EMAIL ",
            "first_name",
            "Last  name",
            "Phone Numbr",
            "Notes",
        ]);
        assert_eq!(
            m,
            [
                ("uuid", "normalised"),
                ("email", "normalised"),
                ("first_name", "normalised"),
                ("last_name", "normalised"),
                ("phone_number", "fuzzy"),
                ("-", "unmatched"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }

    #[test]
    fn aliases_match() {
        assert_eq!(
            map(&["E-mail address"])[0],
            ("email".into(), "alias".into())
        );
    }

    #[test]
    fn fuzzy_needs_a_clear_winner() {
        // `Name` is as close to `First Name` as to `Last Name`: no guess.
        assert_eq!(map(&["Name"])[0].0, "-");
    }

    #[test]
    fn missing_required_columns_and_duplicates_are_problems() {
        let rt = contact();
        let h: Vec<String> = ["First Name", "First Name", "Extra", "Extra"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let out = auto_map(
            &rt,
            &h,
            &ManualMapping::default(),
            &MapOptions {
                require_required: true,
            },
        );
        let codes: Vec<_> = out.problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["duplicate_column", "missing_column"]);
        insta::assert_snapshot!(out.problems[0].message, @"the header `First Name` appears in columns A, B; only column A feeds `First Name`, so the others would be lost; rename or delete the extra columns");
        let wcodes: Vec<_> = out.warnings.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(wcodes, ["duplicate_column"]);
    }

    /// Checks a mapping file against a file with these headers; the error's message, or "ok".
    fn check(toml: &str, headers: &[&str]) -> String {
        let schema = schema();
        let rt = &schema.types[0];
        let manual = match ManualMapping::from_toml(toml) {
            Ok(m) => m,
            Err(e) => return e.to_string(),
        };
        let h: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
        let out = auto_map(rt, &h, &manual, &MapOptions::default());
        match manual.check(&schema, rt, &out.mapping) {
            Ok(()) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_mapping_file_wins() {
        let rt = contact();
        let manual =
            ManualMapping::from_toml("[columns]\n\"Courriel\" = \"email\"\n\"Email\" = \"\"\n")
                .unwrap();
        let h: Vec<String> = ["Email", "Courriel"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let out = auto_map(&rt, &h, &manual, &MapOptions::default());
        manual.check(&schema(), &rt, &out.mapping).unwrap();
        assert_eq!(out.mapping.columns[0].target, Target::Ignored);
        assert_eq!(out.mapping.columns[1].target, Target::Field(0));
        insta::assert_snapshot!(check("[columns]\n\"X\" = \"nope\"\n", &["X"]), @"the mapping file maps `X` to `nope`, which is not a field of `contact`; fields are: email, first_name, last_name, phone_number, tier, state");
    }

    #[test]
    fn value_mappings_are_read_from_toml_and_json() {
        let m = ManualMapping::from_toml(
            "[columns]\n\"Level\" = \"tier\"\n[values.\"Level\"]\n\"Or\" = \" gold \"\n\"Platine\" = { create = true }\n",
        )
        .unwrap();
        let expected = BTreeMap::from([(
            "Level".to_string(),
            BTreeMap::from([
                ("Or".to_string(), ValueChoice::Option("gold".into())),
                ("Platine".to_string(), ValueChoice::Create),
            ]),
        )]);
        assert_eq!(m.values, expected);
        let json = serde_json::to_string(&m.values).unwrap();
        insta::assert_snapshot!(json, @r#"{"Level":{"Or":"gold","Platine":{"create":true}}}"#);
        let back: BTreeMap<String, BTreeMap<String, ValueChoice>> =
            serde_json::from_str(&json).unwrap();
        assert_eq!(back, expected);
        // Values alone: no [columns] table needed.
        assert!(ManualMapping::from_toml("[values.Tier]\nOr = \"gold\"\n").is_ok());
    }

    #[test]
    fn value_choices_refuse_anything_else() {
        insta::assert_snapshot!(check("[values.Tier]\nOr = { create = false }\n", &["Tier"]), @"the mapping file is not valid: line 2: expected `{ create = true }`; to map the value to an option, write the option's code or label");
        insta::assert_snapshot!(check("[values.Tier]\nOr = { make = true }\n", &["Tier"]), @"the mapping file is not valid: line 2: unknown key `make`; write an option's code or label, or `{ create = true }`");
        insta::assert_snapshot!(check("[values.Tier]\nOr = 3\n", &["Tier"]), @"the mapping file is not valid: line 2: invalid type: integer `3`, expected an option's code or label, or `{ create = true }`");
        insta::assert_snapshot!(check("[values.Tier]\nOr = \"\"\n", &["Tier"]), @"the mapping file is not valid: line 2: an empty option; write an option's code or label, or `{ create = true }`");
    }

    #[test]
    fn value_mappings_are_checked_against_the_field_and_its_list() {
        assert_eq!(
            check(
                "[values.Tier]\nOr = \"gold\"\nArgent = \"Silver\"\nPlatine = { create = true }\n",
                &["Tier"]
            ),
            "ok"
        );
        // Headers the file lacks are ignored; headers are matched as written, then trimmed.
        assert_eq!(check("[values.Nope]\nOr = \"x\"\n", &["Tier"]), "ok");
        assert_eq!(check("[values.Tier]\nOr = \"gold\"\n", &[" Tier "]), "ok");
        insta::assert_snapshot!(check("[values.Tier]\nOr = \"golden\"\n", &["Tier"]), @"the mapping file maps `Or` of `Tier` to `golden`, which is not an option of `Tier`; expected one of `Gold` (gold), `Silver` (silver), or `{ create = true }`");
        insta::assert_snapshot!(check("[values.\"First Name\"]\nOr = \"gold\"\n", &["First Name"]), @"the mapping file maps values of `First Name`, but it feeds `First Name` (text), which has no options; value mappings are for select and multiselect fields");
        insta::assert_snapshot!(check("[values.Misc]\nOr = \"gold\"\n", &["Misc"]), @"the mapping file maps values of `Misc`, but that column is not imported into a field of `contact`; map the column under [columns] first");
        insta::assert_snapshot!(check("[values.State]\nPending = { create = true }\n", &["State"]), @"the mapping file asks to create `Pending` of `State`, but the options of `State` are a closed list; map it to one of `Open`, `Closed`");
        assert_eq!(
            check("[values.State]\nPending = \"Open\"\n", &["State"]),
            "ok"
        );
    }
}
