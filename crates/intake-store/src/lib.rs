//! The store: where records, imports and changesets live.
//!
//! One interface, several backends (SQLite embedded by default; PostgreSQL at scale). The
//! interface is made of batches, never of single rows: look up many records by UUID or by
//! natural key in one call, write many records in one call. An import writes through one
//! [`ImportTransaction`]: everything it did becomes visible at [`ImportTransaction::commit`],
//! or nothing does.
//!
//! Lookups made during an import go through [`ReadSession`]s opened after the import's
//! transaction began. They see the records as they were when the import started, which is
//! what the planner compares rows with.
//!
//! The [`contract`] module is the test suite every backend runs.

use intake_core::filter::Filter;
use intake_core::plan::StoredRecord;
use intake_core::schema::{RecordType, Schema};
use intake_core::stored::Stored;
use uuid::Uuid;

pub mod contract;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database cannot be opened or reached.
    #[error("cannot open the database {location}: {message}")]
    Unavailable {
        /// Where the database is.
        location: String,
        /// What the backend said.
        message: String,
    },
    /// The schema cannot be applied without losing data.
    #[error("the schema cannot be applied to the database without losing data:\n  {}", .0.join("\n  "))]
    LossyMigration(Vec<String>),
    /// The database is busy (another writer holds it) beyond the wait allowed.
    #[error(
        "the database is busy: another import or program is writing to it; try again when it has finished"
    )]
    Busy,
    /// A unique value collided at write time.
    #[error("a unique value is already used: {0}")]
    Conflict(String),
    /// The record or import asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A revert was refused because later imports changed the same records.
    #[error("import {import} cannot be reverted: later imports changed {} of its records", .conflicts.len())]
    RevertConflict {
        /// The import asked to revert.
        import: i64,
        /// The records concerned.
        conflicts: Vec<RevertConflict>,
    },
    /// The import cannot be reverted in its state.
    #[error("import {import} cannot be reverted: it is {status}")]
    NotRevertable {
        /// The import.
        import: i64,
        /// Its status.
        status: String,
    },
    /// Any other failure of the backend.
    #[error("database error: {0}")]
    Backend(String),
}

/// A record a later import changed, which stops a revert.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RevertConflict {
    /// The record's type.
    pub record_type: String,
    /// The record.
    pub uuid: Uuid,
    /// The later import that changed it.
    pub by_import: i64,
}

/// What a migration did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Migration {
    /// Statements run, for the record (empty when the database was up to date).
    pub applied: Vec<String>,
}

/// An import's identity and options, recorded when it starts.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NewImport {
    /// The record type.
    pub record_type: String,
    /// The file's name as given (for display only).
    pub file_name: String,
    /// The options, as JSON.
    pub options: serde_json::Value,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// The server job this import runs for, if any. At most one import of a workspace holds
    /// a given job: a second commit of the same job fails ([`StoreError::Conflict`]), which is
    /// what keeps a job that two workers ran from being written twice.
    pub job: Option<String>,
}

/// Counts of what an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Data rows read.
    pub rows: u64,
    /// Records created.
    pub created: u64,
    /// Records updated.
    pub updated: u64,
    /// Rows that matched their record exactly.
    pub unchanged: u64,
    /// Records deleted.
    pub deleted: u64,
    /// Records deactivated.
    pub deactivated: u64,
    /// Rows not written because of problems (partial imports).
    pub skipped: u64,
    /// Rows with problems.
    pub failed: u64,
}

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Written and committed.
    Completed,
    /// Nothing written (problems in an all-or-nothing import, or an error).
    Failed,
    /// Undone by `imports revert`.
    Reverted,
}

impl ImportStatus {
    /// The status's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Completed => "completed",
            ImportStatus::Failed => "failed",
            ImportStatus::Reverted => "reverted",
        }
    }

    /// Reads a stored status.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "completed" => ImportStatus::Completed,
            "failed" => ImportStatus::Failed,
            "reverted" => ImportStatus::Reverted,
            _ => return None,
        })
    }
}

