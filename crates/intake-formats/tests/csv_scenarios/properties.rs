//! Property tests: the reader agrees with the `csv` crate wherever the `csv` crate is right,
//! never panics on any bytes, and export then re-import (R1) changes nothing.

use encoding_rs::UTF_8;
use intake_formats::{
    CsvOptions, CsvReader, CsvWriter, CsvWriterOptions, Limits, ReadError, RecordBatch, neutralise,
    unneutralise,
};
use proptest::prelude::*;

/// Reads all records of `input` as UTF-8 with `,`, in batches of `batch_rows`.
fn ours(input: &[u8], batch_rows: usize) -> Result<Vec<Vec<String>>, ReadError> {
    let options = CsvOptions {
        delimiter: Some(b','),
        encoding: Some(UTF_8),
        ..CsvOptions::default()
    };
    let mut reader = CsvReader::new(input, &options)?;
    let mut batch = RecordBatch::new();
    let mut records = Vec::new();
    while reader.read_batch(&mut batch, batch_rows)? {
        records.extend(batch.iter().map(|r| r.to_vec()));
    }
    Ok(records)
}

/// What `csv::Reader` reads from `input`, without headers, allowing ragged records.
fn theirs(input: &[u8]) -> Vec<Vec<String>> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input)
        .records()
        .map(|r| match r {
            Ok(record) => record.iter().map(str::to_owned).collect(),
            Err(e) => panic!("csv could not read its own kind of input: {e}"),
        })
        .collect()
}

fn cell() -> impl Strategy<Value = String> {
    // Delimiters, quotes, every line break, spaces, multi-byte and astral characters.
    proptest::string::string_regex("[a-c ,;\"\r\n\té😀]{0,8}").expect("a valid regex")
}

fn records() -> impl Strategy<Value = Vec<Vec<String>>> {
    prop::collection::vec(prop::collection::vec(cell(), 1..6), 1..20)
}

