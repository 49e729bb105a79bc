//! launchdeck-providers: HTTP clients for Retell AI, Twilio, ElevenLabs and Google.
//!
//! Every client shares one HTTP layer ([`HttpConfig`]): connect/total timeouts, no
//! redirects, retries only where providers.md §3 says they are safe (full-jitter
//! backoff, `Retry-After`, a retry budget), and a circuit breaker per provider host.
//! Failures are [`ProviderError`]s whose text never holds a URL, a raw body or a secret.

mod breaker;
mod de;
mod error;
mod error_body;
mod http;
mod outcome;
mod retry;

pub mod elevenlabs;
pub mod google;
pub mod retell;
pub mod twilio;

pub use breaker::{BreakerSettings, BreakerState};
pub use elevenlabs::ElevenLabsClient;
pub use error::{CheckVerdict, ErrorKind, OAuthFailure, Provider, ProviderError};
pub use google::{GoogleCalendarClient, GoogleOAuthClient};
pub use http::{HttpConfig, Timeouts, install_crypto_provider};
pub use outcome::{CreateCallOutcome, EndCallOutcome};
pub use retell::RetellClient;
pub use retry::{RetryPolicy, parse_retry_after};
pub use twilio::TwilioClient;

/// Response parsers exposed for property tests and fuzzing: each takes arbitrary bytes
/// and must return, never panic.
pub mod parsers {
    use crate::error::{Provider, ProviderError};
    use crate::http::decode_json;

    pub fn retell_call(body: &[u8]) -> Result<crate::retell::Call, ProviderError> {
        decode_json(Provider::Retell, body, "call")
    }

    pub fn retell_number(body: &[u8]) -> Result<crate::retell::PhoneNumber, ProviderError> {
        decode_json(Provider::Retell, body, "phone number")
    }

    pub fn retell_concurrency(body: &[u8]) -> Result<crate::retell::Concurrency, ProviderError> {
        decode_json(Provider::Retell, body, "concurrency")
    }

    pub fn twilio_account(body: &[u8]) -> Result<crate::twilio::Account, ProviderError> {
        decode_json(Provider::Twilio, body, "account")
    }

    pub fn twilio_call(body: &[u8]) -> Result<crate::twilio::TwilioCall, ProviderError> {
        decode_json(Provider::Twilio, body, "call")
    }

    pub fn elevenlabs_subscription(
        body: &[u8],
    ) -> Result<crate::elevenlabs::Subscription, ProviderError> {
        decode_json(Provider::ElevenLabs, body, "subscription")
    }

    pub fn google_free_busy(body: &[u8]) -> Result<crate::google::FreeBusy, ProviderError> {
        decode_json(Provider::Google, body, "freeBusy reply")
    }

    /// The error built from a non-2xx reply with this body, for any provider.
    pub fn error_reply(provider: Provider, status: u16, body: &[u8]) -> ProviderError {
        crate::error_body::error_from_reply(provider, status, None, body)
    }
}
