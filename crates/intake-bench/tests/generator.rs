//! Tests of the contacts generator: determinism, independence of the valid rows from the
//! error rate, a manifest that points at the changed cells, every valid value valid for its
//! column, every injected value invalid for its column, and CSV that parses back.
//!
//! `cargo test -p intake-bench` (fast: a few thousand rows per test, no timing).

use std::collections::HashSet;
use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveDateTime};
use intake_bench::generator::{
    self, COLUMNS, ErrorKind, Generator, ISO_COUNTRIES, InjectedError, LIFECYCLE, Options,
    REQUIRED, Row, column as c, max_length,
};
use regex::Regex;

const ROWS: u64 = 3000;

fn options(rows: u64, error_rate: f64) -> Options {
    Options {
        rows,
        error_rate,
        error_kinds: ErrorKind::ALL.to_vec(),
        ..Options::default()
    }
}

fn csv_bytes(options: &Options) -> (Vec<u8>, Vec<InjectedError>) {
    let mut out = Vec::new();
    let errors = generator::write_csv(options, &mut out).expect("write_csv");
    (out, errors)
}

/// All rows with their injected error, straight from the generator.
fn rows(options: &Options) -> Vec<(Row, Option<InjectedError>)> {
    let mut generator = Generator::new(options).expect("options");
    let mut out = Vec::new();
    while let Some(row) = generator.next_row() {
        assert_eq!(row.data_row, out.len() as u64 + 1);
        out.push((row.cells.clone(), row.error));
    }
    out
}

fn parse(bytes: &[u8]) -> Vec<Vec<String>> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect()
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    // The Python generator's EMAIL_PATTERN, ASCII only.
    Regex::new(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
        .expect("regex")
});
static GENERATED_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]+[._]?[a-z0-9]+[0-9]+@[a-z0-9]+(\.[a-z]+)+$").expect("regex")
});
static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\+?[0-9][0-9 ()./-]{5,30}$").expect("regex"));
static UUID_V4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        .expect("regex")
});
static DATE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{4}-\d{2}-\d{2}$").expect("regex"));
static DATETIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$").expect("regex"));
static REVENUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(0|[1-9][0-9]*)\.[0-9]{2}$").expect("regex"));
static DISCOUNT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^0\.[0-9]{4}$").expect("regex"));
static INTEGER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(0|[1-9][0-9]*)$").expect("regex"));

/// Whether `value` is valid for `column`, by the rules of `contacts.schema.json`, read as
/// strictly as intake might: lengths in characters; booleans in the
/// DESIGN's broad set; lookups and countries case-blind.
fn is_valid(column: usize, value: &str) -> bool {
    if value.is_empty() {
        return !REQUIRED.contains(&column) && column != c::IS_SUBSCRIBED;
    }
    if let Some(max) = max_length(column)
        && value.chars().count() > max
    {
        return false;
    }
    match column {
        c::UUID => UUID_V4.is_match(value),
        c::EMAIL => EMAIL.is_match(value),
        c::PHONE => PHONE.is_match(value),
        c::COUNTRY => ISO_COUNTRIES
            .iter()
            .any(|code| code.eq_ignore_ascii_case(value.trim())),
        c::BIRTH_DATE => {
            DATE.is_match(value) && NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok()
        }
        c::LIFECYCLE_STAGE => LIFECYCLE
            .iter()
            .any(|s| s.eq_ignore_ascii_case(value.trim())),
        c::LEAD_SCORE => INTEGER.is_match(value) && value.parse::<u32>().is_ok_and(|n| n <= 100),
        c::ANNUAL_REVENUE => REVENUE.is_match(value),
        c::DISCOUNT_RATE => {
            DISCOUNT.is_match(value) && value.parse::<f64>().is_ok_and(|r| (0.0..=0.5).contains(&r))
        }
        c::IS_SUBSCRIBED | c::IS_VIP => {
            let v = value.trim().to_ascii_lowercase();
            ["true", "false", "t", "f", "yes", "no", "1", "0"].contains(&v.as_str())
        }
        c::CREATED_AT => {
            DATETIME.is_match(value)
                && NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%SZ").is_ok()
        }
        _ => true,
    }
}

#[test]
fn same_seed_same_bytes() {
    for error_rate in [0.0, 0.05] {
        let (a, ea) = csv_bytes(&options(ROWS, error_rate));
        let (b, eb) = csv_bytes(&options(ROWS, error_rate));
        assert!(
            a == b,
            "two runs with the same seed differ (error rate {error_rate})"
        );
        assert_eq!(ea, eb);
    }
    let other = Options {
        seed: 43,
        ..options(ROWS, 0.0)
    };
    assert_ne!(csv_bytes(&other).0, csv_bytes(&options(ROWS, 0.0)).0);
}

