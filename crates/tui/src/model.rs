//! The data the screens show, prepared once when a poll result arrives: text sanitised,
//! calls classified with the snapshot's database clock and sorted, figures computed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use launchdeck_core::domain::{
    Alert, BroadcastProgress, CallLogEntry, CallSource, CampaignProgress, InFlightCall,
    InFlightSnapshot, OpenClaim, StopControl,
};
use launchdeck_core::rates::{Figures, broadcast_figures, campaign_figures};
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_core::stuck::{
    StuckThresholds, Stuckness, claim_is_stuck, classify, in_flight_order,
};
use launchdeck_store::{DbInfo, ReplicaInfo};
use uuid::Uuid;

/// Identifies a row across polls.
pub type RowKey = (CallSource, Uuid);

/// One call in flight with what the stuck rules say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRow {
    pub call: InFlightCall,
    pub stuckness: Stuckness,
}

impl CallRow {
    pub fn key(&self) -> RowKey {
        (self.call.source, self.call.id)
    }
}

/// Counts of one source's calls in flight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceCounts {
    pub in_flight: usize,
    pub stuck: usize,
    pub ask_provider: usize,
}

/// The database round trip and everything in flight, from one live poll.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveData {
    pub received: Instant,
    pub round_trip: Duration,
    /// With a read replica: where the reads went and why.
    pub replica: Option<ReplicaInfo>,
    pub db_now: DateTime<Utc>,
    /// In `stuck::in_flight_order`: flagged rows first, then oldest first.
    pub rows: Vec<CallRow>,
    pub open_claims: Vec<OpenClaim>,
    pub stuck_claims: usize,
    pub manual_required_jobs: i64,
}

impl LiveData {
    pub fn new(
        received: Instant,
        info: &DbInfo,
        snapshot: InFlightSnapshot,
        thresholds: &StuckThresholds,
    ) -> LiveData {
        let db_now = snapshot.db_now;
        let mut rows: Vec<CallRow> = snapshot
            .calls
            .into_iter()
            .map(|call| {
                let stuckness = classify(&call, db_now, thresholds);
                CallRow {
                    call: sanitize_call(call),
                    stuckness,
                }
            })
            .collect();
        rows.sort_by_key(|r| in_flight_order(&r.call, r.stuckness));
        let stuck_claims = snapshot
            .open_claims
            .iter()
            .filter(|c| claim_is_stuck(c, db_now, thresholds))
            .count();
        LiveData {
            received,
            round_trip: info.round_trip,
            replica: info.replica.clone(),
            db_now,
            rows,
            open_claims: snapshot.open_claims,
            stuck_claims,
            manual_required_jobs: snapshot.manual_required_jobs,
        }
    }

    /// The database clock now, estimated from the snapshot's clock and the time since
    /// it arrived.
    pub fn db_time_at(&self, now: Instant) -> DateTime<Utc> {
        let elapsed = now.saturating_duration_since(self.received);
        self.db_now + chrono::Duration::from_std(elapsed).unwrap_or_default()
    }

    pub fn counts(&self, source: CallSource) -> SourceCounts {
        let mut counts = SourceCounts::default();
        for row in self.rows.iter().filter(|r| r.call.source == source) {
            counts.in_flight += 1;
            match row.stuckness {
                Stuckness::Stuck => counts.stuck += 1,
                Stuckness::AskProvider => counts.ask_provider += 1,
                Stuckness::Live => {}
            }
        }
        counts
    }

    pub fn flagged_count(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.stuckness.is_flagged())
            .count()
    }
}

fn clean(text: &mut String) {
    if text.chars().any(|c| c.is_control()) || text.chars().count() > 200 {
        *text = sanitize_provider_text(text);
    }
}

fn clean_opt(text: &mut Option<String>) {
    if let Some(t) = text {
        clean(t);
    }
}

fn sanitize_call(mut call: InFlightCall) -> InFlightCall {
    clean(&mut call.state);
    clean(&mut call.phone);
    clean_opt(&mut call.provider_call_id);
    clean_opt(&mut call.parent_name);
    call
}

fn sanitize_log(mut e: CallLogEntry) -> CallLogEntry {
    clean(&mut e.status);
    clean(&mut e.phone);
    for field in [
        &mut e.outcome,
        &mut e.notes,
        &mut e.caller_id,
        &mut e.provider,
        &mut e.provider_call_id,
        &mut e.parent_name,
        &mut e.agent_id,
        &mut e.call_summary,
    ] {
        clean_opt(field);
    }
    e
}

fn sanitize_alert(mut a: Alert) -> Alert {
    clean(&mut a.alert_type);
    clean(&mut a.severity);
    clean_opt(&mut a.title);
    clean(&mut a.message);
    a
}

