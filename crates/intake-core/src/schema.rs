//! The schema: record types, fields, lookup lists and links, loaded from TOML.
//!
//! Loading is two steps. The TOML is first read into `raw` structs that keep the byte span of
//! every table, then checked as a whole (`Schema::from_toml`) so that every broken reference
//! is reported with its line, not only the first one. The checked `Schema` is immutable and
//! cheap to share between threads.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use crate::locale::{DateFormat, DateTimeFormat, Locale};
use regex::Regex;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

/// Names reserved for the columns every record has.
pub const RESERVED_FIELD_NAMES: &[&str] = &["uuid", "created_at", "updated_at", "id"];

/// A field name: snake_case, unique within its record type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct FieldName(String);

impl FieldName {
    /// The name as written in the schema.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The record types of one workspace, with their lookup lists and locale defaults.
#[derive(Debug, Clone)]
pub struct Schema {
    /// Short name of the workspace, e.g. `crm`.
    pub name: String,
    /// One paragraph for humans.
    pub description: String,
    /// Default delimiter, separators and formats of the workspace.
    pub locale: Locale,
    /// Lookup lists by name.
    pub lists: BTreeMap<String, LookupList>,
    /// Record types in the order the schema declares them.
    pub types: Vec<RecordType>,
    /// How imports of the workspace treat failing rows unless told otherwise.
    pub import_defaults: ImportDefaults,
}

/// The workspace's defaults for imports (`[workspace]` `on_error` and `response`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportDefaults {
    /// Partial imports: rows with problems are left out and the others written
    /// (`on_error = "skip"`); otherwise all or nothing.
    pub skip_failing_rows: bool,
    /// Failing rows go to a response file next to the imported file unless another is
    /// named (`response = true`).
    pub response_file: bool,
}

impl Schema {
    /// The record type with this name.
    pub fn record_type(&self, name: &str) -> Option<&RecordType> {
        self.types.iter().find(|t| t.name == name)
    }

    /// The lookup list with this name.
    pub fn list(&self, name: &str) -> Option<&LookupList> {
        self.lists.get(name)
    }

    /// Adds the options earlier imports created (`(list, code)`, as the store keeps them) to
    /// the lists, each labelled by its code; options a list has already are left alone.
    pub fn add_options(&mut self, added: &[(String, String)]) {
        for (list, code) in added {
            if let Some(l) = self.lists.get(list)
                && l.find(code).is_none()
            {
                let mut options = l.options.clone();
                options.push(LookupOption {
                    code: code.clone(),
                    label: code.clone(),
                });
                let rebuilt =
                    LookupList::new(l.name.clone(), l.case_insensitive, options, l.separator);
                self.lists.insert(list.clone(), rebuilt);
            }
        }
    }
}

/// One kind of record, stored as one table: `account`, `contact`, ...
#[derive(Debug, Clone)]
pub struct RecordType {
    /// snake_case name, used on the command line and as the table name.
    pub name: String,
    /// What users call one record, e.g. `Account`.
    pub label: String,
    /// One paragraph for humans.
    pub description: String,
    /// Fields in template order.
    pub fields: Vec<Field>,
    /// Natural keys: each a set of fields that identifies a record (besides its UUID).
    pub natural_keys: Vec<Vec<FieldName>>,
}

impl RecordType {
    /// The sets of fields whose values must be unique together, each once: unique fields,
    /// unique-within pairs (parent first) and natural keys. The validator checks them within
    /// a file, the planner against stored records, and the stores make them unique indexes.
    pub fn unique_slots(&self) -> Vec<Vec<usize>> {
        let mut slots: Vec<Vec<usize>> = Vec::new();
        for (fi, f) in self.fields.iter().enumerate() {
            match &f.unique {
                Unique::No => {}
                Unique::InType => slots.push(vec![fi]),
                Unique::Within(parent) => {
                    if let Some(pi) = self.field_index(parent.as_str()) {
                        slots.push(vec![pi, fi]);
                    }
                }
            }
        }
        for key in &self.natural_keys {
            let v: Vec<usize> = key
                .iter()
                .filter_map(|n| self.field_index(n.as_str()))
                .collect();
            if !v.is_empty() && !slots.contains(&v) {
                slots.push(v);
            }
        }
        slots
    }

    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name.as_str() == name)
    }

    /// Index of the field with this name.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name.as_str() == name)
    }

    /// The header of the record's own UUID column in templates, e.g. `Account UUID`.
    pub fn uuid_header(&self) -> String {
        format!("{} UUID", self.label)
    }
}

/// Whether a field's values must be unique, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unique {
    /// Values may repeat.
    No,
    /// Unique among all records of the type.
    InType,
    /// Unique among the records that share the same value of this (link) field.
    Within(FieldName),
}

/// A typed attribute of a record type.
#[derive(Debug, Clone)]
pub struct Field {
    /// snake_case name, also the SQL column.
    pub name: FieldName,
    /// The template header, as users see it.
    pub label: String,
    /// The type with its constraints.
    pub field_type: FieldType,
    /// A new record must have a value.
    pub required: bool,
    /// Uniqueness constraint.
    pub unique: Unique,
    /// Help text shown in templates and descriptions.
    pub help: String,
    /// Other headers that mean this field (matched during mapping).
    pub aliases: Vec<String>,
    /// An example value for templates.
    pub example: Option<String>,
    /// Select fields: the value a new record gets when the cell is empty, from the first rule
    /// whose link the row fills (a rule without a link always applies).
    pub derive: Vec<DeriveRule>,
}

/// One rule of a derived select value: `{ link = "lead", value = "lead" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeriveRule {
    /// A link field of the same type; `None`: the rule always applies.
    pub link: Option<FieldName>,
    /// The option code the field gets.
    pub value: String,
}

/// Which characters a text field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Charset {
    /// Any character (control characters other than TAB, CR and LF are always rejected).
    #[default]
    Any,
    /// Letters and digits only (Unicode letters and digits).
    Alphanumeric,
    /// Letters, digits and spaces.
    AlphanumericSpace,
    /// Printable ASCII only.
    Ascii,
}

impl Charset {
    /// How the charset is named in the schema.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Any => "any",
            Charset::Alphanumeric => "alphanumeric",
            Charset::AlphanumericSpace => "alphanumeric_space",
            Charset::Ascii => "ascii",
        }
    }

    /// What the charset accepts, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Charset::Any => "any characters",
            Charset::Alphanumeric => "letters and digits only",
            Charset::AlphanumericSpace => "letters, digits and spaces only",
            Charset::Ascii => "plain ASCII characters only",
        }
    }
}

