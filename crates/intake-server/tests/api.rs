//! The HTTP API, driven in-process: the import lifecycle end to end, roles on every
//! endpoint, workspace isolation, idempotency, approval with four eyes, cancel, re-mapping a
//! failed import, upload limits, sessions and CSRF (RELIABILITY A1–A8).
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{CONTACTS, Server};
use serde_json::{Value, json};

fn status(v: &Value) -> &str {
    v["status"].as_str().unwrap_or_default()
}

/// The whole journey: upload, automatic mapping, validate, submit, approve, run, result
/// files, revert, audit.
fn journey(s: &Server) {
    s.settings(json!({"require_approval": true, "four_eyes": true}));
    let imp = s.new_import("importer", "contact", CONTACTS.as_bytes());
    assert_eq!(status(&imp), "ready", "{imp}");
    let id = imp["id"].as_str().unwrap().to_string();
    let path = |p: &str| format!("/workspaces/{{ws}}/imports/{id}{p}");

    let (st, m) = s.call("importer", "GET", &path("/mapping"), None);
    assert_eq!(st, StatusCode::OK);
    let fields: Vec<&str> = m["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["header"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["First Name", "Last Name", "Email", "Account Name"]);
    assert_eq!(m["complete"], true);

    let (st, v) = s.call("importer", "POST", &path("/validate"), None);
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["counts"]["created"], 3);
    assert_eq!(v["problems"], 0);
    assert_eq!(s.count("contact"), 0, "validation writes nothing");

    let (st, v) = s.call("importer", "POST", &path("/submit"), None);
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(status(&v), "waiting_for_approval");
    assert_eq!(s.run_jobs(), 0, "nothing runs before approval");

    // Four eyes: the uploader cannot approve, even as a manager; another manager can.
    let (st, v) = s.call("importer", "POST", &path("/approve"), None);
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = s.call("manager", "POST", &path("/approve"), None);
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(status(&v), "queued");

    assert_eq!(s.run_jobs(), 1);
    let (_, v) = s.call("viewer", "GET", &path(""), None);
    assert_eq!(status(&v), "completed", "{v}");
    assert_eq!(v["counts"]["created"], 3);
    assert_eq!(v["progress"]["rows_done"], 3);
    assert_eq!(s.count("contact"), 3);
    assert_eq!(
        s.count("account"),
        2,
        "accounts created inline once per name"
    );
    let (st, v) = s.call(
        "viewer",
        "GET",
        "/workspaces/{ws}/imports?status=completed",
        None,
    );
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["total"], 1);
    let (_, v) = s.call(
        "viewer",
        "GET",
        "/workspaces/{ws}/imports?status=failed",
        None,
    );
    assert_eq!(v["total"], 0);

    let req = Request::builder()
        .uri(format!(
            "/api/v1/workspaces/{}/imports/{id}/files/success",
            s.ws
        ))
        .body(Body::empty())
        .unwrap();
    let (st, _, bytes) = s.request("viewer", req);
    assert_eq!(st, StatusCode::OK);
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.contains("ada@example.com"));

    // Records are listed and found.
    let (st, v) = s.call(
        "viewer",
        "GET",
        "/workspaces/{ws}/records/contact?filter=email%20%3D%20%22alan%40example.com%22",
        None,
    );
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["total"], 1);
    let uuid = v["records"][0]["uuid"].as_str().unwrap().to_string();
    let (st, v) = s.call(
        "viewer",
        "GET",
        &format!("/workspaces/{{ws}}/records/contact/{uuid}"),
        None,
    );
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["values"]["last_name"], "Turing");

    // Reverting needs a manager.
    let (st, _) = s.call("importer", "POST", &path("/revert"), None);
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s.call("manager", "POST", &path("/revert"), None);
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(status(&v), "reverted");
    assert_eq!(s.count("contact"), 0);

    let (_, audit) = s.call("viewer", "GET", &path("/audit"), None);
    let trail: Vec<(String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["user"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("created", "importer"),
        ("validated", "importer"),
        ("submitted", "importer"),
        ("approved", "manager"),
        ("started", "-"),
        ("completed", "-"),
        ("reverted", "manager"),
    ]
    .iter()
    .map(|(a, u)| ((*a).to_string(), (*u).to_string()))
    .collect();
    assert_eq!(trail, expected);
}

