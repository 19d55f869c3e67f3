// Fuzz driver `cell`: any string through every cell parser of `intake_core::cell`.
//
// Shared by `fuzz/fuzz_targets/cell.rs` and `crates/intake-core/tests/fuzz_regressions.rs`
// (through `include!`), so keep it free of anything but `std` and `intake_core`.
//
// The input is read as UTF-8 (invalid bytes replaced). When it has a line break, the first
// line is a parameter and the rest is the cell: the parameter is tried as a date format, a
// date-time format, a row's country and a phone region, on top of the fixed ones. Without a
// line break the whole input is the cell.
//
// The cell goes through each parser named in the module (numbers in both formats, dates,
// date-times, e-mail, phone, URL, country, subdivision, currency, UUID, text with rules), then
// through `cell::parse` and `cell::judged_value` for every field of the fields below and of
// the crm demo, and every message is built. Only a panic is a failure.

use std::sync::LazyLock;

use intake_core::cell::{self, CellFormats, NumberFormat};
use intake_core::locale::{DateFormat, DateTimeFormat};
use intake_core::schema::{FieldType, Schema};

/// Every field type and text rule, with small bounds so that the fuzzer reaches them.
const FIELDS: &str = r#"
[workspace]
name = "fuzz"

[lists.tier]
case_insensitive = true
options = ["Gold", { code = "s", label = "Silver" }, "Bronze"]

[lists.role]
separator = "/"
options = ["Admin", "Admin/Europe", "Admin/Europe/France", "Sales"]

[types.thing]
forbidden = "|"

[[types.thing.fields]]
name = "code"
type = "text"
unique = true
min_length = 2
max_length = 6
pattern = "[A-Z]{2}[0-9]{0,4}"
pattern_hint = "two capital letters then digits"

[[types.thing.fields]]
name = "word"
type = "text"
charset = "alphanumeric"
max_length = 12

[[types.thing.fields]]
name = "words"
type = "text"
charset = "alphanumeric_space"
forbidden = ",;"

[[types.thing.fields]]
name = "plain"
type = "text"
charset = "ascii"
pattern = "(a|b)+c*\\d?"

[[types.thing.fields]]
name = "free"
type = "text"

[[types.thing.fields]]
name = "count"
type = "integer"
min = -5
max = 1000

[[types.thing.fields]]
name = "any_count"
type = "integer"

[[types.thing.fields]]
name = "price"
type = "decimal"
scale = 2
min = 0
max = 99999.99

[[types.thing.fields]]
name = "ratio"
type = "decimal"
scale = 18

[[types.thing.fields]]
name = "day"
type = "date"

[[types.thing.fields]]
name = "at"
type = "datetime"

[[types.thing.fields]]
name = "flag"
type = "boolean"

[[types.thing.fields]]
name = "mail"
type = "email"

[[types.thing.fields]]
name = "phone"
type = "phone"
region = "US"

[[types.thing.fields]]
name = "any_phone"
type = "phone"

[[types.thing.fields]]
name = "site"
type = "url"

[[types.thing.fields]]
name = "country"
type = "country"

[[types.thing.fields]]
name = "state"
type = "subdivision"
country_field = "country"

[[types.thing.fields]]
name = "money"
type = "currency"

[[types.thing.fields]]
name = "tier"
type = "select"
list = "tier"

[[types.thing.fields]]
name = "tiers"
type = "multiselect"
list = "tier"
separator = ";"

[[types.thing.fields]]
name = "role"
type = "path"
list = "role"

[[types.thing.fields]]
name = "parent"
type = "link"
target = "thing"

[[types.thing.fields]]
name = "by_code"
type = "link"
target = "thing"
by = ["uuid", "code"]

[[types.thing.fields]]
name = "ref_id"
type = "uuid"
"#;

static SCHEMAS: LazyLock<[Schema; 2]> = LazyLock::new(|| {
    [
        Schema::from_toml("fuzz", FIELDS).expect("the fuzz schema loads"),
        intake_core::demo::demo("crm")
            .expect("the crm demo exists")
            .schema()
            .expect("the crm demo schema loads"),
    ]
});

static DATE_FORMATS: LazyLock<Vec<DateFormat>> = LazyLock::new(|| {
    let mut formats = vec![DateFormat::iso()];
    for f in [
        "DD/MM/YYYY",
        "MM/DD/YYYY",
        "DD.MM.YY",
        "YYYY/MM/DD",
        "%d %b %Y",
    ] {
        formats.push(DateFormat::parse(f).expect("a valid date format"));
    }
    formats
});

