//! `intake serve` and `intake worker`: the HTTP API with background imports, and workers alone.

use std::path::Path;
use std::time::Duration;

use intake_server::state::Config;
use intake_server::storage::S3Config;

use crate::Outcome;
use crate::args::{Global, ServeArgs, ServerOptions, WorkerArgs};

/// The server's configuration from the global and server options (and, with `--storage`,
/// the usual `AWS_*` variables).
pub fn config(global: &Global, server: &ServerOptions) -> anyhow::Result<Config> {
    let mut c = Config::new(&global.workspace);
    c.database = global
        .database
        .clone()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"));
    if let Some(f) = &server.files {
        c.files = f.clone();
    }
    c.lease = Duration::from_secs(server.lease_seconds.max(1));
    c.smtp = server.smtp.clone();
    c.mail_from = server.mail_from.clone();
    c.public_url = server.public_url.clone();
    if let Some(location) = &server.storage {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut s3 = S3Config::parse(location)?;
        s3.endpoint = env("AWS_ENDPOINT_URL");
        if let Some(region) = env("AWS_REGION") {
            s3.region = region;
        }
        s3.access_key_id = env("AWS_ACCESS_KEY_ID");
        s3.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
        c.storage = Some(s3);
    }
    Ok(c)
}

fn check_database(global: &Global) -> anyhow::Result<()> {
    if let Some(u) = &global.database
        && !(u.starts_with("postgres://") || u.starts_with("postgresql://"))
    {
        anyhow::bail!(
            "the server keeps its workspaces in SQLite files under the workspace folder, or in PostgreSQL: --database `{u}` is neither\nhint: leave --database out, or pass postgres://USER@HOST:PORT/DATABASE"
        );
    }
    Ok(())
}

pub fn serve(global: &Global, args: &ServeArgs) -> anyhow::Result<Outcome> {
    check_database(global)?;
    intake_server::run::init_logging();
    let mut c = config(global, &args.server)?;
    c.max_upload_bytes = args.max_upload_mb.saturating_mul(1024 * 1024);
    c.secure_cookies = args.secure_cookies;
    let home = display(&global.workspace);
    intake_server::run::serve(c, args.addr, args.workers, |addr, boot| {
        if boot.demo_created {
            eprintln!("{home} had no intake.toml: wrote the `crm` demo schema there");
        }
        eprintln!(
            "intake serves workspace `{}` at http://{addr}",
            boot.workspace
        );
        eprintln!("  API: http://{addr}/api/v1   OpenAPI document: http://{addr}/api/openapi.json");
        match &boot.admin {
            Some((user, password)) => {
                eprintln!("  first start: log in as `{user}` with password `{password}`");
                eprintln!(
                    "  (shown once; `intake users password {user}` sets another, `intake users add NAME --role importer` adds users)"
                );
            }
            None => eprintln!(
                "  log in with your user; `intake users add NAME --role importer` adds one, `intake users token NAME` gives a script its token"
            ),
        }
        eprintln!(
            "  stop with Ctrl-C: running imports stop after their batch and go back to the queue"
        );
    })?;
    Ok(Outcome::Ok)
}

pub fn worker(global: &Global, args: &WorkerArgs) -> anyhow::Result<Outcome> {
    check_database(global)?;
    intake_server::run::init_logging();
    intake_server::run::work(config(global, &args.server)?, args.workers)?;
    Ok(Outcome::Ok)
}

fn display(p: &Path) -> String {
    if p.as_os_str() == "." {
        "this folder".into()
    } else {
        format!("`{}`", p.display())
    }
}
