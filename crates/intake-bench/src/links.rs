//! The data of the `links` suite: contacts that belong to accounts, in the layout of the `crm`
//! demo (`intake init --demo crm DIR`), whose `contact` type links to `account` with
//! `inline = true`.
//!
//! For `rows` contacts there are `rows / 10` accounts, named `Company 00001`, `Company 00002`,
//! ... Every account has exactly ten contacts (eleven or more for some when `rows` is not a
//! multiple of ten), in an order shuffled by the seed, so each account's contacts are spread
//! over the file. Three files:
//! - the accounts ([`write_accounts`]): `Account Name`, `Account Type`, `Industry`, `Country`;
//! - the contacts with their account inline ([`write_contacts`] without UUIDs): `Account UUID`
//!   empty, the account's columns (`Account Name`, `Account Type`, `Account Industry`,
//!   `Account Country`, the same values as in the accounts file), then the contact's own;
//! - the same contacts with their account's UUID ([`write_contacts`] with the map
//!   [`read_export_uuids`] reads from `intake export account`), and no account columns.
//!
//! A contact has `First Name`, `Last Name`, a unique `Email` (the row number is part of it),
//! a UK `Phone` and a `Job Title` (sometimes empty). The same `rows` and seed give the same
//! bytes on every machine (ChaCha8).

use std::collections::HashMap;
use std::io::{Read, Write};

use anyhow::{Context, Result, anyhow, bail};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::generator::ascii_slug;
use crate::generator::pools::{FIRST_ASCII, LAST_ASCII, TITLES};

/// The seed of the data set.
pub const SEED: u64 = 42;

/// Contacts per account.
pub const CONTACTS_PER_ACCOUNT: u64 = 10;

/// The header of the accounts file (labels of the `account` type).
pub const ACCOUNT_COLUMNS: [&str; 4] = ["Account Name", "Account Type", "Industry", "Country"];

/// The header of the contacts file that creates its accounts inline.
pub const INLINE_COLUMNS: [&str; 10] = [
    "Account UUID",
    "Account Name",
    "Account Type",
    "Account Industry",
    "Account Country",
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Job Title",
];

/// The header of the contacts file that names its accounts by UUID.
pub const UUID_COLUMNS: [&str; 6] = [
    "Account UUID",
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Job Title",
];

/// Labels of the `account_type`, `industry` and `country` lists of the `crm` demo.
const ACCOUNT_TYPES: [&str; 4] = ["Customer", "Prospect", "Partner", "Reseller"];
const INDUSTRIES: [&str; 12] = [
    "Agriculture",
    "Automotive",
    "Construction",
    "Education",
    "Energy",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Public Sector",
    "Retail",
    "Technology",
    "Transport and Logistics",
];
const COUNTRIES: [&str; 4] = ["Canada", "France", "Germany", "United States"];

/// The number of accounts for `rows` contacts.
pub fn account_count(rows: u64) -> u64 {
    rows / CONTACTS_PER_ACCOUNT
}

/// The name of account `k` (0-based): `Company 00001` for 0.
pub fn account_name(k: u64) -> String {
    format!("Company {:05}", k + 1)
}

/// One account of the data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub account_type: &'static str,
    pub industry: &'static str,
    pub country: &'static str,
}

/// One contact of the data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Index into the accounts.
    pub account: usize,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: String,
    pub phone: String,
    pub job_title: &'static str,
}

/// The accounts and contacts for `rows` contacts, drawn in a fixed order from one seeded
/// stream: the accounts, the shuffle of the contacts over them, then each contact.
#[derive(Debug)]
pub struct LinksData {
    pub accounts: Vec<Account>,
    rng: ChaCha8Rng,
    /// The account of each contact, in file order.
    order: Vec<u32>,
    next: usize,
}

impl LinksData {
    /// The data set of `rows` contacts; at least [`CONTACTS_PER_ACCOUNT`] rows, so that there
    /// is an account.
    pub fn new(rows: u64) -> Result<Self> {
        let accounts = account_count(rows);
        if accounts == 0 {
            bail!("the links data set needs at least {CONTACTS_PER_ACCOUNT} rows (one account)");
        }
        if accounts > u64::from(u32::MAX) {
            bail!("{rows} rows are too many for the links data set");
        }
        let rows = usize::try_from(rows).context("too many rows for this machine")?;
        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        let accounts: Vec<Account> = (0..accounts)
            .map(|k| Account {
                name: account_name(k),
                account_type: pick(&mut rng, &ACCOUNT_TYPES),
                industry: pick(&mut rng, &INDUSTRIES),
                country: pick(&mut rng, &COUNTRIES),
            })
            .collect();
        let n = accounts.len() as u64;
        // Every account the same number of times (plus the remainder on the first ones), so
        // every account is used; then shuffled.
        let mut order: Vec<u32> = (0..rows as u64).map(|i| (i % n) as u32).collect();
        order.shuffle(&mut rng);
        Ok(Self {
            accounts,
            rng,
            order,
            next: 0,
        })
    }

