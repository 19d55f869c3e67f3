//! The notification sent when an import ends: a JSON webhook signed with the workspace's
//! secret, and a plain-text e-mail over SMTP.
//!
//! Everything here is synchronous and blocking: the server calls it from a worker thread,
//! after the import's transaction is over, so a slow receiver never holds an import up.
//! Waiting between webhook attempts goes through a `sleep` parameter, so tests record the
//! delays instead of sleeping.

mod error;
mod event;
mod mail;
mod signature;
mod webhook;

pub use error::NotifyError;
pub use event::{Counts, ImportEnded};
pub use mail::{SmtpConfig, mail_text, send_mail};
pub use signature::{signature, verify};
pub use webhook::{Delivery, WebhookConfig, send_webhook};

/// `User-Agent` of the webhook requests, and the name the mail is sent by.
const USER_AGENT: &str = concat!("intake/", env!("CARGO_PKG_VERSION"));
