//! Filters: which records `intake export TYPE --filter EXPR` writes.
//!
//! A filter is one or more conditions on the columns of a record type:
//!
//! ```text
//! country = DE and annual_revenue >= 1000000
//! `Account Name` ~ "acme" or (industry = Retail and employees < 50)
//! email is empty
//! not (status = won or status = lost)
//! ```
//!
//! # Grammar
//!
//! ```text
//! filter     := or
//! or         := and ( "or" and )*
//! and        := unary ( "and" unary )*
//! unary      := "not" unary | "(" or ")" | condition
//! condition  := column op value | column "is" [ "not" ] "empty"
//! column     := NAME | `LABEL` | uuid | created_at | updated_at
//! op         := "=" | "!=" | "<" | "<=" | ">" | ">=" | "~" | "!~"
//! value      := "QUOTED" | WORD
//! ```
//!
//! - Keywords (`and`, `or`, `not`, `is`, `empty`) are case-insensitive; `and` binds tighter
//!   than `or`; parentheses group. Nesting is limited to [`MAX_DEPTH`] levels.
//! - A column is a field name (`country`), a field label in backticks (`` `Account Name` ``,
//!   case-insensitive), or a system column: `uuid`, `created_at`, `updated_at`.
//! - A value is a bare word, which ends at a space, a backtick or one of `( ) = ! < > ~ "`
//!   (`DE`, `42`, `12.5`, `2024-03-01`, `01/03/2024`), or a double-quoted string in which
//!   `\"` is a quote and `\\` a backslash (`"Acme, Inc."`).
//!
//! # Values
//!
//! A value is read by the field's own cell parser with the formats given (the import's
//! locale), then compared in its stored form (see [`crate::stored`]). So `country = Germany`
//! finds the option labelled Germany, `birth_date > 01/03/2024` reads the date day first when
//! the workspace does, and a value the field could never hold is an error with the parser's
//! message instead of a filter that silently matches nothing. Exceptions:
//!
//! - links and `uuid` take a UUID;
//! - datetime fields, `created_at` and `updated_at` also take a date alone, meaning midnight
//!   UTC of that day (`created_at >= 2024-03-01`); with `=` and `!=` a date alone is refused,
//!   as it would compare with that one instant;
//! - the bound of `<`, `<=`, `>`, `>=` is not held to the field's limits: `probability < 101`
//!   is allowed, decimals may have more places than the field keeps, and text is taken as
//!   written without the field's length, charset or pattern rules;
//! - the text after `~` and `!~` is taken as written.
//!
//! # Operators
//!
//! - `=` and `!=` apply to every column. Text is compared exactly (case-sensitive), except
//!   e-mail addresses, which are compared ignoring case. A multiselect matches its exact set
//!   of options.
//! - `<`, `<=`, `>`, `>=` apply to integer, decimal, date, datetime and text fields and to
//!   `created_at` and `updated_at`. Numbers compare as numbers (decimals too, though they are
//!   stored as text); dates and datetimes compare as their ISO text, which is their time
//!   order (except between two values of the same second of which one has a fraction of a
//!   second); text compares by code point in [`Filter::matches`] and as the database orders
//!   it in SQL (code points in SQLite).
//! - `~` (contains) and `!~` (does not contain) apply to text, e-mail and url fields and
//!   ignore case.
//!
//! # Empty columns
//!
//! An empty column never equals, contains, or is less or greater than anything. The negative
//! operators include empty columns: `x != v` means "x is empty or differs from v", and
//! `x !~ t` means "x is empty or does not contain t". `not (...)` is the exact complement:
//! `not (amount > 10)` selects the amounts up to 10 and the empty ones. `x is empty` and
//! `x is not empty` test for a value.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, NaiveTime, SecondsFormat, Utc};
use rust_decimal::Decimal;

use crate::cell::{self, CellFormats};
use crate::schema::{Field, FieldType, LookupList, RecordType, Schema};
use crate::stored::{self, Stored, StoredKind};

/// How deeply parentheses and `not` may nest.
pub const MAX_DEPTH: usize = 64;

/// The system columns every record has, besides its fields.
pub const SYSTEM_COLUMNS: &[&str] = &["uuid", "created_at", "updated_at"];

/// A parsed filter: a condition on the stored columns of one record type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Every record.
    All,
    /// Records matching every part (none: every record).
    And(Vec<Filter>),
    /// Records matching at least one part (none: no record).
    Or(Vec<Filter>),
    /// Records not matching the inner filter.
    Not(Box<Filter>),
    /// A comparison of a column with a value.
    Compare {
        /// The SQL column: the field name, or a system column.
        column: String,
        /// How the column is stored, which decides how values compare.
        kind: StoredKind,
        /// The comparison.
        op: CompareOp,
        /// The value in stored form (never [`Stored::Null`] when parsed).
        value: Stored,
        /// Compare text ignoring case (e-mail addresses).
        ignore_case: bool,
    },
    /// Whether a column is empty.
    Empty {
        /// The SQL column.
        column: String,
        /// `true` for `is not empty`.
        negated: bool,
    },
    /// Whether a column contains a text, ignoring case.
    Contains {
        /// The SQL column.
        column: String,
        /// The text searched for, as written.
        text: String,
        /// `true` for `!~` (does not contain, or is empty).
        negated: bool,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `!=`: differs, or the column is empty.
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// The operator as written in filters.
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }

    /// Whether the operator compares order (`<`, `<=`, `>`, `>=`).
    pub fn is_ordering(self) -> bool {
        !matches!(self, CompareOp::Eq | CompareOp::Ne)
    }

    fn sql(self) -> &'static str {
        match self {
            CompareOp::Ne => "<>",
            other => other.symbol(),
        }
    }

    /// The operator that holds exactly when this one does not (on non-empty values).
    fn complement(self) -> CompareOp {
        match self {
            CompareOp::Eq => CompareOp::Ne,
            CompareOp::Ne => CompareOp::Eq,
            CompareOp::Lt => CompareOp::Ge,
            CompareOp::Le => CompareOp::Gt,
            CompareOp::Gt => CompareOp::Le,
            CompareOp::Ge => CompareOp::Lt,
        }
    }

    /// Whether the operator holds, given how the column compares with the value (`None`: the
    /// column is empty or not comparable).
    fn holds(self, ord: Option<Ordering>) -> bool {
        match self {
            CompareOp::Eq => ord == Some(Ordering::Equal),
            CompareOp::Ne => ord != Some(Ordering::Equal),
            CompareOp::Lt => ord == Some(Ordering::Less),
            CompareOp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
            CompareOp::Gt => ord == Some(Ordering::Greater),
            CompareOp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// A filter that cannot be used. Positions count bytes of the expression from 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// The expression is empty or only spaces.
    Empty,
    /// A quoted value or a label in backticks is not closed.
    Unclosed {
        /// Where the opening quote or backtick is.
        position: usize,
        /// `true` for a backtick, `false` for a double quote.
        backtick: bool,
    },
    /// A backslash inside quotes is followed by something other than `"` or `\`.
    BadEscape {
        /// Where the backslash is.
        position: usize,
        /// The character after it.
        escape: char,
    },
    /// Something else than the grammar allows at this point, or nothing where it needs more.
    Expected {
        /// Where it was expected.
        position: usize,
        /// What would be accepted, in words.
        expected: String,
        /// What was found, in words (`None` at the end of the expression).
        found: Option<String>,
        /// How to fix it, if there is more to say.
        hint: Option<String>,
    },
    /// No field, label or system column has this name.
    UnknownField {
        /// Where the name is.
        position: usize,
        /// The name as written.
        name: String,
        /// A field name or label close to it.
        suggestion: Option<String>,
        /// The columns of the record type.
        fields: Vec<String>,
    },
    /// The operator does not apply to the column's type.
    Operator {
        /// Where the operator is.
        position: usize,
        /// The operator as written.
        op: String,
        /// The column's label.
        column: String,
        /// The column's type, e.g. `select`.
        type_name: String,
        /// The operators that do apply, in words.
        instead: String,
    },
    /// The value is not one the column can hold.
    Value {
        /// Where the value is.
        position: usize,
        /// The column's label.
        column: String,
        /// What is wrong and what would be accepted (the cell parser's message).
        message: String,
    },
    /// Parentheses and `not` nest deeper than [`MAX_DEPTH`].
    TooDeep {
        /// Where the limit was passed.
        position: usize,
    },
}

impl FilterError {
    /// Where in the expression the problem is, in bytes from 0.
    pub fn position(&self) -> usize {
        match self {
            FilterError::Empty => 0,
            FilterError::Unclosed { position, .. }
            | FilterError::BadEscape { position, .. }
            | FilterError::Expected { position, .. }
            | FilterError::UnknownField { position, .. }
            | FilterError::Operator { position, .. }
            | FilterError::Value { position, .. }
            | FilterError::TooDeep { position } => *position,
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterError::Empty => f.write_str(
                "the filter is empty; expected a condition such as `FIELD = VALUE` or `FIELD is empty`",
            ),
            FilterError::Unclosed {
                position,
                backtick: false,
            } => write!(
                f,
                "the quote at position {position} is not closed; end the value with `\"`"
            ),
            FilterError::Unclosed {
                position,
                backtick: true,
            } => write!(
                f,
                "the backtick at position {position} is not closed; end the label with a backtick"
            ),
            FilterError::BadEscape { position, escape } => write!(
                f,
                "unknown escape `\\{escape}` at position {position}; inside quotes write `\\\"` for a quote and `\\\\` for a backslash"
            ),
            FilterError::Expected {
                position,
                expected,
                found,
                hint,
            } => {
                write!(f, "expected {expected} at position {position}")?;
                if let Some(found) = found {
                    write!(f, ", found {found}")?;
                }
                if let Some(hint) = hint {
                    write!(f, "; {hint}")?;
                }
                Ok(())
            }
            FilterError::UnknownField {
                position,
                name,
                suggestion,
                fields,
            } => {
                write!(f, "unknown field `{name}` at position {position}")?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean `{s}`? fields: ")?,
                    None => f.write_str("; fields: ")?,
                }
                f.write_str(&fields.join(", "))
            }
            FilterError::Operator {
                position,
                op,
                column,
                type_name,
                instead,
            } => {
                write!(
                    f,
                    "`{op}` does not apply to `{column}` ({} {type_name})",
                    article(type_name)
                )?;
                if op.contains('~') {
                    write!(f, " at position {position}: it searches text, email and url fields")?;
                } else {
                    write!(f, " at position {position}")?;
                }
                write!(f, "; use {instead}")
            }
            FilterError::Value {
                position,
                column,
                message,
            } => write!(
                f,
                "bad value for `{column}` at position {position}: {message}"
            ),
            FilterError::TooDeep { position } => write!(
                f,
                "the filter nests more than {MAX_DEPTH} levels of parentheses and `not` at position {position}; remove some"
            ),
        }
    }
}

