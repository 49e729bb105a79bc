//! Watching the calls in flight without reading all of them every second.
//!
//! The platform's indexes find calls that *started* cheaply (a range on the partial
//! `calling` index of broadcast_queue, on `call_logs.created_at`), but nothing finds
//! the calls that *ended* without visiting every call still in flight. So the live
//! poller reads:
//! - everything ([`NextRead::Full`]) at the start, after `r` or an action, and after a
//!   gap in the reads;
//! - every `full_every`, a check ([`InFlightCheck`]): only the ids and versions of
//!   what is in flight (no lead numbers, no parent names), from which the tracker
//!   finds what it lacks or holds stale ([`InFlightTracker::to_fetch`]) and what ended,
//!   fetched by id with its new status ([`CallState`]);
//! - in between, only what started since the last read ([`InFlightDelta`]).
//!
//! New calls show at the next live poll; ended calls leave the list at the next check;
//! the stuck ages keep growing from the database's clock. Every entry, state change
//! and exit the tracker sees becomes an [`Observation`] for the progress counts
//! ([`InFlightTracker::take_observations`]).
//!
//! Merging is idempotent: a delta applied twice, or a row seen in two deltas (they
//! overlap by [`OVERLAP`] so a transaction that commits late is not missed), changes
//! nothing more than once. A failed poll changes nothing: the next delta starts from
//! the last one that was read, and after a gap longer than `full_every` the next read
//! is a full one.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{CallSource, InFlightCall, InFlightSnapshot, OpenClaim};
use crate::progress::Observation;

/// How far back each delta reaches before the previous read's database time: a row
/// written by a transaction that began before that read but committed after it
/// carries the older time. Short on purpose (each second re-reads this much): a row
/// committed later still comes with the next full read.
pub const OVERLAP: chrono::Duration = chrono::Duration::seconds(2);

/// How far back a check looks for call logs it was not told about (created before a
/// delta saw them, by a transaction that committed late).
pub const CHECK_LOG_CATCH_UP: Duration = Duration::from_secs(120);

/// Calls that started (or moved while in flight) since a given database time.
#[derive(Debug, Clone, PartialEq)]
pub struct InFlightDelta {
    pub db_now: DateTime<Utc>,
    pub calls: Vec<InFlightCall>,
    pub manual_required_jobs: i64,
}

/// One call in flight as a check sees it: enough to tell whether the tracker's copy
/// is current.
#[derive(Debug, Clone, PartialEq)]
pub struct CallVersion {
    pub source: CallSource,
    pub id: Uuid,
    pub state: String,
    pub since: DateTime<Utc>,
}

/// Where the age classes of a check's queue parts begin, back from the last read's
/// database time (see [`QueueSummary`]): class 0 holds the rows updated in the last
/// minute, class 4 those older than 10 minutes (stuck calls).
pub const AGE_CLASSES: [chrono::Duration; 4] = [
    chrono::Duration::minutes(1),
    chrono::Duration::minutes(2),
    chrono::Duration::minutes(4),
    chrono::Duration::minutes(10),
];

/// One part of a queue parent's calling rows: a broadcast's `broadcast_queue` rows or
/// a campaign's `dialing_queues` rows of one age class (how long since each row's
/// last update, see [`AgeBounds`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueuePart {
    pub source: CallSource,
    pub parent: Uuid,
    pub age: u8,
}

/// A [`QueuePart`] summed up: how many rows, and the newest `updated_at`. The
/// platform's update trigger sets `updated_at` on every change, so a summary that did
/// not move means rows that did not move, and a check lists only the rows of the
/// parts whose summary moved: a call that starts moves the youngest part, one that
/// ends moves the part of its age, a stuck call that is cleaned up the oldest. (The
/// broadcasts' summaries come from the partial `calling` index alone, without
/// visiting the rows.)
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueueSummary {
    pub part: QueuePart,
    pub calls: i64,
    pub newest: Option<DateTime<Utc>>,
}

/// The age classes of one check as database times: class `k` holds the rows updated
/// at or after `bounds[k]` and before `bounds[k - 1]`; class 4, those before
/// `bounds[3]` (and those without an update time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeBounds {
    pub bounds: [DateTime<Utc>; 4],
}