/// An import as recorded.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportRecord {
    /// Its id (increasing).
    pub id: i64,
    /// The record type.
    pub record_type: String,
    /// The file's name as given.
    pub file_name: String,
    /// The options, as JSON.
    pub options: serde_json::Value,
    /// Where it stands.
    pub status: ImportStatus,
    /// What it did.
    pub counts: Counts,
    /// When it started.
    pub started_at: String,
    /// When it finished.
    pub finished_at: Option<String>,
    /// When it was reverted.
    pub reverted_at: Option<String>,
    /// Why it failed, for failed imports.
    pub message: Option<String>,
    /// The server job it ran for, if any.
    pub job: Option<String>,
}

/// What changed in one record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// The record's type.
    pub record_type: String,
    /// The record.
    pub uuid: Uuid,
    /// `created`, `updated`, `deleted` or `deactivated`.
    pub action: String,
    /// (field, value before, value after) of the fields that changed.
    pub fields: Vec<(String, Stored, Stored)>,
}

/// A record to create.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// Its new UUID.
    pub uuid: Uuid,
    /// One value per field.
    pub values: Vec<Stored>,
}

/// A change to some fields of a record.
#[derive(Debug, Clone)]
pub struct RecordUpdate {
    /// The record.
    pub uuid: Uuid,
    /// (field, new value).
    pub set: Vec<(usize, Stored)>,
    /// (field, value before), for the changeset.
    pub before: Vec<(usize, Stored)>,
    /// When the record was last changed and by which import, as read before the update, for
    /// the changeset; `None` when the caller did not read them (the store reads them then).
    pub stamp: Option<Stamp>,
}

/// When a stored record was last changed, and by which import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Its `updated_at` (RFC 3339).
    pub updated_at: String,
    /// Its `updated_by_import`.
    pub updated_by_import: Option<i64>,
}

/// Which write of a record the database refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusedWrite {
    /// Its creation.
    Create,
    /// An update of it.
    Update,
}

/// A record the database refused in a partial import: a unique value it would hold was
/// taken by another record, written by another writer after the import's lookups (or
/// missed by its checks). Nothing of it was written; the other records of its batch were.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    /// The record's type.
    pub record_type: String,
    /// The record.
    pub uuid: Uuid,
    /// The write refused.
    pub write: RefusedWrite,
    /// The fields (indexes into the type's fields) whose values clash, in the unique index's
    /// order; empty when the clash is on the record's UUID.
    pub fields: Vec<usize>,
    /// The values of those fields as the record would hold them, joined by `, `.
    pub value: String,
    /// What the database said.
    pub detail: String,
}

