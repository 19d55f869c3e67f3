//! The server's records: users and their roles, sessions and tokens, workspaces, uploads,
//! imports (each also a job a worker claims), the audit trail and remembered mappings.
//! Typed functions over [`Db`]; every state change of an import is one conditional
//! `UPDATE`, so two servers or workers racing on one import cannot both win.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::{Db, DbError, Row, Val};

/// A role in a workspace, each including the ones before it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema, Hash,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads types, records, imports and their files.
    Viewer,
    /// Uploads, maps, validates and submits imports.
    Importer,
    /// Approves imports, runs deletions and deactivations, reverts.
    Manager,
    /// Manages the workspace's settings and members.
    Admin,
}

impl Role {
    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Importer => "importer",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    /// Reads a role's name.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "viewer" => Role::Viewer,
            "importer" => Role::Importer,
            "manager" => Role::Manager,
            "admin" => Role::Admin,
            _ => return None,
        })
    }
}

/// A user.
#[derive(Debug, Clone)]
pub struct User {
    /// Id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Where notifications go.
    pub email: Option<String>,
    /// The argon2 hash of the password (PHC string), if the user has one.
    pub password_hash: Option<String>,
    /// May create workspaces and users, and is admin in every workspace.
    pub server_admin: bool,
    /// Cannot log in or use tokens.
    pub disabled: bool,
}

const USER_COLUMNS: &str = "id, username, email, password_hash, server_admin, disabled";

fn user_of(r: &Row) -> Result<User, DbError> {
    Ok(User {
        id: r.text(0)?,
        username: r.text(1)?,
        email: r.opt_text(2)?,
        password_hash: r.opt_text(3)?,
        server_admin: r.flag(4)?,
        disabled: r.flag(5)?,
    })
}

/// Workspace settings an admin can change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Settings {
    /// Imports wait for a manager's approval before they run.
    pub require_approval: bool,
    /// The approver must not be the uploader.
    pub four_eyes: bool,
    /// Where to POST when an import ends (JSON, signed).
    #[schema(pattern = "^https?://")]
    pub webhook_url: Option<String>,
    /// The HMAC-SHA256 key of the webhook's signature. Never shown back.
    #[serde(skip_serializing)]
    pub webhook_secret: Option<String>,
    /// E-mail the uploader when an import ends (needs the server's SMTP settings).
    pub notify_email: bool,
}

/// A workspace as registered.
#[derive(Debug, Clone)]
pub struct WorkspaceRow {
    /// Its name (in URLs).
    pub name: String,
    /// The schema TOML.
    pub schema_toml: String,
    /// Where its records are: a SQLite file, or a PostgreSQL schema.
    pub location: String,
    /// Its settings.
    pub settings: Settings,
}

/// An uploaded file.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Id (also its stored name).
    pub id: String,
    /// Workspace.
    pub workspace: String,
    /// Who uploaded it.
    pub user_id: String,
    /// The name the user gave.
    pub file_name: String,
    /// Bytes.
    pub size: i64,
}

