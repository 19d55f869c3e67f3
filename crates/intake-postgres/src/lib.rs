//! The PostgreSQL backend of the store: one PostgreSQL schema per workspace, bulk writes by
//! `COPY`.
//!
//! Layout (documented for users in `docs/database.md`): in the workspace's schema, one table
//! per record type, named after it, with native types:
//!
//! ```sql
//! CREATE TABLE "contact" (
//!   "id" bigserial NOT NULL,               -- internal row id (creation order; no index)
//!   "uuid" uuid NOT NULL CONSTRAINT "contact__uuid" PRIMARY KEY,  -- the record's UUID
//!   "created_at" timestamptz NOT NULL,
//!   "updated_at" timestamptz NOT NULL,
//!   "created_by_import" bigint,            -- the import that created it
//!   "updated_by_import" bigint,            -- the import that last wrote it
//!   "deactivated_at" timestamptz,          -- set by the `deactivate` action
//!   "first_name" text, "email" text CHECK (...), "employees" bigint, ...  -- one per field
//! ) WITH (fillfactor = 50);                -- room for updates beside the rows: FILLFACTOR
//! ```
//!
//! Field types map to `text`, `bigint`, `numeric(p,s)`, `date`, `timestamptz`, `boolean`,
//! `uuid` and `text[]` (multiselect). Unique fields and natural keys have unique indexes
//! (e-mail fields on `lower(column)`). intake's own tables start with `_intake_`, as on SQLite.
//!
//! Writes: an import is one transaction, on one connection that a writer thread holds while
//! creates and updates stream to the server, so that the server writes one batch while the
//! engine checks and plans the next. Creates go in by binary `COPY ... FROM STDIN`, one
//! statement for a run of batches of the same type; each batch of updates goes in by binary
//! `COPY` into a temporary staging table (dropped at the commit), then one statement,
//! `UPDATE ... FROM` the staging table, with the batch's change set inserted by a
//! data-modifying `WITH` (values the server must read as text go as unnested arrays instead);
//! lookups are one query per batch (`= ANY($1)`). Imports of one workspace take turns (an exclusive lock on
//! `_intake_imports`, waited for at most [`LOCK_TIMEOUT`]), as on SQLite: lookups never miss
//! what another import is writing, and import ids follow one another without gaps. Readers
//! are never blocked and never see an import before it commits.
//!
//! A partial import ([`ImportTransaction::partial`]) writes each batch in a savepoint, by its
//! own `COPY` (or statement); when the server refuses a unique value (another writer took it
//! after the import's lookups), the batch is rolled back to the savepoint and written again
//! one record at a time, each in its own savepoint, and the refused records are reported by
//! [`ImportTransaction::rejected`]. Only a batch with a refused record pays for that.
//!
//! What an import changed is kept a batch at a time: a row of `_intake_change_sets` holds one
//! batch's updates (or deletions, or deactivations) of one type, its UUIDs as a `uuid[]` and
//! the values before and after as two JSON arrays in the same order, in `text` columns that
//! the server compresses (lz4 where it has it) and does not parse when they are written. So
//! the history costs an update a few dozen bytes of log, not a row and two index entries of
//! its own. The view `_intake_changes` shows them a record at a time, for reading.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write as _;
use std::sync::mpsc;

use chrono::{DateTime, SecondsFormat, Utc};
use intake_core::filter::Filter;
use intake_core::plan::StoredRecord;
use intake_core::schema::{Field, FieldType, RecordType, Schema};
use intake_core::stored::{Stored, StoredKind, kind_of};
use intake_store::{
    Change, Counts, ImportRecord, ImportStatus, ImportTransaction, Migration, NewImport, NewRecord,
    ReadSession, RecordUpdate, RefusedWrite, Rejected, RevertConflict, RevertCounts, Stamp, Store,
    StoreError,
};
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};
use uuid::Uuid;

/// How long an import waits for another import of the same workspace to finish.
pub const LOCK_TIMEOUT: &str = "10s";

/// How full inserts fill a record table's pages (percent). Half of each page is left free,
/// so that an update sheet rewriting every record finds room for each new version beside
/// the old one: the update is then a heap-only tuple (HOT) update, which writes no index
/// entry at all. A non-HOT update writes one per unique index; and its new versions fill new
/// pages, so the table reaches this size at its first full update either way, with its
/// indexes doubled besides. Tables made by earlier versions keep their setting
/// (`ALTER TABLE ... SET (fillfactor = 50)` changes it for pages written afterwards).
pub const FILLFACTOR: u8 = 50;

/// The system columns every record table has, before the field columns.
const SYSTEM_COLUMNS: &[&str] = &[
    "uuid",
    "created_at",
    "updated_at",
    "created_by_import",
    "updated_by_import",
    "deactivated_at",
];

/// The store in one schema of a PostgreSQL database.
pub struct PostgresStore {
    config: postgres::Config,
    /// The URL without password, for messages.
    location: String,
    schema: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("location", &self.location)
            .field("schema", &self.schema)
            .finish()
    }
}

/// A workspace's default schema name, from a name such as its folder's: lower case, letters,
/// digits and `_` only, at most 63 bytes, never starting with a digit or `pg_`.
pub fn schema_name_for(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let s_trim = s.trim_matches('_').to_string();
    s = s_trim;
    if s.is_empty() {
        s = "intake".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) || s.starts_with("pg_") {
        s = format!("w_{s}");
    }
    s.truncate(63);
    s
}

/// Splits `?schema=NAME` (and `&schema=NAME`) off a URL: (URL without it, the name).
pub fn split_schema(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let mut schema = None;
    let mut rest = Vec::new();
    for part in query.split('&') {
        match part.strip_prefix("schema=") {
            Some(s) => schema = Some(s.to_string()),
            None if part.is_empty() => {}
            None => rest.push(part),
        }
    }
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (url, schema)
}

/// The URL with its password hidden.
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_string()
}

fn backend(e: postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        if code == "23505" {
            let detail = db.detail().unwrap_or(db.message());
            return StoreError::Conflict(detail.trim_end_matches('.').to_string());
        }
        if code == "55P03" || code == "40P01" {
            return StoreError::Busy;
        }
        let mut m = db.message().to_string();
        if let Some(d) = db.detail() {
            m.push_str(": ");
            m.push_str(d);
        }
        return StoreError::Backend(m);
    }
    if e.is_closed() {
        return StoreError::Backend(format!("the connection to PostgreSQL was lost ({e})"));
    }
    let mut m = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        m.push_str(": ");
        m.push_str(&s.to_string());
        source = s.source();
    }
    StoreError::Backend(m)
}

/// A double-quoted SQL identifier.
fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A single-quoted SQL string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The separator of a multiselect field (stored as `text[]`).
fn multi(f: &Field) -> Option<char> {
    match &f.field_type {
        FieldType::MultiSelect { separator, .. } => Some(*separator),
        _ => None,
    }
}

/// The column type of a field.
fn pg_type(f: &Field) -> String {
    if multi(f).is_some() {
        return "text[]".into();
    }
    match kind_of(f) {
        StoredKind::Text => "text".into(),
        StoredKind::Integer => "bigint".into(),
        StoredKind::Decimal { scale } => format!("numeric({}, {scale})", 29 + scale),
        StoredKind::Date => "date".into(),
        StoredKind::DateTime => "timestamptz".into(),
        StoredKind::Boolean => "boolean".into(),
        StoredKind::Uuid => "uuid".into(),
    }
}

/// A check on a text column whose stored form is fixed by its type.
fn check(f: &Field) -> Option<String> {
    let c = ident(f.name.as_str());
    match f.field_type {
        FieldType::Country => Some(format!("CHECK ({c} ~ '^[A-Z]{{2}}$')")),
        FieldType::Currency => Some(format!("CHECK ({c} ~ '^[A-Z]{{3}}$')")),
        FieldType::Email => Some(format!("CHECK (position('@' in {c}) > 1)")),
        _ => None,
    }
}