#[test]
fn the_import_journey() {
    journey(&Server::sqlite());
}

#[test]
fn the_import_journey_postgres() {
    let Some(s) = Server::postgres("the_import_journey_postgres") else {
        return;
    };
    journey(&s);
}

/// Every endpoint against every role: below the endpoint's role is 403, a non-member gets
/// 404 (the workspace does not exist for them), nobody gets 401.
#[test]
fn every_endpoint_by_role() {
    let s = Server::sqlite();
    let imp = s.new_import("importer", "contact", CONTACTS.as_bytes());
    let id = imp["id"].as_str().unwrap();
    let i = |p: &str| format!("/workspaces/{{ws}}/imports/{id}{p}");
    // (method, path, body, least role)
    let endpoints: Vec<(&str, String, Option<Value>, &str)> = vec![
        ("GET", "/workspaces/{ws}".into(), None, "viewer"),
        ("GET", "/workspaces/{ws}/types".into(), None, "viewer"),
        (
            "GET",
            "/workspaces/{ws}/types/contact".into(),
            None,
            "viewer",
        ),
        (
            "GET",
            "/workspaces/{ws}/types/contact/template".into(),
            None,
            "viewer",
        ),
        ("GET", "/workspaces/{ws}/imports".into(), None, "viewer"),
        ("GET", i(""), None, "viewer"),
        ("GET", i("/mapping"), None, "viewer"),
        ("GET", i("/problems"), None, "viewer"),
        ("GET", i("/audit"), None, "viewer"),
        (
            "GET",
            "/workspaces/{ws}/records/contact".into(),
            None,
            "viewer",
        ),
        (
            "GET",
            "/workspaces/{ws}/records/contact/export".into(),
            None,
            "viewer",
        ),
        (
            "POST",
            "/workspaces/{ws}/uploads?name=x.csv".into(),
            None,
            "importer",
        ),
        (
            "POST",
            "/workspaces/{ws}/imports".into(),
            Some(json!({"upload_id": "none", "record_type": "contact"})),
            "importer",
        ),
        (
            "PUT",
            i("/mapping"),
            Some(json!({"columns": {}})),
            "importer",
        ),
        ("PUT", i("/options"), Some(json!({})), "importer"),
        ("POST", i("/validate"), None, "importer"),
        ("GET", i("/files/report"), None, "viewer"),
        ("POST", i("/approve"), None, "manager"),
        ("POST", i("/revert"), None, "manager"),
        ("POST", i("/submit"), None, "importer"),
        (
            "PUT",
            "/workspaces/{ws}/settings".into(),
            Some(json!({})),
            "admin",
        ),
        (
            "PUT",
            "/workspaces/{ws}/members/viewer".into(),
            Some(json!({"role": "viewer"})),
            "admin",
        ),
    ];
    let rank = |r: &str| {
        ["viewer", "importer", "manager", "admin"]
            .iter()
            .position(|x| *x == r)
    };
    let users = [
        ("viewer", "viewer"),
        ("importer2", "importer"),
        ("manager", "manager"),
        ("wsadmin", "admin"),
    ];
    for (method, path, body, least) in &endpoints {
        for (user, role) in users {
            let (st, v) = s.call(user, method, path, body.clone());
            if rank(role) < rank(least) {
                assert_eq!(st, StatusCode::FORBIDDEN, "{user} {method} {path}: {v}");
                assert_eq!(v["code"], "forbidden");
            } else {
                assert_ne!(st, StatusCode::FORBIDDEN, "{user} {method} {path}: {v}");
                assert_ne!(st, StatusCode::UNAUTHORIZED, "{user} {method} {path}: {v}");
                assert!(!st.is_server_error(), "{user} {method} {path}: {v}");
            }
        }
        let (st, v) = s.call("outsider", method, path, body.clone());
        assert_eq!(st, StatusCode::NOT_FOUND, "outsider {method} {path}: {v}");
        let (st, v) = s.call("", method, path, body.clone());
        assert_eq!(st, StatusCode::UNAUTHORIZED, "nobody {method} {path}: {v}");
        assert_eq!(v["code"], "unauthenticated");
    }
    // Server-wide: users and workspaces are created by server admins only.
    for user in ["wsadmin", "manager"] {
        let (st, _) = s.call(
            user,
            "POST",
            "/users",
            Some(json!({"username": "new", "password": "long enough"})),
        );
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _) = s.call(
            user,
            "POST",
            "/workspaces",
            Some(json!({"name": "w2", "demo": "msp"})),
        );
        assert_eq!(st, StatusCode::FORBIDDEN);
    }
}

