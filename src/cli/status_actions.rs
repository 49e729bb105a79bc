//! `launchdeck pause` / `resume (--broadcast ID | --campaign ID) [--yes] [--json]`:
//! print the plan (exit 3 without `--yes`), or apply it and print the result
//! (product.md Decision 8).

use clap::{ArgGroup, Args};
use launchdeck_core::actions::StatusTarget;
use launchdeck_core::config::LoadedConfig;
use launchdeck_ops::actions::audit::AUDIT_FILE_NAME;
use launchdeck_ops::actions::{
    ActionContext, ActionError, ActionOutcome, PlanStep, StatusPlan, pause, resume,
};
use launchdeck_store::Store;
use serde::Serialize;
use uuid::Uuid;

use super::connect::{ConnectError, open_store, runtime, scope};
use super::exit::Exit;
use super::output::Mark;
use super::{Context, report_error};

#[derive(Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broadcast", "campaign"])))]
pub struct StatusArgs {
    /// The voice broadcast (voice_broadcasts.id)
    #[arg(long, value_name = "ID")]
    pub broadcast: Option<Uuid>,
    /// The campaign (campaigns.id)
    #[arg(long, value_name = "ID")]
    pub campaign: Option<Uuid>,
    /// Apply the plan; without it the plan is printed and nothing changes (exit 3)
    #[arg(long)]
    pub yes: bool,
    /// Machine-readable output (schema_version 1, documented in the README)
    #[arg(long)]
    pub json: bool,
}

impl StatusArgs {
    fn target(&self) -> Option<StatusTarget> {
        self.broadcast
            .map(StatusTarget::broadcast)
            .or(self.campaign.map(StatusTarget::campaign))
    }
}

/// Which of the two actions runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    Pause,
    Resume,
}

