//! Two `launchdeck` processes running the same action at the same moment against one
//! PostgreSQL (quality.md "Reliability": two consoles cleaning the same stuck set change
//! each row once, their counts add up, both are audited). Both reach the database
//! through a testkit `TcpProxy` that holds each at the same statement until both are
//! there, then lets them go together: truly concurrent every run.
//!
//! Each action: every row changed exactly once, the two processes' changed counts add up
//! to the rows and the rest are skips saying someone else changed them (never a
//! failure), and both processes' records are in `launchdeck.audit_log` and `audit.jsonl`.

#[path = "common/actions.rs"]
#[allow(dead_code)]
mod actions;

use std::collections::HashMap;
use std::process::Output;
use std::time::Duration;

use actions::{
    BROADCAST, CAMPAIGN, Env, GOOGLE_REFRESH_TOKEN, ORG, Started, USER, ago, calendar, code,
    google, json_of, phone, row, stderr, stored_token, tenant, use_google,
};
use launchdeck_seed::SeedData;
use launchdeck_sim::fakes::{CANARY_GOOGLE_ACCESS_TOKEN, Route};
use launchdeck_testkit::{HoldAt, TcpProxy, wait_until};
use serde_json::{Value, json};
use uuid::Uuid;

/// Generous deadline for both processes to reach the held statement.
const PATIENCE: Duration = Duration::from_secs(30);

/// Starts `args` twice, holds both processes at `at` until both are there, lets them go
/// together, and returns both outputs.
async fn twice_at_once(env: &Env, proxy: &TcpProxy, at: HoldAt, args: &[&str]) -> [Output; 2] {
    proxy.hold(at);
    let mut first = env.start(args);
    let mut second = env.start(args);
    let both = wait_until(PATIENCE, || {
        let ended = first.has_exited() || second.has_exited();
        let held = proxy.held() == 2;
        async move { held || ended }
    })
    .await;
    assert_eq!(
        proxy.held(),
        2,
        "both processes held at the same statement (waited: {both})"
    );
    proxy.release();
    [finish(first).await, finish(second).await]
}

async fn finish(started: Started) -> Output {
    started.output().await
}

