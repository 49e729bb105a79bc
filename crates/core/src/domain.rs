//! The console's view of the platform: plain data, filled by a `Store`, read by the
//! rules, the TUI and the headless commands.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Restricts every query to one tenant (product.md Decision 4). Both set: AND.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub user_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
}

/// The three tables whose rows are calls in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallSource {
    BroadcastQueue,
    CallLogs,
    DialingQueues,
}

impl CallSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CallSource::BroadcastQueue => "broadcast_queue",
            CallSource::CallLogs => "call_logs",
            CallSource::DialingQueues => "dialing_queues",
        }
    }

    /// A short label for narrow table columns.
    pub fn short_label(self) -> &'static str {
        match self {
            CallSource::BroadcastQueue => "bcast",
            CallSource::CallLogs => "call",
            CallSource::DialingQueues => "dial",
        }
    }
}

/// One call in flight, from any of the three sources.
///
/// `since` is the timestamp its age is measured from: `updated_at` for the two queues,
/// `created_at` for call_logs (schema.md §5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InFlightCall {
    pub source: CallSource,
    pub id: Uuid,
    pub state: String,
    pub since: DateTime<Utc>,
    /// The lead's full number; mask with `redact::mask_phone` before display.
    pub phone: String,
    pub provider_call_id: Option<String>,
    pub broadcast_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    /// The broadcast's or campaign's name, when known.
    pub parent_name: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    /// A redial hold: a call_log with `provider_reconciliation_required`, or a dispatch claim
    /// still `claimed`/`acceptance_unknown` for this queue row. Never touched by cleanup.
    pub redial_hold: bool,
}

/// A dispatch claim that has not been finalised (shown, never cleaned by launchdeck).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenClaim {
    pub id: Uuid,
    pub status: String,
    pub claimed_at: DateTime<Utc>,
    pub queue_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub destination_phone: Option<String>,
}

/// Everything in flight, read in one consistent poll, with the database's clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InFlightSnapshot {
    pub db_now: DateTime<Utc>,
    pub calls: Vec<InFlightCall>,
    pub open_claims: Vec<OpenClaim>,
    /// provider_reconciliation_jobs in `manual_required`: always needs a person.
    pub manual_required_jobs: i64,
}

/// Row counts per status value, as read with GROUP BY. Unknown values are kept as-is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts(pub BTreeMap<String, i64>);

impl StatusCounts {
    pub fn get(&self, status: &str) -> i64 {
        self.0.get(status).copied().unwrap_or(0)
    }

    pub fn total(&self) -> i64 {
        self.0.values().sum()
    }

    pub fn sum_of(&self, statuses: &[&str]) -> i64 {
        statuses.iter().map(|s| self.get(s)).sum()
    }

    pub fn add(&mut self, status: &str, count: i64) {
        *self.0.entry(status.to_string()).or_insert(0) += count;
    }
}

/// Finished calls per minute, oldest first, ending with the current minute.
pub type PerMinute = Vec<u64>;

/// Live progress of one broadcast (broadcast_queue rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BroadcastProgress {
    pub id: Uuid,
    pub name: String,
    pub status: String,
    pub counts: StatusCounts,
    /// Rows that finished in each of the last 15 minutes.
    pub finished_per_minute: PerMinute,
}

/// Live progress of one campaign: its dialing queue and its call logs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignProgress {
    pub id: Uuid,
    pub name: String,
    pub status: String,
    pub agent_id: Option<String>,
    pub queue_counts: StatusCounts,
    pub log_counts: StatusCounts,
    /// call_logs answered or completed with `duration_seconds > 0` (the pickup numerator).
    pub log_picked_up: i64,
    /// Call logs created in each of the last 15 minutes.
    pub calls_per_minute: PerMinute,
}

