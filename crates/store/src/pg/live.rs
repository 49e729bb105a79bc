//! The live panels: calls in flight and broadcast / campaign progress.
//!
//! Cost notes (quality.md "Performance budgets"): the three big tables are only
//! reached through their indexes — broadcast_queue through `(broadcast_id, status)`
//! and the partial `idx_broadcast_queue_calling`, dialing_queues through its
//! `status` and `campaign_id` indexes, call_logs through `created_at` ranges,
//! `campaign_id` and the partial reconciliation indexes. Per-parent work is written
//! as a LATERAL subquery so each parent is an index probe, whatever the planner
//! thinks of the whole set.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use launchdeck_core::domain::{CallSource, InFlightCall, InFlightSnapshot, OpenClaim, Scope};
use launchdeck_core::in_flight::{
    CHECK_LOG_CATCH_UP, CallState, CallVersion, ClaimsSummary, InFlightCheck, InFlightDelta,
    KnownInFlight, QueuePart, QueueSummary,
};
use sqlx::postgres::Postgres;
use sqlx::{AssertSqlSafe, FromRow, Transaction};
use uuid::Uuid;

use super::PgStore;
use super::rows::{ClaimRow, InFlightRow, call_source};
use crate::checks::with_age_classes;
use crate::scope::{ScopeSql, fill, fill_sources};

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

// What started since $3 (database time), for the polls between two checks: the
// `calling` rows updated since then of each active broadcast that dialled since then
// (the engine bumps the broadcast's counters, so its `updated_at`, on every dial: a
// one-row change detector), a range at the end of the partial
// `idx_broadcast_queue_calling (broadcast_id, status, updated_at)`, one probe per
// such broadcast — the checks see the rest; and the call_logs created since then (a
// range on `created_at`). Dialing rows have no index on their update time: they come
// with the checks.
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
 WHERE vb.status = 'active' AND vb.updated_at >= $3{broadcast_scope}
UNION ALL
SELECT 'call_logs', cl.id, cl.status, cl.created_at, cl.phone_number,
       coalesce(cl.retell_call_id, cl.telnyx_call_control_id), NULL::uuid, cl.campaign_id,
       c.name, 1, 1, cl.provider_reconciliation_required
  FROM call_logs cl
  LEFT JOIN campaigns c ON c.id = cl.campaign_id
 WHERE cl.created_at >= $3 AND cl.status IN ('queued', 'ringing'){log_scope}";

// A check, first: the calling queue rows summed up per part (see
// `launchdeck_core::in_flight::QueueSummary`; the age classes begin at $3..$6). The
// broadcasts' from the partial `idx_broadcast_queue_calling (broadcast_id, status,
// updated_at)` alone, an index-only scan per broadcast; the campaigns' from the
// `status` index and their rows.
const QUEUE_SUMMARIES_SQL: &str = "
SELECT 'broadcast_queue' AS source, vb.id AS parent, s.age, s.calls, s.newest
  FROM voice_broadcasts vb
 CROSS JOIN LATERAL (
        SELECT {bq_age} AS age, count(*) AS calls, max(bq.updated_at) AS newest
          FROM broadcast_queue bq
         WHERE bq.broadcast_id = vb.id AND bq.status = 'calling'
         GROUP BY 1) s
 WHERE true{broadcast_scope}
UNION ALL
SELECT 'dialing_queues', dq.campaign_id, {dq_age}, count(*), max(dq.updated_at)
  FROM dialing_queues dq
  JOIN campaigns c ON c.id = dq.campaign_id
 WHERE dq.status = 'calling'{dialing_scope}
 GROUP BY dq.campaign_id, 3";

