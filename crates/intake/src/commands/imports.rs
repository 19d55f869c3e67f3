//! `intake imports [list | show ID | revert ID]`: the record of every import, and undo.

use anyhow::anyhow;
use intake_core::plan::shown;
use intake_store::{ImportRecord, Store, StoreError};
use serde_json::json;

use crate::args::{Global, ImportsAction, ImportsArgs};
use crate::render::{cell, count, plural, print_json, table};
use crate::{Outcome, workspace};

pub fn run(global: &Global, args: &ImportsArgs) -> anyhow::Result<Outcome> {
    let mut ws = workspace::load(&global.workspace)?;
    let store = ws.store(global.database.as_deref())?;
    match args.action.as_ref().unwrap_or(&ImportsAction::List) {
        ImportsAction::List => {
            let imports = store.imports()?;
            if args.json {
                print_json(&json!(imports))?;
            } else if imports.is_empty() {
                eprintln!("no imports yet\nhint: `intake import TYPE FILE` imports a file");
            } else {
                let rows: Vec<Vec<String>> = imports.iter().map(summary_row).collect();
                println!(
                    "{}",
                    table(
                        &[
                            "id",
                            "type",
                            "file",
                            "status",
                            "started",
                            "created",
                            "updated",
                            "unchanged",
                            "deleted",
                            "failed"
                        ],
                        &rows
                    )
                );
            }
        }
        ImportsAction::Show { id, limit } => {
            let import = store.import(*id)?;
            let changes = store.changes(&ws.schema, *id, *limit)?;
            if args.json {
                print_json(&json!({"import": import, "changes": changes}))?;
            } else {
                let c = &import.counts;
                println!(
                    "import {}: {} from `{}`",
                    import.id, import.record_type, import.file_name
                );
                println!("status:   {}", import.status.as_str());
                println!("started:  {}", import.started_at);
                if let Some(f) = &import.finished_at {
                    println!("finished: {f}");
                }
                if let Some(r) = &import.reverted_at {
                    println!("reverted: {r}");
                }
                if let Some(m) = &import.message {
                    println!("message:  {m}");
                }
                println!("options:  {}", import.options);
                println!(
                    "counts:   {} rows, {} created, {} updated, {} unchanged, {} deleted, {} deactivated, {} failed",
                    count(c.rows),
                    count(c.created),
                    count(c.updated),
                    count(c.unchanged),
                    count(c.deleted),
                    count(c.deactivated),
                    count(c.failed)
                );
                if !changes.is_empty() {
                    println!("changes (first {}):", changes.len());
                    for ch in &changes {
                        let fields: Vec<String> = ch
                            .fields
                            .iter()
                            .map(|(f, b, a)| match ch.action.as_str() {
                                "created" => format!("{f} = `{}`", cell(&shown(a), 40)),
                                "deleted" => format!("{f} was `{}`", cell(&shown(b), 40)),
                                _ => format!(
                                    "{f}: `{}` -> `{}`",
                                    cell(&shown(b), 40),
                                    cell(&shown(a), 40)
                                ),
                            })
                            .collect();
                        println!(
                            "  {} {} {}: {}",
                            ch.action,
                            ch.record_type,
                            ch.uuid,
                            fields.join(", ")
                        );
                    }
                }
            }
        }
        ImportsAction::Revert { id } => {
            let now = super::import::now();
            match store.revert(&ws.schema, *id, &now) {
                Ok(c) => {
                    if args.json {
                        print_json(&json!({"import": id, "reverted": c}))?;
                    } else {
                        println!(
                            "import {id} reverted: {} removed, {} restored, {} put back, {} reactivated",
                            plural(c.removed, "created record"),
                            plural(c.restored, "updated record"),
                            plural(c.undeleted, "deleted record"),
                            plural(c.reactivated, "deactivated record"),
                        );
                    }
                }
                Err(StoreError::RevertConflict { import, conflicts }) => {
                    let mut msg = format!(
                        "import {import} cannot be reverted: later imports changed {} of its records; nothing was changed",
                        conflicts.len()
                    );
                    for c in conflicts.iter().take(20) {
                        msg.push_str(&format!(
                            "\n  {} {} was changed by import {}",
                            c.record_type, c.uuid, c.by_import
                        ));
                    }
                    if conflicts.len() > 20 {
                        msg.push_str(&format!("\n  ... and {} more", conflicts.len() - 20));
                    }
                    msg.push_str("\nhint: revert the later imports first (newest first)");
                    return Err(anyhow!(msg));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(Outcome::Ok)
}

fn summary_row(i: &ImportRecord) -> Vec<String> {
    let c = &i.counts;
    vec![
        i.id.to_string(),
        i.record_type.clone(),
        cell(&i.file_name, 30),
        i.status.as_str().to_string(),
        i.started_at.clone(),
        count(c.created),
        count(c.updated),
        count(c.unchanged),
        count(c.deleted),
        count(c.failed),
    ]
}
