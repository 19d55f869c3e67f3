//! `intake import TYPE FILE`: write a file's records into the workspace's database.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use anyhow::{Context, bail};
use intake_core::report::render;
use intake_engine::{
    FailMode, FailPoint, ImportOutcome, ImportRequest, NoProgress, OnError, OutputFile, Outputs,
    Progress,
};

use crate::args::{Global, ImportArgs};
use crate::progress::{CountedFile, ProgressLine};
use crate::render::{count, plural};
use crate::{Outcome, options, workspace};

/// The time now, as stored (RFC 3339, UTC, seconds).
pub fn now() -> String {
    let t: chrono::DateTime<chrono::Utc> = std::time::SystemTime::now().into();
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn run(global: &Global, args: &ImportArgs) -> anyhow::Result<Outcome> {
    let mut ws = workspace::load(&global.workspace)?;
    let store = ws.store(global.database.as_deref())?;
    let base = options::request(&ws.schema, &args.record_type, &args.options)?;
    let fail_at = match args.crash_at.as_deref() {
        None => None,
        Some("before_first_write") => Some((FailPoint::BeforeFirstWrite, FailMode::Abort)),
        Some("mid_batch") => Some((FailPoint::MidBatch, FailMode::Abort)),
        Some("before_commit") => Some((FailPoint::BeforeCommit, FailMode::Abort)),
        Some(other) => bail!("unknown crash point `{other}`"),
    };
    let request = ImportRequest {
        record_type: base.record_type,
        options: base.options,
        csv: base.csv,
        sheet: base.sheet.clone(),
        mapping: base.mapping,
        threads: base.threads,
        on_error: match args.on_error {
            Some(crate::args::OnError::Abort) => OnError::Abort,
            Some(crate::args::OnError::Skip) => OnError::Skip,
            None if ws.schema.import_defaults.skip_failing_rows => OnError::Skip,
            None => OnError::Abort,
        },
        match_on: args.options.match_on.clone(),
        force: args.force,
        now: now(),
        fail_at,
        job: None,
        dry_run: false,
    };
    if !args.file.exists() {
        bail!("cannot read `{}`: no such file", args.file.display());
    }
    let size = fs_err::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    let read = Arc::new(AtomicU64::new(0));
    let line = if args.json {
        None
    } else {
        ProgressLine::new("importing", size, read.clone())
    };
    let progress: &dyn Progress = match &line {
        Some(l) => l,
        None => &NoProgress,
    };
    // The workspace may want the failing rows next to the file by default.
    let default_response = (args.response.is_none() && ws.schema.import_defaults.response_file)
        .then(|| default_response_path(&args.file));
    let response_path = args.response.clone().or_else(|| default_response.clone());
    let mut response = open_output(response_path.as_deref())?;
    let mut success = open_output(args.success.as_deref())?;
    let outputs = Outputs {
        response: response
            .as_mut()
            .zip(response_path.as_deref())
            .map(|(w, p)| output_file(p, w)),
        success: success
            .as_mut()
            .zip(args.success.as_deref())
            .map(|(w, p)| output_file(p, w)),
    };
    let result = intake_engine::import(
        &ws.schema,
        &store,
        &CountedFile {
            path: args.file.clone(),
            read: read.clone(),
        },
        &request,
        outputs,
        progress,
    );
    if let Some(l) = &line {
        l.finish();
    }
    let outcome = result.map_err(|e| anyhow::anyhow!(e))?;
    if let Some(mut w) = response {
        w.flush()?;
    }
    // A response file nobody asked for by name is kept only when rows failed.
    if let Some(p) = &default_response
        && outcome.response_rows == 0
    {
        let _ = fs_err::remove_file(p);
    }
    if let Some(mut w) = success {
        w.flush()?;
    }
    // A success file of an import that wrote nothing would list rows that are not stored.
    if !outcome.committed
        && let Some(p) = &args.success
    {
        let _ = fs_err::remove_file(p);
    }
    if args.json {
        print_json(&outcome)?;
    } else {
        print_human(args, response_path.as_deref(), &outcome);
    }
    Ok(if outcome.report.problems.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Problems
    })
}

/// The format of a response or success file: by its name's extension, else like the file
/// imported.
fn output_file<'a>(path: &Path, w: &'a mut std::io::BufWriter<fs_err::File>) -> OutputFile<'a> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "tsv" | "txt" => OutputFile::Csv(w),
        "xlsx" => OutputFile::Xlsx(w),
        _ => OutputFile::LikeInput(w),
    }
}

fn open_output(path: Option<&Path>) -> anyhow::Result<Option<std::io::BufWriter<fs_err::File>>> {
    path.map(|p| {
        fs_err::File::create(p)
            .map(std::io::BufWriter::new)
            .with_context(|| format!("cannot write `{}`", p.display()))
    })
    .transpose()
}

