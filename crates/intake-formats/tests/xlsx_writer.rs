//! The XLSX writer against intake's own workbook reader: whatever text is written (typed
//! where it reads back the same), the reader gives back that text once unguarded, as the
//! importer sees it. This is the round trip of exports, response and success files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;

use intake_formats::{
    CsvOptions, RecordBatch, RowSource, SheetOptions, XlsxCell, XlsxColumn, XlsxWriter,
    unneutralise,
};
use proptest::prelude::*;

/// Writes one column of `cells` under the header `h` and reads every cell back as the
/// importer sees it, the header first.
fn round_trip(cells: &[String], marks: bool) -> Vec<String> {
    let columns = [XlsxColumn {
        header: "h".into(),
        ..XlsxColumn::default()
    }];
    let mut w = XlsxWriter::new("Rows", &columns).unwrap();
    for c in cells {
        let row = [XlsxCell::from_read_text(c)];
        if marks {
            w.write_row_marked(&row, &[(0, "a problem".to_string())])
                .unwrap();
        } else {
            w.write_row(&row).unwrap();
        }
    }
    let mut out = Cursor::new(Vec::new());
    w.finish(&mut out).unwrap();
    let bytes = out.into_inner();
    let mut reader = intake_formats::open(
        bytes.as_slice(),
        &CsvOptions::default(),
        &SheetOptions::default(),
    )
    .unwrap();
    let mut batch = RecordBatch::new();
    let mut got = Vec::new();
    while reader.read_batch(&mut batch, 64).unwrap() {
        for rec in batch.iter() {
            got.push(unneutralise(rec.get(0).unwrap_or_default()).to_string());
        }
    }
    got
}

#[test]
fn tricky_cells_read_back_as_written() {
    let cells: Vec<String> = [
        "=1+1",
        "=HYPERLINK(\"http://x\")",
        "'quoted",
        "'=x",
        "''",
        "007",
        "12.5",
        "-3",
        "1.50",
        "1e5",
        "0.1",
        "123456789012345",
        "1234567890123456",
        "2024-02-29",
        "2024-02-30",
        "1899-12-31",
        "+44 20 7946 0958",
        "@user",
        "TRUE",
        "#N/A",
        "a\nb",
        " padded ",
        "x_x0041_y",
        "über ✓",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut expected = vec!["h".to_string()];
    expected.extend(cells.iter().cloned());
    assert_eq!(round_trip(&cells, false), expected);
    assert_eq!(round_trip(&cells, true), expected);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_printable_text_reads_back_as_written(
        cells in proptest::collection::vec(
            prop_oneof![
                "[ -~]{1,12}",
                "['=+@-]?[0-9]{1,16}(\\.[0-9]{1,4})?",
                "[0-9]{4}-[0-9]{2}-[0-9]{2}",
                "\\PC{1,8}",
            ],
            1..20,
        )
    ) {
        let mut expected = vec!["h".to_string()];
        expected.extend(cells.iter().cloned());
        prop_assert_eq!(round_trip(&cells, false), expected);
    }
}
