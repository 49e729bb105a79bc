//! The fix actions' reads and writes: calendar token grants and `invalid_grant`
//! markers conditional on the previewed row, alert acknowledgements, and a phone
//! number found by its E.164 number.

use std::time::Duration;

use launchdeck_core::domain::CalendarIntegration;
use launchdeck_core::fixes::{
    AckResult, CalendarTokenWrite, TokenCondition, TokenWriteResult, invalid_grant_marker,
};
use secrecy::{ExposeSecret, SecretString};

use super::*;

/// base64 of the plaintext, as the platform stores tokens.
const REFRESH_1: &str = "MS8vcmVmcmVzaC1vbmU="; // "1//refresh-one"
const REFRESH_2: &str = "MS8vcmVmcmVzaC10d28="; // "1//refresh-two"
const REFRESH_3: &str = "MS8vcmVmcmVzaC10aHJlZQ=="; // "1//refresh-three"
const ACCESS_OLD: &str = "eWEyOS5vbGQ="; // "ya29.old"

/// Three Google integrations (one per user), expiring a minute ago, in an hour and in
/// two minutes; the first carries an earlier launchdeck `invalid_grant` marker among
/// other entries, the third a `sync_errors` stored as a JSON string.
async fn seed_integrations(seeder: &dyn Seeder) -> [Uuid; 3] {
    let mut data = new_seed(seeder);
    let ids = [id(700), id(701), id(702)];
    let rows = [
        (
            ids[0],
            USER_A1,
            REFRESH_1,
            -60,
            json!([
                {"source": "launchdeck", "error": "invalid_grant", "at": ago(7200)},
                {"error": "rate_limited"},
                "sync failed: timeout",
                7,
                true,
                null
            ]),
        ),
        (ids[1], USER_A2, REFRESH_2, 3600, json!([])),
        (
            ids[2],
            USER_B1,
            REFRESH_3,
            120,
            json!("[{\"error\":\"older\"}]"),
        ),
    ];
    for (iid, user, refresh, expires_in, errors) in rows {
        data.table("calendar_integrations").push(json!({
            "id": iid, "user_id": user, "provider": "google",
            "provider_account_email": format!("{}@example.com", user.simple()),
            "access_token_encrypted": ACCESS_OLD, "refresh_token_encrypted": refresh,
            "token_expires_at": ago(-expires_in), "sync_errors": errors,
        }));
    }
    seeder.load(&data).await;
    ids
}

async fn integration(store: &dyn Store, iid: Uuid) -> CalendarIntegration {
    store
        .calendar_integrations(&all())
        .await
        .expect("calendar_integrations")
        .into_iter()
        .find(|i| i.id == iid)
        .unwrap_or_else(|| panic!("integration {iid}"))
}

async fn condition(store: &dyn Store, iid: Uuid) -> TokenCondition {
    let state = store
        .calendar_token_state(iid)
        .await
        .expect("calendar_token_state")
        .expect("the integration exists");
    TokenCondition {
        id: iid,
        expected_expires_at: state.token_expires_at,
        expected_refresh_token: state.refresh_token.expect("a refresh token is stored"),
    }
}

fn grant(condition: TokenCondition, access: &str, rotated: Option<&str>) -> CalendarTokenWrite {
    CalendarTokenWrite::Grant {
        condition,
        access_token: SecretString::from(access),
        valid_for: Duration::from_secs(3599),
        refresh_token: rotated.map(SecretString::from),
    }
}

async fn refresh_token(store: &dyn Store, iid: Uuid) -> Option<String> {
    store
        .calendar_token_state(iid)
        .await
        .expect("calendar_token_state")
        .and_then(|s| s.refresh_token)
        .map(|t| t.expose_secret().to_string())
}

async fn access_token(store: &dyn Store, iid: Uuid) -> Option<String> {
    store
        .calendar_access_token(iid)
        .await
        .expect("calendar_access_token")
        .map(|t| t.expose_secret().to_string())
}

