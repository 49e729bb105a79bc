//! Retell client against the Retell fake: the fault matrix, paging, version drift,
//! create-call outcomes, lifecycles, stop and update semantics.

mod common;

use std::time::Duration;

use common::*;
use launchdeck_providers::retell::{
    AgentVersion, CallFilter, CallStatus, DisconnectionReason, NewCall, PathGeneration,
    PhoneNumberType,
};
use launchdeck_providers::{
    CheckVerdict, CreateCallOutcome, EndCallOutcome, ErrorKind, RetellClient,
};
use launchdeck_sim::fakes::{CallPlan, FakeAgent, FakeNumber, Fault, PathMode, Route};
use serde_json::json;

#[tokio::test]
async fn concurrency_reads_and_tracks_live_calls() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    let before = client.get_concurrency().await.expect("concurrency");
    assert_eq!(before.concurrency_limit, Some(20));
    assert_eq!(before.current_concurrency, Some(0));
    assert!(client.create_call(&new_call()).await.placed().is_some());
    let after = client.get_concurrency().await.expect("concurrency");
    assert_eq!(after.current_concurrency, Some(1));
    assert_eq!(after.outbound_headroom(), Some(19));
}

#[tokio::test]
async fn wrong_key_is_unauthorized_and_not_retried() {
    let fake = retell_fake().await;
    let client = RetellClient::new(&fake.base_url(), secret("key_wrong_0000000000"), &fast())
        .expect("client");
    let err = client.get_concurrency().await.expect_err("401");
    assert_eq!(err.kind(), &ErrorKind::Unauthorized);
    assert_eq!(err.message(), "API key is missing or invalid.");
    assert_eq!(err.check_verdict(), CheckVerdict::Fail);
    assert_eq!(fake.faults().count(&Route::all()), 1);
}

#[tokio::test]
async fn forbidden_and_not_found_map_to_verdicts() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.faults()
        .inject(Route::get("/get-concurrency"), Fault::status(403), 1);
    let err = client.get_concurrency().await.expect_err("403");
    assert_eq!(err.kind(), &ErrorKind::Forbidden);
    assert_eq!(err.check_verdict(), CheckVerdict::Fail);
    fake.faults()
        .inject(Route::get("/get-concurrency"), Fault::status(404), 1);
    let err = client.get_concurrency().await.expect_err("404");
    assert_eq!(err.kind(), &ErrorKind::NotFound);
    assert_eq!(err.check_verdict(), CheckVerdict::Missing);
    assert_eq!(
        fake.faults().count(&Route::all()),
        2,
        "4xx are never retried"
    );
}

#[tokio::test]
async fn missing_items_are_none_for_404_and_422() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    assert!(
        client
            .get_agent("agent_nope")
            .await
            .expect("422 → None")
            .is_none()
    );
    assert!(
        client
            .get_number("+14155550000")
            .await
            .expect("404 → None")
            .is_none()
    );
    fake.state().set_missing_number_status(422);
    assert!(
        client
            .get_number("+14155550000")
            .await
            .expect("422 → None")
            .is_none()
    );
    let agent = client
        .get_agent("agent_b")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(agent.version, Some(AgentVersion::Tag("latest".into())));
    let number = client.get_number(FROM).await.expect("get").expect("exists");
    assert_eq!(number.outbound_agent_ids(), vec!["agent_a"]);
}

#[tokio::test]
async fn unprocessable_on_get_call_means_missing() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    let err = client.get_call("call_unknown").await.expect_err("422");
    assert_eq!(err.kind(), &ErrorKind::Unprocessable);
    assert_eq!(
        err.message(),
        "Cannot find requested asset under given api key."
    );
    assert_eq!(err.check_verdict(), CheckVerdict::Missing);
}

#[tokio::test]
async fn rate_limit_with_short_retry_after_is_obeyed() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.faults().inject(
        Route::get("/get-concurrency"),
        Fault::rate_limited(Some("0.05")),
        1,
    );
    client
        .get_concurrency()
        .await
        .expect("second attempt succeeds");
    assert_eq!(fake.faults().count(&Route::get("/get-concurrency")), 2);
}

#[tokio::test]
async fn rate_limit_with_long_retry_after_is_not_retried() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.faults().inject(
        Route::get("/get-concurrency"),
        Fault::rate_limited(Some("120")),
        1,
    );
    let err = client.get_concurrency().await.expect_err("429");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(
        err.to_string().contains("rate-limited, retry after 120 s"),
        "{err}"
    );
    assert_eq!(err.check_verdict(), CheckVerdict::Unknown);
    assert_eq!(fake.faults().count(&Route::get("/get-concurrency")), 1);
}

