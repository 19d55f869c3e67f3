//! Loading the workspace: its folder and its schema file.

use std::path::Path;

use anyhow::{Context, bail};
use intake_core::schema::Schema;

/// The schema file of a workspace.
pub const SCHEMA_FILE: &str = "intake.toml";

/// A loaded workspace.
#[derive(Debug)]
pub struct Workspace {
    /// Its schema.
    pub schema: Schema,
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
    Ok(Workspace { schema })
}
