//! ElevenLabs: the subscription (also the key check).

use launchdeck_core::readiness::{ElevenLabsAnswer, ElevenLabsSubscription, Observed};
use launchdeck_providers::elevenlabs::Subscription;
use launchdeck_providers::{ElevenLabsClient, ProviderError};

use super::clients::Client;
use super::lane::{Failure, Lane, bounded};

pub(crate) async fn gather(
    client: Client<ElevenLabsClient>,
    lane: Lane,
) -> Observed<ElevenLabsAnswer> {
    let client = match client.ready() {
        Ok(client) => client,
        Err(not_asked) => return not_asked,
    };
    lane.pacer.turn().await;
    let reply = bounded(lane.limit, async { Ok(client.subscription().await) }).await;
    match reply {
        Ok(answer) => answer_of(answer),
        Err(timeout) => timeout.observed(),
    }
}

/// A scoped key without `user_read` is an answer (warn), not a failure.
pub(crate) fn answer_of(reply: Result<Subscription, ProviderError>) -> Observed<ElevenLabsAnswer> {
    match reply {
        Ok(sub) => Observed::Ok(ElevenLabsAnswer::Subscription(subscription_fact(sub))),
        Err(err) if err.is_missing_permissions() => {
            Observed::Ok(ElevenLabsAnswer::MissingPermissions)
        }
        Err(err) => Failure::from_provider(&err).observed(),
    }
}

fn subscription_fact(sub: Subscription) -> ElevenLabsSubscription {
    ElevenLabsSubscription {
        tier: sub.tier.unwrap_or_else(|| "unknown".to_string()),
        status: sub
            .status
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "unknown".to_string()),
        character_count: sub.character_count.unwrap_or(0),
        character_limit: sub.character_limit.unwrap_or(0),
    }
}