/// A compiled pattern with the text it came from.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The regular expression as written in the schema (matched against the whole cell).
    pub source: String,
    /// Compiled, anchored at both ends.
    pub regex: Regex,
    /// Words for users, e.g. `two letters then digits`.
    pub hint: Option<String>,
}

/// Constraints of a text field.
#[derive(Debug, Clone, Default)]
pub struct TextRules {
    /// Minimum length in characters.
    pub min_length: Option<usize>,
    /// Maximum length in characters.
    pub max_length: Option<usize>,
    /// A pattern the whole value must match.
    pub pattern: Option<Pattern>,
    /// Allowed characters.
    pub charset: Charset,
    /// Characters that are never allowed.
    pub forbidden: String,
}

/// How a link cell identifies its target.
#[derive(Debug, Clone)]
pub struct Link {
    /// The target record type.
    pub target: String,
    /// `uuid` and/or unique fields of the target, tried in order.
    pub by: Vec<String>,
    /// Inline creation: a row whose link cell names no stored record (it is empty, or holds
    /// a key nothing has) and that carries the target's own columns creates the target, once
    /// per distinct natural key within the file; later rows link to it.
    pub inline: bool,
    /// Set when the record is created only: a row that updates the record leaves the link as
    /// it is (an account's parent is not changed by import).
    pub fixed: bool,
    /// Fields that a record and the record it links to share (links to the record's own
    /// type only): after an import they hold equal values. Rows that set a shared field
    /// differently on two directly linked records fail; a row that sets it updates the
    /// linked records too.
    pub shares: Vec<FieldName>,
    /// An empty cell takes the target that the record linked by this other link field links
    /// to (a lead's account is its primary contact's account).
    pub implied_by: Option<FieldName>,
    /// With `inline`: the target is created inline only when the row creates the record of
    /// this other inline link too (an opportunity creates its account only with a new contact).
    pub inline_with: Option<FieldName>,
}

/// The type of a field, with its type-specific constraints.
#[derive(Debug, Clone)]
pub enum FieldType {
    /// Free text with optional length, pattern and charset rules.
    Text(TextRules),
    /// A whole number.
    Integer {
        /// Smallest accepted value.
        min: Option<i64>,
        /// Largest accepted value.
        max: Option<i64>,
    },
    /// A decimal number with at most `scale` decimal places.
    Decimal {
        /// Maximum number of decimal places.
        scale: u32,
        /// Smallest accepted value.
        min: Option<Decimal>,
        /// Largest accepted value.
        max: Option<Decimal>,
    },
    /// A calendar date.
    Date,
    /// A date and time.
    DateTime,
    /// true/false (empty means no value).
    Boolean,
    /// An e-mail address (no display name, domain with a dot).
    Email,
    /// A phone number, stored in E.164.
    Phone {
        /// Region for numbers written without a country code (ISO alpha-2).
        region: Option<String>,
    },
    /// An absolute http(s) URL.
    Url,
    /// An ISO 3166-1 alpha-2 country code.
    Country,
    /// An ISO 3166-2 subdivision code, e.g. `US-CA` (or `CA` with a country field).
    Subdivision {
        /// A country field of the same record that qualifies short codes.
        country_field: Option<FieldName>,
    },
    /// An ISO 4217 currency code.
    Currency,
    /// One option of a lookup list.
    Select {
        /// The list's name.
        list: String,
    },
    /// Several options of a lookup list.
    MultiSelect {
        /// The list's name.
        list: String,
        /// Separator between options in a cell.
        separator: char,
    },
    /// A hierarchical option such as `Administrator/Europe/France`.
    Path {
        /// The list of allowed paths.
        list: String,
    },
    /// A reference to a record of another (or the same) type.
    Link(Link),
    /// A UUID value.
    Uuid,
}

impl FieldType {
    /// The type's name in the schema.
    pub fn name(&self) -> &'static str {
        match self {
            FieldType::Text(_) => "text",
            FieldType::Integer { .. } => "integer",
            FieldType::Decimal { .. } => "decimal",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime",
            FieldType::Boolean => "boolean",
            FieldType::Email => "email",
            FieldType::Phone { .. } => "phone",
            FieldType::Url => "url",
            FieldType::Country => "country",
            FieldType::Subdivision { .. } => "subdivision",
            FieldType::Currency => "currency",
            FieldType::Select { .. } => "select",
            FieldType::MultiSelect { .. } => "multiselect",
            FieldType::Path { .. } => "path",
            FieldType::Link(_) => "link",
            FieldType::Uuid => "uuid",
        }
    }

    /// The lookup list this field draws its values from.
    pub fn list(&self) -> Option<&str> {
        match self {
            FieldType::Select { list }
            | FieldType::MultiSelect { list, .. }
            | FieldType::Path { list } => Some(list),
            _ => None,
        }
    }
}

/// An option of a lookup list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LookupOption {
    /// Stable internal code.
    pub code: String,
    /// What users see.
    pub label: String,
}

/// The allowed values of select, multiselect and path fields.
#[derive(Debug, Clone)]
pub struct LookupList {
    /// The list's name.
    pub name: String,
    /// Whether cells match codes and labels ignoring case.
    pub case_insensitive: bool,
    /// Options in display order.
    pub options: Vec<LookupOption>,
    /// Path separator, for lists of paths.
    pub separator: char,
    /// A closed list never grows: `--create-missing-options` does not add to it (a workflow's
    /// statuses).
    pub closed: bool,
    index: FxHashMap<String, usize>,
}

impl LookupList {
    /// Builds a list and its index.
    pub fn new(
        name: impl Into<String>,
        case_insensitive: bool,
        options: Vec<LookupOption>,
        separator: char,
    ) -> Self {
        let mut index = FxHashMap::default();
        // Codes win over labels when a code of one option is the label of another.
        for pass in 0..2 {
            for (i, o) in options.iter().enumerate() {
                let key = if pass == 0 { &o.label } else { &o.code };
                let key = if case_insensitive {
                    key.to_lowercase()
                } else {
                    key.clone()
                };
                index.insert(key, i);
            }
        }
        Self {
            name: name.into(),
            case_insensitive,
            options,
            separator,
            closed: false,
            index,
        }
    }

