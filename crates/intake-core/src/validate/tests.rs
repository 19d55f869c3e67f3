//! Validation tests: one `check` helper, tests as one-liners on small schemas.

use super::*;
use crate::mapping::{ManualMapping, MapOptions, auto_map};
use crate::report::render;

struct TestRow {
    row: RowNumber,
    cells: Vec<String>,
    flags: Vec<(usize, CellFlag)>,
}

impl Row for TestRow {
    fn row(&self) -> RowNumber {
        self.row
    }
    fn len(&self) -> usize {
        self.cells.len()
    }
    fn cell(&self, i: usize) -> Option<&str> {
        self.cells.get(i).map(String::as_str)
    }
    fn flag(&self, i: usize) -> Option<CellFlag> {
        self.flags.iter().find(|f| f.0 == i).map(|f| f.1)
    }
}

const SCHEMA: &str = r#"
[locale]
date_format = "DD/MM/YYYY"
decimal_separator = "."
thousands_separator = ","

[lists.stage]
options = [{ code = "lead", label = "Lead" }, { code = "customer", label = "Customer" }]

[types.contact]
label = "Contact"
natural_keys = [["email"]]

[[types.contact.fields]]
name = "email"
label = "Email"
type = "email"
required = true
unique = true

[[types.contact.fields]]
name = "name"
label = "Name"
type = "text"
required = true
max_length = 10

[[types.contact.fields]]
name = "stage"
label = "Stage"
type = "select"
list = "stage"

[[types.contact.fields]]
name = "born"
label = "Born"
type = "date"

[[types.contact.fields]]
name = "score"
label = "Score"
type = "integer"
min = 0
max = 100

[[types.contact.fields]]
name = "country"
label = "Country"
type = "country"

[[types.contact.fields]]
name = "state"
label = "State"
type = "subdivision"
country_field = "country"

[[types.contact.fields]]
name = "tags"
label = "Tags"
type = "multiselect"
list = "tag"

[lists.tag]
case_insensitive = true
options = [{ code = "vip", label = "VIP" }, { code = "press", label = "Press" }]
"#;

fn run(csv_rows: &[&str], options: impl FnOnce(&mut ValidateOptions)) -> ValidationReport {
    run_mapped(csv_rows, &ManualMapping::default(), options).0
}

/// Validates with a mapping file; the report, the typed rows and the options to create.
fn run_mapped(
    csv_rows: &[&str],
    manual: &ManualMapping,
    options: impl FnOnce(&mut ValidateOptions),
) -> (ValidationReport, Vec<TypedRow>, Vec<(String, String)>) {
    let schema = Schema::from_toml("test.toml", SCHEMA).unwrap();
    let rt = schema.record_type("contact").unwrap();
    let headers: Vec<String> = csv_rows[0].split(',').map(str::to_string).collect();
    let mut opts = ValidateOptions::new(schema.locale.clone());
    options(&mut opts);
    let mapped = auto_map(
        rt,
        &headers,
        manual,
        &MapOptions {
            require_required: true,
        },
    );
    manual.check(&schema, rt, &mapped.mapping).unwrap();
    let v = Validator::new(&schema, rt, &mapped.mapping, &opts).with_values(&manual.values);
    let mut val = v.start();
    let mut typed = Vec::new();
    let mut new_options = Vec::new();
    // Two batches, to exercise merging.
    let rows: Vec<TestRow> = csv_rows[1..]
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let mut flags = Vec::new();
            let cells: Vec<String> = line
                .split(',')
                .enumerate()
                .map(|(c, s)| {
                    if s.contains('\0') {
                        flags.push((c, CellFlag::Nul));
                    }
                    s.replace("\\n", "\n")
                })
                .collect();
            TestRow {
                row: RowNumber::new(i as u64 + 2),
                cells,
                flags,
            }
        })
        .collect();
    let mid = rows.len() / 2;
    for chunk in [&rows[..mid], &rows[mid..]] {
        let mut out = BatchOutput::default();
        for r in chunk {
            v.check_row(r, &mut out);
        }
        typed.append(&mut out.typed);
        new_options.append(&mut out.new_options);
        val.merge(&mut out);
    }
    (
        val.finish(RowNumber::new(1), mapped.problems, mapped.warnings),
        typed,
        new_options,
    )
}

