//! Notifications when an import ends: a signed webhook and a mail to the uploader, per the
//! workspace's settings, unless the import was muted. Sent on a thread of their own: a
//! webhook retried with backoff must not hold the worker. Each delivery is in the audit trail.

use std::time::Duration;

use intake_notify::{Counts, ImportEnded, SmtpConfig, WebhookConfig, send_mail, send_webhook};

use crate::control::rfc3339;
use crate::model::CountsView;
use crate::state::App;

/// `smtp://host:port` (port 25 when absent) as a configuration without TLS or login: a
/// relay on the same host or network. `None` when the URL is not one.
pub fn smtp_config(url: &str, from: &str) -> Option<SmtpConfig> {
    let rest = url.strip_prefix("smtp://")?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse().ok()?),
        None => (rest.to_string(), 25),
    };
    if host.is_empty() {
        return None;
    }
    Some(SmtpConfig {
        host,
        port,
        from: from.to_string(),
        username: None,
        password: None,
        starttls: false,
        timeout: Duration::from_secs(10),
    })
}

/// The event of an import that ended, or `None` if it is not known or muted.
fn event(app: &App, import_id: &str) -> Option<(ImportEnded, Option<String>)> {
    let row = app.control.import_any(import_id).ok()??;
    if row.mute {
        return None;
    }
    let counts: CountsView = row
        .counts
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let user = app.control.user(&row.created_by).ok().flatten();
    let url = app.config.public_url.as_ref().map(|u| {
        format!(
            "{}/api/v1/workspaces/{}/imports/{}",
            u.trim_end_matches('/'),
            row.workspace,
            row.id
        )
    });
    Some((
        ImportEnded {
            event: ImportEnded::EVENT.to_string(),
            workspace: row.workspace.clone(),
            import_id: row.id.clone(),
            record_type: row.record_type.clone(),
            file_name: row.file_name.clone(),
            status: row.status.clone(),
            counts: Counts {
                rows: counts.rows,
                created: counts.created,
                updated: counts.updated,
                unchanged: counts.unchanged,
                deleted: counts.deleted,
                skipped: counts.skipped,
                failed: counts.failed,
            },
            uploaded_by: user
                .as_ref()
                .map(|u| u.username.clone())
                .unwrap_or_default(),
            finished_at: row.finished_at.map(rfc3339).unwrap_or_default(),
            message: row.message.clone(),
            url,
        },
        user.and_then(|u| u.email),
    ))
}

/// Sends the notifications of an import that just ended, per its workspace's settings.
/// Returns the thread sending them (tests wait for it; the server does not).
pub fn import_ended(
    app: &std::sync::Arc<App>,
    import_id: &str,
) -> Option<std::thread::JoinHandle<()>> {
    let (event, email) = event(app, import_id)?;
    let settings = app.control.workspace(&event.workspace).ok()??.settings;
    let webhook = settings
        .webhook_url
        .clone()
        .map(|url| WebhookConfig::new(url, settings.webhook_secret.clone().unwrap_or_default()));
    let mail = if settings.notify_email {
        app.config
            .smtp
            .as_deref()
            .and_then(|u| smtp_config(u, &app.config.mail_from))
            .zip(email)
    } else {
        None
    };
    if webhook.is_none() && mail.is_none() {
        return None;
    }
    let app = app.clone();
    std::thread::Builder::new()
        .name("intake-notify".into())
        .spawn(move || {
            if let Some(cfg) = webhook {
                let detail = match send_webhook(&cfg, &event, &std::thread::sleep) {
                    Ok(d) => format!(
                        "webhook delivered (status {}, {} attempt{})",
                        d.status,
                        d.attempts,
                        if d.attempts == 1 { "" } else { "s" }
                    ),
                    Err(e) => format!("webhook not delivered: {e}"),
                };
                tracing::info!(import = %event.import_id, "{detail}");
                let _ = app
                    .control
                    .audit(&event.import_id, None, "notified", Some(&detail));
            }
            if let Some((cfg, to)) = mail {
                let detail = match send_mail(&cfg, &to, &event) {
                    Ok(()) => format!("mail sent to {to}"),
                    Err(e) => format!("mail to {to} not sent: {e}"),
                };
                tracing::info!(import = %event.import_id, "{detail}");
                let _ = app
                    .control
                    .audit(&event.import_id, None, "notified", Some(&detail));
            }
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        let c = smtp_config("smtp://127.0.0.1:2525", "intake@example.com").expect("url");
        assert_eq!(
            (c.host.as_str(), c.port, c.starttls),
            ("127.0.0.1", 2525, false)
        );
        assert_eq!(smtp_config("smtp://mail", "a@b").map(|c| c.port), Some(25));
        assert!(smtp_config("http://mail", "a@b").is_none());
        assert!(smtp_config("smtp://:25", "a@b").is_none());
        assert!(smtp_config("smtp://mail:x", "a@b").is_none());
    }
}
