//! Google OAuth and Calendar clients against the Google fake.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use launchdeck_providers::{
    CheckVerdict, ErrorKind, GoogleCalendarClient, GoogleOAuthClient, OAuthFailure,
};
use launchdeck_sim::fakes::{CANARY_GOOGLE_ACCESS_TOKEN, Fault, GoogleFake, Route};
use secrecy::{ExposeSecret, SecretString};

fn oauth(fake: &GoogleFake, secret_value: &str) -> GoogleOAuthClient {
    GoogleOAuthClient::new(
        &fake.token_url(),
        GOOGLE_CLIENT_ID,
        secret(secret_value),
        &fast(),
    )
    .expect("oauth client")
}

fn calendar(fake: &GoogleFake) -> GoogleCalendarClient {
    GoogleCalendarClient::new(&fake.calendar_base_url(), &fast()).expect("calendar client")
}

async fn access_token(fake: &GoogleFake) -> SecretString {
    oauth(fake, GOOGLE_SECRET)
        .refresh(&secret(GOOGLE_REFRESH))
        .await
        .expect("refresh")
        .access_token
}

#[tokio::test]
async fn refresh_returns_a_token_without_a_new_refresh_token() {
    let fake = google_fake().await;
    fake.state().set_expires_in(30);
    let grant = oauth(&fake, GOOGLE_SECRET)
        .refresh(&secret(GOOGLE_REFRESH))
        .await
        .expect("refresh");
    assert!(
        grant
            .access_token
            .expose_secret()
            .starts_with(CANARY_GOOGLE_ACCESS_TOKEN)
    );
    assert_eq!(grant.expires_in, Duration::from_secs(30));
    assert_eq!(grant.token_type.as_deref(), Some("Bearer"));
    assert!(
        grant.refresh_token.is_none(),
        "no refresh token unless Google rotates it"
    );
    let form = &fake.faults().requests()[0];
    assert!(
        form.content_type
            .as_deref()
            .unwrap_or("")
            .starts_with("application/x-www-form-urlencoded")
    );
    assert!(form.body.contains("grant_type=refresh_token"));

    fake.state().set_rotate_refresh_token(true);
    let rotated = oauth(&fake, GOOGLE_SECRET)
        .refresh(&secret(GOOGLE_REFRESH))
        .await
        .expect("refresh");
    assert!(rotated.refresh_token.is_some());
}

#[tokio::test]
async fn revoked_token_is_invalid_grant_and_never_retried() {
    let fake = google_fake().await;
    fake.state().revoke_refresh_token(GOOGLE_REFRESH);
    let err = oauth(&fake, GOOGLE_SECRET)
        .refresh(&secret(GOOGLE_REFRESH))
        .await
        .expect_err("revoked");
    assert_eq!(err.oauth_failure(), Some(OAuthFailure::InvalidGrant));
    assert_eq!(err.message(), "Token has been expired or revoked.");
    assert_eq!(err.check_verdict(), CheckVerdict::Fail);
    assert_eq!(fake.faults().count(&Route::post("/token")), 1);
}

#[tokio::test]
async fn client_errors_are_typed() {
    let fake = google_fake().await;
    let err = oauth(&fake, "wrong-secret-000000")
        .refresh(&secret(GOOGLE_REFRESH))
        .await
        .expect_err("401");
    assert_eq!(err.oauth_failure(), Some(OAuthFailure::InvalidClient));
    assert_eq!(err.kind(), &ErrorKind::Unauthorized);

    fake.state()
        .add_client("other-client", "other-secret-123456");
    fake.state()
        .add_refresh_token("1//belongs-to-other", "other-client");
    let err = oauth(&fake, GOOGLE_SECRET)
        .refresh(&secret("1//belongs-to-other"))
        .await
        .expect_err("unauthorized_client");
    assert_eq!(err.oauth_failure(), Some(OAuthFailure::UnauthorizedClient));
    assert_eq!(fake.faults().count(&Route::post("/token")), 2);
}

#[tokio::test]
async fn refresh_retries_server_errors_and_drops() {
    let fake = google_fake().await;
    let client = oauth(&fake, GOOGLE_SECRET);
    fake.faults()
        .inject(Route::post("/token"), Fault::status(503), 1);
    fake.faults()
        .inject(Route::post("/token"), Fault::DropBeforeReply, 1);
    client
        .refresh(&secret(GOOGLE_REFRESH))
        .await
        .expect("third try succeeds");
    assert_eq!(fake.faults().count(&Route::post("/token")), 3);
    fake.faults()
        .inject(Route::post("/token"), Fault::rate_limited(Some("0.01")), 1);
    let err = client
        .refresh(&secret(GOOGLE_REFRESH))
        .await
        .expect_err("429 is not retried");
    assert_eq!(
        err.kind(),
        &ErrorKind::RateLimited {
            retry_after: Some(Duration::from_millis(10))
        }
    );
}