/// The problems as rendered sentences with their codes.
fn check(csv_rows: &[&str]) -> String {
    check_with(csv_rows, |_| {})
}

fn check_with(csv_rows: &[&str], options: impl FnOnce(&mut ValidateOptions)) -> String {
    let r = run(csv_rows, options);
    let mut out: Vec<String> = r
        .problems
        .iter()
        .map(|p| format!("{} [{}]", render(p), p.code))
        .collect();
    out.extend(
        r.warnings
            .iter()
            .map(|w| format!("warning: {} [{}]", w.message, w.code)),
    );
    out.join("\n")
}

const H: &str = "Contact UUID,Email,Name,Stage,Born,Score,Country,State";

#[test]
fn a_clean_file_has_no_problems() {
    assert_eq!(
        check(&[
            H,
            ",a@example.com,Ann,Lead,31/01/1990,5,US,CA",
            ",b@example.com,Bob,customer,,,,"
        ]),
        ""
    );
}

#[test]
fn required_fields_are_checked_for_new_rows_only() {
    insta::assert_snapshot!(check(&[
        H,
        ",a@example.com,,,,,,",
        "0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70,,,,,,,",
    ]), @"row 2, column `Name` (C): `Name` is required for a new Contact; fill it in (or import with --ignore-required to create records without it) [required]");
}

#[test]
fn ignore_required_skips_empty_required_cells_but_never_filled_ones() {
    let out = check_with(&[H, ",,,Lead,,,,", ",not-an-email,,,,,,"], |o| {
        o.ignore_required = true
    });
    insta::assert_snapshot!(out, @"row 3, column `Email` (B): `not-an-email` is not an e-mail address: it has no `@` [invalid_email]");
}

#[test]
fn the_clear_token_cannot_clear_a_required_field() {
    let out = check(&[H, "0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70,#N/A,,#N/A,,,,"]);
    insta::assert_snapshot!(out, @"row 2, column `Email` (B): `#N/A` clears the field, but `Email` is required and cannot be cleared [required]");
}

