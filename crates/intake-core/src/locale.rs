//! Locale: delimiter, number separators and date formats of a workspace or an import.
//!
//! Date formats are written the way spreadsheet users write them (`DD/MM/YYYY`), or in
//! strftime syntax (`%d/%m/%Y`) when they contain a `%`. ISO 8601 (`2024-03-01`) is always
//! accepted on top of the configured format.

use std::fmt;

use chrono::NaiveDate;

/// Delimiter, separators and formats used to read cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale {
    /// CSV delimiter; `None` means sniffed from the file.
    pub delimiter: Option<u8>,
    /// `.` or `,`.
    pub decimal_separator: char,
    /// Grouping separator in numbers, if any.
    pub thousands_separator: Option<char>,
    /// How dates are written (besides ISO 8601).
    pub date_format: DateFormat,
    /// How date-times are written (besides ISO 8601).
    pub datetime_format: DateTimeFormat,
    /// Region for phone numbers written without a country code.
    pub phone_region: Option<String>,
    /// A cell holding exactly this clears the field.
    pub clear_token: String,
}

impl Default for Locale {
    fn default() -> Self {
        Self {
            delimiter: None,
            decimal_separator: '.',
            thousands_separator: Some(','),
            date_format: DateFormat::iso(),
            datetime_format: DateTimeFormat::iso(),
            phone_region: None,
            clear_token: "#N/A".to_string(),
        }
    }
}

/// Named locales offered by `--locale`.
pub const PRESETS: &[(&str, &str)] = &[
    ("iso", "ISO 8601 dates, `.` decimals, no grouping"),
    ("en-US", "MM/DD/YYYY, 1,234.5"),
    ("en-GB", "DD/MM/YYYY, 1,234.5"),
    ("de-DE", "DD.MM.YYYY, 1.234,5, `;` delimiter"),
    ("fr-FR", "DD/MM/YYYY, 1 234,5, `;` delimiter"),
    ("nl-NL", "DD-MM-YYYY, 1.234,5, `;` delimiter"),
];

impl Locale {
    /// A named locale (see [`PRESETS`]).
    pub fn preset(name: &str) -> Option<Locale> {
        let fmt = |s: &str| DateFormat::parse(s).ok();
        let base = Locale::default();
        let (dec, thou, date, delim, region) = match name.to_ascii_lowercase().as_str() {
            "iso" => ('.', None, fmt("YYYY-MM-DD")?, None, None),
            "en-us" => ('.', Some(','), fmt("MM/DD/YYYY")?, Some(b','), Some("US")),
            "en-gb" => ('.', Some(','), fmt("DD/MM/YYYY")?, Some(b','), Some("GB")),
            "de-de" => (',', Some('.'), fmt("DD.MM.YYYY")?, Some(b';'), Some("DE")),
            "fr-fr" => (',', Some(' '), fmt("DD/MM/YYYY")?, Some(b';'), Some("FR")),
            "nl-nl" => (',', Some('.'), fmt("DD-MM-YYYY")?, Some(b';'), Some("NL")),
            _ => return None,
        };
        let datetime_format = DateTimeFormat {
            date: date.clone(),
            seconds: true,
        };
        Some(Locale {
            delimiter: delim,
            decimal_separator: dec,
            thousands_separator: thou,
            date_format: date,
            datetime_format,
            phone_region: region.map(str::to_string),
            clear_token: base.clear_token,
        })
    }
}

/// Parses a delimiter as users write it: `,` `;` `|` `tab` or `\t`.
pub fn parse_delimiter(s: &str) -> Option<u8> {
    match s {
        "," => Some(b','),
        ";" => Some(b';'),
        "|" => Some(b'|'),
        "\t" | "\\t" | "tab" | "TAB" | "Tab" => Some(b'\t'),
        _ => None,
    }
}

/// Order of the day, month and year in a numeric date format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateOrder {
    /// Year, month, day.
    Ymd,
    /// Day, month, year.
    Dmy,
    /// Month, day, year.
    Mdy,
}

impl DateOrder {
    /// How users call this reading.
    pub fn describe(self) -> &'static str {
        match self {
            DateOrder::Ymd => "year-first",
            DateOrder::Dmy => "day-first",
            DateOrder::Mdy => "month-first",
        }
    }
}

