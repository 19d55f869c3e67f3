//! CSV: a streaming reader that detects the encoding and the delimiter and names the row of
//! every problem, and a writer whose cells never start a formula in a spreadsheet.
//!
//! Code map: [`reader`] ties the pieces together; `sniff` guesses from the first 64 KiB;
//! `decode` turns bytes into chunks of UTF-8; `tokenizer` is the pure state machine that
//! splits text into records; [`writer`] writes CSV.

mod decode;
pub mod reader;
mod sniff;
mod tokenizer;
pub mod writer;

pub use reader::{
    CsvOptions, CsvReader, Detected, LineEnding, SAMPLE_BYTES, Source, delimiter_name,
};
pub use writer::{CsvWriter, CsvWriterOptions, neutralise, unneutralise};
