//! The import's steps as forms: a new import (record type and file, streamed to storage like
//! the API's upload, then validated), the mapping, values that match no option, options,
//! validation, submission, approval, cancelling and reverting. Each POST checks the session's
//! CSRF token, then calls the same functions as the API's handlers. A step that went through
//! redirects to the import's page, which says what was done; a refused one shows the page
//! again with the reason (and the options as chosen), with the API's status.

use axum::Form;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use intake_core::mapping::ValueChoice;
use maud::{Markup, html};

use super::imports::{Notice, ShowQuery, import_page};
use super::layout::{Frame, Section, frame, ws_path};
use super::{UiError, Visitor, page, render};
use crate::api::imports::{
    FileFacts, MappingView, NewImport, approve_import, cancel_import, create_import, load,
    mapping_of, revert_import, run_validation, save_mapping, set_options, store_upload,
    submit_import, view,
};
use crate::api::{ApiError, Caller, Ctx, access, blocking};
use crate::auth::same;
use crate::control::Role;
use crate::model::{
    ImportOptions, MappingInput, ModeOption, OnErrorOption, Status, UnknownValuesView,
};
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
                form.stacked.narrow-form method="post" action={(ws_path(&ws_name)) "/imports/new"} enctype="multipart/form-data" {
                    input type="hidden" name="csrf" value=(visitor.csrf);
                    label for="record_type" { "Record type" }
                    select #record_type name="record_type" required aria-describedby="record_type-help" {
                        @for t in &ws.schema.types { option value=(t.name) { (t.label) } }
                    }
                    p.help #record_type-help {
                        "Which columns each type takes is on its page under "
                        a href=(ws_path(&ws_name)) { "Record types" } ", with templates to start from."
                    }
                    label for="file" { "File" }
                    input.dropzone #file type="file" name="file" required aria-describedby="file-help"
                        accept=".csv,.txt,.tsv,.xlsx,.xls,.ods";
                    p.help #file-help { "Drop the file on the box, or choose it. CSV, Excel (XLSX, XLS) or OpenDocument (ODS), at most " (size(mb)) ". The first row holds the column names; the encoding, the delimiter and the sheet are found out for you." }
                    p.help { "Nothing is written yet: the next page shows how the columns match the fields and every problem, before you import." }
                    button type="submit" { "Upload and match columns" }
                }
            },
        ))
    })
    .await
}

/// A size in megabytes as a reader wants it: `100 MB`, `1 GB`, `1.5 GB`.
fn size(mb: u64) -> String {
    if mb >= 1024 {
        let gb = mb as f64 / 1024.0;
        if gb.fract() == 0.0 {
            format!("{gb:.0} GB")
        } else {
            format!("{gb:.1} GB")
        }
    } else {
        format!("{mb} MB")
    }
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
    let created = blocking(move || {
        let caller = visitor.caller();
        let created = create_import(&app, &caller, &ws, &req, None)?;
        // A file whose columns all found their fields is validated at once, so its problems
        // show with the mapping; one that needs the mapping first waits for it.
        if created.status == Status::Ready {
            run_validation(&app, &caller, &ws, &created.id)?;
        }
        Ok(created)
    })
    .await?;
    Ok(Redirect::to(&import_path(&ws_name, &created.id)).into_response())
}

/// Why a step was refused: the error, and the options as chosen when they were the cause.
struct Refused {
    error: ApiError,
    tried: Option<Box<ImportOptions>>,
}

impl From<ApiError> for Refused {
    fn from(error: ApiError) -> Self {
        Refused { error, tried: None }
    }
}

/// What a step answers: what was done (a `?done=` key of the import page), or why not.
type Outcome = Result<&'static str, Refused>;

