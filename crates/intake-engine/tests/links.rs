//! Link rules of DESIGN §5 on the demo workspaces: links by UUID and by a natural key of the
//! target, resolved against the store in batches. One test per rule, named after it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use intake_core::demo;
use intake_core::mapping::ManualMapping;
use intake_core::schema::Schema;
use intake_core::validate::ValidateOptions;
use intake_engine::{
    BytesInput, ImportOutcome, ImportRequest, NoProgress, OnError, Outputs, import as run_import,
};
use intake_formats::CsvOptions;
use intake_sqlite::SqliteStore;
use intake_store::Store;
use tempfile::TempDir;

struct Workspace {
    _dir: TempDir,
    db: std::path::PathBuf,
    schema: Schema,
    store: SqliteStore,
}

fn workspace(name: &str) -> Workspace {
    let schema = demo::demo(name).unwrap().schema().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("intake.db");
    let store = SqliteStore::open(&db).unwrap();
    store.migrate(&schema).unwrap();
    Workspace {
        _dir: dir,
        db,
        schema,
        store,
    }
}

fn import_with(
    ws: &Workspace,
    record_type: &str,
    csv: &str,
    opts: impl FnOnce(&mut ImportRequest),
) -> (ImportOutcome, String) {
    let mut req = ImportRequest {
        record_type: record_type.into(),
        options: ValidateOptions::new(ws.schema.locale.clone()),
        csv: CsvOptions::default(),
        mapping: ManualMapping::default(),
        threads: 2,
        on_error: OnError::Abort,
        match_on: vec![],
        force: false,
        now: "2026-01-01T00:00:00Z".into(),
        fail_at: None,
        dry_run: false,
    };
    opts(&mut req);
    let input = BytesInput {
        name: format!("{record_type}.csv"),
        bytes: csv.as_bytes().to_vec(),
    };
    let mut response = Vec::new();
    let outcome = run_import(
        &ws.schema,
        &ws.store,
        &input,
        &req,
        Outputs {
            response: Some(&mut response),
            success: None,
        },
        &NoProgress,
    )
    .unwrap();
    let text = String::from_utf8(response).unwrap();
    (outcome, text.trim_start_matches('\u{feff}').to_string())
}

fn import_ok(ws: &Workspace, record_type: &str, csv: &str) -> ImportOutcome {
    let (o, _) = import_with(ws, record_type, csv, |_| {});
    assert_eq!(messages(&o), Vec::<String>::new());
    assert!(o.committed);
    o
}

/// Every problem as `row: message [code]`.
fn messages(o: &ImportOutcome) -> Vec<String> {
    o.report
        .problems
        .iter()
        .map(|p| format!("{}: {} [{}]", p.row.get(), p.message, p.code.as_str()))
        .collect()
}

