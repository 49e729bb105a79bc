//! Broadcast and campaign progress without recounting the big tables every poll.
//!
//! Recounting every parent (each broadcast's queue by status, each campaign's dialing
//! queue, the campaigns' call logs) reads every row the live parents own: about 50 ms
//! of database time on the scale profile, the largest cost of watching. Instead the
//! counts are kept from what the pollers see move — a call entering or leaving
//! flight, a call log created — as [`Observation`]s, and each [`Unit`] is recounted
//! from scratch:
//! - at once when it is new, or when its head row changed in a way no call shows
//!   (status, name, leads added: the head's `marker`), and all of them on `r`;
//! - otherwise one stale unit after another, oldest first, within a budget of
//!   database time ([`RECOUNT_SHARE`] of the wall clock), never more often than
//!   [`RECOUNT_AT_MOST_EVERY`]. A recount corrects what no observation shows (rows
//!   deleted, moved by another tool, call logs leaving the 24 h window).
//!
//! A recount carries the database time it was read at: an observation of a change at
//! or before that time is already in it and is skipped, and each row's last counted
//! status is remembered until the next recount, so nothing is counted twice however
//! often a row is seen.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{BroadcastProgress, CallSource, CampaignProgress, PerMinute, StatusCounts};

/// The share of wall-clock time the slow recounts may spend (measured as the time
/// their reads take): 0.3 ms per second.
pub const RECOUNT_SHARE: f64 = 0.0003;
/// A unit is recounted at most this often unless something says it changed.
pub const RECOUNT_AT_MOST_EVERY: Duration = Duration::from_secs(30);
/// The per-minute series cover this many minutes, ending with the current one.
pub const MINUTES: usize = 15;
/// Unspent recount time saved up while nothing is stale, at most this much.
const SAVED_AT_MOST: Duration = Duration::from_millis(20);

/// What one recount covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// A broadcast's queue counts by status and its finished-per-minute series.
    Broadcast(Uuid),
    /// A campaign's dialing-queue counts by status.
    Campaign(Uuid),
    /// Every campaign's call-log counts (the log window) and calls per minute.
    CampaignLogs,
}

/// A row seen moving: entering flight, changing state, leaving flight, or created.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub source: CallSource,
    pub id: Uuid,
    /// The broadcast (broadcast_queue) or campaign (dialing_queues, call_logs).
    pub parent: Uuid,
    /// Its status before, as far as the observer knows (`None`: a new row).
    pub from: Option<String>,
    /// Its status now (`None`: the row is gone).
    pub to: Option<String>,
    /// When it changed (database time).
    pub at: DateTime<Utc>,
    /// A call log answered, or completed with a duration (the pickup numerator).
    pub picked_up: bool,
}

/// A broadcast's or campaign's own row.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressHead {
    pub id: Uuid,
    pub name: String,
    pub status: String,
    pub agent_id: Option<String>,
    /// Changes when the parent changed in a way calls moving do not show.
    pub marker: String,
}

/// A call log created since the last look.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCallLog {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub picked_up: bool,
}

/// The cheap part of each progress poll.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressHeads {
    pub db_now: DateTime<Utc>,
    /// Draft, active and paused broadcasts, in listing order.
    pub broadcasts: Vec<ProgressHead>,
    /// Draft, active and paused campaigns, in listing order.
    pub campaigns: Vec<ProgressHead>,
    /// Call logs of those campaigns created since the asked time.
    pub new_logs: Vec<NewCallLog>,
}

/// The units to recount now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecountRequest {
    pub broadcasts: Vec<Uuid>,
    /// Of `broadcasts`, the active ones, whose finished series is read too.
    pub broadcast_series: Vec<Uuid>,
    pub campaigns: Vec<Uuid>,
    /// Every campaign, when `CampaignLogs` is recounted; empty otherwise.
    pub campaign_logs: Vec<Uuid>,
}

impl RecountRequest {
    pub fn is_empty(&self) -> bool {
        self.broadcasts.is_empty() && self.campaigns.is_empty() && self.campaign_logs.is_empty()
    }

