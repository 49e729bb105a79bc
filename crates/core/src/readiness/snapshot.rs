//! The readiness engine's input: plain data gathered elsewhere (by the store and the
//! provider clients) at one moment. Nothing here talks to a network or a database.
//!
//! Every provider part is an [`Observed`] value, so a rule can tell "the provider said
//! no" from "we could not ask" (providers.md "Outcome → check status").

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::{SecretStatus, Thresholds};
use crate::domain::{
    Alert, Broadcast, CalendarAvailability, CalendarIntegration, Campaign, PhoneNumber,
    RetellAgentRow, SipTrunk, StopControl,
};

/// The platform functions the Safety and Campaigns checks call. The gatherer reports
/// which of them the database lacks in [`DatabaseFacts::missing_functions`].
pub const SAFETY_FUNCTIONS: [&str; 4] = [
    "provider_safety_health_check",
    "retell_reconciliation_health_check",
    "get_campaign_contact_release_status",
    "evaluate_contact_stop",
];

/// Why a source could not give an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// 401: the credential was rejected.
    Unauthorized,
    /// 403: authenticated but not allowed.
    Forbidden,
    /// 429 (after retries).
    RateLimited,
    /// 5xx, connection refused or lost, unreadable reply (after retries).
    Unavailable,
    Timeout,
    /// The provider's circuit breaker is open: nothing was sent.
    BreakerOpen,
    Other,
}

impl FailureKind {
    /// 401/403 mean the check itself failed; everything else means it could not run.
    pub fn is_rejection(self) -> bool {
        matches!(self, FailureKind::Unauthorized | FailureKind::Forbidden)
    }

    pub fn describe(self) -> &'static str {
        match self {
            FailureKind::Unauthorized => "credentials rejected",
            FailureKind::Forbidden => "access refused",
            FailureKind::RateLimited => "rate-limited",
            FailureKind::Unavailable => "unavailable",
            FailureKind::Timeout => "no answer in time",
            FailureKind::BreakerOpen => "breaker open",
            FailureKind::Other => "error",
        }
    }
}

/// One observed fact: an answer, a failure to get one, or a reason it was not asked.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Observed<T> {
    Ok(T),
    /// The source was asked and did not answer usefully. `message` is already safe to
    /// show (sanitised, no secret, no URL).
    Failed {
        kind: FailureKind,
        message: String,
    },
    /// The credential or setting needed to ask is missing.
    #[default]
    NotConfigured,
    /// The question does not apply here (e.g. the demo's SQLite has no safety functions).
    NotApplicable(String),
}

impl<T> Observed<T> {
    pub fn ok(&self) -> Option<&T> {
        match self {
            Observed::Ok(value) => Some(value),
            _ => None,
        }
    }

    pub fn failed(kind: FailureKind, message: impl Into<String>) -> Self {
        Observed::Failed {
            kind,
            message: message.into(),
        }
    }
}

/// Restricts the Broadcasts and Campaigns areas to one item (`check --broadcast ID` /
/// `--campaign ID`). Every other area is checked in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Focus {
    #[default]
    All,
    Broadcast(Uuid),
    Campaign(Uuid),
}

/// Everything the readiness rules look at.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// The database's clock when the data was read (Decision 3); every check is stamped
    /// with it.
    pub now: DateTime<Utc>,
    pub thresholds: Thresholds,
    pub focus: Focus,
    pub environment: EnvironmentFacts,
    /// Everything read from the platform's database; a failure here means unreachable.
    pub database: Observed<DatabaseFacts>,
    pub retell: RetellFacts,
    pub twilio: TwilioFacts,
    pub elevenlabs: Observed<ElevenLabsAnswer>,
    /// Keyed by `calendar_integrations.id`.
    pub calendar_probes: BTreeMap<Uuid, Observed<CalendarProbe>>,
    /// Keyed by `voice_broadcasts.id`; only broadcasts with an `audio_url` are probed.
    pub audio_probes: BTreeMap<Uuid, Observed<AudioProbe>>,
}

impl Snapshot {
    pub fn new(now: DateTime<Utc>, thresholds: Thresholds) -> Self {
        Snapshot {
            now,
            thresholds,
            ..Snapshot::default()
        }
    }
}

