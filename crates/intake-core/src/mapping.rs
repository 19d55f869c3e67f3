//! Mapping: which file column feeds which field.
//!
//! Headers are matched in rounds, each only among fields not yet taken: the exact label, then
//! the normalised label or name (case, spaces, `_` and `-` ignored), then the field's aliases,
//! then a fuzzy match restricted to one clearly best candidate. A user's mapping file wins over
//! all of them. A template's own headers always match in the first round.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::RowNumber;
use crate::report::{Column, Problem, ProblemCode, Warning, display_header};
use crate::schema::RecordType;

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

/// A mapping given by the user: header as written -> field name or label (`None` = ignore).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManualMapping {
    /// Header -> field (by name or label), or `None` to ignore the column.
    pub columns: BTreeMap<String, Option<String>>,
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
}

impl ManualMapping {
    /// Reads a mapping file: a `[columns]` table of `"Header" = "field"` (`""` ignores a column).
    pub fn from_toml(source: &str) -> Result<Self, ManualMappingError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            columns: BTreeMap<String, String>,
        }
        let f: File = toml::from_str(source)
            .map_err(|e| ManualMappingError::Syntax(e.message().to_string()))?;
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
        })
    }

    /// Checks that every named field exists.
    pub fn check(&self, rt: &RecordType) -> Result<(), ManualMappingError> {
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
        Ok(())
    }
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

    fn contact() -> RecordType {
        let s = Schema::from_toml(
            "test.toml",
            r#"
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
            "#,
        )
        .unwrap();
        s.types[0].clone()
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

    #[test]
    fn a_mapping_file_wins() {
        let rt = contact();
        let manual =
            ManualMapping::from_toml("[columns]\n\"Courriel\" = \"email\"\n\"Email\" = \"\"\n")
                .unwrap();
        manual.check(&rt).unwrap();
        let h: Vec<String> = ["Email", "Courriel"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let out = auto_map(&rt, &h, &manual, &MapOptions::default());
        assert_eq!(out.mapping.columns[0].target, Target::Ignored);
        assert_eq!(out.mapping.columns[1].target, Target::Field(0));
        let bad = ManualMapping::from_toml("[columns]\n\"X\" = \"nope\"\n").unwrap();
        assert!(
            bad.check(&rt)
                .unwrap_err()
                .to_string()
                .contains("not a field of `contact`")
        );
    }
}