fn article(word: &str) -> &'static str {
    match word.as_bytes().first() {
        Some(b'a' | b'e' | b'i' | b'o') => "an",
        _ => "a",
    }
}

/// Parses a filter on the records of `rt`, reading values with `formats`.
pub fn parse_filter(
    expr: &str,
    schema: &Schema,
    rt: &RecordType,
    formats: &CellFormats<'_>,
) -> Result<Filter, FilterError> {
    let tokens = lex(expr)?;
    if tokens.is_empty() {
        return Err(FilterError::Empty);
    }
    let mut p = Parser {
        tokens,
        next: 0,
        len: expr.len(),
        schema,
        rt,
        formats,
        depth: 0,
        last_value: None,
    };
    let filter = p.parse_or()?;
    if p.peek().is_some() {
        return Err(p.after_condition(None));
    }
    Ok(filter)
}

impl Filter {
    /// Whether a record matches; `get(column)` gives the stored value of a column (`None`
    /// counts as empty).
    pub fn matches(&self, get: &dyn Fn(&str) -> Option<Stored>) -> bool {
        match self {
            Filter::All => true,
            Filter::And(parts) => parts.iter().all(|p| p.matches(get)),
            Filter::Or(parts) => parts.iter().any(|p| p.matches(get)),
            Filter::Not(inner) => !inner.matches(get),
            Filter::Compare {
                column,
                kind,
                op,
                value,
                ignore_case,
            } => {
                let actual = get(column).unwrap_or(Stored::Null);
                op.holds(compare(*kind, *ignore_case, &actual, value))
            }
            Filter::Empty { column, negated } => {
                get(column).is_none_or(|v| v.is_null()) != *negated
            }
            Filter::Contains {
                column,
                text,
                negated,
            } => {
                let hit = match get(column) {
                    Some(Stored::Text(s)) => s.to_lowercase().contains(&text.to_lowercase()),
                    Some(Stored::Integer(i)) => i.to_string().contains(&text.to_lowercase()),
                    Some(Stored::Null) | None => false,
                };
                hit != *negated
            }
        }
    }

    /// SQL for a WHERE clause, and the values of its placeholders in order.
    ///
    /// Identifiers are double-quoted; values are placeholders made by `placeholder(n)`, `n`
    /// counting from 1 (`?1` for SQLite, `$1` for PostgreSQL). The SQL selects exactly the
    /// records [`Filter::matches`] accepts: `not` is pushed down to the conditions, so that
    /// empty columns never make a condition unknown. Wrap it in parentheses to combine it
    /// with other conditions.
    pub fn to_sql(&self, placeholder: &dyn Fn(usize) -> String) -> (String, Vec<Stored>) {
        let mut sql = String::new();
        let mut values = Vec::new();
        self.render(false, placeholder, &mut sql, &mut values);
        (sql, values)
    }

    /// Whether the SQL of this filter needs parentheses inside an AND or an OR.
    fn needs_parens(&self) -> bool {
        match self {
            Filter::And(parts) | Filter::Or(parts) => {
                parts.len() > 1 || parts.first().is_some_and(Filter::needs_parens)
            }
            Filter::Not(inner) => inner.needs_parens(),
            _ => false,
        }
    }

    fn render(
        &self,
        negated: bool,
        placeholder: &dyn Fn(usize) -> String,
        out: &mut String,
        values: &mut Vec<Stored>,
    ) {
        match self {
            Filter::All => out.push_str(if negated { "1=0" } else { "1=1" }),
            Filter::And(parts) | Filter::Or(parts) => {
                // De Morgan: a negated AND is an OR of negated parts, and the other way round.
                let and = matches!(self, Filter::And(_)) != negated;
                if parts.is_empty() {
                    out.push_str(if and { "1=1" } else { "1=0" });
                }
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push_str(if and { " AND " } else { " OR " });
                    }
                    let wrap = parts.len() > 1 && part.needs_parens();
                    if wrap {
                        out.push('(');
                    }
                    part.render(negated, placeholder, out, values);
                    if wrap {
                        out.push(')');
                    }
                }
            }
            Filter::Not(inner) => inner.render(!negated, placeholder, out, values),
            Filter::Compare {
                column,
                kind,
                op,
                value,
                ignore_case,
            } => {
                let col = quote_ident(column);
                values.push(value.clone());
                let p = placeholder(values.len());
                let (lhs, rhs) = if matches!(kind, StoredKind::Decimal { .. }) {
                    (
                        format!("CAST({col} AS NUMERIC)"),
                        format!("CAST({p} AS NUMERIC)"),
                    )
                } else if *ignore_case {
                    (format!("LOWER({col})"), format!("LOWER({p})"))
                } else {
                    (col.clone(), p)
                };
                let effective = if negated { op.complement() } else { *op };
                let cmp = format!("{lhs} {} {rhs}", effective.sql());
                // `!=` holds on empty columns, and so does the negation of every other operator.
                if (*op == CompareOp::Ne) != negated {
                    out.push_str(&format!("({col} IS NULL OR {cmp})"));
                } else {
                    out.push_str(&cmp);
                }
            }
            Filter::Empty {
                column,
                negated: not_empty,
            } => {
                let col = quote_ident(column);
                if *not_empty != negated {
                    out.push_str(&format!("{col} IS NOT NULL"));
                } else {
                    out.push_str(&format!("{col} IS NULL"));
                }
            }
            Filter::Contains {
                column,
                text,
                negated: not_contains,
            } => {
                let col = quote_ident(column);
                values.push(Stored::Text(like_escape(text)));
                let p = placeholder(values.len());
                if *not_contains != negated {
                    out.push_str(&format!(
                        "({col} IS NULL OR LOWER({col}) NOT LIKE '%' || LOWER({p}) || '%' ESCAPE '\\')"
                    ));
                } else {
                    out.push_str(&format!(
                        "LOWER({col}) LIKE '%' || LOWER({p}) || '%' ESCAPE '\\'"
                    ));
                }
            }
        }
    }
}

