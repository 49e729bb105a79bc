//! Typed provider errors: what went wrong, the provider's own (sanitised) message, and
//! what it means for a readiness check. Never carries a URL, a raw body or a secret.

use std::fmt;
use std::time::Duration;

use launchdeck_core::redact::sanitize_provider_text;

/// The external services launchdeck talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Retell,
    Twilio,
    ElevenLabs,
    Google,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Retell => "Retell",
            Provider::Twilio => "Twilio",
            Provider::ElevenLabs => "ElevenLabs",
            Provider::Google => "Google",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of failure this was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// HTTP 401: the credentials were rejected.
    Unauthorized,
    /// HTTP 403: authenticated but not allowed.
    Forbidden,
    /// HTTP 404.
    NotFound,
    /// HTTP 422 (Retell's "cannot find requested asset", validation errors).
    Unprocessable,
    /// Another 4xx (400, 402, 405, 409, …): the provider refused the request as sent.
    BadRequest { status: u16 },
    /// HTTP 429 (or a provider's documented rate-limit answer). `retry_after` is the
    /// provider's hint, when it sent one.
    RateLimited { retry_after: Option<Duration> },
    /// HTTP 5xx.
    Server { status: u16 },
    /// No complete answer within the time limit (or HTTP 408).
    Timeout,
    /// Could not connect (refused, DNS, TLS): nothing was sent.
    Connect,
    /// The connection was lost after the request was sent (reset, body cut mid-way).
    Disconnected,
    /// A reply arrived but could not be understood (malformed JSON, wrong shape).
    Decode,
    /// The provider's circuit breaker is open: the request was not sent.
    BreakerOpen,
    /// Anything else (bad configuration, unexpected redirect).
    Other,
}

/// What an error means for a readiness check (providers.md "Outcome → check status").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckVerdict {
    /// Credentials rejected or access refused: the check fails, no retry.
    Fail,
    /// The credential works but lacks a permission the check needs (ElevenLabs
    /// `missing_permissions`): a warning, not a failure.
    Warn,
    /// A get-by-id said the item does not exist (404/422).
    Missing,
    /// The check could not run (rate limit, server error, timeout, breaker open…).
    Unknown,
}

/// Typed failures of Google's token endpoint that need the operator (never retried).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthFailure {
    /// Refresh token revoked, expired or unknown: reconnect needed.
    InvalidGrant,
    /// Client id unknown or secret wrong.
    InvalidClient,
    /// The refresh token belongs to another client.
    UnauthorizedClient,
}

/// An error from a provider client. `Display` is safe for screens, logs and JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    provider: Provider,
    kind: ErrorKind,
    status: Option<u16>,
    code: Option<String>,
    message: String,
    retry_hint: Option<Duration>,
}

impl ProviderError {
    /// An error with a message; the message is sanitised here.
    pub fn new(provider: Provider, kind: ErrorKind, message: impl AsRef<str>) -> Self {
        ProviderError {
            provider,
            kind,
            status: None,
            code: None,
            message: sanitize_provider_text(message.as_ref()),
            retry_hint: None,
        }
    }

    pub(crate) fn with_retry_hint(mut self, hint: Option<Duration>) -> Self {
        self.retry_hint = hint;
        self
    }

