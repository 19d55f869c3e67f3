//! Uploads and the import lifecycle: create, map, set options, validate, submit, approve,
//! cancel, progress, problems, result files, revert, audit.

use std::io::{BufRead, BufReader};

use super::extract::Json;
use super::extract::{Path, Query};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use intake_core::mapping::{MapOptions, Target, auto_map};
use intake_core::schema::RecordType;
use intake_engine::import::{Outputs, import};
use intake_engine::progress::NoProgress;
use intake_formats::{RecordBatch, RowSource};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, Caller, Ctx, ErrorBody, access, blocking};
use crate::control::{AuditEntry, ImportRow, Role, Upload, rfc3339};
use crate::db::Val;
use crate::model::{
    CountsView, ImportOptions, MappingInput, ModeOption, ProblemView, Status, ValidationSummary,
    engine_request,
};
use crate::state::{App, Workspace};

/// An uploaded file.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadView {
    /// Its id: create an import from it.
    pub id: String,
    /// The name given.
    pub file_name: String,
    /// Bytes.
    pub size: u64,
}

/// The upload's name.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// The file's name as the user knows it (shown in lists; never used as a path).
    pub name: Option<String>,
}

fn clean_name(name: Option<&str>) -> String {
    let n: String = name
        .unwrap_or("upload")
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
        .take(200)
        .collect();
    if n.trim().is_empty() {
        "upload".into()
    } else {
        n.trim().to_string()
    }
}

/// Uploads a file (the request body, as is: CSV, XLSX, XLS or ODS). It is streamed to
/// storage under a generated name (through a local staging file when storage is a bucket);
/// the size limit is checked while it arrives.
#[utoipa::path(post, path = "/workspaces/{ws}/uploads", tag = "imports",
    params(("ws" = String, Path, description = "Workspace"), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses((status = 201, body = UploadView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, description = "Larger than the server accepts", body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn upload(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path(ws): Path<String>,
    Query(q): Query<UploadQuery>,
    body: Body,
) -> Result<(StatusCode, Json<UploadView>), ApiError> {
    let view = store_upload(&ctx, caller, ws, q.name.as_deref(), body.into_data_stream()).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Streams a file to storage with the size limit checked while it arrives, and records the
/// upload (the API's request body and the web UI's form part alike).
pub(crate) async fn store_upload<E: std::fmt::Display>(
    ctx: &Ctx,
    caller: Caller,
    ws: String,
    name: Option<&str>,
    stream: impl futures_util::Stream<Item = Result<axum::body::Bytes, E>>,
) -> Result<UploadView, ApiError> {
    let app = ctx.app.clone();
    let (c, w) = (caller.clone(), ws.clone());
    blocking(move || access(&app, &c, &w, Role::Importer).map(|_| ())).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let path = ctx.app.storage.upload_target(&id);
    let limit = ctx.app.config.max_upload_bytes;
    let mut file = tokio::fs::File::create(&path).await?;
    let mut size: u64 = 0;
    let mut stream = std::pin::pin!(stream);
    let failed = loop {
        match stream.next().await {
            None => break None,
            Some(Err(e)) => {
                break Some(ApiError::invalid(format!(
                    "the upload did not arrive whole: {e}"
                )));
            }
            Some(Ok(chunk)) => {
                size += chunk.len() as u64;
                if size > limit {
                    break Some(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        format!(
                            "the file is larger than this server accepts ({} MB); split it, or ask the administrator to raise --max-upload-mb",
                            limit / (1024 * 1024)
                        ),
                    ));
                }
                if let Err(e) = file.write_all(&chunk).await {
                    break Some(e.into());
                }
            }
        }
    };
    if let Some(e) = failed {
        drop(file);
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e);
    }
    file.flush().await?;
    file.sync_all().await?;
    drop(file);
    if size == 0 {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(ApiError::invalid(
            "the file is empty (0 bytes): nothing to import",
        ));
    }
    let file_name = clean_name(name);
    let app = ctx.app.clone();
    blocking(move || {
        app.storage.keep_upload(&id)?;
        let created = app.control.create_upload(&Upload {
            id: id.clone(),
            workspace: ws,
            user_id: caller.user.id.clone(),
            file_name: file_name.clone(),
            size: i64::try_from(size).unwrap_or(i64::MAX),
        });
        if created.is_err() {
            let _ = app.storage.remove_upload(&id);
        }
        created?;
        Ok(UploadView {
            id,
            file_name,
            size,
        })
    })
    .await
}

/// An import's progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressView {
    /// Rows done by the running job.
    pub rows_done: u64,
    /// Rows in the file, once known (after a validation or a run).
    pub rows_total: Option<u64>,
}

/// An import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    /// Id.
    pub id: String,
    /// Workspace.
    pub workspace: String,
    /// Record type.
    pub record_type: String,
    /// The file's name.
    pub file_name: String,
    /// Where it stands.
    pub status: Status,
    /// Options.
    pub options: ImportOptions,
    /// The user's corrections to the automatic mapping.
    pub mapping: MappingInput,
    /// Who created it.
    pub created_by: Option<String>,
    /// When (RFC 3339).
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Progress of the run.
    pub progress: ProgressView,
    /// What the run did.
    pub counts: Option<CountsView>,
    /// The last validation (or the run's report).
    pub validation: Option<ValidationSummary>,
    /// Why it failed.
    pub message: Option<String>,
    /// Files to download: `report`, `response`, `success`.
    pub files: Vec<String>,
    /// Runs started.
    pub attempts: u64,
    /// The import's number in the workspace's database (`intake imports show N`).
    pub store_import_id: Option<i64>,
}

