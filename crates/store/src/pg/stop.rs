//! The emergency stop on PostgreSQL: the pause and the `contact_stop_controls` row in
//! one transaction (under an advisory lock, so two consoles stopping the same thing
//! write one row), the read of one stop row, and its lift.

use launchdeck_core::domain::Scope;
use launchdeck_core::stop::{
    LAUNCHDECK_SOURCE, LiftResult, StopRowResult, StopRowSpec, StopRowState, StopWrite,
    StopWriteResult,
};
use sqlx::{AssertSqlSafe, FromRow, PgConnection};
use uuid::Uuid;

use super::PgStore;
use super::commit::Prepared;
use super::tables::StopRow;
use crate::scope::{ScopeSql, fill};

/// Serialises launchdeck's stop writes (and only them): stops are rare, and one lock
/// makes "is there an active row already?" and the insert one step.
const STOP_LOCK_KEY: i64 = 0x6c64_7374_6f70; // "ldstop"

/// An active, unexpired row with exactly this scope: `$1` scope_type, `$2` org,
/// `$3` user, `$4` campaign.
const SAME_SCOPE_SQL: &str = "
SELECT id FROM contact_stop_controls
 WHERE active AND (expires_at IS NULL OR expires_at > now())
   AND scope_type = $1 AND organization_id IS NOT DISTINCT FROM $2
   AND user_id IS NOT DISTINCT FROM $3 AND campaign_id IS NOT DISTINCT FROM $4
   AND provider IS NULL AND channel = 'all'
 ORDER BY activated_at, id
 LIMIT 1";

const INSERT_STOP_SQL: &str = "
INSERT INTO contact_stop_controls
       (scope_type, organization_id, user_id, campaign_id, channel, active, reason, metadata)
VALUES ($1, $2, $3, $4, 'all', true, $5, $6)
RETURNING id";

/// `$1` user, `$2` organization (the scope), `$3` the row's id.
const STOP_ROW_SQL: &str = "
SELECT s.id, s.scope_type, s.organization_id, s.user_id, s.campaign_id, s.provider,
       s.channel, s.reason, s.activated_at, s.expires_at,
       coalesce(s.metadata ->> 'source' = 'launchdeck', false) AS created_by_launchdeck,
       (s.active AND (s.expires_at IS NULL OR s.expires_at > now())) AS active,
       (TRUE{scope}) AS in_scope,
       c.name AS campaign_name
  FROM contact_stop_controls s
  LEFT JOIN campaigns c ON c.id = s.campaign_id
 WHERE s.id = $3";

/// Only an active row launchdeck wrote: `$1` id, `$2` launchdeck's source.
const LIFT_SQL: &str = "
UPDATE contact_stop_controls
   SET active = false, updated_at = now()
 WHERE id = $1 AND active AND metadata ->> 'source' = $2
RETURNING id";

#[derive(FromRow)]
struct StopStateRow {
    #[sqlx(flatten)]
    control: StopRow,
    active: bool,
    in_scope: bool,
    campaign_name: Option<String>,
}

impl PgStore {
    pub(super) async fn write_stop(
        &self,
        write: &StopWrite,
    ) -> Result<Prepared<StopWriteResult>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(STOP_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        let pause = match &write.pause {
            Some(change) => Some(self.change_status_in(&mut tx, change).await?),
            None => None,
        };
        let stop_row = match &write.stop_row {
            Some(spec) => Some(self.insert_stop_once(&mut tx, spec).await?),
            None => None,
        };
        Ok(Prepared::new(tx, StopWriteResult { pause, stop_row }))
    }

    async fn insert_stop_once(
        &self,
        conn: &mut PgConnection,
        spec: &StopRowSpec,
    ) -> Result<StopRowResult, sqlx::Error> {
        let existing: Option<Uuid> = sqlx::query_scalar(SAME_SCOPE_SQL)
            .persistent(self.persistent())
            .bind(&spec.scope_type)
            .bind(spec.organization_id)
            .bind(spec.user_id)
            .bind(spec.campaign_id)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(id) = existing {
            return Ok(StopRowResult::AlreadyActive(id));
        }
        let id: Uuid = sqlx::query_scalar(INSERT_STOP_SQL)
            .persistent(self.persistent())
            .bind(&spec.scope_type)
            .bind(spec.organization_id)
            .bind(spec.user_id)
            .bind(spec.campaign_id)
            .bind(&spec.reason)
            .bind(&spec.metadata)
            .fetch_one(&mut *conn)
            .await?;
        Ok(StopRowResult::Inserted(id))
    }

    pub(super) async fn query_stop_row(
        &self,
        id: Uuid,
        scope: &Scope,
    ) -> Result<Option<StopRowState>, sqlx::Error> {
        let sql = fill(STOP_ROW_SQL, &[("scope", &ScopeSql::new(scope).stop("s"))]);
        let mut tx = self.begin().await?;
        let row: Option<StopStateRow> = sqlx::query_as(AssertSqlSafe(sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.map(stop_state))
    }

    pub(super) async fn write_lift(&self, id: Uuid) -> Result<Prepared<LiftResult>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let lifted: Option<Uuid> = sqlx::query_scalar(LIFT_SQL)
            .persistent(self.persistent())
            .bind(id)
            .bind(LAUNCHDECK_SOURCE)
            .fetch_optional(&mut *tx)
            .await?;
        let result = match lifted {
            Some(_) => LiftResult::Lifted,
            None => {
                let active: Option<bool> =
                    sqlx::query_scalar("SELECT active FROM contact_stop_controls WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                match active {
                    Some(active) => LiftResult::Skipped { active },
                    None => LiftResult::NotFound,
                }
            }
        };
        Ok(Prepared::new(tx, result))
    }
}

fn stop_state(r: StopStateRow) -> StopRowState {
    StopRowState {
        control: r.control.into_control(),
        active: r.active,
        in_scope: r.in_scope,
        campaign_name: r.campaign_name,
    }
}
