//! The intake service: the HTTP API (axum) with its OpenAPI document, background import
//! jobs, workspaces, users, roles and tokens, approval and notifications.
//!
//! The server keeps its own records (users, sessions, uploads, imports as jobs, the audit
//! trail) in [`control`], on SQLite beside the workspace or in PostgreSQL. Imports run in
//! [`jobs`] workers, in the server's process or in `intake worker` processes, through the
//! same engine as the CLI.

pub mod api;
pub mod auth;
pub mod control;
pub mod db;
pub mod jobs;
pub mod model;
pub mod notify;
pub mod run;
pub mod state;
pub mod storage;
pub mod ui;
