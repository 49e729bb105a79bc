//! The emergency stop and its lift end to end on PostgreSQL (the platform fixture, its
//! CHECKs and triggers), with live calls at the fake providers: the typed confirmation,
//! the pause and the stop row in one transaction, calls in flight never touched, the
//! optional hang-up (one request per provider call), two consoles at once, readiness
//! reporting the stop, the lift of launchdeck's own rows only, read-only refusals and
//! the audit trail.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use launchdeck_core::actions::AuditResult;
use launchdeck_core::config::{BaseUrl, Config};
use launchdeck_core::domain::Scope;
use launchdeck_core::readiness::{Focus, Status};
use launchdeck_core::stop::StopScope;
use launchdeck_ops::actions::stop::{self, LiftRequest, StopPlan, StopRequest};
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
use serde_json::json;
use sqlx::AssertSqlSafe;
use tempfile::TempDir;
use tokio::sync::mpsc;
use uuid::Uuid;

const RETELL_KEY: &str = "key_stop0test0retell0value0aa11";
const TWILIO_SID: &str = "AC00112233445566778899aabbccddee00";
const TWILIO_TOKEN: &str = "stop0test0twilio0token0bb22";
const FROM: &str = "+14155550123";

const USER: Uuid = Uuid::from_u128(0xa1);
const ORG: Uuid = Uuid::from_u128(0xa0);
const BROADCAST: Uuid = Uuid::from_u128(0x100);
const CAMPAIGN: Uuid = Uuid::from_u128(0x200);
const QUEUE_ROW: Uuid = Uuid::from_u128(0x1001);
const DIAL_ROW: Uuid = Uuid::from_u128(0x1011);
const LOG_ROW: Uuid = Uuid::from_u128(0x1021);
const LEAD: Uuid = Uuid::from_u128(0x1031);

/// One live Retell call (the campaign's) and one live Twilio call (the broadcast's).
async fn live_calls(retell: &RetellFake, twilio: &TwilioFake) -> (String, String) {
    let client = RetellClient::new(
        &retell.base_url(),
        SecretString::from(RETELL_KEY),
        &HttpConfig::default(),
    )
    .expect("retell client");
    retell.state().push_plan(CallPlan::answered(
        Duration::from_secs(1),
        Duration::from_secs(3 * 3600),
    ));
    let call = NewCall {
        from_number: FROM.to_string(),
        to_number: "+14155559001".to_string(),
        override_agent_id: None,
        dynamic_variables: BTreeMap::new(),
        request_id: Uuid::new_v4(),
    };
    let retell_id = client
        .create_call(&call)
        .await
        .placed()
        .expect("placed")
        .call_id
        .clone();
    retell.state().clock().advance(Duration::from_secs(30));
    let plan = TwilioCallPlan {
        queued: Duration::from_secs(1),
        ringing: Duration::from_secs(1),
        outcome: TwilioOutcome::Completed {
            talk: Duration::from_secs(3 * 3600),
        },
    };
    let twilio_sid = twilio.state().add_call("+14155559002", FROM, plan);
    twilio.state().clock().advance(Duration::from_secs(30));
    (retell_id, twilio_sid)
}