/// One step of an import's page: checks the form's CSRF token, runs `run` off the async
/// threads with the caller, the workspace and the import, then shows the outcome: the
/// import's page saying what was done (at `anchor`), or, when the step was refused, the page
/// again with the reason (and the options as chosen), with the API's status.
async fn step(
    ctx: Ctx,
    visitor: Visitor,
    (ws_name, id): (String, String),
    token: &str,
    anchor: &str,
    run: impl FnOnce(&Ctx, &Caller, &str, &str) -> Outcome + Send + 'static,
) -> Result<Response, UiError> {
    check_csrf(&visitor, token)?;
    let (c, caller, ws, i) = (ctx.clone(), visitor.caller(), ws_name.clone(), id.clone());
    let outcome = blocking(move || Ok(run(&c, &caller, &ws, &i)))
        .await
        .unwrap_or_else(|e| Err(e.into()));
    match outcome {
        Ok(done) => Ok(Redirect::to(&format!(
            "{}?done={done}#{anchor}",
            import_path(&ws_name, &id)
        ))
        .into_response()),
        Err(Refused { error, tried }) => {
            let (status, message) = (error.status(), error.message().to_string());
            let markup = blocking(move || {
                import_page(
                    &ctx,
                    &visitor,
                    &ws_name,
                    &id,
                    &ShowQuery::default(),
                    Some(Notice::Refused(message)),
                    tried.as_deref(),
                )
            })
            .await?;
            Ok(page(status, markup))
        }
    }
}

