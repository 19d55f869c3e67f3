//! The server's own database: users, sessions, workspaces, uploads, imports and their jobs,
//! audit. On SQLite (a file beside the workspace) or PostgreSQL (the schema `intake_server`
//! of the database the workspaces use), with one set of statements: parameters are written
//! `$1`, and the few words the two dialects spell differently are written `{now}` (the
//! database clock in milliseconds since 1970, which times leases) and `{skip_locked}`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use postgres::types::{ToSql, Type};

/// The schema holding the server's tables on PostgreSQL.
pub const PG_SCHEMA: &str = "intake_server";

/// Why the server's database failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// It cannot be opened or reached.
    #[error("cannot open the server database {location}: {message}")]
    Unavailable {
        /// Where it is (without a password).
        location: String,
        /// What the driver said.
        message: String,
    },
    /// A statement failed.
    #[error("server database error: {0}")]
    Query(String),
    /// A unique value is taken (a username, an idempotency key).
    #[error("already exists: {0}")]
    Duplicate(String),
    /// A column did not hold what the code expected.
    #[error("server database: column {0} holds an unexpected value")]
    Column(usize),
}

/// A value sent to or read from the database: the server's tables hold only integers
/// (times in milliseconds, counters, flags) and text (ids, JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// NULL.
    Null,
    /// A 64-bit integer.
    Int(i64),
    /// Text.
    Text(String),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Int(i64::from(v))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Self {
        Val::Text(v.clone())
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null, Into::into)
    }
}

/// One row of a result.
#[derive(Debug, Clone)]
pub struct Row(Vec<Val>);

impl Row {
    /// Column `i` as an integer.
    pub fn int(&self, i: usize) -> Result<i64, DbError> {
        match self.0.get(i) {
            Some(Val::Int(v)) => Ok(*v),
            _ => Err(DbError::Column(i)),
        }
    }
    /// Column `i` as an integer or NULL.
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, DbError> {
        match self.0.get(i) {
            Some(Val::Int(v)) => Ok(Some(*v)),
            Some(Val::Null) => Ok(None),
            _ => Err(DbError::Column(i)),
        }
    }
    /// Column `i` as text.
    pub fn text(&self, i: usize) -> Result<String, DbError> {
        match self.0.get(i) {
            Some(Val::Text(v)) => Ok(v.clone()),
            _ => Err(DbError::Column(i)),
        }
    }
    /// Column `i` as text or NULL.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        match self.0.get(i) {
            Some(Val::Text(v)) => Ok(Some(v.clone())),
            Some(Val::Null) => Ok(None),
            _ => Err(DbError::Column(i)),
        }
    }
    /// Column `i` as a flag (an integer, 0 = false).
    pub fn flag(&self, i: usize) -> Result<bool, DbError> {
        Ok(self.int(i)? != 0)
    }
}

/// The server's database.
pub enum Db {
    /// A SQLite file.
    Sqlite {
        /// The file.
        path: PathBuf,
        /// Idle connections.
        idle: Mutex<Vec<rusqlite::Connection>>,
    },
    /// PostgreSQL.
    Postgres {
        /// How to connect.
        config: Box<postgres::Config>,
        /// Idle connections (each with `search_path` set to [`PG_SCHEMA`]).
        idle: Mutex<Vec<postgres::Client>>,
    },
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Db::Sqlite { path, .. } => write!(f, "Db::Sqlite({})", path.display()),
            Db::Postgres { .. } => f.write_str("Db::Postgres"),
        }
    }
}

const NOW_SQLITE: &str = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
const NOW_POSTGRES: &str = "CAST(extract(epoch from clock_timestamp()) * 1000 AS bigint)";

fn sqlite_err(e: rusqlite::Error) -> DbError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e
        && f.extended_code
            == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    {
        return DbError::Duplicate(msg.clone().unwrap_or_default());
    }
    DbError::Query(e.to_string())
}

