//! One call's own record at its provider (product.md Decision 11): Retell get-call or
//! Twilio call fetch, for the disconnection reason and timeline the platform's rows do
//! not keep. The request waits its turn in the provider's lane, so the console stays
//! within 1 request/s per provider together with the readiness checks.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use launchdeck_core::cleanup::ProviderAnswer;
use launchdeck_core::domain::{CallProvider, ProviderCallRecord};
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_providers::retell::Call as RetellCall;
use launchdeck_providers::twilio::TwilioCall;
use launchdeck_providers::{EndCallOutcome, ErrorKind, Provider, ProviderError};

use crate::readiness::Gatherer;
use crate::readiness::clients::Client;
use crate::readiness::lane::Lane;

const RETELL_SETTING: &str = "set RETELL_AI_API_KEY (or [retell] api_key in the config file)";
const TWILIO_SETTING: &str = "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN \
     (or [twilio] account_sid and auth_token in the config file)";

/// Why a call's record could not be fetched. `Display` is one line that is safe on any
/// screen or log: no secret, no URL, no raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallRecordError {
    /// The provider's secret is not set; the text names the setting that sets it.
    NotConfigured(String),
    /// The provider has no such call (404, or Retell's 422).
    NotFound(String),
    /// launchdeck does not fetch this provider's calls (Telnyx, product.md Decision 13).
    NotFetched(String),
    /// Any other failure, worded as the provider client words it.
    Failed(String),
}

impl CallRecordError {
    pub fn message(&self) -> &str {
        match self {
            CallRecordError::NotConfigured(m)
            | CallRecordError::NotFound(m)
            | CallRecordError::NotFetched(m)
            | CallRecordError::Failed(m) => m,
        }
    }
}

impl fmt::Display for CallRecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for CallRecordError {}

impl Gatherer {
    /// The call `call_id` as `provider` reports it: one request (Retell
    /// `GET /v2/get-call/{id}`, Twilio `GET …/Calls/{Sid}.json`), paced with every
    /// other request to that provider and bounded by [`crate::GatherOptions::source_timeout`].
    pub async fn call_record(
        &self,
        provider: &CallProvider,
        call_id: &str,
    ) -> Result<ProviderCallRecord, CallRecordError> {
        if call_id.trim().is_empty() {
            return Err(CallRecordError::Failed(
                "the row has no provider call id to fetch".to_string(),
            ));
        }
        let clients = self.clients();
        match provider {
            CallProvider::Retell => {
                let client = ready(&clients.retell, Provider::Retell, RETELL_SETTING)?;
                let lane = &clients.retell_lane;
                let call = ask(lane, Provider::Retell, call_id, client.get_call(call_id)).await?;
                Ok(from_retell(&call))
            }
            CallProvider::Twilio => {
                let client = ready(&clients.twilio, Provider::Twilio, TWILIO_SETTING)?;
                let lane = &clients.twilio_lane;
                let call = ask(lane, Provider::Twilio, call_id, client.fetch_call(call_id)).await?;
                Ok(from_twilio(&call))
            }
            other => Err(CallRecordError::NotFetched(
                other.why_not_fetched().unwrap_or_default(),
            )),
        }
    }
}

impl Gatherer {
    /// What `provider` says about a stuck row's call, for the cleanup: the same one
    /// paced request as [`Gatherer::call_record`], sorted into the cleanup rule's input.
    pub(crate) async fn provider_answer(
        &self,
        provider: &CallProvider,
        call_id: &str,
    ) -> ProviderAnswer {
        match self.call_record(provider, call_id).await {
            Ok(record) => ProviderAnswer::Record(record),
            Err(CallRecordError::NotFound(_)) => ProviderAnswer::UnknownCall,
            Err(CallRecordError::NotFetched(_)) => ProviderAnswer::NotAsked,
            Err(err @ (CallRecordError::NotConfigured(_) | CallRecordError::Failed(_))) => {
                ProviderAnswer::CouldNotAsk(err.to_string())
            }
        }
    }

    /// Ends a live call at its provider (Twilio hang-up, Retell stop-call), waiting its
    /// turn in the provider's lane. The clients read the call first and re-send at most
    /// once (providers.md §3); nothing here retries.
    pub(crate) async fn end_call(
        &self,
        provider: &CallProvider,
        call_id: &str,
    ) -> Result<EndCallOutcome, CallRecordError> {
        let clients = self.clients();
        match provider {
            CallProvider::Retell => {
                let client = ready(&clients.retell, Provider::Retell, RETELL_SETTING)?;
                let lane = &clients.retell_lane;
                ask(lane, Provider::Retell, call_id, client.stop_call(call_id)).await
            }
            CallProvider::Twilio => {
                let client = ready(&clients.twilio, Provider::Twilio, TWILIO_SETTING)?;
                let lane = &clients.twilio_lane;
                ask(lane, Provider::Twilio, call_id, client.hang_up(call_id)).await
            }
            other => Err(CallRecordError::NotFetched(
                other.why_not_fetched().unwrap_or_default(),
            )),
        }
    }
}

