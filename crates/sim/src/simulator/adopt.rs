//! The simulator's first step: take over the calls already in flight in the database.
//!
//! For each `calling` broadcast row and `queued`/`ringing` call_log with a provider id:
//! - the fake knows the call and it is live (or was handed over): follow it like a
//!   call dialled here;
//! - the fake knows the call and it has ended: its report was lost; leave the row
//!   (it is stuck until the operator cleans it up);
//! - the fake does not know it (a call from an earlier run of the demo, whose fakes
//!   are gone): the fake is told about it, so the provider knows every call the rows
//!   name. A call that was already stuck when that run last wrote to the database had
//!   its report lost: it has ended at the provider and its row stays stuck. Any other
//!   was live when that run stopped: it goes on (or has ended meanwhile) and is
//!   followed, so its late report is written as the platform's webhook would.

use std::time::Duration;

use chrono::{DateTime, Utc};
use launchdeck_store::sqlite::parse_timestamp;

use super::plan;
use super::{Handover, Sim, broadcast, campaign};
use crate::fakes::{CallPlan, PastCall, TwilioCallPlan, TwilioOutcome};

/// A `calling` broadcast row with a call sid.
#[derive(Debug, sqlx::FromRow)]
struct CallingRow {
    id: String,
    broadcast_id: String,
    call_sid: String,
    phone_number: String,
    caller_id: Option<String>,
    attempts: i64,
    max_attempts: i64,
    retry_delay_minutes: i64,
    updated_at: String,
}

/// A `queued`/`ringing` call_log with a Retell call id.
#[derive(Debug, sqlx::FromRow)]
struct RingingLog {
    id: String,
    retell_call_id: String,
    queue_id: Option<String>,
    generation: Option<String>,
    retry_delay_minutes: i64,
    agent_id: Option<String>,
    caller_id: Option<String>,
    phone_number: String,
    created_at: String,
}

/// A broadcast row `calling` for longer than this is stuck (the platform's rule).
const BROADCAST_STUCK_AFTER: Duration = Duration::from_secs(5 * 60);
/// The simulator's longest campaign call (ring and talk, real time): a call placed
/// longer ago than this cannot have been live.
const LONGEST_CAMPAIGN_CALL: Duration = Duration::from_secs(16 * 60);

impl Sim {
    pub(super) async fn adopt_in_flight(&mut self, handover: &Handover) {
        let last_write = match self.last_write().await {
            Ok(at) => at,
            Err(e) => {
                self.db_error("reading when the database was last written", &e);
                None
            }
        };
        if let Err(e) = self.adopt_broadcast_calls(handover, last_write).await {
            self.db_error("adopting broadcast calls in flight", &e);
        }
        if let Err(e) = self.adopt_campaign_calls(handover, last_write).await {
            self.db_error("adopting campaign calls in flight", &e);
        }
        tracing::info!(
            broadcast_calls = self.broadcasts.len(),
            campaign_calls = self.campaigns.len(),
            "simulator adopted the calls in flight"
        );
    }

