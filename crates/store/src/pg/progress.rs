//! Broadcast and campaign progress in two parts (see `launchdeck_core::progress`):
//! the heads and the call logs created since the last poll, every poll, one index
//! range; the recount of chosen units, paced by the tracker.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use launchdeck_core::domain::{Scope, StatusCounts};
use launchdeck_core::progress::{
    NewCallLog, ProgressHead, ProgressHeads, Recount, RecountRequest, SecondCount,
};
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use super::PgStore;
use super::live::QUEUE_FINISHED;
use crate::scope::{ScopeSql, fill};

// `marker`: what moves when a parent changed in a way its calls do not show. A
// broadcast's `updated_at` moves on every dial, its `total_leads` when leads are
// added; a campaign's `updated_at` only when the campaign itself is edited.
const BROADCAST_HEADS_SQL: &str = "
SELECT vb.id, vb.name, vb.status, NULL::text AS agent_id,
       coalesce(vb.total_leads, 0)::text AS marker
  FROM voice_broadcasts vb
 WHERE vb.status IN ('draft', 'active', 'paused'){scope}
 ORDER BY vb.name, vb.id";

const CAMPAIGN_HEADS_SQL: &str = "
SELECT c.id, c.name, c.status, c.agent_id, c.updated_at::text AS marker
  FROM campaigns c
 WHERE c.status IN ('draft', 'active', 'paused'){scope}
 ORDER BY c.name, c.id";

const PICKED_UP: &str =
    "(cl.status = 'answered' OR (cl.status = 'completed' AND cl.duration_seconds > 0))";

// A range on `created_at` (the index), a few seconds wide.
const NEW_LOGS_SQL: &str = "
SELECT cl.id, cl.campaign_id, cl.status, cl.created_at, {picked_up} AS picked_up
  FROM call_logs cl
 WHERE cl.created_at >= $2 AND cl.campaign_id = ANY($1)";

const BROADCAST_COUNTS_SQL: &str = "
SELECT b.id, s.status, s.n
  FROM unnest($1::uuid[]) AS b(id)
 CROSS JOIN LATERAL (
        SELECT q.status, count(*) AS n
          FROM broadcast_queue q
         WHERE q.broadcast_id = b.id
         GROUP BY q.status) s";

// broadcast_queue has no index on updated_at: per broadcast, the `(broadcast_id,
// status)` index yields only the finished entries and the 15-minute filter runs on
// those rows, so only active broadcasts are asked.
const BROADCAST_FINISHED_SQL: &str = "
SELECT b.id AS id, m.second, m.n
  FROM unnest($1::uuid[]) AS b(id)
 CROSS JOIN LATERAL (
        SELECT floor(extract(epoch FROM q.updated_at))::bigint AS second, count(*) AS n
          FROM broadcast_queue q
         WHERE q.broadcast_id = b.id AND {finished}
           AND q.updated_at > now() - interval '15 minutes'
         GROUP BY 1) m";

const CAMPAIGN_COUNTS_SQL: &str = "
SELECT c.id, s.status, s.n
  FROM unnest($1::uuid[]) AS c(id)
 CROSS JOIN LATERAL (
        SELECT dq.status, count(*) AS n
          FROM dialing_queues dq
         WHERE dq.campaign_id = c.id
         GROUP BY dq.status) s";

// call_logs has no status index and grows without bound: counts cover a bounded
// created_at window (PgOptions::campaign_log_window).
const CAMPAIGN_LOG_COUNTS_SQL: &str = "
SELECT cl.campaign_id AS id, cl.status, count(*) AS n,
       count(*) FILTER (WHERE {picked_up}) AS picked_up
  FROM call_logs cl
 WHERE cl.campaign_id = ANY($1)
   AND cl.created_at >= now() - make_interval(secs => $2)
 GROUP BY cl.campaign_id, cl.status";

const CAMPAIGN_CREATED_SQL: &str = "
SELECT cl.campaign_id AS id,
       floor(extract(epoch FROM cl.created_at))::bigint AS second, count(*) AS n
  FROM call_logs cl
 WHERE cl.campaign_id = ANY($1)
   AND cl.created_at > now() - interval '15 minutes'
 GROUP BY 1, 2";

#[derive(FromRow)]
struct HeadRow {
    id: Uuid,
    name: String,
    status: String,
    agent_id: Option<String>,
    marker: String,
}

impl From<HeadRow> for ProgressHead {
    fn from(r: HeadRow) -> Self {
        ProgressHead {
            id: r.id,
            name: r.name,
            status: r.status,
            agent_id: r.agent_id,
            marker: r.marker,
        }
    }
}

#[derive(FromRow)]
struct NewLogRow {
    id: Uuid,
    campaign_id: Option<Uuid>,
    status: String,
    created_at: DateTime<Utc>,
    picked_up: bool,
}

#[derive(FromRow)]
struct StatusCount {
    id: Uuid,
    status: String,
    n: i64,
}

#[derive(FromRow)]
struct LogCount {
    id: Uuid,
    status: String,
    n: i64,
    picked_up: i64,
}

#[derive(FromRow)]
struct SecondRow {
    id: Uuid,
    second: i64,
    n: i64,
}

