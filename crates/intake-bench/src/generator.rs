//! The contacts data set: a Rust port of `shared/bench/gen_contacts.py`, the reference
//! generator (its module doc lists the data features), fast enough to write 1M rows in seconds.
//!
//! From the command line, through the `gen-contacts` binary:
//!
//! ```text
//! cargo run --release -p intake-bench --bin gen-contacts -- 1000000 contacts_1m.csv
//! cargo run --release -p intake-bench --bin gen-contacts -- 100000 bad.csv \
//!     --error-rate 0.01 --error-kinds all --errors-out bad.errors.csv [--crlf] [--bom] [--seed 42]
//! ```
//!
//! From code: [`write_csv`] then [`write_manifest`], or [`Generator`] row by row.
//!
//! What holds, and what the tests check:
//! - the same [`Options`] give byte-identical output on every machine (ChaCha8, seeded);
//! - the valid rows do not depend on the error rate: errors come from a second random stream
//!   and only overwrite one cell of the rows they hit, as in the Python;
//! - every generated valid value is valid for its column (see [`COLUMNS`] and the rules in
//!   `contacts.schema.json`), and every injected value is invalid for its column;
//! - the manifest names the 1-based data row (header excluded), the column, the error kind
//!   and the full injected value.
//!
//! The output is not byte-identical with the Python's (another PRNG), but has the same columns,
//! value pools, proportions and error kinds with the same bad values. One deliberate difference:
//! a `too_long` value may end in a space as in the Python, but it is always longer than the
//! limit even once trimmed (the Python can cut it at `limit` characters plus a space).

pub(crate) mod pools;

use std::fmt::{self, Write as _};
use std::io::{self, Read, Write};
use std::str::FromStr;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use pools::{
    BAD_BOOLEANS, BAD_COUNTRIES, BAD_DATES, BAD_EMAILS, BAD_INTEGERS, BAD_LOOKUPS, COMPANY_SUFFIX,
    COMPANY_WORDS, FIRST_ASCII, FIRST_INTL, FREE_DOMAINS, LAST_ASCII, LAST_INTL, LIFECYCLE_W,
    LOCALES, Locale, NOTE_WORDS, OTHER_WEIGHT, TITLES,
};
pub use pools::{ISO_COUNTRIES, LIFECYCLE};

/// The header, in order, exactly as written.
pub const COLUMNS: [&str; 20] = [
    "uuid",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "job_title",
    "street",
    "city",
    "postal_code",
    "country",
    "birth_date",
    "lifecycle_stage",
    "lead_score",
    "annual_revenue",
    "discount_rate",
    "is_subscribed",
    "is_vip",
    "created_at",
    "notes",
];

/// Indexes into [`COLUMNS`] and into a [`Row`].
pub mod column {
    pub const UUID: usize = 0;
    pub const FIRST_NAME: usize = 1;
    pub const LAST_NAME: usize = 2;
    pub const EMAIL: usize = 3;
    pub const PHONE: usize = 4;
    pub const COMPANY: usize = 5;
    pub const JOB_TITLE: usize = 6;
    pub const STREET: usize = 7;
    pub const CITY: usize = 8;
    pub const POSTAL_CODE: usize = 9;
    pub const COUNTRY: usize = 10;
    pub const BIRTH_DATE: usize = 11;
    pub const LIFECYCLE_STAGE: usize = 12;
    pub const LEAD_SCORE: usize = 13;
    pub const ANNUAL_REVENUE: usize = 14;
    pub const DISCOUNT_RATE: usize = 15;
    pub const IS_SUBSCRIBED: usize = 16;
    pub const IS_VIP: usize = 17;
    pub const CREATED_AT: usize = 18;
    pub const NOTES: usize = 19;
}
use column as c;

/// The columns that must not be empty.
pub const REQUIRED: [usize; 6] = [
    c::UUID,
    c::FIRST_NAME,
    c::LAST_NAME,
    c::EMAIL,
    c::COUNTRY,
    c::LIFECYCLE_STAGE,
];