/// A2: an id of another workspace is not found, even for a member of both.
#[test]
fn ids_of_another_workspace_are_not_found() {
    let s = Server::sqlite();
    let imp = s.new_import("importer", "contact", CONTACTS.as_bytes());
    let id = imp["id"].as_str().unwrap();
    let (st, v) = s.call(
        "admin",
        "POST",
        "/workspaces",
        Some(json!({"name": "other", "demo": "msp"})),
    );
    assert_eq!(st, StatusCode::CREATED, "{v}");
    for p in ["", "/mapping", "/audit", "/problems", "/files/report"] {
        let (st, v) = s.call(
            "admin",
            "GET",
            &format!("/workspaces/other/imports/{id}{p}"),
            None,
        );
        assert_eq!(st, StatusCode::NOT_FOUND, "{p}: {v}");
    }
    let (st, _) = s.call(
        "admin",
        "GET",
        &format!("/workspaces/{}/imports/{id}", s.ws),
        None,
    );
    assert_eq!(st, StatusCode::OK);
    // An upload of one workspace cannot start an import in another.
    let upload = s.upload("admin", "c.csv", CONTACTS.as_bytes());
    let (st, v) = s.call(
        "admin",
        "POST",
        "/workspaces/other/imports",
        Some(json!({"upload_id": upload, "record_type": "site"})),
    );
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
}

/// Creating or submitting twice with one Idempotency-Key does it once.
#[test]
fn idempotency_keys_make_retries_safe() {
    let s = Server::sqlite();
    let upload = s.upload("importer", "c.csv", CONTACTS.as_bytes());
    let create = || {
        let req = Request::builder()
            .method("POST")
            .uri(format!("/api/v1/workspaces/{}/imports", s.ws))
            .header("content-type", "application/json")
            .header("idempotency-key", "create-1")
            .body(Body::from(
                json!({"upload_id": upload, "record_type": "contact"}).to_string(),
            ))
            .unwrap();
        s.request("importer", req)
    };
    let (a, va, _) = create();
    let (b, vb, _) = create();
    assert_eq!((a, b), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(va["id"], vb["id"]);
    let id = va["id"].as_str().unwrap();
    let submit = || {
        let req = Request::builder()
            .method("POST")
            .uri(format!("/api/v1/workspaces/{}/imports/{id}/submit", s.ws))
            .header("idempotency-key", "submit-1")
            .body(Body::empty())
            .unwrap();
        s.request("importer", req)
    };
    assert_eq!(submit().0, StatusCode::OK);
    assert_eq!(s.run_jobs(), 1);
    let (st, v, _) = submit();
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(status(&v), "completed");
    assert_eq!(s.run_jobs(), 0, "the second submission ran nothing");
    assert_eq!(s.count("contact"), 3);
    // Without the key, a second submission is refused.
    let (st, v) = s.call(
        "importer",
        "POST",
        &format!("/workspaces/{{ws}}/imports/{id}/submit"),
        None,
    );
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["code"], "invalid_state");
}

