//! What the actions that talk to a provider share: the client or why there is none,
//! one request in the provider's paced lane, and an audit record for any row.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use launchdeck_core::actions::{AuditResult, AuditTarget};
use launchdeck_core::domain::CallProvider;
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_providers::EndCallOutcome;
use launchdeck_providers::{Provider, ProviderError};
use launchdeck_store::StoreError;
use serde_json::json;
use uuid::Uuid;

use super::ActionError;
use crate::readiness::clients::Client;
use crate::readiness::lane::Lane;

/// The provider client, or why the action cannot use it; `setting` names the
/// environment variables (or config keys) that configure it.
pub(super) fn ready<C>(
    client: &Client<C>,
    provider: Provider,
    setting: &str,
) -> Result<Arc<C>, ActionError> {
    match client {
        Client::Ready(client) => Ok(client.clone()),
        Client::NotConfigured => Err(ActionError::NotConfigured(format!(
            "{provider} is not configured: {setting}"
        ))),
        Client::Broken(failure) => Err(ActionError::NotConfigured(format!(
            "{provider} cannot be used: {}",
            failure.message
        ))),
    }
}

/// Why one provider request gave no answer. `Display` holds no secret and no URL.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Asked {
    /// The provider (or the connection to it) answered with an error.
    Error(ProviderError),
    /// Nothing came back within the lane's limit.
    NoAnswer { provider: Provider, seconds: u64 },
}

impl fmt::Display for Asked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Asked::Error(err) => write!(f, "{err}"),
            Asked::NoAnswer { provider, seconds } => {
                write!(f, "{provider} gave no answer within {seconds} s")
            }
        }
    }
}

/// Waits for the lane's turn, then runs one request within the lane's time limit.
pub(super) async fn ask<T>(
    lane: &Lane,
    provider: Provider,
    request: impl Future<Output = Result<T, ProviderError>>,
) -> Result<T, Asked> {
    lane.pacer.turn().await;
    match tokio::time::timeout(lane.limit, request).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(Asked::Error(err)),
        Err(_) => Err(Asked::NoAnswer {
            provider,
            seconds: lane.limit.as_secs_f64().ceil() as u64,
        }),
    }
}

/// A store read that failed, as the action reports it.
pub(super) fn read_error(what: &str) -> impl FnOnce(StoreError) -> ActionError + '_ {
    move |source| ActionError::Read {
        what: what.to_string(),
        source,
    }
}

/// The row an audit record is about.
pub(super) fn target(table: &str, id: Uuid, name: &str) -> AuditTarget {
    AuditTarget {
        table: table.to_string(),
        id,
        name: name.to_string(),
    }
}

/// Ends one live call at its provider (Twilio hang-up, Retell stop-call) in the
/// provider's paced lane: how it went, and the audit's `after`.
pub(super) async fn end_call(
    env: &super::ActionEnv,
    provider: &CallProvider,
    call_id: &str,
) -> (AuditResult, Option<serde_json::Value>) {
    match env.providers.end_call(provider, call_id).await {
        Ok(EndCallOutcome::Ended) => (
            AuditResult::Changed,
            Some(json!({"provider": provider.name(), "hung_up": true})),
        ),
        Ok(EndCallOutcome::AlreadyEnded { status }) => (
            AuditResult::Skipped(format!(
                "{} says the call had already ended ({})",
                provider.name(),
                sanitize_provider_text(&status)
            )),
            Some(json!({"provider": provider.name(), "hung_up": false})),
        ),
        Err(e) => (AuditResult::Failed(e.to_string()), None),
    }
}
