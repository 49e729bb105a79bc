//! The test broadcast end to end against the platform fixture in PostgreSQL (the
//! first-campaign seed) and the fake providers over loopback HTTP: refusals before any
//! request, the readiness gate and its override, one create per number with its own
//! request id and at most one per second, never a redial after a 5xx / timeout / reset,
//! reconcile, final states from the provider, the real figures unchanged, the audit
//! trail, read-only, a plan applied once, and no secret anywhere.

mod world;

use std::sync::Arc;
use std::time::Duration;

use launchdeck_core::domain::{CallSource, Scope};
use launchdeck_core::test_broadcast::{TestKind, TestProvider};
use launchdeck_ops::actions::test_broadcast::{
    self, CallState, FollowSummary, FollowTimings, Placement, Refusal, TestBroadcastPlan,
    TestBroadcastRequest, TestCallProgress, TestTarget,
};
use launchdeck_ops::actions::{
    ActionContext, ActionEnv, ActionError, ActionOutcome, ActionPlan, ActionRequest, PlanView,
};
use launchdeck_ops::{GatherOptions, Gatherer};
use launchdeck_seed::first_campaign::SeedFacts;
use launchdeck_seed::pg;
use launchdeck_sim::fakes::{
    CallPlan, Fault, RecordedRequest, Route, TwilioCallPlan, TwilioOutcome,
};
use launchdeck_store::Store;
use launchdeck_store::pg::{PgOptions, PgStore};
use launchdeck_testkit::TestDb;
use serde_json::Value;
use sqlx::AssertSqlSafe;
use tempfile::TempDir;
use tokio::sync::mpsc;
use uuid::Uuid;

/// Numbers the operator owns (the allowlist), and one that is not listed.
const OWNED: [&str; 4] = [
    "+14155550181",
    "+14155550182",
    "+14155550183",
    "+14155550184",
];
const STRANGER: &str = "+14155550199";
const CREATE_RETELL: &str = "/v2/create-phone-call";

struct Bench {
    db: TestDb,
    store: Arc<dyn Store>,
    fakes: world::Fakes,
    facts: SeedFacts,
    dir: TempDir,
    options: GatherOptions,
}

impl Bench {
    async fn new() -> Bench {
        Bench::with_options(world::fast()).await
    }

    async fn with_options(options: GatherOptions) -> Bench {
        let db = TestDb::create().await;
        let audio = world::audio_server().await;
        let (data, facts) = world::seed_data(&audio.base_url());
        pg::load(db.pool(), &data).await.expect("load the seed");
        let fakes = world::start_fakes(&facts, audio).await;
        let store = PgStore::connect(db.url(), PgOptions::default())
            .await
            .expect("connect");
        Bench {
            db,
            store: Arc::new(store),
            fakes,
            facts,
            dir: tempfile::tempdir().expect("temp dir"),
            options,
        }
    }

    fn ctx(&self, read_only: bool) -> ActionContext {
        ActionContext::new(
            Scope::default(),
            self.dir.path().join("audit.jsonl"),
            read_only,
        )
    }

    fn env_with(&self, read_only: bool, max_calls: u8) -> ActionEnv {
        let mut config = world::config(&self.fakes);
        config.test_broadcast.allowlist = OWNED[..3].iter().map(|s| s.to_string()).collect();
        config.test_broadcast.max_calls = max_calls;
        let gatherer = Gatherer::new(&config, self.store.clone(), self.options.clone());
        ActionEnv::new(self.store.clone(), gatherer, self.ctx(read_only))
    }

    fn env(&self) -> ActionEnv {
        self.env_with(false, 3)
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        let mut all = self.fakes.retell.faults().requests();
        all.extend(self.fakes.twilio.faults().requests());
        all
    }

