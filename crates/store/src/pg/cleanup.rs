//! The stuck-call cleanup on PostgreSQL: one transaction, one set-based UPDATE per
//! source. Each statement first locks the rows that still match the preview, in id
//! order (so two consoles applying the same plan wait for each other instead of
//! deadlocking); under READ COMMITTED a row another transaction changed meanwhile is
//! re-checked against the preview once that transaction ends, and left out if it
//! moved on.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use launchdeck_core::cleanup::{CleanupWrite, CleanupWriteResult, EndedAt};
use launchdeck_core::domain::CallSource;
use sqlx::postgres::Postgres;
use sqlx::{AssertSqlSafe, Transaction};
use uuid::Uuid;

use super::PgStore;
use super::commit::Prepared;
use crate::cleanup::{DIALING_NOT_HELD, of_source, results};

/// `coalesce(updated_at, created_at)`: the row's age origin as `calls_in_flight`
/// reads it.
const BROADCAST_SQL: &str = "
WITH locked AS (
    SELECT bq.id, w.new_status, w.reschedule, w.error_code, w.error_message, w.duration
      FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::bool[],
                  $6::text[], $7::text[], $8::int[])
               AS w(id, expected_status, expected_updated_at, new_status, reschedule,
                    error_code, error_message, duration)
      JOIN broadcast_queue bq ON bq.id = w.id
     WHERE bq.status = w.expected_status
       AND coalesce(bq.updated_at, bq.created_at) = w.expected_updated_at
     ORDER BY bq.id
       FOR UPDATE OF bq
)
UPDATE broadcast_queue bq
   SET status = w.new_status,
       scheduled_at = CASE WHEN w.reschedule THEN now() ELSE bq.scheduled_at END,
       error_code = coalesce(w.error_code, bq.error_code),
       error_message = coalesce(w.error_message, bq.error_message),
       call_duration_seconds = coalesce(w.duration, bq.call_duration_seconds)
  FROM locked w
 WHERE bq.id = w.id
RETURNING bq.id";

const DIALING_SQL: &str = "
WITH locked AS (
    SELECT dq.id, w.new_status, w.reschedule, w.note
      FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::bool[],
                  $6::text[])
               AS w(id, expected_status, expected_updated_at, new_status, reschedule, note)
      JOIN dialing_queues dq ON dq.id = w.id
     WHERE dq.status = w.expected_status
       AND dq.updated_at = w.expected_updated_at{not_held}
     ORDER BY dq.id
       FOR UPDATE OF dq
)
UPDATE dialing_queues dq
   SET status = w.new_status,
       scheduled_at = CASE WHEN w.reschedule THEN now() ELSE dq.scheduled_at END,
       notes = {notes}
  FROM locked w
 WHERE dq.id = w.id
RETURNING dq.id";

const CALL_LOGS_SQL: &str = "
WITH locked AS (
    SELECT cl.id, w.new_status, w.note, w.outcome, w.duration, w.set_ended, w.ended_at
      FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
                  $7::bool[], $8::timestamptz[])
               AS w(id, expected_status, new_status, note, outcome, duration, set_ended,
                    ended_at)
      JOIN call_logs cl ON cl.id = w.id
     WHERE cl.status = w.expected_status
       AND cl.ended_at IS NULL
       AND NOT cl.provider_reconciliation_required
     ORDER BY cl.id
       FOR UPDATE OF cl
)
UPDATE call_logs cl
   SET status = w.new_status,
       notes = {notes},
       outcome = coalesce(cl.outcome, w.outcome),
       duration_seconds = coalesce(w.duration, cl.duration_seconds),
       ended_at = CASE WHEN w.set_ended THEN coalesce(w.ended_at, now()) ELSE cl.ended_at END
  FROM locked w
 WHERE cl.id = w.id
RETURNING cl.id";

/// The note on a line of its own after any notes the row has.
fn append_note(alias: &str) -> String {
    format!(
        "CASE WHEN w.note IS NULL THEN {alias}.notes \
              WHEN coalesce({alias}.notes, '') = '' THEN w.note \
              ELSE {alias}.notes || E'\\n' || w.note END"
    )
}

const STATUS_NOW_SQL: &str = "SELECT id, status FROM {table} WHERE id = ANY($1::uuid[])";

fn ids(writes: &[&CleanupWrite]) -> Vec<Uuid> {
    writes.iter().map(|w| w.id).collect()
}

fn texts(
    writes: &[&CleanupWrite],
    field: impl Fn(&CleanupWrite) -> Option<&str>,
) -> Vec<Option<String>> {
    writes
        .iter()
        .map(|w| field(w).map(str::to_string))
        .collect()
}

