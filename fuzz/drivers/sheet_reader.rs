// Fuzz driver `sheet_reader`: any bytes through `intake_formats::open` as a workbook, every
// batch read to the end.
//
// Shared by `fuzz/fuzz_targets/sheet_reader.rs` and
// `crates/intake-formats/tests/fuzz_regressions.rs` (through `include!`), so keep it free of
// anything but `std` and `intake_formats`.
//
// The first byte chooses how to read, the rest is the file:
//
// - bit 0: small limits (50 characters per cell, 8 columns, 30 rows, 1 MiB unzipped), so that
//   every limit is hit often;
// - bit 1: `--skip-hidden`;
// - bit 2: ask for the sheet `Sheet2` instead of the first visible one.
//
// Besides "no panic" (a panic inside calamine is caught by the reader and must come back as
// an error), it checks what the reader promises: rows strictly increasing and within the row
// limit, every record as wide as the header and within the column limit, no cell over the
// length limit, issues on existing cells, and nothing more after the end or an error.

use std::io::Cursor;

use intake_formats::{CsvOptions, Limits, RecordBatch, RowSource, SheetOptions};

pub fn run(data: &[u8]) {
    let Some((&control, file)) = data.split_first() else {
        return;
    };
    let mut limits = Limits::default();
    if control & 1 != 0 {
        limits.max_cell_chars = 50;
        limits.max_columns = 8;
        limits.max_rows = 30;
        limits.max_unzipped_bytes = 1024 * 1024;
    } else {
        limits.max_unzipped_bytes = 64 * 1024 * 1024;
    }
    let csv = CsvOptions {
        limits,
        ..CsvOptions::default()
    };
    let sheet = SheetOptions {
        sheet: (control & 4 != 0).then(|| "Sheet2".to_owned()),
        skip_hidden: control & 2 != 0,
        decimal_separator: (control & 8 != 0).then_some(','),
    };
    let Ok(mut reader) = intake_formats::open(Cursor::new(file.to_vec()), &csv, &sheet) else {
        return;
    };
    let mut batch = RecordBatch::new();
    let mut last_row = 0u64;
    let mut width: Option<usize> = None;
    loop {
        match reader.read_batch(&mut batch, 3) {
            Ok(true) => {
                assert!(!batch.is_empty(), "Ok(true) without records");
                for rec in batch.iter() {
                    let row = rec.row().get();
                    assert!(row > last_row, "row {row} after row {last_row}");
                    assert!(row <= limits.max_rows, "row {row} beyond the limit");
                    last_row = row;
                    assert!(
                        rec.len() <= limits.max_columns,
                        "record over the column limit"
                    );
                    if reader.workbook().is_some() {
                        let w = *width.get_or_insert(rec.len());
                        assert_eq!(rec.len(), w, "record not as wide as the header");
                    }
                    for cell in rec.iter() {
                        assert!(
                            cell.chars().count() <= limits.max_cell_chars,
                            "cell over the limit"
                        );
                    }
                    for issue in rec.issues() {
                        assert!(issue.column < rec.len(), "issue on a missing cell");
                    }
                }
            }
            Ok(false) => break,
            Err(e) => {
                let _ = e.to_string();
                break;
            }
        }
    }
    assert!(
        !matches!(reader.read_batch(&mut batch, 3), Ok(true)),
        "records after the end"
    );
    let _ = reader.take_warnings();
}
