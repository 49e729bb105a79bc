//! The `Store` for the real platform: PostgreSQL (Supabase) through sqlx.
//!
//! Every read runs in one short `REPEATABLE READ READ ONLY` transaction, so the
//! statements of a poll see one snapshot and one `now()`. Queries use only the
//! platform's existing indexes (schema.md §3) and bounded windows on `call_logs`.

mod actions;
mod catalog;
mod cleanup;
mod commit;
mod error;
mod fixes;
mod live;
mod logs;
mod progress;
mod readiness;
mod rows;
mod stop;
mod tables;
mod test_broadcast;

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
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
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, Postgres};
use sqlx::{AssertSqlSafe, Transaction};

use crate::{DbInfo, Store, StoreError, StoreResult};
use error::{Limits, Redactor};

/// Supabase's transaction-mode pooler port: no session state, no prepared statements.
pub const TRANSACTION_POOLER_PORT: u16 = 6543;

/// Connection limits and query windows. The defaults are product.md Decision 1.
#[derive(Debug, Clone, PartialEq)]
pub struct PgOptions {
    /// At most this many connections (Decision 1: 4).
    pub max_connections: u32,
    /// How long a call waits for a connection before reporting the database unreachable.
    pub acquire_timeout: Duration,
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
    /// call_logs `queued`/`ringing` rows are looked for among the rows created this
    /// recently (plus every row under a reconciliation hold, whatever its age):
    /// call_logs has no status index, so the scan is bounded by `created_at`.
    pub in_flight_log_window: Duration,
    /// The Logs screen reaches back at most this far: it bounds the walk down
    /// call_logs when a filter matches little or nothing (a day is ~10k rows at the
    /// scale profile's rate; a week would cost ~7x on every poll).
    pub log_horizon: Duration,
    /// Campaign call-log counts and pickup cover the rows created this recently.
    pub campaign_log_window: Duration,
    /// Whether the URL points at a transaction-mode pooler (no session state, no
    /// prepared statements). `None`: yes exactly when the port is 6543 (Supabase).
    pub transaction_pooler: Option<bool>,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 4,
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(5),
            lock_timeout: Duration::from_secs(2),
            in_flight_log_window: Duration::from_secs(24 * 3600),
            log_horizon: Duration::from_secs(24 * 3600),
            campaign_log_window: Duration::from_secs(24 * 3600),
            transaction_pooler: None,
        }
    }
}

/// The PostgreSQL implementation of [`Store`].
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    transaction_pooler: bool,
    begin_sql: String,
    begin_write_sql: String,
    redactor: Redactor,
    limits: Limits,
    opts: PgOptions,
    /// launchdeck's own migrations have run on this pool (see `prepare_audit`).
    migrated: Arc<AtomicBool>,
}

impl PgStore {
    /// Opens a pool and checks that the database answers; a dead database fails
    /// within `acquire_timeout` with [`StoreError::Unreachable`].
    pub async fn connect(url: &str, opts: PgOptions) -> StoreResult<PgStore> {
        let store = Self::connect_lazy(url, opts)?;
        store
            .run(async {
                let mut conn = store.pool.acquire().await?;
                sqlx::query("SELECT 1").execute(&mut *conn).await?;
                Ok(())
            })
            .await?;
        Ok(store)
    }

