//! The live panels: calls in flight and broadcast / campaign progress, with the
//! PostgreSQL store's semantics (same sources, holds, windows and ordering).

use chrono::{DateTime, Utc};
use launchdeck_core::domain::{CallSource, InFlightCall, InFlightSnapshot, OpenClaim, Scope};
use launchdeck_core::in_flight::{
    CHECK_LOG_CATCH_UP, CallState, CallVersion, InFlightCheck, InFlightDelta, KnownInFlight,
    QueuePart, QueueSummary,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Sqlite, Transaction};
use uuid::Uuid;

use super::SqliteStore;
use super::error::QueryError;
use super::values::scope_params;
use super::values::{Cols, id_list, now_micros, timestamp};
use crate::checks::with_age_classes;
use crate::scope::{ScopeSql, fill, fill_sources};

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
 WHERE vb.status = 'active' AND vb.updated_at >= $3{broadcast_scope}
UNION ALL
SELECT 'call_logs', cl.id, cl.status, cl.created_at, cl.phone_number,
       coalesce(cl.retell_call_id, cl.telnyx_call_control_id), NULL, cl.campaign_id,
       c.name, 1, 1, cl.provider_reconciliation_required
  FROM call_logs cl
  LEFT JOIN campaigns c ON c.id = cl.campaign_id
 WHERE cl.created_at >= $3 AND cl.status IN ('queued', 'ringing'){log_scope}
 ORDER BY since, id";

// A check (see pg/live.rs): ids and versions of what is in flight; the known call
// logs by id ($4), those created since $5, and the quarantined ones.
// A check: the queue rows summed up per part (age classes from $3..$6), then the
// versions of the calling rows of every parent with a part whose summary moved ($6
// broadcasts, $7 campaigns): more than PostgreSQL lists, never less.
const QUEUE_SUMMARIES_SQL: &str = "
SELECT 'broadcast_queue' AS source, bq.broadcast_id AS parent, {bq_age} AS age,
       count(*) AS calls, max(bq.updated_at) AS newest
  FROM voice_broadcasts vb
  JOIN broadcast_queue bq ON bq.broadcast_id = vb.id AND bq.status = 'calling'
 WHERE 1{broadcast_scope}
 GROUP BY bq.broadcast_id, 3
UNION ALL
SELECT 'dialing_queues', dq.campaign_id, {dq_age}, count(*), max(dq.updated_at)
  FROM dialing_queues dq
  JOIN campaigns c ON c.id = dq.campaign_id
 WHERE dq.status = 'calling'{dialing_scope}
 GROUP BY dq.campaign_id, 3";

const IN_FLIGHT_CHECK_SQL: &str = "
SELECT 'broadcast_queue' AS source, bq.id AS id, bq.status AS state,
       coalesce(bq.updated_at, bq.created_at, $3) AS since
  FROM voice_broadcasts vb
  JOIN broadcast_queue bq ON bq.broadcast_id = vb.id AND bq.status = 'calling'
 WHERE vb.id IN (SELECT value FROM json_each($6)){broadcast_scope}
UNION ALL
SELECT 'call_logs', cl.id, cl.status, cl.created_at
  FROM call_logs cl
 WHERE cl.status IN ('queued', 'ringing')
   AND (cl.id IN (SELECT value FROM json_each($4)) OR cl.created_at >= $5
        OR cl.provider_reconciliation_required){log_scope}
UNION ALL
SELECT 'dialing_queues', dq.id, dq.status, dq.updated_at
  FROM dialing_queues dq
  JOIN campaigns c ON c.id = dq.campaign_id
 WHERE dq.status = 'calling'
   AND dq.campaign_id IN (SELECT value FROM json_each($7)){dialing_scope}";

const HELD_QUEUE_IDS_SQL: &str = "
SELECT DISTINCT cl.provider_reconciliation_queue_id AS id
  FROM call_logs cl
 WHERE cl.provider_reconciliation_required
   AND cl.provider_reconciliation_queue_id IS NOT NULL";

