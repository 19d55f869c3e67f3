//! The benchmark's promise: a generated file with known bad cells yields exactly those
//! problems — no more, no fewer — at the right rows, although quoted cells span lines.

use std::collections::BTreeMap;

use intake_bench::generator::{self, ErrorKind, Options};
use intake_core::mapping::ManualMapping;
use intake_core::report::{Problem, ProblemCode};
use intake_core::schema::Schema;
use intake_core::validate::ValidateOptions;
use intake_engine::{NoProgress, ValidateRequest, validate};
use intake_formats::CsvOptions;

fn codes_for(kind: ErrorKind) -> &'static [ProblemCode] {
    match kind {
        ErrorKind::BadEmail => &[ProblemCode::InvalidEmail],
        ErrorKind::BadCountry => &[ProblemCode::UnknownCountry],
        ErrorKind::BadDate => &[ProblemCode::InvalidDate],
        ErrorKind::TooLong => &[ProblemCode::TooLong],
        ErrorKind::MissingRequired => &[ProblemCode::Required],
        ErrorKind::BadLookup => &[ProblemCode::UnknownOption],
        ErrorKind::BadInteger => &[
            ProblemCode::InvalidInteger,
            ProblemCode::IntegerHasDecimals,
            ProblemCode::OutOfRange,
        ],
        ErrorKind::BadBoolean => &[ProblemCode::InvalidBoolean],
    }
}

fn check(options: &Options) {
    let mut bytes = Vec::new();
    let injected = generator::write_csv(options, &mut bytes).expect("generate");
    assert!(
        injected.len() > 100,
        "the sample must have errors of every kind"
    );

    let schema = Schema::from_toml("data/intake.toml", include_str!("../data/intake.toml"))
        .expect("bench schema");
    let request = ValidateRequest {
        record_type: "contacts".into(),
        options: ValidateOptions::new(schema.locale.clone()),
        csv: CsvOptions::default(),
        sheet: Default::default(),
        mapping: ManualMapping::default(),
        threads: 2,
    };
    let v = validate(&schema, &bytes[..], &request, &NoProgress).expect("validate");
    assert_eq!(v.report.rows, options.rows);
    assert!(v.report.warnings.is_empty(), "{:?}", v.report.warnings);

    let expected: BTreeMap<(u64, &str), _> = injected
        .iter()
        .map(|e| ((e.data_row + 1, e.column_name()), e))
        .collect();
    let found: BTreeMap<(u64, &str), &Problem> = v
        .report
        .problems
        .iter()
        .map(|p| {
            (
                (
                    p.row.get(),
                    p.column.as_ref().map_or("", |c| c.header.as_str()),
                ),
                p,
            )
        })
        .collect();
    assert_eq!(
        found.len(),
        v.report.problems.len(),
        "at most one problem per cell"
    );

    let missing: Vec<_> = expected.keys().filter(|k| !found.contains_key(k)).collect();
    let extra: Vec<_> = found
        .iter()
        .filter(|(k, _)| !expected.contains_key(k))
        .map(|(_, p)| p)
        .collect();
    assert!(
        missing.is_empty(),
        "injected errors not reported: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "problems that were not injected: {extra:#?}"
    );
    for (key, e) in &expected {
        let p = found[key];
        assert!(
            codes_for(e.kind).contains(&p.code),
            "{key:?}: {} reported as {}",
            e.kind,
            p.code
        );
        assert_eq!(p.value, Problem::clip(&e.value), "{key:?}");
    }
    assert_eq!(v.report.failed_rows, injected.len() as u64);
}

#[test]
fn every_injected_error_and_nothing_else_is_reported() {
    check(&Options {
        rows: 20_000,
        error_rate: 0.05,
        error_kinds: ErrorKind::ALL.to_vec(),
        ..Options::default()
    });
}

#[test]
fn excel_style_crlf_and_bom_change_nothing() {
    check(&Options {
        rows: 5_000,
        seed: 7,
        error_rate: 0.05,
        error_kinds: ErrorKind::ALL.to_vec(),
        crlf: true,
        bom: true,
    });
}
