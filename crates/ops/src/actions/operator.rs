//! The operator actions as one vocabulary: which action, what it was asked to act on,
//! its plan, and the two steps every action takes (`plan`, then `apply`). The CLI and
//! the console's keys both go through [`plan`] and [`apply`].

use launchdeck_core::actions::StatusTarget;

use super::{ActionEnv, ActionError, ActionOutcome, PlanView, StatusPlan, pause, resume};

/// An operator action: a change to the platform (or its providers) that is previewed,
/// confirmed, conditional on the preview, and audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperatorAction {
    Pause,
    Resume,
}

impl OperatorAction {
    /// The action's name, as in the audit log and on the command line: `pause`.
    pub fn name(self) -> &'static str {
        match self {
            OperatorAction::Pause => pause::ACTION,
            OperatorAction::Resume => resume::ACTION,
        }
    }

    /// The modal's title: `Pause`.
    pub fn title(self) -> &'static str {
        match self {
            OperatorAction::Pause => "Pause",
            OperatorAction::Resume => "Resume",
        }
    }

    /// Shown while the change is being written: `pausing`.
    pub fn doing(self) -> &'static str {
        match self {
            OperatorAction::Pause => "pausing",
            OperatorAction::Resume => "resuming",
        }
    }

    /// Starts the result line: `paused`.
    pub fn done(self) -> &'static str {
        match self {
            OperatorAction::Pause => "paused",
            OperatorAction::Resume => "resumed",
        }
    }
}

/// What an action is asked to act on.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionRequest {
    Pause(StatusTarget),
    Resume(StatusTarget),
}

impl ActionRequest {
    pub fn action(&self) -> OperatorAction {
        match self {
            ActionRequest::Pause(_) => OperatorAction::Pause,
            ActionRequest::Resume(_) => OperatorAction::Resume,
        }
    }
}

/// What an action will change, as previewed.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionPlan {
    Pause(StatusPlan),
    Resume(StatusPlan),
}

impl ActionPlan {
    pub fn action(&self) -> OperatorAction {
        match self {
            ActionPlan::Pause(_) => OperatorAction::Pause,
            ActionPlan::Resume(_) => OperatorAction::Resume,
        }
    }

    /// The plan's wording and counts.
    pub fn view(&self) -> &dyn PlanView {
        match self {
            ActionPlan::Pause(plan) | ActionPlan::Resume(plan) => plan,
        }
    }

    pub fn will_change(&self) -> bool {
        self.view().will_change()
    }

    /// The status change of a pause or resume.
    pub fn status_plan(&self) -> Option<&StatusPlan> {
        match self {
            ActionPlan::Pause(plan) | ActionPlan::Resume(plan) => Some(plan),
        }
    }

    pub fn summary(&self) -> String {
        self.view().summary()
    }
}

/// Reads what `request` would change; writes nothing.
pub async fn plan(env: &ActionEnv, request: ActionRequest) -> Result<ActionPlan, ActionError> {
    let (store, ctx) = (env.store(), &env.ctx);
    Ok(match request {
        ActionRequest::Pause(target) => ActionPlan::Pause(pause::plan(store, ctx, target).await?),
        ActionRequest::Resume(target) => {
            ActionPlan::Resume(resume::plan(store, ctx, target).await?)
        }
    })
}

/// Applies a confirmed plan: only what it previewed, only while it is still as
/// previewed; refused in read-only mode.
pub async fn apply(env: &ActionEnv, plan: &ActionPlan) -> Result<ActionOutcome, ActionError> {
    let (store, ctx) = (env.store(), &env.ctx);
    match plan {
        ActionPlan::Pause(plan) => pause::apply(store, ctx, plan).await,
        ActionPlan::Resume(plan) => resume::apply(store, ctx, plan).await,
    }
}
