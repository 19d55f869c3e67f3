//! RELIABILITY F1, F5, F10, F12: a worker process killed with SIGKILL in the middle of an
//! all-or-nothing import leaves nothing written; once its lease has run out another worker
//! runs the import again, and it is committed exactly once. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use intake_server::control::Upload;
use intake_server::db::Val;
use intake_server::state::{App, Config, bootstrap};
use intake_testkit::postgres::{TestDatabase, postgres_or_skip};

const ROWS: usize = 10_000;

fn worker(home: &Path, db: Option<&TestDatabase>, hold: Option<&Path>) -> Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_intake"));
    c.arg("--workspace").arg(home);
    if let Some(db) = db {
        c.arg("--database").arg(db.url());
    }
    c.args(["worker", "--lease-seconds", "2"])
        .env("INTAKE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match hold {
        Some(p) => c.env("INTAKE_TEST_HOLD_AFTER_BATCH", p),
        None => c.env_remove("INTAKE_TEST_HOLD_AFTER_BATCH"),
    };
    c.spawn().unwrap()
}

/// Waits for `done`, checking every 20 ms, for at most a minute.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn killed_mid_import_then_run_once(db: Option<TestDatabase>) {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("ws");
    let mut config = Config::new(&home);
    config.database = db.as_ref().map(|d| d.url().to_string());
    let app = Arc::new(App::open(config).unwrap());
    let ws = bootstrap(&app).unwrap().workspace;
    let admin = app.control.user_by_name("admin").unwrap().unwrap();

    // A queued all-or-nothing import of 10,000 contacts.
    let mut csv = String::from("First Name,Last Name,Email\n");
    for i in 0..ROWS {
        csv.push_str(&format!("Ann{i},Smith{i},ann{i}@example.com\n"));
    }
    let upload = Upload {
        id: "upload-1".into(),
        workspace: ws.clone(),
        user_id: admin.id.clone(),
        file_name: "contacts.csv".into(),
        size: csv.len() as i64,
    };
    fs_err::write(app.storage.upload_target(&upload.id), &csv).unwrap();
    app.storage.keep_upload(&upload.id).unwrap();
    app.control.create_upload(&upload).unwrap();
    let imp = app
        .control
        .create_import(
            &ws, "contact", &upload, "ready", "{}", "{}", &admin.id, None,
        )
        .unwrap();
    assert!(
        app.control
            .transition(&imp.id, &["ready"], "queued", &[("queued_at", Val::Int(1))])
            .unwrap()
    );

    // The first worker holds once its first batch is written, uncommitted; it is killed there.
    let held = dir.path().join("held");
    let mut first = worker(&home, db.as_ref(), Some(&held));
    wait_for("the first worker to write its first batch", || {
        held.exists()
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(first.id()).unwrap()),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    first.wait().unwrap();

    let store = || app.workspace(&ws).unwrap().unwrap();
    let contacts = || {
        let w = store();
        let rt = w.schema.record_type("contact").unwrap();
        w.store.read().unwrap().count(rt).unwrap()
    };
    assert_eq!(contacts(), 0, "nothing of the killed run is visible");
    assert!(store().store.imports().unwrap().is_empty());
    let row = app.control.import_any(&imp.id).unwrap().unwrap();
    assert_eq!(
        row.status, "in_progress",
        "the dead worker's lease still holds it"
    );

    // A second worker takes it over once the lease has run out, and runs it to the end.
    let mut second = worker(&home, db.as_ref(), None);
    wait_for("the second worker to complete the import", || {
        app.control.import_any(&imp.id).unwrap().unwrap().status == "completed"
    });
    second.kill().unwrap();
    second.wait().unwrap();

    app.forget(&ws);
    assert_eq!(contacts(), ROWS as u64);
    let imports = store().store.imports().unwrap();
    assert_eq!(imports.len(), 1, "committed exactly once");
    assert_eq!(imports[0].counts.created, ROWS as u64);
    let row = app.control.import_any(&imp.id).unwrap().unwrap();
    assert_eq!(row.attempts, 2);
    let trail: Vec<String> = app
        .control
        .audit_trail(&imp.id)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(trail, ["started", "started", "completed"]);
}

#[test]
fn a_worker_killed_mid_import_leaves_nothing_and_another_runs_it_once() {
    killed_mid_import_then_run_once(None);
}

#[test]
fn a_worker_killed_mid_import_leaves_nothing_and_another_runs_it_once_postgres() {
    let Some(db) = postgres_or_skip(
        "a_worker_killed_mid_import_leaves_nothing_and_another_runs_it_once_postgres",
    ) else {
        return;
    };
    killed_mid_import_then_run_once(Some(db));
}
