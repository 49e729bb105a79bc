//! The readiness facts the table reads do not cover: which platform functions exist,
//! their answers (provider safety, reconciliation, contact release), per-broadcast
//! queue statistics, budget pauses, Retell concurrency settings and a calendar's
//! stored access token.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use launchdeck_core::domain::Scope;
use launchdeck_core::readiness::{
    BroadcastStats, BudgetSetting, ContactRelease, KeptFinished, ProviderSafetyHealth,
    ReconciliationHealth, SAFETY_FUNCTIONS, finished_marker, reuse_finished,
};
use secrecy::SecretString;
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use super::PgStore;
use crate::PlatformAnswer;
use crate::scope::{ScopeSql, fill};

const MISSING_FUNCTIONS_SQL: &str = "
SELECT f.name
  FROM unnest($1::text[]) WITH ORDINALITY AS f(name, position)
 WHERE NOT EXISTS (SELECT 1
                     FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname = 'public' AND p.proname = f.name)
 ORDER BY f.position";

const PROVIDER_SAFETY_SQL: &str = "
SELECT coalesce(idempotency_ready, false) AS idempotency_ready,
       coalesce(attempt_ledger_ready, false) AS attempt_ledger_ready,
       coalesce(reconciliation_ready, false) AS reconciliation_ready,
       coalesce(dispatch_claim_ready, false) AS dispatch_claim_ready,
       coalesce(contact_stop_ready, false) AS contact_stop_ready,
       coalesce(normalized_dnc_ready, false) AS normalized_dnc_ready,
       coalesce(provider_safe_backstop_ready, false) AS provider_safe_backstop_ready
  FROM provider_safety_health_check()";

const RECONCILIATION_SQL: &str = "
SELECT coalesce(contract_ready, false) AS contract_ready,
       coalesce(cron_scheduled, false) AS cron_scheduled,
       coalesce(cron_active, false) AS cron_active,
       coalesce(vault_configured, false) AS vault_configured,
       last_started_at, last_succeeded_at,
       coalesce(recent_success, false) AS recent_success,
       coalesce(queued_count, 0)::bigint AS queued_count,
       coalesce(expired_lease_count, 0)::bigint AS expired_lease_count,
       coalesce(manual_required_count, 0)::bigint AS manual_required_count
  FROM retell_reconciliation_health_check()
 LIMIT 1";

// The function reads `auth.uid()`: the campaign owner's id is the request's JWT
// subject for this transaction only (Decision 1).
const SET_SUBJECT_SQL: &str = "SELECT set_config('request.jwt.claim.sub', $1, true)";

const CONTACT_RELEASE_SQL: &str = "
SELECT release_state::text AS release_state, release_stage::text AS release_stage,
       release_expires_at, cohort_limit::integer AS cohort_limit,
       cohort_member_count::bigint AS cohort_member_count
  FROM get_campaign_contact_release_status($1)
 LIMIT 1";

// Pending count, the `calling` rows' ages and the newest 50 finished statuses of each
// draft/active/paused broadcast, through the (broadcast_id, status) indexes.
// Everything get_campaign_contact_release_status() reads, folded into one text; the
// "current" count moves when a release activates or expires, so time is covered too.
const CONTACT_RELEASE_MARKER_SQL: &str = "
SELECT concat_ws('/', count(*), max(r.created_at), max(r.revoked_at),
                 count(*) FILTER (WHERE r.revoked_at IS NULL AND r.activated_at <= now()
                                    AND r.expires_at > now()),
                 (SELECT count(*) FROM campaign_contact_release_members m
                   WHERE m.release_id IN (SELECT r2.id FROM campaign_contact_releases r2
                                           WHERE r2.campaign_id = $1)),
                 (SELECT count(*) FROM campaign_leads cl WHERE cl.campaign_id = $1))
  FROM campaign_contact_releases r
 WHERE r.campaign_id = $1";

// Per broadcast: the pending count and the failed count from the indexes, the calling
// rows' age origins from the partial `calling` index.
const BROADCAST_STATS_SQL: &str = "
SELECT vb.id,
       (SELECT count(*) FROM broadcast_queue q
         WHERE q.broadcast_id = vb.id AND q.status = 'pending') AS pending,
       coalesce((SELECT array_agg(coalesce(q.updated_at, q.created_at))
                   FROM broadcast_queue q
                  WHERE q.broadcast_id = vb.id AND q.status = 'calling'
                    AND coalesce(q.updated_at, q.created_at) IS NOT NULL),
                '{}') AS calling_since,
       (SELECT count(*) FROM broadcast_queue q
         WHERE q.broadcast_id = vb.id AND q.status = 'failed') AS failed
  FROM voice_broadcasts vb
 WHERE vb.status IN ('draft', 'active', 'paused'){scope}";