    fn retell_creates(&self) -> Vec<Value> {
        self.fakes
            .retell
            .faults()
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == CREATE_RETELL)
            .map(|r| serde_json::from_str(&r.body).expect("a JSON body"))
            .collect()
    }

    fn twilio_creates(&self) -> Vec<Vec<(String, String)>> {
        self.fakes
            .twilio
            .faults()
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/Calls.json"))
            .map(|r| {
                url::form_urlencoded::parse(r.body.as_bytes())
                    .into_owned()
                    .collect()
            })
            .collect()
    }

    async fn texts(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let rows: Vec<sqlx::postgres::PgRow> = sqlx::query(AssertSqlSafe(sql))
            .fetch_all(self.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        use sqlx::Row;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.get::<Option<String>, _>(i))
                    .collect()
            })
            .collect()
    }

    async fn execute(&self, sql: &str) {
        sqlx::query(AssertSqlSafe(sql))
            .execute(self.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Everything the real broadcasts' and campaign's figures are made of.
    async fn real_figures(&self) -> Vec<Vec<Option<String>>> {
        let (a, b, c) = (
            self.facts.broadcast_a.id,
            self.facts.broadcast_b.id,
            self.facts.campaign.id,
        );
        let mut all = self
            .texts(&format!(
                "SELECT broadcast_id::text, status, count(*)::text FROM broadcast_queue \
                 WHERE broadcast_id IN ('{a}', '{b}') GROUP BY 1, 2 ORDER BY 1, 2"
            ))
            .await;
        all.extend(
            self.texts(&format!(
                "SELECT id::text, status, total_leads::text, calls_made::text, \
                 calls_answered::text FROM voice_broadcasts WHERE id IN ('{a}', '{b}') ORDER BY 1"
            ))
            .await,
        );
        all.extend(
            self.texts(&format!(
                "SELECT status, count(*)::text FROM call_logs WHERE campaign_id = '{c}' \
                 GROUP BY 1 ORDER BY 1"
            ))
            .await,
        );
        all.extend(
            self.texts(&format!(
                "SELECT status, count(*)::text, sum(attempts)::text FROM dialing_queues \
                 WHERE campaign_id = '{c}' GROUP BY 1 ORDER BY 1"
            ))
            .await,
        );
        all
    }

    fn audit_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("audit.jsonl")).unwrap_or_default()
    }
}

fn request(target: TestTarget, to: &[&str]) -> TestBroadcastRequest {
    TestBroadcastRequest {
        target,
        to: to.iter().map(|s| s.to_string()).collect(),
        agent: None,
        override_readiness: true,
    }
}

fn quick() -> FollowTimings {
    FollowTimings {
        poll_interval: Duration::from_millis(50),
        reconcile_every: Duration::from_millis(100),
        reconcile_window: Duration::from_secs(3),
        max_call_duration: Duration::from_secs(60),
    }
}

async fn plan_of(env: &ActionEnv, request: TestBroadcastRequest) -> TestBroadcastPlan {
    test_broadcast::plan(env, request).await.expect("plan")
}

/// Applies, lets the fakes' calls end (their clocks jump ahead), follows.
async fn run(
    bench: &Bench,
    env: &ActionEnv,
    plan: &TestBroadcastPlan,
    timings: FollowTimings,
) -> (ActionOutcome, FollowSummary, Vec<TestCallProgress>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let placed = test_broadcast::apply_with_progress(env, plan, Some(&tx))
        .await
        .expect("apply");
    bench
        .fakes
        .retell
        .state()
        .clock()
        .advance(Duration::from_secs(600));
    bench
        .fakes
        .twilio
        .state()
        .clock()
        .advance(Duration::from_secs(600));
    let summary = test_broadcast::follow_with(env, placed.calls, tx, timings).await;
    let outcome = placed.outcome;
    let mut progress = Vec::new();
    while let Ok(p) = rx.try_recv() {
        progress.push(p);
    }
    (outcome, summary, progress)
}

fn assert_no_secret(text: &str, what: &str) {
    for secret in world::secrets() {
        assert!(!text.contains(secret), "{what} holds a secret: {text}");
    }
}

#[tokio::test]
async fn bad_numbers_are_refused_before_any_request() {
    let bench = Bench::new().await;
    let env = bench.env();
    let a = TestTarget::Broadcast(bench.facts.broadcast_a.id);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![STRANGER], "is not in the test-number allowlist"),
        (vec!["4155550181"], "is not an E.164 number"),
        (vec!["+1 415 555 0181"], "is not an E.164 number"),
        (vec![OWNED[0], OWNED[1], OWNED[2], OWNED[3]], "at most 3"),
        (vec![OWNED[0], OWNED[0]], "is given twice"),
        (vec![], "no destination"),
    ];
    for (to, says) in cases {
        let plan = plan_of(&env, request(a, &to)).await;
        assert!(plan.target_unavailable() && !plan.will_change(), "{to:?}");
        assert!(
            matches!(plan.refusal, Some(Refusal::Destinations(_))),
            "{to:?}"
        );
        let summary = plan.summary();
        assert!(summary.contains(says), "{to:?}: {summary}");
        // The refusal names the number and where the allowlist is set.
        if to == vec![STRANGER] {
            assert!(summary.contains(STRANGER), "{summary}");
            assert!(summary.contains("[test_broadcast] allowlist"), "{summary}");
        }
        // Applying a refused plan does nothing.
        let outcome = test_broadcast::apply(&env, &plan).await.expect("apply");
        assert_eq!(outcome, ActionOutcome::default());
    }
    // A max_calls of 2 refuses the third number.
    let two = bench.env_with(false, 2);
    let plan = plan_of(&two, request(a, &OWNED[..3])).await;
    assert!(plan.summary().contains("at most 2"), "{}", plan.summary());
    // An empty allowlist refuses everything.
    let mut config = world::config(&bench.fakes);
    config.test_broadcast.allowlist.clear();
    let empty = ActionEnv::new(
        bench.store.clone(),
        Gatherer::new(&config, bench.store.clone(), world::fast()),
        bench.ctx(false),
    );
    let plan = plan_of(&empty, request(a, &[OWNED[0]])).await;
    assert!(
        plan.summary().contains("allowlist is empty"),
        "{}",
        plan.summary()
    );
    assert!(
        bench.requests().is_empty(),
        "no request may be sent: {:?}",
        bench.requests()
    );
    let audited = bench.store.audit_records(10).await.expect("audit records");
    assert!(audited.is_empty(), "nothing audited: {audited:?}");
}

