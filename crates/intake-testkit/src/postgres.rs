//! A fresh PostgreSQL database per test.
//!
//! Tests that need PostgreSQL have `postgres` in their name and start with
//! [`postgres_or_skip`]: it connects to `INTAKE_TEST_POSTGRES_URL` (default
//! [`DEFAULT_URL`]), creates a database with a unique name and drops it when the returned
//! [`TestDatabase`] goes out of scope. When PostgreSQL cannot be reached the test is skipped
//! with a message on stderr, unless the environment variable `CI` is set: then it fails, so
//! that CI never passes without having run the PostgreSQL tests.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Where the tests find PostgreSQL when `INTAKE_TEST_POSTGRES_URL` is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A database created for one test, dropped with it.
#[derive(Debug)]
pub struct TestDatabase {
    admin: postgres::Config,
    name: String,
    url: String,
}

impl TestDatabase {
    /// The URL of the test's database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new connection to the test's database.
    pub fn connect(&self) -> postgres::Client {
        let mut config = self.admin.clone();
        config.dbname(&self.name);
        config
            .connect(postgres::NoTls)
            .expect("the test database accepts connections")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = self.admin.connect(postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// The URL the tests use.
pub fn test_url() -> String {
    std::env::var("INTAKE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// A fresh, empty database for the test `test`, or `None` (after saying so on stderr) when
/// PostgreSQL is unreachable and `CI` is not set.
///
/// # Panics
///
/// When PostgreSQL is unreachable and `CI` is set, or the database cannot be created.
pub fn postgres_or_skip(test: &str) -> Option<TestDatabase> {
    let url = test_url();
    let mut admin: postgres::Config = url
        .parse()
        .unwrap_or_else(|e| panic!("INTAKE_TEST_POSTGRES_URL `{url}` is not a URL: {e}"));
    admin.connect_timeout(Duration::from_secs(5));
    let mut client = match admin.connect(postgres::NoTls) {
        Ok(c) => c,
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "{test}: PostgreSQL is unreachable at {url} ({e}) and CI is set: the PostgreSQL tests must run in CI"
                );
            }
            eprintln!(
                "skipping {test}: PostgreSQL is unreachable at {url} ({e}); start it or set INTAKE_TEST_POSTGRES_URL"
            );
            return None;
        }
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "intake_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    client
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .unwrap_or_else(|e| panic!("{test}: cannot create the test database {name}: {e}"));
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url.as_str(), String::new()),
    };
    let server = match base.rfind('/') {
        Some(i) if i > base.find("://").map_or(0, |s| s + 2) => &base[..i],
        _ => base,
    };
    Some(TestDatabase {
        admin,
        url: format!("{server}/{name}{query}"),
        name,
    })
}
