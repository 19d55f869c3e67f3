//! Static files, embedded in the binary: the stylesheet and the script.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The one stylesheet.
const STYLESHEET: &str = include_str!("assets/intake.css");

/// The one script: it keeps a running import's progress fresh (pages work without it).
const SCRIPT: &str = include_str!("assets/intake.js");

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
        "intake.js" => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            SCRIPT,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
