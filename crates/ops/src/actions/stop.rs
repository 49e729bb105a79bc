//! Emergency stop and its lift (product.md "Actions", Emergency stop).
//!
//! A broadcast is paused (contact_stop_controls has no broadcast scope); a campaign is
//! paused and gets an active `campaign` stop row, the platform's own dispatch blocker;
//! `--all` writes a `global` row (the tenant's `organization`/`user` row when the
//! console is scoped). Both writes are one transaction. Calls in flight are never put
//! back to `pending` (that could redial a lead mid-call): they finish, or become stuck
//! and are cleaned up. Hanging them up at the provider is a separate, explicit choice.
//! The operator confirms by typing the broadcast's or campaign's exact name (or
//! `STOP ALL`); `apply` checks it again, so a wrong name writes nothing on any surface.
//!
//! `lift` deactivates a stop row launchdeck wrote, only while it is still active. It
//! resumes nothing: the operator resumes with `P` / `launchdeck resume`.

use std::collections::BTreeSet;

use launchdeck_core::actions::{AuditRecord, AuditResult, StatusRow, StatusTarget, WriteOutcome};
use launchdeck_core::domain::{CallProvider, CallSource, InFlightCall, StopControl};
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_core::stop::{
    self, LiftResult, STOP_ALL_CONFIRMATION, StopRowResult, StopRowSpec, StopRowState, StopScope,
    StopWrite, StopWriteResult,
};
use serde_json::json;
use uuid::Uuid;

use super::cleanup::text as row_text;
use super::support;
use super::{ActionEnv, ActionError, ActionOutcome, PlanView, RowOutcome, audit};

pub const ACTION: &str = "stop";
pub const LIFT_ACTION: &str = "stop --lift";

const STOP_TABLE: &str = "contact_stop_controls";

/// `launchdeck stop (--broadcast ID | --campaign ID | --all) [--hang-up] --confirm NAME`.
#[derive(Debug, Clone, PartialEq)]
pub struct StopRequest {
    pub scope: StopScope,
    pub hang_up: bool,
    /// What the operator typed to confirm (`--confirm NAME`); `None`: not yet.
    pub confirmation: Option<String>,
}

/// What a stop will do.
#[derive(Debug, Clone, PartialEq)]
pub struct StopPlan {
    pub scope: StopScope,
    /// The broadcast or campaign as previewed (`None` for `--all`, or when not found).
    pub row: Option<StatusRow>,
    /// Why there is nothing to stop: unknown id, outside the scope.
    pub unavailable: Option<String>,
    /// What the operator must type: the exact name, or `STOP ALL`.
    pub expected: String,
    /// What they typed (may be set by the console's modal after the preview).
    pub confirmation: Option<String>,
    /// The stop row to write, unless `existing` already covers it.
    pub stop_row: Option<StopRowSpec>,
    /// An active row with the same scope: no second row is written.
    pub existing: Option<StopControl>,
    /// The calls in flight under the stop that a provider can end.
    pub live_calls: Vec<InFlightCall>,
    /// Hang them up (may be toggled by the console's modal before `apply`).
    pub hang_up: bool,
}

impl StopPlan {
    /// The pause the stop makes, when the row is active.
    fn pause(&self) -> Option<launchdeck_core::actions::StatusChange> {
        self.row.as_ref().and_then(stop::pause_of)
    }

    /// The stop row to insert: none when an active one has the same scope.
    fn new_stop_row(&self) -> Option<&StopRowSpec> {
        self.stop_row.as_ref().filter(|_| self.existing.is_none())
    }

    /// There is something to stop (the id is known and in scope).
    pub fn available(&self) -> bool {
        self.unavailable.is_none()
    }

    /// The typed confirmation matches.
    pub fn confirmed(&self) -> bool {
        self.confirmation
            .as_deref()
            .is_some_and(|typed| stop::confirms(&self.expected, typed))
    }