impl AgeBounds {
    /// The classes counted back from `from`.
    pub fn from(from: DateTime<Utc>) -> AgeBounds {
        AgeBounds {
            bounds: AGE_CLASSES.map(|age| from - age),
        }
    }

    /// The class of a row last updated at `at`.
    pub fn class(&self, at: DateTime<Utc>) -> u8 {
        self.bounds.iter().take_while(|b| at < **b).count() as u8
    }

    /// The class's range of update times: from (inclusive, none for the oldest) and
    /// until (exclusive, none for the youngest).
    pub fn range(&self, age: u8) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let age = usize::from(age);
        let from = self.bounds.get(age).copied();
        let until = age.checked_sub(1).and_then(|i| self.bounds.get(i).copied());
        (from, until)
    }
}

/// The open dispatch claims summed up: how many in each open status, and the newest
/// claim time, all from the partial `(status, claimed_at)` index. A claim enters
/// claimed now, changes status or leaves, and nothing else about it changes, so an
/// equal summary means the same claims and a check need not list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClaimsSummary {
    pub claimed: i64,
    pub acceptance_unknown: i64,
    pub newest: Option<DateTime<Utc>>,
}

impl ClaimsSummary {
    pub fn of(claims: &[OpenClaim]) -> ClaimsSummary {
        let count = |status: &str| claims.iter().filter(|c| c.status == status).count() as i64;
        ClaimsSummary {
            claimed: count("claimed"),
            acceptance_unknown: count("acceptance_unknown"),
            newest: claims.iter().map(|c| c.claimed_at).max(),
        }
    }
}

/// What the tracker holds, told to a check so that it lists only what may differ.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownInFlight {
    /// The call logs held (asked by id: no index finds the ones still open).
    pub call_logs: Vec<Uuid>,
    pub claims: ClaimsSummary,
    /// The age classes the summaries are counted in.
    pub ages: AgeBounds,
    pub queues: Vec<QueueSummary>,
}

/// Which queue rows a check lists, from the summaries it read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckPlan {
    /// Parts whose summary matches the tracker's: not listed, present as held.
    pub unchanged: Vec<QueuePart>,
    /// Parts whose summary moved: their rows are listed.
    pub listed: Vec<QueuePart>,
}

impl CheckPlan {
    /// The listed parts of `source`, each as (parent, from, until): see
    /// [`AgeBounds::range`].
    #[allow(clippy::type_complexity)]
    pub fn listed_ranges(
        &self,
        source: CallSource,
        ages: &AgeBounds,
    ) -> (
        Vec<Uuid>,
        Vec<Option<DateTime<Utc>>>,
        Vec<Option<DateTime<Utc>>>,
    ) {
        let mut ranges = (Vec::new(), Vec::new(), Vec::new());
        for part in self.listed.iter().filter(|p| p.source == source) {
            let (from, until) = ages.range(part.age);
            ranges.0.push(part.parent);
            ranges.1.push(from);
            ranges.2.push(until);
        }
        ranges
    }

    /// The parents of `source` with a listed part.
    pub fn listed_parents(&self, source: CallSource) -> Vec<Uuid> {
        let parents: HashSet<Uuid> = self
            .listed
            .iter()
            .filter(|p| p.source == source)
            .map(|p| p.parent)
            .collect();
        parents.into_iter().collect()
    }
}

impl KnownInFlight {
    /// What to list, given the summaries `now` a check read with `self.ages`.
    pub fn plan(&self, now: &[QueueSummary]) -> CheckPlan {
        let known: HashSet<&QueueSummary> = self.queues.iter().collect();
        let (same, moved): (Vec<&QueueSummary>, Vec<&QueueSummary>) =
            now.iter().partition(|s| known.contains(s));
        CheckPlan {
            unchanged: same.iter().map(|s| s.part).collect(),
            listed: moved.iter().map(|s| s.part).collect(),
        }
    }
}