/// The newest call-log rows, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct LogsData {
    pub received: Instant,
    pub entries: Vec<CallLogEntry>,
}

impl LogsData {
    pub fn new(received: Instant, entries: Vec<CallLogEntry>) -> LogsData {
        LogsData {
            received,
            entries: entries.into_iter().map(sanitize_log).collect(),
        }
    }

    /// The entries that match the local filter text (empty text: all of them).
    pub fn matching<'a>(&'a self, text: &str) -> Vec<&'a CallLogEntry> {
        let needle = text.trim().to_lowercase();
        self.entries
            .iter()
            .filter(|e| needle.is_empty() || log_matches(e, &needle))
            .collect()
    }
}

/// The local twin of the store's `LogFilter.text`: status, outcome, notes, provider call
/// id, the broadcast/campaign name, or the last digits of the number.
fn log_matches(entry: &CallLogEntry, needle: &str) -> bool {
    let texts = [
        Some(entry.status.as_str()),
        entry.outcome.as_deref(),
        entry.notes.as_deref(),
        entry.provider_call_id.as_deref(),
        entry.parent_name.as_deref(),
    ];
    if texts
        .into_iter()
        .flatten()
        .any(|t| t.to_lowercase().contains(needle))
    {
        return true;
    }
    let is_digits = needle.bytes().all(|b| b.is_ascii_digit());
    is_digits && digits_of(&entry.phone).ends_with(needle)
}

fn digits_of(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// One broadcast or campaign on the Overview.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressItem {
    pub kind: ParentKind,
    pub id: Uuid,
    pub name: String,
    pub status: String,
    pub figures: Figures,
    /// Finished (broadcast) or created (campaign) calls per minute, oldest first.
    pub per_minute: Vec<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentKind {
    Broadcast,
    Campaign,
}

impl ParentKind {
    pub fn label(self) -> &'static str {
        match self {
            ParentKind::Broadcast => "broadcast",
            ParentKind::Campaign => "campaign",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProgressData {
    pub received: Instant,
    /// Broadcasts first, then campaigns, each in the store's order.
    pub items: Vec<ProgressItem>,
}

impl ProgressData {
    pub fn new(
        received: Instant,
        broadcasts: Vec<BroadcastProgress>,
        campaigns: Vec<CampaignProgress>,
    ) -> ProgressData {
        let broadcasts = broadcasts.into_iter().map(|b| ProgressItem {
            kind: ParentKind::Broadcast,
            id: b.id,
            name: sanitize_provider_text(&b.name),
            status: sanitize_provider_text(&b.status),
            figures: broadcast_figures(&b),
            per_minute: b.finished_per_minute,
        });
        let campaigns = campaigns.into_iter().map(|c| ProgressItem {
            kind: ParentKind::Campaign,
            id: c.id,
            name: sanitize_provider_text(&c.name),
            status: sanitize_provider_text(&c.status),
            figures: campaign_figures(&c),
            per_minute: c.calls_per_minute,
        });
        ProgressData {
            received,
            items: broadcasts.chain(campaigns).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertsData {
    pub received: Instant,
    pub alerts: Vec<Alert>,
    /// Active contact stops (an emergency stop shows in words on every screen).
    pub stops: Vec<StopControl>,
}

impl AlertsData {
    pub fn new(received: Instant, alerts: Vec<Alert>) -> AlertsData {
        AlertsData {
            received,
            alerts: alerts.into_iter().map(sanitize_alert).collect(),
            stops: Vec::new(),
        }
    }

    /// With the active stop rows (their reasons made terminal-safe).
    pub fn with_stops(mut self, stops: Vec<StopControl>) -> AlertsData {
        self.stops = stops
            .into_iter()
            .map(|mut stop| {
                stop.reason = sanitize_provider_text(&stop.reason);
                stop.scope_type = sanitize_provider_text(&stop.scope_type);
                stop
            })
            .collect();
        self
    }
}

/// The newest good data of every source. Cheap to clone (freezing keeps a copy).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Data {
    pub live: Option<Arc<LiveData>>,
    pub logs: Option<Arc<LogsData>>,
    pub progress: Option<Arc<ProgressData>>,
    pub alerts: Option<Arc<AlertsData>>,
}

impl Data {
    /// When the newest of the sources arrived.
    pub fn newest_received(&self) -> Option<Instant> {
        [
            self.live.as_ref().map(|d| d.received),
            self.logs.as_ref().map(|d| d.received),
            self.progress.as_ref().map(|d| d.received),
            self.alerts.as_ref().map(|d| d.received),
        ]
        .into_iter()
        .flatten()
        .max()
    }
}
