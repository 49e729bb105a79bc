//! `Gatherer::call_record` against the Retell and Twilio fakes over loopback HTTP: a
//! finished call of each is fetched and mapped; a missing call, a provider without its
//! secret, a rejected key and a Telnyx call each give one readable line.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::DateTime;
use launchdeck_core::config::{BaseUrl, Config};
use launchdeck_core::domain::CallProvider;
use launchdeck_ops::{CallRecordError, GatherOptions, Gatherer};
use launchdeck_providers::retell::NewCall;
use launchdeck_providers::{HttpConfig, RetellClient};
use launchdeck_sim::fakes::{
    CallPlan, FakeAgent, FakeNumber, RetellFake, RetellState, Route, TwilioCallPlan, TwilioFake,
    TwilioOutcome, TwilioState,
};
use launchdeck_store::Store;
use launchdeck_store::sqlite::SqliteStore;
use secrecy::SecretString;

const RETELL_KEY: &str = "key_record0test0retell0value0aa11";
const TWILIO_SID: &str = "AC00112233445566778899aabbccddeeff";
const TWILIO_TOKEN: &str = "record0test0twilio0token0bb22";
const FROM: &str = "+14155550123";
const LEAD: &str = "+14155550199";

struct World {
    retell: RetellFake,
    twilio: TwilioFake,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let retell = RetellState::new(RETELL_KEY);
    retell.add_agent(FakeAgent::new("agent_a"));
    retell.add_number(FakeNumber::new(FROM).outbound_agents(&["agent_a"]));
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open_fresh(dir.path().join("empty.db"))
        .await
        .expect("open sqlite");
    World {
        retell: RetellFake::start(retell).await.expect("retell fake"),
        twilio: TwilioFake::start(TwilioState::new(TWILIO_SID, TWILIO_TOKEN))
            .await
            .expect("twilio fake"),
        store: Arc::new(store),
        _dir: dir,
    }
}

fn url(text: &str) -> BaseUrl {
    BaseUrl::parse(text).expect("fake base URL")
}

fn config(world: &World) -> Config {
    let mut config = Config::default();
    config.retell.api_key = Some(SecretString::from(RETELL_KEY));
    config.retell.base_url = url(&world.retell.base_url());
    config.twilio.account_sid = Some(SecretString::from(TWILIO_SID));
    config.twilio.auth_token = Some(SecretString::from(TWILIO_TOKEN));
    config.twilio.base_url = url(&world.twilio.base_url());
    config.twilio.trunking_base_url = url(&world.twilio.trunking_base_url());
    config
}

fn options(spacing: Duration) -> GatherOptions {
    GatherOptions {
        source_timeout: Duration::from_secs(30),
        provider_spacing: spacing,
    }
}

fn gatherer(world: &World, config: &Config) -> Gatherer {
    Gatherer::new(config, world.store.clone(), options(Duration::ZERO))
}

/// Places a Retell call on the fake (answered after 3 s, hung up by the agent 45 s
/// later) and moves the fake's clock past its end; returns its id.
async fn finished_retell_call(world: &World) -> String {
    let state = world.retell.state();
    state.push_plan(CallPlan::answered_with(
        Duration::from_secs(3),
        Duration::from_secs(45),
        "agent_hangup",
    ));
    let client = RetellClient::new(
        &world.retell.base_url(),
        SecretString::from(RETELL_KEY),
        &HttpConfig::default(),
    )
    .expect("retell client");
    let call = NewCall {
        from_number: FROM.to_string(),
        to_number: LEAD.to_string(),
        override_agent_id: None,
        dynamic_variables: BTreeMap::new(),
        request_id: uuid::Uuid::new_v4(),
    };
    let outcome = client.create_call(&call).await;
    let call_id = outcome.placed().expect("placed").call_id.clone();
    state.clock().advance(Duration::from_secs(60));
    call_id
}

fn ms_field(call: &serde_json::Value, key: &str) -> i64 {
    call[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} in {call}"))
}

#[tokio::test]
async fn a_finished_retell_call_is_fetched_and_mapped() {
    let world = world().await;
    let call_id = finished_retell_call(&world).await;
    let record = gatherer(&world, &config(&world))
        .call_record(&CallProvider::Retell, &call_id)
        .await
        .expect("the call's record");

    let at_fake = world
        .retell
        .state()
        .call(&call_id)
        .expect("the fake has it");
    assert_eq!(record.provider, CallProvider::Retell);
    assert_eq!(record.call_id, call_id);
    assert_eq!(record.status, "ended");
    assert_eq!(record.reason.as_deref(), Some("agent_hangup"));
    let started = DateTime::from_timestamp_millis(ms_field(&at_fake, "start_timestamp"));
    let ended = DateTime::from_timestamp_millis(ms_field(&at_fake, "end_timestamp"));
    assert_eq!(record.started_at, started);
    assert_eq!(record.ended_at, ended);
    assert_eq!(record.duration_seconds, Some(45));
    let cents = at_fake["call_cost"]["combined_cost"]
        .as_f64()
        .expect("cost");
    let dollars = record.cost.expect("a cost");
    assert!(
        (dollars - cents / 100.0).abs() < 1e-9,
        "{dollars} vs {cents}¢"
    );
}