/// One row of the Logs screen: a finished (or in-flight) call_logs row or a finished
/// broadcast_queue row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallLogEntry {
    pub source: CallSource,
    pub id: Uuid,
    pub status: String,
    pub outcome: Option<String>,
    pub duration_seconds: Option<i32>,
    /// Cost in US dollars when the source records one.
    pub cost: Option<f64>,
    /// call_logs `notes`; broadcast_queue `error_code: error_message`.
    pub notes: Option<String>,
    pub phone: String,
    pub caller_id: Option<String>,
    pub provider: Option<String>,
    pub provider_call_id: Option<String>,
    pub broadcast_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub parent_name: Option<String>,
    pub agent_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Last change: `updated_at` for broadcast_queue, `ended_at` or `created_at` for call_logs.
    pub updated_at: DateTime<Utc>,
    pub call_summary: Option<String>,
    pub reconciliation_required: bool,
}

/// Filter for the call-log window. Every field is optional; text matches are
/// case-insensitive substrings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogFilter {
    /// Matches status, outcome, notes, provider call id or the last digits of the number.
    pub text: Option<String>,
    pub status: Option<String>,
    pub broadcast_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: Uuid,
    pub user_id: Uuid,
    pub alert_type: String,
    pub severity: String,
    pub title: Option<String>,
    pub message: String,
    pub related_id: Option<String>,
    pub related_type: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhoneNumber {
    pub id: Uuid,
    pub user_id: Uuid,
    pub organization_id: Uuid,
    pub number: String,
    pub status: String,
    pub quarantine_until: Option<chrono::NaiveDate>,
    pub is_spam: bool,
    pub daily_calls: i32,
    pub max_daily_calls: Option<i32>,
    pub provider: Option<String>,
    pub purpose: Option<String>,
    pub retell_phone_id: Option<String>,
    pub twilio_sid: Option<String>,
    pub sip_trunk_config_id: Option<Uuid>,
    pub call_direction: String,
    pub friendly_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SipTrunk {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub provider_type: String,
    pub is_active: bool,
    pub is_default: bool,
    pub twilio_trunk_sid: Option<String>,
    pub twilio_termination_uri: Option<String>,
    pub telnyx_connection_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetellAgentRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub organization_id: Uuid,
    pub retell_agent_id: String,
    pub agent_name: String,
    pub webhook_url: Option<String>,
    pub status: Option<String>,
}

/// A calendar integration. The stored tokens are deliberately not part of this type:
/// only the token-refresh action reads them, through its own store method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarIntegration {
    pub id: Uuid,
    pub user_id: Uuid,
    pub provider: String,
    pub provider_account_email: Option<String>,
    pub calendar_id: Option<String>,
    pub has_access_token: bool,
    pub has_refresh_token: bool,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub sync_enabled: bool,
    pub sync_errors: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarAvailability {
    pub id: Uuid,
    pub user_id: Uuid,
    pub timezone: String,
    /// As stored: a JSON object, or a JSON string holding the object (browser form).
    pub weekly_schedule: serde_json::Value,
}

/// A voice broadcast's definition (readiness reads it; progress comes separately).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Broadcast {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub status: String,
    pub message_text: String,
    pub audio_url: Option<String>,
    pub ivr_enabled: bool,
    pub ivr_mode: Option<String>,
    pub dtmf_actions: Option<serde_json::Value>,
    pub max_attempts: Option<i32>,
    pub calling_hours_start: Option<chrono::NaiveTime>,
    pub calling_hours_end: Option<chrono::NaiveTime>,
    pub timezone: Option<String>,
    pub bypass_calling_hours: bool,
    pub calls_per_minute: Option<i32>,
    pub caller_id: Option<String>,
    pub use_sip_trunk: bool,
    pub broadcast_provider: Option<String>,
    pub voice_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: Uuid,
    pub user_id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub status: String,
    pub agent_id: Option<String>,
    pub provider: String,
    pub calls_per_minute: i32,
    pub max_attempts: i32,
    pub calling_hours_start: Option<chrono::NaiveTime>,
    pub calling_hours_end: Option<chrono::NaiveTime>,
    pub timezone: Option<String>,
    pub lead_count: i64,
}

/// An active stop row in contact_stop_controls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopControl {
    pub id: Uuid,
    pub scope_type: String,
    pub organization_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub provider: Option<String>,
    pub channel: String,
    pub reason: String,
    pub activated_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// True when launchdeck created it (its `metadata.source` is `launchdeck`).
    pub created_by_launchdeck: bool,
}
