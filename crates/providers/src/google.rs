//! Google OAuth token refresh and the two Calendar calls launchdeck makes
//! (providers.md §1.4). Tokens are `SecretString`s; bodies are never logged.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use crate::breaker::BreakerState;
use crate::de::{PageGuard, lenient_bool, lenient_i64, null_as_empty};
use crate::error::{ErrorKind, Provider, ProviderError};
use crate::http::{Auth, BaseUrl, HttpConfig, HttpLayer, Request, RetryRule, decode_json};
use crate::retry::RetryBudget;

pub const DEFAULT_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const DEFAULT_CALENDAR_BASE_URL: &str = "https://www.googleapis.com/calendar/v3";
/// Calendar's largest `maxResults` for calendarList.
const MAX_PAGE_SIZE: u32 = 250;

/// The result of a refresh-token grant.
#[derive(Debug)]
pub struct TokenGrant {
    pub access_token: SecretString,
    pub expires_in: Duration,
    pub scope: Option<String>,
    pub token_type: Option<String>,
    /// Present only when Google rotated it: never overwrite the stored one with nothing.
    pub refresh_token: Option<SecretString>,
}

#[derive(Deserialize)]
pub(crate) struct TokenReply {
    access_token: SecretString,
    #[serde(default, deserialize_with = "lenient_i64")]
    expires_in: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    refresh_token: Option<SecretString>,
}

impl TokenReply {
    pub(crate) fn into_grant(self) -> TokenGrant {
        TokenGrant {
            access_token: self.access_token,
            expires_in: Duration::from_secs(self.expires_in.unwrap_or(0).max(0) as u64),
            scope: self.scope,
            token_type: self.token_type,
            refresh_token: self
                .refresh_token
                .filter(|t| !secrecy::ExposeSecret::expose_secret(t).is_empty()),
        }
    }
}

/// Client for `POST {token_url}` with `grant_type=refresh_token`.
#[derive(Debug)]
pub struct GoogleOAuthClient {
    http: HttpLayer,
    client_id: String,
    client_secret: SecretString,
}

impl GoogleOAuthClient {
    pub fn new(
        token_url: &str,
        client_id: &str,
        client_secret: SecretString,
        config: &HttpConfig,
    ) -> Result<Self, ProviderError> {
        let base = BaseUrl::parse(Provider::Google, "[google] token_url", token_url)?;
        let budget = Arc::new(RetryBudget::new(config.retry_budget));
        Ok(GoogleOAuthClient {
            http: HttpLayer::new(Provider::Google, base, config, budget)?,
            client_id: client_id.to_string(),
            client_secret,
        })
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.http.breaker_state()
    }

    /// Exchanges a refresh token for an access token. Retried only on 5xx, timeouts and
    /// connection errors; `invalid_grant`/`invalid_client`/`unauthorized_client` come back
    /// typed (see [`ProviderError::oauth_failure`]).
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, ProviderError> {
        use secrecy::ExposeSecret;
        let form = vec![
            ("client_id".to_string(), self.client_id.clone()),
            (
                "client_secret".to_string(),
                self.client_secret.expose_secret().to_string(),
            ),
            (
                "refresh_token".to_string(),
                refresh_token.expose_secret().to_string(),
            ),
            ("grant_type".to_string(), "refresh_token".to_string()),
        ];
        let request = Request::mutation(Method::POST, String::new())
            .form(form)
            .retry(RetryRule::ServerAndTransport);
        let reply: TokenReply = self.http.send_json(&request, "token reply").await?;
        Ok(reply.into_grant())
    }
}

/// A calendarList entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarListEntry {
    pub id: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    /// `freeBusyReader|reader|writer|owner`.
    #[serde(default)]
    pub access_role: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub primary: Option<bool>,
}

/// Every calendar of the user, and the sync token from the last page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CalendarList {
    pub items: Vec<CalendarListEntry>,
    pub next_sync_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CalendarListPage {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub items: Vec<CalendarListEntry>,
    #[serde(default)]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub next_sync_token: Option<String>,
}

/// A busy interval (RFC 3339 strings as sent).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BusySlot {
    pub start: String,
    pub end: String,
}

/// A per-calendar failure inside a 200 freeBusy reply.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CalendarIssue {
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// One calendar in a freeBusy reply.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct FreeBusyCalendar {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub busy: Vec<BusySlot>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub errors: Vec<CalendarIssue>,
}

/// freeBusy reply.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct FreeBusy {
    #[serde(default)]
    pub calendars: BTreeMap<String, FreeBusyCalendar>,
}

