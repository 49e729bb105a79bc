//! launchdeck-store: the `Store` trait — every question the console asks of the
//! platform's database — with a PostgreSQL implementation (the real platform) and a
//! SQLite implementation (the embedded demo).

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use launchdeck_core::actions::{AuditRecord, StatusChange, StatusRow, StatusTarget, WriteOutcome};
use launchdeck_core::cleanup::{CleanupWrite, CleanupWriteResult};
use launchdeck_core::domain::CallSource;
use launchdeck_core::domain::{
    Alert, Broadcast, BroadcastProgress, CalendarAvailability, CalendarIntegration, CallLogEntry,
    Campaign, CampaignProgress, InFlightSnapshot, LogFilter, PhoneNumber, RetellAgentRow, Scope,
    SipTrunk, StopControl,
};
use launchdeck_core::fixes::{
    AckResult, AlertState, CalendarTokenState, CalendarTokenWrite, NumberRow, TokenWriteResult,
};
use launchdeck_core::in_flight::{CallState, InFlightCheck, InFlightDelta, KnownInFlight};
use launchdeck_core::progress::{ProgressHeads, ProgressTracker, Recount, RecountRequest};
use launchdeck_core::readiness::{
    BroadcastStats, BudgetSetting, ContactRelease, KeptFinished, ProviderSafetyHealth,
    ReconciliationHealth,
};
use launchdeck_core::stop::{LiftResult, StopRowState, StopWrite, StopWriteResult};
use launchdeck_core::test_broadcast::{TestCallWrite, TestRowInsert, TestTargetRow};
use secrecy::SecretString;
use uuid::Uuid;

mod checks;
mod cleanup;
pub mod migrations;
pub mod pg;
pub mod replica;
pub mod schema_contract;
mod scope;
pub mod sqlite;
mod test_calls;

/// Why a store call failed. The text never carries the connection URL or a password.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached (refused, reset, timed out, pool exhausted).
    #[error("database unreachable: {0}")]
    Unreachable(String),
    /// A statement ran past `statement_timeout` or waited past `lock_timeout`.
    #[error("database statement timed out: {0}")]
    Timeout(String),
    /// A table, column or function launchdeck needs is missing.
    #[error("schema drift: {0}")]
    SchemaDrift(String),
    /// The database refused the statement (constraint, permission, guard trigger).
    #[error("database refused: {0}")]
    Refused(String),
    #[error("database error: {0}")]
    Other(String),
}

impl StoreError {
    /// True when retrying later may help (the database is down or busy).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unreachable(_) | StoreError::Timeout(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Facts about the connection, for the header bar and the Database readiness checks.
#[derive(Debug, Clone, PartialEq)]
pub struct DbInfo {
    pub round_trip: Duration,
    pub db_now: DateTime<Utc>,
    pub server_version: String,
    /// Connected through Supabase's transaction-mode pooler (port 6543): no statement cache.
    pub transaction_pooler: bool,
    /// "postgres" or "sqlite".
    pub backend: &'static str,
    /// With a read replica configured: where the reads go and why.
    pub replica: Option<ReplicaInfo>,
}

/// The read replica's state, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaInfo {
    /// Reads go to the replica (else to the primary).
    pub serving: bool,
    /// How far its replay is behind, when it answered.
    pub lag: Option<Duration>,
    /// Why reads went back to the primary.
    pub problem: Option<String>,
}

/// Every question the console asks of the platform's database.
///
/// All reads are scoped (product.md Decision 4) and use the database's clock. Each
/// method is one cheap query (or a few), answered with the platform's existing indexes.
#[async_trait]
pub trait Store: Send + Sync {
    /// Round trip, server clock and connection facts; also the liveness probe.
    async fn db_info(&self) -> StoreResult<DbInfo>;

    /// The platform tables and columns launchdeck relies on that the database lacks,
    /// as `table.column` (or `table` when the whole table is missing).
    async fn missing_schema(&self) -> StoreResult<Vec<String>>;