/// The stored form's name, kept in `_intake_columns` to notice retyped fields.
fn kind_name(f: &Field) -> String {
    if multi(f).is_some() {
        return "text[]".into();
    }
    match kind_of(f) {
        StoredKind::Decimal { scale } => format!("decimal({scale})"),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// SQL turning text (`expr`) into the field's column type.
fn from_text(f: &Field, expr: &str) -> String {
    match multi(f) {
        Some(sep) => format!("string_to_array({expr}, {})", literal(&sep.to_string())),
        None => format!("CAST({expr} AS {})", pg_type(f)),
    }
}

/// SQL reading a field's column in the form `record_of` expects.
fn read_expr(f: &Field) -> String {
    let c = ident(f.name.as_str());
    if let Some(sep) = multi(f) {
        return format!("array_to_string({c}, {})", literal(&sep.to_string()));
    }
    match kind_of(f) {
        StoredKind::Boolean => format!("{c}::int::int8"),
        StoredKind::Decimal { .. } | StoredKind::Date | StoredKind::Uuid => format!("{c}::text"),
        _ => c,
    }
}

/// SQL presenting a field's column as SQLite holds it (text, integers), for filters.
fn filter_expr(f: &Field) -> String {
    match kind_of(f) {
        StoredKind::DateTime if multi(f).is_none() => rfc3339_sql(&ident(f.name.as_str())),
        _ => read_expr(f),
    }
}

fn rfc3339_sql(col: &str) -> String {
    format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
}

/// The text of a stored value as PostgreSQL reads it for its column (`None`: NULL).
fn value_text(v: &Stored) -> Option<String> {
    match v {
        Stored::Null => None,
        Stored::Integer(i) => Some(i.to_string()),
        Stored::Text(s) => Some(s.clone()),
    }
}

fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Names PostgreSQL keeps whole (at most 63 bytes): longer ones end with a hash.
fn index_name(name: &str) -> String {
    if name.len() <= 63 {
        return name.to_string();
    }
    // FNV-1a: stable across builds and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut cut = 46;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{h:016x}", &name[..cut])
}

/// The unique indexes of a record type: (name, SQL).
fn unique_indexes(rt: &RecordType) -> Vec<(String, String)> {
    let t = &rt.name;
    let uuid_index = index_name(&format!("{t}__uuid"));
    let mut out = vec![(
        uuid_index.clone(),
        format!(
            "CREATE UNIQUE INDEX {} ON {}(\"uuid\")",
            ident(&uuid_index),
            ident(t)
        ),
    )];
    let slots = rt.unique_slots();
    for slot in slots {
        let names: Vec<&str> = slot.iter().map(|&f| rt.fields[f].name.as_str()).collect();
        let name = index_name(&format!("{t}__{}", names.join("__")));
        let cols: Vec<String> = slot.iter().map(|&f| key_expr(rt, f)).collect();
        out.push((
            name.clone(),
            format!(
                "CREATE UNIQUE INDEX {} ON {}({})",
                ident(&name),
                ident(t),
                cols.join(", ")
            ),
        ));
    }
    out
}

/// The fields of the unique index named `index` (empty: the UUID's); `None` when it is not
/// one of the type's.
fn index_fields(rt: &RecordType, index: &str) -> Option<Vec<usize>> {
    if index == index_name(&format!("{}__uuid", rt.name)) {
        return Some(Vec::new());
    }
    rt.unique_slots().into_iter().find(|slot| {
        let names: Vec<&str> = slot.iter().map(|&f| rt.fields[f].name.as_str()).collect();
        index_name(&format!("{}__{}", rt.name, names.join("__"))) == index
    })
}

/// A field's column as compared for keys: e-mail addresses ignore case.
fn key_expr(rt: &RecordType, f: usize) -> String {
    let name = ident(rt.fields[f].name.as_str());
    if matches!(rt.fields[f].field_type, FieldType::Email) {
        format!("lower({name})")
    } else {
        name
    }
}

fn select_list(rt: &RecordType) -> String {
    let mut cols = vec![
        "\"uuid\"".to_string(),
        "\"created_at\"".into(),
        "\"updated_at\"".into(),
        "\"created_by_import\"".into(),
        "\"updated_by_import\"".into(),
        "\"deactivated_at\"".into(),
    ];
    cols.extend(rt.fields.iter().map(read_expr));
    cols.join(", ")
}

/// A record from a row of [`select_list`].
fn record_of(rt: &RecordType, row: &Row) -> Result<StoredRecord, StoreError> {
    let uuid: Uuid = row.try_get(0).map_err(backend)?;
    let created_at: DateTime<Utc> = row.try_get(1).map_err(backend)?;
    let updated_at: DateTime<Utc> = row.try_get(2).map_err(backend)?;
    let updated_by_import: Option<i64> = row.try_get(4).map_err(backend)?;
    let deactivated_at: Option<DateTime<Utc>> = row.try_get(5).map_err(backend)?;
    let mut values = Vec::with_capacity(rt.fields.len());
    for (i, f) in rt.fields.iter().enumerate() {
        let at = SYSTEM_COLUMNS.len() + i;
        let kind = if multi(f).is_some() {
            StoredKind::Text
        } else {
            kind_of(f)
        };
        values.push(match kind {
            StoredKind::Integer | StoredKind::Boolean => row
                .try_get::<_, Option<i64>>(at)
                .map_err(backend)?
                .map_or(Stored::Null, Stored::Integer),
            StoredKind::DateTime => row
                .try_get::<_, Option<DateTime<Utc>>>(at)
                .map_err(backend)?
                .map_or(Stored::Null, |t| Stored::Text(rfc3339(&t))),
            _ => row
                .try_get::<_, Option<String>>(at)
                .map_err(backend)?
                .map_or(Stored::Null, Stored::Text),
        });
    }
    Ok(StoredRecord {
        uuid,
        values,
        created_at: rfc3339(&created_at),
        updated_at: rfc3339(&updated_at),
        updated_by_import,
        deactivated_at: deactivated_at.map(|t| rfc3339(&t)),
    })
}

/// Appends text to a `COPY ... FROM STDIN` (text format) line, escaped.
fn copy_escape(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Appends a field's value to a COPY line.
fn copy_value(out: &mut Vec<u8>, f: &Field, v: &Stored) {
    match v {
        Stored::Null => out.extend_from_slice(b"\\N"),
        Stored::Integer(i) => {
            if matches!(f.field_type, FieldType::Boolean) {
                out.push(if *i == 0 { b'f' } else { b't' });
            } else {
                let _ = write!(out, "{i}");
            }
        }
        Stored::Text(s) => match multi(f) {
            Some(sep) => {
                let mut lit = String::with_capacity(s.len() + 4);
                lit.push('{');
                if !s.is_empty() {
                    for (i, code) in s.split(sep).enumerate() {
                        if i > 0 {
                            lit.push(',');
                        }
                        lit.push('"');
                        for c in code.chars() {
                            if c == '"' || c == '\\' {
                                lit.push('\\');
                            }
                            lit.push(c);
                        }
                        lit.push('"');
                    }
                }
                lit.push('}');
                copy_escape(out, &lit);
            }
            None => copy_escape(out, s),
        },
    }
}

/// The start of a binary `COPY` stream: signature, flags, no header extension.
const BINARY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The end of a binary `COPY` stream.
const BINARY_TRAILER: &[u8] = &[0xff, 0xff];
/// Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// Days from 1970-01-01 to 2000-01-01.
const PG_EPOCH_DAYS: i64 = 10_957;

/// Appends one field of a binary `COPY` row: its length, then its bytes.
fn bin_bytes(out: &mut Vec<u8>, bytes: &[u8]) -> Option<()> {
    out.extend_from_slice(&i32::try_from(bytes.len()).ok()?.to_be_bytes());
    out.extend_from_slice(bytes);
    Some(())
}

/// A timestamp in RFC 3339 as PostgreSQL's binary `timestamptz`: microseconds since 2000,
/// rounded as its text input rounds them.
fn bin_timestamp(s: &str) -> Option<i64> {
    let t = DateTime::parse_from_rfc3339(s).ok()?;
    let nanos = t.timestamp_subsec_nanos();
    if nanos >= 1_000_000_000 {
        return None; // a leap second: left to the server's own reading
    }
    t.timestamp()
        .checked_mul(1_000_000)?
        .checked_add(i64::from((nanos + 500) / 1000))?
        .checked_sub(PG_EPOCH_MICROS)
}

/// A decimal as PostgreSQL's binary `numeric`: base-10000 digits, weight, sign, scale.
fn bin_numeric(out: &mut Vec<u8>, s: &str) -> Option<()> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let dscale = i16::try_from(frac.len()).ok()?;
    let int = int.trim_start_matches('0');
    let lead = (4 - int.len() % 4) % 4;
    let mut text = Vec::with_capacity(lead + int.len() + frac.len() + 3);
    text.resize(lead, b'0');
    text.extend_from_slice(int.as_bytes());
    text.extend_from_slice(frac.as_bytes());
    text.resize(text.len() + (4 - frac.len() % 4) % 4, b'0');
    let mut digits: Vec<u16> = text
        .chunks(4)
        .map(|c| c.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0')))
        .collect();
    let mut weight = i64::try_from((lead + int.len()) / 4).ok()? - 1;
    let zeros = digits.iter().take_while(|&&d| d == 0).count();
    digits.drain(..zeros);
    weight -= i64::try_from(zeros).ok()?;
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        weight = 0;
    }
    let sign: u16 = if negative && !digits.is_empty() {
        0x4000
    } else {
        0
    };
    out.extend_from_slice(&i32::try_from(8 + 2 * digits.len()).ok()?.to_be_bytes());
    out.extend_from_slice(&i16::try_from(digits.len()).ok()?.to_be_bytes());
    out.extend_from_slice(&i16::try_from(weight).ok()?.to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&dscale.to_be_bytes());
    for d in digits {
        out.extend_from_slice(&d.to_be_bytes());
    }
    Some(())
}

/// Appends a field's value to a binary `COPY` row; `None` when the value is not in the
/// form its type's stored form promises (the caller then sends text and lets the server
/// read it).
fn bin_value(out: &mut Vec<u8>, f: &Field, v: &Stored) -> Option<()> {
    let s = match v {
        Stored::Null => {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            return Some(());
        }
        Stored::Integer(i) => {
            return match (multi(f), kind_of(f)) {
                (None, StoredKind::Integer) => bin_bytes(out, &i.to_be_bytes()),
                (None, StoredKind::Boolean) => bin_bytes(out, &[u8::from(*i != 0)]),
                (None, StoredKind::Text) => bin_bytes(out, i.to_string().as_bytes()),
                _ => None,
            };
        }
        Stored::Text(s) => s,
    };
    if let Some(sep) = multi(f) {
        // A one-dimensional text[] (element type 25), or an empty one.
        let mut body = Vec::with_capacity(s.len() + 32);
        if s.is_empty() {
            body.extend_from_slice(&0i32.to_be_bytes());
            body.extend_from_slice(&0i32.to_be_bytes());
            body.extend_from_slice(&25i32.to_be_bytes());
        } else {
            let n = i32::try_from(s.split(sep).count()).ok()?;
            body.extend_from_slice(&1i32.to_be_bytes());
            body.extend_from_slice(&0i32.to_be_bytes());
            body.extend_from_slice(&25i32.to_be_bytes());
            body.extend_from_slice(&n.to_be_bytes());
            body.extend_from_slice(&1i32.to_be_bytes());
            for code in s.split(sep) {
                bin_bytes(&mut body, code.as_bytes())?;
            }
        }
        return bin_bytes(out, &body);
    }
    match kind_of(f) {
        StoredKind::Text => bin_bytes(out, s.as_bytes()),
        StoredKind::Integer => bin_bytes(out, &s.parse::<i64>().ok()?.to_be_bytes()),
        StoredKind::Decimal { .. } => bin_numeric(out, s),
        StoredKind::Date => {
            let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
            let days = d
                .signed_duration_since(chrono::NaiveDate::default())
                .num_days();
            let days = i32::try_from(days - PG_EPOCH_DAYS).ok()?;
            bin_bytes(out, &days.to_be_bytes())
        }
        StoredKind::DateTime => bin_bytes(out, &bin_timestamp(s)?.to_be_bytes()),
        StoredKind::Boolean => None,
        StoredKind::Uuid => bin_bytes(out, Uuid::parse_str(s).ok()?.as_bytes()),
    }
}

/// Records as the rows of a binary `COPY` into their table's columns (system columns, then
/// fields); `None` when a value is not in its stored form.
fn bin_rows(rt: &RecordType, records: &[NewRecord], id: i64, now: &str) -> Option<Vec<u8>> {
    let columns = i16::try_from(5 + rt.fields.len()).ok()?;
    let mut prefix = Vec::with_capacity(48);
    let now = bin_timestamp(now)?;
    bin_bytes(&mut prefix, &now.to_be_bytes())?;
    bin_bytes(&mut prefix, &now.to_be_bytes())?;
    bin_bytes(&mut prefix, &id.to_be_bytes())?;
    bin_bytes(&mut prefix, &id.to_be_bytes())?;
    let mut data = Vec::with_capacity(records.len() * 320);
    for rec in records {
        if rec.values.len() != rt.fields.len() {
            return None;
        }
        data.extend_from_slice(&columns.to_be_bytes());
        bin_bytes(&mut data, rec.uuid.as_bytes())?;
        data.extend_from_slice(&prefix);
        for (f, v) in rt.fields.iter().zip(&rec.values) {
            bin_value(&mut data, f, v)?;
        }
    }
    Some(data)
}

/// intake's own tables, created in the workspace's schema when the store opens.
const OWN_TABLES: &str = "
CREATE TABLE IF NOT EXISTS _intake_imports (
  id bigint PRIMARY KEY,
  record_type text NOT NULL,
  file_name text NOT NULL,
  options json NOT NULL,
  status text NOT NULL,
  rows bigint NOT NULL DEFAULT 0,
  created bigint NOT NULL DEFAULT 0,
  updated bigint NOT NULL DEFAULT 0,
  unchanged bigint NOT NULL DEFAULT 0,
  deleted bigint NOT NULL DEFAULT 0,
  deactivated bigint NOT NULL DEFAULT 0,
  skipped bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  reverted_at timestamptz,
  message text
);
ALTER TABLE _intake_imports ADD COLUMN IF NOT EXISTS job text;
CREATE UNIQUE INDEX IF NOT EXISTS _intake_imports_job ON _intake_imports (job);
-- What imports changed, a set of records per row: one batch's updates, deletions or
-- deactivations of one type, with their UUIDs in order and the values before and after as
-- JSON arrays in the same order (text: compressed, and not parsed when written).
DO $$ BEGIN
  IF to_regclass('_intake_change_sets') IS NULL THEN
    CREATE TABLE _intake_change_sets (
      id bigserial PRIMARY KEY,
      import_id bigint NOT NULL,
      record_type text NOT NULL,
      action text NOT NULL,
      uuids uuid[] NOT NULL,
      before text NOT NULL,
      after text
    );
    BEGIN
      ALTER TABLE _intake_change_sets ALTER COLUMN uuids SET COMPRESSION lz4,
        ALTER COLUMN before SET COMPRESSION lz4, ALTER COLUMN after SET COMPRESSION lz4;
    EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
      -- A server built without lz4 compresses with its default.
      NULL;
    END;
    CREATE INDEX _intake_change_sets_import ON _intake_change_sets(import_id);
  END IF;
  -- Earlier versions kept a row per record in a table `_intake_changes`: its rows move into
  -- sets, one per import, type and action, in their order.
  IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relname = '_intake_changes'
               AND c.relkind = 'r') THEN
    INSERT INTO _intake_change_sets (import_id, record_type, action, uuids, before, after)
      SELECT import_id, record_type, action, array_agg(uuid ORDER BY id),
        jsonb_agg(before ORDER BY id)::text,
        jsonb_agg(COALESCE(after, '{}'::jsonb) ORDER BY id)::text
      FROM _intake_changes GROUP BY import_id, record_type, action ORDER BY min(id);
    DROP TABLE _intake_changes;
  END IF;
  -- The changes a record at a time, for reading.
  IF to_regclass('_intake_changes') IS NULL THEN
    CREATE VIEW _intake_changes AS
      SELECT s.id AS set_id, c.ord, s.import_id, s.record_type, c.uuid, s.action,
        c.before, c.after
      FROM _intake_change_sets s
      CROSS JOIN LATERAL ROWS FROM (unnest(s.uuids), jsonb_array_elements(s.before::jsonb),
        jsonb_array_elements(s.after::jsonb)) WITH ORDINALITY AS c(uuid, before, after, ord);
  END IF;
END $$;
CREATE TABLE IF NOT EXISTS _intake_options (
  list text NOT NULL,
  code text NOT NULL,
  import_id bigint NOT NULL,
  PRIMARY KEY (list, code)
);
CREATE TABLE IF NOT EXISTS _intake_columns (
  record_type text NOT NULL,
  field text NOT NULL,
  kind text NOT NULL,
  PRIMARY KEY (record_type, field)
);
";

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`),
    /// creating the schema `schema` and intake's own tables in it if needed. A `?schema=NAME`
    /// in the URL overrides `schema`.
    pub fn open(url: &str, schema: &str) -> Result<Self, StoreError> {
        let (url, named) = split_schema(url);
        let schema = named.unwrap_or_else(|| schema.to_string());
        let location = redact(&url);
        let mut config: postgres::Config =
            url.parse()
                .map_err(|e: postgres::Error| StoreError::Unavailable {
                    location: location.clone(),
                    message: e.to_string(),
                })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        config.application_name("intake");
        let store = PostgresStore {
            config,
            location,
            schema,
        };
        let mut client = store.connect_bare()?;
        let create = client.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            ident(&store.schema)
        ));
        // Two first opens at once: the loser's CREATE fails, the schema is there.
        if let Err(e) = create
            && e.as_db_error().is_none_or(|d| d.code().code() != "23505")
        {
            return Err(store.unavailable(&e));
        }
        store.enter(&mut client)?;
        client
            .batch_execute(OWN_TABLES)
            .map_err(|e| store.unavailable(&e))?;
        Ok(store)
    }

    /// The PostgreSQL schema holding the workspace's tables.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    fn unavailable(&self, e: &postgres::Error) -> StoreError {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        StoreError::Unavailable {
            location: self.location.clone(),
            message,
        }
    }

    fn connect_bare(&self) -> Result<Client, StoreError> {
        self.config.connect(NoTls).map_err(|e| self.unavailable(&e))
    }

    /// Session settings: the workspace's schema first, UTC, ISO dates.
    fn enter(&self, client: &mut Client) -> Result<(), StoreError> {
        client
            .batch_execute(&format!(
                "SET search_path TO {}; SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'",
                ident(&self.schema)
            ))
            .map_err(|e| self.unavailable(&e))
    }

    fn connect(&self) -> Result<Client, StoreError> {
        let mut client = self.connect_bare()?;
        self.enter(&mut client)?;
        Ok(client)
    }
}

fn table_exists(client: &mut impl postgres::GenericClient, name: &str) -> Result<bool, StoreError> {
    let row = client
        .query_one("SELECT to_regclass($1::text) IS NOT NULL", &[&ident(name)])
        .map_err(backend)?;
    row.try_get(0).map_err(backend)
}

/// Takes the workspace's import lock for the current transaction and returns the next
/// import id.
fn lock_imports(client: &mut impl postgres::GenericClient) -> Result<i64, StoreError> {
    client
        .batch_execute(&format!(
            "SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'; LOCK TABLE _intake_imports IN EXCLUSIVE MODE"
        ))
        .map_err(backend)?;
    let row = client
        .query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM _intake_imports", &[])
        .map_err(backend)?;
    row.try_get(0).map_err(backend)
}

impl Store for PostgresStore {
    fn migrate(&self, schema: &Schema) -> Result<Migration, StoreError> {
        let mut client = self.connect()?;
        let mut tx = client.transaction().map_err(backend)?;
        tx.batch_execute(&format!(
            "SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'; LOCK TABLE _intake_columns IN EXCLUSIVE MODE"
        ))
        .map_err(backend)?;
        let mut applied = Vec::new();
        let mut refused = Vec::new();
        for rt in &schema.types {
            let t = ident(&rt.name);
            let exists = {
                let row = tx
                    .query_one("SELECT to_regclass($1::text) IS NOT NULL", &[&t])
                    .map_err(backend)?;
                row.try_get::<_, bool>(0).map_err(backend)?
            };
            if !exists {
                // The UUID is the key: one index fewer to maintain than an `id` key beside
                // the UUID's unique index. `id` keeps the creation order, unindexed.
                let mut cols = vec![
                    "\"id\" bigserial NOT NULL".to_string(),
                    format!(
                        "\"uuid\" uuid NOT NULL CONSTRAINT {} PRIMARY KEY",
                        ident(&index_name(&format!("{}__uuid", rt.name)))
                    ),
                    "\"created_at\" timestamptz NOT NULL".to_string(),
                    "\"updated_at\" timestamptz NOT NULL".to_string(),
                    "\"created_by_import\" bigint".to_string(),
                    "\"updated_by_import\" bigint".to_string(),
                    "\"deactivated_at\" timestamptz".to_string(),
                ];
                for f in &rt.fields {
                    let mut col = format!("{} {}", ident(f.name.as_str()), pg_type(f));
                    if let Some(c) = check(f) {
                        col.push(' ');
                        col.push_str(&c);
                    }
                    cols.push(col);
                }
                applied.push(format!(
                    "CREATE TABLE {t} ({}) WITH (fillfactor = {FILLFACTOR})",
                    cols.join(", ")
                ));
            } else {
                let existing: BTreeSet<String> = tx
                    .query(
                        "SELECT column_name::text FROM information_schema.columns
                         WHERE table_schema = $1::text AND table_name = $2::text",
                        &[&self.schema, &rt.name],
                    )
                    .map_err(backend)?
                    .iter()
                    .map(|r| r.try_get(0))
                    .collect::<Result<_, _>>()
                    .map_err(backend)?;
                let kinds: BTreeMap<String, String> = tx
                    .query(
                        "SELECT field, kind FROM _intake_columns WHERE record_type = $1::text",
                        &[&rt.name],
                    )
                    .map_err(backend)?
                    .iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .collect::<Result<_, postgres::Error>>()
                    .map_err(backend)?;
                for f in &rt.fields {
                    let name = f.name.as_str();
                    let kind = kind_name(f);
                    if !existing.contains(name) {
                        let mut col =
                            format!("ALTER TABLE {t} ADD COLUMN {} {}", ident(name), pg_type(f));
                        if let Some(c) = check(f) {
                            col.push(' ');
                            col.push_str(&c);
                        }
                        applied.push(col);
                    } else if let Some(old) = kinds.get(name)
                        && *old != kind
                    {
                        let filled: i64 = tx
                            .query_one(
                                &format!(
                                    "SELECT COUNT(*) FROM {t} WHERE {} IS NOT NULL",
                                    ident(name)
                                ),
                                &[],
                            )
                            .and_then(|r| r.try_get(0))
                            .map_err(backend)?;
                        if filled > 0 {
                            refused.push(format!(
                                "`{}.{name}` changes from {old} to {kind}, but {filled} records have a value; export them, clear the field, then change its type",
                                rt.name
                            ));
                        } else {
                            applied.push(format!(
                                "ALTER TABLE {t} ALTER COLUMN {} TYPE {} USING NULL",
                                ident(name),
                                pg_type(f)
                            ));
                        }
                    }
                }
                let fields: BTreeSet<&str> = rt.fields.iter().map(|f| f.name.as_str()).collect();
                for col in &existing {
                    if col == "id"
                        || SYSTEM_COLUMNS.contains(&col.as_str())
                        || fields.contains(col.as_str())
                    {
                        continue;
                    }
                    let filled: i64 = tx
                        .query_one(
                            &format!("SELECT COUNT(*) FROM {t} WHERE {} IS NOT NULL", ident(col)),
                            &[],
                        )
                        .and_then(|r| r.try_get(0))
                        .map_err(backend)?;
                    if filled > 0 {
                        refused.push(format!(
                            "the field `{}.{col}` is no longer in the schema, but {filled} records have a value; put it back, or clear it first (UPDATE \"{}\".\"{}\" SET \"{col}\" = NULL)",
                            rt.name, self.schema, rt.name
                        ));
                    }
                }
            }
            let present: BTreeSet<String> = if exists {
                tx.query(
                    "SELECT indexname::text FROM pg_indexes
                     WHERE schemaname = $1::text AND tablename = $2::text",
                    &[&self.schema, &rt.name],
                )
                .map_err(backend)?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()
                .map_err(backend)?
            } else {
                // A new table's primary key is the UUID's index.
                BTreeSet::from([index_name(&format!("{}__uuid", rt.name))])
            };
            let wanted = unique_indexes(rt);
            for (name, sql) in &wanted {
                if !present.contains(name) {
                    applied.push(sql.clone());
                }
            }
            for name in &present {
                if !name.ends_with("_pkey") && !wanted.iter().any(|(n, _)| n == name) {
                    applied.push(format!("DROP INDEX {}", ident(name)));
                }
            }
        }
        if !refused.is_empty() {
            return Err(StoreError::LossyMigration(refused));
        }
        for sql in &applied {
            tx.batch_execute(sql).map_err(|e| match backend(e) {
                StoreError::Conflict(m) => StoreError::Conflict(format!(
                    "{m}: stored records already repeat values that the schema now says are unique"
                )),
                other => other,
            })?;
        }
        for rt in &schema.types {
            for f in &rt.fields {
                tx.execute(
                    "INSERT INTO _intake_columns (record_type, field, kind)
                     VALUES ($1::text, $2::text, $3::text)
                     ON CONFLICT (record_type, field) DO UPDATE SET kind = excluded.kind",
                    &[&rt.name, &f.name.as_str(), &kind_name(f)],
                )
                .map_err(backend)?;
            }
        }
        tx.commit().map_err(backend)?;
        Ok(Migration { applied })
    }

    fn read(&self) -> Result<Box<dyn ReadSession + '_>, StoreError> {
        Ok(Box::new(PgRead {
            client: self.connect()?,
            statements: HashMap::new(),
        }))
    }

    fn begin_import(
        &self,
        _schema: &Schema,
        import: &NewImport,
    ) -> Result<Box<dyn ImportTransaction + '_>, StoreError> {
        let mut client = self.connect()?;
        client.batch_execute("BEGIN").map_err(backend)?;
        let mut tx = PgImport {
            client: Some(client),
            writer: None,
            id: 0,
            open: true,
            partial: false,
            rejected: Vec::new(),
        };
        tx.id = lock_imports(tx.client()?)?;
        let id = tx.id;
        tx.client()?
            .execute(
                "INSERT INTO _intake_imports (id, record_type, file_name, options, status, started_at,
                   job)
                 VALUES ($1, $2::text, $3::text, CAST($4::text AS json), 'completed',
                         CAST($5::text AS timestamptz), $6::text)",
                &[
                    &id,
                    &import.record_type,
                    &import.file_name,
                    &import.options.to_string(),
                    &import.started_at,
                    &import.job,
                ],
            )
            .map_err(backend)?;
        Ok(Box::new(tx))
    }

    fn record_failed_import(
        &self,
        import: &NewImport,
        counts: &Counts,
        message: &str,
        finished_at: &str,
    ) -> Result<i64, StoreError> {
        let mut client = self.connect()?;
        let mut tx = client.transaction().map_err(backend)?;
        let id = lock_imports(&mut tx)?;
        tx.execute(
            "INSERT INTO _intake_imports (id, record_type, file_name, options, status, started_at,
               rows, skipped, failed, finished_at, message, job)
             VALUES ($1, $2::text, $3::text, CAST($4::text AS json), 'failed',
                     CAST($5::text AS timestamptz), $6, $7, $8, CAST($9::text AS timestamptz),
                     $10::text, $11::text)",
            &[
                &id,
                &import.record_type,
                &import.file_name,
                &import.options.to_string(),
                &import.started_at,
                &(counts.rows as i64),
                &(counts.skipped as i64),
                &(counts.failed as i64),
                &finished_at,
                &message,
                &import.job,
            ],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(id)
    }

    fn imports(&self) -> Result<Vec<ImportRecord>, StoreError> {
        let mut client = self.connect()?;
        client
            .query(&format!("{IMPORT_SELECT} ORDER BY id DESC"), &[])
            .map_err(backend)?
            .iter()
            .map(import_of)
            .collect()
    }

    fn import(&self, id: i64) -> Result<ImportRecord, StoreError> {
        let mut client = self.connect()?;
        import_by_id(&mut client, id)
    }

    fn import_by_job(&self, job: &str) -> Result<Option<ImportRecord>, StoreError> {
        let mut client = self.connect()?;
        client
            .query_opt(&format!("{IMPORT_SELECT} WHERE job = $1::text"), &[&job])
            .map_err(backend)?
            .map(|r| import_of(&r))
            .transpose()
    }

    fn changes(&self, schema: &Schema, id: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let mut client = self.connect()?;
        let import = import_by_id(&mut client, id)?;
        let limit_i = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut out = Vec::new();
        if let Some(rt) = schema.record_type(&import.record_type)
            && table_exists(&mut client, &rt.name)?
        {
            let rows = client
                .query(
                    &format!(
                        "SELECT {} FROM {} WHERE created_by_import = $1 ORDER BY id LIMIT $2",
                        select_list(rt),
                        ident(&rt.name)
                    ),
                    &[&id, &limit_i],
                )
                .map_err(backend)?;
            for row in &rows {
                let r = record_of(rt, row)?;
                out.push(Change {
                    record_type: rt.name.clone(),
                    uuid: r.uuid,
                    action: "created".into(),
                    fields: rt
                        .fields
                        .iter()
                        .zip(r.values)
                        .filter(|(_, v)| !v.is_null())
                        .map(|(f, v)| (f.name.to_string(), Stored::Null, v))
                        .collect(),
                });
            }
        }
        let rows = client
            .query(
                "SELECT record_type, uuid, action, before::text, after::text FROM _intake_changes
                 WHERE import_id = $1 ORDER BY set_id, ord LIMIT $2",
                &[&id, &limit_i],
            )
            .map_err(backend)?;
        for row in &rows {
            let record_type: String = row.try_get(0).map_err(backend)?;
            let uuid: Uuid = row.try_get(1).map_err(backend)?;
            let action: String = row.try_get(2).map_err(backend)?;
            let before = parse_values(row.try_get(3).map_err(backend)?);
            let after = parse_values(row.try_get(4).map_err(backend)?);
            let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
            names.sort();
            names.dedup();
            let fields = names
                .into_iter()
                .filter(|n| !SYSTEM_COLUMNS.contains(&n.as_str()))
                .map(|n| {
                    (
                        n.clone(),
                        before.get(n).cloned().unwrap_or(Stored::Null),
                        after.get(n).cloned().unwrap_or(Stored::Null),
                    )
                })
                .collect();
            out.push(Change {
                record_type,
                uuid,
                action: match action.as_str() {
                    "update" => "updated".into(),
                    "delete" => "deleted".into(),
                    "deactivate" => "deactivated".into(),
                    other => other.to_string(),
                },
                fields,
            });
            if out.len() >= limit {
                break;
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    fn revert(&self, schema: &Schema, id: i64, now: &str) -> Result<RevertCounts, StoreError> {
        let mut client = self.connect()?;
        let mut tx = client.transaction().map_err(backend)?;
        lock_imports(&mut tx)?;
        let import = import_by_id(&mut tx, id)?;
        if import.status != ImportStatus::Completed {
            return Err(StoreError::NotRevertable {
                import: id,
                status: import.status.as_str().into(),
            });
        }
        if schema.record_type(&import.record_type).is_none() {
            return Err(StoreError::NotFound(format!(
                "record type `{}`",
                import.record_type
            )));
        }
        // Every type the import wrote: its own, and the linked records it created inline.
        let types: Vec<&RecordType> = schema.types.iter().collect();
        let mut conflicts: Vec<RevertConflict> = Vec::new();
        for rt in &types {
            let t = ident(&rt.name);
            // Records this import touched that a later, still standing import changed.
            let rows = tx
                .query(
                    &format!(
                        "SELECT s.record_type, c.uuid, s.import_id, s.id, c.ord FROM _intake_change_sets s
                         JOIN _intake_imports i ON i.id = s.import_id
                         CROSS JOIN LATERAL unnest(s.uuids) WITH ORDINALITY AS c(uuid, ord)
                         WHERE s.import_id > $1 AND i.status = 'completed' AND s.record_type = $2::text
                           AND c.uuid IN (
                             SELECT uuid FROM {t} WHERE created_by_import = $1
                             UNION SELECT unnest(uuids) FROM _intake_change_sets WHERE import_id = $1)
                         UNION
                         -- a record this import created that a later import deleted
                         SELECT c.record_type, c.uuid, c.import_id, c.set_id, c.ord FROM _intake_changes c
                         JOIN _intake_imports i ON i.id = c.import_id
                         WHERE c.import_id > $1 AND i.status = 'completed' AND c.record_type = $2::text
                           AND c.action = 'delete' AND (c.before->>'created_by_import')::bigint = $1
                         ORDER BY 3, 4, 5"
                    ),
                    &[&id, &rt.name],
                )
                .map_err(backend)?;
            for row in &rows {
                let record_type: String = row.try_get(0).map_err(backend)?;
                let uuid: Uuid = row.try_get(1).map_err(backend)?;
                let by_import: i64 = row.try_get(2).map_err(backend)?;
                if !conflicts
                    .iter()
                    .any(|c| c.uuid == uuid && c.by_import == by_import)
                {
                    conflicts.push(RevertConflict {
                        record_type,
                        uuid,
                        by_import,
                    });
                }
            }
        }
        if !conflicts.is_empty() {
            return Err(StoreError::RevertConflict {
                import: id,
                conflicts,
            });
        }
        let mut counts = RevertCounts::default();
        for rt in &types {
            let t = ident(&rt.name);
            counts.removed += tx
                .execute(
                    &format!("DELETE FROM {t} WHERE created_by_import = $1"),
                    &[&id],
                )
                .map_err(backend)?;
            let changes = tx
                .query(
                    "SELECT uuid, action, before::text FROM _intake_changes
                     WHERE import_id = $1 AND record_type = $2::text ORDER BY set_id DESC, ord DESC",
                    &[&id, &rt.name],
                )
                .map_err(backend)?;
            for row in &changes {
                let uuid: Uuid = row.try_get(0).map_err(backend)?;
                let action: String = row.try_get(1).map_err(backend)?;
                let before = parse_values(row.try_get(2).map_err(backend)?);
                match action.as_str() {
                    "delete" => {
                        reinsert(&mut tx, rt, &before).map_err(|e| match e {
                            StoreError::Conflict(m) => StoreError::Conflict(format!(
                                "record {uuid}, deleted by import {id}, cannot come back: {m} (another record took its unique value since)"
                            )),
                            other => other,
                        })?;
                        counts.undeleted += 1;
                    }
                    _ => {
                        restore(&mut tx, rt, uuid, &before)?;
                        if action == "deactivate" {
                            counts.reactivated += 1;
                        } else {
                            counts.restored += 1;
                        }
                    }
                }
            }
        }
        tx.execute("DELETE FROM _intake_options WHERE import_id = $1", &[&id])
            .map_err(backend)?;
        tx.execute(
            "UPDATE _intake_imports SET status = 'reverted',
               reverted_at = CAST($2::text AS timestamptz) WHERE id = $1",
            &[&id, &now],
        )
        .map_err(backend)?;
        tx.commit().map_err(backend)?;
        Ok(counts)
    }

    fn added_options(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut client = self.connect()?;
        client
            .query(
                "SELECT list, code FROM _intake_options ORDER BY import_id, list, code",
                &[],
            )
            .map_err(backend)?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, postgres::Error>>()
            .map_err(backend)
    }
}

/// The SQL type of a column of a record table, by name (system columns and fields).
fn column_type(rt: &RecordType, name: &str) -> Option<String> {
    Some(match name {
        "uuid" => "uuid".into(),
        "created_at" | "updated_at" | "deactivated_at" => "timestamptz".into(),
        "created_by_import" | "updated_by_import" => "bigint".into(),
        _ => {
            return rt
                .fields
                .iter()
                .find(|f| f.name.as_str() == name)
                .map(pg_type);
        }
    })
}

/// SQL turning the text parameter `$n` into the column `name`'s type.
fn param_into(rt: &RecordType, name: &str, n: usize) -> Option<String> {
    match rt.fields.iter().find(|f| f.name.as_str() == name) {
        Some(f) => Some(from_text(f, &format!("${n}::text"))),
        None => column_type(rt, name).map(|ty| format!("CAST(${n}::text AS {ty})")),
    }
}

/// Text parameters: timestamps written back as RFC 3339.
fn json_value_text(v: &Stored) -> Option<String> {
    value_text(v)
}

/// Puts a deleted record back from the values its change kept (every column).
fn reinsert(
    client: &mut impl postgres::GenericClient,
    rt: &RecordType,
    before: &BTreeMap<String, Stored>,
) -> Result<(), StoreError> {
    let mut cols = Vec::new();
    let mut exprs = Vec::new();
    let mut values: Vec<Option<String>> = Vec::new();
    for (k, v) in before {
        if let Some(e) = param_into(rt, k, values.len() + 1) {
            cols.push(ident(k));
            exprs.push(e);
            values.push(json_value_text(v));
        }
    }
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        ident(&rt.name),
        cols.join(", "),
        exprs.join(", ")
    );
    let params: Vec<&(dyn ToSql + Sync)> =
        values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
    client.execute(&sql, &params).map_err(backend)?;
    Ok(())
}

/// Sets the columns of a record back to the values in `before`.
fn restore(
    client: &mut impl postgres::GenericClient,
    rt: &RecordType,
    uuid: Uuid,
    before: &BTreeMap<String, Stored>,
) -> Result<(), StoreError> {
    let mut sets = Vec::new();
    let mut values: Vec<Option<String>> = Vec::new();
    for (k, v) in before {
        if let Some(e) = param_into(rt, k, values.len() + 2) {
            sets.push(format!("{} = {e}", ident(k)));
            values.push(json_value_text(v));
        }
    }
    if sets.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE {} SET {} WHERE uuid = $1",
        ident(&rt.name),
        sets.join(", ")
    );
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&uuid];
    params.extend(values.iter().map(|v| v as &(dyn ToSql + Sync)));
    client.execute(&sql, &params).map_err(backend)?;
    Ok(())
}

fn parse_values(json: Option<String>) -> BTreeMap<String, Stored> {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

const IMPORT_SELECT: &str =
    "SELECT id, record_type, file_name, options::text, status, rows, created, updated,
    unchanged, deleted, deactivated, skipped, failed, started_at, finished_at, reverted_at, message,
    job
    FROM _intake_imports";

fn import_of(r: &Row) -> Result<ImportRecord, StoreError> {
    let n = |i: usize| -> Result<u64, StoreError> {
        Ok(r.try_get::<_, i64>(i).map_err(backend)?.max(0) as u64)
    };
    let time = |i: usize| -> Result<Option<String>, StoreError> {
        Ok(r.try_get::<_, Option<DateTime<Utc>>>(i)
            .map_err(backend)?
            .map(|t| rfc3339(&t)))
    };
    let status: String = r.try_get(4).map_err(backend)?;
    let options: String = r.try_get(3).map_err(backend)?;
    Ok(ImportRecord {
        id: r.try_get(0).map_err(backend)?,
        record_type: r.try_get(1).map_err(backend)?,
        file_name: r.try_get(2).map_err(backend)?,
        options: serde_json::from_str(&options).unwrap_or(serde_json::Value::Null),
        status: ImportStatus::parse(&status).unwrap_or(ImportStatus::Failed),
        counts: Counts {
            rows: n(5)?,
            created: n(6)?,
            updated: n(7)?,
            unchanged: n(8)?,
            deleted: n(9)?,
            deactivated: n(10)?,
            skipped: n(11)?,
            failed: n(12)?,
        },
        started_at: time(13)?.unwrap_or_default(),
        finished_at: time(14)?,
        reverted_at: time(15)?,
        message: r.try_get(16).map_err(backend)?,
        job: r.try_get(17).map_err(backend)?,
    })
}

fn import_by_id(
    client: &mut impl postgres::GenericClient,
    id: i64,
) -> Result<ImportRecord, StoreError> {
    let rows = client
        .query(&format!("{IMPORT_SELECT} WHERE id = $1"), &[&id])
        .map_err(backend)?;
    match rows.first() {
        Some(r) => import_of(r),
        None => Err(StoreError::NotFound(format!("import {id}"))),
    }
}

/// A read session: one connection, its statements prepared once.
struct PgRead {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl PgRead {
    fn statement(&mut self, sql: String) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(&sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(&sql).map_err(backend)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    fn records(
        &mut self,
        rt: &RecordType,
        sql: String,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let stmt = self.statement(sql)?;
        let rows = self.client.query(&stmt, params).map_err(backend)?;
        rows.iter().map(|r| record_of(rt, r)).collect()
    }
}

impl ReadSession for PgRead {
    fn count(&mut self, rt: &RecordType) -> Result<u64, StoreError> {
        if !table_exists(&mut self.client, &rt.name)? {
            return Ok(0);
        }
        let n: i64 = self
            .client
            .query_one(&format!("SELECT COUNT(*) FROM {}", ident(&rt.name)), &[])
            .and_then(|r| r.try_get(0))
            .map_err(backend)?;
        Ok(n.max(0) as u64)
    }

    fn by_uuid(
        &mut self,
        rt: &RecordType,
        uuids: &[Uuid],
    ) -> Result<Vec<StoredRecord>, StoreError> {
        if uuids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM {} WHERE uuid = ANY($1)",
            select_list(rt),
            ident(&rt.name)
        );
        self.records(rt, sql, &[&uuids])
    }

    fn by_key(
        &mut self,
        rt: &RecordType,
        fields: &[usize],
        keys: &[Vec<Stored>],
    ) -> Result<Vec<StoredRecord>, StoreError> {
        if fields.is_empty() || keys.is_empty() || fields.iter().any(|&f| f >= rt.fields.len()) {
            return Ok(Vec::new());
        }
        // One text array per key column; e-mail keys compared in lower case.
        let columns: Vec<Vec<Option<String>>> = fields
            .iter()
            .enumerate()
            .map(|(i, &f)| {
                let email = matches!(rt.fields[f].field_type, FieldType::Email);
                keys.iter()
                    .map(|k| {
                        let v = k.get(i).and_then(value_text);
                        if email {
                            v.map(|s| s.to_lowercase())
                        } else {
                            v
                        }
                    })
                    .collect()
            })
            .collect();
        // The column as compared, and the key array in the column's type.
        let side = |i: usize, f: usize| -> (String, String) {
            let field = &rt.fields[f];
            let p = format!("${}::text[]", i + 1);
            if multi(field).is_some() {
                (read_expr(field), p)
            } else if matches!(field.field_type, FieldType::Email) {
                (key_expr(rt, f), p)
            } else {
                (
                    key_expr(rt, f),
                    format!("CAST({p} AS {}[])", pg_type(field)),
                )
            }
        };
        let (first_col, first_arr) = side(0, fields[0]);
        let condition = if fields.len() == 1 {
            format!("{first_col} = ANY({first_arr})")
        } else {
            let cols: Vec<String> = fields
                .iter()
                .enumerate()
                .map(|(i, &f)| side(i, f).0)
                .collect();
            let arrays: Vec<String> = fields
                .iter()
                .enumerate()
                .map(|(i, &f)| side(i, f).1)
                .collect();
            // The first column's condition lets the planner use the unique index.
            format!(
                "{first_col} = ANY({first_arr}) AND ({}) IN (SELECT * FROM unnest({}))",
                cols.join(", "),
                arrays.join(", ")
            )
        };
        let sql = format!(
            "SELECT {} FROM {} WHERE {condition}",
            select_list(rt),
            ident(&rt.name)
        );
        let params: Vec<&(dyn ToSql + Sync)> =
            columns.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
        self.records(rt, sql, &params)
    }

    fn existing(&mut self, record_type: &str, uuids: &[Uuid]) -> Result<Vec<Uuid>, StoreError> {
        if uuids.is_empty() || !table_exists(&mut self.client, record_type)? {
            return Ok(Vec::new());
        }
        let stmt = self.statement(format!(
            "SELECT uuid FROM {} WHERE uuid = ANY($1)",
            ident(record_type)
        ))?;
        self.client
            .query(&stmt, &[&uuids])
            .map_err(backend)?
            .iter()
            .map(|r| r.try_get(0).map_err(backend))
            .collect()
    }

    fn scan(
        &mut self,
        rt: &RecordType,
        filter: &Filter,
        each: &mut dyn FnMut(StoredRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let t = ident(&rt.name);
        let (_, values) = filter.to_sql(&|n| format!("${n}"));
        let (clause, _) = filter.to_sql(&|n| match values.get(n.wrapping_sub(1)) {
            Some(Stored::Integer(_)) => format!("${n}::int8"),
            _ => format!("${n}::text"),
        });
        let sql = if matches!(filter, Filter::All) {
            format!("SELECT {} FROM {t} ORDER BY id", select_list(rt))
        } else {
            // Conditions see the columns as SQLite holds them: text and integers.
            let mut view = vec![
                "id".to_string(),
                "uuid::text AS uuid".into(),
                format!("{} AS created_at", rfc3339_sql("created_at")),
                format!("{} AS updated_at", rfc3339_sql("updated_at")),
            ];
            for f in &rt.fields {
                view.push(format!("{} AS {}", filter_expr(f), ident(f.name.as_str())));
            }
            format!(
                "SELECT {} FROM {t} WHERE id IN (SELECT id FROM (SELECT {} FROM {t}) AS v WHERE {clause}) ORDER BY id",
                select_list(rt),
                view.join(", ")
            )
        };
        let ints: Vec<Option<i64>> = values
            .iter()
            .map(|v| match v {
                Stored::Integer(i) => Some(*i),
                _ => None,
            })
            .collect();
        let texts: Vec<Option<String>> = values
            .iter()
            .map(|v| match v {
                Stored::Text(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let params: Vec<&dyn ToSql> = values
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Stored::Integer(_) => &ints[i] as &dyn ToSql,
                _ => &texts[i] as &dyn ToSql,
            })
            .collect();
        let stmt = self.client.prepare(&sql).map_err(backend)?;
        let mut rows = self
            .client
            .query_raw(&stmt, params.iter().copied())
            .map_err(backend)?;
        use postgres::fallible_iterator::FallibleIterator;
        while let Some(row) = rows.next().map_err(backend)? {
            each(record_of(rt, &row)?)?;
        }
        Ok(())
    }
}

/// The writes of one import, on its own connection, in one transaction.
///
/// Creates and updates do not wait for the server: they are handed to a writer thread that
/// owns the connection meanwhile ([`Writer`]), so the server works on one batch while the
/// engine prepares the next. Consecutive creates of one type share one `COPY` statement.
/// Anything else (deletes, undos, the commit) first waits for the writer to finish and takes
/// the connection back; a failure of a handed-over write is reported by the next call.
struct PgImport {
    /// The connection, while no writer holds it.
    client: Option<Client>,
    writer: Option<Writer>,
    id: i64,
    open: bool,
    /// A partial import: each batch written in a savepoint, refused records kept here.
    partial: bool,
    rejected: Vec<Rejected>,
}

/// A write handed to the writer thread.
enum Job {
    /// Rows for `COPY sql FROM STDIN`, in its format; what the stream starts and ends with.
    Copy {
        sql: String,
        data: Vec<u8>,
        header: &'static [u8],
        trailer: &'static [u8],
    },
    /// A statement and its parameters.
    Execute {
        sql: String,
        params: Vec<Box<dyn ToSql + Send + Sync>>,
    },
    /// A partial import's write of a batch ([`write_guarded`]).
    Guarded(Box<Guarded>),
    /// Statements without parameters, sent as one simple query.
    Batch(String),
    /// Jobs run one after the other (none of them a `COPY` merged with the next).
    Steps(Vec<Job>),
    /// Finish the open `COPY`, if any, and give the connection back.
    Finish,
}

/// A partial import's write of one batch, with what it takes to write it again record by
/// record.
struct Guarded {
    rt: RecordType,
    id: i64,
    now: String,
    write: GuardedWrite,
}

enum GuardedWrite {
    Create(Vec<NewRecord>),
    Update(Vec<RecordUpdate>),
}

/// A write's failure in the writer thread, keeping the index a unique violation names.
enum Failure {
    Unique { index: String, detail: String },
    Other(StoreError),
}

impl From<Failure> for StoreError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Unique { detail, .. } => StoreError::Conflict(detail),
            Failure::Other(e) => e,
        }
    }
}

fn failure(e: postgres::Error) -> Failure {
    if let Some(db) = e.as_db_error()
        && db.code().code() == "23505"
    {
        let detail = db.detail().unwrap_or(db.message());
        return Failure::Unique {
            index: db.constraint().unwrap_or_default().to_string(),
            detail: detail.trim_end_matches('.').to_string(),
        };
    }
    Failure::Other(backend(e))
}

/// A failure to send rows of a `COPY`: the server's error when it gave one.
fn io_failure(e: std::io::Error) -> Failure {
    let text = e.to_string();
    match e
        .into_inner()
        .map(|inner| inner.downcast::<postgres::Error>())
    {
        Some(Ok(pg)) => failure(*pg),
        _ => Failure::Other(StoreError::Backend(format!(
            "cannot send rows to PostgreSQL: {text}"
        ))),
    }
}

/// Runs a `COPY` or a statement to its end.
fn run_once(client: &mut Client, job: Job) -> Result<(), Failure> {
    match job {
        Job::Copy {
            sql,
            data,
            header,
            trailer,
        } => {
            let mut w = client.copy_in(sql.as_str()).map_err(failure)?;
            for part in [header, data.as_slice(), trailer] {
                w.write_all(part).map_err(io_failure)?;
            }
            w.finish().map_err(failure)?;
        }
        Job::Execute { sql, params } => {
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            client.execute(sql.as_str(), &refs).map_err(failure)?;
        }
        Job::Batch(sql) => client.batch_execute(&sql).map_err(failure)?,
        Job::Steps(jobs) => {
            for job in jobs {
                run_once(client, job)?;
            }
        }
        Job::Guarded(_) | Job::Finish => {}
    }
    Ok(())
}

/// Writes a partial import's batch in a savepoint. When the database refuses a unique
/// value, the batch is rolled back to the savepoint and written again one record at a time,
/// each in its own savepoint: the records it refuses are left out and added to `rejected`.
/// Only a batch with a refused record pays for the second pass.
fn write_guarded(
    client: &mut Client,
    g: &Guarded,
    rejected: &mut Vec<Rejected>,
) -> Result<(), StoreError> {
    let whole = match &g.write {
        GuardedWrite::Create(records) => copy_job(&g.rt, records, g.id, &g.now),
        GuardedWrite::Update(updates) => update_job(&g.rt, updates, g.id, &g.now),
    };
    client
        .batch_execute("SAVEPOINT intake_batch")
        .map_err(backend)?;
    match run_once(client, whole) {
        Ok(()) => {
            return client
                .batch_execute("RELEASE SAVEPOINT intake_batch")
                .map_err(backend);
        }
        Err(Failure::Unique { .. }) => client
            .batch_execute("ROLLBACK TO SAVEPOINT intake_batch")
            .map_err(backend)?,
        Err(Failure::Other(e)) => return Err(e),
    }
    let n = match &g.write {
        GuardedWrite::Create(records) => records.len(),
        GuardedWrite::Update(updates) => updates.len(),
    };
    for i in 0..n {
        let (job, uuid, write) = match &g.write {
            GuardedWrite::Create(records) => (
                copy_job(&g.rt, &records[i..=i], g.id, &g.now),
                records[i].uuid,
                RefusedWrite::Create,
            ),
            GuardedWrite::Update(updates) => (
                update_job(&g.rt, &updates[i..=i], g.id, &g.now),
                updates[i].uuid,
                RefusedWrite::Update,
            ),
        };
        client
            .batch_execute("SAVEPOINT intake_row")
            .map_err(backend)?;
        match run_once(client, job) {
            Ok(()) => client
                .batch_execute("RELEASE SAVEPOINT intake_row")
                .map_err(backend)?,
            Err(Failure::Unique { index, detail }) => {
                client
                    .batch_execute("ROLLBACK TO SAVEPOINT intake_row; RELEASE SAVEPOINT intake_row")
                    .map_err(backend)?;
                let fields = index_fields(&g.rt, &index).unwrap_or_default();
                let value = match &g.write {
                    GuardedWrite::Create(records) => {
                        Rejected::value_of(&fields, |f| records[i].values.get(f))
                    }
                    GuardedWrite::Update(updates) => Rejected::value_of(&fields, |f| {
                        updates[i]
                            .set
                            .iter()
                            .find(|(sf, _)| *sf == f)
                            .map(|(_, v)| v)
                    }),
                };
                rejected.push(Rejected {
                    record_type: g.rt.name.clone(),
                    uuid,
                    write,
                    fields,
                    value,
                    detail,
                });
            }
            Err(Failure::Other(e)) => return Err(e),
        }
    }
    client
        .batch_execute("RELEASE SAVEPOINT intake_batch")
        .map_err(backend)
}

/// How many jobs may wait for the writer: the engine runs at most this far ahead.
const WRITER_QUEUE: usize = 2;

/// The thread that owns the import's connection while writes stream to the server.
struct Writer {
    jobs: mpsc::SyncSender<Job>,
    handle: std::thread::JoinHandle<(Client, Vec<Rejected>, Result<(), StoreError>)>,
}

impl Writer {
    fn start(mut client: Client) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::sync_channel::<Job>(WRITER_QUEUE);
        let handle = std::thread::Builder::new()
            .name("intake-pg-writer".into())
            .spawn(move || {
                let mut rejected = Vec::new();
                let result = write_jobs(&mut client, &queue, &mut rejected);
                (client, rejected, result)
            })
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer { jobs, handle })
    }
}

/// Runs jobs until `Finish` (the open `COPY` finished) or until the sender is gone (the
/// open `COPY`, if any, abandoned: the server discards it).
fn write_jobs(
    client: &mut Client,
    queue: &mpsc::Receiver<Job>,
    rejected: &mut Vec<Rejected>,
) -> Result<(), StoreError> {
    let mut next = queue.recv().ok();
    loop {
        match next.take() {
            None | Some(Job::Finish) => return Ok(()),
            Some(Job::Guarded(g)) => {
                write_guarded(client, &g, rejected)?;
                next = queue.recv().ok();
            }
            Some(job @ (Job::Batch(_) | Job::Steps(_))) => {
                run_once(client, job).map_err(StoreError::from)?;
                next = queue.recv().ok();
            }
            Some(Job::Execute { sql, params }) => {
                let refs: Vec<&(dyn ToSql + Sync)> = params
                    .iter()
                    .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                    .collect();
                client.execute(sql.as_str(), &refs).map_err(backend)?;
                next = queue.recv().ok();
            }
            Some(Job::Copy {
                sql,
                data,
                header,
                trailer,
            }) => {
                let mut w = client.copy_in(sql.as_str()).map_err(backend)?;
                copy_write(&mut w, header)?;
                copy_write(&mut w, &data)?;
                loop {
                    match queue.recv() {
                        Ok(Job::Copy {
                            sql: more, data, ..
                        }) if more == sql => {
                            copy_write(&mut w, &data)?;
                        }
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        // Abandoned: dropping the writer aborts the COPY.
                        Err(_) => return Ok(()),
                    }
                }
                copy_write(&mut w, trailer)?;
                w.finish().map_err(backend)?;
            }
        }
    }
}

/// Sends rows of a `COPY`; a failure is reported as the server's error when it gave one.
fn copy_write(w: &mut postgres::CopyInWriter<'_>, data: &[u8]) -> Result<(), StoreError> {
    w.write_all(data)
        .map_err(|e| StoreError::from(io_failure(e)))
}

/// The `COPY` creating `records` (binary when every value is in its stored form).
fn copy_job(rt: &RecordType, records: &[NewRecord], id: i64, now: &str) -> Job {
    let mut cols: Vec<String> = SYSTEM_COLUMNS[..5].iter().map(|c| ident(c)).collect();
    cols.extend(rt.fields.iter().map(|f| ident(f.name.as_str())));
    let target = format!("COPY {} ({}) FROM STDIN", ident(&rt.name), cols.join(", "));
    // Binary: the server reads no text. Values not in their stored form go as text.
    if let Some(data) = bin_rows(rt, records, id, now) {
        return Job::Copy {
            sql: format!("{target} (FORMAT binary)"),
            data,
            header: BINARY_HEADER,
            trailer: BINARY_TRAILER,
        };
    }
    let mut data = Vec::with_capacity(records.len() * 256);
    let mut prefix = Vec::with_capacity(80);
    copy_escape(&mut prefix, now);
    prefix.push(b'\t');
    copy_escape(&mut prefix, now);
    let _ = write!(prefix, "\t{}\t{}", id, id);
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    for rec in records {
        data.extend_from_slice(rec.uuid.hyphenated().encode_lower(&mut buf).as_bytes());
        data.push(b'\t');
        data.extend_from_slice(&prefix);
        for (f, v) in rt.fields.iter().zip(&rec.values) {
            data.push(b'\t');
            copy_value(&mut data, f, v);
        }
        data.push(b'\n');
    }
    Job::Copy {
        sql: target,
        data,
        header: &[],
        trailer: &[],
    }
}

/// The writes of a batch of updates and their change set: a binary `COPY` into a
/// temporary staging table and one statement ([`staged_update_job`]), or, when a value is not
/// in its stored form, one statement over unnested text arrays ([`unnest_update_job`]).
fn update_job(rt: &RecordType, updates: &[RecordUpdate], id: i64, now: &str) -> Job {
    staged_update_job(rt, updates, id, now)
        .unwrap_or_else(|| unnest_update_job(rt, updates, id, now))
}

/// The fields some update of the batch sets: only those are sent and written.
fn updated_fields(rt: &RecordType, updates: &[RecordUpdate]) -> Vec<usize> {
    let mut used: Vec<usize> = updates
        .iter()
        .flat_map(|u| u.set.iter().map(|(f, _)| *f))
        .filter(|&f| f < rt.fields.len())
        .collect();
    used.sort_unstable();
    used.dedup();
    used
}

/// Writes a changeset object, `{"field": value, ...}`, of the given fields and, when given,
/// the record's `updated_at` and `updated_by_import` (straight to JSON text: an import writes
/// one per record).
fn write_values<'a>(
    out: &mut Vec<u8>,
    rt: &RecordType,
    values: impl Iterator<Item = (usize, &'a Stored)>,
    stamp: Option<&Stamp>,
) {
    // Writing JSON into a Vec fails only on a value serde cannot represent, which `Stored`
    // has none of; such a value would be written as null.
    fn put(out: &mut Vec<u8>, value: &impl serde::Serialize) {
        let mark = out.len();
        if serde_json::to_writer(&mut *out, value).is_err() {
            out.truncate(mark);
            out.extend_from_slice(b"null");
        }
    }
    out.push(b'{');
    let mut first = true;
    let mut key = |out: &mut Vec<u8>, name: &str| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        put(out, &name);
        out.push(b':');
    };
    for (f, v) in values {
        if let Some(field) = rt.fields.get(f) {
            key(out, field.name.as_str());
            put(out, v);
        }
    }
    if let Some(stamp) = stamp {
        key(out, "updated_at");
        put(out, &stamp.updated_at);
        key(out, "updated_by_import");
        put(out, &stamp.updated_by_import);
    }
    out.push(b'}');
}

/// The text of a JSON array of changeset objects, one per item, each written by `each`
/// (with [`write_values`]).
fn values_array<T>(items: &[T], mut each: impl FnMut(&mut Vec<u8>, &T)) -> String {
    let mut out = Vec::with_capacity(items.len() * 128 + 2);
    out.push(b'[');
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        each(&mut out, item);
    }
    out.push(b']');
    // JSON text written from strings is UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The change set of a batch of updates (`$1` the import, `$2` the type), written by the
/// `WITH` clause named `changes` of the statement that updates the records, and the
/// parameters it adds from `$first` on. The values before go as one JSON array of text when
/// every update carries the record's `updated_at` and `updated_by_import`; otherwise they are
/// read from the record table in the statement's snapshot, before the update.
fn change_set_sql(
    rt: &RecordType,
    updates: &[RecordUpdate],
    first: usize,
) -> (String, Vec<Box<dyn ToSql + Send + Sync>>) {
    let uuids: Vec<Uuid> = updates.iter().map(|u| u.uuid).collect();
    let before = values_array(updates, |out, u| {
        let values = u.before.iter().map(|(f, v)| (*f, v));
        write_values(out, rt, values, u.stamp.as_ref());
    });
    let after = values_array(updates, |out, u| {
        write_values(out, rt, u.set.iter().map(|(f, v)| (*f, v)), None);
    });
    let (u, b, a) = (first, first + 1, first + 2);
    let sql = if updates.iter().all(|u| u.stamp.is_some()) {
        format!(
            "changes AS (
               INSERT INTO _intake_change_sets (import_id, record_type, action, uuids, before, after)
               VALUES ($1, $2::text, 'update', ${u}::uuid[], ${b}::text, ${a}::text)
             )"
        )
    } else {
        format!(
            "changes AS (
               INSERT INTO _intake_change_sets (import_id, record_type, action, uuids, before, after)
               SELECT $1, $2::text, 'update', array_agg(c.uuid ORDER BY c.ord),
                 jsonb_agg(jsonb_build_object('updated_at', t.updated_at,
                   'updated_by_import', t.updated_by_import) || c.before ORDER BY c.ord)::text,
                 ${a}::text
               FROM ROWS FROM (unnest(${u}::uuid[]), jsonb_array_elements(${b}::text::jsonb))
                 WITH ORDINALITY AS c(uuid, before, ord)
               JOIN {} t ON t.uuid = c.uuid
               HAVING count(*) > 0
             )",
            ident(&rt.name)
        )
    };
    (
        sql,
        vec![Box::new(uuids), Box::new(before), Box::new(after)],
    )
}

/// A batch of updates as a binary `COPY` into a temporary staging table (made once per
/// transaction, emptied for each batch), then one statement that inserts their change set
/// and updates the records from it. The server reads no text. `None` when a value is not in
/// its stored form (or the type has too many fields for a staging table).
fn staged_update_job(rt: &RecordType, updates: &[RecordUpdate], id: i64, now: &str) -> Option<Job> {
    // PostgreSQL's limit is 1600 columns: two per field and one more.
    if rt.fields.len() > 790 {
        return None;
    }
    let used = updated_fields(rt, updates);
    let mut columns = vec!["uuid uuid".to_string()];
    for (f, field) in rt.fields.iter().enumerate() {
        columns.push(format!("s{f} boolean"));
        columns.push(format!("c{f} {}", pg_type(field)));
    }
    let mut sent = vec!["uuid".to_string()];
    for &f in &used {
        sent.push(format!("s{f}"));
        sent.push(format!("c{f}"));
    }
    let width = i16::try_from(sent.len()).ok()?;
    let mut data = Vec::with_capacity(updates.len() * 256);
    for u in updates {
        data.extend_from_slice(&width.to_be_bytes());
        bin_bytes(&mut data, u.uuid.as_bytes())?;
        for &f in &used {
            match u.set.iter().find(|(sf, _)| *sf == f) {
                Some((_, v)) => {
                    bin_bytes(&mut data, &[1])?;
                    bin_value(&mut data, &rt.fields[f], v)?;
                }
                None => {
                    bin_bytes(&mut data, &[0])?;
                    data.extend_from_slice(&(-1i32).to_be_bytes());
                }
            }
        }
    }
    let stage = format!(
        "pg_temp.{}",
        ident(&index_name(&format!("_intake_update_{}", rt.name)))
    );
    let t = ident(&rt.name);
    let mut sets: Vec<String> = used
        .iter()
        .map(|&f| {
            let c = ident(rt.fields[f].name.as_str());
            format!("{c} = CASE WHEN s.s{f} THEN s.c{f} ELSE t.{c} END")
        })
        .collect();
    sets.push("updated_at = CAST($3::text AS timestamptz)".into());
    sets.push("updated_by_import = $1".into());
    let mut params: Vec<Box<dyn ToSql + Send + Sync>> = vec![
        Box::new(id),
        Box::new(rt.name.clone()),
        Box::new(now.to_string()),
    ];
    let (changes, more) = change_set_sql(rt, updates, params.len() + 1);
    params.extend(more);
    Some(Job::Steps(vec![
        Job::Batch(format!(
            "CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ({}) ON COMMIT DROP; TRUNCATE {stage}",
            columns.join(", ")
        )),
        Job::Copy {
            sql: format!(
                "COPY {stage} ({}) FROM STDIN (FORMAT binary)",
                sent.join(", ")
            ),
            data,
            header: BINARY_HEADER,
            trailer: BINARY_TRAILER,
        },
        Job::Execute {
            sql: format!(
                "WITH {changes}
                 UPDATE {t} AS t SET {} FROM {stage} s WHERE t.uuid = s.uuid",
                sets.join(", ")
            ),
            params,
        },
    ]))
}

/// The statement writing a batch of updates and their change set from unnested text
/// arrays, each value read by the server as its column's type.
fn unnest_update_job(rt: &RecordType, updates: &[RecordUpdate], id: i64, now: &str) -> Job {
    let used = updated_fields(rt, updates);
    // One array per column, unnested side by side: the batch's rows in one statement, its
    // change set in a data-modifying WITH.
    let uuids: Vec<Uuid> = updates.iter().map(|u| u.uuid).collect();
    let mut params: Vec<Box<dyn ToSql + Send + Sync>> = vec![
        Box::new(id),
        Box::new(rt.name.clone()),
        Box::new(now.to_string()),
        Box::new(uuids),
    ];
    let mut arrays = vec!["$4::uuid[]".to_string()];
    let mut names = vec!["uuid".to_string()];
    let mut sets = Vec::with_capacity(used.len() + 2);
    for &f in &used {
        let (mut given, mut values) = (Vec::with_capacity(updates.len()), Vec::new());
        values.reserve(updates.len());
        for u in updates {
            let v = u.set.iter().find(|(sf, _)| *sf == f).map(|(_, v)| v);
            given.push(v.is_some());
            values.push(v.and_then(value_text));
        }
        params.push(Box::new(given));
        params.push(Box::new(values));
        arrays.push(format!("${}::bool[]", params.len() - 1));
        arrays.push(format!("${}::text[]", params.len()));
        names.push(format!("s{f}"));
        names.push(format!("c{f}"));
        let field = &rt.fields[f];
        let c = ident(field.name.as_str());
        sets.push(format!(
            "{c} = CASE WHEN u.s{f} THEN {} ELSE t.{c} END",
            from_text(field, &format!("u.c{f}"))
        ));
    }
    sets.push("updated_at = CAST($3::text AS timestamptz)".into());
    sets.push("updated_by_import = $1".into());
    let t = ident(&rt.name);
    let (changes, more) = change_set_sql(rt, updates, params.len() + 1);
    params.extend(more);
    let sql = format!(
        "WITH u AS MATERIALIZED (
           SELECT * FROM unnest({}) AS u({})
         ), {changes}
         UPDATE {t} AS t SET {} FROM u WHERE t.uuid = u.uuid",
        arrays.join(", "),
        names.join(", "),
        sets.join(", ")
    );
    Job::Execute { sql, params }
}

impl Drop for PgImport {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            // Without `Finish`, the writer abandons its COPY and stops.
            drop(w.jobs);
            if let Ok((client, _, _)) = w.handle.join() {
                self.client = Some(client);
            }
        }
        if self.open
            && let Some(client) = self.client.as_mut()
        {
            // Nothing of the import becomes visible; a lost connection was rolled back by
            // the server already.
            let _ = client.batch_execute("ROLLBACK");
        }
    }
}

impl PgImport {
    /// The connection, once the writer (if any) has done everything handed to it.
    fn client(&mut self) -> Result<&mut Client, StoreError> {
        if let Some(w) = self.writer.take() {
            // A writer that stopped on an error has dropped its queue: its result says why.
            let _ = w.jobs.send(Job::Finish);
            let (client, rejected, result) = w
                .handle
                .join()
                .map_err(|_| StoreError::Backend("the PostgreSQL writer thread panicked".into()))?;
            self.client = Some(client);
            self.rejected.extend(rejected);
            result?;
        }
        self.client
            .as_mut()
            .ok_or_else(|| StoreError::Backend("the connection to PostgreSQL was lost".into()))
    }

    /// Hands a write to the writer thread, starting it if needed.
    fn hand_over(&mut self, job: Job) -> Result<(), StoreError> {
        if self.writer.is_none() {
            let client = self.client.take().ok_or_else(|| {
                StoreError::Backend("the connection to PostgreSQL was lost".into())
            })?;
            self.writer = Some(Writer::start(client)?);
        }
        let sent = self.writer.as_ref().map(|w| w.jobs.send(job));
        match sent {
            Some(Ok(())) => Ok(()),
            // The writer stopped on an error: take the connection back and report it.
            _ => {
                self.client()?;
                Err(StoreError::Backend(
                    "the PostgreSQL writer thread stopped".into(),
                ))
            }
        }
    }
}

impl ImportTransaction for PgImport {
    fn id(&self) -> i64 {
        self.id
    }

    fn bulk_load(&mut self, _rt: &RecordType) -> Result<(), StoreError> {
        // The indexes stay: dropping them would lock readers out until the commit, and COPY
        // maintains them at close to the speed of building them afterwards.
        Ok(())
    }

    fn insert(
        &mut self,
        rt: &RecordType,
        records: &[NewRecord],
        now: &str,
    ) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        if self.partial {
            return self.hand_over(Job::Guarded(Box::new(Guarded {
                rt: rt.clone(),
                id: self.id,
                now: now.to_string(),
                write: GuardedWrite::Create(records.to_vec()),
            })));
        }
        let job = copy_job(rt, records, self.id, now);
        self.hand_over(job)
    }

    fn update(
        &mut self,
        rt: &RecordType,
        updates: &[RecordUpdate],
        now: &str,
    ) -> Result<(), StoreError> {
        if updates.is_empty() {
            return Ok(());
        }
        if self.partial {
            return self.hand_over(Job::Guarded(Box::new(Guarded {
                rt: rt.clone(),
                id: self.id,
                now: now.to_string(),
                write: GuardedWrite::Update(updates.to_vec()),
            })));
        }
        let job = update_job(rt, updates, self.id, now);
        self.hand_over(job)
    }

    fn delete(&mut self, rt: &RecordType, records: &[StoredRecord]) -> Result<(), StoreError> {
        let id = self.id;
        if records.is_empty() {
            return Ok(());
        }
        let t = ident(&rt.name);
        let uuids: Vec<Uuid> = records.iter().map(|r| r.uuid).collect();
        let fields = values_array(records, |out, r| {
            write_values(out, rt, r.values.iter().enumerate(), None);
        });
        // The records whole, their system columns read as they are, in one change set.
        self.client()?
            .execute(
                &format!(
                    "INSERT INTO _intake_change_sets (import_id, record_type, action, uuids, before)
                     SELECT $1, $2::text, 'delete', array_agg(t.uuid ORDER BY c.ord),
                       jsonb_agg(jsonb_build_object('uuid', t.uuid, 'created_at', t.created_at,
                         'created_by_import', t.created_by_import, 'updated_at', t.updated_at,
                         'updated_by_import', t.updated_by_import,
                         'deactivated_at', t.deactivated_at) || c.fields ORDER BY c.ord)::text
                     FROM ROWS FROM (unnest($3::uuid[]), jsonb_array_elements($4::text::jsonb))
                       WITH ORDINALITY AS c(uuid, fields, ord)
                     JOIN {t} t ON t.uuid = c.uuid
                     HAVING count(*) > 0"
                ),
                &[&id, &rt.name, &uuids, &fields],
            )
            .map_err(backend)?;
        self.client()?
            .execute(&format!("DELETE FROM {t} WHERE uuid = ANY($1)"), &[&uuids])
            .map_err(backend)?;
        Ok(())
    }

    fn deactivate(&mut self, rt: &RecordType, uuids: &[Uuid], now: &str) -> Result<(), StoreError> {
        let id = self.id;
        if uuids.is_empty() {
            return Ok(());
        }
        let t = ident(&rt.name);
        self.client()?
            .execute(
                &format!(
                    "INSERT INTO _intake_change_sets (import_id, record_type, action, uuids, before, after)
                     SELECT $1, $2::text, 'deactivate', array_agg(t.uuid ORDER BY u.ord),
                       jsonb_agg(jsonb_build_object('updated_at', t.updated_at,
                         'updated_by_import', t.updated_by_import,
                         'deactivated_at', t.deactivated_at) ORDER BY u.ord)::text,
                       jsonb_agg(jsonb_build_object('deactivated_at', $3::text))::text
                     FROM unnest($4::uuid[]) WITH ORDINALITY AS u(uuid, ord)
                     JOIN {t} t ON t.uuid = u.uuid
                     HAVING count(*) > 0"
                ),
                &[&id, &rt.name, &now, &uuids],
            )
            .map_err(backend)?;
        self.client()?
            .execute(
                &format!(
                    "UPDATE {t} SET deactivated_at = CAST($1::text AS timestamptz),
                       updated_at = CAST($1::text AS timestamptz), updated_by_import = $2
                     WHERE uuid = ANY($3)"
                ),
                &[&now, &id, &uuids],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn undo(&mut self, rt: &RecordType, uuid: Uuid) -> Result<(), StoreError> {
        let t = ident(&rt.name);
        let id = self.id;
        let removed = self
            .client()?
            .execute(
                &format!("DELETE FROM {t} WHERE uuid = $1 AND created_by_import = $2"),
                &[&uuid, &id],
            )
            .map_err(backend)?;
        if removed > 0 {
            return Ok(());
        }
        // Where the record is in this import's change sets, last first (taking a record out
        // of a set moves only those after it).
        let places = self
            .client()?
            .query(
                "SELECT s.id, c.ord::int4, s.action,
                   (s.before::jsonb -> (c.ord::int4 - 1))::text
                 FROM _intake_change_sets s
                 CROSS JOIN LATERAL unnest(s.uuids) WITH ORDINALITY AS c(uuid, ord)
                 WHERE s.import_id = $1 AND s.record_type = $2::text AND c.uuid = $3
                 ORDER BY s.id DESC, c.ord DESC",
                &[&id, &rt.name, &uuid],
            )
            .map_err(backend)?;
        for row in &places {
            let set: i64 = row.try_get(0).map_err(backend)?;
            let ord: i32 = row.try_get(1).map_err(backend)?;
            let action: String = row.try_get(2).map_err(backend)?;
            let before = parse_values(row.try_get(3).map_err(backend)?);
            if action == "delete" {
                reinsert(self.client()?, rt, &before)?;
            } else {
                restore(self.client()?, rt, uuid, &before)?;
            }
            self.client()?
                .execute(
                    "UPDATE _intake_change_sets SET uuids = uuids[:$2::int4 - 1] || uuids[$2::int4 + 1:],
                       before = (before::jsonb - ($2::int4 - 1))::text,
                       after = (after::jsonb - ($2::int4 - 1))::text
                     WHERE id = $1",
                    &[&set, &ord],
                )
                .map_err(backend)?;
        }
        Ok(())
    }

    fn partial(&mut self) -> Result<(), StoreError> {
        self.partial = true;
        Ok(())
    }

    fn rejected(&mut self) -> Result<Vec<Rejected>, StoreError> {
        self.client()?;
        Ok(std::mem::take(&mut self.rejected))
    }

    fn add_options(&mut self, list: &str, codes: &[String]) -> Result<(), StoreError> {
        let id = self.id;
        if codes.is_empty() {
            return Ok(());
        }
        self.client()?
            .execute(
                "INSERT INTO _intake_options (list, code, import_id)
                 SELECT $1::text, c, $3 FROM unnest($2::text[]) AS c
                 ON CONFLICT (list, code) DO NOTHING",
                &[&list, &codes, &id],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn commit(mut self: Box<Self>, counts: &Counts, finished_at: &str) -> Result<i64, StoreError> {
        let id = self.id;
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.client()?
            .execute(
                "UPDATE _intake_imports SET status = 'completed', rows = $2, created = $3,
                   updated = $4, unchanged = $5, deleted = $6, deactivated = $7, skipped = $8,
                   failed = $9, finished_at = CAST($10::text AS timestamptz) WHERE id = $1",
                &[
                    &id,
                    &n(counts.rows),
                    &n(counts.created),
                    &n(counts.updated),
                    &n(counts.unchanged),
                    &n(counts.deleted),
                    &n(counts.deactivated),
                    &n(counts.skipped),
                    &n(counts.failed),
                    &finished_at,
                ],
            )
            .map_err(backend)?;
        // Once COMMIT is sent the outcome is the server's: nothing is rolled back on drop.
        self.open = false;
        self.client()?.batch_execute("COMMIT").map_err(backend)?;
        Ok(self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert_eq!(schema_name_for("demo-crm"), "demo_crm");
        assert_eq!(schema_name_for("2024 Sales"), "w_2024_sales");
        assert_eq!(schema_name_for("..."), "intake");
        assert_eq!(schema_name_for("pg_x"), "w_pg_x");
    }

    #[test]
    fn schema_comes_off_the_url() {
        assert_eq!(
            split_schema("postgres://u@h/db?schema=crm&sslmode=disable"),
            (
                "postgres://u@h/db?sslmode=disable".into(),
                Some("crm".into())
            )
        );
        assert_eq!(
            split_schema("postgres://u@h/db"),
            ("postgres://u@h/db".into(), None)
        );
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
    }

    #[test]
    fn copy_text_is_escaped() {
        let mut out = Vec::new();
        copy_escape(&mut out, "a\tb\\c\nd\re");
        assert_eq!(out, b"a\\tb\\\\c\\nd\\re");
    }

    fn numeric(s: &str) -> Vec<i64> {
        let mut out = Vec::new();
        bin_numeric(&mut out, s).unwrap();
        out[4..]
            .chunks(2)
            .map(|c| i64::from(i16::from_be_bytes([c[0], c[1]])))
            .collect()
    }

    #[test]
    fn decimals_are_encoded_as_binary_numeric() {
        // ndigits, weight, sign, dscale, digits (base 10000)
        assert_eq!(numeric("123.45"), [2, 0, 0, 2, 123, 4500]);
        assert_eq!(numeric("0.05"), [1, -1, 0, 2, 500]);
        assert_eq!(numeric("-10000.5"), [3, 1, 0x4000, 1, 1, 0, 5000]);
        assert_eq!(numeric("0.00"), [0, 0, 0, 2]);
        assert_eq!(numeric("-0.0001"), [1, -1, 0x4000, 4, 1]);
        assert_eq!(numeric("12345678"), [2, 1, 0, 0, 1234, 5678]);
        assert!(bin_numeric(&mut Vec::new(), "1e5").is_none());
        assert!(bin_numeric(&mut Vec::new(), "").is_none());
    }

    #[test]
    fn timestamps_count_microseconds_from_2000() {
        assert_eq!(bin_timestamp("2000-01-01T00:00:00Z"), Some(0));
        assert_eq!(bin_timestamp("2000-01-01T00:00:01.5Z"), Some(1_500_000));
        assert_eq!(bin_timestamp("1999-12-31T23:59:59.999999Z"), Some(-1));
        assert_eq!(bin_timestamp("2000-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(bin_timestamp("not a time"), None);
    }

    #[test]
    fn long_index_names_stay_whole_and_distinct() {
        let a = index_name(&"x".repeat(80));
        let b = index_name(&format!("{}y", "x".repeat(79)));
        assert!(a.len() <= 63 && b.len() <= 63);
        assert_ne!(a, b);
    }
}