/// An import as the server keeps it.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// Id (a UUID).
    pub id: String,
    /// Workspace.
    pub workspace: String,
    /// Record type.
    pub record_type: String,
    /// The upload it reads.
    pub upload_id: String,
    /// The file's name.
    pub file_name: String,
    /// Status (see [`crate::api::Status`]).
    pub status: String,
    /// The mapping (JSON of [`intake_core::mapping::ManualMapping`]'s API form).
    pub mapping: String,
    /// Options (JSON).
    pub options: String,
    /// Who created it.
    pub created_by: String,
    /// Times (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
    /// Idempotency key of its submission.
    pub submit_key: Option<String>,
    /// Rows in the file, once known.
    pub rows_total: Option<i64>,
    /// Rows done by the running job.
    pub rows_done: i64,
    /// When it was last queued (ms): each submission is a run of its own.
    pub queued_at: Option<i64>,
    /// A manager submitted or approved it: its rows may delete and deactivate records.
    pub removals_allowed: bool,
    /// The worker holding it.
    pub lease_owner: Option<String>,
    /// Until when (database clock, ms).
    pub lease_until: Option<i64>,
    /// Runs started.
    pub attempts: i64,
    /// Cancel asked while running.
    pub cancel_requested: bool,
    /// No notifications.
    pub mute: bool,
    /// The import's id in the workspace's store.
    pub store_import_id: Option<i64>,
    /// Counts (JSON).
    pub counts: Option<String>,
    /// The last validation's summary (JSON).
    pub validation: Option<String>,
    /// Why it failed.
    pub message: Option<String>,
    /// Files kept (JSON: name -> stored path).
    pub files: String,
    /// Run started (ms).
    pub started_at: Option<i64>,
    /// Run ended (ms).
    pub finished_at: Option<i64>,
}

const IMPORT_COLUMNS: &str = "id, workspace, record_type, upload_id, file_name, status, mapping,
  options, created_by, created_at, updated_at, submit_key, rows_total, rows_done, lease_owner,
  lease_until, attempts, cancel_requested, mute, store_import_id, counts, validation, message,
  files, started_at, finished_at, queued_at, removals_allowed";

fn import_of(r: &Row) -> Result<ImportRow, DbError> {
    Ok(ImportRow {
        id: r.text(0)?,
        workspace: r.text(1)?,
        record_type: r.text(2)?,
        upload_id: r.text(3)?,
        file_name: r.text(4)?,
        status: r.text(5)?,
        mapping: r.text(6)?,
        options: r.text(7)?,
        created_by: r.text(8)?,
        created_at: r.int(9)?,
        updated_at: r.int(10)?,
        submit_key: r.opt_text(11)?,
        rows_total: r.opt_int(12)?,
        rows_done: r.int(13)?,
        lease_owner: r.opt_text(14)?,
        lease_until: r.opt_int(15)?,
        attempts: r.int(16)?,
        cancel_requested: r.flag(17)?,
        mute: r.flag(18)?,
        store_import_id: r.opt_int(19)?,
        counts: r.opt_text(20)?,
        validation: r.opt_text(21)?,
        message: r.opt_text(22)?,
        files: r.text(23)?,
        started_at: r.opt_int(24)?,
        finished_at: r.opt_int(25)?,
        queued_at: r.opt_int(26)?,
        removals_allowed: r.flag(27)?,
    })
}

/// One entry of an import's audit trail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    /// When (RFC 3339).
    pub at: String,
    /// Who (a username), or none for the system (a worker).
    pub user: Option<String>,
    /// What: uploaded, mapped, validated, submitted, approved, started, completed, ...
    pub action: String,
    /// Details.
    pub detail: Option<String>,
}

/// Milliseconds since 1970 as RFC 3339.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// The local clock in milliseconds (for records; leases use the database clock).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The server's records.
#[derive(Debug)]
pub struct Control {
    /// The database.
    pub db: Db,
}

impl Control {
    // ---- users ----

    /// Creates a user.
    pub fn create_user(
        &self,
        username: &str,
        email: Option<&str>,
        password_hash: Option<&str>,
        server_admin: bool,
    ) -> Result<User, DbError> {
        let id = uuid::Uuid::now_v7().to_string();
        self.db.execute(
            "INSERT INTO users (id, username, email, password_hash, server_admin, disabled, created_at)
             VALUES ($1, $2, $3, $4, $5, 0, $6)",
            &[
                id.clone().into(),
                username.into(),
                email.into(),
                password_hash.into(),
                server_admin.into(),
                now_ms().into(),
            ],
        )?;
        Ok(User {
            id,
            username: username.to_string(),
            email: email.map(str::to_string),
            password_hash: password_hash.map(str::to_string),
            server_admin,
            disabled: false,
        })
    }

