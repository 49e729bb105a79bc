//! Provider reconciliation (issue #12): what the database holds in flight against what
//! Retell and Twilio say, classified by [`launchdeck_core::reconcile`].
//!
//! Every request waits its turn in its provider's lane, so reconciling stays within
//! 1 request/s per provider together with the readiness checks and call records. Retell
//! and Twilio are asked at the same time. Cost:
//! - Retell: get-concurrency, list-calls filtered to `ongoing` (one page of 1,000), and,
//!   when a row's call is not among them, one list-calls page of the newest 1,000
//!   finished calls; then one get-call per row's call found in neither list;
//! - Twilio: one call fetch per `broadcast_queue` row with a call sid.
//!
//! A Retell base URL on the legacy paths costs one more request, once per process: the
//! current path's 404, in its own turn.
//!
//! Inbound calls Retell lists as ongoing are never orphans: no row dialled them. An ongoing
//! call whose `metadata.launchdeck_request_id` is a test call's in launchdeck's audit
//! trail (its newest 1,000 records, one database read) is no orphan either. Under a
//! tenant scope (`--user`/`--org`) no orphan is reported: Retell's list is the whole
//! workspace's, and the other tenants' rows are not read.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use launchdeck_core::actions::AuditRecord;
use launchdeck_core::cleanup::ProviderAnswer;
use launchdeck_core::domain::{CallProvider, InFlightCall, InFlightSnapshot, Scope};
use launchdeck_core::reconcile::{self, OngoingCall, ProviderTruth, Reconciliation};
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_providers::RetellClient;
use launchdeck_providers::retell::PathGeneration;
use launchdeck_providers::retell::{Call, CallFilter, CallStatus, Concurrency, Direction};

use crate::actions::test_broadcast;
use crate::call_record::from_retell;
use crate::readiness::Gatherer;
use crate::readiness::clients::Client;
use crate::readiness::lane::{Failure, Lane, bounded};

/// The most calls one list-calls page holds.
const PAGE: u32 = 1000;
/// How many of the newest audit records are searched for test calls' request ids.
const AUDIT_RECORDS: u32 = 1000;

/// Retell's concurrency as get-concurrency reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConcurrencyGauge {
    pub current: Option<i64>,
    pub limit: Option<i64>,
    pub reserved_inbound: Option<i64>,
}

/// One reconciliation: the database's clock, Retell's gauge, the classification.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconcileReport {
    pub db_now: DateTime<Utc>,
    pub concurrency: ConcurrencyGauge,
    pub outcome: Reconciliation,
    /// False under a tenant scope: Retell lists the whole workspace, and another
    /// tenant's calls would look like orphans, so none are reported.
    pub orphans_checked: bool,
}

/// Why reconciling could not run: the database or Retell could not be read. The text is
/// safe to show (no secret, no URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileError(pub String);

impl fmt::Display for ReconcileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReconcileError {}

impl From<Failure> for ReconcileError {
    fn from(failure: Failure) -> Self {
        ReconcileError(failure.message)
    }
}

/// What Retell said before any row's own call was asked.
struct RetellLists {
    concurrency: ConcurrencyGauge,
    ongoing: Vec<Call>,
}

impl Gatherer {
    /// Reads the calls in flight, asks Retell and Twilio about them (paced), and
    /// classifies. Fails when the database or Retell's lists cannot be read; a row whose
    /// own call cannot be asked is reported unchecked.
    pub async fn reconcile(&self) -> Result<ReconcileReport, ReconcileError> {
        let snapshot = self.in_flight_rows().await?;
        let client = self.retell_client()?;
        let lists = retell_lists(&client, &self.clients().retell_lane).await?;
        let truth = self.provider_truth(&client, &snapshot.calls, &lists).await;
        let max = self.thresholds().max_call_duration;
        let mut outcome = reconcile::classify(&snapshot.calls, &truth, snapshot.db_now, max);
        let orphans_checked = *self.scope() == Scope::default();
        if !orphans_checked {
            outcome.orphans.clear();
        }
        Ok(ReconcileReport {
            db_now: snapshot.db_now,
            concurrency: lists.concurrency,
            outcome,
            orphans_checked,
        })
    }

