//! XLSX out: the template, the export with typed cells, response and success files; and the
//! round trip of DESIGN §6 through a workbook: export, re-import unchanged, nothing changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Workspace, messages, request, workspace};

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use intake_core::describe::template_headers_with_inline;
use intake_core::schema::Schema;
use intake_engine::{
    BytesInput, ExportRequest, ImportOutcome, NoProgress, OnError, OutputFile, Outputs, export,
    export_xlsx, import, template_xlsx,
};
use intake_formats::{CsvOptions, RecordBatch, RowSource, SheetOptions};

fn crm() -> Workspace {
    workspace("crm")
}

/// Imports `bytes`; returns the outcome, the response file and the success file (each written
/// as the file imported: XLSX for a workbook).
fn import_bytes(
    ws: &Workspace,
    record_type: &str,
    bytes: Vec<u8>,
    on_error: OnError,
) -> (ImportOutcome, Vec<u8>, Vec<u8>) {
    let mut req = request(ws, record_type);
    req.on_error = on_error;
    let input = BytesInput {
        name: "upload".into(),
        bytes,
    };
    let mut response = Cursor::new(Vec::new());
    let mut success = Cursor::new(Vec::new());
    let outcome = import(
        &ws.schema,
        ws.store.as_ref(),
        &input,
        &req,
        Outputs {
            response: Some(OutputFile::LikeInput(&mut response)),
            success: Some(OutputFile::LikeInput(&mut success)),
        },
        &NoProgress,
    )
    .unwrap();
    (outcome, response.into_inner(), success.into_inner())
}

fn export_csv(ws: &Workspace, record_type: &str) -> String {
    let mut out = Vec::new();
    let request = ExportRequest {
        record_type: record_type.into(),
        ..ExportRequest::default()
    };
    export(&ws.schema, ws.store.as_ref(), &request, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn export_workbook(ws: &Workspace, request: &ExportRequest) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    export_xlsx(&ws.schema, ws.store.as_ref(), request, &mut out).unwrap();
    out.into_inner()
}

/// The rows of the first sheet as intake's own reader gives them.
fn read_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut reader =
        intake_formats::open(bytes, &CsvOptions::default(), &SheetOptions::default()).unwrap();
    let mut batch = RecordBatch::new();
    let mut rows = Vec::new();
    while reader.read_batch(&mut batch, 100).unwrap() {
        for rec in batch.iter() {
            rows.push(
                (0..rec.len())
                    .map(|i| rec.get(i).unwrap_or_default().to_string())
                    .collect(),
            );
        }
    }
    rows
}

/// A sheet as calamine reads it.
fn sheet(bytes: &[u8], name: &str) -> calamine::Range<Data> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    book.worksheet_range(name).unwrap()
}

/// One part of the zip, as text.
fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("no part `{name}`"))
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn column_of(range: &calamine::Range<Data>, header: &str) -> usize {
    (0..range.width())
        .find(|&c| range.get((0, c)) == Some(&Data::String(header.into())))
        .unwrap_or_else(|| panic!("no column `{header}`"))
}

const ACCOUNTS: &str = "Account Name,Account Type,Country,Annual Revenue,Employees,Account Description\n\
Acme,Customer,DE,1234.5,250,=HYPERLINK(\"x\")\n\
Globex,Prospect,US,,12,'quoted\n\
Initech,,FR,0.25,,+44 plain text\n";

