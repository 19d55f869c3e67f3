//! What API fuzzing (schemathesis, see docs/api.md) found, one test per finding: the router
//! is called with `oneshot`, no socket.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use intake_server::api::{Ctx, router};
use intake_server::auth::{digest, new_token};
use intake_server::state::{App, Config, bootstrap};
use tower::ServiceExt;

/// A server on a fresh workspace (the `crm` demo) and an API token of its admin.
struct Server {
    app: axum::Router,
    token: String,
    workspace: String,
    _dir: tempfile::TempDir,
}

fn server() -> Server {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let app = App::open(Config::new(dir.path())).expect("the server opens");
    let boot = bootstrap(&app).expect("the workspace and admin are created");
    let admin = app
        .control
        .user_by_name("admin")
        .expect("the control database answers")
        .expect("bootstrap created admin");
    let token = new_token();
    app.control
        .create_token(&digest(&token), &admin.id, "test")
        .expect("the token is stored");
    let ctx = Ctx {
        app: Arc::new(app),
        wake: Arc::default(),
    };
    Server {
        app: router(ctx),
        token,
        workspace: boot.workspace,
        _dir: dir,
    }
}

impl Server {
    /// Sends a request with the admin's token; the status, content type and body.
    async fn send(
        &self,
        method: Method,
        uri: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> (StatusCode, String, serde_json::Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token));
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        let req = req
            .body(Body::from(body.to_string()))
            .expect("a valid request");
        let res = self.app.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let ct = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = res.into_body().collect().await.expect("a body").to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, ct, json)
    }
}

/// The error body: JSON with `code`, `message` and `details`; returns the code.
fn error_code(ct: &str, body: &serde_json::Value) -> String {
    assert_eq!(ct, "application/json", "{body}");
    for key in ["code", "message", "details"] {
        assert!(body.get(key).is_some(), "no `{key}` in {body}");
    }
    body["code"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn json_body_that_does_not_parse_is_a_json_400() {
    let s = server();
    let (status, ct, body) = s
        .send(
            Method::POST,
            "/api/v1/workspaces",
            Some("application/json"),
            "\0",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&ct, &body), "invalid_request");
}

#[tokio::test]
async fn json_body_of_the_wrong_shape_is_a_json_400() {
    let s = server();
    let uri = format!("/api/v1/workspaces/{}/settings", s.workspace);
    let (status, ct, body) = s
        .send(
            Method::PUT,
            &uri,
            Some("application/json"),
            r#"{"require_approval":"yes"}"#,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&ct, &body), "invalid_request");
}

#[tokio::test]
async fn json_body_that_is_an_array_is_refused_not_read_as_defaults() {
    let s = server();
    let uri = format!("/api/v1/workspaces/{}/settings", s.workspace);
    let (status, ct, body) = s
        .send(Method::PUT, &uri, Some("application/json"), "[]")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&ct, &body), "invalid_request");
}

#[tokio::test]
async fn body_without_json_content_type_is_a_json_415() {
    let s = server();
    let (status, ct, body) = s.send(Method::POST, "/api/v1/tokens", None, "").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(&ct, &body), "unsupported_media_type");
}

#[tokio::test]
async fn bad_query_parameter_is_a_json_400() {
    let s = server();
    for query in ["status=null", "offset=-1", "limit=many"] {
        let uri = format!("/api/v1/workspaces/{}/imports?{query}", s.workspace);
        let (status, ct, body) = s.send(Method::GET, &uri, None, "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(error_code(&ct, &body), "invalid_request", "{query}");
    }
}

#[tokio::test]
async fn wrong_method_is_a_json_405_with_allow() {
    let s = server();
    let req = Request::builder()
        .method(Method::DELETE)
        .uri("/api/v1/workspaces")
        .body(Body::empty())
        .expect("a valid request");
    let res = s.app.clone().oneshot(req).await.expect("infallible");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers().contains_key(header::ALLOW));
    let (_, ct, body) = s.send(Method::DELETE, "/api/v1/workspaces", None, "").await;
    assert_eq!(error_code(&ct, &body), "method_not_allowed");
}

#[test]
fn openapi_operation_ids_are_unique() {
    let doc = serde_json::to_value(intake_server::api::openapi()).expect("serialisable");
    let mut seen = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(seen.insert(id.to_string()), "{method} {path}: `{id}` twice");
        }
    }
}

#[test]
fn openapi_documents_rejections() {
    let doc = serde_json::to_value(intake_server::api::openapi()).expect("serialisable");
    let settings = &doc["paths"]["/api/v1/workspaces/{ws}/settings"]["put"]["responses"];
    for status in ["400", "401", "403", "413", "415"] {
        assert!(
            settings.get(status).is_some(),
            "PUT settings lacks {status}"
        );
    }
    let key = &doc["paths"]["/api/v1/workspaces/{ws}/imports"]["post"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .expect("the Idempotency-Key header")["schema"];
    assert_eq!(key["minLength"], 1);
    assert_eq!(key["maxLength"], 200);
}

#[test]
fn openapi_documents_what_the_server_checks() {
    let doc = serde_json::to_value(intake_server::api::openapi()).expect("serialisable");
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["NewWorkspace"]["properties"]["name"]["pattern"].is_string());
    assert!(schemas["UserRequest"]["properties"]["username"]["pattern"].is_string());
    assert_eq!(
        schemas["TokenRequest"]["properties"]["name"]["minLength"],
        1
    );
    let options = &doc["paths"]["/api/v1/workspaces/{ws}/imports/{id}/options"]["put"];
    assert!(options["responses"].get("422").is_some());
    let file = &doc["paths"]["/api/v1/workspaces/{ws}/imports/{id}/files/{name}"]["get"];
    assert!(
        file["responses"]["200"]["content"]
            .get("text/csv")
            .is_some()
    );
}
