//! `launchdeck test-broadcast (--broadcast ID | --campaign ID) --to E164... [--agent ID]
//! [--override-readiness] [--dry-run] [--yes] [--json]`: the small test broadcast.
//!
//! Without `--yes` the plan is printed (exit 3). With `--yes` the calls are placed,
//! then followed (one progress line per change on stderr) until each ends. Exit codes:
//! 0 every call placed and finished; 1 a call rejected, failed, still unknown or left
//! live (or the follow was cancelled with ctrl-c); 2 could not run (refused input,
//! readiness blocked without override, unknown target, bad configuration);
//! 3 confirmation needed.

use clap::{ArgAction, Args};
use launchdeck_ops::actions::audit::AUDIT_FILE_NAME;
use launchdeck_ops::actions::test_broadcast::{
    self, FollowSummary, Placement, TestBroadcastRequest, TestCall, TestTarget,
};
use launchdeck_ops::actions::{
    self, ActionEnv, ActionOutcome, ActionPlan, ActionRequest, OperatorAction,
};
use launchdeck_ops::{GatherOptions, Gatherer};
use serde::Serialize;
use tokio::signal::unix::SignalKind;
use uuid::Uuid;

use super::actions::{ConfirmArgs, RunError, Started, json_report, print_plan, start};
use super::connect::open_store;
use super::exit::Exit;
use super::output::Mark;
use super::{Context, report_error};

#[derive(Args)]
pub struct TestBroadcastArgs {
    /// Test this broadcast (audio: Twilio plays its audio; AI: Retell with --agent)
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "campaign",
        required_unless_present = "campaign"
    )]
    pub broadcast: Option<Uuid>,
    /// Test this campaign (Retell, with the campaign's agent)
    #[arg(long, value_name = "ID")]
    pub campaign: Option<Uuid>,
    /// The numbers to call, E.164, each in [test_broadcast] allowlist (1 to max_calls);
    /// takes several values and may be repeated
    #[arg(long, value_name = "E164", num_args = 1.., action = ArgAction::Append)]
    pub to: Vec<String>,
    /// AI broadcasts: the Retell agent that takes the calls (campaigns use their own)
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
    /// Place the calls even though a blocking readiness check fails
    #[arg(long)]
    pub override_readiness: bool,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

impl TestBroadcastArgs {
    fn request(&self) -> TestBroadcastRequest {
        let target = match (self.broadcast, self.campaign) {
            (Some(id), _) => TestTarget::Broadcast(id),
            (None, Some(id)) => TestTarget::Campaign(id),
            // clap requires one of them.
            (None, None) => TestTarget::Broadcast(Uuid::nil()),
        };
        TestBroadcastRequest {
            target,
            to: self.to.clone(),
            agent: self.agent.clone(),
            override_readiness: self.override_readiness,
        }
    }
}

/// What `--yes` did: the outcome of the creates and how the calls ended.
struct Applied {
    outcome: ActionOutcome,
    summary: FollowSummary,
    cancelled: bool,
}

