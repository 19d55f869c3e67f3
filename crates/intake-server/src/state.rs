//! The running server's state: its configuration, its database, the workspaces (schema and
//! store, loaded once and cached), and where files are kept ([`Storage`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use intake_core::schema::Schema;
use intake_postgres::PostgresStore;
use intake_sqlite::SqliteStore;
use intake_store::{Store, StoreError};

use crate::control::{Control, Settings};
use crate::db::{Db, DbError};
use crate::storage::{S3Config, Storage, StorageError};

/// The schema file of a workspace folder.
pub const SCHEMA_FILE: &str = "intake.toml";

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The workspace folder the server starts in: its workspace is served, and the server
    /// keeps its own database and files under `.intake/` there.
    pub home: PathBuf,
    /// A PostgreSQL URL: the server's tables and every workspace live there. `None`: SQLite
    /// files under `home`.
    pub database: Option<String>,
    /// Where uploads and result files are kept (default `home/.intake/files`); with
    /// `storage`, only the cache of files fetched from the bucket.
    pub files: PathBuf,
    /// An S3-compatible bucket that keeps uploads and result files instead of `files`.
    pub storage: Option<S3Config>,
    /// The largest upload accepted, in bytes.
    pub max_upload_bytes: u64,
    /// How long a worker holds an import between renewals.
    pub lease: Duration,
    /// Session cookies carry `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// SMTP server for notification mail: `smtp://host:port` (none: no mail).
    pub smtp: Option<String>,
    /// The sender of notification mail.
    pub mail_from: String,
    /// The server's public address, for links in notifications.
    pub public_url: Option<String>,
    /// Engine worker threads per import (0: one per core).
    pub threads: usize,
}

impl Config {
    /// The lease in milliseconds, as the database clock counts it (at most a year, so that
    /// adding it to the clock cannot overflow).
    pub fn lease_ms(&self) -> i64 {
        const YEAR_MS: i64 = 365 * 24 * 3600 * 1000;
        i64::try_from(self.lease.as_millis()).map_or(YEAR_MS, |ms| ms.min(YEAR_MS))
    }

    /// The defaults for a workspace folder.
    pub fn new(home: &Path) -> Config {
        Config {
            home: home.to_path_buf(),
            database: None,
            files: home.join(".intake").join("files"),
            storage: None,
            max_upload_bytes: 1 << 30,
            lease: Duration::from_secs(30),
            secure_cookies: false,
            smtp: None,
            mail_from: "intake@localhost".into(),
            public_url: None,
            threads: 0,
        }
    }
}

/// Why the server cannot do something (not a client's mistake: see [`crate::api::ApiError`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The server's database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A workspace's store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A workspace's schema does not load.
    #[error("the schema of workspace `{workspace}` does not load: {message}")]
    Schema {
        /// The workspace.
        workspace: String,
        /// Why.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Uploads or result files could not be stored or fetched.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Anything else, said plainly.
    #[error("{0}")]
    Other(String),
}

/// A loaded workspace.
pub struct Workspace {
    /// Its name.
    pub name: String,
    /// Its schema, with the options imports added.
    pub schema: Schema,
    /// Its records.
    pub store: Box<dyn Store>,
    /// Its settings.
    pub settings: Settings,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("name", &self.name)
            .finish()
    }
}

/// The server's state, shared by requests and workers.
#[derive(Debug)]
pub struct App {
    /// Configuration.
    pub config: Config,
    /// The server's records.
    pub control: Control,
    /// Where uploads and result files are kept.
    pub storage: Storage,
    workspaces: RwLock<HashMap<String, Arc<Workspace>>>,
}

/// A workspace's name from a folder name: lowercase letters, digits and `_`.
pub fn workspace_name(folder: &str) -> String {
    intake_postgres::schema_name_for(folder)
}

impl App {
    /// Opens the server's database.
    pub fn open(config: Config) -> Result<App, ServerError> {
        let db = match &config.database {
            Some(url) => Db::open_postgres(url)?,
            None => Db::open_sqlite(&config.home.join(".intake").join("server.db"))?,
        };
        let storage = Storage::open(&config.files, config.storage.as_ref())?;
        Ok(App {
            config,
            control: Control { db },
            storage,
            workspaces: RwLock::new(HashMap::new()),
        })
    }

