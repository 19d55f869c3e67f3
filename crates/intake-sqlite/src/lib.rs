//! The SQLite backend of the store: the embedded default, one file (`intake.db`).
//!
//! Layout (documented for users in `docs/database.md`): one table per record type, named
//! after it, with typed columns:
//!
//! ```sql
//! CREATE TABLE "contact" (
//!   "id" INTEGER PRIMARY KEY,          -- internal row id
//!   "uuid" TEXT NOT NULL,              -- the record's UUID (unique index)
//!   "created_at" TEXT NOT NULL,        -- RFC 3339, UTC
//!   "updated_at" TEXT NOT NULL,
//!   "created_by_import" INTEGER,       -- the import that created it
//!   "updated_by_import" INTEGER,       -- the import that last wrote it
//!   "deactivated_at" TEXT,             -- set by the `deactivate` action
//!   "first_name" TEXT, "email" TEXT, ...  -- one column per field
//! );
//! ```
//!
//! Unique fields and natural keys have unique indexes (e-mail fields on `lower(column)`).
//! intake's own tables start with `_intake_`: imports, changes, options added by imports and
//! the columns as last migrated.
//!
//! The database runs in WAL mode, so readers never block the one writer and a crash at any
//! point leaves the last committed state. Every import is one `BEGIN IMMEDIATE` transaction.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use intake_core::filter::Filter;
use intake_core::plan::StoredRecord;
use intake_core::schema::{FieldType, RecordType, Schema};
use intake_core::stored::{Stored, StoredKind, kind_of, uuid_text};
use intake_store::{
    Change, Counts, ImportRecord, ImportStatus, ImportTransaction, Migration, NewImport, NewRecord,
    ReadSession, RecordUpdate, RefusedWrite, Rejected, RevertConflict, RevertCounts, Store,
    StoreError,
};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, ToSql, params};
use uuid::Uuid;

/// Page cache of the connection that writes imports, in KiB. Index maintenance dominates
/// large imports, and a cache that holds the indexes' working set matters most (DESIGN §9);
/// 32 MiB keeps a 1,000,000-row import under the 200 MB memory budget.
pub const WRITER_CACHE_KIB: i64 = 32_768;

/// Page cache of reading connections, in KiB. An import opens one per worker for its
/// lookups, which land at random in tables and indexes far larger than any cache: what pays
/// off is holding the B-tree's interior pages (about 1% of a table), and the operating
/// system's cache serves the leaves.
const READER_CACHE_KIB: i64 = 8_192;

/// How long a writer waits for another writer before giving up, in milliseconds.
pub const BUSY_TIMEOUT_MS: u64 = 10_000;

/// Parameters per statement in batched lookups.
const CHUNK: usize = 500;

/// The system columns every record table has, before the field columns.
const SYSTEM_COLUMNS: &[&str] = &[
    "uuid",
    "created_at",
    "updated_at",
    "created_by_import",
    "updated_by_import",
    "deactivated_at",
];

/// The store in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
}

fn backend(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        match f.code {
            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                return StoreError::Busy;
            }
            rusqlite::ErrorCode::ConstraintViolation => {
                return StoreError::Conflict(msg.clone().unwrap_or_else(|| e.to_string()));
            }
            _ => {}
        }
    }
    StoreError::Backend(e.to_string())
}

/// A double-quoted SQL identifier.
fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

struct Sql<'a>(&'a Stored);

impl ToSql for Sql<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Stored::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Stored::Integer(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Stored::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn stored_of(v: ValueRef<'_>) -> Stored {
    match v {
        ValueRef::Null => Stored::Null,
        ValueRef::Integer(i) => Stored::Integer(i),
        ValueRef::Real(f) => Stored::Text(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            Stored::Text(String::from_utf8_lossy(t).into_owned())
        }
    }
}

fn column_type(kind: StoredKind) -> &'static str {
    match kind {
        StoredKind::Integer | StoredKind::Boolean => "INTEGER",
        _ => "TEXT",
    }
}

/// The unique indexes of a record type: (name, SQL).
fn unique_indexes(rt: &RecordType) -> Vec<(String, String)> {
    let t = &rt.name;
    let mut out = vec![(
        format!("{t}__uuid"),
        format!(
            "CREATE UNIQUE INDEX {} ON {}(\"uuid\")",
            ident(&format!("{t}__uuid")),
            ident(t)
        ),
    )];
    let slots = rt.unique_slots();
    for slot in slots {
        let names: Vec<&str> = slot.iter().map(|&f| rt.fields[f].name.as_str()).collect();
        let name = format!("{t}__{}", names.join("__"));
        let cols: Vec<String> = slot.iter().map(|&f| column_expr(rt, f)).collect();
        out.push((
            name.clone(),
            format!(
                "CREATE UNIQUE INDEX {} ON {}({})",
                ident(&name),
                ident(t),
                cols.join(", ")
            ),
        ));
    }
    out
}

/// A field's column as compared for keys: e-mail addresses ignore case.
fn column_expr(rt: &RecordType, f: usize) -> String {
    let name = ident(rt.fields[f].name.as_str());
    if matches!(rt.fields[f].field_type, FieldType::Email) {
        format!("lower({name})")
    } else {
        name
    }
}

fn select_list(rt: &RecordType) -> String {
    let mut cols: Vec<String> = SYSTEM_COLUMNS.iter().map(|c| ident(c)).collect();
    cols.extend(rt.fields.iter().map(|f| ident(f.name.as_str())));
    cols.join(", ")
}