#[test]
fn every_bad_cell_is_reported_not_just_the_first() {
    insta::assert_snapshot!(check(&[H, "nope,x@,Bartholomew the Great,Prospect,30/02/2024,101,XX,ZZ"]), @r"
    row 2, column `Contact UUID` (A): `nope` is not a UUID; expected 32 hex digits such as `0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70`; leave it empty to create a new Contact [invalid_uuid]
    row 2, column `Email` (B): `x@` is not an e-mail address: nothing comes after the `@` [invalid_email]
    row 2, column `Name` (C): the text has 21 characters; at most 10 are allowed [too_long]
    row 2, column `Stage` (D): `Prospect` is not an option of this list; expected one of `Lead` (lead), `Customer` (customer) [unknown_option]
    row 2, column `Born` (E): `30/02/2024` is not a valid date; expected DD/MM/YYYY such as `31/01/2024`, or YYYY-MM-DD [invalid_date]
    row 2, column `Score` (F): `101` is out of range; expected a whole number between 0 and 100 [out_of_range]
    row 2, column `Country` (G): `XX` is not an ISO 3166-1 alpha-2 country code; expected a two-letter ISO 3166-1 code such as `DE`, `FR` or `US` [unknown_country]
    row 2, column `State` (H): `ZZ` is not an ISO 3166-2 subdivision code; expected a code such as `US-CA` or `DE-BY` [unknown_subdivision]
    ");
}

#[test]
fn subdivisions_use_the_row_country_even_when_it_comes_later() {
    let h = "State,Country,Email,Name";
    assert_eq!(check(&[h, "CA,US,a@example.com,Ann"]), "");
    let out = check(&[h, "ZZ,US,a@example.com,Ann"]);
    assert!(out.contains("[unknown_subdivision]"), "{out}");
}

#[test]
fn unique_values_are_checked_within_the_file() {
    insta::assert_snapshot!(check(&[H, ",a@example.com,Ann,,,,,", ",b@example.com,Bob,,,,,", ",A@Example.com,Ann,,,,,"]), @"row 4, column `Email` (B): `a@example.com` is already in row 2; `Email` must be unique [duplicate_in_file]");
}

#[test]
fn invalid_and_empty_values_take_no_part_in_uniqueness() {
    assert_eq!(
        check_with(&[H, ",a@b,,,,,,", ",a@b,,,,,,", ",,,,,,,"], |o| o
            .ignore_required =
            true)
        .matches("duplicate")
        .count(),
        0
    );
}

#[test]
fn ragged_rows_name_the_counts() {
    insta::assert_snapshot!(check(&["Email,Name", "a@example.com,Ann,extra", "b@example.com", "c@example.com,Cy,,"]), @r"
    row 2: the row has 3 cells but the header has 2 (beyond the last header: `extra`); a delimiter or quote is probably missing or extra in this row [wrong_field_count]
    row 3: the row has 1 cell but the header has 2; a delimiter or quote is probably missing or extra in this row [wrong_field_count]
    row 4: the row has 4 cells but the header has 2 (the extra cells are empty: remove the trailing delimiters); a delimiter or quote is probably missing or extra in this row [wrong_field_count]
    ");
}

#[test]
fn nul_is_a_cell_error() {
    let out = check(&["Email,Name", "a@example.com,A\0n"]);
    insta::assert_snapshot!(out, @r"row 2, column `Name` (B): the cell contains a NUL byte (an invisible character that databases refuse); remove it [nul_character]");
}

#[test]
fn missing_required_columns_and_unmapped_columns() {
    insta::assert_snapshot!(check(&["Name,Favourite colour", "Ann,blue"]), @r"
    row 1: the file has no column for the required field `email`; add a column headed `Email` [missing_column]
    warning: column `Favourite colour` matches no field of `contact` and is not imported; rename it to a field label or map it with --mapping [unmapped_column]
    ");
}

#[test]
fn c17_empty_header_over_data_is_an_error_over_nothing_a_warning() {
    insta::assert_snapshot!(check(&["Email,Name,,", "a@example.com,Ann,,x", "b@example.com,Bob,,y"]), @r"
    row 2, column `` (D): column D has no header but holds data in 2 rows (first in row 2); give it a header or delete the column [empty_header]
    warning: column C has no header and no data; ignored [empty_header]
    ");
}

#[test]
fn ambiguous_dates_are_judged_on_the_whole_column() {
    // Day-first is the default; one row only fits month-first.
    let out = check(&[
        "Email,Name,Born",
        "a@example.com,A,01/02/1990",
        "b@example.com,B,13/02/1990",
        "c@example.com,C,02/13/1990",
    ]);
    insta::assert_snapshot!(out, @r"
    row 4, column `Born` (C): `02/13/1990` is not a valid date; expected DD/MM/YYYY such as `31/01/2024`, or YYYY-MM-DD (this column is read as DD/MM/YYYY (day-first): 1 row fit only DD/MM/YYYY (day-first) against 1 fitting only MM/DD/YYYY (month-first); the rows that fit only MM/DD/YYYY (month-first) are reported) [invalid_date]
    warning: column `Born` was read as DD/MM/YYYY (day-first): 1 row fit only DD/MM/YYYY (day-first) against 1 fitting only MM/DD/YYYY (month-first); the rows that fit only MM/DD/YYYY (month-first) are reported [ambiguous_column]
    ");
    // A month-first majority wins, and the report says so.
    let r = run(
        &[
            "Email,Name,Born",
            "a@example.com,A,01/02/1990",
            "b@example.com,B,02/13/1990",
            "c@example.com,C,12/31/1990",
        ],
        |_| {},
    );
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.judgements.len(), 1);
    let j = &r.judgements[0];
    assert_eq!(j.chosen, "MM/DD/YYYY (month-first)");
    assert_eq!(
        (j.readings[0].only, j.readings[1].only, j.fit_all),
        (0, 2, 1)
    );
}

#[test]
fn an_explicit_date_format_wins() {
    let out = check_with(
        &[
            "Email,Name,Born",
            "a@example.com,A,02/13/1990",
            "b@example.com,B,12/31/1990",
        ],
        |o| {
            o.date_format = Some(DateFormat::parse("DD/MM/YYYY").unwrap());
        },
    );
    assert_eq!(out.matches("[invalid_date]").count(), 2, "{out}");
    assert!(!out.contains("ambiguous"), "{out}");
}

#[test]
fn ambiguous_numbers_are_judged_too() {
    // `1.000` has decimals under the default reading and is out of range (1000 > 100) under
    // the other: neither fits, and the default reading's verdict is reported.
    let r = run(
        &[
            "Email,Name,Score",
            "a@example.com,A,1.000",
            "b@example.com,B,2.000",
        ],
        |_| {},
    );
    assert_eq!(
        r.problems
            .iter()
            .map(|p| p.code.as_str())
            .collect::<Vec<_>>(),
        ["integer_has_decimals", "integer_has_decimals"]
    );
    // Plain numbers read the same both ways: nothing to judge, nothing to report.
    let r = run(
        &[
            "Email,Name,Score",
            "a@example.com,A,5",
            "b@example.com,B,50",
        ],
        |_| {},
    );
    assert!(
        r.warnings.is_empty() && r.judgements.is_empty(),
        "{:?}",
        r.warnings
    );
}

#[test]
fn c16_german_numbers_and_dates_read_with_de_and_rejected_with_en() {
    let schema = r#"
    [types.t]
    [[types.t.fields]]
    name = "amount"
    type = "decimal"
    scale = 2
    [[types.t.fields]]
    name = "day"
    type = "date"
    "#;
    let schema = Schema::from_toml("t.toml", schema).unwrap();
    let rt = schema.record_type("t").unwrap();
    let headers = vec!["Amount".to_string(), "Day".to_string()];
    let mapped = auto_map(
        rt,
        &headers,
        &ManualMapping::default(),
        &MapOptions::default(),
    );
    let row = TestRow {
        row: RowNumber::new(2),
        cells: vec!["1.234,50".into(), "01.03.2024".into()],
        flags: vec![],
    };
    for (locale, problems) in [("de-DE", 0), ("en-US", 2)] {
        let l = Locale::preset(locale).unwrap();
        let mut o = ValidateOptions::new(l.clone());
        o.date_format = Some(l.date_format.clone());
        o.number_format = Some(NumberFormat {
            decimal: l.decimal_separator,
            thousands: l.thousands_separator,
        });
        let v = Validator::new(&schema, rt, &mapped.mapping, &o);
        let mut out = BatchOutput::default();
        v.check_row(&row, &mut out);
        let mut val = v.start();
        val.merge(&mut out);
        let report = val.finish(RowNumber::new(1), vec![], vec![]);
        assert_eq!(
            report.problems.len(),
            problems,
            "{locale}: {:?}",
            report.problems
        );
    }
}

#[test]
fn counts_of_new_existing_and_failed_rows() {
    let r = run(
        &[
            H,
            ",a@example.com,Ann,,,,,",
            "0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70,,,,,,,",
            ",bad,,,,,,",
        ],
        |_| {},
    );
    assert_eq!(
        (r.rows, r.new_rows, r.existing_rows, r.failed_rows),
        (3, 2, 1, 1)
    );
}

#[test]
fn c2_header_only_warns_no_data_rows() {
    let r = run(&[H], |_| {});
    assert_eq!(
        r.warnings
            .iter()
            .map(|w| w.code.as_str())
            .collect::<Vec<_>>(),
        ["no_data_rows"]
    );
}

#[test]
fn modes_create_and_update_refuse_the_other_kind_of_row() {
    let rows = [
        H,
        ",a@example.com,Ann,,,,,",
        "0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70,,,,,,,",
    ];
    insta::assert_snapshot!(check_with(&rows, |o| o.mode = Mode::Create), @"row 3, column `Contact UUID` (A): in create mode every row creates a new Contact; leave `Contact UUID` empty (or import in upsert mode to update this record) [mode_mismatch]");
    insta::assert_snapshot!(check_with(&rows, |o| o.mode = Mode::Update), @"row 2, column `Contact UUID` (A): in update mode every row updates an existing Contact; fill in its `Contact UUID` (or import in upsert mode to create it) [mode_mismatch]");
    // Update mode creates nothing, so required fields are not checked.
    assert_eq!(
        check_with(&[H, "0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70,,,,,,,"], |o| o
            .mode =
            Mode::Update),
        ""
    );
}

#[test]
fn rows_of_empty_cells_are_skipped_and_said() {
    let r = run(
        &[H, ",a@example.com,Ann,,,,,", ",,,,,,,", " , ,,,,,,", ",,"],
        |_| {},
    );
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.rows, 1);
    insta::assert_snapshot!(r.warnings[0].message, @"3 rows have only empty cells (formatted but empty spreadsheet rows?) and are skipped");
}

/// Validates `Email,Name,Stage,Tags` rows under a mapping file: the problems, then per row the
/// stored stage and tags, then the options to create.
fn check_values(mapping: &str, rows: &[&str], create_missing: bool) -> String {
    let manual = ManualMapping::from_toml(mapping).unwrap();
    let mut all = vec!["Email,Name,Stage,Tags"];
    all.extend(rows);
    let (report, typed, new_options) = run_mapped(&all, &manual, |o| {
        o.typed = true;
        o.create_missing_options = create_missing;
    });
    let mut out: Vec<String> = report
        .problems
        .iter()
        .map(|p| format!("{} [{}] value `{}`", render(p), p.code, p.value))
        .collect();
    for t in typed.iter().filter(|t| !t.failed) {
        let v = |f: usize| match &t.values[f] {
            CellValue::Set(Stored::Text(s)) => s.clone(),
            other => format!("{other:?}"),
        };
        out.push(format!("row {}: stage {}, tags {}", t.row, v(2), v(7)));
    }
    for (list, value) in new_options {
        out.push(format!("new option of `{list}`: {value}"));
    }
    out.join("\n")
}

#[test]
fn value_mappings_read_a_select_value_as_its_option() {
    let m = "[values.Stage]\nProspect = \"lead\"\nClient = \"Customer\"\nNew = { create = true }\n";
    insta::assert_snapshot!(check_values(m, &[
        "a@example.com,Ann, Prospect ,",
        "b@example.com,Bob,Client,",
        "c@example.com,Cy,New,",
        "d@example.com,Di,prospect,",
    ], false), @r"
    row 5, column `Stage` (C): `prospect` is not an option of this list; expected one of `Lead` (lead), `Customer` (customer) [unknown_option] value `prospect`
    row 2: stage lead, tags Set(Null)
    row 3: stage customer, tags Set(Null)
    row 4: stage New, tags Set(Null)
    new option of `stage`: New
    ");
}

#[test]
fn value_mappings_apply_to_each_item_of_a_multiselect() {
    // The tag list ignores case, so mappings do too; every unknown item is its own problem.
    let m = "[values.Tags]\nimportant = \"VIP\"\nBlog = { create = true }\n";
    insta::assert_snapshot!(check_values(m, &[
        "a@example.com,Ann,,IMPORTANT;press;blog",
        "b@example.com,Bob,,Radio;vip;TV",
    ], false), @r"
    row 3, column `Tags` (D): `Radio` is not an option of this list; separate options with `;` and use `VIP` (vip), `Press` (press) [unknown_option] value `Radio`
    row 3, column `Tags` (D): `TV` is not an option of this list; separate options with `;` and use `VIP` (vip), `Press` (press) [unknown_option] value `TV`
    row 2: stage Set(Null), tags vip;press;blog
    new option of `tag`: blog
    ");
}

#[test]
fn create_missing_options_still_creates_what_no_mapping_names() {
    let m = "[values.Stage]\nProspect = \"lead\"\n";
    insta::assert_snapshot!(check_values(m, &[
        "a@example.com,Ann,Prospect,Radio;VIP",
        "b@example.com,Bob,Partner,",
    ], true), @r"
    row 2: stage lead, tags vip;Radio
    row 3: stage Partner, tags Set(Null)
    new option of `tag`: Radio
    new option of `stage`: Partner
    ");
}
