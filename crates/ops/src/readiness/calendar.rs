//! Google calendar probes: one cheap calendarList call per Google integration with its
//! stored access token. Checks never refresh or write anything (Decision 10).
//!
//! This is the only code that reads a stored access token: it is decoded from base64
//! (how the platform stores it) into a `SecretString` and only ever sent to Google.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use launchdeck_core::domain::CalendarIntegration;
use launchdeck_core::readiness::{CalendarProbe, FailureKind, Observed};
use launchdeck_providers::google::CalendarList;
use launchdeck_providers::{ErrorKind, GoogleCalendarClient, ProviderError};
use launchdeck_store::Store;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::clients::Client;
use super::lane::{Failure, Lane, bounded};

/// Google's reasons for a 403 that mean "slow down", not "not allowed".
const RATE_LIMIT_REASONS: [&str; 3] = [
    "userRateLimitExceeded",
    "rateLimitExceeded",
    "calendarUsageLimitsExceeded",
];

pub(crate) async fn probe_all(
    store: Arc<dyn Store>,
    client: Client<GoogleCalendarClient>,
    lane: Lane,
    integrations: Vec<CalendarIntegration>,
) -> BTreeMap<Uuid, Observed<CalendarProbe>> {
    let mut probes = BTreeMap::new();
    for integration in integrations.iter().filter(|i| i.provider == "google") {
        let probe = probe_one(store.as_ref(), &client, &lane, integration).await;
        probes.insert(integration.id, probe);
    }
    probes
}

async fn probe_one(
    store: &dyn Store,
    client: &Client<GoogleCalendarClient>,
    lane: &Lane,
    integration: &CalendarIntegration,
) -> Observed<CalendarProbe> {
    if !integration.has_access_token {
        return Observed::NotApplicable("no access token is stored".to_string());
    }
    let client = match client.ready() {
        Ok(client) => client,
        Err(not_asked) => return not_asked,
    };
    let token = match access_token(store, lane, integration.id).await {
        Ok(token) => token,
        Err(failure) => return failure,
    };
    lane.pacer.turn().await;
    let reply = bounded(lane.limit, async { Ok(client.calendar_list(&token).await) }).await;
    match reply {
        Ok(reply) => probe_of(reply, integration.calendar_id.as_deref()),
        Err(timeout) => timeout.observed(),
    }
}

async fn access_token(
    store: &dyn Store,
    lane: &Lane,
    integration_id: Uuid,
) -> Result<SecretString, Observed<CalendarProbe>> {
    let stored = bounded(lane.limit, async {
        store
            .calendar_access_token(integration_id)
            .await
            .map_err(|e| Failure::from_store(&e).reading("the stored access token"))
    })
    .await
    .map_err(|f| f.observed())?;
    match stored {
        Some(encoded) => decode_token(&encoded).map_err(|f| f.observed()),
        None => Err(Observed::NotApplicable(
            "no access token is stored".to_string(),
        )),
    }
}

/// The platform stores base64 of the plaintext token.
pub(crate) fn decode_token(encoded: &SecretString) -> Result<SecretString, Failure> {
    let invalid = || {
        Failure::new(
            FailureKind::Other,
            "calendar_integrations.access_token_encrypted is not base64 of a token; reconnect the calendar",
        )
    };
    let bytes = BASE64
        .decode(encoded.expose_secret().trim())
        .map_err(|_| invalid())?;
    let token = String::from_utf8(bytes).map_err(|_| invalid())?;
    if token.trim().is_empty() {
        return Err(invalid());
    }
    Ok(SecretString::from(token))
}

/// What a calendarList answer says about the integration's access.
pub(crate) fn probe_of(
    reply: Result<CalendarList, ProviderError>,
    calendar_id: Option<&str>,
) -> Observed<CalendarProbe> {
    match reply {
        Ok(list) => Observed::Ok(listed(&list, calendar_id)),
        Err(err) if err.is_google_auth_error() => Observed::Ok(CalendarProbe::TokenRejected),
        Err(err) if is_rate_limit(&err) => {
            Observed::failed(FailureKind::RateLimited, err.to_string())
        }
        Err(err) if err.kind() == &ErrorKind::Forbidden => {
            Observed::Ok(CalendarProbe::InsufficientPermissions)
        }
        Err(err) => Failure::from_provider(&err).observed(),
    }
}

fn is_rate_limit(err: &ProviderError) -> bool {
    err.code()
        .is_some_and(|code| RATE_LIMIT_REASONS.contains(&code))
}

/// Access is verified when the configured calendar is among the account's calendars
/// (`primary`, or none configured, means the account's own).
fn listed(list: &CalendarList, calendar_id: Option<&str>) -> CalendarProbe {
    let wanted = calendar_id.map(str::trim).filter(|id| !id.is_empty());
    match wanted {
        None | Some("primary") => CalendarProbe::AccessVerified,
        Some(id) if list.items.iter().any(|c| c.id == id) => CalendarProbe::AccessVerified,
        Some(id) => CalendarProbe::CalendarErrors(vec![format!("{id}: notFound")]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use launchdeck_providers::Provider;

    #[test]
    fn stored_tokens_are_base64_of_the_plaintext() {
        let token =
            decode_token(&SecretString::from(BASE64.encode("ya29.token"))).expect("decodes");
        assert_eq!(token.expose_secret(), "ya29.token");
        let failure = decode_token(&SecretString::from("%%% not base64")).expect_err("bad");
        assert!(!failure.message.contains("%%%"));
    }

    #[test]
    fn forbidden_splits_into_scopes_and_rate_limits() {
        let forbidden = ProviderError::new(Provider::Google, ErrorKind::Forbidden, "nope");
        assert_eq!(
            probe_of(Err(forbidden), None),
            Observed::Ok(CalendarProbe::InsufficientPermissions)
        );
        let unauthorized = ProviderError::new(
            Provider::Google,
            ErrorKind::Unauthorized,
            "Invalid Credentials",
        );
        assert_eq!(
            probe_of(Err(unauthorized), None),
            Observed::Ok(CalendarProbe::TokenRejected)
        );
    }

    #[test]
    fn a_configured_calendar_must_be_listed() {
        let list: CalendarList = CalendarList::default();
        assert_eq!(
            probe_of(Ok(list.clone()), Some("primary")),
            Observed::Ok(CalendarProbe::AccessVerified)
        );
        assert_eq!(
            probe_of(Ok(list), Some("team@example.com")),
            Observed::Ok(CalendarProbe::CalendarErrors(vec![
                "team@example.com: notFound".into()
            ]))
        );
    }
}
