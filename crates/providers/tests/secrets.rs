//! No configured key, token or fake canary ever appears in an error's Display or Debug,
//! nor in a client's Debug.

mod common;

use std::collections::BTreeMap;

use common::*;
use launchdeck_providers::retell::NewCall;
use launchdeck_providers::{
    ElevenLabsClient, GoogleCalendarClient, GoogleOAuthClient, ProviderError, RetellClient,
};
use launchdeck_sim::fakes::{Fault, Route};

fn check(errors: &[ProviderError]) {
    for err in errors {
        assert_no_secrets(&err.to_string());
        assert_no_secrets(&format!("{err:?}"));
    }
}

fn all_faults() -> Vec<Fault> {
    vec![
        Fault::status(401),
        Fault::status(403),
        Fault::status(404),
        Fault::status(422),
        Fault::rate_limited(Some("120")),
        Fault::status(500),
        Fault::HtmlPage { status: 502 },
        Fault::status(503),
        Fault::CutBody,
        Fault::MalformedJson,
        Fault::DropBeforeReply,
    ]
}

#[tokio::test]
async fn retell_errors_and_debug_hold_no_secret() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    assert_no_secrets(&format!("{client:?}"));
    let mut errors = Vec::new();
    for fault in all_faults() {
        fake.faults().clear();
        fake.faults().inject_always(Route::all(), fault);
        errors.extend(client.get_concurrency().await.err());
        errors.extend(client.list_numbers().await.err());
        let call = NewCall {
            from_number: FROM.into(),
            to_number: TO.into(),
            override_agent_id: None,
            dynamic_variables: BTreeMap::new(),
            request_id: uuid::Uuid::new_v4(),
        };
        errors.extend(client.create_call(&call).await.error().cloned());
    }
    let wrong = RetellClient::new(&fake.base_url(), secret(RETELL_KEY), &fast()).expect("client");
    fake.faults().clear();
    errors.extend(wrong.get_call("call_x").await.err());
    assert!(errors.len() >= 30, "collected {}", errors.len());
    check(&errors);
}

#[tokio::test]
async fn twilio_errors_and_account_hold_no_secret() {
    let fake = twilio_fake().await;
    let client = twilio_client(&fake, &fast());
    assert_no_secrets(&format!("{client:?}"));
    let account = client.fetch_account().await.expect("account");
    assert_no_secrets(&format!("{account:?}"));
    let mut errors = Vec::new();
    for fault in all_faults() {
        fake.faults().clear();
        fake.faults().inject_always(Route::all(), fault);
        errors.extend(client.fetch_account().await.err());
        errors.extend(client.list_trunks().await.err());
        errors.extend(
            client
                .create_call(TO, FROM, "<Response/>")
                .await
                .error()
                .cloned(),
        );
    }
    fake.faults().clear();
    fake.faults().inject(Route::all(), Fault::MalformedJson, 1);
    errors.extend(client.fetch_account().await.err());
    check(&errors);
}

#[tokio::test]
async fn elevenlabs_errors_hold_no_secret() {
    let fake = elevenlabs_fake().await;
    let client =
        ElevenLabsClient::new(&fake.base_url(), secret(ELEVEN_KEY), &fast()).expect("client");
    assert_no_secrets(&format!("{client:?}"));
    let mut errors = Vec::new();
    for fault in all_faults() {
        fake.faults().clear();
        fake.faults().inject_always(Route::all(), fault);
        errors.extend(client.subscription().await.err());
    }
    check(&errors);
}

#[tokio::test]
async fn google_errors_and_grants_hold_no_secret() {
    let fake = google_fake().await;
    let oauth = GoogleOAuthClient::new(
        &fake.token_url(),
        GOOGLE_CLIENT_ID,
        secret(GOOGLE_SECRET),
        &fast(),
    )
    .expect("client");
    let calendar = GoogleCalendarClient::new(&fake.calendar_base_url(), &fast()).expect("client");
    assert_no_secrets(&format!("{oauth:?}"));
    fake.state().set_rotate_refresh_token(true);
    let grant = oauth
        .refresh(&secret(GOOGLE_REFRESH))
        .await
        .expect("refresh");
    assert_no_secrets(&format!("{grant:?}"));
    let mut errors = Vec::new();
    for fault in all_faults() {
        fake.faults().clear();
        fake.faults().inject_always(Route::all(), fault);
        errors.extend(oauth.refresh(&secret(GOOGLE_REFRESH)).await.err());
        errors.extend(calendar.calendar_list(&grant.access_token).await.err());
    }
    fake.faults().clear();
    fake.state().revoke_refresh_token(GOOGLE_REFRESH);
    errors.extend(oauth.refresh(&secret(GOOGLE_REFRESH)).await.err());
    errors.extend(
        calendar
            .calendar_list(&secret("ya29.not-issued"))
            .await
            .err(),
    );
    check(&errors);
}
