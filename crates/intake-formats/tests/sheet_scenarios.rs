//! One test per spreadsheet scenario of the reliability list (S1-S18), on workbooks built in
//! the test: by rust_xlsxwriter where it can write the case, as raw XML parts zipped here
//! where the case is one no writer produces (bombs, lies, damage).
#![allow(clippy::unwrap_used)]

use std::io::{Cursor, Write};

use intake_core::report::ProblemCode;
use intake_formats::{
    CellIssueKind, CsvOptions, Format, Limits, ReadError, RecordBatch, RowSource, SheetOptions,
    Visibility, Workbook, open,
};
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook as Writer};
use zip::write::SimpleFileOptions;

/// What a reader read: the workbook, the records with their row numbers, the warnings.
struct Read {
    workbook: Workbook,
    rows: Vec<(u64, Vec<String>)>,
    errors: Vec<(u64, usize)>,
    warnings: Vec<(ProblemCode, String)>,
}

fn read_with(bytes: Vec<u8>, sheet: &SheetOptions, limits: Limits) -> Result<Read, ReadError> {
    let csv = CsvOptions {
        limits,
        ..CsvOptions::default()
    };
    let mut reader = open(Cursor::new(bytes), &csv, sheet)?;
    let workbook = reader.workbook().cloned().expect("a workbook");
    let mut batch = RecordBatch::new();
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    while reader.read_batch(&mut batch, 7)? {
        for rec in batch.iter() {
            for i in rec.issues() {
                if i.kind == CellIssueKind::SpreadsheetError {
                    errors.push((rec.row().get(), i.column));
                }
            }
            rows.push((rec.row().get(), rec.to_vec()));
        }
    }
    let warnings = reader
        .take_warnings()
        .into_iter()
        .map(|w| (w.code, w.message))
        .collect();
    Ok(Read {
        workbook,
        rows,
        errors,
        warnings,
    })
}

fn read(bytes: Vec<u8>) -> Result<Read, ReadError> {
    read_with(bytes, &SheetOptions::default(), Limits::default())
}

fn cells(r: &Read) -> Vec<Vec<&str>> {
    r.rows
        .iter()
        .map(|(_, c)| c.iter().map(String::as_str).collect())
        .collect()
}