    /// Number of users.
    pub fn user_count(&self) -> Result<i64, DbError> {
        self.db
            .query_opt("SELECT COUNT(*) FROM users", &[])?
            .map_or(Ok(0), |r| r.int(0))
    }

    /// A user by name.
    pub fn user_by_name(&self, username: &str) -> Result<Option<User>, DbError> {
        self.db
            .query_opt(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"),
                &[username.into()],
            )?
            .map(|r| user_of(&r))
            .transpose()
    }

    /// A user by id.
    pub fn user(&self, id: &str) -> Result<Option<User>, DbError> {
        self.db
            .query_opt(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
                &[id.into()],
            )?
            .map(|r| user_of(&r))
            .transpose()
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>, DbError> {
        self.db
            .query(
                &format!("SELECT {USER_COLUMNS} FROM users ORDER BY username"),
                &[],
            )?
            .iter()
            .map(user_of)
            .collect()
    }

    /// Sets a user's password hash.
    pub fn set_password(&self, user_id: &str, hash: &str) -> Result<(), DbError> {
        self.db.execute(
            "UPDATE users SET password_hash = $2 WHERE id = $1",
            &[user_id.into(), hash.into()],
        )?;
        // Sessions opened with the old password end.
        self.db
            .execute("DELETE FROM sessions WHERE user_id = $1", &[user_id.into()])?;
        Ok(())
    }

    /// Gives a user a role in a workspace (replacing the one they had).
    pub fn set_role(&self, user_id: &str, workspace: &str, role: Role) -> Result<(), DbError> {
        self.db.execute(
            "DELETE FROM memberships WHERE user_id = $1 AND workspace = $2",
            &[user_id.into(), workspace.into()],
        )?;
        self.db.execute(
            "INSERT INTO memberships (user_id, workspace, role) VALUES ($1, $2, $3)",
            &[user_id.into(), workspace.into(), role.as_str().into()],
        )?;
        Ok(())
    }

    /// A user's role in a workspace (server admins are admins everywhere).
    pub fn role(&self, user: &User, workspace: &str) -> Result<Option<Role>, DbError> {
        if user.server_admin {
            return Ok(Some(Role::Admin));
        }
        Ok(self
            .db
            .query_opt(
                "SELECT role FROM memberships WHERE user_id = $1 AND workspace = $2",
                &[user.id.clone().into(), workspace.into()],
            )?
            .and_then(|r| r.text(0).ok())
            .and_then(|r| Role::parse(&r)))
    }

    /// The workspaces a user belongs to, with the role.
    pub fn memberships(&self, user: &User) -> Result<Vec<(String, Role)>, DbError> {
        if user.server_admin {
            return Ok(self
                .workspaces()?
                .into_iter()
                .map(|w| (w.name, Role::Admin))
                .collect());
        }
        let rows = self.db.query(
            "SELECT workspace, role FROM memberships WHERE user_id = $1 ORDER BY workspace",
            &[user.id.clone().into()],
        )?;
        let mut out = Vec::new();
        for r in rows {
            if let Some(role) = Role::parse(&r.text(1)?) {
                out.push((r.text(0)?, role));
            }
        }
        Ok(out)
    }

    // ---- sessions and tokens ----

    /// Records a session (by the digest of its cookie).
    pub fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf: &str,
        expires_at: i64,
    ) -> Result<(), DbError> {
        self.db.execute(
            "INSERT INTO sessions (token_hash, user_id, csrf, expires_at) VALUES ($1, $2, $3, $4)",
            &[
                token_hash.into(),
                user_id.into(),
                csrf.into(),
                expires_at.into(),
            ],
        )?;
        Ok(())
    }

    /// The user and CSRF token of a live session.
    pub fn session(&self, token_hash: &str) -> Result<Option<(User, String)>, DbError> {
        let Some(r) = self.db.query_opt(
            "SELECT user_id, csrf FROM sessions WHERE token_hash = $1 AND expires_at > $2",
            &[token_hash.into(), now_ms().into()],
        )?
        else {
            return Ok(None);
        };
        let csrf = r.text(1)?;
        Ok(self.user(&r.text(0)?)?.map(|u| (u, csrf)))
    }

