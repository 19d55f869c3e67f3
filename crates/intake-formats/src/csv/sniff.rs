//! Guessing what a file is from its first bytes: not text at all, which encoding, which
//! delimiter, which line endings.
//!
//! Everything here looks at the sample only (the first 64 KiB) and is pure, so each rule is a
//! one-line test.

use encoding_rs::Encoding;

use crate::batch::RecordBatch;
use crate::csv::tokenizer::{LineEndingCounts, Tokenizer};
use crate::limits::Limits;

/// The delimiters tried by [`delimiter`], in order of preference on a tie.
pub(crate) const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// How many records of the sample the delimiter and line-ending guesses look at.
const SNIFF_RECORDS: usize = 200;

/// The encoding named by a byte-order mark at the start of `bytes`, and the mark's length.
pub(crate) fn bom(bytes: &[u8]) -> Option<(&'static Encoding, usize)> {
    Encoding::for_bom(bytes)
}

/// What a known binary format at the start of `bytes` is, as a user would call it.
pub(crate) fn magic(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"%PDF-", "a PDF document"),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "an XLS workbook (an old Office document)",
        ),
        (b"\x1F\x8B", "a gzip-compressed file"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
        (b"Rar!\x1A\x07", "a RAR archive"),
        (b"\xFD7zXZ\x00", "an xz-compressed file"),
        (b"\x28\xB5\x2F\xFD", "a zstd-compressed file"),
        (b"BZh", "a bzip2-compressed file"),
        (b"SQLite format 3\x00", "an SQLite database"),
        (b"\x7FELF", "a program (ELF executable)"),
        (b"{\\rtf", "an RTF document"),
    ];
    if bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(b"PK\x05\x06")
        || bytes.starts_with(b"PK\x07\x08")
    {
        return Some(zip_kind(bytes));
    }
    SIGNATURES.iter().find_map(|(signature, what)| {
        // `BZh` alone is too common a start for text; bzip2 puts the block size digit and the
        // block magic right after it.
        let matches = if *signature == b"BZh" {
            bytes.len() >= 10
                && bytes.starts_with(signature)
                && bytes[3].is_ascii_digit()
                && bytes[4..10] == *b"1AY&SY"
        } else {
            bytes.starts_with(signature)
        };
        matches.then_some(*what)
    })
}

/// Which kind of zip file `bytes` starts: the entry names are stored uncompressed, so the
/// sample usually shows them.
fn zip_kind(bytes: &[u8]) -> &'static str {
    let has = |needle: &[u8]| memchr::memmem::find(bytes, needle).is_some();
    if has(b"application/vnd.oasis.opendocument.spreadsheet") {
        "an ODS spreadsheet; read it as a spreadsheet, not as CSV"
    } else if has(b"xl/") || has(b"[Content_Types].xml") {
        "an XLSX workbook; read it as a spreadsheet, not as CSV"
    } else {
        "a zip archive (or an XLSX/ODS workbook)"
    }
}

/// What the NULs of a sample without byte-order mark say about UTF-16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NulPattern {
    /// Few NULs, or no pattern: not UTF-16.
    None,
    /// Many NULs at odd offsets: ASCII characters in UTF-16LE.
    Utf16Le,
    /// Many NULs at even offsets: ASCII characters in UTF-16BE.
    Utf16Be,
}

/// Looks for UTF-16 by its NULs: in UTF-16 every ASCII character (digits, delimiters, line
/// breaks, Latin letters) has a zero byte, always on the same side of the pair.
pub(crate) fn nul_pattern(bytes: &[u8]) -> NulPattern {
    let pairs = bytes.len() / 2;
    if pairs == 0 {
        return NulPattern::None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in bytes.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    // At least a fifth of the characters ASCII, and the other side nearly free of NULs; in a
    // tiny sample, a stray NUL or two must not count (C13).
    let pattern = |side: usize, other: usize| {
        side * 5 >= pairs && other * 10 <= side && (side >= 4 || side * 2 >= pairs)
    };
    if pattern(odd, even) {
        NulPattern::Utf16Le
    } else if pattern(even, odd) {
        NulPattern::Utf16Be
    } else {
        NulPattern::None
    }
}

/// Whether `bytes` decode as `encoding` (UTF-16 here) without error; a character cut at the
/// end of an unfinished sample is not an error.
pub(crate) fn decodes_cleanly(bytes: &[u8], encoding: &'static Encoding, complete: bool) -> bool {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(
        decoder
            .max_utf8_buffer_length_without_replacement(bytes.len())
            .unwrap_or(bytes.len() * 3 + 16),
    );
    let (result, _) = decoder.decode_to_string_without_replacement(bytes, &mut out, complete);
    matches!(result, encoding_rs::DecoderResult::InputEmpty)
}

