//! `intake template TYPE [--format csv|xlsx]`: the file to fill in.

use std::io::{IsTerminal, Write};

use intake_core::describe::template_headers_with_inline;
use intake_engine::template_xlsx;
use intake_engine::validate::record_type;
use intake_formats::{CsvWriter, CsvWriterOptions};

use crate::args::{Global, TemplateArgs, TemplateFormat};
use crate::{Outcome, workspace};

pub fn run(global: &Global, args: &TemplateArgs) -> anyhow::Result<Outcome> {
    let ws = workspace::load(&global.workspace)?;
    let rt = record_type(&ws.schema, &args.record_type)?;
    let headers = template_headers_with_inline(&ws.schema, rt);
    let bytes = match TemplateFormat::resolve(args.format, args.output.as_deref()) {
        TemplateFormat::Csv => {
            let options = CsvWriterOptions {
                bom: true,
                ..CsvWriterOptions::default()
            };
            let mut bytes = Vec::new();
            let mut w = CsvWriter::new(&mut bytes, &options)?;
            w.write_record(headers.iter().map(String::as_str))?;
            w.flush()?;
            drop(w);
            bytes
        }
        TemplateFormat::Xlsx => {
            if args.output.is_none() && std::io::stdout().is_terminal() {
                anyhow::bail!(
                    "a workbook is not for the terminal\nhint: write it to a file with -o {}.xlsx",
                    rt.name
                );
            }
            let mut out = std::io::Cursor::new(Vec::new());
            let written = template_xlsx(&ws.schema, rt, &mut out)?;
            debug_assert_eq!(written, headers);
            out.into_inner()
        }
    };
    match &args.output {
        Some(path) => {
            fs_err::write(path, &bytes)?;
            eprintln!(
                "wrote the `{}` template to `{}`: {} columns, `{}` first (leave it empty to create records)",
                rt.name,
                path.display(),
                headers.len(),
                headers[0]
            );
            eprintln!(
                "next: fill it in, then `intake validate {} {}`",
                rt.name,
                path.display()
            );
        }
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    Ok(Outcome::Ok)
}
