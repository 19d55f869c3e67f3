//! Cell parsing: one text cell and a field in, a typed [`Value`] or a [`CellError`] out.
//!
//! Every parser says, when it rejects a value, what would have been accepted. Empty cells and
//! the clear token are handled by the validator before a parser is called.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use email_address::EmailAddress;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::locale::{DateFormat, DateTimeFormat, digits, parse_iso_date};
use crate::report::ProblemCode;
use crate::schema::{Charset, Field, FieldType, LookupList, TextRules};

/// A parsed cell. Text borrows from the cell or the schema; nothing is copied needlessly.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// Text as written.
    Text(&'a str),
    /// A whole number.
    Integer(i64),
    /// A decimal number.
    Decimal(Decimal),
    /// A date.
    Date(NaiveDate),
    /// A date and time in UTC.
    DateTime(DateTime<Utc>),
    /// A boolean.
    Boolean(bool),
    /// An e-mail address, trimmed.
    Email(&'a str),
    /// A phone number in E.164.
    Phone(String),
    /// A URL, trimmed.
    Url(&'a str),
    /// An ISO 3166-1 alpha-2 code.
    Country(&'static str),
    /// An ISO 3166-2 code.
    Subdivision(&'static str),
    /// An ISO 4217 code.
    Currency(&'static str),
    /// The code of a lookup option.
    Select(&'a str),
    /// The codes of several lookup options.
    MultiSelect(Vec<&'a str>),
    /// The code of a path option.
    Path(&'a str),
    /// How a link cell identifies its target.
    Link(LinkRef<'a>),
    /// A UUID.
    Uuid(Uuid),
}

/// A link cell: a UUID, or a natural key value of the target to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRef<'a> {
    /// The target's UUID.
    Uuid(Uuid),
    /// A value of one of the target's keys (tried in the link's `by` order).
    Key(&'a str),
}

impl Value<'_> {
    /// Appends the text that decides uniqueness (case-folded where the type is case-blind).
    pub fn unique_key(&self, out: &mut String) {
        match self {
            Value::Text(s) | Value::Url(s) | Value::Select(s) | Value::Path(s) => out.push_str(s),
            Value::Email(s) => {
                if s.is_ascii() {
                    let start = out.len();
                    out.push_str(s);
                    if let Some(tail) = out.get_mut(start..) {
                        tail.make_ascii_lowercase();
                    }
                } else {
                    out.extend(s.chars().flat_map(char::to_lowercase));
                }
            }
            Value::Integer(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Decimal(d) => {
                let _ = write!(out, "{}", d.normalize());
            }
            Value::Date(d) => {
                let _ = write!(out, "{d}");
            }
            Value::DateTime(d) => {
                let _ = write!(out, "{}", d.timestamp_micros());
            }
            Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Phone(s) => out.push_str(s),
            Value::Country(s) | Value::Subdivision(s) | Value::Currency(s) => out.push_str(s),
            Value::MultiSelect(v) => {
                let mut v = v.clone();
                v.sort_unstable();
                out.push_str(&v.join("\u{1f}"));
            }
            Value::Link(LinkRef::Uuid(u)) | Value::Uuid(u) => {
                let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
                out.push_str(u.hyphenated().encode_lower(&mut buf));
            }
            Value::Link(LinkRef::Key(k)) => out.push_str(k),
        }
    }
}

/// Why a cell was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    /// Stable code.
    pub code: ProblemCode,
    /// What is wrong and what would be accepted.
    pub message: String,
}

impl CellError {
    fn new(code: ProblemCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// How numbers are written in a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberFormat {
    /// `.` or `,`.
    pub decimal: char,
    /// Grouping separator, if any.
    pub thousands: Option<char>,
}

impl NumberFormat {
    /// The same format with the decimal and grouping separators swapped (`1,234.5` <-> `1.234,5`).
    pub fn swapped(self) -> Option<NumberFormat> {
        let other = match self.decimal {
            '.' => ',',
            ',' => '.',
            _ => return None,
        };
        let thousands = match self.thousands {
            Some('.' | ',') | None => Some(self.decimal),
            Some(t) => Some(t),
        };
        Some(NumberFormat {
            decimal: other,
            thousands,
        })
    }

    /// An example for messages, like `1,234.56`.
    pub fn example(self) -> String {
        match self.thousands {
            Some(t) => format!("1{t}234{}56", self.decimal),
            None => format!("1234{}56", self.decimal),
        }
    }

    /// Words for reports: `decimal point` or `decimal comma`.
    pub fn describe(self) -> String {
        let dec = if self.decimal == ',' {
            "decimal comma"
        } else {
            "decimal point"
        };
        format!("{} ({dec})", self.example())
    }
}

/// Everything a parser needs besides the field: the formats chosen for the column.
#[derive(Debug, Clone)]
pub struct CellFormats<'a> {
    /// How numbers are written.
    pub number: NumberFormat,
    /// How dates are written (ISO 8601 is also accepted).
    pub date: &'a DateFormat,
    /// How date-times are written (ISO 8601 is also accepted).
    pub datetime: &'a DateTimeFormat,
    /// Default phone region.
    pub phone_region: Option<phonenumber::country::Id>,
}

/// The phone region for an ISO alpha-2 code.
pub fn phone_region(code: &str) -> Option<phonenumber::country::Id> {
    code.trim().to_ascii_uppercase().parse().ok()
}

/// A number read from a cell, before it is typed: sign, digits and decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedNumber {
    /// A `-` was written.
    pub negative: bool,
    /// All digits written, as one integer (`1,234.50` -> 123450).
    pub mantissa: u128,
    /// Digits after the decimal separator (trailing zeros included).
    pub decimals: u32,
}

impl ParsedNumber {
    /// As an exact decimal, if it fits (28 significant digits).
    pub fn to_decimal(self) -> Option<Decimal> {
        let m = i128::try_from(self.mantissa).ok()?;
        let d =
            Decimal::try_from_i128_with_scale(if self.negative { -m } else { m }, self.decimals)
                .ok()?;
        Some(d)
    }

    /// As a whole number, if it has no decimals and fits in 64 bits.
    pub fn to_i64(self) -> Option<i64> {
        if self.decimals != 0 {
            return None;
        }
        let m = i128::try_from(self.mantissa).ok()?;
        i64::try_from(if self.negative { -m } else { m }).ok()
    }
}

/// Adds the ASCII digits of `s` to `m`; `None` if `s` has another character or overflows.
fn push_digits(mut m: u128, s: &str) -> Option<u128> {
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        m = m.checked_mul(10)?.checked_add(u128::from(b - b'0'))?;
    }
    Some(m)
}

/// Reads a number written with the given separators; `None` if it is not one (or has more
/// than 38 digits).
///
/// Grouping separators must sit between groups of three digits (`1,234,567`); a leading `+`
/// or `-` is allowed; exponents, currency signs and percent signs are not. Nothing is
/// allocated: this runs for millions of cells.
pub fn parse_number(s: &str, f: NumberFormat) -> Option<ParsedNumber> {
    let s = s.trim();
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = match body.split_once(f.decimal) {
        Some((i, fr)) => (i, Some(fr)),
        None => (body, None),
    };
    let mut m: u128 = 0;
    match f.thousands {
        Some(t) if int.contains(t) => {
            let mut groups = int.split(t);
            let first = groups.next()?;
            if first.is_empty() || first.len() > 3 {
                return None;
            }
            m = push_digits(m, first)?;
            for g in groups {
                if g.len() != 3 {
                    return None;
                }
                m = push_digits(m, g)?;
            }
        }
        _ => m = push_digits(m, int)?,
    }
    let mut decimals = 0;
    if let Some(fr) = frac {
        if fr.is_empty() && int.is_empty() {
            return None;
        }
        m = push_digits(m, fr)?;
        decimals = u32::try_from(fr.len()).ok()?;
    }
    if int.is_empty() && decimals == 0 {
        return None;
    }
    Some(ParsedNumber {
        negative,
        mantissa: m,
        decimals,
    })
}

fn q(v: &str) -> String {
    format!("`{v}`")
}

/// Parses and checks one non-empty cell for a field.
///
/// `list` is the field's lookup list (select, multiselect, path); `country` is the row's
/// country code for subdivision fields that name a country field.
pub fn parse<'a>(
    field: &'a Field,
    list: Option<&'a LookupList>,
    raw: &'a str,
    formats: &CellFormats<'_>,
    country: Option<&str>,
) -> Result<Value<'a>, CellError> {
    match &field.field_type {
        FieldType::Text(rules) => check_text(raw, rules).map(|()| Value::Text(raw)),
        FieldType::Integer { min, max } => {
            parse_integer(raw, formats.number, *min, *max).map(Value::Integer)
        }
        FieldType::Decimal { scale, min, max } => {
            parse_decimal(raw, formats.number, *scale, *min, *max).map(Value::Decimal)
        }
        FieldType::Date => parse_date(raw, formats.date).map(Value::Date),
        FieldType::DateTime => parse_datetime(raw, formats.datetime).map(Value::DateTime),
        FieldType::Boolean => parse_boolean(raw).map(Value::Boolean),
        FieldType::Email => parse_email(raw).map(Value::Email),
        FieldType::Phone { region } => {
            let region = region
                .as_deref()
                .and_then(phone_region)
                .or(formats.phone_region);
            parse_phone(raw, region).map(Value::Phone)
        }
        FieldType::Url => parse_url(raw).map(Value::Url),
        FieldType::Country => parse_country(raw).map(Value::Country),
        FieldType::Subdivision { .. } => parse_subdivision(raw, country).map(Value::Subdivision),
        FieldType::Currency => parse_currency(raw).map(Value::Currency),
        FieldType::Select { .. } => {
            let list = list.ok_or_else(|| {
                CellError::new(ProblemCode::UnknownOption, "the field's list is missing")
            })?;
            parse_select(raw, list).map(Value::Select)
        }
        FieldType::MultiSelect { separator, .. } => {
            let list = list.ok_or_else(|| {
                CellError::new(ProblemCode::UnknownOption, "the field's list is missing")
            })?;
            parse_multiselect(raw, list, *separator).map(Value::MultiSelect)
        }
        FieldType::Path { .. } => {
            let list = list.ok_or_else(|| {
                CellError::new(ProblemCode::UnknownPath, "the field's list is missing")
            })?;
            parse_path(raw, list).map(Value::Path)
        }
        FieldType::Link(link) => parse_link(raw, &link.target, &link.by).map(Value::Link),
        FieldType::Uuid => parse_uuid(raw).map(Value::Uuid),
    }
}

/// What a judged cell means under one reading, computed without building messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JudgedValue {
    /// A whole number.
    Integer(i64),
    /// A decimal number.
    Decimal(Decimal),
    /// A date.
    Date(NaiveDate),
}

/// The value of a date, integer or decimal cell under one reading, or `None` if the reading
/// rejects it (for any reason the full parser would give).
pub fn judged_value(field: &Field, raw: &str, formats: &CellFormats<'_>) -> Option<JudgedValue> {
    match &field.field_type {
        FieldType::Integer { min, max } => {
            let v = parse_number(raw, formats.number)?.to_i64()?;
            let ok = !min.is_some_and(|m| v < m) && !max.is_some_and(|m| v > m);
            ok.then_some(JudgedValue::Integer(v))
        }
        FieldType::Decimal { scale, min, max } => {
            let d = parse_number(raw, formats.number)?.to_decimal()?;
            let ok = d.normalize().scale() <= *scale
                && !min.is_some_and(|m| d < m)
                && !max.is_some_and(|m| d > m);
            ok.then_some(JudgedValue::Decimal(d))
        }
        FieldType::Date => read_date(raw.trim(), formats.date).map(JudgedValue::Date),
        _ => None,
    }
}

/// Whether `b` is all ASCII, and whether it may hold a control character (a byte below
/// 0x20 or 0x7F; TAB, CR and LF set the flag too, the caller looks closer). Eight bytes at a
/// time: this runs on every text cell.
fn scan_text(b: &[u8]) -> (bool, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let (mut high, mut low) = (0u64, false);
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        high |= x;
        // A byte below 0x20 (bytes with the high bit set are excluded by `!x`), or 0x7F.
        low |= (x.wrapping_sub(ONES * 0x20) & !x & HIGH) != 0;
        let y = x ^ (ONES * 0x7f);
        low |= (y.wrapping_sub(ONES) & !y & HIGH) != 0;
    }
    for &c in chunks.remainder() {
        high |= u64::from(c);
        low |= c < 0x20 || c == 0x7f;
    }
    (high & HIGH == 0, low)
}

/// Checks text against its rules: length in characters, charset, forbidden characters, pattern.
pub fn check_text(raw: &str, rules: &TextRules) -> Result<(), CellError> {
    let (ascii, maybe_control) = scan_text(raw.as_bytes());
    let len = if ascii {
        raw.len()
    } else {
        raw.chars().count()
    };
    if let Some(max) = rules.max_length
        && len > max
    {
        return Err(CellError::new(
            ProblemCode::TooLong,
            format!("the text has {len} characters; at most {max} are allowed"),
        ));
    }
    if let Some(min) = rules.min_length
        && len < min
    {
        return Err(CellError::new(
            ProblemCode::TooShort,
            format!(
                "{} has {len} characters; at least {min} are required",
                q(raw)
            ),
        ));
    }
    let control = if !maybe_control && ascii {
        None
    } else if ascii {
        raw.bytes()
            .find(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f)
            .map(char::from)
    } else {
        raw.chars()
            .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    };
    if let Some(c) = control {
        return Err(CellError::new(
            ProblemCode::ControlCharacter,
            format!(
                "the text contains the invisible control character U+{:04X}; remove it",
                u32::from(c)
            ),
        ));
    }
    if !rules.forbidden.is_empty()
        && let Some(c) = raw.chars().find(|c| rules.forbidden.contains(*c))
    {
        return Err(CellError::new(
            ProblemCode::ForbiddenCharacter,
            format!("{} contains `{c}`, which this field does not allow", q(raw)),
        ));
    }
    let bad = match rules.charset {
        Charset::Any => None,
        Charset::Alphanumeric => raw.chars().find(|c| !c.is_alphanumeric()),
        Charset::AlphanumericSpace => raw.chars().find(|c| !c.is_alphanumeric() && *c != ' '),
        Charset::Ascii => raw
            .chars()
            .find(|c| !c.is_ascii() || (c.is_ascii_control() && *c != '\t')),
    };
    if let Some(c) = bad {
        let shown = if c == ' ' {
            "a space".to_string()
        } else {
            format!("`{c}`")
        };
        return Err(CellError::new(
            ProblemCode::CharsetViolation,
            format!(
                "{} contains {shown}; {} are allowed",
                q(raw),
                rules.charset.describe()
            ),
        ));
    }
    if let Some(p) = &rules.pattern
        && !p.regex.is_match(raw)
    {
        let expected = p
            .hint
            .clone()
            .unwrap_or_else(|| format!("text matching `{}`", p.source));
        return Err(CellError::new(
            ProblemCode::PatternMismatch,
            format!(
                "{} does not have the required form; expected {expected}",
                q(raw)
            ),
        ));
    }
    Ok(())
}

fn range_msg(min: Option<String>, max: Option<String>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("between {a} and {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => String::new(),
    }
}

/// Parses a whole number.
pub fn parse_integer(
    raw: &str,
    f: NumberFormat,
    min: Option<i64>,
    max: Option<i64>,
) -> Result<i64, CellError> {
    let example = match f.thousands {
        Some(t) => format!("`42` or `1{t}250`"),
        None => "`42` or `1250`".to_string(),
    };
    let Some(n) = parse_number(raw, f) else {
        return Err(CellError::new(
            ProblemCode::InvalidInteger,
            format!(
                "{} is not a whole number; expected digits such as {example}",
                q(raw.trim())
            ),
        ));
    };
    if n.decimals > 0 {
        return Err(CellError::new(
            ProblemCode::IntegerHasDecimals,
            format!(
                "{} has decimals; this field takes whole numbers such as {example}",
                q(raw.trim())
            ),
        ));
    }
    let v = n.to_i64().ok_or_else(|| {
        CellError::new(
            ProblemCode::OutOfRange,
            format!("{} is too large for a whole number", q(raw.trim())),
        )
    })?;
    if min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m) {
        return Err(CellError::new(
            ProblemCode::OutOfRange,
            format!(
                "{} is out of range; expected a whole number {}",
                q(raw.trim()),
                range_msg(min.map(|m| m.to_string()), max.map(|m| m.to_string()))
            ),
        ));
    }
    Ok(v)
}

/// Parses a decimal number with at most `scale` decimal places (trailing zeros don't count).
pub fn parse_decimal(
    raw: &str,
    f: NumberFormat,
    scale: u32,
    min: Option<Decimal>,
    max: Option<Decimal>,
) -> Result<Decimal, CellError> {
    let Some(n) = parse_number(raw, f) else {
        return Err(CellError::new(
            ProblemCode::InvalidDecimal,
            format!(
                "{} is not a number; expected a number written like {}",
                q(raw.trim()),
                q(&f.example())
            ),
        ));
    };
    let d = n.to_decimal().ok_or_else(|| {
        CellError::new(
            ProblemCode::OutOfRange,
            format!("{} is too large or too precise", q(raw.trim())),
        )
    })?;
    if d.normalize().scale() > scale {
        let places = if scale == 1 { "place" } else { "places" };
        return Err(CellError::new(
            ProblemCode::TooManyDecimals,
            format!(
                "{} has {} decimal places; this field keeps at most {scale} {places} and intake does not round",
                q(raw.trim()),
                d.normalize().scale()
            ),
        ));
    }
    if min.is_some_and(|m| d < m) || max.is_some_and(|m| d > m) {
        return Err(CellError::new(
            ProblemCode::OutOfRange,
            format!(
                "{} is out of range; expected a number {}",
                q(raw.trim()),
                range_msg(min.map(|m| m.to_string()), max.map(|m| m.to_string()))
            ),
        ));
    }
    Ok(d)
}

/// Reads a date in the given format or ISO 8601, without reporting.
pub fn read_date(s: &str, fmt: &DateFormat) -> Option<NaiveDate> {
    parse_iso_date(s).or_else(|| {
        if fmt.is_iso() {
            None
        } else {
            fmt.parse_date(s)
        }
    })
}

/// Parses a date in the column's format or ISO 8601.
pub fn parse_date(raw: &str, fmt: &DateFormat) -> Result<NaiveDate, CellError> {
    let s = raw.trim();
    read_date(s, fmt).ok_or_else(|| {
        CellError::new(
            ProblemCode::InvalidDate,
            format!("{} is not a valid date; {}", q(s), date_expectation(fmt)),
        )
    })
}

/// What a date cell may look like, for messages.
pub fn date_expectation(fmt: &DateFormat) -> String {
    let example = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap_or_default();
    if fmt.is_iso() {
        "expected YYYY-MM-DD such as `2024-01-31`".to_string()
    } else {
        format!(
            "expected {fmt} such as `{}`, or YYYY-MM-DD",
            fmt.format_date(example)
        )
    }
}

fn parse_time(s: &str, seconds_required: bool) -> Option<NaiveTime> {
    let mut parts = s.split(':');
    let hs = parts.next()?;
    let ms = parts.next()?;
    if hs.len() > 2 || ms.len() != 2 {
        return None;
    }
    let (h, m) = (digits(hs)?, digits(ms)?);
    let (sec, nano) = match parts.next() {
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
            if whole.len() != 2 || frac.len() > 9 {
                return None;
            }
            let mut nano = 0u32;
            for (i, b) in frac.bytes().enumerate() {
                if !b.is_ascii_digit() {
                    return None;
                }
                nano += u32::from(b - b'0') * 10u32.pow(8 - u32::try_from(i).ok()?);
            }
            (digits(whole)?, nano)
        }
        None if seconds_required => return None,
        None => (0, 0),
    };
    if parts.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_nano_opt(h, m, sec, nano)
}

