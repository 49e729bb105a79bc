//! The emergency stop on the demo's SQLite database, with the PostgreSQL store's
//! contract: the pause and the stop row in one `IMMEDIATE` transaction (the write lock
//! serialises two consoles, so the same stop writes one row), one stop row, its lift.

use launchdeck_core::domain::Scope;
use launchdeck_core::stop::{
    LAUNCHDECK_SOURCE, LiftResult, StopRowResult, StopRowSpec, StopRowState, StopWrite,
    StopWriteResult,
};
use sqlx::{AssertSqlSafe, SqliteConnection};
use uuid::Uuid;

use super::actions::change_status_in;
use super::error::QueryError;
use super::tables::stop_control;
use super::values::scope_params;
use super::values::{Cols, now_micros, opt_uuid_text, timestamp, uuid_text};
use super::{SqliteStore, begin_write};
use crate::scope::{ScopeSql, fill};

/// `$1` scope_type, `$2` org, `$3` user, `$4` campaign, `$5` now.
const SAME_SCOPE_SQL: &str = "
SELECT id FROM contact_stop_controls
 WHERE active AND (expires_at IS NULL OR expires_at > $5)
   AND scope_type = $1 AND organization_id IS $2 AND user_id IS $3 AND campaign_id IS $4
   AND provider IS NULL AND channel = 'all'
 ORDER BY activated_at, id
 LIMIT 1";

const INSERT_STOP_SQL: &str = "
INSERT INTO contact_stop_controls
       (id, scope_type, organization_id, user_id, campaign_id, channel, active, reason,
        metadata, activated_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, 'all', 1, $6, $7, $8, $8, $8)";

/// `$1` user, `$2` organization (the scope), `$3` the row's id, `$4` now.
const STOP_ROW_SQL: &str = "
SELECT s.id, s.scope_type, s.organization_id, s.user_id, s.campaign_id, s.provider,
       s.channel, s.reason, s.activated_at, s.expires_at,
       coalesce(json_extract(s.metadata, '$.source') = 'launchdeck', 0) AS created_by_launchdeck,
       (s.active AND (s.expires_at IS NULL OR s.expires_at > $4)) AS is_active,
       (1{scope}) AS in_scope,
       c.name AS campaign_name
  FROM contact_stop_controls s
  LEFT JOIN campaigns c ON c.id = s.campaign_id
 WHERE s.id = $3";

/// `$1` id, `$2` launchdeck's source, `$3` now.
const LIFT_SQL: &str = "
UPDATE contact_stop_controls
   SET active = 0, updated_at = $3
 WHERE id = $1 AND active AND json_extract(metadata, '$.source') = $2";

impl SqliteStore {
    pub(super) async fn write_stop(
        &self,
        write: &StopWrite,
    ) -> Result<StopWriteResult, QueryError> {
        let mut tx = begin_write(&self.pool).await?;
        let pause = match &write.pause {
            Some(change) => Some(change_status_in(&mut tx, change).await?),
            None => None,
        };
        let stop_row = match &write.stop_row {
            Some(spec) => Some(insert_stop_once(&mut tx, spec).await?),
            None => None,
        };
        tx.commit().await?;
        Ok(StopWriteResult { pause, stop_row })
    }

    pub(super) async fn query_stop_row(
        &self,
        id: Uuid,
        scope: &Scope,
    ) -> Result<Option<StopRowState>, QueryError> {
        let sql = fill(STOP_ROW_SQL, &[("scope", &ScopeSql::new(scope).stop("s"))]);
        let (user, org) = scope_params(scope);
        let mut tx = self.begin().await?;
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(user)
            .bind(org)
            .bind(uuid_text(id))
            .bind(timestamp(now_micros()))
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let cols = Cols::new(&row, "contact_stop_controls");
        Ok(Some(StopRowState {
            control: stop_control(&row)?,
            active: cols.i64("is_active")? != 0,
            in_scope: cols.i64("in_scope")? != 0,
            campaign_name: cols.opt_text("campaign_name")?,
        }))
    }

    pub(super) async fn write_lift(&self, id: Uuid) -> Result<LiftResult, QueryError> {
        let mut tx = begin_write(&self.pool).await?;
        let lifted = sqlx::query(LIFT_SQL)
            .bind(uuid_text(id))
            .bind(LAUNCHDECK_SOURCE)
            .bind(timestamp(now_micros()))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let result = if lifted == 1 {
            LiftResult::Lifted
        } else {
            let active: Option<i64> =
                sqlx::query_scalar("SELECT active FROM contact_stop_controls WHERE id = $1")
                    .bind(uuid_text(id))
                    .fetch_optional(&mut *tx)
                    .await?;
            match active {
                Some(active) => LiftResult::Skipped {
                    active: active != 0,
                },
                None => LiftResult::NotFound,
            }
        };
        tx.commit().await?;
        Ok(result)
    }
}

async fn insert_stop_once(
    conn: &mut SqliteConnection,
    spec: &StopRowSpec,
) -> Result<StopRowResult, QueryError> {
    let now = timestamp(now_micros());
    let existing: Option<String> = sqlx::query_scalar(SAME_SCOPE_SQL)
        .bind(&spec.scope_type)
        .bind(opt_uuid_text(spec.organization_id))
        .bind(opt_uuid_text(spec.user_id))
        .bind(opt_uuid_text(spec.campaign_id))
        .bind(&now)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(id) = existing {
        let id = Uuid::parse_str(&id).map_err(|e| {
            crate::StoreError::SchemaDrift(format!("contact_stop_controls.id is not a uuid: {e}"))
        })?;
        return Ok(StopRowResult::AlreadyActive(id));
    }
    let id = Uuid::new_v4();
    sqlx::query(INSERT_STOP_SQL)
        .bind(uuid_text(id))
        .bind(&spec.scope_type)
        .bind(opt_uuid_text(spec.organization_id))
        .bind(opt_uuid_text(spec.user_id))
        .bind(opt_uuid_text(spec.campaign_id))
        .bind(&spec.reason)
        .bind(spec.metadata.to_string())
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    Ok(StopRowResult::Inserted(id))
}
