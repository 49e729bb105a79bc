//! `[database] read_url`: the polls and readiness reads go to a read replica, every
//! action's plan and write to the primary.
//!
//! [`ReadRouter`] is the store the pollers and the readiness checks are given. Each
//! liveness probe (`db_info`, every live poll) asks the replica how far its replay is
//! behind; while it answers within `max_lag` the reads go there, otherwise — or the
//! moment one read fails on it — to the primary, and the header says so. A read that
//! failed on the replica is asked again of the primary (a read changes nothing; writes
//! never come here twice). The methods an action uses to plan or write, and the ones
//! that feed a provider call, always go to the primary: a replica's lag must never
//! decide a conditional write. The actions themselves are given the primary store.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
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
use launchdeck_core::fixes::{
    AckResult, AlertState, CalendarTokenState, CalendarTokenWrite, NumberRow, TokenWriteResult,
};
use launchdeck_core::in_flight::{CallState, InFlightCheck, InFlightDelta, KnownInFlight};
use launchdeck_core::progress::{ProgressHeads, Recount, RecountRequest};
use launchdeck_core::readiness::{
    BroadcastStats, BudgetSetting, ContactRelease, KeptFinished, ProviderSafetyHealth,
    ReconciliationHealth,
};
use launchdeck_core::stop::{LiftResult, StopRowState, StopWrite, StopWriteResult};
use launchdeck_core::test_broadcast::{TestCallWrite, TestRowInsert, TestTargetRow};
use secrecy::SecretString;
use uuid::Uuid;

use crate::pg::PgStore;
use crate::{DbInfo, PlatformAnswer, ReplicaInfo, Store, StoreError, StoreResult};

/// Reads to a replica while it keeps up, to the primary otherwise.
pub struct ReadRouter {
    primary: Arc<dyn Store>,
    replica: Arc<PgStore>,
    max_lag: Duration,
    state: Mutex<ReplicaInfo>,
}

/// A read: on the replica while it serves (asked again of the primary when it fails
/// there), on the primary otherwise.
macro_rules! read {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {{
        if $self.serving() {
            match $self.replica.$method($($arg),*).await {
                Ok(answer) => Ok(answer),
                Err(e) => {
                    $self.fall_back("a read failed on the replica", &e);
                    $self.primary.$method($($arg),*).await
                }
            }
        } else {
            $self.primary.$method($($arg),*).await
        }
    }};
}