fn updated_ats(writes: &[&CleanupWrite]) -> Vec<Option<DateTime<Utc>>> {
    writes.iter().map(|w| w.expected_updated_at).collect()
}

impl PgStore {
    pub(super) async fn write_cleanup(
        &self,
        writes: &[CleanupWrite],
    ) -> Result<Prepared<Vec<CleanupWriteResult>>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let mut changed = HashSet::new();
        let mut skipped = Vec::new();
        for source in [
            CallSource::BroadcastQueue,
            CallSource::CallLogs,
            CallSource::DialingQueues,
        ] {
            let rows = of_source(writes, source);
            if rows.is_empty() {
                continue;
            }
            let done: HashSet<Uuid> = self
                .update_source(&mut tx, source, &rows)
                .await?
                .into_iter()
                .collect();
            skipped.extend(
                rows.iter()
                    .filter(|w| !done.contains(&w.id))
                    .map(|w| (source, w.id)),
            );
            changed.extend(done.into_iter().map(|id| (source, id)));
        }
        let status_now = self.status_now(&mut tx, &skipped).await?;
        Ok(Prepared::new(tx, results(writes, &changed, &status_now)))
    }

    async fn update_source(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        source: CallSource,
        rows: &[&CleanupWrite],
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        let statuses = |f: fn(&CleanupWrite) -> &str| -> Vec<String> {
            rows.iter().map(|w| f(w).to_string()).collect()
        };
        let expected = statuses(|w| &w.expected_status);
        let new = statuses(|w| &w.new_status);
        let reschedule: Vec<bool> = rows.iter().map(|w| w.reschedule).collect();
        let durations: Vec<Option<i32>> = rows.iter().map(|w| w.duration_seconds).collect();
        let note = texts(rows, |w| w.note.as_deref());
        let query = match source {
            CallSource::BroadcastQueue => sqlx::query_scalar(BROADCAST_SQL)
                .bind(ids(rows))
                .bind(expected)
                .bind(updated_ats(rows))
                .bind(new)
                .bind(reschedule)
                .bind(texts(rows, |w| w.error_code.as_deref()))
                .bind(texts(rows, |w| w.error_message.as_deref()))
                .bind(durations),
            CallSource::DialingQueues => sqlx::query_scalar(AssertSqlSafe(
                DIALING_SQL
                    .replace("{not_held}", DIALING_NOT_HELD)
                    .replace("{notes}", &append_note("dq")),
            ))
            .bind(ids(rows))
            .bind(expected)
            .bind(updated_ats(rows))
            .bind(new)
            .bind(reschedule)
            .bind(note),
            CallSource::CallLogs => {
                let set_ended: Vec<bool> = rows.iter().map(|w| w.ended_at.is_some()).collect();
                let ended_at: Vec<Option<DateTime<Utc>>> = rows
                    .iter()
                    .map(|w| match w.ended_at {
                        Some(EndedAt::At(at)) => Some(at),
                        Some(EndedAt::DbNow) | None => None,
                    })
                    .collect();
                sqlx::query_scalar(AssertSqlSafe(
                    CALL_LOGS_SQL.replace("{notes}", &append_note("cl")),
                ))
                .bind(ids(rows))
                .bind(expected)
                .bind(new)
                .bind(note)
                .bind(texts(rows, |w| w.outcome.as_deref()))
                .bind(durations)
                .bind(set_ended)
                .bind(ended_at)
            }
        };
        // Never a prepared statement: a cached generic plan cannot see how many rows
        // the arrays hold, and guessing few it may join them row by row (seconds at
        // 10,000 rows). Planned each time, the arrays' lengths are known.
        query.persistent(false).fetch_all(&mut **tx).await
    }

    /// The status now of each row that was skipped (read after the updates).
    async fn status_now(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        skipped: &[(CallSource, Uuid)],
    ) -> Result<HashMap<(CallSource, Uuid), String>, sqlx::Error> {
        let mut now = HashMap::new();
        for source in [
            CallSource::BroadcastQueue,
            CallSource::CallLogs,
            CallSource::DialingQueues,
        ] {
            let ids: Vec<Uuid> = skipped
                .iter()
                .filter(|(s, _)| *s == source)
                .map(|(_, id)| *id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            let rows: Vec<(Uuid, String)> = sqlx::query_as(AssertSqlSafe(
                STATUS_NOW_SQL.replace("{table}", source.as_str()),
            ))
            .persistent(self.persistent())
            .bind(ids)
            .fetch_all(&mut **tx)
            .await?;
            now.extend(rows.into_iter().map(|(id, status)| ((source, id), status)));
        }
        Ok(now)
    }
}
