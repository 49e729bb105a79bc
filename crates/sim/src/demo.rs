//! `launchdeck demo`'s world: the SQLite database seeded with the first-campaign data
//! set, the four fake providers on loopback configured to agree with it, the broadcast
//! audio served from loopback, and the call simulator moving calls through their
//! lifecycles.
//!
//! ```text
//! let mut demo = Demo::launch(&data_dir, DemoOptions::default()).await?;  // fakes up
//! launchdeck_tui::run(Stores::one(demo.store()), gatherer, options).await?;  // reads wait for the load
//! demo.ready().await?;       // how loading and starting the simulator went
//! demo.stop().await;
//! ```
//!
//! `Demo::start` is `launch` + `ready`: everything runs when it returns (what tests use).
//!
//! The demo uses its own database, secrets and base URLs whatever the environment and
//! the config file say (product.md Decision 7): [`Demo::apply_to`] overwrites them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use launchdeck_core::config::{BaseUrl, Config};
use launchdeck_seed::SeedData;
use launchdeck_seed::first_campaign::{self, SeedFacts};
use launchdeck_store::sqlite::{
    LoadDone, LoadGate, SqliteOptions, SqliteStore, load_gate, now_micros, parse_timestamp,
};
use launchdeck_store::{Store, StoreError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::SecretString;
use serde_json::Value;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::fakes::{
    ElevenLabsFake, ElevenLabsState, FakeServer, Fault, GoogleFake, GoogleState, RetellFake,
    RetellState, Route, TwilioFake, TwilioState,
};
use crate::simulator::history;
use crate::simulator::provision::{self, Provisioned};
use crate::simulator::{Handover, RetellApi, SimConfig, SimProviders, SimStatsSnapshot, Simulator};

/// The demo database's file name in the data dir.
pub const DATABASE_FILE: &str = "demo.sqlite";

/// The demo's own secrets: known to its fakes, meaningless anywhere else.
pub const DEMO_RETELL_API_KEY: &str = "key_demo0retell0a1b2c3d4e5f6a7b8c9d0";
pub const DEMO_TWILIO_ACCOUNT_SID: &str = "AC0de70de70de70de70de70de70de70de7";
pub const DEMO_TWILIO_AUTH_TOKEN: &str = "demo0twilio0auth0token0c0ffee00";
pub const DEMO_ELEVENLABS_API_KEY: &str = "sk_demo0elevenlabs0key0000beef";
pub const DEMO_GOOGLE_CLIENT_ID: &str = "demo-launchdeck.apps.googleusercontent.com";
pub const DEMO_GOOGLE_CLIENT_SECRET: &str = "GOCSPX-demo0client0secret0f00d";
/// The demo's calendar integration can be refreshed (press `t`) with this token.
pub const DEMO_GOOGLE_REFRESH_TOKEN: &str = "1//demo0google0refresh0token0cafe";
/// The second calendar integration's refresh token, revoked at the fake Google: a
/// refresh answers `invalid_grant` (the reconnect path).
pub const DEMO_GOOGLE_REVOKED_REFRESH_TOKEN: &str = "1//demo0google0revoked0token0dead";
/// The second integration's access token (expiring soon, like the first one's).
const DEMO_GOOGLE_REVOKED_ACCESS_TOKEN: &str = "ya29.demo0google0access0token0of0a0revoked0grant";
/// The second integration's Google account.
const DEMO_REVOKED_ACCOUNT_EMAIL: &str = "sam.okafor@brighthorizons.example";

/// The numbers a test broadcast may call in the demo (`[test_broadcast] allowlist`):
/// the operator's "own" phones, in the fictional 555-01XX range. The demo's fakes
/// accept calls to them and play them out like any other call.
pub const DEMO_TEST_NUMBERS: [&str; 3] = ["+12025550181", "+12025550182", "+12025550183"];

/// The fake Retell's concurrency limit: room for the data set's live calls.
const RETELL_CONCURRENCY: i64 = 40;
/// Finished calls each fake remembers: a few minutes of history at a high rate, so a
/// long demo's memory stays flat.
const FAKE_CALL_HISTORY: usize = 2_000;
/// Where the broadcast audio is served.
const AUDIO_PREFIX: &str = "/broadcast-audio";

/// How to run the demo.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DemoOptions {
    /// The simulator's behaviour (its `rate` is `--rate`).
    pub simulator: SimConfig,
    /// Low-rate fault injection in the fakes (429s, 500s, 503s, slow replies).
    pub faults: bool,
    /// Start from a newly seeded database instead of the one in the data dir.
    pub fresh: bool,
    /// How often to log the process's resources (SQLite memory, live tasks) for soak
    /// runs; every minute when not set.
    pub report_every: Option<Duration>,
}

