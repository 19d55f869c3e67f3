//! The CSV scenarios of RELIABILITY.md §8.1, one test each, named after the scenario id, and
//! the round trip of R1; the property tests live in `csv_scenarios/properties.rs`.

#[path = "csv_scenarios/properties.rs"]
mod properties;

use encoding_rs::{UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use intake_formats::{
    CellIssue, CellIssueKind, CsvOptions, CsvReader, CsvWriter, CsvWriterOptions, Detected, Limits,
    LineEnding, ReadError, RecordBatch, Source, unneutralise,
};

/// A record as `(row, cells, issues)`.
type Rec = (u64, Vec<String>, Vec<CellIssue>);

/// Reads everything `input` holds in batches of `batch_rows`: the records before the error
/// (if any) and the error.
fn read_with(
    input: &[u8],
    options: &CsvOptions,
    batch_rows: usize,
) -> (Vec<Rec>, Option<ReadError>) {
    let mut reader = match CsvReader::new(input, options) {
        Ok(reader) => reader,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut batch = RecordBatch::new();
    let mut records = Vec::new();
    loop {
        let result = reader.read_batch(&mut batch, batch_rows);
        records.extend(
            batch
                .iter()
                .map(|r| (r.row().get(), r.to_vec(), r.issues().to_vec())),
        );
        match result {
            Ok(true) => {}
            Ok(false) => return (records, None),
            Err(e) => return (records, Some(e)),
        }
    }
}

/// The records of a file that must read without error.
fn read(input: &[u8]) -> Vec<Rec> {
    read_opts(input, &CsvOptions::default())
}

fn read_opts(input: &[u8], options: &CsvOptions) -> Vec<Rec> {
    match read_with(input, options, 1000) {
        (records, None) => records,
        (_, Some(e)) => panic!("unexpected error: {e}"),
    }
}

/// The cells only, per record.
fn cells(input: &[u8]) -> Vec<Vec<String>> {
    read(input).into_iter().map(|(_, cells, _)| cells).collect()
}

/// The error a file must fail with.
fn error(input: &[u8], options: &CsvOptions) -> ReadError {
    match read_with(input, options, 1000) {
        (_, Some(e)) => e,
        (records, None) => panic!("expected an error, read {} records", records.len()),
    }
}

fn detected(input: &[u8], options: &CsvOptions) -> Detected {
    match CsvReader::new(input, options) {
        Ok(reader) => *reader.detected(),
        Err(e) => panic!("unexpected error: {e}"),
    }
}

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

fn utf16(text: &str, encoding: &'static encoding_rs::Encoding, bom: bool) -> Vec<u8> {
    let units = text.encode_utf16();
    let mut out = Vec::new();
    if bom {
        out.extend(if encoding == UTF_16LE {
            [0xFF, 0xFE]
        } else {
            [0xFE, 0xFF]
        });
    }
    for unit in units {
        out.extend(if encoding == UTF_16LE {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    out
}

#[test]
fn c1_empty_file() {
    for input in [
        &b""[..],
        b"\n",
        b"\r\n\r\n\n",
        b"\xEF\xBB\xBF",
        b"\xEF\xBB\xBF\r\n",
    ] {
        let e = error(input, &CsvOptions::default());
        assert!(matches!(e, ReadError::Empty), "{input:?}: {e:?}");
        assert_eq!(e.to_string(), "the file is empty - no header row");
    }
    // Only blank lines, more than the sample holds.
    let blank = vec![b'\n'; 200_000];
    assert!(matches!(
        error(&blank, &CsvOptions::default()),
        ReadError::Empty
    ));
}

#[test]
fn c2_header_only() {
    // The reader returns the header and nothing else; saying "no data rows" is the caller's.
    let records = read(b"id,name\r\n");
    assert_eq!(records, vec![(1, strings(&["id", "name"]), vec![])]);
}

#[test]
fn c3_ragged_rows() {
    let mut input = String::from("a,b,c\n");
    for row in 2..=2000 {
        match row {
            500 | 1500 => input.push_str("1,2\n"),
            1000 | 2000 => input.push_str("1,2,3,4\n"),
            _ => input.push_str("1,2,3\n"),
        }
    }
    let records = read(input.as_bytes());
    assert_eq!(records.len(), 2000);
    let ragged: Vec<(u64, usize)> = records
        .iter()
        .filter(|(_, cells, _)| cells.len() != 3)
        .map(|(row, cells, _)| (*row, cells.len()))
        .collect();
    assert_eq!(ragged, vec![(500, 2), (1000, 4), (1500, 2), (2000, 4)]);
}

#[test]
fn c4_unclosed_quote() {
    let mut input = String::from("id,note\n");
    for row in 2..=100 {
        if row == 7 {
            input.push_str("7,\"abc\n");
        } else {
            input.push_str(&format!("{row},fine\n"));
        }
    }
    let (records, e) = read_with(input.as_bytes(), &CsvOptions::default(), 4);
    // Rows 1-6 were read; row 7 never ends.
    assert_eq!(
        records.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    let e = e.expect("an error");
    assert!(
        matches!(e, ReadError::UnclosedQuote { row, column: 1 } if row.get() == 7),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "unclosed quote starting at row 7, column 2: the quoted cell never ends, so the rest of the file would be read into it"
    );
}

#[test]
fn c4_unclosed_quote_in_a_large_file_hits_the_cell_limit_first() {
    let mut input = String::from("id,note\n1,\"never closed\n");
    for row in 3..=20_000 {
        input.push_str(&format!("{row},some text for the row\n"));
    }
    let e = error(input.as_bytes(), &CsvOptions::default());
    assert!(
        matches!(e, ReadError::CellTooLong { row, column: 1, open_quote: true, .. } if row.get() == 2),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "cell at row 2, column 2 is longer than the limit (32,767 characters); it starts with a quote at row 2 that may never be closed"
    );
}

#[test]
fn c5_text_after_closing_quote() {
    let records = read(b"id,code\n12,\"abc\"def\n");
    assert_eq!(
        records[1],
        (
            2,
            strings(&["12", "abcdef"]),
            vec![CellIssue {
                column: 1,
                kind: CellIssueKind::TextAfterClosingQuote
            }]
        )
    );
}

#[test]
fn c6_quote_in_unquoted_field() {
    let records = read("place,lat\nA,37°36'37.8\"N\n".as_bytes());
    assert_eq!(
        records[1],
        (
            2,
            strings(&["A", "37°36'37.8\"N"]),
            vec![CellIssue {
                column: 1,
                kind: CellIssueKind::QuoteInUnquotedField
            }]
        )
    );
}

#[test]
fn c7_mixed_line_endings() {
    let input = b"a,b\r\n1,2\n3,4\r5,\"x\r\ny\"\r\n6,\"p\nq\rr\"\n7,8";
    assert_eq!(
        read(input)
            .into_iter()
            .map(|(row, cells, _)| (row, cells))
            .collect::<Vec<_>>(),
        vec![
            (1, strings(&["a", "b"])),
            (2, strings(&["1", "2"])),
            (3, strings(&["3", "4"])),
            (4, strings(&["5", "x\r\ny"])),
            (5, strings(&["6", "p\nq\rr"])),
            (6, strings(&["7", "8"])),
        ]
    );
    assert_eq!(
        detected(input, &CsvOptions::default()).line_ending,
        LineEnding::Mixed
    );
    assert_eq!(
        detected(b"a\r\nb\r\n", &CsvOptions::default()).line_ending,
        LineEnding::CrLf
    );
    assert_eq!(
        detected(b"a\nb\n", &CsvOptions::default()).line_ending,
        LineEnding::Lf
    );
    assert_eq!(
        detected(b"a\rb\r", &CsvOptions::default()).line_ending,
        LineEnding::Cr
    );
    assert_eq!(
        detected(b"a,b", &CsvOptions::default()).line_ending,
        LineEnding::None
    );
    // Line breaks inside quotes are not line endings of the file.
    assert_eq!(
        detected(b"a,\"x\r\ny\"\nb,c\n", &CsvOptions::default()).line_ending,
        LineEnding::Lf
    );
}

#[test]
fn c8_utf8_bom() {
    let input = "\u{feff}id,name\n1,Zoë\n".as_bytes();
    assert_eq!(
        cells(input),
        vec![strings(&["id", "name"]), strings(&["1", "Zoë"])]
    );
    let detected = detected(input, &CsvOptions::default());
    assert_eq!(
        (detected.encoding, detected.encoding_source, detected.bom),
        (UTF_8, Source::Bom, true)
    );
    // The BOM wins over an encoding given in the options.
    let given = CsvOptions {
        encoding: Some(WINDOWS_1252),
        ..CsvOptions::default()
    };
    assert_eq!(read_opts(input, &given)[0].1, strings(&["id", "name"]));
}

#[test]
fn c9_utf16_with_bom() {
    // Excel "Unicode Text": UTF-16LE with BOM, tab separated, CRLF; astral characters.
    let text = "name\tcity\r\nZoë 😀\t東京\r\n\"a\tb\"\t𝄞\r\n";
    for encoding in [UTF_16LE, UTF_16BE] {
        let input = utf16(text, encoding, true);
        assert_eq!(
            cells(&input),
            vec![
                strings(&["name", "city"]),
                strings(&["Zoë 😀", "東京"]),
                strings(&["a\tb", "𝄞"]),
            ],
            "{}",
            encoding.name()
        );
        let detected = detected(&input, &CsvOptions::default());
        assert_eq!(
            (
                detected.encoding,
                detected.encoding_source,
                detected.bom,
                detected.delimiter,
                detected.line_ending
            ),
            (encoding, Source::Bom, true, b'\t', LineEnding::CrLf)
        );
    }
}

#[test]
fn c10_utf16_without_bom() {
    let text = "id,name\r\n1,Zoë\r\n2,Łukasz 😀\r\n";
    for encoding in [UTF_16LE, UTF_16BE] {
        let input = utf16(text, encoding, false);
        assert_eq!(
            cells(&input),
            vec![
                strings(&["id", "name"]),
                strings(&["1", "Zoë"]),
                strings(&["2", "Łukasz 😀"])
            ]
        );
        let detected = detected(&input, &CsvOptions::default());
        assert_eq!(
            (detected.encoding, detected.encoding_source, detected.bom),
            (encoding, Source::Sniffed, false)
        );
    }
    // The NUL pattern of UTF-16LE, but an unpaired surrogate: ask the user.
    let mut broken = utf16(text, UTF_16LE, false);
    broken.extend([0x00, 0xDC, b'x', 0]);
    let e = error(&broken, &CsvOptions::default());
    assert!(matches!(e, ReadError::Utf16WithoutBom), "{e:?}");
    assert_eq!(
        e.to_string(),
        "the file looks like UTF-16 text without a byte-order mark; choose the encoding"
    );
}

#[test]
fn c11_windows_1252() {
    // € “ ” – … Š Œ Ÿ in Windows-1252.
    let input = b"name,note\nA,\x80 \x93quoted\x94 \x96 \x85 \x8A\x8C\x9F\n";
    let records = cells(input);
    assert_eq!(records[1], strings(&["A", "€ “quoted” – … ŠŒŸ"]));
    assert!(!records.concat().concat().contains('\u{FFFD}'));
    let detected = detected(input, &CsvOptions::default());
    assert_eq!(
        (detected.encoding, detected.encoding_source),
        (WINDOWS_1252, Source::Guessed)
    );
    assert_eq!(
        detected.to_string(),
        "encoding windows-1252 (assumed), delimiter `,` (detected), line endings LF"
    );
    // Overridable.
    let given = CsvOptions {
        encoding: Some(encoding_rs::ISO_8859_2),
        ..CsvOptions::default()
    };
    let d = self::detected(input, &given);
    assert_eq!(
        (d.encoding, d.encoding_source),
        (encoding_rs::ISO_8859_2, Source::Given)
    );
}

#[test]
fn c11_a_character_cut_by_the_sample_end_is_still_utf8() {
    // `é` straddles byte 65,536, where the sample ends.
    let mut input = "x,y\n".repeat(intake_formats::csv::SAMPLE_BYTES / 4 - 1);
    input.push_str("zz,é\n");
    assert_eq!(input.find('é'), Some(intake_formats::csv::SAMPLE_BYTES - 1));
    let d = detected(input.as_bytes(), &CsvOptions::default());
    assert_eq!((d.encoding, d.encoding_source), (UTF_8, Source::Sniffed));
    assert_eq!(cells(input.as_bytes()).last(), Some(&strings(&["zz", "é"])));
}

#[test]
fn c12_invalid_utf8() {
    let utf8 = CsvOptions {
        encoding: Some(UTF_8),
        ..CsvOptions::default()
    };
    let input = b"id,name\n1,ok\n2,bad \xFF byte\n3,later\n";
    let (records, e) = read_with(input, &utf8, 1000);
    assert_eq!(records.len(), 2);
    let e = e.expect("an error");
    assert!(
        matches!(e, ReadError::InvalidEncoding { row, column: 1, byte_offset: 19, encoding } if row.get() == 3 && encoding == UTF_8),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "the bytes at row 3, column 2 (byte offset 19) are not valid UTF-8; choose the file's encoding"
    );

    // Far beyond the sample, in a file sniffed as UTF-8, after a quoted multi-line cell.
    let mut big = String::from("id,name\n2,\"two\nlines\"\n");
    for row in 3..=50_000 {
        big.push_str(&format!("{row},Zoë\n"));
    }
    let mut big = big.into_bytes();
    let offset = big.len();
    big.extend_from_slice(b"50001,x\x80y\n");
    let e = error(&big, &CsvOptions::default());
    assert!(
        matches!(e, ReadError::InvalidEncoding { row, column: 1, byte_offset, .. } if row.get() == 50_001 && byte_offset == offset as u64 + 7),
        "{e:?}"
    );
}

#[test]
fn c13_nul_in_cell() {
    let records = read(b"id,name\n1,a\0b\n2,\"c\0\"\n");
    assert_eq!(records[1].1, strings(&["1", "a\0b"]));
    assert_eq!(
        records[1].2,
        vec![CellIssue {
            column: 1,
            kind: CellIssueKind::Nul
        }]
    );
    assert_eq!(records[2].1, strings(&["2", "c\0"]));
    assert_eq!(
        records[2].2,
        vec![CellIssue {
            column: 1,
            kind: CellIssueKind::Nul
        }]
    );
}

#[test]
fn c14_very_long_cell() {
    // 10 MB in one cell: stopped as soon as the cell certainly passes the limit.
    let mut input = b"id,blob\n1,".to_vec();
    input.extend(std::iter::repeat_n(b'x', 10_000_000));
    input.push(b'\n');
    let e = error(&input, &CsvOptions::default());
    assert!(
        matches!(e, ReadError::CellTooLong { row, column: 1, limit: 32_767, open_quote: false } if row.get() == 2),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "cell at row 2, column 2 is longer than the limit (32,767 characters)"
    );

    // The limit is in characters and configurable.
    let small = CsvOptions {
        limits: Limits {
            max_cell_chars: 4,
            ..Limits::default()
        },
        ..CsvOptions::default()
    };
    assert_eq!(read_opts("a,b\néééé,x\n".as_bytes(), &small).len(), 2);
    assert!(matches!(
        error(b"a,b\n12345,x\n", &small),
        ReadError::CellTooLong { column: 0, .. }
    ));

    // A very long line of short cells meets the column limit.
    let line = "x,".repeat(5_000_000);
    let e = error(line.as_bytes(), &CsvOptions::default());
    assert!(
        matches!(
            e,
            ReadError::TooManyColumns {
                found: 5_000_001,
                limit: 2_000,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn c15_too_many_columns_and_rows() {
    let mut header = (0..20_000)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    header.push('\n');
    let e = error(header.as_bytes(), &CsvOptions::default());
    assert!(
        matches!(e, ReadError::TooManyColumns { row, found: 20_000, limit: 2_000 } if row.get() == 1),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "row 1 has 20,000 columns, more than the limit (2,000)"
    );

    let limits = Limits {
        max_rows: 100,
        ..Limits::default()
    };
    let options = CsvOptions {
        limits,
        ..CsvOptions::default()
    };
    let rows: String = (1..=100).map(|i| format!("{i}\n")).collect();
    assert_eq!(read_opts(rows.as_bytes(), &options).len(), 100);
    let rows: String = (1..=101).map(|i| format!("{i}\n")).collect();
    let e = error(rows.as_bytes(), &options);
    assert!(matches!(e, ReadError::TooManyRows { limit: 100 }), "{e:?}");
    assert_eq!(e.to_string(), "the file has more rows than the limit (100)");

    // Bytes are counted as they are read, in the sample and after it.
    for size in [1_000, 300_000] {
        let input = "x\n".repeat(size);
        let options = CsvOptions {
            limits: Limits {
                max_file_bytes: size as u64,
                ..Limits::default()
            },
            ..CsvOptions::default()
        };
        let e = error(input.as_bytes(), &options);
        assert!(
            matches!(e, ReadError::TooLarge { limit } if limit == size as u64),
            "{e:?}"
        );
    }
}

#[test]
fn c16_delimiters() {
    for (input, delimiter) in [
        (
            &b"name;amount;date\nA;1234,50;01.03.2024\nB;7,25;02.03.2024\n"[..],
            b';',
        ),
        (b"name\tamount\nA\t1,5\n", b'\t'),
        (b"name|amount\nA|1\n", b'|'),
        (b"name,amount\nA,\"1;5\"\n", b','),
    ] {
        let d = detected(input, &CsvOptions::default());
        assert_eq!(
            (d.delimiter, d.delimiter_source),
            (delimiter, Source::Sniffed)
        );
    }
    let records = cells(b"name;amount;date\nA;1234,50;01.03.2024\n");
    assert_eq!(records[1], strings(&["A", "1234,50", "01.03.2024"]));
    // One column: `,` is assumed; a given delimiter wins.
    let d = detected(b"name\nA\n", &CsvOptions::default());
    assert_eq!((d.delimiter, d.delimiter_source), (b',', Source::Guessed));
    let given = CsvOptions {
        delimiter: Some(b';'),
        ..CsvOptions::default()
    };
    assert_eq!(read_opts(b"a,b;c\n", &given)[0].1, strings(&["a,b", "c"]));
    let bad = CsvOptions {
        delimiter: Some(b'"'),
        ..CsvOptions::default()
    };
    assert!(matches!(
        error(b"a,b\n", &bad),
        ReadError::InvalidDelimiter { delimiter: b'"' }
    ));
}

#[test]
fn c17_duplicate_and_empty_headers_are_returned_as_written() {
    // Judging them is the mapping's job; the reader keeps every header cell.
    let records = read(b"id,name,name,,\n1,a,b,,x\n");
    assert_eq!(records[0].1, strings(&["id", "name", "name", "", ""]));
    assert_eq!(records[1].1, strings(&["1", "a", "b", "", "x"]));
}

#[test]
fn c18_leading_blank_lines() {
    let records = read(b"\n\r\n\nid,name\n1,a\n\n2,b\n");
    assert_eq!(
        records
            .into_iter()
            .map(|(row, cells, _)| (row, cells))
            .collect::<Vec<_>>(),
        vec![
            (4, strings(&["id", "name"])),
            (5, strings(&["1", "a"])),
            (7, strings(&["2", "b"])),
        ]
    );
}

#[test]
fn c18_quoted_line_breaks_do_not_shift_rows() {
    let records = read(b"id,note\n1,\"three\nline\ncell\"\n2,x\n");
    assert_eq!(
        records.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
}

#[test]
fn c19_header_whitespace_kept() {
    let records = read(b"\"\t start \n end \", id \n1,2\n");
    assert_eq!(records[0].1, strings(&["\t start \n end ", " id "]));
}

#[test]
fn c20_na_tokens_are_text() {
    let records = read(b"a,b,c,d,e\nNA,N/A,NULL,-,.\n");
    assert_eq!(records[1].1, strings(&["NA", "N/A", "NULL", "-", "."]));
}

#[test]
fn c21_formula_like_values_are_text() {
    let records = read(b"a,b,c,d,e,f\n=1+2,+1,-2+3,@SUM(1),\tx,\"\rcr\"\n");
    assert_eq!(
        records[1].1,
        strings(&["=1+2", "+1", "-2+3", "@SUM(1)", "\tx", "\rcr"])
    );
}

#[test]
fn c22_not_text() {
    let cases: [(&[u8], &str); 6] = [
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "a PNG image"),
        (b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n", "a PDF document"),
        (
            b"PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0[Content_Types].xml",
            "an XLSX workbook; read it as a spreadsheet, not as CSV",
        ),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0",
            "an XLS workbook (an old Office document)",
        ),
        (b"\x1F\x8B\x08\0\0\0\0\0", "a gzip-compressed file"),
        (
            &[
                0x13, 0x00, 0x02, 0x07, 0x99, 0x00, 0x00, 0x01, 0x05, 0x00, 0xFF, 0x03, 0x00, 0x00,
                0x10, 0x11,
            ],
            "binary data",
        ),
    ];
    for (input, what) in cases {
        let e = error(input, &CsvOptions::default());
        assert!(
            matches!(e, ReadError::NotText { what: w } if w == what),
            "{e:?}"
        );
    }
    assert_eq!(
        error(b"%PDF-1.4", &CsvOptions::default()).to_string(),
        "the file is not a text file: it looks like a PDF document"
    );
    // Even with the encoding given, a PNG is not text.
    let given = CsvOptions {
        encoding: Some(UTF_8),
        ..CsvOptions::default()
    };
    assert!(matches!(
        error(b"\x89PNG\r\n\x1a\n", &given),
        ReadError::NotText { .. }
    ));
}

#[test]
fn r1_export_then_reimport_restores_every_value() {
    let values = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+1",
        "-2+3",
        "@SUM(1)",
        "\tleading tab",
        "\rleading cr",
        "'=x",
        "'",
        "-12.5",
        "plain, with comma",
        "line\nbreak",
    ];
    let mut writer = CsvWriter::new(
        Vec::new(),
        &CsvWriterOptions {
            bom: true,
            ..CsvWriterOptions::default()
        },
    )
    .expect("writing to a Vec");
    writer.write_record(["value"]).expect("writing to a Vec");
    for value in values {
        writer.write_record([value]).expect("writing to a Vec");
    }
    let bytes = writer.into_inner().expect("writing to a Vec");
    let text = String::from_utf8_lossy(&bytes);
    // Every dangerous start carries exactly one guard in the file.
    assert!(text.contains("'=HYPERLINK") && text.contains("''=x") && text.contains("\n'+1\n"));
    assert!(text.contains("\n-12.5\n"));
    let back: Vec<String> = read(&bytes)
        .into_iter()
        .skip(1)
        .map(|(_, cells, _)| unneutralise(&cells[0]).to_owned())
        .collect();
    assert_eq!(back, values);
}

#[test]
fn batches_are_reusable_and_rows_continue_across_them() {
    let input: String = (1..=10).map(|i| format!("{i},x\n")).collect();
    let mut reader = CsvReader::new(input.as_bytes(), &CsvOptions::default()).expect("a reader");
    let mut batch = RecordBatch::new();
    let mut sizes = Vec::new();
    let mut rows = Vec::new();
    while reader.read_batch(&mut batch, 3).expect("no error") {
        sizes.push(batch.len());
        rows.extend(batch.iter().map(|r| r.row().get()));
    }
    assert_eq!(sizes, vec![3, 3, 3, 1]);
    assert_eq!(rows, (1..=10).collect::<Vec<_>>());
    assert!(!reader.read_batch(&mut batch, 3).expect("no error"));
    assert!(batch.is_empty());
}

#[test]
fn batches_and_readers_can_move_to_other_threads() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<RecordBatch>();
    assert_send::<CsvReader<std::io::Cursor<Vec<u8>>>>();
    assert_send::<ReadError>();
}

#[test]
fn a_reader_that_fails_midway_reports_io_errors() {
    struct Failing(usize);
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.0).min(7);
            buf[..n].fill(b'a');
            if n > 1 {
                buf[n - 1] = b'\n';
            }
            self.0 -= n;
            Ok(n)
        }
    }
    let mut reader =
        CsvReader::new(Failing(100_000), &CsvOptions::default()).expect("sample is fine");
    let mut batch = RecordBatch::new();
    let e = loop {
        match reader.read_batch(&mut batch, 1000) {
            Ok(true) => {}
            Ok(false) => panic!("expected an error"),
            Err(e) => break e,
        }
    };
    assert!(matches!(e, ReadError::Io(_)), "{e:?}");
    assert_eq!(e.to_string(), "could not read the file");
}