    /// Ends a session.
    pub fn delete_session(&self, token_hash: &str) -> Result<(), DbError> {
        self.db.execute(
            "DELETE FROM sessions WHERE token_hash = $1",
            &[token_hash.into()],
        )?;
        Ok(())
    }

    /// Records an API token (by its digest).
    pub fn create_token(
        &self,
        token_hash: &str,
        user_id: &str,
        name: &str,
    ) -> Result<String, DbError> {
        let id = uuid::Uuid::now_v7().to_string();
        self.db.execute(
            "INSERT INTO tokens (id, token_hash, user_id, name, created_at) VALUES ($1, $2, $3, $4, $5)",
            &[
                id.clone().into(),
                token_hash.into(),
                user_id.into(),
                name.into(),
                now_ms().into(),
            ],
        )?;
        Ok(id)
    }

    /// The user of an API token.
    pub fn token_user(&self, token_hash: &str) -> Result<Option<User>, DbError> {
        let Some(r) = self.db.query_opt(
            "SELECT user_id FROM tokens WHERE token_hash = $1",
            &[token_hash.into()],
        )?
        else {
            return Ok(None);
        };
        self.user(&r.text(0)?)
    }

    // ---- workspaces ----

    /// Registers a workspace, or updates its schema and location.
    pub fn put_workspace(
        &self,
        name: &str,
        schema_toml: &str,
        location: &str,
    ) -> Result<(), DbError> {
        let updated = self.db.execute(
            "UPDATE workspaces SET schema_toml = $2, location = $3 WHERE name = $1",
            &[name.into(), schema_toml.into(), location.into()],
        )?;
        if updated == 0 {
            self.db.execute(
                "INSERT INTO workspaces (name, schema_toml, location, settings, created_at)
                 VALUES ($1, $2, $3, '{}', $4)",
                &[
                    name.into(),
                    schema_toml.into(),
                    location.into(),
                    now_ms().into(),
                ],
            )?;
        }
        Ok(())
    }

    /// Every workspace, by name.
    pub fn workspaces(&self) -> Result<Vec<WorkspaceRow>, DbError> {
        self.db
            .query(
                "SELECT name, schema_toml, location, settings FROM workspaces ORDER BY name",
                &[],
            )?
            .iter()
            .map(workspace_of)
            .collect()
    }

    /// One workspace.
    pub fn workspace(&self, name: &str) -> Result<Option<WorkspaceRow>, DbError> {
        self.db
            .query_opt(
                "SELECT name, schema_toml, location, settings FROM workspaces WHERE name = $1",
                &[name.into()],
            )?
            .map(|r| workspace_of(&r))
            .transpose()
    }

    /// Replaces a workspace's settings.
    pub fn set_settings(&self, name: &str, settings: &Settings) -> Result<(), DbError> {
        // The secret is not serialised for display: store it explicitly.
        let mut v = serde_json::to_value(settings).unwrap_or_default();
        if let (Some(m), Some(s)) = (v.as_object_mut(), &settings.webhook_secret) {
            m.insert("webhook_secret".into(), s.clone().into());
        }
        self.db.execute(
            "UPDATE workspaces SET settings = $2 WHERE name = $1",
            &[name.into(), v.to_string().into()],
        )?;
        Ok(())
    }

    // ---- uploads ----

