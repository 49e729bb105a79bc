//! The headless operator actions (product.md Decision 8): read the plan and print it
//! (exit 3 without `--yes`), or apply it and print the result. Every action command
//! goes through [`run`] with its [`ActionRequest`]; the work is launchdeck-ops'.

use std::io::Write;

use clap::Args;
use launchdeck_core::actions::AuditResult;
use launchdeck_core::config::LoadedConfig;
use launchdeck_ops::actions::audit::AUDIT_FILE_NAME;
use launchdeck_ops::actions::{
    self, ActionContext, ActionEnv, ActionError, ActionOutcome, ActionPlan, ActionRequest,
    OperatorAction,
};
use launchdeck_ops::{GatherOptions, Gatherer};
use serde::Serialize;
use tokio::signal::unix::{SignalKind, signal};
use uuid::Uuid;

use super::connect::{ConnectError, open_store, runtime, scope};
use super::exit::Exit;
use super::output::{Mark, Painter};
use super::status_actions;
use super::{Context, logging, report_error};

/// The options every action command takes.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct ConfirmArgs {
    /// Apply the plan; without it the plan is printed and nothing changes (exit 3)
    #[arg(long)]
    pub yes: bool,
    /// Print the plan and exit 0 without changing anything, even with --yes
    #[arg(long)]
    pub dry_run: bool,
    /// Machine-readable output (schema_version 1, documented in the README)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, thiserror::Error)]
pub(super) enum RunError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Action(#[from] ActionError),
    #[error("cannot listen for ctrl-c: {0}")]
    Signal(String),
}

/// What every action command sets up before it connects: the configuration (read-only
/// refused first), the log file, the audit context and the runtime.
pub(super) struct Started {
    pub loaded: LoadedConfig,
    pub action_ctx: ActionContext,
    pub rt: tokio::runtime::Runtime,
    /// Keeps the log file open while the command runs.
    pub _log: Option<logging::LogGuard>,
}

/// Refuses read-only mode before connecting, loads the configuration, opens the log
/// file (an unusable one does not stop the action) and starts the runtime.
pub(super) fn start(action: OperatorAction, ctx: &Context) -> Result<Started, Exit> {
    if ctx.global.read_only {
        return Err(refuse_read_only(action, "--read-only"));
    }
    let loaded = ctx.load_config().map_err(report_error)?;
    if loaded.config.ui.read_only {
        return Err(refuse_read_only(
            action,
            "[ui] read_only in the configuration",
        ));
    }
    // Logs go to the file only, as for `check`; an unusable log file does not stop it.
    let log = logging::init_logging(&loaded, &ctx.global, &ctx.env)
        .map_err(|problem| eprintln!("warning: {problem}; continuing without a log file"))
        .ok();
    tracing::info!(action = action.name(), "action started");
    let action_ctx = action_context(&loaded).map_err(report_error)?;
    let rt = runtime().map_err(|e| report_error(format!("cannot start the async runtime: {e}")))?;
    Ok(Started {
        loaded,
        action_ctx,
        rt,
        _log: log,
    })
}

/// Plans `request`, and applies it when `--yes` was given and it changes something.
pub fn run(request: ActionRequest, args: ConfirmArgs, ctx: &Context) -> Exit {
    let Started {
        loaded,
        action_ctx,
        rt,
        _log,
    } = match start(request.action(), ctx) {
        Ok(started) => started,
        Err(exit) => return exit,
    };
    let apply = args.yes && !args.dry_run;
    let result = rt.block_on(async {
        let store = open_store(&loaded).await?;
        let providers = Gatherer::from_loaded(&loaded, store.clone(), GatherOptions::default());
        let env = ActionEnv::new(store, providers, action_ctx);
        let plan = actions::plan(&env, request).await?;
        // A named target that is not there refuses the whole command (exit 2), so
        // nothing may change, not even the targets that are there.
        let refused = plan.view().target_unavailable() || plan.view().refusal().is_some();
        let outcome = if apply && plan.will_change() && !refused {
            Some(apply_whole(&env, &plan).await?)
        } else {
            None
        };
        Ok::<_, RunError>((plan, outcome))
    });
    match result {
        Ok((plan, outcome)) => report(&plan, outcome.as_ref(), args, ctx),
        Err(e) => report_error(e),
    }
}

