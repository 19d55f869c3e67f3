//! The contract every store backend keeps, as tests a backend's test suite calls with a
//! fresh, empty store: `contract::run_all(&|| MyStore::new_empty())`.
//!
//! Each check panics (with a message) when the backend breaks the contract.

use intake_core::filter::Filter;
use intake_core::schema::Schema;
use intake_core::stored::Stored;
use uuid::Uuid;

use crate::{Counts, NewImport, NewRecord, RecordUpdate, RefusedWrite, Stamp, Store, StoreError};

/// A small schema with a unique e-mail (the natural key) and a link.
pub const SCHEMA: &str = r#"
[types.company]
label = "Company"
natural_keys = [["name"]]
[[types.company.fields]]
name = "name"
label = "Name"
type = "text"
required = true
unique = true

[types.person]
label = "Person"
natural_keys = [["email"]]
[[types.person.fields]]
name = "email"
label = "Email"
type = "email"
unique = true
[[types.person.fields]]
name = "age"
label = "Age"
type = "integer"
[[types.person.fields]]
name = "company"
label = "Company UUID"
type = "link"
target = "company"
"#;

/// The schema of the contract.
pub fn schema() -> Schema {
    match Schema::from_toml("contract.toml", SCHEMA) {
        Ok(s) => s,
        Err(e) => panic!("the contract schema does not load: {e}"),
    }
}

fn import(rt: &str) -> NewImport {
    NewImport {
        record_type: rt.into(),
        file_name: "contract.csv".into(),
        options: serde_json::json!({}),
        started_at: "2026-01-01T00:00:00Z".into(),
        job: None,
    }
}

fn person(email: &str, age: i64) -> NewRecord {
    NewRecord {
        uuid: Uuid::new_v4(),
        values: vec![
            Stored::Text(email.into()),
            Stored::Integer(age),
            Stored::Null,
        ],
    }
}

/// A new company, and the value of a link to it.
fn company(name: &str) -> (NewRecord, Stored) {
    let uuid = Uuid::new_v4();
    let record = NewRecord {
        uuid,
        values: vec![Stored::Text(name.into())],
    };
    (record, Stored::Text(intake_core::stored::uuid_text(&uuid)))
}

fn ok<T>(r: Result<T, StoreError>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

/// Creates two people in one committed import; returns them.
fn seed(store: &dyn Store, schema: &Schema) -> (i64, Vec<NewRecord>) {
    let Some(rt) = schema.record_type("person") else {
        panic!("no person type")
    };
    let people = vec![person("Ann@Example.com", 30), person("bob@example.com", 40)];
    let mut tx = ok(store.begin_import(schema, &import("person")), "begin");
    ok(tx.insert(rt, &people, "2026-01-01T00:00:00Z"), "insert");
    let counts = Counts {
        rows: 2,
        created: 2,
        ..Counts::default()
    };
    let id = ok(tx.commit(&counts, "2026-01-01T00:00:01Z"), "commit");
    (id, people)
}

/// Migrating twice changes nothing the second time.
pub fn migrate_is_idempotent(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "first migration");
    let again = ok(store.migrate(&schema), "second migration");
    assert!(
        again.applied.is_empty(),
        "second migration applied {:?}",
        again.applied
    );
}

