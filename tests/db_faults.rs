//! Database faults end to end (quality.md "Reliability", issue #11): the real binary
//! against a real PostgreSQL reached through a testkit `TcpProxy`, which takes the
//! database away, or stops a connection at a chosen statement so a fault lands exactly
//! there, every run:
//! - the console through an outage: the header says since when, the panels keep their
//!   rows and say how old they are, polling backs off, and the database's return is seen
//!   within 5 s;
//! - an action cut mid-way (cleanup of 500 rows, stop, token refresh): committed whole or
//!   not at all, and the exit code, the output and both audit copies say which — a
//!   COMMIT whose answer was lost included;
//! - a row another session holds: `lock_timeout`, a clear failure naming it, no hang.

#[path = "common/actions.rs"]
#[allow(dead_code)]
mod actions;
mod common;

use std::time::{Duration, Instant};

use actions::{
    BROADCAST, CAMPAIGN, CLEANUP_UPDATE, Env, GOOGLE_REFRESH_TOKEN, OLD_ACCESS_TOKEN, USER,
    calendar, code, google, stderr, stdout, stored_token, stuck_broadcast_rows, tenant, use_google,
    wait_held,
};
use chrono::{NaiveTime, Utc};
use common::pty::PtyApp;
use launchdeck_seed::{SeedData, first_campaign, pg};
use launchdeck_sim::fakes::{CANARY_GOOGLE_ACCESS_TOKEN, Route};
use launchdeck_testkit::{HoldAt, TcpProxy, TestDb, wait_until};
use serde_json::json;
use uuid::Uuid;

/// Generous deadline for a condition on a loaded 2-core machine.
const PATIENCE: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// The console through an outage
// ---------------------------------------------------------------------------

/// The header's age of the newest data: `data 42s old`, `data 1m03s old`.
fn data_age(screen: &str) -> Option<Duration> {
    let text = screen.split("data ").nth(1)?.split(" old").next()?;
    let (minutes, seconds) = match text.split_once('m') {
        Some((m, s)) => (m.parse::<u64>().ok()?, s),
        None => (0, text),
    };
    let seconds: u64 = seconds.strip_suffix('s')?.parse().ok()?;
    Some(Duration::from_secs(minutes * 60 + seconds))
}

/// The `HH:MM:SS` after "unreachable since ".
fn unreachable_since(screen: &str) -> Option<NaiveTime> {
    let rest = screen.split("unreachable since ").nth(1)?;
    NaiveTime::parse_from_str(rest.get(..8)?, "%H:%M:%S").ok()
}

/// Seconds from `earlier` to `later` on a 24 h clock face (the shorter way round).
fn clock_seconds_between(earlier: NaiveTime, later: NaiveTime) -> i64 {
    let day = 24 * 3600;
    let diff = (later - earlier).num_seconds().rem_euclid(day);
    if diff > day / 2 { diff - day } else { diff }
}

/// Reconnection attempts the proxy turned away between `from` and `to` after `start`.
fn attempts_between(proxy: &TcpProxy, start: Instant, from: Duration, to: Duration) -> usize {
    proxy
        .turned_away_at()
        .into_iter()
        .filter(|t| *t >= start + from && *t < start + to)
        .count()
}

