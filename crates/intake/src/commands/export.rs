//! `intake export TYPE [--filter EXPR] [--update-sheet FIELD,...] [--format csv|xlsx] [-o FILE]`.

use std::io::{IsTerminal, Write};

use intake_engine::ExportRequest;

use crate::args::{ExportArgs, Global, TemplateFormat};
use crate::render::plural;
use crate::{Outcome, workspace};

pub fn run(global: &Global, args: &ExportArgs) -> anyhow::Result<Outcome> {
    let mut ws = workspace::load(&global.workspace)?;
    let store = ws.store(global.database.as_deref())?;
    let request = ExportRequest {
        record_type: args.record_type.clone(),
        filter: args.filter.clone(),
        update_sheet: args.update_sheet.clone(),
    };
    let xlsx = TemplateFormat::resolve(args.format, args.output.as_deref()) == TemplateFormat::Xlsx;
    match &args.output {
        Some(path) => {
            // Written beside the target and renamed, so a failed export leaves no half file.
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
            let tmp = tempfile_in(dir)?;
            let mut w = std::io::BufWriter::new(tmp.reopen()?);
            let n = if xlsx {
                intake_engine::export_xlsx(&ws.schema, &store, &request, &mut w)?
            } else {
                intake_engine::export(&ws.schema, &store, &request, &mut w)?
            };
            w.flush()?;
            drop(w);
            tmp.persist(path)?;
            eprintln!("{} exported to `{}`", plural(n, "record"), path.display());
        }
        None if xlsx && std::io::stdout().is_terminal() => {
            anyhow::bail!(
                "a workbook is not for the terminal\nhint: write it to a file with -o {}.xlsx",
                args.record_type
            );
        }
        None if xlsx => {
            // A workbook is a zip file, written with seeks: built in memory, then copied out.
            let mut buf = std::io::Cursor::new(Vec::new());
            intake_engine::export_xlsx(&ws.schema, &store, &request, &mut buf)?;
            let mut out = std::io::stdout().lock();
            out.write_all(buf.get_ref())?;
            out.flush()?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            intake_engine::export(&ws.schema, &store, &request, &mut out)?;
            out.flush()?;
        }
    }
    Ok(Outcome::Ok)
}

fn tempfile_in(dir: Option<&std::path::Path>) -> anyhow::Result<tempfile::NamedTempFile> {
    Ok(match dir {
        Some(d) => tempfile::NamedTempFile::new_in(d)?,
        None => tempfile::NamedTempFile::new_in(".")?,
    })
}