/// Records written by a committed import are found by UUID, by key (e-mail ignoring case),
/// counted, and scanned.
pub fn committed_records_are_found(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "migrate");
    let (_, people) = seed(store, &schema);
    let Some(rt) = schema.record_type("person") else {
        return;
    };
    let mut r = ok(store.read(), "read");
    assert_eq!(ok(r.count(rt), "count"), 2);
    let found = ok(r.by_uuid(rt, &[people[0].uuid, Uuid::new_v4()]), "by_uuid");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].values, people[0].values);
    let by_key = ok(
        r.by_key(rt, &[0], &[vec![Stored::Text("ann@example.com".into())]]),
        "by_key",
    );
    assert_eq!(by_key.len(), 1, "e-mail keys ignore case");
    assert_eq!(by_key[0].uuid, people[0].uuid);
    let exists = ok(
        r.existing("person", &[people[1].uuid, Uuid::new_v4()]),
        "existing",
    );
    assert_eq!(exists, vec![people[1].uuid]);
    let mut seen = Vec::new();
    ok(
        r.scan(rt, &Filter::All, &mut |rec| {
            seen.push(rec.uuid);
            Ok(())
        }),
        "scan",
    );
    assert_eq!(
        seen,
        vec![people[0].uuid, people[1].uuid],
        "scan keeps creation order"
    );
}

/// An import dropped without commit leaves nothing behind, not even its import record.
pub fn dropped_import_writes_nothing(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "migrate");
    let Some(rt) = schema.record_type("person") else {
        return;
    };
    {
        let mut tx = ok(store.begin_import(&schema, &import("person")), "begin");
        ok(
            tx.insert(rt, &[person("c@example.com", 1)], "2026-01-01T00:00:00Z"),
            "insert",
        );
    }
    assert_eq!(ok(ok(store.read(), "read").count(rt), "count"), 0);
    assert!(ok(store.imports(), "imports").is_empty());
}

/// L6: while an import writes, readers see the records as they were before it; after the
/// commit they see all of it.
pub fn uncommitted_writes_are_invisible(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "migrate");
    let (_, people) = seed(store, &schema);
    let Some(rt) = schema.record_type("person") else {
        return;
    };
    let mut tx = ok(store.begin_import(&schema, &import("person")), "begin");
    let new = vec![
        person("carl@example.com", 50),
        person("dora@example.com", 60),
    ];
    ok(tx.insert(rt, &new, "2026-01-02T00:00:00Z"), "insert");
    ok(
        tx.update(
            rt,
            &[RecordUpdate {
                uuid: people[0].uuid,
                set: vec![(1, Stored::Integer(99))],
                before: vec![(1, Stored::Integer(30))],
                stamp: None,
            }],
            "2026-01-02T00:00:00Z",
        ),
        "update",
    );
    let mut r = ok(store.read(), "read");
    assert_eq!(
        ok(r.count(rt), "count"),
        2,
        "a reader sees no created record"
    );
    let seen = ok(r.by_uuid(rt, &[people[0].uuid, new[0].uuid]), "by_uuid");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].values[1], Stored::Integer(30), "nor an update");
    ok(
        tx.commit(&Counts::default(), "2026-01-02T00:00:01Z"),
        "commit",
    );
    assert_eq!(ok(r.count(rt), "count"), 4);
    let seen = ok(r.by_uuid(rt, &[people[0].uuid]), "by_uuid");
    assert_eq!(seen[0].values[1], Stored::Integer(99));
}

/// A duplicate unique value is a conflict, never two records.
pub fn unique_values_conflict(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "migrate");
    seed(store, &schema);
    let Some(rt) = schema.record_type("person") else {
        return;
    };
    let mut tx = ok(store.begin_import(&schema, &import("person")), "begin");
    let r = tx
        .insert(rt, &[person("ANN@example.com", 1)], "2026-01-02T00:00:00Z")
        .and_then(|()| tx.commit(&Counts::default(), "2026-01-02T00:00:00Z"));
    assert!(matches!(r, Err(StoreError::Conflict(_))), "got {r:?}");
    assert_eq!(ok(ok(store.read(), "read").count(rt), "count"), 2);
}