/// The ids in flight now, with the open claims and redial holds, in one read.
#[derive(Debug, Clone, PartialEq)]
pub struct InFlightCheck {
    pub db_now: DateTime<Utc>,
    /// The versions of the calls in flight, but for the queue rows of `unchanged`.
    pub present: Vec<CallVersion>,
    /// The age classes the check was asked with.
    pub ages: AgeBounds,
    /// Queue parts whose calling rows are those the tracker holds (see
    /// [`QueueSummary`]): still present, as held.
    pub unchanged: Vec<QueuePart>,
    /// The open claims, or `None` when their summary matched the tracker's (the
    /// claims it holds are still the open ones).
    pub open_claims: Option<Vec<OpenClaim>>,
    /// dialing_queues rows held by a quarantined call_log.
    pub held_queue_ids: Vec<Uuid>,
    pub manual_required_jobs: i64,
}

/// A row fetched by id: its status now and, when still in flight, the whole call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallState {
    pub source: CallSource,
    pub id: Uuid,
    pub parent: Option<Uuid>,
    pub status: String,
    /// When it last changed (database time).
    pub at: DateTime<Utc>,
    pub picked_up: bool,
    pub call: Option<InFlightCall>,
}

/// What the next live poll should read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextRead {
    /// Everything in flight.
    Full,
    /// The ids in flight, then what changed by id.
    Check,
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
    last_check: Option<Instant>,
    last_read: Option<Instant>,
    full_wanted: bool,
    observed: Vec<Observation>,
}

impl InFlightTracker {
    pub fn new(full_every: Duration) -> InFlightTracker {
        InFlightTracker {
            full_every,
            current: None,
            index: HashMap::new(),
            last_check: None,
            last_read: None,
            full_wanted: true,
            observed: Vec::new(),
        }
    }

    /// A full read at the start, when asked, and after a gap (failed polls) longer
    /// than `full_every`; a check every `full_every`; a delta from the last read's
    /// database time otherwise.
    pub fn next_read(&self, now: Instant) -> NextRead {
        let (Some(current), Some(last_check), Some(last_read)) =
            (&self.current, self.last_check, self.last_read)
        else {
            return NextRead::Full;
        };
        let gap = now.saturating_duration_since(last_read) > self.full_every;
        if self.full_wanted || gap {
            NextRead::Full
        } else if now.saturating_duration_since(last_check) >= self.full_every {
            NextRead::Check
        } else {
            NextRead::Since(current.db_now - OVERLAP)
        }
    }

    /// Ask for a full read at the next poll (after an action changed what is in flight).
    pub fn force_full(&mut self) {
        self.full_wanted = true;
    }

    /// The rows moved since the last call, for the progress counts.
    pub fn take_observations(&mut self) -> Vec<Observation> {
        std::mem::take(&mut self.observed)
    }

    /// What the tracker holds, for a check: the call logs by id, the queue rows
    /// summed up per part (age classes counted back from the last read).
    pub fn known(&self) -> KnownInFlight {
        let (calls, db_now) = self
            .current
            .as_ref()
            .map_or((&[][..], DateTime::<Utc>::MIN_UTC), |c| {
                (&c.calls[..], c.db_now)
            });
        let ages = AgeBounds::from(db_now);
        let mut queues: HashMap<QueuePart, QueueSummary> = HashMap::new();
        let mut call_logs = Vec::new();
        for call in calls {
            if call.source == CallSource::CallLogs {
                call_logs.push(call.id);
                continue;
            }
            let Some(part) = queue_part(call, &ages) else {
                continue;
            };
            let summary = queues.entry(part).or_insert_with(|| QueueSummary {
                part,
                calls: 0,
                newest: None,
            });
            summary.calls += 1;
            summary.newest = summary.newest.max(Some(call.since));
        }
        KnownInFlight {
            call_logs,
            claims: ClaimsSummary::of(self.current.as_ref().map_or(&[][..], |c| &c.open_claims)),
            ages,
            queues: queues.into_values().collect(),
        }
    }

