//! Static files, embedded in the binary.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The one stylesheet.
const STYLESHEET: &str = include_str!("assets/intake.css");

/// `GET /assets/{file}`.
pub async fn get(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "intake.css" => (
            [
                (header::CONTENT_TYPE, "text/css; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            STYLESHEET,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