fn record_of(rt: &RecordType, row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRecord> {
    let uuid: String = row.get(0)?;
    let uuid = Uuid::try_parse(&uuid).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let mut values = Vec::with_capacity(rt.fields.len());
    for i in 0..rt.fields.len() {
        values.push(stored_of(row.get_ref(SYSTEM_COLUMNS.len() + i)?));
    }
    Ok(StoredRecord {
        uuid,
        values,
        created_at: row.get(1)?,
        updated_at: row.get(2)?,
        updated_by_import: row.get(4)?,
        deactivated_at: row.get(5)?,
    })
}

fn placeholders(n: usize) -> String {
    let mut s = String::with_capacity(n * 2);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push('?');
    }
    s
}

impl SqliteStore {
    /// Opens (creating if needed) the database file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let store = SqliteStore {
            path: path.to_path_buf(),
        };
        let conn = store.connect(READER_CACHE_KIB)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS _intake_imports (
               id INTEGER PRIMARY KEY,
               record_type TEXT NOT NULL,
               file_name TEXT NOT NULL,
               options TEXT NOT NULL,
               status TEXT NOT NULL,
               rows INTEGER NOT NULL DEFAULT 0,
               created INTEGER NOT NULL DEFAULT 0,
               updated INTEGER NOT NULL DEFAULT 0,
               unchanged INTEGER NOT NULL DEFAULT 0,
               deleted INTEGER NOT NULL DEFAULT 0,
               deactivated INTEGER NOT NULL DEFAULT 0,
               skipped INTEGER NOT NULL DEFAULT 0,
               failed INTEGER NOT NULL DEFAULT 0,
               started_at TEXT NOT NULL,
               finished_at TEXT,
               reverted_at TEXT,
               message TEXT
             );
             CREATE TABLE IF NOT EXISTS _intake_changes (
               id INTEGER PRIMARY KEY,
               import_id INTEGER NOT NULL,
               record_type TEXT NOT NULL,
               uuid TEXT NOT NULL,
               action TEXT NOT NULL,
               before TEXT,
               after TEXT
             );
             CREATE INDEX IF NOT EXISTS _intake_changes_import ON _intake_changes(import_id);
             CREATE INDEX IF NOT EXISTS _intake_changes_uuid ON _intake_changes(uuid);
             CREATE TABLE IF NOT EXISTS _intake_options (
               list TEXT NOT NULL,
               code TEXT NOT NULL,
               import_id INTEGER NOT NULL,
               PRIMARY KEY (list, code)
             );
             CREATE TABLE IF NOT EXISTS _intake_columns (
               record_type TEXT NOT NULL,
               field TEXT NOT NULL,
               kind TEXT NOT NULL,
               PRIMARY KEY (record_type, field)
             );",
        )
        .map_err(|e| store.unavailable(&e))?;
        // Databases made before server jobs existed lack the column.
        let has_job: bool = conn
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('_intake_imports') WHERE name = 'job'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(backend)?
            > 0;
        if !has_job {
            conn.execute_batch("ALTER TABLE _intake_imports ADD COLUMN job TEXT")
                .map_err(backend)?;
        }
        conn.execute_batch(
            "CREATE UNIQUE INDEX IF NOT EXISTS _intake_imports_job ON _intake_imports (job)",
        )
        .map_err(backend)?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn unavailable(&self, e: &rusqlite::Error) -> StoreError {
        StoreError::Unavailable {
            location: self.path.display().to_string(),
            message: e.to_string(),
        }
    }

    fn connect(&self, cache_kib: i64) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| self.unavailable(&e))?;
        conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))
            .map_err(backend)?;
        conn.execute_batch(&format!(
            "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{cache_kib}; PRAGMA foreign_keys = OFF;"
        ))
        .map_err(backend)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }
}

fn table_exists(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |_| Ok(()),
    )
    .optional()
    .map(|o| o.is_some())
    .map_err(backend)
}

fn kind_name(kind: StoredKind) -> String {
    match kind {
        StoredKind::Decimal { scale } => format!("decimal({scale})"),
        other => format!("{other:?}").to_lowercase(),
    }
}

