//! Loading a `SeedData` into the SQLite demo database: multi-row
//! `INSERT … VALUES (?, …), (?, …)` statements per table and column set, in one
//! transaction.
//!
//! Values are converted to the demo's storage forms first (see `sql/sqlite/schema.sql`),
//! using each column's declared type from `pragma_table_info`: timestamps to fixed-width
//! RFC 3339 UTC text, booleans to 0/1, jsonb and text[] values to JSON text, uuids to
//! lowercase text. The platform's triggers that fill columns (phone normalisation on
//! phone_numbers, leads and dnc_list) are applied here, since SQLite triggers cannot
//! express them. Table names map as SQLite has no schemas: `auth.users` → `auth_users`;
//! `cron.*` and `vault.*` rows are skipped (the demo has no such functions to read them).

use std::collections::HashMap;

use serde_json::{Map, Value};
use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};
use uuid::Uuid;

use super::{SeedData, TableRows, is_identifier};
use launchdeck_store::sqlite::RECREATE;
use launchdeck_store::sqlite::values::{parse_timestamp, timestamp};
use launchdeck_store::{StoreError, StoreResult};

/// SQLite's default limit of bound parameters per statement (SQLITE_MAX_VARIABLE_NUMBER).
const MAX_PARAMETERS: usize = 32_766;
/// At most this many rows per INSERT statement.
const MAX_ROWS: usize = 500;

/// Insert every table of `data`, in order, in one transaction.
pub async fn load(pool: &SqlitePool, data: &SeedData) -> StoreResult<()> {
    let mut tx = launchdeck_store::sqlite::begin_write(pool)
        .await
        .map_err(sql_error)?;
    for table in &data.tables {
        let Some(target) = sqlite_table(table.table)? else {
            continue;
        };
        let types = column_types(&mut tx, target).await?;
        let rows = convert_rows(table, target, &types)?;
        insert_rows(&mut tx, target, &rows).await?;
    }
    tx.commit().await.map_err(sql_error)
}

/// The SQLite table for a seed table name; None for schemas the demo does not keep.
fn sqlite_table(name: &'static str) -> StoreResult<Option<&'static str>> {
    match name {
        "auth.users" => Ok(Some("auth_users")),
        _ if name.starts_with("cron.") || name.starts_with("vault.") => Ok(None),
        _ if name.contains('.') || !is_identifier(name) => Err(StoreError::Other(format!(
            "seed table {name:?} has no SQLite equivalent; only auth.users, cron.* and vault.* \
             may carry a schema"
        ))),
        _ => Ok(Some(name)),
    }
}

/// Column name → declared type (lowercase), e.g. `timestamptz`, `jsonb`, `boolean`.
async fn column_types(
    tx: &mut Transaction<'static, Sqlite>,
    table: &str,
) -> StoreResult<HashMap<String, String>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT name, lower(type) FROM pragma_table_info($1)")
            .bind(table)
            .fetch_all(&mut **tx)
            .await
            .map_err(sql_error)?;
    if rows.is_empty() {
        return Err(StoreError::SchemaDrift(format!(
            "the demo database has no table {table}; {RECREATE}"
        )));
    }
    Ok(rows.into_iter().collect())
}

/// The rows in storage form, with the platform's column-filling triggers applied.
fn convert_rows(
    table: &TableRows,
    target: &'static str,
    types: &HashMap<String, String>,
) -> StoreResult<TableRows> {
    let mut converted = TableRows::new(target);
    converted.rows.reserve(table.rows.len());
    for (index, row) in table.rows.iter().enumerate() {
        let mut out = Map::with_capacity(row.len() + 1);
        for (column, value) in row {
            let Some(kind) = types.get(column) else {
                return Err(StoreError::SchemaDrift(format!(
                    "seed row {index} of {} sets column {column}, which the demo table {target} \
                     lacks",
                    table.table
                )));
            };
            let value = to_storage(kind, value.clone())
                .map_err(|e| row_error(table, index, format!("column {column}: {e}")))?;
            out.insert(column.clone(), value);
        }
        apply_platform_triggers(target, &mut out).map_err(|e| row_error(table, index, e))?;
        converted.rows.push(out);
    }
    Ok(converted)
}

