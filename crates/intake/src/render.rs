//! Rendering for humans: errors with their causes and hints, aligned tables, counts.

use std::fmt::Write as _;

/// Prints a document as pretty JSON on stdout, written as it is serialized (a report of a
/// million problems is not first copied into a JSON tree or a string).
pub fn print_json(doc: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, doc)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// Prints an error and its causes to stderr; lines starting with `hint:` are kept as given.
pub fn print_error(e: &anyhow::Error) {
    // A closed pipe (`intake ... | head`) is not a failure worth a message.
    if e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return;
    }
    let mut out = String::new();
    let mut hints = Vec::new();
    for (i, cause) in e.chain().enumerate() {
        let text = cause.to_string();
        let mut lines = Vec::new();
        for line in text.lines() {
            if line.starts_with("hint:") {
                hints.push(line.to_string());
            } else {
                lines.push(line);
            }
        }
        let text = lines.join("\n");
        if i == 0 {
            let _ = writeln!(out, "error: {text}");
        } else {
            let _ = writeln!(out, "  caused by: {text}");
        }
    }
    for h in hints {
        let _ = writeln!(out, "{h}");
    }
    eprint!("{out}");
}

/// Formats a count with thousands separators: `1,000,000`.
pub use intake_core::report::thousands as count;

/// `1 row` / `2 rows`.
pub fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{} {word}s", count(n))
    }
}

/// Cuts text to `max` characters for a table cell, marking the cut, and makes line breaks
/// and tabs visible.
pub fn cell(s: &str, max: usize) -> String {
    let visible = s
        .replace('\r', "\\r")
        .replace('\n', "\\n")
        .replace('\t', "\\t");
    if visible.chars().count() <= max {
        visible
    } else {
        let mut out: String = visible.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// A plain text table: columns padded to their widest cell (by characters).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &mut dyn Iterator<Item = &str>, out: &mut String| {
        let mut parts = Vec::new();
        for (i, c) in cells.enumerate() {
            let pad = widths[i].saturating_sub(c.chars().count());
            if i + 1 == n {
                parts.push(c.to_string());
            } else {
                parts.push(format!("{c}{}", " ".repeat(pad)));
            }
        }
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied(), &mut out);
    for r in rows {
        line(&mut r.iter().map(String::as_str), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_cut_and_breaks_shown() {
        assert_eq!(cell("a\nb", 10), "a\\nb");
        assert_eq!(cell("abcdefghij", 5), "abcd…");
    }

    #[test]
    fn tables_align() {
        let t = table(&["a", "bb"], &[vec!["xxx".into(), "y".into()]]);
        assert_eq!(t, "a    bb\nxxx  y\n");
    }
}
