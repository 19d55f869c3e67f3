//! The web UI in-process: logging in and out with the forms and their CSRF tokens, the
//! redirect to the login form, where a login may send the browser, escaping of user data,
//! workspaces of others, and the import forms with their CSRF tokens and roles. The browser
//! test (`crates/intake/tests/ui_browser.rs`) covers
//! the pages in Chromium.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use common::Server;
use http_body_util::BodyExt;
use intake_server::api::router;
use tower::ServiceExt;

/// Sends a request; answers the status, the headers and the body as text.
fn send(s: &Server, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let app = router(s.ctx.clone());
    s.rt.block_on(async move {
        let resp = app.oneshot(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    })
}

fn get(s: &Server, path: &str, cookie: &str) -> (StatusCode, HeaderMap, String) {
    let req = Request::get(path).header(header::COOKIE, cookie);
    send(s, req.body(Body::empty()).unwrap())
}

fn post(s: &Server, path: &str, cookie: &str, form: &str) -> (StatusCode, HeaderMap, String) {
    let req = Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    send(s, req.body(Body::from(form.to_string())).unwrap())
}

/// The `name=value` of each cookie set.
fn cookies(h: &HeaderMap) -> Vec<String> {
    h.get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect()
}

/// The value of the hidden field `name` in a page.
fn hidden(page: &str, name: &str) -> String {
    let at = page.find(&format!("name=\"{name}\" value=\"")).unwrap();
    let rest = &page[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// Logs `user` in through the form; answers the session cookie (`intake_session=...`).
fn log_in(s: &Server, user: &str, next: &str) -> (StatusCode, HeaderMap) {
    let (_, h, page) = get(s, "/login", "");
    let login_cookie = cookies(&h).remove(0);
    let form = format!(
        "username={user}&password={user}-password&csrf={}&next={next}",
        hidden(&page, "csrf")
    );
    let (status, h, _) = post(s, "/login", &login_cookie, &form);
    (status, h)
}

fn session(h: &HeaderMap) -> String {
    cookies(h)
        .into_iter()
        .find(|c| c.starts_with("intake_session="))
        .unwrap()
}

#[test]
fn pages_without_a_session_lead_to_the_login_form_and_back() {
    let s = Server::sqlite();
    let (status, h, _) = get(&s, "/w/crm/imports?page=2", "");
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        h[header::LOCATION],
        "/login?next=%2Fw%2Fcrm%2Fimports%3Fpage%3D2"
    );
    let (status, h) = log_in(&s, "viewer", "%2Fw%2Fcrm%2Fimports%3Fpage%3D2");
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/w/crm/imports?page=2");
    let (status, _, page) = get(&s, "/w/crm", &session(&h));
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("crm (viewer)"), "{page}");
    assert_eq!(h.get_all(header::SET_COOKIE).iter().count(), 2);
}

#[test]
fn a_login_never_sends_the_browser_to_another_site() {
    let s = Server::sqlite();
    for next in [
        "%2F%2Fevil.example",
        "https%3A%2F%2Fevil.example",
        "%2F%5Cevil.example",
    ] {
        let (status, h) = log_in(&s, "viewer", next);
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(h[header::LOCATION], "/", "{next}");
    }
}

#[test]
fn the_login_form_needs_its_token_and_the_right_password() {
    let s = Server::sqlite();
    let (_, h, page) = get(&s, "/login", "");
    let login_cookie = cookies(&h).remove(0);
    let csrf = hidden(&page, "csrf");
    let form =
        |password: &str, csrf: &str| format!("username=viewer&password={password}&csrf={csrf}");
    let (status, h, _) = post(&s, "/login", "", &form("viewer-password", &csrf));
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!cookies(&h).iter().any(|c| c.starts_with("intake_session")));
    let (status, _, page) = post(&s, "/login", &login_cookie, &form("wrong", &csrf));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("Wrong user name or password."), "{page}");
    assert!(page.contains("value=\"viewer\""), "{page}");
    let (status, h, _) = post(&s, "/login", &login_cookie, &form("viewer-password", &csrf));
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The UI's session is the API's session.
    let (status, _, me) = get(&s, "/api/v1/me", &session(&h));
    assert_eq!(status, StatusCode::OK, "{me}");
}

