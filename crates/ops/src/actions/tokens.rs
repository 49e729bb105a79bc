//! Refresh calendar tokens (product.md "Actions"): for each Google integration whose
//! access token expires within the refresh margin (or every one, forced), the
//! refresh-token grant. The new access token is stored as the platform stores it
//! (base64 of the plaintext) with `token_expires_at` = grant time + `expires_in`; the
//! stored refresh token is kept unless Google sent a new one. A refused refresh token
//! (`invalid_grant`) is recorded as Decision 10's marker in `sync_errors` and never
//! retried; a later successful refresh removes launchdeck's markers again.
//!
//! The grants are requested one after another (paced, on the token endpoint's own
//! lane), then written in one transaction, each conditional on the previewed
//! `token_expires_at` and on the refresh token that was sent. No token value appears
//! in a plan, an outcome, an audit record, a log line or an error.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, SecondsFormat, Utc};
use launchdeck_core::actions::AuditResult;
use launchdeck_core::domain::CalendarIntegration;
use launchdeck_core::fixes::{
    CalendarTokenState, CalendarTokenWrite, TokenCondition, TokenWriteResult, invalid_grant_marker,
};
use launchdeck_core::readiness::rules::calendar::reconnect_needed;
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_providers::{GoogleOAuthClient, OAuthFailure, Provider};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use uuid::Uuid;

use super::support::{self, Asked};
use super::{ActionEnv, ActionError, ActionOutcome, PlanView, RowOutcome, audit};
use crate::readiness::calendar::decode_token;

pub const ACTION: &str = "refresh-tokens";

const TABLE: &str = "calendar_integrations";
const GOOGLE_SETTING: &str = "set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (or [google] \
     client_id and client_secret in the config file) to refresh calendar tokens";
const RECONNECT: &str = "reconnect the calendar in the platform with offline access";

/// `refresh-tokens [--all]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenRequest {
    /// Every Google integration, not only those expiring within the margin.
    pub all: bool,
}

/// What refreshing will do.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenPlan {
    pub all: bool,
    /// The database's clock when the plan was read.
    pub db_now: DateTime<Utc>,
    /// `[thresholds] token_refresh_margin`.
    pub margin: Duration,
    /// The integrations the plan is about, in the store's order.
    pub items: Vec<TokenItem>,
    /// Google integrations in scope left alone: valid beyond the margin.
    pub still_valid: usize,
}

/// One Google integration in the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenItem {
    pub integration_id: Uuid,
    /// The account's email, else its calendar id, else a short id (terminal-safe).
    pub name: String,
    /// As previewed: the refresh is written only while the row still has it.
    pub token_expires_at: Option<DateTime<Utc>>,
    pub step: TokenStep,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenStep {
    Refresh,
    /// Listed and left alone, with why.
    CannotRefresh(String),
}

impl TokenPlan {
    fn refreshing(&self) -> impl Iterator<Item = &TokenItem> {
        self.items.iter().filter(|i| i.step == TokenStep::Refresh)
    }

    fn margin_text(&self) -> String {
        format!("{} min", self.margin.as_secs() / 60)
    }
}

impl PlanView for TokenPlan {
    fn will_change(&self) -> bool {
        self.refreshing().next().is_some()
    }

    fn planned(&self) -> usize {
        self.refreshing().count()
    }

    fn summary(&self) -> String {
        let refresh = self.refreshing().count();
        let cannot = self.items.len() - refresh;
        let blocked = match cannot {
            0 => String::new(),
            n => format!("; {} cannot be refreshed", count(n, "calendar")),
        };
        if refresh > 0 {
            let why = if self.all {
                "every Google calendar, forced".to_string()
            } else {
                format!("expiring within the {} refresh margin", self.margin_text())
            };
            return format!(
                "refresh {} ({why}){blocked}",
                count(refresh, "Google calendar token")
            );
        }
        if cannot > 0 {
            return format!(
                "nothing can be refreshed: {} cannot be refreshed",
                count(cannot, "Google calendar")
            );
        }
        if self.still_valid == 0 {
            return "no Google calendar integration: nothing to refresh".to_string();
        }
        format!(
            "every Google calendar token is valid beyond the {} refresh margin: nothing to \
             refresh (--all refreshes them anyway)",
            self.margin_text()
        )
    }

