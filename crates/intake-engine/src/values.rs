//! The values of lookup columns that match no option, listed so the user can map each one to
//! an option or have it created (a value mapping, `[values."Header"]` in a mapping file).
//!
//! Derived from a validation's `unknown_option` problems: the validator reports every unknown
//! value on its own (each unknown item of a multiselect cell too), with the value as written,
//! so the listing is exact without a second read of the file.

use rustc_hash::FxHashMap;
use serde::Serialize;

use intake_core::RowNumber;
use intake_core::mapping::{Mapping, Target};
use intake_core::report::{Column, ProblemCode, ValidationReport};
use intake_core::schema::{FieldType, RecordType, Schema};

/// At most this many distinct unknown values are listed per column.
pub const MAX_UNKNOWN_VALUES: usize = 1000;

/// The unknown values of one lookup column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownValues {
    /// The file column (header as written).
    pub column: Column,
    /// The field it feeds.
    pub field: String,
    /// Distinct values matching no option, in order of first appearance.
    pub values: Vec<UnknownValue>,
    /// The column has more than [`MAX_UNKNOWN_VALUES`] distinct unknown values; the rest are
    /// not listed.
    pub truncated: bool,
}

/// One distinct value that matches no option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownValue {
    /// The value as first written in the file (trimmed).
    pub value: String,
    /// Rows holding it (a row holding it twice in a multiselect cell counts twice).
    pub rows: u64,
    /// The first row holding it.
    pub first_row: RowNumber,
}

/// Per select or multiselect column of the file, in column order, the distinct values that
/// matched no option. Values are grouped as the list compares them (ignoring case when the
/// list does), so one value mapping covers each group. Columns without unknown values are
/// left out.
pub fn unknown_values(
    schema: &Schema,
    rt: &RecordType,
    mapping: &Mapping,
    report: &ValidationReport,
) -> Vec<UnknownValues> {
    struct Acc {
        out: UnknownValues,
        index: FxHashMap<String, usize>,
    }
    let mut by_column: Vec<Option<Acc>> = vec![];
    by_column.resize_with(mapping.columns.len(), || None);
    for p in &report.problems {
        if p.code != ProblemCode::UnknownOption {
            continue;
        }
        let Some(column) = &p.column else { continue };
        let Some(cm) = mapping.columns.get(column.index) else {
            continue;
        };
        let Target::Field(fi) = cm.target else {
            continue;
        };
        let Some(field) = rt.fields.get(fi) else {
            continue;
        };
        let list = match &field.field_type {
            FieldType::Select { list } | FieldType::MultiSelect { list, .. } => schema.list(list),
            _ => continue,
        };
        let Some(list) = list else { continue };
        let value = p.value.trim();
        let acc = by_column[column.index].get_or_insert_with(|| Acc {
            out: UnknownValues {
                column: cm.column.clone(),
                field: field.name.to_string(),
                values: Vec::new(),
                truncated: false,
            },
            index: FxHashMap::default(),
        });
        let key = list.value_key(value);
        if let Some(&i) = acc.index.get(key.as_ref()) {
            if let Some(v) = acc.out.values.get_mut(i) {
                v.rows += 1;
            }
        } else if acc.out.values.len() < MAX_UNKNOWN_VALUES {
            acc.index.insert(key.into_owned(), acc.out.values.len());
            acc.out.values.push(UnknownValue {
                value: value.to_string(),
                rows: 1,
                first_row: p.row,
            });
        } else {
            acc.out.truncated = true;
        }
    }
    by_column.into_iter().flatten().map(|a| a.out).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use intake_core::mapping::{ManualMapping, MapOptions, auto_map};
    use intake_core::report::Problem;

    const SCHEMA: &str = r#"
        [lists.tier]
        case_insensitive = true
        options = [{ code = "gold", label = "Gold" }, { code = "silver", label = "Silver" }]
        [lists.tag]
        options = ["VIP", "Press"]
        [types.client]
        label = "Client"
        [[types.client.fields]]
        name = "name"
        label = "Name"
        type = "text"
        [[types.client.fields]]
        name = "tier"
        label = "Tier"
        type = "select"
        list = "tier"
        [[types.client.fields]]
        name = "tags"
        label = "Tags"
        type = "multiselect"
        list = "tag"
    "#;

    fn problem(row: u64, column: usize, header: &str, value: &str) -> Problem {
        Problem {
            row: RowNumber::new(row),
            column: Some(Column {
                index: column,
                header: header.into(),
            }),
            field: None,
            value: value.into(),
            code: ProblemCode::UnknownOption,
            message: String::new(),
        }
    }

    /// The listing of these problems in a `Name,Tier,Tags` file, one line per column.
    fn check(problems: Vec<Problem>) -> String {
        let schema = Schema::from_toml("t.toml", SCHEMA).unwrap();
        let rt = schema.record_type("client").unwrap();
        let header: Vec<String> = ["Name", " Tier", "Tags"].map(String::from).to_vec();
        let mapped = auto_map(
            rt,
            &header,
            &ManualMapping::default(),
            &MapOptions::default(),
        );
        let report = ValidationReport {
            problems,
            ..ValidationReport::default()
        };
        unknown_values(&schema, rt, &mapped.mapping, &report)
            .iter()
            .map(|u| {
                let values: Vec<String> = u
                    .values
                    .iter()
                    .map(|v| format!("{} x{} from row {}", v.value, v.rows, v.first_row))
                    .collect();
                format!(
                    "`{}` ({}): {}{}",
                    u.column.header,
                    u.field,
                    values.join(", "),
                    if u.truncated { " (cut)" } else { "" }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn distinct_values_in_order_of_first_appearance_grouped_as_the_list_compares() {
        insta::assert_snapshot!(check(vec![
            problem(2, 1, " Tier", "Platinum "),
            problem(2, 2, "Tags", "Radio"),
            problem(2, 2, "Tags", "TV"),
            problem(3, 1, " Tier", "bronze"),
            problem(4, 1, " Tier", "PLATINUM"),
            problem(5, 2, "Tags", "radio"),
            problem(6, 2, "Tags", "Radio"),
        ]), @r"
        ` Tier` (tier): Platinum x2 from row 2, bronze x1 from row 3
        `Tags` (tags): Radio x2 from row 2, TV x1 from row 2, radio x1 from row 5
        ");
    }

    #[test]
    fn other_problems_and_columns_are_left_out() {
        let mut other = problem(2, 1, " Tier", "x");
        other.code = ProblemCode::Required;
        assert_eq!(check(vec![other, problem(2, 0, "Name", "y")]), "");
    }

    #[test]
    fn at_most_a_thousand_values_per_column() {
        let problems = (0..=MAX_UNKNOWN_VALUES as u64)
            .map(|i| problem(i + 2, 1, " Tier", &format!("t{i}")))
            .chain([problem(5000, 1, " Tier", "t0")])
            .collect();
        let schema = Schema::from_toml("t.toml", SCHEMA).unwrap();
        let rt = schema.record_type("client").unwrap();
        let header: Vec<String> = ["Name", " Tier", "Tags"].map(String::from).to_vec();
        let mapped = auto_map(
            rt,
            &header,
            &ManualMapping::default(),
            &MapOptions::default(),
        );
        let report = ValidationReport {
            problems,
            ..ValidationReport::default()
        };
        let u = unknown_values(&schema, rt, &mapped.mapping, &report);
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].values.len(), MAX_UNKNOWN_VALUES);
        assert!(u[0].truncated);
        // Values already listed still count their rows after the cut.
        assert_eq!(u[0].values[0].rows, 2);
    }
}
