//! The imports of a workspace, and one import's page: where it stands, the file, its
//! mapping and options (while they can change), validation and problems, approval, progress,
//! what it did, revert, downloads and the audit trail. The forms post to `steps.rs`.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use intake_core::report::{ProblemCode, thousands};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Frame, Section, badge, frame, scroll, seg, status_words, when, ws_path};
use super::{UiError, Visitor, render};
use crate::api::imports::{ImportView, ProblemQuery, load, mapping_of, problem_page, view};
use crate::api::{ApiError, Ctx, access};
use crate::control::Role;
use crate::model::{CountsView, ImportOptions, ModeOption, OnErrorOption, Status};

/// Imports on one page of the list.
const PAGE: i64 = 50;

/// Problems on one page of an import.
const PROBLEMS: u32 = 100;

/// The problem table's filters and page, and what was just done (`done`).
#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    column: Option<String>,
    code: Option<String>,
    page: Option<u32>,
    done: Option<String>,
}

/// What the import page says at its top.
#[derive(Debug)]
pub enum Notice {
    /// A step went through: what it did.
    Done(&'static str),
    /// A form was refused: why, in the API's words.
    Refused(String),
}

/// The message for `?done=KEY` after a form went through (fixed texts: nothing from the URL
/// reaches the page).
pub fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "mapping" => "The mapping is saved. It is not complete yet: see what is missing below.",
        "mapping_checked" => {
            "The mapping is saved and the file checked again: the results are below."
        }
        "values" => "The values are saved.",
        "values_checked" => {
            "The values are saved and the file checked again: the results are below."
        }
        "options" => "The options are saved. The mapping is not complete yet: see what is missing.",
        "options_checked" => {
            "The options are saved and the file checked again: the results are below."
        }
        "validated" => "Validated. The results are below.",
        "submitted" => "Submitted: it starts as soon as a worker is free.",
        "submitted_waiting" => {
            "Submitted: it waits for a manager's approval, and runs once approved."
        }
        "approved" => "Approved: the import is queued and starts as soon as a worker is free.",
        "cancelled" => "Cancelled.",
        "cancel_asked" => {
            "Asked to stop: the run stops after its current batch and writes nothing."
        }
        "reverted" => "Reverted: the records are as they were before this import.",
        _ => return None,
    })
}

/// A value for a URL's query.
fn query(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// A problem code in words (the code itself stays in the filter's value and the report).
pub fn code_words(code: &str) -> String {
    match ProblemCode::from_name(code) {
        Some(c) => {
            let s = c.summary();
            let mut ch = s.chars();
            ch.next()
                .map(|h| h.to_uppercase().chain(ch).collect())
                .unwrap_or_default()
        }
        None => code.replace('_', " "),
    }
}

/// The imports list's status filter and page.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    page: Option<u32>,
}

/// Every status, in the order of an import's life, for the list's filter.
const STATUSES: [Status; 9] = [
    Status::Incomplete,
    Status::Ready,
    Status::WaitingForApproval,
    Status::Queued,
    Status::InProgress,
    Status::Completed,
    Status::Failed,
    Status::Cancelled,
    Status::Reverted,
];

fn import_path(ws: &str, id: &str) -> String {
    format!("{}/imports/{}", ws_path(ws), seg(id))
}

fn count(n: Option<u64>) -> Markup {
    html! { @match n { Some(n) => (n), None => span.none aria-label="none" { "–" } } }
}

