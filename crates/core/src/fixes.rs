//! The rows the fix actions read and the writes they make: refreshing calendar tokens
//! (`calendar_integrations`), acknowledging alerts (`system_alerts`), and the database
//! row of a Retell number whose outbound agent is fixed (`phone_numbers`, read only).
//! Shared by the store (the conditional writes) and launchdeck-ops (the actions).

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

/// `sync_errors` entries launchdeck writes carry this `source`.
pub const MARKER_SOURCE: &str = "launchdeck";
/// The `error` of the marker a refused refresh token leaves (product.md Decision 10).
pub const INVALID_GRANT: &str = "invalid_grant";

/// Decision 10's "reconnect needed" marker, appended to `sync_errors`.
pub fn invalid_grant_marker(at: DateTime<Utc>) -> Value {
    json!({
        "source": MARKER_SOURCE,
        "error": INVALID_GRANT,
        "at": at.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

/// A calendar integration's token columns as they are now, read just before its
/// refresh. The refresh token is exactly as stored (base64 of the plaintext).
#[derive(Debug, Clone)]
pub struct CalendarTokenState {
    pub id: Uuid,
    pub token_expires_at: Option<DateTime<Utc>>,
    /// `None` when the column is NULL or blank.
    pub refresh_token: Option<SecretString>,
}

/// What a token write is conditional on: the row still has the previewed expiry and
/// still holds the refresh token that was sent to Google.
#[derive(Debug, Clone)]
pub struct TokenCondition {
    pub id: Uuid,
    pub expected_expires_at: Option<DateTime<Utc>>,
    /// As stored (base64 of the plaintext).
    pub expected_refresh_token: SecretString,
}

/// One integration's write after its refresh-token grant.
#[derive(Debug, Clone)]
pub enum CalendarTokenWrite {
    /// Google issued a new access token: store it (as the platform stores it, base64 of
    /// the plaintext) with `token_expires_at` = now + `valid_for`, keep the refresh
    /// token unless a new one came, and drop launchdeck's own `invalid_grant` markers.
    Grant {
        condition: TokenCondition,
        /// base64 of the new access token.
        access_token: SecretString,
        /// The grant's `expires_in`, less the time since the request was sent.
        valid_for: Duration,
        /// base64 of a rotated refresh token; `None` keeps the stored one.
        refresh_token: Option<SecretString>,
    },
    /// Google refused the refresh token: append `marker` to `sync_errors`; no token
    /// column is touched.
    InvalidGrant {
        condition: TokenCondition,
        marker: Value,
    },
}

impl CalendarTokenWrite {
    pub fn condition(&self) -> &TokenCondition {
        match self {
            CalendarTokenWrite::Grant { condition, .. }
            | CalendarTokenWrite::InvalidGrant { condition, .. } => condition,
        }
    }
}

/// What a token write did.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenWriteResult {
    /// Written; the row's `token_expires_at` after the write.
    Changed {
        token_expires_at: Option<DateTime<Utc>>,
    },
    /// The row moved on since the preview (its expiry or refresh token changed), or is
    /// gone (`exists` false); nothing was written.
    Skipped {
        exists: bool,
        token_expires_at: Option<DateTime<Utc>>,
    },
}

/// A `system_alerts` row as the acknowledge action previews it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertState {
    pub id: Uuid,
    pub user_id: Uuid,
    pub alert_type: String,
    pub severity: String,
    pub title: Option<String>,
    /// NULL counts as not acknowledged.
    pub acknowledged: bool,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Whether the row belongs to the `--user` / `--org` scope it was read with.
    pub in_scope: bool,
}

/// What acknowledging one alert did.
#[derive(Debug, Clone, PartialEq)]
pub enum AckResult {
    /// Acknowledged now, at the database's `now()`.
    Acknowledged { at: DateTime<Utc> },
    /// Someone acknowledged it since the preview; left as it was.
    AlreadyAcknowledged { at: Option<DateTime<Utc>> },
    /// The row no longer exists.
    Gone,
}

/// An alert's id and its `acknowledged_at`, as a write returns or reads it.
pub type AckStamp = (Uuid, Option<DateTime<Utc>>);

/// Each id's result: acknowledged by this write, acknowledged before (by someone
/// else), or gone.
pub fn ack_results(ids: &[Uuid], changed: &[AckStamp], present: &[AckStamp]) -> Vec<AckResult> {
    ids.iter()
        .map(|id| {
            if let Some((_, Some(at))) = changed.iter().find(|(c, _)| c == id) {
                return AckResult::Acknowledged { at: *at };
            }
            match present.iter().find(|(p, _)| p == id) {
                Some((_, at)) => AckResult::AlreadyAcknowledged { at: *at },
                None => AckResult::Gone,
            }
        })
        .collect()
}

/// A `phone_numbers` row found by its E.164 number.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub organization_id: Uuid,
    pub number: String,
    /// Whether the row belongs to the `--user` / `--org` scope it was read with.
    pub in_scope: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_is_decision_10s() {
        let at = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(
            invalid_grant_marker(at),
            json!({"source": "launchdeck", "error": "invalid_grant", "at": "2026-03-01T10:00:00Z"})
        );
    }
}
