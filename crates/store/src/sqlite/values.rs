//! How values are stored in the SQLite demo database (see `sql/sqlite/schema.sql`):
//! timestamps as fixed-width RFC 3339 UTC text, uuids as lowercase text, booleans as
//! 0/1, JSON as text. Reading a row goes through [`Cols`], whose errors name the
//! column and the value that could not be read.

use chrono::{DateTime, NaiveDate, NaiveTime, SecondsFormat, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use super::error::RECREATE;
use crate::{StoreError, StoreResult};

/// A timestamp as the demo database stores it: `2026-11-24T12:00:00.000000Z`. Every
/// stored timestamp has this exact width, so text order is time order.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// `Utc::now()` at the stored precision (microseconds), so a value read back
/// compares equal to the one written.
pub fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// Parses a stored timestamp. Accepts any RFC 3339 form (and PostgreSQL's
/// `YYYY-MM-DD HH:MM:SS+00`), so data written by other tools still reads.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Some(at.with_timezone(&Utc));
        }
    }
    // A naive timestamp is taken as UTC (SQLite's own `datetime('now')` form).
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    None
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    ["%H:%M:%S%.f", "%H:%M"]
        .iter()
        .find_map(|format| NaiveTime::parse_from_str(text.trim(), format).ok())
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// A uuid bound as a parameter: the stored text form.
pub fn uuid_text(id: Uuid) -> String {
    id.to_string()
}

/// Ids bound as one JSON array of their stored text form, for
/// `IN (SELECT value FROM json_each(..))`.
pub fn id_list(ids: &[Uuid]) -> String {
    serde_json::Value::from(ids.iter().map(|id| uuid_text(*id)).collect::<Vec<_>>()).to_string()
}

/// The scope's `$1` (user) and `$2` (organization) parameters, as stored text.
pub fn scope_params(scope: &launchdeck_core::domain::Scope) -> (Option<String>, Option<String>) {
    (opt_uuid_text(scope.user_id), opt_uuid_text(scope.org_id))
}

pub fn opt_uuid_text(id: Option<Uuid>) -> Option<String> {
    id.map(uuid_text)
}

/// Reads the columns of one result row, naming the row's table in errors.
pub(crate) struct Cols<'r> {
    row: &'r SqliteRow,
    table: &'static str,
}

impl<'r> Cols<'r> {
    pub(crate) fn new(row: &'r SqliteRow, table: &'static str) -> Self {
        Cols { row, table }
    }

    fn bad(&self, column: &str, value: &str, expected: &str) -> StoreError {
        StoreError::Other(format!(
            "{}.{column} holds {value:?}, which is not {expected}; {RECREATE}",
            self.table
        ))
    }

    fn decode_error(&self, column: &str, error: sqlx::Error) -> StoreError {
        StoreError::Other(format!("cannot read {}.{column}: {error}", self.table))
    }

