//! axum's `Json`, `Path` and `Query` with the API's error body: a client's mistake in the
//! body, the path or the query (bad JSON, a field of the wrong type, a missing content type,
//! an unknown status) answers 4xx with `{code, message, details}`, not axum's plain text.
//!
//! Handlers import these instead of axum's; `Json` also answers JSON, as axum's does.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ApiError;

/// A JSON request body, or a JSON response.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// Path parameters.
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

/// Query parameters.
#[derive(Debug, Clone, Copy)]
pub struct Query<T>(pub T);

/// The error for a request axum could not take apart, with axum's status and its words.
fn rejected(status: StatusCode, text: String, part: &str) -> ApiError {
    if status.is_server_error() {
        // A handler that asks for parameters its route does not have: our mistake.
        return ApiError::internal(&text);
    }
    match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "payload_too_large",
            format!("the request's {part} is larger than this server accepts"),
        ),
        // axum answers 422 for JSON of the wrong shape and 400 for the rest; to a client
        // both are the same mistake, with one code and one status.
        _ => ApiError::invalid(format!(
            "the request's {part} is not what this operation takes: {text}"
        )),
    }
}

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => v,
            Err(e) => return Err(json_rejection(e)),
        };
        // Every body the API takes is an object. serde also reads a struct from an array of
        // its fields in order, so `[]` would pass as a body of defaults (and `PUT settings`
        // would reset them).
        if !value.is_object() {
            return Err(ApiError::invalid(
                "the request's body must be a JSON object (`{...}`)",
            ));
        }
        serde_json::from_value(value).map(Json).map_err(|e| {
            ApiError::invalid(format!(
                "the request's body is not what this operation takes: {e}"
            ))
        })
    }
}

fn json_rejection(e: JsonRejection) -> ApiError {
    rejected(e.status(), e.body_text(), "body")
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(e) => Err(path_rejection(e)),
        }
    }
}

fn path_rejection(e: PathRejection) -> ApiError {
    rejected(e.status(), e.body_text(), "path")
}

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => Err(query_rejection(e)),
        }
    }
}

fn query_rejection(e: QueryRejection) -> ApiError {
    rejected(e.status(), e.body_text(), "query")
}
