//! The stuck-call cleanup on the demo's SQLite database: the same conditions as on
//! PostgreSQL, one UPDATE per row inside one `BEGIN IMMEDIATE` transaction (the write
//! lock serialises two consoles; the second sees the first's commit and skips).

use std::collections::{HashMap, HashSet};

use launchdeck_core::cleanup::{CleanupWrite, CleanupWriteResult, EndedAt};
use launchdeck_core::domain::CallSource;
use sqlx::{AssertSqlSafe, SqliteConnection};

use super::error::QueryError;
use super::values::{timestamp, uuid_text};
use super::{SqliteStore, begin_write};
use crate::cleanup::{DIALING_NOT_HELD, results};

/// SQLite's `now()` in the stored timestamp form.
const NOW: &str = "(strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')";

const BROADCAST_SQL: &str = "
UPDATE broadcast_queue
   SET status = $1,
       scheduled_at = CASE WHEN $2 THEN {now} ELSE scheduled_at END,
       error_code = coalesce($3, error_code),
       error_message = coalesce($4, error_message),
       call_duration_seconds = coalesce($5, call_duration_seconds)
 WHERE id = $6 AND status = $7 AND coalesce(updated_at, created_at) = $8";

const DIALING_SQL: &str = "
UPDATE dialing_queues AS dq
   SET status = $1,
       scheduled_at = CASE WHEN $2 THEN {now} ELSE scheduled_at END,
       notes = {notes}
 WHERE dq.id = $4 AND dq.status = $5 AND dq.updated_at = $6{not_held}";

const CALL_LOGS_SQL: &str = "
UPDATE call_logs
   SET status = $1,
       notes = {notes},
       outcome = coalesce(outcome, $5),
       duration_seconds = coalesce($6, duration_seconds),
       ended_at = CASE WHEN $7 THEN coalesce($8, {now}) ELSE ended_at END
 WHERE id = $2 AND status = $4 AND ended_at IS NULL
   AND NOT provider_reconciliation_required";

/// `$3` appended on a line of its own after any notes the row has.
const APPEND_NOTE: &str = "CASE WHEN $3 IS NULL THEN notes \
     WHEN coalesce(notes, '') = '' THEN $3 ELSE notes || char(10) || $3 END";

fn sql(template: &str) -> String {
    template
        .replace("{now}", NOW)
        .replace("{notes}", APPEND_NOTE)
        .replace("{not_held}", DIALING_NOT_HELD)
}

impl SqliteStore {
    pub(super) async fn write_cleanup(
        &self,
        writes: &[CleanupWrite],
    ) -> Result<Vec<CleanupWriteResult>, QueryError> {
        let mut tx = begin_write(&self.pool).await?;
        let mut changed = HashSet::new();
        let mut status_now = HashMap::new();
        for w in writes {
            if update_row(&mut tx, w).await? {
                changed.insert((w.source, w.id));
            } else if let Some(status) = read_status(&mut tx, w).await? {
                status_now.insert((w.source, w.id), status);
            }
        }
        tx.commit().await?;
        Ok(results(writes, &changed, &status_now))
    }
}

/// The conditional UPDATE of one row; whether it changed it.
async fn update_row(conn: &mut SqliteConnection, w: &CleanupWrite) -> Result<bool, sqlx::Error> {
    let expected_updated_at = w.expected_updated_at.map(timestamp);
    let query = match w.source {
        CallSource::BroadcastQueue => sqlx::query(AssertSqlSafe(sql(BROADCAST_SQL)))
            .bind(&w.new_status)
            .bind(w.reschedule)
            .bind(&w.error_code)
            .bind(&w.error_message)
            .bind(w.duration_seconds)
            .bind(uuid_text(w.id))
            .bind(&w.expected_status)
            .bind(expected_updated_at),
        CallSource::DialingQueues => sqlx::query(AssertSqlSafe(sql(DIALING_SQL)))
            .bind(&w.new_status)
            .bind(w.reschedule)
            .bind(&w.note)
            .bind(uuid_text(w.id))
            .bind(&w.expected_status)
            .bind(expected_updated_at),
        CallSource::CallLogs => {
            let ended_at = match w.ended_at {
                Some(EndedAt::At(at)) => Some(timestamp(at)),
                Some(EndedAt::DbNow) | None => None,
            };
            sqlx::query(AssertSqlSafe(sql(CALL_LOGS_SQL)))
                .bind(&w.new_status)
                .bind(uuid_text(w.id))
                .bind(&w.note)
                .bind(&w.expected_status)
                .bind(&w.outcome)
                .bind(w.duration_seconds)
                .bind(w.ended_at.is_some())
                .bind(ended_at)
        }
    };
    Ok(query.execute(&mut *conn).await?.rows_affected() == 1)
}

async fn read_status(
    conn: &mut SqliteConnection,
    w: &CleanupWrite,
) -> Result<Option<String>, sqlx::Error> {
    let sql = format!("SELECT status FROM {} WHERE id = $1", w.source.as_str());
    sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(uuid_text(w.id))
        .fetch_optional(&mut *conn)
        .await
}