impl StatusAction {
    fn name(self) -> &'static str {
        match self {
            StatusAction::Pause => pause::ACTION,
            StatusAction::Resume => resume::ACTION,
        }
    }

    fn past(self) -> &'static str {
        match self {
            StatusAction::Pause => "paused",
            StatusAction::Resume => "resumed",
        }
    }

    async fn plan(
        self,
        store: &dyn Store,
        ctx: &ActionContext,
        target: StatusTarget,
    ) -> Result<StatusPlan, ActionError> {
        match self {
            StatusAction::Pause => pause::plan(store, ctx, target).await,
            StatusAction::Resume => resume::plan(store, ctx, target).await,
        }
    }

    async fn apply(
        self,
        store: &dyn Store,
        ctx: &ActionContext,
        plan: &StatusPlan,
    ) -> Result<ActionOutcome, ActionError> {
        match self {
            StatusAction::Pause => pause::apply(store, ctx, plan).await,
            StatusAction::Resume => resume::apply(store, ctx, plan).await,
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Action(#[from] ActionError),
}

pub fn run(action: StatusAction, args: StatusArgs, ctx: &Context) -> Exit {
    if ctx.global.read_only {
        return refuse_read_only(action, "--read-only");
    }
    let Some(target) = args.target() else {
        return report_error("name the target with --broadcast ID or --campaign ID");
    };
    let loaded = match ctx.load_config() {
        Ok(loaded) => loaded,
        Err(e) => return report_error(e),
    };
    if loaded.config.ui.read_only {
        return refuse_read_only(action, "[ui] read_only in the configuration");
    }
    let action_ctx = match action_context(&loaded) {
        Ok(action_ctx) => action_ctx,
        Err(e) => return report_error(e),
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return report_error(format!("cannot start the async runtime: {e}")),
    };
    let result = rt.block_on(async {
        let store = open_store(&loaded).await?;
        let plan = action.plan(store.as_ref(), &action_ctx, target).await?;
        let outcome = if args.yes && plan.will_change() {
            Some(action.apply(store.as_ref(), &action_ctx, &plan).await?)
        } else {
            None
        };
        Ok::<_, RunError>((plan, outcome))
    });
    match result {
        Ok((plan, outcome)) => report(action, &args, &plan, outcome.as_ref(), ctx),
        Err(e) => report_error(e),
    }
}

/// Refused before connecting: read-only mode makes no writes of any kind.
fn refuse_read_only(action: StatusAction, source: &str) -> Exit {
    report_error(format!(
        "read-only mode ({source}): `launchdeck {}` changes the database, so nothing was \
         done; run it without read-only mode",
        action.name()
    ))
}

fn action_context(loaded: &LoadedConfig) -> Result<ActionContext, String> {
    let data_dir = loaded.data_dir().map_err(|e| {
        format!("{e}; an action needs the data dir for its audit file (set LAUNCHDECK_DATA_DIR)")
    })?;
    Ok(ActionContext::new(
        scope(&loaded.config),
        data_dir.join(AUDIT_FILE_NAME),
        loaded.config.ui.read_only,
    ))
}

fn report(
    action: StatusAction,
    args: &StatusArgs,
    plan: &StatusPlan,
    outcome: Option<&ActionOutcome>,
    ctx: &Context,
) -> Exit {
    if args.json {
        match serde_json::to_string_pretty(&json_report(plan, outcome)) {
            Ok(text) => println!("{text}"),
            Err(e) => return report_error(format!("cannot encode JSON: {e}")),
        }
    }
    if plan.target_unavailable() {
        return report_error(format!(
            "{}; check the id (`launchdeck check` lists broadcasts and campaigns)",
            plan.describe()
        ));
    }
    match outcome {
        None if plan.will_change() && !args.yes => {
            if !args.json {
                println!("Plan: {}", plan.describe());
            }
            eprintln!("Nothing changed yet: add --yes to {} it.", action.name());
            Exit::NeedsConfirmation
        }
        None => {
            if !args.json {
                println!("{} {}", ctx.painter.mark(Mark::Ok), plan.describe());
            }
            Exit::Done
        }
        Some(outcome) => {
            if !args.json {
                print_outcome(action, plan, outcome, ctx);
            }
            for error in &outcome.audit_errors {
                eprintln!("error: {error}");
            }
            if outcome.clean() {
                Exit::Done
            } else {
                Exit::Failures
            }
        }
    }
}

fn print_outcome(action: StatusAction, plan: &StatusPlan, outcome: &ActionOutcome, ctx: &Context) {
    let noun = plan.target.table.noun();
    for row in &outcome.rows {
        let (mark, what) = match &row.result {
            launchdeck_core::actions::AuditResult::Changed => (
                Mark::Ok,
                format!("{} {noun} \"{}\"", action.past(), row.name),
            ),
            launchdeck_core::actions::AuditResult::Skipped(why) => (
                Mark::Warn,
                format!("skipped {noun} \"{}\": {why}", row.name),
            ),
            launchdeck_core::actions::AuditResult::Failed(why) => {
                (Mark::Fail, format!("failed {noun} \"{}\": {why}", row.name))
            }
        };
        let now = row.status_now.as_deref().unwrap_or("unknown");
        println!("{} {what} (status now: {now})", ctx.painter.mark(mark));
    }
    println!(
        "changed {}, skipped {}, failed {}; audited in launchdeck.audit_log and {}",
        outcome.changed, outcome.skipped, outcome.failed, AUDIT_FILE_NAME
    );
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    action: &'a str,
    target: JsonTarget,
    plan: JsonPlan,
    applied: bool,
    result: Option<JsonResult>,
}

#[derive(Serialize)]
struct JsonTarget {
    kind: &'static str,
    table: &'static str,
    id: Uuid,
    name: Option<String>,
    status: Option<String>,
}

#[derive(Serialize)]
struct JsonPlan {
    will_change: bool,
    from: Option<String>,
    to: Option<String>,
    summary: String,
}

#[derive(Serialize)]
struct JsonResult {
    changed: u32,
    skipped: u32,
    failed: u32,
    rows: Vec<JsonRow>,
    audit_errors: Vec<String>,
}

#[derive(Serialize)]
struct JsonRow {
    table: &'static str,
    id: Uuid,
    name: String,
    result: String,
    status_now: Option<String>,
}

fn json_report<'a>(plan: &'a StatusPlan, outcome: Option<&ActionOutcome>) -> JsonReport<'a> {
    let (from, to) = match &plan.step {
        PlanStep::Change { from, to } => (Some(from.clone()), Some(to.clone())),
        PlanStep::Nothing(_) => (None, None),
    };
    JsonReport {
        schema_version: 1,
        action: plan.action,
        target: JsonTarget {
            kind: plan.target.table.noun(),
            table: plan.target.table.as_str(),
            id: plan.target.id,
            name: plan.name(),
            status: plan.row.as_ref().map(|r| r.status.clone()),
        },
        plan: JsonPlan {
            will_change: plan.will_change(),
            from,
            to,
            summary: plan.describe(),
        },
        applied: outcome.is_some(),
        result: outcome.map(|o| JsonResult {
            changed: o.changed,
            skipped: o.skipped,
            failed: o.failed,
            rows: o
                .rows
                .iter()
                .map(|r| JsonRow {
                    table: r.table,
                    id: r.id,
                    name: r.name.clone(),
                    result: r.result.to_string(),
                    status_now: r.status_now.clone(),
                })
                .collect(),
            audit_errors: o.audit_errors.clone(),
        }),
    }
}
