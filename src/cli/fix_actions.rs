//! The fix commands: `cleanup`, `refresh-tokens`, `fix-outbound-agent`, `acknowledge`,
//! `stop`.
//! Each builds its request and runs it through [`super::actions::run`].

use std::time::Duration;

use clap::{ArgGroup, Args};
use launchdeck_core::config::parse_duration;
use launchdeck_core::stop::StopScope;
use launchdeck_ops::actions::ActionRequest;
use launchdeck_ops::actions::acknowledge::AckRequest;
use launchdeck_ops::actions::cleanup::CleanupRequest;
use launchdeck_ops::actions::outbound_agent::AgentRequest;
use launchdeck_ops::actions::stop::{LiftRequest, StopRequest};
use launchdeck_ops::actions::tokens::TokenRequest;
use uuid::Uuid;

use super::Context;
use super::actions::{self, ConfirmArgs};
use super::exit::Exit;

#[derive(Args)]
pub struct CleanupArgs {
    /// Treat calls in flight for longer than D as stuck, whatever their source (e.g.
    /// `10m`; default: the [thresholds] of each source)
    #[arg(long, value_name = "D", value_parser = duration_arg)]
    pub older_than: Option<Duration>,
    /// Also hang up the calls the provider says are still live (Twilio Status=completed /
    /// canceled, Retell stop-call); without it they are left alone
    #[arg(long)]
    pub hang_up: bool,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Args)]
pub struct TokensArgs {
    /// Refresh every Google integration, not only those expiring within
    /// [thresholds] token_refresh_margin
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Args)]
pub struct AgentArgs {
    /// The Retell number, in E.164 (e.g. +14155550102)
    #[arg(long, value_name = "E164")]
    pub number: String,
    /// The agent to assign (default: the number's inbound agent)
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Args)]
pub struct AckArgs {
    /// The alerts (system_alerts.id); `launchdeck check` and the Overview list them
    #[arg(value_name = "ALERT_ID", required = true)]
    pub alert_ids: Vec<Uuid>,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

fn duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text)
}

pub fn cleanup(args: CleanupArgs, ctx: &Context) -> Exit {
    let request = CleanupRequest {
        rows: None,
        older_than: args.older_than,
        hang_up: args.hang_up,
    };
    actions::run(ActionRequest::Cleanup(request), args.confirm, ctx)
}

pub fn refresh_tokens(args: TokensArgs, ctx: &Context) -> Exit {
    let request = TokenRequest { all: args.all };
    actions::run(ActionRequest::RefreshTokens(request), args.confirm, ctx)
}

pub fn fix_outbound_agent(args: AgentArgs, ctx: &Context) -> Exit {
    let request = AgentRequest {
        number: args.number,
        agent: args.agent,
    };
    actions::run(ActionRequest::FixOutboundAgent(request), args.confirm, ctx)
}

pub fn acknowledge(args: AckArgs, ctx: &Context) -> Exit {
    let request = AckRequest {
        alert_ids: args.alert_ids,
    };
    actions::run(ActionRequest::Acknowledge(request), args.confirm, ctx)
}

#[derive(Args)]
#[command(group(
    ArgGroup::new("what").required(true).args(["broadcast", "campaign", "all", "lift"])
))]
pub struct StopArgs {
    /// Stop this voice broadcast (voice_broadcasts.id): it is paused
    #[arg(long, value_name = "ID")]
    pub broadcast: Option<Uuid>,
    /// Stop this campaign (campaigns.id): paused, and an active campaign stop row in
    /// contact_stop_controls (the platform's dispatch blocker)
    #[arg(long, value_name = "ID")]
    pub campaign: Option<Uuid>,
    /// Stop everything: a global stop row (the tenant's row under --org / --user)
    #[arg(long)]
    pub all: bool,
    /// Also hang up the stopped calls still in flight (Twilio / Retell); without it they
    /// finish (never put back to pending)
    #[arg(long, conflicts_with = "lift")]
    pub hang_up: bool,
    /// The broadcast's or campaign's exact name, or `STOP ALL`; without it the plan is
    /// printed and nothing changes (exit 3)
    #[arg(long, value_name = "NAME", conflicts_with = "lift")]
    pub confirm: Option<String>,
    /// Lift a stop launchdeck wrote (contact_stop_controls.id): active → inactive;
    /// resumes nothing
    #[arg(long, value_name = "STOP_ID")]
    pub lift: Option<Uuid>,
    /// With --lift: apply it; without, the plan is printed (exit 3)
    #[arg(long, requires = "lift")]
    pub yes: bool,
    /// Print the plan and exit 0 without changing anything
    #[arg(long)]
    pub dry_run: bool,
    /// Machine-readable output (schema_version 1, documented in the README)
    #[arg(long)]
    pub json: bool,
}

pub fn stop(args: StopArgs, ctx: &Context) -> Exit {
    if let Some(stop_id) = args.lift {
        let confirm = ConfirmArgs {
            yes: args.yes,
            dry_run: args.dry_run,
            json: args.json,
        };
        return actions::run(
            ActionRequest::LiftStop(LiftRequest { stop_id }),
            confirm,
            ctx,
        );
    }
    let scope = match (args.broadcast, args.campaign) {
        (Some(id), _) => StopScope::Broadcast(id),
        (None, Some(id)) => StopScope::Campaign(id),
        (None, None) => StopScope::All,
    };
    let confirm = ConfirmArgs {
        yes: args.confirm.is_some(),
        dry_run: args.dry_run,
        json: args.json,
    };
    let request = StopRequest {
        scope,
        hang_up: args.hang_up,
        confirmation: args.confirm,
    };
    actions::run(ActionRequest::Stop(request), confirm, ctx)
}