#[tokio::test]
async fn unknown_targets_and_missing_agents_are_refused() {
    let bench = Bench::new().await;
    let env = bench.env();
    let unknown = plan_of(
        &env,
        request(TestTarget::Campaign(Uuid::from_u128(9)), &[OWNED[0]]),
    )
    .await;
    assert!(matches!(unknown.refusal, Some(Refusal::UnknownTarget(_))));
    assert!(unknown.target_unavailable());
    assert!(
        unknown.summary().starts_with("no campaign "),
        "{}",
        unknown.summary()
    );
    // An AI broadcast needs --agent.
    let b = bench.facts.broadcast_b.id;
    bench
        .execute(&format!(
            "UPDATE voice_broadcasts SET ivr_mode = 'ai_conversational' WHERE id = '{b}'"
        ))
        .await;
    let plan = plan_of(&env, request(TestTarget::Broadcast(b), &[OWNED[0]])).await;
    assert_eq!(plan.kind, Some(TestKind::AiBroadcast));
    assert_eq!(plan.refusal, Some(Refusal::AgentRequired));
    assert!(plan.summary().contains("--agent"), "{}", plan.summary());
    // Out of scope: another tenant's campaign is named, not acted on.
    let other_scope = ActionEnv {
        ctx: ActionContext {
            scope: Scope {
                user_id: None,
                org_id: Some(bench.facts.second_org.org_id),
            },
            ..bench.ctx(false)
        },
        ..bench.env()
    };
    let plan = plan_of(
        &other_scope,
        request(TestTarget::Campaign(bench.facts.campaign.id), &[OWNED[0]]),
    )
    .await;
    assert_eq!(plan.refusal, Some(Refusal::OutOfScope));
    assert!(bench.retell_creates().is_empty() && bench.twilio_creates().is_empty());
}

#[tokio::test]
async fn the_readiness_gate_blocks_and_the_override_passes() {
    let bench = Bench::new().await;
    let env = bench.env();
    let campaign = TestTarget::Campaign(bench.facts.campaign.id);
    let mut asked = request(campaign, &[OWNED[0]]);
    asked.override_readiness = false;
    let blocked = plan_of(&env, asked.clone()).await;
    // The first-campaign seed has a Retell number without an outbound agent: blocking.
    assert!(
        !blocked.blocking_checks().is_empty(),
        "{:?}",
        blocked.readiness
    );
    let Some(Refusal::ReadinessBlocked(ids)) = &blocked.refusal else {
        panic!("not blocked: {:?}", blocked.refusal);
    };
    assert_eq!(ids, blocked.blocking_checks());
    assert!(blocked.target_unavailable() && !blocked.will_change());
    let summary = blocked.summary();
    for id in blocked.blocking_checks() {
        assert!(
            summary.contains(id.as_str()),
            "the refusal names {id}: {summary}"
        );
    }
    assert!(summary.contains("--override-readiness"), "{summary}");
    assert!(!blocked.readiness_overridden());
    assert!(bench.retell_creates().is_empty());

    asked.override_readiness = true;
    let overridden = plan_of(&env, asked).await;
    assert!(overridden.will_change() && !overridden.target_unavailable());
    assert!(overridden.readiness_overridden());
    assert_eq!(overridden.blocking_checks(), blocked.blocking_checks());
    let details = overridden.details().join("\n");
    assert!(details.contains("readiness overridden"), "{details}");
    for id in overridden.blocking_checks() {
        assert!(details.contains(id.as_str()), "{details}");
    }
    assert!(overridden.summary().contains("readiness overridden"));
    // Planning placed nothing.
    assert!(bench.retell_creates().is_empty());
}

