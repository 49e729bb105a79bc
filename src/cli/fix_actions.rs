//! The fix commands: `cleanup`, `refresh-tokens`, `fix-outbound-agent`, `acknowledge`.
//! Each builds its request and runs it through [`super::actions::run`].

use std::time::Duration;

use clap::Args;
use launchdeck_core::config::parse_duration;
use launchdeck_ops::actions::ActionRequest;
use launchdeck_ops::actions::acknowledge::AckRequest;
use launchdeck_ops::actions::cleanup::CleanupRequest;
use launchdeck_ops::actions::outbound_agent::AgentRequest;
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