#[tokio::test]
async fn rate_limit_without_header_backs_off_and_retries() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.faults()
        .inject(Route::get("/get-concurrency"), Fault::rate_limited(None), 3);
    let err = client.get_concurrency().await.expect_err("still limited");
    assert_eq!(err.kind(), &ErrorKind::RateLimited { retry_after: None });
    assert_eq!(
        fake.faults().count(&Route::get("/get-concurrency")),
        3,
        "1 try + 2 retries"
    );
}

#[tokio::test]
async fn server_errors_are_retried_on_reads() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.faults()
        .inject(Route::get("/get-concurrency"), Fault::status(500), 1);
    client.get_concurrency().await.expect("recovers");
    assert_eq!(fake.faults().count(&Route::get("/get-concurrency")), 2);
    fake.faults()
        .inject(Route::get("/get-concurrency"), Fault::status(503), 3);
    let err = client.get_concurrency().await.expect_err("503 x3");
    assert_eq!(err.kind(), &ErrorKind::Server { status: 503 });
    assert_eq!(err.message(), "An unexpected server error occurred.");
    assert_eq!(err.check_verdict(), CheckVerdict::Unknown);
    assert_eq!(fake.faults().count(&Route::get("/get-concurrency")), 5);
}

#[tokio::test]
async fn non_json_gateway_page_keeps_status_and_short_text() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.faults().inject(
        Route::get("/get-concurrency"),
        Fault::HtmlPage { status: 502 },
        3,
    );
    let err = client.get_concurrency().await.expect_err("502");
    assert_eq!(err.kind(), &ErrorKind::Server { status: 502 });
    assert!(err.message().contains("502 Bad Gateway"), "{err}");
    assert!(err.message().chars().count() <= 220);
}

#[tokio::test]
async fn timeouts_are_retried_then_reported() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &short_timeout());
    fake.faults()
        .inject(Route::get("/get-concurrency"), Fault::Delay(LATE), 3);
    let err = client.get_concurrency().await.expect_err("timeout");
    assert_eq!(err.kind(), &ErrorKind::Timeout);
    assert_eq!(err.check_verdict(), CheckVerdict::Unknown);
    assert_eq!(fake.faults().count(&Route::get("/get-concurrency")), 3);
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    let fake = retell_fake().await;
    let base = fake.base_url();
    drop(fake);
    let client = RetellClient::new(&base, secret(RETELL_KEY), &fast()).expect("client");
    let err = client.get_concurrency().await.expect_err("refused");
    assert_eq!(err.kind(), &ErrorKind::Connect);
    assert_eq!(err.check_verdict(), CheckVerdict::Unknown);
    assert!(!err.to_string().contains(&base), "no URL in errors: {err}");
}

#[tokio::test]
async fn body_cut_mid_way_is_retried_on_reads() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.faults()
        .inject(Route::get("/get-concurrency"), Fault::CutBody, 1);
    client.get_concurrency().await.expect("retry succeeds");
    assert_eq!(fake.faults().count(&Route::get("/get-concurrency")), 2);
    fake.faults()
        .inject(Route::get("/get-concurrency"), Fault::CutBody, 3);
    let err = client.get_concurrency().await.expect_err("cut");
    assert_eq!(err.kind(), &ErrorKind::Disconnected);
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_without_retry() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.faults()
        .inject(Route::get("/get-concurrency"), Fault::MalformedJson, 1);
    let err = client.get_concurrency().await.expect_err("malformed");
    assert_eq!(err.kind(), &ErrorKind::Decode);
    assert_eq!(fake.faults().count(&Route::get("/get-concurrency")), 1);
}

#[tokio::test]
async fn unknown_extra_fields_are_ignored() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.faults()
        .inject_always(Route::all(), Fault::ExtraFields);
    assert!(client.get_concurrency().await.is_ok());
    assert_eq!(client.list_numbers().await.expect("numbers").len(), 1);
    assert_eq!(client.list_agents().await.expect("agents").len(), 2);
    let placed = client.create_call(&new_call()).await;
    let call = placed.placed().expect("placed");
    assert!(client.get_call(&call.call_id).await.is_ok());
}