    /// Calls in flight from broadcast_queue, call_logs and dialing_queues, with open
    /// dispatch claims and the count of reconciliation jobs needing a person.
    async fn calls_in_flight(&self, scope: &Scope) -> StoreResult<InFlightSnapshot>;
    /// What started since `since` (database time): queue rows `calling` and updated
    /// since then, call_logs created since then and still queued or ringing. Index
    /// ranges only, so it costs what changed; see `launchdeck_core::in_flight`.
    async fn in_flight_since(
        &self,
        scope: &Scope,
        since: DateTime<Utc>,
    ) -> StoreResult<InFlightDelta>;

    /// The ids and versions of every call in flight, with the open claims and holds:
    /// a full read without the rows' contents. Call logs are asked by id (those
    /// `known` holds), with those created in the last two minutes and the quarantined
    /// ones; queue rows are summed up per parent first and listed only for the
    /// parents whose summary differs from `known`'s; see `launchdeck_core::in_flight`.
    async fn in_flight_check(
        &self,
        scope: &Scope,
        known: &KnownInFlight,
    ) -> StoreResult<InFlightCheck>;

    /// Rows by id, whatever their status now: the whole call when still in flight.
    /// A row no longer there (or no longer in scope) is left out.
    async fn call_states(
        &self,
        scope: &Scope,
        ids: &[(CallSource, Uuid)],
    ) -> StoreResult<Vec<CallState>>;

    /// The draft/active/paused broadcasts and campaigns, and, when `logs_since` is
    /// set, those campaigns' call logs created since then; see
    /// `launchdeck_core::progress`.
    async fn progress_heads(
        &self,
        scope: &Scope,
        logs_since: Option<DateTime<Utc>>,
    ) -> StoreResult<ProgressHeads>;

    /// Counts the asked broadcasts, campaigns and campaign call logs from scratch.
    async fn progress_recount(&self, request: &RecountRequest) -> StoreResult<Recount>;

    /// Status counts and the 15-minute finish rate of each draft/active/paused
    /// broadcast, counted now.
    async fn broadcast_progress(&self, scope: &Scope) -> StoreResult<Vec<BroadcastProgress>> {
        Ok(count_progress(self, scope).await?.0)
    }

    /// Queue and call-log counts of each draft/active/paused campaign, counted now.
    async fn campaign_progress(&self, scope: &Scope) -> StoreResult<Vec<CampaignProgress>> {
        Ok(count_progress(self, scope).await?.1)
    }

    /// The newest `limit` call_logs rows and finished broadcast_queue rows, newest first.
    async fn call_log_window(
        &self,
        scope: &Scope,
        filter: &LogFilter,
        limit: u32,
    ) -> StoreResult<Vec<CallLogEntry>>;

    /// Unacknowledged alerts, newest first.
    async fn unacknowledged_alerts(&self, scope: &Scope, limit: u32) -> StoreResult<Vec<Alert>>;

    async fn phone_numbers(&self, scope: &Scope) -> StoreResult<Vec<PhoneNumber>>;
    async fn sip_trunks(&self, scope: &Scope) -> StoreResult<Vec<SipTrunk>>;
    async fn retell_agents(&self, scope: &Scope) -> StoreResult<Vec<RetellAgentRow>>;
    async fn calendar_integrations(&self, scope: &Scope) -> StoreResult<Vec<CalendarIntegration>>;
    async fn calendar_availability(&self, scope: &Scope) -> StoreResult<Vec<CalendarAvailability>>;
    /// Broadcasts in draft, active or paused.
    async fn broadcasts(&self, scope: &Scope) -> StoreResult<Vec<Broadcast>>;
    /// Campaigns in draft, active or paused, with their lead counts.
    async fn campaigns(&self, scope: &Scope) -> StoreResult<Vec<Campaign>>;
    /// Active, unexpired contact_stop_controls rows.
    async fn active_stops(&self, scope: &Scope) -> StoreResult<Vec<StopControl>>;

    // Readiness facts (launchdeck-ops).

    /// Which of `readiness::SAFETY_FUNCTIONS` the database lacks.
    async fn missing_platform_functions(&self) -> StoreResult<PlatformAnswer<Vec<String>>>;

    /// `provider_safety_health_check()`.
    async fn provider_safety_health(&self) -> StoreResult<PlatformAnswer<ProviderSafetyHealth>>;