/// A failed import (problems, all or nothing) writes nothing, keeps its report, and can be
/// re-mapped and submitted again.
#[test]
fn a_failed_import_is_remapped_and_run_again() {
    let s = Server::sqlite();
    let file = "First Name,Surname,Email\nAda,Lovelace,ada@example.com\nAlan,Turing,not-an-email\n";
    let imp = s.new_import("importer", "contact", file.as_bytes());
    let id = imp["id"].as_str().unwrap().to_string();
    let path = |p: &str| format!("/workspaces/{{ws}}/imports/{id}{p}");
    // `Surname` is matched to Last Name by its alias; the e-mail is wrong on row 3.
    assert_eq!(status(&imp), "ready", "{imp}");
    let (st, v) = s.call("importer", "POST", &path("/submit"), None);
    assert_eq!(st, StatusCode::OK, "{v}");
    s.run_jobs();
    let (_, v) = s.call("importer", "GET", &path(""), None);
    assert_eq!(status(&v), "failed", "{v}");
    assert_eq!(s.count("contact"), 0);
    let (_, p) = s.call(
        "importer",
        "GET",
        &path("/problems?code=invalid_email"),
        None,
    );
    assert_eq!(p["total"], 1, "{p}");
    assert_eq!(p["problems"][0]["row"], 3);
    assert_eq!(p["problems"][0]["column"], "Email");
    assert_eq!(p["problems"][0]["value"], "not-an-email");
    let (_, p) = s.call("importer", "GET", &path("/problems?column=Surname"), None);
    assert_eq!(p["total"], 0);
    // Leave the e-mail column out: the import can run again.
    let (st, m) = s.call(
        "importer",
        "PUT",
        &path("/mapping"),
        Some(json!({"columns": {"Email": null}})),
    );
    assert_eq!(st, StatusCode::OK, "{m}");
    let (st, v) = s.call("importer", "POST", &path("/submit"), None);
    assert_eq!(st, StatusCode::OK, "{v}");
    s.run_jobs();
    let (_, v) = s.call("importer", "GET", &path(""), None);
    assert_eq!(status(&v), "completed", "{v}");
    assert_eq!(s.count("contact"), 2);
    // The correction is remembered for the next file with these headers.
    let next = s.new_import("importer", "contact", file.as_bytes());
    assert_eq!(next["mapping"]["columns"]["Email"], Value::Null);
    assert!(next["mapping"]["columns"].get("Email").is_some(), "{next}");
}

/// A mapping that lacks a required column makes the import incomplete; it cannot be
/// submitted until corrected.
#[test]
fn an_incomplete_mapping_blocks_submission() {
    let s = Server::sqlite();
    let imp = s.new_import("importer", "contact", b"Alpha,Omega\nAda,Lovelace\n");
    assert_eq!(status(&imp), "incomplete", "{imp}");
    let id = imp["id"].as_str().unwrap();
    let path = |p: &str| format!("/workspaces/{{ws}}/imports/{id}{p}");
    let (st, v) = s.call("importer", "POST", &path("/submit"), None);
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    let (_, m) = s.call("importer", "GET", &path("/mapping"), None);
    assert_eq!(m["complete"], false);
    assert!(m["problems"].to_string().contains("Last Name"), "{m}");
    let (st, m) = s.call(
        "importer",
        "PUT",
        &path("/mapping"),
        Some(json!({"columns": {"Alpha": "first_name", "Omega": "last_name"}})),
    );
    assert_eq!(st, StatusCode::OK, "{m}");
    assert_eq!(m["complete"], true);
    let (st, m) = s.call(
        "importer",
        "PUT",
        &path("/mapping"),
        Some(json!({"columns": {"Alpha": "no_such_field"}})),
    );
    assert_eq!(st, StatusCode::BAD_REQUEST, "{m}");
    assert!(
        m["message"].as_str().unwrap().contains("no_such_field"),
        "{m}"
    );
    let (_, v) = s.call("importer", "GET", &path(""), None);
    assert_eq!(status(&v), "ready");
}

/// Unknown lookup values are mapped to options (or created) through the mapping.
#[test]
fn value_mappings_fix_unknown_options() {
    let s = Server::sqlite();
    let file = "Account Name,Customer Tier\nAcme,Platinum\nGlobex,gold\n";
    let imp = s.new_import("importer", "account", file.as_bytes());
    let id = imp["id"].as_str().unwrap();
    let path = |p: &str| format!("/workspaces/{{ws}}/imports/{id}{p}");
    let (_, v) = s.call("importer", "POST", &path("/validate"), None);
    assert_eq!(v["by_code"]["unknown_option"], 1, "{v}");
    assert_eq!(
        v["unknown_values"],
        json!([{"column": "Customer Tier", "field": "customer_tier", "truncated": false,
                "values": [{"value": "Platinum", "rows": 1, "first_row": 2}]}])
    );
    let (st, m) = s.call(
        "importer",
        "PUT",
        &path("/mapping"),
        Some(json!({"values": {"Customer Tier": {"Platinum": "gold"}}})),
    );
    assert_eq!(st, StatusCode::OK, "{m}");
    let (_, v) = s.call("importer", "POST", &path("/validate"), None);
    assert_eq!(v["problems"], 0, "{v}");
}

