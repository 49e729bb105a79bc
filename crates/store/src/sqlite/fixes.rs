//! The fix actions on the demo's SQLite database, with the same contract as the
//! PostgreSQL store: calendar token writes conditional on the previewed expiry and
//! refresh token, alert acknowledgements, and a phone number found by its E.164 number.

use launchdeck_core::domain::Scope;
use launchdeck_core::fixes::{
    AckResult, AckStamp, AlertState, CalendarTokenState, CalendarTokenWrite, INVALID_GRANT,
    MARKER_SOURCE, NumberRow, TokenCondition, TokenWriteResult, ack_results,
};
use secrecy::{ExposeSecret, SecretString};
use sqlx::sqlite::{Sqlite, SqliteArguments, SqliteRow};
use sqlx::{AssertSqlSafe, SqliteConnection};
use uuid::Uuid;

use super::error::QueryError;
use super::values::scope_params;
use super::values::{Cols, id_list, now_micros, timestamp, uuid_text};
use super::{SqliteStore, begin_write};
use crate::scope::{ScopeSql, fill};

const TOKEN_STATE_SQL: &str = "
SELECT token_expires_at, refresh_token_encrypted FROM calendar_integrations WHERE id = $1";

/// `$1` id, `$2` previewed expiry (stored text form), `$3` the refresh token as stored
/// when it was sent to Google.
const TOKEN_CONDITION: &str = "id = $1 AND token_expires_at IS $2 AND refresh_token_encrypted = $3";

/// `$4` access token, `$5` the new expiry, `$6` a rotated refresh token (NULL keeps the
/// stored one), `$7`/`$8` the marker's source and error: launchdeck's own
/// `invalid_grant` markers are dropped from an array `sync_errors`; other entries (in
/// their order and JSON types) and other shapes are kept as they are.
const GRANT_SQL: &str = "
UPDATE calendar_integrations
   SET access_token_encrypted = $4,
       token_expires_at = $5,
       refresh_token_encrypted = coalesce($6, refresh_token_encrypted),
       sync_errors = CASE WHEN json_type(sync_errors) = 'array' THEN
           (SELECT json_group_array(CASE
                       WHEN e.type IN ('object', 'array') THEN json(e.value)
                       WHEN e.type = 'true' THEN json('true')
                       WHEN e.type = 'false' THEN json('false')
                       ELSE e.value END ORDER BY e.key)
              FROM json_each(calendar_integrations.sync_errors) AS e
             WHERE CASE WHEN e.type = 'object'
                        THEN NOT (json_extract(e.value, '$.source') IS $7
                                  AND json_extract(e.value, '$.error') IS $8)
                        ELSE 1 END)
           ELSE sync_errors END
 WHERE {condition}
RETURNING token_expires_at";

/// `$4` the marker (JSON text): appended to an array; NULL becomes `[marker]`; any
/// other shape is kept as the first element of a new array.
const INVALID_GRANT_SQL: &str = "
UPDATE calendar_integrations
   SET sync_errors = CASE
           WHEN sync_errors IS NULL OR json_type(sync_errors) = 'null' THEN json_array(json($4))
           WHEN json_type(sync_errors) = 'array' THEN json_insert(sync_errors, '$[#]', json($4))
           ELSE json_array(json(sync_errors), json($4)) END
 WHERE {condition}
RETURNING token_expires_at";

const EXPIRY_SQL: &str = "SELECT token_expires_at FROM calendar_integrations WHERE id = $1";

/// `$1` user, `$2` organization (the scope), `$3` the ids as a JSON array.
const ALERTS_BY_ID_SQL: &str = "
SELECT a.id, a.user_id, a.alert_type, a.severity, a.title,
       coalesce(a.acknowledged, 0) AS acknowledged, a.acknowledged_at,
       (1{scope}) AS in_scope
  FROM system_alerts a
 WHERE a.id IN (SELECT value FROM json_each($3))
 ORDER BY a.created_at DESC, a.id";

const ACKNOWLEDGE_SQL: &str = "
UPDATE system_alerts SET acknowledged = 1, acknowledged_at = $2
 WHERE id IN (SELECT value FROM json_each($1)) AND acknowledged IS NOT 1
RETURNING id, acknowledged_at";

const ACKNOWLEDGED_AT_SQL: &str =
    "SELECT id, acknowledged_at FROM system_alerts WHERE id IN (SELECT value FROM json_each($1))";

/// `$1` user, `$2` organization (the scope), `$3` the number.
const NUMBER_ROW_SQL: &str = "
SELECT p.id, p.user_id, p.organization_id, p.number, (1{scope}) AS in_scope
  FROM phone_numbers p
 WHERE p.number = $3";

type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments>;

