//! The `Store` for the embedded demo: a SQLite file holding the platform's tables
//! (`sql/sqlite/schema.sql`), answered with the same semantics as the PostgreSQL store.
//!
//! SQLite's clock is the process's clock, so `db_now` is `Utc::now()` (at microsecond
//! precision) and every time window is computed in Rust and bound as a parameter.
//! Each read runs in one transaction, so the statements of a poll see one snapshot.

mod actions;
mod catalog;
mod cleanup;
mod error;
mod fixes;
mod live;
mod logs;
mod progress;
mod readiness;
mod stop;
mod tables;
mod test_broadcast;
pub mod values;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use launchdeck_core::actions::{AuditRecord, StatusChange, StatusRow, StatusTarget, WriteOutcome};
use launchdeck_core::cleanup::{CleanupWrite, CleanupWriteResult};
use launchdeck_core::domain::{
    Alert, Broadcast, CalendarAvailability, CalendarIntegration, CallLogEntry, CallSource,
    Campaign, InFlightSnapshot, LogFilter, PhoneNumber, RetellAgentRow, Scope, SipTrunk,
    StopControl,
};
use launchdeck_core::in_flight::{CallState, InFlightCheck, InFlightDelta, KnownInFlight};
use launchdeck_core::progress::{ProgressHeads, Recount, RecountRequest};
use launchdeck_core::readiness::{
    BroadcastStats, BudgetSetting, ContactRelease, KeptFinished, ProviderSafetyHealth,
    ReconciliationHealth,
};
use secrecy::SecretString;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use tokio::sync::watch;
use uuid::Uuid;

use crate::{DbInfo, PlatformAnswer, Store, StoreError, StoreResult};
use error::QueryError;
pub use error::{RECREATE, map_error};

pub use values::{now_micros, parse_timestamp, timestamp};

/// A write transaction holding SQLite's write lock from its first statement. A deferred
/// one that reads first and then writes must upgrade its lock, and in WAL mode that
/// fails at once with "database is locked" while another connection writes (the busy
/// timeout does not apply), so every writer begins this way.
pub async fn begin_write(
    pool: &sqlx::SqlitePool,
) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// The demo database's schema, applied when the file is new.
pub const SCHEMA_SQL: &str = include_str!("../../sql/sqlite/schema.sql");

/// Connection settings and the query windows (the same as `PgOptions`' defaults, so
/// both stores answer alike).
#[derive(Debug, Clone, PartialEq)]
pub struct SqliteOptions {
    /// At most this many connections (WAL lets readers run beside the one writer).
    pub max_connections: u32,
    /// How long a statement waits for another connection's write lock.
    pub busy_timeout: Duration,
    /// How long a call waits for a free connection.
    pub acquire_timeout: Duration,
    /// call_logs `queued`/`ringing` rows count as in flight when created this recently
    /// (or when under a reconciliation hold, whatever their age).
    pub in_flight_log_window: Duration,
    /// The Logs screen reaches back at most this far.
    pub log_horizon: Duration,
    /// Campaign call-log counts and pickup cover the rows created this recently.
    pub campaign_log_window: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            max_connections: 4,
            busy_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(5),
            in_flight_log_window: Duration::from_secs(24 * 3600),
            log_horizon: Duration::from_secs(7 * 24 * 3600),
            campaign_log_window: Duration::from_secs(24 * 3600),
        }
    }
}

/// The SQLite implementation of [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
    opts: SqliteOptions,
    load_gate: Option<LoadGate>,
}

/// How long a read waits for a database that is still being loaded.
const LOAD_WAIT: Duration = Duration::from_secs(60);

/// A database another task is still loading (the demo seeds while the console starts):
/// a store holding it answers only once the load has finished, so nobody sees a
/// half-filled database. Made by [`load_gate`].
#[derive(Debug, Clone)]
pub struct LoadGate(watch::Receiver<Option<Result<(), String>>>);

/// The loading task's end of a [`LoadGate`]. Dropped without [`LoadDone::finish`], the
/// gate reports that loading stopped.
#[derive(Debug)]
pub struct LoadDone(watch::Sender<Option<Result<(), String>>>);

/// A new, closed gate and the handle that opens it.
pub fn load_gate() -> (LoadDone, LoadGate) {
    let (tx, rx) = watch::channel(None);
    (LoadDone(tx), LoadGate(rx))
}

impl LoadDone {
    /// Opens the gate; with an error, every waiting and later read returns it.
    pub fn finish(self, outcome: Result<(), String>) {
        self.0.send_replace(Some(outcome));
    }
}