impl Store for SqliteStore {
    fn migrate(&self, schema: &Schema) -> Result<Migration, StoreError> {
        let mut conn = self.connect(READER_CACHE_KIB)?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let mut applied = Vec::new();
        let mut refused = Vec::new();
        for rt in &schema.types {
            let t = ident(&rt.name);
            if !table_exists(&tx, &rt.name)? {
                let mut cols = vec![
                    "\"id\" INTEGER PRIMARY KEY".to_string(),
                    "\"uuid\" TEXT NOT NULL".to_string(),
                    "\"created_at\" TEXT NOT NULL".to_string(),
                    "\"updated_at\" TEXT NOT NULL".to_string(),
                    "\"created_by_import\" INTEGER".to_string(),
                    "\"updated_by_import\" INTEGER".to_string(),
                    "\"deactivated_at\" TEXT".to_string(),
                ];
                for f in &rt.fields {
                    cols.push(format!(
                        "{} {}",
                        ident(f.name.as_str()),
                        column_type(kind_of(f))
                    ));
                }
                applied.push(format!("CREATE TABLE {t} ({})", cols.join(", ")));
            } else {
                let existing: BTreeSet<String> = {
                    let mut stmt = tx
                        .prepare(&format!("PRAGMA table_info({t})"))
                        .map_err(backend)?;
                    stmt.query_map([], |r| r.get::<_, String>(1))
                        .map_err(backend)?
                        .collect::<Result<_, _>>()
                        .map_err(backend)?
                };
                let kinds: BTreeMap<String, String> = {
                    let mut stmt = tx
                        .prepare("SELECT field, kind FROM _intake_columns WHERE record_type = ?1")
                        .map_err(backend)?;
                    stmt.query_map([&rt.name], |r| Ok((r.get(0)?, r.get(1)?)))
                        .map_err(backend)?
                        .collect::<Result<_, _>>()
                        .map_err(backend)?
                };
                for f in &rt.fields {
                    let name = f.name.as_str();
                    let kind = kind_name(kind_of(f));
                    if !existing.contains(name) {
                        applied.push(format!(
                            "ALTER TABLE {t} ADD COLUMN {} {}",
                            ident(name),
                            column_type(kind_of(f))
                        ));
                    } else if let Some(old) = kinds.get(name)
                        && *old != kind
                    {
                        let filled: i64 = tx
                            .query_row(
                                &format!(
                                    "SELECT COUNT(*) FROM {t} WHERE {} IS NOT NULL",
                                    ident(name)
                                ),
                                [],
                                |r| r.get(0),
                            )
                            .map_err(backend)?;
                        if filled > 0 {
                            refused.push(format!(
                                "`{}.{name}` changes from {old} to {kind}, but {filled} records have a value; export them, clear the field, then change its type",
                                rt.name
                            ));
                        }
                    }
                }
                let fields: BTreeSet<&str> = rt.fields.iter().map(|f| f.name.as_str()).collect();
                for col in &existing {
                    if col == "id"
                        || SYSTEM_COLUMNS.contains(&col.as_str())
                        || fields.contains(col.as_str())
                    {
                        continue;
                    }
                    let filled: i64 = tx
                        .query_row(
                            &format!("SELECT COUNT(*) FROM {t} WHERE {} IS NOT NULL", ident(col)),
                            [],
                            |r| r.get(0),
                        )
                        .map_err(backend)?;
                    if filled > 0 {
                        refused.push(format!(
                            "the field `{}.{col}` is no longer in the schema, but {filled} records have a value; put it back, or clear it first (UPDATE \"{}\" SET \"{col}\" = NULL)",
                            rt.name, rt.name
                        ));
                    }
                }
            }
            let present: BTreeSet<String> = {
                let mut stmt = tx
                    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL")
                    .map_err(backend)?;
                stmt.query_map([&rt.name], |r| r.get::<_, String>(0))
                    .map_err(backend)?
                    .collect::<Result<_, _>>()
                    .map_err(backend)?
            };
            let wanted = unique_indexes(rt);
            for (name, sql) in &wanted {
                if !present.contains(name) {
                    applied.push(sql.clone());
                }
            }
            for name in &present {
                if !wanted.iter().any(|(n, _)| n == name) {
                    applied.push(format!("DROP INDEX {}", ident(name)));
                }
            }
        }
        if !refused.is_empty() {
            return Err(StoreError::LossyMigration(refused));
        }
        for sql in &applied {
            tx.execute_batch(sql).map_err(|e| match backend(e) {
                StoreError::Conflict(m) => StoreError::Conflict(format!(
                    "{m}: stored records already repeat values that the schema now says are unique"
                )),
                other => other,
            })?;
        }
        for rt in &schema.types {
            for f in &rt.fields {
                tx.execute(
                    "INSERT INTO _intake_columns (record_type, field, kind) VALUES (?1, ?2, ?3)
                     ON CONFLICT (record_type, field) DO UPDATE SET kind = excluded.kind",
                    params![rt.name, f.name.as_str(), kind_name(kind_of(f))],
                )
                .map_err(backend)?;
            }
        }
        tx.commit().map_err(backend)?;
        Ok(Migration { applied })
    }

