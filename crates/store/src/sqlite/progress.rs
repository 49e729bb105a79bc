//! Broadcast and campaign progress in two parts, with the PostgreSQL store's
//! semantics (see pg/progress.rs and `launchdeck_core::progress`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use launchdeck_core::domain::{Scope, StatusCounts};
use launchdeck_core::progress::{
    MINUTES, NewCallLog, ProgressHead, ProgressHeads, Recount, RecountRequest, SecondCount,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Sqlite, Transaction};
use uuid::Uuid;

use super::SqliteStore;
use super::error::QueryError;
use super::live::window_start;
use super::values::scope_params;
use super::values::{Cols, id_list, now_micros, timestamp};
use crate::scope::{ScopeSql, fill};

const BROADCAST_HEADS_SQL: &str = "
SELECT vb.id, vb.name, vb.status, NULL AS agent_id,
       CAST(coalesce(vb.total_leads, 0) AS TEXT) AS marker
  FROM voice_broadcasts vb
 WHERE vb.status IN ('draft', 'active', 'paused'){scope}
 ORDER BY vb.name, vb.id";

const CAMPAIGN_HEADS_SQL: &str = "
SELECT c.id, c.name, c.status, c.agent_id, coalesce(c.updated_at, '') AS marker
  FROM campaigns c
 WHERE c.status IN ('draft', 'active', 'paused'){scope}
 ORDER BY c.name, c.id";

const NEW_LOGS_SQL: &str = "
SELECT cl.id, cl.campaign_id, cl.status, cl.created_at,
       cl.status = 'answered' OR (cl.status = 'completed' AND cl.duration_seconds > 0)
           AS picked_up
  FROM call_logs cl
 WHERE cl.created_at >= $2 AND cl.campaign_id IN (SELECT value FROM json_each($1))";

const BROADCAST_COUNTS_SQL: &str = "
SELECT q.broadcast_id AS parent_id, q.status, count(*) AS n
  FROM broadcast_queue q
 WHERE q.broadcast_id IN (SELECT value FROM json_each($1))
 GROUP BY q.broadcast_id, q.status";

const BROADCAST_FINISHED_SQL: &str = "
SELECT q.broadcast_id AS parent_id, q.updated_at AS at
  FROM broadcast_queue q
 WHERE q.broadcast_id IN (SELECT value FROM json_each($1))
   AND q.updated_at > $2
   AND q.status NOT IN ('pending', 'calling')";

const CAMPAIGN_COUNTS_SQL: &str = "
SELECT dq.campaign_id AS parent_id, dq.status, count(*) AS n
  FROM dialing_queues dq
 WHERE dq.campaign_id IN (SELECT value FROM json_each($1))
 GROUP BY dq.campaign_id, dq.status";

const CAMPAIGN_LOG_COUNTS_SQL: &str = "
SELECT cl.campaign_id AS parent_id, cl.status, count(*) AS n,
       sum(cl.status = 'answered'
           OR (cl.status = 'completed' AND cl.duration_seconds > 0)) AS picked_up
  FROM call_logs cl
 WHERE cl.campaign_id IN (SELECT value FROM json_each($1))
   AND cl.created_at >= $2
 GROUP BY cl.campaign_id, cl.status";

const CAMPAIGN_CREATED_SQL: &str = "
SELECT cl.campaign_id AS parent_id, cl.created_at AS at
  FROM call_logs cl
 WHERE cl.campaign_id IN (SELECT value FROM json_each($1))
   AND cl.created_at > $2";

fn head(row: &SqliteRow, table: &'static str) -> Result<ProgressHead, QueryError> {
    let c = Cols::new(row, table);
    Ok(ProgressHead {
        id: c.uuid("id")?,
        name: c.text("name")?,
        status: c.text("status")?,
        agent_id: c.opt_text("agent_id")?,
        marker: c.text("marker")?,
    })
}

fn counts_by_parent(
    rows: &[SqliteRow],
    table: &'static str,
) -> Result<HashMap<Uuid, StatusCounts>, QueryError> {
    let mut by_parent: HashMap<Uuid, StatusCounts> = HashMap::new();
    for row in rows {
        let c = Cols::new(row, table);
        by_parent
            .entry(c.uuid("parent_id")?)
            .or_default()
            .add(&c.text("status")?, c.i64("n")?);
    }
    Ok(by_parent)
}

/// `(parent_id, at)` rows as one count per row and second.
fn by_second(rows: &[SqliteRow], table: &'static str) -> Result<Vec<SecondCount>, QueryError> {
    rows.iter()
        .map(|row| {
            let c = Cols::new(row, table);
            Ok((c.uuid("parent_id")?, c.timestamp("at")?.timestamp(), 1))
        })
        .collect()
}

