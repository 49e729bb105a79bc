//! What the first-campaign data set contains, for the tests and the demo: ids, expected
//! counts, which rows are stale, and the state the fake providers should hold.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Everything tests and the demo need to know about one generated data set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedFacts {
    pub seed: u64,
    /// The `now` the timestamps are relative to.
    pub now: DateTime<Utc>,
    /// The tenant the first campaign belongs to. Its owner owns every row of the
    /// campaign, the broadcasts, the numbers, the trunk and the agents.
    pub first_org: OrgFacts,
    /// A second member (admin) of the first org who owns no rows.
    pub first_org_member_user_id: Uuid,
    /// The leak-test tenant: a few rows of its own in most tables (see `second_org_rows`).
    pub second_org: OrgFacts,
    pub campaign: CampaignFacts,
    pub broadcast_a: BroadcastFacts,
    pub broadcast_b: BroadcastFacts,
    pub agents: Vec<AgentFacts>,
    /// The first org's 8 numbers, in a fixed order (see `first_campaign` module docs).
    pub numbers: Vec<NumberFacts>,
    /// The second org's number (not one of the 8).
    pub second_org_number: NumberFacts,
    pub trunk: TrunkFacts,
    /// The Retell-side state of every DB number with a `retell_phone_id`.
    pub retell_numbers: Vec<RetellNumberState>,
    /// E.164 of the Retell number that was "updated with the inbound agent only": it
    /// has an inbound agent and an empty `outbound_agents` list at Retell.
    pub number_without_outbound_agent: String,
    /// Calls the fake Retell should know about: the live campaign calls (`ongoing`)
    /// and the call_logs left `ringing` whose end webhook was lost (`ended`).
    pub retell_calls: Vec<RetellCallFact>,
    pub stale: StaleFacts,
    pub ledger: LedgerFacts,
    pub calendar: CalendarFacts,
    pub stops: StopFacts,
    /// Unacknowledged alerts of the first org's owner.
    pub unacknowledged_alerts_first_org: usize,
    pub alerts_total: usize,
    /// Rows per table (all tenants), as loaded.
    pub table_counts: BTreeMap<String, usize>,
    /// Rows per table that belong to the second org.
    pub second_org_rows: BTreeMap<String, usize>,
}