/// Reads a date-time in ISO 8601 / RFC 3339 (with `T` or a space, optional offset) or in the
/// column's format. Values without an offset are taken as UTC.
pub fn read_datetime(s: &str, fmt: &DateTimeFormat) -> Option<DateTime<Utc>> {
    // The common exact form first: `2024-03-01T10:20:30Z`.
    if s.len() == 20
        && s.as_bytes()[10] == b'T'
        && s.as_bytes()[19] == b'Z'
        && let (Some(date), Some(time)) = (
            parse_iso_date(&s[..10]),
            s.get(11..19).and_then(|t| parse_time(t, true)),
        )
    {
        return Some(NaiveDateTime::new(date, time).and_utc());
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    // ISO without offset, `T` or space.
    if s.len() >= 16 && s.is_char_boundary(10) {
        let (d, rest) = s.split_at(10);
        if let Some(date) = parse_iso_date(d)
            && let Some(t) = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))
        {
            let t = t.strip_suffix('Z').unwrap_or(t);
            if let Some(time) = parse_time(t, false) {
                return Some(NaiveDateTime::new(date, time).and_utc());
            }
            if let Ok(dt) = DateTime::parse_from_str(&format!("{d}T{t}"), "%Y-%m-%dT%H:%M:%S%.f%#z")
            {
                return Some(dt.with_timezone(&Utc));
            }
        }
    }
    let (d, t) = s.rsplit_once(' ')?;
    let date = fmt.date.parse_date(d.trim())?;
    let time = parse_time(t, fmt.seconds)?;
    Some(NaiveDateTime::new(date, time).and_utc())
}