/// Why the demo could not start; each says how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "cannot create the data dir {path}: {source}. Fix: set LAUNCHDECK_DATA_DIR to a writable directory"
    )]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}. Fix: run `launchdeck demo --fresh` to start from a new demo database")]
    Database(#[from] StoreError),
    #[error(
        "the demo database {path} was made by another version of launchdeck (it lacks {missing}). Fix: run `launchdeck demo --fresh`"
    )]
    OldDatabase { path: PathBuf, missing: String },
    #[error("cannot start a local fake provider on 127.0.0.1: {0}")]
    Fake(#[source] std::io::Error),
    #[error("cannot set the fake providers up: {0}")]
    Setup(String),
}

/// The loopback URLs of the demo's fakes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoEndpoints {
    pub retell: String,
    pub twilio: String,
    pub twilio_trunking: String,
    pub elevenlabs: String,
    pub google_token: String,
    pub google_calendar: String,
    /// The audio files' base (`…/broadcast-audio`).
    pub audio: String,
}

/// How the database was seeded at start (`None` when an existing one was reused).
#[derive(Debug, Clone, PartialEq)]
pub struct SeedReport {
    pub rows: usize,
    /// Generating and loading the data set.
    pub elapsed: Duration,
    pub provisioned: Provisioned,
}

/// The running demo. [`Demo::stop`] ends the simulator and the fakes.
pub struct Demo {
    /// The database as the demo itself uses it (the console gets it behind `gate`).
    store: SqliteStore,
    gate: LoadGate,
    facts: SeedFacts,
    endpoints: DemoEndpoints,
    seeded: Option<SeedReport>,
    retell: RetellFake,
    twilio: TwilioFake,
    elevenlabs: ElevenLabsFake,
    google: GoogleFake,
    _audio: FakeServer,
    /// Loading the database and starting the simulator, until [`Demo::ready`].
    startup: Option<JoinHandle<Result<Started, DemoError>>>,
    simulator: Option<Simulator>,
    housekeeping: JoinHandle<()>,
    resources: JoinHandle<()>,
}

/// What the background part of the start leaves running.
struct Started {
    seeded: Option<SeedReport>,
    simulator: Simulator,
}

/// Shows where the demo lives, never the fakes' state (it holds the demo's keys).
impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo")
            .field("database", &self.store.path())
            .field("endpoints", &self.endpoints)
            .field("seeded", &self.seeded)
            .finish_non_exhaustive()
    }
}

impl Demo {
    /// Opens (or, with `fresh` or when missing, creates and seeds) `demo.sqlite` in
    /// `data_dir`, starts the fakes and the simulator; returns once all of it runs.
    pub async fn start(data_dir: &Path, options: DemoOptions) -> Result<Demo, DemoError> {
        let mut demo = Demo::launch(data_dir, options).await?;
        if let Err(e) = demo.ready().await {
            demo.stop().await;
            return Err(e);
        }
        Ok(demo)
    }