/// The maximum length in characters of a column, if it has one.
pub fn max_length(column: usize) -> Option<usize> {
    match column {
        c::FIRST_NAME => Some(50),
        c::LAST_NAME => Some(80),
        c::EMAIL => Some(254),
        c::PHONE => Some(32),
        c::COMPANY => Some(120),
        c::JOB_TITLE => Some(80),
        c::STREET => Some(200),
        c::CITY => Some(80),
        c::POSTAL_CODE => Some(16),
        c::NOTES => Some(1000),
        _ => None,
    }
}

/// The columns a `too_long` error may hit, with their limits.
const TOO_LONG_COLUMNS: [(usize, usize); 6] = [
    (c::FIRST_NAME, 50),
    (c::LAST_NAME, 80),
    (c::COMPANY, 120),
    (c::JOB_TITLE, 80),
    (c::CITY, 80),
    (c::NOTES, 1000),
];

const COMPANY_TLDS: [&str; 6] = [".com", ".io", ".de", ".co.uk", ".fr", ".net"];
const DAYS_IN_MONTH: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// One generated row: the 20 cells in [`COLUMNS`] order.
pub type Row = [String; 20];

/// A kind of injected error; each hits one column (or one of a few).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `email` is not an address.
    BadEmail,
    /// `country` is not an ISO 3166-1 alpha-2 code.
    BadCountry,
    /// `birth_date` is not a valid `YYYY-MM-DD` date.
    BadDate,
    /// A text over its maximum length (first_name, last_name, company, job_title, city, notes).
    TooLong,
    /// A required cell left empty (uuid, first_name, last_name, email, country, lifecycle_stage).
    MissingRequired,
    /// `lifecycle_stage` is not an allowed value.
    BadLookup,
    /// `lead_score` is not an integer in 0..=100.
    BadInteger,
    /// `is_subscribed` is not a boolean.
    BadBoolean,
}

impl ErrorKind {
    /// Every kind, in the Python's order.
    pub const ALL: [ErrorKind; 8] = [
        ErrorKind::BadEmail,
        ErrorKind::BadCountry,
        ErrorKind::BadDate,
        ErrorKind::TooLong,
        ErrorKind::MissingRequired,
        ErrorKind::BadLookup,
        ErrorKind::BadInteger,
        ErrorKind::BadBoolean,
    ];

    /// The kinds used when none are named: the first five.
    pub const DEFAULT: [ErrorKind; 5] = [
        ErrorKind::BadEmail,
        ErrorKind::BadCountry,
        ErrorKind::BadDate,
        ErrorKind::TooLong,
        ErrorKind::MissingRequired,
    ];

    /// The name used on the command line and in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadEmail => "bad_email",
            ErrorKind::BadCountry => "bad_country",
            ErrorKind::BadDate => "bad_date",
            ErrorKind::TooLong => "too_long",
            ErrorKind::MissingRequired => "missing_required",
            ErrorKind::BadLookup => "bad_lookup",
            ErrorKind::BadInteger => "bad_integer",
            ErrorKind::BadBoolean => "bad_boolean",
        }
    }

    /// Parses `all` or a comma-separated list of kinds (empty items are skipped).
    pub fn parse_list(s: &str) -> Result<Vec<ErrorKind>, InvalidOptions> {
        if s.trim() == "all" {
            return Ok(ErrorKind::ALL.to_vec());
        }
        s.split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::parse)
            .collect()
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorKind {
    type Err = InvalidOptions;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<_> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
                InvalidOptions(format!(
                    "unknown error kind `{s}`; expected `all` or some of {}",
                    all.join(",")
                ))
            })
    }
}

/// Options that cannot be honoured (an unknown error kind, a rate outside 0..=1, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidOptions(pub String);

impl fmt::Display for InvalidOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidOptions {}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Data rows (the header is not counted).
    pub rows: u64,
    /// Seed of both random streams.
    pub seed: u64,
    /// Fraction of the rows that get one invalid cell, in 0..=1.
    pub error_rate: f64,
    /// The kinds to draw from, uniformly.
    pub error_kinds: Vec<ErrorKind>,
    /// CRLF line endings (Excel style) instead of LF.
    pub crlf: bool,
    /// Prefix a UTF-8 byte order mark (Excel style).
    pub bom: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            rows: 0,
            seed: 42,
            error_rate: 0.0,
            error_kinds: ErrorKind::DEFAULT.to_vec(),
            crlf: false,
            bom: false,
        }
    }
}