    /// Records an upload.
    pub fn create_upload(&self, u: &Upload) -> Result<(), DbError> {
        self.db.execute(
            "INSERT INTO uploads (id, workspace, user_id, file_name, size, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                u.id.clone().into(),
                u.workspace.clone().into(),
                u.user_id.clone().into(),
                u.file_name.clone().into(),
                u.size.into(),
                now_ms().into(),
            ],
        )?;
        Ok(())
    }

    /// An upload of a workspace.
    pub fn upload(&self, workspace: &str, id: &str) -> Result<Option<Upload>, DbError> {
        let Some(r) = self.db.query_opt(
            "SELECT id, workspace, user_id, file_name, size FROM uploads WHERE id = $1 AND workspace = $2",
            &[id.into(), workspace.into()],
        )?
        else {
            return Ok(None);
        };
        Ok(Some(Upload {
            id: r.text(0)?,
            workspace: r.text(1)?,
            user_id: r.text(2)?,
            file_name: r.text(3)?,
            size: r.int(4)?,
        }))
    }

    // ---- imports ----

    /// Creates an import; with an idempotency key already used in the workspace, returns the
    /// import created then instead.
    #[allow(clippy::too_many_arguments)]
    pub fn create_import(
        &self,
        workspace: &str,
        record_type: &str,
        upload: &Upload,
        status: &str,
        mapping: &str,
        options: &str,
        user_id: &str,
        key: Option<&str>,
    ) -> Result<ImportRow, DbError> {
        if let Some(k) = key
            && let Some(r) = self.db.query_opt(
                &format!(
                    "SELECT {IMPORT_COLUMNS} FROM imports WHERE workspace = $1 AND create_key = $2"
                ),
                &[workspace.into(), k.into()],
            )?
        {
            return import_of(&r);
        }
        let id = uuid::Uuid::now_v7().to_string();
        let now = now_ms();
        self.db.execute(
            "INSERT INTO imports (id, workspace, record_type, upload_id, file_name, status, mapping,
               options, created_by, created_at, updated_at, create_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)",
            &[
                id.clone().into(),
                workspace.into(),
                record_type.into(),
                upload.id.clone().into(),
                upload.file_name.clone().into(),
                status.into(),
                mapping.into(),
                options.into(),
                user_id.into(),
                now.into(),
                key.into(),
            ],
        )?;
        self.import(workspace, &id)?
            .ok_or_else(|| DbError::Query("the new import vanished".into()))
    }

    /// An import of a workspace (any id of another workspace is not found).
    pub fn import(&self, workspace: &str, id: &str) -> Result<Option<ImportRow>, DbError> {
        self.db
            .query_opt(
                &format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE id = $1 AND workspace = $2"),
                &[id.into(), workspace.into()],
            )?
            .map(|r| import_of(&r))
            .transpose()
    }

    /// An import by id alone (workers).
    pub fn import_any(&self, id: &str) -> Result<Option<ImportRow>, DbError> {
        self.db
            .query_opt(
                &format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE id = $1"),
                &[id.into()],
            )?
            .map(|r| import_of(&r))
            .transpose()
    }

    /// Imports of a workspace, newest first, optionally of one status.
    pub fn imports(
        &self,
        workspace: &str,
        status: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ImportRow>, i64), DbError> {
        let rows = self.db.query(
            &format!(
                "SELECT {IMPORT_COLUMNS} FROM imports WHERE workspace = $1 AND (CAST($2 AS TEXT) IS NULL OR status = $2)
                 ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
            ),
            &[
                workspace.into(),
                status.into(),
                limit.into(),
                offset.into(),
            ],
        )?;
        let total = self
            .db
            .query_opt(
                "SELECT COUNT(*) FROM imports WHERE workspace = $1 AND (CAST($2 AS TEXT) IS NULL OR status = $2)",
                &[workspace.into(), status.into()],
            )?
            .map_or(Ok(0), |r| r.int(0))?;
        Ok((rows.iter().map(import_of).collect::<Result<_, _>>()?, total))
    }

    /// Moves an import from one of `from` to `to`, setting more columns (`col = $n`, their
    /// values after the id, `to` and the `from` list). Returns whether it moved.
    pub fn transition(
        &self,
        id: &str,
        from: &[&str],
        to: &str,
        set: &[(&str, Val)],
    ) -> Result<bool, DbError> {
        let mut params: Vec<Val> = vec![id.into(), to.into(), now_ms().into()];
        let mut sets = String::new();
        for (col, v) in set {
            params.push(v.clone());
            sets.push_str(&format!(", {col} = ${}", params.len()));
        }
        let mut ins = Vec::new();
        for f in from {
            params.push((*f).into());
            ins.push(format!("${}", params.len()));
        }
        let n = self.db.execute(
            &format!(
                "UPDATE imports SET status = $2, updated_at = $3{sets} WHERE id = $1 AND status IN ({})",
                ins.join(", ")
            ),
            &params,
        )?;
        Ok(n == 1)
    }

    /// Sets columns of an import whatever its status.
    pub fn set(&self, id: &str, set: &[(&str, Val)]) -> Result<(), DbError> {
        let mut params: Vec<Val> = vec![id.into(), now_ms().into()];
        let mut sets = String::new();
        for (col, v) in set {
            params.push(v.clone());
            sets.push_str(&format!(", {col} = ${}", params.len()));
        }
        self.db.execute(
            &format!("UPDATE imports SET updated_at = $2{sets} WHERE id = $1"),
            &params,
        )?;
        Ok(())
    }

    /// Claims the oldest queued import, or one whose worker's lease ran out, for `worker`
    /// until the database clock passes `lease_ms` from now. An import of a workspace that
    /// already has one running waits: imports of a workspace take turns at its store anyway,
    /// and a workspace that queues many imports does not hold up the others (A8).
    pub fn claim(&self, worker: &str, lease_ms: i64) -> Result<Option<ImportRow>, DbError> {
        let r = self.db.query_opt(
            &format!(
                "UPDATE imports SET status = 'in_progress', lease_owner = $1,
                   lease_until = {{now}} + $2, attempts = attempts + 1,
                   started_at = COALESCE(started_at, {{now}}), updated_at = {{now}}
                 WHERE id = (SELECT i.id FROM imports i
                             WHERE (i.status = 'queued'
                                    OR (i.status = 'in_progress' AND i.lease_until < {{now}}))
                               AND NOT EXISTS (
                                 SELECT 1 FROM imports r
                                 WHERE r.workspace = i.workspace AND r.id <> i.id
                                   AND r.status = 'in_progress' AND r.lease_until >= {{now}})
                             ORDER BY i.queued_at, i.id LIMIT 1 {{skip_locked}})
                   AND (status = 'queued' OR (status = 'in_progress' AND lease_until < {{now}}))
                 RETURNING {IMPORT_COLUMNS}"
            ),
            &[worker.into(), lease_ms.into()],
        )?;
        r.map(|r| import_of(&r)).transpose()
    }

    /// Renews a lease and records progress; `false` when the lease is no longer this
    /// worker's (another worker took the job over).
    pub fn renew(
        &self,
        id: &str,
        worker: &str,
        lease_ms: i64,
        rows_done: i64,
    ) -> Result<bool, DbError> {
        let n = self.db.execute(
            "UPDATE imports SET lease_until = {now} + $3, rows_done = $4, updated_at = {now}
             WHERE id = $1 AND lease_owner = $2 AND status = 'in_progress' AND lease_until > {now}",
            &[id.into(), worker.into(), lease_ms.into(), rows_done.into()],
        )?;
        Ok(n == 1)
    }

    /// Whether a cancel was asked for a running import.
    pub fn cancel_requested(&self, id: &str) -> Result<bool, DbError> {
        Ok(self
            .db
            .query_opt(
                "SELECT cancel_requested FROM imports WHERE id = $1",
                &[id.into()],
            )?
            .map(|r| r.flag(0))
            .transpose()?
            .unwrap_or(false))
    }

    /// Ends a run held by `worker`: sets the final status and columns. `false` if the lease
    /// was lost.
    pub fn finish(
        &self,
        id: &str,
        worker: &str,
        to: &str,
        set: &[(&str, Val)],
    ) -> Result<bool, DbError> {
        let mut params: Vec<Val> = vec![id.into(), worker.into(), to.into()];
        let mut sets = String::new();
        for (col, v) in set {
            params.push(v.clone());
            sets.push_str(&format!(", {col} = ${}", params.len()));
        }
        let n = self.db.execute(
            &format!(
                "UPDATE imports SET status = $3, lease_owner = NULL, lease_until = NULL,
                   updated_at = {{now}}, finished_at = {{now}}{sets}
                 WHERE id = $1 AND lease_owner = $2 AND status = 'in_progress'"
            ),
            &params,
        )?;
        Ok(n == 1)
    }

    /// Gives a running import back to the queue (its worker is shutting down).
    pub fn release(&self, id: &str, worker: &str) -> Result<bool, DbError> {
        let n = self.db.execute(
            "UPDATE imports SET status = 'queued', lease_owner = NULL, lease_until = NULL,
               updated_at = {now}
             WHERE id = $1 AND lease_owner = $2 AND status = 'in_progress'",
            &[id.into(), worker.into()],
        )?;
        Ok(n == 1)
    }

    // ---- audit ----

    /// Adds to an import's audit trail.
    pub fn audit(
        &self,
        import_id: &str,
        user_id: Option<&str>,
        action: &str,
        detail: Option<&str>,
    ) -> Result<(), DbError> {
        self.db.execute(
            "INSERT INTO audit (id, import_id, at, user_id, action, detail) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                uuid::Uuid::now_v7().to_string().into(),
                import_id.into(),
                now_ms().into(),
                user_id.into(),
                action.into(),
                detail.into(),
            ],
        )?;
        Ok(())
    }

    /// An import's audit trail, oldest first.
    pub fn audit_trail(&self, import_id: &str) -> Result<Vec<AuditEntry>, DbError> {
        let rows = self.db.query(
            "SELECT a.at, u.username, a.action, a.detail FROM audit a
             LEFT JOIN users u ON u.id = a.user_id
             WHERE a.import_id = $1 ORDER BY a.at, a.id",
            &[import_id.into()],
        )?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: rfc3339(r.int(0)?),
                    user: r.opt_text(1)?,
                    action: r.text(2)?,
                    detail: r.opt_text(3)?,
                })
            })
            .collect()
    }

    // ---- remembered mappings ----

    /// The mapping remembered for a record type (JSON), if any.
    pub fn remembered(
        &self,
        workspace: &str,
        record_type: &str,
    ) -> Result<Option<String>, DbError> {
        self.db
            .query_opt(
                "SELECT mapping FROM remembered_mappings WHERE workspace = $1 AND record_type = $2",
                &[workspace.into(), record_type.into()],
            )?
            .map(|r| r.text(0))
            .transpose()
    }

    /// Remembers a record type's mapping (JSON).
    pub fn remember(
        &self,
        workspace: &str,
        record_type: &str,
        mapping: &str,
    ) -> Result<(), DbError> {
        let n = self.db.execute(
            "UPDATE remembered_mappings SET mapping = $3 WHERE workspace = $1 AND record_type = $2",
            &[workspace.into(), record_type.into(), mapping.into()],
        )?;
        if n == 0 {
            self.db.execute(
                "INSERT INTO remembered_mappings (workspace, record_type, mapping) VALUES ($1, $2, $3)",
                &[workspace.into(), record_type.into(), mapping.into()],
            )?;
        }
        Ok(())
    }
}

fn workspace_of(r: &Row) -> Result<WorkspaceRow, DbError> {
    Ok(WorkspaceRow {
        name: r.text(0)?,
        schema_toml: r.text(1)?,
        location: r.text(2)?,
        settings: serde_json::from_str(&r.text(3)?).unwrap_or_default(),
    })
}