pub(crate) fn view(app: &App, r: &ImportRow) -> ImportView {
    let files: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&r.files).unwrap_or_default();
    ImportView {
        id: r.id.clone(),
        workspace: r.workspace.clone(),
        record_type: r.record_type.clone(),
        file_name: r.file_name.clone(),
        status: Status::parse(&r.status).unwrap_or(Status::Failed),
        options: serde_json::from_str(&r.options).unwrap_or_default(),
        mapping: serde_json::from_str(&r.mapping).unwrap_or_default(),
        created_by: app
            .control
            .user(&r.created_by)
            .ok()
            .flatten()
            .map(|u| u.username),
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
        progress: ProgressView {
            rows_done: u64::try_from(r.rows_done).unwrap_or(0),
            rows_total: r.rows_total.and_then(|n| u64::try_from(n).ok()),
        },
        counts: r
            .counts
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok()),
        validation: r
            .validation
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok()),
        message: r.message.clone(),
        files: files.keys().cloned().collect(),
        attempts: u64::try_from(r.attempts).unwrap_or(0),
        store_import_id: r.store_import_id,
    }
}

/// A new import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewImport {
    /// The upload to import.
    pub upload_id: String,
    /// The record type its rows are.
    pub record_type: String,
    /// Options (defaults: upsert, all or nothing unless the workspace says otherwise).
    #[serde(default)]
    pub options: ImportOptions,
    /// Corrections to the automatic mapping.
    #[serde(default)]
    pub mapping: Option<MappingInput>,
}

/// The header and first rows of a file, and what was found out reading them.
struct Peek {
    header: Vec<String>,
    samples: Vec<Vec<String>>,
    file: FileFacts,
}

/// What the reader found out about a file: its format, and for a text file the encoding,
/// delimiter and line endings (each with how it was found), for a workbook the sheet read
/// and the others; notes such as hidden rows and columns.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct FileFacts {
    /// `csv`, `xlsx`, `xls` or `ods`.
    pub format: String,
    /// The encoding a text file is read as.
    pub encoding: Option<String>,
    /// How the encoding was found: `from the byte-order mark`, `detected`, `assumed` (a
    /// guess worth checking) or `as chosen`.
    pub encoding_how: Option<String>,
    /// The delimiter: `,` `;` `|` `tab` ...
    pub delimiter: Option<String>,
    /// How the delimiter was found.
    pub delimiter_how: Option<String>,
    /// Line endings: `LF`, `CRLF`, `CR`, `mixed`.
    pub line_endings: Option<String>,
    /// The sheet read, for a workbook.
    pub sheet: Option<String>,
    /// The workbook's sheets in tab order.
    pub sheets: Vec<String>,
    /// What is worth knowing before importing (hidden rows or columns, a filter, merged
    /// cells, the sheet chosen), as `code: message`.
    pub notes: Vec<crate::model::WarningView>,
}

fn peek(app: &App, upload_id: &str, options: &ImportOptions) -> Result<Peek, ApiError> {
    let upload = app.storage.upload(upload_id)?;
    let file = fs_err::File::open(upload.path())?;
    let (csv, sheet) =
        crate::model::read_options(options).map_err(|e| ApiError::invalid(e.to_string()))?;
    let unreadable = |e: intake_formats::ReadError| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable_file",
            format!("the file cannot be read: {e}"),
        )
    };
    let mut reader =
        intake_formats::open(BufReader::new(file), &csv, &sheet).map_err(unreadable)?;
    let mut facts = FileFacts {
        format: reader.format().name().to_string(),
        ..FileFacts::default()
    };
    if let Some(d) = reader.detected() {
        facts.encoding = Some(d.encoding.name().to_string());
        facts.encoding_how = Some(d.encoding_source.describe().to_string());
        facts.delimiter = Some(intake_formats::csv::delimiter_name(d.delimiter).replace('`', ""));
        facts.delimiter_how = Some(d.delimiter_source.describe().to_string());
        facts.line_endings = Some(d.line_ending.name().to_string());
    }
    if let Some(w) = reader.workbook() {
        facts.sheet = Some(w.sheet.clone());
        facts.sheets = w.sheets.iter().map(|s| s.name.clone()).collect();
    }
    let mut batch = RecordBatch::new();
    let mut header: Option<Vec<String>> = None;
    let mut samples = Vec::new();
    while samples.len() < 5 && reader.read_batch(&mut batch, 16).map_err(unreadable)? {
        for r in batch.iter() {
            let cells = r.to_vec();
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if header.is_none() {
                header = Some(cells);
            } else if samples.len() < 5 {
                samples.push(cells);
            }
        }
    }
    facts.notes = reader
        .take_warnings()
        .iter()
        .map(crate::model::WarningView::from)
        .collect();
    Ok(Peek {
        header: header.unwrap_or_default(),
        samples,
        file: facts,
    })
}

/// One file column and the field it feeds.
#[derive(Debug, Serialize, ToSchema)]
pub struct ColumnView {
    /// 0-based position.
    pub index: usize,
    /// Header as written.
    pub header: String,
    /// The field (name) it feeds; `null` when left out.
    pub field: Option<String>,
    /// What it feeds: `record_uuid`, `field`, `old`, `action`, `ignored`, or `inline`: a field
    /// of a linked record found or created from the row (`field` is then `link.field`, such as
    /// `account.name`).
    pub target: String,
    /// How it was matched: exact, normalised, alias, fuzzy, manual, unmatched.
    pub how: String,
    /// Confidence of the match, 0 to 1.
    pub confidence: f64,
    /// The first values of the column.
    pub samples: Vec<String>,
}