/// One injected error: a line of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedError {
    /// 1-based data row, header excluded.
    pub data_row: u64,
    /// Index into [`COLUMNS`].
    pub column: usize,
    /// What was injected.
    pub kind: ErrorKind,
    /// The full value written in the cell.
    pub value: String,
}

impl InjectedError {
    /// The header of the cell's column.
    pub fn column_name(&self) -> &'static str {
        COLUMNS[self.column]
    }
}

/// A row handed out by [`Generator::next_row`].
#[derive(Debug)]
pub struct GeneratedRow<'a> {
    /// 1-based data row, header excluded.
    pub data_row: u64,
    /// The cells, the injected error (if any) already written.
    pub cells: &'a Row,
    /// The error injected into this row.
    pub error: Option<InjectedError>,
}

/// A name from a pool and its e-mail slug.
struct Name {
    name: &'static str,
    slug: String,
}

struct Country {
    code: &'static str,
    locale: Option<&'static Locale>,
}

struct Company {
    name: String,
    domain: String,
}

/// Generates the rows one by one into a reused buffer: no allocation per row beyond a few.
pub struct Generator {
    rng: ChaCha8Rng,
    erng: ChaCha8Rng,
    error_rate: f64,
    error_kinds: Vec<ErrorKind>,
    rows: u64,
    next: u64,
    firsts: Vec<Name>,
    lasts: Vec<Name>,
    intl_firsts: Vec<Name>,
    intl_lasts: Vec<Name>,
    countries: Vec<Country>,
    country_cum: Vec<u64>,
    stage_cum: Vec<u64>,
    companies: Vec<Company>,
    cells: Row,
}

