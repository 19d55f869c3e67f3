//! The mail, received by a local SMTP sink.

use std::time::Duration;

use intake_notify::{NotifyError, SmtpConfig, send_mail};

use crate::import_ended;
use crate::smtp_sink::smtp_sink;

fn config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".to_owned(),
        port,
        from: "Intake <intake@acme.example>".to_owned(),
        username: None,
        password: None,
        starttls: false,
        timeout: Duration::from_secs(10),
    }
}

#[test]
fn the_summary_reaches_the_recipient() {
    let sink = smtp_sink(false);
    send_mail(&config(sink.port), "ada@example.com", &import_ended()).unwrap();

    let session = sink.session();
    assert_eq!(session.mail_from, "MAIL FROM:<intake@acme.example>");
    assert_eq!(session.rcpt_to, ["RCPT TO:<ada@example.com>"]);
    assert_eq!(
        session.header("from").as_deref(),
        Some("Intake <intake@acme.example>")
    );
    assert_eq!(session.header("to").as_deref(), Some("ada@example.com"));
    assert_eq!(
        session.header("subject").as_deref(),
        Some("intake: import of contacts.csv completed (1,204 created, 3 failed)")
    );
    assert!(
        session
            .header("content-type")
            .is_some_and(|v| v.starts_with("text/plain"))
    );
    assert_eq!(
        session.header("content-transfer-encoding").as_deref(),
        Some("7bit")
    );
    let body = session.body();
    for expected in [
        "Rows:",
        "1,207",
        "Created:",
        "1,204",
        "Failed:",
        "3",
        "ada@example.com",
    ] {
        assert!(
            body.contains(expected),
            "`{expected}` missing from:\n{body}"
        );
    }
    assert!(
        body.contains("https://intake.example.com/acme/imports/0b6f3c1e"),
        "{body}"
    );
}

#[test]
fn a_refused_recipient_is_a_permanent_error() {
    let sink = smtp_sink(true);
    let error = send_mail(&config(sink.port), "nobody@example.com", &import_ended()).unwrap_err();
    assert!(
        matches!(
            error,
            NotifyError::Smtp {
                transient: false,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string().replace(&sink.port.to_string(), "PORT");
    insta::assert_snapshot!(message, @"mail to `nobody@example.com` could not be sent through 127.0.0.1:PORT: permanent error (550): 5.1.1 no such mailbox");
}

#[test]
fn a_bad_address_is_refused_before_connecting() {
    let error = send_mail(&config(1), "not an address", &import_ended()).unwrap_err();
    insta::assert_snapshot!(error, @"`not an address` is not an e-mail address: expected `name@example.com` or `Name <name@example.com>`");
}