fn print_json(o: &ImportOutcome) -> anyhow::Result<()> {
    /// `--json`: the problems are written one at a time, the rest is small.
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        import: i64,
        committed: bool,
        #[serde(flatten)]
        counts: &'a intake_store::Counts,
        linked_created: &'a std::collections::BTreeMap<String, u64>,
        shared_updated: u64,
        problems: super::validate::ProblemsJson<'a>,
        warnings: &'a [intake_core::report::Warning],
    }
    crate::render::print_json(&Doc {
        import: o.import_id,
        committed: o.committed,
        counts: &o.counts,
        linked_created: &o.linked_created,
        shared_updated: o.shared_updated,
        problems: super::validate::ProblemsJson(&o.report.problems),
        warnings: &o.report.warnings,
    })
}

/// `sites.csv` -> `sites.response.csv` and `sites.xlsx` -> `sites.response.xlsx`, next to it.
fn default_response_path(file: &Path) -> std::path::PathBuf {
    let stem = file
        .file_stem()
        .map_or_else(|| "import".into(), |s| s.to_string_lossy().into_owned());
    let workbook = file.extension().is_some_and(|e| {
        matches!(
            e.to_string_lossy().to_ascii_lowercase().as_str(),
            "xlsx" | "xls" | "ods"
        )
    });
    let ext = if workbook { "xlsx" } else { "csv" };
    file.with_file_name(format!("{stem}.response.{ext}"))
}

fn print_human(args: &ImportArgs, response: Option<&Path>, o: &ImportOutcome) {
    let c = &o.counts;
    for w in o.report.warnings.iter().take(20) {
        eprintln!("warning: {}", w.message);
    }
    let shown = o.report.problems.len().min(args.limit);
    for p in o.report.problems.iter().take(shown) {
        eprintln!("{}", render(p));
    }
    if o.report.problems.len() > shown {
        eprintln!(
            "... and {} more problems (all of them are in --response FILE and --json)",
            count(o.report.problems.len() as u64 - shown as u64)
        );
    }
    let mut parts = vec![
        format!("{} created", count(c.created)),
        format!("{} updated", count(c.updated)),
        format!("{} unchanged", count(c.unchanged)),
    ];
    if c.deleted > 0 {
        parts.push(format!("{} deleted", count(c.deleted)));
    }
    if c.deactivated > 0 {
        parts.push(format!("{} deactivated", count(c.deactivated)));
    }
    for (record_type, n) in &o.linked_created {
        parts.push(format!("{} linked `{record_type}` created", count(*n)));
    }
    if o.shared_updated > 0 {
        parts.push(format!(
            "{} linked {} updated to keep shared fields equal",
            count(o.shared_updated),
            if o.shared_updated == 1 {
                "record"
            } else {
                "records"
            }
        ));
    }
    if o.committed {
        println!(
            "import {}: {} ({} rows{})",
            o.import_id,
            parts.join(", "),
            count(c.rows),
            if c.failed > 0 {
                format!(", {} failed and not written", count(c.failed))
            } else {
                String::new()
            }
        );
    } else {
        if c.failed == 0 {
            println!(
                "import {} failed: the file has problems (see above); nothing was written",
                o.import_id
            );
        } else {
            println!(
                "import {} failed: {} with problems; nothing was written (all or nothing)",
                o.import_id,
                plural(c.failed, "row")
            );
        }
        if c.skipped > 0 && c.failed > 0 {
            eprintln!(
                "hint: fix the rows and import again, or import with --on-error skip to write the {} valid",
                plural(c.skipped, "row")
            );
        }
    }
    if let Some(p) = response
        && o.response_rows > 0
    {
        eprintln!(
            "{} with problems written to `{}`: fix them there and import that file",
            plural(o.response_rows, "row"),
            p.display()
        );
    }
    if let Some(p) = &args.success
        && o.committed
    {
        eprintln!(
            "{} written, with their UUIDs, to `{}`",
            plural(o.success_rows, "row"),
            p.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::default_response_path;

    #[test]
    fn the_default_response_file_sits_next_to_the_file_in_its_kind() {
        let at = |p: &str| default_response_path(Path::new(p)).display().to_string();
        assert_eq!(at("in/sites.csv"), "in/sites.response.csv");
        assert_eq!(at("sites.txt"), "sites.response.csv");
        assert_eq!(at("in/Sites.XLSX"), "in/Sites.response.xlsx");
        assert_eq!(at("sites.ods"), "sites.response.xlsx");
        assert_eq!(at("sites.xls"), "sites.response.xlsx");
    }
}
