//! `intake serve` as a new user meets it: on an empty folder it writes the demo workspace,
//! prints where it listens and the admin's password, answers health checks, logs the admin in,
//! and stops cleanly on SIGTERM. `intake users` adds users and tokens the API accepts.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

use common::serve;

fn intake(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_intake"))
        .arg("--workspace")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

/// One HTTP/1.1 request; answers the status line's code and the body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let code = out.split(' ').nth(1).unwrap().parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}

#[test]
fn serve_starts_on_an_empty_folder_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("shop");
    let server = serve(&home, &[]);
    let (said, addr) = (&server.said, server.addr.clone());
    let password = server.password.clone().unwrap();
    assert!(said[0].contains("wrote the `crm` demo schema"), "{said:?}");
    assert!(
        said[1].starts_with("intake serves workspace `shop` at http://127.0.0.1:"),
        "{said:?}"
    );
    assert!(home.join("intake.toml").exists());

    assert_eq!(http(&addr, "GET", "/healthz", &[], "").0, 200);
    assert_eq!(http(&addr, "GET", "/readyz", &[], "").0, 200);
    let (code, body) = http(&addr, "GET", "/api/v1/me", &[], "");
    assert_eq!(code, 401, "{body}");
    assert!(body.contains("\"code\":\"unauthenticated\""), "{body}");
    let login = format!("{{\"username\":\"admin\",\"password\":\"{password}\"}}");
    let (code, body) = http(
        &addr,
        "POST",
        "/api/v1/session",
        &[("content-type", "application/json")],
        &login,
    );
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("\"workspace\":\"shop\",\"role\":\"admin\""),
        "{body}"
    );

    let status = server.stop();
    assert!(status.success(), "{status:?}");

    // Users and tokens from the command line; the second start creates no admin.
    let out = intake(&home, &["users", "add", "ida", "--role", "importer"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("created user `ida` (importer in `shop`)")
    );
    let ida_password = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(ida_password.len(), 23);
    let out = intake(&home, &["users", "token", "ida"]);
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("intake_"), "{token}");
    let out = intake(&home, &["users", "list"]);
    let list = String::from_utf8(out.stdout).unwrap();
    assert!(
        list.contains("ida") && list.contains("shop: importer"),
        "{list}"
    );
    let out = intake(&home, &["users", "add", "ida"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists already"));

    let server = serve(&home, &["--workers", "0"]);
    let addr = server.addr.clone();
    assert!(server.password.is_none());
    assert!(
        server
            .said
            .iter()
            .any(|l| l.contains("log in with your user")),
        "{:?}",
        server.said
    );
    let bearer = format!("Bearer {token}");
    let (code, body) = http(
        &addr,
        "GET",
        "/api/v1/workspaces/shop/types",
        &[("authorization", &bearer)],
        "",
    );
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"name\":\"contact\""), "{body}");
    let (code, _) = http(
        &addr,
        "GET",
        "/api/v1/workspaces/shop/types",
        &[("authorization", "Bearer intake_wrong")],
        "",
    );
    assert_eq!(code, 401);
    assert!(server.stop().success());
}
