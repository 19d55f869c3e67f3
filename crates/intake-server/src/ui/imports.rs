//! The imports of a workspace, and one import (read-only): status, progress, counts, the
//! validation summary, downloads and the audit trail.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Frame, Section, badge, frame, scroll, seg, when, ws_path};
use super::{UiError, Visitor, render};
use crate::api::imports::{ImportView, ProblemQuery, load, mapping_of, problem_page, view};
use crate::api::{Ctx, access};
use crate::control::Role;
use crate::model::{CountsView, Status};

/// Imports on one page of the list.
const PAGE: i64 = 50;

/// Problems on one page of an import.
const PROBLEMS: u32 = 100;

/// The problem table's filters and page.
#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    column: Option<String>,
    code: Option<String>,
    page: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    page: Option<u32>,
}

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
        access(app, &visitor.caller(), &ws_name, Role::Viewer)?;
        let page = i64::from(q.page.unwrap_or(1).max(1));
        let (rows, total) = app.control.imports(&ws_name, None, PAGE, (page - 1) * PAGE)?;
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
                @if imports.is_empty() {
                    p.empty { "No imports in this workspace yet." }
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
                        @if page > 1 { a href={(base) "?page=" (page - 1)} { "Newer imports" } }
                        @if page * PAGE < total { a href={(base) "?page=" (page + 1)} { "Older imports" } }
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
                @if i == 0 || v > 0 { div { dt { (k) } dd { (v) } } }
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
        let app = &ctx.app;
        let (ws, role) = access(app, &visitor.caller(), &ws_name, Role::Viewer)?;
        let i = view(app, &load(app, &ws_name, &id)?);
        let editable = role >= Role::Importer
            && matches!(i.status, Status::Incomplete | Status::Ready | Status::Failed | Status::Cancelled);
        let mv = if editable { Some(mapping_of(app, &visitor.caller(), &ws_name, &id)?) } else { None };
        let page = q.page.unwrap_or(1).max(1);
        let problems = match &i.validation {
            Some(v) if v.problems > 0 => Some(problem_page(app, &visitor.caller(), &ws_name, &id, &ProblemQuery {
                column: q.column.clone().filter(|c| !c.is_empty()),
                code: q.code.clone().filter(|c| !c.is_empty()),
                limit: Some(PROBLEMS),
                offset: Some(u64::from(page - 1) * u64::from(PROBLEMS)),
            })?),
            _ => None,
        };
        let here = import_path(&ws_name, &id);
        let type_label = ws
            .schema
            .record_type(&i.record_type)
            .map_or_else(|| i.record_type.clone(), |t| t.label.clone());
        let audit = app.control.audit_trail(&id)?;
        let f = Frame {
            title: &i.file_name,
            visitor: &visitor,
            workspace: Some(&ws_name),
            section: Some(Section::Imports),
        };
        let files = format!("/api/v1/workspaces/{}/imports/{}/files", seg(&ws_name), seg(&i.id));
        Ok(frame(
            &f,
            html! {
                nav.crumbs aria-label="Breadcrumb" {
                    a href={(ws_path(&ws_name)) "/imports"} { "Imports" } " / " span aria-current="page" { (i.file_name) }
                }
                h1 { (i.file_name) " " (badge(i.status)) }
                @if let Some(m) = &i.message {
                    div.callout.bad { p { strong { "Why it failed: " } (m) } }
                }
                dl.facts {
                    div { dt { "Record type" } dd { a href={(ws_path(&ws_name)) "/types/" (seg(&i.record_type))} { (type_label) } } }
                    div { dt { "Created by" } dd { (i.created_by.as_deref().unwrap_or("–")) } }
                    div { dt { "Created" } dd { (when(&i.created_at)) } }
                    div { dt { "Last change" } dd { (when(&i.updated_at)) } }
                    @if i.attempts > 0 { div { dt { "Runs" } dd { (i.attempts) } } }
                    @if let Some(n) = i.store_import_id { div { dt { "Import number" } dd { (n) } } }
                }
                @if let Some(mv) = &mv {
                    section aria-labelledby="mapping-h" {
                        h2 #mapping-h { "Columns and fields" }
                        p.help { "Each column of the file feeds a field of the record type, or is left out." }
                        (super::steps::mapping_form(&ws_name, &id, &visitor.csrf, &ws, &i.record_type, mv))
                        @if let Some(v) = &i.validation {
                            (super::steps::values_forms(&ws_name, &id, &visitor.csrf, &ws, &i.record_type, &v.unknown_values, &mv.mapping))
                        }
                        div.actions {
                            form method="post" action={(here) "/validate"} {
                                input type="hidden" name="csrf" value=(visitor.csrf);
                                button.secondary type="submit" { "Validate" }
                            }
                            @if i.status != Status::Incomplete {
                                form method="post" action={(here) "/submit"} {
                                    input type="hidden" name="csrf" value=(visitor.csrf);
                                    button type="submit" { "Submit the import" }
                                }
                            }
                        }
                    }
                }
                @if matches!(i.status, Status::InProgress | Status::Queued) {
                    section aria-labelledby="progress-h" {
                        h2 #progress-h { "Progress" }
                        @match i.progress.rows_total {
                            Some(total) => {
                                progress #progress max=(total.max(1)) value=(i.progress.rows_done) aria-labelledby="progress-h" {}
                                p { (i.progress.rows_done) " of " (total) " rows done. Reload the page to see the latest." }
                            }
                            None => p { (i.progress.rows_done) " rows done. Reload the page to see the latest." }
                        }
                    }
                }
                @if let Some(c) = &i.counts {
                    section aria-labelledby="counts-h" {
                        h2 #counts-h { "What the import did" }
                        (counts_table(c))
                    }
                }
                @if let Some(v) = &i.validation {
                    section aria-labelledby="validation-h" {
                        h2 #validation-h { "Validation" }
                        p {
                            "Checked " (when(&v.at)) ": "
                            @if v.problems == 0 { "no problems." } @else { strong { (v.problems) @if v.problems == 1 { " problem" } @else { " problems" } } "." }
                        }
                        @if i.counts.is_none() {
                            p.help { "If it were imported now:" }
                            (counts_table(&v.counts))
                        }
                        @if !v.by_column.is_empty() {
                            h3 { "Problems by column" }
                            (scroll("Problems by column", html! {
                                table { thead { tr { th scope="col" { "Column" } th scope="col" class="num" { "Problems" } } }
                                    tbody { @for (col, n) in &v.by_column { tr {
                                        th scope="row" { @if col.is_empty() { em { "Whole row" } } @else { (col) } }
                                        td.num { (n) } } } } }
                            }))
                        }
                        @if !v.by_code.is_empty() {
                            h3 { "Problems by kind" }
                            (scroll("Problems by kind", html! {
                                table { thead { tr { th scope="col" { "Kind" } th scope="col" class="num" { "Problems" } } }
                                    tbody { @for (code, n) in &v.by_code { tr { th scope="row" { code { (code) } } td.num { (n) } } } } }
                            }))
                        }
                        @if let (Some(pp), Some(v)) = (&problems, &i.validation) {
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
                                        option value=(code) selected[q.code.as_deref() == Some(code.as_str())] { (code) }
                                    }
                                }
                                button.secondary type="submit" { "Show" }
                            }
                            p { (pp.total) @if pp.total == 1 { " problem matches." } @else { " problems match." } }
                            (scroll("Problems", html! {
                                table { thead { tr { th scope="col" class="num" { "Row" } th scope="col" { "Column" } th scope="col" { "Value" } th scope="col" { "Problem" } } }
                                    tbody { @for p in &pp.problems { tr {
                                        td.num { (p.row) }
                                        td { (p.column.as_deref().unwrap_or("–")) }
                                        td { @if !p.value.is_empty() { q { (p.value) } } }
                                        td { (super::layout::prose(&p.message)) }
                                    } } } }
                            }))
                            @let filter = {
                                let mut f = String::new();
                                for (k, val) in [("column", &q.column), ("code", &q.code)] {
                                    if let Some(val) = val.as_deref().filter(|x| !x.is_empty()) {
                                        let e: String = url::form_urlencoded::byte_serialize(val.as_bytes()).collect();
                                        f.push_str(&format!("&{k}={e}"));
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
                                (w.message)
                            } } }
                        }
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
    })
    .await
}
