//! `launchdeck cleanup` / `refresh-tokens` / `fix-outbound-agent` / `acknowledge` run
//! as the real binary against a test PostgreSQL database (the platform fixture) and,
//! where a provider is needed, the fakes of launchdeck-sim on loopback in this process.

#[path = "common/actions.rs"]
#[allow(dead_code)]
mod actions;

#[path = "common/leaks.rs"]
mod leaks;

use std::process::Output;

use actions::{
    BROADCAST, CAMPAIGN, Env, GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN, OLD_ACCESS_TOKEN, ORG,
    REVOKED_REFRESH_TOKEN, USER, ago, calendar, code, google, json_of, phone, row, stderr, stdout,
    stored_token, tenant, use_google,
};
use chrono::{DateTime, Utc};
use launchdeck_seed::SeedData;
use launchdeck_sim::fakes::{
    CANARY_GOOGLE_ACCESS_TOKEN, FakeAgent, FakeNumber, RetellFake, RetellState, Route,
};
use leaks::Leaks;
use serde_json::{Value, json};
use uuid::Uuid;

const RETELL_KEY: &str = "key_cli0fix0retell0canary0value0aa11";

// ---------------------------------------------------------------------------
// cleanup
// ---------------------------------------------------------------------------

/// Rows in flight, none known to a provider:
/// - broadcast_queue 1: 10 min, 1/1 → failed · 2: 10 min, 0/2 → pending · 3: 1 min
/// - dialing_queues 11: 10 min → pending · 12: 1 min
/// - call_logs 21: ringing 10 min → no_answer · 22: queued 1 min
fn stuck_calls() -> SeedData {
    let mut data = tenant();
    for (n, secs, attempts, max) in [(1, 600, 1, 1), (2, 600, 0, 2), (3, 60, 0, 1)] {
        data.table("broadcast_queue").push(json!({
            "id": row(n), "broadcast_id": BROADCAST, "phone_number": phone(n),
            "status": "calling", "attempts": attempts, "max_attempts": max,
            "created_at": ago(secs + 60), "updated_at": ago(secs),
        }));
    }
    for (n, secs) in [(11, 600), (12, 60)] {
        let lead = row(100 + n);
        data.table("leads").push(json!({
            "id": lead, "user_id": USER, "organization_id": ORG, "phone_number": phone(n),
        }));
        data.table("dialing_queues").push(json!({
            "id": row(n), "campaign_id": CAMPAIGN, "lead_id": lead, "phone_number": phone(n),
            "status": "calling", "attempts": 0, "max_attempts": 3, "updated_at": ago(secs),
        }));
    }
    for (n, status, secs) in [(21, "ringing", 600), (22, "queued", 60)] {
        data.table("call_logs").push(json!({
            "id": row(n), "user_id": USER, "organization_id": ORG, "campaign_id": CAMPAIGN,
            "phone_number": phone(n), "caller_id": "+14155550123", "status": status,
            "created_at": ago(secs),
        }));
    }
    data
}

fn pairs(list: &[(u128, &str)]) -> Vec<(u128, String)> {
    list.iter().map(|(n, s)| (*n, s.to_string())).collect()
}

/// Every row as seeded: nothing changed.
async fn assert_untouched(env: &Env) {
    assert_eq!(
        env.statuses("broadcast_queue").await,
        pairs(&[(1, "calling"), (2, "calling"), (3, "calling")])
    );
    assert_eq!(
        env.statuses("dialing_queues").await,
        pairs(&[(11, "calling"), (12, "calling")])
    );
    assert_eq!(
        env.statuses("call_logs").await,
        pairs(&[(21, "ringing"), (22, "queued")])
    );
    assert!(env.audit_rows().await.is_empty());
    assert!(env.audit_file().is_empty());
}

const CLEANUP_SUMMARY: &str =
    "clean up 4 stuck calls: 2 broadcast_queue, 1 call_logs, 1 dialing_queues";

