//! The live panels: calls in flight and broadcast / campaign progress, with the
//! PostgreSQL store's semantics (same sources, holds, windows and ordering).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use launchdeck_core::domain::{
    BroadcastProgress, CallSource, CampaignProgress, InFlightCall, InFlightSnapshot, OpenClaim,
    PerMinute, Scope, StatusCounts,
};
use launchdeck_core::in_flight::InFlightDelta;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Sqlite, Transaction};
use uuid::Uuid;

use super::SqliteStore;
use super::error::QueryError;
use super::scope::{ScopeSql, fill, scope_params};
use super::values::{Cols, now_micros, timestamp};

/// The per-minute series covers this many minutes, ending with the current one.
pub(crate) const MINUTES: usize = 15;

const IN_FLIGHT_SQL: &str = "
SELECT 'broadcast_queue' AS source, bq.id AS id, bq.status AS state,
       coalesce(bq.updated_at, bq.created_at, $3) AS since,
       bq.phone_number AS phone, bq.call_sid AS provider_call_id,
       bq.broadcast_id, NULL AS campaign_id, vb.name AS parent_name,
       coalesce(bq.attempts, 0) AS attempts, coalesce(bq.max_attempts, 1) AS max_attempts,
       0 AS redial_hold
  FROM voice_broadcasts vb
  JOIN broadcast_queue bq ON bq.broadcast_id = vb.id AND bq.status = 'calling'
 WHERE 1{broadcast_scope}
UNION ALL
SELECT 'call_logs', cl.id, cl.status, cl.created_at, cl.phone_number,
       coalesce(cl.retell_call_id, cl.telnyx_call_control_id), NULL, cl.campaign_id,
       c.name, 1, 1, cl.provider_reconciliation_required
  FROM call_logs cl
  LEFT JOIN campaigns c ON c.id = cl.campaign_id
 WHERE cl.status IN ('queued', 'ringing')
   AND (cl.created_at >= $4 OR cl.provider_reconciliation_required){log_scope}
UNION ALL
SELECT 'dialing_queues', dq.id, dq.status, dq.updated_at, dq.phone_number,
       dq.last_provider_call_id, NULL, dq.campaign_id, c.name,
       dq.attempts, dq.max_attempts,
       EXISTS (SELECT 1 FROM provider_dispatch_claims pdc
                WHERE pdc.queue_id = dq.id AND pdc.status IN ('claimed', 'acceptance_unknown'))
       OR EXISTS (SELECT 1 FROM call_logs hold
                   WHERE hold.provider_reconciliation_queue_id = dq.id
                     AND hold.provider_reconciliation_required)
  FROM dialing_queues dq
  JOIN campaigns c ON c.id = dq.campaign_id
 WHERE dq.status = 'calling'{dialing_scope}
 ORDER BY since, id";

// What started since $3: the PostgreSQL store's delta (see pg/live.rs).
const IN_FLIGHT_SINCE_SQL: &str = "
SELECT 'broadcast_queue' AS source, bq.id AS id, bq.status AS state,
       coalesce(bq.updated_at, bq.created_at) AS since,
       bq.phone_number AS phone, bq.call_sid AS provider_call_id,
       bq.broadcast_id, NULL AS campaign_id, vb.name AS parent_name,
       coalesce(bq.attempts, 0) AS attempts, coalesce(bq.max_attempts, 1) AS max_attempts,
       0 AS redial_hold
  FROM voice_broadcasts vb
  JOIN broadcast_queue bq ON bq.broadcast_id = vb.id AND bq.status = 'calling'
                         AND bq.updated_at >= $3
 WHERE 1{broadcast_scope}
UNION ALL
SELECT 'call_logs', cl.id, cl.status, cl.created_at, cl.phone_number,
       coalesce(cl.retell_call_id, cl.telnyx_call_control_id), NULL, cl.campaign_id,
       c.name, 1, 1, cl.provider_reconciliation_required
  FROM call_logs cl
  LEFT JOIN campaigns c ON c.id = cl.campaign_id
 WHERE cl.created_at >= $3 AND cl.status IN ('queued', 'ringing'){log_scope}
 ORDER BY since, id";

