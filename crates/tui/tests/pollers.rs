//! The background pollers against an in-memory `Store`, on tokio's paused clock:
//! results arrive, a down database is retried with backoff, `r` and the filter wake
//! them at once.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use launchdeck_core::actions::{AuditRecord, StatusChange, StatusRow, StatusTarget, WriteOutcome};
use launchdeck_core::cleanup::{CleanupWrite, CleanupWriteResult};
use launchdeck_core::domain::{
    Alert, Broadcast, CalendarAvailability, CalendarIntegration, CallLogEntry, CallSource,
    Campaign, InFlightSnapshot, LogFilter, PhoneNumber, RetellAgentRow, Scope, SipTrunk,
    StopControl,
};
use launchdeck_core::fixes::{
    AckResult, AlertState, CalendarTokenState, CalendarTokenWrite, NumberRow, TokenWriteResult,
};
use launchdeck_core::in_flight::{
    CallState, CallVersion, InFlightCheck, InFlightDelta, KnownInFlight,
};
use launchdeck_core::progress::{ProgressHead, ProgressHeads, Recount, RecountRequest};
use launchdeck_core::readiness::{
    BroadcastStats, BudgetSetting, ContactRelease, KeptFinished, ProviderSafetyHealth,
    ReconciliationHealth,
};
use launchdeck_core::stop::{LiftResult, StopRowState, StopWrite, StopWriteResult};
use launchdeck_core::test_broadcast::{TestCallWrite, TestRowInsert, TestTargetRow};
use launchdeck_store::{DbInfo, PlatformAnswer, Store, StoreError, StoreResult};
use launchdeck_tui::poll::Pollers;
use launchdeck_tui::{Msg, PollData, Source, TuiOptions};
use secrecy::SecretString;
use std::collections::BTreeMap;
use tokio::sync::mpsc;
use tokio::time::Instant;
use uuid::Uuid;

/// A store whose database is down for the first `down_for` liveness probes.
#[derive(Default)]
struct FakeStore {
    down_for: u32,
    probes: AtomicU32,
    filters: Mutex<Vec<LogFilter>>,
    /// Each in-flight read, in order: "full", "check" or "since".
    in_flight_reads: Mutex<Vec<&'static str>>,
}

/// The fake answers only what the pollers ask.
fn not_here(what: &str) -> StoreError {
    StoreError::Other(format!("the pollers' fake store has no {what}"))
}

impl FakeStore {
    fn read(&self, kind: &'static str) {
        if let Ok(mut reads) = self.in_flight_reads.lock() {
            reads.push(kind);
        }
    }
}