// ---------------------------------------------------------------------------
// Environment

/// The console's secrets as configured (never the values themselves).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnvironmentFacts {
    pub secrets: Vec<SecretFact>,
}

/// One secret setting: whether it is set, its masked form and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFact {
    /// Config section and key, e.g. `retell` / `api_key`.
    pub section: String,
    pub key: String,
    /// Masked display form (`••••9f3c`); `None` when unset.
    pub masked: Option<String>,
    /// Where the value came from (`RETELL_AI_API_KEY`, `config.toml:4:1`, `default`).
    pub source: String,
    /// Environment variables that can set it, strongest first.
    pub env_vars: Vec<String>,
}

impl From<&SecretStatus> for SecretFact {
    fn from(status: &SecretStatus) -> Self {
        SecretFact {
            section: status.section.to_string(),
            key: status.key.to_string(),
            masked: status.masked.clone(),
            source: status.origin.to_string(),
            env_vars: status.env_vars.iter().map(|v| v.to_string()).collect(),
        }
    }
}

// ---------------------------------------------------------------------------
// Database

/// What the database said, read in one pass.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DatabaseFacts {
    pub round_trip: Duration,
    /// "postgres" or "sqlite".
    pub backend: String,
    /// Connected through Supabase's transaction-mode pooler (port 6543).
    pub transaction_pooler: bool,
    /// `table.column` (or `table`) that launchdeck needs and the database lacks.
    pub missing_schema: Observed<Vec<String>>,
    /// Names from [`SAFETY_FUNCTIONS`] that do not exist in the database.
    pub missing_functions: Observed<Vec<String>>,
    pub provider_safety_health: Observed<ProviderSafetyHealth>,
    /// `None` when the function returned no row (its runtime row is missing).
    pub reconciliation_health: Observed<Option<ReconciliationHealth>>,
    pub phone_numbers: Vec<PhoneNumber>,
    pub sip_trunks: Vec<SipTrunk>,
    pub retell_agents: Vec<RetellAgentRow>,
    /// Draft, active and paused broadcasts.
    pub broadcasts: Vec<Broadcast>,
    /// Keyed by broadcast id.
    pub broadcast_stats: BTreeMap<Uuid, BroadcastStats>,
    /// Draft, active and paused campaigns (with lead counts).
    pub campaigns: Vec<Campaign>,
    /// `get_campaign_contact_release_status` per campaign id.
    pub contact_releases: BTreeMap<Uuid, Observed<ContactRelease>>,
    pub budget_settings: Vec<BudgetSetting>,
    /// `system_settings.retell_max_concurrent` per user id.
    pub retell_max_concurrent: BTreeMap<Uuid, i32>,
    pub calendar_integrations: Vec<CalendarIntegration>,
    pub calendar_availability: Vec<CalendarAvailability>,
    /// Active, unexpired contact_stop_controls rows in scope.
    pub stops: Vec<StopControl>,
    /// Unacknowledged system_alerts in scope.
    pub unacknowledged_alerts: Vec<Alert>,
}

/// `provider_safety_health_check()`: every flag must be true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProviderSafetyHealth {
    pub idempotency_ready: bool,
    pub attempt_ledger_ready: bool,
    pub reconciliation_ready: bool,
    pub dispatch_claim_ready: bool,
    pub contact_stop_ready: bool,
    pub normalized_dnc_ready: bool,
    pub provider_safe_backstop_ready: bool,
}

impl ProviderSafetyHealth {
    /// The names of the flags that are false.
    pub fn not_ready(&self) -> Vec<&'static str> {
        [
            ("idempotency_ready", self.idempotency_ready),
            ("attempt_ledger_ready", self.attempt_ledger_ready),
            ("reconciliation_ready", self.reconciliation_ready),
            ("dispatch_claim_ready", self.dispatch_claim_ready),
            ("contact_stop_ready", self.contact_stop_ready),
            ("normalized_dnc_ready", self.normalized_dnc_ready),
            (
                "provider_safe_backstop_ready",
                self.provider_safe_backstop_ready,
            ),
        ]
        .into_iter()
        .filter(|(_, ready)| !ready)
        .map(|(name, _)| name)
        .collect()
    }
}

