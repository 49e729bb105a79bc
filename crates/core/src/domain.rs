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

impl InFlightCall {
    /// The broadcast (broadcast_queue) or campaign (call_logs, dialing_queues) it belongs to.
    pub fn parent(&self) -> Option<Uuid> {
        match self.source {
            CallSource::BroadcastQueue => self.broadcast_id,
            CallSource::CallLogs | CallSource::DialingQueues => self.campaign_id,
        }
    }
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

/// The provider that holds a call's own record (product.md Decision 11, 13).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallProvider {
    Retell,
    Twilio,
    /// Shown and counted, never asked (product.md Decision 13).
    Telnyx,
    /// A provider launchdeck does not know, as the row names it (empty: none named).
    Other(String),
}

impl CallProvider {
    /// The provider of a Logs row: its `provider` column when it names one launchdeck
    /// knows (`retell`, `twilio`, `twilio_classic`, `telnyx`, `telnyx_ai`, …), else the
    /// shape of its call id (`call_…` is Retell's, `CA` + 32 hex is a Twilio CallSid).
    pub fn of_row(provider: Option<&str>, call_id: &str) -> CallProvider {
        let named = provider.map(|p| p.trim().to_ascii_lowercase());
        match named.as_deref() {
            Some(p) if p.starts_with("retell") => return CallProvider::Retell,
            Some(p) if p.starts_with("twilio") => return CallProvider::Twilio,
            Some(p) if p.starts_with("telnyx") => return CallProvider::Telnyx,
            _ => {}
        }
        let call_id = call_id.trim();
        if call_id.starts_with("call_") {
            CallProvider::Retell
        } else if is_twilio_call_sid(call_id) {
            CallProvider::Twilio
        } else {
            CallProvider::Other(named.unwrap_or_default())
        }
    }

    pub fn name(&self) -> &str {
        match self {
            CallProvider::Retell => "Retell",
            CallProvider::Twilio => "Twilio",
            CallProvider::Telnyx => "Telnyx",
            CallProvider::Other(name) => name,
        }
    }

    /// Why launchdeck does not fetch this provider's call records; `None` when it does.
    pub fn why_not_fetched(&self) -> Option<String> {
        match self {
            CallProvider::Retell | CallProvider::Twilio => None,
            CallProvider::Telnyx => {
                Some("not fetched for Telnyx calls (launchdeck does not call Telnyx)".into())
            }
            CallProvider::Other(name) if name.is_empty() => Some(
                "not fetched: the row names no provider and its call id is neither Retell's nor Twilio's"
                    .into(),
            ),
            CallProvider::Other(name) => Some(format!(
                "not fetched for {name} calls (launchdeck fetches Retell and Twilio calls only)"
            )),
        }
    }
}

/// `CA` followed by 32 hex digits.
fn is_twilio_call_sid(id: &str) -> bool {
    id.len() == 34 && id.starts_with("CA") && id[2..].chars().all(|c| c.is_ascii_hexdigit())
}

/// One call as its provider reports it (Retell get-call, Twilio call fetch): the
/// disconnection reason and timeline the platform's call_logs do not keep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderCallRecord {
    pub provider: CallProvider,
    pub call_id: String,
    /// The provider's own word: Retell `ended`, `not_connected`…; Twilio `completed`, `busy`…
    pub status: String,
    /// Retell's `disconnection_reason`; Twilio's `error_code: error_message`.
    pub reason: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_seconds: Option<i64>,
    /// What the call cost, in US dollars (Retell's combined cost; Twilio's price).
    pub cost: Option<f64>,
}

#[cfg(test)]
mod call_provider_tests {
    use super::CallProvider;

    #[test]
    fn the_provider_column_wins_over_the_id_shape() {
        let sid = "CA0b7e5d3c1a9f8e7d6c5b4a3f2e1d0c9b";
        assert_eq!(
            CallProvider::of_row(Some("retell"), "x"),
            CallProvider::Retell
        );
        assert_eq!(
            CallProvider::of_row(Some("twilio_classic"), sid),
            CallProvider::Twilio
        );
        assert_eq!(
            CallProvider::of_row(Some("telnyx_ai"), sid),
            CallProvider::Telnyx
        );
        assert_eq!(
            CallProvider::of_row(Some(" Telnyx "), "v3:abc"),
            CallProvider::Telnyx
        );
    }

    #[test]
    fn without_a_known_provider_the_id_decides() {
        let sid = "CA0b7e5d3c1a9f8e7d6c5b4a3f2e1d0c9b";
        assert_eq!(
            CallProvider::of_row(None, "call_8f3a2b1c"),
            CallProvider::Retell
        );
        assert_eq!(
            CallProvider::of_row(Some("other"), sid),
            CallProvider::Twilio
        );
        assert_eq!(
            CallProvider::of_row(None, "CA0b7e5d3c1a9f8e7d6c5b4a3f2e1d0c9"),
            CallProvider::Other(String::new()),
            "a CallSid has 32 hex digits"
        );
        assert_eq!(
            CallProvider::of_row(Some("Other"), "v3:abc"),
            CallProvider::Other("other".into())
        );
    }

    #[test]
    fn only_retell_and_twilio_are_fetched() {
        assert_eq!(CallProvider::Retell.why_not_fetched(), None);
        assert_eq!(CallProvider::Twilio.why_not_fetched(), None);
        let telnyx = CallProvider::Telnyx.why_not_fetched().unwrap_or_default();
        assert!(telnyx.contains("Telnyx"), "{telnyx}");
        let other = CallProvider::Other("vonage".into())
            .why_not_fetched()
            .unwrap_or_default();
        assert!(other.contains("vonage"), "{other}");
        assert!(
            CallProvider::Other(String::new())
                .why_not_fetched()
                .is_some()
        );
    }
}
