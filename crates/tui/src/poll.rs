//! Background pollers: one tokio task per source, each asking the `Store` on its own
//! interval and sending prepared results to the UI loop. A failing source backs off
//! exponentially and keeps trying; nothing here ever blocks the UI. The readiness
//! checks run on their own task ([`ReadinessPoller`]), area by area.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use launchdeck_core::domain::{InFlightSnapshot, LogFilter, Scope};
use launchdeck_core::in_flight::{InFlightTracker, NextRead};
use launchdeck_core::progress::ProgressTracker;
use launchdeck_core::readiness::Focus;
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_core::stuck::StuckThresholds;
use launchdeck_ops::{AreaChecks, Gatherer};
use launchdeck_store::{Store, StoreError};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::app::{Msg, PollData, PollError, Source};
use crate::model::{AlertsData, LiveData, LogsData, ProgressData};
use crate::options::TuiOptions;
use crate::readiness::AreaResult;

/// A store call that has not answered by then counts as a timeout.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);
/// How many unacknowledged alerts the Overview asks for.
const ALERT_LIMIT: u32 = 50;
/// The liveness probe backs off to at most this, so a database that comes back is
/// noticed within 5 s (quality.md); the others then poll at once.
const LIVE_MAX_BACKOFF: Duration = Duration::from_secs(4);
const MAX_BACKOFF: Duration = Duration::from_secs(15);
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// Exponential backoff: 1 s, 2 s, 4 s … capped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Backoff {
        Backoff {
            first,
            max,
            failures: 0,
        }
    }

    /// The wait after one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let factor = 2u32.saturating_pow(self.failures.min(16));
        self.failures = self.failures.saturating_add(1);
        self.first.saturating_mul(factor).min(self.max)
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// The running pollers. Dropping this stops them.
pub struct Pollers {
    tasks: Vec<JoinHandle<()>>,
    wake: Vec<(Source, watch::Sender<u64>)>,
    filter: watch::Sender<LogFilter>,
    /// Whether the Logs screen is on screen: the call log is read only then.
    logs_shown: watch::Sender<bool>,
    /// Set by `r` and after actions: the next live poll reads every call in flight.
    full_read: Arc<AtomicBool>,
    /// The progress counts, moved by the live poller's observations, recounted by
    /// the progress poller.
    progress: Arc<Mutex<ProgressTracker>>,
}

impl Pollers {
    /// Starts one task per source; results arrive on `tx`.
    pub fn spawn(store: Arc<dyn Store>, options: &TuiOptions, tx: mpsc::Sender<Msg>) -> Pollers {
        let (filter, filter_rx) = watch::channel(LogFilter::default());
        let (logs_shown, logs_shown_rx) = watch::channel(false);
        let mut pollers = Pollers {
            tasks: Vec::new(),
            wake: Vec::new(),
            filter,
            logs_shown,
            full_read: Arc::new(AtomicBool::new(false)),
            progress: Arc::new(Mutex::new(ProgressTracker::new())),
        };
        let scope = options.scope;
        let intervals = options.poll;
        let thresholds = options.thresholds;

        let live = LiveSource {
            store: store.clone(),
            scope,
            thresholds,
            tracker: Arc::new(Mutex::new(InFlightTracker::new(intervals.full_read))),
            full_read: pollers.full_read.clone(),
            progress: pollers.progress.clone(),
        };
        pollers.start(
            Source::Live,
            intervals.live,
            LIVE_MAX_BACKOFF,
            None,
            &tx,
            move || fetch_live(live.clone()),
        );
        let s = store.clone();
        let limit = options.log_window;
        let shown = Some(logs_shown_rx);
        pollers.start(
            Source::Logs,
            intervals.logs,
            MAX_BACKOFF,
            shown,
            &tx,
            move || {
                let filter = filter_rx.borrow().clone();
                fetch_logs(s.clone(), scope, filter, limit)
            },
        );
        let progress = ProgressSource {
            store: store.clone(),
            scope,
            tracker: pollers.progress.clone(),
        };
        pollers.start(
            Source::Progress,
            intervals.progress,
            MAX_BACKOFF,
            None,
            &tx,
            move || fetch_progress(progress.clone()),
        );
        let s = store;
        pollers.start(
            Source::Alerts,
            intervals.alerts,
            MAX_BACKOFF,
            None,
            &tx,
            move || fetch_alerts(s.clone(), scope),
        );
        pollers
    }