impl Generator {
    /// A generator of `options.rows` rows.
    pub fn new(options: &Options) -> Result<Self, InvalidOptions> {
        if !(0.0..=1.0).contains(&options.error_rate) {
            return Err(InvalidOptions(format!(
                "the error rate must be between 0 and 1, not {}",
                options.error_rate
            )));
        }
        if options.error_rate > 0.0 && options.error_kinds.is_empty() {
            return Err(InvalidOptions(
                "an error rate was given but no error kinds".to_string(),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        // The Python's second stream: `Random(seed * 7919 + 104729)`.
        let erng = ChaCha8Rng::seed_from_u64(options.seed.wrapping_mul(7919).wrapping_add(104_729));

        let ascii = |names: &[&'static str]| -> Vec<Name> {
            names
                .iter()
                .map(|&name| Name {
                    name,
                    slug: ascii_slug(name),
                })
                .collect()
        };
        let intl = |names: &[(&'static str, &'static str)]| -> Vec<Name> {
            names
                .iter()
                .map(|&(name, slug)| Name {
                    name,
                    slug: slug.to_string(),
                })
                .collect()
        };

        let others: Vec<&'static str> = ISO_COUNTRIES
            .iter()
            .copied()
            .filter(|code| LOCALES.iter().all(|l| l.code != *code))
            .collect();
        let mut countries = Vec::with_capacity(ISO_COUNTRIES.len());
        let mut weights = Vec::with_capacity(ISO_COUNTRIES.len());
        for locale in LOCALES {
            countries.push(Country {
                code: locale.code,
                locale: Some(locale),
            });
            weights.push(locale.weight * others.len() as u64);
        }
        for &code in &others {
            countries.push(Country { code, locale: None });
            weights.push(OTHER_WEIGHT);
        }

        // The company pool is drawn from the main stream first, as in the Python.
        let companies = (0..400)
            .map(|_| {
                let a = *pick(&mut rng, COMPANY_WORDS);
                let b = *pick(&mut rng, COMPANY_WORDS);
                let suffix = *pick(&mut rng, COMPANY_SUFFIX);
                let name = if a == b {
                    a.to_string()
                } else {
                    format!("{a} {b}")
                };
                let full = if chance(&mut rng, 0.3) {
                    format!("{name}, {suffix}")
                } else {
                    format!("{name} {suffix}")
                };
                let domain = format!("{}{}", ascii_slug(&name), pick(&mut rng, &COMPANY_TLDS));
                Company { name: full, domain }
            })
            .collect();

        Ok(Self {
            rng,
            erng,
            error_rate: options.error_rate,
            error_kinds: options.error_kinds.clone(),
            rows: options.rows,
            next: 1,
            firsts: ascii(FIRST_ASCII),
            lasts: ascii(LAST_ASCII),
            intl_firsts: intl(FIRST_INTL),
            intl_lasts: intl(LAST_INTL),
            countries,
            country_cum: cumulative(&weights),
            stage_cum: cumulative(LIFECYCLE_W),
            companies,
            cells: Default::default(),
        })
    }

    /// The next row, or `None` after the last.
    pub fn next_row(&mut self) -> Option<GeneratedRow<'_>> {
        if self.next > self.rows {
            return None;
        }
        let i = self.next;
        self.next += 1;
        self.fill_row(i);
        let error = self.maybe_inject(i);
        Some(GeneratedRow {
            data_row: i,
            cells: &self.cells,
            error,
        })
    }

    /// Writes valid row `i` into `self.cells`, drawing only from the main stream.
    fn fill_row(&mut self, i: u64) {
        let Self {
            rng,
            firsts,
            lasts,
            intl_firsts,
            intl_lasts,
            countries,
            country_cum,
            stage_cum,
            companies,
            cells,
            ..
        } = self;
        for cell in cells.iter_mut() {
            cell.clear();
        }

        // A version 4 UUID, laid out as the Python does.
        let hex = format!("{:032x}", rng.random::<u128>());
        let variant = char::from(b"89ab"[usize::from(hex_value(hex.as_bytes()[16]) & 3)]);
        let _ = write!(
            cells[c::UUID],
            "{}-{}-4{}-{variant}{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..]
        );

        let (first, last) = if chance(rng, 0.12) {
            (pick(rng, intl_firsts), pick(rng, intl_lasts))
        } else {
            (pick(rng, firsts), pick(rng, lasts))
        };
        cells[c::FIRST_NAME].push_str(first.name);
        cells[c::LAST_NAME].push_str(last.name);
        let fs = if first.slug.is_empty() {
            "user"
        } else {
            &first.slug
        };
        let ls = if last.slug.is_empty() {
            "x"
        } else {
            &last.slug
        };

        let company = pick(rng, companies);
        let has_company = chance(rng, 0.8);
        if has_company {
            cells[c::COMPANY].push_str(&company.name);
        }
        let email = &mut cells[c::EMAIL];
        let _ = match rng.random_range(0..4) {
            0 => write!(email, "{fs}.{ls}"),
            1 => write!(email, "{}{ls}", &fs[..1]),
            2 => write!(email, "{fs}_{ls}"),
            _ => write!(email, "{ls}.{fs}"),
        };
        let domain = if has_company && chance(rng, 0.6) {
            company.domain.as_str()
        } else {
            pick(rng, FREE_DOMAINS)
        };
        // The row index makes every address unique.
        let _ = write!(email, "{i}@{domain}");

        let country = &countries[weighted(rng, country_cum)];
        cells[c::COUNTRY].push_str(country.code);
        if let Some(locale) = country.locale {
            if chance(rng, 0.9) {
                let phone = &mut cells[c::PHONE];
                phone.push_str(locale.phone_prefix);
                phone.push(' ');
                fill(rng, locale.phone, phone);
            }
            fill(rng, locale.postal, &mut cells[c::POSTAL_CODE]);
            cells[c::CITY].push_str(pick::<&str>(rng, locale.cities));
            let number = rng.random_range(1..400);
            let _ = write!(cells[c::STREET], "{number} {}", pick(rng, locale.streets));
        } else {
            if chance(rng, 0.7) {
                let (a, b, n) = (
                    rng.random_range(20..999),
                    rng.random_range(100..999),
                    rng.random_range(1000..9999),
                );
                let _ = write!(cells[c::PHONE], "+{a} {b} {n}");
            }
            if chance(rng, 0.6) {
                let _ = write!(cells[c::POSTAL_CODE], "{}", rng.random_range(1000..99999));
            }
            if chance(rng, 0.5) {
                cells[c::CITY].push_str("Capital City");
                let _ = write!(
                    cells[c::STREET],
                    "{} Central Road",
                    rng.random_range(1..200)
                );
            }
        }
        if !cells[c::STREET].is_empty() && chance(rng, 0.15) {
            let _ = write!(cells[c::STREET], ", Suite {}", rng.random_range(100..999));
        }
        if chance(rng, 0.08) {
            let building = char::from(b'A' + rng.random_range(0..6u8));
            let _ = write!(cells[c::STREET], "\nBuilding {building}");
        }

        if chance(rng, 0.85) {
            let (y, m, d) = random_date(rng, 1940, 2006);
            let _ = write!(cells[c::BIRTH_DATE], "{y:04}-{m:02}-{d:02}");
        }
        cells[c::LIFECYCLE_STAGE].push_str(LIFECYCLE[weighted(rng, stage_cum)]);
        if chance(rng, 0.9) {
            let _ = write!(cells[c::LEAD_SCORE], "{}", rng.random_range(0..=100));
        }
        if chance(rng, 0.7) {
            let cents: u64 = rng.random_range(0..5_000_000_000);
            let _ = write!(
                cells[c::ANNUAL_REVENUE],
                "{}.{:02}",
                cents / 100,
                cents % 100
            );
        }
        if chance(rng, 0.5) {
            // 0.0000..=0.5000: always below one, so the integer part is 0.
            let rate: u32 = rng.random_range(0..=5000);
            let _ = write!(cells[c::DISCOUNT_RATE], "0.{rate:04}");
        }
        cells[c::IS_SUBSCRIBED].push_str(bool_text(chance(rng, 0.62)));
        if chance(rng, 0.7) {
            cells[c::IS_VIP].push_str(bool_text(chance(rng, 0.05)));
        }
        let (y, m, d) = random_date(rng, 2015, 2025);
        let (hh, mm, ss) = (
            rng.random_range(0..24),
            rng.random_range(0..60),
            rng.random_range(0..60),
        );
        let _ = write!(
            cells[c::CREATED_AT],
            "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"
        );
        cells[c::JOB_TITLE].push_str(pick::<&str>(rng, TITLES));
        note_text(rng, &mut cells[c::NOTES]);
    }

    /// Draws from the error stream whether row `i` gets an error, and writes it.
    fn maybe_inject(&mut self, i: u64) -> Option<InjectedError> {
        if self.error_rate <= 0.0 || self.erng.random::<f64>() >= self.error_rate {
            return None;
        }
        let kind = *pick(&mut self.erng, &self.error_kinds);
        let (column, value) = inject(&mut self.erng, kind, &self.cells);
        self.cells[column].clear();
        self.cells[column].push_str(&value);
        Some(InjectedError {
            data_row: i,
            column,
            kind,
            value,
        })
    }
}

/// The column and the invalid value of an error of `kind` in `row`.
fn inject(erng: &mut ChaCha8Rng, kind: ErrorKind, row: &Row) -> (usize, String) {
    let (column, value) = match kind {
        ErrorKind::BadEmail => (c::EMAIL, *pick(erng, BAD_EMAILS)),
        ErrorKind::BadCountry => (c::COUNTRY, *pick(erng, BAD_COUNTRIES)),
        ErrorKind::BadDate => (c::BIRTH_DATE, *pick(erng, BAD_DATES)),
        ErrorKind::MissingRequired => (*pick(erng, &REQUIRED), ""),
        ErrorKind::BadLookup => (c::LIFECYCLE_STAGE, *pick(erng, BAD_LOOKUPS)),
        ErrorKind::BadInteger => (c::LEAD_SCORE, *pick(erng, BAD_INTEGERS)),
        ErrorKind::BadBoolean => (c::IS_SUBSCRIBED, *pick(erng, BAD_BOOLEANS)),
        ErrorKind::TooLong => {
            let (column, limit) = *pick(erng, &TOO_LONG_COLUMNS);
            let extra = erng.random_range(0..40);
            return (column, too_long(&row[column], limit, extra));
        }
    };
    (column, value.to_string())
}

/// The cell repeated (`Lorem ipsum` when empty), each copy followed by a space, cut at
/// `limit + 1 + extra` characters, as the Python does; lengthened while, trimmed, it would
/// not exceed `limit` (so it is too long whether or not a reader trims cells).
fn too_long(cell: &str, limit: usize, extra: usize) -> String {
    let base = if cell.is_empty() { "Lorem ipsum" } else { cell };
    let unit: Vec<char> = base.chars().chain(std::iter::once(' ')).collect();
    let copies = limit / unit.len() + 2;
    let mut len = (limit + 1 + extra).min(unit.len() * copies);
    loop {
        let value: String = unit.iter().cycle().take(len).collect();
        if value.trim().chars().count() > limit {
            return value;
        }
        len += 1;
    }
}

/// Python's `slug()` for ASCII text: lower-case letters and digits only.
pub(crate) fn ascii_slug(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|ch| ch.to_ascii_lowercase())
        .collect()
}

fn note_text(rng: &mut ChaCha8Rng, out: &mut String) {
    let r: f64 = rng.random();
    if r < 0.55 {
        return;
    }
    if r > 0.94 && r <= 0.97 {
        out.push_str("Said \"call me on Monday\", ");
    }
    let n = rng.random_range(3..=25);
    push_words(rng, n, out);
    if r > 0.97 {
        out.push('\n');
        let n = rng.random_range(2..=10);
        push_words(rng, n, out);
    }
    truncate_chars(out, 1000);
}

fn push_words(rng: &mut ChaCha8Rng, n: usize, out: &mut String) {
    for k in 0..n {
        if k > 0 {
            out.push(' ');
        }
        out.push_str(pick::<&str>(rng, NOTE_WORDS));
    }
}

fn truncate_chars(s: &mut String, max: usize) {
    if let Some((at, _)) = s.char_indices().nth(max) {
        s.truncate(at);
    }
}

fn bool_text(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => 0,
    }
}

fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    rng.random::<f64>() < p
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn cumulative(weights: &[u64]) -> Vec<u64> {
    weights
        .iter()
        .scan(0, |total, w| {
            *total += w;
            Some(*total)
        })
        .collect()
}

/// An index drawn with the weights whose running totals are `cum` (Python's `bisect_right`).
fn weighted(rng: &mut ChaCha8Rng, cum: &[u64]) -> usize {
    let total = cum.last().copied().unwrap_or(0);
    let x = rng.random::<f64>() * total as f64;
    cum.partition_point(|&c| c as f64 <= x)
        .min(cum.len().saturating_sub(1))
}

/// A real calendar date with the year in `y0..=y1`.
fn random_date(rng: &mut ChaCha8Rng, y0: u32, y1: u32) -> (u32, u32, u32) {
    let y = rng.random_range(y0..=y1);
    let m = rng.random_range(1..=12);
    let d = rng.random_range(1..=days_in_month(y, m));
    (y, m, d)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    let leap = y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
    DAYS_IN_MONTH[(m - 1) as usize] + u32::from(m == 2 && leap)
}

/// Fills a pattern: `9` becomes a digit, `A` an upper-case letter, the rest is kept.
fn fill(rng: &mut ChaCha8Rng, pattern: &str, out: &mut String) {
    for ch in pattern.chars() {
        match ch {
            '9' => out.push(char::from(b'0' + rng.random_range(0..10u8))),
            'A' => out.push(char::from(b'A' + rng.random_range(0..26u8))),
            other => out.push(other),
        }
    }
}

