//! Campaign calls, as the platform's live Retell path does them: the dispatcher claims
//! due `dialing_queues` rows of active campaigns (a new `dispatch_generation`),
//! `outbound-calling` writes a `queued` call_log and creates the Retell call (the
//! returned `call_id` makes it `ringing`), and `retell-call-webhook` writes the end.

use serde_json::json;
use tokio::time::Instant;
use uuid::Uuid;

use super::plan::{self, CampaignCall, CampaignFinal};
use super::{CampaignTrack, CreateError, MAX_CLAIM, Sim, bump, db, next_check};

/// A due row with what dialling it needs.
#[derive(Debug, Clone, sqlx::FromRow)]
struct DueDial {
    id: String,
    campaign_id: String,
    lead_id: String,
    phone_number: String,
    user_id: String,
    organization_id: String,
    agent_id: String,
    agent_name: Option<String>,
    retry_delay_minutes: i64,
}

/// A claimed row: its call_log is `queued`, the Retell call is not created yet.
#[derive(Debug, Clone)]
struct Claimed {
    due: DueDial,
    generation: String,
    call_log_id: String,
    caller: String,
}

/// What create-call gave for a claimed row, waiting to be written.
#[derive(Debug, Clone)]
pub(super) struct Dialled {
    claimed: Claimed,
    result: Result<(String, CampaignCall), CreateError>,
    /// The call's end report will be lost (the row stays `calling` with its call id).
    drop_report: bool,
}

const DUE_DIALS: &str = concat!(
    "SELECT d.id, d.campaign_id, d.lead_id, d.phone_number, c.user_id, c.organization_id,
            c.agent_id, ra.agent_name, COALESCE(c.retry_delay_minutes, 30) AS retry_delay_minutes
     FROM dialing_queues d
     JOIN campaigns c ON c.id = d.campaign_id
     LEFT JOIN retell_agents ra ON ra.retell_agent_id = c.agent_id
     WHERE d.status = 'pending' AND d.scheduled_at <= ?1 AND c.status = 'active'
       AND c.agent_id IS NOT NULL AND ",
    db::campaign_not_stopped!(),
    " AND ",
    db::campaign_budget_open!(),
    " ORDER BY d.priority DESC, d.scheduled_at LIMIT ?2"
);

