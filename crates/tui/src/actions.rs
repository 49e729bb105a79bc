//! The action keys' state: the confirmation modal (plan → confirm → apply) and the
//! result toast. The work itself is `launchdeck_ops::actions`; the runtime runs it on
//! tasks (`tasks::ActionRunner`) and the answers come back as messages.

use std::time::{Duration, Instant};

use launchdeck_core::actions::{AuditResult, StatusTarget};
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_ops::actions::test_broadcast::{FollowSummary, Placement};
use launchdeck_ops::actions::{ActionOutcome, ActionPlan, ActionRequest, OperatorAction};

use crate::model::{ParentKind, ProgressItem};

/// How long a toast stays when no key is pressed.
pub const TOAST_FOR: Duration = Duration::from_secs(6);

/// What the modal is showing.
#[derive(Debug, Clone, PartialEq)]
pub enum ModalStage {
    /// The plan is being read from the database.
    Reading,
    /// The plan changes something: `y` applies it, `n`/`esc` cancels.
    Confirm(ActionPlan),
    /// The plan changes nothing; it says why. `esc`/`enter` closes.
    Nothing(ActionPlan),
    /// `y` was pressed: the change is being written. Keys wait.
    Applying(ActionPlan),
}

/// The confirmation modal of one action.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionModal {
    /// Matches the answers to the request that asked for them (a cancelled request's
    /// late answer is ignored).
    pub id: u64,
    pub action: OperatorAction,
    /// What the key acted on, as the screen showed it: `broadcast "Summer savings"`.
    pub subject: String,
    pub stage: ModalStage,
    /// When the current stage began (turns the spinner).
    pub since: Instant,
    /// What the operator types to confirm a plan that asks for it (an emergency stop:
    /// the exact name), instead of `y`.
    pub typed: TypedText,
    /// `enter` was pressed with a text that does not match.
    pub mismatch: bool,
    /// What was asked, to ask again with a change (a test broadcast's readiness
    /// override, `o`).
    pub request: Option<ActionRequest>,
    /// A test broadcast's calls, one line each, as they progress.
    pub progress: Vec<String>,
    /// The test calls are placed and being followed: `esc` stops following.
    pub following: bool,
}

impl ActionModal {
    /// Waiting for a task: the plan or the apply.
    pub fn busy(&self) -> bool {
        matches!(self.stage, ModalStage::Reading | ModalStage::Applying(_))
    }

    pub fn applying(&self) -> bool {
        matches!(self.stage, ModalStage::Applying(_))
    }

    /// The text a `Confirm` stage needs typed (`None`: `y` confirms).
    pub fn expected_text(&self) -> Option<String> {
        match &self.stage {
            ModalStage::Confirm(plan) => plan.view().typed_confirmation(),
            _ => None,
        }
    }
}

/// A typed confirmation's text field (tui-input), compared by its text and cursor.
#[derive(Debug, Clone, Default)]
pub struct TypedText(pub tui_input::Input);

impl TypedText {
    pub fn value(&self) -> &str {
        self.0.value()
    }
}

impl PartialEq for TypedText {
    fn eq(&self, other: &Self) -> bool {
        self.0.value() == other.0.value() && self.0.cursor() == other.0.cursor()
    }
}

/// How a toast reads: its symbol and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastTone {
    Info,
    Success,
    Warning,
    Failure,
}

/// One line in the hint bar's place for a few seconds (or until the next key).
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub tone: ToastTone,
    pub text: String,
    pub since: Instant,
}

impl Toast {
    pub fn expired(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.since) >= TOAST_FOR
    }
}

/// The row an action key acts on.
pub fn target_of(item: &ProgressItem) -> StatusTarget {
    match item.kind {
        ParentKind::Broadcast => StatusTarget::broadcast(item.id),
        ParentKind::Campaign => StatusTarget::campaign(item.id),
    }
}

/// `broadcast "Summer savings"`.
pub fn subject_of(item: &ProgressItem) -> String {
    format!("{} \"{}\"", item.kind.label(), item.name)
}

/// The toast for an apply's answer: what changed, what was skipped or failed and why;
/// a missing audit record is said too.
pub fn outcome_toast(
    plan: &ActionPlan,
    result: &Result<ActionOutcome, String>,
) -> (ToastTone, String) {
    let action = plan.action();
    let name = action.name();
    let subject = plan.view().subject();
    let done = match subject.as_str() {
        "" => action.done().to_string(),
        subject => format!("{} {subject}", action.done()),
    };
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) => return (ToastTone::Failure, format!("{name} failed: {e}")),
    };
    let first_problem = outcome.rows.iter().find_map(|r| match &r.result {
        AuditResult::Changed => None,
        AuditResult::Skipped(why) => Some(("skipped", why)),
        AuditResult::Failed(why) => Some(("failed", why)),
    });
    let (mut tone, mut text) = match (outcome.rows.len(), first_problem) {
        (0, _) => (ToastTone::Info, format!("{name}: nothing changed")),
        (_, None) => (
            ToastTone::Success,
            format!("{done}: {} changed", outcome.changed),
        ),
        (1, Some((how, why))) => {
            let tone = if how == "failed" {
                ToastTone::Failure
            } else {
                ToastTone::Warning
            };
            (tone, format!("{name} {how}: {why}"))
        }
        (_, Some((how, why))) => {
            let tone = if outcome.changed == 0 && outcome.failed > 0 {
                ToastTone::Failure
            } else {
                ToastTone::Warning
            };
            let counts = format!(
                "{} changed, {} skipped, {} failed",
                outcome.changed, outcome.skipped, outcome.failed
            );
            (tone, format!("{done}: {counts} (first {how}: {why})"))
        }
    };
    if let Some(audit) = outcome.audit_errors.first() {
        if tone == ToastTone::Success {
            tone = ToastTone::Warning;
        }
        text.push_str(&format!(" (audit record not written: {audit})"));
    }
    (tone, text)
}

/// The toast once a test broadcast's calls were followed (`summary`) or left to the
/// provider (`None`): each destination, masked, with how it ended.
pub fn test_broadcast_toast(
    outcome: &ActionOutcome,
    summary: Option<&FollowSummary>,
) -> (ToastTone, String) {
    let Some(summary) = summary else {
        return (
            ToastTone::Info,
            format!(
                "test broadcast: {} calls placed, no longer followed",
                outcome.changed
            ),
        );
    };
    let calls: Vec<String> = summary
        .calls
        .iter()
        .map(|call| {
            let how = match (&call.final_status, call.placed) {
                (Some(status), _) => status.clone(),
                (None, Some(placed)) => placed.as_str().replace('_', " "),
                (None, None) => "not placed".to_string(),
            };
            format!("{} {}", call.to_masked(), sanitize_provider_text(&how))
        })
        .collect();
    let placed = summary
        .calls
        .iter()
        .any(|c| c.placed == Some(Placement::Placed));
    let (tone, how) = match (summary.all_finished(), placed) {
        (true, _) => (ToastTone::Success, "finished"),
        (false, true) => (ToastTone::Warning, "done, not all fine"),
        (false, false) => (ToastTone::Failure, "failed"),
    };
    (tone, format!("test broadcast {how}: {}", calls.join(", ")))
}
