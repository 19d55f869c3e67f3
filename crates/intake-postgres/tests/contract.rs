//! The store contract (intake-store's `contract` module) on PostgreSQL, one test per check,
//! each on a fresh database; and the faults of a server: a connection lost mid-import (F3),
//! a unique value taken by another writer while an import runs (F4), readers during a long
//! import (L6).

#![allow(clippy::unwrap_used, clippy::expect_used)]
use intake_postgres::PostgresStore;
use intake_store::{Counts, NewImport, NewRecord, RecordUpdate, Store, StoreError, contract};
use intake_testkit::postgres::{TestDatabase, postgres_or_skip};

fn fresh(test: &str) -> Option<(TestDatabase, PostgresStore)> {
    let db = postgres_or_skip(test)?;
    let store = PostgresStore::open(db.url(), "contract").unwrap();
    Some((db, store))
}

macro_rules! contract_tests {
    ($($name:ident => $check:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            let Some((_db, store)) = fresh(stringify!($name)) else { return };
            contract::$check(&store);
        }
    )*};
}

contract_tests!(
    migrate_is_idempotent_postgres => migrate_is_idempotent,
    committed_records_are_found_postgres => committed_records_are_found,
    dropped_import_writes_nothing_postgres => dropped_import_writes_nothing,
    unique_values_conflict_postgres => unique_values_conflict,
    a_rejected_record_in_a_partial_batch_is_reported_and_the_rest_written_postgres => a_rejected_record_in_a_partial_batch_is_reported_and_the_rest_written,
    revert_restores_and_refuses_after_later_changes_postgres => revert_restores_and_refuses_after_later_changes,
    updates_with_their_stamps_revert_to_them_postgres => updates_with_their_stamps_revert_to_them,
    changes_are_listed_undone_and_reverted_postgres => changes_are_listed_undone_and_reverted,
    failed_imports_are_recorded_postgres => failed_imports_are_recorded,
    lossy_migrations_are_refused_postgres => lossy_migrations_are_refused,
    uncommitted_writes_are_invisible_postgres => uncommitted_writes_are_invisible,
    repeated_updates_apply_in_order_and_revert_postgres => repeated_updates_apply_in_order_and_revert,
    records_are_found_by_their_link_postgres => records_are_found_by_their_link,
    a_job_is_committed_at_most_once_postgres => a_job_is_committed_at_most_once,
);

fn new_import() -> NewImport {
    NewImport {
        record_type: "person".into(),
        file_name: "a.csv".into(),
        options: serde_json::json!({}),
        started_at: "2026-01-01T00:00:00Z".into(),
        job: None,
    }
}

fn person(email: &str) -> NewRecord {
    NewRecord {
        uuid: uuid::Uuid::new_v4(),
        values: vec![
            intake_core::stored::Stored::Text(email.into()),
            intake_core::stored::Stored::Integer(1),
            intake_core::stored::Stored::Null,
        ],
    }
}

/// Updates setting each person's age (from 1) to `age(i)`, without stamps.
fn age_updates(people: &[NewRecord], age: impl Fn(usize) -> i64) -> Vec<RecordUpdate> {
    people
        .iter()
        .enumerate()
        .map(|(i, p)| RecordUpdate {
            uuid: p.uuid,
            set: vec![(1, intake_core::stored::Stored::Integer(age(i)))],
            before: vec![(1, intake_core::stored::Stored::Integer(1))],
            stamp: None,
        })
        .collect()
}

