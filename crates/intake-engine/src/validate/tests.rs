//! End-to-end validation of CSV bytes: reader + mapping + checks, as the CLI runs them.

use intake_core::report::render;
use intake_core::schema::Schema;

use super::*;
use crate::progress::NoProgress;

const SCHEMA: &str = r#"
[types.contact]
label = "Contact"
[[types.contact.fields]]
name = "email"
label = "Email"
type = "email"
required = true
unique = true
[[types.contact.fields]]
name = "name"
label = "Name"
type = "text"
required = true
max_length = 20
[[types.contact.fields]]
name = "notes"
label = "Notes"
type = "text"
[[types.contact.fields]]
name = "score"
label = "Score"
type = "integer"
"#;

fn request(threads: usize) -> ValidateRequest {
    let schema = Schema::from_toml("t.toml", SCHEMA).unwrap();
    ValidateRequest {
        record_type: "contact".into(),
        options: ValidateOptions::new(schema.locale.clone()),
        csv: CsvOptions::default(),
        sheet: Default::default(),
        mapping: ManualMapping::default(),
        threads,
    }
}

fn run(bytes: &[u8]) -> Result<FileValidation, EngineError> {
    let schema = Schema::from_toml("t.toml", SCHEMA).unwrap();
    validate(&schema, bytes, &request(2), &NoProgress)
}

fn problems(bytes: &[u8]) -> String {
    let v = run(bytes).unwrap();
    v.report
        .problems
        .iter()
        .map(|p| format!("{} [{}]", render(p), p.code))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn quoted_newlines_do_not_shift_row_numbers() {
    let csv = "Email,Name,Notes\na@example.com,Ann,\"line 1\nline 2\nline 3\"\nbad,Bob,\n";
    insta::assert_snapshot!(problems(csv.as_bytes()), @"row 3, column `Email` (A): `bad` is not an e-mail address: it has no `@` [invalid_email]");
}

#[test]
fn c4_unclosed_quote_names_the_row_and_column_header() {
    let mut csv = String::from("Email,Name,Notes\n");
    for i in 2..=6 {
        csv.push_str(&format!("u{i}@example.com,U{i},ok\n"));
    }
    csv.push_str("u7@example.com,U7,\"never closed\n");
    for i in 8..=100 {
        csv.push_str(&format!("u{i}@example.com,U{i},ok\n"));
    }
    let e = run(csv.as_bytes()).unwrap_err();
    insta::assert_snapshot!(e.to_string(), @"unclosed quote starting at row 7, column `Notes` (C): the quoted cell never ends, so the rest of the file would be read into it; close the quote (and double any quote inside the cell)");
}

#[test]
fn c5_text_after_a_closing_quote_is_a_cell_problem() {
    insta::assert_snapshot!(problems(b"Email,Name,Notes\na@example.com,\"Ann\"ie,x\n"), @r#"row 2, column `Name` (B): text follows the closing quote of this quoted cell; quote the whole cell and double any quote inside it (`"say ""hi"""`) [text_after_quote]"#);
}

#[test]
fn c8_a_bom_does_not_hide_the_first_header() {
    let v = run(b"\xEF\xBB\xBFEmail,Name\na@example.com,Ann\n").unwrap();
    assert!(v.report.problems.is_empty(), "{:?}", v.report.problems);
    assert_eq!(v.header[0], "Email");
}

#[test]
fn c18_blank_lines_before_the_header_keep_real_row_numbers() {
    let v = run(b"\n\nEmail,Name,Color\nbad,Ann,red\n").unwrap();
    assert_eq!(v.header_row, RowNumber::new(3));
    assert_eq!(v.report.problems[0].row, RowNumber::new(4));
    let w: Vec<_> = v
        .report
        .warnings
        .iter()
        .map(|w| (w.row.map(RowNumber::get), w.code.as_str()))
        .collect();
    assert_eq!(
        w,
        [
            (Some(3), "blank_rows_before_header"),
            (Some(3), "unmapped_column")
        ]
    );
    // A missing required column is reported on the header's real row too.
    let v = run(b"\n\nName\nAnn\n").unwrap();
    assert_eq!(v.report.problems[0].row, RowNumber::new(3));
    assert_eq!(v.report.problems[0].code, ProblemCode::MissingColumn);
}

#[test]
fn c3_every_ragged_row_is_listed() {
    let mut csv = String::from("Email,Name,Notes\n");
    for i in 2..=2001 {
        if i % 500 == 0 {
            csv.push_str(&format!("u{i}@example.com,U{i}\n"));
        } else {
            csv.push_str(&format!("u{i}@example.com,U{i},\n"));
        }
    }
    let v = run(csv.as_bytes()).unwrap();
    let rows: Vec<u64> = v.report.problems.iter().map(|p| p.row.get()).collect();
    assert_eq!(rows, [500, 1000, 1500, 2000]);
    assert!(
        v.report
            .problems
            .iter()
            .all(|p| p.code == ProblemCode::WrongFieldCount)
    );
}

#[test]
fn c1_empty_file_is_an_error() {
    assert_eq!(
        run(b"").unwrap_err().to_string(),
        "the file is empty - no header row"
    );
    assert_eq!(
        run(b"\n").unwrap_err().to_string(),
        "the file is empty - no header row"
    );
}

#[test]
fn c2_header_only_is_said() {
    let v = run(b"Email,Name\n").unwrap();
    assert_eq!(v.report.rows, 0);
    assert!(
        v.report
            .warnings
            .iter()
            .any(|w| w.code == ProblemCode::NoDataRows)
    );
}

#[test]
fn c13_nul_is_a_cell_error() {
    insta::assert_snapshot!(problems(b"Email,Name\na@example.com,A\x00n\n"), @r"row 2, column `Name` (B): the cell contains a NUL byte (an invisible character that databases refuse); remove it [nul_character]");
}

#[test]
fn c20_na_and_null_are_text_not_empty() {
    insta::assert_snapshot!(problems(b"Email,Name,Score\nNA,NULL,-\n"), @r"
    row 2, column `Email` (A): `NA` is not an e-mail address: it has no `@` [invalid_email]
    row 2, column `Score` (C): `-` is not a whole number; expected digits such as `42` or `1,250` [invalid_integer]
    ");
}

#[test]
fn c22_not_a_text_file() {
    let e = run(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap_err();
    assert!(
        e.to_string().starts_with("the file is not a text file"),
        "{e}"
    );
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let mut csv = String::from("Email,Name,Score\n");
    for i in 0..20_000 {
        let email = if i % 97 == 0 {
            "dup@example.com".to_string()
        } else {
            format!("u{i}@example.com")
        };
        let score = if i % 13 == 0 {
            "x".to_string()
        } else {
            i.to_string()
        };
        csv.push_str(&format!("{email},N{i},{score}\n"));
    }
    let schema = Schema::from_toml("t.toml", SCHEMA).unwrap();
    let one = validate(&schema, csv.as_bytes(), &request(1), &NoProgress)
        .unwrap()
        .report;
    let four = validate(&schema, csv.as_bytes(), &request(4), &NoProgress)
        .unwrap()
        .report;
    assert_eq!(one, four);
    assert_eq!(one.rows, 20_000);
    assert!(one.problems.len() > 1000);
}

#[test]
fn unknown_type_lists_the_types() {
    let schema = Schema::from_toml("t.toml", SCHEMA).unwrap();
    let mut r = request(1);
    r.record_type = "acount".into();
    let e = validate(&schema, &b"a\n"[..], &r, &NoProgress).unwrap_err();
    assert_eq!(
        e.to_string(),
        "there is no record type `acount`; the workspace has: contact"
    );
}
