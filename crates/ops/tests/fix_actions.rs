//! The fix actions end to end — refresh calendar tokens, fix a Retell number's
//! outbound agent, acknowledge alerts — on the demo's SQLite store and on PostgreSQL
//! (the platform fixture), against the fake providers over loopback HTTP: plans, the
//! conditional writes, skips, read-only refusals, the audit trail, the requests the
//! fakes received, and no secret anywhere it could leak.

mod world;

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::Utc;
use launchdeck_core::actions::{AuditRecord, AuditResult};
use launchdeck_core::config::Config;
use launchdeck_core::domain::{CalendarIntegration, Scope};
use launchdeck_core::readiness::{Focus, Status};
use launchdeck_ops::Gatherer;
use launchdeck_ops::actions::acknowledge::{self, AckRequest, AckStep};
use launchdeck_ops::actions::outbound_agent::{self, AgentNoChange, AgentRequest, AgentStep};
use launchdeck_ops::actions::tokens::{self, TokenRequest, TokenStep};
use launchdeck_ops::actions::{ActionContext, ActionEnv, ActionError, ActionOutcome, PlanView};
use launchdeck_seed::SeedData;
use launchdeck_sim::fakes::{
    CANARY_GOOGLE_ACCESS_TOKEN, CANARY_GOOGLE_REFRESH_TOKEN, ElevenLabsFake, ElevenLabsState,
    FakeAgent, FakeNumber, Fault, GoogleFake, GoogleState, RetellFake, RetellState, Route,
    TwilioFake, TwilioState,
};
use launchdeck_store::Store;
use launchdeck_store::pg::{PgOptions, PgStore};
use launchdeck_store::sqlite::{SqliteOptions, SqliteStore};
use launchdeck_testkit::TestDb;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;
use tempfile::TempDir;
use uuid::Uuid;
use world::{
    ELEVENLABS_KEY, Fakes, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN,
    RETELL_KEY, TWILIO_SID, TWILIO_TOKEN,
};

const ORG: Uuid = Uuid::from_u128(0xa0);
const USER: Uuid = Uuid::from_u128(0xa1);
const OTHER_ORG: Uuid = Uuid::from_u128(0xb0);
const OTHER_USER: Uuid = Uuid::from_u128(0xb1);

/// A refresh token Google no longer honours (`invalid_grant`).
const REVOKED_REFRESH_TOKEN: &str = "1//test0revoked0refresh0token0ff66";
/// The access token stored before any refresh.
const OLD_ACCESS_TOKEN: &str = "ya29.test0old0access0token0gg77";

const NUMBER: &str = "+14155550102";
const BARE_NUMBER: &str = "+14155550103";
const UNKNOWN_NUMBER: &str = "+14155550199";
const AGENT_IN: &str = "agent_inbound0001";
const AGENT_OTHER: &str = "agent_other0002";

fn b64(text: &str) -> String {
    BASE64.encode(text)
}

/// Tenants: USER in ORG, OTHER_USER in OTHER_ORG; each integration needs its own user.
fn tenants(extra_users: &[Uuid]) -> SeedData {
    let mut data = SeedData::default();
    for user in [USER, OTHER_USER].iter().chain(extra_users) {
        data.table("auth.users").push(json!({"id": user}));
    }
    for (org, slug) in [(ORG, "acme"), (OTHER_ORG, "other")] {
        data.table("organizations")
            .push(json!({"id": org, "name": slug, "slug": slug}));
    }
    for user in [USER].iter().chain(extra_users) {
        data.table("organization_users")
            .push(json!({"organization_id": ORG, "user_id": user, "role": "member"}));
    }
    data.table("organization_users")
        .push(json!({"organization_id": OTHER_ORG, "user_id": OTHER_USER, "role": "owner"}));
    data
}

fn integration_row(id: Uuid, user: Uuid, refresh: Option<&str>, expires_in_secs: i64) -> Value {
    json!({
        "id": id, "user_id": user, "provider": "google",
        "provider_account_email": format!("cal-{}@example.com", id.as_u128()),
        "calendar_id": "primary",
        "access_token_encrypted": b64(OLD_ACCESS_TOKEN),
        "refresh_token_encrypted": refresh.map(b64),
        "token_expires_at": (Utc::now() + chrono::Duration::seconds(expires_in_secs)).to_rfc3339(),
    })
}

async fn fakes() -> Fakes {
    let retell = RetellState::new(RETELL_KEY);
    retell.add_agent(FakeAgent::new(AGENT_IN).name("Inbound"));
    retell.add_agent(FakeAgent::new(AGENT_OTHER).name("Other"));
    retell.add_number(FakeNumber::new(NUMBER).inbound_agents(&[AGENT_IN]));
    retell.add_number(FakeNumber::new(BARE_NUMBER));
    let google = GoogleState::new(GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN);
    google.add_refresh_token(REVOKED_REFRESH_TOKEN, GOOGLE_CLIENT_ID);
    google.revoke_refresh_token(REVOKED_REFRESH_TOKEN);
    Fakes {
        retell: RetellFake::start(retell).await.expect("retell fake"),
        twilio: TwilioFake::start(TwilioState::new(TWILIO_SID, TWILIO_TOKEN))
            .await
            .expect("twilio fake"),
        elevenlabs: ElevenLabsFake::start(ElevenLabsState::new(ELEVENLABS_KEY))
            .await
            .expect("elevenlabs fake"),
        google: GoogleFake::start(google).await.expect("google fake"),
        audio: world::audio_server().await,
    }
}