impl ReadRouter {
    pub fn new(primary: Arc<dyn Store>, replica: Arc<PgStore>, max_lag: Duration) -> ReadRouter {
        ReadRouter {
            primary,
            replica,
            max_lag,
            state: Mutex::new(ReplicaInfo {
                serving: false,
                lag: None,
                problem: Some("not asked yet".to_string()),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ReplicaInfo> {
        // Plain data: a panicking holder cannot leave it half-written.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn serving(&self) -> bool {
        self.state().serving
    }

    /// Reads go to the primary until the next probe finds the replica keeping up.
    fn fall_back(&self, problem: &str, error: &StoreError) {
        tracing::warn!(problem, error = %error, "reading from the primary");
        let mut state = self.state();
        state.serving = false;
        state.problem = Some(problem.to_string());
    }

    /// Asks the replica how far behind it is and decides where reads go.
    async fn probe(&self) -> ReplicaInfo {
        let info = match self.replica.replica_lag().await {
            Ok(lag) => {
                let lag = lag.unwrap_or(Duration::ZERO);
                let problem = (lag > self.max_lag)
                    .then(|| format!("replica {:.1} s behind", lag.as_secs_f64()));
                ReplicaInfo {
                    serving: problem.is_none(),
                    lag: Some(lag),
                    problem,
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "the replica does not answer; reading from the primary");
                ReplicaInfo {
                    serving: false,
                    lag: None,
                    problem: Some("replica unreachable".to_string()),
                }
            }
        };
        *self.state() = info.clone();
        info
    }
}

#[async_trait]
impl Store for ReadRouter {
    /// The liveness probe: the replica's lag decides where the next reads go; the
    /// round trip and clock are those of the database that serves them.
    async fn db_info(&self) -> StoreResult<DbInfo> {
        let mut replica = self.probe().await;
        let mut info = if replica.serving {
            match self.replica.db_info().await {
                Ok(info) => info,
                Err(e) => {
                    self.fall_back("replica unreachable", &e);
                    replica = self.state().clone();
                    self.primary.db_info().await?
                }
            }
        } else {
            self.primary.db_info().await?
        };
        info.replica = Some(replica);
        Ok(info)
    }

    async fn missing_schema(&self) -> StoreResult<Vec<String>> {
        read!(self.missing_schema())
    }

    async fn calls_in_flight(&self, scope: &Scope) -> StoreResult<InFlightSnapshot> {
        read!(self.calls_in_flight(scope))
    }

    async fn in_flight_since(
        &self,
        scope: &Scope,
        since: DateTime<Utc>,
    ) -> StoreResult<InFlightDelta> {
        read!(self.in_flight_since(scope, since))
    }

    async fn in_flight_check(
        &self,
        scope: &Scope,
        known: &KnownInFlight,
    ) -> StoreResult<InFlightCheck> {
        read!(self.in_flight_check(scope, known))
    }

    async fn call_states(
        &self,
        scope: &Scope,
        ids: &[(CallSource, Uuid)],
    ) -> StoreResult<Vec<CallState>> {
        read!(self.call_states(scope, ids))
    }

    async fn progress_heads(
        &self,
        scope: &Scope,
        logs_since: Option<DateTime<Utc>>,
    ) -> StoreResult<ProgressHeads> {
        read!(self.progress_heads(scope, logs_since))
    }

    async fn progress_recount(&self, request: &RecountRequest) -> StoreResult<Recount> {
        read!(self.progress_recount(request))
    }

    async fn call_log_window(
        &self,
        scope: &Scope,
        filter: &LogFilter,
        limit: u32,
    ) -> StoreResult<Vec<CallLogEntry>> {
        read!(self.call_log_window(scope, filter, limit))
    }

    async fn unacknowledged_alerts(&self, scope: &Scope, limit: u32) -> StoreResult<Vec<Alert>> {
        read!(self.unacknowledged_alerts(scope, limit))
    }

    async fn phone_numbers(&self, scope: &Scope) -> StoreResult<Vec<PhoneNumber>> {
        read!(self.phone_numbers(scope))
    }

    async fn sip_trunks(&self, scope: &Scope) -> StoreResult<Vec<SipTrunk>> {
        read!(self.sip_trunks(scope))
    }

    async fn retell_agents(&self, scope: &Scope) -> StoreResult<Vec<RetellAgentRow>> {
        read!(self.retell_agents(scope))
    }

    async fn calendar_integrations(&self, scope: &Scope) -> StoreResult<Vec<CalendarIntegration>> {
        read!(self.calendar_integrations(scope))
    }

    async fn calendar_availability(&self, scope: &Scope) -> StoreResult<Vec<CalendarAvailability>> {
        read!(self.calendar_availability(scope))
    }

    async fn broadcasts(&self, scope: &Scope) -> StoreResult<Vec<Broadcast>> {
        read!(self.broadcasts(scope))
    }

    async fn campaigns(&self, scope: &Scope) -> StoreResult<Vec<Campaign>> {
        read!(self.campaigns(scope))
    }

    async fn active_stops(&self, scope: &Scope) -> StoreResult<Vec<StopControl>> {
        read!(self.active_stops(scope))
    }

    async fn missing_platform_functions(&self) -> StoreResult<PlatformAnswer<Vec<String>>> {
        read!(self.missing_platform_functions())
    }

    async fn provider_safety_health(&self) -> StoreResult<PlatformAnswer<ProviderSafetyHealth>> {
        read!(self.provider_safety_health())
    }

    async fn reconciliation_health(
        &self,
    ) -> StoreResult<PlatformAnswer<Option<ReconciliationHealth>>> {
        read!(self.reconciliation_health())
    }

    async fn contact_release_status(
        &self,
        campaign_id: Uuid,
        owner_user_id: Uuid,
    ) -> StoreResult<PlatformAnswer<ContactRelease>> {
        read!(self.contact_release_status(campaign_id, owner_user_id))
    }

    async fn contact_release_marker(
        &self,
        campaign_id: Uuid,
    ) -> StoreResult<PlatformAnswer<String>> {
        read!(self.contact_release_marker(campaign_id))
    }

    async fn broadcast_readiness_stats(
        &self,
        scope: &Scope,
        kept: &BTreeMap<Uuid, KeptFinished>,
    ) -> StoreResult<BTreeMap<Uuid, BroadcastStats>> {
        read!(self.broadcast_readiness_stats(scope, kept))
    }

    async fn budget_settings(&self, scope: &Scope) -> StoreResult<Vec<BudgetSetting>> {
        read!(self.budget_settings(scope))
    }

    async fn retell_max_concurrent(&self, scope: &Scope) -> StoreResult<BTreeMap<Uuid, i32>> {
        read!(self.retell_max_concurrent(scope))
    }

    // What feeds a provider call, plans an action or writes: the primary only.

    async fn calendar_access_token(
        &self,
        integration_id: Uuid,
    ) -> StoreResult<Option<SecretString>> {
        self.primary.calendar_access_token(integration_id).await
    }

    async fn status_row(
        &self,
        target: StatusTarget,
        scope: &Scope,
    ) -> StoreResult<Option<StatusRow>> {
        self.primary.status_row(target, scope).await
    }

    async fn change_status(&self, change: &StatusChange) -> StoreResult<WriteOutcome> {
        self.primary.change_status(change).await
    }

    async fn apply_cleanup(&self, writes: &[CleanupWrite]) -> StoreResult<Vec<CleanupWriteResult>> {
        self.primary.apply_cleanup(writes).await
    }

    async fn prepare_audit(&self) -> StoreResult<()> {
        self.primary.prepare_audit().await
    }

    async fn append_audit(&self, records: &[AuditRecord]) -> StoreResult<()> {
        self.primary.append_audit(records).await
    }

    async fn audit_records(&self, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        self.primary.audit_records(limit).await
    }

    async fn calendar_token_state(
        &self,
        integration_id: Uuid,
    ) -> StoreResult<Option<CalendarTokenState>> {
        self.primary.calendar_token_state(integration_id).await
    }

    async fn apply_calendar_tokens(
        &self,
        writes: &[CalendarTokenWrite],
    ) -> StoreResult<Vec<TokenWriteResult>> {
        self.primary.apply_calendar_tokens(writes).await
    }

    async fn alerts_by_id(&self, ids: &[Uuid], scope: &Scope) -> StoreResult<Vec<AlertState>> {
        self.primary.alerts_by_id(ids, scope).await
    }

    async fn acknowledge_alerts(&self, ids: &[Uuid]) -> StoreResult<Vec<AckResult>> {
        self.primary.acknowledge_alerts(ids).await
    }

    async fn apply_stop(&self, write: &StopWrite) -> StoreResult<StopWriteResult> {
        self.primary.apply_stop(write).await
    }

    async fn stop_row(&self, id: Uuid, scope: &Scope) -> StoreResult<Option<StopRowState>> {
        self.primary.stop_row(id, scope).await
    }

    async fn lift_stop(&self, id: Uuid) -> StoreResult<LiftResult> {
        self.primary.lift_stop(id).await
    }

    async fn phone_number_row(&self, e164: &str, scope: &Scope) -> StoreResult<Option<NumberRow>> {
        self.primary.phone_number_row(e164, scope).await
    }

    async fn test_target(
        &self,
        target: StatusTarget,
        scope: &Scope,
    ) -> StoreResult<Option<TestTargetRow>> {
        self.primary.test_target(target, scope).await
    }

    async fn ensure_test_broadcast(&self, source: Uuid, name: &str) -> StoreResult<(Uuid, bool)> {
        self.primary.ensure_test_broadcast(source, name).await
    }

    async fn insert_test_row(&self, row: &TestRowInsert) -> StoreResult<Uuid> {
        self.primary.insert_test_row(row).await
    }

    async fn write_test_call(&self, write: &TestCallWrite) -> StoreResult<bool> {
        self.primary.write_test_call(write).await
    }
}
