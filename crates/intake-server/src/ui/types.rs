//! A workspace's record types, and each type's field descriptions with its templates.

use axum::extract::{Path, State};
use axum::response::Response;
use intake_core::describe::describe as describe_type;
use maud::html;

use super::layout::{Frame, Section, frame, scroll, seg, ws_path};
use super::{UiError, Visitor, render};
use crate::api::{Ctx, access};
use crate::control::Role;

/// The API's template download for a type.
fn template(ws: &str, ty: &str, format: &str) -> String {
    format!(
        "/api/v1/workspaces/{}/types/{}/template?format={format}",
        seg(ws),
        seg(ty)
    )
}

/// `GET /w/{ws}`: the record types.
pub async fn list(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path(ws_name): Path<String>,
) -> Result<Response, UiError> {
    render(move || {
        let (ws, _) = access(&ctx.app, &visitor.caller(), &ws_name, Role::Viewer)?;
        let f = Frame {
            title: &format!("Record types of {ws_name}"),
            visitor: &visitor,
            workspace: Some(&ws_name),
            section: Some(Section::Types),
        };
        Ok(frame(
            &f,
            html! {
                h1 { "Record types" }
                @if !ws.schema.description.is_empty() { p.lead { (ws.schema.description) } }
                p { "Each record type lists the columns a file may have. Download a template to start from the right headers." }
                (scroll("Record types", html! {
                    table {
                        thead { tr {
                            th scope="col" { "Record type" }
                            th scope="col" { "Description" }
                            th scope="col" class="num" { "Fields" }
                            th scope="col" { "Template" }
                            th scope="col" { "Records" }
                        } }
                        tbody {
                            @for t in &ws.schema.types {
                                tr {
                                    th scope="row" {
                                        a href={(ws_path(&ws_name)) "/types/" (seg(&t.name))} { (t.label) }
                                        div.sub { code { (t.name) } }
                                    }
                                    td { (t.description) }
                                    td.num { (t.fields.len()) }
                                    td.nowrap {
                                        a href=(template(&ws_name, &t.name, "csv")) download aria-label={"CSV template for " (t.label)} { "CSV" }
                                        " · "
                                        a href=(template(&ws_name, &t.name, "xlsx")) download aria-label={"Excel template for " (t.label)} { "Excel" }
                                    }
                                    td.nowrap {
                                        a href={(ws_path(&ws_name)) "/records/" (seg(&t.name))} { "Browse " span.visually-hidden { (t.label) " " } "records" }
                                    }
                                }
                            }
                        }
                    }
                }))
            },
        ))
    })
    .await
}

/// Allowed values shown before the rest folds away.
const SHOWN_VALUES: usize = 8;

/// `GET /w/{ws}/types/{ty}`: what each column of a file of this type must hold.
pub async fn describe(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path((ws_name, ty)): Path<(String, String)>,
) -> Result<Response, UiError> {
    render(move || {
        let (ws, _) = access(&ctx.app, &visitor.caller(), &ws_name, Role::Viewer)?;
        let rt = crate::api::records::record_type(&ws, &ty)?;
        let columns = describe_type(&ws.schema, rt);
        let f = Frame {
            title: &rt.label,
            visitor: &visitor,
            workspace: Some(&ws_name),
            section: Some(Section::Types),
        };
        Ok(frame(
            &f,
            html! {
                nav.crumbs aria-label="Breadcrumb" {
                    a href=(ws_path(&ws_name)) { "Record types" } " / " span aria-current="page" { (rt.label) }
                }
                h1 { (rt.label) }
                @if !rt.description.is_empty() { p.lead { (rt.description) } }
                div.actions {
                    a.button href=(template(&ws_name, &rt.name, "csv")) download { "Download CSV template" }
                    a.button.secondary href=(template(&ws_name, &rt.name, "xlsx")) download { "Download Excel template" }
                    a.button.secondary href={(ws_path(&ws_name)) "/records/" (seg(&rt.name))} { "Browse records" }
                }
                h2 { "Columns" }
                p { (columns.len()) " columns. Required columns must have a value for every new record." }
                (scroll("Columns", html! {
                    table.fields {
                        thead { tr {
                            th scope="col" { "Column" }
                            th scope="col" { "Type" }
                            th scope="col" { "Required" }
                            th scope="col" { "Unique" }
                            th scope="col" { "Format and allowed values" }
                        } }
                        tbody {
                            @for c in &columns {
                                tr {
                                    th scope="row" {
                                        (c.header)
                                        div.sub { code { (c.field) } }
                                    }
                                    td { (c.type_name) }
                                    td { @if c.required { strong { "Required" } } @else { "Optional" } }
                                    td { @if c.unique.is_empty() { "No" } @else { (c.unique) } }
                                    td {
                                        @if !c.format.is_empty() { p.format { (c.format) } }
                                        @if !c.allowed.is_empty() {
                                            ul.values {
                                                @for v in c.allowed.iter().take(SHOWN_VALUES) { li { (v) } }
                                            }
                                            @if c.allowed.len() > SHOWN_VALUES {
                                                details {
                                                    summary { (c.allowed.len() - SHOWN_VALUES) " more values" }
                                                    ul.values {
                                                        @for v in c.allowed.iter().skip(SHOWN_VALUES) { li { (v) } }
                                                    }
                                                }
                                            }
                                        }
                                        @if !c.help.is_empty() { p.help { (c.help) } }
                                    }
                                }
                            }
                        }
                    }
                }))
            },
        ))
    })
    .await
}
