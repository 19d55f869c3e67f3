//! The web UI in a real browser: `intake serve` on a temp folder, a viewer added with
//! `intake users add`, then `ui-tests/run.mjs` drives headless Chromium through login, the
//! record types, a field description page, the imports list, an import, a new import
//! uploaded, mapped (a value that matches no option), validated and submitted, logout and a
//! viewer's visit, with axe-core on every page and screenshots of each (set
//! `INTAKE_UI_SCREENSHOTS` to keep them in a folder of your choice).
//!
//! Needs node, `npm ci --prefix ui-tests` and Chromium at `/usr/bin/chromium`: without them
//! the test says so and passes, unless `CI` is set, where it fails.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::serve;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What is missing to run the browser tests, if anything.
fn missing() -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!(
            "Chromium is not at {chromium} (apt-get install chromium)"
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    if !repo()
        .join("ui-tests/node_modules/playwright-core")
        .exists()
    {
        return Some("ui-tests/node_modules is missing (npm ci --prefix ui-tests)".into());
    }
    None
}

#[test]
fn ui_browser_login_types_imports_logout_accessible() {
    if let Some(why) = missing() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the browser test cannot run: {why}"
        );
        eprintln!("SKIPPED ui_browser: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("shop");
    let server = serve(&home, &[]);
    let (addr, password) = (server.addr.clone(), server.password.clone().unwrap());

    let out = Command::new(env!("CARGO_BIN_EXE_intake"))
        .arg("--workspace")
        .arg(&home)
        .args(["users", "add", "vera", "--role", "viewer"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vera = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let shots = std::env::var_os("INTAKE_UI_SCREENSHOTS")
        .map_or_else(|| dir.path().join("screenshots"), PathBuf::from);
    let out = Command::new("node")
        .arg(repo().join("ui-tests/run.mjs"))
        .args([&format!("http://{addr}"), "shop", &password, "vera", &vera])
        .env("INTAKE_UI_SCREENSHOTS", &shots)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{said}");
    assert!(out.status.success(), "the browser test failed:\n{said}");
}