/// Whether `bytes` look binary: many control characters that text does not use. A few stray
/// NULs are cell issues (C13), not a reason to refuse the file.
pub(crate) fn looks_binary(bytes: &[u8]) -> bool {
    // Tab, LF, VT, FF, CR and ESC (used by ISO-2022-JP) occur in text.
    let odd = bytes
        .iter()
        .filter(|&&b| matches!(b, 0x00..=0x08 | 0x0E..=0x1A | 0x1C..=0x1F))
        .count();
    odd >= 8 && odd * 10 > bytes.len()
}

/// Whether `bytes` are valid UTF-8; a character cut at the end of an unfinished sample does
/// not count against them.
pub(crate) fn utf8_valid(bytes: &[u8], complete: bool) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => !complete && e.error_len().is_none(),
    }
}

/// The legacy encoding the bytes most likely are in (never UTF-8: the caller tried that).
pub(crate) fn guess_legacy(bytes: &[u8], complete: bool) -> &'static Encoding {
    // Text that is ASCII but for bytes 0x80-0x9F is Windows-1252 punctuation (€ “ ” – …):
    // these bytes are control characters in ISO-8859 and letters only in DOS and Mac code
    // pages, which chardetng tends to pick on so little evidence (C11).
    if bytes.iter().all(|&b| b < 0xA0) {
        return encoding_rs::WINDOWS_1252;
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, complete);
    detector.guess(None, false)
}

/// The first records of `text` split at `delimiter`: their cell counts and line endings.
struct Scan {
    counts: Vec<usize>,
    line_endings: LineEndingCounts,
}

fn scan(text: &str, delimiter: u8, complete: bool) -> Scan {
    // The real limits apply later; here a long cell or row just ends the look.
    let limits = Limits {
        max_file_bytes: u64::MAX,
        max_rows: u64::MAX,
        max_columns: usize::MAX,
        max_cell_chars: usize::MAX / 4,
        ..Limits::default()
    };
    let mut tokenizer = Tokenizer::new(delimiter, &limits);
    let mut batch = RecordBatch::new();
    let mut pos = 0;
    let fed = tokenizer.feed(text, &mut pos, &mut batch, SNIFF_RECORDS);
    // An unfinished sample ends inside its last record: leave that one out.
    if complete && fed.is_ok() && pos == text.len() {
        let _unclosed_quote_is_reported_later = tokenizer.finish(&mut batch);
    }
    Scan {
        counts: batch.iter().map(|r| r.len()).collect(),
        line_endings: tokenizer.line_endings,
    }
}

/// The most common cell count (the larger on a tie) and how many records have it.
fn modal(counts: &[usize]) -> Option<(usize, usize)> {
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    let mut best: Option<(usize, usize)> = None;
    for run in sorted.chunk_by(|a, b| a == b) {
        let candidate = (run[0], run.len());
        if best.is_none_or(|(_, n)| candidate.1 >= n) {
            best = Some(candidate);
        }
    }
    best
}

/// The delimiter among [`CANDIDATES`] that splits the sample's records most consistently into
/// more than one cell; `None` when none does (a one-column file).
pub(crate) fn delimiter(text: &str, complete: bool) -> Option<u8> {
    // (delimiter, modal count, records agreeing, records)
    let mut best: Option<(u8, usize, usize, usize)> = None;
    for delimiter in CANDIDATES {
        let counts = scan(text, delimiter, complete).counts;
        let Some((cells, agree)) = modal(&counts) else {
            continue;
        };
        if cells < 2 {
            continue;
        }
        let total = counts.len();
        let better = match best {
            None => true,
            Some((_, best_cells, best_agree, best_total)) => {
                // Compare agree/total as fractions, then prefer more cells.
                let (lhs, rhs) = (agree * best_total, best_agree * total);
                lhs > rhs || (lhs == rhs && cells > best_cells)
            }
        };
        if better {
            best = Some((delimiter, cells, agree, total));
        }
    }
    best.map(|(delimiter, ..)| delimiter)
}