#[tokio::test]
async fn missing_optional_fields_and_empty_lists() {
    let state = launchdeck_sim::fakes::RetellState::new(RETELL_KEY);
    let fake = launchdeck_sim::fakes::RetellFake::start(state)
        .await
        .expect("fake");
    let client = retell_client(&fake, &fast());
    assert!(client.list_numbers().await.expect("empty").is_empty());
    assert!(client.list_agents().await.expect("empty").is_empty());
    fake.state().add_number(
        FakeNumber::new("+14155550100")
            .field("phone_number_type", json!(null))
            .field("inbound_agents", json!(null))
            .field("outbound_agents", json!(null))
            .field("last_modification_timestamp", json!(null)),
    );
    let numbers = client.list_numbers().await.expect("minimal number");
    assert_eq!(numbers.len(), 1);
    assert!(numbers[0].outbound_agent_ids().is_empty());
    assert_eq!(numbers[0].phone_number_type, None);
    assert_eq!(numbers[0].termination_uri(), None);
}

#[tokio::test]
async fn numbers_page_through_envelopes() {
    let fake = retell_fake().await;
    for n in 0..4 {
        fake.state().add_number(FakeNumber::custom(
            &format!("+1415555020{n}"),
            "acme.pstn.twilio.com",
        ));
    }
    let client = retell_client(&fake, &fast()).with_page_size(2);
    let numbers = client.list_numbers().await.expect("numbers");
    assert_eq!(numbers.len(), 5);
    assert_eq!(
        fake.faults().count(&Route::get("/v2/list-phone-numbers")),
        3
    );
    let custom = numbers
        .iter()
        .find(|n| n.phone_number == "+14155550200")
        .expect("custom");
    assert_eq!(custom.phone_number_type, Some(PhoneNumberType::Custom));
    assert_eq!(custom.termination_uri(), Some("acme.pstn.twilio.com"));
}

#[tokio::test]
async fn legacy_generation_fallback_is_remembered() {
    let fake = retell_fake().await;
    fake.state().set_path_mode(PathMode::Legacy);
    for n in 0..3 {
        fake.state()
            .add_agent(FakeAgent::new(&format!("agent_x{n}")));
    }
    let client = retell_client(&fake, &fast()).with_page_size(2);
    let agents = client.list_agents().await.expect("legacy agents");
    assert_eq!(agents.len(), 5);
    assert_eq!(fake.faults().count(&Route::post("/v2/list-agents")), 1);
    assert_eq!(
        fake.faults().count(&Route::get("/list-agents")),
        3,
        "5 agents in pages of 2"
    );
    let again = client.list_agents().await.expect("legacy agents");
    assert_eq!(again.len(), 5);
    assert_eq!(
        fake.faults().count(&Route::post("/v2/list-agents")),
        1,
        "generation remembered"
    );
    let numbers = client.list_numbers().await.expect("legacy numbers");
    assert_eq!(numbers.len(), 1);
    assert_eq!(fake.faults().count(&Route::get("/list-phone-numbers")), 1);
}

#[tokio::test]
async fn current_generation_lists_agents_in_pages() {
    let fake = retell_fake().await;
    for n in 0..3 {
        fake.state()
            .add_agent(FakeAgent::new(&format!("agent_y{n}")));
    }
    let client = retell_client(&fake, &fast()).with_page_size(2);
    let agents = client.list_agents().await.expect("agents");
    assert_eq!(agents.len(), 5);
    assert_eq!(fake.faults().count(&Route::post("/v2/list-agents")), 3);
    assert_eq!(fake.faults().count(&Route::get("/list-agents")), 0);
}

#[tokio::test]
async fn set_outbound_agent_sends_only_the_outbound_list() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    let number = client
        .set_outbound_agent(FROM, "agent_b")
        .await
        .expect("updated");
    assert_eq!(number.outbound_agent_ids(), vec!["agent_b"]);
    assert_eq!(
        number.inbound_agent_ids(),
        vec!["agent_a"],
        "inbound untouched"
    );
    let patch = fake
        .faults()
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .expect("PATCH sent");
    let body: serde_json::Value = serde_json::from_str(&patch.body).expect("json body");
    assert_eq!(
        body,
        json!({"outbound_agents":[{"agent_id":"agent_b","weight":1}]})
    );
}

#[tokio::test]
async fn update_after_lost_reply_is_checked_not_resent() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.faults()
        .inject(Route::patch("/update-phone-number/"), Fault::LostReply, 1);
    let number = client
        .set_outbound_agent(FROM, "agent_b")
        .await
        .expect("verified by GET");
    assert_eq!(number.outbound_agent_ids(), vec!["agent_b"]);
    assert_eq!(
        fake.faults().count(&Route::patch("/update-phone-number/")),
        1
    );
    assert_eq!(fake.faults().count(&Route::get("/get-phone-number/")), 1);
}

