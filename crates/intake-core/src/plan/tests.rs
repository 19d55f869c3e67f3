//! Tests of the planner: typed rows and store answers built by hand on a small schema, one test
//! per rule.

use std::sync::LazyLock;

use super::*;
use crate::report::render;
use crate::schema::Schema;

const SCHEMA: &str = r#"
[lists.stage]
options = [{ code = "lead", label = "Lead" }, { code = "customer", label = "Customer" }]

[types.account]
label = "Account"

[[types.account.fields]]
name = "name"
type = "text"
unique = true

[types.user]
label = "User"

[[types.user.fields]]
name = "name"
type = "text"

[types.contact]
label = "Contact"
natural_keys = [["email"]]

[[types.contact.fields]]
name = "email"
label = "Email"
type = "email"
unique = true

[[types.contact.fields]]
name = "name"
label = "Name"
type = "text"
required = true

[[types.contact.fields]]
name = "account"
label = "Account"
type = "link"
target = "account"
by = ["uuid", "name"]

[[types.contact.fields]]
name = "code"
label = "Code"
type = "text"
unique = { within = "account" }

[[types.contact.fields]]
name = "stage"
label = "Stage"
type = "select"
list = "stage"

[[types.contact.fields]]
name = "owner"
label = "Owner"
type = "link"
target = "user"

[[types.contact.fields]]
name = "reviewer"
label = "Reviewer"
type = "link"
target = "user"
"#;

// Fields of `contact`.
const EMAIL: usize = 0;
const NAME: usize = 1;
const ACCOUNT: usize = 2;
const CODE: usize = 3;
const STAGE: usize = 4;
const OWNER: usize = 5;
const REVIEWER: usize = 6;
const FIELDS: usize = 7;

/// The unique slots of `contact`: the e-mail, and the code within the account.
const SLOT_EMAIL: usize = 0;
const SLOT_CODE: usize = 1;

static SCHEMA_PARSED: LazyLock<Schema> =
    LazyLock::new(|| Schema::from_toml("test.toml", SCHEMA).unwrap());

fn contact_type() -> &'static RecordType {
    SCHEMA_PARSED.record_type("contact").unwrap()
}

/// A planner for contacts; the file has the UUID in column A and field `f` in column `f + 1`,
/// headed by the field's label, except `Reviewer`, which has no column.
fn planner(options: PlanOptions) -> Planner<'static> {
    let rt = contact_type();
    let columns = rt
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (i != REVIEWER).then(|| Column {
                index: i + 1,
                header: f.label.clone(),
            })
        })
        .collect();
    let uuid_column = Column {
        index: 0,
        header: rt.uuid_header(),
    };
    Planner::new(rt, columns, Some(uuid_column), options)
}

fn by_uuid() -> Planner<'static> {
    planner(PlanOptions::default())
}

fn by_email() -> Planner<'static> {
    planner(PlanOptions {
        match_on: vec![EMAIL],
        ..PlanOptions::default()
    })
}

fn t(s: &str) -> Stored {
    Stored::Text(s.to_string())
}

/// Contacts are `0x1..`, accounts `0xa..`, users `0xb..`.
fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// A link cell naming a record.
fn link(n: u128) -> Stored {
    t(&uuid_text(&id(n)))
}

/// An upsert row that says nothing about any field.
fn row(n: u64) -> TypedRow {
    TypedRow {
        row: RowNumber::new(n),
        action: Action::Upsert,
        uuid: None,
        key: None,
        failed: false,
        values: vec![CellValue::Keep; FIELDS],
        old: Vec::new(),
        blank_required: Vec::new(),
        link_keys: Vec::new(),
        inline: Vec::new(),
        creates: Vec::new(),
        pending_links: Vec::new(),
    }
}

trait RowExt {
    fn set(self, field: usize, value: Stored) -> Self;
    fn clear(self, field: usize) -> Self;
    fn uuid(self, n: u128) -> Self;
    fn key(self, email: &str) -> Self;
    fn action(self, action: Action) -> Self;
    fn failed(self) -> Self;
    fn old(self, field: usize, value: Stored) -> Self;
    fn blank_required(self, field: usize) -> Self;
}

impl RowExt for TypedRow {
    fn set(mut self, field: usize, value: Stored) -> Self {
        self.values[field] = CellValue::Set(value);
        self
    }
    fn clear(self, field: usize) -> Self {
        self.set(field, Stored::Null)
    }
    fn uuid(mut self, n: u128) -> Self {
        self.uuid = Some(id(n));
        self
    }
    /// The row is matched on its e-mail address (which it also sets, as the validator does).
    fn key(mut self, email: &str) -> Self {
        self.key = Some(vec![t(email)]);
        self.set(EMAIL, t(email))
    }
    fn action(mut self, action: Action) -> Self {
        self.action = action;
        self
    }
    fn failed(mut self) -> Self {
        self.failed = true;
        self
    }
    fn old(mut self, field: usize, value: Stored) -> Self {
        self.old.push((field, value));
        self
    }
    fn blank_required(mut self, field: usize) -> Self {
        self.blank_required.push(field);
        self
    }
}

/// A stored contact with these values, the others empty.
fn stored(n: u128, values: &[(usize, Stored)]) -> StoredRecord {
    let mut all = vec![Stored::Null; FIELDS];
    for (f, v) in values {
        all[*f] = v.clone();
    }
    StoredRecord {
        uuid: id(n),
        values: all,
        created_at: "2024-01-01T00:00:00Z".to_string(),
        updated_at: "2024-01-02T00:00:00Z".to_string(),
        updated_by_import: Some(1),
        deactivated_at: None,
    }
}

/// Ann: contact 0x1, `ann@example.com`, in account 0xa1 with code `C1`, a lead owned by 0xb1.
fn ann() -> StoredRecord {
    stored(
        0x1,
        &[
            (EMAIL, t("ann@example.com")),
            (NAME, t("Ann")),
            (ACCOUNT, link(0xa1)),
            (CODE, t("C1")),
            (STAGE, t("lead")),
            (OWNER, link(0xb1)),
        ],
    )
}