    /// Validates the URL and builds the pool without connecting: the first call
    /// connects. For a console that must start while the database is down. Must run
    /// inside a Tokio runtime (the pool starts its maintenance task).
    pub fn connect_lazy(url: &str, opts: PgOptions) -> StoreResult<PgStore> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(StoreError::Other(
                "PgStore::connect_lazy needs a Tokio runtime; call it from async code".into(),
            ));
        }
        let redactor = Redactor::new(url_password(url));
        let limits = Limits {
            acquire_timeout: opts.acquire_timeout,
            statement_timeout: opts.statement_timeout,
            lock_timeout: opts.lock_timeout,
        };
        let parsed =
            PgConnectOptions::from_str(url).map_err(|e| error::map_error(e, &redactor, &limits))?;
        let transaction_pooler = opts
            .transaction_pooler
            .unwrap_or(parsed.get_port() == TRANSACTION_POOLER_PORT);
        let connect_options = session_options(parsed, &opts, transaction_pooler);
        let pool = PgPoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .min_connections(0)
            .acquire_timeout(opts.acquire_timeout)
            .idle_timeout(Duration::from_secs(300))
            .connect_lazy_with(connect_options);
        Ok(PgStore {
            pool,
            transaction_pooler,
            begin_sql: begin_sql(&opts, transaction_pooler),
            begin_write_sql: begin_write_sql(&opts, transaction_pooler),
            redactor,
            limits,
            opts,
            migrated: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The underlying pool, for the store's write paths and tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Connected through the transaction-mode pooler (port 6543).
    pub fn transaction_pooler(&self) -> bool {
        self.transaction_pooler
    }

    pub fn options(&self) -> &PgOptions {
        &self.opts
    }

    /// Runs one unit of database work with an overall deadline (so a connection
    /// that stops answering cannot hang a poll) and maps its error.
    async fn run<T>(&self, work: impl Future<Output = Result<T, sqlx::Error>>) -> StoreResult<T> {
        let deadline = self.limits.acquire_timeout + self.limits.statement_timeout;
        match tokio::time::timeout(deadline, work).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(error::map_error(e, &self.redactor, &self.limits)),
            Err(_) => Err(StoreError::Unreachable(format!(
                "no answer from the database within {deadline:?}; the network or the server has stalled"
            ))),
        }
    }

    /// A read-only transaction with the session limits applied.
    async fn begin(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool
            .begin_with(AssertSqlSafe(self.begin_sql.clone()))
            .await
    }

    /// A read-write transaction (READ COMMITTED) with the session limits applied, for
    /// the actions' conditional writes and the audit log.
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool
            .begin_with(AssertSqlSafe(self.begin_write_sql.clone()))
            .await
    }

    /// When this database is a standby: how far its replay is behind (`None`: it is
    /// not a standby). For `[database] read_url`.
    pub async fn replica_lag(&self) -> StoreResult<Option<Duration>> {
        self.run(self.query_replica_lag()).await
    }

    /// Named (cached) statements, except through the transaction pooler.
    fn persistent(&self) -> bool {
        !self.transaction_pooler
    }
}

/// Session settings: as startup options on a direct connection; through the
/// transaction pooler they would be lost, so `begin_sql` sets them per transaction.
/// Every read is a few index ranges: starting parallel workers (or JIT) would cost
/// several times the query (measured: an in-flight check on the scale profile takes
/// 1.8 ms alone, 10 ms with two workers).
fn session_options(
    parsed: PgConnectOptions,
    opts: &PgOptions,
    transaction_pooler: bool,
) -> PgConnectOptions {
    let options = parsed.application_name("launchdeck");
    if transaction_pooler {
        options.statement_cache_capacity(0)
    } else {
        options.options([
            (
                "statement_timeout",
                opts.statement_timeout.as_millis().to_string(),
            ),
            ("lock_timeout", opts.lock_timeout.as_millis().to_string()),
            ("jit", "off".to_string()),
            ("max_parallel_workers_per_gather", "0".to_string()),
        ])
    }
}

fn begin_sql(opts: &PgOptions, transaction_pooler: bool) -> String {
    with_pooler_settings(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        opts,
        transaction_pooler,
    )
}

/// Writes run in READ COMMITTED: a conditional UPDATE that waited for another
/// session's lock re-checks its WHERE against the committed row, so two consoles
/// doing the same action change the row once.
fn begin_write_sql(opts: &PgOptions, transaction_pooler: bool) -> String {
    with_pooler_settings(
        "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE",
        opts,
        transaction_pooler,
    )
}

