//! Connection facts and schema drift, read from SQLite's own catalog.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use crate::DbInfo;
use crate::schema_contract::REQUIRED_COLUMNS;

use super::SqliteStore;
use super::values::now_micros;

/// Every column of every table, through the `pragma_table_info` table function.
const COLUMNS_SQL: &str = "
SELECT m.name AS table_name, p.name AS column_name
  FROM sqlite_master m
  JOIN pragma_table_info(m.name) p
 WHERE m.type = 'table'";

/// `table.column` (or `table`) for each required column the catalog lacks.
pub(crate) fn missing_from(columns: &HashMap<String, HashSet<String>>) -> Vec<String> {
    let mut missing = Vec::new();
    for (table, required) in REQUIRED_COLUMNS {
        match columns.get(*table) {
            None => missing.push((*table).to_string()),
            Some(present) => missing.extend(
                required
                    .iter()
                    .filter(|c| !present.contains(**c))
                    .map(|c| format!("{table}.{c}")),
            ),
        }
    }
    missing
}

impl SqliteStore {
    pub(super) async fn query_db_info(&self) -> Result<DbInfo, sqlx::Error> {
        let started = Instant::now();
        let version: String = sqlx::query_scalar("SELECT sqlite_version()")
            .fetch_one(&self.pool)
            .await?;
        let round_trip = started.elapsed();
        Ok(DbInfo {
            round_trip,
            db_now: now_micros(),
            server_version: format!("SQLite {version}"),
            transaction_pooler: false,
            backend: "sqlite",
            replica: None,
        })
    }

    pub(super) async fn query_missing_schema(&self) -> Result<Vec<String>, sqlx::Error> {
        let rows: Vec<(String, String)> = sqlx::query_as(COLUMNS_SQL).fetch_all(&self.pool).await?;
        let mut columns: HashMap<String, HashSet<String>> = HashMap::new();
        for (table, column) in rows {
            columns.entry(table).or_default().insert(column);
        }
        Ok(missing_from(&columns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_whole_tables_and_single_columns() {
        let mut columns: HashMap<String, HashSet<String>> = HashMap::new();
        for (table, cols) in REQUIRED_COLUMNS {
            columns.insert(
                (*table).to_string(),
                cols.iter().map(|c| (*c).to_string()).collect(),
            );
        }
        assert!(missing_from(&columns).is_empty());

        columns.remove("sip_trunk_configs");
        if let Some(cols) = columns.get_mut("call_logs") {
            cols.remove("retell_call_id");
        }
        assert_eq!(
            missing_from(&columns),
            vec![
                "sip_trunk_configs".to_string(),
                "call_logs.retell_call_id".to_string()
            ]
        );
    }
}
