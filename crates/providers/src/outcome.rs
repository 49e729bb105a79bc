//! Outcomes of the calls that must never be repeated blindly (providers.md §3).

use crate::error::{ErrorKind, ProviderError};

/// What happened to a create-call request.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateCallOutcome<C> {
    /// The provider accepted it (201): poll the call.
    Placed(C),
    /// The provider refused it (4xx): show the message and any `Retry-After`; no redial.
    Rejected(ProviderError),
    /// Nothing reached the provider (connect/DNS/TLS failure, breaker open): the operator
    /// may retry.
    NotSent(ProviderError),
    /// 5xx, timeout after sending, connection lost, unparseable 2xx: the call may exist.
    /// Never redial; record it and reconcile.
    AcceptanceUnknown(ProviderError),
}

impl<C> CreateCallOutcome<C> {
    /// Sorts a failed create into rejected / not sent / acceptance unknown.
    pub(crate) fn from_error(err: ProviderError) -> Self {
        if err.nothing_sent() {
            return CreateCallOutcome::NotSent(err);
        }
        match (err.kind(), err.status()) {
            (ErrorKind::Other, None) => CreateCallOutcome::NotSent(err),
            (ErrorKind::Timeout, _) => CreateCallOutcome::AcceptanceUnknown(err),
            (_, Some(status)) if (400..500).contains(&status) => CreateCallOutcome::Rejected(err),
            _ => CreateCallOutcome::AcceptanceUnknown(err),
        }
    }

    pub fn placed(&self) -> Option<&C> {
        match self {
            CreateCallOutcome::Placed(call) => Some(call),
            _ => None,
        }
    }

    pub fn error(&self) -> Option<&ProviderError> {
        match self {
            CreateCallOutcome::Placed(_) => None,
            CreateCallOutcome::Rejected(e)
            | CreateCallOutcome::NotSent(e)
            | CreateCallOutcome::AcceptanceUnknown(e) => Some(e),
        }
    }
}

/// Result of a stop-call or hang-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndCallOutcome {
    /// The provider accepted the stop/hang-up.
    Ended,
    /// The call had already finished; `status` is what the provider reported.
    AlreadyEnded { status: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Provider;

    fn outcome(kind: ErrorKind, status: Option<u16>) -> CreateCallOutcome<()> {
        let mut err = ProviderError::new(Provider::Retell, kind, "m");
        if let Some(status) = status {
            err = err.with_status(status);
        }
        CreateCallOutcome::from_error(err)
    }

    #[test]
    fn create_outcomes_follow_the_table() {
        assert!(matches!(
            outcome(ErrorKind::Connect, None),
            CreateCallOutcome::NotSent(_)
        ));
        assert!(matches!(
            outcome(ErrorKind::BreakerOpen, None),
            CreateCallOutcome::NotSent(_)
        ));
        for status in [400, 401, 402, 422] {
            assert!(matches!(
                outcome(ErrorKind::BadRequest { status }, Some(status)),
                CreateCallOutcome::Rejected(_)
            ));
        }
        assert!(matches!(
            outcome(ErrorKind::RateLimited { retry_after: None }, Some(429)),
            CreateCallOutcome::Rejected(_)
        ));
        assert!(matches!(
            outcome(ErrorKind::Server { status: 500 }, Some(500)),
            CreateCallOutcome::AcceptanceUnknown(_)
        ));
        assert!(matches!(
            outcome(ErrorKind::Timeout, None),
            CreateCallOutcome::AcceptanceUnknown(_)
        ));
        assert!(matches!(
            outcome(ErrorKind::Disconnected, None),
            CreateCallOutcome::AcceptanceUnknown(_)
        ));
        assert!(matches!(
            outcome(ErrorKind::Decode, None),
            CreateCallOutcome::AcceptanceUnknown(_)
        ));
    }
}