impl Sim {
    /// Dials up to `wanted` due campaign rows within the in-flight cap; returns how
    /// many were claimed.
    pub(super) async fn dial_campaigns(&mut self, wanted: usize) -> usize {
        self.record_dials().await;
        let room = self
            .config
            .campaign_max_in_flight
            .saturating_sub(self.campaigns.len() + self.unrecorded.len());
        let wanted = wanted.min(room).min(MAX_CLAIM);
        if wanted == 0 {
            return 0;
        }
        let due: Vec<DueDial> = match sqlx::query_as(DUE_DIALS)
            .bind(db::now())
            .bind(wanted as i64)
            .fetch_all(&self.pool)
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                self.db_error("reading due dialing_queues rows", &e);
                return 0;
            }
        };
        if due.is_empty() {
            return 0;
        }
        let claimed = match self.claim(due).await {
            Ok(claimed) => claimed,
            Err(e) => {
                self.db_error("claiming dialing_queues rows", &e);
                return 0;
            }
        };
        let count = claimed.len();
        bump(&self.stats.campaign_dials, count as u64);
        for row in claimed {
            self.create_call(row).await;
        }
        self.record_dials().await;
        count
    }

    /// One transaction: each row still `pending` becomes `calling` with a new
    /// dispatch generation, and gets a `queued` call_log.
    async fn claim(&mut self, due: Vec<DueDial>) -> Result<Vec<Claimed>, sqlx::Error> {
        let callers = self.callers(&due).await?;
        let now = db::now();
        let mut tx = db::begin_write(&self.pool).await?;
        let mut claimed = Vec::new();
        for row in due {
            let Some(caller) = self.pick_caller(&callers, &row.campaign_id) else {
                continue; // no usable Retell number: the platform would not dial
            };
            let generation = Uuid::new_v4().to_string();
            let moved = sqlx::query(
                "UPDATE dialing_queues SET status = 'calling', dispatch_generation = ?1
                 WHERE id = ?2 AND status = 'pending'",
            )
            .bind(&generation)
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
            if moved.rows_affected() == 0 {
                continue;
            }
            let call_log_id = Uuid::new_v4().to_string();
            sqlx::query(
                "INSERT INTO call_logs (id, user_id, organization_id, campaign_id, lead_id,
                        phone_number, caller_id, status, agent_id, agent_name, provider, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?9, 'retell', ?10)",
            )
            .bind(&call_log_id)
            .bind(&row.user_id)
            .bind(&row.organization_id)
            .bind(&row.campaign_id)
            .bind(&row.lead_id)
            .bind(&row.phone_number)
            .bind(&caller)
            .bind(&row.agent_id)
            .bind(row.agent_name.as_deref())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            claimed.push(Claimed {
                due: row,
                generation,
                call_log_id,
                caller,
            });
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Per campaign: the number its release certifies (if any) and every other
    /// active, not-spam Retell number of its owner.
    async fn callers(&self, due: &[DueDial]) -> Result<Vec<(String, Callers)>, sqlx::Error> {
        let mut out: Vec<(String, Callers)> = Vec::new();
        for row in due {
            if out.iter().any(|(id, _)| *id == row.campaign_id) {
                continue;
            }
            let certified: Option<String> = sqlx::query_scalar(
                "SELECT p.number FROM campaign_contact_releases r
                 JOIN phone_numbers p ON p.id = r.caller_number_id
                 WHERE r.campaign_id = ?1 AND r.revoked_at IS NULL
                 ORDER BY r.activated_at DESC LIMIT 1",
            )
            .bind(&row.campaign_id)
            .fetch_optional(&self.pool)
            .await?;
            let pool: Vec<String> = sqlx::query_scalar(
                "SELECT number FROM phone_numbers
                 WHERE user_id = ?1 AND retell_phone_id IS NOT NULL
                   AND status = 'active' AND is_spam = 0 AND call_direction <> 'inbound'
                 ORDER BY number",
            )
            .bind(&row.user_id)
            .fetch_all(&self.pool)
            .await?;
            out.push((row.campaign_id.clone(), Callers { certified, pool }));
        }
        Ok(out)
    }

    /// The certified caller most of the time, another Retell number now and then.
    fn pick_caller(&mut self, callers: &[(String, Callers)], campaign_id: &str) -> Option<String> {
        let callers = &callers.iter().find(|(id, _)| id == campaign_id)?.1;
        let other = |rng: &mut rand::rngs::StdRng| {
            let n = callers.pool.len();
            (n > 0).then(|| callers.pool[rand::Rng::random_range(rng, 0..n)].clone())
        };
        match &callers.certified {
            Some(number) if rand::Rng::random_bool(&mut self.rng, 0.85) => Some(number.clone()),
            Some(number) => other(&mut self.rng).or_else(|| Some(number.clone())),
            None => other(&mut self.rng),
        }
    }

    /// Creates the Retell call (unless this dispatch is one whose reply gets lost:
    /// the row then stays `calling` without a call id and its call_log `queued`).
    async fn create_call(&mut self, claimed: Claimed) {
        let drop = self.roll_drop();
        if drop && rand::Rng::random_bool(&mut self.rng, 0.5) {
            bump(&self.stats.dropped_reports, 1);
            return;
        }
        let request = json!({
            "from_number": claimed.caller,
            "to_number": claimed.due.phone_number,
            "override_agent_id": claimed.due.agent_id,
            "metadata": { "call_log_id": claimed.call_log_id, "queue_id": claimed.due.id },
        });
        let result = match self.retell_api.create_call(&request).await {
            Ok(reply) => {
                let call_id = reply["call_id"].as_str().unwrap_or_default().to_string();
                let call = plan::campaign_call(&mut self.rng, self.config.pace);
                self.providers
                    .retell
                    .set_call_plan(&call_id, call.retell.clone());
                Ok((call_id, call))
            }
            Err(e) => {
                bump(&self.stats.provider_errors, 1);
                tracing::info!(
                    "simulator: create-call for call_log {}: {e}",
                    claimed.call_log_id
                );
                Err(e)
            }
        };
        self.unrecorded.push(Dialled {
            claimed,
            result,
            drop_report: drop,
        });
    }

    /// Writes what create-call gave (ids, or the refusal) in one transaction; on a
    /// database error they wait for the next tick.
    async fn record_dials(&mut self) {
        if self.unrecorded.is_empty() {
            return;
        }
        let dialled = std::mem::take(&mut self.unrecorded);
        match record(&self.pool, &dialled).await {
            Ok(()) => {
                for entry in dialled {
                    self.track(entry);
                }
            }
            Err(e) => {
                self.db_error("recording created calls", &e);
                self.unrecorded = dialled;
            }
        }
    }

    fn track(&mut self, dialled: Dialled) {
        let Ok((call_id, call)) = dialled.result else {
            return;
        };
        let claimed = dialled.claimed;
        let now = Instant::now();
        let planned_end = now + call.total();
        self.campaigns.push(CampaignTrack {
            call_log_id: claimed.call_log_id,
            queue_id: Some(claimed.due.id),
            generation: Some(claimed.generation),
            call_id,
            outcome: call.outcome,
            retry_delay_minutes: claimed.due.retry_delay_minutes,
            drop_report: dialled.drop_report,
            planned_end,
            next_check: next_check(now, planned_end, self.config.tick),
        });
    }

    /// Looks at the campaign calls that are due and writes the reports of those that
    /// ended (dropping the ones chosen to be lost).
    pub(super) async fn settle_campaigns(&mut self, now: Instant) {
        let mut finished = Vec::new();
        let mut keep = Vec::with_capacity(self.campaigns.len());
        for mut track in std::mem::take(&mut self.campaigns) {
            if track.next_check > now {
                keep.push(track);
                continue;
            }
            let Some(call) = self.providers.retell.call(&track.call_id) else {
                bump(&self.stats.provider_errors, 1);
                tracing::warn!("simulator: Retell no longer knows call {}", track.call_id);
                continue;
            };
            match plan::campaign_final(&call, track.outcome) {
                None => {
                    track.next_check = next_check(now, track.planned_end, self.config.tick);
                    keep.push(track);
                }
                Some(_) if track.drop_report => bump(&self.stats.dropped_reports, 1),
                Some(result) => finished.push((track, result)),
            }
        }
        self.campaigns = keep;
        if finished.is_empty() {
            return;
        }
        match write_reports(&self.pool, &finished).await {
            Ok(()) => bump(&self.stats.finished, finished.len() as u64),
            Err(e) => {
                self.db_error("writing campaign call results", &e);
                self.campaigns
                    .extend(finished.into_iter().map(|(track, _)| track));
            }
        }
    }
}