    /// The option a cell names, by code or label.
    pub fn find(&self, value: &str) -> Option<&LookupOption> {
        let i = if self.case_insensitive {
            self.index.get(&value.to_lowercase())
        } else {
            self.index.get(value)
        };
        i.and_then(|&i| self.options.get(i))
    }

    /// The form of a cell's value that [`LookupList::find`] compares: trimmed, and in lower
    /// case when the list ignores case. Value mappings and the listing of unknown values
    /// group values by it.
    pub fn value_key<'v>(&self, value: &'v str) -> std::borrow::Cow<'v, str> {
        let v = value.trim();
        if self.case_insensitive {
            std::borrow::Cow::Owned(v.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(v)
        }
    }

    /// An option that would match if case were ignored (for hints on exact lists).
    pub fn find_ignoring_case(&self, value: &str) -> Option<&LookupOption> {
        let lower = value.to_lowercase();
        self.options
            .iter()
            .find(|o| o.code.to_lowercase() == lower || o.label.to_lowercase() == lower)
    }
}

/// One problem in a schema file, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// The file (or embedded demo) the schema came from.
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.origin, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.origin, self.message),
            _ => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

/// Every problem found in a schema file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SchemaErrors(pub Vec<SchemaError>);

impl fmt::Display for SchemaErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "the schema has {n} problem{}",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

mod raw {
    //! The TOML shape of a schema file, before it is checked.

    use std::collections::BTreeMap;