fn write_with_csv(records: &[Vec<String>], crlf: bool) -> Vec<u8> {
    let terminator = if crlf {
        ::csv::Terminator::CRLF
    } else {
        ::csv::Terminator::Any(b'\n')
    };
    let mut writer = ::csv::WriterBuilder::new()
        .flexible(true)
        .terminator(terminator)
        .from_writer(Vec::new());
    for record in records {
        writer.write_record(record).expect("writing to a Vec");
    }
    writer.into_inner().expect("writing to a Vec")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// On well-formed input written by `csv::Writer`, we read exactly what `csv::Reader` reads
    /// (and what was written), whatever the batch size.
    #[test]
    fn differential_well_formed(records in records(), crlf in any::<bool>(), batch_rows in 1usize..5) {
        let bytes = write_with_csv(&records, crlf);
        let expected = theirs(&bytes);
        prop_assert_eq!(&expected, &records);
        prop_assert_eq!(ours(&bytes, batch_rows).map_err(|e| e.to_string()), Ok(expected));
    }

    /// On any mix of the bytes that matter, we read what `csv::Reader` reads, except where it
    /// is silently wrong: an unclosed quote, which we report.
    #[test]
    fn differential_any_soup(soup in proptest::string::string_regex("[a,\"\r\n ]{0,40}").expect("a valid regex")) {
        let expected = theirs(soup.as_bytes());
        match ours(soup.as_bytes(), 3) {
            Ok(records) => prop_assert_eq!(records, expected),
            Err(ReadError::Empty) => prop_assert!(expected.is_empty()),
            Err(ReadError::UnclosedQuote { .. }) => {
                // csv would have swallowed the rest of the input into the last cell.
                prop_assert!(!expected.is_empty());
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    /// No input makes the reader panic, whatever it detects and whatever the limits.
    #[test]
    fn never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        max_columns in 1usize..6,
        max_cell_chars in 1usize..10,
        batch_rows in 1usize..4,
    ) {
        let options = CsvOptions {
            limits: Limits { max_columns, max_cell_chars, max_rows: 50, max_file_bytes: 500, ..Limits::default() },
            ..CsvOptions::default()
        };
        if let Ok(mut reader) = CsvReader::new(&bytes[..], &options) {
            let mut batch = RecordBatch::new();
            while let Ok(true) = reader.read_batch(&mut batch, batch_rows) {
                for record in batch.iter() {
                    prop_assert!(record.len() <= max_columns);
                    prop_assert!(record.iter().all(|c| c.chars().count() <= max_cell_chars));
                }
            }
        }
    }

    /// No text in a byte soup of delimiters, quotes and line breaks, in UTF-16 or a guessed
    /// encoding, makes the reader panic either.
    #[test]
    fn never_panics_on_text_soup(soup in proptest::string::string_regex("[a,;\"\r\n\0é😀\u{80}-\u{ff}]{0,60}").expect("a valid regex"), utf16 in any::<bool>()) {
        let bytes: Vec<u8> = if utf16 {
            soup.encode_utf16().flat_map(u16::to_le_bytes).collect()
        } else {
            soup.into_bytes()
        };
        if let Ok(mut reader) = CsvReader::new(&bytes[..], &CsvOptions::default()) {
            let mut batch = RecordBatch::new();
            while let Ok(true) = reader.read_batch(&mut batch, 2) {}
        }
    }

    /// R1: unneutralise undoes neutralise exactly, and neutralised cells never start a formula.
    #[test]
    fn r1_neutralise_round_trip(cell in "\\PC{0,6}|[=+\\-@\t\r'][=+\\-@\t\r'0-9.a]{0,5}") {
        let guarded = neutralise(&cell);
        prop_assert_eq!(unneutralise(&guarded), cell.as_str());
        let first = guarded.as_bytes().first().copied();
        let plain_number = guarded.strip_prefix('-').is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b','));
        prop_assert!(plain_number || !matches!(first, Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')));
    }

    /// R1: any records written by `CsvWriter` and read back by `CsvReader` give the original
    /// text once unneutralised.
    #[test]
    fn r1_writer_reader_round_trip(
        records in prop::collection::vec(prop::collection::vec(
            proptest::string::string_regex("[a=+\\-@'\t\r\n,\"é1.]{0,6}").expect("a valid regex"), 1..5), 1..10),
        bom in any::<bool>(),
    ) {
        let mut writer = CsvWriter::new(Vec::new(), &CsvWriterOptions { bom, ..CsvWriterOptions::default() })
            .expect("writing to a Vec");
        for record in &records {
            writer.write_record(record).expect("writing to a Vec");
        }
        let bytes = writer.into_inner().expect("writing to a Vec");
        let back: Vec<Vec<String>> = ours(&bytes, 4)
            .map_err(|e| TestCaseError::fail(e.to_string()))?
            .into_iter()
            .map(|cells| cells.iter().map(|c| unneutralise(c).to_owned()).collect())
            .collect();
        prop_assert_eq!(back, records);
    }
}

/// A file larger than a chunk, with multi-byte characters and quoted line breaks straddling
/// chunk ends, reads exactly as the `csv` crate reads it.
#[test]
fn differential_across_chunks() {
    let mut records = Vec::new();
    for i in 0..40_000u32 {
        let note = match i % 5 {
            0 => format!("Zoë {i}, \"quoted\""),
            1 => format!("line\r\nbreak {i}"),
            2 => "😀東京".repeat((i % 7) as usize),
            3 => String::new(),
            _ => format!("{i}"),
        };
        records.push(vec![i.to_string(), note, "x".repeat((i % 13) as usize)]);
    }
    let bytes = write_with_csv(&records, true);
    assert!(bytes.len() > 3 * 256 * 1024);
    let expected = theirs(&bytes);
    for batch_rows in [1, 1000, 100_000] {
        match ours(&bytes, batch_rows) {
            Ok(got) => assert!(got == expected, "differs with batches of {batch_rows}"),
            Err(e) => panic!("{e}"),
        }
    }
}