/// Parses a date-time.
pub fn parse_datetime(raw: &str, fmt: &DateTimeFormat) -> Result<DateTime<Utc>, CellError> {
    let s = raw.trim();
    read_datetime(s, fmt).ok_or_else(|| {
        let local = if fmt.date.is_iso() {
            String::new()
        } else {
            format!("{fmt} or ")
        };
        CellError::new(
            ProblemCode::InvalidDatetime,
            format!(
                "{} is not a valid date and time; expected {local}YYYY-MM-DDThh:mm:ss (optionally with `Z` or an offset such as `+02:00`)",
                q(s)
            ),
        )
    })
}

/// Parses true/false, t/f, yes/no, 1/0 in any case.
pub fn parse_boolean(raw: &str) -> Result<bool, CellError> {
    let s = raw.trim();
    let lower = |w: &str| s.eq_ignore_ascii_case(w);
    if lower("true") || lower("t") || lower("yes") || s == "1" {
        Ok(true)
    } else if lower("false") || lower("f") || lower("no") || s == "0" {
        Ok(false)
    } else {
        Err(CellError::new(
            ProblemCode::InvalidBoolean,
            format!(
                "{} is not a yes/no value; expected true or false (also t/f, yes/no, 1/0, in any case), or leave it empty",
                q(s)
            ),
        ))
    }
}