/// A date format: numeric (fast path, judged on the whole column) or any strftime format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat {
    /// As the user wrote it.
    pub source: String,
    kind: DateKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DateKind {
    Numeric {
        order: DateOrder,
        sep: char,
        two_digit_year: bool,
    },
    Strftime(String),
}

/// A date format that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{format}` is not a date format I understand: {reason} (examples: `DD/MM/YYYY`, `MM/DD/YYYY`, `DD.MM.YYYY`, `%d %b %Y`)"
)]
pub struct FormatError {
    /// The format as given.
    pub format: String,
    /// What is wrong.
    pub reason: String,
}

impl DateFormat {
    /// ISO 8601 calendar dates, `YYYY-MM-DD`.
    pub fn iso() -> Self {
        Self {
            source: "YYYY-MM-DD".into(),
            kind: DateKind::Numeric {
                order: DateOrder::Ymd,
                sep: '-',
                two_digit_year: false,
            },
        }
    }

    /// Parses a format: `DD/MM/YYYY`-style tokens or a strftime string containing `%`.
    pub fn parse(s: &str) -> Result<Self, FormatError> {
        let err = |reason: &str| FormatError {
            format: s.to_string(),
            reason: reason.to_string(),
        };
        if s.contains('%') {
            // Validate by formatting a known date: unknown specifiers make chrono fail, and so
            // do specifiers a date cannot fill (`%H`, `%r`, `%z`), which would otherwise fail
            // (panic) later, when a message shows an example date in this format.
            let items: Vec<_> = chrono::format::StrftimeItems::new(s).collect();
            if items
                .iter()
                .any(|i| matches!(i, chrono::format::Item::Error))
            {
                return Err(err("it has an unknown `%` specifier"));
            }
            let example = NaiveDate::from_ymd_opt(2024, 1, 31).unwrap_or_default();
            let shown = example.format_with_items(items.iter());
            if fmt::write(&mut String::new(), format_args!("{shown}")).is_err() {
                return Err(err(
                    "it has a `%` specifier that is not part of a date, such as a time or a time zone",
                ));
            }
            let has = |spec: &[&str]| spec.iter().any(|x| s.contains(x));
            if !has(&["%Y", "%y", "%F", "%D", "%x"]) {
                return Err(err("it has no year"));
            }
            return Ok(Self {
                source: s.to_string(),
                kind: DateKind::Strftime(s.to_string()),
            });
        }
        let upper = s.trim().to_ascii_uppercase();
        let mut parts = Vec::new();
        let mut sep = None;
        let mut cur = String::new();
        for c in upper.chars() {
            if c.is_ascii_alphabetic() {
                cur.push(c);
            } else {
                if sep.is_some_and(|x| x != c) {
                    return Err(err("use one separator between day, month and year"));
                }
                sep = Some(c);
                parts.push(std::mem::take(&mut cur));
            }
        }
        parts.push(cur);
        let Some(sep) = sep else {
            return Err(err("separate day, month and year with `/`, `.` or `-`"));
        };
        if !matches!(sep, '/' | '.' | '-' | ' ') {
            return Err(err("the separator must be `/`, `.`, `-` or a space"));
        }
        let pos = |tokens: &[&str]| parts.iter().position(|p| tokens.contains(&p.as_str()));
        let (Some(y), Some(m), Some(d)) =
            (pos(&["YYYY", "YY"]), pos(&["MM", "M"]), pos(&["DD", "D"]))
        else {
            return Err(err("it needs YYYY (or YY), MM and DD"));
        };
        if parts.len() != 3 {
            return Err(err("it needs exactly three parts"));
        }
        let order = match (y, m, d) {
            (0, 1, 2) => DateOrder::Ymd,
            (2, 1, 0) => DateOrder::Dmy,
            (2, 0, 1) => DateOrder::Mdy,
            _ => {
                return Err(err(
                    "the order must be YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY",
                ));
            }
        };
        Ok(Self {
            source: s.trim().to_string(),
            kind: DateKind::Numeric {
                order,
                sep,
                two_digit_year: parts[y] == "YY",
            },
        })
    }