    /// Where a workspace's records are, for a new workspace in `dir` named `name`.
    pub fn location_for(&self, name: &str, dir: &Path) -> String {
        match &self.config.database {
            Some(_) => format!("postgres:{name}"),
            None => format!("sqlite:{}", dir.join("intake.db").display()),
        }
    }

    /// A workspace, loaded on first use.
    pub fn workspace(&self, name: &str) -> Result<Option<Arc<Workspace>>, ServerError> {
        if let Some(w) = self
            .workspaces
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(name)
        {
            return Ok(Some(w.clone()));
        }
        let Some(row) = self.control.workspace(name)? else {
            return Ok(None);
        };
        let mut schema = Schema::from_toml(&format!("{name}/{SCHEMA_FILE}"), &row.schema_toml)
            .map_err(|e| ServerError::Schema {
                workspace: name.to_string(),
                message: e.to_string(),
            })?;
        let store: Box<dyn Store> = match row.location.split_once(':') {
            Some(("sqlite", path)) => Box::new(SqliteStore::open(Path::new(path))?),
            Some(("postgres", schema_name)) => {
                let url = self.config.database.as_deref().ok_or_else(|| {
                    ServerError::Other(format!(
                        "workspace `{name}` lives in PostgreSQL: start the server with --database postgres://..."
                    ))
                })?;
                Box::new(PostgresStore::open(url, schema_name)?)
            }
            _ => {
                return Err(ServerError::Other(format!(
                    "workspace `{name}` has an unknown location `{}`",
                    row.location
                )));
            }
        };
        store.migrate(&schema)?;
        schema.add_options(&store.added_options()?);
        let w = Arc::new(Workspace {
            name: name.to_string(),
            schema,
            store,
            settings: row.settings,
        });
        self.workspaces
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.to_string(), w.clone());
        Ok(Some(w))
    }

    /// Drops a cached workspace, so the next use reloads it (new options, new settings).
    pub fn forget(&self, name: &str) {
        self.workspaces
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(name);
    }
}

/// What the first start did.
#[derive(Debug, Clone, Default)]
pub struct Bootstrap {
    /// The workspace registered from the home folder.
    pub workspace: String,
    /// A demo schema was written because the folder had none.
    pub demo_created: bool,
    /// The first user (admin) and its generated password, shown once.
    pub admin: Option<(String, String)>,
}

/// Registers the home folder's workspace (writing the `crm` demo schema into an empty
/// folder) and, on a server without users, creates `admin` with a generated password.
pub fn bootstrap(app: &App) -> Result<Bootstrap, ServerError> {
    let demo_created = !app.config.home.join(SCHEMA_FILE).exists();
    let name = bootstrap_workspace(app)?;
    let mut admin = None;
    if app.control.user_count()? == 0 {
        let password = crate::auth::random_password();
        let hash =
            crate::auth::hash_password(&password).map_err(|e| ServerError::Other(e.to_string()))?;
        app.control.create_user("admin", None, Some(&hash), true)?;
        admin = Some(("admin".to_string(), password));
    }
    Ok(Bootstrap {
        workspace: name,
        demo_created,
        admin,
    })
}

/// Registers the home folder's workspace, writing the `crm` demo schema into a folder
/// without one; returns its name.
pub fn bootstrap_workspace(app: &App) -> Result<String, ServerError> {
    let home = &app.config.home;
    fs_err::create_dir_all(home)?;
    let path = home.join(SCHEMA_FILE);
    if !path.exists() {
        let demo = intake_core::demo::demo("crm")
            .ok_or_else(|| ServerError::Other("the crm demo is missing".into()))?;
        fs_err::write(&path, demo.source)?;
    }
    let toml = fs_err::read_to_string(&path)?;
    let folder = fs_err::canonicalize(home)?
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = workspace_name(&folder);
    let location = app.location_for(&name, home);
    app.control.put_workspace(&name, &toml, &location)?;
    app.forget(&name);
    // Load it now: a schema that does not load stops the start, with its message.
    app.workspace(&name)?;
    Ok(name)
}