/// Whether `s` is a plain `local@domain.tld` address that [`EmailAddress`] with
/// [`EMAIL_OPTIONS`] certainly accepts: dot-atom local part, letter-digit-hyphen labels, at
/// least two labels, within the length limits. Most real addresses are; the rest go through
/// the full parser. Only a fast path: it never accepts what the full parser would refuse.
fn simple_address(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&b);
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.bytes().all(atext));
    let mut labels = 0;
    let domain_ok = domain.len() <= 253
        && domain.split('.').all(|label| {
            labels += 1;
            let b = label.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        });
    local_ok && domain_ok && labels >= 2
}

const EMAIL_OPTIONS: email_address::Options = email_address::Options {
    minimum_sub_domains: 2,
    allow_domain_literal: false,
    allow_display_text: false,
};

/// Parses an e-mail address: no display name, no IP literal, a domain with a dot.
pub fn parse_email(raw: &str) -> Result<&str, CellError> {
    let s = raw.trim();
    // One pass for the cheap checks that give the clearest messages.
    let (mut at, mut space, mut angle) = (false, false, false);
    for b in s.bytes() {
        match b {
            b'@' => at = true,
            b'<' | b'>' => angle = true,
            b if b.is_ascii_whitespace() => space = true,
            _ => {}
        }
    }
    if !s.is_ascii() && s.chars().any(char::is_whitespace) {
        space = true;
    }
    let why = if at && !space && !angle && simple_address(s) {
        None
    } else if !at {
        Some("it has no `@`")
    } else if space {
        Some("it contains a space")
    } else if angle {
        Some("write the address alone, without a name or `<>`")
    } else {
        match EmailAddress::parse_with_options(s, EMAIL_OPTIONS) {
            Ok(_) => {
                let domain = s.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
                if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
                    Some("the domain has an empty part")
                } else {
                    None
                }
            }
            Err(
                email_address::Error::MissingEndBracket
                | email_address::Error::UnsupportedDisplayName,
            ) => Some("write the address alone, without a name or `<>`"),
            Err(email_address::Error::DomainTooFew) => {
                Some("the domain needs a dot, as in `example.com`")
            }
            Err(email_address::Error::LocalPartEmpty) => Some("nothing comes before the `@`"),
            Err(email_address::Error::DomainEmpty) => Some("nothing comes after the `@`"),
            Err(_) => Some("it is not of the form `name@example.com`"),
        }
    };
    match why {
        None => Ok(s),
        Some(why) => Err(CellError::new(
            ProblemCode::InvalidEmail,
            format!("{} is not an e-mail address: {why}", q(s)),
        )),
    }
}

