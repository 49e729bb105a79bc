//! ElevenLabs client: the subscription check only (providers.md §1.3). `/v1/user` is
//! never called: its body may contain the full API key.

use std::sync::Arc;

use secrecy::SecretString;
use serde::Deserialize;

use crate::breaker::BreakerState;
use crate::de::{lenient_i64, string_enum};
use crate::error::{Provider, ProviderError};
use crate::http::{Auth, BaseUrl, HttpConfig, HttpLayer, Request};
use crate::retry::RetryBudget;

pub const DEFAULT_BASE_URL: &str = "https://api.elevenlabs.io";

string_enum! {
    /// Subscription `status`.
    pub enum SubscriptionStatus {
        Trialing = "trialing",
        Active = "active",
        Incomplete = "incomplete",
        PastDue = "past_due",
        Free = "free",
        FreeDisabled = "free_disabled",
    }
}

/// `GET /v1/user/subscription`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Subscription {
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub character_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub character_limit: Option<i64>,
    /// Unix seconds; null on some plans.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub next_character_count_reset_unix: Option<i64>,
    #[serde(default)]
    pub status: Option<SubscriptionStatus>,
}

impl Subscription {
    /// `character_limit − character_count`, when both are known (and the difference
    /// fits an `i64`).
    pub fn characters_left(&self) -> Option<i64> {
        self.character_limit?.checked_sub(self.character_count?)
    }

    /// `past_due` and `free_disabled` cannot synthesise speech reliably.
    pub fn status_blocks_tts(&self) -> bool {
        matches!(
            self.status,
            Some(SubscriptionStatus::PastDue | SubscriptionStatus::FreeDisabled)
        )
    }
}

/// ElevenLabs API client.
#[derive(Debug)]
pub struct ElevenLabsClient {
    http: HttpLayer,
    api_key: SecretString,
}

impl ElevenLabsClient {
    pub fn new(
        base_url: &str,
        api_key: SecretString,
        config: &HttpConfig,
    ) -> Result<Self, ProviderError> {
        let base = BaseUrl::parse(Provider::ElevenLabs, "[elevenlabs] base_url", base_url)?;
        let budget = Arc::new(RetryBudget::new(config.retry_budget));
        Ok(ElevenLabsClient {
            http: HttpLayer::new(Provider::ElevenLabs, base, config, budget)?,
            api_key,
        })
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.http.breaker_state()
    }

    /// The key check. A 401 with code `missing_permissions` (see
    /// [`ProviderError::is_missing_permissions`]) means a scoped key without `user_read`.
    pub async fn subscription(&self) -> Result<Subscription, ProviderError> {
        let request = Request::get("/v1/user/subscription")
            .auth(Auth::KeyHeader("xi-api-key", &self.api_key));
        self.http.send_json(&request, "subscription").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_left_and_null_reset() {
        let sub: Subscription = serde_json::from_str(
            r#"{"tier":"creator","character_count":41250,"character_limit":100000,"next_character_count_reset_unix":null,"status":"past_due"}"#,
        )
        .expect("subscription");
        assert_eq!(sub.characters_left(), Some(58750));
        assert_eq!(sub.next_character_count_reset_unix, None);
        assert!(sub.status_blocks_tts());
    }
}
