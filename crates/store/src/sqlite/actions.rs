//! The actions' writes on the demo's SQLite database, with the same contract as the
//! PostgreSQL store: a conditional status change, launchdeck's own migrations, and the
//! audit log in `launchdeck_audit_log`. Every write begins `IMMEDIATE`, so two writers
//! are serialised and the second sees the first's commit.

use launchdeck_core::actions::{
    AuditRecord, AuditResult, AuditTarget, StatusChange, StatusRow, StatusTable, StatusTarget,
    WriteOutcome,
};
use launchdeck_core::domain::Scope;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, SqliteConnection};

use super::error::QueryError;
use super::values::scope_params;
use super::values::{Cols, timestamp, uuid_text};
use super::{SqliteStore, begin_write};
use crate::StoreError;
use crate::migrations::MIGRATIONS;
use crate::scope::{ScopeSql, fill};

/// `$1` user, `$2` organization (the scope), `$3` the row's id.
fn status_row_sql(table: StatusTable, scope: &Scope) -> String {
    let scope_sql = ScopeSql::new(scope);
    let (alias, filter) = match table {
        StatusTable::VoiceBroadcasts => ("vb", scope_sql.per_user("vb")),
        StatusTable::Campaigns => ("c", scope_sql.core("c")),
    };
    fill(
        "SELECT {a}.id, {a}.name, {a}.status, {a}.updated_at, (1{scope}) AS in_scope \
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

const MIGRATIONS_TABLE_SQL: &str = "CREATE TABLE IF NOT EXISTS launchdeck_schema_migrations \
    (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)";

const INSERT_AUDIT_SQL: &str = "INSERT INTO launchdeck_audit_log \
    (id, at, actor, action, target_table, target_id, target_name, before, after, result, \
     launchdeck_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

const SELECT_AUDIT_SQL: &str = "SELECT id, at, actor, action, target_table, target_id, \
    target_name, before, after, result, launchdeck_version \
    FROM launchdeck_audit_log ORDER BY at DESC, id DESC LIMIT $1";

impl SqliteStore {
    pub(super) async fn query_status_row(
        &self,
        target: StatusTarget,
        scope: &Scope,
    ) -> Result<Option<StatusRow>, QueryError> {
        let mut tx = self.begin().await?;
        let row = read_status_row(&mut tx, target, scope).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The conditional UPDATE and a read of the row as it now is, in one transaction.
    pub(super) async fn write_status(
        &self,
        change: &StatusChange,
    ) -> Result<WriteOutcome, QueryError> {
        let mut tx = begin_write(&self.pool).await?;
        let outcome = change_status_in(&mut tx, change).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Applies the missing migrations in one write transaction (the write lock keeps
    /// two processes from applying the same one).
    pub(super) async fn run_migrations(&self) -> Result<(), QueryError> {
        let mut tx = begin_write(&self.pool).await?;
        sqlx::query(MIGRATIONS_TABLE_SQL).execute(&mut *tx).await?;
        set_aside_legacy_audit_table(&mut tx).await?;
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM launchdeck_schema_migrations")
                .fetch_all(&mut *tx)
                .await?;
        for migration in MIGRATIONS
            .iter()
            .filter(|m| !applied.contains(&i64::from(m.version)))
        {
            sqlx::raw_sql(AssertSqlSafe(migration.sqlite))
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO launchdeck_schema_migrations (version, name, applied_at) \
                 VALUES ($1, $2, $3)",
            )
            .bind(migration.version)
            .bind(migration.name)
            .bind(timestamp(super::now_micros()))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn insert_audit(&self, records: &[AuditRecord]) -> Result<(), QueryError> {
        let mut tx = begin_write(&self.pool).await?;
        for r in records {
            sqlx::query(INSERT_AUDIT_SQL)
                .bind(uuid_text(r.id))
                .bind(timestamp(r.at))
                .bind(&r.actor)
                .bind(&r.action)
                .bind(&r.target.table)
                .bind(uuid_text(r.target.id))
                .bind(&r.target.name)
                .bind(r.before.as_ref().map(|v| v.to_string()))
                .bind(r.after.as_ref().map(|v| v.to_string()))
                .bind(r.result.to_string())
                .bind(&r.launchdeck_version)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Newest first; none when no action ever ran (the table does not exist yet).
    pub(super) async fn query_audit(&self, limit: u32) -> Result<Vec<AuditRecord>, QueryError> {
        let mut tx = self.begin().await?;
        let rows = if has_current_audit_table(&mut tx).await? {
            sqlx::query(SELECT_AUDIT_SQL)
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?
        } else {
            Vec::new()
        };
        tx.commit().await?;
        rows.iter().map(audit_record).collect()
    }
}

/// Whether `launchdeck_audit_log` exists in the shape the migrations create.
async fn has_current_audit_table(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    let columns: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pragma_table_info('launchdeck_audit_log') WHERE name = 'actor'",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(columns > 0)
}

/// Demo databases made before the migrations existed carry an earlier, never-written
/// `launchdeck_audit_log` from the demo schema. It is renamed (never dropped: an audit
/// row is never lost) so the migration can create the current table.
async fn set_aside_legacy_audit_table(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'launchdeck_audit_log'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if tables > 0 && !has_current_audit_table(conn).await? {
        sqlx::query("ALTER TABLE launchdeck_audit_log RENAME TO launchdeck_audit_log_legacy")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The conditional UPDATE and a read of the row as it now is, in `conn`'s transaction
/// (pause, resume, and the stop's pause).
pub(super) async fn change_status_in(
    conn: &mut SqliteConnection,
    change: &StatusChange,
) -> Result<WriteOutcome, QueryError> {
    let changed = sqlx::query(AssertSqlSafe(update_status_sql(change.target.table)))
        .bind(&change.new_status)
        .bind(uuid_text(change.target.id))
        .bind(&change.expected_status)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let now = read_status_row(conn, change.target, &Scope::default()).await?;
    Ok(match (changed, now) {
        (1, Some(now)) => WriteOutcome::Changed { now },
        (_, now) => WriteOutcome::Skipped { now },
    })
}

async fn read_status_row(
    conn: &mut SqliteConnection,
    target: StatusTarget,
    scope: &Scope,
) -> Result<Option<StatusRow>, QueryError> {
    let (user, org) = scope_params(scope);
    let row = sqlx::query(AssertSqlSafe(status_row_sql(target.table, scope)))
        .bind(user)
        .bind(org)
        .bind(uuid_text(target.id))
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let cols = Cols::new(&row, target.table.as_str());
    Ok(Some(StatusRow {
        target: StatusTarget {
            table: target.table,
            id: cols.uuid("id")?,
        },
        name: cols.text("name")?,
        status: cols.text("status")?,
        updated_at: cols.opt_timestamp("updated_at")?,
        in_scope: cols.i64("in_scope")? != 0,
    }))
}

fn audit_record(row: &SqliteRow) -> Result<AuditRecord, QueryError> {
    let cols = Cols::new(row, "launchdeck_audit_log");
    let result = AuditResult::try_from(cols.text("result")?).map_err(StoreError::SchemaDrift)?;
    Ok(AuditRecord {
        id: cols.uuid("id")?,
        at: cols.timestamp("at")?,
        actor: cols.text("actor")?,
        action: cols.text("action")?,
        target: AuditTarget {
            table: cols.text("target_table")?,
            id: cols.uuid("target_id")?,
            name: cols.text("target_name")?,
        },
        before: cols.opt_json("before")?,
        after: cols.opt_json("after")?,
        result,
        launchdeck_version: cols.text("launchdeck_version")?,
    })
}
