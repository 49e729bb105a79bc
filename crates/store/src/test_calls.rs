//! The test broadcast's row writes, shared by both stores: each
//! [`TestCallWrite`] is ONE conditional UPDATE (so an abort between two writes leaves
//! every row whole), applied only while the row is still as the previous step left it.
//! The dialects differ only in `now()` and string literals.

use chrono::{DateTime, Utc};
use launchdeck_core::domain::CallSource;
use launchdeck_core::test_broadcast::{ACCEPTANCE_UNKNOWN_CODE, TestCallUpdate, TestCallWrite};

/// The draft test broadcast of `$1`'s owner named `$2`, if any.
pub(crate) const FIND_DRAFT_SQL: &str = "
SELECT d.id FROM voice_broadcasts d
  JOIN voice_broadcasts s ON s.id = $1 AND d.user_id = s.user_id
 WHERE d.name = $2
 ORDER BY d.created_at, d.id
 LIMIT 1";

/// What the draft copies from the original: message, voice, audio, IVR and DTMF
/// settings, calling hours.
const DRAFT_COPIES: &str = "message_text, voice_id, voice_model, audio_url, ivr_enabled, \
     ivr_mode, ivr_prompt, dtmf_actions, ai_system_prompt, ai_transfer_keywords, \
     retry_delay_minutes, calling_hours_start, calling_hours_end, timezone, calls_per_minute, \
     voice_speed, caller_id, bypass_calling_hours, enable_amd, voicemail_action, \
     voicemail_audio_url, use_sip_trunk, broadcast_provider";

/// The INSERT of a draft copy of `$1` named `$2` with description `$3` (status `draft`,
/// one attempt, counters at their defaults); with `id_param`, its id is that parameter
/// (SQLite), else the database's default (PostgreSQL: `RETURNING id`).
pub(crate) fn create_draft_sql(id_param: Option<&str>) -> String {
    let (id_col, id_val, returning) = match id_param {
        Some(p) => ("id, ", format!("{p}, "), ""),
        None => ("", String::new(), " RETURNING id"),
    };
    format!(
        "INSERT INTO voice_broadcasts ({id_col}user_id, name, description, status, \
         max_attempts, {DRAFT_COPIES}) \
         SELECT {id_val}user_id, $2, $3, 'draft', 1, {DRAFT_COPIES} \
         FROM voice_broadcasts WHERE id = $1{returning}"
    )
}

/// What the draft test broadcast's description says.
pub(crate) fn draft_description(source: uuid::Uuid) -> String {
    format!(
        "Test calls placed by launchdeck for broadcast {source}: not a real broadcast; its \
         rows stay out of the original's figures"
    )
}

/// A value bound after the row's id (`$1`), in order from `$2`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Text(Option<String>),
    Int(Option<i64>),
    Time(Option<DateTime<Utc>>),
}

/// How a store writes the few things that differ.
pub(crate) struct Dialect {
    /// The database's clock in the stored form.
    pub now: &'static str,
    /// A newline literal.
    pub newline: &'static str,
    /// Appended to a text parameter used in an expression.
    pub text_cast: &'static str,
}

/// broadcast_queue as inserted: `calling`, no call sid, no error code.
const BQ_AS_INSERTED: &str = "status = 'calling' AND call_sid IS NULL AND error_code IS NULL";
/// broadcast_queue whose acceptance is unknown.
const BQ_UNKNOWN: &str = "status = 'calling' AND call_sid IS NULL AND error_code = '{unknown}'";
/// call_logs as inserted: `queued`, no Retell id, no redial hold, not ended.
const CL_AS_INSERTED: &str = "status = 'queued' AND retell_call_id IS NULL \
     AND NOT provider_reconciliation_required AND ended_at IS NULL";
/// call_logs whose acceptance is unknown (the redial hold is set).
const CL_UNKNOWN: &str = "status = 'queued' AND retell_call_id IS NULL \
     AND provider_reconciliation_required AND ended_at IS NULL";

/// `notes` with `$n` appended on a line of its own.
fn append_note(d: &Dialect, n: u8) -> String {
    let p = format!("${n}{}", d.text_cast);
    format!(
        "CASE WHEN coalesce(notes, '') = '' THEN {p} ELSE notes || {} || {p} END",
        d.newline
    )
}

fn text(value: &str) -> Bind {
    Bind::Text(Some(value.to_string()))
}