    fn details(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .items
            .iter()
            .map(|item| {
                let expiry = expiry_text(item.token_expires_at, self.db_now);
                match &item.step {
                    TokenStep::Refresh => format!("{}: access token {expiry} → refresh", item.name),
                    TokenStep::CannotRefresh(why) => {
                        format!(
                            "{}: access token {expiry}; cannot refresh: {why}",
                            item.name
                        )
                    }
                }
            })
            .collect();
        if !self.items.is_empty() && self.still_valid > 0 {
            lines.push(format!(
                "{} valid beyond the margin, left alone",
                count(self.still_valid, "other Google calendar")
            ));
        }
        lines
    }
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn expiry_text(expires: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let at = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    match expires {
        None => "has no recorded expiry".to_string(),
        Some(t) if t <= now => format!("expired at {}", at(t)),
        Some(t) => format!("expires at {}", at(t)),
    }
}

fn display_name(integration: &CalendarIntegration) -> String {
    integration
        .provider_account_email
        .as_deref()
        .or(integration.calendar_id.as_deref())
        .map(|n| sanitize_provider_text(n.trim()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            let id = integration.id.simple().to_string();
            format!("Google integration {}", &id[..8])
        })
}

/// The plan for `integrations` (as read in scope) at the database's `now`: pure, so
/// every wording is testable.
pub(crate) fn plan_for(
    request: TokenRequest,
    db_now: DateTime<Utc>,
    margin: Duration,
    integrations: &[CalendarIntegration],
) -> TokenPlan {
    let deadline = db_now + chrono::Duration::from_std(margin).unwrap_or_default();
    let mut plan = TokenPlan {
        all: request.all,
        db_now,
        margin,
        items: Vec::new(),
        still_valid: 0,
    };
    for integration in integrations.iter().filter(|i| i.provider == "google") {
        // As the Calendar check counts it: no access token or no expiry is expiring.
        let expiring = !integration.has_access_token
            || integration.token_expires_at.is_none_or(|at| at <= deadline);
        if !(expiring || request.all) {
            plan.still_valid += 1;
            continue;
        }
        plan.items.push(TokenItem {
            integration_id: integration.id,
            name: display_name(integration),
            token_expires_at: integration.token_expires_at,
            step: step_for(integration, request.all),
        });
    }
    plan
}

fn step_for(integration: &CalendarIntegration, all: bool) -> TokenStep {
    if !integration.has_refresh_token {
        return TokenStep::CannotRefresh(format!("no refresh token: {RECONNECT}"));
    }
    // The same refresh token was refused before: asking again would be refused again.
    // --all tries once more (e.g. after the operator re-authorised the client).
    if reconnect_needed(integration) && !all {
        return TokenStep::CannotRefresh(format!(
            "Google refused its refresh token (invalid_grant): {RECONNECT} (--all tries once more)"
        ));
    }
    TokenStep::Refresh
}

/// Reads the Google integrations in scope and the database's clock, and says which
/// tokens will be refreshed. Refuses when one would be but no OAuth client is set.
pub async fn plan(env: &ActionEnv, request: TokenRequest) -> Result<TokenPlan, ActionError> {
    let store = env.store();
    let db_now = store
        .db_info()
        .await
        .map_err(support::read_error("the database clock"))?
        .db_now;
    let integrations = store
        .calendar_integrations(&env.ctx.scope)
        .await
        .map_err(support::read_error("calendar integrations"))?;
    let margin = env.providers.thresholds().token_refresh_margin;
    let plan = plan_for(request, db_now, margin, &integrations);
    if plan.will_change() {
        oauth_client(env)?;
    }
    Ok(plan)
}

fn oauth_client(env: &ActionEnv) -> Result<std::sync::Arc<GoogleOAuthClient>, ActionError> {
    support::ready(
        &env.providers.clients().google_oauth,
        Provider::Google,
        GOOGLE_SETTING,
    )
}

/// What happened to one integration before the write.
enum Attempt {
    /// A write to make (a grant, or the `invalid_grant` marker).
    Write(CalendarTokenWrite),
    /// Nothing to write: skipped or failed, with why.
    Done(AuditResult),
}

/// Refreshes what `plan` previewed and stores the results in one transaction, each
/// conditional on the row as previewed; audits every integration.
pub async fn apply(env: &ActionEnv, plan: &TokenPlan) -> Result<ActionOutcome, ActionError> {
    env.ctx.refuse_read_only(ACTION)?;
    let due: Vec<&TokenItem> = plan.refreshing().collect();
    if due.is_empty() {
        return Ok(ActionOutcome::default());
    }
    let client = oauth_client(env)?;
    env.prepare_audit().await?;
    let mut attempts = Vec::with_capacity(due.len());
    for item in &due {
        attempts.push(refresh_one(env, &client, item).await);
    }
    let writes: Vec<CalendarTokenWrite> = attempts
        .iter()
        .filter_map(|a| match a {
            Attempt::Write(write) => Some(write.clone()),
            Attempt::Done(_) => None,
        })
        .collect();
    let mut written = write_all(env, &writes).await.into_iter();
    let mut outcome = ActionOutcome::default();
    let mut records = Vec::with_capacity(due.len());
    for (item, attempt) in due.iter().zip(&attempts) {
        let (result, after) = match attempt {
            Attempt::Done(result) => (result.clone(), None),
            Attempt::Write(write) => ended(write, written.next(), plan.db_now),
        };
        records.push(audit::record(
            &env.ctx,
            ACTION,
            support::target(TABLE, item.integration_id, &item.name),
            json!({ "token_expires_at": item.token_expires_at }),
            after.as_ref().map(|a| a.audit.clone()),
            result.clone(),
        ));
        outcome.push(RowOutcome {
            table: TABLE,
            id: item.integration_id,
            name: item.name.clone(),
            result,
            from: Some(rfc3339(item.token_expires_at)),
            status_now: after.map(|a| rfc3339(a.token_expires_at)),
        });
    }
    outcome.audit_errors = audit::write(env.store(), &env.ctx.audit_file, &records).await;
    Ok(outcome)
}

/// The writes' results in order; a transaction the database refused fails every one.
async fn write_all(
    env: &ActionEnv,
    writes: &[CalendarTokenWrite],
) -> Vec<Result<TokenWriteResult, String>> {
    if writes.is_empty() {
        return Vec::new();
    }
    match env.store().apply_calendar_tokens(writes).await {
        Ok(results) => results.into_iter().map(Ok).collect(),
        Err(e) => {
            tracing::warn!(action = ACTION, error = %e, "storing refreshed calendar tokens failed");
            writes.iter().map(|_| Err(e.to_string())).collect()
        }
    }
}

/// The row after its write, for the outcome and the audit record.
struct After {
    token_expires_at: Option<DateTime<Utc>>,
    audit: serde_json::Value,
}

fn ended(
    write: &CalendarTokenWrite,
    result: Option<Result<TokenWriteResult, String>>,
    db_now: DateTime<Utc>,
) -> (AuditResult, Option<After>) {
    let result = result.unwrap_or_else(|| Err("no result for this write".to_string()));
    match (write, result) {
        // The token Google granted is not kept anywhere else: say so (never the token).
        (CalendarTokenWrite::Grant { .. }, Err(why)) => (
            AuditResult::Failed(format!(
                "Google granted a new access token, but storing it failed: {why}; run \
                 `launchdeck refresh-tokens` again"
            )),
            None,
        ),
        (CalendarTokenWrite::InvalidGrant { .. }, Err(why)) => (
            AuditResult::Failed(format!(
                "Google refused the refresh token (invalid_grant): {RECONNECT}; recording it \
                 in sync_errors failed: {why}"
            )),
            None,
        ),
        (
            CalendarTokenWrite::Grant { refresh_token, .. },
            Ok(TokenWriteResult::Changed { token_expires_at }),
        ) => {
            let kept = if refresh_token.is_some() {
                "rotated"
            } else {
                "kept"
            };
            let audit = json!({ "token_expires_at": token_expires_at, "refresh_token": kept });
            (
                AuditResult::Changed,
                Some(After {
                    token_expires_at,
                    audit,
                }),
            )
        }
        (
            CalendarTokenWrite::InvalidGrant { marker, .. },
            Ok(TokenWriteResult::Changed { token_expires_at }),
        ) => {
            let audit =
                json!({ "token_expires_at": token_expires_at, "sync_errors_appended": marker });
            (
                AuditResult::Failed(format!(
                    "Google refused the refresh token (invalid_grant): reconnect needed, \
                     recorded in sync_errors; {RECONNECT}"
                )),
                Some(After {
                    token_expires_at,
                    audit,
                }),
            )
        }
        (
            _,
            Ok(TokenWriteResult::Skipped {
                exists,
                token_expires_at,
            }),
        ) => {
            let why = if exists {
                format!(
                    "the integration changed since the preview (its access token now {}); \
                     nothing was written",
                    expiry_text(token_expires_at, db_now)
                )
            } else {
                "the integration no longer exists".to_string()
            };
            let after = exists.then(|| After {
                token_expires_at,
                audit: json!({ "token_expires_at": token_expires_at }),
            });
            (AuditResult::Skipped(why), after)
        }
    }
}

fn rfc3339(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| "no expiry".to_string())
}

