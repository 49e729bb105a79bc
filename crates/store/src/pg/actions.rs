//! The actions' writes on PostgreSQL: a status change conditional on the previewed
//! row, launchdeck's own migrations, and the audit log in `launchdeck.audit_log`.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use launchdeck_core::actions::{
    AuditRecord, AuditResult, AuditTarget, StatusChange, StatusRow, StatusTable, StatusTarget,
    WriteOutcome,
};
use launchdeck_core::domain::Scope;
use sqlx::postgres::Postgres;
use sqlx::{AssertSqlSafe, FromRow, PgConnection, Transaction};
use uuid::Uuid;

use super::PgStore;
use super::commit::Prepared;
use crate::migrations::MIGRATIONS;
use crate::scope::{ScopeSql, fill};

/// Serialises concurrent migration runs (two consoles starting their first action).
const MIGRATION_LOCK_KEY: i64 = 0x6c61_756e_6368; // "launch"

#[derive(FromRow)]
struct StatusRecord {
    id: Uuid,
    name: String,
    status: String,
    updated_at: Option<DateTime<Utc>>,
    in_scope: bool,
}

/// `$1` user, `$2` organization (the scope), `$3` the row's id.
fn status_row_sql(table: StatusTable, scope: &Scope) -> String {
    let scope_sql = ScopeSql::new(scope);
    let (alias, filter) = match table {
        StatusTable::VoiceBroadcasts => ("vb", scope_sql.per_user("vb")),
        StatusTable::Campaigns => ("c", scope_sql.core("c")),
    };
    fill(
        "SELECT {a}.id, {a}.name, {a}.status, {a}.updated_at, (TRUE{scope}) AS in_scope \
           FROM {table} {a} WHERE {a}.id = $3",
        &[("a", alias), ("table", table.as_str()), ("scope", &filter)],
    )
}

/// Tables are fixed names from [`StatusTable`]; values are bound.
fn update_status_sql(table: StatusTable) -> String {
    format!(
        "UPDATE {} SET status = $1 WHERE id = $2 AND status = $3",
        table.as_str()
    )
}

#[derive(FromRow)]
struct AuditRow {
    id: Uuid,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    target_table: String,
    target_id: Uuid,
    target_name: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    result: String,
    launchdeck_version: String,
}

const INSERT_AUDIT_SQL: &str = "INSERT INTO launchdeck.audit_log \
    (id, at, actor, action, target_table, target_id, target_name, before, after, result, \
     launchdeck_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

const SELECT_AUDIT_SQL: &str = "SELECT id, at, actor, action, target_table, target_id, \
    target_name, before, after, result, launchdeck_version \
    FROM launchdeck.audit_log ORDER BY at DESC, id DESC LIMIT $1";

impl PgStore {
    pub(super) async fn query_status_row(
        &self,
        target: StatusTarget,
        scope: &Scope,
    ) -> Result<Option<StatusRow>, sqlx::Error> {
        let mut tx = self.begin().await?;
        let row = self.read_status_row(&mut tx, target, scope).await?;
        tx.commit().await?;
        Ok(row)
    }

    async fn read_status_row(
        &self,
        conn: &mut PgConnection,
        target: StatusTarget,
        scope: &Scope,
    ) -> Result<Option<StatusRow>, sqlx::Error> {
        let record: Option<StatusRecord> =
            sqlx::query_as(AssertSqlSafe(status_row_sql(target.table, scope)))
                .persistent(self.persistent())
                .bind(scope.user_id)
                .bind(scope.org_id)
                .bind(target.id)
                .fetch_optional(&mut *conn)
                .await?;
        Ok(record.map(|r| StatusRow {
            target: StatusTarget {
                table: target.table,
                id: r.id,
            },
            name: r.name,
            status: r.status,
            updated_at: r.updated_at,
            in_scope: r.in_scope,
        }))
    }