fn row_error(table: &TableRows, index: usize, problem: String) -> StoreError {
    StoreError::Refused(format!("seed row {index} of {}: {problem}", table.table))
}

async fn insert_rows(
    tx: &mut Transaction<'static, Sqlite>,
    table: &'static str,
    rows: &TableRows,
) -> StoreResult<()> {
    for (cols, batch) in rows.batches() {
        for c in &cols {
            if !is_identifier(c) || c.contains('.') {
                return Err(StoreError::Other(format!(
                    "bad column name {c:?} in {table}"
                )));
            }
        }
        let head = format!("INSERT INTO {table} ({}) ", cols.join(", "));
        let rows_per_statement = (MAX_PARAMETERS / cols.len().max(1)).clamp(1, MAX_ROWS);
        for chunk in batch.chunks(rows_per_statement) {
            let mut insert = QueryBuilder::<Sqlite>::new(head.as_str());
            insert.push_values(chunk, |mut tuple, row| {
                for c in &cols {
                    push_value(&mut tuple, row.get(c).unwrap_or(&Value::Null));
                }
            });
            insert
                .build()
                .persistent(false)
                .execute(&mut **tx)
                .await
                .map_err(|e| match sql_error(e) {
                    StoreError::Refused(text) => {
                        StoreError::Refused(format!("loading {table}: {text}"))
                    }
                    other => other,
                })?;
        }
    }
    Ok(())
}

/// Binds one storage-form value (arrays and objects were turned into JSON text).
fn push_value(tuple: &mut Separated<'_, Sqlite, &'static str>, value: &Value) {
    match value {
        Value::Null => tuple.push_bind(None::<String>),
        Value::Bool(b) => tuple.push_bind(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => tuple.push_bind(i),
            None => tuple.push_bind(n.as_f64()),
        },
        Value::String(text) => tuple.push_bind(text.clone()),
        other => tuple.push_bind(other.to_string()),
    };
}

fn sql_error(e: sqlx::Error) -> StoreError {
    launchdeck_store::sqlite::map_error(e, std::time::Duration::from_secs(5))
}

/// One value in the storage form of a column of declared type `kind`.
fn to_storage(kind: &str, value: Value) -> Result<Value, String> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    match kind {
        "timestamptz" => match &value {
            Value::String(text) => parse_timestamp(text)
                .map(|at| Value::String(timestamp(at)))
                .ok_or_else(|| format!("{text:?} is not a timestamp")),
            other => Err(format!("{other} is not a timestamp")),
        },
        "boolean" => match value {
            Value::Bool(b) => Ok(Value::from(i64::from(b))),
            Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
                Ok(Value::Number(n))
            }
            other => Err(format!("{other} is not a boolean")),
        },
        "uuid" => match &value {
            Value::String(text) => Uuid::parse_str(text)
                .map(|id| Value::String(id.to_string()))
                .map_err(|_| format!("{text:?} is not a uuid")),
            other => Err(format!("{other} is not a uuid")),
        },
        "jsonb" => Ok(Value::String(value.to_string())),
        "text_array" => match value {
            Value::Array(items) if items.iter().all(Value::is_string) => {
                Ok(Value::String(Value::Array(items).to_string()))
            }
            other => Err(format!("{other} is not an array of strings")),
        },
        "date" => match &value {
            Value::String(text) => storage_date(text),
            other => Err(format!("{other} is not a date")),
        },
        _ => Ok(value),
    }
}

/// `YYYY-MM-DD`; a full timestamp keeps its UTC date.
fn storage_date(text: &str) -> Result<Value, String> {
    if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() {
        return Ok(Value::String(text.to_string()));
    }
    parse_timestamp(text)
        .map(|at| Value::String(at.date_naive().to_string()))
        .ok_or_else(|| format!("{text:?} is not a date"))
}

