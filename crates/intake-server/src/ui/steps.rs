//! The import's first steps as forms, for importers and above: a new import (record type and
//! file, streamed to storage like the API's upload), the mapping, values that match no
//! option, validation and submission. Each POST checks the session's CSRF token, then calls
//! the same functions as the API's handlers, and redirects to the import's page.

use axum::Form;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use intake_core::mapping::ValueChoice;
use maud::{Markup, html};

use super::layout::{Frame, Section, frame, ws_path};
use super::{UiError, Visitor, render};
use crate::api::imports::{
    MappingView, NewImport, create_import, mapping_of, run_validation, save_mapping, store_upload,
    submit_import,
};
use crate::api::{ApiError, Ctx, access, blocking};
use crate::auth::same;
use crate::control::Role;
use crate::model::{MappingInput, UnknownValuesView};
use crate::state::Workspace;

/// The value of "create it" in a value's select (never an option code: codes have no `*`).
const CREATE: &str = "*create";

/// Refuses a form without the session's CSRF token.
fn check_csrf(visitor: &Visitor, token: &str) -> Result<(), UiError> {
    if same(&visitor.csrf, token) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "the form had expired; reload the page and try again",
        )
        .into())
    }
}

/// The pairs of a form whose field names depend on the file.
type Pairs = Vec<(String, String)>;

fn value<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn import_path(ws: &str, id: &str) -> String {
    format!("{}/imports/{}", ws_path(ws), super::layout::seg(id))
}

/// `GET /w/{ws}/imports/new`: the record type and the file.
pub async fn new_page(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path(ws_name): Path<String>,
) -> Result<Response, UiError> {
    render(move || {
        let (ws, _) = access(&ctx.app, &visitor.caller(), &ws_name, Role::Importer)?;
        let f = Frame {
            title: "New import",
            visitor: &visitor,
            workspace: Some(&ws_name),
            section: Some(Section::Imports),
        };
        let mb = ctx.app.config.max_upload_bytes / (1024 * 1024);
        Ok(frame(
            &f,
            html! {
                nav.crumbs aria-label="Breadcrumb" {
                    a href={(ws_path(&ws_name)) "/imports"} { "Imports" } " / " span aria-current="page" { "New import" }
                }
                h1 { "New import" }
                form.stacked method="post" action={(ws_path(&ws_name)) "/imports/new"} enctype="multipart/form-data" {
                    input type="hidden" name="csrf" value=(visitor.csrf);
                    label for="record_type" { "Record type" }
                    select #record_type name="record_type" required {
                        @for t in &ws.schema.types { option value=(t.name) { (t.label) } }
                    }
                    label for="file" { "File" }
                    input #file type="file" name="file" required aria-describedby="file-help"
                        accept=".csv,.txt,.tsv,.xlsx,.xls,.ods";
                    p.help #file-help { "CSV, Excel (XLSX, XLS) or OpenDocument (ODS), at most " (mb) " MB. The first row holds the column names." }
                    button type="submit" { "Upload and match columns" }
                }
            },
        ))
    })
    .await
}

fn broken(e: MultipartError) -> UiError {
    ApiError::invalid(format!("the form did not arrive whole: {e}")).into()
}

/// A short text part of a multipart form (the body has no overall limit: the file's is
/// checked while it streams, so the other parts get one of their own).
async fn small_text(mut field: Field<'_>) -> Result<String, UiError> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(broken)? {
        buf.extend_from_slice(&chunk);
        if buf.len() > 1024 {
            return Err(ApiError::invalid("a field of the form is too long").into());
        }
    }
    String::from_utf8(buf).map_err(|_| ApiError::invalid("a field of the form is not text").into())
}

/// `POST /w/{ws}/imports/new` (multipart: `csrf`, `record_type`, then `file`): streams the
/// file to storage, creates the import and shows it.
pub async fn create(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path(ws_name): Path<String>,
    mut form: Multipart,
) -> Result<Response, UiError> {
    let (mut csrf, mut record_type) = (None, None);
    let mut upload = None;
    while let Some(field) = form.next_field().await.map_err(broken)? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = Some(small_text(field).await?),
            "record_type" => record_type = Some(small_text(field).await?),
            "file" => {
                // The token comes first in the form: nothing is stored without it.
                check_csrf(&visitor, csrf.as_deref().unwrap_or_default())?;
                let name = field.file_name().map(str::to_string);
                upload = Some(
                    store_upload(
                        &ctx,
                        visitor.caller(),
                        ws_name.clone(),
                        name.as_deref(),
                        field,
                    )
                    .await?,
                );
            }
            _ => {}
        }
    }
    check_csrf(&visitor, csrf.as_deref().unwrap_or_default())?;
    let upload =
        upload.ok_or_else(|| UiError::from(ApiError::invalid("choose a file to import")))?;
    let req = NewImport {
        upload_id: upload.id,
        record_type: record_type.unwrap_or_default(),
        options: Default::default(),
        mapping: None,
    };
    let app = ctx.app.clone();
    let ws = ws_name.clone();
    let created = blocking(move || create_import(&app, &visitor.caller(), &ws, &req, None)).await?;
    Ok(Redirect::to(&import_path(&ws_name, &created.id)).into_response())
}