fn data(retell_id: &str, twilio_sid: &str) -> SeedData {
    let ago = |secs: i64| (Utc::now() - chrono::Duration::seconds(secs)).to_rfc3339();
    let mut data = SeedData::with_owner(USER, ORG);
    data.table("campaigns").push(json!({
        "id": CAMPAIGN, "user_id": USER, "organization_id": ORG, "name": "Renewals",
        "status": "active",
    }));
    data.table("voice_broadcasts").push(json!({
        "id": BROADCAST, "user_id": USER, "name": "Spring promo", "status": "active",
        "message_text": "Hello",
    }));
    data.table("broadcast_queue").push(json!({
        "id": QUEUE_ROW, "broadcast_id": BROADCAST, "phone_number": "+14155559002",
        "status": "calling", "attempts": 1, "max_attempts": 1, "call_sid": twilio_sid,
        "updated_at": ago(30),
    }));
    data.table("leads").push(json!({
        "id": LEAD, "user_id": USER, "organization_id": ORG, "phone_number": "+14155559001",
    }));
    data.table("dialing_queues").push(json!({
        "id": DIAL_ROW, "campaign_id": CAMPAIGN, "lead_id": LEAD,
        "phone_number": "+14155559001", "status": "calling", "attempts": 1,
        "max_attempts": 3, "last_provider_call_id": retell_id, "updated_at": ago(30),
    }));
    data.table("call_logs").push(json!({
        "id": LOG_ROW, "user_id": USER, "organization_id": ORG, "campaign_id": CAMPAIGN,
        "phone_number": "+14155559001", "caller_id": FROM, "status": "ringing",
        "retell_call_id": retell_id, "created_at": ago(30),
    }));
    data
}

struct World {
    db: TestDb,
    store: Arc<dyn Store>,
    retell: RetellFake,
    twilio: TwilioFake,
    retell_call: String,
    twilio_call: String,
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
        let (retell_call, twilio_call) = live_calls(&retell, &twilio).await;
        let db = TestDb::create().await;
        launchdeck_seed::pg::load(db.pool(), &data(&retell_call, &twilio_call))
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
            retell_call,
            twilio_call,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn config(&self) -> Config {
        let url = |text: String| BaseUrl::parse(&text).expect("fake base URL");
        let mut config = Config::default();
        config.retell.api_key = Some(SecretString::from(RETELL_KEY));
        config.retell.base_url = url(self.retell.base_url());
        config.twilio.account_sid = Some(SecretString::from(TWILIO_SID));
        config.twilio.auth_token = Some(SecretString::from(TWILIO_TOKEN));
        config.twilio.base_url = url(self.twilio.base_url());
        config.twilio.trunking_base_url = url(self.twilio.trunking_base_url());
        config
    }

    fn gatherer(&self) -> Gatherer {
        let options = GatherOptions {
            source_timeout: Duration::from_secs(30),
            provider_spacing: Duration::ZERO,
        };
        Gatherer::new(&self.config(), self.store.clone(), options)
    }

    fn env_in(&self, scope: Scope, read_only: bool) -> ActionEnv {
        let audit_file = self.dir.path().join("data").join("audit.jsonl");
        let ctx = ActionContext::new(scope, audit_file, read_only);
        ActionEnv::new(self.store.clone(), self.gatherer(), ctx)
    }

    fn env(&self) -> ActionEnv {
        self.env_in(Scope::default(), false)
    }

    async fn plan(&self, scope: StopScope, hang_up: bool, typed: Option<&str>) -> StopPlan {
        let request = StopRequest {
            scope,
            hang_up,
            confirmation: typed.map(str::to_string),
        };
        stop::plan(&self.env(), request).await.expect("plan")
    }