fn with_pooler_settings(begin: &str, opts: &PgOptions, transaction_pooler: bool) -> String {
    let mut sql = String::from(begin);
    if transaction_pooler {
        // Durations are formatted from numbers, never from input.
        sql.push_str(&format!(
            "; SET LOCAL statement_timeout = {}; SET LOCAL lock_timeout = {}; SET LOCAL jit = off; \
             SET LOCAL max_parallel_workers_per_gather = 0",
            opts.statement_timeout.as_millis(),
            opts.lock_timeout.as_millis()
        ));
    }
    sql
}

/// The URL's password, raw and percent-decoded, for masking in error text.
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    let password = userinfo.split_once(':')?.1;
    Some(percent_decode(password))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[async_trait]
impl Store for PgStore {
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
    async fn missing_platform_functions(&self) -> StoreResult<crate::PlatformAnswer<Vec<String>>> {
        self.run(self.query_missing_platform_functions()).await
    }

    async fn provider_safety_health(
        &self,
    ) -> StoreResult<crate::PlatformAnswer<launchdeck_core::readiness::ProviderSafetyHealth>> {
        self.run(self.query_provider_safety_health()).await
    }

    async fn reconciliation_health(
        &self,
    ) -> StoreResult<crate::PlatformAnswer<Option<launchdeck_core::readiness::ReconciliationHealth>>>
    {
        self.run(self.query_reconciliation_health()).await
    }

    async fn contact_release_marker(
        &self,
        campaign_id: uuid::Uuid,
    ) -> StoreResult<crate::PlatformAnswer<String>> {
        self.run(self.query_contact_release_marker(campaign_id))
            .await
    }

    async fn contact_release_status(
        &self,
        campaign_id: uuid::Uuid,
        owner_user_id: uuid::Uuid,
    ) -> StoreResult<crate::PlatformAnswer<launchdeck_core::readiness::ContactRelease>> {
        self.run(self.query_contact_release_status(campaign_id, owner_user_id))
            .await
    }

    async fn broadcast_readiness_stats(
        &self,
        scope: &Scope,
        kept: &std::collections::BTreeMap<uuid::Uuid, launchdeck_core::readiness::KeptFinished>,
    ) -> StoreResult<
        std::collections::BTreeMap<uuid::Uuid, launchdeck_core::readiness::BroadcastStats>,
    > {
        self.run(self.query_broadcast_readiness_stats(scope, kept))
            .await
    }

    async fn budget_settings(
        &self,
        scope: &Scope,
    ) -> StoreResult<Vec<launchdeck_core::readiness::BudgetSetting>> {
        self.run(self.query_budget_settings(scope)).await
    }

    async fn retell_max_concurrent(
        &self,
        scope: &Scope,
    ) -> StoreResult<std::collections::BTreeMap<uuid::Uuid, i32>> {
        self.run(self.query_retell_max_concurrent(scope)).await
    }

    async fn calendar_access_token(
        &self,
        integration_id: uuid::Uuid,
    ) -> StoreResult<Option<secrecy::SecretString>> {
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
        self.run_write(self.write_status(change)).await
    }