/// Cancelling before the run; a running import stops and writes nothing.
#[test]
fn cancel_stops_an_import() {
    let s = Server::sqlite();
    let imp = s.new_import("importer", "contact", CONTACTS.as_bytes());
    let id = imp["id"].as_str().unwrap();
    let path = |p: &str| format!("/workspaces/{{ws}}/imports/{id}{p}");
    s.call("importer", "POST", &path("/submit"), None);
    // Another importer cannot cancel it; its uploader can.
    let (st, _) = s.call("importer2", "POST", &path("/cancel"), None);
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = s.call("importer", "POST", &path("/cancel"), None);
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(status(&v), "cancelled");
    assert_eq!(s.run_jobs(), 0);
    assert_eq!(s.count("contact"), 0);
    let (st, _) = s.call("importer", "POST", &path("/cancel"), None);
    assert_eq!(st, StatusCode::CONFLICT);
}

/// A4: rows that delete or deactivate fail for an importer, each named in the report; a
/// manager's submission or approval lets them run.
#[test]
fn deleting_rows_need_a_manager() {
    let s = Server::sqlite();
    let file = "Action,Contact UUID,Last Name\ndelete,01a20000-0000-7000-8000-000000000001,X\n,,Lovelace\n";
    let imp = s.new_import("importer", "contact", file.as_bytes());
    let id = imp["id"].as_str().unwrap();
    let path = |p: &str| format!("/workspaces/{{ws}}/imports/{id}{p}");
    let (_, v) = s.call("importer", "POST", &path("/validate"), None);
    assert_eq!(v["by_code"]["action_not_allowed"], 1, "{v}");
    let (st, v) = s.call("importer", "POST", &path("/submit"), None);
    assert_eq!(st, StatusCode::OK, "{v}");
    s.run_jobs();
    let (_, v) = s.call("importer", "GET", &path(""), None);
    assert_eq!(status(&v), "failed", "{v}");
    let (_, p) = s.call("importer", "GET", &path("/problems"), None);
    assert_eq!(p["problems"][0]["row"], 2, "{p}");
    assert_eq!(p["problems"][0]["code"], "action_not_allowed");
    assert_eq!(p["problems"][0]["column"], "Action");
    assert!(
        p["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("manager role"),
        "{p}"
    );
    // Submitted by a manager, the row may delete (here: the record does not exist).
    let (st, v) = s.call("manager", "POST", &path("/submit"), None);
    assert_eq!(st, StatusCode::OK, "{v}");
    s.run_jobs();
    let (_, p) = s.call("manager", "GET", &path("/problems"), None);
    assert_eq!(p["problems"][0]["code"], "not_found", "{p}");
}

/// Uploads larger than the limit are refused while they arrive, and nothing is kept.
#[test]
fn uploads_over_the_limit_are_refused() {
    let s = Server::start_with(None, |c| c.max_upload_bytes = 1000);
    let req = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/workspaces/{}/uploads?name=big.csv", s.ws))
        .body(Body::from(vec![b'a'; 5000]))
        .unwrap();
    let (st, v, _) = s.request("importer", req);
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["code"], "payload_too_large");
    let stored = std::fs::read_dir(s.app.config.files.join("uploads"))
        .unwrap()
        .count();
    assert_eq!(stored, 0, "the partial upload is removed");
    // An empty body is a mistake too.
    let req = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/workspaces/{}/uploads", s.ws))
        .body(Body::empty())
        .unwrap();
    assert_eq!(s.request("importer", req).0, StatusCode::BAD_REQUEST);
}