/// Parses a phone number and returns it in E.164 (`+441632960983`).
pub fn parse_phone(
    raw: &str,
    region: Option<phonenumber::country::Id>,
) -> Result<String, CellError> {
    let s = raw.trim();
    let needs_code = !s.starts_with('+') && !s.starts_with("00") && region.is_none();
    if needs_code {
        return Err(CellError::new(
            ProblemCode::InvalidPhone,
            format!(
                "{} has no country code; write it with one, such as `+44 20 7946 0958`",
                q(s)
            ),
        ));
    }
    let parsed = phonenumber::parse(region, s)
        .ok()
        .filter(phonenumber::is_valid);
    match parsed {
        Some(n) => Ok(n.format().mode(phonenumber::Mode::E164).to_string()),
        None => Err(CellError::new(
            ProblemCode::InvalidPhone,
            format!(
                "{} is not a valid phone number{}; expected a number such as `+44 20 7946 0958`",
                q(s),
                region
                    .map(|r| format!(" for region {}", r.as_ref()))
                    .unwrap_or_default()
            ),
        )),
    }
}

/// Parses an absolute http(s) URL.
pub fn parse_url(raw: &str) -> Result<&str, CellError> {
    let s = raw.trim();
    let ok = url::Url::parse(s).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
    });
    match ok {
        Some(_) => Ok(s),
        None => {
            let hint = if !s.contains("://") && s.contains('.') && !s.contains(' ') {
                format!("; write it with its scheme, as in `https://{s}`")
            } else {
                "; expected an address such as `https://example.com/page`".to_string()
            };
            Err(CellError::new(
                ProblemCode::InvalidUrl,
                format!("{} is not a web address{hint}", q(s)),
            ))
        }
    }
}

/// Parses an ISO 3166-1 alpha-2 code (any case); names and alpha-3 codes get a hint.
pub fn parse_country(raw: &str) -> Result<&'static str, CellError> {
    let s = raw.trim();
    if let [a, b] = s.as_bytes()
        && let Some(code) = alpha2(*a, *b)
    {
        return Ok(code);
    }
    let hint = country_hint(s)
        .map(|(code, name)| format!("; did you mean `{code}` ({name})?"))
        .unwrap_or_else(|| {
            "; expected a two-letter ISO 3166-1 code such as `DE`, `FR` or `US`".to_string()
        });
    let extra = if s.eq_ignore_ascii_case("uk") {
        "; the United Kingdom is `GB`"
    } else {
        ""
    };
    Err(CellError::new(
        ProblemCode::UnknownCountry,
        format!(
            "{} is not an ISO 3166-1 alpha-2 country code{}",
            q(s),
            if extra.is_empty() {
                hint
            } else {
                extra.to_string()
            }
        ),
    ))
}

/// The ISO 3166-1 alpha-2 code written as these two letters (any case), by direct index.
fn alpha2(a: u8, b: u8) -> Option<&'static str> {
    static TABLE: std::sync::LazyLock<Vec<Option<&'static str>>> = std::sync::LazyLock::new(|| {
        let mut t = vec![None; 26 * 26];
        for code in rust_iso3166::ALL_ALPHA2 {
            if let [x, y] = code.as_bytes()
                && x.is_ascii_uppercase()
                && y.is_ascii_uppercase()
            {
                t[usize::from(x - b'A') * 26 + usize::from(y - b'A')] = Some(*code);
            }
        }
        t
    });
    let (a, b) = (a.to_ascii_uppercase(), b.to_ascii_uppercase());
    if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() {
        return None;
    }
    TABLE
        .get(usize::from(a - b'A') * 26 + usize::from(b - b'A'))
        .copied()
        .flatten()
}

fn country_hint(s: &str) -> Option<(&'static str, &'static str)> {
    if s.len() == 3
        && s.is_ascii()
        && let Some(c) = rust_iso3166::from_alpha3(&s.to_ascii_uppercase())
    {
        return Some((c.alpha2, c.name));
    }
    let lower = s.to_lowercase();
    rust_iso3166::ALL
        .iter()
        .find(|c| c.name.to_lowercase() == lower)
        .map(|c| (c.alpha2, c.name))
}

/// Parses an ISO 3166-2 code (`US-CA`), or a short code (`CA`) given the row's country.
pub fn parse_subdivision(raw: &str, country: Option<&str>) -> Result<&'static str, CellError> {
    let s = raw.trim().to_uppercase();
    let full = if s.contains('-') {
        s.clone()
    } else if let Some(c) = country {
        format!("{c}-{s}")
    } else {
        s.clone()
    };
    if let Some(sub) = rust_iso3166::iso3166_2::from_code(&full) {
        return Ok(sub.code);
    }
    let example = match country {
        Some(c) => format!(
            "a code of {c} such as `{}`",
            example_subdivision(c).unwrap_or("XX")
        ),
        None => "a code such as `US-CA` or `DE-BY`".to_string(),
    };
    Err(CellError::new(
        ProblemCode::UnknownSubdivision,
        format!(
            "{} is not an ISO 3166-2 subdivision code; expected {example}",
            q(raw.trim())
        ),
    ))
}

fn example_subdivision(country: &str) -> Option<&'static str> {
    let c = rust_iso3166::from_alpha2(country)?;
    c.subdivisions()?
        .first()
        .map(|s| s.code.split('-').nth(1).unwrap_or(s.code))
}

/// Parses an ISO 4217 currency code (any case).
pub fn parse_currency(raw: &str) -> Result<&'static str, CellError> {
    let s = raw.trim();
    iso_currency::Currency::from_code(&s.to_ascii_uppercase())
        .map(|c| c.code())
        .ok_or_else(|| {
            CellError::new(
                ProblemCode::UnknownCurrency,
                format!("{} is not an ISO 4217 currency code; expected three letters such as `EUR`, `USD` or `JPY`", q(s)),
            )
        })
}

/// The first options of a list, as `Label` (code), for messages.
pub fn list_preview(list: &LookupList) -> String {
    const SHOWN: usize = 8;
    let mut names: Vec<String> = list
        .options
        .iter()
        .take(SHOWN)
        .map(|o| {
            if o.code == o.label {
                q(&o.label)
            } else {
                format!("{} ({})", q(&o.label), o.code)
            }
        })
        .collect();
    if list.options.len() > SHOWN {
        names.push(format!(
            "and {} more (see `intake describe`)",
            list.options.len() - SHOWN
        ));
    }
    names.join(", ")
}

fn unknown_option(value: &str, list: &LookupList) -> CellError {
    let near = list
        .find_ignoring_case(value)
        .map(|o| {
            format!(
                "; did you mean {}? this list matches case exactly",
                q(&o.label)
            )
        })
        .unwrap_or_default();
    CellError::new(
        ProblemCode::UnknownOption,
        format!(
            "{} is not an option of this list{near}; expected one of {}",
            q(value),
            list_preview(list)
        ),
    )
}