impl Rejected {
    /// The values of `fields` as [`Rejected::value`] shows them; `value(f)` is the value
    /// the record would hold in field `f`.
    pub fn value_of<'a>(fields: &[usize], value: impl Fn(usize) -> Option<&'a Stored>) -> String {
        fields
            .iter()
            .map(|&f| match value(f) {
                Some(Stored::Text(s)) => s.clone(),
                Some(Stored::Integer(i)) => i.to_string(),
                Some(Stored::Null) | None => String::new(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a revert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RevertCounts {
    /// Created records removed.
    pub removed: u64,
    /// Updated records restored.
    pub restored: u64,
    /// Deleted records put back.
    pub undeleted: u64,
    /// Deactivated records reactivated.
    pub reactivated: u64,
}

/// A store backend.
pub trait Store: Send + Sync {
    /// Creates the tables of the schema, or adds what is missing. Refuses changes that
    /// would lose data ([`StoreError::LossyMigration`]).
    fn migrate(&self, schema: &Schema) -> Result<Migration, StoreError>;

    /// A session for reading (lookups of an import, exports).
    fn read(&self) -> Result<Box<dyn ReadSession + '_>, StoreError>;

    /// Starts an import: one transaction, nothing visible to others until it commits.
    fn begin_import(
        &self,
        schema: &Schema,
        import: &NewImport,
    ) -> Result<Box<dyn ImportTransaction + '_>, StoreError>;

    /// Records an import that wrote nothing (problems in an all-or-nothing import).
    fn record_failed_import(
        &self,
        import: &NewImport,
        counts: &Counts,
        message: &str,
        finished_at: &str,
    ) -> Result<i64, StoreError>;

    /// Every import, newest first.
    fn imports(&self) -> Result<Vec<ImportRecord>, StoreError>;

    /// One import.
    fn import(&self, id: i64) -> Result<ImportRecord, StoreError>;

    /// The import recorded for a server job, if one was committed.
    fn import_by_job(&self, job: &str) -> Result<Option<ImportRecord>, StoreError>;

    /// What an import changed, at most `limit` changes.
    fn changes(&self, schema: &Schema, id: i64, limit: usize) -> Result<Vec<Change>, StoreError>;

    /// Undoes a completed import as a whole, or refuses naming the records later imports
    /// changed ([`StoreError::RevertConflict`]).
    fn revert(&self, schema: &Schema, id: i64, now: &str) -> Result<RevertCounts, StoreError>;

    /// Options added to lookup lists by imports: (list, code).
    fn added_options(&self) -> Result<Vec<(String, String)>, StoreError>;
}

/// Reads records. Sessions are cheap; each import worker holds its own.
pub trait ReadSession: Send {
    /// Number of records of a type.
    fn count(&mut self, rt: &RecordType) -> Result<u64, StoreError>;

    /// Records with these UUIDs (those that exist).
    fn by_uuid(&mut self, rt: &RecordType, uuids: &[Uuid])
    -> Result<Vec<StoredRecord>, StoreError>;

    /// Records whose `fields` equal one of `keys` (e-mail fields compared ignoring case).
    fn by_key(
        &mut self,
        rt: &RecordType,
        fields: &[usize],
        keys: &[Vec<Stored>],
    ) -> Result<Vec<StoredRecord>, StoreError>;

    /// Of these UUIDs, those that name a record of the type named `record_type`.
    fn existing(&mut self, record_type: &str, uuids: &[Uuid]) -> Result<Vec<Uuid>, StoreError>;

    /// Every record matching the filter, in creation order, handed to `each`.
    fn scan(
        &mut self,
        rt: &RecordType,
        filter: &Filter,
        each: &mut dyn FnMut(StoredRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
}

/// The writes of one import, in one transaction. Dropping it without committing rolls
/// everything back.
pub trait ImportTransaction {
    /// The import's id.
    fn id(&self) -> i64;

    /// Tells the store a large number of records is about to be created in an empty table,
    /// so that it may build the table's indexes once at the end instead of row by row.
    fn bulk_load(&mut self, rt: &RecordType) -> Result<(), StoreError>;

    /// Creates records.
    fn insert(
        &mut self,
        rt: &RecordType,
        records: &[NewRecord],
        now: &str,
    ) -> Result<(), StoreError>;

    /// Changes fields of records, keeping the values before in the changeset.
    fn update(
        &mut self,
        rt: &RecordType,
        updates: &[RecordUpdate],
        now: &str,
    ) -> Result<(), StoreError>;

    /// Deletes records, keeping them whole in the changeset.
    fn delete(&mut self, rt: &RecordType, records: &[StoredRecord]) -> Result<(), StoreError>;

    /// Marks records inactive.
    fn deactivate(&mut self, rt: &RecordType, uuids: &[Uuid], now: &str) -> Result<(), StoreError>;

    /// Undoes what this import did to one record so far (used when a later row of the file
    /// turns out to conflict with the row that wrote it).
    fn undo(&mut self, rt: &RecordType, uuid: Uuid) -> Result<(), StoreError>;

    /// Makes this a partial import's transaction (`--on-error skip`). From then on, a
    /// record whose create or update the database refuses because a unique value it would
    /// hold is taken ([`StoreError::Conflict`] otherwise) is left out: the other records of
    /// its batch are written, and it is reported by [`ImportTransaction::rejected`]. Other
    /// failures still fail the write. Called before the first write.
    fn partial(&mut self) -> Result<(), StoreError>;

    /// The records refused since the last call (partial imports; empty otherwise), once
    /// every write handed to the store so far is done.
    fn rejected(&mut self) -> Result<Vec<Rejected>, StoreError>;

    /// Adds options to a lookup list.
    fn add_options(&mut self, list: &str, codes: &[String]) -> Result<(), StoreError>;

    /// Makes everything visible, recording the import as completed with these counts.
    fn commit(self: Box<Self>, counts: &Counts, finished_at: &str) -> Result<i64, StoreError>;
}
