//! `[database] read_url` against a real streaming replica of the test cluster
//! (scripts/test starts one: `$LAUNCHDECK_TEST_PG_REPLICA_URL`): reads go to the replica
//! while it keeps up and to the primary when it lags or is gone, the header says which,
//! and actions plan and write on the primary whatever the replica shows.
//!
//! One test, run in steps: pausing the replica's replay would disturb a second test
//! reading it at the same time.

#[allow(dead_code)] // the cursor helpers are for other tests
mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use chrono::Utc;
use launchdeck_seed::{first_campaign, pg};
use launchdeck_testkit::{TestDb, wait_until};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use common::pty::PtyApp;

const WAIT: Duration = Duration::from_secs(30);
const REPLICA_PASSWORD: &str = "s3cr3t-replica-pw";

fn replica_base() -> String {
    std::env::var("LAUNCHDECK_TEST_PG_REPLICA_URL").expect(
        "LAUNCHDECK_TEST_PG_REPLICA_URL is not set: run the tests with scripts/test (it starts a replica)",
    )
}

/// The replica's URL for the database `name`.
fn replica_url(name: &str) -> String {
    let base = replica_base();
    let (server, _) = base.rsplit_once('/').expect("a URL with a database");
    format!("{server}/{name}")
}

/// A closed loopback port: a replica that is not there.
fn absent_replica() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    format!("postgres://postgres:{REPLICA_PASSWORD}@127.0.0.1:{port}/postgres")
}

fn run(db: &TestDb, read_url: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("temp home");
    let mut command = Command::new(env!("CARGO_BIN_EXE_launchdeck"));
    command
        .args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("LAUNCHDECK_DATA_DIR", home.path().join("data"))
        .env("LAUNCHDECK_DATABASE_URL", db.url())
        .env("LAUNCHDECK_DATABASE_READ_URL", read_url)
        .env("LANG", "C.UTF-8");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run launchdeck")
}

