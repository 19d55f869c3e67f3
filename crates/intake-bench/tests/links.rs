//! Tests of the links suite's data set: determinism, every account used and its columns the
//! same in both files, unique e-mail addresses, the contacts by UUID the same contacts as the
//! inline ones, and both files valid for the `crm` demo.
//!
//! `cargo test -p intake-bench` (fast: a few thousand rows, no timing).

use std::collections::{HashMap, HashSet};

use intake_bench::links::{
    self, ACCOUNT_COLUMNS, INLINE_COLUMNS, UUID_COLUMNS, account_count, account_name,
};
use intake_core::mapping::ManualMapping;
use intake_core::report::ProblemCode;
use intake_core::schema::Schema;
use intake_core::validate::ValidateOptions;
use intake_engine::{NoProgress, ValidateRequest, validate};
use intake_formats::CsvOptions;

const ROWS: u64 = 3000;

fn accounts_bytes(rows: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let n = links::write_accounts(rows, &mut out).expect("write_accounts");
    assert_eq!(n, account_count(rows));
    out
}

fn contacts_bytes(rows: u64, uuids: Option<&HashMap<String, String>>) -> Vec<u8> {
    let mut out = Vec::new();
    links::write_contacts(rows, uuids, &mut out).expect("write_contacts");
    out
}

/// The header and the records.
fn parse(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let records = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect();
    (header, records)
}

/// A UUID for each account, as `intake export account` would give.
fn fake_uuids(rows: u64) -> HashMap<String, String> {
    (0..account_count(rows))
        .map(|k| {
            (
                account_name(k),
                format!("0191d6a2-7c4e-7b3a-9f1e-{:012x}", k + 1),
            )
        })
        .collect()
}

fn crm() -> Schema {
    intake_core::demo::demo("crm")
        .expect("the crm demo")
        .schema()
        .expect("the crm schema")
}

#[test]
fn the_same_rows_give_the_same_bytes() {
    assert_eq!(accounts_bytes(ROWS), accounts_bytes(ROWS));
    assert_eq!(contacts_bytes(ROWS, None), contacts_bytes(ROWS, None));
    let uuids = fake_uuids(ROWS);
    assert_eq!(
        contacts_bytes(ROWS, Some(&uuids)),
        contacts_bytes(ROWS, Some(&uuids))
    );
    // Another size is another data set (the shuffle spans every row).
    assert_ne!(contacts_bytes(ROWS, None), contacts_bytes(ROWS + 10, None));
}

#[test]
fn every_account_has_its_contacts_and_the_same_columns() {
    let (header, accounts) = parse(&accounts_bytes(ROWS));
    assert_eq!(header, ACCOUNT_COLUMNS);
    assert_eq!(accounts.len() as u64, ROWS / 10);
    assert_eq!(accounts[0][0], "Company 00001");
    assert_eq!(accounts[299][0], "Company 00300");
    let by_name: HashMap<&str, &[String]> =
        accounts.iter().map(|a| (a[0].as_str(), &a[1..])).collect();
    assert_eq!(by_name.len(), accounts.len(), "account names are unique");

    let (header, contacts) = parse(&contacts_bytes(ROWS, None));
    assert_eq!(header, INLINE_COLUMNS);
    assert_eq!(contacts.len() as u64, ROWS);
    let mut uses: HashMap<&str, u64> = HashMap::new();
    for c in &contacts {
        assert_eq!(c[0], "", "Account UUID is empty");
        let columns = by_name.get(c[1].as_str()).expect("a known account");
        assert_eq!(
            &c[2..5],
            *columns,
            "the account's columns as in the accounts file"
        );
        *uses.entry(c[1].as_str()).or_default() += 1;
    }
    assert_eq!(uses.len(), accounts.len(), "every account is used");
    assert!(uses.values().all(|&n| n == 10), "ten contacts each");
    // Shuffled: the first ten contacts are not all of one account.
    let first: HashSet<&str> = contacts[..10].iter().map(|c| c[1].as_str()).collect();
    assert!(first.len() > 1);
}

#[test]
fn e_mail_addresses_are_unique_and_names_filled() {
    let (_, contacts) = parse(&contacts_bytes(ROWS, None));
    let emails: HashSet<String> = contacts.iter().map(|c| c[7].to_lowercase()).collect();
    assert_eq!(emails.len(), contacts.len());
    for c in &contacts {
        assert!(!c[5].is_empty() && !c[6].is_empty(), "{c:?}");
        assert!(c[7].contains('@'), "{c:?}");
    }
}

