//! Tests of shared fields: writes and stored records built by hand, one test per rule.

use std::sync::LazyLock;

use super::*;
use crate::schema::Schema;

const SCHEMA: &str = r#"
[types.client]
label = "Client"
natural_keys = [["name"]]

[[types.client.fields]]
name = "name"
label = "Name"
type = "text"
unique = true

[[types.client.fields]]
name = "linked"
label = "Linked Client"
type = "link"
target = "client"
by = ["uuid", "name"]
shares = ["room", "floor"]

[[types.client.fields]]
name = "room"
label = "Room"
type = "text"

[[types.client.fields]]
name = "floor"
label = "Floor"
type = "integer"

[[types.client.fields]]
name = "note"
label = "Note"
type = "text"
"#;

const ROOM: usize = 2;
const FLOOR: usize = 3;

static PARSED: LazyLock<Schema> =
    LazyLock::new(|| Schema::from_toml("test.toml", SCHEMA).expect("the test schema is valid"));

fn sharing() -> Sharing<'static> {
    let rt = PARSED.record_type("client").expect("client");
    let columns: Vec<Option<Column>> = rt
        .fields
        .iter()
        .enumerate()
        .map(|(index, f)| {
            Some(Column {
                index,
                header: f.label.clone(),
            })
        })
        .collect();
    let mut all = Sharing::of(rt, &columns);
    assert_eq!(all.len(), 1);
    all.remove(0)
}

