//! The campaign's 3,000 call_logs over 7 days and the provider ledger behind a sample
//! of them: dispatch claims, call attempts, callback receipts, reconciliation jobs and
//! the reconciler's runtime row.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::campaign::{CampaignRows, Lead};
use super::facts::{LedgerFacts, RetellCallFact};
use super::rng::{Gen, exact_mix};
use super::tenants::{CAMPAIGN_CALLER, CAMPAIGN_SIP_CALLER, Tenants};
use crate::SeedData;

/// Finished call_logs by status (2,910 of the 3,000; the other 90 are queued/ringing).
const FINISHED_MIX: &[(&str, usize)] = &[
    ("completed", 1350),
    ("failed", 600),
    ("no_answer", 600),
    ("voicemail", 240),
    ("busy", 120),
];
const IN_FLIGHT: usize = 90;
/// Ages of the queued/ringing rows that never got a Retell call id (stuck by the
/// dispatcher's rule), with their status.
const STALE_WITHOUT_ID: &[(&str, i64)] = &[
    ("queued", 4 * 60),
    ("queued", 25 * 60),
    ("ringing", 2 * 3_600),
    ("queued", 20 * 3_600),
    ("ringing", 2 * 86_400),
];
/// Ages of the 3 `acceptance_unknown` dispatches; the first two are old enough
/// (> 90 s) to have quarantined their call_log and queued a job.
const ACCEPTANCE_UNKNOWN_AGES: [i64; 3] = [3 * 3_600, 12 * 60, 45];
/// Newest finished calls given a full ledger (claim, attempt, receipts).
const LEDGER_SAMPLE: usize = 200;
/// Newest calls refused before Retell accepted them, given a `definite_failure` claim.
const REFUSED_SAMPLE: usize = 20;
/// Retell's price, in cents per minute of conversation.
const RETELL_CENTS_PER_MINUTE: f64 = 7.0;

const REFUSALS: &[&str] = &[
    "Blocked: lead is on the DNC list",
    "Blocked: outside calling hours",
    "Retell refused: 422 Cannot find requested asset under given api key.",
    "Duplicate dispatch claim for this queue row",
    "Retell refused: 400 Invalid request format, please check API reference.",
];
const CALL_FAILURES: &[&str] = &[
    "dial_failed",
    "invalid_destination",
    "telephony_provider_unavailable",
    "error_llm_websocket_open",
    "sip_routing_error",
];
/// Outcomes of completed calls with their weights (`call_logs_outcome_check` values);
/// the demo's simulator draws from the same mix.
pub const COMPLETED_OUTCOMES: &[(&str, u32)] = &[
    ("not_interested", 30),
    ("contacted", 20),
    ("interested", 15),
    ("callback_requested", 10),
    ("appointment_set", 8),
    ("not_qualified", 7),
    ("not_decision_maker", 4),
    ("wrong_number", 3),
    ("already_customer", 3),
];

pub(super) struct Calls {
    pub counts: BTreeMap<String, i64>,
    pub retell_calls: Vec<RetellCallFact>,
    pub stale_without_id: Vec<Uuid>,
    pub past_max_duration: Vec<Uuid>,
    pub ledger: LedgerFacts,
    /// A live call and a long-lost one, for the two active_ai_transfers rows.
    pub live_for_transfer: (String, Uuid),
    pub orphan_for_transfer: (String, Uuid),
}

/// One call_logs row before it is written.
struct CallLog {
    id: Uuid,
    lead: Lead,
    queue_id: Option<Uuid>,
    status: &'static str,
    caller: String,
    retell_call_id: Option<String>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    duration: i64,
    outcome: Option<&'static str>,
    notes: Option<String>,
    sentiment: Option<&'static str>,
    quarantined_at: Option<DateTime<Utc>>,
}

impl CallLog {
    fn new(g: &mut Gen, lead: Lead, queue_id: Option<Uuid>, status: &'static str) -> CallLog {
        CallLog {
            id: g.uuid(),
            lead,
            queue_id,
            status,
            caller: String::new(),
            retell_call_id: None,
            created_at: g.now,
            started_at: None,
            ended_at: None,
            duration: 0,
            outcome: None,
            notes: None,
            sentiment: None,
            quarantined_at: None,
        }
    }
}

