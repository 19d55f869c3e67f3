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

    /// A sender or recipient address that is not an e-mail address.
    #[error("`{address}` is not an e-mail address: {reason}")]
    MailAddress { address: String, reason: String },

    /// The SMTP server could not be reached, refused the mail or failed to take it.
    #[error("mail to `{to}` could not be sent through {host}:{port}: {cause}")]
    Smtp {
        to: String,
        host: String,
        port: u16,
        cause: String,
        /// The server was unreachable or answered 4xx: sending later may work.
        transient: bool,
    },

    /// HTTPS webhooks and STARTTLS need the `tls` feature, which this build left out.
    #[error("{what} needs TLS, which this build of intake leaves out (the `tls` feature)")]
    TlsUnavailable { what: String },
}

impl NotifyError {
    /// Whether sending again later may succeed: the receiver or the server was down or
    /// busy, rather than the configuration or the message being wrong.
    pub fn is_transient(&self) -> bool {
        match self {
            NotifyError::WebhookStatus { status, .. } => *status == 429 || *status >= 500,
            NotifyError::WebhookUnreachable { .. } => true,
            NotifyError::Smtp { transient, .. } => *transient,
            NotifyError::WebhookUrl { .. }
            | NotifyError::MailAddress { .. }
            | NotifyError::TlsUnavailable { .. } => false,
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
