//! Where uploads and result files are kept: the local files folder (the default), or a bucket
//! of an S3-compatible object store, which servers and workers on several machines share.
//!
//! The engine reads an upload more than once and writes its result files as it goes, so it
//! always works on local files. With [`Storage::Local`] those are the stored files
//! themselves and nothing is copied. With [`Storage::S3`] an upload is staged in the files
//! folder's `cache/` while it arrives and then put under `uploads/<id>`; readers fetch it
//! into `cache/` for the time they need it ([`LocalFile`] removes the copy when dropped);
//! result files are written into a folder in `cache/` and put under `imports/<id>/<name>`.
//! Nothing stays in `cache/` after use except what a crashed process left there.
//!
//! Requests are presigned (rusty-s3) and sent with a blocking HTTP client (ureq), so storage
//! is called like the file system: from workers and from `api::blocking`, never on the
//! async runtime's threads.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusty_s3::actions::{DeleteObject, GetObject, PutObject};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

/// How long a signed request stays valid: long enough to send a large file.
const SIGNED_FOR: Duration = Duration::from_secs(3600);

/// An S3-compatible bucket, as configured: `s3://BUCKET[/PREFIX]` with the endpoint, region
/// and credentials (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY` in the binary).
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// The bucket's name.
    pub bucket: String,
    /// Prepended to every key: empty, or ending with `/`.
    pub prefix: String,
    /// The server's address for S3-compatible stores (MinIO, Ceph, ...), reached with
    /// path-style URLs; `None`: AWS, with virtual-host URLs.
    pub endpoint: Option<String>,
    /// The region requests are signed for.
    pub region: String,
    /// The access key; `None` (with no secret): unsigned requests.
    pub access_key_id: Option<String>,
    /// The secret key (never shown in `Debug`).
    pub secret_access_key: Option<String>,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl S3Config {
    /// A bucket from `s3://BUCKET[/PREFIX]`, in region `us-east-1` on AWS, without credentials
    /// (set the other fields after).
    pub fn parse(location: &str) -> Result<S3Config, StorageError> {
        let bad = |why: &str| {
            StorageError::Config(format!(
                "the storage `{location}` {why}\nhint: pass s3://BUCKET or s3://BUCKET/PREFIX"
            ))
        };
        let rest = location
            .strip_prefix("s3://")
            .ok_or_else(|| bad("is not an s3:// address"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty()
            || !bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'))
        {
            return Err(bad(
                "names no bucket (lowercase letters, digits, `-` and `.`)",
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|p| p == "." || p == "..") {
            return Err(bad("has `.` or `..` in its prefix"));
        }
        Ok(S3Config {
            bucket: bucket.to_string(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
            endpoint: None,
            region: "us-east-1".into(),
            access_key_id: None,
            secret_access_key: None,
        })
    }
}

/// Why storage failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The configured location, endpoint or credentials are not usable.
    #[error("{0}")]
    Config(String),
    /// A local file could not be read or written.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The object store has nothing under this key.
    #[error("object storage has no `{0}`")]
    NotFound(String),
    /// The object store could not be reached, or refused the request.
    #[error("object storage: {action} `{key}` failed: {message}")]
    Request {
        /// PUT, GET or DELETE.
        action: &'static str,
        /// The object's key.
        key: String,
        /// The store's answer or the connection's error.
        message: String,
    },
}

/// A bucket and how to reach it.
pub struct S3Bucket {
    bucket: Bucket,
    credentials: Option<Credentials>,
    prefix: String,
    agent: ureq::Agent,
}

impl fmt::Debug for S3Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Bucket")
            .field("url", &self.bucket.object_url(&self.prefix).as_str())
            .finish_non_exhaustive()
    }
}

/// Where the server's files are kept.
#[derive(Debug)]
pub enum Storage {
    /// The files folder: `uploads/<id>` and `imports/<id>/<name>` under it.
    Local(PathBuf),
    /// A bucket, under the same keys; local copies live in `cache` while they are used.
    S3 {
        /// The bucket.
        bucket: Box<S3Bucket>,
        /// The files folder's `cache/`.
        cache: PathBuf,
    },
}

/// A file to read locally: the stored file itself, or a copy removed when this is dropped.
#[derive(Debug)]
pub struct LocalFile {
    path: PathBuf,
    _copy: Option<tempfile::TempPath>,
}

impl LocalFile {
    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The folder an import's result files are written into; a staging folder removed when
/// this is dropped, unless storage is local.
#[derive(Debug)]
pub struct ResultsDir {
    path: PathBuf,
    _staging: Option<tempfile::TempDir>,
}

impl ResultsDir {
    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Storage {
    /// Storage in the files folder `files`, or in the bucket `s3` (with a cache in `files`).
    pub fn open(files: &Path, s3: Option<&S3Config>) -> Result<Storage, StorageError> {
        let Some(s3) = s3 else {
            fs_err::create_dir_all(files.join("uploads"))?;
            fs_err::create_dir_all(files.join("imports"))?;
            return Ok(Storage::Local(files.to_path_buf()));
        };
        let (endpoint, style) = match &s3.endpoint {
            Some(e) => (e.clone(), UrlStyle::Path),
            None => (
                format!("https://s3.{}.amazonaws.com", s3.region),
                if s3.bucket.contains('.') {
                    UrlStyle::Path
                } else {
                    UrlStyle::VirtualHost
                },
            ),
        };
        let url = url::Url::parse(&endpoint).map_err(|e| {
            StorageError::Config(format!(
                "the object storage endpoint `{endpoint}` is not a URL: {e}\nhint: set AWS_ENDPOINT_URL=http://HOST:PORT"
            ))
        })?;
        let bucket =
            Bucket::new(url, style, s3.bucket.clone(), s3.region.clone()).map_err(|e| {
                StorageError::Config(format!(
                    "bucket `{}` at `{endpoint}` cannot be addressed: {e:?}",
                    s3.bucket
                ))
            })?;
        let credentials = match (&s3.access_key_id, &s3.secret_access_key) {
            (Some(k), Some(s)) => Some(Credentials::new(k.clone(), s.clone())),
            (None, None) => None,
            _ => {
                return Err(StorageError::Config(
                    "object storage needs both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither".into(),
                ));
            }
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .build()
            .new_agent();
        let cache = files.join("cache");
        fs_err::create_dir_all(&cache)?;
        Ok(Storage::S3 {
            bucket: Box::new(S3Bucket {
                bucket,
                credentials,
                prefix: s3.prefix.clone(),
                agent,
            }),
            cache,
        })
    }

    /// Where an arriving upload is written: its stored place, or a staging file that
    /// [`Storage::keep_upload`] puts into the bucket.
    pub fn upload_target(&self, id: &str) -> PathBuf {
        match self {
            Storage::Local(files) => files.join("uploads").join(id),
            Storage::S3 { cache, .. } => cache.join(format!("upload-{id}")),
        }
    }

    /// Keeps an upload written to [`Storage::upload_target`]: nothing to do locally; into
    /// the bucket under `uploads/<id>` otherwise (the staging file is removed either way).
    pub fn keep_upload(&self, id: &str) -> Result<(), StorageError> {
        match self {
            Storage::Local(_) => Ok(()),
            Storage::S3 { bucket, .. } => {
                let staged = self.upload_target(id);
                let put = bucket.put(&format!("uploads/{id}"), &staged);
                let _ = fs_err::remove_file(&staged);
                put
            }
        }
    }

    /// Removes an upload.
    pub fn remove_upload(&self, id: &str) -> Result<(), StorageError> {
        match self {
            Storage::Local(files) => match fs_err::remove_file(files.join("uploads").join(id)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            },
            Storage::S3 { bucket, .. } => bucket.delete(&format!("uploads/{id}")),
        }
    }

    /// An upload, to read locally.
    pub fn upload(&self, id: &str) -> Result<LocalFile, StorageError> {
        match self {
            Storage::Local(files) => Ok(LocalFile {
                path: files.join("uploads").join(id),
                _copy: None,
            }),
            Storage::S3 { bucket, cache } => bucket.fetch(&format!("uploads/{id}"), cache),
        }
    }

    /// The folder to write an import's result files into.
    pub fn results(&self, import: &str) -> Result<ResultsDir, StorageError> {
        match self {
            Storage::Local(files) => {
                let path = files.join("imports").join(import);
                fs_err::create_dir_all(&path)?;
                Ok(ResultsDir {
                    path,
                    _staging: None,
                })
            }
            Storage::S3 { cache, .. } => {
                let staging = tempfile::Builder::new()
                    .prefix(&format!("import-{import}-"))
                    .tempdir_in(cache)?;
                Ok(ResultsDir {
                    path: staging.path().to_path_buf(),
                    _staging: Some(staging),
                })
            }
        }
    }

    /// Keeps the result files `names` written into `dir`: nothing to do locally; into the
    /// bucket under `imports/<id>/<name>` otherwise.
    pub fn keep_results(
        &self,
        import: &str,
        dir: &ResultsDir,
        names: &[&str],
    ) -> Result<(), StorageError> {
        match self {
            Storage::Local(_) => Ok(()),
            Storage::S3 { bucket, .. } => {
                for name in names {
                    bucket.put(&format!("imports/{import}/{name}"), &dir.path.join(name))?;
                }
                Ok(())
            }
        }
    }

    /// A result file of an import, to read locally; `None` when there is none.
    pub fn result(&self, import: &str, name: &str) -> Result<Option<LocalFile>, StorageError> {
        match self {
            Storage::Local(files) => {
                let path = files.join("imports").join(import).join(name);
                Ok(path.exists().then_some(LocalFile { path, _copy: None }))
            }
            Storage::S3 { bucket, cache } => {
                match bucket.fetch(&format!("imports/{import}/{name}"), cache) {
                    Ok(f) => Ok(Some(f)),
                    Err(StorageError::NotFound(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            }
        }
    }
}

impl S3Bucket {
    /// The object's URL, signed for `action`.
    fn signed(&self, action: &'static str, key: &str) -> String {
        let key = format!("{}{key}", self.prefix);
        let (b, c) = (&self.bucket, self.credentials.as_ref());
        match action {
            "PUT" => PutObject::new(b, c, &key).sign(SIGNED_FOR),
            "DELETE" => DeleteObject::new(b, c, &key).sign(SIGNED_FOR),
            _ => GetObject::new(b, c, &key).sign(SIGNED_FOR),
        }
        .to_string()
    }

    fn failed(action: &'static str, key: &str, message: String) -> StorageError {
        StorageError::Request {
            action,
            key: key.to_string(),
            message,
        }
    }

    /// A refusal as an error: not found, or the store's code and message.
    fn refused(
        action: &'static str,
        key: &str,
        mut response: ureq::http::Response<ureq::Body>,
    ) -> StorageError {
        let status = response.status();
        if status == ureq::http::StatusCode::NOT_FOUND && action != "DELETE" {
            return StorageError::NotFound(key.to_string());
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .unwrap_or_default();
        // S3 answers `<Error><Code>..</Code><Message>..</Message></Error>`.
        let tag = |name: &str| {
            let open = format!("<{name}>");
            let start = body.find(&open)? + open.len();
            let end = body[start..].find('<')? + start;
            Some(body[start..end].to_string())
        };
        let message = match (tag("Code"), tag("Message")) {
            (Some(code), Some(m)) => format!("{status}: {code}: {m}"),
            (Some(code), None) => format!("{status}: {code}"),
            _ => status.to_string(),
        };
        Self::failed(action, key, message)
    }

    /// Puts the local file `path` under `key`.
    fn put(&self, key: &str, path: &Path) -> Result<(), StorageError> {
        let file = fs_err::File::open(path)?;
        // A file body is sent with its length, as S3 requires for a PUT.
        let response = self
            .agent
            .put(&self.signed("PUT", key))
            .send(file.file())
            .map_err(|e| Self::failed("PUT", key, e.to_string()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(Self::refused("PUT", key, response))
        }
    }

    /// Copies the object `key` into a new file in `cache`.
    fn fetch(&self, key: &str, cache: &Path) -> Result<LocalFile, StorageError> {
        let mut response = self
            .agent
            .get(&self.signed("GET", key))
            .call()
            .map_err(|e| Self::failed("GET", key, e.to_string()))?;
        if !response.status().is_success() {
            return Err(Self::refused("GET", key, response));
        }
        let mut copy = tempfile::Builder::new()
            .prefix("fetched-")
            .tempfile_in(cache)?;
        io::copy(&mut response.body_mut().as_reader(), copy.as_file_mut())
            .map_err(|e| Self::failed("GET", key, e.to_string()))?;
        let copy = copy.into_temp_path();
        Ok(LocalFile {
            path: copy.to_path_buf(),
            _copy: Some(copy),
        })
    }

    /// Deletes the object `key` (nothing there is no error).
    fn delete(&self, key: &str) -> Result<(), StorageError> {
        let response = self
            .agent
            .delete(&self.signed("DELETE", key))
            .call()
            .map_err(|e| Self::failed("DELETE", key, e.to_string()))?;
        if response.status().is_success() || response.status() == 404 {
            Ok(())
        } else {
            Err(Self::refused("DELETE", key, response))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_locations_parse() {
        let c = S3Config::parse("s3://intake-files").unwrap();
        assert_eq!((c.bucket.as_str(), c.prefix.as_str()), ("intake-files", ""));
        let c = S3Config::parse("s3://intake-files/prod/eu/").unwrap();
        assert_eq!(c.prefix, "prod/eu/");
        for bad in [
            "intake-files",
            "s3://",
            "s3://Bucket",
            "s3://b/../x",
            "file:///tmp",
        ] {
            assert!(S3Config::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_secret_is_not_shown() {
        let mut c = S3Config::parse("s3://b").unwrap();
        c.secret_access_key = Some("hunter2".into());
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
