//! The mail: a plain-text summary of the import, sent over SMTP (STARTTLS when asked).

use std::fmt::{self, Write as _};
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::{SmtpTransport, SmtpTransportBuilder};
use lettre::{Message, Transport};

use crate::{ImportEnded, NotifyError};

/// The SMTP server the mail goes through.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// The sender, `intake@example.com` or `Intake <intake@example.com>`.
    pub from: String,
    /// Sent with AUTH (PLAIN or LOGIN, as the server offers): in clear text unless
    /// `starttls` is set.
    pub username: Option<String>,
    pub password: Option<String>,
    /// Upgrade the connection with STARTTLS, and refuse to send if the server cannot;
    /// otherwise the mail goes in plain text (a relay on the same host or network).
    pub starttls: bool,
    /// For each step of the conversation with the server.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("starttls", &self.starttls)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Sends the summary of `event` to `to`.
pub fn send_mail(cfg: &SmtpConfig, to: &str, event: &ImportEnded) -> Result<(), NotifyError> {
    if cfg.starttls && !cfg!(feature = "tls") {
        return Err(NotifyError::TlsUnavailable {
            what: format!("STARTTLS with `{}`", cfg.host),
        });
    }
    let from = mailbox(&cfg.from)?;
    let recipient = mailbox(to)?;
    let (subject, body) = mail_text(event);
    let smtp_error = |cause: String, transient: bool| NotifyError::Smtp {
        to: to.to_owned(),
        host: cfg.host.clone(),
        port: cfg.port,
        cause,
        transient,
    };
    let message = Message::builder()
        .from(from)
        .to(recipient)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| smtp_error(format!("the message cannot be built: {e}"), false))?;

    let mut transport = SmtpTransport::builder_dangerous(cfg.host.as_str())
        .port(cfg.port)
        .timeout(Some(cfg.timeout));
    if cfg.starttls {
        transport = starttls(transport, &cfg.host)
            .map_err(|cause| smtp_error(format!("TLS cannot be set up: {cause}"), false))?;
    }
    if let Some(username) = &cfg.username {
        let password = cfg.password.clone().unwrap_or_default();
        transport = transport.credentials(Credentials::new(username.clone(), password));
    }
    transport
        .build()
        .send(&message)
        .map(drop)
        .map_err(|e| smtp_error(e.to_string(), !e.is_permanent()))
}

/// STARTTLS required: the mail is not sent if the server cannot upgrade the connection.
#[cfg(feature = "tls")]
fn starttls(transport: SmtpTransportBuilder, host: &str) -> Result<SmtpTransportBuilder, String> {
    use lettre::transport::smtp::client::{Tls, TlsParameters};
    let parameters = TlsParameters::new(host.to_owned()).map_err(|e| e.to_string())?;
    Ok(transport.tls(Tls::Required(parameters)))
}

#[cfg(not(feature = "tls"))]
fn starttls(_: SmtpTransportBuilder, _: &str) -> Result<SmtpTransportBuilder, String> {
    // send_mail refuses STARTTLS before this point; say the same if it ever gets here.
    Err("this build of intake leaves TLS out (the `tls` feature)".to_owned())
}

fn mailbox(address: &str) -> Result<Mailbox, NotifyError> {
    // lettre's reason ("Invalid input") says nothing the address itself does not.
    address.parse().map_err(|_| NotifyError::MailAddress {
        address: address.to_owned(),
        reason: "expected `name@example.com` or `Name <name@example.com>`".to_owned(),
    })
}