/// One column of a query, as text.
fn column(ws: &Workspace, sql: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(&ws.db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| {
        Ok(r.get::<_, Option<String>>(0)?
            .unwrap_or_else(|| "NULL".into()))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn rollout_users(ws: &Workspace) {
    import_ok(
        ws,
        "user",
        "Name,Email,User ID,Role\n\
         Ada Lovelace,ada@example.com,U-001,Technician\n\
         Grace Hopper,grace@example.com,U-002,End User\n\
         Alan Turing,alan@example.com,U-003,End User\n",
    );
}

#[test]
fn links_by_natural_key_find_the_target_by_each_of_its_keys_in_order() {
    let ws = workspace("rollout");
    rollout_users(&ws);
    // By e-mail (any case), by user id, by name.
    import_ok(
        &ws,
        "client",
        "Name,Status,Assignee,Client User\n\
         WS-001,Planned,ADA@example.com,U-002\n\
         WS-002,Planned,Ada Lovelace,Alan Turing\n",
    );
    let users = |sql: &str| column(&ws, sql);
    assert_eq!(
        users("SELECT u.name FROM client c JOIN user u ON u.uuid = c.assignee ORDER BY c.name"),
        vec!["Ada Lovelace", "Ada Lovelace"]
    );
    assert_eq!(
        users("SELECT u.name FROM client c JOIN user u ON u.uuid = c.client_user ORDER BY c.name"),
        vec!["Grace Hopper", "Alan Turing"]
    );
}

#[test]
fn a_link_key_that_names_no_record_is_an_unknown_link() {
    let ws = workspace("rollout");
    rollout_users(&ws);
    let (o, response) = import_with(
        &ws,
        "client",
        "Name,Status,Assignee\n\
         WS-001,Planned,ada@example.com\n\
         WS-002,Planned,Charles Babbage\n",
        |r| r.on_error = OnError::Skip,
    );
    assert_eq!(
        messages(&o),
        vec![
            "3: no `user` record has `email`, `user_id` or `name` `Charles Babbage`; `Assignee` must name an existing record by its UUID or `email`, `user_id` or `name` [unknown_link]"
        ]
    );
    assert_eq!(o.counts.created, 1);
    assert!(
        response.contains("WS-002,Planned,Charles Babbage"),
        "{response}"
    );
    assert_eq!(column(&ws, "SELECT name FROM client"), vec!["WS-001"]);
}

#[test]
fn a_link_by_uuid_still_links_when_the_link_also_takes_keys() {
    let ws = workspace("rollout");
    rollout_users(&ws);
    let ada = column(&ws, "SELECT uuid FROM user WHERE name = 'Ada Lovelace'").remove(0);
    import_ok(
        &ws,
        "client",
        &format!("Name,Status,Assignee\nWS-001,Planned,{ada}\n"),
    );
    assert_eq!(column(&ws, "SELECT assignee FROM client"), vec![ada]);
}

#[test]
fn associations_find_both_ends_by_key() {
    // ticketing (semicolon-separated files): contacts to criteria, the contact by e-mail or contact id, the criterion by
    // its internal code.
    let ws = workspace("ticketing");
    import_ok(
        &ws,
        "contact",
        "Contact ID;First Name;Last Name;Email\n\
         100001;Marie;Curie;marie@example.com\n\
         100002;Pierre;Curie;pierre@example.com\n",
    );
    import_ok(
        &ws,
        "criterion",
        "Criterion Code;Criterion Name\nNEWS;Newsletter\nOPERA;Opera\n",
    );
    import_ok(
        &ws,
        "contact_criterion",
        "Contact;Criterion;Value\n\
         Marie@Example.com;NEWS;NEWSLETTER_FR\n\
         100002;OPERA;INTEREST_OPERA\n\
         100001;OPERA;YES\n",
    );
    assert_eq!(
        column(
            &ws,
            "SELECT c.contact_id || ' ' || k.code || ' ' || a.value FROM contact_criterion a \
             JOIN contact c ON c.uuid = a.contact JOIN criterion k ON k.uuid = a.criterion \
             ORDER BY a.id"
        ),
        vec![
            "100001 NEWS NEWSLETTER_FR",
            "100002 OPERA INTEREST_OPERA",
            "100001 OPERA YES"
        ]
    );
    // The same file again changes nothing: the association's key is (contact, criterion).
    let (o, _) = import_with(
        &ws,
        "contact_criterion",
        "Contact;Criterion;Value\n\
         Marie@Example.com;NEWS;NEWSLETTER_FR\n",
        |r| r.match_on = vec!["contact".into(), "criterion".into()],
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(
        (o.counts.created, o.counts.updated, o.counts.unchanged),
        (0, 0, 1)
    );
}

#[test]
fn sites_link_to_an_existing_company_by_its_company_id() {
    let ws = workspace("msp");
    import_ok(&ws, "company", "Company ID,Company Name\nACME01,Acme\n");
    import_ok(
        &ws,
        "site",
        "Company ID,Site ID,Site Name,Country\nACME01,S1,Head Office,DE\nACME01,S2,Warehouse,DE\n",
    );
    assert_eq!(
        column(
            &ws,
            "SELECT co.company_id || '/' || s.site_id FROM site s JOIN company co ON co.uuid = s.company ORDER BY s.site_id"
        ),
        vec!["ACME01/S1", "ACME01/S2"]
    );
}
