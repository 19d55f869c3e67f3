//! Workbooks saved by LibreOffice (`soffice --headless --convert-to xlsx|xls|ods` of the CSV
//! next to them, committed as fixtures) validate exactly as the CSV they came from.
#![allow(clippy::unwrap_used)]

use intake_core::demo::demo;
use intake_core::mapping::ManualMapping;
use intake_core::validate::ValidateOptions;
use intake_engine::{NoProgress, ValidateRequest, validate};
use intake_formats::{CsvOptions, Format};

fn problems(file: &str) -> (Option<Format>, Vec<String>, u64) {
    let schema = demo("crm").unwrap().schema().unwrap();
    let path = format!("{}/tests/workbooks/{file}", env!("CARGO_MANIFEST_DIR"));
    let bytes = fs_err::read(path).unwrap();
    let request = ValidateRequest {
        record_type: "contact".into(),
        options: ValidateOptions::new(schema.locale.clone()),
        csv: CsvOptions::default(),
        sheet: Default::default(),
        mapping: ManualMapping::default(),
        threads: 2,
    };
    let v = validate(&schema, bytes.as_slice(), &request, &NoProgress).unwrap();
    let list = v
        .report
        .problems
        .iter()
        .map(|p| {
            format!(
                "row {} {:?} {} `{}`: {}",
                p.row,
                p.column.as_ref().map(|c| c.header.clone()),
                p.code,
                p.value,
                p.message
            )
        })
        .collect();
    (v.workbook.map(|w| w.format), list, v.report.rows)
}

#[test]
fn libreoffice_workbooks_validate_like_the_csv_they_came_from() {
    let (format, csv, rows) = problems("contacts-with-problems.csv");
    assert_eq!(format, None);
    assert!(!csv.is_empty());
    for (file, expected) in [
        ("contacts-with-problems.xlsx", Format::Xlsx),
        ("contacts-with-problems.xls", Format::Xls),
        ("contacts-with-problems.ods", Format::Ods),
    ] {
        let (format, got, got_rows) = problems(file);
        assert_eq!(format, Some(expected), "{file}");
        assert_eq!(got_rows, rows, "{file}");
        assert_eq!(got, csv, "{file}");
    }
}