enum Db {
    Sqlite(SqliteStore),
    Pg(Box<(PgStore, TestDb)>),
}

/// One store (SQLite or PostgreSQL) seeded with `data`, fresh fakes, a data dir.
struct Bench {
    db: Db,
    store: Arc<dyn Store>,
    fakes: Fakes,
    dir: TempDir,
}

impl Bench {
    async fn both(data: &SeedData) -> [Bench; 2] {
        [Bench::sqlite(data).await, Bench::pg(data).await]
    }

    async fn sqlite(data: &SeedData) -> Bench {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path().join("demo.sqlite"), SqliteOptions::default())
            .await
            .expect("open SQLite");
        launchdeck_seed::sqlite::load(store.pool(), data)
            .await
            .expect("seed SQLite");
        Bench {
            store: Arc::new(store.clone()),
            db: Db::Sqlite(store),
            fakes: fakes().await,
            dir,
        }
    }

    async fn pg(data: &SeedData) -> Bench {
        let db = TestDb::create().await;
        launchdeck_seed::pg::load(db.pool(), data)
            .await
            .expect("seed PostgreSQL");
        let store = PgStore::connect(db.url(), PgOptions::default())
            .await
            .expect("connect");
        Bench {
            store: Arc::new(store.clone()),
            db: Db::Pg(Box::new((store, db))),
            fakes: fakes().await,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn name(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Pg(_) => "postgres",
        }
    }

    fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    async fn execute(&self, sql: &str) {
        let result = match &self.db {
            Db::Sqlite(store) => sqlx::query(AssertSqlSafe(sql))
                .execute(store.pool())
                .await
                .map(|_| ()),
            Db::Pg(pg) => sqlx::query(AssertSqlSafe(sql))
                .execute(pg.1.pool())
                .await
                .map(|_| ()),
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn audit_file(&self) -> PathBuf {
        self.dir.path().join("data").join("audit.jsonl")
    }

    fn ctx(&self) -> ActionContext {
        ActionContext::new(Scope::default(), self.audit_file(), false)
    }

    fn read_only(&self) -> ActionContext {
        ActionContext {
            read_only: true,
            ..self.ctx()
        }
    }

    fn config(&self) -> Config {
        world::config(&self.fakes)
    }

    fn env(&self) -> ActionEnv {
        self.env_with(self.ctx(), self.config())
    }

    fn env_with(&self, ctx: ActionContext, config: Config) -> ActionEnv {
        let gatherer = Gatherer::new(&config, self.store.clone(), world::fast());
        ActionEnv::new(self.store.clone(), gatherer, ctx)
    }

    async fn integration(&self, id: Uuid) -> CalendarIntegration {
        self.store()
            .calendar_integrations(&Scope::default())
            .await
            .expect("calendar_integrations")
            .into_iter()
            .find(|i| i.id == id)
            .unwrap_or_else(|| panic!("integration {id}"))
    }

    /// The stored access token, decoded (the platform stores base64 of the plaintext).
    async fn access_token(&self, id: Uuid) -> String {
        let stored = self
            .store()
            .calendar_access_token(id)
            .await
            .expect("access token")
            .expect("an access token is stored");
        decoded(stored.expose_secret())
    }

    async fn refresh_token(&self, id: Uuid) -> Option<String> {
        self.store()
            .calendar_token_state(id)
            .await
            .expect("token state")
            .and_then(|s| s.refresh_token)
            .map(|t| decoded(t.expose_secret()))
    }

    async fn audit_records(&self) -> Vec<AuditRecord> {
        self.store().audit_records(50).await.expect("audit records")
    }

    fn audit_text(&self) -> String {
        std::fs::read_to_string(self.audit_file()).unwrap_or_default()
    }

    fn token_requests(&self) -> usize {
        self.fakes.google.faults().count(&Route::post("/token"))
    }

    fn patches(&self) -> Vec<Value> {
        self.fakes
            .retell
            .faults()
            .requests()
            .into_iter()
            .filter(|r| r.method == "PATCH")
            .map(|r| serde_json::from_str(&r.body).expect("a JSON body"))
            .collect()
    }

    async fn calendar_check(&self, id: Uuid) -> (Status, String) {
        let report = self.env().providers.report(Focus::All).await;
        let check = world::find(&report, &format!("calendar.token:{id}"));
        (check.status, check.reason.clone())
    }
}

fn decoded(stored: &str) -> String {
    let bytes = BASE64.decode(stored.trim()).expect("base64");
    String::from_utf8(bytes).expect("UTF-8")
}

fn counts(outcome: &ActionOutcome) -> (u32, u32, u32) {
    (outcome.changed, outcome.skipped, outcome.failed)
}

/// Every secret the benches configure or the fakes issue, plain and as stored.
fn secrets() -> Vec<String> {
    let mut plain: Vec<String> = world::secrets().into_iter().map(String::from).collect();
    plain.extend(
        [
            REVOKED_REFRESH_TOKEN,
            OLD_ACCESS_TOKEN,
            CANARY_GOOGLE_ACCESS_TOKEN,
            CANARY_GOOGLE_REFRESH_TOKEN,
        ]
        .map(String::from),
    );
    // As stored: base64 of the value, found by the base64 of its whole 3-byte groups
    // (so a stored token that extends a canary prefix is caught too).
    let stored: Vec<String> = plain.iter().map(|s| b64(&s[..s.len() / 3 * 3])).collect();
    plain.into_iter().chain(stored).collect()
}

fn assert_no_secret(text: &str, what: &str) {
    for secret in secrets() {
        assert!(
            !text.contains(&secret),
            "{what} holds a secret ({}…): {text}",
            &secret[..6]
        );
    }
}

/// Every log line written while the returned guard lives, at every level.
fn capture_logs() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    #[derive(Clone)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink(buffer.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    (buffer, tracing::subscriber::set_default(subscriber))
}

fn logged(buffer: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8_lossy(&buffer.lock().map(|b| b.clone()).unwrap_or_default()).into_owned()
}

// ---------------------------------------------------------------------------
// Refresh calendar tokens
// ---------------------------------------------------------------------------

const DUE: Uuid = Uuid::from_u128(0x701);
const REVOKED: Uuid = Uuid::from_u128(0x702);
const NO_REFRESH: Uuid = Uuid::from_u128(0x703);
const VALID: Uuid = Uuid::from_u128(0x704);
const USERS: [Uuid; 4] = [
    Uuid::from_u128(0xa2),
    Uuid::from_u128(0xa3),
    Uuid::from_u128(0xa4),
    Uuid::from_u128(0xa5),
];

/// Expiring in 2 minutes (due), expired with a revoked refresh token (due), expired
/// without a refresh token, valid for 2 hours.
fn calendars() -> SeedData {
    let mut data = tenants(&USERS);
    for row in [
        integration_row(DUE, USERS[0], Some(GOOGLE_REFRESH_TOKEN), 120),
        integration_row(REVOKED, USERS[1], Some(REVOKED_REFRESH_TOKEN), -60),
        integration_row(NO_REFRESH, USERS[2], None, -60),
        integration_row(VALID, USERS[3], Some(GOOGLE_REFRESH_TOKEN), 7200),
    ] {
        data.table("calendar_integrations").push(row);
    }
    data
}

#[tokio::test]
async fn refresh_tokens_stores_grants_marks_invalid_grant_and_audits() {
    for b in Bench::both(&calendars()).await {
        let (logs, _guard) = capture_logs();
        let name = b.name();
        let env = b.env();
        let before = b.integration(DUE).await;

        let plan = tokens::plan(&env, TokenRequest::default())
            .await
            .expect("plan");
        assert_eq!(
            plan.summary(),
            "refresh 2 Google calendar tokens (expiring within the 10 min refresh margin); 1 \
             calendar cannot be refreshed",
            "{name}"
        );
        let details = plan.details();
        assert_eq!(details.len(), 4, "{details:?}");
        assert!(details[0].starts_with("cal-1793@example.com: access token expires at "));
        assert!(details[0].ends_with(" → refresh"), "{}", details[0]);
        assert!(details[2].ends_with(
            "cannot refresh: no refresh token: reconnect the calendar in the platform with \
             offline access"
        ));
        assert_eq!(
            details[3],
            "1 other Google calendar valid beyond the margin, left alone"
        );
        assert_eq!(
            b.token_requests(),
            0,
            "{name}: planning asks Google nothing"
        );

        let started = Utc::now();
        let outcome = tokens::apply(&env, &plan).await.expect("apply");
        assert_eq!(counts(&outcome), (1, 0, 1), "{name}: {outcome:?}");
        assert!(
            outcome.audit_errors.is_empty(),
            "{:?}",
            outcome.audit_errors
        );
        assert_eq!(
            b.token_requests(),
            2,
            "{name}: one grant each, never retried"
        );
        for request in b.fakes.google.faults().requests() {
            assert!(request.body.contains("grant_type=refresh_token"));
        }

        // The grant: a new access token stored as base64, expiry = grant time + 3599 s,
        // the refresh token kept.
        let refreshed = b.integration(DUE).await;
        let expires = refreshed.token_expires_at.expect("expiry");
        let expected = started + chrono::Duration::seconds(3599);
        assert!(
            (expires - expected).num_seconds().abs() <= 5,
            "{name}: {expires} vs {expected}"
        );
        assert!(
            b.access_token(DUE)
                .await
                .starts_with(CANARY_GOOGLE_ACCESS_TOKEN),
            "{name}"
        );
        assert_eq!(
            b.refresh_token(DUE).await.as_deref(),
            Some(GOOGLE_REFRESH_TOKEN)
        );
        assert_ne!(refreshed.token_expires_at, before.token_expires_at);

        // invalid_grant: the marker appended, no token erased, nothing else changed.
        let revoked = b.integration(REVOKED).await;
        let errors = revoked.sync_errors.as_array().expect("an array").clone();
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
        assert_eq!(
            (&errors[0]["source"], &errors[0]["error"]),
            (&json!("launchdeck"), &json!("invalid_grant"))
        );
        assert!(errors[0]["at"].as_str().is_some());
        assert_eq!(b.access_token(REVOKED).await, OLD_ACCESS_TOKEN);
        assert_eq!(
            b.refresh_token(REVOKED).await.as_deref(),
            Some(REVOKED_REFRESH_TOKEN)
        );
        // Not listed, not touched.
        assert_eq!(b.access_token(NO_REFRESH).await, OLD_ACCESS_TOKEN);
        assert_eq!(b.access_token(VALID).await, OLD_ACCESS_TOKEN);

        // Readiness: the refreshed one passes, the refused one says reconnect.
        assert_eq!(b.calendar_check(DUE).await.0, Status::Pass, "{name}");
        let (status, reason) = b.calendar_check(REVOKED).await;
        assert_eq!(status, Status::Fail, "{name}: {reason}");
        assert!(reason.contains("invalid_grant"), "{reason}");

        // One audit record per integration asked about, in the database and the file.
        let records = b.audit_records().await;
        assert_eq!(records.len(), 2, "{name}");
        let record = |id: Uuid| {
            records
                .iter()
                .find(|r| r.target.id == id)
                .unwrap_or_else(|| panic!("{name}: no record for {id}"))
        };
        let granted = record(DUE);
        assert_eq!(
            (granted.action.as_str(), granted.target.table.as_str()),
            ("refresh-tokens", "calendar_integrations")
        );
        assert_eq!(granted.result, AuditResult::Changed);
        assert_eq!(
            granted.after.as_ref().map(|a| &a["refresh_token"]),
            Some(&json!("kept"))
        );
        let refused = record(REVOKED);
        match &refused.result {
            AuditResult::Failed(why) => assert!(why.contains("invalid_grant"), "{why}"),
            other => panic!("{name}: the refused refresh is a failure, got {other:?}"),
        }
        assert_eq!(b.audit_text().lines().count(), 2);

        // A second run: the refreshed one is valid, the refused one is not asked again.
        let again = tokens::plan(&env, TokenRequest::default())
            .await
            .expect("plan again");
        assert!(!again.will_change(), "{name}: {}", again.summary());
        assert!(
            again.details().iter().any(|d| d.contains("invalid_grant")),
            "{:?}",
            again.details()
        );

        // No token value anywhere it could leak.
        assert_no_secret(&plan.summary(), "the plan");
        assert_no_secret(&format!("{plan:?} {:?}", plan.details()), "the plan");
        assert_no_secret(&format!("{outcome:?}"), "the outcome");
        assert_no_secret(
            &serde_json::to_string(&records).expect("records"),
            "the audit log",
        );
        assert_no_secret(&b.audit_text(), "audit.jsonl");
        let log = logged(&logs);
        assert!(log.contains("invalid_grant"), "{name}: the log is captured");
        assert_no_secret(&log, "the log");
    }
}

/// A refused refresh token is not asked again without --all; forced, a successful
/// refresh stores a rotated refresh token and clears launchdeck's marker, so the
/// Calendar check no longer says reconnect.
#[tokio::test]
async fn a_later_successful_refresh_clears_reconnect_needed() {
    for b in Bench::both(&calendars()).await {
        let name = b.name();
        let env = b.env();
        let plan = tokens::plan(&env, TokenRequest::default())
            .await
            .expect("plan");
        tokens::apply(&env, &plan).await.expect("apply");
        assert_eq!(b.calendar_check(REVOKED).await.0, Status::Fail, "{name}");

        // The platform re-authorises the same refresh token; Google now rotates it.
        let google = b.fakes.google.state();
        google.add_refresh_token(REVOKED_REFRESH_TOKEN, GOOGLE_CLIENT_ID);
        google.set_rotate_refresh_token(true);
        let plan = tokens::plan(&env, TokenRequest { all: true })
            .await
            .expect("plan --all");
        let item = plan
            .items
            .iter()
            .find(|i| i.integration_id == REVOKED)
            .expect("listed");
        assert_eq!(
            item.step,
            TokenStep::Refresh,
            "{name}: --all tries once more"
        );
        let outcome = tokens::apply(&env, &plan).await.expect("apply --all");
        assert_eq!(counts(&outcome), (3, 0, 0), "{name}: {outcome:?}");

        assert_eq!(b.integration(REVOKED).await.sync_errors, json!([]));
        assert_eq!(
            b.refresh_token(REVOKED).await.as_deref(),
            Some(CANARY_GOOGLE_REFRESH_TOKEN),
            "{name}: the rotated refresh token is stored"
        );
        let (status, reason) = b.calendar_check(REVOKED).await;
        assert_eq!(status, Status::Pass, "{name}: {reason}");
        let records = b.audit_records().await;
        let rotated = records
            .iter()
            .find(|r| r.target.id == REVOKED && r.result == AuditResult::Changed)
            .expect("the forced refresh's record");
        assert_eq!(
            rotated.after.as_ref().map(|a| &a["refresh_token"]),
            Some(&json!("rotated"))
        );
        assert_no_secret(&format!("{outcome:?}"), "the outcome");
        assert_no_secret(&b.audit_text(), "audit.jsonl");
    }
}

/// Refreshed elsewhere between the preview and the apply: skipped without asking
/// Google, audited, the other row's token kept.
#[tokio::test]
async fn a_token_refreshed_elsewhere_is_skipped() {
    for b in Bench::both(&calendars()).await {
        let name = b.name();
        let env = b.env();
        let plan = tokens::plan(&env, TokenRequest::default())
            .await
            .expect("plan");
        let later = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
        let later = match b.db {
            Db::Sqlite(_) => launchdeck_store::sqlite::timestamp(
                chrono::DateTime::parse_from_rfc3339(&later)
                    .map(|t| t.with_timezone(&Utc))
                    .expect("time"),
            ),
            Db::Pg(_) => later,
        };
        b.execute(&format!(
            "UPDATE calendar_integrations SET token_expires_at = '{later}' \
             WHERE id IN ('{DUE}', '{REVOKED}')"
        ))
        .await;
        let outcome = tokens::apply(&env, &plan).await.expect("apply");
        assert_eq!(counts(&outcome), (0, 2, 0), "{name}: {outcome:?}");
        assert_eq!(b.token_requests(), 0, "{name}: Google was not asked");
        assert_eq!(b.access_token(DUE).await, OLD_ACCESS_TOKEN);
        assert_eq!(b.integration(REVOKED).await.sync_errors, json!([]));
        let records = b.audit_records().await;
        assert_eq!(records.len(), 2);
        for record in &records {
            match &record.result {
                AuditResult::Skipped(why) => {
                    assert!(why.contains("changed since the preview"), "{why}")
                }
                other => panic!("{name}: skipped, got {other:?}"),
            }
        }
    }
}

/// A 503 from the token endpoint is retried by the client; the grant then lands.
#[tokio::test]
async fn a_server_error_is_retried_with_backoff() {
    let b = Bench::sqlite(&calendars()).await;
    b.fakes
        .google
        .faults()
        .inject(Route::post("/token"), Fault::status(503), 1);
    let env = b.env();
    let plan = tokens::plan(&env, TokenRequest::default())
        .await
        .expect("plan");
    let outcome = tokens::apply(&env, &plan).await.expect("apply");
    assert_eq!(counts(&outcome), (1, 0, 1), "{outcome:?}");
    assert_eq!(
        b.token_requests(),
        3,
        "the 503 was retried once; invalid_grant never"
    );
    assert!(
        b.access_token(DUE)
            .await
            .starts_with(CANARY_GOOGLE_ACCESS_TOKEN)
    );
}

#[tokio::test]
async fn refresh_tokens_read_only_and_without_a_client_refuse() {
    for b in Bench::both(&calendars()).await {
        let name = b.name();
        let env = b.env_with(b.read_only(), b.config());
        let plan = tokens::plan(&env, TokenRequest::default())
            .await
            .expect("planning is allowed");
        let err = tokens::apply(&env, &plan)
            .await
            .expect_err("read-only refuses");
        assert!(
            matches!(err, ActionError::ReadOnly("refresh-tokens")),
            "{err:?}"
        );
        assert_eq!(b.token_requests(), 0, "{name}: Google was not asked");
        assert_eq!(b.access_token(DUE).await, OLD_ACCESS_TOKEN);
        assert_eq!(b.integration(REVOKED).await.sync_errors, json!([]));
        assert!(b.audit_records().await.is_empty());
        assert!(!b.audit_file().exists(), "{name}");

        let mut config = b.config();
        config.google.client_id = None;
        let env = b.env_with(b.ctx(), config);
        let err = tokens::plan(&env, TokenRequest::default())
            .await
            .expect_err("no OAuth client");
        let text = err.to_string();
        assert!(
            text.contains("GOOGLE_CLIENT_ID") && text.contains("GOOGLE_CLIENT_SECRET"),
            "{text}"
        );
        assert_no_secret(&format!("{text} {err:?}"), "the error");
    }
}

// ---------------------------------------------------------------------------
// Fix outbound agent
// ---------------------------------------------------------------------------

const NUMBER_ROW: Uuid = Uuid::from_u128(0x801);
const THEIR_NUMBER_ROW: Uuid = Uuid::from_u128(0x802);

/// The Retell number in the platform's phone_numbers (USER's), and one of another tenant.
fn numbers() -> SeedData {
    let mut data = tenants(&[]);
    for (id, user, org, number) in [
        (NUMBER_ROW, USER, ORG, NUMBER),
        (THEIR_NUMBER_ROW, OTHER_USER, OTHER_ORG, BARE_NUMBER),
    ] {
        data.table("phone_numbers").push(json!({
            "id": id, "user_id": user, "organization_id": org, "number": number,
            "area_code": "415", "retell_phone_id": number, "provider": "retell_native",
            "purpose": "retell_agent",
        }));
    }
    data
}

fn request(number: &str, agent: Option<&str>) -> AgentRequest {
    AgentRequest {
        number: number.to_string(),
        agent: agent.map(str::to_string),
    }
}

fn outbound_at_retell(b: &Bench, number: &str) -> Value {
    b.fakes
        .retell
        .state()
        .number(number)
        .map(|n| n["outbound_agents"].clone())
        .unwrap_or(Value::Null)
}

fn agent_ids(agents: &Value) -> Vec<&str> {
    agents
        .as_array()
        .map(|list| list.iter().filter_map(|a| a["agent_id"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn fix_outbound_agent_assigns_the_inbound_agent() {
    for b in Bench::both(&numbers()).await {
        let name = b.name();
        let env = b.env();
        let plan = outbound_agent::plan(&env, request(NUMBER, None))
            .await
            .expect("plan");
        assert_eq!(
            plan.summary(),
            "set outbound agents of +14155550102 to agent_inbound0001 (its inbound agent)"
        );
        assert_eq!(
            plan.details(),
            vec![
                "inbound agents: agent_inbound0001".to_string(),
                "outbound agents: none".to_string(),
                format!("platform row: phone_numbers {NUMBER_ROW}"),
            ]
        );
        assert!(b.patches().is_empty(), "{name}: planning changes nothing");

        let outcome = outbound_agent::apply(&env, &plan).await.expect("apply");
        assert_eq!(counts(&outcome), (1, 0, 0), "{name}: {outcome:?}");
        assert_eq!(outcome.rows[0].status_now.as_deref(), Some(AGENT_IN));
        assert_eq!(
            b.patches(),
            vec![json!({"outbound_agents": [{"agent_id": AGENT_IN, "weight": 1}]})],
            "{name}: exactly this body, nothing else"
        );
        assert_eq!(
            outbound_at_retell(&b, NUMBER),
            json!([{"agent_id": AGENT_IN, "weight": 1}])
        );
        let at_retell = b.fakes.retell.state().number(NUMBER).expect("number");
        assert_eq!(
            agent_ids(&at_retell["inbound_agents"]),
            vec![AGENT_IN],
            "inbound unchanged"
        );

        let records = b.audit_records().await;
        assert_eq!(records.len(), 1, "{name}");
        let r = &records[0];
        assert_eq!(r.action, "fix-outbound-agent");
        assert_eq!(
            (r.target.table.as_str(), r.target.id, r.target.name.as_str()),
            ("phone_numbers", NUMBER_ROW, NUMBER)
        );
        assert_eq!(r.result, AuditResult::Changed);
        assert_eq!(
            r.before.as_ref().map(|v| &v["outbound_agents"]),
            Some(&json!([]))
        );
        assert_eq!(
            r.after.as_ref().map(|v| &v["outbound_agents"]),
            Some(&json!([AGENT_IN]))
        );
        assert_eq!(b.audit_text().lines().count(), 1);
        assert_no_secret(&b.audit_text(), "audit.jsonl");

        let again = outbound_agent::plan(&env, request(NUMBER, None))
            .await
            .expect("plan again");
        assert_eq!(
            again.step,
            AgentStep::Nothing(AgentNoChange::Already(AGENT_IN.into()))
        );
        assert_eq!(
            counts(&outbound_agent::apply(&env, &again).await.expect("apply")),
            (0, 0, 0)
        );
        assert_eq!(b.patches().len(), 1, "{name}: nothing more sent");
    }
}

/// Someone changed the number at Retell between the preview and the apply: skipped,
/// nothing sent, audited.
#[tokio::test]
async fn a_number_changed_at_retell_is_skipped() {
    for b in Bench::both(&numbers()).await {
        let name = b.name();
        let env = b.env();
        let plan = outbound_agent::plan(&env, request(NUMBER, None))
            .await
            .expect("plan");
        assert!(
            b.fakes
                .retell
                .state()
                .set_outbound_agents(NUMBER, &[AGENT_OTHER])
        );
        let outcome = outbound_agent::apply(&env, &plan).await.expect("apply");
        assert_eq!(counts(&outcome), (0, 1, 0), "{name}: {outcome:?}");
        assert!(b.patches().is_empty(), "{name}: no PATCH sent");
        assert_eq!(
            agent_ids(&outbound_at_retell(&b, NUMBER)),
            vec![AGENT_OTHER]
        );
        let records = b.audit_records().await;
        match &records[0].result {
            AuditResult::Skipped(why) => {
                assert!(why.contains("changed since the preview"), "{why}");
                assert!(why.contains(AGENT_OTHER), "{why}");
            }
            other => panic!("{name}: skipped, got {other:?}"),
        }
        assert_eq!(
            records[0].after.as_ref().map(|v| &v["outbound_agents"]),
            Some(&json!([AGENT_OTHER]))
        );
    }
}

#[tokio::test]
async fn fix_outbound_agent_refusals_and_a_chosen_agent() {
    for b in Bench::both(&numbers()).await {
        let name = b.name();
        let env = b.env();
        let unknown = outbound_agent::plan(&env, request(UNKNOWN_NUMBER, None))
            .await
            .expect("plan");
        assert_eq!(unknown.summary(), "Retell has no number +14155550199");
        assert!(unknown.target_unavailable() && !unknown.will_change());

        let not_e164 = outbound_agent::plan(&env, request("4155550102", None))
            .await
            .expect("plan");
        assert_eq!(not_e164.step, AgentStep::Nothing(AgentNoChange::NotE164));

        // BARE_NUMBER has no agents at Retell; its row is OTHER_USER's.
        let bare = outbound_agent::plan(&env, request(BARE_NUMBER, None))
            .await
            .expect("plan");
        assert_eq!(bare.step, AgentStep::Nothing(AgentNoChange::NoInboundAgent));
        assert!(bare.summary().contains("--agent ID"), "{}", bare.summary());
        let bogus = outbound_agent::plan(&env, request(BARE_NUMBER, Some("agent_nope")))
            .await
            .expect("plan");
        assert_eq!(
            bogus.step,
            AgentStep::Nothing(AgentNoChange::UnknownAgent("agent_nope".into()))
        );
        let mine = ActionContext {
            scope: Scope {
                user_id: None,
                org_id: Some(ORG),
            },
            ..b.ctx()
        };
        let scoped = outbound_agent::plan(
            &b.env_with(mine, b.config()),
            request(BARE_NUMBER, Some(AGENT_OTHER)),
        )
        .await
        .expect("plan");
        assert_eq!(scoped.step, AgentStep::Nothing(AgentNoChange::OutOfScope));
        assert!(scoped.target_unavailable());

        let chosen = outbound_agent::plan(&env, request(BARE_NUMBER, Some(AGENT_OTHER)))
            .await
            .expect("plan");
        assert_eq!(
            chosen.summary(),
            "set outbound agents of +14155550103 to agent_other0002 (chosen with --agent)"
        );
        let outcome = outbound_agent::apply(&env, &chosen).await.expect("apply");
        assert_eq!(counts(&outcome), (1, 0, 0), "{name}");
        assert_eq!(
            outbound_at_retell(&b, BARE_NUMBER),
            json!([{"agent_id": AGENT_OTHER, "weight": 1}])
        );
        assert_eq!(b.audit_records().await[0].target.id, THEIR_NUMBER_ROW);
        assert_eq!(
            b.patches().len(),
            1,
            "{name}: only the applied plan sent a PATCH"
        );
    }
}

/// A 500 on the PATCH: the client reads the number back and, the change not being
/// there, sends it once more (providers.md §3); never a third time.
#[tokio::test]
async fn a_patch_lost_to_a_server_error_is_sent_once_more() {
    let b = Bench::sqlite(&numbers()).await;
    let env = b.env();
    let plan = outbound_agent::plan(&env, request(NUMBER, None))
        .await
        .expect("plan");
    b.fakes
        .retell
        .faults()
        .inject(Route::patch("/update-phone-number"), Fault::status(500), 1);
    let outcome = outbound_agent::apply(&env, &plan).await.expect("apply");
    assert_eq!(counts(&outcome), (1, 0, 0), "{outcome:?}");
    let body = json!({"outbound_agents": [{"agent_id": AGENT_IN, "weight": 1}]});
    assert_eq!(b.patches(), vec![body.clone(), body]);
    assert_eq!(agent_ids(&outbound_at_retell(&b, NUMBER)), vec![AGENT_IN]);

    // Failing twice: reported failed, nothing more sent.
    let plan = outbound_agent::plan(&env, request(BARE_NUMBER, Some(AGENT_OTHER)))
        .await
        .expect("plan");
    b.fakes
        .retell
        .faults()
        .inject(Route::patch("/update-phone-number"), Fault::status(500), 2);
    let outcome = outbound_agent::apply(&env, &plan).await.expect("apply");
    assert_eq!(counts(&outcome), (0, 0, 1), "{outcome:?}");
    assert_eq!(b.patches().len(), 4);
    assert_eq!(outbound_at_retell(&b, BARE_NUMBER), json!([]));
}

/// A Retell number the platform's database does not hold is audited under Retell's
/// name for it, with the nil id.
#[tokio::test]
async fn a_number_only_at_retell_is_audited_as_such() {
    let b = Bench::sqlite(&tenants(&[])).await;
    let env = b.env();
    let plan = outbound_agent::plan(&env, request(NUMBER, None))
        .await
        .expect("plan");
    assert_eq!(
        plan.details()[2],
        "the platform's phone_numbers has no row for it"
    );
    outbound_agent::apply(&env, &plan).await.expect("apply");
    let records = b.audit_records().await;
    assert_eq!(
        (records[0].target.table.as_str(), records[0].target.id),
        ("retell:phone_numbers", Uuid::nil())
    );
    assert_eq!(records[0].target.name, NUMBER);
}

#[tokio::test]
async fn fix_outbound_agent_read_only_sends_nothing() {
    for b in Bench::both(&numbers()).await {
        let env = b.env_with(b.read_only(), b.config());
        let plan = outbound_agent::plan(&env, request(NUMBER, None))
            .await
            .expect("plan");
        let err = outbound_agent::apply(&env, &plan)
            .await
            .expect_err("read-only refuses");
        assert!(
            matches!(err, ActionError::ReadOnly("fix-outbound-agent")),
            "{err:?}"
        );
        assert!(b.patches().is_empty(), "{}: no provider mutation", b.name());
        assert_eq!(outbound_at_retell(&b, NUMBER), json!([]));
        assert!(b.audit_records().await.is_empty());
        assert!(!b.audit_file().exists());
    }
}

// ---------------------------------------------------------------------------
// Acknowledge alerts
// ---------------------------------------------------------------------------

const OPEN: Uuid = Uuid::from_u128(0x901);
const OPEN_TOO: Uuid = Uuid::from_u128(0x902);
const DONE: Uuid = Uuid::from_u128(0x903);
const THEIRS: Uuid = Uuid::from_u128(0x904);

fn alerts() -> SeedData {
    let mut data = tenants(&[]);
    for (id, user, title, acknowledged) in [
        (OPEN, USER, "12 calls stuck", false),
        (OPEN_TOO, USER, "Error rate 40%", false),
        (DONE, USER, "Auto-paused", true),
        (THEIRS, OTHER_USER, "Their alert", false),
    ] {
        data.table("system_alerts").push(json!({
            "id": id, "user_id": user, "alert_type": "stuck_calls", "severity": "critical",
            "title": title, "message": "details", "acknowledged": acknowledged,
            "acknowledged_at": acknowledged.then(|| Utc::now().to_rfc3339()),
        }));
    }
    data
}

fn ack(ids: &[Uuid]) -> AckRequest {
    AckRequest {
        alert_ids: ids.to_vec(),
    }
}

async fn open_alerts(b: &Bench) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = b
        .store()
        .unacknowledged_alerts(&Scope::default(), 50)
        .await
        .expect("alerts")
        .into_iter()
        .map(|a| a.id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn acknowledge_alerts_once_and_audit_each() {
    for b in Bench::both(&alerts()).await {
        let name = b.name();
        let env = b.env();
        let plan = acknowledge::plan(&env, ack(&[OPEN, OPEN_TOO, DONE]))
            .await
            .expect("plan");
        assert_eq!(
            plan.summary(),
            "acknowledge 2 alerts; 1 already acknowledged"
        );
        assert_eq!(
            plan.details()[0],
            "alert \"12 calls stuck\" (critical stuck_calls): acknowledge"
        );
        assert!(!plan.target_unavailable());
        assert_eq!(open_alerts(&b).await, vec![OPEN, OPEN_TOO, THEIRS]);

        let outcome = acknowledge::apply(&env, &plan).await.expect("apply");
        assert_eq!(counts(&outcome), (2, 0, 0), "{name}: {outcome:?}");
        assert_eq!(open_alerts(&b).await, vec![THEIRS]);
        let rows = b
            .store()
            .alerts_by_id(&[OPEN], &Scope::default())
            .await
            .expect("alert");
        let at = rows[0].acknowledged_at.expect("acknowledged_at set");
        assert!((Utc::now() - at).num_seconds().abs() < 30, "{name}: {at}");

        let records = b.audit_records().await;
        assert_eq!(records.len(), 2, "{name}");
        for r in &records {
            assert_eq!(
                (r.action.as_str(), r.target.table.as_str()),
                ("acknowledge", "system_alerts")
            );
            assert_eq!(r.result, AuditResult::Changed);
            assert_eq!(
                r.after.as_ref().map(|v| &v["acknowledged"]),
                Some(&json!(true))
            );
        }
        assert_eq!(b.audit_text().lines().count(), 2);

        // Acknowledged by someone else after the preview: skipped, not touched.
        let plan = acknowledge::plan(&env, ack(&[THEIRS])).await.expect("plan");
        assert_eq!(
            plan.summary(),
            "acknowledge alert \"Their alert\" (critical stuck_calls)"
        );
        let flag = match b.db {
            Db::Sqlite(_) => "1",
            Db::Pg(_) => "true",
        };
        b.execute(&format!(
            "UPDATE system_alerts SET acknowledged = {flag} WHERE id = '{THEIRS}'"
        ))
        .await;
        let outcome = acknowledge::apply(&env, &plan).await.expect("apply");
        assert_eq!(counts(&outcome), (0, 1, 0), "{name}");
        let records = b.audit_records().await;
        match &records[0].result {
            AuditResult::Skipped(why) => assert!(why.contains("someone else"), "{why}"),
            other => panic!("{name}: skipped, got {other:?}"),
        }
        let untouched = b
            .store()
            .alerts_by_id(&[THEIRS], &Scope::default())
            .await
            .expect("alert");
        assert_eq!(untouched[0].acknowledged_at, None, "{name}: not clobbered");
    }
}

#[tokio::test]
async fn acknowledge_scope_unknown_ids_and_read_only() {
    for b in Bench::both(&alerts()).await {
        let name = b.name();
        let mine = ActionContext {
            scope: Scope {
                user_id: Some(USER),
                org_id: None,
            },
            ..b.ctx()
        };
        let env = b.env_with(mine, b.config());
        let plan = acknowledge::plan(&env, ack(&[THEIRS])).await.expect("plan");
        assert_eq!(plan.items[0].step, AckStep::OutOfScope, "{name}");
        assert!(plan.target_unavailable() && !plan.will_change());
        let unknown = Uuid::from_u128(0x999);
        let plan = acknowledge::plan(&env, ack(&[OPEN, unknown]))
            .await
            .expect("plan");
        assert!(plan.target_unavailable(), "{name}: an unknown id is named");
        assert_eq!(
            plan.summary(),
            "acknowledge 1 alert; 1 unknown or outside the scope"
        );

        let env = b.env_with(b.read_only(), b.config());
        let plan = acknowledge::plan(&env, ack(&[OPEN])).await.expect("plan");
        let err = acknowledge::apply(&env, &plan)
            .await
            .expect_err("read-only refuses");
        assert!(
            matches!(err, ActionError::ReadOnly("acknowledge")),
            "{err:?}"
        );
        assert_eq!(open_alerts(&b).await, vec![OPEN, OPEN_TOO, THEIRS]);
        assert!(b.audit_records().await.is_empty());
        assert!(!b.audit_file().exists(), "{name}");
    }
}

/// Two consoles acknowledging the same alert at once: it changes once.
#[tokio::test]
async fn two_consoles_acknowledge_once() {
    let b = Bench::pg(&alerts()).await;
    let env = b.env();
    let plan = acknowledge::plan(&env, ack(&[OPEN, OPEN_TOO]))
        .await
        .expect("plan");
    let (first, second) = tokio::join!(
        acknowledge::apply(&env, &plan),
        acknowledge::apply(&env, &plan)
    );
    let (first, second) = (first.expect("first"), second.expect("second"));
    assert_eq!(first.changed + second.changed, 2, "{first:?} {second:?}");
    assert_eq!(first.skipped + second.skipped, 2);
}