#[tokio::test]
async fn update_after_server_error_is_resent_once_when_still_different() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.faults()
        .inject(Route::patch("/update-phone-number/"), Fault::status(500), 1);
    let number = client
        .set_outbound_agent(FROM, "agent_b")
        .await
        .expect("re-sent");
    assert_eq!(number.outbound_agent_ids(), vec!["agent_b"]);
    assert_eq!(
        fake.faults().count(&Route::patch("/update-phone-number/")),
        2
    );
    fake.faults()
        .inject(Route::patch("/update-phone-number/"), Fault::status(500), 2);
    let err = client
        .set_outbound_agent(FROM, "agent_a")
        .await
        .expect_err("two 500s");
    assert_eq!(err.kind(), &ErrorKind::Server { status: 500 });
    assert_eq!(
        fake.faults().count(&Route::patch("/update-phone-number/")),
        4,
        "once more, no more"
    );
}

#[tokio::test]
async fn create_call_is_placed_with_request_id() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    let call = new_call();
    let outcome = client.create_call(&call).await;
    let placed = outcome.placed().expect("placed");
    assert_eq!(placed.call_status, CallStatus::Registered);
    assert_eq!(
        placed.launchdeck_request_id(),
        Some(call.request_id.to_string().as_str())
    );
    let stored = fake.state().call(&placed.call_id).expect("stored");
    assert_eq!(
        stored["metadata"]["launchdeck_request_id"],
        json!(call.request_id.to_string())
    );
}

#[tokio::test]
async fn create_call_rejections_are_not_retried() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.state().set_trial_ended(true);
    let outcome = client.create_call(&new_call()).await;
    let CreateCallOutcome::Rejected(err) = outcome else {
        panic!("402 must be a rejection: {outcome:?}");
    };
    assert_eq!(err.message(), "Trial has ended, please add payment method.");
    assert_eq!(err.check_verdict(), CheckVerdict::Fail);
    fake.state().set_trial_ended(false);
    fake.faults().inject(
        Route::post("/v2/create-phone-call"),
        Fault::rate_limited(Some("1")),
        1,
    );
    let outcome = client.create_call(&new_call()).await;
    let CreateCallOutcome::Rejected(err) = outcome else {
        panic!("429 must be a rejection: {outcome:?}");
    };
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(
        fake.faults().count(&Route::post("/v2/create-phone-call")),
        2
    );
}

#[tokio::test]
async fn create_call_server_error_is_acceptance_unknown_and_never_retried() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.faults()
        .inject(Route::post("/v2/create-phone-call"), Fault::status(500), 1);
    let outcome = client.create_call(&new_call()).await;
    assert!(
        matches!(outcome, CreateCallOutcome::AcceptanceUnknown(_)),
        "{outcome:?}"
    );
    assert_eq!(
        fake.faults().count(&Route::post("/v2/create-phone-call")),
        1
    );
}

#[tokio::test]
async fn lost_reply_on_create_is_reconciled_by_request_id() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.state()
        .add_number(FakeNumber::new("+14155550124").outbound_agents(&["agent_a"]));
    let other = NewCall {
        from_number: "+14155550124".into(),
        ..new_call()
    };
    assert!(client.create_call(&other).await.placed().is_some());
    let call = new_call();
    fake.faults()
        .inject(Route::post("/v2/create-phone-call"), Fault::LostReply, 1);
    let outcome = client.create_call(&call).await;
    let CreateCallOutcome::AcceptanceUnknown(err) = outcome else {
        panic!("lost reply must be ambiguous: {outcome:?}");
    };
    assert_eq!(err.kind(), &ErrorKind::Disconnected);
    assert_eq!(
        fake.faults().count(&Route::post("/v2/create-phone-call")),
        2
    );
    let found = client
        .find_call_by_request_id(FROM, TO, &call.request_id.to_string())
        .await
        .expect("reconcile")
        .expect("the call exists");
    assert_eq!(found.from_number.as_deref(), Some(FROM));
    let absent = client
        .find_call_by_request_id(FROM, TO, &uuid::Uuid::new_v4().to_string())
        .await
        .expect("reconcile");
    assert!(absent.is_none());
}

