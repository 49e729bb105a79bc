//! Twilio client against the Twilio fake.

mod common;

use std::time::Duration;

use common::*;
use launchdeck_providers::twilio::{AccountStatus, AccountType, TwilioCallStatus};
use launchdeck_providers::{
    CheckVerdict, CreateCallOutcome, EndCallOutcome, ErrorKind, TwilioClient,
};
use launchdeck_sim::fakes::{
    CANARY_TWILIO_AUTH_TOKEN, Fault, Route, TwilioCallPlan, TwilioOutcome,
};

const TWIML: &str = "<Response><Say>test</Say></Response>";

fn calls_path() -> String {
    format!("/2010-04-01/Accounts/{TWILIO_SID}/Calls.json")
}

fn plan(queued: u64, ringing: u64, outcome: TwilioOutcome) -> TwilioCallPlan {
    TwilioCallPlan {
        queued: Duration::from_secs(queued),
        ringing: Duration::from_secs(ringing),
        outcome,
    }
}

#[tokio::test]
async fn account_fetch_reads_status_and_type_but_not_the_token() {
    let fake = twilio_fake().await;
    let client = twilio_client(&fake, &fast());
    let account = client.fetch_account().await.expect("account");
    assert_eq!(account.sid, TWILIO_SID);
    assert_eq!(account.status, Some(AccountStatus::Active));
    assert_eq!(account.account_type, Some(AccountType::Full));
    assert!(!format!("{account:?}").contains(CANARY_TWILIO_AUTH_TOKEN));
    for (status, expected) in [
        ("suspended", AccountStatus::Suspended),
        ("closed", AccountStatus::Closed),
    ] {
        fake.state().set_account_status(status);
        assert_eq!(
            client.fetch_account().await.expect("account").status,
            Some(expected)
        );
    }
    fake.state().set_account_type("Trial");
    assert_eq!(
        client.fetch_account().await.expect("account").account_type,
        Some(AccountType::Trial)
    );
}

#[tokio::test]
async fn bad_credentials_give_20003() {
    let fake = twilio_fake().await;
    let client = TwilioClient::new(
        &fake.base_url(),
        &fake.trunking_base_url(),
        TWILIO_SID,
        secret("wrong_token_000000000000"),
        &fast(),
    )
    .expect("client");
    let err = client.fetch_account().await.expect_err("401");
    assert_eq!(err.kind(), &ErrorKind::Unauthorized);
    assert_eq!(err.code(), Some("20003"));
    assert_eq!(
        err.message(),
        "Authenticate: Your AccountSid or AuthToken was incorrect."
    );
    assert_eq!(err.check_verdict(), CheckVerdict::Fail);
    assert_eq!(fake.faults().count(&Route::all()), 1);
}

#[tokio::test]
async fn incoming_numbers_follow_relative_next_page_uri() {
    let fake = twilio_fake().await;
    for n in 0..5 {
        fake.state()
            .add_incoming_number(&format!("+1415555030{n}"), None);
    }
    let client = twilio_client(&fake, &fast()).with_page_size(2);
    let numbers = client.list_incoming_numbers().await.expect("numbers");
    assert_eq!(numbers.len(), 5);
    assert!(numbers.iter().all(|n| n.trunk_sid.is_none()));
    let pages: Vec<_> = fake
        .faults()
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/IncomingPhoneNumbers.json"))
        .collect();
    assert_eq!(pages.len(), 3);
    assert!(
        pages[2]
            .query
            .as_deref()
            .unwrap_or("")
            .contains("PageToken=PA"),
        "{pages:?}"
    );
}

#[tokio::test]
async fn empty_number_list() {
    let fake = twilio_fake().await;
    let client = twilio_client(&fake, &fast());
    assert!(
        client
            .list_incoming_numbers()
            .await
            .expect("empty")
            .is_empty()
    );
}

#[tokio::test]
async fn call_lifecycle_and_empty_duration_until_completed() {
    let fake = twilio_fake().await;
    let client = twilio_client(&fake, &fast());
    fake.state().push_plan(plan(
        10,
        20,
        TwilioOutcome::Completed {
            talk: Duration::from_secs(30),
        },
    ));
    let call = client
        .create_call(TO, FROM, TWIML)
        .await
        .placed()
        .cloned()
        .expect("placed");
    assert_eq!(call.status, TwilioCallStatus::Queued);
    let clock = fake.state().clock();
    clock.advance(Duration::from_secs(15));
    assert_eq!(
        client.fetch_call(&call.sid).await.expect("call").status,
        TwilioCallStatus::Ringing
    );
    clock.advance(Duration::from_secs(20));
    let live = client.fetch_call(&call.sid).await.expect("call");
    assert_eq!(live.status, TwilioCallStatus::InProgress);
    assert_eq!(live.duration, None);
    assert!(live.start_time_parsed().is_some());
    clock.advance(Duration::from_secs(30));
    let done = client.fetch_call(&call.sid).await.expect("call");
    assert_eq!(done.status, TwilioCallStatus::Completed);
    assert_eq!(done.duration_secs(), Some(30));
    assert!(done.end_time_parsed().is_some());
    assert_eq!(done.price.as_deref(), Some("-0.01300"));
}