    /// The reading with day and month swapped (`DD/MM/YYYY` <-> `MM/DD/YYYY`), for judgement.
    pub fn twin(&self) -> Option<DateFormat> {
        let DateKind::Numeric {
            order,
            sep,
            two_digit_year,
        } = self.kind
        else {
            return None;
        };
        let other = match order {
            DateOrder::Dmy => DateOrder::Mdy,
            DateOrder::Mdy => DateOrder::Dmy,
            DateOrder::Ymd => return None,
        };
        let y = if two_digit_year { "YY" } else { "YYYY" };
        let source = match other {
            DateOrder::Dmy => format!("DD{sep}MM{sep}{y}"),
            _ => format!("MM{sep}DD{sep}{y}"),
        };
        Some(Self {
            source,
            kind: DateKind::Numeric {
                order: other,
                sep,
                two_digit_year,
            },
        })
    }

    /// The order of a numeric format.
    pub fn order(&self) -> Option<DateOrder> {
        match self.kind {
            DateKind::Numeric { order, .. } => Some(order),
            DateKind::Strftime(_) => None,
        }
    }

    /// Whether this is plain ISO 8601 (`YYYY-MM-DD`).
    pub fn is_iso(&self) -> bool {
        matches!(
            self.kind,
            DateKind::Numeric {
                order: DateOrder::Ymd,
                sep: '-',
                two_digit_year: false
            }
        )
    }

    /// Reads a date in this format (ISO 8601 is tried by the caller).
    pub fn parse_date(&self, s: &str) -> Option<NaiveDate> {
        match &self.kind {
            DateKind::Numeric {
                order,
                sep,
                two_digit_year,
            } => parse_numeric_date(s, *order, *sep, *two_digit_year),
            DateKind::Strftime(f) => NaiveDate::parse_from_str(s, f).ok(),
        }
    }

    /// Writes a date in this format.
    pub fn format_date(&self, d: NaiveDate) -> String {
        match &self.kind {
            DateKind::Numeric {
                order,
                sep,
                two_digit_year,
            } => {
                use chrono::Datelike;
                let y = if *two_digit_year {
                    format!("{:02}", d.year().rem_euclid(100))
                } else {
                    format!("{:04}", d.year())
                };
                let (m, dd) = (format!("{:02}", d.month()), format!("{:02}", d.day()));
                match order {
                    DateOrder::Ymd => format!("{y}{sep}{m}{sep}{dd}"),
                    DateOrder::Dmy => format!("{dd}{sep}{m}{sep}{y}"),
                    DateOrder::Mdy => format!("{m}{sep}{dd}{sep}{y}"),
                }
            }
            DateKind::Strftime(f) => d.format(f).to_string(),
        }
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Parses `n` ASCII digits (1 to 4 of them) quickly.
pub(crate) fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0, |a, b| a * 10 + u32::from(b - b'0')))
}

fn parse_numeric_date(
    s: &str,
    order: DateOrder,
    sep: char,
    two_digit_year: bool,
) -> Option<NaiveDate> {
    let mut it = s.split(sep);
    let (a, b, c) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() {
        return None;
    }
    let (ys, ms, ds) = match order {
        DateOrder::Ymd => (a, b, c),
        DateOrder::Dmy => (c, b, a),
        DateOrder::Mdy => (c, a, b),
    };
    if ms.len() > 2 || ds.len() > 2 {
        return None;
    }
    let year = if two_digit_year {
        if ys.len() != 2 {
            return None;
        }
        // Two-digit years: 00-69 are 2000-2069, 70-99 are 1970-1999 (the spreadsheet rule).
        let y = digits(ys)?;
        if y < 70 { 2000 + y } else { 1900 + y }
    } else {
        if ys.len() != 4 {
            return None;
        }
        digits(ys)?
    };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, digits(ms)?, digits(ds)?)
}

/// Reads an ISO 8601 calendar date, `YYYY-MM-DD` (extended format only).
pub fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(
        i32::try_from(digits(s.get(0..4)?)?).ok()?,
        digits(s.get(5..7)?)?,
        digits(s.get(8..10)?)?,
    )
}

/// A date-time format: a date format followed by a space and `hh:mm` or `hh:mm:ss`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTimeFormat {
    /// The date part.
    pub date: DateFormat,
    /// Whether seconds are written.
    pub seconds: bool,
}