/// The state a refresh reads; a grant stores the new access token and expiry, keeps
/// the refresh token (or stores a rotated one) and drops launchdeck's own markers; a
/// stale condition is skipped; a refused refresh token only appends a marker.
pub async fn calendar_token_writes(store: &dyn Store, seeder: &dyn Seeder) {
    let [first, second, third] = seed_integrations(seeder).await;
    let state = store
        .calendar_token_state(first)
        .await
        .expect("state")
        .expect("exists");
    assert!(close_to(
        state.token_expires_at.expect("expiry"),
        at_ago(60)
    ));
    assert_eq!(
        state.refresh_token.map(|t| t.expose_secret().to_string()),
        Some(REFRESH_1.to_string())
    );
    assert!(
        store
            .calendar_token_state(id(799))
            .await
            .expect("state")
            .is_none()
    );

    let previewed = condition(store, first).await;
    let results = store
        .apply_calendar_tokens(&[grant(previewed.clone(), "eWEyOS5uZXc=", None)])
        .await
        .expect("apply");
    let [TokenWriteResult::Changed { token_expires_at }] = results.as_slice() else {
        panic!("the previewed row changes: {results:?}");
    };
    let expires = token_expires_at.expect("new expiry");
    assert!(close_to(expires, at_ago(-3599)), "{expires}");
    assert_eq!(
        access_token(store, first).await.as_deref(),
        Some("eWEyOS5uZXc=")
    );
    assert_eq!(
        refresh_token(store, first).await.as_deref(),
        Some(REFRESH_1),
        "kept"
    );
    let row = integration(store, first).await;
    assert_eq!(row.token_expires_at, Some(expires));
    assert_eq!(
        row.sync_errors,
        json!([{"error": "rate_limited"}, "sync failed: timeout", 7, true, null]),
        "only launchdeck's own invalid_grant marker is dropped"
    );

    // The same preview again: the row moved on.
    let results = store
        .apply_calendar_tokens(&[grant(previewed, "eWEyOS5hZ2Fpbg==", None)])
        .await
        .expect("apply");
    assert_eq!(
        results,
        vec![TokenWriteResult::Skipped {
            exists: true,
            token_expires_at: Some(expires)
        }]
    );
    assert_eq!(
        access_token(store, first).await.as_deref(),
        Some("eWEyOS5uZXc=")
    );

    // One transaction, results in order: a rotated refresh token, a refused one, a row
    // whose refresh token is no longer the one sent, an unknown row.
    let rotated = "MS8vcm90YXRlZA==";
    let marker_at = at_ago(0);
    let stale = TokenCondition {
        expected_refresh_token: SecretString::from("bm90LXRoZS1zdG9yZWQtb25l"),
        ..condition(store, second).await
    };
    let unknown = TokenCondition {
        id: id(799),
        ..stale.clone()
    };
    let writes = [
        grant(
            condition(store, second).await,
            "eWEyOS5zZWNvbmQ=",
            Some(rotated),
        ),
        CalendarTokenWrite::InvalidGrant {
            condition: condition(store, third).await,
            marker: invalid_grant_marker(marker_at),
        },
        grant(stale, "eWEyOS5zdGFsZQ==", None),
        grant(unknown, "eWEyOS51bmtub3du", None),
    ];
    let before_third = integration(store, third).await;
    let results = store.apply_calendar_tokens(&writes).await.expect("apply");
    assert_eq!(results.len(), 4);
    assert!(
        matches!(results[0], TokenWriteResult::Changed { .. }),
        "{results:?}"
    );
    assert_eq!(
        results[1],
        TokenWriteResult::Changed {
            token_expires_at: before_third.token_expires_at
        },
        "a marker leaves the expiry alone"
    );
    assert!(
        matches!(results[2], TokenWriteResult::Skipped { exists: true, .. }),
        "{results:?}"
    );
    assert_eq!(
        results[3],
        TokenWriteResult::Skipped {
            exists: false,
            token_expires_at: None
        }
    );
    assert_eq!(refresh_token(store, second).await.as_deref(), Some(rotated));
    assert_eq!(
        access_token(store, second).await.as_deref(),
        Some("eWEyOS5zZWNvbmQ=")
    );

    let third_now = integration(store, third).await;
    assert_eq!(
        access_token(store, third).await.as_deref(),
        Some(ACCESS_OLD),
        "never erased"
    );
    assert_eq!(
        refresh_token(store, third).await.as_deref(),
        Some(REFRESH_3)
    );
    assert_eq!(third_now.token_expires_at, before_third.token_expires_at);
    assert_eq!(
        third_now.sync_errors,
        json!(["[{\"error\":\"older\"}]", invalid_grant_marker(marker_at)]),
        "a string-form sync_errors is kept as the first entry"
    );
}

/// A marker is appended to an array and makes a `[marker]` of an empty one.
pub async fn invalid_grant_marker_appends(store: &dyn Store, seeder: &dyn Seeder) {
    let [first, second, _] = seed_integrations(seeder).await;
    let at = at_ago(0);
    let results = store
        .apply_calendar_tokens(&[
            CalendarTokenWrite::InvalidGrant {
                condition: condition(store, first).await,
                marker: invalid_grant_marker(at),
            },
            CalendarTokenWrite::InvalidGrant {
                condition: condition(store, second).await,
                marker: invalid_grant_marker(at),
            },
        ])
        .await
        .expect("apply");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, TokenWriteResult::Changed { .. })),
        "{results:?}"
    );
    let errors = integration(store, first).await.sync_errors;
    let entries = errors.as_array().expect("an array");
    assert_eq!(entries.len(), 7);
    assert_eq!(entries[6], invalid_grant_marker(at), "appended last");
    assert_eq!(entries[1], json!({"error": "rate_limited"}));
    assert_eq!(
        integration(store, second).await.sync_errors,
        json!([invalid_grant_marker(at)])
    );
}

