//! The operator actions as one vocabulary: which action, what it was asked to act on,
//! its plan, and the two steps every action takes (`plan`, then `apply`). The CLI and
//! the console's keys both go through [`plan`] and [`apply`].

use launchdeck_core::actions::StatusTarget;

use super::acknowledge::{self, AckPlan, AckRequest};
use super::cleanup::{self, CleanupPlan, CleanupRequest};
use super::outbound_agent::{self, AgentPlan, AgentRequest};
use super::stop::{self, LiftPlan, LiftRequest, StopPlan, StopRequest};
use super::test_broadcast::{self, TestBroadcastPlan, TestBroadcastRequest};
use super::tokens::{self, TokenPlan, TokenRequest};
use super::{ActionEnv, ActionError, ActionOutcome, PlanView, StatusPlan, pause, resume};

/// An operator action: a change to the platform (or its providers) that is previewed,
/// confirmed, conditional on the preview, and audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperatorAction {
    Pause,
    Resume,
    Cleanup,
    RefreshTokens,
    FixOutboundAgent,
    Acknowledge,
    Stop,
    LiftStop,
    TestBroadcast,
}

impl OperatorAction {
    /// The action's name, as in the audit log and on the command line: `pause`.
    pub fn name(self) -> &'static str {
        match self {
            OperatorAction::Pause => pause::ACTION,
            OperatorAction::Resume => resume::ACTION,
            OperatorAction::Cleanup => cleanup::ACTION,
            OperatorAction::RefreshTokens => tokens::ACTION,
            OperatorAction::FixOutboundAgent => outbound_agent::ACTION,
            OperatorAction::Acknowledge => acknowledge::ACTION,
            OperatorAction::Stop => stop::ACTION,
            OperatorAction::LiftStop => stop::LIFT_ACTION,
            OperatorAction::TestBroadcast => test_broadcast::ACTION,
        }
    }

    /// The modal's title: `Pause`.
    pub fn title(self) -> &'static str {
        match self {
            OperatorAction::Pause => "Pause",
            OperatorAction::Resume => "Resume",
            OperatorAction::Cleanup => "Clean up stuck calls",
            OperatorAction::RefreshTokens => "Refresh calendar tokens",
            OperatorAction::FixOutboundAgent => "Fix outbound agent",
            OperatorAction::Acknowledge => "Acknowledge alert",
            OperatorAction::Stop => "Emergency stop",
            OperatorAction::LiftStop => "Lift a stop",
            OperatorAction::TestBroadcast => "Test broadcast",
        }
    }

    /// Shown while the change is being written: `pausing`.
    pub fn doing(self) -> &'static str {
        match self {
            OperatorAction::Pause => "pausing",
            OperatorAction::Resume => "resuming",
            OperatorAction::Cleanup => "cleaning up",
            OperatorAction::RefreshTokens => "refreshing tokens",
            OperatorAction::FixOutboundAgent => "setting the outbound agent",
            OperatorAction::Acknowledge => "acknowledging",
            OperatorAction::Stop => "stopping",
            OperatorAction::LiftStop => "lifting the stop",
            OperatorAction::TestBroadcast => "placing test calls",
        }
    }

    /// Starts the result line: `paused`.
    pub fn done(self) -> &'static str {
        match self {
            OperatorAction::Pause => "paused",
            OperatorAction::Resume => "resumed",
            OperatorAction::Cleanup => "cleaned up",
            OperatorAction::RefreshTokens => "refreshed",
            OperatorAction::FixOutboundAgent => "fixed",
            OperatorAction::Acknowledge => "acknowledged",
            OperatorAction::Stop => "stopped",
            OperatorAction::LiftStop => "lifted",
            OperatorAction::TestBroadcast => "placed",
        }
    }
}

/// What an action is asked to act on.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionRequest {
    Pause(StatusTarget),
    Resume(StatusTarget),
    Cleanup(CleanupRequest),
    RefreshTokens(TokenRequest),
    FixOutboundAgent(AgentRequest),
    Acknowledge(AckRequest),
    Stop(StopRequest),
    LiftStop(LiftRequest),
    TestBroadcast(TestBroadcastRequest),
}

impl ActionRequest {
    pub fn action(&self) -> OperatorAction {
        match self {
            ActionRequest::Pause(_) => OperatorAction::Pause,
            ActionRequest::Resume(_) => OperatorAction::Resume,
            ActionRequest::Cleanup(_) => OperatorAction::Cleanup,
            ActionRequest::RefreshTokens(_) => OperatorAction::RefreshTokens,
            ActionRequest::FixOutboundAgent(_) => OperatorAction::FixOutboundAgent,
            ActionRequest::Acknowledge(_) => OperatorAction::Acknowledge,
            ActionRequest::Stop(_) => OperatorAction::Stop,
            ActionRequest::LiftStop(_) => OperatorAction::LiftStop,
            ActionRequest::TestBroadcast(_) => OperatorAction::TestBroadcast,
        }
    }
}

