//! "Stuck" rules of product.md "Live data and stuck", as pure functions of a row and
//! the database's clock.

use std::cmp::Reverse;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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

/// An age as every list shows it, compact for narrow columns: `42s`, `12m03s`, `3h05m`,
/// `2d04h`. Seconds are kept below an hour because the stuck thresholds are minutes apart.
pub fn format_age(age: Duration) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    let secs = age.as_secs();
    match secs {
        0..MINUTE => format!("{secs}s"),
        MINUTE..HOUR => format!("{}m{:02}s", secs / MINUTE, secs % MINUTE),
        HOUR..DAY => format!("{}h{:02}m", secs / HOUR, secs % HOUR / MINUTE),
        _ => format!("{}d{:02}h", secs / DAY, secs % DAY / HOUR),
    }
}

/// Where a call in flight stands in every list of calls: flagged rows
/// ([`Stuckness::is_flagged`]) first, then oldest first, then by source and id so that
/// rows of the same age keep one order across polls. Sort with
/// `rows.sort_by_key(|r| in_flight_order(&r.call, r.stuckness))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct InFlightOrder {
    flagged: Reverse<bool>,
    since: DateTime<Utc>,
    source: CallSource,
    id: Uuid,
}

/// The sort key of one call in flight with what the stuck rules say about it.
pub fn in_flight_order(call: &InFlightCall, rule: Stuckness) -> InFlightOrder {
    InFlightOrder {
        flagged: Reverse(rule.is_flagged()),
        since: call.since,
        source: call.source,
        id: call.id,
    }
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
    fn ages_format_at_each_unit_boundary() {
        let cases = [
            (0, "0s"),
            (1, "1s"),
            (59, "59s"),
            (60, "1m00s"),
            (61, "1m01s"),
            (723, "12m03s"),
            (3599, "59m59s"),
            (3600, "1h00m"),
            (3659, "1h00m"),
            (3660, "1h01m"),
            (3 * 3600 + 5 * 60, "3h05m"),
            (86_399, "23h59m"),
            (86_400, "1d00h"),
            (2 * 86_400 + 4 * 3600 + 59 * 60, "2d04h"),
            (400 * 86_400, "400d00h"),
        ];
        for (secs, want) in cases {
            assert_eq!(format_age(Duration::from_secs(secs)), want, "{secs}s");
        }
    }

    #[test]
    fn ages_fit_the_seven_cell_age_column_of_the_calls_screen() {
        for secs in [59, 3599, 86_399, 999 * 86_400 + 86_399] {
            assert!(format_age(Duration::from_secs(secs)).len() <= 7, "{secs}s");
        }
    }

    #[test]
    fn in_flight_order_puts_flagged_first_then_oldest_then_source_and_id() {
        use CallSource::*;
        use Stuckness::*;
        let row = |n: u128, source, age_secs, rule| {
            let mut c = call(source, age_secs, None);
            c.id = Uuid::from_u128(n);
            (c, rule)
        };
        // (id, source, age, rule) in the order every list shows them
        let want = [
            row(1, CallLogs, 4000, AskProvider), // flagged, oldest: ask-provider ranks as stuck
            row(2, BroadcastQueue, 400, Stuck),
            row(3, BroadcastQueue, 400, Stuck), // same age and source: by id
            row(4, CallLogs, 400, Stuck),       // same age: by source
            row(5, DialingQueues, 130, Stuck),
            row(6, CallLogs, 9000, Live), // live rows after every flagged one, however old
            row(7, BroadcastQueue, 10, Live),
            row(8, DialingQueues, 10, Live),
            row(9, DialingQueues, 0, Live),
        ];
        let mut rows: Vec<_> = want.iter().rev().cloned().collect();
        rows.swap(0, 5);
        rows.swap(2, 7);
        rows.sort_by_key(|(c, rule)| in_flight_order(c, *rule));
        let ids: Vec<u128> = rows.iter().map(|(c, _)| c.id.as_u128()).collect();
        assert_eq!(ids, (1..=9).collect::<Vec<_>>());
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