/// `retell_reconciliation_health_check()`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReconciliationHealth {
    pub contract_ready: bool,
    pub cron_scheduled: bool,
    pub cron_active: bool,
    pub vault_configured: bool,
    pub last_started_at: Option<DateTime<Utc>>,
    pub last_succeeded_at: Option<DateTime<Utc>>,
    pub recent_success: bool,
    pub queued_count: i64,
    pub expired_lease_count: i64,
    pub manual_required_count: i64,
}

/// What the rules need to know about one broadcast's queue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BroadcastStats {
    /// broadcast_queue rows in `pending`.
    pub pending: i64,
    /// `updated_at` of each row in `calling` (the stuck age is measured from it).
    pub calling_updated_at: Vec<DateTime<Utc>>,
    /// Statuses of the newest finished rows (neither pending nor calling), newest first,
    /// at most 50.
    pub recent_finished: Vec<String>,
    /// Moves when the finished rows may have moved (see [`finished_marker`]).
    pub finished_marker: String,
}

/// The newest finished rows of a broadcast read before, with the marker they were
/// read under: a store reads them again only when the marker moved (they have no
/// index: reading them sorts all of the broadcast's finished rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptFinished {
    pub marker: String,
    pub recent_finished: Vec<String>,
}

/// A broadcast's finished rows change when a row finishes or is queued again: a
/// calling row ends (the calling set moves), a pending row fails before it is dialled
/// or a finished one goes back to pending (the pending count moves), a row is marked
/// failed (the failed count, from the partial `failed` index). A finished row edited
/// into another finished status is not seen: readers bound how long they keep one.
pub fn finished_marker(pending: i64, calling: &[DateTime<Utc>], failed: i64) -> String {
    let newest = calling.iter().max().map(|at| at.timestamp_micros());
    format!("{pending}|{}|{newest:?}|{failed}", calling.len())
}

/// Fills in the kept finished rows of the broadcasts whose marker did not move;
/// returns the broadcasts whose finished rows must be read.
pub fn reuse_finished(
    stats: &mut BTreeMap<Uuid, BroadcastStats>,
    kept: &BTreeMap<Uuid, KeptFinished>,
) -> Vec<Uuid> {
    let mut moved = Vec::new();
    for (id, entry) in stats.iter_mut() {
        match kept.get(id) {
            Some(k) if k.marker == entry.finished_marker => {
                entry.recent_finished.clone_from(&k.recent_finished);
            }
            _ => moved.push(*id),
        }
    }
    moved
}

/// `get_campaign_contact_release_status(campaign_id)`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactRelease {
    /// current_release_present | current_release_cohort_invalid |
    /// latest_release_expired_or_revoked | no_release (other values kept as-is).
    pub release_state: String,
    pub release_stage: Option<String>,
    pub release_expires_at: Option<DateTime<Utc>>,
    pub cohort_limit: Option<i32>,
    pub cohort_member_count: Option<i64>,
}

/// One budget_settings row (a `None` campaign means user-wide).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetSetting {
    pub user_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub is_paused: bool,
    pub paused_at: Option<DateTime<Utc>>,
    pub pause_reason: Option<String>,
}

