//! A server in a temporary folder, driven in-process through its router: users of every
//! role with API tokens, and helpers to call the API and run the queued imports.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use intake_server::api::{Ctx, router};
use intake_server::auth::{digest, hash_password, new_token};
use intake_server::control::Role;
use intake_server::jobs::{Ran, Wake, run_one};
use intake_server::state::{App, Config, bootstrap};
use intake_testkit::postgres::{TestDatabase, postgres_or_skip};
use serde_json::Value;
use tower::ServiceExt;

/// A contacts file of the crm demo.
pub const CONTACTS: &str = "First Name,Last Name,Email,Account Name\n\
Ada,Lovelace,ada@example.com,Analytical Engines\n\
Alan,Turing,alan@example.com,Bletchley\n\
Grace,Hopper,grace@example.com,Analytical Engines\n";

/// The roles the tests use, by user name.
pub const USERS: &[(&str, Option<Role>)] = &[
    ("viewer", Some(Role::Viewer)),
    ("importer", Some(Role::Importer)),
    ("importer2", Some(Role::Importer)),
    ("manager", Some(Role::Manager)),
    ("manager2", Some(Role::Manager)),
    ("wsadmin", Some(Role::Admin)),
    ("outsider", None),
];

pub struct Server {
    pub dir: tempfile::TempDir,
    pub app: Arc<App>,
    pub rt: tokio::runtime::Runtime,
    pub ctx: Ctx,
    pub tokens: HashMap<String, String>,
    pub ws: String,
    pub db: Option<TestDatabase>,
}

impl Server {
    /// A server on SQLite files, its workspace the `crm` demo.
    pub fn sqlite() -> Server {
        Server::start(None)
    }

    /// A server on a fresh PostgreSQL database, or `None` (skipped) when there is none.
    pub fn postgres(test: &str) -> Option<Server> {
        let db = postgres_or_skip(test)?;
        Some(Server::start(Some(db)))
    }

    pub fn start(db: Option<TestDatabase>) -> Server {
        Server::start_with(db, |_| {})
    }