    /// What a check says the tracker lacks, holds stale, or holds but ended.
    pub fn to_fetch(&self, check: &InFlightCheck) -> Vec<(CallSource, Uuid)> {
        let calls = self.current.as_ref().map_or(&[][..], |c| &c.calls[..]);
        let present = Present::of(check);
        let changed = check.present.iter().filter(|v| {
            self.index
                .get(&(v.source, v.id))
                .is_none_or(|&i| calls[i].state != v.state || calls[i].since != v.since)
        });
        let ended = calls
            .iter()
            .filter(|c| !present.holds(c))
            .map(|c| (c.source, c.id));
        changed.map(|v| (v.source, v.id)).chain(ended).collect()
    }

    /// Takes a check and the rows [`Self::to_fetch`] named, fetched after it.
    pub fn apply_check(
        &mut self,
        check: InFlightCheck,
        fetched: Vec<CallState>,
        now: Instant,
    ) -> &InFlightSnapshot {
        let mut current = self.current.take().unwrap_or_else(|| InFlightSnapshot {
            db_now: check.db_now,
            calls: Vec::new(),
            open_claims: Vec::new(),
            manual_required_jobs: 0,
        });
        let mut fetched: HashMap<(CallSource, Uuid), CallState> =
            fetched.into_iter().map(|s| ((s.source, s.id), s)).collect();
        let present = Present::of(&check);
        let mut calls = Vec::with_capacity(current.calls.len());
        for known in current.calls.drain(..) {
            let key = (known.source, known.id);
            match fetched.remove(&key) {
                Some(state) => {
                    let obs = exit_or_change(&known, &state);
                    self.observed.extend(obs);
                    calls.extend(state.call);
                }
                None if present.holds(&known) => calls.push(known),
                // Gone without a trace (deleted, or out of scope now).
                None => self
                    .observed
                    .extend(observation(&known, Some(&known.state), None)),
            }
        }
        for state in fetched.into_values() {
            if let Some(call) = state.call {
                self.observed.extend(observation(
                    &call,
                    entry_from(call.source),
                    Some(&call.state),
                ));
                calls.push(call);
            }
        }
        if let Some(claims) = check.open_claims {
            current.open_claims = claims;
        }
        let held: HashSet<Uuid> = check
            .held_queue_ids
            .iter()
            .copied()
            .chain(current.open_claims.iter().filter_map(|c| c.queue_id))
            .collect();
        for call in &mut calls {
            if call.source == CallSource::DialingQueues {
                call.redial_hold = held.contains(&call.id);
            }
        }
        current.calls = calls;
        current.db_now = current.db_now.max(check.db_now);
        current.manual_required_jobs = check.manual_required_jobs;
        self.reindex(&current);
        self.last_check = Some(now);
        self.last_read = Some(now);
        self.current.insert(current)
    }

    fn reindex(&mut self, snapshot: &InFlightSnapshot) {
        self.index = snapshot
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.source, c.id), i))
            .collect();
    }

    /// Takes a full read as the new truth; returns it.
    /// A full read sees no moves: after one, the progress is recounted instead.
    pub fn apply_full(&mut self, snapshot: InFlightSnapshot, now: Instant) -> &InFlightSnapshot {
        self.reindex(&snapshot);
        self.full_wanted = false;
        self.last_check = Some(now);
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
                Some(&i) => {
                    let known = &current.calls[i];
                    if known.state != call.state {
                        let mut obs = observation(&call, Some(&known.state), Some(&call.state));
                        // A call log's own time is its creation: the change is now.
                        if let Some(o) = obs.as_mut() {
                            o.at = delta.db_now;
                        }
                        self.observed.extend(obs);
                    }
                    current.calls[i] = call;
                }
                None => {
                    self.observed.extend(observation(
                        &call,
                        entry_from(call.source),
                        Some(&call.state),
                    ));
                    self.index
                        .insert((call.source, call.id), current.calls.len());
                    current.calls.push(call);
                }
            }
        }
        current
    }
}

/// The part of its parent's calling rows a queue call is in; none for call logs.
fn queue_part(call: &InFlightCall, ages: &AgeBounds) -> Option<QueuePart> {
    if call.source == CallSource::CallLogs {
        return None;
    }
    Some(QueuePart {
        source: call.source,
        parent: call.parent()?,
        age: ages.class(call.since),
    })
}