// ---------------------------------------------------------------------------
// Retell

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RetellFacts {
    /// `GET /get-concurrency`: also the cheap authenticated key check.
    pub concurrency: Observed<RetellConcurrency>,
    pub agents: Observed<Vec<RetellAgent>>,
    pub numbers: Observed<Vec<RetellNumber>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RetellConcurrency {
    pub current: i64,
    pub limit: i64,
    pub reserved_inbound: i64,
}

impl RetellConcurrency {
    /// Outbound headroom = limit − reserved inbound − current (providers.md §1.1);
    /// absurd figures in a reply saturate instead of overflowing.
    pub fn headroom(&self) -> i64 {
        let exact =
            i128::from(self.limit) - i128::from(self.reserved_inbound) - i128::from(self.current);
        exact.clamp(i64::MIN.into(), i64::MAX.into()) as i64
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RetellAgent {
    pub agent_id: String,
    pub name: Option<String>,
    /// `None` when Retell did not say (v2 list items omit it) or it is unset.
    pub webhook_url: Option<String>,
}

/// A Retell phone number, with both generations of its agent fields (providers.md §2).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RetellNumber {
    /// E.164; Retell's id for the number.
    pub phone_number: String,
    /// `retell-twilio`, `retell-telnyx` or `custom`.
    pub number_type: String,
    /// Agent ids of the `inbound_agents` list.
    pub inbound_agent_ids: Vec<String>,
    /// Agent ids of the `outbound_agents` list.
    pub outbound_agent_ids: Vec<String>,
    /// The deprecated single-agent fields.
    pub deprecated_inbound_agent_id: Option<String>,
    pub deprecated_outbound_agent_id: Option<String>,
    /// `sip_outbound_trunk_config.termination_uri`, else the top-level `termination_uri`.
    pub termination_uri: Option<String>,
}

impl RetellNumber {
    /// The outbound agents: the list if non-empty, else the deprecated single id.
    pub fn outbound_agents(&self) -> Vec<&str> {
        effective_agents(&self.outbound_agent_ids, &self.deprecated_outbound_agent_id)
    }

    /// The inbound agents: the list if non-empty, else the deprecated single id.
    pub fn inbound_agents(&self) -> Vec<&str> {
        effective_agents(&self.inbound_agent_ids, &self.deprecated_inbound_agent_id)
    }

    pub fn is_custom(&self) -> bool {
        self.number_type.eq_ignore_ascii_case("custom")
    }
}

fn effective_agents<'a>(list: &'a [String], deprecated: &'a Option<String>) -> Vec<&'a str> {
    let listed: Vec<&str> = list
        .iter()
        .map(|id| id.trim())
        .filter(|id| !id.is_empty())
        .collect();
    if !listed.is_empty() {
        return listed;
    }
    deprecated
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .into_iter()
        .collect()
}

// ---------------------------------------------------------------------------
// Twilio

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TwilioFacts {
    pub account: Observed<TwilioAccount>,
    pub incoming_numbers: Observed<Vec<TwilioIncomingNumber>>,
    /// Every trunk of the account, each with its phone numbers and origination URLs.
    pub trunks: Observed<Vec<TwilioTrunk>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TwilioAccount {
    /// `active`, `suspended` or `closed`.
    pub status: String,
    /// `Trial` or `Full`.
    pub account_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TwilioIncomingNumber {
    pub sid: String,
    pub phone_number: String,
    pub trunk_sid: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TwilioTrunk {
    pub sid: String,
    pub domain_name: Option<String>,
    /// `IP_ACL`/`CREDENTIAL_LIST`, comma-joined; empty means the domain gets no traffic.
    pub auth_type: Option<String>,
    /// E.164 numbers attached to the trunk (its PhoneNumbers list).
    pub numbers: Vec<String>,
    pub origination_urls: Vec<OriginationUrl>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OriginationUrl {
    pub sip_url: String,
    pub enabled: bool,
}

// ---------------------------------------------------------------------------
// ElevenLabs

/// What `GET /v1/user/subscription` answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElevenLabsAnswer {
    Subscription(ElevenLabsSubscription),
    /// 401 `missing_permissions`: a scoped key without `user_read`.
    MissingPermissions,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ElevenLabsSubscription {
    pub tier: String,
    /// trialing | active | incomplete | past_due | free | free_disabled.
    pub status: String,
    pub character_count: i64,
    pub character_limit: i64,
}

// ---------------------------------------------------------------------------
// Google Calendar and audio

/// The outcome of a cheap calendar call made with an integration's access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalendarProbe {
    AccessVerified,
    /// 401 `authError`: the access token was rejected.
    TokenRejected,
    /// 403 `insufficientPermissions`: the grant lacks the calendar scopes.
    InsufficientPermissions,
    /// A 200 carrying per-calendar errors (`notFound`, …), as `calendar: reason`.
    CalendarErrors(Vec<String>),
}

/// The answer to probing a broadcast's `audio_url` (HEAD, or a `Range: bytes=0-0` GET).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AudioProbe {
    pub http_status: u16,
    pub content_type: Option<String>,
}