    /// Like [`Demo::start`], but returns as soon as the fakes answer (in well under
    /// 200 ms) so the console's first frame need not wait: loading the data set into
    /// the database and starting the simulator go on in the background, and
    /// [`Demo::store`]'s reads wait for them. [`Demo::ready`] reports how they went.
    pub async fn launch(data_dir: &Path, options: DemoOptions) -> Result<Demo, DemoError> {
        std::fs::create_dir_all(data_dir).map_err(|source| DemoError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(DATABASE_FILE);
        let store = open_database(&path, options.fresh).await?;
        let generating = Instant::now();
        let (data, mut facts) =
            first_campaign::generate(now_micros(), first_campaign::DEFAULT_SEED);
        let generated = generating.elapsed();
        let fakes = Fakes::start(&facts).await?;
        let audio = start_audio_server().await?;
        let audio_base = format!("{}{AUDIO_PREFIX}", audio.base_url());
        // The fakes are given the data set's calls now, so every provider answer agrees
        // with the database the console will see.
        let seeding = if is_empty(&store).await? {
            let mut seeding = Seeding::new(data, generated);
            seeding
                .provision(&fakes, &mut facts, &audio_base, options.simulator.pace)
                .await?;
            Some(seeding)
        } else {
            None
        };
        let (done, gate) = load_gate();
        let background = Background {
            store: store.clone(),
            providers: fakes.sim_providers(&facts),
            google: fakes.google.state().clone(),
            facts: facts.clone(),
            audio_base: audio_base.clone(),
            simulator: options.simulator.clone(),
        };
        let startup = tokio::spawn(async move {
            let started = background.run(seeding, done).await;
            if let Err(e) = &started {
                tracing::error!("the demo could not start: {e}");
            }
            started
        });
        let housekeeping = tokio::spawn(housekeeping(fakes.faults(), options.faults));
        let resources = tokio::spawn(report_resources(
            options.report_every.unwrap_or(RESOURCE_REPORT_EVERY),
        ));
        let endpoints = fakes.endpoints(audio_base);
        Ok(Demo {
            store,
            gate,
            facts,
            endpoints,
            seeded: None,
            retell: fakes.retell,
            twilio: fakes.twilio,
            elevenlabs: fakes.elevenlabs,
            google: fakes.google,
            _audio: audio,
            startup: Some(startup),
            simulator: None,
            housekeeping,
            resources,
        })
    }

    /// Waits for the background part of the start: the database loaded, the simulator
    /// running. Calling it again answers at once.
    pub async fn ready(&mut self) -> Result<(), DemoError> {
        let Some(startup) = self.startup.take() else {
            return Ok(());
        };
        let started = startup
            .await
            .map_err(|e| DemoError::Setup(format!("the demo's start-up task failed: {e}")))??;
        self.seeded = started.seeded;
        self.simulator = Some(started.simulator);
        Ok(())
    }

    /// The demo database, for the console: its reads wait until the data set is loaded.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::new(self.store.clone().behind(self.gate.clone()))
    }

    pub fn sqlite(&self) -> &SqliteStore {
        &self.store
    }

    pub fn database_path(&self) -> &Path {
        self.store.path()
    }

    /// What the data set holds (with the fakes' call ids when it was seeded now).
    pub fn facts(&self) -> &SeedFacts {
        &self.facts
    }

    pub fn seeded(&self) -> Option<&SeedReport> {
        self.seeded.as_ref()
    }

    pub fn endpoints(&self) -> &DemoEndpoints {
        &self.endpoints
    }

    pub fn retell(&self) -> &RetellFake {
        &self.retell
    }

    pub fn twilio(&self) -> &TwilioFake {
        &self.twilio
    }

    pub fn elevenlabs(&self) -> &ElevenLabsFake {
        &self.elevenlabs
    }

    pub fn google(&self) -> &GoogleFake {
        &self.google
    }

    pub fn simulator_stats(&self) -> SimStatsSnapshot {
        self.simulator
            .as_ref()
            .map(Simulator::stats)
            .unwrap_or_default()
    }

    pub fn simulator_running(&self) -> bool {
        self.simulator.as_ref().is_some_and(Simulator::is_running)
    }

    /// Stops the simulator only (the fakes and the database stay up), after the start
    /// has finished.
    pub async fn stop_simulator(&mut self) {
        // A failed start has no simulator to stop; `ready` has logged why.
        let _ = self.ready().await;
        if let Some(simulator) = self.simulator.take() {
            simulator.stop().await;
        }
    }

    /// A configuration that points at the demo: `Config::default()` with
    /// [`Demo::apply_to`] and the environment name `demo`.
    pub fn config(&self) -> Result<Config, DemoError> {
        let mut config = Config::default();
        self.apply_to(&mut config)?;
        config.ui.environment_name = Some("demo".to_string());
        Ok(config)
    }

