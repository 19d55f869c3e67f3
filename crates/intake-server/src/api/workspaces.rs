//! Workspaces, their members and settings, record types, field descriptions and templates.

use super::extract::Json;
use super::extract::{Path, Query};
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use intake_core::describe::{describe as describe_type, template_headers_with_inline};
use intake_core::schema::Schema;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, Caller, Ctx, ErrorBody, access, blocking};
use crate::control::{Role, Settings};
use crate::state::workspace_name;

/// A workspace as the caller sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceView {
    /// Its name.
    pub name: String,
    /// The schema's description.
    pub description: String,
    /// The caller's role.
    pub role: Role,
    /// Its record types.
    pub types: Vec<TypeSummary>,
    /// Its settings (admins only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
}

/// A record type in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct TypeSummary {
    /// Name (in URLs).
    pub name: String,
    /// Label.
    pub label: String,
    /// What it holds.
    pub description: String,
    /// Number of fields.
    pub fields: usize,
}

fn types_of(schema: &Schema) -> Vec<TypeSummary> {
    schema
        .types
        .iter()
        .map(|t| TypeSummary {
            name: t.name.clone(),
            label: t.label.clone(),
            description: t.description.clone(),
            fields: t.fields.len(),
        })
        .collect()
}

/// The caller's workspaces.
#[utoipa::path(get, path = "/workspaces", operation_id = "list_workspaces", tag = "workspaces", responses(
    (status = 200, body = Vec<WorkspaceView>), (status = 401, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn list(
    State(ctx): State<Ctx>,
    caller: Caller,
) -> Result<Json<Vec<WorkspaceView>>, ApiError> {
    blocking(move || {
        let mut out = Vec::new();
        for (name, role) in ctx.app.control.memberships(&caller.user)? {
            if let Some(ws) = ctx.app.workspace(&name)? {
                out.push(WorkspaceView {
                    name,
                    description: ws.schema.description.clone(),
                    role,
                    types: types_of(&ws.schema),
                    settings: (role >= Role::Admin).then(|| ws.settings.clone()),
                });
            }
        }
        Ok(Json(out))
    })
    .await
}

/// A new workspace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkspace {
    /// Its name: lowercase letters, digits and `_`.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,49}$")]
    pub name: String,
    /// Start from a demo schema: `crm`, `rollout`, `msp` or `ticketing`.
    pub demo: Option<String>,
    /// Or from this schema (TOML).
    pub schema_toml: Option<String>,
}

/// Creates a workspace (server admins). On SQLite its records live in a database file of
/// its own; on PostgreSQL in a schema of its own.
#[utoipa::path(post, path = "/workspaces", operation_id = "create_workspace", tag = "workspaces", request_body = NewWorkspace, responses(
    (status = 201, body = WorkspaceView), (status = 400, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn create(
    State(ctx): State<Ctx>,
    caller: Caller,
    Json(req): Json<NewWorkspace>,
) -> Result<(StatusCode, Json<WorkspaceView>), ApiError> {
    blocking(move || {
        if !caller.user.server_admin {
            return Err(ApiError::forbidden("only a server admin can create workspaces"));
        }
        if req.name.is_empty() || req.name.len() > 50 || workspace_name(&req.name) != req.name {
            return Err(ApiError::invalid(format!(
                "workspace name `{}` is not allowed: use 1 to 50 lowercase letters, digits and `_`, starting with a letter (for instance `{}`)",
                req.name,
                workspace_name(&req.name)
            )));
        }
        let toml = match (&req.demo, &req.schema_toml) {
            (Some(d), None) => intake_core::demo::demo(d)
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "there is no demo `{d}`; demos: crm, rollout, msp, ticketing"
                    ))
                })?
                .source
                .to_string(),
            (None, Some(t)) => t.clone(),
            _ => {
                return Err(ApiError::invalid(
                    "give either `demo` or `schema_toml`, not both or neither",
                ));
            }
        };
        Schema::from_toml(&format!("{}/intake.toml", req.name), &toml).map_err(|e| {
            ApiError::invalid(format!("the schema does not load: {e}"))
        })?;
        if ctx.app.control.workspace(&req.name)?.is_some() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("a workspace named `{}` exists already", req.name),
            ));
        }
        let dir = ctx.app.config.home.join("workspaces").join(&req.name);
        fs_err::create_dir_all(&dir)?;
        fs_err::write(dir.join(crate::state::SCHEMA_FILE), &toml)?;
        let location = ctx.app.location_for(&req.name, &dir);
        ctx.app.control.put_workspace(&req.name, &toml, &location)?;
        let ws = ctx
            .app
            .workspace(&req.name)?
            .ok_or_else(|| ApiError::not_found("the new workspace"))?;
        Ok((
            StatusCode::CREATED,
            Json(WorkspaceView {
                name: req.name,
                description: ws.schema.description.clone(),
                role: Role::Admin,
                types: types_of(&ws.schema),
                settings: Some(ws.settings.clone()),
            }),
        ))
    })
    .await
}