/// F4 in a partial import: a batch where one record's unique value is already stored (and
/// an update to a taken value) writes the other records and reports the refused ones, each
/// once, with the clashing field and value; the import commits without them.
pub fn a_rejected_record_in_a_partial_batch_is_reported_and_the_rest_written(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "migrate");
    let (_, people) = seed(store, &schema);
    let Some(rt) = schema.record_type("person") else {
        return;
    };
    let now = "2026-01-02T00:00:00Z";
    let mut tx = ok(store.begin_import(&schema, &import("person")), "begin");
    ok(tx.partial(), "partial");
    let batch = vec![
        person("carl@example.com", 50),
        person("ANN@example.com", 1),
        person("dora@example.com", 60),
    ];
    ok(tx.insert(rt, &batch, now), "insert");
    let updates = [
        RecordUpdate {
            uuid: people[1].uuid,
            set: vec![(0, Stored::Text("Carl@example.com".into()))],
            before: vec![(0, Stored::Text("bob@example.com".into()))],
            stamp: None,
        },
        RecordUpdate {
            uuid: people[0].uuid,
            set: vec![(1, Stored::Integer(31))],
            before: vec![(1, Stored::Integer(30))],
            stamp: None,
        },
    ];
    ok(tx.update(rt, &updates, now), "update");
    let mut rejected = ok(tx.rejected(), "rejected");
    rejected.sort_by_key(|r| r.write == RefusedWrite::Update);
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    assert_eq!(rejected[0].uuid, batch[1].uuid);
    assert_eq!(rejected[0].write, RefusedWrite::Create);
    assert_eq!(rejected[0].record_type, "person");
    assert_eq!(rejected[0].fields, vec![0], "the e-mail clashes");
    assert_eq!(rejected[0].value, "ANN@example.com");
    assert_eq!(rejected[1].uuid, people[1].uuid);
    assert_eq!(rejected[1].write, RefusedWrite::Update);
    assert_eq!(rejected[1].fields, vec![0]);
    assert_eq!(rejected[1].value, "Carl@example.com");
    assert!(
        ok(tx.rejected(), "rejected again").is_empty(),
        "each refused record is reported once"
    );
    ok(tx.commit(&Counts::default(), now), "commit");
    let mut r = ok(store.read(), "read");
    assert_eq!(ok(r.count(rt), "count"), 4, "the two seeded and two new");
    let seen = ok(
        r.by_uuid(rt, &[batch[0].uuid, batch[1].uuid, batch[2].uuid]),
        "by_uuid",
    );
    assert_eq!(seen.len(), 2);
    let both = ok(r.by_uuid(rt, &[people[0].uuid, people[1].uuid]), "by_uuid");
    for p in &both {
        if p.uuid == people[0].uuid {
            assert_eq!(p.values[1], Stored::Integer(31), "the other update is kept");
        } else {
            assert_eq!(
                p.values[0],
                Stored::Text("bob@example.com".into()),
                "the refused update is not"
            );
        }
    }
}

/// Updates and deletes are kept in the changeset and reverted as a whole; a later change
/// to the same records stops the revert.
pub fn revert_restores_and_refuses_after_later_changes(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "migrate");
    let (first, people) = seed(store, &schema);
    let Some(rt) = schema.record_type("person") else {
        return;
    };
    let mut tx = ok(store.begin_import(&schema, &import("person")), "begin");
    ok(
        tx.update(
            rt,
            &[RecordUpdate {
                uuid: people[0].uuid,
                set: vec![(1, Stored::Integer(31))],
                before: vec![(1, Stored::Integer(30))],
                stamp: None,
            }],
            "2026-01-02T00:00:00Z",
        ),
        "update",
    );
    let stored = ok(
        ok(store.read(), "read").by_uuid(rt, &[people[1].uuid]),
        "by_uuid",
    );
    ok(tx.delete(rt, &stored), "delete");
    let second = ok(
        tx.commit(&Counts::default(), "2026-01-02T00:00:00Z"),
        "commit",
    );

    // The first import's records were changed since: its revert is refused.
    match store.revert(&schema, first, "2026-01-03T00:00:00Z") {
        Err(StoreError::RevertConflict { conflicts, .. }) => {
            assert!(conflicts.iter().all(|c| c.by_import == second));
            assert_eq!(conflicts.len(), 2);
        }
        other => panic!("expected a revert conflict, got {other:?}"),
    }
    let c = ok(
        store.revert(&schema, second, "2026-01-03T00:00:00Z"),
        "revert",
    );
    assert_eq!((c.restored, c.undeleted), (1, 1));
    let mut r = ok(store.read(), "read");
    let back = ok(r.by_uuid(rt, &[people[0].uuid, people[1].uuid]), "by_uuid");
    assert_eq!(back.len(), 2);
    let ann = back.iter().find(|p| p.uuid == people[0].uuid);
    assert_eq!(ann.map(|a| a.values[1].clone()), Some(Stored::Integer(30)));
    // Now the first import can go too.
    let c = ok(
        store.revert(&schema, first, "2026-01-04T00:00:00Z"),
        "revert first",
    );
    assert_eq!(c.removed, 2);
    assert_eq!(ok(r.count(rt), "count"), 0);
}