// Rows by id ($4 broadcast_queue, $5 call_logs, $6 dialing_queues), whatever their
// status ($3: now).
const CALL_STATES_SQL: &str = "
SELECT 'broadcast_queue' AS source, bq.id AS id, bq.status AS state,
       coalesce(bq.updated_at, bq.created_at, $3) AS since,
       bq.phone_number AS phone, bq.call_sid AS provider_call_id,
       bq.broadcast_id, NULL AS campaign_id, vb.name AS parent_name,
       coalesce(bq.attempts, 0) AS attempts, coalesce(bq.max_attempts, 1) AS max_attempts,
       0 AS redial_hold, bq.status = 'calling' AS in_flight, 0 AS picked_up,
       coalesce(bq.updated_at, $3) AS changed_at
  FROM broadcast_queue bq
  JOIN voice_broadcasts vb ON vb.id = bq.broadcast_id
 WHERE bq.id IN (SELECT value FROM json_each($4)){broadcast_scope}
UNION ALL
SELECT 'call_logs', cl.id, cl.status, cl.created_at, cl.phone_number,
       coalesce(cl.retell_call_id, cl.telnyx_call_control_id), NULL, cl.campaign_id,
       c.name, 1, 1, cl.provider_reconciliation_required,
       cl.status IN ('queued', 'ringing'),
       cl.status = 'answered' OR (cl.status = 'completed' AND cl.duration_seconds > 0),
       coalesce(cl.ended_at, $3)
  FROM call_logs cl
  LEFT JOIN campaigns c ON c.id = cl.campaign_id
 WHERE cl.id IN (SELECT value FROM json_each($5)){log_scope}
UNION ALL
SELECT 'dialing_queues', dq.id, dq.status, dq.updated_at, dq.phone_number,
       dq.last_provider_call_id, NULL, dq.campaign_id, c.name,
       dq.attempts, dq.max_attempts, 0, dq.status = 'calling', 0, dq.updated_at
  FROM dialing_queues dq
  JOIN campaigns c ON c.id = dq.campaign_id
 WHERE dq.id IN (SELECT value FROM json_each($6)){dialing_scope}";

const OPEN_CLAIMS_SQL: &str = "
SELECT pdc.id, pdc.status, pdc.claimed_at, pdc.queue_id, pdc.campaign_id, pdc.destination_phone
  FROM provider_dispatch_claims pdc
 WHERE pdc.status IN ('claimed', 'acceptance_unknown'){claim_scope}
 ORDER BY pdc.claimed_at, pdc.id";

const MANUAL_JOBS_SQL: &str = "
SELECT count(*) FROM provider_reconciliation_jobs j
 WHERE j.state = 'manual_required'{job_scope}";