/// `GET /w/{ws}/imports`: newest first, 50 a page.
pub async fn list(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path(ws_name): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    render(move || {
        let app = &ctx.app;
        let (_, role) = access(app, &visitor.caller(), &ws_name, Role::Viewer)?;
        let page = i64::from(q.page.unwrap_or(1).max(1));
        // An unknown status shows every import, as an empty one does.
        let status = q.status.as_deref().and_then(Status::parse);
        let (rows, total) =
            app.control
                .imports(&ws_name, status.map(Status::as_str), PAGE, (page - 1) * PAGE)?;
        let waiting = if role >= Role::Manager && status != Some(Status::WaitingForApproval) {
            app.control
                .imports(&ws_name, Some(Status::WaitingForApproval.as_str()), 1, 0)?
                .1
        } else {
            0
        };
        let keep = status.map_or_else(String::new, |s| format!("&status={}", s.as_str()));
        let imports: Vec<ImportView> = rows.iter().map(|r| view(app, r)).collect();
        let ws = app.workspace(&ws_name)?;
        let label = |ty: &str| {
            ws.as_ref()
                .and_then(|w| w.schema.record_type(ty))
                .map_or_else(|| ty.to_string(), |t| t.label.clone())
        };
        let f = Frame {
            title: &format!("Imports of {ws_name}"),
            visitor: &visitor,
            workspace: Some(&ws_name),
            section: Some(Section::Imports),
        };
        let base = format!("{}/imports", ws_path(&ws_name));
        Ok(frame(
            &f,
            html! {
                h1 { "Imports" }
                @if visitor.workspaces.iter().any(|(w, r)| w == &ws_name && *r >= Role::Importer) {
                    p { a.button href={(base) "/new"} { "New import" } }
                }
                @if waiting > 0 {
                    div.callout.warn role="status" { p {
                        a href={(base) "?status=waiting_for_approval"} {
                            (waiting) @if waiting == 1 { " import waits" } @else { " imports wait" } " for a manager's approval"
                        } "."
                    } }
                }
                form.filters method="get" action=(base) {
                    label for="status-filter" { "Status" }
                    select #status-filter name="status" {
                        option value="" { "Every status" }
                        @for st in STATUSES {
                            option value=(st.as_str()) selected[status == Some(st)] { (status_words(st)) }
                        }
                    }
                    button.secondary type="submit" { "Show" }
                }
                @if imports.is_empty() {
                    p.empty {
                        @if status.is_some() { "No import has this status." } @else { "No imports in this workspace yet." }
                    }
                } @else {
                    p { (total) @if total == 1 { " import" } @else { " imports" } ", newest first." }
                    (scroll("Imports", html! {
                        table {
                            thead { tr {
                                th scope="col" { "File" }
                                th scope="col" { "Status" }
                                th scope="col" { "When" }
                                th scope="col" class="num" { "Rows" }
                                th scope="col" class="num" { "Created" }
                                th scope="col" class="num" { "Updated" }
                                th scope="col" class="num" { "Problems" }
                            } }
                            tbody {
                                @for i in &imports {
                                    tr {
                                        th scope="row" {
                                            a href=(import_path(&ws_name, &i.id)) { (i.file_name) }
                                            div.sub { (label(&i.record_type)) }
                                        }
                                        td { (badge(i.status)) }
                                        td {
                                            (when(&i.created_at))
                                            @if let Some(by) = &i.created_by { div.sub { "by " (by) } }
                                        }
                                        td.num { (count(i.counts.as_ref().map(|c| c.rows).or(i.progress.rows_total))) }
                                        td.num { (count(i.counts.as_ref().map(|c| c.created))) }
                                        td.num { (count(i.counts.as_ref().map(|c| c.updated))) }
                                        td.num { (count(i.validation.as_ref().map(|v| v.problems))) }
                                    }
                                }
                            }
                        }
                    }))
                    nav.pager aria-label="Pages" {
                        @if page > 1 { a href={(base) "?page=" (page - 1) (keep)} { "Newer imports" } }
                        @if page * PAGE < total { a href={(base) "?page=" (page + 1) (keep)} { "Older imports" } }
                    }
                }
            },
        ))
    })
    .await
}

/// What each downloadable file is.
fn file_label(name: &str) -> &'static str {
    match name {
        "report" => "Validation report: every problem, one per line (JSON lines)",
        "response" => "Response file: your rows, each with what happened to it",
        "success" => "Success file: the rows written, with their record ids",
        _ => "File",
    }
}

/// The counts that say something: rows read always, the others when not zero.
fn counts_table(c: &CountsView) -> Markup {
    let cells = [
        ("Rows read", c.rows),
        ("Created", c.created),
        ("Updated", c.updated),
        ("Unchanged", c.unchanged),
        ("Deleted", c.deleted),
        ("Deactivated", c.deactivated),
        ("Skipped", c.skipped),
        ("Rows with problems", c.failed),
    ];
    html! {
        dl.counts {
            @for (i, (k, v)) in cells.into_iter().enumerate() {
                @if i == 0 || v > 0 { div { dt { (k) } dd { (thousands(v)) } } }
            }
        }
    }
}

