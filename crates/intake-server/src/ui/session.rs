//! Logging in and out through forms.
//!
//! The login form has no session yet, so its CSRF token is a random value set in a
//! short-lived cookie (`intake_login`, SameSite=Strict) and repeated in a hidden field; the
//! POST must carry both, equal. Logging out is a POST carrying the session's CSRF token.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::document;
use super::{UiError, page};
use crate::api::session::{CLEAR_SESSION_COOKIE, open_session, session_cookie};
use crate::api::{ApiError, Ctx, blocking, cookie};
use crate::auth::{SESSION_COOKIE, digest, random_hex, same};

/// The login form's CSRF cookie.
const LOGIN_COOKIE: &str = "intake_login";

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    bye: Option<String>,
}

/// Where to go after logging in: a path on this server, never another site.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

struct LoginView<'a> {
    next: &'a str,
    username: &'a str,
    error: Option<&'a str>,
    notice: Option<&'a str>,
}

/// The login page with a fresh form token (in the cookie and the hidden field).
fn login_form(status: StatusCode, v: &LoginView<'_>) -> Response {
    let token = random_hex(16);
    let markup: Markup = document(
        "Log in",
        html! {
            header.top { div.bar { span.brand { "intake" } } }
            main #main.narrow tabindex="-1" {
                h1 { "Log in" }
                @if let Some(n) = v.notice {
                    p.notice role="status" { (n) }
                }
                @if let Some(e) = v.error {
                    p.error role="alert" id="login-error" { (e) }
                }
                form.stacked method="post" action="/login" {
                    input type="hidden" name="csrf" value=(token);
                    input type="hidden" name="next" value=(v.next);
                    label for="username" { "User name" }
                    input #username type="text" name="username" value=(v.username)
                        autocomplete="username" required autofocus[v.username.is_empty()]
                        aria-describedby=[v.error.map(|_| "login-error")];
                    label for="password" { "Password" }
                    input #password type="password" name="password"
                        autocomplete="current-password" required autofocus[!v.username.is_empty()]
                        aria-describedby=[v.error.map(|_| "login-error")];
                    button type="submit" { "Log in" }
                }
            }
        },
    );
    let mut resp = page(status, markup);
    let c = format!("{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600");
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// `GET /login`.
pub async fn login_page(Query(q): Query<LoginQuery>) -> Response {
    login_form(
        StatusCode::OK,
        &LoginView {
            next: safe_next(q.next.as_deref()),
            username: "",
            error: None,
            notice: q.bye.is_some().then_some("You have logged out."),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

/// `POST /login`: checks the form token and the password, sets the session cookie and goes
/// where the user was going; shows the form again with the reason otherwise.
pub async fn login(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref()).to_string();
    let fresh = cookie(&headers, LOGIN_COOKIE).is_some_and(|c| same(&c, &form.csrf));
    if !fresh {
        return login_form(
            StatusCode::FORBIDDEN,
            &LoginView {
                next: &next,
                username: &form.username,
                error: Some("The form had expired. Please log in again."),
                notice: None,
            },
        );
    }
    let app = ctx.app.clone();
    let (username, password) = (form.username.clone(), form.password);
    match blocking(move || open_session(&app, &username, &password)).await {
        Ok((token, _, _)) => {
            let mut resp = Redirect::to(&next).into_response();
            let h = resp.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&ctx.app, &token)) {
                h.append(header::SET_COOKIE, v);
            }
            let clear =
                format!("{LOGIN_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0");
            if let Ok(v) = HeaderValue::from_str(&clear) {
                h.append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => login_form(
            StatusCode::UNAUTHORIZED,
            &LoginView {
                next: &next,
                username: &form.username,
                error: Some("Wrong user name or password."),
                notice: None,
            },
        ),
        Err(e) => UiError::from(e).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

/// `POST /logout`: ends the session when the form carries its CSRF token.
pub async fn logout(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let app = ctx.app.clone();
        let ended = blocking(move || {
            let hash = digest(&token);
            match app.control.session(&hash)? {
                Some((_, csrf)) if same(&csrf, &form.csrf) => {
                    app.control.delete_session(&hash)?;
                    Ok(true)
                }
                Some(_) => Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf_failed",
                    "the form had expired; reload the page and try again",
                )),
                None => Ok(false),
            }
        })
        .await;
        if let Err(e) = ended {
            return UiError::from(e).into_response();
        }
    }
    let mut resp = Redirect::to("/login?bye=1").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(CLEAR_SESSION_COOKIE),
    );
    resp
}