/// An SQL identifier in double quotes.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Text for a LIKE pattern with `\` as the escape character.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// How a stored column value compares with a filter value (`None`: empty or not comparable).
fn compare(
    kind: StoredKind,
    ignore_case: bool,
    actual: &Stored,
    value: &Stored,
) -> Option<Ordering> {
    if let StoredKind::Decimal { .. } = kind {
        return Some(decimal_of(actual)?.cmp(&decimal_of(value)?));
    }
    match (actual, value) {
        (Stored::Integer(a), Stored::Integer(b)) => Some(a.cmp(b)),
        (Stored::Text(a), Stored::Text(b)) if ignore_case => {
            Some(a.to_lowercase().cmp(&b.to_lowercase()))
        }
        (Stored::Text(a), Stored::Text(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn decimal_of(v: &Stored) -> Option<Decimal> {
    match v {
        Stored::Text(s) => s.trim().parse().ok(),
        Stored::Integer(i) => Some(Decimal::from(*i)),
        Stored::Null => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

/// An operator as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Compare(CompareOp),
    Contains { negated: bool },
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Compare(c) => c.symbol(),
            Op::Contains { negated: false } => "~",
            Op::Contains { negated: true } => "!~",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    Op(Op),
    /// A bare word: a field name, a keyword or a value.
    Word(String),
    /// A double-quoted value, unescaped.
    Quoted(String),
    /// A label in backticks.
    Label(String),
}

#[derive(Debug, Clone)]
struct Token<'e> {
    tok: Tok,
    /// Byte offset in the expression.
    start: usize,
    /// The token as written.
    src: &'e str,
}

/// Characters that end a bare word.
fn is_special(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '=' | '!' | '<' | '>' | '~' | '"' | '`')
}

fn lex(expr: &str) -> Result<Vec<Token<'_>>, FilterError> {
    let mut out = Vec::new();
    let mut chars = expr.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let mut followed_by = |want: char| chars.next_if(|&(_, c)| c == want).is_some();
        let tok = match c {
            '(' => Tok::Open,
            ')' => Tok::Close,
            '=' => Tok::Op(Op::Compare(CompareOp::Eq)),
            '~' => Tok::Op(Op::Contains { negated: false }),
            '<' if followed_by('=') => Tok::Op(Op::Compare(CompareOp::Le)),
            '<' => Tok::Op(Op::Compare(CompareOp::Lt)),
            '>' if followed_by('=') => Tok::Op(Op::Compare(CompareOp::Ge)),
            '>' => Tok::Op(Op::Compare(CompareOp::Gt)),
            '!' if followed_by('=') => Tok::Op(Op::Compare(CompareOp::Ne)),
            '!' if followed_by('~') => Tok::Op(Op::Contains { negated: true }),
            '!' => {
                return Err(FilterError::Expected {
                    position: start,
                    expected: "`!=` or `!~`".into(),
                    found: Some("`!`".into()),
                    hint: Some("quote values that contain `!`, as in `\"Hello!\"`".into()),
                });
            }
            '"' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return Err(FilterError::Unclosed {
                                position: start,
                                backtick: false,
                            });
                        }
                        Some((_, '"')) => break,
                        Some((at, '\\')) => match chars.next() {
                            Some((_, e @ ('"' | '\\'))) => s.push(e),
                            Some((_, escape)) => {
                                return Err(FilterError::BadEscape {
                                    position: at,
                                    escape,
                                });
                            }
                            None => {
                                return Err(FilterError::Unclosed {
                                    position: start,
                                    backtick: false,
                                });
                            }
                        },
                        Some((_, c)) => s.push(c),
                    }
                }
                Tok::Quoted(s)
            }
            '`' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return Err(FilterError::Unclosed {
                                position: start,
                                backtick: true,
                            });
                        }
                        Some((_, '`')) => break,
                        Some((_, c)) => s.push(c),
                    }
                }
                Tok::Label(s)
            }
            c => {
                let mut s = String::from(c);
                while let Some((_, c)) = chars.next_if(|&(_, c)| !is_special(c)) {
                    s.push(c);
                }
                Tok::Word(s)
            }
        };
        let end = chars.peek().map_or(expr.len(), |&(i, _)| i);
        out.push(Token {
            tok,
            start,
            src: expr.get(start..end).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// A token for messages: `` `DE` ``, or `the label `Account Name``.
fn describe(t: &Token<'_>) -> String {
    match &t.tok {
        Tok::Label(l) => format!("the label `{l}`"),
        _ => format!("`{}`", t.src),
    }
}

fn is_keyword(t: &Token<'_>, word: &str) -> bool {
    matches!(&t.tok, Tok::Word(w) if w.eq_ignore_ascii_case(word))
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

/// A column a condition is about.
#[derive(Debug, Clone, Copy)]
enum Column<'s> {
    Field(&'s Field),
    Uuid,
    CreatedAt,
    UpdatedAt,
}

impl Column<'_> {
    /// The SQL column.
    fn name(&self) -> &str {
        match self {
            Column::Field(f) => f.name.as_str(),
            Column::Uuid => "uuid",
            Column::CreatedAt => "created_at",
            Column::UpdatedAt => "updated_at",
        }
    }

    /// The name users see.
    fn label(&self) -> &str {
        match self {
            Column::Field(f) => &f.label,
            _ => self.name(),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Column::Field(f) => f.field_type.name(),
            Column::Uuid => "uuid",
            Column::CreatedAt | Column::UpdatedAt => "datetime",
        }
    }

    fn kind(&self) -> StoredKind {
        match self {
            Column::Field(f) => stored::kind_of(f),
            Column::Uuid => StoredKind::Uuid,
            Column::CreatedAt | Column::UpdatedAt => StoredKind::DateTime,
        }
    }

    fn allows_ordering(&self) -> bool {
        match self {
            Column::Field(f) => matches!(
                f.field_type,
                FieldType::Integer { .. }
                    | FieldType::Decimal { .. }
                    | FieldType::Date
                    | FieldType::DateTime
                    | FieldType::Text(_)
            ),
            Column::Uuid => false,
            Column::CreatedAt | Column::UpdatedAt => true,
        }
    }

    fn allows_contains(&self) -> bool {
        matches!(self, Column::Field(f) if matches!(
            f.field_type,
            FieldType::Text(_) | FieldType::Email | FieldType::Url
        ))
    }

    /// The operators that apply, in words.
    fn operators(&self) -> &'static str {
        match (self.allows_ordering(), self.allows_contains()) {
            (true, true) => "`=`, `!=`, `<`, `<=`, `>`, `>=`, `~` or `!~`",
            (true, false) => "`=`, `!=`, `<`, `<=`, `>` or `>=`",
            (false, true) => "`=`, `!=`, `~` or `!~`",
            (false, false) => "`=` or `!=`",
        }
    }
}

struct Parser<'e, 's, 'f> {
    tokens: Vec<Token<'e>>,
    next: usize,
    /// Length of the expression: the position of its end.
    len: usize,
    schema: &'s Schema,
    rt: &'s RecordType,
    formats: &'f CellFormats<'f>,
    depth: usize,
    /// The index of the last token read as the value of a comparison.
    last_value: Option<usize>,
}