/// `(changed, skipped, failed)` of a `--json` result.
fn counts(out: &Output) -> (u64, u64, u64) {
    let result = json_of(out);
    let n = |key: &str| {
        result[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: {result}"))
    };
    (n("changed"), n("skipped"), n("failed"))
}

/// Checks the two results add up to `rows` changed once, the rest skipped with a reason
/// from `skip_says`, nothing failed; returns every (id, result) the two reported.
fn assert_add_up(outs: &[Output; 2], rows: u64, skip_says: &str) -> Vec<(String, String)> {
    let mut reported = Vec::new();
    let (mut changed, mut skipped) = (0, 0);
    for out in outs {
        let (c, s, f) = counts(out);
        assert_eq!(f, 0, "no failure: {}", stderr(out));
        let expected_exit = if s == 0 { 0 } else { 1 };
        assert_eq!(code(out), Some(expected_exit), "stderr: {}", stderr(out));
        (changed, skipped) = (changed + c, skipped + s);
        for r in json_of(out)["rows"].as_array().expect("rows") {
            let result = r["result"].as_str().expect("result").to_string();
            if let Some(why) = result.strip_prefix("skipped: ") {
                assert!(why.contains(skip_says), "{why}");
            }
            reported.push((r["id"].as_str().expect("id").to_string(), result));
        }
    }
    assert_eq!(
        (changed, skipped),
        (rows, rows),
        "each row changed by one process and skipped by the other"
    );
    reported
}

/// Every row changed exactly once across both processes, and each process's records
/// are in both audit copies.
async fn assert_audited_once_each(env: &Env, action: &str, reported: &[(String, String)]) {
    let changed_per_row = |results: &mut dyn Iterator<Item = (String, String)>| {
        let mut per_row: HashMap<String, usize> = HashMap::new();
        for (id, result) in results {
            *per_row.entry(id).or_default() += usize::from(result == "changed");
        }
        per_row
    };
    let reported_once = changed_per_row(&mut reported.iter().cloned());
    assert!(reported_once.values().all(|n| *n == 1), "{reported_once:?}");

    let in_db: Vec<(String, String)> = env
        .audit_rows()
        .await
        .into_iter()
        .filter(|r| r.0 == action)
        .map(|r| (r.2.to_string(), r.3))
        .collect();
    assert_eq!(
        in_db.len(),
        reported.len(),
        "both processes audited in the database"
    );
    let db_once = changed_per_row(&mut in_db.into_iter());
    assert_eq!(db_once, reported_once);

    let in_file: Vec<(String, String)> = env
        .audit_file()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a JSON record"))
        .filter(|r| r["action"] == action)
        .map(|r| {
            let id = r["target"]["id"].as_str().expect("target id").to_string();
            (id, r["result"].as_str().expect("result").to_string())
        })
        .collect();
    assert_eq!(
        in_file.len(),
        reported.len(),
        "both processes audited in audit.jsonl"
    );
    assert_eq!(changed_per_row(&mut in_file.into_iter()), reported_once);
}

// ---------------------------------------------------------------------------
// cleanup
// ---------------------------------------------------------------------------

/// 400 broadcast rows, 50 dialing rows and 50 ringing call logs, all stuck 10 minutes
/// and known to no provider: 500 rows to clean up.
fn stuck_set() -> SeedData {
    let mut data = tenant();
    for n in 1..=400 {
        data.table("broadcast_queue").push(json!({
            "id": row(n), "broadcast_id": BROADCAST, "phone_number": phone(n),
            "status": "calling", "attempts": 0, "max_attempts": 2,
            "created_at": ago(660), "updated_at": ago(600),
        }));
    }
    for n in 401..=450 {
        let lead = row(1000 + n);
        data.table("leads").push(json!({
            "id": lead, "user_id": USER, "organization_id": ORG, "phone_number": phone(n),
        }));
        data.table("dialing_queues").push(json!({
            "id": row(n), "campaign_id": CAMPAIGN, "lead_id": lead, "phone_number": phone(n),
            "status": "calling", "attempts": 0, "max_attempts": 3, "updated_at": ago(600),
        }));
    }
    for n in 451..=500 {
        data.table("call_logs").push(json!({
            "id": row(n), "user_id": USER, "organization_id": ORG, "campaign_id": CAMPAIGN,
            "phone_number": phone(n), "caller_id": "+14155550123", "status": "ringing",
            "created_at": ago(600),
        }));
    }
    data
}

#[tokio::test]
async fn two_processes_cleaning_the_same_stuck_set_change_each_row_once() {
    let (env, proxy) = Env::through_proxy(&stuck_set()).await;
    // The cleanup's first write: both wait there, then both write at once.
    let outs = twice_at_once(
        &env,
        &proxy,
        HoldAt::text("UPDATE broadcast_queue bq"),
        &["cleanup", "--yes", "--json"],
    )
    .await;
    let reported = assert_add_up(&outs, 500, "changed since the preview");
    assert_audited_once_each(&env, "cleanup", &reported).await;
    assert_eq!(env.count("broadcast_queue", "pending").await, 400);
    assert_eq!(env.count("dialing_queues", "pending").await, 50);
    assert_eq!(env.count("call_logs", "no_answer").await, 50);
}

// ---------------------------------------------------------------------------
// stop
// ---------------------------------------------------------------------------

/// The emergency stop's advisory lock key (launchdeck-store's `STOP_LOCK_KEY`), as the
/// statement taking the lock carries it, bound in binary: a statement prepared once per
/// connection carries its text only the first time, its parameters every time.
const STOP_LOCK_KEY: i64 = 0x6c64_7374_6f70;

#[tokio::test]
async fn two_processes_stopping_the_same_campaign_write_one_stop_row() {
    let (env, proxy) = Env::through_proxy(&tenant()).await;
    let campaign = CAMPAIGN.to_string();
    // Both wait before the lock that serialises stops, then race for it.
    let outs = twice_at_once(
        &env,
        &proxy,
        HoldAt::bytes(&STOP_LOCK_KEY.to_be_bytes()),
        &[
            "stop",
            "--campaign",
            &campaign,
            "--confirm",
            "Renewals",
            "--json",
        ],
    )
    .await;
    // The pause and the stop row: one process writes both, the other finds them done.
    let reported = assert_add_up(&outs, 2, "");
    let skips: Vec<&String> = reported
        .iter()
        .map(|(_, r)| r)
        .filter(|r| r.starts_with("skipped"))
        .collect();
    assert!(
        skips
            .iter()
            .any(|r| r.contains("changed since the preview")),
        "{skips:?}"
    );
    assert!(
        skips
            .iter()
            .any(|r| r.contains("an active stop row with the same scope exists")),
        "{skips:?}"
    );
    assert_audited_once_each(&env, "stop", &reported).await;
    let stops: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contact_stop_controls WHERE campaign_id = $1 AND active",
    )
    .bind(CAMPAIGN)
    .fetch_one(env.db.pool())
    .await
    .expect("stop rows");
    assert_eq!(stops, 1);
    assert_eq!(env.count("campaigns", "paused").await, 1);
}

