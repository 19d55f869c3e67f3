//! F1: the `intake` process killed in the middle of an import (`--crash-at`, which aborts the
//! process on the spot, as a power cut or `kill -9` would). The database holds none of the
//! import's rows, the earlier import is intact, and the workspace keeps working.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn intake(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_intake"))
        .args(args)
        .current_dir(dir)
        .env_remove("INTAKE_WORKSPACE")
        .env_remove("INTAKE_CRASH_AT")
        .output()
        .unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(dir.join("intake.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM account ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[cfg(unix)]
fn killed_by_abort(out: &Output) -> bool {
    use std::os::unix::process::ExitStatusExt;
    out.status.signal() == Some(6)
}

#[cfg(not(unix))]
fn killed_by_abort(out: &Output) -> bool {
    !out.status.success()
}

fn indexes(dir: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(dir.join("intake.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'account' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn imports(dir: &Path) -> Vec<serde_json::Value> {
    let out = intake(dir, &["imports", "list", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    list.as_array().unwrap().clone()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn f1_process_killed_mid_import_leaves_no_rows() {
    let mut csv = String::from("Account Name,Employees\n");
    for i in 0..100 {
        csv.push_str(&format!("Company {i},{i}\n"));
    }
    for point in ["before_first_write", "mid_batch", "before_commit"] {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        ok(&intake(dir, &["init", "--demo", "crm"]));
        fs_err::write(dir.join("accounts.csv"), &csv).unwrap();
        fs_err::write(dir.join("first.csv"), "Account Name\nPrior\n").unwrap();
        let crash = ["import", "account", "accounts.csv", "--crash-at", point];
        let index_names = indexes(dir);
        assert!(
            index_names.contains(&"account__name".to_string()),
            "{index_names:?}"
        );

        // Into an empty table (the import drops its indexes to build them at the end).
        let out = intake(dir, &crash);
        assert!(killed_by_abort(&out), "{point}: {:?}", out.status);
        assert_eq!(names(dir), Vec::<String>::new(), "{point}");
        assert_eq!(indexes(dir), index_names, "{point}");
        assert_eq!(imports(dir), Vec::<serde_json::Value>::new(), "{point}");

        // After a committed import: that import is intact.
        ok(&intake(dir, &["import", "account", "first.csv"]));
        let out = intake(dir, &crash);
        assert!(killed_by_abort(&out), "{point}: {:?}", out.status);
        assert_eq!(names(dir), vec!["Prior"], "{point}");
        let list = imports(dir);
        assert_eq!(list.len(), 1, "{point}: {list:?}");
        assert_eq!(list[0]["status"], "completed");
        assert_eq!(list[0]["file_name"], "first.csv");

        // The workspace keeps working: the same file imports normally.
        ok(&intake(dir, &["import", "account", "accounts.csv"]));
        assert_eq!(names(dir).len(), 101, "{point}");
        assert_eq!(imports(dir).len(), 2, "{point}");
    }
}