/// Updates that carry their records' stamps (`updated_at` and `updated_by_import` as read
/// before them) are written and reverted as those that do not: the revert puts the values
/// and the stamps back.
pub fn updates_with_their_stamps_revert_to_them(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "migrate");
    let (first, people) = seed(store, &schema);
    let Some(rt) = schema.record_type("person") else {
        return;
    };
    let uuids = [people[0].uuid, people[1].uuid];
    let stored = ok(ok(store.read(), "read").by_uuid(rt, &uuids), "by_uuid");
    assert_eq!(stored.len(), 2);
    let updates: Vec<RecordUpdate> = stored
        .iter()
        .zip(70..)
        .map(|(r, age)| RecordUpdate {
            uuid: r.uuid,
            set: vec![(1, Stored::Integer(age))],
            before: vec![(1, r.values[1].clone())],
            stamp: Some(Stamp {
                updated_at: r.updated_at.clone(),
                updated_by_import: r.updated_by_import,
            }),
        })
        .collect();
    let mut tx = ok(store.begin_import(&schema, &import("person")), "begin");
    ok(tx.update(rt, &updates, "2026-01-02T00:00:00Z"), "update");
    let second = ok(
        tx.commit(&Counts::default(), "2026-01-02T00:00:01Z"),
        "commit",
    );
    let mut r = ok(store.read(), "read");
    for u in ok(r.by_uuid(rt, &uuids), "by_uuid") {
        assert_eq!(u.updated_by_import, Some(second));
        assert_ne!(u.values[1], Stored::Integer(30), "the update is written");
    }
    let c = ok(
        store.revert(&schema, second, "2026-01-03T00:00:00Z"),
        "revert",
    );
    assert_eq!(c.restored, 2);
    for back in ok(r.by_uuid(rt, &uuids), "by_uuid") {
        let Some(before) = stored.iter().find(|s| s.uuid == back.uuid) else {
            panic!("record {} came back from nowhere", back.uuid)
        };
        assert_eq!(back.values, before.values);
        assert_eq!(back.updated_at, before.updated_at);
        assert_eq!(back.updated_by_import, Some(first));
    }
}