/// Sessions: login sets an HttpOnly cookie; changes need the CSRF token; logout ends it.
#[test]
fn sessions_need_the_csrf_token_to_change_anything() {
    let s = Server::sqlite();
    let login = |password: &str| {
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/session")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"username": "manager", "password": password}).to_string(),
            ))
            .unwrap();
        let app = intake_server::api::router(s.ctx.clone());
        s.rt.block_on(async move {
            use tower::ServiceExt;
            app.oneshot(req).await.unwrap()
        })
    };
    assert_eq!(login("wrong").status(), StatusCode::UNAUTHORIZED);
    let resp = login("manager-password");
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let body = s.rt.block_on(async {
        use http_body_util::BodyExt;
        resp.into_body().collect().await.unwrap().to_bytes()
    });
    let me: Value = serde_json::from_slice(&body).unwrap();
    let csrf = me["csrf_token"].as_str().unwrap().to_string();
    let with = |method: &str, path: &str, csrf: Option<&str>| {
        let mut b = Request::builder()
            .method(method)
            .uri(path.replace("{ws}", &s.ws))
            .header("cookie", &session)
            .header("content-type", "application/json");
        if let Some(c) = csrf {
            b = b.header("x-csrf-token", c);
        }
        s.request("", b.body(Body::from("{}")).unwrap())
    };
    assert_eq!(with("GET", "/api/v1/me", None).0, StatusCode::OK);
    let (st, v, _) = with("PUT", "/api/v1/workspaces/{ws}/imports/x/options", None);
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(v["code"], "csrf_failed");
    let (st, _, _) = with(
        "PUT",
        "/api/v1/workspaces/{ws}/imports/x/options",
        Some("wrong"),
    );
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = with(
        "PUT",
        "/api/v1/workspaces/{ws}/imports/x/options",
        Some(&csrf),
    );
    assert_eq!(
        st,
        StatusCode::NOT_FOUND,
        "past CSRF: the import does not exist"
    );
    assert_eq!(
        with("DELETE", "/api/v1/session", Some(&csrf)).0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(with("GET", "/api/v1/me", None).0, StatusCode::UNAUTHORIZED);
}

/// The OpenAPI document lists every route the router serves.
#[test]
fn the_openapi_document_covers_the_api() {
    let doc = serde_json::to_value(intake_server::api::openapi()).unwrap();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for p in [
        "/api/v1/session",
        "/api/v1/workspaces/{ws}/uploads",
        "/api/v1/workspaces/{ws}/imports/{id}/submit",
        "/api/v1/workspaces/{ws}/imports/{id}/approve",
        "/api/v1/workspaces/{ws}/imports/{id}/files/{name}",
        "/api/v1/workspaces/{ws}/records/{type}/export",
        "/healthz",
    ] {
        assert!(
            paths.iter().any(|x| x.as_str() == p),
            "{p} missing: {paths:?}"
        );
    }
    assert!(paths.len() >= 25, "{}", paths.len());
    let s = Server::sqlite();
    let req = Request::builder()
        .uri("/api/openapi.json")
        .body(Body::empty())
        .unwrap();
    let (st, v, _) = s.request("", req);
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["openapi"], "3.1.0");
}

/// When an import ends: a signed webhook to the workspace's receiver and a mail to the
/// uploader, each noted in the audit trail; a muted import sends nothing.
#[test]
fn the_end_of_an_import_is_notified_by_webhook_and_mail() {
    let sink = intake_testkit::smtp_sink::smtp_sink(false);
    let hook = intake_testkit::webhook_receiver::receiver(&[500, 200]);
    let port = sink.port;
    let s = Server::start_with(None, move |c| {
        c.smtp = Some(format!("smtp://127.0.0.1:{port}"));
        c.mail_from = "intake@example.com".into();
    });
    let secret = "a-secret-of-some-length";
    s.settings(json!({"webhook_url": hook.url, "webhook_secret": secret, "notify_email": true}));
    let imp = s.new_import("importer", "contact", CONTACTS.as_bytes());
    let id = imp["id"].as_str().unwrap();
    s.call(
        "importer",
        "POST",
        &format!("/workspaces/{{ws}}/imports/{id}/submit"),
        None,
    );
    assert_eq!(s.run_jobs(), 1);

    let requests = hook.requests();
    assert_eq!(requests.len(), 2, "retried after a 500");
    let r = &requests[1];
    let signature = r.header("x-intake-signature").unwrap();
    assert!(intake_notify::verify(secret.as_bytes(), &r.body, signature));
    let event: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(event["event"], "import.ended");
    assert_eq!(event["import_id"], id);
    assert_eq!(event["status"], "completed");
    assert_eq!(event["counts"]["created"], 3);
    assert_eq!(event["uploaded_by"], "importer");

    let mail = sink.session();
    assert!(
        mail.rcpt_to[0].contains("importer@example.com"),
        "{:?}",
        mail.rcpt_to
    );
    assert!(mail.data.contains("contacts.csv"), "{}", mail.data);

    let (_, audit) = s.call(
        "viewer",
        "GET",
        &format!("/workspaces/{{ws}}/imports/{id}/audit"),
        None,
    );
    let notes: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "notified")
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 2, "{audit}");
    assert!(
        notes[0].starts_with("webhook delivered (status 200, 2 attempts)"),
        "{notes:?}"
    );
    assert!(
        notes[1].starts_with("mail sent to importer@example.com"),
        "{notes:?}"
    );

    // Muted: nothing is sent (the receiver would fail the test by answering nothing more).
    let imp = s.new_import("importer", "contact", CONTACTS.as_bytes());
    let id = imp["id"].as_str().unwrap();
    let (st, v) = s.call(
        "importer",
        "PUT",
        &format!("/workspaces/{{ws}}/imports/{id}/options"),
        Some(json!({"mute_notifications": true})),
    );
    assert_eq!(st, StatusCode::OK, "{v}");
    s.call(
        "importer",
        "POST",
        &format!("/workspaces/{{ws}}/imports/{id}/submit"),
        None,
    );
    assert_eq!(s.run_jobs(), 1);
    assert_eq!(hook.requests().len(), 2, "a muted import sends no webhook");
}