#[async_trait]
impl Store for FakeStore {
    async fn db_info(&self) -> StoreResult<DbInfo> {
        let n = self.probes.fetch_add(1, Ordering::SeqCst);
        if n < self.down_for {
            return Err(StoreError::Unreachable("connection refused".to_string()));
        }
        Ok(common::db_info())
    }
    async fn missing_schema(&self) -> StoreResult<Vec<String>> {
        Ok(Vec::new())
    }
    async fn calls_in_flight(&self, _: &Scope) -> StoreResult<InFlightSnapshot> {
        self.read("full");
        Ok(common::snapshot())
    }
    async fn in_flight_since(
        &self,
        _: &Scope,
        _since: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<InFlightDelta> {
        self.read("since");
        let snapshot = common::snapshot();
        Ok(InFlightDelta {
            db_now: snapshot.db_now,
            calls: Vec::new(),
            manual_required_jobs: snapshot.manual_required_jobs,
        })
    }
    async fn call_log_window(
        &self,
        _: &Scope,
        filter: &LogFilter,
        limit: u32,
    ) -> StoreResult<Vec<CallLogEntry>> {
        if let Ok(mut filters) = self.filters.lock() {
            filters.push(filter.clone());
        }
        let mut entries = common::log_entries();
        entries.truncate(limit as usize);
        Ok(entries)
    }
    async fn in_flight_check(&self, _: &Scope, _: &KnownInFlight) -> StoreResult<InFlightCheck> {
        self.read("check");
        let snapshot = common::snapshot();
        Ok(InFlightCheck {
            db_now: snapshot.db_now,
            present: snapshot
                .calls
                .iter()
                .map(|c| CallVersion {
                    source: c.source,
                    id: c.id,
                    state: c.state.clone(),
                    since: c.since,
                })
                .collect(),
            ages: launchdeck_core::in_flight::AgeBounds::from(snapshot.db_now),
            unchanged: Vec::new(),
            open_claims: Some(snapshot.open_claims),
            held_queue_ids: Vec::new(),
            manual_required_jobs: snapshot.manual_required_jobs,
        })
    }
    async fn call_states(
        &self,
        _: &Scope,
        ids: &[(CallSource, Uuid)],
    ) -> StoreResult<Vec<CallState>> {
        panic!("nothing moved, nothing to fetch: {ids:?}")
    }
    async fn progress_heads(
        &self,
        _: &Scope,
        _: Option<chrono::DateTime<chrono::Utc>>,
    ) -> StoreResult<ProgressHeads> {
        let head = |id, name: &str, status: &str| ProgressHead {
            id,
            name: name.to_string(),
            status: status.to_string(),
            agent_id: None,
            marker: String::new(),
        };
        Ok(ProgressHeads {
            db_now: common::snapshot().db_now,
            broadcasts: common::broadcasts()
                .iter()
                .map(|b| head(b.id, &b.name, &b.status))
                .collect(),
            campaigns: common::campaigns()
                .iter()
                .map(|c| head(c.id, &c.name, &c.status))
                .collect(),
            new_logs: Vec::new(),
        })
    }
    async fn progress_recount(&self, _: &RecountRequest) -> StoreResult<Recount> {
        Ok(Recount {
            db_now: common::snapshot().db_now,
            broadcast_counts: common::broadcasts()
                .into_iter()
                .map(|b| (b.id, b.counts))
                .collect(),
            campaign_counts: common::campaigns()
                .into_iter()
                .map(|c| (c.id, c.queue_counts))
                .collect(),
            campaign_logs: Some(
                common::campaigns()
                    .into_iter()
                    .map(|c| (c.id, (c.log_counts, c.log_picked_up)))
                    .collect(),
            ),
            ..Recount::default()
        })
    }
    async fn unacknowledged_alerts(&self, _: &Scope, _: u32) -> StoreResult<Vec<Alert>> {
        Err(StoreError::SchemaDrift(
            "system_alerts.acknowledged".to_string(),
        ))
    }
    async fn phone_numbers(&self, _: &Scope) -> StoreResult<Vec<PhoneNumber>> {
        Ok(Vec::new())
    }
    async fn sip_trunks(&self, _: &Scope) -> StoreResult<Vec<SipTrunk>> {
        Ok(Vec::new())
    }
    async fn retell_agents(&self, _: &Scope) -> StoreResult<Vec<RetellAgentRow>> {
        Ok(Vec::new())
    }
    async fn calendar_integrations(&self, _: &Scope) -> StoreResult<Vec<CalendarIntegration>> {
        Ok(Vec::new())
    }
    async fn calendar_availability(&self, _: &Scope) -> StoreResult<Vec<CalendarAvailability>> {
        Ok(Vec::new())
    }
    async fn broadcasts(&self, _: &Scope) -> StoreResult<Vec<Broadcast>> {
        Ok(Vec::new())
    }
    async fn campaigns(&self, _: &Scope) -> StoreResult<Vec<Campaign>> {
        Ok(Vec::new())
    }
    async fn active_stops(&self, _: &Scope) -> StoreResult<Vec<StopControl>> {
        Ok(Vec::new())
    }
    // What the pollers never ask.
    async fn missing_platform_functions(&self) -> StoreResult<PlatformAnswer<Vec<String>>> {
        Err(not_here("missing_platform_functions"))
    }
    async fn provider_safety_health(&self) -> StoreResult<PlatformAnswer<ProviderSafetyHealth>> {
        Err(not_here("provider_safety_health"))
    }
    async fn reconciliation_health(
        &self,
    ) -> StoreResult<PlatformAnswer<Option<ReconciliationHealth>>> {
        Err(not_here("reconciliation_health"))
    }
    async fn contact_release_status(
        &self,
        _: Uuid,
        _: Uuid,
    ) -> StoreResult<PlatformAnswer<ContactRelease>> {
        Err(not_here("contact_release_status"))
    }
    async fn contact_release_marker(&self, _: Uuid) -> StoreResult<PlatformAnswer<String>> {
        Err(not_here("contact_release_marker"))
    }
    async fn broadcast_readiness_stats(
        &self,
        _: &Scope,
        _: &BTreeMap<Uuid, KeptFinished>,
    ) -> StoreResult<BTreeMap<Uuid, BroadcastStats>> {
        Err(not_here("broadcast_readiness_stats"))
    }
    async fn budget_settings(&self, _: &Scope) -> StoreResult<Vec<BudgetSetting>> {
        Err(not_here("budget_settings"))
    }
    async fn retell_max_concurrent(&self, _: &Scope) -> StoreResult<BTreeMap<Uuid, i32>> {
        Err(not_here("retell_max_concurrent"))
    }
    async fn calendar_access_token(&self, _: Uuid) -> StoreResult<Option<SecretString>> {
        Err(not_here("calendar_access_token"))
    }
    async fn status_row(&self, _: StatusTarget, _: &Scope) -> StoreResult<Option<StatusRow>> {
        Err(not_here("status_row"))
    }
    async fn change_status(&self, _: &StatusChange) -> StoreResult<WriteOutcome> {
        Err(not_here("change_status"))
    }
    async fn apply_cleanup(&self, _: &[CleanupWrite]) -> StoreResult<Vec<CleanupWriteResult>> {
        Err(not_here("apply_cleanup"))
    }
    async fn prepare_audit(&self) -> StoreResult<()> {
        Err(not_here("prepare_audit"))
    }
    async fn append_audit(&self, _: &[AuditRecord]) -> StoreResult<()> {
        Err(not_here("append_audit"))
    }
    async fn audit_records(&self, _: u32) -> StoreResult<Vec<AuditRecord>> {
        Err(not_here("audit_records"))
    }
    async fn calendar_token_state(&self, _: Uuid) -> StoreResult<Option<CalendarTokenState>> {
        Err(not_here("calendar_token_state"))
    }
    async fn apply_calendar_tokens(
        &self,
        _: &[CalendarTokenWrite],
    ) -> StoreResult<Vec<TokenWriteResult>> {
        Err(not_here("apply_calendar_tokens"))
    }
    async fn alerts_by_id(&self, _: &[Uuid], _: &Scope) -> StoreResult<Vec<AlertState>> {
        Err(not_here("alerts_by_id"))
    }
    async fn acknowledge_alerts(&self, _: &[Uuid]) -> StoreResult<Vec<AckResult>> {
        Err(not_here("acknowledge_alerts"))
    }
    async fn apply_stop(&self, _: &StopWrite) -> StoreResult<StopWriteResult> {
        Err(not_here("apply_stop"))
    }
    async fn stop_row(&self, _: Uuid, _: &Scope) -> StoreResult<Option<StopRowState>> {
        Err(not_here("stop_row"))
    }
    async fn lift_stop(&self, _: Uuid) -> StoreResult<LiftResult> {
        Err(not_here("lift_stop"))
    }
    async fn phone_number_row(&self, _: &str, _: &Scope) -> StoreResult<Option<NumberRow>> {
        Err(not_here("phone_number_row"))
    }
    async fn test_target(&self, _: StatusTarget, _: &Scope) -> StoreResult<Option<TestTargetRow>> {
        Err(not_here("test_target"))
    }
    async fn ensure_test_broadcast(&self, _: Uuid, _: &str) -> StoreResult<(Uuid, bool)> {
        Err(not_here("ensure_test_broadcast"))
    }
    async fn insert_test_row(&self, _: &TestRowInsert) -> StoreResult<Uuid> {
        Err(not_here("insert_test_row"))
    }
    async fn write_test_call(&self, _: &TestCallWrite) -> StoreResult<bool> {
        Err(not_here("write_test_call"))
    }
}

fn source_of(msg: &Msg) -> Option<Source> {
    match msg {
        Msg::Data(data) => Some(data.source()),
        Msg::PollFailed { source, .. } => Some(*source),
        _ => None,
    }
}

/// The next message of `source`, with the paused clock's time it arrived.
async fn next_of(rx: &mut mpsc::Receiver<Msg>, source: Source) -> (Msg, Instant) {
    let wait = async {
        loop {
            let msg = rx.recv().await.expect("pollers are running");
            if source_of(&msg) == Some(source) {
                return (msg, Instant::now());
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), wait)
        .await
        .expect("a message within two (virtual) minutes")
}

#[tokio::test(start_paused = true)]
async fn every_source_reports_and_errors_are_reported_not_fatal() {
    let store = Arc::new(FakeStore::default());
    let (tx, mut rx) = mpsc::channel(64);
    let pollers = Pollers::spawn(store, &TuiOptions::default(), tx);
    pollers.show_logs(true);
    let (live, _) = next_of(&mut rx, Source::Live).await;
    match live {
        Msg::Data(PollData::Live(live)) => assert_eq!(live.rows.len(), 9),
        other => panic!("expected calls in flight, got {other:?}"),
    }
    let (logs, _) = next_of(&mut rx, Source::Logs).await;
    assert!(matches!(logs, Msg::Data(PollData::Logs(l)) if l.entries.len() == 10));
    let (progress, _) = next_of(&mut rx, Source::Progress).await;
    assert!(matches!(progress, Msg::Data(PollData::Progress(p)) if p.items.len() == 4));
    let (alerts, _) = next_of(&mut rx, Source::Alerts).await;
    match alerts {
        Msg::PollFailed { error, .. } => {
            assert!(!error.transient);
            assert!(
                error.message.contains("system_alerts.acknowledged"),
                "{}",
                error.message
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    // A non-transient failure keeps its normal interval and keeps trying.
    let (again, _) = next_of(&mut rx, Source::Alerts).await;
    assert!(matches!(again, Msg::PollFailed { .. }));
}

#[tokio::test(start_paused = true)]
async fn a_down_database_is_retried_with_growing_waits_until_it_answers() {
    let store = Arc::new(FakeStore {
        down_for: 4,
        ..FakeStore::default()
    });
    let (tx, mut rx) = mpsc::channel(64);
    let _pollers = Pollers::spawn(store.clone(), &TuiOptions::default(), tx);
    let mut times = Vec::new();
    for _ in 0..4 {
        let (msg, at) = next_of(&mut rx, Source::Live).await;
        match msg {
            Msg::PollFailed { error, .. } => assert!(error.transient),
            other => panic!("expected a failure, got {other:?}"),
        }
        times.push(at);
    }
    let (recovered, at) = next_of(&mut rx, Source::Live).await;
    assert!(matches!(recovered, Msg::Data(PollData::Live(_))));
    times.push(at);
    let gaps: Vec<u64> = times.windows(2).map(|w| (w[1] - w[0]).as_secs()).collect();
    // 1 s, 2 s, 4 s, then capped at 4 s so a returning database is seen within 5 s
    assert_eq!(gaps, [1, 2, 4, 4]);
    assert_eq!(store.probes.load(Ordering::SeqCst), 5);
}

#[tokio::test(start_paused = true)]
async fn poll_now_and_a_new_filter_wake_the_pollers_at_once() {
    let store = Arc::new(FakeStore::default());
    let (tx, mut rx) = mpsc::channel(64);
    let options = TuiOptions {
        poll: launchdeck_tui::PollIntervals {
            live: Duration::from_secs(60),
            full_read: Duration::from_secs(60),
            logs: Duration::from_secs(60),
            progress: Duration::from_secs(60),
            alerts: Duration::from_secs(60),
            readiness: Duration::from_secs(60),
        },
        ..TuiOptions::default()
    };
    let pollers = Pollers::spawn(store.clone(), &options, tx);
    pollers.show_logs(true);
    let (_, first) = next_of(&mut rx, Source::Live).await;

    pollers.poll_now();
    let (_, second) = next_of(&mut rx, Source::Live).await;
    assert!(
        second - first < Duration::from_secs(60),
        "woken before its interval"
    );

    let filter = LogFilter {
        text: Some("no_answer".to_string()),
        ..LogFilter::default()
    };
    let before = Instant::now();
    pollers.set_log_filter(filter.clone());
    // The poller woken by `r` may answer once more first; the filtered query follows.
    loop {
        let (msg, at) = next_of(&mut rx, Source::Logs).await;
        let asked = store.filters.lock().ok().and_then(|f| f.last().cloned());
        if asked == Some(filter.clone()) {
            assert!(matches!(msg, Msg::Data(PollData::Logs(_))));
            assert!(at - before < Duration::from_secs(60), "woken by the filter");
            break;
        }
    }
}

fn log_reads(store: &FakeStore) -> usize {
    store.filters.lock().map(|f| f.len()).unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn the_call_log_is_read_only_while_the_logs_screen_is_shown() {
    let store = Arc::new(FakeStore::default());
    let (tx, mut rx) = mpsc::channel(256);
    let pollers = Pollers::spawn(store.clone(), &TuiOptions::default(), tx);
    // Half a (virtual) minute on another screen: the other sources poll, the log not.
    for _ in 0..30 {
        next_of(&mut rx, Source::Live).await;
    }
    assert_eq!(log_reads(&store), 0, "the call log was read while hidden");

    let shown_at = Instant::now();
    pollers.show_logs(true);
    let (logs, at) = next_of(&mut rx, Source::Logs).await;
    assert!(matches!(logs, Msg::Data(PollData::Logs(_))));
    assert_eq!(at, shown_at, "read at once when shown");
    next_of(&mut rx, Source::Logs).await; // and again at its interval

    pollers.show_logs(false);
    let hidden_reads = log_reads(&store);
    for _ in 0..30 {
        next_of(&mut rx, Source::Live).await;
    }
    // At most the poll that was already waiting on its interval.
    assert!(log_reads(&store) <= hidden_reads + 1, "polled while hidden");
}

#[tokio::test(start_paused = true)]
async fn calls_in_flight_are_read_in_full_at_start_and_on_r_and_checked_every_interval() {
    let store = Arc::new(FakeStore::default());
    let (tx, mut rx) = mpsc::channel(256);
    let pollers = Pollers::spawn(store.clone(), &TuiOptions::default(), tx);
    for _ in 0..11 {
        match next_of(&mut rx, Source::Live).await {
            (Msg::Data(PollData::Live(live)), _) => assert_eq!(live.rows.len(), 9),
            (other, _) => panic!("expected calls in flight, got {other:?}"),
        }
    }
    let reads = store
        .in_flight_reads
        .lock()
        .map(|r| r.clone())
        .unwrap_or_default();
    // Live every second: in full at the start, a check every 5 s, deltas between.
    let at = |kind: &str| -> Vec<usize> {
        reads
            .iter()
            .enumerate()
            .filter(|(_, k)| **k == kind)
            .map(|(i, _)| i)
            .collect()
    };
    assert_eq!(at("full"), [0], "{reads:?}");
    assert_eq!(at("check"), [5, 10], "{reads:?}");
    assert_eq!(at("since").len(), 8, "{reads:?}");

    pollers.poll_now();
    next_of(&mut rx, Source::Live).await;
    let last = store
        .in_flight_reads
        .lock()
        .ok()
        .and_then(|r| r.last().copied());
    assert_eq!(last, Some("full"), "r reads everything");
}
