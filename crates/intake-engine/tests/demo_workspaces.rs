//! One end-to-end test per demo workspace: a realistic set of files (a few hundred rows over
//! the workspace's record types, generated here, with mistakes at known rows) imported in the
//! order a user would, checking the report (every problem's row and code, some messages
//! verbatim), the counts, the database and the response and success files. Each test also
//! covers an all-or-nothing import that fails and writes nothing, the idempotence of a second
//! import of the same file, and a revert. Run on both backends (`on_sqlite::NAME`,
//! `on_postgres::NAME`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::collections::HashMap;

use common::*;
use intake_core::validate::Mode;
use intake_engine::{ImportOutcome, OnError};

// ---------------------------------------------------------------------------------------------
// Files

/// A CSV file being written: its delimiter, header and rows of cells.
#[derive(Clone)]
struct Csv {
    delim: char,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

macro_rules! cells {
    ($($c:expr),* $(,)?) => { vec![$($c.to_string()),*] };
}

impl Csv {
    fn new(delim: char, header: &[&str]) -> Self {
        Self {
            delim,
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: vec![],
        }
    }

    fn push(&mut self, cells: Vec<String>) {
        assert_eq!(cells.len(), self.header.len(), "{cells:?}");
        self.rows.push(cells);
    }

    fn col(&self, header: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == header)
            .unwrap_or_else(|| panic!("no column {header}"))
    }

    /// The cell of the row at `i` (0 = first data row, spreadsheet row 2).
    fn get(&self, i: usize, header: &str) -> &str {
        &self.rows[i][self.col(header)]
    }

    fn set(&mut self, i: usize, header: &str, value: &str) {
        let c = self.col(header);
        self.rows[i][c] = value.to_string();
    }

    fn line(&self, cells: &[String]) -> String {
        cells
            .iter()
            .map(|c| {
                if c.contains(self.delim) || c.contains('"') || c.contains('\n') {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(&self.delim.to_string())
    }

    fn text(&self) -> String {
        let mut out = self.line(&self.header);
        out.push('\n');
        for r in &self.rows {
            out.push_str(&self.line(r));
            out.push('\n');
        }
        out
    }
}

/// The spreadsheet row of the data row at index `i`.
fn row(i: usize) -> u64 {
    i as u64 + 2
}

/// CSV text as records of cells (quotes removed, formula guards undone).
fn parse_csv(text: &str, delim: char) -> Vec<Vec<String>> {
    let mut out = vec![];
    let mut rec = vec![];
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, '\r') => {}
            (false, '\n') => {
                rec.push(std::mem::take(&mut cell));
                out.push(std::mem::take(&mut rec));
            }
            (false, c) if c == delim => rec.push(std::mem::take(&mut cell)),
            (false, c) => cell.push(c),
        }
    }
    if !cell.is_empty() || !rec.is_empty() {
        rec.push(cell);
        out.push(rec);
    }
    out.into_iter()
        .map(|r| {
            r.into_iter()
                .map(|c| intake_formats::unneutralise(&c).to_string())
                .collect()
        })
        .collect()
}