/// The line endings of the sample's first records (outside quotes).
pub(crate) fn line_endings(text: &str, delimiter: u8, complete: bool) -> LineEndingCounts {
    scan(text, delimiter, complete).line_endings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes() {
        assert_eq!(magic(b"\x89PNG\r\n\x1a\n\0\0"), Some("a PNG image"));
        assert_eq!(magic(b"%PDF-1.7\n"), Some("a PDF document"));
        assert_eq!(
            magic(b"PK\x03\x04\x14\0\0\0\0\0[Content_Types].xml"),
            Some("an XLSX workbook; read it as a spreadsheet, not as CSV")
        );
        assert_eq!(
            magic(b"PK\x03\x04\0\0mimetypeapplication/vnd.oasis.opendocument.spreadsheet"),
            Some("an ODS spreadsheet; read it as a spreadsheet, not as CSV")
        );
        assert_eq!(
            magic(b"PK\x03\x04data.txt"),
            Some("a zip archive (or an XLSX/ODS workbook)")
        );
        assert_eq!(magic(b"BZh91AY&SY\0\0"), Some("a bzip2-compressed file"));
        assert_eq!(magic(b"BZh,name\n1,2\n"), None);
        assert_eq!(magic(b"name,PK\n"), None);
    }

    #[test]
    fn nul_patterns() {
        assert_eq!(nul_pattern(b"a\0,\0b\0\r\0\n\0"), NulPattern::Utf16Le);
        assert_eq!(nul_pattern(b"\0a\0,\0b\0\r\0\n"), NulPattern::Utf16Be);
        assert_eq!(nul_pattern(b"a,b\n1,x\0y\n"), NulPattern::None);
        assert_eq!(nul_pattern(&[0; 64]), NulPattern::None);
        assert_eq!(nul_pattern(b""), NulPattern::None);
    }

    #[test]
    fn binary_heuristic() {
        assert!(!looks_binary(b"a,b\n1,x\0y\n"));
        assert!(!looks_binary(b"a\tb\r\n\x0c\x1b$B"));
        assert!(looks_binary(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 0x10, 0x11, b'a']));
    }

    #[test]
    fn utf8_cut_at_sample_end_is_valid() {
        let bytes = "aé".as_bytes();
        assert!(utf8_valid(&bytes[..2], false));
        assert!(!utf8_valid(&bytes[..2], true));
        assert!(!utf8_valid(b"a\x80b", false));
    }

    #[test]
    fn legacy_guesses() {
        let punctuation = b"name,note\nA,\x80 \x93quoted\x94 \x96 \x85 \x8A\x8C\x9F\n";
        assert_eq!(guess_legacy(punctuation, true), encoding_rs::WINDOWS_1252);
        let german = b"name,city\nJos\xe9,M\xfcnchen\nFran\xe7ois,Z\xfcrich\nAndr\xe9,K\xf6ln\n";
        assert_eq!(guess_legacy(german, true), encoding_rs::WINDOWS_1252);
        let russian = b"id,name\n1,\xcf\xf0\xe8\xe2\xe5\xf2 \xec\xe8\xf0\n";
        assert_eq!(guess_legacy(russian, true), encoding_rs::WINDOWS_1251);
    }

    #[test]
    fn delimiters() {
        assert_eq!(delimiter("a,b,c\n1,2,3\n", true), Some(b','));
        assert_eq!(delimiter("a;b;c\n1;2,5;3\n", true), Some(b';'));
        assert_eq!(delimiter("a\tb\n\"x,y\"\t2\n", true), Some(b'\t'));
        assert_eq!(delimiter("a|b\n1|2\n", true), Some(b'|'));
        assert_eq!(delimiter("name\nSmith\n", true), None);
        // Quote-aware: the commas are inside quotes.
        assert_eq!(delimiter("a;b\n\"1,5\";\"2,5\"\n", true), Some(b';'));
        // Decimal commas in a semicolon file (C16).
        assert_eq!(
            delimiter(
                "name;amount;date\nA;1234,50;01.03.2024\nB;12,00;02.03.2024\n",
                true
            ),
            Some(b';')
        );
    }

    #[test]
    fn unfinished_last_record_is_left_out() {
        // Cut in the middle of the third record, which would disagree.
        assert_eq!(delimiter("a;b\n1;2\n3", false), Some(b';'));
    }

    #[test]
    fn modal_prefers_larger_on_tie() {
        assert_eq!(modal(&[1, 2]), Some((2, 1)));
        assert_eq!(modal(&[3, 3, 2]), Some((3, 2)));
        assert_eq!(modal(&[]), None);
    }
}
