// Fuzz driver `validate`: any bytes validated as `contact` records of the crm demo schema,
// through the whole engine (reader, mapping, every cell parser, whole-column judgement,
// uniqueness, report), on one worker thread.
//
// Shared by `fuzz/fuzz_targets/validate.rs` and `crates/intake-engine/tests/fuzz_regressions.rs`
// (through `include!`), so keep it free of anything but `std`, `intake_core` and
// `intake_engine`.
//
// Besides "no panic", it renders every problem and error as the CLI would, and checks that
// problems come in file order.

use std::sync::LazyLock;

use intake_core::mapping::ManualMapping;
use intake_core::report::render;
use intake_core::schema::Schema;
use intake_core::validate::ValidateOptions;
use intake_engine::{NoProgress, ValidateRequest, validate};

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    intake_core::demo::demo("crm")
        .expect("the crm demo exists")
        .schema()
        .expect("the crm demo schema loads")
});

pub fn run(data: &[u8]) {
    let schema = &*SCHEMA;
    let request = ValidateRequest {
        record_type: "contact".to_owned(),
        options: ValidateOptions::new(schema.locale.clone()),
        csv: Default::default(),
        sheet: Default::default(),
        mapping: ManualMapping::default(),
        threads: 1,
    };
    match validate(schema, data, &request, &NoProgress) {
        Ok(validation) => {
            let report = &validation.report;
            if let Some(detected) = &validation.detected {
                let _ = detected.to_string();
            }
            let mut last_row = 0;
            for problem in &report.problems {
                let row = problem.row.get();
                assert!(row >= 1, "a problem on row 0");
                assert!(row >= last_row, "problem on row {row} after row {last_row}");
                last_row = row;
                let _ = render(problem);
            }
            let _ = report.counts();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}