/// A zip of raw parts.
fn zip(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        out.start_file(*name, options).unwrap();
        out.write_all(bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A minimal XLSX of raw parts: sheets (name, state, sheet XML) and shared strings.
fn xlsx(sheets: &[(&str, &str, &str)], shared: Option<&str>) -> Vec<u8> {
    let mut wb = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#,
    );
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, (name, state, xml)) in sheets.iter().enumerate() {
        let n = i + 1;
        wb.push_str(&format!(
            r#"<sheet name="{name}" sheetId="{n}" state="{state}" r:id="rId{n}"/>"#
        ));
        rels.push_str(&format!(r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#));
        types.push_str(&format!(r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
        parts.push((
            format!("xl/worksheets/sheet{n}.xml"),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{xml}</worksheet>"#
            )
            .into_bytes(),
        ));
    }
    if let Some(sst) = shared {
        rels.push_str(r#"<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#);
        types.push_str(r#"<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>"#);
        parts.push(("xl/sharedStrings.xml".into(), sst.as_bytes().to_vec()));
    }
    wb.push_str("</sheets></workbook>");
    rels.push_str("</Relationships>");
    types.push_str("</Types>");
    let root = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    let mut all: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", root.as_bytes()),
        ("xl/workbook.xml", wb.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
    ];
    for (n, b) in &parts {
        all.push((n.as_str(), b.as_slice()));
    }
    zip(&all)
}

/// A sheet's XML from rows of inline cells (`t="inlineStr"`), numbers as given.
fn sheet_data(rows: &[&[&str]]) -> String {
    let mut s = String::from("<sheetData>");
    for (r, row) in rows.iter().enumerate() {
        s.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, v) in row.iter().enumerate() {
            let at = format!("{}{}", (b'A' + c as u8) as char, r + 1);
            s.push_str(&format!(
                r#"<c r="{at}" t="inlineStr"><is><t>{v}</t></is></c>"#
            ));
        }
        s.push_str("</row>");
    }
    s.push_str("</sheetData>");
    s
}

fn small() -> String {
    sheet_data(&[&["Name", "Code"], &["Ada", "1"], &["Bob", "2"]])
}

#[test]
fn a_workbook_written_by_rust_xlsxwriter_reads_as_typed() {
    let mut w = Writer::new();
    let s = w.add_worksheet();
    s.write_string(0, 0, "Name").unwrap();
    s.write_string(0, 1, "Joined").unwrap();
    s.write_string(1, 0, "Ada").unwrap();
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    s.write_datetime_with_format(1, 1, ExcelDateTime::from_ymd(2024, 3, 1).unwrap(), &date)
        .unwrap();
    let r = read(w.save_to_buffer().unwrap()).unwrap();
    assert_eq!(r.workbook.format, Format::Xlsx);
    assert_eq!(r.workbook.sheet, "Sheet1");
    assert_eq!(
        cells(&r),
        [vec!["Name", "Joined"], vec!["Ada", "2024-03-01"]]
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn s1_zip_bomb_is_refused_before_it_is_inflated() {
    let sheet = vec![b' '; 64 * 1024 * 1024];
    let bomb = zip(&[
        ("xl/workbook.xml", b"<workbook/>"),
        ("xl/worksheets/sheet1.xml", &sheet),
    ]);
    assert!(bomb.len() < 200 * 1024, "{}", bomb.len());
    let limits = Limits {
        max_unzipped_bytes: 16 * 1024 * 1024,
        max_zip_ratio: u64::MAX,
        ..Limits::default()
    };
    let e = read_with(bomb, &SheetOptions::default(), limits)
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "the workbook's part `xl/worksheets/sheet1.xml` decompresses to more than the limit (16,777,216 bytes for the whole workbook); the file may be a zip bomb; raise --max-unzipped-mb if it is genuine"
    );
}

#[test]
fn s2_high_compression_ratio_names_the_part_and_the_setting() {
    let sheet = vec![b'0'; 4 * 1024 * 1024];
    let file = zip(&[
        ("xl/workbook.xml", b"<workbook/>"),
        ("xl/worksheets/sheet1.xml", &sheet),
    ]);
    let e = read(file).err().unwrap();
    assert_eq!(e.code(), "zip_ratio");
    let m = e.to_string();
    assert!(
        m.contains("`xl/worksheets/sheet1.xml` is compressed"),
        "{m}"
    );
    assert!(m.contains("raise --max-zip-ratio"), "{m}");
}

#[test]
fn s3_shared_string_bomb_hits_the_cell_length_limit() {
    let long = "x".repeat(40_000);
    let sst = format!(r#"<sst count="1" uniqueCount="1"><si><t>{long}</t></si></sst>"#);
    let mut data = String::from(
        r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>H</t></is></c></row>"#,
    );
    for r in 2..2000 {
        data.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>"#
        ));
    }
    data.push_str("</sheetData>");
    let e = read(xlsx(&[("S", "visible", &data)], Some(&sst)))
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "cell at row 2, column 1 is longer than the limit (32,767 characters)"
    );
}

#[test]
fn s4_declared_string_count_is_not_trusted() {
    let sst = r#"<sst count="1" uniqueCount="4000000000"><si><t>a</t></si></sst>"#;
    let e = read(xlsx(&[("S", "visible", &small())], Some(sst)))
        .err()
        .unwrap();
    assert_eq!(e.code(), "damaged_workbook");
    assert!(
        e.to_string()
            .contains("declares 4000000000 strings but holds 1"),
        "{e}"
    );
    // An honest count reads.
    let sst = r#"<sst count="1" uniqueCount="1"><si><t>a</t></si></sst>"#;
    assert!(read(xlsx(&[("S", "visible", &small())], Some(sst))).is_ok());
}

#[test]
fn s5_entities_and_dtds_are_refused() {
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><sst count="1" uniqueCount="1"><si><t>&lol2;</t></si></sst>"#;
    let e = read(xlsx(&[("S", "visible", &small())], Some(laughs)))
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "the workbook's part `xl/sharedStrings.xml` declares a DTD or entities; XML with DTD/entities is not allowed (a workbook saved by a spreadsheet program never has them)"
    );
    let external = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><sst count="1" uniqueCount="1"><si><t>&e;</t></si></sst>"#;
    let e = read(xlsx(&[("S", "visible", &small())], Some(external)))
        .err()
        .unwrap();
    assert_eq!(e.code(), "xml_entities");
}

#[test]
fn s6_declared_dimension_is_ignored() {
    let xml = format!(r#"<dimension ref="A1:AMJ1048576"/>{}"#, small());
    let r = read(xlsx(&[("S", "visible", &xml)], None)).unwrap();
    assert_eq!(cells(&r).len(), 3);
    let xml = format!(r#"<dimension ref="A1"/>{}"#, small());
    assert_eq!(
        cells(&read(xlsx(&[("S", "visible", &xml)], None)).unwrap()).len(),
        3
    );
    // A cell in the last column is beyond the column limit: an error, nothing allocated.
    let xml = r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>H</t></is></c><c r="XFD1" t="inlineStr"><is><t>far</t></is></c></row></sheetData>"#;
    let e = read(xlsx(&[("S", "visible", xml)], None)).err().unwrap();
    assert_eq!(
        e.to_string(),
        "row 1 has 16,384 columns, more than the limit (2,000)"
    );
}

#[test]
fn s7_damaged_workbooks_are_said_to_be_damaged() {
    let good = xlsx(&[("S", "visible", &small())], None);
    let e = read(good[..good.len() / 2].to_vec()).err().unwrap();
    assert_eq!(e.code(), "damaged_workbook", "{e}");
    assert!(e.to_string().starts_with("the workbook is damaged:"), "{e}");
    // The sheet part is missing.
    let missing = zip(&[
        ("xl/workbook.xml", br#"<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ("xl/_rels/workbook.xml.rels", br#"<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#),
    ]);
    let e = read(missing).err().unwrap();
    assert_eq!(e.code(), "damaged_workbook", "{e}");
}

#[test]
fn s8_encrypted_workbook_is_refused() {
    // Excel saves an encrypted workbook as a compound document with an EncryptedPackage.
    let mut cfb = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    cfb.extend(vec![0u8; 1000]);
    cfb.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    cfb.extend(vec![0u8; 1000]);
    let e = read(cfb).err().unwrap();
    assert_eq!(
        e.to_string(),
        "the workbook is encrypted; save it without a password and try again"
    );
}

#[test]
fn s9_garbage_compound_document_is_an_error_not_a_panic() {
    let mut cfb = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    cfb.extend((0..4096u32).map(|i| (i * 7919 % 251) as u8));
    assert!(read(cfb).is_err());
}

#[test]
fn s10_first_visible_sheet_is_the_default_and_hidden_ones_only_when_chosen() {
    let hidden = sheet_data(&[&["Secret"], &["x"]]);
    let book = xlsx(
        &[
            ("Hidden", "hidden", &hidden),
            ("Very", "veryHidden", &hidden),
            ("Data", "visible", &small()),
        ],
        None,
    );
    let r = read(book.clone()).unwrap();
    assert_eq!(r.workbook.sheet, "Data");
    assert_eq!(
        r.workbook
            .sheets
            .iter()
            .map(|s| (s.name.as_str(), s.visibility))
            .collect::<Vec<_>>(),
        [
            ("Hidden", Visibility::Hidden),
            ("Very", Visibility::VeryHidden),
            ("Data", Visibility::Visible)
        ]
    );
    assert_eq!(r.warnings[0].0, ProblemCode::SheetChosen);
    assert_eq!(
        r.warnings[0].1,
        "read the sheet `Data` of 3; the workbook's sheets: `Hidden` (hidden), `Very` (very hidden), `Data`; choose another with --sheet"
    );
    let chosen = SheetOptions {
        sheet: Some("hidden".into()),
        ..SheetOptions::default()
    };
    let r = read_with(book.clone(), &chosen, Limits::default()).unwrap();
    assert_eq!(cells(&r), [vec!["Secret"], vec!["x"]]);
    let unknown = SheetOptions {
        sheet: Some("Nope".into()),
        ..SheetOptions::default()
    };
    assert_eq!(
        read_with(book, &unknown, Limits::default())
            .err()
            .unwrap()
            .to_string(),
        "the workbook has no sheet `Nope`; its sheets: `Hidden` (hidden), `Very` (very hidden), `Data`"
    );
    // A hidden sheet after the one read (a template's dropdown options) is not worth a
    // warning; a visible one is.
    let book = xlsx(
        &[("Data", "visible", &small()), ("Lists", "hidden", &hidden)],
        None,
    );
    let r = read(book).unwrap();
    assert!(
        r.warnings.iter().all(|w| w.0 != ProblemCode::SheetChosen),
        "{:?}",
        r.warnings
    );
    let book = xlsx(
        &[
            ("Data", "visible", &small()),
            ("Fields", "visible", &hidden),
        ],
        None,
    );
    assert_eq!(read(book).unwrap().warnings[0].0, ProblemCode::SheetChosen);
    // The first visible sheet is empty: said so, with the other sheets.
    let book = xlsx(
        &[
            ("Empty", "visible", "<sheetData/>"),
            ("Data", "visible", &small()),
        ],
        None,
    );
    assert_eq!(
        read(book).err().unwrap().to_string(),
        "the sheet `Empty` is empty - no header row; the workbook's sheets: `Empty`, `Data`"
    );
}

fn filtered_book() -> Vec<u8> {
    let mut w = Writer::new();
    let s = w.add_worksheet();
    for (r, row) in [
        ["Name", "Code", "Note"],
        ["Ada", "1", "a"],
        ["Bob", "2", "b"],
        ["Cy", "3", "c"],
        ["Di", "4", "d"],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            s.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    s.set_row_hidden(2).unwrap();
    s.set_column_hidden(2).unwrap();
    s.autofilter(0, 0, 4, 1).unwrap();
    s.filter_column(
        0,
        &rust_xlsxwriter::FilterCondition::new()
            .add_list_filter("Ada")
            .add_list_filter("Cy"),
    )
    .unwrap();
    s.set_row_hidden(4).unwrap();
    w.save_to_buffer().unwrap()
}

#[test]
fn s11_hidden_rows_columns_and_filters_are_warned_about_and_read() {
    let r = read(filtered_book()).unwrap();
    let codes: Vec<ProblemCode> = r.warnings.iter().map(|w| w.0).collect();
    assert_eq!(
        codes,
        [ProblemCode::HiddenColumns, ProblemCode::FilteredRows]
    );
    assert_eq!(
        r.warnings[0].1,
        "hidden columns (C): read like the others; --skip-hidden leaves them out"
    );
    assert_eq!(
        r.warnings[1].1,
        "an active filter on A1:B5 hides 2 rows (3, 5): read like the others; --skip-hidden leaves them out"
    );
    assert_eq!(r.rows.len(), 5);
    let skip = SheetOptions {
        skip_hidden: true,
        ..SheetOptions::default()
    };
    let r = read_with(filtered_book(), &skip, Limits::default()).unwrap();
    assert_eq!(
        r.rows,
        [
            (1, vec!["Name".to_string(), "Code".into()]),
            (2, vec!["Ada".into(), "1".into()]),
            (4, vec!["Cy".into(), "3".into()]),
        ]
    );
    // Hidden rows outside a filter are hidden rows.
    let xml = small().replace(r#"<row r="2">"#, r#"<row r="2" hidden="1">"#);
    let r = read(xlsx(&[("S", "visible", &xml)], None)).unwrap();
    assert_eq!(r.warnings[0].0, ProblemCode::HiddenRows);
    assert_eq!(
        r.warnings[0].1,
        "1 hidden row (2): read like the others; --skip-hidden leaves them out"
    );
}

#[test]
fn s12_merged_cells_are_named() {
    let mut w = Writer::new();
    let s = w.add_worksheet();
    s.write_string(0, 0, "Name").unwrap();
    s.write_string(0, 1, "Code").unwrap();
    s.merge_range(1, 0, 2, 0, "Ada", &CellFormat::new())
        .unwrap();
    s.write_string(1, 1, "1").unwrap();
    s.write_string(2, 1, "2").unwrap();
    let r = read(w.save_to_buffer().unwrap()).unwrap();
    assert_eq!(
        r.warnings,
        [(
            ProblemCode::MergedCells,
            "merged cells (A2:A3): the value is read in the top-left cell only, the other cells are empty".to_string()
        )]
    );
    assert_eq!(
        cells(&r),
        [vec!["Name", "Code"], vec!["Ada", "1"], vec!["", "2"]]
    );
}

#[test]
fn s13_formulas_read_their_cached_value_and_errors_are_flagged() {
    let xml = r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Sum</t></is></c><c r="B1" t="inlineStr"><is><t>Lookup</t></is></c></row><row r="2"><c r="A2"><f>1+2</f><v>3</v></c><c r="B2" t="e"><f>VLOOKUP(1,C:C,1,0)</f><v>#N/A</v></c></row><row r="3"><c r="A3" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="B3" t="str"><f>"a"&amp;"b"</f><v>ab</v></c></row></sheetData>"#;
    let r = read(xlsx(&[("S", "visible", xml)], None)).unwrap();
    assert_eq!(
        cells(&r),
        [
            vec!["Sum", "Lookup"],
            vec!["3", "#N/A"],
            vec!["#DIV/0!", "ab"]
        ]
    );
    assert_eq!(r.errors, [(2, 1), (3, 0)]);
}

#[test]
fn s14_dates_times_and_durations() {
    let mut w = Writer::new();
    let s = w.add_worksheet();
    s.write_string(0, 0, "When").unwrap();
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    let stamp = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let time = CellFormat::new().set_num_format("hh:mm");
    let long = CellFormat::new().set_num_format("[h]:mm:ss");
    s.write_number_with_format(1, 0, 45352.0, &date).unwrap();
    s.write_number_with_format(2, 0, 45352.5 + 12.99999 / 86400.0, &stamp)
        .unwrap();
    s.write_number_with_format(3, 0, 0.75, &time).unwrap();
    s.write_number_with_format(4, 0, 1.5, &long).unwrap();
    s.write_number_with_format(5, 0, 59.0, &date).unwrap();
    let r = read(w.save_to_buffer().unwrap()).unwrap();
    assert_eq!(
        cells(&r),
        [
            vec!["When"],
            vec!["2024-03-01"],
            vec!["2024-03-01T12:00:13"],
            vec!["18:00:00"],
            vec!["36:00:00"],
            vec!["1900-02-28"],
        ]
    );
}

#[test]
fn s14_the_1904_date_system() {
    let xml = r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>When</t></is></c></row><row r="2"><c r="A2" s="1"><v>43890</v></c></row></sheetData>"#;
    let mut book = xlsx(&[("S", "visible", xml)], None);
    // Re-zip with 1904 dates and a date style.
    let styles = r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#;
    let mut archive = zip::ZipArchive::new(Cursor::new(book.clone())).unwrap();
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut b).unwrap();
        let name = f.name().unwrap().to_string();
        if name == "xl/workbook.xml" {
            b = String::from_utf8(b)
                .unwrap()
                .replace("<sheets>", r#"<workbookPr date1904="1"/><sheets>"#)
                .into_bytes();
        }
        if name == "xl/_rels/workbook.xml.rels" {
            b = String::from_utf8(b).unwrap().replace("</Relationships>", r#"<Relationship Id="rIdY" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#).into_bytes();
        }
        parts.push((name, b));
    }
    parts.push(("xl/styles.xml".into(), styles.as_bytes().to_vec()));
    let refs: Vec<(&str, &[u8])> = parts
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    book = zip(&refs);
    let r = read(book).unwrap();
    assert!(r.workbook.date_1904);
    assert_eq!(cells(&r), [vec!["When"], vec!["2024-03-01"]]);
}

#[test]
fn s15_numbers_keep_15_significant_digits() {
    let mut w = Writer::new();
    let s = w.add_worksheet();
    s.write_string(0, 0, "Amount").unwrap();
    let money = CellFormat::new().set_num_format("#,##0.00");
    let pct = CellFormat::new().set_num_format("0%");
    s.write_number(1, 0, 0.1 + 0.2).unwrap();
    s.write_number_with_format(2, 0, 2.675, &money).unwrap();
    s.write_number_with_format(3, 0, 1234567.891, &money)
        .unwrap();
    s.write_number_with_format(4, 0, 0.125, &pct).unwrap();
    s.write_number(5, 0, 42.0).unwrap();
    let r = read(w.save_to_buffer().unwrap()).unwrap();
    assert_eq!(
        cells(&r),
        [
            vec!["Amount"],
            vec!["0.3"],
            vec!["2.675"],
            vec!["1234567.891"],
            vec!["0.125"],
            vec!["42"]
        ]
    );
}

#[test]
fn s16_text_that_looks_like_numbers_stays_text() {
    let mut w = Writer::new();
    let s = w.add_worksheet();
    s.write_string(0, 0, "Code").unwrap();
    for (i, v) in ["007", "01234", "1E5", "2024-03-01", "TRUE", "=1+2", "NA"]
        .iter()
        .enumerate()
    {
        s.write_string(i as u32 + 1, 0, *v).unwrap();
    }
    s.write_boolean(8, 0, true).unwrap();
    let r = read(w.save_to_buffer().unwrap()).unwrap();
    let col: Vec<&str> = cells(&r).iter().skip(1).map(|r| r[0]).collect();
    assert_eq!(
        col,
        [
            "007",
            "01234",
            "1E5",
            "2024-03-01",
            "TRUE",
            "=1+2",
            "NA",
            "TRUE"
        ]
    );
}

#[test]
fn s17_values_beyond_the_header_are_warned_about() {
    let xml = sheet_data(&[&["Name", "Code"], &["Ada", "1", "stray"], &["Bob"]]);
    let r = read(xlsx(&[("S", "visible", &xml)], None)).unwrap();
    assert_eq!(
        cells(&r),
        [vec!["Name", "Code"], vec!["Ada", "1"], vec!["Bob", ""]]
    );
    assert_eq!(
        r.warnings,
        [(
            ProblemCode::ValuesBeyondHeader,
            "1 cell right of the last header holds values (C2) and is not read; give its column a header to read it".to_string()
        )]
    );
}

#[test]
fn s18_unsupported_workbooks_and_renamed_files() {
    let xlsb = zip(&[
        ("xl/workbook.bin", b"x"),
        ("[Content_Types].xml", b"<Types/>"),
    ]);
    assert_eq!(
        read(xlsb).err().unwrap().to_string(),
        "the file is a binary Excel workbook (.xlsb), which intake does not read; save it as XLSX, ODS or CSV"
    );
    let xlsm = zip(&[
        ("xl/workbook.xml", b"<workbook/>"),
        ("xl/vbaProject.bin", b"x"),
    ]);
    assert_eq!(read(xlsm).err().unwrap().code(), "format_not_supported");
    let other = zip(&[("readme.txt", b"hello")]);
    assert_eq!(
        read(other).err().unwrap().to_string(),
        "the file is a zip archive that holds no spreadsheet, which intake does not read; save it as XLSX, ODS or CSV"
    );
    // A PNG named .xlsx is read as what it is.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let e = open(
        Cursor::new(png),
        &CsvOptions::default(),
        &SheetOptions::default(),
    )
    .err()
    .unwrap();
    assert_eq!(
        e.to_string(),
        "the file is not a text file: it looks like a PNG image"
    );
    // A CSV named .xlsx is read as CSV.
    let csv = open(
        Cursor::new(b"a,b\n1,2\n".to_vec()),
        &CsvOptions::default(),
        &SheetOptions::default(),
    )
    .unwrap();
    assert_eq!(csv.format(), Format::Csv);
}
