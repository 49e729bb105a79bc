//! `launchdeck test-broadcast` as the real binary against a test PostgreSQL database
//! (the platform fixture) and the Retell fake on loopback in this process: the exit
//! codes 0/1/2/3, `--to` taking several values and repeated, the JSON shape, read-only
//! refused before connecting, and no secret in any output.

#[path = "common/leaks.rs"]
mod leaks;

use std::process::{Command, Output};
use std::time::Duration;

use launchdeck_seed::{SeedData, pg};
use launchdeck_sim::fakes::{CallPlan, FakeAgent, FakeNumber, RetellFake, RetellState, Route};
use launchdeck_testkit::TestDb;
use leaks::Leaks;
use serde_json::{Value, json};
use tempfile::TempDir;
use uuid::Uuid;

const USER: Uuid = Uuid::from_u128(0xa1);
const ORG: Uuid = Uuid::from_u128(0xa0);
const CAMPAIGN: Uuid = Uuid::from_u128(0x200);
const NUMBER_ID: Uuid = Uuid::from_u128(0x300);
const CALLER: &str = "+14155550150";
const AGENT: &str = "agent_cli0test0broadcast";
// Shares no 16 characters with the ids below: the leak search would take them for it.
const RETELL_KEY: &str = "key_cli0calls0canary0secret0aa11";
const OWNED: [&str; 4] = [
    "+14155550181",
    "+14155550182",
    "+14155550183",
    "+14155550184",
];

fn seed() -> SeedData {
    let mut data = SeedData::with_owner(USER, ORG);
    data.table("campaigns").push(json!({
        "id": CAMPAIGN, "user_id": USER, "organization_id": ORG, "name": "Renewals",
        "status": "active", "agent_id": AGENT, "provider": "retell",
    }));
    data.table("phone_numbers").push(json!({
        "id": NUMBER_ID, "user_id": USER, "organization_id": ORG, "number": CALLER,
        "area_code": "415", "retell_phone_id": CALLER, "provider": "retell_native",
        "purpose": "retell_agent",
    }));
    data
}

struct Env {
    db: TestDb,
    home: TempDir,
    retell: RetellFake,
}

impl Env {
    async fn new() -> Env {
        let db = TestDb::create().await;
        pg::load(db.pool(), &seed()).await.expect("seed");
        let state = RetellState::new(RETELL_KEY);
        state.add_agent(FakeAgent::new(AGENT).name("CLI agent"));
        state.add_number(FakeNumber::new(CALLER).outbound_agents(&[AGENT]));
        // Short calls: answered after half a second, 1 s of talk.
        state.set_default_plan(CallPlan::answered(
            Duration::from_millis(500),
            Duration::from_secs(1),
        ));
        Env {
            db,
            home: tempfile::tempdir().expect("temp home"),
            retell: RetellFake::start(state).await.expect("retell fake"),
        }
    }

    /// `launchdeck test-broadcast --campaign CAMPAIGN ARGS…`.
    async fn test_broadcast(&self, args: &[&str]) -> Output {
        let campaign = CAMPAIGN.to_string();
        let all: Vec<&str> = ["test-broadcast", "--campaign", &campaign]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        self.run(&all).await
    }

    /// Runs the binary off the async runtime, so the fake in this process keeps serving.
    async fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_launchdeck"));
        command
            .args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("LAUNCHDECK_DATA_DIR", self.home.path().join("data"))
            .env("LAUNCHDECK_DATABASE_URL", self.db.url())
            .env("LAUNCHDECK_RETELL_BASE_URL", self.retell.base_url())
            .env("RETELL_AI_API_KEY", RETELL_KEY)
            .env("LAUNCHDECK_TEST_BROADCAST_ALLOWLIST", OWNED[..3].join(","))
            .env("LANG", "C.UTF-8");
        tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("join")
            .expect("run launchdeck")
    }

    fn creates(&self) -> usize {
        self.retell
            .faults()
            .count(&Route::post("/v2/create-phone-call"))
    }

    async fn test_rows(&self) -> Vec<(String, Option<String>)> {
        sqlx::query_as(
            "SELECT status, campaign_id::text FROM call_logs \
             WHERE notes LIKE 'launchdeck test call%' ORDER BY created_at",
        )
        .fetch_all(self.db.pool())
        .await
        .expect("read call_logs")
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_clean(out: &Output) {
    let leaks = Leaks::new(std::iter::once(RETELL_KEY).chain(launchdeck_sim::fakes::CANARIES));
    leaks.assert_clean("stdout", &stdout(out));
    leaks.assert_clean("stderr", &stderr(out));
}

fn campaign() -> String {
    CAMPAIGN.to_string()
}

#[tokio::test]
async fn without_yes_the_plan_is_printed_and_exit_is_3_with_to_repeated_and_multi_valued() {
    let env = Env::new().await;
    let out = env
        .test_broadcast(&[
            "--to",
            OWNED[0],
            OWNED[1],
            "--to",
            OWNED[2],
            "--override-readiness",
        ])
        .await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.contains("Plan: place 3 test calls to ••••0181, ••••0182, ••••0183"),
        "{text}"
    );
    assert!(text.contains("caller: +14155550150"), "{text}");
    assert!(stderr(&out).contains("add --yes"), "{}", stderr(&out));
    assert_eq!(env.creates(), 0);
    assert!(env.test_rows().await.is_empty());
    assert_clean(&out);
}