#[test]
fn an_outage_keeps_the_panels_with_their_age_backs_off_and_is_over_within_5_s_of_the_return() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (db, facts, proxy) = rt.block_on(async {
        let db = TestDb::create().await;
        let (data, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
        pg::load(db.pool(), &data).await.expect("seed");
        let proxy = TcpProxy::start(db.server_addr()).await;
        (db, facts, proxy)
    });
    let url = db.url_via(&proxy);
    let home = tempfile::tempdir().expect("temp home");
    let home_path = home.path().to_str().expect("a UTF-8 temp path");
    // Readiness re-runs once an hour here: only the pollers reach the database during
    // the outage, so the attempts counted below are theirs.
    let env = [
        ("LAUNCHDECK_DATABASE_URL", url.as_str()),
        ("LAUNCHDECK_DATA_DIR", home_path),
        ("HOME", home_path),
        ("LAUNCHDECK_UI_TIMEZONE", "UTC"),
        ("LAUNCHDECK_POLL_READINESS_INTERVAL", "1h"),
    ];
    let mut app = PtyApp::spawn(&[], &env, 120, 40);
    let broadcast: String = facts.broadcast_a.name.chars().take(20).collect();
    app.wait_for("the Overview with its data", |s| {
        s.contains(&broadcast) && s.contains("DB ok")
    });

    let cut_at = Utc::now().time();
    let cut = Instant::now();
    rt.block_on(proxy.cut());
    let screen = app.wait_for_text("unreachable since");
    let since = unreachable_since(&screen).expect("unreachable since HH:MM:SS");
    let after_cut = clock_seconds_between(cut_at, since);
    assert!(
        (-1..=5).contains(&after_cut),
        "the header's time {since} is {after_cut} s from the cut at {cut_at}:\n{screen}"
    );

    // The panels keep their last rows, and say how old they are.
    let screen = app.wait_for("the data's age growing while unreachable", |s| {
        s.contains("unreachable since")
            && s.contains(&broadcast)
            && data_age(s).is_some_and(|age| age >= Duration::from_secs(5))
    });
    assert!(
        screen.contains("stuck"),
        "the in-flight counts stay:\n{screen}"
    );

    // Polling backs off: from 8 s after the cut the live poller (1 s interval) tries
    // every 4 s and the progress and alerts pollers (5 s) every 8 s, then 15 s. Between
    // 8 s and 24 s that is at most 5 + 3 + 3 attempts (9 measured); without backoff it
    // would be 16 from the live poller and 3 or 4 from each of the others.
    let late = cut + Duration::from_secs(24);
    let still_trying = rt.block_on(wait_until(Duration::from_secs(60), || async {
        proxy.turned_away_at().last().is_some_and(|t| *t >= late)
    }));
    assert!(still_trying, "the console stopped trying to reconnect");
    let attempts = attempts_between(&proxy, cut, Duration::from_secs(8), Duration::from_secs(24));
    assert!(
        (2..=12).contains(&attempts),
        "{attempts} reconnection attempts in 16 s late in the outage: expected a few, backed off"
    );
    assert!(app.screen_text().contains(&broadcast), "rows kept");

    // Back: the live poller's backoff is capped at 4 s, so the return is seen within 5 s;
    // the screen shows it once that poll's read is drawn (≤ 5 s + the 1 s live interval,
    // and 1 s more for the read and the frame on a loaded machine).
    proxy.restore();
    let restored = Instant::now();
    app.wait_for_text("DB ok");
    let shown = restored.elapsed();
    let reconnected = proxy
        .forwarded_at()
        .into_iter()
        .find(|t| *t >= restored)
        .map(|t| t - restored)
        .expect("a connection after the restore");
    assert!(
        reconnected <= Duration::from_secs(5),
        "reconnected {reconnected:?} after the database came back"
    );
    assert!(
        shown <= Duration::from_secs(7),
        "\"DB ok\" shown {shown:?} after the database came back"
    );

    app.send("q");
    assert_eq!(app.wait_exit(), Some(0));
    app.assert_terminal_restored();
    rt.block_on(db.drop_db());
}

// ---------------------------------------------------------------------------
// Actions cut mid-way
// ---------------------------------------------------------------------------

