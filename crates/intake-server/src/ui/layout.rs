//! The frame every page shares (header, workspace switcher, navigation, logout), and the
//! small pieces pages repeat: paths, dates, status badges.

use maud::{DOCTYPE, Markup, html};

use super::Visitor;
use crate::model::Status;

/// The stylesheet's address; the version makes a new release fetch it again.
pub const STYLESHEET: &str = concat!("/assets/intake.css?v=", env!("CARGO_PKG_VERSION"));

/// The script's address.
pub const SCRIPT: &str = concat!("/assets/intake.js?v=", env!("CARGO_PKG_VERSION"));

/// One path segment, percent-encoded (names come from users).
pub fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A workspace's first page.
pub fn ws_path(ws: &str) -> String {
    format!("/w/{}", seg(ws))
}

/// Which part of a workspace a page belongs to, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Record types and their fields.
    Types,
    /// Imports.
    Imports,
    /// Records: browse, search, export.
    Records,
}

/// A page of a workspace.
pub struct Frame<'a> {
    /// The page's title (also the first heading's text, usually).
    pub title: &'a str,
    /// Who is looking.
    pub visitor: &'a Visitor,
    /// The workspace, when the page belongs to one.
    pub workspace: Option<&'a str>,
    /// The section, for the navigation.
    pub section: Option<Section>,
}

/// The whole document around a page's content.
pub fn document(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · intake" }
                link rel="stylesheet" href=(STYLESHEET);
                script src=(SCRIPT) defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                (body)
            }
        }
    }
}

/// A logged-in page: header with the workspace switcher and navigation, then the content.
pub fn frame(f: &Frame<'_>, content: Markup) -> Markup {
    let body = html! {
        header.top {
            div.bar {
                a.brand href="/" { "intake" }
                @if !f.visitor.workspaces.is_empty() {
                    form.switcher method="get" action="/switch" {
                        label for="ws-switch" { "Workspace" }
                        select #ws-switch name="ws" {
                            @for (ws, role) in &f.visitor.workspaces {
                                option value=(ws) selected[f.workspace == Some(ws.as_str())] {
                                    (ws) " (" (role.as_str()) ")"
                                }
                            }
                        }
                        button.secondary type="submit" { "Open" }
                    }
                }
                div.user {
                    span.username { "Signed in as " strong { (f.visitor.user.username) } }
                    form method="post" action="/logout" {
                        input type="hidden" name="csrf" value=(f.visitor.csrf);
                        button.secondary type="submit" { "Log out" }
                    }
                }
            }
            @if let Some(ws) = f.workspace {
                nav.sections aria-label="Workspace sections" {
                    ul {
                        li { a href=(ws_path(ws)) aria-current=[(f.section == Some(Section::Types)).then_some("page")] { "Record types" } }
                        li { a href={(ws_path(ws)) "/imports"} aria-current=[(f.section == Some(Section::Imports)).then_some("page")] { "Imports" } }
                        li { a href={(ws_path(ws)) "/records"} aria-current=[(f.section == Some(Section::Records)).then_some("page")] { "Records" } }
                    }
                }
            }
        }
        main #main tabindex="-1" {
            (content)
        }
    };
    document(f.title, body)
}

/// The page of a user who belongs to no workspace.
pub fn no_workspace(visitor: &Visitor) -> Markup {
    let f = Frame {
        title: "No workspace",
        visitor,
        workspace: None,
        section: None,
    };
    frame(
        &f,
        html! {
            h1 { "No workspace yet" }
            p { "You are not a member of any workspace. Ask an administrator to add you to one." }
        },
    )
}

/// A page that could not be shown.
pub fn error_page(title: &str, message: &str) -> Markup {
    document(
        title,
        html! {
            header.top { div.bar { a.brand href="/" { "intake" } } }
            main #main tabindex="-1" {
                h1 { (title) }
                p { (prose(message)) }
                p { a href="/" { "Back to the start page" } }
            }
        },
    )
}

/// A timestamp (RFC 3339) as a reader wants it: `2026-11-22 06:30 UTC`, the full value in
/// the `datetime` attribute.
pub fn when(rfc3339: &str) -> Markup {
    // Date and time each kept whole, so a narrow column breaks between them, not inside.
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(d), Some(t)) => html! {
            time datetime=(rfc3339) { span.nowrap { (d) } " " span.nowrap { (t) " UTC" } }
        },
        _ => html! { time datetime=(rfc3339) { (rfc3339) } },
    }
}

/// A status in words.
pub fn status_words(status: Status) -> &'static str {
    match status {
        Status::Incomplete => "Incomplete",
        Status::Ready => "Ready",
        Status::WaitingForApproval => "Waiting for approval",
        Status::Queued => "Queued",
        Status::InProgress => "In progress",
        Status::Completed => "Completed",
        Status::Failed => "Failed",
        Status::Cancelled => "Cancelled",
        Status::Reverted => "Reverted",
    }
}

/// A status in words, on a badge whose colour repeats (never replaces) the words.
pub fn badge(status: Status) -> Markup {
    let words = status_words(status);
    let tone = match status {
        Status::Completed => "ok",
        Status::Failed => "bad",
        Status::InProgress | Status::Queued => "busy",
        Status::WaitingForApproval | Status::Incomplete => "warn",
        Status::Ready => "info",
        Status::Cancelled | Status::Reverted => "muted",
    };
    html! { span class={"badge badge-" (tone)} { (words) } }
}

/// A wide table in a box that scrolls sideways on narrow screens, reachable by keyboard.
pub fn scroll(label: &str, table: Markup) -> Markup {
    html! {
        div.table-scroll role="region" aria-label=(label) tabindex="0" { (table) }
    }
}

/// A message written for the API (lower case, values in backticks) as a sentence for a page:
/// a capital first letter, backticked values as code.
pub fn prose(message: &str) -> Markup {
    let mut first = true;
    html! {
        @for (i, part) in message.split('`').enumerate() {
            @if i % 2 == 1 {
                code { (part) }
            } @else if first && !part.is_empty() {
                ({
                    first = false;
                    let mut c = part.chars();
                    c.next().map(|h| h.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
                })
            } @else {
                (part)
            }
        }
    }
}