    /// Replaces the database URL, every secret, every provider base URL and the
    /// test-number allowlist of `config` with the demo's (Decision 7); other settings
    /// are kept.
    pub fn apply_to(&self, config: &mut Config) -> Result<(), DemoError> {
        let url = |text: &str| BaseUrl::parse(text).map_err(DemoError::Setup);
        let secret = |text: &str| Some(SecretString::from(text));
        let e = &self.endpoints;
        config.database.url = None;
        config.retell.api_key = secret(DEMO_RETELL_API_KEY);
        config.retell.base_url = url(&e.retell)?;
        config.twilio.account_sid = secret(DEMO_TWILIO_ACCOUNT_SID);
        config.twilio.auth_token = secret(DEMO_TWILIO_AUTH_TOKEN);
        config.twilio.base_url = url(&e.twilio)?;
        config.twilio.trunking_base_url = url(&e.twilio_trunking)?;
        config.elevenlabs.api_key = secret(DEMO_ELEVENLABS_API_KEY);
        config.elevenlabs.base_url = url(&e.elevenlabs)?;
        config.google.client_id = secret(DEMO_GOOGLE_CLIENT_ID);
        config.google.client_secret = secret(DEMO_GOOGLE_CLIENT_SECRET);
        config.google.token_url = url(&e.google_token)?;
        config.google.calendar_base_url = url(&e.google_calendar)?;
        config.test_broadcast.allowlist = DEMO_TEST_NUMBERS.map(String::from).to_vec();
        Ok(())
    }

    /// Stops the simulator (its current tick finishes), the fakes and the database.
    pub async fn stop(mut self) {
        self.stop_simulator().await;
        self.housekeeping.abort();
        self.resources.abort();
        self.store.close().await;
    }
}

/// A generated data set on its way into an empty database.
struct Seeding {
    data: SeedData,
    generated: Duration,
    provisioned: Option<(Provisioned, Duration)>,
}

impl Seeding {
    fn new(data: SeedData, generated: Duration) -> Seeding {
        Seeding {
            data,
            generated,
            provisioned: None,
        }
    }

    /// Points the data set at the demo (audio, calendar) and creates its calls at the
    /// fakes.
    async fn provision(
        &mut self,
        fakes: &Fakes,
        facts: &mut SeedFacts,
        audio_base: &str,
        pace: f64,
    ) -> Result<(), DemoError> {
        let started = Instant::now();
        prepare_seed(&mut self.data, facts, audio_base);
        let provisioned = fakes.provision(&mut self.data, facts, pace).await?;
        self.provisioned = Some((provisioned, started.elapsed()));
        Ok(())
    }

    async fn load(self, store: &SqliteStore) -> Result<SeedReport, DemoError> {
        let started = Instant::now();
        launchdeck_seed::sqlite::load(store.pool(), &self.data).await?;
        let load_time = started.elapsed();
        let (provisioned, provision_time) = self.provisioned.unwrap_or_default();
        let report = SeedReport {
            rows: self.data.tables.iter().map(|t| t.rows.len()).sum(),
            elapsed: self.generated + provision_time + load_time,
            provisioned,
        };
        tracing::info!(
            rows = report.rows,
            ms = report.elapsed.as_millis() as u64,
            generate_ms = self.generated.as_millis() as u64,
            provision_ms = provision_time.as_millis() as u64,
            load_ms = load_time.as_millis() as u64,
            "demo database seeded"
        );
        Ok(report)
    }
}

/// The part of the start that runs while the console already shows its first frame.
struct Background {
    store: SqliteStore,
    providers: SimProviders,
    google: GoogleState,
    facts: SeedFacts,
    audio_base: String,
    simulator: SimConfig,
}

impl Background {
    /// Loads the data set (or brings a reused database up to date), opens the gate for
    /// the console's reads, then starts the simulator.
    async fn run(self, seeding: Option<Seeding>, done: LoadDone) -> Result<Started, DemoError> {
        let loaded = self.load(seeding).await;
        done.finish(loaded.as_ref().map(|_| ()).map_err(|e| e.to_string()));
        let seeded = loaded?;
        let handover = Handover {
            live_call_ids: seeded
                .iter()
                .flat_map(|s| s.provisioned.live_call_ids.iter().cloned())
                .collect(),
        };
        let simulator = Simulator::spawn(
            self.store.pool().clone(),
            self.providers,
            self.simulator,
            handover,
        );
        Ok(Started { seeded, simulator })
    }

