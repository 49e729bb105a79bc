//! `launchdeck reconcile` as the real binary against a test PostgreSQL database (the
//! platform fixture) and the Retell and Twilio fakes on loopback in this process: each
//! classification, both Retell path generations, the pacing the fakes saw, masking, the
//! exit codes and the JSON.

#[path = "common/actions.rs"]
#[allow(dead_code)]
mod actions;

use std::time::Duration;

use actions::{
    BROADCAST, CAMPAIGN, Env, ORG, USER, ago, code, json_of, phone, row, stderr, stdout, tenant,
};
use chrono::Utc;
use launchdeck_seed::SeedData;
use launchdeck_sim::fakes::{
    CallPlan, FakeAgent, FakeNumber, PastCall, PathMode, RecordedRequest, RetellFake, RetellState,
    TwilioCallPlan, TwilioFake, TwilioOutcome, TwilioState,
};
use serde_json::{Value, json};

const RETELL_KEY: &str = "key_cli0reconcile0retell0value0aa11";
const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
const TWILIO_TOKEN: &str = "twilio0reconcile0token0value0bb22";
const AGENT: &str = "agent_reconcile";
const CALLER: &str = "+14155550123";
/// The orphan's lead: nothing but its last 4 digits may be printed.
const ORPHAN_LEAD: &str = "+14155559876";
const UNKNOWN_SID: &str = "CA00000000000000000000000000000000";