/// F3: the connection is lost mid-import (the server ends it): the next write fails with
/// the cause, nothing of the import is kept, and the store works afterwards.
#[test]
fn f3_connection_lost_mid_import_postgres() {
    let Some((db, store)) = fresh("f3_connection_lost_mid_import_postgres") else {
        return;
    };
    let schema = contract::schema();
    store.migrate(&schema).unwrap();
    let rt = schema.record_type("person").unwrap();
    let mut tx = store.begin_import(&schema, &new_import()).unwrap();
    tx.insert(rt, &[person("a@example.com")], "2026-01-01T00:00:00Z")
        .unwrap();
    // The import's connection is the one holding the import lock.
    let mut admin = db.connect();
    let ended = admin
        .query(
            "SELECT pg_terminate_backend(l.pid) FROM pg_locks l
             JOIN pg_class c ON c.oid = l.relation
             WHERE c.relname = '_intake_imports' AND l.mode = 'ExclusiveLock' AND l.granted",
            &[],
        )
        .unwrap();
    assert_eq!(ended.len(), 1, "the import's connection was found");
    let err = tx
        .insert(rt, &[person("b@example.com")], "2026-01-01T00:00:00Z")
        .and_then(|()| tx.commit(&Counts::default(), "2026-01-01T00:00:01Z"))
        .unwrap_err();
    // The server may say it terminated the connection, or the socket may just be reset.
    assert!(
        matches!(err, StoreError::Backend(ref m) if {
            let m = m.to_lowercase();
            m.contains("connection") || m.contains("terminat") || m.contains("communicating")
        }),
        "{err}"
    );
    let mut r = store.read().unwrap();
    assert_eq!(r.count(rt).unwrap(), 0);
    assert!(store.imports().unwrap().is_empty());
    let mut tx = store.begin_import(&schema, &new_import()).unwrap();
    tx.insert(rt, &[person("a@example.com")], "2026-01-01T00:00:00Z")
        .unwrap();
    tx.commit(&Counts::default(), "2026-01-01T00:00:01Z")
        .unwrap();
    assert_eq!(r.count(rt).unwrap(), 1);
}

