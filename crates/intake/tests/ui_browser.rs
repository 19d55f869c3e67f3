//! The web UI in a real browser: `intake serve` on a temp folder, a viewer, an importer and a
//! manager added with `intake users add`, then `ui-tests/run.mjs` drives headless Chromium
//! through login, the record types, a field description page, the imports list, and the
//! whole import journey: the importer uploads a file with problems, sees them, maps an
//! unknown value, validates, chooses a partial import and submits; the manager approves it,
//! watches it complete, downloads the response and success files and reverts it; role
//! restrictions for each user. axe-core checks every page; screenshots of each at laptop and
//! tablet width (set `INTAKE_UI_SCREENSHOTS` to keep them in a folder of your choice).
//!
//! Needs node, `npm ci --prefix ui-tests` and Chromium at `/usr/bin/chromium`: without them
//! the test says so and passes, unless `CI` is set, where it fails.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{serve, serve_with};

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

/// Whether the browser tests cannot run here: they say why and skip, unless `CI` is set,
/// where they fail.
fn skipped() -> bool {
    let Some(why) = missing() else {
        return false;
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "the browser test cannot run: {why}"
    );
    eprintln!("SKIPPED ui_browser: {why}");
    true
}

/// Runs `ui-tests/run.mjs` against `intake serve` at `addr` in the workspace `shop`, with
/// `mode` (the environment variable that picks what it checks) set to `value`; fails with
/// what it printed unless it passed. Screenshots go to `INTAKE_UI_SCREENSHOTS`, or into `dir`.
fn run_mjs(dir: &Path, addr: &str, password: &str, mode: &str, value: &std::ffi::OsStr) {
    let shots = std::env::var_os("INTAKE_UI_SCREENSHOTS")
        .map_or_else(|| dir.join("screenshots"), PathBuf::from);
    let out = Command::new("node")
        .arg(repo().join("ui-tests/run.mjs"))
        .args([&format!("http://{addr}"), "shop", password])
        .env(mode, value)
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

#[test]
fn ui_browser_import_journey_roles_accessible() {
    if skipped() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("shop");
    let server = serve(&home, &[]);
    let (addr, password) = (server.addr.clone(), server.password.clone().unwrap());

    // A user of each role but admin, with the password `intake users add` prints.
    let add = |name: &str, role: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_intake"));
        cmd.arg("--workspace")
            .arg(&home)
            .args(["users", "add", name]);
        if !role.is_empty() {
            cmd.args(["--role", role]);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let users = serde_json::json!({
        "viewer": ["vera", add("vera", "viewer")],
        "importer": ["ivan", add("ivan", "importer")],
        "manager": ["maria", add("maria", "manager")],
        "outsider": ["otto", add("otto", "")],
    });

    run_mjs(
        dir.path(),
        &addr,
        &password,
        "INTAKE_UI_USERS",
        std::ffi::OsStr::new(&users.to_string()),
    );
}

/// The progress page in Chromium: a server whose worker holds a 10,000-row run after a batch
/// (`INTAKE_TEST_HOLD_AFTER_BATCH`), the bar with rows a second and the time left, refreshed
/// by the page's script, and cancel; axe-core and screenshots as above.
#[test]
fn ui_browser_progress_is_live_and_cancellable() {
    if skipped() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("shop");
    let hold = dir.path().join("held");
    let server = serve_with(
        &home,
        &[],
        &[("INTAKE_TEST_HOLD_AFTER_BATCH", hold.as_path())],
    );
    let (addr, password) = (server.addr.clone(), server.password.clone().unwrap());
    run_mjs(
        dir.path(),
        &addr,
        &password,
        "INTAKE_UI_PROGRESS_HOLD",
        hold.as_os_str(),
    );
}