const OPEN_CLAIMS_SQL: &str = "
SELECT pdc.id, pdc.status, pdc.claimed_at, pdc.queue_id, pdc.campaign_id, pdc.destination_phone
  FROM provider_dispatch_claims pdc
 WHERE pdc.status IN ('claimed', 'acceptance_unknown'){claim_scope}
 ORDER BY pdc.claimed_at, pdc.id";

const MANUAL_JOBS_SQL: &str = "
SELECT count(*) FROM provider_reconciliation_jobs j
 WHERE j.state = 'manual_required'{job_scope}";

const BROADCAST_COUNTS_SQL: &str = "
SELECT vb.id, vb.name, vb.status, q.status AS row_status, count(q.id) AS n
  FROM voice_broadcasts vb
  LEFT JOIN broadcast_queue q ON q.broadcast_id = vb.id
 WHERE vb.status IN ('draft', 'active', 'paused'){scope}
 GROUP BY vb.id, q.status
 ORDER BY vb.name, vb.id, q.status";

// Finished rows of the active broadcasts (only there do rows finish) changed in the
// last 15 minutes, through the (broadcast_id, updated_at) index; bucketed by minute
// in Rust.
const BROADCAST_FINISHED_SQL: &str = "
SELECT q.broadcast_id AS parent_id, q.updated_at AS at
  FROM voice_broadcasts vb
  JOIN broadcast_queue q ON q.broadcast_id = vb.id
 WHERE vb.status = 'active'{scope}
   AND q.updated_at > $3
   AND q.status NOT IN ('pending', 'calling')";

const CAMPAIGNS_SQL: &str = "
SELECT c.id, c.name, c.status, c.agent_id
  FROM campaigns c
 WHERE c.status IN ('draft', 'active', 'paused'){scope}
 ORDER BY c.name, c.id";

const CAMPAIGN_QUEUE_COUNTS_SQL: &str = "
SELECT dq.campaign_id AS parent_id, dq.status, count(*) AS n
  FROM campaigns c
  JOIN dialing_queues dq ON dq.campaign_id = c.id
 WHERE c.status IN ('draft', 'active', 'paused'){scope}
 GROUP BY dq.campaign_id, dq.status";

const CAMPAIGN_LOG_COUNTS_SQL: &str = "
SELECT cl.campaign_id AS parent_id, cl.status, count(*) AS n,
       sum(cl.status = 'answered'
           OR (cl.status = 'completed' AND cl.duration_seconds > 0)) AS picked_up
  FROM campaigns c
  JOIN call_logs cl ON cl.campaign_id = c.id
 WHERE c.status IN ('draft', 'active', 'paused'){scope}
   AND cl.created_at >= $3
 GROUP BY cl.campaign_id, cl.status";

const CAMPAIGN_CALLS_SQL: &str = "
SELECT cl.campaign_id AS parent_id, cl.created_at AS at
  FROM campaigns c
  JOIN call_logs cl ON cl.campaign_id = c.id
 WHERE c.status IN ('draft', 'active', 'paused'){scope}
   AND cl.created_at > $3";

/// Whole minutes between `at` and `now`; a future `at` counts as this minute.
fn minutes_ago(at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    ((now - at).num_seconds() / 60).max(0)
}

/// A 15-slot series, oldest first, ending with the minute up to `now`.
fn per_minute(times: &[DateTime<Utc>], now: DateTime<Utc>) -> PerMinute {
    let mut series = vec![0u64; MINUTES];
    for at in times {
        if let Ok(ago) = usize::try_from(minutes_ago(*at, now))
            && ago < MINUTES
        {
            series[MINUTES - 1 - ago] += 1;
        }
    }
    series
}

fn window_start(now: DateTime<Utc>, window: std::time::Duration) -> String {
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    timestamp(
        now.checked_sub_signed(window)
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
    )
}

