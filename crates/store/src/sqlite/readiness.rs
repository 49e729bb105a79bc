//! The readiness facts the table reads do not cover: per-broadcast queue statistics,
//! budget pauses, Retell concurrency settings and a calendar's stored access token.
//! The demo database has none of the platform's functions (product.md Decision 7):
//! those answers are `NotApplicable`.

use std::collections::BTreeMap;

use launchdeck_core::domain::Scope;
use launchdeck_core::readiness::{
    BroadcastStats, BudgetSetting, ContactRelease, ProviderSafetyHealth, ReconciliationHealth,
};
use secrecy::SecretString;
use sqlx::AssertSqlSafe;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use super::SqliteStore;
use super::error::QueryError;
use super::scope::{ScopeSql, fill, scope_params};
use super::values::{Cols, uuid_text};
use crate::PlatformAnswer;

/// Why the platform functions are not asked of the demo database.
pub(crate) const NO_PLATFORM_FUNCTIONS: &str =
    "the demo's SQLite database has none of the platform's safety and release functions";

const BROADCAST_IDS_SQL: &str = "
SELECT vb.id
  FROM voice_broadcasts vb
 WHERE vb.status IN ('draft', 'active', 'paused'){scope}";

const PENDING_SQL: &str = "
SELECT q.broadcast_id, count(*) AS pending
  FROM broadcast_queue q
  JOIN voice_broadcasts vb ON vb.id = q.broadcast_id
 WHERE q.status = 'pending' AND vb.status IN ('draft', 'active', 'paused'){scope}
 GROUP BY q.broadcast_id";

const CALLING_SQL: &str = "
SELECT q.broadcast_id, coalesce(q.updated_at, q.created_at) AS since
  FROM broadcast_queue q
  JOIN voice_broadcasts vb ON vb.id = q.broadcast_id
 WHERE q.status = 'calling' AND coalesce(q.updated_at, q.created_at) IS NOT NULL
   AND vb.status IN ('draft', 'active', 'paused'){scope}";

// The newest 50 finished rows (neither pending nor calling) of each broadcast.
const RECENT_FINISHED_SQL: &str = "
SELECT broadcast_id, status
  FROM (SELECT q.broadcast_id, q.status,
               row_number() OVER (PARTITION BY q.broadcast_id
                                  ORDER BY q.updated_at DESC, q.id) AS newest
          FROM broadcast_queue q
          JOIN voice_broadcasts vb ON vb.id = q.broadcast_id
         WHERE q.status NOT IN ('pending', 'calling')
           AND vb.status IN ('draft', 'active', 'paused'){scope})
 WHERE newest <= 50
 ORDER BY broadcast_id, newest";

const BUDGET_SQL: &str = "
SELECT b.user_id, b.campaign_id, b.is_paused, b.paused_at, b.pause_reason
  FROM budget_settings b
 WHERE 1{scope}
 ORDER BY b.user_id, b.campaign_id";

const MAX_CONCURRENT_SQL: &str = "
SELECT s.user_id, s.retell_max_concurrent
  FROM system_settings s
 WHERE s.retell_max_concurrent IS NOT NULL{scope}";

const ACCESS_TOKEN_SQL: &str = "
SELECT access_token_encrypted FROM calendar_integrations WHERE id = $1";

fn budget(row: &SqliteRow) -> Result<BudgetSetting, QueryError> {
    let c = Cols::new(row, "budget_settings");
    Ok(BudgetSetting {
        user_id: c.uuid("user_id")?,
        campaign_id: c.opt_uuid("campaign_id")?,
        is_paused: c.bool_or("is_paused", false)?,
        paused_at: c.opt_timestamp("paused_at")?,
        pause_reason: c.opt_text("pause_reason")?,
    })
}

impl SqliteStore {
    /// Runs the scoped statements in one read transaction.
    async fn scoped_reads(
        &self,
        scope: &Scope,
        templates: &[(&str, String)],
    ) -> Result<Vec<Vec<SqliteRow>>, QueryError> {
        let (user, org) = scope_params(scope);
        let mut tx = self.begin().await?;
        let mut results = Vec::with_capacity(templates.len());
        for (template, scope_sql) in templates {
            let sql = fill(template, &[("scope", scope_sql)]);
            let rows = sqlx::query(AssertSqlSafe(sql))
                .bind(user.clone())
                .bind(org.clone())
                .fetch_all(&mut *tx)
                .await?;
            results.push(rows);
        }
        tx.commit().await?;
        Ok(results)
    }

