//! The machinery shared by actions that move a broadcast's or campaign's `status` from
//! one value to another (pause, resume; stop will add its own steps around it).

use launchdeck_core::actions::{
    AuditResult, StatusChange, StatusRow, StatusTable, StatusTarget, WriteOutcome,
};
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_store::Store;

use super::audit;
use super::{ActionContext, ActionError, ActionOutcome, RowOutcome};

/// One status transition and how to explain the statuses it does not apply to.
pub(super) struct Transition {
    pub action: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    /// Said after the change in the plan, e.g. what happens to calls in flight.
    pub note: &'static str,
    /// Why a row with this status (neither `from` nor `to`) is left alone.
    pub why_not: fn(&str, StatusTable) -> String,
}

/// What an action will do to its target.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusPlan {
    /// The action's name, e.g. `pause`.
    pub action: &'static str,
    pub target: StatusTarget,
    /// The row as previewed (`None`: no such row).
    pub row: Option<StatusRow>,
    pub step: PlanStep,
    note: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PlanStep {
    Change { from: String, to: String },
    Nothing(NoChange),
}

/// Why nothing will change.
#[derive(Debug, Clone, PartialEq)]
pub enum NoChange {
    NotFound,
    /// The row exists but not in the `--user` / `--org` scope.
    OutOfScope,
    /// The row already has the status the action sets.
    Already(String),
    /// The action does not apply to the row's status.
    NotApplicable {
        status: String,
        why: String,
    },
}

impl super::PlanView for StatusPlan {
    fn will_change(&self) -> bool {
        StatusPlan::will_change(self)
    }
    fn summary(&self) -> String {
        self.describe()
    }
    fn subject(&self) -> String {
        format!(
            "{} \"{}\"",
            self.target.table.noun(),
            self.name().unwrap_or_default()
        )
    }
    fn target_unavailable(&self) -> bool {
        StatusPlan::target_unavailable(self)
    }
}

impl StatusPlan {
    pub fn will_change(&self) -> bool {
        matches!(self.step, PlanStep::Change { .. })
    }

    /// No row to act on: the id is unknown here or outside the scope.
    pub fn target_unavailable(&self) -> bool {
        matches!(
            self.step,
            PlanStep::Nothing(NoChange::NotFound | NoChange::OutOfScope)
        )
    }

    /// The row's display name, safe for a terminal.
    pub fn name(&self) -> Option<String> {
        self.row.as_ref().map(|r| sanitize_provider_text(&r.name))
    }

    /// One line: the change, or why there is none.
    pub fn describe(&self) -> String {
        let noun = self.target.table.noun();
        let named = format!("{noun} \"{}\"", self.name().unwrap_or_default());
        match &self.step {
            PlanStep::Change { from, to } => {
                format!("{} {named}: {from} → {to}{}", self.action, self.note)
            }
            PlanStep::Nothing(NoChange::NotFound) => {
                format!("no {noun} with id {}", self.target.id)
            }
            PlanStep::Nothing(NoChange::OutOfScope) => format!(
                "{noun} {} is outside the --user/--org scope: nothing to change",
                self.target.id
            ),
            PlanStep::Nothing(NoChange::Already(status)) => {
                format!("{named} is already {status}: nothing to change")
            }
            PlanStep::Nothing(NoChange::NotApplicable { why, .. }) => format!("{named} {why}"),
        }
    }
}

/// The plan for `row` (as read for `target`): pure, so every wording is testable.
pub(super) fn plan_for(t: &Transition, target: StatusTarget, row: Option<StatusRow>) -> StatusPlan {
    let step = match &row {
        None => PlanStep::Nothing(NoChange::NotFound),
        Some(r) if !r.in_scope => PlanStep::Nothing(NoChange::OutOfScope),
        Some(r) if r.status == t.from => PlanStep::Change {
            from: t.from.to_string(),
            to: t.to.to_string(),
        },
        Some(r) if r.status == t.to => PlanStep::Nothing(NoChange::Already(r.status.clone())),
        Some(r) => PlanStep::Nothing(NoChange::NotApplicable {
            status: r.status.clone(),
            why: (t.why_not)(&sanitize_provider_text(&r.status), target.table),
        }),
    };
    StatusPlan {
        action: t.action,
        target,
        row,
        step,
        note: t.note,
    }
}

pub(super) async fn plan(
    store: &dyn Store,
    ctx: &ActionContext,
    t: &Transition,
    target: StatusTarget,
) -> Result<StatusPlan, ActionError> {
    let row = store
        .status_row(target, &ctx.scope)
        .await
        .map_err(|source| ActionError::Read {
            what: target.to_string(),
            source,
        })?;
    Ok(plan_for(t, target, row))
}

/// Applies a plan: nothing when it changes nothing; else the launchdeck migrations, the
/// conditional write, and the audit record once the write's transaction is over.
pub(super) async fn apply(
    store: &dyn Store,
    ctx: &ActionContext,
    plan: &StatusPlan,
) -> Result<ActionOutcome, ActionError> {
    ctx.refuse_read_only(plan.action)?;
    let (Some(row), PlanStep::Change { to, .. }) = (&plan.row, &plan.step) else {
        return Ok(ActionOutcome::default());
    };
    super::prepare_audit(store).await?;
    let (result, now) = match store
        .change_status(&StatusChange::from_preview(row, to))
        .await
    {
        Ok(WriteOutcome::Changed { now }) => (AuditResult::Changed, Some(now)),
        Ok(WriteOutcome::Skipped { now }) => {
            (AuditResult::Skipped(moved_on(row, now.as_ref())), now)
        }
        Err(e) => (AuditResult::Failed(e.to_string()), None),
    };
    let record = audit::status_record(ctx, plan.action, row, now.as_ref(), result.clone());
    let mut outcome = ActionOutcome {
        audit_errors: audit::write(store, &ctx.audit_file, &[record]).await,
        ..ActionOutcome::default()
    };
    outcome.push(RowOutcome {
        table: row.target.table.as_str(),
        id: row.target.id,
        name: sanitize_provider_text(&row.name),
        result,
        from: Some(row.status.clone()),
        status_now: now.map(|r| r.status),
    });
    Ok(outcome)
}

/// Why a conditional write found the row changed since the preview.
fn moved_on(previewed: &StatusRow, now: Option<&StatusRow>) -> String {
    let noun = previewed.target.table.noun();
    match now {
        None => format!("the {noun} no longer exists"),
        Some(now) if now.status != previewed.status => format!(
            "the {noun} changed since the preview: its status is now `{}`",
            sanitize_provider_text(&now.status)
        ),
        Some(_) => format!("the {noun} was edited since the preview; preview it again"),
    }
}
