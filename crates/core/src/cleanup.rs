//! The "clean up stuck calls" rules (product.md "Actions"; schema.md §5): for one stuck
//! row and what its provider said about its call, the write that finishes it, or why it
//! is left alone. Pure: the action in launchdeck-ops asks the providers and the store
//! applies the writes.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{CallProvider, CallSource, InFlightCall, ProviderCallRecord};
use crate::stuck::{StuckThresholds, age, classify};

/// The platform counts an ended Retell call shorter than this as not answered.
const SHORT_CALL_SECS: i64 = 10;

/// What the provider said about a stuck row's call.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderAnswer {
    /// Not asked: the row has no provider call id, or one of a provider launchdeck does
    /// not call (Telnyx, Decision 13). The plain timeout rule applies.
    NotAsked,
    /// The provider's record of the call (ended or still live).
    Record(ProviderCallRecord),
    /// The provider does not know the call (Twilio 404, Retell 422): the plain rule.
    UnknownCall,
    /// The provider could not be asked (network, 5xx, breaker, not configured): why.
    CouldNotAsk(String),
}

/// The thresholds a cleanup uses: `older_than` (the operator's `--older-than`)
/// replaces the three per-source stuck ages; the longest allowed call stays.
pub fn thresholds(base: StuckThresholds, older_than: Option<Duration>) -> StuckThresholds {
    match older_than {
        Some(age) => StuckThresholds {
            broadcast_stuck_after: age,
            call_stuck_after: age,
            dialing_stuck_after: age,
            ..base
        },
        None => base,
    }
}

/// Whether cleanup looks at the row: it is stuck, or past the longest allowed call
/// (then its provider decides).
pub fn is_candidate(call: &InFlightCall, db_now: DateTime<Utc>, t: &StuckThresholds) -> bool {
    classify(call, db_now, t).is_flagged()
}

/// The provider to ask about a stuck row's call, with the call id: a Twilio CallSid
/// on a broadcast_queue row, a Retell call id on a call_log. `None`: nothing to ask
/// (no id, a Telnyx id, or a dialing row, whose stuck rule needs no provider id).
pub fn provider_to_ask(call: &InFlightCall) -> Option<(CallProvider, String)> {
    let id = call.provider_call_id.as_deref()?.trim();
    let wanted = match call.source {
        CallSource::BroadcastQueue => CallProvider::Twilio,
        CallSource::CallLogs => CallProvider::Retell,
        CallSource::DialingQueues => return None,
    };
    (CallProvider::of_row(None, id) == wanted).then(|| (wanted, id.to_string()))
}

/// When a call_log's `ended_at` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "at")]
pub enum EndedAt {
    /// The database's `now()` at the write.
    DbNow,
    /// The provider's end of the call.
    At(DateTime<Utc>),
}

/// One row's cleanup write, conditional on the row as previewed: its `status` and,
/// for the two queues, its `updated_at` (call_logs has none: its `ended_at` must still
/// be empty). Fields a source does not have are `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanupWrite {
    pub source: CallSource,
    pub id: Uuid,
    pub expected_status: String,
    /// The previewed `updated_at` (queues); `None` for call_logs.
    pub expected_updated_at: Option<DateTime<Utc>>,
    pub new_status: String,
    /// Set `scheduled_at` to the database's `now()` (back to `pending`).
    pub reschedule: bool,
    /// broadcast_queue `error_code` / `error_message`.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// Appended to `notes` (dialing_queues, call_logs) on a line of its own.
    pub note: Option<String>,
    /// call_logs `outcome`, set only where it is still empty.
    pub outcome: Option<String>,
    /// call_logs `duration_seconds`; broadcast_queue `call_duration_seconds`.
    pub duration_seconds: Option<i32>,
    /// call_logs `ended_at`.
    pub ended_at: Option<EndedAt>,
}

