//! The action keys' state: the confirmation modal (plan → confirm → apply) and the
//! result toast. The work itself is `launchdeck_ops::actions`; the runtime runs it on
//! tasks (`poll::ActionRunner`) and the answers come back as messages.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use launchdeck_core::actions::{AuditResult, StatusTarget};
use launchdeck_core::redact::sanitize_provider_text;
use launchdeck_ops::actions::{ActionContext, ActionOutcome, StatusPlan, pause, resume};
use launchdeck_store::Store;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::app::Msg;
use crate::model::{ParentKind, ProgressItem};
use crate::options::TuiOptions;

/// How long a toast stays when no key is pressed.
pub const TOAST_FOR: Duration = Duration::from_secs(6);

/// The actions the keys start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Pause,
    Resume,
}

impl ActionKind {
    /// The action's name, as in the audit log: `pause`.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Pause => "pause",
            ActionKind::Resume => "resume",
        }
    }

    /// Shown while the change is being written: `pausing…`.
    pub fn doing(self) -> &'static str {
        match self {
            ActionKind::Pause => "pausing",
            ActionKind::Resume => "resuming",
        }
    }

    /// Starts the result toast: `paused`.
    pub fn done(self) -> &'static str {
        match self {
            ActionKind::Pause => "paused",
            ActionKind::Resume => "resumed",
        }
    }
}

/// What the modal is showing.
#[derive(Debug, Clone, PartialEq)]
pub enum ModalStage {
    /// The plan is being read from the database.
    Reading,
    /// The plan changes something: `y` applies it, `n`/`esc` cancels.
    Confirm(StatusPlan),
    /// The plan changes nothing; it says why. `esc`/`enter` closes.
    Nothing(StatusPlan),
    /// `y` was pressed: the change is being written. Keys wait.
    Applying(StatusPlan),
}

/// The confirmation modal of one action.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionModal {
    /// Matches the answers to the request that asked for them (a cancelled request's
    /// late answer is ignored).
    pub id: u64,
    pub kind: ActionKind,
    /// What the key acted on, as the Overview showed it: `broadcast "Summer savings"`.
    pub subject: String,
    pub stage: ModalStage,
    /// When the current stage began (turns the spinner).
    pub since: Instant,
}

impl ActionModal {
    /// Waiting for a task: the plan or the apply.
    pub fn busy(&self) -> bool {
        matches!(self.stage, ModalStage::Reading | ModalStage::Applying(_))
    }

    pub fn applying(&self) -> bool {
        matches!(self.stage, ModalStage::Applying(_))
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

/// The toast for an apply's answer: what changed, what was skipped and why, or why it
/// failed; a missing audit record is said too.
pub fn outcome_toast(
    kind: ActionKind,
    plan: &StatusPlan,
    result: &Result<ActionOutcome, String>,
) -> (ToastTone, String) {
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) => return (ToastTone::Failure, format!("{} failed: {e}", kind.name())),
    };
    let noun = plan.target.table.noun();
    let name = plan.name().unwrap_or_default();
    let (mut tone, mut text) = match outcome.rows.first().map(|r| &r.result) {
        Some(AuditResult::Changed) => (
            ToastTone::Success,
            format!(
                "{} {noun} \"{name}\": {} changed",
                kind.done(),
                outcome.changed
            ),
        ),
        Some(AuditResult::Skipped(why)) => (
            ToastTone::Warning,
            format!("{} skipped: {why}", kind.name()),
        ),
        Some(AuditResult::Failed(why)) => {
            (ToastTone::Failure, format!("{} failed: {why}", kind.name()))
        }
        None => (ToastTone::Info, format!("{}: nothing changed", kind.name())),
    };
    if let Some(audit) = outcome.audit_errors.first() {
        if tone == ToastTone::Success {
            tone = ToastTone::Warning;
        }
        text.push_str(&format!(" (audit record not written: {audit})"));
    }
    (tone, text)
}

/// Runs the plans and applies the keys ask for, each on its own task; the answers come
/// back as [`Msg::ActionPlanned`] and [`Msg::ActionDone`]. Dropping it cancels them.
pub struct ActionRunner {
    store: Arc<dyn Store>,
    /// `None` without a data dir for the audit file (`update` then starts nothing).
    context: Option<ActionContext>,
    tx: mpsc::Sender<Msg>,
    tasks: Mutex<JoinSet<()>>,
}

impl ActionRunner {
    pub fn new(store: Arc<dyn Store>, options: &TuiOptions, tx: mpsc::Sender<Msg>) -> Self {
        let context = options
            .audit_file
            .clone()
            .map(|file| ActionContext::new(options.scope, file, options.read_only));
        ActionRunner {
            store,
            context,
            tx,
            tasks: Mutex::new(JoinSet::new()),
        }
    }

    /// Reads what `kind` would change on `target`; must be called within the runtime.
    pub fn plan(&self, id: u64, kind: ActionKind, target: StatusTarget) {
        let (store, context) = (self.store.clone(), self.context.clone());
        self.spawn(async move {
            let Some(ctx) = context else {
                let result = Err(no_audit_file(kind));
                return Msg::ActionPlanned { id, result };
            };
            let planned = match kind {
                ActionKind::Pause => pause::plan(store.as_ref(), &ctx, target).await,
                ActionKind::Resume => resume::plan(store.as_ref(), &ctx, target).await,
            };
            let result = planned.map_err(|e| sanitize_provider_text(&e.to_string()));
            Msg::ActionPlanned { id, result }
        });
    }

    /// Applies a confirmed plan; must be called within the runtime.
    pub fn apply(&self, id: u64, kind: ActionKind, plan: StatusPlan) {
        let (store, context) = (self.store.clone(), self.context.clone());
        self.spawn(async move {
            let result = match context {
                None => Err(no_audit_file(kind)),
                Some(ctx) => {
                    let applied = match kind {
                        ActionKind::Pause => pause::apply(store.as_ref(), &ctx, &plan).await,
                        ActionKind::Resume => resume::apply(store.as_ref(), &ctx, &plan).await,
                    };
                    applied.map_err(|e| sanitize_provider_text(&e.to_string()))
                }
            };
            if let Err(e) = &result {
                tracing::warn!(action = kind.name(), error = %e, "action not applied");
            }
            Msg::ActionDone {
                id,
                kind,
                plan,
                result,
            }
        });
    }

    fn spawn(&self, work: impl Future<Output = Msg> + Send + 'static) {
        let tx = self.tx.clone();
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        while tasks.try_join_next().is_some() {}
        tasks.spawn(async move {
            let answer = work.await;
            // A failed send means the UI has gone: nothing is waiting for the answer.
            let _ = tx.send(answer).await;
        });
    }
}

fn no_audit_file(kind: ActionKind) -> String {
    format!(
        "{} needs a data dir for its audit file: set LAUNCHDECK_DATA_DIR and restart",
        kind.name()
    )
}