impl LoadGate {
    /// Waits (up to `limit`) until the load has finished.
    async fn passed(&self, limit: Duration) -> StoreResult<()> {
        let mut rx = self.0.clone();
        match tokio::time::timeout(limit, rx.wait_for(Option::is_some)).await {
            Ok(Ok(outcome)) => match outcome.as_ref() {
                Some(Err(text)) => Err(StoreError::Other(text.clone())),
                _ => Ok(()),
            },
            Ok(Err(_)) => Err(StoreError::Other(
                "the demo database's loading stopped before it finished".to_string(),
            )),
            Err(_) => Err(StoreError::Timeout(format!(
                "the demo database was still being loaded after {limit:?}"
            ))),
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` in WAL mode. A new, empty
    /// file gets the schema; an existing one is used as it is (`missing_schema` reports
    /// what it lacks).
    pub async fn open(path: impl AsRef<Path>, opts: SqliteOptions) -> StoreResult<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        let connect = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(opts.busy_timeout);
        let pool = SqlitePoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .acquire_timeout(opts.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(|e| open_error(&path, e, opts.busy_timeout))?;
        let store = SqliteStore {
            pool,
            path,
            opts,
            load_gate: None,
        };
        store.run(store.create_schema_if_empty()).await?;
        Ok(store)
    }

    /// Deletes the database at `path` (with its WAL files) and creates it anew with
    /// the schema and default options.
    pub async fn open_fresh(path: impl AsRef<Path>) -> StoreResult<SqliteStore> {
        Self::open_fresh_with(path, SqliteOptions::default()).await
    }

    pub async fn open_fresh_with(
        path: impl AsRef<Path>,
        opts: SqliteOptions,
    ) -> StoreResult<SqliteStore> {
        let path = path.as_ref();
        for file in database_files(path) {
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(StoreError::Unreachable(format!(
                        "cannot delete the old demo database {}: {e}",
                        file.display()
                    )));
                }
            }
        }
        Self::open(path, opts).await
    }

    /// The underlying pool, for the store's write paths, the seed loader and the
    /// demo's simulator.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn options(&self) -> &SqliteOptions {
        &self.opts
    }

    /// This store with every read waiting for `gate` first. Loading itself goes through
    /// [`SqliteStore::pool`], which the gate does not hold.
    pub fn behind(mut self, gate: LoadGate) -> SqliteStore {
        self.load_gate = Some(gate);
        self
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Applies the schema to a database without tables, under a write lock so two
    /// processes opening the same new file do not both create it.
    async fn create_schema_if_empty(&self) -> Result<(), sqlx::Error> {
        let mut tx = begin_write(&self.pool).await?;
        let tables: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
                .fetch_one(&mut *tx)
                .await?;
        if tables == 0 {
            sqlx::raw_sql(SCHEMA_SQL).execute(&mut *tx).await?;
        }
        tx.commit().await
    }

    /// Runs one unit of database work with an overall deadline and maps its error.
    async fn run<T, E: Into<QueryError>>(
        &self,
        work: impl Future<Output = Result<T, E>>,
    ) -> StoreResult<T> {
        if let Some(gate) = &self.load_gate {
            gate.passed(LOAD_WAIT).await?;
        }
        let deadline = self.opts.acquire_timeout + self.opts.busy_timeout * 2;
        match tokio::time::timeout(deadline, work).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(e.into().into_store_error(self.opts.busy_timeout)),
            Err(_) => Err(StoreError::Timeout(format!(
                "the demo database did not answer within {deadline:?}; another process may \
                 hold it locked"
            ))),
        }
    }

    /// A read transaction: every statement in it sees the same snapshot.
    async fn begin(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.pool.begin().await
    }
}

/// The database file and the WAL-mode files beside it.
fn database_files(path: &Path) -> [PathBuf; 3] {
    let with_suffix = |suffix: &str| {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        PathBuf::from(name)
    };
    [path.to_path_buf(), with_suffix("-wal"), with_suffix("-shm")]
}

fn open_error(path: &Path, e: sqlx::Error, busy_timeout: Duration) -> StoreError {
    match error::map_error(e, busy_timeout) {
        StoreError::Unreachable(text) | StoreError::Other(text) => StoreError::Unreachable(
            format!("cannot open the demo database {}: {text}", path.display()),
        ),
        other => other,
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn db_info(&self) -> StoreResult<DbInfo> {
        self.run(self.query_db_info()).await
    }

    async fn missing_schema(&self) -> StoreResult<Vec<String>> {
        self.run(self.query_missing_schema()).await
    }

    async fn calls_in_flight(&self, scope: &Scope) -> StoreResult<InFlightSnapshot> {
        self.run(self.query_calls_in_flight(scope)).await
    }

    async fn in_flight_since(
        &self,
        scope: &Scope,
        since: DateTime<Utc>,
    ) -> StoreResult<InFlightDelta> {
        self.run(self.query_in_flight_since(scope, since)).await
    }

    async fn call_log_window(
        &self,
        scope: &Scope,
        filter: &LogFilter,
        limit: u32,
    ) -> StoreResult<Vec<CallLogEntry>> {
        self.run(self.query_call_log_window(scope, filter, limit))
            .await
    }

    async fn in_flight_check(
        &self,
        scope: &Scope,
        known: &KnownInFlight,
    ) -> StoreResult<InFlightCheck> {
        self.run(self.query_in_flight_check(scope, known)).await
    }

    async fn call_states(
        &self,
        scope: &Scope,
        ids: &[(CallSource, uuid::Uuid)],
    ) -> StoreResult<Vec<CallState>> {
        self.run(self.query_call_states(scope, ids)).await
    }

    async fn progress_heads(
        &self,
        scope: &Scope,
        logs_since: Option<DateTime<Utc>>,
    ) -> StoreResult<ProgressHeads> {
        self.run(self.query_progress_heads(scope, logs_since)).await
    }

    async fn progress_recount(&self, request: &RecountRequest) -> StoreResult<Recount> {
        self.run(self.query_progress_recount(request)).await
    }

    async fn unacknowledged_alerts(&self, scope: &Scope, limit: u32) -> StoreResult<Vec<Alert>> {
        self.run(self.query_alerts(scope, limit)).await
    }

    async fn phone_numbers(&self, scope: &Scope) -> StoreResult<Vec<PhoneNumber>> {
        self.run(self.query_phone_numbers(scope)).await
    }

    async fn sip_trunks(&self, scope: &Scope) -> StoreResult<Vec<SipTrunk>> {
        self.run(self.query_sip_trunks(scope)).await
    }

    async fn retell_agents(&self, scope: &Scope) -> StoreResult<Vec<RetellAgentRow>> {
        self.run(self.query_retell_agents(scope)).await
    }

    async fn calendar_integrations(&self, scope: &Scope) -> StoreResult<Vec<CalendarIntegration>> {
        self.run(self.query_calendar_integrations(scope)).await
    }

    async fn calendar_availability(&self, scope: &Scope) -> StoreResult<Vec<CalendarAvailability>> {
        self.run(self.query_calendar_availability(scope)).await
    }

    async fn broadcasts(&self, scope: &Scope) -> StoreResult<Vec<Broadcast>> {
        self.run(self.query_broadcasts(scope)).await
    }

    async fn campaigns(&self, scope: &Scope) -> StoreResult<Vec<Campaign>> {
        self.run(self.query_campaigns(scope)).await
    }

    async fn active_stops(&self, scope: &Scope) -> StoreResult<Vec<StopControl>> {
        self.run(self.query_active_stops(scope)).await
    }

    // Readiness facts: the platform's functions do not exist here (Decision 7).

    async fn missing_platform_functions(&self) -> StoreResult<PlatformAnswer<Vec<String>>> {
        Ok(readiness::missing_platform_functions())
    }

    async fn provider_safety_health(&self) -> StoreResult<PlatformAnswer<ProviderSafetyHealth>> {
        Ok(readiness::provider_safety_health())
    }

    async fn reconciliation_health(
        &self,
    ) -> StoreResult<PlatformAnswer<Option<ReconciliationHealth>>> {
        Ok(readiness::reconciliation_health())
    }

    async fn contact_release_marker(
        &self,
        _campaign_id: Uuid,
    ) -> StoreResult<PlatformAnswer<String>> {
        Ok(PlatformAnswer::NotApplicable(
            "the demo database has no contact releases".to_string(),
        ))
    }

    async fn contact_release_status(
        &self,
        _campaign_id: Uuid,
        _owner_user_id: Uuid,
    ) -> StoreResult<PlatformAnswer<ContactRelease>> {
        Ok(readiness::contact_release_status())
    }

    async fn broadcast_readiness_stats(
        &self,
        scope: &Scope,
        kept: &BTreeMap<Uuid, KeptFinished>,
    ) -> StoreResult<BTreeMap<Uuid, BroadcastStats>> {
        self.run(self.query_broadcast_readiness_stats(scope, kept))
            .await
    }

    async fn budget_settings(&self, scope: &Scope) -> StoreResult<Vec<BudgetSetting>> {
        self.run(self.query_budget_settings(scope)).await
    }

    async fn retell_max_concurrent(&self, scope: &Scope) -> StoreResult<BTreeMap<Uuid, i32>> {
        self.run(self.query_retell_max_concurrent(scope)).await
    }

    async fn calendar_access_token(
        &self,
        integration_id: Uuid,
    ) -> StoreResult<Option<SecretString>> {
        self.run(self.query_calendar_access_token(integration_id))
            .await
    }
    async fn status_row(
        &self,
        target: StatusTarget,
        scope: &Scope,
    ) -> StoreResult<Option<StatusRow>> {
        self.run(self.query_status_row(target, scope)).await
    }

    async fn change_status(&self, change: &StatusChange) -> StoreResult<WriteOutcome> {
        self.run(self.write_status(change)).await
    }

    async fn apply_cleanup(&self, writes: &[CleanupWrite]) -> StoreResult<Vec<CleanupWriteResult>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        self.run(self.write_cleanup(writes)).await
    }

    async fn prepare_audit(&self) -> StoreResult<()> {
        self.run(self.run_migrations()).await
    }

    async fn append_audit(&self, records: &[AuditRecord]) -> StoreResult<()> {
        self.run(self.run_migrations()).await?;
        self.run(self.insert_audit(records)).await
    }

    async fn audit_records(&self, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        self.run(self.query_audit(limit)).await
    }

    async fn calendar_token_state(
        &self,
        integration_id: Uuid,
    ) -> StoreResult<Option<launchdeck_core::fixes::CalendarTokenState>> {
        self.run(self.query_calendar_token_state(integration_id))
            .await
    }

    async fn apply_calendar_tokens(
        &self,
        writes: &[launchdeck_core::fixes::CalendarTokenWrite],
    ) -> StoreResult<Vec<launchdeck_core::fixes::TokenWriteResult>> {
        self.run(self.write_calendar_tokens(writes)).await
    }

    async fn alerts_by_id(
        &self,
        ids: &[Uuid],
        scope: &Scope,
    ) -> StoreResult<Vec<launchdeck_core::fixes::AlertState>> {
        self.run(self.query_alerts_by_id(ids, scope)).await
    }

    async fn acknowledge_alerts(
        &self,
        ids: &[Uuid],
    ) -> StoreResult<Vec<launchdeck_core::fixes::AckResult>> {
        self.run(self.write_acknowledgements(ids)).await
    }

    async fn phone_number_row(
        &self,
        e164: &str,
        scope: &Scope,
    ) -> StoreResult<Option<launchdeck_core::fixes::NumberRow>> {
        self.run(self.query_phone_number_row(e164, scope)).await
    }

    async fn apply_stop(
        &self,
        write: &launchdeck_core::stop::StopWrite,
    ) -> StoreResult<launchdeck_core::stop::StopWriteResult> {
        self.run(self.write_stop(write)).await
    }

    async fn stop_row(
        &self,
        id: Uuid,
        scope: &Scope,
    ) -> StoreResult<Option<launchdeck_core::stop::StopRowState>> {
        self.run(self.query_stop_row(id, scope)).await
    }

    async fn lift_stop(&self, id: Uuid) -> StoreResult<launchdeck_core::stop::LiftResult> {
        self.run(self.write_lift(id)).await
    }

    async fn test_target(
        &self,
        target: StatusTarget,
        scope: &Scope,
    ) -> StoreResult<Option<launchdeck_core::test_broadcast::TestTargetRow>> {
        self.run(self.query_test_target(target, scope)).await
    }

    async fn ensure_test_broadcast(&self, source: Uuid, name: &str) -> StoreResult<(Uuid, bool)> {
        self.run(self.write_test_broadcast(source, name)).await
    }

    async fn insert_test_row(
        &self,
        row: &launchdeck_core::test_broadcast::TestRowInsert,
    ) -> StoreResult<Uuid> {
        self.run(self.write_test_row(row)).await
    }

    async fn write_test_call(
        &self,
        write: &launchdeck_core::test_broadcast::TestCallWrite,
    ) -> StoreResult<bool> {
        self.run(self.write_test_call_update(write)).await
    }
}