#[tokio::test]
async fn a_campaign_test_places_one_call_per_number_and_records_the_end() {
    let bench = Bench::new().await;
    let env = bench.env();
    let before = bench.real_figures().await;
    let retell = bench.fakes.retell.state();
    retell.push_plan(CallPlan::answered(
        Duration::from_secs(2),
        Duration::from_secs(40),
    ));
    retell.push_plan(CallPlan::not_connected(Duration::from_secs(5), "dial_busy"));
    retell.push_plan(CallPlan::answered(
        Duration::from_secs(2),
        Duration::from_secs(30),
    ));
    let c = bench.facts.campaign.id;
    let plan = plan_of(
        &env,
        request(TestTarget::Campaign(c), &[OWNED[0], OWNED[1], OWNED[2]]),
    )
    .await;
    assert!(plan.will_change(), "{}", plan.summary());
    assert_eq!(plan.provider(), Some(TestProvider::Retell));
    assert_eq!(
        plan.agent.as_deref(),
        Some(bench.facts.campaign.agent_id.as_str())
    );
    let caller = plan.caller.as_deref().expect("a caller").number.clone();
    assert!(caller.retell_phone_id.is_some() && caller.status == "active" && !caller.is_spam);
    assert_eq!(caller.organization_id, bench.facts.first_org.org_id);
    let text = format!("{}\n{}", plan.summary(), plan.details().join("\n"));
    assert!(
        text.contains("••••0181") && !text.contains(OWNED[0]),
        "{text}"
    );

    let (outcome, summary, progress) = run(&bench, &env, &plan, quick()).await;
    assert_eq!((outcome.changed, outcome.failed), (3, 0), "{outcome:?}");

    // Exactly one create per number, each with its own request id, the campaign's agent.
    let creates = bench.retell_creates();
    assert_eq!(creates.len(), 3, "{creates:?}");
    let mut ids: Vec<&str> = creates
        .iter()
        .map(|c| {
            c["metadata"]["launchdeck_request_id"]
                .as_str()
                .expect("a request id")
        })
        .collect();
    for (create, to) in creates.iter().zip(&OWNED[..3]) {
        assert_eq!(create["to_number"], *to);
        assert_eq!(create["from_number"], caller.number.as_str());
        assert_eq!(
            create["override_agent_id"],
            bench.facts.campaign.agent_id.as_str()
        );
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "distinct request ids");
    // At most one create per second.
    let sent: Vec<_> = summary.calls.iter().map(|c| c.sent_at).collect();
    for pair in sent.windows(2) {
        assert!(
            pair[1] - pair[0] >= chrono::Duration::milliseconds(999),
            "creates {:?} apart",
            pair[1] - pair[0]
        );
    }

    // The ends, from Retell: completed, busy, completed.
    let finals: Vec<Option<&str>> = summary
        .calls
        .iter()
        .map(|c| c.final_status.as_deref())
        .collect();
    assert_eq!(finals, [Some("completed"), Some("busy"), Some("completed")]);
    assert!(summary.all_finished(), "{summary:?}");
    let rows = bench
        .texts(
            "SELECT status, outcome, duration_seconds::text, campaign_id::text, notes, \
             retell_call_id, user_id::text, organization_id::text FROM call_logs \
             WHERE notes LIKE 'launchdeck test call%' ORDER BY created_at",
        )
        .await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (row, call) in rows.iter().zip(&summary.calls) {
        assert_eq!(row[0].as_deref(), call.final_status.as_deref());
        assert_eq!(row[1].as_deref(), call.final_status.as_deref());
        assert_eq!(row[3], None, "campaign_id stays NULL");
        let note = row[4].as_deref().unwrap_or_default();
        assert!(
            note.contains(&format!("campaign \"{}\"", bench.facts.campaign.name)),
            "{note}"
        );
        assert_eq!(row[5].as_deref(), call.provider_call_id.as_deref());
        assert_eq!(
            row[6],
            Some(bench.facts.first_org.owner_user_id.to_string())
        );
    }
    assert_eq!(rows[0][2].as_deref(), Some("40"));
    // Progress said each state in words, masked.
    let lines: Vec<String> = progress.iter().map(ToString::to_string).collect();
    assert!(lines.iter().any(|l| l == "••••0181: placing"), "{lines:?}");
    assert!(lines.iter().any(|l| l == "••••0181: ringing"), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("••••0182: ended: busy (dial_busy)")),
        "{lines:?}"
    );
    for line in &lines {
        assert!(!line.contains("+1415"), "unmasked: {line}");
        assert_no_secret(line, "progress");
    }

    // The real campaign's and broadcasts' figures did not move.
    assert_eq!(bench.real_figures().await, before);

    // One audit record per row, numbers masked.
    let records: Vec<_> = env
        .store()
        .audit_records(50)
        .await
        .expect("audit")
        .into_iter()
        .filter(|r| r.action == "test-broadcast")
        .collect();
    assert_eq!(records.len(), 3, "{records:?}");
    let audit = format!("{}{:?}", bench.audit_text(), records);
    for owned in &OWNED[..3] {
        assert!(
            !audit.contains(owned),
            "an unmasked destination in the audit"
        );
    }
    assert!(audit.contains("••••0183"));
    assert_no_secret(&audit, "the audit trail");

    // Following again (the console re-opened the run) asks nothing more.
    let polls = bench
        .fakes
        .retell
        .faults()
        .count(&Route::get("/v2/get-call"));
    let (tx, _rx) = mpsc::unbounded_channel();
    let refollowed = test_broadcast::follow_with(&env, summary.calls.clone(), tx, quick()).await;
    assert_eq!(refollowed.calls, summary.calls);
    assert_eq!(
        bench
            .fakes
            .retell
            .faults()
            .count(&Route::get("/v2/get-call")),
        polls
    );

    // The same plan never dials twice.
    let again = test_broadcast::apply(&env, &plan).await;
    assert!(
        matches!(again, Err(ActionError::AlreadyApplied(_))),
        "{again:?}"
    );
    let via_vocabulary =
        launchdeck_ops::actions::apply(&env, &ActionPlan::TestBroadcast(plan.clone())).await;
    assert!(matches!(
        via_vocabulary,
        Err(ActionError::AlreadyApplied(_))
    ));
    assert_eq!(bench.retell_creates().len(), 3);
}

