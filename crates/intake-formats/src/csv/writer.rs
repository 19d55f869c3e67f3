//! Writing CSV that is safe to open in a spreadsheet (exports, response files).
//!
//! A cell starting with `=`, `+`, `-`, `@`, tab or CR can run as a formula when the file is
//! opened in a spreadsheet (OWASP "CSV injection", ASVS 5.0 1.2.10). Such cells get one `'` in
//! front. Cells that already start with `'` get one too, so that stripping exactly one guard
//! on re-import ([`unneutralise`]) always gives back the original text: an export re-imported
//! unchanged changes nothing. Plain negative numbers (`-12.5`) cannot run and are left alone.

use std::borrow::Cow;
use std::io::{self, Write};

/// Whether `cell` would be neutralised.
fn needs_guard(cell: &str) -> bool {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'@' | b'\t' | b'\r' | b'\'') => true,
        Some(b'-') => !is_plain_negative_number(cell),
        _ => false,
    }
}

/// `-12`, `-12.5`, `-12,5`: a minus, digits, at most one decimal separator between digits.
fn is_plain_negative_number(cell: &str) -> bool {
    let Some(digits) = cell.strip_prefix('-') else {
        return false;
    };
    let (whole, fraction) = match digits.split_once(['.', ',']) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// `cell` as written to a CSV file: with a `'` in front if a spreadsheet could take it for a
/// formula, or if it starts with `'` already (so [`unneutralise`] can undo this exactly).
///
/// ```
/// use intake_formats::neutralise;
/// assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(neutralise("+44 20 7946 0958"), "'+44 20 7946 0958");
/// assert_eq!(neutralise("'=x"), "''=x");
/// assert_eq!(neutralise("-12.5"), "-12.5");
/// assert_eq!(neutralise("plain"), "plain");
/// ```
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if needs_guard(cell) {
        let mut guarded = String::with_capacity(cell.len() + 1);
        guarded.push('\'');
        guarded.push_str(cell);
        Cow::Owned(guarded)
    } else {
        Cow::Borrowed(cell)
    }
}

/// Undoes [`neutralise`]: strips exactly one leading `'` when what follows would have been
/// neutralised; any other cell is returned as it is. `unneutralise(&neutralise(x)) == x` for
/// every `x`.
///
/// ```
/// use intake_formats::unneutralise;
/// assert_eq!(unneutralise("'=SUM(1)"), "=SUM(1)");
/// assert_eq!(unneutralise("''=x"), "'=x");
/// assert_eq!(unneutralise("'quoted"), "'quoted");
/// ```
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => cell,
    }
}

/// How to write CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvWriterOptions {
    /// The delimiter (`,` by default); must be ASCII and neither a quote nor a line break.
    pub delimiter: u8,
    /// Start the file with a UTF-8 byte-order mark, which older Excel versions need to read
    /// UTF-8 (off by default).
    pub bom: bool,
}

impl Default for CsvWriterOptions {
    fn default() -> Self {
        Self {
            delimiter: b',',
            bom: false,
        }
    }
}

/// A CSV writer whose cells never start a formula: every cell goes through [`neutralise`].
/// Cells are quoted when needed, records end with `\n`, records may differ in length.
pub struct CsvWriter<W: Write> {
    inner: ::csv::Writer<W>,
}

impl<W: Write> std::fmt::Debug for CsvWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvWriter").finish_non_exhaustive()
    }
}

impl<W: Write> CsvWriter<W> {
    /// A writer to `out` (buffered inside: do not wrap `out` in a `BufWriter`); writes the
    /// byte-order mark at once if asked to.
    pub fn new(mut out: W, options: &CsvWriterOptions) -> io::Result<Self> {
        if !options.delimiter.is_ascii() || matches!(options.delimiter, b'"' | b'\r' | b'\n') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "`{}` cannot be the delimiter: choose one ASCII character other than a quote or a line break",
                    options.delimiter.escape_ascii()
                ),
            ));
        }
        if options.bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let inner = ::csv::WriterBuilder::new()
            .delimiter(options.delimiter)
            .terminator(::csv::Terminator::Any(b'\n'))
            .quote_style(::csv::QuoteStyle::Necessary)
            .flexible(true)
            .from_writer(out);
        Ok(Self { inner })
    }

    /// Writes one record, each cell neutralised. A record with no cells is an empty line,
    /// which readers skip: give it one empty cell to keep it.
    pub fn write_record<I, S>(&mut self, cells: I) -> io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for cell in cells {
            self.inner
                .write_field(neutralise(cell.as_ref()).as_bytes())?;
        }
        self.inner.write_record(std::iter::empty::<&[u8]>())?;
        Ok(())
    }

    /// Writes everything buffered to the underlying writer and flushes it.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> io::Result<W> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards() {
        for cell in [
            "=1+2",
            "+1",
            "-2+3",
            "@SUM(1)",
            "\tx",
            "\rx",
            "'",
            "'=x",
            "-",
            "-1e5",
            "+44 20 7946 0958",
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"), "{cell:?}");
        }
        for cell in ["", "a", "-12.5", "-12,5", "-3", "12", " =1", "NA", "\n="] {
            assert_eq!(neutralise(cell), cell, "{cell:?}");
        }
    }

    #[test]
    fn unguards() {
        assert_eq!(unneutralise("'-2+3"), "-2+3");
        assert_eq!(unneutralise("'-12.5"), "'-12.5");
        assert_eq!(unneutralise("'"), "'");
        assert_eq!(unneutralise("''"), "'");
        assert_eq!(unneutralise(""), "");
    }

    #[test]
    fn writes_quoted_neutralised_records() {
        let mut writer = CsvWriter::new(
            Vec::new(),
            &CsvWriterOptions {
                bom: true,
                ..Default::default()
            },
        )
        .expect("writing to a Vec");
        writer
            .write_record(["a,b", "=1", "say \"hi\""])
            .expect("writing to a Vec");
        writer.write_record([""]).expect("writing to a Vec");
        writer
            .write_record(["x\ny", "\tz"])
            .expect("writing to a Vec");
        let bytes = writer.into_inner().expect("writing to a Vec");
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "\u{feff}\"a,b\",'=1,\"say \"\"hi\"\"\"\n\"\"\n\"x\ny\",'\tz\n"
        );
    }

    #[test]
    fn rejects_a_quote_as_delimiter() {
        let options = CsvWriterOptions {
            delimiter: b'"',
            ..Default::default()
        };
        assert!(CsvWriter::new(Vec::new(), &options).is_err());
    }
}