/// The response file must hold exactly the failing rows, in the file's layout, each with its
/// problems (`Column: message; ...`) in an `Import errors` column.
fn assert_response(o: &ImportOutcome, file: &Csv, response: &str) {
    let mut expected = vec![file.header.clone()];
    expected[0].push("Import errors".into());
    let mut failing: Vec<u64> = o.report.problems.iter().map(|p| p.row.get()).collect();
    failing.dedup();
    for r in failing {
        let mut cells = file.rows[(r - 2) as usize].clone();
        let errors = o
            .report
            .problems
            .iter()
            .filter(|p| p.row.get() == r)
            .map(|p| match &p.column {
                Some(c) => format!("{}: {}", c.header.trim(), p.message),
                None => p.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ");
        cells.push(errors);
        expected.push(cells);
    }
    assert_eq!(parse_csv(response, file.delim), expected, "{response}");
    assert_eq!(o.response_rows as usize, expected.len() - 1);
}

/// From a success file: the value of `key` in each written row -> the row's value of `column`.
fn success_column(success: &str, delim: char, key: &str, column: &str) -> HashMap<String, String> {
    let recs = parse_csv(success, delim);
    let k = recs[0].iter().position(|h| h == key).unwrap();
    let c = recs[0].iter().position(|h| h == column).unwrap();
    recs[1..]
        .iter()
        .map(|r| (r[k].clone(), r[c].clone()))
        .collect()
}

/// Every problem as `row: Column: message [code]`, the column as written in the file.
fn report(o: &ImportOutcome) -> Vec<String> {
    o.report
        .problems
        .iter()
        .map(|p| match &p.column {
            Some(c) => format!(
                "{}: {}: {} [{}]",
                p.row.get(),
                c.header,
                p.message,
                p.code.as_str()
            ),
            None => format!("{}: {} [{}]", p.row.get(), p.message, p.code.as_str()),
        })
        .collect()
}

fn counts(o: &ImportOutcome) -> (u64, u64, u64, u64) {
    (
        o.counts.created,
        o.counts.updated,
        o.counts.unchanged,
        o.counts.failed,
    )
}

/// `1234567` as `1,234,567` (or with another separator).
fn grouped(n: u64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(d);
    }
    out
}

fn skip(r: &mut intake_engine::ImportRequest) {
    r.on_error = OnError::Skip;
}

const FIRST: [&str; 20] = [
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Katrin",
    "Lukas", "Marie", "Noah", "Olivia", "Paul", "Quentin", "Rosa", "Simon", "Tara",
];
const LAST: [&str; 20] = [
    "Schmidt", "Durand", "Smith", "Martin", "Weber", "Dubois", "Johnson", "Bernard", "Fischer",
    "Taylor", "Lefebvre", "Brown", "Wagner", "Moreau", "Wilson", "Becker", "Laurent", "Davies",
    "Hoffmann", "Roux",
];
const STEMS: [&str; 20] = [
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Wingtip",
    "Adventure Works",
    "Litware",
    "Proseware",
    "Lucerne",
    "Alpine",
    "Coho",
    "Fourth Coffee",
    "Margie",
    "Wide World",
    "Blue Yonder",
    "Trey Research",
    "Humongous",
    "Southridge",
    "Woodgrove",
    "Datum",
];

fn slug(s: &str) -> String {
    s.to_lowercase().replace(' ', "")
}

const UNKNOWN_UUID: &str = "7f1c8a52-3b9e-4d6f-a2c1-5e8b0d9f4a36";

// ---------------------------------------------------------------------------------------------
// crm

fn crm_end_to_end() {
    let ws = workspace("crm");

    // 1. Accounts: 40 group accounts. The first try has four mistakes and is all or nothing.
    let mut accounts = Csv::new(
        ',',
        &[
            "Account Name",
            "Account Type",
            "Industry",
            "Customer Tier",
            "Country",
            "Website",
            "Account Phone",
            "Annual Revenue",
            "Employees",
        ],
    );
    let industries = [
        "Agriculture",
        "Automotive",
        "Construction",
        "Education",
        "Energy",
        "Financial Services",
        "Healthcare",
        "Manufacturing",
        "Public Sector",
        "Retail",
        "Technology",
        "Transport and Logistics",
    ];
    let countries = ["Germany", "France", "United States", "Canada"];
    let account_name = |i: usize| format!("{} {}", STEMS[i % 20], ["Group", "Holding"][i / 20]);
    for i in 0..40 {
        let name = account_name(i);
        accounts.push(cells![
            name,
            ["Customer", "Prospect", "Partner", "Reseller"][i % 4],
            industries[i % 12],
            ["gold", "Silver", "BRONZE"][i % 3],
            countries[i % 4],
            format!("https://www.{}.example.com", slug(&name)),
            format!("020 7946 0{:03}", 100 + i),
            format!("{}.00", grouped(1_000_000 + 250_000 * i as u64, ',')),
            50 + 37 * i,
        ]);
    }
    let fixed_accounts = accounts.clone();
    accounts.set(7, "Country", "Spain");
    accounts.set(18, "Website", "www.fabrikam-holding");
    accounts.set(29, "Employees", "12.5");
    accounts.set(36, "Account Name", &account_name(3));
    let expected = vec![
        (row(7), "unknown_option"),
        (row(18), "invalid_url"),
        (row(29), "integer_has_decimals"),
        (row(36), "duplicate_in_file"),
    ];
    let (o, response, _) = import_files(&ws, "account", &accounts.text(), |_| {});
    assert_eq!(problems(&o), expected, "{:#?}", messages(&o));
    assert!(!o.committed);
    assert_eq!(count(&ws, "account"), 0);
    assert_response(&o, &accounts, &response);
    assert_eq!(
        report(&o),
        vec![
            "9: Country: `Spain` is not an option of this list; expected one of `Canada` (CA), `France` (FR), `Germany` (DE), `United States` (US) [unknown_option]",
            "20: Website: `www.fabrikam-holding` is not a web address; write it with its scheme, as in `https://www.fabrikam-holding` [invalid_url]",
            "31: Employees: `12.5` has decimals; this field takes whole numbers such as `42` or `1,250` [integer_has_decimals]",
            "38: Account Name: `Tailspin Group` is already in row 5; `Account Name` must be unique [duplicate_in_file]",
        ]
    );
    // The fixed file goes in whole.
    let (o, _, success) = import_files(&ws, "account", &fixed_accounts.text(), |_| {});
    assert_eq!(problems(&o), vec![]);
    assert_eq!(counts(&o), (40, 0, 0, 0));
    let account_uuid = success_column(&success, ',', "Account Name", "Account UUID");
    assert_eq!(account_uuid.len(), 40);
    // The success file gives each row the UUID its account got.
    let mut listed: Vec<Vec<String>> = account_uuid
        .iter()
        .map(|(name, uuid)| vec![name.clone(), uuid.clone()])
        .collect();
    listed.sort();
    let mut stored = rows(&ws, "SELECT name, uuid FROM account");
    stored.sort();
    assert_eq!(stored, listed);
    assert_eq!(o.success_rows, 40);
    // The same file again, matched by name: nothing changes.
    let (o, _) = import_with(&ws, "account", &fixed_accounts.text(), |r| {
        r.match_on = vec!["name".into()]
    });
    assert_eq!(problems(&o), vec![]);
    assert_eq!(counts(&o), (0, 0, 40, 0));
    assert_eq!(
        joined(
            &ws,
            "SELECT name, account_type, industry, customer_tier, country, phone, annual_revenue, employees \
             FROM account WHERE name IN ('Northwind Group', 'Datum Holding') ORDER BY id"
        ),
        vec![
            "Northwind Group customer AGRI gold DE +442079460100 1000000.00 50",
            "Datum Holding reseller EDU gold CA +442079460139 10750000.00 1493",
        ]
    );

    // 2. Subsidiaries under their group account, by the UUID from the success file.
    let mut subsidiaries = Csv::new(
        ',',
        &["Parent Account UUID", "Account Name", "Industry", "Country"],
    );
    let cities = ["Berlin", "Lyon", "Toronto", "Chicago", "Hamburg"];
    for i in 0..20 {
        let parent = account_name(i);
        subsidiaries.push(cells![
            account_uuid[&parent],
            format!("{} {}", STEMS[i], cities[i % 5]),
            industries[(i + 3) % 12],
            countries[i % 4],
        ]);
    }
    subsidiaries.set(9, "Parent Account UUID", UNKNOWN_UUID);
    subsidiaries.set(14, "Country", "Deutschland");
    let (o, response) = import_with(&ws, "account", &subsidiaries.text(), skip);
    assert_eq!(
        problems(&o),
        vec![(row(9), "unknown_link"), (row(14), "unknown_option")],
        "{:#?}",
        messages(&o)
    );
    assert_eq!(counts(&o), (18, 0, 0, 2));
    assert_response(&o, &subsidiaries, &response);
    assert_eq!(count(&ws, "account"), 58);
    assert_eq!(
        joined(
            &ws,
            "SELECT a.name, p.name FROM account a JOIN account p ON p.uuid = a.parent_account \
             WHERE a.name IN ('Northwind Berlin', 'Datum Hamburg') ORDER BY a.name"
        ),
        vec![
            "Datum Hamburg Datum Group",
            "Northwind Berlin Northwind Group"
        ]
    );

    // 3. Contacts: a quarter under a group account by UUID, a quarter under one by name, half
    // creating ten new accounts by name (each once).
    let mut contacts = Csv::new(
        ',',
        &[
            "Account UUID",
            "Salutation",
            "First Name",
            "Last Name",
            "Job Title",
            "Email",
            "Phone",
            "Roles",
            "Birth Date",
            "Newsletter Subscriber",
            "Account Name",
            "Account Industry",
            "Account Country",
        ],
    );
    let new_accounts = [
        "Globex",
        "Initech",
        "Umbrella",
        "Hooli",
        "Vandelay",
        "Soylent",
        "Acme",
        "Cyberdyne",
        "Wonka",
        "Oscorp",
    ];
    let roles = [
        "Sales/Europe/Germany",
        "Decision Maker",
        "Support/Level 1",
        "administrator/north america/canada",
        "Billing",
        "Influencer",
    ];
    let contact_email = |i: usize, domain: &str| {
        format!(
            "{}.{}{}@{}.example.com",
            FIRST[i % 20].to_lowercase(),
            LAST[(i * 7) % 20].to_lowercase(),
            i,
            slug(domain)
        )
    };
    for i in 0..120 {
        let (uuid, account, industry, country) = match i % 4 {
            0 => (
                account_uuid[&account_name(i % 40)].clone(),
                String::new(),
                "",
                "",
            ),
            1 => (String::new(), account_name((i + 5) % 40), "", ""),
            _ => (
                String::new(),
                new_accounts[(i / 4) % 10].to_string(),
                industries[(i / 4) % 10],
                countries[(i / 4) % 4],
            ),
        };
        let domain = if account.is_empty() {
            account_name(i % 40)
        } else {
            account.clone()
        };
        contacts.push(cells![
            uuid,
            ["Ms", "Mr", "Dr", ""][i % 4],
            FIRST[i % 20],
            LAST[(i * 7) % 20],
            [
                "Head of Purchasing",
                "IT Manager",
                "CFO",
                "Office Manager",
                "Buyer"
            ][i % 5],
            contact_email(i, &domain),
            format!("07911 123{:03}", i),
            roles[i % 6],
            format!("{:02}/{:02}/{}", 1 + i % 28, 1 + i % 12, 1960 + i % 40),
            ["yes", "no", "", "true", "0"][i % 5],
            account,
            industry,
            country,
        ]);
    }
    contacts.set(5, "Email", "ines.wilson5.contoso.example.com");
    contacts.set(21, "Roles", "Sales/Asia");
    contacts.set(41, "Birth Date", "31/02/1980");
    let dup = contacts.get(60, "Email").to_string();
    contacts.set(61, "Email", &dup.to_uppercase());
    contacts.set(77, "Phone", "call reception");
    contacts.set(97, "Newsletter Subscriber", "maybe");
    contacts.set(113, "Last Name", "");
    let failing = [5, 21, 41, 61, 77, 97, 113];
    let (o, response, success) = import_files(&ws, "contact", &contacts.text(), skip);
    assert_eq!(
        problems(&o),
        vec![
            (row(5), "invalid_email"),
            (row(21), "unknown_path"),
            (row(41), "invalid_date"),
            (row(61), "duplicate_in_file"),
            (row(77), "invalid_phone"),
            (row(97), "invalid_boolean"),
            (row(113), "required"),
        ],
        "{:#?}",
        messages(&o)
    );
    // (The duplicate's message quotes the address in lower case, as compared.)
    let mut lines = report(&o);
    lines.remove(3);
    assert_eq!(
        lines,
        vec![
            "7: Email: `ines.wilson5.contoso.example.com` is not an e-mail address: it has no `@` [invalid_email]",
            "23: Roles: `Sales/Asia` is not a path of this list; `Sales` exists but has no `Asia` under it [unknown_path]",
            "43: Birth Date: `31/02/1980` is not a valid date; expected DD/MM/YYYY such as `31/01/2024`, or YYYY-MM-DD [invalid_date]",
            "79: Phone: `call reception` is not a valid phone number for region GB; expected a number such as `+44 20 7946 0958` [invalid_phone]",
            "99: Newsletter Subscriber: `maybe` is not a yes/no value; expected true or false (also t/f, yes/no, 1/0, in any case), or leave it empty [invalid_boolean]",
            "115: Last Name: `Last Name` is required for a new Contact; fill it in (or import with --ignore-required to create records without it) [required]",
        ]
    );
    assert!(
        report(&o)[3].starts_with("63: Email: `"),
        "{:?}",
        report(&o)
    );
    assert!(
        report(&o)[3].ends_with("is already in row 62; `Email` must be unique [duplicate_in_file]")
    );
    assert_eq!(counts(&o), (113, 0, 0, 7));
    assert_eq!(o.linked_created.get("account"), Some(&10));
    assert_response(&o, &contacts, &response);
    let contact_uuid = success_column(&success, ',', "Email", "Contact UUID");
    assert_eq!(contact_uuid.len(), 113);
    let ok_contacts: Vec<usize> = (0..120).filter(|i| !failing.contains(i)).collect();
    assert_eq!(count(&ws, "contact"), 113);
    assert_eq!(count(&ws, "account"), 68);
    assert_eq!(
        joined(
            &ws,
            "SELECT c.email, a.name, a.industry, c.roles, c.birth_date, c.subscribed FROM contact c \
             JOIN account a ON a.uuid = c.account WHERE c.id IN (1, 2, 3) ORDER BY c.id"
        ),
        vec![
            "anna.schmidt0@northwindgroup.example.com Northwind Group AGRI Sales/Europe/Germany 1960-01-01 1",
            "ben.bernard1@litwaregroup.example.com Litware Group HEAL Decision Maker 1961-02-02 0",
            "clara.wilson2@globex.example.com Globex AGRI Support/Level 1 1962-03-03 -",
        ]
    );

    // 4. Marketing events, then leads and opportunities: those of known contacts by the
    // contacts' UUIDs (their account follows), the others creating contact and account.
    let mut events = Csv::new(
        ',',
        &[
            "Event Name",
            "Channel",
            "Start Date",
            "End Date",
            "Location",
            "Budget",
            "Capacity",
        ],
    );
    for (i, (name, channel, city)) in [
        ("Logistics Summit Lyon 2025", "Trade Show", "Eurexpo, Lyon"),
        ("Cloud Webinar Spring", "Webinar", "Online"),
        ("Retail Days Berlin", "Conference", "Estrel, Berlin"),
        ("Partner Roadshow", "Roadshow", "Hamburg"),
        ("Autumn Newsletter", "E-mail Campaign", ""),
        (
            "Energy Forum Toronto",
            "Conference",
            "Metro Centre, Toronto",
        ),
    ]
    .iter()
    .enumerate()
    {
        events.push(cells![
            name,
            channel,
            format!("{:02}/{:02}/2025", 10 + i, 3 + i),
            format!("{:02}/{:02}/2025", 11 + i, 3 + i),
            city,
            format!("{}.00", grouped(8_000 + 2_500 * i as u64, ',')),
            100 + 50 * i,
        ]);
    }
    import_ok(&ws, "marketing_event", &events.text());
    let event_uuids = column(&ws, "SELECT uuid FROM marketing_event ORDER BY id");

    let inline_contact = [
        "Contact First Name",
        "Contact Last Name",
        "Contact Email",
        "Account Name",
        "Account Industry",
    ];
    let mut header = vec![
        "Primary Contact UUID",
        "Lead Topic",
        "Lead Status",
        "Lead Source",
        "Estimated Value",
        "Currency",
    ];
    header.extend(inline_contact);
    let mut leads = Csv::new(',', &header);
    let prospects = |i: usize| format!("{} Prospects", STEMS[(i * 3) % 20]);
    let prospect_email = |i: usize, what: &str| {
        format!(
            "{}.{}@{}.example.org",
            FIRST[(i + 3) % 20].to_lowercase(),
            what,
            slug(&prospects(i))
        )
    };
    for i in 0..40 {
        let known = i % 2 == 0;
        let mut r = cells![
            if known {
                contact_uuid[contacts.get(ok_contacts[i * 2], "Email")].clone()
            } else {
                String::new()
            },
            [
                "Fleet renewal",
                "New office network",
                "Warehouse scanners",
                "Cloud migration"
            ][i % 4],
            ["New", "Contacted", "Qualified", "new", "Disqualified"][i % 5],
            ["Website", "Referral", "Event", "Cold Call", "partner"][i % 5],
            format!("{}.{:02}", grouped(5_000 + 1_250 * i as u64, ','), i),
            ["EUR", "USD", "CAD", "GBP"][i % 4],
        ];
        if known {
            r.extend(cells!["", "", "", "", ""]);
        } else {
            r.extend(cells![
                FIRST[(i + 3) % 20],
                LAST[(i + 11) % 20],
                prospect_email(i, "lead"),
                prospects(i),
                industries[i % 12],
            ]);
        }
        leads.push(r);
    }
    leads.set(11, "Currency", "EURO");
    leads.set(24, "Lead Status", "");
    leads.set(33, "Estimated Value", "-500.00");
    let (o, response, success) = import_files(&ws, "lead", &leads.text(), skip);
    assert_eq!(
        problems(&o),
        vec![
            (row(11), "unknown_currency"),
            (row(24), "required"),
            (row(33), "out_of_range")
        ],
        "{:#?}",
        report(&o)
    );
    assert_eq!(
        report(&o),
        vec![
            "13: Currency: `EURO` is not an ISO 4217 currency code; expected three letters such as `EUR`, `USD` or `JPY` [unknown_currency]",
            "26: Lead Status: `Lead Status` is required for a new Lead; fill it in (or import with --ignore-required to create records without it) [required]",
            "35: Estimated Value: `-500.00` is out of range; expected a number at least 0 [out_of_range]",
        ]
    );
    assert_eq!(counts(&o), (37, 0, 0, 3));
    // 20 rows name 10 new contacts of 10 new accounts (rows i and i + 20 the same), each
    // created once; rows 13 and 35 failed, but their contacts' other rows create them.
    assert_eq!(o.linked_created.get("contact"), Some(&10));
    assert_eq!(o.linked_created.get("account"), Some(&10));
    assert_response(&o, &leads, &response);
    let lead_uuids: Vec<String> = success_column(&success, ',', "Lead UUID", "Lead UUID")
        .into_keys()
        .collect();
    assert_eq!(lead_uuids.len(), 37);
    // Every lead's account is its primary contact's account.
    assert_eq!(
        one(
            &ws,
            "SELECT COUNT(*) FROM lead l JOIN contact c ON c.uuid = l.primary_contact \
             WHERE l.account = c.account"
        ),
        "37"
    );
    assert_eq!(count(&ws, "contact"), 113 + 10);
    assert_eq!(count(&ws, "account"), 68 + 10);

    let mut header = vec![
        "Primary Contact UUID",
        "Source Event UUID",
        "Opportunity Name",
        "Opportunity Status",
        "Products Area",
        "Closed Date",
        "Amount",
        "Currency",
        "Quantity",
        "Probability (%)",
    ];
    header.extend(inline_contact);
    let mut opportunities = Csv::new(',', &header);
    for i in 0..30 {
        let known = i % 3 != 2;
        let contact = ok_contacts[(i * 3 + 1) % ok_contacts.len()];
        let account = if known {
            String::new()
        } else {
            format!("{} Ventures", STEMS[(i * 7) % 20])
        };
        let mut r = cells![
            if known {
                contact_uuid[contacts.get(contact, "Email")].clone()
            } else {
                String::new()
            },
            if i % 5 == 0 {
                event_uuids[i / 5].clone()
            } else {
                String::new()
            },
            format!(
                "{} - {} 2025",
                if known {
                    contacts.get(contact, "Last Name").to_string()
                } else {
                    account.clone()
                },
                ["scanners", "laptops", "cloud backup", "support renewal"][i % 4]
            ),
            [
                "Open",
                "Proposal Sent",
                "Negotiation",
                "Won",
                "Lost",
                "On Hold"
            ][i % 6],
            [
                "Hardware; Support Contracts",
                "Software",
                "Cloud Services;Training",
                "Consulting"
            ][i % 4],
            format!("{:02}/{:02}/2025", 1 + (i * 5) % 28, 1 + i % 12),
            format!("{}.50", grouped(20_000 + 3_333 * i as u64, ',')),
            ["EUR", "USD", "GBP"][i % 3],
            grouped(10 + 97 * i as u64, ','),
            (i * 7) % 101,
        ];
        if known {
            r.extend(cells!["", "", "", "", ""]);
        } else {
            r.extend(cells![
                FIRST[(i + 9) % 20],
                LAST[(i + 4) % 20],
                format!(
                    "{}.buyer@{}.example.net",
                    FIRST[(i + 9) % 20].to_lowercase(),
                    slug(&account)
                ),
                account,
                industries[(i + 2) % 12],
            ]);
        }
        opportunities.push(r);
    }
    opportunities.set(7, "Probability (%)", "150");
    opportunities.set(19, "Products Area", "Hardware;Catering");
    let (o, response, success) = import_files(&ws, "opportunity", &opportunities.text(), skip);
    assert_eq!(
        problems(&o),
        vec![(row(7), "out_of_range"), (row(19), "unknown_option")],
        "{:#?}",
        report(&o)
    );
    assert_eq!(counts(&o), (28, 0, 0, 2));
    assert_eq!(o.linked_created.get("contact"), Some(&10));
    assert_eq!(o.linked_created.get("account"), Some(&10));
    assert_response(&o, &opportunities, &response);
    let opportunity_uuids: Vec<String> =
        success_column(&success, ',', "Opportunity UUID", "Opportunity UUID")
            .into_keys()
            .collect();
    assert_eq!(
        joined(
            &ws,
            "SELECT o.name, o.status, o.products_area, o.closed_date, o.amount, o.quantity, a.name \
             FROM opportunity o JOIN account a ON a.uuid = o.account ORDER BY o.id LIMIT 3"
        ),
        vec![
            "Bernard - scanners 2025 open HW;SUPPORT 2025-01-01 20000.50 10 Litware Group",
            "Fischer - laptops 2025 proposal SW 2025-02-06 23333.50 107 Wingtip Group",
            "Blue Yonder Ventures - cloud backup 2025 negotiation CLOUD;TRAINING 2025-03-11 26666.50 204 Blue Yonder Ventures",
        ]
    );
    assert_eq!(
        one(
            &ws,
            "SELECT COUNT(*) FROM opportunity WHERE source_event IS NOT NULL"
        ),
        "6"
    );

    // 5. Interactions: the kind follows from the link that is filled.
    let mut interactions = Csv::new(
        ',',
        &[
            "Contact UUID",
            "Opportunity UUID",
            "Lead UUID",
            "Source Event UUID",
            "Channel",
            "Subject",
            "Notes",
            "Occurred At",
            "Duration (minutes)",
        ],
    );
    let mut lead_uuids = lead_uuids;
    lead_uuids.sort();
    let mut opportunity_uuids = opportunity_uuids;
    opportunity_uuids.sort();
    for i in 0..60 {
        let contact =
            contact_uuid[contacts.get(ok_contacts[(i * 5) % ok_contacts.len()], "Email")].clone();
        let (opp, lead, event) = match i % 4 {
            0 => (
                opportunity_uuids[i % 28].clone(),
                String::new(),
                String::new(),
            ),
            1 => (String::new(), lead_uuids[i % 37].clone(), String::new()),
            2 => (String::new(), String::new(), event_uuids[i % 6].clone()),
            _ => (String::new(), String::new(), String::new()),
        };
        interactions.push(cells![
            contact,
            opp,
            lead,
            event,
            [
                "Phone Call",
                "Meeting",
                "E-mail",
                "Site Visit",
                "Video Call"
            ][i % 5],
            [
                "Quarterly review",
                "Pricing questions",
                "Demo follow-up",
                "Contract renewal"
            ][i % 4],
            if i % 6 == 0 {
                "Agreed next steps:\n- send quote\n- book a visit"
            } else {
                ""
            },
            format!(
                "{:02}/{:02}/2025 {:02}:{:02}",
                1 + i % 28,
                1 + i % 12,
                8 + i % 10,
                (i * 15) % 60
            ),
            15 + (i % 8) * 15,
        ]);
    }
    interactions.set(13, "Lead UUID", UNKNOWN_UUID);
    interactions.set(30, "Occurred At", "14/03/2025 25:00");
    let (o, response) = import_with(&ws, "interaction", &interactions.text(), skip);
    assert_eq!(
        problems(&o),
        vec![(row(13), "unknown_link"), (row(30), "invalid_datetime")],
        "{:#?}",
        report(&o)
    );
    assert_eq!(counts(&o), (58, 0, 0, 2));
    assert_response(&o, &interactions, &response);
    assert_eq!(
        joined(
            &ws,
            "SELECT kind, COUNT(*) FROM interaction GROUP BY kind ORDER BY kind"
        ),
        vec![
            "lead 14",
            "marketing 14",
            "opportunity 15",
            "relationship 15"
        ]
    );

    // 6. Service requests for accounts and their contacts, then two orders per request.
    let mut requests = Csv::new(
        ',',
        &[
            "Account UUID",
            "Contact UUID",
            "Device UUID",
            "Subject",
            "Priority",
            "Request Status",
            "Opened At",
        ],
    );
    for i in 0..20 {
        let c = ok_contacts[i * 4];
        let email = contacts.get(c, "Email");
        let account = one(
            &ws,
            &format!("SELECT account FROM contact WHERE email = '{email}'"),
        );
        requests.push(cells![
            account,
            contact_uuid[email],
            format!(
                "0191d6a2-7c4e-7b3a-9f1e-{:012x}",
                0x2b8c4d5e6f00_u64 + i as u64
            ),
            [
                "Scanner does not charge",
                "Printer jams",
                "VPN drops",
                "Laptop screen flickers"
            ][i % 4],
            ["Critical", "High", "P3", "Low"][i % 4],
            [
                "Open",
                "In Progress",
                "Waiting for Customer",
                "Resolved",
                "Closed"
            ][i % 5],
            format!("{:02}/04/2025 {:02}:05", 1 + i, 8 + i % 9),
        ]);
    }
    let (o, _, success) = import_files(&ws, "service_request", &requests.text(), |_| {});
    assert_eq!(problems(&o), vec![], "{:#?}", report(&o));
    assert_eq!(counts(&o), (20, 0, 0, 0));
    let mut request_uuids: Vec<String> = success_column(
        &success,
        ',',
        "Service Request UUID",
        "Service Request UUID",
    )
    .into_keys()
    .collect();
    request_uuids.sort();
    let mut orders = Csv::new(
        ',',
        &[
            "Service Request UUID",
            "Order Number",
            "Order Status",
            "Scheduled Date",
            "Technician",
            "Estimated Hours",
        ],
    );
    for i in 0..40 {
        orders.push(cells![
            request_uuids[i / 2],
            if i % 2 == 0 {
                "1".to_string()
            } else {
                format!("{}-A", 1 + i % 3)
            },
            ["Planned", "Dispatched", "In Progress", "Completed"][i % 4],
            format!("{:02}/05/2025", 1 + i % 28),
            format!("{} {}", FIRST[(i + 5) % 20], LAST[(i + 2) % 20]),
            format!("{}.{}", 1 + i % 6, i % 10),
        ]);
    }
    orders.set(17, "Order Number", "1");
    orders.set(28, "Estimated Hours", "1.25");
    orders.set(35, "Service Request UUID", "");
    // All or nothing: three bad rows, nothing written.
    let (o, response) = import_with(&ws, "service_order", &orders.text(), |_| {});
    let expected = vec![
        (row(17), "duplicate_in_file"),
        (row(28), "too_many_decimals"),
        (row(35), "required"),
    ];
    assert_eq!(problems(&o), expected, "{:#?}", report(&o));
    assert!(!o.committed);
    assert_eq!(count(&ws, "service_order"), 0);
    assert_response(&o, &orders, &response);
    assert_eq!(
        report(&o),
        vec![
            format!("19: Order Number: the combination `{} / 1` of `Service Request UUID` and `Order Number` is already in row 18; it must be unique [duplicate_in_file]", request_uuids[8]),
            "30: Estimated Hours: `1.25` has 2 decimal places; this field keeps at most 1 place and intake does not round [too_many_decimals]".into(),
            "37: Service Request UUID: `Service Request UUID` is required for a new Service Order; fill it in (or import with --ignore-required to create records without it) [required]".into(),
        ]
    );
    // Partial: the 37 good orders are written.
    let (o, _) = import_with(&ws, "service_order", &orders.text(), skip);
    assert_eq!(problems(&o), expected);
    assert_eq!(counts(&o), (37, 0, 0, 3));
    assert_eq!(count(&ws, "service_order"), 37);
    let before = joined(
        &ws,
        "SELECT name, account_type, country FROM account ORDER BY id",
    );
    // Reverting the orders' import removes them; everything else stays.
    ws.store.revert(&ws.schema, o.import_id, LATER).unwrap();
    assert_eq!(count(&ws, "service_order"), 0);
    assert_eq!(count(&ws, "service_request"), 20);
    assert_eq!(
        joined(
            &ws,
            "SELECT name, account_type, country FROM account ORDER BY id"
        ),
        before
    );
}

// ---------------------------------------------------------------------------------------------
// rollout

fn rollout_end_to_end() {
    let ws = workspace("rollout");
    let people = [
        ("Lena Hoffmann", "lena.hoffmann"),
        ("Jürgen Müller", "juergen.mueller"),
        ("Sven Krause", "sven.krause"),
        ("Aylin Yılmaz", "aylin.yilmaz"),
        ("Tobias Krüger", "tobias.krueger"),
        ("Mia Schäfer", "mia.schaefer"),
        ("Petra Vogel", "petra.vogel"),
        ("Jonas Weber", "jonas.weber"),
        ("Sophie Neumann", "sophie.neumann"),
        ("Lukas Schwarz", "lukas.schwarz"),
        ("Hannah Zimmermann", "hannah.zimmermann"),
        ("Felix Braun", "felix.braun"),
        ("Emilia Hartmann", "emilia.hartmann"),
        ("Paul Lange", "paul.lange"),
        ("Lea Schmitt", "lea.schmitt"),
        ("Maximilian Werner", "maximilian.werner"),
        ("Laura Krämer", "laura.kraemer"),
        ("Ben Schulz", "ben.schulz"),
        ("Marie König", "marie.koenig"),
        ("Elias Fuchs", "elias.fuchs"),
        ("Clara Peters", "clara.peters"),
        ("Noah Frank", "noah.frank"),
        ("Anna Lehmann", "anna.lehmann"),
        ("Leon Kaiser", "leon.kaiser"),
        ("Emma Huber", "emma.huber"),
        ("Finn Berger", "finn.berger"),
        ("Lina Richter", "lina.richter"),
        ("Moritz Wolf", "moritz.wolf"),
        ("Ida Schröder", "ida.schroeder"),
        ("Karl Dietrich", "karl.dietrich"),
    ];
    let email = |i: usize| format!("{}@example.de", people[i].1);
    let user_id = |i: usize| {
        if i.is_multiple_of(2) {
            format!("P{}", 4711 + i)
        } else {
            people[i].1.replace('.', "_")
        }
    };

    // 1. Users: all or nothing with three mistakes, then the fixed file, then the same again.
    let mut users = Csv::new(
        ';',
        &["Name", "Email", "User ID", "Role", "Phone", "Department"],
    );
    for (i, (name, _)) in people.iter().enumerate() {
        users.push(cells![
            name,
            email(i),
            user_id(i),
            match i {
                0..=5 => "Technician",
                6 => "Rollout Manager",
                _ => "End User",
            },
            format!("030 {}", 2_345_600 + i),
            [
                "IT",
                "Finance",
                "Sales",
                "Controlling",
                "Einkauf",
                "Personal"
            ][i % 6],
        ]);
    }
    let fixed_users = users.clone();
    users.set(9, "Email", "lukas.schwarz(at)example.de");
    users.set(22, "User ID", "a lehmann");
    users.set(27, "Name", people[3].0);
    let (o, response) = import_with(&ws, "user", &users.text(), |_| {});
    assert_eq!(
        problems(&o),
        vec![
            (row(9), "invalid_email"),
            (row(22), "pattern_mismatch"),
            (row(27), "duplicate_in_file")
        ],
        "{:#?}",
        report(&o)
    );
    assert_eq!(
        report(&o),
        vec![
            "11: Email: `lukas.schwarz(at)example.de` is not an e-mail address: it has no `@` [invalid_email]",
            "24: User ID: `a lehmann` does not have the required form; expected letters, digits, `.`, `_` or `-`, without spaces [pattern_mismatch]",
            "29: Name: `Aylin Yılmaz` is already in row 5; `Name` must be unique [duplicate_in_file]",
        ]
    );
    assert!(!o.committed);
    assert_eq!(count(&ws, "user"), 0);
    assert_response(&o, &users, &response);
    let o = import_ok(&ws, "user", &fixed_users.text());
    assert_eq!(counts(&o), (30, 0, 0, 0));
    let (o, _) = import_with(&ws, "user", &fixed_users.text(), |r| {
        r.match_on = vec!["email".into()]
    });
    assert_eq!(problems(&o), vec![]);
    assert_eq!(counts(&o), (0, 0, 30, 0));
    assert_eq!(
        joined(
            &ws,
            "SELECT name, email, user_id, role, phone FROM \"user\" WHERE id IN (2, 7) ORDER BY id"
        ),
        vec![
            "Jürgen Müller juergen.mueller@example.de juergen_mueller technician +49302345601",
            "Petra Vogel petra.vogel@example.de P4717 manager +49302345606",
        ]
    );

    // 2. Clients: 180 notebooks, then 20 docking stations, each linked by name to a notebook
    // and standing where it stands (half leave the shared fields to the notebook, half repeat
    // them).
    let mut clients = Csv::new(
        ';',
        &[
            "Name",
            "Status",
            "Assignee",
            "Client User",
            "Location",
            "Room",
            "Device Model",
            "Serial Number",
            "Operating System",
            "Software Packages",
            "Monitors",
            "Docking Station",
            "Rollout Date",
            "Purchase Price",
        ],
    );
    let locations = ["Berlin HQ", "Hamburg", "Munich", "Frankfurt", "Home Office"];
    let codes = ["BER", "HAM", "MUC", "FRA", "HOME"];
    let models = [
        "Latitude 5450",
        "Latitude 7450",
        "ThinkPad T14 Gen 5",
        "ThinkPad X1 Carbon Gen 12",
        "EliteBook 840 G11",
        "OptiPlex 7020 Micro",
        "MacBook Air 13 M3",
        "Surface Laptop 6",
    ];
    // Seat i: a notebook, or a docking station when i ends in 9; seats 10k..10k+9 share a
    // location, a room and a rollout date.
    let client_name = |i: usize| {
        let kind = if i % 10 == 9 { "DS" } else { "NB" };
        format!("{}-{kind}-{:04}", codes[(i / 10) % 5], 1 + i)
    };
    let location = |i: usize| locations[(i / 10) % 5];
    let room = |i: usize| format!("B{} {}.{:02}", 1 + (i / 10) % 3, 1 + (i / 10) % 5, i / 10);
    let rollout_date = |i: usize| format!("{:02}.{:02}.2025", 1 + (i / 10) % 28, 5 + i / 70);
    for i in (0..200).filter(|i| i % 10 != 9) {
        let technician = i % 6;
        let assignee = match i % 3 {
            0 => email(technician).to_uppercase(),
            1 => user_id(technician),
            _ => people[technician].0.to_string(),
        };
        let model = models[i % 8];
        clients.push(cells![
            client_name(i),
            ["Planned", "Scheduled", "In Progress", "Done", "On Hold"][(i / 3) % 5],
            assignee,
            people[7 + i % 23].0,
            location(i),
            room(i),
            model,
            format!("PF{:06}X", 100_000 + i * 7),
            if model.starts_with("MacBook") {
                "macOS"
            } else {
                ["Windows 11 Enterprise", "windows 11 pro", "Ubuntu LTS"][i % 3]
            },
            [
                "Microsoft 365 Apps;Teams",
                "teams; vpn",
                "SAP GUI;VPN Client;Acrobat Reader",
                "Chrome",
                ""
            ][i % 5],
            i % 4,
            ["yes", "no", "true", ""][i % 4],
            rollout_date(i),
            format!("{},{:02}", grouped(899 + 13 * i as u64, '.'), i % 100),
        ]);
    }
    clients.set(13, "Status", "Waiting");
    clients.set(37, "Assignee", "Max Mustermann");
    let serial = clients.get(70, "Serial Number").to_string();
    clients.set(74, "Serial Number", &serial);
    clients.set(111, "Rollout Date", "31.02.2025");
    clients.set(148, "Purchase Price", "1.349,999");
    clients.set(169, "Software Packages", "Teams;Zoom");
    let (o, response) = import_with(&ws, "client", &clients.text(), skip);
    let expected = vec![
        (row(13), "unknown_option"),
        (row(37), "unknown_link"),
        (row(74), "duplicate_in_file"),
        (row(111), "invalid_date"),
        (row(148), "too_many_decimals"),
        (row(169), "unknown_option"),
    ];
    assert_eq!(problems(&o), expected, "{:#?}", report(&o));
    assert_eq!(
        report(&o),
        vec![
            "15: Status: `Waiting` is not an option of this list; expected one of `Planned` (planned), `Scheduled` (scheduled), `In Progress` (in_progress), `Done` (done), `On Hold` (on_hold), `Cancelled` (cancelled) [unknown_option]",
            "39: Assignee: no `user` record has `email`, `user_id` or `name` `Max Mustermann`; `Assignee` must name an existing record by its UUID or `email`, `user_id` or `name` [unknown_link]",
            "76: Serial Number: `PF100539X` is already in row 72; `Serial Number` must be unique [duplicate_in_file]",
            "113: Rollout Date: `31.02.2025` is not a valid date; expected DD.MM.YYYY such as `31.01.2024`, or YYYY-MM-DD [invalid_date]",
            "150: Purchase Price: `1.349,999` has 3 decimal places; this field keeps at most 2 places and intake does not round [too_many_decimals]",
            "171: Software Packages: `Zoom` is not an option of this list; separate options with `;` and use `Microsoft 365 Apps` (m365), `Teams` (teams), `Acrobat Reader` (acrobat), `Chrome` (chrome), `Firefox` (firefox), `SAP GUI` (sap_gui), `VPN Client` (vpn), `7-Zip` (7zip), and 1 more (see `intake describe`) [unknown_option]",
        ]
    );
    assert_eq!(counts(&o), (174, 0, 0, 6));
    assert_response(&o, &clients, &response);
    assert_eq!(count(&ws, "client"), 174);
    assert_eq!(
        joined(
            &ws,
            "SELECT c.name, c.status, a.name, u.email, c.location, c.room, c.software, c.monitors, \
             c.docking_station, c.scheduled_on, c.purchase_price FROM client c \
             JOIN \"user\" a ON a.uuid = c.assignee JOIN \"user\" u ON u.uuid = c.client_user \
             WHERE c.name IN ('BER-NB-0001', 'BER-NB-0002', 'HAM-NB-0011') ORDER BY c.id"
        ),
        vec![
            "BER-NB-0001 planned Lena Hoffmann jonas.weber@example.de BER B1 1.00 m365;teams 0 1 2025-05-01 899.00",
            "BER-NB-0002 planned Jürgen Müller sophie.neumann@example.de BER B1 1.00 teams;vpn 1 0 2025-05-01 912.01",
            "HAM-NB-0011 done Tobias Krüger ben.schulz@example.de HAM B2 2.01 m365;teams 2 1 2025-05-02 1029.10",
        ]
    );
    // The same file again, matched by name: the written rows are unchanged, the bad ones fail
    // again (the duplicate serial number now also names the stored client that has it).
    let (o, _) = import_with(&ws, "client", &clients.text(), |r| {
        r.on_error = OnError::Skip;
        r.match_on = vec!["name".into()];
    });
    let mut again = expected.clone();
    again.insert(3, (row(74), "duplicate_in_store"));
    assert_eq!(problems(&o), again, "{:#?}", report(&o));
    assert_eq!(counts(&o), (0, 0, 174, 6));

    let mut stations = Csv::new(
        ';',
        &[
            "Name",
            "Status",
            "Linked Client",
            "Location",
            "Room",
            "Rollout Date",
            "Serial Number",
        ],
    );
    for k in 0..20 {
        let i = 10 * k + 9;
        let repeat = k % 2 == 1;
        stations.push(cells![
            client_name(i),
            "Planned",
            client_name(i - 1),
            if repeat { location(i) } else { "" },
            if repeat { room(i) } else { String::new() },
            if repeat {
                rollout_date(i)
            } else {
                String::new()
            },
            format!("DS{:06}", 500_000 + i),
        ]);
    }
    // The last row moves a notebook whose station (row 7) repeats the old room: both fail.
    stations.push(cells![client_name(58), "", "", "", "B9 9.99", "", ""]);
    let (o, response) = import_with(&ws, "client", &stations.text(), |r| {
        r.on_error = OnError::Skip;
        r.match_on = vec!["name".into()];
    });
    assert_eq!(
        problems(&o),
        vec![
            (row(5), "shared_field_conflict"),
            (row(20), "shared_field_conflict")
        ],
        "{:#?}",
        report(&o)
    );
    assert_eq!(
        report(&o),
        vec![
            "7: Room: rows 7 and 22 set `Room` to `B3 1.05` and `B9 9.99` on two clients linked by `Linked Client`; linked clients share `Room`, so give both rows the same value [shared_field_conflict]",
            "22: Room: rows 7 and 22 set `Room` to `B3 1.05` and `B9 9.99` on two clients linked by `Linked Client`; linked clients share `Room`, so give both rows the same value [shared_field_conflict]",
        ]
    );
    assert_eq!((counts(&o), o.shared_updated), ((19, 0, 0, 2), 10));
    assert_response(&o, &stations, &response);
    // Every docking station stands where its notebook stands.
    assert_eq!(
        one(
            &ws,
            "SELECT COUNT(*) FROM client d JOIN client n ON n.uuid = d.linked_client \
             WHERE d.location = n.location AND d.room = n.room AND d.scheduled_on = n.scheduled_on"
        ),
        "19"
    );
    assert_eq!(
        joined(
            &ws,
            "SELECT d.name, d.location, d.room, d.scheduled_on, n.name FROM client d \
             JOIN client n ON n.uuid = d.linked_client ORDER BY d.id LIMIT 2"
        ),
        vec![
            "BER-DS-0010 BER B1 1.00 2025-05-01 BER-NB-0009",
            "HAM-DS-0020 HAM B2 2.01 2025-05-02 HAM-NB-0019",
        ]
    );

    // 3. New options: a closed list (the workflow) never grows, the others do when asked.
    let mut extra = Csv::new(
        ';',
        &[
            "Name",
            "Status",
            "Assignee",
            "Client User",
            "Device Model",
            "Software Packages",
        ],
    );
    for i in 0..10 {
        extra.push(cells![
            format!("MUC-NB-{:04}", 901 + i),
            if i == 4 { "Waiting" } else { "Planned" },
            user_id(i % 6),
            email(10 + i),
            if i % 2 == 0 {
                "Framework Laptop 13"
            } else {
                "Latitude 5450"
            },
            "Teams;Zoom;Slack",
        ]);
    }
    let (o, response) = import_with(&ws, "client", &extra.text(), |r| {
        r.on_error = OnError::Skip;
        r.options.create_missing_options = true;
    });
    assert_eq!(
        problems(&o),
        vec![(row(4), "unknown_option")],
        "{:#?}",
        report(&o)
    );
    assert_eq!(counts(&o), (9, 0, 0, 1));
    assert_response(&o, &extra, &response);
    assert_eq!(
        joined(
            &ws,
            "SELECT name, device_model, software FROM client WHERE name LIKE 'MUC-NB-09%' ORDER BY id LIMIT 2"
        ),
        vec![
            "MUC-NB-0901 Framework Laptop 13 teams;Zoom;Slack",
            "MUC-NB-0902 Latitude 5450 teams;Zoom;Slack",
        ]
    );
    assert_eq!(
        joined(
            &ws,
            "SELECT list, code FROM _intake_options ORDER BY list, code"
        ),
        vec![
            "device_model Framework Laptop 13",
            "software_package Slack",
            "software_package Zoom",
        ]
    );

    // 4. Twenty notebooks move: their stations move with them. Reverting restores both.
    let rooms = || {
        joined(
            &ws,
            "SELECT name, location, room, scheduled_on FROM client ORDER BY id",
        )
    };
    let before = rooms();
    let mut moves = Csv::new(';', &["Name", "Location", "Room", "Rollout Date"]);
    for i in (0..200).filter(|i| i % 10 == 8 || i % 10 == 3).take(20) {
        moves.push(cells![
            client_name(i),
            "Frankfurt",
            format!("F{} 0.{:02}", i % 4, i % 50),
            "01.09.2025"
        ]);
    }
    let (o, _) = import_with(&ws, "client", &moves.text(), |r| {
        r.match_on = vec!["name".into()];
        r.options.mode = Mode::Update;
    });
    assert_eq!(problems(&o), vec![], "{:#?}", report(&o));
    // Nine of them have a docking station (the station of BER-NB-0059 failed above).
    assert_eq!((counts(&o), o.shared_updated), ((0, 20, 0, 0), 9));
    assert_eq!(
        joined(
            &ws,
            "SELECT name, location, room, scheduled_on FROM client WHERE name IN ('BER-NB-0009', 'BER-DS-0010') ORDER BY name"
        ),
        vec![
            "BER-DS-0010 FRA F0 0.08 2025-09-01",
            "BER-NB-0009 FRA F0 0.08 2025-09-01",
        ]
    );
    ws.store.revert(&ws.schema, o.import_id, LATER).unwrap();
    assert_eq!(rooms(), before);
}

// ---------------------------------------------------------------------------------------------
// msp

fn msp_end_to_end() {
    let ws = workspace("msp");
    // One row per site: 60 companies with 5 sites each, the company columns repeated.
    let mut sites = Csv::new(
        ',',
        &[
            "Company ID",
            "Company Name",
            "Company Type",
            "Company Website",
            "Site ID",
            "Site Name",
            "Address Line 1",
            "Address Line 2",
            "City",
            "State",
            "Postal Code",
            "Country",
            "Email",
            "Email Type",
            "Phone",
            "Phone Type",
            "Phone Country",
            "Social Profile",
            "Social Type",
        ],
    );
    let places = [
        ("Dallas", "TX", "75201", "US"),
        ("Austin", "TX", "73301", "US"),
        ("Chicago", "IL", "60601", "US"),
        ("Denver", "CO", "80202", "US"),
        ("Seattle", "WA", "98101", "US"),
        ("Boston", "MA", "02108", "US"),
        ("Toronto", "ON", "M5H 2N2", "CA"),
        ("Miami", "FL", "33101", "US"),
        ("Phoenix", "AZ", "85001", "US"),
        ("Vancouver", "BC", "V6B 1A1", "CA"),
    ];
    let company_id = |c: usize| {
        format!(
            "{}{:02}",
            STEMS[c % 20].to_uppercase().replace(' ', ""),
            1 + c / 20
        )
    };
    let company_name = |c: usize| {
        format!(
            "{} {}",
            STEMS[c % 20],
            ["Traders", "Systems", "Logistics"][c / 20]
        )
    };
    for r in 0..300 {
        let (c, s) = (r / 5, r % 5);
        let (city, state, postal, country) = places[(c + s * 3) % 10];
        let site_id = ["HQ1", "DC1", "BR1", "BR2", "WH1"][s];
        let slug = slug(&company_name(c));
        sites.push(cells![
            company_id(c),
            company_name(c),
            ["Customer", "prospect", "Partner", "Vendor"][c % 4],
            format!("https://www.{slug}.example.com"),
            site_id,
            format!(
                "{city} {}",
                [
                    "Head Office",
                    "Data Centre",
                    "Branch",
                    "Service Point",
                    "Warehouse"
                ][s]
            ),
            format!(
                "{} {} Street",
                100 + r * 7,
                ["Main", "Elm", "Oak", "Pine", "Maple", "Cedar"][r % 6]
            ),
            if r % 3 == 0 {
                format!("Suite {}", 100 + (r % 9) * 10)
            } else {
                String::new()
            },
            city,
            if r % 2 == 0 {
                state.to_string()
            } else {
                format!("{country}-{state}")
            },
            postal,
            country,
            format!(
                "{}.{}@{slug}.example.com",
                site_id.to_lowercase(),
                city.to_lowercase()
            ),
            ["Work", "Support", "billing"][r % 3],
            if country == "US" {
                format!("(214) 555-01{:02}", r % 100)
            } else {
                format!("+1 416 555 01{:02}", r % 100)
            },
            ["Main", "Direct", "Fax", "after hours"][r % 4],
            country,
            if s == 0 {
                format!("https://www.linkedin.com/company/{slug}")
            } else {
                String::new()
            },
            if s == 0 { "LinkedIn" } else { "" },
        ]);
    }
    let fixed = sites.clone();
    sites.set(37, "Site Name", "Branch North, Annex");
    sites.set(75, "Country", "USA");
    sites.set(111, "Company ID", "FOURTHCOFFEE-02");
    sites.set(148, "Site ID", "BRANCHNORTHWESTERNREGIONALOFFICE1");
    sites.set(185, "State", "ON");
    sites.set(222, "Email", "support@@example.com");
    let site_id = sites.get(258, "Site ID").to_string();
    sites.set(259, "Site ID", &site_id);
    sites.set(291, "Company Name", "Woodgrove Logistics, Inc");
    let expected = vec![
        (row(37), "forbidden_character"),
        (row(75), "unknown_country"),
        (row(111), "charset_violation"),
        (row(148), "too_long"),
        (row(185), "unknown_subdivision"),
        (row(222), "invalid_email"),
        (row(259), "duplicate_in_file"),
        (row(291), "forbidden_character"),
    ];

    // All or nothing (the engine's default): nothing is written.
    let (o, response) = import_with(&ws, "site", &sites.text(), |_| {});
    assert_eq!(problems(&o), expected, "{:#?}", report(&o));
    assert_eq!(
        report(&o),
        vec![
            "39: Site Name: `Branch North, Annex` contains `,`, which this field does not allow [forbidden_character]",
            "77: Country: `USA` is not an ISO 3166-1 alpha-2 country code; did you mean `US` (United States of America)? [unknown_country]",
            "113: Company ID: `FOURTHCOFFEE-02` contains `-`; letters and digits only are allowed [charset_violation]",
            "150: Site ID: the text has 33 characters; at most 30 are allowed [too_long]",
            "187: State: `ON` is not an ISO 3166-2 subdivision code; expected a code of US such as `AK` [unknown_subdivision]",
            "224: Email: `support@@example.com` is not an e-mail address: it is not of the form `name@example.com` [invalid_email]",
            "261: Site ID: the combination `FOURTHCOFFEE03 / BR2` of `Company ID` and `Site ID` is already in row 260; it must be unique [duplicate_in_file]",
            "293: Company Name: `Woodgrove Logistics, Inc` contains `,`, which this field does not allow [forbidden_character]",
        ]
    );
    assert!(!o.committed);
    assert_eq!((count(&ws, "company"), count(&ws, "site")), (0, 0));
    assert_response(&o, &sites, &response);

    // Partial, as the msp workspace imports by default: the good sites go in.
    let (o, response) = import_with(&ws, "site", &sites.text(), skip);
    assert_eq!(problems(&o), expected, "{:#?}", report(&o));
    assert_eq!(counts(&o), (292, 0, 0, 8));
    assert_eq!(o.linked_created.get("company"), Some(&60));
    assert_response(&o, &sites, &response);
    assert_eq!((count(&ws, "company"), count(&ws, "site")), (60, 292));
    assert_eq!(
        joined(
            &ws,
            "SELECT co.company_id, co.name, co.company_type, s.site_id, s.name, s.state, s.postal_code, \
             s.country, s.email_type, s.phone, s.phone_type, s.social_type FROM site s \
             JOIN company co ON co.uuid = s.company WHERE co.company_id = 'NORTHWIND01' ORDER BY s.id"
        ),
        vec![
            "NORTHWIND01 Northwind Traders customer HQ1 Dallas Head Office US-TX 75201 US work +12145550100 main linkedin",
            "NORTHWIND01 Northwind Traders customer DC1 Denver Data Centre US-CO 80202 US support +12145550101 direct -",
            "NORTHWIND01 Northwind Traders customer BR1 Toronto Branch CA-ON M5H 2N2 CA billing +14165550102 fax -",
            "NORTHWIND01 Northwind Traders customer BR2 Vancouver Service Point CA-BC V6B 1A1 CA work +14165550103 after_hours -",
            "NORTHWIND01 Northwind Traders customer WH1 Chicago Warehouse US-IL 60601 US support +12145550104 main -",
        ]
    );
    assert_eq!(
        joined(
            &ws,
            "SELECT company_type, COUNT(*) FROM company GROUP BY company_type ORDER BY company_type"
        ),
        vec!["customer 15", "partner 15", "prospect 15", "vendor 15"]
    );

    // The response file, fixed and imported as it came back (its `Import errors` column is
    // ignored), creates the eight missing sites.
    let mut back = parse_csv(&response, ',');
    for r in back.iter_mut().skip(1) {
        let i = fixed
            .rows
            .iter()
            .position(|f| f[sites.col("Address Line 1")] == r[sites.col("Address Line 1")])
            .unwrap();
        let errors = r.pop().unwrap();
        *r = fixed.rows[i].clone();
        r.push(errors);
    }
    let back = Csv {
        delim: ',',
        header: back[0].clone(),
        rows: back[1..].to_vec(),
    };
    assert_eq!(back.rows.len(), 8);
    let (o, _) = import_with(&ws, "site", &back.text(), |_| {});
    assert_eq!(problems(&o), vec![], "{:#?}", report(&o));
    assert_eq!(counts(&o), (8, 0, 0, 0));
    assert!(o.linked_created.is_empty());
    assert_eq!((count(&ws, "company"), count(&ws, "site")), (60, 300));
    let fix_import = o.import_id;

    // The whole fixed file again, matched by company and site ID: nothing changes.
    let (o, _) = import_with(&ws, "site", &fixed.text(), |r| {
        r.match_on = vec!["company".into(), "site_id".into()]
    });
    assert_eq!(problems(&o), vec![], "{:#?}", report(&o));
    assert_eq!(counts(&o), (0, 0, 300, 0));
    assert!(o.linked_created.is_empty());

    // Reverting the import of the fixed rows takes the eight sites out again.
    ws.store.revert(&ws.schema, fix_import, LATER).unwrap();
    assert_eq!((count(&ws, "company"), count(&ws, "site")), (60, 292));
}

// ---------------------------------------------------------------------------------------------
// ticketing

fn ticketing_end_to_end() {
    let ws = workspace("ticketing");

    // 1. Criteria by internal code: all or nothing with three mistakes, then fixed.
    let mut criteria = Csv::new(
        ';',
        &["Criterion Code", "Criterion Name", "Group", "Description"],
    );
    let codes = [
        ("OPERA", "Opera", "Interests"),
        ("BALLET", "Ballet", "INTEREST"),
        ("SYMPHONIC", "Symphonic concerts", "Interests"),
        ("CHAMBER", "Chamber music", "Interests"),
        ("JAZZ", "Jazz", "Interests"),
        ("FAMILY", "Family shows", "Interests"),
        ("NEWSLETTER", "Preferred newsletter", "Newsletters"),
        ("MEMBERSHIP", "Membership", "MEMBERSHIP"),
        ("WHEELCHAIR", "Wheelchair space", "Accessibility"),
        ("HEARING_LOOP", "Hearing loop", "Accessibility"),
        ("YOUNG_AUDIENCE", "Young audience", "Membership"),
        ("GIFT_VOUCHER", "Gift voucher buyer", "Interests"),
    ];
    for (code, name, group) in codes {
        criteria.push(cells![
            code,
            name,
            group,
            format!("Set when the contact tells us: {name}.")
        ]);
    }
    let fixed_criteria = criteria.clone();
    criteria.set(3, "Criterion Code", "chamber");
    criteria.set(8, "Group", "Hobbies");
    criteria.set(10, "Criterion Code", "SYMPHONIC");
    let (o, response) = import_with(&ws, "criterion", &criteria.text(), |_| {});
    assert_eq!(
        problems(&o),
        vec![
            (row(3), "pattern_mismatch"),
            (row(8), "unknown_option"),
            (row(10), "duplicate_in_file")
        ],
        "{:#?}",
        report(&o)
    );
    assert_eq!(
        report(&o),
        vec![
            "5: Criterion Code: `chamber` does not have the required form; expected capital letters, digits and `_`, starting with a letter, such as NEWSLETTER [pattern_mismatch]",
            "10: Group: `Hobbies` is not an option of this list; expected one of `Interests` (INTEREST), `Newsletters` (NEWSLETTER), `Membership` (MEMBERSHIP), `Accessibility` (ACCESS) [unknown_option]",
            "12: Criterion Code: `SYMPHONIC` is already in row 4; `Criterion Code` must be unique [duplicate_in_file]",
        ]
    );
    assert!(!o.committed);
    assert_eq!(count(&ws, "criterion"), 0);
    assert_response(&o, &criteria, &response);
    let o = import_ok(&ws, "criterion", &fixed_criteria.text());
    assert_eq!(counts(&o), (12, 0, 0, 0));

    // 2. Contacts: nothing is required (some have no e-mail, some no contact number);
    // authorisations are true, false or unknown.
    let first = [
        "Claire", "Luca", "Anna", "Marc", "Sophie", "Thomas", "Chiara", "Nicolas", "Laura",
        "Stefan", "Elena", "Julien", "Sara", "Reto", "Camille",
    ];
    let last = [
        "Favre", "Rossi", "Meier", "Dubois", "Keller", "Bianchi", "Brunner", "Girard", "Huber",
        "Fontana", "Gerber", "Morel", "Steiner", "Rochat", "Baumann", "Ferrari", "Frei",
    ];
    let places = [
        ("1204", "Genève", "CH", "Rue du Rhône"),
        ("8001", "Zürich", "CH", "Bahnhofstrasse"),
        ("3011", "Bern", "CH", "Marktgasse"),
        ("1003", "Lausanne", "CH", "Rue de Bourg"),
        ("4051", "Basel", "CH", "Freie Strasse"),
        ("74100", "Annemasse", "FR", "Rue de Genève"),
        ("79539", "Lörrach", "DE", "Tumringer Strasse"),
    ];
    let tri = ["true", "false", "", "yes", "no", "T", "F", "1", "0", ""];
    let contact_id = |i: usize| (100_000 + 13 * i).to_string();
    let has_id = |i: usize| i % 5 != 4;
    let has_email = |i: usize| i % 10 != 7;
    let contact_email = |i: usize| {
        format!(
            "{}.{}{}@example.ch",
            first[i % 15].to_lowercase(),
            last[i % 17].to_lowercase(),
            i
        )
    };
    let mut contacts = Csv::new(
        ';',
        &[
            "Contact ID",
            "Title",
            "First Name",
            "Last Name",
            "Email",
            "Phone",
            "Language",
            "Street",
            "Postal Code",
            "City",
            "Country",
            "Birth Date",
            "Allow Email",
            "Allow SMS",
            "Allow Post",
            "Allow Phone",
        ],
    );
    for i in 0..150 {
        let (postal, city, country, street) = places[i % 7];
        contacts.push(cells![
            if has_id(i) {
                contact_id(i)
            } else {
                String::new()
            },
            ["Mrs", "Mr", "ms", "Dr", "Prof", ""][i % 6],
            first[i % 15],
            last[i % 17],
            if has_email(i) {
                contact_email(i)
            } else {
                String::new()
            },
            if i % 4 == 3 {
                String::new()
            } else {
                format!("079 123 45 {:02}", i % 100)
            },
            ["French", "de", "German", "it", "English"][i % 5],
            format!("{street} {}", 1 + i % 60),
            postal,
            city,
            country,
            format!(
                "{:02}.{:02}.{}",
                1 + (i * 3) % 28,
                1 + i % 12,
                1940 + i % 60
            ),
            tri[i % 10],
            tri[(i + 3) % 10],
            tri[(i + 5) % 10],
            tri[(i + 7) % 10],
        ]);
    }
    contacts.set(37, "Email", "claire.favre at example.ch");
    contacts.set(74, "Country", "Schweiz");
    contacts.set(111, "Contact ID", "1234567890123");
    let dup = contacts.get(119, "Email").to_string();
    contacts.set(120, "Email", &dup);
    contacts.set(148, "Allow SMS", "maybe");
    let failing = [37, 74, 111, 120, 148];
    let (o, response) = import_with(&ws, "contact", &contacts.text(), skip);
    assert_eq!(
        problems(&o),
        vec![
            (row(37), "invalid_email"),
            (row(74), "unknown_country"),
            (row(111), "pattern_mismatch"),
            (row(120), "duplicate_in_file"),
            (row(148), "invalid_boolean"),
        ],
        "{:#?}",
        report(&o)
    );
    assert_eq!(
        report(&o),
        vec![
            "39: Email: `claire.favre at example.ch` is not an e-mail address: it has no `@` [invalid_email]",
            "76: Country: `Schweiz` is not an ISO 3166-1 alpha-2 country code; expected a two-letter ISO 3166-1 code such as `DE`, `FR` or `US` [unknown_country]",
            "113: Contact ID: `1234567890123` does not have the required form; expected digits only, at most 12, as printed on the contact's file [pattern_mismatch]",
            "122: Email: `camille.favre119@example.ch` is already in row 121; `Email` must be unique [duplicate_in_file]",
            "150: Allow SMS: `maybe` is not a yes/no value; expected true or false (also t/f, yes/no, 1/0, in any case), or leave it empty [invalid_boolean]",
        ]
    );
    assert_eq!(counts(&o), (145, 0, 0, 5));
    assert_response(&o, &contacts, &response);
    assert_eq!(count(&ws, "contact"), 145);
    // The three states of each authorisation: unknown stays NULL.
    assert_eq!(
        joined(
            &ws,
            "SELECT contact_id, title, email, phone, language, city, country, birth_date, \
             allow_email, allow_sms, allow_post, allow_phone FROM contact WHERE id <= 3 ORDER BY id"
        ),
        vec![
            "100000 MRS claire.favre0@example.ch +41791234500 fr Genève CH 1940-01-01 1 1 1 1",
            "100013 MR luca.rossi1@example.ch +41791234501 de Zürich CH 1941-02-04 0 0 0 0",
            "100026 MS anna.meier2@example.ch +41791234502 de Bern CH 1942-03-07 - 1 1 -",
        ]
    );
    assert_eq!(
        joined(
            &ws,
            "SELECT COUNT(allow_email), COUNT(*) - COUNT(allow_email) FROM contact"
        ),
        vec!["115 30",]
    );
    let ok = |i: &usize| !failing.contains(i);

    // 3. Updates by e-mail (in any case) and by contact number; an unknown one is not found.
    let mut by_email = Csv::new(';', &["Email", "Allow Email", "Allow SMS", "City"]);
    for i in (0..150).filter(|i| has_email(*i) && ok(i)).take(30) {
        by_email.push(cells![
            if i % 2 == 0 {
                contact_email(i).to_uppercase()
            } else {
                contact_email(i)
            },
            ["false", "", "true"][i % 3],
            ["", "no", ""][i % 3],
            "Montreux",
        ]);
    }
    by_email.push(cells!["nobody@example.ch", "true", "", "Sion"]);
    let (o, response) = import_with(&ws, "contact", &by_email.text(), |r| {
        r.on_error = OnError::Skip;
        r.match_on = vec!["email".into()];
        r.options.mode = Mode::Update;
    });
    assert_eq!(
        problems(&o),
        vec![(row(30), "not_found")],
        "{:#?}",
        report(&o)
    );
    assert_eq!(
        report(&o),
        vec![
            "32: Email: no Contact has `Email` `nobody@example.ch`; update mode needs an existing record (check the value, or leave it empty to create a new record in upsert mode) [not_found]",
        ]
    );
    assert_eq!(counts(&o), (0, 30, 0, 1));
    assert_response(&o, &by_email, &response);
    let mut by_id = Csv::new(';', &["Contact ID", "Language", "Birth Date", "Allow Post"]);
    for i in (0..150).filter(|i| has_id(*i) && ok(i)).skip(40).take(20) {
        by_id.push(cells![
            contact_id(i),
            "Italian",
            "29.02.1984",
            ["t", "f", ""][i % 3]
        ]);
    }
    by_id.push(cells!["999999999", "French", "", ""]);
    let (o, _) = import_with(&ws, "contact", &by_id.text(), |r| {
        r.on_error = OnError::Skip;
        r.match_on = vec!["contact_id".into()];
        r.options.mode = Mode::Update;
    });
    assert_eq!(
        problems(&o),
        vec![(row(20), "not_found")],
        "{:#?}",
        report(&o)
    );
    assert_eq!(counts(&o), (0, 20, 0, 1));
    assert_eq!(
        joined(
            &ws,
            "SELECT language, COUNT(*) FROM contact WHERE birth_date = '1984-02-29' GROUP BY language"
        ),
        vec!["it 20"]
    );
    assert_eq!(
        joined(
            &ws,
            &format!(
                "SELECT contact_id, language, birth_date, allow_post FROM contact WHERE contact_id IN ('{}', '{}', '{}') ORDER BY id",
                by_id.get(0, "Contact ID"),
                by_id.get(1, "Contact ID"),
                by_id.get(2, "Contact ID")
            )
        ),
        vec![
            "100663 it 1984-02-29 1",
            "100676 it 1984-02-29 0",
            "100689 it 1984-02-29 0",
        ]
    );
    assert_eq!(
        one(&ws, "SELECT COUNT(*) FROM contact WHERE city = 'Montreux'"),
        "30"
    );

    // 4. Contact-criterion associations: the contact by e-mail or number, the criterion by
    // its code, the value by its internal code.
    let value = |c: usize, i: usize| match codes[c].0 {
        "NEWSLETTER" => ["NEWSLETTER_FR", "NEWSLETTER_DE", "NEWSLETTER_EN"][i % 3],
        "MEMBERSHIP" => ["MEMBER_FRIEND", "MEMBER_PATRON"][i % 2],
        "YOUNG_AUDIENCE" => "MEMBER_YOUNG",
        "WHEELCHAIR" => "ACCESS_WHEELCHAIR",
        "HEARING_LOOP" => "ACCESS_HEARING_LOOP",
        "OPERA" => "INTEREST_OPERA",
        "BALLET" => "INTEREST_BALLET",
        _ => ["YES", "NO"][i % 2],
    };
    let people: Vec<usize> = (0..150)
        .filter(|i| has_email(*i) && has_id(*i) && ok(i))
        .collect();
    let mut links = Csv::new(';', &["Contact", "Criterion", "Value", "Recorded On"]);
    for i in 0..120 {
        let p = people[i % people.len()];
        let c = (i / people.len() * 5 + i * 7) % 12;
        links.push(cells![
            if i % 2 == 0 {
                contact_email(p)
            } else {
                contact_id(p)
            },
            codes[c].0,
            value(c, i),
            format!("{:02}.{:02}.2024", 1 + i % 28, 1 + i % 12),
        ]);
    }
    links.set(17, "Criterion", "OPERAS");
    links.set(41, "Value", "newsletter_fr");
    links.set(66, "Contact", "999999999");
    let (pair_contact, pair_criterion) = (
        links.get(89, "Contact").to_string(),
        links.get(89, "Criterion").to_string(),
    );
    links.set(90, "Contact", &pair_contact);
    links.set(90, "Criterion", &pair_criterion);
    let expected = vec![
        (row(17), "unknown_link"),
        (row(41), "unknown_option"),
        (row(66), "unknown_link"),
        (row(90), "duplicate_in_file"),
    ];
    let (o, response) = import_with(&ws, "contact_criterion", &links.text(), skip);
    assert_eq!(problems(&o), expected, "{:#?}", report(&o));
    assert_eq!(
        report(&o),
        vec![
            "19: Criterion: no `criterion` record has `code` `OPERAS`; `Criterion` must name an existing record by its UUID or `code` [unknown_link]",
            "43: Value: `newsletter_fr` is not an option of this list; did you mean `Newsletter in French`? this list matches case exactly; expected one of `Opera` (INTEREST_OPERA), `Ballet` (INTEREST_BALLET), `Symphonic concerts` (INTEREST_SYMPHONIC), `Chamber music` (INTEREST_CHAMBER), `Jazz` (INTEREST_JAZZ), `Family shows` (INTEREST_FAMILY), `Newsletter in French` (NEWSLETTER_FR), `Newsletter in German` (NEWSLETTER_DE), and 8 more (see `intake describe`) [unknown_option]",
            "68: Contact: no `contact` record has `email` or `contact_id` `999999999`; `Contact` must name an existing record by its UUID or `email` or `contact_id` [unknown_link]",
            "92: Criterion: the combination `101690 / GIFT_VOUCHER` of `Contact` and `Criterion` is already in row 91; it must be unique [duplicate_in_file]",
        ]
    );
    assert_eq!(counts(&o), (116, 0, 0, 4));
    assert_response(&o, &links, &response);
    assert_eq!(
        joined(
            &ws,
            "SELECT c.contact_id, k.code, a.value, a.recorded_on FROM contact_criterion a \
             JOIN contact c ON c.uuid = a.contact JOIN criterion k ON k.uuid = a.criterion \
             ORDER BY a.id LIMIT 3"
        ),
        vec![
            "100000 OPERA INTEREST_OPERA 2024-01-01",
            "100013 MEMBERSHIP MEMBER_PATRON 2024-02-02",
            "100026 SYMPHONIC YES 2024-03-03",
        ]
    );
    // The same file again, matched on (contact, criterion): nothing changes.
    let (o, _) = import_with(&ws, "contact_criterion", &links.text(), |r| {
        r.on_error = OnError::Skip;
        r.match_on = vec!["contact".into(), "criterion".into()];
    });
    assert_eq!(problems(&o), expected, "{:#?}", report(&o));
    assert_eq!(counts(&o), (0, 0, 116, 4));

    // 5. The action column: five associations deleted, three contacts deactivated; the
    // deletion reverted.
    let mut deletes = Csv::new(';', &["Action", "Contact", "Criterion", "Value"]);
    for i in [0, 1, 2, 3, 4] {
        deletes.push(cells![
            "delete",
            links.get(i, "Contact"),
            links.get(i, "Criterion"),
            ""
        ]);
    }
    let before = joined(
        &ws,
        "SELECT uuid, contact, criterion, value, recorded_on FROM contact_criterion ORDER BY uuid",
    );
    let (o, _) = import_with(&ws, "contact_criterion", &deletes.text(), |r| {
        r.match_on = vec!["contact".into(), "criterion".into()]
    });
    assert_eq!(problems(&o), vec![], "{:#?}", report(&o));
    assert_eq!(o.counts.deleted, 5);
    assert_eq!(count(&ws, "contact_criterion"), 111);
    let mut deactivate = Csv::new(';', &["Action", "Email"]);
    for &p in &people[10..13] {
        deactivate.push(cells!["deactivate", contact_email(p)]);
    }
    let (o2, _) = import_with(&ws, "contact", &deactivate.text(), |r| {
        r.match_on = vec!["email".into()]
    });
    assert_eq!(problems(&o2), vec![], "{:#?}", report(&o2));
    assert_eq!(o2.counts.deactivated, 3);
    assert_eq!(
        column(
            &ws,
            "SELECT contact_id FROM contact WHERE deactivated_at IS NOT NULL ORDER BY id"
        ),
        people[10..13]
            .iter()
            .map(|&p| contact_id(p))
            .collect::<Vec<_>>()
    );
    ws.store.revert(&ws.schema, o.import_id, LATER).unwrap();
    assert_eq!(
        joined(
            &ws,
            "SELECT uuid, contact, criterion, value, recorded_on FROM contact_criterion ORDER BY uuid"
        ),
        before
    );
}

on_both_backends!(
    crm_end_to_end,
    rollout_end_to_end,
    msp_end_to_end,
    ticketing_end_to_end
);