impl CleanupWrite {
    fn new(call: &InFlightCall, new_status: &str) -> Self {
        CleanupWrite {
            source: call.source,
            id: call.id,
            expected_status: call.state.clone(),
            expected_updated_at: match call.source {
                CallSource::CallLogs => None,
                CallSource::BroadcastQueue | CallSource::DialingQueues => Some(call.since),
            },
            new_status: new_status.to_string(),
            reschedule: false,
            error_code: None,
            error_message: None,
            note: None,
            outcome: None,
            duration_seconds: None,
            ended_at: None,
        }
    }
}

/// What one conditional write did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupWriteResult {
    pub source: CallSource,
    pub id: Uuid,
    pub changed: bool,
    /// The row's status after the transaction (`None`: the row is gone).
    pub status_now: Option<String>,
}

/// Why a stuck row is left alone.
#[derive(Debug, Clone, PartialEq)]
pub enum LeftAlone {
    /// Under a redial hold: the platform's reconciler owns it.
    RedialHold,
    /// The provider says the call is still going: a long call.
    StillLive {
        provider: CallProvider,
        call_id: String,
        provider_status: String,
    },
    /// The provider could not be asked.
    CouldNotAsk(String),
}

/// The cleanup rule's verdict on one stuck row.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Write(CleanupWrite),
    LeaveAlone(LeftAlone),
}

/// Decides one stuck row (`call` as previewed at `db_now`) given its provider's answer.
pub fn decide(call: &InFlightCall, answer: &ProviderAnswer, db_now: DateTime<Utc>) -> Verdict {
    if call.redial_hold {
        return Verdict::LeaveAlone(LeftAlone::RedialHold);
    }
    let minutes = whole_minutes(age(call.since, db_now));
    match answer {
        ProviderAnswer::NotAsked | ProviderAnswer::UnknownCall => {
            Verdict::Write(timed_out(call, minutes))
        }
        ProviderAnswer::CouldNotAsk(why) => {
            Verdict::LeaveAlone(LeftAlone::CouldNotAsk(why.clone()))
        }
        ProviderAnswer::Record(record) => match ended(call, record) {
            Some(write) => Verdict::Write(write),
            None => Verdict::LeaveAlone(LeftAlone::StillLive {
                provider: record.provider.clone(),
                call_id: record.call_id.clone(),
                provider_status: record.status.clone(),
            }),
        },
    }
}

fn whole_minutes(d: Duration) -> u64 {
    d.as_secs() / 60
}

fn out_of_attempts(call: &InFlightCall) -> bool {
    call.attempts >= call.max_attempts
}

/// The platform's own timeout rule (schema.md §5), for a row whose call is not known
/// to have ended.
fn timed_out(call: &InFlightCall, minutes: u64) -> CleanupWrite {
    let state = &call.state;
    match call.source {
        CallSource::BroadcastQueue if out_of_attempts(call) => CleanupWrite {
            error_code: Some("TIMEOUT".into()),
            error_message: Some(format!(
                "launchdeck timed it out after {minutes} min in {state}"
            )),
            ..CleanupWrite::new(call, "failed")
        },
        CallSource::BroadcastQueue => CleanupWrite {
            reschedule: true,
            ..CleanupWrite::new(call, "pending")
        },
        CallSource::DialingQueues if out_of_attempts(call) => CleanupWrite {
            note: Some(format!(
                "launchdeck timed it out after {minutes} min in {state}: max attempts ({}) reached",
                call.max_attempts
            )),
            ..CleanupWrite::new(call, "failed")
        },
        CallSource::DialingQueues => CleanupWrite {
            reschedule: true,
            note: Some(format!(
                "launchdeck timed it out after {minutes} min in {state}: back to pending"
            )),
            ..CleanupWrite::new(call, "pending")
        },
        CallSource::CallLogs => {
            let note = Some(format!(
                "launchdeck timed it out after {minutes} min in {state}"
            ));
            if state == "ringing" {
                CleanupWrite {
                    note,
                    outcome: Some("no_answer".into()),
                    ended_at: Some(EndedAt::DbNow),
                    ..CleanupWrite::new(call, "no_answer")
                }
            } else {
                CleanupWrite {
                    note,
                    outcome: Some("failed".into()),
                    ..CleanupWrite::new(call, "failed")
                }
            }
        }
    }
}