#[test]
fn logging_out_needs_the_sessions_csrf_token() {
    let s = Server::sqlite();
    let (_, h) = log_in(&s, "importer", "%2F");
    let cookie = session(&h);
    let (_, _, page) = get(&s, "/w/crm", &cookie);
    let csrf = hidden(&page, "csrf");
    let (status, _, _) = post(&s, "/logout", &cookie, "csrf=not-the-token");
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(get(&s, "/w/crm", &cookie).0, StatusCode::OK);
    let (status, h, _) = post(&s, "/logout", &cookie, &format!("csrf={csrf}"));
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(h[header::LOCATION], "/login?bye=1");
    assert_eq!(get(&s, "/w/crm", &cookie).0, StatusCode::SEE_OTHER);
}

#[test]
fn user_data_is_escaped_and_pages_run_only_their_own_script() {
    let s = Server::sqlite();
    let bytes = "First Name,Last Name,Email\n<b>Ada</b>,Lovelace,ada@example.com\n";
    let name = "%3Cscript%3Ealert(1)%3C%5Cscript%3E%20%26%20co.csv";
    let upload = s.upload("importer", name, bytes.as_bytes());
    let body = serde_json::json!({"upload_id": upload, "record_type": "contact"});
    let (status, v) = s.call("importer", "POST", "/workspaces/{ws}/imports", Some(body));
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (_, h) = log_in(&s, "viewer", "%2F");
    let cookie = session(&h);
    let id = v["id"].as_str().unwrap();
    for path in ["/w/crm/imports".to_string(), format!("/w/crm/imports/{id}")] {
        let (status, h, page) = get(&s, &path, &cookie);
        assert_eq!(status, StatusCode::OK, "{page}");
        // One script, the server's own file; the user's markup stays text.
        assert_eq!(page.matches("<script").count(), 1, "{page}");
        assert!(
            page.contains("<script src=\"/assets/intake.js?v="),
            "{page}"
        );
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;script&gt; &amp; co.csv"),
            "{page}"
        );
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
    }
}

#[test]
fn workspaces_of_others_are_not_found() {
    let s = Server::sqlite();
    let (_, h) = log_in(&s, "outsider", "%2F");
    let cookie = session(&h);
    let (status, _, page) = get(&s, "/", &cookie);
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No workspace yet"), "{page}");
    for path in ["/w/crm", "/w/crm/types/contact", "/w/crm/imports"] {
        let (status, _, page) = get(&s, path, &cookie);
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            page.contains("Workspace <code>crm</code> not found"),
            "{page}"
        );
    }
}

/// Posts the new import form (multipart: token, record type, file) for an account file.
fn post_file(
    s: &Server,
    cookie: &str,
    csrf: &str,
    name: &str,
    bytes: &str,
) -> (StatusCode, HeaderMap, String) {
    post_file_of(s, cookie, csrf, "account", name, bytes)
}

/// Posts the new import form for a file of `record_type`.
fn post_file_of(
    s: &Server,
    cookie: &str,
    csrf: &str,
    record_type: &str,
    name: &str,
    bytes: &str,
) -> (StatusCode, HeaderMap, String) {
    let b = "XxBoundaryxX";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"record_type\"\r\n\r\n{record_type}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n{bytes}\r\n\
         --{b}--\r\n"
    );
    let req = Request::post("/w/crm/imports/new")
        .header(header::COOKIE, cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={b}"),
        );
    send(s, req.body(Body::from(body)).unwrap())
}

const ACCOUNTS: &str = "Account Name,Country\nAcme,France\nGlobex,Narnia\n";

