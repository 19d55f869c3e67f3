//! One module per command.

pub mod describe;
pub mod export;
pub mod import;
pub mod imports;
pub mod init;
pub mod inspect;
pub mod serve;
pub mod template;
pub mod types;
pub mod users;
pub mod validate;