    fn units(&self) -> usize {
        self.broadcasts.len() + self.campaigns.len() + usize::from(!self.campaign_logs.is_empty())
    }
}

/// `(parent, second, count)`: `second` is whole seconds since the Unix epoch (the
/// series are by minutes *ago*, so they are kept by the second).
pub type SecondCount = (Uuid, i64, i64);

/// What a recount read, at one database time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recount {
    pub db_now: DateTime<Utc>,
    pub broadcast_counts: HashMap<Uuid, StatusCounts>,
    /// Rows of the series broadcasts that finished, by second, in the last 15 minutes.
    pub broadcast_finished: Vec<SecondCount>,
    pub campaign_counts: HashMap<Uuid, StatusCounts>,
    /// When asked: each campaign's call-log counts in the window and picked-up count.
    pub campaign_logs: Option<HashMap<Uuid, (StatusCounts, i64)>>,
    /// When asked: call logs created, by second, in the last 15 minutes.
    pub campaign_created: Vec<SecondCount>,
}

const SERIES_SECONDS: i64 = MINUTES as i64 * 60;

fn finished_status(status: Option<&str>) -> bool {
    status.is_some_and(|s| s != "pending" && s != "calling")
}

#[derive(Debug, Clone)]
struct Seen {
    unit: Unit,
    status: Option<String>,
    picked_up: bool,
}

#[derive(Debug, Default)]
struct UnitState {
    counted_at: Option<DateTime<Utc>>,
    counted: Option<Instant>,
    /// What its last recount took.
    cost: Duration,
}

/// The progress of every broadcast and campaign in scope, kept between polls.
#[derive(Debug)]
pub struct ProgressTracker {
    db_now: Option<DateTime<Utc>>,
    broadcasts: Vec<BroadcastProgress>,
    campaigns: Vec<CampaignProgress>,
    markers: HashMap<Uuid, String>,
    units: HashMap<Unit, UnitState>,
    urgent: HashSet<Unit>,
    /// broadcast → second → rows finished.
    finished: HashMap<Uuid, BTreeMap<i64, u64>>,
    /// campaign → second → call logs created.
    created: HashMap<Uuid, BTreeMap<i64, u64>>,
    seen: HashMap<(CallSource, Uuid), Seen>,
    /// Recount time that may still be spent (negative: overspent).
    allowance: f64,
    refilled: Option<Instant>,
}

impl Default for ProgressTracker {
    fn default() -> Self {
        ProgressTracker::new()
    }
}

impl ProgressTracker {
    pub fn new() -> ProgressTracker {
        ProgressTracker {
            db_now: None,
            broadcasts: Vec::new(),
            campaigns: Vec::new(),
            markers: HashMap::new(),
            units: HashMap::new(),
            urgent: HashSet::new(),
            finished: HashMap::new(),
            created: HashMap::new(),
            seen: HashMap::new(),
            allowance: 0.0,
            refilled: None,
        }
    }

    /// Where new call logs should be read from: the last poll's database time less
    /// the in-flight overlap (a row committed late), once the logs were counted.
    pub fn logs_since(&self) -> Option<DateTime<Utc>> {
        self.units.get(&Unit::CampaignLogs)?.counted_at?;
        Some(self.db_now? - crate::in_flight::OVERLAP)
    }