/// `GET /w/{ws}/imports/{id}`.
pub async fn show(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path((ws_name, id)): Path<(String, String)>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, UiError> {
    render(move || {
        let notice = q.done.as_deref().and_then(done_message).map(Notice::Done);
        import_page(&ctx, &visitor, &ws_name, &id, &q, notice, None)
    })
    .await
}

/// The options in words, one phrase each, for the summary above the options form.
fn options_summary(o: &ImportOptions) -> Vec<String> {
    let mut out = vec![
        match o.mode {
            ModeOption::Upsert => "Create and update",
            ModeOption::Create => "Create only",
            ModeOption::Update => "Update only",
        }
        .to_string(),
        match o.on_error.unwrap_or_default() {
            OnErrorOption::Abort => "all or nothing",
            OnErrorOption::Skip => "partial: rows with problems are left out",
        }
        .to_string(),
    ];
    out.push(if o.match_on.is_empty() {
        "rows matched by UUID".to_string()
    } else {
        format!("rows matched by {}", o.match_on.join(" + "))
    });
    out.push(
        if o.clear_empty {
            "empty cells clear values"
        } else {
            "empty cells keep values"
        }
        .to_string(),
    );
    if o.ignore_required {
        out.push("required fields may stay empty".into());
    }
    if o.create_missing_options {
        out.push("unknown values become new options".into());
    }
    if o.force {
        out.push("changes since the export are overwritten".into());
    }
    out
}

/// An import's whole page; `notice` says what was just done or why a form was refused, and
/// `tried` re-shows options that were refused as the user chose them.
pub fn import_page(
    ctx: &Ctx,
    visitor: &Visitor,
    ws_name: &str,
    id: &str,
    q: &ShowQuery,
    notice: Option<Notice>,
    tried: Option<&ImportOptions>,
) -> Result<Markup, ApiError> {
    let app = &ctx.app;
    let (ws, role) = access(app, &visitor.caller(), ws_name, Role::Viewer)?;
    let i = view(app, &load(app, ws_name, id)?);
    let mine = i.created_by.as_deref() == Some(visitor.user.username.as_str());
    let editable = role >= Role::Importer
        && matches!(
            i.status,
            Status::Incomplete | Status::Ready | Status::Failed | Status::Cancelled
        );
    let mv = if editable {
        Some(mapping_of(app, &visitor.caller(), ws_name, id)?)
    } else {
        None
    };
    let page = q.page.unwrap_or(1).max(1);
    let problems = match &i.validation {
        Some(v) if v.problems > 0 => Some(problem_page(
            app,
            &visitor.caller(),
            ws_name,
            id,
            &ProblemQuery {
                column: q.column.clone().filter(|c| !c.is_empty()),
                code: q.code.clone().filter(|c| !c.is_empty()),
                limit: Some(PROBLEMS),
                offset: Some(u64::from(page - 1) * u64::from(PROBLEMS)),
            },
        )?),
        _ => None,
    };
    let here = import_path(ws_name, id);
    let type_label = ws
        .schema
        .record_type(&i.record_type)
        .map_or_else(|| i.record_type.clone(), |t| t.label.clone());
    let audit = app.control.audit_trail(id)?;
    let f = Frame {
        title: &i.file_name,
        visitor,
        workspace: Some(ws_name),
        section: Some(Section::Imports),
    };
    let files = format!(
        "/api/v1/workspaces/{}/imports/{}/files",
        seg(ws_name),
        seg(&i.id)
    );
    let csrf = visitor.csrf.as_str();
    let can_cancel = (mine || role >= Role::Manager)
        && role >= Role::Importer
        && matches!(
            i.status,
            Status::WaitingForApproval | Status::Queued | Status::InProgress
        );
    let cancel_form = html! {
        @if can_cancel {
            form method="post" action={(here) "/cancel"} {
                input type="hidden" name="csrf" value=(csrf);
                button.secondary type="submit" { "Cancel the import" }
            }
        }
    };
    let rows = i
        .validation
        .as_ref()
        .map(|v| v.counts.rows)
        .or(i.progress.rows_total);
    Ok(frame(
        &f,
        html! {
            nav.crumbs aria-label="Breadcrumb" {
                a href={(ws_path(ws_name)) "/imports"} { "Imports" } " / " span aria-current="page" { (i.file_name) }
            }
            h1 { (i.file_name) " " (badge(i.status)) }
            @match &notice {
                Some(Notice::Done(m)) => div.notice role="status" { p { (m) } }
                Some(Notice::Refused(m)) => div.callout.bad role="alert" { p { strong { "Not done: " } (super::layout::prose(m)) } }
                None => {}
            }
            @if let Some(m) = &i.message {
                div.callout.bad { p { strong { "Why it failed: " } (m) } }
            }
            dl.facts {
                div { dt { "Record type" } dd { a href={(ws_path(ws_name)) "/types/" (seg(&i.record_type))} { (type_label) } } }
                div { dt { "Created by" } dd { (i.created_by.as_deref().unwrap_or("–")) } }
                div { dt { "Created" } dd { (when(&i.created_at)) } }
                div { dt { "Last change" } dd { (when(&i.updated_at)) } }
                @if i.attempts > 0 { div { dt { "Runs" } dd { (i.attempts) } } }
                @if let Some(n) = i.store_import_id { div { dt { "Import number" } dd { (n) } } }
            }
            @if let Some(mv) = &mv {
                section aria-labelledby="file-h" {
                    h2 #file-h { "The file" }
                    (file_facts(&mv.file, rows))
                }
                section aria-labelledby="mapping-h" {
                    h2 #mapping-h { "Columns and fields" }
                    p.help { "Each column of the file feeds a field of the record type, or is left out. Change a field and save; intake remembers your choice for the next file of this kind." }
                    (super::steps::mapping_form(ws_name, id, csrf, &ws, &i.record_type, mv))
                    @if let Some(v) = &i.validation {
                        (super::steps::values_forms(ws_name, id, csrf, &ws, &i.record_type, &v.unknown_values, &mv.mapping))
                    }
                }
                section aria-labelledby="options-h" {
                    h2 #options-h { "Options" }
                    p { (options_summary(tried.unwrap_or(&i.options)).join(" · ")) "." }
                    details open[tried.is_some()] {
                        summary { "Change the options" }
                        (super::steps::options_form(ws_name, id, csrf, &ws, &i.record_type, tried.unwrap_or(&i.options), &mv.file))
                    }
                }
            }
            @if i.status == Status::WaitingForApproval {
                section aria-labelledby="approval-h" {
                    h2 #approval-h { "Approval" }
                    @if role >= Role::Manager && !(ws.settings.four_eyes && mine) {
                        p { "This workspace asks a manager to approve each import before it runs. Check the validation below, then approve it to run it, or cancel it." }
                        p { strong { "Options: " } (options_summary(&i.options).join(" · ")) "." }
                        div.actions {
                            form method="post" action={(here) "/approve"} {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { "Approve and run" }
                            }
                            (cancel_form)
                        }
                    } @else {
                        p {
                            "Waiting for a manager to approve it."
                            @if mine && ws.settings.four_eyes { " This workspace asks for four eyes: another manager approves it, not its uploader." }
                        }
                        div.actions { (cancel_form) }
                    }
                }
            }
            @if matches!(i.status, Status::InProgress | Status::Queued) {
                section aria-labelledby="progress-h" {
                    h2 #progress-h { "Progress" }
                    div #progress data-poll=(super::progress::fragment_path(ws_name, id)) {
                        (super::progress::block(&i, &audit))
                    }
                    noscript { p { a href=(here) { "Look again" } } }
                    div.actions { (cancel_form) }
                }
            }
            @if let Some(c) = &i.counts {
                section aria-labelledby="counts-h" {
                    h2 #counts-h { "What the import did" }
                    (counts_table(c))
                    @if i.status == Status::Completed && role >= Role::Manager {
                        p.revert {
                            a.button.danger href={(here) "/revert"} { "Revert this import…" }
                        }
                    }
                }
            }
            @if editable || i.validation.is_some() {
                section aria-labelledby="validation-h" {
                    h2 #validation-h { "Validation" }
                    @if i.validation.is_none() {
                        p { "Validation reads every row and checks every cell, link and unique value against the workspace, without writing anything." }
                    }
                    @if let Some(v) = &i.validation {
                        p {
                            "Checked " (when(&v.at)) ": "
                            @if v.problems == 0 { "no problems." } @else { strong { (thousands(v.problems)) @if v.problems == 1 { " problem" } @else { " problems" } } "." }
                        }
                        @if i.counts.is_none() {
                            p.help { "If it were imported now:" }
                            (counts_table(&v.counts))
                        }
                    }
                    @if editable {
                        form method="post" action={(here) "/validate"} {
                            input type="hidden" name="csrf" value=(csrf);
                            button.secondary type="submit" { @if i.validation.is_some() { "Validate again" } @else { "Validate" } }
                        }
                    }
                    @if let Some(v) = &i.validation {
                        @if !v.by_column.is_empty() {
                            h3 { "Problems by column" }
                            (scroll("Problems by column", html! {
                                table { thead { tr { th scope="col" { "Column" } th scope="col" class="num" { "Problems" } } }
                                    tbody { @for (col, n) in &v.by_column { tr {
                                        th scope="row" { @if col.is_empty() { em { "Whole row" } } @else {
                                            @if problems.is_some() { a href={(here) "?column=" (query(col)) "#problems-h"} { (col) } } @else { (col) }
                                        } }
                                        td.num { (thousands(*n)) } } } } }
                            }))
                        }
                        @if !v.by_code.is_empty() {
                            h3 { "Problems by kind" }
                            (scroll("Problems by kind", html! {
                                table { thead { tr { th scope="col" { "Kind" } th scope="col" class="num" { "Problems" } } }
                                    tbody { @for (code, n) in &v.by_code { tr { th scope="row" {
                                        @if problems.is_some() { a href={(here) "?code=" (query(code)) "#problems-h"} { (code_words(code)) } } @else { (code_words(code)) }
                                        div.sub { code { (code) } } } td.num { (thousands(*n)) } } } } }
                            }))
                        }
                        @if let Some(pp) = &problems {
                            h3 #problems-h { "Problems" }
                            form.filters method="get" action=(here) {
                                label for="pf-column" { "Column" }
                                select #pf-column name="column" {
                                    option value="" { "All columns" }
                                    @for (col, _) in &v.by_column { @if !col.is_empty() {
                                        option value=(col) selected[q.column.as_deref() == Some(col.as_str())] { (col) }
                                    } }
                                }
                                label for="pf-code" { "Kind" }
                                select #pf-code name="code" {
                                    option value="" { "All kinds" }
                                    @for (code, _) in &v.by_code {
                                        option value=(code) selected[q.code.as_deref() == Some(code.as_str())] { (code_words(code)) }
                                    }
                                }
                                button.secondary type="submit" { "Show" }
                            }
                            @let first = u64::from(page - 1) * u64::from(PROBLEMS);
                            p {
                                @if pp.total == 0 { "No problem matches." }
                                @else {
                                    "Problems " (thousands(first + 1)) "–" (thousands(first + pp.problems.len() as u64)) " of " (thousands(pp.total)) "."
                                }
                            }
                            (scroll("Problems", html! {
                                table { thead { tr { th scope="col" class="num" { "Row" } th scope="col" { "Column" } th scope="col" { "Value" } th scope="col" { "Problem and fix" } } }
                                    tbody { @for p in &pp.problems { tr {
                                        td.num { (p.row) }
                                        td { (p.column.as_deref().unwrap_or("–")) @if let Some(l) = &p.column_letter { div.sub { "column " (l) } } }
                                        td { @if !p.value.is_empty() { q { (p.value) } } }
                                        td { (super::layout::prose(&p.message)) }
                                    } } } }
                            }))
                            @let filter = {
                                let mut f = String::new();
                                for (k, val) in [("column", &q.column), ("code", &q.code)] {
                                    if let Some(val) = val.as_deref().filter(|x| !x.is_empty()) {
                                        f.push_str(&format!("&{k}={}", query(val)));
                                    }
                                }
                                f
                            };
                            nav.pager aria-label="Pages of problems" {
                                @if page > 1 { a href={(here) "?page=" (page - 1) (filter) "#problems-h"} { "Previous problems" } }
                                @if u64::from(page) * u64::from(PROBLEMS) < pp.total { a href={(here) "?page=" (page + 1) (filter) "#problems-h"} { "Next problems" } }
                            }
                        }
                        @if !v.unknown_values.is_empty() && mv.is_none() {
                            h3 { "Values that match no option" }
                            @for u in &v.unknown_values {
                                h4 { "Column " q { (u.column) } }
                                ul.values { @for x in &u.values { li { q { (x.value) } " in " (x.rows) @if x.rows == 1 { " row" } @else { " rows" } " (first: row " (x.first_row) ")" } } }
                                @if u.truncated { p.help { "More values than listed." } }
                            }
                        }
                        @if !v.warnings.is_empty() {
                            h3 { "Warnings" }
                            ul { @for w in &v.warnings { li {
                                @if let Some(r) = w.row { "Row " (r) ": " }
                                @if let Some(c) = &w.column { "column " q { (c) } ": " }
                                (super::layout::prose(&w.message))
                            } } }
                        }
                    }
                }
            }
            @if editable && i.status != Status::Incomplete {
                section aria-labelledby="submit-h" {
                    h2 #submit-h { "Submit" }
                    (submit_block(&i, &ws.settings, csrf, &here))
                }
            }
            section aria-labelledby="files-h" {
                h2 #files-h { "Downloads" }
                @if i.files.is_empty() {
                    p { "No files yet: they appear once the import has been validated or run." }
                } @else {
                    ul.downloads { @for name in &i.files {
                        li { a href={(files) "/" (seg(name))} download { (file_label(name)) } }
                    } }
                }
            }
            section aria-labelledby="audit-h" {
                h2 #audit-h { "Audit trail" }
                (scroll("Audit trail", html! {
                    table { thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Details" } } }
                        tbody { @for a in &audit { tr {
                            td.nowrap { (when(&a.at)) }
                            td { (a.user.as_deref().unwrap_or("intake")) }
                            td { (a.action) }
                            td { (a.detail.as_deref().unwrap_or("")) }
                        } } } }
                }))
            }
        },
    ))
}

