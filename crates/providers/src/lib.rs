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
pub mod fuzzing;
pub mod google;
pub mod parsers;
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
