//! The readiness gatherer: reads every source concurrently, each bounded in time, and
//! runs each area's rules as soon as that area's inputs are in (see the crate docs).

mod audio;
pub(crate) mod calendar;
pub(crate) mod clients;
mod database;
mod elevenlabs;
pub(crate) mod lane;
mod retell;
mod twilio;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use launchdeck_core::config::{Config, LoadedConfig, TestBroadcastConfig, Thresholds};
use launchdeck_core::domain::Scope;
use launchdeck_core::readiness::rules::{
    check_broadcasts, check_calendar, check_campaigns, check_database, check_elevenlabs,
    check_environment, check_numbers, check_retell, check_safety, check_twilio,
};
use launchdeck_core::readiness::{
    Area, AudioProbe, CalendarProbe, Check, ElevenLabsAnswer, EnvironmentFacts, Focus, Observed,
    Report, RetellFacts, SecretFact, Snapshot, TwilioTrunk,
};
use launchdeck_store::Store;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::{self, JoinSet};
use uuid::Uuid;

use clients::Clients;
use database::DatabaseAnswer;
use lane::Failure;
use twilio::AccountFacts;

/// How long a source may take and how requests to one provider are spaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatherOptions {
    /// Each request (and each database read) gets at most this long; a source that
    /// does not answer in time is reported `unknown` ("no answer in time").
    pub source_timeout: Duration,
    /// At least this long between the starts of two requests to the same provider
    /// (product.md Decision 5: at most 1 request/s per provider).
    pub provider_spacing: Duration,
}

impl Default for GatherOptions {
    fn default() -> Self {
        GatherOptions {
            source_timeout: Duration::from_secs(10),
            provider_spacing: Duration::from_secs(1),
        }
    }
}

/// One area's checks, sent as soon as the area's inputs are in.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaChecks {
    pub area: Area,
    pub checks: Vec<Check>,
}

/// Gathers readiness snapshots and runs the rules. Cheap to clone; clones share the
/// provider clients, their circuit breakers and their request pacing.
#[derive(Clone)]
pub struct Gatherer {
    store: Arc<dyn Store>,
    scope: Scope,
    thresholds: Thresholds,
    test_broadcast: TestBroadcastConfig,
    environment: EnvironmentFacts,
    clients: Clients,
    audio: Result<reqwest::Client, Failure>,
    options: GatherOptions,
    /// Costly answers reused between runs (shared by every clone).
    kept: database::KeptAnswers,
}