    fn read(&self) -> Result<Box<dyn ReadSession + '_>, StoreError> {
        Ok(Box::new(SqliteRead {
            conn: self.connect(READER_CACHE_KIB)?,
        }))
    }

    fn begin_import(
        &self,
        _schema: &Schema,
        import: &NewImport,
    ) -> Result<Box<dyn ImportTransaction + '_>, StoreError> {
        let conn = self.connect(WRITER_CACHE_KIB)?;
        conn.execute_batch("BEGIN IMMEDIATE").map_err(backend)?;
        let mut tx = SqliteImport {
            conn,
            id: 0,
            open: true,
            dropped: Vec::new(),
            partial: false,
            rejected: Vec::new(),
        };
        tx.conn
            .execute(
                "INSERT INTO _intake_imports (record_type, file_name, options, status, started_at, job)
                 VALUES (?1, ?2, ?3, 'completed', ?4, ?5)",
                params![
                    import.record_type,
                    import.file_name,
                    import.options.to_string(),
                    import.started_at,
                    import.job
                ],
            )
            .map_err(backend)?;
        tx.id = tx.conn.last_insert_rowid();
        Ok(Box::new(tx))
    }

    fn record_failed_import(
        &self,
        import: &NewImport,
        counts: &Counts,
        message: &str,
        finished_at: &str,
    ) -> Result<i64, StoreError> {
        let conn = self.connect(READER_CACHE_KIB)?;
        conn.execute(
            "INSERT INTO _intake_imports (record_type, file_name, options, status, started_at,
               rows, created, updated, unchanged, deleted, deactivated, skipped, failed,
               finished_at, message, job)
             VALUES (?1, ?2, ?3, 'failed', ?4, ?5, 0, 0, 0, 0, 0, ?6, ?7, ?8, ?9, ?10)",
            params![
                import.record_type,
                import.file_name,
                import.options.to_string(),
                import.started_at,
                counts.rows as i64,
                counts.skipped as i64,
                counts.failed as i64,
                finished_at,
                message,
                import.job
            ],
        )
        .map_err(backend)?;
        Ok(conn.last_insert_rowid())
    }

    fn imports(&self) -> Result<Vec<ImportRecord>, StoreError> {
        let conn = self.connect(READER_CACHE_KIB)?;
        let mut stmt = conn
            .prepare(&format!("{IMPORT_SELECT} ORDER BY id DESC"))
            .map_err(backend)?;
        stmt.query_map([], import_of)
            .map_err(backend)?
            .collect::<Result<_, _>>()
            .map_err(backend)
    }

    fn import(&self, id: i64) -> Result<ImportRecord, StoreError> {
        let conn = self.connect(READER_CACHE_KIB)?;
        import_by_id(&conn, id)
    }

    fn import_by_job(&self, job: &str) -> Result<Option<ImportRecord>, StoreError> {
        let conn = self.connect(READER_CACHE_KIB)?;
        conn.query_row(&format!("{IMPORT_SELECT} WHERE job = ?1"), [job], import_of)
            .optional()
            .map_err(backend)
    }

    fn changes(&self, schema: &Schema, id: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let conn = self.connect(READER_CACHE_KIB)?;
        let import = import_by_id(&conn, id)?;
        let mut out = Vec::new();
        if let Some(rt) = schema.record_type(&import.record_type)
            && table_exists(&conn, &rt.name)?
        {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {} FROM {} WHERE created_by_import = ?1 ORDER BY id LIMIT ?2",
                    select_list(rt),
                    ident(&rt.name)
                ))
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![id, limit as i64], |r| record_of(rt, r))
                .map_err(backend)?;
            for r in rows {
                let r = r.map_err(backend)?;
                out.push(Change {
                    record_type: rt.name.clone(),
                    uuid: r.uuid,
                    action: "created".into(),
                    fields: rt
                        .fields
                        .iter()
                        .zip(r.values)
                        .filter(|(_, v)| !v.is_null())
                        .map(|(f, v)| (f.name.to_string(), Stored::Null, v))
                        .collect(),
                });
            }
        }
        let mut stmt = conn
            .prepare(
                "SELECT record_type, uuid, action, before, after FROM _intake_changes
                 WHERE import_id = ?1 ORDER BY id LIMIT ?2",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![id, limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(backend)?;
        for row in rows {
            let (record_type, uuid, action, before, after) = row.map_err(backend)?;
            let before = parse_values(before.as_deref());
            let after = parse_values(after.as_deref());
            let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
            names.sort();
            names.dedup();
            let fields = names
                .into_iter()
                .filter(|n| !SYSTEM_COLUMNS.contains(&n.as_str()))
                .map(|n| {
                    (
                        n.clone(),
                        before.get(n).cloned().unwrap_or(Stored::Null),
                        after.get(n).cloned().unwrap_or(Stored::Null),
                    )
                })
                .collect();
            out.push(Change {
                record_type,
                uuid: Uuid::try_parse(&uuid).unwrap_or_default(),
                action: match action.as_str() {
                    "update" => "updated".into(),
                    "delete" => "deleted".into(),
                    "deactivate" => "deactivated".into(),
                    other => other.to_string(),
                },
                fields,
            });
            if out.len() >= limit {
                break;
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    fn revert(&self, schema: &Schema, id: i64, now: &str) -> Result<RevertCounts, StoreError> {
        let mut conn = self.connect(WRITER_CACHE_KIB)?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(backend)?;
        let import = import_by_id(&tx, id)?;
        if import.status != ImportStatus::Completed {
            return Err(StoreError::NotRevertable {
                import: id,
                status: import.status.as_str().into(),
            });
        }
        if schema.record_type(&import.record_type).is_none() {
            return Err(StoreError::NotFound(format!(
                "record type `{}`",
                import.record_type
            )));
        }
        // Every type the import wrote: its own, and the linked records it created inline.
        let types: Vec<&RecordType> = schema.types.iter().collect();
        let mut conflicts = Vec::new();
        for rt in &types {
            let t = ident(&rt.name);
            // Records this import touched that a later, still standing import changed.
            {
                let mut stmt = tx
                    .prepare(&format!(
                        "SELECT c.record_type, c.uuid, c.import_id FROM _intake_changes c
                         JOIN _intake_imports i ON i.id = c.import_id
                         WHERE c.import_id > ?1 AND i.status = 'completed' AND c.record_type = ?2
                           AND (c.uuid IN (
                             SELECT uuid FROM {t} WHERE created_by_import = ?1
                             UNION SELECT uuid FROM _intake_changes WHERE import_id = ?1)
                             -- a record this import created that a later import deleted
                             OR (c.action = 'delete'
                                 AND json_extract(c.before, '$.created_by_import') = ?1))
                         ORDER BY c.import_id, c.id"
                    ))
                    .map_err(backend)?;
                let rows = stmt
                    .query_map(params![id, rt.name], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                        ))
                    })
                    .map_err(backend)?;
                for row in rows {
                    let (record_type, uuid, by_import) = row.map_err(backend)?;
                    let uuid = Uuid::try_parse(&uuid).unwrap_or_default();
                    if !conflicts
                        .iter()
                        .any(|c: &RevertConflict| c.uuid == uuid && c.by_import == by_import)
                    {
                        conflicts.push(RevertConflict {
                            record_type,
                            uuid,
                            by_import,
                        });
                    }
                }
            }
        }
        if !conflicts.is_empty() {
            return Err(StoreError::RevertConflict {
                import: id,
                conflicts,
            });
        }
        let mut counts = RevertCounts::default();
        for rt in &types {
            let t = ident(&rt.name);
            let removed = tx
                .execute(
                    &format!("DELETE FROM {t} WHERE created_by_import = ?1"),
                    [id],
                )
                .map_err(backend)?;
            counts.removed += removed as u64;
            let changes: Vec<(i64, String, String, Option<String>)> = {
                let mut stmt = tx
                    .prepare(
                        "SELECT id, uuid, action, before FROM _intake_changes
                         WHERE import_id = ?1 AND record_type = ?2 ORDER BY id DESC",
                    )
                    .map_err(backend)?;
                stmt.query_map(params![id, rt.name], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?
            };
            for (_, uuid, action, before) in changes {
                let before = parse_values(before.as_deref());
                match action.as_str() {
                    "delete" => {
                        reinsert(&tx, &t, &before).map_err(|e| match e {
                            StoreError::Conflict(m) => StoreError::Conflict(format!(
                                "record {uuid}, deleted by import {id}, cannot come back: {m} (another record took its unique value since)"
                            )),
                            other => other,
                        })?;
                        counts.undeleted += 1;
                    }
                    _ => {
                        restore(&tx, &t, &uuid, &before)?;
                        if action == "deactivate" {
                            counts.reactivated += 1;
                        } else {
                            counts.restored += 1;
                        }
                    }
                }
            }
        }
        tx.execute("DELETE FROM _intake_options WHERE import_id = ?1", [id])
            .map_err(backend)?;
        tx.execute(
            "UPDATE _intake_imports SET status = 'reverted', reverted_at = ?2 WHERE id = ?1",
            params![id, now],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(counts)
    }

    fn added_options(&self) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.connect(READER_CACHE_KIB)?;
        let mut stmt = conn
            .prepare("SELECT list, code FROM _intake_options ORDER BY rowid")
            .map_err(backend)?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(backend)?
            .collect::<Result<_, _>>()
            .map_err(backend)
    }
}

