//! `intake serve` started as a user starts it, for the tests that drive the real binary.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

/// A running `intake serve`: what it said on start, where it listens, the admin's password
/// on a first start. Killed when dropped, unless stopped.
pub struct Served {
    child: Option<Child>,
    /// The lines it printed on start, up to the one saying how to stop it.
    pub said: Vec<String>,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// The generated admin password (first start only).
    pub password: Option<String>,
}

/// Starts `intake --workspace HOME serve --addr 127.0.0.1:0 ARGS...` and reads what it
/// prints on start; the rest of its log is read on a thread, so it never blocks on the pipe.
pub fn serve(home: &Path, args: &[&str]) -> Served {
    serve_with(home, args, &[])
}

/// [`serve`] with these environment variables set.
pub fn serve_with(home: &Path, args: &[&str], env: &[(&str, &Path)]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_intake"))
        .arg("--workspace")
        .arg(home)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .env("INTAKE_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut said = Vec::new();
    let (mut addr, mut password) = (String::new(), None);
    loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(rest) = line.split_once("at http://") {
            addr = rest.1.trim().to_string();
        }
        if let Some(rest) = line.split_once("with password `") {
            password = Some(rest.1.split('`').next().unwrap().to_string());
        }
        let last = line.contains("stop with Ctrl-C");
        said.push(line);
        if last {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    Served {
        child: Some(child),
        said,
        addr,
        password,
    }
}

impl Served {
    /// Stops it as Ctrl-C or a service manager would (SIGTERM) and waits for it.
    pub fn stop(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        child.wait().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