#[test]
fn fewer_rows_are_a_prefix() {
    let (short, _) = csv_bytes(&options(100, 0.0));
    let (long, _) = csv_bytes(&options(ROWS, 0.0));
    assert!(long.starts_with(&short));
}

#[test]
fn valid_rows_do_not_depend_on_the_error_rate() {
    let clean = rows(&options(ROWS, 0.0));
    assert!(clean.iter().all(|(_, e)| e.is_none()));
    for error_rate in [0.01, 0.3, 1.0] {
        let dirty = rows(&options(ROWS, error_rate));
        assert_eq!(clean.len(), dirty.len());
        let mut hit = 0;
        for ((clean_row, _), (dirty_row, error)) in clean.iter().zip(&dirty) {
            match error {
                None => assert_eq!(clean_row, dirty_row),
                Some(e) => {
                    hit += 1;
                    let changed: Vec<usize> = (0..COLUMNS.len())
                        .filter(|&k| clean_row[k] != dirty_row[k])
                        .collect();
                    assert_eq!(changed, vec![e.column], "row {}: {e:?}", e.data_row);
                    assert_eq!(dirty_row[e.column], e.value);
                }
            }
        }
        let expected = ROWS as f64 * error_rate;
        assert!(
            (hit as f64 - expected).abs() <= 5.0 * expected.sqrt() + 1.0,
            "{hit} errors at rate {error_rate}"
        );
    }
}

#[test]
fn manifest_points_at_the_changed_cells() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (clean, _) = csv_bytes(&options(ROWS, 0.0));
    let (dirty, errors) = csv_bytes(&options(ROWS, 0.05));
    let manifest_path = dir.path().join("errors.csv");
    generator::write_manifest(
        &errors,
        fs_err::File::create(&manifest_path).expect("create"),
    )
    .expect("write_manifest");
    let manifest = generator::read_manifest(fs_err::File::open(&manifest_path).expect("open"))
        .expect("read_manifest");
    assert_eq!(
        manifest, errors,
        "the manifest round-trips, full values included"
    );
    assert!(!manifest.is_empty());

    // The manifest as plain CSV: data_row,column,kind,value.
    let raw = parse(&fs_err::read(&manifest_path).expect("read"));
    assert_eq!(raw[0], ["data_row", "column", "kind", "value"]);
    assert_eq!(raw.len(), manifest.len() + 1);

    let clean = parse(&clean);
    let dirty = parse(&dirty);
    let mut expected_changes = HashSet::new();
    for e in &manifest {
        // Data row N is record N of the file: the header is record 0.
        let record = usize::try_from(e.data_row).expect("row");
        let k = COLUMNS
            .iter()
            .position(|&n| n == e.column_name())
            .expect("column");
        assert_eq!(dirty[record][k], e.value, "{e:?}");
        assert_ne!(clean[record][k], e.value, "{e:?}");
        expected_changes.insert((record, k));
    }
    for (record, (a, b)) in clean.iter().zip(&dirty).enumerate() {
        for k in 0..COLUMNS.len() {
            if a[k] != b[k] {
                assert!(
                    expected_changes.contains(&(record, k)),
                    "record {record} column {k}"
                );
            }
        }
    }
    // Full values: no `too_long` value is cut short in the manifest.
    for e in manifest.iter().filter(|e| e.kind == ErrorKind::TooLong) {
        let max = max_length(e.column).expect("limit");
        assert!(e.value.chars().count() > max, "{e:?}");
    }
}

#[test]
fn every_valid_value_matches_its_column_rule() {
    let rows = rows(&options(20_000, 0.0));
    let mut emails = HashSet::new();
    let mut uuids = HashSet::new();
    for (row, _) in &rows {
        for (k, value) in row.iter().enumerate() {
            assert!(is_valid(k, value), "column {}: {value:?}", COLUMNS[k]);
        }
        let email = &row[c::EMAIL];
        assert!(
            email.is_ascii() && GENERATED_EMAIL.is_match(email),
            "{email}"
        );
        assert!(
            emails.insert(email.to_ascii_lowercase()),
            "duplicate e-mail {email}"
        );
        assert!(uuids.insert(row[c::UUID].clone()), "duplicate uuid");
        for k in [c::FIRST_NAME, c::LAST_NAME] {
            assert_eq!(row[k].trim(), row[k], "names have no surrounding spaces");
        }
    }
}