fn fifteen_minutes_before(now: DateTime<Utc>) -> String {
    timestamp(now - chrono::Duration::minutes(MINUTES as i64))
}

fn call_source(name: &str) -> Option<CallSource> {
    match name {
        "broadcast_queue" => Some(CallSource::BroadcastQueue),
        "call_logs" => Some(CallSource::CallLogs),
        "dialing_queues" => Some(CallSource::DialingQueues),
        _ => None,
    }
}

fn in_flight_call(row: &SqliteRow) -> Result<Option<InFlightCall>, QueryError> {
    let c = Cols::new(row, "calls in flight");
    let Some(source) = call_source(&c.text("source")?) else {
        return Ok(None);
    };
    Ok(Some(InFlightCall {
        source,
        id: c.uuid("id")?,
        state: c.text("state")?,
        since: c.timestamp("since")?,
        phone: c.text("phone")?,
        provider_call_id: c.opt_text("provider_call_id")?,
        broadcast_id: c.opt_uuid("broadcast_id")?,
        campaign_id: c.opt_uuid("campaign_id")?,
        parent_name: c.opt_text("parent_name")?,
        attempts: c.i32_or("attempts", 0)?,
        max_attempts: c.i32_or("max_attempts", 1)?,
        redial_hold: c.bool_or("redial_hold", false)?,
    }))
}

fn open_claim(row: &SqliteRow) -> Result<OpenClaim, QueryError> {
    let c = Cols::new(row, "provider_dispatch_claims");
    Ok(OpenClaim {
        id: c.uuid("id")?,
        status: c.text("status")?,
        claimed_at: c.timestamp("claimed_at")?,
        queue_id: c.opt_uuid("queue_id")?,
        campaign_id: c.opt_uuid("campaign_id")?,
        destination_phone: c.opt_text("destination_phone")?,
    })
}

/// `(parent id, time)` rows grouped by parent.
fn times_by_parent(
    rows: &[SqliteRow],
    table: &'static str,
) -> Result<HashMap<Uuid, Vec<DateTime<Utc>>>, QueryError> {
    let mut by_parent: HashMap<Uuid, Vec<DateTime<Utc>>> = HashMap::new();
    for row in rows {
        let c = Cols::new(row, table);
        by_parent
            .entry(c.uuid("parent_id")?)
            .or_default()
            .push(c.timestamp("at")?);
    }
    Ok(by_parent)
}

fn counts_by_parent(
    rows: &[SqliteRow],
    table: &'static str,
) -> Result<HashMap<Uuid, StatusCounts>, QueryError> {
    let mut by_parent: HashMap<Uuid, StatusCounts> = HashMap::new();
    for row in rows {
        let c = Cols::new(row, table);
        by_parent
            .entry(c.uuid("parent_id")?)
            .or_default()
            .add(&c.text("status")?, c.i64("n")?);
    }
    Ok(by_parent)
}

/// Broadcast rows in listing order with their status counts folded in.
fn fold_broadcasts(rows: &[SqliteRow]) -> Result<Vec<BroadcastProgress>, QueryError> {
    let mut out: Vec<BroadcastProgress> = Vec::new();
    for row in rows {
        let c = Cols::new(row, "voice_broadcasts");
        let id = c.uuid("id")?;
        if out.last().is_none_or(|b| b.id != id) {
            out.push(BroadcastProgress {
                id,
                name: c.text("name")?,
                status: c.text("status")?,
                counts: StatusCounts::default(),
                finished_per_minute: Vec::new(),
            });
        }
        if let (Some(status), Some(current)) = (c.opt_text("row_status")?, out.last_mut()) {
            current.counts.add(&status, c.i64("n")?);
        }
    }
    Ok(out)
}