/// What an import changed is listed a record at a time, in the order it was written, with
/// the values before and after; a record's changes undone before the commit are put back and
/// not listed; the revert puts back the rest.
pub fn changes_are_listed_undone_and_reverted(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "migrate");
    let Some(rt) = schema.record_type("person") else {
        panic!("no person type")
    };
    let people: Vec<NewRecord> = (0..5)
        .map(|i| person(&format!("p{i}@example.com"), 20 + i))
        .collect();
    let mut tx = ok(store.begin_import(&schema, &import("person")), "begin");
    ok(tx.insert(rt, &people, "2026-01-01T00:00:00Z"), "insert");
    let first = ok(
        tx.commit(&Counts::default(), "2026-01-01T00:00:01Z"),
        "commit",
    );
    let uuids: Vec<Uuid> = people.iter().map(|p| p.uuid).collect();
    let stored = ok(ok(store.read(), "read").by_uuid(rt, &uuids), "by_uuid");
    let find = |u: Uuid| match stored.iter().find(|s| s.uuid == u) {
        Some(s) => s.clone(),
        None => panic!("record {u} was not created"),
    };

    let mut tx = ok(store.begin_import(&schema, &import("person")), "begin");
    let updates: Vec<RecordUpdate> = [0usize, 1, 2]
        .iter()
        .map(|&i| RecordUpdate {
            uuid: uuids[i],
            set: vec![(1, Stored::Integer(50 + i as i64))],
            before: vec![(1, Stored::Integer(20 + i as i64))],
            stamp: None,
        })
        .collect();
    ok(tx.update(rt, &updates, "2026-01-02T00:00:00Z"), "update");
    ok(
        tx.deactivate(rt, &[uuids[3]], "2026-01-02T00:00:00Z"),
        "deactivate",
    );
    ok(tx.delete(rt, &[find(uuids[4])]), "delete");
    // A later row contradicted the one that updated the second person.
    ok(tx.undo(rt, uuids[1]), "undo");
    let second = ok(
        tx.commit(&Counts::default(), "2026-01-02T00:00:01Z"),
        "commit",
    );

    let changes = ok(store.changes(&schema, second, 100), "changes");
    let listed: Vec<(Uuid, &str)> = changes
        .iter()
        .map(|c| (c.uuid, c.action.as_str()))
        .collect();
    assert_eq!(
        listed,
        vec![
            (uuids[0], "updated"),
            (uuids[2], "updated"),
            (uuids[3], "deactivated"),
            (uuids[4], "deleted"),
        ],
        "the changes, in order, without the undone one"
    );
    let age = |c: &crate::Change| {
        c.fields
            .iter()
            .find(|(f, _, _)| f == "age")
            .map(|(_, b, a)| (b.clone(), a.clone()))
    };
    assert_eq!(
        age(&changes[1]),
        Some((Stored::Integer(22), Stored::Integer(52)))
    );
    assert_eq!(
        age(&changes[3]).map(|(before, _)| before),
        Some(Stored::Integer(24)),
        "a deletion keeps the record's values"
    );
    assert_eq!(ok(store.changes(&schema, second, 2), "changes").len(), 2);
    let mut r = ok(store.read(), "read");
    let undone = ok(r.by_uuid(rt, &[uuids[1]]), "by_uuid");
    assert_eq!(
        undone
            .first()
            .map(|u| (u.values[1].clone(), u.updated_by_import)),
        Some((Stored::Integer(21), Some(first))),
        "the undone update is put back, stamps and all"
    );

    let c = ok(
        store.revert(&schema, second, "2026-01-03T00:00:00Z"),
        "revert",
    );
    assert_eq!(
        (c.restored, c.reactivated, c.undeleted, c.removed),
        (2, 1, 1, 0)
    );
    let back = ok(r.by_uuid(rt, &uuids), "by_uuid");
    assert_eq!(back.len(), 5);
    for b in back {
        let before = find(b.uuid);
        assert_eq!(b.values, before.values, "record {} is back", b.uuid);
        assert_eq!(b.updated_by_import, Some(first));
    }
}

/// A failed import is recorded, with its counts and message.
pub fn failed_imports_are_recorded(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "migrate");
    let counts = Counts {
        rows: 3,
        failed: 1,
        skipped: 2,
        ..Counts::default()
    };
    let id = ok(
        store.record_failed_import(
            &import("person"),
            &counts,
            "1 row with problems",
            "2026-01-01T00:00:01Z",
        ),
        "record",
    );
    let i = ok(store.import(id), "import");
    assert_eq!(i.counts, counts);
    assert_eq!(i.message.as_deref(), Some("1 row with problems"));
    assert!(matches!(
        store.revert(&schema, id, "2026-01-02T00:00:00Z"),
        Err(StoreError::NotRevertable { .. })
    ));
}

