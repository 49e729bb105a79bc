//! Shared test support: known secrets, fast HTTP profiles, fake + client pairs.
#![allow(dead_code)]

use std::time::Duration;

use launchdeck_providers::{HttpConfig, RetryPolicy, Timeouts};
use launchdeck_sim::fakes::{
    ElevenLabsFake, ElevenLabsState, FakeAgent, FakeNumber, GoogleFake, GoogleState, RetellFake,
    RetellState, TwilioFake, TwilioState,
};
use secrecy::SecretString;

pub const RETELL_KEY: &str = "key_retell_test_0123456789abcdef";
pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TWILIO_TOKEN: &str = "twilio_token_test_fedcba9876543210";
pub const ELEVEN_KEY: &str = "sk_eleven_test_00112233445566778899";
pub const ELEVEN_SCOPED_KEY: &str = "sk_eleven_scoped_99887766554433";
pub const GOOGLE_CLIENT_ID: &str = "client-123.apps.googleusercontent.com";
pub const GOOGLE_SECRET: &str = "GOCSPX-test-secret-abcdef123456";
pub const GOOGLE_REFRESH: &str = "1//test-refresh-token-0123456789";

/// Every configured secret the tests use.
pub const CONFIGURED_SECRETS: [&str; 6] = [
    RETELL_KEY,
    TWILIO_TOKEN,
    ELEVEN_KEY,
    ELEVEN_SCOPED_KEY,
    GOOGLE_SECRET,
    GOOGLE_REFRESH,
];

pub const FROM: &str = "+14155550123";
pub const TO: &str = "+14155550199";

/// A Retell call from `FROM` to `TO` with a fresh request id.
pub fn new_call() -> launchdeck_providers::retell::NewCall {
    launchdeck_providers::retell::NewCall {
        from_number: FROM.to_string(),
        to_number: TO.to_string(),
        override_agent_id: None,
        dynamic_variables: std::collections::BTreeMap::new(),
        request_id: uuid::Uuid::new_v4(),
    }
}

pub fn secret(value: &str) -> SecretString {
    SecretString::from(value.to_string())
}

/// Generous timeouts, near-zero backoff: retries are counted, not waited for.
pub fn fast() -> HttpConfig {
    HttpConfig {
        timeouts: Timeouts {
            connect: Duration::from_secs(5),
            read: Duration::from_secs(10),
            mutation: Duration::from_secs(10),
        },
        retry: RetryPolicy {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(5),
            max_retries: 2,
        },
        throttle_retry: RetryPolicy {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(5),
            max_retries: 3,
        },
        ..HttpConfig::default()
    }
}

/// `fast()` with a short total timeout, for tests where the fake answers too late.
pub fn short_timeout() -> HttpConfig {
    let mut config = fast();
    config.timeouts.read = Duration::from_millis(300);
    config.timeouts.mutation = Duration::from_millis(300);
    config
}

/// Long enough that a short-timeout client gives up first.
pub const LATE: Duration = Duration::from_secs(3);

/// A Retell workspace with two agents and a number whose outbound agent is `agent_a`.
pub async fn retell_fake() -> RetellFake {
    let state = RetellState::new(RETELL_KEY);
    state.add_agent(FakeAgent::new("agent_a"));
    state.add_agent(FakeAgent::new("agent_b").version(serde_json::json!("latest")));
    state.add_number(
        FakeNumber::new(FROM)
            .outbound_agents(&["agent_a"])
            .inbound_agents(&["agent_a"]),
    );
    RetellFake::start(state).await.expect("retell fake starts")
}

pub fn retell_client(fake: &RetellFake, config: &HttpConfig) -> launchdeck_providers::RetellClient {
    launchdeck_providers::RetellClient::new(&fake.base_url(), secret(RETELL_KEY), config)
        .expect("retell client")
}

pub async fn twilio_fake() -> TwilioFake {
    TwilioFake::start(TwilioState::new(TWILIO_SID, TWILIO_TOKEN))
        .await
        .expect("twilio fake starts")
}

pub fn twilio_client(fake: &TwilioFake, config: &HttpConfig) -> launchdeck_providers::TwilioClient {
    launchdeck_providers::TwilioClient::new(
        &fake.base_url(),
        &fake.trunking_base_url(),
        TWILIO_SID,
        secret(TWILIO_TOKEN),
        config,
    )
    .expect("twilio client")
}

pub async fn elevenlabs_fake() -> ElevenLabsFake {
    ElevenLabsFake::start(ElevenLabsState::new(ELEVEN_KEY))
        .await
        .expect("elevenlabs fake starts")
}

pub async fn google_fake() -> GoogleFake {
    GoogleFake::start(GoogleState::new(
        GOOGLE_CLIENT_ID,
        GOOGLE_SECRET,
        GOOGLE_REFRESH,
    ))
    .await
    .expect("google fake starts")
}

/// Panics naming the leak if `text` holds any configured secret or canary.
pub fn assert_no_secrets(text: &str) {
    for value in CONFIGURED_SECRETS
        .iter()
        .chain(launchdeck_sim::fakes::CANARIES.iter())
    {
        assert!(!text.contains(value), "secret leaked into: {text}");
    }
}

/// A reqwest client for poking the fakes directly.
pub fn raw_http() -> reqwest::Client {
    launchdeck_providers::install_crypto_provider();
    reqwest::Client::builder().build().expect("reqwest client")
}