#[tokio::test]
async fn reconcile_works_with_the_legacy_list_calls() {
    let fake = retell_fake().await;
    fake.state().set_path_mode(PathMode::Legacy);
    let client = retell_client(&fake, &fast());
    let call = new_call();
    assert!(client.create_call(&call).await.placed().is_some());
    let found = client
        .find_call_by_request_id(FROM, TO, &call.request_id.to_string())
        .await
        .expect("legacy reconcile");
    assert!(found.is_some());
    let legacy = fake
        .faults()
        .requests()
        .into_iter()
        .find(|r| r.path == "/v2/list-calls")
        .expect("legacy list-calls sent");
    let body: serde_json::Value = serde_json::from_str(&legacy.body).expect("json");
    assert_eq!(body["filter_criteria"]["to_number"], json!([TO]));
}

#[tokio::test]
async fn create_call_timeout_cut_and_garbled_replies_are_ambiguous() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &short_timeout());
    for fault in [Fault::Delay(LATE), Fault::CutBody, Fault::MalformedJson] {
        fake.faults()
            .inject(Route::post("/v2/create-phone-call"), fault.clone(), 1);
        let outcome = client.create_call(&new_call()).await;
        assert!(
            matches!(outcome, CreateCallOutcome::AcceptanceUnknown(_)),
            "{fault:?} → {outcome:?}"
        );
    }
    assert_eq!(
        fake.faults().count(&Route::post("/v2/create-phone-call")),
        3
    );
}

#[tokio::test]
async fn create_call_to_a_dead_host_is_not_sent() {
    let fake = retell_fake().await;
    let base = fake.base_url();
    drop(fake);
    let client = RetellClient::new(&base, secret(RETELL_KEY), &fast()).expect("client");
    let outcome = client.create_call(&new_call()).await;
    assert!(
        matches!(outcome, CreateCallOutcome::NotSent(_)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn lifecycle_advances_with_the_fake_clock() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.state().push_plan(CallPlan::answered(
        Duration::from_secs(30),
        Duration::from_secs(60),
    ));
    let call = client
        .create_call(&new_call())
        .await
        .placed()
        .cloned()
        .expect("placed");
    let fresh = client.get_call(&call.call_id).await.expect("get");
    assert_eq!(fresh.call_status, CallStatus::Registered);
    assert_eq!(fresh.duration_ms, None);
    fake.state().clock().advance(Duration::from_secs(40));
    let ongoing = client.get_call(&call.call_id).await.expect("get");
    assert_eq!(ongoing.call_status, CallStatus::Ongoing);
    assert!(ongoing.start_timestamp.is_some());
    assert_eq!(ongoing.disconnection_reason, None);
    fake.state().clock().advance(Duration::from_secs(60));
    let ended = client.get_call(&call.call_id).await.expect("get");
    assert_eq!(ended.call_status, CallStatus::Ended);
    assert_eq!(ended.duration_ms, Some(60_000));
    assert_eq!(
        ended.disconnection_reason,
        Some(DisconnectionReason::UserHangup)
    );
    assert!(ended.call_cost.is_some());
}

#[tokio::test]
async fn not_connected_error_and_unknown_reasons() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.state()
        .push_plan(CallPlan::not_connected(Duration::ZERO, "dial_no_answer"));
    fake.state()
        .push_plan(CallPlan::error(Duration::ZERO, "error_llm_websocket_open"));
    fake.state().push_plan(CallPlan::answered_with(
        Duration::ZERO,
        Duration::ZERO,
        "machine_detected",
    ));
    let mut calls = Vec::new();
    for _ in 0..3 {
        let placed = client
            .create_call(&new_call())
            .await
            .placed()
            .cloned()
            .expect("placed");
        calls.push(placed.call_id);
    }
    fake.state().clock().advance(Duration::from_millis(10));
    let no_answer = client.get_call(&calls[0]).await.expect("get");
    assert_eq!(no_answer.call_status, CallStatus::NotConnected);
    assert_eq!(
        no_answer.disconnection_reason,
        Some(DisconnectionReason::DialNoAnswer)
    );
    let errored = client.get_call(&calls[1]).await.expect("get");
    assert_eq!(errored.call_status, CallStatus::Error);
    let machine = client.get_call(&calls[2]).await.expect("get");
    assert_eq!(
        machine.disconnection_reason,
        Some(DisconnectionReason::MachineDetected)
    );
}

#[tokio::test]
async fn calls_over_the_limit_end_with_concurrency_limit_reached() {
    let fake = retell_fake().await;
    fake.state().set_concurrency_limit(1);
    let client = retell_client(&fake, &fast());
    let first = client
        .create_call(&new_call())
        .await
        .placed()
        .cloned()
        .expect("placed");
    let second = client
        .create_call(&new_call())
        .await
        .placed()
        .cloned()
        .expect("created anyway");
    let over = client.get_call(&second.call_id).await.expect("get");
    assert!(over.call_status.is_terminal());
    assert_eq!(
        over.disconnection_reason,
        Some(DisconnectionReason::ConcurrencyLimitReached)
    );
    let live = client.get_call(&first.call_id).await.expect("get");
    assert!(live.call_status.is_live());
    let concurrency = client.get_concurrency().await.expect("concurrency");
    assert_eq!(concurrency.outbound_headroom(), Some(0));
}

#[tokio::test]
async fn stop_call_ends_a_live_call() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    let call = client
        .create_call(&new_call())
        .await
        .placed()
        .cloned()
        .expect("placed");
    assert_eq!(
        client.stop_call(&call.call_id).await.expect("stop"),
        EndCallOutcome::Ended
    );
    let stopped = client.get_call(&call.call_id).await.expect("get");
    assert_eq!(stopped.call_status, CallStatus::Ended);
    assert_eq!(
        stopped.disconnection_reason,
        Some(DisconnectionReason::ManualStopped)
    );
}

