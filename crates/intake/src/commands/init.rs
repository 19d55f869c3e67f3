//! `intake init [DIR] [--demo NAME]`: create a workspace.

use anyhow::{Context, bail};
use intake_core::demo;
use intake_core::schema::Schema;

use crate::Outcome;
use crate::args::{Global, InitArgs};
use crate::workspace::SCHEMA_FILE;

/// The schema written by `intake init` without `--demo`: one small record type to edit.
const STARTER: &str = include_str!("../starter.toml");

pub fn run(global: &Global, args: &InitArgs) -> anyhow::Result<Outcome> {
    let (source, what) = match &args.demo {
        Some(name) => {
            let d = demo::demo(name).with_context(|| format!("there is no demo `{name}`"))?;
            (d.source, format!("the `{name}` demo ({})", d.summary))
        }
        None => (STARTER, "a starter schema with one record type".to_string()),
    };
    // Never write a schema that does not load.
    Schema::from_toml(SCHEMA_FILE, source).context("the schema to write does not load")?;
    let path = args.dir.join(SCHEMA_FILE);
    if path.exists() && !args.force {
        bail!(
            "`{}` already exists; nothing was changed\nhint: pass --force to overwrite it, or choose another folder",
            path.display()
        );
    }
    fs_err::create_dir_all(&args.dir)?;
    fs_err::write(&path, source)?;
    let mut ws = crate::workspace::load(&args.dir)?;
    ws.store(global.database.as_deref())?;
    eprintln!(
        "created `{}` with {what}, and its database `{}`",
        path.display(),
        crate::workspace::database(&args.dir, global.database.as_deref())?
    );
    let ws = if args.dir.as_os_str() == "." {
        String::new()
    } else {
        format!(" --workspace {}", args.dir.display())
    };
    eprintln!(
        "next: `intake{ws} types` lists the record types, `intake{ws} template TYPE -o FILE.csv` writes a template"
    );
    Ok(Outcome::Ok)
}