#[tokio::test]
async fn a_cleanup_cut_before_its_commit_writes_nothing_and_says_so() {
    let (env, proxy) = Env::through_proxy(&stuck_broadcast_rows(500)).await;
    proxy.hold(HoldAt::text(CLEANUP_UPDATE));
    let mut running = env.start(&["cleanup", "--yes"]);
    wait_held(&proxy, 1, &mut running).await;
    proxy.cut().await;
    let out = running.output().await;

    assert_eq!(code(&out), Some(1), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("changed 0, skipped 0, failed 500"), "{text}");
    assert!(text.contains("nothing was written"), "{text}");
    assert!(!text.contains("audited in launchdeck.audit_log"), "{text}");
    assert!(
        stderr(&out).contains("not written to the database"),
        "{}",
        stderr(&out)
    );
    proxy.restore();
    assert_eq!(env.count("broadcast_queue", "calling").await, 500);
    assert!(
        env.audit_rows().await.is_empty(),
        "the database was gone at result time"
    );
    let results = env.audit_file_results();
    assert_eq!(results.len(), 500, "every row audited in audit.jsonl");
    assert!(
        results
            .iter()
            .all(|r| r.starts_with("failed: ") && r.contains("nothing was written")),
        "{:?}",
        results.first()
    );
}

#[tokio::test]
async fn a_cleanup_whose_commit_answer_is_lost_finds_out_it_committed_and_says_changed() {
    let (env, proxy) = Env::through_proxy(&stuck_broadcast_rows(500)).await;
    proxy.hold(HoldAt::text("COMMIT").after(CLEANUP_UPDATE));
    let mut running = env.start(&["cleanup", "--yes"]);
    wait_held(&proxy, 1, &mut running).await;
    // The server gets the COMMIT; its answer never reaches launchdeck, and the database
    // stays away until launchdeck has tried to ask what became of it.
    proxy.deliver_held_and_cut().await;
    let asked = wait_until(PATIENCE, || async { !proxy.turned_away_at().is_empty() }).await;
    assert!(asked, "launchdeck did not try to reach the database again");
    proxy.restore();
    let out = running.output().await;

    assert_eq!(code(&out), Some(0), "stdout: {}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("changed 500, skipped 0, failed 0; audited"),
        "{text}"
    );
    assert_eq!(env.count("broadcast_queue", "pending").await, 500);
    let audited = env.audit_rows().await;
    assert_eq!(audited.len(), 500);
    assert!(audited.iter().all(|r| r.3 == "changed"), "{:?}", audited[0]);
    let results = env.audit_file_results();
    assert_eq!(results.len(), 500);
    assert!(results.iter().all(|r| r == "changed"), "{:?}", results[0]);
    assert!(
        env.log_file().contains("the COMMIT's answer was lost"),
        "the log says what happened"
    );
}

async fn campaign_status(env: &Env) -> String {
    sqlx::query_scalar("SELECT status FROM campaigns WHERE id = $1")
        .bind(CAMPAIGN)
        .fetch_one(env.db.pool())
        .await
        .expect("campaign status")
}

async fn stop_rows(env: &Env) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM contact_stop_controls WHERE campaign_id = $1")
        .bind(CAMPAIGN)
        .fetch_one(env.db.pool())
        .await
        .expect("stop rows")
}

fn stop_args() -> Vec<String> {
    [
        "stop",
        "--campaign",
        &CAMPAIGN.to_string(),
        "--confirm",
        "Renewals",
    ]
    .map(String::from)
    .to_vec()
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[tokio::test]
async fn a_stop_cut_between_its_pause_and_its_stop_row_writes_neither() {
    let (env, proxy) = Env::through_proxy(&tenant()).await;
    // The pause has run in the transaction; the stop row's INSERT never arrives.
    proxy.hold(HoldAt::text("INSERT INTO contact_stop_controls"));
    let args = stop_args();
    let mut running = env.start(&strs(&args));
    wait_held(&proxy, 1, &mut running).await;
    proxy.cut().await;
    let out = running.output().await;

    assert_eq!(code(&out), Some(1), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("changed 0, skipped 0, failed 2"), "{text}");
    assert!(text.contains("nothing was written"), "{text}");
    proxy.restore();
    assert_eq!(
        campaign_status(&env).await,
        "active",
        "no pause without its row"
    );
    assert_eq!(stop_rows(&env).await, 0);
    let results = env.audit_file_results();
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| r.starts_with("failed: ") && r.contains("nothing was written")),
        "{results:?}"
    );
}

