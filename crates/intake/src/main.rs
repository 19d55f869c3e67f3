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

/// A reader that stops early (`intake export ... | head`) closes the pipe: printing to it
/// then fails, and the standard library's `println!` panics. That is not an error of intake's:
/// stop quietly, as other command-line tools do, instead of printing a panic.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
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
        Command::Serve(a) => commands::serve::serve(&cli.global, a),
        Command::Worker(a) => commands::serve::worker(&cli.global, a),
        Command::Users(a) => commands::users::run(&cli.global, a),
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
