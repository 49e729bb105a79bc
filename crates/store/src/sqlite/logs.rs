//! The Logs screen: the newest call_logs rows and finished broadcast_queue rows, with
//! the PostgreSQL store's columns, filters, horizon and order.

use launchdeck_core::domain::{CallLogEntry, CallSource, LogFilter, Scope};
use sqlx::AssertSqlSafe;
use sqlx::sqlite::SqliteRow;

use super::SqliteStore;
use super::error::QueryError;
use super::values::scope_params;
use super::values::{Cols, now_micros, opt_uuid_text, timestamp};
use crate::scope::{ScopeSql, fill};

// Parameters: $1 user, $2 org (scope), $3 horizon start, $4 limit, $5 status,
// $6 LIKE pattern, $7 campaign, $8 broadcast.
//
// call_logs are read newest first down idx_call_logs_created_at (the tenant filter
// is written `+col` so SQLite cannot pick the tenant indexes instead); queue rows
// come from the `active` broadcasts (where rows finish), or from the broadcast the
// filter names whatever its status. Each half stops after $4 rows, then they merge.
const WINDOW_SQL: &str = "
SELECT * FROM (
  SELECT 'call_logs' AS source, cl.id AS id, cl.status AS status, cl.outcome AS outcome,
         cl.duration_seconds AS duration_seconds,
         cl.retell_cost_cents / 100.0 AS cost, cl.notes, cl.phone_number AS phone,
         cl.caller_id, cl.provider,
         coalesce(cl.retell_call_id, cl.telnyx_call_control_id) AS provider_call_id,
         NULL AS broadcast_id, cl.campaign_id, c.name AS parent_name, cl.agent_id,
         cl.created_at, cl.answered_at, cl.ended_at,
         coalesce(cl.ended_at, cl.created_at) AS updated_at, cl.call_summary,
         cl.provider_reconciliation_required AS reconciliation_required,
         cl.created_at AS sort_at
    FROM call_logs cl
    LEFT JOIN campaigns c ON c.id = cl.campaign_id
   WHERE cl.created_at >= $3{log_scope}{log_filter}
   ORDER BY cl.created_at DESC, cl.id DESC
   LIMIT $4)
UNION ALL
SELECT * FROM (
  SELECT 'broadcast_queue', q.id, q.status, q.outcome, q.call_duration_seconds,
         CAST(q.call_cost AS REAL), q.notes, q.phone_number, vb.caller_id,
         vb.broadcast_provider, q.call_sid, q.broadcast_id, NULL, vb.name, NULL,
         coalesce(q.created_at, q.updated_at), NULL, NULL, q.updated_at, NULL, 0,
         q.updated_at
    FROM voice_broadcasts vb
    JOIN (SELECT q.id, q.status, q.call_duration_seconds, q.call_cost, q.phone_number,
                 q.call_sid, q.broadcast_id, q.created_at, q.updated_at,
                 CASE WHEN q.dtmf_pressed IS NOT NULL THEN 'dtmf ' || q.dtmf_pressed
                      ELSE q.amd_result END AS outcome,
                 CASE WHEN q.error_code IS NOT NULL AND q.error_message IS NOT NULL
                      THEN q.error_code || ': ' || q.error_message
                      ELSE coalesce(q.error_code, q.error_message) END AS notes
            FROM broadcast_queue q
           WHERE q.status NOT IN ('pending', 'calling') AND q.updated_at >= $3) q
      ON q.broadcast_id = vb.id
   WHERE {broadcast_choice}{broadcast_scope}{queue_filter}{broadcast_filter}
   ORDER BY q.updated_at DESC, q.id DESC
   LIMIT $4)
ORDER BY sort_at DESC, id DESC
LIMIT $4";

/// The filter's SQL for each half of the window.
struct FilterSql {
    log: String,
    queue: String,
    broadcast: String,
    broadcast_choice: &'static str,
}