#[tokio::test]
async fn cleanup_without_yes_prints_the_counts_per_source_and_changes_nothing() {
    let env = Env::new(&stuck_calls()).await;
    let out = env.run(&["cleanup"]).await;
    assert_eq!(code(&out), Some(3), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!("Plan: {CLEANUP_SUMMARY}")), "{text}");
    for line in [
        "broadcast_queue: 1 → failed, 1 → pending",
        "call_logs: 1 → no_answer",
        "dialing_queues: 1 → pending",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert!(!text.contains("+1415555"), "numbers are masked: {text}");
    assert!(stderr(&out).contains("add --yes"), "{}", stderr(&out));
    assert_untouched(&env).await;
    assert!(!env.has_launchdeck_schema().await, "a plan creates nothing");
}

#[tokio::test]
async fn cleanup_dry_run_exits_0_and_changes_nothing() {
    let env = Env::new(&stuck_calls()).await;
    let out = env.run(&["cleanup", "--dry-run", "--yes"]).await;
    assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
    assert!(stdout(&out).contains(CLEANUP_SUMMARY), "{}", stdout(&out));
    assert!(stderr(&out).contains("Dry run"), "{}", stderr(&out));
    assert_untouched(&env).await;
}

#[tokio::test]
async fn cleanup_yes_changes_exactly_the_stuck_rows_and_audits_each() {
    let env = Env::new(&stuck_calls()).await;
    let out = env.run(&["cleanup", "--yes"]).await;
    assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(
        env.statuses("broadcast_queue").await,
        pairs(&[(1, "failed"), (2, "pending"), (3, "calling")])
    );
    assert_eq!(
        env.statuses("dialing_queues").await,
        pairs(&[(11, "pending"), (12, "calling")])
    );
    assert_eq!(
        env.statuses("call_logs").await,
        pairs(&[(21, "no_answer"), (22, "queued")])
    );
    let audited: Vec<(String, String, u128, String)> = env
        .audit_rows()
        .await
        .into_iter()
        .map(|(action, table, id, result)| (action, table, id.as_u128() - 0x1000, result))
        .collect();
    let mut audited = audited;
    audited.sort_by_key(|r| r.2);
    let expected: Vec<(String, String, u128, String)> = [
        ("broadcast_queue", 1),
        ("broadcast_queue", 2),
        ("dialing_queues", 11),
        ("call_logs", 21),
    ]
    .into_iter()
    .map(|(table, n)| ("cleanup".into(), table.into(), n, "changed".into()))
    .collect();
    assert_eq!(audited, expected);
    assert_eq!(env.audit_file().lines().count(), 4);
    let text = stdout(&out);
    assert!(text.contains("changed 4, skipped 0, failed 0"), "{text}");
    assert!(!text.contains("+1415555"), "numbers are masked: {text}");

    // Run again: nothing is stuck any more.
    let out = env.run(&["cleanup", "--yes"]).await;
    assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).starts_with("Nothing to do"),
        "{}",
        stdout(&out)
    );
    assert_eq!(env.audit_rows().await.len(), 4);
}