    /// `campaign "Spring"`, `everything`.
    fn target_words(&self) -> String {
        match (&self.scope, &self.row) {
            (StopScope::All, _) => match self.stop_row.as_ref().map(|s| s.scope_type.as_str()) {
                Some("organization") => "everything in the --org scope".to_string(),
                Some("user") => "everything in the --user scope".to_string(),
                _ => "everything".to_string(),
            },
            (_, Some(row)) => format!(
                "{} \"{}\"",
                row.target.table.noun(),
                sanitize_provider_text(&row.name)
            ),
            (scope, None) => scope.to_string(),
        }
    }

    /// The noun the operator is asked to type: `the campaign's exact name`.
    pub fn confirmation_prompt(&self) -> String {
        match &self.row {
            Some(row) if self.scope != StopScope::All => {
                format!("the {}'s exact name", row.target.table.noun())
            }
            _ => format!("`{STOP_ALL_CONFIRMATION}`"),
        }
    }
}

impl PlanView for StopPlan {
    fn will_change(&self) -> bool {
        self.unavailable.is_none()
            && (self.pause().is_some()
                || self.new_stop_row().is_some()
                || (self.hang_up && !self.live_calls.is_empty()))
    }

    fn summary(&self) -> String {
        if let Some(why) = &self.unavailable {
            return why.clone();
        }
        let target = self.target_words();
        if !self.will_change() {
            let stopped = match &self.existing {
                Some(row) => format!(
                    "already stopped (stop row {}, {})",
                    row.id,
                    activated_by(row)
                ),
                None => "already paused".to_string(),
            };
            return format!("{target} is {stopped}: nothing to change");
        }
        let mut steps = Vec::new();
        if self.pause().is_some() {
            steps.push("pause it".to_string());
        }
        if let Some(spec) = self.new_stop_row() {
            steps.push(format!("write {}", spec.describe()));
        }
        if self.hang_up && !self.live_calls.is_empty() {
            steps.push(format!("hang up its {} live calls", self.live_calls.len()));
        }
        format!("emergency stop {target}: {}", steps.join(", "))
    }

    fn subject(&self) -> String {
        self.target_words()
    }

    fn details(&self) -> Vec<String> {
        if self.unavailable.is_some() {
            return Vec::new();
        }
        let mut lines = Vec::new();
        match (&self.row, self.pause()) {
            (Some(_), Some(_)) => lines.push(
                "status: active → paused (only if still active when you confirm)".to_string(),
            ),
            (Some(row), None) => lines.push(format!(
                "status: {} (left as it is: only an active {} is paused)",
                sanitize_provider_text(&row.status),
                row.target.table.noun()
            )),
            (None, _) => {}
        }
        if let Some(existing) = &self.existing {
            lines.push(format!(
                "stop row: already active, {} ({}); no second row",
                existing.id,
                activated_by(existing)
            ));
        } else if let Some(spec) = &self.stop_row {
            lines.push(format!(
                "stop row: {} in contact_stop_controls, reason \"{}\"",
                spec.describe(),
                spec.reason
            ));
        } else {
            lines.push(
                "stop row: none (contact_stop_controls has no broadcast scope; the pause \
                 stops the broadcast)"
                    .to_string(),
            );
        }
        let live = self.live_calls.len();
        lines.push(match (live, self.hang_up) {
            (0, _) => "calls in flight: none a provider can end".to_string(),
            (n, true) => format!("calls in flight: {n}, hung up at the provider after the write"),
            (n, false) => format!(
                "calls in flight: {n}, left to finish (never put back to pending; stuck ones \
                 are cleaned up with c / launchdeck cleanup)"
            ),
        });
        lines
    }

    fn planned(&self) -> usize {
        usize::from(self.pause().is_some())
            + usize::from(self.new_stop_row().is_some())
            + if self.hang_up {
                self.live_calls.len()
            } else {
                0
            }
    }

    fn target_unavailable(&self) -> bool {
        self.unavailable.is_some()
    }

