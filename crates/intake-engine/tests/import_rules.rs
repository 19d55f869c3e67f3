//! The import rules of DESIGN §5 and the reliability scenarios F7, F11, R1-R4 and the
//! all-or-nothing fail points: CSV bytes imported into a fresh store, the outcome and the
//! stored values read back (by SQL, by export, from the changeset). One scenario per rule,
//! named after it, run on both backends: `NAME_sqlite` on a fresh SQLite file, and
//! `NAME_postgres` on a fresh PostgreSQL database (skipped with a message when PostgreSQL is
//! unreachable, failed when `CI` is set; see intake-testkit's `postgres_or_skip`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::*;

use intake_core::demo;
use intake_core::locale::Locale;
use intake_core::schema::Schema;
use intake_core::validate::{Mode, ValidateOptions};
use intake_engine::{
    ExportRequest, FailMode, FailPoint, ImportError, ImportOutcome, ImportRequest, OnError,
    export as export_records,
};
use intake_formats::{CsvOptions, CsvReader, CsvWriter, CsvWriterOptions, RecordBatch};
use intake_store::StoreError;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn crm() -> Workspace {
    Workspace::new(demo::demo("crm").unwrap().schema().unwrap())
}

fn defaults(_: &mut ImportRequest) {}

fn skip(r: &mut ImportRequest) {
    r.on_error = OnError::Skip;
}

/// (created, updated, unchanged) of an import.
fn cuu(o: &ImportOutcome) -> (u64, u64, u64) {
    (o.counts.created, o.counts.updated, o.counts.unchanged)
}