impl std::fmt::Debug for Gatherer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gatherer")
            .field("scope", &self.scope)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Gatherer {
    /// Provider clients from the configuration (a provider without its secret is
    /// reported "not configured"). Without [`Gatherer::with_environment`] the
    /// Environment area says it was given no information about the secrets.
    pub fn new(config: &Config, store: Arc<dyn Store>, options: GatherOptions) -> Self {
        Gatherer {
            store,
            scope: Scope {
                user_id: config.scope.user_id,
                org_id: config.scope.org_id,
            },
            thresholds: config.thresholds.clone(),
            test_broadcast: config.test_broadcast.clone(),
            environment: EnvironmentFacts::default(),
            clients: Clients::from_config(config, &options),
            audio: audio::client(options.source_timeout),
            options,
            kept: database::KeptAnswers::default(),
        }
    }

    /// [`Gatherer::new`] with the Environment facts of a loaded configuration.
    pub fn from_loaded(
        loaded: &LoadedConfig,
        store: Arc<dyn Store>,
        options: GatherOptions,
    ) -> Self {
        let secrets = loaded.secrets().iter().map(SecretFact::from).collect();
        Gatherer::new(&loaded.config, store, options).with_environment(secrets)
    }

    /// The provider clients and their request lanes (shared by every clone).
    pub(crate) fn clients(&self) -> &Clients {
        &self.clients
    }

    /// The store, the tenant scope and the options (for the other work a gatherer does).
    pub(crate) fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    pub(crate) fn scope(&self) -> &Scope {
        &self.scope
    }

    pub(crate) fn options(&self) -> &GatherOptions {
        &self.options
    }

    /// The configured thresholds (stuck ages, token refresh margin, …).
    pub fn thresholds(&self) -> &Thresholds {
        &self.thresholds
    }

    /// `[test_broadcast]`: the numbers a test broadcast may call and how many.
    pub fn test_broadcast(&self) -> &TestBroadcastConfig {
        &self.test_broadcast
    }

    /// The configured secrets (masked) for the Environment area.
    pub fn with_environment(mut self, secrets: Vec<SecretFact>) -> Self {
        self.environment = EnvironmentFacts { secrets };
        self
    }

    /// Runs every check once: each area's checks go to `tx` as soon as they are known
    /// (one message per area), and the whole report is returned at the end.
    pub async fn run(&self, focus: Focus, tx: UnboundedSender<AreaChecks>) -> Report {
        let mut run = Run::new(self, focus, tx);
        let mut tasks = Tasks::default();
        run.emit_ready();
        self.spawn_independent(&mut tasks, focus);
        while let Some((input, part)) = tasks.next().await {
            if let Part::Database(answer) = &part {
                self.spawn_dependent(&mut tasks, &mut run, answer, focus);
            }
            run.apply(input, part);
            run.emit_ready();
        }
        run.finish()
    }

    /// [`Gatherer::run`] without the per-area messages.
    pub async fn report(&self, focus: Focus) -> Report {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        self.run(focus, tx).await
    }

    /// The sources that need nothing else: the database and three providers.
    fn spawn_independent(&self, tasks: &mut Tasks, focus: Focus) {
        let c = &self.clients;
        let (store, scope, limit) = (self.store.clone(), self.scope, self.options.source_timeout);
        let kept = self.kept.clone();
        tasks.spawn(Input::Database, async move {
            let answer = database::gather(store, scope, focus, limit, &kept).await;
            Part::Database(Box::new(answer))
        });
        let (client, lane) = (c.retell.clone(), c.retell_lane.clone());
        tasks.spawn(Input::Retell, async move {
            Part::Retell(retell::gather(client, lane).await)
        });
        let (client, lane) = (c.twilio.clone(), c.twilio_lane.clone());
        tasks.spawn(Input::TwilioAccount, async move {
            Part::TwilioAccount(twilio::gather_account(client, lane).await)
        });
        let (client, lane) = (c.elevenlabs.clone(), c.elevenlabs_lane.clone());
        tasks.spawn(Input::ElevenLabs, async move {
            Part::ElevenLabs(elevenlabs::gather(client, lane).await)
        });
    }

    /// The sources that need the database's rows: trunks, calendars, audio files.
    /// Without the database they have nothing to ask and count as in.
    fn spawn_dependent(&self, tasks: &mut Tasks, run: &mut Run, db: &DatabaseAnswer, focus: Focus) {
        let Observed::Ok(facts) = &db.facts else {
            for input in [Input::TwilioTrunks, Input::Calendar, Input::Audio] {
                run.have.insert(input);
            }
            return;
        };
        let c = &self.clients;
        let (client, lane) = (c.twilio.clone(), c.twilio_lane.clone());
        let referenced = twilio::referenced_trunk_sids(&facts.sip_trunks);
        tasks.spawn(Input::TwilioTrunks, async move {
            Part::TwilioTrunks(twilio::gather_trunks(client, lane, referenced).await)
        });
        let (store, client, lane) = (
            self.store.clone(),
            c.calendar.clone(),
            c.google_lane.clone(),
        );
        let integrations = facts.calendar_integrations.clone();
        tasks.spawn(Input::Calendar, async move {
            Part::Calendar(calendar::probe_all(store, client, lane, integrations).await)
        });
        let (client, limit) = (self.audio.clone(), self.options.source_timeout);
        let targets = audio::to_probe(&facts.broadcasts, focus);
        tasks.spawn(Input::Audio, async move {
            Part::Audio(audio::probe_all(client, limit, targets).await)
        });
    }
}

/// A source of rule inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Input {
    Database,
    Retell,
    TwilioAccount,
    TwilioTrunks,
    ElevenLabs,
    Calendar,
    Audio,
}

/// The inputs each area's rules read.
fn needs(area: Area) -> &'static [Input] {
    use Input::*;
    match area {
        Area::Environment => &[],
        Area::Database | Area::Numbers | Area::Safety => &[Database],
        Area::Retell | Area::Campaigns => &[Database, Retell],
        Area::TwilioSip => &[Database, Retell, TwilioAccount, TwilioTrunks],
        Area::Broadcasts => &[Database, Audio],
        Area::Calendar => &[Database, Calendar],
        Area::ElevenLabs => &[ElevenLabs],
    }
}

fn rules(area: Area) -> fn(&Snapshot) -> Vec<Check> {
    match area {
        Area::Environment => check_environment,
        Area::Database => check_database,
        Area::Retell => check_retell,
        Area::TwilioSip => check_twilio,
        Area::Numbers => check_numbers,
        Area::Broadcasts => check_broadcasts,
        Area::Campaigns => check_campaigns,
        Area::Calendar => check_calendar,
        Area::ElevenLabs => check_elevenlabs,
        Area::Safety => check_safety,
    }
}

/// What one source answered.
enum Part {
    Database(Box<DatabaseAnswer>),
    Retell(RetellFacts),
    TwilioAccount(AccountFacts),
    TwilioTrunks(Observed<Vec<TwilioTrunk>>),
    ElevenLabs(Observed<ElevenLabsAnswer>),
    Calendar(BTreeMap<Uuid, Observed<CalendarProbe>>),
    Audio(BTreeMap<Uuid, Observed<AudioProbe>>),
}