#[tokio::test]
async fn an_audio_broadcast_plays_its_audio_through_twilio_into_a_draft_broadcast() {
    let bench = Bench::new().await;
    let env = bench.env();
    let before = bench.real_figures().await;
    bench.fakes.twilio.state().push_plan(TwilioCallPlan {
        queued: Duration::from_secs(1),
        ringing: Duration::from_secs(2),
        outcome: TwilioOutcome::Completed {
            talk: Duration::from_secs(25),
        },
    });
    bench.fakes.twilio.state().push_plan(TwilioCallPlan {
        queued: Duration::from_secs(1),
        ringing: Duration::from_secs(20),
        outcome: TwilioOutcome::NoAnswer,
    });
    let a = &bench.facts.broadcast_a;
    let plan = plan_of(
        &env,
        request(TestTarget::Broadcast(a.id), &[OWNED[0], OWNED[1]]),
    )
    .await;
    assert_eq!(plan.kind, Some(TestKind::Audio));
    let caller = plan.caller.as_deref().expect("a caller");
    assert_eq!(
        caller.number.number, a.caller_id,
        "the broadcast's own caller_id"
    );
    assert!(caller.preferred);
    let audio_url = plan
        .target
        .as_deref()
        .and_then(|t| t.audio_url.clone())
        .expect("the broadcast's audio");
    assert!(
        audio_url.ends_with("/broadcast-audio/summer-savings.mp3"),
        "{audio_url}"
    );
    let (outcome, summary, _) = run(&bench, &env, &plan, quick()).await;
    assert_eq!(outcome.changed, 2, "{outcome:?}");

    let creates = bench.twilio_creates();
    assert_eq!(creates.len(), 2, "{creates:?}");
    let form = |pairs: &Vec<(String, String)>, key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(form(&creates[0], "To"), OWNED[0]);
    assert_eq!(form(&creates[0], "From"), a.caller_id);
    assert_eq!(
        form(&creates[0], "Twiml"),
        format!("<Response><Play>{audio_url}</Play></Response>")
    );
    assert!(bench.retell_creates().is_empty());

    // The rows are in the draft test broadcast, ended as Twilio says.
    let name = format!("launchdeck test — {}", a.name);
    let drafts = bench
        .texts(&format!(
            "SELECT id::text, status, audio_url, message_text, dtmf_actions::text FROM \
             voice_broadcasts WHERE name = '{}'",
            name.replace('\'', "''")
        ))
        .await;
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    assert_eq!(drafts[0][1].as_deref(), Some("draft"));
    assert_eq!(drafts[0][2].as_deref(), Some(audio_url.as_str()));
    let dtmf: Value = serde_json::from_str(drafts[0][4].as_deref().expect("dtmf")).expect("JSON");
    assert_eq!(dtmf, a.dtmf_actions);
    let draft_id = drafts[0][0].clone().expect("id");
    let rows = bench
        .texts(&format!(
            "SELECT status, attempts::text, call_sid, call_duration_seconds::text, lead_name \
             FROM broadcast_queue WHERE broadcast_id = '{draft_id}' ORDER BY created_at"
        ))
        .await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][0].as_deref(), Some("completed"));
    assert_eq!(rows[0][1].as_deref(), Some("1"));
    assert_eq!(rows[0][3].as_deref(), Some("25"));
    assert_eq!(rows[1][0].as_deref(), Some("no_answer"));
    assert_eq!(
        rows[0][2].as_deref(),
        summary.calls[0].provider_call_id.as_deref()
    );
    assert!(summary.all_finished());
    // The draft was audited once, with one record per row.
    let records = env.store().audit_records(50).await.expect("audit");
    let tables: Vec<&str> = records
        .iter()
        .filter(|r| r.action == "test-broadcast")
        .map(|r| r.target.table.as_str())
        .collect();
    assert_eq!(
        tables.iter().filter(|t| **t == "voice_broadcasts").count(),
        1,
        "{tables:?}"
    );
    assert_eq!(
        tables.iter().filter(|t| **t == "broadcast_queue").count(),
        2
    );

    // A second test reuses the draft.
    let again = plan_of(&env, request(TestTarget::Broadcast(a.id), &[OWNED[2]])).await;
    run(&bench, &env, &again, quick()).await;
    let drafts = bench
        .texts(&format!(
            "SELECT count(*)::text FROM voice_broadcasts WHERE name = '{}'",
            name.replace('\'', "''")
        ))
        .await;
    assert_eq!(drafts[0][0].as_deref(), Some("1"));
    assert_eq!(
        bench.real_figures().await,
        before,
        "the real broadcast did not move"
    );
}