pub(super) fn window_start(now: DateTime<Utc>, window: std::time::Duration) -> String {
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    timestamp(
        now.checked_sub_signed(window)
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
    )
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

impl SqliteStore {
    /// The open dispatch claims, in the transaction `tx`.
    async fn open_claims(
        tx: &mut Transaction<'static, Sqlite>,
        scope: &Scope,
    ) -> Result<Vec<OpenClaim>, QueryError> {
        let (user, org) = scope_params(scope);
        let sql = fill(
            OPEN_CLAIMS_SQL,
            &[("claim_scope", &ScopeSql::new(scope).core("pdc"))],
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(&user)
            .bind(&org)
            .fetch_all(&mut **tx)
            .await?;
        rows.iter().map(open_claim).collect()
    }

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
        let calls_sql = fill_sources(IN_FLIGHT_SQL, scope);
        let db_now = now_micros();
        let params = [
            timestamp(db_now),
            window_start(db_now, self.opts.in_flight_log_window),
        ];

        let mut tx = self.begin().await?;
        let (manual_required_jobs, calls) =
            Self::jobs_and_calls(&mut tx, scope, calls_sql, &params).await?;
        let open_claims = Self::open_claims(&mut tx, scope).await?;
        tx.commit().await?;

        Ok(InFlightSnapshot {
            db_now,
            calls,
            open_claims,
            manual_required_jobs,
        })
    }

    pub(super) async fn query_in_flight_check(
        &self,
        scope: &Scope,
        known: &KnownInFlight,
    ) -> Result<InFlightCheck, QueryError> {
        let s = ScopeSql::new(scope);
        let (user, org) = scope_params(scope);
        let summaries_sql = with_age_classes(&fill_sources(QUEUE_SUMMARIES_SQL, scope));
        let versions_sql = fill_sources(IN_FLIGHT_CHECK_SQL, scope);
        let jobs_sql = fill(MANUAL_JOBS_SQL, &[("job_scope", &s.core("j"))]);
        let db_now = now_micros();

        let mut tx = self.begin().await?;
        let manual_required_jobs: i64 = sqlx::query_scalar(AssertSqlSafe(jobs_sql))
            .bind(&user)
            .bind(&org)
            .fetch_one(&mut *tx)
            .await?;
        let mut summaries = sqlx::query(AssertSqlSafe(summaries_sql))
            .bind(&user)
            .bind(&org);
        for bound in known.ages.bounds {
            summaries = summaries.bind(timestamp(bound));
        }
        let summary_rows = summaries.fetch_all(&mut *tx).await?;
        let plan = known.plan(&queue_summaries(&summary_rows)?);
        let parents = |source| id_list(&plan.listed_parents(source));
        let version_rows = sqlx::query(AssertSqlSafe(versions_sql))
            .bind(&user)
            .bind(&org)
            .bind(timestamp(db_now))
            .bind(id_list(&known.call_logs))
            .bind(window_start(db_now, CHECK_LOG_CATCH_UP))
            .bind(parents(CallSource::BroadcastQueue))
            .bind(parents(CallSource::DialingQueues))
            .fetch_all(&mut *tx)
            .await?;
        let open_claims = Self::open_claims(&mut tx, scope).await?;
        let held_rows = sqlx::query(HELD_QUEUE_IDS_SQL).fetch_all(&mut *tx).await?;
        tx.commit().await?;

        let mut present = Vec::with_capacity(version_rows.len());
        for row in &version_rows {
            let c = Cols::new(row, "calls in flight");
            if let Some(source) = call_source(&c.text("source")?) {
                present.push(CallVersion {
                    source,
                    id: c.uuid("id")?,
                    state: c.text("state")?,
                    since: c.timestamp("since")?,
                });
            }
        }
        Ok(InFlightCheck {
            db_now,
            present,
            ages: known.ages,
            unchanged: plan.unchanged,
            // Always listed here: a small database, and more than needed is never wrong.
            open_claims: Some(open_claims),
            held_queue_ids: held_rows
                .iter()
                .map(|row| Cols::new(row, "call_logs").uuid("id"))
                .collect::<Result<_, _>>()?,
            manual_required_jobs,
        })
    }

    pub(super) async fn query_call_states(
        &self,
        scope: &Scope,
        ids: &[(CallSource, Uuid)],
    ) -> Result<Vec<CallState>, QueryError> {
        let of = |source: CallSource| -> String {
            let ids: Vec<Uuid> = ids
                .iter()
                .filter(|(s, _)| *s == source)
                .map(|(_, id)| *id)
                .collect();
            id_list(&ids)
        };
        let (user, org) = scope_params(scope);
        let sql = fill_sources(CALL_STATES_SQL, scope);
        let mut tx = self.begin().await?;
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(&user)
            .bind(&org)
            .bind(timestamp(now_micros()))
            .bind(of(CallSource::BroadcastQueue))
            .bind(of(CallSource::CallLogs))
            .bind(of(CallSource::DialingQueues))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut states = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(call) = in_flight_call(row)? else {
                continue;
            };
            let c = Cols::new(row, "calls by id");
            let parent = call.parent();
            states.push(CallState {
                source: call.source,
                id: call.id,
                parent,
                status: call.state.clone(),
                at: c.timestamp("changed_at")?,
                picked_up: c.bool_or("picked_up", false)?,
                call: c.bool_or("in_flight", false)?.then_some(call),
            });
        }
        Ok(states)
    }

    pub(super) async fn query_in_flight_since(
        &self,
        scope: &Scope,
        since: DateTime<Utc>,
    ) -> Result<InFlightDelta, QueryError> {
        let calls_sql = fill_sources(IN_FLIGHT_SINCE_SQL, scope);
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
}

fn queue_summaries(rows: &[SqliteRow]) -> Result<Vec<QueueSummary>, QueryError> {
    let mut summaries = Vec::with_capacity(rows.len());
    for row in rows {
        let c = Cols::new(row, "calls in flight");
        if let Some(source) = call_source(&c.text("source")?) {
            summaries.push(QueueSummary {
                part: QueuePart {
                    source,
                    parent: c.uuid("parent")?,
                    age: u8::try_from(c.i64("age")?).unwrap_or(u8::MAX),
                },
                calls: c.i64("calls")?,
                newest: c.opt_timestamp("newest")?,
            });
        }
    }
    Ok(summaries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn windows_are_stored_timestamps() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
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