/// Puts a deleted record back from the values its change kept (every column).
fn reinsert(
    conn: &Connection,
    table: &str,
    before: &BTreeMap<String, Stored>,
) -> Result<(), StoreError> {
    let cols: Vec<String> = before.keys().map(|k| ident(k)).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        cols.join(", "),
        placeholders(cols.len())
    );
    let params: Vec<Sql<'_>> = before.values().map(Sql).collect();
    conn.execute(&sql, rusqlite::params_from_iter(params.iter()))
        .map_err(backend)?;
    Ok(())
}

/// Sets the columns of a record back to the values in `before`.
fn restore(
    conn: &Connection,
    table: &str,
    uuid: &str,
    before: &BTreeMap<String, Stored>,
) -> Result<(), StoreError> {
    if before.is_empty() {
        return Ok(());
    }
    let sets: Vec<String> = before
        .keys()
        .enumerate()
        .map(|(i, k)| format!("{} = ?{}", ident(k), i + 2))
        .collect();
    let sql = format!("UPDATE {table} SET {} WHERE uuid = ?1", sets.join(", "));
    let mut values: Vec<Stored> = vec![Stored::Text(uuid.to_string())];
    values.extend(before.values().cloned());
    let params: Vec<Sql<'_>> = values.iter().map(Sql).collect();
    conn.execute(&sql, rusqlite::params_from_iter(params.iter()))
        .map_err(backend)?;
    Ok(())
}

fn parse_values(json: Option<&str>) -> BTreeMap<String, Stored> {
    json.and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default()
}

const IMPORT_SELECT: &str =
    "SELECT id, record_type, file_name, options, status, rows, created, updated,
    unchanged, deleted, deactivated, skipped, failed, started_at, finished_at, reverted_at, message,
    job
    FROM _intake_imports";

fn import_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<ImportRecord> {
    let n = |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
    let status: String = r.get(4)?;
    let options: String = r.get(3)?;
    Ok(ImportRecord {
        id: r.get(0)?,
        record_type: r.get(1)?,
        file_name: r.get(2)?,
        options: serde_json::from_str(&options).unwrap_or(serde_json::Value::Null),
        status: ImportStatus::parse(&status).unwrap_or(ImportStatus::Failed),
        counts: Counts {
            rows: n(5)?,
            created: n(6)?,
            updated: n(7)?,
            unchanged: n(8)?,
            deleted: n(9)?,
            deactivated: n(10)?,
            skipped: n(11)?,
            failed: n(12)?,
        },
        started_at: r.get(13)?,
        finished_at: r.get(14)?,
        reverted_at: r.get(15)?,
        message: r.get(16)?,
        job: r.get(17)?,
    })
}

fn import_by_id(conn: &Connection, id: i64) -> Result<ImportRecord, StoreError> {
    conn.query_row(&format!("{IMPORT_SELECT} WHERE id = ?1"), [id], import_of)
        .optional()
        .map_err(backend)?
        .ok_or_else(|| StoreError::NotFound(format!("import {id}")))
}

struct SqliteRead {
    conn: Connection,
}

impl SqliteRead {
    fn records(
        &mut self,
        rt: &RecordType,
        sql: &str,
        params: &[Stored],
        out: &mut Vec<StoredRecord>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(backend)?;
        let p: Vec<Sql<'_>> = params.iter().map(Sql).collect();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(p.iter()), |r| record_of(rt, r))
            .map_err(backend)?;
        for r in rows {
            out.push(r.map_err(backend)?);
        }
        Ok(())
    }
}

impl ReadSession for SqliteRead {
    fn count(&mut self, rt: &RecordType) -> Result<u64, StoreError> {
        if !table_exists(&self.conn, &rt.name)? {
            return Ok(0);
        }
        let n: i64 = self
            .conn
            .query_row(
                &format!("SELECT COUNT(*) FROM {}", ident(&rt.name)),
                [],
                |r| r.get(0),
            )
            .map_err(backend)?;
        Ok(n.max(0) as u64)
    }

    fn by_uuid(
        &mut self,
        rt: &RecordType,
        uuids: &[Uuid],
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let mut out = Vec::new();
        for chunk in uuids.chunks(CHUNK) {
            let sql = format!(
                "SELECT {} FROM {} WHERE uuid IN ({})",
                select_list(rt),
                ident(&rt.name),
                placeholders(chunk.len())
            );
            let params: Vec<Stored> = chunk.iter().map(|u| Stored::Text(uuid_text(u))).collect();
            self.records(rt, &sql, &params, &mut out)?;
        }
        Ok(out)
    }

