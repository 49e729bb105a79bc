//! Connection facts and schema drift.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::PgStore;
use crate::DbInfo;
use crate::schema_contract::REQUIRED_COLUMNS;

const COLUMNS_SQL: &str = "
SELECT table_name::text, column_name::text
  FROM information_schema.columns
 WHERE table_schema = 'public' AND table_name = ANY($1::text[])";

/// `PostgreSQL 15.8 (Debian …) on x86_64-pc-linux-gnu, compiled by …` → `PostgreSQL 15.8 (Debian …)`.
fn short_version(version: &str) -> String {
    version
        .split(" on ")
        .next()
        .unwrap_or(version)
        .trim()
        .to_string()
}

/// Required `table.column`s absent from `present` (table → columns); a table with
/// no columns at all is reported once, as `table`.
pub(crate) fn missing_from(present: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut missing = Vec::new();
    for (table, columns) in REQUIRED_COLUMNS {
        let Some(have) = present.get(*table) else {
            missing.push((*table).to_string());
            continue;
        };
        for column in *columns {
            if !have.contains(*column) {
                missing.push(format!("{table}.{column}"));
            }
        }
    }
    missing
}

const REPLICA_LAG_SQL: &str = "
SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL
            WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())
       END::float8";

impl PgStore {
    pub(super) async fn query_db_info(&self) -> Result<DbInfo, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let started = Instant::now();
        let (db_now, version): (DateTime<Utc>, String) = sqlx::query_as("SELECT now(), version()")
            .persistent(self.persistent())
            .fetch_one(&mut *conn)
            .await?;
        let round_trip = started.elapsed();
        Ok(DbInfo {
            round_trip,
            db_now,
            server_version: short_version(&version),
            transaction_pooler: self.transaction_pooler,
            backend: "postgres",
            replica: None,
        })
    }

    /// A standby's replay lag: zero when it has replayed all it received, else the
    /// time since the last transaction it replayed; `None` when this is no standby.
    pub(super) async fn query_replica_lag(&self) -> Result<Option<Duration>, sqlx::Error> {
        let lag: Option<f64> = sqlx::query_scalar(REPLICA_LAG_SQL)
            .persistent(self.persistent())
            .fetch_one(&self.pool)
            .await?;
        Ok(lag.map(|secs| Duration::from_secs_f64(secs.max(0.0))))
    }

    pub(super) async fn query_missing_schema(&self) -> Result<Vec<String>, sqlx::Error> {
        let tables: Vec<&str> = REQUIRED_COLUMNS.iter().map(|(t, _)| *t).collect();
        let mut tx = self.begin().await?;
        let rows: Vec<(String, String)> = sqlx::query_as(COLUMNS_SQL)
            .persistent(self.persistent())
            .bind(&tables)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut present: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (table, column) in rows {
            present.entry(table).or_default().insert(column);
        }
        Ok(missing_from(&present))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_shortened() {
        assert_eq!(
            short_version("PostgreSQL 15.8 on x86_64-pc-linux-gnu, compiled by gcc"),
            "PostgreSQL 15.8"
        );
    }

    #[test]
    fn missing_tables_and_columns_are_named() {
        let mut present: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (table, columns) in REQUIRED_COLUMNS {
            if *table == "system_alerts" {
                continue;
            }
            let set = present.entry((*table).to_string()).or_default();
            for c in *columns {
                if !(*table == "call_logs" && *c == "retell_cost_cents") {
                    set.insert((*c).to_string());
                }
            }
        }
        assert_eq!(
            missing_from(&present),
            vec![
                "call_logs.retell_cost_cents".to_string(),
                "system_alerts".to_string()
            ]
        );
    }
}
