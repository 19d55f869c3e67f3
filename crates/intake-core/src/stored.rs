//! Values as the store holds them, and back to cell text for exports.
//!
//! Every field type has exactly one stored form, so that comparing a parsed cell with a stored
//! record is comparing two [`Stored`] values, and so that export then re-import gives the same
//! stored values back (the round trip of DESIGN §6):
//!
//! | field type | stored as |
//! | --- | --- |
//! | text, email, url, phone (E.164), country, subdivision, currency, uuid | `Text` |
//! | select, path | `Text`: the option's code |
//! | multiselect | `Text`: codes in list order, joined by the field's separator |
//! | integer | `Integer` |
//! | boolean | `Integer` 0 or 1 |
//! | decimal | `Text`: the number with exactly the field's decimal places (`12.50`) |
//! | date | `Text`: `YYYY-MM-DD` |
//! | datetime | `Text`: `YYYY-MM-DDTHH:MM:SSZ` (UTC; fractions of a second kept) |
//! | link | `Text`: the target's UUID |

use std::fmt::Write as _;

use chrono::SecondsFormat;

use crate::cell::{LinkRef, Value};
use crate::locale::Locale;
use crate::schema::{Field, FieldType, LookupList};

/// One stored column value.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(untagged)]
pub enum Stored {
    /// No value.
    Null,
    /// Integers and booleans.
    Integer(i64),
    /// Everything else, in the canonical text form of its type.
    Text(String),
}

impl Stored {
    /// Whether the value is empty.
    pub fn is_null(&self) -> bool {
        matches!(self, Stored::Null)
    }

    /// The text, if the value is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Stored::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// How a field is stored, for backends choosing column types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredKind {
    /// Free text and codes.
    Text,
    /// A whole number.
    Integer,
    /// A decimal number, kept as exact text with `scale` places.
    Decimal {
        /// Decimal places.
        scale: u32,
    },
    /// A date as `YYYY-MM-DD`.
    Date,
    /// A UTC timestamp as RFC 3339.
    DateTime,
    /// 0 or 1.
    Boolean,
    /// A UUID as lower-case hyphenated text.
    Uuid,
}

/// The stored form of a field.
pub fn kind_of(field: &Field) -> StoredKind {
    match &field.field_type {
        FieldType::Integer { .. } => StoredKind::Integer,
        FieldType::Decimal { scale, .. } => StoredKind::Decimal { scale: *scale },
        FieldType::Date => StoredKind::Date,
        FieldType::DateTime => StoredKind::DateTime,
        FieldType::Boolean => StoredKind::Boolean,
        FieldType::Uuid | FieldType::Link(_) => StoredKind::Uuid,
        _ => StoredKind::Text,
    }
}

/// The stored form of a parsed cell. A link given by a key (not a UUID) has no stored form
/// until it is resolved: `None`.
pub fn to_stored(value: &Value<'_>, field: &Field, list: Option<&LookupList>) -> Option<Stored> {
    Some(match value {
        Value::Text(s) | Value::Email(s) | Value::Url(s) | Value::Select(s) | Value::Path(s) => {
            Stored::Text((*s).to_string())
        }
        Value::Phone(s) => Stored::Text(s.clone()),
        Value::Country(s) | Value::Subdivision(s) | Value::Currency(s) => {
            Stored::Text((*s).to_string())
        }
        Value::Integer(i) => Stored::Integer(*i),
        Value::Boolean(b) => Stored::Integer(i64::from(*b)),
        Value::Decimal(d) => {
            let mut d = *d;
            if let FieldType::Decimal { scale, .. } = field.field_type {
                d.rescale(scale);
            }
            Stored::Text(d.to_string())
        }
        Value::Date(d) => Stored::Text(d.format("%Y-%m-%d").to_string()),
        Value::DateTime(t) => Stored::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        Value::MultiSelect(codes) => {
            let sep = match &field.field_type {
                FieldType::MultiSelect { separator, .. } => *separator,
                _ => ';',
            };
            let mut ordered: Vec<&str> = codes.clone();
            if let Some(list) = list {
                let pos = |c: &str| {
                    list.options
                        .iter()
                        .position(|o| o.code == c)
                        .unwrap_or(usize::MAX)
                };
                ordered.sort_by_key(|c| pos(c));
            }
            ordered.dedup();
            let mut s = String::new();
            for (i, c) in ordered.iter().enumerate() {
                if i > 0 {
                    s.push(sep);
                }
                s.push_str(c);
            }
            Stored::Text(s)
        }
        Value::Link(LinkRef::Uuid(u)) | Value::Uuid(u) => Stored::Text(uuid_text(u)),
        Value::Link(LinkRef::Key(_)) => return None,
    })
}