/// How the file's columns map to the record type's fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct MappingView {
    /// Every column.
    pub columns: Vec<ColumnView>,
    /// Problems that stop the import (a required field without a column, two columns on one
    /// field).
    pub problems: Vec<ProblemView>,
    /// Warnings (unmapped columns, fuzzy matches).
    pub warnings: Vec<crate::model::WarningView>,
    /// Whether the mapping has what the import needs.
    pub complete: bool,
    /// The corrections in effect.
    pub mapping: MappingInput,
    /// What was found out about the file.
    pub file: FileFacts,
}

/// How a column was matched, as the API names it: `exact`, `normalised`, `alias`, `fuzzy`,
/// `manual` or `unmatched`.
fn how_name(how: intake_core::mapping::MatchKind) -> String {
    serde_json::to_value(how)
        .ok()
        .and_then(|v| match v {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Object(m) => m.keys().next().cloned(),
            _ => None,
        })
        .unwrap_or_default()
}

fn mapping_view(
    schema: &intake_core::schema::Schema,
    rt: &RecordType,
    peek: &Peek,
    input: &MappingInput,
    options: &ImportOptions,
) -> Result<MappingView, ApiError> {
    let outcome = auto_map(
        rt,
        &peek.header,
        &input.manual(),
        &MapOptions {
            require_required: options.mode != ModeOption::Update && !options.ignore_required,
        },
    );
    let mut columns: Vec<ColumnView> = outcome
        .mapping
        .columns
        .iter()
        .map(|c| {
            let (target, field) = match c.target {
                Target::RecordUuid => ("record_uuid", None),
                Target::Field(i) => ("field", rt.fields.get(i).map(|f| f.name.to_string())),
                Target::Old(i) => ("old", rt.fields.get(i).map(|f| f.name.to_string())),
                Target::Action => ("action", None),
                Target::Ignored => ("ignored", None),
            };
            let how = how_name(c.how);
            ColumnView {
                index: c.column.index,
                header: c.column.header.clone(),
                field,
                target: target.into(),
                how,
                confidence: c.how.confidence(),
                samples: peek
                    .samples
                    .iter()
                    .filter_map(|r| r.get(c.column.index).cloned())
                    .collect(),
            }
        })
        .collect();
    // Columns that feed a linked record created or found inline (`Account Name`, or a
    // contact file's `Company`), as the import will read them.
    let mut inline = outcome.mapping.clone();
    for (fi, target, m) in
        intake_engine::import::inline_links(schema, rt, &peek.header, &mut inline)
    {
        for c in &m.columns {
            let (Target::Field(k), Some(view)) = (c.target, columns.get_mut(c.column.index)) else {
                continue;
            };
            if inline.columns.get(c.column.index).map(|o| o.target) != Some(Target::Ignored) {
                continue;
            }
            let (Some(link), Some(f)) = (rt.fields.get(fi), target.fields.get(k)) else {
                continue;
            };
            view.target = "inline".into();
            view.field = Some(format!("{}.{}", link.name, f.name));
            view.confidence = 1.0;
            // How the column matched the linked type's field, not how it resembled ours.
            view.how = how_name(c.how);
        }
    }
    input
        .manual()
        .check(schema, rt, &outcome.mapping)
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    Ok(MappingView {
        columns,
        problems: outcome.problems.iter().map(ProblemView::from).collect(),
        warnings: outcome
            .warnings
            .iter()
            .map(crate::model::WarningView::from)
            .collect(),
        complete: outcome.problems.is_empty() && !peek.header.is_empty(),
        mapping: input.clone(),
        file: peek.file.clone(),
    })
}