#[test]
fn an_importer_uploads_maps_validates_and_submits_with_the_forms() {
    let s = Server::sqlite();
    let (_, h) = log_in(&s, "importer", "%2F");
    let cookie = session(&h);
    let (status, _, page) = get(&s, "/w/crm/imports", &cookie);
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/w/crm/imports/new\""), "{page}");
    let (status, _, page) = get(&s, "/w/crm/imports/new", &cookie);
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    let csrf = hidden(&page, "csrf");

    // Without the token nothing is stored.
    let (status, _, _) = post_file(&s, &cookie, "nope", "accounts.csv", ACCOUNTS);
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post_file(&s, &cookie, &"x".repeat(2000), "accounts.csv", ACCOUNTS);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, page) = post_file(&s, &cookie, &csrf, "empty.csv", "");
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("The file is empty (0 bytes)"), "{page}");
    let (status, h, page) = post_file(&s, &cookie, &csrf, "accounts.csv", ACCOUNTS);
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let at = h[header::LOCATION].to_str().unwrap().to_string();
    assert!(at.starts_with("/w/crm/imports/"), "{at}");
    let (status, _, page) = get(&s, &at, &cookie);
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("accounts.csv"), "{page}");
    assert!(
        page.contains("action=\"{at}/mapping\"".replace("{at}", &at).as_str()),
        "{page}"
    );
    assert!(page.contains("Globex"), "{page}");

    // The mapping form: leave out the country, then take it back.
    for (form, field) in [
        ("h1=Country&f1=", "Leave out"),
        ("h1=Country&f1=country", ""),
    ] {
        let (status, _, _) = post(
            &s,
            &format!("{at}/mapping"),
            &cookie,
            &format!("csrf=nope&{form}"),
        );
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, body) = post(
            &s,
            &format!("{at}/mapping"),
            &cookie,
            &format!("csrf={csrf}&{form}"),
        );
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let (_, _, page) = get(&s, &at, &cookie);
        if !field.is_empty() {
            assert!(
                page.contains("<option value=\"\" selected>Leave out</option>"),
                "{page}"
            );
        }
    }

    // Validate: the unknown country is a problem, with a form to map it.
    let (status, _, _) = post(&s, &format!("{at}/validate"), &cookie, "csrf=nope");
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = post(
        &s,
        &format!("{at}/validate"),
        &cookie,
        &format!("csrf={csrf}"),
    );
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, _, page) = get(&s, &at, &cookie);
    assert!(page.contains("<q>Narnia</q>"), "{page}");
    assert!(page.contains(&format!("action=\"{at}/values\"")), "{page}");
    let (_, _, filtered) = get(&s, &format!("{at}?column=Account+Name"), &cookie);
    assert!(filtered.contains("No problem matches."), "{filtered}");

    let (status, _, _) = post(
        &s,
        &format!("{at}/values"),
        &cookie,
        "csrf=nope&column=Country&v0=Narnia&o0=FR",
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = post(
        &s,
        &format!("{at}/values"),
        &cookie,
        &format!("csrf={csrf}&column=Country&v0=Narnia&o0=FR"),
    );
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    post(
        &s,
        &format!("{at}/validate"),
        &cookie,
        &format!("csrf={csrf}"),
    );
    let (_, _, page) = get(&s, &at, &cookie);
    assert!(page.contains("no problems."), "{page}");

    let (status, _, _) = post(&s, &format!("{at}/submit"), &cookie, "csrf=nope");
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = post(
        &s,
        &format!("{at}/submit"),
        &cookie,
        &format!("csrf={csrf}"),
    );
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let (_, _, page) = get(&s, &at, &cookie);
    assert!(!page.contains(&format!("action=\"{at}/submit\"")), "{page}");
}

#[test]
fn a_viewer_sees_no_import_forms_and_cannot_post_them() {
    let s = Server::sqlite();
    let upload = s.upload("importer", "accounts.csv", ACCOUNTS.as_bytes());
    let body = serde_json::json!({"upload_id": upload, "record_type": "account"});
    let (_, v) = s.call("importer", "POST", "/workspaces/{ws}/imports", Some(body));
    let at = format!("/w/crm/imports/{}", v["id"].as_str().unwrap());
    let (_, h) = log_in(&s, "viewer", "%2F");
    let cookie = session(&h);
    let (_, _, page) = get(&s, "/w/crm/imports", &cookie);
    assert!(!page.contains("/w/crm/imports/new"), "{page}");
    assert_eq!(
        get(&s, "/w/crm/imports/new", &cookie).0,
        StatusCode::FORBIDDEN
    );
    let (status, _, page) = get(&s, &at, &cookie);
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("method=\"post\" action=\"/w/"), "{page}");
    let csrf = hidden(&page, "csrf");
    let (status, _, _) = post_file(&s, &cookie, &csrf, "accounts.csv", ACCOUNTS);
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (path, form) in [
        ("mapping", "h1=Country&f1="),
        ("values", "column=Country&v0=Narnia&o0=FR"),
        ("validate", ""),
        ("submit", ""),
    ] {
        let (status, _, _) = post(
            &s,
            &format!("{at}/{path}"),
            &cookie,
            &format!("csrf={csrf}&{form}"),
        );
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    // An outsider does not learn the workspace exists.
    let (_, h) = log_in(&s, "outsider", "%2F");
    let cookie = session(&h);
    assert_eq!(
        get(&s, "/w/crm/imports/new", &cookie).0,
        StatusCode::NOT_FOUND
    );
}