#[tokio::test]
async fn busy_no_answer_and_failed_outcomes() {
    let fake = twilio_fake().await;
    let client = twilio_client(&fake, &fast());
    let outcomes = [
        (TwilioOutcome::Busy, TwilioCallStatus::Busy),
        (TwilioOutcome::NoAnswer, TwilioCallStatus::NoAnswer),
        (TwilioOutcome::Failed, TwilioCallStatus::Failed),
    ];
    let mut sids = Vec::new();
    for (outcome, _) in &outcomes {
        fake.state().push_plan(plan(0, 0, outcome.clone()));
        sids.push(
            client
                .create_call(TO, FROM, TWIML)
                .await
                .placed()
                .cloned()
                .expect("placed")
                .sid,
        );
    }
    fake.state().clock().advance(Duration::from_millis(10));
    for (sid, (_, expected)) in sids.iter().zip(outcomes) {
        assert_eq!(client.fetch_call(sid).await.expect("call").status, expected);
    }
}

#[tokio::test]
async fn unknown_call_is_20404() {
    let fake = twilio_fake().await;
    let client = twilio_client(&fake, &fast());
    let err = client
        .fetch_call("CA00000000000000000000000000000000")
        .await
        .expect_err("404");
    assert_eq!(err.kind(), &ErrorKind::NotFound);
    assert_eq!(err.code(), Some("20404"));
    assert_eq!(err.check_verdict(), CheckVerdict::Missing);
}

#[tokio::test]
async fn hang_up_cancels_ringing_and_completes_in_progress() {
    let fake = twilio_fake().await;
    let client = twilio_client(&fake, &fast());
    let ringing = fake
        .state()
        .add_call(TO, FROM, plan(0, 60, TwilioOutcome::NoAnswer));
    let talking = fake.state().add_call(
        TO,
        FROM,
        plan(
            0,
            0,
            TwilioOutcome::Completed {
                talk: Duration::from_secs(60),
            },
        ),
    );
    fake.state().clock().advance(Duration::from_millis(10));
    assert_eq!(
        client.hang_up(&ringing).await.expect("hang up"),
        EndCallOutcome::Ended
    );
    assert_eq!(
        fake.state().call(&ringing).expect("call")["status"],
        "canceled"
    );
    assert_eq!(
        client.hang_up(&talking).await.expect("hang up"),
        EndCallOutcome::Ended
    );
    assert_eq!(
        fake.state().call(&talking).expect("call")["status"],
        "completed"
    );
    let posts = fake
        .faults()
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.body)
        .collect::<Vec<_>>();
    assert_eq!(
        posts,
        vec![
            "Status=canceled".to_string(),
            "Status=completed".to_string()
        ]
    );
}

#[tokio::test]
async fn hang_up_on_a_finished_call_sends_nothing() {
    let fake = twilio_fake().await;
    let client = twilio_client(&fake, &fast());
    let done = fake
        .state()
        .add_call(TO, FROM, plan(0, 0, TwilioOutcome::Busy));
    fake.state().clock().advance(Duration::from_millis(10));
    let outcome = client.hang_up(&done).await.expect("hang up");
    assert_eq!(
        outcome,
        EndCallOutcome::AlreadyEnded {
            status: "busy".into()
        }
    );
    assert_eq!(fake.faults().count(&Route::post("/2010-04-01/")), 0);
}

#[tokio::test]
async fn throttle_20429_is_retried_even_on_create() {
    let fake = twilio_fake().await;
    let client = twilio_client(&fake, &fast());
    fake.faults()
        .inject(Route::post(&calls_path()), Fault::code(429, "20429"), 2);
    let outcome = client.create_call(TO, FROM, TWIML).await;
    assert!(outcome.placed().is_some(), "{outcome:?}");
    assert_eq!(fake.faults().count(&Route::post(&calls_path())), 3);
}

#[tokio::test]
async fn throttle_with_retry_after_on_reads() {
    let fake = twilio_fake().await;
    let client = twilio_client(&fake, &fast());
    fake.faults().inject(
        Route::get("/2010-04-01/"),
        Fault::Error {
            status: 429,
            code: Some("20429".into()),
            retry_after: Some("0.02".into()),
        },
        1,
    );
    client.fetch_account().await.expect("retried");
    assert_eq!(fake.faults().count(&Route::get("/2010-04-01/")), 2);
}