    /// `retell_reconciliation_health_check()`; `None` when it returns no row.
    async fn reconciliation_health(
        &self,
    ) -> StoreResult<PlatformAnswer<Option<ReconciliationHealth>>>;

    /// `get_campaign_contact_release_status(campaign_id)`, called in a transaction whose
    /// JWT subject is the campaign's owner (Decision 1).
    async fn contact_release_status(
        &self,
        campaign_id: Uuid,
        owner_user_id: Uuid,
    ) -> StoreResult<PlatformAnswer<ContactRelease>>;

    /// What `contact_release_status` depends on, as one cheap text: the campaign's
    /// releases (how many, the newest, the newest revocation, how many are current
    /// now), their members, and the campaign's enrolled leads. The same text means the
    /// same answer (the readiness checks reuse it; the function itself reads every
    /// `campaign_leads` row).
    async fn contact_release_marker(
        &self,
        campaign_id: Uuid,
    ) -> StoreResult<PlatformAnswer<String>>;

    /// For each draft/active/paused broadcast: pending rows, the age origin of each
    /// `calling` row, the newest 50 finished statuses — those `kept` again where the
    /// broadcast's finished marker is the kept one (they are the costly part).
    async fn broadcast_readiness_stats(
        &self,
        scope: &Scope,
        kept: &BTreeMap<Uuid, KeptFinished>,
    ) -> StoreResult<BTreeMap<Uuid, BroadcastStats>>;

    async fn budget_settings(&self, scope: &Scope) -> StoreResult<Vec<BudgetSetting>>;

    /// `system_settings.retell_max_concurrent` per user.
    async fn retell_max_concurrent(&self, scope: &Scope) -> StoreResult<BTreeMap<Uuid, i32>>;

    /// A calendar integration's access token exactly as stored (base64 of the
    /// plaintext). Only the readiness calendar probe reads it.
    async fn calendar_access_token(
        &self,
        integration_id: Uuid,
    ) -> StoreResult<Option<SecretString>>;

    // Actions (product.md "Actions"): conditional writes and the audit trail. They live
    // on this trait, with defaults that refuse, so every consumer holds one
    // `Arc<dyn Store>` and test stores that only read keep compiling.

    /// The broadcast or campaign `target` as it is now, with whether it lies in
    /// `scope`; `None` when no such row exists. Reads only.
    async fn status_row(
        &self,
        target: StatusTarget,
        scope: &Scope,
    ) -> StoreResult<Option<StatusRow>>;

    /// Sets `status` in one transaction, only while the row still has the previewed
    /// status and `updated_at`; a row that moved on is skipped, never clobbered.
    async fn change_status(&self, change: &StatusChange) -> StoreResult<WriteOutcome>;

    /// Applies the stuck-call cleanup writes in ONE transaction. Each write applies
    /// only while its row still has the previewed `status` and `updated_at` (call_logs:
    /// the previewed `status` and no `ended_at`) and is under no redial hold; a row that
    /// moved on is skipped, reported with its status now. One result per write, in order.
    async fn apply_cleanup(&self, writes: &[CleanupWrite]) -> StoreResult<Vec<CleanupWriteResult>>;

    /// Runs launchdeck's own migrations (its audit table), idempotently. Called lazily
    /// before the first action; read-only commands never call it.
    async fn prepare_audit(&self) -> StoreResult<()>;

    /// Appends records to the audit table (after the action's transaction committed).
    async fn append_audit(&self, records: &[AuditRecord]) -> StoreResult<()>;

    /// The newest `limit` audit records, newest first; none when the audit table has
    /// not been created yet. Never creates it.
    async fn audit_records(&self, limit: u32) -> StoreResult<Vec<AuditRecord>>;

    // The fix actions: refresh calendar tokens, acknowledge alerts, fix a Retell
    // number's outbound agent (launchdeck_core::fixes).

    /// A calendar integration's `token_expires_at` and stored refresh token as they are
    /// now; `None` when no such row exists. Only the refresh-tokens action reads it.
    async fn calendar_token_state(
        &self,
        integration_id: Uuid,
    ) -> StoreResult<Option<CalendarTokenState>>;