// ---------------------------------------------------------------------------
// refresh-tokens
// ---------------------------------------------------------------------------

const DUE: Uuid = Uuid::from_u128(0x701);

/// Two grants for one token: both processes read the row before either asks Google.
/// providers.md treats a refresh grant as safe to repeat (it is retried on 5xx and
/// timeouts; Google sends no new refresh token, so the stored one stays valid): the
/// second access token is simply not kept, and expires unused. Avoiding it would take a
/// lock held across Google's answer — a transaction open over an HTTP call, or a session
/// lock that Supabase's transaction pooler would leak —, more than the grant costs.
#[tokio::test]
async fn two_processes_refreshing_the_same_token_store_it_once() {
    let google = google().await;
    let (mut env, proxy) = Env::through_proxy(&calendar(DUE, GOOGLE_REFRESH_TOKEN, 120)).await;
    use_google(&mut env, &google);
    // The read of the row just before the grant: both read it, then both ask Google.
    let outs = twice_at_once(
        &env,
        &proxy,
        HoldAt::text("SELECT token_expires_at, refresh_token_encrypted"),
        &["refresh-tokens", "--yes", "--json"],
    )
    .await;
    let reported = assert_add_up(&outs, 1, "changed since the preview");
    assert_audited_once_each(&env, "refresh-tokens", &reported).await;
    assert_eq!(google.faults().count(&Route::post("/token")), 2);
    let (token, _, errors) = stored_token(&env, DUE).await;
    assert!(token.starts_with(CANARY_GOOGLE_ACCESS_TOKEN), "stored");
    assert_eq!(errors, json!([]));
}

// ---------------------------------------------------------------------------
// acknowledge
// ---------------------------------------------------------------------------

const ALERTS: u128 = 50;

fn alert(n: u128) -> Uuid {
    Uuid::from_u128(0x9000 + n)
}

fn alerts() -> SeedData {
    let mut data = tenant();
    for n in 1..=ALERTS {
        data.table("system_alerts").push(json!({
            "id": alert(n), "user_id": USER, "alert_type": "stuck_calls",
            "severity": "critical", "title": format!("Alert {n}"), "message": "calls stuck",
        }));
    }
    data
}

#[tokio::test]
async fn two_processes_acknowledging_the_same_alerts_acknowledge_each_once() {
    let (env, proxy) = Env::through_proxy(&alerts()).await;
    let ids: Vec<String> = (1..=ALERTS).map(|n| alert(n).to_string()).collect();
    let mut args = vec!["acknowledge"];
    args.extend(ids.iter().map(String::as_str));
    args.extend(["--yes", "--json"]);
    let outs = twice_at_once(
        &env,
        &proxy,
        HoldAt::text("UPDATE system_alerts SET acknowledged"),
        &args,
    )
    .await;
    let reported = assert_add_up(&outs, 50, "acknowledged by someone else");
    assert_audited_once_each(&env, "acknowledge", &reported).await;
    let acknowledged: i64 =
        sqlx::query_scalar("SELECT count(*) FROM system_alerts WHERE acknowledged")
            .fetch_one(env.db.pool())
            .await
            .expect("acknowledged");
    assert_eq!(acknowledged, 50);
}
