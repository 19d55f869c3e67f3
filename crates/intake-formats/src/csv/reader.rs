//! The streaming CSV reader: sniffing up front, then batches of records.

use std::fmt;
use std::io::Read;

use encoding_rs::Encoding;

use crate::batch::RecordBatch;
use crate::csv::decode::{SourceError, TextSource, read_full};
use crate::csv::sniff::{self, NulPattern};
use crate::csv::tokenizer::{Fed, Tokenizer};
use crate::error::ReadError;
use crate::limits::Limits;
use crate::source::RowSource;

/// How many bytes [`CsvReader::new`] reads up front to detect the encoding, the delimiter and
/// the line endings.
pub const SAMPLE_BYTES: usize = 64 * 1024;

/// How to read a CSV file; the default detects everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvOptions {
    /// The delimiter, or `None` to sniff it among `,` `;` tab `|`.
    pub delimiter: Option<u8>,
    /// The encoding, or `None` to detect it. A byte-order mark at the start of the file wins
    /// over this, as in browsers: a file that starts with one is in that encoding.
    pub encoding: Option<&'static Encoding>,
    /// Limits on size, rows, columns and cell length.
    pub limits: Limits,
}

/// How a detected property was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// From the byte-order mark.
    Bom,
    /// Detected from the content with confidence.
    Sniffed,
    /// A best guess (a legacy encoding from its byte statistics; `,` for a file with one
    /// column): tell the user, e.g. "assumed windows-1252".
    Guessed,
    /// Given in the options.
    Given,
}

impl Source {
    /// How the value was found, for a user.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Bom => "from the byte-order mark",
            Self::Sniffed => "detected",
            Self::Guessed => "assumed",
            Self::Given => "as chosen",
        }
    }
}

/// The line endings of the sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LineEnding {
    /// `\n` (Unix, macOS).
    Lf,
    /// `\r\n` (Windows, Excel).
    CrLf,
    /// `\r` alone (classic Mac OS).
    Cr,
    /// More than one kind; all of them end records.
    Mixed,
    /// The sample has no line ending (one line).
    None,
}

impl LineEnding {
    /// The usual name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Lf => "LF",
            Self::CrLf => "CRLF",
            Self::Cr => "CR",
            Self::Mixed => "mixed",
            Self::None => "none",
        }
    }
}

/// What the reader found out about the file before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    /// The encoding the file is read as.
    pub encoding: &'static Encoding,
    /// How the encoding was found; [`Source::Guessed`] must be shown to the user.
    pub encoding_source: Source,
    /// Whether the file starts with a byte-order mark (it is not part of the first cell).
    pub bom: bool,
    /// The delimiter.
    pub delimiter: u8,
    /// How the delimiter was found.
    pub delimiter_source: Source,
    /// The line endings of the sample.
    pub line_ending: LineEnding,
}

impl fmt::Display for Detected {
    /// `encoding windows-1252 (assumed), delimiter `;` (detected), line endings CRLF`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "encoding {} ({}), delimiter {} ({}), line endings {}",
            self.encoding.name(),
            self.encoding_source.describe(),
            delimiter_name(self.delimiter),
            self.delimiter_source.describe(),
            self.line_ending.name()
        )
    }
}

/// A delimiter as a user would name it: `` `;` `` or `tab`.
pub fn delimiter_name(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab".to_owned(),
        b' ' => "space".to_owned(),
        _ => format!("`{}`", delimiter.escape_ascii()),
    }
}

/// A streaming CSV reader over any [`Read`]: detects the encoding, delimiter and line endings
/// from a sample, then yields records in batches, numbering rows as a spreadsheet does.
///
/// Memory is bounded by the batch and the limits, not by the file. After an error, or at the
/// end of the input, every further [`read_batch`](Self::read_batch) returns `Ok(false)`.
pub struct CsvReader<R: Read> {
    source: TextSource<R>,
    tokenizer: Tokenizer,
    detected: Detected,
    /// How much of the source's current chunk the tokenizer has consumed.
    pos: usize,
    done: bool,
}