pub(super) fn generate(
    seed: u64,
    now: DateTime<Utc>,
    data: &mut SeedData,
    tenants: &Tenants,
    campaign: &CampaignRows,
) -> Calls {
    let mut g = Gen::new(seed, "calls", now);
    let callers = [
        tenants.number_e164(CAMPAIGN_CALLER).to_string(),
        tenants.number_e164(CAMPAIGN_SIP_CALLER).to_string(),
    ];
    let mut logs: Vec<CallLog> = Vec::new();
    for status in exact_mix(&mut g, FINISHED_MIX) {
        let (lead, queue_id) = g.pick_ref(&campaign.queued).clone();
        let mut log = CallLog::new(&mut g, lead, Some(queue_id), status);
        finish(&mut g, &mut log);
        logs.push(log);
    }
    let live_start = logs.len();
    logs.extend(live_calls(&mut g, campaign));
    let unknown_start = logs.len();
    logs.extend(acceptance_unknown_calls(&mut g, campaign));
    let stale_start = logs.len();
    logs.extend(stale_calls(&mut g, campaign));
    let orphan_start = logs.len();
    let orphans = IN_FLIGHT.saturating_sub(orphan_start - live_start);
    logs.extend((0..orphans).map(|_| orphaned_call(&mut g, campaign)));
    for log in &mut logs {
        log.caller = if g.chance(0.85) {
            callers[0].clone()
        } else {
            callers[1].clone()
        };
    }

    for log in &logs {
        let row = call_log_json(&mut g, tenants, campaign, log);
        data.table("call_logs").push(row);
    }
    let agent = &campaign.agent_id;
    let retell_calls = logs[live_start..unknown_start]
        .iter()
        .map(|log| retell_call(log, agent, "ongoing", None))
        .chain(logs[orphan_start..].iter().map(|log| {
            let ended = log
                .started_at
                .map(|s| s + Duration::seconds(g.int(30, 300)));
            retell_call(log, agent, "ended", ended)
        }))
        .collect();

    let ledger = ledger::generate(
        &mut g,
        data,
        tenants,
        campaign,
        ledger::Groups {
            finished: &logs[..live_start],
            live: &logs[live_start..unknown_start],
            unknown: &logs[unknown_start..stale_start],
        },
    );
    let live = &logs[live_start];
    let orphan = &logs[orphan_start];
    Calls {
        counts: status_counts(&logs),
        retell_calls,
        stale_without_id: logs[stale_start..orphan_start]
            .iter()
            .map(|l| l.id)
            .collect(),
        past_max_duration: logs[orphan_start..].iter().map(|l| l.id).collect(),
        ledger,
        live_for_transfer: (
            live.retell_call_id.clone().unwrap_or_default(),
            live.lead.id,
        ),
        orphan_for_transfer: (
            orphan.retell_call_id.clone().unwrap_or_default(),
            orphan.lead.id,
        ),
    }
}

fn call_id(g: &mut Gen) -> String {
    format!("call_{}", g.hex(32))
}

/// Fills in a finished call: when it happened and how it ended. About 2% of them
/// ended within the last 15 minutes so the campaign's call rate is non-zero.
fn finish(g: &mut Gen, log: &mut CallLog) {
    log.created_at = if g.chance(0.02) {
        g.between_secs_ago(6 * 60, 15 * 60)
    } else {
        g.between_secs_ago(15 * 60 + 1, 7 * 86_400)
    };
    let refused = log.status == "failed" && g.chance(0.4);
    if !refused {
        log.retell_call_id = Some(call_id(g));
    }
    let connect = log.created_at + Duration::seconds(g.int(3, 9));
    let (duration, outcome) = match log.status {
        "completed" => (g.int(15, 300), g.weighted(COMPLETED_OUTCOMES)),
        "voicemail" => (g.int(12, 45), "voicemail"),
        "no_answer" => (g.int(0, 9), "no_answer"),
        "busy" => (0, "busy"),
        _ => (0, "failed"),
    };
    log.duration = duration;
    log.outcome = Some(outcome);
    if duration > 0 {
        log.started_at = Some(connect);
    }
    log.ended_at = Some(connect + Duration::seconds(duration));
    log.notes = match log.status {
        "failed" if refused => Some(g.pick(REFUSALS).to_string()),
        "failed" => Some(format!("Retell call_failed: {}", g.pick(CALL_FAILURES))),
        _ => None,
    };
    if log.status == "completed" {
        log.sentiment = Some(g.weighted(&[("Positive", 3), ("Neutral", 5), ("Negative", 2)]));
    }
}