#[test]
fn an_xlsx_export_re_imported_unchanged_changes_nothing() {
    let ws = crm();
    let (o, _, _) = import_bytes(&ws, "account", ACCOUNTS.as_bytes().to_vec(), OnError::Abort);
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(o.counts.created, 3);
    let contacts = "Last Name,Email,Birth Date,Newsletter Subscriber\n\
        Doe,jane@example.com,01/03/1990,yes\n\
        Roe,rick@example.com,,no\n";
    let (o, _, _) = import_bytes(&ws, "contact", contacts.as_bytes().to_vec(), OnError::Abort);
    assert_eq!(messages(&o), Vec::<String>::new());
    let interactions = "Subject,Occurred At,Duration (minutes)\n\
        Call,2024-03-01T14:30:05Z,15\n\
        Visit,2024-03-02T00:00:00Z,\n";
    let (o, _, _) = import_bytes(
        &ws,
        "interaction",
        interactions.as_bytes().to_vec(),
        OnError::Abort,
    );
    assert_eq!(messages(&o), Vec::<String>::new());

    for record_type in ["account", "contact", "interaction"] {
        let before = export_csv(&ws, record_type);
        let book = export_workbook(
            &ws,
            &ExportRequest {
                record_type: record_type.into(),
                ..ExportRequest::default()
            },
        );
        let (o, response, _) = import_bytes(&ws, record_type, book, OnError::Abort);
        assert_eq!(messages(&o), Vec::<String>::new(), "{record_type}");
        assert!(o.committed, "{record_type}");
        assert_eq!(o.counts.unchanged, o.counts.rows, "{record_type}");
        assert_eq!(
            (o.counts.created, o.counts.updated),
            (0, 0),
            "{record_type}"
        );
        // No failing row: the response workbook holds the header alone.
        let response = read_rows(&response);
        assert_eq!(response.len(), 1, "{record_type}");
        assert_eq!(
            response[0].last().map(String::as_str),
            Some("Import errors")
        );
        assert_eq!(export_csv(&ws, record_type), before, "{record_type}");
    }
}

#[test]
fn xlsx_export_cells_are_typed_and_text_is_never_a_formula() {
    let ws = crm();
    let (o, _, _) = import_bytes(&ws, "account", ACCOUNTS.as_bytes().to_vec(), OnError::Abort);
    assert_eq!(messages(&o), Vec::<String>::new());
    let contacts = "Last Name,Birth Date,Newsletter Subscriber\nDoe,01/03/1990,yes\n";
    import_bytes(&ws, "contact", contacts.as_bytes().to_vec(), OnError::Abort);

    let book = export_workbook(
        &ws,
        &ExportRequest {
            record_type: "account".into(),
            ..ExportRequest::default()
        },
    );
    let range = sheet(&book, "Account");
    let name = column_of(&range, "Account Name");
    let row = (1..range.height())
        .find(|&r| range.get((r, name)) == Some(&Data::String("Acme".into())))
        .expect("Acme is exported");
    let at = |header: &str| range.get((row, column_of(&range, header))).cloned();
    assert_eq!(at("Annual Revenue"), Some(Data::Float(1234.5)));
    assert_eq!(at("Employees"), Some(Data::Float(250.0)));
    assert_eq!(
        at("Account Description"),
        Some(Data::String("=HYPERLINK(\"x\")".into()))
    );
    assert_eq!(at("Account Type"), Some(Data::String("Customer".into())));
    // No cell of the sheet is a formula.
    assert!(!part(&book, "xl/worksheets/sheet1.xml").contains("<f>"));
    // Read back by intake: the text as exported.
    let rows = read_rows(&book);
    assert!(
        rows.iter()
            .any(|r| r.contains(&"=HYPERLINK(\"x\")".to_string()))
    );
    assert!(rows.iter().any(|r| r.contains(&"''quoted".to_string())));

    let book = export_workbook(
        &ws,
        &ExportRequest {
            record_type: "contact".into(),
            ..ExportRequest::default()
        },
    );
    let range = sheet(&book, "Contact");
    let birth = range
        .get((1, column_of(&range, "Birth Date")))
        .cloned()
        .expect("a birth date");
    let Data::DateTime(d) = birth else {
        panic!("a date cell, not {birth:?}")
    };
    let (y, m, day, ..) = d.to_ymd_hms_milli();
    assert_eq!((y, m, day), (1990, 3, 1));
    assert_eq!(
        range.get((1, column_of(&range, "Newsletter Subscriber"))),
        Some(&Data::String("true".into()))
    );
    // The header is frozen and styled; dropdowns come from the hidden list sheet.
    let xml = part(&book, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("state=\"frozen\""), "{xml}");
    assert!(
        xml.contains("<formula1>'Lists'!$A$2:$A$3</formula1>"),
        "{xml}"
    );
    assert!(part(&book, "xl/workbook.xml").contains("state=\"hidden\""));
}