/// A schema change that would lose stored values is refused; adding a field is applied.
pub fn lossy_migrations_are_refused(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "migrate");
    seed(store, &schema);
    let retyped = SCHEMA.replace(
        "name = \"age\"\nlabel = \"Age\"\ntype = \"integer\"",
        "name = \"age\"\nlabel = \"Age\"\ntype = \"date\"",
    );
    let Ok(retyped) = Schema::from_toml("contract.toml", &retyped) else {
        panic!("retyped schema does not load")
    };
    assert!(matches!(
        store.migrate(&retyped),
        Err(StoreError::LossyMigration(_))
    ));
    let added = format!(
        "{SCHEMA}\n[[types.person.fields]]\nname = \"city\"\nlabel = \"City\"\ntype = \"text\"\n"
    );
    let Ok(added) = Schema::from_toml("contract.toml", &added) else {
        panic!("extended schema does not load")
    };
    let m = ok(store.migrate(&added), "add a field");
    assert!(
        m.applied.iter().any(|s| s.contains("city")),
        "{:?}",
        m.applied
    );
}

/// One import may update a record more than once (shared fields are settled after the
/// rows): the last update wins, and a revert restores the record as it was before.
pub fn repeated_updates_apply_in_order_and_revert(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "migrate");
    let (_, people) = seed(store, &schema);
    let (Some(rt), Some(ct)) = (schema.record_type("person"), schema.record_type("company")) else {
        return;
    };
    let (company, link) = company("Acme");
    let mut tx = ok(store.begin_import(&schema, &import("person")), "begin");
    ok(
        tx.insert(ct, std::slice::from_ref(&company), "2026-01-02T00:00:00Z"),
        "insert",
    );
    let now = "2026-01-02T00:00:00Z";
    let first = RecordUpdate {
        uuid: people[0].uuid,
        set: vec![(1, Stored::Integer(31)), (2, link.clone())],
        before: vec![(1, Stored::Integer(30)), (2, Stored::Null)],
        stamp: None,
    };
    let second = RecordUpdate {
        uuid: people[0].uuid,
        set: vec![(1, Stored::Integer(32))],
        before: vec![(1, Stored::Integer(31))],
        stamp: None,
    };
    ok(tx.update(rt, &[first], now), "first update");
    ok(tx.update(rt, &[second], now), "second update");
    let id = ok(
        tx.commit(&Counts::default(), "2026-01-02T00:00:01Z"),
        "commit",
    );
    let mut r = ok(store.read(), "read");
    let seen = ok(r.by_uuid(rt, &[people[0].uuid]), "by_uuid");
    assert_eq!(
        seen[0].values[1],
        Stored::Integer(32),
        "the last update wins"
    );
    assert_eq!(
        seen[0].values[2], link,
        "and the first one's other field stays"
    );
    drop(r);
    ok(store.revert(&schema, id, "2026-01-03T00:00:00Z"), "revert");
    let mut r = ok(store.read(), "read");
    let seen = ok(r.by_uuid(rt, &[people[0].uuid]), "by_uuid");
    assert_eq!(
        seen[0].values[1],
        Stored::Integer(30),
        "revert restores the first value"
    );
    assert_eq!(seen[0].values[2], Stored::Null);
}