    async fn load(&self, seeding: Option<Seeding>) -> Result<Option<SeedReport>, DemoError> {
        let seeded = match seeding {
            Some(seeding) => {
                let report = seeding.load(&self.store).await?;
                release_freed_memory();
                Some(report)
            }
            None => {
                point_audio_urls(&self.store, &self.facts, &self.audio_base).await?;
                None
            }
        };
        register_google_tokens(&self.store, &self.google).await?;
        let providers = &self.providers;
        let restored = history::restore(
            self.store.pool(),
            &providers.twilio,
            &providers.retell,
            FAKE_CALL_HISTORY,
        )
        .await
        .map_err(|e| StoreError::Other(format!("cannot read the demo's finished calls: {e}")))?;
        tracing::info!(?restored, "demo: the fakes know the newest finished calls");
        Ok(seeded)
    }
}

/// Gives the memory the data set was built in back to the system. glibc keeps freed
/// memory in its arenas, so a fresh demo would otherwise go on holding some 50 MB it
/// never uses again.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers; it only returns free pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

async fn open_database(path: &Path, fresh: bool) -> Result<SqliteStore, DemoError> {
    if fresh {
        return Ok(SqliteStore::open_fresh(path).await?);
    }
    let store = SqliteStore::open(path, SqliteOptions::default()).await?;
    let missing = store.missing_schema().await?;
    if !missing.is_empty() {
        return Err(DemoError::OldDatabase {
            path: path.to_path_buf(),
            missing: missing.join(", "),
        });
    }
    Ok(store)
}

async fn is_empty(store: &SqliteStore) -> Result<bool, StoreError> {
    let orgs: Result<i64, sqlx::Error> = sqlx::query_scalar("SELECT count(*) FROM organizations")
        .fetch_one(store.pool())
        .await;
    orgs.map(|n| n == 0)
        .map_err(|e| StoreError::Other(format!("cannot read the demo database: {e}")))
}

/// The broadcasts' audio on loopback, a refresh token for the calendar so the demo's
/// `t` can refresh it (the seed's integration has none), and a second integration
/// whose refresh token Google revoked, so `t` shows the reconnect path too.
fn prepare_seed(data: &mut SeedData, facts: &SeedFacts, audio_base: &str) {
    for (broadcast, url) in audio_urls(facts, audio_base) {
        first_campaign::set_broadcast_audio_url(data, broadcast, &url);
    }
    let integration = Value::String(facts.calendar.integration_id.to_string());
    let token = Value::String(BASE64.encode(DEMO_GOOGLE_REFRESH_TOKEN));
    let integrations = data.table("calendar_integrations");
    for row in &mut integrations.rows {
        if row.get("id") == Some(&integration) {
            row.insert("refresh_token_encrypted".into(), token.clone());
        }
    }
    integrations.push(revoked_integration(facts));
}

/// The first org's second member connected Google a while ago; the grant has since
/// been revoked (or expired after 7 days in "Testing"), which nobody knows until the
/// next refresh. Its token expires within the refresh margin, like the owner's.
fn revoked_integration(facts: &SeedFacts) -> Value {
    let expires = facts.calendar.token_expires_at - chrono::Duration::minutes(1);
    let granted = expires - chrono::Duration::hours(1);
    serde_json::json!({
        "id": Uuid::new_v4(),
        "user_id": facts.first_org_member_user_id, "provider": "google",
        "provider_account_id": "118842993017466250193",
        "provider_account_email": DEMO_REVOKED_ACCOUNT_EMAIL,
        "access_token_encrypted": BASE64.encode(DEMO_GOOGLE_REVOKED_ACCESS_TOKEN),
        "refresh_token_encrypted": BASE64.encode(DEMO_GOOGLE_REVOKED_REFRESH_TOKEN),
        "token_expires_at": expires, "calendar_id": "primary", "calendar_name": "Sam Okafor",
        "is_primary": true, "sync_enabled": true, "sync_direction": "bidirectional",
        "last_sync_at": granted, "sync_errors": [],
        "created_at": facts.now - chrono::Duration::days(9), "updated_at": granted,
    })
}

/// Each broadcast's audio file, served by the demo (its port changes every run).
fn audio_urls(facts: &SeedFacts, audio_base: &str) -> Vec<(Uuid, String)> {
    [&facts.broadcast_a, &facts.broadcast_b]
        .into_iter()
        .map(|b| {
            let file = b.audio_url.rsplit('/').next().unwrap_or("audio.mp3");
            (b.id, format!("{audio_base}/{file}"))
        })
        .collect()
}

