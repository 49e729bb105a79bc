//! sqlx errors from SQLite as `StoreError`s that say what is wrong and what to do.

use std::time::Duration;

use crate::StoreError;

// SQLite primary result codes (https://sqlite.org/rescode.html).
const SQLITE_ERROR: i64 = 1;
const SQLITE_PERM: i64 = 3;
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_READONLY: i64 = 8;
const SQLITE_IOERR: i64 = 10;
const SQLITE_CORRUPT: i64 = 11;
const SQLITE_FULL: i64 = 13;
const SQLITE_CANTOPEN: i64 = 14;
const SQLITE_CONSTRAINT: i64 = 19;
const SQLITE_NOTADB: i64 = 26;

/// How to get a usable demo database back (the store creates the schema in a new file).
pub const RECREATE: &str =
    "delete the demo database file in the data directory and start `launchdeck demo` again";

/// A query's failure: from SQLite, or a row that could not be read. Query functions
/// return it so both kinds propagate with `?`.
#[derive(Debug)]
pub(crate) enum QueryError {
    Sql(sqlx::Error),
    Row(StoreError),
}

impl From<sqlx::Error> for QueryError {
    fn from(e: sqlx::Error) -> Self {
        QueryError::Sql(e)
    }
}

impl From<StoreError> for QueryError {
    fn from(e: StoreError) -> Self {
        QueryError::Row(e)
    }
}

impl QueryError {
    pub(crate) fn into_store_error(self, busy_timeout: Duration) -> StoreError {
        match self {
            QueryError::Sql(e) => map_error(e, busy_timeout),
            QueryError::Row(e) => e,
        }
    }
}

/// Maps a sqlx error to the `StoreError` kind the console reacts to.
pub fn map_error(error: sqlx::Error, busy_timeout: Duration) -> StoreError {
    use sqlx::Error as E;
    match error {
        E::Database(db) => map_database_error(db.message(), db.code().as_deref(), busy_timeout),
        E::Io(e) => StoreError::Unreachable(format!(
            "cannot read or write the demo database file: {e}; check the data directory's \
             permissions and free space"
        )),
        E::PoolTimedOut => StoreError::Unreachable(
            "no connection to the demo database became free in time: another process holds it \
             locked; close other launchdeck demo sessions"
                .into(),
        ),
        E::PoolClosed => StoreError::Unreachable("the demo database is closed".into()),
        E::WorkerCrashed => {
            StoreError::Unreachable("the SQLite worker thread stopped; restart launchdeck".into())
        }
        E::ColumnNotFound(column) => StoreError::SchemaDrift(format!(
            "column {column} is missing from a query result; {RECREATE}"
        )),
        other => StoreError::Other(other.to_string()),
    }
}

fn map_database_error(message: &str, code: Option<&str>, busy_timeout: Duration) -> StoreError {
    // sqlx reports SQLite's extended result code; the primary code is its low byte.
    let primary = code.and_then(|c| c.parse::<i64>().ok()).map(|c| c & 0xff);
    match primary {
        Some(SQLITE_BUSY | SQLITE_LOCKED) => StoreError::Timeout(format!(
            "{message}: the demo database stayed locked for longer than busy_timeout \
             ({busy_timeout:?}); another process is writing to it"
        )),
        Some(SQLITE_CONSTRAINT) => StoreError::Refused(message.to_string()),
        Some(SQLITE_READONLY | SQLITE_PERM) => StoreError::Refused(format!(
            "{message}: the demo database is read-only; check the file's permissions"
        )),
        Some(SQLITE_CANTOPEN | SQLITE_IOERR | SQLITE_FULL) => StoreError::Unreachable(format!(
            "{message}: check that the demo database's directory exists, is writable and has \
             free space"
        )),
        Some(SQLITE_CORRUPT | SQLITE_NOTADB) => StoreError::Unreachable(format!(
            "{message}: the file is not a usable SQLite database; {RECREATE}"
        )),
        Some(SQLITE_ERROR) if is_missing_schema(message) => StoreError::SchemaDrift(format!(
            "{message}; the demo database is from another launchdeck version: {RECREATE}"
        )),
        _ => StoreError::Other(message.to_string()),
    }
}

fn is_missing_schema(message: &str) -> bool {
    [
        "no such table",
        "no such column",
        "no such function",
        "has no column named",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_secs(2);

    #[test]
    fn codes_map_to_kinds() {
        // 275 = SQLITE_CONSTRAINT_CHECK, 1811 = SQLITE_CONSTRAINT_TRIGGER, 517 = BUSY_SNAPSHOT.
        assert!(matches!(
            map_database_error("CHECK constraint failed", Some("275"), WAIT),
            StoreError::Refused(_)
        ));
        assert!(matches!(
            map_database_error("CALL_LOG_EVIDENCE_IMMUTABLE", Some("1811"), WAIT),
            StoreError::Refused(_)
        ));
        assert!(matches!(
            map_database_error("database is locked", Some("517"), WAIT),
            StoreError::Timeout(_)
        ));
        assert!(matches!(
            map_database_error("no such table: call_logs", Some("1"), WAIT),
            StoreError::SchemaDrift(_)
        ));
        assert!(matches!(
            map_database_error("unable to open database file", Some("14"), WAIT),
            StoreError::Unreachable(_)
        ));
        assert!(matches!(
            map_database_error("near \"x\": syntax error", Some("1"), WAIT),
            StoreError::Other(_)
        ));
    }

    #[test]
    fn transient_kinds() {
        assert!(map_database_error("database is locked", Some("5"), WAIT).is_transient());
        assert!(!map_database_error("UNIQUE constraint failed", Some("2067"), WAIT).is_transient());
    }
}
