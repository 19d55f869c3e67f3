//! What the engine's scenario tests share: each scenario runs on both backends
//! (`on_both_backends!`: `on_sqlite::NAME` on a fresh SQLite file, `on_postgres::NAME` in a fresh
//! PostgreSQL database, skipped with a message when PostgreSQL is unreachable and failed when
//! `CI` is set; see intake-testkit's `postgres_or_skip`); workspaces of a schema on the current
//! backend; imports with their response and success files; problems as text; SQL queries of
//! what was stored, every value as text.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use intake_core::demo;
use intake_core::mapping::ManualMapping;
use intake_core::schema::{LookupList, LookupOption, Schema};
use intake_core::validate::ValidateOptions;
use intake_engine::{
    BytesInput, ImportError, ImportOutcome, ImportRequest, NoProgress, OnError, OutputFile,
    Outputs, import as import_records,
};
use intake_formats::CsvOptions;
use intake_postgres::PostgresStore;
use intake_sqlite::SqliteStore;
use intake_store::Store;
use intake_testkit::postgres::{TestDatabase, postgres_or_skip};
use tempfile::TempDir;

pub const NOW: &str = "2026-01-01T00:00:00Z";
pub const LATER: &str = "2026-01-02T00:00:00Z";

/// The backend a scenario runs on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

std::thread_local! {
    /// The backend of the scenario running on this thread, and its PostgreSQL database.
    static CURRENT: std::cell::RefCell<(Backend, Option<std::rc::Rc<TestDatabase>>)> =
        const { std::cell::RefCell::new((Backend::Sqlite, None)) };
}

/// Runs a scenario on a backend: on PostgreSQL in a fresh database (each workspace of the
/// scenario in its own schema), dropped afterwards.
pub fn on_backend(backend: Backend, name: &str, scenario: fn()) {
    let db = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => match postgres_or_skip(name) {
            Some(db) => Some(std::rc::Rc::new(db)),
            None => return,
        },
    };
    CURRENT.with(|c| *c.borrow_mut() = (backend, db));
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.with(|c| *c.borrow_mut() = (Backend::Sqlite, None));
        }
    }
    let _reset = Reset;
    scenario();
}

/// Each scenario as `NAME_sqlite` and `NAME_postgres`.
#[allow(unused_macros)] // not every scenario file runs on both backends
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[test]
                fn $name() {
                    crate::common::on_backend(crate::common::Backend::Sqlite, stringify!($name), super::$name);
                }
            )*
        }
        mod on_postgres {
            $(
                #[test]
                fn $name() {
                    crate::common::on_backend(
                        crate::common::Backend::Postgres,
                        concat!(stringify!($name), "_postgres"),
                        super::$name,
                    );
                }
            )*
        }
    };
}

/// Where a workspace's records are, to read them back with SQL.
pub enum Db {
    Sqlite(PathBuf),
    Postgres {
        db: std::rc::Rc<TestDatabase>,
        schema: String,
    },
}

pub static NEXT_SCHEMA: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A schema and its store: a SQLite file in a temporary folder, or a PostgreSQL schema.
pub struct Workspace {
    pub dir: TempDir,
    pub db: Db,
    pub schema: Schema,
    pub store: Box<dyn Store>,
}