/// What a check found in flight: the rows it listed and the parts it vouched for.
struct Present {
    listed: HashSet<(CallSource, Uuid)>,
    unchanged: HashSet<QueuePart>,
    ages: AgeBounds,
}

impl Present {
    fn of(check: &InFlightCheck) -> Present {
        Present {
            listed: check.present.iter().map(|v| (v.source, v.id)).collect(),
            unchanged: check.unchanged.iter().copied().collect(),
            ages: check.ages,
        }
    }

    fn holds(&self, call: &InFlightCall) -> bool {
        self.listed.contains(&(call.source, call.id))
            || queue_part(call, &self.ages).is_some_and(|p| self.unchanged.contains(&p))
    }
}

/// The status a queue row had before it was dialled: the dispatchers dial `pending`
/// rows. A call log is a new row.
fn entry_from(source: CallSource) -> Option<&'static str> {
    match source {
        CallSource::BroadcastQueue | CallSource::DialingQueues => Some("pending"),
        CallSource::CallLogs => None,
    }
}

fn observation(call: &InFlightCall, from: Option<&str>, to: Option<&str>) -> Option<Observation> {
    Some(Observation {
        source: call.source,
        id: call.id,
        parent: call.parent()?,
        from: from.map(str::to_string),
        to: to.map(str::to_string),
        at: call.since,
        picked_up: false,
    })
}

