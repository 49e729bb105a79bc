//! Clean up stuck calls (product.md "Actions"): the platform's own rules for rows left
//! `calling` / `queued` / `ringing`, after asking the provider about any call it knows.
//! Rows under a redial hold, calls still live and calls whose provider could not be
//! asked are left alone; hanging up live calls is a separate, explicit choice.

pub(super) mod text;

use std::time::Duration;

use chrono::{DateTime, Utc};
use launchdeck_core::actions::{AuditRecord, AuditResult, AuditTarget};
use launchdeck_core::cleanup::{
    self, CleanupWrite, CleanupWriteResult, LeftAlone, ProviderAnswer, Verdict,
};
use launchdeck_core::domain::{CallProvider, CallSource, InFlightCall};
use launchdeck_core::stuck::StuckThresholds;
use launchdeck_store::StoreError;
use serde_json::json;
use uuid::Uuid;

use super::audit;
use super::{ActionEnv, ActionError, ActionOutcome, PlanView, RowOutcome};

pub const ACTION: &str = "cleanup";

/// What the operator asked to clean up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CleanupRequest {
    /// The rows marked in the console; `None`: every stuck row.
    pub rows: Option<Vec<(CallSource, Uuid)>>,
    /// Overrides the three per-source stuck ages (`--older-than`).
    pub older_than: Option<Duration>,
    /// Hang up the calls the provider says are still live (`--hang-up`).
    pub hang_up: bool,
}

/// One stuck row as previewed, and what the rules will do with it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRow {
    pub call: InFlightCall,
    pub verdict: Verdict,
}

impl PlannedRow {
    /// The live call to hang up, when the provider said the call is still going.
    fn live_call(&self) -> Option<(&CallProvider, &str)> {
        match &self.verdict {
            Verdict::LeaveAlone(LeftAlone::StillLive {
                provider, call_id, ..
            }) => Some((provider, call_id)),
            _ => None,
        }
    }

    fn write(&self) -> Option<&CleanupWrite> {
        match &self.verdict {
            Verdict::Write(w) => Some(w),
            Verdict::LeaveAlone(_) => None,
        }
    }
}

/// What a cleanup will do. `hang_up` may be toggled before `apply` (the console's
/// modal); everything else is the preview.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanupPlan {
    pub hang_up: bool,
    /// The database's clock when the rows were read.
    pub db_now: DateTime<Utc>,
    /// Every stuck row in scope (or marked), oldest first.
    pub rows: Vec<PlannedRow>,
    /// Marked rows that are not stuck (or no longer in flight) now: nothing is done.
    pub not_stuck: Vec<(CallSource, Uuid)>,
}

impl CleanupPlan {
    pub fn writes(&self) -> impl Iterator<Item = &CleanupWrite> {
        self.rows.iter().filter_map(PlannedRow::write)
    }

    /// Rows whose call the provider says is still going.
    pub fn live_calls(&self) -> impl Iterator<Item = &PlannedRow> {
        self.rows.iter().filter(|r| r.live_call().is_some())
    }
}

impl PlanView for CleanupPlan {
    fn will_change(&self) -> bool {
        self.writes().next().is_some() || (self.hang_up && self.live_calls().next().is_some())
    }

    /// Rows written, plus the live calls hung up when chosen.
    fn planned(&self) -> usize {
        let hang_ups = if self.hang_up {
            self.live_calls().count()
        } else {
            0
        };
        self.writes().count() + hang_ups
    }

    fn summary(&self) -> String {
        text::summary(self)
    }

    fn details(&self) -> Vec<String> {
        text::details(self)
    }
}

/// Reads the calls in flight, keeps the stuck ones (the marked ones, if any), asks the
/// providers about the calls they know, and decides each row.
pub async fn plan(env: &ActionEnv, request: CleanupRequest) -> Result<CleanupPlan, ActionError> {
    let snap = env
        .store
        .calls_in_flight(&env.ctx.scope)
        .await
        .map_err(|source| ActionError::Read {
            what: "the calls in flight".to_string(),
            source,
        })?;
    let base = StuckThresholds::from(env.providers.thresholds());
    let t = cleanup::thresholds(base, request.older_than);
    let db_now = snap.db_now;
    let marked = |c: &InFlightCall| {
        request
            .rows
            .as_ref()
            .is_none_or(|rows| rows.contains(&(c.source, c.id)))
    };
    let mut stuck: Vec<InFlightCall> = snap
        .calls
        .into_iter()
        .filter(|c| marked(c) && cleanup::is_candidate(c, db_now, &t))
        .collect();
    stuck.sort_by_key(|c| (c.since, c.id));
    let not_stuck = request
        .rows
        .iter()
        .flatten()
        .filter(|(source, id)| !stuck.iter().any(|c| c.source == *source && c.id == *id))
        .copied()
        .collect();
    let answers = ask_providers(env, &stuck).await;
    let rows = stuck
        .into_iter()
        .zip(answers)
        .map(|(call, answer)| PlannedRow {
            verdict: cleanup::decide(&call, &answer, db_now),
            call,
        })
        .collect();
    Ok(CleanupPlan {
        hang_up: request.hang_up,
        db_now,
        rows,
        not_stuck,
    })
}

