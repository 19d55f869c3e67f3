//! The notifications sent to real sockets on 127.0.0.1: a webhook receiver and an SMTP
//! sink, each a few lines of the protocol on a thread. Nothing sleeps: the delays between
//! webhook attempts are recorded instead.

// The receiver and the sink are test fixtures: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

mod mail;
mod webhook;

use intake_testkit::{smtp_sink, webhook_receiver as receiver};

use intake_notify::{Counts, ImportEnded};

fn import_ended() -> ImportEnded {
    ImportEnded {
        event: ImportEnded::EVENT.to_owned(),
        workspace: "acme".to_owned(),
        import_id: "0b6f3c1e-5a4d-4c8e-9f1a-2d3e4f5a6b7c".to_owned(),
        record_type: "contact".to_owned(),
        file_name: "contacts.csv".to_owned(),
        status: "completed".to_owned(),
        counts: Counts {
            rows: 1_207,
            created: 1_204,
            updated: 0,
            unchanged: 0,
            deleted: 0,
            skipped: 0,
            failed: 3,
        },
        uploaded_by: "ada@example.com".to_owned(),
        finished_at: "2026-11-22T09:30:00Z".to_owned(),
        message: None,
        url: Some("https://intake.example.com/acme/imports/0b6f3c1e".to_owned()),
    }
}
