//! How one source is asked: spaced requests, a time limit per request, and failures
//! turned into [`Observed::Failed`] values whose text is safe to show.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use launchdeck_core::readiness::{FailureKind, Observed};
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_providers::{ErrorKind, ProviderError};
use launchdeck_store::StoreError;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Why a source gave no answer: a kind and a message that holds no secret and no URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl AsRef<str>) -> Self {
        Failure {
            kind,
            message: sanitize_provider_text(message.as_ref()),
        }
    }

    pub fn timeout(limit: Duration) -> Self {
        Failure::new(
            FailureKind::Timeout,
            format!("no answer within {} s", limit.as_secs_f64().ceil()),
        )
    }

    pub fn observed<T>(&self) -> Observed<T> {
        Observed::failed(self.kind, self.message.clone())
    }

    /// A provider error as the rules see it (providers.md "Outcome → check status").
    pub fn from_provider(err: &ProviderError) -> Self {
        let kind = match err.kind() {
            ErrorKind::Unauthorized => FailureKind::Unauthorized,
            ErrorKind::Forbidden => FailureKind::Forbidden,
            ErrorKind::RateLimited { .. } => FailureKind::RateLimited,
            ErrorKind::Timeout => FailureKind::Timeout,
            ErrorKind::BreakerOpen => FailureKind::BreakerOpen,
            ErrorKind::Server { .. }
            | ErrorKind::Connect
            | ErrorKind::Disconnected
            | ErrorKind::Decode => FailureKind::Unavailable,
            ErrorKind::NotFound
            | ErrorKind::Unprocessable
            | ErrorKind::BadRequest { .. }
            | ErrorKind::Other => FailureKind::Other,
        };
        // `Display` names the provider, the HTTP status and the provider's own
        // (sanitised) message; it never holds a URL, a body or a secret.
        Failure::new(kind, err.to_string())
    }

    pub fn from_store(err: &StoreError) -> Self {
        let kind = match err {
            StoreError::Unreachable(_) => FailureKind::Unavailable,
            StoreError::Timeout(_) => FailureKind::Timeout,
            StoreError::Refused(_) => FailureKind::Forbidden,
            StoreError::SchemaDrift(_) | StoreError::Other(_) => FailureKind::Other,
        };
        Failure::new(kind, err.to_string())
    }

    /// The same failure, with what was being read in front.
    pub fn reading(self, what: &str) -> Self {
        Failure::new(self.kind, format!("reading {what}: {}", self.message))
    }
}

/// Runs `work` with a time limit.
pub(crate) async fn bounded<T>(
    limit: Duration,
    work: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(limit, work).await {
        Ok(result) => result,
        Err(_) => Err(Failure::timeout(limit)),
    }
}

/// Spaces the starts of one provider's requests (at most one per `spacing`), across
/// every run of a gatherer.
#[derive(Debug)]
pub(crate) struct Pacer {
    spacing: Duration,
    next_start: Mutex<Option<Instant>>,
}

impl Pacer {
    pub fn new(spacing: Duration) -> Arc<Self> {
        Arc::new(Pacer {
            spacing,
            next_start: Mutex::new(None),
        })
    }

    /// Waits for this request's turn.
    pub async fn turn(&self) {
        let start = {
            let mut next = self.next_start.lock().await;
            let now = Instant::now();
            let start = next.map_or(now, |at| at.max(now));
            *next = Some(start + self.spacing);
            start
        };
        if start > Instant::now() {
            tokio::time::sleep_until(start).await;
        }
    }
}

/// One provider as the gatherer asks it: paced, each request bounded.
#[derive(Debug, Clone)]
pub(crate) struct Lane {
    pub pacer: Arc<Pacer>,
    pub limit: Duration,
}

impl Lane {
    /// Waits for the pacer, then runs one request within the time limit.
    pub async fn ask<T>(
        &self,
        request: impl Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, Failure> {
        self.pacer.turn().await;
        bounded(self.limit, async {
            request.await.map_err(|e| Failure::from_provider(&e))
        })
        .await
    }
}

/// The same non-answer for another question to a source that was not asked.
pub(crate) fn same_as<T>(not_asked: &Observed<()>) -> Observed<T> {
    match not_asked {
        Observed::Failed { kind, message } => Observed::failed(*kind, message.clone()),
        Observed::NotApplicable(why) => Observed::NotApplicable(why.clone()),
        Observed::Ok(()) | Observed::NotConfigured => Observed::NotConfigured,
    }
}

/// An answer or a failure as a rule input.
pub(crate) fn observe<T>(result: Result<T, Failure>) -> Observed<T> {
    match result {
        Ok(value) => Observed::Ok(value),
        Err(failure) => failure.observed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use launchdeck_providers::Provider;

    #[test]
    fn provider_errors_map_to_failure_kinds() {
        let cases = [
            (ErrorKind::Unauthorized, FailureKind::Unauthorized),
            (ErrorKind::Forbidden, FailureKind::Forbidden),
            (
                ErrorKind::RateLimited { retry_after: None },
                FailureKind::RateLimited,
            ),
            (ErrorKind::Server { status: 503 }, FailureKind::Unavailable),
            (ErrorKind::Connect, FailureKind::Unavailable),
            (ErrorKind::Disconnected, FailureKind::Unavailable),
            (ErrorKind::Decode, FailureKind::Unavailable),
            (ErrorKind::Timeout, FailureKind::Timeout),
            (ErrorKind::BreakerOpen, FailureKind::BreakerOpen),
            (ErrorKind::NotFound, FailureKind::Other),
        ];
        for (kind, want) in cases {
            let err = ProviderError::new(Provider::Retell, kind.clone(), "boom");
            assert_eq!(Failure::from_provider(&err).kind, want, "{kind:?}");
        }
    }

    #[test]
    fn store_errors_map_to_failure_kinds() {
        let unreachable = StoreError::Unreachable("refused".into());
        assert_eq!(
            Failure::from_store(&unreachable).kind,
            FailureKind::Unavailable
        );
        let refused = StoreError::Refused("permission denied".into());
        assert_eq!(Failure::from_store(&refused).kind, FailureKind::Forbidden);
        let drift = Failure::from_store(&StoreError::SchemaDrift("x".into())).reading("calls");
        assert_eq!(drift.kind, FailureKind::Other);
        assert!(
            drift.message.starts_with("reading calls: "),
            "{}",
            drift.message
        );
    }

    #[test]
    fn failure_text_is_sanitised() {
        let failure = Failure::new(FailureKind::Other, "bad\u{1b}[31m red\u{7}");
        assert_eq!(failure.message, "bad red");
    }

    #[tokio::test]
    async fn a_request_past_its_limit_is_a_timeout() {
        let lane = Lane {
            pacer: Pacer::new(Duration::ZERO),
            limit: Duration::from_millis(50),
        };
        let result: Result<(), Failure> = lane
            .ask(std::future::pending::<Result<(), ProviderError>>())
            .await;
        let failure = result.expect_err("times out");
        assert_eq!(failure.kind, FailureKind::Timeout);
        assert!(failure.message.contains("no answer within"));
    }

    #[tokio::test(start_paused = true)]
    async fn the_pacer_spaces_request_starts() {
        let pacer = Pacer::new(Duration::from_secs(1));
        let started = Instant::now();
        for _ in 0..3 {
            pacer.turn().await;
        }
        // Three turns: now, +1 s, +2 s (the clock is paused and auto-advanced).
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }
}