    use serde::Deserialize;
    use toml::Spanned;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct File {
        pub workspace: Option<Workspace>,
        pub locale: Option<Spanned<Locale>>,
        #[serde(default)]
        pub lists: BTreeMap<Spanned<String>, Spanned<List>>,
        #[serde(default)]
        pub types: indexmap_like::OrderedTypes,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Workspace {
        pub name: Option<String>,
        pub description: Option<String>,
        pub on_error: Option<Spanned<String>>,
        pub response: Option<bool>,
    }

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub struct Locale {
        pub delimiter: Option<String>,
        pub decimal_separator: Option<String>,
        pub thousands_separator: Option<String>,
        pub date_format: Option<String>,
        pub datetime_format: Option<String>,
        pub phone_region: Option<String>,
        pub clear_token: Option<String>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct List {
        #[serde(default)]
        pub case_insensitive: bool,
        pub separator: Option<String>,
        #[serde(default)]
        pub closed: bool,
        pub options: Vec<Spanned<OptionEntry>>,
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    pub enum OptionEntry {
        Plain(String),
        Full { code: String, label: Option<String> },
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Type {
        pub label: Option<String>,
        pub description: Option<String>,
        #[serde(default)]
        pub natural_keys: Vec<Spanned<Vec<String>>>,
        /// Characters forbidden in every text field of the type.
        pub forbidden: Option<String>,
        #[serde(default)]
        pub fields: Vec<Spanned<Field>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Field {
        pub name: String,
        pub label: Option<String>,
        #[serde(rename = "type")]
        pub field_type: String,
        #[serde(default)]
        pub required: bool,
        pub unique: Option<Unique>,
        pub help: Option<String>,
        #[serde(default)]
        pub aliases: Vec<String>,
        pub example: Option<String>,
        // text
        pub min_length: Option<usize>,
        pub max_length: Option<usize>,
        pub pattern: Option<String>,
        pub pattern_hint: Option<String>,
        pub charset: Option<String>,
        pub forbidden: Option<String>,
        // integer, decimal
        pub min: Option<toml::Value>,
        pub max: Option<toml::Value>,
        pub scale: Option<u32>,
        // phone
        pub region: Option<String>,
        // subdivision
        pub country_field: Option<String>,
        // select, multiselect, path
        pub list: Option<String>,
        pub separator: Option<String>,
        // link
        pub target: Option<String>,
        pub by: Option<By>,
        pub inline: Option<bool>,
        pub fixed: Option<bool>,
        pub shares: Option<Vec<String>>,
        pub implied_by: Option<String>,
        pub inline_with: Option<String>,
        // select
        pub derive: Option<Vec<DeriveRule>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct DeriveRule {
        pub link: Option<String>,
        pub value: String,
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    pub enum Unique {
        Flag(bool),
        Within { within: String },
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    pub enum By {
        One(String),
        Many(Vec<String>),
    }

    pub mod indexmap_like {
        //! Record types keep the order of the file (templates and `intake types` list them so).

        use std::fmt;

        use serde::de::{MapAccess, Visitor};
        use serde::{Deserialize, Deserializer};
        use toml::Spanned;

        use super::Type;

        #[derive(Default)]
        pub struct OrderedTypes(pub Vec<(Spanned<String>, Spanned<Type>)>);

        impl<'de> Deserialize<'de> for OrderedTypes {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = OrderedTypes;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a table of record types")
                    }
                    fn visit_map<A: MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Self::Value, A::Error> {
                        let mut out = Vec::new();
                        while let Some((k, v)) = map.next_entry()? {
                            out.push((k, v));
                        }
                        Ok(OrderedTypes(out))
                    }
                }
                d.deserialize_map(V)
            }
        }
    }
}

struct Loader<'a> {
    origin: &'a str,
    source: &'a str,
    errors: Vec<SchemaError>,
}

impl Loader<'_> {
    fn error(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        let (line, column) = match span {
            Some(s) => {
                let (l, c) = line_col(self.source, s.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        self.errors.push(SchemaError {
            origin: self.origin.to_string(),
            line,
            column,
            message: message.into(),
        });
    }
}

fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
        + 1;
    (line, col)
}

fn is_snake_case(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn single_char(s: &str) -> Option<char> {
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

impl Schema {
    /// Parses and checks a schema file. `origin` names the file in error messages.
    pub fn from_toml(origin: &str, source: &str) -> Result<Schema, SchemaErrors> {
        let mut loader = Loader {
            origin,
            source,
            errors: Vec::new(),
        };
        let file: raw::File = match toml::from_str(source) {
            Ok(f) => f,
            Err(e) => {
                let msg = e.message().trim().to_string();
                loader.error(e.span(), msg);
                return Err(SchemaErrors(loader.errors));
            }
        };
        let schema = build(&mut loader, file);
        if loader.errors.is_empty() {
            Ok(schema)
        } else {
            Err(SchemaErrors(loader.errors))
        }
    }
}

fn build(ld: &mut Loader<'_>, file: raw::File) -> Schema {
    let mut import_defaults = ImportDefaults::default();
    let (name, description) = match file.workspace {
        Some(w) => {
            if let Some(on_error) = w.on_error {
                let span = on_error.span();
                match on_error.into_inner().as_str() {
                    "skip" => import_defaults.skip_failing_rows = true,
                    "abort" => {}
                    other => ld.error(
                        Some(span),
                        format!("workspace `on_error` is `{other}`; expected `abort` (all or nothing) or `skip` (write the valid rows)"),
                    ),
                }
            }
            import_defaults.response_file = w.response.unwrap_or(false);
            (
                w.name.unwrap_or_default(),
                w.description.unwrap_or_default(),
            )
        }
        None => (String::new(), String::new()),
    };
    let locale = match file.locale {
        Some(l) => {
            let span = l.span();
            build_locale(ld, span, l.into_inner())
        }
        None => Locale::default(),
    };

    let mut lists = BTreeMap::new();
    for (lname, list) in file.lists {
        let lspan = lname.span();
        let lname = lname.into_inner();
        if !is_snake_case(&lname) {
            ld.error(
                Some(lspan.clone()),
                format!("list name `{lname}` must be snake_case (a-z, 0-9, _)"),
            );
        }
        let list_span = list.span();
        let list = list.into_inner();
        let separator = match list.separator.as_deref() {
            None => '/',
            Some(s) => single_char(s).unwrap_or_else(|| {
                ld.error(
                    Some(list_span.clone()),
                    format!("list `{lname}`: separator must be one character, not `{s}`"),
                );
                '/'
            }),
        };
        let mut options = Vec::new();
        let mut seen = FxHashMap::default();
        for entry in list.options {
            let span = entry.span();
            let (code, label) = match entry.into_inner() {
                raw::OptionEntry::Plain(s) => (s.clone(), s),
                raw::OptionEntry::Full { code, label } => {
                    let label = label.unwrap_or_else(|| code.clone());
                    (code, label)
                }
            };
            if code.trim().is_empty() {
                ld.error(
                    Some(span),
                    format!("list `{lname}`: an option has an empty code"),
                );
                continue;
            }
            let key = if list.case_insensitive {
                code.to_lowercase()
            } else {
                code.clone()
            };
            if seen.insert(key, ()).is_some() {
                ld.error(
                    Some(span),
                    format!("list `{lname}`: option code `{code}` appears twice"),
                );
                continue;
            }
            options.push(LookupOption { code, label });
        }
        if options.is_empty() {
            ld.error(Some(list_span), format!("list `{lname}` has no options"));
        }
        let mut built = LookupList::new(lname.clone(), list.case_insensitive, options, separator);
        built.closed = list.closed;
        lists.insert(lname, built);
    }

    // Type names first, so links can point forward.
    let type_names: Vec<String> = file
        .types
        .0
        .iter()
        .map(|(n, _)| n.get_ref().clone())
        .collect();
    let mut raw_types = Vec::new();
    for (tname, t) in file.types.0 {
        let tspan = tname.span();
        let tname = tname.into_inner();
        if !is_snake_case(&tname) {
            ld.error(
                Some(tspan.clone()),
                format!("record type name `{tname}` must be snake_case (a-z, 0-9, _)"),
            );
        }
        if type_names.iter().filter(|n| **n == tname).count() > 1 {
            ld.error(
                Some(tspan.clone()),
                format!("record type `{tname}` is declared twice"),
            );
        }
        raw_types.push((tname, t));
    }

    let mut types = Vec::new();
    for (tname, t) in raw_types {
        let tdef_span = t.span();
        let t = t.into_inner();
        let label = t.label.unwrap_or_else(|| title_case(&tname));
        let mut fields: Vec<Field> = Vec::new();
        let mut field_spans = Vec::new();
        let declared = t.fields.len();
        for f in t.fields {
            let span = f.span();
            let f = f.into_inner();
            if let Some(field) = build_field(
                ld,
                span.clone(),
                &tname,
                f,
                t.forbidden.as_deref(),
                &lists,
                &type_names,
            ) {
                if fields.iter().any(|g| g.name == field.name) {
                    ld.error(
                        Some(span.clone()),
                        format!("type `{tname}`: field `{}` is declared twice", field.name),
                    );
                    continue;
                }
                let norm = crate::mapping::normalise(&field.label);
                if let Some(g) = fields
                    .iter()
                    .find(|g| crate::mapping::normalise(&g.label) == norm)
                {
                    ld.error(
                        Some(span.clone()),
                        format!(
                            "type `{tname}`: fields `{}` and `{}` have the same label `{}`; labels are the template headers and must differ",
                            g.name, field.name, field.label
                        ),
                    );
                    continue;
                }
                fields.push(field);
                field_spans.push(span);
            }
        }
        if declared == 0 {
            ld.error(
                Some(tdef_span.clone()),
                format!("type `{tname}` has no fields (add `[[types.{tname}.fields]]` tables)"),
            );
        }
        // Cross-field checks within the type.
        for (f, span) in fields.iter().zip(&field_spans) {
            if let Unique::Within(other) = &f.unique {
                match fields.iter().find(|g| &g.name == other) {
                    Some(g) if matches!(g.field_type, FieldType::Link(_)) => {}
                    Some(_) => ld.error(
                        Some(span.clone()),
                        format!("field `{}`: `unique = {{ within = \"{other}\" }}` must name a link field", f.name),
                    ),
                    None => ld.error(
                        Some(span.clone()),
                        format!("field `{}`: `unique.within` names `{other}`, which is not a field of `{tname}`", f.name),
                    ),
                }
            }
            if let FieldType::Subdivision {
                country_field: Some(cf),
            } = &f.field_type
            {
                match fields.iter().find(|g| &g.name == cf) {
                    Some(g) if matches!(g.field_type, FieldType::Country) => {}
                    _ => ld.error(
                        Some(span.clone()),
                        format!("field `{}`: `country_field = \"{cf}\"` must name a country field of `{tname}`", f.name),
                    ),
                }
            }
        }
        let mut natural_keys = Vec::new();
        for key in t.natural_keys {
            let span = key.span();
            let key = key.into_inner();
            if key.is_empty() {
                ld.error(
                    Some(span),
                    format!("type `{tname}`: a natural key must name at least one field"),
                );
                continue;
            }
            let mut names = Vec::new();
            for k in key {
                match fields.iter().find(|f| f.name.as_str() == k) {
                    Some(f) => names.push(f.name.clone()),
                    None => ld.error(
                        Some(span.clone()),
                        format!(
                            "type `{tname}`: natural key field `{k}` is not a field of `{tname}`"
                        ),
                    ),
                }
            }
            natural_keys.push(names);
        }
        types.push(RecordType {
            name: tname,
            label,
            description: t.description.unwrap_or_default(),
            fields,
            natural_keys,
        });
    }

    // Links: `by` must name `uuid` or a unique field / single-field natural key of the target.
    let mut link_errors = Vec::new();
    for t in &types {
        for f in &t.fields {
            if let FieldType::Link(link) = &f.field_type {
                let Some(target) = types.iter().find(|x| x.name == link.target) else {
                    continue; // reported in build_field
                };
                for by in &link.by {
                    if by == "uuid" {
                        continue;
                    }
                    let ok = target.fields.iter().any(|g| {
                        g.name.as_str() == by
                            && (g.unique == Unique::InType
                                || target
                                    .natural_keys
                                    .iter()
                                    .any(|k| k.len() == 1 && k[0] == g.name))
                    });
                    if !ok {
                        link_errors.push(format!(
                            "type `{}`, field `{}`: links find `{}` records by `{by}`, which is not `uuid` nor a unique field of `{}`",
                            t.name, f.name, link.target, link.target
                        ));
                    }
                }
                if !link.shares.is_empty() && link.target != t.name {
                    link_errors.push(format!(
                        "type `{}`, field `{}`: `shares` is for links between records of one type, but this link goes to `{}`",
                        t.name, f.name, link.target
                    ));
                }
                for s in &link.shares {
                    match t.fields.iter().find(|g| g.name == *s) {
                        None => link_errors.push(format!(
                            "type `{}`, field `{}`: `shares` names `{s}`, which is not a field of `{}`",
                            t.name, f.name, t.name
                        )),
                        Some(g) if g.name == f.name => link_errors.push(format!(
                            "type `{}`, field `{}`: a link cannot share itself",
                            t.name, f.name
                        )),
                        Some(g) if g.unique != Unique::No => link_errors.push(format!(
                            "type `{}`, field `{}`: `shares` names `{s}`, which is unique: linked records cannot hold equal values of it",
                            t.name, f.name
                        )),
                        Some(_) => {}
                    }
                }
                if let Some(via) = &link.implied_by {
                    let ok = t.fields.iter().any(|g| {
                        g.name == *via
                            && g.name != f.name
                            && matches!(&g.field_type, FieldType::Link(l) if types.iter().any(|x| x.name == l.target && x.fields.iter().any(|h| matches!(&h.field_type, FieldType::Link(m) if m.target == link.target))))
                    });
                    if !ok {
                        link_errors.push(format!(
                            "type `{}`, field `{}`: `implied_by = \"{via}\"` must name another link field of `{}` whose target links to `{}`",
                            t.name, f.name, t.name, link.target
                        ));
                    }
                }
                if let Some(with) = &link.inline_with {
                    let ok = link.inline
                        && t.fields.iter().any(|g| {
                            g.name == *with
                                && g.name != f.name
                                && matches!(&g.field_type, FieldType::Link(l) if l.inline)
                        });
                    if !ok {
                        link_errors.push(format!(
                            "type `{}`, field `{}`: `inline_with = \"{with}\"` needs `inline = true` here and must name another link field of `{}` with `inline = true`",
                            t.name, f.name, t.name
                        ));
                    }
                }
                if link.inline && target.natural_keys.is_empty() {
                    link_errors.push(format!(
                        "type `{}`, field `{}`: `inline = true` needs a natural key on `{}` (`natural_keys = [[\"field\"]]`): it tells which rows mean the same new record",
                        t.name, f.name, link.target
                    ));
                }
            }
        }
    }
    // Derived select values: links of the same type, options of the field's list.
    for t in &types {
        for f in &t.fields {
            for r in &f.derive {
                if let Some(l) = &r.link
                    && !t
                        .fields
                        .iter()
                        .any(|g| g.name == *l && matches!(g.field_type, FieldType::Link(_)))
                {
                    link_errors.push(format!(
                        "type `{}`, field `{}`: `derive` names `{l}`, which is not a link field of `{}`",
                        t.name, f.name, t.name
                    ));
                }
                let known = f
                    .field_type
                    .list()
                    .and_then(|l| lists.get(l))
                    .is_some_and(|l| l.options.iter().any(|o| o.code == r.value));
                if !known {
                    link_errors.push(format!(
                        "type `{}`, field `{}`: `derive` value `{}` is not an option code of its list",
                        t.name, f.name, r.value
                    ));
                }
            }
        }
    }
    for e in link_errors {
        ld.error(None, e);
    }
    if types.is_empty() {
        ld.error(
            None,
            "the schema declares no record types (add a `[types.NAME]` table)",
        );
    }

    Schema {
        name,
        description,
        locale,
        lists,
        types,
        import_defaults,
    }
}

fn title_case(snake: &str) -> String {
    snake
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn build_locale(ld: &mut Loader<'_>, span: Range<usize>, l: raw::Locale) -> Locale {
    let mut locale = Locale::default();
    if let Some(d) = l.delimiter {
        match crate::locale::parse_delimiter(&d) {
            Some(c) => locale.delimiter = Some(c),
            None => ld.error(
                Some(span.clone()),
                format!("locale: delimiter `{d}` must be one of `,` `;` `|` or `tab`"),
            ),
        }
    }
    if let Some(d) = l.decimal_separator {
        match single_char(&d) {
            Some(c @ ('.' | ',')) => locale.decimal_separator = c,
            _ => ld.error(
                Some(span.clone()),
                format!("locale: decimal_separator `{d}` must be `.` or `,`"),
            ),
        }
    }
    if let Some(t) = l.thousands_separator {
        if t.is_empty() {
            locale.thousands_separator = None;
        } else {
            match single_char(&t) {
                Some(c @ ('.' | ',' | ' ' | '\'' | '\u{a0}' | '\u{202f}')) => {
                    locale.thousands_separator = Some(c)
                }
                _ => ld.error(
                    Some(span.clone()),
                    format!(
                        "locale: thousands_separator `{t}` must be `,` `.` a space, `'` or empty"
                    ),
                ),
            }
        }
    }
    if locale.thousands_separator == Some(locale.decimal_separator) {
        ld.error(
            Some(span.clone()),
            "locale: decimal_separator and thousands_separator must differ",
        );
    }
    if let Some(f) = l.date_format {
        match DateFormat::parse(&f) {
            Ok(df) => locale.date_format = df,
            Err(e) => ld.error(Some(span.clone()), format!("locale: date_format: {e}")),
        }
    }
    if let Some(f) = l.datetime_format {
        match DateTimeFormat::parse(&f) {
            Ok(df) => locale.datetime_format = df,
            Err(e) => ld.error(Some(span.clone()), format!("locale: datetime_format: {e}")),
        }
    }
    if let Some(r) = l.phone_region {
        if crate::cell::phone_region(&r).is_some() {
            locale.phone_region = Some(r);
        } else {
            ld.error(
                Some(span.clone()),
                format!("locale: phone_region `{r}` is not a known ISO 3166-1 alpha-2 region"),
            );
        }
    }
    if let Some(t) = l.clear_token {
        locale.clear_token = t;
    }
    locale
}

/// Keys of a field table that only some types accept.
fn allowed_keys(field_type: &str) -> &'static [&'static str] {
    match field_type {
        "text" => &[
            "min_length",
            "max_length",
            "pattern",
            "pattern_hint",
            "charset",
            "forbidden",
        ],
        "integer" => &["min", "max"],
        "decimal" => &["min", "max", "scale"],
        "phone" => &["region"],
        "subdivision" => &["country_field"],
        "select" => &["list", "derive"],
        "path" => &["list"],
        "multiselect" => &["list", "separator"],
        "link" => &[
            "target",
            "by",
            "inline",
            "fixed",
            "shares",
            "implied_by",
            "inline_with",
        ],
        _ => &[],
    }
}

/// The names of every field type, as written in the schema.
pub const FIELD_TYPES: &[&str] = &[
    "text",
    "integer",
    "decimal",
    "date",
    "datetime",
    "boolean",
    "email",
    "phone",
    "url",
    "country",
    "subdivision",
    "currency",
    "select",
    "multiselect",
    "path",
    "link",
    "uuid",
];

#[allow(clippy::too_many_arguments)]
fn build_field(
    ld: &mut Loader<'_>,
    span: Range<usize>,
    tname: &str,
    f: raw::Field,
    type_forbidden: Option<&str>,
    lists: &BTreeMap<String, LookupList>,
    type_names: &[String],
) -> Option<Field> {
    let fname = f.name.clone();
    let at = |what: &str| format!("type `{tname}`, field `{fname}`: {what}");
    if !is_snake_case(&f.name) {
        ld.error(
            Some(span.clone()),
            at("the name must be snake_case (a-z, 0-9, _)"),
        );
        return None;
    }
    if RESERVED_FIELD_NAMES.contains(&f.name.as_str()) {
        ld.error(
            Some(span.clone()),
            at("this name is reserved: every record already has `uuid`, `created_at` and `updated_at`"),
        );
        return None;
    }
    let ty = f.field_type.as_str();
    if !FIELD_TYPES.contains(&ty) {
        ld.error(
            Some(span.clone()),
            at(&format!(
                "unknown type `{ty}`; expected one of {}",
                FIELD_TYPES.join(", ")
            )),
        );
        return None;
    }
    // Type-specific keys on the wrong type are mistakes, not silently ignored.
    let present: [(&str, bool); 20] = [
        ("min_length", f.min_length.is_some()),
        ("max_length", f.max_length.is_some()),
        ("pattern", f.pattern.is_some()),
        ("pattern_hint", f.pattern_hint.is_some()),
        ("charset", f.charset.is_some()),
        ("forbidden", f.forbidden.is_some()),
        ("min", f.min.is_some()),
        ("max", f.max.is_some()),
        ("scale", f.scale.is_some()),
        ("region", f.region.is_some()),
        ("country_field", f.country_field.is_some()),
        ("list", f.list.is_some()),
        ("separator", f.separator.is_some()),
        ("target", f.target.is_some() || f.by.is_some()),
        ("inline", f.inline.is_some()),
        ("fixed", f.fixed.is_some()),
        ("shares", f.shares.is_some()),
        ("implied_by", f.implied_by.is_some()),
        ("inline_with", f.inline_with.is_some()),
        ("derive", f.derive.is_some()),
    ];
    let allowed = allowed_keys(ty);
    let mut ok = true;
    for (key, set) in present {
        if set && !allowed.contains(&key) {
            ld.error(
                Some(span.clone()),
                at(&format!("`{key}` does not apply to {ty} fields")),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let check_list = |ld: &mut Loader<'_>, list: &Option<String>| -> Option<String> {
        match list {
            None => {
                ld.error(
                    Some(span.clone()),
                    at(&format!("a {ty} field needs `list = \"NAME\"`")),
                );
                None
            }
            Some(l) if !lists.contains_key(l) => {
                ld.error(
                    Some(span.clone()),
                    at(&format!("list `{l}` is not declared (add `[lists.{l}]`)")),
                );
                None
            }
            Some(l) => Some(l.clone()),
        }
    };
    let field_type = match ty {
        "text" => {
            let pattern = match f.pattern {
                Some(p) => match Regex::new(&format!("^(?:{p})$")) {
                    Ok(regex) => Some(Pattern {
                        source: p,
                        regex,
                        hint: f.pattern_hint,
                    }),
                    Err(e) => {
                        let first = e
                            .to_string()
                            .lines()
                            .last()
                            .unwrap_or_default()
                            .trim()
                            .to_string();
                        ld.error(
                            Some(span.clone()),
                            at(&format!(
                                "the pattern `{p}` is not a valid regular expression: {first}"
                            )),
                        );
                        return None;
                    }
                },
                None => None,
            };
            let charset = match f.charset.as_deref() {
                None | Some("any") => Charset::Any,
                Some("alphanumeric") => Charset::Alphanumeric,
                Some("alphanumeric_space") => Charset::AlphanumericSpace,
                Some("ascii") => Charset::Ascii,
                Some(other) => {
                    ld.error(Some(span.clone()), at(&format!("charset `{other}` is unknown; expected any, alphanumeric, alphanumeric_space or ascii")));
                    return None;
                }
            };
            if let (Some(a), Some(b)) = (f.min_length, f.max_length)
                && a > b
            {
                ld.error(
                    Some(span.clone()),
                    at(&format!("min_length {a} is greater than max_length {b}")),
                );
            }
            let mut forbidden = type_forbidden.unwrap_or_default().to_string();
            for c in f.forbidden.unwrap_or_default().chars() {
                if !forbidden.contains(c) {
                    forbidden.push(c);
                }
            }
            FieldType::Text(TextRules {
                min_length: f.min_length,
                max_length: f.max_length,
                pattern,
                charset,
                forbidden,
            })
        }
        "integer" => {
            let min = int_bound(ld, &span, &at, "min", f.min.as_ref());
            let max = int_bound(ld, &span, &at, "max", f.max.as_ref());
            if let (Some(a), Some(b)) = (min, max)
                && a > b
            {
                ld.error(
                    Some(span.clone()),
                    at(&format!("min {a} is greater than max {b}")),
                );
            }
            FieldType::Integer { min, max }
        }
        "decimal" => {
            let scale = f.scale.unwrap_or(2);
            if scale > 18 {
                ld.error(
                    Some(span.clone()),
                    at(&format!(
                        "scale {scale} is too large (at most 18 decimal places)"
                    )),
                );
            }
            let min = dec_bound(ld, &span, &at, "min", f.min.as_ref());
            let max = dec_bound(ld, &span, &at, "max", f.max.as_ref());
            if let (Some(a), Some(b)) = (min, max)
                && a > b
            {
                ld.error(
                    Some(span.clone()),
                    at(&format!("min {a} is greater than max {b}")),
                );
            }
            FieldType::Decimal { scale, min, max }
        }
        "date" => FieldType::Date,
        "datetime" => FieldType::DateTime,
        "boolean" => FieldType::Boolean,
        "email" => FieldType::Email,
        "phone" => {
            if let Some(r) = &f.region
                && crate::cell::phone_region(r).is_none()
            {
                ld.error(
                    Some(span.clone()),
                    at(&format!(
                        "region `{r}` is not a known ISO 3166-1 alpha-2 region"
                    )),
                );
            }
            FieldType::Phone { region: f.region }
        }
        "url" => FieldType::Url,
        "country" => FieldType::Country,
        "subdivision" => FieldType::Subdivision {
            country_field: f.country_field.map(FieldName),
        },
        "currency" => FieldType::Currency,
        "select" => FieldType::Select {
            list: check_list(ld, &f.list)?,
        },
        "path" => FieldType::Path {
            list: check_list(ld, &f.list)?,
        },
        "multiselect" => {
            let list = check_list(ld, &f.list)?;
            let separator = match f.separator.as_deref() {
                None => ';',
                Some(s) => match single_char(s) {
                    Some(c) if !c.is_alphanumeric() => c,
                    _ => {
                        ld.error(
                            Some(span.clone()),
                            at(&format!(
                                "separator `{s}` must be one punctuation character"
                            )),
                        );
                        return None;
                    }
                },
            };
            FieldType::MultiSelect { list, separator }
        }
        "link" => {
            let Some(target) = f.target else {
                ld.error(
                    Some(span.clone()),
                    at("a link field needs `target = \"TYPE\"`"),
                );
                return None;
            };
            if !type_names.contains(&target) {
                ld.error(
                    Some(span.clone()),
                    at(&format!(
                        "target `{target}` is not a record type of this schema"
                    )),
                );
                return None;
            }
            let by = match f.by {
                None => vec!["uuid".to_string()],
                Some(raw::By::One(s)) => vec![s],
                Some(raw::By::Many(v)) if !v.is_empty() => v,
                Some(raw::By::Many(_)) => {
                    ld.error(Some(span.clone()), at("`by` must name at least one key"));
                    return None;
                }
            };
            FieldType::Link(Link {
                target,
                by,
                inline: f.inline.unwrap_or(false),
                fixed: f.fixed.unwrap_or(false),
                shares: f
                    .shares
                    .unwrap_or_default()
                    .into_iter()
                    .map(FieldName)
                    .collect(),
                implied_by: f.implied_by.map(FieldName),
                inline_with: f.inline_with.map(FieldName),
            })
        }
        "uuid" => FieldType::Uuid,
        _ => return None,
    };
    let unique = match f.unique {
        None | Some(raw::Unique::Flag(false)) => Unique::No,
        Some(raw::Unique::Flag(true)) => Unique::InType,
        Some(raw::Unique::Within { within }) => Unique::Within(FieldName(within)),
    };
    let label = f.label.unwrap_or_else(|| title_case(&f.name));
    if label.trim().is_empty() {
        ld.error(Some(span.clone()), at("the label must not be empty"));
    }
    Some(Field {
        name: FieldName(f.name),
        label,
        field_type,
        required: f.required,
        unique,
        help: f.help.unwrap_or_default(),
        aliases: f.aliases,
        example: f.example,
        derive: f
            .derive
            .unwrap_or_default()
            .into_iter()
            .map(|r| DeriveRule {
                link: r.link.map(FieldName),
                value: r.value,
            })
            .collect(),
    })
}

fn int_bound(
    ld: &mut Loader<'_>,
    span: &Range<usize>,
    at: &dyn Fn(&str) -> String,
    key: &str,
    v: Option<&toml::Value>,
) -> Option<i64> {
    match v? {
        toml::Value::Integer(i) => Some(*i),
        other => {
            ld.error(
                Some(span.clone()),
                at(&format!("`{key}` must be a whole number, not `{other}`")),
            );
            None
        }
    }
}

fn dec_bound(
    ld: &mut Loader<'_>,
    span: &Range<usize>,
    at: &dyn Fn(&str) -> String,
    key: &str,
    v: Option<&toml::Value>,
) -> Option<Decimal> {
    let parsed = match v? {
        toml::Value::Integer(i) => Some(Decimal::from(*i)),
        toml::Value::String(s) => s.parse::<Decimal>().ok(),
        toml::Value::Float(f) => f.to_string().parse::<Decimal>().ok(),
        _ => None,
    };
    if parsed.is_none() {
        ld.error(Some(span.clone()), at(&format!("`{key}` must be a number")));
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(src: &str) -> String {
        match Schema::from_toml("intake.toml", src) {
            Ok(_) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    const FIELD: &str = "[types.t]\n[[types.t.fields]]\nname = \"a\"\ntype = \"text\"\n";

    #[test]
    fn a_minimal_schema_loads_with_defaults() {
        let s = Schema::from_toml("intake.toml", FIELD).unwrap();
        let t = &s.types[0];
        assert_eq!((t.name.as_str(), t.label.as_str()), ("t", "T"));
        assert_eq!(t.fields[0].label, "A");
        assert_eq!(s.locale, Locale::default());
    }

    #[test]
    fn syntax_errors_name_the_line() {
        insta::assert_snapshot!(errors("[types.t]\nlabel = \"x\n"), @r#"
        the schema has 1 problem
          intake.toml:2:11: invalid basic string, expected `"`
        "#);
        insta::assert_snapshot!(errors("[type.t]\n"), @r"
        the schema has 1 problem
          intake.toml:1:2: unknown field `type`, expected one of `workspace`, `locale`, `lists`, `types`
        ");
    }

    #[test]
    fn every_broken_reference_is_reported_with_its_line() {
        let src = r#"
[lists.stage]
options = ["a", "a"]

[types.contact]
natural_keys = [["emial"]]

[[types.contact.fields]]
name = "email"
type = "email"
unique = { within = "account" }

[[types.contact.fields]]
name = "stage"
type = "select"
list = "stages"

[[types.contact.fields]]
name = "Bad Name"
type = "text"

[[types.contact.fields]]
name = "score"
type = "integer"
min = 10
max = 1
scale = 2

[[types.contact.fields]]
name = "owner"
type = "link"
target = "user"
by = "name"

[[types.contact.fields]]
name = "created_at"
type = "datetime"
"#;
        insta::assert_snapshot!(errors(src), @r"
        the schema has 8 problems
          intake.toml:3:17: list `stage`: option code `a` appears twice
          intake.toml:13:1: type `contact`, field `stage`: list `stages` is not declared (add `[lists.stages]`)
          intake.toml:18:1: type `contact`, field `Bad Name`: the name must be snake_case (a-z, 0-9, _)
          intake.toml:22:1: type `contact`, field `score`: `scale` does not apply to integer fields
          intake.toml:29:1: type `contact`, field `owner`: target `user` is not a record type of this schema
          intake.toml:35:1: type `contact`, field `created_at`: this name is reserved: every record already has `uuid`, `created_at` and `updated_at`
          intake.toml:8:1: field `email`: `unique.within` names `account`, which is not a field of `contact`
          intake.toml:6:17: type `contact`: natural key field `emial` is not a field of `contact`
        ");
    }

    #[test]
    fn derived_values_name_links_of_the_type_and_options_of_the_list() {
        let src = "[lists.kind]\noptions = [\"a\", \"b\"]\n\
                   [types.user]\n[[types.user.fields]]\nname = \"name\"\ntype = \"text\"\n\
                   [types.task]\n[[types.task.fields]]\nname = \"owner\"\ntype = \"link\"\ntarget = \"user\"\n\
                   [[types.task.fields]]\nname = \"note\"\ntype = \"text\"\n\
                   [[types.task.fields]]\nname = \"kind\"\ntype = \"select\"\nlist = \"kind\"\n\
                   derive = [{ link = \"note\", value = \"a\" }, { value = \"c\" }]\n";
        insta::assert_snapshot!(errors(src), @r"
        the schema has 2 problems
          intake.toml: type `task`, field `kind`: `derive` names `note`, which is not a link field of `task`
          intake.toml: type `task`, field `kind`: `derive` value `c` is not an option code of its list
        ");
        let ok = src
            .replace("link = \"note\"", "link = \"owner\"")
            .replace("value = \"c\"", "value = \"b\"");
        assert_eq!(errors(&ok), "ok");
    }

    #[test]
    fn links_must_find_targets_by_a_unique_key() {
        let src = "[types.user]\n[[types.user.fields]]\nname = \"name\"\ntype = \"text\"\n\
                   [types.task]\n[[types.task.fields]]\nname = \"owner\"\ntype = \"link\"\ntarget = \"user\"\nby = [\"uuid\", \"name\"]\n";
        insta::assert_snapshot!(errors(src), @r"
        the schema has 1 problem
          intake.toml: type `task`, field `owner`: links find `user` records by `name`, which is not `uuid` nor a unique field of `user`
        ");
        let ok = src.replace(
            "type = \"text\"\n[types.task]",
            "type = \"text\"\nunique = true\n[types.task]",
        );
        assert_eq!(errors(&ok), "ok");
    }

    #[test]
    fn labels_must_differ_as_headers() {
        let src = "[types.t]\n[[types.t.fields]]\nname = \"a\"\nlabel = \"E-mail\"\ntype = \"text\"\n[[types.t.fields]]\nname = \"b\"\nlabel = \"e mail\"\ntype = \"text\"\n";
        assert!(
            errors(src).contains("have the same label"),
            "{}",
            errors(src)
        );
    }

    #[test]
    fn locale_and_patterns_are_checked() {
        let src = format!(
            "[locale]\ndate_format = \"DD/MM\"\ndecimal_separator = \";\"\n{FIELD}pattern = \"[a-\"\n"
        );
        let e = errors(&src);
        assert!(
            e.contains("decimal_separator `;` must be `.` or `,`"),
            "{e}"
        );
        assert!(e.contains("date_format"), "{e}");
        assert!(e.contains("is not a valid regular expression"), "{e}");
    }

    #[test]
    fn record_types_keep_file_order() {
        let src = "[types.zeta]\n[[types.zeta.fields]]\nname = \"a\"\ntype = \"text\"\n[types.alpha]\n[[types.alpha.fields]]\nname = \"a\"\ntype = \"text\"\n";
        let s = Schema::from_toml("t", src).unwrap();
        assert_eq!(
            s.types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["zeta", "alpha"]
        );
    }

    #[test]
    fn lookup_lists_match_codes_before_labels_and_case_per_list() {
        let opts = vec![
            LookupOption {
                code: "A".into(),
                label: "B".into(),
            },
            LookupOption {
                code: "B".into(),
                label: "Other".into(),
            },
        ];
        let l = LookupList::new("l", false, opts.clone(), '/');
        assert_eq!(
            l.find("B").map(|o| o.code.as_str()),
            Some("B"),
            "a code wins over another option's label"
        );
        assert_eq!(l.find("other"), None);
        let ci = LookupList::new("l", true, opts, '/');
        assert_eq!(ci.find("other").map(|o| o.code.as_str()), Some("B"));
    }
}