/// One answer per row, in order. Each provider is asked one call at a time in its
/// paced lane; Retell and Twilio are asked side by side.
async fn ask_providers(env: &ActionEnv, calls: &[InFlightCall]) -> Vec<ProviderAnswer> {
    let questions: Vec<Option<(CallProvider, String)>> = calls
        .iter()
        .map(|c| {
            (!c.redial_hold)
                .then(|| cleanup::provider_to_ask(c))
                .flatten()
        })
        .collect();
    let ask_all = |provider: CallProvider| {
        let questions = &questions;
        async move {
            let mut answers = Vec::new();
            for (i, question) in questions.iter().enumerate() {
                if let Some((p, call_id)) = question.as_ref().filter(|(p, _)| *p == provider) {
                    answers.push((i, env.providers.provider_answer(p, call_id).await));
                }
            }
            answers
        }
    };
    let (retell, twilio) =
        tokio::join!(ask_all(CallProvider::Retell), ask_all(CallProvider::Twilio));
    let mut answers = vec![ProviderAnswer::NotAsked; calls.len()];
    for (i, answer) in retell.into_iter().chain(twilio) {
        answers[i] = answer;
    }
    answers
}

/// Hangs up the live calls (when chosen), then applies every write in one transaction,
/// then audits each row once the transaction is over.
pub async fn apply(env: &ActionEnv, plan: &CleanupPlan) -> Result<ActionOutcome, ActionError> {
    env.ctx.refuse_read_only(ACTION)?;
    if !plan.will_change() {
        return Ok(ActionOutcome::default());
    }
    env.prepare_audit().await?;
    let mut outcome = ActionOutcome::default();
    let mut records = Vec::new();
    if plan.hang_up {
        for row in plan.live_calls() {
            let (result, record) = hang_up(env, row).await;
            outcome.push(row_outcome(
                &row.call,
                result.clone(),
                Some(&row.call.state),
            ));
            records.push(record);
        }
    }
    let writes: Vec<CleanupWrite> = plan.writes().cloned().collect();
    let results = env.store.apply_cleanup(&writes).await;
    for (row, write) in plan.rows.iter().filter_map(|r| r.write().map(|w| (r, w))) {
        let (result, after) = write_result(row, write, &results);
        let status_now = after
            .as_ref()
            .and_then(|a| a["status"].as_str().map(str::to_string));
        outcome.push(row_outcome(
            &row.call,
            result.clone(),
            status_now.as_deref(),
        ));
        records.push(record(env, &row.call, after, result));
    }
    outcome.audit_errors = audit::write(env.store(), &env.ctx.audit_file, &records).await;
    Ok(outcome)
}

/// How one write ended, and the row's values after the transaction for the audit.
fn write_result(
    row: &PlannedRow,
    write: &CleanupWrite,
    results: &Result<Vec<CleanupWriteResult>, StoreError>,
) -> (AuditResult, Option<serde_json::Value>) {
    let found = results.as_ref().map(|all| {
        all.iter()
            .find(|r| r.source == write.source && r.id == write.id)
    });
    match found {
        Err(e) => (AuditResult::Failed(e.to_string()), None),
        Ok(None) => (
            AuditResult::Failed("the store returned no result for the row".into()),
            None,
        ),
        Ok(Some(r)) if r.changed => (AuditResult::Changed, Some(text::written(write))),
        Ok(Some(r)) => (
            AuditResult::Skipped(text::moved_on(&row.call, r.status_now.as_deref())),
            Some(json!({ "status": r.status_now })),
        ),
    }
}

/// Hangs up one live call; the result and its audit record.
async fn hang_up(env: &ActionEnv, row: &PlannedRow) -> (AuditResult, AuditRecord) {
    let Some((provider, call_id)) = row.live_call() else {
        let result = AuditResult::Skipped("the call was not live in the plan".into());
        return (result.clone(), record(env, &row.call, None, result));
    };
    let (result, after) = super::support::end_call(env, provider, call_id).await;
    let record = record(env, &row.call, after, result.clone());
    (result, record)
}

fn row_outcome(call: &InFlightCall, result: AuditResult, status_now: Option<&str>) -> RowOutcome {
    RowOutcome {
        table: call.source.as_str(),
        id: call.id,
        name: text::row_name(call),
        result,
        from: Some(call.state.clone()),
        status_now: status_now.map(str::to_string),
    }
}

/// One audit record: before = the row as previewed (phone masked), after = what the
/// row (or the provider) holds now.
fn record(
    env: &ActionEnv,
    call: &InFlightCall,
    after: Option<serde_json::Value>,
    result: AuditResult,
) -> AuditRecord {
    let target = AuditTarget {
        table: call.source.as_str().to_string(),
        id: call.id,
        name: text::row_name(call),
    };
    let before = text::previewed(call);
    audit::record(&env.ctx, ACTION, target, before, after, result)
}
