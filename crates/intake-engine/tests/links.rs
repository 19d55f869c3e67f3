//! Link rules of DESIGN §5 on the demo workspaces: links by UUID and by a natural key of the
//! target, resolved against the store in batches. One test per rule, named after it, run on
//! both backends (`on_sqlite::NAME`, `on_postgres::NAME`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::*;
use intake_core::demo;
use intake_core::schema::Schema;
use intake_engine::OnError;

fn rollout_users(ws: &Workspace) {
    import_ok(
        ws,
        "user",
        "Name,Email,User ID,Role\n\
         Ada Lovelace,ada@example.com,U-001,Technician\n\
         Grace Hopper,grace@example.com,U-002,End User\n\
         Alan Turing,alan@example.com,U-003,End User\n",
    );
}

fn links_by_natural_key_find_the_target_by_each_of_its_keys_in_order() {
    let ws = workspace("rollout");
    rollout_users(&ws);
    // By e-mail (any case), by user id, by name.
    import_ok(
        &ws,
        "client",
        "Name,Status,Assignee,Client User\n\
         WS-001,Planned,ADA@example.com,U-002\n\
         WS-002,Planned,Ada Lovelace,Alan Turing\n",
    );
    let users = |sql: &str| column(&ws, sql);
    assert_eq!(
        users("SELECT u.name FROM client c JOIN \"user\" u ON u.uuid = c.assignee ORDER BY c.name"),
        vec!["Ada Lovelace", "Ada Lovelace"]
    );
    assert_eq!(
        users(
            "SELECT u.name FROM client c JOIN \"user\" u ON u.uuid = c.client_user ORDER BY c.name"
        ),
        vec!["Grace Hopper", "Alan Turing"]
    );
}

fn a_link_key_that_names_no_record_is_an_unknown_link() {
    let ws = workspace("rollout");
    rollout_users(&ws);
    let (o, response) = import_with(
        &ws,
        "client",
        "Name,Status,Assignee\n\
         WS-001,Planned,ada@example.com\n\
         WS-002,Planned,Charles Babbage\n",
        |r| r.on_error = OnError::Skip,
    );
    assert_eq!(
        messages(&o),
        vec![
            "3: no `user` record has `email`, `user_id` or `name` `Charles Babbage`; `Assignee` must name an existing record by its UUID or `email`, `user_id` or `name` [unknown_link]"
        ]
    );
    assert_eq!(o.counts.created, 1);
    assert!(
        response.contains("WS-002,Planned,Charles Babbage"),
        "{response}"
    );
    assert_eq!(column(&ws, "SELECT name FROM client"), vec!["WS-001"]);
}

fn a_link_by_uuid_still_links_when_the_link_also_takes_keys() {
    let ws = workspace("rollout");
    rollout_users(&ws);
    let ada = column(&ws, "SELECT uuid FROM \"user\" WHERE name = 'Ada Lovelace'").remove(0);
    import_ok(
        &ws,
        "client",
        &format!("Name,Status,Assignee\nWS-001,Planned,{ada}\n"),
    );
    assert_eq!(column(&ws, "SELECT assignee FROM client"), vec![ada]);
}

