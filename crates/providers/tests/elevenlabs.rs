//! ElevenLabs client against the ElevenLabs fake.

mod common;

use common::*;
use launchdeck_providers::elevenlabs::SubscriptionStatus;
use launchdeck_providers::{CheckVerdict, ElevenLabsClient, ErrorKind};
use launchdeck_sim::fakes::{CANARY_ELEVENLABS_XI_API_KEY, Fault, KeyScope, Route};

const SUBSCRIPTION: &str = "/v1/user/subscription";

fn client(fake: &launchdeck_sim::fakes::ElevenLabsFake, key: &str) -> ElevenLabsClient {
    ElevenLabsClient::new(&fake.base_url(), secret(key), &fast()).expect("client")
}

#[tokio::test]
async fn subscription_reads_usage_and_status() {
    let fake = elevenlabs_fake().await;
    let client = client(&fake, ELEVEN_KEY);
    let sub = client.subscription().await.expect("subscription");
    assert_eq!(sub.tier.as_deref(), Some("creator"));
    assert_eq!(sub.characters_left(), Some(58_750));
    assert_eq!(sub.status, Some(SubscriptionStatus::Active));
    assert_eq!(sub.next_character_count_reset_unix, Some(1_769_904_000));

    fake.state().near_limit();
    fake.state().null_reset();
    fake.state().set_status("past_due");
    let sub = client.subscription().await.expect("subscription");
    assert_eq!(sub.characters_left(), Some(3_000));
    assert_eq!(sub.next_character_count_reset_unix, None);
    assert!(sub.status_blocks_tts());
    fake.state().set_status("free_disabled");
    assert_eq!(
        client.subscription().await.expect("subscription").status,
        Some(SubscriptionStatus::FreeDisabled)
    );
    assert!(
        fake.faults()
            .requests()
            .iter()
            .all(|r| r.path == SUBSCRIPTION),
        "only /v1/user/subscription is ever called"
    );
}

#[tokio::test]
async fn invalid_key_fails_and_scoped_key_warns() {
    let fake = elevenlabs_fake().await;
    let err = client(&fake, "sk_not_a_real_key_000000")
        .subscription()
        .await
        .expect_err("401");
    assert_eq!(err.kind(), &ErrorKind::Unauthorized);
    assert_eq!(err.code(), Some("invalid_api_key"));
    assert_eq!(err.message(), "Invalid API key");
    assert_eq!(err.check_verdict(), CheckVerdict::Fail);

    fake.state()
        .add_key(ELEVEN_SCOPED_KEY, KeyScope::WithoutUserRead);
    let err = client(&fake, ELEVEN_SCOPED_KEY)
        .subscription()
        .await
        .expect_err("scoped");
    assert!(err.is_missing_permissions());
    assert_eq!(err.check_verdict(), CheckVerdict::Warn);
    assert_eq!(fake.faults().count(&Route::all()), 2);
}

#[tokio::test]
async fn only_the_xi_api_key_header_authenticates() {
    let fake = elevenlabs_fake().await;
    let reply = raw_http()
        .get(format!("{}{SUBSCRIPTION}", fake.base_url()))
        .bearer_auth(ELEVEN_KEY)
        .send()
        .await
        .expect("reply");
    assert_eq!(reply.status().as_u16(), 401);
}

#[tokio::test]
async fn the_fake_user_endpoint_carries_the_canary() {
    let fake = elevenlabs_fake().await;
    let body = raw_http()
        .get(format!("{}/v1/user", fake.base_url()))
        .header("xi-api-key", ELEVEN_KEY)
        .send()
        .await
        .expect("reply")
        .text()
        .await
        .expect("body");
    assert!(body.contains(CANARY_ELEVENLABS_XI_API_KEY));
}

#[tokio::test]
async fn busy_answers_are_retried_and_validation_is_typed() {
    let fake = elevenlabs_fake().await;
    let client = client(&fake, ELEVEN_KEY);
    fake.faults()
        .inject(Route::get(SUBSCRIPTION), Fault::code(429, "system_busy"), 1);
    client.subscription().await.expect("retry succeeds");
    assert_eq!(fake.faults().count(&Route::get(SUBSCRIPTION)), 2);

    fake.faults().inject(
        Route::get(SUBSCRIPTION),
        Fault::code(429, "too_many_concurrent_requests"),
        3,
    );
    let err = client.subscription().await.expect_err("limited");
    assert_eq!(err.code(), Some("too_many_concurrent_requests"));
    assert_eq!(err.check_verdict(), CheckVerdict::Unknown);

    fake.faults()
        .inject(Route::get(SUBSCRIPTION), Fault::status(422), 1);
    let err = client.subscription().await.expect_err("422");
    assert_eq!(err.kind(), &ErrorKind::Unprocessable);
    assert!(
        err.message().starts_with("validation failed: body.text"),
        "{err}"
    );
}

#[tokio::test]
async fn garbled_and_extended_replies() {
    let fake = elevenlabs_fake().await;
    let client = client(&fake, ELEVEN_KEY);
    fake.faults()
        .inject(Route::get(SUBSCRIPTION), Fault::ExtraFields, 1);
    assert!(client.subscription().await.is_ok());
    fake.faults()
        .inject(Route::get(SUBSCRIPTION), Fault::MalformedJson, 1);
    assert_eq!(
        client.subscription().await.expect_err("bad json").kind(),
        &ErrorKind::Decode
    );
    fake.faults()
        .inject(Route::get(SUBSCRIPTION), Fault::status(500), 3);
    let err = client.subscription().await.expect_err("500");
    assert_eq!(err.kind(), &ErrorKind::Server { status: 500 });
}
