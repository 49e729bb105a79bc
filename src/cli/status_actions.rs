//! `launchdeck pause` / `resume (--broadcast ID | --campaign ID) [--yes] [--json]`,
//! run by [`super::actions::run`], and their JSON (kept as first documented).

use clap::{ArgGroup, Args};
use launchdeck_core::actions::StatusTarget;
use launchdeck_ops::actions::{ActionOutcome, ActionRequest, PlanStep, StatusPlan};
use serde::Serialize;
use uuid::Uuid;

use super::actions::{self, ConfirmArgs};
use super::exit::Exit;
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
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

impl StatusArgs {
    fn target(&self) -> Option<StatusTarget> {
        self.broadcast
            .map(StatusTarget::broadcast)
            .or(self.campaign.map(StatusTarget::campaign))
    }
}

/// `launchdeck pause` (`resume`: `as_request` is `ActionRequest::Resume`).
pub fn run(args: StatusArgs, as_request: fn(StatusTarget) -> ActionRequest, ctx: &Context) -> Exit {
    let Some(target) = args.target() else {
        return report_error("name the target with --broadcast ID or --campaign ID");
    };
    actions::run(as_request(target), args.confirm, ctx)
}

#[derive(Serialize)]
pub(super) struct JsonReport<'a> {
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

pub(super) fn json_report<'a>(
    plan: &'a StatusPlan,
    outcome: Option<&ActionOutcome>,
) -> JsonReport<'a> {
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
