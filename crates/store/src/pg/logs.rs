//! The Logs screen: the newest call_logs rows and finished broadcast_queue rows.

use launchdeck_core::domain::{CallLogEntry, LogFilter, Scope};
use sqlx::AssertSqlSafe;

use super::PgStore;
use super::rows::LogRow;
use crate::scope::{ScopeSql, fill};

// Parameters: $1 user, $2 org (scope), $3 horizon in seconds, $4 limit,
// $5 status, $6 ILIKE pattern, $7 campaign, $8 broadcast.
//
// call_logs are read newest-first down idx_call_logs_created_at and stop after
// $4 matches; the horizon bounds the walk when filters match little. Queue rows
// have no updated_at index, so finding the newest costs a heap visit per finished
// row: only `active` broadcasts (where rows finish) contribute, or the broadcast the
// filter names, whatever its status; each gives its newest $4 finished rows, read
// from the (broadcast_id, status) index without the pending and calling entries.
const WINDOW_SQL: &str = "
(SELECT 'call_logs' AS source, cl.id, cl.status, cl.outcome, cl.duration_seconds,
        cl.retell_cost_cents / 100.0::float8 AS cost, cl.notes, cl.phone_number AS phone,
        cl.caller_id, cl.provider,
        coalesce(cl.retell_call_id, cl.telnyx_call_control_id) AS provider_call_id,
        NULL::uuid AS broadcast_id, cl.campaign_id, c.name AS parent_name, cl.agent_id,
        cl.created_at, cl.answered_at, cl.ended_at,
        coalesce(cl.ended_at, cl.created_at) AS updated_at, cl.call_summary,
        cl.provider_reconciliation_required AS reconciliation_required,
        cl.created_at AS sort_at
   FROM call_logs cl
   LEFT JOIN campaigns c ON c.id = cl.campaign_id
  WHERE cl.created_at >= now() - make_interval(secs => $3){log_scope}{log_filter}
  ORDER BY cl.created_at DESC, cl.id DESC
  LIMIT $4)
UNION ALL
(SELECT 'broadcast_queue', q.id, q.status, q.outcome, q.call_duration_seconds,
        q.call_cost::float8, q.notes, q.phone_number, vb.caller_id, vb.broadcast_provider,
        q.call_sid, q.broadcast_id, NULL::uuid, vb.name, NULL::text,
        coalesce(q.created_at, q.updated_at), NULL::timestamptz, NULL::timestamptz,
        q.updated_at, NULL::text, false,
        q.updated_at
   FROM voice_broadcasts vb
  CROSS JOIN LATERAL (
        SELECT q.id, q.status, q.call_duration_seconds, q.call_cost, q.phone_number,
               q.call_sid, q.broadcast_id, q.created_at, q.updated_at, f.outcome, f.notes
          FROM broadcast_queue q
         CROSS JOIN LATERAL (SELECT
               CASE WHEN q.dtmf_pressed IS NOT NULL THEN 'dtmf ' || q.dtmf_pressed
                    ELSE q.amd_result END AS outcome,
               CASE WHEN q.error_code IS NOT NULL AND q.error_message IS NOT NULL
                    THEN q.error_code || ': ' || q.error_message
                    ELSE coalesce(q.error_code, q.error_message) END AS notes) f
         WHERE q.broadcast_id = vb.id AND {finished}
           AND q.updated_at >= now() - make_interval(secs => $3){queue_filter}
         ORDER BY q.updated_at DESC, q.id DESC
         LIMIT $4) q
  WHERE {broadcast_choice}{broadcast_scope}{broadcast_filter}
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
            " AND (cl.status ILIKE $6 OR cl.outcome ILIKE $6 OR cl.notes ILIKE $6 \
             OR cl.retell_call_id ILIKE $6 OR cl.telnyx_call_control_id ILIKE $6 \
             OR cl.phone_number ILIKE $6)",
        );
        queue.push_str(
            " AND (q.status ILIKE $6 OR f.outcome ILIKE $6 OR f.notes ILIKE $6 \
             OR q.call_sid ILIKE $6 OR q.phone_number ILIKE $6)",
        );
    }
    // A campaign filter leaves no broadcast rows; a broadcast filter no call_logs.
    if filter.campaign_id.is_some() {
        log.push_str(" AND cl.campaign_id = $7");
        broadcast.push_str(" AND false");
    }
    if filter.broadcast_id.is_some() {
        log.push_str(" AND false");
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

impl PgStore {
    pub(super) async fn query_call_log_window(
        &self,
        scope: &Scope,
        filter: &LogFilter,
        limit: u32,
    ) -> Result<Vec<CallLogEntry>, sqlx::Error> {
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
                ("finished", super::live::QUEUE_FINISHED),
                ("queue_filter", &f.queue),
                ("broadcast_choice", f.broadcast_choice),
                ("broadcast_scope", &s.per_user("vb")),
                ("broadcast_filter", &f.broadcast),
            ],
        );
        let mut tx = self.begin().await?;
        let rows: Vec<LogRow> = sqlx::query_as(AssertSqlSafe(sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .bind(self.opts.log_horizon.as_secs_f64())
            .bind(i64::from(limit))
            .bind(filter.status.as_deref())
            .bind(like_pattern(filter))
            .bind(filter.campaign_id)
            .bind(filter.broadcast_id)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rows.into_iter().filter_map(LogRow::into_entry).collect())
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