static DATETIME_FORMATS: LazyLock<Vec<DateTimeFormat>> = LazyLock::new(|| {
    let mut formats = vec![DateTimeFormat::iso()];
    for f in ["DD/MM/YYYY hh:mm", "MM/DD/YY hh:mm:ss"] {
        formats.push(DateTimeFormat::parse(f).expect("a valid date-time format"));
    }
    formats
});

const NUMBER_FORMATS: [NumberFormat; 4] = [
    NumberFormat {
        decimal: '.',
        thousands: Some(','),
    },
    NumberFormat {
        decimal: ',',
        thousands: Some('.'),
    },
    NumberFormat {
        decimal: ',',
        thousands: Some('\u{202f}'),
    },
    NumberFormat {
        decimal: '.',
        thousands: None,
    },
];

pub fn run(data: &[u8]) {
    let input = String::from_utf8_lossy(data);
    let (param, raw) = match input.split_once('\n') {
        Some((param, raw)) => (Some(param), raw),
        None => (None, &*input),
    };

    let extra_date = param.and_then(|p| DateFormat::parse(p).ok());
    let extra_datetime = param.and_then(|p| DateTimeFormat::parse(p).ok());
    let date_formats: Vec<&DateFormat> = DATE_FORMATS.iter().chain(&extra_date).collect();
    let datetime_formats: Vec<&DateTimeFormat> =
        DATETIME_FORMATS.iter().chain(&extra_datetime).collect();
    let mut countries = vec![None, Some("US"), Some("gb")];
    countries.extend(param.map(Some));
    let mut regions = vec![None, cell::phone_region("GB")];
    regions.extend(param.map(cell::phone_region));

    // Each parser on its own.
    for f in NUMBER_FORMATS
        .into_iter()
        .chain(NUMBER_FORMATS[0].swapped())
    {
        if let Some(n) = cell::parse_number(raw, f) {
            let _ = n.to_decimal();
            let _ = n.to_i64();
        }
        let _ = f.describe();
        let _ = cell::parse_integer(raw, f, Some(-10), Some(10));
        let _ = cell::parse_decimal(raw, f, 2, None, None);
    }
    for fmt in &date_formats {
        let _ = cell::parse_date(raw, fmt);
        let _ = cell::date_expectation(fmt);
        if let Some(twin) = fmt.twin() {
            let _ = cell::read_date(raw, &twin);
        }
    }
    for fmt in &datetime_formats {
        let _ = cell::read_datetime(raw, fmt);
        let _ = cell::parse_datetime(raw, fmt);
    }
    let _ = cell::parse_boolean(raw);
    let _ = cell::parse_email(raw);
    for &region in &regions {
        let _ = cell::parse_phone(raw, region);
    }
    let _ = cell::parse_url(raw);
    let _ = cell::parse_country(raw);
    for &country in &countries {
        let _ = cell::parse_subdivision(raw, country);
    }
    let _ = cell::parse_currency(raw);
    let _ = cell::parse_uuid(raw);

    // Every field, with its rules and lists, as validation calls it.
    for schema in SCHEMAS.iter() {
        for rt in &schema.types {
            for field in &rt.fields {
                let list = field.field_type.list().and_then(|name| schema.list(name));
                if let FieldType::Text(rules) = &field.field_type {
                    let _ = cell::check_text(raw, rules);
                }
                // Formats and the row's country only matter to some types.
                let combinations = match field.field_type {
                    FieldType::Integer { .. }
                    | FieldType::Decimal { .. }
                    | FieldType::Date
                    | FieldType::DateTime
                    | FieldType::Phone { .. }
                    | FieldType::Subdivision { .. } => date_formats.len(),
                    _ => 1,
                };
                for (i, fmt) in date_formats.iter().take(combinations).enumerate() {
                    let formats = CellFormats {
                        number: NUMBER_FORMATS[i % NUMBER_FORMATS.len()],
                        date: fmt,
                        datetime: datetime_formats[i % datetime_formats.len()],
                        phone_region: regions[i % regions.len()],
                    };
                    let country = countries[i % countries.len()];
                    if let Ok(value) = cell::parse(field, list, raw, &formats, country) {
                        let mut key = String::new();
                        value.unique_key(&mut key);
                    }
                    let _ = cell::judged_value(field, raw, &formats);
                }
            }
        }
    }
}