/// A reused database gets this run's audio URLs.
async fn point_audio_urls(
    store: &SqliteStore,
    facts: &SeedFacts,
    audio_base: &str,
) -> Result<(), StoreError> {
    for (broadcast, url) in audio_urls(facts, audio_base) {
        sqlx::query("UPDATE voice_broadcasts SET audio_url = ?1 WHERE id = ?2")
            .bind(&url)
            .bind(broadcast.to_string())
            .execute(store.pool())
            .await
            .map_err(|e| StoreError::Other(format!("cannot update the demo's audio URLs: {e}")))?;
    }
    Ok(())
}

/// The fake Google accepts each stored access token until its stored expiry.
async fn register_google_tokens(
    store: &SqliteStore,
    google: &GoogleState,
) -> Result<(), StoreError> {
    let rows: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT access_token_encrypted, token_expires_at FROM calendar_integrations
         WHERE provider = 'google'",
    )
    .fetch_all(store.pool())
    .await
    .map_err(|e| StoreError::Other(format!("cannot read the calendar integrations: {e}")))?;
    let now = now_micros();
    for (stored, expires) in rows {
        let token = stored
            .and_then(|s| BASE64.decode(s.trim()).ok())
            .and_then(|b| String::from_utf8(b).ok());
        let Some(token) = token else { continue };
        let ttl = expires
            .as_deref()
            .and_then(parse_timestamp)
            .and_then(|at| (at - now).to_std().ok())
            .unwrap_or(Duration::ZERO);
        google.add_access_token(&token, ttl);
    }
    Ok(())
}

/// The four fakes, configured from the data set.
struct Fakes {
    retell: RetellFake,
    twilio: TwilioFake,
    elevenlabs: ElevenLabsFake,
    google: GoogleFake,
}

impl Fakes {
    async fn start(facts: &SeedFacts) -> Result<Fakes, DemoError> {
        let retell_state = RetellState::new(DEMO_RETELL_API_KEY);
        retell_state.set_concurrency_limit(RETELL_CONCURRENCY);
        retell_state.set_call_history(FAKE_CALL_HISTORY);
        provision::configure_retell(&retell_state, facts);
        let twilio_state = TwilioState::new(DEMO_TWILIO_ACCOUNT_SID, DEMO_TWILIO_AUTH_TOKEN);
        twilio_state.set_call_history(FAKE_CALL_HISTORY);
        provision::configure_twilio(&twilio_state, facts);
        let google_state = GoogleState::new(
            DEMO_GOOGLE_CLIENT_ID,
            DEMO_GOOGLE_CLIENT_SECRET,
            DEMO_GOOGLE_REFRESH_TOKEN,
        );
        google_state.add_refresh_token(DEMO_GOOGLE_REVOKED_REFRESH_TOKEN, DEMO_GOOGLE_CLIENT_ID);
        google_state.revoke_refresh_token(DEMO_GOOGLE_REVOKED_REFRESH_TOKEN);
        Ok(Fakes {
            retell: RetellFake::start(retell_state)
                .await
                .map_err(DemoError::Fake)?,
            twilio: TwilioFake::start(twilio_state)
                .await
                .map_err(DemoError::Fake)?,
            elevenlabs: ElevenLabsFake::start(ElevenLabsState::new(DEMO_ELEVENLABS_API_KEY))
                .await
                .map_err(DemoError::Fake)?,
            google: GoogleFake::start(google_state)
                .await
                .map_err(DemoError::Fake)?,
        })
    }

    async fn provision(
        &self,
        data: &mut SeedData,
        facts: &mut SeedFacts,
        pace: f64,
    ) -> Result<Provisioned, DemoError> {
        let api = RetellApi::new(&self.retell.base_url(), DEMO_RETELL_API_KEY)
            .map_err(DemoError::Setup)?;
        let mut rng = StdRng::from_os_rng();
        provision::provision_calls(
            data,
            facts,
            self.twilio.state(),
            self.retell.state(),
            &api,
            pace,
            &mut rng,
        )
        .await
        .map_err(DemoError::Setup)
    }

    fn sim_providers(&self, facts: &SeedFacts) -> SimProviders {
        SimProviders {
            retell: self.retell.state().clone(),
            retell_base_url: self.retell.base_url(),
            retell_api_key: DEMO_RETELL_API_KEY.to_string(),
            twilio: self.twilio.state().clone(),
            google: self.google.state().clone(),
            retell_numbers: provision::retell_numbers(facts),
        }
    }

