//! Loading a `SeedData` into PostgreSQL: one `INSERT … SELECT FROM
//! json_populate_recordset` per table and column set, with the platform's triggers on
//! (the data must pass the same guards production rows do).

use sqlx::PgPool;

use super::{SeedData, is_identifier};

/// Insert every table of `data`, in order, in one transaction.
pub async fn load(pool: &PgPool, data: &SeedData) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for table in &data.tables {
        assert!(is_identifier(table.table), "bad table name {}", table.table);
        for (cols, rows) in table.batches() {
            for c in &cols {
                assert!(is_identifier(c), "bad column name {c} in {}", table.table);
            }
            let list = cols.join(", ");
            let sql = format!(
                "INSERT INTO {t} ({list}) SELECT {list} FROM json_populate_recordset(NULL::{t}, $1::json)",
                t = table.table
            );
            // Chunks keep each bound JSON document a reasonable size.
            for chunk in rows.chunks(5_000) {
                let json = serde_json::to_string(chunk).expect("seed rows serialise");
                sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(json)
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    tx.commit().await
}
