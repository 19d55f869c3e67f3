//! `intake types`: the record types of the workspace.

use serde_json::json;

use crate::args::{Global, TypesArgs};
use crate::render::{plural, table};
use crate::{Outcome, workspace};

pub fn run(global: &Global, args: &TypesArgs) -> anyhow::Result<Outcome> {
    let ws = workspace::load(&global.workspace)?;
    let s = &ws.schema;
    if args.json {
        let types: Vec<_> = s
            .types
            .iter()
            .map(|t| {
                json!({
                    "name": t.name,
                    "label": t.label,
                    "description": t.description,
                    "fields": t.fields.len(),
                    "required": t.fields.iter().filter(|f| f.required).map(|f| f.name.as_str()).collect::<Vec<_>>(),
                    "natural_keys": t.natural_keys,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "workspace": s.name, "types": types }))?
        );
        return Ok(Outcome::Ok);
    }
    let rows: Vec<Vec<String>> = s
        .types
        .iter()
        .map(|t| {
            let keys: Vec<String> = t
                .natural_keys
                .iter()
                .map(|k| {
                    k.iter()
                        .map(|f| f.to_string())
                        .collect::<Vec<_>>()
                        .join("+")
                })
                .collect();
            vec![
                t.name.clone(),
                t.label.clone(),
                plural(t.fields.len() as u64, "field"),
                if keys.is_empty() {
                    "uuid".into()
                } else {
                    format!("uuid, {}", keys.join(", "))
                },
                t.description.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(&["TYPE", "LABEL", "FIELDS", "KEYS", "DESCRIPTION"], &rows)
    );
    Ok(Outcome::Ok)
}