    fn by_key(
        &mut self,
        rt: &RecordType,
        fields: &[usize],
        keys: &[Vec<Stored>],
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let mut out = Vec::new();
        if fields.is_empty() {
            return Ok(out);
        }
        let cols: Vec<String> = fields.iter().map(|&f| column_expr(rt, f)).collect();
        let per = fields.len();
        for chunk in keys.chunks((CHUNK / per).max(1)) {
            let mut params = Vec::with_capacity(chunk.len() * per);
            for k in chunk {
                for (i, v) in k.iter().enumerate() {
                    params.push(match (v, rt.fields.get(fields[i]).map(|f| &f.field_type)) {
                        (Stored::Text(s), Some(FieldType::Email)) => Stored::Text(s.to_lowercase()),
                        _ => v.clone(),
                    });
                }
            }
            let sql = if per == 1 {
                format!(
                    "SELECT {} FROM {} WHERE {} IN ({})",
                    select_list(rt),
                    ident(&rt.name),
                    cols[0],
                    placeholders(chunk.len())
                )
            } else {
                let tuple = format!("({})", placeholders(per));
                let tuples: Vec<&str> = (0..chunk.len()).map(|_| tuple.as_str()).collect();
                format!(
                    "SELECT {} FROM {} WHERE ({}) IN (VALUES {})",
                    select_list(rt),
                    ident(&rt.name),
                    cols.join(", "),
                    tuples.join(", ")
                )
            };
            self.records(rt, &sql, &params, &mut out)?;
        }
        Ok(out)
    }

    fn existing(&mut self, record_type: &str, uuids: &[Uuid]) -> Result<Vec<Uuid>, StoreError> {
        let mut out = Vec::new();
        if !table_exists(&self.conn, record_type)? {
            return Ok(out);
        }
        for chunk in uuids.chunks(CHUNK) {
            let sql = format!(
                "SELECT uuid FROM {} WHERE uuid IN ({})",
                ident(record_type),
                placeholders(chunk.len())
            );
            let params: Vec<Stored> = chunk.iter().map(|u| Stored::Text(uuid_text(u))).collect();
            let p: Vec<Sql<'_>> = params.iter().map(Sql).collect();
            let mut stmt = self.conn.prepare_cached(&sql).map_err(backend)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(p.iter()), |r| {
                    r.get::<_, String>(0)
                })
                .map_err(backend)?;
            for r in rows {
                if let Ok(u) = Uuid::try_parse(&r.map_err(backend)?) {
                    out.push(u);
                }
            }
        }
        Ok(out)
    }

    fn scan(
        &mut self,
        rt: &RecordType,
        filter: &Filter,
        each: &mut dyn FnMut(StoredRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let (clause, params) = filter.to_sql(&|n| format!("?{n}"));
        let sql = format!(
            "SELECT {} FROM {} WHERE {clause} ORDER BY id",
            select_list(rt),
            ident(&rt.name)
        );
        let mut stmt = self.conn.prepare(&sql).map_err(backend)?;
        let p: Vec<Sql<'_>> = params.iter().map(Sql).collect();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(p.iter()))
            .map_err(backend)?;
        while let Some(row) = rows.next().map_err(backend)? {
            each(record_of(rt, row).map_err(backend)?)?;
        }
        Ok(())
    }
}

struct SqliteImport {
    conn: Connection,
    id: i64,
    open: bool,
    /// Indexes dropped for a bulk load, rebuilt at commit: (name, SQL).
    dropped: Vec<(String, String)>,
    /// A partial import: records refused for a unique value are left out and kept here.
    partial: bool,
    rejected: Vec<Rejected>,
}

/// The fields of `rt` a unique violation names (empty: its UUID), when `e` is one.
///
/// SQLite names the columns of a plain index (`UNIQUE constraint failed: person.email`)
/// and the index of an expression (`... failed: index 'person__email'`).
fn unique_violation(rt: &RecordType, e: &rusqlite::Error) -> Option<(Vec<usize>, String)> {
    let rusqlite::Error::SqliteFailure(f, msg) = e else {
        return None;
    };
    // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
    if f.extended_code != 2067 && f.extended_code != 1555 {
        return None;
    }
    let detail = msg.clone().unwrap_or_else(|| e.to_string());
    let named = detail.split_once(": ").map_or("", |(_, n)| n);
    let field = |name: &str| rt.fields.iter().position(|f| f.name.as_str() == name);
    let fields = if let Some(index) = named
        .strip_prefix("index '")
        .and_then(|n| n.strip_suffix('\''))
    {
        rt.unique_slots()
            .into_iter()
            .find(|slot| {
                let names: Vec<&str> = slot.iter().map(|&f| rt.fields[f].name.as_str()).collect();
                format!("{}__{}", rt.name, names.join("__")) == index
            })
            .unwrap_or_default()
    } else {
        named
            .split(", ")
            .filter_map(|c| c.rsplit_once('.').map_or(Some(c), |(_, c)| Some(c)))
            .filter_map(field)
            .collect()
    };
    Some((fields, detail))
}