/// Applies `plan` to its end even when SIGHUP, SIGTERM or SIGINT arrives meanwhile
/// (product.md Decision 9): ended by the signal's default, the process could leave a
/// change committed but not audited. The change under way is bounded by the database's
/// timeouts, so it ends soon; the command then reports and exits as usual.
async fn apply_whole(env: &ActionEnv, plan: &ActionPlan) -> Result<ActionOutcome, RunError> {
    let listen = |kind: SignalKind| signal(kind).map_err(|e| RunError::Signal(e.to_string()));
    let (mut hangup, mut terminate, mut interrupt) = (
        listen(SignalKind::hangup())?,
        listen(SignalKind::terminate())?,
        listen(SignalKind::interrupt())?,
    );
    let apply = actions::apply(env, plan);
    tokio::pin!(apply);
    loop {
        let name = tokio::select! {
            outcome = &mut apply => return Ok(outcome?),
            _ = hangup.recv() => "SIGHUP",
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        tracing::warn!(
            signal = name,
            "signal while applying: finishing the change first"
        );
        // stderr may be gone with the terminal (SIGHUP): a failed note is no reason to stop.
        let _ = writeln!(
            std::io::stderr(),
            "{name}: finishing the change under way first (it commits whole or not at all, \
             and is audited), then exiting"
        );
    }
}

/// Refused before connecting: read-only mode makes no writes of any kind.
fn refuse_read_only(action: OperatorAction, source: &str) -> Exit {
    report_error(format!(
        "read-only mode ({source}): `launchdeck {}` changes the platform, so nothing was \
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
    plan: &ActionPlan,
    outcome: Option<&ActionOutcome>,
    args: ConfirmArgs,
    ctx: &Context,
) -> Exit {
    if args.json {
        let printed = match plan.status_plan() {
            Some(status) => {
                serde_json::to_string_pretty(&status_actions::json_report(status, outcome))
            }
            None => serde_json::to_string_pretty(&json_report(plan, outcome)),
        };
        match printed {
            Ok(text) => println!("{text}"),
            Err(e) => return report_error(format!("cannot encode JSON: {e}")),
        }
    }
    let view = plan.view();
    if view.target_unavailable() {
        return report_error(format!(
            "{}; nothing was changed: check the id (`launchdeck check` lists broadcasts and \
             campaigns, `launchdeck calls` the calls in flight)",
            view.summary()
        ));
    }
    if let Some(why) = view.refusal() {
        if !args.json {
            print_plan(plan, &ctx.painter);
        }
        return report_error(why);
    }
    match outcome {
        None if view.will_change() && !args.yes && !args.dry_run => {
            if !args.json {
                print_plan(plan, &ctx.painter);
            }
            eprintln!(
                "Nothing changed yet: {} (or --dry-run to only preview).",
                view.how_to_confirm()
            );
            Exit::NeedsConfirmation
        }
        None => {
            if !args.json {
                print_plan(plan, &ctx.painter);
                if args.dry_run && view.will_change() {
                    eprintln!("Dry run: nothing was changed.");
                }
            }
            Exit::Done
        }
        Some(outcome) => {
            if !args.json {
                print_outcome(plan, outcome, ctx);
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

pub(super) fn print_plan(plan: &ActionPlan, painter: &Painter) {
    let view = plan.view();
    let label = if view.will_change() {
        "Plan"
    } else {
        "Nothing to do"
    };
    println!("{label}: {}", painter.text(&view.summary()));
    for line in view.details() {
        println!("  {}", painter.text(&line));
    }
}

fn print_outcome(plan: &ActionPlan, outcome: &ActionOutcome, ctx: &Context) {
    let done = plan.action().done();
    for row in &outcome.rows {
        let name = match plan.status_plan() {
            Some(status) => format!("{} \"{}\"", status.target.table.noun(), row.name),
            None => row.name.clone(),
        };
        let (mark, what) = match &row.result {
            AuditResult::Changed => (Mark::Ok, format!("{done} {name}")),
            AuditResult::Skipped(why) => (Mark::Warn, format!("skipped {name}: {why}")),
            AuditResult::Failed(why) => (Mark::Fail, format!("failed {name}: {why}")),
        };
        let now = row.status_now.as_deref().unwrap_or("unknown");
        let line = format!("{what} (status now: {now})");
        println!("{} {}", ctx.painter.mark(mark), ctx.painter.text(&line));
    }
    let audited = if outcome.audit_errors.is_empty() {
        format!("audited in launchdeck.audit_log and {AUDIT_FILE_NAME}")
    } else {
        "not every audit record was written (below)".to_string()
    };
    println!(
        "changed {}, skipped {}, failed {}; {audited}",
        outcome.changed, outcome.skipped, outcome.failed
    );
}

/// product.md "actions" JSON: the plan, then (with `--yes`) what happened to each row.
#[derive(Serialize)]
pub(super) struct JsonReport {
    schema_version: u32,
    action: &'static str,
    summary: String,
    details: Vec<String>,
    will_change: bool,
    planned: usize,
    applied: bool,
    changed: u32,
    skipped: u32,
    failed: u32,
    rows: Vec<JsonRow>,
    audit_errors: Vec<String>,
}

#[derive(Serialize)]
struct JsonRow {
    source: &'static str,
    id: Uuid,
    name: String,
    from: Option<String>,
    to: Option<String>,
    result: String,
}

pub(super) fn json_report(plan: &ActionPlan, outcome: Option<&ActionOutcome>) -> JsonReport {
    let view = plan.view();
    let empty = ActionOutcome::default();
    let done = outcome.unwrap_or(&empty);
    JsonReport {
        schema_version: 1,
        action: plan.action().name(),
        summary: view.summary(),
        details: view.details(),
        will_change: view.will_change(),
        planned: view.planned(),
        applied: outcome.is_some(),
        changed: done.changed,
        skipped: done.skipped,
        failed: done.failed,
        rows: done
            .rows
            .iter()
            .map(|r| JsonRow {
                source: r.table,
                id: r.id,
                name: r.name.clone(),
                from: r.from.clone(),
                to: r.status_now.clone(),
                result: r.result.to_string(),
            })
            .collect(),
        audit_errors: done.audit_errors.clone(),
    }
}
