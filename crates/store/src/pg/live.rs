//! The live panels: calls in flight and broadcast / campaign progress.
//!
//! Cost notes (quality.md "Performance budgets"): the three big tables are only
//! reached through their indexes — broadcast_queue through `(broadcast_id, status)`
//! and the partial `idx_broadcast_queue_calling`, dialing_queues through its
//! `status` and `campaign_id` indexes, call_logs through `created_at` ranges,
//! `campaign_id` and the partial reconciliation indexes. Per-parent work is written
//! as a LATERAL subquery so each parent is an index probe, whatever the planner
//! thinks of the whole set.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use launchdeck_core::domain::{
    BroadcastProgress, CallSource, CampaignProgress, InFlightCall, InFlightSnapshot, OpenClaim,
    Scope, StatusCounts,
};
use launchdeck_core::in_flight::InFlightDelta;
use sqlx::postgres::Postgres;
use sqlx::{AssertSqlSafe, FromRow, Transaction};
use uuid::Uuid;

use super::PgStore;
use super::rows::{ClaimRow, InFlightRow, per_minute};
use super::scope::{ScopeSql, fill};

/// `q.status NOT IN ('pending', 'calling')`, spelled as three ranges so that the
/// btree on `(broadcast_id, status)` skips the pending and calling entries instead
/// of fetching those rows from the heap only to discard them.
pub(super) const QUEUE_FINISHED: &str = "(q.status < 'calling' \
     OR (q.status > 'calling' AND q.status < 'pending') OR q.status > 'pending')";

const IN_FLIGHT_SQL: &str = "
SELECT 'broadcast_queue' AS source, bq.id, bq.status AS state,
       coalesce(bq.updated_at, bq.created_at, now()) AS since,
       bq.phone_number AS phone, bq.call_sid AS provider_call_id,
       bq.broadcast_id, NULL::uuid AS campaign_id, vb.name AS parent_name,
       coalesce(bq.attempts, 0) AS attempts, coalesce(bq.max_attempts, 1) AS max_attempts,
       false AS redial_hold
  FROM voice_broadcasts vb
  JOIN broadcast_queue bq ON bq.broadcast_id = vb.id AND bq.status = 'calling'
 WHERE true{broadcast_scope}
UNION ALL
SELECT 'call_logs', cl.id, cl.status, cl.created_at, cl.phone_number,
       coalesce(cl.retell_call_id, cl.telnyx_call_control_id), NULL::uuid, cl.campaign_id,
       c.name, 1, 1, cl.provider_reconciliation_required
  FROM call_logs cl
  LEFT JOIN campaigns c ON c.id = cl.campaign_id
 WHERE cl.status IN ('queued', 'ringing')
   AND (cl.created_at >= now() - make_interval(secs => $3)
        OR cl.provider_reconciliation_required){log_scope}
UNION ALL
SELECT 'dialing_queues', dq.id, dq.status, dq.updated_at, dq.phone_number,
       dq.last_provider_call_id, NULL::uuid, dq.campaign_id, c.name,
       dq.attempts, dq.max_attempts, false
  FROM dialing_queues dq
  JOIN campaigns c ON c.id = dq.campaign_id
 WHERE dq.status = 'calling'{dialing_scope}";

// The dialing rows held by a quarantined call_log (the partial reconciliation index);
// the other hold, an open claim, comes with the open claims. Two set reads instead of
// two probes per dialing row.
const HELD_QUEUE_IDS_SQL: &str = "
SELECT DISTINCT cl.provider_reconciliation_queue_id
  FROM call_logs cl
 WHERE cl.provider_reconciliation_required
   AND cl.provider_reconciliation_queue_id IS NOT NULL";

// What started since $3 (database time), for the polls between two full reads: each
// broadcast's `calling` rows updated since then (a range at the end of the partial
// `idx_broadcast_queue_calling (broadcast_id, status, updated_at)`, one probe per
// broadcast) and the call_logs created since then (a range on `created_at`). Dialing
// rows have no index on their update time: they come with the full reads.
const IN_FLIGHT_SINCE_SQL: &str = "
SELECT 'broadcast_queue' AS source, bq.id, bq.status AS state,
       coalesce(bq.updated_at, bq.created_at, now()) AS since,
       bq.phone_number AS phone, bq.call_sid AS provider_call_id,
       bq.broadcast_id, NULL::uuid AS campaign_id, vb.name AS parent_name,
       coalesce(bq.attempts, 0) AS attempts, coalesce(bq.max_attempts, 1) AS max_attempts,
       false AS redial_hold
  FROM voice_broadcasts vb
 CROSS JOIN LATERAL (
        SELECT * FROM broadcast_queue q
         WHERE q.broadcast_id = vb.id AND q.status = 'calling' AND q.updated_at >= $3) bq
 WHERE true{broadcast_scope}