fn export_req(ws: &Workspace, req: &ExportRequest) -> String {
    let mut out = Vec::new();
    export_records(&ws.schema, ws.store.as_ref(), req, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Every record of a type, as an export writes them.
fn export(ws: &Workspace, record_type: &str) -> String {
    export_req(
        ws,
        &ExportRequest {
            record_type: record_type.into(),
            ..ExportRequest::default()
        },
    )
}

/// A CSV file's cells as written (formula guards included).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    parse_csv_with(text, b',')
}

fn parse_csv_with(text: &str, delimiter: u8) -> Vec<Vec<String>> {
    let mut reader = CsvReader::new(
        text.as_bytes(),
        &CsvOptions {
            delimiter: Some(delimiter),
            ..CsvOptions::default()
        },
    )
    .unwrap();
    let mut batch = RecordBatch::new();
    let mut out = Vec::new();
    while reader.read_batch(&mut batch, 1000).unwrap() {
        out.extend(batch.iter().map(|r| r.to_vec()));
    }
    out
}

/// Writes cells as intake writes CSV (formula guards added).
fn write_csv(rows: &[Vec<String>]) -> String {
    let mut out = Vec::new();
    {
        let mut w = CsvWriter::new(
            &mut out,
            &CsvWriterOptions {
                delimiter: b',',
                bom: false,
            },
        )
        .unwrap();
        for r in rows {
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
    }
    String::from_utf8(out).unwrap()
}

/// Edits a CSV file as a user would in a spreadsheet: the values seen (guards removed), changed
/// by `edit`, saved again.
fn edit_csv(text: &str, edit: impl FnOnce(&mut Vec<Vec<String>>)) -> String {
    let mut cells: Vec<Vec<String>> = parse_csv(text)
        .into_iter()
        .map(|r| {
            r.iter()
                .map(|c| intake_formats::unneutralise(c).to_string())
                .collect()
        })
        .collect();
    edit(&mut cells);
    write_csv(&cells)
}

/// Sets the cell of column `header` in data row `row` (0 = first data row).
fn set_cell(rows: &mut [Vec<String>], row: usize, header: &str, value: &str) {
    let col = rows[0]
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column `{header}` in {:?}", rows[0]));
    rows[row + 1][col] = value.to_string();
}

/// Creates accounts by name (industry Retail); their UUIDs in the same order.
fn accounts(ws: &Workspace, names: &[&str]) -> Vec<String> {
    let mut csv = String::from("Account Name,Industry,Website\n");
    for n in names {
        csv.push_str(&format!(
            "{n},Retail,https://{}.example.com\n",
            n.to_lowercase()
        ));
    }
    let before = count(ws, "account") as usize;
    import_ok(ws, "account", &csv);
    uuids(ws, "account")[before..].to_vec()
}

/// A UUID no record has.
fn random_uuid() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

// ---------------------------------------------------------------------------------------------
// Create or update
// ---------------------------------------------------------------------------------------------

fn create_or_update_by_uuid() {
    let ws = crm();
    let o = import_ok(&ws, "account", "Account Name,Industry\nAcme,Retail\n");
    assert_eq!(cuu(&o), (1, 0, 0));
    let acme = uuids(&ws, "account")[0].clone();

    let o = import_ok(
        &ws,
        "account",
        &format!("Account UUID,Account Name,Industry\n{acme},Acme,Technology\n,Globex,Energy\n"),
    );
    assert_eq!(cuu(&o), (1, 1, 0));
    assert_eq!(
        rows(&ws, "SELECT uuid, name, industry FROM account ORDER BY id"),
        vec![
            vec![acme.clone(), "Acme".into(), "TECH".into()],
            vec![
                uuids(&ws, "account")[1].clone(),
                "Globex".into(),
                "ENER".into()
            ],
        ]
    );
}

fn unknown_uuid_is_an_error_never_a_silent_create() {
    let ws = crm();
    let ghost = random_uuid();
    for mode in [OnError::Abort, OnError::Skip] {
        let o = import(
            &ws,
            "account",
            &format!("Account UUID,Account Name\n{ghost},Ghost\n,Real\n"),
            |r| r.on_error = mode,
        );
        assert_eq!(problems(&o), vec![(2, "unknown_uuid")]);
        assert!(o.report.problems[0].message.contains(&ghost));
        assert_eq!(o.counts.created, u64::from(mode == OnError::Skip));
    }
    assert_eq!(
        rows(&ws, "SELECT name FROM account"),
        vec![vec!["Real".to_string()]]
    );
    assert_eq!(
        one(
            &ws,
            &format!("SELECT COUNT(*) FROM account WHERE uuid = '{ghost}'")
        ),
        "0"
    );
}

fn match_on_natural_key() {
    let ws = crm();
    import_ok(
        &ws,
        "contact",
        "Last Name,Email,Job Title\nSmith,ann@example.com,Clerk\n",
    );
    let ann = uuids(&ws, "contact")[0].clone();
    let o = import(
        &ws,
        "contact",
        "Last Name,Email,Job Title\nSmith,ann@example.com,CEO\nJones,bob@example.com,CTO\n",
        |r| r.match_on = vec!["email".into()],
    );
    assert_eq!(problems(&o), vec![]);
    assert_eq!(cuu(&o), (1, 1, 0));
    assert_eq!(
        rows(
            &ws,
            "SELECT uuid, email, job_title FROM contact ORDER BY id"
        ),
        vec![
            vec![ann, "ann@example.com".into(), "CEO".into()],
            vec![
                uuids(&ws, "contact")[1].clone(),
                "bob@example.com".into(),
                "CTO".into()
            ],
        ]
    );
    // Accounts by name, too.
    let acme = accounts(&ws, &["Acme"])[0].clone();
    let o = import(
        &ws,
        "account",
        "Account Name,Industry\nAcme,Energy\n",
        |r| r.match_on = vec!["Account Name".into()],
    );
    assert_eq!(problems(&o), vec![]);
    assert_eq!(cuu(&o), (0, 1, 0));
    assert_eq!(
        rows(&ws, "SELECT uuid, industry FROM account"),
        vec![vec![acme, "ENER".to_string()]]
    );
}

fn match_on_email_ignores_case() {
    let ws = crm();
    import_ok(
        &ws,
        "contact",
        "Last Name,Email\nSmith,Ann.Smith@Example.com\n",
    );
    let o = import(
        &ws,
        "contact",
        "Last Name,Email,Job Title\nSmith,ANN.SMITH@EXAMPLE.COM,CEO\n",
        |r| r.match_on = vec!["email".into()],
    );
    assert_eq!(problems(&o), vec![]);
    assert_eq!((o.counts.created, o.counts.updated), (0, 1));
    assert_eq!(count(&ws, "contact"), 1);
    assert_eq!(one(&ws, "SELECT job_title FROM contact"), "CEO");
}

// ---------------------------------------------------------------------------------------------
// Modes
// ---------------------------------------------------------------------------------------------

fn mode_create_existing_key_is_already_exists() {
    let ws = crm();
    let acme = accounts(&ws, &["Acme"])[0].clone();
    let o = import(
        &ws,
        "account",
        "Account Name,Industry\nNew Co,Energy\nAcme,Energy\n",
        |r| {
            r.options.mode = Mode::Create;
            r.match_on = vec!["name".into()];
        },
    );
    assert_eq!(problems(&o), vec![(3, "already_exists")]);
    let m = &o.report.problems[0].message;
    assert!(m.contains("already exists") && m.contains(&acme), "{m}");
    assert!(!o.committed);
    assert_eq!(
        rows(&ws, "SELECT name, industry FROM account"),
        vec![vec!["Acme".to_string(), "RET".into()]]
    );
}

fn mode_update_missing_key_is_an_error() {
    let ws = crm();
    import_ok(&ws, "contact", "Last Name,Email\nSmith,ann@example.com\n");
    let ghost = random_uuid();
    // By UUID: an empty UUID cannot update, an unknown one names no record.
    let o = import(
        &ws,
        "contact",
        &format!("Contact UUID,Last Name\n,Smith\n{ghost},Jones\n"),
        |r| r.options.mode = Mode::Update,
    );
    assert_eq!(problems(&o), vec![(2, "mode_mismatch"), (3, "not_found")]);
    // By key: a key no record has.
    let o = import(
        &ws,
        "contact",
        "Email,Job Title\nann@example.com,CEO\nnobody@example.com,CTO\n",
        |r| {
            r.options.mode = Mode::Update;
            r.match_on = vec!["email".into()];
        },
    );
    assert_eq!(problems(&o), vec![(3, "not_found")]);
    assert!(o.report.problems[0].message.contains("nobody@example.com"));
    assert_eq!(count(&ws, "contact"), 1);
    assert_eq!(one(&ws, "SELECT job_title FROM contact"), "NULL");
}

fn mode_upsert_creates_and_updates() {
    let ws = crm();
    let acme = accounts(&ws, &["Acme"])[0].clone();
    let o = import_ok(
        &ws,
        "account",
        &format!("Account UUID,Account Name,Employees\n{acme},Acme,10\n,Globex,20\n"),
    );
    assert_eq!(cuu(&o), (1, 1, 0));
    assert_eq!(
        rows(&ws, "SELECT name, employees FROM account ORDER BY id"),
        vec![
            vec!["Acme".to_string(), "10".into()],
            vec!["Globex".to_string(), "20".into()]
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Empty cells
// ---------------------------------------------------------------------------------------------

fn keep_existing_when_empty_by_default() {
    let ws = crm();
    let acme = accounts(&ws, &["Acme"])[0].clone();
    let o = import_ok(
        &ws,
        "account",
        &format!("Account UUID,Account Name,Industry,Website,Employees\n{acme},Acme,,,12\n"),
    );
    assert_eq!(cuu(&o), (0, 1, 0));
    assert_eq!(
        rows(&ws, "SELECT industry, website, employees FROM account"),
        vec![vec![
            "RET".to_string(),
            "https://acme.example.com".into(),
            "12".into()
        ]]
    );
}

fn clear_empty_clears_fields() {
    let ws = crm();
    let acme = accounts(&ws, &["Acme"])[0].clone();
    let o = import(
        &ws,
        "account",
        &format!("Account UUID,Account Name,Industry,Website\n{acme},Acme,,\n"),
        |r| r.options.clear_empty = true,
    );
    assert_eq!(problems(&o), vec![]);
    assert_eq!(cuu(&o), (0, 1, 0));
    assert_eq!(
        rows(&ws, "SELECT name, industry, website FROM account"),
        vec![vec!["Acme".to_string(), "NULL".into(), "NULL".into()]]
    );
}

fn clear_token_clears_one_cell() {
    let ws = crm();
    let acme = accounts(&ws, &["Acme"])[0].clone();
    let o = import_ok(
        &ws,
        "account",
        &format!("Account UUID,Account Name,Industry,Website\n{acme},Acme,#N/A,\n"),
    );
    assert_eq!(cuu(&o), (0, 1, 0));
    assert_eq!(
        rows(&ws, "SELECT industry, website FROM account"),
        vec![vec!["NULL".to_string(), "https://acme.example.com".into()]]
    );
}

fn clearing_a_required_field_is_refused() {
    let ws = crm();
    let acme = accounts(&ws, &["Acme"])[0].clone();
    let o = import(
        &ws,
        "account",
        &format!("Account UUID,Account Name,Industry\n{acme},#N/A,Energy\n"),
        defaults,
    );
    assert_eq!(problems(&o), vec![(2, "required")]);
    assert!(o.report.problems[0].message.contains("cannot be cleared"));
    let o = import(
        &ws,
        "account",
        &format!("Account UUID,Account Name,Industry\n{acme},,Energy\n"),
        |r| r.options.clear_empty = true,
    );
    assert_eq!(problems(&o), vec![(2, "required")]);
    // Matched by key, with --clear-empty, an empty required cell is refused too.
    import_ok(&ws, "contact", "Last Name,Email\nSmith,ann@example.com\n");
    let o = import(
        &ws,
        "contact",
        "Last Name,Email,Job Title\n,ann@example.com,CEO\n",
        |r| {
            r.options.clear_empty = true;
            r.match_on = vec!["email".into()];
        },
    );
    assert_eq!(problems(&o), vec![(2, "required")]);
    assert_eq!(
        rows(&ws, "SELECT name, industry FROM account"),
        vec![vec!["Acme".to_string(), "RET".into()]]
    );
    assert_eq!(
        rows(&ws, "SELECT last_name, job_title FROM contact"),
        vec![vec!["Smith".to_string(), "NULL".into()]]
    );
}

// ---------------------------------------------------------------------------------------------
// Required fields
// ---------------------------------------------------------------------------------------------

fn required_checked_for_new_records_only() {
    let ws = crm();
    import_ok(&ws, "contact", "Last Name,Email\nSmith,ann@example.com\n");
    let ann = uuids(&ws, "contact")[0].clone();
    // An update leaves the empty required cell alone.
    let o = import_ok(
        &ws,
        "contact",
        &format!("Contact UUID,Last Name,Job Title\n{ann},,CEO\n"),
    );
    assert_eq!(cuu(&o), (0, 1, 0));
    assert_eq!(
        rows(&ws, "SELECT last_name, job_title FROM contact"),
        vec![vec!["Smith".to_string(), "CEO".into()]]
    );
    // A new record needs it.
    let o = import(
        &ws,
        "contact",
        "Contact UUID,Last Name,Job Title\n,,CTO\n",
        defaults,
    );
    assert_eq!(problems(&o), vec![(2, "required")]);
    assert_eq!(
        o.report.problems[0].column.as_ref().unwrap().header,
        "Last Name"
    );
    // So does a row matched by key that finds no record.
    let o = import(&ws, "contact", "Last Name,Email\n,bob@example.com\n", |r| {
        r.match_on = vec!["email".into()]
    });
    assert_eq!(problems(&o), vec![(2, "required")]);
    assert_eq!(count(&ws, "contact"), 1);
}

fn ignore_required_creates_new_records_with_required_empty() {
    let ws = crm();
    let o = import(&ws, "contact", "Last Name,Email\n,ann@example.com\n", |r| {
        r.options.ignore_required = true
    });
    assert_eq!(problems(&o), vec![]);
    assert_eq!(cuu(&o), (1, 0, 0));
    assert_eq!(
        rows(&ws, "SELECT last_name, email FROM contact"),
        vec![vec!["NULL".to_string(), "ann@example.com".into()]]
    );
}

fn filled_cell_always_checked_even_with_ignore_required() {
    let ws = crm();
    let o = import(
        &ws,
        "contact",
        "Last Name,Email,Birth Date\nSmith,not-an-email,\n,,31/02/1990\n",
        |r| r.options.ignore_required = true,
    );
    assert_eq!(
        problems(&o),
        vec![(2, "invalid_email"), (3, "invalid_date")]
    );
    assert_eq!(count(&ws, "contact"), 0);
}

// ---------------------------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------------------------

fn lookup_must_match_an_option() {
    let ws = crm();
    let o = import(
        &ws,
        "account",
        "Account Name,Industry\nA,Retail\nB,TECH\nC,Bakery\n",
        defaults,
    );
    assert_eq!(problems(&o), vec![(4, "unknown_option")]);
    let p = &o.report.problems[0];
    assert_eq!(p.value, "Bakery");
    assert!(p.message.contains("Bakery"), "{}", p.message);
    let o = import_ok(&ws, "account", "Account Name,Industry\nA,Retail\nB,TECH\n");
    assert_eq!(o.counts.created, 2);
    assert_eq!(
        rows(&ws, "SELECT industry FROM account ORDER BY id"),
        vec![vec!["RET".to_string()], vec!["TECH".into()]]
    );
}

fn value_mappings_map_or_create_single_values() {
    let ws = crm();
    let mapping = intake_core::mapping::ManualMapping::from_toml(
        "[values.Industry]\nShops = \"Retail\"\nBakery = { create = true }\n",
    )
    .unwrap();
    let csv = "Account Name,Industry\nA,Shops\nB,Bakery\nC,Pottery\nD, pottery \n";
    let o = import(&ws, "account", csv, |r| r.mapping = mapping.clone());
    // What no mapping names is still refused, and listed for mapping.
    assert_eq!(
        problems(&o),
        vec![(4, "unknown_option"), (5, "unknown_option")]
    );
    assert_eq!(o.counts.created, 0);
    let rt = ws.schema.record_type("account").unwrap();
    let unknown = intake_engine::unknown_values(&ws.schema, rt, &o.mapping, &o.report);
    let listed: Vec<(&str, &str, &str, u64, u64)> = unknown
        .iter()
        .flat_map(|u| {
            u.values.iter().map(|v| {
                (
                    u.column.header.as_str(),
                    u.field.as_str(),
                    v.value.as_str(),
                    v.rows,
                    v.first_row.get(),
                )
            })
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("Industry", "industry", "Pottery", 1, 4),
            ("Industry", "industry", "pottery", 1, 5)
        ]
    );

    let o = import(
        &ws,
        "account",
        "Account Name,Industry\nA,Shops\nB,Bakery\n",
        |r| r.mapping = mapping.clone(),
    );
    assert_eq!(problems(&o), vec![]);
    assert_eq!(o.counts.created, 2);
    assert_eq!(
        rows(&ws, "SELECT name, industry FROM account ORDER BY id"),
        vec![
            vec!["A".to_string(), "RET".into()],
            vec!["B".to_string(), "Bakery".into()]
        ]
    );
    assert_eq!(
        ws.store.added_options().unwrap(),
        vec![("industry".to_string(), "Bakery".to_string())]
    );
}

fn create_missing_options_adds_to_the_list() {
    let mut ws = crm();
    let o = import(
        &ws,
        "account",
        "Account Name,Industry\nA,Bakery\nB,Retail\n",
        |r| r.options.create_missing_options = true,
    );
    assert_eq!(problems(&o), vec![]);
    assert_eq!(o.counts.created, 2);
    assert_eq!(
        rows(&ws, "SELECT name, industry FROM account ORDER BY id"),
        vec![
            vec!["A".to_string(), "Bakery".into()],
            vec!["B".to_string(), "RET".into()]
        ]
    );
    assert_eq!(
        ws.store.added_options().unwrap(),
        vec![("industry".to_string(), "Bakery".to_string())]
    );
    // The added option survives: once the workspace re-reads it, it is an option like any
    // other, and the exported record imports back unchanged.
    ws.reread_added_options();
    let o = import_ok(&ws, "account", "Account Name,Industry\nC,Bakery\n");
    assert_eq!(o.counts.created, 1);
    let o = import_ok(&ws, "account", &export(&ws, "account"));
    assert_eq!(cuu(&o), (0, 0, 3));
}

// ---------------------------------------------------------------------------------------------
// All or nothing, partial
// ---------------------------------------------------------------------------------------------

fn on_error_abort_writes_nothing() {
    let ws = crm();
    let (o, response) = import_response(
        &ws,
        "account",
        "Account Name,Employees\nA,1\nB,many\nC,3\n",
        defaults,
    );
    assert_eq!(problems(&o), vec![(3, "invalid_integer")]);
    assert!(!o.committed);
    assert_eq!(
        (
            o.counts.rows,
            o.counts.failed,
            o.counts.skipped,
            o.counts.created
        ),
        (3, 1, 2, 0)
    );
    assert_eq!(count(&ws, "account"), 0);
    let record = ws.store.import(o.import_id).unwrap();
    assert_eq!(record.status.as_str(), "failed");
    // The report lists every failing row; the response file has them.
    assert_eq!(parse_csv(&response).len(), 2);
}

fn on_error_skip_writes_valid_rows_and_lists_failing_ones_in_the_response_file() {
    let ws = crm();
    let (o, response) = import_response(
        &ws,
        "account",
        "Account Name,Employees\nA,1\nB,many\nC,3\nD,-4\n",
        skip,
    );
    assert_eq!(
        problems(&o),
        vec![(3, "invalid_integer"), (5, "out_of_range")]
    );
    assert!(o.committed);
    assert_eq!((o.counts.created, o.counts.failed), (2, 2));
    assert_eq!(
        rows(&ws, "SELECT name, employees FROM account ORDER BY id"),
        vec![
            vec!["A".to_string(), "1".into()],
            vec!["C".into(), "3".into()]
        ]
    );
    let cells = parse_csv(&response);
    assert_eq!(cells.len(), 3, "{response}");
    assert_eq!(cells[0], vec!["Account Name", "Employees", "Import errors"]);
    assert_eq!(cells[1][..2], ["B", "many"]);
    assert!(cells[1][2].contains("Employees: ") && cells[1][2].contains("many"));
    assert_eq!(cells[2][..2], ["D", "-4"]);
    assert_eq!(o.response_rows, 2);
}

fn one_bad_row_in_10000() {
    let ws = crm();
    let mut csv = String::from("Account Name,Employees\n");
    for i in 1..=10_000 {
        if i == 6_543 {
            csv.push_str("Company 06543,lots\n");
        } else {
            csv.push_str(&format!("Company {i:05},{i}\n"));
        }
    }
    let o = import(&ws, "account", &csv, defaults);
    assert_eq!(problems(&o), vec![(6_544, "invalid_integer")]);
    assert!(!o.committed);
    assert_eq!(count(&ws, "account"), 0);

    let (o, response) = import_response(&ws, "account", &csv, skip);
    assert_eq!(problems(&o), vec![(6_544, "invalid_integer")]);
    assert_eq!(o.counts.created, 9_999);
    assert_eq!(count(&ws, "account"), 9_999);
    let lines: Vec<&str> = response.lines().collect();
    assert_eq!(lines.len(), 2, "{response}");
    assert_eq!(lines[0], "Account Name,Employees,Import errors");
    assert!(lines[1].starts_with("Company 06543,lots,"), "{}", lines[1]);

    let fixed = response.replacen("Company 06543,lots,", "Company 06543,6543,", 1);
    let o = import_ok(&ws, "account", &fixed);
    assert_eq!(o.counts.created, 1);
    assert_eq!(count(&ws, "account"), 10_000);
    assert_eq!(
        one(
            &ws,
            "SELECT employees FROM account WHERE name = 'Company 06543'"
        ),
        "6543"
    );
}

// ---------------------------------------------------------------------------------------------
// Uniqueness and conflicts
// ---------------------------------------------------------------------------------------------

fn unique_within_the_file() {
    let ws = crm();
    let o = import(
        &ws,
        "contact",
        "Last Name,Email\nSmith,ann@example.com\nJones,bob@example.com\nDoe,ANN@example.com\n",
        defaults,
    );
    assert_eq!(problems(&o), vec![(4, "duplicate_in_file")]);
    assert!(o.report.problems[0].message.contains("row 2"));
    assert_eq!(count(&ws, "contact"), 0);
}

fn unique_against_the_store() {
    let ws = crm();
    import_ok(&ws, "contact", "Last Name,Email\nSmith,ann@example.com\n");
    let ann = uuids(&ws, "contact")[0].clone();
    let o = import(
        &ws,
        "contact",
        "Last Name,Email\nDoe,Ann@Example.com\nJones,bob@example.com\n",
        skip,
    );
    assert_eq!(problems(&o), vec![(2, "duplicate_in_store")]);
    assert!(o.report.problems[0].message.contains(&ann));
    assert_eq!(
        rows(&ws, "SELECT last_name FROM contact ORDER BY id"),
        vec![vec!["Smith".to_string()], vec!["Jones".into()]]
    );
    // Accounts: the natural key (name) is unique too.
    accounts(&ws, &["Acme"]);
    let o = import(&ws, "account", "Account Name\nAcme\n", defaults);
    assert_eq!(problems(&o), vec![(2, "duplicate_in_store")]);
}

fn two_rows_updating_the_same_record_differently_are_both_reported() {
    let ws = crm();
    let acme = accounts(&ws, &["Acme"])[0].clone();
    let csv = format!(
        "Account UUID,Account Name,Industry\n{acme},Acme,Energy\n,Globex,Retail\n{acme},Acme,Technology\n"
    );
    for mode in [OnError::Abort, OnError::Skip] {
        let (o, response) = import_response(&ws, "account", &csv, |r| r.on_error = mode);
        assert_eq!(
            problems(&o),
            vec![(2, "conflicting_update"), (4, "conflicting_update")],
            "{mode:?}"
        );
        assert!(o.report.problems[0].message.contains("rows 2 and 4"));
        assert_eq!(o.counts.updated, 0, "{mode:?}");
        // Neither change is kept.
        assert_eq!(
            one(
                &ws,
                &format!("SELECT industry FROM account WHERE uuid = '{acme}'")
            ),
            "RET"
        );
        assert_eq!(parse_csv(&response).len(), 3, "{response}");
    }
    // The valid row of the partial import was written.
    assert_eq!(
        rows(&ws, "SELECT name FROM account ORDER BY id"),
        vec![vec!["Acme".to_string()], vec!["Globex".into()]]
    );
    // A delete and an update of one record conflict too; the delete is not kept.
    let o = import(
        &ws,
        "account",
        &format!("Account UUID,Account Name,Action\n{acme},Acme,delete\n{acme},Acme Ltd,\n"),
        skip,
    );
    assert_eq!(
        problems(&o),
        vec![(2, "conflicting_update"), (3, "conflicting_update")]
    );
    assert_eq!((o.counts.deleted, o.counts.updated), (0, 0));
    assert_eq!(
        one(
            &ws,
            &format!("SELECT name FROM account WHERE uuid = '{acme}'")
        ),
        "Acme"
    );
    // The same when the rows are far apart (the first was written before the second was
    // read), and a third row that disagrees is reported too.
    let mut csv = format!("Account UUID,Account Name,Industry,Action\n{acme},Acme,,delete\n");
    for i in 0..5_000 {
        csv.push_str(&format!(",Filler {i:04},,\n"));
    }
    csv.push_str(&format!("{acme},Acme Ltd,,\n{acme},Acme,Energy,\n"));
    let o = import(&ws, "account", &csv, skip);
    assert_eq!(
        problems(&o),
        vec![
            (2, "conflicting_update"),
            (5_003, "conflicting_update"),
            (5_004, "conflicting_update")
        ]
    );
    assert_eq!(
        (o.counts.created, o.counts.deleted, o.counts.updated),
        (5_000, 0, 0)
    );
    assert_eq!(
        rows(
            &ws,
            &format!("SELECT name, industry, created_at FROM account WHERE uuid = '{acme}'")
        ),
        vec![vec!["Acme".to_string(), "RET".into(), NOW.into()]]
    );
    assert!(
        ws.store
            .changes(&ws.schema, o.import_id, 10_000)
            .unwrap()
            .iter()
            .all(|c| c.action == "created")
    );
}

fn two_identical_rows_for_one_record_are_unchanged() {
    let ws = crm();
    let acme = accounts(&ws, &["Acme"])[0].clone();
    // The same values as stored: both rows unchanged.
    let same =
        format!("Account UUID,Account Name,Industry\n{acme},Acme,Retail\n{acme},Acme,Retail\n");
    let o = import_ok(&ws, "account", &same);
    assert_eq!(cuu(&o), (0, 0, 2));
    // The same change twice: written once, the second row has nothing more to change.
    let twice =
        format!("Account UUID,Account Name,Industry\n{acme},Acme,Energy\n{acme},Acme,Energy\n");
    let o = import_ok(&ws, "account", &twice);
    assert_eq!(cuu(&o), (0, 1, 1));
    assert_eq!(one(&ws, "SELECT industry FROM account"), "ENER");
}

// ---------------------------------------------------------------------------------------------
// Links
// ---------------------------------------------------------------------------------------------

fn link_by_uuid_links_and_unknown_link_uuid_is_an_error() {
    let ws = crm();
    let acme = accounts(&ws, &["Acme"])[0].clone();
    let before = rows(&ws, "SELECT * FROM account");
    let o = import_ok(
        &ws,
        "contact",
        &format!("Account UUID,Last Name,Email\n{acme},Smith,ann@example.com\n"),
    );
    assert_eq!(o.counts.created, 1);
    assert_eq!(one(&ws, "SELECT account FROM contact"), acme);
    // Linking never changes the linked record.
    assert_eq!(rows(&ws, "SELECT * FROM account"), before);

    let ghost = random_uuid();
    let o = import(
        &ws,
        "contact",
        &format!("Account UUID,Last Name,Email\n{ghost},Jones,bob@example.com\n"),
        defaults,
    );
    assert_eq!(problems(&o), vec![(2, "unknown_link")]);
    let p = &o.report.problems[0];
    assert_eq!(p.column.as_ref().unwrap().header, "Account UUID");
    assert!(p.message.contains(&ghost));
    assert_eq!(count(&ws, "contact"), 1);
}

// ---------------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------------

fn action_column_delete() {
    let ws = crm();
    let ids = accounts(&ws, &["Acme", "Globex"]);
    let o = import_ok(
        &ws,
        "account",
        &format!("Account UUID,Account Name,Action\n{},Acme,delete\n", ids[0]),
    );
    assert_eq!(o.counts.deleted, 1);
    assert_eq!(uuids(&ws, "account"), vec![ids[1].clone()]);
    let changes = ws.store.changes(&ws.schema, o.import_id, 10).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].action, "deleted");
    assert_eq!(changes[0].uuid.to_string(), ids[0]);
}

fn action_column_deactivate() {
    let ws = crm();
    let ids = accounts(&ws, &["Acme", "Globex"]);
    let o = import(
        &ws,
        "account",
        &format!(
            "Account UUID,Account Name,Action\n{},Acme,Deactivate\n",
            ids[0]
        ),
        |r| r.now = LATER.into(),
    );
    assert_eq!(problems(&o), vec![]);
    assert_eq!(o.counts.deactivated, 1);
    assert_eq!(
        rows(&ws, "SELECT name, deactivated_at FROM account ORDER BY id"),
        vec![
            vec!["Acme".to_string(), LATER.into()],
            vec!["Globex".into(), "NULL".into()]
        ]
    );
}

fn action_column_overrides_mode() {
    let ws = crm();
    let acme = accounts(&ws, &["Acme"])[0].clone();
    // Create mode, but this row says update.
    let o = import(
        &ws,
        "account",
        &format!(
            "Account UUID,Account Name,Industry,Action\n{acme},Acme,Energy,update\n,Globex,Retail,\n"
        ),
        |r| r.options.mode = Mode::Create,
    );
    assert_eq!(problems(&o), vec![]);
    assert_eq!(cuu(&o), (1, 1, 0));
    // Update mode, but this row says create.
    let o = import(
        &ws,
        "account",
        "Account UUID,Account Name,Action\n,Initech,create\n",
        |r| r.options.mode = Mode::Update,
    );
    assert_eq!(problems(&o), vec![]);
    assert_eq!(o.counts.created, 1);
    assert_eq!(
        rows(&ws, "SELECT name, industry FROM account ORDER BY id"),
        vec![
            vec!["Acme".to_string(), "ENER".into()],
            vec!["Globex".into(), "RET".into()],
            vec!["Initech".into(), "NULL".into()]
        ]
    );
}

fn invalid_action_is_a_problem() {
    let ws = crm();
    let acme = accounts(&ws, &["Acme"])[0].clone();
    let o = import(
        &ws,
        "account",
        &format!("Account UUID,Account Name,Action\n{acme},Acme,remove\n"),
        defaults,
    );
    assert_eq!(problems(&o), vec![(2, "invalid_action")]);
    let p = &o.report.problems[0];
    assert_eq!(p.value, "remove");
    assert!(
        p.message.contains("`remove` is not an action"),
        "{}",
        p.message
    );
    assert_eq!(count(&ws, "account"), 1);
}

// ---------------------------------------------------------------------------------------------
// F7, F11: idempotence and revert
// ---------------------------------------------------------------------------------------------

fn f7_same_file_twice_is_all_unchanged() {
    let ws = crm();
    // Matched by the natural key.
    let csv = "Account Name,Industry,Employees,Annual Revenue\nAcme,Retail,10,\"1,000.50\"\nGlobex,Energy,,\n";
    let by_name = |r: &mut ImportRequest| r.match_on = vec!["name".into()];
    let first = import(&ws, "account", csv, by_name);
    assert_eq!(problems(&first), vec![]);
    assert_eq!(cuu(&first), (2, 0, 0));
    let ids = uuids(&ws, "account");
    let second = import(&ws, "account", csv, by_name);
    assert_eq!(problems(&second), vec![]);
    assert_eq!(cuu(&second), (0, 0, 2));
    assert_eq!((second.counts.deleted, second.counts.deactivated), (0, 0));
    assert_eq!(uuids(&ws, "account"), ids);
    let changes = ws.store.changes(&ws.schema, first.import_id, 100).unwrap();
    assert_eq!(changes.len(), 2);
    assert!(changes.iter().all(|c| c.action == "created"));
    assert_eq!(
        ws.store.changes(&ws.schema, second.import_id, 100).unwrap(),
        vec![]
    );
    // With UUIDs (an export, or the success file): the same.
    let file = export(&ws, "account");
    for _ in 0..2 {
        let o = import_ok(&ws, "account", &file);
        assert_eq!(cuu(&o), (0, 0, 2));
        assert_eq!(
            ws.store.changes(&ws.schema, o.import_id, 100).unwrap(),
            vec![]
        );
    }
    // Without UUIDs or a key to match on, every row creates: run again, the file is refused
    // (the names are taken), never imported twice.
    let o = import(&ws, "account", csv, defaults);
    assert_eq!(
        problems(&o),
        vec![(2, "duplicate_in_store"), (3, "duplicate_in_store")]
    );
    assert!(!o.committed);
    assert_eq!(uuids(&ws, "account"), ids);
}

fn f11_revert_after_later_import_touched_records_is_refused() {
    let ws = crm();
    let first = import_ok(
        &ws,
        "account",
        "Account Name,Industry\nAcme,Retail\nGlobex,Retail\n",
    );
    let ids = uuids(&ws, "account");
    let second = import_ok(
        &ws,
        "account",
        &format!(
            "Account UUID,Account Name,Industry\n{},Acme,Energy\n",
            ids[0]
        ),
    );
    let before = rows(&ws, "SELECT * FROM account ORDER BY id");
    let err = ws
        .store
        .revert(&ws.schema, first.import_id, LATER)
        .unwrap_err();
    match &err {
        StoreError::RevertConflict { import, conflicts } => {
            assert_eq!(*import, first.import_id);
            assert_eq!(conflicts.len(), 1);
            assert_eq!(conflicts[0].uuid.to_string(), ids[0]);
            assert_eq!(conflicts[0].by_import, second.import_id);
            assert_eq!(conflicts[0].record_type, "account");
        }
        other => panic!("expected a revert conflict, got {other:?}"),
    }
    // Nothing changed, and the import still stands.
    assert_eq!(rows(&ws, "SELECT * FROM account ORDER BY id"), before);
    assert_eq!(
        ws.store.import(first.import_id).unwrap().status.as_str(),
        "completed"
    );
    // Once the later import is reverted, the first can be.
    ws.store
        .revert(&ws.schema, second.import_id, LATER)
        .unwrap();
    ws.store.revert(&ws.schema, first.import_id, LATER).unwrap();
    assert_eq!(count(&ws, "account"), 0);
}

fn revert_restores_updated_and_deleted_and_removes_created() {
    let ws = crm();
    import_ok(
        &ws,
        "account",
        "Account Name,Industry,Employees\nAcme,Retail,10\nGlobex,Retail,20\nInitech,Retail,30\n",
    );
    let ids = uuids(&ws, "account");
    let o = import(
        &ws,
        "account",
        &format!(
            "Account UUID,Account Name,Industry,Employees,Action\n{},Acme,Energy,,\n{},Globex,,,delete\n{},Initech,,,deactivate\n,Hooli,Technology,40,\n",
            ids[0], ids[1], ids[2]
        ),
        |r| r.now = LATER.into(),
    );
    assert_eq!(problems(&o), vec![]);
    assert_eq!(
        (
            o.counts.created,
            o.counts.updated,
            o.counts.deleted,
            o.counts.deactivated
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(count(&ws, "account"), 3);
    let counts = ws.store.revert(&ws.schema, o.import_id, LATER).unwrap();
    assert_eq!(
        (
            counts.removed,
            counts.restored,
            counts.undeleted,
            counts.reactivated
        ),
        (1, 1, 1, 1)
    );
    // Every record is back as it was, the deleted one with its UUID and creation time.
    let cols = "uuid, created_at, updated_at, created_by_import, updated_by_import, deactivated_at, name, industry, employees";
    let sql = format!("SELECT {cols} FROM account ORDER BY created_by_import, name");
    assert_eq!(
        rows(&ws, &sql),
        vec![
            vec![
                ids[0].clone(),
                NOW.into(),
                NOW.into(),
                "1".into(),
                "1".into(),
                "NULL".into(),
                "Acme".into(),
                "RET".into(),
                "10".into()
            ],
            vec![
                ids[1].clone(),
                NOW.into(),
                NOW.into(),
                "1".into(),
                "1".into(),
                "NULL".into(),
                "Globex".into(),
                "RET".into(),
                "20".into()
            ],
            vec![
                ids[2].clone(),
                NOW.into(),
                NOW.into(),
                "1".into(),
                "1".into(),
                "NULL".into(),
                "Initech".into(),
                "RET".into(),
                "30".into()
            ],
        ]
    );
    assert_eq!(
        ws.store.import(o.import_id).unwrap().status.as_str(),
        "reverted"
    );
}

// ---------------------------------------------------------------------------------------------
// R1-R4: round trips and files intake writes
// ---------------------------------------------------------------------------------------------

fn r1_formula_triggers_are_neutralised_and_restored() {
    let ws = crm();
    let values = [
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "+1",
        "-2+3",
        "@SUM(1)",
        "\tindented",
        "\rreturn",
        "'=x",
    ];
    // The file a user uploads: a literal `'=x` is written `''=x`, as intake writes it.
    let mut cells = vec![vec![
        "Account Name".to_string(),
        "Account Description".into(),
    ]];
    for (i, v) in values.iter().enumerate() {
        cells.push(vec![format!("Account {i}"), (*v).to_string()]);
    }
    import_ok(&ws, "account", &write_csv(&cells));
    assert_eq!(
        rows(&ws, "SELECT description FROM account ORDER BY id"),
        values
            .iter()
            .map(|v| vec![(*v).to_string()])
            .collect::<Vec<_>>()
    );
    let exported = export(&ws, "account");
    let written = parse_csv(&exported);
    let col = written[0]
        .iter()
        .position(|h| h == "Account Description")
        .unwrap();
    for (row, v) in written[1..].iter().zip(values) {
        assert_eq!(row[col], format!("'{v}"), "{exported}");
    }
    let o = import_ok(&ws, "account", &exported);
    assert_eq!(cuu(&o), (0, 0, values.len() as u64));
    assert_eq!(
        rows(&ws, "SELECT description FROM account ORDER BY id"),
        values
            .iter()
            .map(|v| vec![(*v).to_string()])
            .collect::<Vec<_>>()
    );
}

/// Accounts, contacts, opportunities and interactions with every kind of field filled.
fn crm_records(ws: &Workspace) {
    import_ok(
        ws,
        "account",
        "Account Name,Account Type,Industry,Customer Tier,Country,Website,Account Phone,Annual Revenue,Employees,Account Description\n\
         Northwind,Customer,Manufacturing,gold,Germany,https://www.northwind.example.com,+49 30 901820,\"12,500,000.00\",240,\"Family-owned, \"\"since 1921\"\"\nSecond line\"\n\
         Globex,prospect,TECH,Silver,US,http://globex.example.com/about,020 7946 0958,0.5,0,+ plus sign\n\
         Initech,,,,,,,,,\n",
    );
    let northwind = uuids(ws, "account")[0].clone();
    import_ok(
        ws,
        "account",
        &format!("Parent Account UUID,Account Name,Industry\n{northwind},Northwind UK,Retail\n"),
    );
    import_ok(
        ws,
        "contact",
        &format!(
            "Account UUID,Salutation,First Name,Last Name,Job Title,Email,Phone,Mobile,Roles,Birth Date,Newsletter Subscriber\n\
             {northwind},Dr,Amélie,Durand,Head of Purchasing,amelie.durand@northwind.example.com,+33 1 42 68 53 00,07911 123456,Administrator/Europe/France,14/02/1985,yes\n\
             ,,,Nakamura,,Ken@Example.COM,,,sales,1999-12-31,0\n\
             {northwind},Mr,José,O'Neil,=CEO,,,,,01/03/2024,FALSE\n"
        ),
    );
    let amelie = uuids(ws, "contact")[0].clone();
    import_ok(
        ws,
        "opportunity",
        &format!(
            "Primary Contact UUID,Account UUID,Opportunity Name,Opportunity Status,Products Area,Closed Date,Amount,Currency,Quantity,Probability (%)\n\
             {amelie},{northwind},Northwind scanners,Negotiation,Hardware; Support Contracts,30/06/2025,\"128,400.50\",EUR,\"1,200\",60\n\
             ,,Small deal,open,SW;HW;CLOUD,2025-01-15,10,usd,1,0\n"
        ),
    );
    import_ok(
        ws,
        "interaction",
        &format!(
            "Contact UUID,Channel,Subject,Notes,Occurred At,Duration (minutes)\n\
             {amelie},Meeting,Demo,\"Line one\nLine two\",14/03/2025 09:30,45\n\
             {amelie},call,Follow-up,,2025-03-15T10:00:00+02:00,5\n"
        ),
    );
}

fn r2_export_then_reimport_changes_nothing() {
    let ws = crm();
    crm_records(&ws);
    // Values stored in their one form.
    assert_eq!(
        rows(
            &ws,
            "SELECT account_type, industry, customer_tier, country, phone, annual_revenue, employees FROM account WHERE name = 'Northwind'"
        ),
        vec![vec![
            "customer".to_string(),
            "MANU".into(),
            "gold".into(),
            "DE".into(),
            "+4930901820".into(),
            "12500000.00".into(),
            "240".into()
        ]]
    );
    assert_eq!(
        rows(
            &ws,
            "SELECT birth_date, subscribed, mobile FROM contact ORDER BY id"
        ),
        vec![
            vec!["1985-02-14".to_string(), "1".into(), "+447911123456".into()],
            vec!["1999-12-31".into(), "0".into(), "NULL".into()],
            vec!["2024-03-01".into(), "0".into(), "NULL".into()],
        ]
    );
    assert_eq!(
        rows(
            &ws,
            "SELECT products_area, closed_date, amount, currency, quantity FROM opportunity ORDER BY id"
        ),
        vec![
            vec![
                "HW;SUPPORT".to_string(),
                "2025-06-30".into(),
                "128400.50".into(),
                "EUR".into(),
                "1200".into()
            ],
            vec![
                "HW;SW;CLOUD".into(),
                "2025-01-15".into(),
                "10.00".into(),
                "USD".into(),
                "1".into()
            ],
        ]
    );
    assert_eq!(
        rows(&ws, "SELECT occurred_at FROM interaction ORDER BY id"),
        vec![
            vec!["2025-03-14T09:30:00Z".to_string()],
            vec!["2025-03-15T08:00:00Z".into()]
        ]
    );
    for t in ["account", "contact", "opportunity", "interaction"] {
        let before = rows(&ws, &format!("SELECT * FROM {t} ORDER BY id"));
        let n = before.len() as u64;
        let o = import(&ws, t, &export(&ws, t), defaults);
        assert_eq!(problems(&o), vec![], "{t}: {:#?}", o.report.problems);
        assert_eq!(cuu(&o), (0, 0, n), "{t}");
        assert_eq!(
            rows(&ws, &format!("SELECT * FROM {t} ORDER BY id")),
            before,
            "{t}"
        );
    }
}

fn r2_every_demo_type_round_trips_from_its_examples() {
    for name in ["crm", "msp", "ticketing", "rollout"] {
        let ws = Workspace::new(demo::demo(name).unwrap().schema().unwrap());
        for rt in &ws.schema.types {
            // One record from the examples the schema gives; links left empty.
            let fields = intake_core::describe::template_fields(rt);
            if fields.iter().any(|f| {
                f.required && matches!(f.field_type, intake_core::schema::FieldType::Link(_))
            }) {
                continue;
            }
            let header: Vec<String> = fields.iter().map(|f| f.label.clone()).collect();
            let row: Vec<String> = fields
                .iter()
                .map(|f| match f.field_type {
                    intake_core::schema::FieldType::Link(_) => String::new(),
                    _ => f.example.clone().unwrap_or_default(),
                })
                .collect();
            let csv = write_csv(&[header, row]);
            let o = import(&ws, &rt.name, &csv, |r| r.csv.delimiter = Some(b','));
            assert_eq!(
                problems(&o),
                vec![],
                "{name}.{}: {:#?}",
                rt.name,
                o.report.problems
            );
            let before = rows(&ws, &format!("SELECT * FROM \"{}\"", rt.name));
            let o = import(&ws, &rt.name, &export(&ws, &rt.name), defaults);
            assert_eq!(
                problems(&o),
                vec![],
                "{name}.{}: {:#?}",
                rt.name,
                o.report.problems
            );
            assert_eq!(cuu(&o), (0, 0, 1), "{name}.{}", rt.name);
            assert_eq!(
                rows(&ws, &format!("SELECT * FROM \"{}\"", rt.name)),
                before,
                "{name}.{}",
                rt.name
            );
        }
    }
}

mod r2_property {
    use super::*;
    use proptest::prelude::*;

    const SCHEMA: &str = r##"
[workspace]
name = "all"

[locale]
delimiter = ","
decimal_separator = "."
thousands_separator = ","
date_format = "DD/MM/YYYY"
datetime_format = "DD/MM/YYYY hh:mm"
phone_region = "GB"
clear_token = "#N/A"

[lists.colour]
options = [
    { code = "R", label = "Red" },
    { code = "G", label = "Green" },
    { code = "B", label = "Blue" },
]

[lists.tag]
options = [
    { code = "a", label = "Alpha" },
    { code = "b", label = "Beta" },
    { code = "c", label = "Gamma" },
]

[types.thing]
label = "Thing"

[[types.thing.fields]]
name = "text"
label = "Text"
type = "text"

[[types.thing.fields]]
name = "integer"
label = "Integer"
type = "integer"

[[types.thing.fields]]
name = "decimal"
label = "Decimal"
type = "decimal"
scale = 2

[[types.thing.fields]]
name = "date"
label = "Date"
type = "date"

[[types.thing.fields]]
name = "datetime"
label = "Datetime"
type = "datetime"

[[types.thing.fields]]
name = "boolean"
label = "Boolean"
type = "boolean"

[[types.thing.fields]]
name = "email"
label = "Email"
type = "email"

[[types.thing.fields]]
name = "phone"
label = "Phone"
type = "phone"

[[types.thing.fields]]
name = "url"
label = "Url"
type = "url"

[[types.thing.fields]]
name = "country"
label = "Country"
type = "country"

[[types.thing.fields]]
name = "currency"
label = "Currency"
type = "currency"

[[types.thing.fields]]
name = "colour"
label = "Colour"
type = "select"
list = "colour"

[[types.thing.fields]]
name = "tags"
label = "Tags"
type = "multiselect"
list = "tag"
separator = ";"

[[types.thing.fields]]
name = "ref"
label = "Ref"
type = "uuid"
"##;

    const HEADER: [&str; 14] = [
        "Text", "Integer", "Decimal", "Date", "Datetime", "Boolean", "Email", "Phone", "Url",
        "Country", "Currency", "Colour", "Tags", "Ref",
    ];

    fn maybe(s: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
        prop_oneof![1 => Just(String::new()), 4 => s]
    }

    fn cells() -> impl Strategy<Value = Vec<String>> {
        let text = prop_oneof![
            "[ -~]{0,12}",
            "[=+@'-][ -~]{0,8}",
            "[a-zé \t]{1,6}\n[a-z,\"]{0,6}",
            "\\PC{0,10}",
        ];
        let integer = any::<i64>().prop_map(|i| i.to_string());
        let decimal = (-99_999_999i64..99_999_999).prop_map(|c| {
            let sign = if c < 0 { "-" } else { "" };
            format!("{sign}{}.{:02}", c.abs() / 100, c.abs() % 100)
        });
        let date = (1900i32..2100, 1u32..13, 1u32..29).prop_map(|(y, m, d)| {
            if d % 2 == 0 {
                format!("{d:02}/{m:02}/{y}")
            } else {
                format!("{y}-{m:02}-{d:02}")
            }
        });
        let datetime = (1970i32..2100, 1u32..13, 1u32..29, 0u32..24, 0u32..60).prop_map(
            |(y, mo, d, h, mi)| {
                if h % 2 == 0 {
                    format!("{d:02}/{mo:02}/{y} {h:02}:{mi:02}")
                } else {
                    format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:00+01:00")
                }
            },
        );
        let boolean =
            prop::sample::select(vec!["yes", "No", "TRUE", "f", "1", "0"]).prop_map(str::to_string);
        let email = "[a-zA-Z][a-z0-9]{0,3}(\\.[a-z0-9]{1,3})?@[a-z]{1,8}\\.(com|org|example)";
        let phone = (0u32..10_000).prop_map(|n| format!("+44 20 7946 {n:04}"));
        let url = "https?://[a-zA-Z]{1,8}\\.example\\.com(/[a-zA-Z0-9]{0,5})?(\\?q=[a-z ]{0,3})?";
        let country =
            prop::sample::select(vec!["DE", "fr", "GB", "US", "jp"]).prop_map(str::to_string);
        let currency =
            prop::sample::select(vec!["EUR", "usd", "GBP", "JPY"]).prop_map(str::to_string);
        let colour = prop::sample::select(vec!["Red", "G", "Blue", "B"]).prop_map(str::to_string);
        let tags = prop::sample::subsequence(vec!["Alpha", "b", "Gamma"], 1..=3)
            .prop_shuffle()
            .prop_map(|v| v.join("; "));
        let uuid = any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).hyphenated().to_string());
        (
            (
                maybe(text),
                maybe(integer),
                maybe(decimal),
                maybe(date),
                maybe(datetime),
                maybe(boolean),
                maybe(email),
            ),
            (
                maybe(phone),
                maybe(url),
                maybe(country),
                maybe(currency),
                maybe(colour),
                maybe(tags),
                maybe(uuid),
            ),
        )
            .prop_map(|((a, b, c, d, e, f, g), (h, i, j, k, l, m, n))| {
                vec![a, b, c, d, e, f, g, h, i, j, k, l, m, n]
            })
    }

    /// Every generated file imports, exports and re-imports unchanged; `cases` files.
    fn round_trips(cases: u32) {
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases,
            ..ProptestConfig::default()
        });
        let files = prop::collection::vec(cells(), 1..5);
        let result = runner.run(&files, |records| {
            let ws = Workspace::new(Schema::from_toml("all.toml", SCHEMA).unwrap());
            let mut file = vec![HEADER.iter().map(|h| (*h).to_string()).collect::<Vec<_>>()];
            file.extend(records.iter().cloned());
            let o = import(&ws, "thing", &write_csv(&file), defaults);
            prop_assert_eq!(problems(&o), vec![], "{:#?}", o.report.problems);
            let before = rows(&ws, "SELECT * FROM thing ORDER BY id");
            let exported = export(&ws, "thing");
            let o = import(&ws, "thing", &exported, defaults);
            prop_assert_eq!(
                problems(&o),
                vec![],
                "{}\n{:#?}",
                exported,
                o.report.problems
            );
            prop_assert_eq!(cuu(&o), (0, 0, records.len() as u64), "{}", exported);
            prop_assert_eq!(rows(&ws, "SELECT * FROM thing ORDER BY id"), before);
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    }

    #[test]
    fn r2_generated_values_of_every_field_type_round_trip_sqlite() {
        on_backend(Backend::Sqlite, "r2_generated", || round_trips(16));
    }

    /// Fewer files than on SQLite: each one is a schema created and migrated.
    #[test]
    fn r2_generated_values_of_every_field_type_round_trip_postgres() {
        on_backend(
            Backend::Postgres,
            "r2_generated_values_of_every_field_type_round_trip_postgres",
            || round_trips(8),
        );
    }
}

fn r3_update_sheet_conflict_unless_force() {
    let ws = crm();
    let ids = accounts(&ws, &["Acme", "Globex"]);
    let sheet = export_req(
        &ws,
        &ExportRequest {
            record_type: "account".into(),
            update_sheet: vec!["industry".into()],
            ..ExportRequest::default()
        },
    );
    let cells = parse_csv(&sheet);
    assert!(cells[0].contains(&"[old] Industry".to_string()));
    assert!(cells[0].contains(&"[new] Industry".to_string()));
    // Someone changes Acme after the export.
    import_ok(
        &ws,
        "account",
        &format!(
            "Account UUID,Account Name,Industry\n{},Acme,Energy\n",
            ids[0]
        ),
    );
    // The sheet sets both to Technology.
    let edited = edit_csv(&sheet, |rows| {
        set_cell(rows, 0, "[new] Industry", "Technology");
        set_cell(rows, 1, "[new] Industry", "Technology");
    });
    // All or nothing: the conflict stops the import.
    let o = import(&ws, "account", &edited, defaults);
    assert_eq!(problems(&o), vec![(2, "changed_since_export")]);
    assert!(!o.committed);
    // Partial: the row whose record did not change proceeds.
    let (o, response) = import_response(&ws, "account", &edited, skip);
    assert_eq!(problems(&o), vec![(2, "changed_since_export")]);
    let m = &o.report.problems[0].message;
    assert!(m.contains("`RET`") && m.contains("`ENER`"), "{m}");
    assert_eq!(o.counts.updated, 1);
    assert_eq!(
        rows(&ws, "SELECT name, industry FROM account ORDER BY id"),
        vec![
            vec!["Acme".to_string(), "ENER".into()],
            vec!["Globex".into(), "TECH".into()]
        ]
    );
    assert_eq!(parse_csv(&response).len(), 2);
    // With force, it is written.
    let o = import(&ws, "account", &edited, |r| r.force = true);
    assert_eq!(problems(&o), vec![]);
    assert_eq!(cuu(&o), (0, 1, 1));
    assert_eq!(
        rows(&ws, "SELECT name, industry FROM account ORDER BY id"),
        vec![
            vec!["Acme".to_string(), "TECH".into()],
            vec!["Globex".into(), "TECH".into()]
        ]
    );
}

fn r4_response_file_keeps_user_layout_and_text() {
    let ws = crm();
    let de = Locale::preset("de-DE").unwrap();
    // The user's layout: their own column order, an extra column intake ignores, dates and
    // numbers as a German spreadsheet writes them, and formula-looking text.
    let file = "Notiz;Account Name;Annual Revenue;Employees;Account Description\n\
                erste;Acme;1.234,50;12;=SUM(1)\n\
                zweite;Globex;1.234,567;7;'=HYPERLINK(\"x\")\n\
                dritte;Initech;99,5;viele;+49 30 1234\n";
    let (o, response) = import_response(&ws, "account", file, |r| {
        r.options = ValidateOptions::new(de.clone());
        r.on_error = OnError::Skip;
    });
    assert_eq!(
        problems(&o),
        vec![(3, "too_many_decimals"), (4, "invalid_integer")]
    );
    assert_eq!(o.counts.created, 1);
    assert_eq!(
        rows(
            &ws,
            "SELECT annual_revenue, employees, description FROM account"
        ),
        vec![vec!["1234.50".to_string(), "12".into(), "=SUM(1)".into()]]
    );
    // The user's columns and text, the errors added, formulas guarded.
    let lines: Vec<&str> = response.lines().collect();
    assert_eq!(lines.len(), 3, "{response}");
    assert_eq!(
        lines[0],
        "Notiz;Account Name;Annual Revenue;Employees;Account Description;Import errors"
    );
    assert!(
        lines[1].starts_with("zweite;Globex;1.234,567;7;\"'=HYPERLINK(\"\"x\"\")\";"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("dritte;Initech;99,5;viele;'+49 30 1234;"),
        "{}",
        lines[2]
    );
    let cells = parse_csv_with(&response, b';');
    assert_eq!(
        cells[1][5],
        "Annual Revenue: `1.234,567` has 3 decimal places; this field keeps at most 2 places and intake does not round"
    );
    assert!(
        cells[2][5].starts_with("Employees: `viele`"),
        "{}",
        cells[2][5]
    );
    for cell in cells.iter().flatten() {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{cell}"
        );
    }
    // Re-uploadable: fixed in place, the response file imports the remaining rows with the
    // values the user meant.
    let fixed = response
        .replacen("1.234,567", "1.234,56", 1)
        .replacen(";viele;", ";9;", 1);
    let (o, _) = import_response(&ws, "account", &fixed, |r| {
        r.options = ValidateOptions::new(de);
    });
    assert_eq!(problems(&o), vec![]);
    assert_eq!(o.counts.created, 2);
    assert_eq!(
        rows(
            &ws,
            "SELECT name, annual_revenue, employees, description FROM account ORDER BY id"
        ),
        vec![
            vec![
                "Acme".to_string(),
                "1234.50".into(),
                "12".into(),
                "=SUM(1)".into()
            ],
            vec![
                "Globex".into(),
                "1234.56".into(),
                "7".into(),
                "=HYPERLINK(\"x\")".into()
            ],
            vec![
                "Initech".into(),
                "99.50".into(),
                "9".into(),
                "+49 30 1234".into()
            ],
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// All or nothing under failure
// ---------------------------------------------------------------------------------------------

fn fail_at(point: FailPoint) {
    let ws = crm();
    import_ok(&ws, "account", "Account Name\nPrior\n");
    let before = rows(&ws, "SELECT * FROM account");
    let imports_before = ws.store.imports().unwrap().len();
    let mut csv = String::from("Account Name,Employees\n");
    for i in 0..50 {
        csv.push_str(&format!("Company {i},{i}\n"));
    }
    let err = try_import(&ws, "account", &csv, |r| {
        r.fail_at = Some((point, FailMode::Error));
    })
    .unwrap_err();
    assert!(
        matches!(err, ImportError::Injected(p) if p == point),
        "{err:?}"
    );
    // None of the rows; the prior import intact.
    assert_eq!(rows(&ws, "SELECT * FROM account"), before);
    assert_eq!(ws.store.imports().unwrap().len(), imports_before);
    // The store is usable afterwards.
    let o = import_ok(&ws, "account", &csv);
    assert_eq!(o.counts.created, 50);
    assert_eq!(count(&ws, "account"), 51);
}

fn aon_fail_before_first_write() {
    fail_at(FailPoint::BeforeFirstWrite);
}

fn aon_fail_mid_batch() {
    fail_at(FailPoint::MidBatch);
}

fn aon_fail_before_commit() {
    fail_at(FailPoint::BeforeCommit);
}

on_both_backends!(
    create_or_update_by_uuid,
    unknown_uuid_is_an_error_never_a_silent_create,
    match_on_natural_key,
    match_on_email_ignores_case,
    mode_create_existing_key_is_already_exists,
    mode_update_missing_key_is_an_error,
    mode_upsert_creates_and_updates,
    keep_existing_when_empty_by_default,
    clear_empty_clears_fields,
    clear_token_clears_one_cell,
    clearing_a_required_field_is_refused,
    required_checked_for_new_records_only,
    ignore_required_creates_new_records_with_required_empty,
    filled_cell_always_checked_even_with_ignore_required,
    lookup_must_match_an_option,
    value_mappings_map_or_create_single_values,
    create_missing_options_adds_to_the_list,
    on_error_abort_writes_nothing,
    on_error_skip_writes_valid_rows_and_lists_failing_ones_in_the_response_file,
    one_bad_row_in_10000,
    unique_within_the_file,
    unique_against_the_store,
    two_rows_updating_the_same_record_differently_are_both_reported,
    two_identical_rows_for_one_record_are_unchanged,
    link_by_uuid_links_and_unknown_link_uuid_is_an_error,
    action_column_delete,
    action_column_deactivate,
    action_column_overrides_mode,
    invalid_action_is_a_problem,
    f7_same_file_twice_is_all_unchanged,
    f11_revert_after_later_import_touched_records_is_refused,
    revert_restores_updated_and_deleted_and_removes_created,
    r1_formula_triggers_are_neutralised_and_restored,
    r2_export_then_reimport_changes_nothing,
    r2_every_demo_type_round_trips_from_its_examples,
    r3_update_sheet_conflict_unless_force,
    r4_response_file_keeps_user_layout_and_text,
    aon_fail_before_first_write,
    aon_fail_mid_batch,
    aon_fail_before_commit,
);

// ---------------------------------------------------------------------------------------------
// F4: a unique value taken by another writer while the import runs (PostgreSQL: SQLite has
// one writer at a time)
// ---------------------------------------------------------------------------------------------

/// Commits a contact with a given e-mail through another connection when the first batch
/// has been looked up, before the import writes it.
struct TakeWhileImporting {
    other: std::sync::Mutex<Option<postgres::Client>>,
    sql: String,
}

impl intake_engine::Progress for TakeWhileImporting {
    fn on_batch_done(&self, _rows: u64, _bytes: Option<u64>) {
        if let Some(mut c) = self.other.lock().unwrap().take() {
            c.batch_execute(&self.sql).unwrap();
        }
    }
}

/// Imports `csv` into contacts while another writer takes `Taken@example.com`; the outcome
/// and the response and success files.
fn import_while_taken(
    ws: &Workspace,
    csv: &str,
    on_error: OnError,
) -> Result<(ImportOutcome, String, String), ImportError> {
    let Db::Postgres { db, schema } = &ws.db else {
        panic!("F4 needs another writer: PostgreSQL only")
    };
    let progress = TakeWhileImporting {
        other: std::sync::Mutex::new(Some(db.connect())),
        sql: format!(
            "INSERT INTO \"{schema}\".contact (uuid, created_at, updated_at, last_name, email)
             VALUES (gen_random_uuid(), now(), now(), 'Other', 'Taken@example.com')"
        ),
    };
    let mut req = request(ws, "contact");
    req.on_error = on_error;
    // One worker: the first batch is looked up before the other writer commits.
    req.threads = 1;
    let input = intake_engine::BytesInput {
        name: "contacts.csv".into(),
        bytes: csv.as_bytes().to_vec(),
    };
    let (mut response, mut success) = (Vec::new(), Vec::new());
    let outcome = intake_engine::import(
        &ws.schema,
        ws.store.as_ref(),
        &input,
        &req,
        intake_engine::Outputs {
            response: Some(intake_engine::OutputFile::Csv(&mut response)),
            success: Some(intake_engine::OutputFile::Csv(&mut success)),
        },
        &progress,
    )?;
    let text = |b: Vec<u8>| {
        String::from_utf8(b)
            .unwrap()
            .trim_start_matches('\u{feff}')
            .to_string()
    };
    Ok((outcome, text(response), text(success)))
}

const F4_CSV: &str =
    "Last Name,Email\nSmith,ann@example.com\nJones,taken@example.com\nBrown,cat@example.com\n";

/// F4's file and as many more rows again: three batches, the clash in the first.
fn f4_long_csv() -> String {
    let mut csv = F4_CSV.to_string();
    for i in 0..5000 {
        csv.push_str(&format!("P{i},p{i}@example.com\n"));
    }
    csv
}

fn f4_partial() {
    let ws = crm();
    let (o, response, success) = import_while_taken(&ws, &f4_long_csv(), OnError::Skip).unwrap();
    assert!(o.committed);
    assert_eq!(problems(&o), vec![(3, "write_failed")]);
    let p = &o.report.problems[0];
    assert_eq!(p.column.as_ref().map(|c| c.header.as_str()), Some("Email"));
    assert_eq!(p.value, "taken@example.com");
    assert_eq!(
        p.message,
        "another record took this value while the import ran; import the row again"
    );
    assert_eq!(cuu(&o), (5002, 0, 0));
    assert_eq!((o.counts.rows, o.counts.failed), (5003, 1));
    let response = parse_csv(&response);
    assert_eq!(response.len(), 2, "{response:?}");
    assert_eq!(response[1][..2], ["Jones", "taken@example.com"]);
    assert!(
        response[1][2].contains("another record took this value"),
        "{:?}",
        response[1]
    );
    let success = parse_csv(&success);
    let written: Vec<&str> = success[1..4].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(
        written,
        ["ann@example.com", "cat@example.com", "p0@example.com"]
    );
    assert_eq!(success.len(), 1 + 5002);
    assert_eq!(
        column(&ws, "SELECT last_name FROM contact ORDER BY id LIMIT 4"),
        vec!["Other", "Smith", "Brown", "P0"]
    );
    assert_eq!(count(&ws, "contact"), 5003);
    assert_eq!(
        one(
            &ws,
            "SELECT COUNT(*) FROM contact WHERE lower(email) = 'taken@example.com'"
        ),
        "1"
    );
    let i = ws.store.import(o.import_id).unwrap();
    assert_eq!((i.counts.created, i.counts.failed), (5002, 1));
}

fn f4_all_or_nothing() {
    let ws = crm();
    let err = import_while_taken(&ws, F4_CSV, OnError::Abort).unwrap_err();
    match err {
        ImportError::Store(StoreError::Conflict(m)) => {
            assert!(m.contains("taken@example.com"), "{m}")
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        column(&ws, "SELECT last_name FROM contact"),
        vec!["Other"],
        "only the other writer's record"
    );
}

#[test]
fn f4_unique_value_taken_while_a_partial_import_runs_postgres() {
    on_backend(
        Backend::Postgres,
        "f4_unique_value_taken_while_a_partial_import_runs_postgres",
        f4_partial,
    );
}

#[test]
fn f4_unique_value_taken_while_an_all_or_nothing_import_runs_postgres() {
    on_backend(
        Backend::Postgres,
        "f4_unique_value_taken_while_an_all_or_nothing_import_runs_postgres",
        f4_all_or_nothing,
    );
}
