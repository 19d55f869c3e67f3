//! intake-bench: the benchmark harness of intake (DESIGN.md §9).
//!
//! It measures intake side by side with reference tools in the same run, on generated,
//! realistic data, and reports ratios:
//!
//! ```text
//! cargo run --release -p intake-bench -- validate [--rows 1000000] [--runs 3] [--json]
//! cargo run --release -p intake-bench -- import [--rows 1000000] [--runs 3] [--json]
//! cargo run --release -p intake-bench -- postgres [--rows 1000000] [--runs 3] [--json]
//! cargo run --release -p intake-bench -- links [--rows 100000] [--runs 3] [--json]
//! cargo run --release -p intake-bench -- serve [--uploads 20] [--upload-mb 50] [--imports 50] [--json]
//! cargo run --release -p intake-bench --bin gen-contacts -- ROWS OUT.csv [--error-rate 0.01 --errors-out E.csv]
//! target/release/csv-count FILE.csv      # the bare parse reference, as a process
//! ```
//!
//! Modules: [`generator`] writes the contacts data set (a port of
//! `shared/bench/gen_contacts.py`); [`reference`] holds the in-process reference
//! measurements; [`sqlite3`] is the `sqlite3 .import` reference of the import suite;
//! [`postgres`] is the `psql` reference of the postgres suite; [`links`] writes the links
//! suite's accounts and contacts (the `crm` demo's layout);
//! [`serve`] loads `intake serve` and two `intake worker` processes over HTTP;
//! [`measure`] runs a child process and takes its wall time and peak RSS; [`stats`]
//! summarises samples; [`harness`] puts them together into suites of cases.

pub mod generator;
pub mod harness;
pub mod links;
pub mod measure;
pub mod postgres;
pub mod reference;
pub mod serve;
pub mod sqlite3;
pub mod stats;