impl Workspace {
    pub fn new(schema: Schema) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (backend, pg) = CURRENT.with(|c| c.borrow().clone());
        let (db, store): (Db, Box<dyn Store>) = match (backend, pg) {
            (Backend::Postgres, Some(pg)) => {
                let name = format!(
                    "ws{}",
                    NEXT_SCHEMA.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                );
                let store = PostgresStore::open(pg.url(), &name).unwrap();
                (
                    Db::Postgres {
                        db: pg,
                        schema: name,
                    },
                    Box::new(store),
                )
            }
            _ => {
                let path = dir.path().join("intake.db");
                let store = SqliteStore::open(&path).unwrap();
                (Db::Sqlite(path), Box::new(store))
            }
        };
        store.migrate(&schema).unwrap();
        Self {
            dir,
            db,
            schema,
            store,
        }
    }

    /// Adds the options earlier imports created to the schema's lists, as the workspace does
    /// when it opens its store.
    pub fn reread_added_options(&mut self) {
        for (list, code) in self.store.added_options().unwrap() {
            let Some(l) = self.schema.lists.get(&list) else {
                continue;
            };
            if l.find(&code).is_some() {
                continue;
            }
            let mut options = l.options.clone();
            options.push(LookupOption {
                code: code.clone(),
                label: code,
            });
            let rebuilt = LookupList::new(l.name.clone(), l.case_insensitive, options, l.separator);
            self.schema.lists.insert(list, rebuilt);
        }
    }
}

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
        now: NOW.into(),
        fail_at: None,
        job: None,
        dry_run: false,
    }
}

pub fn try_import(
    ws: &Workspace,
    record_type: &str,
    csv: &str,
    opts: impl FnOnce(&mut ImportRequest),
) -> Result<(ImportOutcome, String), ImportError> {
    try_import_files(ws, record_type, csv, opts).map(|(o, response, _)| (o, response))
}

/// Imports CSV text; the outcome, the response file and the success file (text without the
/// byte-order mark).
pub fn try_import_files(
    ws: &Workspace,
    record_type: &str,
    csv: &str,
    opts: impl FnOnce(&mut ImportRequest),
) -> Result<(ImportOutcome, String, String), ImportError> {
    let mut req = request(ws, record_type);
    opts(&mut req);
    let input = BytesInput {
        name: format!("{record_type}.csv"),
        bytes: csv.as_bytes().to_vec(),
    };
    let mut response = Vec::new();
    let mut success = Vec::new();
    let outcome = import_records(
        &ws.schema,
        ws.store.as_ref(),
        &input,
        &req,
        Outputs {
            response: Some(OutputFile::Csv(&mut response)),
            success: Some(OutputFile::Csv(&mut success)),
        },
        &NoProgress,
    )?;
    let text = |b: Vec<u8>| {
        String::from_utf8(b)
            .unwrap()
            .trim_start_matches('\u{feff}')
            .to_string()
    };
    Ok((outcome, text(response), text(success)))
}

/// Imports CSV text; the outcome.
pub fn import(
    ws: &Workspace,
    record_type: &str,
    csv: &str,
    opts: impl FnOnce(&mut ImportRequest),
) -> ImportOutcome {
    try_import(ws, record_type, csv, opts).unwrap().0
}

/// Imports CSV text; the outcome and the response file's text.
pub fn import_response(
    ws: &Workspace,
    record_type: &str,
    csv: &str,
    opts: impl FnOnce(&mut ImportRequest),
) -> (ImportOutcome, String) {
    try_import(ws, record_type, csv, opts).unwrap()
}

/// Imports CSV text that must have no problems.
pub fn import_ok(ws: &Workspace, record_type: &str, csv: &str) -> ImportOutcome {
    let o = import(ws, record_type, csv, |_| {});
    assert_eq!(problems(&o), vec![], "{:#?}", o.report.problems);
    assert!(o.committed);
    o
}

/// (row, code) of every problem.
pub fn problems(o: &ImportOutcome) -> Vec<(u64, &'static str)> {
    o.report
        .problems
        .iter()
        .map(|p| (p.row.get(), p.code.as_str()))
        .collect()
}

/// The rows of a query on the workspace's database, every value as text (`NULL` for none)
/// as SQLite holds it: booleans `1`/`0`, times RFC 3339, multiselect codes joined by `;`.
pub fn rows(ws: &Workspace, sql: &str) -> Vec<Vec<String>> {
    match &ws.db {
        Db::Sqlite(path) => sqlite_rows(path, sql),
        Db::Postgres { db, schema } => postgres_rows(db, schema, sql),
    }
}