fn associations_find_both_ends_by_key() {
    // ticketing (semicolon-separated files): contacts to criteria, the contact by e-mail or contact id, the criterion by
    // its internal code.
    let ws = workspace("ticketing");
    import_ok(
        &ws,
        "contact",
        "Contact ID;First Name;Last Name;Email\n\
         100001;Marie;Curie;marie@example.com\n\
         100002;Pierre;Curie;pierre@example.com\n",
    );
    import_ok(
        &ws,
        "criterion",
        "Criterion Code;Criterion Name\nNEWS;Newsletter\nOPERA;Opera\n",
    );
    import_ok(
        &ws,
        "contact_criterion",
        "Contact;Criterion;Value\n\
         Marie@Example.com;NEWS;NEWSLETTER_FR\n\
         100002;OPERA;INTEREST_OPERA\n\
         100001;OPERA;YES\n",
    );
    assert_eq!(
        column(
            &ws,
            "SELECT c.contact_id || ' ' || k.code || ' ' || a.value FROM contact_criterion a \
             JOIN contact c ON c.uuid = a.contact JOIN criterion k ON k.uuid = a.criterion \
             ORDER BY a.id"
        ),
        vec![
            "100001 NEWS NEWSLETTER_FR",
            "100002 OPERA INTEREST_OPERA",
            "100001 OPERA YES"
        ]
    );
    // The same file again changes nothing: the association's key is (contact, criterion).
    let (o, _) = import_with(
        &ws,
        "contact_criterion",
        "Contact;Criterion;Value\n\
         Marie@Example.com;NEWS;NEWSLETTER_FR\n",
        |r| r.match_on = vec!["contact".into(), "criterion".into()],
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(
        (o.counts.created, o.counts.updated, o.counts.unchanged),
        (0, 0, 1)
    );
}

fn sites_link_to_an_existing_company_by_its_company_id() {
    let ws = workspace("msp");
    import_ok(&ws, "company", "Company ID,Company Name\nACME01,Acme\n");
    import_ok(
        &ws,
        "site",
        "Company ID,Site ID,Site Name,Country\nACME01,S1,Head Office,DE\nACME01,S2,Warehouse,DE\n",
    );
    assert_eq!(
        column(
            &ws,
            "SELECT co.company_id || '/' || s.site_id FROM site s JOIN company co ON co.uuid = s.company ORDER BY s.site_id"
        ),
        vec!["ACME01/S1", "ACME01/S2"]
    );
}

// ---------------------------------------------------------------------------------------------
// Inline creation of linked records

fn a_contact_file_creates_its_accounts_once_per_account_name() {
    let ws = workspace("crm");
    let (o, _) = import_with(
        &ws,
        "contact",
        "First Name,Last Name,Email,Account UUID,Account Name,Account Industry,Account Country\n\
         Ann,Lee,ann@acme.example,,Acme,Retail,Germany\n\
         Bob,Ray,bob@acme.example,,Acme,Retail,Germany\n\
         Cy,Dee,cy@globex.example,,Globex,,\n\
         Di,Fox,di@example.com,,,,\n",
        |_| {},
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(o.counts.created, 4);
    assert_eq!(o.linked_created.get("account"), Some(&2));
    assert_eq!(
        column(
            &ws,
            "SELECT name || ' ' || coalesce(industry, '-') || ' ' || coalesce(country, '-') FROM account ORDER BY name"
        ),
        vec!["Acme RET DE", "Globex - -"]
    );
    assert_eq!(
        column(
            &ws,
            "SELECT c.first_name || ' ' || coalesce(a.name, '-') FROM contact c LEFT JOIN account a ON a.uuid = c.account ORDER BY c.first_name"
        ),
        vec!["Ann Acme", "Bob Acme", "Cy Globex", "Di -"]
    );
    // The same file again: the accounts are found by name, nothing changes.
    let (o, _) = import_with(
        &ws,
        "contact",
        "First Name,Last Name,Email,Account UUID,Account Name\n\
         Ann,Lee,ann@acme.example,,Acme\n",
        |r| r.match_on = vec!["email".into()],
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(
        (o.counts.created, o.counts.updated, o.counts.unchanged),
        (0, 0, 1)
    );
    assert!(o.linked_created.is_empty());
    assert_eq!(
        column(&ws, "SELECT CAST(count(*) AS TEXT) FROM account"),
        vec!["2"]
    );
}

fn an_account_that_exists_by_name_is_linked_and_not_changed() {
    let ws = workspace("crm");
    import_ok(&ws, "account", "Account Name,Industry\nAcme,Retail\n");
    let (o, _) = import_with(
        &ws,
        "contact",
        "First Name,Last Name,Email,Account Name,Account Industry\n\
         Ann,Lee,ann@acme.example,Acme,Energy\n",
        |_| {},
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert!(o.linked_created.is_empty());
    assert_eq!(column(&ws, "SELECT industry FROM account"), vec!["RET"]);
    assert_eq!(
        column(
            &ws,
            "SELECT a.name FROM contact c JOIN account a ON a.uuid = c.account"
        ),
        vec!["Acme"]
    );
}

fn a_filled_account_uuid_only_links_and_ignores_the_account_columns() {
    let ws = workspace("crm");
    import_ok(&ws, "account", "Account Name\nAcme\n");
    let acme = column(&ws, "SELECT uuid FROM account").remove(0);
    let (o, _) = import_with(
        &ws,
        "contact",
        &format!(
            "First Name,Last Name,Email,Account UUID,Account Name,Account Industry\n\
             Ann,Lee,ann@acme.example,{acme},Something Else,Energy\n"
        ),
        |_| {},
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert!(o.linked_created.is_empty());
    assert_eq!(
        column(
            &ws,
            "SELECT name || ' ' || coalesce(industry, '-') FROM account"
        ),
        vec!["Acme -"]
    );
    assert_eq!(column(&ws, "SELECT account FROM contact"), vec![acme]);
}

fn the_account_columns_are_checked_by_the_account_rules() {
    let ws = workspace("crm");
    let (o, response) = import_with(
        &ws,
        "contact",
        "First Name,Last Name,Email,Account Name,Account Industry\n\
         Ann,Lee,ann@acme.example,Acme,Mining\n\
         Bob,Ray,bob@example.com,,Retail\n\
         Cy,Dee,cy@example.com,Globex,\n",
        |r| r.on_error = OnError::Skip,
    );
    let m = messages(&o);
    assert_eq!(m.len(), 2, "{m:#?}");
    assert!(m[0].starts_with("2: `Mining` is not an option"), "{m:#?}");
    assert!(
        m[1].contains("this row creates a new Account, which needs `Account Name`"),
        "{m:#?}"
    );
    assert_eq!(
        o.report.problems[0].column.as_ref().unwrap().header,
        "Account Industry"
    );
    assert_eq!(o.counts.created, 1);
    assert_eq!(o.linked_created.get("account"), Some(&1));
    assert!(response.contains("Ann,Lee"), "{response}");
    assert_eq!(column(&ws, "SELECT name FROM account"), vec!["Globex"]);
}

fn sites_create_each_company_once_from_the_repeated_company_columns() {
    let ws = workspace("msp");
    import_ok(&ws, "company", "Company ID,Company Name\nACME01,Acme\n");
    let (o, _) = import_with(
        &ws,
        "site",
        "Company ID,Company Name,Site ID,Site Name,Country\n\
         ACME01,Acme,S1,Head Office,DE\n\
         GLOBEX,Globex,S2,Plant,FR\n\
         GLOBEX,Globex,S3,Depot,FR\n",
        |_| {},
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(o.counts.created, 3);
    assert_eq!(o.linked_created.get("company"), Some(&1));
    assert_eq!(
        column(
            &ws,
            "SELECT co.company_id || ' ' || co.name || '/' || s.site_id FROM site s JOIN company co ON co.uuid = s.company ORDER BY s.site_id"
        ),
        vec!["ACME01 Acme/S1", "GLOBEX Globex/S2", "GLOBEX Globex/S3"]
    );
}

fn a_site_whose_company_id_names_no_company_and_carries_no_company_columns_fails() {
    let ws = workspace("msp");
    let (o, _) = import_with(
        &ws,
        "site",
        "Company ID,Site ID,Site Name,Country\nNOPE,S1,Head Office,DE\n",
        |_| {},
    );
    assert_eq!(
        messages(&o),
        vec![
            "2: no `company` record has `company_id` `NOPE`; `Company ID` must name an existing record by its UUID or `company_id` [unknown_link]"
        ]
    );
    assert!(!o.committed);
}

fn a_contact_files_company_column_is_its_account_name() {
    let ws = workspace("crm");
    import_ok(&ws, "account", "Account Name\nGlobex\n");
    // `Company` is an alias of the account's name, the account's natural key: the column
    // finds the account, or creates it, as `Account Name` would.
    import_ok(
        &ws,
        "contact",
        "First Name,Last Name,Email,Company\n\
         Ann,Lee,ann@acme.example,Acme\n\
         Bob,Ray,bob@acme.example,Acme\n\
         Cy,Oh,cy@globex.example,Globex\n",
    );
    assert_eq!(
        column(&ws, "SELECT name FROM account ORDER BY name"),
        vec!["Acme", "Globex"]
    );
    assert_eq!(
        column(
            &ws,
            "SELECT a.name FROM contact c JOIN account a ON a.uuid = c.account ORDER BY c.email"
        ),
        vec!["Acme", "Acme", "Globex"]
    );
}

fn reverting_an_import_removes_the_records_it_created_inline() {
    let ws = workspace("crm");
    let (o, _) = import_with(
        &ws,
        "contact",
        "First Name,Last Name,Email,Account Name\nAnn,Lee,ann@acme.example,Acme\n",
        |_| {},
    );
    assert!(o.committed);
    ws.store
        .revert(&ws.schema, o.import_id, "2026-01-03T00:00:00Z")
        .unwrap();
    assert_eq!(
        column(&ws, "SELECT CAST(count(*) AS TEXT) FROM contact"),
        vec!["0"]
    );
    assert_eq!(
        column(&ws, "SELECT CAST(count(*) AS TEXT) FROM account"),
        vec!["0"]
    );
}

fn a_lead_file_creates_its_primary_contacts_and_accounts() {
    let ws = workspace("crm");
    import_ok(
        &ws,
        "contact",
        "First Name,Last Name,Email\nAnn,Lee,ann@acme.example\n",
    );
    let (o, _) = import_with(
        &ws,
        "lead",
        "Lead Topic,Lead Status,Contact First Name,Contact Last Name,Contact Email,Account Name\n\
         Fleet renewal,New,Ann,Lee,ANN@acme.example,Acme\n\
         New office,New,Bob,Ray,bob@globex.example,Globex\n\
         Second site,Contacted,Bob,Ray,bob@globex.example,Globex\n",
        |_| {},
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(o.counts.created, 3);
    assert_eq!(o.linked_created.get("contact"), Some(&1));
    assert_eq!(o.linked_created.get("account"), Some(&2));
    assert_eq!(
        column(
            &ws,
            "SELECT l.topic || ': ' || c.email || ' / ' || a.name FROM lead l \
             JOIN contact c ON c.uuid = l.primary_contact JOIN account a ON a.uuid = l.account \
             ORDER BY l.id"
        ),
        vec![
            "Fleet renewal: ann@acme.example / Acme",
            "New office: bob@globex.example / Globex",
            "Second site: bob@globex.example / Globex"
        ]
    );
}

fn a_parent_account_is_set_on_creation_and_ignored_when_the_account_uuid_is_filled() {
    let ws = workspace("crm");
    import_ok(&ws, "account", "Account Name\nHolding\nOther Holding\n");
    let holding = column(&ws, "SELECT uuid FROM account WHERE name = 'Holding'").remove(0);
    let other = column(&ws, "SELECT uuid FROM account WHERE name = 'Other Holding'").remove(0);
    import_ok(
        &ws,
        "account",
        &format!("Parent Account UUID,Account Name\n{holding},Subsidiary\n"),
    );
    let sub = column(&ws, "SELECT uuid FROM account WHERE name = 'Subsidiary'").remove(0);
    let (o, _) = import_with(
        &ws,
        "account",
        &format!(
            "Account UUID,Parent Account UUID,Account Name,Industry\n{sub},{other},Subsidiary,Retail\n"
        ),
        |_| {},
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(o.counts.updated, 1);
    assert_eq!(
        column(
            &ws,
            "SELECT p.name || ' ' || a.industry FROM account a JOIN account p ON p.uuid = a.parent_account WHERE a.name = 'Subsidiary'"
        ),
        vec!["Holding RET"]
    );
}

fn a_contact_template_carries_the_account_columns_and_they_import() {
    let ws = workspace("crm");
    let rt = ws.schema.record_type("contact").unwrap();
    let headers = intake_core::describe::template_headers_with_inline(&ws.schema, rt);
    assert_eq!(
        headers[..6],
        [
            "Contact UUID",
            "Account UUID",
            "Account Name",
            "Account Type",
            "Account Industry",
            "Account Customer Tier"
        ]
    );
    let cell = |h: &str| match h {
        "Last Name" => "Lee",
        "Email" => "ann@acme.example",
        "Account Name" => "Acme",
        "Account Industry" => "Retail",
        "Account Country" => "Germany",
        _ => "",
    };
    let csv = format!(
        "{}\n{}\n",
        headers.join(","),
        headers
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (o, _) = import_with(&ws, "contact", &csv, |_| {});
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(
        o.report
            .warnings
            .iter()
            .map(|w| w.message.clone())
            .collect::<Vec<_>>(),
        Vec::<String>::new()
    );
    assert_eq!(
        column(
            &ws,
            "SELECT name || ' ' || industry || ' ' || country FROM account"
        ),
        vec!["Acme RET DE"]
    );
}

fn an_interactions_kind_follows_from_the_link_that_is_filled() {
    let ws = workspace("crm");
    import_ok(
        &ws,
        "contact",
        "First Name,Last Name,Email\nAnn,Lee,ann@acme.example\n",
    );
    let ann = column(&ws, "SELECT uuid FROM contact").remove(0);
    import_ok(
        &ws,
        "lead",
        &format!("Primary Contact UUID,Lead Topic,Lead Status\n{ann},Fleet,New\n"),
    );
    let lead = column(&ws, "SELECT uuid FROM lead").remove(0);
    import_ok(
        &ws,
        "interaction",
        &format!(
            "Contact UUID,Lead UUID,Interaction Type,Subject\n\
             {ann},,,Catch-up\n\
             {ann},{lead},,Lead call\n\
             {ann},,Marketing,Stand visit\n"
        ),
    );
    assert_eq!(
        column(
            &ws,
            "SELECT subject || ': ' || kind FROM interaction ORDER BY id"
        ),
        vec![
            "Catch-up: relationship",
            "Lead call: lead",
            "Stand visit: marketing"
        ]
    );
    // An update that fills the lead moves the interaction to `lead`.
    let first = column(&ws, "SELECT uuid FROM interaction ORDER BY id").remove(0);
    let (o, _) = import_with(
        &ws,
        "interaction",
        &format!("Interaction UUID,Lead UUID\n{first},{lead}\n"),
        |r| r.options.mode = intake_core::validate::Mode::Update,
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(o.counts.updated, 1);
    assert_eq!(
        column(&ws, "SELECT kind FROM interaction ORDER BY id LIMIT 1"),
        vec!["lead"]
    );
}

fn the_success_file_lists_the_linked_records_created_inline() {
    let ws = workspace("crm");
    let (o, _, text) = import_files(
        &ws,
        "contact",
        "Last Name,Email,Account Name\nLee,ann@acme.example,Acme\nRay,bob@acme.example,Acme\n",
        |_| {},
    );
    assert!(o.committed);
    let acme = column(&ws, "SELECT uuid FROM account").remove(0);
    let contacts = column(&ws, "SELECT uuid FROM contact ORDER BY id");
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        vec![
            "Contact UUID,Last Name,Email,Account Name,Account UUID".to_string(),
            format!("{},Lee,ann@acme.example,Acme,{acme}", contacts[0]),
            format!("{},Ray,bob@acme.example,Acme,{acme}", contacts[1]),
        ]
    );
}

fn msp_a_site_file_with_company_columns_and_mistakes_imports_in_part() {
    let ws = workspace("msp");
    import_ok(&ws, "company", "Company ID,Company Name\nINITECH,Initech\n");
    let (o, response) = import_with(
        &ws,
        "site",
        "Company ID,Company Name,Company Type,Company Website,Site ID,Site Name,Address Line 1,City,State,Postal Code,Country\n\
         ACME01,Acme Corp,Customer,https://acme.example,S001,Head Office,1 Main St,Springfield,US-IL,62701,US\n\
         ACME01,Acme Corp,Customer,https://acme.example,S002,Warehouse,2 Dock Rd,Springfield,US-IL,62702,US\n\
         GLOBEX,Globex,Prospect,,S003,Plant,\"5 Industrial Way, Unit 3\",Cypress,US-CA,90630,US\n\
         INITECH,Initech,,,S004,HQ,10 Office Park,Austin,US-TX,73301,USA\n\
         UMBRELLA-1,Umbrella,Customer,,S005,Lab,1 Hive Rd,Raccoon City,US-MO,63101,US\n\
         HOOLI,,Customer,,S006,Campus,1 Hooli Way,Palo Alto,US-CA,94301,US\n\
         INITECH,Initech,,,S007,Annex,12 Office Park,Austin,US-TX,73301,US\n",
        |r| r.on_error = OnError::Skip,
    );
    let m = messages(&o);
    assert_eq!(m.len(), 4, "{m:#?}");
    assert!(m[0].starts_with("4: "), "{m:#?}");
    assert!(m[0].contains("`,`"), "{m:#?}");
    assert!(m[1].starts_with("5: "), "{m:#?}");
    assert!(m[1].contains("USA"), "{m:#?}");
    assert!(m[2].starts_with("6: "), "{m:#?}");
    assert!(m[2].contains("UMBRELLA-1"), "{m:#?}");
    assert_eq!(
        m[3],
        "7: no Company has `HOOLI` yet, so this row creates a new Company, which needs `Company Name`; fill it (or name an existing Company in `Company ID`) [required]"
    );
    // ACME01 created once, Initech found, Globex's only row failed.
    assert_eq!(o.counts.created, 3);
    assert_eq!(o.linked_created.get("company"), Some(&1));
    assert_eq!(
        column(
            &ws,
            "SELECT co.company_id || ' ' || co.name || ' ' || coalesce(co.company_type, '-') || ' ' || coalesce(co.website, '-') || ' / ' || s.site_id FROM site s JOIN company co ON co.uuid = s.company ORDER BY s.site_id"
        ),
        vec![
            "ACME01 Acme Corp customer https://acme.example / S001",
            "ACME01 Acme Corp customer https://acme.example / S002",
            "INITECH Initech - - / S007"
        ]
    );
    let lines: Vec<&str> = response.lines().collect();
    assert_eq!(lines.len(), 5, "{response}");
    assert!(lines[0].ends_with(",Import errors"), "{response}");
    assert!(
        lines[1].starts_with("GLOBEX,Globex,Prospect,,S003,Plant,\"5 Industrial Way, Unit 3\""),
        "{response}"
    );
    assert!(lines[4].starts_with("HOOLI,,Customer"), "{response}");
}

fn ticketing_contacts_updated_by_email_or_id_with_tri_state_authorisations_and_criteria() {
    let ws = workspace("ticketing");
    // Nothing is required: a contact with only an e-mail is fine.
    import_ok(
        &ws,
        "contact",
        "Contact ID;First Name;Last Name;Email;Birth Date;Allow Email;Allow SMS\n\
         100001;Marie;Curie;marie@example.com;07.11.1867;true;false\n\
         100002;Pierre;Curie;pierre@example.com;;yes;\n\
         ;;;anon@example.com;;;\n",
    );
    // Update by e-mail: an empty authorisation keeps the stored one; false and true are set.
    let (o, _) = import_with(
        &ws,
        "contact",
        "Email;Allow Email;Allow SMS;City\n\
         MARIE@example.com;;true;Paris\n\
         pierre@example.com;false;;\n",
        |r| r.match_on = vec!["email".into()],
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!((o.counts.updated, o.counts.unchanged), (2, 0));
    // Update by contact id; a bad date and an unknown id are reported with their rows.
    let (o, _) = import_with(
        &ws,
        "contact",
        "Contact ID;Birth Date;Language\n100002;15.05.1859;French\n100009;01.01.1900;German\n100001;31.02.1867;\n",
        |r| {
            r.match_on = vec!["contact_id".into()];
            r.options.mode = intake_core::validate::Mode::Update;
            r.on_error = OnError::Skip;
        },
    );
    let m = messages(&o);
    assert_eq!(m.len(), 2, "{m:#?}");
    assert!(
        m[0].starts_with("3: no Contact has `Contact ID` `100009`"),
        "{m:#?}"
    );
    assert!(m[1].starts_with("4: `31.02.1867`"), "{m:#?}");
    assert_eq!(o.counts.updated, 1);
    assert_eq!(
        joined(
            &ws,
            "SELECT contact_id, allow_email, allow_sms, city, birth_date, language FROM contact ORDER BY id"
        ),
        vec![
            "100001 1 1 Paris 1867-11-07 -",
            "100002 0 - - 1859-05-15 fr",
            "- - - - - -"
        ]
    );
    // Criteria by internal code, associated by e-mail or contact id; then one association is
    // deleted through the action column.
    import_ok(
        &ws,
        "criterion",
        "Criterion Code;Criterion Name\nNEWS;Newsletter\n",
    );
    import_ok(
        &ws,
        "contact_criterion",
        "Contact;Criterion;Value\nmarie@example.com;NEWS;NEWSLETTER_FR\n100002;NEWS;NEWSLETTER_DE\n",
    );
    let (o, _) = import_with(
        &ws,
        "contact_criterion",
        "Action;Contact;Criterion;Value\ndelete;100002;NEWS;NEWSLETTER_DE\n",
        |r| r.match_on = vec!["contact".into(), "criterion".into()],
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(o.counts.deleted, 1);
    assert_eq!(
        column(&ws, "SELECT value FROM contact_criterion"),
        vec!["NEWSLETTER_FR"]
    );
}

fn rollout_clients_by_name_with_users_found_by_any_attribute_and_new_options() {
    let ws = workspace("rollout");
    rollout_users(&ws);
    let (o, _) = import_with(
        &ws,
        "client",
        "Name,Status,Assignee,Client User,Location,Device Model,Software Packages\n\
         BER-NB-0001,Planned,ada@example.com,Grace Hopper,Berlin HQ,Latitude 5450,Teams;chrome\n\
         BER-NB-0002,Scheduled,U-001,U-003,BER,Latitude 7450,Teams;Zoom\n\
         BER-NB-0003,Waiting,Ada Lovelace,,BER,Latitude 5450,\n\
         BER-NB-0004,Planned,Ada Lovelace,Nobody,BER,Latitude 5450,\n\
         BER-NB-0001,Planned,,,,,\n",
        |r| {
            r.on_error = OnError::Skip;
            r.options.create_missing_options = true;
        },
    );
    let m = messages(&o);
    assert_eq!(m.len(), 3, "{m:#?}");
    // A closed list (the workflow) does not grow with --create-missing-options.
    assert!(m[0].starts_with("4: `Waiting` is not an option"), "{m:#?}");
    assert!(
        m[1].starts_with("5: no `user` record has `email`, `user_id` or `name` `Nobody`"),
        "{m:#?}"
    );
    assert!(m[2].contains("`BER-NB-0001` is already in row 2"), "{m:#?}");
    assert_eq!(o.counts.created, 2);
    assert_eq!(
        joined(
            &ws,
            "SELECT c.name, a.name, '/', u.name, c.software FROM client c \
             JOIN \"user\" a ON a.uuid = c.assignee JOIN \"user\" u ON u.uuid = c.client_user ORDER BY c.name"
        ),
        vec![
            "BER-NB-0001 Ada Lovelace / Grace Hopper teams;chrome",
            // A known option by its code, a new one as written.
            "BER-NB-0002 Ada Lovelace / Alan Turing teams;Zoom"
        ]
    );
    // Update an existing client by its name.
    let (o, _) = import_with(&ws, "client", "Name,Status\nBER-NB-0002,Done\n", |r| {
        r.match_on = vec!["name".into()]
    });
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(o.counts.updated, 1);
    assert_eq!(
        column(&ws, "SELECT status FROM client WHERE name = 'BER-NB-0002'"),
        vec!["done"]
    );
}

fn rollout_linked_clients(ws: &Workspace) {
    rollout_users(ws);
    import_ok(
        ws,
        "client",
        "Name,Status,Location,Room,Rollout Date\n\
         BER-NB-0001,Planned,Berlin HQ,B2 3.14,12.05.2025\n\
         BER-NB-0002,Planned,Berlin HQ,B1 0.01,13.05.2025\n",
    );
    // Docking stations, each linked to its laptop: they take the laptop's shared fields.
    let o = import_ok(
        ws,
        "client",
        "Name,Status,Linked Client\n\
         BER-DS-0001,Planned,BER-NB-0001\n\
         BER-DS-0002,Planned,BER-NB-0002\n",
    );
    assert_eq!(o.shared_updated, 2);
}

fn rooms(ws: &Workspace) -> Vec<String> {
    joined(
        ws,
        "SELECT name, location, room, scheduled_on FROM client ORDER BY name",
    )
}

fn rollout_a_new_linked_client_takes_the_shared_fields_of_its_client() {
    let ws = workspace("rollout");
    rollout_linked_clients(&ws);
    assert_eq!(
        rooms(&ws),
        vec![
            "BER-DS-0001 BER B2 3.14 2025-05-12",
            "BER-DS-0002 BER B1 0.01 2025-05-13",
            "BER-NB-0001 BER B2 3.14 2025-05-12",
            "BER-NB-0002 BER B1 0.01 2025-05-13",
        ]
    );
}

fn rollout_an_update_of_a_shared_field_propagates_to_the_linked_clients_and_reverts() {
    let ws = workspace("rollout");
    rollout_linked_clients(&ws);
    // The laptop moves: its docking station moves with it; the other pair is untouched.
    let (o, _) = import_with(
        &ws,
        "client",
        "Name,Room,Location\nBER-NB-0001,C4 4.01,Hamburg\n",
        |r| {
            r.match_on = vec!["name".into()];
            r.options.mode = intake_core::validate::Mode::Update;
        },
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!((o.counts.updated, o.shared_updated), (1, 1));
    assert_eq!(
        rooms(&ws),
        vec![
            "BER-DS-0001 HAM C4 4.01 2025-05-12",
            "BER-DS-0002 BER B1 0.01 2025-05-13",
            "BER-NB-0001 HAM C4 4.01 2025-05-12",
            "BER-NB-0002 BER B1 0.01 2025-05-13",
        ]
    );
    // Updating the docking station moves the laptop: the link works both ways.
    let (o, _) = import_with(
        &ws,
        "client",
        "Name,Rollout Date\nBER-DS-0002,20.06.2025\n",
        |r| {
            r.match_on = vec!["name".into()];
            r.options.mode = intake_core::validate::Mode::Update;
        },
    );
    assert_eq!((o.counts.updated, o.shared_updated), (1, 1));
    assert_eq!(
        column(
            &ws,
            "SELECT scheduled_on FROM client WHERE name = 'BER-NB-0002'"
        ),
        vec!["2025-06-20"]
    );
    // Reverting the import restores the linked client too.
    ws.store
        .revert(&ws.schema, o.import_id, "2026-01-02T00:00:00Z")
        .unwrap();
    assert_eq!(
        column(
            &ws,
            "SELECT scheduled_on FROM client WHERE name LIKE '%-0002' ORDER BY name"
        ),
        vec!["2025-05-13", "2025-05-13"]
    );
}

fn rollout_rows_that_set_linked_clients_differently_each_fail() {
    let ws = workspace("rollout");
    rollout_linked_clients(&ws);
    let before = rooms(&ws);
    let file = "Name,Room,Status\n\
                BER-NB-0001,A1 1.01,Scheduled\n\
                BER-NB-0002,B2 2.02,Scheduled\n\
                BER-DS-0001,Z9 9.99,Scheduled\n";
    let (o, response) = import_with(&ws, "client", file, |r| r.match_on = vec!["name".into()]);
    let m = messages(&o);
    assert_eq!(m.len(), 2, "{m:#?}");
    assert!(
        m[0].starts_with(
            "2: rows 2 and 4 set `Room` to `A1 1.01` and `Z9 9.99` on two clients linked by `Linked Client`"
        ),
        "{m:#?}"
    );
    assert!(m[1].starts_with("4: rows 2 and 4"), "{m:#?}");
    assert!(m[0].ends_with("[shared_field_conflict]"), "{m:#?}");
    // All or nothing: nothing is written.
    assert!(!o.committed);
    assert_eq!(rooms(&ws), before);
    assert!(response.contains("BER-DS-0001"), "{response}");
    // Partial: the two rows fail, the third is written and propagates to its docking station.
    let (o, response) = import_with(&ws, "client", file, |r| {
        r.match_on = vec!["name".into()];
        r.on_error = OnError::Skip;
    });
    assert!(o.committed);
    assert_eq!(
        (o.counts.updated, o.counts.failed, o.shared_updated),
        (1, 2, 1)
    );
    assert_eq!(
        rooms(&ws),
        vec![
            "BER-DS-0001 BER B2 3.14 2025-05-12",
            "BER-DS-0002 BER B2 2.02 2025-05-13",
            "BER-NB-0001 BER B2 3.14 2025-05-12",
            "BER-NB-0002 BER B2 2.02 2025-05-13",
        ]
    );
    assert_eq!(
        column(
            &ws,
            "SELECT status FROM client WHERE name LIKE 'BER-NB-%' ORDER BY name"
        ),
        vec!["planned", "scheduled"]
    );
    let lines: Vec<&str> = response.lines().collect();
    assert_eq!(lines.len(), 3, "{response}");
    assert!(lines[1].starts_with("BER-NB-0001,A1 1.01"), "{response}");
    assert!(lines[2].starts_with("BER-DS-0001,Z9 9.99"), "{response}");
}

/// Ann Lee of Acme, a contact with an account.
fn crm_contact_with_account(ws: &Workspace) -> String {
    import_ok(
        ws,
        "contact",
        "First Name,Last Name,Email,Account Name\nAnn,Lee,ann@acme.example,Acme\n",
    );
    column(
        ws,
        "SELECT uuid FROM contact WHERE email = 'ann@acme.example'",
    )
    .remove(0)
}

fn an_opportunity_creates_its_account_only_with_a_new_contact_and_a_filled_contact_implies_its_account()
 {
    let ws = workspace("crm");
    let ann = crm_contact_with_account(&ws);
    let file = format!(
        "Opportunity Name,Opportunity Status,Primary Contact UUID,Contact First Name,Contact Last Name,Contact Email,Account Name\n\
         Fleet,Open,{ann},,,,Other Co\n\
         Office,Open,,Bob,Ray,bob@globex.example,Globex\n\
         Renewal,Open,,Ann,Lee,ann@acme.example,Initech\n\
         Pilot,Open,,Bob,Ray,bob@globex.example,Globex\n"
    );
    let (o, _) = import_with(&ws, "opportunity", &file, |_| {});
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(o.counts.created, 4);
    // Only the new contact's row creates an account; a known contact brings its own.
    assert_eq!(o.linked_created.get("contact"), Some(&1));
    assert_eq!(o.linked_created.get("account"), Some(&1));
    assert_eq!(
        column(
            &ws,
            "SELECT o.name || ': ' || c.email || ' / ' || a.name FROM opportunity o \
             JOIN contact c ON c.uuid = o.primary_contact JOIN account a ON a.uuid = o.account \
             ORDER BY o.id"
        ),
        vec![
            "Fleet: ann@acme.example / Acme",
            "Office: bob@globex.example / Globex",
            "Renewal: ann@acme.example / Acme",
            "Pilot: bob@globex.example / Globex",
        ]
    );
    // The contact the row created belongs to the account the row created.
    assert_eq!(
        column(
            &ws,
            "SELECT c.email || ' ' || a.name FROM contact c JOIN account a ON a.uuid = c.account ORDER BY c.email"
        ),
        vec!["ann@acme.example Acme", "bob@globex.example Globex"]
    );
    assert_eq!(
        column(&ws, "SELECT name FROM account ORDER BY name"),
        vec!["Acme", "Globex"]
    );
}

fn an_opportunity_with_a_known_contact_and_no_account_columns_takes_the_contacts_account() {
    let ws = workspace("crm");
    let ann = crm_contact_with_account(&ws);
    let (o, _) = import_with(
        &ws,
        "opportunity",
        &format!("Opportunity Name,Opportunity Status,Primary Contact UUID\nFleet,Open,{ann}\n"),
        |_| {},
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(
        column(
            &ws,
            "SELECT a.name FROM opportunity o JOIN account a ON a.uuid = o.account"
        ),
        vec!["Acme"]
    );
}

fn a_lead_with_a_filled_contact_takes_the_contacts_account_and_a_filled_account_wins() {
    let ws = workspace("crm");
    let ann = crm_contact_with_account(&ws);
    import_ok(&ws, "account", "Account Name\nInitech\n");
    let initech = column(&ws, "SELECT uuid FROM account WHERE name = 'Initech'").remove(0);
    let (o, _) = import_with(
        &ws,
        "lead",
        &format!(
            "Lead Topic,Lead Status,Primary Contact UUID,Account UUID,Account Name\n\
             Fleet,New,{ann},,Other Co\n\
             Office,New,{ann},{initech},\n"
        ),
        |_| {},
    );
    assert_eq!(messages(&o), Vec::<String>::new());
    assert!(o.linked_created.is_empty(), "{:?}", o.linked_created);
    assert_eq!(
        column(
            &ws,
            "SELECT l.topic || ' ' || a.name FROM lead l JOIN account a ON a.uuid = l.account ORDER BY l.id"
        ),
        vec!["Fleet Acme", "Office Initech"]
    );
}

/// The Country examples of the seeds' lookup rules, literally: a Country list of Canada,
/// France, Germany and United States; an unknown value, a valid value and an empty value, for
/// a new and an existing record, with the field optional and mandatory, with and without
/// ignore-required.
fn crm_country_examples_unknown_valid_and_empty_values_for_new_and_existing_accounts() {
    let optional = demo::demo("crm").unwrap().source;
    let mandatory = optional.replacen(
        "list = \"country\"\n",
        "list = \"country\"\nrequired = true\n",
        1,
    );
    assert_ne!(optional, mandatory);
    for (required, source) in [(false, optional.to_string()), (true, mandatory)] {
        let ws = Workspace::new(Schema::from_toml("crm.toml", &source).unwrap());
        for ignore in [false, true] {
            // Imports one account row (upsert by name); returns the problem codes and the
            // account's country afterwards.
            let case = |name: &str, country: &str| -> (Vec<String>, Vec<String>) {
                let (o, _) = import_with(
                    &ws,
                    "account",
                    &format!("Account Name,Country\n{name},{country}\n"),
                    |r| {
                        r.match_on = vec!["name".into()];
                        r.options.ignore_required = ignore;
                    },
                );
                let codes = o
                    .report
                    .problems
                    .iter()
                    .map(|p| p.code.as_str().to_string())
                    .collect();
                let sql =
                    format!("SELECT coalesce(country, '') FROM account WHERE name = '{name}'");
                (codes, column(&ws, &sql))
            };
            let existing = format!("Existing {required} {ignore}");
            assert_eq!(case(&existing, "France"), (vec![], vec!["FR".to_string()]));
            let context = format!("required {required}, ignore-required {ignore}");
            // An unknown value always fails, new or existing.
            let new = format!("New {required} {ignore} spain");
            assert_eq!(
                case(&new, "Spain"),
                (vec!["unknown_option".to_string()], vec![]),
                "{context}"
            );
            assert_eq!(
                case(&existing, "Spain"),
                (vec!["unknown_option".to_string()], vec!["FR".to_string()]),
                "{context}"
            );
            // A valid value is taken, and replaces the existing one.
            let new = format!("New {required} {ignore} us");
            assert_eq!(
                case(&new, "United States"),
                (vec![], vec!["US".to_string()]),
                "{context}"
            );
            assert_eq!(
                case(&existing, "United States"),
                (vec![], vec!["US".to_string()]),
                "{context}"
            );
            // An empty value: a new record needs it when it is mandatory, unless
            // ignore-required; an existing record keeps its value.
            let new = format!("New {required} {ignore} empty");
            let expected = if required && !ignore {
                (vec!["required".to_string()], vec![])
            } else {
                (vec![], vec![String::new()])
            };
            assert_eq!(case(&new, ""), expected, "{context}");
            assert_eq!(
                case(&existing, ""),
                (vec![], vec!["US".to_string()]),
                "{context}"
            );
        }
    }
}

fn rollout_a_client_links_to_a_client_an_earlier_row_of_the_file_creates() {
    let ws = workspace("rollout");
    rollout_users(&ws);
    let mut file = String::from("Name,Status,Linked Client,Room\n");
    // Enough notebooks that the docking stations are in later batches too.
    for i in 0..3000 {
        file.push_str(&format!("NB-{i:04},Planned,,R{i}\n"));
    }
    file.push_str("DS-0001,Planned,NB-0001,\n"); // row 3002: an earlier row's notebook
    file.push_str("DS-2999,Planned,NB-2999,\n"); // row 3003: in the same batch
    file.push_str("DS-9999,Planned,NB-9999,\n"); // row 3004: nobody creates NB-9999
    file.push_str("DS-LATE,Planned,NB-LATE,\n"); // row 3005: created only below
    file.push_str("NB-LATE,Planned,,R-late\n");
    // A dry run says the same as the import.
    let (dry, _) = import_with(&ws, "client", &file, |r| {
        r.on_error = OnError::Skip;
        r.dry_run = true;
    });
    let (o, _) = import_with(&ws, "client", &file, |r| r.on_error = OnError::Skip);
    for o in [&dry, &o] {
        let m = messages(o);
        assert_eq!(m.len(), 2, "{m:#?}");
        assert!(
            m[0].starts_with("3004: no `client` record has `uuid` or `name` `NB-9999`")
                || m[0].starts_with("3004: no `client` record has `name` `NB-9999`"),
            "{m:#?}"
        );
        assert!(m[1].starts_with("3005: "), "{m:#?}");
        assert_eq!(o.counts.created, 3003);
    }
    assert_eq!(
        joined(
            &ws,
            "SELECT c.name, l.name, c.room FROM client c JOIN client l ON l.uuid = c.linked_client ORDER BY c.name"
        ),
        vec!["DS-0001 NB-0001 R1", "DS-2999 NB-2999 R2999"]
    );
}

fn msp_create_mode_fails_on_an_existing_company_and_creates_new_ones_once() {
    let ws = workspace("msp");
    import_ok(&ws, "company", "Company ID,Company Name\nINITECH,Initech\n");
    let file = "Company ID,Company Name,Site ID,Site Name,Country\n\
                ACME01,Acme Corp,S001,Head Office,US\n\
                ACME01,Acme Corp,S002,Warehouse,US\n\
                INITECH,Initech,S003,HQ,US\n\
                INITECH,,S004,Annex,US\n";
    let (o, response) = import_with(&ws, "site", file, |r| {
        r.options.mode = intake_core::validate::Mode::Create;
        r.on_error = OnError::Skip;
    });
    let m = messages(&o);
    assert_eq!(m.len(), 1, "{m:#?}");
    assert!(
        m[0].starts_with("4: a Company with Company ID `INITECH` already exists (")
            && m[0].contains("in create mode a row with the Company columns creates the Company")
            && m[0].ends_with("[already_exists]"),
        "{m:#?}"
    );
    // The new company is created once; a row naming the existing company by its id alone
    // links to it.
    assert_eq!((o.counts.created, o.counts.failed), (3, 1));
    assert_eq!(o.linked_created.get("company"), Some(&1));
    assert_eq!(
        joined(
            &ws,
            "SELECT s.site_id, co.company_id FROM site s JOIN company co ON co.uuid = s.company ORDER BY s.site_id"
        ),
        vec!["S001 ACME01", "S002 ACME01", "S004 INITECH"]
    );
    assert!(response.contains("INITECH,Initech,S003"), "{response}");
}

on_both_backends!(
    msp_create_mode_fails_on_an_existing_company_and_creates_new_ones_once,
    rollout_a_client_links_to_a_client_an_earlier_row_of_the_file_creates,
    links_by_natural_key_find_the_target_by_each_of_its_keys_in_order,
    a_link_key_that_names_no_record_is_an_unknown_link,
    a_link_by_uuid_still_links_when_the_link_also_takes_keys,
    associations_find_both_ends_by_key,
    sites_link_to_an_existing_company_by_its_company_id,
    a_contact_file_creates_its_accounts_once_per_account_name,
    an_account_that_exists_by_name_is_linked_and_not_changed,
    a_filled_account_uuid_only_links_and_ignores_the_account_columns,
    the_account_columns_are_checked_by_the_account_rules,
    sites_create_each_company_once_from_the_repeated_company_columns,
    a_site_whose_company_id_names_no_company_and_carries_no_company_columns_fails,
    reverting_an_import_removes_the_records_it_created_inline,
    a_contact_files_company_column_is_its_account_name,
    a_lead_file_creates_its_primary_contacts_and_accounts,
    a_parent_account_is_set_on_creation_and_ignored_when_the_account_uuid_is_filled,
    a_contact_template_carries_the_account_columns_and_they_import,
    an_interactions_kind_follows_from_the_link_that_is_filled,
    the_success_file_lists_the_linked_records_created_inline,
    msp_a_site_file_with_company_columns_and_mistakes_imports_in_part,
    ticketing_contacts_updated_by_email_or_id_with_tri_state_authorisations_and_criteria,
    rollout_clients_by_name_with_users_found_by_any_attribute_and_new_options,
    rollout_a_new_linked_client_takes_the_shared_fields_of_its_client,
    rollout_an_update_of_a_shared_field_propagates_to_the_linked_clients_and_reverts,
    rollout_rows_that_set_linked_clients_differently_each_fail,
    an_opportunity_creates_its_account_only_with_a_new_contact_and_a_filled_contact_implies_its_account,
    an_opportunity_with_a_known_contact_and_no_account_columns_takes_the_contacts_account,
    a_lead_with_a_filled_contact_takes_the_contacts_account_and_a_filled_account_wins,
    crm_country_examples_unknown_valid_and_empty_values_for_new_and_existing_accounts,
);