/// What was found out about the file, in words.
fn file_facts(f: &crate::api::imports::FileFacts, rows: Option<u64>) -> Markup {
    let format = match f.format.as_str() {
        "csv" => "Text (CSV)",
        "xlsx" => "Excel workbook (XLSX)",
        "xls" => "Excel 97–2003 workbook (XLS)",
        "ods" => "OpenDocument spreadsheet (ODS)",
        other => other,
    };
    html! {
        dl.facts {
            div { dt { "Format" } dd { (format) } }
            @if let (Some(e), Some(how)) = (&f.encoding, &f.encoding_how) {
                div { dt { "Encoding" } dd { (e) " " span.sub { "(" (how) ")" } } }
            }
            @if let (Some(d), Some(how)) = (&f.delimiter, &f.delimiter_how) {
                div { dt { "Delimiter" } dd { (match d.as_str() { "," => "comma", ";" => "semicolon", "|" => "pipe", other => other }) " " span.sub { "(" (how) ")" } } }
            }
            @if let Some(s) = &f.sheet {
                div { dt { "Sheet" } dd { (s) @if f.sheets.len() > 1 { " " span.sub { "(of " (f.sheets.len()) ")" } } } }
            }
            div { dt { "Rows" } dd { @match rows { Some(n) => (thousands(n)), None => span.sub { "counted when validated" } } } }
        }
        @if f.encoding_how.as_deref() == Some("assumed") {
            div.callout.warn { p { "The encoding is a guess: check that accented letters look right in the first values below, or choose the encoding under Options." } }
        }
        @if !f.notes.is_empty() {
            ul.notes { @for n in &f.notes { li { (super::layout::prose(&ui_words(&n.message))) } } }
        }
    }
}