/// The platform's BEFORE INSERT triggers that fill or rewrite columns.
fn apply_platform_triggers(table: &str, row: &mut Map<String, Value>) -> Result<(), String> {
    match table {
        // normalize_provider_phone_number: E.164 or PROVIDER_PHONE_NUMBER_INVALID.
        "phone_numbers" => {
            if let Some(Value::String(number)) = row.get("number") {
                let normalized = normalize_phone_e164(number).ok_or_else(|| {
                    format!("PROVIDER_PHONE_NUMBER_INVALID: {number} is not a phone number")
                })?;
                row.insert("number".into(), Value::String(normalized));
            }
        }
        // sync_lead_normalized_phone: recomputed from phone_number (NULL when invalid).
        "leads" => {
            let normalized = match row.get("phone_number") {
                Some(Value::String(number)) => normalize_phone_e164(number),
                _ => None,
            };
            row.insert(
                "phone_number_normalized".into(),
                normalized.map_or(Value::Null, Value::String),
            );
        }
        // enforce_dnc_tenant_contract: fills the normalized phone or rejects the row.
        "dnc_list" => {
            if let Some(Value::String(number)) = row.get("phone_number") {
                let normalized = normalize_phone_e164(number).ok_or_else(|| {
                    format!("DNC_PHONE_NUMBER_INVALID: {number} is not a phone number")
                })?;
                row.insert("phone_number_normalized".into(), Value::String(normalized));
            }
        }
        _ => {}
    }
    Ok(())
}

/// The platform's `normalize_phone_e164`: 10 digits → `+1…`; 8–15 digits → `+…`
/// (11 digits starting with 1 included); anything else → None.
pub fn normalize_phone_e164(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        10 => Some(format!("+1{digits}")),
        8..=15 => Some(format!("+{digits}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn phones_normalise_like_the_platform() {
        assert_eq!(
            normalize_phone_e164("(415) 555-0100").as_deref(),
            Some("+14155550100")
        );
        assert_eq!(
            normalize_phone_e164("1-415-555-0100").as_deref(),
            Some("+14155550100")
        );
        assert_eq!(
            normalize_phone_e164("+44 20 7946 0958").as_deref(),
            Some("+442079460958")
        );
        assert_eq!(normalize_phone_e164("12345"), None);
        assert_eq!(normalize_phone_e164(""), None);
    }

    #[test]
    fn values_take_their_storage_form() {
        assert_eq!(
            to_storage("timestamptz", json!("2026-07-20T17:00:00+02:00")),
            Ok(json!("2026-07-20T15:00:00.000000Z"))
        );
        assert!(to_storage("timestamptz", json!("soon")).is_err());
        assert_eq!(to_storage("boolean", json!(true)), Ok(json!(1)));
        assert!(to_storage("boolean", json!("yes")).is_err());
        assert_eq!(
            to_storage("uuid", json!("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")),
            Ok(json!("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
        );
        assert_eq!(
            to_storage("jsonb", json!({"a": [1]})),
            Ok(json!("{\"a\":[1]}"))
        );
        // A JSON string scalar stays a JSON string (the browser's weekly_schedule form).
        assert_eq!(
            to_storage("jsonb", json!("{\"x\":1}")),
            Ok(json!("\"{\\\"x\\\":1}\""))
        );
        assert_eq!(
            to_storage("text_array", json!(["a", "b"])),
            Ok(json!("[\"a\",\"b\"]"))
        );
        assert_eq!(
            to_storage("date", json!("2026-12-01")),
            Ok(json!("2026-12-01"))
        );
        assert_eq!(to_storage("text", json!("x")), Ok(json!("x")));
        assert_eq!(to_storage("timestamptz", Value::Null), Ok(Value::Null));
    }

    #[test]
    fn table_names_map_to_sqlite() {
        assert_eq!(
            sqlite_table("auth.users").ok().flatten(),
            Some("auth_users")
        );
        assert_eq!(sqlite_table("cron.job").ok().flatten(), None);
        assert_eq!(sqlite_table("call_logs").ok().flatten(), Some("call_logs"));
        assert!(sqlite_table("other.table").is_err());
    }

    #[test]
    fn triggers_fill_normalized_phones() {
        let mut lead = Map::new();
        lead.insert("phone_number".into(), json!("415-555-0100"));
        assert!(apply_platform_triggers("leads", &mut lead).is_ok());
        assert_eq!(lead["phone_number_normalized"], json!("+14155550100"));

        let mut phone = Map::new();
        phone.insert("number".into(), json!("12"));
        assert!(apply_platform_triggers("phone_numbers", &mut phone).is_err());
    }
}