// Then the ids and versions of what is in flight: the queue rows of the parts whose
// summary moved, each part a parent and a range of update times ($5..$7 broadcasts,
// $8..$10 campaigns; a range on the partial calling index per broadcast part, the
// campaigns' calling rows from the `status` index once — its `campaign_id` index
// would visit every row of each campaign); the
// call logs known to be in flight asked by id ($3), with those created in the last $4
// seconds (a row whose transaction committed after the deltas' overlap) and the
// quarantined ones (the partial reconciliation index); the 24 h window scan is for
// full reads only. A queue row without an update time is in no range: the tracker
// fetches it by id.
const IN_FLIGHT_CHECK_SQL: &str = "
SELECT 'broadcast_queue' AS source, bq.id, bq.status AS state,
       coalesce(bq.updated_at, bq.created_at, now()) AS since
  FROM unnest($5::uuid[], $6::timestamptz[], $7::timestamptz[]) AS p(parent, since, until)
  JOIN voice_broadcasts vb ON vb.id = p.parent
  JOIN broadcast_queue bq ON bq.broadcast_id = p.parent AND bq.status = 'calling'
       AND bq.updated_at >= coalesce(p.since, '-infinity')
       AND bq.updated_at < coalesce(p.until, 'infinity')
 WHERE true{broadcast_scope}
UNION ALL
SELECT 'call_logs', cl.id, cl.status, cl.created_at
  FROM call_logs cl
 WHERE cl.status IN ('queued', 'ringing')
   AND (cl.id = ANY($3) OR cl.created_at >= now() - make_interval(secs => $4)
        OR cl.provider_reconciliation_required){log_scope}
UNION ALL
SELECT 'dialing_queues', dq.id, dq.status, dq.updated_at
  FROM dialing_queues dq
  JOIN campaigns c ON c.id = dq.campaign_id
 WHERE dq.status = 'calling'
   AND EXISTS (SELECT 1
                 FROM unnest($8::uuid[], $9::timestamptz[], $10::timestamptz[])
                          AS p(parent, since, until)
                WHERE p.parent = dq.campaign_id
                  AND dq.updated_at >= coalesce(p.since, '-infinity')
                  AND dq.updated_at < coalesce(p.until, 'infinity')){dialing_scope}";

// Rows by id ($3 broadcast_queue, $4 call_logs, $5 dialing_queues), whatever their
// status: the whole call when still in flight, the new status when it ended.
const CALL_STATES_SQL: &str = "
SELECT 'broadcast_queue' AS source, bq.id, bq.status AS state,
       coalesce(bq.updated_at, bq.created_at, now()) AS since,
       bq.phone_number AS phone, bq.call_sid AS provider_call_id,
       bq.broadcast_id, NULL::uuid AS campaign_id, vb.name AS parent_name,
       coalesce(bq.attempts, 0) AS attempts, coalesce(bq.max_attempts, 1) AS max_attempts,
       false AS redial_hold, bq.status = 'calling' AS in_flight, false AS picked_up,
       coalesce(bq.updated_at, now()) AS changed_at
  FROM broadcast_queue bq
  JOIN voice_broadcasts vb ON vb.id = bq.broadcast_id
 WHERE bq.id = ANY($3){broadcast_scope}
UNION ALL
SELECT 'call_logs', cl.id, cl.status, cl.created_at, cl.phone_number,
       coalesce(cl.retell_call_id, cl.telnyx_call_control_id), NULL::uuid, cl.campaign_id,
       c.name, 1, 1, cl.provider_reconciliation_required,
       cl.status IN ('queued', 'ringing'),
       cl.status = 'answered' OR (cl.status = 'completed' AND cl.duration_seconds > 0),
       coalesce(cl.ended_at, now())
  FROM call_logs cl
  LEFT JOIN campaigns c ON c.id = cl.campaign_id
 WHERE cl.id = ANY($4){log_scope}
UNION ALL
SELECT 'dialing_queues', dq.id, dq.status, dq.updated_at, dq.phone_number,
       dq.last_provider_call_id, NULL::uuid, dq.campaign_id, c.name,
       dq.attempts, dq.max_attempts, false, dq.status = 'calling', false, dq.updated_at
  FROM dialing_queues dq
  JOIN campaigns c ON c.id = dq.campaign_id
 WHERE dq.id = ANY($5){dialing_scope}";

const OPEN_CLAIMS_SQL: &str = "
SELECT pdc.id, pdc.status, pdc.claimed_at, pdc.queue_id, pdc.campaign_id, pdc.destination_phone
  FROM provider_dispatch_claims pdc
 WHERE pdc.status IN ('claimed', 'acceptance_unknown'){claim_scope}
 ORDER BY pdc.claimed_at, pdc.id";

