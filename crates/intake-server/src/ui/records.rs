//! The records of a workspace: each type with its count, a type's records a page at a time
//! (a search, an advanced filter, exports that keep the filter), and one record.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use intake_core::report::thousands;
use intake_core::schema::{FieldType, RecordType};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Frame, Section, frame, prose, scroll, seg, ws_path};
use super::{UiError, Visitor, page, render};
use crate::api::records::{RecordView, find_record, parse_filter, record_page, record_type};
use crate::api::{ApiError, Ctx, access, blocking};
use crate::control::Role;
use crate::state::Workspace;

/// Records on one page of the list.
pub const PAGE: u64 = 50;

/// Columns the list shows, at most.
const COLUMNS: usize = 6;

/// A text field allowed more characters than this is long text, left out of the list when
/// there are enough other fields.
const LONG_TEXT: usize = 255;

/// The list's search, filter and page.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// Text found in any value, ignoring case.
    q: Option<String>,
    /// A filter expression (docs/filters.md).
    filter: Option<String>,
    page: Option<u64>,
}

/// A type's records page.
fn records_path(ws: &str, ty: &str) -> String {
    format!("{}/records/{}", ws_path(ws), seg(ty))
}

/// One record's page.
fn record_path(ws: &str, ty: &str, uuid: &str) -> String {
    format!("{}/{}", records_path(ws, ty), seg(uuid))
}

/// The fields the list shows, as indexes in schema order: up to [`COLUMNS`] of those a user
/// recognises (not links, UUIDs or long text), then the others if there are too few.
fn columns(rt: &RecordType) -> Vec<usize> {
    let plain = |i: &usize| match &rt.fields[*i].field_type {
        FieldType::Link(_) | FieldType::Uuid => false,
        FieldType::Text(rules) => rules.max_length.is_none_or(|m| m <= LONG_TEXT),
        _ => true,
    };
    let all = 0..rt.fields.len();
    let mut shown: Vec<usize> = all.clone().filter(plain).take(COLUMNS).collect();
    let room = COLUMNS.saturating_sub(shown.len());
    shown.extend(all.filter(|i| !plain(i)).take(room));
    shown.sort_unstable();
    shown
}

/// A value as text in double quotes, for a filter.
fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// An example filter from the type's own fields and their example values, checked to read.
fn example_filter(ws: &Workspace, rt: &RecordType) -> String {
    let example = |want: fn(&FieldType) -> bool| {
        rt.fields
            .iter()
            .find(|f| want(&f.field_type) && f.example.as_deref().is_some_and(|e| !e.is_empty()))
            .map(|f| (f.name.to_string(), f.example.clone().unwrap_or_default()))
    };
    let mut parts = Vec::new();
    if let Some((name, ex)) = example(|t| matches!(t, FieldType::Select { .. })) {
        parts.push(format!("{name} = {}", quoted(&ex)));
    }
    if let Some((name, ex)) = example(|t| matches!(t, FieldType::Text(_) | FieldType::Email)) {
        let word = ex.split_whitespace().next().unwrap_or(&ex).to_string();
        parts.push(format!("{name} ~ {}", quoted(&word)));
    }
    parts.push("created_at >= 2025-01-01".to_string());
    let reads = |e: &str| parse_filter(rt, ws, Some(e)).is_ok();
    let both = parts
        .iter()
        .take(2)
        .cloned()
        .collect::<Vec<_>>()
        .join(" and ");
    if reads(&both) {
        return both;
    }
    parts
        .into_iter()
        .find(|p| reads(p))
        .unwrap_or_else(|| "created_at >= 2025-01-01".to_string())
}

/// A value in a cell or a definition, or a dash when there is none.
fn value(v: Option<&String>) -> Markup {
    match v.filter(|v| !v.is_empty()) {
        Some(v) => html! { (v) },
        None => html! { span.none { "–" span.visually-hidden { "no value" } } },
    }
}

/// What a record is called on its page and in the list: its first shown value, or its type
/// and the start of its UUID.
fn record_name(rt: &RecordType, cols: &[usize], r: &RecordView) -> String {
    cols.first()
        .and_then(|i| r.values.get(rt.fields[*i].name.as_str()))
        .filter(|v| !v.is_empty())
        .cloned()
        .unwrap_or_else(|| format!("{} {}", rt.label, r.uuid.get(..8).unwrap_or(&r.uuid)))
}