fn pg_err(e: postgres::Error) -> DbError {
    if let Some(db) = e.as_db_error()
        && *db.code() == postgres::error::SqlState::UNIQUE_VIOLATION
    {
        return DbError::Duplicate(db.message().to_string());
    }
    DbError::Query(e.to_string())
}

impl Db {
    /// Opens (creating) the SQLite file.
    pub fn open_sqlite(path: &Path) -> Result<Db, DbError> {
        if let Some(dir) = path.parent() {
            fs_err::create_dir_all(dir).map_err(|e| DbError::Unavailable {
                location: path.display().to_string(),
                message: e.to_string(),
            })?;
        }
        let db = Db::Sqlite {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
        };
        db.execute_batch(SCHEMA)?;
        Ok(db)
    }

    /// Connects to PostgreSQL at `url`, creating the schema [`PG_SCHEMA`] and its tables.
    pub fn open_postgres(url: &str) -> Result<Db, DbError> {
        let (url, _) = intake_postgres::split_schema(url);
        let config: postgres::Config =
            url.parse()
                .map_err(|e: postgres::Error| DbError::Unavailable {
                    location: intake_postgres::redact(&url),
                    message: e.to_string(),
                })?;
        let db = Db::Postgres {
            config: Box::new(config),
            idle: Mutex::new(Vec::new()),
        };
        db.execute_batch(SCHEMA)?;
        Ok(db)
    }