    fn faults(&self) -> Vec<(&'static str, crate::fakes::Faults)> {
        vec![
            ("retell", self.retell.faults().clone()),
            ("twilio", self.twilio.faults().clone()),
            ("elevenlabs", self.elevenlabs.faults().clone()),
            ("google", self.google.faults().clone()),
        ]
    }

    fn endpoints(&self, audio: String) -> DemoEndpoints {
        DemoEndpoints {
            retell: self.retell.base_url(),
            twilio: self.twilio.base_url(),
            twilio_trunking: self.twilio.trunking_base_url(),
            elevenlabs: self.elevenlabs.base_url(),
            google_token: self.google.token_url(),
            google_calendar: self.google.calendar_base_url(),
            audio,
        }
    }
}

/// Every so often: forget the fakes' request logs (they would grow for ever), and with
/// `faults`, queue one fault on one fake for its next few console requests.
async fn housekeeping(fakes: Vec<(&'static str, crate::fakes::Faults)>, faults: bool) {
    let mut rng = StdRng::from_os_rng();
    loop {
        let wait = if faults {
            Duration::from_secs(rng.random_range(8..=25))
        } else {
            Duration::from_secs(60)
        };
        tokio::time::sleep(wait).await;
        for (_, log) in &fakes {
            log.reset_log();
        }
        if faults && !fakes.is_empty() {
            let (name, target) = &fakes[rng.random_range(0..fakes.len())];
            let fault = random_fault(&mut rng);
            tracing::info!(fake = name, ?fault, "demo: injecting a provider fault");
            for (_, other) in &fakes {
                other.clear();
            }
            let times = rng.random_range(1..=3);
            // The console's reads only: the simulator's create-call is never faulted.
            target.inject(Route::get("/"), fault.clone(), times);
            target.inject(Route::post("/v2/list-agents"), fault, times);
        }
    }
}

/// How often the demo logs its resources by default (`scripts/soak-demo` reads them).
const RESOURCE_REPORT_EVERY: Duration = Duration::from_secs(60);

/// Logs, every `every`, the memory SQLite holds (its page caches fill up to `cache_size`
/// per connection as the database grows) and the runtime's live tasks, so a soak can
/// tell bounded cache growth from a leak, and a task leak from a busy console.
async fn report_resources(every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        // SAFETY: both only read SQLite's global memory counters.
        let (used, peak) = unsafe {
            (
                libsqlite3_sys::sqlite3_memory_used(),
                libsqlite3_sys::sqlite3_memory_highwater(0),
            )
        };
        let tasks = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        tracing::info!(
            used_kb = used / 1024,
            peak_kb = peak / 1024,
            tasks,
            "demo: resources"
        );
    }
}

fn random_fault(rng: &mut StdRng) -> Fault {
    match rng.random_range(0..5) {
        0 => Fault::rate_limited(Some("1")),
        1 => Fault::status(500),
        2 => Fault::status(503),
        3 => Fault::HtmlPage { status: 502 },
        _ => Fault::Delay(Duration::from_secs(3)),
    }
}

/// Serves the broadcast audio (a short silent MP3) at `/broadcast-audio/<file>`,
/// answering HEAD, GET and `Range: bytes=0-0` like a storage bucket.
async fn start_audio_server() -> Result<FakeServer, DemoError> {
    let router = Router::new().route(&format!("{AUDIO_PREFIX}/{{file}}"), get(audio_file));
    FakeServer::start(router).await.map_err(DemoError::Fake)
}

async fn audio_file(headers: HeaderMap) -> Response {
    let body = silent_mp3();
    let ranged = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "bytes=0-0");
    if ranged {
        let range = format!("bytes 0-0/{}", body.len());
        return (
            StatusCode::PARTIAL_CONTENT,
            [
                (header::CONTENT_TYPE, "audio/mpeg".to_string()),
                (header::CONTENT_RANGE, range),
            ],
            body[..1].to_vec(),
        )
            .into_response();
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "audio/mpeg")], body).into_response()
}

/// An ID3 header and one second of silent MPEG-1 Layer III frames (128 kbit/s).
fn silent_mp3() -> Vec<u8> {
    const FRAME_LEN: usize = 417;
    let mut bytes = b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec();
    for _ in 0..38 {
        let mut frame = vec![0u8; FRAME_LEN];
        frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        bytes.extend_from_slice(&frame);
    }
    bytes
}