UNION ALL
SELECT 'call_logs', cl.id, cl.status, cl.created_at, cl.phone_number,
       coalesce(cl.retell_call_id, cl.telnyx_call_control_id), NULL::uuid, cl.campaign_id,
       c.name, 1, 1, cl.provider_reconciliation_required
  FROM call_logs cl
  LEFT JOIN campaigns c ON c.id = cl.campaign_id
 WHERE cl.created_at >= $3 AND cl.status IN ('queued', 'ringing'){log_scope}";

const OPEN_CLAIMS_SQL: &str = "
SELECT pdc.id, pdc.status, pdc.claimed_at, pdc.queue_id, pdc.campaign_id, pdc.destination_phone
  FROM provider_dispatch_claims pdc
 WHERE pdc.status IN ('claimed', 'acceptance_unknown'){claim_scope}
 ORDER BY pdc.claimed_at, pdc.id";

const NOW_AND_JOBS_SQL: &str = "
SELECT now() AS db_now,
       (SELECT count(*) FROM provider_reconciliation_jobs j
         WHERE j.state = 'manual_required'{job_scope}) AS manual_required";

const BROADCAST_COUNTS_SQL: &str = "
SELECT vb.id, vb.name, vb.status, s.status AS row_status, s.n
  FROM voice_broadcasts vb
  LEFT JOIN LATERAL (
        SELECT q.status, count(*) AS n
          FROM broadcast_queue q
         WHERE q.broadcast_id = vb.id
         GROUP BY q.status) s ON true
 WHERE vb.status IN ('draft', 'active', 'paused'){scope}
 ORDER BY vb.name, vb.id";

// broadcast_queue has no index on updated_at, so "finished in the last 15 minutes"
// cannot be a range scan. Per broadcast, the `(broadcast_id, status)` index yields
// only the finished entries (QUEUE_FINISHED skips pending and calling), and the
// 15-minute filter runs on those rows. Only `active` broadcasts are read: draft and
// paused ones are not dispatching (their series is all zeros), and each broadcast
// read costs a heap visit per finished row, so the cost follows the finished rows
// of the active broadcasts, never the table.
const BROADCAST_FINISHED_SQL: &str = "
SELECT b.id, m.ago, m.n
  FROM unnest($3::uuid[]) AS b(id)
 CROSS JOIN LATERAL (
        SELECT greatest(0, floor(extract(epoch FROM now() - q.updated_at) / 60))::int AS ago,
               count(*) AS n
          FROM broadcast_queue q
         WHERE q.broadcast_id = b.id AND {finished}
           AND q.updated_at > now() - interval '15 minutes'
         GROUP BY 1) m";

const CAMPAIGNS_SQL: &str = "
SELECT c.id, c.name, c.status, c.agent_id
  FROM campaigns c
 WHERE c.status IN ('draft', 'active', 'paused'){scope}
 ORDER BY c.name, c.id";

const CAMPAIGN_QUEUE_COUNTS_SQL: &str = "
SELECT c.id, s.status, s.n
  FROM unnest($3::uuid[]) AS c(id)
 CROSS JOIN LATERAL (
        SELECT dq.status, count(*) AS n
          FROM dialing_queues dq
         WHERE dq.campaign_id = c.id
         GROUP BY dq.status) s";

// call_logs has no status index and grows without bound: counts cover a bounded
// created_at window (PgOptions::campaign_log_window) so the planner can choose
// between the created_at range and the campaign_id index.
const CAMPAIGN_LOG_COUNTS_SQL: &str = "
SELECT cl.campaign_id AS id, cl.status, count(*) AS n,
       count(*) FILTER (WHERE cl.status = 'answered'
                           OR (cl.status = 'completed' AND cl.duration_seconds > 0)) AS picked_up
  FROM call_logs cl
 WHERE cl.campaign_id = ANY($3::uuid[])
   AND cl.created_at >= now() - make_interval(secs => $4)
 GROUP BY cl.campaign_id, cl.status";