impl SqliteStore {
    pub(super) async fn query_calendar_token_state(
        &self,
        id: Uuid,
    ) -> Result<Option<CalendarTokenState>, QueryError> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(TOKEN_STATE_SQL)
            .bind(uuid_text(id))
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let cols = Cols::new(&row, "calendar_integrations");
        Ok(Some(CalendarTokenState {
            id,
            token_expires_at: cols.opt_timestamp("token_expires_at")?,
            refresh_token: cols
                .opt_text("refresh_token_encrypted")?
                .filter(|t| !t.trim().is_empty())
                .map(SecretString::from),
        }))
    }

    /// Every write in one transaction; a statement the database refuses rolls back all.
    pub(super) async fn write_calendar_tokens(
        &self,
        writes: &[CalendarTokenWrite],
    ) -> Result<Vec<TokenWriteResult>, QueryError> {
        let mut tx = begin_write(&self.pool).await?;
        let mut results = Vec::with_capacity(writes.len());
        for write in writes {
            results.push(write_calendar_token(&mut tx, write).await?);
        }
        tx.commit().await?;
        Ok(results)
    }

    pub(super) async fn query_alerts_by_id(
        &self,
        ids: &[Uuid],
        scope: &Scope,
    ) -> Result<Vec<AlertState>, QueryError> {
        let sql = fill(
            ALERTS_BY_ID_SQL,
            &[("scope", &ScopeSql::new(scope).per_user("a"))],
        );
        let (user, org) = scope_params(scope);
        let mut tx = self.begin().await?;
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(user)
            .bind(org)
            .bind(id_list(ids))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter().map(alert_state).collect()
    }

    /// One conditional UPDATE for every id, then the state of those it did not change.
    pub(super) async fn write_acknowledgements(
        &self,
        ids: &[Uuid],
    ) -> Result<Vec<AckResult>, QueryError> {
        let list = id_list(ids);
        let mut tx = begin_write(&self.pool).await?;
        let changed = sqlx::query(ACKNOWLEDGE_SQL)
            .bind(&list)
            .bind(timestamp(now_micros()))
            .fetch_all(&mut *tx)
            .await?;
        let present = sqlx::query(ACKNOWLEDGED_AT_SQL)
            .bind(&list)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let changed = acknowledged_at(&changed)?;
        let present = acknowledged_at(&present)?;
        Ok(ack_results(ids, &changed, &present))
    }

    pub(super) async fn query_phone_number_row(
        &self,
        e164: &str,
        scope: &Scope,
    ) -> Result<Option<NumberRow>, QueryError> {
        let sql = fill(
            NUMBER_ROW_SQL,
            &[("scope", &ScopeSql::new(scope).core("p"))],
        );
        let (user, org) = scope_params(scope);
        let mut tx = self.begin().await?;
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(user)
            .bind(org)
            .bind(e164)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let cols = Cols::new(&row, "phone_numbers");
        Ok(Some(NumberRow {
            id: cols.uuid("id")?,
            user_id: cols.uuid("user_id")?,
            organization_id: cols.uuid("organization_id")?,
            number: cols.text("number")?,
            in_scope: cols.i64("in_scope")? != 0,
        }))
    }
}

async fn write_calendar_token(
    conn: &mut SqliteConnection,
    write: &CalendarTokenWrite,
) -> Result<TokenWriteResult, QueryError> {
    let condition = write.condition();
    let written = match write {
        CalendarTokenWrite::Grant {
            access_token,
            valid_for,
            refresh_token,
            ..
        } => {
            let expires = now_micros()
                + chrono::Duration::from_std(*valid_for).unwrap_or(chrono::Duration::zero());
            let sql = fill(GRANT_SQL, &[("condition", TOKEN_CONDITION)]);
            conditioned(sqlx::query(AssertSqlSafe(sql)), condition)
                .bind(access_token.expose_secret().to_string())
                .bind(timestamp(expires))
                .bind(
                    refresh_token
                        .as_ref()
                        .map(|t| t.expose_secret().to_string()),
                )
                .bind(MARKER_SOURCE)
                .bind(INVALID_GRANT)
                .fetch_optional(&mut *conn)
                .await?
        }
        CalendarTokenWrite::InvalidGrant { marker, .. } => {
            let sql = fill(INVALID_GRANT_SQL, &[("condition", TOKEN_CONDITION)]);
            conditioned(sqlx::query(AssertSqlSafe(sql)), condition)
                .bind(marker.to_string())
                .fetch_optional(&mut *conn)
                .await?
        }
    };
    if let Some(row) = written {
        let cols = Cols::new(&row, "calendar_integrations");
        return Ok(TokenWriteResult::Changed {
            token_expires_at: cols.opt_timestamp("token_expires_at")?,
        });
    }
    let now = sqlx::query(EXPIRY_SQL)
        .bind(uuid_text(condition.id))
        .fetch_optional(&mut *conn)
        .await?;
    let token_expires_at = match &now {
        Some(row) => Cols::new(row, "calendar_integrations").opt_timestamp("token_expires_at")?,
        None => None,
    };
    Ok(TokenWriteResult::Skipped {
        exists: now.is_some(),
        token_expires_at,
    })
}

/// Binds a token write's condition as `$1`–`$3`.
fn conditioned<'q>(query: Query<'q>, condition: &TokenCondition) -> Query<'q> {
    query
        .bind(uuid_text(condition.id))
        .bind(condition.expected_expires_at.map(timestamp))
        .bind(condition.expected_refresh_token.expose_secret().to_string())
}

fn alert_state(row: &SqliteRow) -> Result<AlertState, QueryError> {
    let cols = Cols::new(row, "system_alerts");
    Ok(AlertState {
        id: cols.uuid("id")?,
        user_id: cols.uuid("user_id")?,
        alert_type: cols.text("alert_type")?,
        severity: cols.text("severity")?,
        title: cols.opt_text("title")?,
        acknowledged: cols.i64("acknowledged")? != 0,
        acknowledged_at: cols.opt_timestamp("acknowledged_at")?,
        in_scope: cols.i64("in_scope")? != 0,
    })
}

fn acknowledged_at(rows: &[SqliteRow]) -> Result<Vec<AckStamp>, QueryError> {
    rows.iter()
        .map(|row| {
            let cols = Cols::new(row, "system_alerts");
            Ok((cols.uuid("id")?, cols.opt_timestamp("acknowledged_at")?))
        })
        .collect()
}