/// Records are found by the record their link names (the records that link to one).
pub fn records_are_found_by_their_link(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "migrate");
    let (Some(rt), Some(ct)) = (schema.record_type("person"), schema.record_type("company")) else {
        return;
    };
    let (company, link) = company("Acme");
    let mut linked = person("ann@example.com", 30);
    linked.values[2] = link.clone();
    let other = person("bob@example.com", 40);
    let mut tx = ok(store.begin_import(&schema, &import("person")), "begin");
    ok(
        tx.insert(ct, &[company], "2026-01-01T00:00:00Z"),
        "insert company",
    );
    ok(
        tx.insert(rt, &[linked.clone(), other], "2026-01-01T00:00:00Z"),
        "insert people",
    );
    ok(
        tx.commit(&Counts::default(), "2026-01-01T00:00:01Z"),
        "commit",
    );
    let mut r = ok(store.read(), "read");
    let found = ok(
        r.by_key(
            rt,
            &[2],
            &[
                vec![link],
                vec![Stored::Text(
                    intake_core::stored::uuid_text(&Uuid::new_v4()),
                )],
            ],
        ),
        "by_key on a link",
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].uuid, linked.uuid);
}

/// A server job is committed at most once: a second import for the same job cannot commit
/// and writes nothing, and the import is found by its job.
pub fn a_job_is_committed_at_most_once(store: &dyn Store) {
    let schema = schema();
    ok(store.migrate(&schema), "migrate");
    let Some(rt) = schema.record_type("person") else {
        panic!("no person type")
    };
    let job = NewImport {
        job: Some("job-1".into()),
        ..import("person")
    };
    assert!(ok(store.import_by_job("job-1"), "by job").is_none());
    let mut tx = ok(store.begin_import(&schema, &job), "begin");
    ok(
        tx.insert(rt, &[person("ann@example.com", 30)], "2026-01-01T00:00:00Z"),
        "insert",
    );
    let counts = Counts {
        rows: 1,
        created: 1,
        ..Counts::default()
    };
    let id = ok(tx.commit(&counts, "2026-01-01T00:00:01Z"), "commit");
    let found = ok(store.import_by_job("job-1"), "by job");
    assert_eq!(
        found.map(|i| (i.id, i.job)),
        Some((id, Some("job-1".into())))
    );

    // The same job run again (another worker): it cannot commit, and writes nothing.
    let again = store.begin_import(&schema, &job).and_then(|mut tx| {
        tx.insert(rt, &[person("bob@example.com", 40)], "2026-01-01T00:00:02Z")?;
        tx.commit(&counts, "2026-01-01T00:00:03Z")
    });
    assert!(again.is_err(), "a job committed twice: {again:?}");
    let mut r = ok(store.read(), "read");
    assert_eq!(ok(r.count(rt), "count"), 1);
    assert_eq!(ok(store.imports(), "imports").len(), 1);

    // A failed import keeps its job too.
    let failed = NewImport {
        job: Some("job-2".into()),
        ..import("person")
    };
    let id = ok(
        store.record_failed_import(&failed, &counts, "problems", "2026-01-01T00:00:04Z"),
        "record",
    );
    assert_eq!(
        ok(store.import_by_job("job-2"), "by job").map(|i| i.id),
        Some(id)
    );
}

/// Every check, each on a fresh store from `fresh`.
pub fn run_all(fresh: &dyn Fn() -> Box<dyn Store>) {
    migrate_is_idempotent(fresh().as_ref());
    committed_records_are_found(fresh().as_ref());
    dropped_import_writes_nothing(fresh().as_ref());
    unique_values_conflict(fresh().as_ref());
    a_rejected_record_in_a_partial_batch_is_reported_and_the_rest_written(fresh().as_ref());
    revert_restores_and_refuses_after_later_changes(fresh().as_ref());
    updates_with_their_stamps_revert_to_them(fresh().as_ref());
    changes_are_listed_undone_and_reverted(fresh().as_ref());
    failed_imports_are_recorded(fresh().as_ref());
    lossy_migrations_are_refused(fresh().as_ref());
    uncommitted_writes_are_invisible(fresh().as_ref());
    repeated_updates_apply_in_order_and_revert(fresh().as_ref());
    records_are_found_by_their_link(fresh().as_ref());
    a_job_is_committed_at_most_once(fresh().as_ref());
}