fn u(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn row(n: u64) -> RowNumber {
    RowNumber::new(n)
}

fn text(s: &str) -> Stored {
    Stored::Text(s.to_string())
}

fn stored(uuid: Uuid, linked: Option<Uuid>, room: &str, floor: Option<i64>) -> StoredRecord {
    StoredRecord {
        uuid,
        values: vec![
            text(&format!("client {uuid}")),
            linked.map_or(Stored::Null, |l| Stored::Text(uuid_text(&l))),
            if room.is_empty() {
                Stored::Null
            } else {
                text(room)
            },
            floor.map_or(Stored::Null, Stored::Integer),
            Stored::Null,
        ],
        created_at: "2026-01-01T00:00:00Z".into(),
        updated_at: "2026-01-01T00:00:00Z".into(),
        updated_by_import: None,
        deactivated_at: None,
    }
}

fn store(records: Vec<StoredRecord>) -> FxHashMap<Uuid, StoredRecord> {
    records.into_iter().map(|r| (r.uuid, r)).collect()
}

fn update(uuid: Uuid, r: u64, set: Vec<(usize, Stored)>) -> SharedWrite {
    SharedWrite {
        uuid,
        row: row(r),
        created: false,
        link: None,
        set,
    }
}

/// An update as (row, record, values set, values before).
type Update = (u64, Uuid, Vec<(usize, Stored)>, Vec<(usize, Stored)>);

/// A row that creates a record linking to `target`.
fn create(uuid: Uuid, r: u64, target: Uuid, set: Vec<(usize, Stored)>) -> SharedWrite {
    SharedWrite {
        uuid,
        row: row(r),
        created: true,
        link: Some(Some(target)),
        set,
    }
}

/// A row that points an existing record's link at `target`.
fn relink(uuid: Uuid, r: u64, target: Uuid, set: Vec<(usize, Stored)>) -> SharedWrite {
    SharedWrite {
        created: false,
        ..create(uuid, r, target, set)
    }
}

fn updates(out: &Reconciled) -> Vec<Update> {
    out.updates
        .iter()
        .map(|op| match op {
            Op::Update {
                row,
                uuid,
                set,
                before,
            } => (row.get(), *uuid, set.clone(), before.clone()),
            other => panic!("expected an update, got {other:?}"),
        })
        .collect()
}

#[test]
fn schema_accepts_shares_on_a_link_to_its_own_type_only() {
    let other = SCHEMA.replace("target = \"client\"", "target = \"site\"")
        + "\n[types.site]\nlabel = \"Site\"\n\n[[types.site.fields]]\nname = \"room\"\ntype = \"text\"\n";
    let err = Schema::from_toml("t.toml", &other).expect_err("shares across types");
    assert!(
        err.to_string()
            .contains("`shares` is for links between records of one type"),
        "{err}"
    );
    let unknown = SCHEMA.replace("shares = [\"room\", \"floor\"]", "shares = [\"desk\"]");
    let err = Schema::from_toml("t.toml", &unknown).expect_err("unknown field");
    assert!(err.to_string().contains("`shares` names `desk`"), "{err}");
    let unique = SCHEMA.replace("shares = [\"room\", \"floor\"]", "shares = [\"name\"]");
    let err = Schema::from_toml("t.toml", &unique).expect_err("unique field");
    assert!(err.to_string().contains("which is unique"), "{err}");
    let on_text = SCHEMA.replace(
        "name = \"note\"\nlabel = \"Note\"\ntype = \"text\"",
        "name = \"note\"\nlabel = \"Note\"\ntype = \"text\"\nshares = [\"room\"]",
    );
    assert!(Schema::from_toml("t.toml", &on_text).is_err());
}

#[test]
fn a_row_that_sets_a_shared_field_updates_the_record_it_links_to() {
    let s = sharing();
    let (a, b) = (u(1), u(2));
    let held = store(vec![
        stored(a, Some(b), "1.01", Some(1)),
        stored(b, None, "1.01", Some(1)),
    ]);
    let out = s.reconcile(&[update(a, 2, vec![(ROOM, text("2.07"))])], &held);
    assert!(out.problems.is_empty());
    assert!(out.failed.is_empty());
    assert_eq!(
        updates(&out),
        vec![(2, b, vec![(ROOM, text("2.07"))], vec![(ROOM, text("1.01"))])]
    );
}

#[test]
fn a_row_that_sets_a_shared_field_updates_the_records_that_link_to_it() {
    let s = sharing();
    let (laptop, dock, screen, other) = (u(1), u(2), u(3), u(4));
    let held = store(vec![
        stored(laptop, None, "1.01", None),
        stored(dock, Some(laptop), "1.01", None),
        stored(screen, Some(laptop), "", None),
        // Linked to the dock, not to the laptop: only directly linked records share.
        stored(other, Some(dock), "1.01", None),
    ]);
    let out = s.reconcile(
        &[update(
            laptop,
            5,
            vec![(ROOM, text("3.10")), (FLOOR, Stored::Integer(3))],
        )],
        &held,
    );
    assert!(out.problems.is_empty());
    let got = updates(&out);
    assert_eq!(got.len(), 2, "{got:?}");
    for (r, uuid, set, before) in got {
        assert_eq!(r, 5);
        assert!(uuid == dock || uuid == screen, "{uuid}");
        assert_eq!(set, vec![(ROOM, text("3.10")), (FLOOR, Stored::Integer(3))]);
        let room_before = if uuid == dock {
            text("1.01")
        } else {
            Stored::Null
        };
        assert_eq!(before, vec![(ROOM, room_before), (FLOOR, Stored::Null)]);
    }
}

#[test]
fn linked_records_already_equal_are_not_updated() {
    let s = sharing();
    let (a, b) = (u(1), u(2));
    let held = store(vec![
        stored(a, Some(b), "1.01", None),
        stored(b, None, "1.01", None),
    ]);
    let out = s.reconcile(&[update(a, 2, vec![(ROOM, text("1.01"))])], &held);
    assert!(out.problems.is_empty() && out.updates.is_empty());
}

#[test]
fn two_linked_records_set_to_different_values_fail_both_rows() {
    let s = sharing();
    let (a, b) = (u(1), u(2));
    let held = store(vec![
        stored(a, Some(b), "1.01", None),
        stored(b, None, "1.01", None),
    ]);
    let out = s.reconcile(
        &[
            update(a, 2, vec![(ROOM, text("2.07"))]),
            update(b, 4, vec![(ROOM, text("3.10"))]),
        ],
        &held,
    );
    assert_eq!(out.failed, vec![(row(2), a), (row(4), b)]);
    assert!(out.updates.is_empty());
    let rows: Vec<(u64, &str, &str)> = out
        .problems
        .iter()
        .map(|p| (p.row.get(), p.value.as_str(), p.code.as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![
            (2, "2.07", "shared_field_conflict"),
            (4, "3.10", "shared_field_conflict")
        ]
    );
    let p = &out.problems[0];
    assert_eq!(p.column.as_ref().map(|c| c.header.as_str()), Some("Room"));
    assert!(
        p.message
            .contains("rows 2 and 4 set `Room` to `2.07` and `3.10`")
            && p.message.contains("give both rows the same value"),
        "{}",
        p.message
    );
}

#[test]
fn two_records_linked_to_one_record_asking_it_for_different_values_fail() {
    let s = sharing();
    let (hub, a, b) = (u(1), u(2), u(3));
    let held = store(vec![
        stored(hub, None, "1.01", None),
        stored(a, Some(hub), "1.01", None),
        stored(b, Some(hub), "1.01", None),
    ]);
    let out = s.reconcile(
        &[
            update(a, 3, vec![(ROOM, text("2.07"))]),
            update(b, 7, vec![(ROOM, text("3.10"))]),
        ],
        &held,
    );
    assert_eq!(out.failed, vec![(row(3), a), (row(7), b)]);
    assert_eq!(out.problems.len(), 2);
    assert!(out.problems[0].message.contains("linked to the client"));
    assert!(out.updates.is_empty(), "{:?}", out.updates);
}

#[test]
fn equal_values_on_linked_records_agree() {
    let s = sharing();
    let (a, b) = (u(1), u(2));
    let held = store(vec![
        stored(a, Some(b), "1.01", None),
        stored(b, None, "1.01", None),
    ]);
    let out = s.reconcile(
        &[
            update(a, 2, vec![(ROOM, text("2.07"))]),
            update(b, 3, vec![(ROOM, text("2.07"))]),
        ],
        &held,
    );
    assert!(out.problems.is_empty() && out.failed.is_empty() && out.updates.is_empty());
}

#[test]
fn only_fields_declared_shared_are_shared() {
    let s = sharing();
    let (a, b) = (u(1), u(2));
    let held = store(vec![
        stored(a, Some(b), "", None),
        stored(b, None, "", None),
    ]);
    let out = s.reconcile(&[update(a, 2, Vec::new())], &held);
    assert!(out.updates.is_empty());
    // A write of the `note` field is not a shared write at all.
    let op = Op::Update {
        row: row(2),
        uuid: a,
        set: vec![(4, text("x"))],
        before: vec![(4, Stored::Null)],
    };
    let values = vec![
        CellValue::Keep,
        CellValue::Keep,
        CellValue::Keep,
        CellValue::Keep,
        CellValue::Set(text("x")),
    ];
    assert_eq!(s.write_of(&op, &values, a), None);
}

#[test]
fn a_new_record_takes_the_shared_values_of_the_record_it_links_to() {
    let s = sharing();
    let (laptop, dock) = (u(1), u(2));
    let held = store(vec![stored(laptop, None, "1.01", Some(1))]);
    let create = Op::Create {
        row: row(2),
        values: vec![
            text("dock"),
            Stored::Text(uuid_text(&laptop)),
            Stored::Null,
            Stored::Null,
            Stored::Null,
        ],
    };
    // The room's cell is empty (a new record's empty cell is `Set(Null)`): it sets nothing.
    let values = vec![
        CellValue::Set(text("dock")),
        CellValue::Set(Stored::Text(uuid_text(&laptop))),
        CellValue::Set(Stored::Null),
        CellValue::Keep,
        CellValue::Keep,
    ];
    let w = s
        .write_of(&create, &values, dock)
        .expect("a new record is a shared write");
    assert_eq!(w.link, Some(Some(laptop)));
    assert_eq!(
        s.targets(std::slice::from_ref(&w), &FxHashMap::default()),
        vec![laptop]
    );
    let out = s.reconcile(&[w], &held);
    assert_eq!(
        updates(&out),
        vec![(
            2,
            dock,
            vec![(ROOM, text("1.01")), (FLOOR, Stored::Integer(1))],
            vec![(ROOM, Stored::Null), (FLOOR, Stored::Null)]
        )]
    );
}

#[test]
fn a_new_record_that_sets_a_shared_value_updates_the_record_it_links_to() {
    let s = sharing();
    let (laptop, dock) = (u(1), u(2));
    let held = store(vec![stored(laptop, None, "1.01", None)]);
    let w = create(dock, 2, laptop, vec![(ROOM, text("4.04"))]);
    let out = s.reconcile(&[w], &held);
    assert_eq!(
        updates(&out),
        vec![(
            2,
            laptop,
            vec![(ROOM, text("4.04"))],
            vec![(ROOM, text("1.01"))]
        )]
    );
}

#[test]
fn a_row_that_moves_its_link_shares_with_the_new_target_only() {
    let s = sharing();
    let (a, old, new) = (u(1), u(2), u(3));
    let held = store(vec![
        stored(a, Some(old), "1.01", None),
        stored(old, None, "1.01", None),
        stored(new, None, "9.99", None),
    ]);
    let w = relink(a, 2, new, vec![(ROOM, text("5.05"))]);
    let out = s.reconcile(&[w], &held);
    assert_eq!(
        updates(&out),
        vec![(
            2,
            new,
            vec![(ROOM, text("5.05"))],
            vec![(ROOM, text("9.99"))]
        )]
    );
}

#[test]
fn clearing_a_shared_field_clears_it_on_the_linked_record() {
    let s = sharing();
    let (a, b) = (u(1), u(2));
    let held = store(vec![
        stored(a, Some(b), "1.01", None),
        stored(b, None, "1.01", None),
    ]);
    let out = s.reconcile(&[update(a, 2, vec![(ROOM, Stored::Null)])], &held);
    assert_eq!(
        updates(&out),
        vec![(2, b, vec![(ROOM, Stored::Null)], vec![(ROOM, text("1.01"))])]
    );
}

#[test]
fn a_failed_row_shares_nothing_and_others_still_propagate() {
    let s = sharing();
    let (a, b, c, d) = (u(1), u(2), u(3), u(4));
    let held = store(vec![
        stored(a, Some(b), "", None),
        stored(b, None, "", None),
        stored(c, Some(d), "", Some(1)),
        stored(d, None, "", Some(1)),
    ]);
    let out = s.reconcile(
        &[
            update(a, 2, vec![(ROOM, text("x"))]),
            update(b, 3, vec![(ROOM, text("y"))]),
            update(c, 4, vec![(FLOOR, Stored::Integer(2))]),
        ],
        &held,
    );
    assert_eq!(out.failed, vec![(row(2), a), (row(3), b)]);
    assert_eq!(
        updates(&out),
        vec![(
            4,
            d,
            vec![(FLOOR, Stored::Integer(2))],
            vec![(FLOOR, Stored::Integer(1))]
        )]
    );
}

#[test]
fn the_records_to_read_are_the_updated_ones_then_their_targets() {
    let s = sharing();
    let (a, b, n) = (u(1), u(2), u(3));
    let writes = vec![
        update(a, 2, vec![(ROOM, text("x"))]),
        create(n, 3, b, Vec::new()),
    ];
    assert_eq!(Sharing::updated(&writes), vec![a]);
    let held = store(vec![stored(a, Some(b), "", None)]);
    assert_eq!(s.targets(&writes, &held), vec![b]);
}

#[test]
fn a_record_linked_anew_takes_the_shared_values_of_its_new_target() {
    let s = sharing();
    let (dock, laptop) = (u(1), u(2));
    let held = store(vec![
        stored(dock, None, "0.00", None),
        stored(laptop, None, "1.01", Some(1)),
    ]);
    let w = relink(dock, 2, laptop, Vec::new());
    let out = s.reconcile(&[w], &held);
    assert_eq!(
        updates(&out),
        vec![(
            2,
            dock,
            vec![(ROOM, text("1.01")), (FLOOR, Stored::Integer(1))],
            vec![(ROOM, text("0.00")), (FLOOR, Stored::Null)]
        )]
    );
    // A row that leaves the link as it is changes nothing.
    let w = update(dock, 2, Vec::new());
    assert!(s.reconcile(&[w], &held).updates.is_empty());
}
