//! Clean up stuck calls end to end on PostgreSQL (the platform fixture) with the Retell
//! and Twilio fakes over loopback HTTP: the plan's counts, the rows changed, skips,
//! the audit trail, read-only mode and hang-ups (counted in the fakes' request logs).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use launchdeck_core::actions::AuditResult;
use launchdeck_core::cleanup::{LeftAlone, Verdict};
use launchdeck_core::config::{BaseUrl, Config};
use launchdeck_core::domain::{CallSource, Scope};
use launchdeck_ops::actions::cleanup::{self, CleanupPlan, CleanupRequest};
use launchdeck_ops::actions::{ActionContext, ActionEnv, ActionError, PlanView};
use launchdeck_ops::{GatherOptions, Gatherer};
use launchdeck_providers::retell::NewCall;
use launchdeck_providers::{HttpConfig, RetellClient};
use launchdeck_seed::SeedData;
use launchdeck_sim::fakes::{
    CallPlan, FakeAgent, FakeNumber, RetellFake, RetellState, Route, TwilioCallPlan, TwilioFake,
    TwilioOutcome, TwilioState,
};
use launchdeck_store::Store;
use launchdeck_store::pg::{PgOptions, PgStore};
use launchdeck_testkit::TestDb;
use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;
use tempfile::TempDir;
use uuid::Uuid;

const RETELL_KEY: &str = "key_cleanup0test0retell0value0aa11";
const TWILIO_SID: &str = "AC00112233445566778899aabbccddeeff";
const TWILIO_TOKEN: &str = "cleanup0test0twilio0token0bb22";
const FROM: &str = "+14155550123";

const USER: Uuid = Uuid::from_u128(0xa1);
const ORG: Uuid = Uuid::from_u128(0xa0);
const BROADCAST: Uuid = Uuid::from_u128(0x100);
const CAMPAIGN: Uuid = Uuid::from_u128(0x200);

fn row(n: u128) -> Uuid {
    Uuid::from_u128(0x1000 + n)
}

fn phone(n: u128) -> String {
    format!("+1415555{:04}", n % 10_000)
}

fn ago(secs: i64) -> String {
    (Utc::now() - chrono::Duration::seconds(secs)).to_rfc3339()
}

/// The provider calls the data set refers to.
struct Calls {
    twilio_done: String,
    twilio_live: String,
    retell_live: String,
    retell_done: String,
}

/// Retell: a call still going after 3 h (answered after 1 s) and one that ended after
/// 45 s; Twilio: one completed after 20 s and one in progress for 3 h.
async fn place_calls(retell: &RetellFake, twilio: &TwilioFake) -> Calls {
    let client = RetellClient::new(
        &retell.base_url(),
        SecretString::from(RETELL_KEY),
        &HttpConfig::default(),
    )
    .expect("retell client");
    let mut retell_ids = Vec::new();
    for talk in [3 * 3600, 45] {
        retell.state().push_plan(CallPlan::answered(
            Duration::from_secs(1),
            Duration::from_secs(talk),
        ));
        let call = NewCall {
            from_number: FROM.to_string(),
            to_number: phone(9000 + talk as u128),
            override_agent_id: None,
            dynamic_variables: BTreeMap::new(),
            request_id: Uuid::new_v4(),
        };
        let placed = client.create_call(&call).await;
        retell_ids.push(placed.placed().expect("placed").call_id.clone());
    }
    retell.state().clock().advance(Duration::from_secs(120));
    let plan = |talk: u64| TwilioCallPlan {
        queued: Duration::from_secs(1),
        ringing: Duration::from_secs(1),
        outcome: TwilioOutcome::Completed {
            talk: Duration::from_secs(talk),
        },
    };
    let state = twilio.state();
    let twilio_done = state.add_call(&phone(9100), FROM, plan(20));
    let twilio_live = state.add_call(&phone(9101), FROM, plan(3 * 3600));
    state.clock().advance(Duration::from_secs(120));
    Calls {
        twilio_done,
        twilio_live,
        retell_live: retell_ids[0].clone(),
        retell_done: retell_ids[1].clone(),
    }
}