fn past(call_id: &str, to: &str) -> PastCall {
    PastCall {
        call_id: call_id.into(),
        agent_id: AGENT.into(),
        from_number: CALLER.into(),
        to_number: to.into(),
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn created(secs_ago: i64) -> chrono::DateTime<Utc> {
    Utc::now() - chrono::Duration::seconds(secs_ago)
}

/// Retell holds: call_live (ongoing), call_ended (ended: user_hangup), call_dial
/// (not_connected: dial_busy), call_old (ongoing for 2 h), call_orphan (ongoing, no row).
async fn retell(mode: PathMode) -> RetellFake {
    let state = RetellState::new(RETELL_KEY);
    state.set_path_mode(mode);
    let long = CallPlan::answered(Duration::ZERO, secs(4 * 3600));
    state.add_past_call(past("call_live", &phone(21)), long.clone(), created(60));
    state.add_past_call(
        past("call_ended", &phone(22)),
        CallPlan::answered_with(Duration::ZERO, secs(20), "user_hangup"),
        created(300),
    );
    state.add_past_call(
        past("call_dial", &phone(11)),
        CallPlan::not_connected(secs(5), "dial_busy"),
        created(300),
    );
    state.add_past_call(past("call_old", &phone(23)), long.clone(), created(7200));
    state.add_past_call(past("call_orphan", ORPHAN_LEAD), long, created(120));
    RetellFake::start(state).await.expect("retell fake")
}

/// Twilio holds a call in progress and a completed one; returns their sids.
async fn twilio() -> (TwilioFake, String, String) {
    let state = TwilioState::new(TWILIO_SID, TWILIO_TOKEN);
    let plan = |outcome| TwilioCallPlan {
        queued: Duration::ZERO,
        ringing: Duration::ZERO,
        outcome,
    };
    let live = state.add_call(
        &phone(1),
        CALLER,
        plan(TwilioOutcome::Completed { talk: secs(3600) }),
    );
    let done = "CA11111111111111111111111111111111";
    state.add_past_call(
        done,
        &phone(2),
        CALLER,
        plan(TwilioOutcome::Completed { talk: secs(10) }),
        created(600),
    );
    let fake = TwilioFake::start(state).await.expect("twilio fake");
    (fake, live, done.to_string())
}

/// Rows in flight: broadcast_queue 1 (live sid), 2 (completed sid), 3 (unknown sid);
/// dialing_queues 11 (call_dial); call_logs 21 (call_live), 22 (call_ended), 23 (call_old,
/// 2 h), 24 (no call id: left out).
fn rows(live_sid: &str, done_sid: &str) -> SeedData {
    let mut data = tenant();
    for (n, sid) in [(1, live_sid), (2, done_sid), (3, UNKNOWN_SID)] {
        data.table("broadcast_queue").push(json!({
            "id": row(n), "broadcast_id": BROADCAST, "phone_number": phone(n),
            "status": "calling", "attempts": 0, "max_attempts": 1, "call_sid": sid,
            "created_at": ago(120), "updated_at": ago(60),
        }));
    }
    let lead = row(111);
    data.table("leads").push(json!({
        "id": lead, "user_id": USER, "organization_id": ORG, "phone_number": phone(11),
    }));
    data.table("dialing_queues").push(json!({
        "id": row(11), "campaign_id": CAMPAIGN, "lead_id": lead, "phone_number": phone(11),
        "status": "calling", "attempts": 1, "max_attempts": 3, "updated_at": ago(300),
        "last_provider": "retell", "last_provider_call_id": "call_dial",
    }));
    for (n, call_id, secs) in [
        (21, Some("call_live"), 60),
        (22, Some("call_ended"), 300),
        (23, Some("call_old"), 7200),
        (24, None, 30),
    ] {
        data.table("call_logs").push(json!({
            "id": row(n), "user_id": USER, "organization_id": ORG, "campaign_id": CAMPAIGN,
            "phone_number": phone(n), "caller_id": CALLER, "status": "ringing",
            "retell_call_id": call_id, "created_at": ago(secs),
        }));
    }
    data
}

fn use_retell(env: &mut Env, retell: &RetellFake) {
    env.set("LAUNCHDECK_RETELL_BASE_URL", &retell.base_url());
    env.set("RETELL_AI_API_KEY", RETELL_KEY);
}

fn use_twilio(env: &mut Env, twilio: &TwilioFake) {
    env.set("LAUNCHDECK_TWILIO_BASE_URL", &twilio.base_url());
    env.set("TWILIO_ACCOUNT_SID", TWILIO_SID);
    env.set("TWILIO_AUTH_TOKEN", TWILIO_TOKEN);
}

struct World {
    env: Env,
    retell: RetellFake,
    twilio: TwilioFake,
}

async fn world(mode: PathMode) -> World {
    let retell = retell(mode).await;
    let (twilio, live, done) = twilio().await;
    let mut env = Env::new(&rows(&live, &done)).await;
    use_retell(&mut env, &retell);
    use_twilio(&mut env, &twilio);
    World {
        env,
        retell,
        twilio,
    }
}

fn ids(list: &Value, field: &str) -> Vec<String> {
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|item| item[field].as_str().unwrap_or_default().to_string())
        .collect();
    ids.sort();
    ids
}

fn ghost<'a>(report: &'a Value, call_id: &str) -> &'a Value {
    report["ghosts"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["provider_call_id"] == call_id))
        .unwrap_or_else(|| panic!("no ghost {call_id} in {report:#}"))
}