/// The `Location` of a redirect.
fn location(h: &HeaderMap) -> String {
    h[header::LOCATION].to_str().unwrap().to_string()
}

const GOOD_ACCOUNTS: &str = "Account Name,Country\nAcme,France\nGlobex,Germany\n";

#[test]
fn options_approval_progress_cancel_and_revert_with_the_forms() {
    let s = Server::sqlite();
    s.settings(serde_json::json!({"require_approval": true, "four_eyes": true}));
    let (_, h) = log_in(&s, "importer", "%2F");
    let ivan = session(&h);
    let (_, _, page) = get(&s, "/w/crm/imports/new", &ivan);
    let csrf = hidden(&page, "csrf");
    let (status, h, _) = post_file(&s, &ivan, &csrf, "accounts.csv", GOOD_ACCOUNTS);
    assert_eq!(status, StatusCode::SEE_OTHER);
    let at = location(&h);
    let (_, _, page) = get(&s, &at, &ivan);
    // What was detected, and the upload validated at once.
    assert!(page.contains("Text (CSV)"), "{page}");
    assert!(page.contains("comma"), "{page}");
    assert!(page.contains("no problems."), "{page}");
    assert!(page.contains("It will create <strong>2</strong>"), "{page}");
    assert!(
        page.contains("a manager approves it before it runs"),
        "{page}"
    );

    // Options: saved and said so; refused ones come back as chosen, with the reason.
    let form =
        "mode=create&on_error=skip&match_on=&encoding=&delimiter=&date_format=&decimal_separator=";
    let (status, _, _) = post(
        &s,
        &format!("{at}/options"),
        &ivan,
        &format!("csrf=nope&{form}"),
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, h, _) = post(
        &s,
        &format!("{at}/options"),
        &ivan,
        &format!("csrf={csrf}&{form}"),
    );
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), format!("{at}?done=options_checked#main"));
    let (_, _, page) = get(&s, &location(&h), &ivan);
    assert!(page.contains("The options are saved"), "{page}");
    assert!(page.contains("Create only · partial"), "{page}");
    let (status, _, page) = post(
        &s,
        &format!("{at}/options"),
        &ivan,
        &format!("csrf={csrf}&mode=update&on_error=abort&match_on=shoe_size&clear_empty=on"),
    );
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("role=\"alert\""), "{page}");
    assert!(page.contains("shoe_size"), "{page}");
    assert!(
        page.contains("Update only"),
        "the options as chosen: {page}"
    );
    assert!(page.contains("<details open"), "{page}");
    let (_, _, page) = get(&s, &at, &ivan);
    assert!(
        page.contains("Create only"),
        "the refused options were not kept: {page}"
    );

    // Submitted, it waits for a manager; its uploader cannot approve it.
    let (status, h, _) = post(&s, &format!("{at}/submit"), &ivan, &format!("csrf={csrf}"));
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), format!("{at}?done=submitted_waiting#main"));
    let (_, _, page) = get(&s, &location(&h), &ivan);
    assert!(page.contains("it waits for a manager"), "{page}");
    assert!(
        page.contains("Waiting for a manager to approve it"),
        "{page}"
    );
    assert!(!page.contains("Approve and run"), "{page}");
    assert!(page.contains(&format!("action=\"{at}/cancel\"")), "{page}");
    let (status, _, page) = post(&s, &format!("{at}/approve"), &ivan, &format!("csrf={csrf}"));
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("Not done"), "{page}");

    // The manager approves; the progress block follows the run.
    let (_, h) = log_in(&s, "manager", "%2F");
    let maria = session(&h);
    let (_, _, page) = get(&s, &at, &maria);
    let mcsrf = hidden(&page, "csrf");
    assert!(page.contains("Approve and run"), "{page}");
    let (status, h, _) = post(
        &s,
        &format!("{at}/approve"),
        &maria,
        &format!("csrf={mcsrf}"),
    );
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = get(&s, &location(&h), &maria);
    assert!(page.contains("Approved: the import is queued"), "{page}");
    assert!(
        page.contains(&format!("data-poll=\"{at}/progress\"")),
        "{page}"
    );
    assert!(page.contains("<script src=\"/assets/intake.js"), "{page}");
    let (status, h, block) = get(&s, &format!("{at}/progress"), &maria);
    assert_eq!(status, StatusCode::OK);
    assert!(block.contains("Queued"), "{block}");
    assert!(!h.contains_key("x-intake-done"));
    assert_eq!(s.run_jobs(), 1);
    let (_, h, _) = get(&s, &format!("{at}/progress"), &maria);
    assert_eq!(h["x-intake-done"], "1");
    let (_, _, page) = get(&s, &at, &maria);
    assert!(page.contains("What the import did"), "{page}");
    assert_eq!(s.count("account"), 2);

    // Revert: the importer may not; the manager is asked first, then it is done.
    assert_eq!(
        get(&s, &format!("{at}/revert"), &ivan).0,
        StatusCode::FORBIDDEN
    );
    let (status, _, page) = get(&s, &format!("{at}/revert"), &maria);
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("the <strong>2</strong> records it created are removed"),
        "{page}"
    );
    let (status, _, _) = post(&s, &format!("{at}/revert"), &ivan, &format!("csrf={csrf}"));
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, h, _) = post(
        &s,
        &format!("{at}/revert"),
        &maria,
        &format!("csrf={mcsrf}"),
    );
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = get(&s, &location(&h), &maria);
    assert!(
        page.contains("Reverted: the records are as they were"),
        "{page}"
    );
    assert_eq!(s.count("account"), 0);
    // Twice is refused, on the page, with the reason.
    let (status, _, page) = post(
        &s,
        &format!("{at}/revert"),
        &maria,
        &format!("csrf={mcsrf}"),
    );
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        page.contains("a completed import can be reverted"),
        "{page}"
    );

    // Cancel: its uploader cancels a waiting import; a viewer cannot.
    let (_, h, _) = post_file(&s, &ivan, &csrf, "more.csv", GOOD_ACCOUNTS);
    let other = location(&h);
    post(
        &s,
        &format!("{other}/submit"),
        &ivan,
        &format!("csrf={csrf}"),
    );
    let (_, h) = log_in(&s, "viewer", "%2F");
    let vera = session(&h);
    let (_, _, page) = get(&s, &other, &vera);
    assert!(!page.contains("/cancel"), "{page}");
    let vcsrf = hidden(&page, "csrf");
    let (status, _, _) = post(
        &s,
        &format!("{other}/cancel"),
        &vera,
        &format!("csrf={vcsrf}"),
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, h, _) = post(
        &s,
        &format!("{other}/cancel"),
        &ivan,
        &format!("csrf={csrf}"),
    );
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), format!("{other}?done=cancelled#main"));
}

