//! A running import's progress: the bar, rows done, rows a second and the time left. The
//! import page shows it; a small script (`assets/intake.js`) fetches it again every second
//! from `GET /w/{ws}/imports/{id}/progress` and reloads the page when the run has ended.
//! Without the script the page has a link to look again.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use intake_core::report::thousands;
use maud::{Markup, html};

use super::layout::seg;
use super::{UiError, Visitor, page};
use crate::api::imports::{ImportView, load, view};
use crate::api::{Ctx, access, blocking};
use crate::control::{AuditEntry, Role};
use crate::model::Status;

/// How long the run has taken so far, in seconds, from the last `started` of the audit
/// trail (a run taken over by another worker counts from its new start).
fn running_for(audit: &[AuditEntry], now: chrono::DateTime<chrono::Utc>) -> Option<f64> {
    let started = audit.iter().rev().find(|a| a.action == "started")?;
    let at = chrono::DateTime::parse_from_rfc3339(&started.at).ok()?;
    let ms = now.signed_duration_since(at).num_milliseconds();
    (ms > 0).then(|| ms as f64 / 1000.0)
}

/// A duration as a reader wants it: `45 s`, `3 min 20 s`, `1 h 5 min`.
pub fn duration(secs: f64) -> String {
    let s = secs.round().max(1.0) as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// Rows a second and the time left, when the run has done enough to tell.
pub fn pace(done: u64, total: Option<u64>, secs: Option<f64>) -> Option<(f64, Option<f64>)> {
    let secs = secs.filter(|s| *s > 0.0)?;
    if done == 0 {
        return None;
    }
    let rate = done as f64 / secs;
    let left = total.map(|t| t.saturating_sub(done) as f64 / rate);
    Some((rate, left))
}

/// The progress block's inside (what the script swaps in).
pub fn block(i: &ImportView, audit: &[AuditEntry]) -> Markup {
    let done = i.progress.rows_done;
    let total = i.progress.rows_total;
    let secs = running_for(audit, chrono::Utc::now());
    html! {
        @match i.status {
            Status::Queued => p { "Queued: it starts as soon as a worker is free." }
            _ => {}
        }
        @match total {
            Some(t) => {
                progress max=(t.max(1)) value=(done.min(t)) aria-labelledby="progress-h" {}
                p.pace {
                    strong { (thousands(done)) } " of " (thousands(t)) " rows"
                    @if let Some((rate, left)) = pace(done, total, secs) {
                        " · " (thousands(rate.round() as u64)) " rows a second"
                        @if let Some(l) = left { " · about " (duration(l)) " left" }
                    }
                }
            }
            None => p.pace {
                strong { (thousands(done)) } " rows done"
                @if let Some((rate, _)) = pace(done, None, secs) {
                    " · " (thousands(rate.round() as u64)) " rows a second"
                }
            }
        }
    }
}

/// `GET /w/{ws}/imports/{id}/progress`: the progress block alone; `X-Intake-Done: 1` when
/// the run is over, so the page reloads to show the outcome.
pub async fn fragment(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path((ws_name, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let (markup, over) = blocking(move || {
        let app = &ctx.app;
        access(app, &visitor.caller(), &ws_name, Role::Viewer)?;
        let i = view(app, &load(app, &ws_name, &id)?);
        let audit = app.control.audit_trail(&id)?;
        let over = !matches!(i.status, Status::Queued | Status::InProgress);
        Ok((block(&i, &audit), over))
    })
    .await?;
    let mut resp = page(StatusCode::OK, markup);
    if over {
        resp.headers_mut()
            .insert("x-intake-done", HeaderValue::from_static("1"));
    }
    Ok(resp)
}

/// Where the script fetches the block from.
pub fn fragment_path(ws: &str, id: &str) -> String {
    format!("/w/{}/imports/{}/progress", seg(ws), seg(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_person_says_them() {
        assert_eq!(duration(0.2), "1 s");
        assert_eq!(duration(44.6), "45 s");
        assert_eq!(duration(200.0), "3 min 20 s");
        assert_eq!(duration(3900.0), "1 h 5 min");
    }

    #[test]
    fn the_pace_needs_rows_and_time() {
        assert_eq!(pace(0, Some(10), Some(5.0)), None);
        assert_eq!(pace(10, Some(100), None), None);
        assert_eq!(pace(10, Some(100), Some(0.0)), None);
        assert_eq!(pace(100, Some(1000), Some(2.0)), Some((50.0, Some(18.0))));
        assert_eq!(pace(100, None, Some(2.0)), Some((50.0, None)));
        // More rows done than counted (a count from an older file) leaves no time.
        assert_eq!(pace(200, Some(100), Some(2.0)), Some((100.0, Some(0.0))));
    }

    fn entry(action: &str, at: &str) -> AuditEntry {
        AuditEntry {
            at: at.into(),
            user: None,
            action: action.into(),
            detail: None,
        }
    }

    #[test]
    fn a_run_is_timed_from_its_last_start() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:01:00Z")
            .unwrap()
            .to_utc();
        let audit = [
            entry("submitted", "2026-01-01T00:00:00Z"),
            entry("started", "2026-01-01T00:00:10Z"),
            entry("requeued", "2026-01-01T00:00:20Z"),
            entry("started", "2026-01-01T00:00:30.500Z"),
        ];
        assert_eq!(running_for(&audit, now), Some(29.5));
        assert_eq!(running_for(&audit[..1], now), None);
        assert_eq!(running_for(&[entry("started", "not a time")], now), None);
    }
}