/// A worker shutting down stops its import after the current batch: nothing is written and
/// the import goes back to the queue, where the next worker runs it.
#[test]
fn a_worker_shutting_down_gives_its_import_back() {
    let s = Server::sqlite();
    let imp = s.new_import("importer", "contact", CONTACTS.as_bytes());
    let id = imp["id"].as_str().unwrap();
    s.call(
        "importer",
        "POST",
        &format!("/workspaces/{{ws}}/imports/{id}/submit"),
        None,
    );
    let stopping = std::sync::atomic::AtomicBool::new(true);
    let ran = intake_server::jobs::run_one(&s.app, "stopping-worker", &stopping).unwrap();
    assert!(matches!(ran, intake_server::jobs::Ran::Import(None)));
    let (_, v) = s.call(
        "viewer",
        "GET",
        &format!("/workspaces/{{ws}}/imports/{id}"),
        None,
    );
    assert_eq!(status(&v), "queued", "{v}");
    assert_eq!(s.count("contact"), 0);
    assert_eq!(s.run_jobs(), 1);
    let (_, v) = s.call(
        "viewer",
        "GET",
        &format!("/workspaces/{{ws}}/imports/{id}"),
        None,
    );
    assert_eq!(status(&v), "completed", "{v}");
    assert_eq!(v["attempts"], 2);
    assert_eq!(s.count("contact"), 3);
}

/// A7: the uploaded file's name is for display only, cleaned of path separators and control
/// characters; the file is stored under a generated name.
#[test]
fn upload_names_are_only_shown() {
    let s = Server::sqlite();
    let req = Request::builder()
        .method("POST")
        .uri(format!(
            "/api/v1/workspaces/{}/uploads?name=..%2F..%2Fetc%2Fpasswd%0A.csv",
            s.ws
        ))
        .body(Body::from(CONTACTS))
        .unwrap();
    let (st, v, _) = s.request("importer", req);
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["file_name"], "....etcpasswd.csv");
    let id = v["id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    let stored: Vec<String> = std::fs::read_dir(s.app.config.files.join("uploads"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(stored, [id.to_string()]);
}

/// A8: while a workspace has an import running, the next worker takes another workspace's
/// import rather than the busy workspace's next one.
#[test]
fn a_busy_workspace_does_not_hold_up_the_others() {
    let s = Server::sqlite();
    let (st, v) = s.call(
        "admin",
        "POST",
        "/workspaces",
        Some(json!({"name": "other", "demo": "crm"})),
    );
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let submit = |ws: &str, n: usize| -> Vec<String> {
        (0..n)
            .map(|_| {
                let upload = {
                    let req = Request::builder()
                        .method("POST")
                        .uri(format!("/api/v1/workspaces/{ws}/uploads?name=c.csv"))
                        .body(Body::from(CONTACTS))
                        .unwrap();
                    s.request("admin", req).1["id"]
                        .as_str()
                        .unwrap()
                        .to_string()
                };
                let (_, v) = s.call(
                    "admin",
                    "POST",
                    &format!("/workspaces/{ws}/imports"),
                    Some(json!({"upload_id": upload, "record_type": "contact"})),
                );
                let id = v["id"].as_str().unwrap().to_string();
                let (st, v) = s.call(
                    "admin",
                    "POST",
                    &format!("/workspaces/{ws}/imports/{id}/submit"),
                    None,
                );
                assert_eq!(st, StatusCode::OK, "{v}");
                id
            })
            .collect()
    };
    let busy = submit(&s.ws, 3);
    let other = submit("other", 1);
    let first = s.app.control.claim("w1", 60_000).unwrap().unwrap();
    assert_eq!(first.id, busy[0]);
    let second = s.app.control.claim("w2", 60_000).unwrap().unwrap();
    assert_eq!(
        second.id, other[0],
        "the other workspace's import goes first"
    );
    assert!(
        s.app.control.claim("w3", 60_000).unwrap().is_none(),
        "both workspaces are busy"
    );
}