    fn refusal(&self) -> Option<String> {
        let typed = self.confirmation.as_deref()?;
        (!self.confirmed()).then(|| {
            format!(
                "\"{}\" is not {} (\"{}\"): nothing was stopped",
                sanitize_provider_text(typed),
                self.confirmation_prompt(),
                self.expected
            )
        })
    }

    fn how_to_confirm(&self) -> String {
        format!(
            "add --confirm \"{}\" ({}) to stop it",
            self.expected,
            self.confirmation_prompt()
        )
    }

    fn typed_confirmation(&self) -> Option<String> {
        Some(self.expected.clone())
    }

    fn condition(&self) -> String {
        "one transaction: the pause only if still active, the stop row only if none with the \
         same scope is active; calls in flight are never put back to pending"
            .to_string()
    }
}

fn activated_by(row: &StopControl) -> String {
    let who = if row.created_by_launchdeck {
        "set by launchdeck"
    } else {
        "not set by launchdeck"
    };
    format!(
        "{who}, active since {}",
        row.activated_at.format("%Y-%m-%d %H:%M:%S UTC")
    )
}

/// Reads the target, the active stop rows and the calls in flight, and says what the
/// stop will do. Writes nothing.
pub async fn plan(env: &ActionEnv, request: StopRequest) -> Result<StopPlan, ActionError> {
    let store = env.store();
    let scope = &env.ctx.scope;
    let (row, unavailable) = match request.scope {
        StopScope::All => (None, None),
        StopScope::Broadcast(id) => target_row(env, StatusTarget::broadcast(id)).await?,
        StopScope::Campaign(id) => target_row(env, StatusTarget::campaign(id)).await?,
    };
    let expected = match (&request.scope, &row) {
        (StopScope::All, _) | (_, None) => STOP_ALL_CONFIRMATION.to_string(),
        (_, Some(row)) => sanitize_provider_text(&row.name),
    };
    let stop_row = StopRowSpec::for_scope(request.scope, scope, &env.ctx.actor);
    let active = store
        .active_stops(scope)
        .await
        .map_err(support::read_error("contact_stop_controls"))?;
    let existing = stop_row
        .as_ref()
        .and_then(|spec| active.into_iter().find(|row| spec.same_scope(row)));
    let in_flight = store
        .calls_in_flight(scope)
        .await
        .map_err(support::read_error("the calls in flight"))?;
    let live_calls = live_calls_under(request.scope, in_flight.calls);
    Ok(StopPlan {
        scope: request.scope,
        row,
        unavailable,
        expected,
        confirmation: request.confirmation,
        stop_row,
        existing,
        live_calls,
        hang_up: request.hang_up,
    })
}

async fn target_row(
    env: &ActionEnv,
    target: StatusTarget,
) -> Result<(Option<StatusRow>, Option<String>), ActionError> {
    let row = env
        .store()
        .status_row(target, &env.ctx.scope)
        .await
        .map_err(|source| ActionError::Read {
            what: target.to_string(),
            source,
        })?;
    let noun = target.table.noun();
    Ok(match row {
        None => (None, Some(format!("no {noun} with id {}", target.id))),
        Some(row) if !row.in_scope => (
            None,
            Some(format!(
                "{noun} {} is outside the --user/--org scope: nothing to stop",
                target.id
            )),
        ),
        Some(row) => (Some(row), None),
    })
}

/// The calls in flight under `scope` that a provider can end, one per provider call
/// (a campaign's call_logs row and dialing_queues row carry the same Retell call).
fn live_calls_under(scope: StopScope, calls: Vec<InFlightCall>) -> Vec<InFlightCall> {
    let mut seen = BTreeSet::new();
    let mut live: Vec<InFlightCall> = calls
        .into_iter()
        .filter(|call| match scope {
            StopScope::All => true,
            StopScope::Broadcast(id) => call.broadcast_id == Some(id),
            StopScope::Campaign(id) => call.campaign_id == Some(id),
        })
        .filter(|call| provider_call(call).is_some())
        .collect();
    // call_logs first, so a dialing_queues row for the same call is the one dropped.
    live.sort_by_key(|call| call.source != CallSource::CallLogs);
    live.retain(|call| provider_call(call).is_some_and(|(_, id)| seen.insert(id)));
    live
}