#[tokio::test]
async fn create_call_rejection_and_server_error() {
    let fake = twilio_fake().await;
    let client = twilio_client(&fake, &fast());
    fake.faults()
        .inject(Route::post(&calls_path()), Fault::code(400, "21211"), 1);
    let outcome = client.create_call(TO, FROM, TWIML).await;
    assert!(
        matches!(outcome, CreateCallOutcome::Rejected(_)),
        "{outcome:?}"
    );
    fake.faults().inject(
        Route::post(&calls_path()),
        Fault::HtmlPage { status: 502 },
        1,
    );
    let outcome = client.create_call(TO, FROM, TWIML).await;
    assert!(
        matches!(outcome, CreateCallOutcome::AcceptanceUnknown(_)),
        "{outcome:?}"
    );
    assert_eq!(fake.faults().count(&Route::post(&calls_path())), 2);
}

#[tokio::test]
async fn trunks_numbers_and_origination_urls() {
    let fake = twilio_fake().await;
    let state = fake.state();
    state.add_incoming_number(FROM, None);
    state.add_trunk(
        "TK00000000000000000000000000000001",
        "acme.pstn.twilio.com",
        "CREDENTIAL_LIST",
    );
    state.add_trunk(
        "TK00000000000000000000000000000002",
        "other-name.pstn.twilio.com",
        "",
    );
    state.add_trunk(
        "TK00000000000000000000000000000003",
        "third.pstn.twilio.com",
        "IP_ACL,CREDENTIAL_LIST",
    );
    assert!(state.attach_number("TK00000000000000000000000000000001", FROM));
    assert!(state.add_origination_url(
        "TK00000000000000000000000000000001",
        "sip:sip.retellai.com",
        true,
        10,
        10
    ));
    let client = twilio_client(&fake, &fast()).with_page_size(1);

    let trunks = client.list_trunks().await.expect("trunks");
    assert_eq!(trunks.len(), 3);
    assert_eq!(
        fake.faults().count(&Route::get("/v1/Trunks")),
        3,
        "three pages of one"
    );
    assert!(trunks[1].auth_types().is_empty());
    assert_eq!(trunks[2].auth_types(), vec!["IP_ACL", "CREDENTIAL_LIST"]);

    let numbers = client
        .trunk_phone_numbers("TK00000000000000000000000000000001")
        .await
        .expect("numbers");
    assert_eq!(numbers.len(), 1);
    assert_eq!(
        numbers[0].trunk_sid.as_deref(),
        Some("TK00000000000000000000000000000001")
    );
    let incoming = client.list_incoming_numbers().await.expect("incoming");
    assert_eq!(
        incoming[0].trunk_sid.as_deref(),
        Some("TK00000000000000000000000000000001")
    );

    let urls = client
        .origination_urls("TK00000000000000000000000000000001")
        .await
        .expect("urls");
    assert_eq!(urls[0].sip_url, "sip:sip.retellai.com");
    assert_eq!(
        (urls[0].enabled, urls[0].weight, urls[0].priority),
        (Some(true), Some(10), Some(10))
    );
    assert!(
        client
            .origination_urls("TK00000000000000000000000000000002")
            .await
            .expect("none")
            .is_empty()
    );
    assert!(
        client
            .trunk_phone_numbers("TK00000000000000000000000000000002")
            .await
            .expect("none")
            .is_empty()
    );

    let trunk = client
        .get_trunk("TK00000000000000000000000000000002")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        trunk.domain_name.as_deref(),
        Some("other-name.pstn.twilio.com")
    );
    assert!(
        client
            .get_trunk("TK0000000000000000000000000000000f")
            .await
            .expect("get")
            .is_none()
    );
}

#[tokio::test]
async fn trunking_next_page_outside_the_base_is_refused() {
    let fake = twilio_fake().await;
    for n in 0..3 {
        fake.state().add_trunk(
            &format!("TK{n:032}"),
            &format!("t{n}.pstn.twilio.com"),
            "IP_ACL",
        );
    }
    fake.state()
        .set_trunking_next_page_base(Some("https://collector.example"));
    let client = twilio_client(&fake, &fast()).with_page_size(1);
    let err = client.list_trunks().await.expect_err("foreign link");
    assert_eq!(err.kind(), &ErrorKind::Decode);
    assert_eq!(fake.faults().count(&Route::get("/v1/Trunks")), 1);
}

#[tokio::test]
async fn the_fake_answers_xml_without_json_suffix_and_reads_only_forms() {
    let fake = twilio_fake().await;
    let http = raw_http();
    let xml = http
        .get(format!(
            "{}/2010-04-01/Accounts/{TWILIO_SID}",
            fake.base_url()
        ))
        .basic_auth(TWILIO_SID, Some(TWILIO_TOKEN))
        .send()
        .await
        .expect("reply");
    assert!(xml.text().await.expect("body").starts_with("<?xml"));
    let json_body = http
        .post(format!("{}{}", fake.base_url(), calls_path()))
        .basic_auth(TWILIO_SID, Some(TWILIO_TOKEN))
        .json(&serde_json::json!({"To": TO, "From": FROM, "Twiml": TWIML}))
        .send()
        .await
        .expect("reply");
    assert_eq!(json_body.status().as_u16(), 400);
    let body: serde_json::Value = json_body.json().await.expect("json");
    assert_eq!(body["code"], 21201);
}