    /// Retell's lists, each row's call not among the ongoing ones (Retell and Twilio
    /// asked at the same time, each in its lane) and the test calls' request ids.
    async fn provider_truth(
        &self,
        client: &RetellClient,
        rows: &[InFlightCall],
        lists: &RetellLists,
    ) -> ProviderTruth {
        let ongoing: HashSet<&str> = lists.ongoing.iter().map(|c| c.call_id.as_str()).collect();
        let (retell_rows, twilio_rows) = rows_to_ask(rows, &ongoing);
        let lane = &self.clients().retell_lane;
        let (retell_answers, twilio_answers) = tokio::join!(
            self.retell_answers(client, lane, retell_rows),
            self.answers(CallProvider::Twilio, twilio_rows),
        );
        ProviderTruth {
            ongoing: lists.ongoing.iter().map(ongoing_call).collect(),
            answers: retell_answers.into_iter().chain(twilio_answers).collect(),
            known_request_ids: self.test_call_request_ids().await,
        }
    }

    async fn in_flight_rows(&self) -> Result<InFlightSnapshot, ReconcileError> {
        let (store, scope) = (self.store(), *self.scope());
        let read = async move {
            store
                .calls_in_flight(&scope)
                .await
                .map_err(|e| Failure::from_store(&e).reading("calls in flight"))
        };
        Ok(bounded(self.options().source_timeout, read).await?)
    }

    /// The request ids of the test calls launchdeck placed (the newest audit records):
    /// an ongoing call carrying one is no orphan, even before its row learns the call id.
    /// An audit trail that cannot be read leaves the set empty.
    async fn test_call_request_ids(&self) -> HashSet<String> {
        let store = self.store();
        let read = async move {
            store
                .audit_records(AUDIT_RECORDS)
                .await
                .map_err(|e| Failure::from_store(&e).reading("the audit trail"))
        };
        match bounded(self.options().source_timeout, read).await {
            Ok(records) => records.iter().filter_map(test_call_request_id).collect(),
            Err(failure) => {
                tracing::warn!("reconcile: {}", failure.message);
                HashSet::new()
            }
        }
    }

    fn retell_client(&self) -> Result<Arc<RetellClient>, ReconcileError> {
        self.clients().retell.ready::<()>().map_err(|_| {
            let why = match &self.clients().retell {
                Client::Broken(failure) => failure.message.clone(),
                _ => "Retell is not configured: set RETELL_AI_API_KEY (or [retell] api_key \
                      in the config file)"
                    .to_string(),
            };
            ReconcileError(why)
        })
    }

    /// Each Retell row's call: first from one page of the newest finished calls, then
    /// get-call for those not on it.
    async fn retell_answers(
        &self,
        client: &RetellClient,
        lane: &Lane,
        call_ids: Vec<String>,
    ) -> HashMap<String, ProviderAnswer> {
        if call_ids.is_empty() {
            return HashMap::new();
        }
        let mut answers: HashMap<String, ProviderAnswer> = HashMap::new();
        let wanted: HashSet<&str> = call_ids.iter().map(String::as_str).collect();
        match list_calls_paced(client, lane, &finished_filter()).await {
            Ok(calls) => answers.extend(
                calls
                    .iter()
                    .filter(|call| wanted.contains(call.call_id.as_str()))
                    .map(|call| {
                        (
                            call.call_id.clone(),
                            ProviderAnswer::Record(from_retell(call)),
                        )
                    }),
            ),
            Err(failure) => tracing::warn!("reconcile: finished Retell calls: {}", failure.message),
        }
        let rest: Vec<String> = call_ids
            .into_iter()
            .filter(|id| !answers.contains_key(id))
            .collect();
        answers.extend(self.answers(CallProvider::Retell, rest).await);
        answers
    }

    /// One paced question per call id, in order.
    async fn answers(
        &self,
        provider: CallProvider,
        call_ids: Vec<String>,
    ) -> HashMap<String, ProviderAnswer> {
        let mut answers = HashMap::new();
        for call_id in call_ids {
            let answer = self.provider_answer(&provider, &call_id).await;
            answers.insert(call_id, answer);
        }
        answers
    }
}

async fn retell_lists(client: &RetellClient, lane: &Lane) -> Result<RetellLists, ReconcileError> {
    let concurrency = lane.ask(client.get_concurrency()).await?;
    let ongoing = list_calls_paced(client, lane, &ongoing_filter()).await?;
    Ok(RetellLists {
        concurrency: gauge(&concurrency),
        ongoing,
    })
}