// The open claims summed up from the partial `(status, claimed_at)` index alone; see
// `launchdeck_core::in_flight::ClaimsSummary`.
const CLAIMS_SUMMARY_SQL: &str = "
SELECT count(*) FILTER (WHERE pdc.status = 'claimed') AS claimed,
       count(*) FILTER (WHERE pdc.status = 'acceptance_unknown') AS acceptance_unknown,
       max(pdc.claimed_at) AS newest
  FROM provider_dispatch_claims pdc
 WHERE pdc.status IN ('claimed', 'acceptance_unknown'){claim_scope}";

const NOW_AND_JOBS_SQL: &str = "
SELECT now() AS db_now,
       (SELECT count(*) FROM provider_reconciliation_jobs j
         WHERE j.state = 'manual_required'{job_scope}) AS manual_required";

#[derive(FromRow)]
struct ClaimsSummaryRow {
    claimed: i64,
    acceptance_unknown: i64,
    newest: Option<DateTime<Utc>>,
}

#[derive(FromRow)]
struct SummaryRow {
    source: String,
    parent: Uuid,
    age: i32,
    calls: i64,
    newest: Option<DateTime<Utc>>,
}

#[derive(FromRow)]
struct VersionRow {
    source: String,
    id: Uuid,
    state: String,
    since: DateTime<Utc>,
}

#[derive(FromRow)]
struct StateRow {
    #[sqlx(flatten)]
    call: InFlightRow,
    in_flight: bool,
    picked_up: bool,
    changed_at: DateTime<Utc>,
}

impl StateRow {
    fn into_state(self) -> Option<CallState> {
        let in_flight = self.in_flight;
        let (picked_up, at) = (self.picked_up, self.changed_at);
        let call = self.call.into_call()?;
        Some(CallState {
            source: call.source,
            id: call.id,
            parent: call.parent(),
            status: call.state.clone(),
            at,
            picked_up,
            call: in_flight.then_some(call),
        })
    }
}

#[derive(FromRow)]
struct NowAndJobs {
    db_now: chrono::DateTime<chrono::Utc>,
    manual_required: i64,
}

fn seconds(d: std::time::Duration) -> f64 {
    d.as_secs_f64()
}

impl PgStore {
    /// The open dispatch claims and the dialing rows a quarantined call_log holds, in
    /// the transaction `tx`.
    async fn claims_and_holds(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        scope: &Scope,
    ) -> Result<(Vec<ClaimRow>, Vec<Uuid>), sqlx::Error> {
        let claims = self.open_claims(tx, scope).await?;
        let held = self.held_queue_ids(tx).await?;
        Ok((claims, held))
    }