#[test]
fn every_injected_value_breaks_its_column_rule() {
    let mut kinds = HashSet::new();
    for (_, error) in rows(&options(ROWS, 0.5)) {
        let Some(e) = error else { continue };
        assert!(!is_valid(e.column, &e.value), "{e:?} is valid");
        kinds.insert(e.kind);
        match e.kind {
            ErrorKind::MissingRequired => assert!(REQUIRED.contains(&e.column)),
            ErrorKind::TooLong => {
                // Too long even for a reader that trims cells.
                let max = max_length(e.column).expect("a limit");
                assert!(e.value.trim().chars().count() > max, "{e:?}");
            }
            _ => {}
        }
    }
    assert_eq!(
        kinds.len(),
        ErrorKind::ALL.len(),
        "every kind drawn: {kinds:?}"
    );
}

#[test]
fn default_kinds_are_the_first_five() {
    let options = Options {
        error_rate: 0.5,
        ..options(ROWS, 0.0)
    };
    let options = Options {
        error_kinds: ErrorKind::DEFAULT.to_vec(),
        ..options
    };
    let kinds: HashSet<ErrorKind> = rows(&options)
        .into_iter()
        .filter_map(|(_, e)| e.map(|e| e.kind))
        .collect();
    assert_eq!(kinds, ErrorKind::DEFAULT.into_iter().collect());
    assert_eq!(Options::default().error_kinds, ErrorKind::DEFAULT.to_vec());
    assert_eq!(Options::default().seed, 42);
}

#[test]
fn csv_parses_into_rows_plus_one_records_of_20_fields() {
    for (crlf, bom) in [(false, false), (true, false), (false, true), (true, true)] {
        let options = Options {
            crlf,
            bom,
            ..options(ROWS, 0.02)
        };
        let (bytes, _) = csv_bytes(&options);
        assert_eq!(bytes.starts_with("\u{feff}".as_bytes()), bom);
        let records = parse(&bytes);
        assert_eq!(records.len() as u64, ROWS + 1, "crlf {crlf} bom {bom}");
        assert_eq!(records[0], COLUMNS);
        assert!(records.iter().all(|r| r.len() == 20));
        assert_eq!(
            records[1..],
            rows(&options)
                .into_iter()
                .map(|(r, _)| r.to_vec())
                .collect::<Vec<_>>()[..]
        );
        let text = String::from_utf8(bytes).expect("utf-8");
        let header_end = if crlf { "notes\r\n" } else { "notes\n" };
        assert!(text.contains(header_end));
        if !crlf {
            assert!(!text.contains('\r'));
        }
    }
}

#[test]
fn data_has_the_features_of_the_reference() {
    let rows: Vec<Row> = rows(&options(20_000, 0.0))
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    let n = rows.len() as f64;
    let share = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count() as f64 / n;
    let between =
        |x: f64, lo: f64, hi: f64, what: &str| assert!((lo..=hi).contains(&x), "{what}: {x}");

    between(
        share(&|r| !r[c::FIRST_NAME].is_ascii() || !r[c::LAST_NAME].is_ascii()),
        0.08,
        0.13,
        "non-ASCII names",
    );
    let script = |lo: char, hi: char| {
        rows.iter().any(|r| {
            r[c::FIRST_NAME]
                .chars()
                .chain(r[c::LAST_NAME].chars())
                .any(|ch| (lo..=hi).contains(&ch))
        })
    };
    assert!(script('\u{4e00}', '\u{9fff}'), "CJK");
    assert!(script('\u{0400}', '\u{04ff}'), "Cyrillic");
    assert!(script('\u{0600}', '\u{06ff}'), "Arabic");
    between(
        share(&|r| r[c::STREET].contains('\n')),
        0.06,
        0.10,
        "streets with a newline",
    );
    assert!(
        share(&|r| r[c::STREET].contains(',')) > 0.05,
        "streets with a comma"
    );
    assert!(
        share(&|r| r[c::COMPANY].contains(',')) > 0.1,
        "companies with a comma"
    );
    assert!(
        share(&|r| r[c::NOTES].contains('"')) > 0.01,
        "notes with quotes"
    );
    assert!(
        share(&|r| r[c::NOTES].contains('\n')) > 0.01,
        "notes on several lines"
    );
    between(share(&|r| r[c::NOTES].is_empty()), 0.5, 0.6, "empty notes");
    between(
        share(&|r| r[c::COMPANY].is_empty()),
        0.15,
        0.25,
        "empty companies",
    );
    between(share(&|r| r[c::COUNTRY] == "US"), 0.2, 0.35, "US share");
    let countries: HashSet<&str> = rows.iter().map(|r| r[c::COUNTRY].as_str()).collect();
    assert!(countries.len() > 150, "{} countries", countries.len());
}
