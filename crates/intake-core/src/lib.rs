//! The pure domain of intake.
//!
//! Everything here is deterministic and free of I/O: no file system, no network, no clock,
//! no async. Time and ids come in as parameters. The schema, the field types and their cell
//! parsers, column mapping, the whole-column judgement of dates and numbers, validation and
//! the report model all live here, so almost all tests live here too.

pub mod cell;
pub mod demo;
pub mod describe;
pub mod filter;
pub mod judge;
pub mod locale;
pub mod mapping;
pub mod plan;
pub mod report;
pub mod row;
pub mod schema;
pub mod share;
pub mod stored;
pub mod validate;

pub use row::RowNumber;