    /// The reply's `Retry-After` (any status), used to time a retry.
    pub(crate) fn retry_hint(&self) -> Option<Duration> {
        self.retry_hint
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub(crate) fn with_code(mut self, code: Option<String>) -> Self {
        self.code = code.map(|c| sanitize_provider_text(&c));
        self
    }

    pub fn provider(&self) -> Provider {
        self.provider
    }

    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The HTTP status, when a reply arrived.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The provider's own error code (`20429`, `invalid_grant`, `missing_permissions`,
    /// `authError`, …), when its error body had one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The provider's own message (sanitised), or a description of the local failure.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The provider's `Retry-After` hint, if this was a rate limit that sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.kind {
            ErrorKind::RateLimited { retry_after } => retry_after,
            _ => None,
        }
    }

    /// ElevenLabs: a scoped key without the `user_read` permission.
    pub fn is_missing_permissions(&self) -> bool {
        self.code.as_deref() == Some("missing_permissions")
    }

    /// Google Calendar: the access token was rejected (`authError`): refresh once, retry once.
    pub fn is_google_auth_error(&self) -> bool {
        self.provider == Provider::Google
            && (self.kind == ErrorKind::Unauthorized || self.code.as_deref() == Some("authError"))
            && self.oauth_failure().is_none()
    }

    /// Google token endpoint failures that need the operator to reconnect.
    pub fn oauth_failure(&self) -> Option<OAuthFailure> {
        if self.provider != Provider::Google {
            return None;
        }
        match self.code.as_deref() {
            Some("invalid_grant") => Some(OAuthFailure::InvalidGrant),
            Some("invalid_client") => Some(OAuthFailure::InvalidClient),
            Some("unauthorized_client") => Some(OAuthFailure::UnauthorizedClient),
            _ => None,
        }
    }

    /// What this error means for a readiness check.
    pub fn check_verdict(&self) -> CheckVerdict {
        if self.oauth_failure().is_some() {
            return CheckVerdict::Fail;
        }
        match self.kind {
            ErrorKind::Unauthorized if self.is_missing_permissions() => CheckVerdict::Warn,
            ErrorKind::Unauthorized | ErrorKind::Forbidden => CheckVerdict::Fail,
            ErrorKind::BadRequest { status: 402 } => CheckVerdict::Fail,
            ErrorKind::NotFound | ErrorKind::Unprocessable => CheckVerdict::Missing,
            _ => CheckVerdict::Unknown,
        }
    }

    /// True when the request was certainly not sent (connect failure, breaker open).
    pub fn nothing_sent(&self) -> bool {
        matches!(self.kind, ErrorKind::Connect | ErrorKind::BreakerOpen)
    }

    /// True for failures that say the provider (or the path to it) is unwell:
    /// 5xx, timeouts, connection failures. 4xx and 429 never count.
    pub fn is_provider_failure(&self) -> bool {
        match self.status {
            Some(status) => status >= 500,
            None => matches!(
                self.kind,
                ErrorKind::Timeout | ErrorKind::Connect | ErrorKind::Disconnected
            ),
        }
    }

    fn summary(&self) -> String {
        let status = self
            .status
            .map(|s| format!(" (HTTP {s})"))
            .unwrap_or_default();
        match &self.kind {
            ErrorKind::Unauthorized => format!("credentials rejected{status}"),
            ErrorKind::Forbidden => format!("access refused{status}"),
            ErrorKind::NotFound => format!("not found{status}"),
            ErrorKind::Unprocessable => format!("request not processable{status}"),
            ErrorKind::BadRequest { .. } => format!("request refused{status}"),
            ErrorKind::RateLimited { retry_after } => match retry_after {
                Some(wait) => format!(
                    "rate-limited, retry after {} s{status}",
                    wait.as_secs_f64().ceil() as u64
                ),
                None => format!("rate-limited{status}"),
            },
            ErrorKind::Server { .. } => format!("server error{status}"),
            ErrorKind::Timeout => format!("no answer in time{status}"),
            ErrorKind::Connect => "could not connect".to_string(),
            ErrorKind::Disconnected => "connection lost before the reply was complete".to_string(),
            ErrorKind::Decode => format!("unexpected reply{status}"),
            ErrorKind::BreakerOpen => "circuit breaker open, request not sent".to_string(),
            ErrorKind::Other => "error".to_string(),
        }
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.provider, self.summary())?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(code) = &self.code
            && !self.message.contains(code.as_str())
        {
            write!(f, " [{code}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProviderError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_outcome_table() {
        let err = |kind| ProviderError::new(Provider::Retell, kind, "x");
        assert_eq!(
            err(ErrorKind::Unauthorized).check_verdict(),
            CheckVerdict::Fail
        );
        assert_eq!(
            err(ErrorKind::Forbidden).check_verdict(),
            CheckVerdict::Fail
        );
        assert_eq!(
            err(ErrorKind::NotFound).check_verdict(),
            CheckVerdict::Missing
        );
        assert_eq!(
            err(ErrorKind::Unprocessable).check_verdict(),
            CheckVerdict::Missing
        );
        assert_eq!(
            err(ErrorKind::RateLimited { retry_after: None }).check_verdict(),
            CheckVerdict::Unknown
        );
        assert_eq!(
            err(ErrorKind::Server { status: 503 }).check_verdict(),
            CheckVerdict::Unknown
        );
        assert_eq!(
            err(ErrorKind::Timeout).check_verdict(),
            CheckVerdict::Unknown
        );
        assert_eq!(
            err(ErrorKind::BreakerOpen).check_verdict(),
            CheckVerdict::Unknown
        );
        let scoped = ProviderError::new(Provider::ElevenLabs, ErrorKind::Unauthorized, "m")
            .with_code(Some("missing_permissions".into()));
        assert_eq!(scoped.check_verdict(), CheckVerdict::Warn);
        let grant =
            ProviderError::new(Provider::Google, ErrorKind::BadRequest { status: 400 }, "m")
                .with_code(Some("invalid_grant".into()));
        assert_eq!(grant.check_verdict(), CheckVerdict::Fail);
        assert_eq!(grant.oauth_failure(), Some(OAuthFailure::InvalidGrant));
    }

    #[test]
    fn long_rate_limit_names_the_wait() {
        let err = ProviderError::new(
            Provider::Retell,
            ErrorKind::RateLimited {
                retry_after: Some(Duration::from_secs(120)),
            },
            "Account rate limited, please throttle your requests.",
        )
        .with_status(429);
        assert!(
            err.to_string().contains("rate-limited, retry after 120 s"),
            "{err}"
        );
    }

    #[test]
    fn messages_are_sanitised() {
        let err = ProviderError::new(Provider::Twilio, ErrorKind::Other, "a\u{1b}[31mb");
        assert_eq!(err.message(), "ab");
    }
}