    /// A server whose configuration `tweak` changes.
    pub fn start_with(db: Option<TestDatabase>, tweak: impl FnOnce(&mut Config)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("crm");
        let mut config = Config::new(&home);
        config.database = db.as_ref().map(|d| d.url().to_string());
        config.threads = 2;
        config.lease = std::time::Duration::from_secs(30);
        tweak(&mut config);
        let app = Arc::new(App::open(config).unwrap());
        let boot = bootstrap(&app).unwrap();
        let mut tokens = HashMap::new();
        let admin = app.control.user_by_name("admin").unwrap().unwrap();
        let t = new_token();
        app.control
            .create_token(&digest(&t), &admin.id, "tests")
            .unwrap();
        tokens.insert("admin".to_string(), t);
        for (name, role) in USERS {
            let hash = hash_password(&format!("{name}-password")).unwrap();
            let u = app
                .control
                .create_user(
                    name,
                    Some(&format!("{name}@example.com")),
                    Some(&hash),
                    false,
                )
                .unwrap();
            if let Some(r) = role {
                app.control.set_role(&u.id, &boot.workspace, *r).unwrap();
            }
            let t = new_token();
            app.control
                .create_token(&digest(&t), &u.id, "tests")
                .unwrap();
            tokens.insert((*name).to_string(), t);
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let ctx = Ctx {
            app: app.clone(),
            wake: Arc::new(Wake::default()),
        };
        Server {
            dir,
            app,
            rt,
            ctx,
            tokens,
            ws: boot.workspace,
            db,
        }
    }

    /// Sends a request as `who` (a user name, or `""` for nobody); answers the status and the
    /// body (JSON, or the text as a JSON string).
    pub fn request(&self, who: &str, req: Request<Body>) -> (StatusCode, Value, Vec<u8>) {
        let mut req = req;
        if let Some(t) = self.tokens.get(who) {
            req.headers_mut()
                .insert("authorization", format!("Bearer {t}").parse().unwrap());
        }
        let app = router(self.ctx.clone());
        self.rt.block_on(async move {
            let resp = app.oneshot(req).await.unwrap();
            let status = resp.status();
            let bytes = resp
                .into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec();
            let json = serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
            (status, json, bytes)
        })
    }

    /// A JSON call.
    pub fn call(
        &self,
        who: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let path = path.replace("{ws}", &self.ws);
        let b = Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"));
        let req = match body {
            Some(v) => b
                .header("content-type", "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let (s, v, _) = self.request(who, req);
        (s, v)
    }

    /// Uploads bytes as `who`; answers the upload's id.
    pub fn upload(&self, who: &str, name: &str, bytes: &[u8]) -> String {
        let req = Request::builder()
            .method("POST")
            .uri(format!(
                "/api/v1/workspaces/{}/uploads?name={name}",
                self.ws
            ))
            .body(Body::from(bytes.to_vec()))
            .unwrap();
        let (s, v, _) = self.request(who, req);
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_str().unwrap().to_string()
    }

    /// Uploads a file and creates an import of `record_type` from it; answers the import.
    pub fn new_import(&self, who: &str, record_type: &str, bytes: &[u8]) -> Value {
        let upload = self.upload(who, "contacts.csv", bytes);
        let (s, v) = self.call(
            who,
            "POST",
            "/workspaces/{ws}/imports",
            Some(serde_json::json!({"upload_id": upload, "record_type": record_type})),
        );
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v
    }

    /// Runs the queued imports in this thread; answers how many ran.
    pub fn run_jobs(&self) -> usize {
        let stop = AtomicBool::new(false);
        let mut n = 0;
        while let Ran::Import(notifications) = run_one(&self.app, "test-worker", &stop).unwrap() {
            if let Some(h) = notifications {
                h.join().unwrap();
            }
            n += 1;
        }
        n
    }

    /// Sets the workspace's settings.
    pub fn settings(&self, v: Value) {
        let (s, b) = self.call("wsadmin", "PUT", "/workspaces/{ws}/settings", Some(v));
        assert_eq!(s, StatusCode::OK, "{b}");
    }

    /// Records of a type in the workspace.
    pub fn count(&self, record_type: &str) -> u64 {
        let ws = self.app.workspace(&self.ws).unwrap().unwrap();
        let rt = ws.schema.record_type(record_type).unwrap();
        ws.store.read().unwrap().count(rt).unwrap()
    }
}

/// An S3-compatible server (moto) on 127.0.0.1, for the tests with `s3` in their name;
/// stopped when dropped.
pub struct Moto {
    child: std::process::Child,
    /// Its address, `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Moto {
    /// Starts moto's S3 server on a free port with an empty bucket `bucket`, or `None` (skipped,
    /// with a message) when the command is missing. With `CI` set a missing command fails
    /// the test instead, so CI never passes without having run them.
    pub fn start_or_skip(test: &str, bucket: &str) -> Option<Moto> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // `python3 -m moto.server`: found wherever moto is installed for python3, with or
        // without its `moto_server` script on the PATH.
        let installed = std::process::Command::new("python3")
            .args(["-c", "import moto.server"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map_err(|e| e.to_string())
            .and_then(|s| {
                if s.success() {
                    Ok(())
                } else {
                    Err("python3 has no moto".to_string())
                }
            });
        let spawned = installed.and_then(|()| {
            std::process::Command::new("python3")
                .args([
                    "-m",
                    "moto.server",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .map_err(|e| e.to_string())
        });
        let child = match spawned {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "{test}: moto_server cannot be started ({e}) and CI is set: the S3 tests must run in CI"
                );
                eprintln!(
                    "skipping {test}: moto_server cannot be started ({e}); install it with `python3 -m pip install 'moto[server]'`"
                );
                return None;
            }
        };
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        // It takes a moment to listen.
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "{test}: moto_server does not listen on port {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let created = ureq::put(&format!("{}/{bucket}", moto.url))
            .send_empty()
            .unwrap();
        assert!(created.status().is_success(), "{test}: bucket not created");
        Some(moto)
    }

    /// The storage configuration for `bucket` on this server, with test credentials.
    pub fn storage(&self, bucket: &str, prefix: &str) -> intake_server::storage::S3Config {
        let mut c =
            intake_server::storage::S3Config::parse(&format!("s3://{bucket}/{prefix}")).unwrap();
        c.endpoint = Some(self.url.clone());
        c.access_key_id = Some("testing".into());
        c.secret_access_key = Some("testing".into());
        c
    }

    /// A signed GET of an object (`key`), or of the bucket's listing (key `""`).
    fn signed(&self, bucket: &str, key: &str) -> String {
        use rusty_s3::S3Action;
        let b = rusty_s3::Bucket::new(
            self.url.parse().unwrap(),
            rusty_s3::UrlStyle::Path,
            bucket.to_string(),
            "us-east-1",
        )
        .unwrap();
        let creds = rusty_s3::Credentials::new("testing", "testing");
        let ttl = std::time::Duration::from_secs(60);
        rusty_s3::actions::GetObject::new(&b, Some(&creds), key)
            .sign(ttl)
            .to_string()
    }

    /// An object's bytes, read without intake's client; `None` when there is none.
    pub fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let mut r = ureq::get(&self.signed(bucket, key))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap();
        match r.status().as_u16() {
            200 => Some(r.body_mut().read_to_vec().unwrap()),
            404 => None,
            s => panic!("GET {key}: {s}"),
        }
    }

    /// The keys in a bucket.
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        // A GET of the bucket's own URL lists its objects.
        let xml = ureq::get(&self.signed(bucket, ""))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        xml.split("<Key>")
            .skip(1)
            .filter_map(|s| s.split_once("</Key>").map(|(k, _)| k.to_string()))
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The files in a folder (none when it does not exist).
pub fn files_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}
