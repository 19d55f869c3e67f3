//! The HTTP API under `/api/v1`, its OpenAPI document at `/api/openapi.json` (generated from
//! the handlers' annotations), health and readiness.
//!
//! Handlers run their work with [`blocking`]: the database clients and the engine are
//! synchronous. Every error is one JSON body `{code, message, details}` with a stable code.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{CSRF_HEADER, SESSION_COOKIE, digest, same};
use crate::control::{Role, User};
use crate::db::DbError;
use crate::jobs::Wake;
use crate::state::{App, ServerError, Workspace};

pub mod extract;
pub mod imports;
pub mod records;
pub mod session;
pub mod workspaces;

/// What handlers share.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The server's state.
    pub app: Arc<App>,
    /// Wakes this process's workers when an import is queued.
    pub wake: Arc<Wake>,
}

/// The body of every error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code: `unauthenticated`, `forbidden`, `not_found`, `invalid_request`,
    /// `invalid_state`, `conflict`, `csrf_failed`, `payload_too_large`,
    /// `unsupported_media_type`, `method_not_allowed`, `unreadable_file`, `internal`,
    /// `unavailable`.
    pub code: String,
    /// What happened and what to do, in words.
    pub message: String,
    /// More, when there is more (the rows of a conflict, the allowed values, ...).
    pub details: serde_json::Value,
}

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Box<ErrorBody>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: Box::new(ErrorBody {
                code: code.to_string(),
                message: message.into(),
                details: serde_json::Value::Null,
            }),
        }
    }

    /// The same with details.
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.body.details = details;
        self
    }

    /// 404: the thing does not exist, or not for this caller (a workspace the caller is no
    /// member of answers 404 too, so ids never leak across workspaces).
    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 400: the request is wrong.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// 409: the import's status does not allow this.
    pub fn state(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, "invalid_state", message)
    }

    /// 403: the caller's role does not allow this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 401.
    pub fn unauthenticated() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "log in first (POST /api/v1/session) or send an API token as `Authorization: Bearer TOKEN`",
        )
    }

    /// The status answered.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message, in words.
    pub fn message(&self) -> &str {
        &self.body.message
    }

    fn internal(e: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to do this; the error is in its log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(*self.body)).into_response()
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable { .. } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the server's database cannot be reached; try again shortly",
            ),
            DbError::Duplicate(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            e => ApiError::internal(&e),
        }
    }
}

impl From<ServerError> for ApiError {
    fn from(e: ServerError) -> Self {
        match e {
            ServerError::Db(d) => d.into(),
            ServerError::Store(intake_store::StoreError::Unavailable { .. }) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the workspace's database cannot be reached; try again shortly",
            ),
            ServerError::Store(intake_store::StoreError::Busy) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                intake_store::StoreError::Busy.to_string(),
            ),
            e => ApiError::internal(&e),
        }
    }
}

impl From<intake_store::StoreError> for ApiError {
    fn from(e: intake_store::StoreError) -> Self {
        ServerError::Store(e).into()
    }
}

impl From<crate::storage::StorageError> for ApiError {
    fn from(e: crate::storage::StorageError) -> Self {
        ServerError::Storage(e).into()
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::internal(&e)
    }
}

/// Runs synchronous work (database, engine) off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(&e))?
}

/// Who is calling: a user, by session cookie or API token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: User,
    /// Through a session cookie (then unsafe methods carry the CSRF token).
    pub session: bool,
}

/// The session cookie's value in a request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl FromRequestParts<Ctx> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, ctx: &Ctx) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        let session = cookie(&parts.headers, SESSION_COOKIE);
        let csrf = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let app = ctx.app.clone();
        blocking(move || {
            if let Some(token) = bearer {
                let user = app
                    .control
                    .token_user(&digest(&token))?
                    .filter(|u| !u.disabled)
                    .ok_or_else(ApiError::unauthenticated)?;
                return Ok(Caller {
                    user,
                    session: false,
                });
            }
            let Some(session) = session else {
                return Err(ApiError::unauthenticated());
            };
            let (user, expected) = app
                .control
                .session(&digest(&session))?
                .filter(|(u, _)| !u.disabled)
                .ok_or_else(ApiError::unauthenticated)?;
            if unsafe_method && !csrf.is_some_and(|c| same(&c, &expected)) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf_failed",
                    format!(
                        "a request with a session cookie that changes something must carry the `{CSRF_HEADER}` header with the token given at login"
                    ),
                ));
            }
            Ok(Caller {
                user,
                session: true,
            })
        })
        .await
    }
}

/// A workspace the caller may use with at least `min`: its state and the caller's role.
/// A workspace the caller does not belong to is not found.
pub fn access(
    app: &App,
    caller: &Caller,
    workspace: &str,
    min: Role,
) -> Result<(Arc<Workspace>, Role), ApiError> {
    let role = app
        .control
        .role(&caller.user, workspace)?
        .ok_or_else(|| ApiError::not_found(&format!("workspace `{workspace}`")))?;
    let ws = app
        .workspace(workspace)?
        .ok_or_else(|| ApiError::not_found(&format!("workspace `{workspace}`")))?;
    if role < min {
        return Err(ApiError::forbidden(format!(
            "this needs the {} role in workspace `{workspace}`; you are {}",
            min.as_str(),
            role.as_str()
        )));
    }
    Ok((ws, role))
}

