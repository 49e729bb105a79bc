//! The test broadcast on PostgreSQL: its target, the draft broadcast for an audio
//! test's rows (created once under a transaction-scoped advisory lock), the rows, and
//! their one-statement conditional writes.

use launchdeck_core::actions::{StatusTable, StatusTarget};
use launchdeck_core::domain::Scope;
use launchdeck_core::test_broadcast::{TestCallWrite, TestRowInsert, TestTargetRow};
use sqlx::{AssertSqlSafe, FromRow};
use uuid::Uuid;

use super::PgStore;
use crate::scope::{ScopeSql, fill};
use crate::test_calls::{
    Bind, Dialect, FIND_DRAFT_SQL, create_draft_sql, draft_description, update_sql,
};

const PG: Dialect = Dialect {
    now: "now()",
    newline: "E'\\n'",
    text_cast: "::text",
};

/// `$1` user, `$2` organization (the scope), `$3` the broadcast.
const BROADCAST_TARGET_SQL: &str = "
SELECT vb.id, vb.name, vb.status, vb.user_id, NULL::uuid AS organization_id,
       (TRUE{scope}) AS in_scope, vb.ivr_mode, vb.audio_url, vb.caller_id,
       NULL::text AS agent_id
  FROM voice_broadcasts vb
 WHERE vb.id = $3";

/// `$1` user, `$2` organization (the scope), `$3` the campaign.
const CAMPAIGN_TARGET_SQL: &str = "
SELECT c.id, c.name, c.status, c.user_id, c.organization_id,
       (TRUE{scope}) AS in_scope, NULL::text AS ivr_mode, NULL::text AS audio_url,
       NULL::text AS caller_id, c.agent_id
  FROM campaigns c
 WHERE c.id = $3";

/// Two consoles creating the same draft wait for each other: `$1` the source, `$2`
/// the name.
const DRAFT_LOCK_SQL: &str =
    "SELECT pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2, 0))";

const INSERT_QUEUE_SQL: &str = "
INSERT INTO broadcast_queue (broadcast_id, phone_number, lead_name, status, attempts,
                             max_attempts, scheduled_at)
VALUES ($1, $2, $3, 'calling', 1, 1, now())
RETURNING id";

const INSERT_CALL_LOG_SQL: &str = "
INSERT INTO call_logs (user_id, organization_id, campaign_id, phone_number, caller_id, status,
                       agent_id, notes, provider)
VALUES ($1, $2, NULL, $3, $4, 'queued', $5, $6, 'retell')
RETURNING id";

#[derive(FromRow)]
struct TargetRecord {
    id: Uuid,
    name: String,
    status: String,
    user_id: Uuid,
    organization_id: Option<Uuid>,
    in_scope: bool,
    ivr_mode: Option<String>,
    audio_url: Option<String>,
    caller_id: Option<String>,
    agent_id: Option<String>,
}

impl PgStore {
    pub(super) async fn query_test_target(
        &self,
        target: StatusTarget,
        scope: &Scope,
    ) -> Result<Option<TestTargetRow>, sqlx::Error> {
        let scope_sql = ScopeSql::new(scope);
        let sql = match target.table {
            StatusTable::VoiceBroadcasts => fill(
                BROADCAST_TARGET_SQL,
                &[("scope", &scope_sql.per_user("vb"))],
            ),
            StatusTable::Campaigns => fill(CAMPAIGN_TARGET_SQL, &[("scope", &scope_sql.core("c"))]),
        };
        let mut tx = self.begin().await?;
        let row: Option<TargetRecord> = sqlx::query_as(AssertSqlSafe(sql))
            .persistent(self.persistent())
            .bind(scope.user_id)
            .bind(scope.org_id)
            .bind(target.id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.map(|r| TestTargetRow {
            table: target.table,
            id: r.id,
            name: r.name,
            status: r.status,
            user_id: r.user_id,
            organization_id: r.organization_id,
            in_scope: r.in_scope,
            ivr_mode: r.ivr_mode,
            audio_url: r.audio_url,
            caller_id: r.caller_id,
            agent_id: r.agent_id,
        }))
    }

    pub(super) async fn write_test_broadcast(
        &self,
        source: Uuid,
        name: &str,
    ) -> Result<(Uuid, bool), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        sqlx::query(DRAFT_LOCK_SQL)
            .persistent(self.persistent())
            .bind(source)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let found: Option<Uuid> = sqlx::query_scalar(FIND_DRAFT_SQL)
            .persistent(self.persistent())
            .bind(source)
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        let result = match found {
            Some(id) => (id, false),
            None => {
                let id: Uuid = sqlx::query_scalar(AssertSqlSafe(create_draft_sql(None)))
                    .persistent(self.persistent())
                    .bind(source)
                    .bind(name)
                    .bind(draft_description(source))
                    .fetch_one(&mut *tx)
                    .await?;
                (id, true)
            }
        };
        tx.commit().await?;
        Ok(result)
    }

    pub(super) async fn write_test_row(&self, row: &TestRowInsert) -> Result<Uuid, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let id: Uuid = match row {
            TestRowInsert::BroadcastQueue {
                broadcast_id,
                phone_number,
                lead_name,
            } => {
                sqlx::query_scalar(INSERT_QUEUE_SQL)
                    .persistent(self.persistent())
                    .bind(broadcast_id)
                    .bind(phone_number)
                    .bind(lead_name)
                    .fetch_one(&mut *tx)
                    .await?
            }
            TestRowInsert::CallLogs {
                user_id,
                organization_id,
                phone_number,
                caller_id,
                agent_id,
                notes,
            } => {
                sqlx::query_scalar(INSERT_CALL_LOG_SQL)
                    .persistent(self.persistent())
                    .bind(user_id)
                    .bind(organization_id)
                    .bind(phone_number)
                    .bind(caller_id)
                    .bind(agent_id)
                    .bind(notes)
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        tx.commit().await?;
        Ok(id)
    }

    pub(super) async fn write_test_call_update(
        &self,
        write: &TestCallWrite,
    ) -> Result<bool, sqlx::Error> {
        let (sql, binds) = update_sql(write, &PG);
        let mut query = sqlx::query(AssertSqlSafe(sql))
            .persistent(self.persistent())
            .bind(write.id);
        for bind in binds {
            query = match bind {
                Bind::Text(v) => query.bind(v),
                Bind::Int(v) => query.bind(v.map(|n| i32::try_from(n).unwrap_or(i32::MAX))),
                Bind::Time(v) => query.bind(v),
            };
        }
        let mut tx = self.begin_write().await?;
        let changed = query.execute(&mut *tx).await?.rows_affected() == 1;
        tx.commit().await?;
        Ok(changed)
    }
}
