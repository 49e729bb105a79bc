//! A first-campaign world for the gatherer: the seeded database (SQLite or
//! PostgreSQL), the fake providers configured from the seed's facts, and a loopback
//! server for the broadcasts' audio.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;
use chrono::Utc;
use launchdeck_core::config::{BaseUrl, Config};
use launchdeck_core::readiness::{Check, Focus, Report};
use launchdeck_ops::{AreaChecks, GatherOptions, Gatherer};
use launchdeck_seed::first_campaign::{self, DEFAULT_SEED, GOOGLE_ACCESS_TOKEN_CANARY, SeedFacts};
use launchdeck_seed::{SeedData, sqlite};
use launchdeck_sim::fakes::{
    ElevenLabsFake, ElevenLabsState, FakeServer, GoogleFake, GoogleState, RetellFake, RetellState,
    TwilioFake, TwilioState,
};
use launchdeck_sim::simulator::provision;
use launchdeck_store::Store;
use launchdeck_store::sqlite::SqliteStore;
use secrecy::SecretString;
use serde_json::json;
use tokio::sync::mpsc;

pub const RETELL_KEY: &str = "key_retell0test0secret0value0aa11";
pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TWILIO_TOKEN: &str = "twilio0test0auth0token0value0bb22";
pub const ELEVENLABS_KEY: &str = "sk_elevenlabs0test0key0value0cc33";
pub const GOOGLE_CLIENT_ID: &str = "1234-test.apps.googleusercontent.com";
pub const GOOGLE_CLIENT_SECRET: &str = "GOCSPX-test0client0secret0dd44";
pub const GOOGLE_REFRESH_TOKEN: &str = "1//test0refresh0token0ee55";

/// Every secret the world configures or its fakes hold.
pub fn secrets() -> Vec<&'static str> {
    let mut all = vec![
        RETELL_KEY,
        TWILIO_TOKEN,
        ELEVENLABS_KEY,
        GOOGLE_CLIENT_SECRET,
        GOOGLE_REFRESH_TOKEN,
        GOOGLE_ACCESS_TOKEN_CANARY,
    ];
    all.extend(launchdeck_sim::fakes::CANARIES);
    all
}

pub struct Fakes {
    pub retell: RetellFake,
    pub twilio: TwilioFake,
    pub elevenlabs: ElevenLabsFake,
    pub google: GoogleFake,
    pub audio: FakeServer,
}

/// Serves any path as a small MP3 (HEAD and ranged GET), except under `/not-audio/`
/// (an HTML page) and `/gone/` (404).
pub async fn audio_server() -> FakeServer {
    let page = || async { ([(header::CONTENT_TYPE, "text/html")], "<html></html>") };
    let router = Router::new()
        .route("/not-audio/{*rest}", get(page))
        .route("/gone/{*rest}", get(|| async { StatusCode::NOT_FOUND }))
        .fallback(get(|| async {
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "audio/mpeg")],
                vec![0xffu8; 16],
            )
        }));
    FakeServer::start(router).await.expect("audio server")
}

/// The seed with its broadcasts' audio on the loopback audio server.
pub fn seed_data(audio_base: &str) -> (SeedData, SeedFacts) {
    let (mut data, facts) = first_campaign::generate(Utc::now(), DEFAULT_SEED);
    for (id, file) in [
        (facts.broadcast_a.id, "summer-savings.mp3"),
        (facts.broadcast_b.id, "spring-webinar.mp3"),
    ] {
        let url = format!("{audio_base}/broadcast-audio/{file}");
        assert!(first_campaign::set_broadcast_audio_url(&mut data, id, &url));
    }
    // Calling hours depend on the wall clock: pinned, so the results do not.
    for row in &mut data.table("voice_broadcasts").rows {
        row.insert("bypass_calling_hours".into(), json!(true));
    }
    (data, facts)
}