/// Callers of one campaign.
#[derive(Debug, Clone)]
struct Callers {
    certified: Option<String>,
    pool: Vec<String>,
}

/// The created calls' ids (`ringing`, attempts + 1) or their refusals (call_log
/// `failed`, the row back to `pending` after the retry delay), in one transaction.
async fn record(pool: &sqlx::SqlitePool, dialled: &[Dialled]) -> Result<(), sqlx::Error> {
    let now = db::now();
    let mut tx = db::begin_write(pool).await?;
    for entry in dialled {
        let claimed = &entry.claimed;
        match &entry.result {
            Ok((call_id, _)) => {
                sqlx::query(
                    "UPDATE call_logs SET status = 'ringing', retell_call_id = ?1
                     WHERE id = ?2 AND status = 'queued'",
                )
                .bind(call_id)
                .bind(&claimed.call_log_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE dialing_queues SET attempts = attempts + 1, last_provider = 'retell',
                            last_provider_call_id = ?1, last_attempted_at = ?2
                     WHERE id = ?3 AND status = 'calling' AND dispatch_generation = ?4",
                )
                .bind(call_id)
                .bind(&now)
                .bind(&claimed.due.id)
                .bind(&claimed.generation)
                .execute(&mut *tx)
                .await?;
            }
            Err(refusal) => {
                let note = refusal.to_string();
                sqlx::query(
                    "UPDATE call_logs SET status = 'failed', outcome = 'failed', ended_at = ?1,
                            notes = ?2
                     WHERE id = ?3 AND status = 'queued'",
                )
                .bind(&now)
                .bind(&note)
                .bind(&claimed.call_log_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE dialing_queues SET status = 'pending', scheduled_at = ?1, notes = ?2
                     WHERE id = ?3 AND status = 'calling' AND dispatch_generation = ?4",
                )
                .bind(db::minutes_from_now(claimed.due.retry_delay_minutes.max(1)))
                .bind(&note)
                .bind(&claimed.due.id)
                .bind(&claimed.generation)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await
}

/// The webhook's writes for finished calls, in one transaction: the call_log's end,
/// and its queue row done, retried after the campaign's delay, or failed at the last
/// attempt.
pub(super) async fn write_reports(
    pool: &sqlx::SqlitePool,
    finished: &[(CampaignTrack, CampaignFinal)],
) -> Result<(), sqlx::Error> {
    let mut tx = db::begin_write(pool).await?;
    for (track, result) in finished {
        write_call_log(&mut tx, track, result).await?;
        if let Some(queue_id) = &track.queue_id {
            write_queue_row(&mut tx, queue_id, track, result).await?;
        }
    }
    tx.commit().await
}

async fn write_call_log(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    track: &CampaignTrack,
    result: &CampaignFinal,
) -> Result<(), sqlx::Error> {
    let ended_at = result.ended_at.map(db::at).unwrap_or_else(db::now);
    let started_at = result.started_at.map(db::at);
    sqlx::query(
        "UPDATE call_logs SET status = ?1, outcome = ?2, duration_seconds = ?3,
                answered_at = ?4, started_at = ?4, ended_at = ?5, retell_cost_cents = ?6,
                sentiment = ?7, call_summary = ?8, notes = COALESCE(?9, notes)
         WHERE id = ?10 AND status IN ('queued', 'ringing') AND retell_call_id = ?11",
    )
    .bind(result.status)
    .bind(result.outcome)
    .bind(result.duration)
    .bind(started_at)
    .bind(ended_at)
    .bind(result.cost_cents)
    .bind(result.sentiment.as_deref())
    .bind(result.summary.as_deref())
    .bind(result.notes.as_deref())
    .bind(&track.call_log_id)
    .bind(&track.call_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn write_queue_row(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    queue_id: &str,
    track: &CampaignTrack,
    result: &CampaignFinal,
) -> Result<(), sqlx::Error> {
    if result.reached() {
        sqlx::query(
            "UPDATE dialing_queues SET status = 'completed'
             WHERE id = ?1 AND status = 'calling' AND last_provider_call_id = ?2
               AND dispatch_generation IS ?3",
        )
        .bind(queue_id)
        .bind(&track.call_id)
        .bind(track.generation.as_deref())
        .execute(&mut **tx)
        .await?;
        return Ok(());
    }
    let retry_note = format!("Retry after {}", result.status);
    sqlx::query(
        "UPDATE dialing_queues SET
            status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
            scheduled_at = CASE WHEN attempts >= max_attempts THEN scheduled_at ELSE ?1 END,
            notes = CASE WHEN attempts >= max_attempts
                         THEN 'Max attempts (' || max_attempts || ') reached' ELSE ?2 END
         WHERE id = ?3 AND status = 'calling' AND last_provider_call_id = ?4
           AND dispatch_generation IS ?5",
    )
    .bind(db::minutes_from_now(track.retry_delay_minutes.max(1)))
    .bind(&retry_note)
    .bind(queue_id)
    .bind(&track.call_id)
    .bind(track.generation.as_deref())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A campaign call adopted at start (already live at the fake); its queue row, if
/// any, with the dispatch generation it has now.
pub(super) fn adopted(
    call_log_id: String,
    queue: Option<(String, Option<String>)>,
    call_id: String,
    retry_delay_minutes: i64,
    outcome: &'static str,
) -> CampaignTrack {
    let now = Instant::now();
    let (queue_id, generation) = queue.unzip();
    CampaignTrack {
        call_log_id,
        queue_id,
        generation: generation.flatten(),
        call_id,
        outcome,
        retry_delay_minutes,
        drop_report: false,
        planned_end: now,
        next_check: now,
    }
}