#[test]
fn an_xlsx_update_sheet_round_trips_and_writes_only_new() {
    let ws = crm();
    import_bytes(&ws, "account", ACCOUNTS.as_bytes().to_vec(), OnError::Abort);
    let book = export_workbook(
        &ws,
        &ExportRequest {
            record_type: "account".into(),
            update_sheet: vec!["annual_revenue".into()],
            ..ExportRequest::default()
        },
    );
    let rows = read_rows(&book);
    let old = rows[0]
        .iter()
        .position(|h| h == "[old] Annual Revenue")
        .unwrap();
    let new = rows[0]
        .iter()
        .position(|h| h == "[new] Annual Revenue")
        .unwrap();
    assert_eq!(new, old + 1);
    assert!(
        rows[1..]
            .iter()
            .any(|r| r[old] == "1234.5" && r[new] == "1234.5")
    );
    let (o, _, _) = import_bytes(&ws, "account", book, OnError::Abort);
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!(o.counts.unchanged, 3);
}

#[test]
fn the_xlsx_template_has_the_csv_headers_a_fields_sheet_and_dropdowns() {
    let ws = crm();
    let rt = ws.schema.record_type("contact").unwrap();
    let mut out = Cursor::new(Vec::new());
    let headers = template_xlsx(&ws.schema, rt, &mut out).unwrap();
    let book = out.into_inner();
    let expected = template_headers_with_inline(&ws.schema, rt);
    assert_eq!(headers, expected);
    // intake's own reader reads the template's header as the CSV template's.
    assert_eq!(read_rows(&book), vec![expected.clone()]);
    assert!(
        expected.contains(&"Account Name".to_string()),
        "{expected:?}"
    );

    let fields = sheet(&book, "Fields");
    assert_eq!(
        fields.rows().next().unwrap().to_vec(),
        [
            "Column",
            "Type",
            "Required",
            "Unique",
            "Format",
            "Allowed values",
            "Description"
        ]
        .map(|s| Data::String(s.into()))
        .to_vec()
    );
    assert_eq!(fields.height(), expected.len() + 1);
    let last_name = fields
        .rows()
        .find(|r| r[0] == Data::String("Last Name".into()))
        .unwrap();
    assert_eq!(last_name[2], Data::String("yes".into()));

    let workbook = part(&book, "xl/workbook.xml");
    assert!(workbook.contains("name=\"Fields\""));
    assert!(
        workbook.contains("name=\"Lists\" sheetId=\"3\" state=\"hidden\""),
        "{workbook}"
    );
    let xml = part(&book, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("state=\"frozen\""));
    assert!(xml.contains("<dataValidation"));
    assert!(!xml.contains("<formula1>\""), "no inline list: {xml}");
    // Required columns are marked with a note saying so.
    assert!(part(&book, "xl/comments1.xml").contains("Required for new records."));
    // Typed columns have a cell format: dates as dates.
    assert!(part(&book, "xl/styles.xml").contains("formatCode=\"yyyy-mm-dd\""));
}

#[test]
fn a_dropdown_of_more_than_255_characters_lives_on_the_hidden_sheet() {
    let options: Vec<String> = (0..60)
        .map(|i| format!("{{ code = \"C{i:02}\", label = \"Option number {i:02}\" }}"))
        .collect();
    let toml = format!(
        "[workspace]\nname = \"t\"\n\n[lists.big]\noptions = [\n{}\n]\n\n[types.thing]\nlabel = \"Thing\"\n\n\
         [[types.thing.fields]]\nname = \"name\"\nlabel = \"Name\"\ntype = \"text\"\n\n\
         [[types.thing.fields]]\nname = \"kind\"\nlabel = \"Kind\"\ntype = \"select\"\nlist = \"big\"\n",
        options.join(",\n")
    );
    let schema = Schema::from_toml("test", &toml).unwrap();
    let rt = schema.record_type("thing").unwrap();
    let mut out = Cursor::new(Vec::new());
    template_xlsx(&schema, rt, &mut out).unwrap();
    let book = out.into_inner();
    let lists = sheet(&book, "Lists");
    let values: Vec<String> = lists.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert_eq!(values.len(), 60);
    assert!(values.join(",").len() > 255);
    assert_eq!(values[59], "Option number 59");
    let xml = part(&book, "xl/worksheets/sheet1.xml");
    assert!(
        xml.contains("<formula1>'Lists'!$A$2:$A$61</formula1>"),
        "{xml}"
    );
}

