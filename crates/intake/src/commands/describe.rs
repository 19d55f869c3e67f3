//! `intake describe TYPE`: what each column of the template expects.

use intake_core::describe::{describe, table_schema};
use intake_engine::validate::record_type;

use crate::args::{DescribeArgs, DescribeFormat, Global};
use crate::render::table;
use crate::{Outcome, workspace};

/// Allowed values shown inline before the list is cut.
const SHOWN_VALUES: usize = 12;

pub fn run(global: &Global, args: &DescribeArgs) -> anyhow::Result<Outcome> {
    let ws = workspace::load(&global.workspace)?;
    let schema = &ws.schema;
    let rt = record_type(schema, &args.record_type)?;
    let format = if args.json {
        DescribeFormat::Json
    } else {
        args.format
    };
    match format {
        DescribeFormat::TableSchema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&table_schema(schema, rt))?
            );
        }
        DescribeFormat::Json => {
            let doc = serde_json::json!({
                "type": rt.name,
                "label": rt.label,
                "description": rt.description,
                "columns": describe(schema, rt),
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
        DescribeFormat::Text => {
            println!("{} ({})", rt.label, rt.name);
            if !rt.description.is_empty() {
                println!("{}", rt.description);
            }
            println!();
            let cols = describe(schema, rt);
            let rows: Vec<Vec<String>> = cols
                .iter()
                .map(|c| {
                    let mut format = c.format.clone();
                    if !c.allowed.is_empty() {
                        let shown: Vec<&str> = c
                            .allowed
                            .iter()
                            .take(SHOWN_VALUES)
                            .map(String::as_str)
                            .collect();
                        let more = c.allowed.len().saturating_sub(SHOWN_VALUES);
                        format.push_str(&format!(": {}", shown.join(", ")));
                        if more > 0 {
                            format.push_str(&format!(" and {more} more (see --json)"));
                        }
                    }
                    vec![
                        c.header.clone(),
                        c.type_name.clone(),
                        if c.required {
                            "required".into()
                        } else {
                            String::new()
                        },
                        c.unique.clone(),
                        format,
                    ]
                })
                .collect();
            print!(
                "{}",
                table(
                    &[
                        "COLUMN",
                        "TYPE",
                        "REQUIRED",
                        "UNIQUE",
                        "FORMAT AND ALLOWED VALUES"
                    ],
                    &rows
                )
            );
            let helps: Vec<_> = cols.iter().filter(|c| !c.help.is_empty()).collect();
            if !helps.is_empty() {
                println!();
                for c in helps {
                    println!("{}: {}", c.header, c.help);
                }
            }
            println!();
            println!(
                "required fields are checked for new rows only (empty `{}`); a filled cell is always checked",
                rt.uuid_header()
            );
        }
    }
    Ok(Outcome::Ok)
}