#[tokio::test]
async fn cleanup_json_carries_schema_version_1_and_the_counts() {
    let env = Env::new(&stuck_calls()).await;
    let out = env.run(&["cleanup", "--json"]).await;
    assert_eq!(code(&out), Some(3), "stderr: {}", stderr(&out));
    let plan = json_of(&out);
    assert_eq!(plan["schema_version"], 1);
    assert_eq!(plan["action"], "cleanup");
    assert_eq!(plan["summary"], CLEANUP_SUMMARY);
    assert_eq!(plan["will_change"], true);
    assert_eq!(plan["planned"], 4);
    assert_eq!(plan["applied"], false);
    assert_eq!(plan["rows"], json!([]));
    assert!(
        plan["details"]
            .as_array()
            .is_some_and(|d| d.contains(&json!("dialing_queues: 1 → pending"))),
        "{plan}"
    );
    assert_untouched(&env).await;

    let out = env.run(&["cleanup", "--yes", "--json"]).await;
    assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
    let result = json_of(&out);
    assert_eq!(result["schema_version"], 1);
    assert_eq!(result["applied"], true);
    assert_eq!(
        (&result["changed"], &result["skipped"], &result["failed"]),
        (&json!(4), &json!(0), &json!(0))
    );
    assert_eq!(result["audit_errors"], json!([]));
    let rows = result["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 4);
    let first = rows
        .iter()
        .find(|r| r["id"] == json!(row(1)))
        .expect("row 1");
    assert_eq!(first["source"], "broadcast_queue");
    assert_eq!(first["name"], "••••0001 Spring promo");
    assert_eq!(
        (&first["from"], &first["to"]),
        (&json!("calling"), &json!("failed"))
    );
    assert_eq!(first["result"], "changed");
}

#[tokio::test]
async fn cleanup_in_read_only_mode_exits_2_and_changes_nothing() {
    let env = Env::new(&stuck_calls()).await;
    let out = env.run(&["--read-only", "cleanup", "--yes"]).await;
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    assert_untouched(&env).await;
    assert!(!env.has_launchdeck_schema().await);
}

// ---------------------------------------------------------------------------
// acknowledge
// ---------------------------------------------------------------------------

const ALERT: Uuid = Uuid::from_u128(0x901);
const OTHER_ALERT: Uuid = Uuid::from_u128(0x902);

fn alerts() -> SeedData {
    let mut data = tenant();
    for (id, title) in [(ALERT, "Stuck calls"), (OTHER_ALERT, "Low balance")] {
        data.table("system_alerts").push(json!({
            "id": id, "user_id": USER, "alert_type": "stuck_calls", "severity": "critical",
            "title": title, "message": "3 calls stuck",
        }));
    }
    data
}

async fn alert_state(env: &Env, id: Uuid) -> (Option<bool>, Option<DateTime<Utc>>) {
    sqlx::query_as("SELECT acknowledged, acknowledged_at FROM system_alerts WHERE id = $1")
        .bind(id)
        .fetch_one(env.db.pool())
        .await
        .expect("read system_alerts")
}

#[tokio::test]
async fn acknowledge_yes_sets_acknowledged_and_a_second_run_says_already() {
    let env = Env::new(&alerts()).await;
    let id = ALERT.to_string();
    let other = OTHER_ALERT.to_string();
    let out = env.run(&["acknowledge", &id, &other, "--json"]).await;
    assert_eq!(code(&out), Some(3), "stderr: {}", stderr(&out));
    let plan = json_of(&out);
    assert_eq!(plan["schema_version"], 1);
    assert_eq!(plan["summary"], "acknowledge 2 alerts");
    assert_eq!(
        (&plan["planned"], &plan["applied"]),
        (&json!(2), &json!(false))
    );
    assert_eq!(alert_state(&env, ALERT).await, (Some(false), None));

    let started = Utc::now();
    let out = env.run(&["acknowledge", &id, "--yes"]).await;
    assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
    let (acknowledged, at) = alert_state(&env, ALERT).await;
    assert_eq!(acknowledged, Some(true));
    let at = at.expect("acknowledged_at set");
    assert!(
        (at - started).num_seconds().abs() <= 60,
        "{at} vs {started}"
    );
    assert_eq!(
        alert_state(&env, OTHER_ALERT).await,
        (Some(false), None),
        "only the alert named"
    );
    assert_eq!(
        env.audit_rows().await,
        vec![(
            "acknowledge".into(),
            "system_alerts".into(),
            ALERT,
            "changed".into()
        )]
    );

    let out = env.run(&["acknowledge", &id, "--yes"]).await;
    assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains("already acknowledged"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        alert_state(&env, ALERT).await.1,
        Some(at),
        "not stamped again"
    );
    assert_eq!(env.audit_rows().await.len(), 1);
}

#[tokio::test]
async fn acknowledge_an_unknown_id_exits_2() {
    let env = Env::new(&alerts()).await;
    let unknown = Uuid::from_u128(0x999).to_string();
    let out = env.run(&["acknowledge", &unknown, "--yes"]).await;
    assert_eq!(code(&out), Some(2));
    assert!(
        stderr(&out).contains(&format!("no alert with id {unknown}")),
        "{}",
        stderr(&out)
    );

    // With a known id beside it: refused whole, the known alert left alone.
    let known = ALERT.to_string();
    let out = env
        .run(&["acknowledge", &known, &unknown, "--yes", "--json"])
        .await;
    assert_eq!(code(&out), Some(2), "stdout: {}", stdout(&out));
    assert_eq!(json_of(&out)["applied"], false);
    assert!(
        stderr(&out).contains("nothing was changed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(alert_state(&env, ALERT).await, (Some(false), None));
    assert!(env.audit_rows().await.is_empty());

    let out = env.run(&["acknowledge", "not-a-uuid"]).await;
    assert_eq!(code(&out), Some(2), "clap refuses a malformed id");
}

// ---------------------------------------------------------------------------
// refresh-tokens
// ---------------------------------------------------------------------------

const DUE: Uuid = Uuid::from_u128(0x701);
const REVOKED: Uuid = Uuid::from_u128(0x702);

/// Every token and secret of these tests (looked for plain and base64-encoded, as the
/// platform stores tokens).
fn secrets() -> Leaks {
    Leaks::new(
        [
            RETELL_KEY,
            GOOGLE_CLIENT_SECRET,
            GOOGLE_REFRESH_TOKEN,
            REVOKED_REFRESH_TOKEN,
            OLD_ACCESS_TOKEN,
        ]
        .into_iter()
        .chain(launchdeck_sim::fakes::CANARIES),
    )
}

fn assert_no_secret_printed(env: &Env, out: &Output) {
    let leaks = secrets();
    leaks.assert_clean("stdout", &stdout(out));
    leaks.assert_clean("stderr", &stderr(out));
    leaks.assert_clean("audit.jsonl", &env.audit_file());
    leaks.assert_clean("launchdeck.log", &env.log_file());
}

#[tokio::test]
async fn refresh_tokens_yes_stores_the_new_token_and_expiry() {
    let google = google().await;
    let mut env = Env::new(&calendar(DUE, GOOGLE_REFRESH_TOKEN, 120)).await;
    use_google(&mut env, &google);

    let out = env.run(&["refresh-tokens"]).await;
    assert_eq!(code(&out), Some(3), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains("refresh 1 Google calendar token"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        google.faults().count(&Route::post("/token")),
        0,
        "a plan asks nothing"
    );
    assert_no_secret_printed(&env, &out);

    let started = Utc::now();
    let out = env.run(&["refresh-tokens", "--yes", "--json"]).await;
    assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
    let result = json_of(&out);
    assert_eq!(result["action"], "refresh-tokens");
    assert_eq!(result["changed"], 1);
    assert_eq!(google.faults().count(&Route::post("/token")), 1);

    let (token, expires, errors) = stored_token(&env, DUE).await;
    assert!(
        token.starts_with(CANARY_GOOGLE_ACCESS_TOKEN),
        "{}",
        &token[..6]
    );
    let expected = started + chrono::Duration::seconds(3599);
    let expires = expires.expect("token_expires_at");
    assert!(
        (expires - expected).num_seconds().abs() <= 30,
        "{expires} vs {expected}"
    );
    assert_eq!(errors, json!([]));
    assert_eq!(
        env.audit_rows().await,
        vec![(
            "refresh-tokens".into(),
            "calendar_integrations".into(),
            DUE,
            "changed".into()
        )]
    );
    assert_no_secret_printed(&env, &out);
}

#[tokio::test]
async fn refresh_tokens_invalid_grant_exits_1_and_records_reconnect_needed() {
    let google = google().await;
    let mut env = Env::new(&calendar(REVOKED, REVOKED_REFRESH_TOKEN, -60)).await;
    use_google(&mut env, &google);

    let out = env.run(&["refresh-tokens", "--yes"]).await;
    assert_eq!(code(&out), Some(1), "stderr: {}", stderr(&out));
    assert!(stdout(&out).contains("invalid_grant"), "{}", stdout(&out));
    assert_eq!(
        google.faults().count(&Route::post("/token")),
        1,
        "never retried"
    );
    let (token, _, errors) = stored_token(&env, REVOKED).await;
    assert_eq!(token, OLD_ACCESS_TOKEN, "no token erased");
    let errors = errors.as_array().expect("sync_errors is an array").clone();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["source"], "launchdeck");
    assert_eq!(errors[0]["error"], "invalid_grant");
    assert!(errors[0]["at"].is_string(), "{errors:?}");
    assert_eq!(env.audit_rows().await.len(), 1);
    assert!(env.audit_rows().await[0].3.starts_with("failed"));
    assert!(
        env.log_file().contains("invalid_grant"),
        "the log is written"
    );
    assert_no_secret_printed(&env, &out);

    // Not asked again without --all.
    let out = env.run(&["refresh-tokens", "--yes"]).await;
    assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(google.faults().count(&Route::post("/token")), 1);
    assert_no_secret_printed(&env, &out);
}

// ---------------------------------------------------------------------------
// fix-outbound-agent
// ---------------------------------------------------------------------------

const NUMBER: &str = "+14155550102";
const UNKNOWN_NUMBER: &str = "+14155550199";
const AGENT_IN: &str = "agent_inbound0001";
const NUMBER_ROW: Uuid = Uuid::from_u128(0x801);

fn numbers() -> SeedData {
    let mut data = tenant();
    data.table("phone_numbers").push(json!({
        "id": NUMBER_ROW, "user_id": USER, "organization_id": ORG, "number": NUMBER,
        "area_code": "415", "retell_phone_id": NUMBER, "provider": "retell_native",
        "purpose": "retell_agent",
    }));
    data
}

async fn retell() -> RetellFake {
    let state = RetellState::new(RETELL_KEY);
    state.add_agent(FakeAgent::new(AGENT_IN).name("Inbound"));
    state.add_number(FakeNumber::new(NUMBER).inbound_agents(&[AGENT_IN]));
    RetellFake::start(state).await.expect("retell fake")
}

fn use_retell(env: &mut Env, retell: &RetellFake) {
    env.set("LAUNCHDECK_RETELL_BASE_URL", &retell.base_url());
    env.set("RETELL_AI_API_KEY", RETELL_KEY);
}

fn patches(retell: &RetellFake) -> Vec<(String, Value)> {
    retell
        .faults()
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| (r.path, serde_json::from_str(&r.body).expect("a JSON body")))
        .collect()
}

#[tokio::test]
async fn fix_outbound_agent_yes_sends_exactly_one_patch() {
    let retell = retell().await;
    let mut env = Env::new(&numbers()).await;
    use_retell(&mut env, &retell);

    let out = env.run(&["fix-outbound-agent", "--number", NUMBER]).await;
    assert_eq!(code(&out), Some(3), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains(
            "set outbound agents of +14155550102 to agent_inbound0001 (its inbound agent)"
        ),
        "{}",
        stdout(&out)
    );
    assert!(patches(&retell).is_empty(), "a plan changes nothing");

    let out = env
        .run(&["fix-outbound-agent", "--number", NUMBER, "--yes"])
        .await;
    assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
    let sent = patches(&retell);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].0.contains("update-phone-number"), "{}", sent[0].0);
    assert_eq!(
        sent[0].1,
        json!({"outbound_agents": [{"agent_id": AGENT_IN, "weight": 1}]})
    );
    assert_eq!(
        env.audit_rows().await,
        vec![(
            "fix-outbound-agent".into(),
            "phone_numbers".into(),
            NUMBER_ROW,
            "changed".into()
        )]
    );
    assert_no_secret_printed(&env, &out);

    let out = env
        .run(&["fix-outbound-agent", "--number", NUMBER, "--yes"])
        .await;
    assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains("already has outbound agent"),
        "{}",
        stdout(&out)
    );
    assert_eq!(patches(&retell).len(), 1, "nothing more sent");
}