/// One list-calls page, each request in its own turn of the lane: in the generation
/// this session learnt, else the current paths first and, when they are not there
/// (404/405), the legacy ones at the next turn (the client's own fallback would send
/// both at once).
async fn list_calls_paced(
    client: &RetellClient,
    lane: &Lane,
    filter: &CallFilter,
) -> Result<Vec<Call>, Failure> {
    if let Some(generation) = client.known_calls_generation() {
        return lane.ask(client.list_calls_as(generation, filter)).await;
    }
    lane.pacer.turn().await;
    let probe = client.list_calls_as(PathGeneration::Current, filter);
    match tokio::time::timeout(lane.limit, probe).await {
        Err(_) => Err(Failure::timeout(lane.limit)),
        Ok(Ok(calls)) => Ok(calls),
        Ok(Err(err)) if matches!(err.status(), Some(404 | 405)) => {
            lane.ask(client.list_calls_as(PathGeneration::Legacy, filter))
                .await
        }
        Ok(Err(err)) => Err(Failure::from_provider(&err)),
    }
}

fn gauge(c: &Concurrency) -> ConcurrencyGauge {
    ConcurrencyGauge {
        current: c.current_concurrency,
        limit: c.concurrency_limit,
        reserved_inbound: c.reserved_inbound_concurrency,
    }
}

fn status_filter(statuses: Vec<CallStatus>) -> CallFilter {
    CallFilter {
        statuses,
        limit: PAGE,
        max_pages: 1,
        ..CallFilter::default()
    }
}

fn ongoing_filter() -> CallFilter {
    status_filter(vec![CallStatus::Ongoing])
}

fn finished_filter() -> CallFilter {
    status_filter(vec![
        CallStatus::Ended,
        CallStatus::NotConnected,
        CallStatus::Error,
    ])
}

/// The Retell call ids not listed as ongoing, and the Twilio sids, each once.
fn rows_to_ask(rows: &[InFlightCall], ongoing: &HashSet<&str>) -> (Vec<String>, Vec<String>) {
    let mut seen = HashSet::new();
    let (mut retell, mut twilio) = (Vec::new(), Vec::new());
    for row in rows {
        let Some((provider, call_id)) = reconcile::asked_provider(row) else {
            continue;
        };
        if ongoing.contains(call_id) || !seen.insert(call_id.to_string()) {
            continue;
        }
        match provider {
            CallProvider::Retell => retell.push(call_id.to_string()),
            _ => twilio.push(call_id.to_string()),
        }
    }
    (retell, twilio)
}

/// A test call's audit record holds its `request_id` (the value sent as Retell's
/// `metadata.launchdeck_request_id`).
fn test_call_request_id(record: &AuditRecord) -> Option<String> {
    if record.action != test_broadcast::ACTION {
        return None;
    }
    let id = record.before.as_ref()?.get("request_id")?.as_str()?;
    Some(id.to_string())
}

/// Inbound calls have no row that dialled them: never orphans (core's rule).
fn is_inbound(call: &Call) -> bool {
    call.direction == Some(Direction::Inbound)
}

fn ongoing_call(call: &Call) -> OngoingCall {
    let text = |value: &Option<String>| value.as_deref().map(sanitize_provider_text);
    OngoingCall {
        provider_call_id: sanitize_provider_text(&call.call_id),
        from: text(&call.from_number),
        to: text(&call.to_number),
        started_at: call
            .start_timestamp
            .and_then(DateTime::from_timestamp_millis),
        agent_id: text(&call.agent_id),
        request_id: call.launchdeck_request_id().map(str::to_string),
        inbound: is_inbound(call),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use launchdeck_providers::parsers;

    #[test]
    fn inbound_calls_are_never_orphans() {
        let call = |direction: &str| {
            let body = format!(
                r#"{{"call_id":"call_1","call_status":"ongoing","direction":"{direction}"}}"#
            );
            parsers::retell_call(body.as_bytes()).expect("valid call")
        };
        assert!(is_inbound(&call("inbound")));
        assert!(!is_inbound(&call("outbound")));
    }

    #[test]
    fn each_call_id_is_asked_once_and_ongoing_ones_not_at_all() {
        let row = |id: &str| InFlightCall {
            source: launchdeck_core::domain::CallSource::CallLogs,
            id: uuid::Uuid::nil(),
            state: "ringing".into(),
            since: Utc::now(),
            phone: String::new(),
            provider_call_id: Some(id.into()),
            broadcast_id: None,
            campaign_id: None,
            parent_name: None,
            attempts: 1,
            max_attempts: 1,
            redial_hold: false,
        };
        let sid = "CA0b7e5d3c1a9f8e7d6c5b4a3f2e1d0c9b";
        let rows = [
            row("call_a"),
            row("call_a"),
            row("call_b"),
            row(sid),
            row("v3:x"),
        ];
        let ongoing = HashSet::from(["call_b"]);
        let (retell, twilio) = rows_to_ask(&rows, &ongoing);
        assert_eq!(retell, ["call_a"]);
        assert_eq!(twilio, [sid]);
    }
}