    /// When the platform (an earlier run of the simulator, or the data set) last wrote
    /// a call row.
    async fn last_write(&self) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        let at: Option<String> = sqlx::query_scalar(
            "SELECT max(at) FROM (
                SELECT max(updated_at) AS at FROM broadcast_queue
                UNION ALL SELECT max(updated_at) FROM dialing_queues
                UNION ALL SELECT max(created_at) FROM call_logs)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(at.as_deref().and_then(parse_timestamp))
    }

    async fn adopt_broadcast_calls(
        &mut self,
        handover: &Handover,
        last_write: Option<DateTime<Utc>>,
    ) -> Result<(), sqlx::Error> {
        let rows: Vec<CallingRow> = sqlx::query_as(
            "SELECT q.id, q.broadcast_id, q.call_sid, q.phone_number, b.caller_id,
                    COALESCE(q.attempts, 0) AS attempts,
                    COALESCE(q.max_attempts, 1) AS max_attempts,
                    COALESCE(b.retry_delay_minutes, 60) AS retry_delay_minutes, q.updated_at
             FROM broadcast_queue q JOIN voice_broadcasts b ON b.id = q.broadcast_id
             WHERE q.status = 'calling' AND q.call_sid IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in rows {
            let handed_over = handover.live_call_ids.contains(&row.call_sid);
            let follow = match self.providers.twilio.call(&row.call_sid) {
                Some(call) => {
                    handed_over
                        || !call["status"]
                            .as_str()
                            .is_some_and(plan::twilio_is_terminal)
                }
                None => self.restore_broadcast_call(&row, last_write),
            };
            if follow {
                let listener = plan::listener(&mut self.rng);
                self.broadcasts.push(broadcast::adopted(
                    row.id,
                    row.broadcast_id,
                    row.call_sid,
                    (row.attempts, row.max_attempts, row.retry_delay_minutes),
                    listener,
                ));
            }
        }
        Ok(())
    }

    /// Tells the fake Twilio about an earlier run's call; true when it is to be
    /// followed (it was live when that run stopped).
    fn restore_broadcast_call(
        &mut self,
        row: &CallingRow,
        last_write: Option<DateTime<Utc>>,
    ) -> bool {
        let Some(claimed) = parse_timestamp(&row.updated_at) else {
            return false;
        };
        let lost = was_older_than(claimed, last_write, BROADCAST_STUCK_AFTER);
        let mut lifecycle = plan::broadcast_call(&mut self.rng, self.config.pace).twilio;
        if lost {
            lifecycle = ended_within(lifecycle, since(claimed));
        }
        let caller = row.caller_id.as_deref().unwrap_or_default();
        let twilio = &self.providers.twilio;
        twilio.add_past_call(&row.call_sid, &row.phone_number, caller, lifecycle, claimed);
        !lost
    }

    async fn adopt_campaign_calls(
        &mut self,
        handover: &Handover,
        last_write: Option<DateTime<Utc>>,
    ) -> Result<(), sqlx::Error> {
        let logs: Vec<RingingLog> = sqlx::query_as(
            "SELECT l.id, l.retell_call_id, d.id AS queue_id, d.dispatch_generation AS generation,
                    COALESCE(c.retry_delay_minutes, 30) AS retry_delay_minutes,
                    l.agent_id, l.caller_id, l.phone_number, l.created_at
             FROM call_logs l
             LEFT JOIN dialing_queues d
                    ON d.last_provider_call_id = l.retell_call_id AND d.status = 'calling'
             LEFT JOIN campaigns c ON c.id = l.campaign_id
             WHERE l.status IN ('queued', 'ringing') AND l.retell_call_id IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        for log in logs {
            let handed_over = handover.live_call_ids.contains(&log.retell_call_id);
            let (follow, outcome) = match self.providers.retell.call(&log.retell_call_id) {
                Some(call) => {
                    let ended = call["call_status"]
                        .as_str()
                        .is_some_and(plan::retell_is_terminal);
                    (handed_over || !ended, self.completed_outcome())
                }
                None => self.restore_campaign_call(&log, last_write),
            };
            if follow {
                let queue = log.queue_id.map(|id| (id, log.generation));
                self.campaigns.push(campaign::adopted(
                    log.id,
                    queue,
                    log.retell_call_id,
                    log.retry_delay_minutes,
                    outcome,
                ));
            }
        }
        Ok(())
    }

    /// Tells the fake Retell about an earlier run's call; (whether to follow it, the
    /// disposition a conversation gets).
    fn restore_campaign_call(
        &mut self,
        log: &RingingLog,
        last_write: Option<DateTime<Utc>>,
    ) -> (bool, &'static str) {
        let call = plan::campaign_call(&mut self.rng, self.config.pace);
        let Some(placed) = parse_timestamp(&log.created_at) else {
            return (false, call.outcome);
        };
        let lost = was_older_than(placed, last_write, LONGEST_CAMPAIGN_CALL);
        let lifecycle = if lost {
            CallPlan::not_connected(Duration::ZERO, "dial_no_answer")
        } else {
            call.retell
        };
        let past = PastCall {
            call_id: log.retell_call_id.clone(),
            agent_id: log.agent_id.clone().unwrap_or_default(),
            from_number: log.caller_id.clone().unwrap_or_default(),
            to_number: log.phone_number.clone(),
        };
        self.providers.retell.add_past_call(past, lifecycle, placed);
        (!lost, call.outcome)
    }

    fn completed_outcome(&mut self) -> &'static str {
        plan::campaign_call(&mut self.rng, 1.0).outcome
    }
}

/// `at` was more than `age` before the last write (a row that old then was stuck).
fn was_older_than(at: DateTime<Utc>, last_write: Option<DateTime<Utc>>, age: Duration) -> bool {
    let age = chrono::Duration::from_std(age).unwrap_or_else(|_| chrono::Duration::zero());
    last_write.is_some_and(|last| last - at > age)
}

fn since(at: DateTime<Utc>) -> Duration {
    (Utc::now() - at).to_std().unwrap_or_default()
}

/// The lifecycle if it ends within `elapsed`, else one that went unanswered at once
/// (a lost report's call has ended).
fn ended_within(lifecycle: TwilioCallPlan, elapsed: Duration) -> TwilioCallPlan {
    let talk = match lifecycle.outcome {
        TwilioOutcome::Completed { talk } => talk,
        _ => Duration::ZERO,
    };
    if lifecycle.queued + lifecycle.ringing + talk < elapsed {
        return lifecycle;
    }
    TwilioCallPlan {
        queued: Duration::ZERO,
        ringing: Duration::ZERO,
        outcome: TwilioOutcome::NoAnswer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_lost_when_it_was_stuck_at_the_last_write() {
        let last = Utc::now() - chrono::Duration::hours(3);
        let stuck = last - chrono::Duration::minutes(6);
        let live = last - chrono::Duration::minutes(2);
        assert!(was_older_than(stuck, Some(last), BROADCAST_STUCK_AFTER));
        assert!(!was_older_than(live, Some(last), BROADCAST_STUCK_AFTER));
        assert!(!was_older_than(stuck, None, BROADCAST_STUCK_AFTER));
    }

    #[test]
    fn a_lost_reports_call_has_ended() {
        let long = TwilioCallPlan {
            queued: Duration::from_secs(1),
            ringing: Duration::from_secs(5),
            outcome: TwilioOutcome::Completed {
                talk: Duration::from_secs(600),
            },
        };
        let kept = ended_within(long.clone(), Duration::from_secs(3_600));
        assert_eq!(kept, long);
        let ended = ended_within(long, Duration::from_secs(60));
        assert_eq!(ended.outcome, TwilioOutcome::NoAnswer);
        assert_eq!(ended.queued + ended.ringing, Duration::ZERO);
    }
}