pub fn run(args: TestBroadcastArgs, ctx: &Context) -> Exit {
    let request = args.request();
    let Started {
        loaded,
        action_ctx,
        rt,
        _log,
    } = match start(OperatorAction::TestBroadcast, ctx) {
        Ok(started) => started,
        Err(exit) => return exit,
    };
    let confirm = args.confirm;
    let apply = confirm.yes && !confirm.dry_run;
    let json = confirm.json;
    let result = rt.block_on(async {
        let store = open_store(&loaded).await?;
        let providers = Gatherer::from_loaded(&loaded, store.clone(), GatherOptions::default());
        let env = ActionEnv::new(store, providers, action_ctx);
        let plan = actions::plan(&env, ActionRequest::TestBroadcast(request)).await?;
        let Some(tb) = plan.test_broadcast_plan() else {
            return Ok((plan, None));
        };
        if !(apply && plan.will_change() && !plan.view().target_unavailable()) {
            return Ok((plan, None));
        }
        if !json {
            println!("Placing: {}", plan.summary());
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let printer = tokio::spawn(async move {
            while let Some(change) = rx.recv().await {
                eprintln!("  {change}");
            }
        });
        // ctrl-c is caught from here on: it never cuts a create (a create cut after it
        // was sent could not be told from a lost reply); it stops the follow only.
        let mut interrupt = tokio::signal::unix::signal(SignalKind::interrupt())
            .map_err(|e| RunError::Signal(e.to_string()))?;
        let placed = test_broadcast::apply_with_progress(&env, tb, Some(&tx)).await?;
        let interrupted_while_placing = fired(&mut interrupt);
        let applied = if interrupted_while_placing {
            None
        } else {
            tokio::select! {
                summary = test_broadcast::follow(&env, tb, placed.calls.clone(), tx.clone()) => {
                    Some(summary)
                }
                _ = interrupt.recv() => None,
            }
        };
        let applied = match applied {
            Some(summary) => Applied {
                outcome: placed.outcome,
                summary,
                cancelled: false,
            },
            None => {
                eprintln!(
                    "Cancelled: calls still in flight are left as they are; `launchdeck \
                     cleanup` handles them once stuck."
                );
                Applied {
                    outcome: placed.outcome,
                    summary: FollowSummary {
                        calls: placed.calls,
                    },
                    cancelled: true,
                }
            }
        };
        drop(tx);
        let _ = printer.await;
        Ok::<_, RunError>((plan, Some(applied)))
    });
    match result {
        Ok((plan, applied)) => report(&plan, applied.as_ref(), confirm, ctx),
        Err(e) => report_error(e),
    }
}

/// One call in `--json`'s `calls`.
#[derive(Serialize)]
struct JsonCall {
    to: String,
    from: String,
    provider: &'static str,
    provider_call_id: Option<String>,
    request_id: Uuid,
    placed: Option<&'static str>,
    final_status: Option<String>,
    reason: Option<String>,
    duration_seconds: Option<i64>,
    row: Option<JsonRowRef>,
}

#[derive(Serialize)]
struct JsonRowRef {
    source: &'static str,
    id: Uuid,
}

fn json_call(call: &TestCall) -> JsonCall {
    JsonCall {
        to: call.to_masked(),
        from: call.from.clone(),
        provider: call.provider.as_str(),
        provider_call_id: call.provider_call_id.clone(),
        request_id: call.request_id,
        placed: call.placed.map(Placement::as_str),
        final_status: call.final_status.clone(),
        reason: call.reason.clone(),
        duration_seconds: call.duration_seconds,
        row: call.row.map(|(source, id)| JsonRowRef {
            source: source.as_str(),
            id,
        }),
    }
}

fn report(plan: &ActionPlan, applied: Option<&Applied>, args: ConfirmArgs, ctx: &Context) -> Exit {
    if args.json {
        let mut value = match serde_json::to_value(json_report(plan, applied.map(|a| &a.outcome))) {
            Ok(value) => value,
            Err(e) => return report_error(format!("cannot encode JSON: {e}")),
        };
        let calls: Vec<JsonCall> = applied
            .map(|a| a.summary.calls.iter().map(json_call).collect())
            .unwrap_or_default();
        value["calls"] = serde_json::to_value(calls).unwrap_or_default();
        if let Some(a) = applied {
            value["cancelled"] = serde_json::Value::Bool(a.cancelled);
        }
        match serde_json::to_string_pretty(&value) {
            Ok(text) => println!("{text}"),
            Err(e) => return report_error(format!("cannot encode JSON: {e}")),
        }
    }
    let view = plan.view();
    if view.target_unavailable() {
        return report_error(format!(
            "{}; nothing was sent and nothing written",
            view.summary()
        ));
    }
    let Some(applied) = applied else {
        if view.will_change() && !args.yes && !args.dry_run {
            if !args.json {
                print_plan(plan, &ctx.painter);
            }
            eprintln!(
                "Nothing placed yet: add --yes to place the calls (or --dry-run to only preview)."
            );
            return Exit::NeedsConfirmation;
        }
        if !args.json {
            print_plan(plan, &ctx.painter);
            if args.dry_run && view.will_change() {
                eprintln!("Dry run: nothing was placed.");
            }
        }
        return Exit::Done;
    };
    if !args.json {
        print_calls(&applied.summary, ctx);
    }
    for error in &applied.outcome.audit_errors {
        eprintln!("error: {error}");
    }
    if applied.summary.all_finished()
        && applied.outcome.audit_errors.is_empty()
        && !applied.cancelled
    {
        Exit::Done
    } else {
        Exit::Failures
    }
}

fn print_calls(summary: &FollowSummary, ctx: &Context) {
    for call in &summary.calls {
        let (mark, what) = match (call.placed, call.final_status.as_deref()) {
            (Some(Placement::Placed), Some(status)) if status != "failed" => {
                (Mark::Ok, format!("placed, ended {status}"))
            }
            (Some(Placement::Placed), Some(status)) => {
                (Mark::Fail, format!("placed, ended {status}"))
            }
            (Some(Placement::Placed), None) => (Mark::Warn, "placed, not ended".to_string()),
            (Some(Placement::Rejected), _) => (Mark::Fail, "rejected".to_string()),
            (Some(Placement::NotSent), _) | (None, _) => (Mark::Fail, "not sent".to_string()),
            (Some(Placement::AcceptanceUnknown), _) => {
                (Mark::Fail, "acceptance unknown, not found".to_string())
            }
        };
        let id = call
            .provider_call_id
            .as_deref()
            .map(|id| format!(" [{id}]"))
            .unwrap_or_default();
        let secs = call
            .duration_seconds
            .map(|s| format!(", {s} s"))
            .unwrap_or_default();
        let reason = call
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        println!(
            "{} {} {what}{secs}{id}{reason}",
            ctx.painter.mark(mark),
            call.to_masked()
        );
    }
    println!(
        "{} of {} calls placed and finished; audited in launchdeck.audit_log and {}",
        summary
            .calls
            .iter()
            .filter(|c| c.placed == Some(Placement::Placed)
                && c.final_status.as_deref().is_some_and(|s| s != "failed"))
            .count(),
        summary.calls.len(),
        AUDIT_FILE_NAME
    );
}

/// Whether `signal` has fired already (without waiting).
fn fired(signal: &mut tokio::signal::unix::Signal) -> bool {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    signal.poll_recv(&mut cx).is_ready()
}
