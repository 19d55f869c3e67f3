//! Loading the workspace: its folder and its schema file.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use intake_core::schema::{LookupOption, Schema};
use intake_sqlite::SqliteStore;
use intake_store::Store;

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

/// Where the database is: `--database sqlite://PATH`, else `DIR/intake.db`.
pub fn database_path(dir: &Path, url: Option<&str>) -> anyhow::Result<PathBuf> {
    match url {
        None => Ok(dir.join(DATABASE_FILE)),
        Some(u) => match u.strip_prefix("sqlite://") {
            Some(p) => Ok(PathBuf::from(p)),
            None if u.starts_with("postgres://") || u.starts_with("postgresql://") => bail!(
                "PostgreSQL databases are not supported by this build yet\nhint: use sqlite://PATH, or leave --database out to use {DATABASE_FILE} in the workspace"
            ),
            None => bail!("--database `{u}` is not a database URL\nhint: write sqlite://PATH"),
        },
    }
}

impl Workspace {
    /// Opens the workspace's database, creating or migrating its tables to the schema, and
    /// adds the options earlier imports created to the schema's lists.
    pub fn store(&mut self, url: Option<&str>) -> anyhow::Result<SqliteStore> {
        let path = database_path(&self.dir, url)?;
        let store = SqliteStore::open(&path)
            .with_context(|| format!("cannot open the database `{}`", path.display()))?;
        store
            .migrate(&self.schema)
            .with_context(|| format!("cannot bring `{}` up to the schema", path.display()))?;
        for (list, code) in store.added_options()? {
            if let Some(l) = self.schema.lists.get(&list)
                && l.find(&code).is_none()
            {
                let mut options = l.options.clone();
                options.push(LookupOption {
                    code: code.clone(),
                    label: code,
                });
                let rebuilt = intake_core::schema::LookupList::new(
                    l.name.clone(),
                    l.case_insensitive,
                    options,
                    l.separator,
                );
                self.schema.lists.insert(list, rebuilt);
            }
        }
        Ok(store)
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
