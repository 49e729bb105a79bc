//! Watching the calls in flight without reading all of them every second.
//!
//! The platform's indexes find calls that *started* cheaply (a range on the partial
//! `calling` index of broadcast_queue, on `call_logs.created_at`), but nothing finds
//! the calls that *ended* without visiting every call still in flight. So the live
//! poller reads the whole set only every `full_every` and, between two full reads,
//! only what started since the last read ([`InFlightDelta`]), merged into the last
//! full read here. New calls show at the next live poll; ended calls leave the list
//! at the next full read; the stuck ages keep growing from the database's clock.
//!
//! Merging is idempotent: a delta applied twice, or a row seen in two deltas (they
//! overlap by [`OVERLAP`] so a transaction that commits late is not missed), changes
//! nothing more than once. A failed poll changes nothing: the next delta starts from
//! the last one that was read, and after a gap longer than `full_every` the next read
//! is a full one.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{CallSource, InFlightCall, InFlightSnapshot};

/// How far back each delta reaches before the previous read's database time: a row
/// written by a transaction that began before that read but committed after it
/// carries the older time. Short on purpose (each second re-reads this much): a row
/// committed later still comes with the next full read.
pub const OVERLAP: chrono::Duration = chrono::Duration::seconds(2);

/// Calls that started (or moved while in flight) since a given database time.
#[derive(Debug, Clone, PartialEq)]
pub struct InFlightDelta {
    pub db_now: DateTime<Utc>,
    pub calls: Vec<InFlightCall>,
    pub manual_required_jobs: i64,
}

/// What the next live poll should read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextRead {
    /// Everything in flight.
    Full,
    /// Only what started at or after this database time.
    Since(DateTime<Utc>),
}

/// The calls in flight as of the last read: a full read with the deltas since merged in.
#[derive(Debug)]
pub struct InFlightTracker {
    full_every: Duration,
    current: Option<InFlightSnapshot>,
    /// Where each call is in `current.calls`.
    index: HashMap<(CallSource, Uuid), usize>,
    last_full: Option<Instant>,
    last_read: Option<Instant>,
}

impl InFlightTracker {
    pub fn new(full_every: Duration) -> InFlightTracker {
        InFlightTracker {
            full_every,
            current: None,
            index: HashMap::new(),
            last_full: None,
            last_read: None,
        }
    }

    /// A full read at the start, every `full_every`, and after a gap (failed polls)
    /// longer than that; a delta from the last read's database time otherwise.
    pub fn next_read(&self, now: Instant) -> NextRead {
        let (Some(current), Some(last_full), Some(last_read)) =
            (&self.current, self.last_full, self.last_read)
        else {
            return NextRead::Full;
        };
        let due = now.saturating_duration_since(last_full) >= self.full_every;
        let gap = now.saturating_duration_since(last_read) > self.full_every;
        if due || gap {
            NextRead::Full
        } else {
            NextRead::Since(current.db_now - OVERLAP)
        }
    }

    /// Ask for a full read at the next poll (after an action changed what is in flight).
    pub fn force_full(&mut self) {
        self.last_full = None;
    }