/// Imports `csv` as accounts through the API and runs the import.
fn import_accounts(s: &Server, csv: &str) {
    let imp = s.new_import("importer", "account", csv.as_bytes());
    let id = imp["id"].as_str().unwrap();
    let (status, v) = s.call(
        "importer",
        "POST",
        &format!("/workspaces/{{ws}}/imports/{id}/submit"),
        None,
    );
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(s.run_jobs(), 1);
}

/// The first link of a page whose address starts with `start` and holds `with`, unescaped.
fn href(page: &str, start: &str, with: &str) -> String {
    page.split("href=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].replace("&amp;", "&"))
        .find(|h| h.starts_with(start) && h.contains(with))
        .unwrap()
}

#[test]
fn records_are_listed_searched_filtered_paged_shown_and_exported() {
    let s = Server::sqlite();
    let mut csv = String::from("Account Name,Country\n<b>x</b>,Germany\n");
    for i in 1..=59 {
        csv.push_str(&format!("Acme {i:02},France\n"));
    }
    import_accounts(&s, &csv);
    assert_eq!(s.count("account"), 60);
    let (_, h) = log_in(&s, "viewer", "%2F");
    let cookie = session(&h);

    // The navigation and the record types lead to the records.
    let (status, _, page) = get(&s, "/w/crm", &cookie);
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/w/crm/records\""), "{page}");
    assert!(page.contains("href=\"/w/crm/records/account\""), "{page}");
    let (_, _, page) = get(&s, "/w/crm/types/account", &cookie);
    assert!(page.contains("href=\"/w/crm/records/account\""), "{page}");
    let (status, _, page) = get(&s, "/w/crm/records", &cookie);
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<td class=\"num\">60</td>"), "{page}");

    // The first page: 50 of 60, user data escaped, a link to the next page.
    let (status, _, page) = get(&s, "/w/crm/records/account", &cookie);
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("<h1>Account records</h1>"), "{page}");
    assert!(page.contains("Showing 1–50 of 60 records."), "{page}");
    assert!(page.contains("&lt;b&gt;x&lt;/b&gt;"), "{page}");
    assert!(!page.contains("<b>x</b>"), "{page}");
    assert!(page.contains("Acme 49"), "{page}");
    assert!(!page.contains("Acme 50"), "{page}");
    assert!(page.contains("<label for=\"records-q\">"), "{page}");
    assert!(page.contains("<label for=\"records-filter\">"), "{page}");
    assert!(
        page.contains("<nav class=\"pager\" aria-label=\"Pages\">"),
        "{page}"
    );
    let next = href(&page, "/w/crm/records/account?page=2", "");
    let (_, _, page2) = get(&s, &next, &cookie);
    assert!(page2.contains("Showing 51–60 of 60 records."), "{page2}");
    assert!(page2.contains("Acme 59"), "{page2}");
    assert!(page2.contains(">Previous</a>"), "{page2}");
    assert!(!page2.contains(">Next</a>"), "{page2}");

    // The search narrows, ignoring case, and the pager keeps it.
    let (_, _, page) = get(&s, "/w/crm/records/account?q=acme+0", &cookie);
    assert!(
        page.contains("Showing 1–9 of 9 matching records."),
        "{page}"
    );
    assert!(page.contains("value=\"acme 0\""), "{page}");
    let (_, _, page) = get(&s, "/w/crm/records/account?q=GERMANY", &cookie);
    assert!(page.contains("of 1 matching record."), "{page}");

    // The advanced filter narrows; the export links keep it and answer with those records.
    let filter = "/w/crm/records/account?filter=country+%3D+DE+or+name+%3D+%22Acme+07%22";
    let (status, _, page) = get(&s, filter, &cookie);
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Showing 1–2 of 2 matching records."),
        "{page}"
    );
    assert!(page.contains("Acme 07"), "{page}");
    assert!(
        page.contains("value=\"country = DE or name = &quot;Acme 07&quot;\""),
        "{page}"
    );
    let export = "/api/v1/workspaces/crm/records/account/export?format=";
    let csv_link = href(&page, &format!("{export}csv"), "");
    assert!(csv_link.contains("&filter=country+%3D+DE"), "{csv_link}");
    assert!(!csv_link.contains("update_sheet"), "{csv_link}");
    href(&page, &format!("{export}xlsx"), "");
    assert!(
        page.contains("a row changed since the export is flagged"),
        "{page}"
    );
    let (status, _, body) = get(&s, &csv_link, &cookie);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.lines().count(), 3, "{body}");
    assert!(
        body.contains("Acme 07") && body.contains("<b>x</b>"),
        "{body}"
    );
    let sheet = href(
        &page,
        &format!("{export}csv"),
        "update_sheet=parent_account%2Cname%2C",
    );
    assert!(sheet.contains("&filter=country+%3D+DE"), "{sheet}");
    href(&page, &format!("{export}xlsx"), "update_sheet=");
    let (status, _, body) = get(&s, &sheet, &cookie);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.lines().count(), 3, "{body}");
    // Imported back unchanged, the update sheet changes nothing.
    let imp = s.new_import("importer", "account", body.as_bytes());
    let id = imp["id"].as_str().unwrap();
    let (_, v) = s.call(
        "importer",
        "POST",
        &format!("/workspaces/{{ws}}/imports/{id}/validate"),
        None,
    );
    assert_eq!(v["problems"], 0, "{v}");
    assert_eq!(v["counts"]["unchanged"], 2, "{v}");
    assert!(
        body.contains("[old] Account Name,[new] Account Name"),
        "{body}"
    );

    // The example filter reads.
    let at = page.find("for example <code>").unwrap() + 18;
    let example = &page[at..at + page[at..].find("</code>").unwrap()];
    let example = example.replace("&quot;", "\"");
    let q: String = url::form_urlencoded::byte_serialize(example.as_bytes()).collect();
    let (status, _, page) = get(&s, &format!("/w/crm/records/account?filter={q}"), &cookie);
    assert_eq!(status, StatusCode::OK, "{example}: {page}");

    // A filter that cannot be read is said on the page, which keeps what was typed.
    let (status, _, page) = get(
        &s,
        "/w/crm/records/account?q=acme&filter=country+%3D+Spain",
        &cookie,
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("role=\"alert\""), "{page}");
    assert!(page.contains("The filter cannot be read"), "{page}");
    assert!(page.contains("<code>Spain</code>"), "{page}");
    assert!(page.contains("value=\"country = Spain\""), "{page}");
    assert!(page.contains("value=\"acme\""), "{page}");
    assert!(page.contains("aria-invalid=\"true\""), "{page}");
    assert!(!page.contains("<table"), "{page}");

    // One record: every field, its UUID, the way back.
    let (_, v) = s.call(
        "viewer",
        "GET",
        "/workspaces/{ws}/records/account?filter=name%20%3D%20%22Acme%2007%22",
        None,
    );
    let uuid = v["records"][0]["uuid"].as_str().unwrap().to_string();
    let (status, _, page) = get(&s, &format!("/w/crm/records/account/{uuid}"), &cookie);
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("<h1>Acme 07</h1>"), "{page}");
    assert!(page.contains("<dt>Country</dt><dd>France</dd>"), "{page}");
    assert!(page.contains(&format!("<code>{uuid}</code>")), "{page}");
    assert!(page.contains("href=\"/w/crm/records/account\""), "{page}");
    for path in [
        "/w/crm/records/account/01a20000-0000-7000-8000-000000000001",
        "/w/crm/records/account/not-a-uuid",
        "/w/crm/records/nothing",
    ] {
        assert_eq!(get(&s, path, &cookie).0, StatusCode::NOT_FOUND, "{path}");
    }

    // An outsider does not learn the workspace exists.
    let (_, h) = log_in(&s, "outsider", "%2F");
    let outsider = session(&h);
    for path in [
        "/w/crm/records".to_string(),
        "/w/crm/records/account".to_string(),
        format!("/w/crm/records/account/{uuid}"),
    ] {
        let (status, _, page) = get(&s, &path, &outsider);
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            page.contains("Workspace <code>crm</code> not found"),
            "{page}"
        );
    }
}