fn calls_ids(out: &Output) -> Vec<Uuid> {
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    report["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(|c| c["id"].as_str()?.parse().ok())
        .collect()
}

async fn replayed_up_to_now(primary: &PgPool, replica_admin: &PgPool) {
    let lsn: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(primary)
        .await
        .expect("primary lsn");
    let caught_up = wait_until(WAIT, || async {
        sqlx::query_scalar::<_, bool>("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn")
            .bind(&lsn)
            .fetch_one(replica_admin)
            .await
            .unwrap_or(false)
    })
    .await;
    assert!(caught_up, "the replica did not replay up to {lsn}");
}

/// The replica has received (not replayed) everything the primary wrote so far, and its
/// replay is `secs` behind, as launchdeck measures it.
async fn behind_by(primary: &PgPool, replica_admin: &PgPool, secs: f64) -> bool {
    let Ok(lsn) = sqlx::query_scalar::<_, String>("SELECT pg_current_wal_flush_lsn()::text")
        .fetch_one(primary)
        .await
    else {
        return false;
    };
    sqlx::query_scalar::<_, bool>(
        "SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn
            AND pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()
            AND extract(epoch FROM now() - pg_last_xact_replay_timestamp()) > $2",
    )
    .bind(lsn)
    .bind(secs)
    .fetch_one(replica_admin)
    .await
    .unwrap_or(false)
}

fn console(db: &TestDb, read_url: &str, home: &Path) -> PtyApp {
    let home = home.to_str().expect("a UTF-8 temp path");
    PtyApp::spawn(
        &[],
        &[
            ("LAUNCHDECK_DATABASE_URL", db.url()),
            ("LAUNCHDECK_DATABASE_READ_URL", read_url),
            ("LAUNCHDECK_DATA_DIR", home),
            ("HOME", home),
        ],
        160,
        40,
    )
}

#[test]
fn reads_follow_the_replica_while_it_keeps_up_and_actions_use_the_primary() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (db, replica_admin) = rt.block_on(async {
        let db = TestDb::create().await;
        let (data, _) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
        pg::load(db.pool(), &data).await.expect("seed");
        let replica_admin = PgPool::connect(&replica_base()).await.expect("replica");
        replayed_up_to_now(db.pool(), &replica_admin).await;
        (db, replica_admin)
    });
    let replica = replica_url(db.name());

    // The console reads the replica and says so; with the replica gone it reads the
    // primary and says why.
    let home = tempfile::tempdir().unwrap();
    let mut app = console(&db, &replica, home.path());
    app.wait_for_text("replica lag");
    app.wait_for_text("Spring");
    app.send("q");
    app.wait_exit();
    app.assert_terminal_restored();
    let mut app = console(&db, &absent_replica(), home.path());
    let screen = app.wait_for_text("primary: replica unreachable");
    assert!(screen.contains("Spring"), "the primary's data: {screen}");
    assert!(
        !screen.contains("postgres://"),
        "no URL on screen: {screen}"
    );
    app.send("q");
    app.wait_exit();
    app.assert_terminal_restored();
    let raw = String::from_utf8_lossy(&app.raw_output()).into_owned();
    assert!(
        !raw.contains(REPLICA_PASSWORD),
        "the replica's password never reaches the terminal"
    );
    let log = std::fs::read_to_string(home.path().join("launchdeck.log")).expect("the log");
    assert!(!log.contains(REPLICA_PASSWORD), "nor the log: {log}");
    assert!(
        log.contains("reading from the primary"),
        "the log says why: {log}"
    );

    // Replay paused: a call that starts on the primary is not on the replica.
    let (call, broadcast) = rt.block_on(async {
        sqlx::query("SELECT pg_wal_replay_pause()")
            .execute(&replica_admin)
            .await
            .expect("pause replay");
        let call: Uuid = sqlx::query_scalar(
            "UPDATE broadcast_queue SET status = 'calling', updated_at = now()
              WHERE id = (SELECT id FROM broadcast_queue WHERE status = 'pending'
                           ORDER BY id LIMIT 1)
             RETURNING id",
        )
        .fetch_one(db.pool())
        .await
        .expect("a call starts");
        let broadcast: Uuid = sqlx::query_scalar(
            "INSERT INTO voice_broadcasts (user_id, name, status, message_text)
             SELECT user_id, 'Replica test', 'active', 'Hello' FROM voice_broadcasts LIMIT 1
             RETURNING id",
        )
        .fetch_one(db.pool())
        .await
        .expect("a broadcast created");
        let lagging = wait_until(WAIT, || async {
            behind_by(db.pool(), &replica_admin, 2.0).await
        })
        .await;
        assert!(lagging, "the paused replica should fall behind");
        (call, broadcast)
    });

    // Within the allowed lag the reads come from the replica: the call is not seen.
    let patient = [("LAUNCHDECK_DATABASE_MAX_REPLICA_LAG", "1h")];
    let ids = calls_ids(&run(&db, &replica, &patient, &["calls", "--json"]));
    assert!(!ids.contains(&call), "read from the replica");
    // Past it they come from the primary.
    let strict = [("LAUNCHDECK_DATABASE_MAX_REPLICA_LAG", "1s")];
    let ids = calls_ids(&run(&db, &replica, &strict, &["calls", "--json"]));
    assert!(ids.contains(&call), "read from the primary");
    // An action plans and writes on the primary whatever the replica shows.
    let id = broadcast.to_string();
    let out = run(
        &db,
        &replica,
        &patient,
        &["pause", "--broadcast", &id, "--yes"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    rt.block_on(async {
        let status: String =
            sqlx::query_scalar("SELECT status FROM voice_broadcasts WHERE id = $1")
                .bind(broadcast)
                .fetch_one(db.pool())
                .await
                .expect("status");
        assert_eq!(status, "paused");
        sqlx::query("SELECT pg_wal_replay_resume()")
            .execute(&replica_admin)
            .await
            .expect("resume replay");
        replayed_up_to_now(db.pool(), &replica_admin).await;
    });
}
