//! `launchdeck calls` against a real PostgreSQL loaded with the first-campaign data set.

#[path = "common/cli.rs"]
mod cli;

use std::collections::HashSet;
use std::process::Command;

use chrono::Utc;
use launchdeck_seed::{first_campaign, pg};
use launchdeck_testkit::TestDb;
use serde_json::Value;
use uuid::Uuid;

use cli::launchdeck;

async fn seeded_db() -> (TestDb, first_campaign::SeedFacts) {
    let db = TestDb::create().await;
    let (data, facts) = first_campaign::generate(Utc::now(), first_campaign::DEFAULT_SEED);
    pg::load(db.pool(), &data)
        .await
        .expect("load first-campaign seed");
    (db, facts)
}

fn ids_of(calls: &[Value], source: &str, stuck: bool) -> HashSet<Uuid> {
    calls
        .iter()
        .filter(|c| c["source"] == source && c["stuck"] == stuck)
        .map(|c| c["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn calls_json_lists_every_source_with_the_seeded_stuck_rows() {
    let (db, facts) = seeded_db().await;
    let out = launchdeck(db.url(), &["calls", "--json"]);
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(report["schema_version"], 1);
    let calls = report["calls"].as_array().expect("calls array");

    let stuck_queue = ids_of(calls, "broadcast_queue", true);
    let want: HashSet<Uuid> = facts
        .stale
        .broadcast_queue_calling
        .iter()
        .copied()
        .collect();
    assert_eq!(stuck_queue, want, "stuck broadcast_queue rows");
    assert_eq!(
        ids_of(calls, "broadcast_queue", false).len(),
        facts.stale.broadcast_queue_calling_fresh
    );
    let stuck_dials = ids_of(calls, "dialing_queues", true);
    let want: HashSet<Uuid> = facts.stale.dialing_queues_calling.iter().copied().collect();
    assert_eq!(stuck_dials, want, "stuck dialing_queues rows");
    let stuck_logs = ids_of(calls, "call_logs", true);
    for id in facts
        .stale
        .call_logs_without_provider_id
        .iter()
        .chain(&facts.stale.call_logs_past_max_duration)
    {
        assert!(stuck_logs.contains(id), "call_log {id} should be flagged");
    }

    // Stuck rows come first, then the oldest first (core's stuck::in_flight_order).
    let order: Vec<(bool, u64)> = calls
        .iter()
        .map(|c| (c["stuck"] == true, c["age_seconds"].as_u64().unwrap()))
        .collect();
    assert!(order.iter().any(|(stuck, _)| !stuck), "no live row seeded");
    for pair in order.windows(2) {
        assert!(pair[0] >= pair[1], "out of order: {pair:?} in {order:?}");
    }
    // Lead numbers are masked; every row has the documented keys.
    for c in calls {
        let phone = c["phone"].as_str().unwrap();
        assert!(phone.starts_with("••••"), "unmasked phone {phone}");
        for key in [
            "source",
            "id",
            "state",
            "age_seconds",
            "stuck",
            "provider_call_id",
        ] {
            assert!(c.get(key).is_some(), "missing {key} in {c}");
        }
        assert!(c.get("broadcast_id").is_some() || c.get("campaign_id").is_some());
    }
    db.drop_db().await;
}

#[tokio::test]
async fn calls_stuck_text_shows_only_stuck_rows() {
    let (db, facts) = seeded_db().await;
    let out = launchdeck(db.url(), &["calls", "--stuck", "--no-color"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for id in &facts.stale.broadcast_queue_calling {
        assert!(
            text.contains(&id.to_string()),
            "missing stuck row {id}:\n{text}"
        );
    }
    let rows = text
        .lines()
        .filter(|l| l.contains("broadcast_queue"))
        .count();
    assert_eq!(rows, facts.stale.broadcast_queue_calling.len());
    db.drop_db().await;
}

#[test]
fn unreachable_database_exits_2_without_leaking_the_password() {
    // Port 1 on loopback: nothing listens there.
    let url = "postgres://launchdeck:hunter2-canary-password@127.0.0.1:1/platform";
    let out = launchdeck(url, &["calls"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("database"), "stderr: {stderr}");
    assert!(!stderr.contains("hunter2-canary-password"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hunter2-canary-password"));
}

#[test]
fn no_database_configured_says_how_to_fix_it() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_launchdeck"))
        .args(["calls"])
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DATABASE_URL"), "stderr: {stderr}");
    assert!(stderr.contains("launchdeck demo"), "stderr: {stderr}");
}