/// Rows in flight, stuck or not:
/// - broadcast_queue 1: 10 min, 1/1 → failed · 2: 10 min, 0/2 → pending · 3: Twilio
///   completed → completed · 4: Twilio in progress → live · 5: 1 min, not stuck ·
///   6: a CallSid Twilio does not know (404) → failed
/// - dialing_queues 11: 10 min → pending · 12: 1 min, not stuck · 13: 10 min, held
/// - call_logs 21: ringing 10 min → no_answer · 22: queued 1 min, not stuck ·
///   23: ringing 70 min, Retell ongoing → live · 24: ringing 70 min, Retell ended → completed
fn data(calls: &Calls) -> SeedData {
    let mut data = SeedData::with_owner(USER, ORG);
    data.table("campaigns").push(json!({
        "id": CAMPAIGN, "user_id": USER, "organization_id": ORG, "name": "Renewals",
        "status": "active",
    }));
    data.table("voice_broadcasts").push(json!({
        "id": BROADCAST, "user_id": USER, "name": "Spring promo", "status": "active",
        "message_text": "Hello",
    }));
    let unknown_sid = "CAffffffffffffffffffffffffffffffff";
    let queue = [
        (1, 600, 1, 1, None),
        (2, 600, 0, 2, None),
        (3, 600, 1, 1, Some(calls.twilio_done.as_str())),
        (4, 600, 1, 1, Some(calls.twilio_live.as_str())),
        (5, 60, 1, 1, None),
        (6, 600, 1, 1, Some(unknown_sid)),
    ];
    for (n, secs, attempts, max, sid) in queue {
        data.table("broadcast_queue").push(json!({
            "id": row(n), "broadcast_id": BROADCAST, "phone_number": phone(n),
            "status": "calling", "attempts": attempts, "max_attempts": max,
            "call_sid": sid, "created_at": ago(secs + 60), "updated_at": ago(secs),
        }));
    }
    for (n, secs) in [(11, 600), (12, 60), (13, 600)] {
        let lead = row(100 + n);
        data.table("leads").push(json!({
            "id": lead, "user_id": USER, "organization_id": ORG, "phone_number": phone(n),
        }));
        data.table("dialing_queues").push(json!({
            "id": row(n), "campaign_id": CAMPAIGN, "lead_id": lead, "phone_number": phone(n),
            "status": "calling", "attempts": 0, "max_attempts": 3, "updated_at": ago(secs),
        }));
    }
    let logs = [
        (21, "ringing", 600, None),
        (22, "queued", 60, None),
        (23, "ringing", 70 * 60, Some(calls.retell_live.as_str())),
        (24, "ringing", 70 * 60, Some(calls.retell_done.as_str())),
        (30, "failed", 600, None),
    ];
    for (n, status, secs, call_id) in logs {
        data.table("call_logs").push(json!({
            "id": row(n), "user_id": USER, "organization_id": ORG, "campaign_id": CAMPAIGN,
            "phone_number": phone(n), "caller_id": FROM, "status": status,
            "retell_call_id": call_id, "created_at": ago(secs),
        }));
    }
    // Dialing row 13 is held: its dispatch claim is still `claimed`.
    data.table("provider_dispatch_claims").push(json!({
        "id": row(40), "logical_key": format!("queue:{}:{}", row(13).simple(), row(40).simple()),
        "queue_id": row(13), "dispatch_generation": row(40), "call_log_id": row(30),
        "organization_id": ORG, "user_id": USER, "provider": "retell", "status": "claimed",
        "claimed_at": ago(600),
    }));
    data
}

struct World {
    db: TestDb,
    store: Arc<dyn Store>,
    retell: RetellFake,
    twilio: TwilioFake,
    calls: Calls,
    dir: TempDir,
}