/// The API's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "intake",
        description = "Bulk data import: templates, uploads, mapping, validation with row and column errors, approval, background imports with progress, response and success files, revert, records and exports.",
        license(name = "Apache-2.0")
    ),
    modifiers(&Security),
    components(schemas(ErrorBody)),
    tags(
        (name = "session", description = "Logging in and out, API tokens"),
        (name = "workspaces", description = "Workspaces, members, settings, record types and templates"),
        (name = "imports", description = "Uploads and the import lifecycle"),
        (name = "records", description = "Records: list, get, export"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
    }
}

/// The answers every operation may give that its own annotations leave out, documented once:
/// a request axum cannot take apart (400, 413, 415: see [`extract`]), no or a bad login (401),
/// and a session without its CSRF token (403). All have the error body.
struct Rejections;

impl Modify for Rejections {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
        let shared = [
            (
                "BadRequest",
                "The request is not what the operation takes (`invalid_request`): bad JSON, a field of the wrong type, a bad path or query parameter, a bad header",
            ),
            (
                "Unauthenticated",
                "No session and no API token, or one that is not valid (`unauthenticated`)",
            ),
            (
                "Forbidden",
                "The role does not allow this (`forbidden`), or a session's request that changes something lacks the `X-CSRF-Token` header (`csrf_failed`)",
            ),
            (
                "PayloadTooLarge",
                "The body is larger than the server accepts (`payload_too_large`)",
            ),
            (
                "UnsupportedMediaType",
                "The body is not sent as `Content-Type: application/json` (`unsupported_media_type`)",
            ),
        ];
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, description) in shared {
            let body = Content::new(Some(Ref::from_schema_name("ErrorBody")));
            components.responses.insert(
                name.to_string(),
                RefOr::T(
                    ResponseBuilder::new()
                        .description(description)
                        .content("application/json", body)
                        .build(),
                ),
            );
        }
        for item in openapi.paths.paths.values_mut() {
            let changes = [&mut item.put, &mut item.post, &mut item.delete];
            let changing = changes.into_iter().flatten().map(|o| (o, true));
            let reading = item.get.iter_mut().map(|o| (o, false));
            for (op, changes) in changing.chain(reading) {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let json_body = op
                    .request_body
                    .as_ref()
                    .is_some_and(|b| b.content.contains_key("application/json"));
                let mut add = |status: &str, name: &str| {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                };
                if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) || json_body {
                    add("400", "BadRequest");
                }
                if secured {
                    add("401", "Unauthenticated");
                    if changes {
                        add("403", "Forbidden");
                    }
                }
                if json_body {
                    add("413", "PayloadTooLarge");
                    add("415", "UnsupportedMediaType");
                }
            }
        }
    }
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "Alive")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the server's database answers.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "Ready"),
    (status = 503, description = "The database cannot be reached", body = ErrorBody)))]
pub async fn readyz(State(ctx): State<Ctx>) -> Result<&'static str, ApiError> {
    let app = ctx.app.clone();
    blocking(move || Ok(app.control.db.ping()?)).await?;
    Ok("ready")
}

/// The OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router_parts().1
}

fn router_parts() -> (axum::Router<Ctx>, utoipa::openapi::OpenApi) {
    let api = OpenApiRouter::<Ctx>::new()
        .routes(routes!(session::login, session::logout))
        .routes(routes!(session::me))
        .routes(routes!(session::create_token))
        .routes(routes!(session::create_user))
        .routes(routes!(workspaces::list, workspaces::create))
        .routes(routes!(workspaces::get))
        .routes(routes!(workspaces::put_settings))
        .routes(routes!(workspaces::put_member))
        .routes(routes!(workspaces::types))
        .routes(routes!(workspaces::describe))
        .routes(routes!(workspaces::template))
        .routes(routes!(imports::upload))
        .routes(routes!(imports::create, imports::list))
        .routes(routes!(imports::get))
        .routes(routes!(imports::get_mapping, imports::put_mapping))
        .routes(routes!(imports::put_options))
        .routes(routes!(imports::validate))
        .routes(routes!(imports::problems))
        .routes(routes!(imports::submit))
        .routes(routes!(imports::approve))
        .routes(routes!(imports::cancel))
        .routes(routes!(imports::revert))
        .routes(routes!(imports::file))
        .routes(routes!(imports::audit))
        .routes(routes!(records::list))
        .routes(routes!(records::export))
        .routes(routes!(records::get));
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api)
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .split_for_parts();
    let mut doc = doc;
    Rejections.modify(&mut doc);
    (api, doc)
}

/// The whole HTTP application.
pub fn router(ctx: Ctx) -> axum::Router {
    let (api, doc) = router_parts();
    let doc = Arc::new(doc);
    api.merge(crate::ui::router())
        .route(
        "/api/openapi.json",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move { Json(doc.as_ref().clone()) }
        }),
    )
    .fallback(|| async { ApiError::not_found("this address") })
    .method_not_allowed_fallback(|| async {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this address does not take this method; the `Allow` header lists those it takes",
        )
    })
    .layer(
        tower_http::trace::TraceLayer::new_for_http().make_span_with(
            |r: &axum::http::Request<axum::body::Body>| {
                tracing::info_span!("request", method = %r.method(), path = %r.uri().path())
            },
        ),
    )
    .with_state(ctx)
}
