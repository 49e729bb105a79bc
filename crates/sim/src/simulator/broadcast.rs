//! Broadcast calls: the platform's engine claims due `broadcast_queue` rows of active
//! broadcasts and dials them through Twilio; its status callbacks and `handle_dtmf`
//! write the result and the broadcast's counters.

use tokio::time::Instant;

use super::plan::{self, BroadcastFinal, Listener};
use super::{BroadcastTrack, MAX_CLAIM, Sim, bump, db, next_check};
use launchdeck_seed::sqlite::normalize_phone_e164;

/// A due row: id, broadcast, phone, caller id, attempts, max attempts, retry delay.
type DueRow = (String, String, String, Option<String>, i64, i64, i64);

const DUE_ROWS: &str = concat!(
    "SELECT q.id, q.broadcast_id, q.phone_number, b.caller_id,
            COALESCE(q.attempts, 0), COALESCE(q.max_attempts, 1),
            COALESCE(b.retry_delay_minutes, 60)
     FROM broadcast_queue q JOIN voice_broadcasts b ON b.id = q.broadcast_id
     WHERE q.status = 'pending' AND q.scheduled_at <= ?1 AND b.status = 'active' AND ",
    db::broadcast_not_stopped!(),
    " ORDER BY q.scheduled_at LIMIT ?2"
);

impl Sim {
    /// Dials up to `wanted` due broadcast rows; returns how many were dialled.
    pub(super) async fn dial_broadcasts(&mut self, wanted: usize) -> usize {
        let wanted = wanted.min(MAX_CLAIM);
        if wanted == 0 {
            return 0;
        }
        let rows: Vec<DueRow> = match sqlx::query_as(DUE_ROWS)
            .bind(db::now())
            .bind(wanted as i64)
            .fetch_all(&self.pool)
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                self.db_error("reading due broadcast rows", &e);
                return 0;
            }
        };
        if rows.is_empty() {
            return 0;
        }
        match self.claim_and_dial(rows).await {
            Ok(tracks) => {
                let dialled = tracks.len();
                bump(&self.stats.broadcast_dials, dialled as u64);
                self.broadcasts.extend(tracks);
                dialled
            }
            Err(e) => {
                self.db_error("claiming broadcast rows", &e);
                0
            }
        }
    }

    /// One transaction: each row still `pending` becomes `calling` (attempts + 1) with
    /// the Twilio call created for it; the broadcast's `calls_made` goes up.
    async fn claim_and_dial(
        &mut self,
        rows: Vec<DueRow>,
    ) -> Result<Vec<BroadcastTrack>, sqlx::Error> {
        let mut tx = db::begin_write(&self.pool).await?;
        let mut tracks = Vec::new();
        for (id, broadcast_id, phone, caller, attempts, max_attempts, retry_delay) in rows {
            let Some(caller) = caller.filter(|c| !c.trim().is_empty()) else {
                sqlx::query(
                    "UPDATE broadcast_queue SET status = 'failed', error_code = 'NO_CALLER_ID',
                            error_message = 'The broadcast has no caller ID'
                     WHERE id = ?1 AND status = 'pending'",
                )
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                continue;
            };
            let claimed = sqlx::query(
                "UPDATE broadcast_queue SET status = 'calling', attempts = COALESCE(attempts, 0) + 1
                 WHERE id = ?1 AND status = 'pending'",
            )
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() == 0 {
                continue; // moved on since it was read
            }
            let call = plan::broadcast_call(&mut self.rng, self.config.pace);
            let sid = self
                .providers
                .twilio
                .add_call(&phone, &caller, call.twilio.clone());
            sqlx::query("UPDATE broadcast_queue SET call_sid = ?1 WHERE id = ?2")
                .bind(&sid)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE voice_broadcasts SET calls_made = COALESCE(calls_made, 0) + 1 WHERE id = ?1",
            )
            .bind(&broadcast_id)
            .execute(&mut *tx)
            .await?;
            let drop_report = self.roll_drop();
            let now = Instant::now();
            let planned_end = now + call.total();
            tracks.push(BroadcastTrack {
                queue_id: id,
                broadcast_id,
                sid,
                listener: call.listener,
                attempts: attempts + 1,
                max_attempts,
                retry_delay_minutes: retry_delay,
                drop_report,
                planned_end,
                next_check: next_check(now, planned_end, self.config.tick),
            });
        }
        tx.commit().await?;
        Ok(tracks)
    }

    /// Looks at the broadcast calls that are due and writes the reports of those that
    /// ended (dropping the ones chosen to be lost).
    pub(super) async fn settle_broadcasts(&mut self, now: Instant) {
        let mut finished = Vec::new();
        let mut keep = Vec::with_capacity(self.broadcasts.len());
        for mut track in std::mem::take(&mut self.broadcasts) {
            if track.next_check > now {
                keep.push(track);
                continue;
            }
            let Some(call) = self.providers.twilio.call(&track.sid) else {
                bump(&self.stats.provider_errors, 1);
                tracing::warn!("simulator: Twilio no longer knows call {}", track.sid);
                continue;
            };
            let result = plan::broadcast_final(
                &call,
                track.listener,
                track.attempts,
                track.max_attempts,
                &mut self.rng,
            );
            match result {
                None => {
                    track.next_check = next_check(now, track.planned_end, self.config.tick);
                    keep.push(track);
                }
                Some(_) if track.drop_report => bump(&self.stats.dropped_reports, 1),
                Some(result) => finished.push((track, result)),
            }
        }
        self.broadcasts = keep;
        if finished.is_empty() {
            return;
        }
        match write_reports(&self.pool, &finished).await {
            Ok(()) => bump(&self.stats.finished, finished.len() as u64),
            Err(e) => {
                self.db_error("writing broadcast call results", &e);
                // Keep them: the next tick writes them.
                self.broadcasts
                    .extend(finished.into_iter().map(|(track, _)| track));
            }
        }
    }
}