    fn start<F, Fut>(
        &mut self,
        source: Source,
        interval: Duration,
        max_backoff: Duration,
        shown: Option<watch::Receiver<bool>>,
        tx: &mpsc::Sender<Msg>,
        fetch: F,
    ) where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<PollData, StoreError>> + Send + 'static,
    {
        let (wake_tx, wake_rx) = watch::channel(0u64);
        let schedule = Schedule {
            interval,
            backoff: Backoff::new(FIRST_BACKOFF, max_backoff),
        };
        let wait = Wait {
            wake: wake_rx,
            shown,
        };
        let task = tokio::spawn(poll_loop(source, schedule, wait, tx.clone(), fetch));
        self.tasks.push(task);
        self.wake.push((source, wake_tx));
    }

    /// Wakes every poller now (`r`, and after an action); the calls in flight are
    /// read in full and the progress recounted.
    pub fn poll_now(&self) {
        self.full_read.store(true, Ordering::SeqCst);
        lock(&self.progress).recount_all();
        for (_, wake) in &self.wake {
            wake.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// The Logs screen came on screen (true) or went (false). The call log is the
    /// costliest read and only that screen shows it, so it is read only while shown,
    /// and at once when it comes back.
    pub fn show_logs(&self, shown: bool) {
        self.logs_shown
            .send_if_modified(|now| std::mem::replace(now, shown) != shown);
    }

    /// Queries the call log with a new filter, now.
    pub fn set_log_filter(&self, filter: LogFilter) {
        self.filter.send_replace(filter);
        for (source, wake) in &self.wake {
            if *source == Source::Logs {
                wake.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }
}

impl Drop for Pollers {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

struct Schedule {
    interval: Duration,
    backoff: Backoff,
}

impl Schedule {
    /// The wait before the next poll after this result.
    fn after<T>(&mut self, result: &Result<T, StoreError>) -> Duration {
        match result {
            Err(e) if e.is_transient() => self.backoff.next_delay(),
            Ok(_) | Err(_) => {
                self.backoff.reset();
                self.interval
            }
        }
    }
}

/// What a poller waits on between polls.
struct Wait {
    /// Bumped to poll now.
    wake: watch::Receiver<u64>,
    /// When set, the poller polls only while this is true.
    shown: Option<watch::Receiver<bool>>,
}

async fn poll_loop<F, Fut>(
    source: Source,
    mut schedule: Schedule,
    mut wait: Wait,
    tx: mpsc::Sender<Msg>,
    mut fetch: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<PollData, StoreError>>,
{
    loop {
        if let Some(shown) = wait.shown.as_mut()
            && shown.wait_for(|shown| *shown).await.is_err()
        {
            return; // the pollers have gone
        }
        let result = match tokio::time::timeout(QUERY_TIMEOUT, fetch()).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Timeout(format!(
                "no answer within {} s",
                QUERY_TIMEOUT.as_secs()
            ))),
        };
        let delay = schedule.after(&result);
        if tx.send(message(source, result)).await.is_err() {
            return; // the UI has gone
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            changed = wait.wake.changed() => if changed.is_err() { return },
        }
    }
}

fn message(source: Source, result: Result<PollData, StoreError>) -> Msg {
    match result {
        Ok(data) => Msg::Data(data),
        Err(e) => {
            tracing::warn!(source = source.label(), error = %e, "poll failed");
            Msg::PollFailed {
                source,
                at: Utc::now(),
                error: PollError {
                    message: sanitize_provider_text(&e.to_string()),
                    transient: e.is_transient(),
                },
            }
        }
    }
}

/// The trackers hold no invariant a panicking holder could break half-way.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The live poller's inputs and the calls in flight it has seen.
#[derive(Clone)]
struct LiveSource {
    store: Arc<dyn Store>,
    scope: Scope,
    thresholds: StuckThresholds,
    tracker: Arc<Mutex<InFlightTracker>>,
    full_read: Arc<AtomicBool>,
    progress: Arc<Mutex<ProgressTracker>>,
}

/// Every call in flight at the tracker's pace (see `launchdeck_core::in_flight`);
/// what moved goes to the progress counts.
async fn read_in_flight(live: &LiveSource) -> Result<InFlightSnapshot, StoreError> {
    let now = tokio::time::Instant::now().into_std();
    let (next, asked) = {
        let mut tracker = lock(&live.tracker);
        let asked = live.full_read.swap(false, Ordering::SeqCst);
        if asked {
            tracker.force_full();
        }
        (tracker.next_read(now), asked)
    };
    let snapshot = match next {
        NextRead::Full => {
            let snapshot = live.store.calls_in_flight(&live.scope).await?;
            if !asked {
                // After a gap the moves in between are unknown: count again.
                lock(&live.progress).recount_all();
            }
            lock(&live.tracker).apply_full(snapshot, now).clone()
        }
        NextRead::Check => {
            let known = lock(&live.tracker).known();
            let check = live.store.in_flight_check(&live.scope, &known).await?;
            let wanted = lock(&live.tracker).to_fetch(&check);
            let fetched = if wanted.is_empty() {
                Vec::new()
            } else {
                live.store.call_states(&live.scope, &wanted).await?
            };
            lock(&live.tracker).apply_check(check, fetched, now).clone()
        }
        NextRead::Since(since) => {
            let delta = live.store.in_flight_since(&live.scope, since).await?;
            lock(&live.tracker).apply_delta(delta, now).clone()
        }
    };
    let moves = lock(&live.tracker).take_observations();
    let mut progress = lock(&live.progress);
    for observation in moves {
        progress.observe(observation);
    }
    Ok(snapshot)
}

async fn fetch_live(live: LiveSource) -> Result<PollData, StoreError> {
    let info = live.store.db_info().await?;
    let snapshot = read_in_flight(&live).await?;
    let thresholds = live.thresholds;
    // Classifying and sorting thousands of rows is CPU work: keep it off the UI task.
    let received = Instant::now();
    let prepare = move || LiveData::new(received, &info, snapshot, &thresholds);
    let live = tokio::task::spawn_blocking(prepare)
        .await
        .map_err(|e| StoreError::Other(format!("preparing calls in flight failed: {e}")))?;
    Ok(PollData::Live(live))
}

async fn fetch_logs(
    store: Arc<dyn Store>,
    scope: Scope,
    filter: LogFilter,
    limit: u32,
) -> Result<PollData, StoreError> {
    let entries = store.call_log_window(&scope, &filter, limit).await?;
    Ok(PollData::Logs(LogsData::new(Instant::now(), entries)))
}

/// The progress poller's inputs and the counts it keeps.
#[derive(Clone)]
struct ProgressSource {
    store: Arc<dyn Store>,
    scope: Scope,
    tracker: Arc<Mutex<ProgressTracker>>,
}

/// The parents and new call logs every poll; the recounts the tracker plans.
async fn fetch_progress(p: ProgressSource) -> Result<PollData, StoreError> {
    let now = tokio::time::Instant::now().into_std();
    let since = lock(&p.tracker).logs_since();
    let heads = p.store.progress_heads(&p.scope, since).await?;
    let request = {
        let mut tracker = lock(&p.tracker);
        tracker.apply_heads(heads);
        tracker.plan(now)
    };
    if !request.is_empty() {
        let started = Instant::now();
        let recount = p.store.progress_recount(&request).await?;
        lock(&p.tracker).apply_recount(&request, recount, started.elapsed(), now);
    }
    let (broadcasts, campaigns) = lock(&p.tracker).progress();
    Ok(PollData::Progress(ProgressData::new(
        Instant::now(),
        broadcasts,
        campaigns,
    )))
}

async fn fetch_alerts(store: Arc<dyn Store>, scope: Scope) -> Result<PollData, StoreError> {
    let alerts = store.unacknowledged_alerts(&scope, ALERT_LIMIT).await?;
    // One indexed read (the partial index on active rows): the header's stop badge.
    let stops = store.active_stops(&scope).await?;
    Ok(PollData::Alerts(
        AlertsData::new(Instant::now(), alerts).with_stops(stops),
    ))
}

/// Runs every readiness check at start, every `interval` after a run ends, and at once
/// on [`ReadinessPoller::run_now`]; each area's checks go to the UI as soon as they
/// are in. One run at a time. Dropping this cancels the run in flight.
pub struct ReadinessPoller {
    task: JoinHandle<()>,
    wake: watch::Sender<u64>,
    running: Arc<AtomicBool>,
}

impl ReadinessPoller {
    pub fn spawn(gatherer: Gatherer, interval: Duration, tx: mpsc::Sender<Msg>) -> ReadinessPoller {
        let (wake, wake_rx) = watch::channel(0u64);
        let running = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(readiness_loop(
            gatherer,
            interval,
            wake_rx,
            running.clone(),
            tx,
        ));
        ReadinessPoller {
            task,
            wake,
            running,
        }
    }

    /// Starts a run now, unless one is in flight (then that run's results are the
    /// answer). True when a run was asked for.
    pub fn run_now(&self) -> bool {
        if self.is_running() {
            return false;
        }
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
        true
    }

    /// Asks for one more run: now, or right after the run in flight (which may have
    /// read the database before an action changed it).
    pub fn run_after_change(&self) {
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }
}

impl Drop for ReadinessPoller {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn readiness_loop(
    gatherer: Gatherer,
    interval: Duration,
    mut wake: watch::Receiver<u64>,
    running: Arc<AtomicBool>,
    tx: mpsc::Sender<Msg>,
) {
    loop {
        running.store(true, Ordering::SeqCst);
        // A request made while this run starts is answered by this run.
        wake.mark_unchanged();
        if !run_readiness(&gatherer, &tx).await {
            return; // the UI has gone
        }
        running.store(false, Ordering::SeqCst);
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            changed = wake.changed() => if changed.is_err() { return },
        }
    }
}

/// One run with its areas forwarded as they arrive. False when the UI has gone.
async fn run_readiness(gatherer: &Gatherer, tx: &mpsc::Sender<Msg>) -> bool {
    let started = Msg::ReadinessStarted { at: Instant::now() };
    if tx.send(started).await.is_err() {
        return false;
    }
    let (area_tx, mut area_rx) = mpsc::unbounded_channel();
    let run = gatherer.run(Focus::All, area_tx);
    let forward = async {
        // The run drops its sender when it is over, which ends this loop.
        while let Some(AreaChecks { area, checks }) = area_rx.recv().await {
            let result = AreaResult::new(area, checks, Instant::now());
            if tx.send(Msg::ReadinessArea(result)).await.is_err() {
                return false;
            }
        }
        true
    };
    let (_report, delivered) = tokio::join!(run, forward);
    let finished = Msg::ReadinessFinished { at: Instant::now() };
    delivered && tx.send(finished).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_up_to_the_cap() {
        let mut b = Backoff::new(FIRST_BACKOFF, MAX_BACKOFF);
        let delays: Vec<u64> = (0..7).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 15, 15, 15]);
        b.reset();
        assert_eq!(b.next_delay(), FIRST_BACKOFF);
        let mut live = Backoff::new(FIRST_BACKOFF, LIVE_MAX_BACKOFF);
        let delays: Vec<u64> = (0..4).map(|_| live.next_delay().as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 4]);
    }

    #[test]
    fn only_transient_errors_back_off() {
        let mut s = Schedule {
            interval: Duration::from_secs(2),
            backoff: Backoff::new(FIRST_BACKOFF, MAX_BACKOFF),
        };
        let down: Result<(), StoreError> = Err(StoreError::Unreachable("refused".into()));
        assert_eq!(s.after(&down), Duration::from_secs(1));
        assert_eq!(s.after(&down), Duration::from_secs(2));
        assert_eq!(s.after(&down), Duration::from_secs(4));
        let drift: Result<(), StoreError> = Err(StoreError::SchemaDrift("x".into()));
        assert_eq!(s.after(&drift), Duration::from_secs(2));
        assert_eq!(s.after(&down), Duration::from_secs(1));
        assert_eq!(s.after(&Ok(())), Duration::from_secs(2));
    }
}
