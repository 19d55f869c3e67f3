//! The webhook: one signed JSON POST, retried with exponential backoff while the receiver
//! is unreachable, times out, fails (5xx) or asks to slow down (429).

use std::fmt;
use std::time::Duration;

use crate::{ImportEnded, NotifyError, USER_AGENT, signature};

/// Where and how to deliver a workspace's webhook.
#[derive(Clone)]
pub struct WebhookConfig {
    pub url: String,
    /// The workspace's signing secret (`X-Intake-Signature`).
    pub secret: String,
    /// Attempts in all, the first included; 0 is taken as 1.
    pub max_attempts: u32,
    /// The wait before the second attempt; each later wait is twice the one before.
    pub first_delay: Duration,
    /// For one attempt as a whole: connecting, sending and reading the answer.
    pub timeout: Duration,
}

impl WebhookConfig {
    /// A configuration with the default policy: 5 attempts, 1 s then 2, 4 and 8 s between
    /// them, 10 s per attempt.
    pub fn new(url: impl Into<String>, secret: impl Into<String>) -> Self {
        WebhookConfig {
            url: url.into(),
            secret: secret.into(),
            max_attempts: 5,
            first_delay: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
        }
    }
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &redact_url(&self.url))
            .field("secret", &"<redacted>")
            .field("max_attempts", &self.max_attempts)
            .field("first_delay", &self.first_delay)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A webhook the receiver accepted (2xx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `X-Intake-Delivery`: a UUID v4, the same on every attempt, so the receiver can
    /// ignore a delivery it already processed.
    pub id: String,
    /// Attempts made, the successful one included.
    pub attempts: u32,
    /// The status of the successful attempt.
    pub status: u16,
}

/// Sends `event` to `cfg.url` and retries as configured. `sleep` is called between
/// attempts with the delay to wait (the server passes `std::thread::sleep`).
pub fn send_webhook(
    cfg: &WebhookConfig,
    event: &ImportEnded,
    sleep: &dyn Fn(Duration),
) -> Result<Delivery, NotifyError> {
    let shown_url = check_url(&cfg.url)?;
    let body = serde_json::to_vec(event).expect("an event of strings and numbers serialises");
    let id = uuid::Uuid::new_v4().to_string();
    let signature = signature(cfg.secret.as_bytes(), &body);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(cfg.timeout))
        .http_status_as_error(false)
        // A POST is not replayed on another URL: a redirect is the receiver's answer.
        .max_redirects(0)
        .user_agent(USER_AGENT)
        .build()
        .into();

    let max_attempts = cfg.max_attempts.max(1);
    let mut delay = cfg.first_delay;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let answer = agent
            .post(&cfg.url)
            .content_type("application/json")
            .header("X-Intake-Signature", &signature)
            .header("X-Intake-Event", &event.event)
            .header("X-Intake-Delivery", &id)
            .send(&body[..]);
        let last = attempt == max_attempts;
        match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                if (200..300).contains(&status) {
                    return Ok(Delivery {
                        id,
                        attempts: attempt,
                        status,
                    });
                }
                if last || !retried_status(status) {
                    return Err(NotifyError::WebhookStatus {
                        url: shown_url,
                        status,
                        attempt,
                        max_attempts,
                    });
                }
            }
            Err(error) => {
                if last || !retried_error(&error) {
                    return Err(NotifyError::WebhookUnreachable {
                        url: shown_url,
                        cause: describe(&error),
                        attempt,
                        max_attempts,
                    });
                }
            }
        }
        sleep(delay);
        delay = delay.saturating_mul(2);
    }
}

/// 5xx: the receiver failed and may not next time; 429: it asked us to come back later.
fn retried_status(status: u16) -> bool {
    status == 429 || status >= 500
}

/// Connection errors and timeouts are retried; a request that cannot be built is not.
fn retried_error(error: &ureq::Error) -> bool {
    !matches!(
        error,
        ureq::Error::BadUri(_)
            | ureq::Error::Http(_)
            | ureq::Error::InvalidProxyUrl
            | ureq::Error::RequireHttpsOnly(_)
    )
}

fn describe(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Timeout(_) => "no answer within the timeout".to_owned(),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused".to_owned()
        }
        ureq::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

/// Checks the URL before the first attempt and returns it as errors show it.
fn check_url(url: &str) -> Result<String, NotifyError> {
    let refuse = |reason: &str| NotifyError::WebhookUrl {
        url: redact_url(url),
        reason: reason.to_owned(),
    };
    let parsed = url::Url::parse(url).map_err(|e| refuse(&e.to_string()))?;
    match parsed.scheme() {
        "http" => {}
        "https" if cfg!(feature = "tls") => {}
        "https" => {
            return Err(NotifyError::TlsUnavailable {
                what: format!("the webhook `{}`", redact_url(url)),
            });
        }
        other => {
            return Err(refuse(&format!(
                "the scheme is `{other}`, not http or https"
            )));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(refuse("it names no host"));
    }
    Ok(redact_url(url))
}

/// The URL without user name, password, query and fragment; text that is not a URL is
/// cut at its first `@`, `?` or `#` after the scheme so no credential shows either.
fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let had_query = parsed.query().is_some();
            // Both fail only for URLs that cannot have credentials (`data:`, `mailto:`).
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            parsed.set_fragment(None);
            let mut shown = parsed.to_string();
            if had_query {
                shown.push_str("?…");
            }
            shown
        }
        Err(_) => {
            let rest_at = url.find("://").map_or(0, |i| i + 3);
            let (scheme, rest) = url.split_at(rest_at);
            let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            let rest = rest.split(['?', '#']).next().unwrap_or_default();
            format!("{scheme}{rest}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_credentials() {
        assert_eq!(
            redact_url("https://user:pw@hooks.example.com/in/abc?token=s3cret#x"),
            "https://hooks.example.com/in/abc?…"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:8080/hook"),
            "http://127.0.0.1:8080/hook"
        );
        assert_eq!(
            redact_url("https://user:pw@exa mple.com/x?t=1"),
            "https://exa mple.com/x"
        );
    }

    #[test]
    fn only_http_urls_with_a_host_are_taken() {
        let error = check_url("ftp://example.com/x").unwrap_err();
        insta::assert_snapshot!(error, @"webhook URL `ftp://example.com/x` cannot be used: the scheme is `ftp`, not http or https");
        let error = check_url("not a url").unwrap_err();
        insta::assert_snapshot!(error, @"webhook URL `not a url` cannot be used: relative URL without a base");
        assert!(check_url("http://example.com/hook").is_ok());
    }

    #[test]
    fn debug_hides_the_secret() {
        let cfg = WebhookConfig::new("https://u:p@example.com/h", "s3cret");
        let shown = format!("{cfg:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("u:p"),
            "{shown}"
        );
    }
}
