//! The `intake` binary: arguments, workspace loading, one module per command, rendering and
//! exit codes. It holds no import logic: commands call `intake-engine` and `intake-core` and
//! render what they return.
//!
//! Exit codes: 0 success; 1 the file has problems (nothing was written); 2 usage,
//! configuration or runtime failure.

mod args;
mod commands;
mod options;
mod progress;
mod render;
mod workspace;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// How a command ended, mapped to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything went well (exit 0).
    Ok,
    /// The file has problems; nothing was written (exit 1).
    Problems,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match &cli.command {
        Command::Init(a) => commands::init::run(&cli.global, a),
        Command::Inspect(a) => commands::inspect::run(&cli.global, a),
        Command::Types(a) => commands::types::run(&cli.global, a),
        Command::Describe(a) => commands::describe::run(&cli.global, a),
        Command::Template(a) => commands::template::run(&cli.global, a),
        Command::Validate(a) => commands::validate::run(&cli.global, a),
        Command::Import(a) => commands::import::run(&cli.global, a),
        Command::Export(a) => commands::export::run(&cli.global, a),
        Command::Imports(a) => commands::imports::run(&cli.global, a),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Problems) => ExitCode::from(1),
        Err(e) => {
            render::print_error(&e);
            ExitCode::from(2)
        }
    }
}