#[test]
fn contacts_by_uuid_are_the_same_contacts() {
    let uuids = fake_uuids(ROWS);
    let (_, inline) = parse(&contacts_bytes(ROWS, None));
    let (header, by_uuid) = parse(&contacts_bytes(ROWS, Some(&uuids)));
    assert_eq!(header, UUID_COLUMNS);
    assert_eq!(inline.len(), by_uuid.len());
    for (a, b) in inline.iter().zip(&by_uuid) {
        assert_eq!(b[0], uuids[&a[1]]);
        assert_eq!(a[5..], b[1..]);
    }

    let mut missing = uuids.clone();
    missing.remove("Company 00007");
    let err = links::write_contacts(ROWS, Some(&missing), Vec::new()).unwrap_err();
    assert!(err.to_string().contains("Company 00007"), "{err}");
}

#[test]
fn too_few_rows_for_an_account_are_refused() {
    assert!(links::write_accounts(9, Vec::new()).is_err());
    assert!(links::write_contacts(0, None, Vec::new()).is_err());
    // Not a multiple of ten: the first accounts get one more contact.
    let (_, contacts) = parse(&contacts_bytes(25, None));
    let names: HashSet<&str> = contacts.iter().map(|c| c[1].as_str()).collect();
    assert_eq!(names.len(), 2);
}

#[test]
fn the_export_gives_each_name_its_uuid() {
    let export = "Account UUID,Parent Account UUID,Account Name,Industry\n\
                  0191d6a2-7c4e-7b3a-9f1e-000000000001,,Company 00001,Retail\n\
                  0191d6a2-7c4e-7b3a-9f1e-000000000002,,\"Company 00002\",\n";
    let uuids = links::read_export_uuids(export.as_bytes()).expect("export");
    assert_eq!(uuids.len(), 2);
    assert_eq!(
        uuids["Company 00002"],
        "0191d6a2-7c4e-7b3a-9f1e-000000000002"
    );

    let err = links::read_export_uuids("Account Name\nCompany 00001\n".as_bytes()).unwrap_err();
    assert!(err.to_string().contains("Account UUID"), "{err}");
    let twice = "Account UUID,Account Name\na,Company 00001\nb,Company 00001\n";
    assert!(links::read_export_uuids(twice.as_bytes()).is_err());
    let empty = "Account UUID,Account Name\n,Company 00001\n";
    assert!(links::read_export_uuids(empty.as_bytes()).is_err());
}

/// Validates `bytes` as `record_type` of the `crm` demo, file only (no store): no problems, and
/// no warnings but the `unmapped` columns (the account columns, which only an import reads, to
/// create the account inline).
fn check_valid(record_type: &str, bytes: &[u8], rows: u64, unmapped: &[&str]) {
    let schema = crm();
    let request = ValidateRequest {
        record_type: record_type.into(),
        options: ValidateOptions::new(schema.locale.clone()),
        csv: CsvOptions::default(),
        sheet: Default::default(),
        mapping: ManualMapping::default(),
        threads: 2,
    };
    let v = validate(&schema, bytes, &request, &NoProgress).expect("validate");
    assert_eq!(v.report.rows, rows);
    assert!(
        v.report.problems.is_empty(),
        "{record_type}: {:?}",
        &v.report.problems[..v.report.problems.len().min(5)]
    );
    let warned: Vec<&str> = v
        .report
        .warnings
        .iter()
        .map(|w| {
            assert_eq!(w.code, ProblemCode::UnmappedColumn, "{w:?}");
            w.column.as_ref().map_or("", |c| c.header.as_str())
        })
        .collect();
    assert_eq!(warned, unmapped, "{record_type}");
}

#[test]
fn the_files_are_valid_for_the_crm_demo() {
    check_valid("account", &accounts_bytes(ROWS), ROWS / 10, &[]);
    check_valid(
        "contact",
        &contacts_bytes(ROWS, None),
        ROWS,
        &INLINE_COLUMNS[1..5],
    );
    check_valid(
        "contact",
        &contacts_bytes(ROWS, Some(&fake_uuids(ROWS))),
        ROWS,
        &[],
    );
}
