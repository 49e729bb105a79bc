//! The fakes learn the database's finished calls at start, newest first, as many as
//! they keep: the Logs screen's `enter` asks the provider for the record of a row's
//! call, and a provider knows every call it ever placed (the fakes only the newest
//! few thousand, and nothing from before they started unless told here).

use std::time::Duration;

use chrono::{DateTime, Utc};
use launchdeck_store::sqlite::parse_timestamp;
use sqlx::SqlitePool;

use crate::fakes::{CallPlan, PastCall, RetellState, TwilioCallPlan, TwilioOutcome, TwilioState};

/// How long a restored call was queued, and rang, before its outcome.
const QUEUED: Duration = Duration::from_secs(1);
const RINGING: Duration = Duration::from_secs(8);

/// How many finished calls each fake was told about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restored {
    pub twilio_calls: usize,
    pub retell_calls: usize,
}

/// A finished broadcast row: sid, lead, caller, status, duration, finished at.
type FinishedRow = (String, String, Option<String>, String, Option<i64>, String);

/// A finished call_log: call id, agent, caller, lead, status, duration, created,
/// answered, ended.
type FinishedLog = (
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
);

/// Tells the fake Twilio about the newest `limit` finished broadcast calls and the fake
/// Retell about the newest `limit` finished campaign calls (calls a fake already knows
/// are left as they are).
pub async fn restore(
    pool: &SqlitePool,
    twilio: &TwilioState,
    retell: &RetellState,
    limit: usize,
) -> Result<Restored, sqlx::Error> {
    Ok(Restored {
        twilio_calls: restore_twilio(pool, twilio, limit).await?,
        retell_calls: restore_retell(pool, retell, limit).await?,
    })
}

async fn restore_twilio(
    pool: &SqlitePool,
    twilio: &TwilioState,
    limit: usize,
) -> Result<usize, sqlx::Error> {
    let rows: Vec<FinishedRow> = sqlx::query_as(
        "SELECT q.call_sid, q.phone_number, b.caller_id, q.status, q.call_duration_seconds,
                q.updated_at
         FROM broadcast_queue q JOIN voice_broadcasts b ON b.id = q.broadcast_id
         WHERE q.status NOT IN ('pending', 'calling') AND q.call_sid IS NOT NULL
         ORDER BY q.updated_at DESC LIMIT ?1",
    )
    .bind(limit as i64)
    .fetch_all(pool)
    .await?;
    let mut restored = 0;
    for (sid, to, from, status, duration, finished) in rows {
        let Some(finished) = parse_timestamp(&finished) else {
            continue;
        };
        let plan = twilio_plan(&status, duration);
        let created = finished - chrono_duration(total(&plan));
        let from = from.unwrap_or_default();
        if twilio.add_past_call(&sid, &to, &from, plan, created) {
            restored += 1;
        }
    }
    Ok(restored)
}

/// The Twilio lifecycle a finished queue row's call went through.
pub fn twilio_plan(status: &str, duration_seconds: Option<i64>) -> TwilioCallPlan {
    let talk = Duration::from_secs(duration_seconds.unwrap_or(0).max(0) as u64);
    let outcome = match status {
        "busy" => TwilioOutcome::Busy,
        "no_answer" => TwilioOutcome::NoAnswer,
        "failed" => TwilioOutcome::Failed,
        // answered, completed, voicemail, transferred, callback, dnc: it connected.
        _ if talk > Duration::ZERO => TwilioOutcome::Completed { talk },
        _ => TwilioOutcome::NoAnswer,
    };
    TwilioCallPlan {
        queued: QUEUED,
        ringing: RINGING,
        outcome,
    }
}

fn total(plan: &TwilioCallPlan) -> Duration {
    let talk = match plan.outcome {
        TwilioOutcome::Completed { talk } => talk,
        _ => Duration::ZERO,
    };
    plan.queued + plan.ringing + talk
}

