//! The reference of the `import` suite: the `sqlite3` command-line shell loading the contacts
//! file with `.import` into a table like the one intake writes.
//!
//! The timed command is `sqlite3 DB < import.sql`, the script from [`script`]:
//!
//! ```sql
//! PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;
//! CREATE TABLE "contacts" ("source_uuid" TEXT, "first_name" TEXT, ..., "notes" TEXT);
//! CREATE UNIQUE INDEX "contacts__source_uuid" ON "contacts"("source_uuid");
//! CREATE UNIQUE INDEX "contacts__email" ON "contacts"(lower("email"));
//! .mode csv
//! .import --skip 1 'FILE' contacts
//! ```
//!
//! What it does, as intake does: one process reads the CSV (the shell's own RFC 4180 parser)
//! and inserts every row into a new database file, in one transaction (`.import` wraps the
//! load in `BEGIN`/`COMMIT`), WAL journal, `synchronous=NORMAL` and the page cache of intake's
//! writing connection ([`intake_sqlite::WRITER_CACHE_KIB`]); the 20 field columns have the
//! names and the column types intake gives them ([`COLUMNS`]); the unique indexes on the
//! source UUID and on `lower(email)` are intake's, and are kept up to date row by row while
//! the rows go in; the table's implicit rowid is what intake's `"id" INTEGER PRIMARY KEY`
//! names.
//!
//! What it does not do:
//! - validate anything: no required, length, pattern, country, lookup, e-mail, date or range
//!   check; cells are stored as written (`true`, `2021-06-01T14:54:31Z`), except that the
//!   INTEGER columns' affinity turns integer text into integers; an empty cell is stored as
//!   `''` where intake stores NULL;
//! - generate a record UUID: intake's table also has `uuid` (a generated v4 UUID with its own
//!   unique index), `created_at`, `updated_at` and `created_by_import`, and intake writes an
//!   import record; `.import` into an existing table maps the file's columns by position, so
//!   the table holds exactly the file's 20 columns and nothing else;
//! - map headers, match records, report a duplicate with its row (a constraint violation is
//!   an error line on stderr and `.import` carries on; the harness counts the rows after each
//!   run), or write response and success files;
//! - build the indexes after the load: they exist before `.import` and are kept up to date
//!   row by row, as in a table that already has intake's indexes, whereas intake builds the
//!   indexes of a table that was empty once at commit. An index-less load followed by
//!   `CREATE INDEX` would be a faster sqlite3 than this reference.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};

/// The table the reference loads, named as intake names the record type's table.
pub const TABLE: &str = "contacts";

/// The page cache of the reference's connection, in KiB: intake's writer's, read from the
/// crate so that the two cannot drift.
pub const CACHE_KIB: i64 = intake_sqlite::WRITER_CACHE_KIB;

/// The oldest `sqlite3` shell whose `.import` has `--skip` (3.32.0, May 2020).
pub const MIN_VERSION: (u32, u32, u32) = (3, 32, 0);

/// The reference table's columns with intake's column types, in the generated file's column
/// order (`.import` maps by position): intake's field names of
/// `crates/intake-bench/data/intake.toml` (the file's `uuid` is the field `source_uuid`, its
/// `created_at` the field `source_created_at`). intake stores booleans as INTEGER 0/1 and
/// decimals as TEXT. The harness compares these with the table intake creates before it runs.
pub const COLUMNS: [(&str, &str); 20] = [
    ("source_uuid", "TEXT"),
    ("first_name", "TEXT"),
    ("last_name", "TEXT"),
    ("email", "TEXT"),
    ("phone", "TEXT"),
    ("company", "TEXT"),
    ("job_title", "TEXT"),
    ("street", "TEXT"),
    ("city", "TEXT"),
    ("postal_code", "TEXT"),
    ("country", "TEXT"),
    ("birth_date", "TEXT"),
    ("lifecycle_stage", "TEXT"),
    ("lead_score", "INTEGER"),
    ("annual_revenue", "TEXT"),
    ("discount_rate", "TEXT"),
    ("is_subscribed", "INTEGER"),
    ("is_vip", "INTEGER"),
    ("source_created_at", "TEXT"),
    ("notes", "TEXT"),
];

/// The unique indexes of the reference: name and indexed expression, as intake has them.
pub const INDEXES: [(&str, &str); 2] = [
    ("contacts__source_uuid", "\"source_uuid\""),
    ("contacts__email", "lower(\"email\")"),
];