/// Reads the integration again, asks Google once, and says what to write.
async fn refresh_one(env: &ActionEnv, client: &GoogleOAuthClient, item: &TokenItem) -> Attempt {
    let state = match env.store().calendar_token_state(item.integration_id).await {
        Ok(Some(state)) => state,
        Ok(None) => {
            return Attempt::Done(AuditResult::Skipped(
                "the integration no longer exists".to_string(),
            ));
        }
        Err(e) => {
            return Attempt::Done(AuditResult::Failed(format!(
                "cannot read its refresh token: {e}"
            )));
        }
    };
    let stored = match still_as_previewed(&state, item) {
        Ok(stored) => stored,
        Err(skipped) => return Attempt::Done(skipped),
    };
    let plaintext = match decode_token(&stored) {
        Ok(token) => token,
        Err(_) => {
            return Attempt::Done(AuditResult::Failed(format!(
                "calendar_integrations.refresh_token_encrypted is not base64 of a token; {RECONNECT}"
            )));
        }
    };
    let condition = TokenCondition {
        id: item.integration_id,
        expected_expires_at: item.token_expires_at,
        expected_refresh_token: stored,
    };
    let lane = &env.providers.clients().google_oauth_lane;
    let sent = Instant::now();
    match support::ask(lane, Provider::Google, client.refresh(&plaintext)).await {
        Ok(grant) => Attempt::Write(CalendarTokenWrite::Grant {
            condition,
            access_token: encoded(&grant.access_token),
            // Counted from when the request was sent: never later than Google's clock.
            valid_for: grant.expires_in.saturating_sub(sent.elapsed()),
            refresh_token: grant.refresh_token.as_ref().map(encoded),
        }),
        Err(Asked::Error(err)) if err.oauth_failure() == Some(OAuthFailure::InvalidGrant) => {
            tracing::warn!(action = ACTION, integration = %item.integration_id, "Google refused a refresh token (invalid_grant)");
            Attempt::Write(CalendarTokenWrite::InvalidGrant {
                condition,
                marker: invalid_grant_marker(Utc::now()),
            })
        }
        Err(asked) => {
            tracing::warn!(action = ACTION, integration = %item.integration_id, error = %asked, "calendar token refresh failed");
            Attempt::Done(AuditResult::Failed(refresh_failure(&asked)))
        }
    }
}