    async fn apply_cleanup(&self, writes: &[CleanupWrite]) -> StoreResult<Vec<CleanupWriteResult>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        self.run_write(self.write_cleanup(writes)).await
    }

    async fn prepare_audit(&self) -> StoreResult<()> {
        self.run(self.run_migrations()).await
    }

    async fn append_audit(&self, records: &[AuditRecord]) -> StoreResult<()> {
        self.run(self.run_migrations()).await?;
        self.run_write(self.insert_audit(records)).await
    }

    async fn audit_records(&self, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        self.run(self.query_audit(limit)).await
    }

    async fn calendar_token_state(
        &self,
        integration_id: uuid::Uuid,
    ) -> StoreResult<Option<launchdeck_core::fixes::CalendarTokenState>> {
        self.run(self.query_calendar_token_state(integration_id))
            .await
    }

    async fn apply_calendar_tokens(
        &self,
        writes: &[launchdeck_core::fixes::CalendarTokenWrite],
    ) -> StoreResult<Vec<launchdeck_core::fixes::TokenWriteResult>> {
        self.run_write(self.write_calendar_tokens(writes)).await
    }

    async fn alerts_by_id(
        &self,
        ids: &[uuid::Uuid],
        scope: &Scope,
    ) -> StoreResult<Vec<launchdeck_core::fixes::AlertState>> {
        self.run(self.query_alerts_by_id(ids, scope)).await
    }

    async fn acknowledge_alerts(
        &self,
        ids: &[uuid::Uuid],
    ) -> StoreResult<Vec<launchdeck_core::fixes::AckResult>> {
        self.run_write(self.write_acknowledgements(ids)).await
    }

    async fn apply_stop(
        &self,
        write: &launchdeck_core::stop::StopWrite,
    ) -> StoreResult<launchdeck_core::stop::StopWriteResult> {
        self.run_write(self.write_stop(write)).await
    }

    async fn stop_row(
        &self,
        id: uuid::Uuid,
        scope: &Scope,
    ) -> StoreResult<Option<launchdeck_core::stop::StopRowState>> {
        self.run(self.query_stop_row(id, scope)).await
    }

    async fn lift_stop(&self, id: uuid::Uuid) -> StoreResult<launchdeck_core::stop::LiftResult> {
        self.run_write(self.write_lift(id)).await
    }

    async fn phone_number_row(
        &self,
        e164: &str,
        scope: &Scope,
    ) -> StoreResult<Option<launchdeck_core::fixes::NumberRow>> {
        self.run(self.query_phone_number_row(e164, scope)).await
    }

    async fn test_target(
        &self,
        target: StatusTarget,
        scope: &Scope,
    ) -> StoreResult<Option<launchdeck_core::test_broadcast::TestTargetRow>> {
        self.run(self.query_test_target(target, scope)).await
    }

    async fn ensure_test_broadcast(
        &self,
        source: uuid::Uuid,
        name: &str,
    ) -> StoreResult<(uuid::Uuid, bool)> {
        self.run(self.write_test_broadcast(source, name)).await
    }

    async fn insert_test_row(
        &self,
        row: &launchdeck_core::test_broadcast::TestRowInsert,
    ) -> StoreResult<uuid::Uuid> {
        self.run(self.write_test_row(row)).await
    }

    async fn write_test_call(
        &self,
        write: &launchdeck_core::test_broadcast::TestCallWrite,
    ) -> StoreResult<bool> {
        self.run(self.write_test_call_update(write)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_runtime_is_an_error_not_a_panic() {
        let result = PgStore::connect_lazy("postgres://u@localhost/db", PgOptions::default());
        assert!(matches!(result, Err(StoreError::Other(_))));
    }

    #[test]
    fn password_is_found_and_decoded() {
        assert_eq!(
            url_password("postgres://app:p%40ss%2Fword@db:5432/x").as_deref(),
            Some("p@ss/word")
        );
        assert_eq!(url_password("postgres://app@db/x"), None);
        assert_eq!(url_password("not a url"), None);
    }

    #[tokio::test]
    async fn pooler_port_is_detected_and_no_url_leaks_from_a_bad_url() {
        let store = PgStore::connect_lazy(
            "postgres://u:topsecretpassword@db.example.com:6543/postgres",
            PgOptions::default(),
        );
        let store = match store {
            Ok(store) => store,
            Err(e) => panic!("lazy connect must not fail on a valid URL: {e}"),
        };
        assert!(store.transaction_pooler());
        assert!(
            store
                .begin_sql
                .contains("SET LOCAL statement_timeout = 5000")
        );

        let err =
            PgStore::connect_lazy("postgres://u:topsecretpassword@[bad", PgOptions::default())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
        assert!(!err.is_empty(), "a malformed URL is an error");
        assert!(!err.contains("topsecretpassword"), "{err}");
    }

    #[tokio::test]
    async fn direct_connections_keep_the_statement_cache() {
        let store = PgStore::connect_lazy("postgres://u@localhost:5432/db", PgOptions::default())
            .unwrap_or_else(|e| panic!("valid URL: {e}"));
        assert!(!store.transaction_pooler());
        assert_eq!(
            store.begin_sql,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        );
    }
}