const CAMPAIGN_CALLS_PER_MINUTE_SQL: &str = "
SELECT cl.campaign_id AS id,
       greatest(0, floor(extract(epoch FROM now() - cl.created_at) / 60))::int AS ago,
       count(*) AS n
  FROM call_logs cl
 WHERE cl.campaign_id = ANY($3::uuid[])
   AND cl.created_at > now() - interval '15 minutes'
 GROUP BY 1, 2";

#[derive(FromRow)]
struct NowAndJobs {
    db_now: chrono::DateTime<chrono::Utc>,
    manual_required: i64,
}

#[derive(FromRow)]
struct ParentCount {
    id: Uuid,
    name: String,
    status: String,
    row_status: Option<String>,
    n: Option<i64>,
}

#[derive(FromRow)]
struct MinuteCount {
    id: Uuid,
    ago: i32,
    n: i64,
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
struct CampaignHead {
    id: Uuid,
    name: String,
    status: String,
    agent_id: Option<String>,
}

fn seconds(d: std::time::Duration) -> f64 {
    d.as_secs_f64()
}

/// `(minutes_ago, count)` pairs of each parent.
fn group_minutes(rows: Vec<MinuteCount>) -> HashMap<Uuid, Vec<(i32, i64)>> {
    let mut by_parent: HashMap<Uuid, Vec<(i32, i64)>> = HashMap::new();
    for r in rows {
        by_parent.entry(r.id).or_default().push((r.ago, r.n));
    }
    by_parent
}

fn group_counts(rows: Vec<StatusCount>) -> HashMap<Uuid, StatusCounts> {
    let mut by_parent: HashMap<Uuid, StatusCounts> = HashMap::new();
    for r in rows {
        by_parent.entry(r.id).or_default().add(&r.status, r.n);
    }
    by_parent
}

/// Broadcast rows in listing order with their status counts folded in.
fn fold_broadcasts(rows: Vec<ParentCount>) -> Vec<BroadcastProgress> {
    let mut out: Vec<BroadcastProgress> = Vec::new();
    for r in rows {
        if out.last().is_none_or(|b| b.id != r.id) {
            out.push(BroadcastProgress {
                id: r.id,
                name: r.name,
                status: r.status,
                counts: StatusCounts::default(),
                finished_per_minute: Vec::new(),
            });
        }
        if let (Some(status), Some(n), Some(current)) = (r.row_status, r.n, out.last_mut()) {
            current.counts.add(&status, n);
        }
    }
    out
}

impl PgStore {
    /// The database's clock, the manual jobs and the calls of `calls_sql` (scope
    /// parameters $1 and $2, then `param` as $3), in the transaction `tx`.
    async fn head_and_calls<P>(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        scope: &Scope,
        calls_sql: String,
        param: P,
    ) -> Result<(NowAndJobs, Vec<InFlightCall>), sqlx::Error>
    where
        P: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send + 'static,
    {
        let jobs_sql = fill(
            NOW_AND_JOBS_SQL,
            &[("job_scope", &ScopeSql::new(scope).core("j"))],
        );
        let head: NowAndJobs = sqlx::query_as(AssertSqlSafe(jobs_sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .fetch_one(&mut **tx)
            .await?;
        let rows: Vec<InFlightRow> = sqlx::query_as(AssertSqlSafe(calls_sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .bind(param)
            .fetch_all(&mut **tx)
            .await?;
        let calls = rows
            .into_iter()
            .filter_map(InFlightRow::into_call)
            .collect();
        Ok((head, calls))
    }

    pub(super) async fn query_calls_in_flight(
        &self,
        scope: &Scope,
    ) -> Result<InFlightSnapshot, sqlx::Error> {
        let s = ScopeSql::new(scope);
        let calls_sql = fill(
            IN_FLIGHT_SQL,
            &[
                ("broadcast_scope", &s.per_user("vb")),
                ("log_scope", &s.core_filter_only("cl")),
                ("dialing_scope", &s.core("c")),
            ],
        );
        let claims_sql = fill(OPEN_CLAIMS_SQL, &[("claim_scope", &s.core("pdc"))]);

        let mut tx = self.begin().await?;
        let window = seconds(self.opts.in_flight_log_window);
        let (head, mut calls) = self
            .head_and_calls(&mut tx, scope, calls_sql, window)
            .await?;
        let claims: Vec<ClaimRow> = sqlx::query_as(AssertSqlSafe(claims_sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .fetch_all(&mut *tx)
            .await?;
        let held: Vec<Uuid> = sqlx::query_scalar(HELD_QUEUE_IDS_SQL)
            .persistent(self.persistent())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;

        let mut held: HashSet<Uuid> = held.into_iter().collect();
        held.extend(claims.iter().filter_map(|c| c.queue_id));
        for call in &mut calls {
            if call.source == CallSource::DialingQueues && held.contains(&call.id) {
                call.redial_hold = true;
            }
        }
        Ok(InFlightSnapshot {
            db_now: head.db_now,
            calls,
            open_claims: claims.into_iter().map(OpenClaim::from).collect(),
            manual_required_jobs: head.manual_required,
        })
    }

    pub(super) async fn query_in_flight_since(
        &self,
        scope: &Scope,
        since: DateTime<Utc>,
    ) -> Result<InFlightDelta, sqlx::Error> {
        let s = ScopeSql::new(scope);
        let calls_sql = fill(
            IN_FLIGHT_SINCE_SQL,
            &[
                ("broadcast_scope", &s.per_user("vb")),
                ("log_scope", &s.core_filter_only("cl")),
            ],
        );
        let mut tx = self.begin().await?;
        let (head, calls) = self
            .head_and_calls(&mut tx, scope, calls_sql, since)
            .await?;
        tx.commit().await?;
        Ok(InFlightDelta {
            db_now: head.db_now,
            calls,
            manual_required_jobs: head.manual_required,
        })
    }

    pub(super) async fn query_broadcast_progress(
        &self,
        scope: &Scope,
    ) -> Result<Vec<BroadcastProgress>, sqlx::Error> {
        let s = ScopeSql::new(scope);
        let counts_sql = fill(BROADCAST_COUNTS_SQL, &[("scope", &s.per_user("vb"))]);
        let finished_sql = fill(BROADCAST_FINISHED_SQL, &[("finished", QUEUE_FINISHED)]);

        let mut tx = self.begin().await?;
        let rows: Vec<ParentCount> = sqlx::query_as(AssertSqlSafe(counts_sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .fetch_all(&mut *tx)
            .await?;
        let mut broadcasts = fold_broadcasts(rows);
        let ids: Vec<Uuid> = broadcasts
            .iter()
            .filter(|b| b.status == "active")
            .map(|b| b.id)
            .collect();
        let minutes: Vec<MinuteCount> = sqlx::query_as(AssertSqlSafe(finished_sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;

        let mut minutes = group_minutes(minutes);
        for b in &mut broadcasts {
            b.finished_per_minute = per_minute(minutes.remove(&b.id).unwrap_or_default());
        }
        Ok(broadcasts)
    }

    pub(super) async fn query_campaign_progress(
        &self,
        scope: &Scope,
    ) -> Result<Vec<CampaignProgress>, sqlx::Error> {
        let s = ScopeSql::new(scope);
        let heads_sql = fill(CAMPAIGNS_SQL, &[("scope", &s.core("c"))]);

        let mut tx = self.begin().await?;
        let heads: Vec<CampaignHead> = sqlx::query_as(AssertSqlSafe(heads_sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .fetch_all(&mut *tx)
            .await?;
        let ids: Vec<Uuid> = heads.iter().map(|c| c.id).collect();
        let queue: Vec<StatusCount> = sqlx::query_as(CAMPAIGN_QUEUE_COUNTS_SQL)
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
        let logs: Vec<LogCount> = sqlx::query_as(CAMPAIGN_LOG_COUNTS_SQL)
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .bind(&ids)
            .bind(seconds(self.opts.campaign_log_window))
            .fetch_all(&mut *tx)
            .await?;
        let minutes: Vec<MinuteCount> = sqlx::query_as(CAMPAIGN_CALLS_PER_MINUTE_SQL)
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;

        let mut queue = group_counts(queue);
        let mut minutes = group_minutes(minutes);
        let mut log_counts: HashMap<Uuid, (StatusCounts, i64)> = HashMap::new();
        for r in logs {
            let entry = log_counts.entry(r.id).or_default();
            entry.0.add(&r.status, r.n);
            entry.1 += r.picked_up;
        }
        Ok(heads
            .into_iter()
            .map(|c| {
                let (log_counts, log_picked_up) = log_counts.remove(&c.id).unwrap_or_default();
                CampaignProgress {
                    queue_counts: queue.remove(&c.id).unwrap_or_default(),
                    log_counts,
                    log_picked_up,
                    calls_per_minute: per_minute(minutes.remove(&c.id).unwrap_or_default()),
                    id: c.id,
                    name: c.name,
                    status: c.status,
                    agent_id: c.agent_id,
                }
            })
            .collect())
    }
}