/// The mail's subject and plain-text body: what ended, how, and what became of the rows.
pub fn mail_text(event: &ImportEnded) -> (String, String) {
    let c = &event.counts;
    let mut outcome: Vec<String> = [
        (c.created, "created"),
        (c.updated, "updated"),
        (c.deleted, "deleted"),
        // "failed" alone would repeat a failed import's status.
        (
            c.failed,
            if event.status == "completed" {
                "failed"
            } else {
                "rows failed"
            },
        ),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{} {what}", thousands(*n)))
    .collect();
    if outcome.is_empty() && event.status == "completed" {
        outcome.push("no changes".to_owned());
    }
    let mut subject = format!("intake: import of {} {}", event.file_name, event.status);
    if !outcome.is_empty() {
        let _ = write!(subject, " ({})", outcome.join(", "));
    }

    let mut body = String::new();
    let _ = writeln!(
        body,
        "The import of {} into {} ({}) {}.",
        event.file_name, event.workspace, event.record_type, event.status
    );
    body.push('\n');
    if let Some(message) = &event.message {
        let _ = writeln!(body, "Why: {message}");
        body.push('\n');
    }
    let rows = [
        ("Rows", c.rows),
        ("Created", c.created),
        ("Updated", c.updated),
        ("Unchanged", c.unchanged),
        ("Deleted", c.deleted),
        ("Skipped", c.skipped),
        ("Failed", c.failed),
    ];
    let width = rows
        .iter()
        .map(|(_, n)| thousands(*n).len())
        .max()
        .unwrap_or(0);
    for (label, n) in rows {
        let _ = writeln!(
            body,
            "  {:<10} {:>width$}",
            format!("{label}:"),
            thousands(n)
        );
    }
    body.push('\n');
    let _ = writeln!(body, "Uploaded by: {}", event.uploaded_by);
    let _ = writeln!(body, "Finished at: {}", event.finished_at);
    let _ = writeln!(body, "Import id:   {}", event.import_id);
    if let Some(url) = &event.url {
        body.push('\n');
        // On a line of its own: mail clients link it, and short lines keep the body 7bit.
        let _ = writeln!(body, "The import, its problems and its response file:");
        let _ = writeln!(body, "{url}");
    }
    (subject, body)
}

/// `1204` -> `1,204`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Counts;

    fn event(status: &str, counts: Counts, message: Option<&str>) -> ImportEnded {
        ImportEnded {
            event: ImportEnded::EVENT.to_owned(),
            workspace: "acme".to_owned(),
            import_id: "0b6f3c1e-5a4d-4c8e-9f1a-2d3e4f5a6b7c".to_owned(),
            record_type: "contact".to_owned(),
            file_name: "contacts.csv".to_owned(),
            status: status.to_owned(),
            counts,
            uploaded_by: "ada@example.com".to_owned(),
            finished_at: "2026-11-22T09:30:00Z".to_owned(),
            message: message.map(str::to_owned),
            url: Some("https://intake.example.com/acme/imports/0b6f3c1e".to_owned()),
        }
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_204), "1,204");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn completed() {
        let counts = Counts {
            rows: 1_207,
            created: 1_204,
            failed: 3,
            ..Counts::default()
        };
        let (subject, body) = mail_text(&event("completed", counts, None));
        insta::assert_snapshot!(subject, @"intake: import of contacts.csv completed (1,204 created, 3 failed)");
        insta::assert_snapshot!(body, @r#"
            The import of contacts.csv into acme (contact) completed.

              Rows:      1,207
              Created:   1,204
              Updated:       0
              Unchanged:     0
              Deleted:       0
              Skipped:       0
              Failed:        3

            Uploaded by: ada@example.com
            Finished at: 2026-11-22T09:30:00Z
            Import id:   0b6f3c1e-5a4d-4c8e-9f1a-2d3e4f5a6b7c

            The import, its problems and its response file:
            https://intake.example.com/acme/imports/0b6f3c1e
        "#);
    }

    #[test]
    fn failed() {
        let counts = Counts {
            rows: 20,
            failed: 2,
            ..Counts::default()
        };
        let mut event = event(
            "failed",
            counts,
            Some("2 rows have problems and the import is all or nothing: nothing was written"),
        );
        event.url = None;
        let (subject, body) = mail_text(&event);
        insta::assert_snapshot!(subject, @"intake: import of contacts.csv failed (2 rows failed)");
        insta::assert_snapshot!(body, @r#"
            The import of contacts.csv into acme (contact) failed.

            Why: 2 rows have problems and the import is all or nothing: nothing was written

              Rows:      20
              Created:    0
              Updated:    0
              Unchanged:  0
              Deleted:    0
              Skipped:    0
              Failed:     2

            Uploaded by: ada@example.com
            Finished at: 2026-11-22T09:30:00Z
            Import id:   0b6f3c1e-5a4d-4c8e-9f1a-2d3e4f5a6b7c
        "#);
    }

    #[test]
    fn completed_without_changes() {
        let counts = Counts {
            rows: 5,
            unchanged: 5,
            ..Counts::default()
        };
        let (subject, _) = mail_text(&event("completed", counts, None));
        insta::assert_snapshot!(subject, @"intake: import of contacts.csv completed (no changes)");
    }
}
