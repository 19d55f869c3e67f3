//! The references of the `postgres` suite: `psql` loading the contacts file into PostgreSQL.
//!
//! - `psql-copy`: `psql -c "\copy bench_copy.contacts FROM 'FILE' WITH (FORMAT csv, HEADER true)"`
//!   into a new table with the field columns and column types of the table intake creates for
//!   `contacts` (read from a schema intake created, [`MODEL_SCHEMA`]) and intake's two unique
//!   indexes (`source_uuid`, `lower(email)`), kept up to date row by row as the rows go in.
//!   It validates nothing beyond what the column types parse, generates no record UUID and
//!   writes no changeset or import record.
//! - `psql-upsert`: `psql -f upsert.sql` ([`upsert_script`]): in one transaction, `\copy` of
//!   the second file (every row's notes changed) into a temporary staging table, then one
//!   `INSERT ... SELECT ... ON CONFLICT (lower(email)) DO UPDATE` of every column, into a
//!   table that holds the first file. It compares nothing (every row is rewritten) and keeps
//!   no values before.
//!
//! The server is `INTAKE_BENCH_POSTGRES_URL` (default [`DEFAULT_URL`]); each case works in its
//! own schema, dropped and made again (untimed) before each run, then a `CHECKPOINT`, so that
//! each timed run starts with the server's buffers written out.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

/// The server the suite uses when `INTAKE_BENCH_POSTGRES_URL` is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The schema intake creates once, whose table gives the reference its column types.
pub const MODEL_SCHEMA: &str = "bench_model";
/// The schema of `psql-copy`.
pub const COPY_SCHEMA: &str = "bench_copy";
/// The schema of `intake-create-pg`.
pub const CREATE_SCHEMA: &str = "bench_create";
/// The schema of `psql-upsert`.
pub const UPSERT_SCHEMA: &str = "bench_upsert";
/// The schema of `intake-update-pg`.
pub const UPDATE_SCHEMA: &str = "bench_update";

/// intake's columns that are not fields of the file.
const SYSTEM_COLUMNS: [&str; 7] = [
    "id",
    "uuid",
    "created_at",
    "updated_at",
    "created_by_import",
    "updated_by_import",
    "deactivated_at",
];

/// The server's URL.
pub fn url() -> String {
    std::env::var("INTAKE_BENCH_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// `psql` on PATH.
pub fn find_psql() -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("psql"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow!(
                "the postgres suite needs `psql` and a PostgreSQL server\nhint: apt-get install postgresql (see the README), or set INTAKE_BENCH_POSTGRES_URL"
            )
        })
}

/// SQL printing `"col" type, ...` for the field columns of intake's `contacts` table.
pub fn model_columns_sql() -> String {
    let system: Vec<String> = SYSTEM_COLUMNS.iter().map(|c| format!("'{c}'")).collect();
    format!(
        "SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
         FROM pg_attribute WHERE attrelid = '\"{MODEL_SCHEMA}\".contacts'::regclass AND attnum > 0
         AND NOT attisdropped AND attname NOT IN ({})",
        system.join(", ")
    )
}

/// The reference table in `schema`, with intake's unique indexes.
pub fn create_table_sql(schema: &str, columns: &str) -> String {
    format!(
        "CREATE SCHEMA \"{schema}\"; CREATE TABLE \"{schema}\".contacts ({columns});
         CREATE UNIQUE INDEX contacts__source_uuid ON \"{schema}\".contacts (source_uuid);
         CREATE UNIQUE INDEX contacts__email ON \"{schema}\".contacts (lower(email));"
    )
}

fn quoted_path(path: &Path) -> Result<String> {
    let p = path
        .to_str()
        .ok_or_else(|| anyhow!("the path `{}` is not UTF-8", path.display()))?;
    Ok(format!("'{}'", p.replace('\'', "''")))
}

/// The `\copy` of `csv` into `schema`'s table.
pub fn copy_command(schema: &str, csv: &Path) -> Result<String> {
    Ok(format!(
        "\\copy \"{schema}\".contacts FROM {} WITH (FORMAT csv, HEADER true)",
        quoted_path(csv)?
    ))
}

/// The upsert reference's script: the staging table loaded by COPY, one INSERT ... ON
/// CONFLICT DO UPDATE of every column.
pub fn upsert_script(changed: &Path) -> Result<String> {
    let columns = [
        "source_uuid",
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "job_title",
        "street",
        "city",
        "postal_code",
        "country",
        "birth_date",
        "lifecycle_stage",
        "lead_score",
        "annual_revenue",
        "discount_rate",
        "is_subscribed",
        "is_vip",
        "source_created_at",
        "notes",
    ];
    let sets: Vec<String> = columns
        .iter()
        .filter(|c| **c != "email")
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    Ok(format!(
        "BEGIN;
CREATE TEMPORARY TABLE stage (LIKE \"{UPSERT_SCHEMA}\".contacts) ON COMMIT DROP;
\\copy stage FROM {} WITH (FORMAT csv, HEADER true)
INSERT INTO \"{UPSERT_SCHEMA}\".contacts SELECT * FROM stage
  ON CONFLICT (lower(email)) DO UPDATE SET {};
COMMIT;
",
        quoted_path(changed)?,
        sets.join(", ")
    ))
}

/// Writes `out`: the rows of `csv` with every row's `notes` changed (so an import of it
/// matched on e-mail updates every record).
pub fn write_changed(csv: &Path, out: &Path) -> Result<()> {
    let mut reader = csv::Reader::from_reader(fs_err::File::open(csv)?);
    let header = reader.headers()?.clone();
    let notes = header
        .iter()
        .position(|h| h == "notes")
        .context("the data file has no `notes` column")?;
    let tmp = out.with_extension("csv.tmp");
    {
        let mut writer =
            csv::Writer::from_writer(std::io::BufWriter::new(fs_err::File::create(&tmp)?));
        writer.write_record(&header)?;
        let mut record = csv::StringRecord::new();
        let mut row: Vec<String> = Vec::new();
        while reader.read_record(&mut record)? {
            row.clear();
            row.extend(record.iter().map(str::to_string));
            let Some(n) = row.get_mut(notes) else {
                bail!("a row of the data file has no `notes` cell");
            };
            if n.len() > 900 {
                let mut cut = 900;
                while !n.is_char_boundary(cut) {
                    cut -= 1;
                }
                n.truncate(cut);
            }
            n.push_str(" (revised)");
            writer.write_record(&row)?;
        }
        writer.flush()?;
    }
    fs_err::rename(&tmp, out)?;
    Ok(())
}