impl SeedFacts {
    /// The first org's number with this E.164, if any.
    pub fn number(&self, e164: &str) -> Option<&NumberFacts> {
        self.numbers.iter().find(|n| n.e164 == e164)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgFacts {
    pub org_id: Uuid,
    pub name: String,
    pub slug: String,
    pub owner_user_id: Uuid,
    pub owner_email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignFacts {
    pub id: Uuid,
    pub name: String,
    /// The Retell agent id the campaign dials with (`campaigns.agent_id`).
    pub agent_id: String,
    pub lead_count: usize,
    pub leads_with_null_state: usize,
    pub dialing_counts: BTreeMap<String, i64>,
    pub call_log_counts: BTreeMap<String, i64>,
    /// The `canary_20` release that makes the release gate current.
    pub release_id: Uuid,
    pub release_expires_at: DateTime<Utc>,
    pub release_member_count: usize,
    /// The number the release certifies as caller.
    pub release_caller_number_id: Uuid,
    pub budget_paused: bool,
    /// The second org's campaign (paused), for leak tests.
    pub second_org_campaign_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BroadcastFacts {
    pub id: Uuid,
    pub name: String,
    pub status: String,
    pub audio_url: String,
    pub caller_id: String,
    pub queue_rows: usize,
    pub counts: BTreeMap<String, i64>,
    /// The broadcast's DTMF actions as stored.
    pub dtmf_actions: serde_json::Value,
    /// Finished rows whose `updated_at` is within the last 15 minutes.
    pub finished_last_15_min: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentFacts {
    /// `retell_agents.id`.
    pub row_id: Uuid,
    pub retell_agent_id: String,
    pub retell_llm_id: String,
    pub agent_name: String,
    pub version: i32,
    pub llm_version: i32,
    pub voice_id: String,
    pub webhook_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumberFacts {
    pub id: Uuid,
    pub e164: String,
    pub provider: String,
    pub status: String,
    pub is_spam: bool,
    pub purpose: String,
    pub retell_phone_id: Option<String>,
    pub twilio_sid: Option<String>,
    pub sip_trunk_config_id: Option<Uuid>,
    pub daily_calls: i32,
    pub max_daily_calls: i32,
}

impl NumberFacts {
    /// Active, not spam: what the platform's rotation may dial from.
    pub fn is_usable(&self) -> bool {
        self.status == "active" && !self.is_spam
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrunkFacts {
    pub id: Uuid,
    pub name: String,
    pub twilio_trunk_sid: String,
    pub twilio_termination_uri: String,
    /// Numbers with `sip_trunk_config_id` = this trunk.
    pub number_ids: Vec<Uuid>,
}

/// A number as the fake Retell should report it (`GET /get-phone-number/{e164}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetellNumberState {
    pub number_id: Uuid,
    pub phone_number: String,
    /// `retell-twilio`, `retell-telnyx` or `custom`.
    pub phone_number_type: String,
    pub nickname: String,
    pub inbound_agent_ids: Vec<String>,
    /// Empty for the number updated with the inbound agent only.
    pub outbound_agent_ids: Vec<String>,
    /// Custom (SIP) numbers: the trunk's termination URI.
    pub termination_uri: Option<String>,
}

/// A call the fake Retell should know.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetellCallFact {
    pub call_id: String,
    pub call_log_id: Uuid,
    pub agent_id: String,
    pub from_number: String,
    pub to_number: String,
    pub started_at: DateTime<Utc>,
    /// `ongoing` (a live call) or `ended` (its end webhook was lost).
    pub call_status: String,
    /// For ended calls: when it ended.
    pub ended_at: Option<DateTime<Utc>>,
}

/// Rows in flight that the stuck rules flag, per source (product.md defaults).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaleFacts {
    /// broadcast A `calling` rows with `updated_at` 6–40 min old.
    pub broadcast_queue_calling: Vec<Uuid>,
    /// broadcast A `calling` rows updated within the last minute.
    pub broadcast_queue_calling_fresh: usize,
    /// `calling` dialing_queues rows without `last_provider_call_id`, 3–30 min old.
    pub dialing_queues_calling: Vec<Uuid>,
    /// `calling` dialing_queues rows with a provider call id (live calls).
    pub dialing_queues_calling_fresh: usize,
    /// queued/ringing call_logs without `retell_call_id`, older than 2 min, not
    /// quarantined: what the dispatcher's cleanup acts on.
    pub call_logs_without_provider_id: Vec<Uuid>,
    /// ringing call_logs with a `retell_call_id`, older than 60 min (ask Retell).
    pub call_logs_past_max_duration: Vec<Uuid>,
    /// `active` transfers older than 30 min.
    pub transfers: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerFacts {
    pub claims: usize,
    pub attempts: usize,
    pub receipts: usize,
    /// Oldest first; the first two have quarantined call_logs.
    pub acceptance_unknown_claims: Vec<Uuid>,
    /// call_logs with `provider_reconciliation_required` (a redial hold).
    pub quarantined_call_logs: Vec<Uuid>,
    pub manual_required_job: Uuid,
    pub queued_jobs: Vec<Uuid>,
    pub resolved_jobs: Vec<Uuid>,
    pub runtime_last_succeeded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalendarFacts {
    pub integration_id: Uuid,
    pub user_id: Uuid,
    /// 5 minutes after `now`; there is no refresh token.
    pub token_expires_at: DateTime<Utc>,
    pub availability_id: Uuid,
    /// The availability row's `weekly_schedule` is a jsonb string holding the object.
    pub schedule_stored_as_string: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StopFacts {
    pub expired_id: Uuid,
    pub inactive_id: Uuid,
    /// Active, user-scoped to the second org's owner: it blocks nothing of the first
    /// campaign unless the console evaluates that user.
    pub active_id: Uuid,
    pub active_user_id: Uuid,
}