/// One workspace.
#[utoipa::path(get, path = "/workspaces/{ws}", operation_id = "get_workspace", tag = "workspaces",
    params(("ws" = String, Path, description = "Workspace")),
    responses((status = 200, body = WorkspaceView), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn get(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<WorkspaceView>, ApiError> {
    blocking(move || {
        let (ws, role) = access(&ctx.app, &caller, &name, Role::Viewer)?;
        Ok(Json(WorkspaceView {
            name,
            description: ws.schema.description.clone(),
            role,
            types: types_of(&ws.schema),
            settings: (role >= Role::Admin).then(|| ws.settings.clone()),
        }))
    })
    .await
}

/// Changes a workspace's settings (admins): approval, four eyes, webhook, mail.
#[utoipa::path(put, path = "/workspaces/{ws}/settings", tag = "workspaces", request_body = Settings,
    params(("ws" = String, Path, description = "Workspace")),
    responses((status = 200, body = Settings), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn put_settings(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path(name): Path<String>,
    Json(settings): Json<Settings>,
) -> Result<Json<Settings>, ApiError> {
    blocking(move || {
        access(&ctx.app, &caller, &name, Role::Admin)?;
        if let Some(url) = &settings.webhook_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ApiError::invalid(format!(
                "webhook_url `{url}` must start with http:// or https://"
            )));
        }
        if settings.webhook_url.is_some() && settings.webhook_secret.as_deref().unwrap_or("").len() < 16 {
            return Err(ApiError::invalid(
                "a webhook needs a webhook_secret of at least 16 characters: the receiver checks the signature with it",
            ));
        }
        ctx.app.control.set_settings(&name, &settings)?;
        ctx.app.forget(&name);
        Ok(Json(settings))
    })
    .await
}

/// A member's role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRequest {
    /// viewer, importer, manager or admin.
    pub role: Role,
}

/// Gives a user a role in the workspace (admins).
#[utoipa::path(put, path = "/workspaces/{ws}/members/{username}", tag = "workspaces",
    request_body = MemberRequest,
    params(("ws" = String, Path, description = "Workspace"), ("username" = String, Path, description = "User")),
    responses((status = 204, description = "Done"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn put_member(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((name, username)): Path<(String, String)>,
    Json(req): Json<MemberRequest>,
) -> Result<StatusCode, ApiError> {
    blocking(move || {
        access(&ctx.app, &caller, &name, Role::Admin)?;
        let user = ctx
            .app
            .control
            .user_by_name(&username)?
            .ok_or_else(|| ApiError::not_found(&format!("user `{username}`")))?;
        ctx.app.control.set_role(&user.id, &name, req.role)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// The record types of a workspace.
#[utoipa::path(get, path = "/workspaces/{ws}/types", tag = "workspaces",
    params(("ws" = String, Path, description = "Workspace")),
    responses((status = 200, body = Vec<TypeSummary>), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn types(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<TypeSummary>>, ApiError> {
    blocking(move || {
        let (ws, _) = access(&ctx.app, &caller, &name, Role::Viewer)?;
        Ok(Json(types_of(&ws.schema)))
    })
    .await
}

/// What each column of a record type's template expects: type, required, format, allowed
/// values, links (the CLI's `intake describe TYPE --json`).
#[utoipa::path(get, path = "/workspaces/{ws}/types/{type}", tag = "workspaces",
    params(("ws" = String, Path, description = "Workspace"), ("type" = String, Path, description = "Record type")),
    responses((status = 200, description = "The field descriptions", body = serde_json::Value),
        (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn describe(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((name, ty)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    blocking(move || {
        let (ws, _) = access(&ctx.app, &caller, &name, Role::Viewer)?;
        let rt = ws
            .schema
            .record_type(&ty)
            .ok_or_else(|| ApiError::not_found(&format!("record type `{ty}`")))?;
        Ok(Json(serde_json::json!({
            "type": rt.name,
            "label": rt.label,
            "description": rt.description,
            "columns": describe_type(&ws.schema, rt),
        })))
    })
    .await
}

/// Template format.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TemplateQuery {
    /// `csv` (default) or `xlsx`.
    #[param(pattern = "^(csv|xlsx)$")]
    pub format: Option<String>,
}

/// A record type's template: the headers to fill in (CSV), or a workbook with a `Fields`
/// sheet describing every column and dropdowns on lookup columns (XLSX).
#[utoipa::path(get, path = "/workspaces/{ws}/types/{type}/template", tag = "workspaces",
    params(("ws" = String, Path, description = "Workspace"), ("type" = String, Path, description = "Record type"), TemplateQuery),
    responses((status = 200, description = "The template file", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn template(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path((name, ty)): Path<(String, String)>,
    Query(q): Query<TemplateQuery>,
) -> Result<Response, ApiError> {
    blocking(move || {
        let (ws, _) = access(&ctx.app, &caller, &name, Role::Viewer)?;
        let rt = ws
            .schema
            .record_type(&ty)
            .ok_or_else(|| ApiError::not_found(&format!("record type `{ty}`")))?;
        let (bytes, mime, ext) = match q.format.as_deref().unwrap_or("csv") {
            "csv" => {
                let headers = template_headers_with_inline(&ws.schema, rt);
                let options = intake_formats::CsvWriterOptions {
                    bom: true,
                    ..intake_formats::CsvWriterOptions::default()
                };
                let mut bytes = Vec::new();
                let mut w = intake_formats::CsvWriter::new(&mut bytes, &options)?;
                w.write_record(headers.iter().map(String::as_str))?;
                w.flush()?;
                drop(w);
                (bytes, "text/csv; charset=utf-8", "csv")
            }
            "xlsx" => {
                let mut out = std::io::Cursor::new(Vec::new());
                intake_engine::template_xlsx(&ws.schema, rt, &mut out)
                    .map_err(|e| ApiError::invalid(e.to_string()))?;
                (
                    out.into_inner(),
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
        Ok((
            [
                (header::CONTENT_TYPE, mime.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}.{ext}\"", rt.name),
                ),
            ],
            Body::from(bytes),
        )
            .into_response())
    })
    .await
}