    pub(super) async fn query_broadcast_readiness_stats(
        &self,
        scope: &Scope,
    ) -> Result<BTreeMap<Uuid, BroadcastStats>, QueryError> {
        let s = ScopeSql::new(scope).per_user("vb");
        let statements = [
            (BROADCAST_IDS_SQL, s.clone()),
            (PENDING_SQL, s.clone()),
            (CALLING_SQL, s.clone()),
            (RECENT_FINISHED_SQL, s),
        ];
        let results = self.scoped_reads(scope, &statements).await?;
        let mut stats = BTreeMap::new();
        for row in &results[0] {
            stats.insert(Cols::new(row, "voice_broadcasts").uuid("id")?, BroadcastStats::default());
        }
        for row in &results[1] {
            let c = Cols::new(row, "broadcast_queue");
            if let Some(entry) = stats.get_mut(&c.uuid("broadcast_id")?) {
                entry.pending = c.i64("pending")?;
            }
        }
        for row in &results[2] {
            let c = Cols::new(row, "broadcast_queue");
            if let Some(entry) = stats.get_mut(&c.uuid("broadcast_id")?) {
                entry.calling_updated_at.push(c.timestamp("since")?);
            }
        }
        for row in &results[3] {
            let c = Cols::new(row, "broadcast_queue");
            if let Some(entry) = stats.get_mut(&c.uuid("broadcast_id")?) {
                entry.recent_finished.push(c.text("status")?);
            }
        }
        Ok(stats)
    }

    pub(super) async fn query_budget_settings(
        &self,
        scope: &Scope,
    ) -> Result<Vec<BudgetSetting>, QueryError> {
        let s = ScopeSql::new(scope).per_user("b");
        let results = self.scoped_reads(scope, &[(BUDGET_SQL, s)]).await?;
        results[0].iter().map(budget).collect()
    }

    pub(super) async fn query_retell_max_concurrent(
        &self,
        scope: &Scope,
    ) -> Result<BTreeMap<Uuid, i32>, QueryError> {
        let s = ScopeSql::new(scope).per_user("s");
        let results = self.scoped_reads(scope, &[(MAX_CONCURRENT_SQL, s)]).await?;
        let mut settings = BTreeMap::new();
        for row in &results[0] {
            let c = Cols::new(row, "system_settings");
            if let Some(value) = c.opt_i32("retell_max_concurrent")? {
                settings.insert(c.uuid("user_id")?, value);
            }
        }
        Ok(settings)
    }

    pub(super) async fn query_calendar_access_token(
        &self,
        integration_id: Uuid,
    ) -> Result<Option<SecretString>, QueryError> {
        let stored: Option<Option<String>> = sqlx::query_scalar(ACCESS_TOKEN_SQL)
            .bind(uuid_text(integration_id))
            .fetch_optional(&self.pool)
            .await?;
        Ok(stored
            .flatten()
            .filter(|token| !token.trim().is_empty())
            .map(SecretString::from))
    }
}

/// The answers the demo database cannot give.
pub(super) fn missing_platform_functions() -> PlatformAnswer<Vec<String>> {
    PlatformAnswer::NotApplicable(NO_PLATFORM_FUNCTIONS.to_string())
}

pub(super) fn provider_safety_health() -> PlatformAnswer<ProviderSafetyHealth> {
    PlatformAnswer::NotApplicable(NO_PLATFORM_FUNCTIONS.to_string())
}

pub(super) fn reconciliation_health() -> PlatformAnswer<Option<ReconciliationHealth>> {
    PlatformAnswer::NotApplicable(NO_PLATFORM_FUNCTIONS.to_string())
}

pub(super) fn contact_release_status() -> PlatformAnswer<ContactRelease> {
    PlatformAnswer::NotApplicable(NO_PLATFORM_FUNCTIONS.to_string())
}