    fn rewrite(&self, sql: &str) -> String {
        match self {
            Db::Sqlite { .. } => {
                let s = sql
                    .replace("{now}", NOW_SQLITE)
                    .replace("{skip_locked}", "");
                // `$1` -> `?1`: SQLite numbers `$NAME` parameters in order of appearance.
                let mut out = String::with_capacity(s.len());
                let mut chars = s.chars().peekable();
                while let Some(c) = chars.next() {
                    if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                        out.push('?');
                    } else {
                        out.push(c);
                    }
                }
                out
            }
            Db::Postgres { .. } => sql
                .replace("{now}", NOW_POSTGRES)
                .replace("{skip_locked}", "FOR UPDATE SKIP LOCKED"),
        }
    }

    fn sqlite(&self, path: &Path) -> Result<rusqlite::Connection, DbError> {
        let unavailable = |e: rusqlite::Error| DbError::Unavailable {
            location: path.display().to_string(),
            message: e.to_string(),
        };
        let conn = rusqlite::Connection::open(path).map_err(unavailable)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(unavailable)?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(unavailable)?;
        Ok(conn)
    }

    fn postgres(&self, config: &postgres::Config) -> Result<postgres::Client, DbError> {
        let mut client = config
            .connect(postgres::NoTls)
            .map_err(|e| DbError::Unavailable {
                location: format!("{:?}", config.get_hosts()),
                message: e.to_string(),
            })?;
        client
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}; SET search_path TO {PG_SCHEMA}"
            ))
            .map_err(pg_err)?;
        Ok(client)
    }

    /// Runs statements without parameters (the schema).
    fn execute_batch(&self, sql: &str) -> Result<(), DbError> {
        let sql = self.rewrite(sql);
        match self {
            Db::Sqlite { path, idle } => {
                let conn = self.sqlite(path)?;
                conn.execute_batch(&sql).map_err(sqlite_err)?;
                lock(idle).push(conn);
            }
            Db::Postgres { config, idle } => {
                let mut client = self.postgres(config)?;
                // Two servers starting at once both create the tables: one waits for the other.
                client
                    .batch_execute(&format!(
                        "BEGIN; SELECT pg_advisory_xact_lock(7210); {sql}; COMMIT"
                    ))
                    .map_err(pg_err)?;
                lock(idle).push(client);
            }
        }
        Ok(())
    }

    /// Runs a statement, returning the number of rows changed.
    pub fn execute(&self, sql: &str, params: &[Val]) -> Result<u64, DbError> {
        self.run(sql, params, false).map(|(n, _)| n)
    }

    /// Runs a query (or a statement with `RETURNING`).
    pub fn query(&self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
        self.run(sql, params, true).map(|(_, rows)| rows)
    }

    /// The first row of a query, if any.
    pub fn query_opt(&self, sql: &str, params: &[Val]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Whether the database answers.
    pub fn ping(&self) -> Result<(), DbError> {
        self.query("SELECT 1", &[]).map(|_| ())
    }

    fn run(&self, sql: &str, params: &[Val], rows: bool) -> Result<(u64, Vec<Row>), DbError> {
        let sql = self.rewrite(sql);
        match self {
            Db::Sqlite { path, idle } => {
                let taken = lock(idle).pop();
                let conn = match taken {
                    Some(c) => c,
                    None => self.sqlite(path)?,
                };
                let out = sqlite_run(&conn, &sql, params, rows);
                lock(idle).push(conn);
                out
            }
            Db::Postgres { config, idle } => {
                let taken = lock(idle).pop();
                let mut client = match taken {
                    Some(c) if !c.is_closed() => c,
                    _ => self.postgres(config)?,
                };
                let out = pg_run(&mut client, &sql, params, rows);
                if !client.is_closed() {
                    lock(idle).push(client);
                }
                out
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn sqlite_run(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Val],
    rows: bool,
) -> Result<(u64, Vec<Row>), DbError> {
    let mut stmt = conn.prepare_cached(sql).map_err(sqlite_err)?;
    let values: Vec<rusqlite::types::Value> = params
        .iter()
        .map(|v| match v {
            Val::Null => rusqlite::types::Value::Null,
            Val::Int(i) => rusqlite::types::Value::Integer(*i),
            Val::Text(t) => rusqlite::types::Value::Text(t.clone()),
        })
        .collect();
    if !rows {
        let n = stmt
            .execute(rusqlite::params_from_iter(values))
            .map_err(sqlite_err)?;
        return Ok((n as u64, Vec::new()));
    }
    let columns = stmt.column_count();
    let mut out = Vec::new();
    let mut result = stmt
        .query(rusqlite::params_from_iter(values))
        .map_err(sqlite_err)?;
    while let Some(r) = result.next().map_err(sqlite_err)? {
        let mut row = Vec::with_capacity(columns);
        for i in 0..columns {
            row.push(match r.get_ref(i).map_err(sqlite_err)? {
                rusqlite::types::ValueRef::Integer(v) => Val::Int(v),
                rusqlite::types::ValueRef::Text(t) => {
                    Val::Text(String::from_utf8_lossy(t).into_owned())
                }
                rusqlite::types::ValueRef::Real(f) => Val::Int(f as i64),
                rusqlite::types::ValueRef::Null | rusqlite::types::ValueRef::Blob(_) => Val::Null,
            });
        }
        out.push(Row(row));
    }
    let n = out.len() as u64;
    Ok((n, out))
}

fn pg_run(
    client: &mut postgres::Client,
    sql: &str,
    params: &[Val],
    rows: bool,
) -> Result<(u64, Vec<Row>), DbError> {
    let stmt = client.prepare(sql).map_err(pg_err)?;
    // Each value is sent as the type PostgreSQL inferred for its parameter.
    let mut owned: Vec<Box<dyn ToSql + Sync>> = Vec::with_capacity(params.len());
    for (v, ty) in params.iter().zip(stmt.params()) {
        let b: Box<dyn ToSql + Sync> = match (v, ty) {
            (Val::Null, t) if *t == Type::INT8 => Box::new(None::<i64>),
            (Val::Null, t) if *t == Type::INT4 => Box::new(None::<i32>),
            (Val::Null, t) if *t == Type::BOOL => Box::new(None::<bool>),
            (Val::Null, _) => Box::new(None::<String>),
            (Val::Int(i), t) if *t == Type::INT4 => {
                Box::new(i32::try_from(*i).map_err(|e| DbError::Query(e.to_string()))?)
            }
            (Val::Int(i), t) if *t == Type::BOOL => Box::new(*i != 0),
            (Val::Int(i), t) if *t == Type::TEXT || *t == Type::VARCHAR => Box::new(i.to_string()),
            (Val::Int(i), _) => Box::new(*i),
            (Val::Text(s), _) => Box::new(s.clone()),
        };
        owned.push(b);
    }
    let refs: Vec<&(dyn ToSql + Sync)> = owned.iter().map(|b| b.as_ref()).collect();
    if !rows {
        let n = client.execute(&stmt, &refs).map_err(pg_err)?;
        return Ok((n, Vec::new()));
    }
    let result = client.query(&stmt, &refs).map_err(pg_err)?;
    let mut out = Vec::with_capacity(result.len());
    for r in &result {
        let mut row = Vec::with_capacity(r.len());
        for (i, c) in r.columns().iter().enumerate() {
            let t = c.type_();
            let v = if *t == Type::INT8 {
                r.try_get::<_, Option<i64>>(i)
                    .map_err(pg_err)?
                    .map(Val::Int)
            } else if *t == Type::INT4 {
                r.try_get::<_, Option<i32>>(i)
                    .map_err(pg_err)?
                    .map(|v| Val::Int(i64::from(v)))
            } else if *t == Type::BOOL {
                r.try_get::<_, Option<bool>>(i)
                    .map_err(pg_err)?
                    .map(|v| Val::Int(i64::from(v)))
            } else {
                r.try_get::<_, Option<String>>(i)
                    .map_err(pg_err)?
                    .map(Val::Text)
            };
            row.push(v.unwrap_or(Val::Null));
        }
        out.push(Row(row));
    }
    let n = out.len() as u64;
    Ok((n, out))
}

/// The server's tables. Times are milliseconds since 1970 (UTC); flags are 0 or 1; JSON is
/// text.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  email TEXT,
  password_hash TEXT,
  server_admin BIGINT NOT NULL DEFAULT 0,
  disabled BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS memberships (
  user_id TEXT NOT NULL,
  workspace TEXT NOT NULL,
  role TEXT NOT NULL,
  PRIMARY KEY (user_id, workspace)
);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  csrf TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT
);
CREATE TABLE IF NOT EXISTS workspaces (
  name TEXT PRIMARY KEY,
  schema_toml TEXT NOT NULL,
  location TEXT NOT NULL,
  settings TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY,
  workspace TEXT NOT NULL,
  user_id TEXT NOT NULL,
  file_name TEXT NOT NULL,
  size BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS imports (
  id TEXT PRIMARY KEY,
  workspace TEXT NOT NULL,
  record_type TEXT NOT NULL,
  upload_id TEXT NOT NULL,
  file_name TEXT NOT NULL,
  status TEXT NOT NULL,
  mapping TEXT NOT NULL,
  options TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  create_key TEXT,
  submit_key TEXT,
  rows_total BIGINT,
  rows_done BIGINT NOT NULL DEFAULT 0,
  queued_at BIGINT,
  lease_owner TEXT,
  lease_until BIGINT,
  attempts BIGINT NOT NULL DEFAULT 0,
  cancel_requested BIGINT NOT NULL DEFAULT 0,
  mute BIGINT NOT NULL DEFAULT 0,
  removals_allowed BIGINT NOT NULL DEFAULT 0,
  store_import_id BIGINT,
  counts TEXT,
  validation TEXT,
  message TEXT,
  files TEXT NOT NULL DEFAULT '{}',
  started_at BIGINT,
  finished_at BIGINT
);
CREATE UNIQUE INDEX IF NOT EXISTS imports_create_key ON imports (workspace, create_key);
CREATE INDEX IF NOT EXISTS imports_queue ON imports (status, queued_at);
CREATE TABLE IF NOT EXISTS audit (
  id TEXT PRIMARY KEY,
  import_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  user_id TEXT,
  action TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_import ON audit (import_id, at);
CREATE TABLE IF NOT EXISTS remembered_mappings (
  workspace TEXT NOT NULL,
  record_type TEXT NOT NULL,
  mapping TEXT NOT NULL,
  PRIMARY KEY (workspace, record_type)
)";