// The newest 50 finished statuses of the broadcasts $1: no index orders them, so
// each broadcast's finished rows are sorted; asked only when the marker moved.
const RECENT_FINISHED_SQL: &str = "
SELECT b.id,
       coalesce((SELECT array_agg(f.status ORDER BY f.newest)
                   FROM (SELECT q.status,
                                row_number() OVER (ORDER BY q.updated_at DESC NULLS LAST, q.id)
                                    AS newest
                           FROM broadcast_queue q
                          WHERE q.broadcast_id = b.id
                            AND q.status NOT IN ('pending', 'calling')
                          ORDER BY q.updated_at DESC NULLS LAST, q.id
                          LIMIT 50) f),
                '{}') AS recent_finished
  FROM unnest($1::uuid[]) AS b(id)";

const BUDGET_SQL: &str = "
SELECT b.user_id, b.campaign_id, coalesce(b.is_paused, false) AS is_paused, b.paused_at,
       b.pause_reason
  FROM budget_settings b
 WHERE true{scope}
 ORDER BY b.user_id, b.campaign_id";

const MAX_CONCURRENT_SQL: &str = "
SELECT s.user_id, s.retell_max_concurrent
  FROM system_settings s
 WHERE s.retell_max_concurrent IS NOT NULL{scope}";

const ACCESS_TOKEN_SQL: &str = "
SELECT access_token_encrypted FROM calendar_integrations WHERE id = $1";

#[derive(FromRow)]
struct SafetyRow {
    idempotency_ready: bool,
    attempt_ledger_ready: bool,
    reconciliation_ready: bool,
    dispatch_claim_ready: bool,
    contact_stop_ready: bool,
    normalized_dnc_ready: bool,
    provider_safe_backstop_ready: bool,
}

#[derive(FromRow)]
struct ReconciliationRow {
    contract_ready: bool,
    cron_scheduled: bool,
    cron_active: bool,
    vault_configured: bool,
    last_started_at: Option<DateTime<Utc>>,
    last_succeeded_at: Option<DateTime<Utc>>,
    recent_success: bool,
    queued_count: i64,
    expired_lease_count: i64,
    manual_required_count: i64,
}

#[derive(FromRow)]
struct ReleaseRow {
    release_state: Option<String>,
    release_stage: Option<String>,
    release_expires_at: Option<DateTime<Utc>>,
    cohort_limit: Option<i32>,
    cohort_member_count: Option<i64>,
}

#[derive(FromRow)]
struct StatsRow {
    id: Uuid,
    pending: i64,
    calling_since: Vec<DateTime<Utc>>,
    failed: i64,
}

#[derive(FromRow)]
struct FinishedRow {
    id: Uuid,
    recent_finished: Vec<String>,
}

#[derive(FromRow)]
struct BudgetRow {
    user_id: Uuid,
    campaign_id: Option<Uuid>,
    is_paused: bool,
    paused_at: Option<DateTime<Utc>>,
    pause_reason: Option<String>,
}

impl PgStore {
    pub(super) async fn query_missing_platform_functions(
        &self,
    ) -> Result<PlatformAnswer<Vec<String>>, sqlx::Error> {
        let names: Vec<String> = SAFETY_FUNCTIONS.iter().map(|f| f.to_string()).collect();
        let mut tx = self.begin().await?;
        let missing: Vec<String> = sqlx::query_scalar(MISSING_FUNCTIONS_SQL)
            .persistent(self.persistent())
            .bind(names)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(PlatformAnswer::Answer(missing))
    }

    pub(super) async fn query_provider_safety_health(
        &self,
    ) -> Result<PlatformAnswer<ProviderSafetyHealth>, sqlx::Error> {
        let mut tx = self.begin().await?;
        let row: SafetyRow = sqlx::query_as(PROVIDER_SAFETY_SQL)
            .persistent(self.persistent())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(PlatformAnswer::Answer(ProviderSafetyHealth {
            idempotency_ready: row.idempotency_ready,
            attempt_ledger_ready: row.attempt_ledger_ready,
            reconciliation_ready: row.reconciliation_ready,
            dispatch_claim_ready: row.dispatch_claim_ready,
            contact_stop_ready: row.contact_stop_ready,
            normalized_dnc_ready: row.normalized_dnc_ready,
            provider_safe_backstop_ready: row.provider_safe_backstop_ready,
        }))
    }

    pub(super) async fn query_reconciliation_health(
        &self,
    ) -> Result<PlatformAnswer<Option<ReconciliationHealth>>, sqlx::Error> {
        let mut tx = self.begin().await?;
        let row: Option<ReconciliationRow> = sqlx::query_as(RECONCILIATION_SQL)
            .persistent(self.persistent())
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(PlatformAnswer::Answer(row.map(|r| ReconciliationHealth {
            contract_ready: r.contract_ready,
            cron_scheduled: r.cron_scheduled,
            cron_active: r.cron_active,
            vault_configured: r.vault_configured,
            last_started_at: r.last_started_at,
            last_succeeded_at: r.last_succeeded_at,
            recent_success: r.recent_success,
            queued_count: r.queued_count,
            expired_lease_count: r.expired_lease_count,
            manual_required_count: r.manual_required_count,
        })))
    }