fn record_type<'w>(ws: &'w Workspace, name: &str) -> Result<&'w RecordType, ApiError> {
    ws.schema.record_type(name).ok_or_else(|| {
        ApiError::invalid(format!(
            "record type `{name}` is not in this workspace; types: {}",
            ws.schema
                .types
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// The remembered corrections for the headers of this file.
fn remembered(app: &App, ws: &str, rt: &str, header: &[String]) -> Result<MappingInput, ApiError> {
    let Some(json) = app.control.remembered(ws, rt)? else {
        return Ok(MappingInput::default());
    };
    let all: MappingInput = serde_json::from_str(&json).unwrap_or_default();
    Ok(MappingInput {
        columns: all
            .columns
            .into_iter()
            .filter(|(h, _)| header.contains(h))
            .collect(),
        values: all
            .values
            .into_iter()
            .filter(|(h, _)| header.contains(h))
            .collect(),
    })
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let k = v
                .to_str()
                .map_err(|_| ApiError::invalid("the Idempotency-Key header must be text"))?;
            if k.is_empty() || k.len() > 200 {
                return Err(ApiError::invalid(
                    "the Idempotency-Key header must have 1 to 200 characters",
                ));
            }
            Ok(Some(k.to_string()))
        }
    }
}

pub(crate) fn load(app: &App, ws: &str, id: &str) -> Result<ImportRow, ApiError> {
    app.control
        .import(ws, id)?
        .ok_or_else(|| ApiError::not_found(&format!("import `{id}`")))
}

/// Creates an import from an upload: the columns are matched to the record type's fields
/// (with the corrections remembered for this type); the import is `ready`, or `incomplete`
/// when the mapping lacks the key or required columns. With an `Idempotency-Key` already
/// used in the workspace, answers the import created then.
#[utoipa::path(post, path = "/workspaces/{ws}/imports", operation_id = "create_import", tag = "imports", request_body = NewImport,
    params(("ws" = String, Path, description = "Workspace"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200, description = "Creating twice with one key creates once")),
    responses((status = 201, body = ImportView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "The file cannot be read", body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn create(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path(ws_name): Path<String>,
    headers: HeaderMap,
    Json(req): Json<NewImport>,
) -> Result<(StatusCode, Json<ImportView>), ApiError> {
    let key = idempotency_key(&headers)?;
    blocking(move || {
        let view = create_import(&ctx.app, &caller, &ws_name, &req, key.as_deref())?;
        Ok((StatusCode::CREATED, Json(view)))
    })
    .await
}

/// Creates an import from an upload (the API's `create` and the web UI's new import form).
pub(crate) fn create_import(
    app: &App,
    caller: &Caller,
    ws_name: &str,
    req: &NewImport,
    key: Option<&str>,
) -> Result<ImportView, ApiError> {
    let (ws, _) = access(app, caller, ws_name, Role::Importer)?;
    let rt = record_type(&ws, &req.record_type)?;
    let upload = app
        .control
        .upload(ws_name, &req.upload_id)?
        .ok_or_else(|| ApiError::not_found(&format!("upload `{}`", req.upload_id)))?;
    engine_request(&ws.schema, &rt.name, &req.options, &MappingInput::default())
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let p = peek(app, &upload.id, &req.options)?;
    let mut mapping = remembered(app, ws_name, &rt.name, &p.header)?;
    if let Some(m) = &req.mapping {
        mapping.columns.extend(m.columns.clone());
        for (h, v) in &m.values {
            mapping
                .values
                .entry(h.clone())
                .or_default()
                .extend(v.clone());
        }
    }
    let mv = mapping_view(&ws.schema, rt, &p, &mapping, &req.options)?;
    let status = if mv.complete {
        Status::Ready
    } else {
        Status::Incomplete
    };
    let row = app.control.create_import(
        ws_name,
        &rt.name,
        &upload,
        status.as_str(),
        &serde_json::to_string(&mapping).unwrap_or_default(),
        &serde_json::to_string(&req.options).unwrap_or_default(),
        &caller.user.id,
        key,
    )?;
    if row.created_by == caller.user.id && row.upload_id == upload.id {
        let _ = app.control.audit(
            &row.id,
            Some(&caller.user.id),
            "created",
            Some(&format!(
                "{} ({} bytes), {}",
                upload.file_name,
                upload.size,
                status.as_str()
            )),
        );
    }
    Ok(view(app, &row))
}

/// Filters of the import list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only imports with this status.
    pub status: Option<Status>,
    /// At most this many (default 50, at most 500).
    pub limit: Option<u32>,
    /// Skip this many.
    pub offset: Option<u32>,
}

/// A page of imports.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportPage {
    /// Matching imports in all.
    pub total: u64,
    /// This page, newest first.
    pub imports: Vec<ImportView>,
}

/// The imports of a workspace, newest first.
#[utoipa::path(get, path = "/workspaces/{ws}/imports", operation_id = "list_imports", tag = "imports",
    params(("ws" = String, Path, description = "Workspace"), ListQuery),
    responses((status = 200, body = ImportPage), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn list(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path(ws_name): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Json<ImportPage>, ApiError> {
    blocking(move || {
        let app = &ctx.app;
        access(app, &caller, &ws_name, Role::Viewer)?;
        let limit = i64::from(q.limit.unwrap_or(50).clamp(1, 500));
        let (rows, total) = app.control.imports(
            &ws_name,
            q.status.map(Status::as_str),
            limit,
            i64::from(q.offset.unwrap_or(0)),
        )?;
        Ok(Json(ImportPage {
            total: u64::try_from(total).unwrap_or(0),
            imports: rows.iter().map(|r| view(app, r)).collect(),
        }))
    })
    .await
}

/// One import, with its progress while it runs (rows done, updated at least every second).
#[utoipa::path(get, path = "/workspaces/{ws}/imports/{id}", operation_id = "get_import", tag = "imports",
    params(("ws" = String, Path, description = "Workspace"), ("id" = String, Path, description = "Import")),
    responses((status = 200, body = ImportView), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn get(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, id)): Path<(String, String)>,
) -> Result<Json<ImportView>, ApiError> {
    blocking(move || {
        access(&ctx.app, &caller, &ws_name, Role::Viewer)?;
        Ok(Json(view(&ctx.app, &load(&ctx.app, &ws_name, &id)?)))
    })
    .await
}

/// How the file's columns are mapped: each column with sample values, its field and how
/// confident the match is; what is missing.
#[utoipa::path(get, path = "/workspaces/{ws}/imports/{id}/mapping", tag = "imports",
    params(("ws" = String, Path, description = "Workspace"), ("id" = String, Path, description = "Import")),
    responses((status = 200, body = MappingView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn get_mapping(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, id)): Path<(String, String)>,
) -> Result<Json<MappingView>, ApiError> {
    blocking(move || mapping_of(&ctx.app, &caller, &ws_name, &id).map(Json)).await
}

/// An import's mapping as it stands (the API's `get_mapping` and the web UI's import page).
pub(crate) fn mapping_of(
    app: &App,
    caller: &Caller,
    ws_name: &str,
    id: &str,
) -> Result<MappingView, ApiError> {
    let (ws, _) = access(app, caller, ws_name, Role::Viewer)?;
    let row = load(app, ws_name, id)?;
    let rt = record_type(&ws, &row.record_type)?;
    let options: ImportOptions = serde_json::from_str(&row.options).unwrap_or_default();
    let mapping: MappingInput = serde_json::from_str(&row.mapping).unwrap_or_default();
    let p = peek(app, &row.upload_id, &options)?;
    mapping_view(&ws.schema, rt, &p, &mapping, &options)
}

const EDITABLE: &[&str] = &["incomplete", "ready", "failed", "cancelled"];

/// Corrects the mapping: header as written -> field (`null` leaves the column out). The
/// corrections are remembered for the record type and offered when the headers come back.
/// The import becomes `ready`, or `incomplete` while something is missing.
#[utoipa::path(put, path = "/workspaces/{ws}/imports/{id}/mapping", tag = "imports",
    request_body = MappingInput,
    params(("ws" = String, Path, description = "Workspace"), ("id" = String, Path, description = "Import")),
    responses((status = 200, body = MappingView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn put_mapping(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, id)): Path<(String, String)>,
    Json(mapping): Json<MappingInput>,
) -> Result<Json<MappingView>, ApiError> {
    blocking(move || save_mapping(&ctx.app, &caller, &ws_name, &id, &mapping).map(Json)).await
}

/// Saves an import's mapping and remembers its corrections (the API's `put_mapping` and the
/// web UI's mapping forms).
pub(crate) fn save_mapping(
    app: &App,
    caller: &Caller,
    ws_name: &str,
    id: &str,
    mapping: &MappingInput,
) -> Result<MappingView, ApiError> {
    let (ws, _) = access(app, caller, ws_name, Role::Importer)?;
    let row = load(app, ws_name, id)?;
    let rt = record_type(&ws, &row.record_type)?;
    let options: ImportOptions = serde_json::from_str(&row.options).unwrap_or_default();
    let p = peek(app, &row.upload_id, &options)?;
    if let Some(h) = mapping
        .columns
        .keys()
        .chain(mapping.values.keys())
        .find(|h| !p.header.contains(h))
    {
        return Err(ApiError::invalid(format!(
            "the file has no column `{h}`; its columns: {}",
            p.header.join(", ")
        )));
    }
    let mv = mapping_view(&ws.schema, rt, &p, mapping, &options)?;
    let status = if mv.complete {
        Status::Ready
    } else {
        Status::Incomplete
    };
    let json = serde_json::to_string(mapping).unwrap_or_default();
    if !app.control.transition(
        id,
        EDITABLE,
        status.as_str(),
        &[("mapping", json.into()), ("validation", Val::Null)],
    )? {
        return Err(ApiError::state(format!(
            "the mapping of an import that is {} cannot change",
            row.status
        )));
    }
    // Remember the corrections for the next file of this type.
    let mut all: MappingInput = app
        .control
        .remembered(ws_name, &rt.name)?
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default();
    all.columns.extend(mapping.columns.clone());
    for (h, v) in &mapping.values {
        all.values.entry(h.clone()).or_default().extend(v.clone());
    }
    app.control.remember(
        ws_name,
        &rt.name,
        &serde_json::to_string(&all).unwrap_or_default(),
    )?;
    app.control
        .audit(id, Some(&caller.user.id), "mapped", Some(status.as_str()))?;
    Ok(mv)
}

/// Sets the import's options.
#[utoipa::path(put, path = "/workspaces/{ws}/imports/{id}/options", tag = "imports",
    request_body = ImportOptions,
    params(("ws" = String, Path, description = "Workspace"), ("id" = String, Path, description = "Import")),
    responses((status = 200, body = ImportView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, description = "The file cannot be read with these options", body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn put_options(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, id)): Path<(String, String)>,
    Json(options): Json<ImportOptions>,
) -> Result<Json<ImportView>, ApiError> {
    blocking(move || set_options(&ctx.app, &caller, &ws_name, &id, options).map(Json)).await
}

/// Sets an import's options (the API's and the web UI's step): checked as the engine will
/// check them, and the file read with them, before they are kept.
pub(crate) fn set_options(
    app: &App,
    caller: &Caller,
    ws_name: &str,
    id: &str,
    options: ImportOptions,
) -> Result<ImportView, ApiError> {
    let (ws, _) = access(app, caller, ws_name, Role::Importer)?;
    let row = load(app, ws_name, id)?;
    let rt = record_type(&ws, &row.record_type)?;
    let mapping: MappingInput = serde_json::from_str(&row.mapping).unwrap_or_default();
    // Options the engine would refuse are refused now, not when the import runs.
    engine_request(&ws.schema, &rt.name, &options, &mapping)
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    intake_engine::import::match_fields(rt, &options.match_on)
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let p = peek(app, &row.upload_id, &options)?;
    let mv = mapping_view(&ws.schema, rt, &p, &mapping, &options)?;
    let status = if mv.complete {
        Status::Ready
    } else {
        Status::Incomplete
    };
    let json = serde_json::to_string(&options).unwrap_or_default();
    if !app.control.transition(
        id,
        EDITABLE,
        status.as_str(),
        &[
            ("options", json.into()),
            ("validation", Val::Null),
            ("mute", options.mute_notifications.into()),
        ],
    )? {
        return Err(ApiError::state(format!(
            "the options of an import that is {} cannot change",
            row.status
        )));
    }
    app.control
        .audit(id, Some(&caller.user.id), "options", None)?;
    Ok(view(app, &load(app, ws_name, id)?))
}

/// Validates the import against the workspace without writing anything: every cell, every
/// link, uniqueness in the file and in the database, and what would be created, updated,
/// unchanged or deleted. The problems are listed by `GET .../problems`.
#[utoipa::path(post, path = "/workspaces/{ws}/imports/{id}/validate", tag = "imports",
    params(("ws" = String, Path, description = "Workspace"), ("id" = String, Path, description = "Import")),
    responses((status = 200, body = ValidationSummary), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn validate(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, id)): Path<(String, String)>,
) -> Result<Json<ValidationSummary>, ApiError> {
    blocking(move || run_validation(&ctx.app, &caller, &ws_name, &id).map(Json)).await
}

/// Validates an import without writing anything and keeps the summary and the report (the
/// API's `validate` and the web UI's Validate button).
pub(crate) fn run_validation(
    app: &App,
    caller: &Caller,
    ws_name: &str,
    id: &str,
) -> Result<ValidationSummary, ApiError> {
    let (ws, role) = access(app, caller, ws_name, Role::Importer)?;
    let row = load(app, ws_name, id)?;
    if !EDITABLE.contains(&row.status.as_str()) && row.status != "waiting_for_approval" {
        return Err(ApiError::state(format!(
            "an import that is {} is not validated again",
            row.status
        )));
    }
    let options: ImportOptions = serde_json::from_str(&row.options).unwrap_or_default();
    let mapping: MappingInput = serde_json::from_str(&row.mapping).unwrap_or_default();
    let mut request = engine_request(&ws.schema, &row.record_type, &options, &mapping)
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    request.dry_run = true;
    request.threads = app.config.threads;
    request.options.removals_allowed = role >= Role::Manager;
    let upload = app.storage.upload(&row.upload_id)?;
    let input = crate::jobs::UploadInput {
        path: upload.path().to_path_buf(),
        name: row.file_name.clone(),
    };
    let outcome = import(
        &ws.schema,
        ws.store.as_ref(),
        &input,
        &request,
        Outputs::default(),
        &NoProgress,
    )
    .map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable_file",
            e.to_string(),
        )
    })?;
    drop(upload);
    let dir = app.storage.results(id)?;
    crate::jobs::write_report(&dir.path().join("report.jsonl"), &outcome.report.problems)?;
    app.storage.keep_results(id, &dir, &["report.jsonl"])?;
    let counts = CountsView::from(outcome.counts);
    let mut summary =
        ValidationSummary::of(counts, &outcome.report.problems, &outcome.report.warnings);
    if let Some(rt) = ws.schema.record_type(&row.record_type) {
        summary.unknown_values =
            intake_engine::unknown_values(&ws.schema, rt, &outcome.mapping, &outcome.report)
                .iter()
                .map(crate::model::UnknownValuesView::from)
                .collect();
    }
    let mut files: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&row.files).unwrap_or_default();
    files.insert("report".into(), "report.jsonl".into());
    app.control.set(
        id,
        &[
            (
                "validation",
                serde_json::to_string(&summary).unwrap_or_default().into(),
            ),
            (
                "rows_total",
                Val::from(i64::try_from(counts.rows).unwrap_or(i64::MAX)),
            ),
            ("files", serde_json::Value::Object(files).to_string().into()),
        ],
    )?;
    app.control.audit(
        id,
        Some(&caller.user.id),
        "validated",
        Some(&format!(
            "{} rows, {} problem{}",
            counts.rows,
            summary.problems,
            if summary.problems == 1 { "" } else { "s" }
        )),
    )?;
    Ok(summary)
}