fn series_start(now: DateTime<Utc>) -> String {
    timestamp(now - chrono::Duration::minutes(MINUTES as i64))
}

async fn rows_for(
    tx: &mut Transaction<'static, Sqlite>,
    sql: &'static str,
    ids: &[Uuid],
    since: Option<String>,
) -> Result<Vec<SqliteRow>, QueryError> {
    let mut query = sqlx::query(sql).bind(id_list(ids));
    if let Some(since) = since {
        query = query.bind(since);
    }
    Ok(query.fetch_all(&mut **tx).await?)
}

impl SqliteStore {
    pub(super) async fn query_progress_heads(
        &self,
        scope: &Scope,
        logs_since: Option<DateTime<Utc>>,
    ) -> Result<ProgressHeads, QueryError> {
        let s = ScopeSql::new(scope);
        let (user, org) = scope_params(scope);
        let broadcasts_sql = fill(BROADCAST_HEADS_SQL, &[("scope", &s.per_user("vb"))]);
        let campaigns_sql = fill(CAMPAIGN_HEADS_SQL, &[("scope", &s.core("c"))]);
        let db_now = now_micros();
        let mut tx = self.begin().await?;
        let broadcast_rows = sqlx::query(AssertSqlSafe(broadcasts_sql))
            .bind(&user)
            .bind(&org)
            .fetch_all(&mut *tx)
            .await?;
        let campaign_rows = sqlx::query(AssertSqlSafe(campaigns_sql))
            .bind(&user)
            .bind(&org)
            .fetch_all(&mut *tx)
            .await?;
        let campaigns = campaign_rows
            .iter()
            .map(|row| head(row, "campaigns"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut new_logs = Vec::new();
        if let Some(since) = logs_since
            && !campaigns.is_empty()
        {
            let ids: Vec<Uuid> = campaigns.iter().map(|c| c.id).collect();
            for row in &rows_for(&mut tx, NEW_LOGS_SQL, &ids, Some(timestamp(since))).await? {
                let c = Cols::new(row, "call_logs");
                if let Some(campaign_id) = c.opt_uuid("campaign_id")? {
                    new_logs.push(NewCallLog {
                        id: c.uuid("id")?,
                        campaign_id,
                        status: c.text("status")?,
                        created_at: c.timestamp("created_at")?,
                        picked_up: c.bool_or("picked_up", false)?,
                    });
                }
            }
        }
        tx.commit().await?;
        Ok(ProgressHeads {
            db_now,
            broadcasts: broadcast_rows
                .iter()
                .map(|row| head(row, "voice_broadcasts"))
                .collect::<Result<_, _>>()?,
            campaigns,
            new_logs,
        })
    }

    pub(super) async fn query_progress_recount(
        &self,
        request: &RecountRequest,
    ) -> Result<Recount, QueryError> {
        let db_now = now_micros();
        let mut recount = Recount {
            db_now,
            ..Recount::default()
        };
        let mut tx = self.begin().await?;
        if !request.broadcasts.is_empty() {
            let rows = rows_for(&mut tx, BROADCAST_COUNTS_SQL, &request.broadcasts, None).await?;
            recount.broadcast_counts = counts_by_parent(&rows, "broadcast_queue")?;
        }
        if !request.broadcast_series.is_empty() {
            let since = Some(series_start(db_now));
            let ids = &request.broadcast_series;
            let rows = rows_for(&mut tx, BROADCAST_FINISHED_SQL, ids, since).await?;
            recount.broadcast_finished = by_second(&rows, "broadcast_queue")?;
        }
        if !request.campaigns.is_empty() {
            let rows = rows_for(&mut tx, CAMPAIGN_COUNTS_SQL, &request.campaigns, None).await?;
            recount.campaign_counts = counts_by_parent(&rows, "dialing_queues")?;
        }
        if !request.campaign_logs.is_empty() {
            let ids = &request.campaign_logs;
            let window = Some(window_start(db_now, self.opts.campaign_log_window));
            let rows = rows_for(&mut tx, CAMPAIGN_LOG_COUNTS_SQL, ids, window).await?;
            let mut logs: HashMap<Uuid, (StatusCounts, i64)> = HashMap::new();
            for row in &rows {
                let c = Cols::new(row, "call_logs");
                let entry = logs.entry(c.uuid("parent_id")?).or_default();
                entry.0.add(&c.text("status")?, c.i64("n")?);
                entry.1 += c.i64("picked_up")?;
            }
            recount.campaign_logs = Some(logs);
            let since = Some(series_start(db_now));
            let rows = rows_for(&mut tx, CAMPAIGN_CREATED_SQL, ids, since).await?;
            recount.campaign_created = by_second(&rows, "call_logs")?;
        }
        tx.commit().await?;
        Ok(recount)
    }
}