#[tokio::test]
async fn a_stop_whose_commit_answer_is_lost_finds_out_it_committed() {
    let (env, proxy) = Env::through_proxy(&tenant()).await;
    proxy.hold(HoldAt::text("COMMIT").after("INSERT INTO contact_stop_controls"));
    let args = stop_args();
    let mut running = env.start(&strs(&args));
    wait_held(&proxy, 1, &mut running).await;
    proxy.deliver_held_and_cut().await;
    let asked = wait_until(PATIENCE, || async { !proxy.turned_away_at().is_empty() }).await;
    assert!(asked, "launchdeck did not try to reach the database again");
    proxy.restore();
    let out = running.output().await;

    assert_eq!(
        code(&out),
        Some(0),
        "stdout: {}\nstderr: {}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("changed 2, skipped 0, failed 0; audited"),
        "{}",
        stdout(&out)
    );
    assert_eq!(campaign_status(&env).await, "paused");
    assert_eq!(stop_rows(&env).await, 1);
    let audited: Vec<String> = env.audit_rows().await.into_iter().map(|r| r.3).collect();
    assert_eq!(audited, ["changed", "changed"]);
    assert_eq!(env.audit_file_results(), ["changed", "changed"]);
}

const DUE: Uuid = Uuid::from_u128(0x701);

/// Every token of these tests, plain and as stored, for the no-leak checks.
fn tokens() -> [String; 4] {
    [
        CANARY_GOOGLE_ACCESS_TOKEN.to_string(),
        actions::b64(&CANARY_GOOGLE_ACCESS_TOKEN[..CANARY_GOOGLE_ACCESS_TOKEN.len() / 3 * 3]),
        GOOGLE_REFRESH_TOKEN.to_string(),
        OLD_ACCESS_TOKEN.to_string(),
    ]
}

#[tokio::test]
async fn a_token_granted_but_not_stored_is_reported_never_lost_silently() {
    let google = google().await;
    let (mut env, proxy) = Env::through_proxy(&calendar(DUE, GOOGLE_REFRESH_TOKEN, 120)).await;
    use_google(&mut env, &google);
    proxy.hold(HoldAt::text("UPDATE calendar_integrations"));
    let mut running = env.start(&["refresh-tokens", "--yes"]);
    wait_held(&proxy, 1, &mut running).await;
    proxy.cut().await;
    let out = running.output().await;

    assert_eq!(google.faults().count(&Route::post("/token")), 1, "granted");
    assert_eq!(code(&out), Some(1), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Google granted a new access token, but storing it failed"),
        "{text}"
    );
    assert!(text.contains("nothing was written"), "{text}");
    assert!(
        text.contains("run `launchdeck refresh-tokens` again"),
        "{text}"
    );
    proxy.restore();
    let (token, _, _) = stored_token(&env, DUE).await;
    assert_eq!(token, OLD_ACCESS_TOKEN, "nothing half-written");
    let results = env.audit_file_results();
    assert_eq!(results.len(), 1);
    assert!(
        results[0].contains("Google granted a new access token"),
        "{results:?}"
    );
    let printed = [stdout(&out), stderr(&out), env.audit_file(), env.log_file()];
    for token in tokens() {
        for text in &printed {
            assert!(!text.contains(&token), "a token was printed: {text}");
        }
    }

    // Told to, the operator runs it again: the token is stored.
    let out = env.run(&["refresh-tokens", "--yes"]).await;
    assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
    let (token, _, _) = stored_token(&env, DUE).await;
    assert!(token.starts_with(CANARY_GOOGLE_ACCESS_TOKEN), "stored");
}

// ---------------------------------------------------------------------------
// A row another session holds: lock_timeout
// ---------------------------------------------------------------------------

const ALERT: Uuid = Uuid::from_u128(0x901);

fn with_alert() -> SeedData {
    let mut data = tenant();
    data.table("system_alerts").push(json!({
        "id": ALERT, "user_id": USER, "alert_type": "stuck_calls", "severity": "critical",
        "title": "Stuck calls", "message": "3 calls stuck",
    }));
    data
}