/// The provider and call id a hang-up of `call` goes to (Twilio for broadcast rows,
/// Retell for call_logs and dialing_queues rows), when it has one.
fn provider_call(call: &InFlightCall) -> Option<(CallProvider, String)> {
    let id = call.provider_call_id.as_deref()?.trim();
    let wanted = match call.source {
        CallSource::BroadcastQueue => CallProvider::Twilio,
        CallSource::CallLogs | CallSource::DialingQueues => CallProvider::Retell,
    };
    (CallProvider::of_row(None, id) == wanted).then(|| (wanted, id.to_string()))
}

/// Writes the stop (pause + stop row, one transaction), then hangs up the live calls
/// when chosen, then audits every step. Refused in read-only mode and unless the typed
/// confirmation matches.
pub async fn apply(env: &ActionEnv, plan: &StopPlan) -> Result<ActionOutcome, ActionError> {
    env.ctx.refuse_read_only(ACTION)?;
    if let Some(why) = plan.refusal() {
        return Err(ActionError::Refused(why));
    }
    if !plan.confirmed() {
        return Err(ActionError::Refused(format!(
            "an emergency stop needs {} typed to confirm: nothing was stopped",
            plan.confirmation_prompt()
        )));
    }
    if !plan.will_change() {
        return Ok(ActionOutcome::default());
    }
    env.prepare_audit().await?;
    let write = StopWrite {
        pause: plan.pause(),
        stop_row: plan.new_stop_row().cloned(),
    };
    let written = if write.pause.is_some() || write.stop_row.is_some() {
        Some(env.store().apply_stop(&write).await)
    } else {
        None
    };
    let mut outcome = ActionOutcome::default();
    let mut records = Vec::new();
    if let Some(written) = &written {
        record_writes(env, plan, &write, written, &mut outcome, &mut records);
    }
    if plan.hang_up {
        for call in &plan.live_calls {
            let Some((provider, call_id)) = provider_call(call) else {
                continue;
            };
            let (result, after) = support::end_call(env, &provider, &call_id).await;
            let name = format!("hang up {}", row_text::row_name(call));
            outcome.push(RowOutcome {
                table: call.source.as_str(),
                id: call.id,
                name: name.clone(),
                result: result.clone(),
                from: Some(call.state.clone()),
                status_now: Some(call.state.clone()),
            });
            let before = row_text::previewed(call);
            let target = support::target(call.source.as_str(), call.id, &name);
            records.push(audit::record(
                &env.ctx, ACTION, target, before, after, result,
            ));
        }
    }
    outcome.audit_errors = audit::write(env.store(), &env.ctx.audit_file, &records).await;
    Ok(outcome)
}

