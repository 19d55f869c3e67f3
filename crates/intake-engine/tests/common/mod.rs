//! Helpers of the tests that import into the demo workspaces on SQLite: a workspace in a
//! temporary directory, an import with options, its problems as text, and SQL queries of
//! what was stored.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

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

pub struct Workspace {
    pub dir: TempDir,
    pub db: std::path::PathBuf,
    pub schema: Schema,
    pub store: SqliteStore,
}

pub fn workspace(name: &str) -> Workspace {
    workspace_with(demo::demo(name).unwrap().schema().unwrap())
}

pub fn workspace_with(schema: Schema) -> Workspace {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("intake.db");
    let store = SqliteStore::open(&db).unwrap();
    store.migrate(&schema).unwrap();
    Workspace {
        dir,
        db,
        schema,
        store,
    }
}

/// An all-or-nothing import request with the workspace's locale.
pub fn request(ws: &Workspace, record_type: &str) -> ImportRequest {
    ImportRequest {
        record_type: record_type.into(),
        options: ValidateOptions::new(ws.schema.locale.clone()),
        csv: CsvOptions::default(),
        sheet: Default::default(),
        mapping: ManualMapping::default(),
        threads: 2,
        on_error: OnError::Abort,
        match_on: vec![],
        force: false,
        now: "2026-01-01T00:00:00Z".into(),
        fail_at: None,
        dry_run: false,
    }
}

pub fn import_with(
    ws: &Workspace,
    record_type: &str,
    csv: &str,
    opts: impl FnOnce(&mut ImportRequest),
) -> (ImportOutcome, String) {
    let (o, response, _) = import_files(ws, record_type, csv, opts);
    (o, response)
}

/// An import with its response file and success file, as text without the byte-order mark.
pub fn import_files(
    ws: &Workspace,
    record_type: &str,
    csv: &str,
    opts: impl FnOnce(&mut ImportRequest),
) -> (ImportOutcome, String, String) {
    let mut req = request(ws, record_type);
    opts(&mut req);
    let input = BytesInput {
        name: format!("{record_type}.csv"),
        bytes: csv.as_bytes().to_vec(),
    };
    let mut response = Vec::new();
    let mut success = Vec::new();
    let outcome = run_import(
        &ws.schema,
        &ws.store,
        &input,
        &req,
        Outputs {
            response: Some(&mut response),
            success: Some(&mut success),
        },
        &NoProgress,
    )
    .unwrap();
    let text = |b: Vec<u8>| {
        String::from_utf8(b)
            .unwrap()
            .trim_start_matches('\u{feff}')
            .to_string()
    };
    (outcome, text(response), text(success))
}

pub fn import_ok(ws: &Workspace, record_type: &str, csv: &str) -> ImportOutcome {
    let (o, _) = import_with(ws, record_type, csv, |_| {});
    assert_eq!(messages(&o), Vec::<String>::new());
    assert!(o.committed);
    o
}

/// Every problem as `row: message [code]`.
pub fn messages(o: &ImportOutcome) -> Vec<String> {
    o.report
        .problems
        .iter()
        .map(|p| format!("{}: {} [{}]", p.row.get(), p.message, p.code.as_str()))
        .collect()
}

/// One column of a query, as text.
pub fn column(ws: &Workspace, sql: &str) -> Vec<String> {
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
