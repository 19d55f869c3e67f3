//! Logging in and out, who am I, API tokens, users.

use super::extract::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, Caller, Ctx, ErrorBody, blocking, cookie};
use crate::auth::{
    SESSION_COOKIE, SESSION_MS, digest, hash_password, new_token, random_hex, random_password,
    verify_password,
};
use crate::control::{Role, User, now_ms};
use crate::state::App;

/// Logging in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The user's name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// A workspace and the caller's role in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Membership {
    /// The workspace.
    pub workspace: String,
    /// The role.
    pub role: Role,
}

/// Who is logged in.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The user's name.
    pub username: String,
    /// Where notifications go.
    pub email: Option<String>,
    /// May create workspaces and users.
    pub server_admin: bool,
    /// Workspaces and roles.
    pub workspaces: Vec<Membership>,
    /// With a session cookie: the token to send as `X-CSRF-Token` on every request that
    /// changes something.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
}

fn me_of(ctx: &Ctx, user: &crate::control::User, csrf: Option<String>) -> Result<Me, ApiError> {
    Ok(Me {
        username: user.username.clone(),
        email: user.email.clone(),
        server_admin: user.server_admin,
        workspaces: ctx
            .app
            .control
            .memberships(user)?
            .into_iter()
            .map(|(workspace, role)| Membership { workspace, role })
            .collect(),
        csrf_token: csrf,
    })
}

/// Logs in: sets the session cookie (HttpOnly, SameSite=Strict) and answers the CSRF token.
#[utoipa::path(post, path = "/session", tag = "session", request_body = LoginRequest, responses(
    (status = 200, description = "Logged in; the cookie is set", body = Me),
    (status = 401, description = "Wrong name or password", body = ErrorBody)))]
pub async fn login(
    State(ctx): State<Ctx>,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let c = ctx.clone();
    let (token, me) = blocking(move || {
        let (token, csrf, user) = open_session(&c.app, &req.username, &req.password)?;
        Ok((token, me_of(&c, &user, Some(csrf))?))
    })
    .await?;
    let cookie = session_cookie(&ctx.app, &token);
    let mut resp = Json(me).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// Checks a user's password and opens a session: answers the session token (the cookie's
/// value), its CSRF token and the user. The API's and the web UI's logins share it.
pub(crate) fn open_session(
    app: &App,
    username: &str,
    password: &str,
) -> Result<(String, String, User), ApiError> {
    let user = app.control.user_by_name(username)?;
    let ok = user.as_ref().is_some_and(|u| {
        !u.disabled
            && u.password_hash
                .as_deref()
                .is_some_and(|h| verify_password(password, h))
    });
    let Some(user) = user.filter(|_| ok) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "wrong user name or password",
        ));
    };
    let token = random_hex(32);
    let csrf = random_hex(16);
    app.control
        .create_session(&digest(&token), &user.id, &csrf, now_ms() + SESSION_MS)?;
    Ok((token, csrf, user))
}

/// The `Set-Cookie` value that carries a session token (HttpOnly, SameSite=Strict, Secure
/// when configured).
pub(crate) fn session_cookie(app: &App, token: &str) -> String {
    let secure = if app.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        SESSION_MS / 1000
    )
}

/// The `Set-Cookie` value that clears the session cookie.
pub(crate) const CLEAR_SESSION_COOKIE: &str =
    "intake_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";

/// Logs out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/session", tag = "session", responses(
    (status = 204, description = "Logged out")))]
pub async fn logout(State(ctx): State<Ctx>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let app = ctx.app.clone();
        blocking(move || Ok(app.control.delete_session(&digest(&token))?)).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(CLEAR_SESSION_COOKIE),
    );
    Ok(resp)
}

/// Who is calling, and their workspaces.
#[utoipa::path(get, path = "/me", tag = "session", responses(
    (status = 200, body = Me), (status = 401, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn me(State(ctx): State<Ctx>, caller: Caller) -> Result<Json<Me>, ApiError> {
    blocking(move || me_of(&ctx, &caller.user, None).map(Json)).await
}

/// A new API token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What the token is for (shown in lists).
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

/// The token, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    /// Send it as `Authorization: Bearer TOKEN`. It is not stored, only its digest.
    pub token: String,
    /// Its name.
    pub name: String,
}

/// Creates an API token for the caller.
#[utoipa::path(post, path = "/tokens", tag = "session", request_body = TokenRequest, responses(
    (status = 201, body = TokenCreated), (status = 401, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn create_token(
    State(ctx): State<Ctx>,
    caller: Caller,
    Json(req): Json<TokenRequest>,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    blocking(move || {
        let name = req.name.trim().to_string();
        if name.is_empty() || name.len() > 100 {
            return Err(ApiError::invalid(
                "a token's name must have 1 to 100 characters",
            ));
        }
        let token = new_token();
        ctx.app
            .control
            .create_token(&digest(&token), &caller.user.id, &name)?;
        Ok((StatusCode::CREATED, Json(TokenCreated { token, name })))
    })
    .await
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserRequest {
    /// Login name: letters, digits, `.`, `_`, `-`, `@`.
    #[schema(pattern = "^[A-Za-z0-9._@-]{1,64}$")]
    pub username: String,
    /// Where notifications go.
    pub email: Option<String>,
    /// The password; generated (and answered once) when absent.
    #[schema(min_length = 8)]
    pub password: Option<String>,
    /// May create workspaces and users.
    #[serde(default)]
    pub server_admin: bool,
}

/// The user created.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserCreated {
    /// Login name.
    pub username: String,
    /// The generated password, when none was given (shown once).
    pub password: Option<String>,
}

/// Checks a user name.
pub fn check_username(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(format!(
            "user name `{name}` is not allowed: use 1 to 64 letters, digits, `.`, `_`, `-` or `@`"
        ));
    }
    Ok(())
}

/// Creates a user (server admins).
#[utoipa::path(post, path = "/users", tag = "session", request_body = UserRequest, responses(
    (status = 201, body = UserCreated), (status = 403, body = ErrorBody),
    (status = 409, description = "The name is taken", body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn create_user(
    State(ctx): State<Ctx>,
    caller: Caller,
    Json(req): Json<UserRequest>,
) -> Result<(StatusCode, Json<UserCreated>), ApiError> {
    blocking(move || {
        if !caller.user.server_admin {
            return Err(ApiError::forbidden("only a server admin can create users"));
        }
        check_username(&req.username).map_err(ApiError::invalid)?;
        let generated = req.password.is_none().then(random_password);
        let password = req
            .password
            .clone()
            .or_else(|| generated.clone())
            .unwrap_or_default();
        if password.chars().count() < 8 {
            return Err(ApiError::invalid("a password needs at least 8 characters"));
        }
        let hash = hash_password(&password).map_err(|e| ApiError::invalid(e.to_string()))?;
        if ctx.app.control.user_by_name(&req.username)?.is_some() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("a user named `{}` exists already", req.username),
            ));
        }
        ctx.app.control.create_user(
            &req.username,
            req.email.as_deref(),
            Some(&hash),
            req.server_admin,
        )?;
        Ok((
            StatusCode::CREATED,
            Json(UserCreated {
                username: req.username,
                password: generated,
            }),
        ))
    })
    .await
}
