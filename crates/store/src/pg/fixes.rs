//! The fix actions on PostgreSQL: calendar token writes conditional on the previewed
//! expiry and refresh token, alert acknowledgements, and a phone number found by its
//! E.164 number.

use chrono::{DateTime, Utc};
use launchdeck_core::domain::Scope;
use launchdeck_core::fixes::{
    AckResult, AckStamp, AlertState, CalendarTokenState, CalendarTokenWrite, INVALID_GRANT,
    MARKER_SOURCE, NumberRow, TokenCondition, TokenWriteResult, ack_results,
};
use secrecy::{ExposeSecret, SecretString};
use sqlx::{AssertSqlSafe, FromRow, PgConnection};
use uuid::Uuid;

use super::PgStore;
use super::commit::Prepared;
use crate::scope::{ScopeSql, fill};

const TOKEN_STATE_SQL: &str = "
SELECT token_expires_at, refresh_token_encrypted FROM calendar_integrations WHERE id = $1";

/// The condition every token write shares: `$1` id, `$2` previewed expiry, `$3` the
/// refresh token as stored when it was sent to Google.
const TOKEN_CONDITION: &str = "ci.id = $1 AND ci.token_expires_at IS NOT DISTINCT FROM $2 \
    AND ci.refresh_token_encrypted = $3";

/// `$4` access token, `$5` seconds of validity, `$6` a rotated refresh token (NULL keeps
/// the stored one), `$7`/`$8` the marker's source and error: launchdeck's own
/// `invalid_grant` markers are dropped from an array `sync_errors`; other entries and
/// other shapes are kept as they are.
const GRANT_SQL: &str = "
UPDATE calendar_integrations ci
   SET access_token_encrypted = $4,
       token_expires_at = now() + make_interval(secs => $5::float8),
       refresh_token_encrypted = coalesce($6, ci.refresh_token_encrypted),
       sync_errors = CASE WHEN jsonb_typeof(ci.sync_errors) = 'array' THEN
           coalesce((SELECT jsonb_agg(e.value ORDER BY e.n)
                       FROM jsonb_array_elements(ci.sync_errors) WITH ORDINALITY AS e(value, n)
                      WHERE (e.value ->> 'source' = $7 AND e.value ->> 'error' = $8) IS NOT TRUE),
                    '[]'::jsonb)
           ELSE ci.sync_errors END
 WHERE {condition}
RETURNING ci.token_expires_at";

/// `$4` the marker: appended to an array; NULL becomes `[marker]`; any other shape is
/// kept as the first element of a new array.
const INVALID_GRANT_SQL: &str = "
UPDATE calendar_integrations ci
   SET sync_errors = CASE
           WHEN ci.sync_errors IS NULL OR jsonb_typeof(ci.sync_errors) = 'null'
               THEN jsonb_build_array($4::jsonb)
           WHEN jsonb_typeof(ci.sync_errors) = 'array'
               THEN ci.sync_errors || jsonb_build_array($4::jsonb)
           ELSE jsonb_build_array(ci.sync_errors, $4::jsonb) END
 WHERE {condition}
RETURNING ci.token_expires_at";

const EXPIRY_SQL: &str = "SELECT token_expires_at FROM calendar_integrations WHERE id = $1";

/// `$1` user, `$2` organization (the scope), `$3` the ids.
const ALERTS_BY_ID_SQL: &str = "
SELECT a.id, a.user_id, a.alert_type, a.severity, a.title,
       coalesce(a.acknowledged, false) AS acknowledged, a.acknowledged_at,
       (TRUE{scope}) AS in_scope
  FROM system_alerts a
 WHERE a.id = ANY($3)
 ORDER BY a.created_at DESC, a.id";

const ACKNOWLEDGE_SQL: &str = "
UPDATE system_alerts SET acknowledged = true, acknowledged_at = now()
 WHERE id = ANY($1) AND acknowledged IS NOT TRUE
RETURNING id, acknowledged_at";

const ACKNOWLEDGED_AT_SQL: &str =
    "SELECT id, acknowledged_at FROM system_alerts WHERE id = ANY($1)";

/// `$1` user, `$2` organization (the scope), `$3` the number.
const NUMBER_ROW_SQL: &str = "
SELECT p.id, p.user_id, p.organization_id, p.number, (TRUE{scope}) AS in_scope
  FROM phone_numbers p
 WHERE p.number = $3";

#[derive(FromRow)]
struct AlertRecord {
    id: Uuid,
    user_id: Uuid,
    alert_type: String,
    severity: String,
    title: Option<String>,
    acknowledged: bool,
    acknowledged_at: Option<DateTime<Utc>>,
    in_scope: bool,
}

#[derive(FromRow)]
struct NumberRecord {
    id: Uuid,
    user_id: Uuid,
    organization_id: Uuid,
    number: String,
    in_scope: bool,
}

