//! Resume a paused broadcast or campaign: `paused` → `active`.

use launchdeck_core::actions::{StatusTable, StatusTarget};
use launchdeck_store::Store;

use super::status::{self, Transition};
use super::{ActionContext, ActionError, ActionOutcome, StatusPlan};

pub const ACTION: &str = "resume";

const RESUME: Transition = Transition {
    action: ACTION,
    from: "paused",
    to: "active",
    note: "",
    why_not,
};

/// Why a row with `status` is not resumed.
fn why_not(status: &str, table: StatusTable) -> String {
    let noun = table.noun();
    match status {
        "draft" => {
            format!("is a draft: start it from the platform; resume only restarts a paused {noun}")
        }
        "completed" => "is completed: there is nothing to resume".to_string(),
        other => format!("has status `{other}`: only a paused {noun} can be resumed"),
    }
}

/// Reads the target and says what resuming it will change, or why nothing will.
pub async fn plan(
    store: &dyn Store,
    ctx: &ActionContext,
    target: StatusTarget,
) -> Result<StatusPlan, ActionError> {
    status::plan(store, ctx, &RESUME, target).await
}

/// Resumes what `plan` previewed, if it is still as previewed, and audits it.
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

    fn says(status: &str) -> String {
        let row = StatusRow {
            target: StatusTarget::broadcast(Uuid::nil()),
            name: "Spring promo".into(),
            status: status.into(),
            updated_at: None,
            in_scope: true,
        };
        plan_for(&RESUME, row.target, Some(row)).describe()
    }

    #[test]
    fn wording_for_each_status() {
        assert_eq!(
            says("paused"),
            "resume broadcast \"Spring promo\": paused → active"
        );
        assert_eq!(
            says("active"),
            "broadcast \"Spring promo\" is already active: nothing to change"
        );
        assert_eq!(
            says("draft"),
            "broadcast \"Spring promo\" is a draft: start it from the platform; resume only \
             restarts a paused broadcast"
        );
        assert_eq!(
            says("completed"),
            "broadcast \"Spring promo\" is completed: there is nothing to resume"
        );
        assert_eq!(
            says("failed"),
            "broadcast \"Spring promo\" has status `failed`: only a paused broadcast can be resumed"
        );
    }
}