/// Runs `args` while another session holds `lock` (a `SELECT … FOR UPDATE` of the row
/// the action writes) and checks the action gives up on it: exit 1 (a failed row), a
/// message naming lock_timeout and saying nothing was written, audited as failed, and
/// an end within the bound ([`actions::FINISH_DEADLINE`]) instead of a hang.
async fn assert_gives_up_on_a_locked_row(env: &Env, lock: &str, args: &[&str]) -> String {
    let mut holder = env.db.pool().begin().await.expect("begin");
    sqlx::query(sqlx::AssertSqlSafe(lock.to_string()))
        .execute(&mut *holder)
        .await
        .expect("lock the row");
    let started = Instant::now();
    let out = env.start(args).output().await;
    holder.rollback().await.expect("release the row");

    assert_eq!(code(&out), Some(1), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("lock_timeout (2s)"), "{text}");
    assert!(text.contains("nothing was written"), "{text}");
    let results = env.audit_file_results();
    assert!(
        !results.is_empty() && results.iter().all(|r| r.contains("lock_timeout")),
        "{results:?}"
    );
    assert!(
        env.audit_rows()
            .await
            .iter()
            .all(|r| r.3.starts_with("failed")),
        "audited as failed"
    );
    assert!(
        started.elapsed() < actions::FINISH_DEADLINE,
        "gave up within the bound"
    );
    text
}

#[tokio::test]
async fn pause_gives_up_on_a_locked_row_after_lock_timeout() {
    let env = Env::new(&tenant()).await;
    let lock = format!("SELECT 1 FROM voice_broadcasts WHERE id = '{BROADCAST}' FOR UPDATE");
    let broadcast = BROADCAST.to_string();
    assert_gives_up_on_a_locked_row(&env, &lock, &["pause", "--broadcast", &broadcast, "--yes"])
        .await;
    let status: String = sqlx::query_scalar("SELECT status FROM voice_broadcasts WHERE id = $1")
        .bind(BROADCAST)
        .fetch_one(env.db.pool())
        .await
        .expect("status");
    assert_eq!(status, "active");
}

#[tokio::test]
async fn stop_gives_up_on_a_locked_row_after_lock_timeout() {
    let env = Env::new(&tenant()).await;
    let lock = format!("SELECT 1 FROM campaigns WHERE id = '{CAMPAIGN}' FOR UPDATE");
    let args = stop_args();
    assert_gives_up_on_a_locked_row(&env, &lock, &strs(&args)).await;
    assert_eq!(campaign_status(&env).await, "active");
    assert_eq!(stop_rows(&env).await, 0, "no stop row without its pause");
}

#[tokio::test]
async fn acknowledge_gives_up_on_a_locked_row_after_lock_timeout() {
    let env = Env::new(&with_alert()).await;
    let lock = format!("SELECT 1 FROM system_alerts WHERE id = '{ALERT}' FOR UPDATE");
    let alert = ALERT.to_string();
    assert_gives_up_on_a_locked_row(&env, &lock, &["acknowledge", &alert, "--yes"]).await;
    let acknowledged: Option<bool> =
        sqlx::query_scalar("SELECT acknowledged FROM system_alerts WHERE id = $1")
            .bind(ALERT)
            .fetch_one(env.db.pool())
            .await
            .expect("acknowledged");
    assert_eq!(acknowledged, Some(false));
}

#[tokio::test]
async fn refresh_tokens_gives_up_on_a_locked_row_and_says_the_grant_was_not_stored() {
    let google = google().await;
    let mut env = Env::new(&calendar(DUE, GOOGLE_REFRESH_TOKEN, 120)).await;
    use_google(&mut env, &google);
    let lock = format!("SELECT 1 FROM calendar_integrations WHERE id = '{DUE}' FOR UPDATE");
    let text = assert_gives_up_on_a_locked_row(&env, &lock, &["refresh-tokens", "--yes"]).await;
    assert!(
        text.contains("Google granted a new access token, but storing it failed"),
        "{text}"
    );
    let (token, _, _) = stored_token(&env, DUE).await;
    assert_eq!(token, OLD_ACCESS_TOKEN);
}