impl SqliteStore {
    /// The manual jobs and the calls of `calls_sql` (scope parameters $1 and $2, then
    /// `params` from $3), in the transaction `tx`.
    async fn jobs_and_calls(
        tx: &mut Transaction<'static, Sqlite>,
        scope: &Scope,
        calls_sql: String,
        params: &[String],
    ) -> Result<(i64, Vec<InFlightCall>), QueryError> {
        let (user, org) = scope_params(scope);
        let jobs_sql = fill(
            MANUAL_JOBS_SQL,
            &[("job_scope", &ScopeSql::new(scope).core("j"))],
        );
        let manual_required_jobs: i64 = sqlx::query_scalar(AssertSqlSafe(jobs_sql))
            .bind(&user)
            .bind(&org)
            .fetch_one(&mut **tx)
            .await?;
        let mut query = sqlx::query(AssertSqlSafe(calls_sql)).bind(&user).bind(&org);
        for param in params {
            query = query.bind(param);
        }
        let call_rows = query.fetch_all(&mut **tx).await?;
        let mut calls = Vec::with_capacity(call_rows.len());
        for row in &call_rows {
            calls.extend(in_flight_call(row)?);
        }
        Ok((manual_required_jobs, calls))
    }

    pub(super) async fn query_calls_in_flight(
        &self,
        scope: &Scope,
    ) -> Result<InFlightSnapshot, QueryError> {
        let s = ScopeSql::new(scope);
        let (user, org) = scope_params(scope);
        let calls_sql = fill(
            IN_FLIGHT_SQL,
            &[
                ("broadcast_scope", &s.per_user("vb")),
                ("log_scope", &s.core("cl")),
                ("dialing_scope", &s.core("c")),
            ],
        );
        let claims_sql = fill(OPEN_CLAIMS_SQL, &[("claim_scope", &s.core("pdc"))]);
        let db_now = now_micros();
        let params = [
            timestamp(db_now),
            window_start(db_now, self.opts.in_flight_log_window),
        ];

        let mut tx = self.begin().await?;
        let (manual_required_jobs, calls) =
            Self::jobs_and_calls(&mut tx, scope, calls_sql, &params).await?;
        let claim_rows = sqlx::query(AssertSqlSafe(claims_sql))
            .bind(&user)
            .bind(&org)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;

        Ok(InFlightSnapshot {
            db_now,
            calls,
            open_claims: claim_rows
                .iter()
                .map(open_claim)
                .collect::<Result<_, _>>()?,
            manual_required_jobs,
        })
    }

    pub(super) async fn query_in_flight_since(
        &self,
        scope: &Scope,
        since: DateTime<Utc>,
    ) -> Result<InFlightDelta, QueryError> {
        let s = ScopeSql::new(scope);
        let calls_sql = fill(
            IN_FLIGHT_SINCE_SQL,
            &[
                ("broadcast_scope", &s.per_user("vb")),
                ("log_scope", &s.core("cl")),
            ],
        );
        let db_now = now_micros();
        let mut tx = self.begin().await?;
        let (manual_required_jobs, calls) =
            Self::jobs_and_calls(&mut tx, scope, calls_sql, &[timestamp(since)]).await?;
        tx.commit().await?;
        Ok(InFlightDelta {
            db_now,
            calls,
            manual_required_jobs,
        })
    }

    pub(super) async fn query_broadcast_progress(
        &self,
        scope: &Scope,
    ) -> Result<Vec<BroadcastProgress>, QueryError> {
        let scope_sql = ScopeSql::new(scope).per_user("vb");
        let (user, org) = scope_params(scope);
        let counts_sql = fill(BROADCAST_COUNTS_SQL, &[("scope", &scope_sql)]);
        let finished_sql = fill(BROADCAST_FINISHED_SQL, &[("scope", &scope_sql)]);
        let db_now = now_micros();

        let mut tx = self.begin().await?;
        let count_rows = sqlx::query(AssertSqlSafe(counts_sql))
            .bind(&user)
            .bind(&org)
            .fetch_all(&mut *tx)
            .await?;
        let finished_rows = sqlx::query(AssertSqlSafe(finished_sql))
            .bind(&user)
            .bind(&org)
            .bind(fifteen_minutes_before(db_now))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;

        let mut broadcasts = fold_broadcasts(&count_rows)?;
        let finished = times_by_parent(&finished_rows, "broadcast_queue")?;
        for b in &mut broadcasts {
            let times = finished.get(&b.id).map(Vec::as_slice).unwrap_or(&[]);
            b.finished_per_minute = per_minute(times, db_now);
        }
        Ok(broadcasts)
    }