/// Every classification, as the JSON reports it.
fn assert_classified(report: &Value) {
    assert_eq!(report["schema_version"], 1);
    assert_eq!(
        report["concurrency"],
        json!({"current": 3, "limit": 20, "reserved_inbound": 0}),
        "three calls are live at Retell"
    );
    assert_eq!(report["db_in_flight"], 7, "{report:#}");
    assert_eq!(report["provider_ongoing"], 3);
    assert_eq!(report["agreeing"], 2, "call_live and the live Twilio sid");
    assert_eq!(
        ids(&report["ghosts"], "provider_call_id"),
        [
            "CA00000000000000000000000000000000",
            "CA11111111111111111111111111111111",
            "call_dial",
            "call_ended"
        ]
    );
    let ended = ghost(report, "call_ended");
    assert_eq!(ended["source"], "call_logs");
    assert_eq!(ended["id"], row(22).to_string());
    assert_eq!(ended["provider_status"], "ended");
    assert_eq!(ended["reason"], "user_hangup");
    assert!(ended["ended_at"].is_string(), "{ended}");
    let dial = ghost(report, "call_dial");
    assert_eq!(dial["source"], "dialing_queues");
    assert_eq!(dial["provider_status"], "not_connected");
    assert_eq!(dial["reason"], "dial_busy");
    assert_eq!(ghost(report, UNKNOWN_SID)["provider_status"], "not_found");
    assert_eq!(
        ghost(report, "CA11111111111111111111111111111111")["provider_status"],
        "completed"
    );
    assert_eq!(report["orphans_checked"], true);
    let orphans = report["orphans"].as_array().expect("orphans");
    assert_eq!(orphans.len(), 1, "{report:#}");
    let orphan = &orphans[0];
    assert_eq!(orphan["provider_call_id"], "call_orphan");
    assert_eq!(orphan["to"], "••••9876");
    assert_eq!(orphan["from"], "••••0123");
    assert_eq!(orphan["agent_id"], AGENT);
    assert!(orphan["age_seconds"].as_u64().is_some_and(|a| a >= 120));
    let old = report["impossible_age"].as_array().expect("impossible_age");
    assert_eq!(
        ids(&report["impossible_age"], "provider_call_id"),
        ["call_old"]
    );
    assert_eq!(old[0]["provider_status"], "ongoing");
    assert!(old[0]["age_seconds"].as_u64().is_some_and(|a| a >= 7200));
    assert_eq!(report["unchecked"], json!([]));
}

/// Gaps between the starts of consecutive requests the fake saw.
fn gaps(requests: &[RecordedRequest]) -> Vec<Duration> {
    requests
        .windows(2)
        .map(|pair| pair[1].at.duration_since(pair[0].at))
        .collect()
}

/// Never more than one request a second. The pacer spaces the starts on the client; a
/// request reaches the fake a little after it starts (a new connection, a loaded
/// machine), so one gap may look shorter by that delay, and the span of n requests is at
/// least n − 1 seconds less that delay once. Unpaced requests arrive milliseconds apart.
fn assert_paced(requests: &[RecordedRequest]) {
    let slack = Duration::from_millis(100);
    for gap in gaps(requests) {
        assert!(
            gap >= Duration::from_secs(1) - slack,
            "requests {gap:?} apart: {:#?}",
            paths(requests)
        );
    }
    if let (Some(first), Some(last)) = (requests.first(), requests.last()) {
        let span = last.at.duration_since(first.at);
        let least = Duration::from_secs(requests.len() as u64 - 1);
        assert!(
            span + slack >= least,
            "{} requests in {span:?}",
            requests.len()
        );
    }
}