fn ready<C>(
    client: &Client<C>,
    provider: Provider,
    setting: &str,
) -> Result<Arc<C>, CallRecordError> {
    match client {
        Client::Ready(client) => Ok(client.clone()),
        Client::NotConfigured => Err(CallRecordError::NotConfigured(format!(
            "{provider} is not configured: {setting}"
        ))),
        Client::Broken(failure) => Err(CallRecordError::Failed(failure.message.clone())),
    }
}

/// Waits for the lane's turn, then runs the request within the lane's time limit.
async fn ask<T>(
    lane: &Lane,
    provider: Provider,
    call_id: &str,
    request: impl Future<Output = Result<T, ProviderError>>,
) -> Result<T, CallRecordError> {
    lane.pacer.turn().await;
    match tokio::time::timeout(lane.limit, request).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(from_error(&err, call_id)),
        Err(_) => Err(CallRecordError::Failed(format!(
            "{provider} gave no answer within {} s",
            lane.limit.as_secs_f64().ceil()
        ))),
    }
}

/// A get-by-id that says "no such item" (404, Retell's 422) is worded as such; every
/// other error keeps the client's own wording.
fn from_error(err: &ProviderError, call_id: &str) -> CallRecordError {
    match err.kind() {
        ErrorKind::NotFound | ErrorKind::Unprocessable => {
            let status = err
                .status()
                .map(|s| format!(" (HTTP {s})"))
                .unwrap_or_default();
            CallRecordError::NotFound(format!(
                "{} has no call {}{status}",
                err.provider(),
                sanitize_provider_text(call_id)
            ))
        }
        _ => CallRecordError::Failed(err.to_string()),
    }
}

/// Provider text made safe for a terminal; `None` when empty.
fn text(raw: &str) -> Option<String> {
    let clean = sanitize_provider_text(raw.trim());
    (!clean.is_empty()).then_some(clean)
}