/// Parses one option, by code or label.
pub fn parse_select<'a>(raw: &str, list: &'a LookupList) -> Result<&'a str, CellError> {
    let s = raw.trim();
    list.find(s)
        .map(|o| o.code.as_str())
        .ok_or_else(|| unknown_option(s, list))
}

/// Parses several options separated by `separator`.
pub fn parse_multiselect<'a>(
    raw: &str,
    list: &'a LookupList,
    separator: char,
) -> Result<Vec<&'a str>, CellError> {
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    for part in raw
        .split(separator)
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match list.find(part) {
            Some(o) if !out.contains(&o.code.as_str()) => out.push(o.code.as_str()),
            Some(_) => {}
            None => unknown.push(q(part)),
        }
    }
    if unknown.is_empty() {
        return Ok(out);
    }
    Err(unknown_items(&unknown, list, separator))
}

fn unknown_items(quoted: &[String], list: &LookupList, separator: char) -> CellError {
    let what = if quoted.len() == 1 {
        "is not an option"
    } else {
        "are not options"
    };
    CellError::new(
        ProblemCode::UnknownOption,
        format!(
            "{} {what} of this list; separate options with `{separator}` and use {}",
            quoted.join(", "),
            list_preview(list)
        ),
    )
}

/// Why one item of a multiselect cell is refused (the validator reports each unknown item
/// on its own, with the item as the problem's value).
pub fn unknown_item(item: &str, list: &LookupList, separator: char) -> CellError {
    unknown_items(&[q(item)], list, separator)
}

/// Parses a path such as `Administrator/Europe/France` (spaces around separators ignored).
pub fn parse_path<'a>(raw: &str, list: &'a LookupList) -> Result<&'a str, CellError> {
    let sep = list.separator;
    let parts: Vec<&str> = raw.split(sep).map(str::trim).collect();
    let joined = parts.join(&sep.to_string());
    if let Some(o) = list.find(&joined) {
        return Ok(o.code.as_str());
    }
    // Find the longest existing prefix for the message.
    let mut known = None;
    for n in (1..parts.len()).rev() {
        let prefix = parts[..n].join(&sep.to_string());
        if let Some(o) = list.find(&prefix) {
            known = Some((o.label.clone(), parts[n]));
            break;
        }
    }
    let detail = match known {
        Some((prefix, missing)) => format!("; `{prefix}` exists but has no `{missing}` under it"),
        None => format!(
            "; write the full path from the top, as in {}",
            q(&list
                .options
                .first()
                .map(|o| o.label.clone())
                .unwrap_or_default())
        ),
    };
    Err(CellError::new(
        ProblemCode::UnknownPath,
        format!("{} is not a path of this list{detail}", q(&joined)),
    ))
}

/// Parses a UUID (hyphenated, braced or plain hex; any case).
pub fn parse_uuid(raw: &str) -> Result<Uuid, CellError> {
    let s = raw.trim();
    Uuid::try_parse(s).map_err(|_| {
        CellError::new(
            ProblemCode::InvalidUuid,
            format!("{} is not a UUID; expected 32 hex digits such as `0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70`", q(s)),
        )
    })
}