    /// Takes a full read as the new truth; returns it.
    pub fn apply_full(&mut self, snapshot: InFlightSnapshot, now: Instant) -> &InFlightSnapshot {
        self.index = snapshot
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.source, c.id), i))
            .collect();
        self.last_full = Some(now);
        self.last_read = Some(now);
        self.current.insert(snapshot)
    }

    /// Merges what started since the last read; returns the merged set. (A delta with
    /// no full read before it merges into an empty set; `next_read` still asks for a
    /// full read next.)
    pub fn apply_delta(&mut self, delta: InFlightDelta, now: Instant) -> &InFlightSnapshot {
        self.last_read = Some(now);
        let current = self.current.get_or_insert_with(|| InFlightSnapshot {
            db_now: delta.db_now,
            calls: Vec::new(),
            open_claims: Vec::new(),
            manual_required_jobs: 0,
        });
        current.db_now = current.db_now.max(delta.db_now);
        current.manual_required_jobs = delta.manual_required_jobs;
        for call in delta.calls {
            match self.index.get(&(call.source, call.id)) {
                Some(&i) => current.calls[i] = call,
                None => {
                    self.index
                        .insert((call.source, call.id), current.calls.len());
                    current.calls.push(call);
                }
            }
        }
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap_or_default()
    }

    fn call(source: CallSource, n: u128, state: &str, since: i64) -> InFlightCall {
        InFlightCall {
            source,
            id: Uuid::from_u128(n),
            state: state.to_string(),
            since: at(since),
            phone: "+14155550100".to_string(),
            provider_call_id: None,
            broadcast_id: None,
            campaign_id: None,
            parent_name: None,
            attempts: 1,
            max_attempts: 1,
            redial_hold: false,
        }
    }

    fn full(db_now: i64, calls: Vec<InFlightCall>) -> InFlightSnapshot {
        InFlightSnapshot {
            db_now: at(db_now),
            calls,
            open_claims: Vec::new(),
            manual_required_jobs: 1,
        }
    }

    fn delta(db_now: i64, calls: Vec<InFlightCall>) -> InFlightDelta {
        InFlightDelta {
            db_now: at(db_now),
            calls,
            manual_required_jobs: 2,
        }
    }

    fn ids(s: &InFlightSnapshot) -> Vec<(CallSource, u128, String)> {
        s.calls
            .iter()
            .map(|c| (c.source, c.id.as_u128(), c.state.clone()))
            .collect()
    }

    #[test]
    fn a_full_read_first_then_deltas_from_the_last_database_time_minus_the_overlap() {
        let start = Instant::now();
        let mut t = InFlightTracker::new(Duration::from_secs(5));
        assert_eq!(t.next_read(start), NextRead::Full);
        t.apply_full(full(100, vec![]), start);
        let next = start + Duration::from_secs(1);
        assert_eq!(t.next_read(next), NextRead::Since(at(100) - OVERLAP));
        t.apply_delta(delta(101, vec![]), next);
        let later = start + Duration::from_secs(2);
        assert_eq!(t.next_read(later), NextRead::Since(at(101) - OVERLAP));
        assert_eq!(t.next_read(start + Duration::from_secs(5)), NextRead::Full);
        t.force_full();
        assert_eq!(t.next_read(later), NextRead::Full);
    }

    #[test]
    fn a_delta_applied_twice_changes_nothing_more() {
        let start = Instant::now();
        let mut t = InFlightTracker::new(Duration::from_secs(5));
        let known = call(CallSource::BroadcastQueue, 1, "calling", 90);
        t.apply_full(full(100, vec![known]), start);
        let d = delta(101, vec![call(CallSource::CallLogs, 2, "queued", 101)]);
        let once = ids(t.apply_delta(d.clone(), start));
        let twice = ids(t.apply_delta(d, start));
        assert_eq!(once, twice);
        assert_eq!(once.len(), 2);
    }

    #[test]
    fn a_row_that_moves_between_polls_keeps_one_place_with_its_newest_state() {
        let start = Instant::now();
        let mut t = InFlightTracker::new(Duration::from_secs(5));
        t.apply_full(
            full(100, vec![call(CallSource::CallLogs, 7, "queued", 95)]),
            start,
        );
        let merged = t.apply_delta(
            delta(102, vec![call(CallSource::CallLogs, 7, "ringing", 95)]),
            start,
        );
        assert_eq!(
            ids(merged),
            [(CallSource::CallLogs, 7, "ringing".to_string())]
        );
        assert_eq!(merged.db_now, at(102));
        assert_eq!(merged.manual_required_jobs, 2);
        // The same id in another table is another call.
        let merged = t.apply_delta(
            delta(
                103,
                vec![call(CallSource::DialingQueues, 7, "calling", 103)],
            ),
            start,
        );
        assert_eq!(merged.calls.len(), 2);
    }

    #[test]
    fn calls_that_ended_leave_at_the_next_full_read() {
        let start = Instant::now();
        let mut t = InFlightTracker::new(Duration::from_secs(5));
        let a = call(CallSource::BroadcastQueue, 1, "calling", 90);
        let b = call(CallSource::BroadcastQueue, 2, "calling", 91);
        t.apply_full(full(100, vec![a.clone(), b]), start);
        let merged = t.apply_full(full(105, vec![a]), start + Duration::from_secs(5));
        assert_eq!(
            ids(merged),
            [(CallSource::BroadcastQueue, 1, "calling".to_string())]
        );
        // The index follows the new read: a delta updates the right row.
        let merged = t.apply_delta(
            delta(
                106,
                vec![call(CallSource::BroadcastQueue, 1, "calling", 106)],
            ),
            start,
        );
        assert_eq!(merged.calls.len(), 1);
        assert_eq!(merged.calls[0].since, at(106));
    }

    #[test]
    fn a_missed_poll_is_covered_by_the_next_delta_and_a_long_gap_by_a_full_read() {
        let start = Instant::now();
        let mut t = InFlightTracker::new(Duration::from_secs(5));
        t.apply_full(full(100, vec![]), start);
        t.apply_delta(delta(101, vec![]), start + Duration::from_secs(1));
        // The poll at 2 s failed: the one at 3 s still reads from the last success.
        assert_eq!(
            t.next_read(start + Duration::from_secs(3)),
            NextRead::Since(at(101) - OVERLAP)
        );
        // Polls that keep failing for longer than a full period: read everything.
        t.force_full();
        t.apply_full(full(110, vec![]), start + Duration::from_secs(2));
        assert_eq!(t.next_read(start + Duration::from_secs(8)), NextRead::Full);
    }

    #[test]
    fn the_database_clock_never_goes_back() {
        let start = Instant::now();
        let mut t = InFlightTracker::new(Duration::from_secs(5));
        t.apply_full(full(100, vec![]), start);
        assert_eq!(t.apply_delta(delta(99, vec![]), start).db_now, at(100));
    }
}