#[tokio::test]
async fn refused_input_and_blocked_readiness_exit_2_with_nothing_sent() {
    let env = Env::new().await;
    let id = campaign();
    let out = env.test_broadcast(&["--to", "+14155550199", "--yes"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("+14155550199 is not in the test-number allowlist"),
        "{err}"
    );
    assert!(err.contains("LAUNCHDECK_TEST_BROADCAST_ALLOWLIST"), "{err}");
    let out = env
        .test_broadcast(&["--to", OWNED[0], OWNED[1], OWNED[2], OWNED[3], "--yes"])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("at most 3"), "{}", stderr(&out));
    // The minimal platform is not ready: without the override the readiness gate
    // refuses, naming the blocking checks.
    let out = env
        .test_broadcast(&["--to", OWNED[0], "--yes", "--json"])
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("readiness blocks the test"), "{err}");
    assert!(err.contains("--override-readiness"), "{err}");
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["applied"], false);
    assert_eq!(json["calls"], json!([]));
    assert_eq!(env.creates(), 0, "nothing was sent");
    assert!(env.test_rows().await.is_empty());
    // Read-only is refused before connecting.
    let out = env
        .run(&[
            "--read-only",
            "test-broadcast",
            "--campaign",
            &id,
            "--to",
            OWNED[0],
            "--yes",
        ])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("read-only mode"), "{}", stderr(&out));
    assert_eq!(env.creates(), 0);
    assert_clean(&out);
}

#[tokio::test]
async fn yes_places_follows_and_exits_0_with_the_calls_in_json() {
    let env = Env::new().await;
    let out = env
        .test_broadcast(&[
            "--to",
            OWNED[0],
            "--to",
            OWNED[1],
            "--override-readiness",
            "--yes",
            "--json",
        ])
        .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["action"], "test-broadcast");
    assert_eq!(json["applied"], true);
    assert_eq!(json["changed"], 2);
    let calls = json["calls"].as_array().expect("calls");
    assert_eq!(calls.len(), 2, "{json}");
    for (call, to) in calls.iter().zip(["••••0181", "••••0182"]) {
        assert_eq!(call["to"], to);
        assert_eq!(call["from"], CALLER);
        assert_eq!(call["provider"], "retell");
        assert_eq!(call["placed"], "placed");
        assert!(
            call["provider_call_id"]
                .as_str()
                .is_some_and(|s| s.starts_with("call_"))
        );
        assert!(Uuid::parse_str(call["request_id"].as_str().expect("request id")).is_ok());
        assert_eq!(call["final_status"], "no_answer", "a 1 s call: {call}");
        assert_eq!(call["duration_seconds"], 1);
        assert_eq!(call["row"]["source"], "call_logs");
        assert!(Uuid::parse_str(call["row"]["id"].as_str().expect("row id")).is_ok());
        let mut keys: Vec<&str> = call
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "duration_seconds",
                "final_status",
                "from",
                "placed",
                "provider",
                "provider_call_id",
                "reason",
                "request_id",
                "row",
                "to"
            ],
            "the documented shape"
        );
    }
    // One progress line per change on stderr.
    let err = stderr(&out);
    assert!(err.contains("••••0181: placing"), "{err}");
    assert!(err.contains("••••0182: ended: no_answer"), "{err}");
    assert!(!err.contains(OWNED[0]), "unmasked: {err}");
    assert_eq!(env.creates(), 2);
    let rows = env.test_rows().await;
    assert_eq!(
        rows,
        vec![
            ("no_answer".to_string(), None),
            ("no_answer".to_string(), None)
        ]
    );
    assert_clean(&out);
}

#[tokio::test]
async fn a_rejected_call_exits_1() {
    let env = Env::new().await;
    env.retell.state().set_trial_ended(true);
    let out = env
        .test_broadcast(&["--to", OWNED[0], "--override-readiness", "--yes"])
        .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.contains("••••0181 rejected"), "{text}");
    assert!(text.contains("0 of 1 calls placed and finished"), "{text}");
    assert!(stderr(&out).contains("rejected: "), "{}", stderr(&out));
    assert_eq!(env.creates(), 1, "never redialled");
    assert_eq!(env.test_rows().await, vec![("failed".to_string(), None)]);
    assert_clean(&out);
}