/// Writes the header and `options.rows` rows as CSV (quoted where needed) to `out`, and
/// returns the injected errors. `out` needs no buffering: the CSV writer buffers 1 MiB.
pub fn write_csv<W: Write>(options: &Options, mut out: W) -> io::Result<Vec<InjectedError>> {
    let mut generator =
        Generator::new(options).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    if options.bom {
        out.write_all("\u{feff}".as_bytes())?;
    }
    let terminator = if options.crlf {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(terminator)
        .buffer_capacity(1 << 20)
        .from_writer(out);
    w.write_record(COLUMNS)?;
    let mut manifest = Vec::new();
    while let Some(row) = generator.next_row() {
        w.write_record(row.cells)?;
        manifest.extend(row.error);
    }
    w.flush()?;
    Ok(manifest)
}

/// The manifest's header.
pub const MANIFEST_HEADER: [&str; 4] = ["data_row", "column", "kind", "value"];

/// Writes the manifest as CSV: `data_row,column,kind,value`, LF line ends, full values.
pub fn write_manifest<W: Write>(errors: &[InjectedError], out: W) -> io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    w.write_record(MANIFEST_HEADER)?;
    for e in errors {
        let row = e.data_row.to_string();
        w.write_record([row.as_str(), e.column_name(), e.kind.as_str(), &e.value])?;
    }
    w.flush()?;
    Ok(())
}