    async fn scalar<T>(&self, sql: &str) -> T
    where
        T: Send + Unpin + for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        sqlx::query_scalar(AssertSqlSafe(sql))
            .fetch_one(self.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn execute(&self, sql: &str) {
        sqlx::query(AssertSqlSafe(sql))
            .execute(self.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    async fn status(&self, table: &str, id: Uuid) -> String {
        self.scalar(&format!("SELECT status FROM {table} WHERE id = '{id}'"))
            .await
    }

    /// The calls in flight, as (table, status): a stop never changes them.
    async fn in_flight(&self) -> Vec<String> {
        vec![
            self.status("broadcast_queue", QUEUE_ROW).await,
            self.status("dialing_queues", DIAL_ROW).await,
            self.status("call_logs", LOG_ROW).await,
        ]
    }

    async fn active_stop_rows(&self) -> i64 {
        self.scalar("SELECT count(*) FROM contact_stop_controls WHERE active")
            .await
    }

    fn stop_calls(&self) -> usize {
        self.retell.faults().count(&Route::post("/v2/stop-call"))
    }

    fn twilio_posts(&self) -> usize {
        self.twilio
            .faults()
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .count()
    }

    async fn audit_actions(&self) -> Vec<(String, String)> {
        self.store
            .audit_records(100)
            .await
            .expect("audit")
            .into_iter()
            .map(|r| (r.target.table, r.result.to_string()))
            .collect()
    }
}

const IN_FLIGHT: [&str; 3] = ["calling", "calling", "ringing"];

/// scope_type, campaign_id, organization_id, user_id, channel, metadata source, reason.
type StopRow = (
    String,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
    String,
    Option<String>,
    String,
);

#[tokio::test]
async fn a_campaign_stop_needs_the_exact_name_and_leaves_calls_in_flight() {
    let w = World::new().await;
    let env = w.env();

    // No name typed, or a wrong one: refused by apply itself, nothing written.
    let unconfirmed = w.plan(StopScope::Campaign(CAMPAIGN), false, None).await;
    assert!(unconfirmed.will_change());
    assert_eq!(
        unconfirmed.typed_confirmation().as_deref(),
        Some("Renewals")
    );
    assert!(
        unconfirmed
            .how_to_confirm()
            .contains("--confirm \"Renewals\"")
    );
    for typed in [None, Some("renewals"), Some("Renewal"), Some("STOP ALL")] {
        let plan = w.plan(StopScope::Campaign(CAMPAIGN), false, typed).await;
        assert_eq!(plan.refusal().is_some(), typed.is_some(), "{typed:?}");
        let err = stop::apply(&env, &plan).await.expect_err("refused");
        assert!(matches!(err, ActionError::Refused(_)), "{err}");
    }
    assert_eq!(w.status("campaigns", CAMPAIGN).await, "active");
    assert_eq!(w.active_stop_rows().await, 0);
    assert!(w.audit_actions().await.is_empty());

    let plan = w
        .plan(StopScope::Campaign(CAMPAIGN), false, Some("Renewals"))
        .await;
    assert!(plan.summary().contains("pause it"), "{}", plan.summary());
    let details = plan.details().join("\n");
    assert!(details.contains("left to finish"), "{details}");
    assert!(
        !details.contains("+14155559001"),
        "numbers masked: {details}"
    );
    let outcome = stop::apply(&env, &plan).await.expect("apply");
    assert_eq!(
        (outcome.changed, outcome.skipped, outcome.failed),
        (2, 0, 0)
    );
    assert_eq!(w.status("campaigns", CAMPAIGN).await, "paused");
    let (scope_type, campaign, org, user, channel, source, reason): StopRow = sqlx::query_as(
        "SELECT scope_type, campaign_id, organization_id, user_id, channel, \
         metadata ->> 'source', reason FROM contact_stop_controls WHERE active",
    )
    .fetch_one(w.db.pool())
    .await
    .expect("the stop row");
    assert_eq!(
        (scope_type.as_str(), campaign, org, user, channel.as_str()),
        ("campaign", Some(CAMPAIGN), None, None, "all")
    );
    assert_eq!(source.as_deref(), Some("launchdeck"));
    assert!(reason.contains("launchdeck"), "{reason}");
    // The calls in flight are untouched, and nothing was sent to a provider.
    assert_eq!(w.in_flight().await, IN_FLIGHT);
    assert_eq!((w.stop_calls(), w.twilio_posts()), (0, 0));
    let audited = w.audit_actions().await;
    assert_eq!(audited.len(), 2, "{audited:?}");
    assert!(audited.iter().all(|(_, result)| result == "changed"));

    // The platform's own dispatch blocker agrees, and readiness reports it as blocking.
    let allowed: bool = w
        .scalar(&format!(
            "SELECT allowed FROM evaluate_contact_stop('{USER}', '{ORG}', '{CAMPAIGN}', \
             'retell', 'voice')"
        ))
        .await;
    assert!(!allowed);
    let (tx, _rx) = mpsc::unbounded_channel();
    let report = w.gatherer().run(Focus::All, tx).await;
    let check = report
        .checks
        .iter()
        .find(|c| c.id.starts_with("safety.contact_stop:"))
        .expect("the stop's check");
    assert_eq!((check.status, check.blocking), (Status::Fail, true));
    assert!(check.fix.as_deref().unwrap_or_default().contains("--lift"));

    // Stopping again changes nothing.
    let again = w
        .plan(StopScope::Campaign(CAMPAIGN), false, Some("Renewals"))
        .await;
    assert!(!again.will_change());
    assert!(
        again.summary().contains("already stopped"),
        "{}",
        again.summary()
    );
}

#[tokio::test]
async fn hang_up_ends_each_live_call_once_and_never_requeues() {
    let w = World::new().await;
    let plan = w
        .plan(StopScope::Campaign(CAMPAIGN), true, Some("Renewals"))
        .await;
    // The call_log and the dialing_queues row carry the same Retell call: one hang-up.
    assert_eq!(plan.live_calls.len(), 1, "{:?}", plan.live_calls);
    let outcome = stop::apply(&w.env(), &plan).await.expect("apply");
    assert_eq!((outcome.changed, outcome.failed), (3, 0), "{outcome:?}");
    assert_eq!(w.stop_calls(), 1);
    assert_eq!(
        w.retell
            .faults()
            .count(&Route::post(&format!("/v2/stop-call/{}", w.retell_call))),
        1
    );
    assert_eq!(
        w.twilio_posts(),
        0,
        "the broadcast's call is not the campaign's"
    );
    assert_eq!(w.in_flight().await, IN_FLIGHT);

    // A broadcast stop pauses it (no stop row: the table has no broadcast scope) and
    // hangs up its Twilio call.
    let plan = w
        .plan(StopScope::Broadcast(BROADCAST), true, Some("Spring promo"))
        .await;
    let outcome = stop::apply(&w.env(), &plan).await.expect("apply");
    assert_eq!((outcome.changed, outcome.failed), (2, 0), "{outcome:?}");
    assert_eq!(w.status("voice_broadcasts", BROADCAST).await, "paused");
    assert_eq!(w.active_stop_rows().await, 1);
    assert!(
        w.twilio
            .faults()
            .requests()
            .iter()
            .any(|r| r.method == "POST"
                && r.path.contains(&w.twilio_call)
                && r.body.contains("Status="))
    );
    assert_eq!(w.in_flight().await, IN_FLIGHT);
}

#[tokio::test]
async fn two_consoles_stopping_at_once_write_one_row() {
    let w = World::new().await;
    let first = w.plan(StopScope::All, false, Some("STOP ALL")).await;
    let second = w.plan(StopScope::All, false, Some("STOP ALL")).await;
    assert!(first.will_change() && second.will_change());
    let (env_a, env_b) = (w.env(), w.env());
    let (a, b) = tokio::join!(stop::apply(&env_a, &first), stop::apply(&env_b, &second));
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(w.active_stop_rows().await, 1);
    assert_eq!(a.changed + b.changed, 1, "{a:?} {b:?}");
    assert_eq!(a.skipped + b.skipped, 1, "{a:?} {b:?}");
    let global: String = w
        .scalar("SELECT scope_type FROM contact_stop_controls WHERE active")
        .await;
    assert_eq!(global, "global");
    assert_eq!(w.audit_actions().await.len(), 2, "both audited");
    // Nothing else moved: a global stop pauses nothing and leaves the calls alone.
    assert_eq!(w.status("campaigns", CAMPAIGN).await, "active");
    assert_eq!(w.in_flight().await, IN_FLIGHT);
}

#[tokio::test]
async fn a_scoped_console_stops_its_tenant_not_everyone() {
    let w = World::new().await;
    let scope = Scope {
        user_id: None,
        org_id: Some(ORG),
    };
    let env = w.env_in(scope, false);
    let request = StopRequest {
        scope: StopScope::All,
        hang_up: false,
        confirmation: Some("STOP ALL".into()),
    };
    let plan = stop::plan(&env, request).await.expect("plan");
    stop::apply(&env, &plan).await.expect("apply");
    let row: (String, Option<Uuid>) = sqlx::query_as(
        "SELECT scope_type, organization_id FROM contact_stop_controls WHERE active",
    )
    .fetch_one(w.db.pool())
    .await
    .expect("row");
    assert_eq!(row, ("organization".to_string(), Some(ORG)));
}

#[tokio::test]
async fn lift_deactivates_launchdecks_row_only_and_resumes_nothing() {
    let w = World::new().await;
    let plan = w
        .plan(StopScope::Campaign(CAMPAIGN), false, Some("Renewals"))
        .await;
    stop::apply(&w.env(), &plan).await.expect("stop");
    let ours: Uuid = w
        .scalar("SELECT id FROM contact_stop_controls WHERE active")
        .await;
    w.execute(
        "INSERT INTO contact_stop_controls (scope_type, reason) VALUES ('global', 'legal hold')",
    )
    .await;
    let theirs: Uuid = w
        .scalar("SELECT id FROM contact_stop_controls WHERE scope_type = 'global'")
        .await;

    let refused = stop::plan_lift(&w.env(), LiftRequest { stop_id: theirs })
        .await
        .expect("plan");
    assert!(!refused.will_change());
    assert!(refused.target_unavailable());
    assert!(
        refused.summary().contains("not created by launchdeck"),
        "{}",
        refused.summary()
    );
    assert_eq!(
        stop::apply_lift(&w.env(), &refused).await.expect("nothing"),
        Default::default()
    );

    let lift = stop::plan_lift(&w.env(), LiftRequest { stop_id: ours })
        .await
        .expect("plan");
    assert!(lift.will_change(), "{}", lift.summary());
    assert!(lift.summary().contains("resumes nothing"));
    let outcome = stop::apply_lift(&w.env(), &lift).await.expect("lift");
    assert_eq!(outcome.changed, 1);
    let (active, bumped): (bool, bool) = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT active, updated_at > created_at FROM contact_stop_controls WHERE id = '{ours}'"
    )))
    .fetch_one(w.db.pool())
    .await
    .expect("row");
    assert_eq!((active, bumped), (false, true));
    let still: bool = w
        .scalar(&format!(
            "SELECT active FROM contact_stop_controls WHERE id = '{theirs}'"
        ))
        .await;
    assert!(still, "the platform's row is left alone");
    assert_eq!(w.status("campaigns", CAMPAIGN).await, "paused");