    async fn open_claims(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        scope: &Scope,
    ) -> Result<Vec<ClaimRow>, sqlx::Error> {
        let claims_sql = fill(
            OPEN_CLAIMS_SQL,
            &[("claim_scope", &ScopeSql::new(scope).core("pdc"))],
        );
        sqlx::query_as(AssertSqlSafe(claims_sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .fetch_all(&mut **tx)
            .await
    }

    async fn held_queue_ids(
        &self,
        tx: &mut Transaction<'static, Postgres>,
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        sqlx::query_scalar(HELD_QUEUE_IDS_SQL)
            .persistent(self.persistent())
            .fetch_all(&mut **tx)
            .await
    }

    /// The open claims, unless their summary is `known` (then `None`).
    async fn claims_unless(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        scope: &Scope,
        known: ClaimsSummary,
    ) -> Result<Option<Vec<OpenClaim>>, sqlx::Error> {
        let sql = fill(
            CLAIMS_SUMMARY_SQL,
            &[("claim_scope", &ScopeSql::new(scope).core("pdc"))],
        );
        let now: ClaimsSummaryRow = sqlx::query_as(AssertSqlSafe(sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .fetch_one(&mut **tx)
            .await?;
        let now = ClaimsSummary {
            claimed: now.claimed,
            acceptance_unknown: now.acceptance_unknown,
            newest: now.newest,
        };
        if now == known {
            return Ok(None);
        }
        let claims = self.open_claims(tx, scope).await?;
        Ok(Some(claims.into_iter().map(OpenClaim::from).collect()))
    }

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
        let calls_sql = fill_sources(IN_FLIGHT_SQL, scope);
        let mut tx = self.begin().await?;
        let window = seconds(self.opts.in_flight_log_window);
        let (head, mut calls) = self
            .head_and_calls(&mut tx, scope, calls_sql, window)
            .await?;
        let (claims, held) = self.claims_and_holds(&mut tx, scope).await?;
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
        let calls_sql = fill_sources(IN_FLIGHT_SINCE_SQL, scope);
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

    pub(super) async fn query_in_flight_check(
        &self,
        scope: &Scope,
        known: &KnownInFlight,
    ) -> Result<InFlightCheck, sqlx::Error> {
        let summaries_sql = with_age_classes(&fill_sources(QUEUE_SUMMARIES_SQL, scope));
        let versions_sql = fill_sources(IN_FLIGHT_CHECK_SQL, scope);
        let jobs_sql = fill(
            NOW_AND_JOBS_SQL,
            &[("job_scope", &ScopeSql::new(scope).core("j"))],
        );

        let mut tx = self.begin().await?;
        let head: NowAndJobs = sqlx::query_as(AssertSqlSafe(jobs_sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .fetch_one(&mut *tx)
            .await?;
        let [b0, b1, b2, b3] = known.ages.bounds;
        let summaries: Vec<SummaryRow> = sqlx::query_as(AssertSqlSafe(summaries_sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .bind(b0)
            .bind(b1)
            .bind(b2)
            .bind(b3)
            .fetch_all(&mut *tx)
            .await?;
        let summaries: Vec<QueueSummary> = summaries
            .into_iter()
            .filter_map(|s| {
                Some(QueueSummary {
                    part: QueuePart {
                        source: call_source(&s.source)?,
                        parent: s.parent,
                        age: u8::try_from(s.age).ok()?,
                    },
                    calls: s.calls,
                    newest: s.newest,
                })
            })
            .collect();
        let plan = known.plan(&summaries);
        let (bq_parents, bq_since, bq_until) =
            plan.listed_ranges(CallSource::BroadcastQueue, &known.ages);
        let (dq_parents, dq_since, dq_until) =
            plan.listed_ranges(CallSource::DialingQueues, &known.ages);
        let versions: Vec<VersionRow> = sqlx::query_as(AssertSqlSafe(versions_sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .bind(&known.call_logs)
            .bind(seconds(CHECK_LOG_CATCH_UP))
            .bind(bq_parents)
            .bind(bq_since)
            .bind(bq_until)
            .bind(dq_parents)
            .bind(dq_since)
            .bind(dq_until)
            .fetch_all(&mut *tx)
            .await?;
        let claims = self.claims_unless(&mut tx, scope, known.claims).await?;
        let held = self.held_queue_ids(&mut tx).await?;
        tx.commit().await?;
        Ok(InFlightCheck {
            db_now: head.db_now,
            present: versions
                .into_iter()
                .filter_map(|v| {
                    Some(CallVersion {
                        source: call_source(&v.source)?,
                        id: v.id,
                        state: v.state,
                        since: v.since,
                    })
                })
                .collect(),
            ages: known.ages,
            unchanged: plan.unchanged,
            open_claims: claims,
            held_queue_ids: held,
            manual_required_jobs: head.manual_required,
        })
    }

    pub(super) async fn query_call_states(
        &self,
        scope: &Scope,
        ids: &[(CallSource, Uuid)],
    ) -> Result<Vec<CallState>, sqlx::Error> {
        let of = |source: CallSource| -> Vec<Uuid> {
            ids.iter()
                .filter(|(s, _)| *s == source)
                .map(|(_, id)| *id)
                .collect()
        };
        let sql = fill_sources(CALL_STATES_SQL, scope);
        let mut tx = self.begin().await?;
        let rows: Vec<StateRow> = sqlx::query_as(AssertSqlSafe(sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .bind(of(CallSource::BroadcastQueue))
            .bind(of(CallSource::CallLogs))
            .bind(of(CallSource::DialingQueues))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rows.into_iter().filter_map(StateRow::into_state).collect())
    }
}