#[tokio::test]
async fn fix_outbound_agent_for_a_number_not_at_retell_exits_2() {
    let retell = retell().await;
    let mut env = Env::new(&numbers()).await;
    use_retell(&mut env, &retell);
    let out = env
        .run(&["fix-outbound-agent", "--number", UNKNOWN_NUMBER, "--yes"])
        .await;
    assert_eq!(code(&out), Some(2), "stdout: {}", stdout(&out));
    assert!(
        stderr(&out).contains("Retell has no number +14155550199"),
        "{}",
        stderr(&out)
    );
    assert!(patches(&retell).is_empty());
    assert!(env.audit_rows().await.is_empty());
}

#[tokio::test]
async fn fix_outbound_agent_without_a_retell_key_exits_2_naming_it() {
    let retell = retell().await;
    let mut env = Env::new(&numbers()).await;
    env.set("LAUNCHDECK_RETELL_BASE_URL", &retell.base_url());
    let out = env
        .run(&["fix-outbound-agent", "--number", NUMBER, "--yes"])
        .await;
    assert_eq!(code(&out), Some(2), "stdout: {}", stdout(&out));
    assert!(
        stderr(&out).contains("RETELL_AI_API_KEY"),
        "{}",
        stderr(&out)
    );
    assert!(
        retell.faults().requests().is_empty(),
        "Retell was not asked"
    );
    assert!(env.audit_rows().await.is_empty());
}

