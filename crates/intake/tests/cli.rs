//! The real `intake` binary in a temporary folder: what a user types, what a user reads.
//! Temporary paths are redacted from snapshots.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        fs_err::write(&p, contents).unwrap();
        p
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_intake"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("INTAKE_WORKSPACE")
            .output()
            .unwrap();
        Run::new(out, self.dir.path())
    }

    fn demo(name: &str) -> Self {
        let env = Self::new();
        let r = env.run(&["init", "--demo", name]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        env
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn new(out: Output, dir: &Path) -> Self {
        let redact =
            |b: &[u8]| String::from_utf8_lossy(b).replace(&dir.display().to_string(), "[TMP]");
        Self {
            code: out.status.code().unwrap_or(-1),
            stdout: redact(&out.stdout),
            stderr: redact(&out.stderr),
        }
    }
}

#[test]
fn init_writes_a_workspace_and_refuses_to_overwrite() {
    let env = Env::new();
    let r = env.run(&["init", "ws", "--demo", "crm"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(env.path("ws/intake.toml").exists());
    let r = env.run(&["init", "ws", "--demo", "crm"]);
    assert_eq!(r.code, 2);
    insta::assert_snapshot!(r.stderr, @r"
    error: `ws/intake.toml` already exists; nothing was changed
    hint: pass --force to overwrite it, or choose another folder
    ");
}

#[test]
fn commands_outside_a_workspace_say_how_to_make_one() {
    let r = Env::new().run(&["types"]);
    assert_eq!(r.code, 2);
    insta::assert_snapshot!(r.stderr, @r"
    error: no workspace in `.`: there is no intake.toml
    hint: create one with `intake init --demo crm` (or pass --workspace DIR)
    ");
}

#[test]
fn a_broken_schema_is_reported_with_file_and_line() {
    let env = Env::new();
    env.write("intake.toml", "[types.contact]\n[[types.contact.fields]]\nname = \"email\"\ntype = \"emial\"\n\n[[types.contact.fields]]\nname = \"account\"\ntype = \"link\"\ntarget = \"acount\"\n");
    let r = env.run(&["types"]);
    assert_eq!(r.code, 2);
    insta::assert_snapshot!(r.stderr.replace("[TMP]/", ""), @r"
    error: cannot load the schema `./intake.toml`
      caused by: the schema has 2 problems
      ./intake.toml:2:1: type `contact`, field `email`: unknown type `emial`; expected one of text, integer, decimal, date, datetime, boolean, email, phone, url, country, subdivision, currency, select, multiselect, path, link, uuid
      ./intake.toml:6:1: type `contact`, field `account`: target `acount` is not a record type of this schema
    ");
}

#[test]
fn every_demo_lists_types_and_describes_them() {
    for demo in ["crm", "rollout", "msp", "ticketing"] {
        let env = Env::demo(demo);
        let r = env.run(&["types", "--json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        for t in doc["types"].as_array().unwrap() {
            let name = t["name"].as_str().unwrap();
            let d = env.run(&["describe", name]);
            assert_eq!(d.code, 0, "{demo} {name}: {}", d.stderr);
            let ts = env.run(&["describe", name, "--format", "table-schema"]);
            let ts: serde_json::Value = serde_json::from_str(&ts.stdout).unwrap();
            assert_eq!(ts["fields"][0]["name"], "uuid");
            let tpl = env.run(&["template", name]);
            assert_eq!(tpl.code, 0);
            assert!(
                tpl.stdout
                    .trim_start_matches('\u{feff}')
                    .starts_with(&format!("{} UUID", t["label"].as_str().unwrap())),
                "{}",
                tpl.stdout
            );
        }
    }
}

#[test]
fn validate_reports_problems_with_exit_code_1_and_a_full_report_file() {
    let env = Env::new();
    assert_eq!(env.run(&["init"]).code, 0);
    env.write(
        "contacts.csv",
        "Contact UUID,First Name,Last Name,Email,Phone,Lifecycle Stage\n\
         ,Ann,Lee,ann@example.com,+44 20 7946 0958,Lead\n\
         ,Bob,,bob@,,Prospect\n\
         ,\"Cy\nCyrus\",Doe,ann@example.com,,customer\n",
    );
    let r = env.run(&[
        "validate",
        "contact",
        "contacts.csv",
        "--report",
        "report.csv",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!(r.stdout, @r"
    contacts.csv: 4 problems in 2 rows of 3 rows (as is, an import would write nothing)

    COUNT  COLUMN           CODE
    1      Email            invalid_email
    1      Email            duplicate_in_file
    1      Last Name        required
    1      Lifecycle Stage  unknown_option

    row 3, column `Last Name` (C): `Last Name` is required for a new Contact; fill it in (or import with --ignore-required to create records without it)
    row 3, column `Email` (D): `bob@` is not an e-mail address: nothing comes after the `@`
    row 3, column `Lifecycle Stage` (F): `Prospect` is not an option of this list; expected one of `Lead` (lead), `Customer` (customer), `Other` (other)
    row 4, column `Email` (D): `ann@example.com` is already in row 2; `Email` must be unique
    the list is also in `report.csv`
    ");
    let report = fs_err::read_to_string(env.path("report.csv")).unwrap();
    assert_eq!(report.lines().count(), 5, "{report}");
    assert!(report.starts_with("\u{feff}row,column,column_letter,field,value,code,message"));
    let r = env.run(&[
        "validate",
        "contact",
        "contacts.csv",
        "--report",
        "report.json",
    ]);
    assert_eq!(r.code, 1);
    let report: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(env.path("report.json")).unwrap()).unwrap();
    assert_eq!(report["problems"].as_array().map(Vec::len), Some(4));
    assert_eq!(report["problems"][3]["code"], "duplicate_in_file");

    let r = env.run(&["validate", "contact", "contacts.csv", "--json"]);
    assert_eq!(r.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["rows"], 3);
    assert_eq!(doc["created"], 1);
    assert_eq!(doc["failed"], 2);
    assert_eq!(doc["problems"][0]["column"], "Last Name");
    assert_eq!(doc["problems"][0]["code"], "required");
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .take(7)
        .collect();
    assert_eq!(
        keys,
        [
            "rows",
            "created",
            "updated",
            "unchanged",
            "deleted",
            "failed",
            "problems"
        ]
    );
}

#[test]
fn validate_a_clean_file_exits_0() {
    let env = Env::new();
    assert_eq!(env.run(&["init"]).code, 0);
    env.write(
        "ok.csv",
        "First Name,Last Name,Email\nAnn,Lee,ann@example.com\n",
    );
    let r = env.run(&["validate", "contact", "ok.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!(r.stdout, @"ok.csv: no problems in 1 row; an import would create 1, update 0 and leave 0 unchanged");
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    assert_eq!(env.run(&["init"]).code, 0);
    env.write("ok.csv", "Email\na@example.com\n");
    assert_eq!(env.run(&["validate"]).code, 2);
    let r = env.run(&["validate", "contact", "ok.csv", "--date-format", "DD/MM"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--date-format"), "{}", r.stderr);
    let r = env.run(&["validate", "contact", "missing.csv"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("missing.csv"), "{}", r.stderr);
    let r = env.run(&["validate", "acount", "ok.csv"]);
    insta::assert_snapshot!(r.stderr, @"error: there is no record type `acount`; the workspace has: contact");
}

#[test]
fn inspect_shows_what_is_read() {
    let env = Env::new();
    env.write(
        "f.csv",
        b"\xEF\xBB\xBFName;Amount\r\n\"Ann\r\nLee\";1.234,50\r\nBob;\"x\"y\r\n",
    );
    let r = env.run(&["inspect", "f.csv", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["format"], "csv");
    assert_eq!(doc["encoding"], "utf-8");
    assert_eq!(doc["delimiter"], ";");
    assert_eq!(doc["header_row"], 1);
    assert_eq!(doc["header"], serde_json::json!(["Name", "Amount"]));
    assert_eq!(
        doc["rows"][0],
        serde_json::json!(["Ann\r\nLee", "1.234,50"])
    );
    assert_eq!(doc["warnings"][0]["row"], 3);
    assert_eq!(doc["warnings"][0]["code"], "text_after_closing_quote");
    let r = env.run(&["inspect", "f.csv"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("delimiter: `;` (detected)"),
        "{}",
        r.stdout
    );
}

#[test]
fn c16_locale_presets_read_or_reject_but_never_misread() {
    let env = Env::new();
    env.write(
        "intake.toml",
        "[types.payment]\n[[types.payment.fields]]\nname = \"amount\"\ntype = \"decimal\"\nscale = 2\n[[types.payment.fields]]\nname = \"day\"\ntype = \"date\"\n",
    );
    env.write("de.csv", "Amount;Day\n1.234,50;01.03.2024\n");
    let r = env.run(&[
        "validate", "payment", "de.csv", "--locale", "de-DE", "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = env.run(&[
        "validate",
        "payment",
        "de.csv",
        "--locale",
        "en-US",
        "--delimiter",
        ";",
        "--json",
    ]);
    assert_eq!(r.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let codes: Vec<&str> = doc["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["invalid_decimal", "invalid_date"]);
}

#[test]
fn c9_c11_encodings_are_detected_and_a_guess_is_said() {
    let env = Env::new();
    assert_eq!(env.run(&["init"]).code, 0);
    // Excel's "Unicode Text": UTF-16LE with a BOM, tab separated, CRLF.
    let text = "First Name\tLast Name\tEmail\r\nZoë\tŁęcki 😀\tzoe@example.com\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    env.write("unicode.txt", &utf16);
    let r = env.run(&["validate", "contact", "unicode.txt"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("encoding UTF-16LE (from the byte-order mark), delimiter tab (detected)"),
        "{}",
        r.stderr
    );
    // Windows-1252: é and € are single bytes.
    env.write(
        "legacy.csv",
        b"First Name,Last Name,Email\nRen\xe9,M\xfcller \x80,rene@example.com\n",
    );
    let r = env.run(&["validate", "contact", "legacy.csv", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["detected"]["encoding"], "windows-1252");
    assert_eq!(doc["warnings"][0]["code"], "assumed_encoding");
    let r = env.run(&["inspect", "legacy.csv", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["rows"][0][1], "Müller €");
}

#[test]
fn c12_invalid_utf8_in_a_declared_utf8_file_names_the_cell() {
    let env = Env::new();
    assert_eq!(env.run(&["init"]).code, 0);
    env.write(
        "bad.csv",
        b"First Name,Last Name,Email\nAnn,Lee,ann@example.com\nBob,B\xff,bob@example.com\n",
    );
    let r = env.run(&["validate", "contact", "bad.csv", "--encoding", "utf-8"]);
    assert_eq!(r.code, 2);
    insta::assert_snapshot!(r.stderr, @"error: the bytes at row 3, column `Last Name` (B) (byte offset 56) are not valid UTF-8; choose the file's encoding with --encoding (for example windows-1252)");
}

#[test]
fn c14_c15_limits_are_refused_before_work_and_can_be_raised() {
    let env = Env::new();
    assert_eq!(env.run(&["init"]).code, 0);
    env.write(
        "long.csv",
        format!(
            "First Name,Last Name,Email\nAnn,{},ann@example.com\n",
            "x".repeat(40_000)
        ),
    );
    let r = env.run(&["validate", "contact", "long.csv"]);
    assert_eq!(r.code, 2);
    insta::assert_snapshot!(r.stderr, @r"
    error: the cell at row 2, column `Last Name` (B) is longer than the limit (32,767 characters)
    hint: if the cell is right, raise the limit with --max-cell-chars N
    ");
    let r = env.run(&[
        "validate",
        "contact",
        "long.csv",
        "--max-cell-chars",
        "50000",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("[too_long]") || r.stdout.contains("too_long"),
        "{}",
        r.stdout
    );
    let header: Vec<String> = (0..3000).map(|i| format!("c{i}")).collect();
    env.write("wide.csv", format!("{}\n", header.join(",")));
    let r = env.run(&["validate", "contact", "wide.csv"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("3,000 columns, more than the limit (2,000)"),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_lookup_values_are_listed_and_a_mapping_file_maps_or_creates_them() {
    let env = Env::new();
    assert_eq!(env.run(&["init"]).code, 0);
    env.write(
        "contacts.csv",
        "First Name,Last Name,Email,Stage\n\
         Ann,Lee,ann@example.com,Prospect\n\
         Bob,Ray,bob@example.com,Partner\n\
         Cy,Doe,cy@example.com,Prospect\n\
         Di,Fox,di@example.com,Lead\n",
    );
    env.write("mapping.toml", "[columns]\n\"Stage\" = \"stage\"\n");
    let r = env.run(&[
        "validate",
        "contact",
        "contacts.csv",
        "--mapping",
        "mapping.toml",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    insta::assert_snapshot!(r.stderr.lines().filter(|l| l.starts_with("hint:")).collect::<Vec<_>>().join("\n"), @r#"hint: map the unknown values of `Stage` in a mapping file (--mapping FILE): [values."Stage"] "Prospect" = "an option" (or { create = true })"#);
    let r = env.run(&[
        "validate",
        "contact",
        "contacts.csv",
        "--mapping",
        "mapping.toml",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    insta::assert_snapshot!(doc["unknown_values"].to_string(), @r#"[{"column":"Stage","field":"stage","values":[{"value":"Prospect","rows":2,"first_row":2},{"value":"Partner","rows":1,"first_row":3}],"truncated":false}]"#);

    env.write(
        "mapping.toml",
        "[columns]\n\"Stage\" = \"stage\"\n\n\
         [values.\"Stage\"]\n\
         \"Prospect\" = \"lead\"\n\
         \"Partner\" = { create = true }\n",
    );
    let r = env.run(&[
        "import",
        "contact",
        "contacts.csv",
        "--mapping",
        "mapping.toml",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let r = env.run(&["export", "contact"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let stages: Vec<String> = r
        .stdout
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(stages, ["Lead", "Partner", "Lead", "Lead"], "{}", r.stdout);

    // A mapping to something that is no option is refused, naming the value and the options.
    env.write(
        "bad.toml",
        "[values.\"Stage\"]\n\"Prospect\" = \"prospect\"\n",
    );
    let r = env.run(&[
        "validate",
        "contact",
        "contacts.csv",
        "--mapping",
        "bad.toml",
    ]);
    assert_eq!(r.code, 2);
    insta::assert_snapshot!(r.stderr, @"error: the mapping file maps `Prospect` of `Stage` to `prospect`, which is not an option of `Lifecycle Stage`; expected one of `Lead` (lead), `Customer` (customer), `Other` (other), `Partner`, or `{ create = true }`");
}

#[test]
fn msp_imports_are_partial_by_default_with_the_failing_rows_next_to_the_file() {
    let env = Env::demo("msp");
    let sites = "Company ID,Company Name,Site ID,Site Name,Address Line 1,City,State,Postal Code,Country\n\
                 ACME01,Acme Corp,S001,Head Office,1 Main St,Springfield,US-IL,62701,US\n\
                 ACME01,Acme Corp,S002,Warehouse,2 Dock Rd,Springfield,US-IL,62702,USA\n";
    env.write("sites.csv", sites);
    let r = env.run(&["import", "site", "sites.csv"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("1 created") && r.stdout.contains("1 failed and not written"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("1 row with problems written to `sites.response.csv`"),
        "{}",
        r.stderr
    );
    let response = fs_err::read_to_string(env.path("sites.response.csv")).unwrap();
    let lines: Vec<&str> = response.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 2, "{response}");
    assert!(lines[1].starts_with("ACME01,Acme Corp,S002"), "{response}");
    assert!(lines[1].contains("USA"), "{response}");

    // The fixed file imports cleanly; no response file is left for a clean import.
    env.write(
        "fixed.csv",
        sites.replace("USA", "US").replace("S001", "S003"),
    );
    let r = env.run(&["import", "site", "fixed.csv"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(!env.path("fixed.response.csv").exists());

    // The flags override the workspace: all or nothing writes nothing.
    env.write(
        "bad.csv",
        sites.replace("S001", "S004").replace("S002", "S005"),
    );
    let r = env.run(&["import", "site", "bad.csv", "--on-error", "abort"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("nothing was written"), "{}", r.stdout);
}

#[test]
fn xlsx_template_export_and_response_files_end_to_end() {
    let env = Env::demo("crm");
    // The XLSX template has the CSV template's headers, as intake reads them back.
    let r = env.run(&["template", "contact", "--format", "xlsx", "-o", "t.xlsx"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let csv = env.run(&["template", "contact"]);
    let csv_header: Vec<String> = csv
        .stdout
        .trim_start_matches('\u{feff}')
        .trim_end()
        .split(',')
        .map(String::from)
        .collect();
    let r = env.run(&["inspect", "t.xlsx", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["format"], "xlsx");
    assert_eq!(doc["header"], serde_json::json!(csv_header));
    assert_eq!(doc["sheets"][1]["name"], "Fields");

    env.write(
        "accounts.csv",
        "Account Name,Annual Revenue,Employees,Account Description\n\
         Acme,1234.5,250,=HYPERLINK(\"x\")\n\
         Globex,99,12,plain\n",
    );
    let r = env.run(&["import", "account", "accounts.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Exported by the output's name, re-imported unchanged: nothing changes.
    let r = env.run(&["export", "account", "-o", "accounts.xlsx"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.run(&["import", "account", "accounts.xlsx", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (&doc["unchanged"], &doc["created"], &doc["updated"]),
        (
            &serde_json::json!(2),
            &serde_json::json!(0),
            &serde_json::json!(0)
        )
    );

    // A workbook with a bad cell: without an extension, the response file is a workbook too.
    let columns: Vec<intake_formats::XlsxColumn> = ["Account Name", "Employees"]
        .iter()
        .map(|h| intake_formats::XlsxColumn {
            header: (*h).to_string(),
            ..Default::default()
        })
        .collect();
    let mut w = intake_formats::XlsxWriter::new("Accounts", &columns).unwrap();
    w.write_row(&[
        intake_formats::XlsxCell::Text("Initech"),
        intake_formats::XlsxCell::Text("lots"),
    ])
    .unwrap();
    let mut book = std::io::Cursor::new(Vec::new());
    w.finish(&mut book).unwrap();
    env.write("bad.xlsx", book.into_inner());
    let r = env.run(&[
        "import",
        "account",
        "bad.xlsx",
        "--response",
        "failed",
        "--success",
        "ok.csv",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(fs_err::read(env.path("failed")).unwrap().starts_with(b"PK"));
    let r = env.run(&["inspect", "failed", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc["header"],
        serde_json::json!(["Account Name", "Employees", "Import errors"])
    );
    assert_eq!(doc["rows"][0][1], "lots");
    // Named .csv, it stays CSV.
    let r = env.run(&["import", "account", "bad.xlsx", "--response", "failed.csv"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let text = fs_err::read_to_string(env.path("failed.csv")).unwrap();
    assert!(
        text.starts_with("\u{feff}Account Name,Employees,Import errors\nInitech,lots,"),
        "{text}"
    );
}

#[test]
fn a_reader_that_stops_early_ends_intake_quietly() {
    let env = Env::demo("crm");
    // `intake describe contact | head -0`: the pipe's reader is gone before intake prints.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_intake"))
        .args(["describe", "contact"])
        .current_dir(env.dir.path())
        .env_remove("INTAKE_WORKSPACE")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