impl<R: Read> fmt::Debug for CsvReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CsvReader")
            .field("detected", &self.detected)
            .field("records", &self.tokenizer.records())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: Read> CsvReader<R> {
    /// Reads a sample ([`SAMPLE_BYTES`]) of `input` to detect what `options` leave open, and
    /// fails early on what the sample shows: an empty file, a file that is not text, a file
    /// over the size limit, a delimiter that cannot be.
    pub fn new(mut input: R, options: &CsvOptions) -> Result<Self, ReadError> {
        let limits = options.limits;
        if let Some(delimiter) = options.delimiter
            && (!delimiter.is_ascii() || matches!(delimiter, b'"' | b'\r' | b'\n'))
        {
            return Err(ReadError::InvalidDelimiter { delimiter });
        }
        let mut sample = Vec::with_capacity(SAMPLE_BYTES);
        let n = read_full(&mut input, &mut sample, SAMPLE_BYTES)?;
        let complete = n < SAMPLE_BYTES;
        if sample.len() as u64 > limits.max_file_bytes {
            return Err(ReadError::TooLarge {
                limit: limits.max_file_bytes,
            });
        }
        if sample.is_empty() {
            return Err(ReadError::Empty);
        }

        let (encoding, encoding_source, bom_len) = detect_encoding(&sample, complete, options)?;
        let body = &sample[bom_len..];
        let text = sample_text(body, encoding);
        if complete && text.bytes().all(|b| b == b'\r' || b == b'\n') {
            return Err(ReadError::Empty);
        }
        let (delimiter, delimiter_source) = match options.delimiter {
            Some(delimiter) => (delimiter, Source::Given),
            None => match sniff::delimiter(&text, complete) {
                Some(delimiter) => (delimiter, Source::Sniffed),
                None => (b',', Source::Guessed),
            },
        };
        let counts = sniff::line_endings(&text, delimiter, complete);
        let line_ending = match (counts.lf > 0, counts.crlf > 0, counts.cr > 0) {
            (false, false, false) => LineEnding::None,
            (true, false, false) => LineEnding::Lf,
            (false, true, false) => LineEnding::CrLf,
            (false, false, true) => LineEnding::Cr,
            _ => LineEnding::Mixed,
        };

        let detected = Detected {
            encoding,
            encoding_source,
            bom: bom_len > 0,
            delimiter,
            delimiter_source,
            line_ending,
        };
        let source = TextSource::new(sample, bom_len, input, encoding, limits.max_file_bytes);
        Ok(Self {
            source,
            tokenizer: Tokenizer::new(delimiter, &limits),
            detected,
            pos: 0,
            done: false,
        })
    }

    /// What was detected (or given) about the file.
    pub fn detected(&self) -> &Detected {
        &self.detected
    }

    /// Clears `batch` and fills it with up to `max_rows` records (at least one is asked for
    /// when `max_rows` is 0). `Ok(false)` at the end of the input with nothing read.
    ///
    /// An error ends the reading; `batch` then holds the whole records read before it.
    pub fn read_batch(
        &mut self,
        batch: &mut RecordBatch,
        max_rows: usize,
    ) -> Result<bool, ReadError> {
        batch.clear();
        if self.done {
            return Ok(false);
        }
        let result = self.fill(batch, max_rows.max(1));
        if result.is_err() {
            self.done = true;
            batch.drop_open_record();
        }
        result
    }

    fn fill(&mut self, batch: &mut RecordBatch, max_rows: usize) -> Result<bool, ReadError> {
        loop {
            let fed = self
                .tokenizer
                .feed(self.source.text(), &mut self.pos, batch, max_rows)?;
            if fed == Fed::BatchFull {
                return Ok(true);
            }
            match self.source.refill() {
                Ok(true) => self.pos = 0,
                Ok(false) => {
                    self.done = true;
                    self.tokenizer.finish(batch)?;
                    if self.tokenizer.records() == 0 {
                        return Err(ReadError::Empty);
                    }
                    return Ok(!batch.is_empty());
                }
                Err(SourceError::Io(e)) => return Err(ReadError::Io(e)),
                Err(SourceError::TooLarge) => {
                    return Err(ReadError::TooLarge {
                        limit: self.source.max_bytes(),
                    });
                }
                Err(SourceError::Invalid { byte_offset }) => {
                    let (row, column) = self.tokenizer.position();
                    return Err(ReadError::InvalidEncoding {
                        row,
                        column,
                        byte_offset,
                        encoding: self.detected.encoding,
                    });
                }
            }
        }
    }
}

impl<R: Read> RowSource for CsvReader<R> {
    fn detected(&self) -> Option<&Detected> {
        Some(&self.detected)
    }

    fn read_batch(&mut self, batch: &mut RecordBatch, max_rows: usize) -> Result<bool, ReadError> {
        CsvReader::read_batch(self, batch, max_rows)
    }
}

/// The encoding, how it was found, and the length of the byte-order mark to skip.
fn detect_encoding(
    sample: &[u8],
    complete: bool,
    options: &CsvOptions,
) -> Result<(&'static Encoding, Source, usize), ReadError> {
    if let Some((encoding, len)) = sniff::bom(sample) {
        return Ok((encoding, Source::Bom, len));
    }
    if let Some(what) = sniff::magic(sample) {
        return Err(ReadError::NotText { what });
    }
    if let Some(encoding) = options.encoding {
        return Ok((encoding, Source::Given, 0));
    }
    let utf16 = match sniff::nul_pattern(sample) {
        NulPattern::Utf16Le => Some(encoding_rs::UTF_16LE),
        NulPattern::Utf16Be => Some(encoding_rs::UTF_16BE),
        NulPattern::None => None,
    };
    if let Some(encoding) = utf16 {
        return if sniff::decodes_cleanly(sample, encoding, complete) {
            Ok((encoding, Source::Sniffed, 0))
        } else {
            Err(ReadError::Utf16WithoutBom)
        };
    }
    if sniff::looks_binary(sample) {
        return Err(ReadError::NotText {
            what: "binary data",
        });
    }
    if sniff::utf8_valid(sample, complete) {
        return Ok((encoding_rs::UTF_8, Source::Sniffed, 0));
    }
    Ok((sniff::guess_legacy(sample, complete), Source::Guessed, 0))
}

/// The sample as text, for sniffing only: undecodable bytes become U+FFFD here.
fn sample_text(body: &[u8], encoding: &'static Encoding) -> String {
    if encoding == encoding_rs::UTF_8 {
        String::from_utf8_lossy(body).into_owned()
    } else {
        encoding.decode_without_bom_handling(body).0.into_owned()
    }
}