impl<'e, 's> Parser<'e, 's, '_> {
    fn peek(&self) -> Option<&Token<'e>> {
        self.tokens.get(self.next)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token<'e>> {
        self.tokens.get(self.next + ahead)
    }

    fn bump(&mut self) -> Option<Token<'e>> {
        let t = self.tokens.get(self.next).cloned();
        if t.is_some() {
            self.next += 1;
        }
        t
    }

    /// The position of the next token, or the end.
    fn here(&self) -> usize {
        self.peek().map_or(self.len, |t| t.start)
    }

    fn previous(&self) -> Option<&Token<'e>> {
        self.next.checked_sub(1).and_then(|i| self.tokens.get(i))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        if self.peek().is_some_and(|t| is_keyword(t, word)) {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn parse_or(&mut self) -> Result<Filter, FilterError> {
        let mut parts = vec![self.parse_and()?];
        while self.eat_keyword("or") {
            parts.push(self.parse_and()?);
        }
        Ok(join(parts, false))
    }

    fn parse_and(&mut self) -> Result<Filter, FilterError> {
        let mut parts = vec![self.parse_unary()?];
        while self.eat_keyword("and") {
            parts.push(self.parse_unary()?);
        }
        Ok(join(parts, true))
    }

    fn parse_unary(&mut self) -> Result<Filter, FilterError> {
        if self.depth >= MAX_DEPTH {
            return Err(FilterError::TooDeep {
                position: self.here(),
            });
        }
        self.depth += 1;
        let result = self.parse_unary_inner();
        self.depth -= 1;
        result
    }

    fn parse_unary_inner(&mut self) -> Result<Filter, FilterError> {
        let Some(t) = self.peek() else {
            return Err(self.expected_condition());
        };
        // `not` is a keyword unless a field named `not` is being compared.
        let not = is_keyword(t, "not")
            && !self
                .peek_at(1)
                .is_some_and(|n| matches!(n.tok, Tok::Op(_)) || is_keyword(n, "is"));
        if not {
            self.next += 1;
            return Ok(Filter::Not(Box::new(self.parse_unary()?)));
        }
        if t.tok == Tok::Open {
            let open = t.start;
            self.next += 1;
            let inner = self.parse_or()?;
            return match self.peek() {
                Some(t) if t.tok == Tok::Close => {
                    self.next += 1;
                    Ok(inner)
                }
                _ => Err(self.after_condition(Some(open))),
            };
        }
        self.parse_condition()
    }

    fn expected_condition(&self) -> FilterError {
        let expected = match self.previous() {
            Some(p) => format!("a condition after `{}`", p.src),
            None => "a condition".to_string(),
        };
        FilterError::Expected {
            position: self.here(),
            expected,
            found: self.peek().map(describe),
            hint: None,
        }
    }

    /// The error when a condition is complete and neither `and`, `or`, `)` (when `open`
    /// holds the position of an open parenthesis) nor the end follows.
    fn after_condition(&self, open: Option<usize>) -> FilterError {
        let expected = if open.is_some() {
            "`and`, `or` or `)`"
        } else {
            "`and`, `or` or the end of the filter"
        };
        let next = self.peek();
        let value = self
            .previous()
            .filter(|_| self.last_value.is_some_and(|i| i + 1 == self.next));
        let hint = match (next.map(|t| &t.tok), value.map(|t| &t.tok), open) {
            (None, _, Some(open)) => Some(format!("close the `(` at position {open}")),
            (Some(Tok::Close), _, None) => Some("there is no `(` to close".to_string()),
            (Some(Tok::Word(w) | Tok::Quoted(w)), Some(Tok::Word(v) | Tok::Quoted(v)), _) => {
                Some(format!(
                    "quote a value with spaces, as in `\"{}\"`",
                    format!("{v} {w}")
                        .replace('\\', "\\\\")
                        .replace('"', "\\\"")
                ))
            }
            _ => None,
        };
        FilterError::Expected {
            position: self.here(),
            expected: expected.to_string(),
            found: next.map(describe),
            hint,
        }
    }

    fn parse_condition(&mut self) -> Result<Filter, FilterError> {
        let Some(t) = self.peek().cloned() else {
            return Err(self.expected_condition());
        };
        // `and` and `or` cannot start a condition, unless a field has that name.
        let keyword = is_keyword(&t, "and") || is_keyword(&t, "or");
        let column = match &t.tok {
            Tok::Word(w) if !keyword || self.rt.field(w).is_some() => self.resolve(w, &t)?,
            Tok::Label(l) => self.resolve(l, &t)?,
            Tok::Quoted(_) => {
                return Err(FilterError::Expected {
                    position: t.start,
                    expected: "a field name or a label in backticks".into(),
                    found: Some(describe(&t)),
                    hint: Some("write labels in backticks, as in `` `Account Name` ``".into()),
                });
            }
            _ => return Err(self.expected_condition()),
        };
        self.next += 1;
        let after = t.src;
        match self.peek().map(|t| t.tok.clone()) {
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("is") => {
                self.next += 1;
                let negated = self.eat_keyword("not");
                if self.eat_keyword("empty") {
                    return Ok(Filter::Empty {
                        column: column.name().to_string(),
                        negated,
                    });
                }
                Err(FilterError::Expected {
                    position: self.here(),
                    expected: if negated {
                        "`empty` after `is not`".into()
                    } else {
                        "`empty` or `not empty` after `is`".into()
                    },
                    found: self.peek().map(describe),
                    hint: None,
                })
            }
            Some(Tok::Op(op)) => {
                let op_start = self.here();
                self.next += 1;
                let value = match self.bump() {
                    Some(Token {
                        tok: Tok::Word(v) | Tok::Quoted(v),
                        start,
                        ..
                    }) => {
                        self.last_value = self.next.checked_sub(1);
                        (v, start)
                    }
                    other => {
                        let hint = match other.as_ref().map(|t| &t.tok) {
                            Some(Tok::Op(Op::Compare(CompareOp::Eq)))
                                if op == Op::Compare(CompareOp::Eq) =>
                            {
                                Some("write a single `=`".to_string())
                            }
                            Some(Tok::Op(Op::Compare(CompareOp::Gt)))
                                if op == Op::Compare(CompareOp::Lt) =>
                            {
                                Some("write `!=` for \"differs\"".to_string())
                            }
                            Some(Tok::Label(_)) => Some(
                                "write values in double quotes, as in `\"Acme Inc\"`".to_string(),
                            ),
                            _ => None,
                        };
                        return Err(FilterError::Expected {
                            position: other.as_ref().map_or(self.len, |t| t.start),
                            expected: format!("a value after `{}`", op.symbol()),
                            found: other.as_ref().map(describe),
                            hint,
                        });
                    }
                };
                self.condition(column, op, op_start, &value.0, value.1)
            }
            _ => Err(FilterError::Expected {
                position: self.here(),
                expected: format!(
                    "an operator (`=`, `!=`, `<`, `<=`, `>`, `>=`, `~`, `!~`) or `is empty` after `{after}`"
                ),
                found: self.peek().map(describe),
                hint: None,
            }),
        }
    }

    /// The column a name or label stands for.
    fn resolve(&self, name: &str, t: &Token<'_>) -> Result<Column<'s>, FilterError> {
        if let Some(f) = self.rt.field(name) {
            return Ok(Column::Field(f));
        }
        match name {
            "uuid" => return Ok(Column::Uuid),
            "created_at" => return Ok(Column::CreatedAt),
            "updated_at" => return Ok(Column::UpdatedAt),
            _ => {}
        }
        let lower = name.trim().to_lowercase();
        if let Some(f) = self
            .rt
            .fields
            .iter()
            .find(|f| f.label.to_lowercase() == lower)
        {
            return Ok(Column::Field(f));
        }
        if self.rt.uuid_header().to_lowercase() == lower {
            return Ok(Column::Uuid);
        }
        let candidates = self
            .rt
            .fields
            .iter()
            .flat_map(|f| [f.name.as_str(), f.label.as_str()])
            .chain(SYSTEM_COLUMNS.iter().copied());
        let mut best: Option<(f64, &str)> = None;
        for c in candidates {
            let score = strsim::normalized_damerau_levenshtein(&lower, &c.to_lowercase());
            if score >= 0.7 && best.is_none_or(|(b, _)| score > b) {
                best = Some((score, c));
            }
        }
        Err(FilterError::UnknownField {
            position: t.start,
            name: name.to_string(),
            suggestion: best.map(|(_, c)| c.to_string()),
            fields: self
                .rt
                .fields
                .iter()
                .map(|f| f.name.to_string())
                .chain(SYSTEM_COLUMNS.iter().map(|c| (*c).to_string()))
                .collect(),
        })
    }

    /// A comparison or a search, once column, operator and value are read.
    fn condition(
        &self,
        column: Column<'s>,
        op: Op,
        op_start: usize,
        raw: &str,
        value_start: usize,
    ) -> Result<Filter, FilterError> {
        let refuse = || FilterError::Operator {
            position: op_start,
            op: op.symbol().to_string(),
            column: column.label().to_string(),
            type_name: column.type_name().to_string(),
            instead: column.operators().to_string(),
        };
        let bad_value = |message: String| FilterError::Value {
            position: value_start,
            column: column.label().to_string(),
            message,
        };
        let name = column.name();
        match op {
            Op::Contains { negated } => {
                if !column.allows_contains() {
                    return Err(refuse());
                }
                if raw.is_empty() {
                    return Err(bad_value(format!(
                        "there is nothing to search for; write `{name} is not empty` for the records with a value"
                    )));
                }
                Ok(Filter::Contains {
                    column: name.to_string(),
                    text: raw.to_string(),
                    negated,
                })
            }
            Op::Compare(op) => {
                if op.is_ordering() && !column.allows_ordering() {
                    return Err(refuse());
                }
                if raw.trim().is_empty() {
                    return Err(bad_value(format!(
                        "an empty value matches nothing; write `{name} is empty` or `{name} is not empty`"
                    )));
                }
                let value = self.value(column, op, raw).map_err(bad_value)?;
                Ok(Filter::Compare {
                    column: name.to_string(),
                    kind: column.kind(),
                    op,
                    value,
                    ignore_case: matches!(column, Column::Field(f) if matches!(f.field_type, FieldType::Email)),
                })
            }
        }
    }

    /// The stored form of a value compared with `column`, or the message saying why it
    /// cannot be one.
    fn value(&self, column: Column<'s>, op: CompareOp, raw: &str) -> Result<Stored, String> {
        let field = match column {
            Column::Field(f) => f,
            Column::Uuid => {
                return cell::parse_uuid(raw)
                    .map(|u| Stored::Text(stored::uuid_text(&u)))
                    .map_err(|e| e.message);
            }
            Column::CreatedAt | Column::UpdatedAt => {
                return datetime_value(raw, self.formats, op, column);
            }
        };
        let list: Option<&LookupList> = field.field_type.list().and_then(|l| self.schema.list(l));
        let formats = self.formats;
        match &field.field_type {
            FieldType::Link(link) => match uuid::Uuid::try_parse(raw.trim()) {
                Ok(u) => Ok(Stored::Text(stored::uuid_text(&u))),
                Err(_) => Err(format!(
                    "`{}` is not a UUID; `{}` links to `{}` records, and a filter on it takes the UUID of one, such as `0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70`",
                    raw.trim(),
                    field.label,
                    link.target
                )),
            },
            FieldType::DateTime => datetime_value(raw, formats, op, column),
            // Bounds are not values: the field's limits do not apply to them.
            FieldType::Integer { .. } if op.is_ordering() => {
                cell::parse_integer(raw, formats.number, None, None)
                    .map(Stored::Integer)
                    .map_err(|e| e.message)
            }
            FieldType::Decimal { .. } if op.is_ordering() => {
                // 28 is the most places a decimal can have.
                cell::parse_decimal(raw, formats.number, 28, None, None)
                    .map(|d| Stored::Text(d.to_string()))
                    .map_err(|e| e.message)
            }
            FieldType::Text(_) if op.is_ordering() => Ok(Stored::Text(raw.to_string())),
            _ => {
                let v = cell::parse(field, list, raw, formats, None).map_err(|e| e.message)?;
                stored::to_stored(&v, field, list).ok_or_else(|| {
                    format!("`{}` cannot be compared with `{}`", raw.trim(), field.label)
                })
            }
        }
    }
}

/// A datetime bound or value: a date and time, or a date alone for midnight UTC.
fn datetime_value(
    raw: &str,
    formats: &CellFormats<'_>,
    op: CompareOp,
    column: Column<'_>,
) -> Result<Stored, String> {
    let s = raw.trim();
    if let Some(date) = cell::read_date(s, formats.date) {
        let iso = date.format("%Y-%m-%d");
        if !op.is_ordering() {
            let next = date
                .succ_opt()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            let name = column.name();
            return Err(format!(
                "`{s}` is a date alone, which means {iso}T00:00:00Z here, so `{op}` would compare with that instant only; for the whole day write `{name} >= {iso} and {name} < {next}`"
            ));
        }
        return Ok(stored_datetime(date.and_time(NaiveTime::MIN).and_utc()));
    }
    cell::parse_datetime(s, formats.datetime)
        .map(stored_datetime)
        .map_err(|e| {
            format!(
                "{}, or a date alone such as `2024-03-01` for midnight UTC",
                e.message
            )
        })
}

/// A date-time as stored (see [`stored::to_stored`]).
fn stored_datetime(t: DateTime<Utc>) -> Stored {
    Stored::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// Several parts joined by AND (`and`) or OR, nested parts of the same kind flattened.
fn join(parts: Vec<Filter>, and: bool) -> Filter {
    let mut flat = Vec::with_capacity(parts.len());
    for p in parts {
        match p {
            Filter::And(inner) if and => flat.extend(inner),
            Filter::Or(inner) if !and => flat.extend(inner),
            other => flat.push(other),
        }
    }
    if flat.len() == 1
        && let Some(only) = flat.pop()
    {
        return only;
    }
    if and {
        Filter::And(flat)
    } else {
        Filter::Or(flat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::NumberFormat;
    use crate::demo;
    use proptest::prelude::*;

    fn schema() -> Schema {
        demo::demo("crm").unwrap().schema().unwrap()
    }

    fn parse_on(schema: &Schema, type_name: &str, expr: &str) -> Result<Filter, FilterError> {
        let rt = schema.record_type(type_name).unwrap();
        let l = &schema.locale;
        let formats = CellFormats {
            number: NumberFormat {
                decimal: l.decimal_separator,
                thousands: l.thousands_separator,
            },
            date: &l.date_format,
            datetime: &l.datetime_format,
            phone_region: l.phone_region.as_deref().and_then(cell::phone_region),
        };
        parse_filter(expr, schema, rt, &formats)
    }

    fn show(v: &Stored) -> String {
        match v {
            Stored::Null => "NULL".into(),
            Stored::Integer(i) => i.to_string(),
            Stored::Text(s) => format!("{s:?}"),
        }
    }

    /// The SQL of a filter on `type_name` and its values, or the error.
    fn check_on(type_name: &str, expr: &str) -> String {
        match parse_on(&schema(), type_name, expr) {
            Ok(f) => {
                let (sql, values) = f.to_sql(&|n| format!("?{n}"));
                if values.is_empty() {
                    sql
                } else {
                    let values: Vec<String> = values.iter().map(show).collect();
                    format!("{sql} -- {}", values.join(", "))
                }
            }
            Err(e) => format!("error: {e}"),
        }
    }

    fn check(expr: &str) -> String {
        check_on("account", expr)
    }

    fn text(s: &str) -> Stored {
        Stored::Text(s.into())
    }

    /// Four accounts, by name.
    fn accounts() -> Vec<(&'static str, Vec<(&'static str, Stored)>)> {
        vec![
            (
                "A",
                vec![
                    ("name", text("Acme, Inc.")),
                    ("country", text("DE")),
                    ("annual_revenue", text("9.50")),
                    ("employees", Stored::Integer(10)),
                    ("description", text("Makes 100% cotton_shirts")),
                    ("created_at", text("2024-02-29T23:59:59Z")),
                ],
            ),
            (
                "B",
                vec![
                    ("name", text("Bolt")),
                    ("country", text("FR")),
                    ("annual_revenue", text("100.00")),
                    ("employees", Stored::Integer(250)),
                    ("created_at", text("2024-03-01T00:00:00Z")),
                ],
            ),
            (
                "C",
                vec![
                    ("name", text("cargo")),
                    ("annual_revenue", text("10.00")),
                    ("description", text("Back\\slash")),
                    ("created_at", text("2024-03-01T08:30:00Z")),
                ],
            ),
            (
                "D",
                vec![
                    ("name", text("Delta \"D\" Ltd")),
                    ("country", text("US")),
                    ("employees", Stored::Integer(0)),
                    ("created_at", text("2024-03-02T00:00:00Z")),
                ],
            ),
        ]
    }

    /// The accounts a filter matches, by name.
    fn hits(expr: &str) -> String {
        let f = match parse_on(&schema(), "account", expr) {
            Ok(f) => f,
            Err(e) => return format!("error: {e}"),
        };
        let names: Vec<&str> = accounts()
            .into_iter()
            .filter(|(_, cols)| {
                f.matches(&|c| cols.iter().find(|(n, _)| *n == c).map(|(_, v)| v.clone()))
            })
            .map(|(n, _)| n)
            .collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(" ")
        }
    }

    #[test]
    fn every_operator() {
        insta::assert_snapshot!(check("country = DE"), @r#""country" = ?1 -- "DE""#);
        insta::assert_snapshot!(check("country != DE"), @r#"("country" IS NULL OR "country" <> ?1) -- "DE""#);
        insta::assert_snapshot!(check("employees < 10"), @r#""employees" < ?1 -- 10"#);
        insta::assert_snapshot!(check("employees <= 10"), @r#""employees" <= ?1 -- 10"#);
        insta::assert_snapshot!(check("employees > 1,250"), @r#""employees" > ?1 -- 1250"#);
        insta::assert_snapshot!(check("employees >= 10"), @r#""employees" >= ?1 -- 10"#);
        insta::assert_snapshot!(check("name ~ acme"), @r#"LOWER("name") LIKE '%' || LOWER(?1) || '%' ESCAPE '\' -- "acme""#);
        insta::assert_snapshot!(check("name !~ acme"), @r#"("name" IS NULL OR LOWER("name") NOT LIKE '%' || LOWER(?1) || '%' ESCAPE '\') -- "acme""#);
        insta::assert_snapshot!(check("country is empty"), @r#""country" IS NULL"#);
        insta::assert_snapshot!(check("country IS NOT EMPTY"), @r#""country" IS NOT NULL"#);
        insta::assert_snapshot!(check("employees>=10"), @r#""employees" >= ?1 -- 10"#);
    }

    #[test]
    fn every_operator_matches() {
        insta::assert_snapshot!(hits("country = DE"), @"A");
        insta::assert_snapshot!(hits("country != DE"), @"B C D");
        insta::assert_snapshot!(hits("employees < 10"), @"D");
        insta::assert_snapshot!(hits("employees <= 10"), @"A D");
        insta::assert_snapshot!(hits("employees > 10"), @"B");
        insta::assert_snapshot!(hits("employees >= 10"), @"A B");
        insta::assert_snapshot!(hits("name ~ ACME"), @"A");
        insta::assert_snapshot!(hits("name !~ acme"), @"B C D");
        insta::assert_snapshot!(hits("description !~ cotton"), @"B C D");
        insta::assert_snapshot!(hits("country is empty"), @"C");
        insta::assert_snapshot!(hits("country is not empty"), @"A B D");
        insta::assert_snapshot!(hits("name < C"), @"A B");
    }

    #[test]
    fn and_binds_tighter_than_or() {
        insta::assert_snapshot!(check("country = DE or country = FR and employees > 100"), @r#""country" = ?1 OR ("country" = ?2 AND "employees" > ?3) -- "DE", "FR", 100"#);
        insta::assert_snapshot!(check("country = DE and employees > 1 or country = FR"), @r#"("country" = ?1 AND "employees" > ?2) OR "country" = ?3 -- "DE", 1, "FR""#);
        insta::assert_snapshot!(check("country = DE AND employees > 1 And name ~ a"), @r#""country" = ?1 AND "employees" > ?2 AND LOWER("name") LIKE '%' || LOWER(?3) || '%' ESCAPE '\' -- "DE", 1, "a""#);
        insta::assert_snapshot!(hits("country = US or country = FR and employees > 1000"), @"D");
        insta::assert_snapshot!(hits("country = FR and employees > 100 or country = US"), @"B D");
    }

    #[test]
    fn parentheses_group() {
        insta::assert_snapshot!(check("(country = DE or country = FR) and employees > 100"), @r#"("country" = ?1 OR "country" = ?2) AND "employees" > ?3 -- "DE", "FR", 100"#);
        insta::assert_snapshot!(check("((country = DE))"), @r#""country" = ?1 -- "DE""#);
        insta::assert_snapshot!(check("(country = DE and employees > 1) and name ~ x"), @r#""country" = ?1 AND "employees" > ?2 AND LOWER("name") LIKE '%' || LOWER(?3) || '%' ESCAPE '\' -- "DE", 1, "x""#);
        insta::assert_snapshot!(hits("(country = US or country = FR) and employees > 100"), @"B");
    }

    #[test]
    fn not_is_the_exact_complement() {
        insta::assert_snapshot!(check("not (country = DE)"), @r#"("country" IS NULL OR "country" <> ?1) -- "DE""#);
        insta::assert_snapshot!(check("not country != DE"), @r#""country" = ?1 -- "DE""#);
        insta::assert_snapshot!(check("NOT (employees > 10 or country is empty)"), @r#"("employees" IS NULL OR "employees" <= ?1) AND "country" IS NOT NULL -- 10"#);
        insta::assert_snapshot!(check("not (name ~ a and description !~ b)"), @r#"("name" IS NULL OR LOWER("name") NOT LIKE '%' || LOWER(?1) || '%' ESCAPE '\') OR LOWER("description") LIKE '%' || LOWER(?2) || '%' ESCAPE '\' -- "a", "b""#);
        insta::assert_snapshot!(check("not not country = DE"), @r#""country" = ?1 -- "DE""#);
        insta::assert_snapshot!(hits("not (employees > 10)"), @"A C D");
        insta::assert_snapshot!(hits("not (country = DE or country is empty)"), @"B D");
        assert_eq!(Filter::All.to_sql(&|n| format!("?{n}")).0, "1=1");
        assert_eq!(
            Filter::Not(Box::new(Filter::All))
                .to_sql(&|n| format!("?{n}"))
                .0,
            "1=0"
        );
        assert_eq!(Filter::Or(vec![]).to_sql(&|n| format!("?{n}")).0, "1=0");
    }

    #[test]
    fn labels_in_backticks_and_system_columns() {
        insta::assert_snapshot!(check("`Account Name` = Bolt"), @r#""name" = ?1 -- "Bolt""#);
        insta::assert_snapshot!(check("`annual revenue` > 5"), @r#"CAST("annual_revenue" AS NUMERIC) > CAST(?1 AS NUMERIC) -- "5""#);
        insta::assert_snapshot!(check("Industry = Retail"), @r#""industry" = ?1 -- "RET""#);
        insta::assert_snapshot!(check("uuid = 0191D6A2-7C4E-7B3A-9F1E-2B8C4D5E6F70"), @r#""uuid" = ?1 -- "0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70""#);
        insta::assert_snapshot!(check("`Account UUID` != 0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70"), @r#"("uuid" IS NULL OR "uuid" <> ?1) -- "0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70""#);
        insta::assert_snapshot!(check("created_at >= 2024-03-01"), @r#""created_at" >= ?1 -- "2024-03-01T00:00:00Z""#);
        insta::assert_snapshot!(check("updated_at < 2024-03-01T10:00:00+02:00"), @r#""updated_at" < ?1 -- "2024-03-01T08:00:00Z""#);
        insta::assert_snapshot!(hits("created_at >= 2024-03-01 and created_at < 2024-03-02"), @"B C");
    }

    #[test]
    fn values_are_read_by_the_field_parser() {
        // Options by label or code, dates in the workspace format, links and booleans.
        insta::assert_snapshot!(check("country = Germany"), @r#""country" = ?1 -- "DE""#);
        insta::assert_snapshot!(check("customer_tier = GOLD"), @r#""customer_tier" = ?1 -- "gold""#);
        insta::assert_snapshot!(check_on("contact", "birth_date > 01/03/2024"), @r#""birth_date" > ?1 -- "2024-03-01""#);
        insta::assert_snapshot!(check_on("contact", "birth_date = 1985-02-14"), @r#""birth_date" = ?1 -- "1985-02-14""#);
        insta::assert_snapshot!(check_on("contact", "subscribed = yes"), @r#""subscribed" = ?1 -- 1"#);
        insta::assert_snapshot!(check_on("contact", "roles = administrator/europe/france"), @r#""roles" = ?1 -- "Administrator/Europe/France""#);
        insta::assert_snapshot!(check_on("contact", "phone = \"020 7946 0958\""), @r#""phone" = ?1 -- "+442079460958""#);
        insta::assert_snapshot!(check_on("contact", "account = 0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70"), @r#""account" = ?1 -- "0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70""#);
        insta::assert_snapshot!(check_on("opportunity", "products_area = \"Software; Hardware\""), @r#""products_area" = ?1 -- "HW;SW""#);
        insta::assert_snapshot!(check_on("interaction", "occurred_at > \"14/03/2025 09:30\""), @r#""occurred_at" > ?1 -- "2025-03-14T09:30:00Z""#);
        insta::assert_snapshot!(check_on("interaction", "occurred_at < 15/03/2025"), @r#""occurred_at" < ?1 -- "2025-03-15T00:00:00Z""#);
        insta::assert_snapshot!(check_on("lead", "currency = eur"), @r#""currency" = ?1 -- "EUR""#);
        // Bounds are not held to the field's limits.
        insta::assert_snapshot!(check_on("opportunity", "probability < 101"), @r#""probability" < ?1 -- 101"#);
        insta::assert_snapshot!(check("annual_revenue > 10.005"), @r#"CAST("annual_revenue" AS NUMERIC) > CAST(?1 AS NUMERIC) -- "10.005""#);
        insta::assert_snapshot!(check("name >= \"\u{1}\""), @r#""name" >= ?1 -- "\u{1}""#);
    }

    #[test]
    fn quoting_and_escapes() {
        insta::assert_snapshot!(check(r#"name = "Acme, Inc.""#), @r#""name" = ?1 -- "Acme, Inc.""#);
        insta::assert_snapshot!(check(r#"name = "Delta \"D\" Ltd""#), @r#""name" = ?1 -- "Delta \"D\" Ltd""#);
        insta::assert_snapshot!(check(r#"description ~ "back\\slash""#), @r#"LOWER("description") LIKE '%' || LOWER(?1) || '%' ESCAPE '\' -- "back\\\\slash""#);
        insta::assert_snapshot!(check(r#"name = "and""#), @r#""name" = ?1 -- "and""#);
        insta::assert_snapshot!(check("name = or"), @r#""name" = ?1 -- "or""#);
        insta::assert_snapshot!(hits(r#"name = "Delta \"D\" Ltd""#), @"D");
        insta::assert_snapshot!(hits(r#"name = "Acme, Inc.""#), @"A");
        insta::assert_snapshot!(hits(r#"description ~ "back\\slash""#), @"C");
    }

    #[test]
    fn contains_escapes_like_wildcards() {
        insta::assert_snapshot!(check("description ~ \"100% cotton_\""), @r#"LOWER("description") LIKE '%' || LOWER(?1) || '%' ESCAPE '\' -- "100\\% cotton\\_""#);
        insta::assert_snapshot!(hits("description ~ \"100% COTTON_\""), @"A");
        insta::assert_snapshot!(hits("description ~ \"1_0\""), @"none");
    }

    #[test]
    fn decimals_compare_as_numbers() {
        insta::assert_snapshot!(check("annual_revenue > 9.6"), @r#"CAST("annual_revenue" AS NUMERIC) > CAST(?1 AS NUMERIC) -- "9.6""#);
        insta::assert_snapshot!(check("annual_revenue = 10"), @r#"CAST("annual_revenue" AS NUMERIC) = CAST(?1 AS NUMERIC) -- "10.00""#);
        insta::assert_snapshot!(check("annual_revenue != 10"), @r#"("annual_revenue" IS NULL OR CAST("annual_revenue" AS NUMERIC) <> CAST(?1 AS NUMERIC)) -- "10.00""#);
        // As text, "100.00" < "9.6" and "10.00" < "9.6".
        insta::assert_snapshot!(hits("annual_revenue > 9.6"), @"B C");
        insta::assert_snapshot!(hits("annual_revenue <= 10"), @"A C");
        insta::assert_snapshot!(hits("annual_revenue = 10.0"), @"C");
        insta::assert_snapshot!(hits("annual_revenue != 10"), @"A B D");
        insta::assert_snapshot!(hits("annual_revenue is empty"), @"D");
    }

    #[test]
    fn emails_are_equal_ignoring_case() {
        insta::assert_snapshot!(check_on("contact", "email = Bob@Example.COM"), @r#"LOWER("email") = LOWER(?1) -- "Bob@Example.COM""#);
        insta::assert_snapshot!(check_on("contact", "email != bob@example.com"), @r#"("email" IS NULL OR LOWER("email") <> LOWER(?1)) -- "bob@example.com""#);
        let schema = schema();
        let f = parse_on(&schema, "contact", "email = bob@example.COM").unwrap();
        assert!(f.matches(&|c| (c == "email").then(|| text("Bob@Example.com"))));
        assert!(!f.matches(&|_| None));
        let f = parse_on(&schema, "account", "name = acme").unwrap();
        assert!(
            !f.matches(&|_| Some(text("Acme"))),
            "text is case-sensitive"
        );
    }

    #[test]
    fn errors() {
        insta::assert_snapshot!(check(""), @"error: the filter is empty; expected a condition such as `FIELD = VALUE` or `FIELD is empty`");
        insta::assert_snapshot!(check("contry = DE"), @"error: unknown field `contry` at position 0; did you mean `country`? fields: parent_account, name, account_type, industry, customer_tier, country, website, phone, annual_revenue, employees, description, uuid, created_at, updated_at");
        insta::assert_snapshot!(check("`Acount Name` = x"), @"error: unknown field `Acount Name` at position 0; did you mean `Account Name`? fields: parent_account, name, account_type, industry, customer_tier, country, website, phone, annual_revenue, employees, description, uuid, created_at, updated_at");
        insta::assert_snapshot!(check("xyz = 1"), @"error: unknown field `xyz` at position 0; fields: parent_account, name, account_type, industry, customer_tier, country, website, phone, annual_revenue, employees, description, uuid, created_at, updated_at");
        insta::assert_snapshot!(check("country ="), @"error: expected a value after `=` at position 9");
        insta::assert_snapshot!(check("country == DE"), @"error: expected a value after `=` at position 9, found `=`; write a single `=`");
        insta::assert_snapshot!(check("country <> DE"), @"error: expected a value after `<` at position 9, found `>`; write `!=` for \"differs\"");
        insta::assert_snapshot!(check("name = `Acme`"), @"error: expected a value after `=` at position 7, found the label `Acme`; write values in double quotes, as in `\"Acme Inc\"`");
        insta::assert_snapshot!(check("country"), @"error: expected an operator (`=`, `!=`, `<`, `<=`, `>`, `>=`, `~`, `!~`) or `is empty` after `country` at position 7");
        insta::assert_snapshot!(check("country DE"), @"error: expected an operator (`=`, `!=`, `<`, `<=`, `>`, `>=`, `~`, `!~`) or `is empty` after `country` at position 8, found `DE`");
        insta::assert_snapshot!(check("country is"), @"error: expected `empty` or `not empty` after `is` at position 10");
        insta::assert_snapshot!(check("country is null"), @"error: expected `empty` or `not empty` after `is` at position 11, found `null`");
        insta::assert_snapshot!(check("country is not"), @"error: expected `empty` after `is not` at position 14");
        insta::assert_snapshot!(check("name = Acme Inc"), @r#"error: expected `and`, `or` or the end of the filter at position 12, found `Inc`; quote a value with spaces, as in `"Acme Inc"`"#);
        insta::assert_snapshot!(check("country is empty DE"), @"error: expected `and`, `or` or the end of the filter at position 17, found `DE`");
        insta::assert_snapshot!(check(r#"name = "Acme" Inc"#), @r#"error: expected `and`, `or` or the end of the filter at position 14, found `Inc`; quote a value with spaces, as in `"Acme Inc"`"#);
        insta::assert_snapshot!(check("country = DE)"), @"error: expected `and`, `or` or the end of the filter at position 12, found `)`; there is no `(` to close");
        insta::assert_snapshot!(check("(country = DE"), @"error: expected `and`, `or` or `)` at position 13; close the `(` at position 0");
        insta::assert_snapshot!(check("(country = DE (x"), @"error: expected `and`, `or` or `)` at position 14, found `(`");
        insta::assert_snapshot!(check("country = DE and"), @"error: expected a condition after `and` at position 16");
        insta::assert_snapshot!(check("and country = DE"), @"error: expected a condition at position 0, found `and`");
        insta::assert_snapshot!(check("country = DE or or"), @"error: expected a condition after `or` at position 16, found `or`");
        insta::assert_snapshot!(check("()"), @"error: expected a condition after `(` at position 1, found `)`");
        insta::assert_snapshot!(check("not"), @"error: expected a condition after `not` at position 3");
        insta::assert_snapshot!(check("= DE"), @"error: expected a condition at position 0, found `=`");
        insta::assert_snapshot!(check(r#""name" = x"#), @"error: expected a field name or a label in backticks at position 0, found `\"name\"`; write labels in backticks, as in `` `Account Name` ``");
        insta::assert_snapshot!(check("name = Hello!"), @r#"error: expected `!=` or `!~` at position 12, found `!`; quote values that contain `!`, as in `"Hello!"`"#);
        insta::assert_snapshot!(check(r#"name = "Acme"#), @r#"error: the quote at position 7 is not closed; end the value with `"`"#);
        insta::assert_snapshot!(check("`Account Name = x"), @"error: the backtick at position 0 is not closed; end the label with a backtick");
        insta::assert_snapshot!(check(r#"name = "a\nb""#), @r#"error: unknown escape `\n` at position 9; inside quotes write `\"` for a quote and `\\` for a backslash"#);
        insta::assert_snapshot!(check(&"(".repeat(100)), @"error: the filter nests more than 64 levels of parentheses and `not` at position 64; remove some");
    }

    #[test]
    fn operator_errors() {
        insta::assert_snapshot!(check("country < DE"), @"error: `<` does not apply to `Country` (a select) at position 8; use `=` or `!=`");
        insta::assert_snapshot!(check("`Account Type` >= customer"), @"error: `>=` does not apply to `Account Type` (a select) at position 15; use `=` or `!=`");
        insta::assert_snapshot!(check_on("contact", "subscribed > no"), @"error: `>` does not apply to `Newsletter Subscriber` (a boolean) at position 11; use `=` or `!=`");
        insta::assert_snapshot!(check_on("contact", "email < a@b.com"), @"error: `<` does not apply to `Email` (an email) at position 6; use `=`, `!=`, `~` or `!~`");
        insta::assert_snapshot!(check_on("contact", "roles > Sales"), @"error: `>` does not apply to `Roles` (a path) at position 6; use `=` or `!=`");
        insta::assert_snapshot!(check_on("opportunity", "products_area <= HW"), @"error: `<=` does not apply to `Products Area` (a multiselect) at position 14; use `=` or `!=`");
        insta::assert_snapshot!(check("parent_account > 0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70"), @"error: `>` does not apply to `Parent Account UUID` (a link) at position 15; use `=` or `!=`");
        insta::assert_snapshot!(check("uuid < 0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70"), @"error: `<` does not apply to `uuid` (a uuid) at position 5; use `=` or `!=`");
        insta::assert_snapshot!(check("employees ~ 1"), @"error: `~` does not apply to `Employees` (an integer) at position 10: it searches text, email and url fields; use `=`, `!=`, `<`, `<=`, `>` or `>=`");
        insta::assert_snapshot!(check("country !~ D"), @"error: `!~` does not apply to `Country` (a select) at position 8: it searches text, email and url fields; use `=` or `!=`");
        insta::assert_snapshot!(check("website ~ example"), @r#"LOWER("website") LIKE '%' || LOWER(?1) || '%' ESCAPE '\' -- "example""#);
    }

    #[test]
    fn value_errors() {
        insta::assert_snapshot!(check("country = Spain"), @"error: bad value for `Country` at position 10: `Spain` is not an option of this list; expected one of `Canada` (CA), `France` (FR), `Germany` (DE), `United States` (US)");
        insta::assert_snapshot!(check("country = \"\""), @"error: bad value for `Country` at position 10: an empty value matches nothing; write `country is empty` or `country is not empty`");
        insta::assert_snapshot!(check("name ~ \"\""), @"error: bad value for `Account Name` at position 7: there is nothing to search for; write `name is not empty` for the records with a value");
        insta::assert_snapshot!(check("employees = 1.5"), @"error: bad value for `Employees` at position 12: `1.5` has decimals; this field takes whole numbers such as `42` or `1,250`");
        insta::assert_snapshot!(check("employees = -1"), @"error: bad value for `Employees` at position 12: `-1` is out of range; expected a whole number at least 0");
        insta::assert_snapshot!(check("annual_revenue = 1.005"), @"error: bad value for `Annual Revenue` at position 17: `1.005` has 3 decimal places; this field keeps at most 2 places and intake does not round");
        insta::assert_snapshot!(check("annual_revenue > ten"), @"error: bad value for `Annual Revenue` at position 17: `ten` is not a number; expected a number written like `1,234.56`");
        insta::assert_snapshot!(check_on("contact", "birth_date > 2024-02-30"), @"error: bad value for `Birth Date` at position 13: `2024-02-30` is not a valid date; expected DD/MM/YYYY such as `31/01/2024`, or YYYY-MM-DD");
        insta::assert_snapshot!(check_on("contact", "email = bob"), @"error: bad value for `Email` at position 8: `bob` is not an e-mail address: it has no `@`");
        insta::assert_snapshot!(check_on("contact", "account = Acme"), @"error: bad value for `Account UUID` at position 10: `Acme` is not a UUID; `Account UUID` links to `account` records, and a filter on it takes the UUID of one, such as `0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70`");
        insta::assert_snapshot!(check("uuid = 42"), @"error: bad value for `uuid` at position 7: `42` is not a UUID; expected 32 hex digits such as `0191d6a2-7c4e-7b3a-9f1e-2b8c4d5e6f70`");
        insta::assert_snapshot!(check("created_at > yesterday"), @"error: bad value for `created_at` at position 13: `yesterday` is not a valid date and time; expected DD/MM/YYYY hh:mm or YYYY-MM-DDThh:mm:ss (optionally with `Z` or an offset such as `+02:00`), or a date alone such as `2024-03-01` for midnight UTC");
        insta::assert_snapshot!(check("created_at = 2024-03-01"), @"error: bad value for `created_at` at position 13: `2024-03-01` is a date alone, which means 2024-03-01T00:00:00Z here, so `=` would compare with that instant only; for the whole day write `created_at >= 2024-03-01 and created_at < 2024-03-02`");
        insta::assert_snapshot!(check_on("interaction", "occurred_at != 14/03/2025"), @"error: bad value for `Occurred At` at position 15: `14/03/2025` is a date alone, which means 2025-03-14T00:00:00Z here, so `!=` would compare with that instant only; for the whole day write `occurred_at >= 2025-03-14 and occurred_at < 2025-03-15`");
        insta::assert_snapshot!(check_on("contact", "subscribed = maybe"), @"error: bad value for `Newsletter Subscriber` at position 13: `maybe` is not a yes/no value; expected true or false (also t/f, yes/no, 1/0, in any case), or leave it empty");
        insta::assert_snapshot!(check_on("service_order", "order_number = \"2é\""), @"error: bad value for `Order Number` at position 15: `2é` contains `é`; plain ASCII characters only are allowed");
    }

    #[test]
    fn error_positions() {
        let schema = schema();
        let e = parse_on(&schema, "account", "country = DE and contry = FR").unwrap_err();
        assert_eq!(e.position(), 17);
        let e = parse_on(&schema, "account", "name = \"é\" and x").unwrap_err();
        assert_eq!(e.position(), 16, "positions count bytes");
    }

    fn token_soup() -> impl Strategy<Value = String> {
        let words = prop::sample::select(vec![
            "and",
            "or",
            "not",
            "NOT",
            "is",
            "empty",
            "(",
            ")",
            "=",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "~",
            "!~",
            "!",
            "name",
            "country",
            "employees",
            "annual_revenue",
            "parent_account",
            "uuid",
            "created_at",
            "`Account Name`",
            "`",
            "\"",
            "\"x\\\"\"",
            "\\",
            "DE",
            "12.5",
            "-1",
            "2024-03-01",
            "01/03/2024",
            "é",
            "",
        ]);
        prop::collection::vec(words, 0..24).prop_map(|w| w.join(" "))
    }

    proptest! {
        #[test]
        fn parse_filter_never_panics(expr in "\\PC{0,64}") {
            let schema = schema();
            if let Ok(f) = parse_on(&schema, "account", &expr) {
                let _ = f.to_sql(&|n| format!("${n}"));
                let _ = f.matches(&|_| None);
            }
        }

        #[test]
        fn token_soup_never_panics_and_sql_agrees_on_placeholders(expr in token_soup()) {
            let schema = schema();
            match parse_on(&schema, "account", &expr) {
                Ok(f) => {
                    let (sql, values) = f.to_sql(&|n| format!("?{n}"));
                    for n in 1..=values.len() {
                        let placeholder = format!("?{n}");
                        prop_assert!(sql.contains(&placeholder), "{}", sql);
                    }
                    let _ = f.matches(&|_| Some(Stored::Text("x".into())));
                }
                Err(e) => prop_assert!(e.position() <= expr.len()),
            }
        }
    }
}
