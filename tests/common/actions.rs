//! The action commands run as the real binary against a test PostgreSQL database (the
//! platform fixture), with a home, a data dir and the environment the binary gets, and
//! what they wrote read back: the rows, `launchdeck.audit_log`, `audit.jsonl`. The Google
//! fake's calendar set-up is here too, for the token refresh.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use launchdeck_seed::{SeedData, pg};
use launchdeck_sim::fakes::{GoogleFake, GoogleState};
use launchdeck_testkit::{TcpProxy, TestDb, wait_until};
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;
use tempfile::TempDir;
use uuid::Uuid;

pub const USER: Uuid = Uuid::from_u128(0xa1);
pub const ORG: Uuid = Uuid::from_u128(0xa0);
pub const BROADCAST: Uuid = Uuid::from_u128(0x100);
pub const CAMPAIGN: Uuid = Uuid::from_u128(0x200);

/// Row `n` of a test's own rows (statuses are read back by this number).
pub fn row(n: u128) -> Uuid {
    Uuid::from_u128(0x1000 + n)
}

pub fn phone(n: u128) -> String {
    format!("+1415555{:04}", n % 10_000)
}

pub fn ago(secs: i64) -> String {
    (Utc::now() - chrono::Duration::seconds(secs)).to_rfc3339()
}

pub fn b64(text: &str) -> String {
    BASE64.encode(text)
}

/// A cleanup's first statement (broadcast_queue's rows are written first).
pub const CLEANUP_UPDATE: &str = "UPDATE broadcast_queue bq";

/// The tenant with `n` broadcast rows `calling` for 10 minutes, none known to a
/// provider: a cleanup sets each back to `pending` (attempt 0 of 2).
pub fn stuck_broadcast_rows(n: u128) -> SeedData {
    let mut data = tenant();
    for i in 1..=n {
        data.table("broadcast_queue").push(json!({
            "id": row(i), "broadcast_id": BROADCAST, "phone_number": phone(i),
            "status": "calling", "attempts": 0, "max_attempts": 2,
            "created_at": ago(660), "updated_at": ago(600),
        }));
    }
    data
}

/// USER in ORG, a campaign "Renewals" and a broadcast "Spring promo", both active.
pub fn tenant() -> SeedData {
    let mut data = SeedData::with_owner(USER, ORG);
    data.table("campaigns").push(json!({
        "id": CAMPAIGN, "user_id": USER, "organization_id": ORG, "name": "Renewals",
        "status": "active",
    }));
    data.table("voice_broadcasts").push(json!({
        "id": BROADCAST, "user_id": USER, "name": "Spring promo", "status": "active",
        "message_text": "Hello",
    }));
    data
}

/// A database, a home and data dir, and the environment the binary gets.
pub struct Env {
    pub db: TestDb,
    home: TempDir,
    vars: Vec<(String, String)>,
    /// The URL the binary connects to: the database's own, or one through a proxy.
    url: String,
}

impl Env {
    /// The binary will reach the database through a fresh proxy, returned with it.
    pub async fn through_proxy(data: &SeedData) -> (Env, TcpProxy) {
        let mut env = Env::new(data).await;
        let proxy = TcpProxy::start(env.db.server_addr()).await;
        env.url = env.db.url_via(&proxy);
        (env, proxy)
    }

    pub async fn new(data: &SeedData) -> Env {
        let db = TestDb::create().await;
        pg::load(db.pool(), data).await.expect("seed");
        let url = db.url().to_string();
        Env {
            db,
            home: tempfile::tempdir().expect("temp home"),
            vars: Vec::new(),
            url,
        }
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.vars.push((name.to_string(), value.to_string()));
    }

    pub fn data_dir(&self) -> PathBuf {
        self.home.path().join("data")
    }