/// A reader's note, with the command-line advice it ends with put as the page's options.
fn ui_words(message: &str) -> String {
    message
        .replace(
            "; choose another with --sheet",
            "; choose another under Options",
        )
        .replace("; --skip-hidden leaves them out", "")
        .replace("read like the others", "they are read like the others")
        .replace(", as --skip-hidden asks", "")
}

/// The submit step: what will happen, then the button.
fn submit_block(
    i: &ImportView,
    settings: &crate::control::Settings,
    csrf: &str,
    here: &str,
) -> Markup {
    let partial = i.options.on_error == Some(OnErrorOption::Skip);
    let problems = i.validation.as_ref().map(|v| v.problems);
    html! {
        @match (&i.validation, problems) {
            (None, _) => p { "It has not been validated: validate first to see what it will do. Submitting validates it again in any case." }
            (Some(v), Some(0)) => p {
                "It will create " strong { (thousands(v.counts.created)) } " and update " strong { (thousands(v.counts.updated)) } " records"
                @if v.counts.deleted + v.counts.deactivated > 0 { ", and delete or deactivate " strong { (thousands(v.counts.deleted + v.counts.deactivated)) } }
                "."
            }
            (Some(v), _) if partial => p {
                "Partial import: the rows without problems are written, the " (thousands(v.counts.failed)) " rows with problems are left out and listed in the response file."
            }
            (Some(_), _) => div.callout.warn { p {
                "All or nothing: with these problems the import would fail and write nothing. Fix them (the values above, or the file), or choose a partial import under Options."
            } }
        }
        @if settings.require_approval {
            p.help {
                "This workspace asks for approval: a manager approves it before it runs"
                @if settings.four_eyes { ", and not the one who submitted it" } "."
            }
        }
        form method="post" action={(here) "/submit"} {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" { "Submit the import" }
        }
    }
}