/// A known call fetched again: it ended, or it is still in flight in another state.
fn exit_or_change(known: &InFlightCall, state: &CallState) -> Option<Observation> {
    if state.status == known.state {
        return None;
    }
    Some(Observation {
        source: known.source,
        id: known.id,
        parent: state.parent.or_else(|| known.parent())?,
        from: Some(known.state.clone()),
        to: Some(state.status.clone()),
        at: state.at,
        picked_up: state.picked_up,
    })
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
        assert_eq!(t.next_read(start + Duration::from_secs(5)), NextRead::Check);
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

    fn version(c: &InFlightCall) -> CallVersion {
        CallVersion {
            source: c.source,
            id: c.id,
            state: c.state.clone(),
            since: c.since,
        }
    }

    fn check(db_now: i64, present: Vec<CallVersion>) -> InFlightCheck {
        InFlightCheck {
            db_now: at(db_now),
            present,
            ages: AgeBounds::from(at(db_now)),
            unchanged: Vec::new(),
            open_claims: Some(Vec::new()),
            held_queue_ids: Vec::new(),
            manual_required_jobs: 3,
        }
    }

    fn parented(mut c: InFlightCall) -> InFlightCall {
        c.broadcast_id = Some(Uuid::from_u128(100));
        c.campaign_id = Some(Uuid::from_u128(200));
        c
    }

    #[test]
    fn a_check_fetches_what_is_new_stale_or_ended_and_drops_what_ended() {
        let start = Instant::now();
        let mut t = InFlightTracker::new(Duration::from_secs(5));
        let stays = parented(call(CallSource::BroadcastQueue, 1, "calling", 90));
        let ends = parented(call(CallSource::BroadcastQueue, 2, "calling", 91));
        let rings = parented(call(CallSource::CallLogs, 3, "queued", 92));
        t.apply_full(
            full(100, vec![stays.clone(), ends.clone(), rings.clone()]),
            start,
        );
        t.take_observations();
        let mut ringing = rings.clone();
        ringing.state = "ringing".to_string();
        let new = parented(call(CallSource::DialingQueues, 4, "calling", 104));
        let c = check(105, vec![version(&stays), version(&ringing), version(&new)]);
        let mut wanted = t.to_fetch(&c);
        wanted.sort_by_key(|(_, id)| *id);
        let wanted: Vec<u128> = wanted.iter().map(|(_, id)| id.as_u128()).collect();
        assert_eq!(wanted, [2, 3, 4]);

        let state = |c: &InFlightCall, status: &str, when: i64, still: bool| CallState {
            source: c.source,
            id: c.id,
            parent: c.broadcast_id,
            status: status.to_string(),
            at: at(when),
            picked_up: false,
            call: still.then(|| {
                let mut now = c.clone();
                now.state = status.to_string();
                now
            }),
        };
        let mut with_claim = c.clone();
        with_claim
            .open_claims
            .get_or_insert_default()
            .push(OpenClaim {
                id: Uuid::from_u128(9),
                status: "claimed".to_string(),
                claimed_at: at(104),
                queue_id: Some(new.id),
                campaign_id: None,
                destination_phone: None,
            });
        let merged = t.apply_check(
            with_claim,
            vec![
                state(&ends, "completed", 103, false),
                state(&ringing, "ringing", 104, true),
                state(&new, "calling", 104, true),
            ],
            start + Duration::from_secs(5),
        );
        let mut got = ids(merged);
        got.sort_by_key(|(_, id, _)| *id);
        assert_eq!(
            got,
            [
                (CallSource::BroadcastQueue, 1, "calling".to_string()),
                (CallSource::CallLogs, 3, "ringing".to_string()),
                (CallSource::DialingQueues, 4, "calling".to_string()),
            ]
        );
        assert_eq!(merged.manual_required_jobs, 3);
        assert_eq!(merged.open_claims.len(), 1);
        let held: Vec<bool> = merged.calls.iter().map(|c| c.redial_hold).collect();
        assert_eq!(
            held.iter().filter(|h| **h).count(),
            1,
            "the claimed queue row"
        );

        let mut moves: Vec<(u128, Option<String>, Option<String>)> = t
            .take_observations()
            .into_iter()
            .map(|o| (o.id.as_u128(), o.from, o.to))
            .collect();
        moves.sort();
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            moves,
            [
                (2, s("calling"), s("completed")),
                (3, s("queued"), s("ringing")),
                (4, s("pending"), s("calling")),
            ]
        );
        assert!(t.take_observations().is_empty());
        // The next read is a delta again, from the check's database time.
        assert_eq!(
            t.next_read(start + Duration::from_secs(6)),
            NextRead::Since(at(105) - OVERLAP)
        );
    }

    #[test]
    fn deltas_report_entries_and_state_changes_once() {
        let start = Instant::now();
        let mut t = InFlightTracker::new(Duration::from_secs(5));
        t.apply_full(full(100, vec![]), start);
        let log = parented(call(CallSource::CallLogs, 5, "queued", 100));
        let d = delta(101, vec![log.clone()]);
        t.apply_delta(d.clone(), start);
        t.apply_delta(d, start);
        let entries = t.take_observations();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].from, None);
        assert_eq!(entries[0].at, at(100));
        let mut ringing = log;
        ringing.state = "ringing".to_string();
        t.apply_delta(delta(102, vec![ringing]), start);
        let changes = t.take_observations();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].from.as_deref(), Some("queued"));
        // A call log's change is dated by the read, not by its creation.
        assert_eq!(changes[0].at, at(102));
    }

    #[test]
    fn age_classes_and_their_ranges() {
        let ages = AgeBounds::from(at(1000));
        let class = |secs_ago: i64| ages.class(at(1000 - secs_ago));
        assert_eq!(
            [0, 60, 61, 120, 121, 240, 241, 600, 601, 86_400].map(class),
            [0, 0, 1, 1, 2, 2, 3, 3, 4, 4],
            "each class from its bound, inclusive"
        );
        assert_eq!(ages.range(0), (Some(at(940)), None));
        assert_eq!(ages.range(1), (Some(at(880)), Some(at(940))));
        assert_eq!(ages.range(4), (None, Some(at(400))));
    }

    #[test]
    fn a_check_skips_the_queue_rows_of_parts_whose_summary_did_not_move() {
        let start = Instant::now();
        let mut t = InFlightTracker::new(Duration::from_secs(5));
        let b1 = |n, since| parented(call(CallSource::BroadcastQueue, n, "calling", since));
        let mut b2_row = b1(3, 95);
        b2_row.broadcast_id = Some(Uuid::from_u128(101));
        let stuck = b1(5, -3600);
        let log = parented(call(CallSource::CallLogs, 4, "queued", 96));
        t.apply_full(
            full(
                100,
                vec![b1(1, 90), b1(2, 92), b2_row.clone(), stuck, log.clone()],
            ),
            start,
        );
        let known = t.known();
        assert_eq!(known.call_logs, [log.id]);
        assert_eq!(known.ages, AgeBounds::from(at(100)));
        let summary = |parent: u128, age, calls, newest| QueueSummary {
            part: QueuePart {
                source: CallSource::BroadcastQueue,
                parent: Uuid::from_u128(parent),
                age,
            },
            calls,
            newest: Some(at(newest)),
        };
        let mut queues = known.queues.clone();
        queues.sort_by_key(|q| q.part);
        assert_eq!(
            queues,
            [
                summary(100, 0, 2, 92),
                summary(100, 4, 1, -3600),
                summary(101, 0, 1, 95)
            ]
        );

        // Broadcast 100 did not move; broadcast 101's row ended (its summary is gone).
        let now = [summary(100, 4, 1, -3600), summary(100, 0, 2, 92)];
        let plan = known.plan(&now);
        assert!(plan.listed.is_empty());
        let mut c = check(105, vec![version(&log)]);
        c.ages = known.ages;
        c.unchanged = plan.unchanged;
        assert_eq!(t.to_fetch(&c), [(CallSource::BroadcastQueue, b2_row.id)]);
        let merged = t.apply_check(c, Vec::new(), start + Duration::from_secs(5));
        let mut kept: Vec<u128> = ids(merged).iter().map(|(_, id, _)| *id).collect();
        kept.sort();
        assert_eq!(
            kept,
            [1, 2, 4, 5],
            "unchanged rows kept, the gone one dropped"
        );

        // A part that moved at all (one more row, a newer version) is listed, alone.
        let known = t.known();
        let moved = known.plan(&[summary(100, 4, 1, -3600), summary(100, 0, 3, 99)]);
        assert_eq!(moved.listed, [summary(100, 0, 3, 99).part]);
        assert_eq!(moved.unchanged, [summary(100, 4, 1, -3600).part]);
        let (parents, from, until) = moved.listed_ranges(CallSource::BroadcastQueue, &known.ages);
        assert_eq!(parents, [Uuid::from_u128(100)]);
        assert_eq!((from[0], until[0]), known.ages.range(0));
        assert!(
            moved
                .listed_ranges(CallSource::DialingQueues, &known.ages)
                .0
                .is_empty()
        );
        // Nor is a campaign's summary under the same id the broadcast's.
        let mut other = summary(100, 0, 2, 92);
        other.part.source = CallSource::DialingQueues;
        assert!(known.plan(&[other]).unchanged.is_empty());
    }

    #[test]
    fn a_check_that_vouches_for_the_claims_keeps_them_and_their_holds() {
        let start = Instant::now();
        let mut t = InFlightTracker::new(Duration::from_secs(5));
        let dialing = parented(call(CallSource::DialingQueues, 4, "calling", 95));
        let claim = OpenClaim {
            id: Uuid::from_u128(9),
            status: "acceptance_unknown".to_string(),
            claimed_at: at(96),
            queue_id: Some(dialing.id),
            campaign_id: None,
            destination_phone: None,
        };
        let mut snapshot = full(100, vec![dialing.clone()]);
        snapshot.open_claims = vec![claim.clone()];
        t.apply_full(snapshot, start);
        assert_eq!(
            t.known().claims,
            ClaimsSummary {
                claimed: 0,
                acceptance_unknown: 1,
                newest: Some(at(96))
            }
        );
        let mut c = check(105, vec![version(&dialing)]);
        c.open_claims = None;
        let merged = t.apply_check(c, Vec::new(), start + Duration::from_secs(5));
        assert_eq!(merged.open_claims, [claim]);
        assert!(merged.calls[0].redial_hold, "still held by its claim");
        // A check that lists the claims replaces them.
        let c = check(110, vec![version(&dialing)]);
        let merged = t.apply_check(c, Vec::new(), start + Duration::from_secs(10));
        assert!(merged.open_claims.is_empty());
        assert!(!merged.calls[0].redial_hold);
    }
}