/// The status callbacks' writes for finished calls, in one transaction.
pub(super) async fn write_reports(
    pool: &sqlx::SqlitePool,
    finished: &[(BroadcastTrack, BroadcastFinal)],
) -> Result<(), sqlx::Error> {
    let mut tx = db::begin_write(pool).await?;
    for (track, result) in finished {
        let written = if result.retry {
            write_retry(&mut tx, track, result).await?
        } else {
            write_final(&mut tx, track, result).await?
        };
        if written && !result.retry {
            count_on_broadcast(&mut tx, track, result).await?;
        }
    }
    tx.commit().await
}

async fn write_final(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    track: &BroadcastTrack,
    result: &BroadcastFinal,
) -> Result<bool, sqlx::Error> {
    let callback_at = result
        .callback_in
        .map(|delay| db::at(launchdeck_store::sqlite::now_micros() + delay));
    let done = sqlx::query(
        "UPDATE broadcast_queue SET status = ?1, call_duration_seconds = ?2, call_cost = ?3,
                amd_result = ?4, dtmf_pressed = ?5, transfer_status = ?6,
                callback_scheduled_at = ?7, error_code = ?8, error_message = ?9
         WHERE id = ?10 AND status = 'calling' AND call_sid = ?11",
    )
    .bind(result.status)
    .bind(result.duration)
    .bind(result.cost)
    .bind(result.amd)
    .bind(result.dtmf.as_deref())
    .bind(result.transfer_status)
    .bind(callback_at)
    .bind(result.error.map(|(code, _)| code))
    .bind(result.error.map(|(_, message)| message))
    .bind(&track.queue_id)
    .bind(&track.sid)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An unreached lead goes back to `pending` after the broadcast's retry delay.
async fn write_retry(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    track: &BroadcastTrack,
    result: &BroadcastFinal,
) -> Result<bool, sqlx::Error> {
    let (code, message) = result.error.unwrap_or(match result.status {
        "busy" => ("BUSY", "The line was busy"),
        _ => ("NO_ANSWER", "Nobody answered"),
    });
    let done = sqlx::query(
        "UPDATE broadcast_queue SET status = 'pending', scheduled_at = ?1,
                call_duration_seconds = 0, error_code = ?2, error_message = ?3
         WHERE id = ?4 AND status = 'calling' AND call_sid = ?5",
    )
    .bind(db::minutes_from_now(track.retry_delay_minutes.max(1)))
    .bind(code)
    .bind(message)
    .bind(&track.queue_id)
    .bind(&track.sid)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `handle_dtmf`'s counters (and the DNC entry for a `3`).
async fn count_on_broadcast(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    track: &BroadcastTrack,
    result: &BroadcastFinal,
) -> Result<(), sqlx::Error> {
    let one = |yes: bool| i64::from(yes);
    if result.answered() {
        sqlx::query(
            "UPDATE voice_broadcasts SET
                calls_answered = COALESCE(calls_answered, 0) + 1,
                transfers_completed = COALESCE(transfers_completed, 0) + ?1,
                callbacks_scheduled = COALESCE(callbacks_scheduled, 0) + ?2,
                dnc_requests = COALESCE(dnc_requests, 0) + ?3
             WHERE id = ?4",
        )
        .bind(one(result.status == "transferred"))
        .bind(one(result.status == "callback"))
        .bind(one(result.status == "dnc"))
        .bind(&track.broadcast_id)
        .execute(&mut **tx)
        .await?;
    }
    if result.status == "dnc" {
        add_to_dnc_list(tx, track).await?;
    }
    Ok(())
}

async fn add_to_dnc_list(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    track: &BroadcastTrack,
) -> Result<(), sqlx::Error> {
    let phone: Option<String> =
        sqlx::query_scalar("SELECT phone_number FROM broadcast_queue WHERE id = ?1")
            .bind(&track.queue_id)
            .fetch_optional(&mut **tx)
            .await?;
    let Some(normalized) = phone.as_deref().and_then(normalize_phone_e164) else {
        return Ok(());
    };
    sqlx::query(
        "INSERT OR IGNORE INTO dnc_list
            (user_id, organization_id, phone_number, phone_number_normalized, reason)
         SELECT b.user_id, ou.organization_id, ?1, ?1, 'Pressed 3 during a voice broadcast'
         FROM voice_broadcasts b JOIN organization_users ou ON ou.user_id = b.user_id
         WHERE b.id = ?2 LIMIT 1",
    )
    .bind(&normalized)
    .bind(&track.broadcast_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A broadcast call adopted at start (already live at the fake).
pub(super) fn adopted(
    queue_id: String,
    broadcast_id: String,
    sid: String,
    counts: (i64, i64, i64),
    listener: Listener,
) -> BroadcastTrack {
    let (attempts, max_attempts, retry_delay_minutes) = counts;
    BroadcastTrack {
        queue_id,
        broadcast_id,
        sid,
        listener,
        attempts,
        max_attempts,
        retry_delay_minutes,
        drop_report: false,
        planned_end: Instant::now(),
        next_check: Instant::now(),
    }
}