/// Reads a manifest written by [`write_manifest`].
pub fn read_manifest<R: Read>(input: R) -> io::Result<Vec<InjectedError>> {
    let invalid = |msg: String| io::Error::new(io::ErrorKind::InvalidData, msg);
    let mut reader = csv::Reader::from_reader(input);
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = record?;
        let field = |k: usize| record.get(k).unwrap_or_default();
        let data_row = field(0)
            .parse()
            .map_err(|_| invalid(format!("bad data_row `{}`", field(0))))?;
        let column = COLUMNS
            .iter()
            .position(|&name| name == field(1))
            .ok_or_else(|| invalid(format!("unknown column `{}`", field(1))))?;
        let kind = field(2).parse().map_err(|e: InvalidOptions| invalid(e.0))?;
        errors.push(InjectedError {
            data_row,
            column,
            kind,
            value: field(3).to_string(),
        });
    }
    Ok(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_long_is_too_long_even_trimmed() {
        // The Python would cut after the space: 10 characters once trimmed, not too long.
        assert_eq!(too_long("abcdefghij", 10, 0), "abcdefghij a");
        assert_eq!(too_long("abcdefghij", 10, 1), "abcdefghij a");
        assert_eq!(too_long("abcdefghij", 10, 2), "abcdefghij ab");
        assert_eq!(too_long("", 50, 0).chars().count(), 51);
        assert!(too_long("", 50, 0).starts_with("Lorem ipsum Lorem"));
    }

    #[test]
    fn too_long_may_end_in_a_space() {
        let v = too_long("ab", 10, 1);
        assert_eq!(v, "ab ab ab ab ");
    }

    #[test]
    fn slugs() {
        assert_eq!(ascii_slug("O'Brien"), "obrien");
        assert_eq!(ascii_slug("Wide World"), "wideworld");
        for (name, slug) in pools::FIRST_INTL.iter().chain(pools::LAST_INTL) {
            assert!(
                slug.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit()),
                "{name}"
            );
            if name.is_ascii() {
                assert_eq!(ascii_slug(name), *slug);
            }
        }
    }

    #[test]
    fn pools_are_complete() {
        assert_eq!(ISO_COUNTRIES.len(), 249);
        assert_eq!(LIFECYCLE.len(), LIFECYCLE_W.len());
        assert!(LOCALES.iter().all(|l| ISO_COUNTRIES.contains(&l.code)));
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2024, 2), 29);
    }

    #[test]
    fn error_kind_lists() {
        assert_eq!(ErrorKind::parse_list("all"), Ok(ErrorKind::ALL.to_vec()));
        assert_eq!(
            ErrorKind::parse_list("bad_email,,too_long"),
            Ok(vec![ErrorKind::BadEmail, ErrorKind::TooLong])
        );
        assert!(ErrorKind::parse_list("bad_email,nope").is_err());
    }
}