/// `POST /w/{ws}/imports/{id}/mapping`: `csrf`, then per column `h{i}` (header) and `f{i}`
/// (field, empty to leave it out). Only changed columns become corrections.
pub async fn mapping(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path((ws_name, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, UiError> {
    check_csrf(&visitor, value(&pairs, "csrf").unwrap_or_default())?;
    let (ws, i) = (ws_name.clone(), id.clone());
    blocking(move || {
        let caller = visitor.caller();
        let now = mapping_of(&ctx.app, &caller, &ws, &i)?;
        let mut input = now.mapping.clone();
        for c in &now.columns {
            let (Some(h), Some(f)) = (
                value(&pairs, &format!("h{}", c.index)),
                value(&pairs, &format!("f{}", c.index)),
            ) else {
                continue;
            };
            let chosen = (!f.is_empty()).then(|| f.to_string());
            if h == c.header && chosen != c.field {
                input.columns.insert(c.header.clone(), chosen);
            }
        }
        save_mapping(&ctx.app, &caller, &ws, &i, &input).map(|_| ())
    })
    .await?;
    Ok(Redirect::to(&format!("{}#mapping-h", import_path(&ws_name, &id))).into_response())
}

/// `POST /w/{ws}/imports/{id}/values`: `csrf`, `column`, then per value `v{i}` (as written)
/// and `o{i}` (an option's code, `*create`, or empty to leave it for later).
pub async fn values(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path((ws_name, id)): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, UiError> {
    check_csrf(&visitor, value(&pairs, "csrf").unwrap_or_default())?;
    let (ws, i) = (ws_name.clone(), id.clone());
    blocking(move || {
        let caller = visitor.caller();
        let column = value(&pairs, "column").unwrap_or_default().to_string();
        let mut input = mapping_of(&ctx.app, &caller, &ws, &i)?.mapping;
        let chosen = input.values.entry(column).or_default();
        for n in 0.. {
            let Some(v) = value(&pairs, &format!("v{n}")) else {
                break;
            };
            match value(&pairs, &format!("o{n}")).unwrap_or_default() {
                "" => {}
                CREATE => {
                    chosen.insert(v.to_string(), ValueChoice::Create);
                }
                o => {
                    chosen.insert(v.to_string(), ValueChoice::Option(o.to_string()));
                }
            }
        }
        input.values.retain(|_, v| !v.is_empty());
        save_mapping(&ctx.app, &caller, &ws, &i, &input).map(|_| ())
    })
    .await?;
    Ok(Redirect::to(&format!("{}#mapping-h", import_path(&ws_name, &id))).into_response())
}

/// The form of a POST that carries nothing but the token.
#[derive(Debug, serde::Deserialize)]
pub struct TokenForm {
    csrf: String,
}

/// `POST /w/{ws}/imports/{id}/validate`.
pub async fn validate(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path((ws_name, id)): Path<(String, String)>,
    Form(form): Form<TokenForm>,
) -> Result<Response, UiError> {
    check_csrf(&visitor, &form.csrf)?;
    let (ws, i) = (ws_name.clone(), id.clone());
    blocking(move || run_validation(&ctx.app, &visitor.caller(), &ws, &i).map(|_| ())).await?;
    Ok(Redirect::to(&format!("{}#validation-h", import_path(&ws_name, &id))).into_response())
}

/// `POST /w/{ws}/imports/{id}/submit`.
pub async fn submit(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path((ws_name, id)): Path<(String, String)>,
    Form(form): Form<TokenForm>,
) -> Result<Response, UiError> {
    check_csrf(&visitor, &form.csrf)?;
    let (ws, i) = (ws_name.clone(), id.clone());
    blocking(move || submit_import(&ctx, &visitor.caller(), &ws, &i, None).map(|_| ())).await?;
    Ok(Redirect::to(&import_path(&ws_name, &id)).into_response())
}

/// How a column was matched, in words.
fn how(how: &str) -> &str {
    match how {
        "exact" => "Same name",
        "normalised" => "Same name, written differently",
        "alias" => "Known other name",
        "fuzzy" => "Similar name",
        "manual" => "Chosen by hand",
        "unmatched" => "No match",
        other => other,
    }
}

/// The mapping as a form: each column, its first values, the field it feeds, how it was
/// matched; then what is missing.
pub fn mapping_form(
    ws_name: &str,
    id: &str,
    csrf: &str,
    ws: &Workspace,
    rt_name: &str,
    mv: &MappingView,
) -> Markup {
    let fields = ws
        .schema
        .record_type(rt_name)
        .map(|t| t.fields.as_slice())
        .unwrap_or_default();
    html! {
        form method="post" action={(import_path(ws_name, id)) "/mapping"} {
            input type="hidden" name="csrf" value=(csrf);
            (super::layout::scroll("Columns of the file", html! {
                table {
                    caption.visually-hidden { "Columns of the file and the fields they feed" }
                    thead { tr {
                        th scope="col" { "Column in the file" }
                        th scope="col" { "First values" }
                        th scope="col" { "Field" }
                        th scope="col" { "Matched" }
                    } }
                    tbody { @for c in &mv.columns { tr {
                        th scope="row" #{"col-" (c.index)} { (c.header) }
                        td { @for s in c.samples.iter().take(3) { span.sample { (s) } " " } }
                        td {
                            @if c.target == "field" || c.target == "ignored" {
                                input type="hidden" name={"h" (c.index)} value=(c.header);
                                select name={"f" (c.index)} aria-labelledby={"col-" (c.index)} {
                                    option value="" selected[c.field.is_none()] { "Leave out" }
                                    @for f in fields {
                                        option value=(f.name.as_str()) selected[c.field.as_deref() == Some(f.name.as_str())] {
                                            (f.label) @if f.required { " (required)" }
                                        }
                                    }
                                }
                            } @else {
                                (c.target.replace('_', " "))
                            }
                        }
                        td { (how(&c.how)) @if c.confidence > 0.0 && c.confidence < 1.0 { " (" (format!("{:.0}", c.confidence * 100.0)) "% sure)" } }
                    } } }
                }
            }))
            @if !mv.problems.is_empty() {
                div.callout.bad role="status" {
                    p { strong { "Before this file can be imported:" } }
                    ul { @for p in &mv.problems { li { (super::layout::prose(&p.message)) } } }
                }
            }
            button type="submit" { "Save the mapping" }
        }
    }
}

/// One form per column whose values match no option: each value to an option, or create it.
pub fn values_forms(
    ws_name: &str,
    id: &str,
    csrf: &str,
    ws: &Workspace,
    rt_name: &str,
    unknown: &[UnknownValuesView],
    input: &MappingInput,
) -> Markup {
    let rt = ws.schema.record_type(rt_name);
    html! {
        @for (k, u) in unknown.iter().enumerate() {
            @let options = rt
                .and_then(|t| t.fields.iter().find(|f| f.name.as_str() == u.field))
                .and_then(|f| f.field_type.list())
                .and_then(|l| ws.schema.list(l))
                .map(|l| l.options.as_slice())
                .unwrap_or_default();
            @let chosen = input.values.get(&u.column);
            form method="post" action={(import_path(ws_name, id)) "/values"} {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="column" value=(u.column);
                fieldset {
                    legend { "Values of " q { (u.column) } " that match no option" }
                    @for (n, x) in u.values.iter().enumerate() {
                        @let now = chosen.and_then(|c| c.get(&x.value));
                        div.pair {
                            input type="hidden" name={"v" (n)} value=(x.value);
                            label for={"val-" (k) "-" (n)} { q { (x.value) } " (" (x.rows) @if x.rows == 1 { " row" } @else { " rows" } ")" }
                            select #{"val-" (k) "-" (n)} name={"o" (n)} {
                                option value="" { "Decide later" }
                                @for o in options {
                                    option value=(o.code) selected[now == Some(&ValueChoice::Option(o.code.clone()))] { (o.label) }
                                }
                                option value=(CREATE) selected[now == Some(&ValueChoice::Create)] { "Create it as a new option" }
                            }
                        }
                    }
                    button type="submit" { "Save these values" }
                }
            }
        }
    }
}