/// The ringing call_logs behind the campaign's live `calling` queue rows.
fn live_calls(g: &mut Gen, campaign: &CampaignRows) -> Vec<CallLog> {
    campaign
        .live_dials
        .iter()
        .map(|dial| {
            let mut log = CallLog::new(g, dial.lead.clone(), Some(dial.queue_id), "ringing");
            log.created_at = dial.since + Duration::seconds(1);
            log.retell_call_id = Some(dial.call_id.clone());
            let connected = log.created_at + Duration::seconds(4);
            log.started_at = (connected < g.now).then_some(connected);
            log
        })
        .collect()
}

/// Calls whose dispatch ended `acceptance_unknown` (no Retell id): the older two are
/// quarantined (`provider_reconciliation_required`), the newest not yet.
fn acceptance_unknown_calls(g: &mut Gen, campaign: &CampaignRows) -> Vec<CallLog> {
    ACCEPTANCE_UNKNOWN_AGES
        .iter()
        .map(|age| {
            let lead = g.pick_ref(&campaign.leads).clone();
            let mut log = CallLog::new(g, lead, None, "queued");
            log.created_at = g.secs_ago(*age);
            if *age > 90 {
                log.quarantined_at = Some(log.created_at + Duration::seconds(95));
                log.notes =
                    Some("Retell acceptance unknown; redial held for reconciliation".into());
            }
            log
        })
        .collect()
}

fn stale_calls(g: &mut Gen, campaign: &CampaignRows) -> Vec<CallLog> {
    STALE_WITHOUT_ID
        .iter()
        .map(|(status, age)| {
            let lead = g.pick_ref(&campaign.leads).clone();
            let mut log = CallLog::new(g, lead, None, status);
            log.created_at = g.secs_ago(*age);
            log
        })
        .collect()
}

/// A call left `ringing` because its end webhook was lost: it has a Retell id and is
/// older than the longest allowed call (60 min), so the console must ask Retell.
fn orphaned_call(g: &mut Gen, campaign: &CampaignRows) -> CallLog {
    let (lead, queue_id) = g.pick_ref(&campaign.queued).clone();
    let mut log = CallLog::new(g, lead, Some(queue_id), "ringing");
    log.created_at = g.between_secs_ago(61 * 60, 7 * 86_400);
    log.retell_call_id = Some(call_id(g));
    log.started_at = Some(log.created_at + Duration::seconds(g.int(3, 9)));
    log
}

fn retell_call(
    log: &CallLog,
    agent: &str,
    status: &str,
    ended_at: Option<DateTime<Utc>>,
) -> RetellCallFact {
    RetellCallFact {
        call_id: log.retell_call_id.clone().unwrap_or_default(),
        call_log_id: log.id,
        agent_id: agent.to_string(),
        from_number: log.caller.clone(),
        to_number: log.lead.phone.clone(),
        started_at: log.started_at.unwrap_or(log.created_at),
        call_status: status.into(),
        ended_at,
    }
}

fn status_counts(logs: &[CallLog]) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for log in logs {
        *counts.entry(log.status.to_string()).or_insert(0) += 1;
    }
    counts
}

