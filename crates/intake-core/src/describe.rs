//! Field descriptions and templates: what each column expects, in words and as a
//! Frictionless Table Schema.
//!
//! The same description feeds `intake describe`, the template's field sheet and the UI, so a
//! user reads the same words everywhere.

use serde::Serialize;
use serde_json::{Value as Json, json};

use crate::locale::Locale;
use crate::schema::{Charset, Field, FieldType, RecordType, Schema, Unique};

/// One column of a template, described for humans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnDescription {
    /// The header as it appears in the template.
    pub header: String,
    /// The field name (`uuid` for the record's own UUID).
    pub field: String,
    /// The type's name.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Whether a new record needs it.
    pub required: bool,
    /// Whether values must be unique, in words (`""` if not).
    pub unique: String,
    /// What a cell must look like.
    pub format: String,
    /// Allowed values (lookup lists), as `label` or `label (code)`.
    pub allowed: Vec<String>,
    /// Help text.
    pub help: String,
}

/// The template headers of a record type: its UUID first, link columns next, then fields.
pub fn template_fields(rt: &RecordType) -> Vec<&Field> {
    let links = rt
        .fields
        .iter()
        .filter(|f| matches!(f.field_type, FieldType::Link(_)));
    let rest = rt
        .fields
        .iter()
        .filter(|f| !matches!(f.field_type, FieldType::Link(_)));
    links.chain(rest).collect()
}

/// The headers of a record type's template, in order, without the columns of linked records
/// created inline (see [`template_headers_with_inline`]).
pub fn template_headers(rt: &RecordType) -> Vec<String> {
    std::iter::once(rt.uuid_header())
        .chain(template_fields(rt).into_iter().map(|f| f.label.clone()))
        .collect()
}

/// A column of a template that feeds a linked record created inline (`Account Name`,
/// `Account Industry` in a contact template).
#[derive(Debug, Clone)]
pub struct InlineColumn<'s> {
    /// The header: the target's label and the field's label, or the field's label when it
    /// already begins with the target's label.
    pub header: String,
    /// The link field of the record type.
    pub link: &'s Field,
    /// The linked type.
    pub target: &'s RecordType,
    /// The linked type's field the column feeds.
    pub field: &'s Field,
}

/// The columns of the linked records a record type's rows can create inline (links with
/// `inline = true`): every field of the target but its links and the keys the link cell
/// itself holds.
pub fn inline_columns<'s>(schema: &'s Schema, rt: &'s RecordType) -> Vec<InlineColumn<'s>> {
    let mut out = Vec::new();
    for link in template_fields(rt) {
        let FieldType::Link(l) = &link.field_type else {
            continue;
        };
        if !l.inline {
            continue;
        }
        let Some(target) = schema.record_type(&l.target) else {
            continue;
        };
        for field in &target.fields {
            if matches!(field.field_type, FieldType::Link(_))
                || l.by.iter().any(|b| b == field.name.as_str())
            {
                continue;
            }
            let header = inline_header(target, field);
            out.push(InlineColumn {
                header,
                link,
                target,
                field,
            });
        }
    }
    out
}

/// The header of a linked type's field in the file of a type that creates it inline: the
/// target's label and the field's label, or the field's label when it already begins with the
/// target's label (`Account Industry`, `Account Name`).
pub fn inline_header(target: &RecordType, field: &Field) -> String {
    if field
        .label
        .to_lowercase()
        .starts_with(&target.label.to_lowercase())
    {
        field.label.clone()
    } else {
        format!("{} {}", target.label, field.label)
    }
}

/// The headers of a record type's template, in order: its UUID, its links, the columns of
/// the linked records its rows can create inline, then its other fields.
pub fn template_headers_with_inline(schema: &Schema, rt: &RecordType) -> Vec<String> {
    let fields = template_fields(rt);
    let links = fields
        .iter()
        .take_while(|f| matches!(f.field_type, FieldType::Link(_)))
        .count();
    let mut out = vec![rt.uuid_header()];
    out.extend(fields[..links].iter().map(|f| f.label.clone()));
    out.extend(inline_columns(schema, rt).into_iter().map(|c| c.header));
    out.extend(fields[links..].iter().map(|f| f.label.clone()));
    out
}

