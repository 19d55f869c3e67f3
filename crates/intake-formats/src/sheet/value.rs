//! A spreadsheet cell as the text a user sees in the formula bar: numbers to 15 significant
//! digits (Excel's precision, so `0.1+0.2` reads `0.3`), dates as ISO 8601, text as typed
//! (leading zeros kept), formula cells as their cached value, error values flagged.

use std::fmt::Write as _;

use calamine::{Data, DataRef, ExcelDateTime, ExcelDateTimeType};

/// What a cell holds, once written as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No value: the cell is left out (or empty in its record).
    Empty,
    /// A value, written to the output.
    Value,
    /// An error value (`#N/A`), written as the spreadsheet shows it.
    Error,
}

/// Writes a cell of the streaming XLSX reader into `out` (cleared first). Number cells are
/// written with `decimal` as their decimal separator: the one the workspace reads numbers
/// with, so that a number cell `1.234` in a decimal-comma workspace is read as 1.234 and
/// not as 1234.
pub(crate) fn data_ref(
    cell: &DataRef<'_>,
    date_1904: bool,
    decimal: char,
    out: &mut String,
) -> Kind {
    out.clear();
    match cell {
        DataRef::Empty => return Kind::Empty,
        DataRef::String(s) => out.push_str(s),
        DataRef::SharedString(s) => out.push_str(s),
        DataRef::Int(i) => {
            let _ = write!(out, "{i}");
        }
        DataRef::Float(f) => {
            number(*f, out);
            if decimal != '.'
                && let Some(i) = out.find('.')
            {
                out.replace_range(i..=i, decimal.encode_utf8(&mut [0; 4]));
            }
        }
        DataRef::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTime(d) => date_time(d, date_1904, out),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => out.push_str(s),
        DataRef::Error(e) => {
            let _ = write!(out, "{e}");
            return Kind::Error;
        }
    }
    if out.is_empty() {
        Kind::Empty
    } else {
        Kind::Value
    }
}

/// Writes a cell of the XLS and ODS readers into `out` (cleared first).
pub(crate) fn data(cell: &Data, date_1904: bool, decimal: char, out: &mut String) -> Kind {
    let r = match cell {
        Data::Empty => DataRef::Empty,
        Data::String(s) => DataRef::SharedString(s),
        Data::Int(i) => DataRef::Int(*i),
        Data::Float(f) => DataRef::Float(*f),
        Data::Bool(b) => DataRef::Bool(*b),
        Data::DateTime(d) => DataRef::DateTime(*d),
        Data::DateTimeIso(s) => DataRef::SharedString(s),
        Data::DurationIso(s) => DataRef::SharedString(s),
        Data::Error(e) => DataRef::Error(e.clone()),
    };
    data_ref(&r, date_1904, decimal, out)
}

/// A number to 15 significant digits, without exponent or trailing zeros: `0.3`, `2.675`,
/// `1234567.891`, `0.125`.
pub(crate) fn number(f: f64, out: &mut String) {
    if !f.is_finite() {
        let _ = write!(out, "{f}");
        return;
    }
    // Round to 15 significant digits, then print the shortest text of that double.
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    if rounded == 0.0 {
        out.push('0');
    } else if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        let _ = write!(out, "{}", rounded as i64);
    } else {
        let _ = write!(out, "{rounded}");
    }
}

const SECONDS_PER_DAY: f64 = 86_400.0;

/// A date cell as ISO 8601: `2024-03-01`, `2024-03-01T14:30:00`, a time alone as `14:30:00`;
/// a duration as `[h]:mm:ss` (`36:00:00`). Rounded to the nearest second (12.99999 s is 13 s).
fn date_time(d: &ExcelDateTime, date_1904: bool, out: &mut String) {
    let serial = d.as_f64();
    let seconds = (serial * SECONDS_PER_DAY).round();
    if d.is_duration() {
        let total = seconds.abs() as u64;
        let sign = if seconds < 0.0 { "-" } else { "" };
        let _ = write!(
            out,
            "{sign}{}:{:02}:{:02}",
            total / 3600,
            total / 60 % 60,
            total % 60
        );
        return;
    }
    let days = (seconds / SECONDS_PER_DAY).floor();
    let rest = (seconds - days * SECONDS_PER_DAY) as u64;
    let time = format!("{:02}:{:02}:{:02}", rest / 3600, rest / 60 % 60, rest % 60);
    if days == 0.0 && !date_1904 {
        // Serial 0 is no date in the 1900 system: a time of day alone.
        out.push_str(&time);
        return;
    }
    let (y, m, day, ..) =
        ExcelDateTime::new(days, ExcelDateTimeType::DateTime, date_1904).to_ymd_hms_milli();
    let _ = write!(out, "{y:04}-{m:02}-{day:02}");
    if rest != 0 {
        out.push('T');
        out.push_str(&time);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(f: f64) -> String {
        let mut s = String::new();
        number(f, &mut s);
        s
    }

    #[test]
    fn number_cells_take_the_workspaces_decimal_separator() {
        let read = |f: f64, decimal: char| {
            let mut s = String::new();
            data_ref(&DataRef::Float(f), false, decimal, &mut s);
            s
        };
        assert_eq!(read(1.234, ','), "1,234");
        assert_eq!(read(1234.0, ','), "1234");
        assert_eq!(read(-0.5, ','), "-0,5");
        assert_eq!(read(1.234, '.'), "1.234");
        // Integers and text are not numbers of the sheet: untouched.
        let mut s = String::new();
        data_ref(&DataRef::String("1.234".into()), false, ',', &mut s);
        assert_eq!(s, "1.234");
    }

    fn date(serial: f64, date_1904: bool) -> String {
        let mut s = String::new();
        date_time(
            &ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, date_1904),
            date_1904,
            &mut s,
        );
        s
    }

    #[test]
    fn s15_numbers_keep_15_significant_digits() {
        assert_eq!(num(0.1 + 0.2), "0.3");
        assert_eq!(num(2.675), "2.675");
        assert_eq!(num(1234567.891), "1234567.891");
        assert_eq!(num(0.125), "0.125");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(1e20), "100000000000000000000");
        assert_eq!(num(42.0), "42");
        assert_eq!(num(-1.5), "-1.5");
    }

    #[test]
    fn s14_dates_in_both_systems_rounded_to_the_second() {
        assert_eq!(date(45352.0, false), "2024-03-01");
        assert_eq!(date(45352.0 - 1462.0, true), "2024-03-01");
        assert_eq!(date(45352.5, false), "2024-03-01T12:00:00");
        // 12.99999 seconds past midnight is 13 seconds.
        assert_eq!(
            date(45352.0 + 12.99999 / 86400.0, false),
            "2024-03-01T00:00:13"
        );
        assert_eq!(date(0.75, false), "18:00:00");
        assert_eq!(date(59.0, false), "1900-02-28");
        assert_eq!(date(61.0, false), "1900-03-01");
        let mut s = String::new();
        date_time(
            &ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false),
            false,
            &mut s,
        );
        assert_eq!(s, "36:00:00");
    }
}