#[tokio::test]
async fn an_ai_broadcast_dials_the_chosen_agent_through_retell() {
    let bench = Bench::new().await;
    let env = bench.env();
    let b = bench.facts.broadcast_b.id;
    bench
        .execute(&format!(
            "UPDATE voice_broadcasts SET ivr_mode = 'ai_conversational' WHERE id = '{b}'"
        ))
        .await;
    let agent = bench.facts.agents[0].retell_agent_id.clone();
    let mut asked = request(TestTarget::Broadcast(b), &[OWNED[1]]);
    asked.agent = Some(agent.clone());
    let plan = plan_of(&env, asked).await;
    assert!(plan.will_change(), "{}", plan.summary());
    assert_eq!(plan.provider(), Some(TestProvider::Retell));
    // Broadcast B's caller is a Telnyx number: not a Retell number, so another is used.
    let caller = plan.caller.as_deref().expect("caller");
    assert!(!caller.preferred && caller.number.retell_phone_id.is_some());
    let (_, summary, _) = run(&bench, &env, &plan, quick()).await;
    let creates = bench.retell_creates();
    assert_eq!(creates.len(), 1);
    assert_eq!(creates[0]["override_agent_id"], agent.as_str());
    let (source, id) = summary.calls[0].row.expect("a row");
    assert_eq!(source, CallSource::CallLogs);
    let row = bench
        .texts(&format!(
            "SELECT campaign_id::text, notes, status FROM call_logs WHERE id = '{id}'"
        ))
        .await;
    assert_eq!(row[0][0], None);
    assert!(
        row[0][1]
            .as_deref()
            .unwrap_or_default()
            .contains("broadcast \"")
    );
    assert_eq!(row[0][2].as_deref(), Some("completed"));
}

/// One failed create: exactly one request, the row says acceptance unknown, and
/// reconcile either finds the call (the fake registered it) or says "probably not placed".
async fn never_redialled(
    fault: Fault,
    options: GatherOptions,
    expect_found: Option<bool>,
    timings: FollowTimings,
) {
    let bench = Bench::with_options(options).await;
    let env = bench.env();
    bench
        .fakes
        .retell
        .faults()
        .inject(Route::post(CREATE_RETELL), fault.clone(), 1);
    let plan = plan_of(
        &env,
        request(TestTarget::Campaign(bench.facts.campaign.id), &[OWNED[0]]),
    )
    .await;
    assert!(plan.will_change(), "{}", plan.summary());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let placed = test_broadcast::apply_with_progress(&env, &plan, Some(&tx))
        .await
        .expect("apply");
    let (outcome, calls) = (placed.outcome, placed.calls);
    assert_eq!(
        calls[0].placed,
        Some(Placement::AcceptanceUnknown),
        "{fault:?}: {calls:?}"
    );
    assert_eq!(outcome.failed, 1);
    let (_, id) = calls[0].row.expect("a row");
    let held = bench
        .texts(&format!(
            "SELECT status, provider_reconciliation_required::text, \
             provider_reconciliation_reason FROM call_logs WHERE id = '{id}'"
        ))
        .await;
    assert_eq!(held[0][0].as_deref(), Some("queued"), "{fault:?}");
    assert_eq!(
        held[0][1].as_deref(),
        Some("true"),
        "the redial hold is set"
    );
    assert!(held[0][2].is_some());
    bench
        .fakes
        .retell
        .state()
        .clock()
        .advance(Duration::from_secs(600));
    let summary = test_broadcast::follow_with(&env, calls.clone(), tx, timings).await;
    let at_fake = bench
        .fakes
        .retell
        .state()
        .calls()
        .into_iter()
        .any(|c| c["to_number"] == OWNED[0]);
    if let Some(found) = expect_found {
        assert_eq!(at_fake, found, "{fault:?}");
    }
    let mut states = Vec::new();
    while let Ok(p) = rx.try_recv() {
        states.push(p.state);
    }
    assert!(
        states
            .iter()
            .any(|s| matches!(s, CallState::AcceptanceUnknown(_))),
        "{states:?}"
    );
    let row = bench
        .texts(&format!(
            "SELECT status, retell_call_id, provider_reconciliation_required::text FROM \
             call_logs WHERE id = '{id}'"
        ))
        .await;
    if at_fake {
        assert!(
            states.iter().any(|s| matches!(s, CallState::Found(_))),
            "{states:?}"
        );
        assert_eq!(summary.calls[0].placed, Some(Placement::Placed));
        assert_eq!(row[0][0].as_deref(), Some("completed"), "{row:?}");
        assert!(row[0][1].is_some());
    } else {
        assert!(states.contains(&CallState::ProbablyNotPlaced), "{states:?}");
        assert_eq!(row[0][0].as_deref(), Some("failed"), "{row:?}");
        assert_eq!(row[0][2].as_deref(), Some("false"));
        assert!(!summary.all_finished());
    }
    // Never re-sent.
    assert_eq!(
        bench.retell_creates().len(),
        1,
        "{fault:?}: one create only"
    );
    for state in &states {
        assert_no_secret(&state.to_string(), "progress");
    }
}