    /// Takes the parents' rows: new parents and changed markers are recounted at once.
    pub fn apply_heads(&mut self, heads: ProgressHeads) {
        self.db_now = Some(self.db_now.map_or(heads.db_now, |t| t.max(heads.db_now)));
        let mut broadcasts: HashMap<Uuid, BroadcastProgress> =
            self.broadcasts.drain(..).map(|b| (b.id, b)).collect();
        self.broadcasts = heads
            .broadcasts
            .iter()
            .map(|h| {
                let mut b = broadcasts
                    .remove(&h.id)
                    .unwrap_or_else(|| BroadcastProgress {
                        id: h.id,
                        name: String::new(),
                        status: String::new(),
                        counts: StatusCounts::default(),
                        finished_per_minute: Vec::new(),
                    });
                b.name.clone_from(&h.name);
                b.status.clone_from(&h.status);
                b
            })
            .collect();
        let mut campaigns: HashMap<Uuid, CampaignProgress> =
            self.campaigns.drain(..).map(|c| (c.id, c)).collect();
        let had_campaigns: HashSet<Uuid> = campaigns.keys().copied().collect();
        self.campaigns = heads
            .campaigns
            .iter()
            .map(|h| {
                let mut c = campaigns.remove(&h.id).unwrap_or_else(|| CampaignProgress {
                    id: h.id,
                    name: String::new(),
                    status: String::new(),
                    agent_id: None,
                    queue_counts: StatusCounts::default(),
                    log_counts: StatusCounts::default(),
                    log_picked_up: 0,
                    calls_per_minute: Vec::new(),
                });
                c.name.clone_from(&h.name);
                c.status.clone_from(&h.status);
                c.agent_id.clone_from(&h.agent_id);
                c
            })
            .collect();

        let parents = heads
            .broadcasts
            .iter()
            .map(|h| (Unit::Broadcast(h.id), h))
            .chain(heads.campaigns.iter().map(|h| (Unit::Campaign(h.id), h)));
        let mut markers = HashMap::new();
        for (unit, head) in parents {
            let marker = format!("{}\u{1f}{}\u{1f}{}", head.status, head.name, head.marker);
            if self.markers.get(&head.id) != Some(&marker) {
                self.urgent.insert(unit);
            }
            markers.insert(head.id, marker);
        }
        self.markers = markers;
        let now_campaigns: HashSet<Uuid> = heads.campaigns.iter().map(|h| h.id).collect();
        if now_campaigns.difference(&had_campaigns).next().is_some() {
            self.urgent.insert(Unit::CampaignLogs);
        }
        self.forget_gone_units();
        let first_kept = heads.db_now.timestamp() - SERIES_SECONDS;
        for seconds in self.finished.values_mut().chain(self.created.values_mut()) {
            seconds.retain(|&second, _| second >= first_kept);
        }
        for log in heads.new_logs {
            self.observe(Observation {
                source: CallSource::CallLogs,
                id: log.id,
                parent: log.campaign_id,
                from: None,
                to: Some(log.status),
                at: log.created_at,
                picked_up: log.picked_up,
            });
        }
    }

    fn forget_gone_units(&mut self) {
        let live: HashSet<Unit> = self.all_units().into_iter().collect();
        self.units.retain(|u, _| live.contains(u));
        self.urgent.retain(|u| live.contains(u));
        self.seen.retain(|_, s| live.contains(&s.unit));
        let broadcasts: HashSet<Uuid> = self.broadcasts.iter().map(|b| b.id).collect();
        let campaigns: HashSet<Uuid> = self.campaigns.iter().map(|c| c.id).collect();
        self.finished.retain(|id, _| broadcasts.contains(id));
        self.created.retain(|id, _| campaigns.contains(id));
    }

    fn all_units(&self) -> Vec<Unit> {
        let mut units: Vec<Unit> = self
            .broadcasts
            .iter()
            .map(|b| Unit::Broadcast(b.id))
            .chain(self.campaigns.iter().map(|c| Unit::Campaign(c.id)))
            .collect();
        if !self.campaigns.is_empty() {
            units.push(Unit::CampaignLogs);
        }
        units
    }

    /// Recount every unit at the next poll (`r`, an action, a gap in the live reads).
    pub fn recount_all(&mut self) {
        self.urgent.extend(self.all_units());
    }