    pub(crate) fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        self.row
            .try_get::<Option<String>, _>(column)
            .map_err(|e| self.decode_error(column, e))
    }

    pub(crate) fn text(&self, column: &str) -> StoreResult<String> {
        self.opt_text(column)?
            .ok_or_else(|| self.bad(column, "NULL", "a value (the column must be set)"))
    }

    pub(crate) fn opt_i64(&self, column: &str) -> StoreResult<Option<i64>> {
        self.row
            .try_get::<Option<i64>, _>(column)
            .map_err(|e| self.decode_error(column, e))
    }

    pub(crate) fn i64(&self, column: &str) -> StoreResult<i64> {
        self.opt_i64(column)?
            .ok_or_else(|| self.bad(column, "NULL", "a number"))
    }

    pub(crate) fn opt_i32(&self, column: &str) -> StoreResult<Option<i32>> {
        match self.opt_i64(column)? {
            None => Ok(None),
            Some(n) => i32::try_from(n)
                .map(Some)
                .map_err(|_| self.bad(column, &n.to_string(), "a 32-bit integer")),
        }
    }

    pub(crate) fn i32_or(&self, column: &str, default: i32) -> StoreResult<i32> {
        Ok(self.opt_i32(column)?.unwrap_or(default))
    }

    pub(crate) fn opt_f64(&self, column: &str) -> StoreResult<Option<f64>> {
        self.row
            .try_get::<Option<f64>, _>(column)
            .map_err(|e| self.decode_error(column, e))
    }

    /// A boolean stored as 0/1; NULL reads as `default` (the platform's column default).
    pub(crate) fn bool_or(&self, column: &str, default: bool) -> StoreResult<bool> {
        Ok(self.opt_i64(column)?.map_or(default, |n| n != 0))
    }

    pub(crate) fn opt_uuid(&self, column: &str) -> StoreResult<Option<Uuid>> {
        match self.opt_text(column)? {
            None => Ok(None),
            Some(text) => Uuid::parse_str(&text)
                .map(Some)
                .map_err(|_| self.bad(column, &text, "a uuid")),
        }
    }

    pub(crate) fn uuid(&self, column: &str) -> StoreResult<Uuid> {
        self.opt_uuid(column)?
            .ok_or_else(|| self.bad(column, "NULL", "a uuid"))
    }

    pub(crate) fn opt_timestamp(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
        match self.opt_text(column)? {
            None => Ok(None),
            Some(text) => parse_timestamp(&text)
                .map(Some)
                .ok_or_else(|| self.bad(column, &text, "an RFC 3339 timestamp")),
        }
    }

    pub(crate) fn timestamp(&self, column: &str) -> StoreResult<DateTime<Utc>> {
        self.opt_timestamp(column)?
            .ok_or_else(|| self.bad(column, "NULL", "a timestamp"))
    }

    pub(crate) fn opt_time(&self, column: &str) -> StoreResult<Option<NaiveTime>> {
        match self.opt_text(column)? {
            None => Ok(None),
            Some(text) => parse_time(&text)
                .map(Some)
                .ok_or_else(|| self.bad(column, &text, "a time of day (HH:MM:SS)")),
        }
    }

    pub(crate) fn opt_date(&self, column: &str) -> StoreResult<Option<NaiveDate>> {
        match self.opt_text(column)? {
            None => Ok(None),
            Some(text) => parse_date(&text)
                .map(Some)
                .ok_or_else(|| self.bad(column, &text, "a date (YYYY-MM-DD)")),
        }
    }

    /// A jsonb column, selected as `json(col)` so that any stored form reads as text.
    pub(crate) fn opt_json(&self, column: &str) -> StoreResult<Option<serde_json::Value>> {
        match self.opt_text(column)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|_| self.bad(column, &text, "JSON")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_have_a_fixed_width_and_round_trip() {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        assert_eq!(timestamp(at), "2026-11-24T12:00:00.000000Z");
        let later = at + chrono::Duration::microseconds(1_234_567);
        assert_eq!(timestamp(later), "2026-11-24T12:00:01.234567Z");
        assert_eq!(parse_timestamp(&timestamp(later)), Some(later));
        assert!(timestamp(at) < timestamp(later));
    }

    #[test]
    fn other_timestamp_forms_parse() {
        let at = Utc.with_ymd_and_hms(2026, 7, 20, 15, 0, 0).unwrap();
        for text in [
            "2026-07-20T15:00:00Z",
            "2026-07-20T17:00:00+02:00",
            "2026-07-20 15:00:00+00",
            "2026-07-20 15:00:00.000",
        ] {
            assert_eq!(parse_timestamp(text), Some(at), "{text}");
        }
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn now_is_microsecond_precise() {
        let now = now_micros();
        assert_eq!(parse_timestamp(&timestamp(now)), Some(now));
    }

    #[test]
    fn times_and_dates() {
        assert_eq!(parse_time("09:00:00"), NaiveTime::from_hms_opt(9, 0, 0));
        assert_eq!(parse_time("17:30"), NaiveTime::from_hms_opt(17, 30, 0));
        assert_eq!(
            parse_date("2026-12-01"),
            NaiveDate::from_ymd_opt(2026, 12, 1)
        );
        assert_eq!(parse_date("12/01/2026"), None);
    }
}