/// What an action will change, as previewed.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionPlan {
    Pause(StatusPlan),
    Resume(StatusPlan),
    Cleanup(CleanupPlan),
    RefreshTokens(TokenPlan),
    FixOutboundAgent(AgentPlan),
    Acknowledge(AckPlan),
    /// Boxed: much larger than the other plans.
    Stop(Box<StopPlan>),
    LiftStop(LiftPlan),
    TestBroadcast(TestBroadcastPlan),
}

impl ActionPlan {
    pub fn action(&self) -> OperatorAction {
        match self {
            ActionPlan::Pause(_) => OperatorAction::Pause,
            ActionPlan::Resume(_) => OperatorAction::Resume,
            ActionPlan::Cleanup(_) => OperatorAction::Cleanup,
            ActionPlan::RefreshTokens(_) => OperatorAction::RefreshTokens,
            ActionPlan::FixOutboundAgent(_) => OperatorAction::FixOutboundAgent,
            ActionPlan::Acknowledge(_) => OperatorAction::Acknowledge,
            ActionPlan::Stop(_) => OperatorAction::Stop,
            ActionPlan::LiftStop(_) => OperatorAction::LiftStop,
            ActionPlan::TestBroadcast(_) => OperatorAction::TestBroadcast,
        }
    }

    /// The plan's wording and counts.
    pub fn view(&self) -> &dyn PlanView {
        match self {
            ActionPlan::Pause(plan) | ActionPlan::Resume(plan) => plan,
            ActionPlan::Cleanup(plan) => plan,
            ActionPlan::RefreshTokens(plan) => plan,
            ActionPlan::FixOutboundAgent(plan) => plan,
            ActionPlan::Acknowledge(plan) => plan,
            ActionPlan::Stop(plan) => plan.as_ref(),
            ActionPlan::LiftStop(plan) => plan,
            ActionPlan::TestBroadcast(plan) => plan,
        }
    }

    pub fn will_change(&self) -> bool {
        self.view().will_change()
    }

    /// The test broadcast's plan.
    pub fn test_broadcast_plan(&self) -> Option<&TestBroadcastPlan> {
        match self {
            ActionPlan::TestBroadcast(plan) => Some(plan),
            _ => None,
        }
    }

    /// The status change of a pause or resume.
    pub fn status_plan(&self) -> Option<&StatusPlan> {
        match self {
            ActionPlan::Pause(plan) | ActionPlan::Resume(plan) => Some(plan),
            _ => None,
        }
    }

    pub fn summary(&self) -> String {
        self.view().summary()
    }

    /// The console's modal: what the operator typed to confirm, for the plans that ask
    /// for a typed confirmation (`PlanView::typed_confirmation`); `apply` checks it.
    pub fn set_typed_confirmation(&mut self, typed: &str) {
        if let ActionPlan::Stop(plan) = self {
            plan.confirmation = Some(typed.to_string());
        }
    }

    /// The separate choice of hanging up the calls still live, when the plan offers it:
    /// (chosen, how many calls).
    pub fn hang_up_choice(&self) -> Option<(bool, usize)> {
        let (chosen, live) = match self {
            ActionPlan::Cleanup(plan) => (plan.hang_up, plan.live_calls().count()),
            ActionPlan::Stop(plan) if plan.available() => (plan.hang_up, plan.live_calls.len()),
            _ => return None,
        };
        (live > 0).then_some((chosen, live))
    }

    /// Toggles the hang-up choice; false when the plan offers none.
    pub fn toggle_hang_up(&mut self) -> bool {
        if self.hang_up_choice().is_none() {
            return false;
        }
        match self {
            ActionPlan::Cleanup(plan) => plan.hang_up = !plan.hang_up,
            ActionPlan::Stop(plan) => plan.hang_up = !plan.hang_up,
            _ => return false,
        }
        true
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
        ActionRequest::Cleanup(request) => ActionPlan::Cleanup(cleanup::plan(env, request).await?),
        ActionRequest::RefreshTokens(request) => {
            ActionPlan::RefreshTokens(tokens::plan(env, request).await?)
        }
        ActionRequest::FixOutboundAgent(request) => {
            ActionPlan::FixOutboundAgent(outbound_agent::plan(env, request).await?)
        }
        ActionRequest::Acknowledge(request) => {
            ActionPlan::Acknowledge(acknowledge::plan(env, request).await?)
        }
        ActionRequest::Stop(request) => ActionPlan::Stop(Box::new(stop::plan(env, request).await?)),
        ActionRequest::LiftStop(request) => {
            ActionPlan::LiftStop(stop::plan_lift(env, request).await?)
        }
        ActionRequest::TestBroadcast(request) => {
            ActionPlan::TestBroadcast(test_broadcast::plan(env, request).await?)
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
        ActionPlan::Cleanup(plan) => cleanup::apply(env, plan).await,
        ActionPlan::RefreshTokens(plan) => tokens::apply(env, plan).await,
        ActionPlan::FixOutboundAgent(plan) => outbound_agent::apply(env, plan).await,
        ActionPlan::Acknowledge(plan) => acknowledge::apply(env, plan).await,
        ActionPlan::Stop(plan) => stop::apply(env, plan).await,
        ActionPlan::LiftStop(plan) => stop::apply_lift(env, plan).await,
        ActionPlan::TestBroadcast(plan) => test_broadcast::apply(env, plan).await,
    }
}
