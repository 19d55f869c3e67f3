//! Use cases of intake: what the CLI, the server and the worker call.
//!
//! This is the only crate that combines the readers of `intake-formats` with the pure core
//! (and, later, the store). Callers hold no import logic: they parse arguments, call a
//! function here and render its result.

pub mod export;
pub mod import;
pub mod progress;
pub mod validate;
pub mod values;
pub mod workbook;

pub use export::{ExportError, ExportRequest, export, export_xlsx};
pub use import::{
    BytesInput, FailMode, FailPoint, FileInput, ImportError, ImportOutcome, ImportRequest, Input,
    OnError, OutputFile, Outputs, import,
};
pub use progress::{NoProgress, Progress};
pub use validate::{EngineError, FileValidation, ValidateRequest, validate};
pub use values::{MAX_UNKNOWN_VALUES, UnknownValue, UnknownValues, unknown_values};
pub use workbook::{OutputWriter, template_xlsx};