#[tokio::test]
async fn token_endpoint_reads_only_forms() {
    let fake = google_fake().await;
    let reply = raw_http()
        .post(fake.token_url())
        .json(&serde_json::json!({"grant_type": "refresh_token", "refresh_token": GOOGLE_REFRESH}))
        .send()
        .await
        .expect("reply");
    assert_eq!(reply.status().as_u16(), 400);
    let body: serde_json::Value = reply.json().await.expect("json");
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn calendar_list_pages_and_keeps_the_sync_token() {
    let fake = google_fake().await;
    for n in 0..4 {
        fake.state()
            .add_calendar(&format!("team{n}@example.com"), "Team", false, "reader");
    }
    let token = access_token(&fake).await;
    let list = calendar(&fake)
        .with_page_size(2)
        .calendar_list(&token)
        .await
        .expect("list");
    assert_eq!(list.items.len(), 5);
    assert!(list.next_sync_token.is_some());
    assert_eq!(list.items[0].primary, Some(true));
    assert_eq!(list.items[0].access_role.as_deref(), Some("owner"));
    assert_eq!(
        fake.faults()
            .count(&Route::get("/calendar/v3/users/me/calendarList")),
        3
    );
}

#[tokio::test]
async fn expired_or_unknown_token_is_an_auth_error() {
    let fake = google_fake().await;
    fake.state().set_expires_in(60);
    let token = access_token(&fake).await;
    fake.state().clock().advance(Duration::from_secs(61));
    let err = calendar(&fake)
        .calendar_list(&token)
        .await
        .expect_err("expired");
    assert!(err.is_google_auth_error(), "{err:?}");
    assert_eq!(err.code(), Some("authError"));
    assert_eq!(err.message(), "Invalid Credentials");
    let fresh = access_token(&fake).await;
    assert!(calendar(&fake).calendar_list(&fresh).await.is_ok());
}

#[tokio::test]
async fn scope_and_quota_errors() {
    let fake = google_fake().await;
    let token = access_token(&fake).await;
    let client = calendar(&fake);
    fake.state().set_insufficient_scope(true);
    let err = client.calendar_list(&token).await.expect_err("403");
    assert_eq!(err.kind(), &ErrorKind::Forbidden);
    assert_eq!(err.code(), Some("insufficientPermissions"));
    assert_eq!(err.check_verdict(), CheckVerdict::Fail);
    fake.state().set_insufficient_scope(false);

    let list_route = Route::get("/calendar/v3/users/me/calendarList");
    fake.faults()
        .inject(list_route.clone(), Fault::code(403, "rateLimitExceeded"), 1);
    fake.faults()
        .inject(list_route.clone(), Fault::code(429, "rateLimitExceeded"), 1);
    client
        .calendar_list(&token)
        .await
        .expect("backs off and recovers");
    assert_eq!(
        fake.faults().count(&list_route),
        4,
        "one 403 scope error, then 403+429+200"
    );
    fake.faults()
        .inject(list_route.clone(), Fault::code(500, "backendError"), 3);
    let err = client.calendar_list(&token).await.expect_err("500");
    assert_eq!(err.code(), Some("backendError"));
    assert_eq!(err.check_verdict(), CheckVerdict::Unknown);
}

#[tokio::test]
async fn free_busy_errors_arrive_inside_a_200() {
    let fake = google_fake().await;
    fake.state().add_busy(
        "ops@example.com",
        "2026-01-05T15:00:00Z",
        "2026-01-05T16:00:00Z",
    );
    let token = access_token(&fake).await;
    let client = calendar(&fake);
    let now = Utc::now();
    let ok = client
        .free_busy(&token, now, now + chrono::Duration::days(1), &["primary"])
        .await
        .expect("freeBusy");
    assert!(ok.ensure_no_errors().is_ok());
    assert_eq!(ok.calendars["primary"].busy.len(), 1);
    let mixed = client
        .free_busy(
            &token,
            now,
            now + chrono::Duration::days(1),
            &["primary", "gone@example.com"],
        )
        .await
        .expect("200 even with a failing calendar");
    let err = mixed.ensure_no_errors().expect_err("per-calendar error");
    assert_eq!(err.kind(), &ErrorKind::NotFound);
    assert_eq!(err.code(), Some("notFound"));
}

#[tokio::test]
async fn free_busy_is_retried_as_a_read() {
    let fake = google_fake().await;
    let token = access_token(&fake).await;
    fake.faults()
        .inject(Route::post("/calendar/v3/freeBusy"), Fault::CutBody, 1);
    let now = Utc::now();
    calendar(&fake)
        .free_busy(&token, now, now + chrono::Duration::hours(1), &["primary"])
        .await
        .expect("retried");
    assert_eq!(
        fake.faults().count(&Route::post("/calendar/v3/freeBusy")),
        2
    );
}