impl Drop for SqliteImport {
    fn drop(&mut self) {
        if self.open {
            // Nothing of the import becomes visible.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl SqliteImport {
    fn change(
        &self,
        rt: &RecordType,
        uuid: &str,
        action: &str,
        before: &BTreeMap<String, Stored>,
        after: &BTreeMap<String, Stored>,
    ) -> Result<(), StoreError> {
        let json = |m: &BTreeMap<String, Stored>| serde_json::to_string(m).unwrap_or_default();
        self.conn
            .prepare_cached(
                "INSERT INTO _intake_changes (import_id, record_type, uuid, action, before, after)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    self.id,
                    rt.name,
                    uuid,
                    action,
                    json(before),
                    json(after)
                ])
            })
            .map_err(backend)?;
        Ok(())
    }

    fn system_before(
        &self,
        rt: &RecordType,
        uuid: &str,
    ) -> Result<BTreeMap<String, Stored>, StoreError> {
        let mut m = BTreeMap::new();
        let row = self
            .conn
            .prepare_cached(&format!(
                "SELECT updated_at, updated_by_import, deactivated_at FROM {} WHERE uuid = ?1",
                ident(&rt.name)
            ))
            .and_then(|mut s| {
                s.query_row([uuid], |r| {
                    Ok((
                        stored_of(r.get_ref(0)?),
                        stored_of(r.get_ref(1)?),
                        stored_of(r.get_ref(2)?),
                    ))
                })
                .optional()
            })
            .map_err(backend)?;
        if let Some((a, b, c)) = row {
            m.insert("updated_at".to_string(), a);
            m.insert("updated_by_import".to_string(), b);
            m.insert("deactivated_at".to_string(), c);
        }
        Ok(m)
    }
}

impl ImportTransaction for SqliteImport {
    fn id(&self) -> i64 {
        self.id
    }

    fn bulk_load(&mut self, rt: &RecordType) -> Result<(), StoreError> {
        let t = ident(&rt.name);
        let empty = self
            .conn
            .query_row(&format!("SELECT 1 FROM {t} LIMIT 1"), [], |_| Ok(()))
            .optional()
            .map_err(backend)?
            .is_none();
        if !empty {
            return Ok(());
        }
        let indexes: Vec<(String, String)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL")
                .map_err(backend)?;
            stmt.query_map([&rt.name], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?
        };
        for (name, sql) in indexes {
            self.conn
                .execute_batch(&format!("DROP INDEX {}", ident(&name)))
                .map_err(backend)?;
            self.dropped.push((name, sql));
        }
        Ok(())
    }

    fn insert(
        &mut self,
        rt: &RecordType,
        records: &[NewRecord],
        now: &str,
    ) -> Result<(), StoreError> {
        let mut cols: Vec<String> = SYSTEM_COLUMNS[..5].iter().map(|c| ident(c)).collect();
        cols.extend(rt.fields.iter().map(|f| ident(f.name.as_str())));
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            ident(&rt.name),
            cols.join(", "),
            placeholders(cols.len())
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(backend)?;
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        for rec in records {
            let u = rec.uuid.hyphenated().encode_lower(&mut buf);
            stmt.raw_bind_parameter(1, &*u).map_err(backend)?;
            stmt.raw_bind_parameter(2, now).map_err(backend)?;
            stmt.raw_bind_parameter(3, now).map_err(backend)?;
            stmt.raw_bind_parameter(4, self.id).map_err(backend)?;
            stmt.raw_bind_parameter(5, self.id).map_err(backend)?;
            for (i, v) in rec.values.iter().enumerate() {
                stmt.raw_bind_parameter(6 + i, Sql(v)).map_err(backend)?;
            }
            // A failed statement is undone by SQLite alone: the transaction goes on.
            match stmt.raw_execute() {
                Ok(_) => {}
                Err(e) => match unique_violation(rt, &e).filter(|_| self.partial) {
                    Some((fields, detail)) => self.rejected.push(Rejected {
                        record_type: rt.name.clone(),
                        uuid: rec.uuid,
                        write: RefusedWrite::Create,
                        value: Rejected::value_of(&fields, |f| rec.values.get(f)),
                        fields,
                        detail,
                    }),
                    None => return Err(backend(e)),
                },
            }
        }
        Ok(())
    }

    fn update(
        &mut self,
        rt: &RecordType,
        updates: &[RecordUpdate],
        now: &str,
    ) -> Result<(), StoreError> {
        for u in updates {
            let uuid = uuid_text(&u.uuid);
            let mut before = self.system_before(rt, &uuid)?;
            before.remove("deactivated_at");
            let mut after = BTreeMap::new();
            for (f, v) in &u.before {
                before.insert(rt.fields[*f].name.to_string(), v.clone());
            }
            let mut sets = Vec::new();
            let mut values: Vec<Stored> = vec![Stored::Text(uuid.clone())];
            for (f, v) in &u.set {
                let name = rt.fields[*f].name.to_string();
                sets.push(format!("{} = ?{}", ident(&name), values.len() + 1));
                values.push(v.clone());
                after.insert(name, v.clone());
            }
            sets.push(format!("updated_at = ?{}", values.len() + 1));
            values.push(Stored::Text(now.to_string()));
            sets.push(format!("updated_by_import = ?{}", values.len() + 1));
            values.push(Stored::Integer(self.id));
            let sql = format!(
                "UPDATE {} SET {} WHERE uuid = ?1",
                ident(&rt.name),
                sets.join(", ")
            );
            let p: Vec<Sql<'_>> = values.iter().map(Sql).collect();
            let done = self
                .conn
                .prepare_cached(&sql)
                .and_then(|mut s| s.execute(rusqlite::params_from_iter(p.iter())));
            if let Err(e) = done {
                match unique_violation(rt, &e).filter(|_| self.partial) {
                    Some((fields, detail)) => {
                        let value = Rejected::value_of(&fields, |f| {
                            u.set.iter().find(|(sf, _)| *sf == f).map(|(_, v)| v)
                        });
                        self.rejected.push(Rejected {
                            record_type: rt.name.clone(),
                            uuid: u.uuid,
                            write: RefusedWrite::Update,
                            fields,
                            value,
                            detail,
                        });
                        continue;
                    }
                    None => return Err(backend(e)),
                }
            }
            self.change(rt, &uuid, "update", &before, &after)?;
        }
        Ok(())
    }

