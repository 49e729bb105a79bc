//! The readiness facts beyond the table reads. The platform's safety functions do not
//! exist in the demo database, so those answers are "not applicable" (product.md
//! Decision 7); the rest are read as on PostgreSQL.

use std::collections::BTreeMap;

use launchdeck_core::domain::Scope;
use launchdeck_core::readiness::{
    BroadcastStats, BudgetSetting, ContactRelease, KeptFinished, ProviderSafetyHealth,
    ReconciliationHealth, finished_marker, reuse_finished,
};
use secrecy::SecretString;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::SqliteStore;
use super::error::QueryError;
use super::values::scope_params;
use super::values::{Cols, uuid_text};
use crate::PlatformAnswer;
use crate::scope::{ScopeSql, fill};

/// Why the platform's database functions have no answer here.
pub(crate) const NO_PLATFORM_FUNCTIONS: &str =
    "the demo's SQLite database has none of the platform's database functions";

fn not_applicable<T>() -> PlatformAnswer<T> {
    PlatformAnswer::NotApplicable(NO_PLATFORM_FUNCTIONS.to_string())
}

pub(crate) fn missing_platform_functions() -> PlatformAnswer<Vec<String>> {
    not_applicable()
}

pub(crate) fn provider_safety_health() -> PlatformAnswer<ProviderSafetyHealth> {
    not_applicable()
}

pub(crate) fn reconciliation_health() -> PlatformAnswer<Option<ReconciliationHealth>> {
    not_applicable()
}

pub(crate) fn contact_release_status() -> PlatformAnswer<ContactRelease> {
    not_applicable()
}

const BROADCASTS_SQL: &str = "
SELECT vb.id FROM voice_broadcasts vb
 WHERE vb.status IN ('draft', 'active', 'paused'){scope}";

const QUEUE_COUNTS_SQL: &str = "
SELECT q.broadcast_id AS parent_id, q.status,
       coalesce(q.updated_at, q.created_at) AS since
  FROM voice_broadcasts vb
  JOIN broadcast_queue q ON q.broadcast_id = vb.id
       AND q.status IN ('pending', 'calling', 'failed')
 WHERE vb.status IN ('draft', 'active', 'paused'){scope}";

// Newest first down the (broadcast_id, updated_at) index; NULL updated_at sorts last.
const RECENT_FINISHED_SQL: &str = "
SELECT q.status FROM broadcast_queue q
 WHERE q.broadcast_id = $1 AND q.status NOT IN ('pending', 'calling')
 ORDER BY q.updated_at DESC, q.id
 LIMIT 50";

// PostgreSQL sorts NULL campaign ids (user-wide settings) last.
const BUDGET_SQL: &str = "
SELECT b.user_id, b.campaign_id, b.is_paused, b.paused_at, b.pause_reason
  FROM budget_settings b
 WHERE 1{scope}
 ORDER BY b.user_id, b.campaign_id IS NULL, b.campaign_id";

const MAX_CONCURRENT_SQL: &str = "
SELECT s.user_id, s.retell_max_concurrent
  FROM system_settings s
 WHERE s.retell_max_concurrent IS NOT NULL{scope}";

const ACCESS_TOKEN_SQL: &str =
    "SELECT access_token_encrypted FROM calendar_integrations WHERE id = $1";

impl SqliteStore {
    pub(super) async fn query_broadcast_readiness_stats(
        &self,
        scope: &Scope,
        kept: &BTreeMap<Uuid, KeptFinished>,
    ) -> Result<BTreeMap<Uuid, BroadcastStats>, QueryError> {
        let scope_sql = ScopeSql::new(scope).per_user("vb");
        let (user, org) = scope_params(scope);
        let with_scope = |template: &str| fill(template, &[("scope", &scope_sql)]);

        let mut tx = self.begin().await?;
        let heads = sqlx::query(AssertSqlSafe(with_scope(BROADCASTS_SQL)))
            .bind(&user)
            .bind(&org)
            .fetch_all(&mut *tx)
            .await?;
        let mut stats = BTreeMap::new();
        for row in &heads {
            stats.insert(
                Cols::new(row, "voice_broadcasts").uuid("id")?,
                BroadcastStats::default(),
            );
        }
        let mut failed: BTreeMap<Uuid, i64> = BTreeMap::new();
        let queue = sqlx::query(AssertSqlSafe(with_scope(QUEUE_COUNTS_SQL)))
            .bind(&user)
            .bind(&org)
            .fetch_all(&mut *tx)
            .await?;
        for row in &queue {
            let c = Cols::new(row, "broadcast_queue");
            let Some(entry) = stats.get_mut(&c.uuid("parent_id")?) else {
                continue;
            };
            match c.text("status")?.as_str() {
                "pending" => entry.pending += 1,
                "failed" => *failed.entry(c.uuid("parent_id")?).or_default() += 1,
                _ => entry.calling_updated_at.extend(c.opt_timestamp("since")?),
            }
        }
        for (id, entry) in stats.iter_mut() {
            let failed = failed.get(id).copied().unwrap_or(0);
            entry.finished_marker =
                finished_marker(entry.pending, &entry.calling_updated_at, failed);
        }
        for id in reuse_finished(&mut stats, kept) {
            let recent: Vec<String> = sqlx::query_scalar(RECENT_FINISHED_SQL)
                .bind(uuid_text(id))
                .fetch_all(&mut *tx)
                .await?;
            if let Some(entry) = stats.get_mut(&id) {
                entry.recent_finished = recent;
            }
        }
        tx.commit().await?;
        Ok(stats)
    }

    pub(super) async fn query_budget_settings(
        &self,
        scope: &Scope,
    ) -> Result<Vec<BudgetSetting>, QueryError> {
        let sql = fill(
            BUDGET_SQL,
            &[("scope", &ScopeSql::new(scope).per_user("b"))],
        );
        let (user, org) = scope_params(scope);
        let mut tx = self.begin().await?;
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(user)
            .bind(org)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                let c = Cols::new(row, "budget_settings");
                Ok(BudgetSetting {
                    user_id: c.uuid("user_id")?,
                    campaign_id: c.opt_uuid("campaign_id")?,
                    is_paused: c.bool_or("is_paused", false)?,
                    paused_at: c.opt_timestamp("paused_at")?,
                    pause_reason: c.opt_text("pause_reason")?,
                })
            })
            .collect()
    }

    pub(super) async fn query_retell_max_concurrent(
        &self,
        scope: &Scope,
    ) -> Result<BTreeMap<Uuid, i32>, QueryError> {
        let sql = fill(
            MAX_CONCURRENT_SQL,
            &[("scope", &ScopeSql::new(scope).per_user("s"))],
        );
        let (user, org) = scope_params(scope);
        let mut tx = self.begin().await?;
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(user)
            .bind(org)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut out = BTreeMap::new();
        for row in &rows {
            let c = Cols::new(row, "system_settings");
            if let Some(limit) = c.opt_i32("retell_max_concurrent")? {
                out.insert(c.uuid("user_id")?, limit);
            }
        }
        Ok(out)
    }

    pub(super) async fn query_calendar_access_token(
        &self,
        integration_id: Uuid,
    ) -> Result<Option<SecretString>, QueryError> {
        let mut tx = self.begin().await?;
        let stored: Option<Option<String>> = sqlx::query_scalar(ACCESS_TOKEN_SQL)
            .bind(uuid_text(integration_id))
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(stored
            .flatten()
            .filter(|token| !token.trim().is_empty())
            .map(SecretString::from))
    }
}