#[test]
fn a_type_without_records_says_so_and_offers_an_import_to_importers() {
    let s = Server::sqlite();
    let (_, h) = log_in(&s, "importer", "%2F");
    let (status, _, page) = get(&s, "/w/crm/records/contact", &session(&h));
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("There are no Contact records yet."), "{page}");
    assert!(page.contains("href=\"/w/crm/imports/new\""), "{page}");
    assert!(!page.contains("/export?"), "{page}");
    let (_, h) = log_in(&s, "viewer", "%2F");
    let (status, _, page) = get(&s, "/w/crm/records/contact", &session(&h));
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("There are no Contact records yet."), "{page}");
    assert!(!page.contains("/w/crm/imports/new"), "{page}");
}

#[test]
fn a_contact_files_company_column_shows_as_the_accounts_name() {
    let s = Server::sqlite();
    let (_, h) = log_in(&s, "importer", "%2F");
    let cookie = session(&h);
    let (_, _, page) = get(&s, "/w/crm/imports/new", &cookie);
    let csrf = hidden(&page, "csrf");
    let (status, h, _) = post_file_of(
        &s,
        &cookie,
        &csrf,
        "contact",
        "c.csv",
        "First Name,Last Name,Email,Company\nAnn,Lee,ann@acme.example,Acme\n",
    );
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = get(&s, &location(&h), &cookie);
    assert!(
        page.contains("Account: <strong>Account Name</strong>"),
        "{page}"
    );
    assert!(
        page.contains("Finds the account by it, or creates it"),
        "{page}"
    );
    // Validated at once: one contact and its account would be created.
    assert!(page.contains("no problems."), "{page}");
}

