//! One module per command.

pub mod describe;
pub mod export;
pub mod import;
pub mod imports;
pub mod init;
pub mod inspect;
pub mod template;
pub mod types;
pub mod validate;
