//! Calendar, for each integration: the token's expiry against the refresh margin (warn,
//! press t), no refresh token (fail when expiring, warn while valid), a recorded
//! `invalid_grant` (fail: reconnect), Google access verified by a cheap call; and each
//! `calendar_availability` row validated.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::{CalendarAvailability, CalendarIntegration};
use crate::readiness::rules::availability::validate_availability;
use crate::readiness::rules::{GOOGLE, answer, clean, database, no_database, short_id};
use crate::readiness::snapshot::{CalendarProbe, FailureKind, Observed, Snapshot};
use crate::readiness::{Area, Check, FixAction, Status};

const AREA: Area = Area::Calendar;
const RECONNECT: &str = "reconnect the Google calendar in the platform with offline access (so Google issues a refresh token)";
const PRESS_T: &str = "press t to refresh calendar tokens (or run `launchdeck refresh-tokens`)";
/// Google access tokens live at most an hour: one expiring more than an hour after an
/// `invalid_grant` marker was issued after it, so the calendar was reconnected since.
const ACCESS_TOKEN_LIFETIME: chrono::Duration = chrono::Duration::hours(1);

pub fn check_calendar(snap: &Snapshot) -> Vec<Check> {
    let Some(db) = database(snap) else {
        return vec![no_database(snap, AREA, "calendar.database", false)];
    };
    let mut checks = Vec::new();
    for integration in &db.calendar_integrations {
        checks.extend(integration_checks(snap, integration));
    }
    checks.extend(
        db.calendar_availability
            .iter()
            .map(|row| availability(snap, row)),
    );
    checks
}

fn subject(integration: &CalendarIntegration) -> String {
    integration
        .provider_account_email
        .as_deref()
        .or(integration.calendar_id.as_deref())
        .map(clean)
        .unwrap_or_else(|| {
            format!(
                "{} integration {}",
                integration.provider,
                short_id(&integration.id)
            )
        })
}

fn integration_checks(snap: &Snapshot, integration: &CalendarIntegration) -> Vec<Check> {
    let name = subject(integration);
    if integration.provider != "google" {
        let check = Check::new(
            AREA,
            format!("calendar.token:{}", integration.id),
            Status::Unknown,
            format!(
                "{name}: not verified ({} integrations are not checked by launchdeck)",
                clean(&integration.provider)
            ),
            snap.now,
        );
        return vec![check.with_subject(name)];
    }
    vec![
        token(snap, integration, &name).with_subject(name.clone()),
        access(snap, integration, &name).with_subject(name),
    ]
}

/// The `at` of each `invalid_grant` entry in `sync_errors` (`None` when it has none).
fn invalid_grant_markers(errors: &Value) -> Vec<Option<DateTime<Utc>>> {
    match errors {
        Value::Array(items) => items.iter().filter_map(marker).collect(),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(parsed @ (Value::Array(_) | Value::Object(_))) => invalid_grant_markers(&parsed),
            _ if text.contains("invalid_grant") => vec![None],
            _ => Vec::new(),
        },
        Value::Object(_) => marker(errors).into_iter().collect(),
        _ => Vec::new(),
    }
}

fn marker(item: &Value) -> Option<Option<DateTime<Utc>>> {
    match item {
        Value::String(text) if text.contains("invalid_grant") => Some(None),
        Value::Object(map) => {
            let is_grant = ["error", "code", "reason"]
                .iter()
                .any(|key| map.get(*key).and_then(Value::as_str) == Some("invalid_grant"));
            is_grant.then(|| {
                map.get("at")
                    .and_then(Value::as_str)
                    .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
                    .map(|at| at.with_timezone(&Utc))
            })
        }
        _ => None,
    }
}

/// Google refused the refresh token (Decision 10's marker) and no new grant came since.
/// A successful launchdeck refresh removes launchdeck's own markers; a reconnect in
/// the platform (a new token, issued after the marker) supersedes them.
pub fn reconnect_needed(integration: &CalendarIntegration) -> bool {
    invalid_grant_markers(&integration.sync_errors)
        .into_iter()
        .any(|at| !superseded(at, integration.token_expires_at))
}

fn superseded(marker_at: Option<DateTime<Utc>>, expires_at: Option<DateTime<Utc>>) -> bool {
    match (marker_at, expires_at) {
        (Some(at), Some(expires)) => expires > at + ACCESS_TOKEN_LIFETIME,
        _ => false,
    }
}