/// Alerts by id with their scope; acknowledging changes only unacknowledged ones, once.
pub async fn alerts_acknowledge_once(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let (open, done, theirs) = (id(800), id(801), id(802));
    for (aid, user, acknowledged, at) in [
        (open, USER_A1, false, None),
        (done, USER_A2, true, Some(ago(100))),
        (theirs, USER_B1, false, None),
    ] {
        data.table("system_alerts").push(json!({
            "id": aid, "user_id": user, "alert_type": "stuck_calls", "severity": "critical",
            "title": format!("Alert {aid}"), "message": "calls stuck",
            "acknowledged": acknowledged, "acknowledged_at": at, "created_at": ago(300),
        }));
    }
    seeder.load(&data).await;

    let asked = [open, done, theirs, id(899)];
    let rows = store.alerts_by_id(&asked, &all()).await.expect("alerts");
    assert_eq!(
        set(&rows, |a| a.id),
        BTreeSet::from([open, done, theirs]),
        "unknown ids are absent"
    );
    assert!(rows.iter().all(|a| a.in_scope));
    let by_id = |id: Uuid| rows.iter().find(|a| a.id == id).cloned().expect("row");
    let a = by_id(open);
    assert_eq!(
        (a.user_id, a.alert_type.as_str(), a.severity.as_str()),
        (USER_A1, "stuck_calls", "critical")
    );
    assert_eq!(a.title, Some(format!("Alert {open}")));
    assert!(!a.acknowledged && a.acknowledged_at.is_none());
    let d = by_id(done);
    assert!(d.acknowledged);
    assert!(close_to(d.acknowledged_at.expect("at"), at_ago(100)));

    let org_a = Scope {
        user_id: None,
        org_id: Some(ORG_A),
    };
    let scoped = store.alerts_by_id(&asked, &org_a).await.expect("alerts");
    let in_scope: BTreeMap<Uuid, bool> = scoped.iter().map(|a| (a.id, a.in_scope)).collect();
    assert_eq!(
        in_scope,
        BTreeMap::from([(open, true), (done, true), (theirs, false)])
    );

    let results = store
        .acknowledge_alerts(&[open, done, id(899)])
        .await
        .expect("acknowledge");
    let [
        AckResult::Acknowledged { at },
        AckResult::AlreadyAcknowledged { at: before },
        AckResult::Gone,
    ] = results.as_slice()
    else {
        panic!("acknowledged / already / gone, got {results:?}");
    };
    assert!(close_to(*at, at_ago(0)), "{at}");
    assert!(close_to(before.expect("kept"), at_ago(100)));
    let again = store.acknowledge_alerts(&[open]).await.expect("again");
    assert_eq!(
        again,
        vec![AckResult::AlreadyAcknowledged { at: Some(*at) }]
    );
    let open_now = store.unacknowledged_alerts(&all(), 10).await.expect("open");
    assert_eq!(
        open_now.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![theirs]
    );
}

/// Two consoles acknowledging the same alerts at once: each is acknowledged once.
pub async fn concurrent_acknowledgements_apply_once(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let ids: Vec<Uuid> = (0..5).map(|n| id(810 + n)).collect();
    for aid in &ids {
        data.table("system_alerts").push(json!({
            "id": aid, "user_id": USER_A1, "alert_type": "high_error_rate",
            "message": "errors", "title": "Errors", "acknowledged": false,
        }));
    }
    seeder.load(&data).await;
    let (first, second) = tokio::join!(
        store.acknowledge_alerts(&ids),
        store.acknowledge_alerts(&ids)
    );
    let (first, second) = (first.expect("first"), second.expect("second"));
    for (n, aid) in ids.iter().enumerate() {
        let acknowledged = [&first[n], &second[n]]
            .iter()
            .filter(|r| matches!(r, AckResult::Acknowledged { .. }))
            .count();
        assert_eq!(acknowledged, 1, "{aid}: {:?} / {:?}", first[n], second[n]);
    }
}

/// A phone number by its E.164 form, with whether it lies in the scope.
pub async fn phone_number_row_by_number(store: &dyn Store, seeder: &dyn Seeder) {
    let mut data = new_seed(seeder);
    let (mine, theirs) = (id(820), id(821));
    for (pid, user, n) in [(mine, USER_A1, 102), (theirs, USER_B1, 103)] {
        data.table("phone_numbers").push(json!({
            "id": pid, "user_id": user, "organization_id": org_of(user),
            "number": phone(n), "area_code": "415", "retell_phone_id": phone(n),
        }));
    }
    seeder.load(&data).await;

    let row = store
        .phone_number_row(&phone(102), &all())
        .await
        .expect("row")
        .expect("found");
    assert_eq!(
        (row.id, row.user_id, row.organization_id),
        (mine, USER_A1, ORG_A)
    );
    assert_eq!(row.number, phone(102));
    assert!(row.in_scope);
    let org_a = Scope {
        user_id: None,
        org_id: Some(ORG_A),
    };
    let other = store
        .phone_number_row(&phone(103), &org_a)
        .await
        .expect("row")
        .expect("found whatever the scope");
    assert_eq!(other.id, theirs);
    assert!(!other.in_scope);
    assert!(
        store
            .phone_number_row(&phone(104), &all())
            .await
            .expect("row")
            .is_none()
    );
}