/// The script the shell reads on stdin: settings, table, indexes, then `.import` of `csv`
/// (header skipped). Fails when the path is not UTF-8 (the script is text).
pub fn script(csv: &Path) -> Result<String> {
    let path = csv
        .to_str()
        .ok_or_else(|| anyhow!("the data file's path `{}` is not UTF-8", csv.display()))?;
    let mut s = String::new();
    // `.bail on`: a failing statement stops the script with a non-zero exit.
    s.push_str(".bail on\n");
    let _ = writeln!(
        s,
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\nPRAGMA cache_size=-{CACHE_KIB};"
    );
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|(name, ty)| format!("\"{name}\" {ty}"))
        .collect();
    let _ = writeln!(s, "CREATE TABLE \"{TABLE}\" ({});", columns.join(", "));
    for (name, expr) in INDEXES {
        let _ = writeln!(s, "CREATE UNIQUE INDEX \"{name}\" ON \"{TABLE}\"({expr});");
    }
    s.push_str(".mode csv\n");
    let _ = writeln!(s, ".import --skip 1 {} {TABLE}", dot_arg(path));
    Ok(s)
}

/// One argument of a shell dot-command: in single quotes (taken literally), or, when it holds
/// a single quote, in double quotes with `\` and `"` escaped.
pub fn dot_arg(arg: &str) -> String {
    if arg.contains('\'') {
        format!("\"{}\"", arg.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        format!("'{arg}'")
    }
}

/// `sqlite3` on `PATH`, if there is one.
pub fn find() -> Option<PathBuf> {
    find_in(std::env::var_os("PATH").as_deref()?, "sqlite3")
}

fn find_in(path_var: &OsStr, name: &str) -> Option<PathBuf> {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::split_paths(path_var)
        .map(|dir| dir.join(&file))
        .find(|p| p.is_file())
}

/// The version at the start of `sqlite3 --version` (`3.40.1 2022-12-28 ...`).
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let word = text.split_whitespace().next()?;
    let mut parts = word.split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next()??;
    let patch = parts.next().unwrap_or(Some(0))?;
    Some((major, minor, patch))
}