fn group_counts(rows: Vec<StatusCount>) -> HashMap<Uuid, StatusCounts> {
    let mut by_parent: HashMap<Uuid, StatusCounts> = HashMap::new();
    for r in rows {
        by_parent.entry(r.id).or_default().add(&r.status, r.n);
    }
    by_parent
}

fn by_second(rows: Vec<SecondRow>) -> Vec<SecondCount> {
    rows.into_iter().map(|r| (r.id, r.second, r.n)).collect()
}

impl PgStore {
    pub(super) async fn query_progress_heads(
        &self,
        scope: &Scope,
        logs_since: Option<DateTime<Utc>>,
    ) -> Result<ProgressHeads, sqlx::Error> {
        let s = ScopeSql::new(scope);
        let broadcasts_sql = fill(BROADCAST_HEADS_SQL, &[("scope", &s.per_user("vb"))]);
        let campaigns_sql = fill(CAMPAIGN_HEADS_SQL, &[("scope", &s.core("c"))]);
        let mut tx = self.begin().await?;
        let db_now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
            .persistent(self.persistent())
            .fetch_one(&mut *tx)
            .await?;
        let broadcasts: Vec<HeadRow> = sqlx::query_as(AssertSqlSafe(broadcasts_sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .fetch_all(&mut *tx)
            .await?;
        let campaigns: Vec<HeadRow> = sqlx::query_as(AssertSqlSafe(campaigns_sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .fetch_all(&mut *tx)
            .await?;
        let mut new_logs = Vec::new();
        if let Some(since) = logs_since
            && !campaigns.is_empty()
        {
            let ids: Vec<Uuid> = campaigns.iter().map(|c| c.id).collect();
            let sql = fill(NEW_LOGS_SQL, &[("picked_up", PICKED_UP)]);
            let rows: Vec<NewLogRow> = sqlx::query_as(AssertSqlSafe(sql))
                .persistent(self.persistent())
                .bind(&ids)
                .bind(since)
                .fetch_all(&mut *tx)
                .await?;
            new_logs = rows
                .into_iter()
                .filter_map(|r| {
                    Some(NewCallLog {
                        id: r.id,
                        campaign_id: r.campaign_id?,
                        status: r.status,
                        created_at: r.created_at,
                        picked_up: r.picked_up,
                    })
                })
                .collect();
        }
        tx.commit().await?;
        Ok(ProgressHeads {
            db_now,
            broadcasts: broadcasts.into_iter().map(ProgressHead::from).collect(),
            campaigns: campaigns.into_iter().map(ProgressHead::from).collect(),
            new_logs,
        })
    }

    pub(super) async fn query_progress_recount(
        &self,
        request: &RecountRequest,
    ) -> Result<Recount, sqlx::Error> {
        let mut tx = self.begin().await?;
        let db_now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
            .persistent(self.persistent())
            .fetch_one(&mut *tx)
            .await?;
        let mut recount = Recount {
            db_now,
            ..Recount::default()
        };
        if !request.broadcasts.is_empty() {
            let rows: Vec<StatusCount> = sqlx::query_as(BROADCAST_COUNTS_SQL)
                .persistent(self.persistent())
                .bind(&request.broadcasts)
                .fetch_all(&mut *tx)
                .await?;
            recount.broadcast_counts = group_counts(rows);
        }
        if !request.broadcast_series.is_empty() {
            let sql = fill(BROADCAST_FINISHED_SQL, &[("finished", QUEUE_FINISHED)]);
            let rows: Vec<SecondRow> = sqlx::query_as(AssertSqlSafe(sql))
                .persistent(self.persistent())
                .bind(&request.broadcast_series)
                .fetch_all(&mut *tx)
                .await?;
            recount.broadcast_finished = by_second(rows);
        }
        if !request.campaigns.is_empty() {
            let rows: Vec<StatusCount> = sqlx::query_as(CAMPAIGN_COUNTS_SQL)
                .persistent(self.persistent())
                .bind(&request.campaigns)
                .fetch_all(&mut *tx)
                .await?;
            recount.campaign_counts = group_counts(rows);
        }
        if !request.campaign_logs.is_empty() {
            let sql = fill(CAMPAIGN_LOG_COUNTS_SQL, &[("picked_up", PICKED_UP)]);
            let rows: Vec<LogCount> = sqlx::query_as(AssertSqlSafe(sql))
                .persistent(self.persistent())
                .bind(&request.campaign_logs)
                .bind(self.opts.campaign_log_window.as_secs_f64())
                .fetch_all(&mut *tx)
                .await?;
            let mut logs: HashMap<Uuid, (StatusCounts, i64)> = HashMap::new();
            for r in rows {
                let entry = logs.entry(r.id).or_default();
                entry.0.add(&r.status, r.n);
                entry.1 += r.picked_up;
            }
            recount.campaign_logs = Some(logs);
            let rows: Vec<SecondRow> = sqlx::query_as(CAMPAIGN_CREATED_SQL)
                .persistent(self.persistent())
                .bind(&request.campaign_logs)
                .fetch_all(&mut *tx)
                .await?;
            recount.campaign_created = by_second(rows);
        }
        tx.commit().await?;
        Ok(recount)
    }
}
