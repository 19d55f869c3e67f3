//! What the notification says: the end of one import.

use serde::{Deserialize, Serialize};

/// What happened, sent as the webhook's JSON body and summarised in the mail.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImportEnded {
    /// Always [`ImportEnded::EVENT`]; receivers dispatch on it (and on `X-Intake-Event`).
    pub event: String,
    pub workspace: String,
    /// The server's import id (a UUID as text).
    pub import_id: String,
    pub record_type: String,
    /// The uploaded file's name, as the user's machine named it.
    pub file_name: String,
    /// `completed`, `failed` or `cancelled`.
    pub status: String,
    pub counts: Counts,
    pub uploaded_by: String,
    /// RFC 3339.
    pub finished_at: String,
    /// Why the import failed.
    pub message: Option<String>,
    /// The import's page, when the server knows its public URL.
    pub url: Option<String>,
}

impl ImportEnded {
    /// The value of `event` and of the `X-Intake-Event` header.
    pub const EVENT: &str = "import.ended";
}

/// The rows of the file and what became of them.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Counts {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
    pub skipped: u64,
    pub failed: u64,
}