/// Describes every template column of a record type.
pub fn describe(schema: &Schema, rt: &RecordType) -> Vec<ColumnDescription> {
    let mut out = vec![ColumnDescription {
        header: rt.uuid_header(),
        field: "uuid".into(),
        type_name: "uuid".into(),
        required: false,
        unique: "unique".into(),
        format: format!(
            "empty to create a new {label}; the UUID of an existing {label} to update it",
            label = rt.label
        ),
        allowed: Vec::new(),
        help: "Every record has a UUID, given when it is created and never reused.".into(),
    }];
    let fields = template_fields(rt);
    let links = fields
        .iter()
        .take_while(|f| matches!(f.field_type, FieldType::Link(_)))
        .count();
    for f in &fields[..links] {
        out.push(describe_field(schema, rt, f));
    }
    for c in inline_columns(schema, rt) {
        let mut d = describe_field(schema, c.target, c.field);
        d.header = c.header;
        d.field = format!("{}.{}", c.link.name, c.field.name);
        d.required = false;
        d.help = format!(
            "Creates the {} when `{}` is empty and no {} has this row's key yet. {}",
            c.target.label, c.link.label, c.target.label, d.help
        )
        .trim_end()
        .to_string();
        out.push(d);
    }
    for f in &fields[links..] {
        out.push(describe_field(schema, rt, f));
    }
    out
}