    /// The units to recount now: the urgent ones, then the stalest ones while the
    /// budget lasts.
    pub fn plan(&mut self, now: Instant) -> RecountRequest {
        if let Some(last) = self.refilled {
            let earned = now.saturating_duration_since(last).as_secs_f64() * RECOUNT_SHARE;
            self.allowance = (self.allowance + earned).min(SAVED_AT_MOST.as_secs_f64());
        }
        self.refilled = Some(now);

        let mut chosen: Vec<Unit> = self.urgent.iter().copied().collect();
        let mut stale: Vec<(Option<Instant>, Unit)> = self
            .all_units()
            .into_iter()
            .filter(|u| !self.urgent.contains(u))
            .filter_map(|u| {
                let counted = self.units.get(&u).and_then(|s| s.counted);
                let due = counted
                    .is_none_or(|at| now.saturating_duration_since(at) >= RECOUNT_AT_MOST_EVERY);
                due.then_some((counted, u))
            })
            .collect();
        stale.sort_by_key(|(counted, _)| *counted);
        let mut left = self.allowance;
        for (_, unit) in stale {
            if left <= 0.0 {
                break;
            }
            left -= self.units.get(&unit).map_or(0.0, |s| s.cost.as_secs_f64());
            chosen.push(unit);
        }
        self.request_for(&chosen)
    }

    fn request_for(&self, units: &[Unit]) -> RecountRequest {
        let mut request = RecountRequest::default();
        for unit in units {
            match unit {
                Unit::Broadcast(id) => {
                    request.broadcasts.push(*id);
                    if self
                        .broadcasts
                        .iter()
                        .any(|b| b.id == *id && b.status == "active")
                    {
                        request.broadcast_series.push(*id);
                    }
                }
                Unit::Campaign(id) => request.campaigns.push(*id),
                Unit::CampaignLogs => {
                    request.campaign_logs = self.campaigns.iter().map(|c| c.id).collect();
                }
            }
        }
        request.broadcasts.sort();
        request.broadcast_series.sort();
        request.campaigns.sort();
        request
    }

    /// Takes a recount of `request`, which took `took` to read.
    pub fn apply_recount(
        &mut self,
        request: &RecountRequest,
        mut recount: Recount,
        took: Duration,
        now: Instant,
    ) {
        self.allowance -= took.as_secs_f64();
        let cost = took / u32::try_from(request.units().max(1)).unwrap_or(u32::MAX);
        let at = recount.db_now;
        self.db_now = Some(self.db_now.map_or(at, |t| t.max(at)));
        let mut counted = Vec::new();
        for b in &mut self.broadcasts {
            if request.broadcasts.contains(&b.id) {
                b.counts = recount.broadcast_counts.remove(&b.id).unwrap_or_default();
                self.finished.insert(b.id, BTreeMap::new());
                counted.push(Unit::Broadcast(b.id));
            }
        }
        for (id, second, n) in recount.broadcast_finished {
            if let Some(series) = self.finished.get_mut(&id) {
                *series.entry(second).or_default() += u64::try_from(n).unwrap_or(0);
            }
        }
        for c in &mut self.campaigns {
            if request.campaigns.contains(&c.id) {
                c.queue_counts = recount.campaign_counts.remove(&c.id).unwrap_or_default();
                counted.push(Unit::Campaign(c.id));
            }
        }
        if let Some(mut logs) = recount.campaign_logs.take() {
            for c in &mut self.campaigns {
                (c.log_counts, c.log_picked_up) = logs.remove(&c.id).unwrap_or_default();
            }
            self.created.clear();
            for (id, second, n) in recount.campaign_created {
                *self
                    .created
                    .entry(id)
                    .or_default()
                    .entry(second)
                    .or_default() += u64::try_from(n).unwrap_or(0);
            }
            counted.push(Unit::CampaignLogs);
        }
        for unit in counted {
            self.urgent.remove(&unit);
            self.seen.retain(|_, s| s.unit != unit);
            let state = self.units.entry(unit).or_default();
            state.counted_at = Some(at);
            state.counted = Some(now);
            state.cost = cost;
        }
    }

