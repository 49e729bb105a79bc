//! One full refresh of the live panels: the console's way (the poller's store calls,
//! crates/tui/src/poll.rs) and the naive way (count every status of every row, select
//! the in-flight rows whole, no windows or limits).

use launchdeck_core::domain::{LogFilter, Scope};
use launchdeck_store::Store;
use launchdeck_store::pg::PgStore;
use sqlx::PgConnection;

/// TuiOptions::default().log_window: how many call-log rows the Logs poller asks for.
const LOG_WINDOW: u32 = 500;
/// ALERT_LIMIT in crates/tui/src/poll.rs.
const ALERT_LIMIT: u32 = 50;

/// The store calls of one refresh, in the pollers' order: live (db_info +
/// calls_in_flight), logs, progress (broadcasts + campaigns), alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveCall {
    DbInfo,
    CallsInFlight,
    CallLogWindow,
    BroadcastProgress,
    CampaignProgress,
    UnacknowledgedAlerts,
}

impl LiveCall {
    pub const ALL: [LiveCall; 6] = [
        LiveCall::DbInfo,
        LiveCall::CallsInFlight,
        LiveCall::CallLogWindow,
        LiveCall::BroadcastProgress,
        LiveCall::CampaignProgress,
        LiveCall::UnacknowledgedAlerts,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LiveCall::DbInfo => "db_info",
            LiveCall::CallsInFlight => "calls_in_flight",
            LiveCall::CallLogWindow => "call_log_window",
            LiveCall::BroadcastProgress => "broadcast_progress",
            LiveCall::CampaignProgress => "campaign_progress",
            LiveCall::UnacknowledgedAlerts => "unacknowledged_alerts",
        }
    }

    /// Runs the call unscoped with the console's defaults; returns how many rows
    /// (calls, entries, parents, alerts) it answered with.
    pub async fn run(self, store: &PgStore) -> Result<usize, String> {
        let scope = Scope::default();
        let rows = match self {
            LiveCall::DbInfo => store.db_info().await.map(|_| 1),
            LiveCall::CallsInFlight => store.calls_in_flight(&scope).await.map(|s| s.calls.len()),
            LiveCall::CallLogWindow => store
                .call_log_window(&scope, &LogFilter::default(), LOG_WINDOW)
                .await
                .map(|rows| rows.len()),
            LiveCall::BroadcastProgress => store.broadcast_progress(&scope).await.map(|b| b.len()),
            LiveCall::CampaignProgress => store.campaign_progress(&scope).await.map(|c| c.len()),
            LiveCall::UnacknowledgedAlerts => store
                .unacknowledged_alerts(&scope, ALERT_LIMIT)
                .await
                .map(|a| a.len()),
        };
        rows.map_err(|e| format!("{} failed: {e}", self.name()))
    }
}

/// The naive refresh: what a console that counts everything would send.
pub const NAIVE: [(&str, &str); 11] = [
    (
        "broadcast_queue counts",
        "SELECT broadcast_id, status, count(*) FROM broadcast_queue GROUP BY broadcast_id, status",
    ),
    (
        "dialing_queues counts",
        "SELECT campaign_id, status, count(*) FROM dialing_queues GROUP BY campaign_id, status",
    ),
    (
        "call_logs counts",
        "SELECT campaign_id, status, count(*) FROM call_logs GROUP BY campaign_id, status",
    ),
    (
        "broadcast_queue calling rows",
        "SELECT * FROM broadcast_queue WHERE status = 'calling'",
    ),
    (
        "dialing_queues calling rows",
        "SELECT * FROM dialing_queues WHERE status = 'calling'",
    ),
    (
        "call_logs queued/ringing rows",
        "SELECT * FROM call_logs WHERE status IN ('queued', 'ringing')",
    ),
    (
        "open dispatch claims",
        "SELECT * FROM provider_dispatch_claims WHERE status IN ('claimed', 'acceptance_unknown')",
    ),
    ("broadcasts", "SELECT * FROM voice_broadcasts"),
    ("campaigns", "SELECT * FROM campaigns"),
    (
        "call log window",
        "SELECT * FROM call_logs ORDER BY created_at DESC LIMIT 500",
    ),
    (
        "unacknowledged alerts",
        "SELECT * FROM system_alerts WHERE NOT acknowledged ORDER BY created_at DESC",
    ),
];

/// Runs one naive statement (simple protocol, rows fetched); returns the row count.
pub async fn run_naive(conn: &mut PgConnection, sql: &'static str) -> Result<usize, String> {
    sqlx::raw_sql(sql)
        .fetch_all(&mut *conn)
        .await
        .map(|rows| rows.len())
        .map_err(|e| format!("naive statement `{sql}` failed: {e}"))
}