/// What the store answered: these records, no links, no unique values.
fn found(records: Vec<StoredRecord>) -> Found {
    Found {
        records,
        links: FxHashMap::default(),
        unique: vec![FxHashMap::default(), FxHashMap::default()],
    }
}

fn with_links(mut f: Found, target: &str, uuids: &[u128]) -> Found {
    f.links
        .entry(target.to_string())
        .or_default()
        .extend(uuids.iter().map(|&n| id(n)));
    f
}

fn with_unique(mut f: Found, slot: usize, value: Vec<Stored>, holder: u128) -> Found {
    let folded = by_uuid().fold_slot(&by_uuid().unique_slots()[slot], &value);
    f.unique[slot].insert(folded, id(holder));
    f
}

/// The problems, one line each: row, column, message, code, field and value.
fn show(plan: &BatchPlan) -> String {
    plan.problems
        .iter()
        .map(|p| {
            format!(
                "{} [{}] field={} value=`{}`",
                render(p),
                p.code,
                p.field.as_deref().unwrap_or("-"),
                p.value
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The unique values asked for, per slot.
fn unique_values(needs: Vec<(Vec<usize>, Vec<Vec<Stored>>)>) -> Vec<Vec<Vec<Stored>>> {
    assert_eq!(
        needs.iter().map(|n| n.0.clone()).collect::<Vec<_>>(),
        vec![vec![EMAIL], vec![ACCOUNT, CODE]]
    );
    needs.into_iter().map(|n| n.1).collect()
}

#[test]
fn the_unique_slots_are_the_unique_fields_and_the_natural_key_once() {
    assert_eq!(
        by_uuid().unique_slots(),
        &[vec![EMAIL], vec![ACCOUNT, CODE]]
    );
    assert_eq!(by_uuid().match_on(), &[] as &[usize]);
    assert_eq!(by_email().match_on(), &[EMAIL]);
}

// ---------------------------------------------------------------------------------------------
// needs

#[test]
fn needs_the_uuids_of_rows_that_give_one() {
    let rows = [
        row(2).uuid(0x2).set(NAME, t("Bob")),
        row(3).set(EMAIL, t("new@example.com")),
        row(4).uuid(0x1).action(Action::Delete),
        row(5).uuid(0x3).action(Action::Deactivate),
    ];
    let needs = by_uuid().needs(&rows);
    assert_eq!(needs.uuids, vec![id(0x2), id(0x1), id(0x3)]);
    assert!(needs.keys.is_empty());
    assert!(needs.links.is_empty());
}

#[test]
fn needs_the_keys_of_rows_with_match_on() {
    let rows = [
        row(2).key("ann@example.com"),
        // A UUID wins over the key.
        row(3).uuid(0x2).key("bob@example.com"),
        // No key (its e-mail is empty): a new record, nothing to look for.
        row(4).set(NAME, t("Cy")),
        row(5).key("Dee@Example.com").action(Action::Update),
    ];
    let needs = by_email().needs(&rows);
    assert_eq!(
        needs.keys,
        vec![vec![t("ann@example.com")], vec![t("Dee@Example.com")]]
    );
    assert_eq!(needs.uuids, vec![id(0x2)]);
    assert!(needs.links.is_empty());
}

#[test]
fn needs_link_uuids_grouped_by_target_type_and_sorted() {
    let rows = [
        row(2)
            .set(ACCOUNT, link(0xa3))
            .set(OWNER, link(0xb2))
            .set(REVIEWER, link(0xb3)),
        row(3)
            .set(ACCOUNT, link(0xa1))
            .set(OWNER, link(0xb3))
            .set(REVIEWER, link(0xb1)),
        // Repeated, cleared, kept and unparsable link cells ask for nothing more.
        row(4)
            .set(ACCOUNT, link(0xa3))
            .clear(OWNER)
            .set(REVIEWER, t("not a uuid")),
        row(5),
    ];
    let needs = by_uuid().needs(&rows);
    assert_eq!(
        needs.links,
        vec![
            ("account".to_string(), vec![id(0xa1), id(0xa3)]),
            ("user".to_string(), vec![id(0xb1), id(0xb2), id(0xb3)]),
        ]
    );
    assert!(needs.uuids.is_empty());

    // A target no row links to is not asked about at all.
    let needs = by_uuid().needs(&[row(2).set(REVIEWER, link(0xb9)), row(3).clear(ACCOUNT)]);
    assert_eq!(needs.links, vec![("user".to_string(), vec![id(0xb9)])]);
}

#[test]
fn needs_nothing_for_failed_rows() {
    let rows = [
        row(2).uuid(0x1).set(ACCOUNT, link(0xa1)).failed(),
        row(3)
            .key("ann@example.com")
            .set(OWNER, link(0xb1))
            .failed(),
    ];
    for planner in [by_uuid(), by_email()] {
        let needs = planner.needs(&rows);
        assert!(needs.uuids.is_empty());
        assert!(needs.keys.is_empty());
        assert!(needs.links.is_empty());
        assert_eq!(
            unique_values(planner.unique_needs(&rows, &[ann()])),
            vec![Vec::<Vec<Stored>>::new(), vec![]]
        );
    }
    // The same rows, not failed, ask for all of it.
    let ok: Vec<TypedRow> = rows
        .iter()
        .cloned()
        .map(|mut r| {
            r.failed = false;
            r
        })
        .collect();
    let needs = by_email().needs(&ok);
    assert_eq!(needs.uuids, vec![id(0x1)]);
    assert_eq!(needs.keys, vec![vec![t("ann@example.com")]]);
    assert_eq!(needs.links.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// unique_needs

#[test]
fn unique_needs_of_a_new_row_are_all_its_unique_values() {
    let rows = [
        row(2)
            .set(EMAIL, t("bob@example.com"))
            .set(ACCOUNT, link(0xa1))
            .set(CODE, t("C7")),
        // A pair is asked for only when both of its fields are filled.
        row(3).set(EMAIL, t("amy@example.com")).set(CODE, t("C8")),
        row(4).clear(EMAIL).set(ACCOUNT, link(0xa2)).clear(CODE),
        // The same value twice is asked for once.
        row(5).set(EMAIL, t("bob@example.com")),
    ];
    assert_eq!(
        unique_values(by_uuid().unique_needs(&rows, &[])),
        vec![
            vec![vec![t("amy@example.com")], vec![t("bob@example.com")]],
            vec![vec![link(0xa1), t("C7")]],
        ]
    );
}

#[test]
fn unique_needs_skip_values_the_rows_record_already_holds() {
    let rows = [
        row(2)
            .uuid(0x1)
            .set(EMAIL, t("ann@example.com"))
            .set(ACCOUNT, link(0xa1))
            .set(CODE, t("C1"))
            .set(NAME, t("Ann B.")),
        // E-mail addresses are compared ignoring case.
        row(3).uuid(0x1).set(EMAIL, t("ANN@Example.COM")),
    ];
    assert_eq!(
        unique_values(by_uuid().unique_needs(&rows, &[ann()])),
        vec![Vec::<Vec<Stored>>::new(), vec![]]
    );
}

#[test]
fn unique_needs_ask_for_changed_values() {
    let rows = [
        row(2)
            .uuid(0x1)
            .set(EMAIL, t("ann.b@example.com"))
            .set(ACCOUNT, link(0xa1))
            .set(CODE, t("C2")),
        // Moving to another account with the same code changes the pair.
        row(3).uuid(0x1).set(ACCOUNT, link(0xa2)).set(CODE, t("C1")),
        // A UUID the store does not know: everything is asked for (the row fails later).
        row(4).uuid(0x9).set(EMAIL, t("ann@example.com")),
    ];
    assert_eq!(
        unique_values(by_uuid().unique_needs(&rows, &[ann()])),
        vec![
            vec![vec![t("ann.b@example.com")], vec![t("ann@example.com")]],
            vec![vec![link(0xa1), t("C2")], vec![link(0xa2), t("C1")]],
        ]
    );
}

#[test]
fn unique_needs_of_delete_and_deactivate_rows_of_existing_records_are_nothing() {
    let bob = stored(0x2, &[(EMAIL, t("bob@example.com"))]);
    let rows = [
        row(2)
            .uuid(0x1)
            .action(Action::Delete)
            .set(EMAIL, t("other@example.com")),
        row(3)
            .uuid(0x2)
            .action(Action::Deactivate)
            .set(EMAIL, t("else@example.com"))
            .set(ACCOUNT, link(0xa1))
            .set(CODE, t("C9")),
    ];
    assert_eq!(
        unique_values(by_uuid().unique_needs(&rows, &[ann(), bob])),
        vec![Vec::<Vec<Stored>>::new(), vec![]]
    );
}

#[test]
fn unique_needs_of_rows_matched_by_key_are_the_same() {
    let rows = [
        // Held by the record the key finds (whatever the case of the key).
        row(2)
            .key("Ann@Example.com")
            .set(ACCOUNT, link(0xa1))
            .set(CODE, t("C1")),
        // Changed.
        row(3)
            .key("ann@example.com")
            .set(ACCOUNT, link(0xa1))
            .set(CODE, t("C2")),
        // New.
        row(4).key("bob@example.com"),
        // Removing.
        row(5)
            .key("ann@example.com")
            .action(Action::Delete)
            .set(ACCOUNT, link(0xa1))
            .set(CODE, t("C3")),
        row(6)
            .key("ann@example.com")
            .action(Action::Deactivate)
            .set(ACCOUNT, link(0xa1))
            .set(CODE, t("C4")),
    ];
    assert_eq!(
        unique_values(by_email().unique_needs(&rows, &[ann()])),
        vec![
            vec![vec![t("bob@example.com")]],
            vec![vec![link(0xa1), t("C2")]],
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// plan

#[test]
fn plan_creates_when_nothing_is_stored() {
    let rows = [
        row(2)
            .set(EMAIL, t("bob@example.com"))
            .set(NAME, t("Bob"))
            .set(ACCOUNT, link(0xa1))
            .clear(STAGE),
        row(3).action(Action::Create).set(NAME, t("Cy")),
    ];
    let f = with_links(found(vec![]), "account", &[0xa1]);
    let plan = by_uuid().plan(&rows, &f);
    assert_eq!(show(&plan), "");
    assert_eq!(
        plan.ops,
        vec![
            Op::Create {
                row: RowNumber::new(2),
                values: vec![
                    t("bob@example.com"),
                    t("Bob"),
                    link(0xa1),
                    Stored::Null,
                    Stored::Null,
                    Stored::Null,
                    Stored::Null,
                ],
            },
            Op::Create {
                row: RowNumber::new(3),
                values: vec![
                    Stored::Null,
                    t("Cy"),
                    Stored::Null,
                    Stored::Null,
                    Stored::Null,
                    Stored::Null,
                    Stored::Null,
                ],
            },
        ]
    );
    assert_eq!(plan.ops[0].target(), None);
    assert_eq!(plan.ops[1].row(), RowNumber::new(3));

    // Matched by a key no record has: created too, in upsert and create mode.
    let rows = [
        row(2).key("bob@example.com").set(NAME, t("Bob")),
        row(3)
            .key("cy@example.com")
            .set(NAME, t("Cy"))
            .action(Action::Create),
    ];
    let plan = by_email().plan(&rows, &found(vec![ann()]));
    assert_eq!(show(&plan), "");
    assert!(
        matches!(&plan.ops[..], [Op::Create { row: a, values: va }, Op::Create { row: b, values: vb }]
            if a.get() == 2 && va[EMAIL] == t("bob@example.com") && b.get() == 3 && vb[NAME] == t("Cy"))
    );
}

#[test]
fn plan_unknown_uuid_is_unknown_uuid() {
    let rows = [
        row(2).uuid(0x9).set(NAME, t("Bob")),
        row(3).uuid(0x8).action(Action::Create),
    ];
    let plan = by_uuid().plan(&rows, &found(vec![ann()]));
    assert!(plan.ops.is_empty());
    insta::assert_snapshot!(show(&plan), @r"
    row 2, column `Contact UUID` (A): no Contact has the UUID `00000000-0000-0000-0000-000000000009`; a filled UUID only updates an existing record (leave it empty to create a new one) [unknown_uuid] field=uuid value=`00000000-0000-0000-0000-000000000009`
    row 3, column `Contact UUID` (A): no Contact has the UUID `00000000-0000-0000-0000-000000000008`; a filled UUID only updates an existing record (leave it empty to create a new one) [unknown_uuid] field=uuid value=`00000000-0000-0000-0000-000000000008`
    ");
}

#[test]
fn plan_update_delete_or_deactivate_of_a_missing_record_is_not_found() {
    let rows = [
        row(2).uuid(0x9).action(Action::Update).set(NAME, t("Bob")),
        row(3).uuid(0x9).action(Action::Delete),
        row(4).uuid(0x9).action(Action::Deactivate),
        row(5).action(Action::Update).set(NAME, t("Bob")),
    ];
    let plan = by_uuid().plan(&rows, &found(vec![ann()]));
    assert!(plan.ops.is_empty());
    insta::assert_snapshot!(show(&plan), @r"
    row 2, column `Contact UUID` (A): no Contact has the UUID `00000000-0000-0000-0000-000000000009`; update mode needs an existing record (check the value, or leave it empty to create a new record in upsert mode) [not_found] field=uuid value=`00000000-0000-0000-0000-000000000009`
    row 3, column `Contact UUID` (A): no Contact has the UUID `00000000-0000-0000-0000-000000000009`; `delete` needs an existing record (check the value, or leave it empty to create a new record in upsert mode) [not_found] field=uuid value=`00000000-0000-0000-0000-000000000009`
    row 4, column `Contact UUID` (A): no Contact has the UUID `00000000-0000-0000-0000-000000000009`; `deactivate` needs an existing record (check the value, or leave it empty to create a new record in upsert mode) [not_found] field=uuid value=`00000000-0000-0000-0000-000000000009`
    row 5, column `Contact UUID` (A): update mode needs an existing Contact: fill in its `Contact UUID` [not_found] field=uuid value=``
    ");

    // Matched by key: the problem is in the key's column and names the key.
    let rows = [
        row(2).key("bob@example.com").action(Action::Update),
        row(3).key("bob@example.com").action(Action::Delete),
        row(4).key("bob@example.com").action(Action::Deactivate),
    ];
    let plan = by_email().plan(&rows, &found(vec![ann()]));
    assert!(plan.ops.is_empty());
    insta::assert_snapshot!(show(&plan), @r"
    row 2, column `Email` (B): no Contact has `Email` `bob@example.com`; update mode needs an existing record (check the value, or leave it empty to create a new record in upsert mode) [not_found] field=email value=`bob@example.com`
    row 3, column `Email` (B): no Contact has `Email` `bob@example.com`; `delete` needs an existing record (check the value, or leave it empty to create a new record in upsert mode) [not_found] field=email value=`bob@example.com`
    row 4, column `Email` (B): no Contact has `Email` `bob@example.com`; `deactivate` needs an existing record (check the value, or leave it empty to create a new record in upsert mode) [not_found] field=email value=`bob@example.com`
    ");
}

#[test]
fn plan_create_mode_on_an_existing_record_is_already_exists() {
    let rows = [row(2).uuid(0x1).action(Action::Create).set(NAME, t("Ann"))];
    let plan = by_uuid().plan(&rows, &found(vec![ann()]));
    assert!(plan.ops.is_empty());
    insta::assert_snapshot!(show(&plan), @"row 2, column `Contact UUID` (A): a Contact with the UUID `00000000-0000-0000-0000-000000000001` already exists (00000000-0000-0000-0000-000000000001); in create mode every row makes a new record (import in upsert mode to update it) [already_exists] field=uuid value=`00000000-0000-0000-0000-000000000001`");

    // By key, whatever the case of the address.
    let rows = [row(2).key("ANN@example.com").action(Action::Create)];
    let plan = by_email().plan(&rows, &found(vec![ann()]));
    assert!(plan.ops.is_empty());
    insta::assert_snapshot!(show(&plan), @"row 2, column `Email` (B): a Contact with `Email` `ANN@example.com` already exists (00000000-0000-0000-0000-000000000001); in create mode every row makes a new record (import in upsert mode to update it) [already_exists] field=email value=`ANN@example.com`");
}

#[test]
fn plan_an_unchanged_row_is_unchanged() {
    let rows = [
        row(2)
            .uuid(0x1)
            .set(EMAIL, t("ann@example.com"))
            .set(NAME, t("Ann"))
            .set(ACCOUNT, link(0xa1))
            .set(CODE, t("C1"))
            .set(STAGE, t("lead"))
            .set(OWNER, link(0xb1))
            .clear(REVIEWER),
        row(3).uuid(0x1).action(Action::Update),
        row(4).key("ann@example.com").set(NAME, t("Ann")),
    ];
    let f = found(vec![ann()]);
    let unchanged = |n| Op::Unchanged {
        row: RowNumber::new(n),
        uuid: id(0x1),
    };
    let plan = by_uuid().plan(&rows[..2], &f);
    assert_eq!(show(&plan), "");
    assert_eq!(plan.ops, vec![unchanged(2), unchanged(3)]);
    assert_eq!(plan.ops[0].target(), Some(id(0x1)));
    let plan = by_email().plan(&rows[2..], &f);
    assert_eq!(show(&plan), "");
    assert_eq!(plan.ops, vec![unchanged(4)]);
}

#[test]
fn plan_changed_fields_update_exactly_those_fields() {
    let rows = [row(2)
        .uuid(0x1)
        .set(EMAIL, t("ann@example.com"))
        .set(NAME, t("Ann Smith"))
        .set(STAGE, t("customer"))
        .set(OWNER, link(0xb1))
        .set(REVIEWER, link(0xb2))];
    let f = with_links(found(vec![ann()]), "user", &[0xb1, 0xb2]);
    let plan = by_uuid().plan(&rows, &f);
    assert_eq!(show(&plan), "");
    assert_eq!(
        plan.ops,
        vec![Op::Update {
            row: RowNumber::new(2),
            uuid: id(0x1),
            set: vec![
                (NAME, t("Ann Smith")),
                (STAGE, t("customer")),
                (REVIEWER, link(0xb2)),
            ],
            before: vec![
                (NAME, t("Ann")),
                (STAGE, t("lead")),
                (REVIEWER, Stored::Null)
            ],
        }]
    );
    assert_eq!(plan.ops[0].target(), Some(id(0x1)));

    // Matched by key: the same update.
    let rows = [row(3).key("ann@example.com").set(STAGE, t("customer"))];
    let plan = by_email().plan(&rows, &found(vec![ann()]));
    assert_eq!(show(&plan), "");
    assert_eq!(
        plan.ops,
        vec![Op::Update {
            row: RowNumber::new(3),
            uuid: id(0x1),
            set: vec![(STAGE, t("customer"))],
            before: vec![(STAGE, t("lead"))],
        }]
    );
}

#[test]
fn plan_keep_leaves_fields_alone() {
    // Only the name is said; every other stored value stays, and is neither set nor compared.
    let rows = [row(2).uuid(0x1).set(NAME, t("Annie")), row(3).uuid(0x1)];
    let plan = by_uuid().plan(&rows, &found(vec![ann()]));
    assert_eq!(show(&plan), "");
    assert_eq!(
        plan.ops,
        vec![
            Op::Update {
                row: RowNumber::new(2),
                uuid: id(0x1),
                set: vec![(NAME, t("Annie"))],
                before: vec![(NAME, t("Ann"))],
            },
            Op::Unchanged {
                row: RowNumber::new(3),
                uuid: id(0x1),
            },
        ]
    );
}

#[test]
fn plan_set_null_clears() {
    let rows = [row(2).uuid(0x1).clear(STAGE).clear(OWNER).clear(REVIEWER)];
    let plan = by_uuid().plan(&rows, &found(vec![ann()]));
    assert_eq!(show(&plan), "");
    assert_eq!(
        plan.ops,
        vec![Op::Update {
            row: RowNumber::new(2),
            uuid: id(0x1),
            set: vec![(STAGE, Stored::Null), (OWNER, Stored::Null)],
            before: vec![(STAGE, t("lead")), (OWNER, link(0xb1))],
        }]
    );
}

#[test]
fn plan_blank_required_on_a_new_record_is_required_unless_ignore_required() {
    let rows = [
        row(2).key("bob@example.com").blank_required(NAME),
        row(3).key("cy@example.com").set(NAME, t("Cy")),
    ];
    let plan = by_email().plan(&rows, &found(vec![ann()]));
    insta::assert_snapshot!(show(&plan), @"row 2, column `Name` (C): `Name` is required for a new Contact; fill it in (or import with --ignore-required to create records without it) [required] field=name value=``");
    // Row 3 is still planned; row 2 writes nothing.
    assert_eq!(plan.ops.len(), 1);
    assert_eq!(plan.ops[0].row(), RowNumber::new(3));

    let ignoring = planner(PlanOptions {
        match_on: vec![EMAIL],
        ignore_required: true,
        ..PlanOptions::default()
    });
    let plan = ignoring.plan(&rows[..1], &found(vec![ann()]));
    assert_eq!(show(&plan), "");
    assert_eq!(
        plan.ops,
        vec![Op::Create {
            row: RowNumber::new(2),
            values: vec![
                t("bob@example.com"),
                Stored::Null,
                Stored::Null,
                Stored::Null,
                Stored::Null,
                Stored::Null,
                Stored::Null,
            ],
        }]
    );
}

#[test]
fn plan_blank_required_is_never_checked_for_updates() {
    // The empty cell keeps the stored name: not a problem, whatever the options.
    let rows = [
        row(2)
            .key("ann@example.com")
            .blank_required(NAME)
            .set(STAGE, t("customer")),
        row(3).key("ann@example.com").blank_required(NAME),
    ];
    let plan = by_email().plan(&rows, &found(vec![ann()]));
    assert_eq!(show(&plan), "");
    assert_eq!(
        plan.ops,
        vec![
            Op::Update {
                row: RowNumber::new(2),
                uuid: id(0x1),
                set: vec![(STAGE, t("customer"))],
                before: vec![(STAGE, t("lead"))],
            },
            Op::Unchanged {
                row: RowNumber::new(3),
                uuid: id(0x1),
            },
        ]
    );
}

#[test]
fn plan_clear_empty_on_a_required_field_of_an_update_is_required() {
    // With --clear-empty the empty cell became `Set(Null)`: it would clear the name.
    let rows = [
        row(2)
            .key("ann@example.com")
            .clear(NAME)
            .blank_required(NAME)
            .set(STAGE, t("customer")),
        row(3).key("ann@example.com").set(STAGE, t("customer")),
    ];
    let plain = by_email().plan(&rows, &found(vec![ann()]));
    insta::assert_snapshot!(show(&plain), @"row 2, column `Name` (C): an empty cell with --clear-empty clears the field, but `Name` is required and cannot be cleared [required] field=name value=``");
    assert_eq!(plain.ops.len(), 1);
    assert_eq!(plain.ops[0].row(), RowNumber::new(3));
    // Neither --ignore-required nor --force lets it through.
    let lenient = planner(PlanOptions {
        match_on: vec![EMAIL],
        ignore_required: true,
        force: true,
    })
    .plan(&rows, &found(vec![ann()]));
    assert_eq!(show(&lenient), show(&plain));
    assert_eq!(lenient.ops, plain.ops);

    // The same row creating a record: the empty name is the ordinary problem of a new record.
    let rows = [row(2)
        .key("bob@example.com")
        .clear(NAME)
        .blank_required(NAME)];
    let plan = by_email().plan(&rows, &found(vec![ann()]));
    assert_eq!(plan.problems.len(), 1);
    assert_eq!(plan.problems[0].code, ProblemCode::Required);
    assert!(
        plan.problems[0]
            .message
            .contains("is required for a new Contact")
    );
}

#[test]
fn plan_update_sheet_changed_since_export_unless_force() {
    let mut stored_now = ann();
    stored_now.values[STAGE] = t("customer");
    let rows = [
        // Exported as a lead; someone made it a customer since.
        row(2)
            .uuid(0x1)
            .old(STAGE, t("lead"))
            .set(STAGE, t("lead"))
            .old(NAME, t("Ann"))
            .set(NAME, t("Ann B.")),
        // Exported before the owner was set.
        row(3)
            .uuid(0x1)
            .old(OWNER, Stored::Null)
            .set(OWNER, link(0xb2)),
        // Still as exported.
        row(4).uuid(0x1).old(NAME, t("Ann")).set(NAME, t("Ann C.")),
    ];
    let f = with_links(found(vec![stored_now]), "user", &[0xb2]);
    let plan = by_uuid().plan(&rows, &f);
    insta::assert_snapshot!(show(&plan), @r"
    row 2, column `Stage` (F): `Stage` was `lead` when exported but is now `customer`: someone changed it since; check the record and export again, or import with --force to overwrite it [changed_since_export] field=stage value=`lead`
    row 3, column `Owner` (G): `Owner` was `` when exported but is now `00000000-0000-0000-0000-0000000000b1`: someone changed it since; check the record and export again, or import with --force to overwrite it [changed_since_export] field=owner value=``
    ");
    assert_eq!(
        plan.ops,
        vec![Op::Update {
            row: RowNumber::new(4),
            uuid: id(0x1),
            set: vec![(NAME, t("Ann C."))],
            before: vec![(NAME, t("Ann"))],
        }]
    );

    let forced = planner(PlanOptions {
        force: true,
        ..PlanOptions::default()
    });
    let plan = forced.plan(&rows, &f);
    assert_eq!(show(&plan), "");
    assert_eq!(
        plan.ops,
        vec![
            Op::Update {
                row: RowNumber::new(2),
                uuid: id(0x1),
                set: vec![(NAME, t("Ann B.")), (STAGE, t("lead"))],
                before: vec![(NAME, t("Ann")), (STAGE, t("customer"))],
            },
            Op::Update {
                row: RowNumber::new(3),
                uuid: id(0x1),
                set: vec![(OWNER, link(0xb2))],
                before: vec![(OWNER, link(0xb1))],
            },
            Op::Update {
                row: RowNumber::new(4),
                uuid: id(0x1),
                set: vec![(NAME, t("Ann C."))],
                before: vec![(NAME, t("Ann"))],
            },
        ]
    );
}

#[test]
fn plan_update_sheet_e_mail_case_is_not_a_change() {
    let rows = [row(2)
        .uuid(0x1)
        .old(EMAIL, t("Ann@Example.COM"))
        .set(EMAIL, t("ann@example.com"))
        .old(NAME, t("Ann"))
        .set(NAME, t("Ann B."))];
    let plan = by_uuid().plan(&rows, &found(vec![ann()]));
    assert_eq!(show(&plan), "");
    assert_eq!(
        plan.ops,
        vec![Op::Update {
            row: RowNumber::new(2),
            uuid: id(0x1),
            set: vec![(NAME, t("Ann B."))],
            before: vec![(NAME, t("Ann"))],
        }]
    );

    // Other text is compared exactly.
    let rows = [row(2).uuid(0x1).old(NAME, t("ann")).set(NAME, t("Ann B."))];
    let plan = by_uuid().plan(&rows, &found(vec![ann()]));
    assert_eq!(plan.problems.len(), 1);
    assert_eq!(plan.problems[0].code, ProblemCode::ChangedSinceExport);
    assert_eq!(plan.problems[0].field.as_deref(), Some("name"));
    assert!(plan.ops.is_empty());
}

#[test]
fn plan_delete_and_deactivate_of_existing_records() {
    let mut inactive = stored(0x2, &[(EMAIL, t("bob@example.com"))]);
    inactive.deactivated_at = Some("2024-02-01T00:00:00Z".to_string());
    let rows = [
        row(2).uuid(0x1).action(Action::Deactivate),
        row(3).uuid(0x2).action(Action::Deactivate),
        row(4).uuid(0x2).action(Action::Delete),
    ];
    let plan = by_uuid().plan(&rows, &found(vec![ann(), inactive.clone()]));
    assert_eq!(show(&plan), "");
    assert_eq!(
        plan.ops,
        vec![
            Op::Deactivate {
                row: RowNumber::new(2),
                uuid: id(0x1),
            },
            // Already inactive.
            Op::Unchanged {
                row: RowNumber::new(3),
                uuid: id(0x2),
            },
            Op::Delete {
                row: RowNumber::new(4),
                record: inactive.clone(),
            },
        ]
    );
    assert_eq!(plan.ops[2].target(), Some(id(0x2)));

    // By key.
    let rows = [
        row(2).key("BOB@example.com").action(Action::Deactivate),
        row(3).key("ann@example.com").action(Action::Delete),
    ];
    let plan = by_email().plan(&rows, &found(vec![ann(), inactive]));
    assert_eq!(show(&plan), "");
    assert_eq!(
        plan.ops,
        vec![
            Op::Unchanged {
                row: RowNumber::new(2),
                uuid: id(0x2),
            },
            Op::Delete {
                row: RowNumber::new(3),
                record: ann(),
            },
        ]
    );
}

#[test]
fn plan_deactivate_of_an_inactive_record_is_unchanged() {
    let mut inactive = ann();
    inactive.deactivated_at = Some("2024-02-01T00:00:00Z".to_string());
    let plan = by_uuid().plan(
        &[row(2).uuid(0x1).action(Action::Deactivate)],
        &found(vec![inactive]),
    );
    assert_eq!(show(&plan), "");
    assert_eq!(
        plan.ops,
        vec![Op::Unchanged {
            row: RowNumber::new(2),
            uuid: id(0x1),
        }]
    );
}

#[test]
fn plan_unknown_link_is_unknown_link_a_known_one_is_fine() {
    let rows = [
        // New records.
        row(2)
            .set(NAME, t("Bob"))
            .set(ACCOUNT, link(0xa1))
            .set(OWNER, link(0xb1)),
        row(3)
            .set(NAME, t("Cy"))
            .set(ACCOUNT, link(0xa9))
            .set(REVIEWER, link(0xb9)),
        // An update.
        row(4).uuid(0x1).set(ACCOUNT, link(0xa8)),
        // Known in another type only.
        row(5).set(NAME, t("Dee")).set(OWNER, link(0xa1)),
    ];
    let f = with_links(
        with_links(found(vec![ann()]), "account", &[0xa1]),
        "user",
        &[0xb1],
    );
    let plan = by_uuid().plan(&rows, &f);
    insta::assert_snapshot!(show(&plan), @r"
    row 3, column `Account` (D): no `account` record has the UUID `00000000-0000-0000-0000-0000000000a9`; `Account` must name an existing record (copy its UUID from an export of `account`) [unknown_link] field=account value=`00000000-0000-0000-0000-0000000000a9`
    row 3: no `user` record has the UUID `00000000-0000-0000-0000-0000000000b9`; `Reviewer` must name an existing record (copy its UUID from an export of `user`) [unknown_link] field=reviewer value=`00000000-0000-0000-0000-0000000000b9`
    row 4, column `Account` (D): no `account` record has the UUID `00000000-0000-0000-0000-0000000000a8`; `Account` must name an existing record (copy its UUID from an export of `account`) [unknown_link] field=account value=`00000000-0000-0000-0000-0000000000a8`
    row 5, column `Owner` (G): no `user` record has the UUID `00000000-0000-0000-0000-0000000000a1`; `Owner` must name an existing record (copy its UUID from an export of `user`) [unknown_link] field=owner value=`00000000-0000-0000-0000-0000000000a1`
    ");
    assert_eq!(plan.ops.len(), 1);
    assert!(
        matches!(&plan.ops[0], Op::Create { row, values } if row.get() == 2 && values[ACCOUNT] == link(0xa1) && values[OWNER] == link(0xb1))
    );

    // No store answer about links at all: every filled link is unknown.
    let plan = by_uuid().plan(&rows[..1], &found(vec![]));
    assert_eq!(
        plan.problems
            .iter()
            .map(|p| (p.code, p.field.as_deref()))
            .collect::<Vec<_>>(),
        vec![
            (ProblemCode::UnknownLink, Some("account")),
            (ProblemCode::UnknownLink, Some("owner")),
        ]
    );
}

#[test]
fn plan_a_unique_value_held_by_another_record_is_duplicate_in_store() {
    let rows = [
        // New records.
        row(2).set(NAME, t("Bob")).set(EMAIL, t("Ann@Example.com")),
        row(3)
            .set(NAME, t("Cy"))
            .set(EMAIL, t("cy@example.com"))
            .set(ACCOUNT, link(0xa1))
            .set(CODE, t("C1")),
        // Ann taking Bob's address.
        row(4).uuid(0x1).set(EMAIL, t("bob@example.com")),
    ];
    let f = with_links(found(vec![ann()]), "account", &[0xa1]);
    let f = with_unique(f, SLOT_EMAIL, vec![t("ann@example.com")], 0x1);
    let f = with_unique(f, SLOT_EMAIL, vec![t("bob@example.com")], 0x2);
    let f = with_unique(f, SLOT_CODE, vec![link(0xa1), t("C1")], 0x1);
    let plan = by_uuid().plan(&rows, &f);
    insta::assert_snapshot!(show(&plan), @r"
    row 2, column `Email` (B): `Ann@Example.com` is already used by another Contact (00000000-0000-0000-0000-000000000001); `Email` must be unique [duplicate_in_store] field=email value=`Ann@Example.com`
    row 3, column `Code` (E): `00000000-0000-0000-0000-0000000000a1 / C1` is already used by another Contact (00000000-0000-0000-0000-000000000001); `Account` and `Code` must be unique [duplicate_in_store] field=code value=`00000000-0000-0000-0000-0000000000a1 / C1`
    row 4, column `Email` (B): `bob@example.com` is already used by another Contact (00000000-0000-0000-0000-000000000002); `Email` must be unique [duplicate_in_store] field=email value=`bob@example.com`
    ");
    assert!(plan.ops.is_empty());
}

#[test]
fn plan_a_unique_value_held_by_the_record_itself_is_fine() {
    let rows = [
        row(2)
            .uuid(0x1)
            .set(EMAIL, t("ANN@example.com"))
            .set(ACCOUNT, link(0xa1))
            .set(CODE, t("C1"))
            .set(NAME, t("Ann B.")),
        row(3).key("ann@example.com").set(STAGE, t("customer")),
    ];
    let f = with_links(found(vec![ann()]), "account", &[0xa1]);
    let f = with_unique(f, SLOT_EMAIL, vec![t("ann@example.com")], 0x1);
    let f = with_unique(f, SLOT_CODE, vec![link(0xa1), t("C1")], 0x1);
    let plan = by_uuid().plan(&rows[..1], &f);
    assert_eq!(show(&plan), "");
    assert_eq!(
        plan.ops,
        vec![Op::Update {
            row: RowNumber::new(2),
            uuid: id(0x1),
            set: vec![(EMAIL, t("ANN@example.com")), (NAME, t("Ann B."))],
            before: vec![(EMAIL, t("ann@example.com")), (NAME, t("Ann"))],
        }]
    );
    let plan = by_email().plan(&rows[1..], &f);
    assert_eq!(show(&plan), "");
    assert_eq!(plan.ops.len(), 1);
    assert!(matches!(plan.ops[0], Op::Update { .. }));
}

#[test]
fn plan_failed_rows_produce_nothing() {
    let rows = [
        // Each would be a problem or a write if it had not failed.
        row(2).uuid(0x9).failed(),
        row(3).uuid(0x1).action(Action::Create).failed(),
        row(4).uuid(0x1).set(NAME, t("Ann B.")).failed(),
        row(5).uuid(0x1).action(Action::Delete).failed(),
        row(6).set(NAME, t("Bob")).set(ACCOUNT, link(0xa9)).failed(),
        row(7).set(NAME, t("Cy")),
    ];
    let plan = by_uuid().plan(&rows, &found(vec![ann()]));
    assert_eq!(show(&plan), "");
    assert_eq!(plan.ops.len(), 1);
    assert_eq!(plan.ops[0].row(), RowNumber::new(7));
}

#[test]
fn plan_only_rows_without_problems_write_in_row_order() {
    let rows = [
        row(2).set(NAME, t("Bob")),
        row(3).uuid(0x9),
        row(4).uuid(0x1).set(STAGE, t("customer")),
        row(5).uuid(0x1).action(Action::Delete),
    ];
    let plan = by_uuid().plan(&rows, &found(vec![ann()]));
    assert_eq!(
        plan.problems
            .iter()
            .map(|p| (p.row.get(), p.code))
            .collect::<Vec<_>>(),
        vec![(3, ProblemCode::UnknownUuid)]
    );
    assert_eq!(
        plan.ops.iter().map(|o| o.row().get()).collect::<Vec<_>>(),
        vec![2, 4, 5]
    );
}

#[test]
fn a_row_that_changes_only_the_code_is_checked_with_its_records_account() {
    // The file has no account column: the pair is the stored account and the new code.
    let rows = [row(2).uuid(0x1).set(CODE, t("C2"))];
    assert_eq!(
        unique_values(by_uuid().unique_needs(&rows, &[ann()])),
        vec![vec![], vec![vec![link(0xa1), t("C2")]]]
    );
    let f = with_unique(
        found(vec![ann()]),
        SLOT_CODE,
        vec![link(0xa1), t("C2")],
        0x2,
    );
    let plan = by_uuid().plan(&rows, &f);
    insta::assert_snapshot!(show(&plan), @"row 2, column `Code` (E): `00000000-0000-0000-0000-0000000000a1 / C2` is already used by another Contact (00000000-0000-0000-0000-000000000002); `Account` and `Code` must be unique [duplicate_in_store] field=code value=`00000000-0000-0000-0000-0000000000a1 / C2`");
    assert!(plan.ops.is_empty());
}

#[test]
fn link_keys_are_asked_for_per_target_once_each_and_resolved_into_the_rows() {
    let mut rows = [
        row(2).set(NAME, t("Bob")),
        row(3).set(NAME, t("Cy")),
        row(4).set(NAME, t("Di")),
        row(5).set(NAME, t("Ed")).failed(),
    ];
    rows[0].link_keys.push((ACCOUNT, "Acme".into()));
    rows[1].link_keys.push((ACCOUNT, "Acme".into()));
    rows[2].link_keys.push((ACCOUNT, "Globex".into()));
    rows[3].link_keys.push((ACCOUNT, "Initech".into()));
    let p = by_uuid();
    assert_eq!(
        p.link_key_needs(&rows),
        vec![LinkKeys {
            target: "account".into(),
            by: vec!["name".into()],
            keys: vec!["Acme".into(), "Globex".into()],
        }]
    );
    let mut found = FoundLinkKeys::default();
    found.insert("account", "Acme".into(), id(0xa1));
    let problems = p.resolve_links(&mut rows, &found);
    assert_eq!(rows[0].values[ACCOUNT], CellValue::Set(link(0xa1)));
    assert_eq!(rows[1].values[ACCOUNT], CellValue::Set(link(0xa1)));
    assert!(!rows[0].failed);
    assert!(rows[2].failed);
    insta::assert_snapshot!(show(&BatchPlan { problems, ..BatchPlan::default() }), @"row 4, column `Account` (D): no `account` record has `name` `Globex`; `Account` must name an existing record by its UUID or `name` [unknown_link] field=account value=`Globex`");
    // A link found by key is known to exist: no second lookup by UUID, no problem.
    assert!(p.needs(&rows[..2]).links.is_empty());
    let plan = p.plan(&rows[..2], &found_nothing());
    assert_eq!(show(&plan), "");
    assert_eq!(plan.ops.len(), 2);
}

#[test]
fn a_link_key_in_the_match_key_is_resolved_before_matching() {
    let p = planner(PlanOptions {
        match_on: vec![ACCOUNT, CODE],
        ..PlanOptions::default()
    });
    let mut rows = [row(2).set(CODE, t("C1"))];
    rows[0].link_keys.push((ACCOUNT, "Acme".into()));
    assert_eq!(rows[0].key, None);
    let mut found = FoundLinkKeys::default();
    found.insert("account", "Acme".into(), id(0xa1));
    assert!(p.resolve_links(&mut rows, &found).is_empty());
    assert_eq!(rows[0].key, Some(vec![link(0xa1), t("C1")]));
}

fn found_nothing() -> Found {
    found(vec![])
}