/// With S3 storage the upload goes to the bucket under `uploads/<id>`, result files under
/// `imports/<id>/<name>`, and nothing stays in the local files folder: the cache is empty
/// between requests.
#[test]
fn the_import_journey_with_s3_storage() {
    let Some(moto) = common::Moto::start_or_skip("the_import_journey_with_s3_storage", "files")
    else {
        return;
    };
    let s = Server::start_with(None, |c| c.storage = Some(moto.storage("files", "team")));
    let files = s.app.config.files.clone();
    let upload = s.upload("importer", "contacts.csv", CONTACTS.as_bytes());
    assert_eq!(
        moto.object("files", &format!("team/uploads/{upload}"))
            .as_deref(),
        Some(CONTACTS.as_bytes())
    );
    assert_eq!(moto.keys("files"), [format!("team/uploads/{upload}")]);
    assert!(common::files_in(&files.join("uploads")).is_empty());
    assert!(common::files_in(&files.join("cache")).is_empty());

    let (st, imp) = s.call(
        "importer",
        "POST",
        "/workspaces/{ws}/imports",
        Some(json!({"upload_id": upload, "record_type": "contact"})),
    );
    assert_eq!(st, StatusCode::CREATED, "{imp}");
    let id = imp["id"].as_str().unwrap().to_string();
    let path = |p: &str| format!("/workspaces/{{ws}}/imports/{id}{p}");
    let (st, v) = s.call("importer", "POST", &path("/validate"), None);
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["counts"]["created"], 3);
    assert!(
        moto.object("files", &format!("team/imports/{id}/report.jsonl"))
            .is_some()
    );
    let (st, v) = s.call("importer", "POST", &path("/submit"), None);
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(s.run_jobs(), 1);
    let (_, v) = s.call("viewer", "GET", &path(""), None);
    assert_eq!(status(&v), "completed", "{v}");
    assert_eq!(s.count("contact"), 3);

    let (st, p) = s.call("viewer", "GET", &path("/problems"), None);
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(p["total"], 0);
    let req = Request::builder()
        .uri(format!(
            "/api/v1/workspaces/{}/imports/{id}/files/success",
            s.ws
        ))
        .body(Body::empty())
        .unwrap();
    let (st, _, bytes) = s.request("viewer", req);
    assert_eq!(st, StatusCode::OK);
    let success = String::from_utf8(bytes).unwrap();
    assert_eq!(success.lines().count(), 4, "{success}");
    assert!(success.contains("ada@example.com"), "{success}");
    assert_eq!(
        moto.object("files", &format!("team/imports/{id}/success.csv"))
            .as_deref(),
        Some(success.as_bytes())
    );
    assert!(common::files_in(&files.join("imports")).is_empty());
    assert!(common::files_in(&files.join("cache")).is_empty());
}

/// With S3 storage an upload over the limit is refused while it arrives and leaves no
/// object and no staging file.
#[test]
fn s3_uploads_over_the_limit_leave_no_object() {
    let Some(moto) =
        common::Moto::start_or_skip("s3_uploads_over_the_limit_leave_no_object", "files")
    else {
        return;
    };
    let s = Server::start_with(None, |c| {
        c.max_upload_bytes = 1000;
        c.storage = Some(moto.storage("files", ""));
    });
    let req = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/workspaces/{}/uploads?name=big.csv", s.ws))
        .body(Body::from(vec![b'a'; 5000]))
        .unwrap();
    let (st, v, _) = s.request("importer", req);
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(moto.keys("files"), Vec::<String>::new());
    assert!(common::files_in(&s.app.config.files.join("cache")).is_empty());
}
