//! The call simulator: a tokio task that behaves like the platform's dispatchers and
//! webhooks against the demo's SQLite database and the fake providers.
//!
//! At `rate` calls per second it claims due `pending` rows of active broadcasts
//! (`broadcast_queue`, dialled through the fake Twilio) and active campaigns
//! (`dialing_queues`, with a `call_logs` row, through the fake Retell), lets the fakes
//! move each call through its provider lifecycle, and writes the final statuses the way
//! the platform's webhooks would. About one report in a hundred is dropped, so the row
//! stays `calling` and becomes stuck until the operator cleans it up: nothing here
//! resets a stuck row, and every report is written only if the row still waits for
//! that very call (a row the operator's cleanup moved on is left alone). Every so
//! often it lets the Google token expire and takes the outbound agent away from a
//! Retell number (never one the operator fixed recently). It tops the queues up when
//! they run low, so a demo never runs dry.
//!
//! Database work is a few short transactions per tick (the console's reads stay fast);
//! a database error is logged and the next tick tries again. Provider state and
//! database state agree: a `calling` row with a provider id has a live provider call,
//! except after a dropped report, where the provider call has ended.

mod adopt;
mod broadcast;
mod campaign;
mod db;
mod events;
pub mod history;
pub mod plan;
pub mod provision;
mod refill;
mod retell_api;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::SqlitePool;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::fakes::{GoogleState, RetellState, TwilioState};

pub use retell_api::{CreateError, RetellApi};

/// How the simulator behaves. `Default` is the demo's.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// New calls per second (fractions allowed), across broadcasts and campaigns.
    pub rate: f64,
    /// How often the simulator wakes up to dial and to collect finished calls.
    pub tick: Duration,
    /// Call durations are multiplied by this (1.0 = real time; tests use less).
    pub pace: f64,
    /// Share of calls whose final report is lost (the row stays `calling`).
    pub drop_report_probability: f64,
    /// Share of new calls that go to broadcasts (the rest to campaigns).
    pub broadcast_share: f64,
    /// Campaign calls in flight at most (the platform's `retell_max_concurrent`).
    pub campaign_max_in_flight: usize,
    /// The Google access token expires this often (`None`: never).
    pub token_expiry_every: Option<Duration>,
    /// A Retell number loses its outbound agent this often (`None`: never), unless
    /// one already lacks it or a number's agents changed within `agent_loss_respite`.
    pub agent_loss_every: Option<Duration>,
    /// How long a fix of a number's agents (the operator's PATCH) holds before the
    /// next loss.
    pub agent_loss_respite: Duration,
    /// How often queue depths are checked for a top-up.
    pub refill_every: Duration,
    /// A queue with fewer due `pending` rows than this gets `refill_batch` new ones.
    pub refill_below: i64,
    pub refill_batch: usize,
    /// Seed of the random choices (`None`: from the OS).
    pub seed: Option<u64>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            rate: 0.5,
            tick: Duration::from_millis(250),
            pace: 1.0,
            drop_report_probability: 0.01,
            broadcast_share: 2.0 / 3.0,
            campaign_max_in_flight: 20,
            token_expiry_every: Some(Duration::from_secs(7 * 60)),
            agent_loss_every: Some(Duration::from_secs(11 * 60)),
            agent_loss_respite: Duration::from_secs(30 * 60),
            refill_every: Duration::from_secs(5),
            refill_below: 100,
            refill_batch: 300,
            seed: None,
        }
    }
}

/// The fake providers' state the simulator drives.
#[derive(Debug, Clone)]
pub struct SimProviders {
    pub retell: RetellState,
    /// The fake Retell's base URL and key (calls are created over HTTP).
    pub retell_base_url: String,
    pub retell_api_key: String,
    pub twilio: TwilioState,
    pub google: GoogleState,
    /// Retell numbers (E.164) that may lose their outbound agent.
    pub retell_numbers: Vec<String>,
}

/// Calls handed over to a new simulator: the provider ids of calls that were live
/// when they were created for the data set. They are followed and reported even if
/// they end before the simulator's first step (any other ended call found in flight
/// is a lost report and left alone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handover {
    pub live_call_ids: HashSet<String>,
}

/// Running totals, for tests, logs and the soak script.
#[derive(Debug, Default)]
pub struct SimStats {
    pub broadcast_dials: AtomicU64,
    pub campaign_dials: AtomicU64,
    pub finished: AtomicU64,
    pub dropped_reports: AtomicU64,
    pub refilled_rows: AtomicU64,
    pub token_expiries: AtomicU64,
    pub agents_lost: AtomicU64,
    pub db_errors: AtomicU64,
    pub provider_errors: AtomicU64,
    pub ticks: AtomicU64,
    /// Calls being followed now (a gauge, set every tick).
    pub in_flight: AtomicU64,
}