#[test]
fn a_required_field_without_a_column_is_flagged_and_nothing_can_be_submitted() {
    let s = Server::sqlite();
    let (_, h) = log_in(&s, "importer", "%2F");
    let cookie = session(&h);
    let (_, _, page) = get(&s, "/w/crm/imports/new", &cookie);
    let csrf = hidden(&page, "csrf");
    let (status, h, _) = post_file(
        &s,
        &cookie,
        &csrf,
        "no names.csv",
        "Country,Web\nFrance,https://a.example\n",
    );
    assert_eq!(status, StatusCode::SEE_OTHER);
    let at = location(&h);
    let (_, _, page) = get(&s, &at, &cookie);
    assert!(page.contains("Incomplete"), "{page}");
    assert!(page.contains("Before this file can be imported:"), "{page}");
    assert!(page.contains("Account Name"), "{page}");
    // Not validated (the mapping is not complete) and no submit form.
    assert!(!page.contains("Checked "), "{page}");
    assert!(!page.contains(&format!("action=\"{at}/submit\"")), "{page}");
    // Submitting anyway is refused on the page, with the reason.
    let (status, _, page) = post(
        &s,
        &format!("{at}/submit"),
        &cookie,
        &format!("csrf={csrf}"),
    );
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("Not done"), "{page}");
    // Mapping the column to the name completes it, and the file is checked at once.
    let (status, h, _) = post(
        &s,
        &format!("{at}/mapping"),
        &cookie,
        &format!("csrf={csrf}&h1=Web&f1=name"),
    );
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&h), format!("{at}?done=mapping_checked#main"));
    let (_, _, page) = get(&s, &location(&h), &cookie);
    assert!(page.contains("the file checked again"), "{page}");
    assert!(page.contains("Checked "), "{page}");
    assert!(page.contains(&format!("action=\"{at}/submit\"")), "{page}");
}