/// The UPDATE for `write` (`$1` is the row's id) and the values for `$2`….
pub(crate) fn update_sql(write: &TestCallWrite, d: &Dialect) -> (String, Vec<Bind>) {
    let now = d.now;
    let (set, condition, binds): (String, String, Vec<Bind>) = match (write.source, &write.update) {
        (CallSource::BroadcastQueue, TestCallUpdate::Placed { provider_call_id }) => (
            format!("call_sid = $2, updated_at = {now}"),
            BQ_AS_INSERTED.into(),
            vec![text(provider_call_id)],
        ),
        (CallSource::BroadcastQueue, TestCallUpdate::Failed { code, reason }) => (
            format!("status = 'failed', error_code = $2, error_message = $3, updated_at = {now}"),
            BQ_AS_INSERTED.into(),
            vec![text(code), text(reason)],
        ),
        (CallSource::BroadcastQueue, TestCallUpdate::AcceptanceUnknown { reason }) => (
            format!("error_code = $2, error_message = $3, updated_at = {now}"),
            BQ_AS_INSERTED.into(),
            vec![text(ACCEPTANCE_UNKNOWN_CODE), text(reason)],
        ),
        (CallSource::BroadcastQueue, TestCallUpdate::Found { provider_call_id }) => (
            format!("call_sid = $2, error_code = NULL, error_message = $3, updated_at = {now}"),
            BQ_UNKNOWN.into(),
            vec![
                text(provider_call_id),
                text("acceptance was unknown; reconcile found the call"),
            ],
        ),
        (CallSource::BroadcastQueue, TestCallUpdate::NotFound { reason }) => (
            format!("status = 'failed', error_message = $2, updated_at = {now}"),
            BQ_UNKNOWN.into(),
            vec![text(reason)],
        ),
        (
            CallSource::BroadcastQueue,
            TestCallUpdate::Final {
                provider_call_id,
                state,
            },
        ) => (
            format!(
                "status = $3, call_duration_seconds = coalesce($4, call_duration_seconds), \
                 updated_at = {now}"
            ),
            "call_sid = $2 AND status = 'calling'".into(),
            vec![
                text(provider_call_id),
                text(&state.status),
                Bind::Int(state.duration_seconds),
            ],
        ),
        (CallSource::CallLogs, TestCallUpdate::Placed { provider_call_id }) => (
            "status = 'ringing', retell_call_id = $2".into(),
            CL_AS_INSERTED.into(),
            vec![text(provider_call_id)],
        ),
        (CallSource::CallLogs, TestCallUpdate::Failed { code, reason }) => (
            format!(
                "status = 'failed', outcome = 'failed', ended_at = {now}, notes = {}",
                append_note(d, 2)
            ),
            CL_AS_INSERTED.into(),
            vec![text(&format!("{code}: {reason}"))],
        ),
        (CallSource::CallLogs, TestCallUpdate::AcceptanceUnknown { reason }) => (
            format!(
                "provider_reconciliation_required = true, provider_reconciliation_reason = $2, \
                 provider_reconciliation_marked_at = {now}, notes = {}",
                append_note(d, 3)
            ),
            CL_AS_INSERTED.into(),
            vec![
                text(reason),
                text(&format!("{ACCEPTANCE_UNKNOWN_CODE}: {reason}")),
            ],
        ),
        (CallSource::CallLogs, TestCallUpdate::Found { provider_call_id }) => (
            format!(
                "status = 'ringing', retell_call_id = $2, provider_reconciliation_required = \
                 false, provider_reconciled_at = {now}, notes = {}",
                append_note(d, 3)
            ),
            CL_UNKNOWN.into(),
            vec![
                text(provider_call_id),
                text("reconcile found the call at Retell"),
            ],
        ),
        (CallSource::CallLogs, TestCallUpdate::NotFound { reason }) => (
            format!(
                "status = 'failed', outcome = 'failed', ended_at = {now}, \
                 provider_reconciliation_required = false, provider_reconciled_at = {now}, \
                 notes = {}",
                append_note(d, 2)
            ),
            CL_UNKNOWN.into(),
            vec![text(reason)],
        ),
        (
            CallSource::CallLogs,
            TestCallUpdate::Final {
                provider_call_id,
                state,
            },
        ) => (
            format!(
                "status = $3, outcome = $4, duration_seconds = coalesce($5, duration_seconds), \
                 started_at = coalesce($6, started_at), answered_at = coalesce($6, answered_at), \
                 ended_at = coalesce($7, {now})"
            ),
            "retell_call_id = $2 AND status IN ('queued', 'ringing') AND ended_at IS NULL".into(),
            vec![
                text(provider_call_id),
                text(&state.status),
                Bind::Text(state.outcome.clone()),
                Bind::Int(state.duration_seconds),
                Bind::Time(state.started_at),
                Bind::Time(state.ended_at),
            ],
        ),
        (CallSource::DialingQueues, _) => (
            // Test calls never write dialing_queues: a statement that changes nothing.
            "status = status".into(),
            "FALSE".into(),
            Vec::new(),
        ),
    };
    let condition = condition.replace("{unknown}", ACCEPTANCE_UNKNOWN_CODE);
    let sql = format!(
        "UPDATE {} SET {set} WHERE id = $1 AND {condition}",
        write.source.as_str()
    );
    (sql, binds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use launchdeck_core::test_broadcast::FinalState;
    use uuid::Uuid;

    const D: Dialect = Dialect {
        now: "now()",
        newline: "E'\\n'",
        text_cast: "::text",
    };

    fn count_params(sql: &str) -> usize {
        (2..=9).filter(|n| sql.contains(&format!("${n}"))).count()
    }

    #[test]
    fn every_bind_is_used_and_every_write_is_conditional() {
        let state = FinalState {
            status: "completed".into(),
            outcome: Some("completed".into()),
            duration_seconds: Some(30),
            started_at: None,
            ended_at: None,
            reason: "user_hangup".into(),
        };
        let updates = [
            TestCallUpdate::Placed {
                provider_call_id: "c".into(),
            },
            TestCallUpdate::Failed {
                code: "X".into(),
                reason: "r".into(),
            },
            TestCallUpdate::AcceptanceUnknown { reason: "r".into() },
            TestCallUpdate::Found {
                provider_call_id: "c".into(),
            },
            TestCallUpdate::NotFound { reason: "r".into() },
            TestCallUpdate::Final {
                provider_call_id: "c".into(),
                state,
            },
        ];
        for source in [CallSource::BroadcastQueue, CallSource::CallLogs] {
            for update in &updates {
                let write = TestCallWrite {
                    source,
                    id: Uuid::nil(),
                    update: update.clone(),
                };
                let (sql, binds) = update_sql(&write, &D);
                assert_eq!(count_params(&sql), binds.len(), "{sql}");
                assert!(sql.contains("WHERE id = $1 AND "), "{sql}");
                assert!(
                    sql.starts_with(&format!("UPDATE {} ", source.as_str())),
                    "{sql}"
                );
            }
        }
    }
}
