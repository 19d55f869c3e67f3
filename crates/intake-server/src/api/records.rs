//! Records: list with a filter and pagination, get one, export (CSV or XLSX, update sheets).

use std::collections::BTreeMap;

use super::extract::Json;
use super::extract::{Path, Query};
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use intake_core::filter::Filter;
use intake_core::plan::StoredRecord;
use intake_core::schema::RecordType;
use intake_core::stored::{to_cell, uuid_text};
use intake_engine::export::{ExportRequest, export as export_csv, export_xlsx};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, Ctx, ErrorBody, access, blocking};
use crate::api::Caller;
use crate::control::Role;
use crate::state::Workspace;

/// A record: its UUID and each field as the export writes it (text that imports back).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    /// The record's UUID.
    pub uuid: String,
    /// Field name -> value as text (empty when unset).
    pub values: BTreeMap<String, String>,
}

/// A stored record as the API and the pages show it.
pub(crate) fn record_view(ws: &Workspace, rt: &RecordType, rec: &StoredRecord) -> RecordView {
    let locale = &ws.schema.locale;
    RecordView {
        uuid: uuid_text(&rec.uuid),
        values: rt
            .fields
            .iter()
            .zip(&rec.values)
            .map(|(f, v)| {
                let list = f.field_type.list().and_then(|l| ws.schema.list(l));
                (f.name.to_string(), to_cell(v, f, list, locale))
            })
            .collect(),
    }
}

/// A record type of the workspace, or not found.
pub(crate) fn record_type<'w>(ws: &'w Workspace, name: &str) -> Result<&'w RecordType, ApiError> {
    ws.schema
        .record_type(name)
        .ok_or_else(|| ApiError::not_found(&format!("record type `{name}`")))
}

/// Filter and page.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RecordQuery {
    /// A filter expression, e.g. `country = "DE" and created >= 2024-01-01` (docs/filters.md).
    pub filter: Option<String>,
    /// At most this many (default 50, at most 1,000).
    pub limit: Option<u32>,
    /// Skip this many.
    pub offset: Option<u64>,
}

/// A page of records.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordPage {
    /// Matching records in all.
    pub total: u64,
    /// This page, in creation order.
    pub records: Vec<RecordView>,
}

/// Reads a filter expression (docs/filters.md); a filter that cannot be read is a 400 that
/// says why.
pub(crate) fn parse_filter(
    rt: &RecordType,
    ws: &Workspace,
    f: Option<&str>,
) -> Result<Filter, ApiError> {
    intake_engine::export::filter(&ws.schema, rt, f.unwrap_or(""))
        .map_err(|e| ApiError::invalid(format!("the filter cannot be read: {e}")))
}

/// The records of a type matching a filter, a page at a time.
#[utoipa::path(get, path = "/workspaces/{ws}/records/{type}", operation_id = "list_records", tag = "records",
    params(("ws" = String, Path, description = "Workspace"), ("type" = String, Path, description = "Record type"), RecordQuery),
    responses((status = 200, body = RecordPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn list(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, ty)): Path<(String, String)>,
    Query(q): Query<RecordQuery>,
) -> Result<Json<RecordPage>, ApiError> {
    blocking(move || {
        let (ws, _) = access(&ctx.app, &caller, &ws_name, Role::Viewer)?;
        let rt = record_type(&ws, &ty)?;
        let filter = parse_filter(rt, &ws, q.filter.as_deref())?;
        let limit = u64::from(q.limit.unwrap_or(50).clamp(1, 1000));
        let offset = q.offset.unwrap_or(0);
        Ok(Json(record_page(&ws, rt, &filter, None, limit, offset)?))
    })
    .await
}

/// The records of a type matching `filter`, and also `search` when given (a piece of text
/// found, ignoring case, in one of the values as the export writes them): `limit` of them
/// after skipping `offset`, with how many match in all.
pub(crate) fn record_page(
    ws: &Workspace,
    rt: &RecordType,
    filter: &Filter,
    search: Option<&str>,
    limit: u64,
    offset: u64,
) -> Result<RecordPage, ApiError> {
    let needle = search
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let mut page = RecordPage {
        total: 0,
        records: Vec::new(),
    };
    let mut session = ws.store.read()?;
    session.scan(rt, filter, &mut |rec| {
        let shown = page.total >= offset && page.total < offset + limit;
        match &needle {
            None => {
                if shown {
                    page.records.push(record_view(ws, rt, &rec));
                }
            }
            Some(n) => {
                let view = record_view(ws, rt, &rec);
                if !view.values.values().any(|v| v.to_lowercase().contains(n)) {
                    return Ok(());
                }
                if shown {
                    page.records.push(view);
                }
            }
        }
        page.total += 1;
        Ok(())
    })?;
    Ok(page)
}