fn call_log_json(g: &mut Gen, tenants: &Tenants, campaign: &CampaignRows, log: &CallLog) -> Value {
    let summary = (log.status == "completed").then(|| {
        format!(
            "Homeowner {} the solar offer; outcome {}.",
            if log.outcome == Some("interested") {
                "liked"
            } else {
                "discussed"
            },
            log.outcome.unwrap_or("unknown")
        )
    });
    let cost_cents = (log.duration > 0)
        .then(|| (log.duration as f64 / 60.0 * RETELL_CENTS_PER_MINUTE).ceil() as i64);
    json!({
        "id": log.id, "user_id": tenants.owner(), "organization_id": tenants.org(),
        "campaign_id": campaign.id, "lead_id": log.lead.id,
        "phone_number": log.lead.phone, "caller_id": log.caller,
        "retell_call_id": log.retell_call_id, "status": log.status,
        "duration_seconds": log.duration, "outcome": log.outcome, "notes": log.notes,
        "created_at": log.created_at, "answered_at": log.started_at,
        "started_at": log.started_at, "ended_at": log.ended_at,
        "agent_id": campaign.agent_id, "agent_name": tenants.campaign_agent().agent_name,
        "sentiment": log.sentiment, "call_summary": summary,
        "retell_cost_cents": cost_cents, "provider": "retell",
        "confidence_score": log.sentiment.map(|_| g.int(60, 99) as f64 / 100.0),
        "provider_reconciliation_required": log.quarantined_at.is_some(),
        "provider_reconciliation_reason": log.quarantined_at.map(|_| "acceptance_unknown"),
        "provider_reconciliation_marked_at": log.quarantined_at,
        "provider_reconciliation_queue_id": null,
    })
}

/// Dispatch claims, attempts, receipts and reconciliation jobs.
mod ledger {
    use super::*;