#[test]
fn problem_counts_link_to_the_problems_they_count() {
    let s = Server::sqlite();
    let (_, h) = log_in(&s, "importer", "%2F");
    let cookie = session(&h);
    let (_, _, page) = get(&s, "/w/crm/imports/new", &cookie);
    let csrf = hidden(&page, "csrf");
    let (_, h, _) = post_file(
        &s,
        &cookie,
        &csrf,
        "a.csv",
        "Account Name,Country,Website\nAcme,Narnia,nope\n",
    );
    let at = location(&h);
    let (_, _, page) = get(&s, &at, &cookie);
    assert!(
        page.contains(&format!("href=\"{at}?column=Country#problems-h\"")),
        "{page}"
    );
    assert!(
        page.contains(&format!("href=\"{at}?code=unknown_option#problems-h\"")),
        "{page}"
    );
    let (_, _, page) = get(&s, &format!("{at}?column=Country"), &cookie);
    assert!(page.contains("Problems 1–1 of 1."), "{page}");
    assert!(page.contains("<q>Narnia</q>"), "{page}");
    assert!(!page.contains("<q>nope</q>"), "{page}");
}

#[test]
fn the_imports_list_filters_by_status_and_tells_managers_what_waits_for_them() {
    let s = Server::sqlite();
    s.settings(serde_json::json!({"require_approval": true}));
    let (_, h) = log_in(&s, "importer", "%2F");
    let ivan = session(&h);
    let (_, _, page) = get(&s, "/w/crm/imports/new", &ivan);
    let csrf = hidden(&page, "csrf");
    let (_, h, _) = post_file(&s, &ivan, &csrf, "waiting.csv", GOOD_ACCOUNTS);
    let waiting = location(&h);
    post(
        &s,
        &format!("{waiting}/submit"),
        &ivan,
        &format!("csrf={csrf}"),
    );
    post_file(&s, &ivan, &csrf, "ready.csv", GOOD_ACCOUNTS);

    // Importers see no call to approve; managers do, and it leads to the filtered list.
    let (_, _, page) = get(&s, "/w/crm/imports", &ivan);
    assert!(
        !page.contains("wait for a manager") && !page.contains("waits for a manager"),
        "{page}"
    );
    let (_, h) = log_in(&s, "manager", "%2F");
    let maria = session(&h);
    let (_, _, page) = get(&s, "/w/crm/imports", &maria);
    assert!(
        page.contains("1 import waits for a manager's approval"),
        "{page}"
    );
    assert!(
        page.contains("waiting.csv") && page.contains("ready.csv"),
        "{page}"
    );
    let (status, _, page) = get(&s, "/w/crm/imports?status=waiting_for_approval", &maria);
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("waiting.csv") && !page.contains("ready.csv"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"waiting_for_approval\" selected>"),
        "{page}"
    );
    let (_, _, page) = get(&s, "/w/crm/imports?status=completed", &maria);
    assert!(page.contains("No import has this status."), "{page}");
    // A status that is not one shows them all.
    let (status, _, page) = get(&s, "/w/crm/imports?status=%3Cb%3E", &maria);
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("waiting.csv") && page.contains("ready.csv"),
        "{page}"
    );
}