    /// The number of contacts.
    pub fn rows(&self) -> usize {
        self.order.len()
    }

    /// The next contact, or `None` after the last.
    pub fn next_contact(&mut self) -> Option<Contact> {
        let account = *self.order.get(self.next)? as usize;
        self.next += 1;
        let first_name = pick(&mut self.rng, FIRST_ASCII);
        let last_name = pick(&mut self.rng, LAST_ASCII);
        let company = self
            .accounts
            .get(account)
            .map_or_else(String::new, |a| ascii_slug(&a.name));
        // The row number keeps the address unique.
        let email = format!(
            "{}.{}{}@{company}.example.com",
            ascii_slug(first_name),
            ascii_slug(last_name),
            self.next
        );
        // 020 7946 0000 to 0999: London numbers set aside for drama, valid for the GB region.
        let phone = format!("+44 20 7946 0{:03}", self.rng.random_range(0..1000u32));
        let job_title = pick(&mut self.rng, TITLES);
        Some(Contact {
            account,
            first_name,
            last_name,
            email,
            phone,
            job_title,
        })
    }
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// Writes the accounts of the data set of `rows` contacts as CSV; returns how many.
pub fn write_accounts<W: Write>(rows: u64, out: W) -> Result<u64> {
    let data = LinksData::new(rows)?;
    let mut w = csv::Writer::from_writer(out);
    w.write_record(ACCOUNT_COLUMNS)?;
    for a in &data.accounts {
        w.write_record([a.name.as_str(), a.account_type, a.industry, a.country])?;
    }
    w.flush()?;
    Ok(data.accounts.len() as u64)
}

/// Writes the `rows` contacts as CSV: with `uuids` (account name -> UUID) each names its
/// account by UUID ([`UUID_COLUMNS`]); without, each carries its account's columns and an
/// empty `Account UUID` ([`INLINE_COLUMNS`]). Fails when an account has no UUID in `uuids`.
pub fn write_contacts<W: Write>(
    rows: u64,
    uuids: Option<&HashMap<String, String>>,
    out: W,
) -> Result<()> {
    let mut data = LinksData::new(rows)?;
    let mut w = csv::Writer::from_writer(out);
    match uuids {
        Some(_) => w.write_record(UUID_COLUMNS)?,
        None => w.write_record(INLINE_COLUMNS)?,
    }
    while let Some(c) = data.next_contact() {
        let a = data
            .accounts
            .get(c.account)
            .ok_or_else(|| anyhow!("contact of unknown account {}", c.account))?;
        match uuids {
            Some(map) => {
                let uuid = map
                    .get(&a.name)
                    .ok_or_else(|| anyhow!("the account `{}` has no UUID in the export", a.name))?;
                w.write_record([
                    uuid.as_str(),
                    c.first_name,
                    c.last_name,
                    &c.email,
                    &c.phone,
                    c.job_title,
                ])?;
            }
            None => w.write_record([
                "",
                a.name.as_str(),
                a.account_type,
                a.industry,
                a.country,
                c.first_name,
                c.last_name,
                &c.email,
                &c.phone,
                c.job_title,
            ])?,
        }
    }
    w.flush()?;
    Ok(())
}

/// Reads `intake export account` output: account name -> UUID. Fails on a missing column, an
/// empty UUID or a name seen twice.
pub fn read_export_uuids<R: Read>(input: R) -> Result<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(input);
    let header = reader.headers()?.clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| anyhow!("the account export has no `{name}` column"))
    };
    let (uuid_at, name_at) = (column("Account UUID")?, column("Account Name")?);
    let mut out = HashMap::new();
    for record in reader.records() {
        let record = record?;
        let (Some(uuid), Some(name)) = (record.get(uuid_at), record.get(name_at)) else {
            bail!("a row of the account export is short");
        };
        if uuid.is_empty() {
            bail!("the account `{name}` has no UUID in the export");
        }
        if out.insert(name.to_string(), uuid.to_string()).is_some() {
            bail!("the account `{name}` is twice in the export");
        }
    }
    Ok(out)
}
