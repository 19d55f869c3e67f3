// Fuzz driver `csv_reader`: any bytes through `CsvReader`, every batch read to the end.
//
// Shared by `fuzz/fuzz_targets/csv_reader.rs` and `crates/intake-formats/tests/fuzz_regressions.rs`
// (through `include!`), so keep it free of anything but `std`, `encoding_rs` and `intake_formats`.
//
// The first byte chooses how to read, the rest is the file:
//
// - bits 0-2: the delimiter (sniffed twice as often as any given one; `"` is invalid);
// - bits 3-5: the encoding (detected twice as often as any given one);
// - bit 6: small limits (50 characters per cell, 8 columns, 30 rows, 4 KiB), so that every
//   limit is hit often;
// - bit 7: streaming mode: the file is put after one long filler line so that it straddles
//   the end of the reader's first 256 KiB chunk, and handed over in pieces of 1021 bytes, to
//   exercise what is carried from one chunk to the next (the cell length and file size limits
//   are raised to let the filler through).
//
// The number of rows per batch is 1, 2 or 4096 depending on the input's length.
//
// Besides "no panic", it checks what the reader promises: rows strictly increasing and within
// the row limit, no record over the column limit, no cell over the length limit, issues on
// existing cells, `Ok(true)` only with records, and nothing more after the end or an error.

use std::io::Read;

use encoding_rs::{Encoding, GB18030, SHIFT_JIS, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use intake_formats::{CsvOptions, CsvReader, Limits, RecordBatch};

/// The size of the chunks the reader decodes at a time (`CHUNK` in `csv/decode.rs`).
const READER_CHUNK: usize = 256 * 1024;

const DELIMITERS: [Option<u8>; 8] = [
    None,
    None,
    Some(b','),
    Some(b';'),
    Some(b'\t'),
    Some(b'|'),
    Some(b' '),
    Some(b'"'),
];

const ENCODINGS: [Option<&Encoding>; 8] = [
    None,
    None,
    Some(UTF_8),
    Some(UTF_16LE),
    Some(UTF_16BE),
    Some(WINDOWS_1252),
    Some(SHIFT_JIS),
    Some(GB18030),
];

/// How the filler line of streaming mode starts and ends (it is `x`s in between).
const FILLERS: [(&[u8], &[u8]); 4] = [
    (b"", b"\n"),
    (b"", b"\r\n"),
    (b"", b"\r"),
    (b"\"", b"\",y\n"),
];

/// Hands its bytes over at most `piece` at a time.
struct Pieces<'a> {
    data: &'a [u8],
    piece: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.piece).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

pub fn run(data: &[u8]) {
    let Some((&config, file)) = data.split_first() else {
        return;
    };
    let small = config & 0x40 != 0;
    let streaming = config & 0x80 != 0;
    let mut limits = Limits::default();
    if small {
        limits.max_cell_chars = 50;
        limits.max_columns = 8;
        limits.max_rows = 30;
        limits.max_file_bytes = 4096;
    }
    if streaming {
        // Let the filler through; the column and row limits stay.
        limits.max_cell_chars = READER_CHUNK;
        limits.max_file_bytes = Limits::default().max_file_bytes;
    }
    let options = CsvOptions {
        delimiter: DELIMITERS[usize::from(config & 0x07)],
        encoding: ENCODINGS[usize::from((config >> 3) & 0x07)],
        limits,
    };
    let batch_rows = [1, 2, 4096][data.len() % 3];

    if streaming {
        let (start, end) = FILLERS[(data.len() / 3) % FILLERS.len()];
        let filler_len = READER_CHUNK.saturating_sub(file.len() / 2);
        let mut input = Vec::with_capacity(filler_len + file.len());
        input.extend_from_slice(start);
        input.resize(filler_len.saturating_sub(end.len()).max(start.len()), b'x');
        input.extend_from_slice(end);
        input.extend_from_slice(file);
        read_all(
            Pieces {
                data: &input,
                piece: 1021,
            },
            &options,
            batch_rows,
        );
    } else {
        read_all(file, &options, batch_rows);
    }
}

fn read_all(input: impl Read, options: &CsvOptions, batch_rows: usize) {
    let limits = options.limits;
    let mut reader = match CsvReader::new(input, options) {
        Ok(reader) => reader,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let _ = reader.detected().to_string();
    let mut batch = RecordBatch::new();
    let mut last_row = 0;
    loop {
        let result = reader.read_batch(&mut batch, batch_rows);
        assert!(
            batch.len() <= batch_rows,
            "a batch holds more rows than asked"
        );
        for record in batch.iter() {
            let row = record.row().get();
            assert!(row > last_row, "row {row} follows row {last_row}");
            assert!(row <= limits.max_rows, "row {row} is over the row limit");
            last_row = row;
            assert!(
                record.len() <= limits.max_columns,
                "row {row} has {} cells, over the limit",
                record.len()
            );
            for cell in record.iter() {
                assert!(
                    cell.chars().count() <= limits.max_cell_chars,
                    "a cell of row {row} is over the length limit"
                );
            }
            for issue in record.issues() {
                assert!(
                    issue.column < record.len(),
                    "row {row}: an issue names column {} of {}",
                    issue.column,
                    record.len()
                );
            }
        }
        match result {
            Ok(true) => assert!(!batch.is_empty(), "Ok(true) with an empty batch"),
            Ok(false) => {
                assert!(batch.is_empty(), "Ok(false) with records");
                break;
            }
            Err(e) => {
                let _ = e.to_string();
                break;
            }
        }
    }
    // After the end or an error, the reader stays finished.
    assert!(
        matches!(reader.read_batch(&mut batch, batch_rows), Ok(false)),
        "the reader went on after its end"
    );
    assert!(batch.is_empty(), "records after the end");
}