/// One record.
#[utoipa::path(get, path = "/workspaces/{ws}/records/{type}/{uuid}", operation_id = "get_record", tag = "records",
    params(("ws" = String, Path, description = "Workspace"), ("type" = String, Path, description = "Record type"),
        ("uuid" = String, Path, description = "The record's UUID")),
    responses((status = 200, body = RecordView), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn get(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, ty, id)): Path<(String, String, String)>,
) -> Result<Json<RecordView>, ApiError> {
    blocking(move || {
        let (ws, _) = access(&ctx.app, &caller, &ws_name, Role::Viewer)?;
        let rt = record_type(&ws, &ty)?;
        Ok(Json(find_record(&ws, rt, &id)?))
    })
    .await
}

/// The record with this UUID, or not found (also when `id` is no UUID).
pub(crate) fn find_record(
    ws: &Workspace,
    rt: &RecordType,
    id: &str,
) -> Result<RecordView, ApiError> {
    let uuid = uuid::Uuid::parse_str(id.trim())
        .map_err(|_| ApiError::not_found(&format!("record `{id}`")))?;
    let mut session = ws.store.read()?;
    let found = session.by_uuid(rt, &[uuid])?;
    let rec = found
        .first()
        .ok_or_else(|| ApiError::not_found(&format!("record `{id}`")))?;
    Ok(record_view(ws, rt, rec))
}

/// What to export.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    #[param(pattern = "^(csv|xlsx)$")]
    pub format: Option<String>,
    /// A filter expression (docs/filters.md).
    pub filter: Option<String>,
    /// Fields exported as `[old]`/`[new]` pairs for an update sheet, comma-separated.
    pub update_sheet: Option<String>,
}

/// Exports records in template layout, UUIDs filled, ready to edit and import back.
#[utoipa::path(get, path = "/workspaces/{ws}/records/{type}/export", operation_id = "export_records", tag = "records",
    params(("ws" = String, Path, description = "Workspace"), ("type" = String, Path, description = "Record type"), ExportQuery),
    responses((status = 200, description = "The export", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn export(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, ty)): Path<(String, String)>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let app = ctx.app.clone();
    let (path, mime, ext, _dir) = blocking(move || {
        let (ws, _) = access(&app, &caller, &ws_name, Role::Viewer)?;
        let rt = record_type(&ws, &ty)?;
        let request = ExportRequest {
            record_type: rt.name.clone(),
            filter: q.filter.clone().unwrap_or_default(),
            update_sheet: q
                .update_sheet
                .as_deref()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        };
        // Written to a temporary file first: an export is streamed from disk, never held whole.
        let dir = tempfile::tempdir_in(&app.config.files)?;
        let path = dir.path().join("export");
        let mut file = fs_err::File::create(&path)?;
        let invalid = |e: intake_engine::export::ExportError| match e {
            intake_engine::export::ExportError::Store(s) => ApiError::from(s),
            e => ApiError::invalid(e.to_string()),
        };
        let (mime, ext) = match q.format.as_deref().unwrap_or("csv") {
            "csv" => {
                export_csv(&ws.schema, ws.store.as_ref(), &request, &mut file).map_err(invalid)?;
                ("text/csv; charset=utf-8", "csv")
            }
            "xlsx" => {
                export_xlsx(&ws.schema, ws.store.as_ref(), &request, &mut file).map_err(invalid)?;
                (
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "xlsx",
                )
            }
            other => {
                return Err(ApiError::invalid(format!(
                    "format `{other}` is not offered; use csv or xlsx"
                )));
            }
        };
        Ok((path, mime, format!("{}.{ext}", rt.name), dir))
    })
    .await?;
    let f = tokio::fs::File::open(&path).await?;
    // The folder is removed once the response has been sent (`_dir` moves into the stream).
    let stream = tokio_util::io::ReaderStream::new(f);
    let body = Body::from_stream(futures_util::StreamExt::map(stream, move |chunk| {
        let _keep = &_dir;
        chunk
    }));
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}