/// Filters of the problem list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ProblemQuery {
    /// Only problems in this column (header as written).
    pub column: Option<String>,
    /// Only problems with this code.
    pub code: Option<String>,
    /// At most this many (default 100, at most 1,000).
    pub limit: Option<u32>,
    /// Skip this many.
    pub offset: Option<u64>,
}

/// A page of problems.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemPage {
    /// Matching problems in all.
    pub total: u64,
    /// This page, by row then column.
    pub problems: Vec<ProblemView>,
}

/// The problems of the last validation or run, paginated, filterable by column and code.
#[utoipa::path(get, path = "/workspaces/{ws}/imports/{id}/problems", tag = "imports",
    params(("ws" = String, Path, description = "Workspace"), ("id" = String, Path, description = "Import"), ProblemQuery),
    responses((status = 200, body = ProblemPage), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn problems(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, id)): Path<(String, String)>,
    Query(q): Query<ProblemQuery>,
) -> Result<Json<ProblemPage>, ApiError> {
    blocking(move || problem_page(&ctx.app, &caller, &ws_name, &id, &q).map(Json)).await
}

/// A page of the last validation's problems, read from its report (the API's `problems` and
/// the web UI's problems table).
pub(crate) fn problem_page(
    app: &App,
    caller: &Caller,
    ws_name: &str,
    id: &str,
    q: &ProblemQuery,
) -> Result<ProblemPage, ApiError> {
    access(app, caller, ws_name, Role::Viewer)?;
    load(app, ws_name, id)?;
    let report = app.storage.result(id, "report.jsonl")?;
    let limit = u64::from(q.limit.unwrap_or(100).clamp(1, 1000));
    let offset = q.offset.unwrap_or(0);
    let mut page = ProblemPage {
        total: 0,
        problems: Vec::new(),
    };
    let Some(Ok(file)) = report.map(|r| fs_err::File::open(r.path())) else {
        return Ok(page);
    };
    // The report is read line by line: memory stays flat for 100,000 problems.
    for line in BufReader::new(file).lines() {
        let line = line?;
        let Ok(p) = serde_json::from_str::<ProblemView>(&line) else {
            continue;
        };
        if q.column
            .as_ref()
            .is_some_and(|c| p.column.as_ref() != Some(c))
            || q.code.as_ref().is_some_and(|c| &p.code != c)
        {
            continue;
        }
        if page.total >= offset && page.total < offset + limit {
            page.problems.push(p);
        }
        page.total += 1;
    }
    Ok(page)
}