    pub(super) struct Groups<'a> {
        pub finished: &'a [CallLog],
        pub live: &'a [CallLog],
        pub unknown: &'a [CallLog],
    }

    /// An accepted or refused dispatch, before it is written.
    struct Claim {
        id: Uuid,
        status: &'static str,
        claimed_at: DateTime<Utc>,
        finalized_at: DateTime<Utc>,
        last_error: Option<String>,
    }

    pub(super) fn generate(
        g: &mut Gen,
        data: &mut SeedData,
        tenants: &Tenants,
        campaign: &CampaignRows,
        groups: Groups<'_>,
    ) -> LedgerFacts {
        let mut newest: Vec<&CallLog> = groups.finished.iter().collect();
        newest.sort_by_key(|log| std::cmp::Reverse(log.created_at));
        let accepted_finished: Vec<&CallLog> = newest
            .iter()
            .copied()
            .filter(|log| log.retell_call_id.is_some())
            .take(LEDGER_SAMPLE)
            .collect();
        let refused: Vec<&CallLog> = newest
            .iter()
            .copied()
            .filter(|log| log.retell_call_id.is_none())
            .take(REFUSED_SAMPLE)
            .collect();

        let mut facts = LedgerFacts {
            claims: 0,
            attempts: 0,
            receipts: 0,
            acceptance_unknown_claims: Vec::new(),
            quarantined_call_logs: Vec::new(),
            manual_required_job: Uuid::nil(),
            queued_jobs: Vec::new(),
            resolved_jobs: Vec::new(),
            runtime_last_succeeded_at: g.now - Duration::minutes(10),
        };
        let mut resolved_candidates = Vec::new();
        for (index, log) in accepted_finished.iter().enumerate() {
            let claim = accepted(g, data, tenants, campaign, log, &mut facts);
            receipts(g, data, log, index, &mut facts);
            if index == 40 || index == 41 {
                resolved_candidates.push((claim, *log));
            }
        }
        for log in groups.live {
            accepted(g, data, tenants, campaign, log, &mut facts);
            receipts(g, data, log, usize::MAX, &mut facts);
        }
        for log in refused {
            let claim = Claim {
                id: g.uuid(),
                status: "definite_failure",
                claimed_at: log.created_at - Duration::seconds(1),
                finalized_at: log.created_at,
                last_error: log.notes.clone(),
            };
            push_claim(g, data, tenants, campaign, log, &claim, true);
            facts.claims += 1;
        }
        for (claim, log) in resolved_candidates {
            let id = push_job(g, data, tenants, &claim, log, JobState::Resolved);
            facts.resolved_jobs.push(id);
        }
        acceptance_unknown(g, data, tenants, campaign, groups.unknown, &mut facts);
        push_runtime(data, &facts, g.now);
        facts
    }

    fn accepted(
        g: &mut Gen,
        data: &mut SeedData,
        tenants: &Tenants,
        campaign: &CampaignRows,
        log: &CallLog,
        facts: &mut LedgerFacts,
    ) -> Claim {
        let claim = Claim {
            id: g.uuid(),
            status: "accepted",
            claimed_at: log.created_at - Duration::seconds(1),
            finalized_at: log.created_at,
            last_error: None,
        };
        push_claim(g, data, tenants, campaign, log, &claim, true);
        data.table("provider_call_attempts").push(json!({
            "id": g.uuid(), "provider": "retell", "provider_call_id": log.retell_call_id,
            "queue_id": log.queue_id, "call_log_id": log.id,
            "organization_id": tenants.org(), "user_id": tenants.owner(),
            "campaign_id": campaign.id, "lead_id": log.lead.id,
            "accepted_at": claim.finalized_at,
            "metadata": {"agent_id": campaign.agent_id, "from_number": log.caller},
        }));
        facts.claims += 1;
        facts.attempts += 1;
        claim
    }

    /// Writes a claim. Queue-keyed when the call came from a queue row (the live
    /// dispatcher path) and `by_queue` is set, else request-keyed.
    fn push_claim(
        g: &mut Gen,
        data: &mut SeedData,
        tenants: &Tenants,
        campaign: &CampaignRows,
        log: &CallLog,
        claim: &Claim,
        by_queue: bool,
    ) {
        let queue = log.queue_id.filter(|_| by_queue);
        let generation = queue.map(|_| live_generation(campaign, log).unwrap_or_else(|| g.uuid()));
        let logical_key = match (queue, generation) {
            (Some(queue), Some(generation)) => format!("queue:{queue}:{generation}"),
            _ => format!("request:{}:{}", tenants.owner(), g.uuid()),
        };
        let provider_call_id = (claim.status == "accepted").then(|| log.retell_call_id.clone());
        data.table("provider_dispatch_claims").push(json!({
            "id": claim.id, "logical_key": logical_key, "queue_id": queue,
            "dispatch_generation": generation, "call_log_id": log.id,
            "organization_id": tenants.org(), "user_id": tenants.owner(),
            "campaign_id": campaign.id, "lead_id": log.lead.id, "provider": "retell",
            "status": claim.status, "provider_call_id": provider_call_id.flatten(),
            "last_error": claim.last_error, "claimed_at": claim.claimed_at,
            "finalized_at": claim.finalized_at, "updated_at": claim.finalized_at,
            "destination_phone": log.lead.phone, "caller_id": log.caller,
            "agent_id": campaign.agent_id, "identity_contract_version": 1,
        }));
    }

    /// A live call's claim carries the generation its queue row was claimed with.
    fn live_generation(campaign: &CampaignRows, log: &CallLog) -> Option<Uuid> {
        campaign
            .live_dials
            .iter()
            .find(|dial| {
                Some(dial.queue_id) == log.queue_id
                    && Some(&dial.call_id) == log.retell_call_id.as_ref()
            })
            .map(|dial| dial.generation)
    }

    /// Receipts of Retell's webhooks for one accepted call. `index` picks the two
    /// anomalies: one failed analysis receipt, one terminal receipt needing
    /// reconciliation.
    fn receipts(
        g: &mut Gen,
        data: &mut SeedData,
        log: &CallLog,
        index: usize,
        facts: &mut LedgerFacts,
    ) {
        let started = log
            .started_at
            .unwrap_or(log.created_at + Duration::seconds(3));
        let mut stages = vec![("started", started.min(g.now), "processed")];
        if let Some(ended) = log.ended_at {
            let terminal = if index == 7 {
                "reconciliation_required"
            } else {
                "processed"
            };
            stages.push((
                "terminal_reconciliation",
                ended + Duration::seconds(1),
                terminal,
            ));
            if log.status == "completed" {
                let analysed = (ended + Duration::seconds(25)).min(g.now);
                let status = if index == 3 { "failed" } else { "processed" };
                stages.push(("analysis_effects", analysed, status));
            }
        }
        for (stage, at, status) in stages {
            let processed = status == "processed";
            let last_error = match status {
                "failed" => Some("analysis effects: lead update timed out after 10 s"),
                "reconciliation_required" => {
                    Some("terminal webhook disagrees with the attempt ledger")
                }
                _ => None,
            };
            data.table("provider_callback_receipts").push(json!({
                "id": g.uuid(), "provider": "retell", "provider_call_id": log.retell_call_id,
                "lifecycle_stage": stage, "status": status, "payload_sha256": g.sha256_hex(),
                "first_received_at": at, "last_received_at": at, "locked_until": null,
                "claim_token": g.uuid(), "attempt_count": if processed { 1 } else { 3 },
                "processed_at": processed.then_some(at), "last_error": last_error,
            }));
            facts.receipts += 1;
        }
    }

    /// The 3 `acceptance_unknown` claims (request-keyed: single dispatches through
    /// `outbound-calling`). The oldest has a `manual_required` job, the next a queued
    /// one; the newest is under 90 s old and has neither job nor quarantine yet.
    fn acceptance_unknown(
        g: &mut Gen,
        data: &mut SeedData,
        tenants: &Tenants,
        campaign: &CampaignRows,
        logs: &[CallLog],
        facts: &mut LedgerFacts,
    ) {
        let errors = [
            "Retell 500: An unexpected server error occurred.",
            "Retell create-phone-call timed out after 30 s",
            "Retell 201 without a call_id",
        ];
        for (log, error) in logs.iter().zip(errors) {
            let claim = Claim {
                id: g.uuid(),
                status: "acceptance_unknown",
                claimed_at: log.created_at - Duration::seconds(1),
                finalized_at: log.created_at + Duration::seconds(2),
                last_error: Some(error.into()),
            };
            push_claim(g, data, tenants, campaign, log, &claim, false);
            facts.claims += 1;
            facts.acceptance_unknown_claims.push(claim.id);
            if log.quarantined_at.is_none() {
                continue;
            }
            facts.quarantined_call_logs.push(log.id);
            if facts.manual_required_job.is_nil() {
                facts.manual_required_job =
                    push_job(g, data, tenants, &claim, log, JobState::ManualRequired);
            } else {
                let id = push_job(g, data, tenants, &claim, log, JobState::Queued);
                facts.queued_jobs.push(id);
            }
        }
    }

    enum JobState {
        Queued,
        ManualRequired,
        Resolved,
    }

    fn push_job(
        g: &mut Gen,
        data: &mut SeedData,
        tenants: &Tenants,
        claim: &Claim,
        log: &CallLog,
        state: JobState,
    ) -> Uuid {
        let id = g.uuid();
        let detected = claim.claimed_at + Duration::seconds(95);
        let now = g.now;
        let (name, reason, attempts, last_attempt, next, error, resolved) = match state {
            JobState::Queued => (
                "queued",
                "acceptance_unknown",
                0,
                None,
                detected,
                None,
                None,
            ),
            JobState::ManualRequired => (
                "manual_required",
                "acceptance_unknown",
                12,
                Some(now - Duration::minutes(20)),
                now - Duration::minutes(5),
                Some("no Retell call matches this dispatch after 12 checks"),
                None,
            ),
            JobState::Resolved => (
                "resolved",
                "accepted_without_terminal_receipt",
                1,
                Some(detected + Duration::seconds(30)),
                detected,
                None,
                Some(detected + Duration::seconds(31)),
            ),
        };
        let resolved_call = matches!(state, JobState::Resolved).then(|| log.retell_call_id.clone());
        data.table("provider_reconciliation_jobs").push(json!({
            "id": id, "dispatch_claim_id": claim.id, "organization_id": tenants.org(),
            "user_id": tenants.owner(), "provider": "retell", "state": name, "reason": reason,
            "attempt_count": attempts, "first_detected_at": detected,
            "last_attempt_at": last_attempt, "next_attempt_at": next,
            "locked_until": null, "claim_token": null,
            "provider_call_id": resolved_call.flatten(),
            "provider_status": resolved.map(|_| "ended"),
            "analysis_observed": resolved.is_some(), "last_error": error,
            "resolved_at": resolved, "created_at": detected,
            "updated_at": last_attempt.unwrap_or(detected),
        }));
        id
    }

    fn push_runtime(data: &mut SeedData, facts: &LedgerFacts, now: DateTime<Utc>) {
        let succeeded = facts.runtime_last_succeeded_at;
        data.table("retell_reconciliation_runtime").push(json!({
            "singleton": true, "last_started_at": succeeded - Duration::seconds(4),
            "last_succeeded_at": succeeded, "last_failed_at": now - Duration::hours(3),
            "last_claimed_count": 1, "last_error": null, "updated_at": succeeded,
        }));
    }
}
