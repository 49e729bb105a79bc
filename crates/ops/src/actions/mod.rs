//! Operator actions: preview → confirm → one conditional transaction → result → audit
//! (product.md "Actions"). Each action is a file with a `plan` (read the rows, say what
//! will change or why nothing will) and an `apply` (the conditional write, the counts,
//! the audit records). The CLI and the TUI's keys call the same functions:
//!
//! ```text
//! let ctx = ActionContext::new(scope, data_dir.join("audit.jsonl"), read_only);
//! let plan = pause::plan(store, &ctx, StatusTarget::broadcast(id)).await?;  // preview
//! println!("{}", plan.describe());
//! // … the operator confirms …
//! let outcome = pause::apply(store, &ctx, &plan).await?;                   // changed/skipped/failed
//! ```
//!
//! `apply` changes only what the plan previewed, conditional on the row still being as
//! previewed; a row that moved on is skipped and reported. Audit records are written
//! after the transaction commits, to the database and to `audit.jsonl`.

pub mod acknowledge;
pub mod audit;
pub mod cleanup;
mod operator;
pub mod outbound_agent;
pub mod pause;
pub mod resume;
mod status;
pub mod stop;
mod support;
pub mod test_broadcast;
pub mod tokens;

use std::path::PathBuf;
use std::sync::Arc;

use launchdeck_core::actions::AuditResult;
use launchdeck_core::domain::Scope;
use launchdeck_store::{Store, StoreError};

use crate::Gatherer;

pub use operator::{ActionPlan, ActionRequest, OperatorAction, apply, plan};
pub use status::{NoChange, PlanStep, StatusPlan};

/// Who runs actions, in which scope, and where their audit records go.
#[derive(Debug, Clone)]
pub struct ActionContext {
    /// `--user` / `--org`: rows outside it are refused in the plan.
    pub scope: Scope,
    /// `user@host`, recorded in every audit record.
    pub actor: String,
    /// `--read-only` (or the demo's read-only flag): every apply is refused.
    pub read_only: bool,
    /// The local audit trail, `audit.jsonl` in the data dir.
    pub audit_file: PathBuf,
}

impl ActionContext {
    /// A context whose actor is this process's OS user and host.
    pub fn new(scope: Scope, audit_file: PathBuf, read_only: bool) -> Self {
        ActionContext {
            scope,
            actor: audit::os_actor(),
            read_only,
            audit_file,
        }
    }

    /// Refuses `action` in read-only mode.
    pub fn refuse_read_only(&self, action: &'static str) -> Result<(), ActionError> {
        if self.read_only {
            return Err(ActionError::ReadOnly(action));
        }
        Ok(())
    }
}

/// Everything an action needs: the database, the provider clients (with their paced
/// request lanes, shared with readiness), and who acts in which scope.
#[derive(Clone)]
pub struct ActionEnv {
    pub store: Arc<dyn Store>,
    /// The provider clients and the configured thresholds.
    pub providers: Gatherer,
    pub ctx: ActionContext,
}

impl ActionEnv {
    pub fn new(store: Arc<dyn Store>, providers: Gatherer, ctx: ActionContext) -> Self {
        ActionEnv {
            store,
            providers,
            ctx,
        }
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Checks, before any write, that the audit trail can take the records: an action
    /// that could not be audited is not applied.
    pub async fn prepare_audit(&self) -> Result<(), ActionError> {
        prepare_audit(self.store()).await
    }
}

/// [`ActionEnv::prepare_audit`] for callers holding only the store.
pub(crate) async fn prepare_audit(store: &dyn Store) -> Result<(), ActionError> {
    store
        .prepare_audit()
        .await
        .map_err(ActionError::AuditUnavailable)
}

/// What every plan says about itself, for the command line and the console's modal.
pub trait PlanView {
    /// Whether applying it would change anything.
    fn will_change(&self) -> bool;
    /// One line: what will change, or why nothing will.
    fn summary(&self) -> String;
    /// What it acts on, for a result line: `broadcast "Spring promo"`, `14 stuck calls`
    /// (empty: the action's name says it all).
    fn subject(&self) -> String {
        String::new()
    }
    /// The counts and rows listed under the summary (terminal-safe, numbers masked).
    fn details(&self) -> Vec<String> {
        Vec::new()
    }
    /// How many rows (or items) applying it would change.
    fn planned(&self) -> usize {
        usize::from(self.will_change())
    }
    /// Nothing to act on because the named target is unknown or outside the scope
    /// (headless: exit 2).
    fn target_unavailable(&self) -> bool {
        false
    }
    /// The plan may not be applied as asked (e.g. a typed confirmation that does not
    /// match): why. Headless: exit 2, nothing applied.
    fn refusal(&self) -> Option<String> {
        None
    }
    /// What the operator adds to a headless command to apply the plan.
    fn how_to_confirm(&self) -> String {
        "add --yes to apply it".to_string()
    }
    /// The text the console's modal asks the operator to type before it applies the
    /// plan (instead of `y`), e.g. the name of what an emergency stop stops.
    fn typed_confirmation(&self) -> Option<String> {
        None
    }
    /// The condition the change is written under, for the modal's `change` line.
    fn condition(&self) -> String {
        "only rows still as shown when you confirm (a row that moved on is skipped, never \
         overwritten)"
            .to_string()
    }
}

/// Why an action could not run at all (nothing was changed).
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("read-only mode: {0} changes the database; run without --read-only to do it")]
    ReadOnly(&'static str),
    #[error("cannot read {what}: {source}")]
    Read {
        what: String,
        #[source]
        source: StoreError,
    },
    #[error(
        "cannot prepare launchdeck's audit table, so nothing was changed: {0} (the role needs \
         CREATE on the database, or a `launchdeck` schema it owns; see the README's \
         \"Database access\")"
    )]
    AuditUnavailable(#[source] StoreError),
    /// A provider the action needs has no client; the text names the settings.
    #[error("{0}")]
    NotConfigured(String),
    /// A provider could not answer the question the plan needs (nothing was changed).
    #[error("{0}")]
    Provider(String),
    /// The plan may not be applied as asked; the text says why (nothing was changed).
    #[error("{0}")]
    Refused(String),
    /// The plan was applied before: an action that dials never runs twice from one
    /// confirmation.
    #[error("{0}")]
    AlreadyApplied(String),
    /// A write the action needs before anything else failed (nothing else was done).
    #[error("cannot write {what}: {source}")]
    Write {
        what: String,
        #[source]
        source: StoreError,
    },
}

/// How one row of an action ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RowOutcome {
    pub table: &'static str,
    pub id: uuid::Uuid,
    pub name: String,
    pub result: AuditResult,
    /// The row's status (or changed value) as previewed.
    pub from: Option<String>,
    /// The row's status after the action (`None` when it could not be read).
    pub status_now: Option<String>,
}

/// The result of `apply`: counts, each row, and any audit record that could not be
/// written (the change itself stands).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionOutcome {
    pub changed: u32,
    pub skipped: u32,
    pub failed: u32,
    pub rows: Vec<RowOutcome>,
    pub audit_errors: Vec<String>,
}

impl ActionOutcome {
    pub fn push(&mut self, row: RowOutcome) {
        match row.result {
            AuditResult::Changed => self.changed += 1,
            AuditResult::Skipped(_) => self.skipped += 1,
            AuditResult::Failed(_) => self.failed += 1,
        }
        self.rows.push(row);
    }

    /// Everything previewed changed and was audited.
    pub fn clean(&self) -> bool {
        self.skipped == 0 && self.failed == 0 && self.audit_errors.is_empty()
    }
}