/// A copy of [`SimStats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStatsSnapshot {
    pub broadcast_dials: u64,
    pub campaign_dials: u64,
    pub finished: u64,
    pub dropped_reports: u64,
    pub refilled_rows: u64,
    pub token_expiries: u64,
    pub agents_lost: u64,
    pub db_errors: u64,
    pub provider_errors: u64,
    pub ticks: u64,
    pub in_flight: u64,
}

impl SimStats {
    pub fn snapshot(&self) -> SimStatsSnapshot {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        SimStatsSnapshot {
            broadcast_dials: get(&self.broadcast_dials),
            campaign_dials: get(&self.campaign_dials),
            finished: get(&self.finished),
            dropped_reports: get(&self.dropped_reports),
            refilled_rows: get(&self.refilled_rows),
            token_expiries: get(&self.token_expiries),
            agents_lost: get(&self.agents_lost),
            db_errors: get(&self.db_errors),
            provider_errors: get(&self.provider_errors),
            ticks: get(&self.ticks),
            in_flight: get(&self.in_flight),
        }
    }
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

/// The running simulator; [`Simulator::stop`] ends it.
#[derive(Debug)]
pub struct Simulator {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    stats: Arc<SimStats>,
}

/// How long `stop` waits for the current tick to finish before aborting it.
const STOP_GRACE: Duration = Duration::from_secs(10);

impl Simulator {
    /// Starts the simulator task on the current tokio runtime. Its first step adopts
    /// the calls already in flight in the database (see `adopt`).
    pub fn spawn(
        pool: SqlitePool,
        providers: SimProviders,
        config: SimConfig,
        handover: Handover,
    ) -> Simulator {
        let stats = Arc::new(SimStats::default());
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(
            pool,
            providers,
            config,
            handover,
            stats.clone(),
            stopped,
        ));
        Simulator { stop, task, stats }
    }

    pub fn stats(&self) -> SimStatsSnapshot {
        self.stats.snapshot()
    }

    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }

    /// Lets the current tick finish (its transactions commit whole), then ends the task.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
            tracing::warn!("the simulator did not stop within {STOP_GRACE:?}; aborting it");
            task.abort();
        }
    }
}

async fn run(
    pool: SqlitePool,
    providers: SimProviders,
    config: SimConfig,
    handover: Handover,
    stats: Arc<SimStats>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut sim = match Sim::new(pool, providers, config, stats) {
        Ok(sim) => sim,
        Err(why) => {
            tracing::error!("the simulator cannot start: {why}");
            return;
        }
    };
    sim.adopt_in_flight(&handover).await;
    let mut tick = tokio::time::interval(sim.config.tick);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.changed() => break,
        }
        if *stopped.borrow() {
            break;
        }
        sim.step().await;
    }
    tracing::info!(stats = ?sim.stats.snapshot(), "simulator stopped");
}

/// A broadcast call the simulator follows until its report is written.
#[derive(Debug, Clone)]
struct BroadcastTrack {
    queue_id: String,
    broadcast_id: String,
    sid: String,
    listener: plan::Listener,
    attempts: i64,
    max_attempts: i64,
    retry_delay_minutes: i64,
    drop_report: bool,
    planned_end: Instant,
    next_check: Instant,
}

/// A campaign call the simulator follows until its report is written.
#[derive(Debug, Clone)]
struct CampaignTrack {
    call_log_id: String,
    queue_id: Option<String>,
    /// The queue row's `dispatch_generation` when it was dialled: a report only
    /// touches the row while it still waits for this dispatch.
    generation: Option<String>,
    call_id: String,
    outcome: &'static str,
    retry_delay_minutes: i64,
    drop_report: bool,
    planned_end: Instant,
    next_check: Instant,
}

/// The simulator's state, owned by its task.
struct Sim {
    pool: SqlitePool,
    providers: SimProviders,
    retell_api: RetellApi,
    config: SimConfig,
    stats: Arc<SimStats>,
    rng: StdRng,
    broadcasts: Vec<BroadcastTrack>,
    campaigns: Vec<CampaignTrack>,
    /// Created campaign calls whose ids are not written yet (a database error).
    unrecorded: Vec<campaign::Dialled>,
    /// Calls owed: `rate` per second accumulates here, each dial spends one.
    budget: f64,
    last_step: Instant,
    next_refill: Instant,
    next_token_expiry: Option<Instant>,
    next_agent_loss: Option<Instant>,
}

