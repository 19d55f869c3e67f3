//! The webhook: headers, signature, retries and the errors after them.

use std::cell::RefCell;
use std::net::TcpListener;
use std::time::Duration;

use intake_notify::{ImportEnded, NotifyError, WebhookConfig, send_webhook, verify};

use crate::import_ended;
use crate::receiver::receiver;

const SECRET: &str = "whsec-acme";
const FIRST_DELAY: Duration = Duration::from_millis(250);

fn config(url: &str, max_attempts: u32) -> WebhookConfig {
    WebhookConfig {
        url: url.to_owned(),
        secret: SECRET.to_owned(),
        max_attempts,
        first_delay: FIRST_DELAY,
        timeout: Duration::from_secs(10),
    }
}

/// Sends the event and returns what happened and the delays it would have slept.
fn send(cfg: &WebhookConfig) -> (Result<intake_notify::Delivery, NotifyError>, Vec<Duration>) {
    let delays = RefCell::new(Vec::new());
    let result = send_webhook(cfg, &import_ended(), &|d| delays.borrow_mut().push(d));
    (result, delays.into_inner())
}

#[test]
fn retried_after_server_errors_with_the_same_signed_body() {
    let receiver = receiver(&[500, 500, 200]);
    let (result, delays) = send(&config(&receiver.url, 5));

    let delivery = result.unwrap();
    assert_eq!((delivery.attempts, delivery.status), (3, 200));
    assert_eq!(delays, [FIRST_DELAY, FIRST_DELAY * 2]);

    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    let first = &requests[0];
    assert_eq!(first.request_line, "POST /hooks/intake HTTP/1.1");
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(first.header("x-intake-event"), Some("import.ended"));
    assert_eq!(
        first.header("user-agent"),
        Some(concat!("intake/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        first.header("x-intake-delivery"),
        Some(delivery.id.as_str())
    );
    assert!(uuid_v4(&delivery.id), "{}", delivery.id);
    for request in &requests {
        assert_eq!(request.body, first.body);
        assert_eq!(
            request.header("x-intake-delivery"),
            Some(delivery.id.as_str())
        );
        assert_eq!(
            request.header("x-intake-signature"),
            first.header("x-intake-signature")
        );
    }

    let body: ImportEnded = serde_json::from_slice(&first.body).unwrap();
    assert_eq!(body, import_ended());
    let signature = first.header("x-intake-signature").unwrap();
    assert!(verify(SECRET.as_bytes(), &first.body, signature));
    assert!(!verify(b"another secret", &first.body, signature));
    let mut changed = first.body.clone();
    changed.push(b' ');
    assert!(!verify(SECRET.as_bytes(), &changed, signature));
}

#[test]
fn the_json_body_is_stable() {
    let receiver = receiver(&[204]);
    let (result, _) = send(&config(&receiver.url, 1));
    assert_eq!(result.unwrap().status, 204);
    let body = String::from_utf8(receiver.requests()[0].body.clone()).unwrap();
    insta::assert_snapshot!(body, @r#"{"event":"import.ended","workspace":"acme","import_id":"0b6f3c1e-5a4d-4c8e-9f1a-2d3e4f5a6b7c","record_type":"contact","file_name":"contacts.csv","status":"completed","counts":{"rows":1207,"created":1204,"updated":0,"unchanged":0,"deleted":0,"skipped":0,"failed":3},"uploaded_by":"ada@example.com","finished_at":"2026-11-22T09:30:00Z","message":null,"url":"https://intake.example.com/acme/imports/0b6f3c1e"}"#);
}

#[test]
fn a_client_error_is_not_retried() {
    let receiver = receiver(&[400]);
    // Credentials and a token in the URL never show in the error.
    let url = receiver.url.replace("http://", "http://hook:pa55@") + "?token=s3cret";
    let (result, delays) = send(&config(&url, 5));

    let error = result.unwrap_err();
    assert!(
        matches!(
            error,
            NotifyError::WebhookStatus {
                status: 400,
                attempt: 1,
                max_attempts: 5,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.is_transient());
    assert!(delays.is_empty());
    assert_eq!(receiver.requests().len(), 1);
    let message = error
        .to_string()
        .replace(&receiver.url, "http://127.0.0.1:PORT/hooks/intake");
    insta::assert_snapshot!(message, @"webhook `http://127.0.0.1:PORT/hooks/intake?…` answered HTTP 400 on attempt 1 of 5 (the receiver refused the request; not retried)");
}

#[test]
fn too_many_requests_is_retried() {
    let receiver = receiver(&[429, 200]);
    let (result, delays) = send(&config(&receiver.url, 5));
    assert_eq!(result.unwrap().attempts, 2);
    assert_eq!(delays, [FIRST_DELAY]);
}

#[test]
fn server_errors_until_the_last_attempt() {
    let receiver = receiver(&[503, 502, 500]);
    let (result, delays) = send(&config(&receiver.url, 3));
    let error = result.unwrap_err();
    assert!(
        matches!(
            error,
            NotifyError::WebhookStatus {
                status: 500,
                attempt: 3,
                max_attempts: 3,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert_eq!(delays, [FIRST_DELAY, FIRST_DELAY * 2]);
}

#[test]
fn a_closed_port_is_retried_then_reported() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hooks/intake");
    let (result, delays) = send(&config(&url, 4));

    assert_eq!(delays, [FIRST_DELAY, FIRST_DELAY * 2, FIRST_DELAY * 4]);
    let error = result.unwrap_err();
    assert!(
        matches!(
            error,
            NotifyError::WebhookUnreachable {
                attempt: 4,
                max_attempts: 4,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string().replace(&port.to_string(), "PORT");
    insta::assert_snapshot!(message, @"webhook `http://127.0.0.1:PORT/hooks/intake` could not be reached on attempt 4 of 4: connection refused");
}

#[test]
fn a_receiver_that_never_answers_times_out() {
    let receiver = receiver(&[0, 0]);
    let mut cfg = config(&receiver.url, 2);
    cfg.timeout = Duration::from_millis(200);
    let (result, delays) = send(&cfg);
    let error = result.unwrap_err();
    assert!(
        matches!(error, NotifyError::WebhookUnreachable { attempt: 2, .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().ends_with("no answer within the timeout"),
        "{error}"
    );
    assert_eq!(delays, [FIRST_DELAY]);
}

#[test]
fn a_url_that_cannot_be_used_is_refused_before_any_attempt() {
    let (result, delays) = send(&config("ftp://user:pw@example.com/hook", 3));
    insta::assert_snapshot!(result.unwrap_err(), @"webhook URL `ftp://example.com/hook` cannot be used: the scheme is `ftp`, not http or https");
    assert!(delays.is_empty());
}

fn uuid_v4(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok_and(|id| id.get_version_num() == 4)
}