async fn campaign_status(env: &Env) -> String {
    sqlx::query_scalar("SELECT status FROM campaigns WHERE id = $1")
        .bind(CAMPAIGN)
        .fetch_one(env.db.pool())
        .await
        .expect("campaign status")
}

async fn active_stops(env: &Env) -> Vec<(Uuid, String, Option<Uuid>)> {
    sqlx::query_as(
        "SELECT id, scope_type, campaign_id FROM contact_stop_controls WHERE active ORDER BY id",
    )
    .fetch_all(env.db.pool())
    .await
    .expect("stop rows")
}

#[tokio::test]
async fn stop_needs_the_exact_name_then_pauses_and_writes_one_stop_row() {
    let env = Env::new(&tenant()).await;
    let campaign = CAMPAIGN.to_string();

    // Without --confirm: the plan, exit 3, nothing written.
    let out = env.run(&["stop", "--campaign", &campaign]).await;
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Plan: emergency stop campaign \"Renewals\""),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("--confirm \"Renewals\""),
        "{}",
        stderr(&out)
    );
    // A wrong name: refused, exit 2, nothing written.
    let out = env
        .run(&["stop", "--campaign", &campaign, "--confirm", "renewals"])
        .await;
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing was stopped"),
        "{}",
        stderr(&out)
    );
    assert!(active_stops(&env).await.is_empty());
    assert_eq!(campaign_status(&env).await, "active");

    let out = env
        .run(&[
            "stop",
            "--campaign",
            &campaign,
            "--confirm",
            "Renewals",
            "--json",
        ])
        .await;
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["action"], "stop");
    assert_eq!(report["changed"], 2, "{report:#}");
    let stops = active_stops(&env).await;
    assert_eq!(stops.len(), 1);
    assert_eq!(
        (stops[0].1.as_str(), stops[0].2),
        ("campaign", Some(CAMPAIGN))
    );
    assert_eq!(campaign_status(&env).await, "paused");

    // Read-only refuses before connecting; lifting needs --yes, then resumes nothing.
    let stop_id = stops[0].0.to_string();
    let out = env
        .run(&["--read-only", "stop", "--lift", &stop_id, "--yes"])
        .await;
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    let out = env.run(&["stop", "--lift", &stop_id]).await;
    assert_eq!(code(&out), Some(3), "{}", stderr(&out));
    let out = env.run(&["stop", "--lift", &stop_id, "--yes"]).await;
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(active_stops(&env).await.is_empty());
    assert_eq!(campaign_status(&env).await, "paused");
    let out = env.run(&["audit", "--json"]).await;
    let audit = stdout(&out);
    assert_eq!(audit.matches("\"stop --lift\"").count(), 1, "{audit}");
}

#[tokio::test]
async fn stop_all_is_confirmed_with_stop_all_and_a_platform_stop_is_not_lifted() {
    let env = Env::new(&tenant()).await;
    let out = env.run(&["stop", "--all", "--confirm", "stop all"]).await;
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    let out = env.run(&["stop", "--all", "--confirm", "STOP ALL"]).await;
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let stops = active_stops(&env).await;
    assert_eq!(stops.len(), 1);
    assert_eq!(stops[0].1, "global");

    sqlx::query(
        "INSERT INTO contact_stop_controls (id, scope_type, reason) VALUES ($1, 'global', 'legal')",
    )
    .bind(row(77))
    .execute(env.db.pool())
    .await
    .expect("platform stop");
    let out = env
        .run(&["stop", "--lift", &row(77).to_string(), "--yes"])
        .await;
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not created by launchdeck"),
        "{}",
        stderr(&out)
    );
    assert_eq!(active_stops(&env).await.len(), 2);
    // --confirm and --lift do not go together; nor does a stop without a target.
    let out = env.run(&["stop", "--confirm", "x"]).await;
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
}