#[tokio::test]
async fn stop_call_on_a_finished_call_reports_already_ended() {
    let fake = retell_fake().await;
    fake.state().set_stop_ended_status(422);
    let client = retell_client(&fake, &fast());
    fake.state()
        .push_plan(CallPlan::not_connected(Duration::ZERO, "dial_busy"));
    let call = client
        .create_call(&new_call())
        .await
        .placed()
        .cloned()
        .expect("placed");
    fake.state().clock().advance(Duration::from_millis(10));
    let outcome = client
        .stop_call(&call.call_id)
        .await
        .expect("already ended");
    assert_eq!(
        outcome,
        EndCallOutcome::AlreadyEnded {
            status: "not_connected".into()
        }
    );
}

#[tokio::test]
async fn stop_call_after_a_server_error_checks_then_resends_once() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    let call = client
        .create_call(&new_call())
        .await
        .placed()
        .cloned()
        .expect("placed");
    fake.faults()
        .inject(Route::post("/v2/stop-call/"), Fault::status(500), 1);
    assert_eq!(
        client.stop_call(&call.call_id).await.expect("stop"),
        EndCallOutcome::Ended
    );
    assert_eq!(fake.faults().count(&Route::post("/v2/stop-call/")), 2);
    assert_eq!(fake.faults().count(&Route::get("/v2/get-call/")), 1);
}

#[tokio::test]
async fn list_calls_filters_by_status_and_pages() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    for _ in 0..5 {
        assert!(client.create_call(&new_call()).await.placed().is_some());
    }
    let filter = CallFilter {
        statuses: vec![CallStatus::Ended],
        ..CallFilter::default()
    };
    assert!(
        client
            .list_calls(&filter)
            .await
            .expect("none ended")
            .is_empty()
    );
    let paged = CallFilter {
        limit: 2,
        max_pages: 10,
        ..CallFilter::default()
    };
    assert_eq!(client.list_calls(&paged).await.expect("all").len(), 5);
    assert_eq!(fake.faults().count(&Route::post("/v3/list-calls")), 4);
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused() {
    let err = RetellClient::new("http://api.retellai.com", secret(RETELL_KEY), &fast())
        .expect_err("http");
    assert!(err.to_string().contains("https"), "{err}");
}

#[tokio::test]
async fn list_calls_as_asks_one_generation_and_teaches_it() {
    let fake = retell_fake().await;
    fake.state().set_path_mode(PathMode::Legacy);
    let client = retell_client(&fake, &fast());
    assert_eq!(client.known_calls_generation(), None);
    let filter = CallFilter::default();
    let err = client
        .list_calls_as(PathGeneration::Current, &filter)
        .await
        .expect_err("the current paths are not there");
    assert_eq!(err.status(), Some(404));
    assert_eq!(
        client.known_calls_generation(),
        None,
        "a 404 teaches nothing"
    );
    client
        .list_calls_as(PathGeneration::Legacy, &filter)
        .await
        .expect("legacy list");
    assert_eq!(
        client.known_calls_generation(),
        Some(PathGeneration::Legacy)
    );
    assert_eq!(
        fake.faults().requests().len(),
        2,
        "one request each, no fallback"
    );
}