    /// The conditional UPDATE and a read of the row as it now is, in one transaction.
    pub(super) async fn write_status(
        &self,
        change: &StatusChange,
    ) -> Result<Prepared<WriteOutcome>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let outcome = self.change_status_in(&mut tx, change).await?;
        Ok(Prepared::new(tx, outcome))
    }

    /// The conditional UPDATE and a read of the row as it now is, in `conn`'s
    /// transaction (pause, resume, and the stop's pause).
    pub(super) async fn change_status_in(
        &self,
        conn: &mut PgConnection,
        change: &StatusChange,
    ) -> Result<WriteOutcome, sqlx::Error> {
        let changed = sqlx::query(AssertSqlSafe(update_status_sql(change.target.table)))
            .persistent(self.persistent())
            .bind(&change.new_status)
            .bind(change.target.id)
            .bind(&change.expected_status)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        let now = self
            .read_status_row(conn, change.target, &Scope::default())
            .await?;
        Ok(match (changed, now) {
            (1, Some(now)) => WriteOutcome::Changed { now },
            (_, now) => WriteOutcome::Skipped { now },
        })
    }

    /// Applies the missing migrations once per store, in one transaction under an
    /// advisory lock. Creates the `launchdeck` schema only when it does not exist, so a
    /// schema pre-created for the role is enough (no CREATE on the database needed).
    pub(super) async fn run_migrations(&self) -> Result<(), sqlx::Error> {
        if self.migrated.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        create_migrations_table(&mut tx).await?;
        let applied: Vec<i32> =
            sqlx::query_scalar("SELECT version FROM launchdeck.schema_migrations")
                .fetch_all(&mut *tx)
                .await?;
        for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
            sqlx::raw_sql(AssertSqlSafe(migration.postgres))
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO launchdeck.schema_migrations (version, name) VALUES ($1, $2)")
                .bind(migration.version)
                .bind(migration.name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.migrated.store(true, Ordering::Release);
        Ok(())
    }

    pub(super) async fn insert_audit(
        &self,
        records: &[AuditRecord],
    ) -> Result<Prepared<()>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        for r in records {
            sqlx::query(INSERT_AUDIT_SQL)
                .persistent(self.persistent())
                .bind(r.id)
                .bind(r.at)
                .bind(&r.actor)
                .bind(&r.action)
                .bind(&r.target.table)
                .bind(r.target.id)
                .bind(&r.target.name)
                .bind(&r.before)
                .bind(&r.after)
                .bind(r.result.to_string())
                .bind(&r.launchdeck_version)
                .execute(&mut *tx)
                .await?;
        }
        Ok(Prepared::new(tx, ()))
    }

    /// Newest first. A database where no action ever ran has no audit table: no records.
    pub(super) async fn query_audit(&self, limit: u32) -> Result<Vec<AuditRecord>, sqlx::Error> {
        let mut tx = self.begin().await?;
        let exists: bool =
            sqlx::query_scalar("SELECT to_regclass('launchdeck.audit_log') IS NOT NULL")
                .fetch_one(&mut *tx)
                .await?;
        let rows: Vec<AuditRow> = if exists {
            sqlx::query_as(SELECT_AUDIT_SQL)
                .persistent(self.persistent())
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?
        } else {
            Vec::new()
        };
        tx.commit().await?;
        rows.into_iter().map(audit_record).collect()
    }
}

async fn create_migrations_table(
    tx: &mut Transaction<'static, Postgres>,
) -> Result<(), sqlx::Error> {
    let schema_exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'launchdeck')",
    )
    .fetch_one(&mut **tx)
    .await?;
    if !schema_exists {
        sqlx::query("CREATE SCHEMA launchdeck")
            .execute(&mut **tx)
            .await?;
    }
    let table_exists: bool =
        sqlx::query_scalar("SELECT to_regclass('launchdeck.schema_migrations') IS NOT NULL")
            .fetch_one(&mut **tx)
            .await?;
    if !table_exists {
        sqlx::query(
            "CREATE TABLE launchdeck.schema_migrations (version integer PRIMARY KEY, \
             name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn audit_record(row: AuditRow) -> Result<AuditRecord, sqlx::Error> {
    let result = AuditResult::try_from(row.result).map_err(|e| sqlx::Error::ColumnDecode {
        index: "result".into(),
        source: e.into(),
    })?;
    Ok(AuditRecord {
        id: row.id,
        at: row.at,
        actor: row.actor,
        action: row.action,
        target: AuditTarget {
            table: row.target_table,
            id: row.target_id,
            name: row.target_name,
        },
        before: row.before,
        after: row.after,
        result,
        launchdeck_version: row.launchdeck_version,
    })
}