/// The pause's and the stop row's results and audit records.
fn record_writes(
    env: &ActionEnv,
    plan: &StopPlan,
    write: &StopWrite,
    written: &Result<StopWriteResult, launchdeck_store::StoreError>,
    outcome: &mut ActionOutcome,
    records: &mut Vec<AuditRecord>,
) {
    let failed = |e: &launchdeck_store::StoreError| AuditResult::Failed(e.to_string());
    if let (Some(row), Some(_)) = (&plan.row, &write.pause) {
        let (result, now) = match written {
            Ok(StopWriteResult {
                pause: Some(WriteOutcome::Changed { now }),
                ..
            }) => (AuditResult::Changed, Some(now.clone())),
            Ok(StopWriteResult {
                pause: Some(WriteOutcome::Skipped { now }),
                ..
            }) => (
                AuditResult::Skipped(format!(
                    "the {} changed since the preview (status now `{}`)",
                    row.target.table.noun(),
                    now.as_ref()
                        .map(|n| sanitize_provider_text(&n.status))
                        .unwrap_or_else(|| "gone".to_string())
                )),
                now.clone(),
            ),
            Ok(_) => (AuditResult::Failed("no result for the pause".into()), None),
            Err(e) => (failed(e), None),
        };
        records.push(audit::status_record(
            &env.ctx,
            ACTION,
            row,
            now.as_ref(),
            result.clone(),
        ));
        outcome.push(RowOutcome {
            table: row.target.table.as_str(),
            id: row.target.id,
            name: format!("pause {}", sanitize_provider_text(&row.name)),
            result,
            from: Some(row.status.clone()),
            status_now: now.map(|n| n.status),
        });
    }
    if let Some(spec) = &write.stop_row {
        let (id, result) = match written {
            Ok(StopWriteResult {
                stop_row: Some(StopRowResult::Inserted(id)),
                ..
            }) => (*id, AuditResult::Changed),
            Ok(StopWriteResult {
                stop_row: Some(StopRowResult::AlreadyActive(id)),
                ..
            }) => (
                *id,
                AuditResult::Skipped(format!(
                    "an active stop row with the same scope exists ({id}): no second row"
                )),
            ),
            Ok(_) => (
                Uuid::nil(),
                AuditResult::Failed("no result for the stop row".into()),
            ),
            Err(e) => (Uuid::nil(), failed(e)),
        };
        let name = format!("{} stop", spec.scope_type);
        let after = matches!(result, AuditResult::Changed).then(|| {
            json!({"active": true, "scope_type": spec.scope_type,
                   "organization_id": spec.organization_id, "user_id": spec.user_id,
                   "campaign_id": spec.campaign_id, "channel": "all", "reason": spec.reason})
        });
        let target = support::target(STOP_TABLE, id, &name);
        records.push(audit::record(
            &env.ctx,
            ACTION,
            target,
            json!({"active": false}),
            after,
            result.clone(),
        ));
        outcome.push(RowOutcome {
            table: STOP_TABLE,
            id,
            name,
            result: result.clone(),
            from: None,
            status_now: matches!(result, AuditResult::Changed | AuditResult::Skipped(_))
                .then(|| "active".to_string()),
        });
    }
}

/// `launchdeck stop --lift STOP_ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiftRequest {
    pub stop_id: Uuid,
}

/// What lifting will do.
#[derive(Debug, Clone, PartialEq)]
pub struct LiftPlan {
    pub stop_id: Uuid,
    pub row: Option<StopRowState>,
    /// Why launchdeck will not lift it (not found, not launchdeck's, not active…).
    pub why_not: Option<String>,
}

impl LiftPlan {
    fn describe_row(&self) -> String {
        match &self.row {
            Some(row) => describe_stop(row),
            None => format!("stop row {}", self.stop_id),
        }
    }
}

/// `the campaign stop of "Spring" (…)`.
pub fn describe_stop(row: &StopRowState) -> String {
    let c = &row.control;
    let what = match (c.scope_type.as_str(), &row.campaign_name) {
        ("campaign", Some(name)) => {
            format!("campaign stop of \"{}\"", sanitize_provider_text(name))
        }
        (scope, _) => format!("{} stop", sanitize_provider_text(scope)),
    };
    format!("{what} {}", c.id)
}

impl PlanView for LiftPlan {
    fn will_change(&self) -> bool {
        self.why_not.is_none()
    }

    fn summary(&self) -> String {
        match &self.why_not {
            Some(why) => format!("{} {why}", self.describe_row()),
            None => format!(
                "lift the {}: active → inactive (resumes nothing: resume with P / launchdeck \
                 resume)",
                self.describe_row()
            ),
        }
    }

    fn subject(&self) -> String {
        self.describe_row()
    }

    fn details(&self) -> Vec<String> {
        let Some(row) = &self.row else {
            return Vec::new();
        };
        vec![
            format!(
                "reason: \"{}\"",
                sanitize_provider_text(&row.control.reason)
            ),
            activated_by(&row.control),
        ]
    }