impl World {
    async fn new() -> World {
        let retell_state = RetellState::new(RETELL_KEY);
        retell_state.add_agent(FakeAgent::new("agent_a"));
        retell_state.add_number(FakeNumber::new(FROM).outbound_agents(&["agent_a"]));
        let retell = RetellFake::start(retell_state).await.expect("retell fake");
        let twilio = TwilioFake::start(TwilioState::new(TWILIO_SID, TWILIO_TOKEN))
            .await
            .expect("twilio fake");
        let calls = place_calls(&retell, &twilio).await;
        let db = TestDb::create().await;
        launchdeck_seed::pg::load(db.pool(), &data(&calls))
            .await
            .expect("seed PostgreSQL");
        let store = PgStore::connect(db.url(), PgOptions::default())
            .await
            .expect("connect");
        retell.faults().reset_log();
        twilio.faults().reset_log();
        World {
            db,
            store: Arc::new(store),
            retell,
            twilio,
            calls,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn env(&self, read_only: bool) -> ActionEnv {
        let url = |text: String| BaseUrl::parse(&text).expect("fake base URL");
        let mut config = Config::default();
        config.retell.api_key = Some(SecretString::from(RETELL_KEY));
        config.retell.base_url = url(self.retell.base_url());
        config.twilio.account_sid = Some(SecretString::from(TWILIO_SID));
        config.twilio.auth_token = Some(SecretString::from(TWILIO_TOKEN));
        config.twilio.base_url = url(self.twilio.base_url());
        config.twilio.trunking_base_url = url(self.twilio.trunking_base_url());
        let options = GatherOptions {
            source_timeout: Duration::from_secs(30),
            provider_spacing: Duration::ZERO,
        };
        let gatherer = Gatherer::new(&config, self.store.clone(), options);
        let audit_file = self.dir.path().join("data").join("audit.jsonl");
        let ctx = ActionContext::new(Scope::default(), audit_file, read_only);
        ActionEnv::new(self.store.clone(), gatherer, ctx)
    }

    async fn plan(&self, request: CleanupRequest) -> CleanupPlan {
        cleanup::plan(&self.env(false), request)
            .await
            .expect("plan")
    }

    /// `status` of every row of `table`, by row number.
    async fn statuses(&self, table: &str) -> BTreeMap<u128, String> {
        let rows: Vec<(Uuid, String)> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT id, status FROM {table}")))
                .fetch_all(self.db.pool())
                .await
                .expect("read statuses");
        rows.into_iter()
            .map(|(id, status)| (id.as_u128() - 0x1000, status))
            .collect()
    }

    async fn execute(&self, sql: &str) {
        sqlx::query(AssertSqlSafe(sql))
            .execute(self.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Mutations the fakes received: Retell stop-call, Twilio POSTs to a call.
    fn provider_mutations(&self) -> (usize, usize) {
        (
            self.retell.faults().count(&Route::post("/v2/stop-call")),
            self.twilio
                .faults()
                .count(&Route::post("/2010-04-01/Accounts")),
        )
    }

    fn hang_ups_of(&self, provider_path_part: &str) -> usize {
        let retell = self.retell.faults().requests();
        let twilio = self.twilio.faults().requests();
        retell
            .iter()
            .chain(&twilio)
            .filter(|r| r.method == "POST" && r.path.contains(provider_path_part))
            .count()
    }
}

fn statuses(pairs: &[(u128, &str)]) -> BTreeMap<u128, String> {
    pairs.iter().map(|(n, s)| (*n, s.to_string())).collect()
}

fn verdict_of(plan: &CleanupPlan, n: u128) -> &Verdict {
    &plan
        .rows
        .iter()
        .find(|r| r.call.id == row(n))
        .unwrap_or_else(|| panic!("row {n} not in the plan"))
        .verdict
}

#[tokio::test]
async fn the_plan_counts_per_source_and_outcome_and_masks_numbers() {
    let w = World::new().await;
    let plan = w.plan(CleanupRequest::default()).await;
    let planned: Vec<u128> = plan
        .rows
        .iter()
        .map(|r| r.call.id.as_u128() - 0x1000)
        .collect();
    let mut sorted = planned.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [1, 2, 3, 4, 6, 11, 13, 21, 23, 24],
        "the stuck rows"
    );
    assert!(plan.will_change());
    assert_eq!(
        plan.summary(),
        "clean up 7 stuck calls: 4 broadcast_queue, 2 call_logs, 1 dialing_queues; 3 rows left alone"
    );
    let details = plan.details();
    for line in [
        "broadcast_queue: 1 → completed, 2 → failed, 1 → pending",
        "call_logs: 1 → completed, 1 → no_answer",
        "dialing_queues: 1 → pending",
        "under a redial hold (left to the platform's reconciler): 1",
        "long calls still live at the provider (left alone; choose hang-up to end them): 2",
    ] {
        assert!(
            details.iter().any(|l| l == line),
            "{line:?} in {details:#?}"
        );
    }
    let text = details.join("\n");
    // The age keeps moving while the test runs: only its minutes are fixed.
    assert!(
        text.contains("broadcast_queue ••••0001 Spring promo: calling for 10m"),
        "{text}"
    );
    assert!(
        text.contains("→ failed: launchdeck timed it out after 10 min in calling"),
        "{text}"
    );
    assert!(
        text.contains("left alone: Retell says the call is still ongoing"),
        "{text}"
    );
    assert!(
        text.contains("left alone: Twilio says the call is still in-progress"),
        "{text}"
    );
    assert!(!text.contains("+1415555"), "numbers are masked: {text}");
    assert!(
        matches!(
            verdict_of(&plan, 23),
            Verdict::LeaveAlone(LeftAlone::StillLive { .. })
        ),
        "a live Retell call older than 60 min is left alone"
    );
    assert_eq!(w.provider_mutations(), (0, 0), "planning mutates nothing");
    assert_eq!(
        w.statuses("broadcast_queue")
            .await
            .values()
            .filter(|s| *s == "calling")
            .count(),
        6,
        "planning writes nothing"
    );
}

#[tokio::test]
async fn apply_changes_exactly_the_stuck_rows_and_audits_each() {
    let w = World::new().await;
    let env = w.env(false);
    let plan = w.plan(CleanupRequest::default()).await;
    let outcome = cleanup::apply(&env, &plan).await.expect("apply");
    assert_eq!(
        (outcome.changed, outcome.skipped, outcome.failed),
        (7, 0, 0)
    );
    assert!(
        outcome.audit_errors.is_empty(),
        "{:?}",
        outcome.audit_errors
    );

    assert_eq!(
        w.statuses("broadcast_queue").await,
        statuses(&[
            (1, "failed"),
            (2, "pending"),
            (3, "completed"),
            (4, "calling"),
            (5, "calling"),
            (6, "failed"),
        ])
    );
    assert_eq!(
        w.statuses("dialing_queues").await,
        statuses(&[(11, "pending"), (12, "calling"), (13, "calling")])
    );
    assert_eq!(
        w.statuses("call_logs").await,
        statuses(&[
            (21, "no_answer"),
            (22, "queued"),
            (23, "ringing"),
            (24, "completed"),
            (30, "failed"),
        ])
    );
    assert_eq!(
        w.provider_mutations(),
        (0, 0),
        "no hang-up without choosing it"
    );
    let live = w.retell.state().call(&w.calls.retell_live).expect("call");
    assert_eq!(
        live["call_status"], "ongoing",
        "the long Retell call goes on"
    );

    let failed = outcome.rows.iter().find(|r| r.id == row(1)).expect("row 1");
    assert_eq!(failed.table, "broadcast_queue");
    assert_eq!(failed.name, "••••0001 Spring promo");
    assert_eq!(
        (failed.from.as_deref(), failed.status_now.as_deref()),
        (Some("calling"), Some("failed"))
    );

    let rows: Vec<(String, Uuid, String, Value, Value, String)> = sqlx::query_as(
        "SELECT action, target_id, target_name, before, after, result FROM launchdeck.audit_log",
    )
    .fetch_all(w.db.pool())
    .await
    .expect("audit_log");
    assert_eq!(rows.len(), 7, "one record per changed row");
    assert!(rows.iter().all(|r| r.0 == "cleanup" && r.5 == "changed"));
    let (_, _, name, before, after, _) = rows
        .iter()
        .find(|r| r.1 == row(24))
        .expect("call_log 24 audited");
    assert_eq!(name, "••••0024 Renewals");
    assert_eq!(before["status"], "ringing");
    assert_eq!(before["phone"], "••••0024");
    assert_eq!(after["status"], "completed");
    assert_eq!(after["duration_seconds"], 45);
    let audit_text = serde_json::to_string(&rows.iter().map(|r| (&r.3, &r.4)).collect::<Vec<_>>())
        .unwrap_or_default();
    assert!(
        !audit_text.contains("+1415555"),
        "numbers masked in the audit: {audit_text}"
    );
    let file = std::fs::read_to_string(w.dir.path().join("data").join("audit.jsonl"))
        .expect("audit.jsonl");
    assert_eq!(file.lines().count(), 7);
}

#[tokio::test]
async fn a_row_changed_between_plan_and_apply_is_skipped() {
    let w = World::new().await;
    let plan = w.plan(CleanupRequest::default()).await;
    w.execute(&format!(
        "UPDATE broadcast_queue SET status = 'answered' WHERE id = '{}'",
        row(2)
    ))
    .await;
    w.execute(&format!(
        "UPDATE dialing_queues SET attempts = 1 WHERE id = '{}'",
        row(11)
    ))
    .await;
    let outcome = cleanup::apply(&w.env(false), &plan).await.expect("apply");
    assert_eq!(
        (outcome.changed, outcome.skipped, outcome.failed),
        (5, 2, 0)
    );
    let skipped: BTreeMap<u128, (&AuditResult, Option<&str>)> = outcome
        .rows
        .iter()
        .filter(|r| matches!(r.result, AuditResult::Skipped(_)))
        .map(|r| {
            (
                r.id.as_u128() - 0x1000,
                (&r.result, r.status_now.as_deref()),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        BTreeMap::from([
            (
                2,
                (
                    &AuditResult::Skipped(
                        "the row changed since the preview: its status is now `answered`".into()
                    ),
                    Some("answered")
                )
            ),
            (
                11,
                (
                    &AuditResult::Skipped(
                        "the row changed since the preview (or came under a redial hold); preview it again"
                            .into()
                    ),
                    Some("calling")
                )
            ),
        ])
    );
    assert_eq!(
        w.statuses("broadcast_queue").await[&2],
        "answered",
        "not clobbered"
    );
    assert_eq!(w.statuses("dialing_queues").await[&11], "calling");
    let results: Vec<String> =
        sqlx::query_scalar("SELECT result FROM launchdeck.audit_log WHERE result LIKE 'skipped%'")
            .fetch_all(w.db.pool())
            .await
            .expect("audit_log");
    assert_eq!(results.len(), 2, "skips are audited");
}

/// A row another session holds locked: the cleanup waits `lock_timeout` (2 s), not
/// forever, then changes nothing at all (one transaction), and the result and the audit
/// say each row failed and why.
#[tokio::test]
async fn a_locked_row_fails_the_cleanup_whole_with_a_clear_reason() {
    let w = World::new().await;
    let plan = w.plan(CleanupRequest::default()).await;
    let before = (
        w.statuses("broadcast_queue").await,
        w.statuses("dialing_queues").await,
        w.statuses("call_logs").await,
    );
    let mut holder = w.db.pool().begin().await.expect("another session");
    sqlx::query("SELECT 1 FROM call_logs WHERE id = $1 FOR UPDATE")
        .bind(row(21))
        .execute(&mut *holder)
        .await
        .expect("lock a row the plan changes");

    let outcome = cleanup::apply(&w.env(false), &plan).await.expect("apply");
    holder.rollback().await.expect("release the lock");

    assert_eq!(
        (outcome.changed, outcome.skipped, outcome.failed),
        (0, 0, 7),
        "{:?}",
        outcome.rows
    );
    for r in &outcome.rows {
        let AuditResult::Failed(why) = &r.result else {
            panic!("{:?}", r.result);
        };
        assert!(why.contains("lock"), "the reason names the lock: {why}");
    }
    let after = (
        w.statuses("broadcast_queue").await,
        w.statuses("dialing_queues").await,
        w.statuses("call_logs").await,
    );
    assert_eq!(after, before, "nothing half-written");
    let results: Vec<String> = sqlx::query_scalar("SELECT result FROM launchdeck.audit_log")
        .fetch_all(w.db.pool())
        .await
        .expect("audit_log");
    assert_eq!(results.len(), 7, "every row audited");
    assert!(
        results.iter().all(|r| r.starts_with("failed")),
        "{results:?}"
    );
}

#[tokio::test]
async fn read_only_refuses_before_any_write_or_provider_mutation() {
    let w = World::new().await;
    let env = w.env(true);
    let plan = CleanupPlan {
        hang_up: true,
        ..cleanup::plan(&env, CleanupRequest::default())
            .await
            .expect("planning reads, so read-only may plan")
    };
    let err = cleanup::apply(&env, &plan)
        .await
        .expect_err("read-only refuses");
    assert!(matches!(err, ActionError::ReadOnly("cleanup")), "{err:?}");
    assert_eq!(w.provider_mutations(), (0, 0), "no hang-up sent");
    let calling = w
        .statuses("broadcast_queue")
        .await
        .values()
        .filter(|s| *s == "calling")
        .count();
    assert_eq!(calling, 6, "nothing written");
    let audit: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('launchdeck.audit_log')::text")
            .fetch_one(w.db.pool())
            .await
            .expect("regclass");
    assert_eq!(audit, None, "not even launchdeck's own tables");
    assert!(!w.dir.path().join("data").join("audit.jsonl").exists());
}

#[tokio::test]
async fn hang_up_sends_one_hang_up_per_live_call_and_leaves_the_rows() {
    let w = World::new().await;
    let env = w.env(false);
    let mut plan = w.plan(CleanupRequest::default()).await;
    plan.hang_up = true;
    assert!(
        plan.summary().contains("hang up 2 live calls"),
        "{}",
        plan.summary()
    );
    let outcome = cleanup::apply(&env, &plan).await.expect("apply");
    assert_eq!(
        (outcome.changed, outcome.skipped, outcome.failed),
        (9, 0, 0)
    );
    assert_eq!(
        w.hang_ups_of(&format!("/v2/stop-call/{}", w.calls.retell_live)),
        1,
        "one Retell stop-call"
    );
    assert_eq!(
        w.hang_ups_of(&format!("/Calls/{}.json", w.calls.twilio_live)),
        1,
        "one Twilio hang-up"
    );
    assert_eq!(w.provider_mutations(), (1, 1), "and no other mutation");
    let retell = w.retell.state().call(&w.calls.retell_live).expect("call");
    assert_eq!(retell["call_status"], "ended");
    let twilio = w.twilio.state().call(&w.calls.twilio_live).expect("call");
    assert_eq!(twilio["status"], "completed");
    let statuses = w.statuses("call_logs").await;
    assert_eq!(
        statuses[&23], "ringing",
        "the row waits for a later cleanup"
    );
    let hung_up = outcome
        .rows
        .iter()
        .find(|r| r.id == row(23))
        .expect("row 23");
    assert_eq!(hung_up.result, AuditResult::Changed);

    // Only the marked row, and only if it is stuck.
    let plan = w
        .plan(CleanupRequest {
            rows: Some(vec![
                (CallSource::CallLogs, row(23)),
                (CallSource::CallLogs, row(22)),
            ]),
            ..CleanupRequest::default()
        })
        .await;
    assert_eq!(plan.rows.len(), 1);
    assert_eq!(plan.not_stuck, vec![(CallSource::CallLogs, row(22))]);
    match verdict_of(&plan, 23) {
        Verdict::Write(write) => assert_eq!(write.new_status, "completed", "ended by the hang-up"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn older_than_overrides_the_stuck_ages() {
    let w = World::new().await;
    let plan = w
        .plan(CleanupRequest {
            older_than: Some(Duration::from_secs(30)),
            ..CleanupRequest::default()
        })
        .await;
    for n in [5, 12, 22] {
        assert!(
            plan.rows.iter().any(|r| r.call.id == row(n)),
            "row {n} (1 min old) is stuck at 30 s"
        );
    }
    let plan = w
        .plan(CleanupRequest {
            older_than: Some(Duration::from_secs(3600)),
            ..CleanupRequest::default()
        })
        .await;
    let stuck: Vec<u128> = plan
        .rows
        .iter()
        .map(|r| r.call.id.as_u128() - 0x1000)
        .collect();
    assert_eq!(stuck.len(), 2, "only the 70-min call_logs: {stuck:?}");
}