impl Part {
    /// What stands in for a source whose task died (a bug, never a hang).
    fn lost(input: Input) -> Part {
        let failure = Failure::new(
            launchdeck_core::readiness::FailureKind::Other,
            "internal error while gathering this source; see the log",
        );
        match input {
            Input::Database => Part::Database(Box::new(DatabaseAnswer {
                facts: failure.observed(),
                now: None,
            })),
            Input::Retell => Part::Retell(RetellFacts {
                concurrency: failure.observed(),
                agents: failure.observed(),
                numbers: failure.observed(),
            }),
            Input::TwilioAccount => Part::TwilioAccount(AccountFacts {
                account: failure.observed(),
                incoming_numbers: failure.observed(),
            }),
            Input::TwilioTrunks => Part::TwilioTrunks(failure.observed()),
            Input::ElevenLabs => Part::ElevenLabs(failure.observed()),
            Input::Calendar => Part::Calendar(BTreeMap::new()),
            Input::Audio => Part::Audio(BTreeMap::new()),
        }
    }
}

/// The running source tasks; aborted when dropped (a cancelled run stops its requests).
#[derive(Default)]
struct Tasks {
    set: JoinSet<Part>,
    inputs: HashMap<task::Id, Input>,
}

impl Tasks {
    fn spawn(&mut self, input: Input, work: impl Future<Output = Part> + Send + 'static) {
        let handle = self.set.spawn(work);
        self.inputs.insert(handle.id(), input);
    }

    /// The next source to finish, or `None` when every source is in.
    async fn next(&mut self) -> Option<(Input, Part)> {
        let joined = self.set.join_next_with_id().await?;
        Some(match joined {
            Ok((id, part)) => (self.input(id), part),
            Err(err) => {
                let input = self.input(err.id());
                tracing::error!(source = ?input, error = %err, "readiness source task died");
                (input, Part::lost(input))
            }
        })
    }

    fn input(&mut self, id: task::Id) -> Input {
        self.inputs.remove(&id).unwrap_or(Input::Database)
    }
}

/// One run's snapshot and progress.
struct Run {
    snapshot: Snapshot,
    have: BTreeSet<Input>,
    done: BTreeMap<Area, Vec<Check>>,
    tx: UnboundedSender<AreaChecks>,
}

impl Run {
    fn new(gatherer: &Gatherer, focus: Focus, tx: UnboundedSender<AreaChecks>) -> Self {
        let mut snapshot = Snapshot::new(Utc::now(), gatherer.thresholds.clone());
        snapshot.focus = focus;
        snapshot.environment = gatherer.environment.clone();
        Run {
            snapshot,
            have: BTreeSet::new(),
            done: BTreeMap::new(),
            tx,
        }
    }

    fn apply(&mut self, input: Input, part: Part) {
        let snap = &mut self.snapshot;
        match part {
            Part::Database(answer) => {
                let answer = *answer;
                if let Some(now) = answer.now {
                    snap.now = now;
                }
                log_failure("database", &answer.facts);
                snap.database = answer.facts;
            }
            Part::Retell(facts) => {
                log_failure("retell", &facts.concurrency);
                snap.retell = facts;
            }
            Part::TwilioAccount(facts) => {
                log_failure("twilio", &facts.account);
                snap.twilio.account = facts.account;
                snap.twilio.incoming_numbers = facts.incoming_numbers;
            }
            Part::TwilioTrunks(trunks) => {
                log_failure("twilio trunks", &trunks);
                snap.twilio.trunks = trunks;
            }
            Part::ElevenLabs(answer) => {
                log_failure("elevenlabs", &answer);
                snap.elevenlabs = answer;
            }
            Part::Calendar(probes) => snap.calendar_probes = probes,
            Part::Audio(probes) => snap.audio_probes = probes,
        }
        self.have.insert(input);
    }

    /// Runs and sends every area whose inputs are all in.
    fn emit_ready(&mut self) {
        for area in Area::ALL {
            if self.done.contains_key(&area) || !needs(area).iter().all(|i| self.have.contains(i)) {
                continue;
            }
            self.emit(area);
        }
    }

    fn emit(&mut self, area: Area) {
        let checks = rules(area)(&self.snapshot);
        log_area(area, &checks);
        let _ = self.tx.send(AreaChecks {
            area,
            checks: checks.clone(),
        });
        self.done.insert(area, checks);
    }

    fn finish(mut self) -> Report {
        for area in Area::ALL {
            if !self.done.contains_key(&area) {
                self.emit(area);
            }
        }
        let checks = Area::ALL
            .iter()
            .flat_map(|area| self.done.remove(area).unwrap_or_default())
            .collect();
        Report::new(checks)
    }
}

fn log_failure<T>(source: &str, observed: &Observed<T>) {
    if let Observed::Failed { kind, message } = observed {
        tracing::warn!(source, ?kind, message = %message, "readiness source gave no answer");
    }
}

fn log_area(area: Area, checks: &[Check]) {
    let report = Report::new(checks.to_vec());
    let s = report.summary();
    tracing::info!(
        area = area.id(),
        pass = s.pass,
        warn = s.warn,
        fail = s.fail,
        unknown = s.unknown,
        "readiness area checked"
    );
    for check in checks
        .iter()
        .filter(|c| c.status != launchdeck_core::readiness::Status::Pass)
    {
        tracing::debug!(id = %check.id, status = %check.status, blocking = check.blocking, "readiness check");
    }
}