/// Parses a link cell: a UUID, or a key value when the link finds targets by other keys.
pub fn parse_link<'a>(raw: &'a str, target: &str, by: &[String]) -> Result<LinkRef<'a>, CellError> {
    let s = raw.trim();
    let by_uuid = by.iter().any(|b| b == "uuid");
    if by_uuid && let Ok(u) = Uuid::try_parse(s) {
        return Ok(LinkRef::Uuid(u));
    }
    if by.iter().any(|b| b != "uuid") {
        return Ok(LinkRef::Key(s));
    }
    Err(CellError::new(
        ProblemCode::InvalidLink,
        format!(
            "{} is not a UUID; this column takes the UUID of an existing `{target}` record, as found in its `UUID` column",
            q(s)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locale::Locale;

    const EN: NumberFormat = NumberFormat {
        decimal: '.',
        thousands: Some(','),
    };
    const DE: NumberFormat = NumberFormat {
        decimal: ',',
        thousands: Some('.'),
    };

    fn num(s: &str, f: NumberFormat) -> Option<String> {
        parse_number(s, f)
            .and_then(ParsedNumber::to_decimal)
            .map(|d| d.to_string())
    }

    #[test]
    fn numbers_follow_the_separators() {
        assert_eq!(num("1,234.50", EN).as_deref(), Some("1234.50"));
        assert_eq!(num("1.234,50", DE).as_deref(), Some("1234.50"));
        assert_eq!(num("1.234,50", EN), None);
        assert_eq!(num("1,234.50", DE), None);
        assert_eq!(num("-12.5", EN).as_deref(), Some("-12.5"));
        assert_eq!(num("+7", EN).as_deref(), Some("7"));
        assert_eq!(num("-0.50", EN).as_deref(), Some("-0.50"));
        assert_eq!(num(".5", EN).as_deref(), Some("0.5"));
        assert_eq!(num("12,34", EN), None, "grouping must be by three");
        assert_eq!(num("1e3", EN), None);
        assert_eq!(num("", EN), None);
        assert_eq!(num("-", EN), None);
        assert_eq!(num(".", EN), None);
        assert_eq!(num("12.", EN).as_deref(), Some("12"));
        assert_eq!(
            num("123456789012345678901234567890123456789012", EN),
            None,
            "too many digits"
        );
        assert_eq!(num(" 42 ", EN).as_deref(), Some("42"));
        assert_eq!(num("4 2", EN), None);
        assert_eq!(num("€5", EN), None);
    }

    #[test]
    fn swapped_number_formats() {
        assert_eq!(EN.swapped(), Some(DE));
        let fr = NumberFormat {
            decimal: ',',
            thousands: Some(' '),
        };
        assert_eq!(
            fr.swapped(),
            Some(NumberFormat {
                decimal: '.',
                thousands: Some(' ')
            })
        );
    }

    #[test]
    fn integers() {
        assert_eq!(parse_integer("1,250", EN, None, None), Ok(1250));
        let e = parse_integer("12.5", EN, None, None).unwrap_err();
        assert_eq!(e.code, ProblemCode::IntegerHasDecimals);
        assert_eq!(
            parse_integer("high", EN, None, None).unwrap_err().code,
            ProblemCode::InvalidInteger
        );
        let e = parse_integer("101", EN, Some(0), Some(100)).unwrap_err();
        assert_eq!(e.code, ProblemCode::OutOfRange);
        insta::assert_snapshot!(e.message, @"`101` is out of range; expected a whole number between 0 and 100");
        assert_eq!(
            parse_integer("99999999999999999999", EN, None, None)
                .unwrap_err()
                .code,
            ProblemCode::OutOfRange
        );
    }

    #[test]
    fn decimals_never_round() {
        assert_eq!(
            parse_decimal("2.675", EN, 3, None, None)
                .unwrap()
                .to_string(),
            "2.675"
        );
        let e = parse_decimal("2.675", EN, 2, None, None).unwrap_err();
        assert_eq!(e.code, ProblemCode::TooManyDecimals);
        insta::assert_snapshot!(e.message, @"`2.675` has 3 decimal places; this field keeps at most 2 places and intake does not round");
        assert!(
            parse_decimal("2.50", EN, 1, None, None).is_ok(),
            "trailing zeros do not count"
        );
        assert_eq!(
            parse_decimal("1.234,50", DE, 2, None, None)
                .unwrap()
                .to_string(),
            "1234.50"
        );
        let min = Some(Decimal::ZERO);
        assert_eq!(
            parse_decimal("-1", EN, 2, min, None).unwrap_err().code,
            ProblemCode::OutOfRange
        );
    }

    #[test]
    fn booleans_accept_the_documented_words_in_any_case() {
        for t in ["true", "TRUE", "t", "T", "yes", "Yes", "1", " true "] {
            assert_eq!(parse_boolean(t), Ok(true), "{t}");
        }
        for f in ["false", "F", "no", "NO", "0"] {
            assert_eq!(parse_boolean(f), Ok(false), "{f}");
        }
        for bad in ["maybe", "2", "-", "t r u e", "yes please", "y"] {
            assert_eq!(
                parse_boolean(bad).unwrap_err().code,
                ProblemCode::InvalidBoolean,
                "{bad}"
            );
        }
    }

    #[test]
    fn emails_are_strict() {
        for ok in [
            "jane@example.com",
            "j.doe+tag@sub.example.co.uk",
            " jane@example.com ",
        ] {
            assert!(parse_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "john.doe@",
            "@example.com",
            "jane doe@example.com",
            "no-at-sign.example.com",
            "a@b",
            "x@@example.com",
            "user@exa mple.com",
            "user.@example..com",
            "x@localhost",
            "Jane <jane@example.com>",
            "jane@[127.0.0.1]",
            "jane@example.",
        ] {
            assert_eq!(
                parse_email(bad).unwrap_err().code,
                ProblemCode::InvalidEmail,
                "{bad}"
            );
        }
        insta::assert_snapshot!(parse_email("a@b").unwrap_err().message, @"`a@b` is not an e-mail address: the domain needs a dot, as in `example.com`");
    }

    #[test]
    fn phones_become_e164() {
        let gb = phone_region("GB");
        assert_eq!(parse_phone("020 7946 0958", gb).unwrap(), "+442079460958");
        assert_eq!(
            parse_phone("+1 415-555-2671", None).unwrap(),
            "+14155552671"
        );
        assert_eq!(
            parse_phone("12", gb).unwrap_err().code,
            ProblemCode::InvalidPhone
        );
        let e = parse_phone("020 7946 0958", None).unwrap_err();
        insta::assert_snapshot!(e.message, @"`020 7946 0958` has no country code; write it with one, such as `+44 20 7946 0958`");
    }

    #[test]
    fn urls_need_a_scheme() {
        assert!(parse_url("https://example.com/x").is_ok());
        let e = parse_url("example.com").unwrap_err();
        insta::assert_snapshot!(e.message, @"`example.com` is not a web address; write it with its scheme, as in `https://example.com`");
        assert!(parse_url("ftp://example.com").is_err());
        assert!(parse_url("javascript:alert(1)").is_err());
    }

    #[test]
    fn countries_are_alpha2_codes_with_hints() {
        assert_eq!(parse_country("DE"), Ok("DE"));
        assert_eq!(parse_country("de"), Ok("DE"));
        assert_eq!(
            parse_country("NA"),
            Ok("NA"),
            "Namibia is not an empty value"
        );
        for bad in ["XX", "UK", "EU", "USA", "Germany", "ZZ", "D", "uk!"] {
            assert_eq!(
                parse_country(bad).unwrap_err().code,
                ProblemCode::UnknownCountry,
                "{bad}"
            );
        }
        insta::assert_snapshot!(parse_country("Germany").unwrap_err().message, @"`Germany` is not an ISO 3166-1 alpha-2 country code; did you mean `DE` (Germany)?");
        insta::assert_snapshot!(parse_country("UK").unwrap_err().message, @"`UK` is not an ISO 3166-1 alpha-2 country code; the United Kingdom is `GB`");
        insta::assert_snapshot!(parse_country("USA").unwrap_err().message, @"`USA` is not an ISO 3166-1 alpha-2 country code; did you mean `US` (United States of America)?");
    }

    #[test]
    fn subdivisions_full_or_with_the_row_country() {
        assert_eq!(parse_subdivision("US-CA", None), Ok("US-CA"));
        assert_eq!(parse_subdivision("ca", Some("US")), Ok("US-CA"));
        assert_eq!(
            parse_subdivision("CA", None).unwrap_err().code,
            ProblemCode::UnknownSubdivision
        );
        assert_eq!(
            parse_subdivision("ZZ", Some("US")).unwrap_err().code,
            ProblemCode::UnknownSubdivision
        );
    }

    #[test]
    fn currencies() {
        assert_eq!(parse_currency("eur"), Ok("EUR"));
        assert_eq!(
            parse_currency("EURO").unwrap_err().code,
            ProblemCode::UnknownCurrency
        );
    }

    fn countries() -> LookupList {
        let opts = ["Canada", "France", "Germany", "United States"]
            .iter()
            .map(|l| crate::schema::LookupOption {
                code: l.to_uppercase().replace(' ', "_"),
                label: (*l).to_string(),
            })
            .collect();
        LookupList::new("country", false, opts, '/')
    }

    #[test]
    fn selects_match_code_or_label_exactly() {
        let l = countries();
        assert_eq!(parse_select("France", &l), Ok("FRANCE"));
        assert_eq!(parse_select("UNITED_STATES", &l), Ok("UNITED_STATES"));
        let e = parse_select("Spain", &l).unwrap_err();
        insta::assert_snapshot!(e.message, @"`Spain` is not an option of this list; expected one of `Canada` (CANADA), `France` (FRANCE), `Germany` (GERMANY), `United States` (UNITED_STATES)");
        let e = parse_select("france", &l).unwrap_err();
        assert!(e.message.contains("did you mean `France`"), "{}", e.message);
        let ci = LookupList::new("c", true, l.options.clone(), '/');
        assert_eq!(parse_select("france", &ci), Ok("FRANCE"));
    }

    #[test]
    fn multiselects_split_and_report_every_unknown_part() {
        let l = countries();
        assert_eq!(
            parse_multiselect("France; Germany", &l, ';'),
            Ok(vec!["FRANCE", "GERMANY"])
        );
        assert_eq!(
            parse_multiselect("France;France;", &l, ';'),
            Ok(vec!["FRANCE"])
        );
        let e = parse_multiselect("France;Spain;Italy", &l, ';').unwrap_err();
        assert!(
            e.message.starts_with("`Spain`, `Italy` are not options"),
            "{}",
            e.message
        );
    }

    #[test]
    fn paths_name_the_missing_level() {
        let opts = [
            "Administrator",
            "Administrator/Europe",
            "Administrator/Europe/France",
        ]
        .iter()
        .map(|l| crate::schema::LookupOption {
            code: (*l).into(),
            label: (*l).into(),
        })
        .collect();
        let l = LookupList::new("role", false, opts, '/');
        assert_eq!(
            parse_path("Administrator / Europe / France", &l),
            Ok("Administrator/Europe/France")
        );
        let e = parse_path("Administrator/Europe/Spain", &l).unwrap_err();
        insta::assert_snapshot!(e.message, @"`Administrator/Europe/Spain` is not a path of this list; `Administrator/Europe` exists but has no `Spain` under it");
    }

    #[test]
    fn uuids_and_links() {
        let u = "0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70";
        assert!(parse_uuid(u).is_ok());
        assert!(parse_uuid(&u.to_uppercase()).is_ok());
        assert_eq!(
            parse_uuid("123").unwrap_err().code,
            ProblemCode::InvalidUuid
        );
        let by_uuid = vec!["uuid".to_string()];
        assert!(matches!(
            parse_link(u, "account", &by_uuid),
            Ok(LinkRef::Uuid(_))
        ));
        assert_eq!(
            parse_link("Acme", "account", &by_uuid).unwrap_err().code,
            ProblemCode::InvalidLink
        );
        let by_email = vec!["uuid".to_string(), "email".to_string()];
        assert_eq!(
            parse_link("a@example.com", "user", &by_email),
            Ok(LinkRef::Key("a@example.com"))
        );
    }

    #[test]
    fn dates_iso_always_plus_the_locale_format() {
        let l = Locale::preset("en-GB").unwrap();
        assert_eq!(
            parse_date("2024-03-01", &l.date_format)
                .unwrap()
                .to_string(),
            "2024-03-01"
        );
        assert_eq!(
            parse_date("01/03/2024", &l.date_format)
                .unwrap()
                .to_string(),
            "2024-03-01"
        );
        let e = parse_date("2024-02-30", &l.date_format).unwrap_err();
        insta::assert_snapshot!(e.message, @"`2024-02-30` is not a valid date; expected DD/MM/YYYY such as `31/01/2024`, or YYYY-MM-DD");
        let iso = DateFormat::iso();
        for bad in [
            "1985-02-30",
            "31/12/1990",
            "1990-13-01",
            "yesterday",
            "1975-00-10",
            "2001-02-29",
            "19850214",
            "1985-2-14x",
            "N/A",
        ] {
            assert_eq!(
                parse_date(bad, &iso).unwrap_err().code,
                ProblemCode::InvalidDate,
                "{bad}"
            );
        }
    }

    #[test]
    fn datetimes() {
        let f = DateTimeFormat::iso();
        let ok = |s: &str| read_datetime(s, &f).map(|d| d.to_rfc3339());
        assert_eq!(
            ok("2024-03-01T10:20:30Z").as_deref(),
            Some("2024-03-01T10:20:30+00:00")
        );
        assert_eq!(
            ok("2024-03-01T12:20:30+02:00").as_deref(),
            Some("2024-03-01T10:20:30+00:00")
        );
        assert_eq!(
            ok("2024-03-01 10:20").as_deref(),
            Some("2024-03-01T10:20:00+00:00")
        );
        assert_eq!(
            ok("2024-03-01T10:20:30.5Z").as_deref(),
            Some("2024-03-01T10:20:30.500+00:00")
        );
        assert_eq!(ok("2024-03-01"), None);
        assert_eq!(ok("2024-03-01T25:00:00Z"), None);
        let gb = DateTimeFormat::parse("DD/MM/YYYY hh:mm").unwrap();
        assert_eq!(
            read_datetime("01/03/2024 09:15", &gb)
                .map(|d| d.to_rfc3339())
                .as_deref(),
            Some("2024-03-01T09:15:00+00:00")
        );
    }

    proptest::proptest! {
        #[test]
        fn scanning_text_eight_bytes_at_a_time_agrees_with_bytes(s in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            let (ascii, control) = scan_text(&s);
            proptest::prop_assert_eq!(ascii, s.is_ascii());
            proptest::prop_assert_eq!(control, s.iter().any(|&b| b < 0x20 || b == 0x7f));
        }
    }

    #[test]
    fn text_rules() {
        let rules = TextRules {
            max_length: Some(5),
            charset: Charset::Alphanumeric,
            forbidden: ",".into(),
            ..TextRules::default()
        };
        assert!(check_text("Abc12", &rules).is_ok());
        assert!(
            check_text("Ünïç", &rules).is_ok(),
            "length counts characters, letters are Unicode"
        );
        assert_eq!(
            check_text("abcdef", &rules).unwrap_err().code,
            ProblemCode::TooLong
        );
        assert_eq!(
            check_text("a,b", &rules).unwrap_err().code,
            ProblemCode::ForbiddenCharacter
        );
        assert_eq!(
            check_text("a b", &rules).unwrap_err().code,
            ProblemCode::CharsetViolation
        );
        assert_eq!(
            check_text("a\u{7}", &TextRules::default())
                .unwrap_err()
                .code,
            ProblemCode::ControlCharacter
        );
        assert!(check_text("line\nbreak\ttab", &TextRules::default()).is_ok());
        let p = TextRules {
            pattern: Some(crate::schema::Pattern {
                source: "[A-Z]{2}[0-9]+".into(),
                regex: regex::Regex::new("^(?:[A-Z]{2}[0-9]+)$").unwrap(),
                hint: Some("two capital letters then digits".into()),
            }),
            ..TextRules::default()
        };
        assert!(check_text("AB12", &p).is_ok());
        insta::assert_snapshot!(check_text("A12", &p).unwrap_err().message, @"`A12` does not have the required form; expected two capital letters then digits");
    }
}