/// The stored refresh token, when the row is still as previewed.
fn still_as_previewed(
    state: &CalendarTokenState,
    item: &TokenItem,
) -> Result<SecretString, AuditResult> {
    if state.token_expires_at != item.token_expires_at {
        return Err(AuditResult::Skipped(format!(
            "the integration changed since the preview: its access token now expires at {}",
            rfc3339(state.token_expires_at)
        )));
    }
    state.refresh_token.clone().ok_or_else(|| {
        AuditResult::Skipped(format!(
            "its refresh token was removed since the preview; {RECONNECT}"
        ))
    })
}

/// How the platform stores a token: base64 of the plaintext.
fn encoded(token: &SecretString) -> SecretString {
    SecretString::from(BASE64.encode(token.expose_secret()))
}

fn refresh_failure(asked: &Asked) -> String {
    let Asked::Error(err) = asked else {
        return asked.to_string();
    };
    match err.oauth_failure() {
        Some(OAuthFailure::InvalidClient) => "Google rejected the OAuth client \
            (invalid_client): check GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET"
            .to_string(),
        Some(OAuthFailure::UnauthorizedClient) => "the refresh token was issued to another \
            OAuth client (unauthorized_client): configure the platform's GOOGLE_CLIENT_ID and \
            GOOGLE_CLIENT_SECRET, or reconnect the calendar"
            .to_string(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn integration(n: u128, expires_in_min: Option<i64>, refresh: bool) -> CalendarIntegration {
        CalendarIntegration {
            id: Uuid::from_u128(n),
            user_id: Uuid::from_u128(1),
            provider: "google".into(),
            provider_account_email: Some(format!("cal{n}@example.com")),
            calendar_id: Some("primary".into()),
            has_access_token: true,
            has_refresh_token: refresh,
            token_expires_at: expires_in_min.map(|m| now() + chrono::Duration::minutes(m)),
            sync_enabled: true,
            sync_errors: Value::Array(Vec::new()),
        }
    }

    const MARGIN: Duration = Duration::from_secs(600);

    #[test]
    fn due_by_the_margin_or_forced() {
        let rows = [
            integration(1, Some(-5), true),
            integration(2, Some(10), true),
            integration(3, Some(11), true),
            integration(4, None, true),
            CalendarIntegration {
                provider: "ghl".into(),
                ..integration(5, Some(-5), true)
            },
        ];
        let plan = plan_for(TokenRequest::default(), now(), MARGIN, &rows);
        let ids: Vec<u128> = plan
            .items
            .iter()
            .map(|i| i.integration_id.as_u128())
            .collect();
        assert_eq!(
            ids,
            vec![1, 2, 4],
            "at the margin is due; other providers never"
        );
        assert_eq!(plan.still_valid, 1);
        assert!(plan.will_change());
        assert_eq!(
            plan.summary(),
            "refresh 3 Google calendar tokens (expiring within the 10 min refresh margin)"
        );
        assert_eq!(
            plan.details(),
            vec![
                "cal1@example.com: access token expired at 2026-03-01 11:55 UTC → refresh",
                "cal2@example.com: access token expires at 2026-03-01 12:10 UTC → refresh",
                "cal4@example.com: access token has no recorded expiry → refresh",
                "1 other Google calendar valid beyond the margin, left alone",
            ]
        );
        let forced = plan_for(TokenRequest { all: true }, now(), MARGIN, &rows);
        assert_eq!(forced.items.len(), 4);
        assert_eq!(
            forced.summary(),
            "refresh 4 Google calendar tokens (every Google calendar, forced)"
        );
    }

    #[test]
    fn without_a_refresh_token_or_after_invalid_grant_it_is_listed_not_refreshed() {
        let mut refused = integration(2, Some(-60), true);
        refused.sync_errors = serde_json::json!([invalid_grant_marker(now())]);
        let rows = [integration(1, Some(-5), false), refused];
        let plan = plan_for(TokenRequest::default(), now(), MARGIN, &rows);
        assert!(!plan.will_change());
        assert_eq!(
            plan.summary(),
            "nothing can be refreshed: 2 Google calendars cannot be refreshed"
        );
        assert_eq!(
            plan.details()[0],
            "cal1@example.com: access token expired at 2026-03-01 11:55 UTC; cannot refresh: \
             no refresh token: reconnect the calendar in the platform with offline access"
        );
        assert!(
            plan.details()[1].contains("invalid_grant"),
            "{:?}",
            plan.details()
        );
        // Forced: the refused one is tried once more; no refresh token stays listed.
        let forced = plan_for(TokenRequest { all: true }, now(), MARGIN, &rows);
        assert_eq!(forced.items[1].step, TokenStep::Refresh);
        assert!(matches!(forced.items[0].step, TokenStep::CannotRefresh(_)));
        assert_eq!(
            forced.summary(),
            "refresh 1 Google calendar token (every Google calendar, forced); 1 calendar cannot \
             be refreshed"
        );
    }

    #[test]
    fn nothing_due_says_so() {
        let plan = plan_for(
            TokenRequest::default(),
            now(),
            MARGIN,
            &[integration(1, Some(60), true)],
        );
        assert!(!plan.will_change() && !plan.target_unavailable());
        assert_eq!(
            plan.summary(),
            "every Google calendar token is valid beyond the 10 min refresh margin: nothing to \
             refresh (--all refreshes them anyway)"
        );
        assert!(plan.details().is_empty());
        let none = plan_for(TokenRequest::default(), now(), MARGIN, &[]);
        assert_eq!(
            none.summary(),
            "no Google calendar integration: nothing to refresh"
        );
    }

    #[test]
    fn tokens_are_stored_as_base64_of_the_plaintext() {
        let stored = encoded(&SecretString::from("ya29.token"));
        assert_eq!(stored.expose_secret(), "eWEyOS50b2tlbg==");
        assert_eq!(
            decode_token(&stored).map(|t| t.expose_secret().to_string()),
            Ok("ya29.token".to_string())
        );
    }
}
