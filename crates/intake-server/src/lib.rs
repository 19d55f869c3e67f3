//! The intake service.

pub mod auth;
pub mod control;
pub mod db;