    // The same plan applied again (another console lifted it meanwhile) is a skip.
    let outcome = stop::apply_lift(&w.env(), &lift).await.expect("again");
    assert_eq!((outcome.changed, outcome.skipped), (0, 1));
    let again = stop::plan_lift(&w.env(), LiftRequest { stop_id: ours })
        .await
        .expect("plan");
    assert!(
        again.summary().contains("already lifted"),
        "{}",
        again.summary()
    );
    let audited = w.audit_actions().await;
    assert!(
        audited
            .iter()
            .filter(|(table, _)| table == "contact_stop_controls")
            .count()
            >= 3,
        "{audited:?}"
    );
    assert!(
        audited
            .iter()
            .any(|(_, result)| result == &AuditResult::Changed.to_string())
    );
}

#[tokio::test]
async fn read_only_refuses_stop_and_lift() {
    let w = World::new().await;
    let env = w.env_in(Scope::default(), true);
    let plan = w
        .plan(StopScope::Campaign(CAMPAIGN), true, Some("Renewals"))
        .await;
    let err = stop::apply(&env, &plan).await.expect_err("read-only");
    assert!(matches!(err, ActionError::ReadOnly(_)), "{err}");
    let lift = stop::plan_lift(
        &env,
        LiftRequest {
            stop_id: Uuid::nil(),
        },
    )
    .await
    .expect("plan");
    assert!(lift.target_unavailable());
    assert_eq!(w.status("campaigns", CAMPAIGN).await, "active");
    assert_eq!(w.active_stop_rows().await, 0);
    assert_eq!(w.stop_calls(), 0);
}