fn when(expires: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match expires {
        None => "has no recorded expiry".to_string(),
        Some(at) if at <= now => format!("expired at {}", at.format("%Y-%m-%d %H:%M UTC")),
        Some(at) => format!("expires at {}", at.format("%Y-%m-%d %H:%M UTC")),
    }
}

fn token(snap: &Snapshot, integration: &CalendarIntegration, name: &str) -> Check {
    let id = format!("calendar.token:{}", integration.id);
    let check = |status, reason: String| Check::new(AREA, id.clone(), status, reason, snap.now);
    let expires = integration.token_expires_at;
    // `token_expires_at ≤ now + margin` (a missing token or expiry counts as expiring).
    let deadline = snap.now + snap.thresholds.token_refresh_margin;
    let expiring = !integration.has_access_token || expires.is_none_or(|at| at <= deadline);
    let margin_min = snap.thresholds.token_refresh_margin.as_secs() / 60;
    if reconnect_needed(integration) {
        return check(
            Status::Fail,
            format!("{name}: Google refused the refresh token (invalid_grant): reconnect needed"),
        )
        .with_fix(RECONNECT);
    }
    if !integration.has_refresh_token && expiring {
        return check(
            Status::Fail,
            format!(
                "{name}: no refresh token and the access token {}",
                when(expires, snap.now)
            ),
        )
        .with_fix(RECONNECT);
    }
    if expiring {
        return check(
            Status::Warn,
            format!(
                "{name}: access token {} (refresh margin {margin_min} min)",
                when(expires, snap.now)
            ),
        )
        .with_fix(PRESS_T)
        .with_action(FixAction::RefreshCalendarTokens);
    }
    if !integration.has_refresh_token {
        return check(
            Status::Warn,
            format!(
                "{name}: no refresh token: the access token {} and then needs a reconnect",
                when(expires, snap.now)
            ),
        )
        .with_fix(RECONNECT);
    }
    check(
        Status::Pass,
        format!(
            "{name}: access token {}, refresh token present",
            when(expires, snap.now)
        ),
    )
}

fn access(snap: &Snapshot, integration: &CalendarIntegration, name: &str) -> Check {
    let id = format!("calendar.access:{}", integration.id);
    let check = |status, reason: String| Check::new(AREA, id.clone(), status, reason, snap.now);
    let Some(observed) = snap.calendar_probes.get(&integration.id) else {
        return check(
            Status::Unknown,
            format!("{name}: calendar access not probed yet"),
        )
        .with_fix("press R to re-run the checks");
    };
    if let Observed::Failed { kind, .. } = observed {
        match kind {
            FailureKind::Unauthorized => {
                return token_rejected(check(Status::Fail, String::new()), name);
            }
            FailureKind::Forbidden => {
                return insufficient(check(Status::Fail, String::new()), name);
            }
            _ => {}
        }
    }
    match answer(observed, &GOOGLE) {
        Err(u) => u.into_check(snap, AREA, id.clone()),
        Ok(CalendarProbe::AccessVerified) => {
            check(Status::Pass, format!("{name}: Google Calendar access verified"))
        }
        Ok(CalendarProbe::TokenRejected) => token_rejected(check(Status::Fail, String::new()), name),
        Ok(CalendarProbe::InsufficientPermissions) => {
            insufficient(check(Status::Fail, String::new()), name)
        }
        Ok(CalendarProbe::CalendarErrors(errors)) => check(
            Status::Fail,
            format!(
                "{name}: Google reported calendar errors: {}",
                errors.iter().map(|e| clean(e)).collect::<Vec<_>>().join(", ")
            ),
        )
        .with_fix("check calendar_integrations.calendar_id names a calendar the account can see; reconnect if it was removed"),
    }
}

fn token_rejected(mut check: Check, name: &str) -> Check {
    check.reason = format!("{name}: token rejected: press t (Google Calendar answered 401)");
    check
        .with_fix(PRESS_T)
        .with_action(FixAction::RefreshCalendarTokens)
}

fn insufficient(mut check: Check, name: &str) -> Check {
    check.reason = format!("{name}: the grant lacks the calendar scopes (insufficientPermissions)");
    check.with_fix(
        "reconnect the calendar in the platform and grant calendar access (calendar.events)",
    )
}