    /// The variables the binary gets (besides `LANG`, and `TERM` in a pty).
    pub fn vars(&self) -> Vec<(String, String)> {
        let path = |p: PathBuf| p.to_string_lossy().into_owned();
        let mut vars = vec![
            ("HOME".to_string(), path(self.home.path().to_path_buf())),
            (
                "XDG_CONFIG_HOME".to_string(),
                path(self.home.path().join("config")),
            ),
            ("LAUNCHDECK_DATA_DIR".to_string(), path(self.data_dir())),
            ("LAUNCHDECK_DATABASE_URL".to_string(), self.url.clone()),
            ("LAUNCHDECK_LOGGING_LEVEL".to_string(), "trace".to_string()),
        ];
        vars.extend(self.vars.iter().cloned());
        vars
    }

    /// The binary with `args` and this environment, not started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_launchdeck"));
        command
            .args(args)
            .env_clear()
            .env("LANG", "C.UTF-8")
            .envs(self.vars());
        command
    }

    /// Runs the binary off the async runtime, so the fakes in this process keep serving.
    pub async fn run(&self, args: &[&str]) -> Output {
        let mut command = self.command(args);
        tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("join")
            .expect("run launchdeck")
    }

    /// Starts the binary in the background (its output collected), for a test that acts
    /// while it runs.
    pub fn start(&self, args: &[&str]) -> Started {
        let child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start launchdeck");
        Started { child }
    }

    /// (n, status) of the rows of `table`, numbered as [`row`] numbers them.
    pub async fn statuses(&self, table: &str) -> Vec<(u128, String)> {
        let rows: Vec<(Uuid, String)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT id, status FROM {table} ORDER BY id"
        )))
        .fetch_all(self.db.pool())
        .await
        .expect("read statuses");
        rows.into_iter()
            .map(|(id, status)| (id.as_u128() - 0x1000, status))
            .collect()
    }

    /// How many rows of `table` have `status`.
    pub async fn count(&self, table: &str, status: &str) -> i64 {
        sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT count(*) FROM {table} WHERE status = $1"
        )))
        .bind(status)
        .fetch_one(self.db.pool())
        .await
        .expect("count rows")
    }

    /// (action, target_table, target_id, result) of every audit row, oldest first.
    pub async fn audit_rows(&self) -> Vec<(String, String, Uuid, String)> {
        if !self.has_launchdeck_schema().await {
            return Vec::new();
        }
        sqlx::query_as(
            "SELECT action, target_table, target_id, result FROM launchdeck.audit_log \
             ORDER BY at, target_id",
        )
        .fetch_all(self.db.pool())
        .await
        .expect("read launchdeck.audit_log")
    }

    pub async fn has_launchdeck_schema(&self) -> bool {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'launchdeck')",
        )
        .fetch_one(self.db.pool())
        .await
        .expect("pg_namespace")
    }

    pub fn audit_file(&self) -> String {
        std::fs::read_to_string(self.data_dir().join("audit.jsonl")).unwrap_or_default()
    }

    /// The `result` of every record in `audit.jsonl`.
    pub fn audit_file_results(&self) -> Vec<String> {
        self.audit_file()
            .lines()
            .map(|line| {
                let record: Value = serde_json::from_str(line).expect("a JSON record per line");
                record["result"].as_str().expect("a result").to_string()
            })
            .collect()
    }

    pub fn log_file(&self) -> String {
        std::fs::read_to_string(self.data_dir().join("launchdeck.log")).unwrap_or_default()
    }
}

/// How long a started command may take to finish: generous for a loaded 2-core machine,
/// and a bound, so a hang fails the test instead of stalling it.
pub const FINISH_DEADLINE: Duration = Duration::from_secs(60);

/// A command running in the background.
pub struct Started {
    child: Child,
}

impl Started {
    /// Sends `signal` to the process, as `kill` would.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = i32::try_from(self.child.id()).expect("pid fits");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal).expect("send the signal");
    }

    /// Whether the process has ended.
    pub fn has_exited(&mut self) -> bool {
        self.child.try_wait().expect("poll the child").is_some()
    }

    /// Waits for the end, at most [`FINISH_DEADLINE`] (then kills it and fails), off the
    /// async runtime so the fakes in this process keep serving.
    pub async fn output(self) -> Output {
        let pid = i32::try_from(self.child.id()).expect("pid fits");
        let child = self.child;
        let waiting = tokio::task::spawn_blocking(move || child.wait_with_output());
        match tokio::time::timeout(FINISH_DEADLINE, waiting).await {
            Ok(out) => out.expect("join").expect("wait for launchdeck"),
            Err(_) => {
                let pid = nix::unistd::Pid::from_raw(pid);
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
                panic!("launchdeck did not finish within {FINISH_DEADLINE:?}: it hangs")
            }
        }
    }
}

