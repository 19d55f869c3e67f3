//! The store contract (intake-store's `contract` module) on SQLite, one test per check, each
//! on a fresh database file.

#![allow(clippy::unwrap_used)]
use intake_sqlite::SqliteStore;
use intake_store::contract;

fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("intake.db")).unwrap();
    (dir, store)
}

macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            let (_dir, store) = fresh();
            contract::$name(&store);
        }
    )*};
}

contract_tests!(
    migrate_is_idempotent,
    committed_records_are_found,
    dropped_import_writes_nothing,
    unique_values_conflict,
    a_rejected_record_in_a_partial_batch_is_reported_and_the_rest_written,
    revert_restores_and_refuses_after_later_changes,
    updates_with_their_stamps_revert_to_them,
    changes_are_listed_undone_and_reverted,
    failed_imports_are_recorded,
    lossy_migrations_are_refused,
    uncommitted_writes_are_invisible,
    repeated_updates_apply_in_order_and_revert,
    records_are_found_by_their_link,
    a_job_is_committed_at_most_once,
);

/// F15: a second writer waits for the busy timeout, then fails clearly; nothing is corrupted.
#[test]
fn f15_locked_database_fails_clearly() {
    let (_dir, store) = fresh();
    let schema = contract::schema();
    use intake_store::Store;
    store.migrate(&schema).unwrap();
    let first = store.begin_import(
        &schema,
        &intake_store::NewImport {
            record_type: "person".into(),
            file_name: "a.csv".into(),
            options: serde_json::json!({}),
            started_at: "2026-01-01T00:00:00Z".into(),
            job: None,
        },
    );
    assert!(first.is_ok());
    // A raw connection with a short timeout stands in for a second writer.
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.busy_timeout(std::time::Duration::from_millis(50))
        .unwrap();
    let err = conn.execute_batch("BEGIN IMMEDIATE").unwrap_err();
    assert!(
        err.to_string().contains("locked") || err.to_string().contains("busy"),
        "{err}"
    );
    drop(first);
    conn.execute_batch("BEGIN IMMEDIATE; COMMIT").unwrap();
}