    fn delete(&mut self, rt: &RecordType, records: &[StoredRecord]) -> Result<(), StoreError> {
        for r in records {
            let uuid = uuid_text(&r.uuid);
            let created: (Stored, Stored) = self
                .conn
                .query_row(
                    &format!(
                        "SELECT created_at, created_by_import FROM {} WHERE uuid = ?1",
                        ident(&rt.name)
                    ),
                    [&uuid],
                    |row| Ok((stored_of(row.get_ref(0)?), stored_of(row.get_ref(1)?))),
                )
                .map_err(backend)?;
            let mut before = BTreeMap::new();
            before.insert("uuid".to_string(), Stored::Text(uuid.clone()));
            before.insert("created_at".to_string(), created.0);
            before.insert("created_by_import".to_string(), created.1);
            before.insert("updated_at".to_string(), Stored::Text(r.updated_at.clone()));
            before.insert(
                "updated_by_import".to_string(),
                r.updated_by_import.map_or(Stored::Null, Stored::Integer),
            );
            before.insert(
                "deactivated_at".to_string(),
                r.deactivated_at.clone().map_or(Stored::Null, Stored::Text),
            );
            for (f, v) in rt.fields.iter().zip(&r.values) {
                before.insert(f.name.to_string(), v.clone());
            }
            self.conn
                .execute(
                    &format!("DELETE FROM {} WHERE uuid = ?1", ident(&rt.name)),
                    [&uuid],
                )
                .map_err(backend)?;
            self.change(rt, &uuid, "delete", &before, &BTreeMap::new())?;
        }
        Ok(())
    }

    fn deactivate(&mut self, rt: &RecordType, uuids: &[Uuid], now: &str) -> Result<(), StoreError> {
        for u in uuids {
            let uuid = uuid_text(u);
            let before = self.system_before(rt, &uuid)?;
            let mut after = BTreeMap::new();
            after.insert("deactivated_at".to_string(), Stored::Text(now.to_string()));
            self.conn
                .execute(
                    &format!(
                        "UPDATE {} SET deactivated_at = ?2, updated_at = ?2, updated_by_import = ?3 WHERE uuid = ?1",
                        ident(&rt.name)
                    ),
                    params![uuid, now, self.id],
                )
                .map_err(backend)?;
            self.change(rt, &uuid, "deactivate", &before, &after)?;
        }
        Ok(())
    }

    fn undo(&mut self, rt: &RecordType, uuid: Uuid) -> Result<(), StoreError> {
        let uuid = uuid_text(&uuid);
        let t = ident(&rt.name);
        let removed = self
            .conn
            .execute(
                &format!("DELETE FROM {t} WHERE uuid = ?1 AND created_by_import = ?2"),
                params![uuid, self.id],
            )
            .map_err(backend)?;
        if removed > 0 {
            return Ok(());
        }
        let changes: Vec<(i64, String, Option<String>)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id, action, before FROM _intake_changes WHERE import_id = ?1 AND uuid = ?2 ORDER BY id DESC")
                .map_err(backend)?;
            stmt.query_map(params![self.id, uuid], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(backend)?
            .collect::<Result<_, _>>()
            .map_err(backend)?
        };
        for (id, action, before) in changes {
            let before = parse_values(before.as_deref());
            if action == "delete" {
                reinsert(&self.conn, &t, &before)?;
            } else {
                restore(&self.conn, &t, &uuid, &before)?;
            }
            self.conn
                .execute("DELETE FROM _intake_changes WHERE id = ?1", [id])
                .map_err(backend)?;
        }
        Ok(())
    }

    fn partial(&mut self) -> Result<(), StoreError> {
        self.partial = true;
        Ok(())
    }

    fn rejected(&mut self) -> Result<Vec<Rejected>, StoreError> {
        Ok(std::mem::take(&mut self.rejected))
    }

    fn add_options(&mut self, list: &str, codes: &[String]) -> Result<(), StoreError> {
        for c in codes {
            self.conn
                .execute(
                    "INSERT INTO _intake_options (list, code, import_id) VALUES (?1, ?2, ?3)
                     ON CONFLICT (list, code) DO NOTHING",
                    params![list, c, self.id],
                )
                .map_err(backend)?;
        }
        Ok(())
    }

    fn commit(mut self: Box<Self>, counts: &Counts, finished_at: &str) -> Result<i64, StoreError> {
        for (name, sql) in std::mem::take(&mut self.dropped) {
            self.conn
                .execute_batch(&sql)
                .map_err(|e| match backend(e) {
                    StoreError::Conflict(m) => StoreError::Conflict(format!("{m} (index {name})")),
                    other => other,
                })?;
        }
        self.conn
            .execute(
                "UPDATE _intake_imports SET status = 'completed', rows = ?2, created = ?3,
                   updated = ?4, unchanged = ?5, deleted = ?6, deactivated = ?7, skipped = ?8,
                   failed = ?9, finished_at = ?10 WHERE id = ?1",
                params![
                    self.id,
                    counts.rows as i64,
                    counts.created as i64,
                    counts.updated as i64,
                    counts.unchanged as i64,
                    counts.deleted as i64,
                    counts.deactivated as i64,
                    counts.skipped as i64,
                    counts.failed as i64,
                    finished_at
                ],
            )
            .map_err(backend)?;
        self.conn.execute_batch("COMMIT").map_err(backend)?;
        self.open = false;
        Ok(self.id)
    }
}