fn paths(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test]
async fn every_classification_against_current_retell_paths_paced_and_masked() {
    let w = world(PathMode::Current).await;
    let out = w.env.run(&["reconcile", "--json"]).await;
    assert_eq!(code(&out), Some(1), "stderr: {}", stderr(&out));
    let report = json_of(&out);
    assert_classified(&report);

    let retell = w.retell.faults().requests();
    assert_eq!(
        paths(&retell),
        [
            "GET /get-concurrency",
            "POST /v3/list-calls",
            "POST /v3/list-calls",
        ],
        "the ghosts' calls come from one page of finished calls: no get-call"
    );
    assert!(
        retell[1].body.contains(r#""ongoing""#),
        "{}",
        retell[1].body
    );
    assert!(
        retell[1].body.contains(r#""op":"in""#),
        "v3 filter: {}",
        retell[1].body
    );
    assert_paced(&retell);
    let twilio = w.twilio.faults().requests();
    assert_eq!(twilio.len(), 3, "{:#?}", paths(&twilio));
    assert!(twilio.iter().all(|r| r.method == "GET"));
    assert_paced(&twilio);

    for text in [stdout(&out), stderr(&out)] {
        assert!(
            !text.contains("5559876"),
            "the orphan's lead is masked: {text}"
        );
        assert!(!text.contains(RETELL_KEY) && !text.contains(TWILIO_TOKEN));
    }
}

#[tokio::test]
async fn the_legacy_retell_generation_gives_the_same_answer() {
    let w = world(PathMode::Legacy).await;
    let out = w.env.run(&["reconcile", "--json"]).await;
    assert_eq!(code(&out), Some(1), "stderr: {}", stderr(&out));
    assert_classified(&json_of(&out));

    let retell = w.retell.faults().requests();
    let legacy: Vec<&RecordedRequest> = retell
        .iter()
        .filter(|r| r.path == "/v2/list-calls")
        .collect();
    assert_eq!(legacy.len(), 2, "{:#?}", paths(&retell));
    assert!(
        legacy[0].body.contains(r#""call_status":["ongoing"]"#),
        "legacy array filter: {}",
        legacy[0].body
    );
    // The generation is learnt once per run: one /v3 probe answered 404, then the
    // legacy path at the lane's next turn, like every other request.
    assert_eq!(
        paths(&retell),
        [
            "GET /get-concurrency",
            "POST /v3/list-calls",
            "POST /v2/list-calls",
            "POST /v2/list-calls",
        ]
    );
    assert_paced(&retell);
}

#[tokio::test]
async fn the_text_report_names_each_finding_with_numbers_masked() {
    let w = world(PathMode::Current).await;
    let out = w.env.run(&["reconcile", "--no-color"]).await;
    assert_eq!(code(&out), Some(1), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("Retell concurrency 3 of 20 (0 reserved inbound)"),
        "{text}"
    );
    assert!(
        text.contains("2 agree, 4 ghosts, 1 orphans, 1 impossible ages, 0 unchecked"),
        "{text}"
    );
    assert!(text.contains("call_ended: provider says ended"), "{text}");
    assert!(text.contains("call_orphan ••••0123 to ••••9876"), "{text}");
    assert!(
        !text.contains(ORPHAN_LEAD) && !text.contains("5559876"),
        "{text}"
    );
}

#[tokio::test]
async fn everything_agreeing_exits_0() {
    let retell = retell(PathMode::Current).await;
    let mut data = tenant();
    data.table("call_logs").push(json!({
        "id": row(21), "user_id": USER, "organization_id": ORG, "campaign_id": CAMPAIGN,
        "phone_number": phone(21), "caller_id": CALLER, "status": "ringing",
        "retell_call_id": "call_live", "created_at": ago(60),
    }));
    // The other two live calls are known too: call_old young enough, call_orphan by id.
    for (n, call_id) in [(23, "call_old"), (25, "call_orphan")] {
        data.table("call_logs").push(json!({
            "id": row(n), "user_id": USER, "organization_id": ORG, "campaign_id": CAMPAIGN,
            "phone_number": phone(n), "caller_id": CALLER, "status": "queued",
            "retell_call_id": call_id, "created_at": ago(30),
        }));
    }
    let mut env = Env::new(&data).await;
    use_retell(&mut env, &retell);
    let out = env.run(&["reconcile", "--json"]).await;
    assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["agreeing"], 3, "{report:#}");
    assert_eq!(report["db_in_flight"], 3);
    for list in ["ghosts", "orphans", "impossible_age", "unchecked"] {
        assert_eq!(report[list], json!([]), "{list}: {report:#}");
    }
    assert_eq!(
        paths(&retell.faults().requests()),
        ["GET /get-concurrency", "POST /v3/list-calls"],
        "every row's call is in the ongoing list: nothing more is asked"
    );
}

#[tokio::test]
async fn without_twilio_its_rows_are_unchecked_not_ghosts() {
    let retell = retell(PathMode::Current).await;
    let mut env = Env::new(&rows(UNKNOWN_SID, "CA22222222222222222222222222222222")).await;
    use_retell(&mut env, &retell);
    let out = env.run(&["reconcile", "--json"]).await;
    assert_eq!(code(&out), Some(1), "stderr: {}", stderr(&out));
    let report = json_of(&out);
    let unchecked = report["unchecked"].as_array().expect("unchecked");
    assert_eq!(unchecked.len(), 3, "{report:#}");
    assert!(
        unchecked.iter().all(|u| u["source"] == "broadcast_queue"
            && u["why"]
                .as_str()
                .unwrap_or_default()
                .contains("TWILIO_ACCOUNT_SID")),
        "{report:#}"
    );
}

#[tokio::test]
async fn it_cannot_run_without_retell_or_with_retell_failing() {
    let env = Env::new(&tenant()).await;
    let out = env.run(&["reconcile", "--json"]).await;
    assert_eq!(code(&out), Some(2), "stdout: {}", stdout(&out));
    assert!(
        stderr(&out).contains("RETELL_AI_API_KEY"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());

    let retell = retell(PathMode::Current).await;
    let mut env = Env::new(&tenant()).await;
    env.set("LAUNCHDECK_RETELL_BASE_URL", &retell.base_url());
    env.set("RETELL_AI_API_KEY", "key_wrong0value0for0the0fake0zz99");
    let out = env.run(&["reconcile"]).await;
    assert_eq!(code(&out), Some(2), "stdout: {}", stdout(&out));
    assert!(
        stderr(&out).contains("cannot reconcile"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn calls_on_neither_list_are_asked_one_by_one_in_the_paced_lane() {
    let state = RetellState::new(RETELL_KEY);
    // Still dialling: `registered`, on neither the ongoing nor the finished list.
    let dialling = CallPlan::answered(secs(3600), secs(60));
    state.add_past_call(past("call_dialling", &phone(21)), dialling, created(20));
    let retell = RetellFake::start(state).await.expect("retell fake");
    let mut data = tenant();
    for (n, call_id) in [(21, "call_dialling"), (22, "call_unknown")] {
        data.table("call_logs").push(json!({
            "id": row(n), "user_id": USER, "organization_id": ORG, "campaign_id": CAMPAIGN,
            "phone_number": phone(n), "caller_id": CALLER, "status": "queued",
            "retell_call_id": call_id, "created_at": ago(20),
        }));
    }
    let mut env = Env::new(&data).await;
    use_retell(&mut env, &retell);
    let out = env.run(&["reconcile", "--json"]).await;
    assert_eq!(code(&out), Some(1), "stderr: {}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["agreeing"], 1, "the registered call: {report:#}");
    assert_eq!(ids(&report["ghosts"], "provider_call_id"), ["call_unknown"]);
    assert_eq!(
        ghost(&report, "call_unknown")["provider_status"],
        "not_found"
    );
    let requests = retell.faults().requests();
    let mut asked = paths(&requests);
    asked[3..].sort();
    assert_eq!(
        asked,
        [
            "GET /get-concurrency",
            "POST /v3/list-calls",
            "POST /v3/list-calls",
            "GET /v2/get-call/call_dialling",
            "GET /v2/get-call/call_unknown",
        ]
    );
    assert_paced(&requests);
}

#[tokio::test]
async fn under_a_tenant_scope_no_orphan_is_reported() {
    let w = world(PathMode::Current).await;
    let org = ORG.to_string();
    let out = w.env.run(&["reconcile", "--json", "--org", &org]).await;
    assert_eq!(code(&out), Some(1), "stderr: {}", stderr(&out));
    let report = json_of(&out);
    assert_eq!(report["orphans_checked"], false, "{report:#}");
    assert_eq!(report["orphans"], json!([]));
    assert_eq!(report["provider_ongoing"], 3);
    assert_eq!(
        report["ghosts"].as_array().map(Vec::len),
        Some(4),
        "{report:#}"
    );

    let out = w.env.run(&["reconcile", "--org", &org]).await;
    assert!(
        stdout(&out).contains("orphans not checked: scoped to one tenant"),
        "{}",
        stdout(&out)
    );
}

/// A test call placed through Retell's create-call (its request id in the metadata),
/// ongoing, and known to no row: the audit record of the test broadcast that placed it
/// is what knows it.
async fn audited_test_call(retell: &RetellFake, env: &Env, audited: bool) -> String {
    use launchdeck_core::actions::{AuditRecord, AuditResult, AuditTarget};
    use launchdeck_providers::retell::NewCall;
    use launchdeck_providers::{HttpConfig, RetellClient};
    use launchdeck_store::Store;
    use launchdeck_store::pg::{PgOptions, PgStore};

    launchdeck_providers::install_crypto_provider();
    let client = RetellClient::new(
        &retell.base_url(),
        secrecy::SecretString::from(RETELL_KEY),
        &HttpConfig::default(),
    )
    .expect("retell client");
    let call = NewCall {
        from_number: CALLER.into(),
        to_number: ORPHAN_LEAD.into(),
        override_agent_id: Some(AGENT.into()),
        dynamic_variables: Default::default(),
        request_id: uuid::Uuid::new_v4(),
    };
    let outcome = client.create_call(&call).await;
    let call_id = match outcome.placed() {
        Some(call) => call.call_id.clone(),
        None => panic!("not placed: {outcome:?}"),
    };
    // Placed a minute ago: well before the rows are read.
    assert!(retell.state().set_call_created(&call_id, created(60)));
    let store = PgStore::connect(env.db.url(), PgOptions::default())
        .await
        .expect("connect");
    store.prepare_audit().await.expect("audit table");
    let record = AuditRecord {
        id: uuid::Uuid::new_v4(),
        at: Utc::now(),
        actor: "operator@console-host".into(),
        action: if audited { "test-broadcast" } else { "pause" }.into(),
        target: AuditTarget {
            table: "call_logs".into(),
            id: row(30),
            name: "••••9876".into(),
        },
        before: Some(json!({"status": "queued", "request_id": call.request_id})),
        after: None,
        result: AuditResult::Changed,
        launchdeck_version: "test".into(),
    };
    store.append_audit(&[record]).await.expect("audit record");
    retell.faults().reset_log();
    call_id
}

#[tokio::test]
async fn a_test_call_the_audit_trail_knows_by_request_id_is_no_orphan() {
    for audited in [true, false] {
        let state = RetellState::new(RETELL_KEY);
        state.set_default_plan(CallPlan::answered(Duration::ZERO, secs(3600)));
        state.add_agent(FakeAgent::new(AGENT));
        state.add_number(FakeNumber::new(CALLER).outbound_agents(&[AGENT]));
        let retell = RetellFake::start(state).await.expect("retell fake");
        let mut env = Env::new(&tenant()).await;
        use_retell(&mut env, &retell);
        let call_id = audited_test_call(&retell, &env, audited).await;
        let out = env.run(&["reconcile", "--json"]).await;
        let report = json_of(&out);
        assert_eq!(report["provider_ongoing"], 1, "{report:#}");
        if audited {
            assert_eq!(code(&out), Some(0), "stderr: {}", stderr(&out));
            assert_eq!(report["orphans"], json!([]), "{report:#}");
        } else {
            assert_eq!(code(&out), Some(1), "stderr: {}", stderr(&out));
            assert_eq!(ids(&report["orphans"], "provider_call_id"), [call_id]);
        }
    }
}

#[tokio::test]
async fn an_unreachable_database_exits_2_before_any_provider_is_asked() {
    let retell = retell(PathMode::Current).await;
    let mut env = Env::new(&tenant()).await;
    use_retell(&mut env, &retell);
    // Port 1 on loopback: nothing listens there.
    env.set(
        "LAUNCHDECK_DATABASE_URL",
        "postgres://launchdeck@127.0.0.1:1/launchdeck",
    );
    let out = env.run(&["reconcile", "--json"]).await;
    assert_eq!(code(&out), Some(2), "stdout: {}", stdout(&out));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(!stderr(&out).is_empty());
    assert_eq!(retell.faults().requests().len(), 0, "Retell was not asked");
}