    /// Applies a row seen moving, unless the unit's last recount already has it.
    pub fn observe(&mut self, obs: Observation) {
        let unit = match obs.source {
            CallSource::BroadcastQueue => Unit::Broadcast(obs.parent),
            CallSource::DialingQueues => Unit::Campaign(obs.parent),
            CallSource::CallLogs => Unit::CampaignLogs,
        };
        let counted_at = self.units.get(&unit).and_then(|s| s.counted_at);
        if counted_at.is_none_or(|counted| obs.at <= counted) {
            return; // not counted yet (the first recount has it), or counted since
        }
        let key = (obs.source, obs.id);
        let (from, from_picked_up, new_row) = match self.seen.get(&key) {
            Some(seen) => (seen.status.clone(), seen.picked_up, false),
            None => (obs.from.clone(), false, obs.from.is_none()),
        };
        if from == obs.to && from_picked_up == obs.picked_up {
            return;
        }
        let second = obs.at.timestamp();
        match unit {
            Unit::Broadcast(id) => {
                let Some(b) = self.broadcasts.iter_mut().find(|b| b.id == id) else {
                    return;
                };
                move_one(&mut b.counts, from.as_deref(), obs.to.as_deref());
                if finished_status(obs.to.as_deref()) && !finished_status(from.as_deref()) {
                    *self
                        .finished
                        .entry(id)
                        .or_default()
                        .entry(second)
                        .or_default() += 1;
                }
            }
            Unit::Campaign(id) => {
                let Some(c) = self.campaigns.iter_mut().find(|c| c.id == id) else {
                    return;
                };
                move_one(&mut c.queue_counts, from.as_deref(), obs.to.as_deref());
            }
            Unit::CampaignLogs => {
                let Some(c) = self.campaigns.iter_mut().find(|c| c.id == obs.parent) else {
                    return;
                };
                move_one(&mut c.log_counts, from.as_deref(), obs.to.as_deref());
                c.log_picked_up += i64::from(obs.picked_up) - i64::from(from_picked_up);
                c.log_picked_up = c.log_picked_up.max(0);
                if new_row {
                    *self
                        .created
                        .entry(obs.parent)
                        .or_default()
                        .entry(second)
                        .or_default() += 1;
                }
            }
        }
        self.seen.insert(
            key,
            Seen {
                unit,
                status: obs.to,
                picked_up: obs.picked_up,
            },
        );
    }

    /// Whether every unit has been counted once.
    pub fn counted(&self) -> bool {
        self.all_units()
            .iter()
            .all(|u| self.units.get(u).is_some_and(|s| s.counted_at.is_some()))
    }

    /// The database time of the oldest recount still in use.
    pub fn oldest_recount(&self) -> Option<DateTime<Utc>> {
        self.all_units()
            .iter()
            .filter_map(|u| self.units.get(u).and_then(|s| s.counted_at))
            .min()
    }

    /// The progress as of the last poll, series ending with the current minute.
    pub fn progress(&self) -> (Vec<BroadcastProgress>, Vec<CampaignProgress>) {
        let last = self.db_now.map_or(0, |t| t.timestamp());
        let mut broadcasts = self.broadcasts.clone();
        for b in &mut broadcasts {
            b.finished_per_minute = series(self.finished.get(&b.id), last);
        }
        let mut campaigns = self.campaigns.clone();
        for c in &mut campaigns {
            c.calls_per_minute = series(self.created.get(&c.id), last);
        }
        (broadcasts, campaigns)
    }
}

/// One row moved from `from` to `to`; a count never goes below zero (a recount
/// corrects an observation that guessed the old status wrong).
fn move_one(counts: &mut StatusCounts, from: Option<&str>, to: Option<&str>) {
    if let Some(from) = from
        && counts.get(from) > 0
    {
        counts.add(from, -1);
        if counts.get(from) == 0 {
            counts.0.remove(from);
        }
    }
    if let Some(to) = to {
        counts.add(to, 1);
    }
}

/// Counts by whole minutes before `now` (a second), the last [`MINUTES`] of them,
/// oldest first; a time after `now` counts as this minute.
fn series(seconds: Option<&BTreeMap<i64, u64>>, now: i64) -> PerMinute {
    let mut out = vec![0u64; MINUTES];
    if let Some(seconds) = seconds {
        for (&second, &n) in seconds.range(now - SERIES_SECONDS + 1..) {
            let ago = usize::try_from((now - second).max(0) / 60).unwrap_or(MINUTES);
            if ago < MINUTES {
                out[MINUTES - 1 - ago] += n;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
