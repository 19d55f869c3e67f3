//! Turning command-line options into the engine's requests.

use anyhow::{Context, anyhow, bail};
use intake_core::cell::NumberFormat;
use intake_core::locale::{DateFormat, DateTimeFormat, Locale, PRESETS, parse_delimiter};
use intake_core::mapping::ManualMapping;
use intake_core::schema::Schema;
use intake_core::validate::{Mode, ValidateOptions};
use intake_engine::ValidateRequest;
use intake_formats::{CsvOptions, SheetOptions};

use crate::args::{ImportOptions, ReadArgs};

/// Workbook reading options from `--sheet` and `--skip-hidden`.
pub fn sheet_options(read: &ReadArgs) -> SheetOptions {
    SheetOptions {
        sheet: read.sheet.clone(),
        skip_hidden: read.skip_hidden,
        decimal_separator: None,
    }
}

/// CSV reading options from `--delimiter` and `--encoding`, and the limits of every format.
pub fn csv_options(read: &ReadArgs) -> anyhow::Result<CsvOptions> {
    let mut o = CsvOptions::default();
    let l = &mut o.limits;
    if let Some(mb) = read.max_file_mb {
        l.max_file_bytes = mb.saturating_mul(1024 * 1024);
    }
    l.max_rows = read.max_rows.unwrap_or(l.max_rows);
    l.max_columns = read.max_columns.unwrap_or(l.max_columns);
    l.max_cell_chars = read.max_cell_chars.unwrap_or(l.max_cell_chars);
    if let Some(mb) = read.max_unzipped_mb {
        l.max_unzipped_bytes = mb.saturating_mul(1024 * 1024);
    }
    l.max_zip_ratio = read.max_zip_ratio.unwrap_or(l.max_zip_ratio);
    if let Some(d) = &read.delimiter {
        o.delimiter = Some(parse_delimiter(d).ok_or_else(|| {
            anyhow!("--delimiter `{d}` is not supported\nhint: use `,` `;` `|` or `tab`")
        })?);
    }
    if let Some(e) = &read.encoding {
        o.encoding = Some(encoding_rs::Encoding::for_label(e.trim().as_bytes()).ok_or_else(|| {
            anyhow!("--encoding `{e}` is not an encoding I know\nhint: use utf-8, utf-16le, utf-16be or windows-1252")
        })?);
    }
    Ok(o)
}

fn one_char(flag: &str, v: &str, allowed: &[char]) -> anyhow::Result<Option<char>> {
    if flag == "--thousands-separator" && matches!(v, "none" | "") {
        return Ok(None);
    }
    let c = match v {
        "space" => ' ',
        _ => {
            let mut it = v.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => c,
                _ => bail!("{flag} `{v}` must be one character"),
            }
        }
    };
    if !allowed.contains(&c) {
        let shown: Vec<String> = allowed
            .iter()
            .map(|c| {
                if *c == ' ' {
                    "space".into()
                } else {
                    format!("`{c}`")
                }
            })
            .collect();
        bail!("{flag} `{v}` is not supported; use {}", shown.join(", "));
    }
    Ok(Some(c))
}

/// The engine request for validating or importing with these options.
pub fn request(
    schema: &Schema,
    record_type: &str,
    o: &ImportOptions,
) -> anyhow::Result<ValidateRequest> {
    let mut locale = schema.locale.clone();
    // What the command line fixes explicitly; explicit formats are never judged.
    let mut options = ValidateOptions::new(schema.locale.clone());
    if let Some(name) = &o.locale {
        let l = Locale::preset(name).ok_or_else(|| {
            let names: Vec<&str> = PRESETS.iter().map(|p| p.0).collect();
            anyhow!(
                "--locale `{name}` is not a locale I know\nhint: use one of {}",
                names.join(", ")
            )
        })?;
        // A locale chosen on the command line is explicit: no judgement of its formats.
        options.date_format = Some(l.date_format.clone());
        options.datetime_format = Some(l.datetime_format.clone());
        options.number_format = Some(NumberFormat {
            decimal: l.decimal_separator,
            thousands: l.thousands_separator,
        });
        locale.delimiter = l.delimiter;
        locale.phone_region = l.phone_region.clone().or(locale.phone_region);
    }
    if o.decimal_separator.is_some() || o.thousands_separator.is_some() {
        let base = options.number_format.unwrap_or(NumberFormat {
            decimal: locale.decimal_separator,
            thousands: locale.thousands_separator,
        });
        let decimal = match &o.decimal_separator {
            Some(d) => one_char("--decimal-separator", d, &['.', ','])?.unwrap_or(base.decimal),
            None => base.decimal,
        };
        let thousands = match &o.thousands_separator {
            Some(t) => one_char("--thousands-separator", t, &[',', '.', ' ', '\'', '\u{a0}'])?,
            None if base.thousands == Some(decimal) => Some(base.decimal),
            None => base.thousands,
        };
        if thousands == Some(decimal) {
            bail!("the decimal and thousands separators must differ (both are `{decimal}`)");
        }
        options.number_format = Some(NumberFormat { decimal, thousands });
    }
    if let Some(f) = &o.date_format {
        options.date_format =
            Some(DateFormat::parse(f).map_err(|e| anyhow!("--date-format: {e}"))?);
    }
    if let Some(f) = &o.datetime_format {
        options.datetime_format =
            Some(DateTimeFormat::parse(f).map_err(|e| anyhow!("--datetime-format: {e}"))?);
    }
    let mapping = match &o.mapping {
        Some(path) => {
            let text = fs_err::read_to_string(path)?;
            ManualMapping::from_toml(&text)
                .with_context(|| format!("cannot use the mapping file `{}`", path.display()))?
        }
        None => ManualMapping::default(),
    };
    let csv = csv_options(&o.read)?;
    options.locale = locale;
    options.ignore_required = o.ignore_required;
    options.clear_empty = o.clear_empty;
    options.create_missing_options = o.create_missing_options;
    options.mode = match o.mode {
        crate::args::Mode::Upsert => Mode::Upsert,
        crate::args::Mode::Create => Mode::Create,
        crate::args::Mode::Update => Mode::Update,
    };
    Ok(ValidateRequest {
        record_type: record_type.to_string(),
        options,
        csv,
        sheet: sheet_options(&o.read),
        mapping,
        threads: o.threads,
    })
}