async fn restore_retell(
    pool: &SqlitePool,
    retell: &RetellState,
    limit: usize,
) -> Result<usize, sqlx::Error> {
    let rows: Vec<FinishedLog> = sqlx::query_as(
        "SELECT retell_call_id, agent_id, caller_id, phone_number, status, duration_seconds,
                created_at, answered_at, ended_at
         FROM call_logs
         WHERE status NOT IN ('queued', 'ringing') AND retell_call_id IS NOT NULL
         ORDER BY created_at DESC LIMIT ?1",
    )
    .bind(limit as i64)
    .fetch_all(pool)
    .await?;
    let mut restored = 0;
    for (call_id, agent, caller, to, status, duration, created, answered, ended) in rows {
        let Some(created) = parse_timestamp(&created) else {
            continue;
        };
        let answered = answered.as_deref().and_then(parse_timestamp);
        let ended = ended.as_deref().and_then(parse_timestamp);
        let plan = retell_plan(&status, duration, created, answered.or(ended));
        let call = PastCall {
            call_id,
            agent_id: agent.unwrap_or_default(),
            from_number: caller.unwrap_or_default(),
            to_number: to,
        };
        if retell.add_past_call(call, plan, created) {
            restored += 1;
        }
    }
    Ok(restored)
}

/// The Retell lifecycle a finished call_log's call went through: it rang from
/// `created` until `connected` (when it was answered, or ended unanswered).
pub fn retell_plan(
    status: &str,
    duration_seconds: Option<i64>,
    created: DateTime<Utc>,
    connected: Option<DateTime<Utc>>,
) -> CallPlan {
    let ring = connected
        .and_then(|at| (at - created).to_std().ok())
        .unwrap_or(RINGING);
    let talk = Duration::from_secs(duration_seconds.unwrap_or(0).max(0) as u64);
    match status {
        "voicemail" => CallPlan::answered_with(ring, talk, "voicemail_reached"),
        "busy" => CallPlan::not_connected(ring, "dial_busy"),
        "failed" => CallPlan::not_connected(ring, "dial_failed"),
        _ if talk.is_zero() => CallPlan::not_connected(ring, "dial_no_answer"),
        // completed, or a short answered call the platform counts as no answer.
        _ => CallPlan::answered(ring, talk),
    }
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::zero())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::PlanOutcome;

    #[test]
    fn queue_statuses_become_twilio_lifecycles() {
        let connected = twilio_plan("transferred", Some(95));
        assert_eq!(
            connected.outcome,
            TwilioOutcome::Completed {
                talk: Duration::from_secs(95)
            }
        );
        assert_eq!(total(&connected), Duration::from_secs(104));
        assert_eq!(twilio_plan("busy", Some(0)).outcome, TwilioOutcome::Busy);
        assert_eq!(twilio_plan("failed", None).outcome, TwilioOutcome::Failed);
        assert_eq!(
            twilio_plan("no_answer", Some(0)).outcome,
            TwilioOutcome::NoAnswer
        );
        assert_eq!(
            twilio_plan("answered", None).outcome,
            TwilioOutcome::NoAnswer
        );
    }

    #[test]
    fn call_log_statuses_become_retell_lifecycles() {
        let created = Utc::now() - chrono::Duration::hours(1);
        let answered = created + chrono::Duration::seconds(12);
        let done = retell_plan("completed", Some(80), created, Some(answered));
        assert_eq!(
            done,
            CallPlan::answered(Duration::from_secs(12), Duration::from_secs(80))
        );
        let busy = retell_plan("busy", Some(0), created, None);
        assert_eq!(busy.ring, RINGING);
        assert!(matches!(
            busy.outcome,
            PlanOutcome::NotConnected { ref reason } if reason == "dial_busy"
        ));
        let missed = retell_plan("no_answer", Some(0), created, Some(answered));
        assert!(matches!(
            missed.outcome,
            PlanOutcome::NotConnected { ref reason } if reason == "dial_no_answer"
        ));
    }
}
