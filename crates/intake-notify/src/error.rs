//! Why a notification could not be sent.

/// A notification that could not be sent. URLs are shown without user name, password or
/// query string, since webhook receivers often carry a token there.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The webhook URL is not an `http` or `https` URL.
    #[error("webhook URL `{url}` cannot be used: {reason}")]
    WebhookUrl { url: String, reason: String },

    /// The receiver answered with a status that is not a success: a 4xx other than 429
    /// (not retried), a redirect (not followed), or a 5xx or 429 at the last attempt.
    #[error("webhook `{url}` answered HTTP {status} on attempt {attempt} of {max_attempts}{}", status_hint(*status))]
    WebhookStatus {
        url: String,
        status: u16,
        attempt: u32,
        max_attempts: u32,
    },

    /// No answer from the receiver: connection refused, host not found, timeout, TLS.
    #[error("webhook `{url}` could not be reached on attempt {attempt} of {max_attempts}: {cause}")]
    WebhookUnreachable {
        url: String,
        cause: String,
        attempt: u32,
        max_attempts: u32,
    },

    /// HTTPS webhooks need the `tls` feature, which this build left out.
    #[error("{what} needs TLS, which this build of intake leaves out (the `tls` feature)")]
    TlsUnavailable { what: String },
}

impl NotifyError {
    /// Whether sending again later may succeed: the receiver was down or busy, rather
    /// than the configuration being wrong.
    pub fn is_transient(&self) -> bool {
        match self {
            NotifyError::WebhookStatus { status, .. } => *status == 429 || *status >= 500,
            NotifyError::WebhookUnreachable { .. } => true,
            NotifyError::WebhookUrl { .. } | NotifyError::TlsUnavailable { .. } => false,
        }
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        300..=399 => " (webhooks do not follow redirects: configure the final URL)",
        401 | 403 => {
            " (the receiver refused the request: check its credentials and the signing secret)"
        }
        404 | 410 => " (no receiver at this URL: check the webhook URL)",
        429 => " (the receiver is rate limiting)",
        400..=499 => " (the receiver refused the request; not retried)",
        _ => "",
    }
}