impl DateTimeFormat {
    /// ISO 8601: `YYYY-MM-DD hh:mm:ss` (and always the `T` form with an offset).
    pub fn iso() -> Self {
        Self {
            date: DateFormat::iso(),
            seconds: true,
        }
    }

    /// Parses `DD/MM/YYYY hh:mm[:ss]`.
    pub fn parse(s: &str) -> Result<Self, FormatError> {
        let s = s.trim();
        let (date, time) = s.rsplit_once(' ').ok_or_else(|| FormatError {
            format: s.to_string(),
            reason: "write the date, a space and `hh:mm` or `hh:mm:ss`".into(),
        })?;
        let seconds = match time.to_ascii_lowercase().as_str() {
            "hh:mm" => false,
            "hh:mm:ss" => true,
            _ => {
                return Err(FormatError {
                    format: s.to_string(),
                    reason: "the time must be `hh:mm` or `hh:mm:ss`".into(),
                });
            }
        };
        Ok(Self {
            date: DateFormat::parse(date)?,
            seconds,
        })
    }
}

impl fmt::Display for DateTimeFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} hh:mm{}",
            self.date,
            if self.seconds { ":ss" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, dd)
    }

    #[test]
    fn numeric_formats_read_padded_and_unpadded_days() {
        let f = DateFormat::parse("DD/MM/YYYY").unwrap();
        assert_eq!(f.parse_date("01/03/2024"), d(2024, 3, 1));
        assert_eq!(f.parse_date("1/3/2024"), d(2024, 3, 1));
        assert_eq!(f.parse_date("31/02/2024"), None);
        assert_eq!(f.parse_date("01/03/24"), None);
        assert_eq!(f.parse_date("01/03/2024x"), None);
        let us = f.twin().unwrap();
        assert_eq!(us.source, "MM/DD/YYYY");
        assert_eq!(us.parse_date("01/03/2024"), d(2024, 1, 3));
        assert_eq!(us.parse_date("13/01/2024"), None);
    }

    #[test]
    fn german_dates_and_two_digit_years() {
        let f = DateFormat::parse("DD.MM.YY").unwrap();
        assert_eq!(f.parse_date("01.03.24"), d(2024, 3, 1));
        assert_eq!(f.parse_date("01.03.85"), d(1985, 3, 1));
        assert_eq!(
            f.format_date(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()),
            "01.03.24"
        );
    }

    #[test]
    fn strftime_formats() {
        let f = DateFormat::parse("%d %b %Y").unwrap();
        assert_eq!(f.parse_date("01 Mar 2024"), d(2024, 3, 1));
        assert!(f.twin().is_none());
        assert!(DateFormat::parse("%d %m").is_err());
        assert!(DateFormat::parse("%Q %Y").is_err());
        // Specifiers a date cannot fill (fuzz/regressions/cell/strftime-*).
        assert!(DateFormat::parse("%r%Y").is_err());
        assert!(DateFormat::parse("%Y-%m-%d %z").is_err());
    }

    #[test]
    fn bad_formats_say_why() {
        let e = DateFormat::parse("DD/MM").unwrap_err();
        assert!(e.to_string().contains("YYYY"), "{e}");
        assert!(DateFormat::parse("DD/MM-YYYY").is_err());
        assert!(DateFormat::parse("MM/YYYY/DD").is_err());
    }

    #[test]
    fn iso_dates_are_extended_format_only() {
        assert_eq!(parse_iso_date("2024-03-01"), d(2024, 3, 1));
        assert_eq!(parse_iso_date("20240301"), None);
        assert_eq!(parse_iso_date("2024-3-1"), None);
        assert_eq!(parse_iso_date("2001-02-29"), None);
        assert_eq!(parse_iso_date("2000-02-29"), d(2000, 2, 29));
    }

    #[test]
    fn presets_exist() {
        for (name, _) in PRESETS {
            assert!(Locale::preset(name).is_some(), "{name}");
        }
        let de = Locale::preset("de-DE").unwrap();
        assert_eq!(de.decimal_separator, ',');
        assert_eq!(de.date_format.source, "DD.MM.YYYY");
    }

    #[test]
    fn datetime_formats() {
        let f = DateTimeFormat::parse("DD/MM/YYYY hh:mm").unwrap();
        assert!(!f.seconds);
        assert!(DateTimeFormat::parse("DD/MM/YYYY").is_err());
    }
}