/// `GET /w/{ws}/records`: each record type with how many records it has.
pub async fn index(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path(ws_name): Path<String>,
) -> Result<Response, UiError> {
    render(move || {
        let (ws, _) = access(&ctx.app, &visitor.caller(), &ws_name, Role::Viewer)?;
        let mut session = ws.store.read()?;
        let counts = ws
            .schema
            .types
            .iter()
            .map(|t| Ok((t, session.count(t)?)))
            .collect::<Result<Vec<_>, ApiError>>()?;
        let f = Frame {
            title: &format!("Records of {ws_name}"),
            visitor: &visitor,
            workspace: Some(&ws_name),
            section: Some(Section::Records),
        };
        Ok(frame(
            &f,
            html! {
                h1 { "Records" }
                p { "Choose a record type to browse, search and export its records." }
                (scroll("Record types and their records", html! {
                    table {
                        caption.visually-hidden { "Record types and how many records each has" }
                        thead { tr {
                            th scope="col" { "Record type" }
                            th scope="col" class="num" { "Records" }
                        } }
                        tbody {
                            @for (t, n) in &counts {
                                tr {
                                    th scope="row" { a href=(records_path(&ws_name, &t.name)) { (t.label) } }
                                    td.num { (thousands(*n)) }
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

/// `GET /w/{ws}/records/{ty}`: a type's records, 50 a page, narrowed by a search and an
/// advanced filter; a filter that cannot be read is said above the form, which keeps it.
pub async fn list(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path((ws_name, ty)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> Result<Response, UiError> {
    let (status, markup) = blocking(move || {
        let (ws, role) = access(&ctx.app, &visitor.caller(), &ws_name, Role::Viewer)?;
        let rt = record_type(&ws, &ty)?;
        let search = q.q.as_deref().map(str::trim).unwrap_or("");
        let filter_text = q.filter.as_deref().map(str::trim).unwrap_or("");
        let page_no = q.page.unwrap_or(1).max(1);
        let offset = (page_no - 1).saturating_mul(PAGE);
        let found = match parse_filter(rt, &ws, Some(filter_text)) {
            Ok(filter) => Ok(record_page(
                &ws,
                rt,
                &filter,
                Some(search),
                PAGE,
                offset,
            )?),
            Err(e) if e.status() == StatusCode::BAD_REQUEST => Err(e.message().to_string()),
            Err(e) => return Err(e),
        };
        let cols = columns(rt);
        let here = records_path(&ws_name, &rt.name);
        let narrowed = !search.is_empty() || !filter_text.is_empty();
        // The list's address with the search and filter kept, on another page.
        let at = |p: u64| {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            if !search.is_empty() {
                s.append_pair("q", search);
            }
            if !filter_text.is_empty() {
                s.append_pair("filter", filter_text);
            }
            s.append_pair("page", &p.to_string());
            format!("{here}?{}", s.finish())
        };
        let export = |format: &str, update_sheet: bool| {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            s.append_pair("format", format);
            if !filter_text.is_empty() {
                s.append_pair("filter", filter_text);
            }
            if update_sheet {
                let names: Vec<&str> = rt.fields.iter().map(|f| f.name.as_str()).collect();
                s.append_pair("update_sheet", &names.join(","));
            }
            format!(
                "/api/v1/workspaces/{}/records/{}/export?{}",
                seg(&ws_name),
                seg(&rt.name),
                s.finish()
            )
        };
        let example = example_filter(&ws, rt);
        let title = format!("{} records", rt.label);
        let f = Frame {
            title: &title,
            visitor: &visitor,
            workspace: Some(&ws_name),
            section: Some(Section::Records),
        };
        let error = found.as_ref().err();
        let described = if error.is_some() {
            "records-filter-help records-filter-error"
        } else {
            "records-filter-help"
        };
        let markup = frame(
            &f,
            html! {
                nav.crumbs aria-label="Breadcrumb" {
                    a href={(ws_path(&ws_name)) "/records"} { "Records" } " / " span aria-current="page" { (rt.label) }
                }
                h1 { (title) }
                form.filters method="get" action=(here) role="search" aria-label={"Search " (rt.label) " records"} {
                    label for="records-q" { "Search" }
                    input #records-q type="text" name="q" value=(search) size="24";
                    label for="records-filter" { "Advanced filter" }
                    input #records-filter.wide type="text" name="filter" value=(filter_text)
                        aria-describedby=(described) aria-invalid=[error.is_some().then_some("true")];
                    button.secondary type="submit" { "Show" }
                    @if narrowed { a href=(here) { "Clear" } }
                }
                p.help #records-filter-help {
                    "Search finds text in any value, ignoring case. The advanced filter compares fields, for example "
                    code { (example) } ". Conditions combine with " code { "and" } ", " code { "or" } " and " code { "not" } "; "
                    a href={(ws_path(&ws_name)) "/types/" (seg(&rt.name))} { "the field names" } " are on the type's page."
                }
                @match &found {
                    Err(message) => {
                        div.callout.bad #records-filter-error role="alert" {
                            p { (prose(message)) }
                        }
                    }
                    Ok(p) if p.total == 0 && !narrowed => {
                        div.empty {
                            p { "There are no " (rt.label) " records yet." }
                            @if role >= Role::Importer {
                                p { a.button href={(ws_path(&ws_name)) "/imports/new"} { "New import" } }
                            }
                        }
                    }
                    Ok(p) => {
                        @if p.total == 0 {
                            p.empty { "No records match." }
                        } @else if p.records.is_empty() {
                            p { "There are " (thousands(p.total)) " matching records, fewer than this page starts at. "
                                a href=(at(1)) { "Go to the first page" } "." }
                        } @else {
                            p #records-count {
                                "Showing " (thousands(offset + 1)) "–" (thousands(offset + p.records.len() as u64))
                                " of " (thousands(p.total))
                                @if narrowed { " matching" }
                                @if p.total == 1 { " record." } @else { " records." }
                            }
                            (scroll(&title, html! {
                                table {
                                    caption.visually-hidden { (title) ", page " (page_no) }
                                    thead { tr {
                                        @for i in &cols { th scope="col" { (rt.fields[*i].label) } }
                                    } }
                                    tbody {
                                        @for r in &p.records {
                                            tr {
                                                @for (n, i) in cols.iter().enumerate() {
                                                    @if n == 0 {
                                                        th scope="row" {
                                                            a href=(record_path(&ws_name, &rt.name, &r.uuid)) { (record_name(rt, &cols, r)) }
                                                        }
                                                    } @else {
                                                        td { (value(r.values.get(rt.fields[*i].name.as_str()))) }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }))
                            @if page_no > 1 || offset + PAGE < p.total {
                                nav.pager aria-label="Pages" {
                                    @if page_no > 1 { a href=(at(page_no - 1)) rel="prev" { "Previous" } }
                                    @if offset + PAGE < p.total { a href=(at(page_no + 1)) rel="next" { "Next" } }
                                }
                            }
                        }
                        h2 { "Export" }
                        p {
                            "Exports hold every record "
                            @if filter_text.is_empty() { "of this type" } @else { "the advanced filter selects" }
                            @if !search.is_empty() { " (the search does not apply to them)" }
                            ", in the template's layout with their UUIDs, ready to import back."
                        }
                        ul.downloads {
                            li {
                                a href=(export("csv", false)) download { "CSV" } " · "
                                a href=(export("xlsx", false)) download { "Excel" }
                                ": the records as they are."
                            }
                            li {
                                "Update sheet: "
                                a href=(export("csv", true)) download aria-label="Update sheet as CSV" { "CSV" } " · "
                                a href=(export("xlsx", true)) download aria-label="Update sheet as Excel" { "Excel" }
                                ". Edit the rows and import the file back: only what you change is updated; a row changed since the export is flagged."
                            }
                        }
                    }
                }
            },
        );
        let status = if error.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        Ok((status, markup))
    })
    .await?;
    Ok(page(status, markup))
}

/// `GET /w/{ws}/records/{ty}/{uuid}`: every field of one record.
pub async fn show(
    State(ctx): State<Ctx>,
    visitor: Visitor,
    Path((ws_name, ty, id)): Path<(String, String, String)>,
) -> Result<Response, UiError> {
    render(move || {
        let (ws, _) = access(&ctx.app, &visitor.caller(), &ws_name, Role::Viewer)?;
        let rt = record_type(&ws, &ty)?;
        let r = find_record(&ws, rt, &id)?;
        let name = record_name(rt, &columns(rt), &r);
        let f = Frame {
            title: &name,
            visitor: &visitor,
            workspace: Some(&ws_name),
            section: Some(Section::Records),
        };
        let list = records_path(&ws_name, &rt.name);
        Ok(frame(
            &f,
            html! {
                nav.crumbs aria-label="Breadcrumb" {
                    a href={(ws_path(&ws_name)) "/records"} { "Records" } " / "
                    a href=(list) { (rt.label) } " / "
                    span aria-current="page" { (name) }
                }
                h1 { (name) }
                dl.record {
                    dt { (rt.uuid_header()) }
                    dd { code { (r.uuid) } }
                    @for field in &rt.fields {
                        @let v = r.values.get(field.name.as_str());
                        dt { (field.label) }
                        dd {
                            @match (&field.field_type, v.filter(|v| uuid::Uuid::parse_str(v).is_ok())) {
                                (FieldType::Link(link), Some(target)) => {
                                    a href=(record_path(&ws_name, &link.target, target)) { code { (target) } }
                                }
                                _ => (value(v)),
                            }
                        }
                    }
                }
                p { a href=(list) { "Back to the " (rt.label) " records" } }
            },
        ))
    })
    .await
}