/// F4: another writer commits a unique value after the import looked it up; the import's
/// write of the same value fails as a conflict naming the value, and nothing is kept.
#[test]
fn f4_unique_value_taken_at_write_time_postgres() {
    let Some((db, store)) = fresh("f4_unique_value_taken_at_write_time_postgres") else {
        return;
    };
    let schema = contract::schema();
    store.migrate(&schema).unwrap();
    let rt = schema.record_type("person").unwrap();
    let mut tx = store.begin_import(&schema, &new_import()).unwrap();
    tx.insert(rt, &[person("first@example.com")], "2026-01-01T00:00:00Z")
        .unwrap();
    let mut other = db.connect();
    other
        .batch_execute(
            "INSERT INTO contract.person (uuid, created_at, updated_at, email)
             VALUES (gen_random_uuid(), now(), now(), 'Taken@example.com')",
        )
        .unwrap();
    // Writes stream to the server: the conflict is reported by the write or, at the
    // latest, by the commit.
    let err = tx
        .insert(rt, &[person("taken@example.com")], "2026-01-01T00:00:00Z")
        .and_then(|()| {
            tx.commit(&Counts::default(), "2026-01-01T00:00:01Z")
                .map(|_| ())
        })
        .unwrap_err();
    match err {
        StoreError::Conflict(m) => assert!(m.contains("taken@example.com"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let mut r = store.read().unwrap();
    assert_eq!(r.count(rt).unwrap(), 1, "only the other writer's record");
}

/// Workspaces made by earlier versions kept a row per changed record in a table
/// `_intake_changes`: opening one moves those rows into change sets, and the changes they
/// record are listed and reverted as before.
#[test]
fn changes_kept_by_earlier_versions_are_moved_postgres() {
    let Some((db, store)) = fresh("changes_kept_by_earlier_versions_are_moved_postgres") else {
        return;
    };
    let schema = contract::schema();
    store.migrate(&schema).unwrap();
    let rt = schema.record_type("person").unwrap();
    let people = vec![person("a@example.com"), person("b@example.com")];
    let mut tx = store.begin_import(&schema, &new_import()).unwrap();
    tx.insert(rt, &people, "2026-01-01T00:00:00Z").unwrap();
    tx.commit(&Counts::default(), "2026-01-01T00:00:01Z")
        .unwrap();
    let mut tx = store.begin_import(&schema, &new_import()).unwrap();
    let updates = age_updates(&people, |i| 5 + i as i64);
    tx.update(rt, &updates, "2026-01-02T00:00:00Z").unwrap();
    let second = tx
        .commit(&Counts::default(), "2026-01-02T00:00:01Z")
        .unwrap();
    let listed = store.changes(&schema, second, 10).unwrap();
    assert_eq!(listed.len(), 2);

    // The same changes as an earlier version kept them.
    let mut client = db.connect();
    client
        .batch_execute(
            "SET search_path TO contract;
             ALTER VIEW _intake_changes RENAME TO changes_now;
             CREATE TABLE _intake_changes (id bigserial PRIMARY KEY, import_id bigint NOT NULL,
               record_type text NOT NULL, uuid uuid NOT NULL, action text NOT NULL,
               before jsonb, after jsonb);
             INSERT INTO _intake_changes (import_id, record_type, uuid, action, before, after)
               SELECT import_id, record_type, uuid, action, before, after FROM changes_now
               ORDER BY set_id, ord;
             DROP VIEW changes_now;
             TRUNCATE _intake_change_sets;",
        )
        .unwrap();
    drop(store);
    let store = PostgresStore::open(db.url(), "contract").unwrap();
    let kind: String = client
        .query_one(
            "SELECT relkind::text FROM pg_class WHERE oid = 'contract._intake_changes'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(kind, "v", "the table became the view");
    assert_eq!(store.changes(&schema, second, 10).unwrap(), listed);
    let counts = store
        .revert(&schema, second, "2026-01-03T00:00:00Z")
        .unwrap();
    assert_eq!(counts.restored, 2);
    let uuids: Vec<uuid::Uuid> = people.iter().map(|p| p.uuid).collect();
    for p in store.read().unwrap().by_uuid(rt, &uuids).unwrap() {
        assert_eq!(p.values[1], intake_core::stored::Stored::Integer(1));
    }
}

/// Record tables leave room on each page: an import updating every record writes each new
/// version beside the old one (a heap-only update, with no new index entries), so every
/// record stays on its page.
#[test]
fn updating_every_record_keeps_each_on_its_page_postgres() {
    let Some((db, store)) = fresh("updating_every_record_keeps_each_on_its_page_postgres") else {
        return;
    };
    let schema = contract::schema();
    store.migrate(&schema).unwrap();
    let rt = schema.record_type("person").unwrap();
    let people: Vec<NewRecord> = (0..2000)
        .map(|i| person(&format!("p{i}@example.com")))
        .collect();
    let mut tx = store.begin_import(&schema, &new_import()).unwrap();
    tx.insert(rt, &people, "2026-01-01T00:00:00Z").unwrap();
    tx.commit(&Counts::default(), "2026-01-01T00:00:01Z")
        .unwrap();

    let mut client = db.connect();
    let options: Vec<String> = client
        .query_one(
            "SELECT reloptions FROM pg_class WHERE oid = 'contract.person'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(options, ["fillfactor=50"]);
    let pages = |client: &mut postgres::Client| -> Vec<(uuid::Uuid, String)> {
        client
            .query(
                "SELECT uuid, split_part(ctid::text, ',', 1) FROM contract.person ORDER BY uuid",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    };
    let before = pages(&mut client);
    let distinct: std::collections::BTreeSet<&String> = before.iter().map(|(_, p)| p).collect();
    assert!(distinct.len() > 1, "the records span several pages");

    let mut tx = store.begin_import(&schema, &new_import()).unwrap();
    tx.update(rt, &age_updates(&people, |_| 2), "2026-01-02T00:00:00Z")
        .unwrap();
    tx.commit(&Counts::default(), "2026-01-02T00:00:01Z")
        .unwrap();
    assert_eq!(pages(&mut client), before);
    let updated: i64 = client
        .query_one("SELECT count(*) FROM contract.person WHERE age = 2", &[])
        .unwrap()
        .get(0);
    assert_eq!(updated, 2000);
}