/// The fake providers holding what the seed says they hold.
pub async fn start_fakes(facts: &SeedFacts, audio: FakeServer) -> Fakes {
    let retell = RetellState::new(RETELL_KEY);
    provision::configure_retell(&retell, facts);
    let twilio = TwilioState::new(TWILIO_SID, TWILIO_TOKEN);
    provision::configure_twilio(&twilio, facts);

    let google = GoogleState::new(GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN);
    google.add_access_token(GOOGLE_ACCESS_TOKEN_CANARY, Duration::from_secs(3600));

    Fakes {
        retell: RetellFake::start(retell).await.expect("retell fake"),
        twilio: TwilioFake::start(twilio).await.expect("twilio fake"),
        elevenlabs: ElevenLabsFake::start(ElevenLabsState::new(ELEVENLABS_KEY))
            .await
            .expect("elevenlabs fake"),
        google: GoogleFake::start(google).await.expect("google fake"),
        audio,
    }
}

fn url(text: &str) -> BaseUrl {
    BaseUrl::parse(text).expect("fake base URL")
}

/// A configuration pointing at the fakes, with every secret set.
pub fn config(fakes: &Fakes) -> Config {
    let mut config = Config::default();
    config.retell.api_key = Some(SecretString::from(RETELL_KEY));
    config.retell.base_url = url(&fakes.retell.base_url());
    config.twilio.account_sid = Some(SecretString::from(TWILIO_SID));
    config.twilio.auth_token = Some(SecretString::from(TWILIO_TOKEN));
    config.twilio.base_url = url(&fakes.twilio.base_url());
    config.twilio.trunking_base_url = url(&fakes.twilio.trunking_base_url());
    config.elevenlabs.api_key = Some(SecretString::from(ELEVENLABS_KEY));
    config.elevenlabs.base_url = url(&fakes.elevenlabs.base_url());
    config.google.client_id = Some(SecretString::from(GOOGLE_CLIENT_ID));
    config.google.client_secret = Some(SecretString::from(GOOGLE_CLIENT_SECRET));
    config.google.token_url = url(&fakes.google.token_url());
    config.google.calendar_base_url = url(&fakes.google.calendar_base_url());
    config
}

/// Fast options for tests: no pacing, a generous time limit.
pub fn fast() -> GatherOptions {
    GatherOptions {
        source_timeout: Duration::from_secs(30),
        provider_spacing: Duration::ZERO,
    }
}

/// The first-campaign seed in a fresh SQLite file.
pub struct SqliteWorld {
    pub store: Arc<dyn Store>,
    pub sqlite: SqliteStore,
    pub facts: SeedFacts,
    pub fakes: Fakes,
    _dir: tempfile::TempDir,
}

impl SqliteWorld {
    pub async fn new() -> SqliteWorld {
        let audio = audio_server().await;
        let (data, facts) = seed_data(&audio.base_url());
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open_fresh(dir.path().join("demo.db"))
            .await
            .expect("open sqlite");
        sqlite::load(store.pool(), &data).await.expect("load seed");
        let fakes = start_fakes(&facts, audio).await;
        SqliteWorld {
            store: Arc::new(store.clone()),
            sqlite: store,
            facts,
            fakes,
            _dir: dir,
        }
    }

    pub fn gatherer(&self, options: GatherOptions) -> Gatherer {
        Gatherer::new(&config(&self.fakes), self.store.clone(), options)
    }
}

/// Runs once and returns the per-area messages with the report.
pub async fn run_collecting(gatherer: &Gatherer) -> (Vec<AreaChecks>, Report) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let report = gatherer.run(Focus::All, tx).await;
    let mut messages = Vec::new();
    while let Some(message) = rx.recv().await {
        messages.push(message);
    }
    (messages, report)
}

pub fn find<'a>(report: &'a Report, id: &str) -> &'a Check {
    report
        .get(id)
        .unwrap_or_else(|| panic!("no check {id} in {:#?}", ids(report)))
}

pub fn ids(report: &Report) -> Vec<String> {
    report
        .checks
        .iter()
        .map(|c| format!("{} {}", c.status, c.id))
        .collect()
}