/// A live call is looked at again at least this often (an operator may hang it up).
const RECHECK: Duration = Duration::from_secs(15);
/// At most this many rows are claimed in one transaction.
const MAX_CLAIM: usize = 50;

impl Sim {
    fn new(
        pool: SqlitePool,
        providers: SimProviders,
        config: SimConfig,
        stats: Arc<SimStats>,
    ) -> Result<Sim, String> {
        if !(config.rate.is_finite() && config.rate > 0.0) {
            return Err(format!(
                "the call rate must be a positive number, not {}",
                config.rate
            ));
        }
        let retell_api = RetellApi::new(&providers.retell_base_url, &providers.retell_api_key)?;
        let rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        let now = Instant::now();
        Ok(Sim {
            pool,
            providers,
            retell_api,
            rng,
            broadcasts: Vec::new(),
            campaigns: Vec::new(),
            unrecorded: Vec::new(),
            budget: 0.0,
            last_step: now,
            next_refill: now,
            next_token_expiry: config.token_expiry_every.map(|every| now + every),
            next_agent_loss: config.agent_loss_every.map(|every| now + every),
            config,
            stats,
        })
    }

    /// One tick: collect finished calls, dial what the rate allows, and run the
    /// periodic events that are due.
    async fn step(&mut self) {
        let now = Instant::now();
        bump(&self.stats.ticks, 1);
        self.settle_due(now).await;
        self.dial(now).await;
        if now >= self.next_refill {
            self.next_refill = now + self.config.refill_every;
            self.refill().await;
        }
        if self.next_token_expiry.is_some_and(|at| now >= at) {
            self.next_token_expiry = self.config.token_expiry_every.map(|every| now + every);
            self.expire_google_tokens().await;
        }
        if self.next_agent_loss.is_some_and(|at| now >= at) {
            self.next_agent_loss = self.config.agent_loss_every.map(|every| now + every);
            self.lose_an_outbound_agent();
        }
        let in_flight = self.broadcasts.len() + self.campaigns.len() + self.unrecorded.len();
        self.stats
            .in_flight
            .store(in_flight as u64, Ordering::Relaxed);
    }

    /// Spends the accumulated rate on new broadcast and campaign calls.
    async fn dial(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last_step).as_secs_f64();
        self.last_step = now;
        // A long stall (a slow database) does not turn into a burst of calls.
        let cap = (self.config.rate * 2.0).max(1.0);
        self.budget = (self.budget + self.config.rate * elapsed).min(cap);
        let due = self.budget.floor() as usize;
        if due == 0 {
            return;
        }
        let share = self.config.broadcast_share.clamp(0.0, 1.0);
        let broadcast_due = (0..due)
            .filter(|_| rand::Rng::random_bool(&mut self.rng, share))
            .count();
        // A source with nothing (more) to dial gives its share to the other one.
        let broadcasts = self.dial_broadcasts(broadcast_due).await;
        let campaigns = self.dial_campaigns(due - broadcasts).await;
        let more = if broadcasts == broadcast_due && broadcasts + campaigns < due {
            self.dial_broadcasts(due - broadcasts - campaigns).await
        } else {
            0
        };
        let dialled = broadcasts + campaigns + more;
        // Nothing dialable: do not bank the calls for later.
        self.budget = if dialled == 0 {
            0.0
        } else {
            self.budget - dialled as f64
        };
    }

    async fn settle_due(&mut self, now: Instant) {
        self.settle_broadcasts(now).await;
        self.settle_campaigns(now).await;
    }

    fn db_error(&self, what: &str, error: &dyn std::fmt::Display) {
        bump(&self.stats.db_errors, 1);
        tracing::warn!("simulator: {what}: {error}; trying again on the next tick");
    }

    fn roll_drop(&mut self) -> bool {
        let p = self.config.drop_report_probability.clamp(0.0, 1.0);
        rand::Rng::random_bool(&mut self.rng, p)
    }
}

/// When to look at a call next: at its planned end, and at least every [`RECHECK`]
/// before that (an operator may hang it up); past its planned end, soon again (the
/// fake's clock and ours differ by a little).
fn next_check(now: Instant, planned_end: Instant, tick: Duration) -> Instant {
    if planned_end > now {
        planned_end.min(now + RECHECK)
    } else {
        now + (tick * 2).min(RECHECK)
    }
}