    fn target_unavailable(&self) -> bool {
        self.why_not.is_some()
            && !self
                .row
                .as_ref()
                .is_some_and(|r| !r.active && r.in_scope && r.control.created_by_launchdeck)
    }
}

/// Reads the stop row and says whether launchdeck may lift it.
pub async fn plan_lift(env: &ActionEnv, request: LiftRequest) -> Result<LiftPlan, ActionError> {
    let row = env
        .store()
        .stop_row(request.stop_id, &env.ctx.scope)
        .await
        .map_err(support::read_error("contact_stop_controls"))?;
    let why_not = match &row {
        None => Some("does not exist: `launchdeck check` names the active stops".to_string()),
        Some(row) => stop::why_not_lift(row),
    };
    Ok(LiftPlan {
        stop_id: request.stop_id,
        row,
        why_not,
    })
}

/// Deactivates the stop row, only while it is still active, and audits it.
pub async fn apply_lift(env: &ActionEnv, plan: &LiftPlan) -> Result<ActionOutcome, ActionError> {
    env.ctx.refuse_read_only(LIFT_ACTION)?;
    if !plan.will_change() {
        return Ok(ActionOutcome::default());
    }
    env.prepare_audit().await?;
    let name = plan.describe_row();
    let result = match env.store().lift_stop(plan.stop_id).await {
        Ok(LiftResult::Lifted) => AuditResult::Changed,
        Ok(LiftResult::Skipped { active: false }) => {
            AuditResult::Skipped("the stop was lifted meanwhile".to_string())
        }
        Ok(LiftResult::Skipped { active: true }) => {
            AuditResult::Skipped("the stop row is no longer launchdeck's".to_string())
        }
        Ok(LiftResult::NotFound) => AuditResult::Skipped("the stop row is gone".to_string()),
        Err(e) => AuditResult::Failed(e.to_string()),
    };
    let after = matches!(result, AuditResult::Changed).then(|| json!({"active": false}));
    let target = support::target(STOP_TABLE, plan.stop_id, &name);
    let record = audit::record(
        &env.ctx,
        LIFT_ACTION,
        target,
        json!({"active": true}),
        after,
        result.clone(),
    );
    let mut outcome = ActionOutcome {
        audit_errors: audit::write(env.store(), &env.ctx.audit_file, &[record]).await,
        ..ActionOutcome::default()
    };
    outcome.push(RowOutcome {
        table: STOP_TABLE,
        id: plan.stop_id,
        name,
        result: result.clone(),
        from: Some("active".to_string()),
        status_now: Some(
            if matches!(result, AuditResult::Changed) {
                "inactive"
            } else {
                "unknown"
            }
            .to_string(),
        ),
    });
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn call(source: CallSource, id: &str, campaign: Option<Uuid>) -> InFlightCall {
        InFlightCall {
            source,
            id: Uuid::new_v4(),
            state: "calling".into(),
            since: Utc::now(),
            phone: "+14155550100".into(),
            provider_call_id: Some(id.into()),
            broadcast_id: None,
            campaign_id: campaign,
            parent_name: None,
            attempts: 1,
            max_attempts: 3,
            redial_hold: false,
        }
    }

    #[test]
    fn one_hang_up_per_provider_call() {
        let campaign = Uuid::new_v4();
        let calls = vec![
            call(CallSource::DialingQueues, "call_a", Some(campaign)),
            call(CallSource::CallLogs, "call_a", Some(campaign)),
            call(CallSource::CallLogs, "call_b", Some(campaign)),
            call(CallSource::CallLogs, "call_c", Some(Uuid::new_v4())),
            call(CallSource::CallLogs, "", Some(campaign)),
        ];
        let live = live_calls_under(StopScope::Campaign(campaign), calls);
        let ids: Vec<_> = live
            .iter()
            .map(|c| (c.source, c.provider_call_id.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            ids,
            vec![
                (CallSource::CallLogs, "call_a".to_string()),
                (CallSource::CallLogs, "call_b".to_string())
            ]
        );
    }
}