/// The final state matching the provider's record, or `None` while the call is live.
fn ended(call: &InFlightCall, record: &ProviderCallRecord) -> Option<CleanupWrite> {
    match (call.source, &record.provider) {
        (CallSource::BroadcastQueue, CallProvider::Twilio) => broadcast_from_twilio(call, record),
        (CallSource::CallLogs, CallProvider::Retell) => call_log_from_retell(call, record),
        // A record from a provider this row's calls are never placed with says nothing
        // about the row: leave it as a call still live rather than guess.
        _ => None,
    }
}

fn duration(record: &ProviderCallRecord) -> Option<i32> {
    record
        .duration_seconds
        .map(|s| i32::try_from(s.max(0)).unwrap_or(i32::MAX))
}

/// Twilio `completed`/`busy`/`no-answer`/`failed`/`canceled` → broadcast_queue.
fn broadcast_from_twilio(call: &InFlightCall, record: &ProviderCallRecord) -> Option<CleanupWrite> {
    let status = match record.status.as_str() {
        "completed" => "completed",
        "busy" => "busy",
        "no-answer" => "no_answer",
        "failed" => "failed",
        "canceled" => "cancelled",
        _ => return None,
    };
    let error_message = (status == "failed").then(|| match &record.reason {
        Some(reason) => format!("Twilio says the call failed: {reason}"),
        None => "Twilio says the call failed".to_string(),
    });
    Some(CleanupWrite {
        error_message,
        duration_seconds: duration(record),
        ..CleanupWrite::new(call, status)
    })
}

/// Retell `ended`/`not_connected`/`error` with its `disconnection_reason` → the
/// call_logs status and outcome (both within the platform's CHECK sets).
fn call_log_from_retell(call: &InFlightCall, record: &ProviderCallRecord) -> Option<CleanupWrite> {
    let reason = record.reason.as_deref().unwrap_or("");
    let status = match record.status.as_str() {
        "ended" => ended_status(reason, record.duration_seconds),
        "not_connected" => not_connected_status(reason),
        "error" => "failed",
        _ => return None,
    };
    let said = match reason {
        "" => record.status.clone(),
        reason => format!("{} ({reason})", record.status),
    };
    Some(CleanupWrite {
        note: Some(format!("launchdeck: Retell says the call {said}")),
        outcome: Some(status.to_string()),
        duration_seconds: duration(record),
        ended_at: Some(record.ended_at.map_or(EndedAt::DbNow, EndedAt::At)),
        ..CleanupWrite::new(call, status)
    })
}

fn ended_status(reason: &str, duration_seconds: Option<i64>) -> &'static str {
    match reason {
        "voicemail_reached" | "machine_detected" => "voicemail",
        r if is_not_connected(r) => not_connected_status(r),
        r if is_failure(r) => "failed",
        _ if duration_seconds.unwrap_or(0) < SHORT_CALL_SECS => "no_answer",
        _ => "completed",
    }
}

fn not_connected_status(reason: &str) -> &'static str {
    match reason {
        "dial_busy" => "busy",
        "dial_no_answer"
        | "user_declined"
        | "registered_call_timeout"
        | "error_user_not_joined"
        | "" => "no_answer",
        "voicemail_reached" | "machine_detected" => "voicemail",
        _ => "failed",
    }
}

/// Retell's "not connected" group (providers.md §1.1).
fn is_not_connected(reason: &str) -> bool {
    matches!(
        reason,
        "dial_busy"
            | "dial_failed"
            | "dial_no_answer"
            | "invalid_destination"
            | "user_declined"
            | "marked_as_spam"
            | "registered_call_timeout"
            | "error_user_not_joined"
    )
}

/// Retell's "limits", "telephony" and "errors" groups.
fn is_failure(reason: &str) -> bool {
    reason.starts_with("error_")
        || matches!(
            reason,
            "concurrency_limit_reached"
                | "no_concurrency_fallback"
                | "no_valid_payment"
                | "scam_detected"
                | "telephony_provider_permission_denied"
                | "telephony_provider_unavailable"
                | "sip_routing_error"
        )
}

#[cfg(test)]
mod tests;