/// Submits the import: it waits for approval when the workspace requires it, else it is
/// queued for a worker. Deleting or deactivating records needs the manager role. Submitting
/// again with the same `Idempotency-Key` answers the import as it is, without running it
/// twice.
#[utoipa::path(post, path = "/workspaces/{ws}/imports/{id}/submit", tag = "imports",
    params(("ws" = String, Path, description = "Workspace"), ("id" = String, Path, description = "Import"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200, description = "Submitting twice with one key runs once")),
    responses((status = 200, body = ImportView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn submit(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<ImportView>, ApiError> {
    let key = idempotency_key(&headers)?;
    blocking(move || submit_import(&ctx, &caller, &ws_name, &id, key).map(Json)).await
}

/// Submits an import for approval or to the workers (the API's `submit` and the web UI's
/// Submit button).
pub(crate) fn submit_import(
    ctx: &Ctx,
    caller: &Caller,
    ws_name: &str,
    id: &str,
    key: Option<String>,
) -> Result<ImportView, ApiError> {
    let app = &ctx.app;
    let (ws, role) = access(app, caller, ws_name, Role::Importer)?;
    let row = load(app, ws_name, id)?;
    if let Some(k) = &key
        && row.submit_key.as_deref() == Some(k)
    {
        return Ok(view(app, &row));
    }
    if row.status == "incomplete" {
        return Err(ApiError::state(
            "the mapping lacks the key or required columns: correct it (PUT .../mapping) first",
        ));
    }
    let to = if ws.settings.require_approval {
        Status::WaitingForApproval
    } else {
        Status::Queued
    };
    // Rows that delete or deactivate run only if a manager submits or approves.
    let mut set = vec![
        ("submit_key", Val::from(key.clone())),
        ("removals_allowed", Val::from(role >= Role::Manager)),
    ];
    if to == Status::Queued {
        set.push(("queued_at", Val::from(crate::control::now_ms())));
        set.push(("cancel_requested", Val::from(false)));
        set.push(("rows_done", Val::Int(0)));
    }
    if !app
        .control
        .transition(id, &["ready", "failed", "cancelled"], to.as_str(), &set)?
    {
        return Err(ApiError::state(format!(
            "an import that is {} cannot be submitted",
            row.status
        )));
    }
    app.control
        .audit(id, Some(&caller.user.id), "submitted", Some(to.as_str()))?;
    if to == Status::Queued {
        ctx.wake.notify();
    }
    Ok(view(app, &load(app, ws_name, id)?))
}

/// Approves an import waiting for approval (managers; with four eyes, not its uploader):
/// it is queued.
#[utoipa::path(post, path = "/workspaces/{ws}/imports/{id}/approve", tag = "imports",
    params(("ws" = String, Path, description = "Workspace"), ("id" = String, Path, description = "Import")),
    responses((status = 200, body = ImportView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn approve(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, id)): Path<(String, String)>,
) -> Result<Json<ImportView>, ApiError> {
    blocking(move || approve_import(&ctx, &caller, &ws_name, &id).map(Json)).await
}

/// Approves an import waiting for approval and queues it (the API's and the web UI's step).
pub(crate) fn approve_import(
    ctx: &Ctx,
    caller: &Caller,
    ws_name: &str,
    id: &str,
) -> Result<ImportView, ApiError> {
    let app = &ctx.app;
    let (ws, _) = access(app, caller, ws_name, Role::Manager)?;
    let row = load(app, ws_name, id)?;
    if ws.settings.four_eyes && row.created_by == caller.user.id {
        return Err(ApiError::forbidden(
            "this workspace asks for four eyes: another manager must approve your import",
        ));
    }
    if !app.control.transition(
        id,
        &["waiting_for_approval"],
        Status::Queued.as_str(),
        &[
            ("queued_at", Val::from(crate::control::now_ms())),
            ("cancel_requested", Val::from(false)),
            ("rows_done", Val::Int(0)),
            ("removals_allowed", Val::from(true)),
        ],
    )? {
        return Err(ApiError::state(format!(
            "an import that is {} cannot be approved",
            row.status
        )));
    }
    app.control
        .audit(id, Some(&caller.user.id), "approved", None)?;
    ctx.wake.notify();
    Ok(view(app, &load(app, ws_name, id)?))
}

/// Cancels an import: one not yet running is `cancelled` at once; a running one stops after
/// its current batch and writes nothing.
#[utoipa::path(post, path = "/workspaces/{ws}/imports/{id}/cancel", tag = "imports",
    params(("ws" = String, Path, description = "Workspace"), ("id" = String, Path, description = "Import")),
    responses((status = 200, body = ImportView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn cancel(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, id)): Path<(String, String)>,
) -> Result<Json<ImportView>, ApiError> {
    blocking(move || cancel_import(&ctx.app, &caller, &ws_name, &id).map(Json)).await
}

/// Cancels an import, or asks its run to stop (the API's and the web UI's step).
pub(crate) fn cancel_import(
    app: &App,
    caller: &Caller,
    ws_name: &str,
    id: &str,
) -> Result<ImportView, ApiError> {
    let (_, role) = access(app, caller, ws_name, Role::Importer)?;
    let row = load(app, ws_name, id)?;
    if role < Role::Manager && row.created_by != caller.user.id {
        return Err(ApiError::forbidden(
            "only its uploader or a manager can cancel an import",
        ));
    }
    if row.status == "in_progress" {
        app.control
            .set(id, &[("cancel_requested", Val::from(true))])?;
    } else if !app.control.transition(
        id,
        &["incomplete", "ready", "waiting_for_approval", "queued"],
        Status::Cancelled.as_str(),
        &[],
    )? {
        return Err(ApiError::state(format!(
            "an import that is {} cannot be cancelled",
            row.status
        )));
    }
    app.control
        .audit(id, Some(&caller.user.id), "cancel", Some(&row.status))?;
    Ok(view(app, &load(app, ws_name, id)?))
}

/// Reverts a completed import as a whole (managers), unless later imports changed the same
/// records: then it says which (`details.conflicts`).
#[utoipa::path(post, path = "/workspaces/{ws}/imports/{id}/revert", tag = "imports",
    params(("ws" = String, Path, description = "Workspace"), ("id" = String, Path, description = "Import")),
    responses((status = 200, body = ImportView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn revert(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, id)): Path<(String, String)>,
) -> Result<Json<ImportView>, ApiError> {
    blocking(move || revert_import(&ctx.app, &caller, &ws_name, &id).map(Json)).await
}

/// Reverts a completed import (the API's and the web UI's step).
pub(crate) fn revert_import(
    app: &App,
    caller: &Caller,
    ws_name: &str,
    id: &str,
) -> Result<ImportView, ApiError> {
    let (ws, _) = access(app, caller, ws_name, Role::Manager)?;
    let row = load(app, ws_name, id)?;
    let (Some(store_id), "completed") = (row.store_import_id, row.status.as_str()) else {
        return Err(ApiError::state(format!(
            "only a completed import can be reverted; this one is {}",
            row.status
        )));
    };
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    match ws.store.revert(&ws.schema, store_id, &now) {
        Ok(c) => {
            app.control
                .transition(id, &["completed"], Status::Reverted.as_str(), &[])?;
            app.control.audit(
                id,
                Some(&caller.user.id),
                "reverted",
                Some(&format!(
                    "{} removed, {} restored, {} undeleted, {} reactivated",
                    c.removed, c.restored, c.undeleted, c.reactivated
                )),
            )?;
            app.forget(ws_name);
        }
        Err(intake_store::StoreError::RevertConflict { conflicts, .. }) => {
            return Err(ApiError::state(format!(
                "this import cannot be reverted: later imports changed {} of its records",
                conflicts.len()
            ))
            .details(serde_json::json!({ "conflicts": conflicts })));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(view(app, &load(app, ws_name, id)?))
}

/// Downloads a result file: `report` (the problems, JSON lines), `response` (the failing
/// rows in the file's layout with an error column; XLSX for a workbook) or `success` (the
/// written rows with their UUIDs).
#[utoipa::path(get, path = "/workspaces/{ws}/imports/{id}/files/{name}", tag = "imports",
    params(("ws" = String, Path, description = "Workspace"), ("id" = String, Path, description = "Import"),
        ("name" = String, Path, description = "report, response or success")),
    responses((status = 200, description = "The file", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("application/jsonl"))),
        (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn file(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, id, name)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let app = ctx.app.clone();
    let (local, stored) = blocking(move || {
        access(&app, &caller, &ws_name, Role::Viewer)?;
        let row = load(&app, &ws_name, &id)?;
        let files: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&row.files).unwrap_or_default();
        let stored = files
            .get(&name)
            .and_then(|v| v.as_str())
            .filter(|s| !s.contains('/') && !s.contains(".."))
            .ok_or_else(|| {
                ApiError::not_found(&format!(
                    "file `{name}` of this import (it has: {})",
                    files.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            })?
            .to_string();
        let stem: String = row
            .file_name
            .rsplit_once('.')
            .map_or(row.file_name.as_str(), |(s, _)| s)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        let local = app
            .storage
            .result(&id, &stored)?
            .ok_or_else(|| ApiError::not_found("the file"))?;
        Ok((local, format!("{stem}.{stored}")))
    })
    .await?;
    let f = tokio::fs::File::open(local.path())
        .await
        .map_err(|_| ApiError::not_found("the file"))?;
    // A copy fetched from the bucket is removed now; the open file is still read whole.
    drop(local);
    let mime = match stored.rsplit_once('.').map(|(_, e)| e) {
        Some("csv") => "text/csv; charset=utf-8",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("jsonl") => "application/jsonl",
        _ => "application/octet-stream",
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stored}\""),
            ),
        ],
        Body::from_stream(tokio_util::io::ReaderStream::new(f)),
    )
        .into_response())
}

/// Who uploaded, mapped, validated, submitted, approved, ran and reverted the import, and when.
#[utoipa::path(get, path = "/workspaces/{ws}/imports/{id}/audit", tag = "imports",
    params(("ws" = String, Path, description = "Workspace"), ("id" = String, Path, description = "Import")),
    responses((status = 200, body = Vec<AuditEntry>), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn audit(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((ws_name, id)): Path<(String, String)>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    blocking(move || {
        access(&ctx.app, &caller, &ws_name, Role::Viewer)?;
        load(&ctx.app, &ws_name, &id)?;
        Ok(Json(ctx.app.control.audit_trail(&id)?))
    })
    .await
}