#[tokio::test]
async fn a_5xx_is_acceptance_unknown_never_redialled_and_probably_not_placed() {
    never_redialled(Fault::status(500), world::fast(), Some(false), quick()).await;
}

#[tokio::test]
async fn a_lost_reply_is_reconciled_to_the_call_the_fake_registered() {
    never_redialled(Fault::LostReply, world::fast(), Some(true), quick()).await;
}

#[tokio::test]
async fn a_dropped_connection_is_never_redialled() {
    never_redialled(Fault::DropBeforeReply, world::fast(), Some(false), quick()).await;
}

#[tokio::test]
async fn a_timeout_after_sending_is_never_redialled() {
    // The client gives up after 2 s; the fake answers after 4 s (and may register it).
    let options = GatherOptions {
        source_timeout: Duration::from_secs(2),
        provider_spacing: Duration::ZERO,
    };
    // A window long enough for the late create to land: found if the fake registered
    // it, else "probably not placed"; one create either way.
    let timings = FollowTimings {
        reconcile_window: Duration::from_secs(10),
        ..quick()
    };
    never_redialled(Fault::Delay(Duration::from_secs(4)), options, None, timings).await;
}

#[tokio::test]
async fn read_only_refuses_and_sends_nothing() {
    let bench = Bench::new().await;
    let env = bench.env_with(true, 3);
    let plan = plan_of(
        &env,
        request(TestTarget::Campaign(bench.facts.campaign.id), &[OWNED[0]]),
    )
    .await;
    assert!(plan.will_change());
    let result = test_broadcast::apply(&env, &plan).await;
    assert!(
        matches!(result, Err(ActionError::ReadOnly("test-broadcast"))),
        "{result:?}"
    );
    let result = launchdeck_ops::actions::apply(&env, &ActionPlan::TestBroadcast(plan)).await;
    assert!(matches!(result, Err(ActionError::ReadOnly(_))));
    assert!(bench.retell_creates().is_empty());
    let rows = bench
        .texts("SELECT count(*)::text FROM call_logs WHERE notes LIKE 'launchdeck test%'")
        .await;
    assert_eq!(rows[0][0].as_deref(), Some("0"));
    // Through the vocabulary, the request names the action.
    let request = ActionRequest::TestBroadcast(request(
        TestTarget::Campaign(bench.facts.campaign.id),
        &[OWNED[0]],
    ));
    assert_eq!(request.action().name(), "test-broadcast");
    assert_eq!(request.action().title(), "Test broadcast");
}

