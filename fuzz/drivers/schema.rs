// Fuzz driver `schema`: any text through `Schema::from_toml`.
//
// Shared by `fuzz/fuzz_targets/schema.rs` and `crates/intake-core/tests/fuzz_regressions.rs`
// (through `include!`), so keep it free of anything but `std` and `intake_core`.
//
// Input that is not UTF-8 is skipped (a schema file is read as text first). Errors are fine and
// are rendered; a schema that loads is described as `intake types`/`intake template` would
// (column descriptions, template headers, Frictionless Table Schema). Only a panic is a
// failure.

use intake_core::describe;
use intake_core::schema::Schema;

pub fn run(data: &[u8]) {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    match Schema::from_toml("fuzz.toml", source) {
        Ok(schema) => {
            for rt in &schema.types {
                let _ = rt.uuid_header();
                let _ = describe::describe(&schema, rt);
                let _ = describe::template_headers(rt);
                let _ = describe::table_schema(&schema, rt).to_string();
            }
        }
        Err(errors) => {
            let _ = errors.to_string();
        }
    }
}
