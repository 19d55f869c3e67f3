//! Loading the workspace: its folder and its schema file.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use intake_core::schema::Schema;
use intake_postgres::PostgresStore;
use intake_sqlite::SqliteStore;
use intake_store::{
    Change, Counts, ImportRecord, ImportTransaction, Migration, NewImport, ReadSession,
    RevertCounts, Store, StoreError,
};

/// The schema file of a workspace.
pub const SCHEMA_FILE: &str = "intake.toml";

/// The database file of a workspace.
pub const DATABASE_FILE: &str = "intake.db";

/// A loaded workspace.
#[derive(Debug)]
pub struct Workspace {
    /// Its schema.
    pub schema: Schema,
    /// Its folder.
    pub dir: PathBuf,
}

/// The store of a workspace, whichever backend holds it.
pub struct WorkspaceStore(Box<dyn Store>);

impl std::fmt::Debug for WorkspaceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WorkspaceStore")
    }
}

impl Store for WorkspaceStore {
    fn migrate(&self, schema: &Schema) -> Result<Migration, StoreError> {
        self.0.migrate(schema)
    }

    fn read(&self) -> Result<Box<dyn ReadSession + '_>, StoreError> {
        self.0.read()
    }

    fn begin_import(
        &self,
        schema: &Schema,
        import: &NewImport,
    ) -> Result<Box<dyn ImportTransaction + '_>, StoreError> {
        self.0.begin_import(schema, import)
    }

    fn record_failed_import(
        &self,
        import: &NewImport,
        counts: &Counts,
        message: &str,
        finished_at: &str,
    ) -> Result<i64, StoreError> {
        self.0
            .record_failed_import(import, counts, message, finished_at)
    }

    fn imports(&self) -> Result<Vec<ImportRecord>, StoreError> {
        self.0.imports()
    }

    fn import(&self, id: i64) -> Result<ImportRecord, StoreError> {
        self.0.import(id)
    }

    fn import_by_job(&self, job: &str) -> Result<Option<ImportRecord>, StoreError> {
        self.0.import_by_job(job)
    }

    fn changes(&self, schema: &Schema, id: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        self.0.changes(schema, id, limit)
    }

    fn revert(&self, schema: &Schema, id: i64, now: &str) -> Result<RevertCounts, StoreError> {
        self.0.revert(schema, id, now)
    }

    fn added_options(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.0.added_options()
    }
}

/// The database a command works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A schema of a PostgreSQL database.
    Postgres {
        /// The connection URL (without `schema=`).
        url: String,
        /// The workspace's schema.
        schema: String,
    },
}

impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(p) => write!(f, "{}", p.display()),
            Database::Postgres { url, schema } => {
                // The password never reaches the terminal.
                let shown = match url.split_once("://").and_then(|(scheme, rest)| {
                    let (userinfo, host) = rest.split_once('@')?;
                    let (user, _) = userinfo.split_once(':')?;
                    Some(format!("{scheme}://{user}:***@{host}"))
                }) {
                    Some(s) => s,
                    None => url.clone(),
                };
                write!(f, "{shown} (schema {schema})")
            }
        }
    }
}

/// Where the database is: `--database sqlite://PATH` or `postgres://...`, else
/// `DIR/intake.db`. On PostgreSQL the workspace's tables live in a schema named after the
/// workspace's folder, unless the URL says `?schema=NAME`.
pub fn database(dir: &Path, url: Option<&str>) -> anyhow::Result<Database> {
    match url {
        None => Ok(Database::Sqlite(dir.join(DATABASE_FILE))),
        Some(u) => match u.strip_prefix("sqlite://") {
            Some(p) => Ok(Database::Sqlite(PathBuf::from(p))),
            None if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                let (url, schema) = intake_postgres::split_schema(u);
                let schema = match schema {
                    Some(s) if !s.is_empty() => s,
                    _ => {
                        let folder = fs_err::canonicalize(dir)
                            .ok()
                            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
                            .unwrap_or_default();
                        intake_postgres::schema_name_for(&folder)
                    }
                };
                Ok(Database::Postgres { url, schema })
            }
            None => bail!(
                "--database `{u}` is not a database URL\nhint: write sqlite://PATH or postgres://USER@HOST:PORT/DATABASE"
            ),
        },
    }
}

impl Workspace {
    /// Opens the workspace's database, creating or migrating its tables to the schema, and
    /// adds the options earlier imports created to the schema's lists.
    pub fn store(&mut self, url: Option<&str>) -> anyhow::Result<WorkspaceStore> {
        let db = database(&self.dir, url)?;
        let store: Box<dyn Store> = match &db {
            Database::Sqlite(path) => Box::new(
                SqliteStore::open(path)
                    .with_context(|| format!("cannot open the database `{db}`"))?,
            ),
            Database::Postgres { url, schema } => Box::new(
                PostgresStore::open(url, schema)
                    .with_context(|| format!("cannot open the database `{db}`"))?,
            ),
        };
        store
            .migrate(&self.schema)
            .with_context(|| format!("cannot bring `{db}` up to the schema"))?;
        self.schema.add_options(&store.added_options()?);
        Ok(WorkspaceStore(store))
    }
}

/// Loads the workspace in `dir`.
pub fn load(dir: &Path) -> anyhow::Result<Workspace> {
    let path = dir.join(SCHEMA_FILE);
    if !path.exists() {
        bail!(
            "no workspace in `{}`: there is no {SCHEMA_FILE}\nhint: create one with `intake init --demo crm` (or pass --workspace DIR)",
            dir.display()
        );
    }
    let source = fs_err::read_to_string(&path)?;
    let schema = Schema::from_toml(&path.display().to_string(), &source)
        .with_context(|| format!("cannot load the schema `{}`", path.display()))?;
    Ok(Workspace {
        schema,
        dir: dir.to_path_buf(),
    })
}