    /// Applies the token writes in one transaction, each only while its row still has
    /// the previewed `token_expires_at` and refresh token (a row that moved on is
    /// skipped, never clobbered). One result per write, in order.
    async fn apply_calendar_tokens(
        &self,
        writes: &[CalendarTokenWrite],
    ) -> StoreResult<Vec<TokenWriteResult>>;

    /// The alerts among `ids` that exist, each with whether it lies in `scope`. Reads only.
    async fn alerts_by_id(&self, ids: &[Uuid], scope: &Scope) -> StoreResult<Vec<AlertState>>;

    /// Sets `acknowledged = true, acknowledged_at = now()` in one transaction, only on
    /// the alerts still unacknowledged. One result per id, in order.
    async fn acknowledge_alerts(&self, ids: &[Uuid]) -> StoreResult<Vec<AckResult>>;

    // The emergency stop (launchdeck_core::stop).

    /// Writes a stop in ONE transaction: the pause, only while the row still has the
    /// previewed status, and the stop row, only when no active row of the same scope
    /// exists (two consoles stopping the same thing at once write one row).
    async fn apply_stop(&self, write: &StopWrite) -> StoreResult<StopWriteResult>;

    /// One contact_stop_controls row (active or not), with whether it applies within
    /// `scope`; `None` when no such row exists. Reads only.
    async fn stop_row(&self, id: Uuid, scope: &Scope) -> StoreResult<Option<StopRowState>>;

    /// Deactivates a stop row launchdeck wrote (`active = false`, `updated_at`), only
    /// while it is still active; any other row is left as it is.
    async fn lift_stop(&self, id: Uuid) -> StoreResult<LiftResult>;

    /// The `phone_numbers` row holding the E.164 number `e164`, with whether it lies in
    /// `scope`; `None` when the database has no such number. Reads only.
    async fn phone_number_row(&self, e164: &str, scope: &Scope) -> StoreResult<Option<NumberRow>>;

    // The test broadcast (launchdeck_core::test_broadcast): its target, the draft
    // broadcast holding an audio test's rows, the rows, and their conditional writes.

    /// The broadcast or campaign a test broadcast is for, whatever its status, with
    /// whether it lies in `scope`; `None` when no such row exists. Reads only.
    async fn test_target(
        &self,
        target: StatusTarget,
        scope: &Scope,
    ) -> StoreResult<Option<TestTargetRow>>;

    /// The draft broadcast named `name` of `source`'s owner, created (in one
    /// transaction, once even when two consoles ask at once) as a copy of `source`'s
    /// message, audio, voice, IVR and DTMF settings, status `draft`, when there is none.
    /// Returns its id and whether it was created now.
    async fn ensure_test_broadcast(&self, source: Uuid, name: &str) -> StoreResult<(Uuid, bool)>;

    /// Inserts one test row in the state the platform writes before it dials
    /// (broadcast_queue `calling`, attempts 1; call_logs `queued`); its id. One statement.
    async fn insert_test_row(&self, row: &TestRowInsert) -> StoreResult<Uuid>;

    /// One conditional write on a test row, in one statement: true when it changed
    /// the row, false when the row had moved on (it is then left as it is).
    async fn write_test_call(&self, write: &TestCallWrite) -> StoreResult<bool>;
}

/// The answer of one of the platform's database functions, which the demo's SQLite
/// database does not have (product.md Decision 7).
#[derive(Debug, Clone, PartialEq)]
pub enum PlatformAnswer<T> {
    Answer(T),
    /// Why the question does not apply to this database.
    NotApplicable(String),
}

/// Every parent's progress counted from scratch now: the heads, then every unit.
async fn count_progress<S: Store + ?Sized>(
    store: &S,
    scope: &Scope,
) -> StoreResult<(Vec<BroadcastProgress>, Vec<CampaignProgress>)> {
    let mut tracker = ProgressTracker::new();
    tracker.apply_heads(store.progress_heads(scope, None).await?);
    let now = std::time::Instant::now();
    let request = tracker.plan(now);
    let recount = store.progress_recount(&request).await?;
    tracker.apply_recount(&request, recount, Duration::ZERO, now);
    Ok(tracker.progress())
}