fn seconds_between(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> Option<i64> {
    Some((end? - start?).num_seconds())
}

/// Retell's call: ms timestamps, `duration_ms`, `call_cost.combined_cost` in cents.
pub(crate) fn from_retell(call: &RetellCall) -> ProviderCallRecord {
    let started_at = call
        .start_timestamp
        .and_then(DateTime::from_timestamp_millis);
    let ended_at = call.end_timestamp.and_then(DateTime::from_timestamp_millis);
    let duration_seconds = call
        .duration_ms
        .map(|ms| ms / 1000)
        .or_else(|| seconds_between(started_at, ended_at));
    let cost = call
        .call_cost
        .as_ref()
        .and_then(|c| c.combined_cost)
        .filter(|cents| cents.is_finite())
        .map(|cents| cents / 100.0);
    ProviderCallRecord {
        provider: CallProvider::Retell,
        call_id: sanitize_provider_text(&call.call_id),
        status: sanitize_provider_text(call.call_status.as_str()),
        reason: call
            .disconnection_reason
            .as_ref()
            .and_then(|r| text(r.as_str())),
        started_at,
        ended_at,
        duration_seconds,
        cost,
    }
}

/// Twilio's call: RFC 2822 times, string `duration`, negative string `price` (taken as
/// US dollars: the client does not read `price_unit`).
pub(crate) fn from_twilio(call: &TwilioCall) -> ProviderCallRecord {
    let started_at = call.start_time_parsed().map(|t| t.with_timezone(&Utc));
    let ended_at = call.end_time_parsed().map(|t| t.with_timezone(&Utc));
    let duration_seconds = call
        .duration_secs()
        .map(|s| i64::try_from(s).unwrap_or(i64::MAX))
        .or_else(|| seconds_between(started_at, ended_at));
    let cost = call
        .price
        .as_deref()
        .and_then(|p| p.trim().parse::<f64>().ok())
        .filter(|p| p.is_finite())
        .map(f64::abs);
    ProviderCallRecord {
        provider: CallProvider::Twilio,
        call_id: sanitize_provider_text(&call.sid),
        status: sanitize_provider_text(call.status.as_str()),
        reason: twilio_error(call),
        started_at,
        ended_at,
        duration_seconds,
        cost,
    }
}

/// `error_code: error_message`, or whichever of the two Twilio sent.
fn twilio_error(call: &TwilioCall) -> Option<String> {
    let message = call.error_message.as_deref().and_then(text);
    match (call.error_code, message) {
        (Some(code), Some(message)) => Some(format!("{code}: {message}")),
        (Some(code), None) => Some(code.to_string()),
        (None, message) => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use launchdeck_providers::parsers;

    fn utc(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, h, m, s)
            .single()
            .expect("valid time")
    }

    #[test]
    fn an_ended_retell_call_maps_reason_timeline_and_cost() {
        let body = br#"{"call_id":"call_8e1b","call_type":"phone_call","agent_id":"a",
            "call_status":"ended","start_timestamp":1767225605000,
            "end_timestamp":1767225665000,"duration_ms":60000,
            "disconnection_reason":"user_hangup","call_cost":{"combined_cost":7.5}}"#;
        let call = parsers::retell_call(body).expect("valid call");
        let record = from_retell(&call);
        assert_eq!(record.provider, CallProvider::Retell);
        assert_eq!(record.status, "ended");
        assert_eq!(record.reason.as_deref(), Some("user_hangup"));
        assert_eq!(record.started_at, Some(utc(0, 0, 5)));
        assert_eq!(record.ended_at, Some(utc(0, 1, 5)));
        assert_eq!(record.duration_seconds, Some(60));
        assert_eq!(record.cost, Some(0.075));
    }

    #[test]
    fn unknown_retell_values_are_kept_and_made_safe() {
        let body = br#"{"call_id":"call_1","call_status":"transferring",
            "disconnection_reason":"new_reason\u001b[31m","call_cost":{"combined_cost":"x"}}"#;
        let call = parsers::retell_call(body).expect("valid call");
        let record = from_retell(&call);
        assert_eq!(record.status, "transferring");
        assert_eq!(record.reason.as_deref(), Some("new_reason"));
        assert_eq!(record.started_at, None);
        assert_eq!(record.duration_seconds, None);
        assert_eq!(record.cost, None);
    }

    #[test]
    fn a_twilio_call_maps_times_duration_price_and_error() {
        let body = br#"{"sid":"CA0b7e5d3c1a9f8e7d6c5b4a3f2e1d0c9b","status":"failed",
            "start_time":"Thu, 01 Jan 2026 00:00:05 +0000",
            "end_time":"Thu, 01 Jan 2026 00:00:41 +0000","duration":"36",
            "price":"-0.01300","error_code":31005,"error_message":"Connection error"}"#;
        let call = parsers::twilio_call(body).expect("valid call");
        let record = from_twilio(&call);
        assert_eq!(record.provider, CallProvider::Twilio);
        assert_eq!(record.status, "failed");
        assert_eq!(record.reason.as_deref(), Some("31005: Connection error"));
        assert_eq!(record.started_at, Some(utc(0, 0, 5)));
        assert_eq!(record.ended_at, Some(utc(0, 0, 41)));
        assert_eq!(record.duration_seconds, Some(36));
        assert_eq!(record.cost, Some(0.013));
    }

    #[test]
    fn a_twilio_call_in_progress_has_no_duration_or_price_yet() {
        let body = br#"{"sid":"CA1","status":"in-progress","duration":null,"price":""}"#;
        let call = parsers::twilio_call(body).expect("valid call");
        let record = from_twilio(&call);
        assert_eq!(record.status, "in-progress");
        assert_eq!(record.reason, None);
        assert_eq!(record.duration_seconds, None);
        assert_eq!(record.cost, None);
    }

    #[test]
    fn not_found_names_the_provider_and_the_call() {
        let err = parsers::error_reply(
            Provider::Retell,
            422,
            br#"{"status":"error","message":"Cannot find requested asset under given api key."}"#,
        );
        let mapped = from_error(&err, "call_gone");
        assert_eq!(
            mapped,
            CallRecordError::NotFound("Retell has no call call_gone (HTTP 422)".into())
        );
        let unauthorized = parsers::error_reply(
            Provider::Twilio,
            401,
            br#"{"code":20003,"message":"Authenticate","status":401}"#,
        );
        match from_error(&unauthorized, "CA1") {
            CallRecordError::Failed(text) => assert!(text.contains("Twilio"), "{text}"),
            other => panic!("a rejected key is not a missing call: {other:?}"),
        }
    }
}