/// Checks that intake's table still matches the reference: `columns` are intake's
/// `(name, type)` in table order, `indexes` the SQL of its indexes on the table. Every
/// reference column must be there with the same type and in the same order (intake's own
/// columns, such as `uuid`, are what the reference leaves out), and both unique indexes must
/// exist. Returns what differs.
pub fn compare_with_intake(
    columns: &[(String, String)],
    indexes: &[String],
) -> std::result::Result<(), String> {
    let mut problems = Vec::new();
    let fields: Vec<(&str, String)> = columns
        .iter()
        .filter(|(name, _)| COLUMNS.iter().any(|(n, _)| n == name))
        .map(|(name, ty)| (name.as_str(), ty.to_ascii_uppercase()))
        .collect();
    let expected: Vec<(&str, String)> = COLUMNS
        .iter()
        .map(|(name, ty)| (*name, (*ty).to_string()))
        .collect();
    if fields != expected {
        let show = |cols: &[(&str, String)]| {
            cols.iter()
                .map(|(n, t)| format!("{n} {t}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        problems.push(format!(
            "intake's field columns are\n  {}\nthe reference's are\n  {}",
            show(&fields),
            show(&expected)
        ));
    }
    let normalised: Vec<String> = indexes.iter().map(|sql| normalise(sql)).collect();
    for (_, expr) in INDEXES {
        let wanted = format!("on{TABLE}({})", normalise(expr));
        if !normalised
            .iter()
            .any(|sql| sql.starts_with("createuniqueindex") && sql.ends_with(&wanted))
        {
            problems.push(format!("intake has no unique index on {TABLE}({expr})"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Lower case without quotes or white space, to compare index definitions.
fn normalise(sql: &str) -> String {
    sql.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '"' | '`' | '[' | ']'))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_creates_the_table_and_imports_the_file() {
        let s = script(Path::new("/data/contacts_1000.csv")).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], ".bail on");
        assert_eq!(lines[1], "PRAGMA journal_mode=WAL;");
        assert_eq!(lines[2], "PRAGMA synchronous=NORMAL;");
        assert_eq!(lines[3], "PRAGMA cache_size=-32768;");
        assert!(
            lines[4].starts_with(
                "CREATE TABLE \"contacts\" (\"source_uuid\" TEXT, \"first_name\" TEXT, "
            ),
            "{}",
            lines[4]
        );
        assert!(
            lines[4].ends_with("\"lead_score\" INTEGER, \"annual_revenue\" TEXT, \"discount_rate\" TEXT, \"is_subscribed\" INTEGER, \"is_vip\" INTEGER, \"source_created_at\" TEXT, \"notes\" TEXT);"),
            "{}",
            lines[4]
        );
        assert_eq!(
            lines[5],
            "CREATE UNIQUE INDEX \"contacts__source_uuid\" ON \"contacts\"(\"source_uuid\");"
        );
        assert_eq!(
            lines[6],
            "CREATE UNIQUE INDEX \"contacts__email\" ON \"contacts\"(lower(\"email\"));"
        );
        assert_eq!(lines[7], ".mode csv");
        assert_eq!(
            lines[8],
            ".import --skip 1 '/data/contacts_1000.csv' contacts"
        );
        assert_eq!(lines.len(), 9);
    }

    #[test]
    fn cache_is_intakes_writer_cache() {
        assert_eq!(CACHE_KIB, intake_sqlite::WRITER_CACHE_KIB);
    }

    #[test]
    fn columns_are_the_generated_files_in_order() {
        // The file's header names two fields by their labels.
        let fields: Vec<&str> = crate::generator::COLUMNS
            .iter()
            .map(|c| match *c {
                "uuid" => "source_uuid",
                "created_at" => "source_created_at",
                other => other,
            })
            .collect();
        let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, fields);
    }

    #[test]
    fn dot_arguments_are_quoted() {
        assert_eq!(dot_arg("/a b/c.csv"), "'/a b/c.csv'");
        assert_eq!(dot_arg(r"C:\data\c.csv"), r"'C:\data\c.csv'");
        assert_eq!(dot_arg(r#"/it's "x"\y"#), r#""/it's \"x\"\\y""#);
    }

    #[test]
    fn versions() {
        assert_eq!(
            parse_version("3.40.1 2022-12-28 14:03:47 df5c253c"),
            Some((3, 40, 1))
        );
        assert_eq!(parse_version("3.45\n"), Some((3, 45, 0)));
        assert_eq!(parse_version(""), None);
        assert_eq!(parse_version("sqlite3: not found"), None);
        assert!(parse_version("3.31.1").unwrap() < MIN_VERSION);
        assert!(parse_version("3.32.0").unwrap() >= MIN_VERSION);
    }

    #[test]
    fn finds_a_program_on_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = format!("sqlite3{}", std::env::consts::EXE_SUFFIX);
        fs_err::write(dir.path().join(&file), "").unwrap();
        let path = std::env::join_paths([Path::new("/nonexistent"), dir.path()]).unwrap();
        assert_eq!(find_in(&path, "sqlite3"), Some(dir.path().join(&file)));
        assert_eq!(find_in(&path, "nope"), None);
    }

    fn intake_table() -> (Vec<(String, String)>, Vec<String>) {
        let mut columns: Vec<(String, String)> = [
            ("id", "INTEGER"),
            ("uuid", "TEXT"),
            ("created_at", "TEXT"),
            ("updated_at", "TEXT"),
            ("created_by_import", "INTEGER"),
            ("updated_by_import", "INTEGER"),
            ("deactivated_at", "TEXT"),
        ]
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
        columns.extend(COLUMNS.iter().map(|(n, t)| (n.to_string(), t.to_string())));
        let indexes = vec![
            r#"CREATE UNIQUE INDEX "contacts__uuid" ON "contacts"("uuid")"#.to_string(),
            r#"CREATE UNIQUE INDEX "contacts__source_uuid" ON "contacts"("source_uuid")"#
                .to_string(),
            r#"CREATE UNIQUE INDEX "contacts__email" ON "contacts"(lower("email"))"#.to_string(),
        ];
        (columns, indexes)
    }

    #[test]
    fn matches_intakes_table() {
        let (columns, indexes) = intake_table();
        assert_eq!(compare_with_intake(&columns, &indexes), Ok(()));
    }

    #[test]
    fn reports_a_changed_column_type_and_a_missing_index() {
        let (mut columns, mut indexes) = intake_table();
        for (name, ty) in &mut columns {
            if name == "is_vip" {
                *ty = "TEXT".to_string();
            }
        }
        indexes.retain(|sql| !sql.contains("lower"));
        let err = compare_with_intake(&columns, &indexes).unwrap_err();
        assert!(err.contains("is_vip TEXT"), "{err}");
        assert!(err.contains("is_vip INTEGER"), "{err}");
        assert!(
            err.contains("no unique index on contacts(lower(\"email\"))"),
            "{err}"
        );
    }

    #[test]
    fn reports_a_non_unique_or_missing_column() {
        let (mut columns, mut indexes) = intake_table();
        columns.retain(|(n, _)| n != "notes");
        for sql in &mut indexes {
            *sql = sql.replace("UNIQUE ", "");
        }
        let err = compare_with_intake(&columns, &indexes).unwrap_err();
        assert!(
            err.contains("source_created_at TEXT\nthe reference"),
            "{err}"
        );
        assert!(err.contains("no unique index on contacts(\"source_uuid\")"));
    }
}