impl FreeBusy {
    /// Passes only when no calendar carries `errors`; otherwise an error naming the first
    /// failing calendar and its reason.
    pub fn ensure_no_errors(&self) -> Result<(), ProviderError> {
        let failing = self
            .calendars
            .iter()
            .find_map(|(id, cal)| cal.errors.first().map(|issue| (id, issue)));
        let Some((id, issue)) = failing else {
            return Ok(());
        };
        let reason = issue
            .reason
            .clone()
            .unwrap_or_else(|| "unknown".to_string());
        let kind = if reason == "notFound" {
            ErrorKind::NotFound
        } else {
            ErrorKind::Other
        };
        Err(
            ProviderError::new(Provider::Google, kind, format!("calendar {id}: {reason}"))
                .with_code(Some(reason)),
        )
    }
}

/// Google Calendar client; every call takes the current access token.
#[derive(Debug)]
pub struct GoogleCalendarClient {
    http: HttpLayer,
    page_size: u32,
}

impl GoogleCalendarClient {
    pub fn new(calendar_base_url: &str, config: &HttpConfig) -> Result<Self, ProviderError> {
        let base = BaseUrl::parse(
            Provider::Google,
            "[google] calendar_base_url",
            calendar_base_url,
        )?;
        let budget = Arc::new(RetryBudget::new(config.retry_budget));
        Ok(GoogleCalendarClient {
            http: HttpLayer::new(Provider::Google, base, config, budget)?,
            page_size: MAX_PAGE_SIZE,
        })
    }

    /// `maxResults` per page (1–250); smaller pages are for tests.
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        self
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.http.breaker_state()
    }

    /// Every calendar of the user (paged by `nextPageToken`). A 401 is an `authError`
    /// (see [`ProviderError::is_google_auth_error`]): refresh once and retry once.
    pub async fn calendar_list(
        &self,
        access_token: &SecretString,
    ) -> Result<CalendarList, ProviderError> {
        let mut list = CalendarList::default();
        let mut guard = PageGuard::default();
        let mut page_token: Option<String> = None;
        loop {
            let mut request = Request::get("/users/me/calendarList")
                .query("maxResults", self.page_size)
                .auth(Auth::Bearer(access_token));
            if let Some(token) = &page_token {
                request = request.query("pageToken", token);
            }
            let page: CalendarListPage = self.http.send_json(&request, "calendar list").await?;
            list.items.extend(page.items);
            if page.next_sync_token.is_some() {
                list.next_sync_token = page.next_sync_token;
            }
            page_token = guard.next_cursor(page.next_page_token);
            if page_token.is_none() {
                return Ok(list);
            }
        }
    }

    /// `POST /freeBusy` for the given calendars. Per-calendar errors arrive inside the
    /// 200: check them with [`FreeBusy::ensure_no_errors`].
    pub async fn free_busy(
        &self,
        access_token: &SecretString,
        time_min: DateTime<Utc>,
        time_max: DateTime<Utc>,
        calendar_ids: &[&str],
    ) -> Result<FreeBusy, ProviderError> {
        let items: Vec<_> = calendar_ids.iter().map(|id| json!({ "id": id })).collect();
        let body = json!({
            "timeMin": time_min.to_rfc3339_opts(SecondsFormat::Secs, true),
            "timeMax": time_max.to_rfc3339_opts(SecondsFormat::Secs, true),
            "items": items,
        });
        let request = Request::read_post("/freeBusy")
            .json(body)
            .auth(Auth::Bearer(access_token));
        let reply = self.http.send(&request).await?;
        decode_json(Provider::Google, &reply.body, "freeBusy reply")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_busy_errors_inside_a_200_fail() {
        let reply: FreeBusy = serde_json::from_str(
            r#"{"kind":"calendar#freeBusy","calendars":{"primary":{"busy":[]},"x@example.com":{"errors":[{"domain":"global","reason":"notFound"}],"busy":[]}}}"#,
        )
        .expect("freeBusy");
        let err = reply.ensure_no_errors().expect_err("per-calendar error");
        assert_eq!(err.kind(), &ErrorKind::NotFound);
        assert!(err.to_string().contains("x@example.com"), "{err}");
        let ok: FreeBusy =
            serde_json::from_str(r#"{"calendars":{"primary":{"busy":[{"start":"a","end":"b"}]}}}"#)
                .expect("ok");
        assert!(ok.ensure_no_errors().is_ok());
    }

    #[test]
    fn token_reply_debug_hides_the_token() {
        let reply: TokenReply =
            serde_json::from_str(r#"{"access_token":"ya29.secret-value","expires_in":3599}"#)
                .expect("token");
        let grant = TokenGrant {
            access_token: reply.access_token,
            expires_in: Duration::from_secs(3599),
            scope: None,
            token_type: None,
            refresh_token: reply.refresh_token,
        };
        assert!(!format!("{grant:?}").contains("ya29.secret-value"));
    }
}
