//! The shared HTTP layer against a live fake: circuit breaker, retry budget, and
//! requests that must go out even while the breaker is open.

mod common;

use std::time::Duration;

use common::*;
use launchdeck_providers::{
    BreakerSettings, BreakerState, CreateCallOutcome, ErrorKind, HttpConfig,
};
use launchdeck_sim::fakes::{Fault, Route};

#[tokio::test]
async fn breaker_opens_after_five_consecutive_failures() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    let placed = client
        .create_call(&new_call())
        .await
        .placed()
        .cloned()
        .expect("placed");
    fake.faults()
        .inject_always(Route::get("/get-concurrency"), Fault::status(503));
    let first = client.get_concurrency().await.expect_err("503");
    assert_eq!(first.kind(), &ErrorKind::Server { status: 503 });
    let second = client.get_concurrency().await.expect_err("503 then open");
    assert_eq!(
        second.kind(),
        &ErrorKind::BreakerOpen,
        "opens on the 5th failure"
    );
    assert_eq!(fake.faults().count(&Route::get("/get-concurrency")), 5);
    assert!(matches!(client.breaker_state(), BreakerState::Open { .. }));

    let third = client.get_concurrency().await.expect_err("fails fast");
    assert_eq!(third.kind(), &ErrorKind::BreakerOpen);
    assert_eq!(
        fake.faults().count(&Route::get("/get-concurrency")),
        5,
        "nothing sent while open"
    );

    let refused = client.create_call(&new_call()).await;
    assert!(
        matches!(refused, CreateCallOutcome::NotSent(_)),
        "{refused:?}"
    );
    assert_eq!(
        fake.faults().count(&Route::post("/v2/create-phone-call")),
        1
    );

    client
        .stop_call(&placed.call_id)
        .await
        .expect("stop still sent");
    assert_eq!(fake.faults().count(&Route::post("/v2/stop-call/")), 1);
}

#[tokio::test]
async fn client_errors_never_open_the_breaker() {
    let fake = retell_fake().await;
    let client = retell_client(&fake, &fast());
    fake.faults()
        .inject_always(Route::get("/get-concurrency"), Fault::status(404));
    for _ in 0..8 {
        let err = client.get_concurrency().await.expect_err("404");
        assert_eq!(err.kind(), &ErrorKind::NotFound);
    }
    fake.faults().clear();
    fake.faults().inject(
        Route::get("/get-concurrency"),
        Fault::rate_limited(Some("0.01")),
        6,
    );
    let _ = client.get_concurrency().await;
    let _ = client.get_concurrency().await;
    assert_eq!(client.breaker_state(), BreakerState::Closed);
}

#[tokio::test]
async fn one_trial_after_the_open_period_reopens_or_closes() {
    let fake = retell_fake().await;
    let mut config = HttpConfig {
        breaker: BreakerSettings {
            failure_threshold: 5,
            open_for: Duration::ZERO,
        },
        ..fast()
    };
    config.retry.max_retries = 0;
    let client = retell_client(&fake, &config);
    fake.faults()
        .inject(Route::get("/get-concurrency"), Fault::status(500), 6);
    for _ in 0..5 {
        let err = client.get_concurrency().await.expect_err("500");
        assert_eq!(err.kind(), &ErrorKind::Server { status: 500 });
    }
    assert!(matches!(client.breaker_state(), BreakerState::Open { .. }));
    let trial = client.get_concurrency().await.expect_err("failed trial");
    assert_eq!(trial.kind(), &ErrorKind::Server { status: 500 });
    assert!(
        matches!(client.breaker_state(), BreakerState::Open { .. }),
        "a failed trial reopens"
    );
    client.get_concurrency().await.expect("next trial succeeds");
    assert_eq!(client.breaker_state(), BreakerState::Closed);
    assert_eq!(fake.faults().count(&Route::get("/get-concurrency")), 7);
}

#[tokio::test]
async fn retry_budget_stops_retries_when_empty() {
    let fake = retell_fake().await;
    let config = HttpConfig {
        retry_budget: 10,
        ..fast()
    };
    let client = retell_client(&fake, &config);
    fake.faults()
        .inject_always(Route::get("/get-agent/"), Fault::status(500));
    let _ = client.get_agent("agent_a").await.expect_err("500");
    assert_eq!(
        fake.faults().count(&Route::get("/get-agent/")),
        3,
        "two retries paid for"
    );
    let _ = client.get_agent("agent_a").await.expect_err("500");
    assert_eq!(
        fake.faults().count(&Route::get("/get-agent/")),
        4,
        "budget empty: no retry"
    );
}

#[tokio::test]
async fn mutations_are_never_retried_on_server_errors() {
    let fake = twilio_fake().await;
    let client = twilio_client(&fake, &fast());
    let path = format!("/2010-04-01/Accounts/{TWILIO_SID}/Calls.json");
    fake.faults()
        .inject(Route::post(&path), Fault::status(503), 1);
    let outcome = client
        .create_call(TO, FROM, "<Response><Say>hi</Say></Response>")
        .await;
    assert!(
        matches!(outcome, CreateCallOutcome::AcceptanceUnknown(_)),
        "{outcome:?}"
    );
    assert_eq!(fake.faults().count(&Route::post(&path)), 1);
}

#[tokio::test]
async fn the_action_deadline_bounds_timeouts_and_retries() {
    let fake = retell_fake().await;
    let config = HttpConfig {
        action_deadline: Duration::from_millis(400),
        ..fast()
    };
    let client = retell_client(&fake, &config);
    fake.faults()
        .inject_always(Route::get("/get-concurrency"), Fault::Delay(LATE));
    let err = client.get_concurrency().await.expect_err("deadline");
    assert_eq!(err.kind(), &ErrorKind::Timeout);
    assert_eq!(
        fake.faults().count(&Route::get("/get-concurrency")),
        1,
        "no retry past the deadline"
    );
}

/// A reply far larger than any answer (a broken proxy, a hostile endpoint) is refused as it
/// streams in or by its declared length, never held whole, and not asked for again.
#[tokio::test]
async fn an_absurdly_large_reply_is_refused_not_held() {
    let fake = retell_fake().await;
    let config = HttpConfig {
        max_reply_bytes: 1024 * 1024,
        ..fast()
    };
    let client = retell_client(&fake, &config);
    for declared in [false, true] {
        let huge = Fault::HugeBody {
            bytes: 8 * 1024 * 1024,
            declared,
        };
        fake.faults()
            .inject(Route::get("/get-concurrency"), huge, 1);
        let err = client.get_concurrency().await.expect_err("refused");
        assert_eq!(err.kind(), &ErrorKind::Decode, "declared {declared}");
        assert!(err.message().contains("larger than 1 MB"), "{err}");
    }
    assert_eq!(
        fake.faults().count(&Route::get("/get-concurrency")),
        2,
        "each refused reply was asked for once"
    );
    client
        .get_concurrency()
        .await
        .expect("a normal reply still reads");
}