    pub(super) async fn query_contact_release_marker(
        &self,
        campaign_id: Uuid,
    ) -> Result<PlatformAnswer<String>, sqlx::Error> {
        let mut tx = self.begin().await?;
        let marker: String = sqlx::query_scalar(CONTACT_RELEASE_MARKER_SQL)
            .persistent(self.persistent())
            .bind(campaign_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(PlatformAnswer::Answer(marker))
    }

    pub(super) async fn query_contact_release_status(
        &self,
        campaign_id: Uuid,
        owner_user_id: Uuid,
    ) -> Result<PlatformAnswer<ContactRelease>, sqlx::Error> {
        let mut tx = self.begin().await?;
        sqlx::query(SET_SUBJECT_SQL)
            .persistent(self.persistent())
            .bind(owner_user_id.to_string())
            .execute(&mut *tx)
            .await?;
        let row: Option<ReleaseRow> = sqlx::query_as(CONTACT_RELEASE_SQL)
            .persistent(self.persistent())
            .bind(campaign_id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        let release = match row {
            Some(r) => ContactRelease {
                release_state: r.release_state.unwrap_or_default(),
                release_stage: r.release_stage,
                release_expires_at: r.release_expires_at,
                cohort_limit: r.cohort_limit,
                cohort_member_count: r.cohort_member_count,
            },
            None => ContactRelease {
                release_state: "no_release".to_string(),
                ..ContactRelease::default()
            },
        };
        Ok(PlatformAnswer::Answer(release))
    }

    pub(super) async fn query_broadcast_readiness_stats(
        &self,
        scope: &Scope,
        kept: &BTreeMap<Uuid, KeptFinished>,
    ) -> Result<BTreeMap<Uuid, BroadcastStats>, sqlx::Error> {
        let sql = fill(
            BROADCAST_STATS_SQL,
            &[("scope", &ScopeSql::new(scope).per_user("vb"))],
        );
        let mut tx = self.begin().await?;
        let rows: Vec<StatsRow> = sqlx::query_as(AssertSqlSafe(sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .fetch_all(&mut *tx)
            .await?;
        let mut stats: BTreeMap<Uuid, BroadcastStats> = rows
            .into_iter()
            .map(|r| {
                let finished_marker = finished_marker(r.pending, &r.calling_since, r.failed);
                let stats = BroadcastStats {
                    pending: r.pending,
                    calling_updated_at: r.calling_since,
                    recent_finished: Vec::new(),
                    finished_marker,
                };
                (r.id, stats)
            })
            .collect();
        let moved = reuse_finished(&mut stats, kept);
        if !moved.is_empty() {
            let rows: Vec<FinishedRow> = sqlx::query_as(RECENT_FINISHED_SQL)
                .persistent(self.persistent())
                .bind(&moved)
                .fetch_all(&mut *tx)
                .await?;
            for row in rows {
                if let Some(entry) = stats.get_mut(&row.id) {
                    entry.recent_finished = row.recent_finished;
                }
            }
        }
        tx.commit().await?;
        Ok(stats)
    }

    pub(super) async fn query_budget_settings(
        &self,
        scope: &Scope,
    ) -> Result<Vec<BudgetSetting>, sqlx::Error> {
        let sql = fill(
            BUDGET_SQL,
            &[("scope", &ScopeSql::new(scope).per_user("b"))],
        );
        let mut tx = self.begin().await?;
        let rows: Vec<BudgetRow> = sqlx::query_as(AssertSqlSafe(sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| BudgetSetting {
                user_id: r.user_id,
                campaign_id: r.campaign_id,
                is_paused: r.is_paused,
                paused_at: r.paused_at,
                pause_reason: r.pause_reason,
            })
            .collect())
    }

    pub(super) async fn query_retell_max_concurrent(
        &self,
        scope: &Scope,
    ) -> Result<BTreeMap<Uuid, i32>, sqlx::Error> {
        let sql = fill(
            MAX_CONCURRENT_SQL,
            &[("scope", &ScopeSql::new(scope).per_user("s"))],
        );
        let mut tx = self.begin().await?;
        let rows: Vec<(Uuid, i32)> = sqlx::query_as(AssertSqlSafe(sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rows.into_iter().collect())
    }

    pub(super) async fn query_calendar_access_token(
        &self,
        integration_id: Uuid,
    ) -> Result<Option<SecretString>, sqlx::Error> {
        let mut tx = self.begin().await?;
        let stored: Option<Option<String>> = sqlx::query_scalar(ACCESS_TOKEN_SQL)
            .persistent(self.persistent())
            .bind(integration_id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(stored
            .flatten()
            .filter(|token| !token.trim().is_empty())
            .map(SecretString::from))
    }
}
