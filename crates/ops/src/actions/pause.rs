//! Pause a broadcast or campaign: `active` → `paused`. The platform dials nothing new;
//! calls in flight continue.

use launchdeck_core::actions::{StatusTable, StatusTarget};
use launchdeck_store::Store;

use super::status::{self, Transition};
use super::{ActionContext, ActionError, ActionOutcome, StatusPlan};

pub const ACTION: &str = "pause";

const PAUSE: Transition = Transition {
    action: ACTION,
    from: "active",
    to: "paused",
    note: " (no new dials; calls in flight continue)",
    why_not,
};

/// Why a row with `status` is not paused.
fn why_not(status: &str, table: StatusTable) -> String {
    let noun = table.noun();
    match status {
        "draft" => "is a draft that never started: there is nothing to pause".to_string(),
        "completed" => "is completed: there is nothing to pause".to_string(),
        other => format!("has status `{other}`: only an active {noun} can be paused"),
    }
}

/// Reads the target and says what pausing it will change, or why nothing will.
pub async fn plan(
    store: &dyn Store,
    ctx: &ActionContext,
    target: StatusTarget,
) -> Result<StatusPlan, ActionError> {
    status::plan(store, ctx, &PAUSE, target).await
}

/// Pauses what `plan` previewed, if it is still as previewed, and audits it.
pub async fn apply(
    store: &dyn Store,
    ctx: &ActionContext,
    plan: &StatusPlan,
) -> Result<ActionOutcome, ActionError> {
    status::apply(store, ctx, plan).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::status::plan_for;
    use launchdeck_core::actions::StatusRow;
    use uuid::Uuid;

    fn row(status: &str, in_scope: bool) -> StatusRow {
        StatusRow {
            target: StatusTarget::campaign(Uuid::nil()),
            name: "Renewals".into(),
            status: status.into(),
            updated_at: None,
            in_scope,
        }
    }

    fn says(status: &str) -> String {
        plan_for(&PAUSE, row(status, true).target, Some(row(status, true))).describe()
    }

    #[test]
    fn wording_for_each_status() {
        assert_eq!(
            says("active"),
            "pause campaign \"Renewals\": active → paused (no new dials; calls in flight continue)"
        );
        assert_eq!(
            says("paused"),
            "campaign \"Renewals\" is already paused: nothing to change"
        );
        assert_eq!(
            says("draft"),
            "campaign \"Renewals\" is a draft that never started: there is nothing to pause"
        );
        assert_eq!(
            says("completed"),
            "campaign \"Renewals\" is completed: there is nothing to pause"
        );
        assert_eq!(
            says("cancelled"),
            "campaign \"Renewals\" has status `cancelled`: only an active campaign can be paused"
        );
        let target = StatusTarget::campaign(Uuid::nil());
        assert!(!plan_for(&PAUSE, target, Some(row("active", false))).will_change());
        assert!(
            plan_for(&PAUSE, target, Some(row("active", false)))
                .describe()
                .contains("outside the --user/--org scope")
        );
        assert_eq!(
            plan_for(&PAUSE, target, None).describe(),
            format!("no campaign with id {}", Uuid::nil())
        );
    }
}