#[tokio::test]
async fn a_finished_twilio_call_is_fetched_and_mapped() {
    let world = world().await;
    let state = world.twilio.state();
    let plan = TwilioCallPlan {
        queued: Duration::from_secs(1),
        ringing: Duration::from_secs(4),
        outcome: TwilioOutcome::Completed {
            talk: Duration::from_secs(20),
        },
    };
    let sid = state.add_call(LEAD, FROM, plan);
    state.clock().advance(Duration::from_secs(30));

    let record = gatherer(&world, &config(&world))
        .call_record(&CallProvider::Twilio, &sid)
        .await
        .expect("the call's record");
    assert_eq!(record.provider, CallProvider::Twilio);
    assert_eq!(record.call_id, sid);
    assert_eq!(record.status, "completed");
    assert_eq!(record.reason, None);
    assert_eq!(record.duration_seconds, Some(20));
    let (started, ended) = (
        record.started_at.expect("start"),
        record.ended_at.expect("end"),
    );
    assert_eq!((ended - started).num_seconds(), 20);
    assert_eq!(record.cost, Some(0.013));
}

#[tokio::test]
async fn a_missing_call_says_the_provider_has_no_such_call() {
    let world = world().await;
    let gatherer = gatherer(&world, &config(&world));
    let retell = gatherer
        .call_record(&CallProvider::Retell, "call_0000000000missing")
        .await;
    assert_eq!(
        retell,
        Err(CallRecordError::NotFound(
            "Retell has no call call_0000000000missing (HTTP 422)".into()
        ))
    );
    let sid = "CA0123456789abcdef0123456789abcdef";
    let twilio = gatherer.call_record(&CallProvider::Twilio, sid).await;
    assert_eq!(
        twilio,
        Err(CallRecordError::NotFound(format!(
            "Twilio has no call {sid} (HTTP 404)"
        )))
    );
}

#[tokio::test]
async fn a_provider_without_its_secret_names_the_setting_and_is_not_asked() {
    let world = world().await;
    let mut config = config(&world);
    config.retell.api_key = None;
    config.twilio.auth_token = None;
    let gatherer = gatherer(&world, &config);

    let retell = gatherer
        .call_record(&CallProvider::Retell, "call_1")
        .await
        .expect_err("not configured");
    assert!(
        matches!(retell, CallRecordError::NotConfigured(_)),
        "{retell:?}"
    );
    assert!(retell.to_string().contains("RETELL_AI_API_KEY"), "{retell}");
    let twilio = gatherer
        .call_record(&CallProvider::Twilio, "CA0123456789abcdef0123456789abcdef")
        .await
        .expect_err("not configured");
    assert!(twilio.to_string().contains("TWILIO_AUTH_TOKEN"), "{twilio}");
    assert_eq!(world.retell.faults().count(&Route::all()), 0);
    assert_eq!(world.twilio.faults().count(&Route::all()), 0);
}

#[tokio::test]
async fn a_rejected_key_is_reported_without_the_key() {
    let world = world().await;
    let wrong_key = "key_wrong0record0value0000ff99";
    let mut config = config(&world);
    config.retell.api_key = Some(SecretString::from(wrong_key));
    let err = gatherer(&world, &config)
        .call_record(&CallProvider::Retell, "call_1")
        .await
        .expect_err("rejected");
    let text = err.to_string();
    assert!(matches!(err, CallRecordError::Failed(_)), "{err:?}");
    assert!(
        text.contains("Retell credentials rejected (HTTP 401)"),
        "{text}"
    );
    for secret in [wrong_key, RETELL_KEY, TWILIO_TOKEN] {
        assert!(!text.contains(secret), "{text}");
    }
}

#[tokio::test]
async fn telnyx_calls_are_not_fetched() {
    let world = world().await;
    let err = gatherer(&world, &config(&world))
        .call_record(&CallProvider::Telnyx, "v3:abc")
        .await
        .expect_err("not fetched");
    assert!(matches!(err, CallRecordError::NotFetched(_)), "{err:?}");
    assert!(err.to_string().contains("Telnyx"), "{err}");
    assert_eq!(world.retell.faults().count(&Route::all()), 0);
    assert_eq!(world.twilio.faults().count(&Route::all()), 0);
}

#[tokio::test]
async fn fetches_wait_their_turn_in_the_providers_lane() {
    let world = world().await;
    let sid = world
        .twilio
        .state()
        .add_call(LEAD, FROM, TwilioCallPlan::default());
    let spacing = Duration::from_millis(400);
    let paced = Gatherer::new(&config(&world), world.store.clone(), options(spacing));
    let started = Instant::now();
    for gatherer in [paced.clone(), paced.clone(), paced] {
        gatherer
            .call_record(&CallProvider::Twilio, &sid)
            .await
            .expect("record");
    }
    // Three requests through one lane start at 0, 1 and 2 spacings: a lower bound the
    // pacer guarantees, shared by every clone of the gatherer.
    assert!(started.elapsed() >= 2 * spacing, "{:?}", started.elapsed());
    assert_eq!(world.twilio.faults().count(&Route::all()), 3);
}