fn filter_sql(filter: &LogFilter) -> FilterSql {
    let mut log = String::new();
    let mut queue = String::new();
    let mut broadcast = String::new();
    let mut broadcast_choice = "vb.status = 'active'";
    if filter.status.is_some() {
        log.push_str(" AND cl.status = $5");
        queue.push_str(" AND q.status = $5");
    }
    if like_pattern(filter).is_some() {
        log.push_str(
            " AND (cl.status LIKE $6 ESCAPE '\\' OR cl.outcome LIKE $6 ESCAPE '\\' \
             OR cl.notes LIKE $6 ESCAPE '\\' OR cl.retell_call_id LIKE $6 ESCAPE '\\' \
             OR cl.telnyx_call_control_id LIKE $6 ESCAPE '\\' \
             OR cl.phone_number LIKE $6 ESCAPE '\\')",
        );
        queue.push_str(
            " AND (q.status LIKE $6 ESCAPE '\\' OR q.outcome LIKE $6 ESCAPE '\\' \
             OR q.notes LIKE $6 ESCAPE '\\' OR q.call_sid LIKE $6 ESCAPE '\\' \
             OR q.phone_number LIKE $6 ESCAPE '\\')",
        );
    }
    // A campaign filter leaves no broadcast rows; a broadcast filter no call_logs.
    if filter.campaign_id.is_some() {
        log.push_str(" AND cl.campaign_id = $7");
        broadcast.push_str(" AND 0");
    }
    if filter.broadcast_id.is_some() {
        log.push_str(" AND 0");
        broadcast_choice = "vb.id = $8";
    }
    FilterSql {
        log,
        queue,
        broadcast,
        broadcast_choice,
    }
}

/// `%text%` with the LIKE wildcards in the text escaped; None for blank text.
/// (SQLite's LIKE ignores ASCII case, like PostgreSQL's ILIKE.)
fn like_pattern(filter: &LogFilter) -> Option<String> {
    let text = filter.text.as_deref()?.trim();
    if text.is_empty() {
        return None;
    }
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Some(format!("%{escaped}%"))
}

fn log_entry(row: &SqliteRow) -> Result<Option<CallLogEntry>, QueryError> {
    let c = Cols::new(row, "call log window");
    let source = match c.text("source")?.as_str() {
        "call_logs" => CallSource::CallLogs,
        "broadcast_queue" => CallSource::BroadcastQueue,
        _ => return Ok(None),
    };
    Ok(Some(CallLogEntry {
        source,
        id: c.uuid("id")?,
        status: c.text("status")?,
        outcome: c.opt_text("outcome")?,
        duration_seconds: c.opt_i32("duration_seconds")?,
        cost: c.opt_f64("cost")?,
        notes: c.opt_text("notes")?,
        phone: c.text("phone")?,
        caller_id: c.opt_text("caller_id")?,
        provider: c.opt_text("provider")?,
        provider_call_id: c.opt_text("provider_call_id")?,
        broadcast_id: c.opt_uuid("broadcast_id")?,
        campaign_id: c.opt_uuid("campaign_id")?,
        parent_name: c.opt_text("parent_name")?,
        agent_id: c.opt_text("agent_id")?,
        created_at: c.timestamp("created_at")?,
        answered_at: c.opt_timestamp("answered_at")?,
        ended_at: c.opt_timestamp("ended_at")?,
        updated_at: c.timestamp("updated_at")?,
        call_summary: c.opt_text("call_summary")?,
        reconciliation_required: c.bool_or("reconciliation_required", false)?,
    }))
}

impl SqliteStore {
    pub(super) async fn query_call_log_window(
        &self,
        scope: &Scope,
        filter: &LogFilter,
        limit: u32,
    ) -> Result<Vec<CallLogEntry>, QueryError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let s = ScopeSql::new(scope);
        let f = filter_sql(filter);
        let sql = fill(
            WINDOW_SQL,
            &[
                ("log_scope", &s.core_filter_only("cl")),
                ("log_filter", &f.log),
                ("queue_filter", &f.queue),
                ("broadcast_choice", f.broadcast_choice),
                ("broadcast_scope", &s.per_user("vb")),
                ("broadcast_filter", &f.broadcast),
            ],
        );
        let horizon = chrono::Duration::from_std(self.opts.log_horizon)
            .ok()
            .and_then(|h| now_micros().checked_sub_signed(h))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        let (user, org) = scope_params(scope);

        let mut tx = self.begin().await?;
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(user)
            .bind(org)
            .bind(timestamp(horizon))
            .bind(i64::from(limit))
            .bind(filter.status.as_deref())
            .bind(like_pattern(filter))
            .bind(opt_uuid_text(filter.campaign_id))
            .bind(opt_uuid_text(filter.broadcast_id))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;

        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            entries.extend(log_entry(row)?);
        }
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        let f = LogFilter {
            text: Some(" 50%_off\\ ".into()),
            ..LogFilter::default()
        };
        assert_eq!(like_pattern(&f).as_deref(), Some("%50\\%\\_off\\\\%"));
        let blank = LogFilter {
            text: Some("  ".into()),
            ..LogFilter::default()
        };
        assert_eq!(like_pattern(&blank), None);
    }
}
