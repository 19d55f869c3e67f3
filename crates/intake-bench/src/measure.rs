//! Runs one command as a child process and measures its wall time and peak RSS.
//!
//! The peak RSS comes from `getrusage(RUSAGE_CHILDREN)` through the `nix` crate (a safe
//! wrapper: unsafe code is forbidden in the workspace and std exposes no rusage). That call
//! reports the largest peak among *all* the children a process has waited for, so one harness
//! process running many children could not tell them apart. Hence the harness runs every
//! measured command through a fresh wrapper process, its own hidden subcommand
//!
//! ```text
//! intake-bench measure [--stdin IN] --stdout OUT --stderr ERR -- PROGRAM ARGS...
//! ```
//!
//! whose only child is the command: its `RUSAGE_CHILDREN` peak is exactly the command's.
//! The wrapper times the command itself (spawn to exit), so its own start-up is not counted,
//! and prints one JSON [`Measurement`] on stdout.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use nix::sys::resource::{UsageWho, getrusage};
use serde::{Deserialize, Serialize};

/// What one run of a child process took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Wall-clock seconds from spawn to exit.
    pub seconds: f64,
    /// Peak resident set size of the child, in KiB.
    pub max_rss_kib: u64,
    /// The exit code; `None` when the child was killed by a signal.
    pub exit_code: Option<i32>,
}

/// Runs `program args` with stdin read from `stdin` (closed when `None`) and stdout/stderr
/// sent to files, waits for it, and measures it. Meant to be called in a process that has no
/// other children (see the module doc).
pub fn run_and_measure(
    program: &OsString,
    args: &[OsString],
    stdin: Option<&Path>,
    stdout: &Path,
    stderr: &Path,
) -> Result<Measurement> {
    let input = match stdin {
        Some(path) => Stdio::from(fs_err::File::open(path)?.into_parts().0),
        None => Stdio::null(),
    };
    let out = fs_err::File::create(stdout)?.into_parts().0;
    let err = fs_err::File::create(stderr)?.into_parts().0;
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdin(input)
        .stdout(out)
        .stderr(err)
        .status()
        .with_context(|| format!("could not run `{}`", program.to_string_lossy()))?;
    let seconds = start.elapsed().as_secs_f64();
    let usage =
        getrusage(UsageWho::RUSAGE_CHILDREN).context("getrusage(RUSAGE_CHILDREN) failed")?;
    // Linux reports KiB, macOS bytes.
    let raw = u64::try_from(usage.max_rss()).unwrap_or(0);
    let max_rss_kib = if cfg!(target_os = "macos") {
        raw / 1024
    } else {
        raw
    };
    Ok(Measurement {
        seconds,
        max_rss_kib,
        exit_code: status.code(),
    })
}

/// Runs `program args` (its stdin read from `stdin`, or closed) through the wrapper
/// `wrapper measure ...` (normally this very executable) and returns the wrapper's
/// measurement of it.
pub fn measure_child(
    wrapper: &Path,
    program: &Path,
    args: &[OsString],
    stdin: Option<&Path>,
    stdout: &Path,
    stderr: &Path,
) -> Result<Measurement> {
    let mut command = Command::new(wrapper);
    command.arg("measure");
    if let Some(path) = stdin {
        command.arg("--stdin").arg(path);
    }
    let output = command
        .arg("--stdout")
        .arg(stdout)
        .arg("--stderr")
        .arg(stderr)
        .arg("--")
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| {
            format!(
                "could not run the measuring wrapper `{}`",
                wrapper.display()
            )
        })?;
    if !output.status.success() {
        bail!(
            "the measuring wrapper failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.trim()).with_context(|| {
        format!(
            "the measuring wrapper printed `{}`, not a measurement",
            text.trim()
        )
    })
}
