//! The web UI: server-rendered pages at `/` and below, served by the same router as the API.
//!
//! Pages are maud templates, so every value spliced into them (file names, headers, values,
//! user names) is escaped; nothing is ever spliced unescaped. Pages work without JavaScript:
//! links, GET forms for filters and POST forms for changes; one small script only keeps a
//! running import's progress fresh. The UI logs in with the same session
//! cookie as `POST /api/v1/session`; each of its forms carries the session's CSRF token as a
//! hidden field, checked on every POST (the login form, before there is a session, carries a
//! token that must match a short-lived cookie). Downloads link to the API's GET endpoints,
//! which accept the cookie. Assets (one stylesheet) are embedded in the binary.

use axum::Router;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;
use serde::Deserialize;

use crate::api::{ApiError, Caller, Ctx, blocking, cookie};
use crate::auth::{SESSION_COOKIE, digest};
use crate::control::{Role, User};

mod assets;
mod imports;
mod layout;
mod progress;
mod records;
mod session;
mod steps;
mod types;

/// The UI's routes (merged into [`crate::api::router`]).
pub fn router() -> Router<Ctx> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/switch", get(switch))
        .route("/w/{ws}", get(types::list))
        .route("/w/{ws}/types/{ty}", get(types::describe))
        .route("/w/{ws}/records", get(records::index))
        .route("/w/{ws}/records/{ty}", get(records::list))
        .route("/w/{ws}/records/{ty}/{uuid}", get(records::show))
        .route("/w/{ws}/imports", get(imports::list))
        .route(
            "/w/{ws}/imports/new",
            get(steps::new_page)
                .post(steps::create)
                // The upload's own limit is checked while the file streams to storage.
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/w/{ws}/imports/{id}", get(imports::show))
        .route("/w/{ws}/imports/{id}/mapping", post(steps::mapping))
        .route("/w/{ws}/imports/{id}/values", post(steps::values))
        .route("/w/{ws}/imports/{id}/validate", post(steps::validate))
        .route("/w/{ws}/imports/{id}/submit", post(steps::submit))
        .route("/w/{ws}/imports/{id}/options", post(steps::options))
        .route("/w/{ws}/imports/{id}/approve", post(steps::approve))
        .route("/w/{ws}/imports/{id}/cancel", post(steps::cancel))
        .route(
            "/w/{ws}/imports/{id}/revert",
            get(steps::revert_page).post(steps::revert),
        )
        .route("/w/{ws}/imports/{id}/progress", get(progress::fragment))
        .route("/assets/{file}", get(assets::get))
}

/// The logged-in user of a page, with their workspaces and the session's CSRF token.
/// Without a valid session the page redirects to the login form, which comes back here.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The user.
    pub user: User,
    /// The session's CSRF token, put into every form.
    pub csrf: String,
    /// The user's workspaces and roles.
    pub workspaces: Vec<(String, Role)>,
}

impl Visitor {
    /// As the API's caller, for [`crate::api::access`].
    fn caller(&self) -> Caller {
        Caller {
            user: self.user.clone(),
            session: true,
        }
    }
}

impl FromRequestParts<Ctx> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, ctx: &Ctx) -> Result<Self, Self::Rejection> {
        let here = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let found = match cookie(&parts.headers, SESSION_COOKIE) {
            None => None,
            Some(token) => {
                let app = ctx.app.clone();
                blocking(move || {
                    let Some((user, csrf)) = app
                        .control
                        .session(&digest(&token))?
                        .filter(|(u, _)| !u.disabled)
                    else {
                        return Ok(None);
                    };
                    let workspaces = app.control.memberships(&user)?;
                    Ok(Some(Visitor {
                        user,
                        csrf,
                        workspaces,
                    }))
                })
                .await
                .map_err(|e| UiError::from(e).into_response())?
            }
        };
        found.ok_or_else(|| {
            let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
            Redirect::to(&format!("/login?next={next}")).into_response()
        })
    }
}

/// A page that could not be shown: its status and what to say.
#[derive(Debug)]
pub struct UiError {
    status: StatusCode,
    message: String,
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        UiError {
            status: e.status(),
            message: e.message().to_string(),
        }
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::SERVICE_UNAVAILABLE => "Unavailable",
            _ => "Something went wrong",
        };
        page(self.status, layout::error_page(title, &self.message))
    }
}

/// A page as a response, with the headers every page carries: no caching (pages show
/// private data), a content security policy that allows only this server's stylesheet and
/// script (no inline script, no other origin), no framing, no sniffing.
pub fn page(status: StatusCode, markup: Markup) -> Response {
    let mut resp = (status, markup).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    resp
}

/// `/`: the first workspace, or a page that says there is none.
async fn home(visitor: Visitor) -> Response {
    match visitor.workspaces.first() {
        Some((ws, _)) => Redirect::to(&layout::ws_path(ws)).into_response(),
        None => page(StatusCode::OK, layout::no_workspace(&visitor)),
    }
}

#[derive(Debug, Deserialize)]
struct SwitchQuery {
    ws: String,
}

/// `/switch?ws=NAME`: the workspace switcher's form (a GET form, so it needs no script).
async fn switch(_visitor: Visitor, Query(q): Query<SwitchQuery>) -> Redirect {
    Redirect::to(&layout::ws_path(&q.ws))
}

/// Runs a page's work off the async threads and renders it, or its error.
async fn render(
    f: impl FnOnce() -> Result<Markup, ApiError> + Send + 'static,
) -> Result<Response, UiError> {
    let markup = blocking(f).await?;
    Ok(page(StatusCode::OK, markup))
}