pub fn sqlite_rows(path: &std::path::Path, sql: &str) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| {
                Ok(match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => "NULL".to_string(),
                    rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                    rusqlite::types::ValueRef::Real(f) => f.to_string(),
                    rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                        String::from_utf8_lossy(t).into_owned()
                    }
                })
            })
            .collect()
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

pub fn postgres_rows(db: &TestDatabase, schema: &str, sql: &str) -> Vec<Vec<String>> {
    use postgres::types::Type;
    let mut client = db.connect();
    client
        .batch_execute(&format!(
            "SET search_path TO \"{schema}\"; SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'"
        ))
        .unwrap();
    let types: Vec<Type> = client
        .prepare(sql)
        .unwrap()
        .columns()
        .iter()
        .map(|c| c.type_().clone())
        .collect();
    let mut out = Vec::new();
    for m in client.simple_query(sql).unwrap() {
        let postgres::SimpleQueryMessage::Row(r) = m else {
            continue;
        };
        out.push(
            types
                .iter()
                .enumerate()
                .map(|(i, ty)| match r.get(i) {
                    None => "NULL".to_string(),
                    Some(v) if *ty == Type::BOOL => if v == "t" { "1" } else { "0" }.to_string(),
                    Some(v) if *ty == Type::TIMESTAMPTZ => {
                        // `2026-01-01 00:00:00+00` as `2026-01-01T00:00:00Z`
                        format!("{}Z", v.trim_end_matches("+00").replacen(' ', "T", 1))
                    }
                    Some(v) if *ty == Type::TEXT_ARRAY => v
                        .trim_start_matches('{')
                        .trim_end_matches('}')
                        .split(',')
                        .map(|c| c.trim_matches('"'))
                        .collect::<Vec<_>>()
                        .join(";"),
                    Some(v) => v.to_string(),
                })
                .collect(),
        );
    }
    out
}

/// The one value of a query.
pub fn one(ws: &Workspace, sql: &str) -> String {
    let r = rows(ws, sql);
    assert_eq!(r.len(), 1, "{sql}: {r:?}");
    r[0][0].clone()
}

pub fn count(ws: &Workspace, table: &str) -> u64 {
    one(ws, &format!("SELECT COUNT(*) FROM \"{table}\""))
        .parse()
        .unwrap()
}

/// The UUIDs of a type's records, in creation order.
pub fn uuids(ws: &Workspace, table: &str) -> Vec<String> {
    rows(ws, &format!("SELECT uuid FROM \"{table}\" ORDER BY id"))
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

/// A workspace of a demo schema on the current backend.
pub fn workspace(name: &str) -> Workspace {
    Workspace::new(demo::demo(name).unwrap().schema().unwrap())
}

/// An import with options: the outcome and the response file.
pub fn import_with(
    ws: &Workspace,
    record_type: &str,
    csv: &str,
    opts: impl FnOnce(&mut ImportRequest),
) -> (ImportOutcome, String) {
    try_import(ws, record_type, csv, opts).unwrap()
}

/// An import with options: the outcome, the response file and the success file.
pub fn import_files(
    ws: &Workspace,
    record_type: &str,
    csv: &str,
    opts: impl FnOnce(&mut ImportRequest),
) -> (ImportOutcome, String, String) {
    try_import_files(ws, record_type, csv, opts).unwrap()
}

/// Every problem as `row: message [code]`.
pub fn messages(o: &ImportOutcome) -> Vec<String> {
    o.report
        .problems
        .iter()
        .map(|p| format!("{}: {} [{}]", p.row.get(), p.message, p.code.as_str()))
        .collect()
}

/// The first column of a query, as text (`NULL` for none).
pub fn column(ws: &Workspace, sql: &str) -> Vec<String> {
    rows(ws, sql).into_iter().map(|mut r| r.remove(0)).collect()
}

/// Each row of a query as its values joined by spaces, `-` for none (booleans `1`/`0`,
/// multiselect codes joined by `;`, on both backends).
pub fn joined(ws: &Workspace, sql: &str) -> Vec<String> {
    rows(ws, sql)
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| if v == "NULL" { "-".to_string() } else { v })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}