/// `POST /w/{ws}/imports/{id}/mapping`: `csrf`, then per column `h{i}` (header) and `f{i}`
/// (field, empty to leave it out). Only changed columns become corrections.
pub async fn mapping(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path(ids): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, UiError> {
    let token = value(&pairs, "csrf").unwrap_or_default().to_string();
    step(
        ctx,
        visitor,
        ids,
        &token,
        "main",
        move |ctx, caller, ws, i| {
            let now = mapping_of(&ctx.app, caller, ws, i)?;
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
            let mv = save_mapping(&ctx.app, caller, ws, i, &input)?;
            Ok(check_again(
                &ctx.app,
                caller,
                ws,
                i,
                mv.complete,
                "mapping",
            )?)
        },
    )
    .await
}

/// `POST /w/{ws}/imports/{id}/values`: `csrf`, `column`, then per value `v{i}` (as written)
/// and `o{i}` (an option's code, `*create`, or empty to leave it for later).
pub async fn values(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path(ids): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, UiError> {
    let token = value(&pairs, "csrf").unwrap_or_default().to_string();
    step(
        ctx,
        visitor,
        ids,
        &token,
        "main",
        move |ctx, caller, ws, i| {
            let column = value(&pairs, "column").unwrap_or_default().to_string();
            let mut input = mapping_of(&ctx.app, caller, ws, i)?.mapping;
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
            let mv = save_mapping(&ctx.app, caller, ws, i, &input)?;
            Ok(check_again(&ctx.app, caller, ws, i, mv.complete, "values")?)
        },
    )
    .await
}

/// After a change to the mapping, values or options: the file is checked again at once when
/// the mapping is complete (as after the upload), so the page shows what the change did.
/// Answers what to say: `step` alone, or `step_checked`.
fn check_again(
    app: &crate::state::App,
    caller: &Caller,
    ws: &str,
    id: &str,
    complete: bool,
    step: &'static str,
) -> Result<&'static str, ApiError> {
    if !complete {
        return Ok(step);
    }
    run_validation(app, caller, ws, id)?;
    Ok(match step {
        "mapping" => "mapping_checked",
        "values" => "values_checked",
        _ => "options_checked",
    })
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
    Path(ids): Path<(String, String)>,
    Form(form): Form<TokenForm>,
) -> Result<Response, UiError> {
    step(
        ctx,
        visitor,
        ids,
        &form.csrf,
        "validation-h",
        |ctx, caller, ws, i| {
            run_validation(&ctx.app, caller, ws, i)?;
            Ok("validated")
        },
    )
    .await
}

/// `POST /w/{ws}/imports/{id}/submit`.
pub async fn submit(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path(ids): Path<(String, String)>,
    Form(form): Form<TokenForm>,
) -> Result<Response, UiError> {
    step(
        ctx,
        visitor,
        ids,
        &form.csrf,
        "main",
        |ctx, caller, ws, i| {
            Ok(match submit_import(ctx, caller, ws, i, None)?.status {
                Status::WaitingForApproval => "submitted_waiting",
                _ => "submitted",
            })
        },
    )
    .await
}

/// `POST /w/{ws}/imports/{id}/approve` (managers).
pub async fn approve(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path(ids): Path<(String, String)>,
    Form(form): Form<TokenForm>,
) -> Result<Response, UiError> {
    step(
        ctx,
        visitor,
        ids,
        &form.csrf,
        "main",
        |ctx, caller, ws, i| {
            approve_import(ctx, caller, ws, i)?;
            Ok("approved")
        },
    )
    .await
}

/// `POST /w/{ws}/imports/{id}/cancel` (its uploader or a manager).
pub async fn cancel(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path(ids): Path<(String, String)>,
    Form(form): Form<TokenForm>,
) -> Result<Response, UiError> {
    step(
        ctx,
        visitor,
        ids,
        &form.csrf,
        "main",
        |ctx, caller, ws, i| {
            Ok(match cancel_import(&ctx.app, caller, ws, i)?.status {
                Status::Cancelled => "cancelled",
                _ => "cancel_asked",
            })
        },
    )
    .await
}

/// `GET /w/{ws}/imports/{id}/revert` (managers): what reverting will do, and the button.
pub async fn revert_page(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path((ws_name, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    render(move || {
        let app = &ctx.app;
        access(app, &visitor.caller(), &ws_name, Role::Manager)?;
        let i = view(app, &load(app, &ws_name, &id)?);
        let here = import_path(&ws_name, &id);
        let title = format!("Revert {}?", i.file_name);
        let f = Frame {
            title: &title,
            visitor: &visitor,
            workspace: Some(&ws_name),
            section: Some(Section::Imports),
        };
        let c = i.counts.unwrap_or_default();
        let n = intake_core::report::thousands;
        Ok(frame(
            &f,
            html! {
                nav.crumbs aria-label="Breadcrumb" {
                    a href={(ws_path(&ws_name)) "/imports"} { "Imports" } " / "
                    a href=(here) { (i.file_name) } " / " span aria-current="page" { "Revert" }
                }
                h1 { "Revert " q { (i.file_name) } "?" }
                @if i.status != Status::Completed {
                    p { "Only a completed import can be reverted; this one is not." }
                    p { a href=(here) { "Back to the import" } }
                } @else {
                    p.lead { "Reverting puts the records back as they were before this import ran:" }
                    ul {
                        li { "the " strong { (n(c.created)) } " records it created are removed;" }
                        li { "the " strong { (n(c.updated)) } " records it updated get their earlier values back;" }
                        li { "the " strong { (n(c.deleted + c.deactivated)) } " records it deleted or deactivated come back." }
                    }
                    p { "If a later import changed any of the same records, nothing is reverted and the page says how many; revert the later import first." }
                    div.actions {
                        form method="post" action={(here) "/revert"} {
                            input type="hidden" name="csrf" value=(visitor.csrf);
                            button.danger type="submit" { "Revert the import" }
                        }
                        a.button.secondary href=(here) { "Keep it" }
                    }
                }
            },
        ))
    })
    .await
}

/// `POST /w/{ws}/imports/{id}/revert` (managers).
pub async fn revert(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path(ids): Path<(String, String)>,
    Form(form): Form<TokenForm>,
) -> Result<Response, UiError> {
    step(
        ctx,
        visitor,
        ids,
        &form.csrf,
        "main",
        |ctx, caller, ws, i| {
            revert_import(&ctx.app, caller, ws, i)?;
            Ok("reverted")
        },
    )
    .await
}

/// The options a form asks for, over the import's current ones (which keep what the form
/// does not show). Checkboxes are sent only when ticked.
fn options_from(now: &ImportOptions, pairs: &Pairs) -> ImportOptions {
    let text = |name: &str| {
        value(pairs, name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let ticked = |name: &str| value(pairs, name).is_some();
    ImportOptions {
        mode: match value(pairs, "mode") {
            Some("create") => ModeOption::Create,
            Some("update") => ModeOption::Update,
            _ => ModeOption::Upsert,
        },
        on_error: Some(match value(pairs, "on_error") {
            Some("skip") => OnErrorOption::Skip,
            _ => OnErrorOption::Abort,
        }),
        match_on: text("match_on")
            .map(|m| m.split(',').map(|f| f.trim().to_string()).collect())
            .unwrap_or_default(),
        clear_empty: ticked("clear_empty"),
        ignore_required: ticked("ignore_required"),
        create_missing_options: ticked("create_missing_options"),
        force: ticked("force"),
        mute_notifications: ticked("mute_notifications"),
        sheet: if value(pairs, "sheet").is_some() {
            text("sheet")
        } else {
            now.sheet.clone()
        },
        delimiter: if value(pairs, "delimiter").is_some() {
            text("delimiter")
        } else {
            now.delimiter.clone()
        },
        encoding: if value(pairs, "encoding").is_some() {
            text("encoding")
        } else {
            now.encoding.clone()
        },
        decimal_separator: text("decimal_separator"),
        date_format: text("date_format"),
        thousands_separator: now.thousands_separator.clone(),
    }
}

/// `POST /w/{ws}/imports/{id}/options`: the options form.
pub async fn options(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path(ids): Path<(String, String)>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, UiError> {
    let token = value(&pairs, "csrf").unwrap_or_default().to_string();
    step(
        ctx,
        visitor,
        ids,
        &token,
        "main",
        move |ctx, caller, ws, i| {
            let now = view(&ctx.app, &load(&ctx.app, ws, i)?).options;
            let chosen = options_from(&now, &pairs);
            let set =
                set_options(&ctx.app, caller, ws, i, chosen.clone()).map_err(|error| Refused {
                    error,
                    tried: Some(Box::new(chosen)),
                })?;
            let complete = set.status == Status::Ready;
            Ok(check_again(&ctx.app, caller, ws, i, complete, "options")?)
        },
    )
    .await
}

/// Encodings offered besides detection: the usual ones of spreadsheets saved as text.
const ENCODINGS: &[(&str, &str)] = &[
    ("utf-8", "UTF-8"),
    ("windows-1252", "Windows-1252 (Western European, old Excel)"),
    ("iso-8859-1", "ISO-8859-1 (Latin-1)"),
    ("iso-8859-15", "ISO-8859-15 (Latin-9)"),
    ("windows-1250", "Windows-1250 (Central European)"),
    ("windows-1251", "Windows-1251 (Cyrillic)"),
    ("utf-16le", "UTF-16 LE"),
    ("utf-16be", "UTF-16 BE"),
    ("shift_jis", "Shift JIS (Japanese)"),
    ("gb18030", "GB18030 (Chinese)"),
];

/// A radio button with its label and what it does.
fn choice(name: &str, value: &str, checked: bool, label: &str, help: &str) -> Markup {
    let id = format!("opt-{name}-{value}");
    html! {
        div.choice {
            input type="radio" name=(name) value=(value) id=(id) checked[checked] aria-describedby={(id) "-help"};
            label for=(id) { (label) }
            p.help id={(id) "-help"} { (help) }
        }
    }
}

/// A checkbox with its label and what it does.
fn tick(name: &str, checked: bool, label: &str, help: &str) -> Markup {
    let id = format!("opt-{name}");
    html! {
        div.choice {
            input type="checkbox" name=(name) value="on" id=(id) checked[checked] aria-describedby={(id) "-help"};
            label for=(id) { (label) }
            p.help id={(id) "-help"} { (help) }
        }
    }
}

/// The options as a form, each with what it does in plain words.
pub fn options_form(
    ws_name: &str,
    id: &str,
    csrf: &str,
    ws: &Workspace,
    rt_name: &str,
    o: &ImportOptions,
    file: &FileFacts,
) -> Markup {
    let rt = ws.schema.record_type(rt_name);
    let keys: Vec<(String, String)> = rt
        .map(|t| {
            t.fields
                .iter()
                .filter(|f| f.unique != intake_core::schema::Unique::No)
                .map(|f| (f.name.to_string(), f.label.clone()))
                .collect()
        })
        .unwrap_or_default();
    let match_now = o.match_on.join(", ");
    let abort = o.on_error.unwrap_or_default() == OnErrorOption::Abort;
    let clear = &ws.schema.locale.clear_token;
    let uuid_label = rt.map_or_else(|| "UUID".to_string(), |t| format!("{} UUID", t.label));
    html! {
        form.options method="post" action={(import_path(ws_name, id)) "/options"} {
            input type="hidden" name="csrf" value=(csrf);
            fieldset {
                legend { "What the rows do" }
                (choice("mode", "upsert", o.mode == ModeOption::Upsert, "Create and update",
                    "A row whose record is found updates it; any other row creates a new record."))
                (choice("mode", "create", o.mode == ModeOption::Create, "Create only",
                    "Every row creates a new record; a row whose record already exists is a problem."))
                (choice("mode", "update", o.mode == ModeOption::Update, "Update only",
                    "Every row updates an existing record; a row whose record is not found is a problem. Required fields may then be left out of the file."))
            }
            fieldset {
                legend { "Rows with problems" }
                (choice("on_error", "abort", abort, "All or nothing",
                    "If any row has a problem, nothing is written, and every problem is listed. The safe choice."))
                (choice("on_error", "skip", !abort, "Partial",
                    "Rows without problems are written; rows with problems are left out and come back in the response file, each with its message, to fix and import again."))
            }
            fieldset {
                legend { "Finding existing records" }
                label for="opt-match_on" { "Match rows to records by" }
                select #opt-match_on name="match_on" aria-describedby="opt-match_on-help" {
                    option value="" selected[o.match_on.is_empty()] { "The " (uuid_label) " column" }
                    @for (name, label) in &keys {
                        option value=(name) selected[match_now == *name] { (label) }
                    }
                    @if !o.match_on.is_empty() && !keys.iter().any(|(n, _)| *n == match_now) {
                        option value=(match_now) selected { (match_now) }
                    }
                }
                p.help #opt-match_on-help { "By UUID: a row with a UUID updates that record, a row without one creates a record. By a unique field (a natural key such as an e-mail address): a row whose value is found updates that record." }
            }
            fieldset {
                legend { "Cells" }
                (tick("clear_empty", o.clear_empty, "Empty cells clear values",
                    &format!("Off: an empty cell leaves the stored value as it is. On: an empty cell clears it. Either way, a cell holding {clear} clears its value.")))
                (tick("ignore_required", o.ignore_required, "Allow empty required fields",
                    "New records may be created with required fields empty. A filled cell is always checked."))
                (tick("create_missing_options", o.create_missing_options, "Create unknown values as options",
                    "A value that matches no option of a list field is added to the list, instead of being a problem."))
                (tick("force", o.force, "Overwrite changes made since an export",
                    "For a file exported as an update sheet: write your values even where the record changed after the export. Off, such rows are conflicts, listed as problems."))
            }
            fieldset {
                legend { "Reading the file" }
                @if file.format == "csv" {
                    label for="opt-encoding" { "Encoding" }
                    select #opt-encoding name="encoding" {
                        option value="" selected[o.encoding.is_none()] { "Detect it" }
                        @for (v, l) in ENCODINGS {
                            option value=(v) selected[o.encoding.as_deref() == Some(*v)] { (l) }
                        }
                    }
                    label for="opt-delimiter" { "Delimiter" }
                    select #opt-delimiter name="delimiter" {
                        option value="" selected[o.delimiter.is_none()] { "Detect it" }
                        @for (v, l) in [(",", "Comma ,"), (";", "Semicolon ;"), ("tab", "Tab"), ("|", "Pipe |")] {
                            option value=(v) selected[o.delimiter.as_deref() == Some(v)] { (l) }
                        }
                    }
                } @else if !file.sheets.is_empty() {
                    label for="opt-sheet" { "Sheet" }
                    select #opt-sheet name="sheet" {
                        option value="" selected[o.sheet.is_none()] { "The first visible sheet" }
                        @for name in &file.sheets {
                            option value=(name) selected[o.sheet.as_deref() == Some(name.as_str())] { (name) }
                        }
                    }
                }
                label for="opt-date_format" { "Dates are written as" }
                input #opt-date_format type="text" name="date_format" value=(o.date_format.as_deref().unwrap_or(""))
                    placeholder="e.g. DD/MM/YYYY" aria-describedby="opt-date_format-help";
                p.help #opt-date_format-help { "Leave empty for the workspace's formats. A pattern such as DD/MM/YYYY or MM/DD/YYYY settles dates like 03/04/2025, which could be either." }
                label for="opt-decimal_separator" { "Decimal separator" }
                select #opt-decimal_separator name="decimal_separator" {
                    option value="" selected[o.decimal_separator.is_none()] { "The workspace's (" (ws.schema.locale.decimal_separator) ")" }
                    option value="." selected[o.decimal_separator.as_deref() == Some(".")] { "Point: 1234.50" }
                    option value="," selected[o.decimal_separator.as_deref() == Some(",")] { "Comma: 1234,50" }
                }
            }
            fieldset {
                legend { "When it ends" }
                (tick("mute_notifications", o.mute_notifications, "No notification",
                    "Send no e-mail or webhook when this import ends."))
            }
            button type="submit" { "Save the options" }
        }
    }
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

/// A column that feeds a linked record (`account.name`), in words: "Account: Account Name",
/// and what the import does with it.
fn inline_label(ws: &Workspace, rt_name: &str, field: &str) -> Markup {
    let (link, target_field) = field.split_once('.').unwrap_or((field, ""));
    let target = ws
        .schema
        .record_type(rt_name)
        .and_then(|t| t.field(link))
        .and_then(|f| match &f.field_type {
            intake_core::schema::FieldType::Link(l) => ws.schema.record_type(&l.target),
            _ => None,
        });
    match target {
        Some(t) => {
            let label = t
                .field(target_field)
                .map_or(target_field, |f| f.label.as_str());
            let key = t
                .natural_keys
                .first()
                .is_some_and(|k| k.iter().any(|n| n.as_str() == target_field));
            let what = t.label.to_lowercase();
            html! {
                (t.label) ": " strong { (label) }
                div.sub {
                    @if key { "Finds the " (what) " by it, or creates it" }
                    @else { "Used when a new " (what) " is created" }
                }
            }
        }
        None => html! { (field) },
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
                        td { @for s in c.samples.iter().take(3) {
                            @if s.trim().is_empty() { span.sample.blank { "empty" } } @else { span.sample { (s) } }
                            " "
                        } }
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
                            } @else if c.target == "inline" {
                                (inline_label(ws, rt_name, c.field.as_deref().unwrap_or_default()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_limits_read_in_the_unit_that_suits_them() {
        assert_eq!(size(100), "100 MB");
        assert_eq!(size(1024), "1 GB");
        assert_eq!(size(1536), "1.5 GB");
    }

    #[test]
    fn the_options_form_reads_ticks_and_keeps_what_it_does_not_show() {
        let now = ImportOptions {
            thousands_separator: Some("space".into()),
            sheet: Some("Data".into()),
            ..ImportOptions::default()
        };
        let pairs: Pairs = [
            ("mode", "update"),
            ("on_error", "skip"),
            ("match_on", "email"),
            ("clear_empty", "on"),
            ("date_format", " DD/MM/YYYY "),
            ("decimal_separator", ""),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
        let o = options_from(&now, &pairs);
        assert_eq!(o.mode, ModeOption::Update);
        assert_eq!(o.on_error, Some(OnErrorOption::Skip));
        assert_eq!(o.match_on, vec!["email".to_string()]);
        assert!(o.clear_empty && !o.ignore_required && !o.create_missing_options);
        assert_eq!(o.date_format.as_deref(), Some("DD/MM/YYYY"));
        assert_eq!(o.decimal_separator, None);
        // Not in the form: kept as they were.
        assert_eq!(o.sheet.as_deref(), Some("Data"));
        assert_eq!(o.thousands_separator.as_deref(), Some("space"));
        // An unknown mode is the default, never an error.
        let odd: Pairs = vec![("mode".into(), "sideways".into())];
        assert_eq!(options_from(&now, &odd).mode, ModeOption::Upsert);
    }
}
