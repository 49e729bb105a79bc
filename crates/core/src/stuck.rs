//! "Stuck" rules of product.md "Live data and stuck", as pure functions of a row and
//! the database's clock.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{CallSource, InFlightCall, OpenClaim};

/// The thresholds that decide when a row in flight is stuck (config `[thresholds]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StuckThresholds {
    pub broadcast_stuck_after: Duration,
    pub call_stuck_after: Duration,
    pub dialing_stuck_after: Duration,
    pub max_call_duration: Duration,
    pub claim_stuck_after: Duration,
}

impl Default for StuckThresholds {
    /// The platform's own defaults (product.md Decision 5).
    fn default() -> Self {
        StuckThresholds {
            broadcast_stuck_after: Duration::from_secs(5 * 60),
            call_stuck_after: Duration::from_secs(2 * 60),
            dialing_stuck_after: Duration::from_secs(2 * 60),
            max_call_duration: Duration::from_secs(60 * 60),
            claim_stuck_after: Duration::from_secs(90),
        }
    }
}

/// What the rules say about one row in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stuckness {
    /// In flight and within its allowed age.
    Live,
    /// Stuck by the rules; cleanup may act on it (unless it is under a redial hold).
    Stuck,
    /// Has a provider call id and is older than the longest allowed call: stuck only if
    /// the provider says the call has ended (ask before acting).
    AskProvider,
}

impl Stuckness {
    /// Shown as stuck in lists (the provider question is answered at cleanup time).
    pub fn is_flagged(self) -> bool {
        !matches!(self, Stuckness::Live)
    }
}

/// Age of a timestamp by the database's clock; never negative.
pub fn age(since: DateTime<Utc>, db_now: DateTime<Utc>) -> Duration {
    (db_now - since).to_std().unwrap_or(Duration::ZERO)
}

/// "Older than" is strict: a row exactly at the threshold is not yet stuck.
fn older_than(since: DateTime<Utc>, db_now: DateTime<Utc>, threshold: Duration) -> bool {
    age(since, db_now) > threshold
}

fn has_provider_id(call: &InFlightCall) -> bool {
    call.provider_call_id
        .as_deref()
        .is_some_and(|id| !id.trim().is_empty())
}

/// Classify one call in flight (product.md "Live data and stuck").
pub fn classify(call: &InFlightCall, db_now: DateTime<Utc>, t: &StuckThresholds) -> Stuckness {
    match call.source {
        CallSource::BroadcastQueue => {
            if older_than(call.since, db_now, t.broadcast_stuck_after) {
                Stuckness::Stuck
            } else {
                Stuckness::Live
            }
        }
        CallSource::CallLogs => {
            if has_provider_id(call) {
                if older_than(call.since, db_now, t.max_call_duration) {
                    Stuckness::AskProvider
                } else {
                    Stuckness::Live
                }
            } else if older_than(call.since, db_now, t.call_stuck_after) {
                Stuckness::Stuck
            } else {
                Stuckness::Live
            }
        }
        CallSource::DialingQueues => {
            if !has_provider_id(call) && older_than(call.since, db_now, t.dialing_stuck_after) {
                Stuckness::Stuck
            } else {
                Stuckness::Live
            }
        }
    }
}

/// A dispatch claim left `claimed`/`acceptance_unknown` past its threshold.
pub fn claim_is_stuck(claim: &OpenClaim, db_now: DateTime<Utc>, t: &StuckThresholds) -> bool {
    older_than(claim.claimed_at, db_now, t.claim_stuck_after)
}

impl From<&crate::config::Thresholds> for StuckThresholds {
    fn from(t: &crate::config::Thresholds) -> Self {
        StuckThresholds {
            broadcast_stuck_after: t.broadcast_stuck_after,
            call_stuck_after: t.call_stuck_after,
            dialing_stuck_after: t.dialing_stuck_after,
            max_call_duration: t.max_call_duration,
            claim_stuck_after: t.claim_stuck_after,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    fn call(source: CallSource, age_secs: i64, provider_id: Option<&str>) -> InFlightCall {
        InFlightCall {
            source,
            id: Uuid::nil(),
            state: "calling".into(),
            since: now() - chrono::Duration::seconds(age_secs),
            phone: "+14155550100".into(),
            provider_call_id: provider_id.map(str::to_string),
            broadcast_id: None,
            campaign_id: None,
            parent_name: None,
            attempts: 1,
            max_attempts: 1,
            redial_hold: false,
        }
    }

    #[test]
    fn stuck_rules_table() {
        use CallSource::*;
        use Stuckness::*;
        let t = StuckThresholds::default();
        let cases = [
            // broadcast_queue: updated_at older than 5 min, provider id irrelevant
            (BroadcastQueue, 299, None, Live),
            (BroadcastQueue, 300, None, Live),
            (BroadcastQueue, 301, None, Stuck),
            (BroadcastQueue, 2400, Some("CA123"), Stuck),
            // call_logs without provider id: older than 2 min
            (CallLogs, 120, None, Live),
            (CallLogs, 121, None, Stuck),
            (CallLogs, 121, Some("  "), Stuck),
            // call_logs with a Retell id: only past the longest call, and then ask Retell
            (CallLogs, 121, Some("call_1"), Live),
            (CallLogs, 3600, Some("call_1"), Live),
            (CallLogs, 3601, Some("call_1"), AskProvider),
            // dialing_queues: no provider id and older than 2 min
            (DialingQueues, 120, None, Live),
            (DialingQueues, 121, None, Stuck),
            (DialingQueues, 4000, Some("call_9"), Live),
        ];
        for (source, age_secs, pid, want) in cases {
            let got = classify(&call(source, age_secs, pid), now(), &t);
            assert_eq!(got, want, "{source:?} age {age_secs}s provider id {pid:?}");
        }
    }

    #[test]
    fn future_timestamps_are_age_zero() {
        let c = call(CallSource::BroadcastQueue, -30, None);
        assert_eq!(age(c.since, now()), Duration::ZERO);
        assert_eq!(
            classify(&c, now(), &StuckThresholds::default()),
            Stuckness::Live
        );
    }

    #[test]
    fn claims_stuck_after_90s() {
        let t = StuckThresholds::default();
        let claim = |secs| OpenClaim {
            id: Uuid::nil(),
            status: "claimed".into(),
            claimed_at: now() - chrono::Duration::seconds(secs),
            queue_id: None,
            campaign_id: None,
            destination_phone: None,
        };
        assert!(!claim_is_stuck(&claim(90), now(), &t));
        assert!(claim_is_stuck(&claim(91), now(), &t));
    }
}