#[tokio::test]
async fn a_rejected_create_is_failed_with_the_reason_and_not_redialled() {
    let bench = Bench::new().await;
    let env = bench.env();
    bench.fakes.retell.state().set_trial_ended(true);
    let plan = plan_of(
        &env,
        request(
            TestTarget::Campaign(bench.facts.campaign.id),
            &[OWNED[0], OWNED[1]],
        ),
    )
    .await;
    let (outcome, summary, progress) = run(&bench, &env, &plan, quick()).await;
    assert_eq!(outcome.failed, 2);
    assert!(
        summary
            .calls
            .iter()
            .all(|c| c.placed == Some(Placement::Rejected)
                && c.final_status.as_deref() == Some("failed"))
    );
    assert_eq!(
        bench.retell_creates().len(),
        2,
        "one per number, none again"
    );
    assert!(
        progress
            .iter()
            .any(|p| matches!(&p.state, CallState::Rejected(why) if why.contains("402"))),
        "{progress:?}"
    );
    let rows = bench
        .texts("SELECT status, notes FROM call_logs WHERE notes LIKE 'launchdeck test%'")
        .await;
    assert!(
        rows.iter().all(|r| r[0].as_deref() == Some("failed")),
        "{rows:?}"
    );
    assert!(!summary.all_finished());
    let details = format!("{outcome:?}{summary:?}");
    assert_no_secret(&details, "the outcome");
}

/// Twilio has no request id: reconcile looks for the call from the caller to the
/// destination created since the create. A lost reply is found; a 500 is not.
#[tokio::test]
async fn an_audio_test_whose_reply_was_lost_is_found_at_twilio_and_a_500_is_not() {
    let bench = Bench::new().await;
    let env = bench.env();
    let calls_route = Route::post(&format!(
        "/2010-04-01/Accounts/{}/Calls.json",
        world::TWILIO_SID
    ));
    let twilio = bench.fakes.twilio.faults();
    twilio.inject(calls_route.clone(), Fault::LostReply, 1);
    twilio.inject(calls_route, Fault::status(500), 1);
    let a = bench.facts.broadcast_a.id;
    let plan = plan_of(
        &env,
        request(TestTarget::Broadcast(a), &[OWNED[0], OWNED[1]]),
    )
    .await;
    let (outcome, summary, progress) = run(&bench, &env, &plan, quick()).await;
    assert_eq!(outcome.failed, 2, "{outcome:?}");
    assert_eq!(
        bench.twilio_creates().len(),
        2,
        "one create per number, never again"
    );
    let lost = &summary.calls[0];
    assert_eq!(lost.placed, Some(Placement::Placed), "{lost:?}");
    assert_eq!(lost.final_status.as_deref(), Some("completed"));
    assert!(
        lost.provider_call_id
            .as_deref()
            .is_some_and(|s| s.starts_with("CA"))
    );
    let refused = &summary.calls[1];
    assert_eq!(refused.placed, Some(Placement::AcceptanceUnknown));
    assert_eq!(refused.final_status.as_deref(), Some("failed"));
    let states: Vec<String> = progress.iter().map(ToString::to_string).collect();
    assert!(
        states.iter().any(|s| s.starts_with("••••0181: found")),
        "{states:?}"
    );
    assert!(
        states
            .iter()
            .any(|s| s.starts_with("••••0182: probably not placed")),
        "{states:?}"
    );
    let (_, id) = refused.row.expect("a row");
    let row = bench
        .texts(&format!(
            "SELECT status, error_code, call_sid FROM broadcast_queue WHERE id = '{id}'"
        ))
        .await;
    assert_eq!(
        row[0],
        vec![
            Some("failed".to_string()),
            Some("ACCEPTANCE_UNKNOWN".to_string()),
            None
        ]
    );
}

/// A call still going when the longest call time passes is left in flight (its row
/// as placed) for `launchdeck cleanup`; the follow ends.
#[tokio::test]
async fn a_call_past_the_longest_call_time_is_left_in_flight() {
    let bench = Bench::new().await;
    let env = bench.env();
    bench.fakes.retell.state().push_plan(CallPlan::answered(
        Duration::from_secs(1),
        Duration::from_secs(3600),
    ));
    let plan = plan_of(
        &env,
        request(TestTarget::Campaign(bench.facts.campaign.id), &[OWNED[2]]),
    )
    .await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let placed = test_broadcast::apply_with_progress(&env, &plan, None)
        .await
        .expect("apply");
    let timings = FollowTimings {
        max_call_duration: Duration::from_millis(1500),
        ..quick()
    };
    let summary = test_broadcast::follow_with(&env, placed.calls, tx, timings).await;
    let mut states = Vec::new();
    while let Ok(p) = rx.try_recv() {
        states.push(p.state);
    }
    assert_eq!(states.last(), Some(&CallState::StillLive), "{states:?}");
    assert!(!summary.all_finished());
    let (_, id) = summary.calls[0].row.expect("a row");
    let row = bench
        .texts(&format!(
            "SELECT status, retell_call_id FROM call_logs WHERE id = '{id}'"
        ))
        .await;
    assert_eq!(row[0][0].as_deref(), Some("ringing"));
    assert_eq!(
        row[0][1].as_deref(),
        summary.calls[0].provider_call_id.as_deref()
    );
}