impl PgStore {
    pub(super) async fn query_calendar_token_state(
        &self,
        id: Uuid,
    ) -> Result<Option<CalendarTokenState>, sqlx::Error> {
        let mut tx = self.begin().await?;
        let row: Option<(Option<DateTime<Utc>>, Option<String>)> = sqlx::query_as(TOKEN_STATE_SQL)
            .persistent(self.persistent())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.map(|(token_expires_at, refresh)| CalendarTokenState {
            id,
            token_expires_at,
            refresh_token: refresh
                .filter(|t| !t.trim().is_empty())
                .map(SecretString::from),
        }))
    }

    /// Every write in one transaction; a statement the database refuses rolls back all.
    pub(super) async fn write_calendar_tokens(
        &self,
        writes: &[CalendarTokenWrite],
    ) -> Result<Prepared<Vec<TokenWriteResult>>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let mut results = Vec::with_capacity(writes.len());
        for write in writes {
            results.push(self.write_calendar_token(&mut tx, write).await?);
        }
        Ok(Prepared::new(tx, results))
    }

    async fn write_calendar_token(
        &self,
        conn: &mut PgConnection,
        write: &CalendarTokenWrite,
    ) -> Result<TokenWriteResult, sqlx::Error> {
        let condition = write.condition();
        let written: Option<Option<DateTime<Utc>>> = match write {
            CalendarTokenWrite::Grant {
                access_token,
                valid_for,
                refresh_token,
                ..
            } => {
                let sql = fill(GRANT_SQL, &[("condition", TOKEN_CONDITION)]);
                conditioned(sqlx::query_scalar(AssertSqlSafe(sql)), condition)
                    .persistent(self.persistent())
                    .bind(access_token.expose_secret())
                    .bind(valid_for.as_secs_f64())
                    .bind(refresh_token.as_ref().map(|t| t.expose_secret()))
                    .bind(MARKER_SOURCE)
                    .bind(INVALID_GRANT)
                    .fetch_optional(&mut *conn)
                    .await?
            }
            CalendarTokenWrite::InvalidGrant { marker, .. } => {
                let sql = fill(INVALID_GRANT_SQL, &[("condition", TOKEN_CONDITION)]);
                conditioned(sqlx::query_scalar(AssertSqlSafe(sql)), condition)
                    .persistent(self.persistent())
                    .bind(marker)
                    .fetch_optional(&mut *conn)
                    .await?
            }
        };
        if let Some(token_expires_at) = written {
            return Ok(TokenWriteResult::Changed { token_expires_at });
        }
        let now: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(EXPIRY_SQL)
            .persistent(self.persistent())
            .bind(condition.id)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(TokenWriteResult::Skipped {
            exists: now.is_some(),
            token_expires_at: now.flatten(),
        })
    }

    pub(super) async fn query_alerts_by_id(
        &self,
        ids: &[Uuid],
        scope: &Scope,
    ) -> Result<Vec<AlertState>, sqlx::Error> {
        let sql = fill(
            ALERTS_BY_ID_SQL,
            &[("scope", &ScopeSql::new(scope).per_user("a"))],
        );
        let mut tx = self.begin().await?;
        let rows: Vec<AlertRecord> = sqlx::query_as(AssertSqlSafe(sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .bind(ids)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| AlertState {
                id: r.id,
                user_id: r.user_id,
                alert_type: r.alert_type,
                severity: r.severity,
                title: r.title,
                acknowledged: r.acknowledged,
                acknowledged_at: r.acknowledged_at,
                in_scope: r.in_scope,
            })
            .collect())
    }

    /// One conditional UPDATE for every id, then the state of those it did not change.
    pub(super) async fn write_acknowledgements(
        &self,
        ids: &[Uuid],
    ) -> Result<Prepared<Vec<AckResult>>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let changed: Vec<AckStamp> = sqlx::query_as(ACKNOWLEDGE_SQL)
            .persistent(self.persistent())
            .bind(ids)
            .fetch_all(&mut *tx)
            .await?;
        let present: Vec<AckStamp> = sqlx::query_as(ACKNOWLEDGED_AT_SQL)
            .persistent(self.persistent())
            .bind(ids)
            .fetch_all(&mut *tx)
            .await?;
        Ok(Prepared::new(tx, ack_results(ids, &changed, &present)))
    }

    pub(super) async fn query_phone_number_row(
        &self,
        e164: &str,
        scope: &Scope,
    ) -> Result<Option<NumberRow>, sqlx::Error> {
        let sql = fill(
            NUMBER_ROW_SQL,
            &[("scope", &ScopeSql::new(scope).core("p"))],
        );
        let mut tx = self.begin().await?;
        let row: Option<NumberRecord> = sqlx::query_as(AssertSqlSafe(sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .bind(e164)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.map(|r| NumberRow {
            id: r.id,
            user_id: r.user_id,
            organization_id: r.organization_id,
            number: r.number,
            in_scope: r.in_scope,
        }))
    }
}

/// Binds a token write's condition as `$1`–`$3`.
fn conditioned<'q, O>(
    query: sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    condition: &'q TokenCondition,
) -> sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    query
        .bind(condition.id)
        .bind(condition.expected_expires_at)
        .bind(condition.expected_refresh_token.expose_secret())
}