/// Waits until `n` connections are held at `proxy`; fails if the command ended first.
pub async fn wait_held(proxy: &TcpProxy, n: usize, running: &mut Started) {
    let held = wait_until(Duration::from_secs(30), || {
        let done = proxy.held() >= n || running.has_exited();
        async move { done }
    })
    .await;
    assert!(
        proxy.held() >= n,
        "{n} connection(s) held at the proxy expected, {} held (waited: {held}, ended: {})",
        proxy.held(),
        running.has_exited()
    );
}

pub fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {} stderr {}", stdout(out), stderr(out)))
}

// ---------------------------------------------------------------------------
// Google calendars and the Google fake
// ---------------------------------------------------------------------------

pub const GOOGLE_CLIENT_ID: &str = "5678-cli-test.apps.googleusercontent.com";
pub const GOOGLE_CLIENT_SECRET: &str = "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4";
pub const GOOGLE_REFRESH_TOKEN: &str = "1//cli0canary0refresh0token0ee55";
pub const REVOKED_REFRESH_TOKEN: &str = "1//cli0canary0revoked0refresh0ff66";
pub const OLD_ACCESS_TOKEN: &str = "ya29.cli0canary0old0access0token0gg77";
pub const CAL_USER: Uuid = Uuid::from_u128(0xa2);

/// One Google integration expiring in `expires_in_secs`, refreshed with `refresh_token`.
pub fn calendar(id: Uuid, refresh_token: &str, expires_in_secs: i64) -> SeedData {
    let mut data = tenant();
    data.table("auth.users").push(json!({"id": CAL_USER}));
    data.table("organization_users")
        .push(json!({"organization_id": ORG, "user_id": CAL_USER, "role": "member"}));
    data.table("calendar_integrations").push(json!({
        "id": id, "user_id": CAL_USER, "provider": "google",
        "provider_account_email": "calendar@example.com", "calendar_id": "primary",
        "access_token_encrypted": b64(OLD_ACCESS_TOKEN),
        "refresh_token_encrypted": b64(refresh_token),
        "token_expires_at": (Utc::now() + chrono::Duration::seconds(expires_in_secs)).to_rfc3339(),
    }));
    data
}

/// The Google fake: GOOGLE_REFRESH_TOKEN is granted, REVOKED_REFRESH_TOKEN refused.
pub async fn google() -> GoogleFake {
    let state = GoogleState::new(GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN);
    state.add_refresh_token(REVOKED_REFRESH_TOKEN, GOOGLE_CLIENT_ID);
    state.revoke_refresh_token(REVOKED_REFRESH_TOKEN);
    GoogleFake::start(state).await.expect("google fake")
}

pub fn use_google(env: &mut Env, google: &GoogleFake) {
    env.set("LAUNCHDECK_GOOGLE_TOKEN_URL", &google.token_url());
    env.set(
        "LAUNCHDECK_GOOGLE_CALENDAR_BASE_URL",
        &google.calendar_base_url(),
    );
    env.set("GOOGLE_CLIENT_ID", GOOGLE_CLIENT_ID);
    env.set("GOOGLE_CLIENT_SECRET", GOOGLE_CLIENT_SECRET);
}

/// The stored access token (decoded), its expiry and `sync_errors`.
pub async fn stored_token(env: &Env, id: Uuid) -> (String, Option<DateTime<Utc>>, Value) {
    let (token, expires, errors): (String, Option<DateTime<Utc>>, Value) = sqlx::query_as(
        "SELECT access_token_encrypted, token_expires_at, sync_errors \
         FROM calendar_integrations WHERE id = $1",
    )
    .bind(id)
    .fetch_one(env.db.pool())
    .await
    .expect("read calendar_integrations");
    let plain = BASE64.decode(token.trim()).expect("stored as base64");
    (String::from_utf8(plain).expect("UTF-8"), expires, errors)
}