    pub(super) async fn query_campaign_progress(
        &self,
        scope: &Scope,
    ) -> Result<Vec<CampaignProgress>, QueryError> {
        let scope_sql = ScopeSql::new(scope).core("c");
        let (user, org) = scope_params(scope);
        let with_scope = |template: &str| fill(template, &[("scope", &scope_sql)]);
        let db_now = now_micros();

        let mut tx = self.begin().await?;
        let heads = sqlx::query(AssertSqlSafe(with_scope(CAMPAIGNS_SQL)))
            .bind(&user)
            .bind(&org)
            .fetch_all(&mut *tx)
            .await?;
        let queue = sqlx::query(AssertSqlSafe(with_scope(CAMPAIGN_QUEUE_COUNTS_SQL)))
            .bind(&user)
            .bind(&org)
            .fetch_all(&mut *tx)
            .await?;
        let logs = sqlx::query(AssertSqlSafe(with_scope(CAMPAIGN_LOG_COUNTS_SQL)))
            .bind(&user)
            .bind(&org)
            .bind(window_start(db_now, self.opts.campaign_log_window))
            .fetch_all(&mut *tx)
            .await?;
        let calls = sqlx::query(AssertSqlSafe(with_scope(CAMPAIGN_CALLS_SQL)))
            .bind(&user)
            .bind(&org)
            .bind(fifteen_minutes_before(db_now))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;

        let mut queue = counts_by_parent(&queue, "dialing_queues")?;
        let mut log_counts = counts_by_parent(&logs, "call_logs")?;
        let mut picked_up: HashMap<Uuid, i64> = HashMap::new();
        for row in &logs {
            let c = Cols::new(row, "call_logs");
            *picked_up.entry(c.uuid("parent_id")?).or_default() += c.i64("picked_up")?;
        }
        let calls = times_by_parent(&calls, "call_logs")?;

        let mut out = Vec::with_capacity(heads.len());
        for row in &heads {
            let c = Cols::new(row, "campaigns");
            let id = c.uuid("id")?;
            let times = calls.get(&id).map(Vec::as_slice).unwrap_or(&[]);
            out.push(CampaignProgress {
                id,
                name: c.text("name")?,
                status: c.text("status")?,
                agent_id: c.opt_text("agent_id")?,
                queue_counts: queue.remove(&id).unwrap_or_default(),
                log_counts: log_counts.remove(&id).unwrap_or_default(),
                log_picked_up: picked_up.get(&id).copied().unwrap_or(0),
                calls_per_minute: per_minute(times, db_now),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn per_minute_is_oldest_first_and_ends_now() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let ago = |secs: i64| now - chrono::Duration::seconds(secs);
        let times = [
            ago(0),
            ago(59),
            ago(60),
            ago(14 * 60 + 59),
            ago(15 * 60),
            ago(-30),
        ];
        let series = per_minute(&times, now);
        assert_eq!(series.len(), MINUTES);
        assert_eq!(series[14], 3, "now, 59 s ago and the future row");
        assert_eq!(series[13], 1);
        assert_eq!(series[0], 1);
        assert_eq!(series.iter().sum::<u64>(), 5);
    }

    #[test]
    fn windows_are_stored_timestamps() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        assert_eq!(fifteen_minutes_before(now), "2026-11-24T11:45:00.000000Z");
        assert_eq!(
            window_start(now, std::time::Duration::from_secs(3600)),
            "2026-11-24T11:00:00.000000Z"
        );
        assert_eq!(
            window_start(now, std::time::Duration::MAX),
            timestamp(DateTime::<Utc>::MIN_UTC)
        );
    }
}