#[test]
fn a_workbook_upload_gets_an_xlsx_response_file_with_problem_cells_marked() {
    let ws = crm();
    import_bytes(&ws, "account", ACCOUNTS.as_bytes().to_vec(), OnError::Abort);
    let book = export_workbook(
        &ws,
        &ExportRequest {
            record_type: "account".into(),
            ..ExportRequest::default()
        },
    );
    // Break one cell of the workbook: rewrite it through the CSV text and a fresh workbook.
    let mut rows = read_rows(&book);
    let employees = rows[0].iter().position(|h| h == "Employees").unwrap();
    rows[1][employees] = "many".into();
    let columns: Vec<intake_formats::XlsxColumn> = rows[0]
        .iter()
        .map(|h| intake_formats::XlsxColumn {
            header: h.clone(),
            kind: intake_formats::ColumnKind::General,
            ..Default::default()
        })
        .collect();
    let mut w = intake_formats::XlsxWriter::new("Accounts", &columns).unwrap();
    for r in &rows[1..] {
        let cells: Vec<_> = r
            .iter()
            .map(|c| intake_formats::XlsxCell::from_read_text(c))
            .collect();
        w.write_row(&cells).unwrap();
    }
    let mut edited = Cursor::new(Vec::new());
    w.finish(&mut edited).unwrap();

    let (o, response, success) = import_bytes(&ws, "account", edited.into_inner(), OnError::Skip);
    assert_eq!(o.counts.failed, 1);
    assert!(o.committed);
    let got = read_rows(&response);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].last().map(String::as_str), Some("Import errors"));
    assert_eq!(got[1][employees], "many");
    assert!(got[1].last().unwrap().contains("Employees"));
    // The bad cell carries its message as a note, and a fill.
    let comments = part(&response, "xl/comments1.xml");
    let message = &o.report.problems[0].message;
    assert!(comments.contains(message.as_str()), "{comments}");
    let letter = intake_core::report::Column {
        index: employees,
        header: String::new(),
    }
    .letter();
    let cell = format!("ref=\"{letter}2\"");
    assert!(comments.contains(&cell), "{comments}");
    assert!(part(&response, "xl/styles.xml").contains("FFFFC7CE"));
    // The success file is a workbook too: the two rows written, numbers as numbers.
    let written = sheet(&success, "Accounts");
    assert_eq!(written.height(), 3);
    let revenue = column_of(&written, "Annual Revenue");
    assert!((1..3).any(|r| written.get((r, revenue)) == Some(&Data::Float(0.25))));
}

#[test]
fn a_csv_upload_keeps_csv_response_files() {
    let ws = crm();
    let (o, response, _) = import_bytes(
        &ws,
        "account",
        b"Account Name,Employees\nAcme,many\n".to_vec(),
        OnError::Skip,
    );
    assert_eq!(o.counts.failed, 1);
    let text = String::from_utf8(response).unwrap();
    assert!(
        text.starts_with("\u{feff}Account Name,Employees,Import errors\n"),
        "{text}"
    );
}

#[test]
fn an_xlsx_export_round_trips_in_a_decimal_comma_workspace() {
    let ws = workspace("rollout");
    let clients = "Name,Status,Monitors,Rollout Date,Completed At,Purchase Price,Description\n\
        PC-1,Planned,2,01.03.2024,02.03.2024 14:30,\"1.234,56\",=1+1\n\
        PC-2,Done,,,,\"0,5\",x\n";
    let (o, _, _) = import_bytes(&ws, "client", clients.as_bytes().to_vec(), OnError::Abort);
    assert_eq!(messages(&o), Vec::<String>::new());
    let before = export_csv(&ws, "client");
    let book = export_workbook(
        &ws,
        &ExportRequest {
            record_type: "client".into(),
            ..ExportRequest::default()
        },
    );
    // Decimals are number cells; the reader gives them back with the workspace's decimal
    // comma, so 1234.56 is read as `1234,56` and not as 123456.
    let range = sheet(&book, "Client");
    let price = column_of(&range, "Purchase Price");
    assert!((1..3).any(|r| range.get((r, price)) == Some(&Data::Float(1234.56))));
    let completed = column_of(&range, "Completed At");
    assert!((1..3).any(|r| matches!(range.get((r, completed)), Some(Data::DateTime(_)))));
    let (o, _, _) = import_bytes(&ws, "client", book, OnError::Abort);
    assert_eq!(messages(&o), Vec::<String>::new());
    assert_eq!((o.counts.unchanged, o.counts.updated), (2, 0));
    assert_eq!(export_csv(&ws, "client"), before);
}
