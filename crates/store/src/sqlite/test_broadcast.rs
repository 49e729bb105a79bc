//! The test broadcast on the demo's SQLite database, with the PostgreSQL store's
//! contract: the target, the draft broadcast (created once: `BEGIN IMMEDIATE`
//! serialises two consoles), the rows and their one-statement conditional writes.

use launchdeck_core::actions::{StatusTable, StatusTarget};
use launchdeck_core::domain::Scope;
use launchdeck_core::test_broadcast::{TestCallWrite, TestRowInsert, TestTargetRow};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use super::error::QueryError;
use super::values::scope_params;
use super::values::{Cols, timestamp, uuid_text};
use super::{SqliteStore, begin_write};
use crate::scope::{ScopeSql, fill};
use crate::test_calls::{
    Bind, Dialect, FIND_DRAFT_SQL, create_draft_sql, draft_description, update_sql,
};

const SQLITE: Dialect = Dialect {
    now: "(strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z')",
    newline: "char(10)",
    text_cast: "",
};

const BROADCAST_TARGET_SQL: &str = "
SELECT vb.id, vb.name, vb.status, vb.user_id, NULL AS organization_id,
       (1{scope}) AS in_scope, vb.ivr_mode, vb.audio_url, vb.caller_id, NULL AS agent_id
  FROM voice_broadcasts vb
 WHERE vb.id = $3";

const CAMPAIGN_TARGET_SQL: &str = "
SELECT c.id, c.name, c.status, c.user_id, c.organization_id,
       (1{scope}) AS in_scope, NULL AS ivr_mode, NULL AS audio_url, NULL AS caller_id,
       c.agent_id
  FROM campaigns c
 WHERE c.id = $3";

const INSERT_QUEUE_SQL: &str = "
INSERT INTO broadcast_queue (id, broadcast_id, phone_number, lead_name, status, attempts,
                             max_attempts, scheduled_at)
VALUES ($1, $2, $3, $4, 'calling', 1, 1, (strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000Z'))";

const INSERT_CALL_LOG_SQL: &str = "
INSERT INTO call_logs (id, user_id, organization_id, campaign_id, phone_number, caller_id,
                       status, agent_id, notes, provider)
VALUES ($1, $2, $3, NULL, $4, $5, 'queued', $6, $7, 'retell')";

impl SqliteStore {
    pub(super) async fn query_test_target(
        &self,
        target: StatusTarget,
        scope: &Scope,
    ) -> Result<Option<TestTargetRow>, QueryError> {
        let scope_sql = ScopeSql::new(scope);
        let sql = match target.table {
            StatusTable::VoiceBroadcasts => fill(
                BROADCAST_TARGET_SQL,
                &[("scope", &scope_sql.per_user("vb"))],
            ),
            StatusTable::Campaigns => fill(CAMPAIGN_TARGET_SQL, &[("scope", &scope_sql.core("c"))]),
        };
        let (user, org) = scope_params(scope);
        let mut tx = self.begin().await?;
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(user)
            .bind(org)
            .bind(uuid_text(target.id))
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let cols = Cols::new(&row, target.table.as_str());
        Ok(Some(TestTargetRow {
            table: target.table,
            id: cols.uuid("id")?,
            name: cols.text("name")?,
            status: cols.text("status")?,
            user_id: cols.uuid("user_id")?,
            organization_id: cols.opt_uuid("organization_id")?,
            in_scope: cols.i64("in_scope")? != 0,
            ivr_mode: cols.opt_text("ivr_mode")?,
            audio_url: cols.opt_text("audio_url")?,
            caller_id: cols.opt_text("caller_id")?,
            agent_id: cols.opt_text("agent_id")?,
        }))
    }

    pub(super) async fn write_test_broadcast(
        &self,
        source: Uuid,
        name: &str,
    ) -> Result<(Uuid, bool), QueryError> {
        let mut tx = begin_write(&self.pool).await?;
        let found: Option<String> = sqlx::query_scalar(FIND_DRAFT_SQL)
            .bind(uuid_text(source))
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        let result = match found {
            Some(id) => (parse_id(&id)?, false),
            None => {
                let id = Uuid::new_v4();
                let inserted = sqlx::query(AssertSqlSafe(create_draft_sql(Some("$4"))))
                    .bind(uuid_text(source))
                    .bind(name)
                    .bind(draft_description(source))
                    .bind(uuid_text(id))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if inserted != 1 {
                    return Err(sqlx::Error::RowNotFound.into());
                }
                (id, true)
            }
        };
        tx.commit().await?;
        Ok(result)
    }

    pub(super) async fn write_test_row(&self, row: &TestRowInsert) -> Result<Uuid, QueryError> {
        let id = Uuid::new_v4();
        let mut tx = begin_write(&self.pool).await?;
        match row {
            TestRowInsert::BroadcastQueue {
                broadcast_id,
                phone_number,
                lead_name,
            } => {
                sqlx::query(INSERT_QUEUE_SQL)
                    .bind(uuid_text(id))
                    .bind(uuid_text(*broadcast_id))
                    .bind(phone_number)
                    .bind(lead_name)
                    .execute(&mut *tx)
                    .await?;
            }
            TestRowInsert::CallLogs {
                user_id,
                organization_id,
                phone_number,
                caller_id,
                agent_id,
                notes,
            } => {
                sqlx::query(INSERT_CALL_LOG_SQL)
                    .bind(uuid_text(id))
                    .bind(uuid_text(*user_id))
                    .bind(uuid_text(*organization_id))
                    .bind(phone_number)
                    .bind(caller_id)
                    .bind(agent_id)
                    .bind(notes)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(id)
    }

    pub(super) async fn write_test_call_update(
        &self,
        write: &TestCallWrite,
    ) -> Result<bool, QueryError> {
        let (sql, binds) = update_sql(write, &SQLITE);
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(uuid_text(write.id));
        for bind in binds {
            query = match bind {
                Bind::Text(v) => query.bind(v),
                Bind::Int(v) => query.bind(v),
                Bind::Time(v) => query.bind(v.map(timestamp)),
            };
        }
        let mut tx = begin_write(&self.pool).await?;
        let changed = query.execute(&mut *tx).await?.rows_affected() == 1;
        tx.commit().await?;
        Ok(changed)
    }
}

fn parse_id(text: &str) -> Result<Uuid, QueryError> {
    Uuid::parse_str(text.trim()).map_err(|e| {
        QueryError::from(crate::StoreError::Other(format!(
            "voice_broadcasts.id {text:?} is not a UUID: {e}"
        )))
    })
}