fn availability(snap: &Snapshot, row: &CalendarAvailability) -> Check {
    let id = format!("calendar.availability:{}", row.id);
    let subject = format!("availability of user {}", short_id(&row.user_id));
    let check = match validate_availability(&row.weekly_schedule, &row.timezone) {
        Ok(summary) => Check::new(AREA, id, Status::Pass, format!("{subject}: {summary}"), snap.now),
        Err(problem) => Check::new(AREA, id, Status::Fail, format!("{subject}: {problem}"), snap.now)
            .with_fix("re-save the availability in the platform's calendar settings (weekday names, HH:MM, start before end, no overlaps, an IANA time zone)"),
    };
    check.with_subject(subject)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::rules::fixture::{self, CALENDAR};
    use serde_json::json;

    fn find(snap: &Snapshot, id: &str) -> Check {
        check_calendar(snap)
            .into_iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no check {id}"))
    }

    fn token_check(snap: &Snapshot) -> Check {
        find(snap, &format!("calendar.token:{CALENDAR}"))
    }

    fn integration(snap: &mut Snapshot) -> &mut CalendarIntegration {
        &mut fixture::db(snap).calendar_integrations[0]
    }

    #[test]
    fn healthy_calendar_passes() {
        let checks = check_calendar(&fixture::healthy());
        assert_eq!(checks.len(), 3);
        assert!(
            checks.iter().all(|c| c.status == Status::Pass),
            "{checks:#?}"
        );
        assert!(checks.iter().all(|c| !c.blocking));
    }

    #[test]
    fn token_expiry_table() {
        let margin = 10 * 60;
        // (seconds until expiry, refresh token?, status)
        let cases = [
            (margin + 1, true, Status::Pass),
            (margin, true, Status::Warn),
            (60, true, Status::Warn),
            (-3600, true, Status::Warn),
            (margin + 1, false, Status::Warn),
            (margin, false, Status::Fail),
            (-3600, false, Status::Fail),
        ];
        for (secs, refresh, want) in cases {
            let mut snap = fixture::healthy();
            let i = integration(&mut snap);
            i.token_expires_at = Some(fixture::now() + chrono::Duration::seconds(secs));
            i.has_refresh_token = refresh;
            let check = token_check(&snap);
            assert_eq!(check.status, want, "expires in {secs}s refresh={refresh}");
            let fix = check.fix.clone().unwrap_or_default();
            match (want, refresh) {
                (Status::Warn, true) => {
                    assert!(fix.starts_with("press t"), "{fix}");
                    assert_eq!(check.action, Some(FixAction::RefreshCalendarTokens));
                }
                (Status::Warn | Status::Fail, false) => {
                    assert!(fix.contains("offline access"), "{fix}")
                }
                _ => {}
            }
        }
    }

    #[test]
    fn missing_expiry_or_access_token_counts_as_expiring() {
        let mut snap = fixture::healthy();
        integration(&mut snap).token_expires_at = None;
        assert_eq!(token_check(&snap).status, Status::Warn);
        integration(&mut snap).has_refresh_token = false;
        assert_eq!(token_check(&snap).status, Status::Fail);

        let mut snap = fixture::healthy();
        integration(&mut snap).has_access_token = false;
        assert_eq!(token_check(&snap).status, Status::Warn);
    }

    #[test]
    fn invalid_grant_table() {
        let now = fixture::now();
        let at = |d: chrono::Duration| (now + d).to_rfc3339();
        let cases = [
            (
                json!([{"source": "launchdeck", "error": "invalid_grant", "at": at(-chrono::Duration::minutes(5))}]),
                Status::Fail,
            ),
            (json!([{"error": "invalid_grant"}]), Status::Fail),
            (json!(["refresh failed: invalid_grant"]), Status::Fail),
            (
                Value::String("[{\"error\":\"invalid_grant\"}]".into()),
                Status::Fail,
            ),
            (json!([{"error": "rate_limited"}]), Status::Pass),
            (json!([]), Status::Pass),
            (json!(null), Status::Pass),
            // a marker from two hours ago, while the token (valid 50 min more) was
            // issued after it: the calendar was reconnected since
            (
                json!([{"error": "invalid_grant", "at": at(-chrono::Duration::hours(2))}]),
                Status::Pass,
            ),
        ];
        for (errors, want) in cases {
            let mut snap = fixture::healthy();
            integration(&mut snap).sync_errors = errors.clone();
            let check = token_check(&snap);
            assert_eq!(check.status, want, "{errors}");
            if want == Status::Fail {
                assert!(check.reason.contains("invalid_grant"));
                assert!(check.fix.unwrap_or_default().starts_with("reconnect"));
            }
        }
    }

    #[test]
    fn access_probe_table() {
        let cases = [
            (
                Some(Observed::Ok(CalendarProbe::AccessVerified)),
                Status::Pass,
                None,
            ),
            (
                Some(Observed::Ok(CalendarProbe::TokenRejected)),
                Status::Fail,
                Some("press t"),
            ),
            (
                Some(Observed::failed(
                    FailureKind::Unauthorized,
                    "Invalid Credentials",
                )),
                Status::Fail,
                Some("press t"),
            ),
            (
                Some(Observed::Ok(CalendarProbe::InsufficientPermissions)),
                Status::Fail,
                Some("reconnect"),
            ),
            (
                Some(Observed::failed(
                    FailureKind::Forbidden,
                    "insufficientPermissions",
                )),
                Status::Fail,
                Some("reconnect"),
            ),
            (
                Some(Observed::Ok(CalendarProbe::CalendarErrors(vec![
                    "primary: notFound".into(),
                ]))),
                Status::Fail,
                Some("calendar_id"),
            ),
            (
                Some(Observed::failed(
                    FailureKind::RateLimited,
                    "rateLimitExceeded",
                )),
                Status::Unknown,
                None,
            ),
            (
                Some(Observed::failed(FailureKind::Unavailable, "backendError")),
                Status::Unknown,
                None,
            ),
            (None, Status::Unknown, None),
        ];
        for (probe, want, fix) in cases {
            let mut snap = fixture::healthy();
            snap.calendar_probes.clear();
            if let Some(probe) = probe.clone() {
                snap.calendar_probes.insert(CALENDAR, probe);
            }
            let check = find(&snap, &format!("calendar.access:{CALENDAR}"));
            assert_eq!(check.status, want, "{probe:?}");
            if let Some(fix_start) = fix {
                let got = check.fix.unwrap_or_default();
                assert!(got.contains(fix_start), "{probe:?}: {got}");
            }
        }
        let mut snap = fixture::healthy();
        snap.calendar_probes
            .insert(CALENDAR, Observed::Ok(CalendarProbe::TokenRejected));
        let check = find(&snap, &format!("calendar.access:{CALENDAR}"));
        assert!(
            check.reason.contains("token rejected: press t"),
            "{}",
            check.reason
        );
    }

    #[test]
    fn other_providers_are_not_verified() {
        let mut snap = fixture::healthy();
        integration(&mut snap).provider = "ghl".into();
        let checks = check_calendar(&snap);
        let token = checks
            .iter()
            .find(|c| c.id.starts_with("calendar.token:"))
            .unwrap();
        assert_eq!((token.status, token.blocking), (Status::Unknown, false));
        assert!(!checks.iter().any(|c| c.id.starts_with("calendar.access:")));
    }

    #[test]
    fn availability_rows_are_validated() {
        let mut snap = fixture::healthy();
        let row = &mut fixture::db(&mut snap).calendar_availability[0];
        row.weekly_schedule = Value::String(fixture::default_schedule().to_string());
        let id = format!("calendar.availability:{}", fixture::AVAILABILITY);
        assert_eq!(find(&snap, &id).status, Status::Pass);

        let row = &mut fixture::db(&mut snap).calendar_availability[0];
        row.weekly_schedule = Value::String("{\"monday\": [{\"start\": \"09:00\"".into());
        let check = find(&snap, &id);
        assert_eq!((check.status, check.blocking), (Status::Fail, false));
        assert!(check.reason.contains("line 1 column"), "{}", check.reason);

        let row = &mut fixture::db(&mut snap).calendar_availability[0];
        row.weekly_schedule = fixture::default_schedule();
        row.timezone = "EST5EDT-ish".into();
        assert_eq!(find(&snap, &id).status, Status::Fail);
    }
}