/// Describes one field.
pub fn describe_field(schema: &Schema, rt: &RecordType, f: &Field) -> ColumnDescription {
    let allowed = f
        .field_type
        .list()
        .and_then(|l| schema.list(l))
        .map(|l| {
            l.options
                .iter()
                .map(|o| {
                    if o.code == o.label {
                        o.label.clone()
                    } else {
                        format!("{} ({})", o.label, o.code)
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let unique = match &f.unique {
        Unique::No
            if rt
                .natural_keys
                .iter()
                .any(|k| k.len() == 1 && k[0] == f.name) =>
        {
            "unique (natural key)".to_string()
        }
        Unique::No => String::new(),
        Unique::InType => "unique".to_string(),
        Unique::Within(p) => format!(
            "unique within the same `{}`",
            rt.field(p.as_str())
                .map_or(p.as_str(), |pf| pf.label.as_str())
        ),
    };
    ColumnDescription {
        header: f.label.clone(),
        field: f.name.to_string(),
        type_name: f.field_type.name().to_string(),
        required: f.required,
        unique,
        format: format_of(schema, rt, f, &schema.locale),
        allowed,
        help: f.help.clone(),
    }
}

/// What a cell of this field must look like, in words.
pub fn format_of(schema: &Schema, rt: &RecordType, f: &Field, locale: &Locale) -> String {
    match &f.field_type {
        FieldType::Text(r) => {
            let mut parts = Vec::new();
            match (r.min_length, r.max_length) {
                (Some(a), Some(b)) => parts.push(format!("{a} to {b} characters")),
                (None, Some(b)) => parts.push(format!("at most {b} characters")),
                (Some(a), None) => parts.push(format!("at least {a} characters")),
                (None, None) => parts.push("text".to_string()),
            }
            if r.charset != Charset::Any {
                parts.push(r.charset.describe().to_string());
            }
            if !r.forbidden.is_empty() {
                let shown: Vec<String> = r.forbidden.chars().map(|c| format!("`{c}`")).collect();
                parts.push(format!("no {}", shown.join(" ")));
            }
            if let Some(p) = &r.pattern {
                parts.push(
                    p.hint
                        .clone()
                        .unwrap_or_else(|| format!("matching `{}`", p.source)),
                );
            }
            parts.join(", ")
        }
        FieldType::Integer { min, max } => {
            let mut s = "whole number".to_string();
            match (min, max) {
                (Some(a), Some(b)) => s.push_str(&format!(" from {a} to {b}")),
                (Some(a), None) => s.push_str(&format!(", at least {a}")),
                (None, Some(b)) => s.push_str(&format!(", at most {b}")),
                (None, None) => {}
            }
            s
        }
        FieldType::Decimal { scale, min, max } => {
            let dec = if locale.decimal_separator == ',' {
                "decimal comma"
            } else {
                "decimal point"
            };
            let mut s = format!(
                "number with at most {scale} decimal place{} ({dec})",
                if *scale == 1 { "" } else { "s" }
            );
            match (min, max) {
                (Some(a), Some(b)) => s.push_str(&format!(", from {a} to {b}")),
                (Some(a), None) => s.push_str(&format!(", at least {a}")),
                (None, Some(b)) => s.push_str(&format!(", at most {b}")),
                (None, None) => {}
            }
            s
        }
        FieldType::Date => {
            if locale.date_format.is_iso() {
                "date, YYYY-MM-DD".to_string()
            } else {
                format!("date, {} or YYYY-MM-DD", locale.date_format)
            }
        }
        FieldType::DateTime => {
            if locale.datetime_format.date.is_iso() {
                "date and time, YYYY-MM-DD hh:mm:ss or YYYY-MM-DDThh:mm:ssZ".to_string()
            } else {
                format!(
                    "date and time, {} or YYYY-MM-DDThh:mm:ssZ",
                    locale.datetime_format
                )
            }
        }
        FieldType::Boolean => {
            "true or false (also t/f, yes/no, 1/0); empty for no value".to_string()
        }
        FieldType::Email => "e-mail address, name@example.com".to_string(),
        FieldType::Phone { region } => {
            let region = region.clone().or_else(|| locale.phone_region.clone());
            match region {
                Some(r) => format!(
                    "phone number; without a country code it is read as a {r} number; stored as +E.164"
                ),
                None => {
                    "phone number with its country code, e.g. +44 20 7946 0958; stored as +E.164"
                        .to_string()
                }
            }
        }
        FieldType::Url => "web address starting with https:// or http://".to_string(),
        FieldType::Country => "ISO 3166-1 alpha-2 country code, e.g. DE, FR, US".to_string(),
        FieldType::Subdivision { country_field } => match country_field {
            Some(c) => {
                let label = rt
                    .field(c.as_str())
                    .map_or(c.as_str(), |f| f.label.as_str());
                format!(
                    "ISO 3166-2 subdivision code, e.g. US-CA, or CA with the country in `{label}`"
                )
            }
            None => "ISO 3166-2 subdivision code, e.g. US-CA".to_string(),
        },
        FieldType::Currency => "ISO 4217 currency code, e.g. EUR, USD".to_string(),
        FieldType::Select { list } => {
            let ci = schema.list(list).is_some_and(|l| l.case_insensitive);
            format!(
                "one option, by label or code{}",
                if ci { " (any case)" } else { " (exact case)" }
            )
        }
        FieldType::MultiSelect { separator, .. } => {
            format!("options by label or code, separated by `{separator}`")
        }
        FieldType::Path { list } => {
            let sep = schema.list(list).map_or('/', |l| l.separator);
            format!("full path from the top, levels separated by `{sep}`")
        }
        FieldType::Link(link) => {
            let target = schema
                .record_type(&link.target)
                .map_or(link.target.as_str(), |t| t.label.as_str());
            let keys: Vec<String> = link
                .by
                .iter()
                .map(|b| {
                    if b == "uuid" {
                        "UUID".to_string()
                    } else {
                        schema
                            .record_type(&link.target)
                            .and_then(|t| t.field(b))
                            .map_or(b.clone(), |f| f.label.clone())
                    }
                })
                .collect();
            format!("the {} of an existing {target}", keys.join(" or "))
        }
        FieldType::Uuid => "UUID, 32 hex digits with dashes".to_string(),
    }
}

/// The record type as a Frictionless Table Schema (<https://specs.frictionlessdata.io/table-schema/>).
pub fn table_schema(schema: &Schema, rt: &RecordType) -> Json {
    let mut fields = vec![json!({
        "name": "uuid",
        "title": rt.uuid_header(),
        "type": "string",
        "format": "uuid",
        "description": format!("Empty to create a new {0}; the UUID of an existing {0} to update it.", rt.label),
        "constraints": { "unique": true },
    })];
    for f in template_fields(rt) {
        let mut c = serde_json::Map::new();
        if f.required {
            c.insert("required".into(), json!(true));
        }
        if f.unique == Unique::InType {
            c.insert("unique".into(), json!(true));
        }
        let (ty, format) = match &f.field_type {
            FieldType::Text(r) => {
                if let Some(m) = r.max_length {
                    c.insert("maxLength".into(), json!(m));
                }
                if let Some(m) = r.min_length {
                    c.insert("minLength".into(), json!(m));
                }
                let mut pattern = r.pattern.as_ref().map(|p| p.source.clone());
                let class = match r.charset {
                    Charset::Any => None,
                    Charset::Alphanumeric => Some("[\\p{L}\\p{N}]*"),
                    Charset::AlphanumericSpace => Some("[\\p{L}\\p{N} ]*"),
                    Charset::Ascii => Some("[\\x20-\\x7E\\t]*"),
                };
                if pattern.is_none() {
                    if let Some(class) = class {
                        pattern = Some(class.to_string());
                    } else if !r.forbidden.is_empty() {
                        pattern = Some(format!("[^{}]*", regex::escape(&r.forbidden)));
                    }
                }
                if let Some(p) = pattern {
                    c.insert("pattern".into(), json!(p));
                }
                ("string", None)
            }
            FieldType::Integer { min, max } => {
                if let Some(m) = min {
                    c.insert("minimum".into(), json!(m));
                }
                if let Some(m) = max {
                    c.insert("maximum".into(), json!(m));
                }
                ("integer", None)
            }
            FieldType::Decimal { min, max, .. } => {
                if let Some(m) = min {
                    c.insert(
                        "minimum".into(),
                        json!(m.to_string().parse::<f64>().unwrap_or_default()),
                    );
                }
                if let Some(m) = max {
                    c.insert(
                        "maximum".into(),
                        json!(m.to_string().parse::<f64>().unwrap_or_default()),
                    );
                }
                ("number", None)
            }
            FieldType::Date => ("date", None),
            FieldType::DateTime => ("datetime", None),
            FieldType::Boolean => ("boolean", None),
            FieldType::Email => ("string", Some("email")),
            FieldType::Url => ("string", Some("uri")),
            FieldType::Uuid => ("string", Some("uuid")),
            FieldType::Country => {
                c.insert("pattern".into(), json!("[A-Za-z]{2}"));
                ("string", None)
            }
            FieldType::Currency => {
                c.insert("pattern".into(), json!("[A-Za-z]{3}"));
                ("string", None)
            }
            FieldType::Select { list } | FieldType::Path { list } => {
                if let Some(l) = schema.list(list) {
                    let mut values: Vec<String> = Vec::new();
                    for o in &l.options {
                        for v in [&o.label, &o.code] {
                            if !values.contains(v) {
                                values.push(v.clone());
                            }
                        }
                    }
                    c.insert("enum".into(), json!(values));
                }
                ("string", None)
            }
            FieldType::Link(l) if l.by.len() == 1 && l.by[0] == "uuid" => ("string", Some("uuid")),
            FieldType::Phone { .. }
            | FieldType::Subdivision { .. }
            | FieldType::MultiSelect { .. }
            | FieldType::Link(_) => ("string", None),
        };
        let mut field = serde_json::Map::new();
        field.insert("name".into(), json!(f.name.as_str()));
        field.insert("title".into(), json!(f.label));
        field.insert("type".into(), json!(ty));
        if let Some(fm) = format {
            field.insert("format".into(), json!(fm));
        }
        if matches!(f.field_type, FieldType::Boolean) {
            field.insert(
                "trueValues".into(),
                json!(["true", "TRUE", "True", "t", "T", "yes", "Yes", "YES", "1"]),
            );
            field.insert(
                "falseValues".into(),
                json!(["false", "FALSE", "False", "f", "F", "no", "No", "NO", "0"]),
            );
        }
        let desc = if f.help.is_empty() {
            format_of(schema, rt, f, &schema.locale)
        } else {
            format!("{} ({})", f.help, format_of(schema, rt, f, &schema.locale))
        };
        field.insert("description".into(), json!(desc));
        if !c.is_empty() {
            field.insert("constraints".into(), Json::Object(c));
        }
        fields.push(Json::Object(field));
    }
    let mut out = json!({
        "$schema": "https://specs.frictionlessdata.io/schemas/table-schema.json",
        "name": rt.name,
        "title": rt.label,
        "fields": fields,
        "missingValues": [""],
        "primaryKey": "uuid",
    });
    if !rt.description.is_empty() {
        out["description"] = json!(rt.description);
    }
    out
}