/// A UUID as stored: lower-case, hyphenated.
pub fn uuid_text(u: &uuid::Uuid) -> String {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    u.hyphenated().encode_lower(&mut buf).to_string()
}

/// The cell text an export writes for a stored value: text that the same field's parser reads
/// back to the same stored value under `locale` (dates in ISO 8601, numbers with the locale's
/// decimal separator and no grouping, options by label when the label names them alone).
pub fn to_cell(
    stored: &Stored,
    field: &Field,
    list: Option<&LookupList>,
    locale: &Locale,
) -> String {
    match (stored, &field.field_type) {
        (Stored::Null, _) => String::new(),
        (Stored::Integer(i), FieldType::Boolean) => {
            if *i != 0 { "true" } else { "false" }.to_string()
        }
        (Stored::Integer(i), _) => i.to_string(),
        (Stored::Text(s), FieldType::Decimal { .. }) => {
            if locale.decimal_separator == '.' {
                s.clone()
            } else {
                s.replace('.', &locale.decimal_separator.to_string())
            }
        }
        (Stored::Text(s), FieldType::Select { .. } | FieldType::Path { .. }) => {
            label_of(s, list).unwrap_or_else(|| s.clone())
        }
        (Stored::Text(s), FieldType::MultiSelect { separator, .. }) => {
            let mut out = String::new();
            for (i, code) in s.split(*separator).enumerate() {
                if i > 0 {
                    let _ = write!(out, "{separator}");
                }
                out.push_str(&label_of(code, list).unwrap_or_else(|| code.to_string()));
            }
            out
        }
        (Stored::Text(s), _) => s.clone(),
    }
}

/// The label of the option with this code, when that label finds the same option again.
fn label_of(code: &str, list: Option<&LookupList>) -> Option<String> {
    let list = list?;
    let option = list.options.iter().find(|o| o.code == code)?;
    (list.find(&option.label).map(|o| o.code.as_str()) == Some(code)).then(|| option.label.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::{CellFormats, NumberFormat, parse};
    use crate::demo;

    fn round_trip(type_name: &str, field: &str, cell: &str, locale: &Locale) -> (Stored, String) {
        let schema = demo::demo("crm").unwrap().schema().unwrap();
        let rt = schema.record_type(type_name).unwrap();
        let f = rt.field(field).unwrap();
        let list = f.field_type.list().and_then(|l| schema.list(l));
        let formats = CellFormats {
            number: NumberFormat {
                decimal: locale.decimal_separator,
                thousands: locale.thousands_separator,
            },
            date: &locale.date_format,
            datetime: &locale.datetime_format,
            phone_region: None,
        };
        let v = parse(f, list, cell, &formats, None).unwrap();
        let stored = to_stored(&v, f, list).unwrap();
        let text = to_cell(&stored, f, list, locale);
        let again = parse(f, list, &text, &formats, None).unwrap();
        assert_eq!(to_stored(&again, f, list).unwrap(), stored, "{text}");
        (stored, text)
    }

    #[test]
    fn decimals_keep_the_field_scale_and_the_locale_separator() {
        let de = Locale::preset("de-DE").unwrap();
        let (stored, text) = round_trip("account", "annual_revenue", "1.234,5", &de);
        assert_eq!(stored, Stored::Text("1234.50".into()));
        assert_eq!(text, "1234,50");
    }

    #[test]
    fn dates_are_stored_and_exported_in_iso() {
        let gb = Locale::preset("en-GB").unwrap();
        let (stored, text) = round_trip("contact", "birth_date", "01/03/2024", &gb);
        assert_eq!(stored, Stored::Text("2024-03-01".into()));
        assert_eq!(text, "2024-03-01");
    }
}
